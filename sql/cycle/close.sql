-- pg_nps NPS cycle, close: what closing needs and the cycle report.

-------------------------------------------------------------------------------------------------
-- Cycle report: written when the close step completes
-------------------------------------------------------------------------------------------------
CREATE TRIGGER cycle_reports_frozen BEFORE INSERT OR UPDATE OR DELETE ON nps.cycle_reports
    FOR EACH ROW EXECUTE FUNCTION nps._frozen_guard();

-------------------------------------------------------------------------------------------------
-- What each step of a cycle needs
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._cycle_close_check(c nps.cycles) RETURNS bigint
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
