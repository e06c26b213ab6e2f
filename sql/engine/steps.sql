-- pg_nps workflow engine, steps: the step state machine (order, checkpoints, evidence, open tasks,
-- approvals), the hooks modules plug in at, SLA scheduling, advancing the run, and the step
-- procedures.

CREATE OR REPLACE FUNCTION nps._steps_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run   nps.runs;
    label text;
    facts jsonb;
    old_j jsonb := to_jsonb(OLD);
    new_j jsonb := to_jsonb(NEW);
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.steps', 'nps._steps_guard()');
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
    IF OLD.status = 'active' AND NEW.status IS DISTINCT FROM OLD.status THEN
        -- Closing a stage waits for its writers, so that what follows counts all of them.
        PERFORM nps._stage_close(OLD.id);
    END IF;
    IF NEW.status = 'done' AND OLD.status <> 'done' AND run.status = 'active' THEN
        -- A module's conditions for this step, in their declared order; what they return is
        -- evidence the step records (and the checkpoint may require).
        NEW.evidence := NEW.evidence || nps._run_hooks(NEW, 'step_completing');
    END IF;
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
                NEW.completed_by := nps.current_actor();
            ELSE
        END CASE;
        IF NEW.status = 'skipped' THEN
            NEW.skip_reason := nps._text(format('the reason to skip %s', label), NEW.skip_reason, 'reason');
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
        NEW.skip_reason := OLD.skip_reason;
        NEW.rejection_reason := OLD.rejection_reason;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._steps_guard() IS
    'Trigger: enforces the step state machine (order, checkpoints, evidence, open tasks, approvals) for every client; a step leaving active takes its stage lock; before a step becomes done, the step_completing hooks registered for it run in order and their evidence is recorded.';
CREATE OR REPLACE TRIGGER steps_guard BEFORE UPDATE ON nps.steps
    FOR EACH ROW EXECUTE FUNCTION nps._steps_guard();

-- What follows a step's change of status, in this order (one trigger, so that no behaviour rests
-- on the order of trigger names): a skipped step's open tasks are cancelled; a step that became
-- active gets its tasks' due dates; a step that finished starts the next one (or finishes the
-- run); then the step_completed hooks of a step that became done run, in their declared order.
CREATE OR REPLACE FUNCTION nps._steps_after() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nxt nps.steps;
    due bigint;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.steps', 'nps._steps_after()');
    IF NEW.status = 'skipped' THEN
        UPDATE nps.tasks SET status = 'cancelled', cancel_reason = 'step skipped: ' || NEW.skip_reason
         WHERE step_id = NEW.id AND status = 'open';
    END IF;
    IF NEW.status = 'active' AND OLD.status = 'pending' THEN
        -- Task by task in the step's order, so that the trail lists them the same way every time.
        PERFORM nps._scope_enter('schedule', NEW.id);
        FOR due IN SELECT t.id FROM nps.tasks t
                   WHERE t.step_id = NEW.id AND (t.due_days > 0 OR t.due_hours > 0) AND t.due_at IS NULL AND t.status = 'open'
                   ORDER BY t.position, t.id LOOP
            UPDATE nps.tasks t
               SET due_at = nps.due_at(NEW.activated_at, t.due_days, t.due_hours, t.due_business)
             WHERE t.id = due;
        END LOOP;
        PERFORM nps._scope_leave('schedule', NEW.id);
    END IF;
    IF NEW.status IN ('done', 'skipped') AND OLD.status NOT IN ('done', 'skipped') THEN
        SELECT * INTO nxt FROM nps.steps s
        WHERE s.run_id = NEW.run_id AND s.status NOT IN ('done', 'skipped')
        ORDER BY s.position LIMIT 1;
        IF NOT FOUND THEN
            UPDATE nps.runs SET status = 'done' WHERE id = NEW.run_id AND status = 'active';
        ELSIF nxt.status = 'pending' THEN
            UPDATE nps.steps SET status = 'active' WHERE id = nxt.id;
        END IF;
    END IF;
    IF NEW.status = 'done' THEN
        PERFORM nps._run_hooks(NEW, 'step_completed');
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._steps_after() IS
    'Trigger: what follows a step''s change of status, in a declared order: a skipped step cancels its open tasks; an activated one schedules its tasks'' SLAs; a finished one starts the next step or finishes the run; then a done step''s step_completed hooks run.';
CREATE OR REPLACE TRIGGER steps_after AFTER UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION nps._steps_after();

-------------------------------------------------------------------------------------------------
-- Procedures
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._refuse_unknown_step(step bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF step IS NULL THEN
        RAISE EXCEPTION 'no step named: the step id is NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the id of a step you can see.';
    END IF;
    RAISE EXCEPTION 'step % does not exist', step
        USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs and their current steps.';
END;
$$;
COMMENT ON FUNCTION nps._refuse_unknown_step(bigint) IS 'Internal: raise the error for an unknown (or invisible) step.';

CREATE OR REPLACE FUNCTION nps.complete_step(step bigint, evidence jsonb DEFAULT '{}') RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nps.steps;
BEGIN
    UPDATE nps.steps x SET status = 'done', evidence = x.evidence || nps._object(complete_step.evidence, 'evidence', '{"responses": 412}')
     WHERE x.id = step RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unknown_step(step);
    END IF;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION nps.complete_step(bigint, jsonb) IS
    'Complete an active step, recording its evidence (merged). Refused with open tasks, missing evidence, or an approval gate (use nps.request_approval).';

CREATE OR REPLACE FUNCTION nps.record_evidence(step bigint, evidence jsonb) RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nps.steps;
BEGIN
    UPDATE nps.steps x SET evidence = x.evidence || nps._object(record_evidence.evidence, 'evidence', '{"responses": 412}')
     WHERE x.id = step RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unknown_step(step);
    END IF;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION nps.record_evidence(bigint, jsonb) IS
    'Record evidence on an unfinished step without completing it (type-checked against the step''s declared evidence).';

CREATE OR REPLACE FUNCTION nps.skip_step(step bigint, reason text) RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nps.steps;
BEGIN
    UPDATE nps.steps x SET status = 'skipped', skip_reason = reason WHERE x.id = step RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unknown_step(step);
    END IF;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION nps.skip_step(bigint, text) IS
    'Skip a pending or active step with a reason (run owner or nps_admin). Checkpoints and approval gates can never be skipped (NP001).';
