-- After ALTER EXTENSION pg_nps UPDATE from 0.2.0 (tests/upgrade/data-0.2.0.sql): the old data
-- under 0.3.0's rules. The people come from the roles the old rows named; the work goes on.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- Every role an old row named is a person now: active when it is a person's login, inactive
-- for a capability role (the trail still names it, nobody acts as it).
SELECT identity, active, application FROM nps.people ORDER BY identity;
SELECT r.owner, count(*) AS runs FROM nps.runs r GROUP BY r.owner ORDER BY 1;
-- Every response has a pseudonym; analysts read them, not the addresses.
SELECT count(*) AS responses, count(DISTINCT pseudonym) AS respondents FROM nps.responses;
SET ROLE lp_analyst;
SELECT count(*) AS facts, count(*) FILTER (WHERE respondent_key LIKE '%@%') AS addresses FROM nps.response_facts;
RESET ROLE;
-- The cycle template is plugged in; the shipped templates are 0.3.0's.
SELECT step_key, point, handler FROM nps.hooks WHERE template = 'NPS Survey & Action Plan' ORDER BY step_key, point, position;
SELECT f ->> 'min' AS min, f ->> 'max' AS max FROM nps.templates t, jsonb_array_elements(t.definition -> 'steps') s,
    jsonb_array_elements(s -> 'tasks') k, jsonb_array_elements(k -> 'fields') f
WHERE t.name = 'NPS Detractor' AND t.version = 1 AND f ->> 'name' = 'resurvey_score';

-- What upgrades.md asks of an administrator after the update: register the leads (a cycle's
-- owner records the responses of their own team's accounts only).
SET ROLE lp_admin;
UPDATE nps.people SET lead = 'lp_lead' WHERE identity IN ('lp_csm1', 'lp_csm2');
SELECT identity, lead FROM nps.people WHERE lead IS NOT NULL ORDER BY identity;
RESET ROLE;
-- 0.3.0's rules on the old data: a comment over 20000 characters, a response after the close.
SET ROLE lp_lead;
SELECT nps.record_response('W3', 'LP-1', 'long@northwind.example', 5, repeat('x', 20001), responded_at => '2025-07-04Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('W1', 'LP-1', 'late@northwind.example', 5, responded_at => '2025-01-04Z');
\echo :LAST_ERROR_SQLSTATE
-- The open cycle takes a response; the response-fired playbook starts its run for the CSM.
SELECT segment FROM nps.record_response('W3', 'LP-3', 'new@fabrikam.example', 2, 'after the update', responded_at => '2025-07-05Z');
RESET ROLE;
SELECT x.owner, x.title FROM nps.playbook_runs pb JOIN nps.responses r ON r.id = pb.response_id JOIN nps.runs x ON x.id = pb.run_id
WHERE r.respondent = 'new@fabrikam.example';
-- Four eyes between persons: the lead holds nps_approver too, and still cannot approve their
-- own request; the director can.
SET ROLE lp_admin;
SELECT name FROM nps.import_template('{"name": "Upgrade gate", "steps": [{"key": "gate", "name": "Gate", "approval": {"role": "nps_approver"}}]}');
RESET ROLE;
SET ROLE lp_lead;
SELECT id AS run FROM nps.start_run('Upgrade gate') \gset
SELECT id AS approval FROM nps.request_approval((SELECT id FROM nps.steps WHERE run_id = :run)) \gset
SELECT nps.decide(:approval, 'approve');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE lp_director;
SELECT status, approvals FROM nps.decide(:approval, 'approve');
RESET ROLE;
-- A capability role is no person after the update either.
SET ROLE nps_csm;
SELECT nps.start_run('Client Escalation', subject => '{"csm": "lp_csm1"}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- The rollups rebuild from the old responses; verification recomputes them.
SET ROLE lp_admin;
SELECT nps.rebuild_rollups() > 0 AS rebuilt;
RESET ROLE;
SELECT chain, ok FROM nps.verify_audit() WHERE chain LIKE 'derived:%';
