-- pg_nps NPS cycle, responses: the response guard and nps.record_response.

-------------------------------------------------------------------------------------------------
-- Responses
-------------------------------------------------------------------------------------------------
-- The limits of a response's text, in one place for the guard and the bulk ingest. A plain SQL
-- body (not BEGIN ATOMIC) so that the planner inlines it into ingest's set-based checks.
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

CREATE FUNCTION nps._responses_guard() RETURNS trigger
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
            USING ERRCODE = 'NP011',
                  HINT = 'Responses count in the cycle whose window they fall in; record it in that cycle.';
    END IF;
    IF EXISTS (SELECT 1 FROM nps.steps s WHERE s.run_id = c.run_id AND s.key = 'intake' AND s.status IN ('done', 'skipped')) THEN
        RAISE EXCEPTION 'the intake of cycle "%" is closed', c.name
            USING ERRCODE = 'NP011', HINT = 'Responses are recorded while the cycle''s intake step is open.';
    END IF;
    NEW.run_id := c.run_id;
    NEW.segment := @extschema@.nps_segment(NEW.score, c.promoter_min, c.detractor_max);
    NEW.recorded_at := now();
    NEW.recorded_by := current_user;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._responses_guard() IS
    'Trigger: a response falls inside its cycle''s window while intake is open (NP011), its score is 0..10 (22003), its channel is known (22023), its respondent (320) and comment (20000 characters) fit (22001), its segment follows the cycle''s bands; re-submissions count up.';
CREATE TRIGGER responses_guard BEFORE INSERT OR UPDATE ON nps.responses
    FOR EACH ROW EXECUTE FUNCTION nps._responses_guard();

CREATE FUNCTION nps.record_response(cycle text, account text, respondent text, score integer,
                                    comment text DEFAULT NULL, channel text DEFAULT 'email',
                                    responded_at timestamptz DEFAULT now())
    RETURNS nps.responses
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_id bigint;
    a_id bigint;
    r    nps.responses;
BEGIN
    c_id := (nps._cycle(record_response.cycle)).id;
    SELECT x.id INTO a_id FROM nps.accounts x WHERE x.external_id = record_response.account;
    IF a_id IS NULL THEN
        RAISE EXCEPTION 'account "%" does not exist', record_response.account
            USING ERRCODE = 'undefined_object', HINT = 'Add it to nps.accounts (external_id) first.';
    END IF;
    IF score IS NULL OR respondent IS NULL OR responded_at IS NULL THEN
        RAISE EXCEPTION 'a response needs a respondent, a score and a time'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass respondent, score (0..10) and responded_at.';
    END IF;
    INSERT INTO nps.responses AS x (cycle_id, run_id, account_id, respondent, score, segment, comment, channel, responded_at)
    VALUES (c_id, 0, a_id, record_response.respondent, record_response.score, 'passive',
            record_response.comment, record_response.channel, record_response.responded_at)
    ON CONFLICT ON CONSTRAINT responses_cycle_id_respondent_key DO UPDATE
       SET score = EXCLUDED.score, comment = EXCLUDED.comment, channel = EXCLUDED.channel,
           responded_at = EXCLUDED.responded_at
    RETURNING * INTO r;
    IF r.account_id <> a_id THEN
        RAISE EXCEPTION 'respondent "%" answered cycle "%" for another account', record_response.respondent, record_response.cycle
            USING ERRCODE = 'NP009', HINT = 'A respondent answers for one account per cycle.';
    END IF;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION nps.record_response(text, text, text, integer, text, text, timestamptz) IS
    'Record a survey response: cycle by name, account by external id. A re-submission by the same respondent inside the window replaces the earlier answer (submissions counts up; the audit trail keeps both). Refused: unknown cycle or account (42704), score outside 0..10 (22003), outside the window or after intake closed (NP011). Returns the stored response.';
