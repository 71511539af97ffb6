"""Assemble the control plane of a snapshot and simulate it.

Hosts and addresses come from the model (manifest, Talos, Node objects, router
configs); speakers from the routing-daemon readers and from Cilium's BGP
resources; Cilium's own kernel routes (local pod CIDR on cilium_host,
autoDirectNodeRoutes) are added to the kernel tables. Observed route dumps are
evidence and are *not* fed into the simulation.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from podpath.diagnostics import Diagnostics, Loc
from podpath.model.cluster import KernelRoute
from podpath.readers import cilium_bgp
from podpath.routing.bgp import BgpSpeaker
from podpath.routing.cilium_speaker import cilium_speakers
from podpath.routing.network import Network, VirtualRouter, VrrpElection, elect_all, may_add_routes
from podpath.routing.igp import IgpResult
from podpath.routing.sim import FibEntry, SimResult, Simulator

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot


@dataclass
class ControlPlane:
    network: Network
    speakers: list[BgpSpeaker]
    extra_fib: dict[str, list[FibEntry]]
    notes: list[str] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    unmodelled: dict[str, str] = field(default_factory=dict)  # host -> router config file not modelled
    igp: IgpResult | None = None  # the underlay (OSPF) simulated before BGP
    vrrp: list[VrrpElection] = field(default_factory=list)  # who holds each VRRP virtual address
    pair_verdicts: Any = None  # checks.bgp.PairVerdicts, once BGP002 has classified every node pair

    def simulate(self, trace: set[Any] | None = None, only: set[Any] | None = None,
                 reverse: bool = False, assume_unknown_up: bool = False) -> SimResult:
        from podpath.util import paused_gc

        with paused_gc():
            return Simulator(self.speakers, self.network, self.extra_fib, trace, only=only,
                             unmodelled=self.unmodelled, reverse=reverse,
                             assume_unknown_up=assume_unknown_up).run()


def build(snap: "Snapshot") -> ControlPlane:
    net = Network()
    cl = snap.cluster
    cp = ControlPlane(net, [], {})
    for host in sorted(cl.hosts.values(), key=lambda h: h.name):
        net.host(host.name)
        for iface in host.interfaces.values():
            for a in iface.addresses:
                net.add_address(host.name, iface.name, a.value, iface.segment)
    for seg in cl.segments.values():
        for member in seg.members:
            net.segments.setdefault(member, set()).add(seg.name)
    # Node addresses not on any known interface: place them on the segment that contains them.
    for node in sorted(cl.nodes.values(), key=lambda n: n.name):
        h = net.host(node.name)
        for a in node.addresses:
            if a.address in h.addresses:
                continue
            plen, ifname = a.address.max_prefixlen, None
            for seg in sorted(cl.segments.values(), key=lambda s: s.name):
                for p in seg.prefixes:
                    if p.value.version == a.address.version and a.address in p.value:
                        plen, ifname = p.value.prefixlen, seg.name.split(",")[0]
            host = cl.hosts.get(node.name)
            if host is not None and host.routes is not None:
                for r in host.routes.routes:
                    if r.is_connected and a.address in r.dst:
                        plen, ifname = r.dst.prefixlen, r.dev
                        break
            ifname = ifname or "eth0"
            net.add_address(node.name, ifname, ipaddress.ip_interface(f"{a.address}/{plen}"))
            cp.notes.append(f"{node.name}: address {a.address}/{plen} placed on {ifname} (from the Node object)")
    for rc in snap.routers:
        if rc.host is None:
            continue
        convert = _converters().get(rc.dialect)
        if convert is None or rc.config is None:
            cp.unmodelled.setdefault(rc.host, rc.file)
            continue
        if rc.dialect == "bird":
            h = net.host(rc.host)
            host_ifaces = [(ifn, iface) for _, (ifn, iface) in sorted(h.addresses.items(), key=lambda x: str(x[0]))]
            speakers, interfaces, statics = convert(rc.config, rc.host, host_ifaces)
        else:
            speakers, interfaces, statics = convert(rc.config, rc.host)
        for ifname, iface in interfaces:
            known = next((i for i in snap.cluster.hosts[rc.host].interfaces.values() if i.name == ifname), None) \
                if rc.host in snap.cluster.hosts else None
            net.add_address(rc.host, ifname, iface, known.segment if known else None)
        for kr in statics:
            net.host(rc.host).static.add(kr)
        cp.speakers.extend(speakers)
        if rc.dialect == "frr":
            net.host(rc.host).nht_via_default |= _nht_via_default(snap, rc.config)
    for host in sorted(cl.hosts.values(), key=lambda h: h.name):
        if host.static_routes:
            st = net.host(host.name).static
            have = {(r.dst, r.gateway, r.table) for r in st.routes}
            for kr in host.static_routes:  # a daemon's own static route for the same prefix is the same route
                if (kr.dst, kr.gateway, kr.table) not in have:
                    st.add(kr)
    cp.vrrp = elect_all(_virtual_routers(snap), net)
    file_host = {f: h.name for h in cl.hosts.values() for f in h.files}
    for u in snap.unsupported:
        host_name = file_host.get(u.loc.file)
        if host_name is not None and u.affects_routes and may_add_routes(u):
            net.unmodelled_routes.setdefault(host_name, []).append(u)
    cp.igp = underlay(snap, net, cp.speakers)  # OSPF before BGP: sessions between loopbacks, BGP next hops
    if snap.bgp_objects and snap.cilium.flag("enable-bgp-control-plane"):
        instances = cilium_bgp.resolve(snap.bgp_objects, cl.nodes, cp.diagnostics, snap.cilium.version_minor)
        cp.speakers.extend(cilium_speakers(instances, cl, snap.cilium))
    cp.extra_fib = cilium_routes(snap, net)
    return cp


def cilium_routes(snap: "Snapshot", net: Network) -> dict[str, list[FibEntry]]:
    """The routes the Cilium agent itself installs (reference cilium-datapath.md 4.1, 4.2)."""
    c = snap.cilium
    out: dict[str, list[FibEntry]] = {}
    if not c.present:
        return out
    nodes = sorted(snap.cluster.nodes.values(), key=lambda n: n.name)
    endpoint_routes = c.flag("enable-endpoint-routes")
    for node in nodes:
        entries = out.setdefault(node.name, [])
        for cidr in node.pod_cidrs:
            fam = cidr.value.version
            if not c.family_enabled(fam) or endpoint_routes:
                continue
            entries.append(FibEntry(KernelRoute(cidr.value, None, "cilium_host", "kernel", None, None,
                                                0 if fam == 4 else 1024), "cilium", loc=cidr.loc,
                                    why="Cilium routes the node's own pod CIDR to cilium_host"))
        if not (c.native_routing and c.auto_direct_node_routes):
            continue
        h = net.host(node.name)
        for other in nodes:
            if other is node:
                continue
            for cidr in other.pod_cidrs:
                fam = cidr.value.version
                ip = other.node_ip(fam)
                if not c.family_enabled(fam) or ip is None:
                    continue
                ifname, _, via = h.route_to(ip.address)
                if ifname is None or (via is not None and via.gateway is not None and via.gateway != ip.address):
                    continue  # "must be directly reachable": not installed (check RT002 reports it)
                entries.append(FibEntry(KernelRoute(cidr.value, ip.address, ifname, "kernel", None, None,
                                                    0 if fam == 4 else 1024), "cilium", loc=cidr.loc,
                                        why=f"autoDirectNodeRoutes: {other.name}'s pod CIDR via its node IP"))
    return out


def _nht_via_default(snap: "Snapshot", cfg: Any) -> set[int]:
    """Families in which FRR's next-hop tracking uses the default route: `ip[v6] nht resolve-via-default`,
    else zebra's default for the profile and the running version (podpath.yaml `versions.frr`, else the
    config's `frr version` line, which the running daemon writes)."""
    from podpath.readers.frr.defaults import zebra_nht_resolve_via_default

    m = snap.manifest
    running = m.versions["frr"].value if m is not None and "frr" in m.versions else getattr(cfg, "version", None)
    on = set(getattr(cfg, "nht_resolve_via_default", {}) or ())
    if zebra_nht_resolve_via_default(getattr(cfg, "profile", "traditional"), running):
        on |= {4, 6} - set(getattr(cfg, "nht_no_resolve_via_default", {}) or ())
    return on


