-- pg_nps BI views: stable names and columns for dashboards (Metabase, Grafana, Superset, Tableau).
-- Every column is commented; nps_analyst reads them. See docs/bi.md.

CREATE FUNCTION nps._counts_sub(a bigint[], b bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY(SELECT x - y FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) ORDER BY i);
COMMENT ON FUNCTION nps._counts_sub(bigint[], bigint[]) IS 'Internal: element-wise difference of two score histograms.';

CREATE VIEW nps.cycle_headline AS
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

CREATE VIEW nps.trend_monthly AS
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

CREATE VIEW nps.account_nps AS
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

CREATE VIEW nps.segment_breakdown AS
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
                               ('channel', rr.channel)) AS d(dimension, value)
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

CREATE VIEW nps.root_cause_pareto AS
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

CREATE VIEW nps.topic_impact AS
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

CREATE VIEW nps.loop_closure AS
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
           count(*) FILTER (WHERE t.due_at IS NULL OR t.completed_at <= t.due_at) AS contacted_within_sla,
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

-- Every column of every BI view is described for the tools that show comments.
DO $$
DECLARE
    c text[];
BEGIN
    FOREACH c SLICE 1 IN ARRAY ARRAY[
        ['cycle_headline', 'cycle_id', 'Cycle id.'],
        ['cycle_headline', 'cycle', 'Cycle name.'],
        ['cycle_headline', 'opens_at', 'Start of the response window.'],
        ['cycle_headline', 'closes_at', 'End of the response window (exclusive).'],
        ['cycle_headline', 'status', 'Status of the cycle''s run: active, done (closed) or cancelled.'],
        ['cycle_headline', 'current_step', 'The step being worked on (intake, segmentation, root_cause, action_plan, outreach, close); NULL once closed.'],
        ['cycle_headline', 'frozen', 'Whether the figures are the frozen segmentation snapshot (else live).'],
        ['cycle_headline', 'responses', 'Responses.'],
        ['cycle_headline', 'invitations', 'Invitations sent.'],
        ['cycle_headline', 'response_rate', 'Responses / invitations (NULL without invitations).'],
        ['cycle_headline', 'promoters', 'Promoters under the cycle''s bands.'],
        ['cycle_headline', 'passives', 'Passives under the cycle''s bands.'],
        ['cycle_headline', 'detractors', 'Detractors under the cycle''s bands.'],
        ['cycle_headline', 'nps', 'Net Promoter Score, -100..100.'],
        ['cycle_headline', 'ci_low', 'Lower bound of the 95% confidence interval (adjusted Wald).'],
        ['cycle_headline', 'ci_high', 'Upper bound of the 95% confidence interval (adjusted Wald).'],
        ['cycle_headline', 'margin_of_error', 'Half-width of the 95% Wald interval, in points.'],
        ['cycle_headline', 'arr_weighted_nps', 'NPS with each account weighted by its ARR.'],
        ['cycle_headline', 'previous_cycle', 'The latest segmented cycle that opened before this one.'],
        ['cycle_headline', 'previous_nps', 'NPS of the previous cycle, under this cycle''s bands.'],
        ['cycle_headline', 'change', 'nps - previous_nps, in points.'],
        ['cycle_headline', 'p_value', 'Two-sided p-value of the change (z-test): below 0.05 is unlikely to be noise.'],
        ['cycle_headline', 'promoter_min', 'The cycle''s promoter band.'],
        ['cycle_headline', 'detractor_max', 'The cycle''s detractor band.'],
        ['trend_monthly', 'month', 'First day of the month (UTC) the responses were given in.'],
        ['trend_monthly', 'responses', 'Responses in the month.'],
        ['trend_monthly', 'promoters', 'Promoters under the current bands.'],
        ['trend_monthly', 'passives', 'Passives under the current bands.'],
        ['trend_monthly', 'detractors', 'Detractors under the current bands.'],
        ['trend_monthly', 'nps', 'NPS of the month.'],
        ['trend_monthly', 'ci_low', 'Lower bound of the 95% confidence interval.'],
        ['trend_monthly', 'ci_high', 'Upper bound of the 95% confidence interval.'],
        ['trend_monthly', 'summary', 'The month''s nps_summary, for other measures (nps_mean, nps_histogram …).'],
        ['account_nps', 'cycle_id', 'Cycle id.'],
        ['account_nps', 'cycle', 'Cycle name.'],
        ['account_nps', 'account_id', 'Account id.'],
        ['account_nps', 'account', 'Account external id.'],
        ['account_nps', 'account_name', 'Account name.'],
        ['account_nps', 'tier', 'Account tier.'],
        ['account_nps', 'market_segment', 'Account market segment.'],
        ['account_nps', 'csm', 'The account''s CSM.'],
        ['account_nps', 'arr', 'The account''s annual recurring revenue.'],
        ['account_nps', 'responses', 'Responses of the account in the cycle.'],
        ['account_nps', 'promoters', 'Promoters.'],
        ['account_nps', 'passives', 'Passives.'],
        ['account_nps', 'detractors', 'Detractors.'],
        ['account_nps', 'nps', 'NPS of the account''s respondents.'],
        ['account_nps', 'mean_score', 'Mean score 0..10.'],
        ['account_nps', 'arr_share_pct', 'The account''s share of the ARR of all answering accounts, in %.'],
        ['account_nps', 'arr_weighted_points', 'The account''s points in the cycle''s ARR-weighted NPS (arr share × account NPS).'],
        ['segment_breakdown', 'cycle_id', 'Cycle id.'],
        ['segment_breakdown', 'cycle', 'Cycle name.'],
        ['segment_breakdown', 'dimension', 'tier, market_segment, csm or channel.'],
        ['segment_breakdown', 'value', 'The value of the dimension (''(none)'' when unset).'],
        ['segment_breakdown', 'responses', 'Responses in the group.'],
        ['segment_breakdown', 'promoters', 'Promoters.'],
        ['segment_breakdown', 'passives', 'Passives.'],
        ['segment_breakdown', 'detractors', 'Detractors.'],
        ['segment_breakdown', 'nps', 'NPS of the group.'],
        ['segment_breakdown', 'ci_low', 'Lower bound of the 95% confidence interval.'],
        ['segment_breakdown', 'ci_high', 'Upper bound of the 95% confidence interval.'],
        ['segment_breakdown', 'arr_weighted_nps', 'NPS of the group with each account weighted by its ARR.'],
        ['root_cause_pareto', 'cycle_id', 'Cycle id.'],
        ['root_cause_pareto', 'cycle', 'Cycle name.'],
        ['root_cause_pareto', 'cause', 'Root-cause key.'],
        ['root_cause_pareto', 'cause_name', 'Root-cause name.'],
        ['root_cause_pareto', 'detractors', 'Detractors with this confirmed cause.'],
        ['root_cause_pareto', 'share_pct', 'Share of the cycle''s detractors with a confirmed cause, in %.'],
        ['root_cause_pareto', 'cumulative_pct', 'Cumulative share, most frequent cause first (the Pareto line).'],
        ['root_cause_pareto', 'rank', 'Rank by frequency (1 = most frequent).'],
        ['topic_impact', 'cycle_id', 'Cycle id.'],
        ['topic_impact', 'cycle', 'Cycle name.'],
        ['topic_impact', 'cause', 'Root-cause key.'],
        ['topic_impact', 'cause_name', 'Root-cause name.'],
        ['topic_impact', 'responses', 'Responses (any segment) with this confirmed cause.'],
        ['topic_impact', 'nps', 'NPS of the cycle.'],
        ['topic_impact', 'nps_without', 'NPS of the cycle without the responses of this cause.'],
        ['topic_impact', 'impact', 'nps - nps_without, in points: what the cause costs (negative) the cycle.'],
        ['loop_closure', 'cycle_id', 'Cycle id.'],
        ['loop_closure', 'cycle', 'Cycle name.'],
        ['loop_closure', 'detractors', 'Detractors of the cycle.'],
        ['loop_closure', 'projects', 'Projects started by playbooks for the cycle''s responses.'],
        ['loop_closure', 'projects_done', 'Projects finished.'],
        ['loop_closure', 'projects_open', 'Projects still active.'],
        ['loop_closure', 'projects_cancelled', 'Projects cancelled.'],
        ['loop_closure', 'pct_closed', 'Projects finished, in % of those started.'],
        ['loop_closure', 'contacted', 'Projects whose first_contact task is done.'],
        ['loop_closure', 'contacted_within_sla', 'Of those, first contact by its due date.'],
        ['loop_closure', 'pct_contacted_within_sla', 'First contact within SLA, in % of the projects.'],
        ['loop_closure', 'median_hours_to_first_contact', 'Median hours from project start to first contact.'],
        ['loop_closure', 'conversations', 'Conversations and notes logged on the projects.'],
        ['loop_closure', 'plan_items', 'Items of the cycle''s action plan.'],
        ['loop_closure', 'items_done', 'Items delivered (done or verified).'],
        ['loop_closure', 'items_verified', 'Items verified by someone other than their owner.'],
        ['loop_closure', 'items_dropped', 'Items dropped with a reason.'],
        ['loop_closure', 'resurveyed', 'Detractors who gave a re-survey score.'],
        ['loop_closure', 'resurvey_before', 'Their mean original score.'],
        ['loop_closure', 'resurvey_after', 'Their mean re-survey score.'],
        ['loop_closure', 'recovered', 'Re-surveyed detractors no longer detractors.'],
        ['playbooks_in_force', 'name', 'Playbook name.'],
        ['playbooks_in_force', 'fires_on', 'segmentation or response.'],
        ['playbooks_in_force', 'segment', 'Segment matched (NULL: any).'],
        ['playbooks_in_force', 'score_min', 'Lowest score matched (NULL: 0).'],
        ['playbooks_in_force', 'score_max', 'Highest score matched (NULL: 10).'],
        ['playbooks_in_force', 'tier', 'Account tier matched (NULL: any).'],
        ['playbooks_in_force', 'account_match', 'JSON the account''s attributes must contain (NULL: any).'],
        ['playbooks_in_force', 'template', 'Template started.'],
        ['playbooks_in_force', 'owner', 'Owner rule: account_csm, cycle_owner or a role.'],
        ['playbooks_in_force', 'email_subject', 'Subject of the email queued to the respondent (NULL: none).'],
        ['playbooks_in_force', 'email_body', 'Body of that email.'],
        ['root_cause_taxonomy', 'key', 'Category key.'],
        ['root_cause_taxonomy', 'name', 'Display name.'],
        ['root_cause_taxonomy', 'description', 'What the category covers.'],
        ['root_cause_taxonomy', 'keywords', 'Words and phrases that suggest it (full-text search).'],
        ['root_cause_taxonomy', 'position', 'Order in lists; breaks ties between suggestions.'],
        ['root_cause_taxonomy', 'active', 'Whether it can be assigned and suggested.'],
        ['my_tasks', 'task_id', 'Task id (for nps.complete_task).'],
        ['my_tasks', 'title', 'Task title.'],
        ['my_tasks', 'owner', 'Role that owns the task.'],
        ['my_tasks', 'status', 'Task status (open).'],
        ['my_tasks', 'due_at', 'When the task is due.'],
        ['my_tasks', 'step_id', 'Id of the tasks step.'],
        ['my_tasks', 'step', 'Name of the tasks step.'],
        ['my_tasks', 'step_status', 'Status of the tasks step.'],
        ['my_tasks', 'run_id', 'Id of the tasks run.'],
        ['my_tasks', 'run', 'Title of the tasks run.'],
        ['overdue_tasks', 'task_id', 'Task id.'],
        ['overdue_tasks', 'title', 'Task title.'],
        ['overdue_tasks', 'owner', 'Role that owns the task.'],
        ['overdue_tasks', 'due_at', 'When the task was due.'],
        ['overdue_tasks', 'step_id', 'Id of the tasks step.'],
        ['overdue_tasks', 'step', 'Name of the tasks step.'],
        ['overdue_tasks', 'run_id', 'Id of the tasks run.'],
        ['overdue_tasks', 'run', 'Title of the tasks run.'],
        ['overdue_tasks', 'template', 'Template of the run.'],
        ['pending_approvals', 'approval_id', 'Approval id (for nps.decide).'],
        ['pending_approvals', 'required_role', 'Role whose members decide.'],
        ['pending_approvals', 'min_approvers', 'Approvals needed.'],
        ['pending_approvals', 'requested_by', 'Role that asked (it cannot decide).'],
        ['pending_approvals', 'requested_at', 'When it was asked.'],
        ['pending_approvals', 'note', 'Note of the requester.'],
        ['pending_approvals', 'step_id', 'Id of the step to approve.'],
        ['pending_approvals', 'step', 'Name of the step to approve.'],
        ['pending_approvals', 'run_id', 'Id of the run.'],
        ['pending_approvals', 'run', 'Title of the run.'],
        ['pending_approvals', 'template', 'Template of the run.'],
        ['run_progress', 'run_id', 'Run id.'],
        ['run_progress', 'title', 'Run title.'],
        ['run_progress', 'template', 'Template name.'],
        ['run_progress', 'template_version', 'Template version.'],
        ['run_progress', 'owner', 'Role that owns the run.'],
        ['run_progress', 'status', 'Run status: active, done or cancelled.'],
        ['run_progress', 'parent_run_id', 'The run this one belongs to (e.g. its cycle).'],
        ['run_progress', 'subject_type', 'Kind of subject.'],
        ['run_progress', 'subject_id', 'Identifier of the subject.'],
        ['run_progress', 'started_at', 'When the run started.'],
        ['run_progress', 'finished_at', 'When the run finished.'],
        ['run_progress', 'steps_total', 'Steps of the run.'],
        ['run_progress', 'tasks_total', 'Tasks of the run.']
    ] LOOP
        EXECUTE format('COMMENT ON COLUMN nps.%I.%I IS %L', c[1], c[2], c[3]);
    END LOOP;
END $$;
