//! Text checks for SQL: identities normalized once, blank that means blank, and the length limits
//! of each kind of text (`nps_core::text`).

use nps_core::text::{self, Kind};
use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys::{self, Datum};

use crate::error::OrRaise;
use crate::fmgr::{arg, new_text, pg_v1, return_null, text, varlena_bytes};

/// The value of a text argument as a string (the database encoding is UTF-8: pg_nps refuses to
/// be created in another; lossy otherwise, which never panics).
unsafe fn value<'a>(fcinfo: pg_sys::FunctionCallInfo, i: usize) -> std::borrow::Cow<'a, str> {
    String::from_utf8_lossy(unsafe { varlena_bytes(fcinfo, i) })
}

fn kind_of(name: &str) -> Kind {
    Kind::parse(name)
        .ok_or_else(|| {
            NpsError::new(
                ErrorKind::InvalidParameter,
                format!("no kind of text named \"{name}\""),
                "Kinds are identity, name, title, reason, comment and text.",
            )
        })
        .or_raise()
}

pg_v1! {
    /// `nps._text(what text, value text, kind text) returns text`: the value checked for its
    /// kind (identities normalized), or the refusal naming `what`, the value and the limit.
    fn nps_text, pg_finfo_nps_text, |fcinfo| {
        let what = unsafe { text(fcinfo, 0) }.to_owned();
        let v = unsafe { value(fcinfo, 1) };
        let kind = kind_of(unsafe { text(fcinfo, 2) });
        let checked = text::check(&what, &v, kind).or_raise();
        unsafe { new_text(checked.as_bytes()) }
    }
}

pg_v1! {
    /// `nps._text_problem(what text, value text, kind text) returns text[]`: NULL when the value
    /// is fine for its kind, else {SQLSTATE, message}: the same refusal, for set-based checks
    /// that mark rows instead of failing (bulk intake).
    fn nps_text_problem, pg_finfo_nps_text_problem, |fcinfo| {
        let what = unsafe { text(fcinfo, 0) }.to_owned();
        let v = unsafe { value(fcinfo, 1) };
        let kind = kind_of(unsafe { text(fcinfo, 2) });
        match text::check(&what, &v, kind) {
            Ok(_) => unsafe { return_null(fcinfo) },
            Err(e) => unsafe {
                let parts = [e.kind.sqlstate().to_string(), e.message];
                text_array(&parts)
            },
        }
    }
}

pg_v1! {
    /// `nps._blank(value text) returns boolean`: NULL, or nothing but white space, control and
    /// format characters.
    fn nps_blank, pg_finfo_nps_blank, |fcinfo| {
        let a = unsafe { arg(fcinfo, 0) };
        let blank = a.isnull || text::is_blank(&unsafe { value(fcinfo, 0) });
        Datum::from(blank)
    }
}

/// A one-dimensional `text[]` of `parts`.
unsafe fn text_array(parts: &[String]) -> Datum {
    unsafe {
        let mut elems: Vec<Datum> = parts.iter().map(|p| new_text(p.as_bytes())).collect();
        let arr = pg_sys::construct_array(
            elems.as_mut_ptr(),
            elems.len() as i32,
            pg_sys::TEXTOID,
            -1,
            false,
            pg_sys::TYPALIGN_INT as std::ffi::c_char,
        );
        Datum::from(arr)
    }
}

pg_v1! {
    /// `nps._random_bytes(n integer) returns bytea`: bytes from the server's strong random source.
    fn nps_random_bytes, pg_finfo_nps_random_bytes, |fcinfo| {
        let n = unsafe { crate::fmgr::int4(fcinfo, 0) };
        if !(1..=1024).contains(&n) {
            crate::error::report(NpsError::new(ErrorKind::InvalidParameter, format!("{n} random bytes is not between 1 and 1024"), "Ask for 32."));
        }
        let mut buf = vec![0u8; n as usize];
        // SAFETY: fills the buffer it is given.
        if !unsafe { pg_sys::pg_strong_random(buf.as_mut_ptr().cast(), buf.len()) } {
            crate::error::report(NpsError::new(ErrorKind::InvalidParameter, "the server has no strong random source", "Check the server's build (pg_strong_random)."));
        }
        unsafe { crate::fmgr::new_varlena(&buf) }
    }
}

pg_v1! {
    /// `nps._hmac_sha256(key bytea, value text) returns text`: the keyed hash as hex.
    fn nps_hmac_sha256, pg_finfo_nps_hmac_sha256, |fcinfo| {
        let key = unsafe { varlena_bytes(fcinfo, 0) }.to_vec();
        let v = unsafe { varlena_bytes(fcinfo, 1) };
        let mac = nps_core::audit::chain::hmac_sha256(&key, v);
        unsafe { new_text(nps_core::audit::chain::hex(&mac).as_bytes()) }
    }
}
