-- pg_nps 0.2.0 -> 0.3.0, the tables and their data (the code follows: scripts/assemble-update).
--
--   * A person is the unit of identity: every owner, requester, decider, verifier and completer
--     becomes a person of nps.people (text), registered from the roles the old rows name. A row
--     an application wrote for an end user (its actor column) now names that end user, registered
--     as a person of that application; the actor columns go.
--   * New registers and tables: nps.people, nps.applications, nps.hooks, nps.audit_registry,
--     nps.pseudonym_key; responses keep the respondent as given and a pseudonym; tasks may wait
--     in a queue and record why their due date moved; snapshot figures are numeric.
--   * The code of 0.2.0 (functions, triggers, views, policies) is dropped here and the code of
--     0.3.0 re-created after this file, so nothing of the old rules survives the update.
--
-- The changes below are not audited (the capture of 0.3.0 exists only after this file); the
-- trail's existing entries stay as they were, and every chain still verifies.

-------------------------------------------------------------------------------------------------
-- 1. Remember what 0.2.0 audited, then drop its code
-------------------------------------------------------------------------------------------------
CREATE TABLE nps._migration_audited AS
SELECT t.tgrelid::regclass AS table_name,
       nullif(convert_from(rtrim(t.tgargs, '\x00'::bytea), 'UTF8'), '') AS run_column,
       t.tgenabled <> 'D' AS enabled
FROM pg_trigger t
WHERE t.tgfoid = 'nps._audit_capture()'::regprocedure
  AND t.tgrelid::regclass::text NOT LIKE 'nps.%';

DO $$
DECLARE
    o       record;
    dropped integer;
BEGIN
    -- Views first (the BI views use the analytics functions), then policies and triggers, then
    -- every function of schema nps but the audit trail's append-only guard.
    FOR o IN SELECT c.oid::regclass AS v FROM pg_class c
             WHERE c.relnamespace = 'nps'::regnamespace AND c.relkind = 'v' LOOP
        EXECUTE format('DROP VIEW IF EXISTS %s CASCADE', o.v);
    END LOOP;
    FOR o IN SELECT p.polname, p.polrelid::regclass AS t FROM pg_policy p
             JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'nps'::regnamespace LOOP
        EXECUTE format('DROP POLICY %I ON %s', o.polname, o.t);
    END LOOP;
    FOR o IN SELECT t.tgname, t.tgrelid::regclass AS r FROM pg_trigger t
             WHERE NOT t.tgisinternal
               AND t.tgfoid IN (SELECT p.oid FROM pg_proc p WHERE p.pronamespace = 'nps'::regnamespace)
               AND t.tgfoid <> 'nps._audit_append_only()'::regprocedure LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', o.tgname, o.r);
    END LOOP;
    -- SQL-standard bodies depend on the functions they call: drop what nothing depends on, and
    -- again, until nothing is left (a dependency never dropped stops the update loudly).
    LOOP
        dropped := 0;
        FOR o IN SELECT p.oid::regprocedure AS f, p.prokind FROM pg_proc p
                 WHERE p.pronamespace = 'nps'::regnamespace
                   AND p.oid <> 'nps._audit_append_only()'::regprocedure LOOP
            BEGIN
                EXECUTE format('DROP %s %s', CASE o.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, o.f);
                dropped := dropped + 1;
            EXCEPTION WHEN dependent_objects_still_exist THEN
                NULL;
            END;
        END LOOP;
        EXIT WHEN dropped = 0;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = 'nps'::regnamespace
                 AND p.oid <> 'nps._audit_append_only()'::regprocedure) THEN
        RAISE EXCEPTION 'the update could not drop every function of 0.2.0: %',
            (SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p WHERE p.pronamespace = 'nps'::regnamespace
               AND p.oid <> 'nps._audit_append_only()'::regprocedure);
    END IF;
END
$$;

-- Analytics: nps_ci and nps_compare return named composite types now.
DROP FUNCTION @extschema@.nps_ci(nps_summary, double precision, text, integer, integer);
DROP FUNCTION @extschema@.nps_compare(nps_summary, nps_summary, integer, integer);
CREATE TYPE nps_interval AS (low double precision, high double precision);
CREATE TYPE nps_comparison AS (difference double precision, z double precision, p_value double precision);

