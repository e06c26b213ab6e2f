//! Whether a reference field's value names a row: asked as the role acting, never as the owner.
//!
//! The tasks guard runs as the extension's owner, but the table a reference points into is the
//! template author's and its key's type (its cast to text, its equality) may run code of whoever
//! created it. Asked as the owner, that code would run with the owner's rights, and the row
//! would count even where the person acting could not see it. Asked as the outer role (the
//! person's own rights, their row-level security, in a security-restricted frame), it is what
//! they could have looked up themselves.

use std::ffi::{CStr, CString};

use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys::{self, Datum, Oid};

use crate::backend::AsOwner;
use crate::error::report;
use crate::fmgr::{arg, pg_v1, text};

/// `schema.table` of `rel`, each part quoted; `None` when the relation is gone.
unsafe fn quoted_relation(rel: Oid) -> Option<String> {
    unsafe {
        let name = pg_sys::get_rel_name(rel);
        if name.is_null() {
            return None;
        }
        let nsp = pg_sys::get_namespace_name(pg_sys::get_rel_namespace(rel));
        if nsp.is_null() {
            return None;
        }
        Some(format!("{}.{}", quoted(nsp), quoted(name)))
    }
}

unsafe fn quoted(name: *const std::ffi::c_char) -> String {
    unsafe { CStr::from_ptr(pg_sys::quote_identifier(name)).to_string_lossy().into_owned() }
}

pg_v1! {
    /// `nps._exists_as_caller(rel regclass, key_column text, key text) returns boolean`: whether
    /// `rel` has a row whose `key_column`, as text, is `key`, asked as the outer role.
    fn nps_exists_as_caller, pg_finfo_nps_exists_as_caller, |fcinfo| {
        let rel = Oid::from(unsafe { arg(fcinfo, 0) }.value.value() as u32);
        let column = CString::new(unsafe { text(fcinfo, 1) }).unwrap_or_else(|_| {
            report(NpsError::new(ErrorKind::InvalidParameter, "the key column's name holds a NUL byte", "Name the table's key column."))
        });
        let key = unsafe { text(fcinfo, 2) }.to_owned();
        let Some(table) = (unsafe { quoted_relation(rel) }) else {
            return Datum::from(false);
        };
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE {}::text = $1)", unsafe { quoted(column.as_ptr()) });
        let sql = CString::new(sql).expect("quoted names hold no NUL");
        let found = unsafe {
            let _spi = crate::spi::Connection::open();
            let _caller = AsOwner::enter(pg_sys::GetOuterUserId());
            let mut types = [pg_sys::TEXTOID];
            let mut values = [crate::fmgr::new_varlena(key.as_bytes())];
            let nulls = [b' ' as std::ffi::c_char];
            let rc = pg_sys::SPI_execute_with_args(
                sql.as_ptr(),
                1,
                types.as_mut_ptr(),
                values.as_mut_ptr(),
                nulls.as_ptr(),
                true,
                1,
            );
            rc == pg_sys::SPI_OK_SELECT as i32 && pg_sys::SPI_processed == 1 && crate::spi::row(0).boolean(1).unwrap_or(false)
        };
        Datum::from(found)
    }
}
