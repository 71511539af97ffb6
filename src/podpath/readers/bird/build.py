"""Syntax tree -> BirdConfig: symbols in order, templates, channels, options.

BIRD reads its configuration in one pass, so a symbol must be defined before it is
used (a filter named in `import filter f;` must come earlier in the file); this builder
checks that, resolves `from TEMPLATE` (the protocol starts as a copy of the template or
protocol and its own statements override; channels merge per option), interprets the
generic option statements of protocols and channels, and reports what BIRD itself
refuses at startup (bgp_postconfig and friends) as errors. Options that podpath reads
but does not simulate, and protocols it does not model, are recorded as Unsupported.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.readers.bird import ast as A
from podpath.readers.bird.interp import Checker, const_value
from podpath.readers.bird.model import (
    BgpProtocol, BirdConfig, Channel, Define, DeviceProtocol, DirectProtocol, Filter, FilterSpec, Function,
    GenericProtocol, IfacePattern, KernelProtocol, Limit, NextHop, Option, PipeProtocol, Protocol,
    StaticProtocol, StaticRoute, Table,
)
from podpath.readers.bird.values import VOID, FilterError, Quad

_PROTOCOL_CLASSES: dict[str, type[Protocol]] = {
    "bgp": BgpProtocol, "static": StaticProtocol, "kernel": KernelProtocol, "direct": DirectProtocol,
    "device": DeviceProtocol, "pipe": PipeProtocol,
}
_KNOWN_PROTOCOLS = {"ospf", "bfd", "babel", "rip", "rpki", "radv", "perf", "mrt", "bmp", "aggregator", "l3vpn",
                    "evpn"}
_CHANNEL_TYPES = {"ipv4", "ipv6", "vpn4", "vpn6", "roa4", "roa6", "flow4", "flow6", "mpls", "aspa"}
_NET_TYPES = _CHANNEL_TYPES | {"ipv6 sadr"}


class _Args:
    """Cursor over the argument words of one option, with BIRD's argument forms."""

    def __init__(self, b: "_Builder", opt: Option, where: str) -> None:
        self.b = b
        self.opt = opt
        self.words = opt.args
        self.i = 0
        self.where = where
        self.failed = False

    def peek(self) -> A.Word | None:
        return self.words[self.i] if self.i < len(self.words) else None

    def peek_name(self) -> str | None:
        w = self.peek()
        return w.text if w is not None and w.kind == "name" else None

    def take(self) -> A.Word | None:
        w = self.peek()
        if w is not None:
            self.i += 1
        return w

    def at_end(self) -> bool:
        return self.i >= len(self.words)

    def fail(self, expected: str) -> None:
        if self.failed:
            return
        self.failed = True
        w = self.peek()
        found = f"'{w.text}'" if w is not None else "';'"
        loc = w.loc if w is not None else (self.words[-1].loc if self.words else self.opt.loc)
        self.b.error(loc, f"{self.opt.key}: expected {expected}, found {found}")

    def end(self) -> None:
        if not self.at_end():
            self.fail("';'")

    def boolean(self) -> bool:
        """BIRD's `bool`: on | off | yes | no | number | nothing (= yes)."""
        w = self.peek()
        if w is None:
            return True
        if w.kind == "name" and w.text in ("on", "yes", "off", "no"):
            self.i += 1
            return w.text in ("on", "yes")
        if w.kind in ("num", "expr") or (w.kind == "name" and w.text in self.b.cfg.defines):
            return bool(self.number())
        self.fail("on or off")
        return True

    def number(self) -> int:
        """BIRD's `expr`: a number, a `define`d int, or `(expression)`."""
        w = self.take()
        if w is None:
            self.fail("a number")
            return 0
        if w.kind == "num":
            return int(w.value)
        v: Any = None
        if w.kind == "name" and w.text in self.b.cfg.defines:
            v = self.b.cfg.defines[w.text].value
        elif w.kind == "expr":
            try:
                v = const_value(self.b.cfg, w.value)
            except FilterError as e:
                self.b.error(w.loc, f"{self.opt.key}: {e}")
                return 0
        if type(v) is int:
            return v
        self.i -= 1
        self.fail("a number")
        self.i += 1
        return 0

    def address(self) -> Any:
        w = self.take()
        if w is not None and w.kind == "ip":
            return w.value
        if w is not None and w.kind == "name" and w.text in self.b.cfg.defines:
            v = self.b.cfg.defines[w.text].value
            if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
                return v
        if w is not None:
            self.i -= 1
        self.fail("an IP address")
        if w is not None:
            self.i += 1
        return None

    def idval(self) -> str | None:
        """Router id / cluster id: a number, an IPv4 address or a constant."""
        w = self.peek()
        if w is None:
            self.fail("a router id")
            return None
        if w.kind == "ip" and w.value.version == 4:
            self.i += 1
            return str(w.value)
        if w.kind == "name" and w.text in self.b.cfg.defines:
            v = self.b.cfg.defines[w.text].value
            self.i += 1
            if isinstance(v, ipaddress.IPv4Address):
                return str(v)
            if type(v) in (int, Quad):
                return str(ipaddress.IPv4Address(int(v)))
            self.i -= 1
            self.fail("a number or IPv4 address constant")
            return None
        if w.kind in ("num", "expr"):
            return str(ipaddress.IPv4Address(self.number() & 0xFFFFFFFF))
        self.fail("an IPv4 address or a number")
        return None

    def text(self) -> str | None:
        w = self.take()
        if w is not None and w.kind == "string":
            return str(w.value)
        if w is not None and w.kind == "name" and w.text in self.b.cfg.defines:
            v = self.b.cfg.defines[w.text].value
            if isinstance(v, str):
                return v
        if w is not None:
            self.i -= 1
        self.fail("a string")
        if w is not None:
            self.i += 1
        return None

    def word(self, choices: tuple[str, ...]) -> str | None:
        w = self.peek()
        if w is not None and w.kind == "name" and w.text in choices:
            self.i += 1
            return w.text
        self.fail(" or ".join(choices))
        return None

    def name(self) -> str | None:
        w = self.take()
        if w is not None and w.kind == "name":
            return w.text
        if w is not None:
            self.i -= 1
        self.fail("a name")
        if w is not None:
            self.i += 1
        return None

    def iface_patterns(self) -> list[IfacePattern]:
        """`"eth*", -"eth1", "dummy0" 10.0.0.0/8` (BIRD's iface_patt_list)."""
        out: list[IfacePattern] = []
        while not self.at_end():
            neg = False
            w = self.peek()
            if w is not None and w.kind == "punct" and w.text == "-":
                neg = True
                self.i += 1
                w = self.peek()
            pat = "*"
            if w is not None and w.kind == "string":
                pat = str(w.value)
                self.i += 1
                w = self.peek()
            prefix = None
            if w is not None and w.kind in ("prefix", "ip"):
                prefix = w.value if w.kind == "prefix" else ipaddress.ip_network(w.value)
                self.i += 1
            elif pat == "*" and not out:
                self.fail("an interface pattern")
                return out
            out.append(IfacePattern(pat, neg, prefix))
            w = self.peek()
            if w is not None and w.kind == "punct" and w.text == ",":
                self.i += 1
                continue
            break
        return out


