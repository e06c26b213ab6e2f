-- Personal data: each person sees the accounts, responses, conversations and outbox messages of
-- their book and their work; analysts read the BI views with respondents pseudonymized; plain
-- contact data only with nps_pii.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SET ROLE r_lead;
SELECT regress.cycle('P1', 'root_cause') AS active_step;
RESET ROLE;
-- What each person reads of the raw tables.
CREATE FUNCTION pg_temp.sees() RETURNS TABLE (accounts bigint, responses bigint, emails text, conversations bigint, outbox bigint)
LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM nps.accounts),
           (SELECT count(*) FROM nps.responses r WHERE r.cycle_id = (SELECT id FROM nps.cycles WHERE name = 'P1')),
           (SELECT string_agg(split_part(r.respondent, '@', 2), ',' ORDER BY r.respondent) FROM nps.responses r
            WHERE r.cycle_id = (SELECT id FROM nps.cycles WHERE name = 'P1')),
           (SELECT count(*) FROM nps.conversations),
           (SELECT count(*) FROM nps.outbox o JOIN nps.playbook_runs pb ON pb.run_id = o.run_id
            WHERE pb.cycle_run_id = (SELECT run_id FROM nps.cycles WHERE name = 'P1'))
$$;
SET ROLE r_ava;
SELECT 'r_ava' AS person, * FROM pg_temp.sees();
RESET ROLE;
SET ROLE r_ben;
SELECT 'r_ben' AS person, * FROM pg_temp.sees();
RESET ROLE;
SET ROLE r_lead;
SELECT 'r_lead' AS person, * FROM pg_temp.sees();
RESET ROLE;
SET ROLE r_dual;
SELECT 'r_dual' AS person, * FROM pg_temp.sees();
RESET ROLE;
SET ROLE r_auditor;
SELECT 'r_auditor' AS person, * FROM pg_temp.sees();
RESET ROLE;
SET ROLE r_pii;
SELECT 'r_pii' AS person, (SELECT count(*) FROM nps.accounts) AS accounts,
       (SELECT count(*) FROM nps.responses r JOIN nps.cycles c ON c.id = r.cycle_id WHERE c.name = 'P1') AS responses;
RESET ROLE;
-- An analyst reads none of the raw tables...
SET ROLE r_analyst;
SELECT count(*) FROM nps.responses;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM nps.accounts;
\echo :LAST_ERROR_SQLSTATE
-- ... but every response in nps.response_facts, each respondent under a stable key that is
-- the same in every cycle and no address.
SELECT cycle, account, score, segment, length(respondent_key) AS key_length, respondent_key LIKE 'r\_%' AS keyed
FROM nps.response_facts WHERE cycle = 'P1' ORDER BY response_id;
SELECT count(*) FILTER (WHERE respondent_key LIKE '%@%') AS addresses_shown FROM nps.response_facts;
SELECT cycle, responses, nps FROM nps.cycle_headline WHERE cycle = 'P1';
RESET ROLE;
-- The key is stable: the same respondent in another cycle gets the same key; it is not a plain
-- hash anyone could recompute from an address.
SET ROLE r_lead;
SELECT name FROM nps.start_cycle('P2', opens_at => '2025-01-01Z', closes_at => '2025-01-15Z', min_responses => 1);
SELECT respondent FROM nps.record_response('P2', 'ACME', 'ANN@acme.example', 9, responded_at => '2025-01-05Z');
RESET ROLE;
SELECT count(DISTINCT f.respondent_key) AS keys_for_ann
FROM nps.response_facts f JOIN nps.responses r ON r.id = f.response_id WHERE r.respondent = 'ann@acme.example';
SELECT count(*) AS plain_hashes FROM nps.response_facts f JOIN nps.responses r ON r.id = f.response_id
WHERE f.respondent_key IN ('r_' || left(md5(r.respondent), 24), 'r_' || left(encode(sha256(r.respondent::bytea), 'hex'), 24));
-- An application acting as itself for intake sees every account it loads, and no conversation.
SET SESSION AUTHORIZATION r_intake;
SELECT count(*) AS intake_accounts FROM nps.accounts;
SELECT count(*) FROM nps.conversations;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
-- Granted nps_auditor, it is still no person: it reads no run, task or conversation.
BEGIN;
GRANT nps_auditor TO r_intake;
SET LOCAL SESSION AUTHORIZATION r_intake;
SELECT (SELECT count(*) FROM nps.runs) AS runs, (SELECT count(*) FROM nps.tasks) AS tasks,
       (SELECT count(*) FROM nps.conversations) AS conversations;
