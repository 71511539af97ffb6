"""Symbolic routing-policy analysis: which routes a policy permits, over the whole route space.

A policy is compiled into *paths*: a set of routes (a BDD over the route's attributes), the
verdict those routes get, and the clauses they take. Questions ("can a pod /64 without the
community get through?", "which routes does the fix change?") are BDD operations on the paths;
every answer comes with example routes, and every example is evaluated again with the concrete
evaluator (the `Policy` objects the simulator uses) before it is shown: the symbolic model
never contradicts the simulation silently.

The route space of one address family (`Space`):

* the prefix: address bits (MSB first) and length bits, canonical (host bits zero);
* communities, large and extended communities: one variable per value any analysed policy
  names, plus one "some other value" variable per kind;
* the AS path: one variable per path predicate (regex, BIRD mask, length test); which
  combinations exist is settled by a pool of concrete AS paths built from the ASNs the
  predicates name (a combination no pooled path has is *unknown*, never "none");
* next hop, LOCAL_PREF and MED (bits plus "is set"), origin, source protocol (BIRD `proto`).

What cannot be modelled (an expanded community list, arithmetic on an attribute, a statement
the compiler does not know) is three-valued *unknown* for the routes that reach it, with the
statement's file:line: a search then answers "unknown", never a wrong "none".
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable



def _bdd_manager() -> Any:
    """A new BDD manager: CUDD (C, in the dd wheel) where it is built, else dd's pure-Python BDD (same
    interface). Imported on first use: `podpath check` on a snapshot without BGP never loads it."""
    import sys

    # dd imports networkx only for its graph export, which podpath never uses: hiding it while dd loads
    # saves ~80 ms CPU per check (benchmarks/README.md, Stop 10); networkx stays importable afterwards.
    hide = "networkx" not in sys.modules
    if hide:
        sys.modules["networkx"] = None  # type: ignore[assignment]
    try:
        from dd.cudd import BDD
    except ImportError:  # pragma: no cover - platforms without the compiled extension
        from dd.autoref import BDD  # type: ignore[assignment,no-redef]
    finally:
        if hide and sys.modules.get("networkx", 0) is None:
            del sys.modules["networkx"]
    # CUDD sizes its tables for 1 GiB and a 256k-slot cache by default: ~4 ms to set up and tear down per
    # manager, and a check makes one per Space. Small initial sizes change no result (the cache grows on
    # demand); benchmarks/README.md, Stop 10.
    try:
        b = BDD(memory_estimate=1 << 26, initial_cache_size=1 << 12)
    except TypeError:  # pragma: no cover - dd.autoref takes no sizes
        b = BDD()
    b.configure(reordering=False)  # the declared order (length, address MSB first, atoms) suits prefixes
    import logging

    # dd logs "Missing bits" when an example leaves variables free (podpath picks them on purpose): not a
    # message for the user's terminal
    logging.getLogger("dd").setLevel(logging.ERROR)
    return b

from podpath.diagnostics import Loc
from podpath.routing.policy import Direction, PolicyContext, Verdict
from podpath.routing.route import (
    AsPath, Community, ExtCommunity, IPNetwork, LargeCommunity, Origin, Protocol, Route,
)

PERMIT, DENY, UNKNOWN = "permit", "deny", "unknown"
INT_BITS = 32
_ORIGINS = (Origin.IGP, Origin.EGP, Origin.INCOMPLETE)
_PROTOCOLS = tuple(Protocol)


class Unmodelled(Exception):
    """A construct the symbolic compiler does not model (becomes an unknown region)."""

    def __init__(self, loc: Loc | None, why: str) -> None:
        super().__init__(why)
        self.loc, self.why = loc, why


@dataclass(frozen=True)
class Step:
    """One clause or statement on a path: where, what, and its effect (match, no-match, set...)."""

    loc: Loc | None
    text: str
    effect: str

    def to_json(self) -> dict[str, object]:
        return {"location": self.loc.to_json() if self.loc else None, "text": self.text, "effect": self.effect}

    def render(self) -> str:
        return f"{self.text} ({self.loc})" if self.loc else self.text


@dataclass(frozen=True)
class Pred:
    """A three-valued predicate over routes: `t` where it holds, `u` where podpath cannot tell
    (with the reasons), false elsewhere. Kleene logic keeps unknown regions apart."""

    t: Any
    u: Any
    reasons: tuple[Step, ...] = ()


@dataclass(frozen=True)
class PathAtom:
    """An AS-path predicate as one BDD variable; `test` decides it on a concrete path, `asns` are
    the ASNs it names (seed the pool of concrete paths)."""

    var: str
    text: str
    test: Callable[[AsPath], bool]
    asns: tuple[int, ...] = ()


class Space:
    """BDD variables for the routes of one address family (shared by every policy compared)."""

    def __init__(self, family: int) -> None:
        self.family = family
        self.width = 32 if family == 4 else 128
        self.bdd = _bdd_manager()
        b = self.bdd
        self.len_bits = [f"len{i}" for i in range(self.width.bit_length())]
        self.addr_bits = [f"a{i}" for i in range(self.width)]
        b.declare(*self.len_bits, *self.addr_bits)
        self.atoms: dict[tuple[str, object], str] = {}  # (kind, value) -> var; kinds: c lc ec proto
        self.path_atoms: dict[object, PathAtom] = {}
        self.ints: dict[str, list[str]] = {}  # lp/med/nh -> bit vars (first: the "set" flag)
        self.grew = False  # a variable was added since `mark()`: compiled predicates may be stale
        self.version = 0  # bumped by every new community/proto atom (see _Compiler in checks/security.py)
        for k in ("c", "lc", "ec"):
            self._declare(f"{k}_other")
        for o in _ORIGINS:
            self._declare(f"origin_{o.value}")
        for p in _PROTOCOLS:
            self._declare(f"src_{p.value}")
        self._declare("proto_other")
        self._domain: Any = None
        self._pool: list[AsPath] | None = None
        self._memo: dict[tuple[object, ...], Any] = {}  # prefix and length predicates, built once

    # ------------------------------------------------------------------ variables
    def _declare(self, name: str) -> str:
        self.bdd.declare(name)
        return name

    def mark(self) -> None:
        self.grew = False

    def atom(self, kind: str, value: object) -> Any:
        """The variable for "the route carries this community" (kind c/lc/ec) or "proto is this name"."""
        key = (kind, value)
        v = self.atoms.get(key)
        if v is None:
            v = self.atoms[key] = self._declare(f"{kind}_{len(self.atoms)}")
            self.grew = True
            self.version += 1  # "some other community" now means less: compiled paths may be stale
            self._domain = None
        return self.bdd.var(v)

    def atoms_of(self, kind: str) -> list[tuple[object, str]]:
        return sorted(((val, v) for (k, val), v in self.atoms.items() if k == kind), key=lambda x: x[1])

    def path_atom(self, key: object, text: str, test: Callable[[AsPath], bool], asns: Iterable[int] = ()) -> Any:
        a = self.path_atoms.get(key)
        if a is None:
            a = self.path_atoms[key] = PathAtom(self._declare(f"path_{len(self.path_atoms)}"), text, test,
                                                tuple(sorted(set(asns))))
            self.grew = True
            self._pool = None
        return self.bdd.var(a.var)

    def int_bits(self, name: str) -> list[str]:
        """`name`'s variables: [set-flag, MSB..LSB] (32 bits; next hop: the address width)."""
        bits = self.ints.get(name)
        if bits is None:
            n = self.width if name == "nh" else INT_BITS
            bits = self.ints[name] = [self._declare(f"{name}_def")] + [self._declare(f"{name}{i}") for i in range(n)]
        return bits

    # ------------------------------------------------------------------ constructors
    @property
    def true(self) -> Any:
        return self.bdd.true

    @property
    def false(self) -> Any:
        return self.bdd.false

    def var(self, name: str) -> Any:
        return self.bdd.var(name)

    def uint_cmp(self, bits: list[str], op: str, c: int) -> Any:
        """Unsigned comparison of a bit vector (MSB first) with a constant: = != < <= > >=."""
        b = self.bdd
        n = len(bits)
        top = (1 << n) - 1
        if op in ("!=",):
            return ~self.uint_cmp(bits, "=", c)
        if op == "<":
            return self.uint_cmp(bits, "<=", c - 1)
        if op == ">":
            return self.uint_cmp(bits, ">=", c + 1)
        if op == "=":
            if c < 0 or c > top:
                return b.false
            r = b.true
            for i, v in enumerate(bits):
                x = b.var(v)
                r = r & (x if (c >> (n - 1 - i)) & 1 else ~x)
            return r
        if op == "<=":
            if c < 0:
                return b.false
            if c >= top:
                return b.true
            r = b.true
            for i in range(n - 1, -1, -1):
                x = b.var(bits[i])
                r = (~x | r) if (c >> (n - 1 - i)) & 1 else (~x & r)
            return r
        if op == ">=":
            if c <= 0:
                return b.true
            if c > top:
                return b.false
            r = b.true
            for i in range(n - 1, -1, -1):
                x = b.var(bits[i])
                r = (x & r) if (c >> (n - 1 - i)) & 1 else (x | r)
            return r
        raise ValueError(op)

    def length(self, op: str, n: int) -> Any:
        key = ("len", op, n)
        r = self._memo.get(key)
        if r is None:
            r = self._memo[key] = self.uint_cmp(self.len_bits, op, n)
        return r

    def addr_prefix(self, bits: list[str], net: IPNetwork) -> Any:
        """The first `net.prefixlen` bits of `bits` equal `net`'s."""
        value = int(net.network_address)
        w = self.width
        return self.bdd.cube({bits[i]: bool((value >> (w - 1 - i)) & 1) for i in range(net.prefixlen)})

    def prefix_within(self, net: IPNetwork, lo: int | None = None, hi: int | None = None) -> Any:
        """Routes whose prefix is inside `net` with a length in [lo, hi] (default: net's length .. max)."""
        if net.version != self.family:
            return self.false
        key = ("within", net, lo, hi)
        r = self._memo.get(key)
        if r is None:
            r = self._memo[key] = self._prefix_within(net, lo, hi)
        return r

    def _prefix_within(self, net: IPNetwork, lo: int | None, hi: int | None) -> Any:
        lo = net.prefixlen if lo is None else max(lo, net.prefixlen)
        hi = self.width if hi is None else hi
        if lo > hi:
            return self.false
        return self.addr_prefix(self.addr_bits, net) & self.length(">=", lo) & self.length("<=", hi)

    def prefix_is(self, net: IPNetwork) -> Any:
        return self.prefix_within(net, net.prefixlen, net.prefixlen)

    def prefix_paths(self, items: Iterable[tuple[int, int, int]]) -> Any:
        """Routes whose prefix is the first `n` bits of address `a`, for each (a, lo, hi) and each n in
        [lo, hi]: the OR of `prefix_is` over those prefixes (e.g. every shorter prefix covering one of a
        thousand pod CIDRs), built over a binary trie of the addresses: one `ite` per trie node instead of
        one cube per prefix (17,000 IPv6 supernets at 1,000 nodes: ~1 s that way)."""
        w = self.width
        todo = sorted({(a, max(lo, 0), min(hi, w)) for a, lo, hi in items if max(lo, 0) <= min(hi, w)})
        bdd = self.bdd

        def build(sub: list[tuple[int, int, int]], d: int) -> Any:
            first = min(lo for _, lo, _ in sub)
            if first > d:  # no prefix ends before `first`: the bits all share up to there are one cube
                a0 = sub[0][0]
                differ = 0
                for a, _, _ in sub:
                    differ |= a ^ a0
                k = min(first, w - differ.bit_length())  # the first bit where two addresses differ
                if k > d:
                    cube = bdd.cube({self.addr_bits[i]: bool((a0 >> (w - 1 - i)) & 1) for i in range(d, k)})
                    return cube & build(sub, k)
            r = self.length("=", d) if any(lo <= d <= hi for _, lo, hi in sub) else self.false
            deeper = [x for x in sub if x[2] > d]
            if deeper:
                bit = 1 << (w - 1 - d)
                one = [x for x in deeper if x[0] & bit]
                zero = [x for x in deeper if not x[0] & bit]
                r = r | bdd.ite(self.var(self.addr_bits[d]), build(one, d + 1) if one else self.false,
                                build(zero, d + 1) if zero else self.false)
            return r

        return build(todo, 0) if todo else self.false

    def nh_in(self, net: IPNetwork) -> Any:
        """The next hop (unset reads as the unspecified address) is inside `net`."""
        if net.version != self.family:
            return self.false
        bits = self.int_bits("nh")
        addr = bits[1:]
        set_ = self.var(bits[0])
        inside = self.addr_prefix(addr, net)
        zero_inside = net.prefixlen == 0 or int(net.network_address) >> (self.width - net.prefixlen) == 0
        return (set_ & inside) | (~set_ & (self.true if zero_inside else self.false))

    def const_bits(self, name: str, value: int | None) -> dict[str, Any]:
        """Substitution making attribute `name` the constant `value` (None: unset)."""
        bits = self.int_bits(name)
        out = {bits[0]: self.true if value is not None else self.false}
        n = len(bits) - 1
        for i, v in enumerate(bits[1:]):
            out[v] = self.true if value is not None and (value >> (n - 1 - i)) & 1 else self.false
        return out

    def int_value(self, name: str, op: str, c: int, unset: int | None) -> Any:
        """`attr op c`, where an unset attribute reads as `unset` (None: the comparison is false)."""
        bits = self.int_bits(name)
        set_ = self.var(bits[0])
        r = set_ & self.uint_cmp(bits[1:], op, c)
        if unset is not None and _cmp(unset, op, c):
            r = r | ~set_
        return r

    def origin_is(self, o: Origin) -> Any:
        return self.var(f"origin_{o.value}")

    def protocol_is(self, p: Protocol) -> Any:
        return self.var(f"src_{p.value}")

    # ------------------------------------------------------------------ domain
    def domain(self) -> Any:
        """Routes that exist: canonical prefixes, one origin, one source protocol, one `proto`."""
        if self._domain is not None:
            return self._domain
        b = self.bdd
        d = self.length("<=", self.width)
        for i in range(self.width):
            d = d & (~self.length("<=", i) | ~b.var(self.addr_bits[i]))
        d = d & _exactly_one(b, [f"origin_{o.value}" for o in _ORIGINS])
        d = d & _exactly_one(b, [f"src_{p.value}" for p in _PROTOCOLS])
        names = [v for _, v in self.atoms_of("proto")] + ["proto_other"]
        d = d & _exactly_one(b, names)
        self._domain = d
        return d

    def pool(self, ctx: PolicyContext | None = None) -> list[AsPath]:
        """Concrete AS paths to instantiate AS-path predicates with: the empty path and short
        sequences of the ASNs the predicates (and the session) name, plus one they do not."""
        if self._pool is not None:
            return self._pool
        asns: set[int] = set()
        for a in self.path_atoms.values():
            asns.update(a.asns)
        if ctx is not None:
            asns.update(x for x in (ctx.peer_as, ctx.local_as) if x)
        fresh = 64999
        while fresh in asns:
            fresh += 1
        names = sorted(asns)[:10] + [fresh]
        paths = [AsPath()]
        for n in (1, 2, 3):
            if len(names) ** n > 1500:
                break
            paths.extend(AsPath.of(*p) for p in itertools.product(names, repeat=n))
        self._pool = paths
        return paths

    def path_feasible(self, ctx: PolicyContext | None = None) -> Any:
        """The combinations of AS-path predicate values some pooled path has."""
        atoms = sorted(self.path_atoms.values(), key=lambda a: a.var)
        if not atoms:
            return self.true
        seen: set[tuple[bool, ...]] = set()
        for p in self.pool(ctx):
            seen.add(tuple(bool(a.test(p)) for a in atoms))
        b = self.bdd
        r = b.false
        for vals in seen:
            m = b.true
            for a, v in zip(atoms, vals):
                m = m & (b.var(a.var) if v else ~b.var(a.var))
            r = r | m
        return r

    # ------------------------------------------------------------------ examples
    def example(self, region: Any, ctx: PolicyContext, direction: Direction) -> Route | None:
        """One concrete route of `region` (None if empty or if no pooled AS path fits)."""
        b = self.bdd
        region = region & self.domain() & self.path_feasible(ctx)
        if region == b.false:
            return None
        for prefer in (self.origin_is(Origin.IGP) & self.protocol_is(Protocol.BGP), self.origin_is(Origin.IGP)):
            if region & prefer != b.false:  # plain routes make clearer examples
                region = region & prefer
                break
        care = set(self.len_bits) | set(self.addr_bits) | set(b.support(region))
        assign = b.pick(region, care_vars=care)
        return self.route_of(assign, ctx, direction)

    def assignment(self, route: Route) -> dict[str, bool]:
        """The variable values of a concrete route (the inverse of `route_of`), for membership tests."""
        out: dict[str, bool] = {}

        def put(bits: list[str], value: int) -> None:
            n = len(bits)
            for i, v in enumerate(bits):
                out[v] = bool((value >> (n - 1 - i)) & 1)

        put(self.len_bits, route.prefix.prefixlen)
        put(self.addr_bits, int(route.prefix.network_address))
        have = {"c": route.communities, "lc": route.large_communities, "ec": route.ext_communities}
        for (kind, val), v in self.atoms.items():
            out[v] = (str(route.source_name or "") == val) if kind == "proto" else val in have[kind]
        for kind, vals in have.items():
            out[f"{kind}_other"] = any((kind, x) not in self.atoms for x in vals)
        out["proto_other"] = not any(out[v] for _, v in self.atoms_of("proto"))
        for o in _ORIGINS:
            out[f"origin_{o.value}"] = route.origin is o
        for p in _PROTOCOLS:
            out[f"src_{p.value}"] = route.protocol is p
        for a in self.path_atoms.values():
            out[a.var] = bool(a.test(route.as_path))
        for name, value in (("lp", route.local_pref), ("med", route.med),
                            ("nh", int(route.next_hop) if route.next_hop is not None else None)):
            bits = self.ints.get(name)
            if bits is not None:
                out[bits[0]] = value is not None
                put(bits[1:], value or 0)
        return out

    def contains(self, region: Any, route: Route) -> bool:
        return self.bdd.let(self.assignment(route), region) == self.bdd.true

    def route_of(self, a: dict[str, bool], ctx: PolicyContext, direction: Direction) -> Route:
        def uint(bits: list[str]) -> int:
            v = 0
            for x in bits:
                v = (v << 1) | int(bool(a.get(x, False)))
            return v

        plen = uint(self.len_bits)
        addr = uint(self.addr_bits)
        cls = ipaddress.IPv4Network if self.family == 4 else ipaddress.IPv6Network
        prefix = cls((addr, plen), strict=False)
        comms: set[Any] = set()
        large: set[Any] = set()
        ext: set[Any] = set()
        for (kind, val), v in self.atoms.items():
            if a.get(v) and kind in ("c", "lc", "ec"):
                {"c": comms, "lc": large, "ec": ext}[kind].add(val)
        if a.get("c_other"):
            comms.add(_fresh([(64998, i) for i in range(1, 1000)], comms, self.atoms, "c"))
        if a.get("lc_other"):
            large.add(_fresh([(4294967294, 0, i) for i in range(1, 1000)], large, self.atoms, "lc"))
        if a.get("ec_other"):
            ext.add(_fresh([ExtCommunity("rt", "64998", i) for i in range(1, 1000)], ext, self.atoms, "ec"))
        origin = next((o for o in _ORIGINS if a.get(f"origin_{o.value}")), Origin.IGP)
        protocol = next((p for p in _PROTOCOLS if a.get(f"src_{p.value}")), Protocol.BGP)
        proto = next((str(val) for val, v in self.atoms_of("proto") if a.get(v)), None)
        if proto is None and self.atoms_of("proto"):
            taken = {str(val) for val, _ in self.atoms_of("proto")}
            proto = next(f"other{i}" for i in itertools.count() if f"other{i}" not in taken)
        path = AsPath()
        atoms = sorted(self.path_atoms.values(), key=lambda x: x.var)
        if atoms:
            want = tuple(bool(a.get(x.var, False)) for x in atoms)
            path = next((p for p in self.pool(ctx) if tuple(bool(x.test(p)) for x in atoms) == want), AsPath())
        elif direction is Direction.IMPORT and ctx.peer_as and protocol is Protocol.BGP and not ctx.ibgp:
            path = AsPath.of(ctx.peer_as)
        kw: dict[str, Any] = {}
        for name, field_ in (("lp", "local_pref"), ("med", "med")):
            bits = self.ints.get(name)
            if bits is not None and a.get(bits[0]):
                kw[field_] = uint(bits[1:])
        nh = None
        bits = self.ints.get("nh")
        if bits is not None and a.get(bits[0]):
            nh = (ipaddress.IPv4Address if self.family == 4 else ipaddress.IPv6Address)(uint(bits[1:]))
        elif direction is Direction.IMPORT and ctx.peer_address is not None and \
                ctx.peer_address.version == self.family and bits is None:
            nh = ctx.peer_address
        peer = ctx.peer_address if direction is Direction.IMPORT and protocol is Protocol.BGP else None
        return Route(prefix, protocol=protocol, next_hop=nh, as_path=path, communities=frozenset(comms),
                     large_communities=frozenset(large), ext_communities=frozenset(ext), origin=origin,
                     source_name=proto, peer=peer, **kw)


