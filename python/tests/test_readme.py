"""The README's "From Python" example runs as written."""

import contextlib
import io
import os
import re

from conftest import ROOT


def test_readme_example_runs(tmp_path, cli):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## From Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 12
    # run where models/ is, writing into a scratch folder
    (tmp_path / "models").symlink_to(ROOT / "models")
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("True ") and lines[1] == "(37, 2)"
    assert lines[-1].startswith("True (")
    assert (tmp_path / "sweep.csv").read_bytes() == cli("sweep", ROOT / "models" / "prnd-sweep.toml")[1]
