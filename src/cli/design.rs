//! Command-line front ends: `sxforge design`, `sxforge optimize FILE` and
//! `sxforge sweep FILE`. Each returns the process exit status: 0 success,
//! 1 bad input (the message names file, line, key and value), 2 infeasible
//! targets or a solve that did not converge.

use std::io::{IsTerminal, Write};

use super::{check_writable, fail, out, report, Exit};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;

use sxforge::design::optimize::{optimize, OptimizeProblem};
use sxforge::design::report::{
    design_json, design_text, most_converged, optimum_json, optimum_text,
};
use sxforge::design::sweep::{shard_range, sweep_of_model, write_csv};
use sxforge::design::verified::{
    parse_phase, parse_split, shortcut_design, DesignError, DesignInput, RawDesign,
};
use sxforge::error::{Error, InputError, Location};
use sxforge::input::{locate_error as locate, locate_indexed, missing_table, toml_error};
use sxforge::model::load::parse_str_with_extras;
use sxforge::model::schema::{ComponentMap, RawCascade};
use sxforge::model::Cascade;

/// Arguments of `sxforge design`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DesignArgs {
    /// Optional design file (TOML: name, components, beta, feed, feed_phase,
    /// split, max_stages, `[targets]`); flags override it.
    pub file: Option<PathBuf>,
    /// Component names, comma-separated (e.g. `Pr,Nd`).
    #[arg(long, value_delimiter = ',')]
    pub components: Vec<String>,
    /// beta per component, comma-separated, in component order.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub beta: Vec<f64>,
    /// Feed RE amount per component, comma-separated.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub feed: Vec<f64>,
    /// Split between adjacent components, `light/heavy` (e.g. `Pr/Nd`).
    #[arg(long)]
    pub split: Option<String>,
    /// `aqueous` (default) or `organic`.
    #[arg(long)]
    pub feed_phase: Option<String>,
    /// Purity of the heavy group in the loaded organic.
    #[arg(long, allow_negative_numbers = true)]
    pub organic_purity: Option<f64>,
    /// Purity of the light group in the raffinate.
    #[arg(long, allow_negative_numbers = true)]
    pub raffinate_purity: Option<f64>,
    /// Recovery of the heavy group into the loaded organic.
    #[arg(long, allow_negative_numbers = true)]
    pub organic_recovery: Option<f64>,
    /// Recovery of the light group into the raffinate.
    #[arg(long, allow_negative_numbers = true)]
    pub raffinate_recovery: Option<f64>,
    /// Most stages per section the verification may use.
    #[arg(long)]
    pub max_stages: Option<usize>,
    /// Name of the written model.
    #[arg(long)]
    pub name: Option<String>,
    /// Write the verified design as a model file.
    #[arg(long, value_name = "MODEL.toml")]
    pub write: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `sxforge optimize`.
#[derive(Debug, Clone, clap::Args)]
pub struct OptimizeArgs {
    /// Model file with an `[optimize]` table.
    pub file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Threads for candidate evaluations (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Arguments of `sxforge sweep`.
#[derive(Debug, Clone, clap::Args)]
pub struct SweepArgs {
    /// Model file with a `[sweep]` table.
    pub file: PathBuf,
    /// Run shard `i` of `n` (1-based): shard outputs concatenate, in order,
    /// to the bytes of the whole run (the header comes with shard 1 only).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write the CSV here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Omit the header line (for shards other than the first it is omitted anyway).
    #[arg(long)]
    pub no_header: bool,
    /// Draw `--y` against `--x` for the converged cases into an SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Column on the plot's x axis (default: the first parameter).
    #[arg(long)]
    pub x: Option<String>,
    /// Column on the plot's y axis (default: the first output column).
    #[arg(long)]
    pub y: Option<String>,
}

fn input_fail(e: &InputError) -> Exit {
    if e.location == Location::default() {
        // no file: the key (a command-line flag) leads
        let v = e
            .value
            .as_ref()
            .map(|v| format!(" = {v}"))
            .unwrap_or_default();
        match e.key.is_empty() {
            true => fail(&e.message),
            false => fail(&format!("{}{v}: {}", e.key, e.message)),
        }
    } else {
        fail(e)
    }
}

fn read(path: &Path) -> Result<String, Error> {
    sxforge::input::read_source(path)
}

fn load_model(path: &Path) -> Result<(Cascade, RawCascade, String), Exit> {
    let src = read(path).map_err(|e| fail(&e))?;
    parse_str_with_extras(&src, Some(path.to_path_buf()))
        .map(|(c, r)| (c, r, src))
        .map_err(|e| fail(&e))
}

fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool, String> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 || t > sxforge::input::MAX_THREADS {
            return Err(format!(
                "--threads = {t}: expected 1 to {} threads",
                sxforge::input::MAX_THREADS
            ));
        }
        b = b.num_threads(t);
    }
    b.build().map_err(|e| e.to_string())
}

// ---------------------------------------------------------------- design

