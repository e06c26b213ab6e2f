-- pg_nps workflow engine, row-level security: who sees which runs, steps, tasks and approvals.
-- A person sees the runs they own or work on (a task of theirs, now or before a hand-over, or
-- one waiting in the queue of a role they hold), the runs under a run they own (a cycle's
-- detractor projects for its lead), the runs of the people they lead, and the runs with an
-- approval for a role they hold (what they must decide). nps_admin and nps_auditor see all.
-- What a person may change is the guards' to decide; the policies only narrow what a statement
-- can reach. The visibility functions run as the extension's owner, so policies never recurse.

CREATE OR REPLACE FUNCTION nps._sees_everything() RETURNS boolean
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_sees_everything';
COMMENT ON FUNCTION nps._sees_everything() IS 'Internal: whether the person acting holds nps_admin or nps_auditor, who see every row (an application acting as itself is no person and never does).';

CREATE OR REPLACE FUNCTION nps._sees_run_row(r nps.runs) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    person text := nps._person_or_null();
BEGIN
    IF person IS NULL OR r.id IS NULL THEN
        RETURN false;
    END IF;
    RETURN r.owner = person
        OR nps._is_lead_of(person, r.owner)
        OR EXISTS (SELECT 1 FROM nps.runs p WHERE p.id = r.parent_run_id AND p.owner = person)
        OR EXISTS (SELECT 1 FROM nps.tasks t WHERE t.run_id = r.id
                     AND (t.owner = person OR t.previous_owner = person
                          OR (t.owner IS NULL AND nps.has_role(person, t.queue))))
        OR EXISTS (SELECT 1 FROM nps.approvals a WHERE a.run_id = r.id AND nps.has_role(person, a.required_role))
        OR nps._sees_everything();
END;
$$;
COMMENT ON FUNCTION nps._sees_run_row(nps.runs) IS
    'Internal (row-level security): whether the person acting sees a run, given the row: its owner, a lead of its owner, the owner of its parent run, a person with (or who had) a task in it or can claim one, a person holding the role of one of its approvals, nps_admin and nps_auditor.';

CREATE OR REPLACE FUNCTION nps._sees_run(run bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce((SELECT nps._sees_run_row(x) FROM nps.runs x WHERE x.id = run), false);
END;
COMMENT ON FUNCTION nps._sees_run(bigint) IS
    'Internal (row-level security): whether the person acting sees the run of that id (nps._sees_run_row).';

CREATE OR REPLACE FUNCTION nps._manages_run(run bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    person text := nps._person_or_null();
    r      nps.runs;
BEGIN
    SELECT * INTO r FROM nps.runs x WHERE x.id = run;
    RETURN FOUND AND (r.owner = person
        OR EXISTS (SELECT 1 FROM nps.runs p WHERE p.id = r.parent_run_id AND p.owner = person)
        OR EXISTS (SELECT 1 FROM nps.approvals a WHERE a.run_id = run AND nps.has_role(person, a.required_role))
        OR nps._is_lead_of(person, r.owner)
        OR nps._sees_everything());
END;
$$;
COMMENT ON FUNCTION nps._manages_run(bigint) IS
    'Internal (row-level security): whether the person acting sees all of a run''s tasks: its owner, the owner of its parent run, a person holding the role of one of its approvals, a lead of its owner, nps_admin and nps_auditor.';

CREATE OR REPLACE FUNCTION nps._sees_task(t nps.tasks) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    person text := nps._person_or_null();
BEGIN
    RETURN person IS NOT NULL
       AND (t.owner = person OR t.previous_owner = person
            OR (t.owner IS NULL AND nps.has_role(person, t.queue))
            OR nps._manages_run(t.run_id));
END;
$$;
COMMENT ON FUNCTION nps._sees_task(nps.tasks) IS
    'Internal (row-level security): whether the person acting sees a task: its owner and previous owner, a person who may claim it from its queue, and whoever manages its run (nps._manages_run).';

-- The person acting is read from the backend's cache of the transaction (nps._person_or_null()).
DROP POLICY IF EXISTS runs_visible ON nps.runs;
CREATE POLICY runs_visible ON nps.runs FOR SELECT
    USING ((SELECT nps._sees_everything()) OR owner = (SELECT nps._person_or_null()) OR nps._sees_run_row(runs));
DROP POLICY IF EXISTS runs_writable ON nps.runs;
CREATE POLICY runs_writable ON nps.runs FOR UPDATE
    USING ((SELECT nps._sees_everything()) OR owner = (SELECT nps._person_or_null()) OR nps._sees_run_row(runs)) WITH CHECK (true);
DROP POLICY IF EXISTS runs_insertable ON nps.runs;
CREATE POLICY runs_insertable ON nps.runs FOR INSERT WITH CHECK (true);
COMMENT ON POLICY runs_visible ON nps.runs IS 'A person sees the runs they own or work on, those under their runs, their team''s, and those awaiting their decision (nps._sees_run).';
COMMENT ON POLICY runs_writable ON nps.runs IS 'A change reaches only a run its person sees; the guard decides what may change.';
COMMENT ON POLICY runs_insertable ON nps.runs IS 'Starting a run is the guard''s to decide (nps._runs_guard).';

DROP POLICY IF EXISTS steps_visible ON nps.steps;
CREATE POLICY steps_visible ON nps.steps FOR SELECT
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id));
DROP POLICY IF EXISTS steps_writable ON nps.steps;
CREATE POLICY steps_writable ON nps.steps FOR UPDATE
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id)) WITH CHECK (true);
COMMENT ON POLICY steps_visible ON nps.steps IS 'A step is visible with its run.';
COMMENT ON POLICY steps_writable ON nps.steps IS 'A change reaches only a step of a run its person sees; the guard decides what may change.';

