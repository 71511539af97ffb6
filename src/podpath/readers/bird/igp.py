"""BIRD `protocol ospf v2|v3` -> vendor-independent OSPF processes (routing/igp.py).

BIRD's rules spelled out: an interface runs in the first area whose `interface`
patterns select it (first matching pattern of the area decides); cost 10, hello 10 s,
dead 4 x hello unless set; `stub` interfaces (and the loopback) send no hellos and
are advertised as stub networks with their cost (the loopback's addresses as host
routes of cost 0 in OSPFv2; OSPFv3 does not run on lo, which has no link-local
address); stub and NSSA areas get no summaries
unless `summary yes`, and a default route of cost 1000 (`default cost`); externals
are the master table's routes the channel's export filter accepts (static, direct,
kernel routes: BGP routes are not fed back into the IGP), type 2 with metric 10000
unless the filter sets `ospf_metric1` (type 1) or `ospf_metric2`; OSPF routes have
preference 150 and reach the kernel through the kernel protocol's export filter."""

from __future__ import annotations

from typing import Any

from podpath.readers.bird.model import BirdConfig, GenericProtocol, iface_selected
from podpath.routing.igp import External, IgpRoute, OspfArea, OspfIface, OspfProcess
from podpath.routing.network import HostNet
from podpath.routing.policy import Direction, PolicyContext, Verdict
from podpath.routing.route import AsPath, Origin, Protocol, Route

_E2_DEFAULT = 10000


def to_ospf(cfg: BirdConfig, host: str, h: HostNet, mtus: dict[str, int] | None = None) -> list[OspfProcess]:
    protos = [p for p in cfg.protocols if isinstance(p, GenericProtocol) and p.type == "ospf"
              and p.ospf is not None and not p.disabled]
    if not protos:
        return []
    from podpath.readers.bird.interp import BirdFilterPolicy
    from podpath.readers.bird.speakers import to_speakers

    ifaces = [(ifn, iface) for _, (ifn, iface) in sorted(h.addresses.items(), key=lambda x: str(x[0]))]
    speakers, _, _ = to_speakers(cfg, host, ifaces)
    sp = speakers[0] if speakers else None
    kernel = sp.kernel_export if sp is not None else None
    metric = sp.kernel_metric if sp is not None else 32
    mtus = mtus or {}
    out = []
    for proto in protos:
        o = proto.ospf
        fam = 4 if o.version == 2 else 6
        rid = o.router_id or cfg.router_id or _lowest_v4(h)
        p = OspfProcess(host, "bird", o.version, proto.name, rid, proto.loc, preference=150, ecmp=o.ecmp,
                        kernel_metric=metric, kernel_proto="bird")
        for a in o.areas:
            p.areas[a.area] = OspfArea(a.area, a.kind, a.kind != "normal" and not a.summary, a.default_cost, a.loc)
        by_if: dict[str, list[Any]] = {}
        for addr, (ifname, iface) in sorted(h.addresses.items(), key=lambda x: (x[1][0], int(x[0]))):
            if addr.version == fam and not addr.is_loopback and not addr.is_link_local:
                by_if.setdefault(ifname, []).append(iface)
        for ifname in sorted(by_if):
            for a in o.areas:
                f = next((f for f in a.interfaces if iface_selected(f.patterns, ifname)), None)
                if f is None:
                    continue
                lo = ifname == "lo"
                if lo and o.version == 3:
                    p.notes.append(f"{proto.name}: lo has no link-local address: BIRD's OSPFv3 does not run on it, "
                                   "so its addresses are not advertised")
                    break
                network = f.type if f.type in ("broadcast", "point-to-point") else "broadcast"
                p.interfaces.append(OspfIface(ifname, a.area, f.cost, "loopback" if lo else network, f.hello,
                                              f.dead_interval, f.stub or lo, f.loc, list(by_if[ifname]),
                                              mtus.get(ifname) or 1500, False, f.priority,
                                              stub_cost=0 if lo else None, host_route=lo))
                break
        for a in o.areas:
            for pfx, cost, hidden, loc in a.stubnets:
                if not hidden and pfx.version == fam:
                    p.interfaces.append(OspfIface(f"stubnet {pfx}", a.area, cost, "loopback", 10, 40, True, loc,
                                                  [_as_iface(pfx)]))
        ch = proto.channels.get("ipv4" if fam == 4 else "ipv6")
        if ch is not None and ch.export is not None and ch.export.kind != "none" and sp is not None:
            pol = BirdFilterPolicy(cfg, ch.export, f"protocol {proto.name} export")
            for o2 in sorted(sp.originations, key=lambda x: (x.route.prefix.version, int(x.route.prefix.network_address),
                                                              x.route.prefix.prefixlen)):
                r = o2.route
                if r.prefix.version != fam or r.protocol not in (Protocol.STATIC, Protocol.CONNECTED, Protocol.KERNEL):
                    continue
                res = pol.evaluate(r, PolicyContext(Direction.EXPORT, protocol_name=proto.name))
                if res.verdict is not Verdict.ACCEPT:
                    continue
                m1, m2 = _ospf_metrics(res.route)
                if m1 is not None and m2 is None:
                    p.externals.append(External(r.prefix, m1, 1, f"export of {o2.how}", ch.export.loc))
                else:
                    p.externals.append(External(r.prefix, m2 if m2 is not None else _E2_DEFAULT, 2,
                                                f"export of {o2.how}", ch.export.loc))
        if ch is not None and ch.import_ is not None and ch.import_.kind not in ("all",):
            p.notes.append(f"{proto.name}: the import filter at {ch.import_.loc} is applied to what reaches the "
                           "kernel only")
        imp = BirdFilterPolicy(cfg, ch.import_, f"protocol {proto.name} import") \
            if ch is not None and ch.import_ is not None and ch.import_.kind != "all" else None
        p.kernel_filter = _kernel_filter(kernel, imp, proto.name, metric)
        if ch is not None and ch.import_ is not None and ch.import_.kind == "none":
            p.install = False
        out.append(p)
    return out


