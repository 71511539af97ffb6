"""RIB entries shared by the simulator and the daemon behaviours."""

from __future__ import annotations

from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.routing.policy import PolicyResult
from podpath.routing.route import IPAddress, Route


@dataclass
class Path:
    """One candidate path in a speaker's table."""

    route: Route
    source: str  # "local", "session:<id>", "leak:<speaker id>"
    local: bool = False
    ibgp: bool = False
    valid: bool = True
    why_invalid: str = ""
    peer_address: IPAddress | None = None
    peer_router_id: str | None = None
    peer_name: str | None = None  # the receiving speaker's peer config name (BIRD protocol)
    from_rr_client: bool = False
    single_hop_if: str | None = None  # interface of a single-hop session it came over
    ll_host: str | None = None  # IPv6: next hop via the link-local of this host (FRR installs that)
    how: str = ""
    loc: Loc | None = None
    leaked: bool = False
    unreachable: bool = False  # BIRD recursive next hop that resolves nowhere

    def ident(self) -> tuple[object, ...]:
        return (self.source, self.route, self.valid, self.unreachable)


@dataclass
class Decision:
    """Why a route was or was not taken at one step (what `podpath explain` prints)."""

    speaker: str
    stage: str  # originate | export | import | best | kernel | leak
    accepted: bool
    text: str
    loc: Loc | None = None
    policy: PolicyResult | None = None
    peer: str | None = None
    route: Route | None = None
    extra: dict[str, str] = field(default_factory=dict)
