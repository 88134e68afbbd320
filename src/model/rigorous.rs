//! Parameters of the rigorous (volumetric, acidity-aware) chemistry models,
//! `mass-action` and `log-linear`, and their checks.
//!
//! Both models use the volumetric form of the model file (Example B of
//! model-format.md) plus the acidity of every aqueous stream: `feed.acid`,
//! `[scrub] acid` (and any rare earths the scrub solution carries, for
//! reflux), `[strip] acid`. See `docs/chemistry.md` for the keys.

use super::registry::{ChemistryModel, Parsed, Registered};
use super::schema::component_values;
use super::schema::{ComponentMap, RawCascade};
pub use super::streams::{AqueousStreams, ConcentrationUnit};
use super::ChemistrySpec;
use crate::cascade::{Layout, Phase};
use crate::chemistry::schema::ModelSchema;
use crate::error::{InputError, InputErrors, Problems};

/// Counter-ion of a saponified extractant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterIon {
    /// Ammonium (saponification with ammonia or NH4OH).
    Ammonium,
    /// Sodium (saponification with NaOH).
    Sodium,
}

impl CounterIon {
    /// Name as written in model files (`NH4`, `Na`).
    pub fn name(self) -> &'static str {
        match self {
            CounterIon::Ammonium => "NH4",
            CounterIon::Sodium => "Na",
        }
    }

    /// Molar mass of the base that supplies it (NH3 or NaOH), g/mol.
    pub fn base_molar_mass(self) -> f64 {
        match self {
            CounterIon::Ammonium => 17.031,
            CounterIon::Sodium => 39.997,
        }
    }
}

/// Parameters of the `mass-action` model (chemistry.md, model 3).
#[derive(Debug, Clone, PartialEq)]
pub struct MassActionSpec {
    /// log10 K per component.
    pub log10_k: Vec<f64>,
    /// Extractant (dimer) slope `a`.
    pub a: f64,
    /// Acidity slope `b`.
    pub b: f64,
    /// Metal charge per component.
    pub charge: Vec<f64>,
    /// Total extractant, mol/L of HA in the organic.
    pub extractant: f64,
    /// Saponification degree `s` in `[0, 1)`.
    pub saponification: f64,
    /// Counter-ion of the saponified extractant.
    pub counter_ion: CounterIon,
    /// log10 of the counter-ion exchange constant `K_N`
    /// (`[NA] = K_N [N+] [(HA)2]^(1/2) / [H+]`).
    pub log10_k_ion: f64,
    /// Aqueous streams.
    pub streams: AqueousStreams,
}

/// One fitted component of the `log-linear` model:
/// `log10 D = (m0 + m1 dose) pH + b0 + b1 log10(dose)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogLinearFit {
    /// pH slope at zero dose.
    pub m0: f64,
    /// Change of the pH slope per volume percent of free extractant.
    pub m1: f64,
    /// Intercept.
    pub b0: f64,
    /// Slope in log10(dose).
    pub b1: f64,
}

/// Parameters of the `log-linear` model (chemistry.md, model 4).
#[derive(Debug, Clone, PartialEq)]
pub struct LogLinearSpec {
    /// Fit per component (`None`: constant D from `d`).
    pub fit: Vec<Option<LogLinearFit>>,
    /// Constant D for components without a fit (ignored where a fit exists).
    pub d: Vec<f64>,
    /// Metal charge per component.
    pub charge: Vec<f64>,
    /// Extractant (HA units) bound per metal extracted.
    pub extractant_per_metal: Vec<f64>,
    /// Protons released per metal extracted.
    pub protons_per_metal: Vec<f64>,
    /// Extractant dose, volume percent: the total extractant of the
    /// organic, or with `dose_free` the free extractant of the organic
    /// entering stage 1 (which then also holds the extractant its metals
    /// bind).
    pub dose: f64,
    /// Whether `dose` is the free (not the total) extractant of the
    /// incoming organic (`dose_basis = "free"`).
    pub dose_free: bool,
    /// Whether the fits use `dose` as given in every stage (`fixed_dose =
    /// true`) rather than each stage's free extractant.
    pub fixed_dose: bool,
    /// mol/L of extractant per volume percent.
    pub molarity_per_percent: f64,
    /// Whether the bisulfate equilibrium is solved in every stage.
    pub bisulfate: bool,
    /// log10 Ka2 of HSO4- (default -1.99).
    pub log10_ka2: f64,
    /// Aqueous streams.
    pub streams: AqueousStreams,
}

