-- pg_nps, closing the loop: the segmentation snapshot, playbooks, root causes, the action plan,
-- outreach (conversations, outbox), verification, and the rules each cycle step enforces.
-- See docs/nps-cycle.md.

-------------------------------------------------------------------------------------------------
-- Segmentation snapshot: frozen when the segmentation checkpoint completes
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.cycle_snapshots (
    cycle_id          bigint PRIMARY KEY REFERENCES nps.cycles (id),
    run_id            bigint NOT NULL REFERENCES nps.runs (id),
    taken_at          timestamptz NOT NULL DEFAULT now(),
    taken_by          name NOT NULL DEFAULT current_user,
    promoter_min      integer NOT NULL,
    detractor_max     integer NOT NULL,
    summary           nps_summary NOT NULL,
    responses         bigint NOT NULL,
    promoters         bigint NOT NULL,
    passives          bigint NOT NULL,
    detractors        bigint NOT NULL,
    nps               double precision,
    ci_low            double precision,
    ci_high           double precision,
    margin_of_error   double precision,
    arr_weighted_nps  double precision,
    invitations       integer NOT NULL,
    response_rate     numeric,
    previous_cycle_id bigint REFERENCES nps.cycles (id),
    previous_nps      double precision,
    change            double precision,
    p_value           double precision
);
COMMENT ON TABLE nps.cycle_snapshots IS 'The headline of each segmented cycle, frozen when its segmentation checkpoint completed; never changes afterwards.';
COMMENT ON COLUMN nps.cycle_snapshots.run_id IS 'The cycle''s run (its audit chain holds the snapshot).';
COMMENT ON COLUMN nps.cycle_snapshots.taken_at IS 'When the segmentation checkpoint completed.';
COMMENT ON COLUMN nps.cycle_snapshots.taken_by IS 'Role that completed the segmentation step.';
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
    nps              double precision,
    ci_low           double precision,
    ci_high          double precision,
    PRIMARY KEY (cycle_id, dimension, key)
);
COMMENT ON TABLE nps.cycle_snapshot_groups IS 'The frozen summaries per tier, market segment and account of each segmented cycle.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.run_id IS 'The cycle''s run.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.dimension IS 'tier, segment (the account''s market segment) or account.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.key IS 'The tier, the market segment or the account''s external id (''(none)'' when unset).';
COMMENT ON COLUMN nps.cycle_snapshot_groups.summary IS 'nps_summary of the group''s responses.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.responses IS 'Responses in the group.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.nps IS 'NPS of the group under the cycle''s bands.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.ci_low IS 'Lower bound of the group''s 95% confidence interval.';
COMMENT ON COLUMN nps.cycle_snapshot_groups.ci_high IS 'Upper bound of the group''s 95% confidence interval.';

-- Frozen rows: written only while their cycle's segmentation completes, never changed.
CREATE FUNCTION nps._frozen_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' AND current_setting('nps.freezing', true) = NEW.cycle_id::text THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% of cycle % are frozen', replace(TG_TABLE_NAME, '_', ' '), coalesce(NEW.cycle_id, OLD.cycle_id)
        USING ERRCODE = 'P0N09',
              HINT = 'They are written once, when the cycle''s segmentation checkpoint or close completes, and never change.';
END;
$$;
COMMENT ON FUNCTION nps._frozen_guard() IS 'Trigger: snapshot and report rows are written only by their step''s completion and never changed (P0N09).';
CREATE TRIGGER snapshots_frozen BEFORE INSERT OR UPDATE OR DELETE ON nps.cycle_snapshots
    FOR EACH ROW EXECUTE FUNCTION nps._frozen_guard();
CREATE TRIGGER snapshot_groups_frozen BEFORE INSERT OR UPDATE OR DELETE ON nps.cycle_snapshot_groups
    FOR EACH ROW EXECUTE FUNCTION nps._frozen_guard();

-- The headline figures of a cycle's responses, as they are now: the row segmentation freezes.
CREATE FUNCTION nps._headline(c nps.cycles) RETURNS nps.cycle_snapshots
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h     nps.cycle_snapshots;
    w     @extschema@.nps_summary;
    prev  nps.cycle_snapshots;
    lo    double precision;
    hi    double precision;
    diff  double precision;
    pval  double precision;
BEGIN
    SELECT @extschema@.nps_agg(r.score), count(*) INTO h.summary, h.responses FROM nps.responses r WHERE r.cycle_id = c.id;
    SELECT @extschema@.nps_agg(x.score, x.w) INTO w
      FROM (SELECT r.score, (a.arr / count(*) OVER (PARTITION BY r.account_id))::double precision AS w
              FROM nps.responses r JOIN nps.accounts a ON a.id = r.account_id
             WHERE r.cycle_id = c.id AND a.arr > 0) x;
    SELECT p.* INTO prev FROM nps.cycle_snapshots p JOIN nps.cycles pc ON pc.id = p.cycle_id
    WHERE pc.opens_at < c.opens_at AND pc.id <> c.id ORDER BY pc.opens_at DESC LIMIT 1;
    IF h.summary IS NOT NULL THEN
        SELECT x.low, x.high INTO lo, hi FROM @extschema@.nps_ci(h.summary, 0.95, 'adjusted_wald', c.promoter_min, c.detractor_max) x;
        IF prev.cycle_id IS NOT NULL THEN
            SELECT x.difference, x.p_value INTO diff, pval
            FROM @extschema@.nps_compare(h.summary, prev.summary, c.promoter_min, c.detractor_max) x;
        END IF;
    END IF;
    h.cycle_id := c.id;
    h.run_id := c.run_id;
    h.taken_at := now();
    h.taken_by := current_user;
    h.promoter_min := c.promoter_min;
    h.detractor_max := c.detractor_max;
    h.promoters := coalesce(@extschema@.nps_promoters(h.summary, c.promoter_min, c.detractor_max), 0);
    h.passives := coalesce(@extschema@.nps_passives(h.summary, c.promoter_min, c.detractor_max), 0);
    h.detractors := coalesce(@extschema@.nps_detractors(h.summary, c.promoter_min, c.detractor_max), 0);
    h.nps := round(@extschema@.nps_score(h.summary, c.promoter_min, c.detractor_max)::numeric, 1);
    h.ci_low := round(lo::numeric, 1);
    h.ci_high := round(hi::numeric, 1);
    h.margin_of_error := round(@extschema@.nps_moe(h.summary, 0.95, c.promoter_min, c.detractor_max)::numeric, 1);
    h.arr_weighted_nps := round(@extschema@.nps_score(w, c.promoter_min, c.detractor_max)::numeric, 1);
    h.invitations := c.invitations;
    h.response_rate := CASE WHEN c.invitations > 0 THEN round(h.responses::numeric / c.invitations, 4) END;
    h.previous_cycle_id := prev.cycle_id;
    h.previous_nps := round(@extschema@.nps_score(prev.summary, c.promoter_min, c.detractor_max)::numeric, 1);
    h.change := round(diff::numeric, 1);
    h.p_value := round(pval::numeric, 4);
    RETURN h;
END;
$$;
COMMENT ON FUNCTION nps._headline(nps.cycles) IS 'Internal: a cycle''s headline figures from its responses now, as the snapshot row segmentation freezes.';

