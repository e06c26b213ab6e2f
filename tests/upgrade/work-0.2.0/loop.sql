-- The whole NPS cycle, step by step, as the roles who run it: bulk intake with rejects, the
-- intake checkpoint, the frozen segmentation snapshot and its detractor projects, root causes,
-- the plan's approval gate, outreach with the outbox, verification and the cycle report, then
-- a second cycle compared with the first. Each refusal shows its SQLSTATE.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

DO $$
DECLARE r text[];
BEGIN
    FOREACH r SLICE 1 IN ARRAY ARRAY[['lp_lead', 'nps_csm'], ['lp_lead', 'nps_approver'], ['lp_csm1', 'nps_csm'], ['lp_csm2', 'nps_csm'],
                                    ['lp_director', 'nps_approver'], ['lp_admin', 'nps_admin'],
                                    ['lp_analyst', 'nps_analyst'], ['lp_auditor', 'nps_auditor']] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r[1]) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', r[1]);
        END IF;
        EXECUTE format('GRANT %I TO %I', r[2], r[1]);
    END LOOP;
END $$;

SET ROLE lp_admin;
INSERT INTO nps.accounts (external_id, name, csm, arr, segment, tier) VALUES
    ('LP-1', 'Northwind', 'lp_csm1', 200000, 'enterprise', 'gold'),
    ('LP-2', 'Contoso', 'lp_csm1', 50000, 'mid-market', 'silver'),
    ('LP-3', 'Fabrikam', 'lp_csm2', 80000, 'enterprise', 'gold'),
    ('LP-4', 'Tailspin', 'lp_csm2', 20000, 'smb', 'bronze');
RESET ROLE;

-- 1. Intake. The lead starts the cycle (a window in the past here) and loads a file through the
-- staging table; good rows load, every bad row stays with its reason.
SET ROLE lp_lead;
SELECT name, min_responses FROM nps.start_cycle('W1', opens_at => '2025-01-01Z', closes_at => '2025-01-15Z', min_responses => 9);
COPY nps.response_staging (account, respondent, score, comment, channel, responded_at) FROM stdin WITH (FORMAT csv);
LP-1,ana@northwind.example,10,Great support team and fast answers,email,2025-01-02 10:00Z
LP-1,ben@northwind.example,3,The export crashes with an error every week,web,2025-01-03 10:00Z
LP-2,cy@contoso.example,4,Too expensive for the value we get,email,2025-01-03 11:00Z
LP-2,dee@contoso.example,8,Fine overall,,2025-01-04 09:00Z
LP-3,eve@fabrikam.example,2,Pages are slow and reports keep timing out,in_app,2025-01-05 09:00Z
LP-3,fay@fabrikam.example,9,,email,2025-01-05 10:00Z
LP-4,gus@tailspin.example,6,We never hear from anyone,phone,2025-01-06 09:00Z
LP-4,hal@tailspin.example,5,Nothing in particular,email,2025-01-06 10:00Z
LP-9,ida@nowhere.example,7,unknown account,email,2025-01-06 11:00Z
LP-1,jo@northwind.example,11,score out of range,email,2025-01-06 11:00Z
LP-1,kim@northwind.example,ten,score not a number,email,2025-01-06 11:00Z
LP-1,,9,no respondent,email,2025-01-06 11:00Z
LP-1,lee@northwind.example,9,unknown channel,fax,2025-01-06 11:00Z
LP-1,max@northwind.example,9,a time that is not one,email,the day after
LP-1,ned@northwind.example,9,outside the window,email,2025-02-06 11:00Z
\.
SELECT * FROM nps.ingest_staged('W1');
SELECT account, respondent, score, sqlstate, reason FROM nps.staging_rejects ORDER BY id;
SELECT count(*) AS responses FROM nps.responses r JOIN nps.cycles c ON c.id = r.cycle_id WHERE c.name = 'W1';
-- Ingesting again takes nothing twice.
SELECT * FROM nps.ingest_staged('W1');

