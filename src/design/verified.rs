//! `sxforge design`: Xu's shortcut, verified by rigorous simulation.
//!
//! A binary split (two components, or two groups of a multi-component feed
//! split between adjacent components by beta) is designed by
//! [`shortcut::xu_shortcut`](super::shortcut::xu_shortcut); the cascade with
//! Xu's optimum S and W is then simulated and its stage counts moved to the
//! fewest (extraction + scrub) that meet every target. Targets the stage
//! bound cannot reach are reported as infeasible with the nearest achievable
//! values, never as a timeout.

use std::fmt::Write as _;

use serde::Deserialize;

use super::shortcut::{resolve_targets, xu_shortcut, Shortcut};
use super::{min_stages, Measure, Probe, Prober, StageVar, Target};
use crate::cascade::{Phase, Section, StreamKind};
use crate::error::InputError;
use crate::model::schema::ComponentMap;
use crate::model::{Cascade, CascadeSpec};

/// A design problem: a binary split and its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignInput {
    /// Name of the written model.
    pub name: String,
    /// Component names.
    pub components: Vec<String>,
    /// Relative extractability of each component.
    pub beta: Vec<f64>,
    /// Feed RE flow of each component (mol per unit time).
    pub feed: Vec<f64>,
    /// Split between `(light, heavy)` adjacent components (indices); optional
    /// for two components.
    pub split: Option<(usize, usize)>,
    /// Feed phase.
    pub feed_phase: Phase,
    /// Purity of the heavy (more extractable) group in the loaded organic.
    pub organic_purity: Option<f64>,
    /// Purity of the light group in the raffinate.
    pub raffinate_purity: Option<f64>,
    /// Recovery of the heavy group into the loaded organic.
    pub organic_recovery: Option<f64>,
    /// Recovery of the light group into the raffinate.
    pub raffinate_recovery: Option<f64>,
    /// Most stages per section the verification may use (default: twice
    /// Xu's estimate plus 10).
    pub max_stages: Option<usize>,
}

/// `sxforge design` input file (all keys optional; command-line flags
/// override them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDesign {
    /// Model name.
    pub name: Option<String>,
    /// Component names.
    pub components: Option<Vec<String>>,
    /// beta per component.
    pub beta: Option<ComponentMap>,
    /// Feed amount per component.
    pub feed: Option<ComponentMap>,
    /// `aqueous` or `organic`.
    pub feed_phase: Option<String>,
    /// `[light, heavy]` component names.
    pub split: Option<Vec<String>>,
    /// Most stages per section.
    pub max_stages: Option<usize>,
    /// `[targets]`.
    pub targets: Option<RawTargets>,
}

/// `[targets]` of a design file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargets {
    /// Purity of the heavy group in the loaded organic.
    pub organic_purity: Option<f64>,
    /// Purity of the light group in the raffinate.
    pub raffinate_purity: Option<f64>,
    /// Recovery of the heavy group into the loaded organic.
    pub organic_recovery: Option<f64>,
    /// Recovery of the light group into the raffinate.
    pub raffinate_recovery: Option<f64>,
}

/// A finished design: shortcut and verified cascade side by side.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Design {
    /// The input.
    pub input: DesignInput,
    /// Indices of the light group (raffinate product).
    pub light: Vec<usize>,
    /// Indices of the heavy group (organic product).
    pub heavy: Vec<usize>,
    /// Separation factor at the split.
    pub beta: f64,
    /// Feed's total RE flow.
    pub feed_total: f64,
    /// Xu's shortcut (per unit feed).
    pub shortcut: Shortcut,
    /// Targets checked by simulation.
    pub targets: Vec<Target>,
    /// The shortcut's rounded stage counts, simulated.
    pub shortcut_probe: Probe,
    /// The verified design (fewest stages meeting every target), if any.
    pub verified: Option<Probe>,
    /// The verified cascade.
    pub cascade: Option<Cascade>,
    /// The most stages allowed, simulated: the nearest achievable values
    /// when no design is feasible.
    pub most: Probe,
    /// Solves spent.
    pub solves: usize,
}

/// Why there is no design.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DesignError {
    /// Bad input (exit status 1).
    #[error(transparent)]
    Input(#[from] InputError),
    /// Targets that contradict each other or the feed (exit status 2).
    #[error("infeasible: {0}")]
    Infeasible(String),
}

