-- Deny by default: nothing of pg_nps is executable, readable or writable by PUBLIC; every
-- SECURITY DEFINER function and who may run it is the list docs/security.md documents; a
-- borrowed trigger function refuses a table it was not written for.
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
SET client_min_messages = warning;

-- Nothing for PUBLIC: no function, no table, view or sequence.
SELECT count(*) AS public_functions
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_nps'
WHERE has_function_privilege('public', p.oid, 'EXECUTE');
SELECT count(*) AS public_relations
FROM pg_class c WHERE c.relnamespace = 'nps'::regnamespace AND c.relkind IN ('r', 'v', 'S')
  AND EXISTS (SELECT 1 FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a WHERE a.grantee = 0);
SELECT has_schema_privilege('public', 'nps', 'USAGE') AS public_uses_the_schema;

-- Every SECURITY DEFINER function with the roles that may execute it (docs/security.md,
-- "Functions that run as the extension's owner"). Trigger functions are executable by nobody.
SELECT p.oid::regprocedure AS function,
       coalesce((SELECT string_agg(r.rolname, ' ' ORDER BY r.rolname)
                 FROM aclexplode(p.proacl) a JOIN pg_roles r ON r.oid = a.grantee
                 WHERE a.privilege_type = 'EXECUTE' AND r.rolname LIKE 'nps\_%'), '-') AS executable_by
FROM pg_proc p
WHERE p.pronamespace = 'nps'::regnamespace AND p.prosecdef
ORDER BY p.prorettype = 'trigger'::regtype, p.oid::regprocedure::text;

-- Each capability role's table privileges (the matrix's first column: who may write at all).
SELECT r.role, string_agg(t.relname || ':' || t.privs, ' ' ORDER BY t.relname) AS writes
FROM unnest(nps._capability_roles()) AS r(role)
CROSS JOIN LATERAL (
    SELECT c.relname, string_agg(left(p.priv, 1), '' ORDER BY p.priv) AS privs
    FROM pg_class c CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) AS p(priv)
    WHERE c.relnamespace = 'nps'::regnamespace AND c.relkind = 'r'
      AND has_table_privilege(r.role, c.oid, p.priv)
    GROUP BY c.relname) t
GROUP BY r.role ORDER BY r.role;

-- A borrowed guard: an analyst cannot attach one to a table of their own (no EXECUTE), and even
-- the extension's owner attaching one elsewhere is refused when it fires.
SET ROLE r_analyst;
CREATE TEMP TABLE runs (id bigint PRIMARY KEY, owner text);
SELECT * FROM regress.error_of('CREATE TRIGGER borrowed BEFORE UPDATE ON pg_temp.runs FOR EACH ROW EXECUTE FUNCTION nps._runs_guard()');
SELECT * FROM regress.error_of('CREATE TRIGGER borrowed BEFORE INSERT ON pg_temp.runs FOR EACH ROW EXECUTE FUNCTION nps._audit_capture()');
RESET ROLE;
CREATE TABLE public.fake_runs (id bigint PRIMARY KEY, status text);
CREATE TRIGGER borrowed BEFORE INSERT ON public.fake_runs FOR EACH ROW EXECUTE FUNCTION nps._runs_guard();
SELECT * FROM regress.error_of($$INSERT INTO public.fake_runs VALUES (1, 'done')$$);
CREATE TRIGGER borrowed_capture AFTER INSERT ON public.fake_runs FOR EACH ROW EXECUTE FUNCTION nps._audit_capture();
DROP TRIGGER borrowed ON public.fake_runs;
SELECT * FROM regress.error_of($$INSERT INTO public.fake_runs VALUES (1, 'done')$$);
SELECT count(*) AS entries_of_fake_runs FROM nps.audit_log WHERE table_name = 'public.fake_runs';
DROP TABLE public.fake_runs;

-- The internals views and policies evaluate are granted; the ones that write are not.
SET ROLE r_ava;
SELECT * FROM regress.error_of($$SELECT nps._scope_enter('playbook', 1)$$);
SELECT * FROM regress.error_of($$SELECT nps._freeze_snapshot(c, 'r_ava') FROM nps.cycles c$$);
SELECT * FROM regress.error_of($$SELECT nps._pseudonym('ann@acme.example')$$);
SELECT * FROM regress.error_of($$SELECT nps._fire_playbooks(1, 'segmented', '{}')$$);
SELECT * FROM regress.error_of('SELECT * FROM nps.pseudonym_key');
RESET ROLE;
SET ROLE r_auditor;
SELECT * FROM regress.error_of('SELECT * FROM nps.pseudonym_key');
SELECT count(*) > 0 AS auditor_reads_the_trail FROM nps.audit_log;
RESET ROLE;

-- setup_roles is idempotent and refuses a capability role that could log in.
SELECT role, created FROM nps.setup_roles();
ALTER ROLE nps_mailer LOGIN;
SELECT * FROM regress.error_of('SELECT nps.setup_roles()');
ALTER ROLE nps_mailer NOLOGIN;
-- A BI tool reads a summary it stored as text back into one (the cast calls the type's input
-- function with the caller's rights), and prints it.
SET ROLE r_analyst;
SELECT nps_score(s) AS nps, s::text AS back FROM (SELECT ('{"counts":[0,0,0,0,0,0,1,0,0,1,2]}'::text)::nps_summary AS s) x;
RESET ROLE;