-- Closing intake is the checkpoint: refused below min_responses, and (for a cycle still open)
-- before its window ends; only an admin may force it, and must say why.
SELECT (nps.complete_task(t.id, '{"invitations": 20}')).status AS invited
FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'intake') AND t.key = 'audience';
SELECT (nps.complete_task(t.id)).status AS reminded
FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'intake') AND t.key = 'reminders';
SELECT nps.close_intake('W1');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.skip_step(nps.cycle_step('W1', 'intake'), 'no time');
\echo :LAST_ERROR_SQLSTATE
SELECT respondent, segment FROM nps.record_response('W1', 'LP-3', 'ivy@fabrikam.example', 10, 'Love the new dashboards', responded_at => '2025-01-10Z');
SELECT status, evidence - 'window' AS evidence, evidence->>'window' AS window
FROM nps.close_intake('W1');
SELECT invitations FROM nps.cycles WHERE name = 'W1';
SELECT nps.record_response('W1', 'LP-1', 'zed@northwind.example', 10, responded_at => '2025-01-11Z');
\echo :LAST_ERROR_SQLSTATE
SELECT name FROM nps.start_cycle('W-open', opens_at => '2025-06-01Z', closes_at => '2099-01-01Z', min_responses => 1);
SELECT nps.close_intake('W-open');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.close_intake('W-open', force_reason => 'board meeting moved up');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE lp_admin;
SELECT (nps.complete_task(t.id, CASE t.key WHEN 'audience' THEN '{"invitations": 0}'::jsonb ELSE '{}' END)).status AS done
FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W-open', 'intake') ORDER BY t.position;
SELECT nps.close_intake('W-open', force_reason => '');
\echo :LAST_ERROR_SQLSTATE
SELECT status, evidence->>'forced' AS forced, evidence->>'responses' AS responses
FROM nps.close_intake('W-open', force_reason => 'board meeting moved up');
RESET ROLE;

-- 2. Segmentation: a checkpoint, never skipped; completing it freezes the snapshot and starts one
-- detractor project per detractor, owned by the account's CSM.
SET ROLE lp_lead;
SELECT nps.skip_step(nps.cycle_step('W1', 'segmentation'), 'obvious');
\echo :LAST_ERROR_SQLSTATE
SELECT (nps.complete_task(t.id)).status AS reviewed FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'segmentation');
SELECT status, evidence FROM nps.complete_step(nps.cycle_step('W1', 'segmentation'));
SELECT responses, promoters, passives, detractors, nps, ci_low, ci_high, arr_weighted_nps, response_rate, previous_cycle_id
FROM nps.cycle_snapshots s JOIN nps.cycles c ON c.id = s.cycle_id WHERE c.name = 'W1';
SELECT dimension, key, responses, nps FROM nps.cycle_snapshot_groups g JOIN nps.cycles c ON c.id = g.cycle_id
WHERE c.name = 'W1' AND dimension <> 'account' ORDER BY dimension, key;
SELECT pb.playbook, a.external_id, r.score, x.owner, x.title
FROM nps.playbook_runs pb JOIN nps.responses r ON r.id = pb.response_id JOIN nps.accounts a ON a.id = r.account_id
JOIN nps.runs x ON x.id = pb.run_id
WHERE pb.cycle_run_id = (SELECT run_id FROM nps.cycles WHERE name = 'W1') ORDER BY a.external_id, r.score;
SELECT recipient, subject, status FROM nps.outbox o JOIN nps.playbook_runs pb ON pb.run_id = o.run_id
WHERE pb.cycle_run_id = (SELECT run_id FROM nps.cycles WHERE name = 'W1') ORDER BY recipient;
-- The snapshot is frozen: nobody rewrites it, not even a superuser.
RESET ROLE;
UPDATE nps.cycle_snapshots SET nps = 99;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.cycle_snapshot_groups;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.cycle_snapshots SELECT * FROM nps.cycle_snapshots;
\echo :LAST_ERROR_SQLSTATE

