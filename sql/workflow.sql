-- pg_nps workflow engine: templates, runs, steps, tasks, approvals, SLAs.
--
-- Every rule holds for any client: the procedures below are conveniences, the guards are the
-- triggers. A trigger gathers the facts about a change and calls nps._check(rule, facts), whose
-- decisions live in Rust (crates/nps-core/src/workflow.rs); a refusal carries its SQLSTATE,
-- a message naming the object and state, and a HINT (docs/errors.md).

CREATE SCHEMA nps;
COMMENT ON SCHEMA nps IS 'pg_nps process objects: templates, runs, steps, tasks, approvals, views and procedures.';

-------------------------------------------------------------------------------------------------
-- Enums
-------------------------------------------------------------------------------------------------
CREATE TYPE nps.step_status AS ENUM ('pending', 'active', 'awaiting_approval', 'done', 'skipped');
COMMENT ON TYPE nps.step_status IS 'State of a step: pending -> active -> (awaiting_approval ->) done, or skipped. done and skipped are final.';
CREATE TYPE nps.task_status AS ENUM ('open', 'done', 'cancelled');
COMMENT ON TYPE nps.task_status IS 'State of a task: open -> done | cancelled (final).';
CREATE TYPE nps.run_status AS ENUM ('active', 'done', 'cancelled');
COMMENT ON TYPE nps.run_status IS 'State of a run: active -> done (when its last step is) | cancelled (final).';
CREATE TYPE nps.approval_status AS ENUM ('pending', 'approved', 'rejected', 'withdrawn');
COMMENT ON TYPE nps.approval_status IS 'State of an approval request; every state but pending is final.';
CREATE TYPE nps.decision AS ENUM ('approve', 'reject');
COMMENT ON TYPE nps.decision IS 'One approver''s decision on an approval request.';

-------------------------------------------------------------------------------------------------
-- Rust decisions and calendar
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._check(rule text, facts jsonb) RETURNS void
    LANGUAGE c STRICT STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_check';
COMMENT ON FUNCTION nps._check(text, jsonb) IS
    'Internal: decide a change (rule step, task, request, decision, approval, run or immutable) from the facts a trigger gathered; raises the refusal, returns nothing when allowed.';

CREATE FUNCTION nps._template_normalize(definition jsonb) RETURNS jsonb
    LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_template_normalize';
COMMENT ON FUNCTION nps._template_normalize(jsonb) IS
    'Internal: validate a template definition (SQLSTATE P0N08 naming the JSON path) and return its normalized form with defaults written out.';

CREATE FUNCTION nps._add_due(start timestamp, days integer, hours integer, business boolean, holidays date[])
    RETURNS timestamp
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_add_due';
COMMENT ON FUNCTION nps._add_due(timestamp, integer, integer, boolean, date[]) IS
    'Internal: start plus days (calendar, or business days skipping weekends and the given holidays) plus hours, keeping the time of day.';

CREATE TABLE nps.holidays (
    day  date PRIMARY KEY,
    name text NOT NULL
);
COMMENT ON TABLE nps.holidays IS 'Days that do not count as business days for SLA due dates (weekends never do).';
COMMENT ON COLUMN nps.holidays.day IS 'The date, in the time zone the SLA is computed in (the session''s TimeZone).';
COMMENT ON COLUMN nps.holidays.name IS 'What the holiday is, for people reading the calendar.';

CREATE FUNCTION nps.due_at(start timestamptz, days integer DEFAULT 0, hours integer DEFAULT 0,
                           business boolean DEFAULT false)
    RETURNS timestamptz
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT nps._add_due(start AT TIME ZONE current_setting('TimeZone'), days, hours, business,
                        CASE WHEN business
                             THEN ARRAY(SELECT h.day FROM nps.holidays h
                                        WHERE h.day > (start AT TIME ZONE current_setting('TimeZone'))::date
                                        ORDER BY h.day)
                             ELSE '{}'::date[] END)
           AT TIME ZONE current_setting('TimeZone');
END;
COMMENT ON FUNCTION nps.due_at(timestamptz, integer, integer, boolean) IS
    'SLA due moment: start plus days (business = true skips weekends and nps.holidays, in the session time zone) plus hours.';

-------------------------------------------------------------------------------------------------
-- Small helpers used by triggers, views and policies
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._actor() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT nullif(current_setting('nps.actor', true), '');
END;
COMMENT ON FUNCTION nps._actor() IS 'The application actor of this session (SET nps.actor = ''...''), or NULL.';

CREATE FUNCTION nps._is_admin() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_has_role(current_user, 'nps_admin', 'MEMBER');
END;
COMMENT ON FUNCTION nps._is_admin() IS 'Whether the current role is a member of nps_admin.';

CREATE FUNCTION nps._changed(old jsonb, new jsonb, cols text[]) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(c ORDER BY c), '{}') FROM unnest(cols) AS c
            WHERE old -> c IS DISTINCT FROM new -> c);
END;
$$;
COMMENT ON FUNCTION nps._changed(jsonb, jsonb, text[]) IS 'Internal: which of cols differ between two row images.';

CREATE FUNCTION nps._immutable(what text, old jsonb, new jsonb, cols text[], hint text) RETURNS void
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT nps._check('immutable', jsonb_build_object('what', what, 'changed', nps._changed(old, new, cols),
                                                      'hint', hint));
END;
COMMENT ON FUNCTION nps._immutable(text, jsonb, jsonb, text[], text) IS
    'Internal: refuse (P0N09) a change to any of cols.';

-------------------------------------------------------------------------------------------------
-- Templates
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.templates (
    id          bigint GENERATED ALWAYS AS IDENTITY (START WITH 1001) PRIMARY KEY,
    name        text NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    description text NOT NULL DEFAULT '',
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  name NOT NULL DEFAULT current_user,
    UNIQUE (name, version)
);
COMMENT ON TABLE nps.templates IS 'Versioned workflow templates. A new version is how a template is customized; a version used by a run never changes.';
COMMENT ON COLUMN nps.templates.id IS 'Template version id. Ids up to 1000 are the shipped templates (templates/*.json), the same in every database; imported ones start at 1001.';
COMMENT ON COLUMN nps.templates.name IS 'Template name, e.g. ''NPS Detractor''; with version, the key runs start from.';
COMMENT ON COLUMN nps.templates.version IS 'Version number, 1 upwards; import assigns the next one unless the definition names it.';
COMMENT ON COLUMN nps.templates.definition IS 'The normalized JSON definition (defaults written out); nps.export_template returns it.';
COMMENT ON COLUMN nps.templates.created_by IS 'Role that imported this version.';