fn frac(key: &str, v: f64) -> Result<f64, InputError> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(InputError::new(
            key,
            Some(format!("{v}")),
            "expected a fraction in (0, 1]",
        ))
    }
}

impl DesignInput {
    /// Reads a design file's tables (`file` only for messages).
    pub fn from_raw(raw: RawDesign) -> Result<Self, InputError> {
        let components = raw.components.unwrap_or_default();
        let values = |key: &str, m: &Option<ComponentMap>| -> Result<Vec<f64>, InputError> {
            match m {
                None => Ok(Vec::new()),
                Some(m) => crate::model::load::component_values(key, &components, m, true),
            }
        };
        let beta = values("beta", &raw.beta)?;
        let feed = values("feed", &raw.feed)?;
        let feed_phase = parse_phase(raw.feed_phase.as_deref())?;
        let split = match raw.split {
            None => None,
            Some(v) => Some(parse_split(&v, &components)?),
        };
        let t = raw.targets.unwrap_or_default();
        Ok(DesignInput {
            name: raw.name.unwrap_or_else(|| "sxforge design".into()),
            components,
            beta,
            feed,
            split,
            feed_phase,
            organic_purity: t.organic_purity,
            raffinate_purity: t.raffinate_purity,
            organic_recovery: t.organic_recovery,
            raffinate_recovery: t.raffinate_recovery,
            max_stages: raw.max_stages,
        })
    }
}

/// Parses `aqueous` / `organic`.
pub fn parse_phase(v: Option<&str>) -> Result<Phase, InputError> {
    match v {
        None | Some("aqueous") => Ok(Phase::Aqueous),
        Some("organic") => Ok(Phase::Organic),
        Some(o) => Err(InputError::new(
            "feed_phase",
            Some(format!("\"{o}\"")),
            "expected \"aqueous\" or \"organic\"",
        )),
    }
}

/// Parses a split given as two component names `[light, heavy]`.
pub fn parse_split(v: &[String], components: &[String]) -> Result<(usize, usize), InputError> {
    let idx = |name: &String| {
        components.iter().position(|c| c == name).ok_or_else(|| {
            InputError::new(
                "split",
                Some(name.clone()),
                format!("not a component (components: {})", components.join(", ")),
            )
        })
    };
    if v.len() != 2 {
        return Err(InputError::new(
            "split",
            Some(v.join("/")),
            "expected two adjacent components, e.g. \"Pr/Nd\" (light/heavy)",
        ));
    }
    Ok((idx(&v[0])?, idx(&v[1])?))
}

/// Largest spread of the separation factors (largest over smallest) that
/// [`shortcut_design`] accepts.
pub const MAX_BETA_SPREAD: f64 = 1e100;