# option handlers: (target, args) -> None
Handler = Callable[[Any, _Args], None]


def _set(attr: str, kind: str) -> Handler:
    def h(target: Any, a: _Args) -> None:
        v: Any
        if kind == "bool":
            v = a.boolean()
        elif kind == "int":
            v = a.number()
        elif kind == "ip":
            v = a.address()
        elif kind == "text":
            v = a.text()
        elif kind == "name":
            v = a.name()
        elif kind == "idval":
            v = a.idval()
        elif kind == "flag":
            v = True
        else:  # pragma: no cover
            raise AssertionError(kind)
        a.end()
        setattr(target, attr, v)
    return h


def _ignore(target: Any, a: _Args) -> None:
    """Recognised option with no effect on routes (timers, logging, passwords...)."""


def _onoff_aware(attr: str) -> Handler:
    def h(target: Any, a: _Args) -> None:
        if a.peek_name() == "aware":
            a.take()
            v = "aware"
        else:
            v = "on" if a.boolean() else "off"
        a.end()
        setattr(target, attr, v)
    return h


def _bgp_nh(attr: str) -> Handler:
    def h(ch: Channel, a: _Args) -> None:
        n = a.peek_name()
        if n in ("ibgp", "ebgp"):
            a.take()
            v = n
        else:
            v = "on" if a.boolean() else "off"
        a.end()
        setattr(ch, attr, v)
    return h


def _limit(attr: str) -> Handler:
    def h(ch: Channel, a: _Args) -> None:
        if a.peek_name() == "off":
            a.take()
            setattr(ch, attr, Limit(None))
            a.end()
            return
        n = a.number()
        action = "disable"
        if a.peek_name() == "action":
            a.take()
            action = a.word(("warn", "block", "restart", "disable")) or "disable"
        a.end()
        setattr(ch, attr, Limit(n, action))
    return h


def _bgp_local(p: BgpProtocol, a: _Args) -> None:
    """`local [ADDR [%iface]] [port N] [as N]`."""
    w = a.peek()
    if w is not None and (w.kind == "ip" or (w.kind == "name" and w.text not in ("port", "as"))):
        p.local_address = a.address()
        _scope(p, a)
    while not a.at_end() and not a.failed:
        k = a.word(("port", "as"))
        if k == "port":
            p.local_port = a.number()
        elif k == "as":
            p.local_as = a.number()


def _scope(p: BgpProtocol, a: _Args) -> None:
    w = a.peek()
    if w is not None and w.kind == "punct" and w.text == "%":
        a.take()
        p.interface = a.name()


def _bgp_neighbor(p: BgpProtocol, a: _Args) -> None:
    """`neighbor ADDR [%iface] | range PREFIX` then `[port N] [as N] [internal|external]`."""
    if p.neighbor is not None or p.neighbor_range is not None:
        a.b.error(a.opt.loc, "Only one neighbor per BGP instance is allowed"
                  + (f" (protocol {p.name} inherits one from {p.template})" if p.template else ""))
    w = a.peek()
    if w is not None and w.kind == "name" and w.text == "range":
        a.take()
        x = a.take()
        if x is not None and x.kind == "prefix":
            p.neighbor_range = x.value
        else:
            a.i -= 1 if x is not None else 0
            a.fail("a prefix")
    elif w is not None and (w.kind == "ip" or (w.kind == "name" and w.text not in ("port", "as", "internal",
                                                                                  "external"))):
        p.neighbor = a.address()
        _scope(p, a)
    p.neighbor_loc = a.opt.loc
    while not a.at_end() and not a.failed:
        k = a.word(("port", "as", "internal", "external"))
        if k == "port":
            p.neighbor_port = a.number()
        elif k == "as":
            p.neighbor_as = a.number()
        elif k in ("internal", "external"):
            p.neighbor_kind = k


def _multihop(p: BgpProtocol, a: _Args) -> None:
    p.multihop = a.number() if not a.at_end() else 64
    a.end()


def _direct(p: BgpProtocol, a: _Args) -> None:
    p.multihop = 0
    a.end()


def _allow_local_as(p: BgpProtocol, a: _Args) -> None:
    p.allow_local_as = a.number() if not a.at_end() else -1
    a.end()


def _bfd(p: BgpProtocol, a: _Args) -> None:
    n = a.peek_name()
    if n in ("graceful",):
        a.take()
        p.bfd = n
    else:
        p.bfd = "on" if a.boolean() else "off"
    a.end()


def _error_wait(p: BgpProtocol, a: _Args) -> None:
    lo = a.number()
    w = a.take()
    if w is None or w.text != ",":
        a.fail("','")
        return
    p.error_wait_time = (lo, a.number())
    a.end()


def _gateway(ch: Channel, a: _Args) -> None:
    ch.gateway = a.word(("direct", "recursive"))
    a.end()


