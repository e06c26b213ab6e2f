-- pg_nps NPS cycle, the action plan: items per segment and their verification.

-------------------------------------------------------------------------------------------------
-- Action plan items and their verification
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._plan_items_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c      nps.cycles;
    run    nps.runs;
    plan   nps.step_status;
    item   nps.plan_items := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    label  text;
    defn   boolean;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.id = item.cycle_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle % does not exist', item.cycle_id
            USING ERRCODE = 'undefined_object', HINT = 'SELECT id, name FROM nps.cycles lists the cycles.';
    END IF;
    SELECT * INTO run FROM nps.runs r WHERE r.id = c.run_id;
    SELECT s.status INTO plan FROM nps.steps s WHERE s.run_id = c.run_id AND s.key = 'action_plan';
    label := format('plan item #%s "%s" of cycle "%s"', coalesce(item.id::text, '(new)'), item.title, c.name);
    defn := TG_OP <> 'UPDATE' OR nps._changed(to_jsonb(OLD), to_jsonb(NEW),
                                              '{segment,cause,title,description,owner,due_at}') <> '{}';
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(label, to_jsonb(OLD), to_jsonb(NEW), '{id,cycle_id,run_id,created_at,created_by}',
                               'An item belongs to its cycle.');
    END IF;
    IF defn THEN
        -- The plan itself changes only while the action_plan step is being worked on.
        IF plan = 'pending' THEN
            RAISE EXCEPTION 'the action plan of cycle "%" has not started', c.name
                USING ERRCODE = 'NP002', HINT = 'It starts when every detractor has a confirmed root cause.';
        ELSIF plan = 'awaiting_approval' THEN
            RAISE EXCEPTION 'the action plan of cycle "%" is awaiting approval', c.name
                USING ERRCODE = 'NP004', HINT = 'Withdraw the request (nps.withdraw_approval) to change the plan, then request again.';
        ELSIF plan IN ('done', 'skipped') THEN
            RAISE EXCEPTION 'the action plan of cycle "%" is approved; % cannot change', c.name, label
                USING ERRCODE = 'NP007', HINT = 'Drop the item with a reason (nps.drop_plan_item) and add the change to the next cycle.';
        END IF;
        IF NOT nps._may_manage(run.owner) THEN
            RAISE EXCEPTION 'role "%" may not change the action plan of cycle "%"', current_user, c.name
                USING ERRCODE = 'insufficient_privilege', HINT = format('The cycle''s owner (%s) or an nps_admin plans.', run.owner);
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF NEW.cause IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nps.root_cause_taxonomy t WHERE t.key = NEW.cause) THEN
            RAISE EXCEPTION 'root cause "%" of % is not in the taxonomy', NEW.cause, label
                USING ERRCODE = 'undefined_object', HINT = 'SELECT key FROM nps.root_cause_taxonomy lists them.';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' THEN
            RAISE EXCEPTION '% must start open', label USING ERRCODE = 'NP002', HINT = 'Insert it open; complete and verify it later.';
        END IF;
        NEW.run_id := c.run_id;
        NEW.created_at := now();
        NEW.created_by := current_user;
        RETURN NEW;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF OLD.status IN ('verified', 'dropped') THEN
            RAISE EXCEPTION '% is %; terminal states are final', label, OLD.status
                USING ERRCODE = 'NP007', HINT = 'Add a new item to the next cycle''s plan.';
        END IF;
        IF plan IS DISTINCT FROM 'done' THEN
            RAISE EXCEPTION '% cannot be %s before the plan is approved', label, NEW.status
                USING ERRCODE = 'NP002', HINT = 'Request the action_plan step''s approval first.';
        END IF;
        IF NEW.status = 'done' AND OLD.status = 'open' THEN
            IF NOT (pg_has_role(current_user, OLD.owner, 'MEMBER') OR nps._may_manage(run.owner)) THEN
                RAISE EXCEPTION 'role "%" does not own %', current_user, label
                    USING ERRCODE = 'insufficient_privilege', HINT = format('Its owner (%s) completes it.', OLD.owner);
            END IF;
            NEW.completed_at := now();
            NEW.completed_by := current_user;
        ELSIF NEW.status = 'verified' AND OLD.status = 'done' THEN
            IF pg_has_role(current_user, OLD.owner, 'MEMBER') THEN
                RAISE EXCEPTION '% is owned by %, who cannot verify it', label, OLD.owner
                    USING ERRCODE = 'NP005', HINT = 'Someone other than the owner verifies the follow-up.';
            END IF;
            IF nullif(btrim(NEW.evidence), '') IS NULL THEN
                RAISE EXCEPTION 'verifying % needs evidence', label
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a link or a text that shows the follow-up shipped.';
            END IF;
            NEW.verified_by := current_user;
            NEW.verified_at := now();
        ELSIF NEW.status = 'dropped' THEN
            IF NOT nps._may_manage(run.owner) THEN
                RAISE EXCEPTION 'role "%" may not drop %', current_user, label
                    USING ERRCODE = 'insufficient_privilege', HINT = format('The cycle''s owner (%s) or an nps_admin drops items.', run.owner);
            END IF;
            IF nullif(btrim(NEW.drop_reason), '') IS NULL THEN
                RAISE EXCEPTION 'dropping % needs a reason', label
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Say why the item will not be delivered.';
            END IF;
        ELSE
            RAISE EXCEPTION '% cannot go from % to %', label, OLD.status, NEW.status
                USING ERRCODE = 'NP002', HINT = 'Items go open → done → verified, or are dropped.';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._plan_items_guard() IS
    'Trigger: the plan changes only while the action_plan step is active (NP002 / NP004 / NP007) and by the cycle''s owner; items go open → done (owner) → verified (not the owner: NP005, with evidence) or dropped (reason), after approval.';
