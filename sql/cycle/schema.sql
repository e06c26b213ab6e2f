-- pg_nps NPS cycle, tables: settings, accounts, cycles, responses, staging, rollups, snapshots,
-- playbooks, root causes, the action plan, conversations, the outbox, reports and the key that
-- pseudonymizes respondents, with their row-level security switch, audit registration and what
-- pg_dump keeps. The rules are in the step files; see docs/nps-cycle.md.

CREATE TYPE nps.channel AS ENUM ('email', 'in_app', 'web', 'sms', 'phone', 'meeting', 'other');
COMMENT ON TYPE nps.channel IS 'How a survey answer arrived: the column, the guard and the bulk intake''s check all read this one list.';

-------------------------------------------------------------------------------------------------
-- Settings: one row per database (one organization); absent means the defaults
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.settings (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    promoter_min   integer NOT NULL DEFAULT 9,
    detractor_max  integer NOT NULL DEFAULT 6,
    min_responses  integer NOT NULL DEFAULT 30 CHECK (min_responses >= 1),
    window_days    integer NOT NULL DEFAULT 14 CHECK (window_days >= 1),
    cycle_template text NOT NULL DEFAULT 'NPS Survey & Action Plan',
    detractor_playbook boolean NOT NULL DEFAULT true,
    text_search_config regconfig NOT NULL DEFAULT 'english',
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text NOT NULL,
    CHECK (detractor_max >= 0 AND promoter_min <= 10 AND detractor_max < promoter_min)
);
COMMENT ON TABLE nps.settings IS 'The organization''s NPS settings (at most one row; without it the defaults apply). Change them with nps.configure (nps_admin); a cycle copies the bands when it starts.';
COMMENT ON COLUMN nps.settings.id IS 'Always true: the table holds one row.';
COMMENT ON COLUMN nps.settings.promoter_min IS 'Lowest promoter score (default 9).';
COMMENT ON COLUMN nps.settings.detractor_max IS 'Highest detractor score (default 6).';
COMMENT ON COLUMN nps.settings.min_responses IS 'Responses a cycle needs before its intake may close (default 30).';
COMMENT ON COLUMN nps.settings.window_days IS 'Default length of a cycle''s response window, in days (default 14).';
COMMENT ON COLUMN nps.settings.cycle_template IS 'Template a cycle''s run follows (default ''NPS Survey & Action Plan''); it must have the steps the cycle''s hooks plug into.';
COMMENT ON COLUMN nps.settings.detractor_playbook IS 'Whether the shipped playbook runs: each detractor of a segmented cycle gets an "NPS Detractor" project owned by the account''s CSM (default true).';
COMMENT ON COLUMN nps.settings.text_search_config IS 'Text search configuration root-cause keywords and comments are matched with (default english).';
COMMENT ON COLUMN nps.settings.updated_at IS 'When the settings last changed.';
COMMENT ON COLUMN nps.settings.updated_by IS 'Who changed them last.';

-------------------------------------------------------------------------------------------------
-- Accounts
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY (START WITH 1) PRIMARY KEY,
    external_id text NOT NULL UNIQUE CHECK (external_id <> ''),
    name        text NOT NULL CHECK (name <> ''),
    csm         text REFERENCES nps.people (identity),
    arr         numeric(16, 2) CHECK (arr >= 0),
    segment     text,
    tier        text,
    attributes  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON nps.accounts (csm);
COMMENT ON TABLE nps.accounts IS 'Client accounts that answer NPS surveys, with their CSM, revenue and tier. Row-level security: a CSM sees the accounts of their book and of their work.';
COMMENT ON COLUMN nps.accounts.id IS 'Account id.';
COMMENT ON COLUMN nps.accounts.external_id IS 'The account''s id in the CRM; responses name accounts by it.';
COMMENT ON COLUMN nps.accounts.name IS 'The account''s name.';
COMMENT ON COLUMN nps.accounts.csm IS 'The customer success manager (a person of nps.people): owner of the account''s detractor projects.';
COMMENT ON COLUMN nps.accounts.arr IS 'Annual recurring revenue, for revenue-weighted NPS.';
COMMENT ON COLUMN nps.accounts.segment IS 'Market segment, e.g. ''enterprise'', ''mid-market''.';
COMMENT ON COLUMN nps.accounts.tier IS 'Service tier, e.g. ''gold''; summaries are broken down by it.';
COMMENT ON COLUMN nps.accounts.attributes IS 'Further attributes (JSON object) playbooks can match on.';
COMMENT ON COLUMN nps.accounts.created_at IS 'When the account was added.';

