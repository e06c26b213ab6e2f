//! Errors carry a class (mapped to a SQLSTATE by the extension), a message naming the offending
//! value, and a hint saying what to do instead.

use std::fmt;

/// The class of an error. The extension maps each class to exactly one SQLSTATE
/// (see `docs/errors.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A numeric value outside its domain, e.g. a score of 11 (SQLSTATE 22003).
    OutOfRange,
    /// A parameter that makes no sense, e.g. bands 6/6, a confidence level of 1.5 (SQLSTATE 22023).
    InvalidParameter,
    /// Text that does not parse as the type's text form (SQLSTATE 22P02).
    InvalidText,
    /// Bytes that do not decode as the type's binary form (SQLSTATE 22P03).
    InvalidBinary,
    /// A name that refers to nothing: template, run, step, task, approval, role (SQLSTATE 42704).
    UndefinedObject,
    /// The acting role lacks the membership or ownership a rule demands (SQLSTATE 42501).
    InsufficientPrivilege,
    /// A table lacks what a feature needs, e.g. an audited table without a primary key
    /// (SQLSTATE 42P16).
    InvalidTableDefinition,
    /// Skipping a checkpoint, an approval gate or a step not marked skippable (SQLSTATE P0N01).
    NotSkippable,
    /// A transition the state machine does not allow from the current state, e.g. completing a step
    /// before the earlier ones finished (SQLSTATE P0N02).
    OutOfOrder,
    /// A completion whose requirements are not met: open tasks, missing evidence, missing or
    /// mistyped required fields (SQLSTATE P0N03).
    RequirementsUnmet,
    /// Completing an approval-gated step without a granted approval, or requesting an approval
    /// where none is needed or one is already pending (SQLSTATE P0N04).
    ApprovalRequired,
    /// The requester of an approval deciding it (SQLSTATE P0N05).
    SelfApproval,
    /// A decision on an approval already decided, or a second decision by the same approver
    /// (SQLSTATE P0N06).
    AlreadyDecided,
    /// A change to something in a terminal state: a finished or cancelled run, a done or skipped
    /// step, a done or cancelled task (SQLSTATE P0N07).
    Finished,
    /// A template definition that does not validate; the message names the JSON path
    /// (SQLSTATE P0N08).
    InvalidTemplate,
    /// A change to what may not change: a template version in use, the structure of a run
    /// (SQLSTATE P0N09).
    Immutable,
    /// A change to the audit trail other than its capture path appending to it: UPDATE, DELETE
    /// or TRUNCATE of an audit entry, a direct INSERT (SQLSTATE P0N10).
    AppendOnly,
    /// A survey response outside its cycle's window, or after the cycle's intake closed
    /// (SQLSTATE P0N11).
    OutsideWindow,
}

impl ErrorKind {
    /// The SQLSTATE for this class, as its five characters.
    pub fn sqlstate(self) -> &'static str {
        match self {
            ErrorKind::OutOfRange => "22003",
            ErrorKind::InvalidParameter => "22023",
            ErrorKind::InvalidText => "22P02",
            ErrorKind::InvalidBinary => "22P03",
            ErrorKind::UndefinedObject => "42704",
            ErrorKind::InsufficientPrivilege => "42501",
            ErrorKind::InvalidTableDefinition => "42P16",
            ErrorKind::NotSkippable => "P0N01",
            ErrorKind::OutOfOrder => "P0N02",
            ErrorKind::RequirementsUnmet => "P0N03",
            ErrorKind::ApprovalRequired => "P0N04",
            ErrorKind::SelfApproval => "P0N05",
            ErrorKind::AlreadyDecided => "P0N06",
            ErrorKind::Finished => "P0N07",
            ErrorKind::InvalidTemplate => "P0N08",
            ErrorKind::Immutable => "P0N09",
            ErrorKind::AppendOnly => "P0N10",
            ErrorKind::OutsideWindow => "P0N11",
        }
    }
}

/// An error with a message that names the value and a hint that names the way forward.
#[derive(Debug, Clone, PartialEq)]
pub struct NpsError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: String,
}

impl NpsError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, hint: impl Into<String>) -> Self {
        NpsError { kind, message: message.into(), hint: hint.into() }
    }
}

impl fmt::Display for NpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (SQLSTATE {}; hint: {})", self.message, self.kind.sqlstate(), self.hint)
    }
}

impl std::error::Error for NpsError {}

pub type Result<T> = std::result::Result<T, NpsError>;