CREATE FUNCTION nps._freeze_snapshot(c nps.cycles, taken_by name) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h nps.cycle_snapshots := nps._headline(c);
BEGIN
    h.taken_by := taken_by;
    PERFORM set_config('nps.freezing', c.id::text, true);
    INSERT INTO nps.cycle_snapshots SELECT h.*;
    INSERT INTO nps.cycle_snapshot_groups (cycle_id, run_id, dimension, key, summary, responses, nps, ci_low, ci_high)
    SELECT c.id, c.run_id, g.dimension, g.key, g.s, @extschema@.nps_responses(g.s),
           round(@extschema@.nps_score(g.s, c.promoter_min, c.detractor_max)::numeric, 1),
           round(ci.low::numeric, 1), round(ci.high::numeric, 1)
    FROM (SELECT d.dimension, d.key, @extschema@.nps_agg(d.score) AS s
          FROM nps.responses r JOIN nps.accounts a ON a.id = r.account_id
          CROSS JOIN LATERAL (VALUES ('tier', coalesce(a.tier, '(none)'), r.score),
                                     ('segment', coalesce(a.segment, '(none)'), r.score),
                                     ('account', a.external_id, r.score)) AS d(dimension, key, score)
          WHERE r.cycle_id = c.id
          GROUP BY d.dimension, d.key) g
    CROSS JOIN LATERAL @extschema@.nps_ci(g.s, 0.95, 'adjusted_wald', c.promoter_min, c.detractor_max) ci;
    PERFORM set_config('nps.freezing', '', true);
END;
$$;
COMMENT ON FUNCTION nps._freeze_snapshot(nps.cycles, name) IS 'Internal: writes a cycle''s frozen snapshot and its per-tier, per-segment and per-account summaries.';

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
    created_by    name NOT NULL DEFAULT current_user,
    CHECK (score_min <= score_max),
    CHECK ((email_subject IS NULL) = (email_body IS NULL))
);
COMMENT ON TABLE nps.playbooks IS
    'Rules "when a response matches → start template for owner": the organization''s own playbooks. The shipped one (detractors → "NPS Detractor", switched by settings.detractor_playbook) needs no row; a row of the same name replaces it. nps.playbooks_in_force lists what fires.';
COMMENT ON COLUMN nps.playbooks.name IS 'Playbook name; each response starts at most one run per playbook.';
COMMENT ON COLUMN nps.playbooks.active IS 'Whether it fires.';
COMMENT ON COLUMN nps.playbooks.fires_on IS 'segmentation: for every matching response when the cycle''s segmentation checkpoint completes; response: as soon as a matching response is recorded.';
COMMENT ON COLUMN nps.playbooks.segment IS 'Match responses of this segment (NULL: any).';
COMMENT ON COLUMN nps.playbooks.score_min IS 'Match scores from (NULL: 0).';
COMMENT ON COLUMN nps.playbooks.score_max IS 'Match scores up to (NULL: 10).';
COMMENT ON COLUMN nps.playbooks.tier IS 'Match accounts of this tier (NULL: any).';
COMMENT ON COLUMN nps.playbooks.account_match IS 'Match accounts whose attributes contain this JSON object (NULL: any).';
COMMENT ON COLUMN nps.playbooks.template IS 'Template the started run follows (its latest version).';
COMMENT ON COLUMN nps.playbooks.owner IS 'Owner of the run: account_csm (the account''s CSM, else the cycle''s owner), cycle_owner, or a role name.';
COMMENT ON COLUMN nps.playbooks.email_subject IS 'Subject of an email queued to the respondent when the run starts ({account}, {score}, {cycle}, {respondent} are filled in); NULL: none.';
COMMENT ON COLUMN nps.playbooks.email_body IS 'Body of that email, with the same placeholders.';

CREATE FUNCTION nps._playbooks_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM nps.templates t WHERE t.name = NEW.template) THEN
        RAISE EXCEPTION 'template "%" of playbook "%" does not exist', NEW.template, NEW.name
            USING ERRCODE = 'undefined_object', HINT = 'SELECT name FROM nps.templates lists them.';
    END IF;
    IF NEW.owner NOT IN ('account_csm', 'cycle_owner') THEN
        PERFORM nps._role(NEW.owner, format('owner of playbook "%s"', NEW.name));
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
        NEW.created_by := current_user;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._playbooks_guard() IS 'Trigger: a playbook names an existing template (42704) and owner rule.';
CREATE TRIGGER playbooks_guard BEFORE INSERT OR UPDATE ON nps.playbooks
    FOR EACH ROW EXECUTE FUNCTION nps._playbooks_guard();

CREATE VIEW nps.playbooks_in_force AS
SELECT p.name, p.fires_on, p.segment, p.score_min, p.score_max, p.tier, p.account_match, p.template, p.owner,
       p.email_subject, p.email_body, false AS shipped
FROM nps.playbooks p WHERE p.active
UNION ALL
SELECT 'Detractor follow-up', 'segmentation', 'detractor'::nps_segment, NULL, NULL, NULL, NULL, 'NPS Detractor',
       'account_csm', 'We read your feedback, {respondent}',
       'Thank you for your answer to our survey ({cycle}). Your account manager will contact you within two business days to talk it through.',
       true
WHERE (nps.current_settings()).detractor_playbook
  AND NOT EXISTS (SELECT 1 FROM nps.playbooks p WHERE p.name = 'Detractor follow-up');
COMMENT ON VIEW nps.playbooks_in_force IS 'The playbooks that fire: the active rows of nps.playbooks and, unless switched off or replaced, the shipped "Detractor follow-up".';
COMMENT ON COLUMN nps.playbooks_in_force.shipped IS 'Whether this is the shipped playbook (no row in nps.playbooks).';

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
COMMENT ON TABLE nps.playbook_runs IS 'Which run each playbook started for each response: at most one per playbook and response.';
COMMENT ON COLUMN nps.playbook_runs.run_id IS 'The run started (a child of the cycle''s run).';
COMMENT ON COLUMN nps.playbook_runs.cycle_run_id IS 'The cycle''s run (the audit chain the row joins).';

