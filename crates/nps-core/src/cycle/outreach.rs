//! Outreach: the outbox's state machine and who logs conversations.
//!
//! ```text
//! message: queued ─► sending (claimed, leased) ─► sent
//!                        │  ▲  └─► queued (failed, retried later) ─► …
//!                        │  └── sending (claimed again after the lease ran out)
//!                        └─► failed (after 5 attempts)
//! ```

use serde::Deserialize;

use super::{err, given};
use crate::error::{ErrorKind, Result};

/// `nps.outbox.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    Sending,
    Sent,
    Failed,
}

/// Facts about a change of an outbox message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxFacts {
    /// How messages name it, e.g. `outbox message #4`.
    pub message: String,
    pub inserting: bool,
    pub deleting: bool,
    /// The extension's own code is writing it: a playbook queueing it, a sender's claim or report.
    pub system: bool,
    #[serde(deserialize_with = "crate::error::required")]
    pub from: Option<MessageStatus>,
    pub to: MessageStatus,
    /// The recipient, subject, body, run or creation of the message change.
    pub content_changed: bool,
}

/// Decide a change of an outbox message: playbooks queue messages, senders move them along
/// their lease (through nps.claim_outbox, nps.mark_sent and nps.mark_failed), and what is
/// queued never changes: no one redirects a customer's e-mail or marks it sent by hand.
pub fn message_change(f: &OutboxFacts) -> Result<()> {
    use MessageStatus::*;
    if f.deleting {
        return Err(err(
            ErrorKind::Immutable,
            format!("{} cannot be deleted", f.message),
            "The outbox keeps every message; a sender reports it failed (nps.mark_failed).",
        ));
    }
    if !f.system {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("{} is written only by playbooks and by senders through the outbox functions", f.message),
            "Senders (nps_mailer) use nps.claim_outbox, nps.mark_sent and nps.mark_failed.",
        ));
    }
    if f.inserting {
        return if f.to == Queued {
            Ok(())
        } else {
            Err(err(
                ErrorKind::OutOfOrder,
                format!("{} must be queued first", f.message),
                "Messages start queued.",
            ))
        };
    }
    if f.content_changed {
        return Err(err(
            ErrorKind::Immutable,
            format!("{} cannot change its recipient, subject or body", f.message),
            "Queue a new message instead.",
        ));
    }
    match (f.from, f.to) {
        (Some(Queued), Sending)
        | (Some(Sending), Sending)
        | (Some(Sending), Sent)
        | (Some(Sending), Queued)
        | (Some(Sending), Failed) => Ok(()),
        (Some(from), to) if from == to => Ok(()),
        (from, to) => Err(err(
            ErrorKind::OutOfOrder,
            format!("{} cannot go from {} to {}", f.message, from.map_or("nothing", label), label(to)),
            "Messages go queued → sending → sent (or back to queued, or failed after 5 attempts).",
        )),
    }
}

fn label(s: MessageStatus) -> &'static str {
    match s {
        MessageStatus::Queued => "queued",
        MessageStatus::Sending => "sending",
        MessageStatus::Sent => "sent",
        MessageStatus::Failed => "failed",
    }
}

/// Facts about a conversation being logged (or changed).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationFacts {
    pub run: String,
    pub inserting: bool,
    /// The person acting owns the run, has (or had) a task of it, or is an nps_admin.
    pub works_on_run: bool,
    pub actor: String,
    #[serde(deserialize_with = "crate::error::required")]
    pub body: Option<String>,
}

/// Decide a conversation: logged by the people who work on the run, with something to say;
/// never changed or deleted.
pub fn log_conversation(f: &ConversationFacts) -> Result<()> {
    if !f.inserting {
        return Err(err(
            ErrorKind::Immutable,
            format!("a conversation of {} cannot be changed or deleted", f.run),
            "Log a new note that corrects it.",
        ));
    }
    if !f.works_on_run {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("{} works on no task of {}", f.actor, f.run),
            "The run's owner and the owners of its tasks log its conversations.",
        ));
    }
    if !given(&f.body) {
        return Err(err(
            ErrorKind::InvalidParameter,
            format!("a conversation of {} needs a body", f.run),
            "Say what was said or noted.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageStatus::*;

    fn change(from: Option<MessageStatus>, to: MessageStatus) -> OutboxFacts {
        OutboxFacts {
            message: "outbox message #4".into(),
            inserting: false,
            deleting: false,
            system: true,
            from,
            to,
            content_changed: false,
        }
    }

    #[test]
    fn senders_move_messages_along_their_lease() {
        for (from, to) in
            [(Queued, Sending), (Sending, Sending), (Sending, Sent), (Sending, Queued), (Sending, Failed)]
        {
            message_change(&change(Some(from), to)).unwrap();
        }
        for (from, to) in [(Queued, Sent), (Sent, Queued), (Failed, Queued), (Sent, Sending)] {
            assert_eq!(message_change(&change(Some(from), to)).unwrap_err().kind, ErrorKind::OutOfOrder);
        }
    }

    #[test]
    fn no_one_redirects_or_marks_a_message_by_hand() {
        let mut f = change(Some(Queued), Sent);
        f.system = false;
        assert_eq!(message_change(&f).unwrap_err().kind, ErrorKind::InsufficientPrivilege);
        let mut f = change(Some(Queued), Queued);
        f.content_changed = true;
        assert_eq!(message_change(&f).unwrap_err().kind, ErrorKind::Immutable);
        let mut f = change(Some(Sent), Sent);
        f.deleting = true;
        assert_eq!(message_change(&f).unwrap_err().kind, ErrorKind::Immutable);
        let mut f = change(None, Sending);
        f.inserting = true;
        assert_eq!(message_change(&f).unwrap_err().kind, ErrorKind::OutOfOrder);
    }

    #[test]
    fn conversations_come_from_the_people_on_the_run() {
        let f = |works, body: &str, inserting| ConversationFacts {
            run: "run #9".into(),
            inserting,
            works_on_run: works,
            actor: "csm_ann".into(),
            body: Some(body.into()),
        };
        log_conversation(&f(true, "called; agreed a fix date", true)).unwrap();
        assert_eq!(
            log_conversation(&f(false, "x", true)).unwrap_err().kind,
            ErrorKind::InsufficientPrivilege
        );
        assert_eq!(
            log_conversation(&f(true, " \u{200B}", true)).unwrap_err().kind,
            ErrorKind::InvalidParameter
        );
        assert_eq!(log_conversation(&f(true, "x", false)).unwrap_err().kind, ErrorKind::Immutable);
    }
}
