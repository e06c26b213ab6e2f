-- pg_nps workflow engine, tasks: the task guard, step completion by the last task, and the task
-- procedures.

-------------------------------------------------------------------------------------------------
-- Task guard and step completion
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._reference_exists(target text, key text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass := to_regclass(target);
    pk  text;
    found boolean;
BEGIN
    IF rel IS NULL THEN
        RETURN false;
    END IF;
    SELECT a.attname INTO pk
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = rel AND i.indisprimary AND i.indnatts = 1;
    IF pk IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I::text = $1)', rel, pk) INTO found USING key;
    RETURN found;
END;
$$;
COMMENT ON FUNCTION nps._reference_exists(text, text) IS
    'Internal: whether table target has a row whose single-column primary key equals key (as text).';

CREATE FUNCTION nps._tasks_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run  nps.runs;
    step nps.steps;
    dangling text[];
    facts jsonb;
BEGIN
    PERFORM nps._immutable(format('task "%s" (#%s)', OLD.title, OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                           '{id,run_id,step_id,position,key,title,description,due_days,due_hours,due_business,fields_spec}',
                           'A task''s definition comes from its template version.');
    SELECT * INTO run FROM nps.runs r WHERE r.id = OLD.run_id;
    SELECT * INTO step FROM nps.steps s WHERE s.id = OLD.step_id;
    SELECT coalesce(array_agg(f ->> 'name'), '{}') INTO dangling
    FROM jsonb_array_elements(OLD.fields_spec) f
    WHERE f ->> 'type' = 'reference' AND NEW.fields ? (f ->> 'name')
      AND jsonb_typeof(NEW.fields -> (f ->> 'name')) IN ('string', 'number')
      AND NOT nps._reference_exists(f ->> 'to', NEW.fields ->> (f ->> 'name'));
    facts := jsonb_build_object(
        'task', format('task "%s" (#%s)', OLD.title, OLD.id),
        'run', format('run #%s', OLD.run_id),
        'run_status', run.status,
        'step', nps._step_label(step),
        'step_status', step.status,
        'from', OLD.status, 'to', NEW.status,
        'fields_spec', OLD.fields_spec,
        'fields', NEW.fields,
        'is_owner', pg_has_role(current_user, OLD.owner, 'MEMBER'),
        'may_manage', nps._may_manage(run.owner),
        'owner_changed', NEW.owner IS DISTINCT FROM OLD.owner,
        'due_changed', NEW.due_at IS DISTINCT FROM OLD.due_at,
        'id', OLD.id,
        'reason', NEW.cancel_reason,
        'dangling', to_jsonb(dangling));
    PERFORM nps._check('task', facts);
    NEW.previous_owner := CASE WHEN NEW.owner IS DISTINCT FROM OLD.owner THEN OLD.owner ELSE OLD.previous_owner END;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.completed_at := now();
        NEW.completed_by := current_user;
        NEW.actor := nps._actor();
    ELSE
        NEW.completed_at := OLD.completed_at;
        NEW.completed_by := OLD.completed_by;
        NEW.actor := OLD.actor;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._tasks_guard() IS 'Trigger: enforces task rules (owner, active step, required fields, terminal states) for every client.';
CREATE TRIGGER tasks_guard BEFORE UPDATE ON nps.tasks
    FOR EACH ROW EXECUTE FUNCTION nps._tasks_guard();

-- A finished task updates its step's open-task count; the row lock this takes orders concurrent
-- completions in one step, so the last one always sees the others and completes the step when
-- nothing else (evidence, approval) is required.
CREATE FUNCTION nps._task_finished() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    step nps.steps;
BEGIN
    IF (SELECT r.status FROM nps.runs r WHERE r.id = NEW.run_id) <> 'active'
       OR (SELECT s.status FROM nps.steps s WHERE s.id = NEW.step_id) = 'skipped' THEN
        RETURN NULL;  -- a cancelled run's or a skipped step's tasks: nothing advances
    END IF;
    UPDATE nps.steps SET open_tasks = open_tasks WHERE id = NEW.step_id RETURNING * INTO step;
    IF step.open_tasks = 0 AND step.status = 'active' AND step.approval_role IS NULL
       AND step.evidence_spec = '[]' THEN
        UPDATE nps.steps SET status = 'done' WHERE id = step.id;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._task_finished() IS
    'Trigger: recounts the step''s open tasks after a task finishes and completes the step when nothing else is required.';
CREATE TRIGGER tasks_finished AFTER UPDATE OF status ON nps.tasks
    FOR EACH ROW WHEN (OLD.status = 'open' AND NEW.status <> 'open')
    EXECUTE FUNCTION nps._task_finished();

-------------------------------------------------------------------------------------------------
-- Procedures
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._task_for_update(task bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT nps._task_exists(task) THEN
        RAISE EXCEPTION 'task % does not exist', task
            USING ERRCODE = 'undefined_object', HINT = 'nps.my_tasks lists your open tasks.';
    END IF;
    RAISE EXCEPTION 'task % belongs to another owner', task
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Only its owner, the run''s owner or an nps_admin may change it; ask them to reassign it.';
END;
$$;
COMMENT ON FUNCTION nps._task_for_update(bigint) IS 'Internal: the error for a task the current role cannot see: missing (42704) or not theirs (42501).';
COMMENT ON FUNCTION nps.complete_task(bigint, jsonb, text) IS
    'Complete a task, recording its fields (merged into those saved) and a note. Refused unless the step is active, the caller owns the task (or the run, or is nps_admin) and every required field is filled.';
COMMENT ON FUNCTION nps.save_task(bigint, jsonb, text) IS
    'Record field values and a note on an open task without completing it (values are type-checked).';

CREATE FUNCTION nps.reassign_task(task bigint, new_owner name, note text DEFAULT NULL)
    RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET owner = nps._role(new_owner, format('new owner of task %s', task)),
                           note = coalesce(reassign_task.note, x.note)
     WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._task_for_update(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.reassign_task(bigint, name, text) IS
    'Hand an open task to another role (by its owner, the run''s owner or an nps_admin).';

CREATE FUNCTION nps.cancel_task(task bigint, reason text) RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET status = 'cancelled', cancel_reason = reason WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._task_for_update(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.cancel_task(bigint, text) IS 'Cancel an open task with a reason (by the run''s owner or an nps_admin).';
