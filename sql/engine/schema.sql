-- pg_nps workflow engine, tables: templates, runs, steps, tasks, approvals, decisions, holidays,
-- with their audit registration and what pg_dump keeps. The rules are in the other engine files.

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
CREATE TABLE nps.holidays (
    day  date PRIMARY KEY,
    name text NOT NULL
);
COMMENT ON TABLE nps.holidays IS 'Days that do not count as business days for SLA due dates (weekends never do).';
COMMENT ON COLUMN nps.holidays.day IS 'The date, in the time zone the SLA is computed in (the session''s TimeZone).';
COMMENT ON COLUMN nps.holidays.name IS 'What the holiday is, for people reading the calendar.';

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
-- Views
-------------------------------------------------------------------------------------------------

-------------------------------------------------------------------------------------------------
-- Roles, grants, row-level security
-------------------------------------------------------------------------------------------------
ALTER TABLE nps.tasks ENABLE ROW LEVEL SECURITY;

-------------------------------------------------------------------------------------------------
-- Capture
-------------------------------------------------------------------------------------------------
-- The process tables. The trigger is named audit_capture, which sorts before the workflow's own
-- AFTER triggers: a change is recorded before the changes it causes.
SELECT nps.enable_audit('nps.templates');
SELECT nps.enable_audit('nps.holidays');
SELECT nps.enable_audit('nps.runs', 'id');
SELECT nps.enable_audit('nps.steps', 'run_id');
SELECT nps.enable_audit('nps.tasks', 'run_id');
SELECT nps.enable_audit('nps.approvals', 'run_id');
SELECT nps.enable_audit('nps.approval_decisions', 'run_id');

-------------------------------------------------------------------------------------------------
-- pg_dump keeps the process data and the whole trail, so a restored database still verifies.
-------------------------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('nps.templates', 'WHERE id > 1000');
SELECT pg_catalog.pg_extension_config_dump('nps.holidays', '');
SELECT pg_catalog.pg_extension_config_dump('nps.runs', '');
SELECT pg_catalog.pg_extension_config_dump('nps.steps', '');
SELECT pg_catalog.pg_extension_config_dump('nps.tasks', '');
SELECT pg_catalog.pg_extension_config_dump('nps.approvals', '');
SELECT pg_catalog.pg_extension_config_dump('nps.approval_decisions', '');
-- The id sequences behind the identity columns, so restored tables continue where they were.
-- (One statement each: every call rewrites the extension's catalog row.)
SELECT pg_catalog.pg_extension_config_dump('nps.templates_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.steps_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.tasks_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.approvals_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.approval_decisions_id_seq', '');
