//! The workflow state machine: which transitions of steps, tasks, approvals and runs are legal,
//! given the facts the database gathers about the row and its neighbours.
//!
//! Each `*_transition` function is a pure decision. The extension's triggers collect the facts
//! (statuses, counts of open tasks, who is acting) and call these; a refusal comes back as an
//! [`NpsError`] whose kind fixes the SQLSTATE. Nothing here reads the database.
//!
//! ```text
//! step:     pending ─► active ─► awaiting_approval ─► done
//!              │         │  ▲            │
//!              │         │  └────────────┘ (rejected: revise & resubmit)
//!              │         └─► done (no approval gate)
//!              └─────────┴─► skipped (skippable steps only, with a reason)
//! task:     open ─► done | cancelled (with a reason)
//! approval: pending ─► approved | rejected | withdrawn
//! run:      active ─► done (every step finished) | cancelled (with a reason)
//! ```

use serde::Deserialize;
use serde_json::Value;

use crate::engine::template::{check_values, Field};
use crate::error::{ErrorKind, NpsError, Result};
use crate::text::is_blank;

macro_rules! status_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// The label of the SQL enum value.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }
    };
}

status_enum!(
    /// `nps.step_status`.
    StepStatus { Pending => "pending", Active => "active", AwaitingApproval => "awaiting_approval",
                 Done => "done", Skipped => "skipped" }
);
status_enum!(
    /// `nps.task_status`.
    TaskStatus { Open => "open", Done => "done", Cancelled => "cancelled" }
);
status_enum!(
    /// `nps.run_status`.
    RunStatus { Active => "active", Done => "done", Cancelled => "cancelled" }
);
status_enum!(
    /// `nps.approval_status`.
    ApprovalStatus { Pending => "pending", Approved => "approved", Rejected => "rejected",
                     Withdrawn => "withdrawn" }
);
status_enum!(
    /// `nps.decision`.
    Decision { Approve => "approve", Reject => "reject" }
);

impl StepStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped)
    }
}

fn err(kind: ErrorKind, message: String, hint: &str) -> NpsError {
    NpsError::new(kind, message, hint)
}

/// A reason is more than white space and invisible characters.
fn has_reason(r: &Option<String>) -> bool {
    r.as_deref().is_some_and(|s| !is_blank(s))
}

fn run_must_be_active(what: &str, run: &str, status: RunStatus) -> Result<()> {
    if status != RunStatus::Active {
        return Err(err(
            ErrorKind::Finished,
            format!("{what} cannot change: {run} is {}", status.label()),
            "A finished or cancelled run is final; start a new run to do more work.",
        ));
    }
    Ok(())
}

/// Facts about a step status change (or an edit of a step's evidence).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFacts {
    /// How messages name the step, e.g. `step "Triage" (#12) of run #3`.
    pub step: String,
    pub run: String,
    pub run_status: RunStatus,
    pub from: StepStatus,
    pub to: StepStatus,
    pub checkpoint: bool,
    pub skippable: bool,
    pub has_approval: bool,
    /// Status of the step's latest approval request, if any.
    #[serde(deserialize_with = "crate::error::required")]
    pub approval: Option<ApprovalStatus>,
    /// Earlier steps of the run that are neither done nor skipped.
    pub earlier_unfinished: i64,
    /// Tasks of this step still open.
    pub open_tasks: i64,
    pub evidence_spec: Vec<Field>,
    pub evidence: Value,
    #[serde(deserialize_with = "crate::error::required")]
    pub skip_reason: Option<String>,
    /// The acting role owns the run or is an nps_admin.
    pub may_manage: bool,
}

fn requirements_met(f: &StepFacts) -> Result<()> {
    if f.open_tasks > 0 {
        return Err(err(
            ErrorKind::RequirementsUnmet,
            format!("{} has {} open task(s)", f.step, f.open_tasks),
            "Complete or cancel the step's tasks first (nps.my_tasks lists them).",
        ));
    }
    check_values(&f.step, &f.evidence_spec, &f.evidence, true).map_err(|e| {
        if e.kind == ErrorKind::RequirementsUnmet && e.message.contains("missing required") {
            NpsError::new(
                ErrorKind::RequirementsUnmet,
                e.message.replace("missing required field(s)", "missing evidence"),
                "Record the evidence when completing it: nps.complete_step(step_id, evidence => '{...}').",
            )
        } else {
            e
        }
    })
}

