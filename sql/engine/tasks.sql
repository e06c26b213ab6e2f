-- pg_nps workflow engine, tasks: the task guard, what follows a task's completion (the step's
-- recount, the task hooks), and the task procedures: complete, save, reassign, claim, move the
-- due date, cancel.

CREATE OR REPLACE FUNCTION nps._exists_as_caller(rel regclass, key_column text, key text) RETURNS boolean
    LANGUAGE c STRICT STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_exists_as_caller';
COMMENT ON FUNCTION nps._exists_as_caller(regclass, text, text) IS
    'Internal: whether rel has a row whose key_column, as text, is key, asked as the role acting (its privileges and row-level security), never as the owner: no code of the table''s runs with the owner''s rights.';

CREATE OR REPLACE FUNCTION nps._reference_exists(target text, key text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass := to_regclass(target);
    pk  text;
BEGIN
    -- A reference names a row of a permanent table the person acting could read themself; the
    -- lookup runs with their rights (nps._exists_as_caller), not the guard's.
    IF rel IS NULL
       OR (SELECT c.relpersistence = 't' OR c.relkind NOT IN ('r', 'p') FROM pg_class c WHERE c.oid = rel)
       OR NOT has_table_privilege(nps._outer_role(), rel, 'SELECT') THEN
        RETURN false;
    END IF;
    SELECT a.attname INTO pk
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = rel AND i.indisprimary AND i.indnatts = 1;
    IF pk IS NULL THEN
        RETURN false;
    END IF;
    RETURN nps._exists_as_caller(rel, pk, key);
END;
$$;
COMMENT ON FUNCTION nps._reference_exists(text, text) IS
    'Internal: whether permanent table target (one the acting role may read) has a row, visible to the acting role, whose single-column primary key equals key (as text).';

CREATE OR REPLACE FUNCTION nps._tasks_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me   text := nps._person_or_null();
    run  nps.runs;
    step nps.steps;
    dangling text[];
    facts jsonb;
    label text := format('task "%s" (#%s)', OLD.title, OLD.id);
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.tasks', 'nps._tasks_guard()');
    PERFORM nps._immutable(label, to_jsonb(OLD), to_jsonb(NEW),
                           '{id,run_id,step_id,position,key,title,description,queue,due_days,due_hours,due_business,fields_spec}',
                           'A task''s definition comes from its template version.');
    SELECT * INTO run FROM nps.runs r WHERE r.id = OLD.run_id;
    SELECT * INTO step FROM nps.steps s WHERE s.id = OLD.step_id;
    IF NEW.owner IS DISTINCT FROM OLD.owner AND NEW.owner IS NOT NULL THEN
        NEW.owner := nps._person(NEW.owner, format('new owner of %s', label));
    ELSIF NEW.owner IS NULL AND OLD.owner IS NOT NULL THEN
        RAISE EXCEPTION '% cannot lose its owner', label
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Hand it to another person with nps.reassign_task.';
    END IF;
    IF NEW.note IS DISTINCT FROM OLD.note AND NEW.note IS NOT NULL THEN
        NEW.note := nps._text(format('the note of %s', label), NEW.note, 'text');
    END IF;
    SELECT coalesce(array_agg(f ->> 'name'), '{}') INTO dangling
    FROM jsonb_array_elements(OLD.fields_spec) f
    WHERE f ->> 'type' = 'reference' AND NEW.fields ? (f ->> 'name')
      AND jsonb_typeof(NEW.fields -> (f ->> 'name')) IN ('string', 'number')
      AND NOT nps._reference_exists(f ->> 'to', NEW.fields ->> (f ->> 'name'));
    facts := jsonb_build_object(
        'task', label,
        'run', format('run #%s', OLD.run_id),
        'run_status', run.status,
        'step', nps._step_label(step),
        'step_status', step.status,
        'from', OLD.status, 'to', NEW.status,
        'fields_spec', OLD.fields_spec,
        'fields', NEW.fields,
        'is_owner', coalesce(OLD.owner = me, false),
        'queue', OLD.queue,
        'queued', OLD.owner IS NULL,
        'claiming', OLD.owner IS NULL AND coalesce(NEW.owner = me, false),
        'may_claim', OLD.queue IS NOT NULL AND nps.has_role(me, OLD.queue),
        'may_manage', nps._may_manage(run.owner),
        'owner_changed', NEW.owner IS DISTINCT FROM OLD.owner,
        'due_changed', NEW.due_at IS DISTINCT FROM OLD.due_at,
        'only_due', (to_jsonb(NEW) - '{due_at,due_reason}'::text[]) = (to_jsonb(OLD) - '{due_at,due_reason}'::text[]),
        'may_move_due', nps._is_admin() OR nps._is_lead_of(me, run.owner),
        'scheduling', nps._in_scope('schedule', OLD.step_id),
        'due_reason', NEW.due_reason,
        'id', OLD.id,
        'reason', NEW.cancel_reason,
        'dangling', to_jsonb(dangling));
    PERFORM nps._check('task', facts);
    IF NEW.due_at IS DISTINCT FROM OLD.due_at AND NOT nps._in_scope('schedule', OLD.step_id) THEN
        -- A due date moves to another date: a task without one would count as met in time.
        IF NEW.due_at IS NULL OR NOT isfinite(NEW.due_at) THEN
            RAISE EXCEPTION 'the due date of % cannot become %', label, coalesce(NEW.due_at::text, 'NULL')
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Move it to a date: nps.move_due(task, due_at, reason).';
        END IF;
        NEW.due_reason := nps._text(format('the reason to move the due date of %s', label), NEW.due_reason, 'reason');
    ELSE
        NEW.due_reason := OLD.due_reason;
    END IF;
    NEW.previous_owner := CASE WHEN NEW.owner IS DISTINCT FROM OLD.owner THEN OLD.owner ELSE OLD.previous_owner END;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.completed_at := now();
        NEW.completed_by := nps.current_actor();
        IF NEW.status = 'cancelled' THEN
            NEW.cancel_reason := nps._text(format('the reason to cancel %s', label), NEW.cancel_reason, 'reason');
        END IF;
    ELSE
        NEW.completed_at := OLD.completed_at;
        NEW.completed_by := OLD.completed_by;
        NEW.cancel_reason := OLD.cancel_reason;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._tasks_guard() IS
    'Trigger: enforces task rules for every client: its owner (or the run''s owner, or an nps_admin) works on it; a queued task is claimed by a person holding its queue''s role; only a person completes it, in an active step, with its required fields; the due date moves only by the run owner''s lead or an nps_admin, with a reason; terminal states are final.';
CREATE OR REPLACE TRIGGER tasks_guard BEFORE UPDATE ON nps.tasks
    FOR EACH ROW EXECUTE FUNCTION nps._tasks_guard();

-- A finished task updates its step's open-task count; the row lock this takes orders concurrent
-- completions in one step, so the last one always sees the others and completes the step when
-- nothing else (evidence, approval) is required. Then the task_completed hooks of a done task run.
CREATE OR REPLACE FUNCTION nps._tasks_after() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    step nps.steps;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.tasks', 'nps._tasks_after()');
    IF (SELECT r.status FROM nps.runs r WHERE r.id = NEW.run_id) <> 'active'
       OR (SELECT s.status FROM nps.steps s WHERE s.id = NEW.step_id) = 'skipped' THEN
        RETURN NULL;  -- a cancelled run's or a skipped step's tasks: nothing advances
    END IF;
    IF NEW.status = 'done' THEN
        PERFORM nps._run_task_hooks(NEW);
    END IF;
    UPDATE nps.steps SET open_tasks = open_tasks WHERE id = NEW.step_id RETURNING * INTO step;
    IF step.open_tasks = 0 AND step.status = 'active' AND step.approval_role IS NULL
       AND step.evidence_spec = '[]' THEN
        UPDATE nps.steps SET status = 'done' WHERE id = step.id;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._tasks_after() IS
    'Trigger: after a task finishes, its task_completed hooks run (when done), then its step''s open tasks are recounted and the step completes when nothing else is required.';
CREATE OR REPLACE TRIGGER tasks_after AFTER UPDATE OF status ON nps.tasks
    FOR EACH ROW WHEN (OLD.status = 'open' AND NEW.status <> 'open')
    EXECUTE FUNCTION nps._tasks_after();

-------------------------------------------------------------------------------------------------
-- Procedures
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._refuse_unreachable_task(task bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF task IS NULL THEN
        RAISE EXCEPTION 'no task named: the task id is NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the id of a task you can see.';
    END IF;
    IF NOT nps._task_exists(task) THEN
        RAISE EXCEPTION 'task % does not exist', task
            USING ERRCODE = 'undefined_object', HINT = 'nps.my_tasks lists your open tasks.';
    END IF;
    RAISE EXCEPTION 'task % belongs to another owner', task
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Only its owner, the run''s owner or an nps_admin may change it; ask them to reassign it.';
END;
$$;
COMMENT ON FUNCTION nps._refuse_unreachable_task(bigint) IS
    'Internal: raise the error for a task the caller could not update: missing (42704) or not theirs (42501).';

CREATE OR REPLACE FUNCTION nps.complete_task(task bigint, fields jsonb DEFAULT '{}', note text DEFAULT NULL)
    RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET status = 'done', fields = x.fields || nps._object(complete_task.fields, 'fields', '{"outcome": "resolved"}'),
                           note = coalesce(complete_task.note, x.note)
     WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unreachable_task(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.complete_task(bigint, jsonb, text) IS
    'Complete a task, recording its fields (merged into those saved) and a note. Refused unless the step is active, the caller owns the task (or the run, or is nps_admin) and every required field is filled.';

CREATE OR REPLACE FUNCTION nps.save_task(task bigint, fields jsonb DEFAULT '{}', note text DEFAULT NULL)
    RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET fields = x.fields || nps._object(save_task.fields, 'fields', '{"outcome": "resolved"}'),
                           note = coalesce(save_task.note, x.note)
     WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unreachable_task(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.save_task(bigint, jsonb, text) IS
    'Record field values and a note on an open task without completing it (values are type-checked).';

CREATE OR REPLACE FUNCTION nps.reassign_task(task bigint, new_owner text, note text DEFAULT NULL)
    RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET owner = new_owner, note = coalesce(reassign_task.note, x.note)
     WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unreachable_task(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.reassign_task(bigint, text, text) IS
    'Hand an open task to another active person (by its owner, the run''s owner or an nps_admin).';

CREATE OR REPLACE FUNCTION nps.claim_task(task bigint) RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET owner = nps.current_person() WHERE x.id = task AND x.owner IS NULL RETURNING * INTO t;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM nps.tasks x WHERE x.id = task AND x.owner IS NOT NULL) THEN
            RAISE EXCEPTION 'task % already has an owner', task
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Only a task waiting in its queue is claimed; ask its owner to reassign it.';
        END IF;
        PERFORM nps._refuse_unreachable_task(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.claim_task(bigint) IS
    'Take a task waiting in its role''s queue (template owner rule {"role": …}): you become its owner; you must hold the role. Returns the task.';

CREATE OR REPLACE FUNCTION nps.move_due(task bigint, due_at timestamptz, reason text) RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    IF move_due.due_at IS NULL OR NOT isfinite(move_due.due_at) THEN
        RAISE EXCEPTION 'the due date of task % cannot become %', task, coalesce(move_due.due_at::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Move it to a date: nps.move_due(task, due_at, reason).';
    END IF;
    UPDATE nps.tasks x SET due_at = move_due.due_at, due_reason = move_due.reason WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unreachable_task(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.move_due(bigint, timestamptz, text) IS
    'Move an open task''s SLA due date, with a reason: only the lead of the run''s owner (or their lead, up the line) or an nps_admin. The reason stays in the trail.';

CREATE OR REPLACE FUNCTION nps.cancel_task(task bigint, reason text) RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET status = 'cancelled', cancel_reason = reason WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._refuse_unreachable_task(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.cancel_task(bigint, text) IS 'Cancel an open task with a reason (by the run''s owner or an nps_admin).';
