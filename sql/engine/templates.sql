-- pg_nps workflow engine, templates: validation, versions, import and export, and the hooks
-- every version of a hooked template must keep.

CREATE OR REPLACE FUNCTION nps._templates_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    latest integer;
    h      record;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.templates', 'nps._templates_guard()');
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM nps.runs r WHERE r.template_id = OLD.id) THEN
            RAISE EXCEPTION 'template % version % is used by a run and cannot be deleted', OLD.name, OLD.version
                USING ERRCODE = 'NP009', HINT = 'Versions a run follows stay; import a new version for new runs.';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM nps.runs r WHERE r.template_id = OLD.id) THEN
        PERFORM nps._immutable(format('template %s version %s is used by a run and', OLD.name, OLD.version),
                               to_jsonb(OLD), to_jsonb(NEW), '{name,version,definition,description}',
                               'Import a new version instead: nps.import_template(definition).');
    END IF;
    NEW.definition := nps._template_normalize(NEW.definition);
    NEW.name := NEW.definition ->> 'name';
    NEW.description := coalesce(NEW.definition ->> 'description', '');
    IF TG_OP = 'INSERT' AND NEW.id <= 1000 AND NOT nps._installing() THEN
        RAISE EXCEPTION 'template ids up to 1000 are the shipped templates'', not % for "%"', NEW.id, NEW.definition ->> 'name'
            USING ERRCODE = 'NP009', HINT = 'Import templates with nps.import_template; their ids are assigned.';
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
        NEW.created_by := CASE WHEN nps._installing() THEN 'pg_nps' ELSE nps.current_actor() END;
        -- One import of a name at a time, so version numbers are assigned without gaps or races.
        PERFORM pg_advisory_xact_lock(hashtext('nps.templates'), hashtext(NEW.name));
        SELECT max(t.version) INTO latest FROM nps.templates t WHERE t.name = NEW.name;
        IF NEW.definition ? 'version' THEN
            NEW.version := (NEW.definition ->> 'version')::integer;
            IF NEW.version <= coalesce(latest, 0) THEN
                RAISE EXCEPTION 'template "%" version % already exists or is older than version %',
                        NEW.name, NEW.version, latest
                    USING ERRCODE = 'NP009',
                          HINT = 'Leave "version" out to get the next version number.';
            END IF;
        ELSE
            NEW.version := coalesce(latest, 0) + 1;
        END IF;
    ELSE
        NEW.created_at := OLD.created_at;
        NEW.created_by := OLD.created_by;
    END IF;
    NEW.definition := jsonb_set(NEW.definition, '{version}', to_jsonb(NEW.version));
    -- A module plugged into this template relies on some of its steps: every version keeps them.
    FOR h IN SELECT DISTINCT k.step_key, k.needs, k.module FROM nps.hooks k WHERE k.template = NEW.name ORDER BY 1 LOOP
        PERFORM nps._hook_holds(NEW.definition, h.step_key, h.needs, h.module);
    END LOOP;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._templates_guard() IS
    'Trigger: validates and normalizes template definitions, assigns versions, refuses changes to (and deletion of) a version a run uses, and a version that lacks a step a module''s hook needs (NP008).';
CREATE OR REPLACE TRIGGER templates_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.templates
    FOR EACH ROW EXECUTE FUNCTION nps._templates_guard();

CREATE OR REPLACE FUNCTION nps._hook_holds(definition jsonb, step_key text, needs text, module text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s jsonb;
BEGIN
    SELECT x INTO s FROM jsonb_array_elements(definition -> 'steps') x WHERE x ->> 'key' = step_key;
    IF s IS NULL THEN
        RAISE EXCEPTION 'invalid template at steps: template "%" has no step "%", which the % module plugs into',
                definition ->> 'name', step_key, module
            USING ERRCODE = 'NP008', HINT = format('Keep a step with key "%s" in every version of the template.', step_key);
    ELSIF needs = 'checkpoint' AND NOT coalesce((s ->> 'checkpoint')::boolean, false) THEN
        RAISE EXCEPTION 'invalid template at steps: step "%" of template "%" must be a checkpoint for the % module',
                step_key, definition ->> 'name', module
            USING ERRCODE = 'NP008', HINT = 'Mark it "checkpoint": true, with its evidence.';
    ELSIF needs = 'approval' AND NOT s ? 'approval' THEN
        RAISE EXCEPTION 'invalid template at steps: step "%" of template "%" must be an approval gate for the % module',
                step_key, definition ->> 'name', module
            USING ERRCODE = 'NP008', HINT = 'Give it an "approval": {"role": …, "min_approvers": …}.';
    END IF;
END;
$$;
COMMENT ON FUNCTION nps._hook_holds(jsonb, text, text, text) IS
    'Internal: refuse (NP008) a template definition without the step a hook needs, or whose step is not the checkpoint or approval gate the hook needs.';

CREATE OR REPLACE FUNCTION nps.import_template(definition jsonb) RETURNS nps.templates
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.templates (name, version, definition) VALUES ('', 1, definition) RETURNING *;
END;
COMMENT ON FUNCTION nps.import_template(jsonb) IS
    'Validate a template definition and store it as a new version; returns the stored row. Errors (NP008) name the JSON path, e.g. steps[2].tasks[0].due.';

CREATE OR REPLACE FUNCTION nps.export_template(name text, version integer DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d jsonb;
BEGIN
    SELECT t.definition INTO d FROM nps.templates t
    WHERE t.name = export_template.name AND (export_template.version IS NULL OR t.version = export_template.version)
    ORDER BY t.version DESC LIMIT 1;
    IF d IS NULL THEN
        RAISE EXCEPTION 'template "%"% does not exist', left(name, 200), coalesce(' version ' || version, '')
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name, version FROM nps.templates lists them.';
    END IF;
    RETURN d;
END;
$$;
COMMENT ON FUNCTION nps.export_template(text, integer) IS
    'The normalized JSON of a template version (default: the latest); importing it again gives an identical definition.';

CREATE OR REPLACE FUNCTION nps._shipped_templates() RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_shipped_templates';
COMMENT ON FUNCTION nps._shipped_templates() IS
    'Internal: the template definitions shipped in templates/*.json, as a JSON array, imported by CREATE EXTENSION.';
