//! Accepting a survey response (a new one, or a re-submission that replaces it).

use serde::Deserialize;

use super::err;
use crate::error::{ErrorKind, Result};

/// Facts about a response being recorded or replaced.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseFacts {
    /// The respondent as messages show it.
    pub respondent: String,
    pub cycle: String,
    pub account: String,
    /// Who records it (`nps.current_actor()`).
    pub actor: String,
    /// A re-submission that would move the response to another account.
    pub other_account: bool,
    /// The actor may record responses of this account in this cycle: an nps_admin, a holder of
    /// nps_intake (a person or an intake application), or the account's CSM or their lead (up
    /// the line). A cycle's owner is none of these by owning it: owning a cycle opens no book.
    pub may_record: bool,
    /// `responded_at` is more than a day after now: an answer nobody has given yet.
    pub in_future: bool,
    /// `responded_at` falls in the cycle's window `[opens_at, closes_at)`.
    pub in_window: bool,
    /// How messages show the answer's time and the window.
    pub responded_at: String,
    pub window: String,
    /// The cycle's intake step is still open.
    pub intake_open: bool,
}

/// Decide whether a response may be recorded.
pub fn accept(f: &ResponseFacts) -> Result<()> {
    if f.other_account {
        return Err(err(
            ErrorKind::Immutable,
            format!("respondent \"{}\" answered cycle \"{}\" for another account", f.respondent, f.cycle),
            "A respondent answers for one account per cycle.",
        ));
    }
    if !f.may_record {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("{} may not record responses of account {} in cycle \"{}\"", f.actor, f.account, f.cycle),
            "Responses are recorded by intake (nps_intake), the account's CSM or their lead, or an nps_admin; a cycle's owner stages other accounts' answers for intake to load.",
        ));
    }
    if f.in_future {
        return Err(err(
            ErrorKind::OutsideWindow,
            format!("response of \"{}\" at {} is in the future", f.respondent, f.responded_at),
            "responded_at is when the respondent answered; a time more than a day ahead of the server's clock is refused.",
        ));
    }
    if !f.in_window {
        return Err(err(
            ErrorKind::OutsideWindow,
            format!(
                "response of \"{}\" at {} is outside the window of cycle \"{}\" ({})",
                f.respondent, f.responded_at, f.cycle, f.window
            ),
            "Responses count in the cycle whose window they fall in; record it in that cycle.",
        ));
    }
    if !f.intake_open {
        return Err(err(
            ErrorKind::OutsideWindow,
            format!("the intake of cycle \"{}\" is closed", f.cycle),
            "Responses are recorded while the cycle's intake step is open.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ResponseFacts {
        ResponseFacts {
            respondent: "ann@acme.example".into(),
            cycle: "2026-Q4".into(),
            account: "ACME".into(),
            actor: "csm_ben".into(),
            other_account: false,
            may_record: true,
            in_future: false,
            in_window: true,
            responded_at: "2026-10-03 10:00:00+00".into(),
            window: "2026-10-01 to 2026-10-15".into(),
            intake_open: true,
        }
    }

    #[test]
    fn a_response_in_the_window_of_an_open_intake_by_someone_who_may() {
        accept(&facts()).unwrap();
    }

    #[test]
    fn an_answer_from_the_future_is_refused_even_inside_a_future_window() {
        let f = ResponseFacts { in_future: true, ..facts() };
        let e = accept(&f).unwrap_err();
        assert_eq!(e.kind, ErrorKind::OutsideWindow);
        assert!(e.message.contains("in the future"));
    }

    #[test]
    fn another_csms_customer_is_not_yours_to_record() {
        let mut f = facts();
        f.may_record = false;
        let e = accept(&f).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InsufficientPrivilege);
        assert!(e.message.contains("ACME") && e.message.contains("csm_ben"), "{}", e.message);
    }

    #[test]
    fn window_intake_and_account_are_checked() {
        let mut f = facts();
        f.in_window = false;
        assert_eq!(accept(&f).unwrap_err().kind, ErrorKind::OutsideWindow);
        let mut f = facts();
        f.intake_open = false;
        let e = accept(&f).unwrap_err();
        assert_eq!(e.kind, ErrorKind::OutsideWindow);
        assert!(e.message.contains("closed"));
        let mut f = facts();
        f.other_account = true;
        assert_eq!(accept(&f).unwrap_err().kind, ErrorKind::Immutable);
    }
}
