//! The acidity and composition of a rigorous model's aqueous inlets
//! ([`AqueousStreams`], re-exported from [`super::rigorous`]); a file of
//! its own so that the model registry can name it without importing the
//! rigorous models' spec file.

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
