//! The typed result of one cascade solve ([`CascadeReport`]), computed once
//! from a [`Solution`]; the text table, the JSON result contract
//! (model-format.md, section 2) and the stage-profile CSV are renderings of
//! it.

use std::io::Write;
use std::path::Path;

use serde::{Serialize, Serializer};

use super::named_map;
use super::reagents::Reagents;
use crate::cascade::Layout;
use crate::error::Error;
use crate::model::Cascade;
use crate::solver::{Method, Solution, Status};

/// One value per component, in model order; serialised as a map from
/// component name to value.
#[derive(Debug, Clone, PartialEq)]
pub struct PerComponent(pub Vec<(String, f64)>);

impl PerComponent {
    fn new(names: &[String], values: &[f64]) -> Self {
        PerComponent(names.iter().cloned().zip(values.iter().copied()).collect())
    }

    /// The values, in model order.
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.0.iter().map(|(_, v)| *v)
    }
}

impl Serialize for PerComponent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        named_map(&self.0, s)
    }
}

/// One outlet stream (regular outlet or side draw).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StreamReport {
    /// `aqueous` or `organic`.
    pub phase: &'static str,
    /// 1-based stage it leaves.
    pub stage: usize,
    /// Flow of each component (mol per unit time).
    pub amount: PerComponent,
    /// Concentration of each component (mol/L), volumetric models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concentration: Option<PerComponent>,
    /// Share of each component in the stream (NaN, null in the JSON, for
    /// an unconverged solve's last iterate).
    pub purity: PerComponent,
    /// Share of each component's inflow leaving in this stream (NaN, null
    /// in the JSON, for an unconverged solve's last iterate).
    pub recovery: PerComponent,
}

/// One stage of the profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StageReport {
    /// 1-based stage.
    pub stage: usize,
    /// `extraction`, `scrub` or `strip`.
    pub section: &'static str,
    /// Aqueous leaving the stage: mol/L for volumetric models, amounts
    /// otherwise.
    pub aqueous: PerComponent,
    /// Organic leaving the stage, likewise.
    pub organic: PerComponent,
    /// pH of the aqueous (models that track acidity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ph: Option<f64>,
    /// Free `[H+]` of the aqueous, mol/L (models that track acidity): the
    /// value the equilibrium used, without the rounding of `10^-pH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acid: Option<f64>,
    /// Free extractant of the organic, mol/L of HA units (`2 [(HA)2]` in
    /// the mass-action model, `C_free` in the log-linear model), which a
    /// check of the stage equilibrium needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_extractant: Option<f64>,
    /// Counter-ion (NH4+ or Na+) in the aqueous, mol/L (mass-action).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter_ion: Option<f64>,
    /// Counter-ion held by the organic as `NA`, mol/L (mass-action).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organic_counter_ion: Option<f64>,
}

/// The result of one cascade solve, computed once; serialises to the JSON
/// result contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CascadeReport {
    /// Model name.
    pub name: String,
    /// Component names.
    pub components: Vec<String>,
    /// Equilibrium model.
    pub model: &'static str,
    /// Whether the solve converged.
    pub converged: bool,
    /// How the solve ended.
    pub status: Status,
    /// Algorithm.
    pub method: Method,
    /// Newton iterations, or rows.
    pub iterations: usize,
    /// Largest relative stage imbalance.
    pub residual: f64,
    /// Per component: (outflow - inflow) / inflow.
    pub balance_error: PerComponent,
    /// Outlet streams by name, then the side draws.
    #[serde(serialize_with = "named_map")]
    pub streams: Vec<(String, StreamReport)>,
    /// Reagent use (models that track acidity; absent for an unconverged
    /// solve).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reagents: Option<Reagents>,
    /// Where an unconverged solve stalled (absent for converged solves).
    #[serde(rename = "worst", skip_serializing_if = "Option::is_none")]
    pub stalled: Option<Stalled>,
    /// Why an unconverged solve cannot converge, when that is proved from
    /// the model alone (absent otherwise and for converged solves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<String>,
    /// A likely cause of an unconverged solve that the model shows but
    /// does not prove (absent otherwise and for converged solves): an
    /// explicit `[solver] max_iterations` under the default budget that
    /// stopped it, a mass-action extractant saponified with an acidity slope `b` over
    /// twice its extractant slope `a`, or log-linear metals whose
    /// distribution ratio does not fall with the free extractant in a
    /// cascade with a scrub ([`uncapped_loading`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// What a converged result holds that lies outside the model's physical
    /// range, in words (absent when nothing does): stages whose aqueous is
    /// basic ([`basic_stages`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Stage profile.
    pub stages: Vec<StageReport>,
    /// Stage layout (text only).
    #[serde(skip)]
    pub layout: Layout,
    /// 0-based stage and component of the largest imbalance (text only).
    #[serde(skip)]
    pub worst: (usize, usize),
    /// Whether the model is volumetric (text only).
    #[serde(skip)]
    pub volumetric: bool,
}

