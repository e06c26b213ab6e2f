-- pg_nps BI views: stable names and columns for dashboards (Metabase, Grafana, Superset, Tableau).
-- Every column is commented; nps_analyst reads them. See docs/bi.md.

CREATE OR REPLACE FUNCTION nps._counts_sub(a bigint[], b bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY(SELECT x - y FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) ORDER BY i);
COMMENT ON FUNCTION nps._counts_sub(bigint[], bigint[]) IS 'Internal: element-wise difference of two score histograms.';

CREATE OR REPLACE VIEW nps.cycle_headline AS
SELECT c.id AS cycle_id, c.name AS cycle, c.opens_at, c.closes_at, r.status::text AS status,
       (SELECT s.key FROM nps.steps s WHERE s.run_id = c.run_id AND s.status IN ('active', 'awaiting_approval')
        ORDER BY s.position LIMIT 1) AS current_step,
       h.frozen, h.responses, c.invitations, h.response_rate, h.promoters, h.passives, h.detractors,
       h.nps, h.ci_low, h.ci_high, h.margin_of_error, h.arr_weighted_nps,
       pc.name AS previous_cycle, h.previous_nps, h.change, h.p_value,
       c.promoter_min, c.detractor_max
FROM nps.cycles c
JOIN nps.runs r ON r.id = c.run_id
-- The frozen snapshot once segmented, else the figures of the responses now.
CROSS JOIN LATERAL (SELECT true AS frozen, sn.* FROM nps.cycle_snapshots sn WHERE sn.cycle_id = c.id
                    UNION ALL
                    SELECT false, lv.* FROM nps._headline(c) lv
                    WHERE NOT EXISTS (SELECT 1 FROM nps.cycle_snapshots sn WHERE sn.cycle_id = c.id)) h
LEFT JOIN nps.cycles pc ON pc.id = h.previous_cycle_id;
COMMENT ON VIEW nps.cycle_headline IS 'One row per cycle: NPS with its 95% confidence interval, segments, response rate and the change from the previous cycle; frozen figures once segmented, live ones before.';
COMMENT ON COLUMN nps.cycle_headline.cycle_id IS 'Cycle id.';
COMMENT ON COLUMN nps.cycle_headline.cycle IS 'Cycle name.';
COMMENT ON COLUMN nps.cycle_headline.opens_at IS 'Start of the response window.';
COMMENT ON COLUMN nps.cycle_headline.closes_at IS 'End of the response window (exclusive).';
COMMENT ON COLUMN nps.cycle_headline.status IS 'Status of the cycle''s run: active, done (closed) or cancelled.';
COMMENT ON COLUMN nps.cycle_headline.current_step IS 'The step being worked on (intake, segmentation, root_cause, action_plan, outreach, close); NULL once closed.';
COMMENT ON COLUMN nps.cycle_headline.frozen IS 'Whether the figures are the frozen segmentation snapshot (else live).';
COMMENT ON COLUMN nps.cycle_headline.responses IS 'Responses.';
COMMENT ON COLUMN nps.cycle_headline.invitations IS 'Invitations sent.';
COMMENT ON COLUMN nps.cycle_headline.response_rate IS 'Responses / invitations (NULL without invitations).';
COMMENT ON COLUMN nps.cycle_headline.promoters IS 'Promoters under the cycle''s bands.';
COMMENT ON COLUMN nps.cycle_headline.passives IS 'Passives under the cycle''s bands.';
COMMENT ON COLUMN nps.cycle_headline.detractors IS 'Detractors under the cycle''s bands.';
COMMENT ON COLUMN nps.cycle_headline.nps IS 'Net Promoter Score, -100..100.';
COMMENT ON COLUMN nps.cycle_headline.ci_low IS 'Lower bound of the 95% confidence interval (adjusted Wald).';
COMMENT ON COLUMN nps.cycle_headline.ci_high IS 'Upper bound of the 95% confidence interval (adjusted Wald).';
COMMENT ON COLUMN nps.cycle_headline.margin_of_error IS 'Half-width of the 95% Wald interval, in points.';
COMMENT ON COLUMN nps.cycle_headline.arr_weighted_nps IS 'NPS with each account weighted by its ARR.';
COMMENT ON COLUMN nps.cycle_headline.previous_cycle IS 'The latest segmented cycle of the same owner that opened before this one.';
COMMENT ON COLUMN nps.cycle_headline.previous_nps IS 'NPS of the previous cycle, under this cycle''s bands.';
COMMENT ON COLUMN nps.cycle_headline.change IS 'nps - previous_nps, in points.';
COMMENT ON COLUMN nps.cycle_headline.p_value IS 'Two-sided p-value of the change (z-test): below 0.05 is unlikely to be noise.';
COMMENT ON COLUMN nps.cycle_headline.promoter_min IS 'The cycle''s promoter band.';
COMMENT ON COLUMN nps.cycle_headline.detractor_max IS 'The cycle''s detractor band.';

