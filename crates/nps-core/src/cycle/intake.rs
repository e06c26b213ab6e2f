//! The intake checkpoint: what may change of a cycle while it collects responses, and when its
//! intake may close.

use serde::Deserialize;

use super::{err, given};
use crate::error::{ErrorKind, Result};

/// Facts about a change of a cycle's row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CycleFacts {
    pub cycle: String,
    /// The cycle's intake step is still open.
    pub intake_open: bool,
    /// The person acting owns the cycle's run or is an nps_admin.
    pub may_manage: bool,
    pub is_admin: bool,
    /// The window's end moves later (`extends`) or earlier (`shortens`).
    pub extends: bool,
    pub shortens: bool,
    pub min_responses_changed: bool,
    /// How many invitations the change adds (negative: removes).
    pub invitations_added: i64,
}

/// Facts about a cycle being started.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CycleStartFacts {
    pub cycle: String,
    pub is_admin: bool,
    /// The bands the cycle starts with, and the organization's (`nps.settings`).
    pub promoter_min: i32,
    pub detractor_max: i32,
    pub org_promoter_min: i32,
    pub org_detractor_max: i32,
    /// The responses its intake needs, and the organization's minimum.
    pub min_responses: i32,
    pub org_min_responses: i32,
    /// The window `[opens_at, closes_at)`: both ends finite, and how long it is in days.
    pub finite: bool,
    pub window_days: f64,
}

/// The longest response window, in days: a cycle is one survey wave, never a standing bucket
/// whose responses would spread over years of trend.
pub const MAX_WINDOW_DAYS: f64 = 366.0;

/// Decide the start of a cycle: a finite window of at most a year; the organization's bands and
/// at least its minimum of responses, unless an nps_admin starts it otherwise (an owner who could
/// choose bands 1/0, a minimum of 1 or a one-second window would decide the cycle's NPS and when
/// its checkpoint passes, which only an nps_admin may change once it runs).
pub fn cycle_start(f: &CycleStartFacts) -> Result<()> {
    if !f.finite {
        return Err(err(
            ErrorKind::InvalidParameter,
            format!("the window of cycle \"{}\" must have a finite start and end", f.cycle),
            "Give opens_at and closes_at as dates, e.g. a two-week wave.",
        ));
    }
    if f.window_days > MAX_WINDOW_DAYS {
        return Err(err(
            ErrorKind::InvalidParameter,
            format!(
                "the window of cycle \"{}\" is {:.0} days long; at most {MAX_WINDOW_DAYS} days",
                f.cycle,
                f.window_days.ceil()
            ),
            "A cycle is one survey wave: start one cycle per wave.",
        ));
    }
    if f.min_responses < 1 {
        return Err(err(
            ErrorKind::InvalidParameter,
            format!(
                "cycle \"{}\" needs at least 1 response to close intake, not {}",
                f.cycle, f.min_responses
            ),
            "Pass min_responses of 1 or more (the organization's minimum is nps.settings.min_responses).",
        ));
    }
    if f.is_admin {
        return Ok(());
    }
    if (f.promoter_min, f.detractor_max) != (f.org_promoter_min, f.org_detractor_max) {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!(
                "only an nps_admin starts cycle \"{}\" with bands {}/{}; the organization's are {}/{}",
                f.cycle, f.promoter_min, f.detractor_max, f.org_promoter_min, f.org_detractor_max
            ),
            "Start it with the organization's bands (leave promoter_min and detractor_max out), or ask an nps_admin.",
        ));
    }
    if f.min_responses < f.org_min_responses {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!(
                "only an nps_admin starts cycle \"{}\" needing {} responses; the organization's minimum is {}",
                f.cycle, f.min_responses, f.org_min_responses
            ),
            "Leave min_responses out (or raise it), or ask an nps_admin.",
        ));
    }
    if f.window_days < 1.0 {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("only an nps_admin starts cycle \"{}\" with a window shorter than a day", f.cycle),
            "Give the respondents at least a day (the default window is nps.settings.window_days).",
        ));
    }
    Ok(())
}

