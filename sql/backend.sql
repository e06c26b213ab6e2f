-- pg_nps backend state every module reads: facts of the backend, never a setting SQL could set.

CREATE OR REPLACE FUNCTION nps._installing() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_installing';
COMMENT ON FUNCTION nps._installing() IS
    'Internal: whether pg_nps'' own install or update script is running (CREATE or ALTER EXTENSION pg_nps): the rows it writes are the extension''s.';

CREATE OR REPLACE FUNCTION nps._outer_role() RETURNS text
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'nps_outer_role';
COMMENT ON FUNCTION nps._outer_role() IS
    'Internal: the role in effect outside SECURITY DEFINER functions (the login, or the role SET ROLE switched to).';
