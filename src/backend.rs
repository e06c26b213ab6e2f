//! Backend state the glue reads and sets, shared by the modules: the trigger call's data, names
//! of relations and roles, settings, and running a few statements as the extension's owner with
//! `search_path` pinned.

use std::ffi::CStr;

use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys::{self, Datum, Oid};

use crate::error::report;

/// Whether a transaction callback's event ends the transaction (commit, abort or prepare, in a
/// parallel worker too): the moment backend state kept for one transaction is forgotten.
pub fn ends_transaction(event: pg_sys::XactEvent::Type) -> bool {
    matches!(
        event,
        pg_sys::XactEvent::XACT_EVENT_COMMIT
            | pg_sys::XactEvent::XACT_EVENT_ABORT
            | pg_sys::XactEvent::XACT_EVENT_PARALLEL_COMMIT
            | pg_sys::XactEvent::XACT_EVENT_PARALLEL_ABORT
            | pg_sys::XactEvent::XACT_EVENT_PREPARE
    )
}

/// The trigger call's data, after checking the function was called as a trigger.
///
/// # Safety
/// Inside a guarded function Postgres called with `fcinfo`.
pub unsafe fn trigger_data(fcinfo: pg_sys::FunctionCallInfo, what: &str) -> *mut pg_sys::TriggerData {
    unsafe {
        let ctx = (*fcinfo).context;
        if ctx.is_null() || (*ctx).type_ != pg_sys::NodeTag::T_TriggerData {
            report(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("{what} was not called as a trigger"),
                "It is a trigger function of pg_nps' own tables; it cannot be called or attached elsewhere.",
            ));
        }
        ctx.cast()
    }
}

/// `schema.table` of a relation.
///
/// # Safety
/// `rel` is an open relation.
pub unsafe fn relation_name(rel: pg_sys::Relation) -> Vec<u8> {
    unsafe {
        let form = (*rel).rd_rel;
        let nsp = pg_sys::get_namespace_name((*form).relnamespace);
        let mut name = if nsp.is_null() { Vec::new() } else { CStr::from_ptr(nsp).to_bytes().to_vec() };
        name.push(b'.');
        name.extend_from_slice(CStr::from_ptr((*form).relname.data.as_ptr()).to_bytes());
        name
    }
}

/// The role name of `oid` (its number when the role is gone).
///
/// # Safety
/// Backend thread.
pub unsafe fn role_name(oid: Oid) -> Vec<u8> {
    unsafe {
        let p = pg_sys::GetUserNameFromId(oid, true);
        if p.is_null() {
            format!("{}", oid.to_u32()).into_bytes()
        } else {
            CStr::from_ptr(p).to_bytes().to_vec()
        }
    }
}

/// A setting's value, `None` when unset or empty.
///
/// # Safety
/// Backend thread.
pub unsafe fn setting(name: &CStr) -> Option<Vec<u8>> {
    unsafe {
        let p = pg_sys::GetConfigOption(name.as_ptr(), true, false);
        (!p.is_null()).then(|| CStr::from_ptr(p).to_bytes().to_vec()).filter(|v| !v.is_empty())
    }
}

/// The oid of relation `nps.<name>`, or `Oid::INVALID` when it (or the schema) does not exist.
///
/// # Safety
/// Backend thread, in a transaction.
pub unsafe fn nps_relation(name: &CStr) -> Oid {
    unsafe {
        let nsp = pg_sys::get_namespace_oid(c"nps".as_ptr(), true);
        if nsp == Oid::INVALID {
            return Oid::INVALID;
        }
        pg_sys::get_relname_relid(name.as_ptr(), nsp)
    }
}

/// The owner of relation `nps.<name>`: the extension's owner, as whom the glue reads and writes
/// what no caller may touch directly.
///
/// # Safety
/// Backend thread, in a transaction.
pub unsafe fn owner_of(name: &CStr) -> Oid {
    unsafe {
        let rel = nps_relation(name);
        let tuple = pg_sys::SearchSysCache1(pg_sys::SysCacheIdentifier::RELOID as i32, Datum::from(rel));
        if tuple.is_null() {
            report(NpsError::new(
                ErrorKind::UndefinedObject,
                format!("relation nps.{} does not exist", name.to_string_lossy()),
                "Reinstall the extension: DROP EXTENSION pg_nps; CREATE EXTENSION pg_nps.",
            ));
        }
        let owner = (*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_class>(tuple)).relowner;
        pg_sys::ReleaseSysCache(tuple);
        owner
    }
}

