-- pg_nps audit trail: every change of an audited table, recorded in the same transaction, in
-- append-only hash chains (one per run; rows outside runs chain per table). See docs/audit.md.
--
-- Capture, the append-only guard and verification are Rust (src/audit/); hashing and canonical
-- JSON are nps-core (crates/nps-core/src/audit.rs, canonical.rs).

CREATE TYPE nps.audit_op AS ENUM ('INSERT', 'UPDATE', 'DELETE');
COMMENT ON TYPE nps.audit_op IS 'The kind of change an audit entry records.';

-------------------------------------------------------------------------------------------------
-- The log and the chain heads
-------------------------------------------------------------------------------------------------
CREATE SEQUENCE nps.audit_log_id_seq AS bigint;
COMMENT ON SEQUENCE nps.audit_log_id_seq IS 'Entry ids of nps.audit_log, taken by the capture path.';

CREATE TABLE nps.audit_log (
    id                bigint PRIMARY KEY,
    chain             text COLLATE "C" NOT NULL,
    pos               bigint NOT NULL CHECK (pos >= 1),
    run_id            bigint,
    xid               xid8 NOT NULL,
    at                timestamptz NOT NULL,
    table_name        text NOT NULL,
    op                nps.audit_op NOT NULL,
    pk                jsonb NOT NULL,
    old               jsonb,
    new               jsonb,
    session_user_name name NOT NULL,
    current_user_name name NOT NULL,
    actor             text,
    client_addr       inet,
    reason            text,
    prev_hash         bytea NOT NULL,
    hash              bytea NOT NULL,
    UNIQUE (chain, pos),
    -- Only what ties the operation to its row images: every CHECK is re-read from the catalog
    -- for each capture's INSERT, and the hashes cover the rest (a 31-byte hash does not verify).
    CHECK ((op = 'INSERT') = (old IS NULL) AND (op = 'DELETE') = (new IS NULL))
);
ALTER SEQUENCE nps.audit_log_id_seq OWNED BY nps.audit_log.id;
-- Entries arrive in time order, so a BRIN index answers "what happened between t1 and t2" from a
-- few pages of summary.
CREATE INDEX audit_log_at ON nps.audit_log USING brin (at);
COMMENT ON TABLE nps.audit_log IS
    'Append-only audit trail: one entry per changed row of an audited table, written in the same transaction by the capture trigger. Entries form sha256 hash chains per run (per table outside runs); nps.verify_audit() checks them. Readable by nps_auditor only; UPDATE, DELETE and TRUNCATE are refused for everyone (P0N10).';
COMMENT ON COLUMN nps.audit_log.id IS 'Global sequence number of the entry, in capture order.';
COMMENT ON COLUMN nps.audit_log.chain IS 'The hash chain: ''run:<id>'' for rows that belong to a run, ''table:<schema.table>'' otherwise.';
COMMENT ON COLUMN nps.audit_log.pos IS 'Position in the chain, 1, 2, 3 … without gaps.';
COMMENT ON COLUMN nps.audit_log.run_id IS 'The run the changed row belongs to (NULL outside runs).';
COMMENT ON COLUMN nps.audit_log.xid IS 'Top-level transaction id of the change (entries of one transaction share it).';
COMMENT ON COLUMN nps.audit_log.at IS 'When the change was captured (clock time, so entries of one transaction are ordered).';
COMMENT ON COLUMN nps.audit_log.table_name IS 'The changed table, schema-qualified.';
COMMENT ON COLUMN nps.audit_log.op IS 'INSERT, UPDATE or DELETE.';
COMMENT ON COLUMN nps.audit_log.pk IS 'The changed row''s primary key, {"column": value}.';
COMMENT ON COLUMN nps.audit_log.old IS 'DELETE: the deleted row. UPDATE: the old values of the changed columns only. NULL for INSERT.';
COMMENT ON COLUMN nps.audit_log.new IS 'INSERT: the inserted row. UPDATE: the new values of the changed columns only. NULL for DELETE.';
COMMENT ON COLUMN nps.audit_log.session_user_name IS 'The login role of the session (session_user).';
COMMENT ON COLUMN nps.audit_log.current_user_name IS 'The role whose privileges made the change (current_user; the definer inside SECURITY DEFINER functions).';
COMMENT ON COLUMN nps.audit_log.actor IS 'Application actor, from the nps.actor setting (SET nps.actor = ''carol@example.com''), for apps that connect with one login.';
COMMENT ON COLUMN nps.audit_log.client_addr IS 'Client IP address (NULL over a Unix socket).';
COMMENT ON COLUMN nps.audit_log.reason IS 'Why: the reason the change carried (a reason or *_reason column it set), else the nps.reason setting.';
COMMENT ON COLUMN nps.audit_log.prev_hash IS 'Hash of the previous entry of the chain (32 zero bytes for the first).';
COMMENT ON COLUMN nps.audit_log.hash IS 'sha256(prev_hash || canonical JSON of the entry''s other columns); see docs/audit.md.';