CREATE FUNCTION nps._fill(text text, vals jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN replace(replace(replace(replace(text, '{account}', coalesce(vals ->> 'account', '')),
                                   '{score}', coalesce(vals ->> 'score', '')),
                           '{cycle}', coalesce(vals ->> 'cycle', '')),
                   '{respondent}', coalesce(vals ->> 'respondent', ''));
COMMENT ON FUNCTION nps._fill(text, jsonb) IS 'Internal: fills {account}, {score}, {cycle}, {respondent} into an email template.';

CREATE FUNCTION nps._fire_playbooks(cycle_id bigint, event text, response_ids bigint[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c           nps.cycles;
    cycle_owner text;
    m           record;
    owner       text;
    vals        jsonb;
    run         nps.runs;
    started     integer := 0;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.id = _fire_playbooks.cycle_id;
    SELECT x.owner::text INTO cycle_owner FROM nps.runs x WHERE x.id = c.run_id;
    FOR m IN
        SELECT p.name, p.template, p.owner AS rule, p.email_subject, p.email_body,
               r.id AS response_id, r.score, r.respondent, a.name AS account_name, a.external_id, a.csm
        FROM nps.playbooks_in_force p
        JOIN nps.responses r ON r.id = ANY (response_ids) AND r.cycle_id = c.id
        JOIN nps.accounts a ON a.id = r.account_id
        WHERE p.fires_on = event
          AND (p.segment IS NULL OR p.segment = r.segment)
          AND r.score BETWEEN coalesce(p.score_min, 0) AND coalesce(p.score_max, 10)
          AND (p.tier IS NULL OR p.tier = a.tier)
          AND (p.account_match IS NULL OR a.attributes @> p.account_match)
          AND NOT EXISTS (SELECT 1 FROM nps.playbook_runs pr WHERE pr.playbook = p.name AND pr.response_id = r.id)
        ORDER BY r.id, p.name
    LOOP
        owner := CASE m.rule
                     WHEN 'account_csm' THEN coalesce(m.csm::text, cycle_owner)
                     WHEN 'cycle_owner' THEN cycle_owner
                     ELSE m.rule END;
        run := nps.start_run(m.template, owner => owner,
                             subject => jsonb_build_object('type', 'response', 'id', m.response_id::text, 'csm', owner,
                                                           'account', m.external_id, 'cycle', c.name,
                                                           'score', m.score, 'respondent', m.respondent),
                             title => format('%s: %s (score %s)', m.name, m.account_name, m.score),
                             parent_run => c.run_id);
        INSERT INTO nps.playbook_runs (playbook, response_id, run_id, cycle_run_id)
        VALUES (m.name, m.response_id, run.id, c.run_id);
        IF m.email_subject IS NOT NULL THEN
            vals := jsonb_build_object('account', m.account_name, 'score', m.score, 'cycle', c.name,
                                       'respondent', m.respondent);
            INSERT INTO nps.outbox (run_id, recipient, subject, body)
            VALUES (run.id, m.respondent, nps._fill(m.email_subject, vals), nps._fill(m.email_body, vals));
        END IF;
        started := started + 1;
    END LOOP;
    RETURN started;
END;
$$;
COMMENT ON FUNCTION nps._fire_playbooks(bigint, text, bigint[]) IS
    'Internal: starts, for each of the responses, the run of every playbook in force for that event that matches it and has not started one yet; queues its email.';

CREATE FUNCTION nps._responses_playbooks() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM nps.playbooks p WHERE p.active AND p.fires_on = 'response') THEN
        RETURN NULL;
    END IF;
    FOR c IN SELECT n.cycle_id, array_agg(n.id) AS ids FROM new_rows n GROUP BY n.cycle_id LOOP
        PERFORM nps._fire_playbooks(c.cycle_id, 'response', c.ids);
    END LOOP;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._responses_playbooks() IS 'Statement trigger (as the extension owner): fires the playbooks that fire on a recorded response.';
CREATE TRIGGER responses_playbooks_insert AFTER INSERT ON nps.responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._responses_playbooks();
CREATE TRIGGER responses_playbooks_update AFTER UPDATE ON nps.responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._responses_playbooks();

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
    'The organization''s root-cause categories: additions to the shipped taxonomy, or replacements of a shipped category (same key). nps.root_cause_taxonomy is what is in force.';
COMMENT ON COLUMN nps.root_causes.key IS 'Stable key, e.g. ''product_bug''.';
COMMENT ON COLUMN nps.root_causes.name IS 'Display name.';
COMMENT ON COLUMN nps.root_causes.keywords IS 'Words or phrases that suggest the category: matched with full-text search (settings.text_search_config), so "crashes" matches "crash".';
COMMENT ON COLUMN nps.root_causes.position IS 'Order in lists; breaks ties between suggestions.';
COMMENT ON COLUMN nps.root_causes.active IS 'Whether it can be assigned and suggested (unknown always can).';

CREATE FUNCTION nps._shipped_root_causes() RETURNS SETOF nps.root_causes
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT * FROM (VALUES
        ('product_bug', 'Product bug', 'Something is broken: errors, crashes, data problems.',
         ARRAY['bug', 'crash', 'error', 'broken', 'broke', 'fails', 'failure', 'glitch', 'data loss', 'not working', 'regression'], 10, true),
        ('missing_feature', 'Missing feature', 'The product cannot do what the client needs.',
         ARRAY['missing', 'feature', 'lacks', 'wish', 'roadmap', 'integration', 'cannot', 'no way', 'request'], 20, true),
        ('performance', 'Performance', 'Slow, unavailable or unreliable.',
         ARRAY['slow', 'performance', 'timeout', 'timing out', 'lag', 'latency', 'downtime', 'outage', 'unavailable', 'speed'], 30, true),
        ('support', 'Support experience', 'Tickets, response times, quality of help.',
         ARRAY['support', 'ticket', 'response time', 'waited', 'unhelpful', 'escalation', 'no answer', 'helpdesk'], 40, true),
        ('onboarding', 'Onboarding & education', 'Hard to learn, set up or adopt.',
         ARRAY['onboarding', 'training', 'documentation', 'docs', 'confusing', 'learn', 'setup', 'complicated', 'hard to use'], 50, true),
        ('pricing', 'Pricing & value', 'Price, licensing, value for money.',
         ARRAY['price', 'pricing', 'expensive', 'cost', 'value', 'invoice', 'billing', 'licence', 'license', 'renewal'], 60, true),
        ('relationship', 'Relationship', 'Account management, communication, trust.',
         ARRAY['account manager', 'communication', 'ignored', 'relationship', 'trust', 'contact', 'promised', 'csm'], 70, true),
        ('unknown', 'Unknown', 'No cause could be established (a note says why).', ARRAY[]::text[], 1000, true)
    ) AS t(key, name, description, keywords, position, active);
END;
COMMENT ON FUNCTION nps._shipped_root_causes() IS 'The shipped root-cause taxonomy (compiled into the extension, not stored, so dumps and restores never collide with it).';

CREATE VIEW nps.root_cause_taxonomy AS
SELECT r.key, r.name, r.description, r.keywords, r.position, r.active,
       EXISTS (SELECT 1 FROM nps._shipped_root_causes() s WHERE s.key = r.key) AS shipped, true AS customized
FROM nps.root_causes r
UNION ALL
SELECT s.key, s.name, s.description, s.keywords, s.position, s.active, true, false
FROM nps._shipped_root_causes() s
WHERE NOT EXISTS (SELECT 1 FROM nps.root_causes r WHERE r.key = s.key);
COMMENT ON VIEW nps.root_cause_taxonomy IS 'The root-cause categories in force: the shipped ones unless replaced, plus the organization''s own.';
COMMENT ON COLUMN nps.root_cause_taxonomy.shipped IS 'A category of the shipped taxonomy.';
COMMENT ON COLUMN nps.root_cause_taxonomy.customized IS 'Defined or replaced by a row of nps.root_causes.';

CREATE FUNCTION nps._root_causes_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cfg regconfig := (nps.current_settings()).text_search_config;
    k   text;
BEGIN
    FOREACH k IN ARRAY NEW.keywords LOOP
        IF k IS NULL OR numnode(phraseto_tsquery(cfg, k)) = 0 THEN
            RAISE EXCEPTION 'keyword "%" of root cause "%" matches nothing', k, NEW.key
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('It is empty or only stop words under text search configuration %s; use a more specific word.', cfg);
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._root_causes_guard() IS 'Trigger: every keyword of a root cause must match something under the text search configuration (22023).';
CREATE TRIGGER root_causes_guard BEFORE INSERT OR UPDATE ON nps.root_causes
    FOR EACH ROW EXECUTE FUNCTION nps._root_causes_guard();

CREATE TABLE nps.response_causes (
    response_id bigint PRIMARY KEY REFERENCES nps.responses (id),
    cycle_id    bigint NOT NULL REFERENCES nps.cycles (id),
    run_id      bigint NOT NULL REFERENCES nps.runs (id),
    cause       text NOT NULL,
    suggested   text,
    matched     text[] NOT NULL DEFAULT '{}',
    confirmed   boolean NOT NULL DEFAULT false,
    note        text,
    assigned_by name,
    assigned_at timestamptz,
    CHECK (confirmed = (assigned_by IS NOT NULL))
);
CREATE INDEX ON nps.response_causes (cycle_id, cause);
COMMENT ON TABLE nps.response_causes IS 'The root cause of a response: suggested by nps.suggest_root_causes, confirmed or overridden by a person with nps.assign_root_cause.';
COMMENT ON COLUMN nps.response_causes.run_id IS 'The cycle''s run (its audit chain keeps every assignment).';
COMMENT ON COLUMN nps.response_causes.cause IS 'The category (a key of nps.root_cause_taxonomy).';
COMMENT ON COLUMN nps.response_causes.suggested IS 'The category full-text search suggested.';
COMMENT ON COLUMN nps.response_causes.matched IS 'The keywords of the suggested category the comment matched.';
COMMENT ON COLUMN nps.response_causes.confirmed IS 'A person confirmed the cause (the root-cause step needs every detractor confirmed).';
COMMENT ON COLUMN nps.response_causes.note IS 'Note of the person; required for "unknown".';
COMMENT ON COLUMN nps.response_causes.assigned_by IS 'Role that confirmed the cause.';

CREATE FUNCTION nps._response_causes_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c    nps.cycles;
    step nps.steps;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the root cause of response #% cannot be deleted', OLD.response_id
            USING ERRCODE = 'P0N09', HINT = 'Assign another cause with nps.assign_root_cause.';
    END IF;
    SELECT x.* INTO c FROM nps.cycles x JOIN nps.responses r ON r.cycle_id = x.id WHERE r.id = NEW.response_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'response % does not exist', NEW.response_id
            USING ERRCODE = 'undefined_object', HINT = 'nps.suggest_root_causes(cycle) lists the detractors and their ids.';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(format('root cause of response #%s', OLD.response_id), to_jsonb(OLD), to_jsonb(NEW),
                               '{response_id,cycle_id,run_id}', 'A cause belongs to its response.');
    END IF;
    NEW.cycle_id := c.id;
    NEW.run_id := c.run_id;
    SELECT * INTO step FROM nps.steps s WHERE s.run_id = c.run_id AND s.key = 'root_cause';
    IF step.status IN ('done', 'skipped') THEN
        RAISE EXCEPTION 'the root-cause analysis of cycle "%" is done', c.name
            USING ERRCODE = 'P0N07', HINT = 'Causes are final once the root_cause step completes.';
    ELSIF step.status IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'the root-cause analysis of cycle "%" has not started', c.name
            USING ERRCODE = 'P0N02', HINT = 'It starts when the segmentation checkpoint completes.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM nps.root_cause_taxonomy t WHERE t.key = NEW.cause AND t.active) THEN
        RAISE EXCEPTION 'root cause "%" is not in the taxonomy', NEW.cause
            USING ERRCODE = 'undefined_object', HINT = 'SELECT key, name FROM nps.root_cause_taxonomy WHERE active lists them.';
    END IF;
    IF NEW.confirmed AND NEW.cause = 'unknown' AND nullif(btrim(NEW.note), '') IS NULL THEN
        RAISE EXCEPTION 'the cause of response #% is "unknown" without a note', NEW.response_id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Say what was tried: nps.assign_root_cause(response, ''unknown'', note => ''…'').';
    END IF;
    IF NEW.confirmed THEN
        NEW.assigned_by := current_user;
        NEW.assigned_at := now();
    ELSE
        NEW.assigned_by := NULL;
        NEW.assigned_at := NULL;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._response_causes_guard() IS
    'Trigger: causes are set while the cycle''s root_cause step is active (P0N02 before, P0N07 after), name a category in force (42704), and "unknown" needs a note (22023).';
CREATE TRIGGER response_causes_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.response_causes
    FOR EACH ROW EXECUTE FUNCTION nps._response_causes_guard();

CREATE FUNCTION nps.suggest_root_causes(cycle text)
    RETURNS TABLE (response_id bigint, account text, score smallint, comment text, suggested text, matched text[],
                   cause text, confirmed boolean)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c   nps.cycles := nps._cycle(cycle);
    cfg regconfig := (nps.current_settings()).text_search_config;
BEGIN
    INSERT INTO nps.response_causes AS x (response_id, cycle_id, run_id, cause, suggested, matched)
    SELECT r.id, c.id, c.run_id, coalesce(best.key, 'unknown'), coalesce(best.key, 'unknown'), coalesce(best.hits, '{}')
    FROM nps.responses r
    LEFT JOIN LATERAL (
        SELECT t.key, array_agg(k ORDER BY k) AS hits
        FROM nps.root_cause_taxonomy t CROSS JOIN unnest(t.keywords) AS k
        WHERE t.active AND to_tsvector(cfg, coalesce(r.comment, '')) @@ phraseto_tsquery(cfg, k)
        GROUP BY t.key, t.position
        ORDER BY count(*) DESC, t.position, t.key
        LIMIT 1) best ON true
    WHERE r.cycle_id = c.id AND r.segment = 'detractor'
    ORDER BY r.id
    ON CONFLICT ON CONSTRAINT response_causes_pkey DO UPDATE
       SET cause = EXCLUDED.cause, suggested = EXCLUDED.suggested, matched = EXCLUDED.matched
       WHERE NOT x.confirmed AND (x.suggested, x.matched) IS DISTINCT FROM (EXCLUDED.suggested, EXCLUDED.matched);
    RETURN QUERY
    SELECT r.id, a.external_id, r.score, r.comment, rc.suggested, rc.matched, rc.cause, rc.confirmed
    FROM nps.responses r
    JOIN nps.accounts a ON a.id = r.account_id
    JOIN nps.response_causes rc ON rc.response_id = r.id
    WHERE r.cycle_id = c.id AND r.segment = 'detractor'
    ORDER BY r.id;
END;
$$;
COMMENT ON FUNCTION nps.suggest_root_causes(text) IS
    'Suggest a root cause for every detractor of a cycle: the active category whose keywords the comment matches most (full-text search, settings.text_search_config; ties by position), else unknown. Stores unconfirmed suggestions (confirmed causes are kept) and returns every detractor with its suggestion, the keywords that matched, and its cause. Allowed while the root_cause step is active.';

CREATE FUNCTION nps.assign_root_cause(response bigint, cause text DEFAULT NULL, note text DEFAULT NULL)
    RETURNS nps.response_causes
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rc nps.response_causes;
BEGIN
    IF cause IS NULL THEN
        UPDATE nps.response_causes x SET confirmed = true, note = coalesce(assign_root_cause.note, x.note)
        WHERE x.response_id = response RETURNING * INTO rc;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'response #% has no suggested cause to confirm', response
                USING ERRCODE = 'null_value_not_allowed', HINT = 'Name the cause, or run nps.suggest_root_causes(cycle) first.';
        END IF;
        RETURN rc;
    END IF;
    INSERT INTO nps.response_causes AS x (response_id, cycle_id, run_id, cause, confirmed, note)
    VALUES (response, 0, 0, cause, true, note)
    ON CONFLICT ON CONSTRAINT response_causes_pkey DO UPDATE
       SET cause = EXCLUDED.cause, confirmed = true, note = EXCLUDED.note
    RETURNING * INTO rc;
    RETURN rc;
END;
$$;
COMMENT ON FUNCTION nps.assign_root_cause(bigint, text, text) IS
    'Confirm the root cause of a response: the suggested one (cause NULL) or another category (override); "unknown" needs a note. Recorded with who and when; every change stays in the cycle''s audit trail.';

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
    owner        regrole NOT NULL,
    due_at       timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'verified', 'dropped')),
    outcome      text,
    completed_at timestamptz,
    completed_by name,
    evidence     text,
    verified_by  name,
    verified_at  timestamptz,
    drop_reason  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   name NOT NULL DEFAULT current_user,
    CHECK (cause IS NULL OR segment = 'detractor'),
    CHECK ((status = 'verified') = (verified_by IS NOT NULL)),
    CHECK ((status = 'dropped') = (drop_reason IS NOT NULL))
);
CREATE INDEX ON nps.plan_items (cycle_id);
COMMENT ON TABLE nps.plan_items IS 'The action plan of a cycle: items per segment (promoters: advocacy; passives: nurture; detractors: a fix per root cause), each with an owner and a due date, verified by someone else.';
COMMENT ON COLUMN nps.plan_items.run_id IS 'The cycle''s run (its audit chain).';
COMMENT ON COLUMN nps.plan_items.segment IS 'The segment the item serves.';
COMMENT ON COLUMN nps.plan_items.cause IS 'For detractor fixes: the root cause it addresses.';
COMMENT ON COLUMN nps.plan_items.owner IS 'Role that delivers the item.';
COMMENT ON COLUMN nps.plan_items.due_at IS 'When it is due.';
COMMENT ON COLUMN nps.plan_items.status IS 'open → done (by its owner) → verified (by someone else, with evidence); or dropped with a reason.';
COMMENT ON COLUMN nps.plan_items.outcome IS 'What the owner delivered.';
COMMENT ON COLUMN nps.plan_items.evidence IS 'Verification evidence: a link or a text.';
COMMENT ON COLUMN nps.plan_items.verified_by IS 'Role that verified it (never its owner).';
COMMENT ON COLUMN nps.plan_items.drop_reason IS 'Why the item was dropped.';