/// Runs the shortcut and its verification.
pub fn shortcut_design(input: &DesignInput) -> Result<Design, DesignError> {
    let k = input.components.len();
    if k < 2 {
        return Err(InputError::new(
            "components",
            Some(input.components.join(",")),
            "expected at least two components",
        )
        .into());
    }
    for (key, v) in [("beta", &input.beta), ("feed", &input.feed)] {
        if v.len() != k {
            return Err(InputError::new(
                key,
                Some(v.len().to_string()),
                format!("expected one value per component ({k})"),
            )
            .into());
        }
    }
    for (c, &b) in input.components.iter().zip(&input.beta) {
        if !(b.is_finite() && b > 0.0) {
            return Err(InputError::new(
                format!("beta.{c}"),
                Some(format!("{b}")),
                "expected beta > 0",
            )
            .into());
        }
    }
    // Xu's reflux and stage counts scale with powers of the spread of the
    // separation factors: beyond 1e100 they leave the range of a double
    // (a scrub amount of 0 would then be blamed on the wrong input)
    let (lo, hi) = input
        .beta
        .iter()
        .enumerate()
        .fold((0, 0), |(lo, hi), (i, &b)| {
            (
                if b < input.beta[lo] { i } else { lo },
                if b > input.beta[hi] { i } else { hi },
            )
        });
    if input.beta[hi] / input.beta[lo] > MAX_BETA_SPREAD {
        let far = if input.beta[lo] < 1.0 { lo } else { hi };
        return Err(InputError::new(
            format!("beta.{}", input.components[far]),
            Some(format!("{:e}", input.beta[far])),
            format!(
                "the separation factors span {:e} (largest over smallest); expected at most {MAX_BETA_SPREAD:e}",
                input.beta[hi] / input.beta[lo]
            ),
        )
        .into());
    }
    for (c, &f) in input.components.iter().zip(&input.feed) {
        if !(f.is_finite() && f >= 0.0) {
            return Err(InputError::new(
                format!("feed.{c}"),
                Some(format!("{f}")),
                "expected a non-negative feed amount",
            )
            .into());
        }
    }
    let feed_total: f64 = input.feed.iter().sum();
    if feed_total <= 0.0 {
        return Err(InputError::new("feed", None, "the feed carries nothing").into());
    }
    let (light_key, heavy_key) = match input.split {
        Some(s) => s,
        None if k == 2 => {
            if input.beta[0] <= input.beta[1] {
                (0, 1)
            } else {
                (1, 0)
            }
        }
        None => {
            return Err(InputError::new(
                "split",
                None,
                "missing: with more than two components name the split, e.g. --split Pr/Nd",
            )
            .into())
        }
    };
    let (bl, bh) = (input.beta[light_key], input.beta[heavy_key]);
    if bh <= bl {
        return Err(InputError::new(
            "split",
            Some(format!(
                "{}/{}",
                input.components[light_key], input.components[heavy_key]
            )),
            format!("the second component must be the more extractable (beta {bh} <= {bl})"),
        )
        .into());
    }
    if let Some(c) = (0..k).find(|&i| input.beta[i] > bl && input.beta[i] < bh) {
        return Err(InputError::new(
            "split",
            Some(format!(
                "{}/{}",
                input.components[light_key], input.components[heavy_key]
            )),
            format!(
                "not adjacent: {} (beta {}) lies between them",
                input.components[c], input.beta[c]
            ),
        )
        .into());
    }
    let light: Vec<usize> = (0..k).filter(|&i| input.beta[i] <= bl).collect();
    let heavy: Vec<usize> = (0..k).filter(|&i| input.beta[i] >= bh).collect();
    let f_a = heavy.iter().map(|&i| input.feed[i]).sum::<f64>() / feed_total;
    if f_a <= 0.0 || f_a >= 1.0 {
        return Err(InputError::new(
            "feed",
            None,
            "both sides of the split must be present in the feed",
        )
        .into());
    }
    let given = [
        ("targets.organic_purity", input.organic_purity),
        ("targets.raffinate_purity", input.raffinate_purity),
        ("targets.organic_recovery", input.organic_recovery),
        ("targets.raffinate_recovery", input.raffinate_recovery),
    ];
    for (key, v) in given {
        if let Some(v) = v {
            frac(key, v)?;
        }
    }
    if given.iter().filter(|(_, v)| v.is_some()).count() < 2 {
        return Err(InputError::new(
            "targets",
            None,
            "give two targets: purities of both products, or a purity and a recovery \
             (organic_purity, raffinate_purity, organic_recovery, raffinate_recovery)",
        )
        .into());
    }
    for (key, v) in given {
        // a recovery of 1 leaves the other product pure
        if v == Some(1.0) {
            let what = if key.ends_with("purity") {
                "purity"
            } else {
                "recovery"
            };
            return Err(DesignError::Infeasible(format!(
                "{key} = 1 needs infinitely many stages; nearest achievable: any {what} below 1"
            )));
        }
    }
    let (p_a, p_b) = resolve_targets(
        f_a,
        input.organic_purity,
        input.raffinate_purity,
        input.organic_recovery,
        input.raffinate_recovery,
    )
    .map_err(|(what, asked, nearest)| {
        DesignError::Infeasible(format!(
            "{what} {asked} contradicts the other targets and the feed \
             (heavy-group share {f_a:.6}); nearest achievable {what}: {nearest:.6}"
        ))
    })?;
    // a recovery of 1 leaves the other product pure: as a purity of 1
    // asked for, infinitely many stages (Xu's shortcut named its own
    // variable: `P_A = 1`)
    for (pure, side, recovery) in [
        (p_a, "organic", "raffinate recovery"),
        (p_b, "raffinate", "organic recovery"),
    ] {
        if pure >= 1.0 - 1e-12 {
            return Err(DesignError::Infeasible(format!(
                "these targets leave the {side} product pure ({side} purity 1), which needs \
                 infinitely many stages; nearest achievable: any {recovery} below 1"
            )));
        }
    }
    let shortcut = xu_shortcut(bh / bl, f_a, p_a, p_b, input.feed_phase)
        .map_err(|e| DesignError::Infeasible(e.to_string()))?;
    let label = |g: &[usize]| {
        g.iter()
            .map(|&i| input.components[i].as_str())
            .collect::<Vec<_>>()
            .join("+")
    };
    let (ll, hl) = (label(&light), label(&heavy));
    let mut targets = Vec::new();
    let mut push = |v: Option<f64>, stream, comps: &Vec<usize>, lab: &String, measure| {
        if let Some(min) = v {
            targets.push(Target {
                stream,
                components: comps.clone(),
                label: lab.clone(),
                measure,
                min,
            });
        }
    };
    push(
        input.organic_purity,
        StreamKind::LoadedOrganic,
        &heavy,
        &hl,
        Measure::Purity,
    );
    push(
        input.raffinate_purity,
        StreamKind::Raffinate,
        &light,
        &ll,
        Measure::Purity,
    );
    push(
        input.organic_recovery,
        StreamKind::LoadedOrganic,
        &heavy,
        &hl,
        Measure::Recovery,
    );
    push(
        input.raffinate_recovery,
        StreamKind::Raffinate,
        &light,
        &ll,
        Measure::Recovery,
    );
    let comps: Vec<&str> = input.components.iter().map(|s| s.as_str()).collect();
    let (n0, m0) = (shortcut.extraction_stages(), shortcut.scrub_stages());
    let most = crate::input::MAX_STAGES_PER_SECTION;
    if n0 > most || m0 > most {
        return Err(DesignError::Infeasible(format!(
            "beta ratio {} is too close to 1: Xu's shortcut needs {n0} + {m0} stages, \
             more than the {most} per section supported",
            bh / bl
        )));
    }
    let base = CascadeSpec::separation_factor(&input.name, &comps, &input.beta)
        .with_stages(n0, m0, 0)
        .with_feed_amounts(&input.feed)
        .with_feed_phase(input.feed_phase)
        .with_amounts(shortcut.s * feed_total, shortcut.w * feed_total);
    base.clone().build()?;
    let (hi_n, hi_m) = match input.max_stages {
        Some(0) => {
            return Err(
                InputError::new("max_stages", Some("0".into()), "expected at least 1").into(),
            )
        }
        Some(x) if x > most => {
            return Err(InputError::new(
                "max_stages",
                Some(x.to_string()),
                format!("at most {most} stages per section are supported"),
            )
            .into())
        }
        Some(x) => (x, x),
        None => ((2 * n0 + 10).min(most), (2 * m0 + 10).min(most)),
    };
    // the shortcut simulated only once the input is known good (a bound
    // over the limit was reported after that simulation, 17 s into a
    // 30-component design)
    let mut pr = Prober::new(base.clone(), &targets, None);
    let (shortcut_probe, warm) = pr.probe([n0, m0, 0]);
    let vars = [
        StageVar {
            section: Section::Extraction,
            lo: 1,
            hi: hi_n,
            price: 1.0,
        },
        StageVar {
            section: Section::Scrub,
            lo: 1,
            hi: hi_m,
            price: 1.0,
        },
    ];
    let search = min_stages(&base, &targets, &vars, warm);
    let probe_solves = pr.solves;
    drop(pr);
    let cascade = search.best.as_ref().map(|p| {
        base.clone()
            .with_stages(p.stages[0], p.stages[1], 0)
            .build()
            .expect("built during the search")
    });
    Ok(Design {
        input: input.clone(),
        light,
        heavy,
        beta: bh / bl,
        feed_total,
        shortcut,
        targets,
        shortcut_probe,
        verified: search.best,
        cascade,
        most: search.most,
        solves: search.solves + probe_solves,
    })
}

