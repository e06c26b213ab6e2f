-- Audit trail walk-through: a run's history as an auditor reads it, who may read the trail, the
-- refusals of UPDATE / DELETE / TRUNCATE (as a member role, as the owner, as a superuser), and
-- tampering by a superuser who disables the guards: each kind detected by nps.verify_audit.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- What is audited.
SELECT table_name, run_column, enabled FROM nps.audited_tables ORDER BY table_name::text;

-------------------------------------------------------------------------------
-- A detractor project, worked by end users of an application that names them
-------------------------------------------------------------------------------
SET SESSION AUTHORIZATION r_app;
BEGIN;
SET LOCAL nps.actor = 'alice@app.example';
SELECT id AS run FROM nps.start_run('NPS Detractor', subject => '{"type": "response", "id": "R-1", "csm": "alice@app.example"}') \gset
SELECT id AS first_contact FROM nps.tasks WHERE run_id = :run AND key = 'first_contact' \gset
SELECT id AS review FROM nps.tasks WHERE run_id = :run AND key = 'review' \gset
SELECT status FROM nps.complete_task(:first_contact, '{"channel": "phone"}', note => 'Booked a call for Tuesday');
SELECT owner FROM nps.reassign_task(:review, 'dana@app.example', note => 'Dana knows the account');
COMMIT;
BEGIN;
SET LOCAL nps.actor = 'dana@app.example';
SET LOCAL nps.reason = 'ticket CS-4211';
SELECT status FROM nps.complete_task(:review, '{"summary": "Export timed out twice during quarter close"}');
COMMIT;
RESET SESSION AUTHORIZATION;

-- Only auditors read the trail.
SET ROLE r_ava;
SELECT count(*) FROM nps.audit_log;
SELECT * FROM nps.run_history(:run);
SELECT * FROM nps.verify_audit(:run);
RESET ROLE;
SET ROLE r_admin;
SELECT count(*) FROM nps.audit_log;
RESET ROLE;

-- The auditor's timeline: who did what, when (in order) and why. Times vary from run to run, so
-- the changes show <time> for them.
SET ROLE r_auditor;
SELECT pos, who, action, object,
       regexp_replace(changes, '\d{4}-\d\d-\d\dT[0-9:.]+[+-]\d\d:\d\d', '<time>', 'g') AS changes, reason
FROM nps.run_history(:run) ORDER BY pos;
SELECT entries, ok, problem FROM nps.verify_audit(:run);
-- Every entry of the run is in its chain, without gaps, and one transaction's entries share its id.
SELECT count(*) = max(pos) AS gapless, count(DISTINCT xid) AS transactions
FROM nps.audit_log WHERE run_id = :run;
SELECT count(*) AS chains_failing FROM nps.verify_audit() WHERE NOT ok;
RESET ROLE;

-------------------------------------------------------------------------------
-- Append-only: refused for a member role, for the owner, for a superuser
-------------------------------------------------------------------------------
SELECT max(id) AS some_entry FROM nps.audit_log WHERE run_id = :run \gset
SET ROLE r_admin;
UPDATE nps.audit_log SET reason = 'tidied' WHERE id = :some_entry;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.audit_log WHERE id = :some_entry;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The table's owner holds no UPDATE, DELETE or TRUNCATE; granting them to itself gains nothing.
BEGIN;
ALTER TABLE nps.audit_log OWNER TO r_stranger;
SET ROLE r_stranger;
UPDATE nps.audit_log SET reason = 'tidied' WHERE id = :some_entry;
\echo :LAST_ERROR_SQLSTATE
GRANT UPDATE, DELETE, TRUNCATE ON nps.audit_log TO r_stranger;
UPDATE nps.audit_log SET reason = 'tidied' WHERE id = :some_entry;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.audit_log WHERE id = :some_entry;
TRUNCATE nps.audit_log;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
ROLLBACK;

-- A superuser (this session) is refused too, in replica mode as well.
UPDATE nps.audit_log SET reason = 'tidied' WHERE id = :some_entry;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.audit_log WHERE id = :some_entry;
TRUNCATE nps.audit_log;
INSERT INTO nps.audit_log SELECT * FROM nps.audit_log WHERE id = :some_entry;
UPDATE nps.audit_chains SET pos = pos - 1 WHERE run_id = :run;
SET session_replication_role = replica;
DELETE FROM nps.audit_log WHERE id = :some_entry;
RESET session_replication_role;
-- An audited table cannot be truncated around the trail either.
TRUNCATE nps.tasks;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS entries_still_there FROM nps.audit_log WHERE id = :some_entry;

-------------------------------------------------------------------------------
-- Tampering: a superuser disables the guards. Each kind is detected; each case rolls back.
-------------------------------------------------------------------------------
SELECT jsonb_agg(h) AS heads FROM nps.audit_heads() h \gset
SELECT max(pos) AS last FROM nps.audit_log WHERE run_id = :run \gset

-- An entry edited.
BEGIN;
ALTER TABLE nps.audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE nps.audit_log SET current_user_name = 'r_ben' WHERE run_id = :run AND pos = 3;
SELECT ok, problem, broken_pos FROM nps.verify_audit(:run);
ROLLBACK;

-- An entry deleted.
BEGIN;
ALTER TABLE nps.audit_log DISABLE TRIGGER audit_log_append_only;
DELETE FROM nps.audit_log WHERE run_id = :run AND pos = 5;
SELECT ok, problem, broken_pos, regexp_replace(detail, 'entry [0-9]+', 'entry N') AS detail FROM nps.verify_audit(:run);
ROLLBACK;

