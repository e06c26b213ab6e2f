//! Engine glue: the SQL-callable faces of the core's template model, state machine, identity
//! decision and SLA calendar, and the scopes the engine's own code writes in. The guard triggers
//! in `sql/engine/` and `sql/cycle/` gather the facts about a change and hand them to
//! `nps._check(rule, facts)`; the decision and the refusal (SQLSTATE, message, hint) come from
//! `nps_core`.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use nps_core::cycle;
use nps_core::engine::calendar::{add_due, DayCount};
use nps_core::engine::{template, workflow};
use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys::Datum;
use pgrx::FromDatum;
use serde::de::DeserializeOwned;

use crate::error::{report, OrRaise};
use crate::fmgr::{arg, int4, jsonb_datum, jsonb_text, pg_v1, text};

pub(crate) mod identity;
mod reference;
mod scope;
#[cfg(any(test, feature = "pg_test"))]
mod tests;

fn facts<T: DeserializeOwned>(rule: &str, json: &str) -> T {
    serde_json::from_str(json).unwrap_or_else(|e| {
        // A number a person gave that no double holds (1e400): their input, not a bug.
        if e.to_string().starts_with("number out of range") {
            report(NpsError::new(
                ErrorKind::OutOfRange,
                format!(
                    "a number given for the {} is out of range (at most about 1.8e308)",
                    rule.replace('_', " ")
                ),
                "Give the value as an ordinary number.",
            ));
        }
        report(NpsError::new(
            ErrorKind::InvalidParameter,
            format!("facts for rule \"{rule}\" do not parse: {e}"),
            "nps._check is called by pg_nps' own triggers; this is a bug, please report it.",
        ))
    })
}

pg_v1! {
    /// `nps._check(rule text, facts jsonb) returns void`: decide one change, raising the refusal.
    fn nps_check, pg_finfo_nps_check, |fcinfo| {
        let rule = unsafe { text(fcinfo, 0) }.to_owned();
        let json = unsafe { jsonb_text(fcinfo, 1) };
        let decided = match rule.as_str() {
            "step" => workflow::step_transition(&facts(&rule, &json)),
            "task" => workflow::task_transition(&facts(&rule, &json)),
            "request" => workflow::request_approval(&facts(&rule, &json)),
            "decision" => workflow::decide(&facts(&rule, &json)),
            "approval" => workflow::approval_transition(&facts(&rule, &json)),
            "run" => workflow::run_transition(&facts(&rule, &json)),
            "run_start" => workflow::run_start(&facts(&rule, &json)),
            "immutable" => workflow::immutable(&facts(&rule, &json)),
            "cycle" => cycle::intake::cycle_change(&facts(&rule, &json)),
            "cycle_start" => cycle::intake::cycle_start(&facts(&rule, &json)),
            "intake_close" => cycle::intake::close_intake(&facts(&rule, &json)),
            "response" => cycle::responses::accept(&facts(&rule, &json)),
            "cause" => cycle::causes::assign(&facts(&rule, &json)),
            "plan_item" => cycle::plan::item_change(&facts(&rule, &json)),
            "outbox" => cycle::outreach::message_change(&facts(&rule, &json)),
            "conversation" => cycle::outreach::log_conversation(&facts(&rule, &json)),
            other => Err(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("no rule named \"{other}\""),
                "Rules are step, task, request, decision, approval, run, run_start, immutable, cycle, intake_close, response, cause, plan_item, outbox and conversation.",
            )),
        };
        decided.or_raise();
        Datum::from(0usize)
    }
}

pg_v1! {
    /// `nps._template_normalize(definition jsonb) returns jsonb`: validate a template and return
    /// its normalized form (defaults written out).
    fn nps_template_normalize, pg_finfo_nps_template_normalize, |fcinfo| {
        let json = unsafe { jsonb_text(fcinfo, 0) };
        let normalized = template::parse(&json).or_raise().to_json();
        unsafe { jsonb_datum(&normalized) }
    }
}

/// Microseconds between the Unix epoch and Postgres' (2000-01-01).
fn pg_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date").and_hms_opt(0, 0, 0).expect("valid time")
}

pg_v1! {
    /// `nps._add_due(start timestamp, days int, hours int, business boolean, holidays date[])
    /// returns timestamp`: the SLA due moment in local time.
    fn nps_add_due, pg_finfo_nps_add_due, |fcinfo| {
        let start_us = unsafe { arg(fcinfo, 0) }.value.value() as i64;
        let days = unsafe { int4(fcinfo, 1) };
        let hours = unsafe { int4(fcinfo, 2) };
        let business = unsafe { arg(fcinfo, 3) }.value.value() != 0;
        if days < 0 || hours < 0 {
            report(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("a due offset of {days} days and {hours} hours is negative"),
                "Due offsets count forward from the start.",
            ));
        }
        let a = unsafe { arg(fcinfo, 4) };
        let holidays: Vec<NaiveDate> = if a.isnull {
            Vec::new()
        } else {
            let arr = unsafe { pgrx::Array::<pgrx::datum::Date>::from_datum(a.value, false) }.expect("not null");
            arr.iter()
                .flatten()
                .filter(|d| d.is_finite())
                .map(|d| pg_epoch().date() + Duration::days(i64::from(d.to_pg_epoch_days())))
                .collect()
        };
        // Infinite timestamps stay as they are.
        if start_us == i64::MAX || start_us == i64::MIN {
            return Datum::from(start_us);
        }
        let Some(start) = pg_epoch().checked_add_signed(Duration::microseconds(start_us)) else {
            report(NpsError::new(
                ErrorKind::DatetimeOverflow,
                format!("a due date cannot be computed from a start {start_us} µs after 2000-01-01"),
                "Start SLAs from a moment before the year 262143.",
            ));
        };
        let count = if business { DayCount::Business } else { DayCount::Calendar };
        let due = add_due(start, days as u32, hours as u32, count, &holidays).or_raise();
        let us = (due - pg_epoch()).num_microseconds().unwrap_or(i64::MAX);
        Datum::from(us)
    }
}

pg_v1! {
    /// `nps._shipped_templates() returns jsonb`: the definitions in `templates/*.json`.
    fn nps_shipped_templates, pg_finfo_nps_shipped_templates, |_fcinfo| {
        unsafe { jsonb_datum(&template::shipped_json_array()) }
    }
}
