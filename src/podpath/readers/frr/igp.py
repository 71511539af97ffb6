"""FRR `router ospf` / `router ospf6` -> vendor-independent OSPF processes (routing/igp.py).

FRR's rules spelled out here: an interface joins OSPFv2 by `ip ospf area` or by a
`network P area A` that contains one of its addresses, OSPFv3 by `ipv6 ospf6 area`
(or, FRR 8, `interface X area A` under `router ospf6`); hello 10 s and dead 40 s
unless set (setting the hello interval does not change the dead interval); cost
`ip ospf cost`, else reference bandwidth (100 Mbit/s) / interface bandwidth
(`bandwidth`, else the link speed, which a snapshot does not hold: podpath takes
FRR's default for an unknown speed, 10 Mbit/s, so cost 10), at least 1; loopbacks
are advertised as host routes with cost 0 (OSPFv3 before FRR 9.0.2: the interface cost);
ospf6d on a point-to-point interface also advertises each address as a /128 of cost 0
(seen in 10.3, not in 8.4; podpath applies it from 9.0); `redistribute connected`
leaves out the networks of OSPF interfaces; external
metric 20 type 2, `default-information originate` metric 10 (1 with `always`)."""

from __future__ import annotations

import ipaddress
from typing import Any

from podpath.readers.frr.defaults import NEWEST_KNOWN, parse_version
from podpath.readers.frr.model import FrrConfig, OspfInstance
from podpath.routing.igp import External, OspfArea, OspfIface, OspfProcess
from podpath.routing.network import HostNet
from podpath.routing.policy import Direction, PolicyContext, Verdict
from podpath.routing.route import AsPath, Origin, Protocol, Route

DEFAULT_SPEED_KBPS = 10_000  # FRR's bandwidth of an interface whose speed it does not know: 10 Mbit/s
_DEFAULT_METRIC = 20
_ORIGINATE_METRIC = 10
_ALWAYS_METRIC = 1


def to_ospf(cfg: FrrConfig, host: str, h: HostNet, mtus: dict[str, int] | None = None) -> list[OspfProcess]:
    """The OSPF processes of one FRR configuration on `host` (addresses: the host's, by interface)."""
    out = []
    mtus = mtus or {}
    for version, inst in sorted(cfg.ospf.items()):
        fam = 4 if version == 2 else 6
        p = OspfProcess(host, "frr", version, "ospf" if version == 2 else "ospf6",
                        inst.router_id or _router_id(h), inst.loc, preference=inst.distance or 110,
                        kernel_metric=20, kernel_proto="ospf")
        for a in inst.areas.values():
            p.areas[a.area] = OspfArea(a.area, a.kind, a.no_summary, a.default_cost if a.default_cost is not None
                                       else 1, a.loc)
        by_if: dict[str, list[Any]] = {}
        for addr, (ifname, iface) in sorted(h.addresses.items(), key=lambda x: (x[1][0], int(x[0]))):
            if addr.version == fam and not addr.is_loopback and not addr.is_link_local:
                by_if.setdefault(ifname, []).append(iface)
        names = set(by_if) | {n for n, i in cfg.interfaces.items() if version in i.ospf} | set(inst.interfaces)
        for ifname in sorted(names):
            iface = _iface(cfg, inst, ifname, by_if.get(ifname, []), mtus.get(ifname), p)
            if iface is not None:
                p.interfaces.append(iface)
        p.externals = _flushed_by_stub(inst, p, _externals(cfg, inst, h, p, fam))
        out.append(p)
    return out


def _router_id(h: HostNet) -> str | None:
    """zebra's router ID: the highest loopback IPv4 address, else the highest IPv4 address."""
    lo = [a for a, (ifn, _) in h.addresses.items() if a.version == 4 and ifn == "lo" and not a.is_loopback]
    other = [a for a in h.addresses if a.version == 4 and not a.is_loopback]
    pick = lo or other
    return str(max(pick, key=int)) if pick else None