/// Decide a step transition.
pub fn step_transition(f: &StepFacts) -> Result<()> {
    use StepStatus::*;
    run_must_be_active(&f.step, &f.run, f.run_status)?;
    if f.from.is_terminal() {
        return Err(err(
            ErrorKind::Finished,
            format!("{} is {}; terminal states are final", f.step, f.from.label()),
            "Nothing about a finished step can change; record follow-up work in a later step or a new run.",
        ));
    }
    if f.from == f.to {
        // An edit without a status change: evidence may be recorded while the step is open,
        // and it is type-checked as it is recorded.
        return check_values(&f.step, &f.evidence_spec, &f.evidence, false);
    }
    match (f.from, f.to) {
        (Pending, Active) => {
            if f.earlier_unfinished > 0 {
                return Err(err(
                    ErrorKind::OutOfOrder,
                    format!(
                        "{} cannot start: {} earlier step(s) are not finished",
                        f.step, f.earlier_unfinished
                    ),
                    "Steps run in order; finish or skip the earlier steps first.",
                ));
            }
            Ok(())
        }
        (Pending | Active, Skipped) => {
            if f.checkpoint {
                return Err(err(
                    ErrorKind::NotSkippable,
                    format!("{} is a checkpoint and can never be skipped", f.step),
                    "Complete it with its evidence: nps.complete_step(step_id, evidence => '{...}').",
                ));
            }
            if f.has_approval {
                return Err(err(
                    ErrorKind::NotSkippable,
                    format!("{} is an approval gate and can never be skipped", f.step),
                    "Request the approval: nps.request_approval(step_id).",
                ));
            }
            if !f.skippable {
                return Err(err(
                    ErrorKind::NotSkippable,
                    format!("{} is not skippable", f.step),
                    "Only steps the template marks \"skippable\" can be skipped; complete this one.",
                ));
            }
            if !has_reason(&f.skip_reason) {
                return Err(err(
                    ErrorKind::InvalidParameter,
                    format!("skipping {} needs a reason", f.step),
                    "Pass one: nps.skip_step(step_id, reason => 'why').",
                ));
            }
            if !f.may_manage {
                return Err(err(
                    ErrorKind::InsufficientPrivilege,
                    format!("only the owner of {} or an nps_admin may skip {}", f.run, f.step),
                    "Ask the run's owner to skip it.",
                ));
            }
            Ok(())
        }
        (Active, Done) => {
            if f.has_approval {
                return Err(err(
                    ErrorKind::ApprovalRequired,
                    format!("{} needs an approval before it is done", f.step),
                    "Request it with nps.request_approval(step_id); it completes when the approval is granted.",
                ));
            }
            requirements_met(f)?;
            if !f.evidence_spec.is_empty() && !f.may_manage {
                return Err(err(
                    ErrorKind::InsufficientPrivilege,
                    format!(
                        "only the owner of {} or an nps_admin may record the evidence of {}",
                        f.run, f.step
                    ),
                    "Ask the run's owner to complete the step.",
                ));
            }
            Ok(())
        }
        (Active, AwaitingApproval) => {
            if !f.has_approval {
                return Err(err(
                    ErrorKind::ApprovalRequired,
                    format!("{} has no approval gate", f.step),
                    "Complete it with nps.complete_step(step_id).",
                ));
            }
            if f.approval != Some(ApprovalStatus::Pending) {
                return Err(err(
                    ErrorKind::ApprovalRequired,
                    format!("{} has no pending approval request", f.step),
                    "Use nps.request_approval(step_id), which records the request and moves the step.",
                ));
            }
            requirements_met(f)
        }
        (AwaitingApproval, Done) => {
            if f.approval != Some(ApprovalStatus::Approved) {
                return Err(err(
                    ErrorKind::ApprovalRequired,
                    format!("{} cannot be done: its approval is {}", f.step, approval_label(f.approval)),
                    "It completes by itself when enough approvers approve (nps.decide).",
                ));
            }
            Ok(())
        }
        (AwaitingApproval, Active) => {
            if !matches!(f.approval, Some(ApprovalStatus::Rejected | ApprovalStatus::Withdrawn)) {
                return Err(err(
                    ErrorKind::OutOfOrder,
                    format!("{} is awaiting approval ({})", f.step, approval_label(f.approval)),
                    "It returns to active when the approval is rejected or withdrawn.",
                ));
            }
            Ok(())
        }
        (from, to) => Err(err(
            ErrorKind::OutOfOrder,
            format!("{} cannot go from {} to {}", f.step, from.label(), to.label()),
            "Steps go pending → active → (awaiting_approval →) done, or to skipped; use the nps procedures.",
        )),
    }
}

fn approval_label(a: Option<ApprovalStatus>) -> &'static str {
    a.map_or("not requested", ApprovalStatus::label)
}

/// Facts about a task change.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFacts {
    pub task: String,
    pub run: String,
    pub run_status: RunStatus,
    pub step: String,
    pub step_status: StepStatus,
    pub from: TaskStatus,
    pub to: TaskStatus,
    pub fields_spec: Vec<Field>,
    pub fields: Value,
    /// The person acting owns the task.
    pub is_owner: bool,
    /// The role whose queue the task waits in while it has no owner.
    #[serde(deserialize_with = "crate::error::required")]
    pub queue: Option<String>,
    /// The task has no owner yet (it waits in its queue).
    pub queued: bool,
    /// The change makes the person acting the owner of a queued task.
    pub claiming: bool,
    /// The person acting holds the queue's role.
    pub may_claim: bool,
    /// The person acting owns the run or is an nps_admin.
    pub may_manage: bool,
    pub owner_changed: bool,
    /// The change moves the task's due date.
    pub due_changed: bool,
    /// Nothing but the due date and its reason changes.
    pub only_due: bool,
    /// The person acting is the run owner's lead (or theirs, up the line) or an nps_admin.
    pub may_move_due: bool,
    /// The extension's scheduler sets the due date as the step becomes active.
    pub scheduling: bool,
    #[serde(deserialize_with = "crate::error::required")]
    pub due_reason: Option<String>,
    /// The task's id, for messages that name it briefly.
    pub id: i64,
    #[serde(deserialize_with = "crate::error::required")]
    pub reason: Option<String>,
    /// Reference fields whose value names no row of their table.
    pub dangling: Vec<String>,
}

