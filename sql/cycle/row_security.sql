-- pg_nps NPS cycle, row-level security: personal data is seen by the people whose work it is.
-- A CSM sees the accounts and responses of their book (their accounts, and their team's when
-- they lead), of the cycles they own, and of the runs they work on; conversations, outbox
-- messages and plan items go with their runs. (Staged rows have no row-level security, which
-- COPY cannot load through: stagers write them without reading them; nps.staging_rejects.)
-- nps_admin, nps_auditor and nps_pii see everything; intake applications see what they load,
-- senders the outbox. Analysts read the BI views and nps.response_facts (pseudonymized).
-- Writes are the guards' to decide: an UPDATE or DELETE reaches only the rows its person sees,
-- and the guards decide what may change; an INSERT goes through to its guard.

CREATE OR REPLACE FUNCTION nps._sees_personal_data() RETURNS boolean
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_sees_personal_data';
COMMENT ON FUNCTION nps._sees_personal_data() IS 'Internal: whether the person acting sees every account and response (nps_admin, nps_auditor, nps_pii).';

CREATE OR REPLACE FUNCTION nps._sees_account(account bigint, csm text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    person text := nps._person_or_null();
BEGIN
    IF person IS NULL THEN
        RETURN false;
    END IF;
    RETURN csm = person OR nps._is_lead_of(person, csm)
        OR EXISTS (SELECT 1 FROM nps.responses r JOIN nps.runs cr ON cr.id = r.run_id
                   WHERE r.account_id = account AND cr.owner = person)
        OR EXISTS (SELECT 1 FROM nps.playbook_runs pr JOIN nps.responses r ON r.id = pr.response_id
                   WHERE r.account_id = account AND nps._sees_run(pr.run_id));
END;
$$;
COMMENT ON FUNCTION nps._sees_account(bigint, text) IS
    'Internal (row-level security): whether the person acting sees an account, given its id and CSM: its CSM and their leads, the owner of a cycle it answered, whoever sees a project a playbook started for one of its responses (a run''s subject, which whoever starts the run writes, opens nothing). (nps_admin, nps_auditor and nps_pii see every account: the policy asks nps._sees_personal_data first.)';

CREATE OR REPLACE FUNCTION nps._sees_response(account bigint, cycle_run bigint, response bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    person text := nps._person_or_null();
    csm    text;
BEGIN
    IF person IS NULL THEN
        RETURN false;
    END IF;
    SELECT a.csm INTO csm FROM nps.accounts a WHERE a.id = account;
    RETURN csm = person OR nps._is_lead_of(person, csm)
        OR EXISTS (SELECT 1 FROM nps.runs cr WHERE cr.id = cycle_run AND cr.owner = person)
        OR EXISTS (SELECT 1 FROM nps.playbook_runs pr WHERE pr.response_id = response AND nps._sees_run(pr.run_id));
END;
$$;
COMMENT ON FUNCTION nps._sees_response(bigint, bigint, bigint) IS
    'Internal (row-level security): whether the person acting sees a response, given its account, its cycle''s run and its id: the account''s CSM and their leads, the cycle''s owner, whoever sees a run a playbook started for it. (nps_admin, nps_auditor and nps_pii see every response: the policy asks nps._sees_personal_data first.)';

DROP POLICY IF EXISTS accounts_visible ON nps.accounts;
CREATE POLICY accounts_visible ON nps.accounts FOR SELECT
    USING ((SELECT nps._sees_personal_data()) OR (SELECT nps._actor_has_role('nps_intake'))
           OR csm = (SELECT nps._person_or_null()) OR nps._sees_account(id, csm));
DROP POLICY IF EXISTS accounts_insertable ON nps.accounts;
CREATE POLICY accounts_insertable ON nps.accounts FOR INSERT WITH CHECK (true);
DROP POLICY IF EXISTS accounts_updatable ON nps.accounts;
CREATE POLICY accounts_updatable ON nps.accounts FOR UPDATE
    USING ((SELECT nps._sees_personal_data()) OR (SELECT nps._actor_has_role('nps_intake'))
           OR csm = (SELECT nps._person_or_null()) OR nps._sees_account(id, csm)) WITH CHECK (true);
DROP POLICY IF EXISTS accounts_deletable ON nps.accounts;
CREATE POLICY accounts_deletable ON nps.accounts FOR DELETE
    USING ((SELECT nps._sees_personal_data()) OR (SELECT nps._actor_has_role('nps_intake'))
           OR csm = (SELECT nps._person_or_null()) OR nps._sees_account(id, csm));
COMMENT ON POLICY accounts_visible ON nps.accounts IS 'A person sees the accounts of their book and their work (nps._sees_account); intake sees every account it loads responses for.';
COMMENT ON POLICY accounts_insertable ON nps.accounts IS 'Writing accounts is nps_admin''s (privileges) and the guard''s to decide.';
COMMENT ON POLICY accounts_updatable ON nps.accounts IS 'Writing accounts is nps_admin''s (privileges) and the guard''s to decide.';
COMMENT ON POLICY accounts_deletable ON nps.accounts IS 'Writing accounts is nps_admin''s (privileges) and the guard''s to decide.';

DROP POLICY IF EXISTS responses_visible ON nps.responses;
CREATE POLICY responses_visible ON nps.responses FOR SELECT
    USING ((SELECT nps._sees_personal_data()) OR (SELECT nps._actor_has_role('nps_intake'))
           OR nps._sees_response(account_id, run_id, id));
DROP POLICY IF EXISTS responses_insertable ON nps.responses;
CREATE POLICY responses_insertable ON nps.responses FOR INSERT WITH CHECK (true);
DROP POLICY IF EXISTS responses_updatable ON nps.responses;
CREATE POLICY responses_updatable ON nps.responses FOR UPDATE
    USING ((SELECT nps._sees_personal_data()) OR (SELECT nps._actor_has_role('nps_intake'))
           OR nps._sees_response(account_id, run_id, id)) WITH CHECK (true);
DROP POLICY IF EXISTS responses_deletable ON nps.responses;
CREATE POLICY responses_deletable ON nps.responses FOR DELETE
    USING ((SELECT nps._sees_personal_data()) OR (SELECT nps._actor_has_role('nps_intake'))
           OR nps._sees_response(account_id, run_id, id));
COMMENT ON POLICY responses_visible ON nps.responses IS 'A person sees the responses of their book, their cycles and their work (nps._sees_response); intake sees what it loads.';
COMMENT ON POLICY responses_insertable ON nps.responses IS 'Recording responses is the guard''s to decide (who may record which account''s).';
COMMENT ON POLICY responses_updatable ON nps.responses IS 'Recording responses is the guard''s to decide (who may record which account''s).';
COMMENT ON POLICY responses_deletable ON nps.responses IS 'Recording responses is the guard''s to decide (who may record which account''s).';

DROP POLICY IF EXISTS response_causes_visible ON nps.response_causes;
CREATE POLICY response_causes_visible ON nps.response_causes FOR SELECT
    USING ((SELECT nps._sees_personal_data())
           OR EXISTS (SELECT 1 FROM nps.responses r WHERE r.id = response_id));
DROP POLICY IF EXISTS response_causes_insertable ON nps.response_causes;
CREATE POLICY response_causes_insertable ON nps.response_causes FOR INSERT WITH CHECK (true);
DROP POLICY IF EXISTS response_causes_updatable ON nps.response_causes;
CREATE POLICY response_causes_updatable ON nps.response_causes FOR UPDATE
    USING ((SELECT nps._sees_personal_data())
           OR EXISTS (SELECT 1 FROM nps.responses r WHERE r.id = response_id)) WITH CHECK (true);
DROP POLICY IF EXISTS response_causes_deletable ON nps.response_causes;
CREATE POLICY response_causes_deletable ON nps.response_causes FOR DELETE
    USING ((SELECT nps._sees_personal_data())
           OR EXISTS (SELECT 1 FROM nps.responses r WHERE r.id = response_id));
COMMENT ON POLICY response_causes_visible ON nps.response_causes IS 'A root cause is visible with its response.';
COMMENT ON POLICY response_causes_insertable ON nps.response_causes IS 'Assigning causes is the guard''s to decide.';
COMMENT ON POLICY response_causes_updatable ON nps.response_causes IS 'Assigning causes is the guard''s to decide.';
COMMENT ON POLICY response_causes_deletable ON nps.response_causes IS 'Assigning causes is the guard''s to decide.';

DROP POLICY IF EXISTS plan_items_visible ON nps.plan_items;
CREATE POLICY plan_items_visible ON nps.plan_items FOR SELECT
    USING ((SELECT nps._sees_everything()) OR owner = (SELECT nps._person_or_null()) OR nps._sees_run(run_id));
DROP POLICY IF EXISTS plan_items_insertable ON nps.plan_items;
CREATE POLICY plan_items_insertable ON nps.plan_items FOR INSERT WITH CHECK (true);
DROP POLICY IF EXISTS plan_items_updatable ON nps.plan_items;
CREATE POLICY plan_items_updatable ON nps.plan_items FOR UPDATE
    USING ((SELECT nps._sees_everything()) OR owner = (SELECT nps._person_or_null()) OR nps._sees_run(run_id)) WITH CHECK (true);
DROP POLICY IF EXISTS plan_items_deletable ON nps.plan_items;
CREATE POLICY plan_items_deletable ON nps.plan_items FOR DELETE
    USING ((SELECT nps._sees_everything()) OR owner = (SELECT nps._person_or_null()) OR nps._sees_run(run_id));
COMMENT ON POLICY plan_items_visible ON nps.plan_items IS 'A plan item is seen by its owner and with its cycle''s run (its owner, the approvers deciding the plan, nps_admin, nps_auditor).';
COMMENT ON POLICY plan_items_insertable ON nps.plan_items IS 'Planning, completing and verifying are the guard''s to decide.';
COMMENT ON POLICY plan_items_updatable ON nps.plan_items IS 'Planning, completing and verifying are the guard''s to decide.';
COMMENT ON POLICY plan_items_deletable ON nps.plan_items IS 'Planning, completing and verifying are the guard''s to decide.';

DROP POLICY IF EXISTS conversations_visible ON nps.conversations;
CREATE POLICY conversations_visible ON nps.conversations FOR SELECT
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id));
DROP POLICY IF EXISTS conversations_insertable ON nps.conversations;
CREATE POLICY conversations_insertable ON nps.conversations FOR INSERT WITH CHECK (true);
DROP POLICY IF EXISTS conversations_updatable ON nps.conversations;
CREATE POLICY conversations_updatable ON nps.conversations FOR UPDATE
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id)) WITH CHECK (true);
DROP POLICY IF EXISTS conversations_deletable ON nps.conversations;
CREATE POLICY conversations_deletable ON nps.conversations FOR DELETE
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id));
COMMENT ON POLICY conversations_visible ON nps.conversations IS 'A conversation is visible with its run.';
COMMENT ON POLICY conversations_insertable ON nps.conversations IS 'Logging is the guard''s to decide.';
COMMENT ON POLICY conversations_updatable ON nps.conversations IS 'Logging is the guard''s to decide.';
COMMENT ON POLICY conversations_deletable ON nps.conversations IS 'Logging is the guard''s to decide.';

