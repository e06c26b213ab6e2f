-- pg_nps NPS cycle: settings, accounts, cycles (each a run of the cycle template, with its bands
-- frozen at start), and finding a cycle and its steps.

-------------------------------------------------------------------------------------------------
-- Settings
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps.current_settings() RETURNS nps.settings
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce((SELECT s FROM nps.settings s),
                    (true, 9, 6, 30, 14, 'NPS Survey & Action Plan', true, 'english', now(), 'pg_nps')::nps.settings);
END;
COMMENT ON FUNCTION nps.current_settings() IS 'The settings in force: the stored row, or the defaults.';

CREATE OR REPLACE FUNCTION nps._settings_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.settings', 'nps._settings_guard()');
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;  -- back to the defaults, whose template is plugged in at install
    END IF;
    PERFORM @extschema@.nps_segment(0, NEW.promoter_min, NEW.detractor_max);
    IF TG_OP = 'INSERT' OR NEW.cycle_template IS DISTINCT FROM OLD.cycle_template THEN
        PERFORM nps.export_template(NEW.cycle_template);
        PERFORM nps._plug_cycle(NEW.cycle_template);
    END IF;
    NEW.updated_at := now();
    NEW.updated_by := nps.current_actor();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._settings_guard() IS
    'Trigger: settings keep valid bands (22023), and a cycle template that exists (42704) and has the steps the cycle plugs into (NP008); the cycle''s hooks are registered for it.';
CREATE OR REPLACE TRIGGER settings_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.settings
    FOR EACH ROW EXECUTE FUNCTION nps._settings_guard();

CREATE OR REPLACE FUNCTION nps.configure(promoter_min integer DEFAULT NULL, detractor_max integer DEFAULT NULL,
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
    INSERT INTO nps.settings AS s (id, promoter_min, detractor_max, min_responses, window_days, cycle_template,
                                   detractor_playbook, text_search_config, updated_by)
    VALUES (true, coalesce(configure.promoter_min, cur.promoter_min), coalesce(configure.detractor_max, cur.detractor_max),
            coalesce(configure.min_responses, cur.min_responses), coalesce(configure.window_days, cur.window_days),
            coalesce(configure.cycle_template, cur.cycle_template),
            coalesce(configure.detractor_playbook, cur.detractor_playbook),
            coalesce(configure.text_search_config, cur.text_search_config), '')
    ON CONFLICT (id) DO UPDATE
       SET promoter_min = EXCLUDED.promoter_min, detractor_max = EXCLUDED.detractor_max,
           min_responses = EXCLUDED.min_responses, window_days = EXCLUDED.window_days,
           cycle_template = EXCLUDED.cycle_template, detractor_playbook = EXCLUDED.detractor_playbook,
           text_search_config = EXCLUDED.text_search_config
    RETURNING * INTO result;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION nps.configure(integer, integer, integer, integer, text, boolean, regconfig) IS
    'Change the organization''s settings (nps_admin; arguments left NULL keep their value): bands are validated (22023); a cycle template must exist and have the steps the cycle plugs into (intake and segmentation checkpoints, root_cause, an action_plan approval gate, outreach, a close approval gate; NP008). Running cycles keep the bands they started with. Returns the settings.';

-------------------------------------------------------------------------------------------------
-- Accounts
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._accounts_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.accounts', 'nps._accounts_guard()');
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;  -- an account that anything refers to stays (its foreign keys refuse)
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(format('account %s', OLD.external_id), to_jsonb(OLD), to_jsonb(NEW),
                               '{id,external_id,created_at}', 'An account keeps its CRM id; responses and the trail name it by it.');
    ELSE
        NEW.created_at := now();
    END IF;
    NEW.external_id := nps._text('external id of an account', NEW.external_id, 'name');
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM nps.accounts x WHERE x.external_id = NEW.external_id) THEN
        RAISE EXCEPTION 'account "%" exists already', NEW.external_id
            USING ERRCODE = 'unique_violation', HINT = 'Change the existing account (UPDATE nps.accounts), or give the new one its own external id.';
    END IF;
    NEW.name := nps._text(format('the name of account %s', NEW.external_id), NEW.name, 'title');
    IF NEW.csm IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.csm IS DISTINCT FROM OLD.csm) THEN
        NEW.csm := nps._person(NEW.csm, format('CSM of account %s', NEW.external_id));
    END IF;
    IF NEW.segment IS NOT NULL THEN
        NEW.segment := nps._text(format('the market segment of account %s', NEW.external_id), NEW.segment, 'name');
    END IF;
    IF NEW.tier IS NOT NULL THEN
        NEW.tier := nps._text(format('the tier of account %s', NEW.external_id), NEW.tier, 'name');
    END IF;
    IF NEW.arr IS NOT NULL AND (NEW.arr < 0 OR NEW.arr = 'NaN') THEN
        RAISE EXCEPTION 'ARR % of account % is not an amount of 0 or more', NEW.arr, NEW.external_id
            USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Give the annual recurring revenue, 0 or more (NULL when unknown).';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._accounts_guard() IS
    'Trigger: an account''s external id (at most 200 characters, one line) never changes; its CSM is an active person; names and tiers are checked like any text; ARR is 0 or more (22003).';
