"""sxforge from Python: countercurrent solvent-extraction cascades.

The solver, planner and designer are the Rust library's (compiled into
``sxforge._native``); results equal the command-line tool's ``--json`` and
CSV output by construction.

>>> import sxforge
>>> r = sxforge.simulate("models/prnd.toml")            # path, TOML text or dict
>>> r.converged, r.aqueous.shape                         # (stages, components)
(True, (37, 2))
>>> r.to_dict()["streams"]["loaded_organic"]["purity"]["Nd"] > 0.99
True

Models are TOML files, TOML text or dicts of the same schema (see the
repository's README); bad input raises :class:`InputError`, a
:class:`ValueError` carrying ``file``, ``line``, ``column``, ``key`` and
``value``. A solve that does not converge is not an error: check
:attr:`Result.converged`. A flowsheet (``[[unit]]`` tables) gives a
:class:`FlowsheetResult` (per-unit :class:`Result` objects in ``.units``).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._native import Flowsheet, InfeasibleError, InputError, Model
from ._solved import _Solved

__all__ = [
    "InputError",
    "InfeasibleError",
    "Model",
    "Flowsheet",
    "FlowsheetResult",
    "Result",
    "Solver",
    "load",
    "simulate",
    "plan",
    "design",
    "cost",
    "sweep",
    "sweep_csv",
    "to_toml",
    "__version__",
]

__version__: str = _native.__version__

ModelLike = Union[str, "os.PathLike[str]", Mapping[str, Any], Model, Flowsheet]


def _source(model: Union[str, "os.PathLike[str]", Mapping[str, Any]], what: str = "model") -> Tuple[str, Optional[str]]:
    """(TOML text, file name or None) of a path, TOML text or dict."""
    if isinstance(model, Mapping):
        return _native.dict_to_toml(dict(model)), None
    if isinstance(model, os.PathLike) or (
        isinstance(model, str) and "\n" not in model and "=" not in model
    ):
        path = os.fspath(model)
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    if isinstance(model, str):
        return model, None
    raise TypeError(
        f"{what}: expected a path, TOML text or a dict, not {type(model).__name__}"
    )


def to_toml(model: Mapping[str, Any]) -> str:
    """TOML text of a model (or plan) given as a dict."""
    return _native.dict_to_toml(dict(model))


def load(model: ModelLike) -> Union[Model, Flowsheet]:
    """Parses and checks a model once, for repeated solves.

    ``model`` is a path (``str`` without ``=`` or newline, or
    :class:`os.PathLike`), TOML text, or a dict of the same schema. A
    flowsheet (``[[unit]]`` tables) gives a :class:`Flowsheet`, any other
    model a :class:`Model`. Raises :class:`InputError` (file, line, key) on
    bad input, as the CLI does; for dicts, ``line`` and ``column`` are
    ``None``.
    """
    if isinstance(model, (Model, Flowsheet)):
        return model
    text, file = _source(model)
    parse = Flowsheet.from_toml if _native.is_flowsheet(text) else Model.from_toml
    if file is None and isinstance(model, Mapping):
        try:
            return parse(text, None)
        except InputError as e:
            # Lines of the generated TOML mean nothing to the caller.
            err = InputError(re.sub(r"^<model>:\d+(:\d+)?:", "<model>:", str(e)))
            err.file, err.line, err.column = None, None, None
            err.key, err.value = e.key, e.value
            raise err from None
    return parse(text, file)


def _array(buf: bytes, shape: Tuple[int, ...]) -> np.ndarray:
    a = np.frombuffer(buf, dtype=np.float64).reshape(shape)
    return a


class Result(_Solved):
    """A solved cascade.

    Attributes are computed on first use. ``to_dict()`` is exactly the object
    that ``sxforge simulate FILE --json`` prints.
    """

    __slots__ = ("_model", "_prof")

    def __init__(self, native: "_native.Solved", model: Model) -> None:
        super().__init__(native)
        self._model = model
        self._prof: Optional[Tuple[np.ndarray, np.ndarray]] = None

    @property
    def status(self) -> str:
        """``converged``, ``max-iterations`` or ``diverged``."""
        return self._d()["status"]

    @property
    def model(self) -> Model:
        """The model that was solved."""
        return self._model

    @property
    def components(self) -> List[str]:
        """Component names (the columns of the profiles)."""
        return self._model.components

    def _profiles(self) -> Tuple[np.ndarray, np.ndarray]:
        if self._prof is None:
            aq, org, n, k = self._r.profiles()
            self._prof = (_array(aq, (n, k)), _array(org, (n, k)))
        return self._prof

    @property
    def aqueous(self) -> np.ndarray:
        """Aqueous stage profile, shape ``(stages, components)``: mol/L for
        volumetric models, amounts otherwise (as in ``to_dict()["stages"]``).
        Row 0 is stage 1."""
        return self._profiles()[0]

    @property
    def organic(self) -> np.ndarray:
        """Organic stage profile, shape ``(stages, components)``."""
        return self._profiles()[1]

    @property
    def ph(self) -> Optional[np.ndarray]:
        """Stage pH, shape ``(stages,)``, for the rigorous models; else None."""
        st = self._d()["stages"]
        if not st or "ph" not in st[0]:
            return None
        return np.array([s["ph"] for s in st], dtype=np.float64)

    @property
    def streams(self) -> Dict[str, Dict[str, Any]]:
        """Product streams by name (``raffinate``, ``loaded_organic``, ...):
        ``phase``, ``stage`` (1-based), and ``amount``, ``purity``,
        ``recovery`` (and ``concentration`` for volumetric models) as arrays
        over :attr:`components`."""
        out: Dict[str, Dict[str, Any]] = {}
        comps = self.components
        for name, s in self._d()["streams"].items():
            d: Dict[str, Any] = {}
            for k, v in s.items():
                d[k] = np.array([v[c] for c in comps], dtype=np.float64) if isinstance(v, dict) else v
            out[name] = d
        return out

    def write_profile(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the stage profile CSV (``simulate --profile``)."""
        self._r.write_profile(os.fspath(path))

    def plot(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Draws the stage profile SVG (``simulate --plot``)."""
        self._r.plot(os.fspath(path))

    def __repr__(self) -> str:
        return (
            f"<sxforge.Result {self._model.name!r}: "
            f"{'converged' if self.converged else 'NOT converged'} "
            f"after {self.iterations} iterations, residual {self.residual:.2e}>"
        )


def simulate(
    model: ModelLike,
    *,
    method: str = "newton",
    tolerance: Optional[float] = None,
    max_rows: Optional[int] = None,
) -> Union[Result, "FlowsheetResult"]:
    """Solves a cascade model for its steady state (``sxforge simulate``).

    ``model``: path, TOML text, dict, :class:`Model` or :class:`Flowsheet`.
    ``method``: ``"newton"``, ``"rows"`` (start-up dynamics row by row,
    separation-factor model) or ``"start-up"`` (start-up dynamics from
    empty stages by implicit steps, mass-action and log-linear models: an
    independent path to the steady state); ``tolerance`` and ``max_rows`` override
    ``[solver]``. A flowsheet (``[[unit]]`` tables) gives a
    :class:`FlowsheetResult` (Newton only; ``tolerance`` applies to the
    recycle iteration and every unit), any other model a :class:`Result`;
    with a ``[cost]`` table, ``to_dict()["cost"]`` is the CLI's cost block.
    The GIL is released while solving. Raises :class:`InputError` on bad
    input; non-convergence is ``converged == False``.
    """
    m = load(model)
    if isinstance(m, Flowsheet):
        if method != "newton":
            err = InputError(f"method = {method!r}: a flowsheet is solved by Newton only")
            err.file, err.line, err.column = m.file, None, None
            err.key, err.value = "method", method
            raise err
        return FlowsheetResult(_native.simulate_flowsheet(m, tolerance), m)
    return Result(_native.simulate(m, method, tolerance, max_rows), m)


class Solver:
    """A reusable solver for loops: keeps its workspace and warm-starts each
    solve from the previous converged solution (``warm=True``; models with
    the same components). Solves release the GIL; use one ``Solver`` per
    thread (a second thread calling the same one while it solves gets a
    ``RuntimeError``).

    >>> s = sxforge.Solver()
    >>> base = sxforge.load("models/prnd.toml")
    >>> for w in (3.30, 3.32, 3.34):
    ...     r = s.solve(base.with_values({"flows.scrub_amount": w}))
    """

    __slots__ = ("_s",)

    def __init__(self, warm: bool = True) -> None:
        self._s = _native.Solver(warm)

    def solve(self, model: ModelLike) -> Result:
        """Solves ``model`` (path, text, dict or :class:`Model`; pass a
        :class:`Model` in tight loops to skip parsing) by Newton."""
        m = model if isinstance(model, Model) else load(model)
        if not isinstance(m, Model):
            raise TypeError("Solver.solve: warm starts are for single cascades; "
                            "solve a flowsheet with sxforge.simulate")
        return Result(self._s.solve(m), m)

    def reset(self) -> None:
        """Forgets the previous solution: the next solve starts cold."""
        self._s.reset()


def plan(
    model: Union[str, "os.PathLike[str]", Mapping[str, Any]],
    *,
    scenario: Optional[str] = None,
    set: Sequence[str] = (),
    compare: bool = False,
    solver: Optional[str] = None,
) -> Dict[str, Any]:
    """Solves a capacity plan (``sxforge plan --json``) and returns its JSON
    object as a dict.

    ``set``: overrides as for ``--set`` (``"policy.max_import_share.Dy=0"``);
    ``scenario`` or ``compare=True`` as the CLI's flags; ``solver``:
    ``auto``, ``clarabel``, ``microlp`` or ``highs``. An infeasible plan is
    reported in the dict (its status), not raised. Raises
    :class:`InputError` on bad input.
    """
    text, file = _source(model, "plan")
    _code, out = _native.plan(text, file or "<plan>", scenario, list(set), compare, solver)
    return json.loads(out)


def cost(model: Union[str, "os.PathLike[str]"]) -> Dict[str, Any]:
    """The cost of a costed cascade, flowsheet or cost file (a path): a
    dict equal to ``sxforge cost FILE --json`` (docs/cost.md).

    Bad input raises :class:`InputError`; a model that does not solve
    raises :class:`RuntimeError` (no cost for an unsolved design).
    """
    return json.loads(_native.cost(os.fspath(model)))


def design(
    model: Union[None, str, "os.PathLike[str]"] = None,
    *,
    components: Sequence[str] = (),
    beta: Sequence[float] = (),
    feed: Sequence[float] = (),
    split: Optional[str] = None,
    feed_phase: Optional[str] = None,
    organic_purity: Optional[float] = None,
    raffinate_purity: Optional[float] = None,
    organic_recovery: Optional[float] = None,
    raffinate_recovery: Optional[float] = None,
    max_stages: Optional[int] = None,
    name: Optional[str] = None,
    write: Union[None, str, "os.PathLike[str]"] = None,
) -> Dict[str, Any]:
    """Designs a binary split (``sxforge design --json``): Xu's shortcut,
    verified by simulation. ``model`` is an optional design file; keywords
    override it as the CLI's flags do. With ``write``, the verified design is
    written there as a model file. Returns the JSON object as a dict (its
    ``verified.feasible`` says whether the targets were met). Raises
    :class:`InputError` on bad input and :class:`InfeasibleError` for
    contradictory targets."""
    file = None if model is None else os.fspath(model)
    out, toml = _native.design(
        file,
        list(components),
        [float(b) for b in beta],
        [float(f) for f in feed],
        split,
        feed_phase,
        organic_purity,
        raffinate_purity,
        organic_recovery,
        raffinate_recovery,
        max_stages,
        name,
    )
    if write is not None and toml is not None:
        with open(os.fspath(write), "w", encoding="utf-8") as f:
            f.write(toml)
    return json.loads(out)


def sweep_csv(model: Union[str, "os.PathLike[str]", Mapping[str, Any]], shard: Tuple[int, int] = (1, 1)) -> str:
    """The exact CSV text of ``sxforge sweep FILE --shard i/n`` (header with
    shard 1 only), computed in this process on all cores."""
    text, file = _source(model)
    return _native.sweep_csv(text, shard[0], shard[1], file, True)


from ._flowsheet import FlowsheetResult  # noqa: E402
from ._sweep import SweepFrame, sweep  # noqa: E402

__all__ += ["SweepFrame"]
