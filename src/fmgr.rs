//! Minimal helpers for version-1 C functions called through `fcinfo`.
//!
//! The analytics functions are declared by hand in `sql/analytics.sql` (so the SQL contract,
//! volatility, strictness, parallel safety and comments sit in one readable file) and implemented
//! here as raw `fcinfo` functions: that keeps pgrx's per-call argument conversion off the per-row
//! path of the aggregates.

use pgrx::pg_sys::{self, Datum, FunctionCallInfo, NullableDatum};

/// Declare a guarded V1 function: the `pg_finfo_` record Postgres looks up, and the function
/// itself with its body run inside a pgrx guard (Rust panics and errors become Postgres errors;
/// an `NpsError` with one of pg_nps' own SQLSTATEs is raised from this outermost frame).
macro_rules! pg_v1 {
    ($(#[$meta:meta])* fn $name:ident, $finfo:ident, |$fc:ident| $body:block) => {
        $crate::fmgr::pg_finfo!($finfo);

        $(#[$meta])*
        #[no_mangle]
        pub unsafe extern "C-unwind" fn $name($fc: ::pgrx::pg_sys::FunctionCallInfo) -> ::pgrx::pg_sys::Datum {
            let body = move || $crate::error::catch_nps(move || $body);
            // SAFETY: Postgres calls this on the backend thread with a valid fcinfo.
            match unsafe { ::pgrx::pg_sys::panic::pgrx_extern_c_guard(body) } {
                Ok(datum) => datum,
                // SAFETY: this frame holds nothing that needs dropping.
                Err(e) => unsafe { $crate::error::ereport_custom(e) },
            }
        }
    };
}
pub(crate) use pg_v1;

/// Emit only the `pg_finfo_` record, for unguarded hot-path functions written out by hand.
macro_rules! pg_finfo {
    ($finfo:ident) => {
        #[no_mangle]
        #[doc(hidden)]
        pub extern "C" fn $finfo() -> &'static ::pgrx::pg_sys::Pg_finfo_record {
            const V1: ::pgrx::pg_sys::Pg_finfo_record = ::pgrx::pg_sys::Pg_finfo_record { api_version: 1 };
            &V1
        }
    };
}
pub(crate) use pg_finfo;

/// Argument `i` (value and null flag), read straight from `fcinfo`.
///
/// # Safety
/// `fcinfo` must be valid and have more than `i` arguments.
#[inline(always)]
pub unsafe fn arg(fcinfo: FunctionCallInfo, i: usize) -> NullableDatum {
    unsafe { *(*fcinfo).args.as_ptr().add(i) }
}

/// Number of arguments of this call.
///
/// # Safety
/// `fcinfo` must be valid.
#[inline(always)]
pub unsafe fn nargs(fcinfo: FunctionCallInfo) -> usize {
    unsafe { (*fcinfo).nargs as usize }
}

/// Return SQL NULL.
///
/// # Safety
/// `fcinfo` must be valid.
#[inline(always)]
pub unsafe fn return_null(fcinfo: FunctionCallInfo) -> Datum {
    unsafe { (*fcinfo).isnull = true };
    Datum::from(0usize)
}

/// Integer SQL types a score may arrive as.
pub trait IntArg {
    fn int(d: Datum) -> i64;
}
impl IntArg for i16 {
    #[inline(always)]
    fn int(d: Datum) -> i64 {
        d.value() as i16 as i64
    }
}
impl IntArg for i32 {
    #[inline(always)]
    fn int(d: Datum) -> i64 {
        d.value() as i32 as i64
    }
}
impl IntArg for i64 {
    #[inline(always)]
    fn int(d: Datum) -> i64 {
        d.value() as i64
    }
}

/// An `integer` argument known not to be NULL (strict function).
///
/// # Safety
/// `fcinfo` must be valid and argument `i` an int4.
#[inline(always)]
pub unsafe fn int4(fcinfo: FunctionCallInfo, i: usize) -> i64 {
    i32::int(unsafe { arg(fcinfo, i) }.value)
}

/// A `double precision` argument known not to be NULL.
///
/// # Safety
/// `fcinfo` must be valid and argument `i` a float8.
#[inline(always)]
pub unsafe fn float8(fcinfo: FunctionCallInfo, i: usize) -> f64 {
    f64::from_bits(unsafe { arg(fcinfo, i) }.value.value() as u64)
}

/// The bytes of a varlena argument (detoasted when needed), known not to be NULL.
///
/// # Safety
/// Inside a guard; `fcinfo` valid and argument `i` a varlena.
pub unsafe fn varlena_bytes<'a>(fcinfo: FunctionCallInfo, i: usize) -> &'a [u8] {
    unsafe {
        let raw = arg(fcinfo, i).value.cast_mut_ptr::<pg_sys::varlena>();
        let v = pg_sys::pg_detoast_datum_packed(raw);
        pgrx::varlena::varlena_to_byte_slice(v)
    }
}

/// A `text` argument as `&str`, known not to be NULL.
///
/// # Safety
/// Inside a guard; `fcinfo` valid and argument `i` a text.
pub unsafe fn text<'a>(fcinfo: FunctionCallInfo, i: usize) -> &'a str {
    let bytes = unsafe { varlena_bytes(fcinfo, i) };
    // The server encoding may not be UTF-8; names we compare against are ASCII, so a lossy view
    // is enough and never panics.
    std::str::from_utf8(bytes).unwrap_or("<not valid UTF-8>")
}

/// A new varlena (4-byte header) holding `bytes`, in the current memory context.
///
/// # Safety
/// Inside a guard.
pub unsafe fn new_varlena(bytes: &[u8]) -> Datum {
    unsafe {
        let total = bytes.len() + pg_sys::VARHDRSZ;
        let v = pg_sys::palloc(total) as *mut pg_sys::varlena;
        pgrx::varlena::set_varsize_4b(v, total as i32);
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), pgrx::varlena::vardata_4b(v) as *mut u8, bytes.len());
        Datum::from(v)
    }
}