CREATE FUNCTION nps._templates_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    latest integer;
BEGIN
    IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM nps.runs r WHERE r.template_id = OLD.id) THEN
        PERFORM nps._immutable(format('template %s version %s is used by a run and', OLD.name, OLD.version),
                               to_jsonb(OLD), to_jsonb(NEW), '{name,version,definition,description}',
                               'Import a new version instead: nps.import_template(definition).');
    END IF;
    NEW.definition := nps._template_normalize(NEW.definition);
    NEW.name := NEW.definition ->> 'name';
    NEW.description := coalesce(NEW.definition ->> 'description', '');
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
        NEW.created_by := current_user;
        -- One import of a name at a time, so version numbers are assigned without gaps or races.
        PERFORM pg_advisory_xact_lock(hashtext('nps.templates'), hashtext(NEW.name));
        SELECT max(t.version) INTO latest FROM nps.templates t WHERE t.name = NEW.name;
        IF NEW.definition ? 'version' THEN
            NEW.version := (NEW.definition ->> 'version')::integer;
            IF NEW.version <= coalesce(latest, 0) THEN
                RAISE EXCEPTION 'template "%" version % already exists or is older than version %',
                        NEW.name, NEW.version, latest
                    USING ERRCODE = 'P0N09',
                          HINT = 'Leave "version" out to get the next version number.';
            END IF;
        ELSE
            NEW.version := coalesce(latest, 0) + 1;
        END IF;
    END IF;
    NEW.definition := jsonb_set(NEW.definition, '{version}', to_jsonb(NEW.version));
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._templates_guard() IS
    'Trigger: validates and normalizes template definitions, assigns versions, refuses changes to a version a run uses.';
CREATE TRIGGER templates_guard BEFORE INSERT OR UPDATE ON nps.templates
    FOR EACH ROW EXECUTE FUNCTION nps._templates_guard();

CREATE FUNCTION nps.import_template(definition jsonb) RETURNS nps.templates
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.templates (name, version, definition) VALUES ('', 1, definition) RETURNING *;
END;
COMMENT ON FUNCTION nps.import_template(jsonb) IS
    'Validate a template definition and store it as a new version; returns the stored row. Errors (P0N08) name the JSON path, e.g. steps[2].tasks[0].due.';

CREATE FUNCTION nps.export_template(name text, version integer DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d jsonb;
BEGIN
    SELECT t.definition INTO d FROM nps.templates t
    WHERE t.name = export_template.name AND (export_template.version IS NULL OR t.version = export_template.version)
    ORDER BY t.version DESC LIMIT 1;
    IF d IS NULL THEN
        RAISE EXCEPTION 'template "%"% does not exist', name, coalesce(' version ' || version, '')
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name, version FROM nps.templates lists them.';
    END IF;
    RETURN d;
END;
$$;
COMMENT ON FUNCTION nps.export_template(text, integer) IS
    'The normalized JSON of a template version (default: the latest); importing it again gives an identical definition.';

-------------------------------------------------------------------------------------------------
-- Runs, steps, tasks
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.runs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_id      bigint NOT NULL REFERENCES nps.templates (id),
    parent_run_id    bigint REFERENCES nps.runs (id),
    title            text NOT NULL,
    subject_type     text,
    subject_id       text,
    subject          jsonb NOT NULL DEFAULT '{}',
    owner            regrole NOT NULL,
    status           nps.run_status NOT NULL DEFAULT 'active',
    started_at       timestamptz NOT NULL DEFAULT now(),
    started_by       name NOT NULL DEFAULT current_user,
    actor            text,
    finished_at      timestamptz,
    cancel_reason    text,
    CHECK ((status = 'active') = (finished_at IS NULL)),
    CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL)),
    CHECK (jsonb_typeof(subject) = 'object')
);
CREATE INDEX ON nps.runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX ON nps.runs (subject_type, subject_id);
CREATE INDEX ON nps.runs (status) WHERE status = 'active';
COMMENT ON TABLE nps.runs IS 'One execution of a template about a subject (a cycle, an account, a response). Runs nest through parent_run_id.';
COMMENT ON COLUMN nps.runs.template_id IS 'The template version this run follows; that version can no longer change.';
COMMENT ON COLUMN nps.runs.parent_run_id IS 'The run this one belongs to, e.g. the NPS cycle a detractor project was started for.';
COMMENT ON COLUMN nps.runs.title IS 'Display title; defaults to the template name.';
COMMENT ON COLUMN nps.runs.subject_type IS 'Kind of subject (cycle, account, response …), from subject->>''type''.';
COMMENT ON COLUMN nps.runs.subject_id IS 'Identifier of the subject, from subject->>''id''; with subject_type, finds a subject''s runs.';
COMMENT ON COLUMN nps.runs.finished_at IS 'When the run became done or cancelled.';
COMMENT ON COLUMN nps.runs.cancel_reason IS 'Why the run was cancelled (required to cancel).';
COMMENT ON COLUMN nps.runs.subject IS 'Attributes of the subject; owner rules {"subject": "csm"} read roles from it, subject_type / subject_id come from its "type" / "id".';
COMMENT ON COLUMN nps.runs.owner IS 'Role that owns the run: may record evidence, skip steps, cancel tasks and the run.';
COMMENT ON COLUMN nps.runs.status IS 'active until the last step finishes (done) or the owner cancels it; terminal states are final.';
COMMENT ON COLUMN nps.runs.started_by IS 'Role that started the run (current_user).';
COMMENT ON COLUMN nps.runs.actor IS 'Application actor (nps.actor setting) that started the run.';

CREATE TABLE nps.steps (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           bigint NOT NULL REFERENCES nps.runs (id),
    position         integer NOT NULL CHECK (position >= 1),
    key              text NOT NULL,
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    checkpoint       boolean NOT NULL DEFAULT false,
    skippable        boolean NOT NULL DEFAULT false,
    approval_role    regrole,
    min_approvers    integer,
    evidence_spec    jsonb NOT NULL DEFAULT '[]',
    evidence         jsonb NOT NULL DEFAULT '{}',
    open_tasks       integer NOT NULL DEFAULT 0,
    status           nps.step_status NOT NULL DEFAULT 'pending',
    activated_at     timestamptz,
    completed_at     timestamptz,
    completed_by     name,
    actor            text,
    skip_reason      text,
    rejection_reason text,
    UNIQUE (run_id, position),
    UNIQUE (run_id, key),
    CHECK ((approval_role IS NULL) = (min_approvers IS NULL)),
    CHECK (NOT (checkpoint AND skippable)),
    CHECK ((status = 'skipped') = (skip_reason IS NOT NULL))
);
COMMENT ON TABLE nps.steps IS 'The steps (milestones) of a run, created from its template; they run in position order.';
COMMENT ON COLUMN nps.steps.position IS 'Order of the step in its run, from 1; a step starts when all earlier ones are done or skipped.';
COMMENT ON COLUMN nps.steps.key IS 'The step''s key in its template, e.g. ''intake''.';
COMMENT ON COLUMN nps.steps.status IS 'pending, active, awaiting_approval, done or skipped (nps.step_status).';
COMMENT ON COLUMN nps.steps.activated_at IS 'When the step became active; task SLAs count from here.';
COMMENT ON COLUMN nps.steps.skip_reason IS 'Why the step was skipped (required to skip).';
COMMENT ON COLUMN nps.steps.actor IS 'Application actor (nps.actor setting) of the change that finished the step.';
COMMENT ON COLUMN nps.steps.checkpoint IS 'Never skipped; completes only with all of its declared evidence recorded.';
COMMENT ON COLUMN nps.steps.skippable IS 'May be skipped with a reason by the run''s owner (never a checkpoint or an approval gate).';
COMMENT ON COLUMN nps.steps.approval_role IS 'Role whose members approve the step (NULL: no approval gate).';
COMMENT ON COLUMN nps.steps.min_approvers IS 'Approvals needed; a single rejection sends the step back to active.';
COMMENT ON COLUMN nps.steps.evidence_spec IS 'Fields the step must record before it completes (from the template).';
COMMENT ON COLUMN nps.steps.evidence IS 'Evidence recorded for the step, a JSON object keyed by field name.';
COMMENT ON COLUMN nps.steps.open_tasks IS 'Tasks of the step still open; maintained by the task triggers, recounted on every change.';
COMMENT ON COLUMN nps.steps.completed_by IS 'Role whose change finished the step (completion, skip, or the decision that approved it).';
COMMENT ON COLUMN nps.steps.rejection_reason IS 'Reason of the latest rejected approval: what to revise before requesting again.';

