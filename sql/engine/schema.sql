-- pg_nps workflow engine, tables: the registers of people and applications, templates, runs,
-- steps, tasks, approvals, decisions, holidays and the hooks modules plug in with, with their
-- audit registration and what pg_dump keeps. The rules are in the other engine files.
--
-- Every owner, requester, decider and completer is a person of nps.people, stored as the
-- person's identity (text): no column holds a regrole, so a dump restores into a cluster without
-- the login roles and a dropped role leaves no bare OID behind.

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
CREATE TYPE nps.hook_point AS ENUM ('step_completing', 'step_completed', 'approval_requesting', 'task_completed');
COMMENT ON TYPE nps.hook_point IS 'Where a module''s hook runs: step_completing (before a step becomes done; may refuse; returns evidence to record), step_completed (after it is done), approval_requesting (before an approval request of a step is accepted; may refuse; returns evidence to record), task_completed (after a task of the step is done). Handlers take the step (or the task) and return jsonb.';

-------------------------------------------------------------------------------------------------
-- Registers: who may act
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.applications (
    login       text PRIMARY KEY,
    description text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL
);
COMMENT ON TABLE nps.applications IS 'Applications trusted to name the person acting: a login (or a role it switches to) that sets nps.actor per transaction for its end users, or switches to its users'' own roles (SET ROLE). An application naming nobody acts as itself, for service work only (intake, the outbox). Written by nps_admin.';
COMMENT ON COLUMN nps.applications.login IS 'The Postgres role the application connects as.';
COMMENT ON COLUMN nps.applications.description IS 'What the application is, for the people reading the trail.';
COMMENT ON COLUMN nps.applications.active IS 'Whether it may act; an inactive application is refused (NP012).';
COMMENT ON COLUMN nps.applications.created_by IS 'Who registered it.';

CREATE TABLE nps.people (
    identity     text PRIMARY KEY,
    display_name text NOT NULL,
    email        text,
    lead         text REFERENCES nps.people (identity),
    time_zone    text NOT NULL DEFAULT 'UTC',
    application  text REFERENCES nps.applications (login),
    roles        text[] NOT NULL DEFAULT '{}',
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    CHECK (lead IS DISTINCT FROM identity),
    CHECK (application IS NOT NULL OR roles = '{}')
);
CREATE INDEX ON nps.people (lead) WHERE lead IS NOT NULL;
CREATE INDEX ON nps.people (application) WHERE application IS NOT NULL;
COMMENT ON TABLE nps.people IS 'The people who own, decide, verify and complete work: each is a Postgres role of the same name that logs in (or that an application switches to), or an end user an application names. Capability roles (nps_csm, nps_approver, …) are never people. People are deactivated, never deleted. Written by nps_admin (nps.add_person).';
COMMENT ON COLUMN nps.people.identity IS 'The person''s identity: the role name for people who act as their own role; for people an application names, the identifier it names them by (normalized: NFKC, trimmed, e-mail addresses lower-cased).';
COMMENT ON COLUMN nps.people.display_name IS 'How the person is shown.';
COMMENT ON COLUMN nps.people.email IS 'Where to reach the person (normalized).';
COMMENT ON COLUMN nps.people.lead IS 'The person''s lead: who may move the SLA due dates of work the person owns, and whom escalations reach.';
COMMENT ON COLUMN nps.people.time_zone IS 'The person''s time zone (a name of pg_timezone_names).';
COMMENT ON COLUMN nps.people.application IS 'NULL: the person acts as their own role. Else the application that names this person (nps.actor); no other may.';
COMMENT ON COLUMN nps.people.roles IS 'For a person an application names: the roles the person holds in pg_nps (e.g. {nps_approver}), each a role the application itself holds. Empty for people of their own role, whose memberships say it.';
COMMENT ON COLUMN nps.people.active IS 'Whether the person may act and be given work; an inactive person is refused (NP012).';
COMMENT ON COLUMN nps.people.created_by IS 'Who registered the person.';

