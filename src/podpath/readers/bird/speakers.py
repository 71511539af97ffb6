"""BIRD configuration -> one vendor-independent BGP speaker per host (BIRD's master tables).

Each `protocol bgp` becomes a peer whose channels carry BIRD filters
(`BirdFilterPolicy`); BIRD's defaults are spelled out: iBGP import all / export
none, eBGP without an explicit import or export is refused by BIRD (RFC 8212);
`direct` and `static` protocols originate routes (through their own channel
import filters); the `kernel` protocol's export filter decides what reaches the
kernel (default: nothing)."""

from __future__ import annotations

from typing import Any

from podpath.diagnostics import Loc
from podpath.model.cluster import KernelRoute
from podpath.readers.bird.interp import BirdFilterPolicy
from podpath.readers.bird.model import (
    BgpProtocol, BirdConfig, Channel, DirectProtocol, FilterSpec, KernelProtocol, Protocol, StaticProtocol,
    iface_selected,
)
from podpath.routing.bgp import BgpOptions, BgpPeer, BgpSpeaker, Daemon, Origination, PeerAf
from podpath.routing.policy import Direction, PolicyContext, PolicyResult, TraceStep, Verdict
from podpath.routing.route import AsPath, Origin, Protocol as RP, Route, RouteDest

_UNLIMITED = 1_000_000  # `allow local as;` without a number


class _ByFamily:
    """Several kernel protocols (one per family) seen as one kernel export policy."""

    def __init__(self, parts: dict[int, Any]) -> None:
        self.parts = parts
        self.name = "kernel protocol export"

    context_free = True

    @property
    def key(self) -> Any:
        from podpath.routing.policy import policy_key

        return ("by family",) + tuple((f, policy_key(p)) for f, p in sorted(self.parts.items()))

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        p = self.parts.get(route.family)
        if p is None:
            step = TraceStep(None, f"no kernel protocol for IPv{route.family}", "reject")
            return PolicyResult(Verdict.REJECT, route, (step,), step)
        return p.evaluate(route, ctx)


def to_speakers(cfg: BirdConfig, host: str, host_interfaces: list[tuple[str, Any]] | None = None
                ) -> tuple[list[BgpSpeaker], list[tuple[str, object]], list[KernelRoute]]:
    bgp = [p for p in cfg.protocols if isinstance(p, BgpProtocol)]
    asn = next((p.local_as for p in bgp if p.local_as is not None), 0)
    sp = BgpSpeaker(host, Daemon.BIRD, "bird", asn or 0, Loc(cfg.file, 1, 1), router_id=cfg.router_id,
                    version=cfg.version or "", config_file=cfg.file, kernel_metric=32,
                    options=BgpOptions(defaults_note="BIRD 2"))
    kernel_parts: dict[int, Any] = {}

    def pol(spec: FilterSpec | None, name: str) -> Any:
        return BirdFilterPolicy(cfg, spec, name) if spec is not None else None

    for p in cfg.protocols:
        if p.disabled:
            continue
        chans = _channels(p)
        if isinstance(p, BgpProtocol):
            sp.peers.append(_peer(p, chans, pol))
            prefs = [ch.preference for ch in chans.values() if ch.preference is not None]
            if prefs:  # the channel's `preference` (BGP's default: 100), against OSPF's 150 in the table
                sp.peer_preference[p.name] = prefs[0]
        elif isinstance(p, KernelProtocol):
            for fam, ch in chans.items():
                if ch.export is not None and ch.export.kind != "none":
                    kernel_parts[fam] = pol(ch.export, f"kernel protocol {p.name} export")
            sp.kernel_metric = p.metric
        elif isinstance(p, StaticProtocol):
            for r in p.routes:
                ch = chans.get(r.prefix.version)
                if ch is None:
                    continue
                dest = {"blackhole": RouteDest.BLACKHOLE, "unreachable": RouteDest.UNREACHABLE,
                        "prohibit": RouteDest.PROHIBIT}.get(r.kind, RouteDest.UNICAST)
                route = Route(r.prefix, RP.STATIC, next_hop=r.via, as_path=AsPath(), origin=Origin.IGP, dest=dest,
                              source_name=p.name, preference=ch.preference or 200, ifname=r.iface)
                if r.attrs is not None:
                    res = BirdFilterPolicy(cfg, r.attrs, f"static route {r.prefix} attributes").evaluate(
                        route, PolicyContext(Direction.IMPORT, protocol_name=p.name))
                    if res.verdict is Verdict.REJECT:
                        continue
                    route = res.route
                _originate(sp, route, ch, pol, f"static route in protocol {p.name}", r.loc)
        elif isinstance(p, DirectProtocol):
            for ifname, iface in host_interfaces or []:
                if not iface_selected(p.interfaces, ifname):
                    continue
                if ifname == "lo" or iface.ip.is_loopback or iface.ip.is_link_local:
                    continue  # BIRD ignores the loopback device
                ch = chans.get(iface.version)
                if ch is None:
                    continue
                route = Route(iface.network, RP.CONNECTED, as_path=AsPath(), origin=Origin.IGP, source_name=p.name,
                              preference=ch.preference or 240, ifname=ifname)
                _originate(sp, route, ch, pol, f"direct protocol {p.name} ({ifname})", p.loc)
    if kernel_parts:
        sp.kernel_export = _ByFamily(kernel_parts)
    kernel = next((p for p in cfg.protocols if isinstance(p, KernelProtocol) and not p.disabled), None)
    if kernel is not None:
        sp.loc = kernel.loc  # where routes to the kernel are decided
    return [sp], [], []