/// pH above which a stage's aqueous is basic: outside the acid range the
/// rigorous models describe (they carry no hydrolysis, and rare-earth
/// hydroxides precipitate from about pH 6-8).
const BASIC_PH: f64 = 7.0;

/// A warning for the stages of a converged solve whose aqueous is basic
/// (pH over [`BASIC_PH`]), or `None` where there are none. Such a steady
/// state is the model's own (a net-basic saponified cascade drives its
/// stages there: mass-action seed 8188 of the robustness generator holds
/// stage 1 at pH 151), not a plant's.
fn basic_stages(cascade: &Cascade, ph: &[f64]) -> Option<String> {
    let basic: Vec<usize> = (0..ph.len()).filter(|&j| ph[j] > BASIC_PH).collect();
    let (&first, &last) = (basic.first()?, basic.last()?);
    let top = basic
        .iter()
        .map(|&j| ph[j])
        .fold(f64::NEG_INFINITY, f64::max);
    let which = if basic.len() == 1 {
        format!("stage {}", first + 1)
    } else {
        format!(
            "{} stages between {} and {}",
            basic.len(),
            first + 1,
            last + 1
        )
    };
    Some(format!(
        "the aqueous is basic (pH above {BASIC_PH}) in {which}, up to pH {top:.1}: the {} model \
         has no hydrolysis and rare-earth hydroxides precipitate from about pH 6-8, so those \
         stages hold the model's steady state, not a plant's",
        cascade.spec().chemistry.name()
    ))
}

/// Where an unconverged solve's largest stage imbalance is (JSON `worst`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stalled {
    /// Stage, counted from 1.
    pub stage: usize,
    /// The balance, in words ([`Solution::worst_quantity`]).
    pub quantity: String,
    /// Its relative imbalance (the solve's residual).
    pub residual: f64,
}

