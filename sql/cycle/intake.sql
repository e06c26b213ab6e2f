-- pg_nps NPS cycle, intake: invitations, bulk loading through the staging table, and closing
-- intake (the first checkpoint).

-------------------------------------------------------------------------------------------------
-- Invitations
-------------------------------------------------------------------------------------------------
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
            RAISE EXCEPTION USING ERRCODE = 'NP009';  -- a respondent answering for another account
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
COMMENT ON FUNCTION nps.close_intake(text, text) IS
    'Close a cycle''s intake (its first checkpoint): records the evidence (responses, invitations, response rate, window) and completes the step. Refused before the window ends (NP011) or below min_responses (NP003), unless an nps_admin forces it with a reason, which the evidence keeps.';
