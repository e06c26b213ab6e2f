-- pg_nps 0.2.0 -> 0.3.0, after the code: the data that needs the new functions.

-- The cycle plugs into the shipped template, and into the one nps.configure named if another.
SELECT nps._plug_cycle('NPS Survey & Action Plan');
SELECT nps._plug_cycle(s.cycle_template) FROM nps.settings s WHERE s.cycle_template <> 'NPS Survey & Action Plan';

-- Your tables that 0.2.0 audited are registered again: each in a chain of its own (only pg_nps'
-- own tables join a run's chain since 0.3.0; their entries in run chains stay where they are).
SELECT nps.enable_audit(a.table_name) FROM nps._migration_audited a;
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT a.table_name FROM nps._migration_audited a WHERE NOT a.enabled LOOP
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER audit_capture', t);
    END LOOP;
END
$$;
DROP TABLE nps._migration_audited;

-- The shipped templates as 0.3.0 ships them (a re-survey score is a whole number 0..10). They are
-- the extension's; runs started before keep the tasks they were given.
SET LOCAL session_replication_role = replica;
UPDATE nps.templates t SET definition = jsonb_set(nps._template_normalize(s.value), '{version}', '1'),
                           description = coalesce(s.value ->> 'description', '')
FROM jsonb_array_elements(nps._shipped_templates()) WITH ORDINALITY AS s(value, id)
WHERE t.id = s.id AND t.version = 1 AND t.definition IS DISTINCT FROM jsonb_set(nps._template_normalize(s.value), '{version}', '1');
SET LOCAL session_replication_role = origin;
