-- Workflow engine walk-through: templates, a run as different roles, every refusal with its
-- SQLSTATE, and a check that a refused statement wrote nothing.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- Login roles for the walk-through (cluster-wide, so created idempotently).
DO $$
DECLARE r text[];
BEGIN
    FOREACH r SLICE 1 IN ARRAY ARRAY[['wf_carol', 'nps_csm'], ['wf_alice', 'nps_csm'], ['wf_bob', 'nps_approver'],
                                    ['wf_dave', 'nps_approver'], ['wf_erin', 'nps_analyst'], ['wf_admin', 'nps_admin']] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r[1]) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', r[1]);
        END IF;
        EXECUTE format('GRANT %I TO %I', r[2], r[1]);
    END LOOP;
END $$;

-- setup_roles is idempotent: a second call creates nothing.
SELECT role, created FROM nps.setup_roles();

-------------------------------------------------------------------------------
-- Templates
-------------------------------------------------------------------------------
SELECT name, version, jsonb_array_length(definition -> 'steps') AS steps FROM nps.templates ORDER BY id;

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

-------------------------------------------------------------------------------
-- A run of "NPS Survey & Action Plan", owned by the CSM lead wf_carol
-------------------------------------------------------------------------------
INSERT INTO nps.holidays VALUES ('2030-12-25', 'Christmas');
SET ROLE wf_carol;
SELECT id AS cycle, status, owner, subject_type FROM nps.start_run('NPS Survey & Action Plan',
    subject => '{"type": "cycle", "id": "2030-Q4"}', title => 'NPS 2030 Q4') \gset
SELECT :cycle > 0 AS started;
SELECT position, key, status, checkpoint, approval_role, open_tasks FROM nps.steps WHERE run_id = :cycle ORDER BY position;
-- SLAs are business days from the moment the step became active.
SELECT t.key, t.due_at = nps.due_at(s.activated_at, t.due_days, t.due_hours, t.due_business) AS due_from_sla
FROM nps.tasks t JOIN nps.steps s ON s.id = t.step_id WHERE t.run_id = :cycle AND t.due_at IS NOT NULL ORDER BY t.id;
SELECT id AS intake FROM nps.steps WHERE run_id = :cycle AND key = 'intake' \gset
SELECT id AS segmentation FROM nps.steps WHERE run_id = :cycle AND key = 'segmentation' \gset
SELECT id AS plan FROM nps.steps WHERE run_id = :cycle AND key = 'action_plan' \gset