-------------------------------------------------------------------------------------------------
-- Cycles
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.cycles (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name <> ''),
    run_id        bigint NOT NULL UNIQUE REFERENCES nps.runs (id),
    promoter_min  integer NOT NULL,
    detractor_max integer NOT NULL,
    opens_at      timestamptz NOT NULL,
    closes_at     timestamptz NOT NULL,
    min_responses integer NOT NULL CHECK (min_responses >= 1),
    invitations   integer NOT NULL DEFAULT 0 CHECK (invitations >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    CHECK (closes_at > opens_at),
    CHECK (detractor_max >= 0 AND promoter_min <= 10 AND detractor_max < promoter_min)
);
COMMENT ON TABLE nps.cycles IS 'NPS cycles: one survey wave, run as a run of the cycle template, with the bands and the response window it started with.';
COMMENT ON COLUMN nps.cycles.id IS 'Cycle id.';
COMMENT ON COLUMN nps.cycles.name IS 'Cycle name, e.g. ''2026-Q4''; unique, at most 200 characters.';
COMMENT ON COLUMN nps.cycles.run_id IS 'The run of the cycle template that carries the cycle''s steps; its audit chain holds the cycle''s history.';
COMMENT ON COLUMN nps.cycles.promoter_min IS 'Promoter band of this cycle, frozen at start.';
COMMENT ON COLUMN nps.cycles.detractor_max IS 'Detractor band of this cycle, frozen at start.';
COMMENT ON COLUMN nps.cycles.opens_at IS 'Start of the response window; never changes.';
COMMENT ON COLUMN nps.cycles.closes_at IS 'End of the response window (exclusive): later responses are refused. While intake is open its owner may extend it; only an nps_admin may shorten it.';
COMMENT ON COLUMN nps.cycles.min_responses IS 'Responses needed before intake may close; only an nps_admin changes it, while intake is open.';
COMMENT ON COLUMN nps.cycles.invitations IS 'Survey invitations sent, for the response rate; it only grows, while intake is open.';
COMMENT ON COLUMN nps.cycles.created_at IS 'When the cycle started.';
COMMENT ON COLUMN nps.cycles.created_by IS 'Who started it.';

-------------------------------------------------------------------------------------------------
-- Responses
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.responses (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cycle_id     bigint NOT NULL REFERENCES nps.cycles (id),
    run_id       bigint NOT NULL REFERENCES nps.runs (id),
    account_id   bigint NOT NULL REFERENCES nps.accounts (id),
    respondent   text NOT NULL CHECK (respondent <> ''),
    score        smallint NOT NULL,
    segment      nps_segment NOT NULL,
    comment      text,
    channel      nps.channel NOT NULL DEFAULT 'email',
    responded_at timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  text NOT NULL,
    submissions  integer NOT NULL DEFAULT 1 CHECK (submissions >= 1),
    respondent_as_given text NOT NULL,
    pseudonym    text NOT NULL,
    UNIQUE (cycle_id, respondent)
);
CREATE INDEX ON nps.responses (account_id);
COMMENT ON TABLE nps.responses IS 'Survey responses, one per respondent and cycle; a re-submission inside the window replaces the earlier answer (the audit trail keeps it). Row-level security: a CSM sees the responses of their book and their cycles; analysts read nps.response_facts, pseudonymized.';
COMMENT ON COLUMN nps.responses.id IS 'Response id.';
COMMENT ON COLUMN nps.responses.cycle_id IS 'The cycle answered.';
COMMENT ON COLUMN nps.responses.account_id IS 'The account the respondent answered for.';
COMMENT ON COLUMN nps.responses.run_id IS 'The cycle''s run (set from the cycle): the response''s changes join the cycle''s audit chain.';
COMMENT ON COLUMN nps.responses.respondent IS 'Who answered, normalized (NFKC, trimmed, e-mail addresses lower-cased); one response per respondent and cycle.';
COMMENT ON COLUMN nps.responses.respondent_as_given IS 'The respondent as it arrived, for display.';
COMMENT ON COLUMN nps.responses.pseudonym IS 'The respondent''s stable, non-reversible key (a keyed hash under nps.pseudonym_key, set by the guard): what analysts see in nps.response_facts.';
COMMENT ON COLUMN nps.responses.score IS 'The answer to "how likely are you to recommend us", 0..10.';
COMMENT ON COLUMN nps.responses.segment IS 'promoter, passive or detractor under the cycle''s bands (set from the score).';
COMMENT ON COLUMN nps.responses.comment IS 'What the respondent wrote (at most 20000 characters).';
COMMENT ON COLUMN nps.responses.channel IS 'How the answer arrived (nps.channel).';
COMMENT ON COLUMN nps.responses.responded_at IS 'When the respondent answered; must fall inside the cycle''s window.';
COMMENT ON COLUMN nps.responses.recorded_at IS 'When it was recorded (or last replaced).';
COMMENT ON COLUMN nps.responses.recorded_by IS 'Who recorded (or last replaced) the response: a person, or an intake application acting as itself.';
COMMENT ON COLUMN nps.responses.submissions IS 'How many times the respondent answered in this cycle (the latest answer counts).';

