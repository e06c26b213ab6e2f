//! Scopes: backend state that says "the extension's own code is writing this now", for the guards
//! of tables that both clients and the extension write (a run's steps are created only by its
//! instantiation; a snapshot only by its segmentation). SQL cannot set them: entering a scope is
//! executable by the extension's owner only, so only its SECURITY DEFINER code enters one, and a
//! scope ends with the (sub)transaction that opened it, whatever happens in between.

use std::cell::{Cell, RefCell};

use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys::{self, Datum};

use crate::error::report;
use crate::fmgr::{arg, pg_v1, text};

struct Entry {
    kind: String,
    key: i64,
    subxact: pg_sys::SubTransactionId,
}

thread_local! {
    static OPEN: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
}

fn watch() {
    if !REGISTERED.with(Cell::get) {
        // SAFETY: plain registration of functions with the signatures Postgres expects.
        unsafe {
            pg_sys::RegisterXactCallback(Some(on_xact), std::ptr::null_mut());
            pg_sys::RegisterSubXactCallback(Some(on_subxact), std::ptr::null_mut());
        }
        REGISTERED.with(|r| r.set(true));
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_xact(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
    if crate::backend::ends_transaction(event) {
        OPEN.with(|o| o.borrow_mut().clear());
    }
}

/// A subtransaction that rolls back takes the scopes it (or any subtransaction inside it) opened.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_subxact(
    event: pg_sys::SubXactEvent::Type,
    my: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
        OPEN.with(|o| o.borrow_mut().retain(|e| e.subxact < my));
    }
}

unsafe fn kind_key(fcinfo: pg_sys::FunctionCallInfo) -> (String, i64) {
    unsafe { (text(fcinfo, 0).to_owned(), arg(fcinfo, 1).value.value() as i64) }
}

pg_v1! {
    /// `nps._scope_enter(kind text, key bigint)`: open a scope (owner only).
    fn nps_scope_enter, pg_finfo_nps_scope_enter, |fcinfo| {
        watch();
        let (kind, key) = unsafe { kind_key(fcinfo) };
        let subxact = unsafe { pg_sys::GetCurrentSubTransactionId() };
        OPEN.with(|o| o.borrow_mut().push(Entry { kind, key, subxact }));
        Datum::from(0usize)
    }
}

pg_v1! {
    /// `nps._scope_leave(kind text, key bigint)`: close the innermost scope of that kind and key.
    fn nps_scope_leave, pg_finfo_nps_scope_leave, |fcinfo| {
        let (kind, key) = unsafe { kind_key(fcinfo) };
        let closed = OPEN.with(|o| {
            let mut o = o.borrow_mut();
            match o.iter().rposition(|e| e.kind == kind && e.key == key) {
                Some(i) => {
                    o.remove(i);
                    true
                }
                None => false,
            }
        });
        if !closed {
            report(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("no scope {kind} {key} is open"),
                "nps._scope_leave closes what nps._scope_enter opened in the same transaction; this is a bug, please report it.",
            ));
        }
        Datum::from(0usize)
    }
}

pg_v1! {
    /// `nps._in_scope(kind text, key bigint) returns boolean`.
    fn nps_in_scope, pg_finfo_nps_in_scope, |fcinfo| {
        let (kind, key) = unsafe { kind_key(fcinfo) };
        let open = OPEN.with(|o| o.borrow().iter().any(|e| e.kind == kind && e.key == key));
        Datum::from(open)
    }
}

pg_v1! {
    /// `nps._count_latest(query text, arg bigint) returns bigint`: a count query run with the
    /// latest snapshot instead of the transaction's, so that a gate closing under REPEATABLE READ
    /// can tell that work committed while it waited is missing from its own snapshot (as
    /// Postgres' foreign-key checks do). Executable by the extension's owner only.
    fn nps_count_latest, pg_finfo_nps_count_latest, |fcinfo| {
        let sql = std::ffi::CString::new(unsafe { text(fcinfo, 0) }).unwrap_or_else(|_| {
            report(NpsError::new(ErrorKind::InvalidParameter, "the query holds a NUL byte", "Pass a count query."))
        });
        let key = unsafe { arg(fcinfo, 1) }.value;
        let count = unsafe {
            let _spi = crate::spi::Connection::open();
            let mut types = [pg_sys::INT8OID];
            let plan = pg_sys::SPI_prepare(sql.as_ptr(), 1, types.as_mut_ptr());
            if plan.is_null() {
                report(NpsError::new(ErrorKind::InvalidParameter, "the count query does not prepare", "Pass a count query with one bigint parameter."));
            }
            pg_sys::CommandCounterIncrement();
            let mut values = [key];
            let nulls = [b' ' as std::ffi::c_char];
            let rc = pg_sys::SPI_execute_snapshot(
                plan,
                values.as_mut_ptr(),
                nulls.as_ptr(),
                pg_sys::GetLatestSnapshot(),
                std::ptr::null_mut(),
                true,
                false,
                1,
            );
            if rc != pg_sys::SPI_OK_SELECT as i32 || pg_sys::SPI_processed != 1 {
                report(NpsError::new(ErrorKind::InvalidParameter, "the count query returned no row", "Pass a count query."));
            }
            let n = crate::spi::row(0).int8(1).unwrap_or(0);
            pg_sys::SPI_freeplan(plan);
            n
        };
        Datum::from(count)
    }
}
