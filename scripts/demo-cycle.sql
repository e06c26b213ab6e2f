-- One NPS cycle of the demo, end to end. Variables: k (1, 2 …), cycle, opens, closes. psql runs in
-- target/, where the cycle's survey file is written and read.
\connect - postgres
select setseed(0.2026 + :k / 100.0) \g /dev/null
copy (select * from demo.survey_file(:k, :'opens')) to stdout with (format csv) \g demo-survey.csv
select coalesce(max(id), 0) as staged_before from nps.response_staging \gset

\connect - demo_lead
\echo
\echo '======== Cycle' :cycle '========'
\echo '-- 1. Intake (checkpoint). demo_lead starts the cycle and loads the survey file through the staging table'
select name, opens_at::date as opens, closes_at::date as closes, promoter_min, detractor_max, min_responses
from nps.start_cycle(:'cycle', opens_at => :'opens', closes_at => :'closes', min_responses => 300);
\copy nps.response_staging (account, respondent, score, comment, channel, responded_at) from 'demo-survey.csv' with (format csv)
select * from nps.ingest_staged(:'cycle');
select sqlstate, reason from nps.staging_rejects where id > :staged_before order by id;
select (nps.complete_task(t.id, case t.key when 'audience' then '{"invitations": 2400}'::jsonb else '{}' end)).status
from nps.tasks t where t.step_id = nps.cycle_step(:'cycle', 'intake') order by t.position \g /dev/null
select evidence ->> 'responses' as responses, evidence ->> 'invitations' as invitations,
       evidence ->> 'response_rate' as response_rate, evidence ->> 'window' as window
from nps.close_intake(:'cycle');

\echo '-- 2. Segmentation (checkpoint): the snapshot freezes; a detractor project starts for every detractor'
select (nps.complete_task(t.id)).status from nps.tasks t where t.step_id = nps.cycle_step(:'cycle', 'segmentation') \g /dev/null
select status from nps.complete_step(nps.cycle_step(:'cycle', 'segmentation')) \g /dev/null
select responses, promoters, passives, detractors, nps, ci_low, ci_high, margin_of_error as moe,
       previous_cycle, change, p_value
from nps.cycle_headline where cycle = :'cycle';
select x.owner as csm, count(*) as detractor_projects, count(o.id) as acknowledgements_queued
from nps.playbook_runs pb join nps.runs x on x.id = pb.run_id
left join nps.outbox o on o.run_id = x.id
where pb.cycle_run_id = (select run_id from nps.cycles where name = :'cycle')
group by x.owner order by 1;

\echo '-- 3. Root causes: full-text suggestions, confirmed by the lead (comments without a clue: unknown, with a note)'
select suggested, count(*) as detractors, (array_agg(array_to_string(matched, ', ') order by response_id))[1] as e_g_matched
from nps.suggest_root_causes(:'cycle') group by suggested order by 2 desc;
select count(*) as confirmed from (
    select case when s.suggested = 'unknown'
                then nps.assign_root_cause(s.response_id, 'unknown', note => 'No cause in the comment; the CSM asks on the call')
                else nps.assign_root_cause(s.response_id) end
    from nps.suggest_root_causes(:'cycle') s) x;
select (nps.complete_task(t.id, case t.key when 'themes' then '{"summary": "see nps.root_cause_pareto"}'::jsonb else '{}' end)).status
from nps.tasks t where t.step_id = nps.cycle_step(:'cycle', 'root_cause') order by t.position \g /dev/null
select p.cause, p.detractors, p.share_pct, p.cumulative_pct, i.impact as nps_impact
from nps.root_cause_pareto p left join nps.topic_impact i on i.cycle_id = p.cycle_id and i.cause = p.cause
where p.cycle = :'cycle' order by p.rank, p.cause;

