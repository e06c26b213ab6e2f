-- Segmentation, the second checkpoint: completing it freezes the snapshot and starts a detractor
-- project per detractor; from then on no response changes or goes, for anyone; a forged rollup
-- shows in verification.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SET ROLE r_lead;
SELECT regress.cycle('S1', 'segmentation') AS active_step;
SELECT nps.skip_step(nps.cycle_step('S1', 'segmentation'), 'obvious');
\echo :LAST_ERROR_SQLSTATE
-- Before segmentation the headline is live.
RESET ROLE;
SET ROLE r_analyst;
SELECT cycle, frozen, responses, nps FROM nps.cycle_headline WHERE cycle = 'S1';
RESET ROLE;
SET ROLE r_lead;
SELECT regress.finish_tasks('S1', 'segmentation');
SELECT status, evidence - 'window' AS evidence FROM nps.complete_step(nps.cycle_step('S1', 'segmentation'));
SELECT responses, promoters, passives, detractors, nps, ci_low, ci_high, arr_weighted_nps, response_rate, previous_cycle_id
FROM nps.cycle_snapshots s JOIN nps.cycles c ON c.id = s.cycle_id WHERE c.name = 'S1';
SELECT dimension, key, responses, nps FROM nps.cycle_snapshot_groups g JOIN nps.cycles c ON c.id = g.cycle_id
WHERE c.name = 'S1' AND dimension <> 'account' ORDER BY dimension, key;
-- One detractor project per detractor, owned by the account's CSM, under the cycle's run.
SELECT pb.playbook, a.external_id, r.score, x.owner, x.parent_run_id = c.run_id AS under_the_cycle
FROM nps.playbook_runs pb JOIN nps.responses r ON r.id = pb.response_id JOIN nps.accounts a ON a.id = r.account_id
JOIN nps.runs x ON x.id = pb.run_id JOIN nps.cycles c ON c.id = r.cycle_id
WHERE c.name = 'S1' ORDER BY a.external_id, r.score;
SELECT recipient, subject, status FROM nps.outbox o JOIN nps.playbook_runs pb ON pb.run_id = o.run_id
JOIN nps.cycles c ON c.run_id = pb.cycle_run_id WHERE c.name = 'S1' ORDER BY recipient;
-- A late response, a rewritten score, a deleted response: refused for the owner...
SELECT nps.record_response('S1', 'ACME', 'late@acme.example', 0, 'late', responded_at => '2025-01-05Z');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- ... and for a superuser, in replica mode too.
UPDATE nps.responses SET score = 10 WHERE respondent = 'al@acme.example' AND cycle_id = (SELECT id FROM nps.cycles WHERE name = 'S1');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.responses WHERE respondent = 'al@acme.example' AND cycle_id = (SELECT id FROM nps.cycles WHERE name = 'S1');
\echo :LAST_ERROR_SQLSTATE
SET session_replication_role = replica;
DELETE FROM nps.responses WHERE respondent = 'al@acme.example' AND cycle_id = (SELECT id FROM nps.cycles WHERE name = 'S1');
\echo :LAST_ERROR_SQLSTATE
RESET session_replication_role;
-- The snapshot is frozen: nobody rewrites it, not even a superuser, and none is written by hand.
UPDATE nps.cycle_snapshots SET nps = 99;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.cycle_snapshot_groups;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.cycle_snapshots SELECT * FROM nps.cycle_snapshots;
\echo :LAST_ERROR_SQLSTATE
-- A forged rollup (a superuser with the guard out of the way) inflates the trend; verification
-- recomputes the rollups from the responses and names the difference.
SELECT responses, nps FROM nps.trend_monthly WHERE month = '2025-01-01';
UPDATE nps.response_rollups SET counts[11] = counts[11] + 1000;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE nps.response_rollups DISABLE TRIGGER rollups_guard;
UPDATE nps.response_rollups SET counts[11] = counts[11] + 1000 WHERE day = '2025-01-05' AND cycle_id = (SELECT id FROM nps.cycles WHERE name = 'S1');
ALTER TABLE nps.response_rollups ENABLE TRIGGER rollups_guard;
SELECT responses, nps FROM nps.trend_monthly WHERE month = '2025-01-01';
SELECT chain, ok, problem, detail FROM nps.verify_audit() WHERE chain LIKE 'derived:%';
SET ROLE r_admin;
SELECT nps.rebuild_rollups('S1') AS rebuilt;
RESET ROLE;
SELECT chain, ok, problem FROM nps.verify_audit() WHERE chain LIKE 'derived:%';
SELECT responses, nps FROM nps.trend_monthly WHERE month = '2025-01-01';
