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
}

impl ErrorKind {
    /// The SQLSTATE for this class, as its five characters.
    pub fn sqlstate(self) -> &'static str {
        match self {
            ErrorKind::OutOfRange => "22003",
            ErrorKind::InvalidParameter => "22023",
            ErrorKind::InvalidText => "22P02",
            ErrorKind::InvalidBinary => "22P03",
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