def _originate(sp: BgpSpeaker, route: Route, ch: Channel, pol: Any, how: str, loc: Loc) -> None:
    imp = pol(ch.import_, f"{how} import") if ch.import_ is not None else None
    if imp is not None:
        res = imp.evaluate(route, PolicyContext(Direction.IMPORT, protocol_name=route.source_name))
        if res.verdict is Verdict.REJECT:
            return
        route = res.route
    sp.originations.append(Origination(route, how, loc))


def _channels(p: Protocol) -> dict[int, Channel]:
    return {ch.family: ch for ch in p.channels.values() if ch.family is not None}


def _peer(p: BgpProtocol, chans: dict[int, Channel], pol: Any) -> BgpPeer:
    mode = p.neighbor_kind or "number"
    mh = p.effective_multihop()
    ibgp = p.is_internal()
    peer = BgpPeer(p.name, p.neighbor_loc or p.loc, p.local_as or 0, p.neighbor, listen_range=p.neighbor_range,
                   interface=p.interface, remote_as=p.remote_as(), remote_as_mode=mode,
                   local_address=p.local_address or p.source_address, multihop=mh or None, passive=p.passive,
                   connects=p.neighbor_range is None, port=p.neighbor_port or 179, listen_port=p.local_port,
                   description=p.description)
    allowas = _UNLIMITED if p.allow_local_as < 0 else p.allow_local_as
    for fam, ch in chans.items():
        nh_self = {"on": "self", "ibgp": "ibgp", "ebgp": "ebgp"}.get(ch.next_hop_self or "")
        imp = p.import_spec(ch)
        exp = ch.export
        peer.afs[fam] = PeerAf(
            fam,
            pol(imp, f"protocol {p.name} {ch.afi} import" + (" (default: all)" if imp and imp.implicit else ""))
            if imp is not None else None,
            pol(exp, f"protocol {p.name} {ch.afi} export") if exp is not None else None,
            ch.import_ is not None, ch.export is not None,
            ch.import_.loc if ch.import_ else ch.loc, ch.export.loc if ch.export else ch.loc,
            next_hop_self=nh_self, next_hop_keep=ch.next_hop_keep in ("on", "ibgp", "ebgp"),
            rr_client=p.rr_client and ibgp, allowas_in=allowas, extended_next_hop=bool(ch.extended_next_hop),
            gateway=ch.gateway, default_local_pref=p.default_local_pref, next_hop_address=ch.next_hop_address,
            loc=ch.loc)
    return peer
