-- The aggregates run in parallel: partial states are serialized, combined, and give the same
-- answer as a serial plan.
create table par_responses as
  select i % 977 as account, (i::bigint * 7919 % 11)::smallint as score, (i % 10 + 1)::float8 as w
  from generate_series(1, 300000) i;
analyze par_responses;

-- serial reference
set max_parallel_workers_per_gather = 0;
create temp table serial as
  select nps_score(score) as score, nps_agg(score)::text as summary,
         nps_agg(score, w)::text as weighted, nps_score(score, 8, 5) as banded
  from par_responses;

-- force a parallel plan where the leader only combines
set max_parallel_workers_per_gather = 2;
set parallel_setup_cost = 0;
set parallel_tuple_cost = 0;
set min_parallel_table_scan_size = 0;
set parallel_leader_participation = off;
explain (costs off)
  select nps_score(score), nps_agg(score), nps_agg(score, w), nps_score(score, 8, 5) from par_responses;
select p.score = s.score as score_equal,
       p.summary = s.summary as summary_equal,
       p.weighted = s.weighted as weighted_equal,
       p.banded = s.banded as banded_equal
from serial s,
     (select nps_score(score) as score, nps_agg(score)::text as summary,
             nps_agg(score, w)::text as weighted, nps_score(score, 8, 5) as banded
      from par_responses) p;

-- grouped, and rolled up from a parallel inner aggregate
explain (costs off)
  select nps_rollup(s) from (select account, nps_agg(score) s from par_responses group by account) q;
select nps_rollup(s)::text = (select summary from serial) as rollup_equal
from (select account, nps_agg(score) s from par_responses group by account) q;

reset all;
drop table par_responses;
