"""BIRD filter interpreter: a Route and a filter in; verdict, modified route and a trace out.

Semantics follow BIRD's filter/f-inst.c, filter/data.c and nest/a-*.c (2.0.12 and
2.17.x), checked against a running BIRD 2.0.12 where noted in the tests:

* A filter that ends without accept/reject rejects the route (BIRD logs "Filter X did
  not return accept nor reject. Make up your mind" and treats it as an error).
* `accept`/`reject` inside a function end the whole filter; `return` leaves the function.
  `return` at filter level turns a bool into accept/reject in 2.0 (2.14+ refuses it at
  configuration time).
* An unset attribute reads as void. Lists (bgp_path, bgp_community, ...) read as an
  empty list that `defined()` reports as undefined. void compares below everything
  (`bgp_med < 5` is true, `bgp_med > 5` false, `bgp_med = 5` false) but arithmetic
  on it, `if` on it or storing it into a typed variable is a runtime error.
* A runtime error rejects the route. Integers are unsigned 32-bit and wrap.
* `case` has no fall-through; no matching arm and no `else:` does nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable

from podpath.diagnostics import Diagnostics, Loc
from podpath.readers.bird import ast as A
from podpath.readers.bird.model import BirdConfig, Filter, FilterSpec, Function
from podpath.readers.bird.values import (
    CMP_ERROR, EC_GENERIC, EC_RO, EC_RT, IP, NET, UNDEF_CLIST, UNDEF_ECLIST, UNDEF_LCLIST, UNDEF_PATH, VOID,
    AsPath, CList, Ec, EcList, EnumV, FilterError, Lc, LcList, Pair, PathMaskV, PrefixSetV, Quad, SetV, ec_make,
    fmt, is_ip4, is_undef_list, list_add, list_del, list_filter, list_union, pair_of, path_filter, path_first,
    path_last, path_last_nonaggregated, type_name, val_compare, val_in_range, val_same,
)
from podpath.routing.policy import PolicyContext, PolicyResult, TraceStep, Verdict
from podpath.routing.route import (
    AsPathSegment, ExtCommunity, Origin, Protocol, Route, RouteDest,
)

DIALECTS = ("2.0", "2.17")
DEFAULT_DIALECT = "2.17"

# ---- attributes ----------------------------------------------------------------------------------

# static attributes: name -> (type, read-only)
STATIC_ATTRS: dict[str, tuple[str, bool]] = {
    "from": ("ip", False), "gw": ("ip", False), "net": ("prefix", True), "proto": ("string", True),
    "source": ("enum rts", True), "scope": ("enum scope", False), "dest": ("enum rtd", False),
    "ifname": ("string", False), "ifindex": ("int", True), "weight": ("int", False),
    "preference": ("int", False), "gw_mpls": ("int", False), "gw_mpls_stack": ("clist", False),
    "onlink": ("bool", False),
}
# dynamic (extended) attributes: name -> type
DYNAMIC_ATTRS: dict[str, str] = {
    "bgp_origin": "enum bgp_origin", "bgp_path": "bgppath", "bgp_next_hop": "ip", "bgp_med": "int",
    "bgp_local_pref": "int", "bgp_atomic_aggr": "enum empty", "bgp_aggregator": "enum empty",
    "bgp_community": "clist", "bgp_originator_id": "quad", "bgp_cluster_list": "clist",
    "bgp_ext_community": "eclist", "bgp_aigp": "enum empty", "bgp_large_community": "lclist",
    "bgp_otc": "int", "igp_metric": "int", "aspa_providers": "clist", "mpls_label": "int",
    "mpls_policy": "enum mpls_policy", "mpls_class": "int",
    "ospf_metric1": "int", "ospf_metric2": "int", "ospf_tag": "int", "ospf_router_id": "quad",
    "rip_metric": "int", "rip_tag": "int", "babel_metric": "int",
    "ra_preference": "enum ra_preference", "ra_lifetime": "int",
    "krt_source": "int", "krt_metric": "int", "krt_prefsrc": "ip", "krt_realm": "int", "krt_scope": "int",
    "krt_mtu": "int", "krt_window": "int", "krt_rtt": "int", "krt_rttvar": "int", "krt_ssthresh": "int",
    "krt_sstresh": "int", "krt_cwnd": "int", "krt_advmss": "int", "krt_reordering": "int",
    "krt_hoplimit": "int", "krt_initcwnd": "int", "krt_rto_min": "int", "krt_initrwnd": "int",
    "krt_quickack": "int", "krt_congctl": "string", "krt_fastopen_no_cookie": "int",
    **{f"krt_lock_{x}": "bool" for x in ("mtu", "window", "rtt", "rttvar", "ssthresh", "sstresh", "cwnd",
                                          "advmss", "reordering", "hoplimit", "initcwnd", "rto_min",
                                          "initrwnd", "quickack", "congctl", "fastopen_no_cookie")},
    "krt_feature_ecn": "bool", "krt_feature_allfrag": "bool",
}
_LIST_UNDEF = {"bgppath": UNDEF_PATH, "clist": UNDEF_CLIST, "eclist": UNDEF_ECLIST, "lclist": UNDEF_LCLIST}

BUILTIN_FUNCTIONS = {"defined", "unset", "add", "delete", "filter", "prepend", "roa_check", "aspa_check",
                     "format", "from_hex", "aspa_check_downstream", "aspa_check_upstream"}
# method name -> types it applies to ("*list" = clist, eclist, lclist)
MEMBERS = {"len", "ip", "type", "first", "last", "last_nonaggregated", "min", "max", "empty", "asn", "data",
           "data1", "data2", "is_v4", "src", "dst", "maxlen", "rd"}
METHODS = {"add", "delete", "filter", "prepend", "mask"}

_RTS = {Protocol.BGP: 11, Protocol.STATIC: 1, Protocol.CONNECTED: 3, Protocol.KERNEL: 2, Protocol.OSPF: 7,
        Protocol.AGGREGATE: 17, Protocol.OTHER: 1}
_DEFAULT_PREF = {Protocol.BGP: 100, Protocol.STATIC: 200, Protocol.CONNECTED: 240, Protocol.KERNEL: 10,
                 Protocol.OSPF: 150, Protocol.AGGREGATE: 200, Protocol.OTHER: 200}
_RTD = {RouteDest.UNICAST: 1, RouteDest.BLACKHOLE: 2, RouteDest.UNREACHABLE: 3, RouteDest.PROHIBIT: 4}
_RTD_BACK = {v: k for k, v in _RTD.items()}
_ORIGIN = {Origin.IGP: 0, Origin.EGP: 1, Origin.INCOMPLETE: 2}
_ORIGIN_BACK = {v: k for k, v in _ORIGIN.items()}
_NONE4 = ipaddress.IPv6Address("::")  # BIRD's IPA_NONE, whatever the family
_EXTRA = "bird:"  # Route.extra keys of attributes with no Route field


def _ec_to_route(e: int) -> ExtCommunity:
    t = e >> 48
    sub = t & 0xFF
    kind = {EC_RT: "rt", EC_RO: "soo"}.get(sub, f"0x{t:04x}")
    cls = t >> 8
    if t == EC_GENERIC or cls not in (0, 1, 2):
        return ExtCommunity("generic", str(e >> 32), e & 0xFFFFFFFF)
    if cls == 0:
        return ExtCommunity(kind, str((e >> 32) & 0xFFFF), e & 0xFFFFFFFF)
    if cls == 1:
        return ExtCommunity(kind, str(ipaddress.IPv4Address((e >> 16) & 0xFFFFFFFF)), e & 0xFFFF)
    return ExtCommunity(kind, str((e >> 16) & 0xFFFFFFFF), e & 0xFFFF)


def _ec_from_route(x: ExtCommunity) -> Ec:
    kind = {"rt": EC_RT, "ro": EC_RO, "soo": EC_RO}.get(x.kind)
    if kind is None:
        if x.kind == "generic":
            return Ec((int(x.admin) << 32) | (x.value & 0xFFFFFFFF))
        try:
            kind = int(x.kind, 16) & 0xFF
        except ValueError:
            kind = 0xFF
    if "." in x.admin:
        return ec_make(kind, int(ipaddress.IPv4Address(x.admin)), x.value, ipv4=True)
    return ec_make(kind, int(x.admin), x.value)


# ---- values stored in Route.extra -----------------------------------------------------------------

def _encode(v: Any) -> str:
    t = type(v)
    if t is bool:
        return f"b:{int(v)}"
    if t is int:
        return f"i:{v}"
    if t is Quad:
        return f"q:{int(v)}"
    if t is str:
        return "s:" + v
    if t is EnumV:
        return f"e:{v.etype}:{v.value}"
    if isinstance(v, IP):
        return f"a:{v}"
    return "x:" + fmt(v)


def _decode(s: str) -> Any:
    k, _, rest = s.partition(":")
    if k == "b":
        return rest == "1"
    if k == "i":
        return int(rest)
    if k == "q":
        return Quad(int(rest))
    if k == "s":
        return rest
    if k == "e":
        et, _, val = rest.rpartition(":")
        return EnumV(et, int(val))
    if k == "a":
        return ipaddress.ip_address(rest)
    return VOID


# ---- control flow --------------------------------------------------------------------------------

class _Done(Exception):
    """accept / reject / error: ends the whole filter."""

    def __init__(self, kind: str, step: TraceStep) -> None:
        self.kind = kind
        self.step = step


class _Return(Exception):
    def __init__(self, value: Any, loc: Loc) -> None:
        self.value = value
        self.loc = loc


class _RouteState:
    """The route being filtered: reads and writes of BIRD attributes on a podpath Route."""

    __slots__ = ("route", "extra", "changed")

    def __init__(self, route: Route) -> None:
        self.route = route
        self.extra: dict[str, str] = {k[len(_EXTRA):]: v for k, v in route.extra if k.startswith(_EXTRA)}
        self.changed = False

    def result(self) -> Route:
        if not self.changed:
            return self.route
        other = tuple((k, v) for k, v in self.route.extra if not k.startswith(_EXTRA))
        return self.route.replace(extra=other + tuple(sorted((_EXTRA + k, v) for k, v in self.extra.items())))

    def is_bgp(self) -> bool:
        return self.route.protocol is Protocol.BGP

    def path_len(self) -> int:
        """`bgp_path.len` where the route has a non-empty path (0 otherwise: then `get` decides),
        reading only the length (Route.as_path_len)."""
        return self.route.as_path_len

    def get(self, name: str) -> Any:
        r = self.route
        if name == "net":
            return r.prefix
        if name in STATIC_ATTRS:
            return self._static(name)
        x = self.extra.get(name)
        if name == "bgp_path":
            return r.as_path if (r.as_path.segments or self.is_bgp() or x) else UNDEF_PATH
        if name == "bgp_community":
            if not r.communities:
                return CList() if x else UNDEF_CLIST
            return CList(sorted((a << 16) | b for a, b in r.communities))
        if name == "bgp_large_community":
            if not r.large_communities:
                return LcList() if x else UNDEF_LCLIST
            return LcList(Lc(*c) for c in sorted(r.large_communities))
        if name == "bgp_ext_community":
            if not r.ext_communities:
                return EcList() if x else UNDEF_ECLIST
            return EcList(sorted(_ec_from_route(e) for e in r.ext_communities))
        if name == "bgp_cluster_list":
            if not r.cluster_list:
                return CList() if x else UNDEF_CLIST
            return CList(int(a) for a in r.cluster_list)
        if name == "bgp_local_pref":
            return r.local_pref if r.local_pref is not None else VOID
        if name == "bgp_med":
            return r.med if r.med is not None else VOID
        if name == "bgp_origin":
            return EnumV("bgp_origin", _ORIGIN[r.origin]) if (self.is_bgp() or x) else VOID
        if name == "bgp_next_hop":
            if r.next_hop is not None and (self.is_bgp() or x):
                return r.next_hop
            return VOID
        if name == "bgp_originator_id":
            return Quad(int(r.originator_id)) if r.originator_id is not None else VOID
        if name == "bgp_atomic_aggr":
            return EnumV("empty", 0) if r.atomic_aggregate else VOID
        if x is not None:
            return _decode(x)
        if name == "krt_metric" and r.protocol is Protocol.KERNEL and r.metric is not None:
            return r.metric
        if name in ("ospf_metric1",) and r.protocol is Protocol.OSPF and r.metric is not None:
            return r.metric
        return VOID

    def _static(self, name: str) -> Any:
        r = self.route
        if name == "proto":
            return r.source_name or ""
        if name == "source":
            return EnumV("rts", _RTS.get(r.protocol, 1))
        if name == "from":
            return r.peer if r.peer is not None else _NONE4
        if name == "gw":
            return r.next_hop if r.next_hop is not None else _NONE4
        if name == "dest":
            return EnumV("rtd", _RTD[r.dest])
        if name == "ifname":
            return r.ifname or ""
        if name == "preference":
            return r.preference if r.preference is not None else _DEFAULT_PREF.get(r.protocol, 200)
        x = self.extra.get(name)
        if x is not None:
            return _decode(x)
        if name == "scope":
            return EnumV("scope", 4)  # SCOPE_UNIVERSE
        if name == "ifindex":
            return 0
        if name == "weight":
            return 1
        if name == "onlink":
            return False
        if name == "gw_mpls":
            return 3  # MPLS_NULL
        if name == "gw_mpls_stack":
            return CList()
        return VOID

    def set(self, name: str, v: Any) -> None:
        """Store `v` (already type-checked) into the route."""
        r = self.route
        self.changed = True
        if is_undef_list(v):  # BIRD stores the shared empty list: still "not defined"
            self.unset(name)
            return
        if name == "bgp_path":
            self.route = r.replace(as_path=v)
            self.extra["bgp_path"] = "x:set"
        elif name == "bgp_community":
            self.route = r.replace(communities=frozenset((x >> 16, x & 0xFFFF) for x in v))
            self.extra["bgp_community"] = "x:set"
        elif name == "bgp_large_community":
            self.route = r.replace(large_communities=frozenset(tuple(x) for x in v))
            self.extra["bgp_large_community"] = "x:set"
        elif name == "bgp_ext_community":
            self.route = r.replace(ext_communities=frozenset(_ec_to_route(x) for x in v))
            self.extra["bgp_ext_community"] = "x:set"
        elif name == "bgp_cluster_list":
            self.route = r.replace(cluster_list=tuple(ipaddress.IPv4Address(x) for x in v))
            self.extra["bgp_cluster_list"] = "x:set"
        elif name == "bgp_local_pref":
            self.route = r.replace(local_pref=v)
        elif name == "bgp_med":
            self.route = r.replace(med=v)
        elif name == "bgp_origin":
            self.route = r.replace(origin=_ORIGIN_BACK.get(v.value, Origin.INCOMPLETE))
            self.extra["bgp_origin"] = "x:set"
        elif name == "bgp_next_hop":
            self.route = r.replace(next_hop=v)
            self.extra["bgp_next_hop"] = "x:set"
        elif name == "bgp_originator_id":
            self.route = r.replace(originator_id=ipaddress.IPv4Address(int(v)))
        elif name == "gw":
            self.route = r.replace(next_hop=v, dest=RouteDest.UNICAST)
        elif name == "dest":
            self.route = r.replace(dest=_RTD_BACK[v.value], next_hop=None, ifname=None)
        elif name == "ifname":
            self.route = r.replace(ifname=v, next_hop=None, dest=RouteDest.UNICAST)
        elif name == "preference":
            self.route = r.replace(preference=v)
        elif name == "from":
            self.route = r.replace(peer=v)
        elif name == "krt_metric" and r.protocol is Protocol.KERNEL:
            self.route = r.replace(metric=v)
        else:
            self.extra[name] = _encode(v)

    def unset(self, name: str) -> None:
        r = self.route
        self.changed = True
        self.extra.pop(name, None)
        if name == "bgp_path":
            self.route = r.replace(as_path=AsPath())
        elif name == "bgp_community":
            self.route = r.replace(communities=frozenset())
        elif name == "bgp_large_community":
            self.route = r.replace(large_communities=frozenset())
        elif name == "bgp_ext_community":
            self.route = r.replace(ext_communities=frozenset())
        elif name == "bgp_cluster_list":
            self.route = r.replace(cluster_list=())
        elif name == "bgp_local_pref":
            self.route = r.replace(local_pref=None)
        elif name == "bgp_med":
            self.route = r.replace(med=None)
        elif name == "bgp_originator_id":
            self.route = r.replace(originator_id=None)
        elif name == "bgp_atomic_aggr":
            self.route = r.replace(atomic_aggregate=False)
        elif name == "bgp_origin":
            self.extra["bgp_origin"] = "x:unset"  # Route has no "no origin"; keep a marker
        elif name == "bgp_next_hop" and self.is_bgp():
            self.extra["bgp_next_hop"] = "x:unset"


def _show(v: Any) -> str:
    """A value for trace texts (enums by name, unlike BIRD's print)."""
    return str(v) if type(v) is EnumV else fmt(v)


def norm_type(t: str) -> str:
    """Declared type -> the type name values report: `int set`, `pair set`... are all `set`."""
    return "set" if t.endswith(" set") and t != "prefix set" else t


def _type_ok(v: Any, want: str) -> bool:
    """BIRD's dynamic type check (ARG_TYPE): the value's type must be exactly `want`."""
    return type_name(v) == norm_type(want)


# ---- the evaluator -------------------------------------------------------------------------------

class _Exec:
    """One run of one filter on one route."""

    MAX_DEPTH = 200

    def __init__(self, pol: "BirdFilterPolicy", route: Route | None) -> None:
        self.pol = pol
        self.cfg = pol.cfg
        self.dialect = pol.dialect
        self.rs = _RouteState(route) if route is not None else None
        self.trace: list[TraceStep] = []
        self.vars: dict[str, Any] = {}
        self.var_types: dict[str, str] = {}
        self.depth = 0
        self.loc: Loc | None = None  # statement being executed (for runtime errors)

    # -- helpers --
    def text(self, loc: Loc | None) -> str:
        if loc is None:
            return ""
        texts = self.pol._texts  # once per line of the filter: a filter runs for thousands of routes
        k = (loc.file, loc.line)
        t = texts.get(k)
        if t is None:
            t = self.cfg.line(loc)
            t = texts[k] = t if len(t) <= 120 else t[:117] + "..."
        return t

    def step(self, loc: Loc | None, effect: str, text: str | None = None) -> TraceStep:
        s = TraceStep(loc, text if text is not None else self.text(loc), effect)
        self.trace.append(s)
        return s

    def error(self, msg: str) -> FilterError:
        return FilterError(msg)

    # -- statements --
    def run_body(self, vars_: list[A.VarDecl], body: A.Block) -> None:
        for v in vars_:
            self.vars[v.name] = VOID
            self.var_types[v.name] = v.type
        self.block(body.stmts)

    def block(self, stmts: list[A.Stmt]) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: A.Stmt) -> None:
        self.loc = s.loc
        t = type(s)
        if t is A.If:
            c = self.eval(s.cond)
            if type(c) is not bool:
                raise self.error(f"Argument 1 of CONDITION must be of type bool, got type {type_name(c)}")
            self.step(s.loc, "match" if c else "no-match")
            if c:
                self.stmt(s.then)
            elif s.else_ is not None:
                self.stmt(s.else_)
        elif t is A.Verdict:
            out = "".join(fmt(self.eval(a), self.dialect) for a in s.args)
            kind = s.kind
            text = self.text(s.loc) + (f"  [prints: {out}]" if out else "")
            raise _Done(kind, TraceStep(s.loc, text, {"accept": "accept", "reject": "reject"}.get(kind, "error")))
        elif t is A.Assign:
            self.assign(s.target, self.eval(s.expr))
            self.step(s.loc, "set")
        elif t is A.MethodStmt:
            obj = self.read(s.target)
            val = self.method(obj, s.method, [self.eval(a) for a in s.args], s.loc) if s.args or \
                s.method in METHODS else self.member(obj, s.method)
            self.assign(s.target, val)
            self.step(s.loc, "set")
        elif t is A.CallStmt:
            c = s.call
            if c.name == "unset":
                target = c.args[0]
                if not isinstance(target, A.Name):
                    raise self.error("unset() needs an attribute")
                if self.rs is None:
                    raise self.error("unset() needs a route")
                self.rs.unset(target.name)
                self.step(s.loc, "set")
            else:
                self.step(s.loc, "call")
                self.eval(c)
        elif t is A.Block:
            self.block(s.stmts)
        elif t is A.Return:
            v = self.eval(s.expr)
            self.step(s.loc, "return")
            raise _Return(v, s.loc)
        elif t is A.Print:
            out = "".join(fmt(self.eval(a), self.dialect) for a in s.args)
            self.step(s.loc, "note", f"print: {out}")
        elif t is A.Case:
            v = self.eval(s.expr)
            arm = self.pick_arm(s, v)
            if arm is None:
                self.step(s.loc, "no-match", f"{self.text(s.loc)}  [{_show(v)}: no arm]")
                return
            self.step(arm.loc, "match", f"case {_show(v)}: {self.text(arm.loc)}")
            self.block(arm.body)
        elif t is A.VarDecl:
            self.var_types[s.name] = s.type
            if s.init is None:
                if self.dialect == "2.0":
                    raise self.error(f"Argument 1 of VAR_INIT must be of type {s.type}, got type void")
                self.vars[s.name] = _LIST_UNDEF.get(s.type, VOID)
            else:
                v = self.convert(self.eval(s.init), s.type)
                if not _type_ok(v, s.type):
                    raise self.error(f"Argument 1 of VAR_INIT must be of type {s.type}, got type {type_name(v)}")
                self.vars[s.name] = v
            self.step(s.loc, "set")
        elif t is A.For:
            seq = self.eval(s.expr)
            if type(seq) is AsPath:
                items: list[Any] = list(seq.asns())
            elif type(seq) is CList:
                items = [pair_of(x) for x in seq]
            elif type(seq) is EcList or type(seq) is LcList:
                items = list(seq)
            else:
                raise self.error("Clist or lclist expected")
            if s.var_type is not None:
                self.var_types[s.var] = s.var_type
            self.step(s.loc, "note", f"{self.text(s.loc)}  [{len(items)} items]")
            for it in items:
                self.vars[s.var] = it
                self.stmt(s.body)
            self.vars[s.var] = VOID
        else:  # pragma: no cover
            raise self.error(f"unknown statement {t.__name__}")

    def pick_arm(self, s: A.Case, v: Any) -> A.CaseArm | None:
        """FI_SWITCH: the arm whose items contain v; else the `else:` arm; else none."""
        else_arm = None
        for arm in s.arms:
            if arm.is_else:
                else_arm = arm
            elif v is not VOID and self.pol.arm_set(arm).contains(v):
                return arm
        return else_arm

    def assign(self, name: str, v: Any) -> None:
        if name in self.var_types or name in self.vars:
            want = self.var_types.get(name)
            if want is not None:
                v = self.convert(v, want)
                if not _type_ok(v, want):
                    raise self.error(f"Argument 1 of VAR_SET must be of type {want}, got type {type_name(v)}")
            self.vars[name] = v
            return
        if self.rs is None:
            raise self.error(f"can't set {name} without a route")
        if name in STATIC_ATTRS:
            want, ro = STATIC_ATTRS[name]
            if ro:
                raise self.error("This static attribute is read-only.")
            v = self.convert(v, want)
            if not _type_ok(v, want):
                raise self.error(f"Argument 1 of RTA_SET must be of type {want}, got type {type_name(v)}")
            if name == "dest" and v.value not in (2, 3, 4):
                raise self.error("Destination can be changed only to blackhole, unreachable or prohibit")
            if name == "weight" and not 1 <= v <= 256:
                raise self.error("Setting weight value out of bounds")
            if name == "gw" and v == _NONE4:
                raise self.error("Invalid gw address")
            self.rs.set(name, v)
            return
        want = DYNAMIC_ATTRS.get(name) or (self.cfg.attributes[name][0] if name in self.cfg.attributes else None)
        if want is None:
            raise self.error(f"Can't assign to symbol {name}")
        if want == "enum empty":
            raise self.error("Setting opaque attribute is not allowed")
        v = self.convert(v, want)
        if not _type_ok(v, want):
            raise self.error(f"Argument 1 of EA_SET must be of type {want}, got type {type_name(v)}")
        self.rs.set(name, v)

    @staticmethod
    def convert(v: Any, want: str) -> Any:
        """BIRD's constant promotion: an IPv4 address where a quad is wanted."""
        if want == "quad" and is_ip4(v):
            return Quad(int(v))
        if want == "prefix set" and type(v) is SetV and not v:
            return PrefixSetV([])
        return v

    # -- expressions --
    def read(self, name: str) -> Any:
        if name in self.vars:
            return self.vars[name]
        if name in STATIC_ATTRS or name in DYNAMIC_ATTRS or name in self.cfg.attributes:
            if self.rs is None:
                raise self.error(f"{name}: not a constant (needs a route)")
            return self.rs.get(name)
        d = self.cfg.defines.get(name)
        if d is not None:
            return d.value
        raise self.error(f"unknown symbol {name}")

    def eval(self, e: Any) -> Any:
        t = type(e)
        if t is A.Const:
            return e.value
        if t is A.Name:
            return self.read(e.name)
        if t is A.Binary:
            return self.binary(e)
        if t is A.Member:
            o = e.obj
            if e.name == "len" and type(o) is A.Name and o.name == "bgp_path" and self.rs is not None \
                    and "bgp_path" not in self.vars:
                n = self.rs.path_len()
                if n:
                    return n
            return self.member(self.eval(o), e.name)
        if t is A.MethodCall:
            return self.method(self.eval(e.obj), e.name, [self.eval(a) for a in e.args], e.loc)
        if t is A.Call:
            return self.call(e)
        if t is A.Not:
            v = self.eval(e.expr)
            if type(v) is not bool:
                raise self.error(f"Argument 1 of NOT must be of type bool, got type {type_name(v)}")
            return not v
        if t is A.PairCons:
            a, b = self.eval(e.a), self.eval(e.b)
            for i, x in ((1, a), (2, b)):
                if type(x) is not int:
                    raise self.error(f"Argument {i} of PAIR_CONSTRUCT must be of type int, got type {type_name(x)}")
            if a > 0xFFFF or b > 0xFFFF:
                raise self.error("Can't operate with value out of bounds in pair constructor")
            return Pair(a, b)
        if t is A.LcCons:
            vals = [self.eval(x) for x in (e.a, e.b, e.c)]
            for i, x in enumerate(vals, 1):
                if type(x) is not int:
                    raise self.error(f"Argument {i} of LC_CONSTRUCT must be of type int, got type {type_name(x)}")
            return Lc(*vals)
        if t is A.EcCons:
            return self.ec(e)
        if t in (A.SetLit, A.PrefixSetLit):
            return self.pol.const(e)
        if t is A.PathMaskLit:
            return self.pol.mask(e, self)
        if t is A.EmptyList:
            return {"path": UNDEF_PATH, "clist": UNDEF_CLIST, "eclist": UNDEF_ECLIST, "lclist": UNDEF_LCLIST}[e.kind]
        raise self.error(f"cannot evaluate {t.__name__}")  # pragma: no cover

    def ec(self, e: A.EcCons) -> Ec:
        key, val = self.eval(e.a), self.eval(e.b)
        kind = {"rt": EC_RT, "ro": EC_RO, "generic": EC_GENERIC}.get(e.kind, e.subtype)
        if type(val) is not int:
            raise self.error(f"Argument 2 of EC_CONSTRUCT must be of type int, got type {type_name(val)}")
        if type(key) is int:
            ipv4 = False
            k = key
        elif type(key) is Quad or is_ip4(key):
            ipv4 = True
            k = int(key)
        else:
            raise self.error("Argument 1 of EC constructor must be integer or IPv4 address")
        if kind == EC_GENERIC:
            return ec_make(kind, k, val)
        if ipv4 and val > 0xFFFF:
            raise self.error(f"4-byte value {val} can't be used with IP-address key in extended community")
        if not ipv4 and k >= 0x10000 and val > 0xFFFF:
            raise self.error(f"4-byte value {val} can't be used with 4-byte ASN in extended community")
        return ec_make(kind, k, val, ipv4=ipv4)

    def binary(self, e: A.Binary) -> Any:
        op = e.op
        if op == "&&" or op == "||":
            a = self.eval(e.left)
            if type(a) is not bool:
                raise self.error(f"Argument 1 of {'AND' if op == '&&' else 'OR'} must be of type bool, "
                                 f"got type {type_name(a)}")
            if (op == "&&") != a:
                return a
            return self.eval(e.right)
        a = self.eval(e.left)
        b = self.eval(e.right)
        if op == "=":
            return val_same(a, b)
        if op == "!=":
            return not val_same(a, b)
        if op in ("<", ">", "<=", ">="):
            x, y = (a, b) if op in ("<", "<=") else (b, a)
            c = val_compare(x, y)
            if c == CMP_ERROR:
                raise self.error("Can't compare values of incompatible types")
            return c == -1 if op in ("<", ">") else c != 1
        if op == "~" or op == "!~":
            r = val_in_range(a, b)
            if r == CMP_ERROR:
                raise self.error(f"{op} applied on unknown type pair")
            return bool(r) if op == "~" else not r
        name = {"+": "ADD", "-": "SUBTRACT", "*": "MULTIPLY", "/": "DIVIDE"}[op]
        for i, x in ((1, a), (2, b)):
            if type(x) is not int:
                raise self.error(f"Argument {i} of {name} must be of type int, got type {type_name(x)}")
        if op == "+":
            return (a + b) & 0xFFFFFFFF
        if op == "-":
            return (a - b) & 0xFFFFFFFF
        if op == "*":
            return (a * b) & 0xFFFFFFFF
        if b == 0:
            raise self.error("Mother told me not to divide by 0")
        return a // b

    def member(self, v: Any, name: str) -> Any:
        t = type(v)
        if name == "len":
            if isinstance(v, NET):
                return v.prefixlen
            if t is AsPath:
                return v.length
            if t in (CList, EcList, LcList):
                return len(v)
            raise self.error("Prefix, path, clist or eclist expected")
        if isinstance(v, NET):
            if name == "ip":
                return v.network_address
            if name == "type":
                return EnumV("net_type", 1 if v.version == 4 else 2)
            if name in ("maxlen", "asn"):
                raise self.error("ROA expected")
            if name == "rd":
                raise self.error("VPN address expected")
            if name in ("src", "dst"):
                raise self.error("Flow or SADR expected")
        if isinstance(v, IP) and name == "is_v4":
            return v.version == 4
        if t is AsPath:
            if name == "first":
                return path_first(v)
            if name == "last":
                return path_last(v)
            if name == "last_nonaggregated":
                return path_last_nonaggregated(v)
            if name == "empty":
                return UNDEF_PATH
        if t in (CList, EcList, LcList):
            if name == "empty":
                return {CList: UNDEF_CLIST, EcList: UNDEF_ECLIST, LcList: UNDEF_LCLIST}[t]
            if name in ("min", "max"):
                if t is CList:
                    if not v:
                        return Pair(0, 0)
                    return pair_of(min(v) if name == "min" else max(v))
                if t is EcList:
                    return (min(v) if name == "min" else max(v)) if v else Ec(0)
                return (min(v) if name == "min" else max(v)) if v else Lc(0, 0, 0)
        if t is Pair:
            if name == "asn":
                return v.a
            if name == "data":
                return v.b
        if t is Lc:
            if name == "asn":
                return v.a
            if name == "data1":
                return v.b
            if name == "data2":
                return v.c
        raise self.error(f"no method {name} for type {type_name(v)}")

    def method(self, v: Any, name: str, args: list[Any], loc: Loc | None = None) -> Any:
        if name == "mask":
            if not isinstance(v, IP) or len(args) != 1 or type(args[0]) is not int:
                raise self.error("mask() needs an ip and an int")
            n = min(args[0], v.max_prefixlen)
            return ipaddress.ip_network((v, n), strict=False).network_address
        if len(args) != 1:
            raise self.error(f"{name}() takes one argument")
        x = args[0]
        if name == "prepend":
            if type(v) is not AsPath:
                raise self.error(f"Argument 1 of PATH_PREPEND must be of type bgppath, got type {type_name(v)}")
            if type(x) is not int:
                raise self.error(f"Argument 2 of PATH_PREPEND must be of type int, got type {type_name(x)}")
            return v.prepend(x)
        if name == "add":
            return self.list_add(v, x)
        if name == "delete":
            return self.list_del(v, x, False)
        if name == "filter":
            return self.list_del(v, x, True)
        raise self.error(f"no method {name}")  # pragma: no cover

    def list_add(self, v: Any, x: Any) -> Any:
        t, tx = type(v), type(x)
        if t is AsPath:
            raise self.error("Can't add to path")
        if t is CList:
            if tx is Pair:
                return list_add(v, x.u32, CList)
            if tx is Quad or is_ip4(x):
                return list_add(v, int(x), CList)
            if tx is SetV:
                raise self.error("Can't add set")
            if tx is CList:
                return list_union(v, x, CList)
            raise self.error("Can't add non-pair")
        if t is EcList:
            if tx is SetV:
                raise self.error("Can't add set")
            if tx is EcList:
                return list_union(v, x, EcList)
            if tx is not Ec:
                raise self.error("Can't add non-ec")
            return list_add(v, x, EcList)
        if t is LcList:
            if tx is SetV:
                raise self.error("Can't add set")
            if tx is LcList:
                return list_union(v, x, LcList)
            if tx is not Lc:
                raise self.error("Can't add non-lc")
            return list_add(v, x, LcList)
        raise self.error("Can't add to non-[e|l]clist")

    def list_del(self, v: Any, x: Any, keep: bool) -> Any:
        """delete (keep=False) and filter (keep=True) on paths and community lists."""
        t, tx = type(v), type(x)
        if t is AsPath:
            if (tx is SetV and (not x or x.etype is int)) or (tx is int and not keep):
                return path_filter(v, x, keep) if not (v is UNDEF_PATH) else v
            raise self.error("Can't filter integer" if keep else "Can't delete non-integer (set)")
        if t is CList:
            if not keep and (tx is Pair or tx is Quad or is_ip4(x)):
                return list_del(v, x.u32 if tx is Pair else int(x), CList)
            if tx is SetV and (not x or x.etype in (Pair, Quad, "ip")):
                conv = pair_of if x.etype is Pair or not x else Quad
                return list_filter(v, lambda u: x.contains(conv(u)), keep, CList)
            if tx is CList:
                return list_filter(v, lambda u: u in x, keep, CList)
            raise self.error("Can't filter pair" if keep else "Can't delete non-pair")
        if t is EcList or t is LcList:
            el = Ec if t is EcList else Lc
            if tx is SetV and (not x or x.etype is el):
                return list_filter(v, x.contains, keep, t)
            if tx is t:
                return list_filter(v, lambda u: u in x, keep, t)
            if not keep and tx is el:
                return list_del(v, x, t)
            raise self.error(f"Can't {'filter' if keep else 'delete non-'}{'ec' if el is Ec else 'lc'}")
        raise self.error(f"Can't {'filter' if keep else 'delete in'} non-[e|l]clist")

    def call(self, e: A.Call) -> Any:
        name = e.name
        fn = self.cfg.functions.get(name)
        if fn is not None:
            return self.call_function(fn, [self.eval(a) for a in e.args], e.loc)
        if name == "defined":
            v = self.eval(e.args[0])
            return v is not VOID and not is_undef_list(v)
        if name in ("add", "delete", "filter", "prepend"):
            if len(e.args) != 2:
                raise self.error(f"{name}() takes two arguments")
            return self.method(self.eval(e.args[0]), name, [self.eval(e.args[1])])
        if name == "roa_check":
            self.step(e.loc, "note", "roa_check(): no ROA data is modelled; BIRD with an empty ROA table "
                                     "returns ROA_UNKNOWN")
            return EnumV("roa", 0)
        if name.startswith("aspa_check"):
            self.step(e.loc, "note", "aspa_check(): no ASPA data is modelled; assumed ASPA_UNKNOWN")
            return EnumV("aspa", 0)
        if name == "format":
            return fmt(self.eval(e.args[0]), self.dialect)
        if name == "unset":
            raise self.error("unset() is a statement")
        raise self.error(f"unknown function {name}")

    def call_function(self, fn: Function, args: list[Any], loc: Loc) -> Any:
        if len(args) != len(fn.params):
            raise self.error(f"Function '{fn.name}' expects {len(fn.params)} arguments, got {len(args)} arguments")
        if self.depth >= self.MAX_DEPTH:
            raise self.error("Filter execution stack overflow (recursion too deep)")
        saved = (self.vars, self.var_types)
        self.vars = {}
        self.var_types = {}
        for p, a in zip(fn.params, args):
            self.vars[p.name] = self.convert(a, p.type)
            self.var_types[p.name] = p.type
        self.depth += 1
        try:
            self.run_body(fn.vars, fn.body)
            return VOID
        except _Return as r:
            return r.value
        finally:
            self.depth -= 1
            self.vars, self.var_types = saved


