//! SVG pictures of a solved horizon plan (`sxforge plan --plot`): the
//! build-out (refining capacity available per year), and per future the
//! supply of each element by origin and the stock levels by year.
//!
//! Each SVG also carries its plotted numbers in a `<desc>` element, one
//! line per series (`name: v1 v2 ...`, t or t/yr per year), so that a
//! reader (or a test) can get the values back without measuring pixels.

use super::error::PlanError;
use super::horizon::{Horizon, HorizonSolution};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// One line of a chart: its name and one value per year.
struct Series {
    name: String,
    values: Vec<f64>,
}

/// One panel: a title, the y-axis label and its lines.
struct Panel {
    title: String,
    y_label: String,
    series: Vec<Series>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A file-name-safe form of a future's name.
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Where picture `what` goes: `DIR/what.svg`, or `X-what.svg` beside
/// `X.svg`.
fn target(base: &Path, what: &str) -> PathBuf {
    if base.extension().is_some_and(|e| e == "svg") {
        let stem = base
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        base.with_file_name(format!("{stem}-{what}.svg"))
    } else {
        base.join(format!("{what}.svg"))
    }
}

/// Draws `panels` (two per row) into an SVG string.
fn render(title: &str, years: &[i64], panels: &[Panel]) -> Result<String, String> {
    let cols = if panels.len() > 1 { 2 } else { 1 };
    let rows = panels.len().div_ceil(cols).max(1);
    let size = (560 * cols as u32, 40 + 360 * rows as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root
            .titled(title, ("sans-serif", 22))
            .map_err(|e| e.to_string())?;
        let areas = root.split_evenly((rows, cols));
        let x0 = *years.first().unwrap_or(&0) as f64 - 0.5;
        let x1 = *years.last().unwrap_or(&0) as f64 + 0.5;
        for (panel, area) in panels.iter().zip(areas.iter()) {
            let top = panel
                .series
                .iter()
                .flat_map(|s| s.values.iter().copied())
                .filter(|v| v.is_finite())
                .fold(0.0_f64, f64::max);
            let top = if top > 0.0 { top * 1.08 } else { 1.0 };
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, ("sans-serif", 17))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, 0.0..top)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("year")
                .y_desc(panel.y_label.as_str())
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .draw()
                .map_err(|e| e.to_string())?;
            for (i, s) in panel.series.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                let pts: Vec<(f64, f64)> = years
                    .iter()
                    .zip(&s.values)
                    .map(|(&y, &v)| (y as f64, v))
                    .collect();
                chart
                    .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(s.name.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
                chart
                    .draw_series(pts.iter().map(|p| Circle::new(*p, 2, color.filled())))
                    .map_err(|e| e.to_string())?;
            }
            if !panel.series.is_empty() {
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .position(SeriesLabelPosition::UpperLeft)
                    .draw()
                    .map_err(|e| e.to_string())?;
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    // The numbers, one line per series, right after the opening tag.
    let mut desc = String::from("\n<desc>");
    for p in panels {
        for s in &p.series {
            let vals: Vec<String> = s.values.iter().map(|v| format!("{v:.2}")).collect();
            desc.push_str(&format!(
                "\n{} | {}: {}",
                escape(&p.title),
                escape(&s.name),
                vals.join(" ")
            ));
        }
    }
    desc.push_str("\n</desc>");
    if let Some(end) = svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j + 1))
    {
        svg.insert_str(end, &desc);
    }
    Ok(svg)
}

fn nonzero(v: &[f64]) -> bool {
    v.iter().any(|x| x.abs() > 1e-9)
}

/// Writes the pictures of `opt` (the solved plan `h`) under `base` (a
/// directory, created if missing, or an `X.svg` prefix) and returns the
/// files written: `buildout.svg`, and per future `supply-NAME.svg` and,
/// with stockpiles, `stock-NAME.svg`.
pub fn write(h: &Horizon, opt: &HorizonSolution, base: &Path) -> Result<Vec<PathBuf>, PlanError> {
    let plan = &h.plan;
    let years: Vec<i64> = (0..h.years).map(|y| h.year(y)).collect();
    let err = |p: &Path, e: String| PlanError::Output {
        path: p.to_path_buf(),
        source: std::io::Error::other(e),
    };
    let is_file = base.extension().is_some_and(|e| e == "svg");
    if !is_file {
        std::fs::create_dir_all(base).map_err(|e| err(base, e.to_string()))?;
    }
    let mut pictures: Vec<(PathBuf, String, Vec<Panel>)> = Vec::new();
    let capacity: Vec<Series> = plan
        .refineries
        .iter()
        .enumerate()
        .filter(|(r, _)| nonzero(&opt.futures[0].capacity[*r]))
        .map(|(r, rf)| Series {
            name: rf.name.clone(),
            values: opt.futures[0].capacity[r].clone(),
        })
        .collect();
    let built: Vec<Series> = plan
        .refineries
        .iter()
        .enumerate()
        .filter(|(r, _)| nonzero(&opt.first.build[*r]))
        .map(|(r, rf)| Series {
            name: format!("{} (decided)", rf.name),
            values: opt.first.build[r].clone(),
        })
        .collect();
    pictures.push((
        target(base, "buildout"),
        format!("{}: build-out", plan.name),
        vec![
            Panel {
                title: "refining capacity available".into(),
                y_label: "t/yr REO feed".into(),
                series: capacity,
            },
            Panel {
                title: "new capacity decided per year".into(),
                y_label: "t/yr REO feed".into(),
                series: built,
            },
        ],
    ));
    for (fu, r) in h.futures.iter().zip(&opt.futures) {
        let panels: Vec<Panel> = plan
            .elements
            .iter()
            .enumerate()
            .filter(|(e, _)| plan.alliance_demand(*e) > 0.0)
            .map(|(e, el)| Panel {
                title: format!("{el} supply to the alliance"),
                y_label: "t/yr".into(),
                series: [
                    ("allied refining", &r.refined[e]),
                    ("outside refining", &r.outside_refined[e]),
                    ("imports", &r.imported[e]),
                    ("stock release", &r.released[e]),
                    ("unmet", &r.unmet[e]),
                ]
                .into_iter()
                .filter(|(_, v)| nonzero(v))
                .map(|(n, v)| Series {
                    name: n.into(),
                    values: v.clone(),
                })
                .collect(),
            })
            .collect();
        let name = slug(&fu.name);
        pictures.push((
            target(base, &format!("supply-{name}")),
            format!("{}: supply by origin, future {}", plan.name, fu.name),
            panels,
        ));
        if !h.stockpiles.is_empty() {
            let series = h
                .stockpiles
                .iter()
                .enumerate()
                .map(|(p, sp)| Series {
                    name: format!(
                        "{} {}",
                        plan.regions[sp.region].name, plan.elements[sp.element]
                    ),
                    values: r.stock[p].clone(),
                })
                .collect();
            pictures.push((
                target(base, &format!("stock-{name}")),
                format!("{}: stock levels, future {}", plan.name, fu.name),
                vec![Panel {
                    title: "stock at the end of each year".into(),
                    y_label: "t".into(),
                    series,
                }],
            ));
        }
    }
    let mut written = Vec::new();
    for (path, title, panels) in pictures {
        let svg = render(&title, &years, &panels).map_err(|e| err(&path, e))?;
        std::fs::write(&path, svg).map_err(|e| err(&path, e.to_string()))?;
        written.push(path);
    }
    Ok(written)
}