def _virtual_routers(snap: "Snapshot") -> list[VirtualRouter]:
    """VRRP instances of FRR's vrrpd (interface `vrrp N ...`) and keepalived (`vrrp_instance`)."""
    out: list[VirtualRouter] = []
    for rc in snap.routers:
        if rc.dialect != "frr" or rc.host is None or rc.config is None:
            continue
        for ifname, itf in sorted(rc.config.interfaces.items()):
            if itf.shutdown:
                continue
            for vrid, vr in sorted(getattr(itf, "vrrp", {}).items()):
                if vr.shutdown:
                    continue
                for fam in (4, 6):  # vrrpd runs one virtual router per family for the same VRID
                    addrs = tuple(a for a, _ in vr.addresses if a.version == fam)
                    if addrs:
                        out.append(VirtualRouter(rc.host, ifname, vrid, fam, addrs, vr.priority, vr.loc, "vrrpd",
                                                 vr.preempt, vr.priority_loc))
    for rc in snap.vrrp_configs:
        if rc.host is None or rc.config is None:
            continue
        for inst in rc.config.instances:
            addrs = tuple(a for a, _, _ in inst.addresses)
            if not addrs or inst.vrid is None or inst.interface is None:
                continue
            prio = inst.priority if inst.priority == 255 else min(254, inst.priority + inst.track_weight)
            fam = addrs[0].version
            out.append(VirtualRouter(rc.host, inst.interface, inst.vrid, fam, addrs, prio, inst.loc, "keepalived",
                                     inst.preempt, inst.priority_loc))
    return out


