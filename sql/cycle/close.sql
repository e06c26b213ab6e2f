-- pg_nps NPS cycle, close: what closing needs, and the cycle report written when it is granted.

CREATE OR REPLACE TRIGGER cycle_reports_frozen BEFORE INSERT OR UPDATE OR DELETE ON nps.cycle_reports
    FOR EACH ROW EXECUTE FUNCTION nps._frozen_guard();
ALTER TABLE nps.cycle_reports ENABLE ALWAYS TRIGGER cycle_reports_frozen;

CREATE OR REPLACE FUNCTION nps._cycle_close_check(c nps.cycles) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n     bigint;
    first bigint;
BEGIN
    SELECT count(*), min(p.id) INTO n, first FROM nps.plan_items p
    WHERE p.cycle_id = c.id AND p.status IN ('open', 'done');
    IF n > 0 THEN
        RAISE EXCEPTION 'cycle "%" cannot close: % plan items are not verified (first: #%)', c.name, n, first
            USING ERRCODE = 'NP003', HINT = 'Verify each delivered item (nps.verify_plan_item, by someone other than its owner) or drop it with a reason.';
    END IF;
    SELECT count(*), min(r.id) INTO n, first FROM nps.runs r WHERE r.parent_run_id = c.run_id AND r.status = 'active';
    IF n > 0 THEN
        RAISE EXCEPTION 'cycle "%" cannot close: % of its projects are still open (first: run #%)', c.name, n, first
            USING ERRCODE = 'NP003', HINT = 'Finish or cancel them; nps.run_progress shows where each stands.';
    END IF;
    RETURN (SELECT count(*) FROM nps.plan_items p WHERE p.cycle_id = c.id AND p.status = 'verified');
END;
$$;
COMMENT ON FUNCTION nps._cycle_close_check(nps.cycles) IS 'Internal: refuses (NP003) while a plan item is unverified or a project of the cycle is open; returns the verified items.';

-- Hook (approval_requesting, close): nothing open; the verified items and a report line are the
-- close's evidence.
CREATE OR REPLACE FUNCTION nps._close_requesting(step nps.steps) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles;
    n bigint;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    n := nps._cycle_close_check(c);
    RETURN jsonb_build_object(
        'verified_items', n,
        'report', coalesce(step.evidence ->> 'report',
                           (SELECT format('NPS %s (%s responses); %s detractor projects, %s%% contacted within SLA; %s plan items verified',
                                          h.nps, h.responses, l.projects, l.pct_contacted_within_sla, n)
                            FROM nps.cycle_headline h JOIN nps.loop_closure l ON l.cycle_id = h.cycle_id
                            WHERE h.cycle_id = c.id)));
END;
$$;
COMMENT ON FUNCTION nps._close_requesting(nps.steps) IS
    'Hook (approval_requesting, close): refuses (NP003) while a plan item is unverified or a project open; returns the evidence: verified items and a report line.';

-- Hook (step_completing, close): still nothing open when the close is granted.
CREATE OR REPLACE FUNCTION nps._close_completing(step nps.steps) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF FOUND THEN
        PERFORM nps._cycle_close_check(c);
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._close_completing(nps.steps) IS 'Hook (step_completing, close): refuses (NP003) a close granted while something reopened.';

-- Hook (step_completed, close): the cycle report.
CREATE OR REPLACE FUNCTION nps._close_completed(step nps.steps) RETURNS jsonb
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
    PERFORM nps._scope_enter('freeze', c.id);
    INSERT INTO nps.cycle_reports (cycle_id, run_id, closed_by, headline, loop_closure, root_causes, plan)
    SELECT c.id, c.run_id, step.completed_by,
           (SELECT to_jsonb(h) FROM nps.cycle_headline h WHERE h.cycle_id = c.id),
           (SELECT to_jsonb(l) FROM nps.loop_closure l WHERE l.cycle_id = c.id),
           coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.rank, p.cause) FROM nps.root_cause_pareto p WHERE p.cycle_id = c.id), '[]'),
           coalesce((SELECT jsonb_object_agg(x.segment, jsonb_build_object('items', x.items, 'verified', x.verified, 'dropped', x.dropped))
                     FROM (SELECT p.segment, count(*) AS items, count(*) FILTER (WHERE p.status = 'verified') AS verified,
                                  count(*) FILTER (WHERE p.status = 'dropped') AS dropped
                           FROM nps.plan_items p WHERE p.cycle_id = c.id GROUP BY p.segment) x), '{}');
    PERFORM nps._scope_leave('freeze', c.id);
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._close_completed(nps.steps) IS
    'Hook (step_completed, close): writes the cycle report (headline, loop closure, root causes, plan) once, frozen.';