def _fresh(candidates: list[Any], have: set[Any], atoms: dict[tuple[str, object], str], kind: str) -> Any:
    return next(c for c in candidates if c not in have and (kind, c) not in atoms)


def _exactly_one(b: Any, names: list[str]) -> Any:
    r = b.false
    for n in names:
        m = b.var(n)
        for o in names:
            if o != n:
                m = m & ~b.var(o)
        r = r | m
    return r


def _cmp(a: int, op: str, c: int) -> bool:
    return {"=": a == c, "!=": a != c, "<": a < c, "<=": a <= c, ">": a > c, ">=": a >= c}[op]


# ====================================================================================== predicates

class Logic:
    """Kleene three-valued logic over a Space's BDDs."""

    def __init__(self, space: Space) -> None:
        self.s = space

    def known(self, t: Any) -> Pred:
        return Pred(t, self.s.false)

    @property
    def true(self) -> Pred:
        return Pred(self.s.true, self.s.false)

    @property
    def false(self) -> Pred:
        return Pred(self.s.false, self.s.false)

    def unknown(self, loc: Loc | None, why: str) -> Pred:
        return Pred(self.s.false, self.s.true, (Step(loc, why, "unknown"),))

    def and_(self, a: Pred, b: Pred) -> Pred:
        t = a.t & b.t
        u = (a.t | a.u) & (b.t | b.u) & ~t
        return Pred(t, u, _reasons(a, b, u, self.s))

    def or_(self, a: Pred, b: Pred) -> Pred:
        t = a.t | b.t
        u = (a.u | b.u) & ~t
        return Pred(t, u, _reasons(a, b, u, self.s))

    def not_(self, a: Pred) -> Pred:
        return Pred(~(a.t | a.u), a.u, a.reasons)

    def first_match(self, entries: list[tuple[Pred, bool]]) -> Pred:
        """Ordered list semantics (prefix-lists, community lists, as-path lists): the first entry
        that matches decides permit (True) or deny; no match is false."""
        out = self.false
        rest = self.true  # routes no earlier entry matched (known)
        for p, permit in entries:
            hit = self.and_(rest, p)
            if permit:
                out = self.or_(out, hit)
            rest = self.and_(rest, self.not_(p))
        return out


