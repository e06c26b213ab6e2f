-- pg_nps 0.1.0 -> 0.2.0
--   * responses: a respondent longer than 320 characters or a comment longer than 20000 is
--     refused with 22001 (record_response, direct INSERT/UPDATE, and ingest_staged's rejects);
--   * nps.rebuild_rollups(cycle): recompute the daily rollups after a bulk load with triggers off;
--     admins only;
--   * nps.ingest_staged(cycle, max_rows) and CALL nps.ingest_in_batches(cycle, batch): big files
--     in short transactions, so that other writers of the cycle do not wait for the whole file;
--   * faster task completion: the step recount made by a task completion skips the state-machine
--     check when nothing but the count changes, and the helpers it calls keep their plans
--     (PL/pgSQL, not SQL-standard bodies).
-- Run by ALTER EXTENSION pg_nps UPDATE; the upgrade suite of make test checks that the result
-- equals a fresh install of 0.2.0, object by object.
\echo Use "ALTER EXTENSION pg_nps UPDATE TO '0.2.0'" to load this file. \quit

CREATE FUNCTION nps._too_long(respondent text, comment text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN length(respondent) > 320
            THEN format('respondent "%s..." is %s characters long; at most 320 are kept', left(respondent, 40), length(respondent))
        WHEN length(comment) > 20000
            THEN format('the comment of the response of "%s" is %s characters long; at most 20000 are kept',
                        left(respondent, 40), length(comment))
    END
$$;
COMMENT ON FUNCTION nps._too_long(text, text) IS
    'Internal: why a response''s respondent (over 320 characters) or comment (over 20000) is too long, or NULL.';

CREATE OR REPLACE FUNCTION nps._responses_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(format('response #%s', OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                               '{id,cycle_id,run_id,account_id,respondent}',
                               'A response belongs to its respondent, account and cycle; record a new one instead.');
        NEW.submissions := OLD.submissions + 1;
    ELSE
        NEW.submissions := 1;
    END IF;
    IF NEW.channel NOT IN ('email', 'in_app', 'web', 'sms', 'phone', 'meeting', 'other') THEN
        RAISE EXCEPTION 'channel "%" of the response of "%" is not known', NEW.channel, NEW.respondent
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use one of email, in_app, web, sms, phone, meeting, other.';
    END IF;
    IF nps._too_long(NEW.respondent, NEW.comment) IS NOT NULL THEN
        RAISE EXCEPTION '%', nps._too_long(NEW.respondent, NEW.comment)
            USING ERRCODE = 'string_data_right_truncation',
                  HINT = 'Identify respondents by e-mail address or contact id; keep the comment to what the respondent wrote and log longer notes with nps.log_conversation.';
    END IF;
    SELECT * INTO c FROM nps.cycles x WHERE x.id = NEW.cycle_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle % does not exist', NEW.cycle_id
            USING ERRCODE = 'undefined_object', HINT = 'SELECT id, name FROM nps.cycles lists the cycles.';
    END IF;
    IF NEW.responded_at < c.opens_at OR NEW.responded_at >= c.closes_at THEN
        RAISE EXCEPTION 'response of "%" at % is outside the window of cycle "%" (% to %)',
                NEW.respondent, NEW.responded_at, c.name, c.opens_at, c.closes_at
            USING ERRCODE = 'P0N11',
                  HINT = 'Responses count in the cycle whose window they fall in; record it in that cycle.';
    END IF;
    IF EXISTS (SELECT 1 FROM nps.steps s WHERE s.run_id = c.run_id AND s.key = 'intake' AND s.status IN ('done', 'skipped')) THEN
        RAISE EXCEPTION 'the intake of cycle "%" is closed', c.name
            USING ERRCODE = 'P0N11', HINT = 'Responses are recorded while the cycle''s intake step is open.';
    END IF;
    NEW.run_id := c.run_id;
    NEW.segment := @extschema@.nps_segment(NEW.score, c.promoter_min, c.detractor_max);
    NEW.recorded_at := now();
    NEW.recorded_by := current_user;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._responses_guard() IS
    'Trigger: a response falls inside its cycle''s window while intake is open (P0N11), its score is 0..10 (22003), its channel is known (22023), its respondent (320) and comment (20000 characters) fit (22001), its segment follows the cycle''s bands; re-submissions count up.';

-- Responses stored before the limits keep their text; only a change to such a response is
-- refused until it fits. Say how many there are.
DO $$
DECLARE
    n bigint := (SELECT count(*) FROM nps.responses WHERE nps._too_long(respondent, comment) IS NOT NULL);
BEGIN
    IF n > 0 THEN
        RAISE NOTICE '% stored responses exceed the new limits (respondent 320, comment 20000 characters)', n
            USING HINT = 'They stay as they are; a re-submission of one must fit. List them: SELECT id FROM nps.responses WHERE nps._too_long(respondent, comment) IS NOT NULL.';
    END IF;
END $$;

-- ingest_staged takes a batch size: a new signature, so the old function goes.
DROP FUNCTION nps.ingest_staged(text);
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

REVOKE EXECUTE ON FUNCTION nps.rebuild_rollups(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION nps.setup_roles() RETURNS TABLE (role name, created boolean)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r text;
    made boolean;
BEGIN
    FOREACH r IN ARRAY ARRAY['nps_admin', 'nps_csm', 'nps_approver', 'nps_analyst', 'nps_auditor'] LOOP
        made := NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
        IF made THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
        role := r;
        created := made;
        RETURN NEXT;
    END LOOP;
    GRANT USAGE ON SCHEMA nps TO nps_admin, nps_csm, nps_approver, nps_analyst, nps_auditor;
    -- Admins run everything; structure (steps, tasks) is only ever created from templates.
    GRANT SELECT, INSERT, UPDATE, DELETE ON nps.templates, nps.holidays TO nps_admin;
    GRANT SELECT, INSERT, UPDATE ON nps.runs, nps.approvals TO nps_admin;
    GRANT SELECT, UPDATE ON nps.steps, nps.tasks TO nps_admin;
    GRANT SELECT, INSERT ON nps.approval_decisions TO nps_admin;
    -- The NPS cycle: admins keep settings and accounts; CSMs start cycles and record responses;
    -- analysts read them.
    GRANT SELECT, INSERT, UPDATE ON nps.settings, nps.accounts TO nps_admin;
    GRANT SELECT ON nps.settings TO nps_csm, nps_approver, nps_analyst;
    GRANT SELECT ON nps.accounts, nps.cycles, nps.responses TO nps_csm, nps_approver, nps_analyst;
    GRANT INSERT, UPDATE ON nps.cycles, nps.responses TO nps_csm;
    -- Closing the loop: CSMs stage and ingest responses, assign causes, plan, log conversations
    -- and send the outbox; approvers verify; admins keep playbooks and the taxonomy; analysts read
    -- the snapshots, reports and BI views.
    GRANT SELECT, INSERT, UPDATE, DELETE ON nps.playbooks, nps.root_causes TO nps_admin;
    GRANT SELECT, INSERT, UPDATE ON nps.response_staging TO nps_csm;
    GRANT DELETE ON nps.response_staging TO nps_admin;
    GRANT SELECT ON nps.staging_rejects TO nps_csm;
    GRANT SELECT ON nps.cycle_snapshots, nps.cycle_snapshot_groups, nps.cycle_reports, nps.playbook_runs,
                    nps.playbooks, nps.playbooks_in_force, nps.root_causes, nps.root_cause_taxonomy,
                    nps.response_causes, nps.plan_items, nps.conversations, nps.response_rollups
        TO nps_csm, nps_approver;
    GRANT INSERT, UPDATE ON nps.response_causes TO nps_csm;
    GRANT INSERT, UPDATE, DELETE ON nps.plan_items TO nps_csm;
    GRANT UPDATE ON nps.plan_items TO nps_approver;
    GRANT INSERT ON nps.conversations TO nps_csm;
    GRANT EXECUTE ON FUNCTION nps.rebuild_rollups(text) TO nps_admin;
    GRANT SELECT, INSERT, UPDATE ON nps.outbox TO nps_csm;
    GRANT SELECT ON nps.cycle_headline, nps.trend_monthly, nps.account_nps, nps.segment_breakdown,
                    nps.root_cause_pareto, nps.topic_impact, nps.loop_closure, nps.cycle_snapshots,
                    nps.cycle_snapshot_groups, nps.cycle_reports, nps.root_cause_taxonomy
        TO nps_analyst, nps_csm, nps_approver;
    -- CSMs start runs and work their tasks; approvers decide. Both cascade step and run changes.
    GRANT SELECT ON nps.templates, nps.holidays, nps.runs, nps.steps, nps.tasks, nps.approvals,
                    nps.approval_decisions TO nps_csm, nps_approver;
    GRANT INSERT ON nps.runs, nps.approvals TO nps_csm;
    GRANT UPDATE ON nps.runs, nps.steps, nps.tasks, nps.approvals TO nps_csm, nps_approver;
    GRANT INSERT ON nps.approval_decisions TO nps_csm, nps_approver;
    -- Auditors read everything, the audit trail included, and change nothing; nobody else reads
    -- the trail. Analysts read the views only.
    GRANT SELECT ON ALL TABLES IN SCHEMA nps TO nps_auditor;
    GRANT EXECUTE ON FUNCTION nps.verify_audit(bigint, jsonb), nps._audit_verify(text, jsonb), nps.audit_heads(),
                              nps._audit_flush_heads(), nps.run_history(bigint, boolean) TO nps_auditor;
    GRANT EXECUTE ON FUNCTION nps._audit_capture(), nps._audit_no_truncate() TO nps_admin;
    GRANT SELECT ON nps.run_progress, nps.overdue_tasks TO nps_analyst;
    GRANT SELECT ON nps.my_tasks, nps.pending_approvals, nps.run_progress, nps.overdue_tasks
        TO nps_admin, nps_csm, nps_approver;
    IF NOT pg_has_role('nps_admin', 'nps_csm', 'MEMBER') THEN
        GRANT nps_csm TO nps_admin;
    END IF;
    IF NOT pg_has_role('nps_admin', 'nps_approver', 'MEMBER') THEN
        GRANT nps_approver TO nps_admin;
    END IF;
END;
$$;
COMMENT ON FUNCTION nps.setup_roles() IS
    'Create (if missing) the group roles nps_admin, nps_csm, nps_approver, nps_analyst, nps_auditor and grant them their privileges (only nps_auditor reads the audit trail). Idempotent; CREATE EXTENSION calls it. GRANT these roles to login roles.';

SELECT count(*) FROM nps.setup_roles();

CREATE OR REPLACE FUNCTION nps._open_tasks(step_id bigint) RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT count(*)::integer FROM nps.tasks t WHERE t.step_id = _open_tasks.step_id AND t.status = 'open');
END;
$$;
COMMENT ON FUNCTION nps._open_tasks(bigint) IS
    'Internal: open tasks of a step, counted past row-level security (a CSM''s completion must see every owner''s tasks).';

CREATE OR REPLACE FUNCTION nps._changed(old jsonb, new jsonb, cols text[]) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(c ORDER BY c), '{}') FROM unnest(cols) AS c
            WHERE old -> c IS DISTINCT FROM new -> c);
END;
$$;
COMMENT ON FUNCTION nps._changed(jsonb, jsonb, text[]) IS 'Internal: which of cols differ between two row images.';

CREATE OR REPLACE FUNCTION nps._step_label(s nps.steps) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN format('step "%s" (#%s) of run #%s', s.name, s.id, s.run_id);
END;
$$;
COMMENT ON FUNCTION nps._step_label(nps.steps) IS 'Internal: how messages name a step.';

CREATE OR REPLACE FUNCTION nps._steps_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run   nps.runs;
    label text;
    facts jsonb;
    old_j jsonb := to_jsonb(OLD);
    new_j jsonb := to_jsonb(NEW);
BEGIN
    -- The recount after each task completion (nps._task_finished, hence inside a trigger)
    -- changes nothing but open_tasks of an active step of an active run: no transition to
    -- check, only the count to set. Statements from clients always take the full check.
    IF pg_trigger_depth() > 1 AND OLD.status = 'active' AND new_j - 'open_tasks' = old_j - 'open_tasks'
       AND (SELECT r.status FROM nps.runs r WHERE r.id = OLD.run_id) = 'active' THEN
        NEW.open_tasks := nps._open_tasks(OLD.id);
        RETURN NEW;
    END IF;
    label := nps._step_label(OLD);
    PERFORM nps._immutable(label, old_j, new_j,
                           '{id,run_id,position,key,name,description,checkpoint,skippable,approval_role,min_approvers,evidence_spec}',
                           'A step''s definition comes from its template version; import a new version for new runs.');
    SELECT * INTO run FROM nps.runs r WHERE r.id = OLD.run_id;
    NEW.open_tasks := nps._open_tasks(OLD.id);
    facts := jsonb_build_object(
        'step', label,
        'run', format('run #%s', OLD.run_id),
        'run_status', run.status,
        'from', OLD.status, 'to', NEW.status,
        'checkpoint', OLD.checkpoint, 'skippable', OLD.skippable,
        'has_approval', OLD.approval_role IS NOT NULL,
        'approval', (SELECT a.status FROM nps.approvals a WHERE a.step_id = OLD.id ORDER BY a.id DESC LIMIT 1),
        'earlier_unfinished', (SELECT count(*) FROM nps.steps e
                               WHERE e.run_id = OLD.run_id AND e.position < OLD.position
                                 AND e.status NOT IN ('done', 'skipped')),
        'open_tasks', NEW.open_tasks,
        'evidence_spec', OLD.evidence_spec,
        'evidence', NEW.evidence,
        'skip_reason', NEW.skip_reason,
        'may_manage', nps._may_manage(run.owner));
    PERFORM nps._check('step', facts);
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        CASE NEW.status
            WHEN 'active' THEN
                NEW.activated_at := coalesce(NEW.activated_at, now());
            WHEN 'done', 'skipped' THEN
                NEW.completed_at := now();
                NEW.completed_by := current_user;
                NEW.actor := nps._actor();
            ELSE
        END CASE;
        IF NEW.status = 'skipped' THEN
            NEW.open_tasks := 0;  -- steps_abandon_tasks cancels them right after
        END IF;
        IF NEW.status = 'active' AND OLD.status = 'awaiting_approval' THEN
            NEW.rejection_reason := (SELECT a.reason FROM nps.approvals a WHERE a.step_id = OLD.id
                                     ORDER BY a.id DESC LIMIT 1);
        END IF;
    ELSE
        -- Bookkeeping columns change only with the status.
        NEW.activated_at := OLD.activated_at;
        NEW.completed_at := OLD.completed_at;
        NEW.completed_by := OLD.completed_by;
        NEW.actor := OLD.actor;
        NEW.rejection_reason := OLD.rejection_reason;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._steps_guard() IS 'Trigger: enforces the step state machine (order, checkpoints, evidence, open tasks, approvals) for every client.';
