"""RIB entries shared by the simulator and the daemon behaviours."""

from __future__ import annotations

from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.routing.policy import PolicyResult
from podpath.routing.route import IPAddress, Route


_PATH_ATTRS = ("local", "ibgp", "valid", "why_invalid", "peer_address", "peer_router_id", "peer_name",
               "from_rr_client", "single_hop_if", "ll_host", "how", "loc", "leaked", "unreachable")


class PathAttrs:
    """Everything of a `Path` but its route and source. Immutable once made, and shared by the
    paths that one update (the same route from the same neighbour, imported the same way)
    gives on many speakers: a path is then three references."""

    __slots__ = _PATH_ATTRS

    def __init__(self, local: bool, ibgp: bool, valid: bool, why_invalid: str, peer_address: IPAddress | None,
                 peer_router_id: str | None, peer_name: str | None, from_rr_client: bool, single_hop_if: str | None,
                 ll_host: str | None, how: str, loc: Loc | None, leaked: bool, unreachable: bool) -> None:
        self.local = local
        self.ibgp = ibgp
        self.valid = valid
        self.why_invalid = why_invalid
        self.peer_address = peer_address
        self.peer_router_id = peer_router_id
        self.peer_name = peer_name
        self.from_rr_client = from_rr_client
        self.single_hop_if = single_hop_if
        self.ll_host = ll_host
        self.how = how
        self.loc = loc
        self.leaked = leaked
        self.unreachable = unreachable

    def values(self) -> tuple[object, ...]:
        return tuple(getattr(self, f) for f in _PATH_ATTRS)


class Path:
    """One candidate path in a speaker's table.

    Fields: route, source ("local", "session:<id>", "leak:<speaker id>"), local, ibgp, valid,
    why_invalid, peer_address, peer_router_id, peer_name (the receiving speaker's peer config name,
    BIRD protocol), from_rr_client, single_hop_if (interface of a single-hop session it came over),
    ll_host (IPv6: next hop via the link-local of this host, FRR installs that), how, loc, leaked,
    unreachable (BIRD recursive next hop that resolves nowhere). All but route and source live in a
    `PathAttrs` that paths may share (`Path.with_source`)."""

    __slots__ = ("route", "source", "attrs")
    __hash__ = None  # type: ignore[assignment]  # like the dataclass it replaces: mutable, compared by value

    def __init__(self, route: Route, source: str, local: bool = False, ibgp: bool = False, valid: bool = True,
                 why_invalid: str = "", peer_address: IPAddress | None = None, peer_router_id: str | None = None,
                 peer_name: str | None = None, from_rr_client: bool = False, single_hop_if: str | None = None,
                 ll_host: str | None = None, how: str = "", loc: Loc | None = None, leaked: bool = False,
                 unreachable: bool = False) -> None:
        self.route = route
        self.source = source
        self.attrs = PathAttrs(local, ibgp, valid, why_invalid, peer_address, peer_router_id, peer_name,
                               from_rr_client, single_hop_if, ll_host, how, loc, leaked, unreachable)

    @classmethod
    def with_source(cls, template: "Path", source: str) -> "Path":
        """The same path (same route, same shared attributes) under another source."""
        p = object.__new__(cls)
        p.route = template.route
        p.source = source
        p.attrs = template.attrs
        return p

    local = property(lambda self: self.attrs.local)
    ibgp = property(lambda self: self.attrs.ibgp)
    valid = property(lambda self: self.attrs.valid)
    why_invalid = property(lambda self: self.attrs.why_invalid)
    peer_address = property(lambda self: self.attrs.peer_address)
    peer_router_id = property(lambda self: self.attrs.peer_router_id)
    peer_name = property(lambda self: self.attrs.peer_name)
    from_rr_client = property(lambda self: self.attrs.from_rr_client)
    single_hop_if = property(lambda self: self.attrs.single_hop_if)
    ll_host = property(lambda self: self.attrs.ll_host)
    how = property(lambda self: self.attrs.how)
    loc = property(lambda self: self.attrs.loc)
    leaked = property(lambda self: self.attrs.leaked)
    unreachable = property(lambda self: self.attrs.unreachable)

    def ident(self) -> tuple[object, ...]:
        a = self.attrs
        return (self.source, self.route, a.valid, a.unreachable)

    def _values(self) -> tuple[object, ...]:
        return (self.route, self.source) + self.attrs.values()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self is other or self._values() == other._values()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        names = ("route", "source") + _PATH_ATTRS
        return "Path(" + ", ".join(f"{n}={v!r}" for n, v in zip(names, self._values())) + ")"


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
