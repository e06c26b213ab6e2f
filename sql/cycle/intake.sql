-- pg_nps NPS cycle, intake: invitations, bulk loading through the staging table, and closing
-- intake (the first checkpoint; the decision is nps_core::cycle::intake). The intake hooks are
-- registered in cycle/hooks.sql.

-------------------------------------------------------------------------------------------------
-- Invitations
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps.add_invitations(cycle text, sent integer) RETURNS nps.cycles
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles := nps._cycle(cycle);
BEGIN
    IF sent IS NULL OR sent < 0 THEN
        RAISE EXCEPTION 'invitations sent must be a count of 0 or more, not %', coalesce(sent::text, 'NULL')
            USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Pass how many invitations this send-out reached.';
    END IF;
    IF c.invitations::bigint + sent > 2147483647 THEN
        RAISE EXCEPTION 'cycle "%" would count % invitations; at most 2147483647', c.name, c.invitations::bigint + sent
            USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Count each send-out once, as the number of people it reached.';
    END IF;
    UPDATE nps.cycles x SET invitations = x.invitations + sent WHERE x.id = c.id RETURNING * INTO c;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION nps.add_invitations(text, integer) IS
    'Count survey invitations sent for a cycle (its owner or an nps_admin, while intake is open): adds to nps.cycles.invitations, for the response rate. Completing the intake step''s "audience" task with an invitations field adds it too.';

-- Hook (task_completed, intake): the audience task records how many invitations went out.
CREATE OR REPLACE FUNCTION nps._audience_completed(task nps.tasks) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n numeric := CASE WHEN jsonb_typeof(task.fields -> 'invitations') = 'number' THEN (task.fields ->> 'invitations')::numeric END;
    c nps.cycles;
BEGIN
    IF task.key <> 'audience' OR n IS NULL THEN
        RETURN NULL;
    END IF;
    IF n < 0 OR n <> trunc(n) OR n > 2147483647 THEN
        RAISE EXCEPTION 'invitations % of task "%" (#%) is not a count of 0 or more', n, task.title, task.id
            USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Record how many invitations this send-out reached, a whole number.';
    END IF;
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = task.run_id;
    IF FOUND THEN
        PERFORM nps._scope_enter('invitations', c.id);
        UPDATE nps.cycles x SET invitations = x.invitations + n::integer WHERE x.id = c.id;
        PERFORM nps._scope_leave('invitations', c.id);
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._audience_completed(nps.tasks) IS
    'Hook (task_completed, intake): completing a cycle''s "audience" task adds its invitations field (a whole number of 0 or more, else 22003) to the cycle''s invitations.';

