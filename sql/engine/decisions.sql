-- pg_nps workflow engine, the decision entry point and what every guard shares. A guard trigger
-- gathers the facts about a change and calls nps._check(rule, facts), whose decisions live in
-- Rust (crates/nps-core/src/engine/, crates/nps-core/src/cycle/); a refusal carries its SQLSTATE,
-- a message naming the object and the value, and a HINT (docs/errors.md).
--
-- Guards run as the extension's owner (SECURITY DEFINER), so the facts they gather are complete
-- whatever the caller may read; who acts comes from nps.current_person(), which SECURITY DEFINER
-- does not change (engine/people.sql). Every trigger function checks the table it fires on.

-------------------------------------------------------------------------------------------------
-- Decisions in Rust
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._check(rule text, facts jsonb) RETURNS void
    LANGUAGE c STRICT STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_check';
COMMENT ON FUNCTION nps._check(text, jsonb) IS
    'Internal: decide a change from the facts a guard gathered (rules: step, task, request, decision, approval, run, immutable and the cycle''s); raises the refusal, returns nothing when allowed. Facts must be complete: a missing or unknown fact is refused.';

CREATE OR REPLACE FUNCTION nps._template_normalize(definition jsonb) RETURNS jsonb
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_template_normalize';
COMMENT ON FUNCTION nps._template_normalize(jsonb) IS
    'Internal: validate a template definition (SQLSTATE NP008 naming the JSON path) and return its normalized form with defaults written out.';

CREATE OR REPLACE FUNCTION nps._add_due(start timestamp, days integer, hours integer, business boolean, holidays date[])
    RETURNS timestamp
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_add_due';
COMMENT ON FUNCTION nps._add_due(timestamp, integer, integer, boolean, date[]) IS
    'Internal: start plus days (calendar, or business days skipping weekends and the given holidays) plus hours, keeping the time of day; 22008 past the end of the timestamp range.';

