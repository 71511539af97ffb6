"""FRR `router ospf` / `router ospf6` and the interfaces' `ip ospf` / `ipv6 ospf6` settings.

The handlers plug into the node tables of readers/frr/parser.py (same calling
convention: parser, node, cursor after the keyword, negated). What FRR has but
podpath's IGP model does not use is kept as `Unsupported` with its line, so a
result that depends on it is never silently wrong (authentication, area ranges,
max-metric, virtual links, segment routing...)."""

from __future__ import annotations

import ipaddress

from podpath.readers.frr import parser as P
from podpath.readers.frr.model import (
    Interface,
    OspfArea,
    OspfDefaultOriginate,
    OspfIfSettings,
    OspfInstance,
    OspfRedistribute,
)

_ROUTE_SOURCES = ("kernel", "connected", "static", "bgp", "rip", "ripng", "isis", "babel", "eigrp", "nhrp", "sharp",
                  "openfabric", "table", "vnc", "ospf6", "ospf", "local")
_NETWORK_TYPES = ("broadcast", "point-to-point", "non-broadcast", "point-to-multipoint")


def parse_area(t: str) -> str | None:
    """`0`, `1`, `0.0.0.1` -> dotted quad; None if neither form."""
    if P._INT_RE.match(t):
        v = int(t)
        return str(ipaddress.IPv4Address(v)) if v <= 0xFFFFFFFF else None
    try:
        return str(ipaddress.IPv4Address(t))
    except ValueError:
        return None


def _area(c: "P._Cur") -> str:
    t = c.take("area ID (A.B.C.D or 0-4294967295)")
    a = parse_area(t)
    if a is None:
        raise P._Syntax(c.i - 1, "area ID (A.B.C.D or 0-4294967295)")
    return a


def _inst(node: "P._Node") -> OspfInstance:
    n: P._Node | None = node
    while n is not None and not isinstance(n.data, OspfInstance):
        n = n.parent
    assert n is not None
    return n.data  # type: ignore[return-value]


def _skip(p: "P.FrrParser", why: str, affects: bool) -> None:
    """An OSPF statement read but not modelled; one that can change routes names the process whose
    routes it changes (`Unsupported.route_source`), so what depends on them is unknown."""
    toks = [t for t in p._toks if t != "no"]
    if toks[:1] == ["ipv6"] or toks[1:2] == ["ospf6"] or "ospf6" in str(getattr(p.node, "kind", "")):
        source = "ospf6"
    else:
        source = "ospf"
    p._unsupported(why, affects, source if affects else "")


# ------------------------------------------------------------------------------------------- router ospf[6]

