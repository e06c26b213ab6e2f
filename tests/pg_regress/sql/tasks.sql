-- Tasks: owners from the template's rules, required and typed fields, drafts, hand-over, and
-- what a task's owner may and may not do in a run they do not own.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- A detractor project: a child run owned by the lead, its tasks for the account's CSM (the
-- subject names them); owners are registered, active people.
SET ROLE r_lead;
SELECT id AS cycle FROM nps.start_run('NPS Survey & Action Plan', title => 'Parent of the projects') \gset
SELECT id AS project FROM nps.start_run('NPS Detractor', subject => '{"type": "response", "id": "r-17", "csm": "r_ava"}',
                                        parent_run => :cycle, title => 'Detractor r-17') \gset
SELECT nps.start_run('NPS Detractor', subject => '{"type": "response", "id": "r-18"}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_run('NPS Detractor', subject => '{"csm": "r_stranger"}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_run('NPS Detractor', owner => 'r_stranger', subject => '{"csm": "r_ava"}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_run('NPS Detractor', subject => '{"csm": "r_gone"}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_run('NPS Detractor', subject => '{"csm": "nps_csm"}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS runs FROM nps.runs;
RESET ROLE;
SET ROLE r_ava;
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
-- Reassign a task to a colleague; it leaves r_ava's view.
SELECT (nps.reassign_task(id, 'r_lead', 'Lee knows the exports team')).owner FROM nps.tasks WHERE run_id = :project AND key = 'confirm_fix';
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
SET ROLE r_lead;
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
RESET ROLE;
-- A task of a queue waits for a person holding the role, who claims it.
SET ROLE r_admin;
SELECT name FROM nps.import_template('{"name": "Queued", "steps": [{"key": "s", "name": "S",
    "tasks": [{"key": "q", "title": "Triage", "owner": {"role": "nps_approver"}}]}]}');
RESET ROLE;
SET ROLE r_ava;
SELECT id AS queued FROM nps.start_run('Queued') \gset
SELECT owner, queue FROM nps.tasks WHERE run_id = :queued;
SELECT nps.claim_task(id) FROM nps.tasks WHERE run_id = :queued;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_appr2;
SELECT title, owner, queue FROM nps.my_tasks WHERE run_id = :queued;
SELECT id AS queued_task FROM nps.tasks WHERE run_id = :queued \gset
SELECT owner FROM nps.claim_task(:queued_task);
RESET ROLE;
SET ROLE r_appr3;
SELECT * FROM regress.error_of(format('SELECT nps.claim_task(%s)', :'queued_task'));
SELECT count(*) AS visible FROM nps.tasks WHERE run_id = :queued;
RESET ROLE;
-- A direct UPDATE cannot take a task either.
SET ROLE r_ben;
UPDATE nps.tasks SET owner = 'r_ben' WHERE run_id = :queued;
SELECT count(*) AS taken FROM nps.tasks WHERE owner = 'r_ben' AND run_id = :queued;
RESET ROLE;

-- A skipped step's open tasks were cancelled with it, with the skip's reason: none is left open
-- in a skipped step or a finished run.
SELECT count(*) AS open_tasks_left_behind FROM nps.tasks t JOIN nps.steps s ON s.id = t.step_id JOIN nps.runs r ON r.id = t.run_id
WHERE t.status = 'open' AND (s.status = 'skipped' OR r.status <> 'active');
SELECT DISTINCT left(t.cancel_reason, 13) AS reason, s.open_tasks FROM nps.tasks t JOIN nps.steps s ON s.id = t.step_id
WHERE s.status = 'skipped' AND t.status = 'cancelled';

-- A reference field names a row of a permanent table (schema.table), and the row is looked up
-- with the rights of whoever fills the field: a row they cannot see does not count, and the key
-- type's code (here a cast Ben wrote) runs as Ben, never as the guard's owner.
SET ROLE r_admin;
SELECT * FROM regress.error_of($$SELECT nps.import_template('{"name": "Refs", "steps": [{"key": "s", "name": "S", "tasks":
  [{"key": "t", "title": "T", "fields": [{"name": "ticket", "type": "reference", "to": "tickets", "required": false}]}]}]}')$$);
RESET ROLE;
CREATE SCHEMA ben_crm AUTHORIZATION r_ben;
SET ROLE r_ben;
CREATE TYPE ben_crm.code AS ENUM ('t-1', 't-2');
CREATE FUNCTION ben_crm.code_text(ben_crm.code) RETURNS text LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RAISE WARNING 'the key''s cast runs as %', current_user; RETURN format('%s', $1); END $$;
CREATE CAST (ben_crm.code AS text) WITH FUNCTION ben_crm.code_text(ben_crm.code);
CREATE TABLE ben_crm.tickets (code ben_crm.code PRIMARY KEY);
INSERT INTO ben_crm.tickets VALUES ('t-1');
RESET ROLE;
SET ROLE r_admin;
SELECT name FROM nps.import_template('{"name": "Refs", "steps": [{"key": "s", "name": "S", "tasks":
  [{"key": "t", "title": "T", "fields": [{"name": "ticket", "type": "reference", "to": "ben_crm.tickets", "required": false},
                                         {"name": "account", "type": "reference", "to": "nps.accounts", "required": false}]}]}]}');
RESET ROLE;
SET ROLE r_ben;
SELECT id AS ref_run FROM nps.start_run('Refs', title => 'References') \gset
SELECT id AS ref_task FROM nps.tasks WHERE run_id = :ref_run \gset
SELECT (nps.save_task(:ref_task, '{"ticket": "t-1"}')).fields ->> 'ticket' AS ticket;
SELECT state FROM regress.error_of(format($$SELECT nps.save_task(%s, '{"ticket": "t-2"}')$$, :ref_task));
SELECT (nps.save_task(:ref_task, jsonb_build_object('account', (SELECT id FROM nps.accounts WHERE external_id = 'INITECH')))).fields ->> 'account' IS NOT NULL AS own_account;
RESET ROLE;
SELECT id AS acme FROM nps.accounts WHERE external_id = 'ACME' \gset
SET ROLE r_ben;
SELECT state FROM regress.error_of(format($$SELECT nps.save_task(%s, '{"account": %s}')$$, :ref_task, :acme));
RESET ROLE;
DROP SCHEMA ben_crm CASCADE;
