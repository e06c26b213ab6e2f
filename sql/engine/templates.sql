-- pg_nps workflow engine, templates: validation, versions, import and export.

-------------------------------------------------------------------------------------------------
-- Templates
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._templates_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    latest integer;
BEGIN
    IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM nps.runs r WHERE r.template_id = OLD.id) THEN
        PERFORM nps._immutable(format('template %s version %s is used by a run and', OLD.name, OLD.version),
                               to_jsonb(OLD), to_jsonb(NEW), '{name,version,definition,description}',
                               'Import a new version instead: nps.import_template(definition).');
    END IF;
    NEW.definition := nps._template_normalize(NEW.definition);
    NEW.name := NEW.definition ->> 'name';
    NEW.description := coalesce(NEW.definition ->> 'description', '');
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
        NEW.created_by := current_user;
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
    END IF;
    NEW.definition := jsonb_set(NEW.definition, '{version}', to_jsonb(NEW.version));
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._templates_guard() IS
    'Trigger: validates and normalizes template definitions, assigns versions, refuses changes to a version a run uses.';
CREATE TRIGGER templates_guard BEFORE INSERT OR UPDATE ON nps.templates
    FOR EACH ROW EXECUTE FUNCTION nps._templates_guard();

CREATE FUNCTION nps.import_template(definition jsonb) RETURNS nps.templates
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.templates (name, version, definition) VALUES ('', 1, definition) RETURNING *;
END;
COMMENT ON FUNCTION nps.import_template(jsonb) IS
    'Validate a template definition and store it as a new version; returns the stored row. Errors (NP008) name the JSON path, e.g. steps[2].tasks[0].due.';

CREATE FUNCTION nps.export_template(name text, version integer DEFAULT NULL) RETURNS jsonb
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
        RAISE EXCEPTION 'template "%"% does not exist', name, coalesce(' version ' || version, '')
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name, version FROM nps.templates lists them.';
    END IF;
    RETURN d;
END;
$$;
COMMENT ON FUNCTION nps.export_template(text, integer) IS
    'The normalized JSON of a template version (default: the latest); importing it again gives an identical definition.';

-------------------------------------------------------------------------------------------------
-- Shipped templates (templates/*.json, compiled into the library)
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._shipped_templates() RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_shipped_templates';
COMMENT ON FUNCTION nps._shipped_templates() IS
    'Internal: the template definitions shipped in templates/*.json, as a JSON array, imported by CREATE EXTENSION.';
