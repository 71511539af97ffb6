"""The underlay IGP: OSPFv2 and OSPFv3 (FRR ospfd/ospf6d, BIRD `protocol ospf v2|v3`).

Simulated before BGP, because BGP sessions between loopbacks and BGP next hops depend
on it. Per process (one host, one daemon, one OSPF version):

1. interfaces in areas, with cost, network type, hello/dead intervals, MTU, passive;
2. adjacencies over shared L2 segments: same area, same area type (stub/NSSA flags),
   same hello and dead intervals, the same network type, a common subnet (OSPFv2
   broadcast), MTU accepted (or `mtu-ignore`), neither side passive. A broadcast
   segment whose routers are adjacent becomes a transit network (a pseudonode, as the
   DR's network LSA); a point-to-point link joins the two routers directly;
3. per area, SPF (Dijkstra with equal-cost next hops) over the router and network
   "LSAs" built from 1-2: intra-area routes (transit networks, stub networks,
   loopbacks as host routes);
4. area border routers (attached to the backbone and another area) summarise routes
   into the other areas (none into a stub/NSSA area with `no-summary`, which gets a
   default instead; a stub area always gets a default);
5. AS-external routes (type 1 and type 2) from ASBRs (`redistribute`, `default-information
   originate`, BIRD export filters), not flooded into stub or NSSA areas;
6. route choice: intra-area, then inter-area, then E1, then E2 (by type-2 metric, then
   the distance to the ASBR).

The result (`IgpResult`) holds each process's OSPF routing table (compared with the real
daemons by `podpath lab`) and the kernel routes the host installs from it, with the
daemon's preference (FRR distance 110 against connected 0 / static 1; BIRD preference 150
against static 200 and direct 240, then the kernel protocol's export filter).
"""

from __future__ import annotations

import heapq
import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable

from podpath.diagnostics import Loc
from podpath.model.cluster import KernelRoute
from podpath.routing.network import Network
from podpath.routing.route import IPAddress, IPNetwork

BACKBONE = "0.0.0.0"
_REMOTE_ONLY = "#remote-only"  # a stub only the other routers route to (an address of the router's own interface)
LSINFINITY = 0xFFFFFF


@dataclass
class OspfIface:
    """One interface of one OSPF process."""

    ifname: str
    area: str
    cost: int
    network: str  # broadcast | point-to-point | loopback
    hello: int
    dead: int
    passive: bool
    loc: Loc  # the statement that put the interface into OSPF
    prefixes: list[Any] = field(default_factory=list)  # IPv4Interface/IPv6Interface (global scope)
    mtu: int | None = None
    mtu_ignore: bool = False
    priority: int = 1
    stub_cost: int | None = None  # cost of the interface's own prefix when it differs (loopback)
    host_route: bool = False  # advertise the addresses as host routes (/32, /128): loopbacks
    also_host_routes: bool = False  # and each address as a /128 of cost 0 (FRR 9+ ospf6d, point-to-point)


@dataclass
class External:
    """A route an ASBR injects (type-5 LSA)."""

    prefix: IPNetwork
    metric: int
    metric_type: int  # 1 | 2
    how: str
    loc: Loc | None = None
    tag: int = 0
    racy: str = ""  # why whether the daemon advertises it depends on timing (kept in the simulation)


@dataclass
class OspfArea:
    area: str
    kind: str = "normal"  # normal | stub | nssa
    no_summary: bool = False
    default_cost: int = 1
    loc: Loc | None = None


@dataclass
class OspfProcess:
    """One OSPF instance on one host, vendor-independent."""

    host: str
    daemon: str  # "frr" | "bird"
    version: int  # 2 | 3
    name: str  # "ospf" / "ospf6" (FRR), the protocol name (BIRD)
    router_id: str | None
    loc: Loc
    interfaces: list[OspfIface] = field(default_factory=list)
    areas: dict[str, OspfArea] = field(default_factory=dict)
    externals: list[External] = field(default_factory=list)
    preference: int = 110  # FRR administrative distance / BIRD preference
    ecmp: bool = True
    kernel_metric: int = 20  # metric of the kernel routes
    kernel_proto: str = "ospf"
    # BIRD: the kernel protocol's export filter decides what reaches the kernel (None: nothing).
    kernel_filter: Callable[["IgpRoute"], bool] | None = None
    install: bool = True  # FRR: zebra installs the selected routes
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.host}/{self.name}"

    @property
    def family(self) -> int:
        return 4 if self.version == 2 else 6

    def area(self, a: str) -> OspfArea:
        return self.areas.get(a) or OspfArea(a)


@dataclass(frozen=True)
class NextHop:
    gateway: IPAddress | None  # None: directly connected (or an IPv6 link-local we cannot name)
    ifname: str
    via_host: str | None = None  # the neighbour (for link-local next hops)