def _converters() -> dict[str, Any]:
    """Dialect -> `to_speakers(config, host)`; a new dialect adds one entry here and one reader."""
    out: dict[str, Any] = {}
    try:
        from podpath.readers.frr.speakers import to_speakers as frr

        out["frr"] = frr
    except ImportError:
        pass
    try:
        from podpath.readers.bird.speakers import to_speakers as bird  # type: ignore[import-not-found]

        out["bird"] = bird
    except ImportError:
        pass
    return out


def underlay(snap: "Snapshot", net: Network, speakers: list[BgpSpeaker] | None = None) -> IgpResult | None:
    """Simulate the OSPF processes of every routing-daemon configuration and give each host the
    kernel routes it installs from them (into `HostNet.static`: what sessions and next hops use);
    FRR's `redistribute ospf|ospf6` under `router bgp` originates them into BGP."""
    from podpath.routing import igp

    procs: list[igp.OspfProcess] = []
    segments: dict[tuple[str, str], str] = {}
    mtus: dict[str, dict[str, int]] = {}
    for h in snap.cluster.hosts.values():
        for i in h.interfaces.values():
            if i.segment:
                segments[(h.name, i.name)] = i.segment
            if i.mtu is not None:
                mtus.setdefault(h.name, {})[i.name] = i.mtu.value
    for rc in sorted(snap.routers, key=lambda r: (r.host or "", r.file)):
        if rc.host is None or rc.config is None:
            continue
        if rc.dialect == "frr" and getattr(rc.config, "ospf", None):
            from podpath.readers.frr.igp import to_ospf

            procs.extend(to_ospf(rc.config, rc.host, net.host(rc.host), mtus.get(rc.host)))
        elif rc.dialect == "bird":
            from podpath.readers.bird.igp import to_ospf as bird_ospf

            procs.extend(bird_ospf(rc.config, rc.host, net.host(rc.host), mtus.get(rc.host)))
    if not procs:
        return None
    res = igp.simulate(procs, net, segments)
    installed = igp.kernel_routes(res, net)
    for host, routes in sorted(installed.items()):
        st = net.host(host).static
        for kr in routes:
            st.add(kr)
    for rc in snap.routers:
        if rc.dialect == "frr" and rc.host is not None and rc.config is not None and speakers is not None:
            from podpath.readers.frr.igp import redistribute_into_bgp

            mine = [sp for sp in speakers if sp.host == rc.host and sp.config_file == rc.config.file]
            by_prefix = {str(r.prefix): r for p in res.processes.values() if p.host == rc.host and p.daemon == "frr"
                         for r in res.routes.get(p.id, ())}
            redistribute_into_bgp(rc.config, mine, installed.get(rc.host, []), by_prefix)
    net.igp = res
    return res
