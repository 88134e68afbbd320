"""plan and design against the CLI's `--json`."""

import pytest

import sxforge
from conftest import PLANS, ROOT


def untimed(d):
    """The plan JSON without its wall-clock times (stats.build_s, stats.solve_s)."""
    if isinstance(d, dict):
        return {k: untimed(v) for k, v in d.items() if k not in ("build_s", "solve_s")}
    if isinstance(d, list):
        return [untimed(v) for v in d]
    return d


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.name)
def test_plan_equals_cli_json(path, cli_json):
    got = sxforge.plan(path)
    expected = cli_json("plan", path, "--json", ok=(0, 2))
    assert set(got.get("stats", {})) == set(expected.get("stats", {}))
    assert untimed(got) == untimed(expected)


def test_plan_options_equal_cli_json(cli_json):
    path = ROOT / "models" / "plan-didactic.toml"
    expected = cli_json("plan", path, "--json", "--compare", ok=(0, 2))
    assert untimed(sxforge.plan(path, compare=True)) == untimed(expected)
    got = sxforge.plan(path.read_text(), set=["policy.budget=1e12"])
    # text input names the plan "<plan>" in messages only; the result is the file's
    assert untimed(got) == untimed(
        cli_json("plan", path, "--json", "--set", "policy.budget=1e12", ok=(0, 2))
    )


def test_design_equals_cli_json(cli_json, tmp_path):
    flags = dict(
        components=["Pr", "Nd"],
        beta=[1, 1.5],
        feed=[0.25, 0.75],
        organic_purity=0.995,
        raffinate_purity=0.99,
    )
    expected = cli_json(
        "design", "--components", "Pr,Nd", "--beta", "1,1.5", "--feed", "0.25,0.75",
        "--organic-purity", "0.995", "--raffinate-purity", "0.99", "--json",
    )
    out = tmp_path / "d.toml"
    got = sxforge.design(**flags, write=out)
    assert got == expected
    assert got["verified"]["feasible"]
    # the written model solves to the verified purity
    r = sxforge.simulate(out)
    assert r.streams["loaded_organic"]["purity"][1] >= 0.995


def test_design_bad_input():
    with pytest.raises(sxforge.InputError) as e:
        sxforge.design(components=["Pr"], beta=[1.0], feed=[1.0], organic_purity=0.9)
    assert e.value.key == "components"