/// The design input of `sxforge design`: the design file (if any) with the
/// flags applied over it. Errors are located in the file.
pub fn design_input(args: &DesignArgs) -> Result<DesignInput, InputError> {
    let (mut raw, src) = match &args.file {
        Some(p) => {
            let src = read(p).map_err(|e| InputError::new("", None, e.to_string()))?;
            let raw: RawDesign =
                toml::from_str(&src).map_err(|e| toml_error(&e, &src, Some(p.clone())))?;
            (raw, Some((src, p.clone())))
        }
        None => (RawDesign::default(), None),
    };
    if !args.components.is_empty() {
        raw.components = Some(args.components.clone());
    }
    let comps = raw.components.clone().unwrap_or_default();
    let map = |key: &str, v: &[f64]| -> Result<ComponentMap, InputError> {
        if v.len() != comps.len() {
            return Err(InputError::new(
                key,
                Some(
                    v.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                format!(
                    "expected one value per component ({}: {})",
                    comps.len(),
                    comps.join(", ")
                ),
            ));
        }
        Ok(comps.iter().cloned().zip(v.iter().cloned()).collect())
    };
    if !args.beta.is_empty() {
        raw.beta = Some(map("--beta", &args.beta)?);
    }
    if !args.feed.is_empty() {
        raw.feed = Some(map("--feed", &args.feed)?);
    }
    if raw.components.is_none() {
        return Err(InputError::new(
            "--components",
            None,
            "missing: component names (e.g. --components Pr,Nd), or a design file",
        ));
    }
    if raw.beta.is_none() {
        return Err(InputError::new(
            "--beta",
            None,
            "missing: beta per component (e.g. --beta 1,1.5)",
        ));
    }
    if raw.feed.is_none() {
        return Err(InputError::new(
            "--feed",
            None,
            "missing: feed amount per component (e.g. --feed 0.25,0.75)",
        ));
    }
    let locate_src = |e: InputError| match &src {
        Some((s, p)) => locate(e, s, Some(p.clone())),
        None => e,
    };
    let mut input = DesignInput::from_raw(raw).map_err(locate_src)?;
    if let Some(s) = &args.split {
        let parts: Vec<String> = s.split('/').map(|x| x.trim().to_string()).collect();
        input.split = Some(parse_split(&parts, &input.components).map_err(|mut e| {
            e.key = "--split".into();
            e
        })?);
    }
    if let Some(p) = &args.feed_phase {
        input.feed_phase = parse_phase(Some(p)).map_err(|mut e| {
            e.key = "--feed-phase".into();
            e
        })?;
    }
    for (dst, src) in [
        (&mut input.organic_purity, args.organic_purity),
        (&mut input.raffinate_purity, args.raffinate_purity),
        (&mut input.organic_recovery, args.organic_recovery),
        (&mut input.raffinate_recovery, args.raffinate_recovery),
    ] {
        if src.is_some() {
            *dst = src;
        }
    }
    if args.max_stages.is_some() {
        input.max_stages = args.max_stages;
    }
    if let Some(n) = &args.name {
        input.name = n.clone();
    }
    Ok(input)
}

/// Runs `sxforge design`.
pub fn run_design(args: &DesignArgs) -> Exit {
    let input = match design_input(args) {
        Ok(i) => i,
        Err(e) => return input_fail(&e),
    };
    if let Some(p) = &args.write {
        if let Err(e) = check_writable(p) {
            return fail(&e);
        }
    }
    let d = match shortcut_design(&input) {
        Ok(d) => d,
        Err(DesignError::Input(e)) => {
            let e = match &args.file {
                Some(p) => match read(p) {
                    Ok(src) => locate(e, &src, Some(p.clone())),
                    Err(_) => e,
                },
                None => e,
            };
            return input_fail(&e);
        }
        Err(DesignError::Infeasible(m)) => {
            return report(Exit::NotSolved, &format!("infeasible: {m}"));
        }
        Err(e) => return fail(&e),
    };
    if args.json {
        out(&(serde_json::to_string_pretty(&design_json(&d)).expect("json") + "\n"));
    } else {
        out(&design_text(&d));
    }
    if d.verified.is_none() && !most_converged(&d) {
        return report(
            Exit::NotSolved,
            &format!(
                "not verified: the solve at {} + {} stages did not converge; try a smaller --max-stages",
                d.most.stages[0], d.most.stages[1]
            ),
        );
    }
    if d.verified.is_none() {
        let nearest: Vec<String> = d
            .targets
            .iter()
            .zip(&d.most.values)
            .map(|(t, v)| format!("{} = {v:.8} (target {})", t.describe(), t.min))
            .collect();
        return report(
            Exit::NotSolved,
            &format!(
                "infeasible: the targets are not met within {} + {} stages at Xu's flows; nearest achievable: {}",
                d.most.stages[0],
                d.most.stages[1],
                nearest.join(", ")
            ),
        );
    }
    if let Some(path) = &args.write {
        let text = d.to_toml().expect("verified");
        if let Err(e) = std::fs::write(path, text) {
            return fail(&format!("{}: {e}", path.display()));
        }
    }
    Exit::Ok
}

// ---------------------------------------------------------------- optimize

/// Runs `sxforge optimize`.
pub fn run_optimize(args: &OptimizeArgs) -> Exit {
    let (cascade, raw, src) = match load_model(&args.file) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let file = Some(args.file.clone());
    let Some(ro) = raw.optimize.as_ref() else {
        return fail(&missing_table(
            file,
            "optimize",
            "missing: an [optimize] table (variables, constraints, objective)",
        ));
    };
    let mut p = match OptimizeProblem::new(&cascade, ro) {
        Ok(p) => p,
        Err(e) => return fail(&locate_indexed(e, &src, file)),
    };
    if let (Some(_), Some(rc)) = (p.cost.as_ref(), raw.cost.as_ref()) {
        match sxforge::cost::CostParams::from_raw(rc) {
            Ok(c) => p.cost = Some(c),
            Err(e) => return fail(&locate(e, &src, file)),
        }
    }
    let pool = match pool(args.threads) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let o = pool.install(|| optimize(&p));
    if args.json {
        out(&(serde_json::to_string_pretty(&optimum_json(&p, &o)).expect("json") + "\n"));
    } else {
        out(&optimum_text(&p, &o));
    }
    if !o.feasible {
        return report(Exit::NotSolved, &"infeasible: no stage counts and flows within the bounds meet every constraint; the nearest achievable values are listed");
    }
    Exit::Ok
}

// ---------------------------------------------------------------- sweep

/// Parses `i/n` (1 <= i <= n).
pub fn parse_shard(s: &str) -> Result<(usize, usize), InputError> {
    let bad = || {
        InputError::new(
            "--shard",
            Some(s.to_string()),
            "expected I/N with 1 <= I <= N, e.g. 2/8",
        )
    };
    let (a, b) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Runs `sxforge sweep`.
pub fn run_sweep(args: &SweepArgs) -> Exit {
    let (cascade, raw, src) = match load_model(&args.file) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (i, n) = match args.shard.as_deref().map(parse_shard).transpose() {
        Ok(s) => s.unwrap_or((1, 1)),
        Err(e) => return input_fail(&e),
    };
    // a shard generates its own cases only
    let sweep = match sweep_of_model(&cascade, &raw, &src, Some(args.file.clone()), (i, n)) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let mut columns: Vec<String> = sweep.names.clone();
    let outputs = sweep.output_names();
    columns.extend(outputs.iter().cloned());
    let (xcol, ycol) = (
        args.x.clone().unwrap_or_else(|| sweep.names[0].clone()),
        args.y.clone().unwrap_or_else(|| outputs[0].clone()),
    );
    if args.plot.is_some() {
        for (flag, c) in [("--x", &xcol), ("--y", &ycol)] {
            if !columns.contains(c) {
                let e = InputError::new(
                    flag,
                    Some(c.clone()),
                    format!(
                        "not a column of this sweep (columns: {})",
                        columns.join(", ")
                    ),
                );
                return input_fail(&e);
            }
        }
    }
    let pool = match pool(args.threads) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    for p in [&args.output, &args.plot].into_iter().flatten() {
        if let Err(e) = check_writable(p) {
            return fail(&e);
        }
    }
    let range = shard_range(sweep.cases.len(), i, n);
    let header = i == 1 && !args.no_header;
    let bar = if std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new(range.len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} cases, {per_sec}, eta {eta}",
            )
            .expect("template"),
        );
        Some(pb)
    } else {
        None
    };
    let done = AtomicUsize::new(0);
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let mut buf: Vec<u8> = Vec::new();
    let results = match pool.install(|| write_csv(&sweep, range, header, &mut buf, &done, &tick)) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let written = match &args.output {
        Some(p) => std::fs::write(p, &buf).map_err(|e| format!("{}: {e}", p.display())),
        None => match std::io::stdout().write_all(&buf) {
            // a closed pipe (`| head`) ends the output quietly
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
            _ => Ok(()),
        },
    };
    if let Err(e) = written {
        return fail(&e);
    }
    if let Some(path) = &args.plot {
        let col = |name: &str, case: usize, outs: &[f64]| -> f64 {
            if let Some(k) = sweep.names.iter().position(|c| c == name) {
                sweep.cases[case][k]
            } else {
                let k = outputs.iter().position(|c| c == name).expect("checked");
                outs.get(k).copied().unwrap_or(f64::NAN)
            }
        };
        let pts: Vec<(f64, f64)> = results
            .iter()
            .filter(|r| r.status == "converged")
            .map(|r| {
                (
                    col(&xcol, r.case, &r.outputs),
                    col(&ycol, r.case, &r.outputs),
                )
            })
            .collect();
        if let Err(e) =
            sxforge::report::plot::scatter_svg(&pts, &xcol, &ycol, &cascade.spec().name, path)
        {
            return fail(&e);
        }
    }
    let failed = results.iter().filter(|r| r.status != "converged").count();
    if failed > 0 {
        eprintln!(
            "warning: {failed} of {} cases did not converge or were invalid (see the status column)",
            results.len()
        );
        if failed == results.len() {
            return report(
                Exit::NotSolved,
                &format!("none of the {failed} cases converged"),
            );
        }
    }
    Exit::Ok
}
