//! NPS analytics for analysts and BI tools: segments, the `nps_score` and `nps_agg` aggregates,
//! the `nps_summary` type and its accessors. Declared in `sql/analytics.sql`.

mod accessors;
mod aggregate;
mod segment;
mod summary_type;

#[cfg(any(test, feature = "pg_test"))]
mod tests;