CREATE FUNCTION nps._plan_items_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c      nps.cycles;
    run    nps.runs;
    plan   nps.step_status;
    item   nps.plan_items := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    label  text;
    defn   boolean;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.id = item.cycle_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle % does not exist', item.cycle_id
            USING ERRCODE = 'undefined_object', HINT = 'SELECT id, name FROM nps.cycles lists the cycles.';
    END IF;
    SELECT * INTO run FROM nps.runs r WHERE r.id = c.run_id;
    SELECT s.status INTO plan FROM nps.steps s WHERE s.run_id = c.run_id AND s.key = 'action_plan';
    label := format('plan item #%s "%s" of cycle "%s"', coalesce(item.id::text, '(new)'), item.title, c.name);
    defn := TG_OP <> 'UPDATE' OR nps._changed(to_jsonb(OLD), to_jsonb(NEW),
                                              '{segment,cause,title,description,owner,due_at}') <> '{}';
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(label, to_jsonb(OLD), to_jsonb(NEW), '{id,cycle_id,run_id,created_at,created_by}',
                               'An item belongs to its cycle.');
    END IF;
    IF defn THEN
        -- The plan itself changes only while the action_plan step is being worked on.
        IF plan = 'pending' THEN
            RAISE EXCEPTION 'the action plan of cycle "%" has not started', c.name
                USING ERRCODE = 'P0N02', HINT = 'It starts when every detractor has a confirmed root cause.';
        ELSIF plan = 'awaiting_approval' THEN
            RAISE EXCEPTION 'the action plan of cycle "%" is awaiting approval', c.name
                USING ERRCODE = 'P0N04', HINT = 'Withdraw the request (nps.withdraw_approval) to change the plan, then request again.';
        ELSIF plan IN ('done', 'skipped') THEN
            RAISE EXCEPTION 'the action plan of cycle "%" is approved; % cannot change', c.name, label
                USING ERRCODE = 'P0N07', HINT = 'Drop the item with a reason (nps.drop_plan_item) and add the change to the next cycle.';
        END IF;
        IF NOT nps._may_manage(run.owner) THEN
            RAISE EXCEPTION 'role "%" may not change the action plan of cycle "%"', current_user, c.name
                USING ERRCODE = 'insufficient_privilege', HINT = format('The cycle''s owner (%s) or an nps_admin plans.', run.owner);
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF NEW.cause IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nps.root_cause_taxonomy t WHERE t.key = NEW.cause) THEN
            RAISE EXCEPTION 'root cause "%" of % is not in the taxonomy', NEW.cause, label
                USING ERRCODE = 'undefined_object', HINT = 'SELECT key FROM nps.root_cause_taxonomy lists them.';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'open' THEN
            RAISE EXCEPTION '% must start open', label USING ERRCODE = 'P0N02', HINT = 'Insert it open; complete and verify it later.';
        END IF;
        NEW.run_id := c.run_id;
        NEW.created_at := now();
        NEW.created_by := current_user;
        RETURN NEW;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF OLD.status IN ('verified', 'dropped') THEN
            RAISE EXCEPTION '% is %; terminal states are final', label, OLD.status
                USING ERRCODE = 'P0N07', HINT = 'Add a new item to the next cycle''s plan.';
        END IF;
        IF plan IS DISTINCT FROM 'done' THEN
            RAISE EXCEPTION '% cannot be %s before the plan is approved', label, NEW.status
                USING ERRCODE = 'P0N02', HINT = 'Request the action_plan step''s approval first.';
        END IF;
        IF NEW.status = 'done' AND OLD.status = 'open' THEN
            IF NOT (pg_has_role(current_user, OLD.owner, 'MEMBER') OR nps._may_manage(run.owner)) THEN
                RAISE EXCEPTION 'role "%" does not own %', current_user, label
                    USING ERRCODE = 'insufficient_privilege', HINT = format('Its owner (%s) completes it.', OLD.owner);
            END IF;
            NEW.completed_at := now();
            NEW.completed_by := current_user;
        ELSIF NEW.status = 'verified' AND OLD.status = 'done' THEN
            IF pg_has_role(current_user, OLD.owner, 'MEMBER') THEN
                RAISE EXCEPTION '% is owned by %, who cannot verify it', label, OLD.owner
                    USING ERRCODE = 'P0N05', HINT = 'Someone other than the owner verifies the follow-up.';
            END IF;
            IF nullif(btrim(NEW.evidence), '') IS NULL THEN
                RAISE EXCEPTION 'verifying % needs evidence', label
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a link or a text that shows the follow-up shipped.';
            END IF;
            NEW.verified_by := current_user;
            NEW.verified_at := now();
        ELSIF NEW.status = 'dropped' THEN
            IF NOT nps._may_manage(run.owner) THEN
                RAISE EXCEPTION 'role "%" may not drop %', current_user, label
                    USING ERRCODE = 'insufficient_privilege', HINT = format('The cycle''s owner (%s) or an nps_admin drops items.', run.owner);
            END IF;
            IF nullif(btrim(NEW.drop_reason), '') IS NULL THEN
                RAISE EXCEPTION 'dropping % needs a reason', label
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Say why the item will not be delivered.';
            END IF;
        ELSE
            RAISE EXCEPTION '% cannot go from % to %', label, OLD.status, NEW.status
                USING ERRCODE = 'P0N02', HINT = 'Items go open → done → verified, or are dropped.';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._plan_items_guard() IS
    'Trigger: the plan changes only while the action_plan step is active (P0N02 / P0N04 / P0N07) and by the cycle''s owner; items go open → done (owner) → verified (not the owner: P0N05, with evidence) or dropped (reason), after approval.';
