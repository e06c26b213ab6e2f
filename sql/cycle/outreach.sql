-- pg_nps NPS cycle, outreach: conversations and the outbox (the decisions are
-- nps_core::cycle::outreach), and what the outreach step needs to complete.

CREATE OR REPLACE FUNCTION nps._conversations_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me  text := nps._person_or_null();
    run nps.runs;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.conversations', 'nps._conversations_guard()');
    IF TG_OP = 'INSERT' THEN
        SELECT * INTO run FROM nps.runs r WHERE r.id = NEW.run_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'run % does not exist', NEW.run_id
                USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs.';
        END IF;
        NEW.body := nps._text(format('the conversation on run #%s', NEW.run_id), NEW.body, 'text');
        IF NEW.channel IS NULL OR NEW.happened_at IS NULL THEN
            RAISE EXCEPTION 'the conversation on run #% needs a channel and a time (channel %, happened_at %)', NEW.run_id,
                    coalesce(NEW.channel, 'NULL'), coalesce(NEW.happened_at::text, 'NULL')
                USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave them out for a note logged now.';
        END IF;
        IF NEW.channel NOT IN ('note', 'email', 'phone', 'meeting', 'chat') THEN
            RAISE EXCEPTION 'channel "%" of the conversation on run #% is not known', left(NEW.channel, 80), NEW.run_id
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Use one of note, email, phone, meeting, chat.';
        END IF;
        IF NOT isfinite(NEW.happened_at) OR NEW.happened_at > now() + interval '1 day' THEN
            RAISE EXCEPTION 'the conversation on run #% cannot have happened at %', NEW.run_id, NEW.happened_at
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Give when it took place: a date, not in the future.';
        END IF;
    END IF;
    PERFORM nps._check('conversation', jsonb_build_object(
        'run', format('run #%s', coalesce(NEW.run_id, OLD.run_id)),
        'inserting', TG_OP = 'INSERT',
        'works_on_run', TG_OP = 'INSERT' AND (nps._may_manage(run.owner)
                        OR EXISTS (SELECT 1 FROM nps.tasks t WHERE t.run_id = run.id AND me IN (t.owner, t.previous_owner))),
        'actor', nps.current_actor(),
        'body', CASE WHEN TG_OP = 'INSERT' THEN NEW.body END));
    NEW.author := nps.current_person();
    NEW.logged_at := now();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._conversations_guard() IS
    'Trigger: conversations are logged by the run''s owner or the people of its tasks (42501), say something (22023; at most 100000 characters, 22001) and never change (NP009).';
CREATE OR REPLACE TRIGGER conversations_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.conversations
    FOR EACH ROW EXECUTE FUNCTION nps._conversations_guard();

CREATE OR REPLACE FUNCTION nps.log_conversation(run bigint, body text, channel text DEFAULT 'note',
                                                happened_at timestamptz DEFAULT now())
    RETURNS nps.conversations
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.conversations (run_id, channel, body, happened_at, author)
    VALUES (run, channel, body, happened_at, '') RETURNING *;
END;
COMMENT ON FUNCTION nps.log_conversation(bigint, text, text, timestamptz) IS
    'Log a conversation or note on a run (note, email, phone, meeting, chat); by the run''s owner or the people of its tasks.';

-------------------------------------------------------------------------------------------------
-- The outbox
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._outbox_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.outbox', 'nps._outbox_guard()');
    PERFORM nps._check('outbox', jsonb_build_object(
        'message', format('outbox message #%s', coalesce(NEW.id, OLD.id)::text),
        'inserting', TG_OP = 'INSERT',
        'deleting', TG_OP = 'DELETE',
        'system', CASE WHEN TG_OP = 'INSERT' THEN nps._in_scope('playbook', (SELECT r.parent_run_id FROM nps.runs r WHERE r.id = NEW.run_id))
                       ELSE nps._in_scope('outbox', OLD.id) END,
        'from', CASE WHEN TG_OP <> 'INSERT' THEN OLD.status END,
        'to', coalesce(NEW.status, OLD.status),
        'content_changed', TG_OP = 'UPDATE'
                           AND nps._changed(to_jsonb(OLD), to_jsonb(NEW), '{id,run_id,recipient,subject,body,created_at,created_by}') <> '{}'));
    IF TG_OP = 'INSERT' THEN
        NEW.recipient := nps._text('recipient of an e-mail', NEW.recipient, 'identity');
        NEW.subject := nps._text('subject of an e-mail', NEW.subject, 'title');
        NEW.body := nps._text('body of an e-mail', NEW.body, 'text');
        NEW.attempts := 0;
        NEW.claimed_by := NULL;
        NEW.claimed_until := NULL;
        NEW.sent_at := NULL;
        NEW.last_error := NULL;
        NEW.created_at := now();
        NEW.created_by := nps.current_actor();
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
COMMENT ON FUNCTION nps._outbox_guard() IS
    'Trigger: outbox messages are queued only by playbooks (with a one-line recipient and subject) and move only through nps.claim_outbox, nps.mark_sent and nps.mark_failed; what is queued never changes and nothing is deleted.';
CREATE OR REPLACE TRIGGER outbox_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.outbox
    FOR EACH ROW EXECUTE FUNCTION nps._outbox_guard();

CREATE OR REPLACE FUNCTION nps._outbox_notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.outbox', 'nps._outbox_notify()');
    PERFORM pg_notify('nps_outbox', (SELECT count(*)::text FROM new_rows));
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._outbox_notify() IS 'Statement trigger: NOTIFY nps_outbox with the number of emails queued.';
CREATE OR REPLACE TRIGGER outbox_notify AFTER INSERT ON nps.outbox
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._outbox_notify();

