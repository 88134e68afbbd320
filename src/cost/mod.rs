//! Cost per kg of separated oxide from a simulated design.
//!
//! The cost model takes a list of solved units ([`SolvedUnit`]: stage flows,
//! reagents, feed and outlet streams) and prices them with the parameters of
//! a `[cost]` table ([`CostParams`]):
//!
//! 1. **Scale.** The units' flows are per unit time; they are scaled
//!    linearly by one factor `k` so that the plant's feed is
//!    `throughput` t REO/yr (`hours` operating hours a year). Stage counts
//!    do not change with scale.
//! 2. **Sizing**, per stage, from the scaled flows `Q = Qa + Qo` (m3/h):
//!    mixer volume `V = Q t_res`; settler area `A = Q / settling_rate`,
//!    split into `ceil(A / max_settler_area)` parallel units;
//!    organic holdup `V Qo/Q + A organic_depth`.
//! 3. **Capex**: purchased cost per unit `stage_cost (a / reference_area)^n`
//!    (size-exponent law: economies of scale up to the largest unit),
//!    times `installation_factor` (Lang-type); plus the first fill of
//!    organic (holdup x extractant and diluent prices). Annualised by the
//!    capital recovery factor [`crf`].
//! 4. **Opex** per year: acid, saponification base, precipitant (oxalic
//!    acid per mol RE of product), organic lost by entrainment in the
//!    aqueous effluents, mixer power, labour per stage, maintenance as a
//!    fraction of the installed equipment.
//! 5. **Products**: each rare-earth component's product is the plant outlet
//!    that carries most of it; kg of oxide from [`oxide_molar_mass`]. The
//!    total annual cost is shared between products by mass, by value, or by
//!    by-product credit ([`Allocation`]).
//!
//! A cascade becomes a unit with [`unit_from_cascade`]; a flowsheet of
//! several linked cascades hands [`evaluate`] one unit per cascade
//! ([`units_from_flowsheet`]), listing as `feed` only what enters the plant
//! from outside and as `outlets` only the streams that leave the plant.

// `InputError` is the crate's error type (128 bytes); see design/mod.rs.
#![allow(clippy::result_large_err)]

pub(crate) mod derive;
pub mod file;
pub mod flowsheet;
pub(crate) mod params;
pub mod report;

use serde::Serialize;

pub use derive::{derive_refinery, DerivedRefinery};
pub use flowsheet::{cost_flowsheet, units_from_flowsheet};
pub use params::{Allocation, CostParams, RawCost};

use crate::cascade::Phase;
use crate::error::InputError;
use crate::model::{Cascade, StageFlows};
use crate::solver::Solution;

/// Molar mass of HCl, g/mol.
pub const HCL_MOLAR_MASS: f64 = 36.461;
/// Molar mass of NH3, g/mol.
pub const NH3_MOLAR_MASS: f64 = 17.031;
/// Molar mass of NaOH, g/mol.
pub const NAOH_MOLAR_MASS: f64 = 39.997;
/// Density of neat P507-type extractant, kg/L (sets the diluent share of
/// the organic).
pub const EXTRACTANT_DENSITY: f64 = 0.95;
/// Acid protons (and base) exchanged per mol of trivalent RE.
pub const PROTONS_PER_RE: f64 = 3.0;
const O: f64 = 15.999;

/// Grams of the usual commercial oxide per mol of element: RE2O3 for most,
/// CeO2, Pr6O11 and Tb4O7 as sold; `None` for other symbols.
///
/// ```
/// use sxforge::cost::oxide_molar_mass;
/// // Nd2O3 = 336.48 g/mol, i.e. 168.24 g per mol Nd
/// assert!((oxide_molar_mass("Nd").unwrap() - 168.2405).abs() < 1e-9);
/// ```
pub fn oxide_molar_mass(symbol: &str) -> Option<f64> {
    let m = crate::model::rigorous::element_molar_mass(symbol)?;
    let oxygen_per_metal = match symbol {
        "Ce" => 2.0,
        "Pr" => 11.0 / 6.0,
        "Tb" => 7.0 / 4.0,
        "Sc" | "Y" | "La" | "Nd" | "Pm" | "Sm" | "Eu" | "Gd" | "Dy" | "Ho" | "Er" | "Tm" | "Yb"
        | "Lu" => 1.5,
        _ => return None,
    };
    Some(m + oxygen_per_metal * O)
}