def _reasons(a: Pred, b: Pred, u: Any, s: Space) -> tuple[Step, ...]:
    if u == s.false:
        return ()
    return tuple(dict.fromkeys(a.reasons + b.reasons))


# ====================================================================================== state and paths

TAINT_GROUPS = ("path", "lp", "med", "nh", "c_other", "lc_other", "ec_other")


def _group(var: str) -> str | None:
    if var.startswith("path_"):
        return "path"
    for g in ("lp", "med", "nh"):
        if var.startswith(g) and (var[len(g):].isdigit() or var == f"{g}_def"):
            return g
    if var in ("c_other", "lc_other", "ec_other"):
        return var
    return None


@dataclass(frozen=True)
class State:
    """What the policy did to the route so far: attribute variables replaced by functions of the
    original route (a `set` action), and attributes podpath lost track of (tainted, with why)."""

    subst: tuple[tuple[str, Any], ...] = ()
    taint: tuple[tuple[str, Step], ...] = ()

    def with_subst(self, d: dict[str, Any], space: Space) -> "State":
        """Compose: the new values are functions of the *current* route."""
        cur = dict(self.subst)
        new = dict(cur)
        for k, v in d.items():
            new[k] = space.bdd.let(cur, v) if cur else v
        return State(tuple(new.items()), tuple((g, s) for g, s in self.taint if g not in {_group(k) for k in d}))

    def tainted(self, group: str, why: Step) -> "State":
        return State(tuple((k, v) for k, v in self.subst if _group(k) != group),
                     tuple(x for x in self.taint if x[0] != group) + ((group, why),))

    def apply(self, p: Pred, space: Space) -> Pred:
        """`p` (over the route as received) evaluated on the route as modified so far."""
        if not self.subst and not self.taint:
            return p
        b = space.bdd
        if self.taint:
            groups = dict(self.taint)
            sup = b.support(p.t) | b.support(p.u)
            hit = list(dict.fromkeys(groups[k] for k in ({_group(v) for v in sup} | set(sup)) if k in groups))
            if hit:
                return Pred(space.false, p.t | p.u, p.reasons + tuple(hit))
        if self.subst:
            d = dict(self.subst)
            return Pred(b.let(d, p.t), b.let(d, p.u), p.reasons)
        return p


