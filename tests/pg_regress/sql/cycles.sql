-- NPS cycles: settings, accounts, starting a cycle with frozen bands, and who may change its
-- window, minimum and invitations while intake is open.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- Settings: the defaults until changed (setup lowered the minimum to 1); bands are validated and
-- nothing is stored on a refusal.
SELECT promoter_min, detractor_max, min_responses, window_days, cycle_template FROM nps.current_settings();
SET ROLE r_admin;
SELECT nps.configure(promoter_min => 6, detractor_max => 6);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS settings_rows FROM nps.settings;
SELECT promoter_min, detractor_max, min_responses FROM nps.configure(min_responses => 3);
SELECT nps.configure(cycle_template => 'No Such Template');
\echo :LAST_ERROR_SQLSTATE
-- A cycle template must hold every step the cycle plugs into (intake and segmentation are
-- checkpoints, the plan and the close approval gates).
SELECT name FROM nps.import_template('{"name": "Short cycle", "steps": [
    {"key": "intake", "name": "Intake", "checkpoint": true, "evidence": [{"name": "responses", "type": "number"}]}]}');
SELECT nps.configure(cycle_template => 'Short cycle');
\echo :LAST_ERROR_SQLSTATE
SELECT cycle_template FROM nps.current_settings();
RESET ROLE;
SET ROLE r_lead;
SELECT nps.configure(min_responses => 1);
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.settings SET min_responses = 1;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Accounts: an nps_admin's; every account has a registered CSM.
SET ROLE r_admin;
INSERT INTO nps.accounts (external_id, name, csm) VALUES ('HOOLI', 'Hooli', 'r_stranger');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.accounts (external_id, name, csm) VALUES (E'HOO\u200bLI', 'Hooli', 'r_ava');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.accounts (external_id, name, csm, arr) VALUES ('HOOLI', 'Hooli', 'r_ava', -5);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_ava;
INSERT INTO nps.accounts (external_id, name, csm) VALUES ('HOOLI', 'Hooli', 'r_ava');
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.accounts SET csm = 'r_ben' WHERE external_id = 'ACME';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A cycle freezes the bands in force when it starts; its name is a one-line name.
SET ROLE r_lead;
SELECT name, promoter_min, detractor_max, min_responses, closes_at - opens_at AS window
FROM nps.start_cycle('2030-Q1', opens_at => '2030-01-01', closes_at => '2030-01-15');
SELECT r.title, r.subject_type, r.subject_id, r.owner, s.key AS current_step
FROM nps.cycles c JOIN nps.runs r ON r.id = c.run_id
JOIN nps.steps s ON s.run_id = r.id AND s.status = 'active' WHERE c.name = '2030-Q1';
SELECT nps.start_cycle('2030-Q1');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_cycle('Bad window', opens_at => '2030-02-01', closes_at => '2030-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_cycle(repeat('Q', 201));
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_cycle(E'2030-Q2\r\nBcc: all@example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS runs_of_refused_cycles FROM nps.runs WHERE title LIKE 'NPS cycle Bad%' OR title LIKE 'NPS cycle QQ%';
-- Cycles start only with start_cycle, never by hand.
INSERT INTO nps.cycles (name, run_id, promoter_min, detractor_max, opens_at, closes_at, min_responses)
SELECT 'Forged', run_id, 9, 6, opens_at, closes_at, 1 FROM nps.cycles WHERE name = '2030-Q1';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_admin;
SELECT promoter_min FROM nps.configure(promoter_min => 10);
RESET ROLE;
SELECT promoter_min AS still_frozen FROM nps.cycles WHERE name = '2030-Q1';
UPDATE nps.cycles SET promoter_min = 8 WHERE name = '2030-Q1';
\echo :LAST_ERROR_SQLSTATE
SET ROLE r_admin;
SELECT promoter_min FROM nps.configure(promoter_min => 9);
RESET ROLE;

-- The window: its owner extends it; only an nps_admin shortens it or changes the minimum.
SET ROLE r_lead;
UPDATE nps.cycles SET closes_at = '2030-01-20' WHERE name = '2030-Q1' RETURNING closes_at;
UPDATE nps.cycles SET closes_at = '2030-01-02' WHERE name = '2030-Q1';
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.cycles SET min_responses = 1 WHERE name = '2030-Q1';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_ava;
UPDATE nps.cycles SET closes_at = '2030-12-31' WHERE name = '2030-Q1';
SELECT closes_at FROM nps.cycles WHERE name = '2030-Q1';
RESET ROLE;
SET ROLE r_admin;
UPDATE nps.cycles SET min_responses = 2, closes_at = '2030-01-18' WHERE name = '2030-Q1' RETURNING min_responses, closes_at;
RESET ROLE;

-- Invitations only grow, by their own procedure or the audience task, never by hand.
SET ROLE r_lead;
SELECT invitations FROM nps.add_invitations('2030-Q1', 100);
SELECT nps.add_invitations('2030-Q1', -50);
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.cycles SET invitations = 5 WHERE name = '2030-Q1';
\echo :LAST_ERROR_SQLSTATE
SELECT nps.complete_task(t.id, '{"invitations": -30}') FROM nps.tasks t
WHERE t.step_id = nps.cycle_step('2030-Q1', 'intake') AND t.key = 'audience';
\echo :LAST_ERROR_SQLSTATE
SELECT (nps.complete_task(t.id, '{"invitations": 30}')).status FROM nps.tasks t
WHERE t.step_id = nps.cycle_step('2030-Q1', 'intake') AND t.key = 'audience';
SELECT invitations FROM nps.cycles WHERE name = '2030-Q1';
RESET ROLE;
SET ROLE r_ava;
SELECT nps.add_invitations('2030-Q1', 1000);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS cycles, sum(invitations) AS invitations FROM nps.cycles;

-- A cycle starts with the organization's rules (bands 9/6, at least 3 responses here), unless
-- an nps_admin starts it otherwise: an owner choosing bands 1/0, a minimum of 1 or a one-second
-- window would decide the cycle's NPS and when its checkpoint passes. Nobody starts an endless
-- or overlong window, and nothing of a refused start is left.
SET ROLE r_lead;
SELECT * FROM regress.error_of($$SELECT nps.start_cycle('Rigged bands', opens_at => '2030-03-01', closes_at => '2030-03-15', promoter_min => 1, detractor_max => 0)$$);
SELECT * FROM regress.error_of($$SELECT nps.start_cycle('Rigged minimum', opens_at => '2030-03-01', closes_at => '2030-03-15', min_responses => 1)$$);
SELECT * FROM regress.error_of($$SELECT nps.start_cycle('Blink', opens_at => '2030-03-01', closes_at => '2030-03-01 00:00:01')$$);
SELECT * FROM regress.error_of($$SELECT nps.start_cycle('Forever', opens_at => '-infinity', closes_at => 'infinity')$$);
SELECT * FROM regress.error_of($$SELECT nps.start_cycle('Two years', opens_at => '2030-01-01', closes_at => '2032-01-01')$$);
SELECT * FROM regress.error_of($$SELECT nps.start_cycle('Empty', opens_at => '2030-03-01', closes_at => '2030-03-15', min_responses => 0)$$);
SELECT name, min_responses FROM nps.start_cycle('Stricter', opens_at => '2030-03-01', closes_at => '2030-03-15', min_responses => 50);
UPDATE nps.cycles SET closes_at = 'infinity' WHERE name = 'Stricter';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_admin;
SELECT name, promoter_min, detractor_max, min_responses FROM nps.start_cycle('Pilot', opens_at => '2030-03-01',
       closes_at => '2030-03-01 01:00', min_responses => 1, promoter_min => 8, detractor_max => 5, owner => 'r_lead');
RESET ROLE;
SELECT count(*) AS runs_of_refused_starts FROM nps.runs
WHERE title IN ('NPS cycle Rigged bands', 'NPS cycle Rigged minimum', 'NPS cycle Blink', 'NPS cycle Forever', 'NPS cycle Two years', 'NPS cycle Empty');
-- The files after this one keep the organization's minimum at 1.
SET ROLE r_admin;
SELECT min_responses FROM nps.configure(min_responses => 1);
RESET ROLE;
