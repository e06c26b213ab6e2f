-- pg_nps NPS cycle, segmentation: the headline figures, and the snapshot frozen when the
-- segmentation checkpoint completes (the hooks are registered in cycle/hooks.sql).

-- Frozen rows: written only while their cycle's segmentation (or close) completes, never
-- changed. For everyone, in replica mode too (ENABLE ALWAYS); a restore inserts them as dumped.
CREATE OR REPLACE FUNCTION nps._frozen_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_RELID NOT IN ('nps.cycle_snapshots'::regclass, 'nps.cycle_snapshot_groups'::regclass, 'nps.cycle_reports'::regclass) THEN
        PERFORM nps._fires_on(TG_RELID, 'nps.cycle_snapshots', 'nps._frozen_guard()');
    END IF;
    IF TG_OP = 'INSERT' AND (nps._in_scope('freeze', NEW.cycle_id) OR current_setting('session_replication_role') = 'replica') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% of cycle % are frozen', replace(TG_TABLE_NAME, '_', ' '), coalesce(NEW.cycle_id, OLD.cycle_id)
        USING ERRCODE = 'NP009',
              HINT = 'They are written once, when the cycle''s segmentation checkpoint or close completes, and never change.';
END;
$$;
COMMENT ON FUNCTION nps._frozen_guard() IS
    'Trigger (for everyone): snapshot and report rows are written only by their step''s completion (or restored in replica mode) and never changed or deleted (NP009).';
CREATE OR REPLACE TRIGGER snapshots_frozen BEFORE INSERT OR UPDATE OR DELETE ON nps.cycle_snapshots
    FOR EACH ROW EXECUTE FUNCTION nps._frozen_guard();
CREATE OR REPLACE TRIGGER snapshot_groups_frozen BEFORE INSERT OR UPDATE OR DELETE ON nps.cycle_snapshot_groups
    FOR EACH ROW EXECUTE FUNCTION nps._frozen_guard();
ALTER TABLE nps.cycle_snapshots ENABLE ALWAYS TRIGGER snapshots_frozen;
ALTER TABLE nps.cycle_snapshot_groups ENABLE ALWAYS TRIGGER snapshot_groups_frozen;

-- The headline figures of a cycle's responses, as they are now: the row segmentation freezes.
CREATE OR REPLACE FUNCTION nps._headline(c nps.cycles) RETURNS nps.cycle_snapshots
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h     nps.cycle_snapshots;
    w     @extschema@.nps_summary;
    prev  nps.cycle_snapshots;
    lo    double precision;
    hi    double precision;
    diff  double precision;
    pval  double precision;
BEGIN
    SELECT @extschema@.nps_agg(r.score), count(*) INTO h.summary, h.responses FROM nps.responses r WHERE r.cycle_id = c.id;
    SELECT @extschema@.nps_agg(x.score, x.w) INTO w
      FROM (SELECT r.score, (a.arr / count(*) OVER (PARTITION BY r.account_id))::double precision AS w
              FROM nps.responses r JOIN nps.accounts a ON a.id = r.account_id
             WHERE r.cycle_id = c.id AND a.arr > 0) x;
    -- The previous cycle is the same owner's latest segmented one: another person's cycle,
    -- backdated or not, never becomes the baseline this one is compared with.
    SELECT p.* INTO prev FROM nps.cycle_snapshots p JOIN nps.cycles pc ON pc.id = p.cycle_id
    JOIN nps.runs pr ON pr.id = pc.run_id
    WHERE pc.opens_at < c.opens_at AND pc.id <> c.id
      AND pr.owner IS NOT DISTINCT FROM (SELECT r.owner FROM nps.runs r WHERE r.id = c.run_id)
    ORDER BY pc.opens_at DESC LIMIT 1;
    IF h.summary IS NOT NULL THEN
        SELECT x.low, x.high INTO lo, hi FROM @extschema@.nps_ci(h.summary, 0.95, 'adjusted_wald', c.promoter_min, c.detractor_max) x;
        IF prev.cycle_id IS NOT NULL THEN
            SELECT x.difference, x.p_value INTO diff, pval
            FROM @extschema@.nps_compare(h.summary, prev.summary, c.promoter_min, c.detractor_max) x;
        END IF;
    END IF;
    h.cycle_id := c.id;
    h.run_id := c.run_id;
    h.taken_at := now();
    h.taken_by := nps.current_actor();
    h.promoter_min := c.promoter_min;
    h.detractor_max := c.detractor_max;
    h.promoters := coalesce(@extschema@.nps_promoters(h.summary, c.promoter_min, c.detractor_max), 0);
    h.passives := coalesce(@extschema@.nps_passives(h.summary, c.promoter_min, c.detractor_max), 0);
    h.detractors := coalesce(@extschema@.nps_detractors(h.summary, c.promoter_min, c.detractor_max), 0);
    h.nps := round(@extschema@.nps_score(h.summary, c.promoter_min, c.detractor_max)::numeric, 1);
    h.ci_low := round(lo::numeric, 1);
    h.ci_high := round(hi::numeric, 1);
    h.margin_of_error := round(@extschema@.nps_moe(h.summary, 0.95, c.promoter_min, c.detractor_max)::numeric, 1);
    h.arr_weighted_nps := round(@extschema@.nps_score(w, c.promoter_min, c.detractor_max)::numeric, 1);
    h.invitations := c.invitations;
    h.response_rate := CASE WHEN c.invitations > 0 THEN round(h.responses::numeric / c.invitations, 4) END;
    h.previous_cycle_id := prev.cycle_id;
    h.previous_nps := round(@extschema@.nps_score(prev.summary, c.promoter_min, c.detractor_max)::numeric, 1);
    h.change := round(diff::numeric, 1);
    h.p_value := round(pval::numeric, 4);
    RETURN h;
