-- pg_nps intake: invitations, bulk loading through a staging table, closing intake (the first
-- checkpoint), and the daily rollups trends read. See docs/nps-cycle.md.

-------------------------------------------------------------------------------------------------
-- Invitations
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps.cycle_step(cycle text, key text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    SELECT s.id INTO id FROM nps.steps s WHERE s.run_id = (nps._cycle(cycle_step.cycle)).run_id AND s.key = cycle_step.key;
    IF id IS NULL THEN
        RAISE EXCEPTION 'cycle "%" has no step "%"', cycle_step.cycle, cycle_step.key
            USING ERRCODE = 'undefined_object',
                  HINT = 'The cycle template''s steps are intake, segmentation, root_cause, action_plan, outreach, close.';
    END IF;
    RETURN id;
END;
$$;
COMMENT ON FUNCTION nps.cycle_step(text, text) IS
    'The id of a cycle''s step by its key (intake, segmentation, root_cause, action_plan, outreach, close), for nps.complete_step, nps.request_approval …; 42704 for an unknown cycle or key.';

CREATE FUNCTION nps.add_invitations(cycle text, sent integer) RETURNS nps.cycles
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles := nps._cycle(cycle);
BEGIN
    IF sent IS NULL OR sent < 0 THEN
        RAISE EXCEPTION 'invitations sent must be a count of 0 or more, not %', coalesce(sent::text, 'NULL')
            USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Pass how many invitations this send-out reached.';
    END IF;
    UPDATE nps.cycles x SET invitations = x.invitations + sent WHERE x.id = c.id RETURNING * INTO c;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION nps.add_invitations(text, integer) IS
    'Count survey invitations sent for a cycle (adds to nps.cycles.invitations), for the response rate. Completing the intake step''s "audience" task with an invitations field adds it too.';

-- The intake step's audience task records how many invitations went out.
CREATE FUNCTION nps._audience_counted() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.key = 'audience' AND jsonb_typeof(NEW.fields -> 'invitations') = 'number' THEN
        UPDATE nps.cycles c SET invitations = c.invitations + (NEW.fields ->> 'invitations')::numeric::integer
        WHERE c.run_id = NEW.run_id
          AND EXISTS (SELECT 1 FROM nps.steps s WHERE s.id = NEW.step_id AND s.key = 'intake');
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._audience_counted() IS
    'Trigger: completing a cycle''s intake "audience" task adds its invitations field to the cycle''s invitations.';
CREATE TRIGGER tasks_audience AFTER UPDATE OF status ON nps.tasks
    FOR EACH ROW WHEN (NEW.status = 'done' AND OLD.status = 'open' AND NEW.key = 'audience')
    EXECUTE FUNCTION nps._audience_counted();

-------------------------------------------------------------------------------------------------
-- Bulk intake: COPY raw text rows into the staging table, then nps.ingest_staged
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.response_staging (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cycle        text,
    account      text,
    respondent   text,
    score        text,
    comment      text,
    channel      text,
    responded_at text,
    staged_at    timestamptz NOT NULL DEFAULT now(),
    staged_by    name NOT NULL DEFAULT current_user,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'loaded', 'rejected')),
    sqlstate     text,
    reason       text,
    response_id  bigint REFERENCES nps.responses (id),
    ingested_at  timestamptz,
    CHECK ((status = 'rejected') = (reason IS NOT NULL)),
    CHECK ((status = 'loaded') = (response_id IS NOT NULL))
);
CREATE INDEX ON nps.response_staging (status, cycle) WHERE status = 'pending';
COMMENT ON TABLE nps.response_staging IS
    'Raw survey rows as text, loaded with COPY (cycle, account, respondent, score, comment, channel, responded_at); nps.ingest_staged validates them into nps.responses and leaves bad ones, with their reason, in nps.staging_rejects.';
COMMENT ON COLUMN nps.response_staging.cycle IS 'Cycle name; NULL takes the cycle given to nps.ingest_staged.';
COMMENT ON COLUMN nps.response_staging.account IS 'Account external id, as text.';
COMMENT ON COLUMN nps.response_staging.respondent IS 'Who answered, as text.';
COMMENT ON COLUMN nps.response_staging.score IS 'The score as text; must read as an integer 0..10.';
COMMENT ON COLUMN nps.response_staging.comment IS 'Free-text comment.';
COMMENT ON COLUMN nps.response_staging.channel IS 'Channel as text; NULL or empty means email.';
COMMENT ON COLUMN nps.response_staging.responded_at IS 'When the respondent answered, as text Postgres reads as timestamptz.';
COMMENT ON COLUMN nps.response_staging.status IS 'pending until ingested, then loaded or rejected.';
COMMENT ON COLUMN nps.response_staging.sqlstate IS 'SQLSTATE of the refusal of a rejected row (as nps.record_response would raise it).';
COMMENT ON COLUMN nps.response_staging.reason IS 'Why the row was rejected, naming the value.';
COMMENT ON COLUMN nps.response_staging.response_id IS 'The response a loaded row became (or replaced).';

