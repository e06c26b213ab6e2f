-- pg_nps demo: two NPS cycles, each run end to end by the people who run it, each connected as
-- their own login role: a CS lead, five CSMs, a director who approves, an analyst, an auditor.
\set ON_ERROR_STOP on
\pset footer off

\echo '== The cast: login roles in pg_nps'' capability roles, each registered as a person'
DO $$
DECLARE r text[];
BEGIN
    FOREACH r SLICE 1 IN ARRAY ARRAY[
        ['demo_admin', 'nps_admin'], ['demo_lead', 'nps_csm'], ['demo_director', 'nps_approver'],
        ['csm_ava', 'nps_csm'], ['csm_ben', 'nps_csm'], ['csm_cai', 'nps_csm'], ['csm_dee', 'nps_csm'],
        ['csm_eli', 'nps_csm'], ['demo_analyst', 'nps_analyst'], ['demo_auditor', 'nps_auditor'],
        ['demo_mailer', 'nps_mailer']] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r[1]) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', r[1]);
        END IF;
        EXECUTE format('GRANT %I TO %I', r[2], r[1]);
    END LOOP;
END $$;
-- People own, decide and verify; the mailer is an application that acts as itself.
select identity, display_name, lead from nps.add_person('demo_admin', 'Dana Admin', 'dana@cs.example');
select identity, display_name, lead from nps.add_person('demo_director', 'Dario Director', 'dario@cs.example');
select identity, display_name, lead from nps.add_person('demo_lead', 'Lea Lead', 'lea@cs.example', lead => 'demo_director');
select p.identity, p.display_name, p.lead
from unnest(array['csm_ava', 'csm_ben', 'csm_cai', 'csm_dee', 'csm_eli']) as c(login),
     lateral nps.add_person(c.login, initcap(substr(c.login, 5)), substr(c.login, 5) || '@cs.example', lead => 'demo_lead') p;
select identity, display_name from nps.add_person('demo_analyst', 'Ana Lyst');
select identity, display_name from nps.add_person('demo_auditor', 'Audrey Auditor');
select login from nps.add_application('demo_mailer', 'The mail relay: claims queued e-mails and reports them sent');
select r.rolname as login, string_agg(g.rolname, ', ') as member_of
from pg_roles r join pg_auth_members m on m.member = r.oid join pg_roles g on g.oid = m.roleid
where r.rolname in ('demo_admin', 'demo_lead', 'demo_director', 'csm_ava', 'demo_analyst', 'demo_auditor', 'demo_mailer')
group by r.rolname order by 2;

-- Sample survey files and the CSMs' routine live in a demo schema (not part of pg_nps).
create schema demo;
grant usage on schema demo to public;
create table demo.comments (segment text, cause text, body text);
insert into demo.comments values
  ('detractor', 'product_bug', 'The export crashes every Monday and we lose the report'),
  ('detractor', 'product_bug', 'Sync keeps failing with an error since the last release'),
  ('detractor', 'product_bug', 'Too many bugs: the dashboard is broken half the time'),
  ('detractor', 'performance', 'Pages are slow and reports keep timing out'),
  ('detractor', 'performance', 'Search is so slow the team stopped using it'),
  ('detractor', 'performance', 'Two outages this quarter and the app is slow'),
  ('detractor', 'pricing', 'Too expensive for the value we get'),
  ('detractor', 'pricing', 'The renewal price went up 30% with nothing new'),
  ('detractor', 'support', 'Support tickets wait a week for an answer'),
  ('detractor', 'support', 'Every support ticket gets closed without a fix'),
  ('detractor', 'missing_feature', 'Still missing the Salesforce integration we were promised on the roadmap'),
  ('detractor', 'missing_feature', 'No way to export to our BI tool, we need that feature'),
  ('detractor', 'onboarding', 'Onboarding was confusing and the training did not help'),
  ('detractor', 'relationship', 'We never hear from our account manager'),
  ('detractor', 'relationship', 'Nobody answers when we ask for a contact'),
  ('detractor', null, 'Not happy with it'),
  ('detractor', null, 'It is just not what we hoped for'),
  ('passive', null, 'Does the job, a few rough edges'),
  ('passive', null, 'Good product, the reports could be faster'),
  ('passive', null, 'Fine, but the price is high'),
  ('passive', null, 'Solid, looking forward to the new integrations'),
  ('promoter', null, 'Great support team and fast answers'),
  ('promoter', null, 'Our CSM is fantastic, the product keeps getting better'),
  ('promoter', null, 'Saves my team hours every week'),
  ('promoter', null, 'Best tool we bought this year');

