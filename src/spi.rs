//! The little of SPI the audit needs, on raw `pg_sys` calls: kept plans, execution with datum
//! arguments, cursors, and reading columns as bytes, integers or timestamps. Raw calls keep the
//! capture path free of per-call conversions; a Postgres error in any of them unwinds as a Rust
//! panic to the `pg_v1!` guard, which raises it again.

use std::ffi::{c_char, CStr, CString};

use pgrx::pg_sys::{self, Datum, Oid};

/// An open SPI connection; closed on drop (also when an error unwinds through it).
pub struct Connection(());

impl Connection {
    /// # Safety
    /// Backend thread, inside a guarded function.
    pub unsafe fn open() -> Connection {
        let rc = unsafe { pg_sys::SPI_connect() };
        assert_eq!(rc, pg_sys::SPI_OK_CONNECT as i32, "SPI_connect failed");
        Connection(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            // SAFETY: paired with the SPI_connect of `open`.
            unsafe { pg_sys::SPI_finish() };
        }
        // When an error unwinds, Postgres' transaction abort closes the connection.
    }
}

/// A statement prepared once per backend and kept (`SPI_keepplan`); the plan cache re-plans it
/// when the tables it names change.
pub struct KeptPlan {
    sql: &'static str,
    types: &'static [Oid],
    plan: std::cell::Cell<pg_sys::SPIPlanPtr>,
}

// SAFETY: a backend is single-threaded; the plans live in thread-local statics only.
unsafe impl Sync for KeptPlan {}

impl KeptPlan {
    pub const fn new(sql: &'static str, types: &'static [Oid]) -> KeptPlan {
        KeptPlan { sql, types, plan: std::cell::Cell::new(std::ptr::null_mut()) }
    }

    /// The plan, prepared on first use.
    ///
    /// # Safety
    /// Inside an SPI connection.
    pub unsafe fn get(&self) -> pg_sys::SPIPlanPtr {
        if self.plan.get().is_null() {
            let sql = CString::new(self.sql).expect("no NUL in SQL");
            unsafe {
                let plan = pg_sys::SPI_prepare(
                    sql.as_ptr(),
                    self.types.len() as i32,
                    self.types.as_ptr().cast_mut(),
                );
                assert!(!plan.is_null(), "SPI_prepare failed for: {}", self.sql);
                pg_sys::SPI_keepplan(plan);
                self.plan.set(plan);
            }
        }
        self.plan.get()
    }
}

/// An argument of a statement.
pub enum Arg {
    Null,
    Int8(i64),
    Timestamptz(i64),
    /// text, bytea, or any type with a text input cast in the SQL (`$1::jsonb`).
    Bytes(Vec<u8>),
}

impl Arg {
    pub fn text(b: impl AsRef<[u8]>) -> Arg {
        Arg::Bytes(b.as_ref().to_vec())
    }

    pub fn opt_text(b: Option<impl AsRef<[u8]>>) -> Arg {
        b.map_or(Arg::Null, Arg::text)
    }
}

/// Execute a kept plan; returns the number of rows processed. Results are in `SPI_tuptable`.
///
/// # Safety
/// Inside an SPI connection; `args` match the plan's parameter types.
pub unsafe fn execute(plan: &KeptPlan, args: &[Arg], read_only: bool) -> u64 {
    unsafe {
        let (mut values, nulls) = datums(args);
        let rc = pg_sys::SPI_execute_plan(plan.get(), values.as_mut_ptr(), nulls.as_ptr(), read_only, 0);
        assert!(rc >= 0, "SPI_execute_plan failed ({rc}) for: {}", plan.sql);
        pg_sys::SPI_processed
    }
}

unsafe fn datums(args: &[Arg]) -> (Vec<Datum>, Vec<c_char>) {
    let mut values = Vec::with_capacity(args.len());
    let mut nulls = Vec::with_capacity(args.len());
    for a in args {
        let (v, n) = match a {
            Arg::Null => (Datum::from(0usize), b'n'),
            Arg::Int8(i) | Arg::Timestamptz(i) => (Datum::from(*i), b' '),
            Arg::Bytes(b) => (unsafe { crate::fmgr::new_varlena(b) }, b' '),
        };
        values.push(v);
        nulls.push(n as c_char);
    }
    (values, nulls)
}

/// A read-only cursor over a query, fetched in batches.
pub struct Cursor {
    portal: pg_sys::Portal,
    /// The batch fetched last; freed by the next fetch even when other statements ran since.
    batch: *mut pg_sys::SPITupleTable,
}

