"""BIRD 2 configuration model (dialect-specific): tables, protocols with channels,
filters, functions, constants. Built from the syntax tree by build.py; templates are
already resolved (a protocol `from T` holds T's settings, overridden by its own).

Settings that the configuration does not write stay None (or their BIRD default where
the default does not depend on other settings), so that consumers can tell "not
written" from "written as the default"; `BgpProtocol` has helpers for BIRD's derived
defaults (session type, multihop, gateway mode, import/export defaults).
"""

from __future__ import annotations

import copy
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Loc, Unsupported
from podpath.readers.bird import ast as A
from podpath.routing.route import IPAddress, IPNetwork


@dataclass
class Option:
    """One option statement as written: `key` is its leading words (`next hop self`)."""

    key: str
    args: list[A.Word]
    loc: Loc

    def words(self) -> list[str]:
        return self.key.split() + [w.text for w in self.args]


@dataclass
class Filter:
    """A named `filter NAME { ... }` or an inline `filter { ... }` (name None)."""

    name: str | None
    loc: Loc
    vars: list[A.VarDecl]
    body: A.Block

    def __deepcopy__(self, memo: dict[int, Any]) -> "Filter":
        return self  # never changed once built: protocol copies (templates) share it


@dataclass
class Function:
    name: str
    loc: Loc
    params: list[A.Param]
    return_type: str | None
    vars: list[A.VarDecl]
    body: A.Block


@dataclass
class FilterSpec:
    """`import|export all | none | filter NAME | filter { ... } | where EXPR`."""

    kind: str  # all | none | named | inline | where
    loc: Loc
    name: str | None = None
    filter: Filter | None = None  # resolved for named and inline filters
    expr: A.Expr | None = None
    implicit: bool = False  # a default, not written in the configuration

    def describe(self) -> str:
        return {"all": "all", "none": "none", "named": f"filter {self.name}", "inline": "filter { ... }",
                "where": "where ..."}[self.kind]


@dataclass
class Define:
    name: str
    loc: Loc
    value: Any  # BIRD runtime value (values.py)


@dataclass
class Table:
    name: str
    nettype: str  # ipv4 | ipv6 | vpn4 | ...
    loc: Loc | None = None  # None: implicit master4 / master6
    options: dict[str, Option] = field(default_factory=dict)


@dataclass
class Limit:
    value: int | None  # None: `off`
    action: str = "disable"  # warn | block | restart | disable


@dataclass
class Channel:
    afi: str  # ipv4 | ipv6 | ipv4 multicast | vpn6 mpls | ...
    loc: Loc
    table: str | None = None  # None: master4/master6 (resolved by table_name())
    table_loc: Loc | None = None
    import_: FilterSpec | None = None  # None: the protocol's default (see BgpProtocol.import_spec)
    export: FilterSpec | None = None
    import_keep_filtered: bool | None = None
    import_limit: Limit | None = None
    receive_limit: Limit | None = None
    export_limit: Limit | None = None
    preference: int | None = None
    # BGP channels
    next_hop_self: str | None = None  # None (not written) | on | off | ibgp | ebgp
    next_hop_keep: str | None = None
    next_hop_address: IPAddress | None = None
    next_hop_prefer: str | None = None
    extended_next_hop: bool | None = None
    gateway: str | None = None  # direct | recursive
    add_paths: str | None = None  # rx | tx | on | off
    igp_tables: list[str] = field(default_factory=list)
    missing_lladdr: str | None = None
    aigp: str | None = None
    secondary: bool | None = None
    mandatory: bool | None = None
    import_table: bool | None = None
    export_table: bool | None = None
    graceful_restart: bool | None = None
    cost: int | None = None
    options: dict[str, Option] = field(default_factory=dict)

    @property
    def family(self) -> int | None:
        return {"ipv4": 4, "ipv6": 6}.get(self.afi)

    def table_name(self) -> str:
        if self.table:
            return self.table
        base = self.afi.split()[0]
        return {"ipv4": "master4", "ipv6": "master6"}.get(base, f"master_{base}")


