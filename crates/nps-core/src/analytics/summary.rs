//! The NPS summary: the 0–10 histogram of a set of responses, with optional per-score weight sums.
//!
//! Keeping the histogram (not three segment counts) lets bands be applied after aggregation and
//! makes merging exact: merging daily summaries gives the same numbers as one pass over all rows.
//!
//! An unweighted summary is a weighted one whose weights are all 1, so the two merge: the
//! unweighted side is promoted (weight sum = count, sum of squared weights = count).
//!
//! Binary form (version 1, little-endian), used by the `nps_summary` type's send/receive and by the
//! aggregates' serialize/deserialize:
//!
//! | bytes | content |
//! |---|---|
//! | 0 | format version (1) |
//! | 1 | flags: bit 0 weighted, bit 1 bands present (aggregate state only) |
//! | 2, 3 | promoter_min, detractor_max when bit 1 is set, else 0 |
//! | 4..92 | 11 counts, u64 |
//! | 92..188 | when weighted: 11 weight sums then the sum of squared weights, f64 |
//!
//! Text form (JSON, so BI tools can read it with `::jsonb`):
//! `{"counts":[c0,…,c10]}` or `{"counts":[…],"weights":[w0,…,w10],"sum_w2":x}`.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde::Deserialize;

use crate::analytics::bands::{check_score, Bands, Segment, BINS};
use crate::error::{ErrorKind, NpsError, Result};

/// Version byte written first in every binary form.
pub const FORMAT_VERSION: u8 = 1;
const FLAG_WEIGHTED: u8 = 1;
const FLAG_BANDS: u8 = 2;
const HEADER_LEN: usize = 4;
const COUNTS_LEN: usize = BINS * 8;
const WEIGHTS_LEN: usize = BINS * 8 + 8;
/// Largest total a summary may hold: its counts are reported as SQL bigint.
const MAX_TOTAL: u64 = i64::MAX as u64;

const WEIGHT_HINT: &str = "Weights must be finite and not negative; use NULL to leave a response out.";
const TEXT_HINT: &str = "Write a summary as {\"counts\":[c0,...,c10]} with 11 non-negative integers, optionally with \"weights\":[w0,...,w10] and \"sum_w2\":x, or build it with nps_agg().";

/// Histogram of scores 0..=10, optionally with weight sums. `Copy` and `repr(C)` so the extension
/// can keep it directly in aggregate memory.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    counts: [u64; BINS],
    weight_sums: [f64; BINS],
    sum_w2: f64,
    weighted: bool,
}

impl Default for Summary {
    fn default() -> Self {
        Summary::EMPTY
    }
}

impl Summary {
    pub const EMPTY: Summary =
        Summary { counts: [0; BINS], weight_sums: [0.0; BINS], sum_w2: 0.0, weighted: false };

    /// Build an unweighted summary from counts, checking the total fits a bigint.
    pub fn from_counts(counts: [u64; BINS]) -> Result<Summary> {
        Summary::from_parts(counts, None, ErrorKind::InvalidParameter)
    }

    /// Build a summary from its parts, validating them; errors are of class `kind`.
    pub fn from_parts(
        counts: [u64; BINS],
        weights: Option<([f64; BINS], f64)>,
        kind: ErrorKind,
    ) -> Result<Summary> {
        let mut total: u64 = 0;
        for c in counts {
            total = total.checked_add(c).filter(|t| *t <= MAX_TOTAL).ok_or_else(|| {
                NpsError::new(kind, "nps_summary holds more than 9223372036854775807 responses", TEXT_HINT)
            })?;
        }
        let mut s = Summary { counts, ..Summary::EMPTY };
        if let Some((sums, sum_w2)) = weights {
            for (i, w) in sums.iter().enumerate() {
                if !w.is_finite() || *w < 0.0 {
                    return Err(NpsError::new(
                        kind,
                        format!("nps_summary weight for score {i} is {w}"),
                        WEIGHT_HINT,
                    ));
                }
                if *w > 0.0 && counts[i] == 0 {
                    return Err(NpsError::new(
                        kind,
                        format!("nps_summary has weight {w} for score {i} but no response with that score"),
                        TEXT_HINT,
                    ));
                }
            }
            if !sum_w2.is_finite() || sum_w2 < 0.0 || (sum_w2 == 0.0 && sums.iter().any(|w| *w > 0.0)) {
                return Err(NpsError::new(
                    kind,
                    format!("nps_summary sum of squared weights {sum_w2} does not fit its weights"),
                    TEXT_HINT,
                ));
            }
            s.weight_sums = sums;
            s.sum_w2 = sum_w2;
            s.weighted = true;
        }
        Ok(s)
    }