@dataclass
class IgpRoute:
    prefix: IPNetwork
    kind: str  # intra | inter | ext1 | ext2
    metric: int  # the OSPF cost (for ext2: the distance to the ASBR, as BIRD's metric1)
    nexthops: tuple[NextHop, ...]
    area: str | None
    process: str  # process id
    metric2: int | None = None  # type-2 external metric
    via: str = ""  # what the route is: "area 0.0.0.0", "summary from ABR X", "external from ASBR Y"
    loc: Loc | None = None

    @property
    def connected(self) -> bool:
        return all(nh.gateway is None and nh.via_host is None for nh in self.nexthops)

    def describe(self) -> str:
        m = f"{self.metric}" if self.metric2 is None else f"{self.metric2} (type 2, {self.metric} to the ASBR)"
        hops = ", ".join(f"via {nh.gateway or nh.via_host} dev {nh.ifname}" if (nh.gateway or nh.via_host)
                         else f"dev {nh.ifname}" for nh in self.nexthops)
        return f"{self.prefix} {self.kind} metric {m} {hops}"


@dataclass
class Adjacency:
    version: int
    a: str  # process id
    a_if: str
    b: str
    b_if: str
    up: bool
    reason: str = ""
    loc: Loc | None = None


@dataclass
class IgpResult:
    processes: dict[str, OspfProcess] = field(default_factory=dict)
    routes: dict[str, list[IgpRoute]] = field(default_factory=dict)  # process id -> its OSPF routing table
    kernel: dict[str, list[KernelRoute]] = field(default_factory=dict)  # host -> kernel routes installed
    # host -> prefix -> (daemon, its distance / preference): the OSPF route each daemon's table
    # holds against its BGP routes (zebra's RIB, BIRD's master table), installed or not
    ranks: dict[str, dict[IPNetwork, tuple[str, int]]] = field(default_factory=dict)
    adjacencies: list[Adjacency] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # prefixes whose OSPF routes depend on timing (External.racy), with why: `podpath lab` marks their
    # differences as timing-dependent
    timing: dict[IPNetwork, str] = field(default_factory=dict)

    def down(self, host: str | None = None) -> list[Adjacency]:
        pid = {p.id for p in self.processes.values() if host is None or p.host == host}
        return [a for a in self.adjacencies if not a.up and (a.a in pid or a.b in pid)]

    def why_unreachable(self, host: str, addr: IPAddress, owner: str | None) -> str:
        """Why OSPF gives `host` no route to `addr` (owned by `owner`), for session reasons."""
        mine = [p for p in self.processes.values() if p.host == host and p.family == addr.version]
        if not mine:
            return ""
        theirs = [p for p in self.processes.values() if p.host == owner and p.family == addr.version]
        if owner is not None and not theirs:
            return f"{owner} runs no OSPF{'v3' if addr.version == 6 else 'v2'} process"
        if theirs:
            advertised = any(addr in ipaddress.ip_interface(str(a)).network or a.ip == addr
                             for p in theirs for i in p.interfaces for a in i.prefixes)
            if not advertised and not any(e.prefix.version == addr.version and addr in e.prefix
                                          for p in theirs for e in p.externals):
                return f"{owner}'s OSPF does not advertise {addr} (the interface holding it is not in OSPF)"
        ids = {p.id for p in mine} | {p.id for p in theirs}
        bad = [a for a in self.adjacencies if not a.up and (a.a in ids or a.b in ids)]
        if bad:
            return "OSPF adjacency down: " + "; ".join(
                f"{a.a} {a.a_if} - {a.b} {a.b_if}: {a.reason}" for a in bad[:3])
        return "OSPF has no route to it"


# ================================================================================================ links

@dataclass
class _Att:
    """One process's interface on one link, with what the neighbours see of it."""

    proc: OspfProcess
    iface: OspfIface
    link: str
    area_kind: str


def _link_key(net: Network, host: str, iface: OspfIface, segments: dict[tuple[str, str], str]) -> str:
    seg = segments.get((host, iface.ifname))
    if seg:
        return f"seg:{seg}"
    nets = sorted({str(p.network) for p in iface.prefixes if p.network.prefixlen < p.max_prefixlen})
    return "net:" + ",".join(nets) if nets else f"host:{host}:{iface.ifname}"