@dataclass
class Protocol:
    type: str  # bgp | static | kernel | direct | device | pipe | ospf | bfd | ...
    name: str
    loc: Loc
    template: str | None = None  # `from` parent (a template or a protocol)
    is_template: bool = False
    variant: str | None = None  # ospf v2/v3, rip ng
    disabled: bool = False
    description: str | None = None
    router_id: str | None = None
    vrf: str | None = None
    channels: dict[str, Channel] = field(default_factory=dict)
    options: dict[str, Option] = field(default_factory=dict)
    end: Loc | None = None

    def opt(self, key: str) -> list[str] | None:
        """The words of option `key` as written (`opt("multihop") == ["multihop", "2"]`)."""
        o = self.options.get(key)
        return o.words() if o is not None else None

    def channel(self, family: int | str) -> Channel | None:
        if isinstance(family, int):
            family = {4: "ipv4", 6: "ipv6"}[family]
        return self.channels.get(family)

    def clone(self) -> "Protocol":
        """A deep copy (a protocol `from` this template), sharing what is never changed once built."""
        return _copy(self, {})  # type: ignore[no-any-return]


@dataclass
class BgpProtocol(Protocol):
    local_address: IPAddress | None = None
    local_port: int | None = None
    local_as: int | None = None
    neighbor: IPAddress | None = None
    neighbor_range: IPNetwork | None = None
    neighbor_port: int | None = None
    neighbor_as: int | None = None
    neighbor_kind: str | None = None  # None | internal | external (`neighbor X internal|external`)
    neighbor_loc: Loc | None = None
    interface: str | None = None  # `interface "x"` or `neighbor fe80::1%x`
    source_address: IPAddress | None = None
    multihop: int | None = None  # None: not written (iBGP 64, eBGP direct); 0: `direct`
    passive: bool = False
    hold_time: int = 240
    startup_hold_time: int = 240
    keepalive_time: int | None = None  # None: hold time / 3
    connect_retry_time: int = 120
    connect_delay_time: int = 5
    error_wait_time: tuple[int, int] = (60, 300)
    graceful_restart: str = "aware"  # on | off | aware
    graceful_restart_time: int = 120
    long_lived_graceful_restart: str | None = None
    default_local_pref: int = 100
    default_med: int = 0
    rr_client: bool = False
    rr_cluster_id: str | None = None
    rs_client: bool = False
    confederation: int | None = None
    confederation_member: bool = False
    allow_local_as: int = 0  # -1: `allow local as;` (any number of times)
    allow_bgp_local_pref: bool = False
    allow_bgp_med: bool = False
    allow_as_sets: bool = True
    enforce_first_as: bool = False
    password: str | None = field(default=None, repr=False)  # never printed (podpath.redact)
    bfd: str | None = None  # on | off | graceful | block
    ttl_security: bool = False
    strict_bind: bool = False
    free_bind: bool = False
    check_link: bool | None = None
    enable_route_refresh: bool = True
    enable_as4: bool = True
    capabilities: bool = True
    interpret_communities: bool = True
    deterministic_med: bool = False
    prefer_older: bool = False
    med_metric: bool = False
    igp_metric: bool = True
    path_metric: bool = True
    dynamic_name: str | None = None
    dynamic_name_digits: int | None = None

    @property
    def is_dynamic(self) -> bool:
        return self.neighbor_range is not None

    def remote_as(self) -> int | None:
        """The neighbor AS after BIRD's postconfig (`internal` without AS = local AS)."""
        if not self.neighbor_as and self.neighbor_kind == "internal":
            return self.local_as
        return self.neighbor_as

    def is_internal(self) -> bool:
        return self.local_as is not None and self.local_as == self.remote_as()

    def is_interior(self) -> bool:
        """iBGP or confederation member: import all / export none by default."""
        return self.is_internal() or self.confederation_member

    def effective_multihop(self) -> int:
        """0 for single hop (direct), else the TTL (iBGP default 64)."""
        if self.multihop is not None:
            return self.multihop
        return 64 if self.is_internal() else 0

    def gateway_mode(self, ch: Channel) -> str:
        return ch.gateway or ("recursive" if self.effective_multihop() else "direct")

    def next_hop_keep_mode(self, ch: Channel) -> str:
        if ch.next_hop_keep is not None:
            return ch.next_hop_keep
        return "ibgp" if self.rr_client else ("on" if self.rs_client else "off")

    def import_spec(self, ch: Channel) -> FilterSpec | None:
        """The channel's import filter; BIRD's default for interior sessions; None when
        BIRD refuses the configuration (eBGP without explicit import)."""
        if ch.import_ is not None:
            return ch.import_
        return FilterSpec("all", ch.loc, implicit=True) if self.is_interior() else None

    def export_spec(self, ch: Channel) -> FilterSpec | None:
        if ch.export is not None:
            return ch.export
        return FilterSpec("none", ch.loc, implicit=True) if self.is_interior() else None