-------------------------------------------------------------------------------------------------
-- Bulk intake: COPY raw text rows into the staging table, then nps.ingest_staged
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._staging_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.response_staging', 'nps._staging_guard()');
    IF TG_OP = 'INSERT' THEN
        NEW.staged_at := now();
        NEW.staged_by := nps.current_actor();
        NEW.status := 'pending';
        NEW.sqlstate := NULL;
        NEW.reason := NULL;
        NEW.response_id := NULL;
        NEW.ingested_at := NULL;
        NEW.ingested_by := NULL;
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NOT nps._in_scope('ingest', 0) THEN
            RAISE EXCEPTION 'staged row #% never changes', OLD.id
                USING ERRCODE = 'NP009', HINT = 'Delete a pending row you staged and stage it again; nps.ingest_staged marks rows as it loads them.';
        END IF;
        -- Compared natively first (this runs for every row an ingest marks); the generic check
        -- only names the column when something did change.
        IF (NEW.id, NEW.cycle, NEW.account, NEW.respondent, NEW.score, NEW.comment, NEW.channel, NEW.responded_at,
            NEW.staged_at, NEW.staged_by)
           IS DISTINCT FROM (OLD.id, OLD.cycle, OLD.account, OLD.respondent, OLD.score, OLD.comment, OLD.channel,
                             OLD.responded_at, OLD.staged_at, OLD.staged_by) THEN
            PERFORM nps._immutable(format('staged row #%s', OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                                   '{id,cycle,account,respondent,score,comment,channel,responded_at,staged_at,staged_by}',
                                   'A staged row keeps what was staged.');
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status <> 'pending' THEN
        RAISE EXCEPTION 'staged row #% is %; it stays as the record of what was loaded', OLD.id, OLD.status
            USING ERRCODE = 'NP009', HINT = 'Only pending rows are deleted.';
    END IF;
    IF OLD.staged_by IS DISTINCT FROM nps.current_actor() AND NOT nps._actor_has_role('nps_admin') THEN
        RAISE EXCEPTION 'staged row #% was staged by %, not by %', OLD.id, OLD.staged_by, nps.current_actor()
            USING ERRCODE = 'insufficient_privilege', HINT = 'Whoever staged a row (or an nps_admin) deletes it.';
    END IF;
    RETURN OLD;
END;
$$;
COMMENT ON FUNCTION nps._staging_guard() IS
    'Trigger: a staged row records who staged it and starts pending; it never changes but as nps.ingest_staged marks it; only a pending row is deleted, by whoever staged it or an nps_admin.';
CREATE OR REPLACE TRIGGER staging_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.response_staging
    FOR EACH ROW EXECUTE FUNCTION nps._staging_guard();

-- COPY cannot load a table with row-level security, so the staging table has none: stagers
-- INSERT (and COPY) into it without reading it, and read their own rows through this view.
CREATE OR REPLACE VIEW nps.staging_rejects WITH (security_barrier = true) AS
SELECT s.id, s.staged_at, s.staged_by, s.cycle, s.account, s.respondent, s.score, s.channel, s.responded_at,
       s.sqlstate, s.reason, s.ingested_at, s.comment
FROM nps.response_staging s
WHERE s.status = 'rejected'
  AND (s.staged_by = nps._actor_or_null() OR nps._sees_personal_data()
       OR EXISTS (SELECT 1 FROM nps.cycles c WHERE c.name = s.cycle AND nps._manages_run(c.run_id)));
COMMENT ON VIEW nps.staging_rejects IS 'Staged rows nps.ingest_staged refused, with the SQLSTATE and the reason: those the caller staged, those of the cycles they manage, and every one for nps_admin, nps_auditor and nps_pii; fix them and stage them again.';
COMMENT ON COLUMN nps.staging_rejects.id IS 'Staging row id.';
COMMENT ON COLUMN nps.staging_rejects.staged_at IS 'When the row was staged.';
COMMENT ON COLUMN nps.staging_rejects.staged_by IS 'Who staged it.';
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

CREATE OR REPLACE FUNCTION nps.ingest_staged(cycle text DEFAULT NULL, max_rows integer DEFAULT NULL,
                                             OUT loaded bigint, OUT rejected bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    actor text := nps.current_actor();
    me    text := nps._person_or_null();
    wide  boolean := nps._actor_has_role('nps_admin') OR nps._actor_has_role('nps_intake');
    ids    bigint[];
    todo   bigint[];
    locked bigint[];
    r     nps.response_staging;
    resp  nps.responses;
    st    text;
    msg   text;
BEGIN
    IF cycle IS NOT NULL THEN
        PERFORM nps._cycle(cycle);
    END IF;
    IF max_rows < 1 THEN
        RAISE EXCEPTION 'max_rows % is not a batch size', max_rows
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass 1 or more rows per call, or NULL for every pending row.';
    END IF;
    -- The rows this call takes: pending ones of this cycle (or naming none), the oldest first and
    -- at most max_rows, locked so that two concurrent ingests never load one row twice. Whoever
    -- ingests takes the rows they staged (intake and nps_admin: every row; a cycle's owner: the
    -- rows that name their cycle, never rows someone else staged without naming one).
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO ids FROM (
        SELECT s.id FROM nps.response_staging s
        WHERE s.status = 'pending'
          AND (ingest_staged.cycle IS NULL OR s.cycle IS NULL OR s.cycle = ingest_staged.cycle)
          AND (wide OR s.staged_by = actor
               OR EXISTS (SELECT 1 FROM nps.cycles c JOIN nps.runs cr ON cr.id = c.run_id
                          WHERE c.name = s.cycle AND cr.owner = me))
        ORDER BY s.id LIMIT max_rows FOR UPDATE SKIP LOCKED) x;

    PERFORM nps._scope_enter('ingest', 0);
    -- Gates are ordered: the intake of every cycle the rows name is held open (the stage lock, in
    -- share mode, in id order) until this transaction ends; a close waits for it.
    SELECT coalesce(array_agg(l.cycle_id), '{}') INTO locked FROM (
        SELECT c.id AS cycle_id, nps._stage_write(st.id)
        FROM nps.steps st JOIN nps.cycles c ON c.run_id = st.run_id
        WHERE st.key = 'intake'
          AND c.name IN (SELECT DISTINCT coalesce(x.cycle, ingest_staged.cycle) FROM nps.response_staging x WHERE x.id = ANY (ids))
        ORDER BY st.id) l;
    -- Set-based checks first: each names the value, with the SQLSTATE record_response raises.
    -- The cycles' facts are read once per cycle, not once per row.
    WITH named AS MATERIALIZED (
        SELECT c.id, c.name, c.run_id, nps._intake_open(c.run_id) AS intake_open
        FROM nps.cycles c
        WHERE c.name IN (SELECT DISTINCT coalesce(x.cycle, ingest_staged.cycle) FROM nps.response_staging x WHERE x.id = ANY (ids))
    )
    UPDATE nps.response_staging s SET status = 'rejected', ingested_at = now(), ingested_by = actor,
                                      sqlstate = v.refusal[1], reason = v.refusal[2]
    FROM (
        SELECT s2.id,
               CASE WHEN coalesce(s2.cycle, ingest_staged.cycle) IS NULL THEN ARRAY['22004', 'the row names no cycle']
                    WHEN c.id IS NULL THEN ARRAY['42704', format('cycle "%s" does not exist', left(s2.cycle, 200))]
                    WHEN a.id IS NULL THEN ARRAY['42704', format('account "%s" does not exist', left(s2.account, 200))]
                    WHEN NOT (wide OR coalesce(a.csm = me OR nps._is_lead_of(me, a.csm), false))
                         THEN ARRAY['42501', format('%s may not record responses of account %s in cycle "%s"', actor, a.external_id, c.name)]
                    WHEN NOT c.intake_open THEN ARRAY['NP011', format('the intake of cycle "%s" is closed', c.name)]
                    WHEN nps._blank(s2.respondent) THEN ARRAY['22004', 'the respondent is missing']
                    WHEN nps._blank(s2.score) THEN ARRAY['22004', 'the score is missing']
                    WHEN btrim(s2.score) !~ '^[+-]?[0-9]{1,9}$'
                         THEN ARRAY['22P02', format('score "%s" is not an integer', left(s2.score, 40))]
                    WHEN btrim(s2.score)::integer NOT BETWEEN 0 AND 10
                         THEN ARRAY['22003', format('NPS score %s is out of range 0..10', btrim(s2.score))]
                    WHEN nps._blank(s2.responded_at) THEN ARRAY['22004', 'the response time is missing']
                    WHEN nps._text_problem('respondent', s2.respondent, 'identity') IS NOT NULL
                         THEN nps._text_problem('respondent', s2.respondent, 'identity')
                    WHEN s2.comment IS NOT NULL
                         AND nps._text_problem(format('the comment of the response of "%s"', left(btrim(s2.respondent), 40)), s2.comment, 'comment') IS NOT NULL
                         THEN nps._text_problem(format('the comment of the response of "%s"', left(btrim(s2.respondent), 40)), s2.comment, 'comment')
                    WHEN coalesce(nullif(btrim(s2.channel), ''), 'email') <> ALL (enum_range(NULL::nps.channel)::text[])
                         THEN ARRAY['22023', format('channel "%s" is not known (email, in_app, web, sms, phone, meeting, other)', left(s2.channel, 80))]
               END AS refusal
        FROM nps.response_staging s2
        LEFT JOIN named c ON c.name = coalesce(s2.cycle, ingest_staged.cycle)
        LEFT JOIN nps.accounts a ON a.external_id = btrim(s2.account)
        WHERE s2.id = ANY (ids)
    ) v
    WHERE s.id = v.id AND v.refusal IS NOT NULL;
    SELECT coalesce(array_agg(s.id ORDER BY s.id), '{}') INTO todo
    FROM nps.response_staging s WHERE s.id = ANY (ids) AND s.status = 'pending';

    -- Fast path: every remaining row in one statement. Anything it cannot take in one go (a bad
    -- time, a window, a respondent twice in the batch, a row its ingester may not record …)
    -- sends the batch row by row instead.
    BEGIN
        -- A cycle the rows name that did not exist when the locks were taken holds no lock:
        -- row by row, each response takes its own.
        IF EXISTS (SELECT 1 FROM nps.response_staging s JOIN nps.cycles c ON c.name = coalesce(s.cycle, ingest_staged.cycle)
                   WHERE s.id = ANY (todo) AND c.id <> ALL (locked)) THEN
            RAISE EXCEPTION USING ERRCODE = 'NP011';
        END IF;
        -- The rows above are checked: the response guard takes its bulk path for this statement.
        PERFORM nps._scope_enter('ingest_checked', 0);
        WITH ins AS (
            INSERT INTO nps.responses AS x (cycle_id, run_id, account_id, respondent, respondent_as_given, score, segment,
                                            comment, channel, responded_at, recorded_by)
            SELECT c.id, 0, a.id, s.respondent, '', btrim(s.score)::smallint, 'passive', s.comment,
                   coalesce(nullif(btrim(s.channel), ''), 'email')::nps.channel, btrim(s.responded_at)::timestamptz, ''
            FROM nps.response_staging s
            JOIN nps.cycles c ON c.name = coalesce(s.cycle, ingest_staged.cycle)
            JOIN nps.accounts a ON a.external_id = btrim(s.account)
            WHERE s.id = ANY (todo)
            ORDER BY s.id
            ON CONFLICT ON CONSTRAINT responses_cycle_id_respondent_key DO UPDATE
               SET score = EXCLUDED.score, comment = EXCLUDED.comment, channel = EXCLUDED.channel,
                   responded_at = EXCLUDED.responded_at
               WHERE x.account_id = EXCLUDED.account_id
            RETURNING x.id, x.cycle_id, x.account_id, x.respondent
        ), done AS (
            -- A row is loaded when its own cycle, account and respondent came back: a row skipped
            -- because its respondent answered for another account matches nothing, and the count
            -- below sends the batch row by row.
            UPDATE nps.response_staging s SET status = 'loaded', ingested_at = now(), ingested_by = actor, response_id = ins.id
            FROM ins, nps.cycles c, nps.accounts a
            WHERE c.id = ins.cycle_id AND a.id = ins.account_id AND s.id = ANY (todo)
              AND c.name = coalesce(s.cycle, ingest_staged.cycle)
              AND a.external_id = btrim(s.account)
              AND nps._text('respondent', s.respondent, 'identity') = ins.respondent
            RETURNING s.id
        )
        SELECT count(*) INTO loaded FROM done;
        PERFORM nps._scope_leave('ingest_checked', 0);
        IF loaded <> cardinality(todo) THEN
            RAISE EXCEPTION USING ERRCODE = 'NP009';  -- a respondent answering for another account
        END IF;
    EXCEPTION WHEN OTHERS THEN
        loaded := 0;
        FOR r IN SELECT s.* FROM nps.response_staging s WHERE s.id = ANY (todo) ORDER BY s.id LOOP
            BEGIN
                resp := nps.record_response(coalesce(r.cycle, ingest_staged.cycle), btrim(r.account), r.respondent,
                                            btrim(r.score)::integer, r.comment, coalesce(nullif(btrim(r.channel), ''), 'email'),
                                            btrim(r.responded_at)::timestamptz);
                UPDATE nps.response_staging s SET status = 'loaded', ingested_at = now(), ingested_by = actor, response_id = resp.id
                WHERE s.id = r.id;
                loaded := loaded + 1;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                UPDATE nps.response_staging s SET status = 'rejected', ingested_at = now(), ingested_by = actor,
                                                  sqlstate = st, reason = msg
                WHERE s.id = r.id;
            END;
        END LOOP;
    END;
    PERFORM nps._scope_leave('ingest', 0);
    rejected := cardinality(ids) - loaded;
END;
$$;
COMMENT ON FUNCTION nps.ingest_staged(text, integer) IS
    'Load the pending rows of nps.response_staging (those of cycle, or naming no cycle; all pending rows when cycle is NULL; the oldest max_rows of them when given) that the caller staged (every row for nps_intake and nps_admin, the rows naming their cycles for a cycle''s owner) into nps.responses with the rules of nps.record_response. Good rows load even when others are bad; each bad row is marked rejected with its SQLSTATE and reason (nps.staging_rejects). Concurrent calls take disjoint rows. Returns how many rows loaded and were rejected.';

-- A big file in short transactions: every response of a cycle joins the cycle's audit chain,
-- whose head a writer holds until it commits, so one long ingest would hold up every other
-- writer of the cycle. No SET clause: a procedure that commits may not have one (every name
-- is qualified; pg_catalog comes first in any search_path).
CREATE OR REPLACE PROCEDURE nps.ingest_in_batches(cycle text DEFAULT NULL, batch integer DEFAULT 5000,
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
    'CALL nps.ingest_in_batches(cycle, batch): nps.ingest_staged in transactions of at most batch rows, committing after each, until no pending row it may take is left; returns the rows loaded and rejected. Other writers of the cycle wait at most one batch. Call it outside a transaction block (2D000 otherwise).';

-------------------------------------------------------------------------------------------------
-- Closing intake: the first checkpoint
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps.close_intake(cycle text, force_reason text DEFAULT NULL) RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN nps.complete_step(nps.cycle_step(cycle, 'intake'),
                             CASE WHEN force_reason IS NOT NULL THEN jsonb_build_object('forced', force_reason)
                                  ELSE '{}' END);
END;
$$;
COMMENT ON FUNCTION nps.close_intake(text, text) IS
    'Close a cycle''s intake (its first checkpoint): records the evidence (responses, invitations, response rate, window) and completes the step. Refused before the window ends (NP011) or below min_responses (NP003), unless an nps_admin forces it with a reason, which the evidence keeps ("forced"); whoever else names a reason is refused (42501).';

-- Hook (step_completing, intake): what closing intake needs, and its evidence.
CREATE OR REPLACE FUNCTION nps._intake_completing(step nps.steps) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c      nps.cycles;
    n      bigint;
    forced text := step.evidence ->> 'forced';
    stale  boolean := false;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF NOT FOUND THEN
        RETURN NULL;  -- a run of the cycle template that is no cycle
    END IF;
    -- The step guard holds the intake stage lock: no response is in flight.
    SELECT count(*) INTO n FROM nps.responses r WHERE r.cycle_id = c.id;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        stale := nps._count_latest('SELECT count(*) FROM nps.responses r WHERE r.cycle_id = $1', c.id) <> n;
    END IF;
    PERFORM nps._check('intake_close', jsonb_build_object(
        'cycle', c.name,
        'window_open', now() < c.closes_at,
        'closes_at', c.closes_at::text,
        'responses', n,
        'min_responses', c.min_responses,
        'forced', forced,
        'is_admin', nps._is_admin(),
        'stale', stale));
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'responses', n,
        'invitations', c.invitations,
        'response_rate', CASE WHEN c.invitations > 0 THEN round(n::numeric / c.invitations, 4) END,
        'window', format('%s – %s', c.opens_at, least(c.closes_at, now()))));
END;
$$;
COMMENT ON FUNCTION nps._intake_completing(nps.steps) IS
    'Hook (step_completing, intake): the window ended (NP011) and min_responses is reached (NP003), unless an nps_admin forces it with a reason (the "forced" evidence; 42501 for anyone else); counted under the intake stage lock, and refused (40001) when a REPEATABLE READ snapshot misses responses committed meanwhile. Returns the evidence: responses, invitations, response rate, window.';