-- Checkpoints can never be skipped, not even by the run's owner, not even by a direct UPDATE.
SELECT nps.skip_step(:intake, 'we are in a hurry');
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.steps SET status = 'skipped', skip_reason = 'direct' WHERE id = :intake;
\echo :LAST_ERROR_SQLSTATE
-- Out of order: the second step cannot start or finish while the first is open.
UPDATE nps.steps SET status = 'active' WHERE id = :segmentation;
\echo :LAST_ERROR_SQLSTATE
SELECT nps.complete_step(:segmentation, '{"nps": 10}');
\echo :LAST_ERROR_SQLSTATE
-- A checkpoint with open tasks, then without its evidence.
SELECT nps.complete_step(:intake, '{"responses": 412, "window": "Oct 1 - Oct 31"}');
\echo :LAST_ERROR_SQLSTATE
SELECT (nps.complete_task(id, '{"invitations": 1800}')).status FROM nps.tasks WHERE step_id = :intake AND key = 'audience';
SELECT (nps.complete_task(id)).status FROM nps.tasks WHERE step_id = :intake AND key = 'reminders';
SELECT nps.complete_step(:intake, '{"invitations": 1800}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.complete_step(:intake, '{"responses": "many", "window": "Oct"}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.complete_step(:intake, '{"respones": 412}');
\echo :LAST_ERROR_SQLSTATE
SELECT status, evidence FROM nps.steps WHERE id = :intake;
SELECT status, evidence ->> 'responses' AS responses FROM nps.complete_step(:intake, '{"responses": 412, "invitations": 1800, "response_rate": 0.229, "window": "2030-10-01/2030-10-31"}');
SELECT position, status FROM nps.steps WHERE run_id = :cycle ORDER BY position;

-- Another CSM does not even see wf_carol's tasks (row-level security).
RESET ROLE;
SET ROLE wf_alice;
SELECT count(*) AS visible_tasks FROM nps.tasks WHERE run_id = :cycle;
SELECT nps.complete_task(id) FROM nps.tasks WHERE run_id = :cycle LIMIT 1;
SELECT nps.complete_task((SELECT min(id) FROM nps.steps WHERE run_id = :cycle) + 100000);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT id AS headline_task FROM nps.tasks WHERE step_id = :segmentation \gset
SET ROLE wf_alice;
SELECT nps.complete_task(:headline_task);
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.tasks SET status = 'done' WHERE id = :headline_task;
RESET ROLE;
SELECT status FROM nps.tasks WHERE id = :headline_task;

SET ROLE wf_carol;
SELECT (nps.complete_task(:headline_task)).status;
-- Another CSM cannot record the evidence of a run they do not own.
RESET ROLE;
SET ROLE wf_alice;
SELECT nps.complete_step(:segmentation, '{"nps": 31, "promoters": 200, "passives": 120, "detractors": 92}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE wf_carol;
SELECT status FROM nps.complete_step(:segmentation, '{"nps": 31, "promoters": 200, "passives": 120, "detractors": 92, "margin_of_error": 4.1}');

-- Root cause: a task with a required field, completed without it, then with it.
SELECT (nps.complete_task(id)).status FROM nps.tasks WHERE run_id = :cycle AND key = 'confirm_causes';
SELECT nps.complete_task(id) FROM nps.tasks WHERE run_id = :cycle AND key = 'themes';
\echo :LAST_ERROR_SQLSTATE
SELECT nps.complete_task(id, '{"summary": 42}') FROM nps.tasks WHERE run_id = :cycle AND key = 'themes';
\echo :LAST_ERROR_SQLSTATE
SELECT (nps.complete_task(id, '{"summary": "exports are slow; onboarding too long"}')).status
FROM nps.tasks WHERE run_id = :cycle AND key = 'themes';
SELECT key, status FROM nps.steps WHERE run_id = :cycle ORDER BY position;

-- Action plan: an approval gate. It cannot be completed directly, only approved.
SELECT (nps.complete_task(id, '{"plan_items": 7}')).status FROM nps.tasks WHERE step_id = :plan;
SELECT status FROM nps.steps WHERE id = :plan;
SELECT nps.complete_step(:plan);
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.steps SET status = 'done' WHERE id = :plan;
\echo :LAST_ERROR_SQLSTATE
SELECT nps.skip_step(:plan, 'no time');
\echo :LAST_ERROR_SQLSTATE
SELECT id AS approval1, status, required_role, requested_by FROM nps.request_approval(:plan, 'Plan v1') \gset
SELECT :'status' AS status, :'required_role' AS required_role, :'requested_by' AS requested_by;
SELECT nps.request_approval(:plan);
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM nps.steps WHERE id = :plan;
-- The requester cannot decide, even as a member of the role; a direct status change is refused.
RESET ROLE;
GRANT nps_approver TO wf_carol;
SET ROLE wf_carol;
SELECT nps.decide(:approval1, 'approve');
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.approvals SET status = 'approved' WHERE id = :approval1;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE nps_approver FROM wf_carol;
-- A CSM outside the approval role cannot decide.
SET ROLE wf_alice;
SELECT nps.decide(:approval1, 'approve');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- The approver sees it, rejects without a reason (refused), then with one: revise & resubmit.
SET ROLE wf_bob;
SELECT approval_id = :approval1 AS listed, step, requested_by FROM nps.pending_approvals;
SELECT nps.decide(:approval1, 'reject');
\echo :LAST_ERROR_SQLSTATE
SELECT status, rejections FROM nps.decide(:approval1, 'reject', 'No owner for the onboarding fix');
SELECT nps.decide(:approval1, 'approve');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS decisions FROM nps.approval_decisions WHERE approval_id = :approval1;
UPDATE nps.approval_decisions SET decision = 'approve' WHERE approval_id = :approval1;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Not even the superuser rewrites a decision.
UPDATE nps.approval_decisions SET decision = 'approve' WHERE approval_id = :approval1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.approval_decisions WHERE approval_id = :approval1;
\echo :LAST_ERROR_SQLSTATE
SELECT status, rejection_reason FROM nps.steps WHERE id = :plan;
SET ROLE wf_carol;
SELECT id AS approval2 FROM nps.request_approval(:plan, 'Plan v2: onboarding fix owned by wf_alice') \gset
RESET ROLE;
SET ROLE wf_bob;
SET nps.actor = 'lead@example.com';
SELECT status, approvals FROM nps.decide(:approval2, 'approve');
RESET nps.actor;
SELECT approver, actor, decision FROM nps.approval_decisions WHERE approval_id = :approval2;
RESET ROLE;
SELECT key, status, completed_by FROM nps.steps WHERE run_id = :cycle ORDER BY position;

-------------------------------------------------------------------------------
-- Detractor projects: child runs owned by the cycle owner, tasks for the account's CSM
-------------------------------------------------------------------------------
SET ROLE wf_carol;
SELECT id AS project FROM nps.start_run('NPS Detractor', subject => '{"type": "response", "id": "r-17", "csm": "wf_alice"}',
                                        parent_run => :cycle, title => 'Detractor r-17') \gset
SELECT nps.start_run('NPS Detractor', subject => '{"type": "response", "id": "r-18"}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_run('NPS Detractor', subject => '{"csm": "wf_nobody"}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_run('NPS Detractor', owner => 'wf_nobody', subject => '{"csm": "wf_alice"}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS runs FROM nps.runs;
RESET ROLE;
SET ROLE wf_alice;
SELECT title, step, actionable FROM nps.my_tasks WHERE run_id = :project ORDER BY task_id;
-- Completing a task of a pending step is out of order.
SELECT nps.complete_task(id, '{"outcome": "resolved"}') FROM nps.tasks WHERE run_id = :project AND key = 'call';
\echo :LAST_ERROR_SQLSTATE
SELECT (nps.complete_task(id, '{"channel": "phone"}')).status FROM nps.tasks WHERE run_id = :project AND key = 'first_contact';
SELECT nps.complete_task(id, '{"channel": "carrier pigeon"}') FROM nps.tasks WHERE run_id = :project AND key = 'review';
\echo :LAST_ERROR_SQLSTATE
SELECT nps.complete_task(id, '{"mood": "grumpy"}') FROM nps.tasks WHERE run_id = :project AND key = 'review';
\echo :LAST_ERROR_SQLSTATE
SELECT (nps.save_task(id, '{"summary": "exports time out"}', 'draft')).fields FROM nps.tasks WHERE run_id = :project AND key = 'review';
SELECT (nps.complete_task(id)).status FROM nps.tasks WHERE run_id = :project AND key = 'review';
-- Reassign a task to a colleague; it leaves wf_alice's view.
SELECT (nps.reassign_task(id, 'wf_carol', 'Carol knows the exports team')).owner FROM nps.tasks WHERE run_id = :project AND key = 'confirm_fix';
SELECT count(*) AS my_open FROM nps.my_tasks WHERE run_id = :project;
-- She still sees what she handed over, but can no longer change it.
SELECT owner, previous_owner FROM nps.tasks WHERE run_id = :project AND key = 'confirm_fix';
SELECT nps.complete_task(id, '{"fix": "2.4"}') FROM nps.tasks WHERE run_id = :project AND key = 'confirm_fix';
\echo :LAST_ERROR_SQLSTATE
SELECT (nps.complete_task(id, '{"outcome": "plan_agreed"}')).status FROM nps.tasks WHERE run_id = :project AND key = 'call';
SELECT (nps.complete_task(id, '{"notes": "Agreed to ship the export fix in 2.4"}')).status FROM nps.tasks WHERE run_id = :project AND key = 'log';
-- A done task is final.
SELECT nps.save_task(id, '{"notes": "rewrite history"}') FROM nps.tasks WHERE run_id = :project AND key = 'log';
\echo :LAST_ERROR_SQLSTATE
-- The CSM may not cancel a task or skip a step of a run they do not own.
SELECT nps.skip_step(id, 'client unreachable') FROM nps.steps WHERE run_id = :project AND key = 'feedback';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE wf_carol;
SELECT (nps.complete_task(id, '{"fix": "release 2.4"}')).status FROM nps.tasks WHERE run_id = :project AND key = 'confirm_fix';
SELECT nps.skip_step(id, '') FROM nps.steps WHERE run_id = :project AND key = 'feedback';
\echo :LAST_ERROR_SQLSTATE
SELECT status, skip_reason FROM nps.skip_step((SELECT id FROM nps.steps WHERE run_id = :project AND key = 'feedback'), 'client asked not to be surveyed again');
SELECT status FROM nps.runs WHERE id = :project;
SELECT steps_finished, steps_total, milestone_pct, tasks_done, tasks_total FROM nps.run_progress WHERE run_id = :project;
-- Editing a finished run is refused.
UPDATE nps.runs SET title = 'renamed' WHERE id = :project;
\echo :LAST_ERROR_SQLSTATE
SELECT nps.cancel_run(:project, 'too late');
\echo :LAST_ERROR_SQLSTATE
-- The template version a run used can no longer change.
RESET ROLE;
UPDATE nps.templates SET definition = definition || '{"description": "changed"}'
WHERE id = (SELECT template_id FROM nps.runs WHERE id = :project);
\echo :LAST_ERROR_SQLSTATE
-- Structure comes only from templates.
INSERT INTO nps.steps (run_id, position, key, name) VALUES (:cycle, 99, 'extra', 'Extra');
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.steps SET checkpoint = false WHERE id = :intake;
\echo :LAST_ERROR_SQLSTATE

-------------------------------------------------------------------------------
-- Cancelling a run cancels its open tasks; views for analysts
-------------------------------------------------------------------------------
SET ROLE wf_carol;
SELECT id AS esc FROM nps.start_run('Client Escalation', subject => '{"type": "account", "id": "acme", "csm": "wf_alice"}') \gset
SELECT nps.cancel_run(:esc, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT status, cancel_reason FROM nps.cancel_run(:esc, 'duplicate of ticket 991');
SELECT status, count(*) FROM nps.tasks WHERE run_id = :esc GROUP BY status;
SELECT nps.complete_step(id, '{"severity": "sev2", "impact": "all users"}') FROM nps.steps WHERE run_id = :esc AND position = 1;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE wf_erin;
SELECT template, status, steps_finished, steps_total FROM nps.run_progress ORDER BY run_id;
SELECT count(*) FROM nps.tasks;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Overdue: move a due date into the past as the run owner; the SLA board shows it.
SET ROLE wf_carol;
UPDATE nps.tasks SET due_at = now() - interval '1 day' WHERE run_id = :cycle AND key = 'track_projects';
SELECT title, overdue_by > interval '23 hours' AS late FROM nps.overdue_tasks WHERE run_id = :cycle;
RESET ROLE;
-- A task owner cannot move their own SLA; the run's owner can.
SET ROLE wf_carol;
SELECT id AS project2 FROM nps.start_run('NPS Detractor', subject => '{"type": "response", "id": "r-19", "csm": "wf_alice"}',
                                         parent_run => :cycle) \gset
RESET ROLE;
SET ROLE wf_alice;
UPDATE nps.tasks SET due_at = now() + interval '1 year' WHERE run_id = :project2 AND key = 'first_contact';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS my_overdue FROM nps.my_tasks WHERE run_id = :project2 AND overdue;
RESET ROLE;
SELECT steps_finished, steps_total, current_step, tasks_total FROM nps.run_progress WHERE run_id = :project2;

-- The cycle closes: outreach done, the close step verified with evidence and approved by a
-- second approver.
SET ROLE wf_carol;
SELECT (nps.complete_task(id)).status FROM nps.tasks WHERE run_id = :cycle AND key = 'track_projects';
SELECT (nps.complete_task(id)).status FROM nps.tasks WHERE run_id = :cycle AND key IN ('verify_items', 'report') ORDER BY id;
SELECT id AS close_step FROM nps.steps WHERE run_id = :cycle AND key = 'close' \gset
SELECT nps.request_approval(:close_step);
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM nps.record_evidence(:close_step, '{"verified_items": 7, "report": "https://wiki.example.com/nps/2030-q4"}');
SELECT id AS approval3 FROM nps.request_approval(:close_step, 'Cycle report') \gset
RESET ROLE;
SET ROLE wf_dave;
SELECT status FROM nps.decide(:approval3, 'approve');
RESET ROLE;
SELECT status, steps_finished, steps_total, milestone_pct FROM nps.run_progress WHERE run_id = :cycle;

-- Every shipped template runs end to end: the run owner (wf_carol) finishes each step's tasks with
-- values of the declared types and records its evidence; approval gates go to wf_bob.
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
    SET ROLE wf_carol;
    r := nps.start_run(template, subject => '{"type": "account", "id": "demo", "csm": "wf_alice"}');
    LOOP
        SELECT * INTO s FROM nps.steps x WHERE x.run_id = r.id AND x.status = 'active' ORDER BY x.position LIMIT 1;
        EXIT WHEN NOT FOUND;
        FOR t IN SELECT * FROM nps.tasks x WHERE x.step_id = s.id AND x.status = 'open' ORDER BY x.position LOOP
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
            SET ROLE wf_bob;
            PERFORM nps.decide(a.id, 'approve');
            RESET ROLE;
            SET ROLE wf_carol;
        END IF;
    END LOOP;
    RESET ROLE;
    RETURN QUERY SELECT count(*) FILTER (WHERE x.status = 'done'), count(x.approval_role), rr.status
                 FROM nps.steps x JOIN nps.runs rr ON rr.id = x.run_id WHERE x.run_id = r.id GROUP BY rr.status;
END $$;
SELECT t.name, d.* FROM nps.templates t, pg_temp.drive(t.name) d WHERE t.version = 1 ORDER BY t.id;

-- Business-day SLA maths with the holiday table: Tue 2030-12-24 + 1 business day skips Christmas.
SELECT nps.due_at('2030-12-24 10:00+00', days => 1, business => true) AS after_christmas;
SELECT nps.due_at('2030-12-27 10:00+00', days => 1, business => true) AS friday_to_monday;
SELECT nps.due_at('2030-12-27 10:00+00', days => 1) AS calendar_day;

-- A skipped step's open tasks were cancelled with it, with the skip's reason: none is left open
-- in a skipped step or a finished run.
SELECT count(*) AS open_tasks_left_behind FROM nps.tasks t JOIN nps.steps s ON s.id = t.step_id JOIN nps.runs r ON r.id = t.run_id
WHERE t.status = 'open' AND (s.status = 'skipped' OR r.status <> 'active');
SELECT DISTINCT left(t.cancel_reason, 13) AS reason, s.open_tasks FROM nps.tasks t JOIN nps.steps s ON s.id = t.step_id
WHERE s.status = 'skipped' AND t.status = 'cancelled';
