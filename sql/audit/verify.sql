-- pg_nps audit trail, verification: walking the chains and exporting their heads.

CREATE OR REPLACE FUNCTION nps._audit_verify(chain text, heads jsonb) RETURNS jsonb
    LANGUAGE c VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_audit_verify';
COMMENT ON FUNCTION nps._audit_verify(text, jsonb) IS 'Internal: the chain walk behind nps.verify_audit, as a JSON array.';

CREATE OR REPLACE FUNCTION nps._audit_flush_heads() RETURNS void
    LANGUAGE c VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_audit_flush_heads';
COMMENT ON FUNCTION nps._audit_flush_heads() IS
    'Internal: record the heads of the chains the current transaction appended to (otherwise done at commit).';

CREATE OR REPLACE FUNCTION nps.audit_heads()
    RETURNS TABLE (chain text, run_id bigint, pos bigint, hash text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nps._audit_flush_heads();
    RETURN QUERY
    SELECT c.chain, c.run_id, c.pos, encode(c.hash, 'hex') FROM nps.audit_chains c WHERE c.pos > 0 ORDER BY c.chain;
END;
$$;
COMMENT ON FUNCTION nps.audit_heads() IS
    'The head (last position and its hash) of every audit chain. Store them outside the database (SELECT jsonb_agg(h) FROM nps.audit_heads() h) and pass them to nps.verify_audit later: a chain cut short or rewritten since no longer matches.';

CREATE OR REPLACE FUNCTION nps.verify_audit(run bigint DEFAULT NULL, heads jsonb DEFAULT NULL)
    RETURNS TABLE (chain text, run_id bigint, entries bigint, ok boolean, problem text,
                   broken_pos bigint, broken_entry bigint, detail text, head_pos bigint, head_hash text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF run IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nps.runs r WHERE r.id = run)
       AND NOT EXISTS (SELECT 1 FROM nps.audit_chains c WHERE c.chain = 'run:' || run) THEN
        RAISE EXCEPTION 'run % does not exist', run
            USING ERRCODE = 'undefined_object', HINT = 'Leave run NULL to verify every chain.';
    END IF;
    RETURN QUERY
    SELECT v.chain, v.run_id, v.entries, v.ok, v.problem, v.broken_pos, v.broken_entry, v.detail, v.head_pos, v.head_hash
    FROM jsonb_to_recordset(nps._audit_verify(CASE WHEN run IS NOT NULL THEN 'run:' || run END, heads))
         AS v(chain text, run_id bigint, entries bigint, ok boolean, problem text,
              broken_pos bigint, broken_entry bigint, detail text, head_pos bigint, head_hash text);
    -- A run's chain starts with its own creation: a run without one lost its whole history.
    RETURN QUERY
    SELECT 'run:' || r.id, r.id, 0::bigint, false, 'missing_chain', NULL::bigint, NULL::bigint,
           format('run #%s exists, but its chain has no entry and no head: its whole history was removed', r.id),
           0::bigint, NULL::text
    FROM nps.runs r
    WHERE (verify_audit.run IS NULL OR r.id = verify_audit.run)
      AND NOT EXISTS (SELECT 1 FROM nps.audit_log l WHERE l.chain = 'run:' || r.id)
      AND NOT EXISTS (SELECT 1 FROM nps.audit_chains c WHERE c.chain = 'run:' || r.id);
    -- Derived data the cycle module recomputes (nps._rollup_mismatches, sql/cycle/rollups.sql).
    IF run IS NULL THEN
        RETURN QUERY
        SELECT 'derived:nps.response_rollups'::text, NULL::bigint, m.groups, m.mismatches = 0,
               CASE WHEN m.mismatches > 0 THEN 'derived_mismatch' END, NULL::bigint, NULL::bigint, m.first,
               NULL::bigint, NULL::text
        FROM nps._rollup_mismatches() m;
    END IF;
END;
$$;
COMMENT ON FUNCTION nps.verify_audit(bigint, jsonb) IS
    'Walk the audit chains (one run''s, or all) and recompute every hash. One row per chain: entries checked, ok, and the first broken link: problem (altered, missing, broken_link, truncated, rewritten, unrecorded, missing_chain for a run whose whole chain is gone), its position and entry, and a detail. heads: the output of nps.audit_heads() stored earlier (as a JSON array), to detect a removed tail or a re-hashed rewrite. Verifying everything also recomputes the daily rollups from the responses (row derived:nps.response_rollups; derived_mismatch names the first difference).';