@dataclass
class NextHop:
    gw: IPAddress | None
    iface: str | None = None
    weight: int = 1
    onlink: bool = False
    bfd: bool = False
    mpls: list[int] = field(default_factory=list)


@dataclass
class StaticRoute:
    prefix: IPNetwork
    loc: Loc
    kind: str = "unicast"  # unicast | blackhole | unreachable | prohibit | recursive | none
    nexthops: list[NextHop] = field(default_factory=list)
    recursive: IPAddress | None = None
    attrs: A.Block | None = None  # `{ bgp_med = 5; ... }`
    mpls_label: int | None = None

    @property
    def via(self) -> IPAddress | None:
        if self.recursive is not None:
            return self.recursive
        return self.nexthops[0].gw if self.nexthops else None

    @property
    def iface(self) -> str | None:
        return self.nexthops[0].iface if self.nexthops else None


@dataclass
class StaticProtocol(Protocol):
    routes: list[StaticRoute] = field(default_factory=list)
    check_link: bool = False
    igp_tables: list[str] = field(default_factory=list)

    @property
    def statics(self) -> list[StaticRoute]:
        return self.routes


@dataclass
class KernelProtocol(Protocol):
    learn: str = "off"  # off | on | all
    persist: bool = False
    scan_time: int = 60
    kernel_table: int | None = None
    metric: int = 32
    merge_paths: int | None = None  # ECMP limit when on
    graceful_restart: bool = False
    device_routes: bool = False


@dataclass
class IfacePattern:
    pattern: str
    negative: bool = False
    prefix: IPNetwork | None = None

    def matches(self, ifname: str) -> bool:
        from podpath.readers.bird.values import patmatch

        return patmatch(self.pattern, ifname)


def iface_selected(patterns: list[IfacePattern], ifname: str) -> bool:
    """BIRD's iface_patt_match: the first matching pattern decides; none -> not selected.
    No patterns at all selects every interface."""
    if not patterns:
        return True
    for p in patterns:
        if p.matches(ifname):
            return not p.negative
    return False


@dataclass
class DirectProtocol(Protocol):
    interfaces: list[IfacePattern] = field(default_factory=list)
    check_link: bool = False


@dataclass
class DeviceProtocol(Protocol):
    scan_time: int = 60
    interfaces: list[IfacePattern] = field(default_factory=list)


@dataclass
class PipeProtocol(Protocol):
    """Its one channel (key "pipe") holds `table`, `import` (peer -> table) and `export`
    (table -> peer); both default to all."""

    table: str | None = None
    peer_table: str | None = None


