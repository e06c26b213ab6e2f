-- pg_nps security, roles: the capability roles and how they nest. What each may do is granted
-- from one place, sql/security/grants.sql; docs/security.md is the matrix both follow.
--
-- A capability role grants rights and is never a person: nobody acts as nps_approver (NP012).
-- Grant the roles to people's login roles, or to an application's login for the people it names.

CREATE OR REPLACE FUNCTION nps.setup_roles() RETURNS TABLE (role name, created boolean)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r    text;
    made boolean;
BEGIN
    FOREACH r IN ARRAY nps._capability_roles() LOOP
        made := NOT EXISTS (SELECT 1 FROM pg_roles x WHERE x.rolname = r);
        IF made THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        ELSIF EXISTS (SELECT 1 FROM pg_roles x WHERE x.rolname = r AND (x.rolcanlogin OR x.rolsuper OR x.rolbypassrls)) THEN
            RAISE EXCEPTION 'role % exists and can log in, is a superuser or bypasses row-level security', r
                USING ERRCODE = 'NP012',
                      HINT = 'pg_nps'' capability roles are group roles: ALTER ROLE ' || r || ' NOLOGIN NOSUPERUSER NOBYPASSRLS, then call nps.setup_roles() again.';
        END IF;
        role := r;
        created := made;
        RETURN NEXT;
    END LOOP;
    -- An administrator also works runs and decides approvals.
    IF NOT pg_has_role('nps_admin', 'nps_csm', 'MEMBER') THEN
        GRANT nps_csm TO nps_admin;
    END IF;
    IF NOT pg_has_role('nps_admin', 'nps_approver', 'MEMBER') THEN
        GRANT nps_approver TO nps_admin;
    END IF;
    PERFORM nps._grant_privileges();
END;
$$;
COMMENT ON FUNCTION nps.setup_roles() IS
    'Create (if missing) pg_nps'' capability roles (nps_admin, nps_csm, nps_approver, nps_analyst, nps_auditor, nps_pii, nps_intake, nps_mailer), make nps_admin a member of nps_csm and nps_approver, and grant every role its privileges again (nps._grant_privileges). Refuses (NP012) a capability role that can log in, is a superuser or bypasses row-level security. Idempotent; CREATE EXTENSION and every update call it. GRANT the roles to people''s logins.';