\echo '-- 4. Action plan (approval gate): an item per segment and a fix per root cause, approved by demo_director'
select count(*) as plan_items from (
    select nps.add_plan_item(:'cycle', 'promoter', 'Ask promoters for referrals and case studies', 'csm_ava', :'closes'::timestamptz + interval '30 days')
    union all
    select nps.add_plan_item(:'cycle', 'passive', 'Nurture passives: quarterly tips and a roadmap preview', 'csm_ben', :'closes'::timestamptz + interval '30 days')
    union all
    select nps.add_plan_item(:'cycle', 'detractor', 'Fix: ' || t.name, (array['csm_cai', 'csm_dee', 'csm_eli'])[1 + (row_number() over ()) % 3],
                             :'closes'::timestamptz + interval '45 days', cause => t.key)
    from nps.root_cause_taxonomy t
    where t.key <> 'unknown'
      and exists (select 1 from nps.response_causes rc join nps.cycles c on c.id = rc.cycle_id
                  where c.name = :'cycle' and rc.cause = t.key)) x;
select (nps.complete_task(t.id, '{"plan_items": 8}')).status from nps.tasks t
where t.step_id = nps.cycle_step(:'cycle', 'action_plan') \g /dev/null
select id as approval from nps.request_approval(nps.cycle_step(:'cycle', 'action_plan'), 'Plan for ' || :'cycle') \gset
\connect - demo_director
select step, run, requested_by, note from nps.pending_approvals where approval_id = :approval;
select status, approvals from nps.decide(:approval, 'approve');

\echo '-- 5. Outreach: the mailer sends the acknowledgements; each CSM works their projects and delivers their plan items'
\connect - demo_mailer
select count(*) as emails_claimed from nps.claim_outbox('demo-mailer', 1000);
select count(*) as emails_sent from (select nps.mark_sent(o.id, 'demo-mailer') from nps.outbox o
                                     where o.claimed_by = 'demo-mailer' and o.status = 'sending') x;
\connect - csm_ava
select current_user as csm, demo.work_my_tasks() as tasks_done, demo.deliver_my_items(:'cycle') as plan_items_delivered;
\connect - csm_ben
select current_user as csm, demo.work_my_tasks() as tasks_done, demo.deliver_my_items(:'cycle') as plan_items_delivered;
\connect - csm_cai
select current_user as csm, demo.work_my_tasks() as tasks_done, demo.deliver_my_items(:'cycle') as plan_items_delivered;
\connect - csm_dee
select current_user as csm, demo.work_my_tasks() as tasks_done, demo.deliver_my_items(:'cycle') as plan_items_delivered;
\connect - csm_eli
select current_user as csm, demo.work_my_tasks() as tasks_done, demo.deliver_my_items(:'cycle') as plan_items_delivered;
\connect - demo_lead
select (nps.complete_task(t.id)).status as outreach from nps.tasks t where t.step_id = nps.cycle_step(:'cycle', 'outreach');
select projects, projects_done, pct_contacted_within_sla, median_hours_to_first_contact as median_h_first_contact,
       conversations, resurveyed, resurvey_before, resurvey_after, recovered
from nps.loop_closure where cycle = :'cycle';

\echo '-- 6. Verification & close (approval gate): demo_director verifies the delivered items, then approves the close'
\connect - demo_director
select count(*) as verified from (select nps.verify_plan_item(p.id, 'https://tracker.example/nps/' || p.id) from nps.plan_items p
    join nps.cycles c on c.id = p.cycle_id where c.name = :'cycle' and p.status = 'done') x;
\connect - demo_lead
select (nps.complete_task(t.id)).status from nps.tasks t where t.step_id = nps.cycle_step(:'cycle', 'close') order by t.position \g /dev/null
select id as approval from nps.request_approval(nps.cycle_step(:'cycle', 'close'), 'All items verified') \gset
\connect - demo_director
select status from nps.decide(:approval, 'approve') \g /dev/null
select c.name as cycle, r.closed_by, r.headline ->> 'nps' as nps, r.loop_closure ->> 'pct_closed' as pct_projects_closed,
       r.loop_closure ->> 'items_verified' as items_verified, jsonb_array_length(r.root_causes) as causes,
       x.status as run
from nps.cycle_reports r join nps.cycles c on c.id = r.cycle_id join nps.runs x on x.id = c.run_id
where c.name = :'cycle';
