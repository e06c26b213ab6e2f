-- pg_nps workflow engine, the decision entry point and its helpers. A guard trigger gathers the
-- facts about a change and calls nps._check(rule, facts), whose decisions live in Rust
-- (crates/nps-core/src/workflow.rs); a refusal carries its SQLSTATE, a message naming the object
-- and state, and a HINT (docs/errors.md).

-------------------------------------------------------------------------------------------------
-- Rust decisions and calendar
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._check(rule text, facts jsonb) RETURNS void
    LANGUAGE c STRICT STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_check';
COMMENT ON FUNCTION nps._check(text, jsonb) IS
    'Internal: decide a change (rule step, task, request, decision, approval, run or immutable) from the facts a trigger gathered; raises the refusal, returns nothing when allowed.';

CREATE FUNCTION nps._template_normalize(definition jsonb) RETURNS jsonb
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_template_normalize';
COMMENT ON FUNCTION nps._template_normalize(jsonb) IS
    'Internal: validate a template definition (SQLSTATE NP008 naming the JSON path) and return its normalized form with defaults written out.';

CREATE FUNCTION nps._add_due(start timestamp, days integer, hours integer, business boolean, holidays date[])
    RETURNS timestamp
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_add_due';
COMMENT ON FUNCTION nps._add_due(timestamp, integer, integer, boolean, date[]) IS
    'Internal: start plus days (calendar, or business days skipping weekends and the given holidays) plus hours, keeping the time of day.';

CREATE FUNCTION nps.due_at(start timestamptz, days integer DEFAULT 0, hours integer DEFAULT 0,
                           business boolean DEFAULT false)
    RETURNS timestamptz
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT nps._add_due(start AT TIME ZONE current_setting('TimeZone'), days, hours, business,
                        CASE WHEN business
                             THEN ARRAY(SELECT h.day FROM nps.holidays h
                                        WHERE h.day > (start AT TIME ZONE current_setting('TimeZone'))::date
                                        ORDER BY h.day)
                             ELSE '{}'::date[] END)
           AT TIME ZONE current_setting('TimeZone');
END;
COMMENT ON FUNCTION nps.due_at(timestamptz, integer, integer, boolean) IS
    'SLA due moment: start plus days (business = true skips weekends and nps.holidays, in the session time zone) plus hours.';

-------------------------------------------------------------------------------------------------
-- Small helpers used by triggers, views and policies
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._actor() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT nullif(current_setting('nps.actor', true), '');
END;
COMMENT ON FUNCTION nps._actor() IS 'The application actor of this session (SET nps.actor = ''...''), or NULL.';

CREATE FUNCTION nps._is_admin() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_has_role(current_user, 'nps_admin', 'MEMBER');
END;
COMMENT ON FUNCTION nps._is_admin() IS 'Whether the current role is a member of nps_admin.';

CREATE FUNCTION nps._changed(old jsonb, new jsonb, cols text[]) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(c ORDER BY c), '{}') FROM unnest(cols) AS c
            WHERE old -> c IS DISTINCT FROM new -> c);
END;
$$;
COMMENT ON FUNCTION nps._changed(jsonb, jsonb, text[]) IS 'Internal: which of cols differ between two row images.';

CREATE FUNCTION nps._immutable(what text, old jsonb, new jsonb, cols text[], hint text) RETURNS void
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT nps._check('immutable', jsonb_build_object('what', what, 'changed', nps._changed(old, new, cols),
                                                      'hint', hint));
END;
COMMENT ON FUNCTION nps._immutable(text, jsonb, jsonb, text[], text) IS
    'Internal: refuse (NP009) a change to any of cols.';

-------------------------------------------------------------------------------------------------
-- Facts that must be read past row-level security (counts only)
-------------------------------------------------------------------------------------------------
-- PL/pgSQL rather than a SQL-standard body: called on every task completion, and PL/pgSQL keeps
-- the query's plan for the session where a SQL function plans it again on every call.
CREATE FUNCTION nps._open_tasks(step_id bigint) RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT count(*)::integer FROM nps.tasks t WHERE t.step_id = _open_tasks.step_id AND t.status = 'open');
END;
$$;
COMMENT ON FUNCTION nps._open_tasks(bigint) IS
    'Internal: open tasks of a step, counted past row-level security (a CSM''s completion must see every owner''s tasks).';

