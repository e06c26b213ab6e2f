//! The action plan: what may change of a plan item, when, and by whom; verification by someone
//! other than the owner.
//!
//! ```text
//! item: open ─► done (its owner, with the outcome) ─► verified (neither its owner nor who completed it, with evidence)
//!         └──────────┴─► dropped (the cycle's owner, with a reason)      verified, dropped: final
//! ```

use serde::Deserialize;

use super::{err, given};
use crate::engine::workflow::StepStatus;
use crate::error::{ErrorKind, Result};

/// `nps.plan_items.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Open,
    Done,
    Verified,
    Dropped,
}

impl ItemStatus {
    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::Done => "done",
            ItemStatus::Verified => "verified",
            ItemStatus::Dropped => "dropped",
        }
    }

    fn terminal(self) -> bool {
        matches!(self, ItemStatus::Verified | ItemStatus::Dropped)
    }
}

/// What the statement does to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Insert,
    Update,
    Delete,
}

/// Facts about a change of a plan item.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanItemFacts {
    /// How messages name the item, e.g. `plan item #3 "Fix the export" of cycle "Q4"`.
    pub item: String,
    pub cycle: String,
    pub op: Op,
    /// The status of the cycle's action_plan step.
    pub plan: StepStatus,
    /// The change adds or removes the item, or changes its segment, cause, title,
    /// description, owner or due date.
    pub definition_changed: bool,
    /// The person acting owns the cycle's run or is an nps_admin.
    pub may_plan: bool,
    /// The person acting owns the item.
    pub is_owner: bool,
    /// The person acting completed the item (its `completed_by`).
    pub is_completer: bool,
    /// The person acting holds nps_approver: who verifies follow-ups.
    pub may_verify: bool,
    /// The item's cause is none, or a category of the taxonomy.
    pub cause_known: bool,
    #[serde(deserialize_with = "crate::error::required")]
    pub from: Option<ItemStatus>,
    #[serde(deserialize_with = "crate::error::required")]
    pub to: Option<ItemStatus>,
    /// Anything of the row changes (for a final item, nothing may).
    pub anything_changed: bool,
    pub outcome_changed: bool,
    pub evidence_changed: bool,
    pub drop_reason_changed: bool,
    #[serde(deserialize_with = "crate::error::required")]
    pub outcome: Option<String>,
    #[serde(deserialize_with = "crate::error::required")]
    pub evidence: Option<String>,
    #[serde(deserialize_with = "crate::error::required")]
    pub drop_reason: Option<String>,
}