def _add_paths(ch: Channel, a: _Args) -> None:
    n = a.peek_name()
    if n in ("rx", "tx"):
        a.take()
        ch.add_paths = n
    else:
        ch.add_paths = "on" if a.boolean() else "off"
    a.end()


def _aigp(ch: Channel, a: _Args) -> None:
    if a.peek_name() == "originate":
        a.take()
        ch.aigp = "originate"
    else:
        ch.aigp = "on" if a.boolean() else "off"
    a.end()


def _table_ref(attr: str, append: bool = False) -> Handler:
    def h(target: Any, a: _Args) -> None:
        w = a.peek()
        name = a.name()
        a.end()
        if name is None:
            return
        a.b.check_table(name, w.loc if w else a.opt.loc)
        if append:
            getattr(target, attr).append(name)
        else:
            setattr(target, attr, name)
            if attr == "table":
                target.table_loc = a.opt.loc
    return h


def _learn(p: KernelProtocol, a: _Args) -> None:
    if a.peek_name() == "all":
        a.take()
        p.learn = "all"
    else:
        p.learn = "on" if a.boolean() else "off"
    a.end()


def _merge_paths(p: KernelProtocol, a: _Args) -> None:
    on = a.boolean() if a.peek_name() != "limit" else True
    limit = 16
    if a.peek_name() == "limit":
        a.take()
        limit = a.number()
    a.end()
    p.merge_paths = limit if on else None


def _interfaces(p: Any, a: _Args) -> None:
    p.interfaces.extend(a.iface_patterns())
    a.end()


def _vrf(p: Protocol, a: _Args) -> None:
    if a.peek_name() == "default":
        a.take()
        p.vrf = "default"
    else:
        p.vrf = a.text()
    a.end()


def _keep_filtered(ch: Channel, a: _Args) -> None:
    ch.import_keep_filtered = a.boolean()
    a.end()


_COMMON: dict[str, Handler] = {
    "disabled": _set("disabled", "bool"), "debug": _ignore, "mrtdump": _ignore,
    "router id": _set("router_id", "idval"), "hostname": _ignore, "description": _set("description", "text"),
    "vrf": _vrf,
}
_CHANNEL: dict[str, Handler] = {
    "table": _table_ref("table"), "preference": _set("preference", "int"),
    "import keep filtered": _keep_filtered, "import limit": _limit("import_limit"),
    "receive limit": _limit("receive_limit"), "export limit": _limit("export_limit"),
    "rpki reload": _ignore, "debug": _ignore,
}
_BGP_CHANNEL: dict[str, Handler] = {
    **_CHANNEL,
    "next hop address": _set("next_hop_address", "ip"), "next hop self": _bgp_nh("next_hop_self"),
    "next hop keep": _bgp_nh("next_hop_keep"), "next hop prefer": lambda ch, a: (
        setattr(ch, "next_hop_prefer", a.word(("global", "local"))), a.end()),
    "link local next hop format": _ignore, "mandatory": _set("mandatory", "bool"),
    "missing lladdr": lambda ch, a: (setattr(ch, "missing_lladdr", a.word(("self", "drop", "ignore"))), a.end()),
    "gateway": _gateway, "secondary": _set("secondary", "bool"), "validate": _ignore,
    "graceful restart": _set("graceful_restart", "bool"), "long lived graceful restart": _ignore,
    "long lived stale time": _ignore, "min long lived stale time": _ignore, "max long lived stale time": _ignore,
    "extended next hop": _set("extended_next_hop", "bool"), "require extended next hop": _ignore,
    "add paths": _add_paths, "require add paths": _ignore, "import table": _set("import_table", "bool"),
    "export table": _set("export_table", "bool"), "aigp": _aigp, "cost": _set("cost", "int"),
    "igp table": _table_ref("igp_tables", append=True), "base table": _ignore,
}
_BGP: dict[str, Handler] = {
    **_COMMON,
    "local": _bgp_local, "neighbor": _bgp_neighbor, "interface": _set("interface", "text"),
    "rr cluster id": _set("rr_cluster_id", "idval"), "rr client": _set("rr_client", "bool"),
    "rs client": _set("rs_client", "bool"), "confederation": _set("confederation", "int"),
    "confederation member": _set("confederation_member", "bool"),
    "hold time": _set("hold_time", "int"), "min hold time": _ignore,
    "startup hold time": _set("startup_hold_time", "int"), "keepalive time": _set("keepalive_time", "int"),
    "min keepalive time": _ignore, "send hold time": _ignore, "direct": _direct, "multihop": _multihop,
    "dynamic name": _set("dynamic_name", "text"), "dynamic name digits": _set("dynamic_name_digits", "int"),
    "strict bind": _set("strict_bind", "bool"), "free bind": _set("free_bind", "bool"),
    "path metric": _set("path_metric", "bool"), "med metric": _set("med_metric", "bool"),
    "igp metric": _set("igp_metric", "bool"), "prefer older": _set("prefer_older", "bool"),
    "deterministic med": _set("deterministic_med", "bool"), "default bgp_med": _set("default_med", "int"),
    "default bgp_local_pref": _set("default_local_pref", "int"), "source address": _set("source_address", "ip"),
    "start delay time": _set("connect_delay_time", "int"), "connect delay time": _set("connect_delay_time", "int"),
    "connect retry time": _set("connect_retry_time", "int"), "error forget time": _ignore,
    "error wait time": _error_wait, "disable after error": _ignore, "disable after cease": _ignore,
    "enable route refresh": _set("enable_route_refresh", "bool"), "enable enhanced route refresh": _ignore,
    "enable as4": _set("enable_as4", "bool"), "enable extended messages": _ignore, "advertise hostname": _ignore,
    "require route refresh": _ignore, "require enhanced route refresh": _ignore, "require as4": _ignore,
    "require extended messages": _ignore, "require hostname": _ignore, "require graceful restart": _ignore,
    "require long lived graceful restart": _ignore, "capabilities": _set("capabilities", "bool"),
    "authentication": _ignore, "password": _set("password", "text"), "setkey": _ignore,
    "passive": _set("passive", "bool"), "interpret communities": _set("interpret_communities", "bool"),
    "allow local as": _allow_local_as, "allow bgp_local_pref": _set("allow_bgp_local_pref", "bool"),
    "allow bgp_med": _set("allow_bgp_med", "bool"), "allow as sets": _set("allow_as_sets", "bool"),
    "graceful restart": _onoff_aware("graceful_restart"), "graceful restart time": _set("graceful_restart_time",
                                                                                        "int"),
    "min graceful restart time": _ignore, "max graceful restart time": _ignore,
    "long lived graceful restart": _onoff_aware("long_lived_graceful_restart"), "long lived stale time": _ignore,
    "min long lived stale time": _ignore, "max long lived stale time": _ignore,
    "ttl security": _set("ttl_security", "bool"), "check link": _set("check_link", "bool"), "bfd": _bfd,
    "enforce first as": _set("enforce_first_as", "bool"), "local role": _ignore, "require roles": _ignore,
    "disable rx": _ignore,
}
_KERNEL: dict[str, Handler] = {
    **_COMMON, "persist": _set("persist", "bool"), "scan time": _set("scan_time", "int"), "learn": _learn,
    "graceful restart": _set("graceful_restart", "bool"), "merge paths": _merge_paths,
    "kernel table": _set("kernel_table", "int"), "metric": _set("metric", "int"),
    "device routes": _set("device_routes", "bool"), "netlink rx buffer": _ignore,
}
_DEVICE: dict[str, Handler] = {**_COMMON, "scan time": _set("scan_time", "int"), "interface": _interfaces}
_DIRECT: dict[str, Handler] = {**_COMMON, "interface": _interfaces, "check link": _set("check_link", "bool")}
_STATIC: dict[str, Handler] = {**_COMMON, "check link": _set("check_link", "bool"),
                               "igp table": _table_ref("igp_tables", append=True)}
