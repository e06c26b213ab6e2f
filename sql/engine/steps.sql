-- pg_nps workflow engine, steps: the step state machine (order, checkpoints, evidence, open tasks,
-- approvals), SLA scheduling, advancing the run, and the step procedures.

-------------------------------------------------------------------------------------------------
-- Step guard and advance
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._step_label(s nps.steps) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN format('step "%s" (#%s) of run #%s', s.name, s.id, s.run_id);
END;
$$;
COMMENT ON FUNCTION nps._step_label(nps.steps) IS 'Internal: how messages name a step.';

CREATE FUNCTION nps._steps_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run   nps.runs;
    label text;
    facts jsonb;
    old_j jsonb := to_jsonb(OLD);
    new_j jsonb := to_jsonb(NEW);
BEGIN
    -- The recount after each task completion (nps._task_finished, hence inside a trigger)
    -- changes nothing but open_tasks of an active step of an active run: no transition to
    -- check, only the count to set. Statements from clients always take the full check.
    IF pg_trigger_depth() > 1 AND OLD.status = 'active' AND new_j - 'open_tasks' = old_j - 'open_tasks'
       AND (SELECT r.status FROM nps.runs r WHERE r.id = OLD.run_id) = 'active' THEN
        NEW.open_tasks := nps._open_tasks(OLD.id);
        RETURN NEW;
    END IF;
    label := nps._step_label(OLD);
    PERFORM nps._immutable(label, old_j, new_j,
                           '{id,run_id,position,key,name,description,checkpoint,skippable,approval_role,min_approvers,evidence_spec}',
                           'A step''s definition comes from its template version; import a new version for new runs.');
    SELECT * INTO run FROM nps.runs r WHERE r.id = OLD.run_id;
    NEW.open_tasks := nps._open_tasks(OLD.id);
    facts := jsonb_build_object(
        'step', label,
        'run', format('run #%s', OLD.run_id),
        'run_status', run.status,
        'from', OLD.status, 'to', NEW.status,
        'checkpoint', OLD.checkpoint, 'skippable', OLD.skippable,
        'has_approval', OLD.approval_role IS NOT NULL,
        'approval', (SELECT a.status FROM nps.approvals a WHERE a.step_id = OLD.id ORDER BY a.id DESC LIMIT 1),
        'earlier_unfinished', (SELECT count(*) FROM nps.steps e
                               WHERE e.run_id = OLD.run_id AND e.position < OLD.position
                                 AND e.status NOT IN ('done', 'skipped')),
        'open_tasks', NEW.open_tasks,
        'evidence_spec', OLD.evidence_spec,
        'evidence', NEW.evidence,
        'skip_reason', NEW.skip_reason,
        'may_manage', nps._may_manage(run.owner));
    PERFORM nps._check('step', facts);
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        CASE NEW.status
            WHEN 'active' THEN
                NEW.activated_at := coalesce(NEW.activated_at, now());
            WHEN 'done', 'skipped' THEN
                NEW.completed_at := now();
                NEW.completed_by := current_user;
                NEW.actor := nps._actor();
            ELSE
        END CASE;
        IF NEW.status = 'skipped' THEN
            NEW.open_tasks := 0;  -- steps_abandon_tasks cancels them right after
        END IF;
        IF NEW.status = 'active' AND OLD.status = 'awaiting_approval' THEN
            NEW.rejection_reason := (SELECT a.reason FROM nps.approvals a WHERE a.step_id = OLD.id
                                     ORDER BY a.id DESC LIMIT 1);
        END IF;
    ELSE
        -- Bookkeeping columns change only with the status.
        NEW.activated_at := OLD.activated_at;
        NEW.completed_at := OLD.completed_at;
        NEW.completed_by := OLD.completed_by;
        NEW.actor := OLD.actor;
        NEW.rejection_reason := OLD.rejection_reason;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._steps_guard() IS 'Trigger: enforces the step state machine (order, checkpoints, evidence, open tasks, approvals) for every client.';
CREATE TRIGGER steps_guard BEFORE UPDATE ON nps.steps
    FOR EACH ROW EXECUTE FUNCTION nps._steps_guard();

-- Schedules the SLA of a step's tasks when it becomes active (past row-level security).
CREATE FUNCTION nps._schedule_tasks() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE nps.tasks t
       SET due_at = nps.due_at(NEW.activated_at, t.due_days, t.due_hours, t.due_business)
     WHERE t.step_id = NEW.id AND (t.due_days > 0 OR t.due_hours > 0) AND t.due_at IS NULL AND t.status = 'open';
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._schedule_tasks() IS 'Trigger: sets due_at of the tasks of a step that became active, from their SLA.';
CREATE TRIGGER steps_schedule AFTER UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status = 'active' AND OLD.status = 'pending')
    EXECUTE FUNCTION nps._schedule_tasks();

-- When a step finishes, the next unfinished step starts; when none is left, the run is done.
CREATE FUNCTION nps._advance_run() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nxt nps.steps;
BEGIN
    SELECT * INTO nxt FROM nps.steps s
    WHERE s.run_id = NEW.run_id AND s.status NOT IN ('done', 'skipped')
    ORDER BY s.position LIMIT 1;
    IF NOT FOUND THEN
        UPDATE nps.runs SET status = 'done' WHERE id = NEW.run_id AND status = 'active';
    ELSIF nxt.status = 'pending' THEN
        UPDATE nps.steps SET status = 'active' WHERE id = nxt.id;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._advance_run() IS 'Trigger: starts the next step after one finishes, or finishes the run.';
CREATE TRIGGER steps_advance AFTER UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status IN ('done', 'skipped') AND OLD.status NOT IN ('done', 'skipped'))
    EXECUTE FUNCTION nps._advance_run();

-------------------------------------------------------------------------------------------------
-- Approval guards
-------------------------------------------------------------------------------------------------
-- Skipping a step cancels its open tasks, so they leave the owners' lists and SLA reports. The
-- trigger's name sorts before steps_advance: the tasks go before the run can finish.
CREATE FUNCTION nps._step_skipped() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE nps.tasks SET status = 'cancelled', cancel_reason = 'step skipped: ' || NEW.skip_reason
     WHERE step_id = NEW.id AND status = 'open';
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._step_skipped() IS 'Trigger: cancels the open tasks of a skipped step, with the skip''s reason.';
CREATE TRIGGER steps_abandon_tasks AFTER UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status = 'skipped' AND OLD.status <> 'skipped')
    EXECUTE FUNCTION nps._step_skipped();

-------------------------------------------------------------------------------------------------
-- Procedures
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._step_missing(step bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'step % does not exist', step
        USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs and their current steps.';
END;
$$;
COMMENT ON FUNCTION nps._step_missing(bigint) IS 'Internal: the error for an unknown step.';
COMMENT ON FUNCTION nps.complete_step(bigint, jsonb) IS
    'Complete an active step, recording its evidence (merged). Refused with open tasks, missing evidence, or an approval gate (use nps.request_approval).';
COMMENT ON FUNCTION nps.record_evidence(bigint, jsonb) IS
    'Record evidence on an unfinished step without completing it (type-checked against the step''s declared evidence).';

CREATE FUNCTION nps.skip_step(step bigint, reason text) RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nps.steps;
BEGIN
    UPDATE nps.steps x SET status = 'skipped', skip_reason = reason WHERE x.id = step RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM nps._step_missing(step);
    END IF;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION nps.skip_step(bigint, text) IS
    'Skip a pending or active step with a reason (run owner or nps_admin). Checkpoints and approval gates can never be skipped (NP001).';