def router(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    """`router ospf [vrf NAME]` / `router ospf6 [vrf NAME]`: the default-VRF process is modelled."""
    word = c.take("`ospf` | `ospf6`")
    version = 2 if word == "ospf" else 3
    if neg:
        _skip(p, f"`no router {word}` removes the process; not modelled", True)
        return None
    if version == 2 and c.more() and P._INT_RE.match(c.peek() or ""):
        p._open_opaque(node, f"multi-instance OSPF (`router ospf {c.peek()}`) is not modelled", True)
        return None
    if c.opt("vrf"):
        vrf = c.take("VRF name")
        c.end()
        if vrf != "default":
            p._open_opaque(node, f"`router {word}` in VRF {vrf} is not modelled", True)
            return None
    c.end()
    inst = p.cfg.ospf.get(version)
    if inst is None:
        inst = p.cfg.ospf[version] = OspfInstance(version, p.loc())
    p._push(P._Node(word, _OSPF if version == 2 else _OSPF6, node, inst))
    return None


def _router_id(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    key = c.toks[c.i - 1]
    inst = _inst(node)
    if key in ("ospf", "ospf6"):
        if (key == "ospf") != (inst.version == 2):
            return P.NOMATCH
        sub = c.take("`router-id`")
        if sub != "router-id":
            return _unsupported_stmt(p, node, c, neg)
    if neg:
        inst.router_id, inst.router_id_loc = None, None
        return None
    inst.router_id = str(c.addr("router ID (A.B.C.D)", 4))
    inst.router_id_loc = p.loc()
    c.end()
    return None


def _network(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    inst = _inst(node)
    if inst.version != 2:
        return P.NOMATCH
    net, _ = c.prefix("A.B.C.D/M", 4)
    c.kw("area")
    area = _area(c)
    c.end()
    inst.networks = [n for n in inst.networks if n[0] != net]
    if not neg:
        inst.networks.append((net, area, p.loc()))
    return None


def _ospf6_interface(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    """`interface IF area A` under `router ospf6` (FRR 8; FRR 9 and later only accept
    `ipv6 ospf6 area` on the interface)."""
    inst = _inst(node)
    if inst.version != 3:
        return P.NOMATCH
    name = c.take("interface name")
    if c.peek() != "area":
        return P.NOMATCH  # a top-level `interface X`: leave router ospf6
    c.kw("area")
    area = _area(c)
    c.end()
    if neg:
        inst.interfaces.pop(name, None)
    else:
        inst.interfaces[name] = (area, p.loc())
    return None


def _passive(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    inst = _inst(node)
    name = c.take("interface name or `default`")
    if c.more():  # `passive-interface IF A.B.C.D`: per address
        _skip(p, "per-address passive-interface is not modelled (the whole interface is taken)", True)
        c.rest()
    if name == "default":
        inst.passive_default, inst.passive_default_loc = not neg, p.loc()
    else:
        inst.passive[name] = (not neg, p.loc())
    return None


def _redistribute(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    inst = _inst(node)
    src = c.take("route source")
    if src not in _ROUTE_SOURCES:
        raise P._Syntax(c.i - 1, " | ".join(f"`{s}`" for s in _ROUTE_SOURCES[:5]) + " | ...")
    if src in ("ospf", "table") and c.more() and P._INT_RE.match(c.peek() or ""):
        c.i += 1
    r = OspfRedistribute(src, p.loc())
    _metric_opts(p, c, r)
    inst.redistributes = [x for x in inst.redistributes if x.source != src]
    if not neg:
        inst.redistributes.append(r)
        if src not in ("connected", "static", "kernel"):
            _skip(p, f"`redistribute {src}` into OSPF is not simulated: {src} routes are not fed back into "
                           "the IGP", True)
    return None


def _metric_opts(p: "P.FrrParser", c: "P._Cur", r: OspfRedistribute | OspfDefaultOriginate) -> None:
    while c.more():
        w = c.kw("metric", "metric-type", "route-map", "always")
        if w == "metric":
            r.metric = c.int("metric", 0, 16777214)
        elif w == "metric-type":
            r.metric_type = int(c.kw("1", "2"))
        elif w == "route-map":
            r.route_map = p._ref(c.take("route-map name"))
        elif isinstance(r, OspfDefaultOriginate):
            r.always = True
        else:
            raise P._Syntax(c.i - 1, "`metric` | `metric-type` | `route-map`")


def _default_information(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    inst = _inst(node)
    c.kw("originate")
    if neg:
        inst.default_originate = None
        c.rest()
        return None
    d = OspfDefaultOriginate(p.loc())
    _metric_opts(p, c, d)
    inst.default_originate = d
    return None


def _area_cmd(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    inst = _inst(node)
    area = _area(c)
    what = c.take("`stub` | `nssa` | `default-cost` | ...")
    a = inst.areas.get(area)
    if what in ("stub", "nssa"):
        if a is None:
            a = inst.areas[area] = OspfArea(area, p.loc())
        if neg:
            if c.opt("no-summary"):
                a.no_summary = False
            else:
                a.kind = "normal"
            c.rest()
            return None
        a.kind, a.loc = what, p.loc()
        while c.more():
            w = c.take("option")
            if w == "no-summary":
                a.no_summary = True
            elif what == "nssa" and w in ("translate-candidate", "translate-never", "translate-always",
                                           "default-information-originate", "suppress-fa"):
                _skip(p, f"NSSA option `{w}` is not modelled", True)
                c.rest()
            else:
                raise P._Syntax(c.i - 1, "`no-summary`")
        return None
    if what == "default-cost":
        if a is None:
            a = inst.areas[area] = OspfArea(area, p.loc())
        a.default_cost = None if neg else c.int("cost", 0, 16777215)
        return None
    _skip(p, f"`area {what}` is not modelled" + (
        " (authentication is not checked: a key mismatch keeps adjacencies down)" if what == "authentication"
        else ""), True)
    c.rest()
    return None


def _auto_cost(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    inst = _inst(node)
    c.kw("reference-bandwidth")
    if neg:
        inst.ref_bandwidth, inst.ref_bandwidth_loc = 100, None
        c.rest()
        return None
    inst.ref_bandwidth = c.int("reference bandwidth (Mbit/s)", 1, 4294967)
    inst.ref_bandwidth_loc = p.loc()
    c.end()
    return None


def _distance(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    inst = _inst(node)
    if c.peek() is not None and P._INT_RE.match(c.peek() or ""):
        v = c.int("distance", 1, 255)
        c.end()
        inst.distance, inst.distance_loc = (None, None) if neg else (v, p.loc())
        return None
    _skip(p, "per-route-type OSPF `distance` is not modelled (110 is used)", True)
    c.rest()
    return None


def _unsupported_stmt(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    key = c.toks[c.i - 1] if c.i else c.toks[0]
    text = " ".join(c.toks)
    affects = not any(text.startswith(w) or text.startswith(f"no {w}") for w in
                      ("log-adjacency-changes", "timers", "refresh", "write-multiplier", "socket-buffer",
                       "graceful-restart", "capability opaque", "maximum-paths"))
    _skip(p, f"`{key}` in `router {node.kind}` is not modelled", affects)
    c.rest()
    return None


# ------------------------------------------------------------------------------------------- interface

def interface(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool, family: int) -> object:
    """`ip ospf X` (OSPFv2) / `ipv6 ospf6 X` (OSPFv3) on an interface."""
    itf = node.data
    assert isinstance(itf, Interface)
    version = 2 if family == 4 else 3
    s = itf.ospf.get(version)
    if s is None:
        s = itf.ospf[version] = OspfIfSettings(p.loc())
    what = c.take("OSPF interface setting")
    if what in ("authentication", "authentication-key", "message-digest-key", "authentication-key-id", "keychain"):
        _skip(p, "OSPF authentication is not checked (a key mismatch keeps adjacencies down)", True)
        c.rest()
        return None
    if what == "area":
        if neg:
            s.area = s.area_loc = None
            c.rest()
            return None
        s.area, s.area_loc = _area(c), p.loc()
        if c.more():  # `ip ospf area A A.B.C.D`: one address of the interface
            c.addr("interface address", 4)
            _skip(p, "per-address `ip ospf area` is not modelled (the whole interface is taken)", True)
        c.end()
    elif what == "cost":
        s.cost = None if neg else c.int("cost", 1, 65535)
        if c.more() and version == 2:
            c.rest()
    elif what == "network":
        if neg:
            s.network = None
            c.rest()
        else:
            t = c.kw(*_NETWORK_TYPES)
            s.network = t
            if t in ("non-broadcast", "point-to-multipoint"):
                _skip(p, f"OSPF network type {t} is modelled as broadcast", True)
            c.rest()
    elif what in ("hello-interval", "dead-interval"):
        if neg:
            setattr(s, what.split("-")[0], None)
            c.rest()
        elif what == "dead-interval" and c.peek() == "minimal":
            s.dead, s.hello = 1, 0
            _skip(p, "sub-second hellos (`dead-interval minimal`)", False)
            c.rest()
        else:
            setattr(s, what.split("-")[0], c.int("seconds", 1, 65535))
            if c.more():
                c.rest()
    elif what == "passive":
        s.passive = not neg
        if c.more():
            _skip(p, "per-address `ip ospf passive` is not modelled (the whole interface is taken)", True)
            c.rest()
    elif what == "mtu-ignore":
        s.mtu_ignore = not neg
        c.rest()
    elif what == "priority":
        s.priority = None if neg else c.int("priority", 0, 255)
        if c.more():
            c.rest()
    else:
        affects = what not in ("bfd", "retransmit-interval", "transmit-delay", "ifmtu", "graceful-restart")
        _skip(p, f"interface `{'ip ospf' if version == 2 else 'ipv6 ospf6'} {what}` is not modelled", affects)
        c.rest()
        return None
    s.locs[what] = p.loc()
    return None


def bandwidth(p: "P.FrrParser", node: "P._Node", c: "P._Cur", neg: bool) -> object:
    """`bandwidth KBPS`: only OSPF's auto-cost reads it."""
    itf = node.data
    assert isinstance(itf, Interface)
    itf.bandwidth = None if neg else c.int("bandwidth (kbit/s)", 1, 1000000000)
    c.end()
    return None


_OSPF: dict[str, "P._Handler"] = {
    "ospf": _router_id, "router-id": _router_id, "network": _network, "passive-interface": _passive,
    "redistribute": _redistribute, "default-information": _default_information, "area": _area_cmd,
    "auto-cost": _auto_cost, "distance": _distance, "exit": P._h_exit,
}
for _w in ("log-adjacency-changes", "timers", "capability", "refresh", "write-multiplier", "compatible",
           "maximum-paths", "graceful-restart", "max-metric", "neighbor", "mpls-te", "segment-routing",
           "default-metric", "distribute-list", "router-info", "pce", "fast-reroute", "proactive-arp",
           "socket-buffer", "summary-address", "ospf6", "stub-router", "aggregation", "flood-reduction",
           "mpls", "bfd"):
    _OSPF.setdefault(_w, _unsupported_stmt)
_OSPF6: dict[str, "P._Handler"] = {
    "ospf6": _router_id, "router-id": _router_id, "interface": _ospf6_interface, "passive-interface": _passive,
    "redistribute": _redistribute, "default-information": _default_information, "area": _area_cmd,
    "auto-cost": _auto_cost, "distance": _distance, "exit": P._h_exit,
}
for _w in ("log-adjacency-changes", "timers", "maximum-paths", "graceful-restart", "stub-router", "write-multiplier",
           "default-metric", "distribute-list", "summary-address", "aggregation", "ospf"):
    _OSPF6.setdefault(_w, _unsupported_stmt)
