"""FRR configuration -> vendor-independent BGP speakers (one per `router bgp` instance).

Neighbor filters are FRR's own chains (`NeighborPolicy`: prefix-list, filter-list,
route-map, `ebgp-requires-policy` with the profile/version default), so the
simulator needs no FRR-specific policy knowledge."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from podpath.model.cluster import KernelRoute
from podpath.readers.frr.model import IPV4_UNICAST, IPV6_UNICAST, L2VPN_EVPN, BgpInstance, FrrConfig, Neighbor
from podpath.readers.frr.policy import NeighborPolicy, RouteMapPolicy, import_vrf_policy
from podpath.routing.bgp import BgpOptions, BgpPeer, BgpSpeaker, Daemon, Origination, PeerAf, VrfImport
from podpath.routing.policy import Direction, PolicyContext, Verdict
from podpath.routing.route import AsPath, Origin, Protocol, Route

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot

_AFS = ((IPV4_UNICAST, 4), (IPV6_UNICAST, 6))


def to_speakers(cfg: FrrConfig, host: str) -> tuple[list[BgpSpeaker], list[tuple[str, object]], list[KernelRoute]]:
    """Speakers, interface addresses and static routes of one FRR configuration on `host`."""
    interfaces: list[tuple[str, object]] = []
    for name, iface in sorted(cfg.interfaces.items()):
        for addr, _ in iface.addresses:
            interfaces.append((name, addr))
    statics = []
    for s in cfg.static_routes:
        rtype = "blackhole" if s.blackhole else ("unreachable" if s.reject else "unicast")
        statics.append(KernelRoute(s.prefix, s.nexthop, s.interface or ("lo" if rtype != "unicast" else None), "static",
                                   None, None, 20, type=rtype, loc=s.loc))
    defaults = cfg.defaults()
    connected = {addr.network for _, addr in interfaces}  # type: ignore[attr-defined]
    static_prefixes = {s.prefix for s in cfg.static_routes}
    speakers = []
    for vrf, inst in sorted(cfg.bgp.items()):
        if inst.view:
            continue
        opts = BgpOptions(
            ebgp_requires_policy=False,  # applied inside NeighborPolicy, with the profile default
            default_local_pref=inst.default_local_pref or defaults.default_local_pref,
            always_compare_med=bool(inst.always_compare_med),
            compare_routerid=bool(inst.bestpath_compare_routerid),
            deterministic_med=bool(inst.deterministic_med if inst.deterministic_med is not None else defaults.deterministic_med),
            as_path_ignore=inst.bestpath_as_path_ignore, multipath_relax=inst.bestpath_as_path_multipath_relax,
            cluster_id=inst.cluster_id,
            import_check=inst.network_import_check if inst.network_import_check is not None else defaults.network_import_check,
            defaults_note=defaults.note())
        rid = str(inst.router_id) if inst.router_id else _router_id(cfg)
        sp = BgpSpeaker(host, Daemon.FRR, "frr", inst.asn, inst.loc, router_id=rid, version=cfg.version or "",
                        vrf=vrf, options=opts, config_file=cfg.file)
        for key, fam in _AFS:  # `distance bgp EBGP IBGP LOCAL` (zebra compares it with OSPF's)
            af = inst.afs.get(key)
            if af is not None and af.distance:
                sp.distance[fam] = (af.distance[0], af.distance[1])
        for n in sorted(inst.neighbors.values(), key=lambda n: n.name):
            if n.is_group:
                continue
            sp.peers.append(_peer(cfg, inst, inst.effective(n), interfaces, n.address))
        for lr in inst.listen_ranges:
            grp = inst.neighbors.get(lr.peer_group)
            if grp is None:
                continue
            p = _peer(cfg, inst, grp, interfaces, None)
            p.listen_range, p.connects, p.loc = lr.prefix, False, lr.loc
            p.name = f"{grp.name} (listen range {lr.prefix})"
            sp.peers.append(p)
        for key, fam in _AFS:
            af = inst.afs.get(key)
            if af is None:
                continue
            for net in af.networks:
                route = Route(net.prefix, Protocol.BGP, origin=Origin.IGP, as_path=AsPath(), med=0, weight=32768)
                valid, why = True, ""
                if opts.import_check and net.prefix not in connected and net.prefix not in static_prefixes:
                    valid, why = False, "`bgp network import-check`: the prefix is not in the RIB from another source"
                if net.route_map is not None:
                    res = RouteMapPolicy(cfg, net.route_map.name, ref=net.route_map, instance=inst).evaluate(
                        route, PolicyContext(Direction.EXPORT))
                    if res.verdict is Verdict.REJECT:
                        continue
                    route = res.route
                sp.originations.append(Origination(route, f"network {net.prefix}", net.loc, valid=valid, why_invalid=why))
            for red in af.redistributes:
                sources = []
                if red.source == "connected":
                    sources = sorted({a.network for _, a in interfaces if a.version == fam  # type: ignore[attr-defined]
                                      and not a.network.is_link_local}, key=str)  # type: ignore[attr-defined]
                elif red.source == "static":
                    sources = sorted({s.prefix for s in cfg.static_routes if s.prefix.version == fam
                                      and (s.vrf or "default") == vrf}, key=str)
                for prefix in sources:
                    route = Route(prefix, Protocol.CONNECTED if red.source == "connected" else Protocol.STATIC,
                                  origin=Origin.INCOMPLETE, as_path=AsPath(), med=red.metric or 0, weight=32768)
                    if red.route_map is not None:
                        res = RouteMapPolicy(cfg, red.route_map.name, ref=red.route_map, instance=inst).evaluate(
                            route, PolicyContext(Direction.EXPORT))
                        if res.verdict is Verdict.REJECT:
                            continue
                        route = res.route
                    sp.originations.append(Origination(route.replace(protocol=Protocol.BGP),
                                                       f"redistribute {red.source}", red.loc))
            for ref in af.import_vrfs:
                sp.imports.append(VrfImport(ref.name, import_vrf_policy(cfg, vrf, key), ref.loc))
        speakers.append(sp)
    _evpn_type5(cfg, host, speakers, interfaces)
    return speakers, interfaces, statics


def _evpn_type5(cfg: FrrConfig, host: str, speakers: list[BgpSpeaker], interfaces: list[tuple[str, object]]) -> None:
    """Approximate EVPN type-5 (`address-family l2vpn evpn` / `advertise ipvX unicast` in a VRF instance):
    the VRF's best routes reach the same VRF on every EVPN neighbour of the default instance, as over iBGP,
    with the advertising VTEP as next hop. MAC/IP (type-2) routes, RTs and RDs are not modelled: VRFs are
    matched by name."""
    default = cfg.instance("default")
    if default is None:
        return
    vteps = [n for n in default.neighbors.values() if not n.is_group and n.address is not None
             and default.effective(n).active(L2VPN_EVPN)]
    if not vteps:
        return
    by_vrf = {sp.vrf: sp for sp in speakers}
    for vrf, inst in cfg.bgp.items():
        if vrf == "default" or L2VPN_EVPN not in inst.afs or vrf not in by_vrf:
            continue
        fams = _evpn_advertised(cfg, inst)
        if not fams:
            continue
        sp = by_vrf[vrf]
        evpn_af = inst.afs[L2VPN_EVPN]
        for n in vteps:
            eff = default.effective(n)
            src = None
            if eff.update_source:
                try:
                    src = ipaddress.ip_address(eff.update_source)
                except ValueError:
                    src = next((a.ip for ifn, a in interfaces if ifn == eff.update_source  # type: ignore[attr-defined]
                                and a.version == n.address.version), None)  # type: ignore[attr-defined, union-attr]
            vtep = src or next((a.ip for _, a in interfaces if a.version == n.address.version  # type: ignore[attr-defined, union-attr]
                                and a.network.version == n.address.version and n.address in a.network), None)  # type: ignore[attr-defined]
            p = BgpPeer(f"evpn {n.address}", evpn_af.loc, inst.asn, n.address, remote_as=inst.asn,
                        local_address=src, synthetic="EVPN type-5 between VRF instances (approximation)")
            for fam in sorted(fams):
                p.afs[fam] = PeerAf(fam, None, None, False, False, next_hop_self="force", next_hop_address=vtep,
                                    extended_next_hop=True,
                                    loc=evpn_af.loc)
            sp.peers.append(p)


def _evpn_advertised(cfg: FrrConfig, inst: BgpInstance) -> set[int]:
    """Families a VRF instance advertises into EVPN (`advertise ipv4|ipv6 unicast`), found among the
    statements the parser recorded as EVPN-only, inside this instance's block."""
    start = inst.loc.line
    later = sorted(i.loc.line for i in cfg.bgp.values() if i.loc.file == inst.loc.file and i.loc.line > start)
    end = later[0] if later else 1 << 30
    out = set()
    for u in cfg.unsupported:
        if u.loc.file == inst.loc.file and start < u.loc.line < end:
            words = u.statement.split()
            if len(words) >= 3 and words[0] == "advertise" and words[2] == "unicast" and words[1] in ("ipv4", "ipv6"):
                out.add(4 if words[1] == "ipv4" else 6)
    return out


