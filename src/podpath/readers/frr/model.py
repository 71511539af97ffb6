"""Vendor-specific model of an FRR configuration (`frr.conf` / `show running-config`).

Everything the reader keeps carries the `Loc` of the line that configured it, so
that a policy trace or a finding can cite `file:line`. Values that FRR treats as
"not configured" are `None` (peer-group inheritance and version-dependent
defaults both need to tell "unset" from "set to the default").
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Union

from podpath.diagnostics import Loc, Unsupported
from podpath.routing.route import Community, ExtCommunity, IPAddress, IPNetwork, LargeCommunity
from podpath.util import is_digits

IPInterface = Union[ipaddress.IPv4Interface, ipaddress.IPv6Interface]


# --------------------------------------------------------------------------------------------- basics

@dataclass(frozen=True, order=True)
class AfKey:
    """An address family as FRR names it: `ipv4 unicast`, `ipv6 unicast`, `l2vpn evpn`..."""

    afi: str  # ipv4 | ipv6 | l2vpn
    safi: str  # unicast | multicast | vpn | labeled-unicast | flowspec | evpn

    @property
    def family(self) -> int | None:
        return {"ipv4": 4, "ipv6": 6}.get(self.afi)

    def __str__(self) -> str:
        return f"{self.afi} {self.safi}"


IPV4_UNICAST = AfKey("ipv4", "unicast")
IPV6_UNICAST = AfKey("ipv6", "unicast")
L2VPN_EVPN = AfKey("l2vpn", "evpn")


@dataclass(frozen=True)
class Ref:
    """A reference by name to a policy object (route-map, prefix-list, ...), with where it was written."""

    name: str
    loc: Loc


# --------------------------------------------------------------------------------------------- filters

@dataclass
class PrefixListEntry:
    seq: int
    action: str  # permit | deny
    prefix: IPNetwork
    ge: int = 0  # 0 = not given (FRR stores "absent" as 0 too)
    le: int = 0
    any: bool = False
    loc: Loc = field(default_factory=lambda: Loc(""))

    def matches(self, net: IPNetwork) -> bool:
        """FRR's entry match: `net` inside the entry prefix; exact length when neither
        ge nor le is given, otherwise ge <= len <= le (each bound only if given)."""
        p = self.prefix
        if net.version != p.version or net.prefixlen < p.prefixlen:
            return False
        if p.prefixlen and (int(net.network_address) >> (p.max_prefixlen - p.prefixlen)) != (
                int(p.network_address) >> (p.max_prefixlen - p.prefixlen)):
            return False
        if not self.le and not self.ge:
            return net.prefixlen == p.prefixlen
        if self.le and net.prefixlen > self.le:
            return False
        if self.ge and net.prefixlen < self.ge:
            return False
        return True

    @property
    def text(self) -> str:
        what = "any" if self.any else str(self.prefix)
        if not self.any:
            if self.ge:
                what += f" ge {self.ge}"
            if self.le:
                what += f" le {self.le}"
        return f"seq {self.seq} {self.action} {what}"


@dataclass
class PrefixList:
    name: str
    family: int  # 4 (`ip prefix-list`) or 6 (`ipv6 prefix-list`)
    loc: Loc
    entries: list[PrefixListEntry] = field(default_factory=list)  # kept sorted by seq
    description: str | None = None

    @property
    def keyword(self) -> str:
        return "ip prefix-list" if self.family == 4 else "ipv6 prefix-list"


@dataclass
class AccessListEntry:
    """`access-list NAME permit 10.0.0.0/8 [exact-match]` (zebra style) or the Cisco
    style `access-list NAME permit A.B.C.D WILDCARD` / `... ip SRC SMASK DST DMASK`."""

    seq: int
    action: str
    family: int
    loc: Loc
    prefix: IPNetwork | None = None  # zebra style; None with any=True
    exact: bool = False
    any: bool = False
    cisco: bool = False
    addr: int = 0  # cisco: address and wildcard as integers
    wildcard: int = 0
    extended: bool = False
    mask: int = 0  # cisco extended: destination (used as netmask) and its wildcard
    mask_wildcard: int = 0

    def matches(self, net: IPNetwork) -> bool:
        if self.cisco:
            if net.version != 4:
                return False
            check = int(net.network_address) & ~self.wildcard & 0xFFFFFFFF
            if check != self.addr:
                return False
            if self.extended:
                netmask = int(net.netmask) & ~self.mask_wildcard & 0xFFFFFFFF
                return netmask == self.mask
            return True
        if net.version != self.family:
            return False
        if self.any:
            return True
        assert self.prefix is not None
        if self.exact and net.prefixlen != self.prefix.prefixlen:
            return False
        return net.prefixlen >= self.prefix.prefixlen and net.subnet_of(self.prefix)  # type: ignore[arg-type]


@dataclass
class AccessList:
    name: str
    family: int
    loc: Loc
    entries: list[AccessListEntry] = field(default_factory=list)
    remark: str | None = None


@dataclass
class CommunityListEntry:
    """One entry of a (large/extended) community list. Standard entries hold a set of
    values (all must be present); expanded entries hold a regex over the string form."""

    seq: int
    action: str
    style: str  # standard | expanded
    loc: Loc
    text: str  # values or regex as written (normalised spaces)
    values: frozenset = frozenset()  # Community | LargeCommunity | ExtCommunity
    regex: str | None = None  # FRR regex (after parsing); see readers.frr.regex


@dataclass
class CommunityList:
    name: str
    kind: str  # community | large-community | extcommunity
    style: str  # standard | expanded (FRR refuses to mix them in one list)
    loc: Loc
    entries: list[CommunityListEntry] = field(default_factory=list)

    @property
    def keyword(self) -> str:
        return f"bgp {self.kind}-list {self.style} {self.name}"


@dataclass
class AsPathListEntry:
    seq: int
    action: str
    regex: str
    loc: Loc


@dataclass
class AsPathList:
    name: str
    loc: Loc
    entries: list[AsPathListEntry] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- route-maps

@dataclass
class RouteMapMatch:
    """`match ...`: `kind` is the command without its argument (e.g. `ipv6 address
    prefix-list`, `large-community`); `value` the parsed argument."""

    kind: str
    value: object
    text: str
    loc: Loc


@dataclass
class RouteMapSet:
    kind: str  # e.g. local-preference, community, as-path prepend, ipv6 next-hop global
    value: object
    text: str
    loc: Loc


@dataclass
class RouteMapClause:
    route_map: str
    action: str  # permit | deny
    seq: int
    loc: Loc
    matches: list[RouteMapMatch] = field(default_factory=list)
    sets: list[RouteMapSet] = field(default_factory=list)
    call: Ref | None = None
    exit_policy: str | None = None  # None (exit) | next | goto
    goto: int | None = None
    exit_loc: Loc | None = None
    description: str | None = None

    @property
    def text(self) -> str:
        return f"route-map {self.route_map} {self.action} {self.seq}"


@dataclass
class RouteMap:
    name: str
    loc: Loc
    clauses: dict[int, RouteMapClause] = field(default_factory=dict)
    optimization: bool = True  # `no route-map NAME optimization` turns it off
    optimization_loc: Loc | None = None

    def ordered(self) -> list[RouteMapClause]:
        """Clauses by sequence number (FRR ignores the order in the file)."""
        return [self.clauses[s] for s in sorted(self.clauses)]


# --------------------------------------------------------------------------------------------- zebra side

@dataclass
class OspfIfSettings:
    """`ip ospf ...` (OSPFv2) or `ipv6 ospf6 ...` (OSPFv3) on one interface; None = not set."""

    loc: Loc  # the first such statement
    area: str | None = None  # dotted quad
    area_loc: Loc | None = None
    cost: int | None = None
    network: str | None = None  # broadcast | point-to-point | non-broadcast | point-to-multipoint
    hello: int | None = None
    dead: int | None = None
    passive: bool | None = None
    mtu_ignore: bool = False
    priority: int | None = None
    locs: dict[str, Loc] = field(default_factory=dict)  # setting -> line


@dataclass
class VrrpRouter:
    """`vrrp N ...` in an interface block (vrrpd): one virtual router on the interface."""

    vrid: int
    loc: Loc
    version: int = 3
    priority: int = 100  # vrrpd's default
    priority_loc: Loc | None = None
    preempt: bool = True
    shutdown: bool = False
    addresses: list[tuple[IPAddress, Loc]] = field(default_factory=list)


@dataclass
class Interface:
    name: str
    loc: Loc
    vrf: str | None = None
    addresses: list[tuple[IPInterface, Loc]] = field(default_factory=list)
    description: str | None = None
    shutdown: bool = False
    mtu: int | None = None
    vrrp: dict[int, VrrpRouter] = field(default_factory=dict)
    bandwidth: int | None = None  # kbit/s (`bandwidth`), for OSPF's auto-cost
    ospf: dict[int, OspfIfSettings] = field(default_factory=dict)  # 2: `ip ospf`, 3: `ipv6 ospf6`


@dataclass
class Vrf:
    name: str
    loc: Loc
    vni: int | None = None
    vni_loc: Loc | None = None


@dataclass
class StaticRoute:
    """`ip route` / `ipv6 route` (top level or inside `vrf NAME`)."""

    prefix: IPNetwork
    loc: Loc
    vrf: str | None = None  # None = default VRF
    nexthop: IPAddress | None = None
    interface: str | None = None
    blackhole: bool = False
    reject: bool = False
    distance: int = 1
    tag: int | None = None
    nexthop_vrf: str | None = None
    table: int | None = None
    label: str | None = None
    onlink: bool = False
    color: int | None = None
    source: IPNetwork | None = None  # ipv6 route ... from SRC


# --------------------------------------------------------------------------------------------- bgp

@dataclass
class NeighborAf:
    """Per address-family neighbor settings; `None` means "not configured here"
    (the peer-group's value or FRR's default applies)."""

    activate: bool | None = None
    route_map_in: Ref | None = None
    route_map_out: Ref | None = None
    prefix_list_in: Ref | None = None
    prefix_list_out: Ref | None = None
    filter_list_in: Ref | None = None
    filter_list_out: Ref | None = None
    distribute_list_in: Ref | None = None
    distribute_list_out: Ref | None = None
    unsuppress_map: Ref | None = None
    next_hop_self: str | None = None  # "" = off (explicit no), self | force | all
    route_reflector_client: bool | None = None
    route_server_client: bool | None = None
    allowas_in: int | str | None = None  # 0 = off, N, or "origin"
    as_override: bool | None = None
    remove_private_as: str | None = None  # "" off | "" | all | replace-AS | all replace-AS
    maximum_prefix: int | None = None
    maximum_prefix_options: tuple[str, ...] = ()
    maximum_prefix_out: int | None = None
    default_originate: bool | None = None
    default_originate_route_map: Ref | None = None
    soft_reconfiguration_inbound: bool | None = None
    send_community: bool | None = None  # standard
    send_community_large: bool | None = None
    send_community_extended: bool | None = None
    attribute_unchanged: frozenset[str] | None = None  # as-path / next-hop / med
    weight: int | None = None
    addpath_tx: str | None = None
    nexthop_local_unchanged: bool | None = None
    capability_orf: str | None = None
    soo: str | None = None
    locs: dict[str, Loc] = field(default_factory=dict)  # field name -> line that set it

    FIELDS = ("activate", "route_map_in", "route_map_out", "prefix_list_in", "prefix_list_out", "filter_list_in",
              "filter_list_out", "distribute_list_in", "distribute_list_out", "unsuppress_map", "next_hop_self",
              "route_reflector_client", "route_server_client", "allowas_in", "as_override", "remove_private_as",
              "maximum_prefix", "maximum_prefix_options", "maximum_prefix_out", "default_originate",
              "default_originate_route_map", "soft_reconfiguration_inbound", "send_community", "send_community_large",
              "send_community_extended", "attribute_unchanged", "weight", "addpath_tx", "nexthop_local_unchanged",
              "capability_orf", "soo")


@dataclass
class Neighbor:
    """A configured neighbor (address, interface for BGP unnumbered) or a peer-group.
    Fields left `None` inherit from the peer-group (see `BgpInstance.effective`)."""

    name: str
    kind: str  # address | interface | peer-group
    loc: Loc
    address: IPAddress | None = None
    scope: str | None = None  # interface the session is bound to: fe80::1%eth0, `X interface IF`, unnumbered `IF interface`
    v6only: bool = False
    peer_group: str | None = None
    remote_as: int | None = None
    remote_as_mode: str | None = None  # number | internal | external | auto
    local_as: int | None = None
    local_as_no_prepend: bool = False
    local_as_replace_as: bool = False
    local_as_dual_as: bool = False
    update_source: str | None = None  # address or interface name
    ebgp_multihop: int | None = None  # TTL (255 when given without a number)
    ttl_security: int | None = None
    disable_connected_check: bool | None = None
    capability_extended_nexthop: bool | None = None
    capability_dynamic: bool | None = None
    passive: bool | None = None
    shutdown: bool | None = None
    password: str | None = None
    timers: tuple[int, int] | None = None  # keepalive, hold
    connect_timer: int | None = None
    description: str | None = None
    bfd: bool | None = None
    enforce_first_as: bool | None = None
    port: int | None = None
    solo: bool | None = None
    advertisement_interval: int | None = None
    sender_as_path_loop_detection: bool | None = None
    dont_capability_negotiate: bool | None = None
    local_role: str | None = None
    afs: dict[AfKey, NeighborAf] = field(default_factory=dict)
    default_afs: frozenset[AfKey] = frozenset()  # activated by `bgp default ...` when created
    locs: dict[str, Loc] = field(default_factory=dict)

    FIELDS = ("remote_as", "remote_as_mode", "local_as", "local_as_no_prepend", "local_as_replace_as",
              "local_as_dual_as", "update_source", "ebgp_multihop", "ttl_security", "disable_connected_check",
              "capability_extended_nexthop", "capability_dynamic", "passive", "shutdown", "password", "timers",
              "connect_timer", "description", "bfd", "enforce_first_as", "port", "solo", "advertisement_interval",
              "sender_as_path_loop_detection", "dont_capability_negotiate", "local_role")

    @property
    def is_group(self) -> bool:
        return self.kind == "peer-group"

    def af(self, key: AfKey) -> NeighborAf:
        a = self.afs.get(key)
        if a is None:
            a = self.afs[key] = NeighborAf()
        return a

    def active(self, key: AfKey) -> bool:
        a = self.afs.get(key)
        if a is not None and a.activate is not None:
            return a.activate
        return key in self.default_afs

    def __repr__(self) -> str:  # never print the password
        return f"Neighbor({self.name!r}, {self.kind}, remote_as={self.remote_as or self.remote_as_mode})"


@dataclass
class ListenRange:
    prefix: IPNetwork
    peer_group: str
    loc: Loc


@dataclass
class Network:
    prefix: IPNetwork
    loc: Loc
    route_map: Ref | None = None
    backdoor: bool = False
    label_index: int | None = None


@dataclass
class Aggregate:
    prefix: IPNetwork
    loc: Loc
    summary_only: bool = False
    as_set: bool = False
    route_map: Ref | None = None
    origin: str | None = None
    matching_med_only: bool = False
    suppress_map: Ref | None = None


@dataclass
class Redistribute:
    source: str  # connected | static | kernel | ospf | ospf6 | isis | rip | ripng | babel | sharp | table | ...
    loc: Loc
    instance: int | None = None  # ospf N / table N
    route_map: Ref | None = None
    metric: int | None = None


@dataclass
class BgpAf:
    """`address-family X Y` of one BGP instance (for ipv4 unicast, also the lines written
    directly under `router bgp`)."""

    key: AfKey
    loc: Loc
    networks: list[Network] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    redistributes: list[Redistribute] = field(default_factory=list)
    import_vrfs: list[Ref] = field(default_factory=list)
    import_vrf_route_map: Ref | None = None
    maximum_paths: int | None = None
    maximum_paths_ibgp: int | None = None
    maximum_paths_ibgp_equal_cluster_length: bool = False
    distance: tuple[int, int, int] | None = None  # ebgp ibgp local
    table_map: Ref | None = None
    rd_vpn: str | None = None
    rt_vpn_import: tuple[str, ...] = ()
    rt_vpn_export: tuple[str, ...] = ()
    label_vpn: str | None = None
    export_vpn: bool = False
    import_vpn: bool = False
    route_map_vpn_import: Ref | None = None
    route_map_vpn_export: Ref | None = None
    evpn_advertise: dict[int, Ref | None] = field(default_factory=dict)  # l2vpn evpn `advertise ipvX unicast [route-map]`
    locs: dict[str, Loc] = field(default_factory=dict)


@dataclass
class BgpInstance:
    """`router bgp ASN [vrf NAME | view NAME]`."""

    asn: int
    loc: Loc
    vrf: str = "default"
    view: bool = False
    router_id: ipaddress.IPv4Address | None = None
    default_ipv4_unicast: bool | None = None  # None: FRR default (on)
    default_ipv6_unicast: bool | None = None
    default_local_pref: int | None = None
    ebgp_requires_policy: bool | None = None  # None: profile/version default
    network_import_check: bool | None = None
    network_import_check_exact: bool = False
    deterministic_med: bool | None = None
    always_compare_med: bool | None = None
    log_neighbor_changes: bool | None = None
    suppress_fib_pending: bool | None = None
    suppress_duplicates: bool | None = None
    reject_as_sets: bool | None = None
    enforce_first_as: bool | None = None
    client_to_client_reflection: bool | None = None
    rr_allow_outbound_policy: bool | None = None
    bestpath_as_path_ignore: bool = False
    bestpath_as_path_confed: bool = False
    bestpath_as_path_multipath_relax: bool = False
    bestpath_compare_routerid: bool = False
    bestpath_med_confed: bool = False
    bestpath_med_missing_as_worst: bool = False
    bestpath_peer_type_multipath_relax: bool = False
    cluster_id: str | None = None
    confederation_id: int | None = None
    confederation_peers: tuple[int, ...] = ()
    timers: tuple[int, int] | None = None  # keepalive, hold
    listen_limit: int | None = None
    listen_ranges: list[ListenRange] = field(default_factory=list)
    neighbors: dict[str, Neighbor] = field(default_factory=dict)  # includes peer-groups
    afs: dict[AfKey, BgpAf] = field(default_factory=dict)
    locs: dict[str, Loc] = field(default_factory=dict)

    @property
    def peer_groups(self) -> dict[str, Neighbor]:
        return {n: x for n, x in self.neighbors.items() if x.is_group}

    def af(self, key: AfKey, loc: Loc | None = None) -> BgpAf:
        a = self.afs.get(key)
        if a is None:
            a = self.afs[key] = BgpAf(key, loc or self.loc)
        return a

    def find_neighbor(self, name_or_address: str) -> Neighbor | None:
        """A configured neighbor or peer-group by name, or the peer-group whose
        `bgp listen range` covers an address (how FRR configures a dynamic peer)."""
        n = self.neighbors.get(name_or_address)
        if n is not None:
            return n
        try:
            addr = ipaddress.ip_address(name_or_address.split("%")[0])
        except ValueError:
            return None
        for n in self.neighbors.values():
            if n.address == addr and not n.is_group:
                return n
        best: ListenRange | None = None
        for r in self.listen_ranges:
            if addr.version == r.prefix.version and addr in r.prefix:
                if best is None or r.prefix.prefixlen > best.prefix.prefixlen:
                    best = r
        return self.neighbors.get(best.peer_group) if best else None

    def effective(self, neighbor: Neighbor | str) -> Neighbor:
        """The neighbor as FRR runs it: its own settings, and for everything it leaves
        unset, its peer-group's. Per address family too. Activation follows the group
        (FRR copies the group's activated families when a member binds)."""
        n = self.find_neighbor(neighbor) if isinstance(neighbor, str) else neighbor
        if n is None:
            raise KeyError(f"no neighbor or peer-group {neighbor!r} in router bgp {self.asn} vrf {self.vrf}")
        g = self.neighbors.get(n.peer_group) if n.peer_group else None
        if g is None or n.is_group:
            return n
        out = Neighbor(n.name, n.kind, n.loc, address=n.address, scope=n.scope, v6only=n.v6only,
                       peer_group=n.peer_group,
                       default_afs=frozenset(k for k in set(g.afs) | set(g.default_afs) if g.active(k)))
        out.locs = {**g.locs, **n.locs}
        for f in Neighbor.FIELDS:
            mine = getattr(n, f)
            setattr(out, f, mine if mine not in (None, False) or f in n.locs else getattr(g, f))
        for key in set(n.afs) | set(g.afs):
            mine_af, grp_af = n.afs.get(key), g.afs.get(key)
            merged = NeighborAf()
            for f in NeighborAf.FIELDS:
                v = getattr(mine_af, f) if mine_af is not None else None
                if v is None or v == ():
                    v = getattr(grp_af, f) if grp_af is not None else None
                if v is not None:
                    setattr(merged, f, v)
            merged.locs = {**(grp_af.locs if grp_af else {}), **(mine_af.locs if mine_af else {})}
            if mine_af is None or mine_af.activate is None:
                merged.activate = g.active(key) or None
            out.afs[key] = merged
        return out

    def is_ebgp(self, n: Neighbor, peer_as: int | None = None) -> bool | None:
        """True for eBGP, False for iBGP, None when it depends on the peer's OPEN."""
        mode = n.remote_as_mode
        if mode == "internal":
            return False
        if mode == "external":
            return True
        if mode == "number" and n.remote_as is not None:
            local = n.local_as or self.asn
            return n.remote_as != local and n.remote_as != self.asn
        if peer_as is not None:
            return peer_as != self.asn
        return None


# --------------------------------------------------------------------------------------------- whole file

@dataclass
class OspfArea:
    area: str  # dotted quad
    loc: Loc
    kind: str = "normal"  # normal | stub | nssa
    no_summary: bool = False
    default_cost: int | None = None


@dataclass
class OspfRedistribute:
    source: str  # connected | static | kernel | bgp | ...
    loc: Loc
    metric: int | None = None
    metric_type: int = 2
    route_map: Ref | None = None


@dataclass
class OspfDefaultOriginate:
    loc: Loc
    always: bool = False
    metric: int | None = None
    metric_type: int = 2
    route_map: Ref | None = None


@dataclass
class OspfInstance:
    """`router ospf` (version 2) or `router ospf6` (version 3) of the default VRF."""

    version: int
    loc: Loc
    router_id: str | None = None
    router_id_loc: Loc | None = None
    networks: list[tuple[IPNetwork, str, Loc]] = field(default_factory=list)  # `network P area A` (v2)
    interfaces: dict[str, tuple[str, Loc]] = field(default_factory=dict)  # ospf6 `interface X area A` (FRR < 9)
    passive_default: bool = False
    passive_default_loc: Loc | None = None
    passive: dict[str, tuple[bool, Loc]] = field(default_factory=dict)  # `[no] passive-interface IF`
    redistributes: list[OspfRedistribute] = field(default_factory=list)
    default_originate: OspfDefaultOriginate | None = None
    areas: dict[str, OspfArea] = field(default_factory=dict)
    ref_bandwidth: int = 100  # Mbit/s (`auto-cost reference-bandwidth`)
    ref_bandwidth_loc: Loc | None = None
    distance: int | None = None
    distance_loc: Loc | None = None


@dataclass
class FrrConfig:
    file: str
    version: str | None = None
    version_loc: Loc | None = None
    profile: str = "traditional"  # `frr defaults`; Debian/upstream builds default to traditional
    profile_loc: Loc | None = None
    hostname: str | None = None
    hostname_loc: Loc | None = None
    interfaces: dict[str, Interface] = field(default_factory=dict)
    vrfs: dict[str, Vrf] = field(default_factory=dict)
    static_routes: list[StaticRoute] = field(default_factory=list)
    bgp: dict[str, BgpInstance] = field(default_factory=dict)  # by VRF name ("default")
    route_maps: dict[str, RouteMap] = field(default_factory=dict)
    prefix_lists: dict[tuple[int, str], PrefixList] = field(default_factory=dict)  # (4|6, name)
    access_lists: dict[tuple[int, str], AccessList] = field(default_factory=dict)
    community_lists: dict[str, CommunityList] = field(default_factory=dict)
    large_community_lists: dict[str, CommunityList] = field(default_factory=dict)
    ext_community_lists: dict[str, CommunityList] = field(default_factory=dict)
    as_path_lists: dict[str, AsPathList] = field(default_factory=dict)
    nht_resolve_via_default: dict[int, Loc] = field(default_factory=dict)  # family -> line
    nht_no_resolve_via_default: dict[int, Loc] = field(default_factory=dict)  # `no ip[v6] nht resolve-via-default`
    ospf: dict[int, OspfInstance] = field(default_factory=dict)  # 2: router ospf, 3: router ospf6
    unsupported: list[Unsupported] = field(default_factory=list)

    def prefix_list(self, family: int, name: str) -> PrefixList | None:
        return self.prefix_lists.get((family, name))

    def instance(self, vrf: str | None = None) -> BgpInstance | None:
        return self.bgp.get(vrf or "default")

    def defaults(self):  # -> BgpDefaults (imported lazily: defaults.py imports nothing from here)
        from podpath.readers.frr.defaults import bgp_defaults

        return bgp_defaults(self.version, self.profile)


# Values FRR prints for well-known communities, in the community string used by regexes.
WELL_KNOWN_NAMES: dict[int, str] = {
    0x00000000: "internet",
    0xFFFF0000: "graceful-shutdown",
    0xFFFF0001: "accept-own",
    0xFFFF0002: "route-filter-translated-v4",
    0xFFFF0003: "route-filter-v4",
    0xFFFF0004: "route-filter-translated-v6",
    0xFFFF0005: "route-filter-v6",
    0xFFFF0006: "llgr-stale",
    0xFFFF0007: "no-llgr",
    0xFFFF0008: "accept-own-nexthop",
    0xFFFF029A: "blackhole",
    0xFFFFFF01: "no-export",
    0xFFFFFF02: "no-advertise",
    0xFFFFFF03: "local-AS",
    0xFFFFFF04: "no-peer",
}
WELL_KNOWN_VALUES: dict[str, int] = {v: k for k, v in WELL_KNOWN_NAMES.items()}


def community_str(c: Community) -> str:
    """One community as FRR writes it (`65000:100`, `no-export`)."""
    v = (c[0] << 16) | c[1]
    name = WELL_KNOWN_NAMES.get(v)
    return name if name is not None else f"{c[0]}:{c[1]}"


def communities_str(cs: frozenset[Community] | set[Community]) -> str:
    """The community attribute string FRR matches expanded lists against: values in
    ascending numeric order (FRR keeps the attribute sorted), space separated."""
    return " ".join(community_str(c) for c in sorted(cs))


def large_communities_str(cs: frozenset[LargeCommunity] | set[LargeCommunity]) -> str:
    return " ".join(f"{a}:{b}:{c}" for a, b, c in sorted(cs))


_EXT_TYPE_ORDER = {"rt": 2, "soo": 3}


def ext_sort_key(e: ExtCommunity) -> tuple[int, int, int, int]:
    """Approximates FRR's byte order of extended communities: type (AS2 < IPv4 < AS4
    administrators), then subtype (RT before SoO), then administrator and value."""
    admin = e.admin
    if "." in admin:
        kind, adm = 1, int(ipaddress.IPv4Address(admin))
    else:
        adm = int(admin) if is_digits(admin) else 0
        kind = 0 if adm <= 0xFFFF else 2
    return (kind, _EXT_TYPE_ORDER.get(e.kind, 9), adm, e.value)


def ext_community_str(e: ExtCommunity) -> str:
    tag = {"rt": "RT", "soo": "SoO"}.get(e.kind, e.kind)
    return f"{tag}:{e.admin}:{e.value}"


def ext_communities_str(cs: frozenset[ExtCommunity] | set[ExtCommunity]) -> str:
    return " ".join(ext_community_str(e) for e in sorted(cs, key=ext_sort_key))
