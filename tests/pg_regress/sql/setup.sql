-- The cast every later file acts as, written once: login roles in pg_nps' capability roles,
-- registered as people; applications; accounts; and the helpers that drive a cycle to a step.
-- Roles are cluster-wide, so they are created only when missing.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

DO $$
DECLARE r text[];
BEGIN
    FOREACH r SLICE 1 IN ARRAY ARRAY[
        ['r_admin', 'nps_admin'], ['r_lead', 'nps_csm'], ['r_ava', 'nps_csm'], ['r_ben', 'nps_csm'],
        ['r_appr1', 'nps_approver'], ['r_appr2', 'nps_approver'], ['r_appr3', 'nps_approver'],
        ['r_dual', 'nps_csm'], ['r_dual', 'nps_approver'],
        ['r_analyst', 'nps_analyst'], ['r_auditor', 'nps_auditor'], ['r_pii', 'nps_pii'], ['r_pii', 'nps_analyst'],
        ['r_stranger', 'nps_csm'], ['r_gone', 'nps_csm'],
        ['r_app', 'nps_csm'], ['r_app', 'nps_approver'], ['r_intake', 'nps_intake'], ['r_mailer', 'nps_mailer']] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r[1]) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', r[1]);
        END IF;
        EXECUTE format('GRANT %I TO %I', r[2], r[1]);
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'r_group') THEN
        CREATE ROLE r_group NOLOGIN;
    END IF;
    GRANT nps_approver TO r_group;
END $$;

-- People act as their own role; r_stranger is a login nobody registered; r_gone left. The
-- pooled application r_app names its end users (alice, bob, carl, dana) in nps.actor.
SELECT identity, display_name, lead FROM nps.add_person('r_admin', 'Ada Admin', 'ada@cs.example');
SELECT identity, display_name, lead FROM nps.add_person('r_appr1', 'Pia Approver', 'pia@cs.example');
SELECT identity, display_name, lead FROM nps.add_person('r_appr2', 'Quinn Approver');
SELECT identity, display_name, lead FROM nps.add_person('r_appr3', 'Rae Approver');
SELECT identity, display_name, lead FROM nps.add_person('r_lead', 'Lee Lead', 'lee@cs.example', lead => 'r_appr1');
SELECT identity, display_name, lead FROM nps.add_person('r_ava', 'Ava CSM', 'ava@cs.example', lead => 'r_lead');
SELECT identity, display_name, lead FROM nps.add_person('r_ben', 'Ben CSM', 'ben@cs.example', lead => 'r_lead');
SELECT identity, display_name, lead FROM nps.add_person('r_dual', 'Dee Two-Hats', lead => 'r_lead');
SELECT identity, display_name FROM nps.add_person('r_analyst', 'Ana Analyst');
SELECT identity, display_name FROM nps.add_person('r_auditor', 'Aud Auditor');
SELECT identity, display_name FROM nps.add_person('r_pii', 'Pat Privacy');
SELECT identity, display_name FROM nps.add_person('r_gone', 'Gil Gone');
UPDATE nps.people SET active = false WHERE identity = 'r_gone';
SELECT login FROM nps.add_application('r_app', 'The customer-success portal (one pooled login)');
SELECT login FROM nps.add_application('r_intake', 'The survey tool''s webhook');
SELECT login FROM nps.add_application('r_mailer', 'The mail relay');
SELECT identity, application, roles FROM nps.add_person('Alice@App.example', 'Alice', application => 'r_app', roles => '{nps_csm}');
SELECT identity, application, roles FROM nps.add_person('bob@app.example', 'Bob', application => 'r_app', roles => '{nps_approver}');
SELECT identity, application, roles FROM nps.add_person('dana@app.example', 'Dana', application => 'r_app', roles => '{nps_csm,nps_approver}');
SELECT identity, application, roles FROM nps.add_person('carl@app.example', 'Carl', application => 'r_app', roles => '{nps_approver}');

-- Accounts: Ava's book, Ben's book, and Alice's (an end user of the portal).
SET ROLE r_admin;
INSERT INTO nps.accounts (external_id, name, csm, arr, segment, tier) VALUES
    ('ACME', 'Acme Corp', 'r_ava', 120000, 'enterprise', 'gold'),
    ('GLOBEX', 'Globex', 'r_ava', 45000, 'mid-market', 'silver'),
    ('INITECH', 'Initech', 'r_ben', 30000, 'smb', 'bronze'),
    ('UMBRELLA', 'Umbrella', 'r_ben', 200000, 'enterprise', 'gold'),
    ('PORTAL', 'Portal Co', 'alice@app.example', 10000, 'smb', 'bronze');
