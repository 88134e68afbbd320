//! Cascade topology: sections, stages, feeds and outlet streams.
//!
//! Stages are numbered in the direction the organic phase flows. Internally
//! they are 0-based (`0..n_stages`); everything a user sees is 1-based.
//!
//! ```text
//!   organic  ->  [ extraction 1..n ][ scrub n+1..n+m ][ strip n+m+1..N ]  ->
//!   aqueous  <-  raffinate <- feed(n) <- ... <- scrub(n+m) | strip liquor <- strip(N)
//! ```
//!
//! The aqueous circuit breaks between the scrub and the strip sections: the
//! strip liquor leaves stage n+m+1 and does not flow into the scrub section.

pub mod draw;

use serde::Serialize;

/// Upper bound on the number of components a cascade may carry.
pub const MAX_COMPONENTS: usize = 30;

/// One of the three sections of a cascade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// Stages 1..n: the feed's extractable components load the organic.
    Extraction,
    /// Stages n+1..n+m: scrub solution washes the less extractable ones back.
    Scrub,
    /// Stages n+m+1..N: strip solution unloads the organic.
    Strip,
}

impl Section {
    /// All sections in organic-flow order.
    pub const ALL: [Section; 3] = [Section::Extraction, Section::Scrub, Section::Strip];

    /// Lower-case name as used in model files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Section::Extraction => "extraction",
            Section::Scrub => "scrub",
            Section::Strip => "strip",
        }
    }

    /// Position in [`Section::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A liquid phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// The aqueous phase (feed liquor, scrub and strip solutions).
    Aqueous,
    /// The organic (solvent) phase.
    Organic,
}

impl Phase {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Aqueous => "aqueous",
            Phase::Organic => "organic",
        }
    }
}

/// The named outlet streams of a cascade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// Aqueous leaving stage 1.
    Raffinate,
    /// Organic leaving the last scrub stage (no strip section).
    LoadedOrganic,
    /// Aqueous leaving the first strip stage.
    StripLiquor,
    /// Organic leaving stage N (with a strip section).
    StrippedOrganic,
    /// A side draw (`[[draw]]`); its name is the draw's.
    Draw,
}

impl StreamKind {
    /// Name used in reports and the JSON contract.
    pub fn name(self) -> &'static str {
        match self {
            StreamKind::Raffinate => "raffinate",
            StreamKind::LoadedOrganic => "loaded_organic",
            StreamKind::StripLiquor => "strip_liquor",
            StreamKind::StrippedOrganic => "stripped_organic",
            StreamKind::Draw => "draw",
        }
    }

    /// Parses a stream name as written in model files.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            StreamKind::Raffinate,
            StreamKind::LoadedOrganic,
            StreamKind::StripLiquor,
            StreamKind::StrippedOrganic,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// An outlet stream: which phase leaves which stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outlet {
    /// Which stream.
    pub kind: StreamKind,
    /// Its phase.
    pub phase: Phase,
    /// 0-based stage it leaves.
    pub stage: usize,
}

/// Stage counts per section and where the feed enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Extraction stages (n >= 1).
    pub extraction: usize,
    /// Scrub stages (m >= 0).
    pub scrub: usize,
    /// Strip stages (k >= 0).
    pub strip: usize,
    /// Phase of the feed: aqueous feed enters stage n, organic feed n+1.
    pub feed_phase: Phase,
}

impl Layout {
    /// Total number of stages N.
    pub fn stages(&self) -> usize {
        self.extraction + self.scrub + self.strip
    }

    /// Section of 0-based stage `j`.
    pub fn section(&self, j: usize) -> Section {
        if j < self.extraction {
            Section::Extraction
        } else if j < self.extraction + self.scrub {
            Section::Scrub
        } else {
            Section::Strip
        }
    }

    /// 0-based stage the feed enters.
    pub fn feed_stage(&self) -> usize {
        match self.feed_phase {
            Phase::Aqueous => self.extraction - 1,
            Phase::Organic => self.extraction,
        }
    }

    /// 0-based stage the scrub solution enters (the last scrub stage).
    pub fn scrub_stage(&self) -> Option<usize> {
        (self.scrub > 0).then(|| self.extraction + self.scrub - 1)
    }

    /// 0-based stage the strip solution enters (stage N).
    pub fn strip_stage(&self) -> Option<usize> {
        (self.strip > 0).then(|| self.stages() - 1)
    }

    /// Whether 0-based stage `j` receives the aqueous leaving stage `j + 1`.
    /// False for the last stage and for the last scrub (or extraction) stage
    /// in front of a strip section.
    pub fn aqueous_link(&self, j: usize) -> bool {
        j + 1 < self.stages() && !(self.strip > 0 && j + 1 == self.extraction + self.scrub)
    }

    /// The outlet streams, raffinate first.
    pub fn outlets(&self) -> Vec<Outlet> {
        let mut v = vec![Outlet {
            kind: StreamKind::Raffinate,
            phase: Phase::Aqueous,
            stage: 0,
        }];
        if self.strip == 0 {
            v.push(Outlet {
                kind: StreamKind::LoadedOrganic,
                phase: Phase::Organic,
                stage: self.stages() - 1,
            });
        } else {
            v.push(Outlet {
                kind: StreamKind::StripLiquor,
                phase: Phase::Aqueous,
                stage: self.extraction + self.scrub,
            });
            v.push(Outlet {
                kind: StreamKind::StrippedOrganic,
                phase: Phase::Organic,
                stage: self.stages() - 1,
            });
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_break_at_strip() {
        let l = Layout {
            extraction: 2,
            scrub: 2,
            strip: 2,
            feed_phase: Phase::Aqueous,
        };
        let links: Vec<bool> = (0..6).map(|j| l.aqueous_link(j)).collect();
        assert_eq!(links, [true, true, true, false, true, false]);
        assert_eq!(l.feed_stage(), 1);
        assert_eq!(l.scrub_stage(), Some(3));
        assert_eq!(l.strip_stage(), Some(5));
        assert_eq!(l.section(4), Section::Strip);
        let o = l.outlets();
        assert_eq!(o[1].stage, 4);
        assert_eq!(o[2].kind, StreamKind::StrippedOrganic);
    }
}
