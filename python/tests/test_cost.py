"""sxforge.cost equals `sxforge cost FILE --json` on the shipped costed
models (a cascade, a flowsheet, a separate cost file); bad input raises
InputError with file, line and key."""

import pytest

import sxforge

from conftest import ROOT

COSTED = [
    "models/prnd-costed.toml",
    "models/lace-prnd-costed.toml",
    "models/bayan-obo-linked.toml",
    "models/cost/bayan-obo-china-prices.toml",
]


@pytest.mark.parametrize("model", COSTED)
def test_cost_equals_the_cli(model, cli_json):
    got = sxforge.cost(ROOT / model)
    want = cli_json("cost", model, "--json")
    assert got == want
    total = sum(p["allocated"] for p in got["products"])
    assert total == pytest.approx(got["total"], rel=1e-12)


def test_flowsheet_cost_has_every_product_and_unit():
    r = sxforge.cost(str(ROOT / "models/bayan-obo-linked.toml"))
    assert [u["name"] for u in r["units"]] == ["Nd-SEG", "Ce-Pr", "La-Ce", "Pr-Nd"]
    assert sorted(p["component"] for p in r["products"]) == ["Ce", "La", "Nd", "Pr", "SEG"]
    assert sum(u["capex"] for u in r["units"]) == pytest.approx(r["capex"], rel=1e-12)


def test_bad_cost_file_raises_input_error(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(f'model = "{ROOT / "models/prnd.toml"}"\n[cost]\nsettling_rate = -2\n')
    with pytest.raises(sxforge.InputError) as e:
        sxforge.cost(f)
    assert e.value.file == str(f)
    assert e.value.line == 3
    assert e.value.key == "cost.settling_rate"
    with pytest.raises(sxforge.InputError) as e:
        sxforge.cost(ROOT / "models/prnd.toml")
    assert e.value.key == "cost"
