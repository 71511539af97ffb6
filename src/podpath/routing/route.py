"""The route that flows through every routing policy, whatever its dialect.

A `Route` is immutable: a policy returns a modified copy (`Route.replace`) so that
the input of each hop stays available for explanation. Attributes that may be
absent on the wire (LOCAL_PREF, MED, ...) are `None` when absent, because both
FRR and BIRD distinguish "not set" from "set to the default".
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field
from enum import Enum
from typing import Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class Origin(str, Enum):
    """BGP ORIGIN attribute; ordering is the best-path preference (IGP best)."""

    IGP = "igp"
    EGP = "egp"
    INCOMPLETE = "incomplete"

    @property
    def rank(self) -> int:
        return {"igp": 0, "egp": 1, "incomplete": 2}[self.value]


class Protocol(str, Enum):
    """Where a route came from, in the terms both daemons use for matching."""

    BGP = "bgp"
    STATIC = "static"
    CONNECTED = "connected"  # BIRD: direct
    KERNEL = "kernel"
    OSPF = "ospf"
    AGGREGATE = "aggregate"
    OTHER = "other"


class RouteDest(str, Enum):
    UNICAST = "unicast"
    BLACKHOLE = "blackhole"
    UNREACHABLE = "unreachable"
    PROHIBIT = "prohibit"


@dataclass(frozen=True, order=True)
class AsPathSegment:
    """AS_SEQUENCE (`set_=False`) or AS_SET (`set_=True`)."""

    asns: tuple[int, ...]
    set_: bool = False

    @property
    def length(self) -> int:
        # RFC 4271 9.1.2.2: an AS_SET counts as one, whatever its size.
        return 1 if self.set_ else len(self.asns)


@dataclass(frozen=True, order=True)
class AsPath:
    segments: tuple[AsPathSegment, ...] = ()

    @classmethod
    def of(cls, *asns: int) -> "AsPath":
        return cls((AsPathSegment(tuple(asns)),) if asns else ())

    @property
    def length(self) -> int:
        return sum(s.length for s in self.segments)

    def asns(self) -> tuple[int, ...]:
        """Every ASN in path order (sets flattened in stored order)."""
        return tuple(a for s in self.segments for a in s.asns)

    @property
    def first(self) -> int | None:
        """Neighbouring AS: first ASN of the first AS_SEQUENCE, if the path starts with one."""
        if self.segments and not self.segments[0].set_ and self.segments[0].asns:
            return self.segments[0].asns[0]
        return None

    @property
    def last(self) -> int | None:
        """Origin AS: last ASN of a final AS_SEQUENCE (None if the path ends in an AS_SET)."""
        if self.segments and not self.segments[-1].set_ and self.segments[-1].asns:
            return self.segments[-1].asns[-1]
        return None

    def prepend(self, *asns: int) -> "AsPath":
        if not asns:
            return self
        if self.segments and not self.segments[0].set_:
            head = AsPathSegment(tuple(asns) + self.segments[0].asns)
            return AsPath((head,) + self.segments[1:])
        return AsPath((AsPathSegment(tuple(asns)),) + self.segments)

    def contains(self, asn: int) -> int:
        """How many times `asn` occurs (for loop detection with allowas-in)."""
        return self.counts().get(asn, 0)

    def counts(self) -> dict[int, int]:
        """ASN -> occurrences, computed once per path (paths are immutable). Do not modify."""
        c = self.__dict__.get("_counts")
        if c is None:
            c = {}
            for a in self.asns():
                c[a] = c.get(a, 0) + 1
            self.__dict__["_counts"] = c
        return c

    def __str__(self) -> str:
        parts = []
        for s in self.segments:
            text = " ".join(str(a) for a in s.asns)
            parts.append("{" + text.replace(" ", ",") + "}" if s.set_ else text)
        return " ".join(parts)


Community = tuple[int, int]  # (high 16 bits, low 16 bits), e.g. 65000:100
LargeCommunity = tuple[int, int, int]


@dataclass(frozen=True, order=True)
class ExtCommunity:
    """Extended community, e.g. kind='rt', admin='65000', value=100."""

    kind: str
    admin: str
    value: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.admin}:{self.value}"


WELL_KNOWN_COMMUNITIES: dict[str, Community] = {
    "no-export": (0xFFFF, 0xFF01),
    "no-advertise": (0xFFFF, 0xFF02),
    "local-as": (0xFFFF, 0xFF03),  # NO_EXPORT_SUBCONFED
    "no-peer": (0xFFFF, 0xFF04),
    "blackhole": (0xFFFF, 0x029A),
    "graceful-shutdown": (0xFFFF, 0x0000),
    "accept-own": (0xFFFF, 0x0001),
    "llgr-stale": (0xFFFF, 0x0006),
    "no-llgr": (0xFFFF, 0x0007),
}


@dataclass(frozen=True)
class Route:
    """One path for one prefix, with every attribute a policy can read or write."""

    prefix: IPNetwork
    protocol: Protocol = Protocol.BGP
    next_hop: IPAddress | None = None
    next_hop_ll: ipaddress.IPv6Address | None = None  # IPv6 link-local next hop (MP_REACH second NH)
    as_path: AsPath = AsPath()
    communities: frozenset[Community] = frozenset()
    large_communities: frozenset[LargeCommunity] = frozenset()
    ext_communities: frozenset[ExtCommunity] = frozenset()
    local_pref: int | None = None
    med: int | None = None
    origin: Origin = Origin.IGP
    weight: int = 0  # FRR-local
    tag: int | None = None
    metric: int | None = None  # IGP/kernel metric of non-BGP routes
    preference: int | None = None  # BIRD route preference / admin distance
    dest: RouteDest = RouteDest.UNICAST
    ifname: str | None = None
    source_name: str | None = None  # BIRD protocol name, FRR "redistribute" source
    peer: IPAddress | None = None  # neighbour the route was received from
    originator_id: ipaddress.IPv4Address | None = None
    cluster_list: tuple[ipaddress.IPv4Address, ...] = ()
    atomic_aggregate: bool = False
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def family(self) -> int:
        return self.prefix.version

    @property
    def as_path_len(self) -> int:
        """The AS path's length (RFC 4271: a set counts as one), read on its own by filters that
        only compare it (`bgp_path.len`): a policy result keyed by what it read then holds for
        every path of that length (ReadTracked)."""
        return self.as_path.length

    def replace(self, **changes: object) -> "Route":
        """A modified copy. Bypasses dataclasses.replace (which re-runs __init__): this is the
        simulator's hottest call. Unknown field names are still refused."""
        new = object.__new__(Route)
        d = new.__dict__
        d.update(self.__dict__)
        d.pop("_h", None)
        for k, v in changes.items():
            if k not in d or k == "_h":
                raise TypeError(f"Route has no field {k!r}")
            d[k] = v
        return new

    # Routes are keys of the policy cache and compared on every update: the hash is computed once
    # (the fields are immutable), equality starts with identity and the cached hashes.
    def __hash__(self) -> int:
        d = self.__dict__
        h = d.get("_h")
        if h is None:
            h = d["_h"] = hash(tuple([d[n] for n in _ROUTE_CMP]))
        return h

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if other.__class__ is not Route:
            return NotImplemented
        if hash(self) != hash(other):
            return False
        a, b = self.__dict__, other.__dict__
        return all(a[n] == b[n] for n in _ROUTE_CMP)

    def __getstate__(self) -> dict[str, object]:
        d = dict(self.__dict__)
        d.pop("_h", None)  # string hashes differ between processes
        return d

    def key(self) -> tuple[int, int, int]:
        """Sort key: family, network address, prefix length."""
        return (self.prefix.version, int(self.prefix.network_address), self.prefix.prefixlen)

    def to_json(self) -> dict[str, object]:
        """A stable, comparable rendering used by tests, the lab and `podpath routes`."""
        out: dict[str, object] = {
            "prefix": str(self.prefix),
            "protocol": self.protocol.value,
            "next_hop": str(self.next_hop) if self.next_hop is not None else None,
            "as_path": str(self.as_path),
            "origin": self.origin.value,
            "local_pref": self.local_pref,
            "med": self.med,
            "communities": [f"{a}:{b}" for a, b in sorted(self.communities)],
            "large_communities": [f"{a}:{b}:{c}" for a, b, c in sorted(self.large_communities)],
            "ext_communities": [str(e) for e in sorted(self.ext_communities)],
        }
        if self.next_hop_ll is not None:
            out["next_hop_ll"] = str(self.next_hop_ll)
        if self.dest is not RouteDest.UNICAST:
            out["dest"] = self.dest.value
        if self.tag is not None:
            out["tag"] = self.tag
        if self.weight:
            out["weight"] = self.weight
        return out