CREATE FUNCTION nps._task_exists(task_id bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM nps.tasks t WHERE t.id = task_id);
END;
COMMENT ON FUNCTION nps._task_exists(bigint) IS 'Internal: whether a task exists, visible or not (to tell "not yours" from "no such task").';

CREATE FUNCTION nps._may_manage(run_owner regrole) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_has_role(current_user, run_owner, 'MEMBER') OR nps._is_admin();
END;
COMMENT ON FUNCTION nps._may_manage(regrole) IS 'Whether the current role owns a run (is a member of its owner) or is an nps_admin.';

CREATE FUNCTION nps._role(name text, what text) RETURNS regrole
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r regrole := to_regrole(quote_ident(name));
BEGIN
    IF r IS NULL THEN
        RAISE EXCEPTION 'role "%" (%) does not exist', name, what
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create the role (task owners are real login roles), or name an existing one.';
    END IF;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION nps._role(text, text) IS 'Internal: the role of that exact name, or a 42704 error saying what needed it.';

-------------------------------------------------------------------------------------------------
-- Procedures
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._object(value jsonb, what text, example text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL OR jsonb_typeof(value) <> 'object' THEN
        RAISE EXCEPTION '% % is not a JSON object', what, coalesce(value::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = format('Pass an object, e.g. ''%s''.', example);
    END IF;
    RETURN value;
END;
$$;
COMMENT ON FUNCTION nps._object(jsonb, text, text) IS 'Internal: value when it is a JSON object, else a 22023 error naming what it is.';

CREATE FUNCTION nps.start_run(template text, owner name DEFAULT current_user, subject jsonb DEFAULT '{}',
                              title text DEFAULT NULL, parent_run bigint DEFAULT NULL,
                              template_version integer DEFAULT NULL)
    RETURNS nps.runs
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tpl nps.templates;
    r   nps.runs;
BEGIN
    SELECT * INTO tpl FROM nps.templates t
    WHERE t.name = start_run.template AND (template_version IS NULL OR t.version = template_version)
    ORDER BY t.version DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'template "%"% does not exist', template, coalesce(' version ' || template_version, '')
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name, version FROM nps.templates lists them.';
    END IF;
    PERFORM nps._object(subject, 'subject', '{"type": "account", "id": "42", "csm": "alice"}');
    IF parent_run IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nps.runs p WHERE p.id = parent_run) THEN
        RAISE EXCEPTION 'parent run % does not exist', parent_run
            USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs.';
    END IF;
    INSERT INTO nps.runs (template_id, parent_run_id, title, subject, owner)
    VALUES (tpl.id, parent_run, coalesce(title, tpl.name), subject, nps._role(owner, 'owner of the run'))
    RETURNING * INTO r;
    RETURN r;
END;
$$;

CREATE FUNCTION nps.complete_task(task bigint, fields jsonb DEFAULT '{}', note text DEFAULT NULL)
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
        PERFORM nps._task_for_update(task);
    END IF;
    RETURN t;
END;
$$;

CREATE FUNCTION nps.save_task(task bigint, fields jsonb DEFAULT '{}', note text DEFAULT NULL)
    RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET fields = x.fields || nps._object(save_task.fields, 'fields', '{"outcome": "resolved"}'), note = coalesce(save_task.note, x.note)
     WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._task_for_update(task);
    END IF;
    RETURN t;
END;
$$;

CREATE FUNCTION nps.complete_step(step bigint, evidence jsonb DEFAULT '{}') RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nps.steps;
BEGIN
    UPDATE nps.steps x SET status = 'done', evidence = x.evidence || nps._object(complete_step.evidence, 'evidence', '{"responses": 412}')
     WHERE x.id = step RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM nps._step_missing(step);
    END IF;
    RETURN s;
END;
$$;

CREATE FUNCTION nps.record_evidence(step bigint, evidence jsonb) RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nps.steps;
BEGIN
    UPDATE nps.steps x SET evidence = x.evidence || nps._object(record_evidence.evidence, 'evidence', '{"responses": 412}') WHERE x.id = step RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM nps._step_missing(step);
    END IF;
    RETURN s;
END;
$$;
