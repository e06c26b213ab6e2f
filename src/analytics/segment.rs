//! `nps_segment(score, promoter_min, detractor_max)` → the `nps_segment` enum.

use std::ffi::CString;

use nps_core::{Bands, Segment};
use pgrx::pg_sys::{self, Datum, FunctionCallInfo, Oid};

use crate::error::OrRaise;
use crate::fmgr::{arg, int4, pg_v1, IntArg};

/// The enum values (pg_enum OIDs) of detractor, passive, promoter, looked up once per call site
/// through the function's declared result type and cached in `fn_extra`.
unsafe fn segment_oids(fcinfo: FunctionCallInfo) -> [Oid; 3] {
    unsafe {
        let flinfo = (*fcinfo).flinfo;
        if !(*flinfo).fn_extra.is_null() {
            return *((*flinfo).fn_extra as *const [Oid; 3]);
        }
        let typ = pg_sys::get_fn_expr_rettype(flinfo);
        if typ == pg_sys::InvalidOid {
            crate::error::report_code(
                pg_sys::errcodes::PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                "nps_segment() could not determine its result type".into(),
                "Call nps_segment() from SQL.",
            );
        }
        let oids = Segment::ALL.map(|s| {
            let label = CString::new(s.label()).expect("labels have no NUL");
            pg_sys::GetSysCacheOid(
                pg_sys::SysCacheIdentifier::ENUMTYPOIDNAME as i32,
                pg_sys::Anum_pg_enum_oid as pg_sys::AttrNumber,
                Datum::from(typ),
                Datum::from(label.as_ptr()),
                Datum::from(0usize),
                Datum::from(0usize),
            )
        });
        let p =
            pg_sys::MemoryContextAlloc((*flinfo).fn_mcxt, std::mem::size_of::<[Oid; 3]>()) as *mut [Oid; 3];
        p.write(oids);
        (*flinfo).fn_extra = p.cast();
        oids
    }
}

unsafe fn segment<T: IntArg>(fcinfo: FunctionCallInfo) -> Datum {
    unsafe {
        let bands = Bands::new(int4(fcinfo, 1), int4(fcinfo, 2)).or_raise();
        let seg = bands.segment(T::int(arg(fcinfo, 0).value)).or_raise();
        Datum::from(segment_oids(fcinfo)[seg as usize])
    }
}

pg_v1!(fn nps_segment_int2, pg_finfo_nps_segment_int2, |fcinfo| { unsafe { segment::<i16>(fcinfo) } });
pg_v1!(fn nps_segment_int4, pg_finfo_nps_segment_int4, |fcinfo| { unsafe { segment::<i32>(fcinfo) } });
pg_v1!(fn nps_segment_int8, pg_finfo_nps_segment_int8, |fcinfo| { unsafe { segment::<i64>(fcinfo) } });
