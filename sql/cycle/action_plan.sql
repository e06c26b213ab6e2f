-- pg_nps NPS cycle, the action plan: items per segment and their verification (the decision is
-- nps_core::cycle::plan), and what the plan's approval request needs.

CREATE OR REPLACE FUNCTION nps._plan_items_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me    text := nps._person_or_null();
    c     nps.cycles;
    run   nps.runs;
    plan  nps.steps;
    item  nps.plan_items := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    label text;
    defn  boolean;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.plan_items', 'nps._plan_items_guard()');
    SELECT * INTO c FROM nps.cycles x WHERE x.id = item.cycle_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle % does not exist', item.cycle_id
            USING ERRCODE = 'undefined_object', HINT = 'SELECT id, name FROM nps.cycles lists the cycles.';
    END IF;
    SELECT * INTO run FROM nps.runs r WHERE r.id = c.run_id;
    SELECT * INTO plan FROM nps.steps s WHERE s.run_id = c.run_id AND s.key = 'action_plan';
    label := format('plan item #%s "%s" of cycle "%s"', coalesce(item.id::text, '(new)'),
                    regexp_replace(left(item.title, 80), '[\x01-\x1f\x7f]', '?', 'g'), c.name);
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(label, to_jsonb(OLD), to_jsonb(NEW), '{id,cycle_id,run_id,created_at,created_by}',
                               'An item belongs to its cycle.');
    END IF;
    defn := TG_OP <> 'UPDATE' OR nps._changed(to_jsonb(OLD), to_jsonb(NEW),
                                              '{segment,cause,title,description,owner,due_at}') <> '{}';
    IF defn THEN
        -- Gates are ordered: asking for the plan's approval waits for this change, or it sees the
        -- plan submitted.
        PERFORM nps._stage_write(plan.id);
        SELECT * INTO plan FROM nps.steps s WHERE s.id = plan.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        NEW.title := nps._text(format('the title of %s', label), NEW.title, 'title');
        NEW.description := nps._text(format('the description of %s', label), NEW.description, 'text');
        IF TG_OP = 'INSERT' OR NEW.owner IS DISTINCT FROM OLD.owner THEN
            NEW.owner := nps._person(NEW.owner, format('owner of %s', label));
        END IF;
    END IF;
    PERFORM nps._check('plan_item', jsonb_build_object(
        'item', label,
        'cycle', c.name,
        'op', lower(TG_OP),
        'plan', coalesce(plan.status, 'pending'),
        'definition_changed', defn,
        'may_plan', nps._may_manage(run.owner),
        'is_owner', coalesce(item.owner = me, false),
        'is_completer', TG_OP = 'UPDATE' AND coalesce(OLD.completed_by = me, false),
        'may_verify', nps.has_role(me, 'nps_approver'),
        'cause_known', item.cause IS NULL OR EXISTS (SELECT 1 FROM nps.root_cause_taxonomy t WHERE t.key = item.cause),
        'from', CASE WHEN TG_OP <> 'INSERT' THEN OLD.status END,
        'to', CASE WHEN TG_OP <> 'DELETE' THEN NEW.status END,
        'anything_changed', TG_OP = 'UPDATE' AND to_jsonb(OLD) <> to_jsonb(NEW),
        'outcome_changed', TG_OP = 'UPDATE' AND NEW.outcome IS DISTINCT FROM OLD.outcome,
        'evidence_changed', TG_OP = 'UPDATE' AND NEW.evidence IS DISTINCT FROM OLD.evidence,
        'drop_reason_changed', TG_OP = 'UPDATE' AND NEW.drop_reason IS DISTINCT FROM OLD.drop_reason,
        'outcome', CASE WHEN TG_OP <> 'DELETE' THEN NEW.outcome END,
        'evidence', CASE WHEN TG_OP <> 'DELETE' THEN NEW.evidence END,
        'drop_reason', CASE WHEN TG_OP <> 'DELETE' THEN NEW.drop_reason END));
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.run_id := c.run_id;
        NEW.created_at := now();
        NEW.created_by := nps.current_actor();
        NEW.completed_at := NULL;
        NEW.completed_by := NULL;
        NEW.verified_at := NULL;
        NEW.verified_by := NULL;
        RETURN NEW;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NEW.status IN ('done', 'verified') THEN
            me := nps.current_person();  -- a person delivers and verifies (NP012 for anyone else)
        END IF;
        IF NEW.status = 'done' THEN
            NEW.outcome := nps._text(format('the outcome of %s', label), NEW.outcome, 'text');
            NEW.completed_at := now();
            NEW.completed_by := me;
        ELSIF NEW.status = 'verified' THEN
            NEW.evidence := nps._text(format('the evidence of %s', label), NEW.evidence, 'text');
            NEW.verified_by := me;
            NEW.verified_at := now();
        ELSIF NEW.status = 'dropped' THEN
            NEW.drop_reason := nps._text(format('the reason to drop %s', label), NEW.drop_reason, 'reason');
        END IF;
    ELSE
        NEW.completed_at := OLD.completed_at;
        NEW.completed_by := OLD.completed_by;
        NEW.verified_at := OLD.verified_at;
        NEW.verified_by := OLD.verified_by;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._plan_items_guard() IS
    'Trigger: the plan changes only while the action_plan step is active (NP002 / NP004 / NP007; ordered against its approval request by the stage lock) and by the cycle''s owner or an nps_admin (42501); items go open → done (owner, with the outcome) → verified (a person holding nps_approver, 42501, who is not the owner: NP005, with evidence) or dropped (reason), after approval; verified and dropped items never change (NP007).';