/// Capital recovery factor `r / (1 - (1+r)^-n)` (`1/n` at `r = 0`),
/// computed without overflow for long lifetimes and without cancellation
/// for small rates.
///
/// ```
/// use sxforge::cost::crf;
/// assert!((crf(0.08, 20.0) - 0.101_852_209_3).abs() < 1e-9);
/// assert!((crf(0.08, 1e6) - 0.08).abs() < 1e-15);
/// assert_eq!(crf(0.0, 20.0), 0.05);
/// ```
pub fn crf(rate: f64, lifetime: f64) -> f64 {
    if rate == 0.0 {
        return 1.0 / lifetime;
    }
    // 1 - (1+r)^-n = -expm1(-n ln(1+r))
    rate / -(-lifetime * rate.ln_1p()).exp_m1()
}

/// Flows leaving one stage, L/h (at the unit's own scale).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StageFlow {
    /// Aqueous, L/h.
    pub aqueous: f64,
    /// Organic, L/h.
    pub organic: f64,
}

/// A stream leaving the plant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitOutlet {
    /// Stream name (e.g. `raffinate`).
    pub name: String,
    /// Flow of each component of the unit, mol/h.
    pub amount: Vec<f64>,
}

/// One solved separation unit: what the cost model needs to know about a
/// cascade (or one cascade of a flowsheet). All flows per hour at the
/// unit's own scale; [`evaluate`] scales them to the plant's throughput.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolvedUnit {
    /// Name in reports.
    pub name: String,
    /// Component names (order of every vector below).
    pub components: Vec<String>,
    /// Flows leaving each stage (sizes the mixer-settlers).
    pub stages: Vec<StageFlow>,
    /// Extractant in the organic, mol/L.
    pub extractant: f64,
    /// Feed from outside the plant, mol/h per component.
    pub feed: Vec<f64>,
    /// Acid bought, mol H+/h.
    pub acid: f64,
    /// Saponification base bought, mol/h.
    pub base: f64,
    /// `NH3`, `NaOH` or empty (no saponification).
    pub base_name: String,
    /// Aqueous leaving the plant (raffinate, strip liquor), L/h: carries
    /// the entrained organic.
    pub aqueous_effluent: f64,
    /// Streams leaving the plant (a flowsheet leaves out streams that feed
    /// another of its units).
    pub outlets: Vec<UnitOutlet>,
    /// How the reagents were obtained (solved accounting or stoichiometry).
    pub reagent_basis: String,
}

/// A problem costing a design.
pub type CostError = InputError;