/// Molar mass (g/mol) of an element symbol, for the elements a rare-earth
/// circuit meets (IUPAC 2021 standard atomic weights, rounded).
pub fn element_molar_mass(symbol: &str) -> Option<f64> {
    Some(match symbol {
        "Sc" => 44.956,
        "Y" => 88.906,
        "La" => 138.905,
        "Ce" => 140.116,
        "Pr" => 140.908,
        "Nd" => 144.242,
        "Pm" => 145.0,
        "Sm" => 150.36,
        "Eu" => 151.964,
        "Gd" => 157.25,
        "Tb" => 158.925,
        "Dy" => 162.5,
        "Ho" => 164.930,
        "Er" => 167.259,
        "Tm" => 168.934,
        "Yb" => 173.045,
        "Lu" => 174.967,
        "Al" => 26.982,
        "Ca" => 40.078,
        "Mg" => 24.305,
        "Fe" => 55.845,
        "Mn" => 54.938,
        "Zn" => 65.38,
        "Cu" => 63.546,
        "Th" => 232.038,
        "U" => 238.029,
        _ => return None,
    })
}

/// Checks the acid of the `[scrub]` or `[strip]` solution: required and
/// positive when the section has stages, absent otherwise.
fn section_acid(
    p: &mut Problems,
    section: &str,
    stages: usize,
    acid: Option<f64>,
    other_keys: bool,
    why: &str,
) {
    let key = format!("{section}.acid");
    match acid {
        _ if stages == 0 => {
            if acid.is_some() || other_keys {
                p.push(InputError::new(
                    section,
                    None,
                    format!("the cascade has no {section} stages: omit [{section}]"),
                ));
            }
        }
        None => p.push(InputError::new(
            key,
            None,
            format!(
                "missing: the {section} solution's acid concentration (mol/L); the cascade has {section} stages"
            ),
        )),
        Some(v) if !(v.is_finite() && v > 0.0) => p.push(err(
            &key,
            v,
            &format!("expected a positive acid concentration (mol/L): {why}"),
        )),
        Some(_) => {}
    }
}

fn err(key: &str, v: f64, msg: &str) -> InputError {
    InputError::new(key, Some(super::fmt_num(v)), msg.to_string())
}

/// Records a problem at `key` with value `v` unless `ok`.
fn expect(p: &mut Problems, ok: bool, key: &str, v: f64, msg: &str) {
    if !ok {
        p.push(err(key, v, msg));
    }
}

/// Checks one value per component, recording every component that fails.
fn check_each(
    p: &mut Problems,
    key: &str,
    comps: &[String],
    v: &[f64],
    ok: impl Fn(f64) -> bool,
    msg: &str,
) {
    if v.len() != comps.len() {
        p.push(InputError::new(
            key,
            None,
            format!("expected one value per component ({})", comps.len()),
        ));
        return;
    }
    for (c, &x) in comps.iter().zip(v) {
        expect(p, x.is_finite() && ok(x), &format!("{key}.{c}"), x, msg);
    }
}

/// Checks the metal charges (`chemistry.charge`), each in (0, 6].
fn check_charge(p: &mut Problems, comps: &[String], charge: &[f64]) {
    check_each(
        p,
        "chemistry.charge",
        comps,
        charge,
        |x| x > 0.0 && x <= 6.0,
        "expected a metal charge in (0, 6]",
    );
}