CREATE OR REPLACE VIEW nps.trend_monthly AS
WITH months AS (
    SELECT date_trunc('month', r.day)::date AS month, i.i, sum(r.counts[i.i]) AS n
    FROM nps.response_rollups r CROSS JOIN generate_series(1, 11) AS i(i)
    GROUP BY 1, 2
), summaries AS (
    SELECT m.month, nps.counts_summary(array_agg(m.n::bigint ORDER BY m.i)) AS summary
    FROM months m GROUP BY m.month
)
SELECT s.month, @extschema@.nps_responses(s.summary) AS responses,
       @extschema@.nps_promoters(s.summary, st.promoter_min, st.detractor_max) AS promoters,
       @extschema@.nps_passives(s.summary, st.promoter_min, st.detractor_max) AS passives,
       @extschema@.nps_detractors(s.summary, st.promoter_min, st.detractor_max) AS detractors,
       round(@extschema@.nps_score(s.summary, st.promoter_min, st.detractor_max)::numeric, 1) AS nps,
       round(ci.low::numeric, 1) AS ci_low, round(ci.high::numeric, 1) AS ci_high,
       s.summary
FROM summaries s
CROSS JOIN nps.current_settings() st
CROSS JOIN LATERAL @extschema@.nps_ci(s.summary, 0.95, 'adjusted_wald', st.promoter_min, st.detractor_max) ci
WHERE @extschema@.nps_responses(s.summary) > 0;
COMMENT ON VIEW nps.trend_monthly IS 'NPS per calendar month (UTC) of responded_at, across cycles, under the organization''s current bands; read from the stored daily rollups (nps.response_rollups), never from the responses.';
COMMENT ON COLUMN nps.trend_monthly.month IS 'First day of the month (UTC) the responses were given in.';
COMMENT ON COLUMN nps.trend_monthly.responses IS 'Responses in the month.';
COMMENT ON COLUMN nps.trend_monthly.promoters IS 'Promoters under the current bands.';
COMMENT ON COLUMN nps.trend_monthly.passives IS 'Passives under the current bands.';
COMMENT ON COLUMN nps.trend_monthly.detractors IS 'Detractors under the current bands.';
COMMENT ON COLUMN nps.trend_monthly.nps IS 'NPS of the month.';
COMMENT ON COLUMN nps.trend_monthly.ci_low IS 'Lower bound of the 95% confidence interval.';
COMMENT ON COLUMN nps.trend_monthly.ci_high IS 'Upper bound of the 95% confidence interval.';
COMMENT ON COLUMN nps.trend_monthly.summary IS 'The month''s nps_summary, for other measures (nps_mean, nps_histogram …).';