-------------------------------------------------------------------------------------------------
-- 2. The registers, the hooks, the audit registry, the pseudonym key
-------------------------------------------------------------------------------------------------
CREATE TYPE nps.hook_point AS ENUM ('step_completing', 'step_completed', 'approval_requesting', 'task_completed');
CREATE TYPE nps.channel AS ENUM ('email', 'in_app', 'web', 'sms', 'phone', 'meeting', 'other');

CREATE TABLE nps.applications (
    login       text PRIMARY KEY,
    description text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL
);
CREATE TABLE nps.people (
    identity     text PRIMARY KEY,
    display_name text NOT NULL,
    email        text,
    lead         text REFERENCES nps.people (identity),
    time_zone    text NOT NULL DEFAULT 'UTC',
    application  text REFERENCES nps.applications (login),
    roles        text[] NOT NULL DEFAULT '{}',
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    CHECK (lead IS DISTINCT FROM identity),
    CHECK (application IS NOT NULL OR roles = '{}')
);
CREATE INDEX ON nps.people (lead) WHERE lead IS NOT NULL;
CREATE INDEX ON nps.people (application) WHERE application IS NOT NULL;

CREATE TABLE nps.hooks (
    template text NOT NULL,
    step_key text NOT NULL,
    point    nps.hook_point NOT NULL,
    position integer NOT NULL,
    handler  text NOT NULL,
    needs    text CHECK (needs IN ('checkpoint', 'approval')),
    module   text NOT NULL,
    shipped  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (template, step_key, point, position)
);

CREATE TABLE nps.audit_registry (
    table_name    regclass PRIMARY KEY,
    run_column    name,
    registered_at timestamptz NOT NULL DEFAULT now(),
    registered_by text NOT NULL,
    shipped       boolean NOT NULL DEFAULT false
);
REVOKE ALL ON nps.audit_registry FROM PUBLIC;

CREATE TABLE nps.pseudonym_key (
    id  boolean PRIMARY KEY DEFAULT true CHECK (id),
    key bytea NOT NULL CHECK (octet_length(key) = 32)
);

-------------------------------------------------------------------------------------------------
-- 3. People from the roles the old rows name
-------------------------------------------------------------------------------------------------
-- The name a role column held: the role's name, or its OID when the role was dropped since.
CREATE FUNCTION nps._migration_name(r oid) RETURNS text
    LANGUAGE sql STABLE
    RETURN coalesce((SELECT rolname::text FROM pg_roles WHERE oid = r), r::text);

CREATE TABLE nps._migration_names AS
SELECT DISTINCT n FROM (
    SELECT nps._migration_name(csm) FROM nps.accounts WHERE csm IS NOT NULL
    UNION ALL SELECT nps._migration_name(owner) FROM nps.runs
    UNION ALL SELECT started_by::text FROM nps.runs
    UNION ALL SELECT nps._migration_name(owner) FROM nps.tasks
    UNION ALL SELECT nps._migration_name(previous_owner) FROM nps.tasks WHERE previous_owner IS NOT NULL
    UNION ALL SELECT completed_by::text FROM nps.tasks WHERE completed_by IS NOT NULL
    UNION ALL SELECT completed_by::text FROM nps.steps WHERE completed_by IS NOT NULL
    UNION ALL SELECT requested_by::text FROM nps.approvals
    UNION ALL SELECT approver::text FROM nps.approval_decisions
    UNION ALL SELECT author::text FROM nps.conversations
    UNION ALL SELECT nps._migration_name(owner) FROM nps.plan_items
    UNION ALL SELECT completed_by::text FROM nps.plan_items WHERE completed_by IS NOT NULL
    UNION ALL SELECT verified_by::text FROM nps.plan_items WHERE verified_by IS NOT NULL
    UNION ALL SELECT assigned_by::text FROM nps.response_causes WHERE assigned_by IS NOT NULL
) AS x(n);

