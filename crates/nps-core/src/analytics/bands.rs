//! Scores and segment bands.
//!
//! An NPS answer is an integer 0–10. Bands split the scale into detractors (0..=detractor_max),
//! passives (in between, possibly empty) and promoters (promoter_min..=10). The standard bands are
//! 9–10 / 7–8 / 0–6.

use crate::error::{ErrorKind, NpsError, Result};

/// Highest valid score.
pub const MAX_SCORE: u8 = 10;
/// Number of distinct scores (0..=10): the length of every histogram.
pub const BINS: usize = MAX_SCORE as usize + 1;

const SCORE_HINT: &str =
    "An NPS answer is an integer from 0 to 10; store other scales in another column or rescale them first.";
const BANDS_HINT: &str = "Bands need 0 <= detractor_max < promoter_min <= 10; the standard bands are promoter_min 9 and detractor_max 6.";

/// Validate one score: `Ok(index)` for 0..=10, an `OutOfRange` error naming the value otherwise.
#[inline]
pub fn check_score(score: i64) -> Result<usize> {
    if (0..=MAX_SCORE as i64).contains(&score) {
        Ok(score as usize)
    } else {
        Err(score_out_of_range(score))
    }
}

/// The error for a score outside 0..=10. Kept out of line: it is the cold path of every aggregate.
#[cold]
#[inline(never)]
pub fn score_out_of_range(score: i64) -> NpsError {
    NpsError::new(ErrorKind::OutOfRange, format!("NPS score {score} is out of range 0..10"), SCORE_HINT)
}

/// The three NPS segments, ordered as the scale is: detractor < passive < promoter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Detractor,
    Passive,
    Promoter,
}

impl Segment {
    pub const ALL: [Segment; 3] = [Segment::Detractor, Segment::Passive, Segment::Promoter];

    /// The label used by the SQL enum `nps_segment`.
    pub fn label(self) -> &'static str {
        match self {
            Segment::Detractor => "detractor",
            Segment::Passive => "passive",
            Segment::Promoter => "promoter",
        }
    }
}

/// Validated segment bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bands {
    promoter_min: u8,
    detractor_max: u8,
}

impl Default for Bands {
    fn default() -> Self {
        Bands::STANDARD
    }
}

impl Bands {
    /// The standard bands: promoters 9–10, passives 7–8, detractors 0–6.
    pub const STANDARD: Bands = Bands { promoter_min: 9, detractor_max: 6 };

    /// Validate bands given as SQL integers.
    pub fn new(promoter_min: i64, detractor_max: i64) -> Result<Bands> {
        for (name, v) in [("promoter_min", promoter_min), ("detractor_max", detractor_max)] {
            if !(0..=MAX_SCORE as i64).contains(&v) {
                return Err(NpsError::new(
                    ErrorKind::InvalidParameter,
                    format!("NPS band {name} {v} is outside the score scale 0..10"),
                    BANDS_HINT,
                ));
            }
        }
        if promoter_min <= detractor_max {
            return Err(NpsError::new(
                ErrorKind::InvalidParameter,
                format!(
                    "NPS bands overlap: promoter_min {promoter_min} must be greater than detractor_max {detractor_max}"
                ),
                BANDS_HINT,
            ));
        }
        Ok(Bands { promoter_min: promoter_min as u8, detractor_max: detractor_max as u8 })
    }

    pub fn promoter_min(self) -> u8 {
        self.promoter_min
    }

    pub fn detractor_max(self) -> u8 {
        self.detractor_max
    }

    /// The segment of a score already known to be in 0..=10.
    #[inline]
    pub fn segment_of(self, score: usize) -> Segment {
        if score >= self.promoter_min as usize {
            Segment::Promoter
        } else if score <= self.detractor_max as usize {
            Segment::Detractor
        } else {
            Segment::Passive
        }
    }

    /// The segment of a score given as a SQL integer, validating it.
    pub fn segment(self, score: i64) -> Result<Segment> {
        check_score(score).map(|s| self.segment_of(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_bands_split_the_scale() {
        let b = Bands::STANDARD;
        let got: Vec<Segment> = (0..=10).map(|s| b.segment(s).unwrap()).collect();
        let mut want = vec![Segment::Detractor; 7];
        want.extend([Segment::Passive; 2]);
        want.extend([Segment::Promoter; 2]);
        assert_eq!(got, want);
    }

    #[test]
    fn custom_bands_and_empty_passive_band() {
        let b = Bands::new(8, 5).unwrap();
        assert_eq!(b.segment(8).unwrap(), Segment::Promoter);
        assert_eq!(b.segment(7).unwrap(), Segment::Passive);
        assert_eq!(b.segment(5).unwrap(), Segment::Detractor);
        let tight = Bands::new(7, 6).unwrap();
        assert!((0..=10).all(|s| tight.segment(s).unwrap() != Segment::Passive));
        let extreme = Bands::new(10, 0).unwrap();
        assert_eq!(extreme.segment(0).unwrap(), Segment::Detractor);
        assert_eq!(extreme.segment(1).unwrap(), Segment::Passive);
        assert_eq!(extreme.segment(10).unwrap(), Segment::Promoter);
    }

    #[test]
    fn scores_outside_the_scale_are_refused_with_the_value() {
        for bad in [-1_i64, 11, i64::MIN, i64::MAX] {
            let e = Bands::STANDARD.segment(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::OutOfRange);
            assert!(e.message.contains(&bad.to_string()), "{}", e.message);
            assert!(!e.hint.is_empty());
        }
    }

    #[test]
    fn bad_bands_are_refused_naming_the_values() {
        let e = Bands::new(6, 6).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        assert!(e.message.contains("promoter_min 6") && e.message.contains("detractor_max 6"));
        assert!(Bands::new(5, 7).is_err());
        let e = Bands::new(11, 6).unwrap_err();
        assert!(e.message.contains("promoter_min 11"), "{}", e.message);
        let e = Bands::new(9, -1).unwrap_err();
        assert!(e.message.contains("detractor_max -1"), "{}", e.message);
    }

    #[test]
    fn segments_order_like_the_scale() {
        assert!(Segment::Detractor < Segment::Passive && Segment::Passive < Segment::Promoter);
        assert_eq!(Segment::ALL.map(Segment::label), ["detractor", "passive", "promoter"]);
    }
}