impl CascadeReport {
    /// Computes the report of `sol`, a solve of `cascade`.
    pub fn new(cascade: &Cascade, sol: &Solution) -> Self {
        let names = cascade.components();
        let pc = |v: &[f64]| PerComponent::new(names, v);
        // an unconverged solve's last iterate is shown as such: amounts
        // and concentrations with negatives as 0, and no purity or
        // recovery (null in the JSON, keys kept), which such an iterate
        // cannot support (issue 9: recoveries of 10,567 % before)
        let ok = sol.converged();
        let shown = |v: &[f64]| -> PerComponent {
            if ok {
                pc(v)
            } else {
                pc(&v
                    .iter()
                    .map(|&x| if x < 0.0 { 0.0 } else { x })
                    .collect::<Vec<_>>())
            }
        };
        let share = |v: &[f64]| -> PerComponent {
            if ok {
                pc(v)
            } else {
                pc(&vec![f64::NAN; v.len()])
            }
        };
        let streams = sol
            .streams(cascade)
            .into_iter()
            .map(|s| (s.kind.name().to_string(), s))
            .chain(sol.draws(cascade))
            .map(|(key, s)| {
                let r = StreamReport {
                    phase: s.phase.name(),
                    stage: s.stage + 1,
                    amount: shown(&s.amount),
                    concentration: s.concentration.as_deref().map(shown),
                    purity: share(&s.purity),
                    recovery: share(&s.recovery),
                };
                (key, r)
            })
            .collect();
        let conc = sol.concentrations(cascade);
        let layout = *cascade.layout();
        let ph = crate::report::reagents::stage_ph(sol);
        let species = sol.species.as_ref();
        let ions = species.filter(|_| cascade.spec().chemistry.name() == "mass-action");
        let stages = (0..cascade.n_stages())
            .map(|j| {
                let (aq, org) = match &conc {
                    Some((x, y)) => (x.row(j).to_vec(), y.row(j).to_vec()),
                    None => (sol.aqueous.row(j).to_vec(), sol.organic.row(j).to_vec()),
                };
                StageReport {
                    stage: j + 1,
                    section: layout.section(j).name(),
                    aqueous: shown(&aq),
                    organic: shown(&org),
                    ph: ph.as_ref().map(|p| p[j]),
                    acid: sol.acidity.as_ref().map(|h| h[j]),
                    free_extractant: species.map(|s| s.free_extractant[j]),
                    counter_ion: ions.map(|s| s.counter_ion[j]),
                    organic_counter_ion: ions.map(|s| s.organic_counter_ion[j]),
                }
            })
            .collect();
        let reagents = crate::report::reagents::reagents(cascade, sol).filter(|_| ok);
        // a proof that the steady state binds more extractant than the
        // organic carries says what the dose-blind hint guesses, and the
        // last iterate's free extractant there is the projection's floor,
        // not a collapse: no hint beside it
        let (diagnosis, proved) = match (!sol.converged()).then(|| diagnose(cascade, sol)) {
            Some(Some((why, proved))) => (Some(why), proved),
            _ => (None, false),
        };
        CascadeReport {
            name: cascade.name().to_string(),
            components: names.to_vec(),
            model: cascade.spec().chemistry.name(),
            converged: sol.converged(),
            status: sol.status,
            method: sol.method,
            iterations: sol.iterations,
            residual: sol.residual,
            balance_error: pc(&sol.balance_error(cascade)),
            streams,
            reagents,
            stalled: (!sol.converged()).then(|| Stalled {
                stage: sol.worst.0 + 1,
                quantity: sol.worst_quantity(cascade),
                residual: sol.residual,
            }),
            diagnosis,
            hint: (!sol.converged() && !proved)
                .then(|| with_collapse(hint(cascade, sol.status), cascade, sol))
                .flatten(),
            warnings: ph
                .as_deref()
                .filter(|_| sol.converged())
                .and_then(|p| basic_stages(cascade, p))
                .into_iter()
                .collect(),
            stages,
            layout,
            worst: sol.worst,
            volumetric: cascade.is_volumetric(),
        }
    }

