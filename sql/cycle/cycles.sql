-- pg_nps NPS cycle: settings, cycles (each a run of the cycle template, with its bands frozen at
-- start) and finding a cycle's steps.

-------------------------------------------------------------------------------------------------
-- Settings: one row per database (one organization); absent means the defaults
-------------------------------------------------------------------------------------------------
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
-- Cycles
-------------------------------------------------------------------------------------------------
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
-- Invitations
-------------------------------------------------------------------------------------------------
-- pg_nps intake: invitations, bulk loading through a staging table, closing intake (the first
-- checkpoint), and the daily rollups trends read. See docs/nps-cycle.md.

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
