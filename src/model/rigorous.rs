//! Parameters of the rigorous (volumetric, acidity-aware) chemistry models,
//! `mass-action` and `log-linear`, and their checks.
//!
//! Both models use the volumetric form of the model file (Example B of
//! model-format.md) plus the acidity of every aqueous stream: `feed.acid`,
//! `[scrub] acid` (and any rare earths the scrub solution carries, for
//! reflux), `[strip] acid`. See `docs/chemistry.md` for the keys.

use crate::cascade::{Layout, Phase};
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

/// Units of metal concentrations in a model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConcentrationUnit {
    /// mol/L (default).
    #[default]
    MolPerL,
    /// mg/L of the element (needs a molar mass per component).
    MgPerL,
}

/// Acidity and composition of the aqueous streams (feed, scrub, strip).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AqueousStreams {
    /// Feed acidity: total acid protons, mol/L (`feed.acid`).
    pub feed_acid: f64,
    /// Feed total sulfate, mol/L (`feed.sulfate`, log-linear with bisulfate).
    pub feed_sulfate: f64,
    /// Scrub acid, mol/L (`scrub.acid`).
    pub scrub_acid: Option<f64>,
    /// Metals carried by the scrub solution (reflux), mol/L per component.
    pub scrub_concentration: Option<Vec<f64>>,
    /// Scrub total sulfate, mol/L.
    pub scrub_sulfate: f64,
    /// Strip acid, mol/L (`strip.acid`).
    pub strip_acid: Option<f64>,
    /// Strip total sulfate, mol/L.
    pub strip_sulfate: f64,
    /// Molar mass of each component (g/mol), where known (`molar_mass`, or
    /// the built-in table for element symbols).
    pub molar_mass: Vec<Option<f64>>,
    /// Units the file gave metal concentrations in (outputs may use them).
    pub units: ConcentrationUnit,
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
    pub(crate) fn check(
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
    /// Checks the parameters; every problem is reported.
    pub(crate) fn check(&self, comps: &[String], layout: &Layout) -> Result<(), InputErrors> {
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
