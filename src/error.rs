//! Raising errors: the core's [`NpsError`] becomes a Postgres error with the SQLSTATE of its class,
//! its message and its hint.

use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys::errcodes::PgSqlErrorCode;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::PgLogLevel;

/// The pgrx code of a standard SQLSTATE; `None` for pg_nps' own `P0Nxx` codes, which pgrx's
/// error type cannot carry.
fn standard_sqlstate(kind: ErrorKind) -> Option<PgSqlErrorCode> {
    Some(match kind {
        ErrorKind::OutOfRange => PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        ErrorKind::InvalidParameter => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        ErrorKind::InvalidText => PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
        ErrorKind::InvalidBinary => PgSqlErrorCode::ERRCODE_INVALID_BINARY_REPRESENTATION,
        ErrorKind::UndefinedObject => PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
        ErrorKind::InsufficientPrivilege => PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
        ErrorKind::InvalidTableDefinition => PgSqlErrorCode::ERRCODE_INVALID_TABLE_DEFINITION,
        _ => return None,
    })
}

/// Report `err` at ERROR level. Must run inside a function made by `pg_v1!`: standard codes
/// go through pgrx's error report; pg_nps' own codes unwind as the `NpsError` itself, which the
/// `pg_v1!` frame catches and raises with [`ereport_custom`] once everything is dropped.
/// Use [`raise_unguarded`] from the unguarded hot paths.
pub fn report(err: NpsError) -> ! {
    match standard_sqlstate(err.kind) {
        Some(code) => {
            let NpsError { message, hint, .. } = err;
            ErrorReport::new(code, message, "pg_nps").set_hint(hint).report(PgLogLevel::ERROR);
            unreachable!("ERROR-level reports do not return")
        }
        None => std::panic::panic_any(err),
    }
}

/// Run `f`, turning an `NpsError` unwinding out of it into `Err`; any other panic keeps unwinding
/// to the pgrx guard around it.
pub fn catch_nps<T>(f: impl FnOnce() -> T) -> Result<T, NpsError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => Ok(v),
        Err(payload) => match payload.downcast::<NpsError>() {
            Ok(e) => Err(*e),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

mod elog {
    use std::ffi::{c_char, c_int};
    extern "C-unwind" {
        pub fn errstart(elevel: c_int, domain: *const c_char) -> bool;
        pub fn errcode(sqlerrcode: c_int) -> c_int;
        pub fn errmsg(fmt: *const c_char, ...) -> c_int;
        pub fn errhint(fmt: *const c_char, ...) -> c_int;
        pub fn errfinish(filename: *const c_char, lineno: c_int, funcname: *const c_char);
    }
}

/// Postgres' MAKE_SQLSTATE: five characters packed six bits each.
fn make_sqlstate(code: &str) -> i32 {
    code.bytes()
        .take(5)
        .enumerate()
        .fold(0, |acc, (i, b)| acc | ((i32::from(b.wrapping_sub(b'0')) & 0x3F) << (6 * i)))
}

/// Copy `s` into a palloc'd C string (freed with the error context; nothing to drop in Rust).
unsafe fn pstrdup(s: &str) -> *const std::ffi::c_char {
    unsafe {
        let p = pgrx::pg_sys::palloc(s.len() + 1) as *mut u8;
        std::ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
        *p.add(s.len()) = 0;
        p as *const std::ffi::c_char
    }
}

/// Raise `err` with its own SQLSTATE. Call only from the outermost frame of a V1 function, with
/// nothing left to drop: Postgres longjmps out of here.
///
/// # Safety
/// Backend thread, inside a function Postgres called, no live Rust values needing drop above.
pub unsafe fn ereport_custom(err: NpsError) -> ! {
    unsafe {
        let code = make_sqlstate(err.kind.sqlstate());
        let msg = pstrdup(&err.message);
        let hint = pstrdup(&err.hint);
        drop(err);
        const PERCENT_S: &std::ffi::CStr = c"%s";
        if elog::errstart(pgrx::pg_sys::PGERROR as _, std::ptr::null()) {
            elog::errcode(code);
            elog::errmsg(PERCENT_S.as_ptr(), msg);
            elog::errhint(PERCENT_S.as_ptr(), hint);
            elog::errfinish(c"pg_nps".as_ptr(), 0, std::ptr::null());
        }
        unreachable!("ERROR-level reports do not return")
    }
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
