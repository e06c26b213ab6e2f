-- pg_nps analytics, functions: segments, the aggregates (nps_score, nps_agg, nps_rollup) over
-- hand-written V1 support functions, and the accessors of nps_summary. Each function states its
-- volatility, strictness and parallel safety; nothing is left to defaults. See docs/analytics.md.

-------------------------------------------------------------------------------------------------
-- Segments
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps_segment(score smallint, promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS nps_segment AS 'MODULE_PATHNAME', 'nps_segment_int2'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_segment(score integer, promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS nps_segment AS 'MODULE_PATHNAME', 'nps_segment_int4'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_segment(score bigint, promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS nps_segment AS 'MODULE_PATHNAME', 'nps_segment_int8'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_segment(smallint, integer, integer) IS
  'Segment of a 0-10 score: promoter at or above promoter_min (default 9), detractor at or below detractor_max (default 6), passive between. Score outside 0..10: SQLSTATE 22003; bad bands: 22023.';
COMMENT ON FUNCTION nps_segment(integer, integer, integer) IS
  'Segment of a 0-10 score: promoter at or above promoter_min (default 9), detractor at or below detractor_max (default 6), passive between. Score outside 0..10: SQLSTATE 22003; bad bands: 22023.';
COMMENT ON FUNCTION nps_segment(bigint, integer, integer) IS
  'Segment of a 0-10 score: promoter at or above promoter_min (default 9), detractor at or below detractor_max (default 6), passive between. Score outside 0..10: SQLSTATE 22003; bad bands: 22023.';

-------------------------------------------------------------------------------------------------
-- Aggregate support functions (not for direct use)
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps_trans(internal, smallint) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_trans_int2' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_trans(internal, integer) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_trans_int4' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_trans(internal, bigint) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_trans_int8' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_trans(internal, smallint, integer, integer) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_trans_int2' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_trans(internal, integer, integer, integer) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_trans_int4' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_trans(internal, bigint, integer, integer) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_trans_int8' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_weighted_trans(internal, smallint, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_weighted_trans_int2' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_weighted_trans(internal, integer, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_weighted_trans_int4' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_weighted_trans(internal, bigint, double precision) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_weighted_trans_int8' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_inv_trans(internal, smallint) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_inv_trans_int2' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_inv_trans(internal, integer) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_inv_trans_int4' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_inv_trans(internal, bigint) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_inv_trans_int8' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_rollup_trans(internal, nps_summary) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_rollup_trans' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_state_combine(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_state_combine' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_state_serialize(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'nps_state_serialize' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_state_deserialize(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'nps_state_deserialize' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_state_score(internal) RETURNS double precision
  AS 'MODULE_PATHNAME', 'nps_state_score' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nps_state_summary(internal) RETURNS nps_summary
  AS 'MODULE_PATHNAME', 'nps_state_summary' LANGUAGE c IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION nps_trans(internal, smallint) IS 'Transition function of nps_score(smallint) and nps_agg(smallint); not for direct use.';
COMMENT ON FUNCTION nps_trans(internal, integer) IS 'Transition function of nps_score(integer) and nps_agg(integer); not for direct use.';
COMMENT ON FUNCTION nps_trans(internal, bigint) IS 'Transition function of nps_score(bigint) and nps_agg(bigint); not for direct use.';
COMMENT ON FUNCTION nps_trans(internal, smallint, integer, integer) IS 'Transition function of nps_score(smallint, integer, integer); not for direct use.';
COMMENT ON FUNCTION nps_trans(internal, integer, integer, integer) IS 'Transition function of nps_score(integer, integer, integer); not for direct use.';
COMMENT ON FUNCTION nps_trans(internal, bigint, integer, integer) IS 'Transition function of nps_score(bigint, integer, integer); not for direct use.';
COMMENT ON FUNCTION nps_weighted_trans(internal, smallint, double precision) IS 'Transition function of nps_agg(smallint, double precision); not for direct use.';
COMMENT ON FUNCTION nps_weighted_trans(internal, integer, double precision) IS 'Transition function of nps_agg(integer, double precision); not for direct use.';
COMMENT ON FUNCTION nps_weighted_trans(internal, bigint, double precision) IS 'Transition function of nps_agg(bigint, double precision); not for direct use.';
COMMENT ON FUNCTION nps_inv_trans(internal, smallint) IS 'Inverse transition (moving windows) of nps_score(smallint) and nps_agg(smallint); not for direct use.';
COMMENT ON FUNCTION nps_inv_trans(internal, integer) IS 'Inverse transition (moving windows) of nps_score(integer) and nps_agg(integer); not for direct use.';
COMMENT ON FUNCTION nps_inv_trans(internal, bigint) IS 'Inverse transition (moving windows) of nps_score(bigint) and nps_agg(bigint); not for direct use.';
COMMENT ON FUNCTION nps_rollup_trans(internal, nps_summary) IS 'Transition function of nps_rollup(nps_summary); not for direct use.';
COMMENT ON FUNCTION nps_state_combine(internal, internal) IS 'Combine function of the pg_nps aggregates (parallel query); not for direct use.';
COMMENT ON FUNCTION nps_state_serialize(internal) IS 'Serialize function of the pg_nps aggregates (version byte first); not for direct use.';
COMMENT ON FUNCTION nps_state_deserialize(bytea, internal) IS 'Deserialize function of the pg_nps aggregates; not for direct use.';
COMMENT ON FUNCTION nps_state_score(internal) IS 'Final function of nps_score(); not for direct use.';
COMMENT ON FUNCTION nps_state_summary(internal) IS 'Final function of nps_agg() and nps_rollup(); not for direct use.';

-------------------------------------------------------------------------------------------------
-- Aggregates
-------------------------------------------------------------------------------------------------
-- smallint scores
CREATE OR REPLACE AGGREGATE nps_score(score smallint) (
  SFUNC = nps_trans, STYPE = internal, FINALFUNC = nps_state_score,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize,
  MSFUNC = nps_trans, MINVFUNC = nps_inv_trans, MSTYPE = internal,
  MFINALFUNC = nps_state_score,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_score(smallint) IS
  'Net Promoter Score of 0-10 scores with the standard bands (promoters 9-10, detractors 0-6): 100 * (promoters - detractors) / responses, in -100..100. NULL scores are ignored; no responses gives NULL. Score outside 0..10: SQLSTATE 22003. Parallel safe; supports moving windows.';
CREATE OR REPLACE AGGREGATE nps_score(score smallint, promoter_min integer, detractor_max integer) (
  SFUNC = nps_trans, STYPE = internal, FINALFUNC = nps_state_score,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_score(smallint, integer, integer) IS
  'Net Promoter Score with custom bands: promoters score at least promoter_min, detractors at most detractor_max (the same for every row). Bad bands: SQLSTATE 22023.';
CREATE OR REPLACE AGGREGATE nps_agg(score smallint) (
  SFUNC = nps_trans, STYPE = internal, FINALFUNC = nps_state_summary,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize,
  MSFUNC = nps_trans, MINVFUNC = nps_inv_trans, MSTYPE = internal,
  MFINALFUNC = nps_state_summary,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_agg(smallint) IS
  'nps_summary (0-10 histogram) of the scores, for two-step aggregation: store it, merge with nps_rollup(), read with nps_score(), nps_ci()... NULL scores are ignored; no responses gives NULL.';
CREATE OR REPLACE AGGREGATE nps_agg(score smallint, weight double precision) (
  SFUNC = nps_weighted_trans, STYPE = internal, FINALFUNC = nps_state_summary,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_agg(smallint, double precision) IS
  'Weighted nps_summary (e.g. weight = ARR): the score uses weighted shares, intervals use Kish''s effective sample size. Rows with a NULL score or weight are ignored. Negative, NaN or infinite weight: SQLSTATE 22023.';

-- integer scores
CREATE OR REPLACE AGGREGATE nps_score(score integer) (
  SFUNC = nps_trans, STYPE = internal, FINALFUNC = nps_state_score,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize,
  MSFUNC = nps_trans, MINVFUNC = nps_inv_trans, MSTYPE = internal,
  MFINALFUNC = nps_state_score,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_score(integer) IS
  'Net Promoter Score of 0-10 scores with the standard bands (promoters 9-10, detractors 0-6): 100 * (promoters - detractors) / responses, in -100..100. NULL scores are ignored; no responses gives NULL. Score outside 0..10: SQLSTATE 22003. Parallel safe; supports moving windows.';
CREATE OR REPLACE AGGREGATE nps_score(score integer, promoter_min integer, detractor_max integer) (
  SFUNC = nps_trans, STYPE = internal, FINALFUNC = nps_state_score,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_score(integer, integer, integer) IS
  'Net Promoter Score with custom bands: promoters score at least promoter_min, detractors at most detractor_max (the same for every row). Bad bands: SQLSTATE 22023.';
CREATE OR REPLACE AGGREGATE nps_agg(score integer) (
  SFUNC = nps_trans, STYPE = internal, FINALFUNC = nps_state_summary,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize,
  MSFUNC = nps_trans, MINVFUNC = nps_inv_trans, MSTYPE = internal,
  MFINALFUNC = nps_state_summary,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_agg(integer) IS
  'nps_summary (0-10 histogram) of the scores, for two-step aggregation: store it, merge with nps_rollup(), read with nps_score(), nps_ci()... NULL scores are ignored; no responses gives NULL.';
CREATE OR REPLACE AGGREGATE nps_agg(score integer, weight double precision) (
  SFUNC = nps_weighted_trans, STYPE = internal, FINALFUNC = nps_state_summary,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_agg(integer, double precision) IS
  'Weighted nps_summary (e.g. weight = ARR): the score uses weighted shares, intervals use Kish''s effective sample size. Rows with a NULL score or weight are ignored. Negative, NaN or infinite weight: SQLSTATE 22023.';

-- bigint scores
CREATE OR REPLACE AGGREGATE nps_score(score bigint) (
  SFUNC = nps_trans, STYPE = internal, FINALFUNC = nps_state_score,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize,
  MSFUNC = nps_trans, MINVFUNC = nps_inv_trans, MSTYPE = internal,
  MFINALFUNC = nps_state_score,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_score(bigint) IS
  'Net Promoter Score of 0-10 scores with the standard bands (promoters 9-10, detractors 0-6): 100 * (promoters - detractors) / responses, in -100..100. NULL scores are ignored; no responses gives NULL. Score outside 0..10: SQLSTATE 22003. Parallel safe; supports moving windows.';
CREATE OR REPLACE AGGREGATE nps_score(score bigint, promoter_min integer, detractor_max integer) (
  SFUNC = nps_trans, STYPE = internal, FINALFUNC = nps_state_score,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_score(bigint, integer, integer) IS
  'Net Promoter Score with custom bands: promoters score at least promoter_min, detractors at most detractor_max (the same for every row). Bad bands: SQLSTATE 22023.';
CREATE OR REPLACE AGGREGATE nps_agg(score bigint) (
  SFUNC = nps_trans, STYPE = internal, FINALFUNC = nps_state_summary,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize,
  MSFUNC = nps_trans, MINVFUNC = nps_inv_trans, MSTYPE = internal,
  MFINALFUNC = nps_state_summary,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_agg(bigint) IS
  'nps_summary (0-10 histogram) of the scores, for two-step aggregation: store it, merge with nps_rollup(), read with nps_score(), nps_ci()... NULL scores are ignored; no responses gives NULL.';
CREATE OR REPLACE AGGREGATE nps_agg(score bigint, weight double precision) (
  SFUNC = nps_weighted_trans, STYPE = internal, FINALFUNC = nps_state_summary,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_agg(bigint, double precision) IS
  'Weighted nps_summary (e.g. weight = ARR): the score uses weighted shares, intervals use Kish''s effective sample size. Rows with a NULL score or weight are ignored. Negative, NaN or infinite weight: SQLSTATE 22023.';

CREATE OR REPLACE AGGREGATE nps_rollup(nps_summary) (
  SFUNC = nps_rollup_trans, STYPE = internal, FINALFUNC = nps_state_summary,
  COMBINEFUNC = nps_state_combine, SERIALFUNC = nps_state_serialize,
  DESERIALFUNC = nps_state_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE nps_rollup(nps_summary) IS
  'Merge stored nps_summary values exactly: rolling up daily summaries gives the same counts as nps_agg() over all the rows. NULLs are ignored.';

-------------------------------------------------------------------------------------------------
-- Accessors
-------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION nps_score(s nps_summary, promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS double precision AS 'MODULE_PATHNAME', 'nps_summary_score'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_score(nps_summary, integer, integer) IS
  'NPS of a summary (weighted shares when weighted), -100..100, under the given bands (default 9/6); NULL when the summary has no weight.';

CREATE OR REPLACE FUNCTION nps_responses(s nps_summary) RETURNS bigint
  AS 'MODULE_PATHNAME', 'nps_summary_responses' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_responses(nps_summary) IS
  'Number of responses (rows) in the summary, weighted or not. See nps_total_weight() and nps_effective_n() for weighted summaries.';

CREATE OR REPLACE FUNCTION nps_total_weight(s nps_summary) RETURNS double precision
  AS 'MODULE_PATHNAME', 'nps_summary_total_weight' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_total_weight(nps_summary) IS
  'Sum of the weights in the summary; equals nps_responses() for an unweighted summary.';

CREATE OR REPLACE FUNCTION nps_effective_n(s nps_summary) RETURNS double precision
  AS 'MODULE_PATHNAME', 'nps_summary_effective_n' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_effective_n(nps_summary) IS
  'Kish''s effective sample size (sum w)^2 / sum w^2, the n used by intervals and tests; equals nps_responses() when unweighted, NULL without weight.';

CREATE OR REPLACE FUNCTION nps_promoters(s nps_summary, promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS bigint AS 'MODULE_PATHNAME', 'nps_summary_promoters'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_promoters(nps_summary, integer, integer) IS
  'Number of promoter responses (score >= promoter_min, default 9).';
CREATE OR REPLACE FUNCTION nps_passives(s nps_summary, promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS bigint AS 'MODULE_PATHNAME', 'nps_summary_passives'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_passives(nps_summary, integer, integer) IS
  'Number of passive responses (between detractor_max and promoter_min, default 7-8).';
CREATE OR REPLACE FUNCTION nps_detractors(s nps_summary, promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS bigint AS 'MODULE_PATHNAME', 'nps_summary_detractors'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_detractors(nps_summary, integer, integer) IS
  'Number of detractor responses (score <= detractor_max, default 6).';

CREATE OR REPLACE FUNCTION nps_histogram(s nps_summary) RETURNS bigint[]
  AS 'MODULE_PATHNAME', 'nps_summary_histogram' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_histogram(nps_summary) IS
  'Responses per score as bigint[11]; element 1 is score 0, element 11 is score 10.';

CREATE OR REPLACE FUNCTION nps_weights(s nps_summary) RETURNS double precision[]
  AS 'MODULE_PATHNAME', 'nps_summary_weights' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_weights(nps_summary) IS
  'Weight per score as double precision[11] (element 1 is score 0); the counts when unweighted.';

CREATE OR REPLACE FUNCTION nps_mean(s nps_summary) RETURNS double precision
  AS 'MODULE_PATHNAME', 'nps_summary_mean' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_mean(nps_summary) IS 'Mean score 0..10 (weighted when weighted); NULL without weight.';

CREATE OR REPLACE FUNCTION nps_std_error(s nps_summary, promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS double precision AS 'MODULE_PATHNAME', 'nps_summary_std_error'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_std_error(nps_summary, integer, integer) IS
  'Standard error of the score in NPS points: 100 * sqrt((p + d - (p - d)^2) / n), n = effective sample size.';

CREATE OR REPLACE FUNCTION nps_moe(s nps_summary, level double precision DEFAULT 0.95,
                        promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS double precision AS 'MODULE_PATHNAME', 'nps_summary_moe'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_moe(nps_summary, double precision, integer, integer) IS
  'Margin of error (Wald half-width) of the score at the confidence level (default 0.95), in NPS points. Level outside (0, 1): SQLSTATE 22023.';

CREATE OR REPLACE FUNCTION nps_ci(s nps_summary, level double precision DEFAULT 0.95,
                       method text DEFAULT 'adjusted_wald',
                       promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS nps_interval AS 'MODULE_PATHNAME', 'nps_summary_ci'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_ci(nps_summary, double precision, text, integer, integer) IS
  'Confidence interval (low, high) of the score, clipped to -100..100. method: ''adjusted_wald'' (default; adds 3 to n and 0.75 to promoters and detractors, centred on the adjusted estimate) or ''wald''. Bad level or method: SQLSTATE 22023.';

CREATE OR REPLACE FUNCTION nps_compare(a nps_summary, b nps_summary,
                            promoter_min integer DEFAULT 9, detractor_max integer DEFAULT 6)
  RETURNS nps_comparison AS 'MODULE_PATHNAME', 'nps_summary_compare'
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_compare(nps_summary, nps_summary, integer, integer) IS
  'Two-sided z-test for independent samples: difference = score(a) - score(b) in points, z, p_value. z and p_value are NULL when both samples have zero variance; all NULL when either has no weight.';
