-- NPS analytics as an analyst uses them. Every example in docs/analytics.md is here.
begin;

-- A survey: one row per response.
create table responses (account text, answered_on date, score smallint, arr numeric);
insert into responses values
  ('acme',    '2026-01-05', 10, 120000), ('acme',    '2026-01-09',  9, 120000),
  ('acme',    '2026-02-02',  6, 120000), ('globex',  '2026-01-15',  3,  40000),
  ('globex',  '2026-02-20',  8,  40000), ('globex',  '2026-02-21',  7,  40000),
  ('initech', '2026-01-30', 10,  15000), ('initech', '2026-02-11',  9,  15000),
  ('initech', '2026-02-12',  0,  15000), ('initech', '2026-02-28', null, 15000);

-- Segment of each answer (standard bands 9-10 / 7-8 / 0-6, or your own).
select score, nps_segment(score), nps_segment(score, promoter_min => 8, detractor_max => 5)
from responses where score is not null order by score;

-- The score: 100 * (promoters - detractors) / responses. NULL scores are ignored.
select nps_score(score) from responses;
select account, nps_score(score) from responses group by account order by account;
-- no responses: NULL
select nps_score(score) from responses where false;

-- Two-step aggregation: a summary keeps the 0-10 histogram...
select nps_agg(score) from responses;
-- ...and everything else is read from it.
select nps_responses(s), nps_promoters(s), nps_passives(s), nps_detractors(s),
       round(nps_score(s)::numeric, 2) as nps, round(nps_mean(s)::numeric, 2) as mean,
       nps_histogram(s)
from (select nps_agg(score) as s from responses) q;

-- Confidence interval (adjusted Wald by default) and margin of error.
select round(low::numeric, 2) as low, round(high::numeric, 2) as high
from nps_ci((select nps_agg(score) from responses));
select round(low::numeric, 2) as low, round(high::numeric, 2) as high
from nps_ci((select nps_agg(score) from responses), level => 0.90, method => 'wald');
select round(nps_moe(nps_agg(score))::numeric, 2) as moe_95 from responses;

-- Store daily summaries once, roll them up for any period: the same numbers as one pass.
create table daily as
  select answered_on, account, nps_agg(score) as summary from responses group by 1, 2;
select date_trunc('month', answered_on)::date as month,
       round(nps_score(nps_rollup(summary))::numeric, 2) as nps,
       nps_responses(nps_rollup(summary)) as n
from daily group by 1 order by 1;
select nps_rollup(summary)::text = (select nps_agg(score)::text from responses) as exact
from daily;

-- Bands can be applied after the fact.
select round(nps_score(nps_rollup(summary), 8, 5)::numeric, 2) from daily;

-- Revenue-weighted NPS: weighted shares, Kish effective n for the interval.
select round(nps_score(s)::numeric, 2) as weighted_nps, nps_responses(s) as responses,
       round(nps_effective_n(s)::numeric, 3) as effective_n
from (select nps_agg(score, arr::float8) as s from responses) q;

-- Did February differ from January?
select round(difference::numeric, 2) as difference, round(z::numeric, 3) as z, round(p_value::numeric, 3) as p_value
from nps_compare(
  (select nps_agg(score) from responses where answered_on < '2026-02-01'),
  (select nps_agg(score) from responses where answered_on >= '2026-02-01'));

-- A rolling NPS over the last 3 answers (moving window).
select answered_on, score, round(nps_score(score) over (order by answered_on rows 2 preceding)::numeric, 1) as rolling
from responses where score is not null order by answered_on;

-- Summaries read as JSON.
select nps_agg(score)::jsonb -> 'counts' from responses;

-- Bad input is refused with a SQLSTATE, a message naming the value and a hint; the
-- transaction goes on (each statement rolls back alone).
\set ON_ERROR_ROLLBACK on
select nps_segment(11);
\echo :LAST_ERROR_SQLSTATE
select nps_score(x) from (values (4), (12)) v(x);
\echo :LAST_ERROR_SQLSTATE
select nps_segment(5, 6, 6);
\echo :LAST_ERROR_SQLSTATE
select nps_ci(nps_agg(score), 95) from responses;
\echo :LAST_ERROR_SQLSTATE
select nps_ci(nps_agg(score), 0.95, 'wilson') from responses;
\echo :LAST_ERROR_SQLSTATE
select nps_agg(score, -arr::float8) from responses;
\echo :LAST_ERROR_SQLSTATE
select '{"counts":[1,2,3]}'::nps_summary;
\echo :LAST_ERROR_SQLSTATE
rollback;
