-- pg_nps NPS cycle, first part: organization settings, accounts, cycles (each a run of the cycle
-- template, with its bands frozen at start) and response intake. See docs/nps-cycle.md.

-------------------------------------------------------------------------------------------------
-- Settings: one row per database (one organization); absent means the defaults
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.settings (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    promoter_min   integer NOT NULL DEFAULT 9,
    detractor_max  integer NOT NULL DEFAULT 6,
    min_responses  integer NOT NULL DEFAULT 30 CHECK (min_responses >= 1),
    window_days    integer NOT NULL DEFAULT 14 CHECK (window_days >= 1),
    cycle_template text NOT NULL DEFAULT 'NPS Survey & Action Plan',
    detractor_playbook boolean NOT NULL DEFAULT true,
    text_search_config regconfig NOT NULL DEFAULT 'english',
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     name NOT NULL DEFAULT current_user,
    CHECK (detractor_max >= 0 AND promoter_min <= 10 AND detractor_max < promoter_min)
);
COMMENT ON TABLE nps.settings IS 'The organization''s NPS settings (at most one row; without it the defaults apply). Change them with nps.configure; a cycle copies the bands when it starts.';
COMMENT ON COLUMN nps.settings.id IS 'Always true: the table holds one row.';
COMMENT ON COLUMN nps.settings.promoter_min IS 'Lowest promoter score (default 9).';
COMMENT ON COLUMN nps.settings.detractor_max IS 'Highest detractor score (default 6).';
COMMENT ON COLUMN nps.settings.min_responses IS 'Responses a cycle needs before its intake may close (default 30).';
COMMENT ON COLUMN nps.settings.window_days IS 'Default length of a cycle''s response window, in days (default 14).';
COMMENT ON COLUMN nps.settings.cycle_template IS 'Template a cycle''s run follows (default ''NPS Survey & Action Plan'').';
COMMENT ON COLUMN nps.settings.detractor_playbook IS 'Whether the shipped playbook runs: each detractor of a segmented cycle gets an "NPS Detractor" project owned by the account''s CSM (default true).';
COMMENT ON COLUMN nps.settings.text_search_config IS 'Text search configuration root-cause keywords and comments are matched with (default english).';

CREATE FUNCTION nps.current_settings() RETURNS nps.settings
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce((SELECT s FROM nps.settings s),
                    (true, 9, 6, 30, 14, 'NPS Survey & Action Plan', true, 'english', now(), current_user)::nps.settings);
END;
COMMENT ON FUNCTION nps.current_settings() IS 'The settings in force: the stored row, or the defaults.';

CREATE FUNCTION nps.configure(promoter_min integer DEFAULT NULL, detractor_max integer DEFAULT NULL,
                              min_responses integer DEFAULT NULL, window_days integer DEFAULT NULL,
                              cycle_template text DEFAULT NULL, detractor_playbook boolean DEFAULT NULL,
                              text_search_config regconfig DEFAULT NULL)
    RETURNS nps.settings
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cur nps.settings := nps.current_settings();
    result nps.settings;
BEGIN
    PERFORM @extschema@.nps_segment(0, coalesce(configure.promoter_min, cur.promoter_min),
                        coalesce(configure.detractor_max, cur.detractor_max));
    IF cycle_template IS NOT NULL THEN
        PERFORM nps.export_template(cycle_template);
    END IF;
    INSERT INTO nps.settings AS s (id, promoter_min, detractor_max, min_responses, window_days, cycle_template,
                                   detractor_playbook, text_search_config)
    VALUES (true, coalesce(configure.promoter_min, cur.promoter_min), coalesce(configure.detractor_max, cur.detractor_max),
            coalesce(configure.min_responses, cur.min_responses), coalesce(configure.window_days, cur.window_days),
            coalesce(configure.cycle_template, cur.cycle_template),
            coalesce(configure.detractor_playbook, cur.detractor_playbook),
            coalesce(configure.text_search_config, cur.text_search_config))
    ON CONFLICT (id) DO UPDATE
       SET promoter_min = EXCLUDED.promoter_min, detractor_max = EXCLUDED.detractor_max,
           min_responses = EXCLUDED.min_responses, window_days = EXCLUDED.window_days,
           cycle_template = EXCLUDED.cycle_template, detractor_playbook = EXCLUDED.detractor_playbook,
           text_search_config = EXCLUDED.text_search_config, updated_at = now(), updated_by = current_user
    RETURNING * INTO result;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION nps.configure(integer, integer, integer, integer, text, boolean, regconfig) IS
    'Change the organization''s settings (arguments left NULL keep their value); bands are validated (22023). Running cycles keep the bands they started with. Returns the settings.';

-------------------------------------------------------------------------------------------------
-- Accounts
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY (START WITH 1) PRIMARY KEY,
    external_id text NOT NULL UNIQUE CHECK (external_id <> ''),
    name        text NOT NULL CHECK (name <> ''),
    csm         regrole,
    arr         numeric(16, 2) CHECK (arr >= 0),
    segment     text,
    tier        text,
    attributes  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON nps.accounts (csm);