ROLLBACK;
-- A capability role reads nothing of anyone's book.
SET ROLE r_dual;
SET ROLE nps_csm;
SELECT 'nps_csm' AS role, * FROM pg_temp.sees();
RESET ROLE;
-- Maintenance runs a table owner's code with the maintainer as the outer role: inside it nobody
-- acts, so a CSM's materialized view over the responses reads nothing whoever refreshes it
-- (never what a superuser refreshing it would see), and her index expression is no admin. The
-- BI views need no person: a materialized view over them refreshes in full.
CREATE SCHEMA ben_own AUTHORIZATION r_ben;
CREATE SCHEMA bi_own AUTHORIZATION r_analyst;
SET ROLE r_ben;
SELECT count(*) AS ben_sees FROM nps.responses;
CREATE MATERIALIZED VIEW ben_own.loot AS
SELECT count(*) AS responses, count(*) FILTER (WHERE nps._sees_personal_data()) AS as_pii FROM nps.responses WITH NO DATA;
CREATE FUNCTION ben_own.peek(integer) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN nps._actor_has_role('nps_admin') THEN 1 ELSE 0 END + $1 $$;
CREATE TABLE ben_own.t (x integer);
INSERT INTO ben_own.t VALUES (1);
REFRESH MATERIALIZED VIEW ben_own.loot;
SELECT responses AS bens_own_refresh FROM ben_own.loot;
RESET ROLE;
REFRESH MATERIALIZED VIEW ben_own.loot;
SELECT responses AS refreshed_by_a_superuser, as_pii FROM ben_own.loot;
CREATE INDEX ON ben_own.t (ben_own.peek(x));
SET enable_seqscan = off;
SELECT count(*) AS admin_by_index FROM ben_own.t WHERE ben_own.peek(x) = 2;
RESET enable_seqscan;
SET ROLE r_analyst;
CREATE MATERIALIZED VIEW bi_own.facts AS SELECT count(*) AS responses FROM nps.response_facts;
RESET ROLE;
REFRESH MATERIALIZED VIEW bi_own.facts;
SELECT (SELECT responses FROM bi_own.facts) = (SELECT count(*) FROM nps.responses) AS bi_refresh_complete;
DROP SCHEMA ben_own, bi_own CASCADE;
-- A run's subject opens nothing: Ben starting a run "about" Ava's customer sees no more of it.
SET ROLE r_ben;
SELECT count(*) AS acme_before FROM nps.accounts WHERE external_id = 'ACME';
BEGIN;
SELECT (nps.start_run('Client Escalation', subject => '{"account": "ACME", "csm": "r_ben"}')).title IS NOT NULL AS started;
SELECT count(*) AS acme_after FROM nps.accounts WHERE external_id = 'ACME';
ROLLBACK;
RESET ROLE;
-- Views that filter for the person acting are security barriers: a function of the reader's
-- own in the WHERE clause (cheap, so the planner would run it first) sees only what the view
-- lets through. Here it writes down every row it is shown.
SET ROLE r_ben;
CREATE TEMP TABLE seen (view text, who text);
CREATE FUNCTION pg_temp.peek(view text, who text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001
    AS $$ BEGIN INSERT INTO pg_temp.seen VALUES (view, who); RETURN true; END $$;
SELECT count(*) AS bens_rejects FROM nps.staging_rejects WHERE pg_temp.peek('staging_rejects', staged_by);
SELECT count(*) AS bens_tasks FROM nps.my_tasks WHERE pg_temp.peek('my_tasks', owner);
SELECT count(*) AS bens_approvals FROM nps.pending_approvals WHERE pg_temp.peek('pending_approvals', requested_by);
SELECT view, count(*) AS rows_shown, count(*) FILTER (WHERE who IS DISTINCT FROM 'r_ben') AS not_bens
FROM pg_temp.seen GROUP BY view ORDER BY view;
RESET ROLE;
