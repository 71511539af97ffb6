"""BIRD filter interpreter: a route and a filter in, a verdict, the modified route and a
trace out. Semantics follow BIRD 2 (reference routing-daemons.md 2.6): accept/reject in a
function end the whole filter; reading an unset attribute gives an undefined value that
compares false; a runtime error rejects the route; a filter that ends without a verdict
rejects."""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass
from typing import Any

from podpath.diagnostics import Loc
from podpath.readers.bird import ast as A
from podpath.readers.bird.model import BirdConfig, FilterSpec
from podpath.routing.policy import PolicyContext, PolicyResult, TraceStep, Verdict
from podpath.routing.route import AsPath, Origin, Protocol, Route, RouteDest

_ORIGIN = {Origin.IGP: "ORIGIN_IGP", Origin.EGP: "ORIGIN_EGP", Origin.INCOMPLETE: "ORIGIN_INCOMPLETE"}
_ORIGIN_BACK = {v: k for k, v in _ORIGIN.items()}
_SOURCE = {Protocol.BGP: "RTS_BGP", Protocol.STATIC: "RTS_STATIC", Protocol.CONNECTED: "RTS_DEVICE",
           Protocol.KERNEL: "RTS_INHERIT", Protocol.OSPF: "RTS_OSPF", Protocol.AGGREGATE: "RTS_AGGREGATED",
           Protocol.OTHER: "RTS_DUMMY"}
_DEST = {RouteDest.UNICAST: "RTD_UNICAST", RouteDest.BLACKHOLE: "RTD_BLACKHOLE",
         RouteDest.UNREACHABLE: "RTD_UNREACHABLE", RouteDest.PROHIBIT: "RTD_PROHIBIT"}
_DEST_BACK = {v: k for k, v in _DEST.items()}
ENUMS = set(_ORIGIN.values()) | set(_SOURCE.values()) | set(_DEST.values()) | {
    "NET_IP4", "NET_IP6", "NET_VPN4", "NET_VPN6", "NET_ROA4", "NET_ROA6", "NET_FLOW4", "NET_FLOW6",
    "SCOPE_HOST", "SCOPE_LINK", "SCOPE_SITE", "SCOPE_ORGANIZATION", "SCOPE_UNIVERSE", "SCOPE_UNDEFINED",
    "RTS_STATIC_DEVICE", "RTS_RIP", "RTS_BABEL", "RTS_RPKI", "RTS_PERF", "RTS_L3VPN", "RTS_PIPE", "RTS_OSPF_IA",
    "RTS_OSPF_EXT1", "RTS_OSPF_EXT2", "RTD_NONE", "ROA_UNKNOWN", "ROA_VALID", "ROA_INVALID"}


class _Void:
    """An unset attribute: every comparison with it is false."""

    def __repr__(self) -> str:
        return "(undefined)"


VOID = _Void()


class _Done(Exception):
    def __init__(self, accept: bool, loc: Loc, text: str) -> None:
        self.accept, self.loc, self.text = accept, loc, text


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class BirdRuntimeError(Exception):
    pass


@dataclass(frozen=True)
class PrefixPattern:
    net: Any
    lo: int
    hi: int

    def matches(self, p: Any) -> bool:
        n = self.net
        if p.version != n.version or not (self.lo <= p.prefixlen <= self.hi):
            return False
        # the first min(len) bits must equal the pattern's first len bits (BIRD: p{a,b} uses the pattern length)
        k = min(n.prefixlen, p.prefixlen)
        shift = n.max_prefixlen - k
        return (int(p.network_address) >> shift) == (int(n.network_address) >> shift)


class BirdSet:
    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def contains(self, v: Any) -> bool:
        for kind, a, b in self.items:
            if kind == "prefix":
                if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)) and a.matches(v):
                    return True
            elif kind == "range":
                try:
                    if a <= v <= b:
                        return True
                except TypeError:
                    pass
            elif kind == "tuple":
                if isinstance(v, tuple) and len(v) == len(a) and all(_part_ok(p, x) for p, x in zip(a, v)):
                    return True
            elif v == a:
                return True
        return False


def _part_ok(part: tuple, x: int) -> bool:
    if part[0] == "*":
        return True
    if part[0] == "range":
        return part[1] <= x <= part[2]
    return part[1] == x