impl AqueousStreams {
    fn check(&self, p: &mut Problems, comps: &[String], layout: &Layout) {
        let a = self.feed_acid;
        expect(
            p,
            a.is_finite() && a >= 0.0,
            "feed.acid",
            a,
            "expected a non-negative acid concentration (mol/L H+)",
        );
        for (key, v) in [
            ("feed.sulfate", self.feed_sulfate),
            ("scrub.sulfate", self.scrub_sulfate),
            ("strip.sulfate", self.strip_sulfate),
        ] {
            expect(
                p,
                v.is_finite() && v >= 0.0,
                key,
                v,
                "expected a non-negative sulfate concentration (mol/L)",
            );
        }
        section_acid(
            p,
            "scrub",
            layout.scrub,
            self.scrub_acid,
            self.scrub_concentration.is_some(),
            "scrubbing works by acid",
        );
        if let Some(c) = &self.scrub_concentration {
            check_each(
                p,
                "scrub.concentration",
                comps,
                c,
                |x| x >= 0.0,
                "expected a non-negative concentration",
            );
        }
        section_acid(
            p,
            "strip",
            layout.strip,
            self.strip_acid,
            false,
            "a strip section with no acid cannot unload the organic",
        );
    }
}

impl MassActionSpec {
    /// Checks the parameters against the components, the layout and the
    /// feed (`feed_conc`, mol/L); every problem is reported.
    pub(crate) fn problems(
        &self,
        comps: &[String],
        layout: &Layout,
        feed_conc: &[f64],
    ) -> Result<(), InputErrors> {
        let mut p = Problems::default();
        check_each(
            &mut p,
            "chemistry.log10_k",
            comps,
            &self.log10_k,
            |_| true,
            "expected a finite log10 K",
        );
        check_charge(&mut p, comps, &self.charge);
        for (key, v) in [("chemistry.a", self.a), ("chemistry.b", self.b)] {
            let ok = v.is_finite() && v > 0.0 && v <= 12.0;
            expect(&mut p, ok, key, v, "expected a positive slope (at most 12)");
        }
        let e = self.extractant;
        expect(
            &mut p,
            e.is_finite() && e > 0.0,
            "chemistry.extractant",
            e,
            "expected a positive extractant concentration (mol/L HA)",
        );
        let s = self.saponification;
        expect(
            &mut p,
            s.is_finite() && (0.0..1.0).contains(&s),
            "chemistry.saponification",
            s,
            "expected a saponification degree in [0, 1)",
        );
        expect(
            &mut p,
            self.log10_k_ion.is_finite(),
            "chemistry.log10_k_ion",
            self.log10_k_ion,
            "expected a finite log10 K",
        );
        self.streams.check(&mut p, comps, layout);
        // with charges and extractant checked: the bound below means something
        if p.is_empty() && layout.feed_phase == Phase::Organic {
            // The loaded organic feed holds 2 z HA per metal: it must leave
            // free extractant, otherwise its state has no equilibrium.
            let bound: f64 = feed_conc
                .iter()
                .zip(&self.charge)
                .map(|(c, z)| 2.0 * z * c)
                .sum();
            if bound >= self.extractant {
                p.push(InputError::new(
                    "feed.concentration",
                    Some(super::fmt_num(bound)),
                    format!(
                        "the organic feed's metals bind {} mol/L HA (2 z per metal), more than the extractant holds ({} mol/L): the loaded organic is undefined",
                        super::fmt_num(bound),
                        super::fmt_num(self.extractant)
                    ),
                ));
            }
        }
        p.check()
    }
}

impl LogLinearSpec {
    /// The metals (component indices) whose distribution ratio does not
    /// fall as the free extractant is used up: a fit with no positive dose
    /// slope `b1`, every fit under `fixed_dose`, and an extracted metal
    /// without a fit (a constant `D` above 0). Nothing in the model caps
    /// their loading at the extractant's capacity.
    pub fn uncapped(&self) -> Vec<usize> {
        (0..self.fit.len())
            .filter(|&i| match self.fit[i] {
                Some(f) => self.fixed_dose || f.b1 <= 0.0,
                None => self.d.get(i).is_some_and(|&d| d > 0.0),
            })
            .collect()
    }

    /// Whether no metal's distribution ratio depends on the free
    /// extractant: `fixed_dose`, or every fit without a dose term (`b1 =
    /// m1 = 0`) and the rest constant. The stage equations then involve
    /// the extractant's capacity only through its balances (`C_free =
    /// C - sum e_k y_k` in each stage; the organic's acid protons `C -
    /// sum p_k y_k` cancel between the stages it crosses), so that their
    /// steady state is the same at any capacity, and it is a steady state
    /// of the model only where no stage binds the whole of `C`.
    pub fn extractant_blind(&self) -> bool {
        self.fixed_dose
            || self
                .fit
                .iter()
                .flatten()
                .all(|f| f.b1 == 0.0 && f.m1 == 0.0)
    }

