-- pg_nps audit trail, tables: the log, the chain heads, and the guards that keep both append-only
-- for everyone. Capture, the guard and verification are Rust (src/audit/); hashing and canonical
-- JSON are nps-core (crates/nps-core/src/audit.rs, canonical.rs). See docs/audit.md.

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
    'Append-only audit trail: one entry per changed row of an audited table, written in the same transaction by the capture trigger. Entries form sha256 hash chains per run (per table outside runs); nps.verify_audit() checks them. Readable by nps_auditor only; UPDATE, DELETE and TRUNCATE are refused for everyone (NP010).';
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

-- The tables whose changes are captured: nps.enable_audit registers them, and the capture
-- refuses any other table (or another run column than the one registered).
CREATE TABLE nps.audit_registry (
    table_name    regclass PRIMARY KEY,
    run_column    name,
    registered_at timestamptz NOT NULL DEFAULT now(),
    registered_by text NOT NULL,
    shipped       boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE nps.audit_registry IS 'The tables whose changes the audit trail captures, with the run column whose run''s chain each row joins (NULL: the table''s own chain). Written only by nps.enable_audit and nps.disable_audit; the capture trigger refuses tables not registered here.';
COMMENT ON COLUMN nps.audit_registry.table_name IS 'The audited table.';
COMMENT ON COLUMN nps.audit_registry.run_column IS 'Column holding the run id (only pg_nps'' own tables join run chains); NULL: the table chains on its own.';
COMMENT ON COLUMN nps.audit_registry.registered_at IS 'When auditing started.';
COMMENT ON COLUMN nps.audit_registry.registered_by IS 'Who started it.';
COMMENT ON COLUMN nps.audit_registry.shipped IS 'Registered by CREATE EXTENSION (recreated by it on restore, so not dumped).';

-------------------------------------------------------------------------------------------------
-- Append-only: guard triggers that fire for everyone (ENABLE ALWAYS: also in replica mode),
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._audit_append_only() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'nps_audit_append_only';
COMMENT ON FUNCTION nps._audit_append_only() IS
    'Trigger: refuses (NP010) every change of nps.audit_log and nps.audit_chains except the capture path''s appends and rows restored in replica mode.';
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
REVOKE ALL ON nps.audit_log, nps.audit_chains, nps.audit_log_id_seq, nps.audit_registry FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON nps.audit_log, nps.audit_chains FROM CURRENT_USER;

-------------------------------------------------------------------------------------------------
-- pg_dump keeps the process data and the whole trail, so a restored database still verifies.
-------------------------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('nps.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('nps.audit_registry', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('nps.audit_chains', '');
SELECT pg_catalog.pg_extension_config_dump('nps.audit_log_id_seq', '');