@dataclass
class Path:
    """One way through a policy: the routes taking it, their verdict, the steps on the way."""

    cond: Any
    verdict: str  # permit | deny | unknown
    steps: tuple[Step, ...]
    state: State = field(default_factory=State)
    reasons: tuple[Step, ...] = ()  # unknown: what podpath could not model

    @property
    def decided(self) -> Step | None:
        return self.steps[-1] if self.steps else None


@dataclass
class Compiled:
    """A policy as its paths (they partition the route space within the domain)."""

    name: str
    family: int
    paths: list[Path]
    space: Space
    ctx: PolicyContext
    direction: Direction
    policy: Any = None

    def verdict_of(self, route: Route) -> str | None:
        """The verdict of the path `route` takes (None: outside the domain, e.g. not a BGP route)."""
        for p in self.paths:
            if self.space.contains(p.cond, route):
                return p.verdict
        return None

    def region(self, verdict: str) -> Any:
        r = self.space.false
        for p in self.paths:
            if p.verdict == verdict:
                r = r | p.cond
        return r & self.space.domain()


# ====================================================================================== compilation

def compile_policy(policy: Any, space: Space, ctx: PolicyContext, direction: Direction | None = None) -> Compiled:
    """Paths of any Policy the readers build; a policy type with no symbolic model is one unknown path."""
    direction = direction or ctx.direction
    name = getattr(policy, "name", type(policy).__name__)
    try:
        paths = _dispatch(policy, space, ctx)
    except Unmodelled as e:
        paths = [Path(space.true, UNKNOWN, (Step(e.loc, e.why, "unknown"),), reasons=(Step(e.loc, e.why, "unknown"),))]
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError) as e:
        # a construct the compiler mishandles: unknown (never a wrong answer, never a traceback)
        why = Step(getattr(policy, "loc", None), f"internal error in the symbolic model of {name}: "
                                                 f"{type(e).__name__}: {e}", "unknown")
        paths = [Path(space.true, UNKNOWN, (why,), reasons=(why,))]
    dom = space.domain()
    if direction is Direction.IMPORT:
        dom = dom & space.protocol_is(Protocol.BGP)
    paths = [Path(p.cond & dom, p.verdict, p.steps, p.state, p.reasons) for p in paths]
    return Compiled(name, space.family, [p for p in paths if p.cond != space.false], space, ctx, direction, policy)


