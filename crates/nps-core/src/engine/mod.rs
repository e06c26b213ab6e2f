//! The workflow engine: templates, the state machine of runs, steps, tasks and approvals, who may
//! act, and SLA due dates.
//!
//! - [`template`]: workflow templates: the JSON model, its validation, required-field checks.
//! - [`workflow`]: the state machine of steps, tasks, approvals and runs, as pure decisions.
//! - [`identity`]: who is acting: persons, applications and capability roles.
//! - [`calendar`]: SLA due dates in calendar or business days.

pub mod calendar;
pub mod identity;
pub mod template;
pub mod workflow;
