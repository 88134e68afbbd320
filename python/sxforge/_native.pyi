"""Type stubs of the compiled module ``sxforge._native`` (PyO3)."""

from typing import Any, Dict, List, Optional, Tuple

__version__: str

class InputError(ValueError):
    """Bad input; names where and what."""

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    key: Optional[str]
    value: Optional[str]

class InfeasibleError(RuntimeError):
    """Targets that no design can meet."""

class Model:
    """A checked cascade model."""

    @staticmethod
    def from_toml(text: str, file: Optional[str] = None) -> "Model": ...
    @property
    def name(self) -> str: ...
    @property
    def components(self) -> List[str]: ...
    @property
    def stages(self) -> int: ...
    @property
    def chemistry(self) -> str: ...
    @property
    def file(self) -> Optional[str]: ...
    def with_values(self, values: Dict[str, float]) -> "Model": ...

class Solved:
    @property
    def converged(self) -> bool: ...
    @property
    def iterations(self) -> int: ...
    @property
    def residual(self) -> float: ...
    def json(self) -> str: ...
    def text(self) -> str: ...
    def profiles(self) -> Tuple[bytes, bytes, int, int]: ...
    def write_profile(self, path: str) -> None: ...
    def plot(self, path: str) -> None: ...

class Solver:
    def __init__(self, warm: bool = True) -> None: ...
    def solve(self, model: Model) -> Solved: ...
    def reset(self) -> None: ...

def dict_to_toml(d: Dict[str, Any]) -> str: ...
def cost(model: str) -> str: ...
def simulate(
    model: Model,
    method: str = "newton",
    tolerance: Optional[float] = None,
    max_rows: Optional[int] = None,
) -> Solved: ...
def plan(
    text: str,
    file: str,
    scenario: Optional[str] = None,
    set: List[str] = ...,
    compare: bool = False,
    solver: Optional[str] = None,
) -> Tuple[int, str]: ...
def design(
    file: Optional[str] = None,
    components: List[str] = ...,
    beta: List[float] = ...,
    feed: List[float] = ...,
    split: Optional[str] = None,
    feed_phase: Optional[str] = None,
    organic_purity: Optional[float] = None,
    raffinate_purity: Optional[float] = None,
    organic_recovery: Optional[float] = None,
    raffinate_recovery: Optional[float] = None,
    max_stages: Optional[int] = None,
    name: Optional[str] = None,
) -> Tuple[str, Optional[str]]: ...
def sweep_info(text: str, file: Optional[str] = None) -> Tuple[int, List[str], List[bool], List[str]]: ...
def sweep_shard(
    text: str, i: int, n: int, file: Optional[str] = None
) -> Tuple[bytes, bytes, List[str], bytes, bytes, bytes]: ...
def sweep_csv(
    text: str, i: int = 1, n: int = 1, file: Optional[str] = None, header: bool = True
) -> str: ...
def _time_solves(model: Model, n: int) -> float: ...