-- 3. Root causes: suggestions by full-text search, confirmed or overridden by a person; the step
-- completes only when every detractor has a confirmed cause ("unknown" needs a note).
SET ROLE lp_lead;
SELECT account, score, suggested, matched, confirmed FROM nps.suggest_root_causes('W1') ORDER BY account, score;
SELECT (nps.complete_task(t.id)).status AS confirmed_task
FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'root_cause') AND t.key = 'confirm_causes';
SELECT (nps.complete_task(t.id, '{"summary": "bugs, speed, price, contact"}')).status
FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'root_cause') AND t.key = 'themes';
\echo :LAST_ERROR_SQLSTATE
SELECT r.id AS hal FROM nps.responses r WHERE r.respondent = 'hal@tailspin.example' \gset
SELECT r.id AS gus FROM nps.responses r WHERE r.respondent = 'gus@tailspin.example' \gset
SELECT nps.assign_root_cause(:hal, 'unknown');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.assign_root_cause(:hal, 'astrology');
\echo :LAST_ERROR_SQLSTATE
SELECT cause, confirmed, note FROM nps.assign_root_cause(:hal, 'unknown', note => 'No detail given; the CSM will ask on the call');
SELECT cause, suggested, confirmed FROM nps.assign_root_cause(:gus, 'relationship');
SELECT count(*) FILTER (WHERE (nps.assign_root_cause(rc.response_id)).confirmed) AS accepted_suggestions
FROM nps.response_causes rc JOIN nps.cycles c ON c.id = rc.cycle_id WHERE c.name = 'W1' AND NOT rc.confirmed;
SELECT status FROM nps.complete_task((SELECT t.id FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'root_cause') AND t.key = 'themes'),
                                     '{"summary": "bugs, speed, price, contact"}');
SELECT status FROM nps.steps WHERE id = nps.cycle_step('W1', 'root_cause');
SELECT nps.assign_root_cause(:gus, 'pricing');
\echo :LAST_ERROR_SQLSTATE
SELECT cause, detractors, share_pct, cumulative_pct, rank FROM nps.root_cause_pareto WHERE cycle = 'W1' ORDER BY rank, cause;
SELECT cause, responses, nps, nps_without, impact FROM nps.topic_impact WHERE cycle = 'W1' ORDER BY cause;

-- 4. Action plan behind the approval gate: an item per segment, a fix per root cause; refused
-- while incomplete, frozen while awaiting approval, approved by someone else than the requester.
SELECT segment, title, owner FROM nps.add_plan_item('W1', 'promoter', 'Ask promoters for a referral', 'lp_csm1', '2025-03-01Z');
SELECT segment, cause, title FROM nps.add_plan_item('W1', 'detractor', 'Fix the weekly export crash', 'lp_csm2', '2025-03-01Z', cause => 'product_bug');
SELECT nps.add_plan_item('W1', 'passive', 'Nurture', 'lp_csm1', '2025-03-01Z', cause => 'pricing');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.add_plan_item('W1', 'passive', 'Nurture', 'lp_nobody', '2025-03-01Z');
\echo :LAST_ERROR_SQLSTATE
SELECT (nps.complete_task(t.id, '{"plan_items": 2}')).status AS drafted
FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'action_plan');
SELECT nps.request_approval(nps.cycle_step('W1', 'action_plan'));
\echo :LAST_ERROR_SQLSTATE
SELECT title FROM nps.add_plan_item('W1', 'passive', 'Quarterly tips for passives', 'lp_csm2', '2025-03-15Z');
SELECT nps.request_approval(nps.cycle_step('W1', 'action_plan'));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM (
    SELECT nps.add_plan_item('W1', 'detractor', x.title, 'lp_csm2', '2025-03-01Z', cause => x.cause)
    FROM (VALUES ('Speed up report generation', 'performance'), ('Review pricing of the mid tier', 'pricing'),
                 ('Monthly check-in for small accounts', 'relationship')) AS x(title, cause)) added;
SELECT status FROM nps.request_approval(nps.cycle_step('W1', 'action_plan'), 'Plan for W1');
SELECT nps.add_plan_item('W1', 'promoter', 'Late idea', 'lp_csm1', '2025-03-01Z');
\echo :LAST_ERROR_SQLSTATE
SELECT a.id AS plan_approval FROM nps.approvals a WHERE a.step_id = nps.cycle_step('W1', 'action_plan') AND a.status = 'pending' \gset
SELECT nps.decide(:plan_approval, 'approve');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE lp_director;
SELECT status, reason FROM nps.decide(:plan_approval, 'reject', 'The referral ask needs a due date before the renewal wave');
RESET ROLE;
SET ROLE lp_lead;
SELECT status, rejection_reason FROM nps.steps WHERE id = nps.cycle_step('W1', 'action_plan');
UPDATE nps.plan_items SET due_at = '2025-02-15Z' WHERE title = 'Ask promoters for a referral';
SELECT a.id AS plan_approval FROM nps.request_approval(nps.cycle_step('W1', 'action_plan'), 'Revised: referral ask due earlier') a \gset
RESET ROLE;
SET ROLE lp_director;
SELECT status FROM nps.decide(:plan_approval, 'approve');
RESET ROLE;
SELECT status FROM nps.steps WHERE id = nps.cycle_step('W1', 'action_plan');

