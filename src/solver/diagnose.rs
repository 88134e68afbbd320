//! Reasons, proved from a model alone, why a cascade has no steady state (or
//! none a double can hold): what a failed solve's report can say beyond
//! "did not converge".

use crate::model::Cascade;

/// A proof that a `log-linear` cascade has no steady state with a positive
/// acidity: some stage's constant-D metals alone hold, in its aqueous, as
/// many acid protons' worth of metal as its flows leave room for. Returns
/// `(demand, supply)` in mol/h of protons at the first such stage, `None`
/// when no stage is short (or for other models).
///
/// Each metal extracted releases `p_k` protons, and the organic carries
/// `C - sum p_k y_k` acid protons per litre, so acid protons plus `p_k`
/// times each metal travel with the organic at exactly `C` per litre: the
/// stage balances of that sum fix each stage's aqueous
/// `[H+] + [HSO4-] + sum_k p_k x_k` from the flows alone (the supply,
/// times the stage's aqueous flow). A constant-D metal's balances are
/// linear and do not involve the acidity, so one exact solve gives its
/// `x_k` in every stage; their `sum p_k x_k` (the demand) at or above the
/// supply leaves `[H+] <= 0` whatever the fitted metals do (they only add
/// to the sum). The test is exact for the constant-D metals, covers every
/// section, side draws, organic feeds and metals in the scrub solution,
/// and proves nothing when all metals are fitted.
pub fn acid_starved(c: &Cascade) -> Option<(f64, f64)> {
    crate::solver::rigorous::log_linear_starved(c).map(|(_, demand, supply)| (demand, supply))
}

/// A `log-linear` cascade none of whose distribution ratios depends on
/// the free extractant (`fixed_dose`, or fits without dose terms:
/// [`crate::model::rigorous::LogLinearSpec::extractant_blind`]) whose
/// stage equations' steady state binds more extractant than the organic
/// carries. Those equations involve the capacity `C` only through each
/// stage's balance `C_free = C - sum e_k y_k`, so their steady state is
/// solved at a hundred times `C`; where a stage's metals bind `C` or more
/// there, no steady state with extractant free was found. Returns
/// `(stage, bound, capacity)`: the stage (from 0) that binds the most,
/// what it binds and the capacity, in mol/L of organic; `None` where
/// every stage binds less, where that solve fails, or for other models.
/// A proof for that steady state, not that no other exists.
pub fn extractant_overloaded(c: &Cascade) -> Option<(usize, f64, f64)> {
    crate::solver::rigorous::log_linear_overloaded(c)
}

/// A constant-D cascade whose steady state exists but is no result: some
/// component builds up past the range of a double. Extracted on one side of
/// a section boundary and returned on the other (say `D` 100 in extraction
/// and 0.001 in scrub), a component circulates at its feed times the
/// extraction factor to the power of the stage count (`150^200`, 1e435)
/// and leaves by an outlet only that far below it. The exact solve
/// ([`super::Solver::solve`], in logarithms) finds it; returns
/// `(stage, component)` (from 0) of the first amount that overflows, `None`
/// when every amount is finite (or for other models).
pub fn beyond_range(c: &Cascade) -> Option<(usize, usize)> {
    if !matches!(
        c.spec().chemistry,
        crate::model::ChemistrySpec::ConstantD(_)
    ) {
        return None;
    }
    let s = super::Solver::new().solve(c);
    let (j, q) = s.worst;
    let finite = s.aqueous[[j, q]].is_finite() && s.organic[[j, q]].is_finite();
    (!finite).then_some((j, q))
}
