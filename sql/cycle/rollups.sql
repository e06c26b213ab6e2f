-- pg_nps NPS cycle, daily rollups: stored histograms per cycle and day, maintained with every
-- change of the responses; trends read them.

CREATE OR REPLACE FUNCTION nps._counts_add(a bigint[], b bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY(SELECT x + y FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) ORDER BY i);
COMMENT ON FUNCTION nps._counts_add(bigint[], bigint[]) IS 'Internal: element-wise sum of two score histograms.';

CREATE OR REPLACE FUNCTION nps.counts_summary(counts bigint[]) RETURNS nps_summary
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN format('{"counts":[%s]}', array_to_string(counts, ','))::@extschema@.nps_summary;
COMMENT ON FUNCTION nps.counts_summary(bigint[]) IS
    'An nps_summary from 11 counts (scores 0..10), e.g. a rollup''s; 22P02 for anything but 11 counts of 0 or more.';

CREATE OR REPLACE FUNCTION nps._rollup_responses() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    delta text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT cycle_id, responded_at, score, 1 AS n FROM new_rows'
        WHEN 'UPDATE' THEN 'SELECT cycle_id, responded_at, score, 1 AS n FROM new_rows
                            UNION ALL SELECT cycle_id, responded_at, score, -1 FROM old_rows'
        ELSE 'SELECT cycle_id, responded_at, score, -1 AS n FROM old_rows' END;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.responses', 'nps._rollup_responses()');
    PERFORM nps._scope_enter('rollup', 0);
    -- One upsert per cycle and day the statement touched; days whose counts net to zero are left alone.
    EXECUTE format($q$
        WITH x AS (SELECT cycle_id, (responded_at AT TIME ZONE 'UTC')::date AS day, score, n FROM (%s) d)
        INSERT INTO nps.response_rollups AS r (cycle_id, day, shard, counts)
        SELECT cycle_id, day, $1, array_agg(n ORDER BY score)
        FROM (SELECT k.cycle_id, k.day, s.score, coalesce(sum(x.n), 0) AS n
              FROM x
              RIGHT JOIN ((SELECT DISTINCT cycle_id, day FROM x) k CROSS JOIN generate_series(0, 10) AS s(score))
                  ON x.cycle_id = k.cycle_id AND x.day = k.day AND x.score = s.score
              GROUP BY k.cycle_id, k.day, s.score) per_score
        GROUP BY cycle_id, day
        HAVING bool_or(n <> 0)
        ORDER BY cycle_id, day
        ON CONFLICT (cycle_id, day, shard) DO UPDATE SET counts = nps._counts_add(r.counts, EXCLUDED.counts)$q$,
        delta) USING (pg_backend_pid() % 8)::smallint;
    PERFORM nps._scope_leave('rollup', 0);
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._rollup_responses() IS
    'Statement trigger: adds the scores a statement inserted, changed or deleted to nps.response_rollups (one upsert per cycle and day).';
CREATE OR REPLACE TRIGGER responses_rollup_insert AFTER INSERT ON nps.responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._rollup_responses();
CREATE OR REPLACE TRIGGER responses_rollup_update AFTER UPDATE ON nps.responses
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._rollup_responses();
CREATE OR REPLACE TRIGGER responses_rollup_delete AFTER DELETE ON nps.responses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._rollup_responses();