-- One survey file (CSV) for a cycle: every account answers with 1 to 6 people; cycle 2 is a
-- little happier for the causes cycle 1 fixed. Five careless rows end the file.
create function demo.survey_file(k int, opens timestamptz)
returns table (account text, respondent text, score text, comment text, channel text, responded_at text)
language sql as $$
  with people as (
    select a.external_id as account, a.tier, (a.attributes ->> 'issue') as issue, p,
           random() as r, random() as pick, random() as t
    from nps.accounts a cross join lateral generate_series(1, 1 + (abs(hashtext(a.external_id || k)) % 6)) p
  ), scored as (
    select *, case
      when r < (case tier when 'gold' then 0.13 when 'silver' then 0.22 else 0.30 end) - 0.05 * (k - 1)
        then (array[0, 2, 3, 4, 5, 6, 6])[1 + floor(pick * 7)::int]
      when r < 0.50 then (array[7, 8, 8])[1 + floor(pick * 3)::int]
      else (array[9, 9, 10, 10, 10])[1 + floor(pick * 5)::int] end as s
    from people
  )
  select account, lower(replace(account, '-', '')) || '.p' || p || '@example.com', s::text,
         (select c.body from demo.comments c
          where c.segment = (case when s <= 6 then 'detractor' when s <= 8 then 'passive' else 'promoter' end)
            and (s > 6 or c.cause is not distinct from (case when pick < 0.85 then issue end))
          order by md5(c.body || account || p) limit 1),
         (array['email', 'email', 'in_app', 'web'])[1 + floor(t * 4)::int],
         to_char(opens + t * interval '13 days', 'YYYY-MM-DD HH24:MI:SSOF')
  from scored
  union all
  values ('ACME-999', 'nobody@example.com', '9', 'unknown account', 'email', to_char(opens + interval '1 day', 'YYYY-MM-DD')),
         ('A0001', 'typo@example.com', '12', 'score out of range', 'email', to_char(opens + interval '1 day', 'YYYY-MM-DD')),
         ('A0002', 'words@example.com', 'nine', 'score in words', 'email', to_char(opens + interval '1 day', 'YYYY-MM-DD')),
         ('A0003', 'when@example.com', '8', 'no date', 'email', 'last tuesday'),
         ('A0004', 'late@example.com', '7', 'after the window', 'email', to_char(opens + interval '40 days', 'YYYY-MM-DD'))
$$;

-- What a CSM does with each actionable task of their detractor projects.
create function demo.work_my_tasks() returns integer language plpgsql as $$
declare
    t record;
    n integer := 0;
begin
    loop
        select m.task_id, k.key, m.run_id, (r.subject ->> 'score')::int as score into t
        from nps.my_tasks m join nps.tasks k on k.id = m.task_id join nps.runs r on r.id = m.run_id
        where m.actionable and m.template = 'NPS Detractor' order by m.task_id limit 1;
        exit when not found;
        if t.key = 'log' then
            perform nps.log_conversation(t.run_id, 'Walked through the issue and agreed the next steps', 'phone');
        end if;
        perform nps.complete_task(t.task_id, case t.key
            when 'first_contact' then '{"channel": "phone"}'
            when 'review' then '{"summary": "reviewed the account history with the team"}'
            when 'call' then jsonb_build_object('outcome', (array['resolved', 'plan_agreed', 'unresolved'])[1 + t.task_id % 3])
            when 'log' then '{"notes": "call notes in the conversation log"}'
            when 'confirm_fix' then '{"fix": "release 2026.9"}'
            when 'ask_feedback' then case when t.run_id % 3 <> 0
                then jsonb_build_object('resurvey_score', least(10, t.score + 1 + t.run_id % 5)) else '{}' end
            else '{}' end::jsonb);
        n := n + 1;
    end loop;
    return n;
