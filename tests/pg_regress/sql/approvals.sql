-- Four eyes: the requester never decides, by any identity; a quorum counts distinct persons;
-- decisions are final; rejections and withdrawals say why. Attempts by direct SQL, SET ROLE to
-- the group role, a person with two hats, and a pooled application for two end users.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SET ROLE r_admin;
SELECT name FROM nps.import_template('{"name": "Gate", "steps": [
    {"key": "one", "name": "One approver", "approval": {"role": "nps_approver", "min_approvers": 1}},
    {"key": "two", "name": "Two approvers", "approval": {"role": "nps_approver", "min_approvers": 2}}]}');
SELECT name FROM nps.import_template('{"name": "Quorum", "steps": [
    {"key": "two", "name": "Two approvers", "approval": {"role": "nps_approver", "min_approvers": 2}}]}');
RESET ROLE;

-- r_dual holds nps_csm and nps_approver: owner and requester of their own run.
SET ROLE r_dual;
SELECT id AS run FROM nps.start_run('Gate', title => 'Dual''s run') \gset
SELECT id AS one FROM nps.steps WHERE run_id = :run AND key = 'one' \gset
SELECT id AS two FROM nps.steps WHERE run_id = :run AND key = 'two' \gset
SELECT id AS a1, requested_by, status FROM nps.request_approval(:one, 'please') \gset
SELECT :'requested_by' AS requested_by, :'status' AS status;
-- As themself, and through the group role: refused both ways.
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a1));
SET ROLE nps_approver;
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a1));
RESET ROLE;
-- Directly: a decision row naming someone else, or the approval's status.
SET ROLE r_dual;
SELECT * FROM regress.error_of(format($$INSERT INTO nps.approval_decisions (approval_id, approver, decision) VALUES (%s, 'r_appr1', 'approve')$$, :a1));
SELECT * FROM regress.error_of(format($$UPDATE nps.approvals SET status = 'approved' WHERE id = %s$$, :a1));
RESET ROLE;
-- The trail names the persons, not the group.
SELECT status, approvals, requested_by FROM nps.approvals WHERE id = :a1;
-- Someone without the role, and someone who cannot even see the run.
SET ROLE r_ben;
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a1));
RESET ROLE;
-- An approver decides; the pending list is theirs only.
SET ROLE r_appr1;
SELECT approval_id = :a1 AS listed, requested_by FROM nps.pending_approvals;
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'reject')$$, :a1));
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'reject', E' \t\u200b ')$$, :a1));
SELECT status, approvals FROM nps.decide(:a1, 'approve');
SELECT approver, decision FROM nps.approval_decisions WHERE approval_id = :a1;
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a1));
RESET ROLE;
SELECT key, status, completed_by FROM nps.steps WHERE run_id = :run ORDER BY position;

-- A quorum of two counts persons: one approver cannot fill it twice, by any identity.
SET ROLE r_dual;
SELECT id AS a2 FROM nps.request_approval(:two, 'needs two') \gset
RESET ROLE;
SET ROLE r_appr1;
SELECT status, approvals, min_approvers FROM nps.decide(:a2, 'approve');
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a2));
SET ROLE nps_approver;
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a2));
RESET ROLE;
SET ROLE r_appr2;
SELECT status, approvals FROM nps.decide(:a2, 'approve');
RESET ROLE;
SELECT status FROM nps.runs WHERE id = :run;
SELECT d.approver, d.decision FROM nps.approval_decisions d WHERE d.approval_id = :a2 ORDER BY d.id;

-- Decisions are final, for everyone.
SELECT * FROM regress.error_of(format($$UPDATE nps.approval_decisions SET decision = 'reject' WHERE approval_id = %s$$, :a2));
SELECT * FROM regress.error_of(format($$DELETE FROM nps.approval_decisions WHERE approval_id = %s$$, :a2));
SELECT * FROM regress.error_of(format($$DELETE FROM nps.approvals WHERE id = %s$$, :a2));

-- Rejection sends the step back with its reason; withdrawal needs a reason and the requester.
SET ROLE r_ava;
SELECT id AS run2 FROM nps.start_run('Gate') \gset
SELECT id AS one2 FROM nps.steps WHERE run_id = :run2 AND key = 'one' \gset
SELECT id AS a3 FROM nps.request_approval(:one2) \gset
RESET ROLE;
SET ROLE r_appr3;
SELECT status, reason FROM nps.decide(:a3, 'reject', 'Missing the owner of the fix');
RESET ROLE;
SET ROLE r_ava;
SELECT status, rejection_reason FROM nps.steps WHERE id = :one2;
SELECT id AS a4 FROM nps.request_approval(:one2, 'owner added') \gset
SELECT * FROM regress.error_of(format($$SELECT nps.withdraw_approval(%s, '')$$, :a4));
RESET ROLE;
SET ROLE r_ben;
SELECT * FROM regress.error_of(format($$SELECT nps.withdraw_approval(%s, 'not mine')$$, :a4));
RESET ROLE;
SET ROLE r_ava;
SELECT status, reason FROM nps.withdraw_approval(:a4, 'The plan changes again');
SELECT status FROM nps.steps WHERE id = :one2;
RESET ROLE;

-- One pooled login, its end users: Dana (a CSM and an approver) asks and cannot decide her own
-- request; Bob and Carl decide.
SET SESSION AUTHORIZATION r_app;
BEGIN;
SET LOCAL nps.actor = 'dana@app.example';
SELECT id AS run3 FROM nps.start_run('Quorum', title => 'Portal run') \gset
SELECT id AS a5 FROM nps.request_approval((SELECT id FROM nps.steps WHERE run_id = :run3 AND key = 'two')) \gset
COMMIT;
BEGIN;
SET LOCAL nps.actor = 'dana@app.example';
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a5));
COMMIT;
BEGIN;
SET LOCAL nps.actor = 'alice@app.example';
SELECT state, message FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a5));
COMMIT;
BEGIN;
SET LOCAL nps.actor = 'bob@app.example';
SELECT status, approvals FROM nps.decide(:a5, 'approve');
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a5));
COMMIT;
-- Naming nobody, the application itself decides nothing.
SELECT * FROM regress.error_of(format($$SELECT nps.decide(%s, 'approve')$$, :a5));
BEGIN;
SET LOCAL nps.actor = 'carl@app.example';
SELECT status, approvals FROM nps.decide(:a5, 'approve');
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT r.owner, a.requested_by, string_agg(d.approver, ', ' ORDER BY d.id) AS approvers, a.status
FROM nps.approvals a JOIN nps.runs r ON r.id = a.run_id JOIN nps.approval_decisions d ON d.approval_id = a.id
WHERE a.id = :a5 GROUP BY r.owner, a.requested_by, a.status;
-- The trail says who decided, through which login.
SELECT who, action, object FROM nps.run_history(:run3) WHERE object LIKE 'approval%' ORDER BY pos;
