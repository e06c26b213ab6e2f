-- Intake, the first checkpoint: bulk loading through the staging table (COPY with write-only
-- rights), the rejects with their reasons, and closing intake: never skipped, never below the
-- minimum or before the window ends unless an nps_admin forces it with a reason.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SET ROLE r_lead;
SELECT name, min_responses FROM nps.start_cycle('I1', opens_at => '2025-01-01Z', closes_at => '2025-01-15Z', min_responses => 9);
-- The lead stages a file: COPY needs no right to read the staging table.
COPY nps.response_staging (account, respondent, score, comment, channel, responded_at) FROM stdin WITH (FORMAT csv);
ACME,ana@acme.example,10,Great support team and fast answers,email,2025-01-02 10:00Z
ACME,ben@acme.example,3,The export crashes with an error every week,web,2025-01-03 10:00Z
GLOBEX,cy@globex.example,4,Too expensive for the value we get,email,2025-01-03 11:00Z
GLOBEX,dee@globex.example,8,Fine overall,,2025-01-04 09:00Z
INITECH,eve@initech.example,2,Pages are slow and reports keep timing out,in_app,2025-01-05 09:00Z
INITECH,fay@initech.example,9,,email,2025-01-05 10:00Z
UMBRELLA,gus@umbrella.example,6,We never hear from anyone,phone,2025-01-06 09:00Z
NOWHERE,ida@nowhere.example,7,unknown account,email,2025-01-06 11:00Z
ACME,jo@acme.example,11,score out of range,email,2025-01-06 11:00Z
ACME,kim@acme.example,ten,score not a number,email,2025-01-06 11:00Z
ACME,,9,no respondent,email,2025-01-06 11:00Z
ACME,lee@acme.example,9,unknown channel,fax,2025-01-06 11:00Z
ACME,max@acme.example,9,a time that is not one,email,the day after
ACME,ned@acme.example,9,outside the window,email,2025-02-06 11:00Z
ACME,"ann@acme.example
Bcc: all@example.com",9,a line break in the respondent,email,2025-01-06 11:00Z
ACME,  ANA@ACME.example ,9,the same person again,email,2025-01-07 11:00Z
\.
SELECT count(*) FROM nps.response_staging;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM nps.ingest_staged('I1');
SELECT account, respondent, score, sqlstate, reason FROM nps.staging_rejects ORDER BY id;
SELECT respondent, score, submissions, recorded_by FROM nps.responses r JOIN nps.cycles c ON c.id = r.cycle_id WHERE c.name = 'I1' ORDER BY r.id;
-- Ingesting again takes nothing twice; a staged row never changes.
SELECT * FROM nps.ingest_staged('I1');
UPDATE nps.response_staging SET score = '10' WHERE respondent = 'jo@acme.example';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Another CSM sees none of the lead's rejects; an nps_pii reader sees them all.
SET ROLE r_ben;
SELECT count(*) AS bens_view FROM nps.staging_rejects;
RESET ROLE;
SET ROLE r_pii;
SELECT count(*) AS pii_view FROM nps.staging_rejects;
RESET ROLE;
-- Intake applications stage and ingest for every account.
SET SESSION AUTHORIZATION r_intake;
INSERT INTO nps.response_staging (cycle, account, respondent, score, responded_at)
VALUES ('I1', 'UMBRELLA', 'hal@umbrella.example', '5', '2025-01-06 10:00Z');
SELECT loaded, rejected FROM nps.ingest_staged('I1');
SELECT count(*) AS intake_reads_no_staged_rows FROM nps.staging_rejects;
RESET SESSION AUTHORIZATION;

