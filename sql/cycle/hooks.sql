-- pg_nps NPS cycle, where the cycle meets the engine: what each step of a cycle needs.

-------------------------------------------------------------------------------------------------
-- What each step of a cycle needs
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._cycle_step_done() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c      nps.cycles;
    n      bigint;
    first  bigint;
    forced text;
    h      nps.cycle_snapshots;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = NEW.run_id;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    CASE NEW.key
    WHEN 'intake' THEN
        forced := CASE WHEN nps._is_admin() THEN nullif(current_setting('nps.force_reason', true), '') END;
        SELECT count(*) INTO n FROM nps.responses r WHERE r.cycle_id = c.id;
        IF forced IS NULL AND now() < c.closes_at THEN
            RAISE EXCEPTION 'the response window of cycle "%" is open until %', c.name, c.closes_at
                USING ERRCODE = 'NP011',
                      HINT = 'Close intake when the window ends; an nps_admin can force it earlier with a reason: nps.close_intake(cycle, force_reason => ''…'').';
        END IF;
        IF forced IS NULL AND n < c.min_responses THEN
            RAISE EXCEPTION 'cycle "%" has % responses; its intake needs at least %', c.name, n, c.min_responses
                USING ERRCODE = 'NP003',
                      HINT = 'Extend the window (UPDATE nps.cycles SET closes_at) and send reminders; an nps_admin can force it with a reason.';
        END IF;
        NEW.evidence := NEW.evidence || jsonb_strip_nulls(jsonb_build_object(
            'responses', n,
            'invitations', c.invitations,
            'response_rate', CASE WHEN c.invitations > 0 THEN round(n::numeric / c.invitations, 4) END,
            'window', format('%s – %s', c.opens_at, least(c.closes_at, now())),
            'forced', forced));
    WHEN 'segmentation' THEN
        h := nps._headline(c);
        NEW.evidence := NEW.evidence || jsonb_strip_nulls(jsonb_build_object(
            'nps', h.nps, 'promoters', h.promoters, 'passives', h.passives, 'detractors', h.detractors,
            'ci_low', h.ci_low, 'ci_high', h.ci_high, 'margin_of_error', h.margin_of_error,
            'change_from_previous', h.change));
    WHEN 'root_cause' THEN
        SELECT count(*), min(r.id) INTO n, first
        FROM nps.responses r
        LEFT JOIN nps.response_causes rc ON rc.response_id = r.id AND rc.confirmed
        WHERE r.cycle_id = c.id AND r.segment = 'detractor' AND rc.response_id IS NULL;
        IF n > 0 THEN
            RAISE EXCEPTION '% detractors of cycle "%" have no confirmed root cause (first: response #%)', n, c.name, first
                USING ERRCODE = 'NP003',
                      HINT = 'Confirm or override each suggestion with nps.assign_root_cause(response, cause); "unknown" needs a note.';
        END IF;
    WHEN 'outreach' THEN
        SELECT count(*), min(r.id) INTO n, first FROM nps.runs r WHERE r.parent_run_id = c.run_id AND r.status = 'active';
        IF n > 0 THEN
            RAISE EXCEPTION 'the outreach of cycle "%" is not finished: % detractor projects are open (first: run #%)', c.name, n, first
                USING ERRCODE = 'NP003', HINT = 'Each CSM completes their projects'' tasks (nps.my_tasks); nps.loop_closure shows the progress.';
        END IF;
    WHEN 'close' THEN
        PERFORM nps._cycle_close_check(c);
    ELSE
        NULL;
    END CASE;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._cycle_step_done() IS
    'Trigger: what a cycle''s step needs to finish. Intake: the window ended (NP011) and min_responses reached (NP003), unless an nps_admin forces it; records the evidence. Segmentation: records the headline. Root cause: every detractor confirmed. Outreach: every project finished. Close: every plan item verified or dropped.';
CREATE TRIGGER steps_cycle BEFORE UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status = 'done' AND OLD.status <> 'done')
    EXECUTE FUNCTION nps._cycle_step_done();