-------------------------------------------------------------------------------------------------
-- Bulk intake: COPY raw text rows into the staging table, then nps.ingest_staged
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.response_staging (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cycle        text,
    account      text,
    respondent   text,
    score        text,
    comment      text,
    channel      text,
    responded_at text,
    staged_at    timestamptz NOT NULL DEFAULT now(),
    staged_by    text NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'loaded', 'rejected')),
    sqlstate     text,
    reason       text,
    response_id  bigint REFERENCES nps.responses (id),
    ingested_at  timestamptz,
    ingested_by  text,
    CHECK ((status = 'rejected') = (reason IS NOT NULL)),
    CHECK ((status = 'loaded') = (response_id IS NOT NULL))
);
CREATE INDEX ON nps.response_staging (status, cycle) WHERE status = 'pending';
COMMENT ON TABLE nps.response_staging IS
    'Raw survey rows as text, loaded with COPY (cycle, account, respondent, score, comment, channel, responded_at); nps.ingest_staged validates them into nps.responses and leaves bad ones, with their reason, in nps.staging_rejects. A staged row never changes: who staged it stays, and only the ingest marks it; a pending row may be deleted by whoever staged it.';
COMMENT ON COLUMN nps.response_staging.id IS 'Staging row id.';
COMMENT ON COLUMN nps.response_staging.cycle IS 'Cycle name; NULL takes the cycle given to nps.ingest_staged.';
COMMENT ON COLUMN nps.response_staging.account IS 'Account external id, as text.';
COMMENT ON COLUMN nps.response_staging.respondent IS 'Who answered, as text.';
COMMENT ON COLUMN nps.response_staging.score IS 'The score as text; must read as an integer 0..10.';
COMMENT ON COLUMN nps.response_staging.comment IS 'Free-text comment.';
COMMENT ON COLUMN nps.response_staging.channel IS 'Channel as text; NULL or empty means email.';
COMMENT ON COLUMN nps.response_staging.responded_at IS 'When the respondent answered, as text Postgres reads as timestamptz.';
COMMENT ON COLUMN nps.response_staging.staged_at IS 'When the row was staged.';
COMMENT ON COLUMN nps.response_staging.staged_by IS 'Who staged it (nps.current_actor()).';
COMMENT ON COLUMN nps.response_staging.status IS 'pending until ingested, then loaded or rejected.';
COMMENT ON COLUMN nps.response_staging.sqlstate IS 'SQLSTATE of the refusal of a rejected row (as nps.record_response would raise it).';
COMMENT ON COLUMN nps.response_staging.reason IS 'Why the row was rejected, naming the value.';
COMMENT ON COLUMN nps.response_staging.response_id IS 'The response a loaded row became (or replaced).';
COMMENT ON COLUMN nps.response_staging.ingested_at IS 'When nps.ingest_staged took it.';
COMMENT ON COLUMN nps.response_staging.ingested_by IS 'Who ran that ingest.';

-------------------------------------------------------------------------------------------------
-- Daily rollups: stored histograms per cycle and day, maintained with every change
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.response_rollups (
    cycle_id bigint NOT NULL REFERENCES nps.cycles (id),
    day      date NOT NULL,
    shard    smallint NOT NULL,
    counts   bigint[] NOT NULL CHECK (cardinality(counts) = 11),
    PRIMARY KEY (cycle_id, day, shard)
);
COMMENT ON TABLE nps.response_rollups IS
    'Responses per score (0..10) per cycle and UTC day, kept up to date by statement triggers on nps.responses (and written by nothing else); several shards per day let concurrent writers update different rows. nps.trend_monthly reads these instead of the responses; nps.verify_audit() recomputes them from the responses.';
COMMENT ON COLUMN nps.response_rollups.cycle_id IS 'The cycle.';
COMMENT ON COLUMN nps.response_rollups.day IS 'Day of responded_at, in UTC.';
COMMENT ON COLUMN nps.response_rollups.shard IS 'Writer shard (backend pid mod 8); sum over shards.';
COMMENT ON COLUMN nps.response_rollups.counts IS 'Responses per score: element 1 is score 0, element 11 is score 10.';