/// While alive: settings changed in a GUC nest level of their own, as a function's `SET`
/// clause does. An error unwinding through it leaves the restoring to the (sub)transaction
/// abort, which resets the nest level.
pub struct GucScope {
    nest: i32,
}

impl GucScope {
    /// # Safety
    /// Backend thread, in a transaction.
    pub unsafe fn enter(settings: &[(&CStr, &CStr)]) -> GucScope {
        unsafe {
            let nest = pg_sys::NewGUCNestLevel();
            for (name, value) in settings {
                pg_sys::set_config_option(
                    name.as_ptr(),
                    value.as_ptr(),
                    pg_sys::GucContext::PGC_USERSET,
                    pg_sys::GucSource::PGC_S_SESSION,
                    pg_sys::GucAction::GUC_ACTION_SAVE,
                    true,
                    0,
                    false,
                );
            }
            GucScope { nest }
        }
    }
}

impl Drop for GucScope {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            // SAFETY: closes the nest level `enter` opened.
            unsafe { pg_sys::AtEOXact_GUC(true, self.nest) };
        }
    }
}

/// While alive: running as `owner`, in a security-restricted operation, with `search_path`
/// pinned to `pg_catalog, pg_temp`, so that a caller's search path cannot redirect what runs with
/// the owner's rights. An error unwinding through it leaves the restoring to the
/// (sub)transaction abort, which resets both.
pub struct AsOwner {
    user: Oid,
    sec: i32,
    path: Option<GucScope>,
}

thread_local! {
    /// For each `AsOwner` alive, outermost first: whether the code that entered it already ran
    /// inside a security-restricted operation.
    static OWNER_FRAMES: std::cell::RefCell<Vec<bool>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Forget every `AsOwner` frame: at the end of a transaction none is alive.
pub fn forget_owner_frames() {
    OWNER_FRAMES.with(|f| f.borrow_mut().clear());
}

/// Whether this backend is running maintenance code: a security-restricted operation Postgres
/// started (VACUUM, ANALYZE, CREATE INDEX, REFRESH MATERIALIZED VIEW …), not the restricted
/// frames `AsOwner` opens for pg_nps' own queries.
pub fn in_maintenance() -> bool {
    OWNER_FRAMES
        .with(|f| f.borrow().first().copied())
        // SAFETY: reads the backend's security context.
        .unwrap_or_else(|| unsafe { pg_sys::InSecurityRestrictedOperation() })
}

impl AsOwner {
    /// # Safety
    /// Backend thread, in a transaction.
    pub unsafe fn enter(owner: Oid) -> AsOwner {
        unsafe {
            let mut user = Oid::INVALID;
            let mut sec = 0;
            pg_sys::GetUserIdAndSecContext(&mut user, &mut sec);
            let restricted = sec & pg_sys::SECURITY_RESTRICTED_OPERATION as i32 != 0;
            OWNER_FRAMES.with(|f| f.borrow_mut().push(restricted));
            pg_sys::SetUserIdAndSecContext(
                owner,
                sec | (pg_sys::SECURITY_LOCAL_USERID_CHANGE | pg_sys::SECURITY_RESTRICTED_OPERATION) as i32,
            );
            let path = GucScope::enter(&[(c"search_path", c"pg_catalog, pg_temp")]);
            AsOwner { user, sec, path: Some(path) }
        }
    }
}

impl Drop for AsOwner {
    fn drop(&mut self) {
        // Undo what `enter` did, in reverse order: the search path, then the user.
        drop(self.path.take());
        OWNER_FRAMES.with(|f| f.borrow_mut().pop());
        if !std::thread::panicking() {
            // SAFETY: restores the user and context `enter` saved.
            unsafe { pg_sys::SetUserIdAndSecContext(self.user, self.sec) };
        }
    }
}