CREATE OR REPLACE VIEW nps.account_nps AS
SELECT c.id AS cycle_id, c.name AS cycle, a.id AS account_id, a.external_id AS account, a.name AS account_name,
       a.tier, a.segment AS market_segment, a.csm, a.arr,
       count(*) AS responses,
       count(*) FILTER (WHERE r.segment = 'promoter') AS promoters,
       count(*) FILTER (WHERE r.segment = 'passive') AS passives,
       count(*) FILTER (WHERE r.segment = 'detractor') AS detractors,
       round(@extschema@.nps_score(r.score, c.promoter_min, c.detractor_max)::numeric, 1) AS nps,
       round(avg(r.score), 2) AS mean_score,
       round(100 * a.arr / nullif(sum(a.arr) OVER (PARTITION BY c.id), 0), 2) AS arr_share_pct,
       round((a.arr / nullif(sum(a.arr) OVER (PARTITION BY c.id), 0)
              * @extschema@.nps_score(r.score, c.promoter_min, c.detractor_max)::numeric), 2) AS arr_weighted_points
FROM nps.responses r
JOIN nps.cycles c ON c.id = r.cycle_id
JOIN nps.accounts a ON a.id = r.account_id
GROUP BY c.id, a.id;
COMMENT ON VIEW nps.account_nps IS 'NPS per account and cycle, with the account''s share of the answering ARR and its points in the ARR-weighted NPS (they sum to the cycle''s arr_weighted_nps).';
COMMENT ON COLUMN nps.account_nps.cycle_id IS 'Cycle id.';
COMMENT ON COLUMN nps.account_nps.cycle IS 'Cycle name.';
COMMENT ON COLUMN nps.account_nps.account_id IS 'Account id.';
COMMENT ON COLUMN nps.account_nps.account IS 'Account external id.';
COMMENT ON COLUMN nps.account_nps.account_name IS 'Account name.';
COMMENT ON COLUMN nps.account_nps.tier IS 'Account tier.';
COMMENT ON COLUMN nps.account_nps.market_segment IS 'Account market segment.';
COMMENT ON COLUMN nps.account_nps.csm IS 'The account''s CSM.';
COMMENT ON COLUMN nps.account_nps.arr IS 'The account''s annual recurring revenue.';
COMMENT ON COLUMN nps.account_nps.responses IS 'Responses of the account in the cycle.';
COMMENT ON COLUMN nps.account_nps.promoters IS 'Promoters.';
COMMENT ON COLUMN nps.account_nps.passives IS 'Passives.';
COMMENT ON COLUMN nps.account_nps.detractors IS 'Detractors.';
COMMENT ON COLUMN nps.account_nps.nps IS 'NPS of the account''s respondents.';
COMMENT ON COLUMN nps.account_nps.mean_score IS 'Mean score 0..10.';
COMMENT ON COLUMN nps.account_nps.arr_share_pct IS 'The account''s share of the ARR of all answering accounts, in %.';
COMMENT ON COLUMN nps.account_nps.arr_weighted_points IS 'The account''s points in the cycle''s ARR-weighted NPS (arr share × account NPS).';

CREATE OR REPLACE VIEW nps.segment_breakdown AS
WITH rr AS (
    SELECT r.cycle_id, r.score, r.channel, a.tier, a.segment, a.csm, a.arr,
           (a.arr / count(*) OVER (PARTITION BY r.cycle_id, r.account_id))::double precision AS w
    FROM nps.responses r JOIN nps.accounts a ON a.id = r.account_id
), g AS (
    SELECT rr.cycle_id, d.dimension, d.value, @extschema@.nps_agg(rr.score) AS s,
           @extschema@.nps_agg(rr.score, rr.w) FILTER (WHERE rr.w > 0) AS ws
    FROM rr
    CROSS JOIN LATERAL (VALUES ('tier', coalesce(rr.tier, '(none)')),
                               ('market_segment', coalesce(rr.segment, '(none)')),
                               ('csm', coalesce(rr.csm::text, '(none)')),
                               ('channel', rr.channel::text)) AS d(dimension, value)
    GROUP BY rr.cycle_id, d.dimension, d.value
)
SELECT c.id AS cycle_id, c.name AS cycle, g.dimension, g.value,
       @extschema@.nps_responses(g.s) AS responses,
       @extschema@.nps_promoters(g.s, c.promoter_min, c.detractor_max) AS promoters,
       @extschema@.nps_passives(g.s, c.promoter_min, c.detractor_max) AS passives,
       @extschema@.nps_detractors(g.s, c.promoter_min, c.detractor_max) AS detractors,
       round(@extschema@.nps_score(g.s, c.promoter_min, c.detractor_max)::numeric, 1) AS nps,
       round(ci.low::numeric, 1) AS ci_low, round(ci.high::numeric, 1) AS ci_high,
       round(@extschema@.nps_score(g.ws, c.promoter_min, c.detractor_max)::numeric, 1) AS arr_weighted_nps