/// Decide a task change: completion, cancellation, reassignment, claiming, moving the due date
/// or recording field values.
pub fn task_transition(f: &TaskFacts) -> Result<()> {
    use TaskStatus::*;
    // Cancelling a run cancels its open tasks.
    if f.run_status == RunStatus::Cancelled && f.from == Open && f.to == Cancelled {
        return Ok(());
    }
    run_must_be_active(&f.task, &f.run, f.run_status)?;
    if let Some(field) = f.dangling.first() {
        return Err(err(
            ErrorKind::RequirementsUnmet,
            format!("field \"{field}\" of {} refers to a row that does not exist", f.task),
            "Reference fields hold the key of an existing row of the table the template names.",
        ));
    }
    if f.from != Open {
        return Err(err(
            ErrorKind::Finished,
            format!("{} is {}; terminal states are final", f.task, f.from.label()),
            "A finished task cannot be edited; add a note to the run instead.",
        ));
    }
    if f.scheduling {
        return Ok(());
    }
    if f.claiming {
        if !f.may_claim {
            return Err(err(
                ErrorKind::InsufficientPrivilege,
                format!(
                    "{} waits in the queue of {}, which the person acting does not hold",
                    f.task,
                    f.queue.as_deref().unwrap_or("its role")
                ),
                "A person holding the queue's role claims it (nps.claim_task), or the run's owner assigns it (nps.reassign_task).",
            ));
        }
        if f.to != Open || f.due_changed {
            return Err(err(
                ErrorKind::InvalidParameter,
                format!("{} is claimed in a change of its own", f.task),
                "Claim it first (nps.claim_task), then work on it.",
            ));
        }
        return check_values(&f.task, &f.fields_spec, &f.fields, false);
    }
    // Moving an SLA is the run owner's lead's (or an nps_admin's), who need not own the task.
    if f.due_changed && f.only_due {
        return due_move(f);
    }
    if !(f.is_owner || f.may_manage) {
        let message = if f.queued {
            format!("{} waits in the queue of {}", f.task, f.queue.as_deref().unwrap_or("its role"))
        } else {
            format!("{} belongs to another owner", f.task)
        };
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            message,
            "Only its owner, the run's owner or an nps_admin may change it; ask them to reassign it, or claim a queued task (nps.claim_task).",
        ));
    }
    if f.owner_changed && !(f.may_manage || f.is_owner) {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("only the owner of {} or an nps_admin may reassign {}", f.run, f.task),
            "Ask the run's owner to reassign it.",
        ));
    }
    let decided = match f.to {
        Open => check_values(&f.task, &f.fields_spec, &f.fields, false),
        Done => {
            if f.step_status != StepStatus::Active {
                return Err(err(
                    ErrorKind::OutOfOrder,
                    format!("{} cannot be completed: {} is {}", f.task, f.step, f.step_status.label()),
                    "Tasks are completed while their step is active; finish the earlier steps first.",
                ));
            }
            if f.owner_changed {
                return Err(err(
                    ErrorKind::InvalidParameter,
                    format!("{} cannot be reassigned and completed in one change", f.task),
                    "Reassign it first (nps.reassign_task), then complete it.",
                ));
            }
            if f.queued {
                return Err(err(
                    ErrorKind::RequirementsUnmet,
                    format!(
                        "{} waits in the queue of {}: nobody owns it yet",
                        f.task,
                        f.queue.as_deref().unwrap_or("its role")
                    ),
                    "A person completes work: claim it first (nps.claim_task), or have the run's owner assign it.",
                ));
            }
            check_values(&f.task, &f.fields_spec, &f.fields, true)
        }
        Cancelled => {
            if !f.may_manage {
                return Err(err(
                    ErrorKind::InsufficientPrivilege,
                    format!("only the owner of {} or an nps_admin may cancel {}", f.run, f.task),
                    "Ask the run's owner to cancel it, or complete it.",
                ));
            }
            if !has_reason(&f.reason) {
                return Err(err(
                    ErrorKind::InvalidParameter,
                    format!("cancelling {} needs a reason", f.task),
                    "Pass one: nps.cancel_task(task_id, reason => 'why').",
                ));
            }
            Ok(())
        }
    };
    decided?;
    if f.due_changed {
        return due_move(f);
    }
    Ok(())
}

fn due_move(f: &TaskFacts) -> Result<()> {
    if !f.may_move_due {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!(
                "only the lead of the owner of {} or an nps_admin may move the due date of task #{}",
                f.run, f.id
            ),
            "Ask the run owner's lead to extend the SLA: nps.move_due(task, due_at, reason).",
        ));
    }
    if !has_reason(&f.due_reason) {
        return Err(err(
            ErrorKind::InvalidParameter,
            format!("moving the due date of task #{} needs a reason", f.id),
            "Say why the SLA moves: nps.move_due(task, due_at, reason => '…').",
        ));
    }
    Ok(())
}

/// Facts about an approval request (a new row in `nps.approvals`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFacts {
    pub step: String,
    pub run: String,
    pub run_status: RunStatus,
    pub step_status: StepStatus,
    pub has_approval: bool,
    pub pending_exists: bool,
    pub open_tasks: i64,
    pub evidence_spec: Vec<Field>,
    pub evidence: Value,
    /// The person asking owns the run or is an nps_admin.
    pub may_manage: bool,
}

pub fn request_approval(f: &RequestFacts) -> Result<()> {
    run_must_be_active(&f.step, &f.run, f.run_status)?;
    if !f.may_manage {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("only the owner of {} or an nps_admin may request the approval of {}", f.run, f.step),
            "Ask the run's owner to request it.",
        ));
    }
    if !f.has_approval {
        return Err(err(
            ErrorKind::ApprovalRequired,
            format!("{} has no approval gate", f.step),
            "Complete it with nps.complete_step(step_id).",
        ));
    }
    if f.pending_exists {
        return Err(err(
            ErrorKind::ApprovalRequired,
            format!("{} already has a pending approval request", f.step),
            "Wait for the decision (nps.pending_approvals), or withdraw the request first.",
        ));
    }
    if f.step_status != StepStatus::Active {
        return Err(err(
            ErrorKind::OutOfOrder,
            format!("approval for {} cannot be requested: the step is {}", f.step, f.step_status.label()),
            "Request approval while the step is active, after its tasks are finished.",
        ));
    }
    let facts = StepFacts {
        step: f.step.clone(),
        run: f.run.clone(),
        run_status: f.run_status,
        from: StepStatus::Active,
        to: StepStatus::AwaitingApproval,
        checkpoint: false,
        skippable: false,
        has_approval: true,
        approval: Some(ApprovalStatus::Pending),
        earlier_unfinished: 0,
        open_tasks: f.open_tasks,
        evidence_spec: f.evidence_spec.clone(),
        evidence: f.evidence.clone(),
        skip_reason: None,
        may_manage: true,
    };
    requirements_met(&facts)
}

