-- Templates: import and export round-trip, invalid definitions name the JSON path and store
-- nothing, every shipped template runs end to end, and structure comes only from templates.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SELECT name, version, jsonb_array_length(definition -> 'steps') AS steps FROM nps.templates ORDER BY id;
SET ROLE r_admin;

-- Export → import gives the same definition, as a new version.
SELECT (nps.import_template(nps.export_template('NPS Detractor') - 'version')).version;
SELECT nps.export_template('NPS Detractor', 1) - 'version' = nps.export_template('NPS Detractor') - 'version' AS round_trips;

-- Invalid definitions name the JSON path; nothing is stored.
SELECT count(*) AS templates_before FROM nps.templates \gset
SELECT nps.import_template('{"name": "Broken", "steps": [{"key": "a", "name": "A", "tasks": [{"key": "t", "title": "T", "due": "tomorrow"}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.import_template('{"name": "Broken", "steps": [{"key": "a", "name": "A", "checkpoint": true, "skippable": true, "evidence": [{"name": "x", "type": "text"}]}]}');
SELECT nps.import_template('{"name": "Broken", "steps": [{"key": "a", "name": "A", "checkpoint": true}]}');
SELECT nps.import_template('{"name": "Broken", "steps": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]}');
SELECT nps.import_template('{"name": "Broken", "steps": [{"key": "a", "name": "A", "approval": {"role": "nps_approver", "min_approvers": 0}}]}');
SELECT nps.import_template('{"name": "Broken", "stepz": []}');
SELECT nps.import_template('{"name": "NPS Detractor", "version": 1, "steps": [{"key": "a", "name": "A"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) = :templates_before AS nothing_stored FROM nps.templates;
SELECT nps.export_template('No Such Template');
\echo :LAST_ERROR_SQLSTATE

RESET ROLE;
-- Only an nps_admin imports.
SET ROLE r_ava;
SELECT nps.import_template(nps.export_template('NPS Detractor') - 'version');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Structure comes only from templates, and a version a run used never changes.
SET ROLE r_lead;
SELECT id AS run FROM nps.start_run('Client Escalation', subject => '{"csm": "r_ava"}') \gset
RESET ROLE;
SET ROLE r_admin;
UPDATE nps.templates SET definition = definition || '{"description": "changed"}'
WHERE id = (SELECT template_id FROM nps.runs WHERE id = :run);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.templates WHERE id = (SELECT template_id FROM nps.runs WHERE id = :run);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
INSERT INTO nps.steps (run_id, position, key, name) VALUES (:run, 99, 'extra', 'Extra');
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.steps SET checkpoint = NOT checkpoint WHERE run_id = :run AND position = 1;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.tasks (run_id, step_id, position, key, title) SELECT :run, id, 9, 'x', 'X' FROM nps.steps WHERE run_id = :run AND position = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.tasks WHERE run_id = :run;
\echo :LAST_ERROR_SQLSTATE
-- Shipped templates are the extension's: ids up to 1000 only while it installs.
SET ROLE r_admin;
INSERT INTO nps.templates (id, name, version, definition) OVERRIDING SYSTEM VALUE
VALUES (7, 'Sneaky', 1, '{"name": "Sneaky", "steps": [{"key": "a", "name": "A"}]}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Every shipped template runs end to end: the run owner (r_lead) finishes each step's tasks with
-- values of the declared types (claiming those waiting in the CSMs' queue) and records its
-- evidence; approval gates go to r_appr1.
CREATE FUNCTION pg_temp.fill(spec jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_object_agg(f ->> 'name', CASE f ->> 'type'
               WHEN 'number' THEN to_jsonb(1) WHEN 'boolean' THEN to_jsonb(true)
               WHEN 'one_of' THEN f -> 'options' -> 0 ELSE to_jsonb('filled'::text) END), '{}')
    FROM jsonb_array_elements(spec) f $$;
CREATE FUNCTION pg_temp.drive(template text) RETURNS TABLE (steps_done bigint, approvals bigint, run_status nps.run_status)
LANGUAGE plpgsql AS $$
DECLARE
    r nps.runs;
    s nps.steps;
    t nps.tasks;
    a nps.approvals;
BEGIN
    SET ROLE r_lead;
    r := nps.start_run(template, subject => '{"type": "account", "id": "demo", "csm": "r_ava"}');
    LOOP
        SELECT * INTO s FROM nps.steps x WHERE x.run_id = r.id AND x.status = 'active' ORDER BY x.position LIMIT 1;
        EXIT WHEN NOT FOUND;
        FOR t IN SELECT * FROM nps.tasks x WHERE x.step_id = s.id AND x.status = 'open' ORDER BY x.position LOOP
            IF t.owner IS NULL THEN
                PERFORM nps.claim_task(t.id);  -- waiting in the nps_csm queue
            END IF;
            PERFORM nps.complete_task(t.id, pg_temp.fill(t.fields_spec));
        END LOOP;
        SELECT * INTO s FROM nps.steps x WHERE x.id = s.id;
        CONTINUE WHEN s.status <> 'active';
        IF s.approval_role IS NULL THEN
            PERFORM nps.complete_step(s.id, pg_temp.fill(s.evidence_spec));
        ELSE
            PERFORM nps.record_evidence(s.id, pg_temp.fill(s.evidence_spec));
            a := nps.request_approval(s.id);
            RESET ROLE;
            SET ROLE r_appr1;
            PERFORM nps.decide(a.id, 'approve');
            RESET ROLE;
            SET ROLE r_lead;
        END IF;
    END LOOP;
    RESET ROLE;
    RETURN QUERY SELECT count(*) FILTER (WHERE x.status = 'done'), count(x.approval_role), rr.status
                 FROM nps.steps x JOIN nps.runs rr ON rr.id = x.run_id WHERE x.run_id = r.id GROUP BY rr.status;
END $$;
SELECT t.name, d.* FROM nps.templates t, pg_temp.drive(t.name) d WHERE t.version = 1 ORDER BY t.id;

