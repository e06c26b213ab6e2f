//! The audit trail: canonical JSON (the byte form hashed) and the hash chains of entries with
//! their verification.
//!
//! - [`canonical`]: canonical JSON.
//! - [`chain`]: audit entries, their hash chains and chain verification.

pub mod canonical;
pub mod chain;
