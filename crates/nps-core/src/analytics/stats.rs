//! NPS statistics: score, per-response variance, standard error, confidence intervals (Wald and
//! adjusted Wald), margin of error and the two-sample z-test.
//!
//! NPS is the mean of a variable that is +1 for a promoter, 0 for a passive and −1 for a detractor
//! (times 100). With promoter share `p` and detractor share `d` its per-response variance is
//! `p + d − (p − d)²`, and the standard error of the score is `100 · sqrt(var / n)`.
//!
//! Weighted summaries use weighted shares and Kish's effective sample size for `n`.
//!
//! The adjusted-Wald interval (Rocks 2016, following Agresti–Coull) adds 3 to `n` and 0.75 to the
//! promoter and detractor counts and centres the interval on the adjusted estimate; it behaves far
//! better than Wald for small samples and extreme scores.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::analytics::bands::{Bands, Segment};
use crate::analytics::summary::Summary;
use crate::error::{ErrorKind, NpsError, Result};

/// Point estimate inputs: promoter and detractor shares and the (effective) sample size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Promoter share, 0..=1.
    pub p: f64,
    /// Detractor share, 0..=1.
    pub d: f64,
    /// Sample size (Kish's effective n for weighted summaries), > 0.
    pub n: f64,
    /// Score, computed from the weights as `100 (P − D) / W` so that integer counts give the
    /// correctly rounded result (the same as the SQL formula on counts).
    score: f64,
}

/// Interval methods for [`Estimate::ci`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiMethod {
    Wald,
    AdjustedWald,
}

impl CiMethod {
    /// Parse the SQL spelling: `'wald'` or `'adjusted_wald'`.
    pub fn parse(name: &str) -> Result<CiMethod> {
        match name {
            "wald" => Ok(CiMethod::Wald),
            "adjusted_wald" => Ok(CiMethod::AdjustedWald),
            other => Err(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("unknown NPS interval method \"{other}\""),
                "Use 'adjusted_wald' (the default, sound for small samples) or 'wald'.",
            )),
        }
    }
}

/// Result of comparing two independent samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Score of the first minus score of the second, in NPS points.
    pub difference: f64,
    /// z statistic; `None` when both samples have zero variance (the test is undefined).
    pub z: Option<f64>,
    /// Two-sided p-value; `None` with `z`.
    pub p_value: Option<f64>,
}

/// Quantile of the standard normal distribution for a two-sided interval at `level`
/// (e.g. 0.95 → 1.95996…). `level` must lie strictly between 0 and 1.
pub fn z_for_level(level: f64) -> Result<f64> {
    if !(level > 0.0 && level < 1.0) {
        return Err(NpsError::new(
            ErrorKind::InvalidParameter,
            format!("confidence level {level} is not between 0 and 1"),
            "Give the level as a fraction strictly between 0 and 1, e.g. 0.95 for a 95% interval.",
        ));
    }
    Ok(Normal::standard().inverse_cdf(0.5 + level / 2.0))
}

/// Two-sided p-value of a standard normal statistic, computed from the upper tail so it stays
/// accurate for large |z|.
pub fn two_sided_p(z: f64) -> f64 {
    (2.0 * Normal::standard().sf(z.abs())).min(1.0)
}

fn clamp_score(x: f64) -> f64 {
    x.clamp(-100.0, 100.0)
}

/// `p + d − (p − d)²`, never negative (floating-point noise is clipped).
fn variance_of(p: f64, d: f64) -> f64 {
    (p + d - (p - d) * (p - d)).max(0.0)
}

impl Estimate {
    /// The estimate for a summary under `bands`; `None` when the summary has no weight.
    pub fn of(summary: &Summary, bands: Bands) -> Option<Estimate> {
        let n = summary.effective_n()?;
        let w = summary.segment_weights(bands);
        let total: f64 = w.iter().sum();
        let (wp, wd) = (w[Segment::Promoter as usize], w[Segment::Detractor as usize]);
        (total > 0.0 && n > 0.0).then(|| Estimate {
            p: wp / total,
            d: wd / total,
            n,
            score: 100.0 * (wp - wd) / total,
        })
    }

    /// NPS in −100..=100.
    pub fn score(&self) -> f64 {
        self.score
    }