-------------------------------------------------------------------------------------------------
-- Holidays: the business-day calendar of SLAs
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
    created_by  text NOT NULL,
    UNIQUE (name, version)
);
COMMENT ON TABLE nps.templates IS 'Versioned workflow templates. A new version is how a template is customized; a version used by a run never changes.';
COMMENT ON COLUMN nps.templates.id IS 'Template version id. Ids up to 1000 are the shipped templates (templates/*.json), the same in every database; imported ones start at 1001.';
COMMENT ON COLUMN nps.templates.name IS 'Template name, e.g. ''NPS Detractor''; with version, the key runs start from.';
COMMENT ON COLUMN nps.templates.version IS 'Version number, 1 upwards; import assigns the next one unless the definition names it.';
COMMENT ON COLUMN nps.templates.definition IS 'The normalized JSON definition (defaults written out); nps.export_template returns it.';
COMMENT ON COLUMN nps.templates.created_by IS 'Who imported this version (nps.current_actor()).';

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
    owner            text NOT NULL REFERENCES nps.people (identity),
    status           nps.run_status NOT NULL DEFAULT 'active',
    started_at       timestamptz NOT NULL DEFAULT now(),
    started_by       text NOT NULL,
    finished_at      timestamptz,
    cancel_reason    text,
    CHECK ((status = 'active') = (finished_at IS NULL)),
    CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL)),
    CHECK (jsonb_typeof(subject) = 'object'),
    CHECK (parent_run_id <> id)
);
CREATE INDEX ON nps.runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX ON nps.runs (subject_type, subject_id);
CREATE INDEX ON nps.runs (status) WHERE status = 'active';
CREATE INDEX ON nps.runs (owner);
COMMENT ON TABLE nps.runs IS 'One execution of a template about a subject (a cycle, an account, a response). Runs nest through parent_run_id.';
COMMENT ON COLUMN nps.runs.template_id IS 'The template version this run follows; that version can no longer change.';
COMMENT ON COLUMN nps.runs.parent_run_id IS 'The run this one belongs to, e.g. the NPS cycle a detractor project was started for; only a run its owner (or an nps_admin) starts under it.';
COMMENT ON COLUMN nps.runs.title IS 'Display title; defaults to the template name; its owner or an nps_admin changes it.';
COMMENT ON COLUMN nps.runs.subject_type IS 'Kind of subject (cycle, account, response …), from subject->>''type''.';
COMMENT ON COLUMN nps.runs.subject_id IS 'Identifier of the subject, from subject->>''id''; with subject_type, finds a subject''s runs.';
COMMENT ON COLUMN nps.runs.finished_at IS 'When the run became done or cancelled.';
COMMENT ON COLUMN nps.runs.cancel_reason IS 'Why the run was cancelled (required to cancel).';
COMMENT ON COLUMN nps.runs.subject IS 'Attributes of the subject; owner rules {"subject": "csm"} read a person''s identity from it, subject_type / subject_id come from its "type" / "id".';
COMMENT ON COLUMN nps.runs.owner IS 'The person who owns the run: records evidence, skips steps, requests approvals, cancels tasks and the run.';
COMMENT ON COLUMN nps.runs.status IS 'active until the last step finishes (done) or the owner cancels it; terminal states are final.';
COMMENT ON COLUMN nps.runs.started_by IS 'Who started the run (nps.current_actor(): a person, or the application or superuser acting as itself).';