def _router_id(cfg: FrrConfig) -> str | None:
    """FRR's automatic router-id: the highest IPv4 address (loopbacks preferred); good enough offline."""
    v4 = [a.ip for i in cfg.interfaces.values() for a, _ in i.addresses if a.version == 4]
    return str(max(v4)) if v4 else None


def _peer(cfg: FrrConfig, inst: BgpInstance, n: Neighbor, interfaces: list[tuple[str, object]],
          address: object) -> BgpPeer:
    local = None
    if n.update_source:
        try:
            local = ipaddress.ip_address(n.update_source)
        except ValueError:
            fam = getattr(address, "version", 6)
            local = next((a.ip for ifn, a in interfaces if ifn == n.update_source and a.version == fam  # type: ignore[attr-defined]
                          and not a.ip.is_link_local), None)  # type: ignore[attr-defined]
    mode = n.remote_as_mode or ("number" if n.remote_as is not None else "any")
    p = BgpPeer(n.name, n.loc, n.local_as or inst.asn, address, interface=n.scope if n.kind == "interface" else None,  # type: ignore[arg-type]
                remote_as=n.remote_as, remote_as_mode="any" if mode == "auto" else mode, local_address=local,
                multihop=n.ebgp_multihop or (n.ttl_security and 255) or None,
                disable_connected_check=bool(n.disable_connected_check), passive=bool(n.passive),
                shutdown=bool(n.shutdown), port=n.port or 179, description=n.description)
    p.other_afs = tuple(sorted(str(k) for k in set(n.afs) | set(n.default_afs)
                               if k.family is None and n.active(k)))
    for key, fam in _AFS:
        if not n.active(key):
            continue
        a = n.afs.get(key)
        imp = NeighborPolicy(cfg, inst, n, key, Direction.IMPORT)
        exp = NeighborPolicy(cfg, inst, n, key, Direction.EXPORT)
        allowas = a.allowas_in if a is not None else None
        p.afs[fam] = PeerAf(
            fam, imp, exp, imp.named, exp.named, imp.loc, exp.loc,
            next_hop_self=("force" if a is not None and a.next_hop_self in ("force", "all") else
                           "self" if a is not None and a.next_hop_self == "self" else None),
            next_hop_keep=bool(a and a.attribute_unchanged and "next-hop" in a.attribute_unchanged),
            rr_client=bool(a and a.route_reflector_client),
            allowas_in=(3 if allowas == "origin" else int(allowas or 0)),
            extended_next_hop=bool(n.capability_extended_nexthop) or n.kind == "interface",
            loc=(a.locs.get("activate") if a else None) or n.loc)
    return p