DROP POLICY IF EXISTS tasks_visible ON nps.tasks;
CREATE POLICY tasks_visible ON nps.tasks FOR SELECT
    USING ((SELECT nps._sees_everything()) OR owner = (SELECT nps._person_or_null()) OR nps._sees_task(tasks));
DROP POLICY IF EXISTS tasks_changeable ON nps.tasks;
CREATE POLICY tasks_changeable ON nps.tasks FOR UPDATE
    USING ((SELECT nps._sees_everything()) OR owner = (SELECT nps._person_or_null()) OR nps._sees_task(tasks)) WITH CHECK (true);
COMMENT ON POLICY tasks_visible ON nps.tasks IS 'Owners (and the owner who handed a task over) see their tasks, people of its queue see a task waiting in it, and those who manage the run see all of its tasks (nps._sees_task).';
COMMENT ON POLICY tasks_changeable ON nps.tasks IS 'A change reaches only a task its person sees; the guard decides what may change.';

DROP POLICY IF EXISTS approvals_visible ON nps.approvals;
CREATE POLICY approvals_visible ON nps.approvals FOR SELECT
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id));
DROP POLICY IF EXISTS approvals_writable ON nps.approvals;
CREATE POLICY approvals_writable ON nps.approvals FOR UPDATE
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id)) WITH CHECK (true);
DROP POLICY IF EXISTS approvals_insertable ON nps.approvals;
CREATE POLICY approvals_insertable ON nps.approvals FOR INSERT WITH CHECK (true);
COMMENT ON POLICY approvals_visible ON nps.approvals IS 'An approval is visible with its run.';
COMMENT ON POLICY approvals_writable ON nps.approvals IS 'A change reaches only an approval of a run its person sees; the guard decides.';
COMMENT ON POLICY approvals_insertable ON nps.approvals IS 'Requesting an approval is the guard''s to decide.';

DROP POLICY IF EXISTS decisions_visible ON nps.approval_decisions;
CREATE POLICY decisions_visible ON nps.approval_decisions FOR SELECT
    USING ((SELECT nps._sees_everything()) OR nps._sees_run(run_id));
DROP POLICY IF EXISTS decisions_insertable ON nps.approval_decisions;
CREATE POLICY decisions_insertable ON nps.approval_decisions FOR INSERT WITH CHECK (true);
COMMENT ON POLICY decisions_visible ON nps.approval_decisions IS 'A decision is visible with its run.';
COMMENT ON POLICY decisions_insertable ON nps.approval_decisions IS 'Deciding is the guard''s to decide.';