CREATE TABLE nps.steps (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           bigint NOT NULL REFERENCES nps.runs (id),
    position         integer NOT NULL CHECK (position >= 1),
    key              text NOT NULL,
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    checkpoint       boolean NOT NULL DEFAULT false,
    skippable        boolean NOT NULL DEFAULT false,
    approval_role    text,
    min_approvers    integer,
    evidence_spec    jsonb NOT NULL DEFAULT '[]',
    evidence         jsonb NOT NULL DEFAULT '{}',
    open_tasks       integer NOT NULL DEFAULT 0,
    status           nps.step_status NOT NULL DEFAULT 'pending',
    activated_at     timestamptz,
    completed_at     timestamptz,
    completed_by     text,
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
COMMENT ON COLUMN nps.steps.key IS 'The step''s key in its template, e.g. ''intake''; hooks are registered by it.';
COMMENT ON COLUMN nps.steps.name IS 'The step''s name in its template.';
COMMENT ON COLUMN nps.steps.description IS 'What the step is for, from its template.';
COMMENT ON COLUMN nps.steps.status IS 'pending, active, awaiting_approval, done or skipped (nps.step_status).';
COMMENT ON COLUMN nps.steps.activated_at IS 'When the step became active; task SLAs count from here.';
COMMENT ON COLUMN nps.steps.skip_reason IS 'Why the step was skipped (required to skip).';
COMMENT ON COLUMN nps.steps.checkpoint IS 'Never skipped; completes only with all of its declared evidence recorded.';
COMMENT ON COLUMN nps.steps.skippable IS 'May be skipped with a reason by the run''s owner (never a checkpoint or an approval gate).';
COMMENT ON COLUMN nps.steps.approval_role IS 'Role whose people approve the step (NULL: no approval gate).';
COMMENT ON COLUMN nps.steps.min_approvers IS 'Approvals needed, each by a different person; a single rejection sends the step back to active.';
COMMENT ON COLUMN nps.steps.evidence_spec IS 'Fields the step must record before it completes (from the template).';
COMMENT ON COLUMN nps.steps.evidence IS 'Evidence recorded for the step, a JSON object keyed by field name.';
COMMENT ON COLUMN nps.steps.open_tasks IS 'Tasks of the step still open; maintained by the task triggers, recounted on every change.';
COMMENT ON COLUMN nps.steps.completed_at IS 'When the step became done or skipped.';
COMMENT ON COLUMN nps.steps.completed_by IS 'Who finished the step (the person whose completion, skip or approving decision did).';
COMMENT ON COLUMN nps.steps.rejection_reason IS 'Reason of the latest rejected approval: what to revise before requesting again.';

CREATE TABLE nps.tasks (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         bigint NOT NULL REFERENCES nps.runs (id),
    step_id        bigint NOT NULL REFERENCES nps.steps (id),
    position       integer NOT NULL CHECK (position >= 1),
    key            text NOT NULL,
    title          text NOT NULL,
    description    text NOT NULL DEFAULT '',
    owner          text REFERENCES nps.people (identity),
    previous_owner text REFERENCES nps.people (identity),
    due_days       integer NOT NULL DEFAULT 0,
    due_hours      integer NOT NULL DEFAULT 0,
    due_business   boolean NOT NULL DEFAULT false,
    due_at         timestamptz,
    fields_spec    jsonb NOT NULL DEFAULT '[]',
    fields         jsonb NOT NULL DEFAULT '{}',
    note           text,
    status         nps.task_status NOT NULL DEFAULT 'open',
    completed_at   timestamptz,
    completed_by   text,
    cancel_reason  text,
    queue          text,
    due_reason     text,
    UNIQUE (step_id, key),
    CHECK ((status = 'open') = (completed_at IS NULL)),
    CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL)),
    CHECK (owner IS NOT NULL OR queue IS NOT NULL)
);
CREATE INDEX ON nps.tasks (run_id);
CREATE INDEX ON nps.tasks (owner) WHERE status = 'open';
CREATE INDEX ON nps.tasks (queue) WHERE status = 'open' AND owner IS NULL;
CREATE INDEX ON nps.tasks (due_at) WHERE status = 'open';
COMMENT ON TABLE nps.tasks IS 'The tasks of a run''s steps, each owned by a person (or waiting in a role''s queue for one to claim it) with an SLA due date. Row-level security: people see the tasks they work on.';
COMMENT ON COLUMN nps.tasks.owner IS 'The person who owns the task (resolved from the template''s owner rule at start; changed by nps.reassign_task or nps.claim_task). NULL while the task waits in its queue.';
COMMENT ON COLUMN nps.tasks.queue IS 'For a template owner rule {"role": …}: the role whose people may claim the task (nps.claim_task).';
COMMENT ON COLUMN nps.tasks.key IS 'The task''s key in its template step, e.g. ''first_contact''.';
COMMENT ON COLUMN nps.tasks.title IS 'The task''s title, from its template.';
COMMENT ON COLUMN nps.tasks.description IS 'What the task is, from its template.';
COMMENT ON COLUMN nps.tasks.position IS 'Order of the task in its step, from 1.';
COMMENT ON COLUMN nps.tasks.cancel_reason IS 'Why the task was cancelled (required to cancel).';
COMMENT ON COLUMN nps.tasks.previous_owner IS 'Owner before the latest reassignment; keeps read access to the task it handed over.';
COMMENT ON COLUMN nps.tasks.due_days IS 'SLA from the template: days after the step becomes active (see due_business); 0 days and 0 hours means no SLA.';
COMMENT ON COLUMN nps.tasks.due_hours IS 'SLA from the template: hours added after the days.';
COMMENT ON COLUMN nps.tasks.due_business IS 'Whether due_days are business days (weekends and nps.holidays skipped).';
COMMENT ON COLUMN nps.tasks.due_at IS 'When the task is due; set when its step becomes active; moved only by the run owner''s lead or an nps_admin, with a reason (nps.move_due).';
COMMENT ON COLUMN nps.tasks.due_reason IS 'Why the due date was last moved.';
COMMENT ON COLUMN nps.tasks.fields_spec IS 'Typed fields the task records (from the template); required ones must be filled to complete it.';
COMMENT ON COLUMN nps.tasks.fields IS 'Recorded field values, a JSON object keyed by field name.';
COMMENT ON COLUMN nps.tasks.note IS 'Free-text note of the owner.';
COMMENT ON COLUMN nps.tasks.status IS 'open, done or cancelled (nps.task_status); done and cancelled are final.';
COMMENT ON COLUMN nps.tasks.completed_at IS 'When the task became done or cancelled.';
COMMENT ON COLUMN nps.tasks.completed_by IS 'The person who completed or cancelled the task.';

