"""RIB entries shared by the simulator and the daemon behaviours."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from typing import TypeVar

from podpath.diagnostics import Loc
from podpath.routing.policy import PolicyResult
from podpath.routing.route import IPAddress, IPNetwork, Route

V = TypeVar("V")


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


class PrefixIndex:
    """The prefixes of one simulation, in order (family, address, length), each with its position."""

    __slots__ = ("prefixes", "index")

    def __init__(self, prefixes: Iterable[IPNetwork]) -> None:
        self.prefixes: list[IPNetwork] = sorted(set(prefixes), key=lambda p: (p.version, int(p.network_address),
                                                                          p.prefixlen))
        self.index: dict[IPNetwork, int] = {p: i for i, p in enumerate(self.prefixes)}


class PrefixTable(Mapping[IPNetwork, V]):
    """A read-only mapping prefix -> value for one speaker, in prefix order.

    Filled in prefix order by the simulator (`_append`); stored as two arrays (positions in the
    shared `PrefixIndex`, values), so that a million-route result costs two pointers per route
    and the simulator never hashes a prefix. Lookups hash the prefix once and bisect."""

    __slots__ = ("_u", "_idx", "_vals")

    def __init__(self, universe: PrefixIndex) -> None:
        self._u = universe
        self._idx: list[int] = []
        self._vals: list[V] = []

    def _append(self, i: int, value: V) -> None:
        assert not self._idx or self._idx[-1] < i
        self._idx.append(i)
        self._vals.append(value)

    def _pos(self, key: object) -> int:
        try:
            i = self._u.index.get(key)  # type: ignore[call-overload]
        except TypeError:  # unhashable
            return -1
        if i is None:
            return -1
        idx = self._idx
        j = bisect_left(idx, i)
        return j if j < len(idx) and idx[j] == i else -1

    def __getitem__(self, key: IPNetwork) -> V:
        j = self._pos(key)
        if j < 0:
            raise KeyError(key)
        return self._vals[j]

    def __contains__(self, key: object) -> bool:
        return self._pos(key) >= 0

    def get(self, key: IPNetwork, default: object = None) -> V | None:  # type: ignore[override]
        j = self._pos(key)
        return self._vals[j] if j >= 0 else default  # type: ignore[return-value]

    def __iter__(self) -> Iterator[IPNetwork]:
        pf = self._u.prefixes
        return (pf[i] for i in self._idx)

    def __len__(self) -> int:
        return len(self._idx)

    def items(self) -> "_Items[V]":  # type: ignore[override]
        return _Items(self)

    def values(self) -> "_Values[V]":  # type: ignore[override]
        return _Values(self)

    def entries(self) -> Iterator[tuple[int, V]]:
        """(position in the PrefixIndex, value), in prefix order."""
        return zip(self._idx, self._vals)

    def __repr__(self) -> str:
        return "PrefixTable({" + ", ".join(f"{k!r}: {v!r}" for k, v in self.items()) + "})"


class _Items(ItemsView):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[tuple[IPNetwork, object]]:
        t = self._mapping
        pf = t._u.prefixes
        return ((pf[i], v) for i, v in zip(t._idx, t._vals))


class _Values(ValuesView):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[object]:
        return iter(self._mapping._vals)


class CohortTable(Mapping[IPNetwork, V]):
    """One cohort member's table (see `sim._Cohort`): the member's own entries where it was
    simulated on its own (`own`; None there means "nothing", hiding the shared state), else its
    cohorts' shared state (one cohort per address family), whose template paths are given the
    member's sources when read. Costs nothing per (member, prefix) until read."""

    __slots__ = ("_u", "_own", "_parts", "_best")

    def __init__(self, own: PrefixTable[V | None], parts: list[tuple[PrefixTable[object], tuple[str, ...]]],
                 best: bool) -> None:
        self._u = own._u
        self._own = own
        self._parts = parts  # (shared table, the member's source per slot position), in family order
        self._best = best  # values are best paths rather than path lists

    def _materialise(self, d: object, src: tuple[str, ...]) -> V:
        cands, i = d  # type: ignore[misc]
        if self._best:
            pos, tmpl = cands[i]
            return Path.with_source(tmpl, src[pos])  # type: ignore[return-value]
        return [Path.with_source(t, src[pos]) for pos, t in cands]  # type: ignore[return-value]

    def get(self, key: IPNetwork, default: object = None) -> V | None:  # type: ignore[override]
        j = self._own._pos(key)
        if j >= 0:
            v = self._own._vals[j]
            return default if v is None else v  # type: ignore[return-value]
        for t, src in self._parts:
            j = t._pos(key)
            if j >= 0:
                return self._materialise(t._vals[j], src)
        return default  # type: ignore[return-value]

    def __getitem__(self, key: IPNetwork) -> V:
        v = self.get(key, _ABSENT)
        if v is _ABSENT:
            raise KeyError(key)
        return v  # type: ignore[return-value]

    def __contains__(self, key: object) -> bool:
        return self.get(key, _ABSENT) is not _ABSENT  # type: ignore[arg-type]

    def entries(self) -> Iterator[tuple[int, V]]:
        """(position in the PrefixIndex, value), in prefix order."""
        oi, ov = self._own._idx, self._own._vals
        di = [i for t, _ in self._parts for i in t._idx]
        dv = [(v, src) for t, src in self._parts for v in t._vals]
        a = b = 0
        while a < len(oi) or b < len(di):
            if b >= len(di) or (a < len(oi) and oi[a] <= di[b]):
                if b < len(di) and oi[a] == di[b]:
                    b += 1
                if ov[a] is not None:
                    yield oi[a], ov[a]  # type: ignore[misc]
                a += 1
            else:
                yield di[b], self._materialise(*dv[b])
                b += 1

    def __iter__(self) -> Iterator[IPNetwork]:
        pf = self._u.prefixes
        return (pf[i] for i, _ in self.entries())

    def __len__(self) -> int:
        own = self._own
        n = sum(1 for v in own._vals if v is not None)
        mine = set(own._idx)
        for t, _ in self._parts:
            n += len(t._idx) - (sum(1 for i in t._idx if i in mine) if mine else 0)
        return n

    def items(self) -> ItemsView[IPNetwork, V]:
        pf = self._u.prefixes
        return [(pf[i], v) for i, v in self.entries()]  # type: ignore[return-value]

    def values(self) -> ValuesView[V]:
        return [v for _, v in self.entries()]  # type: ignore[return-value]

    def __repr__(self) -> str:
        return "CohortTable({" + ", ".join(f"{k!r}: {v!r}" for k, v in self.items()) + "})"


_ABSENT = object()