FROM g
JOIN nps.cycles c ON c.id = g.cycle_id
CROSS JOIN LATERAL @extschema@.nps_ci(g.s, 0.95, 'adjusted_wald', c.promoter_min, c.detractor_max) ci;
COMMENT ON VIEW nps.segment_breakdown IS 'NPS per cycle broken down by tier, market segment, CSM and channel, with confidence intervals and ARR-weighted NPS.';
COMMENT ON COLUMN nps.segment_breakdown.cycle_id IS 'Cycle id.';
COMMENT ON COLUMN nps.segment_breakdown.cycle IS 'Cycle name.';
COMMENT ON COLUMN nps.segment_breakdown.dimension IS 'tier, market_segment, csm or channel.';
COMMENT ON COLUMN nps.segment_breakdown.value IS 'The value of the dimension (''(none)'' when unset).';
COMMENT ON COLUMN nps.segment_breakdown.responses IS 'Responses in the group.';
COMMENT ON COLUMN nps.segment_breakdown.promoters IS 'Promoters.';
COMMENT ON COLUMN nps.segment_breakdown.passives IS 'Passives.';
COMMENT ON COLUMN nps.segment_breakdown.detractors IS 'Detractors.';
COMMENT ON COLUMN nps.segment_breakdown.nps IS 'NPS of the group.';
COMMENT ON COLUMN nps.segment_breakdown.ci_low IS 'Lower bound of the 95% confidence interval.';
COMMENT ON COLUMN nps.segment_breakdown.ci_high IS 'Upper bound of the 95% confidence interval.';
COMMENT ON COLUMN nps.segment_breakdown.arr_weighted_nps IS 'NPS of the group with each account weighted by its ARR.';

CREATE OR REPLACE VIEW nps.root_cause_pareto AS
WITH d AS (
    SELECT rc.cycle_id, rc.cause, count(*) AS detractors
    FROM nps.response_causes rc JOIN nps.responses r ON r.id = rc.response_id
    WHERE rc.confirmed AND r.segment = 'detractor'
    GROUP BY rc.cycle_id, rc.cause
)
SELECT c.id AS cycle_id, c.name AS cycle, d.cause, t.name AS cause_name, d.detractors,
       round(100.0 * d.detractors / sum(d.detractors) OVER w, 1) AS share_pct,
       round(100.0 * sum(d.detractors) OVER (w ORDER BY d.detractors DESC, d.cause ROWS UNBOUNDED PRECEDING)
             / sum(d.detractors) OVER w, 1) AS cumulative_pct,
       rank() OVER (w ORDER BY d.detractors DESC) AS rank
