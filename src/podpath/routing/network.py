"""The L3 facts the control plane needs about each host: its addresses,
connected prefixes and non-BGP routes. Used to decide whether a BGP session can
come up (who owns the peer address, is it on-link, which source address) and
whether a next hop resolves."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

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

    def resolves(self, next_hop: IPAddress) -> bool:
        """Is the next hop reachable through a connected or non-BGP route (not the default route)?"""
        if self.on_link(next_hop) is not None:
            return True
        r = self.static.lookup(next_hop)
        return r is not None and r.dst.prefixlen > 0 and r.type == "unicast"


class Network:
    """Every host's L3 view, and which host owns which address."""

    def __init__(self) -> None:
        self.hosts: dict[str, HostNet] = {}
        self._owner: dict[IPAddress, list[str]] = {}
        self.segments: dict[str, set[str]] = {}  # host -> L2 segments it is attached to

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