    /// Count one response. The score is validated (0..=10).
    #[inline]
    pub fn add(&mut self, score: i64) -> Result<()> {
        let i = check_score(score)?;
        self.counts[i] += 1;
        if self.weighted {
            self.weight_sums[i] += 1.0;
            self.sum_w2 += 1.0;
        }
        Ok(())
    }

    /// Count one response in a summary known to be unweighted (the per-row path of the unweighted
    /// aggregates, whose states are never weighted). Skipping the weighted check keeps the row's
    /// work on the cache lines of the counts.
    #[inline]
    pub fn add_unweighted(&mut self, score: i64) -> Result<()> {
        debug_assert!(!self.weighted, "add_unweighted on a weighted summary");
        let i = check_score(score)?;
        self.counts[i] += 1;
        Ok(())
    }

    /// Take back one response counted by [`Summary::add`] (moving-window aggregates). Only for
    /// unweighted summaries: float weight sums cannot be subtracted exactly.
    pub fn remove(&mut self, score: i64) -> Result<()> {
        let i = check_score(score)?;
        if self.weighted || self.counts[i] == 0 {
            return Err(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("cannot remove score {score}: no such unweighted response in the summary"),
                "Only responses added to an unweighted summary can be removed.",
            ));
        }
        self.counts[i] -= 1;
        Ok(())
    }

    /// Count one response of weight `weight` (finite, >= 0).
    #[inline]
    pub fn add_weighted(&mut self, score: i64, weight: f64) -> Result<()> {
        let i = check_score(score)?;
        if !weight.is_finite() || weight < 0.0 {
            return Err(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("NPS weight {weight} for score {score} is not a finite non-negative number"),
                WEIGHT_HINT,
            ));
        }
        // A weight whose square is no double (below about 1.5e-154) would make a summary whose
        // effective sample size cannot be computed: refused as the input it is.
        if weight > 0.0 && weight * weight == 0.0 {
            return Err(NpsError::new(
                ErrorKind::InvalidParameter,
                format!(
                    "NPS weight {weight:e} for score {score} is too small to count (at least about 1.5e-154)"
                ),
                "Scale the weights up (only their ratios matter), or pass 0 to leave the response out.",
            ));
        }
        let (sum, sum_w2) = (self.weight_sums[i] + weight, self.sum_w2 + weight * weight);
        if !sum_w2.is_finite() || (self.weighted && !sum.is_finite()) {
            return Err(weight_overflow());
        }
        self.promote();
        self.counts[i] += 1;
        self.weight_sums[i] += weight;
        self.sum_w2 = sum_w2;
        Ok(())
    }

    /// Turn an unweighted summary into the equivalent weighted one (all weights 1).
    fn promote(&mut self) {
        if !self.weighted {
            for i in 0..BINS {
                self.weight_sums[i] = self.counts[i] as f64;
            }
            self.sum_w2 = self.total_count() as f64;
            self.weighted = true;
        }
    }

    /// Merge another summary into this one, exactly for counts.
    pub fn merge(&mut self, other: &Summary) -> Result<()> {
        let total = self.total_count().checked_add(other.total_count()).filter(|t| *t <= MAX_TOTAL);
        if total.is_none() {
            return Err(NpsError::new(
                ErrorKind::OutOfRange,
                "merged nps_summary would hold more than 9223372036854775807 responses",
                "Roll up fewer summaries at once.",
            ));
        }
        if self.weighted || other.weighted {
            let (mut a, mut b) = (*self, *other);
            a.promote();
            b.promote();
            let sums: [f64; BINS] = std::array::from_fn(|i| a.weight_sums[i] + b.weight_sums[i]);
            let sum_w2 = a.sum_w2 + b.sum_w2;
            if !sum_w2.is_finite() || sums.iter().any(|w| !w.is_finite()) {
                return Err(weight_overflow());
            }
            self.weight_sums = sums;
            self.sum_w2 = sum_w2;
            self.weighted = true;
        }
        for i in 0..BINS {
            self.counts[i] += other.counts[i];
        }
        Ok(())
    }

    pub fn is_weighted(&self) -> bool {
        self.weighted
    }

    /// Responses per score 0..=10.
    pub fn counts(&self) -> [u64; BINS] {
        self.counts
    }

    /// Weight per score 0..=10 (the counts when unweighted).
    pub fn weights(&self) -> [f64; BINS] {
        if self.weighted {
            self.weight_sums
        } else {
            self.counts.map(|c| c as f64)
        }
    }

    /// Number of responses (rows), weighted or not.
    pub fn total_count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Sum of weights (the number of responses when unweighted).
    pub fn total_weight(&self) -> f64 {
        self.weights().iter().sum()
    }

    /// Sum of squared weights (the number of responses when unweighted).
    pub fn sum_sq_weights(&self) -> f64 {
        if self.weighted {
            self.sum_w2
        } else {
            self.total_count() as f64
        }
    }

    /// Kish's effective sample size `(Σw)² / Σw²`; the number of responses when unweighted.
    /// `None` when there is no weight at all.
    pub fn effective_n(&self) -> Option<f64> {
        let w2 = self.sum_sq_weights();
        (w2 > 0.0).then(|| {
            let w = self.total_weight();
            w * w / w2
        })
    }

    /// Responses per segment, indexed detractor, passive, promoter.
    pub fn segment_counts(&self, bands: Bands) -> [u64; 3] {
        let mut out = [0u64; 3];
        for (i, c) in self.counts.iter().enumerate() {
            out[bands.segment_of(i) as usize] += c;
        }
        out
    }

    /// Weight per segment, indexed detractor, passive, promoter.
    pub fn segment_weights(&self, bands: Bands) -> [f64; 3] {
        let mut out = [0f64; 3];
        for (i, w) in self.weights().iter().enumerate() {
            out[bands.segment_of(i) as usize] += w;
        }
        out
    }

    /// Responses in one segment.
    pub fn segment_count(&self, bands: Bands, segment: Segment) -> u64 {
        self.segment_counts(bands)[segment as usize]
    }

    /// Weighted mean score; `None` without weight.
    pub fn mean(&self) -> Option<f64> {
        let w = self.total_weight();
        (w > 0.0).then(|| self.weights().iter().enumerate().map(|(i, x)| i as f64 * x).sum::<f64>() / w)
    }

    /// The binary form without bands (the `nps_summary` type's send format).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self, None)
    }

    /// Decode the binary form of an `nps_summary` (bands are refused: a summary is band-free).
    pub fn from_bytes(bytes: &[u8]) -> Result<Summary> {
        match decode(bytes)? {
            (s, None) => Ok(s),
            (_, Some(_)) => {
                Err(binary_error("nps_summary binary value carries bands; only aggregate states may"))
            }
        }
    }
}

