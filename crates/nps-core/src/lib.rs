//! Pure-Rust core of pg_nps. No Postgres here: every decision and formula the extension relies on
//! lives in this crate, is tested by plain `cargo test`, and is called by thin glue in the
//! extension. The modules follow the extension's (`sql/<module>/`, `src/<module>/`):
//!
//! - [`analytics`]: scores and bands, the NPS summary and its codecs, the statistics.
//! - [`engine`]: templates, the workflow state machine, who is acting, SLA calendar maths.
//! - [`audit`]: canonical JSON and the audit trail's hash chains.
//! - [`cycle`]: the NPS cycle's rules: responses, intake, the action plan, the outbox.
//! - [`text`]: identities normalized once, blank text, the length limits.
//! - [`error`]: the error value every fallible function returns, with the class the glue maps to a
//!   SQLSTATE.

pub mod analytics;
pub mod audit;
pub mod cycle;
pub mod engine;
pub mod error;
pub mod text;

pub use analytics::bands::{Bands, Segment, BINS, MAX_SCORE};
pub use analytics::stats::{CiMethod, Comparison, Estimate};
pub use analytics::summary::Summary;
pub use error::{ErrorKind, NpsError};