class BirdFilterPolicy:
    """One BIRD filter (named, inline, `where`, `all`, `none`) as a podpath Policy."""

    def __init__(self, cfg: BirdConfig, spec: FilterSpec, lines: list[str] | None = None, name: str | None = None) -> None:
        self.cfg = cfg
        self.spec = spec
        self.lines = lines or []
        self.name = name or spec.describe()

    def _text(self, loc: Loc) -> str:
        if 0 < loc.line <= len(self.lines):
            return self.lines[loc.line - 1].strip()
        return ""

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        spec = self.spec
        if spec.kind in ("all", "none"):
            v = Verdict.ACCEPT if spec.kind == "all" else Verdict.REJECT
            step = TraceStep(spec.loc, f"{'import' if ctx.direction.value == 'import' else 'export'} {spec.kind}", v.value)
            return PolicyResult(v, route, (step,), step)
        run = _Run(self, route, ctx)
        try:
            if spec.kind == "where":
                ok = run.truth(run.eval(spec.expr))  # type: ignore[arg-type]
                step = TraceStep(spec.loc, f"where {self._text(spec.loc)}", "accept" if ok else "reject")
                run.trace.append(step)
                return PolicyResult(Verdict.ACCEPT if ok else Verdict.REJECT, run.route, tuple(run.trace), step)
            body = spec.body if spec.kind == "inline" else self.cfg.filters[spec.name].body  # type: ignore[index]
            run.block(body)
            step = TraceStep(spec.loc, "filter ended without accept or reject: the route is rejected", "default")
            run.trace.append(step)
            return PolicyResult(Verdict.REJECT, route, tuple(run.trace), step)
        except _Done as d:
            step = TraceStep(d.loc, d.text, "accept" if d.accept else "reject")
            run.trace.append(step)
            return PolicyResult(Verdict.ACCEPT if d.accept else Verdict.REJECT, run.route if d.accept else route,
                                tuple(run.trace), step)
        except (BirdRuntimeError, KeyError, TypeError, ValueError, ZeroDivisionError, RecursionError) as e:
            step = TraceStep(spec.loc, f"runtime error, route rejected: {e}", "error")
            run.trace.append(step)
            return PolicyResult(Verdict.REJECT, route, tuple(run.trace), step, (str(e),))