    /// The JSON result contract.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("reports serialise")
    }

    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let l = &self.layout;
        let names = &self.components;
        let converged = self.converged;
        if let Some(w) = &self.stalled {
            // a failed solve says so first, plainly, and where it stalled
            out.push_str(&format!(
                "NOT CONVERGED: the solve {} (relative residual {:.2e} at stage {}, {}); \
                 the numbers below are the last iterate, not a result\n",
                self.status.describe(),
                w.residual,
                w.stage,
                w.quantity
            ));
        }
        if let Some(d) = &self.diagnosis {
            out.push_str(&format!("why: {d}\n"));
        }
        if let Some(h) = &self.hint {
            out.push_str(&format!("likely cause: {h}\n"));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        out.push_str(&format!("{}\n", self.name));
        out.push_str(&format!(
            "model {}, {} stages: {} extraction + {} scrub + {} strip; {} feed enters stage {}\n",
            self.model,
            l.stages(),
            l.extraction,
            l.scrub,
            l.strip,
            l.feed_phase.name(),
            l.feed_stage() + 1
        ));
        let what = match self.method {
            // the start already met the tolerance (the exact marched profile
            // of a two-component cascade)
            Method::Newton if converged && self.iterations == 0 => {
                "at the start, with no Newton iteration needed".to_string()
            }
            Method::Newton => format!("after {} Newton iterations", self.iterations),
            Method::Rows => format!(
                "after {} rows of start-up from empty stages",
                self.iterations
            ),
            Method::StartUp => format!(
                "after {} iterations of start-up from empty stages",
                self.iterations
            ),
        };
        out.push_str(&format!(
            "{} {}; largest relative stage imbalance {:.2e}\n",
            self.status.describe(),
            what,
            self.residual
        ));
        if let Some(w) = &self.stalled {
            out.push_str(&format!("  worst at stage {}, {}\n", w.stage, w.quantity));
        }
        let unit = if self.volumetric {
            "mol/h"
        } else {
            "mol per unit time"
        };
        if converged {
            out.push_str(&format!("\nProducts (amount in {unit})\n"));
        } else {
            out.push_str(&format!(
                "\nLast iterate, NOT a result (amount in {unit}, negative amounts shown as 0; \
                 purity and recovery withheld)\n"
            ));
        }
        let w = names.iter().map(|n| n.len()).max().unwrap_or(4).max(9);
        out.push_str(&format!(
            "{:<18} {:>5} {:<8}  {:<w$} {:>13} {}{:>14} {:>14}\n",
            "stream",
            "stage",
            "phase",
            "component",
            "amount",
            if self.volumetric {
                format!("{:>13} ", "conc mol/L")
            } else {
                String::new()
            },
            "purity",
            "recovery",
        ));
        for (key, s) in &self.streams {
            for (k, (name, amount)) in s.amount.0.iter().enumerate() {
                let (sn, st, ph) = if k == 0 {
                    (key.clone(), format!("{}", s.stage), s.phase)
                } else {
                    (String::new(), String::new(), "")
                };
                let conc = match &s.concentration {
                    Some(c) => format!("{:>13.6e} ", c.0[k].1),
                    None => String::new(),
                };
                let share = |v: &PerComponent| {
                    if converged {
                        pct(v.0[k].1)
                    } else {
                        "-".into()
                    }
                };
                out.push_str(&format!(
                    "{:<18} {:>5} {:<8}  {:<w$} {:>13.6e} {}{:>14} {:>14}\n",
                    sn,
                    st,
                    ph,
                    name,
                    if converged { *amount } else { amount.max(0.0) },
                    conc,
                    share(&s.purity),
                    share(&s.recovery),
                ));
            }
        }
        if let Some(r) = self.reagents.as_ref().filter(|_| converged) {
            out.push_str("\nReagents (mol/h)\n");
            out.push_str(&format!(
                "  acid in {:.6e}, out {:.6e}, consumed {:.6e}\n",
                r.acid_in, r.acid_out, r.acid_consumed
            ));
            if !r.base_name.is_empty() {
                out.push_str(&format!(
                    "  saponification base ({}) {:.6e}\n",
                    r.base_name, r.base
                ));
            }
            out.push_str(&format!(
                "  extractant circulated {:.6e} mol HA/h in {:.6e} L/h of organic\n",
                r.extractant_flow, r.organic_flow
            ));
            for (name, p) in &r.per_kg {
                out.push_str(&format!(
                    "  per kg {name} in the {}: acid {:.4} mol, base {:.4} mol, extractant {:.4} mol, organic {:.2} L\n",
                    p.stream.name(),
                    p.acid_mol_per_kg,
                    p.base_mol_per_kg,
                    p.extractant_mol_per_kg,
                    p.organic_l_per_kg
                ));
            }
            let (lo, hi) =
                r.ph.iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                        (a.min(v), b.max(v))
                    });
            out.push_str(&format!(
                "  stage pH from {lo:.2} to {hi:.2} (per stage in --json and --profile)\n"
            ));
        }
        let worst = self
            .balance_error
            .values()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        out.push_str(&format!(
            "\nMass balance: largest relative error over components {worst:.1e}\n"
        ));
        out
    }

    /// Writes the stage profile as CSV: one row per stage, the aqueous then
    /// the organic value of each component (concentrations in mol/L for
    /// volumetric models, amounts otherwise), then the pH where tracked.
    pub fn write_profile_csv(&self, path: &Path) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::create(path).map_err(io)?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
        let names = &self.components;
        let mut header = vec!["stage".to_string(), "section".to_string()];
        header.extend(names.iter().map(|n| format!("aqueous_{n}")));
        header.extend(names.iter().map(|n| format!("organic_{n}")));
        let has_ph = self.stages.first().is_some_and(|s| s.ph.is_some());
        if has_ph {
            header.push("ph".to_string());
        }
        let csv_err = |e: csv::Error| io(std::io::Error::other(e));
        w.write_record(&header).map_err(csv_err)?;
        for s in &self.stages {
            let mut rec = vec![s.stage.to_string(), s.section.to_string()];
            rec.extend(
                s.aqueous
                    .values()
                    .chain(s.organic.values())
                    .map(|v| format!("{v:e}")),
            );
            if let Some(ph) = s.ph {
                rec.push(format!("{ph}"));
            }
            w.write_record(&rec).map_err(csv_err)?;
        }
        let mut inner = w
            .into_inner()
            .map_err(|e| io(std::io::Error::other(e.to_string())))?;
        inner.flush().map_err(io)?;
        Ok(())
    }
}