CREATE TABLE nps.tasks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        bigint NOT NULL REFERENCES nps.runs (id),
    step_id       bigint NOT NULL REFERENCES nps.steps (id),
    position      integer NOT NULL CHECK (position >= 1),
    key           text NOT NULL,
    title         text NOT NULL,
    description   text NOT NULL DEFAULT '',
    owner         regrole NOT NULL,
    previous_owner regrole,
    due_days      integer NOT NULL DEFAULT 0,
    due_hours     integer NOT NULL DEFAULT 0,
    due_business  boolean NOT NULL DEFAULT false,
    due_at        timestamptz,
    fields_spec   jsonb NOT NULL DEFAULT '[]',
    fields        jsonb NOT NULL DEFAULT '{}',
    note          text,
    status        nps.task_status NOT NULL DEFAULT 'open',
    completed_at  timestamptz,
    completed_by  name,
    actor         text,
    cancel_reason text,
    UNIQUE (step_id, key),
    CHECK ((status = 'open') = (completed_at IS NULL)),
    CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL))
);
CREATE INDEX ON nps.tasks (run_id);
CREATE INDEX ON nps.tasks (owner) WHERE status = 'open';
CREATE INDEX ON nps.tasks (due_at) WHERE status = 'open';
COMMENT ON TABLE nps.tasks IS 'The tasks of a run''s steps, each with an owner role and an SLA due date. Row-level security: owners see their own tasks.';
COMMENT ON COLUMN nps.tasks.owner IS 'Role that owns the task (resolved from the template''s owner rule at start; changed by nps.reassign_task).';
COMMENT ON COLUMN nps.tasks.key IS 'The task''s key in its template step, e.g. ''first_contact''.';
COMMENT ON COLUMN nps.tasks.cancel_reason IS 'Why the task was cancelled (required to cancel).';
COMMENT ON COLUMN nps.tasks.previous_owner IS 'Owner before the latest reassignment; keeps read access to the task it handed over.';
COMMENT ON COLUMN nps.tasks.due_days IS 'SLA from the template: days after the step becomes active (see due_business); 0 days and 0 hours means no SLA.';
COMMENT ON COLUMN nps.tasks.due_hours IS 'SLA from the template: hours added after the days.';
COMMENT ON COLUMN nps.tasks.due_business IS 'Whether due_days are business days (weekends and nps.holidays skipped).';
COMMENT ON COLUMN nps.tasks.due_at IS 'When the task is due; set when its step becomes active.';
COMMENT ON COLUMN nps.tasks.fields_spec IS 'Typed fields the task records (from the template); required ones must be filled to complete it.';
COMMENT ON COLUMN nps.tasks.fields IS 'Recorded field values, a JSON object keyed by field name.';
COMMENT ON COLUMN nps.tasks.note IS 'Free-text note of the owner.';
COMMENT ON COLUMN nps.tasks.completed_by IS 'Role that completed or cancelled the task.';
COMMENT ON COLUMN nps.tasks.actor IS 'Application actor (nps.actor setting) of the completion or cancellation.';

-------------------------------------------------------------------------------------------------
-- Approvals
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.approvals (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step_id       bigint NOT NULL REFERENCES nps.steps (id),
    run_id        bigint NOT NULL REFERENCES nps.runs (id),
    required_role regrole NOT NULL,
    min_approvers integer NOT NULL CHECK (min_approvers >= 1),
    requested_by  name NOT NULL DEFAULT current_user,
    actor         text,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    note          text,
    status        nps.approval_status NOT NULL DEFAULT 'pending',
    approvals     integer NOT NULL DEFAULT 0,
    rejections    integer NOT NULL DEFAULT 0,
    decided_at    timestamptz,
    reason        text,
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX approvals_one_pending ON nps.approvals (step_id) WHERE status = 'pending';
CREATE INDEX ON nps.approvals (step_id);
COMMENT ON TABLE nps.approvals IS 'Approval requests of approval-gated steps. Approved when min_approvers members of required_role approve; one rejection rejects.';
COMMENT ON COLUMN nps.approvals.required_role IS 'Role whose members decide (copied from the step).';
COMMENT ON COLUMN nps.approvals.requested_by IS 'Role that requested the approval; it can never decide it.';
COMMENT ON COLUMN nps.approvals.approvals IS 'Number of approving decisions (recounted from nps.approval_decisions on every change).';
COMMENT ON COLUMN nps.approvals.rejections IS 'Number of rejecting decisions (recounted likewise).';
COMMENT ON COLUMN nps.approvals.reason IS 'Why it was rejected or withdrawn.';
COMMENT ON COLUMN nps.approvals.note IS 'What the requester asks to be approved, e.g. ''Plan v2''.';
COMMENT ON COLUMN nps.approvals.actor IS 'Application actor (nps.actor setting) of the request.';

CREATE TABLE nps.approval_decisions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    approval_id bigint NOT NULL REFERENCES nps.approvals (id),
    run_id      bigint NOT NULL REFERENCES nps.runs (id),
    approver    name NOT NULL DEFAULT current_user,
    actor       text,
    decision    nps.decision NOT NULL,
    reason      text,
    decided_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (approval_id, approver)
);
COMMENT ON TABLE nps.approval_decisions IS 'One row per approver and approval: who decided what, when and why.';
COMMENT ON COLUMN nps.approval_decisions.run_id IS 'The run of the approval (set from it); the decision''s audit entry joins that run''s chain.';
COMMENT ON COLUMN nps.approval_decisions.approver IS 'The deciding role (always current_user at insert).';
COMMENT ON COLUMN nps.approval_decisions.actor IS 'Application actor (nps.actor setting) of the decision.';
COMMENT ON COLUMN nps.approval_decisions.reason IS 'Why (required to reject): what to revise.';

