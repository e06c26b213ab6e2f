-- pg_nps NPS cycle, outreach: conversations and the outbox.

-------------------------------------------------------------------------------------------------
-- Outreach: conversations and the outbox
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._conversations_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run nps.runs;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'conversation #% cannot be changed or deleted', OLD.id
            USING ERRCODE = 'NP009', HINT = 'Log a new note that corrects it.';
    END IF;
    SELECT * INTO run FROM nps.runs r WHERE r.id = NEW.run_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % does not exist', NEW.run_id
            USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs.';
    END IF;
    IF NOT (nps._may_manage(run.owner)
            OR EXISTS (SELECT 1 FROM nps.tasks t WHERE t.run_id = run.id AND pg_has_role(current_user, t.owner, 'MEMBER'))) THEN
        RAISE EXCEPTION 'role "%" works on no task of run #%', current_user, run.id
            USING ERRCODE = 'insufficient_privilege', HINT = 'The run''s owner and the owners of its tasks log its conversations.';
    END IF;
    NEW.author := current_user;
    NEW.actor := nps._actor();
    NEW.logged_at := now();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._conversations_guard() IS 'Trigger: conversations are logged by the run''s owner or its task owners (42501) and never changed (NP009).';
CREATE TRIGGER conversations_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.conversations
    FOR EACH ROW EXECUTE FUNCTION nps._conversations_guard();

CREATE FUNCTION nps.log_conversation(run bigint, body text, channel text DEFAULT 'note',
                                     happened_at timestamptz DEFAULT now())
    RETURNS nps.conversations
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.conversations (run_id, channel, body, happened_at) VALUES (run, channel, body, happened_at) RETURNING *;
END;
COMMENT ON FUNCTION nps.log_conversation(bigint, text, text, timestamptz) IS
    'Log a conversation or note on a run (note, email, phone, meeting, chat); by the run''s owner or its task owners.';

CREATE FUNCTION nps._outbox_notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('nps_outbox', (SELECT count(*)::text FROM new_rows));
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._outbox_notify() IS 'Statement trigger: NOTIFY nps_outbox with the number of emails queued.';
CREATE TRIGGER outbox_notify AFTER INSERT ON nps.outbox
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._outbox_notify();

CREATE FUNCTION nps.claim_outbox(sender text, max_messages integer DEFAULT 10, lease interval DEFAULT '5 minutes')
    RETURNS SETOF nps.outbox
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF nullif(btrim(sender), '') IS NULL THEN
        RAISE EXCEPTION 'a sender needs a name'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name the sending process, e.g. its host and pid.';
    END IF;
    IF max_messages IS NULL OR max_messages < 1 OR lease IS NULL OR lease <= interval '0' THEN
        RAISE EXCEPTION 'claim at least one message for a positive lease, not % for %', max_messages, lease
            USING ERRCODE = 'invalid_parameter_value', HINT = 'E.g. nps.claim_outbox(''mailer-1'', 10, ''5 minutes'').';
    END IF;
    RETURN QUERY
    UPDATE nps.outbox o
       SET status = 'sending', claimed_by = sender, claimed_until = now() + lease, attempts = o.attempts + 1
     WHERE o.id IN (SELECT x.id FROM nps.outbox x
                    WHERE ((x.status = 'queued' AND x.not_before <= now())
                           OR (x.status = 'sending' AND x.claimed_until < now()))
                    ORDER BY x.not_before, x.id
                    LIMIT max_messages
                    FOR UPDATE SKIP LOCKED)
    RETURNING o.*;
END;
$$;
COMMENT ON FUNCTION nps.claim_outbox(text, integer, interval) IS
    'Claim up to max_messages ready emails for sender, leased for lease; concurrent senders never get the same message (SKIP LOCKED), and a message whose lease ran out can be claimed again.';

CREATE FUNCTION nps._outbox_claimed(id bigint, sender text) RETURNS nps.outbox
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m nps.outbox;
BEGIN
    SELECT * INTO m FROM nps.outbox o WHERE o.id = _outbox_claimed.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'outbox message % does not exist', id
            USING ERRCODE = 'undefined_object', HINT = 'Report the ids nps.claim_outbox returned.';
    END IF;
    IF m.status <> 'sending' OR m.claimed_by IS DISTINCT FROM sender THEN
        RAISE EXCEPTION 'outbox message % is % and not held by sender "%"', id, m.status, sender
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Its lease ran out and another sender claimed it, or it was already reported; do not send it again.';
    END IF;
    RETURN m;
END;
$$;
COMMENT ON FUNCTION nps._outbox_claimed(bigint, text) IS 'Internal: the message, locked, when sender holds it; else a 55000 error.';

CREATE FUNCTION nps.mark_sent(id bigint, sender text) RETURNS nps.outbox
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m nps.outbox := nps._outbox_claimed(id, sender);
BEGIN
    UPDATE nps.outbox o SET status = 'sent', sent_at = now(), claimed_until = NULL, last_error = NULL
    WHERE o.id = m.id RETURNING * INTO m;
    RETURN m;
END;
$$;
COMMENT ON FUNCTION nps.mark_sent(bigint, text) IS 'Report a claimed message sent (by the sender holding it; 55000 otherwise).';

CREATE FUNCTION nps.mark_failed(id bigint, sender text, error text, retry_in interval DEFAULT '5 minutes')
    RETURNS nps.outbox
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m nps.outbox := nps._outbox_claimed(id, sender);
BEGIN
    UPDATE nps.outbox o
       SET status = CASE WHEN o.attempts >= 5 THEN 'failed' ELSE 'queued' END,
           not_before = now() + coalesce(retry_in, interval '5 minutes') * o.attempts,
           claimed_by = NULL, claimed_until = NULL, last_error = error
     WHERE o.id = m.id RETURNING * INTO m;
    RETURN m;
END;
$$;
COMMENT ON FUNCTION nps.mark_failed(bigint, text, text, interval) IS
    'Report a claimed message failed: it is queued again after retry_in × attempts, and failed for good after 5 attempts.';