-- A role that still exists and is no pg_nps capability role is a person acting as their own
-- role; a capability role, or a role dropped since, is kept as an inactive person, so the
-- history still names it and nobody acts as it.
INSERT INTO nps.people (identity, display_name, active, created_by)
SELECT m.n,
       CASE WHEN r.oid IS NULL THEN format('role %s (dropped before 0.3.0)', m.n)
            WHEN m.n IN ('nps_admin', 'nps_csm', 'nps_approver', 'nps_analyst', 'nps_auditor', 'nps_pii', 'nps_intake', 'nps_mailer')
                THEN format('%s (a capability role, recorded before 0.3.0)', m.n)
            ELSE m.n END,
       r.oid IS NOT NULL AND m.n NOT IN ('nps_admin', 'nps_csm', 'nps_approver', 'nps_analyst', 'nps_auditor', 'nps_pii', 'nps_intake', 'nps_mailer'),
       'pg_nps'
FROM nps._migration_names m LEFT JOIN pg_roles r ON r.rolname = m.n;

-- Rows an application wrote for an end user: the login becomes an application, the end user a
-- person it names (holding the capability roles the login holds).
CREATE TABLE nps._migration_actors AS
SELECT DISTINCT login, lower(btrim(actor)) AS person FROM (
    SELECT started_by::text, actor FROM nps.runs
    UNION ALL SELECT completed_by::text, actor FROM nps.tasks
    UNION ALL SELECT completed_by::text, actor FROM nps.steps
    UNION ALL SELECT requested_by::text, actor FROM nps.approvals
    UNION ALL SELECT approver::text, actor FROM nps.approval_decisions
    UNION ALL SELECT author::text, actor FROM nps.conversations
) AS x(login, actor)
WHERE actor IS NOT NULL AND btrim(actor) <> '' AND btrim(actor) !~ '[[:cntrl:]]' AND login IS NOT NULL;
INSERT INTO nps.applications (login, description, created_by)
SELECT DISTINCT a.login, format('%s, which named its users in nps.actor before 0.3.0', a.login), 'pg_nps'
FROM nps._migration_actors a
WHERE NOT EXISTS (SELECT 1 FROM nps.applications x WHERE x.login = a.login);
INSERT INTO nps.people (identity, display_name, application, roles, created_by)
SELECT DISTINCT ON (a.person) a.person, a.person, a.login,
       ARRAY(SELECT g.rolname::text FROM pg_roles g
             WHERE g.rolname IN ('nps_admin', 'nps_csm', 'nps_approver', 'nps_analyst', 'nps_auditor', 'nps_pii', 'nps_intake', 'nps_mailer')
               AND pg_has_role(a.login, g.oid, 'MEMBER') ORDER BY g.rolname),
       'pg_nps'
FROM nps._migration_actors a
WHERE EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = a.login)
  AND NOT EXISTS (SELECT 1 FROM nps.people p WHERE p.identity = a.person)
ORDER BY a.person, a.login;
-- A login that is now an application is no person of its own any more.
UPDATE nps.people p SET active = false, display_name = format('%s (an application; its users act for it since 0.3.0)', p.identity)
WHERE p.application IS NULL AND EXISTS (SELECT 1 FROM nps.applications a WHERE a.login = p.identity);

-------------------------------------------------------------------------------------------------
-- 4. Person columns: text naming a person; the actor's person where an application acted
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._migration_who(login text, actor text) RETURNS text
    LANGUAGE sql STABLE
    RETURN coalesce((SELECT p.identity FROM nps.people p
                     WHERE p.identity = lower(btrim(actor)) AND p.application = login), login);

ALTER TABLE nps.accounts ALTER COLUMN csm TYPE text USING nps._migration_name(csm),
    ADD FOREIGN KEY (csm) REFERENCES nps.people (identity);

ALTER TABLE nps.runs ALTER COLUMN owner TYPE text USING nps._migration_name(owner),
    ALTER COLUMN started_by DROP DEFAULT,
    ALTER COLUMN started_by TYPE text USING nps._migration_who(started_by::text, actor);
ALTER TABLE nps.runs DROP COLUMN actor,
    ADD CONSTRAINT runs_check2 CHECK (parent_run_id <> id),
    ADD FOREIGN KEY (owner) REFERENCES nps.people (identity);
CREATE INDEX ON nps.runs (owner);