end $$;
-- What a CSM does with their approved plan items: deliver them.
create function demo.deliver_my_items(cycle text) returns bigint language sql as $$
    select count(*) from (select nps.complete_plan_item(p.id, 'done: see the tracker') from nps.plan_items p
                          join nps.cycles c on c.id = p.cycle_id
                          where c.name = cycle and p.owner = nps.current_person() and p.status = 'open') x
$$;
grant execute on all functions in schema demo to public;
grant select on demo.comments to public;

\connect - demo_admin
\echo '== demo_admin: 320 accounts, each with a CSM, ARR, tier and the issue it tends to raise'
insert into nps.accounts (external_id, name, csm, arr, segment, tier, attributes)
select 'A' || lpad(i::text, 4, '0'),
       (array['Northwind', 'Contoso', 'Fabrikam', 'Tailspin', 'Litware', 'Proseware', 'Adatum', 'Wingtip'])[1 + i % 8]
         || ' ' || (array['Labs', 'Group', 'Systems', 'Retail', 'Health'])[1 + i % 5] || ' ' || i,
       (array['csm_ava', 'csm_ben', 'csm_cai', 'csm_dee', 'csm_eli'])[1 + i % 5],
       (array[240000, 60000, 12000])[1 + i % 3] * (1 + (i % 7) / 10.0),
       (array['enterprise', 'mid-market', 'smb'])[1 + i % 3],
       (array['gold', 'silver', 'bronze'])[1 + i % 3],
       jsonb_build_object('issue', (array['product_bug', 'performance', 'pricing', 'support', 'missing_feature',
                                          'onboarding', 'relationship', 'performance', 'product_bug'])[1 + (i * 7) % 9])
from generate_series(1, 320) i;
select tier, count(*) as accounts, sum(arr) as arr from nps.accounts group by tier order by arr desc;

\set k 1
\set cycle '2026-Q2'
\set opens '2026-05-04 00:00Z'
\set closes '2026-05-18 00:00Z'
\ir demo-cycle.sql
\set k 2
\set cycle '2026-Q3'
\set opens '2026-08-03 00:00Z'
\set closes '2026-08-17 00:00Z'
\ir demo-cycle.sql

\connect - demo_analyst
\echo
\echo '== demo_analyst reads the BI views (what Metabase, Grafana, Superset or Tableau would show)'
select cycle, status, responses, response_rate, nps, ci_low, ci_high, arr_weighted_nps, previous_cycle, change, p_value
from nps.cycle_headline order by opens_at;
select month, responses, nps, ci_low, ci_high from nps.trend_monthly order by month;
select cycle, value as tier, responses, nps, ci_low, ci_high, arr_weighted_nps
from nps.segment_breakdown where dimension = 'tier' order by cycle, nps desc;
\echo '-- the five accounts that cost the most ARR-weighted points in 2026-Q3'
select account, account_name, tier, responses, nps, arr_share_pct, arr_weighted_points
from nps.account_nps where cycle = '2026-Q3' order by arr_weighted_points limit 5;

\connect - demo_auditor
\echo
\echo '== demo_auditor verifies every audit chain'
select count(*) as chains, sum(entries) as entries, bool_and(ok) as all_ok from nps.verify_audit();
select who, action, object, substr(changes, 1, 60) as changes
from nps.run_history((select run_id from nps.cycles where name = '2026-Q3'))
where object like 'approval #%' or object like 'cycle report%' order by pos limit 6;