CREATE TRIGGER plan_items_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.plan_items
    FOR EACH ROW EXECUTE FUNCTION nps._plan_items_guard();

CREATE FUNCTION nps.add_plan_item(cycle text, segment nps_segment, title text, owner name, due_at timestamptz,
                                  cause text DEFAULT NULL, description text DEFAULT '')
    RETURNS nps.plan_items
    LANGUAGE plpgsql
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
        RAISE EXCEPTION 'plan item "%" names root cause "%" but serves %s', title, cause, segment
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Root causes belong to detractor fixes; leave cause NULL for promoters and passives.';
    END IF;
    INSERT INTO nps.plan_items (cycle_id, run_id, segment, cause, title, description, owner, due_at)
    VALUES ((nps._cycle(cycle)).id, 0, segment, cause, title, coalesce(description, ''),
            nps._role(owner, format('owner of plan item "%s"', title)), due_at)
    RETURNING * INTO item;
    RETURN item;
END;
$$;
COMMENT ON FUNCTION nps.add_plan_item(text, nps_segment, text, name, timestamptz, text, text) IS
    'Add an item to a cycle''s action plan (while its action_plan step is active, by the cycle''s owner): the segment it serves, for detractors the root cause it fixes, its owner and due date.';

CREATE FUNCTION nps._plan_item_missing(item bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'plan item % does not exist', item
        USING ERRCODE = 'undefined_object', HINT = 'SELECT id, title FROM nps.plan_items lists them.';
END;
$$;
COMMENT ON FUNCTION nps._plan_item_missing(bigint) IS 'Internal: the error for an unknown plan item.';

CREATE FUNCTION nps.complete_plan_item(item bigint, outcome text) RETURNS nps.plan_items
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.plan_items;
BEGIN
    UPDATE nps.plan_items x SET status = 'done', outcome = complete_plan_item.outcome WHERE x.id = item RETURNING * INTO p;
    IF NOT FOUND THEN
        PERFORM nps._plan_item_missing(item);
    END IF;
    RETURN p;
END;
$$;
COMMENT ON FUNCTION nps.complete_plan_item(bigint, text) IS 'Mark an approved plan item delivered, with what was delivered (its owner, the cycle''s owner or an nps_admin).';

CREATE FUNCTION nps.verify_plan_item(item bigint, evidence text) RETURNS nps.plan_items
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.plan_items;
BEGIN
    UPDATE nps.plan_items x SET status = 'verified', evidence = verify_plan_item.evidence WHERE x.id = item RETURNING * INTO p;
    IF NOT FOUND THEN
        PERFORM nps._plan_item_missing(item);
    END IF;
    RETURN p;
END;
$$;
COMMENT ON FUNCTION nps.verify_plan_item(bigint, text) IS
    'Verify a delivered plan item with evidence (a link or a text). Never by its owner (NP005).';

CREATE FUNCTION nps.drop_plan_item(item bigint, reason text) RETURNS nps.plan_items
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.plan_items;
BEGIN
    UPDATE nps.plan_items x SET status = 'dropped', drop_reason = reason WHERE x.id = item RETURNING * INTO p;
    IF NOT FOUND THEN
        PERFORM nps._plan_item_missing(item);
    END IF;
    RETURN p;
END;
$$;
COMMENT ON FUNCTION nps.drop_plan_item(bigint, text) IS 'Drop an approved plan item with a reason (the cycle''s owner or an nps_admin).';