-------------------------------------------------------------------------------------------------
-- Segmentation snapshot: frozen when the segmentation checkpoint completes
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.cycle_snapshots (
    cycle_id          bigint PRIMARY KEY REFERENCES nps.cycles (id),
    run_id            bigint NOT NULL REFERENCES nps.runs (id),
    taken_at          timestamptz NOT NULL DEFAULT now(),
    taken_by          text NOT NULL,
    promoter_min      integer NOT NULL,
    detractor_max     integer NOT NULL,
    summary           nps_summary NOT NULL,
    responses         bigint NOT NULL,
    promoters         bigint NOT NULL,
    passives          bigint NOT NULL,
    detractors        bigint NOT NULL,
    nps               numeric,
    ci_low            numeric,
    ci_high           numeric,
    margin_of_error   numeric,
    arr_weighted_nps  numeric,
    invitations       integer NOT NULL,
    response_rate     numeric,
    previous_cycle_id bigint REFERENCES nps.cycles (id),
    previous_nps      numeric,
    change            numeric,
    p_value           numeric
);
COMMENT ON TABLE nps.cycle_snapshots IS 'The headline of each segmented cycle, frozen when its segmentation checkpoint completed; never changes afterwards. NPS figures are numeric, rounded to one decimal (p_value to four).';
COMMENT ON COLUMN nps.cycle_snapshots.cycle_id IS 'The cycle.';
COMMENT ON COLUMN nps.cycle_snapshots.run_id IS 'The cycle''s run (its audit chain holds the snapshot).';
COMMENT ON COLUMN nps.cycle_snapshots.taken_at IS 'When the segmentation checkpoint completed.';
COMMENT ON COLUMN nps.cycle_snapshots.taken_by IS 'Who completed the segmentation step.';
COMMENT ON COLUMN nps.cycle_snapshots.promoter_min IS 'The cycle''s promoter band.';
COMMENT ON COLUMN nps.cycle_snapshots.detractor_max IS 'The cycle''s detractor band.';
COMMENT ON COLUMN nps.cycle_snapshots.summary IS 'nps_summary (0..10 histogram) of all the cycle''s responses.';
COMMENT ON COLUMN nps.cycle_snapshots.responses IS 'Responses counted.';
COMMENT ON COLUMN nps.cycle_snapshots.promoters IS 'Promoters under the cycle''s bands.';
COMMENT ON COLUMN nps.cycle_snapshots.passives IS 'Passives under the cycle''s bands.';
COMMENT ON COLUMN nps.cycle_snapshots.detractors IS 'Detractors under the cycle''s bands.';
COMMENT ON COLUMN nps.cycle_snapshots.nps IS 'Net Promoter Score, -100..100.';
COMMENT ON COLUMN nps.cycle_snapshots.ci_low IS 'Lower bound of the 95% confidence interval (adjusted Wald).';
COMMENT ON COLUMN nps.cycle_snapshots.ci_high IS 'Upper bound of the 95% confidence interval (adjusted Wald).';
COMMENT ON COLUMN nps.cycle_snapshots.margin_of_error IS 'Half-width of the 95% Wald interval, in points.';
COMMENT ON COLUMN nps.cycle_snapshots.arr_weighted_nps IS 'NPS with each account weighted by its ARR (split evenly among its respondents).';
COMMENT ON COLUMN nps.cycle_snapshots.invitations IS 'Invitations sent.';
COMMENT ON COLUMN nps.cycle_snapshots.response_rate IS 'Responses / invitations (NULL without invitations).';
COMMENT ON COLUMN nps.cycle_snapshots.previous_cycle_id IS 'The latest segmented cycle that opened before this one.';
COMMENT ON COLUMN nps.cycle_snapshots.previous_nps IS 'That cycle''s responses scored with this cycle''s bands.';
COMMENT ON COLUMN nps.cycle_snapshots.change IS 'nps - previous_nps, in points (nps_compare).';
COMMENT ON COLUMN nps.cycle_snapshots.p_value IS 'Two-sided p-value of the change (z-test, nps_compare).';

CREATE TABLE nps.cycle_snapshot_groups (
    cycle_id         bigint NOT NULL REFERENCES nps.cycle_snapshots (cycle_id),
    run_id           bigint NOT NULL REFERENCES nps.runs (id),
    dimension        text NOT NULL CHECK (dimension IN ('tier', 'segment', 'account')),
    key              text NOT NULL,
    summary          nps_summary NOT NULL,
    responses        bigint NOT NULL,
    nps              numeric,
    ci_low           numeric,
    ci_high          numeric,
    PRIMARY KEY (cycle_id, dimension, key)
);
COMMENT ON TABLE nps.cycle_snapshot_groups IS 'The frozen summaries per tier, market segment and account of each segmented cycle.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.cycle_id IS 'The cycle.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.run_id IS 'The cycle''s run.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.dimension IS 'tier, segment (the account''s market segment) or account.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.key IS 'The tier, the market segment or the account''s external id (''(none)'' when unset).';
COMMENT ON COLUMN nps.cycle_snapshot_groups.summary IS 'nps_summary of the group''s responses.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.responses IS 'Responses in the group.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.nps IS 'NPS of the group under the cycle''s bands.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.ci_low IS 'Lower bound of the group''s 95% confidence interval.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.ci_high IS 'Upper bound of the group''s 95% confidence interval.';

