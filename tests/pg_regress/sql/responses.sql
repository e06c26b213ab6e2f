-- Responses: who may record which account's, inside the window while intake is open; one
-- response per respondent however the address is spelled; every refusal names the value and
-- writes nothing.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SET ROLE r_lead;
SELECT name FROM nps.start_cycle('R1', opens_at => '2026-01-01Z', closes_at => '2026-01-15Z', min_responses => 1);
RESET ROLE;

-- The account's CSM records responses, segmented with the cycle's bands.
SET ROLE r_ava;
SELECT respondent, respondent_as_given, score, segment, submissions, recorded_by
FROM nps.record_response('R1', 'ACME', 'ann@acme.example', 9, 'Great support', responded_at => '2026-01-03Z');
-- A re-submission inside the window replaces the earlier answer, however it is spelled: case,
-- blanks around, NFD accents and full-width letters are the same respondent.
SELECT respondent, respondent_as_given, score, comment, submissions
FROM nps.record_response('R1', 'ACME', '  ANN@Acme.Example ', 6, 'Actually, the last release broke SSO', responded_at => '2026-01-04Z');
SELECT respondent, submissions FROM nps.record_response('R1', 'ACME', E'ａｎｎ@acme.example', 7, responded_at => '2026-01-05Z');
SELECT respondent, submissions FROM nps.record_response('R1', 'ACME', E'Jose\u0301@acme.example', 8, responded_at => '2026-01-05Z');
SELECT respondent, submissions FROM nps.record_response('R1', 'ACME', E'jos\u00e9@ACME.example', 9, responded_at => '2026-01-06Z');
-- Characters that hide or break a line are refused, naming them; so is a blank respondent.
SELECT nps.record_response('R1', 'ACME', E'ann@acme.example\u200b', 9, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'ACME', E'ann@acme.example\r\nBcc: all@example.com', 9, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'ACME', E'ann@acme.example\n', 9, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'ACME', E' \t ', 9, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'ACME', E'\u2060', 9, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'ACME', repeat('x', 321), 9, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'ACME', 'cy@acme.example', 8, repeat('x', 20001), responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
-- Scores, windows, cycles, accounts and channels.
SELECT nps.record_response('R1', 'ACME', 'cy@acme.example', 11, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'ACME', 'cy@acme.example', 8, responded_at => '2026-01-20Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R9', 'ACME', 'cy@acme.example', 8);
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'NOPE', 'cy@nope.example', 8, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'ACME', 'cy@acme.example', 8, channel => 'carrier pigeon', responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('R1', 'ACME', NULL, 8, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
-- A respondent answers for one account.
SELECT nps.record_response('R1', 'GLOBEX', 'ann@acme.example', 8, responded_at => '2026-01-05Z');
\echo :LAST_ERROR_SQLSTATE
-- Directly: the guard decides the same, and the normalized respondent still meets its earlier
-- answer (a plain INSERT does not re-submit: nps.record_response does).
INSERT INTO nps.responses (cycle_id, run_id, account_id, respondent, respondent_as_given, pseudonym, score, segment, responded_at, recorded_by)
SELECT c.id, c.run_id, a.id, 'NEW@ACME.EXAMPLE', '', '', 42, 'promoter', '2026-01-05Z', 'someone else'
FROM nps.cycles c, nps.accounts a WHERE c.name = 'R1' AND a.external_id = 'ACME';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.responses (cycle_id, run_id, account_id, respondent, respondent_as_given, pseudonym, score, segment, responded_at, recorded_by)
SELECT c.id, c.run_id, a.id, 'ANN@ACME.EXAMPLE', '', '', 3, 'promoter', '2026-01-05Z', 'someone else'
FROM nps.cycles c, nps.accounts a WHERE c.name = 'R1' AND a.external_id = 'ACME';
\echo :LAST_ERROR_SQLSTATE
SELECT respondent, score, segment, recorded_by, pseudonym <> '' AS pseudonymized FROM nps.responses ORDER BY id;
RESET ROLE;

-- Another CSM records nothing for Ava's customers, and cannot rewrite their scores.
SET ROLE r_ben;
SELECT nps.record_response('R1', 'ACME', 'ann@acme.example', 0, 'Ben says so', responded_at => '2026-01-07Z');
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.responses SET score = 0;
SELECT count(*) AS ben_sees FROM nps.responses;
SELECT respondent FROM nps.record_response('R1', 'INITECH', 'ida@initech.example', 2, responded_at => '2026-01-07Z');
RESET ROLE;
-- The cycle's owner and intake (an application acting as itself) record for every account.
SET ROLE r_lead;
SELECT respondent, recorded_by FROM nps.record_response('R1', 'UMBRELLA', 'uma@umbrella.example', 10, responded_at => '2026-01-07Z');
RESET ROLE;
SET SESSION AUTHORIZATION r_intake;
SELECT respondent, recorded_by FROM nps.record_response('R1', 'GLOBEX', 'bo@globex.example', 4, 'Exports keep timing out', 'web', '2026-01-08Z');
RESET SESSION AUTHORIZATION;
-- Analysts record nothing.
SET ROLE r_analyst;
SELECT nps.record_response('R1', 'GLOBEX', 'x@globex.example', 10, responded_at => '2026-01-08Z');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

SELECT count(*) AS responses, sum(submissions) AS submissions FROM nps.responses;
-- The cycle's history: responses join the cycle run's audit chain, re-submissions included.
SELECT who, action, object, regexp_replace(changes, 'recorded_at: [^;]*(; )?', '') AS changes
FROM nps.run_history((SELECT run_id FROM nps.cycles WHERE name = 'R1'))
WHERE object LIKE 'response%' ORDER BY pos;
SELECT ok FROM nps.verify_audit((SELECT run_id FROM nps.cycles WHERE name = 'R1'));
-- Only an nps_admin deletes a response (before segmentation).
SET ROLE r_ava;
DELETE FROM nps.responses WHERE respondent = 'cy@acme.example';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- An answer nobody has given yet: a response more than a day ahead of the clock is refused,
-- even in a cycle whose window lies ahead (its trend months would fill with the future).
SET ROLE r_admin;
SELECT name FROM nps.start_cycle('R-future', opens_at => now() - interval '1 day', closes_at => now() + interval '60 days', owner => 'r_lead');
RESET ROLE;
SET ROLE r_ava;
SELECT state, message ~ 'in the future' AS says_future FROM regress.error_of($$SELECT nps.record_response('R-future', 'ACME', 'soon@acme.example', 10, responded_at => now() + interval '30 days')$$);
SELECT respondent FROM nps.record_response('R-future', 'ACME', 'now@acme.example', 10, responded_at => now() + interval '1 hour');
RESET ROLE;
-- Owning a cycle opens no book: its owner records their own team's accounts; anyone else's
-- answers come in through intake.
SET ROLE r_lead;
SELECT name FROM nps.start_cycle('R-lead', opens_at => '2026-02-01Z', closes_at => '2026-02-15Z');
SELECT respondent FROM nps.record_response('R-lead', 'ACME', 'team@acme.example', 9, responded_at => '2026-02-02Z');
SELECT * FROM regress.error_of($$SELECT nps.record_response('R-lead', 'PORTAL', 'p@portal.example', 10, responded_at => '2026-02-02Z')$$);
RESET ROLE;
