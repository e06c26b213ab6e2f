-- pg_nps NPS cycle, responses: the response guard (the decision is nps_core::cycle::responses)
-- and nps.record_response.
--
-- A respondent is compared in its normalized form (NFKC, trimmed, e-mail addresses lower-cased;
-- control, line-break and format characters refused), so one person answers a cycle once
-- however they spell their address; the spelling that arrived is kept for display.

-- Respondents' pseudonyms: a keyed hash under a secret nobody reads, stored with the response.
CREATE OR REPLACE FUNCTION nps._random_bytes(n integer) RETURNS bytea
    LANGUAGE c STRICT VOLATILE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_random_bytes';
COMMENT ON FUNCTION nps._random_bytes(integer) IS 'Internal: n bytes from the server''s strong random source (the pseudonym key).';

CREATE OR REPLACE FUNCTION nps._hmac_sha256(key bytea, value text) RETURNS text
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_hmac_sha256';
COMMENT ON FUNCTION nps._hmac_sha256(bytea, text) IS 'Internal: HMAC-SHA-256 of value under key, as 64 hex digits.';

CREATE OR REPLACE FUNCTION nps._pseudonym(respondent text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT 'r_' || left(nps._hmac_sha256(k.key, respondent), 24) FROM nps.pseudonym_key k;
END;
COMMENT ON FUNCTION nps._pseudonym(text) IS
    'Internal: the stable, non-reversible key of a respondent (a keyed hash under nps.pseudonym_key). Executable by no one but the extension''s owner, so nobody can hash guesses to unmask a key.';

CREATE OR REPLACE FUNCTION nps._responses_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c       nps.cycles;
    a       nps.accounts;
    intake  nps.steps;
    me      text := nps._person_or_null();
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.responses', 'nps._responses_guard()');
    -- Every new response: the respondent as given, normalized, and its pseudonym.
    IF TG_OP = 'INSERT' THEN
        NEW.respondent_as_given := NEW.respondent;
        NEW.respondent := nps._text('respondent', NEW.respondent, 'identity');
        NEW.pseudonym := nps._pseudonym(NEW.respondent);
        NEW.submissions := 1;
    END IF;
    -- The bulk path of nps.ingest_staged: its rows were checked set-based before its statement
    -- (cycle and account exist, the ingester may record them, intake is open under the stage
    -- lock, text, score and channel are valid). What is left is each row's own: the window and
    -- the segment. Anything refused here sends the batch through nps.record_response row by
    -- row, where the full check below names it.
    IF TG_OP <> 'DELETE' AND nps._in_scope('ingest_checked', 0) THEN
        SELECT * INTO c FROM nps.cycles x WHERE x.id = NEW.cycle_id;
        IF TG_OP = 'UPDATE' THEN
            IF NEW.account_id IS DISTINCT FROM OLD.account_id OR NEW.cycle_id IS DISTINCT FROM OLD.cycle_id THEN
                RAISE EXCEPTION USING ERRCODE = 'NP009';
            END IF;
            NEW.respondent := OLD.respondent;
            NEW.respondent_as_given := OLD.respondent_as_given;
            NEW.pseudonym := OLD.pseudonym;
            NEW.submissions := OLD.submissions + 1;
        END IF;
        IF NOT (NEW.responded_at >= c.opens_at AND NEW.responded_at < c.closes_at)
           OR NEW.responded_at > now() + interval '1 day' THEN
            RAISE EXCEPTION USING ERRCODE = 'NP011';
        END IF;
        IF NEW.comment IS NOT NULL THEN
            NEW.comment := nps._text('the comment of a response', NEW.comment, 'comment');
        END IF;
    ELSE
        IF TG_OP = 'DELETE' THEN
            IF NOT nps._actor_has_role('nps_admin') THEN
                RAISE EXCEPTION 'response #% cannot be deleted by %', OLD.id, nps.current_actor()
                    USING ERRCODE = 'insufficient_privilege', HINT = 'Only an nps_admin deletes a response, before its cycle is segmented.';
            END IF;
            RETURN OLD;
        END IF;
        IF TG_OP = 'INSERT' THEN
            IF NOT (nps._in_scope('record', NEW.cycle_id) OR nps._in_scope('ingest', 0))
               AND EXISTS (SELECT 1 FROM nps.responses x WHERE x.cycle_id = NEW.cycle_id AND x.respondent = NEW.respondent) THEN
                RAISE EXCEPTION 'respondent "%" answered cycle % already', left(NEW.respondent, 80), NEW.cycle_id
                    USING ERRCODE = 'unique_violation',
                          HINT = 'A re-submission replaces the earlier answer: nps.record_response(cycle, account, respondent, score, …).';
            END IF;
        ELSE
            PERFORM nps._immutable(format('response #%s', OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                                   '{respondent,respondent_as_given,pseudonym}',
                                   'A response belongs to its respondent; record a new one instead.');
            NEW.submissions := OLD.submissions + 1;
        END IF;
        IF NEW.score IS NULL OR NEW.responded_at IS NULL THEN
            RAISE EXCEPTION 'the response of "%" needs a score and a time (score %, responded_at %)',
                    left(NEW.respondent, 80), coalesce(NEW.score::text, 'NULL'), coalesce(NEW.responded_at::text, 'NULL')
                USING ERRCODE = 'null_value_not_allowed', HINT = 'Give score (0..10) and responded_at.';
        END IF;
        IF NEW.comment IS NOT NULL THEN
            NEW.comment := nps._text(format('the comment of the response of "%s"', left(NEW.respondent, 40)), NEW.comment, 'comment');
        END IF;
        SELECT * INTO c FROM nps.cycles x WHERE x.id = NEW.cycle_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'cycle % does not exist', NEW.cycle_id
                USING ERRCODE = 'undefined_object', HINT = 'SELECT id, name FROM nps.cycles lists the cycles.';
        END IF;
        SELECT * INTO a FROM nps.accounts x WHERE x.id = NEW.account_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account % does not exist', NEW.account_id
                USING ERRCODE = 'undefined_object', HINT = 'Add it to nps.accounts (external_id) first.';
        END IF;
        -- Gates are ordered: closing intake waits for this response, or this response sees it closed.
        SELECT * INTO intake FROM nps.steps s WHERE s.run_id = c.run_id AND s.key = 'intake';
        PERFORM nps._stage_write(intake.id);
        PERFORM nps._check('response', jsonb_build_object(
            'respondent', NEW.respondent,
            'cycle', c.name,
            'account', a.external_id,
            'actor', nps.current_actor(),
            'other_account', TG_OP = 'UPDATE' AND NEW.account_id IS DISTINCT FROM OLD.account_id,
            'may_record', nps._actor_has_role('nps_admin') OR nps._actor_has_role('nps_intake')
                          OR coalesce(a.csm = me OR nps._is_lead_of(me, a.csm), false),
            'in_future', NEW.responded_at > now() + interval '1 day',
            'in_window', NEW.responded_at >= c.opens_at AND NEW.responded_at < c.closes_at,
            'responded_at', NEW.responded_at::text,
            'window', format('%s to %s', c.opens_at, c.closes_at),
            'intake_open', nps._intake_open(c.run_id)));
        IF TG_OP = 'UPDATE' THEN
            PERFORM nps._immutable(format('response #%s', OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                                   '{id,cycle_id,run_id}',
                                   'A response belongs to its respondent, account and cycle; record a new one instead.');
        END IF;
    END IF;
    NEW.run_id := c.run_id;
    NEW.segment := @extschema@.nps_segment(NEW.score, c.promoter_min, c.detractor_max);
    NEW.recorded_at := now();
    NEW.recorded_by := nps.current_actor();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._responses_guard() IS
    'Trigger: a response is recorded by intake (nps_intake), the account''s CSM or their lead, or an nps_admin (42501), inside its cycle''s window, never more than a day ahead of the clock, while intake is open (NP011, ordered against the close by the intake stage lock), with a normalized respondent (22023, 22004, 22001) and a comment of at most 20000 characters (22001); its score is 0..10 (22003) and its segment follows the cycle''s bands; re-submissions count up and keep the respondent and account (NP009); only an nps_admin deletes one.';
CREATE OR REPLACE TRIGGER responses_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.responses
    FOR EACH ROW EXECUTE FUNCTION nps._responses_guard();

-- Once a cycle is segmented its responses are what the snapshot froze: this guard fires for
-- everyone, in replica mode too (ENABLE ALWAYS), so not even a restore's session changes them.
CREATE OR REPLACE FUNCTION nps._responses_frozen() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.responses', 'nps._responses_frozen()');
    IF EXISTS (SELECT 1 FROM nps.cycle_snapshots sn WHERE sn.cycle_id = OLD.cycle_id) THEN
        RAISE EXCEPTION 'response #% of cycle % is frozen in the cycle''s snapshot', OLD.id, OLD.cycle_id
            USING ERRCODE = 'NP009', HINT = 'A segmented cycle''s responses never change or go; its snapshot, trends and reports count them.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
COMMENT ON FUNCTION nps._responses_frozen() IS
    'Trigger (for everyone, replica mode included): refuses (NP009) to change or delete a response of a segmented cycle.';
CREATE OR REPLACE TRIGGER responses_frozen BEFORE UPDATE OR DELETE ON nps.responses
    FOR EACH ROW EXECUTE FUNCTION nps._responses_frozen();
ALTER TABLE nps.responses ENABLE ALWAYS TRIGGER responses_frozen;

CREATE OR REPLACE FUNCTION nps.record_response(cycle text, account text, respondent text, score integer,
                                               comment text DEFAULT NULL, channel text DEFAULT 'email',
                                               responded_at timestamptz DEFAULT now())
    RETURNS nps.responses
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_id bigint;
    a_id bigint;
    r    nps.responses;
BEGIN
    c_id := (nps._cycle(record_response.cycle)).id;
    a_id := (nps._account(record_response.account)).id;
    IF score IS NULL OR respondent IS NULL OR responded_at IS NULL THEN
        RAISE EXCEPTION 'a response needs a respondent, a score and a time'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass respondent, score (0..10) and responded_at.';
    END IF;
    IF score NOT BETWEEN 0 AND 10 THEN
        -- Before the column's smallint could refuse 2147483647 with a message naming no score.
        RAISE EXCEPTION 'NPS score % is out of range 0..10', score
            USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Scores are whole numbers from 0 to 10.';
    END IF;
    IF coalesce(channel, 'email') <> ALL (enum_range(NULL::nps.channel)::text[]) THEN
        RAISE EXCEPTION 'channel "%" of the response of "%" is not known', left(channel, 80), left(respondent, 40)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use one of email, in_app, web, sms, phone, meeting, other.';
    END IF;
    -- A re-submission is this upsert's to make (the guard refuses a plain INSERT of a respondent
    -- who answered already).
    PERFORM nps._scope_enter('record', c_id);
    INSERT INTO nps.responses AS x (cycle_id, run_id, account_id, respondent, respondent_as_given, score, segment,
                                    comment, channel, responded_at, recorded_by)
    VALUES (c_id, 0, a_id, record_response.respondent, '', record_response.score, 'passive',
            record_response.comment, coalesce(record_response.channel, 'email')::nps.channel, record_response.responded_at, '')
    ON CONFLICT ON CONSTRAINT responses_cycle_id_respondent_key DO UPDATE
       SET account_id = EXCLUDED.account_id, score = EXCLUDED.score, comment = EXCLUDED.comment,
           channel = EXCLUDED.channel, responded_at = EXCLUDED.responded_at
    RETURNING * INTO r;
    PERFORM nps._scope_leave('record', c_id);
    RETURN r;
END;
$$;
COMMENT ON FUNCTION nps.record_response(text, text, text, integer, text, text, timestamptz) IS
    'Record a survey response: cycle by name, account by external id, by intake (nps_intake), the account''s CSM or their lead, or an nps_admin. A re-submission by the same respondent (compared normalized) inside the window replaces the earlier answer (submissions counts up; the audit trail keeps both). Refused: unknown cycle or account (42704), score outside 0..10 (22003), outside the window or after intake closed (NP011), another CSM''s account (42501). Returns the stored response.';
