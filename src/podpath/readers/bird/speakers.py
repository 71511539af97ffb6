"""BIRD configuration -> one vendor-independent BGP speaker per host (BIRD's master tables).

Each `protocol bgp` becomes a peer whose channels carry BIRD filters
(`BirdFilterPolicy`); BIRD's defaults are spelled out: iBGP import all / export
none, eBGP without an explicit import or export is refused by BIRD (RFC 8212);
`direct` and `static` protocols originate routes (through their own channel
import filters); the `kernel` protocol's export filter decides what reaches the
kernel (default: nothing)."""

from __future__ import annotations

import fnmatch
import ipaddress
from typing import Any

from podpath.diagnostics import Loc
from podpath.model.cluster import KernelRoute
from podpath.readers.bird.interp import BirdFilterPolicy
from podpath.readers.bird.model import BirdConfig, Channel, FilterSpec, Protocol
from podpath.routing.bgp import BgpOptions, BgpPeer, BgpSpeaker, Daemon, Origination, PeerAf
from podpath.routing.policy import Direction, PolicyContext, PolicyResult, Verdict
from podpath.routing.route import AsPath, Origin, Protocol as RP, Route, RouteDest

_FAM = {"ipv4": 4, "ipv6": 6}


class _ByFamily:
    """Several kernel protocols (one per family) seen as one kernel export policy."""

    def __init__(self, parts: dict[int, Any]) -> None:
        self.parts = parts
        self.name = "kernel protocol export"

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        p = self.parts.get(route.family)
        if p is None:
            from podpath.routing.policy import TraceStep

            step = TraceStep(None, f"no kernel protocol for IPv{route.family}", "reject")
            return PolicyResult(Verdict.REJECT, route, (step,), step)
        return p.evaluate(route, ctx)


def to_speakers(cfg: BirdConfig, host: str, host_interfaces: list[tuple[str, Any]] | None = None
                ) -> tuple[list[BgpSpeaker], list[tuple[str, object]], list[KernelRoute]]:
    lines = getattr(cfg, "_lines", None) or []
    bgp = [p for p in cfg.protocols if p.type == "bgp"]
    asn = next((p.local_as for p in bgp if p.local_as is not None), 0)
    sp = BgpSpeaker(host, Daemon.BIRD, "bird", asn or 0, Loc(cfg.file, 1, 1), router_id=cfg.router_id,
                    version=cfg.version or "", config_file=cfg.file, kernel_metric=32,
                    options=BgpOptions(defaults_note="BIRD 2"))
    kernel_parts: dict[int, Any] = {}

    def pol(spec: FilterSpec | None, name: str) -> Any:
        return BirdFilterPolicy(cfg, spec, lines, name) if spec is not None else None

    for p in cfg.protocols:
        chans = _channels(p)
        if p.type == "bgp":
            sp.peers.append(_peer(cfg, p, chans, pol))
        elif p.type == "kernel":
            for fam, ch in chans.items():
                if ch.export is not None and ch.export.kind != "none":
                    kernel_parts[fam] = pol(ch.export, f"kernel protocol {p.name} export")
                metric = p.opt("metric")
                if metric and metric[1:] and metric[1].isdigit():
                    sp.kernel_metric = int(metric[1])
        elif p.type == "static":
            for r in p.statics:
                fam = r.prefix.version
                ch = chans.get(fam)
                if ch is None:
                    continue
                dest = {"blackhole": RouteDest.BLACKHOLE, "unreachable": RouteDest.UNREACHABLE,
                        "prohibit": RouteDest.PROHIBIT}.get(r.kind, RouteDest.UNICAST)
                route = Route(r.prefix, RP.STATIC, next_hop=r.via, as_path=AsPath(), origin=Origin.IGP, dest=dest,
                              source_name=p.name, preference=200, ifname=r.iface)
                if r.attrs:
                    res = BirdFilterPolicy(cfg, FilterSpec("inline", r.loc, body=r.attrs + [_accept(r.loc)]), lines
                                           ).evaluate(route, PolicyContext(Direction.IMPORT, protocol_name=p.name))
                    route = res.route
                _originate(sp, route, ch, pol, f"static route in protocol {p.name}", r.loc)
        elif p.type == "direct":
            for ifname, iface in host_interfaces or []:
                if p.interfaces and not _iface_match(ifname, p.interfaces):
                    continue
                if ifname == "lo" or iface.ip.is_loopback or iface.ip.is_link_local:
                    continue  # BIRD ignores the loopback device
                ch = chans.get(iface.version)
                if ch is None:
                    continue
                route = Route(iface.network, RP.CONNECTED, as_path=AsPath(), origin=Origin.IGP, source_name=p.name,
                              preference=240, ifname=ifname)
                _originate(sp, route, ch, pol, f"direct protocol {p.name} ({ifname})", p.loc)
    if kernel_parts:
        sp.kernel_export = _ByFamily(kernel_parts)
    kernel = next((p for p in cfg.protocols if p.type == "kernel"), None)
    if kernel is not None:
        sp.loc = kernel.loc  # where routes to the kernel are decided
    return [sp], [], []


