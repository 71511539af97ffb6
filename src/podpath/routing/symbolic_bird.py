"""BIRD filters compiled to symbolic paths (routing.symbolic).

Modelled: `if`/`else`, `case` over `net` and integer attributes, accept/reject/error, blocks,
`where` filters, and conditions over route attributes: `net ~ prefix set | prefix`, `net = P`,
`net.len`, `proto`, `source`, community / large-community membership (`(a,b) ~ bgp_community`,
`bgp_community ~ [set]`), path masks and `bgp_path.len/.first/.last` (as AS-path predicates),
`bgp_local_pref` / `bgp_med` comparisons (unset compares below everything), `defined()`,
`bgp_origin`, `from` on an import, parameterless functions that return a condition; actions
setting LOCAL_PREF/MED, adding or deleting constant communities, `bgp_path.prepend` (the AS
path is then no longer tracked). Anything else is an unknown region with its file:line.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from podpath.readers.bird import ast as A
from podpath.readers.bird.interp import _RTS, BirdFilterPolicy, const_value
from podpath.readers.bird.model import Filter, FilterSpec
from podpath.readers.bird.values import (
    NET, AsPath as BAsPath, EnumV, Lc, Pair, PathMaskV, PrefixSetV, SetV, val_in_range,
)
from podpath.routing.policy import Direction, PolicyContext
from podpath.routing.route import AsPath, Origin, Protocol
from podpath.routing.symbolic import DENY, PERMIT, UNKNOWN, Logic, Path, Pred, Space, State, Step, Unmodelled

_NOTCONST = object()
_ORIGIN_OF = {0: Origin.IGP, 1: Origin.EGP, 2: Origin.INCOMPLETE}


class _Bird:
    def __init__(self, pol: BirdFilterPolicy, space: Space, ctx: PolicyContext) -> None:
        self.pol = pol
        self.cfg = pol.cfg
        self.s = space
        self.L = Logic(space)
        self.ctx = ctx
        self.depth = 0
        self.env: dict[str, Any] = {}  # arguments of the function being inlined (constants)

    def text(self, loc: Any) -> str:
        try:
            return self.cfg.line(loc).strip()
        except Exception:  # noqa: BLE001 - a location without text: describe by position
            return "statement"

    def unknown(self, e: Any, why: str = "is not modelled symbolically") -> Pred:
        loc = getattr(e, "loc", None)
        return self.L.unknown(loc, f"`{self.text(loc)}` {why}")

    # ------------------------------------------------------------------ constants
    def const(self, e: Any) -> Any:
        if type(e) is A.Name and e.name in self.env:
            return self.env[e.name]
        if type(e) is A.Name and not (e.name in self.cfg.defines):
            return _NOTCONST
        if _reads_route(e, self.cfg):
            return _NOTCONST
        try:
            return const_value(self.cfg, e)
        except Exception:  # noqa: BLE001 - not a constant (an attribute, a variable, an error)
            return _NOTCONST

    # ------------------------------------------------------------------ conditions
    def cond(self, e: Any) -> Pred:
        L = self.L
        t = type(e)
        c = self.const(e)
        if c is not _NOTCONST:
            if type(c) is bool:
                return L.true if c else L.false
            return self.unknown(e, "is not a condition")
        if t is A.Not:
            return L.not_(self.cond(e.expr))
        if t is A.Binary and e.op in ("&&", "||"):
            a, b = self.cond(e.left), self.cond(e.right)
            return L.and_(a, b) if e.op == "&&" else L.or_(a, b)
        if t is A.Binary:
            return self.binary(e)
        if t is A.Call:
            return self.call(e)
        return self.unknown(e)

    def call(self, e: A.Call) -> Pred:
        L, s = self.L, self.s
        if e.name == "defined" and len(e.args) == 1 and type(e.args[0]) is A.Name:
            n = e.args[0].name
            if n in ("bgp_local_pref", "bgp_med"):
                return L.known(s.var(s.int_bits("lp" if n == "bgp_local_pref" else "med")[0]))
            if n in ("bgp_community", "bgp_large_community"):
                k = "c" if n == "bgp_community" else "lc"
                r = s.var(f"{k}_other")
                for _, v in s.atoms_of(k):
                    r = r | s.var(v)
                return L.known(r)
            return self.unknown(e)
        fn = self.cfg.functions.get(e.name) if hasattr(self.cfg, "functions") else None
        if fn is not None and not fn.vars and self.depth < 8 and len(fn.params) == len(e.args):
            body = fn.body.stmts
            args = [self.const(a) for a in e.args]
            if len(body) == 1 and type(body[0]) is A.Return and all(a is not _NOTCONST for a in args):
                # `function f(prefix set s) -> bool { return net ~ s; }` called with constants: inlined
                saved = self.env
                self.env = {p.name: a for p, a in zip(fn.params, args)}
                self.depth += 1
                try:
                    return self.cond(body[0].expr)
                finally:
                    self.depth -= 1
                    self.env = saved
        return self.unknown(e, "(a function call) is not modelled symbolically")

    def binary(self, e: A.Binary) -> Pred:
        L, s = self.L, self.s
        op = e.op
        left, right = e.left, e.right
        lc, rc = self.const(left), self.const(right)
        if op in ("~", "!~"):
            p = self.member(left, right, lc, rc, e)
            return L.not_(p) if op == "!~" else p
        if op not in ("=", "!=", "<", ">", "<=", ">="):
            return self.unknown(e)
        if lc is not _NOTCONST and rc is _NOTCONST:
            left, right, lc, rc = right, left, rc, lc
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        if rc is _NOTCONST or lc is not _NOTCONST:
            return self.unknown(e)
        ref = _attr_ref(left)
        if ref is None:
            return self.unknown(e)
        name, member = ref
        if name == "net" and member is None and isinstance(rc, NET) and op in ("=", "!="):
            p = L.known(s.prefix_is(rc)) if rc.version == s.family else L.false
            return p if op == "=" else L.not_(p)
        if name == "net" and member == "len" and type(rc) is int:
            return L.known(s.length(op, rc))
        if name == "proto" and member is None and type(rc) is str and op in ("=", "!="):
            p = L.known(s.atom("proto", rc))
            return p if op == "=" else L.not_(p)
        if name == "source" and member is None and type(rc) is EnumV and op in ("=", "!="):
            r = s.false
            for proto, code in _RTS.items():
                if code == rc.value:
                    r = r | s.protocol_is(proto)
            return L.known(r) if op == "=" else L.known(~r)
        if name == "bgp_origin" and member is None and type(rc) is EnumV and op in ("=", "!="):
            o = _ORIGIN_OF.get(rc.value)
            r = (s.origin_is(o) & s.protocol_is(Protocol.BGP)) if o is not None else s.false
            return L.known(r) if op == "=" else L.known(~r)
        if name in ("bgp_local_pref", "bgp_med") and member is None and type(rc) is int:
            k = "lp" if name == "bgp_local_pref" else "med"
            # void (unset) compares below everything; `=` is false, `!=` true
            unset_true = op in ("<", "<=", "!=")
            bits = s.int_bits(k)
            set_ = s.var(bits[0])
            r = set_ & s.uint_cmp(bits[1:], op, rc)
            return L.known(r | (~set_ if unset_true else s.false))
        if name == "bgp_path" and member in ("len", "first", "last") and type(rc) is int:
            def test(p: AsPath, member: str = member, op: str = op, rc: int = rc) -> bool:
                v = {"len": p.length, "first": p.first or 0, "last": p.last or 0}[member]
                return {"=": v == rc, "!=": v != rc, "<": v < rc, ">": v > rc, "<=": v <= rc, ">=": v >= rc}[op]
            return L.known(s.path_atom(("bird", member, op, rc), f"bgp_path.{member} {op} {rc}", test,
                                       (rc,) if member != "len" else ()))
        return self.unknown(e)

    def member(self, left: Any, right: Any, lc: Any, rc: Any, e: Any) -> Pred:
        """`left ~ right`."""
        L, s = self.L, self.s
        if lc is _NOTCONST and rc is not _NOTCONST:
            ref = _attr_ref(left)
            if ref == ("net", None):
                if isinstance(rc, PrefixSetV):
                    return L.known(self.prefix_set(rc))
                if isinstance(rc, NET):
                    return L.known(s.prefix_within(rc)) if rc.version == s.family else L.false
                if isinstance(rc, SetV) and not rc:
                    return L.false
            if ref == ("bgp_path", None) and isinstance(rc, PathMaskV):
                asns = tuple(it[1] for it in rc.items if it[0] == "asn")
                return L.known(s.path_atom(("bird-mask", str(rc)), f"bgp_path ~ {rc}",
                                           lambda p, m=rc: bool(val_in_range(BAsPath(p.segments), m)), asns))
            if ref in (("bgp_community", None), ("bgp_large_community", None)) and isinstance(rc, SetV):
                return self.list_in_set("c" if ref[0] == "bgp_community" else "lc", rc, e)
            if ref == ("proto", None) and type(rc) is str:
                return self.unknown(e, "(a pattern match on `proto`) is not modelled symbolically")
            if ref in (("from", None),) and self.ctx.direction is Direction.IMPORT and self.ctx.peer_address:
                return L.true if val_in_range(self.ctx.peer_address, rc) == 1 else L.false
            if ref in (("bgp_next_hop", None), ("gw", None)) and isinstance(rc, NET):
                return L.known(s.nh_in(rc) & s.var(s.int_bits("nh")[0]))
        if lc is not _NOTCONST and rc is _NOTCONST:
            ref = _attr_ref(right)
            if type(lc) is Pair and ref == ("bgp_community", None):
                return L.known(s.atom("c", (lc.a, lc.b)))
            if type(lc) is Lc and ref == ("bgp_large_community", None):
                return L.known(s.atom("lc", (lc.a, lc.b, lc.c)))
            if type(lc) is int and ref == ("bgp_path", None):
                return L.known(s.path_atom(("bird-contains", lc), f"bgp_path contains {lc}",
                                           lambda p, a=lc: a in p.asns(), (lc,)))
        return self.unknown(e)

    def prefix_set(self, ps: PrefixSetV) -> Any:
        s = self.s
        r = s.false
        if ps.version != s.family:
            return r
        for paddr, pl, lo, hi, maxlen in ps.patterns:
            net = ipaddress.ip_network((paddr, pl))
            if hi >= max(lo, pl):
                r = r | s.prefix_within(net, max(lo, pl), hi)
            for plen in range(lo, min(pl, hi + 1)):  # shorter than the pattern: its first plen bits
                r = r | s.prefix_is(net.supernet(new_prefix=plen))
        return r

    def list_in_set(self, kind: str, st: SetV, e: Any) -> Pred:
        """Some community of the route is in the constant set: atoms decide; a value podpath has no
        atom for is unknown unless the set holds only single values."""
        s = self.s
        singles = []
        ranged = False
        for lo, hi in st.ranges:
            if lo == hi:
                singles.append(lo)
            else:
                ranged = True
        if st.boxes:
            ranged = True
        for v in singles:
            if kind == "c" and type(v) is Pair:
                s.atom("c", (v.a, v.b))
            elif kind == "lc" and type(v) is Lc:
                s.atom("lc", (v.a, v.b, v.c))
        t = s.false
        for val, var in s.atoms_of(kind):
            x = Pair(*val) if kind == "c" else Lc(*val)
            if st.contains(x):
                t = t | s.var(var)
        u = (s.var(f"{kind}_other") & ~t) if ranged else s.false
        why = (Step(getattr(e, "loc", None), f"`{self.text(getattr(e, 'loc', None))}`: a range of communities "
                                             "is matched only for the values the policies name", "unknown"),)
        return Pred(t, u, why if ranged else ())

    # ------------------------------------------------------------------ statements
    def block(self, stmts: list[Any], conts: list[tuple[Any, State, tuple[Step, ...]]],
              out: list[Path]) -> list[tuple[Any, State, tuple[Step, ...]]]:
        for st in stmts:
            nxt: list[tuple[Any, State, tuple[Step, ...]]] = []
            for c, state, steps in conts:
                if c == self.s.false:
                    continue
                nxt.extend(self.stmt(st, c, state, steps, out))
            conts = nxt
            if not conts:
                break
        return conts

    def stmt(self, st: Any, c: Any, state: State, steps: tuple[Step, ...],
             out: list[Path]) -> list[tuple[Any, State, tuple[Step, ...]]]:
        s = self.s
        t = type(st)
        loc = st.loc
        if t is A.Block:
            return self.block(st.stmts, [(c, state, steps)], out)
        if t is A.Verdict:
            v = {"accept": PERMIT}.get(st.kind, DENY)
            out.append(Path(c, v, steps + (Step(loc, self.text(loc), "accept" if v == PERMIT else "reject"),), state))
            return []
        if t is A.If:
            p = state.apply(self.cond(st.cond), s)
            res = []
            yes, unk, no = c & p.t, c & p.u, c & ~(p.t | p.u)
            if unk != s.false:
                out.append(Path(unk, UNKNOWN, steps + (Step(loc, f"{self.text(loc)}: cannot tell", "unknown"),),
                                state, p.reasons))
            if yes != s.false:
                res.extend(self.stmt(st.then, yes, state, steps + (Step(loc, self.text(loc), "match"),), out))
            if no != s.false:
                sp = steps + (Step(loc, self.text(loc), "no-match"),)
                res.extend(self.stmt(st.else_, no, state, sp, out) if st.else_ is not None else [(no, state, sp)])
            return res
        if t is A.Case:
            return self.case(st, c, state, steps, out)
        if t is A.Print:
            return [(c, state, steps)]
        if t is A.Assign:
            return [(c, self.assign(st, state), steps + (Step(loc, self.text(loc), "set"),))]
        if t is A.MethodStmt:
            return [(c, self.method(st, state), steps + (Step(loc, self.text(loc), "set"),))]
        why = Step(loc, f"`{self.text(loc)}` is not modelled symbolically", "unknown")
        out.append(Path(c, UNKNOWN, steps + (why,), state, (why,)))
        return []

    def case(self, st: A.Case, c: Any, state: State, steps: tuple[Step, ...],
             out: list[Path]) -> list[tuple[Any, State, tuple[Step, ...]]]:
        s, L = self.s, self.L
        ref = _attr_ref(st.expr)
        rest = L.true
        res = []
        for arm in st.arms:
            if arm.is_else:
                p = rest
            else:
                try:
                    items = self.pol.arm_set(arm)
                except Exception:  # noqa: BLE001 - a set BIRD would refuse: the reader reported it
                    items = None
                if ref == ("net", None) and isinstance(items, PrefixSetV):
                    m = L.known(self.prefix_set(items))
                elif ref in (("bgp_local_pref", None), ("bgp_med", None)) and isinstance(items, SetV) and \
                        all(type(lo) is int for lo, _ in items.ranges) and not items.boxes:
                    bits = s.int_bits("lp" if ref[0] == "bgp_local_pref" else "med")
                    r = s.false
                    for lo, hi in items.ranges:
                        r = r | (s.uint_cmp(bits[1:], ">=", lo) & s.uint_cmp(bits[1:], "<=", hi))
                    m = L.known(r & s.var(bits[0]))
                else:
                    m = self.unknown(arm, "(a case arm) is not modelled symbolically")
                p = L.and_(rest, m)
                rest = L.and_(rest, L.not_(m))
            p = state.apply(p, s)
            unk = c & p.u
            if unk != s.false:
                out.append(Path(unk, UNKNOWN, steps + (Step(arm.loc, "case arm: cannot tell", "unknown"),), state,
                                p.reasons))
            yes = c & p.t
            c = c & ~(p.t | p.u)
            if yes != s.false:
                res.extend(self.block(arm.body, [(yes, state, steps + (Step(arm.loc, self.text(arm.loc), "match"),))],
                                      out))
            if arm.is_else:
                c = s.false
        if c != s.false:
            res.append((c, state, steps + (Step(st.loc, "case: no arm matches", "no-match"),)))
        return res

    def assign(self, st: A.Assign, state: State) -> State:
        s = self.s
        name = st.target
        why = Step(st.loc, f"`{self.text(st.loc)}` changes {name} in a way podpath does not track symbolically",
                   "unknown")
        v = self.const(st.expr)
        if name in ("bgp_local_pref", "bgp_med"):
            k = "lp" if name == "bgp_local_pref" else "med"
            return state.with_subst(s.const_bits(k, v), s) if type(v) is int else state.tainted(k, why)
        if name == "bgp_path":
            return state.tainted("path", why)
        if name in ("bgp_next_hop", "gw"):
            if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)) and v.version == s.family:
                return state.with_subst(s.const_bits("nh", int(v)), s)
            return state.tainted("nh", why)
        if name in ("bgp_community", "bgp_large_community"):
            k = "c" if name == "bgp_community" else "lc"
            if type(st.expr) is A.EmptyList:
                d = {var: s.false for _, var in s.atoms_of(k)}
                d[f"{k}_other"] = s.false
                return state.with_subst(d, s)
            return _taint_all(state, k, s, why)
        if name == "bgp_origin" and type(v) is EnumV and v.value in _ORIGIN_OF:
            o = _ORIGIN_OF[v.value]
            return state.with_subst({f"origin_{x.value}": (s.true if x is o else s.false) for x in _ORIGIN_OF.values()},
                                    s)
        if name in ("bgp_ext_community",):
            return _taint_all(state, "ec", s, why)
        return state  # attributes no modelled condition reads (preference, krt_*, local variables...)

    def method(self, st: A.MethodStmt, state: State) -> State:
        s = self.s
        why = Step(st.loc, f"`{self.text(st.loc)}` is not tracked symbolically", "unknown")
        if st.target == "bgp_path":
            return state.tainted("path", why)
        if st.target in ("bgp_community", "bgp_large_community") and st.method in ("add", "delete") and \
                len(st.args) == 1:
            k = "c" if st.target == "bgp_community" else "lc"
            v = self.const(st.args[0])
            if type(v) is Pair and k == "c":
                key = (v.a, v.b)
            elif type(v) is Lc and k == "lc":
                key = (v.a, v.b, v.c)
            else:
                return _taint_all(state, k, s, why)
            s.atom(k, key)
            return state.with_subst({s.atoms[(k, key)]: (s.true if st.method == "add" else s.false)}, s)
        if st.target in ("bgp_community", "bgp_large_community", "bgp_ext_community"):
            k = {"bgp_community": "c", "bgp_large_community": "lc", "bgp_ext_community": "ec"}[st.target]
            return _taint_all(state, k, s, why)
        if st.target in ("bgp_local_pref", "bgp_med", "bgp_next_hop"):
            return state.tainted({"bgp_local_pref": "lp", "bgp_med": "med", "bgp_next_hop": "nh"}[st.target], why)
        return state


def _taint_all(state: State, kind: str, s: Space, why: Step) -> State:
    """A list attribute changed in a way podpath does not follow: every atom of it is unknown."""
    out = state.tainted(f"{kind}_other", why)
    # atoms: substitute by themselves is not enough; conditions reading them must become unknown
    return State(out.subst, out.taint + tuple((v, why) for _, v in s.atoms_of(kind)))


def _attr_ref(e: Any) -> tuple[str, str | None] | None:
    if type(e) is A.Name:
        return (e.name, None)
    if type(e) is A.Member and type(e.obj) is A.Name:
        return (e.obj.name, e.name)
    return None


def _reads_route(e: Any, cfg: Any) -> bool:
    from podpath.readers.bird.interp import DYNAMIC_ATTRS, STATIC_ATTRS

    stack = [e]
    while stack:
        x = stack.pop()
        if type(x) is A.Name:
            if x.name in STATIC_ATTRS or x.name in DYNAMIC_ATTRS or x.name in getattr(cfg, "attributes", {}) \
                    or x.name == "net":
                return True
            continue
        if type(x) is A.Call and x.name not in ("format",):
            return True
        if hasattr(x, "__slots__"):
            for f in x.__slots__:
                v = getattr(x, f, None)
                if isinstance(v, A.Node):
                    stack.append(v)
                elif isinstance(v, list):
                    stack.extend(i for i in v if isinstance(i, A.Node))
    return False


def compile_bird(pol: BirdFilterPolicy, space: Space, ctx: PolicyContext) -> list[Path]:
    bx = _Bird(pol, space, ctx)
    spec = pol.spec
    s = space
    base = s.true
    if ctx.direction is Direction.IMPORT and ctx.protocol_name:
        base = s.atom("proto", ctx.protocol_name)
    if isinstance(spec, FilterSpec):
        if spec.kind in ("all", "none"):
            v = PERMIT if spec.kind == "all" else DENY
            return [Path(base, v, (Step(spec.loc, spec.kind, "accept" if v == PERMIT else "reject"),))]
        if spec.kind == "where":
            p = bx.cond(spec.expr)
            return [x for x in (
                Path(base & p.t, PERMIT, (Step(spec.loc, "where: true", "accept"),)),
                Path(base & p.u, UNKNOWN, (Step(spec.loc, "where: cannot tell", "unknown"),), reasons=p.reasons),
                Path(base & ~(p.t | p.u), DENY, (Step(spec.loc, "where: false", "reject"),))) if x.cond != s.false]
        f = spec.filter or pol.cfg.filters.get(spec.name or "")
        if f is None:
            return [Path(base, DENY, (Step(spec.loc, f"filter {spec.name} is not defined", "reject"),))]
        body, vars_ = f.body, f.vars
    elif isinstance(spec, Filter):
        body, vars_ = spec.body, spec.vars
    else:
        raise Unmodelled(getattr(spec, "loc", None), "static route attribute blocks are not analysed symbolically")
    out: list[Path] = []
    if vars_:
        why = Step(vars_[0].loc, "filters with local variables are not modelled symbolically", "unknown")
        return [Path(base, UNKNOWN, (why,), reasons=(why,))]
    rest = bx.block(body.stmts, [(base, State(), ())], out)
    for c, st, steps in rest:
        out.append(Path(c, DENY, steps + (Step(body.loc, "filter ended without accept or reject: rejected",
                                               "reject"),), st))
    return out
