-- pg_nps audit trail, capture: the trigger every audited table carries, nps.enable_audit and
-- nps.disable_audit, which register a table and attach it (each module registers its own tables
-- in its schema file), and the guard against dropping the trail with the extension.

CREATE OR REPLACE FUNCTION nps._audit_capture() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'nps_audit_capture';
COMMENT ON FUNCTION nps._audit_capture() IS
    'Trigger (AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW): appends the change to the audit trail. Argument: the column holding the row''s run id (none: the row chains per table). Refuses (NP010) a table not registered in nps.audit_registry, or another run column than registered. Attached by nps.enable_audit only.';

CREATE OR REPLACE FUNCTION nps._audit_no_truncate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE of %.% is refused: it would remove rows without an audit entry', TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'NP010',
              HINT = 'DELETE the rows instead (each deletion is recorded), or stop auditing the table first (nps.disable_audit).';
END;
$$;
COMMENT ON FUNCTION nps._audit_no_truncate() IS 'Trigger: refuses (NP010) TRUNCATE of an audited table, which row triggers cannot record.';

CREATE OR REPLACE FUNCTION nps._audit_registry_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'nps_audit_registry_changed';
COMMENT ON FUNCTION nps._audit_registry_changed() IS
    'Trigger (statement): the audit registry changed; the capture looks its tables up again.';
CREATE OR REPLACE TRIGGER audit_registry_changed AFTER INSERT OR UPDATE OR DELETE ON nps.audit_registry
    FOR EACH STATEMENT EXECUTE FUNCTION nps._audit_registry_changed();

CREATE OR REPLACE VIEW nps.audited_tables AS
SELECT g.table_name, g.run_column,
       coalesce((SELECT t.tgenabled <> 'D' FROM pg_catalog.pg_trigger t
                 WHERE t.tgrelid = g.table_name AND t.tgname = 'audit_capture'
                   AND t.tgfoid = 'nps._audit_capture()'::regprocedure), false) AS enabled,
       g.registered_at, g.registered_by
FROM nps.audit_registry g;
COMMENT ON VIEW nps.audited_tables IS 'Tables whose changes are captured into nps.audit_log (nps.audit_registry), and whether their capture trigger fires.';
COMMENT ON COLUMN nps.audited_tables.table_name IS 'The audited table.';
COMMENT ON COLUMN nps.audited_tables.run_column IS 'Column holding the run a row belongs to (its changes join that run''s chain); NULL: the table''s own chain.';
COMMENT ON COLUMN nps.audited_tables.enabled IS 'false when the capture trigger is missing or was disabled (ALTER TABLE … DISABLE TRIGGER): changes then go unrecorded.';
COMMENT ON COLUMN nps.audited_tables.registered_at IS 'When auditing started.';
COMMENT ON COLUMN nps.audited_tables.registered_by IS 'Who started it.';

CREATE OR REPLACE FUNCTION nps.enable_audit(tab regclass, run_column name DEFAULT NULL) RETURNS nps.audited_tables
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col_type regtype;
    rel      pg_class;
    ours     boolean;
    who      text;
    result   nps.audited_tables;
