//! Flowsheets: cascades linked by their streams (model-format.md, section 5).
//!
//! A flowsheet file has `[[unit]]` tables (each a cascade of any chemistry
//! model), `[[stream]]` external feeds and `[[split]]` stream dividers. A
//! unit takes its feed from a stream or from another unit's outlet
//! (`"<unit>.<outlet>"`; an organic outlet enters stage n+1 of the next unit:
//! linked extraction); volumetric units also take `organic_in`, `scrub_in`
//! and `strip_in`, which close recycles. Every outlet no inlet consumes is a
//! product.
//!
//! [`solve::solve`] converges the whole flowsheet sequentially: units in
//! the order of their feeds, each solved by the single-cascade [`Solver`],
//! and the recycles (streams that enter a unit upstream of the one that
//! makes them) torn automatically and converged by a fixed point,
//! accelerated by Anderson mixing ([`accel`]), to a relative change of
//! `1e-12` on every torn stream.
//!
//! [`Solver`]: crate::solver::Solver

pub mod accel;
pub mod load;
pub mod report;
pub mod solve;

use crate::cascade::{Phase, StreamKind};
use crate::model::CascadeSpec;

/// An external feed (`[[stream]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalStream {
    /// Name other tables refer to.
    pub name: String,
    /// Its value.
    pub value: StreamValue,
}

/// What a stream carries.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamValue {
    /// Phase.
    pub phase: Phase,
    /// Flow of each component, mol per unit time.
    pub amount: Vec<f64>,
    /// Volumetric flow, L/h (volumetric streams).
    pub flow: Option<f64>,
    /// Acid protons, mol/L (aqueous streams into rigorous units).
    pub acid: Option<f64>,
    /// Total sulfate, mol/L.
    pub sulfate: Option<f64>,
}

impl StreamValue {
    /// Concentration of each component (mol/L), where the flow is known.
    pub fn concentration(&self) -> Option<Vec<f64>> {
        let f = self.flow?;
        Some(
            self.amount
                .iter()
                .map(|a| if f > 0.0 { a / f } else { 0.0 })
                .collect(),
        )
    }

    /// Total flow of all components.
    pub fn total(&self) -> f64 {
        self.amount.iter().sum()
    }

    /// The stream scaled by `f` (a share of a split).
    pub fn scaled(&self, f: f64) -> StreamValue {
        StreamValue {
            phase: self.phase,
            amount: self.amount.iter().map(|a| a * f).collect(),
            flow: self.flow.map(|v| v * f),
            acid: self.acid,
            sulfate: self.sulfate,
        }
    }
}

/// Which inlet of a unit a stream enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// The feed (aqueous into stage n, organic into stage n+1).
    Feed,
    /// The organic entering stage 1 (`organic_in`).
    Organic,
    /// The scrub solution (`scrub_in`).
    Scrub,
    /// The strip solution (`strip_in`).
    Strip,
}

impl Port {
    /// Key of the port in a `[[unit]]` table.
    pub fn key(self) -> &'static str {
        match self {
            Port::Feed => "feed",
            Port::Organic => "organic_in",
            Port::Scrub => "scrub_in",
            Port::Strip => "strip_in",
        }
    }

    /// Name of the inlet in reports.
    pub fn name(self) -> &'static str {
        match self {
            Port::Feed => "feed",
            Port::Organic => "organic",
            Port::Scrub => "scrub",
            Port::Strip => "strip",
        }
    }

    /// The cascade inlet a non-feed port fills.
    pub fn inlet(self) -> Option<crate::model::Inlet> {
        match self {
            Port::Feed => None,
            Port::Organic => Some(crate::model::Inlet::Organic),
            Port::Scrub => Some(crate::model::Inlet::Scrub),
            Port::Strip => Some(crate::model::Inlet::Strip),
        }
    }
}

/// A cascade of the flowsheet (`[[unit]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// Name (outlets are `"<name>.<outlet>"`).
    pub name: String,
    /// The cascade without its feed (and, where streams give them, without
    /// its inlet compositions); completed from the solved inlets.
    pub spec: CascadeSpec,
    /// Streams entering the unit, by port.
    pub inputs: Vec<(Port, String)>,
    /// S relative to the solved feed total (separation-factor units).
    pub extraction_ratio: Option<f64>,
    /// W relative to the solved feed total (separation-factor units).
    pub scrub_ratio: Option<f64>,
}