SELECT external_id, csm FROM nps.accounts ORDER BY id;
-- The cycles of these tests are small: the organization needs one response to close intake
-- (a CSM may ask for more, never for fewer; cycles.sql tries it).
SELECT min_responses FROM nps.configure(min_responses => 1);
RESET ROLE;

-- Helpers the files share (not part of pg_nps). They run with the caller's rights.
CREATE SCHEMA regress;
GRANT USAGE ON SCHEMA regress TO PUBLIC;
-- Complete the open tasks of a cycle's step, with the fields the shipped template requires.
CREATE FUNCTION regress.finish_tasks(cycle text, step text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(nps.complete_task(t.id, CASE t.key
               WHEN 'audience' THEN '{"invitations": 20}'
               WHEN 'themes' THEN '{"summary": "see the pareto"}'
               WHEN 'draft_plan' THEN '{"plan_items": 2}'
               ELSE '{}' END::jsonb))
    FROM nps.tasks t WHERE t.step_id = nps.cycle_step(cycle, step) AND t.status = 'open'
$$;
-- The error of a statement, as a row: what the catalogue shows (SQLSTATE, message, hint).
CREATE FUNCTION regress.error_of(q text, OUT state text, OUT message text, OUT hint text) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    state := 'none';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
END $$;
-- A cycle (window 2025-01-01 to 2025-01-15, three responses needed) started by the person acting,
-- six responses from Ava's and Ben's accounts (three detractors), driven until step `upto` is
-- the active one: intake, segmentation, root_cause or action_plan. The plan is approved by r_appr1.
CREATE FUNCTION regress.cycle(name text, upto text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    me    text := current_user;
    steps text[] := ARRAY['intake', 'segmentation', 'root_cause', 'action_plan', 'outreach'];
    n     int := array_position(steps, upto);
    a     bigint;
BEGIN
    PERFORM nps.start_cycle(name, opens_at => '2025-01-01Z', closes_at => '2025-01-15Z', min_responses => 3);
    PERFORM nps.record_response(name, r.account, r.who, r.score, r.comment, responded_at => '2025-01-05Z')
    FROM (VALUES ('ACME', 'ann@acme.example', 10, 'Great support'),
                 ('ACME', 'al@acme.example', 3, 'The export crashes with an error every week'),
                 ('GLOBEX', 'bo@globex.example', 8, 'Fine overall'),
                 ('INITECH', 'ida@initech.example', 2, 'Pages are slow and reports keep timing out'),
                 ('UMBRELLA', 'uma@umbrella.example', 9, NULL),
                 ('UMBRELLA', 'ulf@umbrella.example', 6, 'Too expensive for the value we get')) AS r(account, who, score, comment);
    IF n > 1 THEN
        PERFORM regress.finish_tasks(name, 'intake');
        PERFORM nps.close_intake(name);
    END IF;
    IF n > 2 THEN
        PERFORM regress.finish_tasks(name, 'segmentation');
        PERFORM nps.complete_step(nps.cycle_step(name, 'segmentation'));
    END IF;
    IF n > 3 THEN
        PERFORM nps.assign_root_cause(s.response_id, CASE s.suggested WHEN 'unknown' THEN 'pricing' END)
        FROM nps.suggest_root_causes(name) s;
        PERFORM regress.finish_tasks(name, 'root_cause');
    END IF;
    IF n > 4 THEN
        PERFORM nps.add_plan_item(name, 'detractor', 'Fix the weekly export crash', 'r_ava', '2025-03-01Z', cause => 'product_bug');
        PERFORM nps.add_plan_item(name, 'detractor', 'Speed up report generation', 'r_ben', '2025-03-01Z', cause => 'performance');
        PERFORM nps.add_plan_item(name, 'detractor', 'Review pricing of the mid tier', 'r_ben', '2025-03-01Z', cause => 'pricing');
        PERFORM nps.add_plan_item(name, 'promoter', 'Ask promoters for a referral', 'r_ben', '2025-03-01Z');
        PERFORM nps.add_plan_item(name, 'passive', 'Quarterly tips for passives', 'r_ben', '2025-03-01Z');
        PERFORM regress.finish_tasks(name, 'action_plan');
        a := (nps.request_approval(nps.cycle_step(name, 'action_plan'), 'Plan')).id;
        EXECUTE 'SET ROLE r_appr1';
        PERFORM nps.decide(a, 'approve');
        EXECUTE format('SET ROLE %I', me);
    END IF;
    RETURN (SELECT s.key FROM nps.steps s JOIN nps.cycles c ON c.run_id = s.run_id
            WHERE c.name = cycle.name AND s.status = 'active' ORDER BY s.position LIMIT 1);
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA regress TO PUBLIC;