/// Decide a change of a cycle: while intake is open, its owner extends the window and counts
/// invitations; only an nps_admin shortens the window or changes the minimum; invitations only
/// grow; after intake nothing of it changes.
pub fn cycle_change(f: &CycleFacts) -> Result<()> {
    let changes = f.extends || f.shortens || f.min_responses_changed || f.invitations_added != 0;
    if !changes {
        return Ok(());
    }
    if !f.intake_open {
        return Err(err(
            ErrorKind::Finished,
            format!(
                "the intake of cycle \"{}\" is closed: its window, minimum and invitations are final",
                f.cycle
            ),
            "Start a new cycle for a new survey wave.",
        ));
    }
    if f.invitations_added < 0 {
        return Err(err(
            ErrorKind::Immutable,
            format!(
                "the invitations of cycle \"{}\" only grow; the change removes {}",
                f.cycle, -f.invitations_added
            ),
            "Count each send-out with nps.add_invitations(cycle, sent).",
        ));
    }
    if (f.extends || f.invitations_added > 0) && !f.may_manage {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("only the owner of cycle \"{}\" or an nps_admin may extend its window or count its invitations", f.cycle),
            "Ask the cycle's owner.",
        ));
    }
    if (f.shortens || f.min_responses_changed) && !f.is_admin {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("only an nps_admin may shorten the window or change the minimum of cycle \"{}\"", f.cycle),
            "Wait for the window and the responses, or ask an nps_admin to force intake closed with a reason: nps.close_intake(cycle, force_reason => '…').",
        ));
    }
    Ok(())
}

/// Facts about closing a cycle's intake (its intake step becoming done).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeCloseFacts {
    pub cycle: String,
    /// The window has not ended yet.
    pub window_open: bool,
    /// How messages show the window's end.
    pub closes_at: String,
    pub responses: i64,
    pub min_responses: i64,
    /// The reason an nps_admin gave to close early (the step's "forced" evidence).
    #[serde(deserialize_with = "crate::error::required")]
    pub forced: Option<String>,
    /// The person closing holds nps_admin.
    pub is_admin: bool,
    /// Under REPEATABLE READ or SERIALIZABLE: responses committed while the close waited are not
    /// in its snapshot.
    pub stale: bool,
}