def _compatible(x: _Att, y: _Att) -> str:
    """'' when x and y become adjacent on their link, else why not (as the daemons log it)."""
    a, b = x.iface, y.iface
    if a.passive or b.passive:
        who = x.proc.id if a.passive else y.proc.id
        side = a if a.passive else b
        return f"{who} {side.ifname} is passive ({side.loc})"
    if a.area != b.area:
        return f"area mismatch: {a.area} on {x.proc.id} ({a.loc}), {b.area} on {y.proc.id} ({b.loc})"
    if x.area_kind != y.area_kind:
        return f"area type mismatch in area {a.area}: {x.area_kind} on {x.proc.id}, {y.area_kind} on {y.proc.id}"
    if a.hello != b.hello:
        return f"hello interval mismatch: {a.hello}s on {x.proc.id}, {b.hello}s on {y.proc.id}"
    if a.dead != b.dead:
        return f"dead interval mismatch: {a.dead}s on {x.proc.id}, {b.dead}s on {y.proc.id}"
    if x.proc.version == 2 and a.network != "point-to-point" and b.network != "point-to-point":
        na = {p.network for p in a.prefixes}
        nb = {p.network for p in b.prefixes}
        if not na & nb:
            return f"no common subnet: {', '.join(sorted(map(str, na)))} on {x.proc.id}, " \
                   f"{', '.join(sorted(map(str, nb)))} on {y.proc.id}"
    if a.network != b.network:
        return f"network type mismatch: {a.network} on {x.proc.id} ({a.loc}), {b.network} on {y.proc.id} ({b.loc})"
    for p, q, pp, qq in ((a, b, x, y), (b, a, y, x)):
        if p.mtu and q.mtu and q.mtu > p.mtu and not p.mtu_ignore:
            return f"MTU mismatch: {qq.proc.id} {q.ifname} has MTU {q.mtu}, {pp.proc.id} {p.ifname} has {p.mtu} " \
                   f"(set mtu-ignore or equal MTUs)"
    if x.proc.router_id and x.proc.router_id == y.proc.router_id:
        return f"duplicate router ID {x.proc.router_id}"
    return ""


# ================================================================================================ SPF

@dataclass
class _Graph:
    """One area: vertices are process ids and network ids ("N:link")."""

    edges: dict[str, list[tuple[str, int, Any]]] = field(default_factory=dict)  # v -> (w, cost, how)
    stubs: dict[str, list[tuple[IPNetwork, int, str]]] = field(default_factory=dict)  # router -> (prefix, cost, if)
    net_prefixes: dict[str, list[IPNetwork]] = field(default_factory=dict)  # network id -> prefixes
    # network id -> {process id: (its interface name, its addresses on the link)}
    net_members: dict[str, dict[str, tuple[str, list[Any]]]] = field(default_factory=dict)


def _spf(g: _Graph, root: str, procs: dict[str, OspfProcess], ecmp: bool) -> dict[str, tuple[int, frozenset[NextHop]]]:
    """Dijkstra from `root`: vertex -> (distance, next hops)."""
    dist: dict[str, int] = {root: 0}
    hops: dict[str, set[NextHop]] = {root: set()}
    done: set[str] = set()
    # At equal distance networks come first: a router behind a network (cost 0 from it) then collects
    # the next hops of that path too before it is expanded.
    heap: list[tuple[int, int, int, str]] = [(0, 0, 0, root)]
    order = 0
    while heap:
        d, _, _, v = heapq.heappop(heap)
        if v in done or d != dist.get(v):
            continue
        done.add(v)
        for w, cost, how in g.edges.get(v, ()):
            if w in done:
                continue
            nd = d + cost
            if v == root:
                nh = set(_first_hops(g, root, w, how, procs))
            elif v.startswith("N:") and root in g.net_members.get(v, {}) and not w.startswith("N:"):
                # A router on a network we are attached to (RFC 2328 16.1.1): its address there. BIRD
                # does so only where the network's best paths include our own interface, and inherits
                # the network's next hops otherwise (both seen in the lab).
                mine = NextHop(None, g.net_members[v][root][0])
                if mine in hops[v] or procs[root].daemon == "frr":
                    nh = set(_first_hops(g, root, w, ("via-net", v), procs))
                else:
                    nh = set(hops[v])
            else:
                nh = set(hops[v])
            if w not in dist or nd < dist[w]:
                dist[w] = nd
                hops[w] = nh
                order += 1
                heapq.heappush(heap, (nd, 0 if w.startswith("N:") else 1, order, w))
            elif nd == dist[w] and ecmp:
                hops[w] |= nh
    if procs[root].daemon == "frr" and procs[root].version == 3:  # ospf6d: an attached network is direct
        for v in done:
            if v.startswith("N:") and root in g.net_members.get(v, {}):
                hops[v] = {NextHop(None, g.net_members[v][root][0])}
    return {v: (dist[v], frozenset(hops[v])) for v in done}


def _first_hops(g: _Graph, root: str, w: str, how: Any, procs: dict[str, OspfProcess]) -> list[NextHop]:
    kind = how[0]
    if kind == "net":  # root -> its own transit network: directly connected
        return [NextHop(None, how[1])]
    if kind == "via-net":  # a router on the root's network: its address there
        members = g.net_members[how[1]]
        my_if = members[root][0]
        their = members[w][1]
        return [_nh_to(procs[root], procs[w], my_if, their)]
    if kind == "p2p":  # (p2p, my ifname, their addresses)
        return [_nh_to(procs[root], procs[w], how[1], how[2])]
    return []


def _nh_to(me: OspfProcess, them: OspfProcess, my_if: str, their_addrs: list[Any]) -> NextHop:
    if me.version == 2:
        a = sorted((x.ip for x in their_addrs if x.version == 4), key=int)
        return NextHop(a[0] if a else None, my_if, them.host)
    return NextHop(None, my_if, them.host)  # OSPFv3: the neighbour's link-local address