/// A likely cause of a failed mass-action solve, read from the model: a
/// saponified extractant whose acidity slope `b` exceeds twice its
/// extractant slope `a`. In a stage holding both the counter-ion and a
/// metal, the two equilibria give `ln(D/K) - 2a ln(D_N/K_N) = (2a - b)
/// ln[H+]`; with `b > 2a` the balances can ask for an acidity above what
/// the stage's anions carry, and the steady branch followed from a
/// smaller saponification or a smaller `b` ends before the model's values
/// (docs/benchmarks.md, round 26). Not a proof: most such cascades
/// converge, so this is said only when the solve did not.
///
/// Before any of these, a solve stopped by an explicit `[solver]
/// max_iterations` under the default budget says so ([`short_limit`]).
///
/// After them, a solve that used the whole default budget says so
/// ([`budget_spent`]).
fn hint(cascade: &Cascade, status: Status) -> Option<String> {
    let parts: Vec<String> = [
        short_limit(cascade, status),
        model_hint(cascade),
        budget_spent(cascade, status),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join("; also, "))
}

/// A solve stopped by the default budget of its cascade (no `[solver]
/// max_iterations` in the model, [`crate::solver::default_iterations`]):
/// a larger limit may let it finish. Where the work limit
/// ([`crate::model::options::DEFAULT_WORK_LIMIT`]) sets that budget (long
/// cascades of many metals), it says so. Round 43: CLI check mass-action
/// 12589 (15 metals over 479 stages) stops at its 3,399 iterations after
/// 20 s, and converges in 3,390 (29 s) given `max_iterations = 20000`:
/// its first solve needs about 3,100 of them, and the walks' share leaves
/// it 2,975 of the default.
fn budget_spent(cascade: &Cascade, status: Status) -> Option<String> {
    let (n, k) = (cascade.n_stages(), cascade.n_components());
    let budget = cascade.solver_options().max_iterations;
    // the CLI hands the effective settings back to the cascade (the file's
    // with the command line's over them), so the default is recognised by
    // its value, not by an unset `max_iterations`
    let default = !cascade.spec().solver.explicit_iterations
        && budget == crate::solver::default_iterations(n, k);
    if status != Status::MaxIterations || !default {
        return None;
    }
    let why = if crate::model::options::work_limited(n, k) {
        format!("set by the work limit for {n} stages of {k} components")
    } else {
        format!("for {n} stages")
    };
    Some(format!(
        "the solve used all {budget} iterations of its default budget ({why}); a larger \
         [solver] max_iterations may let it finish, at a cost in time that grows with it"
    ))
}

