"""Flowsheets ([[unit]] files) and costed models ([cost]) against the CLI."""

import numpy as np
import pytest

import sxforge
from conftest import CASCADES, COSTED, FLOWSHEETS, MODELS, PLANS, ROOT


def test_every_shipped_model_is_compared_with_the_cli():
    # test_simulate.py (cascades, flowsheets), test_plan_design.py (plans,
    # horizon plans) and the tests below compare every file in models/
    assert sorted(CASCADES + FLOWSHEETS + PLANS) == MODELS
    assert len(FLOWSHEETS) >= 2 and len(COSTED) >= 2
    assert any("[horizon]" in p.read_text() for p in PLANS)


@pytest.mark.parametrize("path", FLOWSHEETS, ids=lambda p: p.name)
def test_flowsheet_units_are_numpy_profiles(path):
    r = sxforge.simulate(path)
    d = r.to_dict()
    k = len(d["components"])
    assert list(r.units) == list(d["units"]) and len(r.units) >= 1
    for name, unit in r.units.items():
        ud = d["units"][name]
        n = len(ud["stages"])
        assert unit.aqueous.shape == (n, k) and unit.organic.shape == (n, k)
        assert unit.aqueous.dtype == np.float64
        for j, st in enumerate(ud["stages"]):
            assert list(unit.aqueous[j]) == [st["aqueous"][c] for c in r.components]
            assert list(unit.organic[j]) == [st["organic"][c] for c in r.components]
        # the unit's own dict is its block of the flowsheet JSON less the inlets
        assert unit.to_dict() == {key: v for key, v in ud.items() if key != "inlets"}
        assert unit.converged == ud["converged"]
    for name, p in d["products"].items():
        got = r.products[name]
        assert got["phase"] == p["phase"]
        assert list(got["recovery"]) == [p["recovery"][c] for c in r.components]
        assert got["amount"].shape == (k,)
    # recoveries are shares of the external inflow: over all products they
    # add up to 1 + the balance error, which is small for a converged sheet
    recovered = sum(p["recovery"] for p in r.products.values())
    err = np.array([d["balance_error"][c] for c in r.components])
    np.testing.assert_allclose(recovered, 1.0 + err, rtol=1e-12)
    if r.converged:
        assert np.all(np.abs(err) < 1e-6)


def test_flowsheet_text_and_tolerance_equal_cli(cli, cli_json):
    path = ROOT / "models" / "prnd-mass-action-recycle.toml"
    assert str(sxforge.simulate(path)).encode() == cli("simulate", path)[1]
    expected = cli_json("simulate", path, "--json", "--tolerance", "1e-6", ok=(0, 2))
    r = sxforge.simulate(path, tolerance=1e-6)
    assert r.to_dict() == expected
    assert r.to_dict() != sxforge.simulate(path).to_dict()


def test_flowsheet_outputs_like_cli(cli, tmp_path):
    path = ROOT / "models" / "bayan-obo-linked.toml"
    cli("simulate", path, "--profile", tmp_path / "cli.csv", "--plot", tmp_path / "cli.svg")
    r = sxforge.simulate(path)
    r.write_profile(tmp_path / "py.csv")
    r.plot(tmp_path / "py.svg")
    assert (tmp_path / "py.svg").read_bytes() == (tmp_path / "cli.svg").read_bytes()
    cli_csv = sorted(p.name.replace("cli", "") for p in tmp_path.glob("cli*.csv"))
    py_csv = sorted(p.name.replace("py", "") for p in tmp_path.glob("py*.csv"))
    assert cli_csv == py_csv and len(py_csv) == len(r.units)
    for name in cli_csv:
        assert (tmp_path / ("py" + name)).read_bytes() == (tmp_path / ("cli" + name)).read_bytes()


def test_flowsheet_errors():
    path = ROOT / "models" / "prnd-mass-action-recycle.toml"
    text = path.read_text().replace("feed = \"liquor\"", "feed = \"liquor\"\nbogus = 1", 1)
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(text)
    assert e.value.line == next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("bogus"))
    assert "bogus" in e.value.key
    fs = sxforge.load(path)
    assert isinstance(fs, sxforge.Flowsheet) and fs.units == ["PrNd"]
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(fs, method="rows")
    assert e.value.key == "method"
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(fs, tolerance=2.0)
    assert e.value.key == "tolerance"
    with pytest.raises(TypeError):
        sxforge.Solver().solve(fs)


@pytest.mark.parametrize("path", COSTED, ids=lambda p: p.name)
def test_costed_model_has_the_cli_cost_block(path, cli, cli_json):
    expected = cli_json("simulate", path, "--json", ok=(0, 2))
    assert "cost" in expected
    r = sxforge.simulate(path)
    assert r.to_dict()["cost"] == expected["cost"]
    assert str(r).encode() == cli("simulate", path, ok=(0, 2))[1]
    # a reused solver costs its solves too
    assert sxforge.Solver().solve(sxforge.load(path)).to_dict() == expected


def test_bad_cost_value_names_key_and_line(tmp_path):
    src = (ROOT / "models" / "prnd-costed.toml").read_text()
    text = src.replace("settling_rate = 2.0", "settling_rate = -2.0", 1)
    assert text != src
    p = tmp_path / "c.toml"
    p.write_text(text)
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(p)
    assert e.value.key == "cost.settling_rate"
    assert e.value.file == str(p)
    assert e.value.line == next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("settling_rate"))


def test_costed_sweep_equals_cli_bytes(cli, tmp_path):
    # prnd-costed.toml with the [sweep] table of prnd-sweep.toml cut to 60
    # cases: the cost.* and cost_per_kg.* columns come out as the CLI's
    sweep = (ROOT / "models" / "prnd-sweep.toml").read_text()
    table = sweep[sweep.index("[sweep]"):].replace("cases = 10000", "cases = 60")
    p = tmp_path / "costed-sweep.toml"
    p.write_text((ROOT / "models" / "prnd-costed.toml").read_text() + "\n" + table)
    expected = cli("sweep", p)[1]
    df = sxforge.sweep(p, shards=3)
    assert "cost.total" in df.columns and "cost_per_kg.Nd" in df.columns
    assert df["cost.total"].notna().sum() >= 50
    assert df.to_csv().encode() == expected