-- 5. Outreach: every detractor project's tasks sit with the account's CSM, due in business days;
-- conversations are logged per run; the outbox serves several senders without double sends.
SET ROLE lp_csm2;
SELECT title, step, template FROM nps.my_tasks WHERE actionable ORDER BY run, title;
SELECT x.id AS fab_run FROM nps.runs x JOIN nps.playbook_runs pb ON pb.run_id = x.id JOIN nps.responses r ON r.id = pb.response_id
WHERE r.respondent = 'eve@fabrikam.example' \gset
SELECT channel, body, author FROM nps.log_conversation(:fab_run, 'Called Eve: reports on the big workspace take 40 s', 'phone');
RESET ROLE;
SET ROLE lp_csm1;
SELECT nps.log_conversation(:fab_run, 'Not my account');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
UPDATE nps.conversations SET body = 'rewritten';
\echo :LAST_ERROR_SQLSTATE
SET ROLE lp_csm1;
SELECT count(*) AS claimed_by_a FROM nps.claim_outbox('mailer-a', 3);
SELECT count(*) AS claimed_by_b FROM nps.claim_outbox('mailer-b', 10);
SELECT count(*) AS claimed_again FROM nps.claim_outbox('mailer-c', 10);
SELECT o.id AS mail_a FROM nps.outbox o WHERE o.claimed_by = 'mailer-a' ORDER BY o.id LIMIT 1 \gset
SELECT nps.mark_sent(:mail_a, 'mailer-b');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM nps.mark_sent(:mail_a, 'mailer-a');
SELECT status, attempts, last_error FROM nps.mark_failed((SELECT min(id) FROM nps.outbox WHERE claimed_by = 'mailer-b'), 'mailer-b', 'SMTP 451');
SELECT nps.claim_outbox('', 1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- The outreach step waits for every project.
SET ROLE lp_lead;
SELECT (nps.complete_task(t.id)).status FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'outreach');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Each CSM works their projects to the end (re-survey scores in the feedback step).
CREATE FUNCTION pg_temp.work_my_tasks() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n integer := 0;
BEGIN
    LOOP
        SELECT m.task_id, k.key, r.subject ->> 'respondent' AS who INTO t
        FROM nps.my_tasks m JOIN nps.tasks k ON k.id = m.task_id JOIN nps.runs r ON r.id = m.run_id
        WHERE m.actionable AND m.template = 'NPS Detractor' ORDER BY m.task_id LIMIT 1;
        EXIT WHEN NOT FOUND;
        PERFORM nps.complete_task(t.task_id, CASE t.key
            WHEN 'first_contact' THEN '{"channel": "phone"}'
            WHEN 'review' THEN '{"summary": "reviewed with the account team"}'
            WHEN 'call' THEN '{"outcome": "plan_agreed"}'
            WHEN 'log' THEN '{"notes": "agreed next steps"}'
            WHEN 'confirm_fix' THEN '{"fix": "release 2025.3"}'
            WHEN 'ask_feedback' THEN CASE WHEN t.who LIKE 'b%' OR t.who LIKE 'e%'
                                          THEN '{"resurvey_score": 8}' ELSE '{}' END
            ELSE '{}' END::jsonb);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;
SET ROLE lp_csm1;
SELECT pg_temp.work_my_tasks() AS tasks_done_by_csm1;
RESET ROLE;
SET ROLE lp_csm2;
SELECT pg_temp.work_my_tasks() AS tasks_done_by_csm2;
RESET ROLE;
SET ROLE lp_lead;
SELECT status FROM nps.complete_task((SELECT t.id FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'outreach')));
SELECT status FROM nps.steps WHERE id = nps.cycle_step('W1', 'outreach');