ALTER TABLE nps.steps ALTER COLUMN approval_role TYPE text USING nps._migration_name(approval_role),
    ALTER COLUMN completed_by TYPE text USING nps._migration_who(completed_by::text, actor);
ALTER TABLE nps.steps DROP COLUMN actor;

ALTER TABLE nps.tasks ALTER COLUMN owner DROP NOT NULL,
    ALTER COLUMN owner TYPE text USING nps._migration_name(owner),
    ALTER COLUMN previous_owner TYPE text USING nps._migration_name(previous_owner),
    ALTER COLUMN completed_by TYPE text USING nps._migration_who(completed_by::text, actor);
ALTER TABLE nps.tasks DROP COLUMN actor,
    ADD COLUMN queue text,
    ADD COLUMN due_reason text,
    ADD CONSTRAINT tasks_check2 CHECK (owner IS NOT NULL OR queue IS NOT NULL),
    ADD FOREIGN KEY (owner) REFERENCES nps.people (identity),
    ADD FOREIGN KEY (previous_owner) REFERENCES nps.people (identity);
CREATE INDEX ON nps.tasks (queue) WHERE status = 'open' AND owner IS NULL;

ALTER TABLE nps.approvals ALTER COLUMN required_role TYPE text USING nps._migration_name(required_role),
    ALTER COLUMN requested_by DROP DEFAULT,
    ALTER COLUMN requested_by TYPE text USING nps._migration_who(requested_by::text, actor);
ALTER TABLE nps.approvals DROP COLUMN actor,
    ADD FOREIGN KEY (requested_by) REFERENCES nps.people (identity);
CREATE INDEX ON nps.approvals (run_id);

ALTER TABLE nps.approval_decisions ALTER COLUMN approver DROP DEFAULT,
    ALTER COLUMN approver TYPE text USING nps._migration_who(approver::text, actor);
ALTER TABLE nps.approval_decisions DROP COLUMN actor,
    ADD FOREIGN KEY (approver) REFERENCES nps.people (identity);
CREATE INDEX ON nps.approval_decisions (run_id);

ALTER TABLE nps.conversations ALTER COLUMN author DROP DEFAULT,
    ALTER COLUMN author TYPE text USING nps._migration_who(author::text, actor);
ALTER TABLE nps.conversations DROP COLUMN actor,
    ADD FOREIGN KEY (author) REFERENCES nps.people (identity);

ALTER TABLE nps.plan_items ALTER COLUMN owner TYPE text USING nps._migration_name(owner),
    ALTER COLUMN completed_by TYPE text, ALTER COLUMN verified_by TYPE text,
    ALTER COLUMN created_by DROP DEFAULT, ALTER COLUMN created_by TYPE text,
    ADD CONSTRAINT plan_items_check3 CHECK (verified_by IS DISTINCT FROM owner),
    ADD FOREIGN KEY (owner) REFERENCES nps.people (identity),
    ADD FOREIGN KEY (completed_by) REFERENCES nps.people (identity),
    ADD FOREIGN KEY (verified_by) REFERENCES nps.people (identity);
CREATE INDEX ON nps.plan_items (owner);

ALTER TABLE nps.response_causes ALTER COLUMN assigned_by TYPE text,
    ADD FOREIGN KEY (assigned_by) REFERENCES nps.people (identity);

-- Who recorded something, as text, without a default: the guards set it.
ALTER TABLE nps.cycle_reports ALTER COLUMN closed_by DROP DEFAULT, ALTER COLUMN closed_by TYPE text;
ALTER TABLE nps.cycle_snapshots ALTER COLUMN taken_by DROP DEFAULT, ALTER COLUMN taken_by TYPE text;
ALTER TABLE nps.cycles ALTER COLUMN created_by DROP DEFAULT, ALTER COLUMN created_by TYPE text;
ALTER TABLE nps.outbox ALTER COLUMN created_by DROP DEFAULT, ALTER COLUMN created_by TYPE text;
ALTER TABLE nps.playbooks ALTER COLUMN created_by DROP DEFAULT, ALTER COLUMN created_by TYPE text;
ALTER TABLE nps.settings ALTER COLUMN updated_by DROP DEFAULT, ALTER COLUMN updated_by TYPE text;
ALTER TABLE nps.templates ALTER COLUMN created_by DROP DEFAULT, ALTER COLUMN created_by TYPE text;
ALTER TABLE nps.response_staging ALTER COLUMN staged_by DROP DEFAULT, ALTER COLUMN staged_by TYPE text,
    ADD COLUMN ingested_by text;
