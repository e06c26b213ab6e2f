-- pg_nps audit trail, capture: the trigger every audited table carries and nps.enable_audit,
-- which attaches it. Each module registers its own tables in its schema file.

-------------------------------------------------------------------------------------------------
-- Capture
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._audit_capture() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'nps_audit_capture';
COMMENT ON FUNCTION nps._audit_capture() IS
    'Trigger (AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW): appends the change to the audit trail. Argument: the column holding the row''s run id (none: the row chains per table). Attach with nps.enable_audit.';

CREATE FUNCTION nps._audit_no_truncate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE of %.% is refused: it would remove rows without an audit entry', TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'NP010',
              HINT = 'DELETE the rows instead (each deletion is recorded), or stop auditing the table first.';
END;
$$;
COMMENT ON FUNCTION nps._audit_no_truncate() IS 'Trigger: refuses (NP010) TRUNCATE of an audited table, which row triggers cannot record.';

CREATE VIEW nps.audited_tables AS
SELECT t.tgrelid::regclass AS table_name,
       CASE WHEN t.tgnargs > 0
            THEN convert_from(substring(t.tgargs FROM 1 FOR position('\x00'::bytea IN t.tgargs) - 1), 'UTF8')::name
       END AS run_column,
       t.tgenabled <> 'D' AS enabled
FROM pg_catalog.pg_trigger t
WHERE t.tgfoid = 'nps._audit_capture()'::regprocedure AND NOT t.tgisinternal;
COMMENT ON VIEW nps.audited_tables IS 'Tables whose changes are captured into nps.audit_log.';
COMMENT ON COLUMN nps.audited_tables.table_name IS 'The audited table.';
COMMENT ON COLUMN nps.audited_tables.run_column IS 'Column holding the run a row belongs to (its changes join that run''s chain); NULL: the table''s own chain.';
COMMENT ON COLUMN nps.audited_tables.enabled IS 'false when the capture trigger was disabled (ALTER TABLE … DISABLE TRIGGER): changes then go unrecorded.';

CREATE FUNCTION nps.enable_audit(tab regclass, run_column name DEFAULT NULL) RETURNS nps.audited_tables
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col_type regtype;
    result   nps.audited_tables;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = tab AND i.indisprimary) THEN
        RAISE EXCEPTION 'table % has no primary key', tab
            USING ERRCODE = 'invalid_table_definition',
                  HINT = 'Audit entries name rows by their primary key: add one, then enable auditing.';
    END IF;
    IF run_column IS NOT NULL THEN
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
    'Capture every change of a table into nps.audit_log (and refuse TRUNCATE of it). run_column names the column holding the run id, so the table''s changes join their run''s chain. Idempotent; needs the table''s owner. Returns the nps.audited_tables row.';