-- Closing intake is the checkpoint: never skipped, refused below min_responses.
SET ROLE r_lead;
SELECT regress.finish_tasks('I1', 'intake');
SELECT nps.skip_step(nps.cycle_step('I1', 'intake'), 'no time');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM nps.close_intake('I1');
\echo :LAST_ERROR_SQLSTATE
SELECT respondent, segment FROM nps.record_response('I1', 'UMBRELLA', 'ivy@umbrella.example', 10, 'Love the dashboards', responded_at => '2025-01-10Z');
SELECT status, evidence - 'window' AS evidence, evidence ->> 'window' AS window FROM nps.close_intake('I1');
-- Closed: no response, no ingest, no window change lands any more.
SELECT nps.record_response('I1', 'ACME', 'zed@acme.example', 10, responded_at => '2025-01-11Z');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.response_staging (cycle, account, respondent, score, responded_at)
VALUES ('I1', 'ACME', 'late@acme.example', '9', '2025-01-11Z');
SELECT loaded, rejected FROM nps.ingest_staged('I1');
SELECT sqlstate, reason FROM nps.staging_rejects WHERE respondent = 'late@acme.example';
UPDATE nps.cycles SET closes_at = '2025-02-01Z' WHERE name = 'I1';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A cycle still open: closing before the window ends needs an nps_admin and a reason.
SET ROLE r_lead;
SELECT name FROM nps.start_cycle('I-open', opens_at => '2098-06-01Z', closes_at => '2099-01-01Z', min_responses => 1);
SELECT regress.finish_tasks('I-open', 'intake');
SELECT nps.close_intake('I-open');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.close_intake('I-open', force_reason => 'board meeting moved up');
\echo :LAST_ERROR_SQLSTATE
-- Nor does recording the evidence by hand get around it.
SELECT nps.complete_step(nps.cycle_step('I-open', 'intake'), '{"responses": 100, "invitations": 100, "window": "all", "forced": "by me"}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_admin;
SELECT nps.close_intake('I-open', force_reason => E' \u200b');
\echo :LAST_ERROR_SQLSTATE
SELECT status, evidence ->> 'forced' AS forced, evidence ->> 'responses' AS responses
FROM nps.close_intake('I-open', force_reason => 'board meeting moved up');
RESET ROLE;
-- Batches: a big file loads in short transactions; the batch size is checked.
SET ROLE r_lead;
SELECT name FROM nps.start_cycle('I2', opens_at => '2025-01-01Z', closes_at => '2025-01-15Z', min_responses => 1);
INSERT INTO nps.response_staging (cycle, account, respondent, score, responded_at)
SELECT 'I2', 'ACME', 'p' || i || '@acme.example', (i % 11)::text, '2025-01-05Z' FROM generate_series(1, 25) i;
CALL nps.ingest_in_batches('I2', 10, NULL, NULL);
CALL nps.ingest_in_batches('I2', 0, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- One batch, one respondent, two accounts: the row for the other account is refused (NP009),
-- not counted as loaded; the row for the respondent's own account re-submits.
SET ROLE r_lead;
INSERT INTO nps.response_staging (cycle, account, respondent, score, responded_at)
VALUES ('I2', 'GLOBEX', 'P1@acme.example', '0', '2025-01-06Z'), ('I2', 'ACME', 'p1@acme.example', '9', '2025-01-06Z');
SELECT loaded, rejected FROM nps.ingest_staged('I2');
SELECT account, sqlstate FROM nps.staging_rejects WHERE respondent = 'P1@acme.example';
SELECT a.external_id AS account, r.score, r.submissions FROM nps.responses r JOIN nps.cycles c ON c.id = r.cycle_id
JOIN nps.accounts a ON a.id = r.account_id WHERE c.name = 'I2' AND r.respondent = 'p1@acme.example';
RESET ROLE;
-- Rows staged without a cycle are their stager's to ingest (or intake's): owning a cycle does
-- not let its owner take another person's unnamed rows into it.
SET ROLE r_ava;
INSERT INTO nps.response_staging (account, respondent, score, responded_at) VALUES ('ACME', 'unnamed@acme.example', '7', '2025-01-05Z');
RESET ROLE;
SET ROLE r_lead;
SELECT name FROM nps.start_cycle('I-grab', opens_at => '2025-01-01Z', closes_at => '2025-01-15Z');
SELECT loaded, rejected FROM nps.ingest_staged('I-grab');
RESET ROLE;
SELECT status FROM nps.response_staging WHERE respondent = 'unnamed@acme.example';
DELETE FROM nps.response_staging WHERE respondent = 'unnamed@acme.example';