FROM d
JOIN nps.cycles c ON c.id = d.cycle_id
LEFT JOIN nps.root_cause_taxonomy t ON t.key = d.cause
WINDOW w AS (PARTITION BY d.cycle_id);
COMMENT ON VIEW nps.root_cause_pareto IS 'Confirmed root causes of each cycle''s detractors, most frequent first, with their share and the cumulative share (the Pareto line).';
COMMENT ON COLUMN nps.root_cause_pareto.cycle_id IS 'Cycle id.';
COMMENT ON COLUMN nps.root_cause_pareto.cycle IS 'Cycle name.';
COMMENT ON COLUMN nps.root_cause_pareto.cause IS 'Root-cause key.';
COMMENT ON COLUMN nps.root_cause_pareto.cause_name IS 'Root-cause name.';
COMMENT ON COLUMN nps.root_cause_pareto.detractors IS 'Detractors with this confirmed cause.';
COMMENT ON COLUMN nps.root_cause_pareto.share_pct IS 'Share of the cycle''s detractors with a confirmed cause, in %.';
COMMENT ON COLUMN nps.root_cause_pareto.cumulative_pct IS 'Cumulative share, most frequent cause first (the Pareto line).';
COMMENT ON COLUMN nps.root_cause_pareto.rank IS 'Rank by frequency (1 = most frequent).';

CREATE OR REPLACE VIEW nps.topic_impact AS
WITH tot AS (
    SELECT r.cycle_id, @extschema@.nps_histogram(@extschema@.nps_agg(r.score)) AS counts
    FROM nps.responses r GROUP BY r.cycle_id
), per AS (
    SELECT rc.cycle_id, rc.cause, @extschema@.nps_histogram(@extschema@.nps_agg(r.score)) AS counts
    FROM nps.response_causes rc JOIN nps.responses r ON r.id = rc.response_id
    WHERE rc.confirmed
    GROUP BY rc.cycle_id, rc.cause
)
SELECT c.id AS cycle_id, c.name AS cycle, per.cause, t.name AS cause_name,
       (SELECT sum(x) FROM unnest(per.counts) x)::bigint AS responses,
       round(sc.whole::numeric, 1) AS nps, round(sc.without::numeric, 1) AS nps_without,
       round((sc.whole - sc.without)::numeric, 1) AS impact
FROM per
JOIN tot ON tot.cycle_id = per.cycle_id
JOIN nps.cycles c ON c.id = per.cycle_id
CROSS JOIN LATERAL (
    SELECT @extschema@.nps_score(nps.counts_summary(tot.counts), c.promoter_min, c.detractor_max) AS whole,
           @extschema@.nps_score(nps.counts_summary(nps._counts_sub(tot.counts, per.counts)),
                                 c.promoter_min, c.detractor_max) AS without) sc
LEFT JOIN nps.root_cause_taxonomy t ON t.key = per.cause;
COMMENT ON VIEW nps.topic_impact IS 'What each confirmed root cause costs: the cycle''s NPS minus its NPS without the responses of that cause (negative: the cause drags NPS down).';
COMMENT ON COLUMN nps.topic_impact.cycle_id IS 'Cycle id.';
COMMENT ON COLUMN nps.topic_impact.cycle IS 'Cycle name.';
COMMENT ON COLUMN nps.topic_impact.cause IS 'Root-cause key.';
COMMENT ON COLUMN nps.topic_impact.cause_name IS 'Root-cause name.';
COMMENT ON COLUMN nps.topic_impact.responses IS 'Responses (any segment) with this confirmed cause.';
COMMENT ON COLUMN nps.topic_impact.nps IS 'NPS of the cycle.';
COMMENT ON COLUMN nps.topic_impact.nps_without IS 'NPS of the cycle without the responses of this cause.';
COMMENT ON COLUMN nps.topic_impact.impact IS 'nps - nps_without, in points: what the cause costs (negative) the cycle.';

CREATE OR REPLACE VIEW nps.loop_closure AS
SELECT c.id AS cycle_id, c.name AS cycle,
       (SELECT count(*) FROM nps.responses r WHERE r.cycle_id = c.id AND r.segment = 'detractor') AS detractors,
       pr.projects, pr.projects_done, pr.projects_open, pr.projects_cancelled,
       round(100.0 * pr.projects_done / nullif(pr.projects, 0), 1) AS pct_closed,
       fc.contacted, fc.contacted_within_sla,
       round(100.0 * fc.contacted_within_sla / nullif(pr.projects, 0), 1) AS pct_contacted_within_sla,
       fc.median_hours_to_first_contact,
       (SELECT count(*) FROM nps.conversations cv JOIN nps.playbook_runs pb ON pb.run_id = cv.run_id
        WHERE pb.cycle_run_id = c.run_id) AS conversations,
       pi.plan_items, pi.items_done, pi.items_verified, pi.items_dropped,
       rs.resurveyed, rs.resurvey_before, rs.resurvey_after, rs.recovered
