-- The action plan behind its approval gate: items per segment with owners; refused while
-- incomplete, frozen while awaiting approval; delivered by their owners and verified by someone
-- else, who holds nps_approver — never the owner, by any identity. Verified items are final.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SET ROLE r_lead;
SELECT regress.cycle('AP1', 'action_plan') AS active_step;
SELECT segment, title, owner FROM nps.add_plan_item('AP1', 'promoter', 'Ask promoters for a referral', 'r_ava', '2025-03-01Z');
SELECT id AS fix, segment, cause, title FROM nps.add_plan_item('AP1', 'detractor', 'Fix the weekly export crash', 'r_dual', '2025-03-01Z', cause => 'product_bug') \gset
SELECT :'segment' AS segment, :'cause' AS cause, :'title' AS title;
SELECT nps.add_plan_item('AP1', 'passive', 'Nurture', 'r_ava', '2025-03-01Z', cause => 'astrology');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.add_plan_item('AP1', 'passive', 'Nurture', 'r_stranger', '2025-03-01Z');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.add_plan_item('AP1', 'passive', E'Nurture\r\nand more', 'r_ava', '2025-03-01Z');
\echo :LAST_ERROR_SQLSTATE
SELECT regress.finish_tasks('AP1', 'action_plan');
-- Every segment needs an item before the plan goes to approval.
SELECT nps.request_approval(nps.cycle_step('AP1', 'action_plan'));
\echo :LAST_ERROR_SQLSTATE
SELECT title FROM nps.add_plan_item('AP1', 'passive', 'Quarterly tips for passives', 'r_ben', '2025-03-15Z');
SELECT nps.request_approval(nps.cycle_step('AP1', 'action_plan'));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS fixes FROM (
    SELECT nps.add_plan_item('AP1', 'detractor', x.title, 'r_ben', '2025-03-01Z', cause => x.cause)
    FROM (VALUES ('Speed up report generation', 'performance'), ('Review pricing of the mid tier', 'pricing')) AS x(title, cause)) added;
SELECT status FROM nps.request_approval(nps.cycle_step('AP1', 'action_plan'), 'Plan for AP1');
-- Frozen while awaiting approval.
SELECT nps.add_plan_item('AP1', 'promoter', 'Late idea', 'r_ava', '2025-03-01Z');
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.plan_items SET owner = 'r_ben' WHERE title = 'Ask promoters for a referral';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Another CSM does not even see the plan; the approver does.
SET ROLE r_ben;
SELECT title FROM nps.plan_items ORDER BY id;
SELECT nps.add_plan_item('AP1', 'promoter', 'Ben''s idea', 'r_ben', '2025-03-01Z');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_appr1;
SELECT a.id AS plan_approval FROM nps.approvals a WHERE a.step_id = nps.cycle_step('AP1', 'action_plan') AND a.status = 'pending' \gset
SELECT count(*) AS items_the_approver_reviews FROM nps.plan_items p JOIN nps.cycles c ON c.id = p.cycle_id WHERE c.name = 'AP1';
SELECT status FROM nps.decide(:plan_approval, 'approve');
RESET ROLE;

-- Delivery: only the item's owner (or the cycle's owner, or an nps_admin) completes it.
SET ROLE r_ben;
SELECT nps.complete_plan_item(:fix, 'shipped');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_dual;
SELECT status, outcome FROM nps.complete_plan_item(:fix, 'release 2025.3');
-- Verification is someone else's: the owner cannot verify their own item, as themself or
-- through the group role; an empty evidence is no evidence.
SELECT nps.verify_plan_item(:fix, 'trust me');
\echo :LAST_ERROR_SQLSTATE
SET ROLE nps_approver;
SELECT nps.verify_plan_item(:fix, 'trust me');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_dual;
UPDATE nps.plan_items SET status = 'verified', evidence = 'direct', verified_by = 'r_appr1' WHERE title = 'Fix the weekly export crash';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_appr2;
SELECT nps.verify_plan_item(:fix, E' \u200b');
\echo :LAST_ERROR_SQLSTATE
SELECT status, verified_by, evidence FROM nps.verify_plan_item(:fix, 'Release notes 2025.3, ticket 4411');
-- An item not delivered yet cannot be verified.
SELECT nps.verify_plan_item(p.id, 'looks fine') FROM nps.plan_items p WHERE p.title = 'Quarterly tips for passives';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Nor does whoever completed an item for its owner verify it: an nps_admin (who holds
-- nps_approver) completing Ben's item leaves its verification to someone else.
SET ROLE r_admin;
SELECT (nps.complete_plan_item(p.id, 'done for Ben')).completed_by FROM nps.plan_items p WHERE p.title = 'Speed up report generation';
SELECT * FROM regress.error_of($$SELECT nps.verify_plan_item(p.id, 'I checked my own work') FROM nps.plan_items p WHERE p.title = 'Speed up report generation'$$);
RESET ROLE;
-- Verified is final, for everyone.
UPDATE nps.plan_items SET title = 'Something else', outcome = 'rewritten' WHERE title = 'Fix the weekly export crash';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.plan_items WHERE title = 'Fix the weekly export crash';
\echo :LAST_ERROR_SQLSTATE
-- Dropping an approved item needs a reason and stays in the plan.
SET ROLE r_lead;
SELECT nps.drop_plan_item(p.id, '') FROM nps.plan_items p WHERE p.title = 'Ask promoters for a referral';
\echo :LAST_ERROR_SQLSTATE
SELECT status, drop_reason FROM nps.drop_plan_item((SELECT id FROM nps.plan_items WHERE title = 'Ask promoters for a referral'), 'Referral programme paused');
SELECT title, owner, status, verified_by FROM nps.plan_items p JOIN nps.cycles c ON c.id = p.cycle_id WHERE c.name = 'AP1' ORDER BY p.id;
RESET ROLE;
