-- Outreach: every detractor project's tasks sit with the account's CSM; conversations are logged
-- by the people of the run and never change; the outbox is written by the playbooks and sent by
-- senders only: nobody redirects a queued e-mail or marks one sent by hand.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

SET ROLE r_lead;
SELECT regress.cycle('O1', 'outreach') AS active_step;
RESET ROLE;
SET ROLE r_ben;
SELECT m.title, m.step, m.template FROM nps.my_tasks m JOIN nps.runs x ON x.id = m.run_id JOIN nps.cycles c ON c.run_id = x.parent_run_id
WHERE m.actionable AND c.name = 'O1' ORDER BY m.run_id, m.title;
SELECT x.id AS ida_run FROM nps.runs x JOIN nps.playbook_runs pb ON pb.run_id = x.id JOIN nps.responses r ON r.id = pb.response_id
JOIN nps.cycles c ON c.id = r.cycle_id WHERE r.respondent = 'ida@initech.example' AND c.name = 'O1' \gset
SELECT channel, body, author FROM nps.log_conversation(:ida_run, 'Called Ida: reports on the big workspace take 40 s', 'phone');
SELECT nps.log_conversation(:ida_run, repeat('x', 100001));
\echo :LAST_ERROR_SQLSTATE
SELECT nps.log_conversation(:ida_run, E' \n\t');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Ava works on none of Ben's projects: she neither reads nor writes their conversations.
SET ROLE r_ava;
SELECT nps.log_conversation(:ida_run, 'Not my account');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS avas_view FROM nps.conversations WHERE run_id = :ida_run;
RESET ROLE;
UPDATE nps.conversations SET body = 'rewritten';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM nps.conversations;
\echo :LAST_ERROR_SQLSTATE

-- The outbox: CSMs read their runs' messages and change none of them.
SET ROLE r_ben;
SELECT o.recipient, o.status FROM nps.outbox o JOIN nps.runs x ON x.id = o.run_id JOIN nps.cycles c ON c.run_id = x.parent_run_id
WHERE c.name = 'O1' ORDER BY o.recipient;
UPDATE nps.outbox SET recipient = 'me@evil.example' WHERE run_id = :ida_run;
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.outbox SET status = 'sent' WHERE run_id = :ida_run;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nps.outbox (run_id, recipient, subject, body) VALUES (:ida_run, 'x@example.com', 'Hi', 'Spam');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.claim_outbox('ben', 10);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Senders claim messages for a lease, and only the claimer marks them sent or failed.
SET SESSION AUTHORIZATION r_mailer;
SELECT count(*) AS claimed_by_a FROM nps.claim_outbox('mailer-a', 2);
SELECT count(*) > 0 AS claimed_by_b FROM nps.claim_outbox('mailer-b', 1000);
SELECT count(*) AS claimed_again FROM nps.claim_outbox('mailer-c', 1000);
SELECT o.id AS mail_a FROM nps.outbox o WHERE o.claimed_by = 'mailer-a' ORDER BY o.id LIMIT 1 \gset
SELECT nps.mark_sent(:mail_a, 'mailer-b');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM nps.mark_sent(:mail_a, 'mailer-a');
SELECT status, attempts, last_error FROM nps.mark_failed((SELECT min(id) FROM nps.outbox WHERE claimed_by = 'mailer-b'), 'mailer-b', 'SMTP 451');
SELECT nps.claim_outbox('', 1);
\echo :LAST_ERROR_SQLSTATE
UPDATE nps.outbox SET recipient = 'me@evil.example';
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status = 'queued' AND attempts = 1) AS to_retry
FROM nps.outbox;

-- Each CSM works their projects to the end; the outreach step waits for every one.
SET ROLE r_lead;
SELECT regress.finish_tasks('O1', 'outreach');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
CREATE FUNCTION pg_temp.work_my_tasks(but_not text DEFAULT '') RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n integer := 0;
BEGIN
    LOOP
        SELECT m.task_id, k.key INTO t
        FROM nps.my_tasks m JOIN nps.tasks k ON k.id = m.task_id
        WHERE m.actionable AND m.template = 'NPS Detractor' AND k.key <> but_not ORDER BY m.task_id LIMIT 1;
        EXIT WHEN NOT FOUND;
        PERFORM nps.complete_task(t.task_id, CASE t.key
            WHEN 'first_contact' THEN '{"channel": "phone"}'
            WHEN 'review' THEN '{"summary": "reviewed with the account team"}'
            WHEN 'call' THEN '{"outcome": "plan_agreed"}'
            WHEN 'log' THEN '{"notes": "agreed next steps"}'
            WHEN 'confirm_fix' THEN '{"fix": "release 2025.3"}'
            WHEN 'ask_feedback' THEN '{"resurvey_score": 8}'
            ELSE '{}' END::jsonb);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;
SET ROLE r_ava;
SELECT pg_temp.work_my_tasks() AS tasks_done_by_ava;
RESET ROLE;
SET ROLE r_ben;
SELECT pg_temp.work_my_tasks('ask_feedback') AS tasks_done_by_ben;
-- A re-survey score is a score (0..10), or nothing.
SELECT m.task_id AS feedback FROM nps.my_tasks m JOIN nps.tasks k ON k.id = m.task_id
WHERE m.actionable AND k.key = 'ask_feedback' ORDER BY m.task_id LIMIT 1 \gset
SELECT nps.complete_task(:feedback, '{"resurvey_score": 42}');
\echo :LAST_ERROR_SQLSTATE
SELECT nps.complete_task(:feedback, '{"resurvey_score": 7.5}');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.work_my_tasks() AS more_tasks_done_by_ben;
RESET ROLE;
SET ROLE r_lead;
SELECT status FROM nps.steps WHERE id = nps.cycle_step('O1', 'outreach');
SELECT regress.finish_tasks('O1', 'outreach');
SELECT status FROM nps.steps WHERE id = nps.cycle_step('O1', 'outreach');
RESET ROLE;
SET ROLE r_analyst;
SELECT projects, projects_done, pct_closed, conversations, resurveyed, resurvey_before, resurvey_after, recovered
FROM nps.loop_closure WHERE cycle = 'O1';
RESET ROLE;