-- Two entries' contents swapped (ids, positions and hashes left in place).
BEGIN;
ALTER TABLE nps.audit_log DISABLE TRIGGER audit_log_append_only;
WITH a AS (SELECT * FROM nps.audit_log WHERE run_id = :run AND pos = 7),
     b AS (SELECT * FROM nps.audit_log WHERE run_id = :run AND pos = 8)
UPDATE nps.audit_log l
   SET table_name = x.table_name, op = x.op, pk = x.pk, old = x.old, new = x.new, at = x.at
  FROM (SELECT 7 AS pos, b.* FROM b UNION ALL SELECT 8, a.* FROM a) AS x(target)
 WHERE l.run_id = :run AND l.pos = x.target;
SELECT ok, problem, broken_pos FROM nps.verify_audit(:run);
ROLLBACK;

-- Two entries reordered (positions swapped, each keeping its own hash; the position is hashed too).
BEGIN;
ALTER TABLE nps.audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE nps.audit_log SET pos = pos + 1000000 WHERE run_id = :run AND pos IN (9, 10);
UPDATE nps.audit_log SET pos = CASE pos WHEN 1000009 THEN 10 ELSE 9 END WHERE run_id = :run AND pos > 1000000;
SELECT ok, problem, broken_pos FROM nps.verify_audit(:run);
ROLLBACK;

-- The tail cut off: seen against the chain's recorded head ...
BEGIN;
ALTER TABLE nps.audit_log DISABLE TRIGGER audit_log_append_only;
DELETE FROM nps.audit_log WHERE run_id = :run AND pos > :last - 2;
SELECT ok, problem, broken_pos, detail FROM nps.verify_audit(:run);
-- ... and, when the recorded head is rewound too, against the heads exported earlier.
ALTER TABLE nps.audit_chains DISABLE TRIGGER audit_chains_append_only;
UPDATE nps.audit_chains c SET pos = l.pos, hash = l.hash
  FROM nps.audit_log l WHERE c.run_id = :run AND l.chain = c.chain AND l.pos = :last - 2;
SELECT ok FROM nps.verify_audit(:run);
SELECT ok, problem, broken_pos, detail FROM nps.verify_audit(:run, :'heads');
ROLLBACK;

-- An entry appended without the capture path (a superuser cannot hash it right without the code).
BEGIN;
ALTER TABLE nps.audit_log DISABLE TRIGGER audit_log_append_only;
INSERT INTO nps.audit_log
SELECT nextval('nps.audit_log_id_seq'), chain, pos + 1, run_id, xid, at, table_name, op, pk, old, new,
       session_user_name, current_user_name, actor, client_addr, 'forged', hash, hash
FROM nps.audit_log WHERE run_id = :run AND pos = :last;
SELECT ok, problem, broken_pos FROM nps.verify_audit(:run);
ROLLBACK;

-- Untouched, everything verifies, also against the exported heads.
SELECT count(*) AS chains_failing FROM nps.verify_audit(heads => :'heads') WHERE NOT ok;

-- Bad input.
SELECT * FROM nps.verify_audit(heads => '{"run:1": 3}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM nps.verify_audit(heads => '[{"chain": "run:1", "pos": 0, "hash": ""}]');
SELECT * FROM nps.verify_audit(-7);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE public.no_key (x integer);
SELECT nps.enable_audit('public.no_key');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE public.no_key;
SELECT nps.enable_audit('nps.tasks', 'no_such_column');
\echo :LAST_ERROR_SQLSTATE
-- A temporary table named like one of pg_nps' own cannot pose as a run's history.
CREATE TEMP TABLE tasks (id bigint PRIMARY KEY, run_id bigint);
SELECT nps.enable_audit('pg_temp.tasks', 'run_id');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE public.tasks (id bigint PRIMARY KEY, run_id bigint);
SELECT nps.enable_audit('public.tasks', 'run_id');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE public.tasks;
-- Only an nps_admin who owns the table registers it.
SET ROLE r_ava;
SELECT nps.enable_audit('nps.tasks');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-------------------------------------------------------------------------------
-- The trail's edges: a run whose whole chain is gone; DROP EXTENSION with a trail
-------------------------------------------------------------------------------
BEGIN;
ALTER TABLE nps.audit_log DISABLE TRIGGER audit_log_append_only;
ALTER TABLE nps.audit_chains DISABLE TRIGGER audit_chains_append_only;
DELETE FROM nps.audit_log WHERE chain = 'run:' || :run;
DELETE FROM nps.audit_chains WHERE chain = 'run:' || :run;
SELECT chain, ok, problem, detail FROM nps.verify_audit() WHERE NOT ok;
SELECT chain, ok, problem FROM nps.verify_audit(:run);
ROLLBACK;
-- Dropping the extension would discard the trail: refused unless confirmed for the transaction.
SELECT count(*) > 0 AS has_a_trail FROM nps.audit_log;
DROP EXTENSION pg_nps CASCADE;
\echo :LAST_ERROR_SQLSTATE
DROP OWNED BY postgres;
\echo :LAST_ERROR_SQLSTATE
SELECT extname FROM pg_extension WHERE extname = 'pg_nps';
BEGIN;
SET LOCAL nps.drop_audit_trail = 'yes';
DROP EXTENSION pg_nps CASCADE;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET LOCAL nps.drop_audit_trail = 'discard';
DROP EXTENSION pg_nps CASCADE;
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'pg_nps';
ROLLBACK;
SELECT count(*) AS installed_again FROM pg_extension WHERE extname = 'pg_nps';