CREATE OR REPLACE TRIGGER accounts_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.accounts
    FOR EACH ROW EXECUTE FUNCTION nps._accounts_guard();

CREATE OR REPLACE FUNCTION nps._account(external_id text) RETURNS nps.accounts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a nps.accounts;
BEGIN
    SELECT * INTO a FROM nps.accounts x WHERE x.external_id = _account.external_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account "%" does not exist', left(_account.external_id, 200)
            USING ERRCODE = 'undefined_object', HINT = 'Add it to nps.accounts (external_id) first.';
    END IF;
    RETURN a;
END;
$$;
COMMENT ON FUNCTION nps._account(text) IS 'Internal: the account of that external id (whoever may see it), or a 42704 error.';

-------------------------------------------------------------------------------------------------
-- Cycles
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._intake_open(cycle_run bigint) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT NOT EXISTS (SELECT 1 FROM nps.steps s
                       WHERE s.run_id = cycle_run AND s.key = 'intake' AND s.status IN ('done', 'skipped'))
       AND EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = cycle_run AND r.status = 'active');
END;
COMMENT ON FUNCTION nps._intake_open(bigint) IS 'Internal: whether the cycle of that run still takes responses (its intake step is not done and the run is active).';

CREATE OR REPLACE FUNCTION nps._cycles_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    owner text;
    cfg   nps.settings;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.cycles', 'nps._cycles_guard()');
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'cycle "%" cannot be deleted', OLD.name
            USING ERRCODE = 'NP009', HINT = 'Cancel its run with a reason (nps.cancel_run); the trail keeps it.';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(format('cycle "%s"', OLD.name), to_jsonb(OLD), to_jsonb(NEW),
                               '{id,name,run_id,promoter_min,detractor_max,opens_at,created_at,created_by}',
                               'A cycle keeps the bands and the start it began with; start a new cycle for other ones.');
        SELECT r.owner INTO owner FROM nps.runs r WHERE r.id = OLD.run_id;
        PERFORM nps._check('cycle', jsonb_build_object(
            'cycle', OLD.name,
            'intake_open', nps._intake_open(OLD.run_id),
            'may_manage', nps._may_manage(owner) OR nps._in_scope('invitations', OLD.id),
            'is_admin', nps._is_admin(),
            'extends', NEW.closes_at > OLD.closes_at,
            'shortens', NEW.closes_at < OLD.closes_at,
            'min_responses_changed', NEW.min_responses IS DISTINCT FROM OLD.min_responses,
            'invitations_added', NEW.invitations::bigint - OLD.invitations));
    ELSE
        NEW.name := nps._text('cycle name', NEW.name, 'name');
        IF EXISTS (SELECT 1 FROM nps.cycles x WHERE x.run_id = NEW.run_id)
           OR NOT EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = NEW.run_id AND r.status = 'active'
                                                     AND r.started_by = nps.current_actor()
                                                     AND r.subject_type = 'cycle' AND r.subject_id = NEW.name) THEN
            RAISE EXCEPTION 'cycle "%" must be started with nps.start_cycle', NEW.name
                USING ERRCODE = 'insufficient_privilege', HINT = 'nps.start_cycle(name, …) starts the cycle and its run together.';
        END IF;
        NEW.created_at := now();
        NEW.created_by := nps.current_actor();
    END IF;
    PERFORM @extschema@.nps_segment(0, NEW.promoter_min, NEW.detractor_max);
    IF NEW.closes_at <= NEW.opens_at THEN
        RAISE EXCEPTION 'cycle "%" would close (%) before it opens (%)', NEW.name, NEW.closes_at, NEW.opens_at
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a closes_at after opens_at.';
    END IF;
    IF TG_OP = 'INSERT' THEN
        cfg := nps.current_settings();
        PERFORM nps._check('cycle_start', jsonb_build_object(
            'cycle', NEW.name,
            'is_admin', nps._is_admin(),
            'promoter_min', NEW.promoter_min, 'detractor_max', NEW.detractor_max,
            'org_promoter_min', cfg.promoter_min, 'org_detractor_max', cfg.detractor_max,
            'min_responses', NEW.min_responses, 'org_min_responses', cfg.min_responses,
            'finite', isfinite(NEW.opens_at) AND isfinite(NEW.closes_at),
            'window_days', CASE WHEN isfinite(NEW.opens_at) AND isfinite(NEW.closes_at)
                                THEN extract(epoch FROM NEW.closes_at - NEW.opens_at) / 86400 ELSE 0 END));
    ELSIF NEW.closes_at IS DISTINCT FROM OLD.closes_at
          AND (NOT isfinite(NEW.closes_at) OR NEW.closes_at > NEW.opens_at + interval '366 days') THEN
        RAISE EXCEPTION 'the window of cycle "%" would end %; a window is finite and at most 366 days long', NEW.name, NEW.closes_at
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A cycle is one survey wave: start a new cycle for the next one.';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._cycles_guard() IS
    'Trigger: a cycle is started with its own new run (nps.start_cycle) by whoever started the run, with a finite window of at most 366 days, and (unless an nps_admin starts it) the organization''s bands, at least its minimum of responses and a window of a day or more; its bands, name and start never change; while intake is open its owner extends the window and counts invitations, only an nps_admin shortens the window or changes the minimum, invitations only grow; after intake nothing changes; cycles are never deleted.';