CREATE TRIGGER plan_items_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.plan_items
    FOR EACH ROW EXECUTE FUNCTION nps._plan_items_guard();

CREATE FUNCTION nps.add_plan_item(cycle text, segment nps_segment, title text, owner name, due_at timestamptz,
                                  cause text DEFAULT NULL, description text DEFAULT '')
    RETURNS nps.plan_items
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    item nps.plan_items;
BEGIN
    IF segment IS NULL OR title IS NULL OR owner IS NULL OR due_at IS NULL THEN
        RAISE EXCEPTION 'a plan item needs a segment, a title, an owner and a due date'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Every item of the plan has someone who delivers it by a date.';
    END IF;
    IF cause IS NOT NULL AND segment <> 'detractor' THEN
        RAISE EXCEPTION 'plan item "%" names root cause "%" but serves %s', title, cause, segment
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Root causes belong to detractor fixes; leave cause NULL for promoters and passives.';
    END IF;
    INSERT INTO nps.plan_items (cycle_id, run_id, segment, cause, title, description, owner, due_at)
    VALUES ((nps._cycle(cycle)).id, 0, segment, cause, title, coalesce(description, ''),
            nps._role(owner, format('owner of plan item "%s"', title)), due_at)
    RETURNING * INTO item;
    RETURN item;
END;
$$;
COMMENT ON FUNCTION nps.add_plan_item(text, nps_segment, text, name, timestamptz, text, text) IS
    'Add an item to a cycle''s action plan (while its action_plan step is active, by the cycle''s owner): the segment it serves, for detractors the root cause it fixes, its owner and due date.';

