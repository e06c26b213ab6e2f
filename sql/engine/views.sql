-- pg_nps workflow engine, views: my tasks, SLA breaches, pending approvals, run progress. Each
-- shows the person acting what is theirs: my_tasks and pending_approvals filter by
-- nps.current_person() as security barriers (a caller's own function in a WHERE clause sees
-- only the rows the filter let through); overdue_tasks and run_progress read with the caller's
-- rights (security_invoker), so row-level security decides.

CREATE OR REPLACE VIEW nps.my_tasks WITH (security_barrier = true) AS
SELECT t.id AS task_id, t.title, t.owner, t.queue, t.status, t.due_at,
       t.due_at < now() AS overdue,
       s.status = 'active' AS actionable,
       s.id AS step_id, s.name AS step, s.status AS step_status,
       r.id AS run_id, r.title AS run, tp.name AS template,
       t.fields_spec, t.fields
FROM nps.tasks t
JOIN nps.steps s ON s.id = t.step_id
JOIN nps.runs r ON r.id = t.run_id
JOIN nps.templates tp ON tp.id = r.template_id
CROSS JOIN (SELECT nps._person_or_null() AS me) p
WHERE t.status = 'open' AND r.status = 'active'
  AND (t.owner = p.me OR (t.owner IS NULL AND nps.has_role(p.me, t.queue)));
COMMENT ON VIEW nps.my_tasks IS 'Open tasks of active runs the person acting owns, and those waiting in the queue of a role they hold (claim them with nps.claim_task); actionable ones are in an active step.';
COMMENT ON COLUMN nps.my_tasks.task_id IS 'Task id (for nps.complete_task).';
COMMENT ON COLUMN nps.my_tasks.title IS 'Task title.';
COMMENT ON COLUMN nps.my_tasks.owner IS 'The person who owns the task (NULL: waiting in its queue).';
COMMENT ON COLUMN nps.my_tasks.queue IS 'The role whose people may claim it, for a task waiting in a queue.';
COMMENT ON COLUMN nps.my_tasks.status IS 'Task status (open).';
COMMENT ON COLUMN nps.my_tasks.due_at IS 'When the task is due.';
COMMENT ON COLUMN nps.my_tasks.actionable IS 'The task''s step is active, so the task can be completed now.';
COMMENT ON COLUMN nps.my_tasks.overdue IS 'Due date has passed.';
COMMENT ON COLUMN nps.my_tasks.step_id IS 'Id of the task''s step.';
COMMENT ON COLUMN nps.my_tasks.step IS 'Name of the task''s step.';
COMMENT ON COLUMN nps.my_tasks.step_status IS 'Status of the task''s step.';
COMMENT ON COLUMN nps.my_tasks.run_id IS 'Id of the task''s run.';
COMMENT ON COLUMN nps.my_tasks.run IS 'Title of the task''s run.';
COMMENT ON COLUMN nps.my_tasks.fields_spec IS 'The fields the task records; required ones must be filled to complete it.';
COMMENT ON COLUMN nps.my_tasks.fields IS 'Field values saved so far.';
COMMENT ON COLUMN nps.my_tasks.template IS 'Template of the task''s run.';

CREATE OR REPLACE VIEW nps.overdue_tasks WITH (security_invoker = true) AS
SELECT t.id AS task_id, t.title, t.owner, t.due_at, now() - t.due_at AS overdue_by,
       s.id AS step_id, s.name AS step, r.id AS run_id, r.title AS run, r.owner AS run_owner, tp.name AS template,
       (SELECT p.lead FROM nps.people p WHERE p.identity = r.owner) AS run_owner_lead
FROM nps.tasks t
JOIN nps.steps s ON s.id = t.step_id
JOIN nps.runs r ON r.id = t.run_id
JOIN nps.templates tp ON tp.id = r.template_id
WHERE t.status = 'open' AND r.status = 'active' AND t.due_at < now();
COMMENT ON VIEW nps.overdue_tasks IS 'SLA breaches: open tasks of active runs past their due date, among the tasks the caller may see.';
COMMENT ON COLUMN nps.overdue_tasks.task_id IS 'Task id.';
COMMENT ON COLUMN nps.overdue_tasks.title IS 'Task title.';
COMMENT ON COLUMN nps.overdue_tasks.owner IS 'The person who owns the task (NULL: waiting in its queue).';
COMMENT ON COLUMN nps.overdue_tasks.due_at IS 'When the task was due.';
COMMENT ON COLUMN nps.overdue_tasks.overdue_by IS 'How long past due.';
COMMENT ON COLUMN nps.overdue_tasks.step_id IS 'Id of the task''s step.';
COMMENT ON COLUMN nps.overdue_tasks.step IS 'Name of the task''s step.';
COMMENT ON COLUMN nps.overdue_tasks.run_id IS 'Id of the task''s run.';
COMMENT ON COLUMN nps.overdue_tasks.run IS 'Title of the task''s run.';
COMMENT ON COLUMN nps.overdue_tasks.run_owner IS 'Owner of the run.';
COMMENT ON COLUMN nps.overdue_tasks.run_owner_lead IS 'The run owner''s lead: who may move the due date (nps.move_due), and whom to escalate to.';
COMMENT ON COLUMN nps.overdue_tasks.template IS 'Template of the run.';

CREATE OR REPLACE VIEW nps.pending_approvals WITH (security_barrier = true) AS
SELECT a.id AS approval_id, a.required_role, a.min_approvers, a.approvals, a.requested_by, a.requested_at, a.note,
       s.id AS step_id, s.name AS step, s.evidence, s.rejection_reason,
       r.id AS run_id, r.title AS run, tp.name AS template