CREATE OR REPLACE FUNCTION nps.claim_outbox(sender text, max_messages integer DEFAULT 10, lease interval DEFAULT '5 minutes')
    RETURNS SETOF nps.outbox
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
    i   bigint;
BEGIN
    IF nps._blank(sender) THEN
        RAISE EXCEPTION 'a sender needs a name'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name the sending process, e.g. its host and pid.';
    END IF;
    sender := nps._text('sender name', sender, 'name');
    IF max_messages IS NULL OR max_messages < 1 OR lease IS NULL OR lease <= interval '0' OR lease > interval '1 day' THEN
        RAISE EXCEPTION 'claim at least one message for a lease of up to a day, not % for %', max_messages, lease
            USING ERRCODE = 'invalid_parameter_value', HINT = 'E.g. nps.claim_outbox(''mailer-1'', 10, ''5 minutes'').';
    END IF;
    SELECT coalesce(array_agg(x.id ORDER BY x.not_before, x.id), '{}') INTO ids FROM (
        SELECT x.id, x.not_before FROM nps.outbox x
        WHERE ((x.status = 'queued' AND x.not_before <= now())
               OR (x.status = 'sending' AND x.claimed_until < now()))
        ORDER BY x.not_before, x.id
        LIMIT max_messages
        FOR UPDATE SKIP LOCKED) x;
    FOREACH i IN ARRAY ids LOOP
        PERFORM nps._scope_enter('outbox', i);
    END LOOP;
    RETURN QUERY
    UPDATE nps.outbox o
       SET status = 'sending', claimed_by = sender, claimed_until = now() + lease, attempts = o.attempts + 1
     WHERE o.id = ANY (ids)
    RETURNING o.*;
    FOREACH i IN ARRAY ids LOOP
        PERFORM nps._scope_leave('outbox', i);
    END LOOP;
END;
$$;
COMMENT ON FUNCTION nps.claim_outbox(text, integer, interval) IS
    'Claim up to max_messages ready emails for sender (nps_mailer), leased for lease; concurrent senders never get the same message (SKIP LOCKED), and a message whose lease ran out can be claimed again.';

CREATE OR REPLACE FUNCTION nps._outbox_claimed(id bigint, sender text) RETURNS nps.outbox
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m nps.outbox;
BEGIN
    IF id IS NULL THEN
        RAISE EXCEPTION 'no outbox message named: the message id is NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Report the ids nps.claim_outbox returned.';
    END IF;
    SELECT * INTO m FROM nps.outbox o WHERE o.id = _outbox_claimed.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'outbox message % does not exist', id
            USING ERRCODE = 'undefined_object', HINT = 'Report the ids nps.claim_outbox returned.';
    END IF;
    IF m.status <> 'sending' OR m.claimed_by IS DISTINCT FROM sender THEN
        RAISE EXCEPTION 'outbox message % is % and not held by sender "%"', id, m.status, left(sender, 80)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Its lease ran out and another sender claimed it, or it was already reported; do not send it again.';
    END IF;
    RETURN m;
END;
$$;
COMMENT ON FUNCTION nps._outbox_claimed(bigint, text) IS 'Internal: the message, locked, when sender holds it; else a 55000 error.';

CREATE OR REPLACE FUNCTION nps.mark_sent(id bigint, sender text) RETURNS nps.outbox
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m nps.outbox := nps._outbox_claimed(id, sender);
BEGIN
    PERFORM nps._scope_enter('outbox', m.id);
    UPDATE nps.outbox o SET status = 'sent', sent_at = now(), claimed_until = NULL, last_error = NULL
    WHERE o.id = m.id RETURNING * INTO m;
    PERFORM nps._scope_leave('outbox', m.id);
    RETURN m;
END;
$$;
COMMENT ON FUNCTION nps.mark_sent(bigint, text) IS 'Report a claimed message sent (nps_mailer; by the sender holding it, 55000 otherwise).';

CREATE OR REPLACE FUNCTION nps.mark_failed(id bigint, sender text, error text, retry_in interval DEFAULT '5 minutes')
    RETURNS nps.outbox
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m nps.outbox := nps._outbox_claimed(id, sender);
BEGIN
    PERFORM nps._scope_enter('outbox', m.id);
    UPDATE nps.outbox o
       SET status = CASE WHEN o.attempts >= 5 THEN 'failed' ELSE 'queued' END,
           not_before = now() + coalesce(retry_in, interval '5 minutes') * o.attempts,
           claimed_by = NULL, claimed_until = NULL, last_error = nps._text('error of a sender', error, 'text')
     WHERE o.id = m.id RETURNING * INTO m;
    PERFORM nps._scope_leave('outbox', m.id);
    RETURN m;
END;
$$;
COMMENT ON FUNCTION nps.mark_failed(bigint, text, text, interval) IS
    'Report a claimed message failed (nps_mailer): it is queued again after retry_in × attempts, and failed for good after 5 attempts.';

-- Hook (step_completing, outreach): every detractor project of the cycle is finished.
CREATE OR REPLACE FUNCTION nps._outreach_completing(step nps.steps) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c     nps.cycles;
    n     bigint;
    first bigint;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT count(*), min(r.id) INTO n, first FROM nps.runs r WHERE r.parent_run_id = c.run_id AND r.status = 'active';
    IF n > 0 THEN
        RAISE EXCEPTION 'the outreach of cycle "%" is not finished: % detractor projects are open (first: run #%)', c.name, n, first
            USING ERRCODE = 'NP003', HINT = 'Each CSM completes their projects'' tasks (nps.my_tasks); nps.loop_closure shows the progress.';
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._outreach_completing(nps.steps) IS
    'Hook (step_completing, outreach): refuses (NP003) while a project of the cycle is still open.';