_PIPE: dict[str, Handler] = {**_COMMON, "peer table": _table_ref("peer_table")}
_OPTIONS: dict[str, dict[str, Handler]] = {"bgp": _BGP, "kernel": _KERNEL, "device": _DEVICE,
                                           "direct": _DIRECT, "static": _STATIC, "pipe": _PIPE}

# Options that change routing results but that the simulator does not model:
# key -> (attribute holding the value, BIRD default, what it changes).
_NOT_SIMULATED_PROTOCOL: dict[str, tuple[str, Any, str]] = {
    "rs client": ("rs_client", False, "route-server client behaviour"),
    "confederation": ("confederation", None, "BGP confederations"),
    "confederation member": ("confederation_member", False, "BGP confederations"),
    "med metric": ("med_metric", False, "MED comparison across neighbor ASes"),
    "deterministic med": ("deterministic_med", False, "deterministic MED"),
    "prefer older": ("prefer_older", False, "preferring older routes"),
    "path metric": ("path_metric", True, "AS path length comparison"),
    "igp metric": ("igp_metric", True, "IGP metric comparison"),
    "default bgp_med": ("default_med", 0, "default MED in best-path selection"),
    "enforce first as": ("enforce_first_as", False, "the first-AS check"),
    "allow bgp_local_pref": ("allow_bgp_local_pref", False, "keeping LOCAL_PREF received over eBGP"),
    "allow bgp_med": ("allow_bgp_med", False, "MED handling"),
    "allow as sets": ("allow_as_sets", True, "AS_SET rejection"),
    "interpret communities": ("interpret_communities", True, "well-known community handling"),
    "vrf": ("vrf", None, "VRF binding of a BIRD protocol"),
    "learn": ("learn", "off", "learning routes from the kernel"),
    "kernel table": ("kernel_table", None, "the kernel routing table number"),
    "merge paths": ("merge_paths", None, "ECMP routes in the kernel"),
    "disabled": ("disabled", False, "a disabled protocol"),
}
_NOT_SIMULATED_CHANNEL: dict[str, tuple[str, Any, str]] = {
    "import limit": ("import_limit", None, "import limits"), "receive limit": ("receive_limit", None, "receive limits"),
    "export limit": ("export_limit", None, "export limits"), "add paths": ("add_paths", "off", "ADD-PATH"),
    "secondary": ("secondary", False, "secondary route export"), "aigp": ("aigp", None, "AIGP"),
    "igp table": ("igp_tables", [], "a separate IGP table for next-hop resolution"),
    "next hop prefer": ("next_hop_prefer", None, "next hop preference (global/link-local)"),
    "missing lladdr": ("missing_lladdr", None, "missing link-local handling"),
    "cost": ("cost", None, "channel cost"),
}
_PRETTY = {"ospf": "OSPF", "bfd": "BFD", "babel": "Babel", "rip": "RIP", "rpki": "RPKI", "radv": "RAdv",
           "perf": "Perf", "mrt": "MRT dumps", "bmp": "BMP", "aggregator": "route aggregation",
           "l3vpn": "L3VPN", "evpn": "EVPN"}


