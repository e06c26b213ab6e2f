//! Errors carry a class (mapped to a SQLSTATE by the extension), a message naming the offending
//! value, and a hint saying what to do instead.

use std::fmt;

/// The class of an error. The extension maps each class to exactly one SQLSTATE
/// (see `docs/errors.md`). pg_nps' own rule classes sit in SQLSTATE class `NP`, which is the
/// extension's alone (before 0.3.0 they were `P0Nxx`, inside PL/pgSQL's class `P0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A numeric value outside its domain, e.g. a score of 11 (SQLSTATE 22003).
    OutOfRange,
    /// A parameter that makes no sense, e.g. bands 6/6, a confidence level of 1.5 (SQLSTATE 22023).
    InvalidParameter,
    /// A value longer than its documented limit; the message names the limit (SQLSTATE 22001).
    TooLong,
    /// A value that must be given is NULL or blank (SQLSTATE 22004).
    NullValue,
    /// A date or time computed out of range, e.g. an SLA due date past the year 294276
    /// (SQLSTATE 22008).
    DatetimeOverflow,
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
    /// A transaction whose snapshot missed work committed concurrently at a gate; retrying it
    /// succeeds or refuses with what it then sees (SQLSTATE 40001).
    SerializationFailure,
    /// An object not in the state the operation needs, outside the workflow's own state
    /// machines, e.g. an outbox message another sender holds (SQLSTATE 55000).
    NotInPrerequisiteState,
    /// Skipping a checkpoint, an approval gate or a step not marked skippable (SQLSTATE NP001).
    NotSkippable,
    /// A transition the state machine does not allow from the current state, e.g. completing a step
    /// before the earlier ones finished (SQLSTATE NP002).
    OutOfOrder,
    /// A completion whose requirements are not met: open tasks, missing evidence, missing or
    /// mistyped required fields (SQLSTATE NP003).
    RequirementsUnmet,
    /// Completing an approval-gated step without a granted approval, or requesting an approval
    /// where none is needed or one is already pending (SQLSTATE NP004).
    ApprovalRequired,
    /// The requester of an approval deciding it (SQLSTATE NP005).
    SelfApproval,
    /// A decision on an approval already decided, or a second decision by the same approver
    /// (SQLSTATE NP006).
    AlreadyDecided,
    /// A change to something in a terminal state: a finished or cancelled run, a done or skipped
    /// step, a done or cancelled task (SQLSTATE NP007).
    Finished,
    /// A template definition that does not validate; the message names the JSON path
    /// (SQLSTATE NP008).
    InvalidTemplate,
    /// A change to what may not change: a template version in use, the structure of a run
    /// (SQLSTATE NP009).
    Immutable,
    /// A change to the audit trail other than its capture path appending to it: UPDATE, DELETE
    /// or TRUNCATE of an audit entry, a direct INSERT (SQLSTATE NP010).
    AppendOnly,
    /// A survey response outside its cycle's window, or after the cycle's intake closed
    /// (SQLSTATE NP011).
    OutsideWindow,
    /// Acting without being a person: as a capability role (`SET ROLE nps_approver`), as a role
    /// that is not registered in `nps.people`, as an inactive person, as one person from another
    /// person's session, or as an application that names no person (SQLSTATE NP012).
    NotAPerson,
}

impl ErrorKind {
    /// Every class, for tests and the documentation's table.
    pub const ALL: [ErrorKind; 24] = [
        ErrorKind::OutOfRange,
        ErrorKind::InvalidParameter,
        ErrorKind::TooLong,
        ErrorKind::NullValue,
        ErrorKind::DatetimeOverflow,
        ErrorKind::InvalidText,
        ErrorKind::InvalidBinary,
        ErrorKind::UndefinedObject,
        ErrorKind::InsufficientPrivilege,
        ErrorKind::InvalidTableDefinition,
        ErrorKind::SerializationFailure,
        ErrorKind::NotInPrerequisiteState,
        ErrorKind::NotSkippable,
        ErrorKind::OutOfOrder,
        ErrorKind::RequirementsUnmet,
        ErrorKind::ApprovalRequired,
        ErrorKind::SelfApproval,
        ErrorKind::AlreadyDecided,
        ErrorKind::Finished,
        ErrorKind::InvalidTemplate,
        ErrorKind::Immutable,
        ErrorKind::AppendOnly,
        ErrorKind::OutsideWindow,
        ErrorKind::NotAPerson,
    ];

    /// Whether the class is one of pg_nps' own rule classes (SQLSTATE class `NP`).
    pub fn is_own(self) -> bool {
        self.sqlstate().starts_with("NP")
    }

    /// The SQLSTATE for this class, as its five characters.
    pub fn sqlstate(self) -> &'static str {
        match self {
            ErrorKind::OutOfRange => "22003",
            ErrorKind::InvalidParameter => "22023",
            ErrorKind::TooLong => "22001",
            ErrorKind::NullValue => "22004",
            ErrorKind::DatetimeOverflow => "22008",
            ErrorKind::InvalidText => "22P02",
            ErrorKind::InvalidBinary => "22P03",
            ErrorKind::UndefinedObject => "42704",
            ErrorKind::InsufficientPrivilege => "42501",
            ErrorKind::InvalidTableDefinition => "42P16",
            ErrorKind::SerializationFailure => "40001",
            ErrorKind::NotInPrerequisiteState => "55000",
            ErrorKind::NotSkippable => "NP001",
            ErrorKind::OutOfOrder => "NP002",
            ErrorKind::RequirementsUnmet => "NP003",
            ErrorKind::ApprovalRequired => "NP004",
            ErrorKind::SelfApproval => "NP005",
            ErrorKind::AlreadyDecided => "NP006",
            ErrorKind::Finished => "NP007",
            ErrorKind::InvalidTemplate => "NP008",
            ErrorKind::Immutable => "NP009",
            ErrorKind::AppendOnly => "NP010",
            ErrorKind::OutsideWindow => "NP011",
            ErrorKind::NotAPerson => "NP012",
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

/// For `#[serde(deserialize_with = "crate::error::required")]` on an `Option` field of a decision's
/// facts: the field must be present (as `null` when absent), so a fact the SQL side forgot to
/// gather is a parse error instead of a silent `None`.
pub fn required<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_own_sqlstate() {
        let mut seen = std::collections::HashSet::new();
        for k in ErrorKind::ALL {
            assert!(seen.insert(k.sqlstate()), "{k:?} shares {}", k.sqlstate());
            assert_eq!(k.sqlstate().len(), 5);
        }
    }

    #[test]
    fn own_codes_sit_in_class_np_and_nowhere_in_plpgsql_class() {
        let own: Vec<_> = ErrorKind::ALL.iter().filter(|k| k.is_own()).map(|k| k.sqlstate()).collect();
        assert_eq!(own.len(), 12);
        for (i, code) in own.iter().enumerate() {
            assert_eq!(*code, format!("NP{:03}", i + 1));
        }
        assert!(ErrorKind::ALL.iter().all(|k| !k.sqlstate().starts_with("P0")));
    }
}
