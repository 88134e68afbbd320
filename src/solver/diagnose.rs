//! Reasons, proved from a model alone, why a cascade has no steady state:
//! what a failed solve's report can say beyond "did not converge".

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
