-- pg_nps audit trail, verification: walking the chains and exporting their heads.

-------------------------------------------------------------------------------------------------
-- Verification and heads
-------------------------------------------------------------------------------------------------
CREATE FUNCTION nps._audit_verify(chain text, heads jsonb) RETURNS jsonb
    LANGUAGE c VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_audit_verify';
COMMENT ON FUNCTION nps._audit_verify(text, jsonb) IS 'Internal: the chain walk behind nps.verify_audit, as a JSON array.';

CREATE FUNCTION nps._audit_flush_heads() RETURNS void
    LANGUAGE c VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'nps_audit_flush_heads';
COMMENT ON FUNCTION nps._audit_flush_heads() IS
    'Internal: record the heads of the chains the current transaction appended to (otherwise done at commit).';

CREATE FUNCTION nps.audit_heads()
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

CREATE FUNCTION nps.verify_audit(run bigint DEFAULT NULL, heads jsonb DEFAULT NULL)
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
END;
$$;
COMMENT ON FUNCTION nps.verify_audit(bigint, jsonb) IS
    'Walk the audit chains (one run''s, or all) and recompute every hash. One row per chain: entries checked, ok, and the first broken link: problem (altered, missing, broken_link, truncated, rewritten, unrecorded), its position and entry, and a detail. heads: the output of nps.audit_heads() stored earlier (as a JSON array), to detect a removed tail or a re-hashed rewrite.';
