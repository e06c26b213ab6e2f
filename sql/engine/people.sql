-- pg_nps workflow engine, people: who is acting, the registers of people and applications, and
-- who holds which role. The decision is nps_core::engine::identity (Rust); see docs/security.md.
--
-- A person acts as their own role (a login, or a role an application switches to per request,
-- PostgREST style) or as an end user a registered application names in nps.actor (Supabase
-- style). pg_nps' capability roles (nps_csm, nps_approver, …) grant rights and are never a person:
-- SET ROLE nps_approver makes nobody a second approver (NP012).

-------------------------------------------------------------------------------------------------
-- Who is acting (backend state and the registers; cached for the transaction)
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps.current_person() RETURNS text
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_current_person';
COMMENT ON FUNCTION nps.current_person() IS
    'The person acting: the role set by SET ROLE or the login when it is a registered person (from a registered application''s session, a superuser''s or its own), or the end user a registered application names in nps.actor. Refused with NP012 (and why) for a capability or other group role, an unregistered role, an inactive person, one person acting as another, and an application naming nobody or someone it may not name.';

CREATE OR REPLACE FUNCTION nps.current_actor() RETURNS text
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_current_actor';
COMMENT ON FUNCTION nps.current_actor() IS
    'Who is acting, for the columns that record it: the person (nps.current_person()), else a registered application acting as itself (service work), else a superuser acting as itself; NP012 for anyone else.';

CREATE OR REPLACE FUNCTION nps._person_or_null() RETURNS text
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_person_or_null';
COMMENT ON FUNCTION nps._person_or_null() IS
    'Internal: the person acting, or NULL when none is (for views and row-level security, which show nothing rather than fail).';

CREATE OR REPLACE FUNCTION nps._actor_or_null() RETURNS text
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_actor_or_null';
COMMENT ON FUNCTION nps._actor_or_null() IS
    'Internal: nps.current_actor(), or NULL when nobody is acting (for views, which show nothing rather than fail).';

CREATE OR REPLACE FUNCTION nps._acting_kind() RETURNS text
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_acting_kind';
COMMENT ON FUNCTION nps._acting_kind() IS 'Internal: person, application or superuser: the kind of nps.current_actor(); NULL when nobody registered is acting.';