/// The state of the NPS aggregates: a summary plus, for `nps_score(score, promoter_min,
/// detractor_max)`, the bands given with the rows.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AggState {
    pub summary: Summary,
    pub bands: Option<Bands>,
}

impl AggState {
    /// Record the bands given with a row. Every row of one aggregate must give the same bands.
    pub fn set_bands(&mut self, bands: Bands) -> Result<()> {
        match self.bands {
            None => {
                self.bands = Some(bands);
                Ok(())
            }
            Some(b) if b == bands => Ok(()),
            Some(b) => Err(bands_differ(b, bands)),
        }
    }

    /// Merge another state (parallel combine).
    pub fn merge(&mut self, other: &AggState) -> Result<()> {
        if let Some(b) = other.bands {
            self.set_bands(b)?;
        }
        self.summary.merge(&other.summary)
    }

    /// The bands to score with: the ones given with the rows, or the standard ones.
    pub fn bands(&self) -> Bands {
        self.bands.unwrap_or_default()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.summary, self.bands)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<AggState> {
        decode(bytes).map(|(summary, bands)| AggState { summary, bands })
    }
}

#[cold]
fn weight_overflow() -> NpsError {
    NpsError::new(
        ErrorKind::OutOfRange,
        "NPS weights overflow: their sum of squares exceeds the double precision range",
        "Scale the weights down (e.g. ARR in thousands); only their ratios matter.",
    )
}

