-- pg_nps workflow engine, shipped data: the templates of templates/*.json (install only).

-------------------------------------------------------------------------------------------------
-- Shipped templates (templates/*.json, compiled into the library)
-------------------------------------------------------------------------------------------------
-- Each shipped template's id is its position in the shipped list, so every installation, upgrade
-- and restore agrees on it (pg_dump carries only the imported ones, ids above 1000).
-- Every column is spelled out rather than left to the guard trigger, which does not fire when
-- CREATE EXTENSION runs in replica mode (as pg_restore does; see docs/audit.md).
INSERT INTO nps.templates (id, name, version, description, definition, created_at, created_by) OVERRIDING SYSTEM VALUE
SELECT t.ordinality, d.def ->> 'name', 1, coalesce(d.def ->> 'description', ''), jsonb_set(d.def, '{version}', '1'),
       now(), 'pg_nps'
FROM jsonb_array_elements(nps._shipped_templates()) WITH ORDINALITY AS t,
     LATERAL (SELECT nps._template_normalize(t.value) AS def) AS d
ORDER BY t.ordinality;