# ---- constant sets and masks ---------------------------------------------------------------------

_U16 = 0xFFFF
_U32 = 0xFFFFFFFF


class BirdFilterPolicy:
    """A BIRD filter as a podpath Policy: `import/export all | none | filter NAME |
    filter { ... } | where EXPR`, a named `Filter`, or the attribute block of a static
    route (`A.Block`). `dialect` is "2.17" (default) or "2.0" where they differ."""

    def __init__(self, config: BirdConfig, spec: FilterSpec | Filter | A.Block | str, name: str | None = None,
                 *, dialect: str = DEFAULT_DIALECT, lines: Any = None) -> None:
        self.cfg = config
        if isinstance(spec, str):
            spec = FilterSpec(spec, Loc(config.file))
        self.spec = spec
        self.dialect = dialect if dialect in DIALECTS else DEFAULT_DIALECT
        if name is None:
            if isinstance(spec, FilterSpec):
                name = spec.describe()
            elif isinstance(spec, Filter):
                name = f"filter {spec.name}" if spec.name else "filter { ... }"
            else:
                name = "route attributes"
        self.name = name
        self._consts: dict[int, Any] = config.__dict__.setdefault("_bird_consts", {})
        self._key: Any = None
        self._texts: dict[tuple[str, int], str] = {}  # (file, line) -> trace text (_Exec.text)

    # The interpreter reads the route only (`proto`, `from`... are route attributes), never the
    # session: the simulator need not tell peers apart for it.
    context_free = True

    @property
    def key(self) -> Any:
        """Structural key (see structure.py): equal for the same filter in another file."""
        if self._key is None:
            from podpath.readers.bird.structure import filter_key

            try:
                self._key = filter_key(self.cfg, self.spec, self.dialect)
            except RecursionError:  # nested too deeply to compare (already an error): shared with nothing
                self._key = ("bird filter not compared", self.cfg.file, self.name,
                             str(getattr(self.spec, "loc", "")))
        return self._key

    # -- public --
    def evaluate(self, route: Route, ctx: PolicyContext | None = None) -> PolicyResult:
        spec = self.spec
        if isinstance(spec, FilterSpec):
            if spec.kind == "all" or spec.kind == "none":
                v = Verdict.ACCEPT if spec.kind == "all" else Verdict.REJECT
                how = "default: " if spec.implicit else ""
                step = TraceStep(spec.loc, f"{how}{spec.kind} ({'ACCEPT' if spec.kind == 'all' else 'REJECT'})",
                                 v.value)
                return PolicyResult(v, route, (step,), step)
            if spec.kind == "where":
                return self._where(route, spec)
            f = spec.filter
            if f is None:
                f = self.cfg.filters.get(spec.name or "")
            if f is None:
                step = TraceStep(spec.loc, f"filter {spec.name} is not defined (BIRD refuses the configuration)",
                                 "error")
                return PolicyResult(Verdict.REJECT, route, (step,), step, (step.text,))
            return self._run(route, f.vars, f.body, f.name or "(unnamed)", end=spec.loc)
        if isinstance(spec, Filter):
            return self._run(route, spec.vars, spec.body, spec.name or "(unnamed)", end=spec.loc)
        return self._run_block(route, spec)

    # -- running --
    def _where(self, route: Route, spec: FilterSpec) -> PolicyResult:
        ex = _Exec(self, route)
        try:
            v = ex.eval(spec.expr)
            if type(v) is not bool:
                raise FilterError(f"Argument 1 of CONDITION must be of type bool, got type {type_name(v)}")
        except FilterError as e:
            return self._error(ex, route, spec.loc, str(e))
        except RecursionError:  # a function calling itself: BIRD stops it the same way
            return self._error(ex, route, ex.loc or spec.loc, "Filter execution stack overflow")
        text = f"where {self.cfg.line(spec.loc).partition('where')[2].strip().rstrip(';').strip()}"
        step = ex.step(spec.loc, "accept" if v else "reject", text)
        verdict = Verdict.ACCEPT if v else Verdict.REJECT
        return PolicyResult(verdict, ex.rs.result() if v and ex.rs else route, tuple(ex.trace), step)

    def _run(self, route: Route, vars_: list[A.VarDecl], body: A.Block, fname: str, end: Loc) -> PolicyResult:
        ex = _Exec(self, route)
        try:
            ex.run_body(vars_, body)
        except _Done as d:
            return self._done(ex, route, d)
        except _Return as r:
            if self.dialect == "2.0" and type(r.value) is bool:
                step = ex.step(r.loc, "accept" if r.value else "reject",
                               f"return {'true' if r.value else 'false'} at filter level: "
                               f"{'accept' if r.value else 'reject'} (BIRD 2.0)")
                return self._finish(ex, route, Verdict.ACCEPT if r.value else Verdict.REJECT, step)
            return self._error(ex, route, r.loc, "Can't return non-bool from non-function" if self.dialect == "2.0"
                               else "return outside a function (BIRD 2.14+ refuses this configuration)")
        except FilterError as e:
            return self._error(ex, route, ex.loc or end, str(e))
        except RecursionError:
            return self._error(ex, route, ex.loc or end, "Filter execution stack overflow")
        step = ex.step(body.loc, "default",
                       f"filter {fname} ended without accept or reject: BIRD logs \"Filter {fname} did not return "
                       "accept nor reject. Make up your mind\" and rejects the route")
        return PolicyResult(Verdict.REJECT, route, tuple(ex.trace), step,
                            (f"Filter {fname} did not return accept nor reject. Make up your mind",))

    def _run_block(self, route: Route, block: A.Block) -> PolicyResult:
        """Static route attribute block: commands run on the route, no verdict needed."""
        ex = _Exec(self, route)
        try:
            ex.block(block.stmts)
        except _Done as d:
            return self._done(ex, route, d)
        except _Return as r:
            return self._error(ex, route, r.loc, "return outside a function")
        except FilterError as e:
            return self._error(ex, route, ex.loc or block.loc, str(e))
        except RecursionError:
            return self._error(ex, route, ex.loc or block.loc, "Filter execution stack overflow")
        step = ex.step(block.loc, "accept", "route attributes applied")
        return self._finish(ex, route, Verdict.ACCEPT, step)

    def _done(self, ex: _Exec, route: Route, d: _Done) -> PolicyResult:
        ex.trace.append(d.step)
        if d.kind == "accept":
            return self._finish(ex, route, Verdict.ACCEPT, d.step)
        errors = ("error statement",) if d.kind == "error" else ()
        return PolicyResult(Verdict.REJECT, route, tuple(ex.trace), d.step, errors)

    @staticmethod
    def _finish(ex: _Exec, route: Route, verdict: Verdict, step: TraceStep) -> PolicyResult:
        new = ex.rs.result() if ex.rs is not None and verdict is Verdict.ACCEPT else route
        return PolicyResult(verdict, new, tuple(ex.trace), step)

    @staticmethod
    def _error(ex: _Exec, route: Route, loc: Loc | None, msg: str) -> PolicyResult:
        line = f", line {loc.line}" if loc is not None and loc.line else ""
        step = ex.step(loc, "error", f"runtime error, route rejected: filters{line}: {msg}")
        return PolicyResult(Verdict.REJECT, route, tuple(ex.trace), step, (msg,))

    # -- constants --
    def const(self, e: Any) -> Any:
        key = id(e)
        got = self._consts.get(key)
        if got is None:
            got = self._consts[key] = const_value(self.cfg, e)
        return got

    def arm_set(self, arm: A.CaseArm) -> SetV:
        """The items of one `case` arm as a set, built once."""
        key = id(arm)
        got = self._consts.get(key)
        if got is None:
            got = self._consts[key] = _build_set(self.cfg, arm.items)
        return got

    def mask(self, e: A.PathMaskLit, ex: _Exec) -> PathMaskV:
        """FI_PATHMASK_CONSTRUCT: items may be expressions (evaluated at run time)."""
        cached = self._consts.get(id(e))
        if cached is not None:
            return cached
        items: list[tuple[Any, ...]] = []
        dynamic = False
        for it in e.items:
            k = it.kind
            if k == "asn":
                items.append(("asn", it.value))
            elif k == "range":
                items.append(("range", it.value, it.hi))
            elif k in ("any", "one"):
                items.append((k,))
            elif k == "loop":
                if not items:
                    raise FilterError("Path mask iterator '+' cannot be first")
                items.insert(len(items) - 1, ("loop",))
            elif k == "set":
                s = self.const(it.value)
                if s and s.etype is not int:
                    raise FilterError("Only integer sets allowed in path mask")
                items.append(("set", s))
            else:
                dynamic = True
                v = ex.eval(it.value)
                if type(v) is int:
                    items.append(("asn", v))
                elif type(v) is SetV and (not v or v.etype is int):
                    items.append(("set", v))
                else:
                    raise FilterError("Error resolving path mask template: value not an integer")
        mv = PathMaskV(items)
        if not dynamic:
            self._consts[id(e)] = mv
        return mv


