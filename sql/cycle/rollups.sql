-- pg_nps NPS cycle, daily rollups: stored histograms per cycle and day, maintained with every
-- change of the responses; trends read them.

-------------------------------------------------------------------------------------------------
-- Daily rollups: stored histograms per cycle and day, maintained with every change
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._counts_add(a bigint[], b bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY(SELECT x + y FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) ORDER BY i);
COMMENT ON FUNCTION nps._counts_add(bigint[], bigint[]) IS 'Internal: element-wise sum of two score histograms.';

CREATE FUNCTION nps.counts_summary(counts bigint[]) RETURNS nps_summary
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN format('{"counts":[%s]}', array_to_string(counts, ','))::@extschema@.nps_summary;
COMMENT ON FUNCTION nps.counts_summary(bigint[]) IS
    'An nps_summary from 11 counts (scores 0..10), e.g. a rollup''s; 22P02 for anything but 11 counts of 0 or more.';

CREATE FUNCTION nps._rollup_responses() RETURNS trigger
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
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._rollup_responses() IS
    'Statement trigger: adds the scores a statement inserted, changed or deleted to nps.response_rollups (one upsert per cycle and day).';
CREATE TRIGGER responses_rollup_insert AFTER INSERT ON nps.responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._rollup_responses();
CREATE TRIGGER responses_rollup_update AFTER UPDATE ON nps.responses
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._rollup_responses();
CREATE TRIGGER responses_rollup_delete AFTER DELETE ON nps.responses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._rollup_responses();

CREATE FUNCTION nps.rebuild_rollups(cycle text DEFAULT NULL) RETURNS bigint
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
    DELETE FROM nps.response_rollups r WHERE c_id IS NULL OR r.cycle_id = c_id;
    INSERT INTO nps.response_rollups (cycle_id, day, shard, counts)
    SELECT x.cycle_id, (x.responded_at AT TIME ZONE 'UTC')::date, 0, @extschema@.nps_histogram(@extschema@.nps_agg(x.score))
    FROM nps.responses x
    WHERE c_id IS NULL OR x.cycle_id = c_id
    GROUP BY 1, 2;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION nps.rebuild_rollups(text) IS
    'Recomputes nps.response_rollups from nps.responses, for one cycle or (NULL) all; returns the rollup rows written. For responses loaded with triggers off (session_replication_role = replica), e.g. history migrated from another tool. Only nps_admin may call it.';