# ================================================================================================ simulate

def simulate(processes: list[OspfProcess], net: Network,
             segments: dict[tuple[str, str], str] | None = None) -> IgpResult:
    """Adjacencies, per-area SPF, summaries and externals for every process."""
    res = IgpResult()
    segments = segments or {}
    for version in (2, 3):
        procs = {p.id: p for p in sorted(processes, key=lambda p: p.id) if p.version == version}
        if procs:
            _simulate_version(procs, net, segments, res)
    for p in sorted(processes, key=lambda p: p.id):
        res.processes[p.id] = p
        for e in p.externals:
            if e.racy:
                res.timing.setdefault(e.prefix, e.racy)
    return res


def _simulate_version(procs: dict[str, OspfProcess], net: Network, segments: dict[tuple[str, str], str],
                      res: IgpResult) -> None:
    # ---- attachments per link
    links: dict[str, list[_Att]] = {}
    for p in procs.values():
        for i in p.interfaces:
            if not i.prefixes and p.version == 2:
                continue
            key = _link_key(net, p.host, i, segments)
            links.setdefault(key, []).append(_Att(p, i, key, p.area(i.area).kind))
    graphs: dict[str, _Graph] = {}

    def graph(area: str) -> _Graph:
        return graphs.setdefault(area, _Graph())

    dup = _duplicate_router_ids(procs)
    for pid, rid in sorted(dup.items()):
        res.notes.append(f"{pid}: router ID {rid} is used by another OSPF router too; adjacencies between them fail "
                         "and their LSAs replace each other")
    for key in sorted(links):
        atts = sorted(links[key], key=lambda a: (a.proc.id, a.iface.ifname))
        transit_members: list[list[_Att]] = []
        p2p_pairs: list[tuple[_Att, _Att]] = []
        active = [a for a in atts if not a.iface.passive and a.iface.network != "loopback"]
        if len(active) >= 2:
            bcast = [a for a in active if a.iface.network == "broadcast"]
            p2p = [a for a in active if a.iface.network == "point-to-point"]
            for x in atts:
                for y in atts:
                    if x.proc.id >= y.proc.id or x.proc.host == y.proc.host:
                        continue
                    why = _compatible(x, y)
                    if x.iface.network == "loopback" or y.iface.network == "loopback":
                        continue
                    res.adjacencies.append(Adjacency(x.proc.version, x.proc.id, x.iface.ifname, y.proc.id,
                                                     y.iface.ifname, not why, why, x.iface.loc))
            by_area: dict[str, list[_Att]] = {}
            for a in bcast:
                by_area.setdefault(a.iface.area, []).append(a)
            for area in sorted(by_area):  # one DR (and network LSA) per area on the link
                if len(by_area[area]) >= 2:
                    transit_members.append(_elect(by_area[area]))
            if len(p2p) == 2 and not _compatible(p2p[0], p2p[1]):
                p2p_pairs.append((p2p[0], p2p[1]))
        else:
            for x in atts:
                for y in atts:
                    if x.proc.id < y.proc.id and x.proc.host != y.proc.host and "loopback" not in (
                            x.iface.network, y.iface.network):
                        res.adjacencies.append(Adjacency(x.proc.version, x.proc.id, x.iface.ifname, y.proc.id,
                                                         y.iface.ifname, False, _compatible(x, y) or "passive",
                                                         x.iface.loc))
        in_transit = {id(a) for ms in transit_members for a in ms}
        in_p2p = {id(a) for pair in p2p_pairs for a in pair}
        for ms in transit_members:
            if not ms:
                continue
            nid = f"N:{key}:{ms[0].iface.area}"
            g = graph(ms[0].iface.area)
            members = g.net_members.setdefault(nid, {})
            prefixes: set[IPNetwork] = set()
            for a in ms:
                members[a.proc.id] = (a.iface.ifname, a.iface.prefixes)
                g.edges.setdefault(a.proc.id, []).append((nid, a.iface.cost, ("net", a.iface.ifname)))
                g.edges.setdefault(nid, []).append((a.proc.id, 0, ("net-to-router",)))
                prefixes |= {x.network for x in a.iface.prefixes if not x.network.is_link_local}
            dr = ms[0]
            if dr.proc.version == 2:  # the DR's network LSA: its subnet
                prefixes = {x.network for x in dr.iface.prefixes}
            g.net_prefixes[nid] = sorted(prefixes, key=lambda n: (int(n.network_address), n.prefixlen))
        for x, y in p2p_pairs:
            g = graph(x.iface.area)
            g.edges.setdefault(x.proc.id, []).append((y.proc.id, x.iface.cost, ("p2p", x.iface.ifname, y.iface.prefixes)))
            g.edges.setdefault(y.proc.id, []).append((x.proc.id, y.iface.cost, ("p2p", y.iface.ifname, x.iface.prefixes)))
        for a in atts:
            g = graph(a.iface.area)
            g.stubs.setdefault(a.proc.id, [])
            if id(a) in in_transit:
                continue
            for x in a.iface.prefixes:
                if x.network.is_link_local:
                    continue
                pfx = ipaddress.ip_network(f"{x.ip}/{x.max_prefixlen}") if a.iface.host_route else x.network
                cost = a.iface.stub_cost if a.iface.stub_cost is not None else a.iface.cost
                if id(a) in in_p2p and a.proc.version == 2 and pfx.prefixlen == pfx.max_prefixlen:
                    continue
                g.stubs[a.proc.id].append((pfx, cost, a.iface.ifname))
                if a.iface.also_host_routes and pfx.prefixlen < pfx.max_prefixlen:
                    g.stubs[a.proc.id].append((ipaddress.ip_network(f"{x.ip}/{x.max_prefixlen}"), 0,
                                               a.iface.ifname + _REMOTE_ONLY))
    # every process is a vertex of every area it has an interface in
    attached: dict[str, set[str]] = {}
    for p in procs.values():
        for i in p.interfaces:
            attached.setdefault(p.id, set()).add(i.area)
            graph(i.area).stubs.setdefault(p.id, [])
    # ---- intra-area SPF
    spf: dict[tuple[str, str], dict[str, tuple[int, frozenset[NextHop]]]] = {}
    intra: dict[str, dict[str, dict[IPNetwork, tuple[int, set[NextHop]]]]] = {}  # pid -> area -> prefix -> ...
    blocked: dict[str, set[IPNetwork]] = {}  # pid -> intra-area routes ospfd pruned (no next hop)
    for area, g in sorted(graphs.items()):
        for pid in sorted(procs):
            if area not in attached.get(pid, ()):
                continue
            d = spf[(pid, area)] = _spf(g, pid, procs, procs[pid].ecmp)
            table: dict[IPNetwork, tuple[int, set[NextHop]]] = {}
            # RFC 2328 16.1: transit networks first (stage 1), then stub networks, the root's own first
            # (FRR walks the shortest-path tree from the root).
            order = sorted(d, key=lambda v: (not v.startswith("N:"), v != pid, v))
            frr_v2 = procs[pid].daemon == "frr" and procs[pid].version == 2
            pruned: set[IPNetwork] = set()
            for v in order:
                dv, hops = d[v]
                if v.startswith("N:"):
                    for pfx in g.net_prefixes.get(v, ()):  # own networks reached directly: `direct` hops
                        _offer(table, pfx, dv, set(hops), procs[pid].ecmp)
                    continue
                for pfx, cost, ifname in g.stubs.get(v, ()):
                    if ifname.endswith(_REMOTE_ONLY):
                        if v == pid:
                            continue  # its own interface address: no route of its own
                        ifname = ifname[:-len(_REMOTE_ONLY)]
                    if frr_v2 and v == pid and pfx in table:
                        # ospfd (ospf_intra_add_stub) on its own stub network that is also a transit
                        # network of other routers (its interface passive there): an equal cost keeps
                        # the transit route's next hops; a lower cost copies the root vertex's next
                        # hops, which are none, and the route is pruned as unreachable (seen in the lab).
                        old_cost = table[pfx][0]
                        if cost < old_cost:
                            table[pfx] = (cost, set())
                            pruned.add(pfx)
                        continue
                    nh = {NextHop(None, ifname)} if v == pid else set(hops)
                    _offer(table, pfx, dv + cost, nh, procs[pid].ecmp)
            for pfx in pruned:
                if not table[pfx][1]:
                    del table[pfx]
                    # pruned after the inter-area routes were examined: it still hides their summaries
                    blocked.setdefault(pid, set()).add(pfx)
            intra.setdefault(pid, {})[area] = table
    # ---- ABRs and summaries
    abrs = {pid for pid, areas in attached.items() if BACKBONE in areas and len(areas) > 1}
    summaries: dict[str, dict[str, dict[IPNetwork, int]]] = {}  # area -> abr -> prefix -> cost
    for b in sorted(abrs):  # an ABR's own interface addresses it does not route to are summarised too (cost 0)
        for area in sorted(attached[b]):
            for pfx, cost, ifname in graphs[area].stubs.get(b, ()):
                if ifname.endswith(_REMOTE_ONLY):
                    intra[b][area].setdefault(pfx, (cost, set()))
    for b in sorted(abrs):
        for area, table in intra[b].items():
            if area == BACKBONE:
                continue
            s = summaries.setdefault(BACKBONE, {}).setdefault(b, {})
            for pfx, (cost, _) in table.items():
                s[pfx] = min(cost, s.get(pfx, LSINFINITY))
    inter: dict[str, dict[IPNetwork, tuple[int, set[NextHop], str]]] = {}
    for pid in sorted(procs):
        if BACKBONE in attached.get(pid, ()):
            inter[pid] = _inter(pid, BACKBONE, spf, summaries.get(BACKBONE, {}), procs)
    for b in sorted(abrs):
        own = set()
        for area, table in intra[b].items():
            own |= set(table)
        for area in sorted(attached[b] - {BACKBONE}):
            cfg = procs[b].area(area)
            s = summaries.setdefault(area, {}).setdefault(b, {})
            default = ipaddress.ip_network("0.0.0.0/0" if procs[b].version == 2 else "::/0")
            if cfg.kind == "stub" or (cfg.kind == "nssa" and cfg.no_summary):
                s[default] = cfg.default_cost
            if cfg.no_summary:
                continue
            for other, table in intra[b].items():
                if other == area:
                    continue
                for pfx, (cost, _) in table.items():
                    s[pfx] = min(cost, s.get(pfx, LSINFINITY))
            for pfx, (cost, _, _) in inter.get(b, {}).items():
                if pfx not in own:
                    s[pfx] = min(cost, s.get(pfx, LSINFINITY))
    for pid in sorted(procs):
        if pid in abrs:
            continue
        for area in sorted(attached.get(pid, ())):
            if area == BACKBONE:
                continue
            got = _inter(pid, area, spf, summaries.get(area, {}), procs)
            mine = inter.setdefault(pid, {})
            for pfx, v in got.items():
                if pfx not in mine or v[0] < mine[pfx][0]:
                    mine[pfx] = v
                elif v[0] == mine[pfx][0]:
                    mine[pfx][1].update(v[1])
    # ---- ASBR reachability and externals
    for pid in sorted(procs):
        p = procs[pid]
        table: dict[IPNetwork, IgpRoute] = {}
        for area in sorted(intra.get(pid, {})):
            for pfx, (cost, hops) in intra[pid][area].items():
                if not hops:
                    continue  # its own address, kept only to be summarised
                old = table.get(pfx)
                if old is None or cost < old.metric:
                    table[pfx] = IgpRoute(pfx, "intra", cost, _sorted_hops(hops), area, pid, via=f"area {area}")
                elif cost == old.metric and old.kind == "intra":
                    old.nexthops = _sorted_hops(set(old.nexthops) | hops)
        mine = {pfx for t in intra.get(pid, {}).values() for pfx, (_, h) in t.items() if not h}
        mine |= blocked.get(pid, set())
        for pfx, (cost, hops, abr) in sorted(inter.get(pid, {}).items(), key=lambda kv: _pkey(kv[0])):
            if pfx in table or pfx in mine or cost >= LSINFINITY:
                continue
            table[pfx] = IgpRoute(pfx, "inter", cost, _sorted_hops(hops), None, pid, via=f"summary from {abr}")
        ext = _externals(pid, procs, attached, abrs, spf, graphs)
        for pfx, r in sorted(ext.items(), key=lambda kv: _pkey(kv[0])):
            if pfx not in table and pfx not in blocked.get(pid, ()):
                table[pfx] = r
        res.routes[pid] = [table[k] for k in sorted(table, key=_pkey)]
        if not p.ecmp:
            for r in res.routes[pid]:
                r.nexthops = r.nexthops[:1]