CREATE TABLE nps.audit_chains (
    chain  text COLLATE "C" PRIMARY KEY,
    run_id bigint,
    pos    bigint NOT NULL CHECK (pos >= 0),
    hash   bytea NOT NULL CHECK (octet_length(hash) = 32)
);
COMMENT ON TABLE nps.audit_chains IS
    'The head of each audit chain. Its row lock orders appends to one chain (work on different runs never waits on each other); nps.audit_heads() exports it. Changed only by the capture path.';
COMMENT ON COLUMN nps.audit_chains.chain IS 'The chain, as in nps.audit_log.chain.';
COMMENT ON COLUMN nps.audit_chains.run_id IS 'The chain''s run (NULL for table chains).';
COMMENT ON COLUMN nps.audit_chains.pos IS 'Position of the chain''s last committed entry (recorded when the appending transaction commits).';
COMMENT ON COLUMN nps.audit_chains.hash IS 'Hash of the chain''s last committed entry (32 zero bytes before the first).';

-------------------------------------------------------------------------------------------------
-- Append-only: guard triggers that fire for everyone (ENABLE ALWAYS: also in replica mode),
-- plus privileges: nobody holds UPDATE, DELETE or TRUNCATE, not even the owner.
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._audit_append_only() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'nps_audit_append_only';
COMMENT ON FUNCTION nps._audit_append_only() IS
    'Trigger: refuses (P0N10) every change of nps.audit_log and nps.audit_chains except the capture path''s appends and rows restored in replica mode.';
CREATE TRIGGER audit_log_append_only BEFORE INSERT OR UPDATE OR DELETE ON nps.audit_log
    FOR EACH ROW EXECUTE FUNCTION nps._audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON nps.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION nps._audit_append_only();
CREATE TRIGGER audit_chains_append_only BEFORE INSERT OR UPDATE OR DELETE ON nps.audit_chains
    FOR EACH ROW EXECUTE FUNCTION nps._audit_append_only();
CREATE TRIGGER audit_chains_no_truncate BEFORE TRUNCATE ON nps.audit_chains
    FOR EACH STATEMENT EXECUTE FUNCTION nps._audit_append_only();
ALTER TABLE nps.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
ALTER TABLE nps.audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;
ALTER TABLE nps.audit_chains ENABLE ALWAYS TRIGGER audit_chains_append_only;
ALTER TABLE nps.audit_chains ENABLE ALWAYS TRIGGER audit_chains_no_truncate;
REVOKE ALL ON nps.audit_log, nps.audit_chains, nps.audit_log_id_seq FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON nps.audit_log, nps.audit_chains FROM CURRENT_USER;

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
        USING ERRCODE = 'P0N10',
              HINT = 'DELETE the rows instead (each deletion is recorded), or stop auditing the table first.';