def _iface(cfg: FrrConfig, inst: OspfInstance, ifname: str, addrs: list[Any], mtu: int | None,
           p: OspfProcess) -> OspfIface | None:
    itf = cfg.interfaces.get(ifname)
    s = itf.ospf.get(inst.version) if itf is not None else None
    area, loc = (s.area, s.area_loc) if s is not None and s.area is not None else (None, None)
    if area is None and inst.version == 2:
        for net, a, nloc in inst.networks:
            if any(x.ip in net for x in addrs):
                area, loc = a, nloc
                break
    if area is None and inst.version == 3 and ifname in inst.interfaces:
        area, loc = inst.interfaces[ifname]
    if area is None or loc is None:
        return None
    if itf is not None and itf.shutdown:
        return None
    lo = ifname == "lo"
    if s is not None and s.cost is not None:
        cost = s.cost
    else:
        bw = (itf.bandwidth if itf is not None and itf.bandwidth else DEFAULT_SPEED_KBPS)
        cost = max(1, min(65535, round(inst.ref_bandwidth * 1000 / bw)))
        if not (itf is not None and itf.bandwidth) and not lo:
            note = ("interface costs without `ip ospf cost` or `bandwidth` assume FRR's default bandwidth of "
                    "10 Mbit/s (the link speed is not in the snapshot)")
            if note not in p.notes:
                p.notes.append(note)
    hello = s.hello if s is not None and s.hello else 10
    dead = s.dead if s is not None and s.dead else 40
    passive = s.passive if s is not None and s.passive is not None else None
    if passive is None:
        passive = inst.passive[ifname][0] if ifname in inst.passive else inst.passive_default
    network = "loopback" if lo else (s.network if s is not None and s.network in ("point-to-point",) else "broadcast")
    mtu = mtu or (itf.mtu if itf is not None else None) or 1500
    v = parse_version(cfg.version) or parse_version(NEWEST_KNOWN) or (10,)
    host_too = inst.version == 3 and network == "point-to-point" and v >= (9, 0)
    return OspfIface(ifname, area, cost, network, hello, dead, bool(passive) or lo, loc, list(addrs), mtu,
                     bool(s and s.mtu_ignore), s.priority if s is not None and s.priority is not None else 1,
                     stub_cost=_loopback_cost(cfg, inst.version, s.cost if s is not None else None) if lo else None,
                     host_route=lo, also_host_routes=host_too)


def _loopback_cost(cfg: FrrConfig, version: int, configured: int | None) -> int | None:
    """The cost of a loopback's host route: 0 (RFC 2328 12.4.1.1, RFC 5340 4.4.3.9). ospfd keeps an
    `ip ospf cost` set on the loopback from 8.4.3 (FRR PR 13485); ospf6d used the interface cost
    before 9.0.2 (FRR PR 14635). None: the interface cost."""
    v = parse_version(cfg.version) or parse_version(NEWEST_KNOWN) or (10,)
    if version == 2:
        return configured if configured is not None and v >= (8, 4, 3) else 0
    return 0 if v >= (9, 0, 2) else None


def _externals(cfg: FrrConfig, inst: OspfInstance, h: HostNet, p: OspfProcess, fam: int) -> list[External]:
    out: list[External] = []
    ospf_nets = {x.network for i in p.interfaces for x in i.prefixes}
    for red in inst.redistributes:
        metric = red.metric if red.metric is not None else _DEFAULT_METRIC
        cands: list[tuple[Any, Protocol]] = []
        if red.source == "connected":
            for net, ifname, own in h.connected:
                if net.version != fam or own.is_loopback or net.is_link_local or net in ospf_nets:
                    continue
                if ifname == "lo":
                    net = ipaddress.ip_network(f"{own}/{own.max_prefixlen}")
                    if net in ospf_nets or any(own in x.network for i in p.interfaces for x in i.prefixes):
                        continue
                cands.append((net, Protocol.CONNECTED))
        elif red.source == "static":
            cands = [(s.prefix, Protocol.STATIC) for s in cfg.static_routes
                     if s.prefix.version == fam and s.vrf in (None, "default")]
        elif red.source == "kernel":
            cands = [(r.dst, Protocol.KERNEL) for r in h.static.routes
                     if r.dst.version == fam and r.type == "unicast" and (r.loc is None or r.loc.file != cfg.file)
                     and r.protocol not in ("ospf", "ospf6", "bird", "bgp", "static", "zebra")]
        else:
            continue
        seen = set()
        for prefix, proto in sorted(cands, key=lambda c: (int(c[0].network_address), c[0].prefixlen)):
            if prefix in seen or prefix.prefixlen == 0:
                continue
            seen.add(prefix)
            m = metric
            if red.route_map is not None:
                from podpath.readers.frr.policy import RouteMapPolicy

                route = Route(prefix, proto, origin=Origin.INCOMPLETE, as_path=AsPath(), med=metric)
                res = RouteMapPolicy(cfg, red.route_map.name, ref=red.route_map).evaluate(
                    route, PolicyContext(Direction.EXPORT))
                if res.verdict is Verdict.REJECT:
                    continue
                m = res.route.med if res.route.med is not None else metric
            out.append(External(prefix, m, red.metric_type, f"redistribute {red.source}", red.loc))
    d = inst.default_originate
    if d is not None:
        default = ipaddress.ip_network("0.0.0.0/0" if fam == 4 else "::/0")
        have = any(r.dst == default and r.type == "unicast" and r.protocol not in ("ospf", "ospf6")
                   for r in h.static.routes)
        if d.always or have:
            m = d.metric if d.metric is not None else (_ALWAYS_METRIC if d.always else _ORIGINATE_METRIC)
            out.append(External(default, m, d.metric_type,
                                "default-information originate" + (" always" if d.always else ""), d.loc))
        else:
            p.notes.append(f"`default-information originate` at {d.loc} originates a default route only while "
                           f"{p.host} has one from another source; podpath sees none (add `always`, or the route)")
    return out