-------------------------------------------------------------------------------------------------
-- Playbooks: when a response matches, start a template's run for it (once)
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.playbooks (
    name          text PRIMARY KEY CHECK (name <> ''),
    active        boolean NOT NULL DEFAULT true,
    fires_on      text NOT NULL DEFAULT 'segmentation' CHECK (fires_on IN ('segmentation', 'response')),
    segment       nps_segment,
    score_min     smallint CHECK (score_min BETWEEN 0 AND 10),
    score_max     smallint CHECK (score_max BETWEEN 0 AND 10),
    tier          text,
    account_match jsonb CHECK (jsonb_typeof(account_match) = 'object'),
    template      text NOT NULL,
    owner         text NOT NULL DEFAULT 'account_csm',
    email_subject text,
    email_body    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    CHECK (score_min <= score_max),
    CHECK ((email_subject IS NULL) = (email_body IS NULL))
);
COMMENT ON TABLE nps.playbooks IS
    'Rules "when a response matches → start template for owner": the organization''s own playbooks (nps_admin). The shipped one (detractors → "NPS Detractor", switched by settings.detractor_playbook) needs no row; a row of the same name replaces it. nps.playbooks_in_force lists what fires.';
COMMENT ON COLUMN nps.playbooks.name IS 'Playbook name; each response starts at most one run per playbook.';
COMMENT ON COLUMN nps.playbooks.active IS 'Whether it fires.';
COMMENT ON COLUMN nps.playbooks.fires_on IS 'segmentation: for every matching response when the cycle''s segmentation checkpoint completes; response: as soon as a matching response is recorded.';
COMMENT ON COLUMN nps.playbooks.segment IS 'Match responses of this segment (NULL: any).';
COMMENT ON COLUMN nps.playbooks.score_min IS 'Match scores from (NULL: 0).';
COMMENT ON COLUMN nps.playbooks.score_max IS 'Match scores up to (NULL: 10).';
COMMENT ON COLUMN nps.playbooks.tier IS 'Match accounts of this tier (NULL: any).';
COMMENT ON COLUMN nps.playbooks.account_match IS 'Match accounts whose attributes contain this JSON object (NULL: any).';
COMMENT ON COLUMN nps.playbooks.template IS 'Template the started run follows (its latest version).';
COMMENT ON COLUMN nps.playbooks.owner IS 'Owner of the run: account_csm (the account''s CSM, else the cycle''s owner), cycle_owner, or a person''s identity.';
COMMENT ON COLUMN nps.playbooks.email_subject IS 'Subject of an email queued to the respondent when the run starts ({account}, {score}, {cycle}, {respondent} are filled in); NULL: none.';
COMMENT ON COLUMN nps.playbooks.email_body IS 'Body of that email, with the same placeholders.';
COMMENT ON COLUMN nps.playbooks.created_at IS 'When the playbook was added.';
COMMENT ON COLUMN nps.playbooks.created_by IS 'Who added it.';

CREATE TABLE nps.playbook_runs (
    playbook     text NOT NULL,
    response_id  bigint NOT NULL REFERENCES nps.responses (id),
    run_id       bigint NOT NULL UNIQUE REFERENCES nps.runs (id),
    cycle_run_id bigint NOT NULL REFERENCES nps.runs (id),
    started_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (playbook, response_id)
);
CREATE INDEX ON nps.playbook_runs (response_id);
CREATE INDEX ON nps.playbook_runs (cycle_run_id);
COMMENT ON TABLE nps.playbook_runs IS 'Which run each playbook started for each response: at most one per playbook and response. Written only as playbooks fire.';
COMMENT ON COLUMN nps.playbook_runs.playbook IS 'The playbook that fired.';
COMMENT ON COLUMN nps.playbook_runs.response_id IS 'The response it fired for.';
COMMENT ON COLUMN nps.playbook_runs.run_id IS 'The run started (a child of the cycle''s run).';
COMMENT ON COLUMN nps.playbook_runs.cycle_run_id IS 'The cycle''s run (the audit chain the row joins).';
COMMENT ON COLUMN nps.playbook_runs.started_at IS 'When it started.';

-------------------------------------------------------------------------------------------------
-- Root causes
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.root_causes (
    key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    name        text NOT NULL CHECK (name <> ''),
    description text NOT NULL DEFAULT '',
    keywords    text[] NOT NULL DEFAULT '{}',
    position    integer NOT NULL DEFAULT 100,
    active      boolean NOT NULL DEFAULT true,
    CHECK (key <> 'unknown' OR active)
);
COMMENT ON TABLE nps.root_causes IS
    'The organization''s root-cause categories (nps_admin): additions to the shipped taxonomy, or replacements of a shipped category (same key). nps.root_cause_taxonomy is what is in force.';