CREATE OR REPLACE FUNCTION nps.has_role(person text, role text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.people;
    r regrole := to_regrole(quote_ident(has_role.role));
BEGIN
    IF person IS NULL OR r IS NULL THEN
        RETURN false;
    END IF;
    SELECT * INTO p FROM nps.people x WHERE x.identity = has_role.person AND x.active;
    IF NOT FOUND THEN
        RETURN false;
    ELSIF p.application IS NULL THEN
        RETURN to_regrole(quote_ident(p.identity)) IS NOT NULL
           AND pg_has_role(to_regrole(quote_ident(p.identity)), r, 'MEMBER');
    END IF;
    RETURN has_role.role = ANY (p.roles) AND to_regrole(quote_ident(p.application)) IS NOT NULL
       AND pg_has_role(to_regrole(quote_ident(p.application)), r, 'MEMBER');
END;
$$;
COMMENT ON FUNCTION nps.has_role(text, text) IS
    'Whether a person holds a role: for a person of their own role, membership (direct or through other roles); for a person an application names, the role is among their registered roles and the application holds it. false for an inactive or unknown person or role.';

CREATE OR REPLACE FUNCTION nps._actor_has_role(role text) RETURNS boolean
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_actor_has_role';
COMMENT ON FUNCTION nps._actor_has_role(text) IS
    'Internal: whether whoever is acting holds a role: the person (nps.has_role, asked once per role until the transaction next writes), an application acting as itself (its login''s membership), or a superuser (always); false when nobody registered is acting.';

CREATE OR REPLACE FUNCTION nps._is_lead_of(lead text, person text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l     text;
    depth integer := 0;
BEGIN
    IF lead IS NULL OR person IS NULL THEN
        RETURN false;
    END IF;
    SELECT p.lead INTO l FROM nps.people p WHERE p.identity = person;
    WHILE l IS NOT NULL AND depth < 1000 LOOP
        IF l = lead THEN
            RETURN true;
        END IF;
        SELECT p.lead INTO l FROM nps.people p WHERE p.identity = l;
        depth := depth + 1;
    END LOOP;
    RETURN false;
END;
$$;
COMMENT ON FUNCTION nps._is_lead_of(text, text) IS
    'Internal: whether lead is the person''s lead, or their lead''s lead, and so on up (nps.people.lead).';

CREATE OR REPLACE FUNCTION nps._is_admin() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT nps._actor_has_role('nps_admin');
END;
COMMENT ON FUNCTION nps._is_admin() IS 'Internal: whether whoever is acting holds nps_admin (a superuser acting as itself does).';

CREATE OR REPLACE FUNCTION nps._may_manage(run_owner text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(run_owner = nps._person_or_null(), false) OR nps._is_admin();
END;
COMMENT ON FUNCTION nps._may_manage(text) IS 'Internal: whether the person acting owns a run (is its owner) or holds nps_admin.';

CREATE OR REPLACE FUNCTION nps._person(identity text, what text) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.people;
BEGIN
    IF nps._blank(identity) THEN
        RAISE EXCEPTION '% names no person', what
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name a person of nps.people by identity.';
    END IF;
    SELECT * INTO p FROM nps.people x WHERE x.identity = _person.identity;
    IF NOT FOUND THEN
        SELECT * INTO p FROM nps.people x WHERE x.identity = nps._text(what, _person.identity, 'identity');
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'person "%" (%) is not registered', left(identity, 80), what
            USING ERRCODE = 'undefined_object',
                  HINT = 'Owners, deciders and verifiers are people of nps.people: an nps_admin registers them with nps.add_person.';
    ELSIF NOT p.active THEN
        RAISE EXCEPTION 'person "%" (%) is inactive', p.identity, what
            USING ERRCODE = 'NP012', HINT = 'Give the work to an active person (nps.reassign_task moves a leaver''s open tasks).';
    END IF;
    RETURN p.identity;
END;
$$;
COMMENT ON FUNCTION nps._person(text, text) IS
    'Internal: the identity of the active person named (exactly, or in normalized form), or 42704 (not registered) / NP012 (inactive) saying what needed them.';

-------------------------------------------------------------------------------------------------
-- The registers' guards
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps._registers_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'nps_registers_changed';
COMMENT ON FUNCTION nps._registers_changed() IS
    'Trigger (statement): a change of nps.people or nps.applications; the backend forgets who it found acting, so the rest of the transaction sees the change.';

CREATE OR REPLACE FUNCTION nps._applications_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.applications', 'nps._applications_guard()');
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'application % cannot be deleted', OLD.login
            USING ERRCODE = 'NP009', HINT = 'Applications are deactivated, never deleted: the trail names them. SET active = false.';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(format('application %s', OLD.login), to_jsonb(OLD), to_jsonb(NEW),
                               '{login,created_at,created_by}', 'An application keeps its login; register a new one.');
    ELSE
        NEW.created_at := now();
        NEW.created_by := nps.current_actor();
    END IF;
    NEW.description := nps._text(format('the description of application %s', NEW.login), NEW.description, 'title');
    IF nps._blank(NEW.description) THEN
        RAISE EXCEPTION 'application % needs a description', NEW.login
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Say what the application is, for the people reading the trail.';
    END IF;
    IF to_regrole(quote_ident(NEW.login)) IS NULL THEN
        RAISE EXCEPTION 'role "%" (login of an application) does not exist', left(NEW.login, 80)
            USING ERRCODE = 'undefined_object', HINT = 'Create the login role first; an application is registered by the role it connects as.';
    END IF;
    IF NEW.login = ANY (nps._capability_roles()) THEN
        RAISE EXCEPTION 'role % is a pg_nps capability role, not an application', NEW.login
            USING ERRCODE = 'NP012', HINT = 'Register the application''s own login and GRANT it the capability roles it needs.';
    END IF;
    IF EXISTS (SELECT 1 FROM nps.people p WHERE p.identity = NEW.login AND p.application IS NULL) THEN
        RAISE EXCEPTION 'role % is a registered person, not an application', NEW.login
            USING ERRCODE = 'NP012', HINT = 'A role is either a person or an application; give the application a login of its own.';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._applications_guard() IS
    'Trigger: an application is an existing role that is neither a capability role nor a person, with a description; its login never changes; it is deactivated, never deleted.';

CREATE OR REPLACE FUNCTION nps._people_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r      text;
    l      text;
    depth  integer := 0;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.people', 'nps._people_guard()');
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'person % cannot be deleted', OLD.identity
            USING ERRCODE = 'NP009', HINT = 'People are deactivated, never deleted: the trail names them. SET active = false (nps.reassign_task moves their open tasks first).';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(format('person %s', OLD.identity), to_jsonb(OLD), to_jsonb(NEW),
                               '{identity,application,created_at,created_by}',
                               'A person keeps their identity and the way they act; register a new person for a new one.');
    ELSE
        NEW.created_at := now();
        NEW.created_by := nps.current_actor();
        IF NEW.application IS NULL THEN
            PERFORM nps._text('identity of a person', NEW.identity, 'name');
            IF to_regrole(quote_ident(NEW.identity)) IS NULL THEN
                RAISE EXCEPTION 'role "%" does not exist', left(NEW.identity, 80)
                    USING ERRCODE = 'undefined_object',
                          HINT = 'A person who acts as their own role is registered by the role''s exact name; one an application names is registered with application => ''…''.';
            END IF;
            IF NEW.identity = ANY (nps._capability_roles()) THEN
                RAISE EXCEPTION 'role % is a pg_nps capability role, not a person', NEW.identity
                    USING ERRCODE = 'NP012', HINT = 'Register the people who hold it; capability roles grant rights and decide nothing.';
            END IF;
            IF EXISTS (SELECT 1 FROM nps.applications a WHERE a.login = NEW.identity) THEN
                RAISE EXCEPTION 'role % is a registered application, not a person', NEW.identity
                    USING ERRCODE = 'NP012', HINT = 'A role is either a person or an application.';
            END IF;
        ELSE
            NEW.identity := nps._text('identity of a person', NEW.identity, 'identity');
            IF NOT EXISTS (SELECT 1 FROM nps.applications a WHERE a.login = NEW.application) THEN
                RAISE EXCEPTION 'application "%" (of person %) is not registered', left(NEW.application, 80), NEW.identity
                    USING ERRCODE = 'undefined_object', HINT = 'Register it first: nps.add_application(login, description).';
            END IF;
        END IF;
    END IF;
    NEW.display_name := nps._text(format('the display name of %s', NEW.identity), NEW.display_name, 'title');
    IF nps._blank(NEW.display_name) THEN
        RAISE EXCEPTION 'person % needs a display name', NEW.identity
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Give the name people know them by.';
    END IF;
    IF NEW.email IS NOT NULL THEN
        NEW.email := nps._text(format('the e-mail address of %s', NEW.identity), NEW.email, 'identity');
        IF NEW.email !~ '^[^@]+@[^@]+$' THEN
            RAISE EXCEPTION 'e-mail address "%" of % is not an address', NEW.email, NEW.identity
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Write it as name@domain.';
        END IF;
    END IF;
    BEGIN
        PERFORM now() AT TIME ZONE NEW.time_zone;
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION 'time zone "%" of % is not known', left(NEW.time_zone, 80), NEW.identity
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use a name of pg_timezone_names, e.g. Europe/Berlin.';
    END;
    -- A person's roles (for people an application names) are roles the application holds.
    FOREACH r IN ARRAY NEW.roles LOOP
        IF to_regrole(quote_ident(r)) IS NULL
           OR NOT pg_has_role(to_regrole(quote_ident(NEW.application)), to_regrole(quote_ident(r)), 'MEMBER') THEN
            RAISE EXCEPTION 'role "%" of person % is not a role application % holds', left(r, 80), NEW.identity, NEW.application
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'An application names people for the roles it holds itself: GRANT the role to the application first.';
        END IF;
    END LOOP;
    -- Leads form a tree: a person is never their own lead, however far up.
    l := NEW.lead;
    WHILE l IS NOT NULL AND depth < 1000 LOOP
        IF l = NEW.identity THEN
            RAISE EXCEPTION 'lead % of % would make % their own lead', NEW.lead, NEW.identity, NEW.identity
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Leads form a hierarchy without cycles.';
        END IF;
        SELECT p.lead INTO l FROM nps.people p WHERE p.identity = l;
        depth := depth + 1;
    END LOOP;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._people_guard() IS
    'Trigger: a person of their own role is registered by an existing role''s name (never a capability role or an application); a person an application names by a normalized identity; display name, e-mail address and time zone are checked; an application''s people hold only roles it holds; leads form a tree; identity and the way of acting never change; people are deactivated, never deleted.';

CREATE OR REPLACE FUNCTION nps._capability_roles() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN ARRAY['nps_admin', 'nps_csm', 'nps_approver', 'nps_analyst', 'nps_auditor', 'nps_pii', 'nps_intake', 'nps_mailer'];
COMMENT ON FUNCTION nps._capability_roles() IS
    'Internal: pg_nps'' capability roles (docs/security.md says what each grants; crates/nps-core/src/engine/identity.rs holds the same list, which a test compares).';

CREATE OR REPLACE TRIGGER applications_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.applications
    FOR EACH ROW EXECUTE FUNCTION nps._applications_guard();
CREATE OR REPLACE TRIGGER people_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.people
    FOR EACH ROW EXECUTE FUNCTION nps._people_guard();
CREATE OR REPLACE TRIGGER applications_changed AFTER INSERT OR UPDATE OR DELETE ON nps.applications
    FOR EACH STATEMENT EXECUTE FUNCTION nps._registers_changed();
CREATE OR REPLACE TRIGGER people_changed AFTER INSERT OR UPDATE OR DELETE ON nps.people
    FOR EACH STATEMENT EXECUTE FUNCTION nps._registers_changed();

-------------------------------------------------------------------------------------------------
-- Procedures
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps.add_application(login text, description text) RETURNS nps.applications
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.applications (login, description) VALUES (login, description) RETURNING *;
END;
COMMENT ON FUNCTION nps.add_application(text, text) IS
    'Register an application (nps_admin): the login it connects as, trusted to name the person acting in nps.actor for the people registered for it, or to switch to its users'' own roles. Returns the row.';

CREATE OR REPLACE FUNCTION nps.add_person(identity text, display_name text, email text DEFAULT NULL,
                                          lead text DEFAULT NULL, time_zone text DEFAULT 'UTC',
                                          application text DEFAULT NULL, roles text[] DEFAULT '{}')
    RETURNS nps.people
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.people (identity, display_name, email, lead, time_zone, application, roles)
    VALUES (identity, display_name, email, lead, coalesce(time_zone, 'UTC'), application, coalesce(roles, '{}'))
    RETURNING *;
END;
COMMENT ON FUNCTION nps.add_person(text, text, text, text, text, text, text[]) IS
    'Register a person (nps_admin): a role of that exact name who acts as themself, or (application given) an end user that application names by identity, holding roles (each one the application holds). Returns the row; errors name the value.';
