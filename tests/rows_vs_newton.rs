//! Start-up dynamics ("rows") reach the steady state Newton finds.

mod common;

use sxforge::model::load::load_file;
use sxforge::solver::rows::solve_rows;
use sxforge::Solver;

fn check(file: &str) -> usize {
    let c = load_file(&common::model(file)).unwrap();
    let newton = Solver::new().solve(&c);
    assert!(newton.converged(), "{file}: {:?}", newton.status);
    let rows = solve_rows(&c, 1e-14, 5_000_000).unwrap();
    assert!(
        rows.converged(),
        "{file}: rows {:?} {}",
        rows.status,
        rows.residual
    );
    for (a, b) in newton.streams(&c).iter().zip(rows.streams(&c)) {
        let e = common::max_rel(&a.amount, &b.amount);
        assert!(
            e < 1e-8,
            "{file} {:?}: Newton and rows differ by {e:e}",
            a.kind
        );
    }
    rows.iterations
}

#[test]
fn prnd_rows_agree() {
    let rows = check("prnd.toml");
    // about 1e5 rows for beta 1.5 (design notes: 86,000 to 1e-12)
    assert!((50_000..200_000).contains(&rows), "{rows} rows");
}

#[test]
fn lace_rows_agree() {
    check("lace.toml");
}

#[test]
fn ceprnd_rows_agree() {
    check("ceprnd.toml");
}

#[test]
fn rows_start_from_empty_stages_and_reach_the_raffinate_late() {
    // after one row nothing has left the raffinate end yet (the feed enters
    // stage 17 and moves one stage per row)
    let c = load_file(&common::model("prnd.toml")).unwrap();
    let one = solve_rows(&c, 1e-14, 1).unwrap();
    assert_eq!(one.iterations, 1);
    assert!(!one.converged());
    assert!(one.aqueous.row(0).iter().all(|&v| v == 0.0));
}