    /// [`LogLinearSpec::uncapped`] where `layout` has a scrub section,
    /// none otherwise: the scrub returns such a metal to the extraction,
    /// which loads it again, so that a steady state may need more
    /// extractant than the organic carries (the log-linear failures that
    /// the solver reports at their first solve, and that their hint
    /// names).
    pub fn uncapped_behind_scrub(&self, layout: &Layout) -> Vec<usize> {
        if layout.scrub == 0 {
            return Vec::new();
        }
        self.uncapped()
    }

    /// Checks the parameters; every problem is reported.
    pub(crate) fn problems(&self, comps: &[String], layout: &Layout) -> Result<(), InputErrors> {
        let mut p = Problems::default();
        if self.fit.len() != comps.len() {
            p.push(InputError::new(
                "chemistry.fit",
                None,
                "expected one entry per component",
            ));
        }
        for ((c, fit), &d) in comps.iter().zip(&self.fit).zip(&self.d) {
            match fit {
                Some(f) => {
                    for (name, v) in [("m0", f.m0), ("m1", f.m1), ("b0", f.b0), ("b1", f.b1)] {
                        let key = format!("chemistry.fit.{c}.{name}");
                        expect(&mut p, v.is_finite(), &key, v, "expected a finite number");
                    }
                }
                None if !(d.is_finite() && d >= 0.0) => p.push(InputError::new(
                    format!("chemistry.d.{c}"),
                    (!d.is_nan()).then(|| super::fmt_num(d)),
                    format!("component `{c}` has no fit: expected a non-negative constant D in chemistry.d or a fit in [chemistry.fit.{c}]"),
                )),
                None => {}
            }
        }
        check_charge(&mut p, comps, &self.charge);
        check_each(
            &mut p,
            "chemistry.extractant_per_metal",
            comps,
            &self.extractant_per_metal,
            |x| x >= 0.0,
            "expected a non-negative number",
        );
        check_each(
            &mut p,
            "chemistry.protons_per_metal",
            comps,
            &self.protons_per_metal,
            |x| x >= 0.0,
            "expected a non-negative number",
        );
        expect(
            &mut p,
            self.dose.is_finite() && self.dose > 0.0 && self.dose <= 100.0,
            "chemistry.dose",
            self.dose,
            "expected an extractant dose in (0, 100] volume percent",
        );
        let m = self.molarity_per_percent;
        expect(
            &mut p,
            m.is_finite() && m > 0.0,
            "chemistry.molarity_per_percent",
            m,
            "expected a positive mol/L per volume percent",
        );
        expect(
            &mut p,
            self.log10_ka2.is_finite(),
            "chemistry.log10_ka2",
            self.log10_ka2,
            "expected a finite log10 Ka2",
        );
        if layout.feed_phase == Phase::Organic {
            p.push(InputError::new(
                "feed.phase",
                Some("\"organic\"".into()),
                "the log-linear model takes an aqueous feed",
            ));
        }
        self.streams.check(&mut p, comps, layout);
        p.check()
    }
}

impl ChemistryModel for MassActionSpec {
    fn schema(&self) -> &'static ModelSchema {
        MASS_ACTION.schema
    }

    fn check(&self, comps: &[String], layout: &Layout, feed_conc: &[f64], p: &mut Problems) {
        p.all(self.problems(comps, layout, feed_conc));
    }

    fn set_param(&mut self, i: usize, v: f64) {
        self.log10_k[i] = v;
    }

    fn streams(&self) -> Option<&AqueousStreams> {
        Some(&self.streams)
    }

    fn streams_mut(&mut self) -> Option<&mut AqueousStreams> {
        Some(&mut self.streams)
    }

    fn extractant(&self) -> Option<f64> {
        Some(self.extractant)
    }

    fn base(&self) -> (f64, &'static str) {
        let name = if self.saponification > 0.0 {
            match self.counter_ion {
                CounterIon::Ammonium => "NH3",
                CounterIon::Sodium => "NaOH",
            }
        } else {
            ""
        };
        (self.saponification, name)
    }
}

