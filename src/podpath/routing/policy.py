"""One routing-policy model for every dialect.

A policy (an FRR route-map, a BIRD filter, a prefix-list applied to a neighbor,
Cilium's GoBGP import policy) takes a `Route` and a `PolicyContext` and returns a
`PolicyResult`: the verdict, the route as modified, and a trace of the clauses
and statements evaluated, each with its file:line. The trace is what `podpath
explain` shows; `decided_by` is the step that fixed the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol as TypingProtocol

from podpath.diagnostics import Loc
from podpath.routing.route import IPAddress, Route


class Verdict(str, Enum):
    ACCEPT = "accept"
    REJECT = "reject"


class Direction(str, Enum):
    IMPORT = "import"
    EXPORT = "export"


@dataclass(frozen=True)
class PolicyContext:
    """What a policy may know besides the route: the session it is applied on."""

    direction: Direction = Direction.IMPORT
    local_as: int | None = None
    peer_as: int | None = None
    peer_address: IPAddress | None = None
    local_address: IPAddress | None = None
    ibgp: bool | None = None
    protocol_name: str | None = None  # BIRD protocol evaluating the filter
    router_id: str | None = None
    vrf: str | None = None


@dataclass(frozen=True)
class TraceStep:
    """One evaluated clause or statement. `effect` is a short machine-readable tag:
    'match', 'no-match', 'set', 'accept', 'reject', 'continue', 'call', 'return',
    'error', 'default', 'note'."""

    loc: Loc | None
    text: str
    effect: str

    def to_json(self) -> dict[str, object]:
        return {
            "location": self.loc.to_json() if self.loc else None,
            "text": self.text,
            "effect": self.effect,
        }


@dataclass(frozen=True)
class PolicyResult:
    verdict: Verdict
    route: Route
    trace: tuple[TraceStep, ...] = ()
    decided_by: TraceStep | None = None
    errors: tuple[str, ...] = field(default=())

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPT

    @classmethod
    def of(cls, verdict: Verdict, route: Route, trace: tuple[TraceStep, ...], decided_by: TraceStep | None,
           errors: tuple[str, ...]) -> "PolicyResult":
        """The same as the constructor, without a frozen dataclass's per-field __setattr__ (the
        policy cache makes one per hit)."""
        r = object.__new__(cls)
        r.__dict__.update(verdict=verdict, route=route, trace=trace, decided_by=decided_by, errors=errors)
        return r


class Policy(TypingProtocol):
    """Anything that decides on a route: route-maps, BIRD filters, built-in policies."""

    name: str

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult: ...


def policy_key(policy: object) -> object:
    """What decides whether two policy objects behave the same: their `key` when they declare
    one (a structural key: same statements, locations aside), else the object itself. Update
    groups, shared imports and cohorts only share work between equal keys."""
    k = getattr(policy, "key", None)
    return ("id", id(policy)) if k is None else k


_KEY_IDS: dict[object, int] = {}


def policy_id(policy: object) -> object:
    """`policy_key` made cheap to hash: a small int per distinct structural key (interned, and
    remembered on the object), else the object's identity (valid while it lives)."""
    pid = getattr(policy, "_policy_id", None)
    if pid is not None:
        return pid
    k = getattr(policy, "key", None)
    if k is None:
        return ("id", id(policy))
    pid = _KEY_IDS.setdefault(k, len(_KEY_IDS))
    try:
        policy._policy_id = pid  # type: ignore[attr-defined]
    except AttributeError:
        pass
    return pid


def context_free(policy: object) -> bool:
    """The policy reads the route only, never the session (see PolicyContext)."""
    return bool(getattr(policy, "trivial", False) or getattr(policy, "context_free", False))
