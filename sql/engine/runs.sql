-- pg_nps workflow engine, runs: the run guard, instantiation from the template (the only writer of
-- steps and tasks), starting and cancelling.

CREATE OR REPLACE FUNCTION nps._runs_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me     text := nps._person_or_null();
    parent nps.runs;
    facts  jsonb;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.runs', 'nps._runs_guard()');
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'run #% cannot be deleted', OLD.id
            USING ERRCODE = 'NP009', HINT = 'Runs are cancelled with a reason (nps.cancel_run), never deleted: the trail keeps them.';
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.started_by := nps.current_actor();
        NEW.owner := nps._person(NEW.owner, 'owner of the run');
        NEW.title := nps._text('the title of a run', NEW.title, 'title');
        IF NEW.parent_run_id IS NOT NULL THEN
            SELECT * INTO parent FROM nps.runs p WHERE p.id = NEW.parent_run_id;
        END IF;
        facts := jsonb_build_object(
            'template', (SELECT t.name FROM nps.templates t WHERE t.id = NEW.template_id),
            'starter', NEW.started_by,
            'starter_is_person', me IS NOT NULL,
            'owner', NEW.owner,
            'may_assign', coalesce(NEW.owner = me, false) OR nps._is_admin() OR nps._is_lead_of(me, NEW.owner),
            'system', NEW.parent_run_id IS NOT NULL AND nps._in_scope('playbook', NEW.parent_run_id),
            'parent', CASE WHEN NEW.parent_run_id IS NOT NULL THEN format('run #%s', NEW.parent_run_id) END,
            'parent_exists', parent.id IS NOT NULL,
            'parent_status', parent.status,
            'may_nest', parent.id IS NOT NULL AND nps._may_manage(parent.owner));
        PERFORM nps._check('run_start', facts);
        NEW.status := 'active';
        NEW.started_at := now();
        NEW.finished_at := NULL;
        NEW.cancel_reason := NULL;
        NEW.subject_type := coalesce(NEW.subject_type, NEW.subject ->> 'type');
        NEW.subject_id := coalesce(NEW.subject_id, NEW.subject ->> 'id');
        RETURN NEW;
    END IF;
    PERFORM nps._immutable(format('run #%s', OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                           '{id,template_id,parent_run_id,started_at,started_by,subject,subject_type,subject_id}',
                           'A run''s template, parent, subject and start are fixed; start a new run instead.');
    IF NEW.owner IS DISTINCT FROM OLD.owner THEN
        NEW.owner := nps._person(NEW.owner, format('new owner of run #%s', OLD.id));
    END IF;
    IF NEW.title IS DISTINCT FROM OLD.title THEN
        NEW.title := nps._text(format('the title of run #%s', OLD.id), NEW.title, 'title');
    END IF;
    facts := jsonb_build_object(
        'run', format('run #%s', OLD.id),
        'from', OLD.status, 'to', NEW.status,
        'unfinished_steps', (SELECT count(*) FROM nps.steps s
                             WHERE s.run_id = OLD.id AND s.status NOT IN ('done', 'skipped')),
        'may_manage', nps._may_manage(OLD.owner),
        'owner_changed', NEW.owner IS DISTINCT FROM OLD.owner,
        'title_changed', NEW.title IS DISTINCT FROM OLD.title,
        'reason', NEW.cancel_reason);
    PERFORM nps._check('run', facts);
    IF NEW.status <> OLD.status THEN
        NEW.finished_at := now();
    ELSE
        NEW.finished_at := OLD.finished_at;
        NEW.cancel_reason := OLD.cancel_reason;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._runs_guard() IS
    'Trigger: a run is started by a person for themself (or by their lead or an nps_admin for someone else), under a parent run only its owner may nest under; its owner is an active person; transitions, title and owner changes are the run owner''s or an nps_admin''s; runs are never deleted.';
CREATE OR REPLACE TRIGGER runs_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.runs
    FOR EACH ROW EXECUTE FUNCTION nps._runs_guard();

-- Owner of a task from its rule: "run_owner", {"role": r} (the task waits in r's queue until a
-- person holding r claims it) or {"subject": attribute} (the person the run's subject names).
CREATE OR REPLACE FUNCTION nps._resolve_owner(rule jsonb, run_owner text, subject jsonb, what text,
                                              OUT owner text, OUT queue text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    attr text;
BEGIN
    IF rule IS NULL OR rule = '"run_owner"' THEN
        owner := run_owner;
    ELSIF rule ? 'role' THEN
        IF to_regrole(quote_ident(rule ->> 'role')) IS NULL THEN
            RAISE EXCEPTION 'role "%" (queue of %) does not exist', rule ->> 'role', what
                USING ERRCODE = 'undefined_object',
                      HINT = 'Create the role, or import a template version that names an existing one.';
        END IF;
        queue := rule ->> 'role';
    ELSE
        attr := rule ->> 'subject';
        IF nps._blank(subject ->> attr) THEN
            RAISE EXCEPTION 'the run''s subject has no "%", which names the owner of %', attr, what
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Pass it when starting the run: subject => ''{"%s": "<person>"}''.', attr);
        END IF;
        owner := nps._person(subject ->> attr, format('subject "%s", owner of %s', attr, what));
    END IF;
END;
$$;
COMMENT ON FUNCTION nps._resolve_owner(jsonb, text, jsonb, text) IS
    'Internal: the person a task owner rule names for a run, or the role whose queue the task waits in.';

CREATE OR REPLACE FUNCTION nps._instantiate_run() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    def  jsonb;
    s    jsonb;
    t    jsonb;
    o    record;
    spos integer := 0;
    tpos integer;
    sid  bigint;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.runs', 'nps._instantiate_run()');
    SELECT tp.definition INTO def FROM nps.templates tp WHERE tp.id = NEW.template_id;
    PERFORM nps._scope_enter('instantiate', NEW.id);
    FOR s IN SELECT value FROM jsonb_array_elements(def -> 'steps') LOOP
        spos := spos + 1;
        IF s ? 'approval' AND to_regrole(quote_ident(s -> 'approval' ->> 'role')) IS NULL THEN
            RAISE EXCEPTION 'role "%" (approver of step "%") does not exist', s -> 'approval' ->> 'role', s ->> 'name'
                USING ERRCODE = 'undefined_object',
                      HINT = 'Create the role and grant it to the people who decide, or import a template version naming an existing one.';
        END IF;
        INSERT INTO nps.steps (run_id, position, key, name, description, checkpoint, skippable,
                               approval_role, min_approvers, evidence_spec, open_tasks)
        VALUES (NEW.id, spos, s ->> 'key', s ->> 'name', coalesce(s ->> 'description', ''),
                (s ->> 'checkpoint')::boolean, (s ->> 'skippable')::boolean,
                s -> 'approval' ->> 'role', (s -> 'approval' ->> 'min_approvers')::integer,
                coalesce(s -> 'evidence', '[]'), jsonb_array_length(s -> 'tasks'))
        RETURNING id INTO sid;
        tpos := 0;
        FOR t IN SELECT value FROM jsonb_array_elements(s -> 'tasks') LOOP
            tpos := tpos + 1;
            o := nps._resolve_owner(t -> 'owner', NEW.owner, NEW.subject, format('task "%s"', t ->> 'title'));
            INSERT INTO nps.tasks (run_id, step_id, position, key, title, description, owner, queue,
                                   due_days, due_hours, due_business, fields_spec)
            VALUES (NEW.id, sid, tpos, t ->> 'key', t ->> 'title', coalesce(t ->> 'description', ''),
                    o.owner, o.queue,
                    coalesce((t -> 'due' ->> 'days')::integer, 0),
                    coalesce((t -> 'due' ->> 'hours')::integer, 0),
                    coalesce(t -> 'due' ->> 'calendar' = 'business', false),
                    coalesce(t -> 'fields', '[]'));
        END LOOP;
    END LOOP;
    PERFORM nps._scope_leave('instantiate', NEW.id);
    UPDATE nps.steps SET status = 'active' WHERE run_id = NEW.id AND position = 1;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._instantiate_run() IS
    'Trigger: creates a new run''s steps and tasks from its template version, resolves task owners (or queues), activates the first step. The only writer of nps.steps and nps.tasks rows.';
CREATE OR REPLACE TRIGGER runs_instantiate AFTER INSERT ON nps.runs
    FOR EACH ROW EXECUTE FUNCTION nps._instantiate_run();

CREATE OR REPLACE FUNCTION nps._structure_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_RELID NOT IN ('nps.steps'::regclass, 'nps.tasks'::regclass) THEN
        PERFORM nps._fires_on(TG_RELID, 'nps.steps', 'nps._structure_guard()');
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'rows of % are never deleted', TG_TABLE_NAME
            USING ERRCODE = 'NP009', HINT = 'Skip a step or cancel a task with a reason; the run keeps them.';
    END IF;
    IF NOT nps._in_scope('instantiate', NEW.run_id) THEN
        RAISE EXCEPTION 'rows of % are created only from a run''s template', TG_TABLE_NAME
            USING ERRCODE = 'NP009',
                  HINT = 'Start a run with nps.start_run; to change the steps, import a new template version. '
                         'Restoring a dump? Run pg_restore with PGOPTIONS=''-c session_replication_role=replica'' (docs/audit.md).';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._structure_guard() IS 'Trigger: steps and tasks are created only by a run''s instantiation and never deleted.';
CREATE OR REPLACE TRIGGER steps_structure BEFORE INSERT OR DELETE ON nps.steps
    FOR EACH ROW EXECUTE FUNCTION nps._structure_guard();
CREATE OR REPLACE TRIGGER tasks_structure BEFORE INSERT OR DELETE ON nps.tasks
    FOR EACH ROW EXECUTE FUNCTION nps._structure_guard();

-- Cancelling a run cancels its open tasks and withdraws its pending approvals.
CREATE OR REPLACE FUNCTION nps._run_cancelled() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.runs', 'nps._run_cancelled()');
    UPDATE nps.tasks SET status = 'cancelled', cancel_reason = 'run cancelled: ' || NEW.cancel_reason
     WHERE run_id = NEW.id AND status = 'open';
    UPDATE nps.approvals SET status = 'withdrawn', reason = 'run cancelled: ' || NEW.cancel_reason
     WHERE run_id = NEW.id AND status = 'pending';
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._run_cancelled() IS 'Trigger: cancels the open tasks and withdraws the pending approvals of a cancelled run.';
CREATE OR REPLACE TRIGGER runs_cancelled AFTER UPDATE OF status ON nps.runs
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status <> 'cancelled')
    EXECUTE FUNCTION nps._run_cancelled();

-------------------------------------------------------------------------------------------------
-- Procedures
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps.start_run(template text, owner text DEFAULT NULL, subject jsonb DEFAULT '{}',
                                         title text DEFAULT NULL, parent_run bigint DEFAULT NULL,
                                         template_version integer DEFAULT NULL)
    RETURNS nps.runs
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tpl nps.templates;
    r   nps.runs;
BEGIN
    SELECT * INTO tpl FROM nps.templates t
    WHERE t.name = start_run.template AND (template_version IS NULL OR t.version = template_version)
    ORDER BY t.version DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'template "%"% does not exist', left(template, 200), coalesce(' version ' || template_version, '')
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name, version FROM nps.templates lists them.';
    END IF;
    PERFORM nps._object(subject, 'subject', '{"type": "account", "id": "42", "csm": "alice"}');
    IF parent_run IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nps.runs p WHERE p.id = parent_run) THEN
        RAISE EXCEPTION 'parent run % does not exist', parent_run
            USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs.';
    END IF;
    INSERT INTO nps.runs (template_id, parent_run_id, title, subject, owner)
    VALUES (tpl.id, parent_run, coalesce(title, tpl.name), subject, coalesce(start_run.owner, nps.current_person()))
    RETURNING * INTO r;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION nps.start_run(text, text, jsonb, text, bigint, integer) IS
    'Start a run of a template (latest version unless template_version is given), owned by you (or by owner, when you are their lead or an nps_admin): creates its steps and tasks, resolves owners, activates the first step. Returns the run.';

CREATE OR REPLACE FUNCTION nps.cancel_run(run bigint, reason text) RETURNS nps.runs
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r nps.runs;
BEGIN
    UPDATE nps.runs x SET status = 'cancelled', cancel_reason = nps._text(format('the reason to cancel run #%s', run), reason, 'reason')
     WHERE x.id = run RETURNING * INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % does not exist', run
            USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs.';
    END IF;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION nps.cancel_run(bigint, text) IS
    'Cancel an active run with a reason (its owner or an nps_admin): open tasks are cancelled, pending approvals withdrawn.';