COMMENT ON TABLE nps.accounts IS 'Client accounts that answer NPS surveys, with their CSM, revenue and tier.';
COMMENT ON COLUMN nps.accounts.external_id IS 'The account''s id in the CRM; responses name accounts by it.';
COMMENT ON COLUMN nps.accounts.csm IS 'The customer success manager (a login role): owner of the account''s detractor projects.';
COMMENT ON COLUMN nps.accounts.arr IS 'Annual recurring revenue, for revenue-weighted NPS.';
COMMENT ON COLUMN nps.accounts.segment IS 'Market segment, e.g. ''enterprise'', ''mid-market''.';
COMMENT ON COLUMN nps.accounts.tier IS 'Service tier, e.g. ''gold''; summaries are broken down by it.';
COMMENT ON COLUMN nps.accounts.attributes IS 'Further attributes (JSON object) playbooks can match on.';

-------------------------------------------------------------------------------------------------
-- Cycles
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.cycles (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name <> ''),
    run_id        bigint NOT NULL UNIQUE REFERENCES nps.runs (id),
    promoter_min  integer NOT NULL,
    detractor_max integer NOT NULL,
    opens_at      timestamptz NOT NULL,
    closes_at     timestamptz NOT NULL,
    min_responses integer NOT NULL CHECK (min_responses >= 1),
    invitations   integer NOT NULL DEFAULT 0 CHECK (invitations >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    name NOT NULL DEFAULT current_user,
    CHECK (closes_at > opens_at),
    CHECK (detractor_max >= 0 AND promoter_min <= 10 AND detractor_max < promoter_min)
);
COMMENT ON TABLE nps.cycles IS 'NPS cycles: one survey wave, run as a run of the cycle template, with the bands and the response window it started with.';
COMMENT ON COLUMN nps.cycles.name IS 'Cycle name, e.g. ''2026-Q4''; unique.';
COMMENT ON COLUMN nps.cycles.run_id IS 'The run of the cycle template that carries the cycle''s steps; its audit chain holds the cycle''s history.';
COMMENT ON COLUMN nps.cycles.promoter_min IS 'Promoter band of this cycle, frozen at start.';
COMMENT ON COLUMN nps.cycles.detractor_max IS 'Detractor band of this cycle, frozen at start.';
COMMENT ON COLUMN nps.cycles.opens_at IS 'Start of the response window.';
COMMENT ON COLUMN nps.cycles.closes_at IS 'End of the response window (exclusive): later responses are refused.';
COMMENT ON COLUMN nps.cycles.min_responses IS 'Responses needed before intake may close.';
COMMENT ON COLUMN nps.cycles.invitations IS 'Survey invitations sent, for the response rate.';

CREATE FUNCTION nps._cycles_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(format('cycle "%s"', OLD.name), to_jsonb(OLD), to_jsonb(NEW),
                               '{id,name,run_id,promoter_min,detractor_max,opens_at,created_at,created_by}',
                               'A cycle keeps the bands and the start it began with; start a new cycle for other ones.');
    ELSE
        NEW.created_at := now();
        NEW.created_by := current_user;
    END IF;
    PERFORM @extschema@.nps_segment(0, NEW.promoter_min, NEW.detractor_max);
    IF NEW.closes_at <= NEW.opens_at THEN
        RAISE EXCEPTION 'cycle "%" would close (%) before it opens (%)', NEW.name, NEW.closes_at, NEW.opens_at
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a closes_at after opens_at.';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._cycles_guard() IS 'Trigger: validates a cycle''s bands and window; a cycle''s bands and start never change.';
CREATE TRIGGER cycles_guard BEFORE INSERT OR UPDATE ON nps.cycles
    FOR EACH ROW EXECUTE FUNCTION nps._cycles_guard();

CREATE FUNCTION nps._cycle(name text) RETURNS nps.cycles
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.name = _cycle.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle "%" does not exist', _cycle.name
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name FROM nps.cycles lists the cycles; nps.start_cycle starts one.';
    END IF;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION nps._cycle(text) IS 'Internal: the cycle of that name, or a 42704 error.';

CREATE FUNCTION nps.start_cycle(name text, opens_at timestamptz DEFAULT now(), closes_at timestamptz DEFAULT NULL,
                                min_responses integer DEFAULT NULL, promoter_min integer DEFAULT NULL,
                                detractor_max integer DEFAULT NULL, owner name DEFAULT current_user,
                                invitations integer DEFAULT 0)
    RETURNS nps.cycles
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cfg nps.settings := nps.current_settings();
    r   nps.runs;
    c   nps.cycles;
