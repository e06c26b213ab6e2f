//! `nps._drop_guard()`: the event trigger that stops `DROP EXTENSION pg_nps` (and `DROP OWNED BY`
//! its owner) from silently discarding the audit trail with the extension. While entries exist,
//! the drop is refused unless the session confirmed it: `SET nps.drop_audit_trail = 'discard'`.
//! The confirmation is not a permission (only the extension's owner or a superuser can drop it at
//! all); it makes the loss of the trail a decision someone typed.

use std::ffi::CStr;

use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys::{self, Datum};

use crate::backend::{nps_relation, owner_of, setting, AsOwner};
use crate::error::report;
use crate::fmgr::pg_v1;
use crate::spi::{self, KeptPlan};

static ENTRIES: KeptPlan = KeptPlan::new("SELECT count(*) FROM nps.audit_log", &[]);

/// The names a `DROP EXTENSION` names.
unsafe fn dropped_extensions(stmt: *mut pg_sys::DropStmt) -> Vec<Vec<u8>> {
    unsafe {
        let mut names = Vec::new();
        if (*stmt).removeType != pg_sys::ObjectType::OBJECT_EXTENSION {
            return names;
        }
        let list = (*stmt).objects;
        if list.is_null() {
            return names;
        }
        for i in 0..(*list).length {
            let cell = (*list).elements.add(i as usize);
            let node = (*cell).ptr_value as *mut pg_sys::Node;
            if let Some(name) = string_node(node) {
                names.push(name);
            }
        }
        names
    }
}

#[cfg(not(any(feature = "pg13", feature = "pg14")))]
unsafe fn string_node(node: *mut pg_sys::Node) -> Option<Vec<u8>> {
    unsafe {
        if node.is_null() || (*node).type_ != pg_sys::NodeTag::T_String {
            return None;
        }
        let s = node as *mut pg_sys::String;
        (!(*s).sval.is_null()).then(|| CStr::from_ptr((*s).sval).to_bytes().to_vec())
    }
}

#[cfg(any(feature = "pg13", feature = "pg14"))]
unsafe fn string_node(node: *mut pg_sys::Node) -> Option<Vec<u8>> {
    unsafe {
        if node.is_null() || (*node).type_ != pg_sys::NodeTag::T_String {
            return None;
        }
        let v = node as *mut pg_sys::Value;
        let s = (*v).val.str_;
        (!s.is_null()).then(|| CStr::from_ptr(s).to_bytes().to_vec())
    }
}

/// Whether a `DROP OWNED BY` names the owner of pg_nps.
unsafe fn drops_owner(stmt: *mut pg_sys::DropOwnedStmt) -> bool {
    unsafe {
        let ext = pg_sys::get_extension_oid(c"pg_nps".as_ptr(), true);
        if ext == pg_sys::Oid::INVALID {
            return false;
        }
        let owner = owner_of(c"audit_log");
        let list = (*stmt).roles;
        if list.is_null() {
            return false;
        }
        (0..(*list).length).any(|i| {
            let cell = (*list).elements.add(i as usize);
            let spec = (*cell).ptr_value as *const pg_sys::RoleSpec;
            pg_sys::get_rolespec_oid(spec, true) == owner
        })
    }
}

pg_v1! {
    /// The event trigger (ddl_command_start, DROP EXTENSION and DROP OWNED).
    fn nps_drop_guard, pg_finfo_nps_drop_guard, |fcinfo| {
        unsafe {
            let ctx = (*fcinfo).context;
            if ctx.is_null() || (*ctx).type_ != pg_sys::NodeTag::T_EventTriggerData {
                report(NpsError::new(
                    ErrorKind::InvalidParameter,
                    "nps._drop_guard() was not called as an event trigger",
                    "It guards DROP EXTENSION pg_nps; nothing else calls it.",
                ));
            }
            let data = ctx as *mut pg_sys::EventTriggerData;
            let tree = (*data).parsetree;
            let drops_trail = if tree.is_null() {
                false
            } else if (*tree).type_ == pg_sys::NodeTag::T_DropStmt {
                dropped_extensions(tree.cast()).iter().any(|n| n == b"pg_nps")
            } else if (*tree).type_ == pg_sys::NodeTag::T_DropOwnedStmt {
                drops_owner(tree.cast())
            } else {
                false
            };
            if !drops_trail || nps_relation(c"audit_log") == pg_sys::Oid::INVALID {
                return Datum::from(0usize);
            }
            if setting(c"nps.drop_audit_trail").as_deref() == Some(b"discard".as_slice()) {
                return Datum::from(0usize);
            }
            let entries = {
                let _spi = spi::Connection::open();
                let _owner = AsOwner::enter(owner_of(c"audit_log"));
                spi::execute(&ENTRIES, &[], true);
                let n = spi::row(0).int8(1).unwrap_or(0);
                spi::free_result();
                n
            };
            if entries > 0 {
                report(NpsError::new(
                    ErrorKind::AppendOnly,
                    format!("dropping pg_nps would discard its audit trail of {entries} entries"),
                    "Keep the trail first (pg_dump the database, or at least nps.audit_log with nps.audit_heads()); then, in the same session, SET nps.drop_audit_trail = 'discard' and drop again.",
                ));
            }
            Datum::from(0usize)
        }
    }
}