CREATE FUNCTION nps._cycle_step_finished() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = NEW.run_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NEW.key = 'segmentation' THEN
        PERFORM nps._freeze_snapshot(c, NEW.completed_by);
        PERFORM nps._fire_playbooks(c.id, 'segmentation',
                                    ARRAY(SELECT r.id FROM nps.responses r WHERE r.cycle_id = c.id ORDER BY r.id));
    ELSIF NEW.key = 'close' THEN
        PERFORM set_config('nps.freezing', c.id::text, true);
        INSERT INTO nps.cycle_reports (cycle_id, run_id, closed_by, headline, loop_closure, root_causes, plan)
        SELECT c.id, c.run_id, NEW.completed_by,
               (SELECT to_jsonb(h) FROM nps.cycle_headline h WHERE h.cycle_id = c.id),
               (SELECT to_jsonb(l) FROM nps.loop_closure l WHERE l.cycle_id = c.id),
               coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.rank, p.cause) FROM nps.root_cause_pareto p WHERE p.cycle_id = c.id), '[]'),
               coalesce((SELECT jsonb_object_agg(x.segment, jsonb_build_object('items', x.items, 'verified', x.verified, 'dropped', x.dropped))
                         FROM (SELECT p.segment, count(*) AS items, count(*) FILTER (WHERE p.status = 'verified') AS verified,
                                      count(*) FILTER (WHERE p.status = 'dropped') AS dropped
                               FROM nps.plan_items p WHERE p.cycle_id = c.id GROUP BY p.segment) x), '{}');
        PERFORM set_config('nps.freezing', '', true);
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._cycle_step_finished() IS
    'Trigger (as the extension owner, so that nobody else can write snapshots, reports or playbook runs): when a cycle''s segmentation completes, freezes its snapshot and fires the playbooks (one detractor project per detractor); when its close completes, writes the cycle report.';
CREATE TRIGGER steps_cycle_finished AFTER UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status = 'done' AND OLD.status <> 'done' AND NEW.key IN ('segmentation', 'close'))
    EXECUTE FUNCTION nps._cycle_step_finished();

-- Asking for an approval of the plan or the close checks the plan's coverage or the open work first.
CREATE FUNCTION nps._cycle_approval_requested() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    step    nps.steps;
    c       nps.cycles;
    missing text;
    n       bigint;
BEGIN
    SELECT * INTO step FROM nps.steps s WHERE s.id = NEW.step_id;
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF NOT FOUND OR step.status <> 'active' THEN
        RETURN NEW;  -- not a cycle, or the workflow's own guard refuses it
    END IF;
    IF step.key = 'action_plan' THEN
        SELECT string_agg(x.segment::text, ', ' ORDER BY x.segment) INTO missing
        FROM (SELECT DISTINCT r.segment FROM nps.responses r WHERE r.cycle_id = c.id
              EXCEPT SELECT p.segment FROM nps.plan_items p WHERE p.cycle_id = c.id AND p.status <> 'dropped') x;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'the action plan of cycle "%" has no item for the %', c.name, missing
                USING ERRCODE = 'NP003',
                      HINT = 'Plan for every segment that answered: promoters (advocacy, referrals), passives (nurture), detractors (a fix per root cause).';
        END IF;
        SELECT string_agg(DISTINCT rc.cause, ', ') INTO missing
        FROM nps.response_causes rc JOIN nps.responses r ON r.id = rc.response_id
        WHERE rc.cycle_id = c.id AND r.segment = 'detractor' AND rc.confirmed AND rc.cause <> 'unknown'
          AND NOT EXISTS (SELECT 1 FROM nps.plan_items p WHERE p.cycle_id = c.id AND p.cause = rc.cause AND p.status <> 'dropped');
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'the action plan of cycle "%" has no fix for root causes: %', c.name, missing
                USING ERRCODE = 'NP003', HINT = 'Add a detractor item naming each cause: nps.add_plan_item(cycle, ''detractor'', title, owner, due_at, cause => ''…'').';
        END IF;
    ELSIF step.key = 'close' THEN
        n := nps._cycle_close_check(c);
        UPDATE nps.steps s SET evidence = s.evidence || jsonb_build_object(
                   'verified_items', n,
                   'report', coalesce(s.evidence ->> 'report',
                                      (SELECT format('NPS %s (%s responses); %s detractor projects, %s%% contacted within SLA; %s plan items verified',
                                                     h.nps, h.responses, l.projects, l.pct_contacted_within_sla, n)
                                       FROM nps.cycle_headline h JOIN nps.loop_closure l ON l.cycle_id = h.cycle_id
                                       WHERE h.cycle_id = c.id)))
        WHERE s.id = step.id;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._cycle_approval_requested() IS
    'Trigger: the plan of a cycle goes to approval only with an item for every segment that answered and a fix for every confirmed root cause (NP003); the close only with nothing open, recording the verified items and a report line as evidence.';
CREATE TRIGGER approvals_cycle BEFORE INSERT ON nps.approvals
    FOR EACH ROW EXECUTE FUNCTION nps._cycle_approval_requested();