BEGIN
    IF start_cycle.name IS NULL OR start_cycle.name = '' THEN
        RAISE EXCEPTION 'a cycle needs a name'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name it after its wave, e.g. nps.start_cycle(''2026-Q4'').';
    END IF;
    IF EXISTS (SELECT 1 FROM nps.cycles x WHERE x.name = start_cycle.name) THEN
        RAISE EXCEPTION 'cycle "%" already exists', start_cycle.name
            USING ERRCODE = 'unique_violation', HINT = 'Give the new cycle another name.';
    END IF;
    r := nps.start_run(cfg.cycle_template, owner => owner, title => 'NPS cycle ' || start_cycle.name,
                       subject => jsonb_build_object('type', 'cycle', 'id', start_cycle.name));
    INSERT INTO nps.cycles (name, run_id, promoter_min, detractor_max, opens_at, closes_at, min_responses, invitations)
    VALUES (start_cycle.name, r.id, coalesce(start_cycle.promoter_min, cfg.promoter_min),
            coalesce(start_cycle.detractor_max, cfg.detractor_max), coalesce(start_cycle.opens_at, now()),
            coalesce(start_cycle.closes_at, coalesce(start_cycle.opens_at, now()) + make_interval(days => cfg.window_days)),
            coalesce(start_cycle.min_responses, cfg.min_responses), coalesce(start_cycle.invitations, 0))
    RETURNING * INTO c;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION nps.start_cycle(text, timestamptz, timestamptz, integer, integer, integer, name, integer) IS
    'Start an NPS cycle: a run of the cycle template owned by owner, with the organization''s bands frozen on it (or the ones given), the response window [opens_at, closes_at) (default: settings.window_days from now) and the responses needed to close intake. Returns the cycle.';

-------------------------------------------------------------------------------------------------
-- Responses
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.responses (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cycle_id     bigint NOT NULL REFERENCES nps.cycles (id),
    run_id       bigint NOT NULL REFERENCES nps.runs (id),
    account_id   bigint NOT NULL REFERENCES nps.accounts (id),
    respondent   text NOT NULL CHECK (respondent <> ''),
    score        smallint NOT NULL,
    segment      nps_segment NOT NULL,
    comment      text,
    channel      text NOT NULL DEFAULT 'email'
                 CHECK (channel IN ('email', 'in_app', 'web', 'sms', 'phone', 'meeting', 'other')),
    responded_at timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  name NOT NULL DEFAULT current_user,
    submissions  integer NOT NULL DEFAULT 1 CHECK (submissions >= 1),
    UNIQUE (cycle_id, respondent)
);
CREATE INDEX ON nps.responses (account_id);
COMMENT ON TABLE nps.responses IS 'Survey responses, one per respondent and cycle; a re-submission inside the window replaces the earlier answer (the audit trail keeps it).';
COMMENT ON COLUMN nps.responses.run_id IS 'The cycle''s run (set from the cycle): the response''s changes join the cycle''s audit chain.';
COMMENT ON COLUMN nps.responses.respondent IS 'Who answered (e.g. an email address); one response per respondent and cycle.';
COMMENT ON COLUMN nps.responses.score IS 'The answer to "how likely are you to recommend us", 0..10.';
COMMENT ON COLUMN nps.responses.segment IS 'promoter, passive or detractor under the cycle''s bands (set from the score).';
COMMENT ON COLUMN nps.responses.channel IS 'How the answer arrived: email, in_app, web, sms, phone, meeting or other.';
COMMENT ON COLUMN nps.responses.responded_at IS 'When the respondent answered; must fall inside the cycle''s window.';
COMMENT ON COLUMN nps.responses.recorded_by IS 'Role that recorded (or last replaced) the response.';
COMMENT ON COLUMN nps.responses.submissions IS 'How many times the respondent answered in this cycle (the latest answer counts).';

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
            USING ERRCODE = 'P0N09', HINT = 'A respondent answers for one account per cycle.';
    END IF;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION nps.record_response(text, text, text, integer, text, text, timestamptz) IS
    'Record a survey response: cycle by name, account by external id. A re-submission by the same respondent inside the window replaces the earlier answer (submissions counts up; the audit trail keeps both). Refused: unknown cycle or account (42704), score outside 0..10 (22003), outside the window or after intake closed (P0N11). Returns the stored response.';

-------------------------------------------------------------------------------------------------
-- Audit and pg_dump
-------------------------------------------------------------------------------------------------
SELECT nps.enable_audit('nps.settings');
SELECT nps.enable_audit('nps.accounts');
SELECT nps.enable_audit('nps.cycles', 'run_id');
SELECT nps.enable_audit('nps.responses', 'run_id');
SELECT pg_catalog.pg_extension_config_dump('nps.settings', '');
SELECT pg_catalog.pg_extension_config_dump('nps.accounts', '');
SELECT pg_catalog.pg_extension_config_dump('nps.cycles', '');
SELECT pg_catalog.pg_extension_config_dump('nps.responses', '');
SELECT pg_catalog.pg_extension_config_dump('nps.accounts_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.cycles_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.responses_id_seq', '');