/// Writes a number so that TOML reads it back as the same float.
pub fn toml_num(v: f64) -> String {
    format!("{v:?}")
}

fn inline_map(names: &[String], vals: &[f64]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(vals)
        .map(|(n, v)| format!("{} = {}", toml_key(n), toml_num(*v)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

/// A bare TOML key if possible, else a quoted one.
pub fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

impl Design {
    /// The verified design as a runnable model file (model-format.md), with
    /// comments giving the numbers' sources; `None` if nothing was feasible.
    pub fn to_toml(&self) -> Option<String> {
        let p = self.verified.as_ref()?;
        let d = &self.shortcut;
        let i = &self.input;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# Written by `sxforge design` (sxforge {}).",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            s,
            "# Binary split {} | {} with beta = {}; Xu's shortcut (chemistry.md):",
            self.light
                .iter()
                .map(|&k| i.components[k].as_str())
                .collect::<Vec<_>>()
                .join("+"),
            self.heavy
                .iter()
                .map(|&k| i.components[k].as_str())
                .collect::<Vec<_>>()
                .join("+"),
            toml_num(self.beta)
        );
        let _ = writeln!(
            s,
            "#   P_A = {}, P_B = {}, f'_A = {:.6}, E_M = {:.6}, E'_M = {:.6}",
            toml_num(d.p_a),
            toml_num(d.p_b),
            d.product_split,
            d.e_m,
            d.e_m_scrub
        );
        let _ = writeln!(
            s,
            "#   n = {:.3}, m = {:.3} -> {} + {} stages; verified by simulation: {} + {}",
            d.extraction,
            d.scrub,
            d.extraction_stages(),
            d.scrub_stages(),
            p.stages[0],
            p.stages[1]
        );
        for (t, v) in self.targets.iter().zip(&p.values) {
            let _ = writeln!(
                s,
                "#   {} = {:.6} (target {})",
                t.describe(),
                v,
                toml_num(t.min)
            );
        }
        let _ = writeln!(s, "name = {:?}", i.name);
        let names: Vec<String> = i.components.iter().map(|c| format!("{c:?}")).collect();
        let _ = writeln!(s, "components = [{}]", names.join(", "));
        let _ = writeln!(s, "\n[chemistry]\nmodel = \"separation-factor\"");
        let _ = writeln!(s, "beta = {}", inline_map(&i.components, &i.beta));
        let _ = writeln!(s, "\n[cascade]");
        let _ = writeln!(
            s,
            "extraction = {}    # Xu: {:.3}",
            p.stages[0], d.extraction
        );
        let _ = writeln!(s, "scrub = {}         # Xu: {:.3}", p.stages[1], d.scrub);
        let _ = writeln!(s, "\n[feed]\nphase = \"{}\"", i.feed_phase.name());
        let _ = writeln!(s, "amount = {}", inline_map(&i.components, &i.feed));
        let _ = writeln!(s, "\n[flows]");
        let _ = writeln!(
            s,
            "extraction_amount = {}   # S: Xu's optimum {:.6} per unit feed x {}",
            toml_num(d.s * self.feed_total),
            d.s,
            toml_num(self.feed_total)
        );
        let _ = writeln!(
            s,
            "scrub_amount = {}        # W: Xu's optimum {:.6} per unit feed",
            toml_num(d.w * self.feed_total),
            d.w
        );
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classic() -> DesignInput {
        DesignInput {
            name: "classic".into(),
            components: vec!["Pr".into(), "Nd".into()],
            beta: vec![1.0, 1.5],
            feed: vec![0.25, 0.75],
            split: None,
            feed_phase: Phase::Aqueous,
            organic_purity: Some(0.995),
            raffinate_purity: Some(0.99),
            organic_recovery: None,
            raffinate_recovery: None,
            max_stages: None,
        }
    }

    #[test]
    fn unreachable_purity_is_infeasible_with_nearest_value() {
        let mut i = classic();
        i.organic_purity = Some(0.99999);
        i.raffinate_purity = Some(0.99999);
        i.max_stages = Some(20);
        let d = shortcut_design(&i).unwrap();
        assert!(d.verified.is_none());
        let nearest = d.most.values[0];
        assert!(nearest < 0.99999 && nearest > 0.99, "{nearest}");
    }

    #[test]
    fn group_split_of_three_components() {
        let mut i = classic();
        i.components = vec!["Ce".into(), "Pr".into(), "Nd".into()];
        i.beta = vec![0.5, 1.0, 1.5];
        i.feed = vec![0.2, 0.2, 0.6];
        i.split = Some((1, 2));
        let d = shortcut_design(&i).unwrap();
        assert_eq!((d.light.clone(), d.heavy.clone()), (vec![0, 1], vec![2]));
        assert!((d.shortcut.f_a - 0.6).abs() < 1e-12);
        assert!(d.verified.is_some());
        // a split that is not adjacent
        i.split = Some((0, 2));
        assert!(matches!(shortcut_design(&i), Err(DesignError::Input(_))));
    }
}