def _dispatch(policy: Any, space: Space, ctx: PolicyContext) -> list[Path]:
    from podpath.routing import builtin

    if policy is None:
        raise Unmodelled(None, "no policy configured: the daemon's default for the session applies "
                               "(not modelled symbolically)")
    if isinstance(policy, builtin.Fixed):
        v = PERMIT if policy.verdict is Verdict.ACCEPT else DENY
        return [Path(space.true, v, (Step(policy.loc, policy.name, "accept" if v == PERMIT else "reject"),))]
    if isinstance(policy, builtin.AdvertiseSelected):
        r = space.false
        for pfx, *_ in policy.prefixes:
            r = r | space.prefix_is(pfx)
        return [Path(r, PERMIT, (Step(None, f"{policy.name}: advertised", "accept"),)),
                Path(~r, DENY, (Step(None, f"{policy.name}: not selected by any advertisement", "reject"),))]
    if isinstance(policy, builtin.Chain):
        return _chain([lambda c, st, steps, p=p: _sub_paths(p, space, ctx, c, st, steps) for p in policy.parts],
                      space)
    from podpath.readers.frr import policy as frr
    if isinstance(policy, (frr.NeighborPolicy, frr.RouteMapPolicy, frr.PrefixListPolicy, frr.AccessListPolicy,
                           frr.AsPathListPolicy, frr.CommunityListPolicy)):
        from podpath.routing.symbolic_frr import compile_frr

        return compile_frr(policy, space, ctx)
    from podpath.readers.bird.interp import BirdFilterPolicy
    if isinstance(policy, BirdFilterPolicy):
        from podpath.routing.symbolic_bird import compile_bird

        return compile_bird(policy, space, ctx)
    raise Unmodelled(getattr(policy, "loc", None), f"{type(policy).__name__} {getattr(policy, 'name', '')!s} "
                                                   "is not modelled symbolically")


