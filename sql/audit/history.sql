-- pg_nps audit trail, reading: a run's timeline.

-------------------------------------------------------------------------------------------------
-- Reading: a run's timeline
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._audit_object(table_name text, pk jsonb, label text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT regexp_replace(replace(split_part(table_name, '.', 2), '_', ' '), 's$', '')
           || CASE WHEN pk ? 'id' THEN ' #' || (pk ->> 'id')
                   ELSE coalesce((SELECT ' of ' || string_agg(replace(regexp_replace(k.key, '_id$', ''), '_', ' ')
                                                              || ' #' || (k.value #>> '{}'), ', ' ORDER BY k.key)
                                  FROM jsonb_each(pk) k), '')
              END
           || coalesce(' "' || label || '"', '');
END;
COMMENT ON FUNCTION nps._audit_object(text, jsonb, text) IS 'Internal: how run_history names a row, e.g. task #12 "First contact", or cycle report of cycle #2 for a row keyed by another table''s id.';

CREATE OR REPLACE FUNCTION nps._audit_changes(old jsonb, new jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT string_agg(format('%s: %s → %s', n.key,
                             coalesce(old -> n.key #>> '{}', '∅'), coalesce(n.value #>> '{}', '∅')),
                      '; ' ORDER BY n.key)
    FROM jsonb_each(new) AS n;
END;
COMMENT ON FUNCTION nps._audit_changes(jsonb, jsonb) IS 'Internal: an UPDATE''s changed columns as "column: old → new; …".';

CREATE OR REPLACE FUNCTION nps.run_history(run bigint, include_children boolean DEFAULT false)
    RETURNS TABLE (run_id bigint, pos bigint, at timestamptz, who text, action text, object text,
                   changes text, reason text, entry_id bigint)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = run) THEN
        RAISE EXCEPTION 'run % does not exist', run
            USING ERRCODE = 'undefined_object', HINT = 'SELECT id, title FROM nps.runs lists the runs.';
    END IF;
    RETURN QUERY
    WITH RECURSIVE runs AS (
        SELECT run AS id
        UNION
        SELECT r.id FROM nps.runs r JOIN runs p ON r.parent_run_id = p.id WHERE include_children
    ),
    e AS (
        SELECT l.* FROM runs JOIN nps.audit_log l ON l.chain = 'run:' || runs.id
    ),
    labels AS (
        SELECT e.table_name, e.pk, coalesce(e.new ->> 'title', e.new ->> 'name', e.new ->> 'key') AS label
        FROM e WHERE e.op = 'INSERT'
    )
    SELECT e.run_id, e.pos, e.at,
           coalesce(e.actor, e.current_user_name::text)
             || CASE WHEN e.session_user_name::text <> coalesce(e.actor, e.current_user_name::text)
                     THEN ' via ' || e.session_user_name ELSE '' END,
           CASE e.op WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END,
           nps._audit_object(e.table_name, e.pk, lb.label),
           CASE WHEN e.op = 'UPDATE' THEN nps._audit_changes(e.old, e.new) END,
           e.reason, e.id
    FROM e LEFT JOIN labels lb ON lb.table_name = e.table_name AND lb.pk = e.pk
    ORDER BY e.at, e.run_id, e.pos;
END;
$$;
COMMENT ON FUNCTION nps.run_history(bigint, boolean) IS
    'A run''s timeline from the audit trail: when, who (role, application actor, login), what (created / changed / deleted which row, old → new per column) and why. include_children adds the runs started under it (e.g. a cycle''s detractor projects).';
