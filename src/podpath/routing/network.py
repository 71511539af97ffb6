"""The L3 facts the control plane needs about each host: its addresses,
connected prefixes and non-BGP routes. Used to decide whether a BGP session can
come up (who owns the peer address, is it on-link, which source address) and
whether a next hop resolves."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from podpath.diagnostics import Loc, Unsupported
from podpath.model.cluster import KernelRoute, RouteTable
from podpath.routing.route import IPAddress, IPNetwork

LOOPBACK4 = ipaddress.ip_interface("127.0.0.1/8")
LOOPBACK6 = ipaddress.ip_interface("::1/128")

_CONNECTED_IDS: dict[tuple[tuple[IPNetwork, str], ...], int] = {}  # connected prefixes -> id
_ON_LINK: dict[tuple[int, IPAddress], int] = {}  # (connected id, address) -> index into connected, -1: none
_ON_LINK_MAX = 1 << 20


@dataclass
class HostNet:
    name: str
    addresses: dict[IPAddress, tuple[str, object]] = field(default_factory=dict)  # addr -> (ifname, IPInterface)
    connected: list[tuple[IPNetwork, str, IPAddress]] = field(default_factory=list)  # prefix, ifname, own addr
    static: RouteTable = field(default_factory=RouteTable)  # non-BGP routes known to the host
    nht_via_default: set[int] = field(default_factory=set)  # families of FRR's `ip[v6] nht resolve-via-default`

    # on_link() is asked for every next hop of every route: the answer (which connected prefix holds
    # the address) is shared by all hosts with the same connected prefixes and interface names.
    _conn_id: int = field(default=-1, repr=False, compare=False)
    _conn_res: list[tuple[str, IPAddress]] = field(default_factory=list, repr=False, compare=False)

    def add_address(self, ifname: str, iface: object) -> None:
        self._conn_id = -1
        ip = iface.ip  # type: ignore[attr-defined]
        self.addresses.setdefault(ip, (ifname, iface))
        net = iface.network  # type: ignore[attr-defined]
        if net.prefixlen < net.max_prefixlen or ifname == "lo":
            if all(c[0] != net or c[1] != ifname for c in self.connected):
                self.connected.append((net, ifname, ip))

    def owns(self, addr: IPAddress) -> bool:
        return addr in self.addresses or addr.is_loopback

    def on_link(self, addr: IPAddress) -> tuple[str, IPAddress] | None:
        """(ifname, our source address) if `addr` is inside a connected prefix (not via a gateway)."""
        cid = self._conn_id
        if cid < 0:
            cid = self._connected_id()
        k = (cid, addr)
        i = _ON_LINK.get(k)
        if i is None:
            if len(_ON_LINK) > _ON_LINK_MAX:
                _ON_LINK.clear()
            i = _ON_LINK[k] = self._on_link_index(addr)
        return None if i < 0 else self._conn_res[i]

    def connected_id(self) -> int:
        """Hosts with the same connected prefixes on the same interface names share this id."""
        return self._conn_id if self._conn_id >= 0 else self._connected_id()

    def _connected_id(self) -> int:
        key = tuple((net, ifname) for net, ifname, _ in self.connected)
        cid = _CONNECTED_IDS.setdefault(key, len(_CONNECTED_IDS))
        self._conn_res = [(ifname, own) for _, ifname, own in self.connected]
        self._conn_id = cid
        return cid

    def _on_link_index(self, addr: IPAddress) -> int:
        best, best_len = -1, -1
        for i, (net, _, _) in enumerate(self.connected):
            if net.version == addr.version and addr in net and net.prefixlen > best_len:
                best, best_len = i, net.prefixlen
        return best

    def route_to(self, addr: IPAddress) -> tuple[str | None, IPAddress | None, KernelRoute | None]:
        """(egress ifname, source address, route) for reaching `addr`; None ifname = unreachable."""
        if addr.is_loopback or addr in self.addresses:
            return "lo", addr, None
        link = self.on_link(addr)
        if link is not None:
            return link[0], link[1], None
        r = self.static.lookup(addr)
        if r is not None and r.type == "unicast":
            via = r.gateway
            if via is not None:
                link = self.on_link(via)
                if link is not None:
                    return link[0], r.src or link[1], r
            if r.dev:
                own = next((a for a, (ifn, _) in sorted(self.addresses.items(), key=lambda x: str(x[0]))
                            if ifn == r.dev and a.version == addr.version), None)
                return r.dev, r.src or own, r
        return None, None, None

    def resolves(self, next_hop: IPAddress, via_default: bool = False) -> bool:
        """Is the next hop reachable through a connected or non-BGP route (the default route only with
        `via_default`: FRR's `ip nht resolve-via-default`)?"""
        if self.on_link(next_hop) is not None:
            return True
        r = self.static.lookup(next_hop)
        return r is not None and (r.dst.prefixlen > 0 or via_default) and r.type == "unicast"

    def only_default_to(self, addr: IPAddress) -> KernelRoute | None:
        """The default route, when it is the only route this host has to `addr` (not on-link, no more
        specific route): what FRR's next-hop tracking ignores unless `resolve-via-default` is set."""
        if addr.is_loopback or addr in self.addresses or self.on_link(addr) is not None:
            return None
        r = self.static.lookup(addr)
        return r if r is not None and r.dst.prefixlen == 0 and r.type == "unicast" else None


# Statements podpath reads but does not model that can give a host routes or addresses (an IGP, another
# routing table, a route or link document, DHCP): a session or packet that fails for want of a route on such
# a host is "unknown", not "down".
_ROUTE_SOURCE = re.compile(
    r"^(router (?!bgp\b)\S+|protocol (ospf|rip|babel|isis)\b|route \S+ with \d+ next hops|"
    r"Talos (RouteConfig|VLANConfig|BondConfig|BridgeConfig|DummyLinkConfig|Layer2VIPConfig)\b|"
    r"interfaces\[\]\.deviceSelector|interface \S+ dhcp|"
    r"virtual_routes|include\b|table\b|pbr\b|nexthop-group|segment-routing|ip import-table|vrf \S+ table)")


def may_add_routes(u: Unsupported) -> bool:
    """Could this unmodelled statement give its host routes (or addresses) podpath does not know?
    The reader's `route_source` says so; entries without it are judged by their text."""
    if u.route_source is not None:
        return bool(u.route_source)
    return bool(_ROUTE_SOURCE.match(u.statement))


class Network:
    """Every host's L3 view, and which host owns which address."""

    def __init__(self) -> None:
        self.hosts: dict[str, HostNet] = {}
        self._owner: dict[IPAddress, list[str]] = {}
        self.segments: dict[str, set[str]] = {}  # host -> L2 segments it is attached to
        self.vips: dict[IPAddress, VrrpElection] = {}  # VRRP virtual addresses -> the election that placed them
        # host -> statements read but not modelled that may give it routes (`may_add_routes`)
        self.unmodelled_routes: dict[str, list[Unsupported]] = {}
        self.igp: object = None  # routing.igp.IgpResult: the underlay (OSPF), for the reasons of sessions

    def host(self, name: str) -> HostNet:
        if name not in self.hosts:
            h = HostNet(name)
            h.add_address("lo", LOOPBACK4)
            h.add_address("lo", LOOPBACK6)
            self.hosts[name] = h
        return self.hosts[name]

    def add_address(self, host: str, ifname: str, iface: object, segment: str | None = None) -> None:
        self.host(host).add_address(ifname, iface)
        if segment:
            self.segments.setdefault(host, set()).add(segment)
        ip = iface.ip  # type: ignore[attr-defined]
        if not ip.is_loopback and not ip.is_link_local:
            owners = self._owner.setdefault(ip, [])
            if host not in owners:
                owners.append(host)

    def add_vip(self, host: str, ifname: str, iface: object, election: "VrrpElection") -> None:
        """A VRRP virtual address held by the master `host`. A link-local one (the usual first address of
        an IPv6 virtual router, `default via fe80::1`) is owned too: the segment tells which master answers."""
        self.add_address(host, ifname, iface)
        ip = iface.ip  # type: ignore[attr-defined]
        self.vips[ip] = election
        if ip.is_link_local:
            owners = self._owner.setdefault(ip, [])
            if host not in owners:
                owners.append(host)

    def owner(self, addr: IPAddress, near: str | None = None) -> str | None:
        """The host that answers for `addr`. An anycast address (several owners, e.g. an
        EVPN anycast gateway) is answered by the owner sharing an L2 segment with `near`."""
        owners = sorted(self._owner.get(addr, []))
        if len(owners) <= 1 or near is None:
            return owners[0] if owners else None
        mine = self.segments.get(near, set())
        close = [o for o in owners if self.segments.get(o, set()) & mine]
        return (close or owners)[0]

    def owners(self, addr: IPAddress) -> list[str]:
        return sorted(self._owner.get(addr, []))


# ------------------------------------------------------------------------------------------------ VRRP

@dataclass(frozen=True)
class VirtualRouter:
    """One router's instance of a VRRP virtual router (FRR vrrpd `vrrp N` on an interface, keepalived
    `vrrp_instance`): the addresses it holds while it is master."""

    host: str
    ifname: str
    vrid: int
    family: int
    addresses: tuple[IPAddress, ...]
    priority: int
    loc: Loc
    source: str  # "vrrpd" | "keepalived"
    preempt: bool = True
    priority_loc: Loc | None = None


@dataclass
class VrrpElection:
    """Who is master of one virtual router (same VRID and family on one network), and why."""

    vrid: int
    family: int
    members: list[VirtualRouter]
    master: VirtualRouter | None
    priorities: dict[str, int]  # host -> effective priority (255: address owner)
    why: str
    caveat: str = ""  # the steady state depends on history (preemption off)

    def describe(self) -> str:
        return f"VRRP VRID {self.vrid} (IPv{self.family}): {self.why}"


def elect(members: list[VirtualRouter], net: "Network") -> VrrpElection:
    """RFC 5798 6.4: the router with the highest priority is master; a router that owns the virtual
    address as an interface address has priority 255; equal priorities: the highest primary address (the
    address of the interface the advertisements are sent from) wins."""
    prio: dict[str, int] = {}
    primary: dict[str, IPAddress | None] = {}
    for m in members:
        h = net.host(m.host)
        owner = any(a in h.addresses for a in m.addresses)
        prio[m.host] = 255 if owner else m.priority
        own = sorted((a for a, (ifn, _) in h.addresses.items() if ifn == m.ifname and a.version == m.family
                      and not a.is_link_local and a not in m.addresses), key=int)
        if m.family == 6:  # VRRPv3 over IPv6 advertises from the link-local address
            ll = sorted((a for a, (ifn, _) in h.addresses.items() if ifn == m.ifname and a.is_link_local), key=int)
            own = ll or own
        primary[m.host] = own[0] if own else None
    live = [m for m in members if prio[m.host] > 0]
    if not live:
        return VrrpElection(members[0].vrid, members[0].family, members, None, prio, "no router can be master")
    best = max(live, key=lambda m: (prio[m.host], int(primary[m.host] or 0), m.host))
    ties = [m for m in live if prio[m.host] == prio[best.host] and m is not best]
    why = f"master {best.host} ({best.source} at {best.loc}), priority {prio[best.host]}"
    if prio[best.host] == 255 and best.priority != 255:
        why += " (owns the virtual address)"
    if ties:
        why += f"; equal priority with {', '.join(sorted(m.host for m in ties))}: the highest primary address " \
               f"({primary[best.host]}) wins"
    others = [m for m in live if m is not best]
    if others:
        why += "; backup: " + ", ".join(f"{m.host} ({prio[m.host]})" for m in sorted(others, key=lambda m: m.host))
    caveat = ""
    if any(not m.preempt for m in members) and others:
        caveat = ("preemption is off on " + ", ".join(sorted(m.host for m in members if not m.preempt)) +
                  ": whichever router became master first keeps the addresses; podpath assumes the highest "
                  "priority did")
    return VrrpElection(best.vrid, best.family, members, best, prio, why, caveat)


def elect_all(routers: list[VirtualRouter], net: "Network") -> list[VrrpElection]:
    """Group instances into virtual routers (same VRID and family, sharing a virtual address) and elect
    each; the master's virtual addresses become its own (with the prefix of the interface's network)."""
    groups: list[list[VirtualRouter]] = []

    def lan(r: VirtualRouter) -> set[IPNetwork]:  # the interface's subnets: which LAN the instance is on
        return {n for n, ifn, _ in net.host(r.host).connected if ifn == r.ifname and not n.is_link_local}

    for r in sorted(routers, key=lambda r: (r.vrid, r.family, r.host, r.ifname)):
        g = next((g for g in groups if g[0].vrid == r.vrid and g[0].family == r.family
                  and set(g[0].addresses) & set(r.addresses)
                  and (not lan(g[0]) or not lan(r) or lan(g[0]) & lan(r))), None)
        if g is None:
            groups.append([r])
        else:
            g.append(r)
    out = []
    for g in groups:
        e = elect(g, net)
        out.append(e)
        m = e.master
        if m is None:
            continue
        h = net.host(m.host)
        for a in m.addresses:
            plen = a.max_prefixlen
            for n, ifn, _ in h.connected:
                if ifn == m.ifname and a in n and n.prefixlen < plen:
                    plen = n.prefixlen
            net.add_vip(m.host, m.ifname, ipaddress.ip_interface(f"{a}/{plen}"), e)
    return out