def _elect(atts: list[_Att]) -> list[_Att]:
    """The routers of a broadcast link that are adjacent to its DR (highest priority, then
    router ID): they share the transit network. Fewer than two: no transit network."""
    eligible = [a for a in atts if a.iface.priority > 0]
    if not eligible:
        return []
    dr = max(eligible, key=lambda a: (a.iface.priority, _rid_key(a.proc.router_id), a.proc.id))
    members = [dr] + [a for a in atts if a is not dr and a.proc.host != dr.proc.host and not _compatible(dr, a)]
    return members if len(members) >= 2 else []


def _rid_key(rid: str | None) -> int:
    try:
        return int(ipaddress.IPv4Address(rid or "0.0.0.0"))
    except ValueError:
        return 0


def _duplicate_router_ids(procs: dict[str, OspfProcess]) -> dict[str, str]:
    by: dict[str, list[str]] = {}
    for p in procs.values():
        if p.router_id:
            by.setdefault(p.router_id, []).append(p.id)
    return {pid: rid for rid, ps in by.items() if len(ps) > 1 for pid in ps}


def _offer(table: dict[IPNetwork, tuple[int, set[NextHop]]], pfx: IPNetwork, cost: int, hops: set[NextHop],
           ecmp: bool) -> None:
    old = table.get(pfx)
    if old is None or cost < old[0]:
        table[pfx] = (cost, set(hops))
    elif cost == old[0] and ecmp:
        old[1].update(hops)