/// A solve stopped at an explicit `[solver] max_iterations` (the model
/// format's example shows `max_iterations = 100`) that is under the
/// default budget the cascade would get without it
/// ([`crate::solver::default_iterations`]): the limit, not the model, may
/// be what stopped it. Round 31: on 1,000 random mass-action models of the
/// independent CLI check, 74 of the 999 that converge need more than 100
/// iterations (up to 4,837).
fn short_limit(cascade: &Cascade, status: Status) -> Option<String> {
    let opts = &cascade.spec().solver;
    let default = crate::solver::default_iterations(cascade.n_stages(), cascade.components().len());
    (status == Status::MaxIterations && opts.explicit_iterations && opts.max_iterations < default)
        .then(|| {
            format!(
                "the model's [solver] max_iterations = {} stopped the solve; without that key \
                 this cascade gets {default} iterations (long cascades of many metals can \
                 need thousands)",
                opts.max_iterations
            )
        })
}

/// The model-specific part of [`hint`].
fn model_hint(cascade: &Cascade) -> Option<String> {
    let m = match &cascade.spec().chemistry {
        crate::model::ChemistrySpec::MassAction(m) => m,
        crate::model::ChemistrySpec::LogLinear(l) => {
            return match (uncapped_loading(cascade, l), ph_blind(cascade, l)) {
                (Some(a), Some(b)) => Some(format!("{a}; also, {b}")),
                (a, b) => a.or(b),
            };
        }
        _ => return None,
    };
    (m.saponification > 0.0 && m.b > 2.0 * m.a).then(|| {
        format!(
            "the acidity slope b = {} exceeds twice the extractant slope a = {} with a \
             saponified extractant: each metal would release more protons than the 2a HA \
             units it binds (the dimer mechanism has b <= 2a), and a steady state may need \
             an acidity above what a stage's anions carry; check a and b",
            m.b, m.a
        )
    })
}

/// The log-linear hint: metals whose distribution ratio does not fall as
/// the free extractant is used up, in a cascade with a scrub section
/// ([`crate::model::rigorous::LogLinearSpec::uncapped_behind_scrub`]: a
/// constant `D` above 0, a fit with no positive dose slope `b1`, or every
/// fit at its nominal dose with `fixed_dose`). Nothing in such a model caps their
/// loading at the extractant's capacity: the scrub returns them to the
/// extraction, which loads them again, and a steady state may need more
/// extractant than the organic carries (round 30's independent CLI check:
/// 135 of the 136 log-linear failures of 2,000 random models had such a
/// metal, every one with a scrub section; none of the 825 without a scrub
/// failed). `None` where there is none.
fn uncapped_loading(
    cascade: &Cascade,
    m: &crate::model::rigorous::LogLinearSpec,
) -> Option<String> {
    let names = cascade.components();
    let fixed: Vec<&str> = m
        .uncapped_behind_scrub(cascade.layout())
        .iter()
        .map(|&i| names[i].as_str())
        .collect();
    if fixed.is_empty() {
        return None;
    }
    Some(format!(
        "the distribution ratio of {} does not fall as the free extractant is used up \
         (a constant D above 0, a fit without a positive dose slope b1, or fixed_dose), so nothing \
         in the model caps its loading at the extractant's capacity; between the scrub and \
         the extraction a steady state may need more extractant than the organic carries; \
         give those metals a dose dependence (b1 > 0) or lower the loading",
        fixed.join(", ")
    ))
}

/// Free extractant, as a fraction of the total, under which a failed
/// log-linear solve's last iterate counts as having used it up in a
/// stage ([`with_collapse`]).
const COLLAPSED_FREE: f64 = 1e-6;

/// `hint` with, where it names log-linear metals whose loading nothing
/// caps ([`uncapped_loading`]), the stage of the failed solve's last
/// iterate `sol` with the least free extractant, where that is under
/// [`COLLAPSED_FREE`] of the total: the extractant such a cascade runs out
/// of, and where. The dose-blind failures of the CLI check end with
/// e^-20 to e^-740 of it in one stage (round 59: log-linear 82873 e^-22,
/// 82984 e^-72; round 60: 9447 7.7e-11 at stage 106, the feed stage).
fn with_collapse(hint: Option<String>, cascade: &Cascade, sol: &Solution) -> Option<String> {
    let hint = hint?;
    let crate::model::ChemistrySpec::LogLinear(m) = &cascade.spec().chemistry else {
        return Some(hint);
    };
    let (Some(species), Some(total)) = (
        sol.species.as_ref(),
        cascade.spec().chemistry.model().extractant(),
    ) else {
        return Some(hint);
    };
    if m.uncapped_behind_scrub(cascade.layout()).is_empty() {
        return Some(hint);
    }
    let least = species
        .free_extractant
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1));
    match least {
        Some((j, &free)) if free < COLLAPSED_FREE * total => Some(format!(
            "{hint}; in the last iterate the free extractant is down to {:.1e} of the total at \
             stage {} ({})",
            free / total,
            j + 1,
            cascade.layout().section(j).name()
        )),
        _ => Some(hint),
    }
}