@dataclass
class GenericProtocol(Protocol):
    """A protocol kept as its statements (bfd, babel, rip, rpki, radv, ...); OSPF is read from them
    into `ospf` (readers/bird/ospf.py) and simulated by routing/igp.py."""

    items: list[Any] = field(default_factory=list)
    ospf: Any = None  # readers.bird.ospf.BirdOspf for `protocol ospf`


@dataclass
class BirdConfig:
    file: str
    router_id: str | None = None
    router_id_loc: Loc | None = None
    router_id_from: list[IfacePattern] = field(default_factory=list)
    hostname: str | None = None
    defines: dict[str, Define] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    protocols: list[Protocol] = field(default_factory=list)
    templates: dict[str, Protocol] = field(default_factory=dict)
    filters: dict[str, Filter] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    attributes: dict[str, tuple[str, Loc]] = field(default_factory=dict)  # custom `attribute TYPE NAME;`
    options: dict[str, Option] = field(default_factory=dict)  # global: log, debug, timeformat, ...
    unsupported: list[Unsupported] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)  # file -> lines (for traces)
    version_notes: list[tuple[Loc, str]] = field(default_factory=list)  # syntax newer than BIRD 2.0
    version: str | None = None

    def protocol(self, name: str) -> Protocol | None:
        return next((p for p in self.protocols if p.name == name), None)

    def by_type(self, type_: str) -> list[Protocol]:
        return [p for p in self.protocols if p.type == type_]

    def line(self, loc: Loc | None) -> str:
        """The source line at `loc`, stripped (for traces)."""
        if loc is None:
            return ""
        lines = self.sources.get(loc.file) or []
        return lines[loc.line - 1].strip() if 0 < loc.line <= len(lines) else ""

    def summary(self) -> dict[str, Any]:
        return {"router_id": self.router_id,
                "protocols": [f"{p.type} {p.name}" for p in self.protocols],
                "filters": sorted(self.filters), "functions": sorted(self.functions)}


def ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


_SHARED = (str, int, bool, float, type(None), Loc, A.Node, Filter, Function, ipaddress.IPv4Address,
           ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)


# class -> True when its instances are shared by clones (isinstance of _SHARED, decided once per class);
# _SHARED_SEEN: the classes found shared so far (a set test in _copy's field loop, no call)
_SHARED_CLASS: dict[type, bool] = {}
_SHARED_SEEN: set[type] = set()


def _copy(v: Any, memo: dict[int, Any]) -> Any:
    """copy.deepcopy for protocol clones, about ten times faster: immutable values (locations, syntax
    trees, filters, addresses) are shared rather than rebuilt, and the model's own dataclasses are
    copied field by field. Objects reached twice stay one object (like deepcopy's memo)."""
    cls = v.__class__
    shared = _SHARED_CLASS.get(cls)
    if shared is None:
        shared = _SHARED_CLASS[cls] = isinstance(v, _SHARED)
        if shared:
            _SHARED_SEEN.add(cls)
    if shared:
        return v
    got = memo.get(id(v))
    if got is not None:
        return got
    if cls is list:
        out: Any = []
        memo[id(v)] = out
        out.extend(_copy(x, memo) for x in v)
    elif cls is dict:
        out = {}
        memo[id(v)] = out
        for k, x in v.items():
            out[k] = _copy(x, memo)
    elif cls is tuple:
        out = tuple(_copy(x, memo) for x in v)
        memo[id(v)] = out
    elif cls.__module__ == __name__ and hasattr(v, "__dict__") and not hasattr(cls, "__deepcopy__"):
        out = object.__new__(cls)
        memo[id(v)] = out
        d = v.__dict__.copy()
        seen = _SHARED_SEEN
        for k, x in d.items():
            if x.__class__ not in seen:  # most fields hold shared values: no call for them
                d[k] = _copy(x, memo)
        out.__dict__ = d
    else:
        out = copy.deepcopy(v, memo)
    return out
