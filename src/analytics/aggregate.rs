//! Support functions of the aggregates `nps_score`, `nps_agg` and `nps_rollup`.
//!
//! All share one transition state, [`AggState`] (a summary plus optional bands), kept as
//! `internal` in the aggregate memory context. The per-row transition functions are written
//! against `fcinfo` directly and run without a pgrx guard: on the normal path they touch no
//! Postgres function and allocate nothing (one bounds check and one increment per row). Their
//! rare paths (first row of a group, errors) go through guarded helpers.
//!
//! Parallel aggregation: `nps_state_combine` merges partial states, `nps_state_serialize` /
//! `nps_state_deserialize` move them between processes in the versioned binary form.

use nps_core::analytics::summary::AggState;
use nps_core::{Bands, Estimate};
use pgrx::pg_sys::errcodes::PgSqlErrorCode;
use pgrx::pg_sys::{self, panic::pgrx_extern_c_guard, Datum, FunctionCallInfo};

use super::summary_type::{summary_arg, summary_datum};
use crate::error::{raise_unguarded, report_code, OrRaise};
use crate::fmgr::{
    arg, nargs, new_varlena, pg_finfo, pg_v1, return_float8, return_null, varlena_bytes, IntArg,
};

/// The aggregate memory context of this call; an error outside an aggregate.
///
/// # Safety
/// Inside a guard.
unsafe fn agg_context(fcinfo: FunctionCallInfo) -> pg_sys::MemoryContext {
    let mut ctx: pg_sys::MemoryContext = std::ptr::null_mut();
    if unsafe { pg_sys::AggCheckCallContext(fcinfo, &mut ctx) } == 0 {
        report_code(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            "pg_nps aggregate support function called outside an aggregate".into(),
            "Call the aggregates nps_score(), nps_agg() or nps_rollup() instead.",
        );
    }
    ctx
}

/// A state in the aggregate memory context, initialised to `init`.
///
/// # Safety
/// Inside a guard.
unsafe fn alloc_state(fcinfo: FunctionCallInfo, init: AggState) -> *mut AggState {
    unsafe {
        let ctx = agg_context(fcinfo);
        let p = pg_sys::MemoryContextAlloc(ctx, std::mem::size_of::<AggState>()) as *mut AggState;
        p.write(init);
        p
    }
}

/// First row of a group: allocate an empty state (guarded, out of the hot path).
#[cold]
#[inline(never)]
unsafe fn new_state(fcinfo: FunctionCallInfo) -> *mut AggState {
    unsafe { pgrx_extern_c_guard(|| alloc_state(fcinfo, AggState::default())) }
}

/// The state argument, or null.
#[inline(always)]
unsafe fn state_arg(fcinfo: FunctionCallInfo, i: usize) -> *mut AggState {
    let a = unsafe { arg(fcinfo, i) };
    if a.isnull {
        std::ptr::null_mut()
    } else {
        a.value.cast_mut_ptr()
    }
}

/// Return a state unchanged, or NULL when there is none yet (a row that adds nothing).
#[inline(always)]
unsafe fn state_or_null(fcinfo: FunctionCallInfo, st: *mut AggState) -> Datum {
    if st.is_null() {
        unsafe { return_null(fcinfo) }
    } else {
        Datum::from(st)
    }
}

/// NULL bands passed to `nps_score(score, promoter_min, detractor_max)`.
#[cold]
#[inline(never)]
fn raise_null_band() -> ! {
    // SAFETY: on the backend thread, called by Postgres.
    unsafe {
        pgrx_extern_c_guard(|| {
            report_code(
                PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                "NPS bands must not be NULL".into(),
                "Pass promoter_min and detractor_max as integers, or call nps_score(score) for the standard 9/6 bands.",
            )
        })
    }
}

/// Record and check the bands of a 4-argument call: the same for every row.
#[inline(always)]
unsafe fn apply_bands(fcinfo: FunctionCallInfo, st: &mut AggState) {
    let (p, d) = unsafe { (arg(fcinfo, 2), arg(fcinfo, 3)) };
    if p.isnull || d.isnull {
        raise_null_band();
    }
    let bands = Bands::new(i32::int(p.value), i32::int(d.value)).and_then(|b| st.set_bands(b));
    if let Err(e) = bands {
        raise_unguarded(e);
    }
}

/// Transition for `nps_score(score [, promoter_min, detractor_max])` and `nps_agg(score)`.
#[inline(always)]
unsafe fn trans<T: IntArg>(fcinfo: FunctionCallInfo) -> Datum {
    unsafe {
        let mut st = state_arg(fcinfo, 0);
        let score = arg(fcinfo, 1);
        if score.isnull {
            return state_or_null(fcinfo, st);
        }
        if st.is_null() {
            st = new_state(fcinfo);
        }
        if nargs(fcinfo) == 4 {
            apply_bands(fcinfo, &mut *st);
        }
        // States of the unweighted aggregates are created here and never weighted.
        if let Err(e) = (*st).summary.add_unweighted(T::int(score.value)) {
            raise_unguarded(e);
        }
        Datum::from(st)
    }
}

