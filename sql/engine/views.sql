-- pg_nps workflow engine, views: my tasks, SLA breaches, pending approvals, run progress.

-------------------------------------------------------------------------------------------------
-- Views
-------------------------------------------------------------------------------------------------
CREATE VIEW nps.my_tasks AS
SELECT t.id AS task_id, t.title, t.owner, t.status, t.due_at,
       t.due_at < now() AS overdue,
       s.status = 'active' AS actionable,
       s.id AS step_id, s.name AS step, s.status AS step_status,
       r.id AS run_id, r.title AS run, tp.name AS template,
       t.fields_spec, t.fields
FROM nps.tasks t
JOIN nps.steps s ON s.id = t.step_id
JOIN nps.runs r ON r.id = t.run_id
JOIN nps.templates tp ON tp.id = r.template_id
WHERE t.status = 'open' AND r.status = 'active' AND pg_has_role(current_user, t.owner, 'MEMBER');
COMMENT ON VIEW nps.my_tasks IS 'Open tasks of active runs owned by the current role (or a role it belongs to), actionable ones being in an active step.';
COMMENT ON COLUMN nps.my_tasks.actionable IS 'The task''s step is active, so the task can be completed now.';
COMMENT ON COLUMN nps.my_tasks.overdue IS 'Due date has passed.';
COMMENT ON COLUMN nps.my_tasks.fields_spec IS 'The fields the task records; required ones must be filled to complete it.';
COMMENT ON COLUMN nps.my_tasks.fields IS 'Field values saved so far.';
COMMENT ON COLUMN nps.my_tasks.template IS 'Template of the task''s run.';

CREATE VIEW nps.overdue_tasks AS
SELECT t.id AS task_id, t.title, t.owner, t.due_at, now() - t.due_at AS overdue_by,
       s.id AS step_id, s.name AS step, r.id AS run_id, r.title AS run, r.owner AS run_owner, tp.name AS template
FROM nps.tasks t
JOIN nps.steps s ON s.id = t.step_id
JOIN nps.runs r ON r.id = t.run_id
JOIN nps.templates tp ON tp.id = r.template_id
WHERE t.status = 'open' AND r.status = 'active' AND t.due_at < now();
COMMENT ON VIEW nps.overdue_tasks IS 'SLA breaches: open tasks of active runs past their due date, across all owners.';
COMMENT ON COLUMN nps.overdue_tasks.overdue_by IS 'How long past due.';
COMMENT ON COLUMN nps.overdue_tasks.run_owner IS 'Owner of the run: who to escalate a breach to.';

CREATE VIEW nps.pending_approvals AS
SELECT a.id AS approval_id, a.required_role, a.min_approvers, a.approvals, a.requested_by, a.requested_at, a.note,
       s.id AS step_id, s.name AS step, s.evidence, s.rejection_reason,
       r.id AS run_id, r.title AS run, tp.name AS template
FROM nps.approvals a
JOIN nps.steps s ON s.id = a.step_id
JOIN nps.runs r ON r.id = a.run_id
JOIN nps.templates tp ON tp.id = r.template_id
WHERE a.status = 'pending'
  AND pg_has_role(current_user, a.required_role, 'MEMBER')
  AND a.requested_by <> current_user
  AND NOT EXISTS (SELECT 1 FROM nps.approval_decisions d WHERE d.approval_id = a.id AND d.approver = current_user);
COMMENT ON VIEW nps.pending_approvals IS 'Approval requests the current role can decide: pending, for a role it belongs to, not its own, not yet decided by it.';
COMMENT ON COLUMN nps.pending_approvals.approvals IS 'Approvals so far, of min_approvers needed.';
COMMENT ON COLUMN nps.pending_approvals.evidence IS 'Evidence the step recorded, for the approver to review.';
COMMENT ON COLUMN nps.pending_approvals.rejection_reason IS 'Reason of the previous rejection of this step, if it was resubmitted.';

CREATE VIEW nps.run_progress AS
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
COMMENT ON VIEW nps.run_progress IS 'Per run: steps finished of total, milestone completion %, the current step, task counts and SLA breaches.';
COMMENT ON COLUMN nps.run_progress.milestone_pct IS 'Steps done or skipped as a percentage of all steps.';
COMMENT ON COLUMN nps.run_progress.current_step IS 'The step being worked on (active or awaiting approval); NULL when the run is finished.';
COMMENT ON COLUMN nps.run_progress.tasks_overdue IS 'Open tasks past their due date.';
COMMENT ON COLUMN nps.run_progress.steps_finished IS 'Steps done or skipped.';
COMMENT ON COLUMN nps.run_progress.current_status IS 'Status of the current step: active or awaiting_approval.';
COMMENT ON COLUMN nps.run_progress.tasks_done IS 'Tasks completed (cancelled ones are not counted).';
