"""Bad input raises sxforge.InputError (a ValueError) naming file, line and key."""

import pytest

import sxforge
from conftest import ROOT

PRND = (ROOT / "models" / "prnd.toml").read_text()


def line_of(text, needle):
    return next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith(needle))


def test_unknown_key_in_a_file(tmp_path):
    text = PRND.replace("scrub_amount", "bogus = 1\nscrub_amount", 1)
    p = tmp_path / "m.toml"
    p.write_text(text)
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(p)
    assert isinstance(e.value, ValueError)
    assert e.value.file == str(p)
    assert e.value.line == line_of(text, "bogus")
    assert e.value.key == "flows.bogus"
    assert str(p) in str(e.value)


def test_bad_toml_syntax_has_a_line():
    text = PRND.replace("scrub_amount = ", "scrub_amount = = ", 1)
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(text)
    assert e.value.file is None
    assert e.value.line == line_of(text, "scrub_amount")


def test_infeasible_value_names_key_and_value():
    text = PRND.replace("scrub_amount = 3.3428", "scrub_amount = 4.094", 1)
    assert text != PRND
    with pytest.raises(sxforge.InputError) as e:
        sxforge.load(text)
    assert e.value.key == "flows.scrub_amount"
    assert e.value.value == "4.094"
    assert e.value.line == line_of(text, "scrub_amount")
    assert "infeasible flow split" in str(e.value)


def test_dict_errors_name_the_key():
    d = {
        "name": "x",
        "components": ["A", "B"],
        "chemistry": {"model": "separation-factor", "beta": {"A": 1.0, "B": 1.5}},
        "cascade": {"extraction": 5, "scrub": 5},
        "feed": {"amount": {"A": 0.5, "B": 0.5}},
        "flows": {"extraction_amount": 1.0, "scrub_amount": 0.7, "bogus": 2},
    }
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(d)
    assert e.value.key == "flows.bogus" and e.value.line is None
    del d["flows"]["bogus"]
    assert sxforge.simulate(d).converged
    d["flows"]["scrub_amount"] = None
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(d)
    assert e.value.key == "flows.scrub_amount"


def test_missing_file_and_bad_options():
    with pytest.raises(FileNotFoundError):
        sxforge.simulate("no-such-model.toml")
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(PRND, method="bogus")
    assert e.value.key == "method"
    with pytest.raises(sxforge.InputError):
        sxforge.simulate(PRND, tolerance=2.0)
    with pytest.raises(sxforge.InputError) as e:
        sxforge.simulate(ROOT / "models" / "constant-d-strip.toml", method="rows")
    assert "separation-factor" in str(e.value)


def test_plan_errors_name_line_and_key(tmp_path):
    text = (ROOT / "models" / "plan-didactic.toml").read_text()
    lines = text.splitlines()
    i = next(i for i, l in enumerate(lines) if l.strip().startswith("capacity"))
    lines.insert(i + 1, "bogus_key = 3")
    p = tmp_path / "plan.toml"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(sxforge.InputError) as e:
        sxforge.plan(p)
    assert e.value.file == str(p)
    assert e.value.line == i + 2
    assert "bogus_key" in str(e.value)
    with pytest.raises(sxforge.InputError) as e:
        sxforge.plan(ROOT / "models" / "plan-didactic.toml", set=["nothing.here=1"])
    # the key the override names, and the override that set it
    assert e.value.key == "nothing.here"
    assert "--set nothing.here=1" in str(e.value)


def test_sweep_errors():
    with pytest.raises(sxforge.InputError) as e:
        sxforge.sweep(ROOT / "models" / "prnd.toml")
    assert e.value.key == "sweep"
    text = (ROOT / "models" / "prnd-sweep.toml").read_text()
    bad = text.replace('name = "flows.scrub_amount"', 'name = "flows.organic"')
    with pytest.raises(sxforge.InputError) as e:
        sxforge.sweep(bad)
    assert e.value.key.startswith("sweep.parameter[2]")
    assert e.value.line == line_of(bad, 'name = "flows.organic"')


def test_dict_error_message_has_no_generated_line():
    d = {"name": "x", "components": ["A", "B"], "bogus": 1}
    with pytest.raises(sxforge.InputError) as e:
        sxforge.load(d)
    assert str(e.value).startswith("<model>: ")
    assert e.value.key == "bogus" and e.value.line is None and e.value.file is None