DROP POLICY IF EXISTS outbox_visible ON nps.outbox;
CREATE POLICY outbox_visible ON nps.outbox FOR SELECT
    USING ((SELECT nps._sees_everything()) OR (SELECT nps._actor_has_role('nps_mailer')) OR nps._sees_run(run_id));
DROP POLICY IF EXISTS outbox_insertable ON nps.outbox;
CREATE POLICY outbox_insertable ON nps.outbox FOR INSERT WITH CHECK (true);
DROP POLICY IF EXISTS outbox_updatable ON nps.outbox;
CREATE POLICY outbox_updatable ON nps.outbox FOR UPDATE
    USING ((SELECT nps._sees_everything()) OR (SELECT nps._actor_has_role('nps_mailer')) OR nps._sees_run(run_id)) WITH CHECK (true);
DROP POLICY IF EXISTS outbox_deletable ON nps.outbox;
CREATE POLICY outbox_deletable ON nps.outbox FOR DELETE
    USING ((SELECT nps._sees_everything()) OR (SELECT nps._actor_has_role('nps_mailer')) OR nps._sees_run(run_id));
COMMENT ON POLICY outbox_visible ON nps.outbox IS 'A message is visible with its run, and to senders (nps_mailer).';
COMMENT ON POLICY outbox_insertable ON nps.outbox IS 'Queueing and sending are the guard''s to decide.';
COMMENT ON POLICY outbox_updatable ON nps.outbox IS 'Queueing and sending are the guard''s to decide.';
COMMENT ON POLICY outbox_deletable ON nps.outbox IS 'Queueing and sending are the guard''s to decide.';