def _inter(pid: str, area: str, spf: dict[tuple[str, str], dict[str, tuple[int, frozenset[NextHop]]]],
           summaries: dict[str, dict[IPNetwork, int]], procs: dict[str, OspfProcess]
           ) -> dict[IPNetwork, tuple[int, set[NextHop], str]]:
    out: dict[IPNetwork, tuple[int, set[NextHop], str]] = {}
    d = spf.get((pid, area), {})
    for abr, s in sorted(summaries.items()):
        if abr == pid or abr not in d:
            continue
        da, hops = d[abr]
        for pfx, cost in s.items():
            total = da + cost
            old = out.get(pfx)
            if old is None or total < old[0]:
                out[pfx] = (total, set(hops), abr)
            elif total == old[0] and procs[pid].ecmp:
                old[1].update(hops)
    return out


def _intra_distance(pid: str, target: str, areas: set[str],
                    spf: dict[tuple[str, str], dict[str, tuple[int, frozenset[NextHop]]]]
                    ) -> tuple[int, set[NextHop]] | None:
    best: tuple[int, set[NextHop]] | None = None
    for area in sorted(areas):
        d = spf.get((pid, area), {})
        if target in d:
            c, hops = d[target]
            if best is None or c < best[0]:
                best = (c, set(hops))
            elif c == best[0]:
                best[1].update(hops)
    return best


