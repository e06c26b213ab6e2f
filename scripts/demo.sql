-- pg_nps demo: a year of survey responses and the headline metrics a CS team reads.
\set ON_ERROR_STOP on
\pset footer off
set client_min_messages = warning;

\echo '== Sample data: 24,000 responses from 40 accounts over 12 months'
create table accounts (account_id int primary key, name text not null, tier text not null, arr numeric not null);
insert into accounts
select i, 'Account ' || lpad(i::text, 2, '0'),
       (array['enterprise', 'mid-market', 'smb'])[1 + i % 3],
       (array[250000, 60000, 12000])[1 + i % 3] * (1 + (i % 5) / 10.0)
from generate_series(1, 40) i;

create table responses (
  response_id bigint generated always as identity primary key,
  account_id  int not null references accounts,
  answered_at timestamptz not null,
  score       smallint not null,
  comment     text
);
select setseed(0.2026) \g /dev/null
insert into responses (account_id, answered_at, score)
select a, ts,
       -- each tier has its own mix; smb improves over the year
       (case a % 3
          when 0 then array[0,2,5,6,6,7,8,8,9,9,9,10,10,10,10,10]
          when 1 then array[1,3,5,6,6,6,7,7,8,8,9,9,10,10,10,10]
          else case when ts < timestamptz '2026-05-01'
                    then array[0,1,2,3,4,5,6,6,6,7,7,8,8,9,10,10]
                    else array[2,5,6,7,7,8,8,9,9,9,10,10,10,10,10,10] end
        end)[1 + (random() * 15)::int]
from (select 1 + (random() * 39)::int as a,
             timestamptz '2025-11-01' + random() * interval '365 days' as ts
      from generate_series(1, 24000)) g;

\echo
\echo '== Headline: NPS of the last 12 months with its 95% confidence interval'
select nps_responses(s) as responses,
       nps_promoters(s) as promoters, nps_passives(s) as passives, nps_detractors(s) as detractors,
       round(nps_score(s)::numeric, 1) as nps,
       round((nps_ci(s)).low::numeric, 1) as ci_low, round((nps_ci(s)).high::numeric, 1) as ci_high,
       round(nps_moe(s)::numeric, 1) as margin_of_error
from (select nps_agg(score) as s from responses) q;

\echo '== Stored daily summaries (one row per account and day), rolled up by month'
create table daily_nps as
  select account_id, answered_at::date as day, nps_agg(score) as summary
  from responses group by 1, 2;
select to_char(date_trunc('month', day), 'YYYY-MM') as month,
       nps_responses(nps_rollup(summary)) as responses,
       round(nps_score(nps_rollup(summary))::numeric, 1) as nps,
       round((nps_ci(nps_rollup(summary))).low::numeric, 1) as ci_low,
       round((nps_ci(nps_rollup(summary))).high::numeric, 1) as ci_high
from daily_nps group by 1 order by 1;

\echo '== By tier, and revenue-weighted'
select a.tier, nps_responses(nps_rollup(d.summary)) as responses,
       round(nps_score(nps_rollup(d.summary))::numeric, 1) as nps
from daily_nps d join accounts a using (account_id) group by a.tier order by nps desc;
select round(nps_score(nps_agg(r.score, a.arr::float8))::numeric, 1) as arr_weighted_nps,
       round(nps_effective_n(nps_agg(r.score, a.arr::float8))::numeric, 0) as effective_n
from responses r join accounts a using (account_id);

\echo '== Last quarter against the one before (two-sided z-test)'
select round(difference::numeric, 1) as change_in_points, round(z::numeric, 2) as z,
       round(p_value::numeric, 4) as p_value,
       case when p_value < 0.05 then 'significant at 5%' else 'not significant' end as verdict
from nps_compare(
  (select nps_rollup(summary) from daily_nps where day >= date '2026-08-01'),
  (select nps_rollup(summary) from daily_nps where day >= date '2026-05-01' and day < date '2026-08-01'));

\echo '== The five accounts with the lowest NPS (at least 400 responses)'
select a.name, a.tier, nps_responses(s) as responses, round(nps_score(s)::numeric, 1) as nps,
       nps_detractors(s) as detractors
from (select account_id, nps_rollup(summary) as s from daily_nps group by account_id) q
join accounts a using (account_id)
where nps_responses(s) >= 400
order by nps_score(s) limit 5;

\echo '== Segments of the latest responses'
select answered_at::date as day, a.name, r.score, nps_segment(r.score) as segment
from responses r join accounts a using (account_id) order by answered_at desc limit 5;
