//! Accelerating the recycle iteration of a flowsheet.
//!
//! The torn streams of a flowsheet's recycles form one vector `x` (every
//! component amount and, for volumetric streams, the flow); one pass over
//! the units maps it to `g(x)`, and the flowsheet is solved at the fixed
//! point `x = g(x)`. Plain substitution (`x <- g(x)`) converges at the rate
//! of the recycle's slowest mode, which is slow when little leaves the loop
//! (a weak strip). Two accelerators are offered:
//!
//! - **Anderson mixing** (the default): the next `x` is the combination of
//!   the last few iterates whose residual `g(x) - x`, linearised, is least
//!   (type II, depth 5, least squares by regularised normal equations).
//!   For a linear recycle (constant-D units) it finds the fixed point of an
//!   `m`-dimensional tear vector in about `m + 1` passes, like GMRES. The
//!   history restarts, with a plain substitution step, when the residual
//!   grows tenfold over the best one seen.
//! - **Wegstein**: a secant estimate of each element's own slope, bounded
//!   to `q` in `[-5, 0]`.
//!
//! All work on scaled variables: each amount over its stream's total and
//! the flow over itself, as the convergence test does.

use std::collections::VecDeque;

/// How the recycle iteration picks its next iterate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Accelerator {
    /// Anderson mixing on the whole tear vector (default).
    #[default]
    Anderson,
    /// Wegstein's method, element by element.
    Wegstein,
    /// Plain successive substitution.
    Substitution,
}

impl Accelerator {
    /// Every accelerator, in the order the docs list them.
    pub const ALL: [Accelerator; 3] = [
        Accelerator::Anderson,
        Accelerator::Wegstein,
        Accelerator::Substitution,
    ];

    /// Name as written in `[solver] accelerator`.
    pub fn name(self) -> &'static str {
        match self {
            Accelerator::Anderson => "anderson",
            Accelerator::Wegstein => "wegstein",
            Accelerator::Substitution => "substitution",
        }
    }

    /// Parses a name written in `[solver] accelerator`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Depth of the Anderson history (past differences kept).
const DEPTH: usize = 5;