def _sub_paths(policy: Any, space: Space, ctx: PolicyContext, cond: Any, state: State,
               steps: tuple[Step, ...]) -> list[Path]:
    out = []
    for p in _dispatch(policy, space, ctx):
        c = cond & p.cond
        if c != space.false:
            out.append(Path(c, p.verdict, steps + p.steps, p.state, p.reasons))
    return out


def _chain(parts: list[Callable[[Any, State, tuple[Step, ...]], list[Path]]], space: Space) -> list[Path]:
    """Policies in order: the first deny decides; a permit goes on to the next part."""
    todo = [Path(space.true, PERMIT, ())]
    for part in parts:
        nxt = []
        for p in todo:
            if p.verdict != PERMIT:
                nxt.append(p)
                continue
            nxt.extend(part(p.cond, p.state, p.steps))
        todo = nxt
    return todo


# ====================================================================================== questions

@dataclass
class Example:
    """One example route of a path, checked against the concrete evaluator."""

    path: Path
    route: Route | None
    concrete: str | None  # the concrete evaluator's verdict on `route` (permit/deny), None if no route
    agrees: bool

    def to_json(self) -> dict[str, object]:
        return {"verdict": self.path.verdict, "route": self.route.to_json() if self.route else None,
                "concrete_verdict": self.concrete, "agrees": self.agrees,
                "steps": [s.to_json() for s in self.path.steps],
                "unknown_because": [s.to_json() for s in self.path.reasons]}