DROP POLICY IF EXISTS playbook_runs_visible ON nps.playbook_runs;
CREATE POLICY playbook_runs_visible ON nps.playbook_runs FOR SELECT
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id) OR nps._sees_run(cycle_run_id));
DROP POLICY IF EXISTS playbook_runs_insertable ON nps.playbook_runs;
CREATE POLICY playbook_runs_insertable ON nps.playbook_runs FOR INSERT WITH CHECK (true);
DROP POLICY IF EXISTS playbook_runs_updatable ON nps.playbook_runs;
CREATE POLICY playbook_runs_updatable ON nps.playbook_runs FOR UPDATE
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id) OR nps._sees_run(cycle_run_id)) WITH CHECK (true);
DROP POLICY IF EXISTS playbook_runs_deletable ON nps.playbook_runs;
CREATE POLICY playbook_runs_deletable ON nps.playbook_runs FOR DELETE
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id) OR nps._sees_run(cycle_run_id));
COMMENT ON POLICY playbook_runs_visible ON nps.playbook_runs IS 'Which run a playbook started is visible with that run or the cycle''s.';
COMMENT ON POLICY playbook_runs_insertable ON nps.playbook_runs IS 'Only the playbooks write it (the guard).';
COMMENT ON POLICY playbook_runs_updatable ON nps.playbook_runs IS 'Only the playbooks write it (the guard).';
COMMENT ON POLICY playbook_runs_deletable ON nps.playbook_runs IS 'Only the playbooks write it (the guard).';