impl ChemistryModel for LogLinearSpec {
    fn schema(&self) -> &'static ModelSchema {
        LOG_LINEAR.schema
    }

    fn check(&self, comps: &[String], layout: &Layout, _feed_conc: &[f64], p: &mut Problems) {
        p.all(self.problems(comps, layout));
    }

    fn streams(&self) -> Option<&AqueousStreams> {
        Some(&self.streams)
    }

    fn streams_mut(&mut self) -> Option<&mut AqueousStreams> {
        Some(&mut self.streams)
    }

    fn extractant(&self) -> Option<f64> {
        Some(self.dose * self.molarity_per_percent)
    }

    fn bisulfate_ka2(&self) -> Option<f64> {
        Some(10f64.powf(self.log10_ka2))
    }
}

/// Xu's flow-split check in mass-action terms, for a saponified extractant:
/// the saponified capacity `S = s C O / z` (RE the fresh organic can load by
/// exchanging its counter-ion) and the scrub reflux `W = acid x flow / z`
/// (RE the scrub acid can strip) should leave both products RE,
/// `0 < S - W < F` (`z` the feed's mean charge). Returns a sentence when they
/// do not; `None` for other models or when the split is inside the range.
/// This is a design estimate, not a law: the solver decides the actual
/// split, which is why it is a hint for failed solves and not an input error.
pub fn flow_split_hint(c: &super::Cascade) -> Option<String> {
    let super::ChemistrySpec::MassAction(m) = &c.spec().chemistry else {
        return None;
    };
    if c.layout().feed_phase != crate::cascade::Phase::Aqueous || m.saponification <= 0.0 {
        return None;
    }
    let feed = c.feed_amount();
    let f: f64 = feed.iter().sum();
    let z: f64 = feed.iter().zip(&m.charge).map(|(a, z)| a * z).sum::<f64>() / f;
    let o = c.spec().flows.organic?;
    let s = m.saponification * m.extractant * o / z;
    let w = match (m.streams.scrub_acid, c.spec().flows.scrub) {
        (Some(acid), Some(flow)) if c.layout().scrub > 0 => acid * flow / z,
        _ => 0.0,
    };
    let p = s - w;
    if p > 0.0 && p < f {
        return None;
    }
    Some(format!(
        "the saponified organic can load S = {s:.4e} mol/h and the scrub acid strip W = {w:.4e} mol/h, so S - W = {p:.4e} mol/h lies outside (0, F = {f:.4e}): {}",
        if p <= 0.0 {
            "the scrub strips all the organic carries (raise the organic flow or saponification, or lower the scrub acid)"
        } else {
            "the organic could carry more than the feed holds (lower the organic flow or saponification, or raise the scrub acid)"
        }
    ))
}

// ---- file parsing (the registry's parsers of the two rigorous models) ----

/// The `mass-action` model's registry entry.
pub(crate) const MASS_ACTION: Registered = Registered {
    schema: &crate::chemistry::mass_action::SCHEMA,
    parse: parse_mass_action,
    sweep: Some("log10_k"),
};

/// The `log-linear` model's registry entry (its fits have no single
/// per-component parameter to sweep).
pub(crate) const LOG_LINEAR: Registered = Registered {
    schema: &crate::chemistry::log_linear::SCHEMA,
    parse: parse_log_linear,
    sweep: None,
};

/// Default log10 of the counter-ion exchange constant of the mass-action
/// model (illustrative: NH4+ loads a P507-like extractant above pH ~4).
pub const DEFAULT_LOG10_K_ION: f64 = -4.0;

/// What both rigorous models read alike: units, molar masses, the
/// streams' acidity, the metal charges.
struct Common {
    units: ConcentrationUnit,
    mm: Vec<Option<f64>>,
    streams: AqueousStreams,
    charge: Vec<f64>,
}

fn missing(p: &mut Problems, key: &str, what: &str) {
    p.push(InputError::new(key, None, format!("missing: {what}")));
}