BEGIN
    SELECT * INTO rel FROM pg_class c WHERE c.oid = tab;
    ours := rel.relnamespace = 'nps'::regnamespace;
    IF NOT nps._installing() AND NOT pg_has_role(nps._outer_role(), rel.relowner, 'USAGE') THEN
        RAISE EXCEPTION 'only the owner of table % may audit it', tab
            USING ERRCODE = 'insufficient_privilege', HINT = 'Ask the table''s owner, who must hold nps_admin.';
    END IF;
    IF rel.relpersistence = 't' THEN
        RAISE EXCEPTION 'table % is temporary and cannot be audited', tab
            USING ERRCODE = 'wrong_object_type', HINT = 'A temporary table vanishes with its session; the trail keeps what lasts.';
    END IF;
    IF ours AND NOT nps._installing() THEN
        RAISE EXCEPTION 'table % belongs to pg_nps, which audits it itself', tab
            USING ERRCODE = 'insufficient_privilege', HINT = 'Its registration comes with the extension (nps.audited_tables).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = tab AND i.indisprimary) THEN
        RAISE EXCEPTION 'table % has no primary key', tab
            USING ERRCODE = 'invalid_table_definition',
                  HINT = 'Audit entries name rows by their primary key: add one, then enable auditing.';
    END IF;
    IF run_column IS NOT NULL THEN
        IF NOT ours THEN
            RAISE EXCEPTION 'table % is not pg_nps''s own: its changes cannot join a run''s chain', tab
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'Leave run_column NULL: your table gets a chain of its own, which nobody can pass off as a run''s history.';
        END IF;
        SELECT a.atttypid::regtype INTO col_type FROM pg_attribute a
        WHERE a.attrelid = tab AND a.attname = run_column AND a.attnum > 0 AND NOT a.attisdropped;
        IF col_type IS NULL THEN
            RAISE EXCEPTION 'column "%" of table % does not exist', run_column, tab
                USING ERRCODE = 'undefined_column',
                      HINT = 'Name the column that holds the run id, or leave run_column NULL to chain the table on its own.';
        ELSIF col_type NOT IN ('bigint'::regtype, 'integer'::regtype) THEN
            RAISE EXCEPTION 'column "%" of table % is %, not an integer run id', run_column, tab, col_type
                USING ERRCODE = 'datatype_mismatch',
                      HINT = 'The run column must be bigint or integer (a nps.runs id).';
        END IF;
    END IF;
    -- The person registering (the engine's nps.current_actor); the install script registers as pg_nps.
    IF nps._installing() THEN
        who := 'pg_nps';
    ELSE
        who := nps.current_actor();
    END IF;
    INSERT INTO nps.audit_registry AS g (table_name, run_column, registered_by, shipped)
    VALUES (tab, run_column, who, nps._installing())
    ON CONFLICT (table_name) DO UPDATE SET run_column = EXCLUDED.run_column
        WHERE g.run_column IS DISTINCT FROM EXCLUDED.run_column;
    EXECUTE format('DROP TRIGGER IF EXISTS audit_capture ON %s', tab);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_no_truncate ON %s', tab);
    IF run_column IS NULL THEN
        EXECUTE format('CREATE TRIGGER audit_capture AFTER INSERT OR UPDATE OR DELETE ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION nps._audit_capture()', tab);
    ELSE
        EXECUTE format('CREATE TRIGGER audit_capture AFTER INSERT OR UPDATE OR DELETE ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION nps._audit_capture(%L)', tab, run_column);
    END IF;
    EXECUTE format('CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION nps._audit_no_truncate()', tab);
    SELECT * INTO result FROM nps.audited_tables a WHERE a.table_name = tab;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION nps.enable_audit(regclass, name) IS
    'Capture every change of a table of yours into nps.audit_log in a chain of its own (and refuse TRUNCATE of it); registers it in nps.audit_registry. Not for temporary tables; only pg_nps''s own tables join run chains (run_column). Idempotent; needs nps_admin and the table''s ownership. Returns the nps.audited_tables row.';

CREATE OR REPLACE FUNCTION nps.disable_audit(tab regclass) RETURNS nps.audited_tables
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result nps.audited_tables;
BEGIN
    SELECT * INTO result FROM nps.audited_tables a WHERE a.table_name = tab;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not audited', tab
            USING ERRCODE = 'undefined_object', HINT = 'nps.audited_tables lists the audited tables.';
    END IF;
    IF (SELECT c.relnamespace = 'nps'::regnamespace FROM pg_class c WHERE c.oid = tab) THEN
        RAISE EXCEPTION 'table % belongs to pg_nps, whose tables are always audited', tab
            USING ERRCODE = 'insufficient_privilege', HINT = 'Its audit comes with the extension.';
    END IF;
    IF NOT pg_has_role(nps._outer_role(), (SELECT c.relowner FROM pg_class c WHERE c.oid = tab), 'USAGE') THEN
        RAISE EXCEPTION 'only the owner of table % may stop auditing it', tab
            USING ERRCODE = 'insufficient_privilege', HINT = 'Ask the table''s owner.';
    END IF;
    EXECUTE format('DROP TRIGGER IF EXISTS audit_capture ON %s', tab);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_no_truncate ON %s', tab);
    DELETE FROM nps.audit_registry g WHERE g.table_name = tab;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION nps.disable_audit(regclass) IS
    'Stop capturing a table of yours (nps_admin, its owner); its chain stays as recorded, and the registry''s own audit trail records the stop. pg_nps''s own tables are always audited. Returns the row nps.audited_tables had.';

-- DROP EXTENSION pg_nps (or DROP OWNED BY its owner) discards the audit trail: refused while it
-- holds entries, unless the session confirmed it (SET nps.drop_audit_trail = 'discard').
CREATE OR REPLACE FUNCTION nps._drop_guard() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'nps_drop_guard';
COMMENT ON FUNCTION nps._drop_guard() IS
    'Event trigger (ddl_command_start): refuses (NP010) DROP EXTENSION pg_nps and DROP OWNED BY its owner while the audit trail holds entries, unless SET nps.drop_audit_trail = ''discard'' confirms it.';
DROP EVENT TRIGGER IF EXISTS pg_nps_drop_guard;
CREATE EVENT TRIGGER pg_nps_drop_guard ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP OWNED')
    EXECUTE FUNCTION nps._drop_guard();
COMMENT ON EVENT TRIGGER pg_nps_drop_guard IS 'Keeps DROP EXTENSION pg_nps from discarding the audit trail unannounced (nps._drop_guard()).';