/// Decide whether intake may close: the window ended and the minimum is reached, unless an
/// nps_admin forces it with a reason; never on a snapshot that misses responses.
pub fn close_intake(f: &IntakeCloseFacts) -> Result<()> {
    if f.stale {
        return Err(err(
            ErrorKind::SerializationFailure,
            format!("responses of cycle \"{}\" were recorded while its intake was closing", f.cycle),
            "Retry the transaction: its snapshot missed them, and the evidence must count every response.",
        ));
    }
    if let Some(reason) = &f.forced {
        if !f.is_admin {
            return Err(err(
                ErrorKind::InsufficientPrivilege,
                format!("only an nps_admin may force the intake of cycle \"{}\" closed", f.cycle),
                "Ask an nps_admin, or wait for the window and the responses.",
            ));
        }
        if !given(&Some(reason.clone())) {
            return Err(err(
                ErrorKind::InvalidParameter,
                format!("forcing the intake of cycle \"{}\" closed needs a reason", f.cycle),
                "Say why the cycle cannot wait for its window or its responses.",
            ));
        }
        return Ok(());
    }
    if f.window_open {
        return Err(err(
            ErrorKind::OutsideWindow,
            format!("the response window of cycle \"{}\" is open until {}", f.cycle, f.closes_at),
            "Close intake when the window ends; an nps_admin can force it earlier with a reason: nps.close_intake(cycle, force_reason => '…').",
        ));
    }
    if f.responses < f.min_responses {
        return Err(err(
            ErrorKind::RequirementsUnmet,
            format!("cycle \"{}\" has {} responses; its intake needs at least {}", f.cycle, f.responses, f.min_responses),
            "Extend the window (its owner: UPDATE nps.cycles SET closes_at) and send reminders; an nps_admin can force it with a reason.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> CycleStartFacts {
        CycleStartFacts {
            cycle: "Q4".into(),
            is_admin: false,
            promoter_min: 9,
            detractor_max: 6,
            org_promoter_min: 9,
            org_detractor_max: 6,
            min_responses: 30,
            org_min_responses: 30,
            finite: true,
            window_days: 14.0,
        }
    }

    #[test]
    fn a_cycle_starts_with_the_organizations_rules_unless_an_admin_starts_it() {
        cycle_start(&start()).unwrap();
        let bands = CycleStartFacts { promoter_min: 1, detractor_max: 0, ..start() };
        let few = CycleStartFacts { min_responses: 1, ..start() };
        let blink = CycleStartFacts { window_days: 1.0 / 86400.0, ..start() };
        for f in [&bands, &few, &blink] {
            assert_eq!(cycle_start(f).unwrap_err().kind, ErrorKind::InsufficientPrivilege);
            cycle_start(&CycleStartFacts { is_admin: true, ..f.clone() }).unwrap();
        }
        // More responses than the minimum is stricter, and anyone's to choose.
        cycle_start(&CycleStartFacts { min_responses: 300, ..start() }).unwrap();
        // Nobody starts an endless, overlong or empty one.
        for f in [
            CycleStartFacts { finite: false, ..start() },
            CycleStartFacts { window_days: 400.0, ..start() },
            CycleStartFacts { min_responses: 0, ..start() },
        ] {
            let f = CycleStartFacts { is_admin: true, ..f };
            assert_eq!(cycle_start(&f).unwrap_err().kind, ErrorKind::InvalidParameter);
        }
    }

    fn change() -> CycleFacts {
        CycleFacts {
            cycle: "Q4".into(),
            intake_open: true,
            may_manage: true,
            is_admin: false,
            extends: false,
            shortens: false,
            min_responses_changed: false,
            invitations_added: 0,
        }
    }

    #[test]
    fn the_owner_extends_and_counts_only_an_admin_shortens_or_lowers() {
        let mut f = change();
        f.extends = true;
        f.invitations_added = 40;
        cycle_change(&f).unwrap();
        let mut f = change();
        f.shortens = true;
        assert_eq!(cycle_change(&f).unwrap_err().kind, ErrorKind::InsufficientPrivilege);
        f.is_admin = true;
        cycle_change(&f).unwrap();
        let mut f = change();
        f.min_responses_changed = true;
        assert_eq!(cycle_change(&f).unwrap_err().kind, ErrorKind::InsufficientPrivilege);
        // Someone who owns nothing of the cycle changes nothing of it.
        let mut f = change();
        f.may_manage = false;
        f.extends = true;
        assert_eq!(cycle_change(&f).unwrap_err().kind, ErrorKind::InsufficientPrivilege);
    }

    #[test]
    fn invitations_only_grow_and_nothing_moves_after_intake() {
        let mut f = change();
        f.invitations_added = -500;
        let e = cycle_change(&f).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Immutable);
        assert!(e.message.contains("500"), "{}", e.message);
        let mut f = change();
        f.intake_open = false;
        f.extends = true;
        f.is_admin = true;
        assert_eq!(cycle_change(&f).unwrap_err().kind, ErrorKind::Finished);
        cycle_change(&change()).unwrap();
    }

    fn close() -> IntakeCloseFacts {
        IntakeCloseFacts {
            cycle: "Q4".into(),
            window_open: false,
            closes_at: "2026-10-15 00:00:00+00".into(),
            responses: 40,
            min_responses: 30,
            forced: None,
            is_admin: false,
            stale: false,
        }
    }

    #[test]
    fn intake_closes_after_the_window_with_enough_responses() {
        close_intake(&close()).unwrap();
        let mut f = close();
        f.window_open = true;
        assert_eq!(close_intake(&f).unwrap_err().kind, ErrorKind::OutsideWindow);
        let mut f = close();
        f.responses = 1;
        let e = close_intake(&f).unwrap_err();
        assert_eq!(e.kind, ErrorKind::RequirementsUnmet);
        assert!(e.message.contains("1 responses") && e.message.contains("30"), "{}", e.message);
    }

    #[test]
    fn only_an_admin_forces_and_says_why() {
        let mut f = close();
        f.window_open = true;
        f.responses = 1;
        f.forced = Some("board meeting".into());
        assert_eq!(close_intake(&f).unwrap_err().kind, ErrorKind::InsufficientPrivilege);
        f.is_admin = true;
        close_intake(&f).unwrap();
        f.forced = Some("\u{200B} \n".into());
        assert_eq!(close_intake(&f).unwrap_err().kind, ErrorKind::InvalidParameter);
    }

    #[test]
    fn a_close_that_missed_responses_is_retried() {
        let mut f = close();
        f.stale = true;
        assert_eq!(close_intake(&f).unwrap_err().kind, ErrorKind::SerializationFailure);
    }
}
