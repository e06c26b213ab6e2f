-- Root causes: full-text suggestions confirmed or overridden by a person who may (the cycle's
-- owner, the account's CSM, an nps_admin); the step completes only when every detractor has a
-- confirmed cause ("unknown" needs a note).
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SET ROLE r_lead;
SELECT regress.cycle('RC1', 'root_cause') AS active_step;
SELECT account, score, suggested, matched, confirmed FROM nps.suggest_root_causes('RC1') ORDER BY account, score;
SELECT regress.finish_tasks('RC1', 'root_cause');
\echo :LAST_ERROR_SQLSTATE
SELECT r.id AS ulf FROM nps.responses r JOIN nps.cycles c ON c.id = r.cycle_id WHERE r.respondent = 'ulf@umbrella.example' AND c.name = 'RC1' \gset
SELECT r.id AS al FROM nps.responses r JOIN nps.cycles c ON c.id = r.cycle_id WHERE r.respondent = 'al@acme.example' AND c.name = 'RC1' \gset
SELECT nps.assign_root_cause(:ulf, 'unknown');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.assign_root_cause(:ulf, 'unknown', note => E'\t\u200b');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.assign_root_cause(:ulf, 'astrology');
\echo :LAST_ERROR_SQLSTATE
SELECT cause, confirmed, note, assigned_by FROM nps.assign_root_cause(:ulf, 'unknown', note => 'No detail given; the CSM will ask on the call');
RESET ROLE;
-- Another CSM cannot confirm the cause of Ava's customer, by procedure or directly.
SET ROLE r_ben;
SELECT nps.assign_root_cause(:al, 'pricing');
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.response_causes SET cause = 'pricing', confirmed = true WHERE response_id = :al;
SELECT count(*) AS ben_sees_the_cause FROM nps.response_causes WHERE response_id = :al;
RESET ROLE;
-- The account's CSM can.
SET ROLE r_ava;
SELECT cause, suggested, confirmed, assigned_by FROM nps.assign_root_cause(:al, 'product_bug');
RESET ROLE;
SET ROLE r_lead;
SELECT count(*) FILTER (WHERE (nps.assign_root_cause(rc.response_id)).confirmed) AS accepted_suggestions
FROM nps.response_causes rc JOIN nps.cycles c ON c.id = rc.cycle_id WHERE c.name = 'RC1' AND NOT rc.confirmed;
SELECT regress.finish_tasks('RC1', 'root_cause');
SELECT status FROM nps.steps WHERE id = nps.cycle_step('RC1', 'root_cause');
-- Once the step is done the causes are final.
SELECT nps.assign_root_cause(:ulf, 'pricing');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE r_analyst;
SELECT cause, detractors, share_pct, cumulative_pct, rank FROM nps.root_cause_pareto WHERE cycle = 'RC1' ORDER BY rank, cause;
SELECT cause, responses, nps, nps_without, impact FROM nps.topic_impact WHERE cycle = 'RC1' ORDER BY cause;
SELECT nps.suggest_root_causes('RC1');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- The taxonomy: shipped causes, an nps_admin's additions.
SET ROLE r_admin;
INSERT INTO nps.root_causes (key, name, keywords) VALUES ('security', 'Security concerns', '{breach,phishing,sso}');
INSERT INTO nps.root_causes (key, name) VALUES ('Bad Key', 'Bad');
\echo :LAST_ERROR_SQLSTATE
SELECT key, shipped, customized FROM nps.root_cause_taxonomy ORDER BY position, key;
RESET ROLE;