-------------------------------------------------------------------------------------------------
-- Approvals
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.approvals (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step_id       bigint NOT NULL REFERENCES nps.steps (id),
    run_id        bigint NOT NULL REFERENCES nps.runs (id),
    required_role text NOT NULL,
    min_approvers integer NOT NULL CHECK (min_approvers >= 1),
    requested_by  text NOT NULL REFERENCES nps.people (identity),
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
CREATE INDEX ON nps.approvals (run_id);
COMMENT ON TABLE nps.approvals IS 'Approval requests of approval-gated steps. Approved when min_approvers different people holding required_role approve; one rejection rejects.';
COMMENT ON COLUMN nps.approvals.step_id IS 'The step to approve.';
COMMENT ON COLUMN nps.approvals.run_id IS 'The step''s run (set from it); the request joins its audit chain.';
COMMENT ON COLUMN nps.approvals.required_role IS 'Role whose people decide (copied from the step).';
COMMENT ON COLUMN nps.approvals.min_approvers IS 'Approvals needed, each by a different person (copied from the step).';
COMMENT ON COLUMN nps.approvals.requested_by IS 'The person who requested the approval; they can never decide it.';
COMMENT ON COLUMN nps.approvals.requested_at IS 'When it was requested.';
COMMENT ON COLUMN nps.approvals.status IS 'pending until decided or withdrawn (nps.approval_status); every other state is final.';
COMMENT ON COLUMN nps.approvals.approvals IS 'Number of approving decisions (recounted from nps.approval_decisions on every change).';
COMMENT ON COLUMN nps.approvals.rejections IS 'Number of rejecting decisions (recounted likewise).';
COMMENT ON COLUMN nps.approvals.decided_at IS 'When it was approved, rejected or withdrawn.';
COMMENT ON COLUMN nps.approvals.reason IS 'Why it was rejected or withdrawn.';
COMMENT ON COLUMN nps.approvals.note IS 'What the requester asks to be approved, e.g. ''Plan v2''.';

CREATE TABLE nps.approval_decisions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    approval_id bigint NOT NULL REFERENCES nps.approvals (id),
    run_id      bigint NOT NULL REFERENCES nps.runs (id),
    approver    text NOT NULL REFERENCES nps.people (identity),
    decision    nps.decision NOT NULL,
    reason      text,
    decided_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (approval_id, approver)
);
CREATE INDEX ON nps.approval_decisions (run_id);
COMMENT ON TABLE nps.approval_decisions IS 'One row per person and approval: who decided what, when and why. A quorum counts these rows, so it counts distinct people.';
COMMENT ON COLUMN nps.approval_decisions.approval_id IS 'The approval decided.';
COMMENT ON COLUMN nps.approval_decisions.run_id IS 'The run of the approval (set from it); the decision''s audit entry joins that run''s chain.';
COMMENT ON COLUMN nps.approval_decisions.approver IS 'The deciding person (always nps.current_person() at insert).';
COMMENT ON COLUMN nps.approval_decisions.decision IS 'approve or reject.';
COMMENT ON COLUMN nps.approval_decisions.reason IS 'Why (required to reject): what to revise.';
COMMENT ON COLUMN nps.approval_decisions.decided_at IS 'When the person decided.';