/// Turns a solved cascade into a [`SolvedUnit`].
///
/// - Rigorous models (`mass-action`, `log-linear`): stage flows as solved
///   (L/h); acid = scrub and strip acid fed (the feed's acid comes with the
///   leach liquor); base and extractant from the solved reagent accounting.
/// - Other models, reagents by stated stoichiometry (3 H+ per RE3+, times
///   `reagent_excess`): base = 3 x RE loaded in extraction (organic leaving
///   the last extraction stage); scrub acid = 3 x RE returned to the aqueous
///   by the scrub (aqueous leaving the first scrub stage); strip acid =
///   3 x RE in the organic leaving the scrub section (stripped in the
///   strip section or, with none, after the cascade).
/// - Constant-flow (`separation-factor`) models have RE amounts, not
///   volumes: the unit time is taken as one hour (any other is absorbed by
///   the scaling to `throughput`), the organic flow is the organic's RE over
///   `organic_loading`, the aqueous feed's volume is its RE over
///   `feed_concentration`, and the scrub solution's volume is its acid over
///   `scrub_acid_concentration`.
pub fn unit_from_cascade(
    cascade: &Cascade,
    sol: &Solution,
    p: &CostParams,
) -> Result<SolvedUnit, CostError> {
    let spec = cascade.spec();
    let l = cascade.layout();
    let n = cascade.n_stages();
    let sum_row = |a: &ndarray::Array2<f64>, j: usize| -> f64 { a.row(j).sum() };
    let outs = sol.streams(cascade);
    let outlets: Vec<UnitOutlet> = outs
        .iter()
        .map(|s| UnitOutlet {
            name: s.kind.name().to_string(),
            amount: s.amount.clone(),
        })
        .collect();
    let ext = l.extraction;
    // stoichiometric reagents (used unless the model has its own accounting)
    let loaded = if ext > 0 {
        sum_row(&sol.organic, ext - 1)
    } else {
        0.0
    };
    let scrubbed = if l.scrub > 0 {
        sum_row(&sol.aqueous, ext)
    } else {
        0.0
    };
    let to_strip = sum_row(&sol.organic, ext + l.scrub - 1);
    let x = p.reagent_excess * PROTONS_PER_RE;
    let (stoich_base, scrub_acid, strip_acid) = (x * loaded, x * scrubbed, x * to_strip);
    let stoich_basis = format!(
        "stoichiometry: base = 3 x {:.4e} mol/h RE loaded, acid = 3 x ({:.4e} scrubbed + {:.4e} stripped) mol/h (model scale), x {} excess",
        loaded, scrubbed, to_strip, p.reagent_excess
    );
    match cascade.flows() {
        StageFlows::Volumes { aqueous, organic } => {
            let stages: Vec<StageFlow> = (0..n)
                .map(|j| StageFlow {
                    aqueous: aqueous[j],
                    organic: organic[j],
                })
                .collect();
            let effluent: f64 = outs
                .iter()
                .filter(|s| s.phase == Phase::Aqueous)
                .map(|s| aqueous[s.stage])
                .sum();
            let model = spec.chemistry.model();
            let (extractant, feed_acid) = match (model.extractant(), model.streams()) {
                (Some(x), Some(st)) => (x, st.feed_acid),
                _ => (p.extractant_concentration, 0.0),
            };
            let mut unit = SolvedUnit {
                name: cascade.name().to_string(),
                components: cascade.components().to_vec(),
                stages,
                extractant,
                feed: cascade.feed_amount().to_vec(),
                acid: scrub_acid + strip_acid,
                base: stoich_base,
                base_name: p.base.clone(),
                aqueous_effluent: effluent,
                outlets,
                reagent_basis: stoich_basis,
            };
            if let Some(r) = crate::report::reagents::reagents(cascade, sol) {
                let fed = if l.feed_phase == Phase::Aqueous {
                    spec.feed.flow.unwrap_or(0.0) * feed_acid
                } else {
                    0.0
                };
                unit.acid = (r.acid_in - fed).max(0.0);
                unit.base = r.base;
                unit.base_name = r.base_name.to_string();
                unit.reagent_basis = format!(
                    "solved reagent accounting: scrub + strip acid fed {:.4e} mol H+/h, base {:.4e} mol/h (model scale)",
                    unit.acid, unit.base
                );
            }
            Ok(unit)
        }
        StageFlows::Amounts {
            organic, scrub: w, ..
        } => {
            let feed_total: f64 = cascade.feed_amount().iter().sum();
            let scrub_vol = x * w / p.scrub_acid_concentration;
            let feed_vol = if l.feed_phase == Phase::Aqueous {
                feed_total / p.feed_concentration
            } else {
                0.0
            };
            let stages: Vec<StageFlow> = (0..n)
                .map(|j| StageFlow {
                    aqueous: if j < ext {
                        feed_vol + scrub_vol
                    } else {
                        scrub_vol
                    },
                    organic: organic[j] / p.organic_loading,
                })
                .collect();
            let strip_vol = strip_acid / p.scrub_acid_concentration;
            Ok(SolvedUnit {
                name: cascade.name().to_string(),
                components: cascade.components().to_vec(),
                stages,
                extractant: p.extractant_concentration,
                feed: cascade.feed_amount().to_vec(),
                acid: scrub_acid + strip_acid,
                base: stoich_base,
                base_name: p.base.clone(),
                aqueous_effluent: feed_vol + scrub_vol + strip_vol,
                outlets,
                reagent_basis: stoich_basis,
            })
        }
    }
}