CREATE VIEW nps.staging_rejects AS
SELECT id, staged_at, staged_by, cycle, account, respondent, score, channel, responded_at,
       sqlstate, reason, ingested_at, comment
FROM nps.response_staging WHERE status = 'rejected';
COMMENT ON VIEW nps.staging_rejects IS 'Staged rows nps.ingest_staged refused, with the SQLSTATE and the reason; fix them and stage them again.';
COMMENT ON COLUMN nps.staging_rejects.id IS 'Staging row id.';
COMMENT ON COLUMN nps.staging_rejects.staged_at IS 'When the row was staged.';
COMMENT ON COLUMN nps.staging_rejects.staged_by IS 'Role that staged it.';
COMMENT ON COLUMN nps.staging_rejects.cycle IS 'Cycle name as staged.';
COMMENT ON COLUMN nps.staging_rejects.account IS 'Account external id as staged.';
COMMENT ON COLUMN nps.staging_rejects.respondent IS 'Respondent as staged.';
COMMENT ON COLUMN nps.staging_rejects.score IS 'Score text as staged.';
COMMENT ON COLUMN nps.staging_rejects.channel IS 'Channel as staged.';
COMMENT ON COLUMN nps.staging_rejects.responded_at IS 'Answer time text as staged.';
COMMENT ON COLUMN nps.staging_rejects.sqlstate IS 'SQLSTATE of the refusal.';
COMMENT ON COLUMN nps.staging_rejects.reason IS 'Why the row was refused.';
COMMENT ON COLUMN nps.staging_rejects.ingested_at IS 'When nps.ingest_staged looked at it.';
COMMENT ON COLUMN nps.staging_rejects.comment IS 'Comment as staged.';

CREATE FUNCTION nps.ingest_staged(cycle text DEFAULT NULL, max_rows integer DEFAULT NULL,
                                  OUT loaded bigint, OUT rejected bigint)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids  bigint[];
    todo bigint[];
    r    nps.response_staging;
    resp nps.responses;
    st   text;
    msg  text;