/// The parts both rigorous models share; every problem is recorded.
fn common(raw: &RawCascade, comps: &[String], p: &mut Problems) -> Common {
    let c = &raw.chemistry;
    let units = match raw.units.as_deref() {
        None | Some("mol/L") => ConcentrationUnit::MolPerL,
        Some("mg/L") => ConcentrationUnit::MgPerL,
        Some(other) => {
            p.push(InputError::new(
                "units",
                Some(format!("\"{other}\"")),
                "expected \"mol/L\" or \"mg/L\"",
            ));
            ConcentrationUnit::MolPerL
        }
    };
    let k = comps.len();
    let mm = p
        .ok(molar_masses(raw, comps))
        .unwrap_or_else(|| vec![None; k]);
    let streams = AqueousStreams {
        feed_acid: raw.feed.acid.unwrap_or(0.0),
        feed_sulfate: raw.feed.sulfate.unwrap_or(0.0),
        scrub_acid: raw.scrub.as_ref().and_then(|s| s.acid),
        scrub_concentration: None,
        scrub_sulfate: raw.scrub.as_ref().and_then(|s| s.sulfate).unwrap_or(0.0),
        strip_acid: raw.strip.as_ref().and_then(|s| s.acid),
        strip_sulfate: raw.strip.as_ref().and_then(|s| s.sulfate).unwrap_or(0.0),
        molar_mass: mm.clone(),
        units,
    };
    if raw.feed.acid.is_none() {
        missing(
            p,
            "feed.acid",
            "the feed's acidity in mol/L H+ (0 for a neutral feed)",
        );
    }
    let charge = p
        .ok(per_comp_or(
            "chemistry.charge",
            comps,
            &c.charge,
            &vec![3.0; k],
        ))
        .unwrap_or_else(|| vec![3.0; k]);
    Common {
        units,
        mm,
        streams,
        charge,
    }
}

/// Moves the problems of one model's parse into `outer`; the parsed model
/// when there were none.
fn finish(
    outer: &mut Problems,
    mut p: Problems,
    spec: Option<ChemistrySpec>,
    common: Common,
) -> Option<Parsed> {
    outer.all(p.check())?;
    Some(Parsed {
        chemistry: spec.expect("a problem is recorded for every part missing"),
        units: common.units,
        molar_mass: common.mm,
    })
}

fn parse_mass_action(raw: &RawCascade, comps: &[String], outer: &mut Problems) -> Option<Parsed> {
    let mut p = Problems::default();
    let common = common(raw, comps, &mut p);
    let c = &raw.chemistry;
    if c.log10_k.is_none() {
        missing(&mut p, "chemistry.log10_k", "log10 K per component");
    }
    let counter_ion = match c.counter_ion.as_deref() {
        None | Some("NH4") => CounterIon::Ammonium,
        Some("Na") => CounterIon::Sodium,
        Some(other) => {
            p.push(InputError::new(
                "chemistry.counter_ion",
                Some(format!("\"{other}\"")),
                "expected \"NH4\" or \"Na\"",
            ));
            CounterIon::Ammonium
        }
    };
    if c.extractant.is_none() {
        missing(
            &mut p,
            "chemistry.extractant",
            "total extractant in the organic, mol/L HA",
        );
    }
    let log10_k = c
        .log10_k
        .as_ref()
        .and_then(|lk| p.ok(component_values("chemistry.log10_k", comps, lk, true)));
    let spec = log10_k.zip(c.extractant).map(|(log10_k, extractant)| {
        ChemistrySpec::MassAction(Box::new(MassActionSpec {
            log10_k,
            a: c.a.unwrap_or(3.0),
            b: c.b.unwrap_or(3.0),
            charge: common.charge.clone(),
            extractant,
            saponification: c.saponification.unwrap_or(0.0),
            counter_ion,
            log10_k_ion: c.log10_k_ion.unwrap_or(DEFAULT_LOG10_K_ION),
            streams: common.streams.clone(),
        }))
    });
    finish(outer, p, spec, common)
}

