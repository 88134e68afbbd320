//! Xu's shortcut design equations for a binary split (chemistry.md, "Xu's
//! design equations").
//!
//! Component (or group) A is the more extractable one and leaves in the
//! loaded organic with purity `P_A`; B leaves in the raffinate with purity
//! `P_B`. Everything is per unit feed RE flow: multiply `S` and `W` by the
//! feed's total RE flow.
//!
//! ```
//! use sxforge::cascade::Phase;
//! use sxforge::design::shortcut::xu_shortcut;
//! // Xu's classic case: beta 1.5, 75 % A in the feed, 99.5 % / 99 %.
//! let d = xu_shortcut(1.5, 0.75, 0.995, 0.99, Phase::Aqueous).unwrap();
//! assert!((d.s - 4.094).abs() < 1e-3 && (d.w - 3.343).abs() < 1e-3);
//! assert_eq!((d.extraction_stages(), d.scrub_stages()), (17, 20));
//! ```
//!
//! # References
//!
//! Xu Guangxian et al., *Rare Earths* (theory of countercurrent extraction,
//! constant mixed extraction ratio); the formulas as stated in
//! `chemistry.md`.

use serde::Serialize;

use crate::cascade::Phase;

/// Xu's optimum design of a binary split, per unit feed RE flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortcut {
    /// Feed phase the design is for.
    pub feed_phase: Phase,
    /// Separation factor between A and B (> 1).
    pub beta: f64,
    /// Feed fraction of A (the more extractable group).
    pub f_a: f64,
    /// Target purity of A in the loaded organic.
    pub p_a: f64,
    /// Target purity of B in the raffinate.
    pub p_b: f64,
    /// Product split `f'_A`: share of the feed leaving in the loaded organic.
    pub product_split: f64,
    /// Extraction-section mixed extraction ratio `E_M`.
    pub e_m: f64,
    /// Scrub-section mixed extraction ratio `E'_M`.
    pub e_m_scrub: f64,
    /// Extraction amount S (RE flow in the loaded organic) per unit feed.
    pub s: f64,
    /// Scrub amount W (RE flow in the scrub aqueous) per unit feed.
    pub w: f64,
    /// Purification ratio of A, `a`.
    pub a: f64,
    /// Purification ratio of B, `b`.
    pub b: f64,
    /// Extraction stages `n` (real, before rounding up).
    pub extraction: f64,
    /// Scrub stages `m` (real, before rounding up).
    pub scrub: f64,
    /// Minimum reflux for a sharp split `(S_min, W_min)` (aqueous feed only).
    pub min_reflux: Option<(f64, f64)>,
    /// Fenske minimum total stages at total reflux,
    /// `lg[(P_A/(1-P_A)) (P_B/(1-P_B))] / lg beta`.
    pub min_total_stages: f64,
}

impl Shortcut {
    /// Extraction stages rounded up.
    pub fn extraction_stages(&self) -> usize {
        round_up(self.extraction)
    }

    /// Scrub stages rounded up.
    pub fn scrub_stages(&self) -> usize {
        round_up(self.scrub)
    }
}

/// Rounds a stage count up, forgiving rounding noise of 1e-9.
fn round_up(v: f64) -> usize {
    (v - 1e-9).ceil().max(1.0) as usize
}

/// Why a shortcut design is impossible.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShortcutError {
    /// beta must exceed 1 for A to be the more extractable component.
    #[error("separation factor {0} must be greater than 1")]
    Beta(f64),
    /// A fraction or purity outside (0, 1).
    #[error("{what} = {value}: expected a value strictly between 0 and 1")]
    Range {
        /// Which input.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// A purity target that the feed already meets or that leaves no
    /// product: the targets contradict the feed.
    #[error("{what} = {value} does not enrich the feed: it must exceed the feed share {feed}")]
    NoEnrichment {
        /// Which target.
        what: &'static str,
        /// Its value.
        value: f64,
        /// The feed share it must exceed.
        feed: f64,
    },
}