-------------------------------------------------------------------------------------------------
-- Facts that must be read past row-level security (counts only)
-------------------------------------------------------------------------------------------------
-- PL/pgSQL rather than a SQL-standard body: called on every task completion, and PL/pgSQL keeps
-- the query's plan for the session where a SQL function plans it again on every call.
CREATE FUNCTION nps._open_tasks(step_id bigint) RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT count(*)::integer FROM nps.tasks t WHERE t.step_id = _open_tasks.step_id AND t.status = 'open');
END;
$$;
COMMENT ON FUNCTION nps._open_tasks(bigint) IS
    'Internal: open tasks of a step, counted past row-level security (a CSM''s completion must see every owner''s tasks).';

CREATE FUNCTION nps._task_exists(task_id bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM nps.tasks t WHERE t.id = task_id);
END;
COMMENT ON FUNCTION nps._task_exists(bigint) IS 'Internal: whether a task exists, visible or not (to tell "not yours" from "no such task").';

CREATE FUNCTION nps._may_manage(run_owner regrole) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_has_role(current_user, run_owner, 'MEMBER') OR nps._is_admin();
END;
COMMENT ON FUNCTION nps._may_manage(regrole) IS 'Whether the current role owns a run (is a member of its owner) or is an nps_admin.';

CREATE FUNCTION nps._role(name text, what text) RETURNS regrole
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r regrole := to_regrole(quote_ident(name));
BEGIN
    IF r IS NULL THEN
        RAISE EXCEPTION 'role "%" (%) does not exist', name, what
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create the role (task owners are real login roles), or name an existing one.';
    END IF;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION nps._role(text, text) IS 'Internal: the role of that exact name, or a 42704 error saying what needed it.';

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
            USING ERRCODE = 'P0N09',
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
-- Step guard and advance
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._step_label(s nps.steps) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN format('step "%s" (#%s) of run #%s', s.name, s.id, s.run_id);
END;
$$;
COMMENT ON FUNCTION nps._step_label(nps.steps) IS 'Internal: how messages name a step.';

CREATE FUNCTION nps._steps_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run   nps.runs;
    label text;
    facts jsonb;
    old_j jsonb := to_jsonb(OLD);
    new_j jsonb := to_jsonb(NEW);
BEGIN
    -- The recount after each task completion (nps._task_finished, hence inside a trigger)
    -- changes nothing but open_tasks of an active step of an active run: no transition to
    -- check, only the count to set. Statements from clients always take the full check.
    IF pg_trigger_depth() > 1 AND OLD.status = 'active' AND new_j - 'open_tasks' = old_j - 'open_tasks'
       AND (SELECT r.status FROM nps.runs r WHERE r.id = OLD.run_id) = 'active' THEN
        NEW.open_tasks := nps._open_tasks(OLD.id);
        RETURN NEW;
    END IF;
    label := nps._step_label(OLD);
    PERFORM nps._immutable(label, old_j, new_j,
                           '{id,run_id,position,key,name,description,checkpoint,skippable,approval_role,min_approvers,evidence_spec}',
                           'A step''s definition comes from its template version; import a new version for new runs.');
    SELECT * INTO run FROM nps.runs r WHERE r.id = OLD.run_id;
    NEW.open_tasks := nps._open_tasks(OLD.id);
    facts := jsonb_build_object(
        'step', label,
        'run', format('run #%s', OLD.run_id),
        'run_status', run.status,
        'from', OLD.status, 'to', NEW.status,
        'checkpoint', OLD.checkpoint, 'skippable', OLD.skippable,
        'has_approval', OLD.approval_role IS NOT NULL,
        'approval', (SELECT a.status FROM nps.approvals a WHERE a.step_id = OLD.id ORDER BY a.id DESC LIMIT 1),
        'earlier_unfinished', (SELECT count(*) FROM nps.steps e
                               WHERE e.run_id = OLD.run_id AND e.position < OLD.position
                                 AND e.status NOT IN ('done', 'skipped')),
        'open_tasks', NEW.open_tasks,
        'evidence_spec', OLD.evidence_spec,
        'evidence', NEW.evidence,
        'skip_reason', NEW.skip_reason,
        'may_manage', nps._may_manage(run.owner));
    PERFORM nps._check('step', facts);
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        CASE NEW.status
            WHEN 'active' THEN
                NEW.activated_at := coalesce(NEW.activated_at, now());
            WHEN 'done', 'skipped' THEN
                NEW.completed_at := now();
                NEW.completed_by := current_user;
                NEW.actor := nps._actor();
            ELSE
        END CASE;
        IF NEW.status = 'skipped' THEN
            NEW.open_tasks := 0;  -- steps_abandon_tasks cancels them right after
        END IF;
        IF NEW.status = 'active' AND OLD.status = 'awaiting_approval' THEN
            NEW.rejection_reason := (SELECT a.reason FROM nps.approvals a WHERE a.step_id = OLD.id
                                     ORDER BY a.id DESC LIMIT 1);
        END IF;
    ELSE
        -- Bookkeeping columns change only with the status.
        NEW.activated_at := OLD.activated_at;
        NEW.completed_at := OLD.completed_at;
        NEW.completed_by := OLD.completed_by;
        NEW.actor := OLD.actor;
        NEW.rejection_reason := OLD.rejection_reason;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._steps_guard() IS 'Trigger: enforces the step state machine (order, checkpoints, evidence, open tasks, approvals) for every client.';
CREATE TRIGGER steps_guard BEFORE UPDATE ON nps.steps
    FOR EACH ROW EXECUTE FUNCTION nps._steps_guard();

-- Schedules the SLA of a step's tasks when it becomes active (past row-level security).
CREATE FUNCTION nps._schedule_tasks() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE nps.tasks t
       SET due_at = nps.due_at(NEW.activated_at, t.due_days, t.due_hours, t.due_business)
     WHERE t.step_id = NEW.id AND (t.due_days > 0 OR t.due_hours > 0) AND t.due_at IS NULL AND t.status = 'open';
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._schedule_tasks() IS 'Trigger: sets due_at of the tasks of a step that became active, from their SLA.';
CREATE TRIGGER steps_schedule AFTER UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status = 'active' AND OLD.status = 'pending')
    EXECUTE FUNCTION nps._schedule_tasks();

-- When a step finishes, the next unfinished step starts; when none is left, the run is done.
CREATE FUNCTION nps._advance_run() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nxt nps.steps;
BEGIN
    SELECT * INTO nxt FROM nps.steps s
    WHERE s.run_id = NEW.run_id AND s.status NOT IN ('done', 'skipped')
    ORDER BY s.position LIMIT 1;
    IF NOT FOUND THEN
        UPDATE nps.runs SET status = 'done' WHERE id = NEW.run_id AND status = 'active';
    ELSIF nxt.status = 'pending' THEN
        UPDATE nps.steps SET status = 'active' WHERE id = nxt.id;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._advance_run() IS 'Trigger: starts the next step after one finishes, or finishes the run.';
