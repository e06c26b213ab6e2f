//! Root causes: assigning (confirming or overriding) a detractor's cause while the root-cause
//! step is open.

use serde::Deserialize;

use super::{err, given};
use crate::engine::workflow::StepStatus;
use crate::error::{ErrorKind, Result};

/// Facts about a change of a response's root cause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseFacts {
    /// How messages name it, e.g. `root cause of response #12`.
    pub what: String,
    pub cycle: String,
    /// The status of the cycle's root_cause step.
    pub step: StepStatus,
    pub cause: String,
    /// The cause is an active category of the taxonomy.
    pub cause_known: bool,
    pub confirmed: bool,
    #[serde(deserialize_with = "crate::error::required")]
    pub note: Option<String>,
    /// The person acting may assign causes of this response: the cycle's owner, the account's
    /// CSM or an nps_admin. Suggestions (unconfirmed) come from the same people.
    pub may_assign: bool,
    /// Who is acting, for messages.
    pub actor: String,
    pub deleting: bool,
}

/// Decide a change of a root cause.
pub fn assign(f: &CauseFacts) -> Result<()> {
    if f.deleting {
        return Err(err(
            ErrorKind::Immutable,
            format!("the {} cannot be deleted", f.what),
            "Assign another cause with nps.assign_root_cause.",
        ));
    }
    match f.step {
        StepStatus::Done | StepStatus::Skipped => {
            return Err(err(
                ErrorKind::Finished,
                format!("the root-cause analysis of cycle \"{}\" is done", f.cycle),
                "Causes are final once the root_cause step completes.",
            ))
        }
        StepStatus::Active => {}
        _ => {
            return Err(err(
                ErrorKind::OutOfOrder,
                format!("the root-cause analysis of cycle \"{}\" has not started", f.cycle),
                "It starts when the segmentation checkpoint completes.",
            ))
        }
    }
    if !f.may_assign {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("{} may not assign the {}", f.actor, f.what),
            "The cycle's owner, the account's CSM or an nps_admin assigns root causes.",
        ));
    }
    if !f.cause_known {
        return Err(err(
            ErrorKind::UndefinedObject,
            format!("root cause \"{}\" is not in the taxonomy", f.cause),
            "SELECT key, name FROM nps.root_cause_taxonomy WHERE active lists them.",
        ));
    }
    if f.confirmed && f.cause == "unknown" && !given(&f.note) {
        return Err(err(
            ErrorKind::InvalidParameter,
            format!("the {} is \"unknown\" without a note", f.what),
            "Say what was tried: nps.assign_root_cause(response, 'unknown', note => '…').",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> CauseFacts {
        CauseFacts {
            what: "root cause of response #12".into(),
            cycle: "Q4".into(),
            step: StepStatus::Active,
            cause: "pricing".into(),
            cause_known: true,
            confirmed: true,
            note: None,
            may_assign: true,
            actor: "csm_ben".into(),
            deleting: false,
        }
    }

    #[test]
    fn causes_are_assigned_in_their_step_by_who_may() {
        assign(&facts()).unwrap();
        let mut f = facts();
        f.step = StepStatus::Pending;
        assert_eq!(assign(&f).unwrap_err().kind, ErrorKind::OutOfOrder);
        f.step = StepStatus::Done;
        assert_eq!(assign(&f).unwrap_err().kind, ErrorKind::Finished);
        let mut f = facts();
        f.may_assign = false;
        assert_eq!(assign(&f).unwrap_err().kind, ErrorKind::InsufficientPrivilege);
        let mut f = facts();
        f.cause_known = false;
        f.cause = "astrology".into();
        assert!(assign(&f).unwrap_err().message.contains("astrology"));
        let mut f = facts();
        f.cause = "unknown".into();
        f.note = Some("   ".into());
        assert_eq!(assign(&f).unwrap_err().kind, ErrorKind::InvalidParameter);
        f.note = Some("could not reach them".into());
        assign(&f).unwrap();
        let mut f = facts();
        f.deleting = true;
        assert_eq!(assign(&f).unwrap_err().kind, ErrorKind::Immutable);
    }
}
