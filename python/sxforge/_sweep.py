"""Parameter sweeps in shards, locally or on a Dask cluster."""

from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _native

_Raw = Tuple[bytes, bytes, List[str], bytes, bytes, bytes]


def _rust_exp(v: float, prec: int) -> str:
    """Rust's ``format!("{v:.prec$e}")``: ``9.9e-1``, not ``9.9e-01``."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    m, e = f"{v:.{prec}e}".split("e")
    return f"{m}e{int(e)}"


def _rust_debug(v: float) -> str:
    """Rust's ``format!("{v:?}")`` (shortest round-trip text; empty for NaN,
    as the CLI writes it)."""
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    s = repr(float(v))
    if "e" in s:
        m, e = s.split("e")
        s = f"{m}e{int(e)}"
    return s


def _shard(text: str, file: Optional[str], i: int, n: int) -> _Raw:
    """One shard, on whichever worker runs it (a top-level function, so
    Dask can ship it by reference)."""
    return _native.sweep_shard(text, i, n, file)


class SweepFrame(pd.DataFrame):
    """The sweep table: index ``case`` (1-based), one column per parameter
    (int for stage counts), ``status``, ``iterations``, ``residual``, then
    ``<stream>.purity.<c>`` and ``<stream>.recovery.<c>`` (NaN for invalid
    cases).

    ``to_csv(path)`` with no other arguments writes the bytes of
    ``sxforge sweep FILE`` (the CLI's number formats); with any formatting
    argument it is pandas' ``to_csv``.
    """

    _metadata = ["_sx_params", "_sx_ints", "_sx_outputs"]
    _sx_params: List[str]
    _sx_ints: List[str]
    _sx_outputs: List[str]

    @property
    def _constructor(self):  # type: ignore[override]
        return SweepFrame

    def _cli_columns(self) -> bool:
        params = getattr(self, "_sx_params", None)
        outputs = getattr(self, "_sx_outputs", None)
        if params is None or outputs is None or self.index.name != "case":
            return False
        expected = list(params) + ["status", "iterations", "residual"] + list(outputs)
        return list(self.columns) == expected

    def cli_csv(self) -> str:
        """The table as the CLI's CSV text (header included)."""
        if not self._cli_columns():
            raise ValueError(
                "cli_csv: the columns are no longer those of an sxforge sweep"
            )
        params: List[str] = list(self._sx_params)
        ints = set(self._sx_ints)
        outputs: List[str] = list(self._sx_outputs)
        cols: List[List[str]] = [[str(int(c)) for c in self.index]]
        for p in params:
            v = self[p].to_numpy()
            if p in ints:
                cols.append([str(int(x)) for x in v])
            else:
                cols.append([_rust_debug(x) for x in v.astype(np.float64)])
        status = [str(s) for s in self["status"]]
        cols.append(status)
        cols.append([str(int(x)) for x in self["iterations"]])
        cols.append(
            ["" if math.isnan(x) else _rust_exp(x, 3) for x in self["residual"].to_numpy(np.float64)]
        )
        invalid = [s == "invalid" for s in status]
        for o in outputs:
            v = self[o].to_numpy(np.float64)
            cols.append(["" if bad else _rust_exp(x, 12) for x, bad in zip(v, invalid)])
        header = ",".join(["case"] + params + ["status", "iterations", "residual"] + outputs)
        lines = [header] + [",".join(row) for row in zip(*cols)]
        return "\n".join(lines) + "\n"

    def to_csv(self, path_or_buf: Any = None, *args: Any, **kwargs: Any) -> Optional[str]:  # type: ignore[override]
        if args or kwargs or not self._cli_columns():
            return super().to_csv(path_or_buf, *args, **kwargs)
        text = self.cli_csv()
        if path_or_buf is None:
            return text
        if isinstance(path_or_buf, (str, os.PathLike)):
            with open(os.fspath(path_or_buf), "w", encoding="utf-8", newline="") as f:
                f.write(text)
        else:
            path_or_buf.write(text)
        return None


def _frame(
    parts: Sequence[_Raw],
    params: List[str],
    ints: List[bool],
    outputs: List[str],
) -> SweepFrame:
    def cat(idx: int, dtype: Any) -> np.ndarray:
        bufs: List[bytes] = [p[idx] for p in parts]  # type: ignore[misc]
        return np.concatenate([np.frombuffer(b, dtype=dtype) for b in bufs]) if bufs else np.empty(0, dtype)

    case = cat(0, np.int64)
    rows = len(case)
    pv = cat(1, np.float64).reshape(rows, len(params))
    ov = cat(5, np.float64).reshape(rows, len(outputs))
    data: Dict[str, Any] = {}
    for j, (p, is_int) in enumerate(zip(params, ints)):
        data[p] = pv[:, j].astype(np.int64) if is_int else pv[:, j].copy()
    data["status"] = [s for p in parts for s in p[2]]
    data["iterations"] = cat(3, np.int64)
    data["residual"] = cat(4, np.float64)
    for j, o in enumerate(outputs):
        data[o] = ov[:, j].copy()
    df = SweepFrame(data, index=pd.Index(case, name="case"))
    df._sx_params = list(params)
    df._sx_ints = [p for p, i in zip(params, ints) if i]
    df._sx_outputs = list(outputs)
    return df


def sweep(
    model: Union[str, "os.PathLike[str]", Mapping[str, Any]],
    client: Any = None,
    shards: Optional[int] = None,
) -> SweepFrame:
    """Runs the model's ``[sweep]`` table (``sxforge sweep``) and returns the
    table as a :class:`SweepFrame` (``df.to_csv(path)`` writes the CLI's
    bytes).

    The cases are split into ``shards`` contiguous shards with the CLI's
    ``--shard i/n`` semantics (results do not depend on the split) and
    mapped over ``client``, a ``dask.distributed.Client`` (a LocalCluster,
    or a dask-jobqueue / dask-kubernetes cluster: the same code), one task
    per shard, each solving its cases on all of its worker's cores with the
    GIL released. The model travels as TOML text, so workers need the
    ``sxforge`` package but not the file. Without a client the shards run in
    this process (one shard by default, on all cores). ``shards`` defaults
    to the client's total threads (at least 1).

    Raises :class:`sxforge.InputError` here, before any task is sent, for a
    bad model or sweep table.
    """
    from . import _source

    text, file = _source(model)
    _total, params, ints, outputs = _native.sweep_info(text, file)
    if client is None:
        n = 1 if shards is None else int(shards)
        if n < 1:
            raise ValueError(f"shards = {n}: expected at least 1")
        if n == 1:
            parts = [_shard(text, file, 1, 1)]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(n, os.cpu_count() or 1)) as ex:
                parts = list(ex.map(lambda i: _shard(text, file, i, n), range(1, n + 1)))
    else:
        if shards is None:
            n = max(1, sum(client.nthreads().values()))
        else:
            n = int(shards)
        if n < 1:
            raise ValueError(f"shards = {n}: expected at least 1")
        futures = client.map(
            _shard,
            [text] * n,
            [file] * n,
            list(range(1, n + 1)),
            [n] * n,
            pure=False,
        )
        parts = client.gather(futures)
    return _frame(parts, params, ints, outputs)


__all__ = ["SweepFrame", "sweep"]