CREATE FUNCTION nps._plan_item_missing(item bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'plan item % does not exist', item
        USING ERRCODE = 'undefined_object', HINT = 'SELECT id, title FROM nps.plan_items lists them.';
END;
$$;
COMMENT ON FUNCTION nps._plan_item_missing(bigint) IS 'Internal: the error for an unknown plan item.';

CREATE FUNCTION nps.complete_plan_item(item bigint, outcome text) RETURNS nps.plan_items
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.plan_items;
BEGIN
    UPDATE nps.plan_items x SET status = 'done', outcome = complete_plan_item.outcome WHERE x.id = item RETURNING * INTO p;
    IF NOT FOUND THEN
        PERFORM nps._plan_item_missing(item);
    END IF;
    RETURN p;
END;
$$;
COMMENT ON FUNCTION nps.complete_plan_item(bigint, text) IS 'Mark an approved plan item delivered, with what was delivered (its owner, the cycle''s owner or an nps_admin).';

CREATE FUNCTION nps.verify_plan_item(item bigint, evidence text) RETURNS nps.plan_items
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.plan_items;
BEGIN
    UPDATE nps.plan_items x SET status = 'verified', evidence = verify_plan_item.evidence WHERE x.id = item RETURNING * INTO p;
    IF NOT FOUND THEN
        PERFORM nps._plan_item_missing(item);
    END IF;
    RETURN p;
END;
$$;
COMMENT ON FUNCTION nps.verify_plan_item(bigint, text) IS
    'Verify a delivered plan item with evidence (a link or a text). Never by its owner (P0N05).';

CREATE FUNCTION nps.drop_plan_item(item bigint, reason text) RETURNS nps.plan_items
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p nps.plan_items;
BEGIN
    UPDATE nps.plan_items x SET status = 'dropped', drop_reason = reason WHERE x.id = item RETURNING * INTO p;
    IF NOT FOUND THEN
        PERFORM nps._plan_item_missing(item);
    END IF;
    RETURN p;
END;
$$;
COMMENT ON FUNCTION nps.drop_plan_item(bigint, text) IS 'Drop an approved plan item with a reason (the cycle''s owner or an nps_admin).';

-------------------------------------------------------------------------------------------------
-- Outreach: conversations and the outbox
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.conversations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES nps.runs (id),
    channel     text NOT NULL DEFAULT 'note' CHECK (channel IN ('note', 'email', 'phone', 'meeting', 'chat')),
    body        text NOT NULL CHECK (body <> ''),
    happened_at timestamptz NOT NULL DEFAULT now(),
    author      name NOT NULL DEFAULT current_user,
    actor       text,
    logged_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON nps.conversations (run_id);
COMMENT ON TABLE nps.conversations IS 'Conversations and notes logged on a run (e.g. a detractor project): who, when, how, what was said. Append-only.';
COMMENT ON COLUMN nps.conversations.channel IS 'note, email, phone, meeting or chat.';
COMMENT ON COLUMN nps.conversations.body IS 'What was said or noted.';
COMMENT ON COLUMN nps.conversations.happened_at IS 'When the conversation took place.';
COMMENT ON COLUMN nps.conversations.author IS 'Role that logged it.';
COMMENT ON COLUMN nps.conversations.actor IS 'Application actor (nps.actor) that logged it.';

CREATE FUNCTION nps._conversations_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run nps.runs;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'conversation #% cannot be changed or deleted', OLD.id
            USING ERRCODE = 'P0N09', HINT = 'Log a new note that corrects it.';
    END IF;
    SELECT * INTO run FROM nps.runs r WHERE r.id = NEW.run_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % does not exist', NEW.run_id
            USING ERRCODE = 'undefined_object', HINT = 'nps.run_progress lists runs.';
    END IF;
    IF NOT (nps._may_manage(run.owner)
            OR EXISTS (SELECT 1 FROM nps.tasks t WHERE t.run_id = run.id AND pg_has_role(current_user, t.owner, 'MEMBER'))) THEN
        RAISE EXCEPTION 'role "%" works on no task of run #%', current_user, run.id
            USING ERRCODE = 'insufficient_privilege', HINT = 'The run''s owner and the owners of its tasks log its conversations.';
    END IF;
    NEW.author := current_user;
    NEW.actor := nps._actor();
    NEW.logged_at := now();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._conversations_guard() IS 'Trigger: conversations are logged by the run''s owner or its task owners (42501) and never changed (P0N09).';
CREATE TRIGGER conversations_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.conversations
    FOR EACH ROW EXECUTE FUNCTION nps._conversations_guard();

CREATE FUNCTION nps.log_conversation(run bigint, body text, channel text DEFAULT 'note',
                                     happened_at timestamptz DEFAULT now())
    RETURNS nps.conversations
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO nps.conversations (run_id, channel, body, happened_at) VALUES (run, channel, body, happened_at) RETURNING *;
END;
COMMENT ON FUNCTION nps.log_conversation(bigint, text, text, timestamptz) IS
    'Log a conversation or note on a run (note, email, phone, meeting, chat); by the run''s owner or its task owners.';

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
    created_by    name NOT NULL DEFAULT current_user
);
CREATE INDEX outbox_ready ON nps.outbox (not_before, id) WHERE status IN ('queued', 'sending');
COMMENT ON TABLE nps.outbox IS 'Emails for the application to send. NOTIFY nps_outbox announces new ones; senders take them with nps.claim_outbox and report with nps.mark_sent / nps.mark_failed.';
COMMENT ON COLUMN nps.outbox.run_id IS 'The run the email belongs to (its audit chain).';
COMMENT ON COLUMN nps.outbox.status IS 'queued → sending (claimed) → sent; failed after 5 attempts.';
COMMENT ON COLUMN nps.outbox.attempts IS 'How many times a sender claimed it.';
COMMENT ON COLUMN nps.outbox.not_before IS 'Not to be sent before (retries back off).';
COMMENT ON COLUMN nps.outbox.claimed_by IS 'Sender that holds it.';
COMMENT ON COLUMN nps.outbox.claimed_until IS 'End of the sender''s lease: afterwards another sender may claim it.';
COMMENT ON COLUMN nps.outbox.last_error IS 'Error of the latest failed attempt.';

CREATE FUNCTION nps._outbox_notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('nps_outbox', (SELECT count(*)::text FROM new_rows));
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._outbox_notify() IS 'Statement trigger: NOTIFY nps_outbox with the number of emails queued.';
CREATE TRIGGER outbox_notify AFTER INSERT ON nps.outbox
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nps._outbox_notify();

CREATE FUNCTION nps.claim_outbox(sender text, max_messages integer DEFAULT 10, lease interval DEFAULT '5 minutes')
    RETURNS SETOF nps.outbox
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF nullif(btrim(sender), '') IS NULL THEN
        RAISE EXCEPTION 'a sender needs a name'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name the sending process, e.g. its host and pid.';
    END IF;
    IF max_messages IS NULL OR max_messages < 1 OR lease IS NULL OR lease <= interval '0' THEN
        RAISE EXCEPTION 'claim at least one message for a positive lease, not % for %', max_messages, lease
            USING ERRCODE = 'invalid_parameter_value', HINT = 'E.g. nps.claim_outbox(''mailer-1'', 10, ''5 minutes'').';
    END IF;
    RETURN QUERY
    UPDATE nps.outbox o
       SET status = 'sending', claimed_by = sender, claimed_until = now() + lease, attempts = o.attempts + 1
     WHERE o.id IN (SELECT x.id FROM nps.outbox x
                    WHERE ((x.status = 'queued' AND x.not_before <= now())
                           OR (x.status = 'sending' AND x.claimed_until < now()))
                    ORDER BY x.not_before, x.id
                    LIMIT max_messages
                    FOR UPDATE SKIP LOCKED)
    RETURNING o.*;