fn parse_log_linear(raw: &RawCascade, comps: &[String], outer: &mut Problems) -> Option<Parsed> {
    let mut p = Problems::default();
    let common = common(raw, comps, &mut p);
    let (c, k, charge) = (&raw.chemistry, comps.len(), &common.charge);
    let mut fit = vec![None; k];
    for (name, rf) in c.fit.iter().flatten() {
        match comps.iter().position(|x| x == name) {
            Some(i) => {
                fit[i] = Some(LogLinearFit {
                    m0: rf.m0,
                    m1: rf.m1,
                    b0: rf.b0,
                    b1: rf.b1,
                })
            }
            None => p.push(InputError::new(
                format!("chemistry.fit.{name}"),
                None,
                format!(
                    "`{name}` is not a component of this model (components: {})",
                    comps.join(", ")
                ),
            )),
        }
    }
    let d = p.ok(per_comp_or("chemistry.d", comps, &c.d, &vec![f64::NAN; k]));
    if c.dose.is_none() {
        missing(&mut p, "chemistry.dose", "extractant dose, volume percent");
    }
    if c.molarity_per_percent.is_none() {
        missing(
            &mut p,
            "chemistry.molarity_per_percent",
            "mol/L of extractant per volume percent",
        );
    }
    let dose_free = match c.dose_basis.as_deref() {
        None | Some("total") => false,
        Some("free") => true,
        Some(other) => {
            p.push(InputError::new(
                "chemistry.dose_basis",
                Some(format!("\"{other}\"")),
                "expected \"total\" or \"free\" (the extractant of the incoming organic that `dose` gives)",
            ));
            false
        }
    };
    let per_metal = |p: &mut Problems, key: &str, map: &Option<ComponentMap>| {
        p.ok(per_comp_or(key, comps, map, charge))
    };
    let epm = per_metal(
        &mut p,
        "chemistry.extractant_per_metal",
        &c.extractant_per_metal,
    );
    let ppm = per_metal(&mut p, "chemistry.protons_per_metal", &c.protons_per_metal);
    let spec = match (d, c.dose, c.molarity_per_percent, epm, ppm) {
        (Some(d), Some(dose), Some(molarity_per_percent), Some(epm), Some(ppm)) => {
            Some(ChemistrySpec::LogLinear(Box::new(LogLinearSpec {
                dose_free,
                fixed_dose: c.fixed_dose.unwrap_or(false),
                fit,
                d,
                extractant_per_metal: epm,
                protons_per_metal: ppm,
                charge: charge.clone(),
                dose,
                molarity_per_percent,
                bisulfate: c.bisulfate.unwrap_or(false),
                log10_ka2: c.log10_ka2.unwrap_or(-1.99),
                streams: common.streams.clone(),
            })))
        }
        _ => None,
    };
    finish(outer, p, spec, common)
}

/// Molar masses per component: given ones first, then the element table.
fn molar_masses(raw: &RawCascade, comps: &[String]) -> Result<Vec<Option<f64>>, InputError> {
    let given = match &raw.molar_mass {
        Some(m) => {
            let v = component_values("molar_mass", comps, m, false)?;
            for (c, &x) in comps.iter().zip(&v) {
                if m.contains_key(c) && !(x.is_finite() && x > 0.0) {
                    return Err(InputError::new(
                        format!("molar_mass.{c}"),
                        Some(super::fmt_num(x)),
                        "expected a positive molar mass (g/mol)",
                    ));
                }
            }
            v
        }
        None => vec![0.0; comps.len()],
    };
    Ok(comps
        .iter()
        .zip(given)
        .map(|(c, g)| {
            if g > 0.0 {
                Some(g)
            } else {
                element_molar_mass(c)
            }
        })
        .collect())
}

fn per_comp_or(
    key: &str,
    comps: &[String],
    map: &Option<ComponentMap>,
    default: &[f64],
) -> Result<Vec<f64>, InputError> {
    match map {
        None => Ok(default.to_vec()),
        Some(m) => {
            let v = component_values(key, comps, m, false)?;
            Ok(comps
                .iter()
                .zip(v)
                .zip(default)
                .map(|((c, x), d)| if m.contains_key(c) { x } else { *d })
                .collect())
        }
    }
}