COMMENT ON COLUMN nps.root_causes.key IS 'Stable key, e.g. ''product_bug''.';
COMMENT ON COLUMN nps.root_causes.name IS 'Display name.';
COMMENT ON COLUMN nps.root_causes.description IS 'What the category covers.';
COMMENT ON COLUMN nps.root_causes.keywords IS 'Words or phrases that suggest the category: matched with full-text search (settings.text_search_config), so "crashes" matches "crash".';
COMMENT ON COLUMN nps.root_causes.position IS 'Order in lists; breaks ties between suggestions.';
COMMENT ON COLUMN nps.root_causes.active IS 'Whether it can be assigned and suggested (unknown always can).';

CREATE TABLE nps.response_causes (
    response_id bigint PRIMARY KEY REFERENCES nps.responses (id),
    cycle_id    bigint NOT NULL REFERENCES nps.cycles (id),
    run_id      bigint NOT NULL REFERENCES nps.runs (id),
    cause       text NOT NULL,
    suggested   text,
    matched     text[] NOT NULL DEFAULT '{}',
    confirmed   boolean NOT NULL DEFAULT false,
    note        text,
    assigned_by text REFERENCES nps.people (identity),
    assigned_at timestamptz,
    CHECK (confirmed = (assigned_by IS NOT NULL))
);
CREATE INDEX ON nps.response_causes (cycle_id, cause);
COMMENT ON TABLE nps.response_causes IS 'The root cause of a response: suggested by nps.suggest_root_causes, confirmed or overridden by a person with nps.assign_root_cause.';
COMMENT ON COLUMN nps.response_causes.response_id IS 'The response.';
COMMENT ON COLUMN nps.response_causes.cycle_id IS 'The response''s cycle (set from it).';
COMMENT ON COLUMN nps.response_causes.run_id IS 'The cycle''s run (its audit chain keeps every assignment).';
COMMENT ON COLUMN nps.response_causes.cause IS 'The category (a key of nps.root_cause_taxonomy).';
COMMENT ON COLUMN nps.response_causes.suggested IS 'The category full-text search suggested.';
COMMENT ON COLUMN nps.response_causes.matched IS 'The keywords of the suggested category the comment matched.';
COMMENT ON COLUMN nps.response_causes.confirmed IS 'A person confirmed the cause (the root-cause step needs every detractor confirmed).';
COMMENT ON COLUMN nps.response_causes.note IS 'Note of the person; required for "unknown".';
COMMENT ON COLUMN nps.response_causes.assigned_by IS 'The person who confirmed the cause.';
COMMENT ON COLUMN nps.response_causes.assigned_at IS 'When they did.';

-------------------------------------------------------------------------------------------------
-- Action plan items and their verification
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.plan_items (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cycle_id     bigint NOT NULL REFERENCES nps.cycles (id),
    run_id       bigint NOT NULL REFERENCES nps.runs (id),
    segment      nps_segment NOT NULL,
    cause        text,
    title        text NOT NULL CHECK (title <> ''),
    description  text NOT NULL DEFAULT '',
    owner        text NOT NULL REFERENCES nps.people (identity),
    due_at       timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'verified', 'dropped')),
    outcome      text,
    completed_at timestamptz,
    completed_by text REFERENCES nps.people (identity),
    evidence     text,
    verified_by  text REFERENCES nps.people (identity),
    verified_at  timestamptz,
    drop_reason  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    CHECK (cause IS NULL OR segment = 'detractor'),
    CHECK ((status = 'verified') = (verified_by IS NOT NULL)),
    CHECK ((status = 'dropped') = (drop_reason IS NOT NULL)),
    CHECK (verified_by IS DISTINCT FROM owner)
);
CREATE INDEX ON nps.plan_items (cycle_id);
CREATE INDEX ON nps.plan_items (owner);
COMMENT ON TABLE nps.plan_items IS 'The action plan of a cycle: items per segment (promoters: advocacy; passives: nurture; detractors: a fix per root cause), each with an owner and a due date, verified by someone else.';
COMMENT ON COLUMN nps.plan_items.id IS 'Plan item id.';
COMMENT ON COLUMN nps.plan_items.cycle_id IS 'The cycle whose plan it is in.';
COMMENT ON COLUMN nps.plan_items.run_id IS 'The cycle''s run (its audit chain).';
COMMENT ON COLUMN nps.plan_items.segment IS 'The segment the item serves.';
COMMENT ON COLUMN nps.plan_items.cause IS 'For detractor fixes: the root cause it addresses.';
COMMENT ON COLUMN nps.plan_items.title IS 'What is to be done.';
COMMENT ON COLUMN nps.plan_items.description IS 'More about it.';
COMMENT ON COLUMN nps.plan_items.owner IS 'The person who delivers the item.';
COMMENT ON COLUMN nps.plan_items.due_at IS 'When it is due.';
COMMENT ON COLUMN nps.plan_items.status IS 'open → done (by its owner) → verified (by someone else, with evidence); or dropped with a reason. verified and dropped are final: nothing of the item changes any more.';
COMMENT ON COLUMN nps.plan_items.outcome IS 'What the owner delivered (set as it becomes done).';
COMMENT ON COLUMN nps.plan_items.completed_at IS 'When it became done.';
COMMENT ON COLUMN nps.plan_items.completed_by IS 'The person who marked it done.';
COMMENT ON COLUMN nps.plan_items.evidence IS 'Verification evidence: a link or a text (set as it is verified).';
COMMENT ON COLUMN nps.plan_items.verified_by IS 'The person who verified it (never its owner).';
COMMENT ON COLUMN nps.plan_items.verified_at IS 'When it was verified.';
COMMENT ON COLUMN nps.plan_items.drop_reason IS 'Why the item was dropped.';
COMMENT ON COLUMN nps.plan_items.created_at IS 'When it was added to the plan.';
COMMENT ON COLUMN nps.plan_items.created_by IS 'Who added it.';