impl Unit {
    /// Whether the unit's chemistry is volumetric.
    pub fn is_volumetric(&self) -> bool {
        self.spec.chemistry.model().schema().basis == crate::chemistry::schema::Basis::Volumes
    }

    /// Every outlet of the unit with its phase: the layout's (raffinate
    /// first), then the side draws (`[[unit.draw]]`) in file order.
    pub fn outlet_streams(&self) -> Vec<(String, Phase)> {
        let mut out: Vec<(String, Phase)> = self
            .outlets()
            .into_iter()
            .map(|k| {
                let phase = match k {
                    StreamKind::Raffinate | StreamKind::StripLiquor => Phase::Aqueous,
                    _ => Phase::Organic,
                };
                (k.name().to_string(), phase)
            })
            .collect();
        out.extend(self.spec.draws.iter().map(|d| (d.name.clone(), d.phase)));
        out
    }

    /// Names of the outlets the unit's layout has, raffinate first.
    pub fn outlets(&self) -> Vec<StreamKind> {
        if self.spec.strip > 0 {
            vec![
                StreamKind::Raffinate,
                StreamKind::StripLiquor,
                StreamKind::StrippedOrganic,
            ]
        } else {
            vec![StreamKind::Raffinate, StreamKind::LoadedOrganic]
        }
    }
}

/// A stream divider (`[[split]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Name (outlets are `"<name>.<key>"`).
    pub name: String,
    /// The stream divided.
    pub from: String,
    /// Share of each outlet (summing to 1).
    pub fractions: Vec<(String, f64)>,
}

/// A checked flowsheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Flowsheet {
    /// Name.
    pub name: String,
    /// Components, in output order.
    pub components: Vec<String>,
    /// External feeds.
    pub streams: Vec<ExternalStream>,
    /// Cascades.
    pub units: Vec<Unit>,
    /// Stream dividers.
    pub splits: Vec<Split>,
    /// Relative change on every torn stream at which the recycle iteration
    /// stops (`[solver] tolerance` of the file, default 1e-12).
    pub tolerance: f64,
    /// Outer iterations allowed.
    pub max_iterations: usize,
    /// How the recycle iteration is accelerated (`[solver] accelerator`).
    pub accelerator: accel::Accelerator,
    /// Molar masses (g/mol) per component, where known.
    pub molar_mass: Vec<Option<f64>>,
}

/// Whether TOML text is a flowsheet (has `[[unit]]` tables).
pub fn is_flowsheet(src: &str) -> bool {
    src.parse::<toml::Table>()
        .map(|t| t.contains_key("unit"))
        .unwrap_or(false)
}

/// Who makes a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Producer {
    External(usize),
    /// A unit's outlet (or side draw), of this phase.
    Unit(usize, Phase),
    Split(usize),
}

/// Where a stream name comes from, its phase, and whether its flow (L/h)
/// is known.
pub(crate) fn producer(fs: &Flowsheet, name: &str) -> Option<Producer> {
    if let Some(i) = fs.streams.iter().position(|s| s.name == name) {
        return Some(Producer::External(i));
    }
    let (node, outlet) = name.split_once('.')?;
    if let Some(i) = fs.units.iter().position(|u| u.name == node) {
        return fs.units[i]
            .outlet_streams()
            .into_iter()
            .find(|o| o.0 == outlet)
            .map(|o| Producer::Unit(i, o.1));
    }
    let i = fs.splits.iter().position(|s| s.name == node)?;
    fs.splits[i]
        .fractions
        .iter()
        .any(|f| f.0 == outlet)
        .then_some(Producer::Split(i))
}

/// Nodes of the stream graph: units `0..nu`, then splits.
pub(crate) fn node_of(fs: &Flowsheet, p: Producer) -> Option<usize> {
    match p {
        Producer::External(_) => None,
        Producer::Unit(i, _) => Some(i),
        Producer::Split(i) => Some(fs.units.len() + i),
    }
}