CREATE OR REPLACE TRIGGER plan_items_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.plan_items
    FOR EACH ROW EXECUTE FUNCTION nps._plan_items_guard();

CREATE OR REPLACE FUNCTION nps.add_plan_item(cycle text, segment nps_segment, title text, owner text, due_at timestamptz,
                                             cause text DEFAULT NULL, description text DEFAULT '')
    RETURNS nps.plan_items
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    item nps.plan_items;
BEGIN
    IF segment IS NULL OR title IS NULL OR owner IS NULL OR due_at IS NULL THEN
        RAISE EXCEPTION 'a plan item needs a segment, a title, an owner and a due date'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Every item of the plan has someone who delivers it by a date.';
    END IF;
    IF cause IS NOT NULL AND segment <> 'detractor' THEN
        RAISE EXCEPTION 'plan item "%" names root cause "%" but serves %s', left(title, 80), left(cause, 80), segment
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Root causes belong to detractor fixes; leave cause NULL for promoters and passives.';
    END IF;
    INSERT INTO nps.plan_items (cycle_id, run_id, segment, cause, title, description, owner, due_at, created_by)
    VALUES ((nps._cycle(cycle)).id, 0, segment, cause, title, coalesce(description, ''), owner, due_at, '')
    RETURNING * INTO item;
    RETURN item;
END;
$$;
COMMENT ON FUNCTION nps.add_plan_item(text, nps_segment, text, text, timestamptz, text, text) IS
    'Add an item to a cycle''s action plan (while its action_plan step is active, by the cycle''s owner or an nps_admin): the segment it serves, for detractors the root cause it fixes, the person who delivers it and its due date.';

CREATE OR REPLACE FUNCTION nps._refuse_unknown_plan_item(item bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF item IS NULL THEN
        RAISE EXCEPTION 'no plan item named: the plan item id is NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the id of a plan item you can see.';
    END IF;
    RAISE EXCEPTION 'plan item % does not exist', item
        USING ERRCODE = 'undefined_object', HINT = 'SELECT id, title FROM nps.plan_items lists them.';
END;
$$;
COMMENT ON FUNCTION nps._refuse_unknown_plan_item(bigint) IS 'Internal: raise the error for an unknown plan item.';

CREATE OR REPLACE FUNCTION nps.complete_plan_item(item bigint, outcome text) RETURNS nps.plan_items
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.plan_items;
BEGIN
    UPDATE nps.plan_items x SET status = 'done', outcome = complete_plan_item.outcome WHERE x.id = item RETURNING * INTO p;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unknown_plan_item(item);
    END IF;
    RETURN p;
END;
$$;
COMMENT ON FUNCTION nps.complete_plan_item(bigint, text) IS 'Mark an approved plan item delivered, with what was delivered (its owner, the cycle''s owner or an nps_admin).';

CREATE OR REPLACE FUNCTION nps.verify_plan_item(item bigint, evidence text) RETURNS nps.plan_items
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.plan_items;
BEGIN
    UPDATE nps.plan_items x SET status = 'verified', evidence = verify_plan_item.evidence WHERE x.id = item RETURNING * INTO p;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unknown_plan_item(item);
    END IF;
    RETURN p;
END;
$$;
COMMENT ON FUNCTION nps.verify_plan_item(bigint, text) IS
    'Verify a delivered plan item with evidence (a link or a text), as a person who is not its owner (NP005).';

CREATE OR REPLACE FUNCTION nps.drop_plan_item(item bigint, reason text) RETURNS nps.plan_items
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.plan_items;
BEGIN
    UPDATE nps.plan_items x SET status = 'dropped', drop_reason = reason WHERE x.id = item RETURNING * INTO p;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unknown_plan_item(item);
    END IF;
    RETURN p;
END;
$$;
COMMENT ON FUNCTION nps.drop_plan_item(bigint, text) IS 'Drop a plan item with a reason (the cycle''s owner or an nps_admin).';

-- Hook (approval_requesting, action_plan): the plan goes to approval only with an item for every
-- segment that answered and a fix for every confirmed root cause.
CREATE OR REPLACE FUNCTION nps._plan_requesting(step nps.steps) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c       nps.cycles;
    missing text;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- The plan's writers are done: asking for approval closes the stage.
    PERFORM nps._stage_close(step.id);
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
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._plan_requesting(nps.steps) IS
    'Hook (approval_requesting, action_plan): refuses (NP003) the plan''s approval request without an item for every segment that answered and a fix for every confirmed root cause; takes the plan''s stage lock first.';