/// Transition for `nps_agg(score, weight)`: rows with a NULL score or weight are skipped.
#[inline(always)]
unsafe fn weighted_trans<T: IntArg>(fcinfo: FunctionCallInfo) -> Datum {
    unsafe {
        let mut st = state_arg(fcinfo, 0);
        let (score, weight) = (arg(fcinfo, 1), arg(fcinfo, 2));
        if score.isnull || weight.isnull {
            return state_or_null(fcinfo, st);
        }
        if st.is_null() {
            st = new_state(fcinfo);
        }
        let w = f64::from_bits(weight.value.value() as u64);
        if let Err(e) = (*st).summary.add_weighted(T::int(score.value), w) {
            raise_unguarded(e);
        }
        Datum::from(st)
    }
}

/// Inverse transition for moving windows (`nps_score(score) OVER (... ROWS n PRECEDING)`).
#[inline(always)]
unsafe fn inv_trans<T: IntArg>(fcinfo: FunctionCallInfo) -> Datum {
    unsafe {
        let st = state_arg(fcinfo, 0);
        let score = arg(fcinfo, 1);
        if st.is_null() {
            return return_null(fcinfo);
        }
        if !score.isnull {
            if let Err(e) = (*st).summary.remove(T::int(score.value)) {
                raise_unguarded(e);
            }
        }
        Datum::from(st)
    }
}

macro_rules! unguarded_fns {
    ($($name:ident, $finfo:ident => $body:ident::<$t:ty>;)*) => {$(
        pg_finfo!($finfo);
        /// Per-row transition function (see the module documentation).
        ///
        /// # Safety
        /// Called by Postgres as an aggregate support function.
        #[no_mangle]
        pub unsafe extern "C-unwind" fn $name(fcinfo: FunctionCallInfo) -> Datum {
            unsafe { $body::<$t>(fcinfo) }
        }
    )*};
}

unguarded_fns! {
    nps_trans_int2, pg_finfo_nps_trans_int2 => trans::<i16>;
    nps_trans_int4, pg_finfo_nps_trans_int4 => trans::<i32>;
    nps_trans_int8, pg_finfo_nps_trans_int8 => trans::<i64>;
    nps_weighted_trans_int2, pg_finfo_nps_weighted_trans_int2 => weighted_trans::<i16>;
    nps_weighted_trans_int4, pg_finfo_nps_weighted_trans_int4 => weighted_trans::<i32>;
    nps_weighted_trans_int8, pg_finfo_nps_weighted_trans_int8 => weighted_trans::<i64>;
    nps_inv_trans_int2, pg_finfo_nps_inv_trans_int2 => inv_trans::<i16>;
    nps_inv_trans_int4, pg_finfo_nps_inv_trans_int4 => inv_trans::<i32>;
    nps_inv_trans_int8, pg_finfo_nps_inv_trans_int8 => inv_trans::<i64>;
}

pg_v1!(
    /// Transition of `nps_rollup(nps_summary)`: merge a stored summary.
    fn nps_rollup_trans, pg_finfo_nps_rollup_trans, |fcinfo| {
        unsafe {
            let mut st = state_arg(fcinfo, 0);
            if arg(fcinfo, 1).isnull {
                return state_or_null(fcinfo, st);
            }
            let s = summary_arg(fcinfo, 1);
            if st.is_null() {
                st = alloc_state(fcinfo, AggState::default());
            }
            (*st).summary.merge(&s).or_raise();
            Datum::from(st)
        }
    }
);

pg_v1!(
    /// Combine two partial states (parallel aggregation).
    fn nps_state_combine, pg_finfo_nps_state_combine, |fcinfo| {
        unsafe {
            let (a, b) = (state_arg(fcinfo, 0), state_arg(fcinfo, 1));
            match (a.is_null(), b.is_null()) {
                (_, true) => state_or_null(fcinfo, a),
                (true, false) => Datum::from(alloc_state(fcinfo, *b)),
                (false, false) => {
                    (*a).merge(&*b).or_raise();
                    Datum::from(a)
                }
            }
        }
    }
);

pg_v1!(
    /// Serialize a state to bytea (version byte first).
    fn nps_state_serialize, pg_finfo_nps_state_serialize, |fcinfo| {
        unsafe { new_varlena(&(*state_arg(fcinfo, 0)).to_bytes()) }
    }
);

pg_v1!(
    /// Deserialize a state from bytea.
    fn nps_state_deserialize, pg_finfo_nps_state_deserialize, |fcinfo| {
        unsafe {
            let st = AggState::from_bytes(varlena_bytes(fcinfo, 0)).or_raise();
            let p = pg_sys::palloc(std::mem::size_of::<AggState>()) as *mut AggState;
            p.write(st);
            Datum::from(p)
        }
    }
);

pg_v1!(
    /// Final function of `nps_score`: the score under the state's bands, NULL without responses.
    fn nps_state_score, pg_finfo_nps_state_score, |fcinfo| {
        unsafe {
            let st = state_arg(fcinfo, 0);
            let score = st.as_ref().and_then(|st| Estimate::of(&st.summary, st.bands())).map(|e| e.score());
            return_float8(fcinfo, score)
        }
    }
);

pg_v1!(
    /// Final function of `nps_agg` and `nps_rollup`: the summary, NULL without rows.
    fn nps_state_summary, pg_finfo_nps_state_summary, |fcinfo| {
        unsafe {
            match state_arg(fcinfo, 0).as_ref() {
                Some(st) => summary_datum(&st.summary),
                None => return_null(fcinfo),
            }
        }
    }
);
