//! SVG pictures: a cascade's stage profile (log scale) and scatter plots of
//! sweep results (an output against an input, or a purity-recovery front).

use std::path::Path;

use plotters::prelude::*;

use crate::error::Error;
use crate::model::Cascade;
use crate::solver::Solution;

fn plot_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Draws the stage profile of every component (aqueous amount leaving each
/// stage, or concentration for volumetric models) on a log scale, with the
/// section boundaries marked, into an SVG file.
pub fn profile_svg(cascade: &Cascade, sol: &Solution, path: &Path) -> Result<(), Error> {
    let n = cascade.n_stages();
    let k = cascade.n_components();
    let (values, what) = match sol.concentrations(cascade) {
        Some((x, _)) => (x, "aqueous concentration (mol/L)"),
        None => (sol.aqueous.clone(), "aqueous amount (mol per unit time)"),
    };
    let max = values.iter().cloned().fold(0.0_f64, f64::max).max(1e-300);
    let floor = max * 1e-30;
    let min = values
        .iter()
        .cloned()
        .filter(|v| *v > 0.0)
        .fold(max, f64::min)
        .max(floor);
    let (lo, hi) = (min / 2.0, max * 2.0);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: stage profile", cascade.name()),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0.5f64..(n as f64 + 0.5), (lo..hi).log_scale())
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("stage (organic-flow order)")
        .y_desc(what)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    let l = cascade.layout();
    for b in [l.extraction, l.extraction + l.scrub] {
        if b > 0 && b < n {
            let x = b as f64 + 0.5;
            chart
                .draw_series(LineSeries::new(vec![(x, lo), (x, hi)], BLACK.mix(0.3)))
                .map_err(|e| plot_err(path, e))?;
        }
    }
    for c in 0..k {
        let color = Palette99::pick(c).to_rgba();
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|j| ((j + 1) as f64, values[[j, c]].max(lo)))
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(|e| plot_err(path, e))?
            .label(cascade.components()[c].clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart
            .draw_series(pts.iter().map(|p| Circle::new(*p, 2, color.filled())))
            .map_err(|e| plot_err(path, e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

/// Draws `points` (x, y) as a scatter plot into an SVG file. Non-finite
/// points are skipped.
pub fn scatter_svg(
    points: &[(f64, f64)],
    x_label: &str,
    y_label: &str,
    title: &str,
    path: &Path,
) -> Result<(), Error> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .cloned()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let range = |f: fn(&(f64, f64)) -> f64| {
        let lo = pts.iter().map(f).fold(f64::INFINITY, f64::min);
        let hi = pts.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            (0.0, 1.0)
        } else if hi - lo <= 0.0 {
            (
                lo - 0.5 * lo.abs().max(1e-12),
                hi + 0.5 * hi.abs().max(1e-12),
            )
        } else {
            let pad = 0.04 * (hi - lo);
            (lo - pad, hi + pad)
        }
    };
    let (x0, x1) = range(|p| p.0);
    let (y0, y1) = range(|p| p.1);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    let color = Palette99::pick(0).to_rgba();
    chart
        .draw_series(pts.iter().map(|p| Circle::new(*p, 2, color.filled())))
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}