/// The second log-linear hint: fitted metals whose distribution ratio
/// ignores the pH (`m0 = m1 = 0`) in a cascade with a scrub section. The
/// scrub acid cannot hold such a metal back; stripping it to its `D` in
/// the scrub's aqueous takes that acid (`p` protons a metal), and where
/// the organic brings more of it than the acid can strip the acid runs
/// out and no steady state is left (round 40: CLI check log-linear 5063
/// with its dose slopes raised to 0.3, Ce at `m0 = 0` taking the whole
/// scrub acid at 0.72 of its feed and failing from 0.74; 3373 alike).
/// Not a proof, so said only when the solve did not converge; the exact
/// test for constant-D metals is `diagnose`'s. `None` where there is
/// none.
fn ph_blind(cascade: &Cascade, m: &crate::model::rigorous::LogLinearSpec) -> Option<String> {
    if cascade.layout().scrub == 0 {
        return None;
    }
    let names = cascade.components();
    let blind: Vec<&str> = (0..names.len())
        .filter(|&i| {
            m.protons_per_metal[i] > 0.0 && m.fit[i].is_some_and(|f| f.m0 == 0.0 && f.m1 == 0.0)
        })
        .map(|i| names[i].as_str())
        .collect();
    if blind.is_empty() {
        return None;
    }
    Some(format!(
        "the distribution ratio of {} does not depend on the pH (a fit with m0 = m1 = 0), \
         so the scrub acid cannot hold it back: stripping it to its D in the scrub's aqueous \
         takes that acid, and a steady state may need more scrub acid than the model brings; \
         raise the scrub acid or lower the feed",
        blind.join(", ")
    ))
}

/// Formats a fraction as a percentage with enough digits to show high
/// purities (99.9999 %) and trace shares.
fn pct(v: f64) -> String {
    if v == 0.0 {
        "0 %".into()
    } else if v >= 1e-4 {
        let s = format!("{:.6}", v * 100.0);
        format!("{s} %")
    } else {
        format!("{:.3e} %", v * 100.0)
    }
}