BEGIN
    IF cycle IS NOT NULL THEN
        PERFORM nps._cycle(cycle);
    END IF;
    IF max_rows < 1 THEN
        RAISE EXCEPTION 'max_rows % is not a batch size', max_rows
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass 1 or more rows per call, or NULL for every pending row.';
    END IF;
    -- The rows this call takes: pending ones of this cycle (or naming none), the oldest first and
    -- at most max_rows, locked so that two concurrent ingests never load one row twice.
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO ids FROM (
        SELECT s.id FROM nps.response_staging s
        WHERE s.status = 'pending'
          AND (ingest_staged.cycle IS NULL OR s.cycle IS NULL OR s.cycle = ingest_staged.cycle)
        ORDER BY s.id LIMIT max_rows FOR UPDATE SKIP LOCKED) x;

    -- Set-based checks first: each names the value, with the SQLSTATE record_response raises.
    UPDATE nps.response_staging s SET status = 'rejected', ingested_at = now(), sqlstate = v.refusal[1], reason = v.refusal[2]
    FROM (
        SELECT s2.id,
               CASE WHEN coalesce(s2.cycle, ingest_staged.cycle) IS NULL THEN ARRAY['22004', 'the row names no cycle']
                    WHEN c.id IS NULL THEN ARRAY['42704', format('cycle "%s" does not exist', s2.cycle)]
                    WHEN a.id IS NULL THEN ARRAY['42704', format('account "%s" does not exist', s2.account)]
                    WHEN nullif(btrim(s2.respondent), '') IS NULL THEN ARRAY['22004', 'the respondent is missing']
                    WHEN nullif(btrim(s2.score), '') IS NULL THEN ARRAY['22004', 'the score is missing']
                    WHEN btrim(s2.score) !~ '^[+-]?[0-9]{1,9}$'
                         THEN ARRAY['22P02', format('score "%s" is not an integer', s2.score)]
                    WHEN btrim(s2.score)::integer NOT BETWEEN 0 AND 10
                         THEN ARRAY['22003', format('NPS score %s is out of range 0..10', btrim(s2.score))]
                    WHEN nullif(btrim(s2.responded_at), '') IS NULL THEN ARRAY['22004', 'the response time is missing']
                    WHEN nps._too_long(btrim(s2.respondent), s2.comment) IS NOT NULL
                         THEN ARRAY['22001', nps._too_long(btrim(s2.respondent), s2.comment)]
                    WHEN coalesce(nullif(btrim(s2.channel), ''), 'email')
                         NOT IN ('email', 'in_app', 'web', 'sms', 'phone', 'meeting', 'other')
                         THEN ARRAY['22023', format('channel "%s" is not known (email, in_app, web, sms, phone, meeting, other)', s2.channel)]
               END AS refusal
        FROM nps.response_staging s2
        LEFT JOIN nps.cycles c ON c.name = coalesce(s2.cycle, ingest_staged.cycle)
        LEFT JOIN nps.accounts a ON a.external_id = btrim(s2.account)
        WHERE s2.id = ANY (ids)
    ) v
    WHERE s.id = v.id AND v.refusal IS NOT NULL;
    SELECT coalesce(array_agg(s.id ORDER BY s.id), '{}') INTO todo
    FROM nps.response_staging s WHERE s.id = ANY (ids) AND s.status = 'pending';

    -- Fast path: every remaining row in one statement. Anything it cannot take in one go (a bad
    -- time, a window, a respondent twice in the batch …) sends the batch row by row instead.
    BEGIN
        WITH ins AS (
            INSERT INTO nps.responses AS x (cycle_id, run_id, account_id, respondent, score, segment, comment, channel, responded_at)
            SELECT c.id, 0, a.id, btrim(s.respondent), btrim(s.score)::smallint, 'passive', s.comment,
                   coalesce(nullif(btrim(s.channel), ''), 'email'), btrim(s.responded_at)::timestamptz
            FROM nps.response_staging s
            JOIN nps.cycles c ON c.name = coalesce(s.cycle, ingest_staged.cycle)
            JOIN nps.accounts a ON a.external_id = btrim(s.account)
            WHERE s.id = ANY (todo)
            ORDER BY s.id
            ON CONFLICT ON CONSTRAINT responses_cycle_id_respondent_key DO UPDATE
               SET score = EXCLUDED.score, comment = EXCLUDED.comment, channel = EXCLUDED.channel,
                   responded_at = EXCLUDED.responded_at
               WHERE x.account_id = EXCLUDED.account_id
            RETURNING x.id, x.cycle_id, x.respondent
        ), done AS (
            UPDATE nps.response_staging s SET status = 'loaded', ingested_at = now(), response_id = ins.id
            FROM ins, nps.cycles c
            WHERE c.id = ins.cycle_id AND s.id = ANY (todo)
              AND c.name = coalesce(s.cycle, ingest_staged.cycle) AND btrim(s.respondent) = ins.respondent
            RETURNING s.id
        )
        SELECT count(*) INTO loaded FROM done;
        IF loaded <> cardinality(todo) THEN
            RAISE EXCEPTION USING ERRCODE = 'P0N09';  -- a respondent answering for another account
        END IF;
    EXCEPTION WHEN OTHERS THEN
        loaded := 0;
        FOR r IN SELECT s.* FROM nps.response_staging s WHERE s.id = ANY (todo) ORDER BY s.id LOOP
            BEGIN
                resp := nps.record_response(coalesce(r.cycle, ingest_staged.cycle), btrim(r.account), btrim(r.respondent),
                                            btrim(r.score)::integer, r.comment, coalesce(nullif(btrim(r.channel), ''), 'email'),
                                            btrim(r.responded_at)::timestamptz);
                UPDATE nps.response_staging s SET status = 'loaded', ingested_at = now(), response_id = resp.id
                WHERE s.id = r.id;
                loaded := loaded + 1;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                UPDATE nps.response_staging s SET status = 'rejected', ingested_at = now(), sqlstate = st, reason = msg
                WHERE s.id = r.id;
            END;
        END LOOP;
    END;
    rejected := cardinality(ids) - loaded;
