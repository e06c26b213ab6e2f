-- Closing a cycle: every delivered item verified by someone else, the close approved by a second
-- person, the report written once; then a second cycle compared with the first.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SET ROLE r_lead;
SELECT regress.cycle('C1', 'outreach') AS active_step;
RESET ROLE;
-- The detractor projects, worked to the end by their CSMs (the helper in outreach.sql does it task
-- by task; here the projects' owners finish each one).
CREATE FUNCTION pg_temp.finish_projects(cycle text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint := 0;
BEGIN
    LOOP
        SELECT k.id, k.key, k.owner INTO t
        FROM nps.tasks k JOIN nps.steps s ON s.id = k.step_id JOIN nps.runs x ON x.id = k.run_id
        JOIN nps.cycles c ON c.run_id = x.parent_run_id
        WHERE c.name = cycle AND k.status = 'open' AND s.status = 'active' ORDER BY k.id LIMIT 1;
        EXIT WHEN NOT FOUND;
        EXECUTE format('SET ROLE %I', t.owner);
        PERFORM nps.complete_task(t.id, CASE t.key
            WHEN 'first_contact' THEN '{"channel": "phone"}' WHEN 'review' THEN '{"summary": "reviewed"}'
            WHEN 'call' THEN '{"outcome": "resolved"}' WHEN 'log' THEN '{"notes": "agreed"}'
            WHEN 'confirm_fix' THEN '{"fix": "2025.3"}' WHEN 'ask_feedback' THEN '{"resurvey_score": 9}'
            ELSE '{}' END::jsonb);
        RESET ROLE;
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
SELECT pg_temp.finish_projects('C1') AS project_tasks_done;
SET ROLE r_lead;
SELECT regress.finish_tasks('C1', 'outreach');
SELECT regress.finish_tasks('C1', 'close');
-- The close needs every delivered item verified.
SELECT nps.request_approval(nps.cycle_step('C1', 'close'));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_ava;
SELECT status FROM nps.complete_plan_item((SELECT id FROM nps.plan_items WHERE title = 'Fix the weekly export crash' AND cycle_id = (SELECT id FROM nps.cycles WHERE name = 'C1')), 'release 2025.3');
RESET ROLE;
SET ROLE r_ben;
SELECT count(*) AS delivered_by_ben FROM (
    SELECT nps.complete_plan_item(p.id, 'done: see the tracker') FROM nps.plan_items p JOIN nps.cycles c ON c.id = p.cycle_id
    WHERE c.name = 'C1' AND p.owner = 'r_ben') x;
RESET ROLE;
SET ROLE r_lead;
SELECT nps.request_approval(nps.cycle_step('C1', 'close'));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_appr2;
SELECT count(*) AS verified FROM (
    SELECT nps.verify_plan_item(p.id, 'https://tracker.example/done/' || p.id) FROM nps.plan_items p
    JOIN nps.cycles c ON c.id = p.cycle_id WHERE c.name = 'C1' AND p.status = 'done') x;
RESET ROLE;
SET ROLE r_lead;
SELECT a.id AS close_approval FROM nps.request_approval(nps.cycle_step('C1', 'close'), 'All verified') a \gset
SELECT evidence FROM nps.steps WHERE id = nps.cycle_step('C1', 'close');
SELECT nps.decide(:close_approval, 'approve');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_appr3;
SELECT status FROM nps.decide(:close_approval, 'approve');
RESET ROLE;
SELECT r.status FROM nps.runs r JOIN nps.cycles c ON c.run_id = r.id WHERE c.name = 'C1';
SELECT closed_by, headline ->> 'nps' AS nps, headline ->> 'responses' AS responses, loop_closure ->> 'projects' AS projects,
       loop_closure ->> 'items_verified' AS verified, jsonb_array_length(root_causes) AS causes, plan -> 'detractor' AS detractor_items
FROM nps.cycle_reports r JOIN nps.cycles c ON c.id = r.cycle_id WHERE c.name = 'C1';
-- The report is written once, by the close only.
UPDATE nps.cycle_reports SET headline = '{"nps": 99}';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.cycle_reports SELECT * FROM nps.cycle_reports;
\echo :LAST_ERROR_SQLSTATE

-- A second cycle: compared with the first.
SET ROLE r_lead;
SELECT name FROM nps.start_cycle('C2', opens_at => '2025-04-01Z', closes_at => '2025-04-15Z', min_responses => 3);
SELECT count(*) FROM (
    SELECT nps.record_response('C2', x.acct, x.who, x.score, x.note, responded_at => '2025-04-03Z')
    FROM (VALUES ('ACME', 'ann@acme.example', 10, 'Still great'), ('ACME', 'al@acme.example', 9, 'Export fixed, thanks'),
                 ('GLOBEX', 'bo@globex.example', 7, 'Better value now'), ('INITECH', 'ida@initech.example', 8, 'Faster reports'),
                 ('UMBRELLA', 'ulf@umbrella.example', 4, 'Still expensive')) AS x(acct, who, score, note)) rec;
SELECT regress.finish_tasks('C2', 'intake');
SELECT status FROM nps.close_intake('C2');
SELECT regress.finish_tasks('C2', 'segmentation');
SELECT evidence ->> 'change_from_previous' AS change FROM nps.complete_step(nps.cycle_step('C2', 'segmentation'));
RESET ROLE;
SET ROLE r_analyst;
SELECT cycle, status, current_step, frozen, responses, nps, previous_cycle, previous_nps, change, p_value
FROM nps.cycle_headline WHERE cycle IN ('C1', 'C2') ORDER BY cycle;
RESET ROLE;