impl Cursor {
    /// # Safety
    /// Inside an SPI connection; `args` match `types`.
    pub unsafe fn open(sql: &str, types: &[Oid], args: &[Arg]) -> Cursor {
        let sql = CString::new(sql).expect("no NUL in SQL");
        unsafe {
            let (mut values, nulls) = datums(args);
            let portal = pg_sys::SPI_cursor_open_with_args(
                std::ptr::null(),
                sql.as_ptr(),
                types.len() as i32,
                types.as_ptr().cast_mut(),
                values.as_mut_ptr(),
                nulls.as_ptr(),
                true,
                0,
            );
            assert!(!portal.is_null(), "SPI_cursor_open failed");
            Cursor { portal, batch: std::ptr::null_mut() }
        }
    }

    /// Fetch the next batch into `SPI_tuptable`; returns how many rows came (0 at the end).
    ///
    /// # Safety
    /// Inside the SPI connection the cursor was opened in.
    pub unsafe fn fetch(&mut self, n: i64) -> u64 {
        unsafe {
            if !self.batch.is_null() {
                pg_sys::SPI_freetuptable(self.batch);
            }
            pg_sys::SPI_cursor_fetch(self.portal, true, n as _);
            self.batch = pg_sys::SPI_tuptable;
            pg_sys::SPI_processed
        }
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            // SAFETY: the portal is open; closing releases the relations it holds, which would
            // otherwise stay in use until the end of the transaction.
            unsafe { pg_sys::SPI_cursor_close(self.portal) };
        }
    }
}

/// Free the result of the last statement (a kept plan's rows once read).
///
/// # Safety
/// Inside an SPI connection; no `Row` of that result is used afterwards.
pub unsafe fn free_result() {
    unsafe {
        if !pg_sys::SPI_tuptable.is_null() {
            pg_sys::SPI_freetuptable(pg_sys::SPI_tuptable);
            pg_sys::SPI_tuptable = std::ptr::null_mut();
        }
    }
}

/// Row `i` of the current result.
pub struct Row {
    tuple: pg_sys::HeapTuple,
    desc: pg_sys::TupleDesc,
}

/// Row `i` of `SPI_tuptable`.
///
/// # Safety
/// `i` below `SPI_processed` of the last execution or fetch.
pub unsafe fn row(i: u64) -> Row {
    unsafe {
        let t = pg_sys::SPI_tuptable;
        Row { tuple: *(*t).vals.add(i as usize), desc: (*t).tupdesc }
    }
}

impl Row {
    /// Column `col` (from 1) printed by its type's output function, or `None` for NULL.
    ///
    /// # Safety
    /// The result is still current.
    pub unsafe fn text(&self, col: i32) -> Option<Vec<u8>> {
        unsafe {
            let p = pg_sys::SPI_getvalue(self.tuple, self.desc, col);
            (!p.is_null()).then(|| CStr::from_ptr(p).to_bytes().to_vec())
        }
    }

    /// A boolean column, or `None` for NULL.
    ///
    /// # Safety
    /// The result is still current; the column is a boolean.
    pub unsafe fn boolean(&self, col: i32) -> Option<bool> {
        unsafe {
            let mut isnull = false;
            let d = pg_sys::SPI_getbinval(self.tuple, self.desc, col, &mut isnull);
            (!isnull).then(|| d.value() != 0)
        }
    }

    /// A by-value 8-byte column (bigint, timestamptz), or `None` for NULL.
    ///
    /// # Safety
    /// The result is still current; the column is a by-value 8-byte type.
    pub unsafe fn int8(&self, col: i32) -> Option<i64> {
        unsafe {
            let mut isnull = false;
            let d = pg_sys::SPI_getbinval(self.tuple, self.desc, col, &mut isnull);
            (!isnull).then(|| d.value() as i64)
        }
    }

    /// A 32-byte bytea column as a hash, or `None` for NULL or another length.
    ///
    /// # Safety
    /// The result is still current; the column is a bytea.
    pub unsafe fn hash(&self, col: i32) -> Option<nps_core::audit::chain::Hash> {
        unsafe { self.bytes(col).and_then(|b| b.try_into().ok()) }
    }

    /// A bytea column's bytes, or `None` for NULL.
    ///
    /// # Safety
    /// The result is still current; the column is a bytea.
    pub unsafe fn bytes(&self, col: i32) -> Option<Vec<u8>> {
        unsafe {
            let mut isnull = false;
            let d = pg_sys::SPI_getbinval(self.tuple, self.desc, col, &mut isnull);
            if isnull {
                return None;
            }
            let v = pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr());
            Some(pgrx::varlena::varlena_to_byte_slice(v).to_vec())
        }
    }
}