FROM nps.cycles c
CROSS JOIN LATERAL (
    SELECT count(*) AS projects,
           count(*) FILTER (WHERE r.status = 'done') AS projects_done,
           count(*) FILTER (WHERE r.status = 'active') AS projects_open,
           count(*) FILTER (WHERE r.status = 'cancelled') AS projects_cancelled
    FROM nps.playbook_runs pb JOIN nps.runs r ON r.id = pb.run_id
    WHERE pb.cycle_run_id = c.run_id) pr
CROSS JOIN LATERAL (
    SELECT count(*) AS contacted,
           count(*) FILTER (WHERE (t.due_at IS NULL AND t.due_days = 0 AND t.due_hours = 0)
                                  OR t.completed_at <= t.due_at) AS contacted_within_sla,
           round((percentile_cont(0.5) WITHIN GROUP (
                      ORDER BY extract(epoch FROM t.completed_at - r.started_at) / 3600))::numeric, 1)
               AS median_hours_to_first_contact
    FROM nps.playbook_runs pb
    JOIN nps.runs r ON r.id = pb.run_id
    JOIN nps.tasks t ON t.run_id = pb.run_id AND t.key = 'first_contact' AND t.status = 'done'
    WHERE pb.cycle_run_id = c.run_id) fc
CROSS JOIN LATERAL (
    SELECT count(*) AS plan_items,
           count(*) FILTER (WHERE p.status IN ('done', 'verified')) AS items_done,
           count(*) FILTER (WHERE p.status = 'verified') AS items_verified,
           count(*) FILTER (WHERE p.status = 'dropped') AS items_dropped
    FROM nps.plan_items p WHERE p.cycle_id = c.id) pi
CROSS JOIN LATERAL (
    SELECT count(*) AS resurveyed,
           round(avg(resp.score), 2) AS resurvey_before,
           round(avg((t.fields ->> 'resurvey_score')::numeric), 2) AS resurvey_after,
           count(*) FILTER (WHERE (t.fields ->> 'resurvey_score')::numeric > c.detractor_max) AS recovered
    FROM nps.playbook_runs pb
    JOIN nps.responses resp ON resp.id = pb.response_id
    JOIN nps.tasks t ON t.run_id = pb.run_id AND t.key = 'ask_feedback' AND t.status = 'done'
    WHERE pb.cycle_run_id = c.run_id AND jsonb_typeof(t.fields -> 'resurvey_score') = 'number') rs;