-------------------------------------------------------------------------------------------------
-- Outreach: conversations and the outbox
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.conversations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES nps.runs (id),
    channel     text NOT NULL DEFAULT 'note' CHECK (channel IN ('note', 'email', 'phone', 'meeting', 'chat')),
    body        text NOT NULL CHECK (body <> ''),
    happened_at timestamptz NOT NULL DEFAULT now(),
    author      text NOT NULL REFERENCES nps.people (identity),
    logged_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON nps.conversations (run_id);
COMMENT ON TABLE nps.conversations IS 'Conversations and notes logged on a run (e.g. a detractor project): who, when, how, what was said. Append-only. Row-level security: visible with the run.';
COMMENT ON COLUMN nps.conversations.id IS 'Conversation id.';
COMMENT ON COLUMN nps.conversations.run_id IS 'The run it was logged on.';
COMMENT ON COLUMN nps.conversations.channel IS 'note, email, phone, meeting or chat.';
COMMENT ON COLUMN nps.conversations.body IS 'What was said or noted (at most 100000 characters).';
COMMENT ON COLUMN nps.conversations.happened_at IS 'When the conversation took place.';
COMMENT ON COLUMN nps.conversations.author IS 'The person who logged it.';
COMMENT ON COLUMN nps.conversations.logged_at IS 'When it was logged.';

CREATE TABLE nps.outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        bigint REFERENCES nps.runs (id),
    recipient     text NOT NULL CHECK (recipient <> ''),
    subject       text NOT NULL,
    body          text NOT NULL,
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    not_before    timestamptz NOT NULL DEFAULT now(),
    claimed_by    text,
    claimed_until timestamptz,
    sent_at       timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL
);
CREATE INDEX outbox_ready ON nps.outbox (not_before, id) WHERE status IN ('queued', 'sending');
COMMENT ON TABLE nps.outbox IS 'Emails for the application to send, queued only by playbooks; what is queued never changes. NOTIFY nps_outbox announces new ones; senders (nps_mailer) take them with nps.claim_outbox and report with nps.mark_sent / nps.mark_failed. Row-level security: visible with the run, and to senders.';
COMMENT ON COLUMN nps.outbox.id IS 'Message id.';
COMMENT ON COLUMN nps.outbox.run_id IS 'The run the email belongs to (its audit chain).';
COMMENT ON COLUMN nps.outbox.recipient IS 'The address, normalized (one line: no header can ride in it).';
COMMENT ON COLUMN nps.outbox.subject IS 'The subject line (one line).';
COMMENT ON COLUMN nps.outbox.body IS 'The body.';
COMMENT ON COLUMN nps.outbox.status IS 'queued → sending (claimed) → sent; failed after 5 attempts.';
COMMENT ON COLUMN nps.outbox.attempts IS 'How many times a sender claimed it.';
COMMENT ON COLUMN nps.outbox.not_before IS 'Not to be sent before (retries back off).';
COMMENT ON COLUMN nps.outbox.claimed_by IS 'Sender that holds it.';
COMMENT ON COLUMN nps.outbox.claimed_until IS 'End of the sender''s lease: afterwards another sender may claim it.';
COMMENT ON COLUMN nps.outbox.sent_at IS 'When the sender reported it sent.';
COMMENT ON COLUMN nps.outbox.last_error IS 'Error of the latest failed attempt.';
COMMENT ON COLUMN nps.outbox.created_at IS 'When it was queued.';
COMMENT ON COLUMN nps.outbox.created_by IS 'Who caused it to be queued.';