END;
$$;
COMMENT ON FUNCTION nps.claim_outbox(text, integer, interval) IS
    'Claim up to max_messages ready emails for sender, leased for lease; concurrent senders never get the same message (SKIP LOCKED), and a message whose lease ran out can be claimed again.';

CREATE FUNCTION nps._outbox_claimed(id bigint, sender text) RETURNS nps.outbox
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m nps.outbox;
BEGIN
    SELECT * INTO m FROM nps.outbox o WHERE o.id = _outbox_claimed.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'outbox message % does not exist', id
            USING ERRCODE = 'undefined_object', HINT = 'Report the ids nps.claim_outbox returned.';
    END IF;
    IF m.status <> 'sending' OR m.claimed_by IS DISTINCT FROM sender THEN
        RAISE EXCEPTION 'outbox message % is % and not held by sender "%"', id, m.status, sender
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Its lease ran out and another sender claimed it, or it was already reported; do not send it again.';
    END IF;
    RETURN m;
END;
$$;
COMMENT ON FUNCTION nps._outbox_claimed(bigint, text) IS 'Internal: the message, locked, when sender holds it; else a 55000 error.';

CREATE FUNCTION nps.mark_sent(id bigint, sender text) RETURNS nps.outbox
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m nps.outbox := nps._outbox_claimed(id, sender);
BEGIN
    UPDATE nps.outbox o SET status = 'sent', sent_at = now(), claimed_until = NULL, last_error = NULL
    WHERE o.id = m.id RETURNING * INTO m;
    RETURN m;
END;
$$;
COMMENT ON FUNCTION nps.mark_sent(bigint, text) IS 'Report a claimed message sent (by the sender holding it; 55000 otherwise).';

CREATE FUNCTION nps.mark_failed(id bigint, sender text, error text, retry_in interval DEFAULT '5 minutes')
    RETURNS nps.outbox
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m nps.outbox := nps._outbox_claimed(id, sender);
BEGIN
    UPDATE nps.outbox o
       SET status = CASE WHEN o.attempts >= 5 THEN 'failed' ELSE 'queued' END,
           not_before = now() + coalesce(retry_in, interval '5 minutes') * o.attempts,
           claimed_by = NULL, claimed_until = NULL, last_error = error
     WHERE o.id = m.id RETURNING * INTO m;
    RETURN m;
END;
$$;
COMMENT ON FUNCTION nps.mark_failed(bigint, text, text, interval) IS
    'Report a claimed message failed: it is queued again after retry_in × attempts, and failed for good after 5 attempts.';

-------------------------------------------------------------------------------------------------
-- Cycle report: written when the close step completes
-------------------------------------------------------------------------------------------------
CREATE TABLE nps.cycle_reports (
    cycle_id     bigint PRIMARY KEY REFERENCES nps.cycles (id),
    run_id       bigint NOT NULL REFERENCES nps.runs (id),
    closed_at    timestamptz NOT NULL DEFAULT now(),
    closed_by    name NOT NULL DEFAULT current_user,
    headline     jsonb NOT NULL,
    loop_closure jsonb NOT NULL,
    root_causes  jsonb NOT NULL,
    plan         jsonb NOT NULL
);
COMMENT ON TABLE nps.cycle_reports IS 'The report of each closed cycle, written when its close step completes and never changed.';
COMMENT ON COLUMN nps.cycle_reports.run_id IS 'The cycle''s run.';
COMMENT ON COLUMN nps.cycle_reports.closed_at IS 'When the cycle closed.';
COMMENT ON COLUMN nps.cycle_reports.closed_by IS 'Role whose change completed the close step (the approver whose decision granted it).';
COMMENT ON COLUMN nps.cycle_reports.headline IS 'The cycle''s row of nps.cycle_headline at closing.';
COMMENT ON COLUMN nps.cycle_reports.loop_closure IS 'The cycle''s row of nps.loop_closure at closing.';
COMMENT ON COLUMN nps.cycle_reports.root_causes IS 'The cycle''s rows of nps.root_cause_pareto at closing.';
COMMENT ON COLUMN nps.cycle_reports.plan IS 'The plan items at closing: per segment, how many were verified and dropped.';
CREATE TRIGGER cycle_reports_frozen BEFORE INSERT OR UPDATE OR DELETE ON nps.cycle_reports
    FOR EACH ROW EXECUTE FUNCTION nps._frozen_guard();

-------------------------------------------------------------------------------------------------
-- What each step of a cycle needs
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._cycle_close_check(c nps.cycles) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n     bigint;
    first bigint;
BEGIN
    SELECT count(*), min(p.id) INTO n, first FROM nps.plan_items p
    WHERE p.cycle_id = c.id AND p.status IN ('open', 'done');
    IF n > 0 THEN
        RAISE EXCEPTION 'cycle "%" cannot close: % plan items are not verified (first: #%)', c.name, n, first
            USING ERRCODE = 'P0N03', HINT = 'Verify each delivered item (nps.verify_plan_item, by someone other than its owner) or drop it with a reason.';
    END IF;
    SELECT count(*), min(r.id) INTO n, first FROM nps.runs r WHERE r.parent_run_id = c.run_id AND r.status = 'active';
    IF n > 0 THEN
        RAISE EXCEPTION 'cycle "%" cannot close: % of its projects are still open (first: run #%)', c.name, n, first
            USING ERRCODE = 'P0N03', HINT = 'Finish or cancel them; nps.run_progress shows where each stands.';
    END IF;
    RETURN (SELECT count(*) FROM nps.plan_items p WHERE p.cycle_id = c.id AND p.status = 'verified');
END;
$$;
COMMENT ON FUNCTION nps._cycle_close_check(nps.cycles) IS 'Internal: refuses (P0N03) while a plan item is unverified or a project of the cycle is open; returns the verified items.';

CREATE FUNCTION nps._cycle_step_done() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c      nps.cycles;
    n      bigint;
    first  bigint;
    forced text;
    h      nps.cycle_snapshots;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = NEW.run_id;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    CASE NEW.key
    WHEN 'intake' THEN
        forced := CASE WHEN nps._is_admin() THEN nullif(current_setting('nps.force_reason', true), '') END;
        SELECT count(*) INTO n FROM nps.responses r WHERE r.cycle_id = c.id;
        IF forced IS NULL AND now() < c.closes_at THEN
            RAISE EXCEPTION 'the response window of cycle "%" is open until %', c.name, c.closes_at
                USING ERRCODE = 'P0N11',
                      HINT = 'Close intake when the window ends; an nps_admin can force it earlier with a reason: nps.close_intake(cycle, force_reason => ''…'').';
        END IF;
        IF forced IS NULL AND n < c.min_responses THEN
            RAISE EXCEPTION 'cycle "%" has % responses; its intake needs at least %', c.name, n, c.min_responses
                USING ERRCODE = 'P0N03',
                      HINT = 'Extend the window (UPDATE nps.cycles SET closes_at) and send reminders; an nps_admin can force it with a reason.';
        END IF;
        NEW.evidence := NEW.evidence || jsonb_strip_nulls(jsonb_build_object(
            'responses', n,
            'invitations', c.invitations,
            'response_rate', CASE WHEN c.invitations > 0 THEN round(n::numeric / c.invitations, 4) END,
            'window', format('%s – %s', c.opens_at, least(c.closes_at, now())),
            'forced', forced));
    WHEN 'segmentation' THEN
        h := nps._headline(c);
        NEW.evidence := NEW.evidence || jsonb_strip_nulls(jsonb_build_object(
            'nps', h.nps, 'promoters', h.promoters, 'passives', h.passives, 'detractors', h.detractors,
            'ci_low', h.ci_low, 'ci_high', h.ci_high, 'margin_of_error', h.margin_of_error,
            'change_from_previous', h.change));
    WHEN 'root_cause' THEN
        SELECT count(*), min(r.id) INTO n, first
        FROM nps.responses r
        LEFT JOIN nps.response_causes rc ON rc.response_id = r.id AND rc.confirmed
        WHERE r.cycle_id = c.id AND r.segment = 'detractor' AND rc.response_id IS NULL;
        IF n > 0 THEN
            RAISE EXCEPTION '% detractors of cycle "%" have no confirmed root cause (first: response #%)', n, c.name, first
                USING ERRCODE = 'P0N03',
                      HINT = 'Confirm or override each suggestion with nps.assign_root_cause(response, cause); "unknown" needs a note.';
        END IF;
    WHEN 'outreach' THEN
        SELECT count(*), min(r.id) INTO n, first FROM nps.runs r WHERE r.parent_run_id = c.run_id AND r.status = 'active';
        IF n > 0 THEN
            RAISE EXCEPTION 'the outreach of cycle "%" is not finished: % detractor projects are open (first: run #%)', c.name, n, first
                USING ERRCODE = 'P0N03', HINT = 'Each CSM completes their projects'' tasks (nps.my_tasks); nps.loop_closure shows the progress.';
        END IF;
    WHEN 'close' THEN
        PERFORM nps._cycle_close_check(c);
    ELSE
        NULL;
    END CASE;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._cycle_step_done() IS
    'Trigger: what a cycle''s step needs to finish. Intake: the window ended (P0N11) and min_responses reached (P0N03), unless an nps_admin forces it; records the evidence. Segmentation: records the headline. Root cause: every detractor confirmed. Outreach: every project finished. Close: every plan item verified or dropped.';
