"""What a solved cascade and a solved flowsheet share: the native result,
its JSON contract (text cached, dicts fresh) and its text report."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional


class _Solved:
    """Base of :class:`Result` and :class:`FlowsheetResult`."""

    __slots__ = ("_r", "_json", "_dict")

    def __init__(self, native: Any) -> None:
        self._r = native
        self._json: Optional[str] = None
        self._dict: Optional[Dict[str, Any]] = None

    @property
    def converged(self) -> bool:
        """Whether the solve reached its tolerance (for a flowsheet: every
        unit and the recycle iteration)."""
        return self._r.converged

    @property
    def iterations(self) -> int:
        """Newton iterations (those of the implicit steps too for
        ``method="start-up"``; rows for ``method="rows"``; outer recycle
        iterations for a flowsheet)."""
        return self._r.iterations

    @property
    def residual(self) -> float:
        """Largest relative stage imbalance (for a flowsheet: largest
        relative change of a torn stream in the last iteration)."""
        return self._r.residual

    def to_json(self) -> str:
        """The JSON result contract as compact text."""
        if self._json is None:
            self._json = self._r.json()
        return self._json

    def to_dict(self) -> Dict[str, Any]:
        """The JSON result contract as a dict (a fresh copy each call), equal
        to what ``sxforge simulate FILE --json`` prints."""
        return json.loads(self.to_json())

    def _d(self) -> Dict[str, Any]:
        if self._dict is None:
            self._dict = json.loads(self.to_json())
        return self._dict

    def __str__(self) -> str:
        return self._r.text()