/// State of the recycle iteration between passes.
#[derive(Debug, Clone)]
pub(crate) struct Mixer {
    kind: Accelerator,
    /// Weight of each element (1 / its scale).
    w: Vec<f64>,
    /// Anderson: past scaled iterates and residuals, oldest first.
    xs: VecDeque<Vec<f64>>,
    fs: VecDeque<Vec<f64>>,
    /// Smallest residual norm seen (Anderson restarts).
    best: f64,
    /// Wegstein: the previous (x, g).
    prev: Option<(Vec<f64>, Vec<f64>)>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solves the small dense system `a x = b` (Gaussian elimination with
/// partial pivoting); `None` if it is singular.
fn solve_dense(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let m = b.len();
    for c in 0..m {
        let p = (c..m).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c] == 0.0 || a[p][c].is_nan() {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        let (top, rest) = a.split_at_mut(c + 1);
        let pivot = &top[c];
        for (r, row) in rest.iter_mut().enumerate() {
            let f = row[c] / pivot[c];
            for (x, p) in row[c..].iter_mut().zip(&pivot[c..]) {
                *x -= f * p;
            }
            b[c + 1 + r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; m];
    for c in (0..m).rev() {
        let s: f64 = (c + 1..m).map(|k| a[c][k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

impl Mixer {
    /// A mixer for tear vectors whose elements have the scales `scale`
    /// (positive).
    pub(crate) fn new(kind: Accelerator, scale: &[f64]) -> Self {
        Mixer {
            kind,
            w: scale.iter().map(|s| 1.0 / s).collect(),
            xs: VecDeque::new(),
            fs: VecDeque::new(),
            best: f64::INFINITY,
            prev: None,
        }
    }

    /// The next iterate from the current one `x` and its image `g`.
    pub(crate) fn next(&mut self, x: &[f64], g: &[f64]) -> Vec<f64> {
        match self.kind {
            Accelerator::Substitution => g.to_vec(),
            Accelerator::Wegstein => self.wegstein(x, g),
            Accelerator::Anderson => self.anderson(x, g),
        }
    }

    fn wegstein(&mut self, x: &[f64], g: &[f64]) -> Vec<f64> {
        let mut next = g.to_vec();
        if let Some((px, pg)) = &self.prev {
            for j in 0..x.len() {
                let dx = x[j] - px[j];
                let dg = g[j] - pg[j];
                if dx.abs() > 1e-300 {
                    let s = dg / dx;
                    let q = if (s - 1.0).abs() > 1e-12 {
                        (s / (s - 1.0)).clamp(-5.0, 0.0)
                    } else {
                        0.0
                    };
                    next[j] = (q * x[j] + (1.0 - q) * g[j]).max(0.0);
                }
            }
        }
        self.prev = Some((x.to_vec(), g.to_vec()));
        next
    }

    fn anderson(&mut self, x: &[f64], g: &[f64]) -> Vec<f64> {
        let u: Vec<f64> = x.iter().zip(&self.w).map(|(a, w)| a * w).collect();
        let f: Vec<f64> = g
            .iter()
            .zip(x)
            .zip(&self.w)
            .map(|((b, a), w)| (b - a) * w)
            .collect();
        let norm = dot(&f, &f).sqrt();
        if norm > 10.0 * self.best {
            // the extrapolation went astray: forget it, substitute
            self.xs.clear();
            self.fs.clear();
        }
        self.best = self.best.min(norm);
        self.xs.push_back(u.clone());
        self.fs.push_back(f.clone());
        if self.xs.len() > DEPTH + 1 {
            self.xs.pop_front();
            self.fs.pop_front();
        }
        let m = self.xs.len() - 1;
        let mut next_u: Vec<f64> = u.iter().zip(&f).map(|(a, b)| a + b).collect();
        if m > 0 {
            // differences of consecutive iterates and residuals
            let du: Vec<Vec<f64>> = (0..m)
                .map(|i| {
                    self.xs[i + 1]
                        .iter()
                        .zip(&self.xs[i])
                        .map(|(a, b)| a - b)
                        .collect()
                })
                .collect();
            let df: Vec<Vec<f64>> = (0..m)
                .map(|i| {
                    self.fs[i + 1]
                        .iter()
                        .zip(&self.fs[i])
                        .map(|(a, b)| a - b)
                        .collect()
                })
                .collect();
            // least squares min |f - dF gamma| by the normal equations,
            // lightly regularised
            let mut a: Vec<Vec<f64>> = (0..m)
                .map(|i| (0..m).map(|j| dot(&df[i], &df[j])).collect())
                .collect();
            let big = (0..m).map(|i| a[i][i]).fold(0.0, f64::max);
            for (i, row) in a.iter_mut().enumerate() {
                row[i] += 1e-13 * big;
            }
            let b: Vec<f64> = (0..m).map(|i| dot(&df[i], &f)).collect();
            if let Some(gamma) = solve_dense(a, b).filter(|_| big > 0.0) {
                for (i, gi) in gamma.iter().enumerate() {
                    for (j, v) in next_u.iter_mut().enumerate() {
                        *v -= gi * (du[i][j] + df[i][j]);
                    }
                }
            }
        }
        next_u
            .iter()
            .zip(&self.w)
            .map(|(v, w)| (v / w).max(0.0))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On an affine map of dimension 3, Anderson reaches the fixed point
    /// (hand-solved) in a handful of steps where substitution crawls.
    #[test]
    fn anderson_solves_an_affine_map_in_few_steps() {
        // g(x) = A x + b with spectral radius 0.95
        let a = [[0.95, 0.0, 0.0], [0.1, 0.5, 0.0], [0.0, 0.2, 0.9]];
        let b = [1.0, 2.0, 0.5];
        let g = |x: &[f64]| -> Vec<f64> {
            (0..3)
                .map(|i| (0..3).map(|j| a[i][j] * x[j]).sum::<f64>() + b[i])
                .collect()
        };
        // fixed point: x0 = 1/0.05 = 20; x1 = (0.1*20 + 2)/0.5 = 8;
        // x2 = (0.2*8 + 0.5)/0.1 = 21
        let want = [20.0, 8.0, 21.0];
        let run = |kind: Accelerator| -> usize {
            let mut m = Mixer::new(kind, &[1.0, 1.0, 1.0]);
            let mut x = vec![0.0; 3];
            for it in 1..=2000 {
                let gx = g(&x);
                if x.iter().zip(&want).all(|(p, q)| (p - q).abs() < 1e-9) {
                    return it;
                }
                x = m.next(&x, &gx);
            }
            usize::MAX
        };
        let (fast, slow) = (run(Accelerator::Anderson), run(Accelerator::Substitution));
        assert!(fast <= 8, "{fast}");
        assert!(slow > 300 && slow < 2000, "{slow}");
    }

    #[test]
    fn names_round_trip() {
        for a in Accelerator::ALL {
            assert_eq!(Accelerator::from_name(a.name()), Some(a));
        }
        assert_eq!(Accelerator::from_name("broyden"), None);
    }
}