CREATE TRIGGER steps_cycle BEFORE UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status = 'done' AND OLD.status <> 'done')
    EXECUTE FUNCTION nps._cycle_step_done();

CREATE FUNCTION nps._cycle_step_finished() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c nps.cycles;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = NEW.run_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NEW.key = 'segmentation' THEN
        PERFORM nps._freeze_snapshot(c, NEW.completed_by);
        PERFORM nps._fire_playbooks(c.id, 'segmentation',
                                    ARRAY(SELECT r.id FROM nps.responses r WHERE r.cycle_id = c.id ORDER BY r.id));
    ELSIF NEW.key = 'close' THEN
        PERFORM set_config('nps.freezing', c.id::text, true);
        INSERT INTO nps.cycle_reports (cycle_id, run_id, closed_by, headline, loop_closure, root_causes, plan)
        SELECT c.id, c.run_id, NEW.completed_by,
               (SELECT to_jsonb(h) FROM nps.cycle_headline h WHERE h.cycle_id = c.id),
               (SELECT to_jsonb(l) FROM nps.loop_closure l WHERE l.cycle_id = c.id),
               coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.rank, p.cause) FROM nps.root_cause_pareto p WHERE p.cycle_id = c.id), '[]'),
               coalesce((SELECT jsonb_object_agg(x.segment, jsonb_build_object('items', x.items, 'verified', x.verified, 'dropped', x.dropped))
                         FROM (SELECT p.segment, count(*) AS items, count(*) FILTER (WHERE p.status = 'verified') AS verified,
                                      count(*) FILTER (WHERE p.status = 'dropped') AS dropped
                               FROM nps.plan_items p WHERE p.cycle_id = c.id GROUP BY p.segment) x), '{}');
        PERFORM set_config('nps.freezing', '', true);
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._cycle_step_finished() IS
    'Trigger (as the extension owner, so that nobody else can write snapshots, reports or playbook runs): when a cycle''s segmentation completes, freezes its snapshot and fires the playbooks (one detractor project per detractor); when its close completes, writes the cycle report.';
CREATE TRIGGER steps_cycle_finished AFTER UPDATE OF status ON nps.steps
    FOR EACH ROW WHEN (NEW.status = 'done' AND OLD.status <> 'done' AND NEW.key IN ('segmentation', 'close'))
    EXECUTE FUNCTION nps._cycle_step_finished();

-- Asking for an approval of the plan or the close checks the plan's coverage or the open work first.
CREATE FUNCTION nps._cycle_approval_requested() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    step    nps.steps;
    c       nps.cycles;
    missing text;
    n       bigint;
BEGIN
    SELECT * INTO step FROM nps.steps s WHERE s.id = NEW.step_id;
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF NOT FOUND OR step.status <> 'active' THEN
        RETURN NEW;  -- not a cycle, or the workflow's own guard refuses it
    END IF;
    IF step.key = 'action_plan' THEN
        SELECT string_agg(x.segment::text, ', ' ORDER BY x.segment) INTO missing
        FROM (SELECT DISTINCT r.segment FROM nps.responses r WHERE r.cycle_id = c.id
              EXCEPT SELECT p.segment FROM nps.plan_items p WHERE p.cycle_id = c.id AND p.status <> 'dropped') x;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'the action plan of cycle "%" has no item for the %', c.name, missing
                USING ERRCODE = 'P0N03',
                      HINT = 'Plan for every segment that answered: promoters (advocacy, referrals), passives (nurture), detractors (a fix per root cause).';
        END IF;
        SELECT string_agg(DISTINCT rc.cause, ', ') INTO missing
        FROM nps.response_causes rc JOIN nps.responses r ON r.id = rc.response_id
        WHERE rc.cycle_id = c.id AND r.segment = 'detractor' AND rc.confirmed AND rc.cause <> 'unknown'
          AND NOT EXISTS (SELECT 1 FROM nps.plan_items p WHERE p.cycle_id = c.id AND p.cause = rc.cause AND p.status <> 'dropped');
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'the action plan of cycle "%" has no fix for root causes: %', c.name, missing
                USING ERRCODE = 'P0N03', HINT = 'Add a detractor item naming each cause: nps.add_plan_item(cycle, ''detractor'', title, owner, due_at, cause => ''…'').';
        END IF;
    ELSIF step.key = 'close' THEN
        n := nps._cycle_close_check(c);
        UPDATE nps.steps s SET evidence = s.evidence || jsonb_build_object(
                   'verified_items', n,
                   'report', coalesce(s.evidence ->> 'report',
                                      (SELECT format('NPS %s (%s responses); %s detractor projects, %s%% contacted within SLA; %s plan items verified',
                                                     h.nps, h.responses, l.projects, l.pct_contacted_within_sla, n)
                                       FROM nps.cycle_headline h JOIN nps.loop_closure l ON l.cycle_id = h.cycle_id
                                       WHERE h.cycle_id = c.id)))
        WHERE s.id = step.id;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._cycle_approval_requested() IS
    'Trigger: the plan of a cycle goes to approval only with an item for every segment that answered and a fix for every confirmed root cause (P0N03); the close only with nothing open, recording the verified items and a report line as evidence.';
CREATE TRIGGER approvals_cycle BEFORE INSERT ON nps.approvals
    FOR EACH ROW EXECUTE FUNCTION nps._cycle_approval_requested();

-------------------------------------------------------------------------------------------------
-- Audit and pg_dump
-------------------------------------------------------------------------------------------------
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
SELECT pg_catalog.pg_extension_config_dump('nps.cycle_snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('nps.cycle_snapshot_groups', '');
SELECT pg_catalog.pg_extension_config_dump('nps.playbooks', '');
SELECT pg_catalog.pg_extension_config_dump('nps.playbook_runs', '');
SELECT pg_catalog.pg_extension_config_dump('nps.root_causes', '');
SELECT pg_catalog.pg_extension_config_dump('nps.response_causes', '');
SELECT pg_catalog.pg_extension_config_dump('nps.plan_items', '');
SELECT pg_catalog.pg_extension_config_dump('nps.plan_items_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.conversations', '');
SELECT pg_catalog.pg_extension_config_dump('nps.conversations_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('nps.outbox_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('nps.cycle_reports', '');