class _Run:
    def __init__(self, pol: BirdFilterPolicy, route: Route, ctx: PolicyContext) -> None:
        self.pol = pol
        self.cfg = pol.cfg
        self.route = route
        self.ctx = ctx
        self.trace: list[TraceStep] = []
        self.scopes: list[dict[str, Any]] = [{}]
        self.depth = 0

    # ---- statements ------------------------------------------------------------------------------
    def block(self, stmts: list[A.Node]) -> None:
        for s in stmts:
            self.stmt(s)

    def step(self, loc: Loc, effect: str, text: str | None = None) -> None:
        self.trace.append(TraceStep(loc, text or self.pol._text(loc), effect))

    def stmt(self, s: A.Node) -> None:
        if isinstance(s, A.If):
            ok = self.truth(self.eval(s.cond))
            self.step(s.loc, "match" if ok else "no-match")
            if ok:
                self.block(s.then)
            elif s.else_ is not None:
                self.block(s.else_)
        elif isinstance(s, A.Verdict):
            raise _Done(s.accept, s.loc, self.pol._text(s.loc) or ("accept" if s.accept else "reject"))
        elif isinstance(s, A.Return):
            raise _Return(self.eval(s.expr) if s.expr is not None else None)
        elif isinstance(s, A.Assign):
            self.assign(s.target, self.eval(s.expr), s.loc)
        elif isinstance(s, A.ExprStmt):
            e = s.expr
            if isinstance(e, A.MethodCall) and isinstance(e.obj, A.Sym) and e.name in ("add", "delete", "filter",
                                                                                        "prepend", "empty"):
                self.assign(e.obj.name, self.eval(e), s.loc)
            else:
                self.eval(e)
        elif isinstance(s, A.Print):
            self.step(s.loc, "note", "print " + " ".join(str(self.eval(a)) for a in s.args))
        elif isinstance(s, A.Case):
            v = self.eval(s.expr)
            for items, body in s.arms:
                if any(self.set_of([i]).contains(v) for i in items):
                    self.step(s.loc, "match", f"case {v}")
                    self.block(body)
                    return
            if s.else_ is not None:
                self.step(s.loc, "match", f"case {v}: else")
                self.block(s.else_)
        elif isinstance(s, A.VarDecl):
            self.scopes[-1][s.name] = self.eval(s.init) if s.init is not None else _default(s.type)
        elif isinstance(s, A.For):
            seq = self.eval(s.iterable)
            for x in (seq.asns() if isinstance(seq, AsPath) else sorted(seq)):
                self.scopes[-1][s.var] = x
                self.block(s.body)
        else:
            raise BirdRuntimeError(f"unsupported statement {type(s).__name__}")

    def assign(self, name: str, value: Any, loc: Loc) -> None:
        for scope in reversed(self.scopes):
            if name in scope:
                scope[name] = value
                return
        r = self.route
        setters = {
            "bgp_local_pref": lambda v: r.replace(local_pref=int(v)),
            "bgp_med": lambda v: r.replace(med=int(v)),
            "bgp_origin": lambda v: r.replace(origin=_ORIGIN_BACK[v]),
            "bgp_path": lambda v: r.replace(as_path=v),
            "bgp_community": lambda v: r.replace(communities=frozenset(v)),
            "bgp_large_community": lambda v: r.replace(large_communities=frozenset(v)),
            "bgp_ext_community": lambda v: r.replace(ext_communities=frozenset(v)),
            "bgp_next_hop": lambda v: r.replace(next_hop=v),
            "gw": lambda v: r.replace(next_hop=v),
            "preference": lambda v: r.replace(preference=int(v)),
            "dest": lambda v: r.replace(dest=_DEST_BACK[v]),
            "ifname": lambda v: r.replace(ifname=str(v)),
            "bgp_originator_id": lambda v: r.replace(originator_id=v),
        }
        if name not in setters:
            raise BirdRuntimeError(f"cannot assign to {name}")
        self.route = setters[name](value)
        self.step(loc, "set")

    # ---- expressions -----------------------------------------------------------------------------
    def truth(self, v: Any) -> bool:
        if v is VOID:
            return False
        if not isinstance(v, bool):
            raise BirdRuntimeError(f"condition is not a bool: {v!r}")
        return v

    def eval(self, e: A.Node) -> Any:
        if isinstance(e, A.Const):
            return e.value
        if isinstance(e, A.Sym):
            return self.sym(e.name)
        if isinstance(e, A.Tuple):
            vals = [self.eval(x) for x in e.items]
            if isinstance(vals[0], str) and vals[0] in ("rt", "ro", "soo", "generic", "unknown"):
                from podpath.routing.route import ExtCommunity

                return ExtCommunity({"ro": "soo"}.get(vals[0], vals[0]), str(vals[1]), int(vals[2]))
            return tuple(int(v) for v in vals)
        if isinstance(e, A.SetLit):
            return self.set_of(e.items)
        if isinstance(e, A.PathMask):
            return ("mask", [x if isinstance(x, (int, str)) else self.eval(x) for x in e.items])
        if isinstance(e, A.Unary):
            v = self.eval(e.expr)
            if e.op == "!":
                return not self.truth(v)
            return -v
        if isinstance(e, A.Binary):
            return self.binary(e)
        if isinstance(e, A.Member):
            return self.member(self.eval(e.obj), e.name)
        if isinstance(e, A.MethodCall):
            return self.method(self.eval(e.obj), e.name, [self.eval(a) for a in e.args])
        if isinstance(e, A.Call):
            return self.call(e)
        raise BirdRuntimeError(f"cannot evaluate {type(e).__name__}")

    def set_of(self, items: list[Any]) -> BirdSet:
        out = []
        for it in items:
            if it.kind == "prefix":
                out.append(("prefix", PrefixPattern(it.a, it.lo, it.hi), None))
            elif it.kind == "range":
                out.append(("range", self.eval(it.a), self.eval(it.b)))
            elif it.kind == "tuple":
                parts = []
                for p in it.a:
                    if p[0] == "*":
                        parts.append(("*",))
                    elif p[0] == "range":
                        parts.append(("range", int(self.eval(p[1])), int(self.eval(p[2]))))
                    else:
                        parts.append(("value", int(self.eval(p[1]))))
                if all(p[0] == "value" for p in parts):
                    out.append(("value", tuple(p[1] for p in parts), None))
                else:
                    out.append(("tuple", tuple(parts), None))
            else:
                v = self.eval(it.a)
                if isinstance(v, BirdSet):
                    out.extend(v.items)
                elif isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
                    out.append(("prefix", PrefixPattern(v, v.prefixlen, v.prefixlen), None))
                else:
                    out.append(("value", v, None))
        return BirdSet(out)

    def sym(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.cfg.defines:
            return self.eval(self.cfg.defines[name])
        if name in ENUMS:
            return name
        r = self.route
        if name == "net":
            return r.prefix
        if name == "proto":
            return r.source_name or ""
        if name == "source":
            return _SOURCE.get(r.protocol, "RTS_DUMMY")
        if name == "from":
            return r.peer if r.peer is not None else VOID
        if name == "gw":
            return r.next_hop if r.next_hop is not None else VOID
        if name == "dest":
            return _DEST[r.dest]
        if name == "ifname":
            return r.ifname or ""
        if name == "preference":
            return r.preference if r.preference is not None else 0
        if name == "bgp_path":
            return r.as_path
        if name == "bgp_community":
            return frozenset(r.communities)
        if name == "bgp_large_community":
            return frozenset(r.large_communities)
        if name == "bgp_ext_community":
            return frozenset(r.ext_communities)
        if name == "bgp_local_pref":
            return r.local_pref if r.local_pref is not None else VOID
        if name == "bgp_med":
            return r.med if r.med is not None else VOID
        if name == "bgp_origin":
            return _ORIGIN[r.origin] if r.protocol is Protocol.BGP else VOID
        if name == "bgp_next_hop":
            return r.next_hop if r.next_hop is not None and r.protocol is Protocol.BGP else VOID
        if name == "bgp_originator_id":
            return r.originator_id if r.originator_id is not None else VOID
        if name == "bgp_cluster_list":
            return frozenset(r.cluster_list)
        if name == "bgp_atomic_aggr":
            return r.atomic_aggregate
        if name in ("scope", "igp_metric", "ifindex", "krt_metric", "krt_prefsrc", "ospf_metric1", "ospf_tag"):
            return VOID
        raise BirdRuntimeError(f"unknown symbol {name!r}")

    def member(self, v: Any, name: str) -> Any:
        if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            if name == "len":
                return v.prefixlen
            if name == "ip":
                return v.network_address
            if name == "type":
                return "NET_IP4" if v.version == 4 else "NET_IP6"
            if name == "maxlen":
                return v.max_prefixlen
        if isinstance(v, AsPath):
            if name == "len":
                return v.length
            if name == "first":
                return v.first if v.first is not None else 0
            if name in ("last", "last_nonaggregated"):
                return v.last if v.last is not None else 0
            if name == "empty":
                return AsPath()
        if isinstance(v, (frozenset, set)):
            if name == "len":
                return len(v)
            if name == "min":
                return min(v) if v else VOID
            if name == "max":
                return max(v) if v else VOID
            if name == "empty":
                return frozenset()
        if isinstance(v, tuple) and len(v) in (2, 3):
            if name in ("asn", "data", "data1", "data2"):
                return {"asn": v[0], "data": v[1], "data1": v[1], "data2": v[-1]}[name]
        if v is VOID:
            if name == "len":
                return 0
            return VOID
        raise BirdRuntimeError(f"{v!r} has no attribute {name}")

    def method(self, v: Any, name: str, args: list[Any]) -> Any:
        if v is VOID:
            v = frozenset()
        if isinstance(v, AsPath):
            if name == "prepend":
                return v.prepend(int(args[0]))
            if name in ("delete", "filter"):
                arg = args[0]
                keep = (lambda a: not _in(a, arg)) if name == "delete" else (lambda a: _in(a, arg))
                from podpath.routing.route import AsPathSegment

                segs = tuple(AsPathSegment(tuple(a for a in s.asns if keep(a)), s.set_) for s in v.segments)
                return AsPath(tuple(s for s in segs if s.asns))
            if name == "empty":
                return AsPath()
        if isinstance(v, (frozenset, set)):
            if name == "add":
                add = args[0]
                return frozenset(v) | (set(add) if isinstance(add, (frozenset, set)) else {add})
            if name == "delete":
                arg = args[0]
                return frozenset(x for x in v if not _in(x, arg))
            if name == "filter":
                arg = args[0]
                return frozenset(x for x in v if _in(x, arg))
            if name == "empty":
                return frozenset()
        raise BirdRuntimeError(f"method {name} not available on {v!r}")

    def call(self, e: A.Call) -> Any:
        if e.name == "defined":
            return self.eval(e.args[0]) is not VOID
        if e.name in ("add", "delete", "filter", "prepend"):
            return self.method(self.eval(e.args[0]), e.name, [self.eval(a) for a in e.args[1:]])
        if e.name == "unset":
            arg = e.args[0]
            if isinstance(arg, A.Sym):
                attr = {"bgp_med": "med", "bgp_local_pref": "local_pref", "bgp_community": "communities",
                        "bgp_large_community": "large_communities"}.get(arg.name)
                if attr:
                    self.route = self.route.replace(**{attr: None if attr in ("med", "local_pref") else frozenset()})
            return None
        fn = self.cfg.functions.get(e.name)
        if fn is None:
            raise BirdRuntimeError(f"unknown function {e.name}")
        if self.depth > 64:
            raise BirdRuntimeError("function recursion too deep")
        args = [self.eval(a) for a in e.args]
        self.scopes.append({name: val for (_, name), val in zip(fn.params, args)})
        self.depth += 1
        self.step(e.loc, "call", f"call {e.name}()")
        try:
            self.block(fn.body)
            return None
        except _Return as r:
            return r.value
        finally:
            self.scopes.pop()
            self.depth -= 1

    def binary(self, e: A.Binary) -> Any:
        op = e.op
        if op == "&&":
            return self.truth(self.eval(e.left)) and self.truth(self.eval(e.right))
        if op == "||":
            return self.truth(self.eval(e.left)) or self.truth(self.eval(e.right))
        a, b = self.eval(e.left), self.eval(e.right)
        if op in ("+", "-", "*", "/"):
            if a is VOID or b is VOID:
                raise BirdRuntimeError("arithmetic on an undefined value")
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a // b}[op]()
        if a is VOID or b is VOID:
            return False
        if op == "=":
            return _eq(a, b)
        if op == "!=":
            return not _eq(a, b)
        if op in ("<", ">", "<=", ">="):
            try:
                return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
            except TypeError:
                raise BirdRuntimeError(f"cannot compare {a!r} and {b!r}")
        if op in ("~", "!~"):
            r = _match(a, b)
            return r if op == "~" else not r
        raise BirdRuntimeError(f"unknown operator {op}")


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        raise BirdRuntimeError(f"cannot compare {a!r} with {b!r}")
    return a == b


def _in(x: Any, arg: Any) -> bool:
    if isinstance(arg, BirdSet):
        return arg.contains(x)
    if isinstance(arg, (frozenset, set)):
        return x in arg
    return x == arg


def _match(a: Any, b: Any) -> bool:
    nets = (ipaddress.IPv4Network, ipaddress.IPv6Network)
    addrs = (ipaddress.IPv4Address, ipaddress.IPv6Address)
    if isinstance(b, BirdSet):
        if isinstance(a, (frozenset, set)):
            return any(b.contains(x) for x in a)
        if isinstance(a, AsPath):
            return any(b.contains(x) for x in a.asns())
        return b.contains(a)
    if isinstance(a, nets) and isinstance(b, nets):
        return a.version == b.version and a.subnet_of(b)  # type: ignore[arg-type]
    if isinstance(a, addrs) and isinstance(b, nets):
        return a.version == b.version and a in b
    if isinstance(b, (frozenset, set)):
        if isinstance(a, (frozenset, set)):
            return bool(a & b)
        return a in b
    if isinstance(a, (frozenset, set)):
        return b in a
    if isinstance(a, AsPath) and isinstance(b, tuple) and b and b[0] == "mask":
        return _mask(list(a.asns()), b[1])
    if isinstance(a, AsPath) and isinstance(b, int):
        return b in a.asns()
    if isinstance(a, str) and isinstance(b, str):
        return fnmatch.fnmatchcase(a, b)
    raise BirdRuntimeError(f"cannot match {a!r} ~ {b!r}")


def _mask(path: list[int], mask: list[Any]) -> bool:
    """BIRD path masks: `*` any sequence, `?` one AS, numbers and expressions one AS each."""
    if not mask:
        return not path
    head, rest = mask[0], mask[1:]
    if head == "*":
        return any(_mask(path[i:], rest) for i in range(len(path) + 1))
    if not path:
        return False
    if head == "?" or head == path[0] or (isinstance(head, BirdSet) and head.contains(path[0])):
        return _mask(path[1:], rest)
    return False


def _default(typ: str) -> Any:
    return {"int": 0, "bool": False, "string": "", "clist": frozenset(), "lclist": frozenset(),
            "eclist": frozenset(), "bgppath": AsPath()}.get(typ, VOID)