def const_value(cfg: BirdConfig, e: Any) -> Any:
    """Evaluate a constant expression (define, set atoms): no route, no variables."""
    t = type(e)
    if t is A.SetLit:
        return _build_set(cfg, e.items)
    if t is A.PrefixSetLit:
        return PrefixSetV([(p.net, p.lo, p.hi) for p in e.items])
    pol = BirdFilterPolicy(cfg, "all")
    ex = _Exec(pol, None)
    if t is A.PathMaskLit:
        return pol.mask(e, ex)
    return ex.eval(e)


def _cnum(cfg: BirdConfig, e: Any) -> int:
    v = const_value(cfg, e)
    if type(v) is not int:
        raise FilterError(f"Integer expression expected, got {type_name(v)}")
    return v


def _u16(v: int) -> int:
    if v > _U16:
        raise FilterError(f"Value {v} out of range (0-65535)")
    return v


def _build_set(cfg: BirdConfig, items: list[A.SetItem]) -> SetV:
    """A constant set, following f_new_pair_item / f_new_pair_set / f_new_lc_item /
    f_new_ec_item in filter/config.Y (including their range checks)."""
    ranges: list[tuple[Any, Any]] = []
    boxes: list[tuple[int, int, int, int]] = []
    for it in items:
        lo, hi = it.lo, it.hi
        if isinstance(lo, A.TupleItem):
            if hi is None:
                r, b = _tuple_item(cfg, lo)
                ranges += r
                boxes += b
            else:
                if not isinstance(hi, A.TupleItem) or hi.kind != lo.kind or lo.kind == "ec":
                    raise FilterError("syntax error in set range")
                a = [_cnum(cfg, p.lo) for p in lo.parts if p.hi is None and p.lo is not None]
                b2 = [_cnum(cfg, p.lo) for p in hi.parts if p.hi is None and p.lo is not None]
                if len(a) != len(lo.parts) or len(b2) != len(hi.parts):
                    raise FilterError("syntax error in set range")
                if lo.kind == "pair":
                    fa, fb = (_u16(x) for x in a)
                    ta, tb = (_u16(x) for x in b2)
                    if ta < fa or tb < fb:
                        raise FilterError("From value cannot be higher that To value in pair sets")
                    ranges.append((Pair(fa, fb), Pair(ta, tb)))
                else:
                    ranges.append((Lc(*a), Lc(*b2)))
            continue
        v1 = _atom(cfg, lo)
        v2 = _atom(cfg, hi) if hi is not None else v1
        ranges.append((v1, v2))
    if ranges:
        tags = {type_name(a) for a, _ in ranges} | {type_name(b) for _, b in ranges}
        if boxes:
            tags.add("pair")
        if len(tags) > 1 and tags != {"quad", "ip"}:
            raise FilterError(f"set mixes types: {', '.join(sorted(tags))}")
    return SetV(ranges, boxes)