class _Builder:
    def __init__(self, cfg: BirdConfig, diags: Diagnostics) -> None:
        self.cfg = cfg
        self.diags = diags
        self.checker = Checker(cfg, diags)
        self.symbols: dict[str, tuple[str, Loc]] = {}
        self.counters: dict[str, int] = {}
        for t in ("master4", "master6"):
            cfg.tables[t] = Table(t, "ipv4" if t == "master4" else "ipv6")

    # -- diagnostics --
    def _src(self, loc: Loc) -> str | None:
        lines = self.cfg.sources.get(loc.file) or []
        return lines[loc.line - 1] if 0 < loc.line <= len(lines) else None

    def error(self, loc: Loc, msg: str) -> None:
        self.diags.error(loc, msg, self._src(loc))

    def warning(self, loc: Loc, msg: str) -> None:
        self.diags.warning(loc, msg, self._src(loc))

    def unsupported(self, loc: Loc, statement: str, why: str, affects: bool = True) -> None:
        self.cfg.unsupported.append(Unsupported(loc, statement, why, affects))

    def define_symbol(self, name: str, kind: str, loc: Loc) -> bool:
        old = self.symbols.get(name)
        if old is not None:
            self.error(loc, f"'{name}' is already defined (as a {old[0]} at {old[1]})")
            return False
        self.symbols[name] = (kind, loc)
        return True

    # -- entries --
    def entry(self, e: Any) -> None:
        t = type(e)
        if t is A.DefineDecl:
            self.define(e)
        elif t is A.FilterDecl:
            self.filter(e)
        elif t is A.FunctionDecl:
            self.function(e)
        elif t is A.ProtocolDecl:
            self.protocol(e)
        elif t is A.Generic:
            self.global_option(e)
        elif t is A.AttributeDecl:
            if self.define_symbol(e.name, "attribute", e.loc):
                self.cfg.attributes[e.name] = (e.type, e.loc)
            if e.bgp_code is not None:
                self.unsupported(e.loc, f"attribute bgp {e.bgp_code} {e.type} {e.name}",
                                 "custom BGP attributes are not propagated by podpath", False)
        elif t is A.EvalDecl:
            try:
                const_value(self.cfg, e.expr)
            except FilterError as err:
                self.error(e.loc, f"eval: {err}")

    def define(self, e: A.DefineDecl) -> None:
        self.checker.check_expr(e.expr)
        try:
            v = const_value(self.cfg, e.expr)
        except FilterError as err:
            self.error(e.loc, f"define {e.name}: {err}")
            v = VOID
        if self.define_symbol(e.name, "constant", e.loc):
            self.cfg.defines[e.name] = Define(e.name, e.loc, v)

    def filter(self, e: A.FilterDecl) -> None:
        name = e.name or ""
        ok = self.define_symbol(name, "filter", e.loc)
        self.checker.check_body([], e.vars, e.body, in_function=False)
        if ok:
            self.cfg.filters[name] = Filter(name, e.loc, e.vars, e.body)

    def function(self, e: A.FunctionDecl) -> None:
        ok = self.define_symbol(e.name, "function", e.loc)
        fn = Function(e.name, e.loc, e.params, e.return_type, e.vars, e.body)
        if ok:
            self.cfg.functions[e.name] = fn  # visible inside its own body (recursion)
        if e.return_type is not None:
            self.checker.note_version(e.loc, "function return type `-> TYPE` (BIRD >= 2.14)")
        self.checker.check_body(e.params, e.vars, e.body, in_function=True)

    # -- global options --
    def global_option(self, g: A.Generic) -> None:
        words = g.words
        key = g.key()
        loc = g.loc
        first = words[0].text
        if key.startswith("router id"):
            opt = Option("router id", words[2:], loc)
            a = _Args(self, opt, "global")
            if a.peek_name() == "from":
                a.take()
                self.cfg.router_id_from = a.iface_patterns()
                a.end()
            else:
                rid = a.idval()
                a.end()
                if rid is not None:
                    self.cfg.router_id = rid
                    self.cfg.router_id_loc = loc
            return
        # routing tables: `ipv4 table NAME [sorted] [{ ... }]`
        if first in _CHANNEL_TYPES:
            i = 1
            nettype = first
            if len(words) > 1 and words[1].text == "sadr":
                nettype += " sadr"
                i = 2
            if len(words) > i + 1 and words[i].text == "table" and words[i + 1].kind == "name":
                name = words[i + 1].text
                if self.define_symbol(name, "table", words[i + 1].loc):
                    self.cfg.tables[name] = Table(name, nettype, loc)
                if nettype not in ("ipv4", "ipv6"):
                    self.unsupported(loc, f"{nettype} table {name}", f"{nettype} tables are not modelled", False)
                return
        if first in ("log", "debug", "timeformat", "mrtdump", "watchdog", "hostname", "graceful", "cli", "threads",
                     "platform", "protect"):
            n = {"debug": 2, "timeformat": 2, "mrtdump": 2, "watchdog": 2, "graceful": 3}.get(first, 1)
            k = " ".join(w.text for w in words[:n])
            self.cfg.options[k] = Option(k, words[n:], loc)
            if first == "hostname" and len(words) > 1:
                self.cfg.hostname = words[1].text
            return
        if first == "mpls":
            self.cfg.options[key] = Option(key, words[len(key.split()):], loc)
            self.unsupported(loc, " ".join(w.text for w in words), "MPLS is not modelled", False)
            return
        self.warning(loc, f"unknown top-level statement '{key or first}'")
        self.unsupported(loc, " ".join(w.text for w in words) + (" { ... }" if g.block is not None else ""),
                         "unknown statement")

    # -- protocols --
    def protocol(self, d: A.ProtocolDecl) -> None:
        names = [w.text for w in d.names]
        ptype = names[0]
        rest = names[1:]
        variant = None
        if ptype in ("ospf", "rip") and rest and rest[0] in ("v2", "v3", "ng"):
            variant = rest[0]
            rest = rest[1:]
        name = rest[0] if rest else None
        if len(rest) > 1:
            self.error(d.names[len(names) - len(rest) + 1].loc,
                       f"expected '{{' or 'from', found '{rest[1]}'")
        cls = _PROTOCOL_CLASSES.get(ptype, GenericProtocol)
        parent: Protocol | None = None
        if d.parent is not None:
            parent = self.cfg.templates.get(d.parent) or self.cfg.protocol(d.parent)
            kind = self.symbols.get(d.parent, ("", None))[0]
            if parent is None:
                self.error(d.parent_loc or d.loc, f"unknown template or protocol '{d.parent}'"
                           + (f" ({d.parent} is a {kind})" if kind else " (it must be defined before use)"))
            elif parent.type != ptype:
                self.error(d.parent_loc or d.loc, "Can't copy configuration from a different protocol type "
                                                  f"({d.parent} is {parent.type}, this is {ptype})")
                parent = None
        if name is None:
            name = self._default_name(ptype)
        p: Protocol
        if parent is not None:
            p = parent.clone()
            p.name, p.loc, p.template, p.is_template, p.end = name, d.loc, d.parent, d.is_template, d.end
        else:
            p = cls(type=ptype, name=name, loc=d.loc, template=None, is_template=d.is_template, variant=variant,
                    end=d.end)
        if isinstance(p, PipeProtocol) and "pipe" not in p.channels:
            p.channels["pipe"] = Channel("pipe", d.loc, import_=FilterSpec("all", d.loc, implicit=True),
                                         export=FilterSpec("all", d.loc, implicit=True))
        if not self.define_symbol(name, "template" if d.is_template else "protocol", d.loc):
            return
        if cls is GenericProtocol:
            what = f"protocol {ptype}{' ' + variant if variant else ''} {name}"
            self.unsupported(d.loc, what, f"{_PRETTY.get(ptype, ptype)} is not modelled"
                             if ptype in _KNOWN_PROTOCOLS else f"unknown protocol type '{ptype}'")
            if ptype not in _KNOWN_PROTOCOLS:
                self.warning(d.names[0].loc, f"unknown protocol type '{ptype}'")
            assert isinstance(p, GenericProtocol)
            p.items = d.items
        self.items(p, d.items)
        if d.is_template:
            self.cfg.templates[name] = p
        else:
            self.finish(p)
            self.cfg.protocols.append(p)

    def _default_name(self, ptype: str) -> str:
        while True:
            n = self.counters.get(ptype, 0) + 1
            self.counters[ptype] = n
            cand = f"{ptype}{n}"
            if cand not in self.symbols:
                return cand

    def items(self, p: Protocol, items: list[Any]) -> None:
        generic = isinstance(p, GenericProtocol)
        seen: set[str] = set()
        for it in items:
            t = type(it)
            if t is A.ChannelDecl:
                if it.afi in seen:
                    self.error(it.loc, f"Multiple {it.afi} channels in protocol {p.name}")
                seen.add(it.afi)
                self.channel(p, it)
            elif t is A.ImportExport:
                if isinstance(p, PipeProtocol):
                    self.imexport(p.channels["pipe"], it, p)
                elif not generic:
                    self.error(it.loc, f"'{it.direction}' must be inside a channel block "
                                       f"(e.g. ipv6 {{ {it.direction} ...; }};) - BIRD: syntax error, "
                                       f"unexpected {it.direction.upper()}")
            elif t is A.StaticRouteDecl:
                if isinstance(p, StaticProtocol):
                    self.static_route(p, it)
                elif not generic:
                    self.error(it.loc, f"'route' is only valid in a static protocol, not in {p.type}")
            elif t is A.Generic:
                self.option(p, it)

    def option(self, p: Protocol, g: A.Generic) -> None:
        if isinstance(p, GenericProtocol):
            return
        table = _OPTIONS.get(p.type, _COMMON)
        if isinstance(p, PipeProtocol):
            ch = p.channels["pipe"]
            key, opt = self._match(g, {**_CHANNEL, **table})
            if key is not None and key in _CHANNEL and key not in table:
                self._apply(ch, _CHANNEL[key], opt, f"protocol {p.name}")
                ch.options[key] = opt
                return
        else:
            key, opt = self._match(g, table)
        if key is None or opt is None:
            text = " ".join(w.text for w in g.words)
            self.warning(g.loc, f"unknown option '{g.key() or text}' in {p.type} protocol {p.name}")
            self.unsupported(g.loc, text + (" { ... }" if g.block is not None else ""),
                             f"unknown option of a {p.type} protocol")
            return
        if g.block is not None:
            what = " ".join(w.text for w in g.words)
            self.unsupported(g.loc, what + " { ... }", f"the block of '{key}' is not modelled",
                             affects=key not in ("bfd", "keys", "interface", "disable after cease"))
            p.options[key] = opt
            return
        self._apply(p, table[key], opt, f"protocol {p.name}")
        p.options[key] = opt
        self._not_simulated(p, key, opt, _NOT_SIMULATED_PROTOCOL)

    def _not_simulated(self, target: Any, key: str, opt: Option, table: dict[str, tuple[str, Any, str]]) -> None:
        got = table.get(key)
        if got is None:
            return
        attr, default, what = got
        if getattr(target, attr, None) != default:
            self.unsupported(opt.loc, " ".join(opt.words()), f"{what}: parsed, not simulated by podpath")

    def _match(self, g: A.Generic, table: dict[str, Handler]) -> tuple[str | None, Option | None]:
        words = g.words
        names: list[str] = []
        for w in words:
            if w.kind != "name":
                break
            names.append(w.text)
        for n in range(min(len(names), 6), 0, -1):
            key = " ".join(names[:n])
            if key in table:
                return key, Option(key, words[n:], g.loc)
        return None, None

    def _apply(self, target: Any, h: Handler, opt: Option, where: str) -> None:
        a = _Args(self, opt, where)
        h(target, a)

    # -- channels --
    def channel(self, p: Protocol, d: A.ChannelDecl) -> None:
        afi = d.afi
        base = afi.split()[0]
        if isinstance(p, (DeviceProtocol, PipeProtocol)):
            self.error(d.loc, f"a {p.type} protocol has no channels")
            return
        if isinstance(p, (StaticProtocol, KernelProtocol)):
            others = [c for c in p.channels if c != afi and c.split()[0] in _CHANNEL_TYPES]
            if others and p.template is None:
                self.error(d.loc, f"Different channel type: a {p.type} protocol has one channel "
                                  f"({others[0]} already)")
        ch = p.channels.get(afi)
        if ch is None:
            ch = Channel(afi, d.loc)
            p.channels[afi] = ch
        else:  # inherited from the template: this block overrides option by option
            ch.loc = d.loc
        if afi not in _NET_TYPES and not (isinstance(p, BgpProtocol) and base in _CHANNEL_TYPES):
            self.error(d.loc, f"unknown channel type '{afi}'")
        if base not in ("ipv4", "ipv6") or " " in afi:
            self.unsupported(d.loc, f"{afi} channel of protocol {p.name}", f"{afi} routes are not modelled",
                             affects=False)
        if d.items is None:
            return
        table = _BGP_CHANNEL if isinstance(p, BgpProtocol) else _CHANNEL
        for it in d.items:
            t = type(it)
            if t is A.ImportExport:
                self.imexport(ch, it, p)
            elif t is A.Generic:
                key, opt = self._match(it, table)
                if key is None or opt is None:
                    text = " ".join(w.text for w in it.words)
                    self.warning(it.loc, f"unknown channel option '{it.key() or text}' in protocol {p.name}")
                    self.unsupported(it.loc, text, "unknown channel option")
                    continue
                self._apply(ch, table[key], opt, f"{afi} channel of {p.name}")
                ch.options[key] = opt
                self._not_simulated(ch, key, opt, _NOT_SIMULATED_CHANNEL)
            else:
                what = "a channel" if t is A.ChannelDecl else "a static route" if t is A.StaticRouteDecl else "this"
                self.error(it.loc, f"{what} is not allowed inside a channel block")

    def imexport(self, ch: Channel, it: A.ImportExport, p: Protocol) -> None:
        if it.ref is None:
            assert it.option is not None
            key, opt = self._match(it.option, _BGP_CHANNEL if isinstance(p, BgpProtocol) else _CHANNEL)
            if key is None or opt is None:
                text = " ".join(w.text for w in it.option.words)
                self.warning(it.loc, f"unknown option '{text}'")
                self.unsupported(it.loc, text, "unknown channel option")
                return
            table = _BGP_CHANNEL if isinstance(p, BgpProtocol) else _CHANNEL
            self._apply(ch, table[key], opt, f"protocol {p.name}")
            ch.options[key] = opt
            self._not_simulated(ch, key, opt, _NOT_SIMULATED_CHANNEL)
            return
        spec = self.filter_spec(it.ref)
        if it.direction == "import":
            ch.import_ = spec
        else:
            ch.export = spec

    def filter_spec(self, ref: A.FilterRef) -> FilterSpec:
        if ref.kind == "named":
            name = ref.name or ""
            f = self.cfg.filters.get(name)
            if f is None:
                kind = self.symbols.get(name, ("", None))[0]
                self.error(ref.loc, f"filter '{name}' is not defined" + (
                    f" ('{name}' is a {kind})" if kind else
                    " before this point (BIRD: syntax error, unexpected CF_SYM_UNDEFINED)"))
            return FilterSpec("named", ref.loc, name=name, filter=f)
        if ref.kind == "inline":
            assert ref.body is not None
            self.checker.check_body([], ref.body.vars, ref.body.body, in_function=False)
            return FilterSpec("inline", ref.loc, filter=Filter(None, ref.loc, ref.body.vars, ref.body.body))
        if ref.kind == "where":
            self.checker.check_expr(ref.expr)
            t = self.checker.type_of(ref.expr)
            if t is not None and t != "bool":
                self.error(ref.loc, f"Argument 1 of CONDITION must be of type bool, got type {t}")
            return FilterSpec("where", ref.loc, expr=ref.expr)
        return FilterSpec(ref.kind, ref.loc)

    def check_table(self, name: str, loc: Loc) -> None:
        if name not in self.cfg.tables:
            kind = self.symbols.get(name, ("", None))[0]
            self.error(loc, f"unknown table '{name}'" + (f" ('{name}' is a {kind})" if kind else
                                                         " (tables must be declared before use: ipv6 table NAME;)"))

    # -- static routes --
    def static_route(self, p: StaticProtocol, d: A.StaticRouteDecl) -> None:
        opt = Option("route", d.words, d.loc)
        a = _Args(self, opt, f"protocol {p.name}")
        w = a.take()
        prefix = None
        if w is not None and w.kind == "prefix":
            prefix = w.value
        elif w is not None and w.kind == "name" and w.text in self.cfg.defines:
            v = self.cfg.defines[w.text].value
            if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
                prefix = v
        if prefix is None:
            if w is not None:
                a.i -= 1
            a.fail("a prefix")
            return
        r = StaticRoute(prefix, d.loc, attrs=d.cmds)
        if a.peek_name() == "mpls":
            a.take()
            r.mpls_label = a.number()
        n = a.peek_name()
        if n in ("blackhole", "drop"):
            a.take()
            r.kind = "blackhole"
        elif n in ("unreachable", "reject"):
            a.take()
            r.kind = "unreachable"
        elif n == "prohibit":
            a.take()
            r.kind = "prohibit"
        elif n == "recursive":
            a.take()
            r.kind = "recursive"
            r.recursive = a.address()
            if a.peek_name() == "mpls":
                a.take()
                self._labels(a)
        elif n == "via":
            while a.peek_name() == "via":
                a.take()
                x = a.peek()
                if x is not None and x.kind == "string":
                    a.take()
                    nh = NextHop(None, str(x.value))
                else:
                    nh = NextHop(a.address())
                    y = a.peek()
                    if y is not None and y.kind == "punct" and y.text == "%":
                        a.take()
                        nh.iface = a.name()
                while not a.at_end() and not a.failed and a.peek_name() in ("dev", "mpls", "onlink", "weight",
                                                                            "bfd"):
                    k = a.take().text  # type: ignore[union-attr]
                    if k == "dev":
                        nh.iface = a.text()
                    elif k == "mpls":
                        nh.mpls = self._labels(a)
                    elif k == "onlink":
                        nh.onlink = a.boolean() if a.peek_name() != "via" else True
                    elif k == "weight":
                        nh.weight = a.number()
                    elif k == "bfd":
                        nh.bfd = a.boolean() if a.peek_name() != "via" else True
                r.nexthops.append(nh)
            r.kind = "unicast"
        elif n is None and a.at_end():
            r.kind = "none"  # BIRD 2.14+: a route with no next hop (for flow/ROA/ASPA nets)
        else:
            a.fail("via, blackhole, unreachable, prohibit or recursive")
            return
        a.end()
        if a.failed:
            return
        fam = "ipv4" if prefix.version == 4 else "ipv6"
        chans = [c for c in p.channels if c.split()[0] in _CHANNEL_TYPES]
        if not chans:
            self.error(d.loc, "Channel not specified (a static protocol needs `ipv4;` or `ipv6;` before its routes)")
        elif fam not in chans:
            self.error(d.loc, f"route {prefix} does not match the {chans[0]} channel of protocol {p.name}")
        if r.kind == "none" and prefix.version in (4, 6):
            self.error(d.loc, "Unexpected or missing nexthop/type")
        for nh in r.nexthops:
            if nh.gw is not None and nh.gw.is_link_local and nh.iface is None:
                self.error(d.loc, "Link-local next hop requires an interface (via fe80::1%eth0)")
        if r.nexthops and len(r.nexthops) > 1:
            self.unsupported(d.loc, f"route {prefix} with {len(r.nexthops)} next hops",
                             "static ECMP: only the first next hop is simulated")
        if d.cmds is not None:
            self.checker.check_body([], [], d.cmds, in_function=False)
        p.routes.append(r)

    def _labels(self, a: _Args) -> list[int]:
        out = [a.number()]
        while True:
            w = a.peek()
            if w is not None and w.kind == "punct" and w.text == "/":
                a.take()
                out.append(a.number())
            else:
                return out

    # -- protocol post-configuration (what BIRD refuses) --
    def finish(self, p: Protocol) -> None:
        if isinstance(p, BgpProtocol):
            self.finish_bgp(p)
        if isinstance(p, PipeProtocol):
            ch = p.channels["pipe"]
            p.table = ch.table
            if p.peer_table is None:
                self.error(p.loc, f"pipe protocol {p.name}: peer table not specified")
            self.unsupported(p.loc, f"protocol pipe {p.name} ({p.table or '?'} <-> {p.peer_table or '?'})",
                             "routing tables other than master4/master6 are not simulated")
        for ch in p.channels.values():
            if ch.table not in (None, "master4", "master6") and not isinstance(p, PipeProtocol):
                self.unsupported(ch.table_loc or ch.loc, f"table {ch.table} ({ch.afi} channel of {p.name})",
                                 "routing tables other than master4/master6 are not simulated")
        for ch in p.channels.values():
            if ch.table is not None:
                t = self.cfg.tables.get(ch.table)
                base = ch.afi.split()[0]
                if t is not None and base in ("ipv4", "ipv6") and t.nettype != base:
                    self.error(ch.table_loc or ch.loc, f"Incompatible table type: {ch.table} is an {t.nettype} "
                                                       f"table, the channel is {ch.afi}")

    def finish_bgp(self, p: BgpProtocol) -> None:
        loc = p.loc
        if not p.local_as:
            self.error(loc, f"protocol bgp {p.name}: Local AS number must be set (local as N;)")
        if p.neighbor is None and p.neighbor_range is None:
            self.error(loc, f"protocol bgp {p.name}: Neighbor must be configured (neighbor ADDR as N;)")
        if p.strict_bind and p.local_address is None:
            self.error(loc, f"protocol bgp {p.name}: Local address must be configured for strict bind")
        if not p.neighbor_as and not p.neighbor_kind and (p.neighbor is not None or p.neighbor_range is not None):
            self.error(p.neighbor_loc or loc, f"protocol bgp {p.name}: Remote AS number (or peer type) must be set")
        internal = p.is_internal()
        if p.neighbor_kind == "internal" and not internal:
            self.error(p.neighbor_loc or loc, f"protocol bgp {p.name}: IBGP cannot have different ASNs")
        if p.neighbor_kind == "external" and internal:
            self.error(p.neighbor_loc or loc, f"protocol bgp {p.name}: EBGP cannot have the same ASNs")
        link_local = any(a is not None and a.version == 6 and a.is_link_local
                         for a in (p.neighbor, p.local_address))
        if link_local and p.interface is None:
            self.error(p.neighbor_loc or loc, f"protocol bgp {p.name}: Link-local addresses require defined "
                                              "interface (neighbor fe80::1%eth0 or interface \"eth0\")")
        if p.rr_client and not internal:
            self.error(loc, f"protocol bgp {p.name}: Only internal neighbor can be RR client")
        if p.rs_client and internal:
            self.error(loc, f"protocol bgp {p.name}: Only external neighbor can be RS client")
        if p.confederation_member and not p.confederation:
            self.error(loc, f"protocol bgp {p.name}: Confederation ID must be set for member sessions")
        mh = p.effective_multihop()
        if mh:
            if link_local:
                self.error(loc, f"protocol bgp {p.name}: Multihop BGP cannot be used with link-local addresses")
            if p.interface is not None:
                self.error(loc, f"protocol bgp {p.name}: Multihop BGP cannot be bound to interface")
            if p.check_link:
                self.error(loc, f"protocol bgp {p.name}: Multihop BGP cannot depend on link state")
        if p.enforce_first_as and internal:
            self.error(loc, f"protocol bgp {p.name}: Enforce first AS check requires EBGP sessions")
        if p.keepalive_time is not None and p.hold_time and p.keepalive_time > p.hold_time:
            self.error(loc, f"protocol bgp {p.name}: Keepalive time must be at most hold time")
        for ch in p.channels.values():
            if ch.import_ is None and not p.is_interior():
                self.error(ch.loc, f"protocol bgp {p.name}, channel {ch.afi}: EBGP requires explicit import "
                                   "policy (BIRD refuses to start; RFC 8212)")
            if ch.export is None and not p.is_interior():
                self.error(ch.loc, f"protocol bgp {p.name}, channel {ch.afi}: EBGP requires explicit export "
                                   "policy (BIRD refuses to start; RFC 8212)")
            if mh and ch.gateway == "direct":
                self.error(ch.loc, f"protocol bgp {p.name}: Multihop BGP cannot use direct gateway mode")


def build_config(entries: list[Any], file: str, sources: dict[str, str], includes: list[str],
                 diags: Diagnostics) -> BirdConfig:
    cfg = BirdConfig(file)
    cfg.sources = {f: t.splitlines() for f, t in sources.items()}
    cfg.includes = list(includes)
    b = _Builder(cfg, diags)
    for e in entries:
        b.entry(e)
    if not cfg.protocols:
        diags.warning(Loc(file, 1, 1), "no protocol is specified (BIRD refuses a configuration without protocols)")
    return cfg
