-- pg_nps NPS cycle, root causes: the taxonomy, suggestions by full-text search, assignment.

-------------------------------------------------------------------------------------------------
-- Root causes
-------------------------------------------------------------------------------------------------
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
            USING ERRCODE = 'NP009', HINT = 'Assign another cause with nps.assign_root_cause.';
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
            USING ERRCODE = 'NP007', HINT = 'Causes are final once the root_cause step completes.';
    ELSIF step.status IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'the root-cause analysis of cycle "%" has not started', c.name
            USING ERRCODE = 'NP002', HINT = 'It starts when the segmentation checkpoint completes.';
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
    'Trigger: causes are set while the cycle''s root_cause step is active (NP002 before, NP007 after), name a category in force (42704), and "unknown" needs a note (22023).';
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
