-- pg_nps workflow engine, hooks: how a module plugs into the engine. A module registers
-- handlers per template and step key at declared points (nps.hook_point); the engine's guards
-- call them in position order, so no behaviour depends on the order of trigger names. The NPS
-- cycle is such a module (cycle/hooks.sql lists its handlers).

CREATE OR REPLACE FUNCTION nps._hooks_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d   jsonb;
    fn  regprocedure;
    ext oid := (SELECT e.oid FROM pg_extension e WHERE e.extname = 'pg_nps');
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.hooks', 'nps._hooks_guard()');
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    fn := to_regprocedure(NEW.handler);
    IF fn IS NULL THEN
        RAISE EXCEPTION 'hook handler "%" is not a function', left(NEW.handler, 200)
            USING ERRCODE = 'undefined_function', HINT = 'Name it with its argument type, e.g. nps._intake_completing(nps.steps).';
    END IF;
    NEW.handler := fn::text;
    -- A handler runs inside the engine's guards, as the extension's owner: only the extension's
    -- own functions of the hook signature may be one.
    IF NOT EXISTS (SELECT 1 FROM pg_depend dp
                   WHERE dp.classid = 'pg_proc'::regclass AND dp.objid = fn
                     AND dp.refclassid = 'pg_extension'::regclass AND dp.refobjid = ext AND dp.deptype = 'e') THEN
        RAISE EXCEPTION 'hook handler % is not a function of pg_nps', NEW.handler
            USING ERRCODE = 'insufficient_privilege', HINT = 'Hooks run with the extension''s rights: only its own functions are handlers.';
    END IF;
    IF (SELECT p.prorettype <> 'jsonb'::regtype
               OR p.pronargs <> 1
               OR p.proargtypes[0] <> (CASE WHEN NEW.point = 'task_completed' THEN 'nps.tasks' ELSE 'nps.steps' END)::regtype
        FROM pg_proc p WHERE p.oid = fn) THEN
        RAISE EXCEPTION 'hook handler % is not a function (%) returning jsonb', NEW.handler,
                CASE WHEN NEW.point = 'task_completed' THEN 'task nps.tasks' ELSE 'step nps.steps' END
            USING ERRCODE = 'invalid_function_definition', HINT = 'Handlers take the step (or the task) and return the evidence to record (or NULL).';
    END IF;
    -- Every stored version of the template must already hold what the hook needs.
    FOR d IN SELECT t.definition FROM nps.templates t WHERE t.name = NEW.template LOOP
        PERFORM nps._hook_holds(d, NEW.step_key, NEW.needs, NEW.module);
    END LOOP;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._hooks_guard() IS
    'Trigger: a hook''s handler is a function of the extension taking (nps.steps), or (nps.tasks) at task_completed, and returning jsonb; every version of its template has the step it needs.';
CREATE OR REPLACE TRIGGER hooks_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.hooks
    FOR EACH ROW EXECUTE FUNCTION nps._hooks_guard();

-- Called by the engine's guards (which run as the extension's owner). Each handler's result,
-- a JSON object or NULL, is merged into the evidence returned.
CREATE OR REPLACE FUNCTION nps._run_hooks(step nps.steps, point nps.hook_point) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h   text;
    got jsonb;
    out jsonb := '{}';
BEGIN
    FOR h IN SELECT k.handler FROM nps.hooks k
             WHERE k.template = (SELECT t.name FROM nps.runs r JOIN nps.templates t ON t.id = r.template_id
                                 WHERE r.id = step.run_id)
               AND k.step_key = step.key AND k.point = _run_hooks.point
             ORDER BY k.position LOOP
        EXECUTE format('SELECT %s($1)', h::regprocedure::regproc) INTO got USING step;
        IF got IS NOT NULL THEN
            out := out || got;
        END IF;
    END LOOP;
    RETURN out;
END;
$$;
COMMENT ON FUNCTION nps._run_hooks(nps.steps, nps.hook_point) IS
    'Internal: call the hooks registered for a step''s template and key at a point, in position order; returns their evidence merged.';

CREATE OR REPLACE FUNCTION nps._run_task_hooks(task nps.tasks) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h text;
BEGIN
    FOR h IN SELECT k.handler FROM nps.hooks k
             WHERE k.template = (SELECT t.name FROM nps.runs r JOIN nps.templates t ON t.id = r.template_id
                                 WHERE r.id = task.run_id)
               AND k.step_key = (SELECT s.key FROM nps.steps s WHERE s.id = task.step_id)
               AND k.point = 'task_completed'
             ORDER BY k.position LOOP
        EXECUTE format('SELECT %s($1)', h::regprocedure::regproc) USING task;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION nps._run_task_hooks(nps.tasks) IS
    'Internal: call the task_completed hooks registered for a done task''s template and step key, in position order.';
