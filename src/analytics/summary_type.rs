//! The `nps_summary` type: text input/output (JSON) and binary send/receive (versioned bytes).
//! The stored form is the binary form in a varlena.

use std::ffi::CStr;

use nps_core::{ErrorKind, NpsError, Summary};
use pgrx::pg_sys::{self, Datum, FunctionCallInfo};

use crate::error::OrRaise;
use crate::fmgr::{arg, new_cstring, new_varlena, pg_v1, varlena_bytes};

/// Read argument `i` as a summary (validated).
///
/// # Safety
/// Inside a guard; argument `i` must be a non-NULL `nps_summary`.
pub unsafe fn summary_arg(fcinfo: FunctionCallInfo, i: usize) -> Summary {
    Summary::from_bytes(unsafe { varlena_bytes(fcinfo, i) }).or_raise()
}

/// A new `nps_summary` datum.
///
/// # Safety
/// Inside a guard.
pub unsafe fn summary_datum(s: &Summary) -> Datum {
    unsafe { new_varlena(&s.to_bytes()) }
}

pg_v1!(
    /// `nps_summary_in(cstring)`: parse the JSON text form.
    fn nps_summary_in, pg_finfo_nps_summary_in, |fcinfo| {
        let input = unsafe { CStr::from_ptr(arg(fcinfo, 0).value.cast_mut_ptr()) };
        let text = match input.to_str() {
            Ok(t) => t,
            Err(_) => crate::error::report(NpsError::new(
                ErrorKind::InvalidText,
                "invalid nps_summary: input is not valid UTF-8",
                "Write a summary as {\"counts\":[c0,...,c10]}.",
            )),
        };
        let s: Summary = text.parse().or_raise();
        unsafe { summary_datum(&s) }
    }
);

pg_v1!(
    /// `nps_summary_out(nps_summary)`: the JSON text form.
    fn nps_summary_out, pg_finfo_nps_summary_out, |fcinfo| {
        let s = unsafe { summary_arg(fcinfo, 0) };
        unsafe { new_cstring(&s.to_string()) }
    }
);

pg_v1!(
    /// `nps_summary_recv(internal)`: the binary form, version byte first.
    fn nps_summary_recv, pg_finfo_nps_summary_recv, |fcinfo| {
        unsafe {
            let buf = arg(fcinfo, 0).value.cast_mut_ptr::<pg_sys::StringInfoData>();
            let start = (*buf).cursor as usize;
            let len = (*buf).len as usize - start;
            let bytes = std::slice::from_raw_parts(((*buf).data as *const u8).add(start), len);
            let s = Summary::from_bytes(bytes).or_raise();
            (*buf).cursor = (*buf).len;
            summary_datum(&s)
        }
    }
);

pg_v1!(
    /// `nps_summary_send(nps_summary)`: the binary form as bytea.
    fn nps_summary_send, pg_finfo_nps_summary_send, |fcinfo| {
        unsafe { new_varlena(&summary_arg(fcinfo, 0).to_bytes()) }
    }
);
