//! Analytics: scores and segment bands, the NPS summary (0–10 histogram) with its codecs, and the
//! statistics read from it.
//!
//! - [`bands`]: scores, segment bands (promoter / passive / detractor) and their validation.
//! - [`summary`]: the NPS summary (0–10 histogram, optional weights), merging, binary and text codecs.
//! - [`stats`]: score, variance, confidence intervals, margin of error, two-sample comparison.

pub mod bands;
pub mod stats;
pub mod summary;