/// Sizing and cost of one stage position (possibly several parallel units).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageCost {
    /// Combined flow, m3/h.
    pub flow: f64,
    /// Mixer volume, m3 (all parallel units).
    pub mixer_volume: f64,
    /// Settler area, m2 (all parallel units).
    pub settler_area: f64,
    /// Parallel mixer-settlers.
    pub parallel: usize,
    /// Organic holdup, m3.
    pub organic_holdup: f64,
    /// Purchased equipment, USD.
    pub purchased: f64,
    /// Installed, USD.
    pub installed: f64,
}

/// Sizing and cost of one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitCost {
    /// Unit name.
    pub name: String,
    /// Per stage.
    pub stages: Vec<StageCost>,
    /// How the reagents were obtained.
    pub reagent_basis: String,
    /// Installed mixer-settlers plus first fill of organic, USD.
    pub capex: f64,
    /// Acid bought, USD/yr.
    pub acid: f64,
    /// Saponification base bought, USD/yr.
    pub base: f64,
    /// Organic lost by entrainment in the unit's aqueous effluent, USD/yr.
    pub organic_losses: f64,
}

/// One product: a component in the outlet that carries most of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    /// Component.
    pub component: String,
    /// Unit and stream, e.g. `Pr/Nd split: raffinate`.
    pub stream: String,
    /// kg oxide per year.
    pub kg_per_year: f64,
    /// g oxide per mol element used.
    pub oxide_molar_mass: f64,
    /// Share of the component in that stream (mol basis).
    pub purity: f64,
    /// Share of the component's plant feed recovered in it.
    pub recovery: f64,
    /// Price used, USD/kg (value and by-product allocation).
    pub price: Option<f64>,
    /// Share of the plant's annual cost borne (by-product allocation:
    /// sales value for by-products).
    pub share: f64,
    /// Annual cost allocated, USD/yr.
    pub allocated: f64,
    /// Cost per kg of oxide, USD/kg.
    pub cost_per_kg: f64,
    /// Of which annualised capex, USD/kg (same shares as the total).
    pub capex_per_kg: f64,
    /// Of which reagents (acid, base, precipitant, organic losses), USD/kg.
    pub reagents_per_kg: f64,
}

/// One named cost term with the arithmetic that produced it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    /// Short name (CSV key).
    pub name: String,
    /// USD (capex) or USD/yr (opex).
    pub value: f64,
    /// The formula with its numbers.
    pub how: String,
}

/// The costed design.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// Parameters used.
    #[serde(skip)]
    pub params: CostParams,
    /// Feed, t REO/yr.
    pub throughput: f64,
    /// Linear scale factor from the model's flows to the plant's.
    pub scale: f64,
    /// Units with their stages.
    pub units: Vec<UnitCost>,
    /// Stage positions in all units.
    pub stages: usize,
    /// Total organic holdup, m3.
    pub organic_holdup: f64,
    /// Capital terms, USD.
    pub capex_terms: Vec<Term>,
    /// Total capex, USD.
    pub capex: f64,
    /// Capital recovery factor.
    pub crf: f64,
    /// Annualised capex, USD/yr.
    pub annualised_capex: f64,
    /// Operating terms, USD/yr.
    pub opex_terms: Vec<Term>,
    /// Total opex, USD/yr.
    pub opex: f64,
    /// Of which reagents (acid, base, precipitant, organic losses), USD/yr.
    pub reagents: f64,
    /// Annualised capex + opex, USD/yr.
    pub total: f64,
    /// Allocation rule used.
    pub allocation: String,
    /// Products.
    pub products: Vec<Product>,
}