/// Decide a change of a plan item.
pub fn item_change(f: &PlanItemFacts) -> Result<()> {
    use ItemStatus::*;
    if let Some(from) = f.from.filter(|s| s.terminal()) {
        if f.op == Op::Delete || f.anything_changed {
            return Err(err(
                ErrorKind::Finished,
                format!("{} is {}; terminal states are final", f.item, from.label()),
                "Add a new item to the next cycle's plan.",
            ));
        }
        return Ok(());
    }
    if f.definition_changed {
        match f.plan {
            StepStatus::Pending => {
                return Err(err(
                    ErrorKind::OutOfOrder,
                    format!("the action plan of cycle \"{}\" has not started", f.cycle),
                    "It starts when every detractor has a confirmed root cause.",
                ))
            }
            StepStatus::AwaitingApproval => {
                return Err(err(
                    ErrorKind::ApprovalRequired,
                    format!("the action plan of cycle \"{}\" is awaiting approval", f.cycle),
                    "Withdraw the request (nps.withdraw_approval) to change the plan, then request again.",
                ))
            }
            StepStatus::Done | StepStatus::Skipped => {
                return Err(err(
                    ErrorKind::Finished,
                    format!("the action plan of cycle \"{}\" is approved; {} cannot change", f.cycle, f.item),
                    "Drop the item with a reason (nps.drop_plan_item) and add the change to the next cycle.",
                ))
            }
            StepStatus::Active => {}
        }
        if !f.may_plan {
            return Err(err(
                ErrorKind::InsufficientPrivilege,
                format!(
                    "only the cycle's owner or an nps_admin may change the action plan of cycle \"{}\"",
                    f.cycle
                ),
                "Ask the cycle's owner to plan it.",
            ));
        }
        if f.op == Op::Delete {
            return Ok(());
        }
        if !f.cause_known {
            return Err(err(
                ErrorKind::UndefinedObject,
                format!("the root cause of {} is not in the taxonomy", f.item),
                "SELECT key FROM nps.root_cause_taxonomy lists them.",
            ));
        }
        if f.op == Op::Insert {
            if f.to != Some(Open) {
                return Err(err(
                    ErrorKind::OutOfOrder,
                    format!("{} must start open", f.item),
                    "Insert it open; complete and verify it later.",
                ));
            }
            return Ok(());
        }
    }
    if f.op != Op::Update {
        return Ok(());
    }
    let (Some(from), Some(to)) = (f.from, f.to) else {
        return Ok(());
    };
    if from == to {
        if f.outcome_changed || f.evidence_changed || f.drop_reason_changed {
            return Err(err(
                ErrorKind::Immutable,
                format!("{} records its outcome, evidence and drop reason only with its status", f.item),
                "Complete, verify or drop it: nps.complete_plan_item, nps.verify_plan_item, nps.drop_plan_item.",
            ));
        }
        return Ok(());
    }
    if f.plan != StepStatus::Done {
        return Err(err(
            ErrorKind::OutOfOrder,
            format!("{} cannot be {} before the plan is approved", f.item, to.label()),
            "Request the action_plan step's approval first.",
        ));
    }
    match (from, to) {
        (Open, Done) => {
            if !(f.is_owner || f.may_plan) {
                return Err(err(
                    ErrorKind::InsufficientPrivilege,
                    format!("{} belongs to another owner", f.item),
                    "Its owner (or the cycle's owner) completes it.",
                ));
            }
            if f.evidence_changed || f.drop_reason_changed {
                return Err(err(
                    ErrorKind::Immutable,
                    format!("completing {} records its outcome only", f.item),
                    "Verification evidence comes with nps.verify_plan_item, by someone else.",
                ));
            }
            if !given(&f.outcome) {
                return Err(err(
                    ErrorKind::InvalidParameter,
                    format!("completing {} needs the outcome", f.item),
                    "Say what was delivered: nps.complete_plan_item(item, outcome => '…').",
                ));
            }
            Ok(())
        }
        (Done, Verified) => {
            if !f.may_verify {
                return Err(err(
                    ErrorKind::InsufficientPrivilege,
                    format!("verifying {} needs a person holding nps_approver", f.item),
                    "An approver who did not deliver the item verifies it: nps.verify_plan_item(item, evidence).",
                ));
            }
            if f.is_owner {
                return Err(err(
                    ErrorKind::SelfApproval,
                    format!("{} is owned by the person verifying it", f.item),
                    "Someone other than the owner verifies the follow-up.",
                ));
            }
            if f.is_completer {
                return Err(err(
                    ErrorKind::SelfApproval,
                    format!("{} was completed by the person verifying it", f.item),
                    "Someone other than whoever delivered it verifies the follow-up.",
                ));
            }
            if f.outcome_changed || f.drop_reason_changed {
                return Err(err(
                    ErrorKind::Immutable,
                    format!("verifying {} records its evidence only", f.item),
                    "The outcome is its owner's; verify with nps.verify_plan_item(item, evidence).",
                ));
            }
            if !given(&f.evidence) {
                return Err(err(
                    ErrorKind::InvalidParameter,
                    format!("verifying {} needs evidence", f.item),
                    "Give a link or a text that shows the follow-up shipped.",
                ));
            }
            Ok(())
        }
        (Open | Done, Dropped) => {
            if !f.may_plan {
                return Err(err(
                    ErrorKind::InsufficientPrivilege,
                    format!("only the cycle's owner or an nps_admin may drop {}", f.item),
                    "Ask the cycle's owner to drop it.",
                ));
            }
            if f.outcome_changed || f.evidence_changed {
                return Err(err(
                    ErrorKind::Immutable,
                    format!("dropping {} records its reason only", f.item),
                    "Drop it with nps.drop_plan_item(item, reason).",
                ));
            }
            if !given(&f.drop_reason) {
                return Err(err(
                    ErrorKind::InvalidParameter,
                    format!("dropping {} needs a reason", f.item),
                    "Say why the item will not be delivered.",
                ));
            }
            Ok(())
        }
        (from, to) => Err(err(
            ErrorKind::OutOfOrder,
            format!("{} cannot go from {} to {}", f.item, from.label(), to.label()),
            "Items go open → done → verified, or are dropped.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ItemStatus::*;

    fn update(from: ItemStatus, to: ItemStatus) -> PlanItemFacts {
        PlanItemFacts {
            item: "plan item #3 \"Fix the export\" of cycle \"Q4\"".into(),
            cycle: "Q4".into(),
            op: Op::Update,
            plan: StepStatus::Done,
            definition_changed: false,
            may_plan: false,
            is_owner: false,
            is_completer: false,
            may_verify: false,
            cause_known: true,
            from: Some(from),
            to: Some(to),
            anything_changed: true,
            outcome_changed: false,
            evidence_changed: false,
            drop_reason_changed: false,
            outcome: None,
            evidence: None,
            drop_reason: None,
        }
    }

    fn kind(f: &PlanItemFacts) -> ErrorKind {
        item_change(f).unwrap_err().kind
    }

    #[test]
    fn the_owner_completes_with_the_outcome_someone_else_verifies_with_evidence() {
        let mut f = update(Open, Done);
        assert_eq!(kind(&f), ErrorKind::InsufficientPrivilege);
        f.is_owner = true;
        assert_eq!(kind(&f), ErrorKind::InvalidParameter);
        f.outcome = Some("shipped in 2026.11".into());
        f.outcome_changed = true;
        item_change(&f).unwrap();
        let mut f = update(Done, Verified);
        // Only an approver verifies, and never their own item.
        assert_eq!(kind(&f), ErrorKind::InsufficientPrivilege);
        f.may_verify = true;
        f.is_owner = true;
        assert_eq!(kind(&f), ErrorKind::SelfApproval);
        f.is_owner = false;
        // Nor the item they completed for its owner (a cycle's owner may complete any item).
        f.is_completer = true;
        assert_eq!(kind(&f), ErrorKind::SelfApproval);
        f.is_completer = false;
        assert_eq!(kind(&f), ErrorKind::InvalidParameter);
        f.evidence = Some("\t\u{200B}".into());
        assert_eq!(kind(&f), ErrorKind::InvalidParameter);
        f.evidence = Some("https://tracker.example/1234".into());
        f.evidence_changed = true;
        item_change(&f).unwrap();
        // A verifier does not rewrite what the owner delivered.
        f.outcome_changed = true;
        assert_eq!(kind(&f), ErrorKind::Immutable);
    }

    #[test]
    fn final_items_never_change() {
        for from in [Verified, Dropped] {
            let mut f = update(from, from);
            f.may_plan = true;
            f.evidence_changed = true;
            assert_eq!(kind(&f), ErrorKind::Finished);
            f.op = Op::Delete;
            assert_eq!(kind(&f), ErrorKind::Finished);
        }
        let mut f = update(Verified, Verified);
        f.anything_changed = false;
        item_change(&f).unwrap();
    }

    #[test]
    fn outcome_and_evidence_come_only_with_their_transition() {
        let mut f = update(Done, Done);
        f.evidence_changed = true;
        f.anything_changed = true;
        assert_eq!(kind(&f), ErrorKind::Immutable);
    }

    #[test]
    fn the_plan_changes_while_its_step_is_active_by_the_cycles_owner() {
        let mut f = update(Open, Open);
        f.definition_changed = true;
        f.plan = StepStatus::Active;
        assert_eq!(kind(&f), ErrorKind::InsufficientPrivilege);
        f.may_plan = true;
        item_change(&f).unwrap();
        f.plan = StepStatus::Pending;
        assert_eq!(kind(&f), ErrorKind::OutOfOrder);
        f.plan = StepStatus::AwaitingApproval;
        assert_eq!(kind(&f), ErrorKind::ApprovalRequired);
        f.plan = StepStatus::Done;
        assert_eq!(kind(&f), ErrorKind::Finished);
        let mut f = update(Open, Open);
        f.op = Op::Insert;
        f.from = None;
        f.to = Some(Done);
        f.definition_changed = true;
        f.plan = StepStatus::Active;
        f.may_plan = true;
        assert_eq!(kind(&f), ErrorKind::OutOfOrder);
        f.to = Some(Open);
        f.cause_known = false;
        assert_eq!(kind(&f), ErrorKind::UndefinedObject);
    }

    #[test]
    fn transitions_wait_for_the_approval_and_follow_the_machine() {
        let mut f = update(Open, Done);
        f.is_owner = true;
        f.outcome = Some("x".into());
        f.plan = StepStatus::Active;
        assert_eq!(kind(&f), ErrorKind::OutOfOrder);
        let mut f = update(Open, Verified);
        assert_eq!(kind(&f), ErrorKind::OutOfOrder);
        f = update(Done, Dropped);
        assert_eq!(kind(&f), ErrorKind::InsufficientPrivilege);
        f.may_plan = true;
        assert_eq!(kind(&f), ErrorKind::InvalidParameter);
        f.drop_reason = Some("superseded by the Q1 plan".into());
        f.drop_reason_changed = true;
        item_change(&f).unwrap();
    }
}