def _router_distance(pid: str, asbr: str, areas: set[str], attached: dict[str, set[str]], abrs: set[str],
                     spf: dict[tuple[str, str], dict[str, tuple[int, frozenset[NextHop]]]]
                     ) -> tuple[int, set[NextHop]] | None:
    """Distance and next hops from `pid` to router `asbr` through `areas` of `pid`: inside a
    shared area, else through an ABR's ASBR-summary (the ABR reaching the ASBR inside one of its
    areas, or over the backbone through another ABR)."""
    # RFC 2328 16.4.1 (RFC1583Compatibility off, FRR's and BIRD's default): intra-area paths through a
    # non-backbone area are preferred; through a stub area, the ASBR's externals are not used.
    shared = attached.get(pid, set()) & attached.get(asbr, set())
    nonbb = _intra_distance(pid, asbr, shared - {BACKBONE}, spf)
    if nonbb is not None:
        via = min((a for a in shared - {BACKBONE} if asbr in spf.get((pid, a), {})),
                  key=lambda a: spf[(pid, a)][asbr][0])
        return nonbb if via in areas else None
    best = _intra_distance(pid, asbr, areas & shared, spf)
    if best is not None:
        return best

    def abr_reach(b: str) -> tuple[int, set[NextHop]] | None:
        r = _intra_distance(b, asbr, attached[b], spf)
        if r is not None:
            return r
        out = None
        for c in sorted(abrs - {b}):
            dc = _intra_distance(b, c, {BACKBONE}, spf)
            rc = _intra_distance(c, asbr, attached[c], spf)
            if dc is not None and rc is not None and (out is None or dc[0] + rc[0] < out[0]):
                out = (dc[0] + rc[0], dc[1])
        return out

    for b in sorted(abrs):
        if b == pid:
            continue
        db = _intra_distance(pid, b, areas, spf)
        if db is None:
            continue
        rb = abr_reach(b)
        if rb is None:
            continue
        c = db[0] + rb[0]
        if best is None or c < best[0]:
            best = (c, set(db[1]))
        elif c == best[0]:
            best[1].update(db[1])
    if best is None and pid in abrs:
        return abr_reach(pid)
    return best


def _externals(pid: str, procs: dict[str, OspfProcess], attached: dict[str, set[str]], abrs: set[str],
               spf: dict[tuple[str, str], dict[str, tuple[int, frozenset[NextHop]]]],
               graphs: dict[str, _Graph]) -> dict[IPNetwork, IgpRoute]:
    me = procs[pid]
    my_areas = attached.get(pid, set())
    normal = {a for a in my_areas if me.area(a).kind == "normal"}
    out: dict[IPNetwork, IgpRoute] = {}
    best: dict[IPNetwork, tuple[int, int, int]] = {}  # prefix -> (type, cost key1, key2)
    owner: dict[IPNetwork, str | None] = {}  # prefix -> router ID of the ASBR whose route is kept
    for asbr in sorted(procs):
        a = procs[asbr]
        if asbr == pid or not a.externals:
            continue
        asbr_areas = attached.get(asbr, set())
        if not asbr_areas:
            continue
        asbr_nssa = {x for x in asbr_areas if a.area(x).kind == "nssa"}
        shared_nssa = my_areas & asbr_nssa
        if shared_nssa:  # type-7 inside the NSSA
            reach = _router_distance(pid, asbr, shared_nssa, attached, set(), spf)
        elif normal and (asbr_areas - {x for x in asbr_areas if a.area(x).kind != "normal"} or
                         (asbr_nssa and abrs)):  # type-5 (NSSA: translated by its ABR)
            reach = _router_distance(pid, asbr, normal, attached, abrs, spf)
        else:
            reach = None
        if reach is None:
            continue
        dist, hops = reach
        for e in a.externals:
            if e.prefix.version != me.family:
                continue
            key = (1, dist + e.metric, 0) if e.metric_type == 1 else (2, e.metric, dist)
            old = best.get(e.prefix)
            if old is None or key < old:
                best[e.prefix] = key
                out[e.prefix] = IgpRoute(e.prefix, "ext1" if e.metric_type == 1 else "ext2",
                                         key[1] if e.metric_type == 1 else dist, _sorted_hops(hops), None, pid,
                                         metric2=e.metric if e.metric_type == 2 else None,
                                         via=f"external from {asbr} ({e.how})", loc=e.loc)
            elif key == old and me.ecmp and me.daemon == "frr":
                r = out[e.prefix]
                r.nexthops = _sorted_hops(set(r.nexthops) | hops)
            elif key == old and me.daemon == "bird" and _rid_key(a.router_id) > _rid_key(owner.get(e.prefix)):
                # BIRD without `merge external`: one ASBR's route, the highest router ID's (seen in the lab)
                out[e.prefix] = IgpRoute(e.prefix, out[e.prefix].kind, out[e.prefix].metric, _sorted_hops(hops),
                                         None, pid, metric2=out[e.prefix].metric2,
                                         via=f"external from {asbr} ({e.how})", loc=e.loc)
            if out.get(e.prefix) is not None and out[e.prefix].via.startswith(f"external from {asbr} "):
                owner[e.prefix] = a.router_id
    return out