/// Facts about one approver's decision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionFacts {
    pub approval: String,
    pub status: ApprovalStatus,
    pub required_role: String,
    pub approver: String,
    pub requester: String,
    /// The approver is a member of the required role.
    pub is_member: bool,
    /// The approver already decided this approval.
    pub decided_before: bool,
    pub decision: Decision,
    #[serde(deserialize_with = "crate::error::required")]
    pub reason: Option<String>,
}

pub fn decide(f: &DecisionFacts) -> Result<()> {
    if f.status != ApprovalStatus::Pending {
        return Err(err(
            ErrorKind::AlreadyDecided,
            format!("{} is already {}", f.approval, f.status.label()),
            "A decided approval is final; after a rejection, the step's owner requests a new one.",
        ));
    }
    if f.decided_before {
        return Err(err(
            ErrorKind::AlreadyDecided,
            format!("{} already has a decision by {}", f.approval, f.approver),
            "Each approver decides once; another member of the role can add theirs.",
        ));
    }
    if !f.is_member {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("{} is not a member of {}, which decides {}", f.approver, f.required_role, f.approval),
            "Ask a member of that role to decide (GRANT the role to approvers).",
        ));
    }
    if f.approver == f.requester {
        return Err(err(
            ErrorKind::SelfApproval,
            format!("{} was requested by {}, who cannot decide it", f.approval, f.requester),
            "Another member of the required role must decide.",
        ));
    }
    if f.decision == Decision::Reject && !has_reason(&f.reason) {
        return Err(err(
            ErrorKind::InvalidParameter,
            format!("rejecting {} needs a reason", f.approval),
            "Say what to revise: nps.decide(approval_id, 'reject', reason => '...').",
        ));
    }
    Ok(())
}

/// Facts about an approval's status change.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalFacts {
    pub approval: String,
    pub from: ApprovalStatus,
    pub to: ApprovalStatus,
    pub approvals: i64,
    pub rejections: i64,
    pub min_approvers: i64,
    pub may_withdraw: bool,
    #[serde(deserialize_with = "crate::error::required")]
    pub reason: Option<String>,
}

pub fn approval_transition(f: &ApprovalFacts) -> Result<()> {
    use ApprovalStatus::*;
    if f.from == f.to {
        return Ok(());
    }
    if f.from != Pending {
        return Err(err(
            ErrorKind::AlreadyDecided,
            format!("{} is already {}", f.approval, f.from.label()),
            "A decided approval is final.",
        ));
    }
    match f.to {
        Approved if f.approvals >= f.min_approvers && f.rejections == 0 => Ok(()),
        Approved => Err(err(
            ErrorKind::ApprovalRequired,
            format!("{} has {} of {} approvals", f.approval, f.approvals, f.min_approvers),
            "It is approved by decisions (nps.decide), not by setting its status.",
        )),
        Rejected if f.rejections > 0 => Ok(()),
        Rejected => Err(err(
            ErrorKind::ApprovalRequired,
            format!("{} has no rejecting decision", f.approval),
            "It is rejected by a decision (nps.decide), not by setting its status.",
        )),
        Withdrawn if f.may_withdraw && has_reason(&f.reason) => Ok(()),
        Withdrawn if f.may_withdraw => Err(err(
            ErrorKind::InvalidParameter,
            format!("withdrawing {} needs a reason", f.approval),
            "Say why: nps.withdraw_approval(approval_id, reason => '…').",
        )),
        Withdrawn => Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("only the requester of {} or an nps_admin may withdraw it", f.approval),
            "Ask the requester to withdraw it.",
        )),
        Pending => unreachable!("from == to handled above"),
    }
}

/// Facts about a run status change.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFacts {
    pub run: String,
    pub from: RunStatus,
    pub to: RunStatus,
    pub unfinished_steps: i64,
    pub may_manage: bool,
    /// The change hands the run to another owner.
    pub owner_changed: bool,
    /// The change retitles the run.
    pub title_changed: bool,
    #[serde(deserialize_with = "crate::error::required")]
    pub reason: Option<String>,
}

pub fn run_transition(f: &RunFacts) -> Result<()> {
    use RunStatus::*;
    if f.from != Active {
        return Err(err(
            ErrorKind::Finished,
            format!("{} is {}; terminal states are final", f.run, f.from.label()),
            "Start a new run to do more work.",
        ));
    }
    let decided = match f.to {
        Done if f.unfinished_steps == 0 => Ok(()),
        Done => Err(err(
            ErrorKind::RequirementsUnmet,
            format!("{} has {} unfinished step(s)", f.run, f.unfinished_steps),
            "A run is done when its last step is; it closes by itself.",
        )),
        Cancelled if !f.may_manage => Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("only the owner of {} or an nps_admin may cancel it", f.run),
            "Ask the run's owner.",
        )),
        Cancelled if !has_reason(&f.reason) => Err(err(
            ErrorKind::InvalidParameter,
            format!("cancelling {} needs a reason", f.run),
            "Pass one: nps.cancel_run(run_id, reason => 'why').",
        )),
        Cancelled => Ok(()),
        // An edit of an active run (title, owner): who may edit is the table's grant.
        Active => Ok(()),
    };
    decided?;
    if f.owner_changed && !f.may_manage {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("only the owner of {} or an nps_admin may hand it to another owner", f.run),
            "Ask the run's owner.",
        ));
    }
    if f.title_changed && !f.may_manage {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("only the owner of {} or an nps_admin may retitle it", f.run),
            "Ask the run's owner.",
        ));
    }
    Ok(())
}