-- 6. Verification and close: every item delivered by its owner and verified by someone else.
SELECT (nps.complete_task(t.id)).status AS done FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W1', 'close') ORDER BY t.position;
SELECT nps.request_approval(nps.cycle_step('W1', 'close'));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE lp_csm2;
SELECT count(*) AS delivered FROM (
    SELECT nps.complete_plan_item(p.id, 'shipped') FROM nps.plan_items p JOIN nps.cycles c ON c.id = p.cycle_id
    WHERE c.name = 'W1' AND p.owner = 'lp_csm2'::regrole) x;
SELECT nps.verify_plan_item(p.id, 'release notes 2025.3') FROM nps.plan_items p WHERE p.title = 'Fix the weekly export crash';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE lp_csm1;
SELECT status FROM nps.complete_plan_item((SELECT id FROM nps.plan_items WHERE title = 'Ask promoters for a referral'), '12 referrals asked');
SELECT nps.verify_plan_item(p.id, '') FROM nps.plan_items p WHERE p.title = 'Fix the weekly export crash';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS verified_by_csm1 FROM (
    SELECT nps.verify_plan_item(p.id, 'https://tracker.example/done/' || p.id) FROM nps.plan_items p
    JOIN nps.cycles c ON c.id = p.cycle_id WHERE c.name = 'W1' AND p.owner = 'lp_csm2'::regrole AND p.status = 'done') x;
RESET ROLE;
SET ROLE lp_director;
SELECT status, verified_by FROM nps.verify_plan_item((SELECT id FROM nps.plan_items WHERE title = 'Ask promoters for a referral'), 'CRM report: 12 referral asks');
RESET ROLE;
SET ROLE lp_lead;
SELECT a.id AS close_approval FROM nps.request_approval(nps.cycle_step('W1', 'close'), 'All verified') a \gset
SELECT evidence FROM nps.steps WHERE id = nps.cycle_step('W1', 'close');
RESET ROLE;
SET ROLE lp_director;
SELECT status FROM nps.decide(:close_approval, 'approve');
RESET ROLE;
SELECT r.status FROM nps.runs r JOIN nps.cycles c ON c.run_id = r.id WHERE c.name = 'W1';
SELECT headline->>'nps' AS nps, headline->>'responses' AS responses, loop_closure->>'projects' AS projects,
       loop_closure->>'pct_contacted_within_sla' AS pct_within_sla, loop_closure->>'items_verified' AS verified,
       jsonb_array_length(root_causes) AS causes, plan
FROM nps.cycle_reports r JOIN nps.cycles c ON c.id = r.cycle_id WHERE c.name = 'W1';

-- A second cycle: bands frozen, compared with the first; a late response cannot move its snapshot.
SET ROLE lp_lead;
SELECT name FROM nps.start_cycle('W2', opens_at => '2025-04-01Z', closes_at => '2025-04-15Z', min_responses => 3, invitations => 12);
SELECT count(*) FROM (
    SELECT nps.record_response('W2', x.acct, x.who, x.score, x.note, responded_at => '2025-04-03Z')
    FROM (VALUES ('LP-1', 'ana@northwind.example', 10, 'Still great'), ('LP-1', 'ben@northwind.example', 9, 'Export fixed, thanks'),
                 ('LP-2', 'cy@contoso.example', 7, 'Better value now'), ('LP-3', 'eve@fabrikam.example', 8, 'Faster reports'),
                 ('LP-4', 'gus@tailspin.example', 4, 'Still no contact')) AS x(acct, who, score, note)) rec;
SELECT (nps.complete_task(t.id, CASE t.key WHEN 'audience' THEN '{"invitations": 0}'::jsonb ELSE '{}' END)).status
FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W2', 'intake') ORDER BY t.position;
SELECT status FROM nps.close_intake('W2');
SELECT (nps.complete_task(t.id)).status FROM nps.tasks t WHERE t.step_id = nps.cycle_step('W2', 'segmentation');
SELECT evidence->>'change_from_previous' AS change FROM nps.complete_step(nps.cycle_step('W2', 'segmentation'));
SELECT nps.record_response('W2', 'LP-4', 'hal@tailspin.example', 0, 'late', responded_at => '2025-04-05Z');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
UPDATE nps.responses SET score = 0 WHERE respondent = 'ana@northwind.example' AND cycle_id = (SELECT id FROM nps.cycles WHERE name = 'W2');
\echo :LAST_ERROR_SQLSTATE

