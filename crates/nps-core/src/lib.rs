//! Pure-Rust core of pg_nps. No Postgres here: every decision and formula the extension relies on
//! lives in this crate, is tested by plain `cargo test`, and is called by thin glue in the extension.
//!
//! - [`bands`]: scores, segment bands (promoter / passive / detractor) and their validation.
//! - [`summary`]: the NPS summary (0–10 histogram, optional weights), merging, binary and text codecs.
//! - [`stats`]: score, variance, confidence intervals, margin of error, two-sample comparison.
//! - [`template`]: workflow templates: the JSON model, its validation, required-field checks.
//! - [`workflow`]: the state machine of steps, tasks, approvals and runs, as pure decisions.
//! - [`calendar`]: SLA due dates in calendar or business days.
//! - [`canonical`]: canonical JSON, the byte form the audit trail hashes.
//! - [`audit`]: audit entries, their hash chains and chain verification.
//! - [`error`]: the error value every fallible function returns, with the class the glue maps to a
//!   SQLSTATE.

pub mod audit;
pub mod bands;
pub mod calendar;
pub mod canonical;
pub mod error;
pub mod stats;
pub mod summary;
pub mod template;
pub mod workflow;

pub use bands::{Bands, Segment, BINS, MAX_SCORE};
pub use error::{ErrorKind, NpsError};
pub use stats::{CiMethod, Comparison, Estimate};
pub use summary::Summary;