CREATE OR REPLACE TRIGGER cycles_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.cycles
    FOR EACH ROW EXECUTE FUNCTION nps._cycles_guard();

CREATE OR REPLACE FUNCTION nps._cycle(name text) RETURNS nps.cycles
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.name = _cycle.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle "%" does not exist', left(_cycle.name, 200)
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name FROM nps.cycles lists the cycles; nps.start_cycle starts one.';
    END IF;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION nps._cycle(text) IS 'Internal: the cycle of that name, or a 42704 error.';

CREATE OR REPLACE FUNCTION nps.start_cycle(name text, opens_at timestamptz DEFAULT now(), closes_at timestamptz DEFAULT NULL,
                                           min_responses integer DEFAULT NULL, promoter_min integer DEFAULT NULL,
                                           detractor_max integer DEFAULT NULL, owner text DEFAULT NULL,
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
    IF nps._blank(start_cycle.name) THEN
        RAISE EXCEPTION 'a cycle needs a name'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name it after its wave, e.g. nps.start_cycle(''2026-Q4'').';
    END IF;
    PERFORM nps._text('cycle name', start_cycle.name, 'name');
    IF EXISTS (SELECT 1 FROM nps.cycles x WHERE x.name = start_cycle.name) THEN
        RAISE EXCEPTION 'cycle "%" already exists', start_cycle.name
            USING ERRCODE = 'unique_violation', HINT = 'Give the new cycle another name.';
    END IF;
    IF invitations < 0 THEN
        RAISE EXCEPTION 'invitations sent must be a count of 0 or more, not %', invitations
            USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Pass how many invitations went out.';
    END IF;
    r := nps.start_run(cfg.cycle_template, owner => owner, title => 'NPS cycle ' || start_cycle.name,
                       subject => jsonb_build_object('type', 'cycle', 'id', start_cycle.name));
    INSERT INTO nps.cycles (name, run_id, promoter_min, detractor_max, opens_at, closes_at, min_responses, invitations, created_by)
    VALUES (start_cycle.name, r.id, coalesce(start_cycle.promoter_min, cfg.promoter_min),
            coalesce(start_cycle.detractor_max, cfg.detractor_max), coalesce(start_cycle.opens_at, now()),
            coalesce(start_cycle.closes_at, coalesce(start_cycle.opens_at, now()) + make_interval(days => cfg.window_days)),
            coalesce(start_cycle.min_responses, cfg.min_responses), coalesce(start_cycle.invitations, 0), '')
    RETURNING * INTO c;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION nps.start_cycle(text, timestamptz, timestamptz, integer, integer, integer, text, integer) IS
    'Start an NPS cycle: a run of the cycle template owned by you (or by owner, when you are their lead or an nps_admin), with the organization''s bands frozen on it (or the ones given), the response window [opens_at, closes_at) (default: settings.window_days from now) and the responses needed to close intake. Returns the cycle.';

CREATE OR REPLACE FUNCTION nps.cycle_step(cycle text, key text) RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    SELECT s.id INTO id FROM nps.steps s WHERE s.run_id = (nps._cycle(cycle_step.cycle)).run_id AND s.key = cycle_step.key;
    IF id IS NULL THEN
        RAISE EXCEPTION 'cycle "%" has no step "%"', cycle_step.cycle, left(cycle_step.key, 200)
            USING ERRCODE = 'undefined_object',
                  HINT = 'The cycle template''s steps are intake, segmentation, root_cause, action_plan, outreach, close.';
    END IF;
    RETURN id;
END;
$$;
COMMENT ON FUNCTION nps.cycle_step(text, text) IS
    'The id of a cycle''s step by its key (intake, segmentation, root_cause, action_plan, outreach, close), for nps.complete_step, nps.request_approval …; 42704 for an unknown cycle or key.';