def concrete_verdict(compiled: Compiled, route: Route) -> str:
    ctx = compiled.ctx
    res = compiled.policy.evaluate(route, ctx)
    return PERMIT if res.accepted else DENY


def examples(compiled: Compiled, region: Any, verdicts: Iterable[str] = (PERMIT, DENY, UNKNOWN)) -> list[Example]:
    """One example per path (of the wanted verdicts) that meets `region`, checked concretely.
    A path whose example the concrete evaluator decides otherwise is reported as disagreeing."""
    out = []
    wanted = set(verdicts)
    sp = compiled.space
    for p in compiled.paths:
        if p.verdict not in wanted:
            continue
        c = p.cond & region
        if c == sp.false:
            continue
        r = sp.example(c, compiled.ctx, compiled.direction)
        if r is None:
            why = Step(None, "no concrete AS path found with the AS-path predicate values this path needs "
                             "(the path may be impossible)", "unknown")
            out.append(Example(Path(c, UNKNOWN, p.steps, p.state, p.reasons + (why,)), None, None, True))
            continue
        cv = concrete_verdict(compiled, r) if compiled.policy is not None else None
        agrees = p.verdict == UNKNOWN or cv is None or cv == p.verdict
        out.append(Example(Path(c, p.verdict, p.steps, p.state, p.reasons), r, cv, agrees))
    return out


@dataclass
class SearchResult:
    """`policy search`: the answer ('found', 'none', 'unknown') and one example per path."""

    answer: str
    wanted: str
    found: list[Example]
    unknown: list[Example]

    def to_json(self) -> dict[str, object]:
        return {"answer": self.answer, "verdict": self.wanted, "examples": [e.to_json() for e in self.found],
                "unknown": [e.to_json() for e in self.unknown]}


def search(compiled: Compiled, wanted: str, region: Any | None = None) -> SearchResult:
    """Routes of `region` the policy gives `wanted` (permit/deny): 'found' with an example per
    path, else 'unknown' when some routes of the region reach an unmodelled statement, else 'none'."""
    sp = compiled.space
    region = sp.true if region is None else region
    found = [e for e in examples(compiled, region, (wanted,))]
    unk = [e for e in examples(compiled, region, (UNKNOWN,))]
    good = [e for e in found if e.path.verdict == wanted and e.route is not None and e.agrees]
    bad = [e for e in found if e not in good]
    unk.extend(bad)
    answer = "found" if good else ("unknown" if unk else "none")
    return SearchResult(answer, wanted, good, unk)