/// Xu's optimum extraction and scrub amounts and stage counts for a binary
/// split with separation factor `beta`, feed fraction `f_a` of the more
/// extractable A, and target purities `p_a` (A in the loaded organic) and
/// `p_b` (B in the raffinate).
pub fn xu_shortcut(
    beta: f64,
    f_a: f64,
    p_a: f64,
    p_b: f64,
    feed_phase: Phase,
) -> Result<Shortcut, ShortcutError> {
    if !(beta.is_finite() && beta > 1.0) {
        return Err(ShortcutError::Beta(beta));
    }
    for (what, value) in [("feed fraction of A", f_a), ("P_A", p_a), ("P_B", p_b)] {
        if !(value > 0.0 && value < 1.0) {
            return Err(ShortcutError::Range { what, value });
        }
    }
    let f_b = 1.0 - f_a;
    if p_a <= f_a {
        return Err(ShortcutError::NoEnrichment {
            what: "P_A",
            value: p_a,
            feed: f_a,
        });
    }
    if p_b <= f_b {
        return Err(ShortcutError::NoEnrichment {
            what: "P_B",
            value: p_b,
            feed: f_b,
        });
    }
    let fa_p = (p_b - f_b) / (p_a + p_b - 1.0);
    let fb_p = 1.0 - fa_p;
    let a = (p_a / (1.0 - p_a)) / (f_a / f_b);
    let b = (p_b / (1.0 - p_b)) / (f_b / f_a);
    let sb = beta.sqrt();
    let (e_m, e_ms, s, w, n, m, min_reflux) = match feed_phase {
        Phase::Aqueous => {
            let (e_m, e_ms) = if fa_p <= 1.0 / (1.0 + sb) {
                let e_m = 1.0 / sb;
                (e_m, e_m * fb_p / (e_m - fa_p))
            } else {
                let e_ms = sb;
                (fa_p * e_ms / (e_ms - fb_p), e_ms)
            };
            let s = e_m * fb_p / (1.0 - e_m);
            let w = s - fa_p;
            let n = b.log10() / (beta * e_m).log10();
            let m = a.log10() / (beta / e_ms).log10() - 1.0;
            let w_min = 1.0 / (beta - 1.0);
            (e_m, e_ms, s, w, n, m, Some((f_a + w_min, w_min)))
        }
        Phase::Organic => {
            // W = S + f'_B, E_M = S/W, E'_M = (S+1)/W, so E'_M = E_M + (1-E_M)/f'_B.
            let (e_m, e_ms) = if fa_p <= sb / (1.0 + sb) {
                let e_m = 1.0 / sb;
                (e_m, e_m + (1.0 - e_m) / fb_p)
            } else {
                let e_ms = sb;
                ((1.0 - e_ms * fb_p) / fa_p, e_ms)
            };
            let s = e_m * fb_p / (1.0 - e_m);
            let w = s + fb_p;
            let n = b.log10() / (beta * e_m).log10() - 1.0;
            let m = a.log10() / (beta / e_ms).log10();
            (e_m, e_ms, s, w, n, m, None)
        }
    };
    let min_total_stages = ((p_a / (1.0 - p_a)) * (p_b / (1.0 - p_b))).log10() / beta.log10();
    Ok(Shortcut {
        feed_phase,
        beta,
        f_a,
        p_a,
        p_b,
        product_split: fa_p,
        e_m,
        e_m_scrub: e_ms,
        s,
        w,
        a,
        b,
        extraction: n,
        scrub: m,
        min_reflux,
        min_total_stages,
    })
}

/// The target `what` (organic or raffinate purity or recovery) of a split
/// that puts `ap` of the heavy group (feed share `f_a`) and `bp` of the
/// light group in the organic product.
fn measure(what: &str, f_a: f64, ap: f64, bp: f64) -> f64 {
    let f_b = 1.0 - f_a;
    match what {
        "organic purity" => ap / (ap + bp),
        "raffinate purity" => (f_b - bp) / (f_a - ap + f_b - bp),
        "organic recovery" => ap / f_a,
        _ => (f_b - bp) / f_b,
    }
}