def _accept(loc: Loc) -> Any:
    from podpath.readers.bird.ast import Verdict as V

    return V(loc, True)


def _iface_match(ifname: str, patterns: list[str]) -> bool:
    ok = False
    for pat in patterns:
        neg = pat.startswith("-")
        if fnmatch.fnmatchcase(ifname, pat.lstrip("-")):
            return not neg
    return ok


def _originate(sp: BgpSpeaker, route: Route, ch: Channel, pol: Any, how: str, loc: Loc) -> None:
    imp = pol(ch.import_, f"{how} import") if ch.import_ is not None else None
    if imp is not None:
        res = imp.evaluate(route, PolicyContext(Direction.IMPORT, protocol_name=route.source_name))
        if res.verdict is Verdict.REJECT:
            return
        route = res.route
    sp.originations.append(Origination(route, how, loc))


def _channels(p: Protocol) -> dict[int, Channel]:
    out: dict[int, Channel] = {}
    default = p.channels.get("_default")
    for afi, ch in p.channels.items():
        fam = _FAM.get(afi)
        if fam is not None:
            if default is not None:
                ch.import_ = ch.import_ or default.import_
                ch.export = ch.export or default.export
            out[fam] = ch
    if not out and default is not None:
        fam = p.neighbor.version if p.neighbor is not None else 6
        out[fam] = default
    return out


def _peer(cfg: BirdConfig, p: Protocol, chans: dict[int, Channel], pol: Any) -> BgpPeer:
    mode = p.neighbor_kind or "number"
    multihop = None
    mh = p.opt("multihop")
    if mh is not None:
        multihop = int(mh[1]) if len(mh) > 1 and mh[1].isdigit() else 64
    if p.opt("direct") is not None:
        multihop = None
    ibgp = (mode == "internal") or (mode == "number" and p.neighbor_as == p.local_as)
    if ibgp and mh is None and p.opt("direct") is None:
        multihop = 64  # BIRD: iBGP is multihop by default
    passive = p.opt("passive")
    peer = BgpPeer(p.name, p.loc_neighbor or p.loc, p.local_as or 0, p.neighbor, listen_range=p.neighbor_range,
                   interface=p.neighbor_iface, remote_as=p.neighbor_as, remote_as_mode=mode,
                   local_address=p.local_address, multihop=multihop,
                   passive=passive is not None and (len(passive) == 1 or passive[1] in ("on", "yes")),
                   connects=p.neighbor_range is None)
    allow = p.opt("allow local") or []
    allowas = int(allow[3]) if len(allow) > 3 and allow[3].isdigit() else (1 if allow else 0)
    rr_client = p.opt("rr client") is not None
    dlp = p.opt("default bgp_local_pref")
    for fam, ch in chans.items():
        nh = ch.options.get("next hop self") or ch.options.get("next hop keep")
        nh_self = None
        keep = False
        if nh:
            words = nh[0]
            which = words[3] if len(words) > 3 else None
            if words[2] == "self":
                nh_self = which if which in ("ebgp", "ibgp") else "self"
            else:
                keep = True
        gw = ch.options.get("gateway direct") or ch.options.get("gateway recursive")
        peer.afs[fam] = PeerAf(
            fam, pol(ch.import_, f"protocol {p.name} {ch.afi} import") if ch.import_ is not None else (
                pol(FilterSpec("all", ch.loc), f"protocol {p.name} {ch.afi} import (default: all)") if ibgp else None),
            pol(ch.export, f"protocol {p.name} {ch.afi} export") if ch.export is not None else None,
            ch.import_ is not None, ch.export is not None,
            ch.import_.loc if ch.import_ else ch.loc, ch.export.loc if ch.export else ch.loc,
            next_hop_self=nh_self, next_hop_keep=keep, rr_client=rr_client, allowas_in=allowas,
            extended_next_hop=ch.options.get("extended next") is not None,
            gateway=gw[0][1] if gw else None,
            default_local_pref=int(dlp[2]) if dlp and len(dlp) > 2 and dlp[2].isdigit() else 100,
            loc=ch.loc)
    return peer