-------------------------------------------------------------------------------------------------
-- Cycle report: written when the close step completes
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.cycle_reports (
    cycle_id     bigint PRIMARY KEY REFERENCES nps.cycles (id),
    run_id       bigint NOT NULL REFERENCES nps.runs (id),
    closed_at    timestamptz NOT NULL DEFAULT now(),
    closed_by    text NOT NULL,
    headline     jsonb NOT NULL,
    loop_closure jsonb NOT NULL,
    root_causes  jsonb NOT NULL,
    plan         jsonb NOT NULL
);
COMMENT ON TABLE nps.cycle_reports IS 'The report of each closed cycle, written when its close step completes and never changed.';
COMMENT ON COLUMN nps.cycle_reports.cycle_id IS 'The cycle.';
COMMENT ON COLUMN nps.cycle_reports.run_id IS 'The cycle''s run.';
COMMENT ON COLUMN nps.cycle_reports.closed_at IS 'When the cycle closed.';
COMMENT ON COLUMN nps.cycle_reports.closed_by IS 'Who completed the close step (the approver whose decision granted it).';
COMMENT ON COLUMN nps.cycle_reports.headline IS 'The cycle''s row of nps.cycle_headline at closing.';
COMMENT ON COLUMN nps.cycle_reports.loop_closure IS 'The cycle''s row of nps.loop_closure at closing.';
COMMENT ON COLUMN nps.cycle_reports.root_causes IS 'The cycle''s rows of nps.root_cause_pareto at closing.';
COMMENT ON COLUMN nps.cycle_reports.plan IS 'The plan items at closing: per segment, how many were verified and dropped.';

-------------------------------------------------------------------------------------------------
-- The key respondents are pseudonymized with (nps.response_facts)
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.pseudonym_key (
    id  boolean PRIMARY KEY DEFAULT true CHECK (id),
    key bytea NOT NULL CHECK (octet_length(key) = 32)
);
COMMENT ON TABLE nps.pseudonym_key IS 'The secret of the keyed hash (HMAC-SHA-256) that turns a respondent into the stable, non-reversible key analysts see; generated at install, kept by pg_dump, readable by no role.';
COMMENT ON COLUMN nps.pseudonym_key.id IS 'Always true: one key.';
COMMENT ON COLUMN nps.pseudonym_key.key IS '32 random bytes.';

-------------------------------------------------------------------------------------------------
-- Row-level security (the policies are in cycle/row_security.sql), the audit trail, pg_dump
-------------------------------------------------------------------------------------------------
ALTER TABLE nps.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.responses ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.response_causes ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.plan_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE nps.playbook_runs ENABLE ROW LEVEL SECURITY;

-- Audited: every table but the staging table (its rows never change; what they become is
-- recorded as responses), the rollups (derived from the responses; nps.verify_audit() recomputes
-- them) and the pseudonym key (written once at install).
SELECT nps.enable_audit('nps.settings');
SELECT nps.enable_audit('nps.accounts');
SELECT nps.enable_audit('nps.cycles', 'run_id');
SELECT nps.enable_audit('nps.responses', 'run_id');
SELECT nps.enable_audit('nps.cycle_snapshots', 'run_id');
SELECT nps.enable_audit('nps.cycle_snapshot_groups', 'run_id');
SELECT nps.enable_audit('nps.playbooks');
SELECT nps.enable_audit('nps.playbook_runs', 'cycle_run_id');
SELECT nps.enable_audit('nps.root_causes');
SELECT nps.enable_audit('nps.response_causes', 'run_id');
SELECT nps.enable_audit('nps.plan_items', 'run_id');
SELECT nps.enable_audit('nps.conversations', 'run_id');
SELECT nps.enable_audit('nps.outbox', 'run_id');
SELECT nps.enable_audit('nps.cycle_reports', 'run_id');

SELECT pg_catalog.pg_extension_config_dump('nps.settings', '');
SELECT pg_catalog.pg_extension_config_dump('nps.accounts', '');
SELECT pg_catalog.pg_extension_config_dump('nps.cycles', '');
SELECT pg_catalog.pg_extension_config_dump('nps.responses', '');
SELECT pg_catalog.pg_extension_config_dump('nps.response_staging', '');
SELECT pg_catalog.pg_extension_config_dump('nps.response_rollups', '');
SELECT pg_catalog.pg_extension_config_dump('nps.cycle_snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('nps.cycle_snapshot_groups', '');
SELECT pg_catalog.pg_extension_config_dump('nps.playbooks', '');
SELECT pg_catalog.pg_extension_config_dump('nps.playbook_runs', '');
SELECT pg_catalog.pg_extension_config_dump('nps.root_causes', '');
SELECT pg_catalog.pg_extension_config_dump('nps.response_causes', '');
SELECT pg_catalog.pg_extension_config_dump('nps.plan_items', '');
SELECT pg_catalog.pg_extension_config_dump('nps.conversations', '');
SELECT pg_catalog.pg_extension_config_dump('nps.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('nps.cycle_reports', '');
SELECT pg_catalog.pg_extension_config_dump('nps.pseudonym_key', '');
SELECT pg_catalog.pg_extension_config_dump('nps.accounts_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.cycles_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.responses_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.response_staging_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.plan_items_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.conversations_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.outbox_id_seq', '');
