-- SLAs: due dates in business days from the moment a step starts, and who may move one: the
-- run owner's lead (up the line) or an nps_admin, always with a reason; never the task's owner
-- or the run's owner.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- Business-day maths with the holiday table: Tue 2030-12-24 + 1 business day skips Christmas.
INSERT INTO nps.holidays VALUES ('2030-12-25', 'Christmas');
SELECT nps.due_at('2030-12-24 10:00+00', days => 1, business => true) AS after_christmas;
SELECT nps.due_at('2030-12-27 10:00+00', days => 1, business => true) AS friday_to_monday;
SELECT nps.due_at('2030-12-27 10:00+00', days => 1) AS calendar_day;
SELECT nps.due_at('294270-01-01 00:00+00', days => 1000000);
\echo :LAST_ERROR_SQLSTATE
SELECT nps.due_at('2030-12-27 10:00+00', days => -1);
\echo :LAST_ERROR_SQLSTATE

SET ROLE r_ava;
SELECT id AS project FROM nps.start_run('NPS Detractor', subject => '{"csm": "r_ava"}') \gset
SELECT id AS contact, due_at IS NOT NULL AS has_sla FROM nps.tasks WHERE run_id = :project AND key = 'first_contact' \gset
SELECT :'has_sla' AS has_sla;
-- The task's owner (who is also the run's owner here) cannot push their own SLA out.
SELECT nps.move_due(:contact, now() + interval '1 year', 'more time');
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.tasks SET due_at = now() + interval '1 year' WHERE id = :contact;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Another CSM does not even reach it.
SET ROLE r_ben;
SELECT nps.move_due(:contact, now() + interval '1 year', 'more time');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- The owner's lead may, with a reason of more than blanks; the reason stays with the task.
SET ROLE r_lead;
SELECT nps.move_due(:contact, now() + interval '3 days', E' \t');
\echo :LAST_ERROR_SQLSTATE
SELECT due_at > now() + interval '2 days' AS moved, due_reason FROM nps.move_due(:contact, now() + interval '3 days', 'Customer on holiday until Thursday');
RESET ROLE;
-- And so may the lead's lead, and an nps_admin.
SET ROLE r_appr1;
SELECT due_reason FROM nps.move_due(:contact, now() - interval '1 day', 'Escalated: contact today');
-- A due date moves to another date, never away: a task without one would count as met in time.
UPDATE nps.tasks SET due_at = NULL, due_reason = 'no deadline' WHERE id = :contact;
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.tasks SET due_at = 'infinity', due_reason = 'some day' WHERE id = :contact;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- The SLA board: the owner and their lead see it overdue.
SET ROLE r_ava;
SELECT title, owner, run_owner_lead, overdue_by > interval '23 hours' AS late FROM nps.overdue_tasks WHERE run_id = :project;
SELECT count(*) AS my_overdue FROM nps.my_tasks WHERE run_id = :project AND overdue;
RESET ROLE;
-- The trail keeps every move with its reason.
SELECT who, regexp_replace(changes, '\d{4}-\d\d-\d\dT[^ ;]*', '…', 'g') AS changes, reason FROM nps.run_history(:project)
WHERE object LIKE 'task%' AND changes LIKE '%due_at%' ORDER BY pos;