CREATE TRIGGER steps_advance AFTER UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status IN ('done', 'skipped') AND OLD.status NOT IN ('done', 'skipped'))
    EXECUTE FUNCTION nps._advance_run();

-------------------------------------------------------------------------------------------------
-- Task guard and step completion
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._reference_exists(target text, key text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass := to_regclass(target);
    pk  text;
    found boolean;
BEGIN
    IF rel IS NULL THEN
        RETURN false;
    END IF;
    SELECT a.attname INTO pk
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = rel AND i.indisprimary AND i.indnatts = 1;
    IF pk IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I::text = $1)', rel, pk) INTO found USING key;
    RETURN found;
END;
$$;
COMMENT ON FUNCTION nps._reference_exists(text, text) IS
    'Internal: whether table target has a row whose single-column primary key equals key (as text).';

CREATE FUNCTION nps._tasks_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run  nps.runs;
    step nps.steps;
    dangling text[];
    facts jsonb;
BEGIN
    PERFORM nps._immutable(format('task "%s" (#%s)', OLD.title, OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                           '{id,run_id,step_id,position,key,title,description,due_days,due_hours,due_business,fields_spec}',
                           'A task''s definition comes from its template version.');
    SELECT * INTO run FROM nps.runs r WHERE r.id = OLD.run_id;
    SELECT * INTO step FROM nps.steps s WHERE s.id = OLD.step_id;
    SELECT coalesce(array_agg(f ->> 'name'), '{}') INTO dangling
    FROM jsonb_array_elements(OLD.fields_spec) f
    WHERE f ->> 'type' = 'reference' AND NEW.fields ? (f ->> 'name')
      AND jsonb_typeof(NEW.fields -> (f ->> 'name')) IN ('string', 'number')
      AND NOT nps._reference_exists(f ->> 'to', NEW.fields ->> (f ->> 'name'));
    facts := jsonb_build_object(
        'task', format('task "%s" (#%s)', OLD.title, OLD.id),
        'run', format('run #%s', OLD.run_id),
        'run_status', run.status,
        'step', nps._step_label(step),
        'step_status', step.status,
        'from', OLD.status, 'to', NEW.status,
        'fields_spec', OLD.fields_spec,
        'fields', NEW.fields,
        'is_owner', pg_has_role(current_user, OLD.owner, 'MEMBER'),
        'may_manage', nps._may_manage(run.owner),
        'owner_changed', NEW.owner IS DISTINCT FROM OLD.owner,
        'due_changed', NEW.due_at IS DISTINCT FROM OLD.due_at,
        'id', OLD.id,
        'reason', NEW.cancel_reason,
        'dangling', to_jsonb(dangling));
    PERFORM nps._check('task', facts);
    NEW.previous_owner := CASE WHEN NEW.owner IS DISTINCT FROM OLD.owner THEN OLD.owner ELSE OLD.previous_owner END;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.completed_at := now();
        NEW.completed_by := current_user;
        NEW.actor := nps._actor();
    ELSE
        NEW.completed_at := OLD.completed_at;
        NEW.completed_by := OLD.completed_by;
        NEW.actor := OLD.actor;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._tasks_guard() IS 'Trigger: enforces task rules (owner, active step, required fields, terminal states) for every client.';
CREATE TRIGGER tasks_guard BEFORE UPDATE ON nps.tasks
    FOR EACH ROW EXECUTE FUNCTION nps._tasks_guard();

-- A finished task updates its step's open-task count; the row lock this takes orders concurrent
-- completions in one step, so the last one always sees the others and completes the step when
-- nothing else (evidence, approval) is required.
CREATE FUNCTION nps._task_finished() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    step nps.steps;
BEGIN
    IF (SELECT r.status FROM nps.runs r WHERE r.id = NEW.run_id) <> 'active'
       OR (SELECT s.status FROM nps.steps s WHERE s.id = NEW.step_id) = 'skipped' THEN
        RETURN NULL;  -- a cancelled run's or a skipped step's tasks: nothing advances
    END IF;
    UPDATE nps.steps SET open_tasks = open_tasks WHERE id = NEW.step_id RETURNING * INTO step;
    IF step.open_tasks = 0 AND step.status = 'active' AND step.approval_role IS NULL
       AND step.evidence_spec = '[]' THEN
        UPDATE nps.steps SET status = 'done' WHERE id = step.id;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._task_finished() IS
    'Trigger: recounts the step''s open tasks after a task finishes and completes the step when nothing else is required.';
CREATE TRIGGER tasks_finished AFTER UPDATE OF status ON nps.tasks
    FOR EACH ROW WHEN (OLD.status = 'open' AND NEW.status <> 'open')
    EXECUTE FUNCTION nps._task_finished();

-------------------------------------------------------------------------------------------------
-- Approval guards
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._approvals_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    step  nps.steps;
    run   nps.runs;
    facts jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT * INTO step FROM nps.steps s WHERE s.id = NEW.step_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'step % does not exist', NEW.step_id
                USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs and their current steps.';
        END IF;
        SELECT * INTO run FROM nps.runs r WHERE r.id = step.run_id;
        facts := jsonb_build_object(
            'step', nps._step_label(step),
            'run', format('run #%s', step.run_id),
            'run_status', run.status,
            'step_status', step.status,
            'has_approval', step.approval_role IS NOT NULL,
            'pending_exists', EXISTS (SELECT 1 FROM nps.approvals a WHERE a.step_id = step.id AND a.status = 'pending'),
            'open_tasks', nps._open_tasks(step.id),
            'evidence_spec', step.evidence_spec,
            'evidence', step.evidence);
        PERFORM nps._check('request', facts);
        NEW.run_id := step.run_id;
        NEW.required_role := step.approval_role;
        NEW.min_approvers := step.min_approvers;
        NEW.requested_by := current_user;
        NEW.actor := nps._actor();
        NEW.requested_at := now();
        NEW.status := 'pending';
        NEW.approvals := 0;
        NEW.rejections := 0;
        NEW.decided_at := NULL;
        NEW.reason := NULL;
        RETURN NEW;
    END IF;
    PERFORM nps._immutable(format('approval #%s', OLD.id), to_jsonb(OLD), to_jsonb(NEW),
                           '{id,step_id,run_id,required_role,min_approvers,requested_by,actor,requested_at,note}',
                           'Decide with nps.decide; request a new approval to change what is asked.');
    SELECT count(*) FILTER (WHERE d.decision = 'approve'), count(*) FILTER (WHERE d.decision = 'reject')
      INTO NEW.approvals, NEW.rejections
      FROM nps.approval_decisions d WHERE d.approval_id = OLD.id;
    facts := jsonb_build_object(
        'approval', format('approval #%s', OLD.id),
        'from', OLD.status, 'to', NEW.status,
        'approvals', NEW.approvals, 'rejections', NEW.rejections,
        'min_approvers', OLD.min_approvers,
        'may_withdraw', OLD.requested_by = current_user OR nps._is_admin()
                        OR (SELECT r.status <> 'active' FROM nps.runs r WHERE r.id = OLD.run_id));
    PERFORM nps._check('approval', facts);
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.decided_at := now();
    ELSE
        NEW.decided_at := OLD.decided_at;
        NEW.reason := OLD.reason;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._approvals_guard() IS
    'Trigger: validates approval requests and lets an approval''s status follow only from its decisions (or a withdrawal).';
CREATE TRIGGER approvals_guard BEFORE INSERT OR UPDATE ON nps.approvals
    FOR EACH ROW EXECUTE FUNCTION nps._approvals_guard();

CREATE FUNCTION nps._approval_requested() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE nps.steps SET status = 'awaiting_approval' WHERE id = NEW.step_id;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._approval_requested() IS 'Trigger: a new approval request moves its step to awaiting_approval.';
CREATE TRIGGER approvals_requested AFTER INSERT ON nps.approvals
    FOR EACH ROW EXECUTE FUNCTION nps._approval_requested();

CREATE FUNCTION nps._approval_settled() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = NEW.run_id AND r.status = 'active') THEN
        RETURN NULL;  -- withdrawn because the run was cancelled: its steps stay as they are
    END IF;
    IF NEW.status = 'approved' THEN
        UPDATE nps.steps SET status = 'done' WHERE id = NEW.step_id AND status = 'awaiting_approval';
    ELSIF NEW.status IN ('rejected', 'withdrawn') THEN
        UPDATE nps.steps SET status = 'active' WHERE id = NEW.step_id AND status = 'awaiting_approval';
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._approval_settled() IS
    'Trigger: an approved request completes its step; a rejected or withdrawn one sends it back to active (revise and resubmit).';