impl CostReport {
    /// The product of `component`.
    pub fn product(&self, component: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.component == component)
    }

    /// Cost per kg of a product, or of a group (`Pr+Nd`: allocated costs
    /// summed over kg summed).
    pub fn cost_per_kg(&self, group: &str) -> Option<f64> {
        let mut kg = 0.0;
        let mut usd = 0.0;
        for c in group.split('+') {
            let p = self.product(c.trim())?;
            kg += p.kg_per_year;
            usd += p.allocated;
        }
        (kg > 0.0).then(|| usd / kg)
    }
}

fn oxide_mass(p: &CostParams, c: &str) -> Option<f64> {
    p.oxide_molar_mass
        .get(c)
        .copied()
        .or_else(|| oxide_molar_mass(c))
}

/// Prices a list of solved units (see the module documentation).
///
/// Errors: no rare-earth component with an oxide mass, a product without a
/// price under value or by-product allocation, a `main` product that is
/// not a product.
pub fn evaluate(units: &[SolvedUnit], p: &CostParams) -> Result<CostReport, CostError> {
    // plant feed, kg oxide/h at model scale
    let mut feed_kg_h = 0.0;
    for u in units {
        for (c, f) in u.components.iter().zip(&u.feed) {
            if let Some(m) = oxide_mass(p, c) {
                feed_kg_h += f * m / 1000.0;
            }
        }
    }
    if feed_kg_h.is_nan() || feed_kg_h <= 0.0 {
        return Err(InputError::new(
            "cost",
            None,
            "the feed has no rare-earth component with a known oxide mass (element symbols La..Lu, Y, Sc, or give cost.oxide_molar_mass)",
        ));
    }
    let model_tpy = feed_kg_h * p.hours / 1000.0;
    let k = p.throughput / model_tpy;
    let h = p.hours;

    // sizing and equipment
    let mut ucs = Vec::new();
    let (mut installed, mut purchased, mut holdup, mut mixer, mut nstages) =
        (0.0, 0.0, 0.0, 0.0, 0usize);
    for u in units {
        let mut sc = Vec::new();
        for s in &u.stages {
            let q = k * (s.aqueous + s.organic) / 1000.0;
            let v = q * p.residence_time / 60.0;
            let a = q / p.settling_rate;
            let par = ((a / p.max_settler_area).ceil() as usize).max(1);
            let pc =
                par as f64 * p.stage_cost * (a / par as f64 / p.reference_area).powf(p.exponent);
            let org_frac = if s.aqueous + s.organic > 0.0 {
                s.organic / (s.aqueous + s.organic)
            } else {
                0.0
            };
            let hold = v * org_frac + a * p.organic_depth;
            purchased += pc;
            installed += pc * p.installation_factor;
            holdup += hold;
            mixer += v;
            nstages += 1;
            sc.push(StageCost {
                flow: q,
                mixer_volume: v,
                settler_area: a,
                parallel: par,
                organic_holdup: hold,
                purchased: pc,
                installed: pc * p.installation_factor,
            });
        }
        let unit_installed = sc.iter().map(|s| s.installed).sum();
        ucs.push(UnitCost {
            name: u.name.clone(),
            stages: sc,
            reagent_basis: u.reagent_basis.clone(),
            capex: unit_installed,
            acid: 0.0,
            base: 0.0,
            organic_losses: 0.0,
        });
    }
    // organic price per L: extractant at its concentration, diluent the rest
    let organic_l = |u: &SolvedUnit| -> (f64, f64) {
        let kg = u.extractant * p.extractant_molar_mass / 1000.0;
        let dil = (1.0 - kg / EXTRACTANT_DENSITY).max(0.0);
        (kg, dil)
    };
    let mut fill = 0.0;
    let mut fill_how = Vec::new();
    for (u, uc) in units.iter().zip(ucs.iter_mut()) {
        let (kg, dil) = organic_l(u);
        let per_l = kg * p.extractant_price + dil * p.diluent_price;
        let hold: f64 = uc.stages.iter().map(|s| s.organic_holdup).sum();
        fill += hold * 1000.0 * per_l;
        uc.capex += hold * 1000.0 * per_l;
        fill_how.push(format!(
            "{hold:.4} m3 x 1000 x ({kg:.4} kg/L x {} USD/kg + {dil:.4} L/L x {} USD/L)",
            p.extractant_price, p.diluent_price
        ));
    }
    let capex_terms = vec![
        Term {
            name: "mixer_settlers".into(),
            value: installed,
            how: format!(
                "sum over {nstages} stages of units x {} USD x (A/unit / {} m2)^{} = {:.6e} USD purchased, x {} installed",
                p.stage_cost, p.reference_area, p.exponent, purchased, p.installation_factor
            ),
        },
        Term {
            name: "organic_first_fill".into(),
            value: fill,
            how: fill_how.join(" + "),
        },
    ];
    let capex = installed + fill;
    let f = crf(p.discount_rate, p.lifetime);
    let annualised = capex * f;

    // products: each RE component in the plant outlet carrying most of it
    struct Pick {
        comp: String,
        stream: String,
        mol_h: f64,
        purity: f64,
        feed: f64,
        m: f64,
    }
    let mut picks: Vec<Pick> = Vec::new();
    for u in units {
        for (i, c) in u.components.iter().enumerate() {
            let Some(m) = oxide_mass(p, c) else { continue };
            let feed_i = u.feed[i];
            for o in &u.outlets {
                let tot: f64 = o.amount.iter().sum();
                let amt = o.amount[i];
                let purity = if tot > 0.0 { amt / tot } else { 0.0 };
                match picks.iter_mut().find(|q| &q.comp == c) {
                    Some(q) => {
                        if amt > q.mol_h {
                            q.stream = format!("{}: {}", u.name, o.name);
                            q.mol_h = amt;
                            q.purity = purity;
                        }
                    }
                    None => picks.push(Pick {
                        comp: c.clone(),
                        stream: format!("{}: {}", u.name, o.name),
                        mol_h: amt,
                        purity,
                        feed: 0.0,
                        m,
                    }),
                }
            }
            if let Some(q) = picks.iter_mut().find(|q| &q.comp == c) {
                q.feed += feed_i;
            }
        }
    }
    picks.retain(|q| q.mol_h > 0.0);
    let product_mol_h: f64 = picks.iter().map(|q| q.mol_h).sum();

    // operating terms
    let mut acid = 0.0;
    let mut base_nh3 = 0.0;
    let mut base_naoh = 0.0;
    let mut loss = 0.0;
    let mut loss_l = 0.0;
    for (u, uc) in units.iter().zip(ucs.iter_mut()) {
        acid += k * u.acid;
        uc.acid = k * u.acid * h * HCL_MOLAR_MASS / 1000.0 * p.acid_price;
        let base_mm = match u.base_name.as_str() {
            "NaOH" => {
                base_naoh += k * u.base;
                NAOH_MOLAR_MASS
            }
            "" => 0.0,
            _ => {
                base_nh3 += k * u.base;
                NH3_MOLAR_MASS
            }
        };
        uc.base = k * u.base * h * base_mm / 1000.0 * p.base_price;
        let (kg, dil) = organic_l(u);
        let lost_l = k * u.aqueous_effluent / 1000.0 * h * p.entrainment_loss;
        loss_l += lost_l;
        uc.organic_losses = lost_l * (kg * p.extractant_price + dil * p.diluent_price);
        loss += uc.organic_losses;
    }
    let kgy = |mol_h: f64, mm: f64| mol_h * h * mm / 1000.0;
    let acid_usd = kgy(acid, HCL_MOLAR_MASS) * p.acid_price;
    let base_usd = (kgy(base_nh3, NH3_MOLAR_MASS) + kgy(base_naoh, NAOH_MOLAR_MASS)) * p.base_price;
    let prec_mol = k * product_mol_h * p.precipitant_mol_per_mol;
    let prec_usd = kgy(prec_mol, p.precipitant_molar_mass) * p.precipitant_price;
    let power_kw = mixer * p.mixer_power;
    let power_usd = power_kw * h * p.electricity_price;
    let labour_usd = nstages as f64 * p.labour_per_stage;
    let maint_usd = installed * p.maintenance;
    let opex_terms = vec![
        Term {
            name: "acid".into(),
            value: acid_usd,
            how: format!(
                "{acid:.6e} mol H+/h x {h} h x {HCL_MOLAR_MASS} g/mol HCl x {} USD/kg",
                p.acid_price
            ),
        },
        Term {
            name: "base".into(),
            value: base_usd,
            how: format!(
                "({base_nh3:.6e} mol/h NH3 x {NH3_MOLAR_MASS} + {base_naoh:.6e} mol/h NaOH x {NAOH_MOLAR_MASS} g/mol) x {h} h x {} USD/kg",
                p.base_price
            ),
        },
        Term {
            name: "precipitant".into(),
            value: prec_usd,
            how: format!(
                "{:.6e} mol RE/h of product x {} mol/mol x {} g/mol x {h} h x {} USD/kg",
                k * product_mol_h,
                p.precipitant_mol_per_mol,
                p.precipitant_molar_mass,
                p.precipitant_price
            ),
        },
        Term {
            name: "organic_losses".into(),
            value: loss,
            how: format!(
                "{loss_l:.6e} L/yr of organic = aqueous effluent x {h} h x {} L/m3, at the organic's price per L",
                p.entrainment_loss
            ),
        },
        Term {
            name: "power".into(),
            value: power_usd,
            how: format!(
                "{mixer:.4} m3 of mixers x {} kW/m3 x {h} h x {} USD/kWh",
                p.mixer_power, p.electricity_price
            ),
        },
        Term {
            name: "labour".into(),
            value: labour_usd,
            how: format!("{nstages} stages x {} USD/yr", p.labour_per_stage),
        },
        Term {
            name: "maintenance".into(),
            value: maint_usd,
            how: format!(
                "{} x {installed:.6e} USD installed equipment",
                p.maintenance
            ),
        },
    ];
    let opex: f64 = opex_terms.iter().map(|t| t.value).sum();
    let reagents = acid_usd + base_usd + prec_usd + loss;
    let total = annualised + opex;

    // allocation
    let kg: Vec<f64> = picks.iter().map(|q| kgy(k * q.mol_h, q.m)).collect();
    let price_of =
        |c: &str| -> Option<f64> { p.price.get(c).copied().or_else(|| params::default_price(c)) };
    let need_price = |c: &str| -> Result<f64, InputError> {
        price_of(c).ok_or_else(|| {
            InputError::new(
                format!("cost.price.{c}"),
                None,
                format!(
                    "missing: no default price for `{c}` (allocation = \"{}\" needs one, USD/kg oxide)",
                    p.allocation.name()
                ),
            )
        })
    };
    for key in p.price.keys().chain(p.oxide_molar_mass.keys()) {
        if !units.iter().any(|u| u.components.contains(key)) {
            return Err(InputError::new(
                format!(
                    "cost.{}.{key}",
                    if p.price.contains_key(key) {
                        "price"
                    } else {
                        "oxide_molar_mass"
                    }
                ),
                None,
                "not a component of this model",
            ));
        }
    }
    let n = picks.len();
    let mut allocated = vec![0.0; n];
    let mut share = vec![0.0; n];
    let mut prices: Vec<Option<f64>> = picks.iter().map(|q| price_of(&q.comp)).collect();
    match &p.allocation {
        Allocation::Mass => {
            let tot: f64 = kg.iter().sum();
            for i in 0..n {
                share[i] = kg[i] / tot;
                allocated[i] = total * share[i];
            }
        }
        Allocation::Value => {
            let v: Vec<f64> = picks
                .iter()
                .zip(&kg)
                .map(|(q, kg)| need_price(&q.comp).map(|pr| pr * kg))
                .collect::<Result<_, _>>()?;
            let tot: f64 = v.iter().sum();
            if tot.is_nan() || tot <= 0.0 {
                return Err(InputError::new(
                    "cost.price",
                    None,
                    "the products have no value at these prices: use allocation = \"mass\"",
                ));
            }
            for i in 0..n {
                share[i] = v[i] / tot;
                allocated[i] = total * share[i];
            }
        }
        Allocation::ByProduct(main) => {
            let v: Vec<f64> = picks
                .iter()
                .zip(&kg)
                .map(|(q, kg)| need_price(&q.comp).map(|pr| pr * kg))
                .collect::<Result<_, _>>()?;
            let mains: Vec<usize> = if main.is_empty() {
                let best = (0..n).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap_or(0);
                vec![best]
            } else {
                main.iter()
                    .map(|m| {
                        picks.iter().position(|q| &q.comp == m).ok_or_else(|| {
                            InputError::new(
                                "cost.main",
                                Some(format!("\"{m}\"")),
                                format!(
                                    "not a product of this design (products: {})",
                                    picks
                                        .iter()
                                        .map(|q| q.comp.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            let credit: f64 = (0..n).filter(|i| !mains.contains(i)).map(|i| v[i]).sum();
            let main_value: f64 = mains.iter().map(|&i| v[i]).sum();
            let main_kg: f64 = mains.iter().map(|&i| kg[i]).sum();
            for i in 0..n {
                if mains.contains(&i) {
                    share[i] = if main_value > 0.0 {
                        v[i] / main_value
                    } else {
                        kg[i] / main_kg
                    };
                    allocated[i] = (total - credit) * share[i];
                } else {
                    share[i] = 0.0;
                    allocated[i] = v[i];
                }
            }
        }
    }
    if matches!(p.allocation, Allocation::Mass) {
        prices = picks.iter().map(|q| price_of(&q.comp)).collect();
    }
    let products: Vec<Product> = picks
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let c = allocated[i] / kg[i];
            // capex and reagents carry the same share as the total (the
            // by-product credit reduces every term of the main products in
            // proportion)
            let frac = if total > 0.0 { c / total } else { 0.0 };
            Product {
                component: q.comp.clone(),
                stream: q.stream.clone(),
                kg_per_year: kg[i],
                oxide_molar_mass: q.m,
                purity: q.purity,
                recovery: if q.feed > 0.0 { q.mol_h / q.feed } else { 0.0 },
                price: prices[i],
                share: share[i],
                allocated: allocated[i],
                cost_per_kg: c,
                capex_per_kg: frac * annualised,
                reagents_per_kg: frac * reagents,
            }
        })
        .collect();
    let finite = [capex, opex, total].iter().all(|v| v.is_finite())
        && products.iter().all(|q: &Product| q.cost_per_kg.is_finite());
    if !finite {
        return Err(InputError::new(
            "cost",
            None,
            "the cost is not a finite number (magnitudes beyond floating point): check throughput, prices and the model's amounts",
        ));
    }
    Ok(CostReport {
        params: p.clone(),
        throughput: p.throughput,
        scale: k,
        units: ucs,
        stages: nstages,
        organic_holdup: holdup,
        capex_terms,
        capex,
        crf: f,
        annualised_capex: annualised,
        opex_terms,
        opex,
        reagents,
        total,
        allocation: p.allocation.name().to_string(),
        products,
    })
}

/// Costs one solved cascade with the parameters of its `[cost]` table.
pub fn cost_cascade(
    cascade: &Cascade,
    sol: &Solution,
    p: &CostParams,
) -> Result<CostReport, CostError> {
    evaluate(&[unit_from_cascade(cascade, sol, p)?], p)
}