def _flushed_by_stub(inst: OspfInstance, p: OspfProcess, externals: list[External]) -> list[External]:
    """ospfd applies `area A stub` by flushing the AS-external LSAs of its database, its own
    included, and does not originate them again until the redistributed routes change. The
    externals of a `redistribute`/`default-information` read before the first `area A stub` are
    gone from the whole domain when zebra handed ospfd the redistributed route before it read the
    area statement, and advertised otherwise: timing (seen both ways in the lab, FRR 8.4 and 10.3,
    the flushed type-5 LSA at MaxAge). They stay in the simulation, marked `racy`."""
    if p.version != 2:
        return externals
    stubs = sorted((a.loc.line, a) for a in inst.areas.values() if a.kind == "stub" and a.loc is not None)
    if not stubs:
        return externals
    line, area = stubs[0]
    for e in externals:
        if e.loc is not None and area.loc is not None and e.loc.file == area.loc.file and e.loc.line < line:
            e.racy = (f"{e.how} at {e.loc} is read before `area {area.area} stub` at {area.loc}, which flushes "
                      f"ospfd's AS-external LSAs: whether {e.prefix} stays advertised depends on when zebra "
                      "hands ospfd the route (put the area statement first)")
            p.notes.append(e.racy)
    return externals


def redistribute_into_bgp(cfg: FrrConfig, speakers: list[Any], installed: list[Any], routes: dict[str, Any]) -> None:
    """`redistribute ospf|ospf6` under `router bgp`: the OSPF routes zebra selected (`installed`: the
    kernel routes the host took from OSPF) become originations of the default-VRF speaker, with the route's
    metric as MED unless `metric N` says otherwise (bgpd takes zebra's metric), through the route-map."""
    from podpath.readers.frr.model import IPV4_UNICAST, IPV6_UNICAST
    from podpath.readers.frr.policy import RouteMapPolicy
    from podpath.routing.bgp import Origination

    inst = cfg.instance("default")
    sp = next((s for s in speakers if getattr(s, "vrf", "default") == "default"), None)
    if inst is None or sp is None:
        return
    for key, fam, src in ((IPV4_UNICAST, 4, "ospf"), (IPV6_UNICAST, 6, "ospf6")):
        af = inst.afs.get(key)
        if af is None:
            continue
        for red in af.redistributes:
            if red.source != src or red.instance is not None:
                continue
            for kr in installed:
                if kr.dst.version != fam or kr.protocol != "ospf":
                    continue
                r = routes.get(str(kr.dst))
                med = red.metric if red.metric is not None else (r.metric2 if r is not None and r.kind == "ext2"
                                                                   else r.metric if r is not None else 0)
                route = Route(kr.dst, Protocol.OSPF, origin=Origin.INCOMPLETE, as_path=AsPath(), med=med,
                              weight=32768)
                if red.route_map is not None:
                    res = RouteMapPolicy(cfg, red.route_map.name, ref=red.route_map, instance=inst).evaluate(
                        route, PolicyContext(Direction.EXPORT))
                    if res.verdict is Verdict.REJECT:
                        continue
                    route = res.route
                sp.originations.append(Origination(route.replace(protocol=Protocol.BGP), f"redistribute {src}",
                                                   red.loc))
