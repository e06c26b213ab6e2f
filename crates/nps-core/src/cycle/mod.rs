//! The NPS cycle's own rules, as pure decisions the cycle's guards call through `nps._check`:
//! the cycle's window and counts, accepting a response, closing intake, root causes, the action
//! plan's items and their verification, conversations and the outbox. Each takes the facts its
//! guard gathered (complete, or the parse fails: no default stands in for a fact) and returns
//! the refusal with its SQLSTATE, a message naming the object and the value, and a hint.

pub mod causes;
pub mod intake;
pub mod outreach;
pub mod plan;
pub mod responses;

use crate::error::{ErrorKind, NpsError};
use crate::text::is_blank;

fn err(kind: ErrorKind, message: String, hint: &str) -> NpsError {
    NpsError::new(kind, message, hint)
}

/// A reason, note or piece of evidence is more than white space and invisible characters.
fn given(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !is_blank(s))
}
