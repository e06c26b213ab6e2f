-- The schema of pg_nps' process objects. The analytics live in the extension's own schema.

CREATE SCHEMA nps;
COMMENT ON SCHEMA nps IS 'pg_nps process objects: templates, runs, steps, tasks, approvals, views and procedures.';

-- Identity and text rules (NFKC, refused code points) are defined on Unicode: pg_nps needs a
-- UTF8 database.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION 'pg_nps needs a UTF8 database; this one is %', pg_catalog.getdatabaseencoding()
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'CREATE DATABASE … ENCODING ''UTF8'' TEMPLATE template0, and install pg_nps there.';
    END IF;
END
$$;
