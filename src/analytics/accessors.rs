//! Accessors reading an `nps_summary`: counts, score, mean, intervals, comparison.
//! All are strict; bands are optional trailing arguments (standard 9/6 by default, in SQL).

use nps_core::{Bands, CiMethod, Estimate, Segment, Summary};
use pgrx::pg_sys::{Datum, FunctionCallInfo};
use pgrx::IntoDatum;

use super::summary_type::summary_arg;
use crate::error::OrRaise;
use crate::fmgr::{float8, int4, pg_v1, return_float8, return_float8_record, text};

/// Bands from the integer arguments `i` (promoter_min) and `i + 1` (detractor_max).
unsafe fn bands_at(fcinfo: FunctionCallInfo, i: usize) -> Bands {
    unsafe { Bands::new(int4(fcinfo, i), int4(fcinfo, i + 1)) }.or_raise()
}

/// Summary in argument 0 and its estimate under the bands in arguments `bands_from`..
unsafe fn estimate(fcinfo: FunctionCallInfo, bands_from: usize) -> Option<Estimate> {
    unsafe {
        let s = summary_arg(fcinfo, 0);
        Estimate::of(&s, bands_at(fcinfo, bands_from))
    }
}

unsafe fn segment_count(fcinfo: FunctionCallInfo, seg: Segment) -> Datum {
    unsafe {
        let s = summary_arg(fcinfo, 0);
        Datum::from(s.segment_count(bands_at(fcinfo, 1), seg) as i64)
    }
}

pg_v1!(
    /// `nps_score(s, promoter_min, detractor_max)`
    fn nps_summary_score, pg_finfo_nps_summary_score, |fcinfo| {
        unsafe { return_float8(fcinfo, estimate(fcinfo, 1).map(|e| e.score())) }
    }
);

pg_v1!(
    /// `nps_responses(s)`: number of responses.
    fn nps_summary_responses, pg_finfo_nps_summary_responses, |fcinfo| {
        Datum::from(unsafe { summary_arg(fcinfo, 0) }.total_count() as i64)
    }
);

pg_v1!(
    /// `nps_total_weight(s)`: sum of weights (the responses when unweighted).
    fn nps_summary_total_weight, pg_finfo_nps_summary_total_weight, |fcinfo| {
        crate::fmgr::float8_datum(unsafe { summary_arg(fcinfo, 0) }.total_weight())
    }
);

pg_v1!(
    /// `nps_effective_n(s)`: Kish's effective sample size.
    fn nps_summary_effective_n, pg_finfo_nps_summary_effective_n, |fcinfo| {
        unsafe { return_float8(fcinfo, summary_arg(fcinfo, 0).effective_n()) }
    }
);

pg_v1!(fn nps_summary_promoters, pg_finfo_nps_summary_promoters, |fcinfo| {
    unsafe { segment_count(fcinfo, Segment::Promoter) }
});
pg_v1!(fn nps_summary_passives, pg_finfo_nps_summary_passives, |fcinfo| {
    unsafe { segment_count(fcinfo, Segment::Passive) }
});
pg_v1!(fn nps_summary_detractors, pg_finfo_nps_summary_detractors, |fcinfo| {
    unsafe { segment_count(fcinfo, Segment::Detractor) }
});

pg_v1!(
    /// `nps_histogram(s)`: responses per score 0..10 as bigint[11].
    fn nps_summary_histogram, pg_finfo_nps_summary_histogram, |fcinfo| {
        let s: Summary = unsafe { summary_arg(fcinfo, 0) };
        let v: Vec<i64> = s.counts().iter().map(|c| *c as i64).collect();
        v.into_datum().expect("an array is never NULL")
    }
);

pg_v1!(
    /// `nps_weights(s)`: weight per score 0..10 as double precision[11].
    fn nps_summary_weights, pg_finfo_nps_summary_weights, |fcinfo| {
        let s: Summary = unsafe { summary_arg(fcinfo, 0) };
        s.weights().to_vec().into_datum().expect("an array is never NULL")
    }
);

pg_v1!(
    /// `nps_mean(s)`: (weighted) mean score.
    fn nps_summary_mean, pg_finfo_nps_summary_mean, |fcinfo| {
        unsafe { return_float8(fcinfo, summary_arg(fcinfo, 0).mean()) }
    }
);

pg_v1!(
    /// `nps_std_error(s, promoter_min, detractor_max)`: standard error of the score.
    fn nps_summary_std_error, pg_finfo_nps_summary_std_error, |fcinfo| {
        unsafe { return_float8(fcinfo, estimate(fcinfo, 1).map(|e| e.std_error())) }
    }
);

pg_v1!(
    /// `nps_moe(s, level, promoter_min, detractor_max)`: margin of error (Wald half-width).
    fn nps_summary_moe, pg_finfo_nps_summary_moe, |fcinfo| {
        unsafe {
            let level = float8(fcinfo, 1);
            // Validate the level even when the summary is empty: bad input is refused, always.
            nps_core::analytics::stats::z_for_level(level).or_raise();
            let moe = estimate(fcinfo, 2).map(|e| e.moe(level).or_raise());
            return_float8(fcinfo, moe)
        }
    }
);

pg_v1!(
    /// `nps_ci(s, level, method, promoter_min, detractor_max)` → (low, high).
    fn nps_summary_ci, pg_finfo_nps_summary_ci, |fcinfo| {
        unsafe {
            let level = float8(fcinfo, 1);
            let method = CiMethod::parse(text(fcinfo, 2)).or_raise();
            nps_core::analytics::stats::z_for_level(level).or_raise();
            let ci = estimate(fcinfo, 3).map(|e| e.ci(level, method).or_raise());
            return_float8_record(fcinfo, &[ci.map(|c| c.0), ci.map(|c| c.1)])
        }
    }
);

pg_v1!(
    /// `nps_compare(a, b, promoter_min, detractor_max)` → (difference, z, p_value).
    fn nps_summary_compare, pg_finfo_nps_summary_compare, |fcinfo| {
        unsafe {
            let bands = bands_at(fcinfo, 2);
            let a = Estimate::of(&summary_arg(fcinfo, 0), bands);
            let b = Estimate::of(&summary_arg(fcinfo, 1), bands);
            let c = a.zip(b).map(|(a, b)| a.compare(&b));
            return_float8_record(
                fcinfo,
                &[c.map(|c| c.difference), c.and_then(|c| c.z), c.and_then(|c| c.p_value)],
            )
        }
    }
);
