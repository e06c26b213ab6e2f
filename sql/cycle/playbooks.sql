-- pg_nps NPS cycle, playbooks: when a response matches, start a template's run for it (once).

CREATE OR REPLACE FUNCTION nps._playbooks_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.playbooks', 'nps._playbooks_guard()');
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    NEW.name := nps._text('playbook name', NEW.name, 'name');
    IF NOT EXISTS (SELECT 1 FROM nps.templates t WHERE t.name = NEW.template) THEN
        RAISE EXCEPTION 'template "%" of playbook "%" does not exist', left(NEW.template, 200), NEW.name
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name FROM nps.templates lists them.';
    END IF;
    IF NEW.owner NOT IN ('account_csm', 'cycle_owner') THEN
        NEW.owner := nps._person(NEW.owner, format('owner of playbook "%s"', NEW.name));
    END IF;
    IF NEW.email_subject IS NOT NULL THEN
        NEW.email_subject := nps._text(format('the e-mail subject of playbook "%s"', NEW.name), NEW.email_subject, 'title');
        NEW.email_body := nps._text(format('the e-mail body of playbook "%s"', NEW.name), NEW.email_body, 'text');
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
        NEW.created_by := nps.current_actor();
    ELSE
        NEW.created_at := OLD.created_at;
        NEW.created_by := OLD.created_by;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._playbooks_guard() IS
    'Trigger: a playbook names an existing template (42704) and an owner rule (account_csm, cycle_owner or an active person); its e-mail subject is one line.';
CREATE OR REPLACE TRIGGER playbooks_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.playbooks
    FOR EACH ROW EXECUTE FUNCTION nps._playbooks_guard();

CREATE OR REPLACE VIEW nps.playbooks_in_force AS
SELECT p.name, p.fires_on, p.segment, p.score_min, p.score_max, p.tier, p.account_match, p.template, p.owner,
       p.email_subject, p.email_body, false AS shipped
FROM nps.playbooks p WHERE p.active
UNION ALL
SELECT 'Detractor follow-up', 'segmentation', 'detractor'::nps_segment, NULL, NULL, NULL, NULL, 'NPS Detractor',
       'account_csm', 'We read your feedback, {respondent}',
       'Thank you for your answer to our survey ({cycle}). Your account manager will contact you within two business days to talk it through.',
       true
WHERE (nps.current_settings()).detractor_playbook
  AND NOT EXISTS (SELECT 1 FROM nps.playbooks p WHERE p.name = 'Detractor follow-up');
COMMENT ON VIEW nps.playbooks_in_force IS 'The playbooks that fire: the active rows of nps.playbooks and, unless switched off or replaced, the shipped "Detractor follow-up".';
COMMENT ON COLUMN nps.playbooks_in_force.name IS 'Playbook name.';
COMMENT ON COLUMN nps.playbooks_in_force.fires_on IS 'segmentation or response.';
COMMENT ON COLUMN nps.playbooks_in_force.segment IS 'Segment matched (NULL: any).';
COMMENT ON COLUMN nps.playbooks_in_force.score_min IS 'Lowest score matched (NULL: 0).';
COMMENT ON COLUMN nps.playbooks_in_force.score_max IS 'Highest score matched (NULL: 10).';
COMMENT ON COLUMN nps.playbooks_in_force.tier IS 'Account tier matched (NULL: any).';
COMMENT ON COLUMN nps.playbooks_in_force.account_match IS 'JSON the account''s attributes must contain (NULL: any).';
COMMENT ON COLUMN nps.playbooks_in_force.template IS 'Template started.';
COMMENT ON COLUMN nps.playbooks_in_force.owner IS 'Owner rule: account_csm, cycle_owner or a role.';
COMMENT ON COLUMN nps.playbooks_in_force.email_subject IS 'Subject of the email queued to the respondent (NULL: none).';
COMMENT ON COLUMN nps.playbooks_in_force.email_body IS 'Body of that email.';
COMMENT ON COLUMN nps.playbooks_in_force.shipped IS 'Whether this is the shipped playbook (no row in nps.playbooks).';