END;
$$;
COMMENT ON FUNCTION nps._audit_no_truncate() IS 'Trigger: refuses (P0N10) TRUNCATE of an audited table, which row triggers cannot record.';

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

-- The process tables. The trigger is named audit_capture, which sorts before the workflow's own
-- AFTER triggers: a change is recorded before the changes it causes.
SELECT nps.enable_audit('nps.templates');
SELECT nps.enable_audit('nps.holidays');
SELECT nps.enable_audit('nps.runs', 'id');
SELECT nps.enable_audit('nps.steps', 'run_id');
SELECT nps.enable_audit('nps.tasks', 'run_id');
SELECT nps.enable_audit('nps.approvals', 'run_id');
SELECT nps.enable_audit('nps.approval_decisions', 'run_id');

-------------------------------------------------------------------------------------------------
-- Verification and heads
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._audit_verify(chain text, heads jsonb) RETURNS jsonb
    LANGUAGE c VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_audit_verify';
COMMENT ON FUNCTION nps._audit_verify(text, jsonb) IS 'Internal: the chain walk behind nps.verify_audit, as a JSON array.';

CREATE FUNCTION nps._audit_flush_heads() RETURNS void
    LANGUAGE c VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_audit_flush_heads';
COMMENT ON FUNCTION nps._audit_flush_heads() IS
    'Internal: record the heads of the chains the current transaction appended to (otherwise done at commit).';