-------------------------------------------------------------------------------------------------
-- Hooks: how modules plug into the engine
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.hooks (
    template text NOT NULL,
    step_key text NOT NULL,
    point    nps.hook_point NOT NULL,
    position integer NOT NULL,
    handler  text NOT NULL,
    needs    text CHECK (needs IN ('checkpoint', 'approval')),
    module   text NOT NULL,
    shipped  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (template, step_key, point, position)
);
COMMENT ON TABLE nps.hooks IS 'Where modules plug into the engine: for every run of a template (any version), the engine''s guards call each handler registered for a step key and point, in position order. Written by the extension (and nps.configure for a new cycle template), never by clients.';
COMMENT ON COLUMN nps.hooks.template IS 'Template name the hook applies to (every version).';
COMMENT ON COLUMN nps.hooks.step_key IS 'Step key the hook applies to; every version of the template must have it.';
COMMENT ON COLUMN nps.hooks.point IS 'When the engine calls it (nps.hook_point).';
COMMENT ON COLUMN nps.hooks.position IS 'Order among the hooks of one step key and point.';
COMMENT ON COLUMN nps.hooks.handler IS 'The function called, a function of the extension returning jsonb: (step nps.steps), or (task nps.tasks) at task_completed.';
COMMENT ON COLUMN nps.hooks.needs IS 'What the step must be for the hook to hold: a checkpoint, an approval gate, or anything (NULL). Importing a template version that breaks it is refused (NP008).';
COMMENT ON COLUMN nps.hooks.module IS 'The module that registered the hook, e.g. cycle.';
COMMENT ON COLUMN nps.hooks.shipped IS 'Registered by CREATE EXTENSION (recreated by it on restore, so not dumped).';

-------------------------------------------------------------------------------------------------
-- Row-level security (the policies are in engine/row_security.sql), the audit trail, pg_dump
-------------------------------------------------------------------------------------------------
ALTER TABLE nps.runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.approvals ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.approval_decisions ENABLE ROW LEVEL SECURITY;

-- Every table of the engine is audited. The runs and their rows join the run's chain; the
-- registers, templates, holidays and hooks chain per table.
SELECT nps.enable_audit('nps.applications');
SELECT nps.enable_audit('nps.people');
SELECT nps.enable_audit('nps.templates');
SELECT nps.enable_audit('nps.holidays');
SELECT nps.enable_audit('nps.hooks');
SELECT nps.enable_audit('nps.runs', 'id');
SELECT nps.enable_audit('nps.steps', 'run_id');
SELECT nps.enable_audit('nps.tasks', 'run_id');
SELECT nps.enable_audit('nps.approvals', 'run_id');
SELECT nps.enable_audit('nps.approval_decisions', 'run_id');

-- pg_dump keeps the process data and the whole trail, so a restored database still verifies.
-- Shipped templates (ids up to 1000) and shipped hooks are recreated by CREATE EXTENSION.
SELECT pg_catalog.pg_extension_config_dump('nps.applications', '');
SELECT pg_catalog.pg_extension_config_dump('nps.people', '');
SELECT pg_catalog.pg_extension_config_dump('nps.templates', 'WHERE id > 1000');
SELECT pg_catalog.pg_extension_config_dump('nps.holidays', '');
SELECT pg_catalog.pg_extension_config_dump('nps.hooks', 'WHERE NOT shipped');
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