CREATE OR REPLACE FUNCTION nps._fill(text text, vals jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN replace(replace(replace(replace(text, '{account}', coalesce(vals ->> 'account', '')),
                                   '{score}', coalesce(vals ->> 'score', '')),
                           '{cycle}', coalesce(vals ->> 'cycle', '')),
                   '{respondent}', coalesce(vals ->> 'respondent', ''));
COMMENT ON FUNCTION nps._fill(text, jsonb) IS 'Internal: fills {account}, {score}, {cycle}, {respondent} into an email template.';

CREATE OR REPLACE FUNCTION nps._fire_playbooks(cycle_id bigint, event text, response_ids bigint[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c           nps.cycles;
    cycle_owner text;
    actor       text := nps.current_actor();
    m           record;
    owner       text;
    vals        jsonb;
    run         nps.runs;
    started     integer := 0;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.id = _fire_playbooks.cycle_id;
    SELECT x.owner INTO cycle_owner FROM nps.runs x WHERE x.id = c.run_id;
    PERFORM nps._scope_enter('playbook', c.run_id);
    FOR m IN
        SELECT p.name, p.template, p.owner AS rule, p.email_subject, p.email_body,
               r.id AS response_id, r.score, r.respondent, a.name AS account_name, a.external_id, a.csm
        FROM nps.playbooks_in_force p
        JOIN nps.responses r ON r.id = ANY (response_ids) AND r.cycle_id = c.id
        JOIN nps.accounts a ON a.id = r.account_id
        WHERE p.fires_on = event
          AND (p.segment IS NULL OR p.segment = r.segment)
          AND r.score BETWEEN coalesce(p.score_min, 0) AND coalesce(p.score_max, 10)
          AND (p.tier IS NULL OR p.tier = a.tier)
          AND (p.account_match IS NULL OR a.attributes @> p.account_match)
          AND NOT EXISTS (SELECT 1 FROM nps.playbook_runs pr WHERE pr.playbook = p.name AND pr.response_id = r.id)
        ORDER BY r.id, p.name
    LOOP
        owner := CASE m.rule
                     WHEN 'account_csm' THEN coalesce(m.csm, cycle_owner)
                     WHEN 'cycle_owner' THEN cycle_owner
                     ELSE m.rule END;
        run := nps.start_run(m.template, owner => owner,
                             subject => jsonb_build_object('type', 'response', 'id', m.response_id::text, 'csm', owner,
                                                           'account', m.external_id, 'cycle', c.name,
                                                           'score', m.score, 'respondent', m.respondent),
                             title => format('%s: %s (score %s)', m.name, m.account_name, m.score),
                             parent_run => c.run_id);
        INSERT INTO nps.playbook_runs (playbook, response_id, run_id, cycle_run_id)
        VALUES (m.name, m.response_id, run.id, c.run_id);
        IF m.email_subject IS NOT NULL THEN
            vals := jsonb_build_object('account', m.account_name, 'score', m.score, 'cycle', c.name,
                                       'respondent', m.respondent);
            INSERT INTO nps.outbox (run_id, recipient, subject, body, created_by)
            VALUES (run.id, m.respondent, nps._fill(m.email_subject, vals), nps._fill(m.email_body, vals), actor);
        END IF;
        started := started + 1;
    END LOOP;
    PERFORM nps._scope_leave('playbook', c.run_id);
    RETURN started;
END;
$$;
COMMENT ON FUNCTION nps._fire_playbooks(bigint, text, bigint[]) IS
    'Internal: starts, for each of the responses, the run of every playbook in force for that event that matches it and has not started one yet; queues its email.';

CREATE OR REPLACE FUNCTION nps._responses_playbooks() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.responses', 'nps._responses_playbooks()');
    IF NOT EXISTS (SELECT 1 FROM nps.playbooks p WHERE p.active AND p.fires_on = 'response') THEN
        RETURN NULL;
    END IF;
    FOR c IN SELECT n.cycle_id, array_agg(n.id) AS ids FROM new_rows n GROUP BY n.cycle_id LOOP
        PERFORM nps._fire_playbooks(c.cycle_id, 'response', c.ids);
    END LOOP;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._responses_playbooks() IS 'Statement trigger (as the extension owner): fires the playbooks that fire on a recorded response.';
CREATE OR REPLACE TRIGGER responses_playbooks_insert AFTER INSERT ON nps.responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._responses_playbooks();
CREATE OR REPLACE TRIGGER responses_playbooks_update AFTER UPDATE ON nps.responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._responses_playbooks();

-- Which run each playbook started: written only as playbooks fire.
CREATE OR REPLACE FUNCTION nps._playbook_runs_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.playbook_runs', 'nps._playbook_runs_guard()');
    IF TG_OP = 'INSERT' AND nps._in_scope('playbook', NEW.cycle_run_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'rows of nps.playbook_runs are written only as playbooks fire, and never change'
        USING ERRCODE = 'NP009', HINT = 'Playbooks fire when a cycle is segmented or a response recorded (nps.playbooks).';
END;
$$;
COMMENT ON FUNCTION nps._playbook_runs_guard() IS 'Trigger: playbook runs are written only by the playbooks as they fire, and never change (NP009).';
CREATE OR REPLACE TRIGGER playbook_runs_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.playbook_runs
    FOR EACH ROW EXECUTE FUNCTION nps._playbook_runs_guard();