CREATE TRIGGER approvals_settled AFTER UPDATE OF status ON nps.approvals
    FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.status <> 'pending')
    EXECUTE FUNCTION nps._approval_settled();

CREATE FUNCTION nps._decisions_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a     nps.approvals;
    facts jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'decisions are final: % on nps.approval_decisions is refused', TG_OP
            USING ERRCODE = 'P0N06', HINT = 'Record a new approval request instead of changing a decision.';
    END IF;
    -- The approval row lock orders concurrent decisions: the second sees the first.
    SELECT * INTO a FROM nps.approvals ap WHERE ap.id = NEW.approval_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'approval % does not exist', NEW.approval_id
            USING ERRCODE = 'undefined_object', HINT = 'nps.pending_approvals lists the approvals you can decide.';
    END IF;
    NEW.run_id := a.run_id;
    NEW.approver := current_user;
    NEW.actor := nps._actor();
    NEW.decided_at := now();
    facts := jsonb_build_object(
        'approval', format('approval #%s of step #%s', a.id, a.step_id),
        'status', a.status,
        'required_role', a.required_role::text,
        'approver', current_user,
        'requester', a.requested_by,
        'is_member', pg_has_role(current_user, a.required_role, 'MEMBER'),
        'decided_before', EXISTS (SELECT 1 FROM nps.approval_decisions d
                                  WHERE d.approval_id = a.id AND d.approver = current_user),
        'decision', NEW.decision,
        'reason', NEW.reason);
    PERFORM nps._check('decision', facts);
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._decisions_guard() IS
    'Trigger: a decision comes from a member of the required role, never the requester, once per approver, on a pending approval; decisions never change.';
CREATE TRIGGER decisions_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.approval_decisions
    FOR EACH ROW EXECUTE FUNCTION nps._decisions_guard();

CREATE FUNCTION nps._decision_made() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE nps.approvals a
       SET status = CASE WHEN NEW.decision = 'reject' THEN 'rejected'::nps.approval_status
                         WHEN a.approvals + 1 >= a.min_approvers THEN 'approved'::nps.approval_status
                         ELSE a.status END,
           reason = CASE WHEN NEW.decision = 'reject' THEN NEW.reason ELSE a.reason END
     WHERE a.id = NEW.approval_id;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._decision_made() IS 'Trigger: a decision recounts its approval and settles it when enough approvers approved or one rejected.';
CREATE TRIGGER decisions_made AFTER INSERT ON nps.approval_decisions
    FOR EACH ROW EXECUTE FUNCTION nps._decision_made();

