"""simulate / Solver / Model against the CLI's `--json`, NumPy shapes."""

import concurrent.futures
import sys

import numpy as np
import pytest

import sxforge
from conftest import CASCADES, FLOWSHEETS, ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = None


@pytest.mark.parametrize("path", CASCADES + FLOWSHEETS, ids=lambda p: p.name)
def test_simulate_equals_cli_json(path, cli_json):
    expected = cli_json("simulate", path, "--json", ok=(0, 2))
    r = sxforge.simulate(path)
    assert isinstance(r, sxforge.FlowsheetResult if path in FLOWSHEETS else sxforge.Result)
    assert r.to_dict() == expected
    assert r.converged == expected["converged"]
    assert r.iterations == expected["iterations"]
    # the same model as TOML text and as a dict (parsed by tomllib)
    assert sxforge.simulate(path.read_text()).to_dict() == expected
    if tomllib is not None:
        with open(path, "rb") as f:
            assert sxforge.simulate(tomllib.load(f)).to_dict() == expected


@pytest.mark.parametrize("path", CASCADES, ids=lambda p: p.name)
def test_profiles_are_the_json_stages(path):
    r = sxforge.simulate(path)
    d = r.to_dict()
    n, k = len(d["stages"]), len(d["components"])
    assert r.components == d["components"]
    assert r.aqueous.shape == (n, k) and r.organic.shape == (n, k)
    assert r.aqueous.dtype == np.float64
    for j, st in enumerate(d["stages"]):
        assert list(r.aqueous[j]) == [st["aqueous"][c] for c in r.components]
        assert list(r.organic[j]) == [st["organic"][c] for c in r.components]
    if "ph" in d["stages"][0]:
        assert r.ph.shape == (n,)
    else:
        assert r.ph is None
    for name, s in d["streams"].items():
        got = r.streams[name]
        assert got["stage"] == s["stage"] and got["phase"] == s["phase"]
        assert got["purity"].shape == (k,)
        assert list(got["recovery"]) == [s["recovery"][c] for c in r.components]


def test_rows_method_and_tolerance_equal_cli(cli_json):
    path = ROOT / "models" / "prnd.toml"
    expected = cli_json("simulate", path, "--json", "--method", "rows", "--tolerance", "1e-6")
    r = sxforge.simulate(path, method="rows", tolerance=1e-6)
    assert r.to_dict() == expected
    assert r.to_dict()["method"] == "rows"


def test_start_up_method_equals_cli(cli_json):
    path = ROOT / "models" / "d2ehpa-sulfate.toml"
    expected = cli_json("simulate", path, "--json", "--method", "start-up")
    r = sxforge.simulate(path, method="start-up")
    assert r.to_dict() == expected
    assert r.to_dict()["method"] == "start-up" and r.converged
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(ROOT / "models" / "prnd.toml", method="start-up")
    assert e.value.key == "method" and "mass-action" in str(e.value)


def test_solver_warm_starts_match_cold_solves():
    base = sxforge.load(ROOT / "models" / "prnd.toml")
    solver = sxforge.Solver()
    for w in (3.30, 3.31, 3.32, 3.33):
        m = base.with_values({"flows.scrub_amount": w})
        warm = solver.solve(m)
        cold = sxforge.simulate(m)
        assert warm.converged and cold.converged
        np.testing.assert_allclose(warm.aqueous, cold.aqueous, rtol=1e-9)
        np.testing.assert_allclose(
            warm.streams["loaded_organic"]["purity"],
            cold.streams["loaded_organic"]["purity"],
            rtol=1e-10,
        )
    # re-solving the last model from its own solution takes at most as many
    # Newton steps as a cold start
    again = solver.solve(m)
    assert again.iterations <= cold.iterations
    np.testing.assert_allclose(again.aqueous, cold.aqueous, rtol=1e-9)


def test_model_with_values_changes_the_model():
    base = sxforge.load(ROOT / "models" / "prnd.toml")
    assert base.stages == 37 and base.components == ["Pr", "Nd"]
    assert base.with_values({"cascade.scrub": 21}).stages == 38
    with pytest.raises(sxforge.InputError) as e:
        base.with_values({"flows.organic": 1.0})
    assert e.value.key == "flows.organic"


def test_threads_give_identical_results():
    path = ROOT / "models" / "lace.toml"
    ref = sxforge.simulate(path).to_json()
    model = sxforge.load(path)
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        outs = list(ex.map(lambda _: sxforge.simulate(model).to_json(), range(8)))
    assert outs == [ref] * 8


def test_result_text_is_the_cli_report(cli):
    path = ROOT / "models" / "prnd.toml"
    assert str(sxforge.simulate(path)).encode() == cli("simulate", path)[1]