fn bands_differ(first: Bands, then: Bands) -> NpsError {
    NpsError::new(
        ErrorKind::InvalidParameter,
        format!(
            "NPS bands changed within one aggregate: {}/{} after {}/{}",
            then.promoter_min(),
            then.detractor_max(),
            first.promoter_min(),
            first.detractor_max()
        ),
        "Pass the same promoter_min and detractor_max for every row (constants), or group by them.",
    )
}

fn binary_error(msg: impl Into<String>) -> NpsError {
    NpsError::new(
        ErrorKind::InvalidBinary,
        msg,
        "Send values produced by nps_summary_send of this or an older pg_nps version.",
    )
}

fn encode(s: &Summary, bands: Option<Bands>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + COUNTS_LEN + if s.weighted { WEIGHTS_LEN } else { 0 });
    let flags = if s.weighted { FLAG_WEIGHTED } else { 0 } | if bands.is_some() { FLAG_BANDS } else { 0 };
    let (pmin, dmax) = bands.map_or((0, 0), |b| (b.promoter_min(), b.detractor_max()));
    out.extend_from_slice(&[FORMAT_VERSION, flags, pmin, dmax]);
    for c in s.counts {
        out.extend_from_slice(&c.to_le_bytes());
    }
    if s.weighted {
        for w in s.weight_sums {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&s.sum_w2.to_le_bytes());
    }
    out
}

fn decode(bytes: &[u8]) -> Result<(Summary, Option<Bands>)> {
    let Some(&version) = bytes.first() else {
        return Err(binary_error("nps_summary binary value is empty"));
    };
    if version != FORMAT_VERSION {
        return Err(NpsError::new(
            ErrorKind::InvalidBinary,
            format!("nps_summary binary format version {version} is not supported (this pg_nps reads version {FORMAT_VERSION})"),
            "The value was written by a newer pg_nps: upgrade the extension (ALTER EXTENSION pg_nps UPDATE) where it is read.",
        ));
    }
    if bytes.len() < HEADER_LEN {
        return Err(binary_error(format!(
            "nps_summary binary value is {} bytes, shorter than its header",
            bytes.len()
        )));
    }
    let flags = bytes[1];
    if flags & !(FLAG_WEIGHTED | FLAG_BANDS) != 0 {
        return Err(binary_error(format!("nps_summary binary value has unknown flags {flags:#04x}")));
    }
    let weighted = flags & FLAG_WEIGHTED != 0;
    let want = HEADER_LEN + COUNTS_LEN + if weighted { WEIGHTS_LEN } else { 0 };
    if bytes.len() != want {
        return Err(binary_error(format!(
            "nps_summary binary value is {} bytes, expected {want}",
            bytes.len()
        )));
    }
    let bands = if flags & FLAG_BANDS != 0 {
        Some(Bands::new(bytes[2] as i64, bytes[3] as i64).map_err(|e| binary_error(e.message))?)
    } else {
        None
    };
    let word =
        |k: usize| -> [u8; 8] { bytes[HEADER_LEN + 8 * k..HEADER_LEN + 8 * k + 8].try_into().unwrap() };
    let counts: [u64; BINS] = std::array::from_fn(|i| u64::from_le_bytes(word(i)));
    let weights = weighted.then(|| {
        let sums: [f64; BINS] = std::array::from_fn(|i| f64::from_le_bytes(word(BINS + i)));
        (sums, f64::from_le_bytes(word(2 * BINS)))
    });
    Summary::from_parts(counts, weights, ErrorKind::InvalidBinary).map(|s| (s, bands))
}