-- Skipping a step cancels its open tasks, so they leave the owners' lists and SLA reports. The
-- trigger's name sorts before steps_advance: the tasks go before the run can finish.
CREATE FUNCTION nps._step_skipped() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE nps.tasks SET status = 'cancelled', cancel_reason = 'step skipped: ' || NEW.skip_reason
     WHERE step_id = NEW.id AND status = 'open';
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._step_skipped() IS 'Trigger: cancels the open tasks of a skipped step, with the skip''s reason.';
CREATE TRIGGER steps_abandon_tasks AFTER UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status = 'skipped' AND OLD.status <> 'skipped')
    EXECUTE FUNCTION nps._step_skipped();

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
CREATE FUNCTION nps._object(value jsonb, what text, example text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL OR jsonb_typeof(value) <> 'object' THEN
        RAISE EXCEPTION '% % is not a JSON object', what, coalesce(value::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = format('Pass an object, e.g. ''%s''.', example);
    END IF;
    RETURN value;
END;
$$;
COMMENT ON FUNCTION nps._object(jsonb, text, text) IS 'Internal: value when it is a JSON object, else a 22023 error naming what it is.';

CREATE FUNCTION nps.start_run(template text, owner name DEFAULT current_user, subject jsonb DEFAULT '{}',
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
        RAISE EXCEPTION 'template "%"% does not exist', template, coalesce(' version ' || template_version, '')
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name, version FROM nps.templates lists them.';
    END IF;
    PERFORM nps._object(subject, 'subject', '{"type": "account", "id": "42", "csm": "alice"}');
    IF parent_run IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nps.runs p WHERE p.id = parent_run) THEN
        RAISE EXCEPTION 'parent run % does not exist', parent_run
            USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs.';
    END IF;
    INSERT INTO nps.runs (template_id, parent_run_id, title, subject, owner)
    VALUES (tpl.id, parent_run, coalesce(title, tpl.name), subject, nps._role(owner, 'owner of the run'))
    RETURNING * INTO r;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION nps.start_run(text, name, jsonb, text, bigint, integer) IS
    'Start a run of a template (latest version unless template_version is given): creates its steps and tasks, resolves owners, activates the first step. Returns the run.';

CREATE FUNCTION nps._task_for_update(task bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT nps._task_exists(task) THEN
        RAISE EXCEPTION 'task % does not exist', task
            USING ERRCODE = 'undefined_object', HINT = 'nps.my_tasks lists your open tasks.';
    END IF;
    RAISE EXCEPTION 'task % belongs to another owner', task
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Only its owner, the run''s owner or an nps_admin may change it; ask them to reassign it.';
END;
$$;
COMMENT ON FUNCTION nps._task_for_update(bigint) IS 'Internal: the error for a task the current role cannot see: missing (42704) or not theirs (42501).';

CREATE FUNCTION nps.complete_task(task bigint, fields jsonb DEFAULT '{}', note text DEFAULT NULL)
    RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET status = 'done', fields = x.fields || nps._object(complete_task.fields, 'fields', '{"outcome": "resolved"}'),
                           note = coalesce(complete_task.note, x.note)
     WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._task_for_update(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.complete_task(bigint, jsonb, text) IS
    'Complete a task, recording its fields (merged into those saved) and a note. Refused unless the step is active, the caller owns the task (or the run, or is nps_admin) and every required field is filled.';

CREATE FUNCTION nps.save_task(task bigint, fields jsonb DEFAULT '{}', note text DEFAULT NULL)
    RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET fields = x.fields || nps._object(save_task.fields, 'fields', '{"outcome": "resolved"}'), note = coalesce(save_task.note, x.note)
     WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._task_for_update(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.save_task(bigint, jsonb, text) IS
    'Record field values and a note on an open task without completing it (values are type-checked).';

CREATE FUNCTION nps.reassign_task(task bigint, new_owner name, note text DEFAULT NULL)
    RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET owner = nps._role(new_owner, format('new owner of task %s', task)),
                           note = coalesce(reassign_task.note, x.note)
     WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._task_for_update(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.reassign_task(bigint, name, text) IS
    'Hand an open task to another role (by its owner, the run''s owner or an nps_admin).';

CREATE FUNCTION nps.cancel_task(task bigint, reason text) RETURNS nps.tasks
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t nps.tasks;
BEGIN
    UPDATE nps.tasks x SET status = 'cancelled', cancel_reason = reason WHERE x.id = task RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM nps._task_for_update(task);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION nps.cancel_task(bigint, text) IS 'Cancel an open task with a reason (by the run''s owner or an nps_admin).';

CREATE FUNCTION nps._step_missing(step bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'step % does not exist', step
        USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs and their current steps.';
END;
$$;
COMMENT ON FUNCTION nps._step_missing(bigint) IS 'Internal: the error for an unknown step.';

CREATE FUNCTION nps.complete_step(step bigint, evidence jsonb DEFAULT '{}') RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nps.steps;
BEGIN
    UPDATE nps.steps x SET status = 'done', evidence = x.evidence || nps._object(complete_step.evidence, 'evidence', '{"responses": 412}')
     WHERE x.id = step RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM nps._step_missing(step);
    END IF;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION nps.complete_step(bigint, jsonb) IS
    'Complete an active step, recording its evidence (merged). Refused with open tasks, missing evidence, or an approval gate (use nps.request_approval).';

CREATE FUNCTION nps.record_evidence(step bigint, evidence jsonb) RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nps.steps;
BEGIN
    UPDATE nps.steps x SET evidence = x.evidence || nps._object(record_evidence.evidence, 'evidence', '{"responses": 412}') WHERE x.id = step RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM nps._step_missing(step);
    END IF;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION nps.record_evidence(bigint, jsonb) IS
    'Record evidence on an unfinished step without completing it (type-checked against the step''s declared evidence).';

CREATE FUNCTION nps.skip_step(step bigint, reason text) RETURNS nps.steps
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nps.steps;
BEGIN
    UPDATE nps.steps x SET status = 'skipped', skip_reason = reason WHERE x.id = step RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM nps._step_missing(step);
    END IF;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION nps.skip_step(bigint, text) IS
    'Skip a pending or active step with a reason (run owner or nps_admin). Checkpoints and approval gates can never be skipped (P0N01).';

CREATE FUNCTION nps.request_approval(step bigint, note text DEFAULT NULL) RETURNS nps.approvals
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.approvals (step_id, run_id, required_role, min_approvers, note)
    VALUES (step, 0, 0::regrole, 1, note) RETURNING *;
END;
COMMENT ON FUNCTION nps.request_approval(bigint, text) IS
    'Ask the step''s approval role to approve an active step whose tasks are finished and evidence recorded; the step becomes awaiting_approval. Returns the request.';

CREATE FUNCTION nps.decide(approval bigint, decision nps.decision, reason text DEFAULT NULL)
    RETURNS nps.approvals
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a nps.approvals;
BEGIN
    INSERT INTO nps.approval_decisions (approval_id, decision, reason) VALUES (approval, decision, reason);
    SELECT * INTO a FROM nps.approvals x WHERE x.id = approval;
    RETURN a;
END;
$$;
COMMENT ON FUNCTION nps.decide(bigint, nps.decision, text) IS
    'Approve or reject (with a reason) an approval request as the current role: a member of the required role, not the requester, once. Returns the approval after the decision.';

CREATE FUNCTION nps.withdraw_approval(approval bigint, reason text) RETURNS nps.approvals
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a nps.approvals;
BEGIN
    UPDATE nps.approvals x SET status = 'withdrawn', reason = withdraw_approval.reason
     WHERE x.id = approval RETURNING * INTO a;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'approval % does not exist', approval
            USING ERRCODE = 'undefined_object', HINT = 'nps.pending_approvals lists open requests.';
    END IF;
    RETURN a;
END;
$$;
COMMENT ON FUNCTION nps.withdraw_approval(bigint, text) IS 'Withdraw a pending approval request (its requester or an nps_admin); the step returns to active.';

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

-------------------------------------------------------------------------------------------------
-- Views
-------------------------------------------------------------------------------------------------
CREATE VIEW nps.my_tasks AS
SELECT t.id AS task_id, t.title, t.owner, t.status, t.due_at,
       t.due_at < now() AS overdue,
       s.status = 'active' AS actionable,
       s.id AS step_id, s.name AS step, s.status AS step_status,
       r.id AS run_id, r.title AS run, tp.name AS template,
       t.fields_spec, t.fields
FROM nps.tasks t
JOIN nps.steps s ON s.id = t.step_id
JOIN nps.runs r ON r.id = t.run_id
JOIN nps.templates tp ON tp.id = r.template_id
WHERE t.status = 'open' AND r.status = 'active' AND pg_has_role(current_user, t.owner, 'MEMBER');
COMMENT ON VIEW nps.my_tasks IS 'Open tasks of active runs owned by the current role (or a role it belongs to), actionable ones being in an active step.';
COMMENT ON COLUMN nps.my_tasks.actionable IS 'The task''s step is active, so the task can be completed now.';
COMMENT ON COLUMN nps.my_tasks.overdue IS 'Due date has passed.';
COMMENT ON COLUMN nps.my_tasks.fields_spec IS 'The fields the task records; required ones must be filled to complete it.';
COMMENT ON COLUMN nps.my_tasks.fields IS 'Field values saved so far.';
COMMENT ON COLUMN nps.my_tasks.template IS 'Template of the task''s run.';

CREATE VIEW nps.overdue_tasks AS
SELECT t.id AS task_id, t.title, t.owner, t.due_at, now() - t.due_at AS overdue_by,
       s.id AS step_id, s.name AS step, r.id AS run_id, r.title AS run, r.owner AS run_owner, tp.name AS template
FROM nps.tasks t
JOIN nps.steps s ON s.id = t.step_id
JOIN nps.runs r ON r.id = t.run_id
JOIN nps.templates tp ON tp.id = r.template_id
WHERE t.status = 'open' AND r.status = 'active' AND t.due_at < now();
COMMENT ON VIEW nps.overdue_tasks IS 'SLA breaches: open tasks of active runs past their due date, across all owners.';
COMMENT ON COLUMN nps.overdue_tasks.overdue_by IS 'How long past due.';
COMMENT ON COLUMN nps.overdue_tasks.run_owner IS 'Owner of the run: who to escalate a breach to.';

CREATE VIEW nps.pending_approvals AS
SELECT a.id AS approval_id, a.required_role, a.min_approvers, a.approvals, a.requested_by, a.requested_at, a.note,
       s.id AS step_id, s.name AS step, s.evidence, s.rejection_reason,
       r.id AS run_id, r.title AS run, tp.name AS template
FROM nps.approvals a
JOIN nps.steps s ON s.id = a.step_id
JOIN nps.runs r ON r.id = a.run_id
JOIN nps.templates tp ON tp.id = r.template_id
WHERE a.status = 'pending'
  AND pg_has_role(current_user, a.required_role, 'MEMBER')
  AND a.requested_by <> current_user
  AND NOT EXISTS (SELECT 1 FROM nps.approval_decisions d WHERE d.approval_id = a.id AND d.approver = current_user);
COMMENT ON VIEW nps.pending_approvals IS 'Approval requests the current role can decide: pending, for a role it belongs to, not its own, not yet decided by it.';
COMMENT ON COLUMN nps.pending_approvals.approvals IS 'Approvals so far, of min_approvers needed.';
COMMENT ON COLUMN nps.pending_approvals.evidence IS 'Evidence the step recorded, for the approver to review.';
COMMENT ON COLUMN nps.pending_approvals.rejection_reason IS 'Reason of the previous rejection of this step, if it was resubmitted.';

CREATE VIEW nps.run_progress AS
SELECT r.id AS run_id, r.title, tp.name AS template, tp.version AS template_version, r.owner, r.status,
       r.parent_run_id, r.subject_type, r.subject_id, r.started_at, r.finished_at,
       st.total AS steps_total, st.finished AS steps_finished,
       round(100.0 * st.finished / nullif(st.total, 0), 1) AS milestone_pct,
       st.current_step, st.current_status,
       tk.total AS tasks_total, tk.done AS tasks_done, tk.overdue AS tasks_overdue
FROM nps.runs r
JOIN nps.templates tp ON tp.id = r.template_id
CROSS JOIN LATERAL (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE s.status IN ('done', 'skipped')) AS finished,
           (array_agg(s.name ORDER BY s.position) FILTER (WHERE s.status NOT IN ('done', 'skipped', 'pending')))[1]
               AS current_step,
           (array_agg(s.status ORDER BY s.position) FILTER (WHERE s.status NOT IN ('done', 'skipped', 'pending')))[1]
               AS current_status
    FROM nps.steps s WHERE s.run_id = r.id) st
CROSS JOIN LATERAL (
    SELECT count(*) AS total, count(*) FILTER (WHERE t.status = 'done') AS done,
           count(*) FILTER (WHERE t.status = 'open' AND t.due_at < now()) AS overdue
    FROM nps.tasks t WHERE t.run_id = r.id) tk;
COMMENT ON VIEW nps.run_progress IS 'Per run: steps finished of total, milestone completion %, the current step, task counts and SLA breaches.';
COMMENT ON COLUMN nps.run_progress.milestone_pct IS 'Steps done or skipped as a percentage of all steps.';
COMMENT ON COLUMN nps.run_progress.current_step IS 'The step being worked on (active or awaiting approval); NULL when the run is finished.';
COMMENT ON COLUMN nps.run_progress.tasks_overdue IS 'Open tasks past their due date.';
COMMENT ON COLUMN nps.run_progress.steps_finished IS 'Steps done or skipped.';
COMMENT ON COLUMN nps.run_progress.current_status IS 'Status of the current step: active or awaiting_approval.';
COMMENT ON COLUMN nps.run_progress.tasks_done IS 'Tasks completed (cancelled ones are not counted).';

-------------------------------------------------------------------------------------------------
-- Roles, grants, row-level security
-------------------------------------------------------------------------------------------------
ALTER TABLE nps.tasks ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION nps._may_see_task(owner regrole, previous_owner regrole, run_id bigint) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_has_role(current_user, owner, 'MEMBER')
        OR coalesce(pg_has_role(current_user, previous_owner, 'MEMBER'), false)
        OR pg_has_role(current_user, 'nps_admin', 'MEMBER')
        OR pg_has_role(current_user, 'nps_auditor', 'MEMBER')
        OR pg_has_role(current_user, 'nps_approver', 'MEMBER')
        OR EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = run_id AND pg_has_role(current_user, r.owner, 'MEMBER'));
END;
COMMENT ON FUNCTION nps._may_see_task(regrole, regrole, bigint) IS
    'Row-level security: a task is visible to its owner and previous owner, the run''s owner, approvers, auditors and admins.';
CREATE POLICY tasks_visible ON nps.tasks FOR SELECT USING (nps._may_see_task(owner, previous_owner, run_id));
CREATE POLICY tasks_changeable ON nps.tasks FOR UPDATE
    USING (pg_has_role(current_user, owner, 'MEMBER') OR nps._is_admin()
           OR EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = run_id AND pg_has_role(current_user, r.owner, 'MEMBER')))
    WITH CHECK (true);
COMMENT ON POLICY tasks_visible ON nps.tasks IS 'Owners (and the owner who handed a task over) see their tasks; run owners, approvers, auditors and admins see all of a run''s.';
COMMENT ON POLICY tasks_changeable ON nps.tasks IS 'Owners, run owners and admins may change a task; the guard trigger decides what change is allowed.';


-------------------------------------------------------------------------------------------------
-- Shipped templates (templates/*.json, compiled into the library)
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._shipped_templates() RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'nps_shipped_templates';
COMMENT ON FUNCTION nps._shipped_templates() IS
    'Internal: the template definitions shipped in templates/*.json, as a JSON array, imported by CREATE EXTENSION.';
-- Each shipped template's id is its position in the shipped list, so every installation, upgrade
-- and restore agrees on it (pg_dump carries only the imported ones, ids above 1000).
-- Every column is spelled out rather than left to the guard trigger, which does not fire when
-- CREATE EXTENSION runs in replica mode (as pg_restore does; see docs/audit.md).
INSERT INTO nps.templates (id, name, version, description, definition) OVERRIDING SYSTEM VALUE
SELECT t.ordinality, d.def ->> 'name', 1, coalesce(d.def ->> 'description', ''), jsonb_set(d.def, '{version}', '1')
FROM jsonb_array_elements(nps._shipped_templates()) WITH ORDINALITY AS t,
     LATERAL (SELECT nps._template_normalize(t.value) AS def) AS d
ORDER BY t.ordinality;