_ROUTE_CMP = tuple(f.name for f in dataclasses.fields(Route) if f.compare)
_ROUTE_FIELDS = frozenset(f.name for f in dataclasses.fields(Route))


class ReadTracked(Route):
    """A Route that records which of its fields a policy reads and which it sets, through
    every copy `replace` makes (routing.daemons.PolicyCache: a policy's result holds for
    every route equal to this one on the fields it read). Hashing or comparing it counts as
    reading every field."""

    def __getattribute__(self, name: str) -> object:
        if name in _ROUTE_FIELDS:
            d = object.__getattribute__(self, "__dict__")
            d["_rw"][0].add(name)
            return d[name]
        if name == "family":  # the address family alone, not the prefix (kernel protocols per family)
            d = object.__getattribute__(self, "__dict__")
            d["_rw"][0].add(name)
            return d["prefix"].version
        if name == "as_path_len":  # the length alone, not the path
            d = object.__getattribute__(self, "__dict__")
            d["_rw"][0].add(name)
            return d["as_path"].length
        return object.__getattribute__(self, name)

    @classmethod
    def of(cls, route: Route) -> "ReadTracked":
        new = object.__new__(cls)
        d = new.__dict__
        d.update(route.__dict__)
        d.pop("_h", None)
        d["_rw"] = (set(), set())
        return new

    def replace(self, **changes: object) -> "Route":
        d = object.__getattribute__(self, "__dict__")
        for k in changes:
            if k not in _ROUTE_FIELDS:
                raise TypeError(f"Route has no field {k!r}")
        d["_rw"][1].update(changes)
        new = object.__new__(ReadTracked)
        nd = new.__dict__
        nd.update(d)
        nd.pop("_h", None)
        nd.update(changes)
        return new

    def plain(self) -> Route:
        """The same route, untracked."""
        new = object.__new__(Route)
        d = new.__dict__
        d.update(object.__getattribute__(self, "__dict__"))
        d.pop("_h", None)
        del d["_rw"]
        return new

    def __hash__(self) -> int:
        d = object.__getattribute__(self, "__dict__")
        d["_rw"][0].update(_ROUTE_FIELDS)
        return hash(tuple([d[n] for n in _ROUTE_CMP]))

    def __eq__(self, other: object) -> bool:
        d = object.__getattribute__(self, "__dict__")
        d["_rw"][0].update(_ROUTE_FIELDS)
        if not isinstance(other, Route):
            return NotImplemented
        od = object.__getattribute__(other, "__dict__")
        if isinstance(other, ReadTracked):
            od["_rw"][0].update(_ROUTE_FIELDS)
        return all(d[n] == od[n] for n in _ROUTE_CMP)

    def __ne__(self, other: object) -> bool:
        r = self.__eq__(other)
        return r if r is NotImplemented else not r
