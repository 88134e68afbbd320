"""Shared fixtures: the repository root, the release CLI and the shipped models."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.toml"))
PLANS = [m for m in MODELS if "[[region]]" in m.read_text()]
FLOWSHEETS = [m for m in MODELS if "\n[[unit]]" in m.read_text()]
# Every other shipped model is a single cascade (with or without [cost],
# [sweep] or [optimize] tables): all of them are compared with the CLI.
CASCADES = [m for m in MODELS if m not in PLANS and m not in FLOWSHEETS]
COSTED = [m for m in CASCADES if "\n[cost]" in m.read_text()]


def cli_path() -> Path:
    env = os.environ.get("SXFORGE_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "sxforge"


@pytest.fixture(scope="session")
def cli():
    """Runs the release CLI; returns (exit status, stdout bytes)."""
    exe = cli_path()
    if not exe.exists():
        pytest.fail(f"{exe} not found: run `cargo build --release` first (or set SXFORGE_BIN)")

    def run(*args, ok=(0,)):
        p = subprocess.run([str(exe), *map(str, args)], capture_output=True, cwd=ROOT)
        assert p.returncode in ok, p.stderr.decode()
        return p.returncode, p.stdout

    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    def run(*args, ok=(0,)):
        return json.loads(cli(*args, ok=ok)[1])

    return run