@dataclass
class Difference:
    before: str
    after: str
    route: Route | None
    before_steps: tuple[Step, ...]
    after_steps: tuple[Step, ...]
    concrete: tuple[str | None, str | None] = (None, None)

    def to_json(self) -> dict[str, object]:
        return {"before": self.before, "after": self.after, "route": self.route.to_json() if self.route else None,
                "concrete": {"before": self.concrete[0], "after": self.concrete[1]},
                "before_steps": [s.to_json() for s in self.before_steps],
                "after_steps": [s.to_json() for s in self.after_steps]}


def compare(a: Compiled, b: Compiled, region: Any | None = None, limit: int = 20) -> list[Difference]:
    """Routes whose decision differs between two compilations over the same Space: one example per
    pair of paths (before path, after path) with different verdicts, unknown pairs included."""
    sp = a.space
    assert sp is b.space, "compare needs one Space"
    region = sp.true if region is None else region
    out: list[Difference] = []
    for pa in a.paths:
        for pb in b.paths:
            if pa.verdict == pb.verdict and pa.verdict != UNKNOWN:
                continue
            c = pa.cond & pb.cond & region
            if c == sp.false:
                continue
            r = sp.example(c, a.ctx, a.direction)
            ca = concrete_verdict(a, r) if r is not None and a.policy is not None else None
            cb = concrete_verdict(b, r) if r is not None and b.policy is not None else None
            if pa.verdict == pb.verdict == UNKNOWN and ca is not None and ca == cb:
                continue  # both unknown, and this example decides alike: not shown as a difference
            out.append(Difference(pa.verdict, pb.verdict, r, pa.steps, pb.steps, (ca, cb)))
            if len(out) >= limit:
                return out
    return out


# ====================================================================================== routes and queries

def parse_community(text: str) -> tuple[str, object]:
    """'65000:100' -> ('c', (65000, 100)); 'A:B:C' -> ('lc', ...); well-known names too."""
    from podpath.routing.route import WELL_KNOWN_COMMUNITIES

    t = text.strip()
    if t.lower() in WELL_KNOWN_COMMUNITIES:
        return "c", WELL_KNOWN_COMMUNITIES[t.lower()]
    parts = t.split(":")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"{text!r} is not a community (A:B) or large community (A:B:C)") from None
    if len(nums) == 2 and all(0 <= n <= 0xFFFF for n in nums):
        return "c", (nums[0], nums[1])
    if len(nums) == 3 and all(0 <= n <= 0xFFFFFFFF for n in nums):
        return "lc", (nums[0], nums[1], nums[2])
    raise ValueError(f"{text!r} is not a community (A:B, 16-bit parts) or large community (A:B:C, 32-bit parts)")


def has_community(space: Space, text: str) -> Any:
    kind, value = parse_community(text)
    return space.atom(kind, value)


def route_from_text(text: str, family_hint: int | None = None) -> Route:
    """'PREFIX [community C ...] [large-community L ...] [as-path "A B"] [next-hop X] [local-pref N]
    [med N] [origin igp|egp|incomplete] [proto NAME]' -> Route. Raises ValueError with what is wrong."""
    import shlex

    try:
        words = shlex.split(text)
    except ValueError as e:
        raise ValueError(f"--route: {e}") from None
    if not words:
        raise ValueError("--route: empty")
    try:
        prefix = ipaddress.ip_network(words[0], strict=False)
    except ValueError:
        raise ValueError(f"--route: {words[0]!r} is not a prefix") from None
    kw: dict[str, Any] = {}
    comms: set[Community] = set()
    large: set[LargeCommunity] = set()
    i = 1
    key = None
    while i < len(words):
        w = words[i]
        if w in ("community", "large-community", "as-path", "next-hop", "local-pref", "med", "origin", "proto"):
            key = w
            i += 1
            if i >= len(words):
                raise ValueError(f"--route: `{w}` needs a value")
            w = words[i]
        if key is None:
            raise ValueError(f"--route: unexpected {w!r} (attributes: community, large-community, as-path, "
                             "next-hop, local-pref, med, origin, proto)")
        try:
            if key in ("community", "large-community"):
                kind, value = parse_community(w)
                if kind != ("c" if key == "community" else "lc"):
                    raise ValueError(f"{w!r} is not a {key}")
                (comms if kind == "c" else large).add(value)  # type: ignore[arg-type]
            elif key == "as-path":
                kw["as_path"] = AsPath.of(*(int(x) for x in w.split()))
                key = None
            elif key == "next-hop":
                kw["next_hop"] = ipaddress.ip_address(w)
                key = None
            elif key in ("local-pref", "med"):
                kw["local_pref" if key == "local-pref" else "med"] = int(w)
                key = None
            elif key == "origin":
                kw["origin"] = Origin(w)
                key = None
            elif key == "proto":
                kw["source_name"] = w
                key = None
        except ValueError as e:
            raise ValueError(f"--route: {key} {w!r}: {e}") from None
        i += 1
    return Route(prefix, communities=frozenset(comms), large_communities=frozenset(large), **kw)