/// Converts two or more product targets into the purity pair `(P_A, P_B)`
/// Xu's equations take, by the mass balance of a split of a feed with
/// fraction `f_a` of A. Targets: purity of A in the organic product, of B in
/// the raffinate, recovery of A into the organic, of B into the raffinate.
///
/// Returns `Err((what, asked, nearest))` when the targets contradict each
/// other or the feed: the first target that cannot hold, and the nearest
/// achievable value given the others.
pub fn resolve_targets(
    f_a: f64,
    purity_a: Option<f64>,
    purity_b: Option<f64>,
    recovery_a: Option<f64>,
    recovery_b: Option<f64>,
) -> Result<(f64, f64), (&'static str, f64, f64)> {
    let f_b = 1.0 - f_a;
    // Unknowns: A and B in the organic product (ap, bp). Each target is a
    // linear equation c1 ap + c2 bp = r.
    let mut rows: Vec<(&'static str, f64, [f64; 3])> = Vec::new();
    if let Some(p) = purity_a {
        rows.push(("organic purity", p, [1.0 - p, -p, 0.0]));
    }
    if let Some(p) = purity_b {
        // B_r (1 - P_B) = P_B A_r, A_r = f_a - ap, B_r = f_b - bp
        rows.push((
            "raffinate purity",
            p,
            [p, -(1.0 - p), p * f_a - (1.0 - p) * f_b],
        ));
    }
    if let Some(y) = recovery_a {
        rows.push(("organic recovery", y, [1.0, 0.0, y * f_a]));
    }
    if let Some(y) = recovery_b {
        rows.push(("raffinate recovery", y, [0.0, 1.0, (1.0 - y) * f_b]));
    }
    assert!(rows.len() >= 2, "resolve_targets needs two targets");
    let (r0, r1) = (rows[0].2, rows[1].2);
    let det = r0[0] * r1[1] - r0[1] * r1[0];
    let (ap, bp) = if det.abs() < 1e-14 {
        (f64::NAN, f64::NAN)
    } else {
        (
            (r0[2] * r1[1] - r0[1] * r1[2]) / det,
            (r0[0] * r1[2] - r0[2] * r1[0]) / det,
        )
    };
    let implied = |what: &str| measure(what, f_a, ap, bp);
    let valid = ap.is_finite() && bp.is_finite() && ap > 0.0 && ap < f_a && bp >= 0.0 && bp < f_b;
    if !valid {
        let (what, asked, _) = rows[1];
        // nearest: the second target's range over the splits that meet the
        // first (its line within 0 <= ap <= f_a, 0 <= bp <= f_b), at the
        // end nearer what was asked; the value the unclipped solution
        // implies is the target itself, which said nothing
        let [c0, c1, r] = r0;
        let mut ends = Vec::new();
        if c1 != 0.0 {
            ends.extend([0.0, f_a].map(|a| (a, (r - c0 * a) / c1)));
        }
        if c0 != 0.0 {
            ends.extend([0.0, f_b].map(|b| ((r - c1 * b) / c0, b)));
        }
        let eps = 1e-12;
        let (lo, hi) = ends
            .into_iter()
            .filter(|&(a, b)| (-eps..=f_a + eps).contains(&a) && (-eps..=f_b + eps).contains(&b))
            .map(|(a, b)| measure(what, f_a, a.clamp(0.0, f_a), b.clamp(0.0, f_b)))
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let nearest = if lo <= hi {
            asked.clamp(lo, hi)
        } else {
            f64::NAN
        };
        return Err((what, asked, nearest));
    }
    for (what, asked, _) in rows.iter().skip(2) {
        let v = implied(what);
        if (v - asked).abs() > 1e-9 && *asked > v {
            return Err((what, *asked, v));
        }
    }
    let p_a = purity_a.unwrap_or(ap / (ap + bp));
    let p_b = purity_b.unwrap_or((f_b - bp) / (f_a - ap + f_b - bp));
    if p_a <= f_a {
        return Err(("organic purity", p_a, f_a));
    }
    if p_b <= f_b {
        return Err(("raffinate purity", p_b, f_b));
    }
    Ok((p_a, p_b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_case_by_hand() {
        // f'_A = 0.74 / 0.985; E'_M = sqrt(1.5); E_M = f'_A E'_M / (E'_M - f'_B)
        let d = xu_shortcut(1.5, 0.75, 0.995, 0.99, Phase::Aqueous).unwrap();
        assert!((d.product_split - 0.751_269_035_5).abs() < 1e-9);
        assert!((d.e_m_scrub - 1.224_744_871).abs() < 1e-9);
        let (fa, sb) = (0.74 / 0.985, 1.5f64.sqrt());
        assert!(
            (d.e_m - fa * sb / (sb - (1.0 - fa))).abs() < 1e-12,
            "{}",
            d.e_m
        );
        assert!((d.s - 4.094_2).abs() < 1e-3, "{}", d.s);
        assert!((d.w - 3.342_9).abs() < 1e-3, "{}", d.w);
        assert!((d.a - 199.0 / 3.0).abs() < 1e-9);
        assert!((d.b - 297.0).abs() < 1e-9);
        assert!((d.extraction - 16.43).abs() < 0.01, "{}", d.extraction);
        assert!((d.scrub - 19.69).abs() < 0.01, "{}", d.scrub);
        assert_eq!((d.extraction_stages(), d.scrub_stages()), (17, 20));
        let (s_min, w_min) = d.min_reflux.unwrap();
        assert!((w_min - 2.0).abs() < 1e-12 && (s_min - 2.75).abs() < 1e-12);
        assert!(d.s > s_min && d.w > w_min);
        // feasibility of the optimum
        assert!(d.beta * d.e_m > 1.0 && d.e_m_scrub < d.beta);
    }

    #[test]
    fn extraction_branch_for_small_product() {
        // f'_A <= 1/(1+sqrt(beta)): E_M = 1/sqrt(beta)
        let d = xu_shortcut(2.0, 0.3, 0.99, 0.99, Phase::Aqueous).unwrap();
        assert!(d.product_split < 1.0 / (1.0 + 2f64.sqrt()));
        assert!((d.e_m - 1.0 / 2f64.sqrt()).abs() < 1e-12);
        assert!((d.s - d.w - d.product_split).abs() < 1e-12);
        assert!((d.s / (1.0 + d.w) - d.e_m).abs() < 1e-12);
        assert!((d.s / d.w - d.e_m_scrub).abs() < 1e-12);
    }

    #[test]
    fn organic_feed_relations() {
        for f_a in [0.3, 0.75] {
            let d = xu_shortcut(1.5, f_a, 0.995, 0.99, Phase::Organic).unwrap();
            assert!((d.w - d.s - (1.0 - d.product_split)).abs() < 1e-12);
            assert!((d.s / d.w - d.e_m).abs() < 1e-12);
            assert!(((d.s + 1.0) / d.w - d.e_m_scrub).abs() < 1e-12);
            assert!(d.beta * d.e_m > 1.0 && d.e_m_scrub < d.beta);
        }
    }

    #[test]
    fn bad_inputs() {
        assert!(matches!(
            xu_shortcut(1.0, 0.5, 0.9, 0.9, Phase::Aqueous),
            Err(ShortcutError::Beta(_))
        ));
        assert!(matches!(
            xu_shortcut(1.5, 0.75, 0.7, 0.99, Phase::Aqueous),
            Err(ShortcutError::NoEnrichment { .. })
        ));
    }

    #[test]
    fn targets_by_mass_balance() {
        let (pa, pb) = resolve_targets(0.75, Some(0.995), Some(0.99), None, None).unwrap();
        assert_eq!((pa, pb), (0.995, 0.99));
        // purity + recovery: A recovery 0.99 at 99.5 % purity
        let (pa, pb) = resolve_targets(0.75, Some(0.995), None, Some(0.99), None).unwrap();
        assert!((pa - 0.995).abs() < 1e-12);
        // B in product = 0.7425 * 0.005 / 0.995; B in raffinate = 0.25 - that
        let bp = 0.75 * 0.99 * 0.005 / 0.995;
        let expect = (0.25 - bp) / (0.0075 + 0.25 - bp);
        assert!((pb - expect).abs() < 1e-12);
        // overdetermined and contradictory: recovery above what the purities allow
        let err = resolve_targets(0.75, Some(0.995), Some(0.99), Some(0.999), None).unwrap_err();
        assert_eq!(err.0, "organic recovery");
        assert!((err.2 - 0.995 * (0.74 / 0.985) / 0.75).abs() < 1e-9);
    }
}
