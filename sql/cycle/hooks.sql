-- pg_nps NPS cycle, where the cycle plugs into the engine: the hooks of each cycle step, in the
-- order they run, registered for every template a cycle follows (the shipped one at install,
-- another one when nps.configure names it). The engine calls them (engine/hooks.sql); nothing
-- rests on the order of trigger names.
--
--   step          point                position  handler                          needs
--   intake        step_completing      1         nps._intake_completing           checkpoint
--   intake        task_completed       1         nps._audience_completed          -
--   segmentation  step_completing      1         nps._segmentation_completing     checkpoint
--   segmentation  step_completed       1         nps._segmentation_completed      checkpoint
--   root_cause    step_completing      1         nps._root_cause_completing       -
--   action_plan   approval_requesting  1         nps._plan_requesting             approval
--   outreach      step_completing      1         nps._outreach_completing         -
--   close         approval_requesting  1         nps._close_requesting            approval
--   close         step_completing      1         nps._close_completing            approval
--   close         step_completed       1         nps._close_completed             approval

CREATE OR REPLACE FUNCTION nps._cycle_hooks()
    RETURNS TABLE (step_key text, point nps.hook_point, "position" integer, handler text, needs text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM (VALUES
        ('intake', 'step_completing'::nps.hook_point, 1, 'nps._intake_completing(nps.steps)'::regprocedure::text, 'checkpoint'),
        ('intake', 'task_completed', 1, 'nps._audience_completed(nps.tasks)'::regprocedure::text, NULL),
        ('segmentation', 'step_completing', 1, 'nps._segmentation_completing(nps.steps)'::regprocedure::text, 'checkpoint'),
        ('segmentation', 'step_completed', 1, 'nps._segmentation_completed(nps.steps)'::regprocedure::text, 'checkpoint'),
        ('root_cause', 'step_completing', 1, 'nps._root_cause_completing(nps.steps)'::regprocedure::text, NULL),
        ('action_plan', 'approval_requesting', 1, 'nps._plan_requesting(nps.steps)'::regprocedure::text, 'approval'),
        ('outreach', 'step_completing', 1, 'nps._outreach_completing(nps.steps)'::regprocedure::text, NULL),
        ('close', 'approval_requesting', 1, 'nps._close_requesting(nps.steps)'::regprocedure::text, 'approval'),
        ('close', 'step_completing', 1, 'nps._close_completing(nps.steps)'::regprocedure::text, 'approval'),
        ('close', 'step_completed', 1, 'nps._close_completed(nps.steps)'::regprocedure::text, 'approval')
    ) AS h(step_key, point, position, handler, needs);
END;
COMMENT ON FUNCTION nps._cycle_hooks() IS
    'Internal: the NPS cycle''s hooks into the engine, per step key and point, in order, with what each step must be (a checkpoint, an approval gate).';

-- Plug the cycle into a template: register its hooks for it (refused, NP008, when a version of
-- the template lacks a step the cycle needs).
CREATE OR REPLACE FUNCTION nps._plug_cycle(template text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO nps.hooks AS k (template, step_key, point, position, handler, needs, module, shipped)
    SELECT _plug_cycle.template, h.step_key, h.point, h.position, h.handler, h.needs, 'cycle',
           _plug_cycle.template = 'NPS Survey & Action Plan'
    FROM nps._cycle_hooks() h
    ON CONFLICT ON CONSTRAINT hooks_pkey DO UPDATE
       SET handler = EXCLUDED.handler, needs = EXCLUDED.needs, module = EXCLUDED.module
       WHERE (k.handler, k.needs, k.module) IS DISTINCT FROM (EXCLUDED.handler, EXCLUDED.needs, EXCLUDED.module);
END;
$$;
COMMENT ON FUNCTION nps._plug_cycle(text) IS
    'Internal: register the cycle''s hooks for a template (every version of which must have the cycle''s steps: NP008 otherwise).';

-- Every template the cycle is plugged into gets the hooks as this version defines them.
SELECT nps._plug_cycle(t.template) FROM (SELECT DISTINCT k.template FROM nps.hooks k WHERE k.module = 'cycle') t;
