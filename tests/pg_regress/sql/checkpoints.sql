-- A run of the cycle template, gate by gate: checkpoints are never skipped, steps run in order,
-- evidence is complete and typed, an approval gate completes only by decisions.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- A bare run of "NPS Survey & Action Plan" (no cycle: the cycle's hooks stand aside), owned by
-- the CSM lead r_lead.
SET ROLE r_lead;
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

-- Another CSM does not even see r_lead's tasks (row-level security).
RESET ROLE;
SET ROLE r_ava;
SELECT count(*) AS visible_tasks FROM nps.tasks WHERE run_id = :cycle;
SELECT nps.complete_task(id) FROM nps.tasks WHERE run_id = :cycle LIMIT 1;
SELECT nps.complete_task(999999);
\echo :LAST_ERROR_SQLSTATE
SELECT nps.complete_task(NULL);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT id AS headline_task FROM nps.tasks WHERE step_id = :segmentation \gset
SET ROLE r_ava;
SELECT nps.complete_task(:headline_task);
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.tasks SET status = 'done' WHERE id = :headline_task;
RESET ROLE;
SELECT status FROM nps.tasks WHERE id = :headline_task;

SET ROLE r_lead;
SELECT (nps.complete_task(:headline_task)).status;
-- Another CSM cannot record the evidence of a run they do not own.
RESET ROLE;
SET ROLE r_ava;
SELECT nps.complete_step(:segmentation, '{"nps": 31, "promoters": 200, "passives": 120, "detractors": 92}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_lead;
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
-- A direct status change is refused (approvals.sql tries every other way around the gate).
UPDATE nps.approvals SET status = 'approved' WHERE id = :approval1;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- A CSM outside the approval role cannot decide.
SET ROLE r_ava;
SELECT nps.decide(:approval1, 'approve');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- The approver sees it, rejects without a reason (refused), then with one: revise & resubmit.
SET ROLE r_appr1;
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
SET ROLE r_lead;
SELECT id AS approval2 FROM nps.request_approval(:plan, 'Plan v2: onboarding fix owned by Ava') \gset
RESET ROLE;
SET ROLE r_appr1;
SELECT status, approvals FROM nps.decide(:approval2, 'approve');
SELECT approver, decision FROM nps.approval_decisions WHERE approval_id = :approval2;
RESET ROLE;
SELECT key, status, completed_by FROM nps.steps WHERE run_id = :cycle ORDER BY position;
-- The cycle closes: outreach done, the close step verified with evidence and approved by a
-- second approver.
SET ROLE r_lead;
SELECT (nps.complete_task(id)).status FROM nps.tasks WHERE run_id = :cycle AND key = 'track_projects';
SELECT (nps.complete_task(id)).status FROM nps.tasks WHERE run_id = :cycle AND key IN ('verify_items', 'report') ORDER BY id;
SELECT id AS close_step FROM nps.steps WHERE run_id = :cycle AND key = 'close' \gset
SELECT nps.request_approval(:close_step);
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM nps.record_evidence(:close_step, '{"verified_items": 7, "report": "https://wiki.example.com/nps/2030-q4"}');
SELECT id AS approval3 FROM nps.request_approval(:close_step, 'Cycle report') \gset
RESET ROLE;
SET ROLE r_appr2;
SELECT status FROM nps.decide(:approval3, 'approve');
RESET ROLE;
SELECT status, steps_finished, steps_total, milestone_pct FROM nps.run_progress WHERE run_id = :cycle;