/// Facts about a new run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartFacts {
    pub template: String,
    /// Who starts it (`nps.current_actor()`).
    pub starter: String,
    pub starter_is_person: bool,
    pub owner: String,
    /// The starter is the owner, the owner's lead (up the line) or an nps_admin.
    pub may_assign: bool,
    /// The extension's own code starts it (a playbook, under the run it was fired for).
    pub system: bool,
    #[serde(deserialize_with = "crate::error::required")]
    pub parent: Option<String>,
    pub parent_exists: bool,
    #[serde(deserialize_with = "crate::error::required")]
    pub parent_status: Option<RunStatus>,
    /// The starter owns the parent run or is an nps_admin.
    pub may_nest: bool,
}

/// Decide whether a run may start: a person starts it for themself (their lead or an nps_admin
/// for someone else), under a parent run only its owner (or an nps_admin) nests runs under, and
/// never under a finished one. The extension's playbooks start runs for the people their rules
/// name.
pub fn run_start(f: &StartFacts) -> Result<()> {
    if let Some(parent) = &f.parent {
        if !f.parent_exists {
            return Err(err(
                ErrorKind::UndefinedObject,
                format!("parent {parent} does not exist"),
                "nps.run_progress lists runs.",
            ));
        }
        if let Some(status) = f.parent_status.filter(|s| *s != RunStatus::Active) {
            return Err(err(
                ErrorKind::Finished,
                format!("a run of \"{}\" cannot start under {parent}: it is {}", f.template, status.label()),
                "Start it on its own, or under an active run.",
            ));
        }
    }
    if f.system {
        return Ok(());
    }
    if !f.starter_is_person {
        return Err(err(
            ErrorKind::NotAPerson,
            format!("{} is not a person and cannot start a run of \"{}\"", f.starter, f.template),
            "A person starts runs; an application names the person (SET LOCAL nps.actor).",
        ));
    }
    if !f.may_assign {
        return Err(err(
            ErrorKind::InsufficientPrivilege,
            format!("{} may not start a run of \"{}\" owned by {}", f.starter, f.template, f.owner),
            "Start it for yourself; a lead or an nps_admin may start work for someone else.",
        ));
    }
    if let Some(parent) = &f.parent {
        if !f.may_nest {
            return Err(err(
                ErrorKind::InsufficientPrivilege,
                format!("{} may not start a run under {parent}, which someone else owns", f.starter),
                "Only the owner of a run (or an nps_admin) starts runs under it.",
            ));
        }
    }
    Ok(())
}

/// Facts about an edit of columns that never change once written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImmutableFacts {
    pub what: String,
    pub changed: Vec<String>,
    pub hint: String,
}