END;
$$;
COMMENT ON FUNCTION nps.ingest_staged(text, integer) IS
    'Load the pending rows of nps.response_staging (those of cycle, or naming no cycle; all pending rows when cycle is NULL; the oldest max_rows of them when given) into nps.responses with the rules of nps.record_response. Good rows load even when others are bad; each bad row is marked rejected with its SQLSTATE and reason (nps.staging_rejects). Concurrent calls take disjoint rows. Returns how many rows loaded and were rejected.';

-- A big file in short transactions: every response of a cycle joins the cycle's audit chain,
-- whose head a writer holds until it commits, so one long ingest would hold up every other
-- writer of the cycle. No SET clause: a procedure that commits may not have one (every name
-- is qualified; pg_catalog comes first in any search_path).
CREATE PROCEDURE nps.ingest_in_batches(cycle text DEFAULT NULL, batch integer DEFAULT 5000,
                                       INOUT loaded bigint DEFAULT 0, INOUT rejected bigint DEFAULT 0)
    LANGUAGE plpgsql
AS $$
DECLARE
    r record;
BEGIN
    IF batch IS NULL OR batch < 1 THEN
        RAISE EXCEPTION 'batch % is not a batch size', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass 1 or more rows per transaction, e.g. 5000.';
    END IF;
    loaded := 0;
    rejected := 0;
    LOOP
        SELECT * INTO r FROM nps.ingest_staged(ingest_in_batches.cycle, batch);
        loaded := loaded + r.loaded;
        rejected := rejected + r.rejected;
        COMMIT;
        EXIT WHEN r.loaded + r.rejected < batch;
    END LOOP;
END;
$$;
COMMENT ON PROCEDURE nps.ingest_in_batches(text, integer, bigint, bigint) IS
    'CALL nps.ingest_in_batches(cycle, batch): nps.ingest_staged in transactions of at most batch rows, committing after each, until no pending row is left; returns the rows loaded and rejected. Other writers of the cycle wait at most one batch. Call it outside a transaction block (2D000 otherwise).';

-------------------------------------------------------------------------------------------------
-- Closing intake: the first checkpoint
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps.close_intake(cycle text, force_reason text DEFAULT NULL) RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    step nps.steps;
BEGIN
    IF force_reason IS NOT NULL THEN
        IF btrim(force_reason) = '' THEN
            RAISE EXCEPTION 'forcing the intake of cycle "%" closed needs a reason', cycle
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Say why the cycle cannot wait for its window or its responses.';
        END IF;
        IF NOT nps._is_admin() THEN
            RAISE EXCEPTION 'only an nps_admin may force the intake of cycle "%" closed', cycle
                USING ERRCODE = 'insufficient_privilege', HINT = 'Ask an nps_admin, or wait for the window and the responses.';
        END IF;
        PERFORM set_config('nps.force_reason', force_reason, true);
    END IF;
    step := nps.complete_step(nps.cycle_step(cycle, 'intake'));
    PERFORM set_config('nps.force_reason', '', true);
    RETURN step;
END;
$$;
COMMENT ON FUNCTION nps.close_intake(text, text) IS
    'Close a cycle''s intake (its first checkpoint): records the evidence (responses, invitations, response rate, window) and completes the step. Refused before the window ends (P0N11) or below min_responses (P0N03), unless an nps_admin forces it with a reason, which the evidence keeps.';

-------------------------------------------------------------------------------------------------
-- Daily rollups: stored histograms per cycle and day, maintained with every change
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.response_rollups (
    cycle_id bigint NOT NULL REFERENCES nps.cycles (id),
    day      date NOT NULL,
    shard    smallint NOT NULL,
    counts   bigint[] NOT NULL CHECK (cardinality(counts) = 11),
    PRIMARY KEY (cycle_id, day, shard)
);
COMMENT ON TABLE nps.response_rollups IS
    'Responses per score (0..10) per cycle and UTC day, kept up to date by statement triggers on nps.responses; several shards per day let concurrent writers update different rows. nps.trend_monthly reads these instead of the responses.';
COMMENT ON COLUMN nps.response_rollups.day IS 'Day of responded_at, in UTC.';
COMMENT ON COLUMN nps.response_rollups.shard IS 'Writer shard (backend pid mod 8); sum over shards.';
COMMENT ON COLUMN nps.response_rollups.counts IS 'Responses per score: element 1 is score 0, element 11 is score 10.';

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

SELECT pg_catalog.pg_extension_config_dump('nps.response_staging', '');
SELECT pg_catalog.pg_extension_config_dump('nps.response_staging_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.response_rollups', '');
