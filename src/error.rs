//! Raising errors: the core's [`NpsError`] becomes a Postgres error with the SQLSTATE of its class,
//! its message and its hint.

use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys::errcodes::PgSqlErrorCode;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::PgLogLevel;

fn sqlstate(kind: ErrorKind) -> PgSqlErrorCode {
    match kind {
        ErrorKind::OutOfRange => PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        ErrorKind::InvalidParameter => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        ErrorKind::InvalidText => PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
        ErrorKind::InvalidBinary => PgSqlErrorCode::ERRCODE_INVALID_BINARY_REPRESENTATION,
    }
}

/// Report `err` at ERROR level. Must run inside a pgrx guard (every function made by `pg_v1!`
/// is); use [`raise_unguarded`] from the unguarded hot paths.
pub fn report(err: NpsError) -> ! {
    let NpsError { kind, message, hint } = err;
    ErrorReport::new(sqlstate(kind), message, "pg_nps").set_hint(hint).report(PgLogLevel::ERROR);
    unreachable!("ERROR-level reports do not return")
}

/// Report an error of any code with a hint (inside a guard).
pub fn report_code(code: PgSqlErrorCode, message: String, hint: &str) -> ! {
    ErrorReport::new(code, message, "pg_nps").set_hint(hint).report(PgLogLevel::ERROR);
    unreachable!("ERROR-level reports do not return")
}

/// Unwrap a core result inside a guard, raising its error.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T, NpsError> {
    #[inline]
    fn or_raise(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => report(e),
        }
    }
}

/// Raise `err` from code that runs without a pgrx guard (the per-row transition functions, which
/// keep the guard off their hot path). Sets up a guard just for the report; Postgres then unwinds
/// by longjmp over the caller, which holds nothing that needs dropping.
#[cold]
#[inline(never)]
pub fn raise_unguarded(err: NpsError) -> ! {
    // SAFETY: called on the backend's main thread from a function Postgres called.
    unsafe { pgrx::pg_sys::panic::pgrx_extern_c_guard(move || report(err)) }
}