FROM nps.approvals a
JOIN nps.steps s ON s.id = a.step_id
JOIN nps.runs r ON r.id = a.run_id
JOIN nps.templates tp ON tp.id = r.template_id
CROSS JOIN (SELECT nps._person_or_null() AS me) p
WHERE a.status = 'pending'
  AND nps.has_role(p.me, a.required_role)
  AND a.requested_by <> p.me
  AND NOT EXISTS (SELECT 1 FROM nps.approval_decisions d WHERE d.approval_id = a.id AND d.approver = p.me);
COMMENT ON VIEW nps.pending_approvals IS 'Approval requests the person acting can decide: pending, for a role they hold, not their own request, not yet decided by them.';
COMMENT ON COLUMN nps.pending_approvals.approval_id IS 'Approval id (for nps.decide).';
COMMENT ON COLUMN nps.pending_approvals.required_role IS 'Role whose people decide.';
COMMENT ON COLUMN nps.pending_approvals.min_approvers IS 'Approvals needed, each by a different person.';
COMMENT ON COLUMN nps.pending_approvals.approvals IS 'Approvals so far, of min_approvers needed.';
COMMENT ON COLUMN nps.pending_approvals.requested_by IS 'The person who asked (they cannot decide).';
COMMENT ON COLUMN nps.pending_approvals.requested_at IS 'When it was asked.';
COMMENT ON COLUMN nps.pending_approvals.note IS 'Note of the requester.';
COMMENT ON COLUMN nps.pending_approvals.step_id IS 'Id of the step to approve.';
COMMENT ON COLUMN nps.pending_approvals.step IS 'Name of the step to approve.';
COMMENT ON COLUMN nps.pending_approvals.evidence IS 'Evidence the step recorded, for the approver to review.';
COMMENT ON COLUMN nps.pending_approvals.rejection_reason IS 'Reason of the previous rejection of this step, if it was resubmitted.';
COMMENT ON COLUMN nps.pending_approvals.run_id IS 'Id of the run.';
COMMENT ON COLUMN nps.pending_approvals.run IS 'Title of the run.';
COMMENT ON COLUMN nps.pending_approvals.template IS 'Template of the run.';

CREATE OR REPLACE VIEW nps.run_progress WITH (security_invoker = true) AS
SELECT r.id AS run_id, r.title, tp.name AS template, tp.version AS template_version, r.owner, r.status,
       r.parent_run_id, r.subject_type, r.subject_id, r.started_at, r.finished_at,
       st.total AS steps_total, st.finished AS steps_finished,
       round(100.0 * st.finished / nullif(st.total, 0), 1) AS milestone_pct,
       st.current_step, st.current_status,
       tk.total AS tasks_total, tk.done AS tasks_done, tk.overdue AS tasks_overdue
FROM nps.runs r
JOIN nps.templates tp ON tp.id = r.template_id
CROSS JOIN LATERAL (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE s.status IN ('done', 'skipped')) AS finished,
           (array_agg(s.name ORDER BY s.position) FILTER (WHERE s.status NOT IN ('done', 'skipped', 'pending')))[1]
               AS current_step,
           (array_agg(s.status ORDER BY s.position) FILTER (WHERE s.status NOT IN ('done', 'skipped', 'pending')))[1]
               AS current_status
    FROM nps.steps s WHERE s.run_id = r.id) st
CROSS JOIN LATERAL (
    SELECT count(*) AS total, count(*) FILTER (WHERE t.status = 'done') AS done,
           count(*) FILTER (WHERE t.status = 'open' AND t.due_at < now()) AS overdue
    FROM nps.tasks t WHERE t.run_id = r.id) tk;
COMMENT ON VIEW nps.run_progress IS 'Per run the caller may see: steps finished of total, milestone completion %, the current step, task counts and SLA breaches.';
COMMENT ON COLUMN nps.run_progress.run_id IS 'Run id.';
COMMENT ON COLUMN nps.run_progress.title IS 'Run title.';
COMMENT ON COLUMN nps.run_progress.template IS 'Template name.';
COMMENT ON COLUMN nps.run_progress.template_version IS 'Template version.';
COMMENT ON COLUMN nps.run_progress.owner IS 'The person who owns the run.';
COMMENT ON COLUMN nps.run_progress.status IS 'Run status: active, done or cancelled.';
COMMENT ON COLUMN nps.run_progress.parent_run_id IS 'The run this one belongs to (e.g. its cycle).';
COMMENT ON COLUMN nps.run_progress.subject_type IS 'Kind of subject.';
COMMENT ON COLUMN nps.run_progress.subject_id IS 'Identifier of the subject.';
COMMENT ON COLUMN nps.run_progress.started_at IS 'When the run started.';
COMMENT ON COLUMN nps.run_progress.finished_at IS 'When the run finished.';
COMMENT ON COLUMN nps.run_progress.steps_total IS 'Steps of the run.';
COMMENT ON COLUMN nps.run_progress.steps_finished IS 'Steps done or skipped.';
COMMENT ON COLUMN nps.run_progress.milestone_pct IS 'Steps done or skipped as a percentage of all steps.';
COMMENT ON COLUMN nps.run_progress.current_step IS 'The step being worked on (active or awaiting approval); NULL when the run is finished.';
COMMENT ON COLUMN nps.run_progress.current_status IS 'Status of the current step: active or awaiting_approval.';
COMMENT ON COLUMN nps.run_progress.tasks_total IS 'Tasks of the run.';
COMMENT ON COLUMN nps.run_progress.tasks_done IS 'Tasks completed (cancelled ones are not counted).';
COMMENT ON COLUMN nps.run_progress.tasks_overdue IS 'Open tasks past their due date.';
