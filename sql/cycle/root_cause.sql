-- pg_nps NPS cycle, root causes: the taxonomy, suggestions by full-text search, assignment (the
-- decision is nps_core::cycle::causes), and what the root-cause step needs to complete.

CREATE OR REPLACE FUNCTION nps._shipped_root_causes() RETURNS SETOF nps.root_causes
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

CREATE OR REPLACE VIEW nps.root_cause_taxonomy AS
SELECT r.key, r.name, r.description, r.keywords, r.position, r.active,
       EXISTS (SELECT 1 FROM nps._shipped_root_causes() s WHERE s.key = r.key) AS shipped, true AS customized
FROM nps.root_causes r
UNION ALL
SELECT s.key, s.name, s.description, s.keywords, s.position, s.active, true, false
FROM nps._shipped_root_causes() s
WHERE NOT EXISTS (SELECT 1 FROM nps.root_causes r WHERE r.key = s.key);
COMMENT ON VIEW nps.root_cause_taxonomy IS 'The root-cause categories in force: the shipped ones unless replaced, plus the organization''s own.';
COMMENT ON COLUMN nps.root_cause_taxonomy.key IS 'Category key.';
COMMENT ON COLUMN nps.root_cause_taxonomy.name IS 'Display name.';
COMMENT ON COLUMN nps.root_cause_taxonomy.description IS 'What the category covers.';
COMMENT ON COLUMN nps.root_cause_taxonomy.keywords IS 'Words and phrases that suggest it (full-text search).';
COMMENT ON COLUMN nps.root_cause_taxonomy.position IS 'Order in lists; breaks ties between suggestions.';
COMMENT ON COLUMN nps.root_cause_taxonomy.active IS 'Whether it can be assigned and suggested.';
COMMENT ON COLUMN nps.root_cause_taxonomy.shipped IS 'A category of the shipped taxonomy.';
COMMENT ON COLUMN nps.root_cause_taxonomy.customized IS 'Defined or replaced by a row of nps.root_causes.';

CREATE OR REPLACE FUNCTION nps._root_causes_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cfg regconfig := (nps.current_settings()).text_search_config;
    k   text;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.root_causes', 'nps._root_causes_guard()');
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.key IS NULL OR NEW.key !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'root cause key "%" is not a key', left(coalesce(NEW.key, 'NULL'), 80)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A key is a lower-case word: a letter, then letters, digits or _ (at most 63), e.g. data_loss.';
    END IF;
    IF NEW.key = 'unknown' AND NOT NEW.active THEN
        RAISE EXCEPTION 'root cause "unknown" stays active'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Every detractor needs a cause; "unknown" (with a note) is the last resort.';
    END IF;
    NEW.name := nps._text(format('the name of root cause "%s"', NEW.key), NEW.name, 'title');
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
COMMENT ON FUNCTION nps._root_causes_guard() IS 'Trigger: a root cause''s key is a lower-case word, "unknown" stays active, its name is one line, and every keyword matches something under the text search configuration (22023).';
CREATE OR REPLACE TRIGGER root_causes_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.root_causes
    FOR EACH ROW EXECUTE FUNCTION nps._root_causes_guard();

