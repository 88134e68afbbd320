//! Parameters of the `constant-d` model (kernel
//! [`crate::chemistry::constant_d`]): how a file gives them, their checks,
//! their sweepable `d`.

use super::registry::{ChemistryModel, Parsed, Registered};
use super::rigorous::ConcentrationUnit;
use super::schema::component_values;
use super::schema::RawCascade;
use super::validate::{non_negative, per_component};
use super::ChemistrySpec;
use crate::cascade::{Layout, Section};
use crate::chemistry::schema::ModelSchema;
use crate::error::{InputError, Problems};

/// Parameters of the `constant-d` model: `y = D x` with optional
/// per-section overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstantDSpec {
    /// D of each component (organic over aqueous).
    pub d: Vec<f64>,
    /// Per-section overrides (`[extraction, scrub, strip]`).
    pub section_d: [Option<Vec<f64>>; 3],
}

/// The model's registry entry.
pub(crate) const MODEL: Registered = Registered {
    schema: &crate::chemistry::constant_d::SCHEMA,
    parse,
    sweep: Some("d"),
};

fn parse(raw: &RawCascade, comps: &[String], p: &mut Problems) -> Option<Parsed> {
    let spec = p.ok(parse_first(raw, comps))?;
    Some(Parsed {
        chemistry: ChemistrySpec::ConstantD(spec),
        units: ConcentrationUnit::MolPerL,
        molar_mass: Vec::new(),
    })
}

/// The parameters, or the first problem.
fn parse_first(raw: &RawCascade, comps: &[String]) -> Result<ConstantDSpec, InputError> {
    let c = &raw.chemistry;
    let d =
        c.d.as_ref()
            .ok_or_else(|| InputError::new("chemistry.d", None, "missing: D per component"))?;
    let d = component_values("chemistry.d", comps, d, true)?;
    let mut section_d = [None, None, None];
    for (sec, raw_sec) in Section::ALL.iter().zip([&c.extraction, &c.scrub, &c.strip]) {
        if let Some(sd) = raw_sec.as_ref().and_then(|s| s.d.as_ref()) {
            let key = format!("chemistry.{}.d", sec.name());
            section_d[sec.index()] = Some(component_values(&key, comps, sd, true)?);
        }
    }
    Ok(ConstantDSpec { d, section_d })
}

impl ConstantDSpec {
    /// Distribution ratio of each component in each stage of `layout`,
    /// row-major `N x K`.
    pub(crate) fn stage_d(&self, layout: &Layout) -> Vec<f64> {
        let n = layout.stages();
        let mut out = Vec::with_capacity(n * self.d.len());
        for j in 0..n {
            let sec = layout.section(j);
            out.extend_from_slice(self.section_d[sec.index()].as_deref().unwrap_or(&self.d));
        }
        out
    }
}

impl ChemistryModel for ConstantDSpec {
    fn schema(&self) -> &'static ModelSchema {
        MODEL.schema
    }

    fn check(&self, comps: &[String], _layout: &Layout, _feed: &[f64], p: &mut Problems) {
        let check_d = |key: &str, v: f64| non_negative(key, v, "distribution ratio D");
        per_component(p, "chemistry.d", comps, &self.d, check_d);
        for (sec, sd) in Section::ALL.iter().zip(&self.section_d) {
            if let Some(sd) = sd {
                let key = format!("chemistry.{}.d", sec.name());
                per_component(p, &key, comps, sd, check_d);
            }
        }
    }

    fn set_param(&mut self, i: usize, v: f64) {
        self.d[i] = v;
    }
}
