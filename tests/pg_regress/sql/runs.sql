-- Runs: who starts one for whom, what may nest under what, who may retitle, hand over or
-- cancel one, and what each role sees of them.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- A person starts runs for themself; their lead or an nps_admin for someone else.
SET ROLE r_ava;
SELECT id AS mine, owner, started_by FROM nps.start_run('Client Escalation', subject => '{"csm": "r_ava"}') \gset
SELECT :'owner' AS owner, :'started_by' AS started_by;
SELECT nps.start_run('Client Escalation', owner => 'r_ben', subject => '{"csm": "r_ben"}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_lead;
SELECT owner, started_by FROM nps.start_run('Client Escalation', owner => 'r_ben', subject => '{"csm": "r_ben"}');
RESET ROLE;
-- A superuser acting as itself is no person: it starts runs for people, never for itself.
SELECT nps.start_run('Client Escalation', subject => '{"csm": "r_ava"}');
\echo :LAST_ERROR_SQLSTATE

-- Nesting: only under a run one manages, never under a finished one, never under itself.
SET ROLE r_ben;
SELECT nps.start_run('NPS Detractor', parent_run => :mine, subject => '{"csm": "r_ben"}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_ava;
SELECT id AS child, parent_run_id = :mine AS nested FROM nps.start_run('NPS Detractor', parent_run => :mine, subject => '{"csm": "r_ava"}') \gset
SELECT :'nested' AS nested;
UPDATE nps.runs SET parent_run_id = id WHERE id = :child;
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_run('NPS Detractor', parent_run => 424242, subject => '{"csm": "r_ava"}');
\echo :LAST_ERROR_SQLSTATE
-- Retitling, handing over and cancelling are the owner's (or an nps_admin's).
RESET ROLE;
-- Ben sees Ava's escalation (its analysis waits in the CSMs' queue), and may not retitle it.
SET ROLE r_ben;
SELECT count(*) AS ben_sees_avas_run FROM nps.runs WHERE id = :mine;
UPDATE nps.runs SET title = 'Ben was here' WHERE id = :mine;
RESET ROLE;
SET ROLE r_lead;
SELECT * FROM regress.error_of(format($$UPDATE nps.runs SET title = 'Lead was here' WHERE id = %s$$, :mine));
RESET ROLE;
SET ROLE r_ava;
UPDATE nps.runs SET title = E'Escalation: Acme\nsecond line' WHERE id = :mine;
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.runs SET title = 'Escalation: Acme exports' WHERE id = :mine RETURNING title;
UPDATE nps.runs SET owner = 'r_stranger' WHERE id = :mine;
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.runs SET owner = 'r_ben' WHERE id = :child RETURNING owner;
SELECT count(*) AS ava_still_sees_what_she_gave FROM nps.runs WHERE id = :child;
-- Cancelling needs a reason of more than blanks; it cancels the open tasks.
SELECT nps.cancel_run(:mine, E'\u200b\u00a0');
\echo :LAST_ERROR_SQLSTATE
SELECT status, cancel_reason FROM nps.cancel_run(:mine, 'duplicate of ticket 991');
SELECT status, count(*) FROM nps.tasks WHERE run_id = :mine GROUP BY status;
SELECT nps.complete_step(id, '{"severity": "sev2", "impact": "all users"}') FROM nps.steps WHERE run_id = :mine AND position = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.runs WHERE id = :mine;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- What each role sees of a run nobody else works on: its owner, the owner's leads up the line,
-- auditors and admins; not another CSM, nor an approver outside the line. Analysts read no runs
-- (they read the BI views).
SET ROLE r_ava;
SELECT title FROM nps.start_run('NPS Detractor', subject => '{"csm": "r_ava"}', title => 'Ava only');
RESET ROLE;
SET ROLE r_ava;
SELECT 'r_ava' AS person, count(*) FILTER (WHERE title = 'Ava only') AS sees_it FROM nps.runs;
RESET ROLE;
SET ROLE r_ben;
SELECT 'r_ben' AS person, count(*) FILTER (WHERE title = 'Ava only') AS sees_it FROM nps.runs;
RESET ROLE;
SET ROLE r_lead;
SELECT 'r_lead' AS person, count(*) FILTER (WHERE title = 'Ava only') AS sees_it FROM nps.runs;
RESET ROLE;
SET ROLE r_appr1;
SELECT 'r_appr1' AS person, count(*) FILTER (WHERE title = 'Ava only') AS sees_it FROM nps.runs;
RESET ROLE;
SET ROLE r_auditor;
SELECT 'r_auditor' AS person, count(*) FILTER (WHERE title = 'Ava only') AS sees_it FROM nps.runs;
RESET ROLE;
SET ROLE r_appr2;
SELECT 'r_appr2' AS person, count(*) FILTER (WHERE title = 'Ava only') AS sees_it FROM nps.runs;
RESET ROLE;
SET ROLE r_admin;
SELECT 'r_admin' AS person, count(*) FILTER (WHERE title = 'Ava only') AS sees_it FROM nps.runs;
RESET ROLE;
SET ROLE r_analyst;
SELECT count(*) FROM nps.runs;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM nps.run_progress;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
