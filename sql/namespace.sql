-- The schema of pg_nps' process objects. The analytics live in the extension's own schema.

CREATE SCHEMA nps;
COMMENT ON SCHEMA nps IS 'pg_nps process objects: templates, runs, steps, tasks, approvals, views and procedures.';