-- Who may assign the cause of a response: the cycle's owner, the account's CSM, an nps_admin.
CREATE OR REPLACE FUNCTION nps._may_assign_cause(response bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT nps._is_admin()
        OR EXISTS (SELECT 1 FROM nps.responses r
                   JOIN nps.cycles c ON c.id = r.cycle_id
                   JOIN nps.runs cr ON cr.id = c.run_id
                   JOIN nps.accounts a ON a.id = r.account_id
                   WHERE r.id = response AND nps._person_or_null() IN (cr.owner, a.csm));
END;
COMMENT ON FUNCTION nps._may_assign_cause(bigint) IS 'Internal: whether the person acting may assign the root cause of a response: the cycle''s owner, the account''s CSM, an nps_admin.';

CREATE OR REPLACE FUNCTION nps._response_causes_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c    nps.cycles;
    step nps.steps;
    rid  bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.response_id ELSE NEW.response_id END;
BEGIN
    PERFORM nps._fires_on(TG_RELID, 'nps.response_causes', 'nps._response_causes_guard()');
    SELECT x.* INTO c FROM nps.cycles x JOIN nps.responses r ON r.cycle_id = x.id WHERE r.id = rid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'response % does not exist', rid
            USING ERRCODE = 'undefined_object', HINT = 'nps.suggest_root_causes(cycle) lists the detractors and their ids.';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM nps._immutable(format('root cause of response #%s', OLD.response_id), to_jsonb(OLD), to_jsonb(NEW),
                               '{response_id,cycle_id,run_id}', 'A cause belongs to its response.');
    END IF;
    SELECT * INTO step FROM nps.steps s WHERE s.run_id = c.run_id AND s.key = 'root_cause';
    -- Gates are ordered: completing root-cause analysis waits for this assignment, or it sees it done.
    PERFORM nps._stage_write(step.id);
    SELECT * INTO step FROM nps.steps s WHERE s.id = step.id;
    PERFORM nps._check('cause', jsonb_build_object(
        'what', format('root cause of response #%s', rid),
        'cycle', c.name,
        'step', coalesce(step.status, 'pending'),
        'cause', CASE WHEN TG_OP = 'DELETE' THEN OLD.cause ELSE NEW.cause END,
        'cause_known', TG_OP = 'DELETE' OR EXISTS (SELECT 1 FROM nps.root_cause_taxonomy t WHERE t.key = NEW.cause AND t.active),
        'confirmed', TG_OP <> 'DELETE' AND NEW.confirmed,
        'note', CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.note END,
        'may_assign', nps._may_assign_cause(rid),
        'actor', nps.current_actor(),
        'deleting', TG_OP = 'DELETE'));
    NEW.cycle_id := c.id;
    NEW.run_id := c.run_id;
    IF NEW.note IS NOT NULL THEN
        NEW.note := nps._text(format('the note on the root cause of response #%s', rid), NEW.note, 'text');
    END IF;
    IF NEW.confirmed THEN
        NEW.assigned_by := nps.current_person();
        NEW.assigned_at := now();
    ELSE
        NEW.assigned_by := NULL;
        NEW.assigned_at := NULL;
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION nps._response_causes_guard() IS
    'Trigger: causes are set while the cycle''s root_cause step is active (NP002 before, NP007 after; ordered against its completion by the stage lock), by the cycle''s owner, the account''s CSM or an nps_admin (42501), name a category in force (42704); "unknown" needs a note (22023); causes are never deleted (NP009).';
CREATE OR REPLACE TRIGGER response_causes_guard BEFORE INSERT OR UPDATE OR DELETE ON nps.response_causes
    FOR EACH ROW EXECUTE FUNCTION nps._response_causes_guard();

CREATE OR REPLACE FUNCTION nps.suggest_root_causes(cycle text)
    RETURNS TABLE (response_id bigint, account text, score smallint, comment text, suggested text, matched text[],
                   cause text, confirmed boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c   nps.cycles := nps._cycle(cycle);
    cfg regconfig := (nps.current_settings()).text_search_config;
BEGIN
    -- The detractors whose cause the person acting may assign.
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
    WHERE r.cycle_id = c.id AND r.segment = 'detractor' AND nps._may_assign_cause(r.id)
    ORDER BY r.id
    ON CONFLICT ON CONSTRAINT response_causes_pkey DO UPDATE
       SET cause = EXCLUDED.cause, suggested = EXCLUDED.suggested, matched = EXCLUDED.matched
       WHERE NOT x.confirmed AND (x.suggested, x.matched) IS DISTINCT FROM (EXCLUDED.suggested, EXCLUDED.matched);
    RETURN QUERY
    SELECT r.id, a.external_id, r.score, r.comment, rc.suggested, rc.matched, rc.cause, rc.confirmed
    FROM nps.responses r
    JOIN nps.accounts a ON a.id = r.account_id
    JOIN nps.response_causes rc ON rc.response_id = r.id
    WHERE r.cycle_id = c.id AND r.segment = 'detractor' AND nps._may_assign_cause(r.id)
    ORDER BY r.id;
END;
$$;
COMMENT ON FUNCTION nps.suggest_root_causes(text) IS
    'Suggest a root cause for the detractors of a cycle whose cause you may assign (the cycle''s owner and nps_admin: all; a CSM: their accounts''): the active category whose keywords the comment matches most (full-text search, settings.text_search_config; ties by position), else unknown. Stores unconfirmed suggestions (confirmed causes are kept) and returns those detractors with their suggestion, the keywords that matched, and their cause. Allowed while the root_cause step is active.';

CREATE OR REPLACE FUNCTION nps.assign_root_cause(response bigint, cause text DEFAULT NULL, note text DEFAULT NULL)
    RETURNS nps.response_causes
    LANGUAGE plpgsql SECURITY DEFINER
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
    'Confirm the root cause of a response: the suggested one (cause NULL) or another category (override); "unknown" needs a note. By the cycle''s owner, the account''s CSM or an nps_admin. Recorded with who and when; every change stays in the cycle''s audit trail.';

-- Hook (step_completing, root_cause): every detractor has a confirmed cause.
CREATE OR REPLACE FUNCTION nps._root_cause_completing(step nps.steps) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c     nps.cycles;
    n     bigint;
    first bigint;
BEGIN
    SELECT * INTO c FROM nps.cycles x WHERE x.run_id = step.run_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT count(*), min(r.id) INTO n, first
    FROM nps.responses r
    LEFT JOIN nps.response_causes rc ON rc.response_id = r.id AND rc.confirmed
    WHERE r.cycle_id = c.id AND r.segment = 'detractor' AND rc.response_id IS NULL;
    IF n > 0 THEN
        RAISE EXCEPTION '% detractors of cycle "%" have no confirmed root cause (first: response #%)', n, c.name, first
            USING ERRCODE = 'NP003',
                  HINT = 'Confirm or override each suggestion with nps.assign_root_cause(response, cause); "unknown" needs a note.';
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION nps._root_cause_completing(nps.steps) IS
    'Hook (step_completing, root_cause): refuses (NP003) while a detractor of the cycle has no confirmed root cause (counted under the root-cause stage lock).';
