-- NPS cycle, first part: settings, accounts, starting a cycle with frozen bands, recording
-- responses (re-submission, window, closed intake) and every refusal with its SQLSTATE.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

DO $$
DECLARE r text[];
BEGIN
    FOREACH r SLICE 1 IN ARRAY ARRAY[['cy_lead', 'nps_csm'], ['cy_csm', 'nps_csm'], ['cy_admin', 'nps_admin'],
                                    ['cy_analyst', 'nps_analyst']] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r[1]) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', r[1]);
        END IF;
        EXECUTE format('GRANT %I TO %I', r[2], r[1]);
    END LOOP;
END $$;

-- Settings: the defaults until changed; bands are validated and nothing is stored on a refusal.
SELECT promoter_min, detractor_max, min_responses, window_days, cycle_template FROM nps.current_settings();
SET ROLE cy_admin;
SELECT nps.configure(promoter_min => 6, detractor_max => 6);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS settings_rows FROM nps.settings;
SELECT promoter_min, detractor_max, min_responses FROM nps.configure(min_responses => 3);
SELECT nps.configure(cycle_template => 'No Such Template');
\echo :LAST_ERROR_SQLSTATE

-- Accounts.
INSERT INTO nps.accounts (external_id, name, csm, arr, segment, tier) VALUES
    ('ACME', 'Acme Corp', 'cy_csm', 120000, 'enterprise', 'gold'),
    ('GLOBEX', 'Globex', 'cy_csm', 45000, 'mid-market', 'silver');
RESET ROLE;

-- A cycle freezes the bands in force when it starts.
SET ROLE cy_lead;
SELECT name, promoter_min, detractor_max, min_responses, closes_at - opens_at AS window
FROM nps.start_cycle('2030-Q1', opens_at => '2030-01-01', closes_at => '2030-01-15');
SELECT r.title, r.subject_type, r.subject_id, r.owner, s.key AS current_step
FROM nps.cycles c JOIN nps.runs r ON r.id = c.run_id
JOIN nps.steps s ON s.run_id = r.id AND s.status = 'active' WHERE c.name = '2030-Q1';
SELECT nps.start_cycle('2030-Q1');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.start_cycle('Bad window', opens_at => '2030-02-01', closes_at => '2030-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS runs_of_refused_cycles FROM nps.runs WHERE title = 'NPS cycle Bad window';
RESET ROLE;
SET ROLE cy_admin;
SELECT promoter_min FROM nps.configure(promoter_min => 10);
RESET ROLE;
SELECT promoter_min AS still_frozen FROM nps.cycles WHERE name = '2030-Q1';
UPDATE nps.cycles SET promoter_min = 8 WHERE name = '2030-Q1';
\echo :LAST_ERROR_SQLSTATE

-- Responses, segmented with the cycle's bands.
SET ROLE cy_csm;
SELECT respondent, score, segment, submissions
FROM nps.record_response('2030-Q1', 'ACME', 'ann@acme.example', 9, 'Great support', responded_at => '2030-01-03');
SELECT respondent, score, segment, submissions
FROM nps.record_response('2030-Q1', 'GLOBEX', 'bo@globex.example', 4, 'Exports keep timing out', 'web', '2030-01-04');
-- A re-submission inside the window replaces the earlier answer.
SELECT respondent, score, segment, comment, submissions
FROM nps.record_response('2030-Q1', 'ACME', 'ann@acme.example', 6, 'Actually, the last release broke SSO', responded_at => '2030-01-10');
SELECT count(*) AS responses FROM nps.responses r JOIN nps.cycles c ON c.id = r.cycle_id WHERE c.name = '2030-Q1';

-- Refusals; nothing is stored by any of them.
SELECT nps.record_response('2030-Q1', 'ACME', 'cy@acme.example', 11, responded_at => '2030-01-05');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('2030-Q1', 'ACME', 'cy@acme.example', 8, responded_at => '2030-01-20');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('2030-Q9', 'ACME', 'cy@acme.example', 8);
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('2030-Q1', 'INITECH', 'cy@initech.example', 8, responded_at => '2030-01-05');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('2030-Q1', 'GLOBEX', 'ann@acme.example', 8, responded_at => '2030-01-05');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('2030-Q1', 'ACME', 'cy@acme.example', 8, channel => 'carrier pigeon', responded_at => '2030-01-05');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.record_response('2030-Q1', 'ACME', NULL, 8, responded_at => '2030-01-05');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS responses, sum(submissions) AS submissions FROM nps.responses r JOIN nps.cycles c ON c.id = r.cycle_id WHERE c.name = '2030-Q1';
RESET ROLE;

-- Analysts read responses; the NPS of the cycle with its own bands.
SET ROLE cy_analyst;
SELECT nps_score(r.score, c.promoter_min, c.detractor_max) AS nps, count(*) AS n
FROM nps.responses r JOIN nps.cycles c ON c.id = r.cycle_id WHERE c.name = '2030-Q1' GROUP BY c.id;
RESET ROLE;

-- The cycle's history: responses join the cycle run's audit chain, re-submission included.
SELECT action, object, regexp_replace(changes, 'recorded_at: [^;]*; ', '') AS changes
FROM nps.run_history((SELECT run_id FROM nps.cycles WHERE name = '2030-Q1'))
WHERE object LIKE 'response%' ORDER BY pos;
SELECT ok FROM nps.verify_audit((SELECT run_id FROM nps.cycles WHERE name = '2030-Q1'));

-- Once intake is closed, no response is recorded any more.
SELECT id AS intake FROM nps.steps WHERE run_id = (SELECT run_id FROM nps.cycles WHERE name = '2030-Q1') AND key = 'intake' \gset
UPDATE nps.tasks SET status = 'done', fields = '{"invitations": 40}' WHERE step_id = :intake AND key = 'audience';
UPDATE nps.tasks SET status = 'done' WHERE step_id = :intake AND key = 'reminders';
SELECT status, evidence->>'forced' AS forced FROM nps.close_intake('2030-Q1', force_reason => 'closing early to test a closed intake');
SELECT nps.record_response('2030-Q1', 'GLOBEX', 'di@globex.example', 10, responded_at => '2030-01-06');
\echo :LAST_ERROR_SQLSTATE