/// Text form: compact JSON, shortest round-tripping floats.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(96);
        out.push_str("{\"counts\":[");
        for (i, c) in self.counts.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write!(out, "{c}")?;
        }
        out.push(']');
        if self.weighted {
            out.push_str(",\"weights\":[");
            for (i, w) in self.weight_sums.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write!(out, "{w:?}")?;
            }
            write!(out, "],\"sum_w2\":{:?}", self.sum_w2)?;
        }
        out.push('}');
        f.write_str(&out)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextForm {
    counts: Vec<u64>,
    #[serde(default)]
    weights: Option<Vec<f64>>,
    #[serde(default)]
    sum_w2: Option<f64>,
}

impl FromStr for Summary {
    type Err = NpsError;

    fn from_str(input: &str) -> Result<Summary> {
        let shown: String = if input.chars().count() > 200 {
            input.chars().take(200).chain("...".chars()).collect()
        } else {
            input.to_string()
        };
        let bad = |why: String| {
            NpsError::new(
                ErrorKind::InvalidText,
                format!("invalid nps_summary \"{shown}\": {why}"),
                TEXT_HINT,
            )
        };
        let form: TextForm = serde_json::from_str(input).map_err(|e| bad(e.to_string()))?;
        let counts: [u64; BINS] = form.counts.as_slice().try_into().map_err(|_| {
            bad(format!("counts has {} entries, expected 11 (scores 0 to 10)", form.counts.len()))
        })?;
        let weights = match (form.weights, form.sum_w2) {
            (None, None) => None,
            (Some(w), Some(w2)) => {
                let w: [f64; BINS] = w
                    .as_slice()
                    .try_into()
                    .map_err(|_| bad(format!("weights has {} entries, expected 11", w.len())))?;
                Some((w, w2))
            }
            _ => return Err(bad("weights and sum_w2 go together".into())),
        };
        Summary::from_parts(counts, weights, ErrorKind::InvalidText).map_err(|e| bad(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_scores(scores: &[i64]) -> Summary {
        let mut s = Summary::EMPTY;
        for &x in scores {
            s.add(x).unwrap();
        }
        s
    }

    #[test]
    fn counts_segments_and_mean() {
        let s = from_scores(&[10, 9, 9, 8, 7, 6, 0, 3, 10, 5]);
        assert_eq!(s.total_count(), 10);
        assert_eq!(s.segment_counts(Bands::STANDARD), [4, 2, 4]);
        assert_eq!(s.segment_count(Bands::new(8, 5).unwrap(), Segment::Promoter), 5);
        assert_eq!(s.mean(), Some(6.7));
        assert_eq!(s.effective_n(), Some(10.0));
        assert_eq!(Summary::EMPTY.mean(), None);
        assert_eq!(Summary::EMPTY.effective_n(), None);
    }

    #[test]
    fn add_refuses_out_of_range_scores_and_leaves_the_summary_unchanged() {
        let mut s = from_scores(&[9]);
        let before = s;
        assert_eq!(s.add(11).unwrap_err().kind, ErrorKind::OutOfRange);
        assert_eq!(s.add(-1).unwrap_err().kind, ErrorKind::OutOfRange);
        assert_eq!(s, before);
    }

    #[test]
    fn add_unweighted_counts_like_add() {
        let mut s = Summary::EMPTY;
        for x in [0, 5, 10, 10] {
            s.add_unweighted(x).unwrap();
        }
        assert_eq!(s, from_scores(&[0, 5, 10, 10]));
        assert_eq!(s.add_unweighted(11).unwrap_err().kind, ErrorKind::OutOfRange);
    }

    #[test]
    fn remove_undoes_add() {
        let mut s = from_scores(&[3, 9, 9]);
        s.remove(9).unwrap();
        assert_eq!(s, from_scores(&[3, 9]));
        assert!(s.remove(10).is_err());
        assert_eq!(s.remove(12).unwrap_err().kind, ErrorKind::OutOfRange);
        let mut w = Summary::EMPTY;
        w.add_weighted(3, 1.0).unwrap();
        assert!(w.remove(3).is_err());
    }

    #[test]
    fn weights_are_validated() {
        let mut s = Summary::EMPTY;
        for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = s.add_weighted(9, bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidParameter);
            assert!(e.message.contains(&format!("{bad}")), "{}", e.message);
        }
        assert_eq!(s, Summary::EMPTY);
        // A weight whose square underflows to 0 would leave an effective sample size of 0/0.
        let e = s.add_weighted(9, 1e-200).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        assert!(e.message.contains("1e-200"), "{}", e.message);
        s.add_weighted(9, 1e-150).unwrap();
        let mut s = Summary::EMPTY;
        s.add_weighted(9, 0.0).unwrap();
        assert_eq!(s.total_count(), 1);
        assert_eq!(s.total_weight(), 0.0);
        assert_eq!(s.effective_n(), None);
    }

    #[test]
    fn kish_effective_n() {
        // weights 1, 2, 3: (6)^2 / (1 + 4 + 9) = 36 / 14
        let mut s = Summary::EMPTY;
        for (x, w) in [(10, 1.0), (5, 2.0), (8, 3.0)] {
            s.add_weighted(x, w).unwrap();
        }
        assert!((s.effective_n().unwrap() - 36.0 / 14.0).abs() < 1e-12);
        assert_eq!(s.total_weight(), 6.0);
        assert_eq!(s.segment_weights(Bands::STANDARD), [2.0, 3.0, 1.0]);
        // mean = (10*1 + 5*2 + 8*3) / 6 = 44 / 6
        assert!((s.mean().unwrap() - 44.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn merge_is_exact_and_matches_one_pass() {
        let all: Vec<i64> = (0..1000).map(|i| (i * 7 + i / 3) % 11).collect();
        let one = from_scores(&all);
        let mut rolled = Summary::EMPTY;
        for chunk in all.chunks(37) {
            rolled.merge(&from_scores(chunk)).unwrap();
        }
        assert_eq!(rolled, one);
    }

    #[test]
    fn merging_unweighted_into_weighted_treats_it_as_weight_one() {
        let mut w = Summary::EMPTY;
        w.add_weighted(10, 2.0).unwrap();
        let u = from_scores(&[0, 0]);
        let mut a = w;
        a.merge(&u).unwrap();
        let mut b = u;
        b.merge(&w).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.weights()[0], 2.0);
        assert_eq!(a.sum_sq_weights(), 4.0 + 2.0);
        assert_eq!(a.total_count(), 3);
    }

    #[test]
    fn merge_refuses_overflow() {
        let mut counts = [0u64; BINS];
        counts[10] = i64::MAX as u64;
        let mut big = Summary::from_counts(counts).unwrap();
        let before = big;
        assert_eq!(big.merge(&from_scores(&[1])).unwrap_err().kind, ErrorKind::OutOfRange);
        assert_eq!(big, before);
        counts[9] = 1;
        assert!(Summary::from_counts(counts).is_err());
    }

    #[test]
    fn binary_round_trip_starts_with_the_version_byte() {
        let s = from_scores(&[1, 2, 9, 10, 10]);
        let b = s.to_bytes();
        assert_eq!(b[0], FORMAT_VERSION);
        assert_eq!(b.len(), 4 + 88);
        assert_eq!(Summary::from_bytes(&b).unwrap(), s);

        let mut w = Summary::EMPTY;
        w.add_weighted(3, 0.1).unwrap();
        w.add_weighted(9, 1e150).unwrap();
        let before = w;
        assert_eq!(w.add_weighted(9, 1e300).unwrap_err().kind, ErrorKind::OutOfRange);
        assert_eq!(w, before);
        let b = w.to_bytes();
        assert_eq!(b.len(), 4 + 88 + 96);
        assert_eq!(Summary::from_bytes(&b).unwrap(), w);
    }

    #[test]
    fn state_round_trip_keeps_bands_and_summary_refuses_them() {
        let mut st = AggState::default();
        st.set_bands(Bands::new(8, 4).unwrap()).unwrap();
        st.summary.add(5).unwrap();
        let b = st.to_bytes();
        assert_eq!(AggState::from_bytes(&b).unwrap(), st);
        assert_eq!(Summary::from_bytes(&b).unwrap_err().kind, ErrorKind::InvalidBinary);
    }

    #[test]
    fn binary_decode_refuses_bad_input() {
        let good = from_scores(&[5]).to_bytes();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "empty"),
            (vec![2, 0, 0, 0], "version 2"),
            (good[..50].to_vec(), "50 bytes"),
            (
                {
                    let mut b = good.clone();
                    b[1] = 0x80;
                    b
                },
                "unknown flags",
            ),
            (
                {
                    let mut b = good.clone();
                    b[1] = 1;
                    b
                },
                "expected 188",
            ),
            (
                {
                    let mut b = good.clone();
                    b[1] = 2;
                    b[2] = 5;
                    b[3] = 7;
                    b
                },
                "must be greater",
            ),
            (
                {
                    let mut b = good.clone();
                    b[4..12].copy_from_slice(&u64::MAX.to_le_bytes());
                    b
                },
                "more than",
            ),
        ];
        for (bytes, want) in cases {
            let e = AggState::from_bytes(&bytes).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidBinary, "{want}");
            assert!(e.message.contains(want), "{} does not contain {want}", e.message);
        }
    }

    #[test]
    fn text_round_trip() {
        let s = from_scores(&[0, 6, 7, 9, 10, 10]);
        let t = s.to_string();
        assert_eq!(t, "{\"counts\":[1,0,0,0,0,0,1,1,0,1,2]}");
        assert_eq!(t.parse::<Summary>().unwrap(), s);

        let mut w = Summary::EMPTY;
        w.add_weighted(10, 0.1).unwrap();
        w.add_weighted(10, 0.2).unwrap();
        w.add_weighted(0, 1234.5678e10).unwrap();
        let t = w.to_string();
        assert!(t.contains("\"weights\":[") && t.contains("\"sum_w2\":"), "{t}");
        assert_eq!(t.parse::<Summary>().unwrap(), w);
        // whitespace and key order are free on input
        let spaced = " { \"sum_w2\" : 1.0 , \"weights\":[0,0,0,0,0,0,0,0,0,0,1], \"counts\":[0,0,0,0,0,0,0,0,0,0,1] } ";
        assert!(spaced.parse::<Summary>().unwrap().is_weighted());
    }

    #[test]
    fn text_input_refuses_bad_values_naming_them() {
        for (input, want) in [
            ("", "EOF"),
            ("{\"counts\":[1,2,3]}", "3 entries"),
            ("{\"counts\":[1,2,3,4,5,6,7,8,9,10,-1]}", "invalid value"),
            ("{\"counts\":[0,0,0,0,0,0,0,0,0,0,0],\"extra\":1}", "unknown field"),
            ("{\"counts\":[0,0,0,0,0,0,0,0,0,0,1],\"weights\":[0,0,0,0,0,0,0,0,0,0,1]}", "go together"),
            (
                "{\"counts\":[0,0,0,0,0,0,0,0,0,0,1],\"weights\":[1,0,0,0,0,0,0,0,0,0,1],\"sum_w2\":2}",
                "no response",
            ),
            (
                "{\"counts\":[0,0,0,0,0,0,0,0,0,0,1],\"weights\":[0,0,0,0,0,0,0,0,0,0,-1],\"sum_w2\":1}",
                "weight for score 10",
            ),
            (
                "{\"counts\":[0,0,0,0,0,0,0,0,0,0,1],\"weights\":[0,0,0,0,0,0,0,0,0,0,1],\"sum_w2\":0}",
                "squared",
            ),
        ] {
            let e = input.parse::<Summary>().unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidText, "{input}");
            assert!(e.message.contains(want), "{} does not contain {want}", e.message);
            assert!(e.message.contains(input.trim()), "message names the input: {}", e.message);
        }
    }
}