END;
$$;
COMMENT ON FUNCTION nps._headline(nps.cycles) IS 'Internal: a cycle''s headline figures from all its responses now, as the snapshot row segmentation freezes (as the extension''s owner, so nps.cycle_headline counts every response whoever reads it; it returns aggregates only).';

CREATE OR REPLACE FUNCTION nps._freeze_snapshot(c nps.cycles, taken_by text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h nps.cycle_snapshots := nps._headline(c);
BEGIN
    h.taken_by := taken_by;
    PERFORM nps._scope_enter('freeze', c.id);
    INSERT INTO nps.cycle_snapshots SELECT h.*;
    INSERT INTO nps.cycle_snapshot_groups (cycle_id, run_id, dimension, key, summary, responses, nps, ci_low, ci_high)
    SELECT c.id, c.run_id, g.dimension, g.key, g.s, @extschema@.nps_responses(g.s),
           round(@extschema@.nps_score(g.s, c.promoter_min, c.detractor_max)::numeric, 1),
           round(ci.low::numeric, 1), round(ci.high::numeric, 1)
    FROM (SELECT d.dimension, d.key, @extschema@.nps_agg(d.score) AS s
          FROM nps.responses r JOIN nps.accounts a ON a.id = r.account_id
          CROSS JOIN LATERAL (VALUES ('tier', coalesce(a.tier, '(none)'), r.score),
                                     ('segment', coalesce(a.segment, '(none)'), r.score),
                                     ('account', a.external_id, r.score)) AS d(dimension, key, score)
          WHERE r.cycle_id = c.id
          GROUP BY d.dimension, d.key) g
    CROSS JOIN LATERAL @extschema@.nps_ci(g.s, 0.95, 'adjusted_wald', c.promoter_min, c.detractor_max) ci;
    PERFORM nps._scope_leave('freeze', c.id);
END;
$$;
COMMENT ON FUNCTION nps._freeze_snapshot(nps.cycles, text) IS 'Internal: writes a cycle''s frozen snapshot and its per-tier, per-segment and per-account summaries.';

-- Hook (step_completing, segmentation): the headline as evidence of the checkpoint.
CREATE OR REPLACE FUNCTION nps._segmentation_completing(step nps.steps) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles;
    h nps.cycle_snapshots;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    h := nps._headline(c);
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'nps', h.nps, 'promoters', h.promoters, 'passives', h.passives, 'detractors', h.detractors,
        'ci_low', h.ci_low, 'ci_high', h.ci_high, 'margin_of_error', h.margin_of_error,
        'change_from_previous', h.change));
END;
$$;
COMMENT ON FUNCTION nps._segmentation_completing(nps.steps) IS
    'Hook (step_completing, segmentation): the cycle''s headline (NPS, segments, interval, change) recorded as the checkpoint''s evidence.';

-- Hook (step_completed, segmentation): freeze the snapshot, then start the playbooks' runs.
CREATE OR REPLACE FUNCTION nps._segmentation_completed(step nps.steps) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM nps._freeze_snapshot(c, step.completed_by);
    PERFORM nps._fire_playbooks(c.id, 'segmentation',
                                ARRAY(SELECT r.id FROM nps.responses r WHERE r.cycle_id = c.id ORDER BY r.id));
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._segmentation_completed(nps.steps) IS
    'Hook (step_completed, segmentation): freezes the cycle''s snapshot and fires the segmentation playbooks (one detractor project per detractor, by default).';