/// Refuse any change to the listed columns.
pub fn immutable(f: &ImmutableFacts) -> Result<()> {
    if f.changed.is_empty() {
        return Ok(());
    }
    Err(NpsError::new(
        ErrorKind::Immutable,
        format!("{} cannot change {}", f.what, f.changed.join(", ")),
        f.hint.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(from: StepStatus, to: StepStatus) -> StepFacts {
        StepFacts {
            step: "step \"Triage\" (#2)".into(),
            run: "run #1".into(),
            run_status: RunStatus::Active,
            from,
            to,
            checkpoint: false,
            skippable: false,
            has_approval: false,
            approval: None,
            earlier_unfinished: 0,
            open_tasks: 0,
            evidence_spec: vec![],
            evidence: Value::Null,
            skip_reason: None,
            may_manage: true,
        }
    }

    fn kind(r: Result<()>) -> ErrorKind {
        r.unwrap_err().kind
    }

    use StepStatus::*;

    #[test]
    fn steps_start_in_order() {
        step_transition(&step(Pending, Active)).unwrap();
        let mut f = step(Pending, Active);
        f.earlier_unfinished = 2;
        let e = step_transition(&f).unwrap_err();
        assert_eq!(e.kind, ErrorKind::OutOfOrder);
        assert!(e.message.contains("2 earlier step(s)"));
    }

    #[test]
    fn checkpoints_and_gates_are_never_skipped() {
        let mut f = step(Active, Skipped);
        f.checkpoint = true;
        f.skippable = true;
        f.skip_reason = Some("no time".into());
        assert_eq!(kind(step_transition(&f)), ErrorKind::NotSkippable);
        let mut f = step(Pending, Skipped);
        f.has_approval = true;
        assert_eq!(kind(step_transition(&f)), ErrorKind::NotSkippable);
        let f = step(Pending, Skipped);
        assert_eq!(kind(step_transition(&f)), ErrorKind::NotSkippable);
    }

    #[test]
    fn skipping_needs_a_reason_and_the_run_owner() {
        let mut f = step(Pending, Skipped);
        f.skippable = true;
        assert_eq!(kind(step_transition(&f)), ErrorKind::InvalidParameter);
        f.skip_reason = Some("not needed for this client".into());
        step_transition(&f).unwrap();
        f.may_manage = false;
        assert_eq!(kind(step_transition(&f)), ErrorKind::InsufficientPrivilege);
    }

    #[test]
    fn completion_needs_finished_tasks_and_evidence() {
        let mut f = step(Active, Done);
        f.open_tasks = 1;
        assert_eq!(kind(step_transition(&f)), ErrorKind::RequirementsUnmet);
        f.open_tasks = 0;
        f.evidence_spec = serde_json::from_value(json!([{"name": "responses", "type": "number"}])).unwrap();
        let e = step_transition(&f).unwrap_err();
        assert_eq!(e.kind, ErrorKind::RequirementsUnmet);
        assert!(e.message.ends_with("is missing evidence: responses"), "{}", e.message);
        f.evidence = json!({"responses": 120});
        step_transition(&f).unwrap();
        f.may_manage = false;
        assert_eq!(kind(step_transition(&f)), ErrorKind::InsufficientPrivilege);
    }

    #[test]
    fn approval_gates_complete_only_through_a_granted_approval() {
        let mut f = step(Active, Done);
        f.has_approval = true;
        assert_eq!(kind(step_transition(&f)), ErrorKind::ApprovalRequired);
        let mut f = step(Active, AwaitingApproval);
        f.has_approval = true;
        assert_eq!(kind(step_transition(&f)), ErrorKind::ApprovalRequired);
        f.approval = Some(ApprovalStatus::Pending);
        step_transition(&f).unwrap();
        let mut f = step(AwaitingApproval, Done);
        f.has_approval = true;
        f.approval = Some(ApprovalStatus::Pending);
        assert_eq!(kind(step_transition(&f)), ErrorKind::ApprovalRequired);
        f.approval = Some(ApprovalStatus::Approved);
        step_transition(&f).unwrap();
        let mut f = step(AwaitingApproval, Active);
        f.approval = Some(ApprovalStatus::Pending);
        assert_eq!(kind(step_transition(&f)), ErrorKind::OutOfOrder);
        f.approval = Some(ApprovalStatus::Rejected);
        step_transition(&f).unwrap();
    }

    #[test]
    fn terminal_states_and_finished_runs_are_final() {
        assert_eq!(kind(step_transition(&step(Done, Active))), ErrorKind::Finished);
        assert_eq!(kind(step_transition(&step(Skipped, Skipped))), ErrorKind::Finished);
        let mut f = step(Pending, Active);
        f.run_status = RunStatus::Cancelled;
        assert_eq!(kind(step_transition(&f)), ErrorKind::Finished);
    }

    #[test]
    fn every_other_step_edge_is_out_of_order() {
        for (from, to) in
            [(Pending, Done), (Active, Pending), (Pending, AwaitingApproval), (AwaitingApproval, Skipped)]
        {
            let mut f = step(from, to);
            f.has_approval = to == Skipped;
            f.skippable = false;
            let k = kind(step_transition(&f));
            assert!(matches!(k, ErrorKind::OutOfOrder | ErrorKind::NotSkippable), "{from:?}->{to:?}: {k:?}");
        }
    }

    fn task(to: TaskStatus) -> TaskFacts {
        TaskFacts {
            task: "task \"Call\" (#5)".into(),
            run: "run #1".into(),
            run_status: RunStatus::Active,
            step: "step \"Triage\" (#2)".into(),
            step_status: Active,
            from: TaskStatus::Open,
            to,
            fields_spec: serde_json::from_value(json!([{"name": "outcome", "type": "text"}])).unwrap(),
            fields: json!({"outcome": "called"}),
            is_owner: true,
            queue: None,
            queued: false,
            claiming: false,
            may_claim: false,
            may_manage: false,
            owner_changed: false,
            due_changed: false,
            only_due: false,
            may_move_due: false,
            scheduling: false,
            due_reason: None,
            id: 5,
            reason: None,
            dangling: vec![],
        }
    }

    #[test]
    fn tasks_complete_by_their_owner_in_an_active_step_with_fields() {
        task_transition(&task(TaskStatus::Done)).unwrap();
        let mut f = task(TaskStatus::Done);
        f.is_owner = false;
        assert_eq!(kind(task_transition(&f)), ErrorKind::InsufficientPrivilege);
        let mut f = task(TaskStatus::Done);
        f.step_status = Pending;
        assert_eq!(kind(task_transition(&f)), ErrorKind::OutOfOrder);
        let mut f = task(TaskStatus::Done);
        f.fields = json!({});
        assert_eq!(kind(task_transition(&f)), ErrorKind::RequirementsUnmet);
        let mut f = task(TaskStatus::Done);
        f.from = TaskStatus::Done;
        assert_eq!(kind(task_transition(&f)), ErrorKind::Finished);
        let mut f = task(TaskStatus::Done);
        f.dangling = vec!["ticket".into()];
        assert_eq!(kind(task_transition(&f)), ErrorKind::RequirementsUnmet);
    }

    #[test]
    fn only_the_run_owners_lead_moves_a_due_date_and_says_why() {
        let mut f = task(TaskStatus::Open);
        f.fields = json!({});
        f.due_changed = true;
        // The task's owner, even when they own the run too, does not push their own SLA out.
        f.may_manage = true;
        let e = task_transition(&f).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InsufficientPrivilege);
        assert_eq!(
            e.message,
            "only the lead of the owner of run #1 or an nps_admin may move the due date of task #5"
        );
        f.may_move_due = true;
        assert_eq!(kind(task_transition(&f)), ErrorKind::InvalidParameter);
        f.due_reason = Some(" \u{200B}\t".into());
        assert_eq!(kind(task_transition(&f)), ErrorKind::InvalidParameter);
        f.due_reason = Some("client asked for a week".into());
        task_transition(&f).unwrap();
        // The lead owns neither the task nor the run: a change of the due date alone is theirs,
        // anything more is not.
        let mut f = task(TaskStatus::Open);
        f.is_owner = false;
        f.due_changed = true;
        f.only_due = true;
        f.may_move_due = true;
        f.due_reason = Some("customer on holiday".into());
        task_transition(&f).unwrap();
        f.only_due = false;
        assert_eq!(kind(task_transition(&f)), ErrorKind::InsufficientPrivilege);
        // The scheduler sets due dates as steps start.
        let mut f = task(TaskStatus::Open);
        f.is_owner = false;
        f.due_changed = true;
        f.scheduling = true;
        task_transition(&f).unwrap();
    }

    #[test]
    fn queued_tasks_are_claimed_by_a_person_of_the_queue_then_worked() {
        let mut f = task(TaskStatus::Open);
        f.is_owner = false;
        f.queued = true;
        f.queue = Some("nps_csm".into());
        f.fields = json!({});
        // Nobody but the run's owner touches a queued task before it is claimed.
        let e = task_transition(&f).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InsufficientPrivilege);
        assert!(e.message.contains("queue of nps_csm"), "{}", e.message);
        f.claiming = true;
        assert_eq!(kind(task_transition(&f)), ErrorKind::InsufficientPrivilege);
        f.may_claim = true;
        task_transition(&f).unwrap();
        // Claim and complete are two changes.
        let mut g = f.clone();
        g.to = TaskStatus::Done;
        assert_eq!(kind(task_transition(&g)), ErrorKind::InvalidParameter);
        // The run's owner cannot complete a task nobody owns: it is assigned first.
        let mut h = task(TaskStatus::Done);
        h.is_owner = false;
        h.may_manage = true;
        h.queued = true;
        h.queue = Some("nps_csm".into());
        assert_eq!(kind(task_transition(&h)), ErrorKind::RequirementsUnmet);
    }

    fn start() -> StartFacts {
        StartFacts {
            template: "NPS Detractor".into(),
            starter: "csm_ben".into(),
            starter_is_person: true,
            owner: "csm_ben".into(),
            may_assign: true,
            system: false,
            parent: None,
            parent_exists: false,
            parent_status: None,
            may_nest: false,
        }
    }

    #[test]
    fn runs_start_for_oneself_under_ones_own_runs() {
        run_start(&start()).unwrap();
        let mut f = start();
        f.may_assign = false; // for someone else, without being their lead or an admin
        assert_eq!(kind(run_start(&f)), ErrorKind::InsufficientPrivilege);
        let mut f = start();
        f.starter_is_person = false;
        assert_eq!(kind(run_start(&f)), ErrorKind::NotAPerson);
        let mut f = start();
        f.parent = Some("run #7".into());
        f.parent_exists = true;
        f.parent_status = Some(RunStatus::Active);
        assert_eq!(kind(run_start(&f)), ErrorKind::InsufficientPrivilege); // someone else's cycle
        f.may_nest = true;
        run_start(&f).unwrap();
        f.parent_status = Some(RunStatus::Done);
        assert_eq!(kind(run_start(&f)), ErrorKind::Finished);
        f.parent_exists = false;
        assert_eq!(kind(run_start(&f)), ErrorKind::UndefinedObject);
        // A playbook starts runs for the people its rules name, under the run it fired for.
        let mut f = start();
        f.system = true;
        f.starter_is_person = false;
        f.may_assign = false;
        f.parent = Some("run #7".into());
        f.parent_exists = true;
        f.parent_status = Some(RunStatus::Active);
        run_start(&f).unwrap();
    }

    #[test]
    fn a_cancelled_run_cancels_its_open_tasks_and_nothing_else() {
        let mut f = task(TaskStatus::Cancelled);
        f.run_status = RunStatus::Cancelled;
        f.is_owner = false;
        task_transition(&f).unwrap();
        f.to = TaskStatus::Done;
        assert_eq!(kind(task_transition(&f)), ErrorKind::Finished);
    }

    #[test]
    fn immutable_columns() {
        let f = ImmutableFacts { what: "run #1".into(), changed: vec![], hint: "h".into() };
        immutable(&f).unwrap();
        let f =
            ImmutableFacts { what: "run #1".into(), changed: vec!["template_id".into()], hint: "h".into() };
        let e = immutable(&f).unwrap_err();
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::Immutable, "run #1 cannot change template_id"));
    }

    #[test]
    fn cancelling_a_task_needs_the_manager_and_a_reason() {
        let mut f = task(TaskStatus::Cancelled);
        assert_eq!(kind(task_transition(&f)), ErrorKind::InsufficientPrivilege);
        f.may_manage = true;
        assert_eq!(kind(task_transition(&f)), ErrorKind::InvalidParameter);
        f.reason = Some("client churned".into());
        task_transition(&f).unwrap();
    }

    fn decision() -> DecisionFacts {
        DecisionFacts {
            approval: "approval #4 of step \"Plan\"".into(),
            status: ApprovalStatus::Pending,
            required_role: "nps_approver".into(),
            approver: "lead".into(),
            requester: "csm1".into(),
            is_member: true,
            decided_before: false,
            decision: Decision::Approve,
            reason: None,
        }
    }

    #[test]
    fn decisions() {
        decide(&decision()).unwrap();
        let mut f = decision();
        f.is_member = false;
        assert_eq!(kind(decide(&f)), ErrorKind::InsufficientPrivilege);
        let mut f = decision();
        f.approver = "csm1".into();
        assert_eq!(kind(decide(&f)), ErrorKind::SelfApproval);
        let mut f = decision();
        f.status = ApprovalStatus::Approved;
        assert_eq!(kind(decide(&f)), ErrorKind::AlreadyDecided);
        let mut f = decision();
        f.decided_before = true;
        assert_eq!(kind(decide(&f)), ErrorKind::AlreadyDecided);
        let mut f = decision();
        f.decision = Decision::Reject;
        assert_eq!(kind(decide(&f)), ErrorKind::InvalidParameter);
        f.reason = Some("budget missing".into());
        decide(&f).unwrap();
    }

    #[test]
    fn approval_status_follows_decisions() {
        let f = |to, approvals, rejections| ApprovalFacts {
            approval: "approval #4".into(),
            from: ApprovalStatus::Pending,
            to,
            approvals,
            rejections,
            min_approvers: 2,
            may_withdraw: false,
            reason: None,
        };
        assert_eq!(
            kind(approval_transition(&f(ApprovalStatus::Approved, 1, 0))),
            ErrorKind::ApprovalRequired
        );
        approval_transition(&f(ApprovalStatus::Approved, 2, 0)).unwrap();
        assert_eq!(
            kind(approval_transition(&f(ApprovalStatus::Rejected, 2, 0))),
            ErrorKind::ApprovalRequired
        );
        approval_transition(&f(ApprovalStatus::Rejected, 0, 1)).unwrap();
        assert_eq!(
            kind(approval_transition(&f(ApprovalStatus::Withdrawn, 0, 0))),
            ErrorKind::InsufficientPrivilege
        );
        let mut w = f(ApprovalStatus::Withdrawn, 0, 0);
        w.may_withdraw = true;
        assert_eq!(kind(approval_transition(&w)), ErrorKind::InvalidParameter);
        w.reason = Some("plan v2 coming".into());
        approval_transition(&w).unwrap();
        let mut done = f(ApprovalStatus::Pending, 2, 0);
        done.from = ApprovalStatus::Approved;
        assert_eq!(kind(approval_transition(&done)), ErrorKind::AlreadyDecided);
    }

    #[test]
    fn requests_need_a_gate_an_active_step_and_finished_tasks() {
        let f = RequestFacts {
            step: "step \"Plan\"".into(),
            run: "run #1".into(),
            run_status: RunStatus::Active,
            step_status: Active,
            has_approval: true,
            pending_exists: false,
            open_tasks: 0,
            evidence_spec: vec![],
            evidence: Value::Null,
            may_manage: true,
        };
        request_approval(&f).unwrap();
        let mut g = f.clone();
        g.may_manage = false;
        assert_eq!(kind(request_approval(&g)), ErrorKind::InsufficientPrivilege);
        let mut g = f.clone();
        g.open_tasks = 3;
        assert_eq!(kind(request_approval(&g)), ErrorKind::RequirementsUnmet);
        let mut g = f.clone();
        g.pending_exists = true;
        assert_eq!(kind(request_approval(&g)), ErrorKind::ApprovalRequired);
        let mut g = f.clone();
        g.step_status = Pending;
        assert_eq!(kind(request_approval(&g)), ErrorKind::OutOfOrder);
        let mut g = f;
        g.has_approval = false;
        assert_eq!(kind(request_approval(&g)), ErrorKind::ApprovalRequired);
    }

    #[test]
    fn runs_finish_when_their_steps_do_and_cancel_with_a_reason() {
        let f = |to, unfinished, may_manage, reason: Option<&str>| RunFacts {
            run: "run #1".into(),
            from: RunStatus::Active,
            to,
            unfinished_steps: unfinished,
            may_manage,
            owner_changed: false,
            title_changed: false,
            reason: reason.map(String::from),
        };
        run_transition(&f(RunStatus::Done, 0, false, None)).unwrap();
        assert_eq!(kind(run_transition(&f(RunStatus::Done, 1, true, None))), ErrorKind::RequirementsUnmet);
        assert_eq!(
            kind(run_transition(&f(RunStatus::Cancelled, 1, false, Some("x")))),
            ErrorKind::InsufficientPrivilege
        );
        assert_eq!(
            kind(run_transition(&f(RunStatus::Cancelled, 1, true, None))),
            ErrorKind::InvalidParameter
        );
        run_transition(&f(RunStatus::Cancelled, 1, true, Some("client left"))).unwrap();
        let mut g = f(RunStatus::Active, 0, true, None);
        g.from = RunStatus::Done;
        g.to = RunStatus::Cancelled;
        assert_eq!(kind(run_transition(&g)), ErrorKind::Finished);
        // Editing a finished run is refused even without a status change.
        g.to = RunStatus::Done;
        assert_eq!(kind(run_transition(&g)), ErrorKind::Finished);
        run_transition(&f(RunStatus::Active, 3, false, None)).unwrap();
        let mut h = f(RunStatus::Active, 3, false, None);
        h.owner_changed = true;
        let e = run_transition(&h).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InsufficientPrivilege);
        assert_eq!(e.message, "only the owner of run #1 or an nps_admin may hand it to another owner");
        h.may_manage = true;
        run_transition(&h).unwrap();
    }

    #[test]
    fn facts_deserialize_from_the_json_the_triggers_build() {
        let f: StepFacts = serde_json::from_value(json!({
            "step": "step \"A\" (#1)", "run": "run #1", "run_status": "active", "from": "active",
            "to": "awaiting_approval", "checkpoint": false, "skippable": false, "has_approval": true,
            "approval": "pending", "earlier_unfinished": 0, "open_tasks": 0, "evidence_spec": [],
            "evidence": {}, "skip_reason": null, "may_manage": true
        }))
        .unwrap();
        step_transition(&f).unwrap();
        // Fail closed: a fact that is missing or unknown is refused, never defaulted.
        let missing = json!({
            "step": "step \"A\" (#1)", "run": "run #1", "run_status": "active", "from": "active",
            "to": "awaiting_approval", "checkpoint": false, "skippable": false, "has_approval": true,
            "approval": "pending", "earlier_unfinished": 0, "open_tasks": 0, "evidence_spec": [],
            "evidence": {}, "may_manage": true
        });
        assert!(serde_json::from_value::<StepFacts>(missing.clone()).is_err());
        let mut extra = missing;
        extra["skip_reason"] = Value::Null;
        extra["is_admin"] = json!(true);
        assert!(serde_json::from_value::<StepFacts>(extra).is_err());
    }
}