CREATE FUNCTION nps.audit_heads()
    RETURNS TABLE (chain text, run_id bigint, pos bigint, hash text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._audit_flush_heads();
    RETURN QUERY
    SELECT c.chain, c.run_id, c.pos, encode(c.hash, 'hex') FROM nps.audit_chains c WHERE c.pos > 0 ORDER BY c.chain;
END;
$$;
COMMENT ON FUNCTION nps.audit_heads() IS
    'The head (last position and its hash) of every audit chain. Store them outside the database (SELECT jsonb_agg(h) FROM nps.audit_heads() h) and pass them to nps.verify_audit later: a chain cut short or rewritten since no longer matches.';

CREATE FUNCTION nps.verify_audit(run bigint DEFAULT NULL, heads jsonb DEFAULT NULL)
    RETURNS TABLE (chain text, run_id bigint, entries bigint, ok boolean, problem text,
                   broken_pos bigint, broken_entry bigint, detail text, head_pos bigint, head_hash text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF run IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = run)
       AND NOT EXISTS (SELECT 1 FROM nps.audit_chains c WHERE c.chain = 'run:' || run) THEN
        RAISE EXCEPTION 'run % does not exist', run
            USING ERRCODE = 'undefined_object', HINT = 'Leave run NULL to verify every chain.';
    END IF;
    RETURN QUERY
    SELECT v.chain, v.run_id, v.entries, v.ok, v.problem, v.broken_pos, v.broken_entry, v.detail, v.head_pos, v.head_hash
    FROM jsonb_to_recordset(nps._audit_verify(CASE WHEN run IS NOT NULL THEN 'run:' || run END, heads))
         AS v(chain text, run_id bigint, entries bigint, ok boolean, problem text,
              broken_pos bigint, broken_entry bigint, detail text, head_pos bigint, head_hash text);
END;
$$;
COMMENT ON FUNCTION nps.verify_audit(bigint, jsonb) IS
    'Walk the audit chains (one run''s, or all) and recompute every hash. One row per chain: entries checked, ok, and the first broken link: problem (altered, missing, broken_link, truncated, rewritten, unrecorded), its position and entry, and a detail. heads: the output of nps.audit_heads() stored earlier (as a JSON array), to detect a removed tail or a re-hashed rewrite.';

-------------------------------------------------------------------------------------------------
-- Reading: a run's timeline
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._audit_object(table_name text, pk jsonb, label text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT regexp_replace(replace(split_part(table_name, '.', 2), '_', ' '), 's$', '')
           || ' #' || coalesce(pk ->> 'id', pk::text)
           || coalesce(' "' || label || '"', '');
END;
COMMENT ON FUNCTION nps._audit_object(text, jsonb, text) IS 'Internal: how run_history names a row, e.g. task #12 "First contact".';

CREATE FUNCTION nps._audit_changes(old jsonb, new jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT string_agg(format('%s: %s → %s', n.key,
                             coalesce(old -> n.key #>> '{}', '∅'), coalesce(n.value #>> '{}', '∅')),
                      '; ' ORDER BY n.key)
    FROM jsonb_each(new) AS n;
END;
COMMENT ON FUNCTION nps._audit_changes(jsonb, jsonb) IS 'Internal: an UPDATE''s changed columns as "column: old → new; …".';

CREATE FUNCTION nps.run_history(run bigint, include_children boolean DEFAULT false)
    RETURNS TABLE (run_id bigint, pos bigint, at timestamptz, who text, action text, object text,
                   changes text, reason text, entry_id bigint)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = run) THEN
        RAISE EXCEPTION 'run % does not exist', run
            USING ERRCODE = 'undefined_object', HINT = 'SELECT id, title FROM nps.runs lists the runs.';
    END IF;
    RETURN QUERY
    WITH RECURSIVE runs AS (
        SELECT run AS id
        UNION
        SELECT r.id FROM nps.runs r JOIN runs p ON r.parent_run_id = p.id WHERE include_children
    ),
    e AS (
        SELECT l.* FROM runs JOIN nps.audit_log l ON l.chain = 'run:' || runs.id
    ),
    labels AS (
        SELECT e.table_name, e.pk, coalesce(e.new ->> 'title', e.new ->> 'name', e.new ->> 'key') AS label
        FROM e WHERE e.op = 'INSERT'
    )
    SELECT e.run_id, e.pos, e.at,
           e.current_user_name::text
             || CASE WHEN e.actor IS NOT NULL THEN ' (' || e.actor || ')' ELSE '' END
             || CASE WHEN e.session_user_name <> e.current_user_name THEN ' via ' || e.session_user_name ELSE '' END,
           CASE e.op WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END,
           nps._audit_object(e.table_name, e.pk, lb.label),
           CASE WHEN e.op = 'UPDATE' THEN nps._audit_changes(e.old, e.new) END,
           e.reason, e.id
    FROM e LEFT JOIN labels lb ON lb.table_name = e.table_name AND lb.pk = e.pk
    ORDER BY e.at, e.run_id, e.pos;
END;
$$;
COMMENT ON FUNCTION nps.run_history(bigint, boolean) IS
    'A run''s timeline from the audit trail: when, who (role, application actor, login), what (created / changed / deleted which row, old → new per column) and why. include_children adds the runs started under it (e.g. a cycle''s detractor projects).';

-------------------------------------------------------------------------------------------------
-- pg_dump keeps the process data and the whole trail, so a restored database still verifies.
-- Shipped templates (ids up to 1000) are recreated by CREATE EXTENSION itself.
-------------------------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('nps.templates', 'WHERE id > 1000');
SELECT pg_catalog.pg_extension_config_dump('nps.holidays', '');
SELECT pg_catalog.pg_extension_config_dump('nps.runs', '');
SELECT pg_catalog.pg_extension_config_dump('nps.steps', '');
SELECT pg_catalog.pg_extension_config_dump('nps.tasks', '');
SELECT pg_catalog.pg_extension_config_dump('nps.approvals', '');
SELECT pg_catalog.pg_extension_config_dump('nps.approval_decisions', '');
SELECT pg_catalog.pg_extension_config_dump('nps.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('nps.audit_chains', '');
SELECT pg_catalog.pg_extension_config_dump('nps.audit_log_id_seq', '');
-- The id sequences behind the identity columns, so restored tables continue where they were.
-- (One statement each: every call rewrites the extension's catalog row.)
SELECT pg_catalog.pg_extension_config_dump('nps.templates_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.steps_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.tasks_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.approvals_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.approval_decisions_id_seq', '');
