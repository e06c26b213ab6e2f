-- pg_nps workflow engine, runs: the run guard, instantiation from the template (the only writer of
-- steps and tasks), starting and cancelling.

-------------------------------------------------------------------------------------------------
-- Run guard and instantiation
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._runs_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    facts jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.status := 'active';
        NEW.started_at := now();
        NEW.started_by := current_user;
        NEW.actor := nps._actor();
        NEW.finished_at := NULL;
        NEW.cancel_reason := NULL;
        NEW.subject_type := coalesce(NEW.subject_type, NEW.subject ->> 'type');
        NEW.subject_id := coalesce(NEW.subject_id, NEW.subject ->> 'id');
        RETURN NEW;
    END IF;
    PERFORM nps._immutable(format('run #%s', OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                           '{id,template_id,parent_run_id,started_at,started_by,actor,subject,subject_type,subject_id}',
                           'A run''s template, parent, subject and start are fixed; start a new run instead.');
    facts := jsonb_build_object(
        'run', format('run #%s', OLD.id),
        'from', OLD.status, 'to', NEW.status,
        'unfinished_steps', (SELECT count(*) FROM nps.steps s
                             WHERE s.run_id = OLD.id AND s.status NOT IN ('done', 'skipped')),
        'may_manage', nps._may_manage(OLD.owner),
        'owner_changed', NEW.owner IS DISTINCT FROM OLD.owner,
        'reason', NEW.cancel_reason);
    PERFORM nps._check('run', facts);
    IF NEW.status <> OLD.status THEN
        NEW.finished_at := now();
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._runs_guard() IS 'Trigger: fills a new run''s bookkeeping, enforces run transitions and immutable columns.';
CREATE TRIGGER runs_guard BEFORE INSERT OR UPDATE ON nps.runs
    FOR EACH ROW EXECUTE FUNCTION nps._runs_guard();

-- Owner of a task from its rule: "run_owner", {"role": r} or {"subject": attribute}.
CREATE FUNCTION nps._resolve_owner(rule jsonb, run_owner regrole, subject jsonb, what text) RETURNS regrole
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    attr text;
BEGIN
    IF rule IS NULL OR rule = '"run_owner"' THEN
        RETURN run_owner;
    ELSIF rule ? 'role' THEN
        RETURN nps._role(rule ->> 'role', 'owner of ' || what);
    END IF;
    attr := rule ->> 'subject';
    IF subject ->> attr IS NULL THEN
        RAISE EXCEPTION 'the run''s subject has no "%", which names the owner of %', attr, what
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Pass it when starting the run: subject => ''{"%s": "role_name"}''.', attr);
    END IF;
    RETURN nps._role(subject ->> attr, format('subject "%s", owner of %s', attr, what));
END;
$$;
COMMENT ON FUNCTION nps._resolve_owner(jsonb, regrole, jsonb, text) IS 'Internal: the role a task owner rule names for a run.';

CREATE FUNCTION nps._instantiate_run() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    prev text := current_setting('nps.instantiating', true);
    def  jsonb;
    s    jsonb;
    t    jsonb;
    spos integer := 0;
    tpos integer;
    sid  bigint;
BEGIN
    SELECT tp.definition INTO def FROM nps.templates tp WHERE tp.id = NEW.template_id;
    PERFORM set_config('nps.instantiating', NEW.id::text, true);
    FOR s IN SELECT value FROM jsonb_array_elements(def -> 'steps') LOOP
        spos := spos + 1;
        INSERT INTO nps.steps (run_id, position, key, name, description, checkpoint, skippable,
                               approval_role, min_approvers, evidence_spec, open_tasks)
        VALUES (NEW.id, spos, s ->> 'key', s ->> 'name', coalesce(s ->> 'description', ''),
                (s ->> 'checkpoint')::boolean, (s ->> 'skippable')::boolean,
                CASE WHEN s ? 'approval'
                     THEN nps._role(s -> 'approval' ->> 'role', format('approver of step "%s"', s ->> 'name')) END,
                (s -> 'approval' ->> 'min_approvers')::integer,
                coalesce(s -> 'evidence', '[]'), jsonb_array_length(s -> 'tasks'))
        RETURNING id INTO sid;
        tpos := 0;
        FOR t IN SELECT value FROM jsonb_array_elements(s -> 'tasks') LOOP
            tpos := tpos + 1;
            INSERT INTO nps.tasks (run_id, step_id, position, key, title, description, owner,
                                   due_days, due_hours, due_business, fields_spec)
            VALUES (NEW.id, sid, tpos, t ->> 'key', t ->> 'title', coalesce(t ->> 'description', ''),
                    nps._resolve_owner(t -> 'owner', NEW.owner, NEW.subject, format('task "%s"', t ->> 'title')),
                    coalesce((t -> 'due' ->> 'days')::integer, 0),
                    coalesce((t -> 'due' ->> 'hours')::integer, 0),
                    coalesce(t -> 'due' ->> 'calendar' = 'business', false),
                    coalesce(t -> 'fields', '[]'));
        END LOOP;
    END LOOP;
    PERFORM set_config('nps.instantiating', coalesce(prev, ''), true);
    UPDATE nps.steps SET status = 'active' WHERE run_id = NEW.id AND position = 1;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._instantiate_run() IS
    'Trigger: creates a new run''s steps and tasks from its template version, resolves task owners, activates the first step. The only writer of nps.steps and nps.tasks rows.';
CREATE TRIGGER runs_instantiate AFTER INSERT ON nps.runs
    FOR EACH ROW EXECUTE FUNCTION nps._instantiate_run();

CREATE FUNCTION nps._structure_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('nps.instantiating', true) IS DISTINCT FROM NEW.run_id::text THEN
        RAISE EXCEPTION 'rows of % are created only from a run''s template', TG_TABLE_NAME
            USING ERRCODE = 'NP009',
                  HINT = 'Start a run with nps.start_run; to change the steps, import a new template version. '
                         'Restoring a dump? Run pg_restore with PGOPTIONS=''-c session_replication_role=replica'' (docs/audit.md).';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._structure_guard() IS 'Trigger: refuses steps and tasks not created by a run''s instantiation.';
CREATE TRIGGER steps_structure BEFORE INSERT ON nps.steps
    FOR EACH ROW EXECUTE FUNCTION nps._structure_guard();
CREATE TRIGGER tasks_structure BEFORE INSERT ON nps.tasks
    FOR EACH ROW EXECUTE FUNCTION nps._structure_guard();

-------------------------------------------------------------------------------------------------
-- Approval guards
-------------------------------------------------------------------------------------------------
-- Cancelling a run cancels its open tasks and withdraws its pending approvals.
CREATE FUNCTION nps._run_cancelled() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE nps.tasks SET status = 'cancelled', cancel_reason = 'run cancelled: ' || NEW.cancel_reason
     WHERE run_id = NEW.id AND status = 'open';
    UPDATE nps.approvals SET status = 'withdrawn', reason = 'run cancelled: ' || NEW.cancel_reason
     WHERE run_id = NEW.id AND status = 'pending';
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._run_cancelled() IS 'Trigger: cancels the open tasks and withdraws the pending approvals of a cancelled run.';
CREATE TRIGGER runs_cancelled AFTER UPDATE OF status ON nps.runs
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status <> 'cancelled')
    EXECUTE FUNCTION nps._run_cancelled();

-------------------------------------------------------------------------------------------------
-- Procedures
-------------------------------------------------------------------------------------------------
COMMENT ON FUNCTION nps.start_run(text, name, jsonb, text, bigint, integer) IS
    'Start a run of a template (latest version unless template_version is given): creates its steps and tasks, resolves owners, activates the first step. Returns the run.';

CREATE FUNCTION nps.cancel_run(run bigint, reason text) RETURNS nps.runs
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r nps.runs;
BEGIN
    UPDATE nps.runs x SET status = 'cancelled', cancel_reason = reason WHERE x.id = run RETURNING * INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % does not exist', run
            USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs.';
    END IF;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION nps.cancel_run(bigint, text) IS
    'Cancel an active run with a reason (its owner or an nps_admin): open tasks are cancelled, pending approvals withdrawn.';