def _atom(cfg: BirdConfig, e: Any) -> Any:
    v = const_value(cfg, e)
    if type(v) in (int, Pair, Quad, EnumV, Ec, Lc) or isinstance(v, IP) or type(v).__name__ == "Rd":
        return v
    raise FilterError(f"set-incompatible type ({type_name(v)})")


def _tuple_item(cfg: BirdConfig, ti: A.TupleItem) -> tuple[list[tuple[Any, Any]], list[tuple[int, int, int, int]]]:
    def part(p: A.Part, maxv: int) -> tuple[int, int, str]:
        if p.lo is None:
            return 0, maxv, "*"
        if p.hi is None:
            v = _cnum(cfg, p.lo)
            return v, v, "v"
        return _cnum(cfg, p.lo), _cnum(cfg, p.hi), "r"

    if ti.kind == "pair":
        (fa, ta, ka), (fb, tb, kb) = part(ti.parts[0], _U16), part(ti.parts[1], _U16)
        for x in (fa, ta, fb, tb):
            _u16(x)
        if ta < fa or tb < fb:
            raise FilterError("From value cannot be higher that To value in pair sets")
        if ka == "v" or (kb == "*" and ka != "*"):  # f_new_pair_item: one range
            return [(Pair(fa, fb), Pair(ta, tb))], []
        if ka == "*" and kb == "*":
            return [(Pair(0, 0), Pair(_U16, _U16))], []
        return [], [(fa, ta, fb, tb)]  # f_new_pair_set: one item per first component
    if ti.kind == "lc":
        p = [part(x, _U32) for x in ti.parts]
        kinds = "".join(k for _, _, k in p)
        if kinds not in ("vvv", "vvr", "vv*", "vr*", "v**", "r**", "***"):
            raise FilterError("syntax error in large community set item")
        return [(Lc(p[0][0], p[1][0], p[2][0]), Lc(p[0][1], p[1][1], p[2][1]))], []
    # extended community: (kind, key, value | lo..hi | *)
    kind = {"rt": EC_RT, "ro": EC_RO, "generic": EC_GENERIC}.get(ti.ec_kind, ti.ec_subtype)
    kp = ti.parts[0]
    if kp.lo is None or kp.hi is not None:
        raise FilterError("syntax error in extended community set item")
    key = _cnum(cfg, kp.lo)
    vf, vt, vk = part(ti.parts[1], _U32)
    if kind != EC_GENERIC and key >= 0x10000:
        _u16(vf)
        vt = _U16 if vk == "*" else _u16(vt)
    return [(ec_make(kind, key, vf), ec_make(kind, key, vt))], []