COMMENT ON VIEW nps.loop_closure IS 'How well each cycle closed the loop: detractor projects started and finished, first contact within SLA and time to it, conversations, plan items delivered and verified, re-survey scores before and after.';
COMMENT ON COLUMN nps.loop_closure.cycle_id IS 'Cycle id.';
COMMENT ON COLUMN nps.loop_closure.cycle IS 'Cycle name.';
COMMENT ON COLUMN nps.loop_closure.detractors IS 'Detractors of the cycle.';
COMMENT ON COLUMN nps.loop_closure.projects IS 'Projects started by playbooks for the cycle''s responses.';
COMMENT ON COLUMN nps.loop_closure.projects_done IS 'Projects finished.';
COMMENT ON COLUMN nps.loop_closure.projects_open IS 'Projects still active.';
COMMENT ON COLUMN nps.loop_closure.projects_cancelled IS 'Projects cancelled.';
COMMENT ON COLUMN nps.loop_closure.pct_closed IS 'Projects finished, in % of those started.';
COMMENT ON COLUMN nps.loop_closure.contacted IS 'Projects whose first_contact task is done.';
COMMENT ON COLUMN nps.loop_closure.contacted_within_sla IS 'Of those, first contact by its due date.';
COMMENT ON COLUMN nps.loop_closure.pct_contacted_within_sla IS 'First contact within SLA, in % of the projects.';
COMMENT ON COLUMN nps.loop_closure.median_hours_to_first_contact IS 'Median hours from project start to first contact.';
COMMENT ON COLUMN nps.loop_closure.conversations IS 'Conversations and notes logged on the projects.';
COMMENT ON COLUMN nps.loop_closure.plan_items IS 'Items of the cycle''s action plan.';
COMMENT ON COLUMN nps.loop_closure.items_done IS 'Items delivered (done or verified).';
COMMENT ON COLUMN nps.loop_closure.items_verified IS 'Items verified by someone other than their owner.';
COMMENT ON COLUMN nps.loop_closure.items_dropped IS 'Items dropped with a reason.';
COMMENT ON COLUMN nps.loop_closure.resurveyed IS 'Detractors who gave a re-survey score.';
COMMENT ON COLUMN nps.loop_closure.resurvey_before IS 'Their mean original score.';
COMMENT ON COLUMN nps.loop_closure.resurvey_after IS 'Their mean re-survey score.';
COMMENT ON COLUMN nps.loop_closure.recovered IS 'Re-surveyed detractors no longer detractors.';


-------------------------------------------------------------------------------------------------
-- Responses for analysts: every fact of a response but who gave it, pseudonymized
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW nps.response_facts AS
SELECT r.id AS response_id, c.id AS cycle_id, c.name AS cycle, a.external_id AS account, a.tier,
       a.segment AS market_segment, r.pseudonym AS respondent_key,
       r.score, r.segment, r.channel, r.responded_at, r.submissions,
       rc.cause, rc.confirmed AS cause_confirmed
FROM nps.responses r
JOIN nps.cycles c ON c.id = r.cycle_id
JOIN nps.accounts a ON a.id = r.account_id
LEFT JOIN nps.response_causes rc ON rc.response_id = r.id;
COMMENT ON VIEW nps.response_facts IS 'One row per response for analysts: its cycle, account, score, segment, channel, time and root cause, with the respondent replaced by a stable, non-reversible key (the same person gets the same key in every cycle). Comments and addresses are personal data: nps_pii reads nps.responses.';
COMMENT ON COLUMN nps.response_facts.response_id IS 'Response id.';
COMMENT ON COLUMN nps.response_facts.cycle_id IS 'Cycle id.';
COMMENT ON COLUMN nps.response_facts.cycle IS 'Cycle name.';
COMMENT ON COLUMN nps.response_facts.account IS 'Account external id.';
COMMENT ON COLUMN nps.response_facts.tier IS 'Account tier.';
COMMENT ON COLUMN nps.response_facts.market_segment IS 'Account market segment.';
COMMENT ON COLUMN nps.response_facts.respondent_key IS 'Pseudonym of the respondent: a keyed hash, stable across cycles, that nobody can reverse or recompute from an address.';
COMMENT ON COLUMN nps.response_facts.score IS 'Score 0..10.';
COMMENT ON COLUMN nps.response_facts.segment IS 'promoter, passive or detractor under the cycle''s bands.';
COMMENT ON COLUMN nps.response_facts.channel IS 'How the answer arrived.';
COMMENT ON COLUMN nps.response_facts.responded_at IS 'When the respondent answered.';
COMMENT ON COLUMN nps.response_facts.submissions IS 'How many times the respondent answered in the cycle.';
COMMENT ON COLUMN nps.response_facts.cause IS 'Root cause (detractors), suggested or confirmed.';
COMMENT ON COLUMN nps.response_facts.cause_confirmed IS 'Whether a person confirmed the cause.';