    /// Per-response variance of the ±1/0 variable.
    pub fn variance(&self) -> f64 {
        variance_of(self.p, self.d)
    }

    /// Standard error of the score, in NPS points.
    pub fn std_error(&self) -> f64 {
        100.0 * (self.variance() / self.n).sqrt()
    }

    /// Margin of error (Wald half-width) at `level`, in NPS points.
    pub fn moe(&self, level: f64) -> Result<f64> {
        Ok(z_for_level(level)? * self.std_error())
    }

    /// Confidence interval `(low, high)` at `level`, clipped to −100..=100.
    pub fn ci(&self, level: f64, method: CiMethod) -> Result<(f64, f64)> {
        let z = z_for_level(level)?;
        let (centre, half) = match method {
            CiMethod::Wald => (self.score(), z * self.std_error()),
            CiMethod::AdjustedWald => {
                let n = self.n + 3.0;
                let p = (self.p * self.n + 0.75) / n;
                let d = (self.d * self.n + 0.75) / n;
                (100.0 * (p - d), z * 100.0 * (variance_of(p, d) / n).sqrt())
            }
        };
        Ok((clamp_score(centre - half), clamp_score(centre + half)))
    }

    /// Two-sided z-test for the difference of two independent scores.
    pub fn compare(&self, other: &Estimate) -> Comparison {
        let difference = self.score() - other.score();
        let se = 100.0 * (self.variance() / self.n + other.variance() / other.n).sqrt();
        if se > 0.0 {
            let z = difference / se;
            Comparison { difference, z: Some(z), p_value: Some(two_sided_p(z)) }
        } else {
            Comparison { difference, z: None, p_value: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values below were computed independently with Python's statistics.NormalDist
    // and the formulas written out by hand.

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    fn summary(promoters: u64, passives: u64, detractors: u64) -> Summary {
        let mut c = [0u64; 11];
        c[10] = promoters;
        c[7] = passives;
        c[0] = detractors;
        Summary::from_counts(c).unwrap()
    }

    fn est(promoters: u64, passives: u64, detractors: u64) -> Estimate {
        Estimate::of(&summary(promoters, passives, detractors), Bands::STANDARD).unwrap()
    }

    #[test]
    fn normal_quantiles() {
        assert!(close(z_for_level(0.95).unwrap(), 1.9599639845400536));
        assert!(close(z_for_level(0.90).unwrap(), 1.6448536269514715));
        assert!(close(z_for_level(0.99).unwrap(), 2.5758293035489));
    }

    #[test]
    fn levels_outside_zero_one_are_refused() {
        for bad in [0.0, 1.0, -0.5, 95.0, f64::NAN, f64::INFINITY] {
            let e = z_for_level(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidParameter);
            assert!(e.message.contains(&format!("{bad}")), "{}", e.message);
        }
    }

    #[test]
    fn score_is_correctly_rounded_for_counts() {
        // 18182 promoters and 63636 detractors of 100000: exactly -45.454, which computing
        // 100 * (p - d) from rounded shares misses by an ulp.
        let e = est(18182, 100000 - 18182 - 63636, 63636);
        assert_eq!(e.score(), -45.454);
    }

    #[test]
    fn score_variance_and_standard_error() {
        let e = est(50, 30, 20);
        assert!(close(e.score(), 30.0));
        assert!(close(e.variance(), 0.61));
        assert!(close(e.std_error(), 7.810249675906654));
    }

    #[test]
    fn wald_interval_and_margin_of_error() {
        let e = est(50, 30, 20);
        let (lo, hi) = e.ci(0.95, CiMethod::Wald).unwrap();
        assert!(close(lo, 14.692191924957331) && close(hi, 45.30780807504267), "{lo} {hi}");
        assert!(close(e.moe(0.95).unwrap(), 15.307808075042669));
        assert!(close(e.moe(0.90).unwrap(), 12.846717506811615));
    }

    #[test]
    fn adjusted_wald_interval() {
        let (lo, hi) = est(50, 30, 20).ci(0.95, CiMethod::AdjustedWald).unwrap();
        assert!(close(lo, 14.051130178761607) && close(hi, 44.201297005704404), "{lo} {hi}");
        // small sample: 4 promoters, 2 passives, 4 detractors
        let (lo, hi) = est(4, 2, 4).ci(0.95, CiMethod::AdjustedWald).unwrap();
        assert!(close(lo, -46.46934396774453) && close(hi, 46.46934396774453), "{lo} {hi}");
        let (lo, hi) = est(4, 2, 4).ci(0.95, CiMethod::Wald).unwrap();
        assert!(close(lo, -55.4361529739871) && close(hi, 55.4361529739871), "{lo} {hi}");
    }

    #[test]
    fn intervals_are_clipped_to_the_scale() {
        // all promoters: Wald collapses to (100, 100); adjusted Wald is wide and clipped at 100
        let e = est(5, 0, 0);
        assert_eq!(e.ci(0.95, CiMethod::Wald).unwrap(), (100.0, 100.0));
        let (lo, hi) = e.ci(0.95, CiMethod::AdjustedWald).unwrap();
        assert!(close(lo, 17.491453034168977) && hi == 100.0, "{lo} {hi}");
    }

    #[test]
    fn weighted_estimates_use_kish_n() {
        let mut s = Summary::EMPTY;
        for (x, w) in [(10, 1.0), (5, 2.0), (8, 3.0), (9, 4.0)] {
            s.add_weighted(x, w).unwrap();
        }
        let e = Estimate::of(&s, Bands::STANDARD).unwrap();
        assert!(close(e.score(), 30.0));
        assert!(close(e.n, 10.0 / 3.0));
        let (lo, hi) = e.ci(0.95, CiMethod::Wald).unwrap();
        assert!(close(lo, -53.84431788660605) && hi == 100.0, "{lo} {hi}");
        let (lo, hi) = e.ci(0.95, CiMethod::AdjustedWald).unwrap();
        assert!(close(lo, -43.539977445935364) && close(hi, 75.11892481435642), "{lo} {hi}");
    }

    #[test]
    fn bands_change_the_estimate() {
        let mut c = [0u64; 11];
        c[8] = 10; // promoters under 8/5 bands, passives under the standard ones
        c[6] = 10; // passives under 8/5, detractors under the standard ones
        let s = Summary::from_counts(c).unwrap();
        assert!(close(Estimate::of(&s, Bands::STANDARD).unwrap().score(), -50.0));
        assert!(close(Estimate::of(&s, Bands::new(8, 5).unwrap()).unwrap().score(), 50.0));
    }

    #[test]
    fn two_sample_z_test() {
        let c = est(50, 30, 20).compare(&est(80, 60, 60));
        assert!(close(c.difference, 20.0));
        assert!(close(c.z.unwrap(), 2.046578040386603), "{:?}", c);
        assert!(close(c.p_value.unwrap(), 0.040699532791497184), "{:?}", c);
        // symmetric
        let r = est(80, 60, 60).compare(&est(50, 30, 20));
        assert!(close(r.z.unwrap(), -2.046578040386603) && close(r.p_value.unwrap(), c.p_value.unwrap()));
        // far apart: p-value stays positive and tiny rather than rounding to 0 too early
        let far = est(9000, 500, 500).compare(&est(500, 500, 9000));
        assert!(far.p_value.unwrap() >= 0.0 && far.p_value.unwrap() < 1e-300);
    }

    #[test]
    fn zero_variance_comparison_has_no_test() {
        let c = est(5, 0, 0).compare(&est(0, 0, 7));
        assert_eq!(c.difference, 200.0);
        assert_eq!((c.z, c.p_value), (None, None));
    }

    #[test]
    fn empty_summaries_have_no_estimate() {
        assert_eq!(Estimate::of(&Summary::EMPTY, Bands::STANDARD), None);
        let mut s = Summary::EMPTY;
        s.add_weighted(9, 0.0).unwrap();
        assert_eq!(Estimate::of(&s, Bands::STANDARD), None);
    }

    #[test]
    fn interval_methods_parse() {
        assert_eq!(CiMethod::parse("wald").unwrap(), CiMethod::Wald);
        assert_eq!(CiMethod::parse("adjusted_wald").unwrap(), CiMethod::AdjustedWald);
        let e = CiMethod::parse("wilson").unwrap_err();
        assert!(e.message.contains("\"wilson\"") && e.hint.contains("adjusted_wald"));
    }
}