/// A reason why no steady state exists (see
/// [`crate::solver::diagnose::acid_starved`], proved from the model
/// alone, and [`crate::solver::diagnose::extractant_overloaded`], from
/// its stage equations' steady state), or why the one that exists is no
/// result (a component that builds up past the range of a double), and
/// whether it is the overload, which stands for the hint: `None` when
/// none is known.
fn diagnose(cascade: &Cascade, sol: &Solution) -> Option<(String, bool)> {
    if let Some((demand, supply)) = crate::solver::diagnose::acid_starved(cascade) {
        let why = format!(
            "no steady state exists with a positive acidity: the constant-D metals in one \
             stage's aqueous take {demand:.4e} mol/h of protons, but the acid the flows bring \
             there is only {supply:.4e} mol/h; raise the scrub or strip acid or flow, \
             or give those metals a pH-dependent fit"
        );
        return Some((why, false));
    }
    if let Some((j, bound, capacity)) = crate::solver::diagnose::extractant_overloaded(cascade) {
        let why = format!(
            "no steady state with extractant free was found: no distribution ratio here \
             depends on the free extractant, so the stage equations involve the extractant \
             only through its balances, and their steady state (solved with the capacity left \
             out) binds {bound:.4e} mol/L of extractant in the organic of stage {} ({}), {:.3} \
             times the {capacity:.4e} mol/L it carries; raise the dose or the organic flow, \
             or lower the feed",
            j + 1,
            cascade.layout().section(j).name(),
            bound / capacity
        );
        return Some((why, true));
    }
    let (j, q) = sol.worst;
    let (a, o) = (*sol.aqueous.get((j, q))?, *sol.organic.get((j, q))?);
    if a.is_finite() && o.is_finite() {
        return None;
    }
    let why = format!(
        "{} builds up past the range of a double (over {:.1e} mol/h) at stage {}: the \
         cascade traps it between two sections, one extracting it and the other returning \
         it, far faster than either outlet takes it out; its steady state is no result. \
         Check its distribution ratios section by section",
        cascade.spec().components[q],
        f64::MAX,
        j + 1
    );
    Some((why, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load::parse_str;

    /// A separation-factor model of `k` components (separation factors
    /// 1.5 apart, equal feed) over `e` extraction and `s` scrub stages,
    /// with `solver` appended.
    fn model(k: usize, (e, s): (usize, usize), solver: &str) -> Cascade {
        const NAMES: [&str; 15] = [
            "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y",
        ];
        let names = &NAMES[..k];
        let list = |f: &dyn Fn(usize) -> String| {
            (0..k)
                .map(|i| format!("{} = {}", names[i], f(i)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let src = format!(
            "name = \"budget\"\ncomponents = [{}]\n[chemistry]\nmodel = \"separation-factor\"\n\
             beta = {{ {} }}\n[cascade]\nextraction = {e}\nscrub = {s}\n[feed]\n\
             phase = \"aqueous\"\namount = {{ {} }}\n[flows]\nextraction_amount = 1.5\n\
             scrub_amount = 1.0\n{solver}",
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", "),
            list(&|i| format!("{}", 1.5f64.powi(i as i32))),
            list(&|_| format!("{}", 1.0 / k as f64)),
        );
        parse_str(&src, None).expect("a valid model")
    }

    /// A solve stopped by its cascade's default budget names the budget
    /// and what set it (the work limit for a long cascade of many metals);
    /// one stopped by an explicit limit under the default names that
    /// limit instead, and an explicit limit at or over the default, a
    /// converged solve and one that broke down get no such hint.
    #[test]
    fn a_spent_default_budget_is_named_with_what_set_it() {
        // 1.2e10 / (480 x 17^3) = 5,088, under 1,000 + 150 x 480
        let big = model(15, (300, 180), "");
        assert_eq!(big.solver_options().max_iterations, 5088);
        assert_eq!(
            hint(&big, Status::MaxIterations).as_deref(),
            Some(
                "the solve used all 5088 iterations of its default budget (set by the work \
                 limit for 480 stages of 15 components); a larger [solver] max_iterations may \
                 let it finish, at a cost in time that grows with it"
            )
        );
        // 1,000 + 150 x 37
        let small = model(2, (17, 20), "");
        let h = hint(&small, Status::MaxIterations).expect("the budget named");
        assert!(
            h.starts_with(
                "the solve used all 6550 iterations of its default budget (for 37 stages);"
            ),
            "{h}"
        );
        assert_eq!(hint(&small, Status::Converged), None);
        assert_eq!(hint(&small, Status::Diverged), None);
        let over = model(2, (17, 20), "[solver]\nmax_iterations = 7000\n");
        assert_eq!(hint(&over, Status::MaxIterations), None);
        // the effective settings handed back (as `sxforge simulate` does)
        // still read as the default budget
        let mut back = model(2, (17, 20), "");
        back.set_solver_options(*back.solver_options()).unwrap();
        assert_eq!(back.spec().solver.max_iterations, 6550);
        assert_eq!(hint(&back, Status::MaxIterations), Some(h.clone()));
        // an explicit limit equal to the default is the model's own
        let same = model(2, (17, 20), "[solver]\nmax_iterations = 6550\n");
        assert_eq!(hint(&same, Status::MaxIterations), None);
        let under = model(2, (17, 20), "[solver]\nmax_iterations = 100\n");
        let h = hint(&under, Status::MaxIterations).expect("the short limit named");
        assert!(
            h.starts_with("the model's [solver] max_iterations = 100 stopped the solve;")
                && !h.contains("default budget ("),
            "{h}"
        );
    }
}
