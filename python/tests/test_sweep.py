"""Sweeps in shards, locally and on a Dask LocalCluster, equal to the CLI's CSV."""

import numpy as np
import pytest

import sxforge
from conftest import ROOT

SHIPPED = ROOT / "models" / "prnd-sweep.toml"


@pytest.fixture(scope="module")
def sweep_model(tmp_path_factory):
    """The shipped sweep cut to 2,000 cases (CI time); same parameters."""
    text = SHIPPED.read_text()
    assert "cases = 10000" in text
    p = tmp_path_factory.mktemp("sweep") / "prnd-sweep-2000.toml"
    p.write_text(text.replace("cases = 10000", "cases = 2000"))
    return p


@pytest.fixture(scope="module")
def cli_csv(cli, sweep_model):
    return cli("sweep", sweep_model)[1]


def test_native_csv_and_shards_equal_cli(cli, cli_csv, sweep_model):
    SWEEP = sweep_model
    assert sxforge.sweep_csv(SWEEP).encode() == cli_csv
    parts = [sxforge.sweep_csv(SWEEP, (i, 3)) for i in (1, 2, 3)]
    assert "".join(parts).encode() == cli_csv
    assert parts[1].encode() == cli("sweep", SWEEP, "--shard", "2/3")[1]


def test_local_sweep_frame(cli_csv, sweep_model):
    SWEEP = sweep_model
    df = sxforge.sweep(SWEEP, shards=3)
    assert len(df) == 2000 and df.index.name == "case"
    assert list(df.index[:3]) == [1, 2, 3]
    assert df["cascade.scrub"].dtype == np.int64
    assert df["flows.scrub_amount"].between(3.3, 3.4).all()
    assert (df["status"] == "converged").all()
    assert df.to_csv().encode() == cli_csv
    # pandas' own formatting with any argument, and the same numbers
    text = df.to_csv(index=True, float_format="%.17g")
    assert text.splitlines()[0] == cli_csv.decode().splitlines()[0]
    one = sxforge.sweep(SWEEP)
    assert one.equals(df)


def test_dask_local_cluster_sweep_equals_cli_bytes(cli_csv, sweep_model, tmp_path):
    SWEEP = sweep_model
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        df = sxforge.sweep(SWEEP, client=client, shards=4)
    out = tmp_path / "sweep.csv"
    df.to_csv(out)
    assert out.read_bytes() == cli_csv


def test_invalid_cases_are_empty_like_the_cli(cli, tmp_path):
    # W down to 2.9: S - W > F in some cases, which are then invalid models
    text = SHIPPED.read_text().replace("cases = 10000", "cases = 40").replace(
        "min = 3.3", "min = 2.9"
    )
    p = tmp_path / "s.toml"
    p.write_text(text)
    expected = cli("sweep", p)[1]
    df = sxforge.sweep(p, shards=2)
    assert df.to_csv().encode() == expected
    assert (df["status"] == "invalid").any()
    assert df.loc[df["status"] == "invalid", "raffinate.purity.Pr"].isna().all()


def test_frame_holds_the_csv_values(cli_csv, sweep_model):
    import io

    import pandas as pd

    df = sxforge.sweep(sweep_model)
    ref = pd.read_csv(io.BytesIO(cli_csv), index_col="case")
    assert list(ref.columns) == list(df.columns)
    assert (ref.index == df.index).all()
    assert (ref["status"].astype(str) == df["status"].astype(str)).all()
    for c in df.columns:
        if c != "status":
            # the CSV rounds outputs to 13 significant digits and residuals to
            # 4; the frame keeps all
            rtol = 5.1e-4 if c == "residual" else 1e-12
            np.testing.assert_allclose(df[c].to_numpy(float), ref[c].to_numpy(float), rtol=rtol)
