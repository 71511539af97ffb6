"""What a repair operator proposes, and the registry of operators.

An operator is a function `RepairContext -> Iterable[Candidate]`, registered with `@operator(name)`. It must
derive its candidates from the model and the simulation's evidence (which pod route is lost where, by which
clause; which session is down and why), never from names or numbers of an example. Verification (re-simulation)
decides whether a candidate is kept; `intent` only ranks the verified ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from podpath.diagnostics import Loc
from podpath.repair.edit import Patch

if TYPE_CHECKING:
    from podpath.checks import Report
    from podpath.snapshot import Snapshot


@dataclass(frozen=True)
class Candidate:
    """A proposed repair. `mistake` is the first sentence a user reads: what they got wrong, in their terms
    ("prefix-list PL-PODS seq 5 permits 10.48.0.0/16 only as a /16: the nodes announce /24s, it needs
    `le 24`"). `fix` says the edit in one line ("add `le 24` to ip prefix-list PL-PODS seq 5")."""

    operator: str  # the registered operator's name, e.g. "frr.prefix-list-length"
    patch: Patch
    mistake: str
    fix: str
    locations: tuple[Loc, ...] = ()
    intent: int = 0  # evidence that this is what the author meant (near-miss closeness); higher ranks first
    targets: tuple[str, ...] = ()  # finding ids (Finding.id) this candidate is meant to resolve, if known
    evidence: tuple[str, ...] = ()  # why the operator thinks so (the near-miss: "seq 5 contains the address")


@dataclass
class RepairContext:
    """What operators see: the loaded snapshot (model + simulation, cached on it), the baseline report, and
    the files' texts to compute edits against."""

    snap: "Snapshot"
    report: "Report"
    extra: dict[str, object] = field(default_factory=dict)  # shared caches between operators

    @property
    def texts(self) -> dict[str, str]:
        return self.snap.texts

    def line(self, file: str, line: int) -> str:
        """Line `line` (1-based) of `file`, without its end of line ('' when out of range)."""
        lines = self.snap.texts.get(file, "").splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


Operator = Callable[[RepairContext], Iterable[Candidate]]
OPERATORS: dict[str, Operator] = {}


def operator(name: str) -> Callable[[Operator], Operator]:
    """Register a repair operator under a stable name ("<dialect>.<what it changes>")."""

    def deco(func: Operator) -> Operator:
        if name in OPERATORS:
            raise ValueError(f"repair operator {name} registered twice")
        OPERATORS[name] = func
        return func

    return deco


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: how near a written value (community, label, AS) is to the one meant."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