CREATE OR REPLACE FUNCTION nps.due_at(start timestamptz, days integer DEFAULT 0, hours integer DEFAULT 0,
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
    'SLA due moment: start plus days (business = true skips weekends and nps.holidays, in the session time zone) plus hours. Negative offsets: 22023; past the timestamp range: 22008.';

-------------------------------------------------------------------------------------------------
-- Text: identities normalized once, blank that means blank, one limit per kind of text
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._text(what text, value text, kind text) RETURNS text
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_text';
COMMENT ON FUNCTION nps._text(text, text, text) IS
    'Internal: value checked as a kind of text (identity: normalized, at most 320 characters; name 200; title 500; reason 2000; comment 20000; text 100000), or the refusal naming what, the value and the limit (22001), or the character (22023). docs/errors.md lists the kinds.';

CREATE OR REPLACE FUNCTION nps._text_problem(what text, value text, kind text) RETURNS text[]
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_text_problem';
COMMENT ON FUNCTION nps._text_problem(text, text, text) IS
    'Internal: NULL when value is fine as its kind of text, else {SQLSTATE, message} of the refusal nps._text would raise (set-based checks of bulk intake).';

CREATE OR REPLACE FUNCTION nps._blank(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_blank';
COMMENT ON FUNCTION nps._blank(text) IS
    'Internal: whether value is NULL or holds nothing but white space, control and format characters (a tab, a newline, U+200B): what no reason, note or piece of evidence may be.';

-------------------------------------------------------------------------------------------------
-- Scopes: the extension's own code writing (backend state, not a setting)
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._scope_enter(kind text, key bigint) RETURNS void
    LANGUAGE c STRICT VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_scope_enter';
COMMENT ON FUNCTION nps._scope_enter(text, bigint) IS
    'Internal: open a scope (instantiate a run, freeze a cycle …) for the guards of the rows the extension''s own code writes. Executable by the extension''s owner only; the scope ends with the (sub)transaction that opened it.';

CREATE OR REPLACE FUNCTION nps._scope_leave(kind text, key bigint) RETURNS void
    LANGUAGE c STRICT VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_scope_leave';
COMMENT ON FUNCTION nps._scope_leave(text, bigint) IS 'Internal: close the scope nps._scope_enter opened.';

CREATE OR REPLACE FUNCTION nps._in_scope(kind text, key bigint) RETURNS boolean
    LANGUAGE c STRICT VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_in_scope';
COMMENT ON FUNCTION nps._in_scope(text, bigint) IS 'Internal: whether the extension''s own code has that scope open.';

-------------------------------------------------------------------------------------------------
-- What every guard shares
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._fires_on(relid oid, expected regclass, fn text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF relid IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'trigger function % runs only on %, not on %', fn, expected, relid::regclass
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'pg_nps'' trigger functions guard the extension''s own tables; nothing else may use them.';
    END IF;
END;
$$;
COMMENT ON FUNCTION nps._fires_on(oid, regclass, text) IS
    'Internal: refuse (42809) a trigger function of pg_nps firing on a table it was not written for.';

CREATE OR REPLACE FUNCTION nps._changed(old jsonb, new jsonb, cols text[]) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(c ORDER BY c), '{}') FROM unnest(cols) AS c
            WHERE old -> c IS DISTINCT FROM new -> c);
END;
$$;
COMMENT ON FUNCTION nps._changed(jsonb, jsonb, text[]) IS 'Internal: which of cols differ between two row images.';

CREATE OR REPLACE FUNCTION nps._immutable(what text, old jsonb, new jsonb, cols text[], hint text) RETURNS void
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT nps._check('immutable', jsonb_build_object('what', what, 'changed', nps._changed(old, new, cols),
                                                      'hint', hint));
END;
COMMENT ON FUNCTION nps._immutable(text, jsonb, jsonb, text[], text) IS
    'Internal: refuse (NP009) a change to any of cols.';

CREATE OR REPLACE FUNCTION nps._object(value jsonb, what text, example text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL OR jsonb_typeof(value) <> 'object' THEN
        RAISE EXCEPTION '% % is not a JSON object', what, coalesce(left(value::text, 60), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = format('Pass an object, e.g. ''%s''.', example);
    END IF;
    RETURN value;
END;
$$;
COMMENT ON FUNCTION nps._object(jsonb, text, text) IS 'Internal: value when it is a JSON object, else a 22023 error naming what it is.';

-- Gates are ordered: a step leaving active (done, awaiting approval, skipped) takes its stage
-- lock exclusively; whoever writes what the step's completion counts (a response during intake,
-- a cause during root-cause analysis, a plan item) takes it shared. Under READ COMMITTED the
-- closing transaction then counts every write that got in before it, and every write after it
-- sees the step closed. A writer under REPEATABLE READ or SERIALIZABLE keeps the snapshot it
-- began with, which may predate a close that committed while it waited: it reads the step row
-- FOR SHARE, which refuses (40001, retry) when the step changed after that snapshot.
CREATE OR REPLACE FUNCTION nps._stage_write(step bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1852862321, (step % 2147483647)::integer);
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        BEGIN
            PERFORM 1 FROM nps.steps s WHERE s.id = _stage_write.step FOR SHARE;
        EXCEPTION WHEN serialization_failure THEN
            RAISE EXCEPTION '% changed after this transaction''s snapshot was taken (%)',
                    (SELECT nps._step_label(s) FROM nps.steps s WHERE s.id = _stage_write.step), current_setting('transaction_isolation')
                USING ERRCODE = 'serialization_failure',
                      HINT = 'Retry the transaction: the step may have closed meanwhile, and what it counts must not land after that.';
        END;
    END IF;
END;
$$;
COMMENT ON FUNCTION nps._stage_write(bigint) IS
    'Internal: take the stage lock of a step shared, before writing what its completion counts (see nps._stage_close); under REPEATABLE READ or SERIALIZABLE, refuse with 40001 when the step changed after the transaction''s snapshot.';

CREATE OR REPLACE FUNCTION nps._stage_close(step bigint) RETURNS void
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT pg_advisory_xact_lock(1852862321, (step % 2147483647)::integer);
END;
COMMENT ON FUNCTION nps._stage_close(bigint) IS
    'Internal: take the stage lock of a step exclusively as it leaves active, so that no write of its stage is in flight while its completion counts them.';

-- PL/pgSQL rather than a SQL-standard body: called on every task completion, and PL/pgSQL keeps
-- the query's plan for the session where a SQL function plans it again on every call.
CREATE OR REPLACE FUNCTION nps._open_tasks(step_id bigint) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT count(*)::integer FROM nps.tasks t WHERE t.step_id = _open_tasks.step_id AND t.status = 'open');
END;
$$;
COMMENT ON FUNCTION nps._open_tasks(bigint) IS
    'Internal: open tasks of a step (called by the guards, which see every owner''s tasks).';

CREATE OR REPLACE FUNCTION nps._task_exists(task_id bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM nps.tasks t WHERE t.id = task_id);
END;
COMMENT ON FUNCTION nps._task_exists(bigint) IS 'Internal: whether a task exists, visible or not (to tell "not yours" from "no such task").';

CREATE OR REPLACE FUNCTION nps._step_label(s nps.steps) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN format('step "%s" (#%s) of run #%s', s.name, s.id, s.run_id);
END;
$$;
COMMENT ON FUNCTION nps._step_label(nps.steps) IS 'Internal: how messages name a step.';

CREATE OR REPLACE FUNCTION nps._count_latest(query text, arg bigint) RETURNS bigint
    LANGUAGE c STRICT VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_count_latest';
COMMENT ON FUNCTION nps._count_latest(text, bigint) IS
    'Internal: a count query ($1 = arg) run with the latest snapshot rather than the transaction''s, for a gate closing under REPEATABLE READ to detect work committed while it waited. Executable by the extension''s owner only.';