/// A `text` result holding `bytes` (UTF-8).
///
/// # Safety
/// Inside a guard.
pub unsafe fn new_text(bytes: &[u8]) -> Datum {
    unsafe { new_varlena(bytes) }
}

/// A palloc'd, NUL-terminated C string (for type output functions).
///
/// # Safety
/// Inside a guard.
pub unsafe fn new_cstring(s: &str) -> Datum {
    unsafe {
        let p = pg_sys::palloc(s.len() + 1) as *mut u8;
        std::ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
        *p.add(s.len()) = 0;
        Datum::from(p)
    }
}

/// The text of a `jsonb` argument (not NULL).
///
/// # Safety
/// Inside a guard; `fcinfo` valid and argument `i` a non-NULL jsonb.
pub unsafe fn jsonb_text(fcinfo: pg_sys::FunctionCallInfo, i: usize) -> String {
    unsafe {
        let d = pg_sys::pg_detoast_datum_packed(arg(fcinfo, i).value.cast_mut_ptr());
        let cstr = pgrx::direct_function_call::<&std::ffi::CStr>(pg_sys::jsonb_out, &[Some(Datum::from(d))])
            .expect("jsonb_out returns a string");
        cstr.to_string_lossy().into_owned()
    }
}

/// A `jsonb` result from JSON text (which must be valid JSON).
///
/// # Safety
/// Inside a guard.
pub unsafe fn jsonb_datum(json: &str) -> Datum {
    unsafe {
        let cstr = new_cstring(json);
        pgrx::direct_function_call::<Datum>(pg_sys::jsonb_in, &[Some(cstr)])
            .expect("jsonb_in returns a value")
    }
}

/// A float8 result.
#[inline(always)]
pub fn float8_datum(x: f64) -> Datum {
    Datum::from(x.to_bits() as usize)
}

/// Return `Some(x)` as float8 or NULL.
///
/// # Safety
/// `fcinfo` must be valid.
pub unsafe fn return_float8(fcinfo: FunctionCallInfo, x: Option<f64>) -> Datum {
    match x {
        Some(x) => float8_datum(x),
        None => unsafe { return_null(fcinfo) },
    }
}

/// Build the composite result of a function with OUT parameters from nullable float8 values.
///
/// # Safety
/// Inside a guard; the function's result type must be a composite of `values.len()` float8s.
pub unsafe fn return_float8_record(fcinfo: FunctionCallInfo, values: &[Option<f64>]) -> Datum {
    unsafe {
        let mut tupdesc: pg_sys::TupleDesc = std::ptr::null_mut();
        if pg_sys::get_call_result_type(fcinfo, std::ptr::null_mut(), &mut tupdesc)
            != pg_sys::TypeFuncClass::TYPEFUNC_COMPOSITE
        {
            crate::error::report_code(
                pgrx::pg_sys::errcodes::PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                "function returning a record called in a context that cannot accept it".into(),
                "Call it in the FROM clause or select its columns, e.g. (nps_ci(s)).low.",
            );
        }
        let tupdesc = pg_sys::BlessTupleDesc(tupdesc);
        let mut datums: Vec<Datum> = values.iter().map(|v| float8_datum(v.unwrap_or(0.0))).collect();
        let mut nulls: Vec<bool> = values.iter().map(Option::is_none).collect();
        let tuple = pg_sys::heap_form_tuple(tupdesc, datums.as_mut_ptr(), nulls.as_mut_ptr());
        pg_sys::HeapTupleHeaderGetDatum((*tuple).t_data)
    }
}