def _as_iface(pfx: Any) -> Any:
    import ipaddress

    return ipaddress.ip_interface(f"{pfx.network_address}/{pfx.prefixlen}")


def _lowest_v4(h: HostNet) -> str | None:
    v4 = sorted((a for a in h.addresses if a.version == 4 and not a.is_loopback), key=int)
    return str(v4[0]) if v4 else None


def _ospf_metrics(r: Route) -> tuple[int | None, int | None]:
    m1 = m2 = None
    for k, v in r.extra:
        if k == "bird:ospf_metric1" and v.startswith("i:"):
            m1 = int(v[2:])
        elif k == "bird:ospf_metric2" and v.startswith("i:"):
            m2 = int(v[2:])
    return m1, m2


def _kernel_filter(kernel: Any, imp: Any, name: str, metric: int) -> Any:
    """An OSPF route reaches the kernel when the protocol's import filter and the kernel protocol's
    export filter accept it (BIRD's default kernel export is none)."""
    def accept(r: IgpRoute) -> bool:
        if kernel is None:
            return False
        nh = r.nexthops[0].gateway if r.nexthops else None
        route = Route(r.prefix, Protocol.OSPF, next_hop=nh, as_path=AsPath(), origin=Origin.IGP, source_name=name,
                      preference=150, metric=r.metric, ifname=r.nexthops[0].ifname if r.nexthops else None)
        if imp is not None:
            res = imp.evaluate(route, PolicyContext(Direction.IMPORT, protocol_name=name))
            if res.verdict is not Verdict.ACCEPT:
                return False
            route = res.route
        return kernel.evaluate(route, PolicyContext(Direction.EXPORT, protocol_name="kernel")).verdict is Verdict.ACCEPT
    return accept