CREATE OR REPLACE FUNCTION nps.rebuild_rollups(cycle text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_id bigint;
    n    bigint;
BEGIN
    IF rebuild_rollups.cycle IS NOT NULL THEN
        c_id := (nps._cycle(rebuild_rollups.cycle)).id;
    END IF;
    -- Writers of responses wait for the rebuild to commit: no change is lost or counted twice.
    -- SHARE ROW EXCLUSIVE: blocks writers, and a second rebuild, which would insert the same rows.
    LOCK TABLE nps.responses IN SHARE ROW EXCLUSIVE MODE;
    PERFORM nps._scope_enter('rollup', 0);
    DELETE FROM nps.response_rollups r WHERE c_id IS NULL OR r.cycle_id = c_id;
    INSERT INTO nps.response_rollups (cycle_id, day, shard, counts)
    SELECT x.cycle_id, (x.responded_at AT TIME ZONE 'UTC')::date, 0, @extschema@.nps_histogram(@extschema@.nps_agg(x.score))
    FROM nps.responses x
    WHERE c_id IS NULL OR x.cycle_id = c_id
    GROUP BY 1, 2;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM nps._scope_leave('rollup', 0);
    RETURN n;
END;
$$;
COMMENT ON FUNCTION nps.rebuild_rollups(text) IS
    'Recomputes nps.response_rollups from nps.responses, for one cycle or (NULL) all; returns the rollup rows written. For responses loaded with triggers off (session_replication_role = replica), e.g. history migrated from another tool. Only nps_admin may call it.';

-- Rollups are derived data: only the statement triggers above and nps.rebuild_rollups write them.
CREATE OR REPLACE FUNCTION nps._rollups_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.response_rollups', 'nps._rollups_guard()');
    IF NOT nps._in_scope('rollup', 0) AND current_setting('session_replication_role') <> 'replica' THEN
        RAISE EXCEPTION 'the rollups are derived from the responses: % on nps.response_rollups is refused', TG_OP
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'They follow every change of nps.responses; an nps_admin recomputes them with nps.rebuild_rollups().';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
COMMENT ON FUNCTION nps._rollups_guard() IS
    'Trigger (for everyone): refuses any write of nps.response_rollups but the rollup triggers'' and nps.rebuild_rollups''s (and a restore''s, in replica mode).';
CREATE OR REPLACE TRIGGER rollups_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.response_rollups
    FOR EACH ROW EXECUTE FUNCTION nps._rollups_guard();
ALTER TABLE nps.response_rollups ENABLE ALWAYS TRIGGER rollups_guard;

-- What nps.verify_audit() recomputes besides the chains: the daily rollups, from the responses.
-- The rollups are derived data and not audited; a forged rollup shows there.
CREATE OR REPLACE FUNCTION nps._rollup_mismatches()
    RETURNS TABLE (groups bigint, mismatches bigint, first text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH r AS (SELECT x.cycle_id, (x.responded_at AT TIME ZONE 'UTC')::date AS day, x.score, count(*) AS n
               FROM nps.responses x GROUP BY 1, 2, 3),
         u AS (SELECT y.cycle_id, y.day, (a.i - 1)::smallint AS score, sum(a.x) AS n
               FROM nps.response_rollups y, unnest(y.counts) WITH ORDINALITY AS a(x, i) GROUP BY 1, 2, 3),
         d AS (SELECT coalesce(r.cycle_id, u.cycle_id) AS cycle_id, coalesce(r.day, u.day) AS day,
                      coalesce(r.score, u.score) AS score, coalesce(r.n, 0) AS responses, coalesce(u.n, 0) AS rolled
               FROM r FULL JOIN u ON u.cycle_id = r.cycle_id AND u.day = r.day AND u.score = r.score)
    SELECT (SELECT count(DISTINCT (cycle_id, day)) FROM d),
           count(*) FILTER (WHERE responses <> rolled),
           (SELECT format('cycle %s, day %s, score %s: the rollups count %s, the responses %s',
                          m.cycle_id, to_char(m.day, 'YYYY-MM-DD'), m.score, m.rolled, m.responses)
            FROM d m WHERE m.responses <> m.rolled ORDER BY m.cycle_id, m.day, m.score LIMIT 1)
    FROM d;
END;
COMMENT ON FUNCTION nps._rollup_mismatches() IS
    'Internal: the daily rollups recomputed from the responses: (cycle, day) groups, mismatching (cycle, day, score) counts, and the first mismatch.';