def _sorted_hops(hops: set[NextHop] | frozenset[NextHop]) -> tuple[NextHop, ...]:
    return tuple(sorted(hops, key=lambda h: (h.ifname, str(h.gateway or ""), h.via_host or "")))


def _pkey(p: IPNetwork) -> tuple[int, int, int]:
    return (p.version, int(p.network_address), p.prefixlen)


# ================================================================================================ install

def kernel_routes(res: IgpResult, net: Network) -> dict[str, list[KernelRoute]]:
    """The routes each host's kernel gets from OSPF: the process's routes that win over the
    host's other routes to the same prefix (connected, static: lower FRR distance / higher
    BIRD preference) and that the daemon installs (BIRD: the kernel protocol exports them)."""
    out: dict[str, list[KernelRoute]] = {}
    by_host: dict[str, list[OspfProcess]] = {}
    for p in res.processes.values():
        by_host.setdefault(p.host, []).append(p)
    for host, procs in sorted(by_host.items()):
        h = net.host(host)
        connected = {n for n, _, _ in h.connected}
        others = {r.dst: r for r in h.static.routes}
        chosen: dict[IPNetwork, tuple[int, IgpRoute, OspfProcess]] = {}
        for p in sorted(procs, key=lambda p: (p.preference if p.daemon == "frr" else -p.preference, p.id)):
            for r in res.routes.get(p.id, ()):
                if r.connected or r.prefix in connected or r.prefix in chosen:
                    continue
                if r.prefix in others:
                    continue  # static (distance 1 / preference 200) or a configured host route wins
                res.ranks.setdefault(host, {}).setdefault(r.prefix, (p.daemon, p.preference))
                if not p.install:
                    continue
                if p.kernel_filter is not None and not p.kernel_filter(r):
                    continue
                chosen[r.prefix] = (0, r, p)
        rows = []
        for pfx in sorted(chosen, key=_pkey):
            _, r, p = chosen[pfx]
            legs = tuple((nh.gateway, nh.ifname) for nh in r.nexthops)
            first = r.nexthops[0] if r.nexthops else None
            gw = first.gateway if first else None
            rows.append(KernelRoute(pfx, gw, first.ifname if first else None, p.kernel_proto, None, None,
                                    p.kernel_metric, nexthops=legs if len(legs) > 1 else (),
                                    loc=p.loc))
        if rows:
            out[host] = rows
    res.kernel = out
    return out


def lab_rows(res: IgpResult | None, host: str, daemon: str) -> dict[str, dict[str, Any]]:
    """The simulated OSPF routes of `host`'s `daemon` in the shape `podpath lab` reads the real
    ones (lab/parsers: frr_ospf_rows, bird_ospf_rows), by prefix. FRR's zebra metric of a type-2
    external route is its type-2 metric."""
    out: dict[str, dict[str, Any]] = {}
    if res is None:
        return out
    for p in res.processes.values():
        if p.host != host or p.daemon != daemon:
            continue
        for r in res.routes.get(p.id, ()):
            hops = sorted({(f"{nh.gateway}@{nh.ifname}" if nh.gateway is not None else
                            f"link-local@{nh.ifname}" if nh.via_host is not None else f"direct@{nh.ifname}")
                           for nh in r.nexthops})
            if daemon == "frr":
                row = {"prefix": str(r.prefix), "kind": "?", "metric": r.metric2 if r.kind == "ext2" else r.metric,
                       "metric2": None, "nexthops": hops}
            else:
                row = {"prefix": str(r.prefix), "kind": r.kind, "metric": r.metric, "metric2": r.metric2,
                       "nexthops": hops}
            out[str(r.prefix)] = row
    return out
