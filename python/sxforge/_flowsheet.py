"""Flowsheets (``[[unit]]`` files): several cascades linked by streams,
with recycles, solved as ``sxforge simulate`` solves them."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Union

import numpy as np

from . import _native
from ._native import Flowsheet
from ._solved import _Solved


class FlowsheetResult(_Solved):
    """A solved flowsheet: what ``sxforge.simulate`` returns for a file with
    ``[[unit]]`` tables.

    ``to_dict()`` is exactly the object that ``sxforge simulate FILE --json``
    prints for it (``products``, ``units``, ``tears``, ``balance_error``,
    ...). ``units`` maps each solved unit's name to a :class:`Result` of its
    own (the cascade with its feed and inlets filled in), so its stage
    profiles are ``result.units["SEG"].aqueous`` and ``.organic``, NumPy
    arrays of shape ``(stages, components)``; that unit's ``to_dict()`` is
    ``to_dict()["units"]["SEG"]`` without its ``inlets``.
    """

    __slots__ = ("_flowsheet", "_units")

    def __init__(self, native: "_native.FlowsheetSolved", flowsheet: Flowsheet) -> None:
        super().__init__(native)
        self._flowsheet = flowsheet
        self._units: Optional[Dict[str, Any]] = None

    @property
    def message(self) -> Optional[str]:
        """Why the solve failed, when it did (the CLI's error line)."""
        return self._r.message

    @property
    def flowsheet(self) -> Flowsheet:
        """The flowsheet that was solved."""
        return self._flowsheet

    @property
    def components(self) -> List[str]:
        """Component names (the order of every per-component array)."""
        return self._flowsheet.components

    @property
    def units(self) -> Dict[str, Any]:
        """The solved units by name, in file order: each a :class:`Result`
        (``.aqueous``, ``.organic``, ``.streams``, ``.converged``, ...).
        Units after a failure that stopped the solve are missing, as in
        ``to_dict()["units"]``."""
        if self._units is None:
            from . import Result

            self._units = {name: Result(solved, model) for name, model, solved in self._r.units()}
        return self._units

    @property
    def products(self) -> Dict[str, Dict[str, Any]]:
        """Product streams (made by a unit, consumed by none) by name
        (``"SEG.raffinate"``): ``phase`` and, as arrays over
        :attr:`components`, ``amount``, ``purity``, ``recovery`` (of the
        flowsheet's external inflow) and ``concentration`` where the stream
        has a volume; ``flow``, ``acid``, ``sulfate`` where known."""
        comps = self.components
        out: Dict[str, Dict[str, Any]] = {}
        for name, s in self._d()["products"].items():
            out[name] = {
                k: np.array([v[c] for c in comps], dtype=np.float64) if isinstance(v, dict) else v
                for k, v in s.items()
            }
        return out

    def write_profile(self, path: Union[str, "os.PathLike[str]"]) -> List[str]:
        """Writes one stage profile CSV per unit (``simulate --profile``:
        the unit's name inserted before the extension); returns the paths
        written."""
        return [os.fspath(p) for p in self._r.write_profile(os.fspath(path))]

    def plot(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Draws the flowsheet diagram SVG (``simulate --plot``)."""
        self._r.plot(os.fspath(path))

    def __repr__(self) -> str:
        return (
            f"<sxforge.FlowsheetResult {self._flowsheet.name!r}: "
            f"{'converged' if self.converged else 'NOT converged'} "
            f"after {self.iterations} outer iterations, {len(self._flowsheet.units)} units>"
        )


__all__ = ["Flowsheet", "FlowsheetResult"]