-- What analysts see: the BI views (and not the audit trail).
SET ROLE lp_analyst;
SELECT cycle, status, current_step, frozen, responses, response_rate, nps, ci_low, ci_high, arr_weighted_nps,
       previous_cycle, previous_nps, change, p_value
FROM nps.cycle_headline WHERE cycle IN ('W1', 'W2') ORDER BY cycle;
SELECT month, responses, nps FROM nps.trend_monthly WHERE month IN ('2025-01-01', '2025-04-01') ORDER BY month;
SELECT cycle, account, responses, nps, arr_share_pct, arr_weighted_points FROM nps.account_nps WHERE cycle = 'W1' ORDER BY account;
SELECT sum(arr_weighted_points) AS sum_of_points FROM nps.account_nps WHERE cycle = 'W1';
SELECT dimension, value, responses, nps, arr_weighted_nps FROM nps.segment_breakdown WHERE cycle = 'W1' AND dimension IN ('tier', 'csm') ORDER BY dimension, value;
SELECT detractors, projects, projects_done, pct_closed, contacted, pct_contacted_within_sla, conversations,
       plan_items, items_verified, resurveyed, resurvey_before, resurvey_after, recovered
FROM nps.loop_closure WHERE cycle = 'W1';
SELECT count(*) FROM nps.audit_log;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The rollups agree with the responses they summarize.
SELECT (SELECT sum(x) FROM nps.response_rollups r, unnest(r.counts) x) = (SELECT count(*) FROM nps.responses) AS rollups_match;

-- The auditor: every step of W1 is in its chain, and the chain verifies.
SET ROLE lp_auditor;
SELECT object, count(*) FROM (
    SELECT regexp_replace(object, ' #.*$', '') AS object FROM nps.run_history((SELECT run_id FROM nps.cycles WHERE name = 'W1'))) h
GROUP BY object ORDER BY object;
SELECT ok, problem FROM nps.verify_audit((SELECT run_id FROM nps.cycles WHERE name = 'W1'));
RESET ROLE;

-- Every public object of the extension is described.
SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'nps' AND c.relkind = 'v' AND col_description(c.oid, a.attnum) IS NULL
ORDER BY 1, 2;
SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'nps' AND obj_description(p.oid, 'pg_proc') IS NULL ORDER BY 1;
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'nps' AND c.relkind IN ('r', 'v') AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1;

-- A playbook that fires as soon as a response arrives: once per response, re-submissions included.
SET ROLE lp_admin;
INSERT INTO nps.playbooks (name, fires_on, segment, tier, template, owner, email_subject, email_body)
VALUES ('Gold detractor escalation', 'response', 'detractor', 'gold', 'Client Escalation', 'account_csm',
        'About your {score} for {account}', 'Hi {respondent}, thank you for answering survey {cycle}.');
INSERT INTO nps.playbooks (name, template) VALUES ('Broken', 'No Such Template');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.playbooks (name, template, owner) VALUES ('Broken', 'NPS Detractor', 'lp_nobody');
\echo :LAST_ERROR_SQLSTATE
SELECT name, fires_on, shipped FROM nps.playbooks_in_force ORDER BY name;
RESET ROLE;
SET ROLE lp_lead;
SELECT name FROM nps.start_cycle('W3', opens_at => '2025-07-01Z', closes_at => '2025-07-15Z', min_responses => 1);
SELECT segment FROM nps.record_response('W3', 'LP-3', 'eve@fabrikam.example', 3, 'Slow again', responded_at => '2025-07-02Z');
SELECT segment FROM nps.record_response('W3', 'LP-2', 'cy@contoso.example', 2, 'Silver: no escalation', responded_at => '2025-07-02Z');
SELECT segment FROM nps.record_response('W3', 'LP-3', 'eve@fabrikam.example', 1, 'Even slower', responded_at => '2025-07-03Z');
SELECT pb.playbook, x.owner, x.title, x.parent_run_id = c.run_id AS child_of_cycle
FROM nps.playbook_runs pb JOIN nps.runs x ON x.id = pb.run_id JOIN nps.cycles c ON c.run_id = pb.cycle_run_id
WHERE c.name = 'W3';
SELECT o.recipient, o.subject, o.body FROM nps.outbox o JOIN nps.playbook_runs pb ON pb.run_id = o.run_id
JOIN nps.cycles c ON c.run_id = pb.cycle_run_id WHERE c.name = 'W3';
RESET ROLE;