# ---- static checks (configuration time) -----------------------------------------------------------

@dataclass
class _Scope:
    names: dict[str, str]  # variable -> type
    in_function: bool


class Checker:
    """What BIRD refuses while reading the configuration: unknown symbols (BIRD's "syntax
    error, unexpected CF_SYM_UNDEFINED"), calls of undefined functions or with the wrong
    number of arguments, assignments to read-only attributes, obvious type errors, sets
    that cannot be built; and syntax newer than BIRD 2.0 (recorded as version notes)."""

    def __init__(self, cfg: BirdConfig, diags: Diagnostics) -> None:
        self.cfg = cfg
        self.diags = diags
        self.scope = _Scope({}, False)

    def error(self, loc: Loc, msg: str) -> None:
        self.diags.error(loc, msg, self._src(loc))

    def _src(self, loc: Loc) -> str | None:
        lines = self.cfg.sources.get(loc.file) or []
        return lines[loc.line - 1] if 0 < loc.line <= len(lines) else None

    def note_version(self, loc: Loc, what: str) -> None:
        self.cfg.version_notes.append((loc, what))

    def check_body(self, params: list[A.Param], vars_: list[A.VarDecl], body: A.Block, in_function: bool) -> None:
        self.scope = _Scope({p.name: p.type for p in params}, in_function)
        for v in vars_:
            self._declare(v.loc, v.name, v.type)
        try:
            self.block(body.stmts)
        except RecursionError:  # thousands of nested blocks or parentheses: refuse, never a traceback
            self.error(body.loc, "statements nested too deeply for podpath to check")

    def check_expr(self, e: Any) -> None:
        self.scope = _Scope({}, False)
        try:
            self.expr(e)
        except RecursionError:
            self.error(getattr(e, "loc", None) or Loc(self.cfg.file), "expression nested too deeply for podpath to check")

    def _declare(self, loc: Loc, name: str, type_: str) -> None:
        if name in STATIC_ATTRS or name in DYNAMIC_ATTRS:
            self.error(loc, f"'{name}' is a route attribute and cannot be a variable name")
        self.scope.names[name] = type_

    def block(self, stmts: list[Any]) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: Any) -> None:
        t = type(s)
        if t is A.If:
            self._bool(s.cond, "CONDITION")
            self.stmt(s.then)
            if s.else_ is not None:
                self.stmt(s.else_)
        elif t is A.Block:
            self.block(s.stmts)
        elif t is A.Assign:
            self.expr(s.expr)
            self._target(s.loc, s.target, s.expr)
        elif t is A.MethodStmt:
            self._target(s.loc, s.target, None)
            for a in s.args:
                self.expr(a)
            if s.method not in METHODS and s.method not in MEMBERS:
                self.error(s.loc, f"unknown method '{s.method}'")
            if s.target in self.scope.names or s.target in STATIC_ATTRS or s.method == "empty" and False:
                self.note_version(s.loc, "method call on a variable (BIRD >= 2.14)")
        elif t is A.CallStmt:
            if s.call.name == "unset":
                a = s.call.args[0] if len(s.call.args) == 1 else None
                if not isinstance(a, A.Name) or not (a.name in DYNAMIC_ATTRS or a.name in self.cfg.attributes):
                    self.error(s.loc, "unset() needs a dynamic attribute (bgp_*, krt_*, ...)")
            else:
                self.expr(s.call)
        elif t is A.Return:
            self.expr(s.expr)
            if not self.scope.in_function:
                self.note_version(s.loc, "return outside a function: BIRD 2.0 accepts it (bool -> accept/reject), "
                                         "2.14+ refuses the configuration")
        elif t is A.Verdict or t is A.Print:
            for a in s.args:
                self.expr(a)
        elif t is A.Case:
            self.expr(s.expr)
            for arm in s.arms:
                for it in arm.items:
                    try:
                        _build_set(self.cfg, [it])
                    except FilterError as e:
                        self.error(it.loc, str(e))
                self.block(arm.body)
        elif t is A.VarDecl:
            if s.init is not None:
                self.expr(s.init)
                self._type_match(s.loc, s.type, s.init, "VAR_INIT")
            self._declare(s.loc, s.name, s.type)
        elif t is A.For:
            self.expr(s.expr)
            if s.var_type is not None:
                self._declare(s.loc, s.var, s.var_type)
            elif s.var not in self.scope.names:
                self.error(s.loc, f"unknown variable '{s.var}'")
            self.stmt(s.body)

    def _target(self, loc: Loc, name: str, value: Any) -> None:
        if name in self.scope.names:
            if value is not None:
                self._type_match(loc, self.scope.names[name], value, "VAR_SET")
            return
        if name in STATIC_ATTRS:
            if STATIC_ATTRS[name][1]:
                self.error(loc, "This static attribute is read-only.")
            elif value is not None:
                self._type_match(loc, STATIC_ATTRS[name][0], value, "RTA_SET")
            return
        if name in DYNAMIC_ATTRS or name in self.cfg.attributes:
            want = DYNAMIC_ATTRS.get(name) or self.cfg.attributes[name][0]
            if want == "enum empty":
                self.error(loc, "Setting opaque attribute is not allowed")
            elif value is not None:
                self._type_match(loc, want, value, "EA_SET")
            return
        if name in self.cfg.defines:
            self.error(loc, f"Can't assign to symbol {name}")
            return
        self.error(loc, f"unknown symbol '{name}' (BIRD: syntax error, unexpected CF_SYM_UNDEFINED)")

    def _type_match(self, loc: Loc, want: str, e: Any, what: str) -> None:
        got = self.type_of(e)
        want = norm_type(want)
        if got is None or got == want:
            return
        if want == "quad" and got == "ip" and type(e) is A.Const and is_ip4(e.value):
            return
        if want == "prefix set" and type(e) is A.SetLit and not e.items:
            return
        self.error(loc, f"Argument 1 of {what} must be of type {want}, got type {got}")

    def _bool(self, e: Any, what: str) -> None:
        self.expr(e)
        got = self.type_of(e)
        if got is not None and got != "bool":
            self.error(e.loc, f"Argument 1 of {what} must be of type bool, got type {got}")

    def expr(self, e: Any) -> None:
        t = type(e)
        if t is A.Name:
            n = e.name
            if n in self.scope.names or n in STATIC_ATTRS or n in DYNAMIC_ATTRS or n in self.cfg.defines \
                    or n in self.cfg.attributes:
                return
            if n in self.cfg.functions:
                self.error(e.loc, f"'{n}' is a function: call it with ()")
            else:
                self.error(e.loc, f"unknown symbol '{n}' (BIRD: syntax error, unexpected CF_SYM_UNDEFINED)")
        elif t is A.Binary:
            self.expr(e.left)
            self.expr(e.right)
            self._binary_types(e)
        elif t is A.Not:
            self._bool(e.expr, "NOT")
        elif t is A.Member:
            self.expr(e.obj)
            if e.name not in MEMBERS:
                self.error(e.loc, f"unknown method '{e.name}'")
            if e.name == "empty":
                self.note_version(e.loc, ".empty in an expression (BIRD >= 2.14)")
        elif t is A.MethodCall:
            self.expr(e.obj)
            for a in e.args:
                self.expr(a)
            if e.name not in METHODS:
                self.error(e.loc, f"unknown method '{e.name}'")
            elif e.name != "mask":
                self.note_version(e.loc, f".{e.name}() in an expression (BIRD >= 2.14; 2.0 has {e.name}(x, y))")
        elif t is A.Call:
            args = e.args
            if (e.name == "roa_check" or e.name.startswith("aspa_check")) and args:
                tab = args[0]
                if not isinstance(tab, A.Name) or tab.name not in self.cfg.tables:
                    self.error(e.loc, f"{e.name}(): the first argument must be a table")
                args = args[1:]
            for a in args:
                self.expr(a)
            fn = self.cfg.functions.get(e.name)
            if fn is not None:
                if len(fn.params) != len(e.args):
                    self.error(e.loc, f"Function '{e.name}' expects {len(fn.params)} arguments, "
                                      f"got {len(e.args)} arguments")
            elif e.name == "defined":
                if len(e.args) != 1:
                    self.error(e.loc, "defined() takes one argument")
            elif e.name in ("add", "delete", "filter", "prepend"):
                if len(e.args) != 2:
                    self.error(e.loc, f"{e.name}() takes two arguments")
            elif e.name == "roa_check" or e.name.startswith("aspa_check"):
                pass
            elif e.name == "format":
                pass
            else:
                self.error(e.loc, f"unknown function '{e.name}' (BIRD: syntax error, unexpected CF_SYM_UNDEFINED)"
                           if e.name not in self.cfg.filters else f"'{e.name}' is a filter, not a function")
        elif t in (A.PairCons, A.LcCons):
            for x in ((e.a, e.b) if t is A.PairCons else (e.a, e.b, e.c)):
                self.expr(x)
        elif t is A.EcCons:
            self.expr(e.a)
            self.expr(e.b)
        elif t in (A.SetLit, A.PrefixSetLit):
            try:
                const_value(self.cfg, e)
            except FilterError as err:
                self.error(e.loc, str(err))
        elif t is A.PathMaskLit:
            for it in e.items:
                if it.kind == "expr":
                    self.expr(it.value)
                elif it.kind == "set":
                    self.expr(it.value)
            if e.items and e.items[0].kind == "loop":
                self.error(e.loc, "Path mask iterator '+' cannot be first")

    def _binary_types(self, e: A.Binary) -> None:
        op = e.op
        a, b = self.type_of(e.left), self.type_of(e.right)
        if op in ("+", "-", "*", "/"):
            name = {"+": "ADD", "-": "SUBTRACT", "*": "MULTIPLY", "/": "DIVIDE"}[op]
            for i, x in ((1, a), (2, b)):
                if x is not None and x != "int":
                    self.error(e.loc, f"Argument {i} of {name} must be of type int, got type {x}")
        elif op in ("&&", "||"):
            name = "AND" if op == "&&" else "OR"
            for i, x in ((1, a), (2, b)):
                if x is not None and x != "bool":
                    self.error(e.loc, f"Argument {i} of {name} must be of type bool, got type {x}")
        elif op in ("<", ">", "<=", ">="):
            if a is not None and b is not None and a != b and {a, b} != {"ip", "quad"}:
                self.error(e.loc, f"Arguments 1 and 2 of {'LT' if op in ('<', '>') else 'LTE'} must be of the "
                                  "same type")

    def type_of(self, e: Any) -> str | None:
        """The static type BIRD infers, when it is obvious (None: unknown)."""
        t = type(e)
        if t is A.Const:
            return type_name(e.value)
        if t is A.Name:
            n = e.name
            if n in self.scope.names:
                return norm_type(self.scope.names[n])
            if n in STATIC_ATTRS:
                return STATIC_ATTRS[n][0]
            if n in DYNAMIC_ATTRS:
                return DYNAMIC_ATTRS[n]
            if n in self.cfg.attributes:
                return self.cfg.attributes[n][0]
            d = self.cfg.defines.get(n)
            return type_name(d.value) if d is not None else None
        if t is A.Binary:
            if e.op in ("+", "-", "*", "/"):
                return "int"
            return "bool"
        if t is A.Not:
            return "bool"
        if t is A.PairCons:
            return "pair"
        if t is A.LcCons:
            return "lc"
        if t is A.EcCons:
            return "ec"
        if t is A.PrefixSetLit:
            return "prefix set"
        if t is A.PathMaskLit:
            return "bgpmask"
        if t is A.Member:
            if e.name == "len":
                return "int"
            if e.name in ("first", "last", "last_nonaggregated", "data", "data1", "data2", "asn"):
                return "int"
            if e.name == "is_v4":
                return "bool"
            return None
        if t is A.Call:
            if e.name == "defined":
                return "bool"
            fn = self.cfg.functions.get(e.name)
            if fn is not None and fn.return_type:
                return fn.return_type
            return None
        return None