-- (nps.responses.recorded_by changes type in the one rewrite of responses, section 5.)

-------------------------------------------------------------------------------------------------
-- 5. Responses, snapshots, templates
-------------------------------------------------------------------------------------------------
-- Respondents recorded before 0.3.0 keep the spelling they were recorded with (normalizing them
-- now could merge two rows of one cycle), which is also how it was given; their pseudonym is
-- that of the normalized spelling (the raw one where it would be refused today), so a person
-- keeps one key across the update.
-- Responses are the one table that may be large (millions of rows): every change to them is one
-- ALTER TABLE, so the table is rewritten once, its indexes rebuilt once, and no dead row is left;
-- the new columns are computed by the rewrite (a USING expression may read the row's other
-- columns). The pseudonym key reaches the rewrite through a transaction-local setting, so it
-- never appears in the statement's text (or in an error's context).
CREATE FUNCTION nps._random_bytes(n integer) RETURNS bytea
    LANGUAGE c STRICT VOLATILE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_random_bytes';
CREATE FUNCTION nps._hmac_sha256(key bytea, value text) RETURNS text
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_hmac_sha256';
CREATE FUNCTION nps._text(what text, value text, kind text) RETURNS text
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_text';
CREATE FUNCTION nps._text_problem(what text, value text, kind text) RETURNS text[]
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_text_problem';
INSERT INTO nps.pseudonym_key (id, key) VALUES (true, nps._random_bytes(32));
SELECT set_config('pg_nps_migration.key', encode(key, 'hex'), true) FROM nps.pseudonym_key;
ALTER TABLE nps.responses ADD COLUMN respondent_as_given text, ADD COLUMN pseudonym text;
ALTER TABLE nps.responses DROP CONSTRAINT responses_channel_check,
    ALTER COLUMN recorded_by DROP DEFAULT, ALTER COLUMN recorded_by TYPE text,
    ALTER COLUMN channel DROP DEFAULT,
    ALTER COLUMN channel TYPE nps.channel USING channel::nps.channel,
    ALTER COLUMN channel SET DEFAULT 'email',
    ALTER COLUMN respondent_as_given TYPE text USING respondent,
    ALTER COLUMN respondent_as_given SET NOT NULL,
    ALTER COLUMN pseudonym TYPE text
        USING 'r_' || left(nps._hmac_sha256(decode(current_setting('pg_nps_migration.key'), 'hex'),
                                            CASE WHEN nps._text_problem('respondent', respondent, 'identity') IS NULL
                                                 THEN nps._text('respondent', respondent, 'identity') ELSE respondent END), 24),
    ALTER COLUMN pseudonym SET NOT NULL;
SELECT set_config('pg_nps_migration.key', '', true);

-- One numeric type for every NPS figure.
ALTER TABLE nps.cycle_snapshots
    ALTER COLUMN nps TYPE numeric, ALTER COLUMN ci_low TYPE numeric, ALTER COLUMN ci_high TYPE numeric,
    ALTER COLUMN margin_of_error TYPE numeric, ALTER COLUMN arr_weighted_nps TYPE numeric,
    ALTER COLUMN previous_nps TYPE numeric, ALTER COLUMN change TYPE numeric, ALTER COLUMN p_value TYPE numeric;
ALTER TABLE nps.cycle_snapshot_groups
    ALTER COLUMN nps TYPE numeric, ALTER COLUMN ci_low TYPE numeric, ALTER COLUMN ci_high TYPE numeric;

-- The shipped templates are the extension's (created by pg_nps).
UPDATE nps.templates SET created_by = 'pg_nps' WHERE id <= 1000;

DROP FUNCTION nps._migration_who(text, text);
DROP FUNCTION nps._migration_name(oid);
DROP TABLE nps._migration_names, nps._migration_actors;
