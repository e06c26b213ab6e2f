-- pg_nps analytics, types: the nps_segment enum and the nps_summary type (a 0-10 histogram
-- with its text and binary forms). Every object lives in the extension's schema, prefixed nps_.

-------------------------------------------------------------------------------------------------
-- Segments
-------------------------------------------------------------------------------------------------
CREATE TYPE nps_segment AS ENUM ('detractor', 'passive', 'promoter');
COMMENT ON TYPE nps_segment IS
  'NPS segment of a response. Ordered as the scale is: detractor < passive < promoter.';

-------------------------------------------------------------------------------------------------
-- nps_summary: the 0-10 histogram of a set of responses (two-step aggregation)
-------------------------------------------------------------------------------------------------
CREATE TYPE nps_summary;

CREATE FUNCTION nps_summary_in(cstring) RETURNS nps_summary
  AS 'MODULE_PATHNAME', 'nps_summary_in' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nps_summary_out(nps_summary) RETURNS cstring
  AS 'MODULE_PATHNAME', 'nps_summary_out' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nps_summary_recv(internal) RETURNS nps_summary
  AS 'MODULE_PATHNAME', 'nps_summary_recv' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nps_summary_send(nps_summary) RETURNS bytea
  AS 'MODULE_PATHNAME', 'nps_summary_send' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE nps_summary (
  INPUT = nps_summary_in,
  OUTPUT = nps_summary_out,
  RECEIVE = nps_summary_recv,
  SEND = nps_summary_send,
  INTERNALLENGTH = VARIABLE,
  ALIGNMENT = int4,
  STORAGE = main
);
COMMENT ON TYPE nps_summary IS
  'Summary of NPS responses: counts per score 0..10 (and weight sums when built by nps_agg(score, weight)). Build with nps_agg(), merge with nps_rollup(), read with nps_score(), nps_ci(), nps_histogram()... Text form is JSON: {"counts":[c0,...,c10]}.';
COMMENT ON FUNCTION nps_summary_in(cstring) IS 'Text input of nps_summary: JSON {"counts":[11 integers]} with optional "weights":[11 numbers] and "sum_w2". Bad input: SQLSTATE 22P02.';
COMMENT ON FUNCTION nps_summary_out(nps_summary) IS 'Text output of nps_summary: compact JSON that nps_summary_in reads back exactly.';
COMMENT ON FUNCTION nps_summary_recv(internal) IS 'Binary input of nps_summary (format version byte first). Bad input: SQLSTATE 22P03.';
COMMENT ON FUNCTION nps_summary_send(nps_summary) IS 'Binary output of nps_summary: version byte, flags, counts (u64 LE), optional weights (f64 LE).';

CREATE CAST (nps_summary AS jsonb) WITH INOUT;
COMMENT ON CAST (nps_summary AS jsonb) IS 'The summary''s JSON text form as jsonb, for tools that read JSON.';

-------------------------------------------------------------------------------------------------
-- Named results, so drivers can map them (psycopg's register_composite, pgjdbc's getObject)
-------------------------------------------------------------------------------------------------
CREATE TYPE nps_interval AS (low double precision, high double precision);
COMMENT ON TYPE nps_interval IS 'A confidence interval of a score in NPS points (nps_ci): low and high, clipped to -100..100.';
COMMENT ON COLUMN nps_interval.low IS 'Lower bound, NPS points.';
COMMENT ON COLUMN nps_interval.high IS 'Upper bound, NPS points.';

CREATE TYPE nps_comparison AS (difference double precision, z double precision, p_value double precision);
COMMENT ON TYPE nps_comparison IS 'The two-sided z-test of two scores (nps_compare).';
COMMENT ON COLUMN nps_comparison.difference IS 'score(a) - score(b), NPS points.';
COMMENT ON COLUMN nps_comparison.z IS 'The z statistic; NULL when both samples have zero variance.';
COMMENT ON COLUMN nps_comparison.p_value IS 'Two-sided p-value; NULL when both samples have zero variance.';
