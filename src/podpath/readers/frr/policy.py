"""FRR routing-policy semantics: route-maps, prefix-lists, access-lists, community,
large- and extended-community lists, as-path access-lists, and a neighbor's whole
inbound/outbound filter chain.

Exactness notes (shared/reference/routing-daemons.md 1.1-1.5, checked against
FRR 8.4.4 lib/routemap.c, lib/plist.c, lib/filter.c, bgpd/bgp_clist.c,
bgpd/bgp_routemap.c):

* Clauses run in sequence-number order. One pending result, initially permit: a
  non-matching clause sets it to deny; a matching deny clause denies at once (its
  sets are not applied); a matching permit clause applies its sets, runs `call`
  (a deny there denies), then exits with permit, or with `on-match next` /
  `on-match goto N` / `continue N` carries on -- after which the route survives only
  if a later clause matches as permit or the jump leaves the map.
* Route-map "optimisation" (on by default) selects the *first* matching clause
  through a prefix tree of the prefix-lists the map references. It gives the same
  result as a linear scan except that a clause matching an existing but empty
  prefix-list, or a prefix-list of the other address family, is never selected
  first (it can still match after `on-match next`/`goto`, where FRR scans linearly);
  and a map whose clauses all say "not applicable" (EVPN matches on a unicast route)
  denies.
* A neighbor's route-map or filter list that is referenced but undefined denies
  everything; `match ... prefix-list X` with X undefined does not match; `call` to
  an undefined map is skipped; `import vrf route-map X` undefined imports everything.
* Expanded lists use FRR's regex dialect (readers.frr.regex) against FRR's string
  forms: communities ascending, well-known ones by name (`no-export`, `local-AS`).
  A route without (large) communities is matched as "" before FRR 10.3 and never
  from 10.3 on (`frr version` line, else the newest FRR; verified against 8.4.4 and
  10.3 by tests/readers/frr/test_frr_differential.py).
"""

from __future__ import annotations

import functools

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from podpath.diagnostics import Loc
from podpath.readers.frr.defaults import NEWEST_KNOWN, parse_version
from podpath.readers.frr.model import (
    IPV4_UNICAST,
    IPV6_UNICAST,
    AccessList,
    AfKey,
    AsPathList,
    BgpInstance,
    CommunityList,
    CommunityListEntry,
    FrrConfig,
    Neighbor,
    PrefixList,
    PrefixListEntry,
    Ref,
    RouteMap,
    RouteMapClause,
    RouteMapMatch,
    RouteMapSet,
    communities_str,
    community_str,
    ext_communities_str,
    large_communities_str,
)
from podpath.readers.frr.regex import FrrRegexError, frr_search
from podpath.routing.policy import Direction, PolicyContext, PolicyResult, TraceStep, Verdict
from podpath.routing.route import AsPath, AsPathSegment, IPNetwork, Route

RECURSION_LIMIT = 10  # lib/routemap.c RMAP_RECURSION_LIMIT
UINT32_MAX = 0xFFFFFFFF
LOCAL_ORIGINS = ("network", "redistribute", "aggregate", "default-originate", "local")


# =============================================================================================== list primitives

def prefix_list_apply(pl: PrefixList | None, net: IPNetwork) -> tuple[bool, PrefixListEntry | None, str]:
    """(permitted, deciding entry, why) exactly as FRR's prefix_list_apply: an undefined
    list denies, an empty one permits, otherwise the lowest-sequence matching entry
    decides and no match denies."""
    if pl is None:
        return False, None, "is not defined (FRR: deny)"
    if not pl.entries:
        return True, None, "has no entries (FRR: an empty prefix-list permits)"
    for e in pl.entries:
        if e.matches(net):
            return e.action == "permit", e, f"seq {e.seq} {e.action}s {net} ({e.text})"
    return False, None, f"no entry matches {net} (implicit deny)"


def access_list_apply(al: AccessList | None, net: IPNetwork) -> tuple[bool, object | None, str]:
    if al is None:
        return False, None, "is not defined (FRR: deny)"
    for e in al.entries:
        if e.matches(net):
            return e.action == "permit", e, f"seq {e.seq} {e.action}s {net}"
    return False, None, f"no entry matches {net} (implicit deny)"


def as_path_str(path: AsPath) -> str:
    """The string FRR matches as-path regexes against: `65001 65002 {64512,64513}`."""
    parts = []
    for s in path.segments:
        parts.append("{" + ",".join(str(a) for a in s.asns) + "}" if s.set_ else " ".join(str(a) for a in s.asns))
    return " ".join(p for p in parts if p)


def as_path_list_apply(lst: AsPathList | None, path: AsPath) -> tuple[bool, object | None, str]:
    if lst is None:
        return False, None, "is not defined (FRR: deny)"
    subject = as_path_str(path)
    for e in lst.entries:
        if _search(e.regex, subject):
            return e.action == "permit", e, f"seq {e.seq} {e.action} {e.regex!r} matches {subject!r}"
    return False, None, f"no entry matches {subject!r} (implicit deny)"


def _search(regex: str, subject: str) -> bool:
    try:
        return frr_search(regex, subject)
    except FrrRegexError:  # FRR would have refused the line; the parser reported it
        return False


def frr_version(config: FrrConfig) -> tuple[int, ...]:
    """The FRR version whose semantics apply: the config's `frr version` line (FRR writes
    the running version there), else the newest version podpath knows (as for defaults)."""
    v = parse_version(config.version) or parse_version(NEWEST_KNOWN)
    assert v is not None
    return v


def community_list_match(lst: CommunityList, route: Route, exact: bool = False,
                         version: tuple[int, ...] | None = None) -> tuple[bool, CommunityListEntry | None, str]:
    """FRR's community_list_match / _exact_match (and the large/extended variants):
    entries in sequence order, the first that matches decides; none matches -> False.
    Standard entries: the route carries all the entry's values (exact-match: exactly
    them); `internet` in a standard community entry matches anything. Expanded
    entries: regex over the attribute string, also with exact-match.

    A route without the (large) community attribute: before FRR 10.3 an expanded entry
    is matched against the empty string (`^$` matches); from 10.3 on
    (community_regexp_match / lcommunity_regexp_match return false for an absent or
    empty attribute, commit 004d770ec4) no expanded entry matches it. `version` is the
    FRR version (default: the newest known)."""
    if version is None:
        version = parse_version(NEWEST_KNOWN) or ()
    empty_regex_matches = version < (10, 3)
    kind = lst.kind
    if kind == "community":
        have: frozenset = route.communities
        subject = communities_str(have)
    elif kind == "large-community":
        have = route.large_communities
        subject = large_communities_str(have)
    else:
        have = route.ext_communities
        subject = ext_communities_str(have)
        exact = False  # `match extcommunity` has no exact-match
    for e in lst.entries:
        if e.style == "standard":
            if kind == "community" and (0, 0) in e.values:
                return e.action == "permit", e, f"seq {e.seq} {e.action} `internet` matches every route"
            hit = (have == e.values) if exact else (bool(have) and e.values <= have)
            if hit:
                return e.action == "permit", e, f"seq {e.seq} {e.action} {e.text}" + (" (exact)" if exact else "")
        elif e.regex is not None and (have or empty_regex_matches or kind == "extcommunity") \
                and _search(e.regex, subject):
            return e.action == "permit", e, f"seq {e.seq} {e.action} {e.regex!r} matches {subject!r}"
    if not have and kind != "extcommunity" and not empty_regex_matches and any(
            e.style != "standard" for e in lst.entries):
        return False, None, (f"the route has no {kind} attribute: from FRR 10.3 on no expanded entry matches it "
                             "(not even `^$`)")
    return False, None, f"no entry matches {subject!r}"


def _one_str(kind: str, v: object) -> str:
    if kind == "community":
        return community_str(v)  # type: ignore[arg-type]
    if kind == "large-community":
        a, b, c = v  # type: ignore[misc]
        return f"{a}:{b}:{c}"
    return str(v)


def community_list_delete(lst: CommunityList | None, values: frozenset) -> frozenset:
    """`set comm-list X delete` / `set large-comm-list X delete`: per community value, the
    first entry that contains it (standard) or whose regex matches its string (expanded)
    decides; permit entries delete it."""
    if lst is None or not values:
        return values
    keep = set()
    for v in values:
        remove = False
        for e in lst.entries:
            if e.style == "standard":
                hit = v in e.values or (lst.kind == "community" and (0, 0) in e.values)
            else:
                hit = e.regex is not None and _search(e.regex, _one_str(lst.kind, v))
            if hit:
                remove = e.action == "permit"
                break
        if not remove:
            keep.add(v)
    return frozenset(keep)


# =============================================================================================== route-maps

def _is_private(asn: int) -> bool:
    return 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294


@dataclass
class _Run:
    """State of one evaluation (the trace grows across nested `call`s)."""

    ctx: PolicyContext
    applied_at: str | None
    neighbor: Neighbor | None
    default_local_pref: int
    trace: list[TraceStep] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    depth: int = 0


class RouteMapPolicy:
    """One FRR route-map as a `Policy`.

    `ref` is the statement that uses the map (for undefined maps); `applied_at`
    says where FRR applies it ("neighbor", "network", "redistribute", "aggregate",
    "default-originate", "import-vrf", "table-map") because `match peer local` and the
    verdict for an undefined map depend on it. Left out, it is inferred per route: a
    route without a peer evaluated without a peer address in the context is a local
    origination, anything else a neighbor's path. `neighbor` (effective config) serves
    `match peer IFNAME|GROUP`."""

    def __init__(self, config: FrrConfig, name: str, *, ref: Ref | None = None, applied_at: str | None = None,
                 neighbor: Neighbor | None = None, instance: BgpInstance | None = None) -> None:
        self.config = config
        self.name = name
        self.ref = ref
        self.applied_at = applied_at
        self.neighbor = neighbor
        self.instance = instance
        lp = instance.default_local_pref if instance is not None else None
        self.default_local_pref = lp if lp is not None else 100

    def __repr__(self) -> str:
        return f"RouteMapPolicy({self.name!r})"

    @property
    def route_map(self) -> RouteMap | None:
        return self.config.route_maps.get(self.name)

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        applied_at = self.applied_at or (
            "local" if route.peer is None and ctx.peer_address is None else "neighbor")
        run = _Run(ctx, applied_at, self.neighbor, self.default_local_pref)
        rm = self.route_map
        if rm is None or not rm.clauses:
            loc = self.ref.loc if self.ref else None
            if applied_at == "import-vrf":
                step = TraceStep(loc, f"route-map {self.name} is not defined: `import vrf route-map` then filters "
                                      "nothing (FRR imports every route)", "accept")
                return PolicyResult(Verdict.ACCEPT, route, (step,), step)
            what = {"network": "the network is not originated", "redistribute": "nothing is redistributed",
                    "aggregate": "the aggregate is not created", "local": "the route is not originated"}.get(
                applied_at, "FRR denies every route")
            step = TraceStep(loc, f"route-map {self.name} is not defined: {what}", "reject")
            return PolicyResult(Verdict.REJECT, route, (step,), step)
        permit, out, decided = _apply(self.config, rm, route, run)
        return PolicyResult(Verdict.ACCEPT if permit else Verdict.REJECT, out if permit else route,
                            tuple(run.trace), decided, tuple(run.errors))

    def evaluate_all(self, routes: Iterable[Route], ctx: PolicyContext) -> list[PolicyResult]:
        """Convenience for differential tests: one result per route, in order."""
        return [self.evaluate(r, ctx) for r in routes]


def apply_route_map(config: FrrConfig, name: str, routes: Iterable[Route], ctx: PolicyContext | None = None,
                    **kw: object) -> list[PolicyResult]:
    return RouteMapPolicy(config, name, **kw).evaluate_all(routes, ctx or PolicyContext())  # type: ignore[arg-type]


def _apply(config: FrrConfig, rm: RouteMap, route: Route, run: _Run) -> tuple[bool, Route, TraceStep]:
    """route_map_apply_ext(): returns (permitted, route after sets, deciding step)."""
    trace = run.trace
    if run.depth > RECURSION_LIMIT:
        step = TraceStep(None, f"route-map {rm.name}: call recursion limit ({RECURSION_LIMIT}) reached: FRR discards "
                               "the route", "error")
        trace.append(step)
        run.errors.append(step.text)
        return False, route, step
    clauses = rm.ordered()
    first_phase = rm.optimization  # FRR's prefix-tree selection of the first matching clause
    pending = True
    last_permit: TraceStep | None = None
    i = 0
    n = len(clauses)
    while i < n:
        cl = clauses[i]
        res, steps = _match_clause(config, cl, route, run, first_phase)
        head = f"{cl.text}"
        if res == "noop":
            trace.append(TraceStep(cl.loc, f"{head}: match statements do not apply to this route (skipped)", "no-match"))
            trace.extend(steps)
            i += 1
            continue
        if res == "nomatch":
            trace.append(TraceStep(cl.loc, f"{head}: no match", "no-match"))
            trace.extend(steps)
            pending = False
            i += 1
            continue
        first_phase = False
        if cl.action == "deny":
            step = TraceStep(cl.loc, f"{head}: matches; deny" + ("" if cl.matches else " (no match statements: "
                                                                    "matches every route)"), "reject")
            trace.append(step)
            trace.extend(steps)
            return False, route, step
        clause_step = TraceStep(cl.loc, f"{head}: matches" + ("" if cl.matches else " (no match statements: "
                                                              "matches every route)"), "match")
        trace.append(clause_step)
        trace.extend(steps)
        pending = True
        for s in cl.sets:
            route = _apply_set(config, s, route, run)
        if cl.call is not None:
            called = config.route_maps.get(cl.call.name)
            if called is None or not called.clauses:
                trace.append(TraceStep(cl.call.loc, f"call {cl.call.name}: route-map is not defined; FRR skips the "
                                                    "call", "note"))
            else:
                trace.append(TraceStep(cl.call.loc, f"call {cl.call.name}", "call"))
                run.depth += 1
                ok, route2, dec = _apply(config, called, route, run)
                run.depth -= 1
                trace.append(TraceStep(cl.call.loc, f"return from {cl.call.name}: {'permit' if ok else 'deny'}",
                                       "return"))
                if not ok:
                    return False, route, dec
                route = route2
        if cl.exit_policy is None:
            step = TraceStep(cl.loc, f"{head}: permit", "accept")
            trace.append(step)
            return True, route, step
        last_permit = clause_step
        if cl.exit_policy == "next":
            trace.append(TraceStep(cl.exit_loc, f"{head}: on-match next: evaluation continues (the route is denied "
                                                "unless a later clause matches)", "continue"))
            i += 1
            continue
        target = cl.goto or 0
        j = i + 1
        while j < n and clauses[j].seq < target:
            j += 1
        if j >= n:
            step = TraceStep(cl.exit_loc, f"{head}: on-match goto/continue {target} leaves the route-map: permit",
                             "accept")
            trace.append(step)
            return True, route, step
        trace.append(TraceStep(cl.exit_loc, f"{head}: goto {clauses[j].seq} (the route is denied unless a later "
                                            "clause matches)", "continue"))
        i = j
    if first_phase:  # optimised selection found no clause: FRR denies (even if all were no-ops)
        pending = False
    last = clauses[-1]
    if pending:
        after = f" after {last_permit.text.split(':')[0]}" if last_permit is not None else \
            " (every clause was not applicable)"
        step = TraceStep(last_permit.loc if last_permit else last.loc, f"route-map {rm.name}: end of map{after}: "
                                                                       "permit", "accept")
        trace.append(step)
        return True, route, step
    if last_permit is not None:
        text = (f"route-map {rm.name}: no clause after on-match next/continue matched: FRR denies the route (the "
                "earlier permit is not remembered)")
    else:
        text = f"route-map {rm.name}: no clause matched: implicit deny at the end of the route-map"
    step = TraceStep(last.loc, text, "reject")
    trace.append(step)
    return False, route, step


def _match_clause(config: FrrConfig, cl: RouteMapClause, route: Route, run: _Run,
                  first_phase: bool) -> tuple[str, list[TraceStep]]:
    """route_map_apply_match(): 'match' | 'nomatch' | 'noop', with one step per statement
    evaluated (FRR stops at the first non-match)."""
    if not cl.matches:
        return "match", []
    steps: list[TraceStep] = []
    matched = False
    for m in cl.matches:
        res, why = _match_one(config, m, route, run, first_phase)
        if res == "ignored":
            steps.append(TraceStep(m.loc, f"{m.text}: {why}", "note"))
            continue
        steps.append(TraceStep(m.loc, f"{m.text}: {why}", "match" if res == "match" else "no-match"))
        if res == "nomatch":
            return "nomatch", steps
        if res == "match":
            matched = True
    if matched:
        return "match", steps
    if all(s.effect == "note" for s in steps):  # only statements bgpd does not have
        return "match", steps
    return "noop", steps


def _match_one(config: FrrConfig, m: RouteMapMatch, route: Route, run: _Run, first_phase: bool) -> tuple[str, str]:
    k = m.kind
    v = m.value
    net = route.prefix
    fam = net.version
    if k in ("ip address prefix-list", "ipv6 address prefix-list"):
        lfam = 4 if k.startswith("ip ") else 6
        pl = config.prefix_list(lfam, str(v))
        if pl is None:
            return "nomatch", f"{'ip' if lfam == 4 else 'ipv6'} prefix-list {v} is not defined: no match"
        if first_phase:
            if fam != lfam:
                return "nomatch", (f"an IPv{lfam} prefix-list never matches an IPv{fam} route (FRR's route-map "
                                   "optimisation never selects this clause)")
            if not pl.entries:
                return "nomatch", (f"prefix-list {v} exists but is empty: with route-map optimisation (the default) "
                                   "FRR never selects this clause (`no route-map ... optimization` would match all)")
        ok, _, why = prefix_list_apply(pl, net)
        return ("match" if ok else "nomatch"), f"prefix-list {v} {why}"
    if k in ("ip address", "ipv6 address"):
        lfam = 4 if k == "ip address" else 6
        if fam != lfam:
            return "nomatch", f"IPv{lfam} access-list never matches an IPv{fam} route"
        ok, _, why = access_list_apply(config.access_lists.get((lfam, str(v))), net)
        return ("match" if ok else "nomatch"), f"access-list {v} {why}"
    if k in ("ip next-hop prefix-list", "ipv6 next-hop prefix-list", "ip next-hop", "ipv6 next-hop"):
        lfam = 4 if k.startswith("ip ") else 6
        if fam != lfam:
            return "nomatch", f"only applies to IPv{lfam} routes"
        hops = [route.next_hop or (ipaddress.IPv4Address(0) if lfam == 4 else ipaddress.IPv6Address(0))]
        if lfam == 6 and route.next_hop_ll is not None and k.endswith("prefix-list"):
            hops.append(route.next_hop_ll)
        for h in hops:
            host = ipaddress.ip_network(f"{h}/{h.max_prefixlen}")
            if k.endswith("prefix-list"):
                ok, _, why = prefix_list_apply(config.prefix_list(lfam, str(v)), host)
            else:
                ok, _, why = access_list_apply(config.access_lists.get((lfam, str(v))), host)
            if ok:
                return "match", f"next hop {h}: {why}"
        return "nomatch", f"next hop {hops[0]}: {why}"
    if k in ("ip next-hop address", "ipv6 next-hop address"):
        ok = route.next_hop == v or (k.startswith("ipv6") and route.next_hop_ll == v)
        return ("match" if ok else "nomatch"), f"next hop is {route.next_hop}"
    if k in ("ip next-hop type", "ipv6 next-hop type"):
        if k.startswith("ip ") and fam != 4:
            return "nomatch", "only applies to IPv4 routes"
        ok = (route.next_hop is None or route.next_hop.is_unspecified) and route.ifname is None
        return ("match" if ok else "nomatch"), "next hop is " + ("unset (blackhole)" if ok else str(route.next_hop))
    if k in ("community", "large-community", "extcommunity"):
        name, exact = v if isinstance(v, tuple) else (v, False)
        master = {"community": config.community_lists, "large-community": config.large_community_lists,
                  "extcommunity": config.ext_community_lists}[k]
        lst = master.get(name)
        if lst is None:
            return "nomatch", f"{k}-list {name} is not defined: no match"
        ok, _, why = community_list_match(lst, route, exact, frr_version(config))
        return ("match" if ok else "nomatch"), f"{k}-list {name}: {why}"
    if k == "as-path":
        lst2 = config.as_path_lists.get(str(v))
        if lst2 is None:
            return "nomatch", f"as-path access-list {v} is not defined: no match"
        ok, _, why = as_path_list_apply(lst2, route.as_path)
        return ("match" if ok else "nomatch"), f"as-path access-list {v}: {why}"
    if k == "metric":
        med = route.med or 0
        return ("match" if med == v else "nomatch"), f"MED is {med}"
    if k == "tag":
        tag = route.tag or 0
        return ("match" if tag == v else "nomatch"), f"tag is {tag}"
    if k == "local-preference":
        lp = _raw_local_pref(route, run)
        return ("match" if lp == v else "nomatch"), f"local-preference is {lp}"
    if k == "origin":
        return ("match" if route.origin == v else "nomatch"), f"origin is {route.origin.value}"
    if k == "peer":
        return _match_peer(v, route, run)
    if k == "ip route-source" or k == "ip route-source prefix-list":
        peer = run.ctx.peer_address if run.applied_at == "neighbor" else None
        if fam != 4 or peer is None or peer.version != 4:
            return "nomatch", "route source is not an IPv4 peer"
        host = ipaddress.ip_network(f"{peer}/32")
        if k.endswith("prefix-list"):
            ok, _, why = prefix_list_apply(config.prefix_list(4, str(v)), host)
        else:
            ok, _, why = access_list_apply(config.access_lists.get((4, str(v))), host)
        return ("match" if ok else "nomatch"), f"peer {peer}: {why}"
    if k == "interface":
        ok = route.ifname == v
        return ("match" if ok else "nomatch"), f"next-hop interface is {route.ifname}"
    if k == "source-vrf":
        src = dict(route.extra).get("source_vrf")
        return ("match" if src == v else "nomatch"), f"source VRF is {src or 'none (not a leaked route)'}"
    if k in ("ip address prefix-len", "ipv6 address prefix-len", "source-protocol"):
        return "ignored", "zebra-only match: bgpd does not have it and evaluates the clause without it"
    if k == "evpn vni":
        return "noop", "EVPN match does not apply to this route (FRR: no-op)"
    if k.startswith("evpn") or k == "mac address":
        return "nomatch", "EVPN match never matches a unicast route"
    if k in ("community-limit", "extcommunity-limit"):
        cnt = len(route.communities) if k == "community-limit" else len(route.ext_communities)
        return ("match" if cnt <= int(v) else "nomatch"), f"{cnt} communities"  # type: ignore[call-overload]
    run.errors.append(f"{m.loc}: `{m.text}` is not modelled; treated as no match")
    return "nomatch", "not modelled by podpath: treated as no match"


def _match_peer(v: object, route: Route, run: _Run) -> tuple[str, str]:
    local = run.applied_at in LOCAL_ORIGINS
    if v == "local":
        return ("match" if local else "nomatch"), ("locally originated route" if local else
                                                   "route-map not applied to a network/redistribute/aggregate")
    if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        peer = None if local else run.ctx.peer_address
        return ("match" if peer == v else "nomatch"), f"peer is {peer or 'local'}"
    n = run.neighbor
    if n is None:
        return "nomatch", "peer interface/group unknown in this context: no match"
    # FRR 8.4 requires the peer to be an interface neighbor *and* a peer-group member.
    ok = n.kind == "interface" and n.peer_group is not None and (n.name == v or n.peer_group == v)
    return ("match" if ok else "nomatch"), f"peer {n.name} (group {n.peer_group})"


def _raw_local_pref(route: Route, run: _Run) -> int:
    """The value FRR's attr holds: received without LOCAL_PREF -> 0 (eBGP), locally
    originated -> the default local preference."""
    if route.local_pref is not None:
        return route.local_pref
    return run.default_local_pref if route.peer is None else 0


def _adjust(op: str, value: int, current: int) -> int:
    if op == "+":
        return min(UINT32_MAX, current + value)
    if op == "-":
        return max(0, current - value)
    return value


def _apply_set(config: FrrConfig, s: RouteMapSet, route: Route, run: _Run) -> Route:
    k = s.kind
    v = s.value
    trace = run.trace

    def note(text: str, effect: str = "set") -> None:
        trace.append(TraceStep(s.loc, f"{s.text}: {text}", effect))

    if k == "local-preference":
        op, num = v  # type: ignore[misc]
        cur = _raw_local_pref(route, run)
        route = route.replace(local_pref=_adjust(op, num, cur))
        note(f"local-preference {route.local_pref}")
    elif k == "metric":
        op, num = v  # type: ignore[misc]
        if num == "rtt":
            note("RTT-based metric is not modelled; MED unchanged", "note")
            run.errors.append(f"{s.loc}: `{s.text}` not modelled")
            return route
        route = route.replace(med=_adjust(op, num, route.med or 0))
        note(f"MED {route.med}")
    elif k == "weight":
        route = route.replace(weight=v)
        note(f"weight {v}")
    elif k == "origin":
        route = route.replace(origin=v)
        note(f"origin {route.origin.value}")
    elif k == "tag":
        route = route.replace(tag=v)
        note(f"tag {v}")
    elif k == "distance":
        route = route.replace(preference=v)
        note(f"administrative distance {v}")
    elif k in ("community", "large-community"):
        mode, vals, _ = v  # type: ignore[misc]
        attr = "communities" if k == "community" else "large_communities"
        cur = getattr(route, attr)
        new = frozenset() if mode == "none" else (cur | vals if mode == "additive" else vals)
        route = route.replace(**{attr: new})
        shown = communities_str(new) if k == "community" else large_communities_str(new)
        note(f"{k} now {shown or 'empty'}")
    elif k in ("comm-list delete", "large-comm-list delete"):
        kind = "community" if k.startswith("comm-") else "large-community"
        attr = "communities" if kind == "community" else "large_communities"
        master = config.community_lists if kind == "community" else config.large_community_lists
        lst = master.get(str(v))
        new = community_list_delete(lst, getattr(route, attr))
        route = route.replace(**{attr: new})
        if lst is None:
            note(f"{kind}-list {v} is not defined: nothing deleted")
        else:
            shown = communities_str(new) if kind == "community" else large_communities_str(new)
            note(f"{kind} now {shown or 'empty'}")
    elif k in ("extcommunity rt", "extcommunity soo"):
        route = route.replace(ext_communities=route.ext_communities | v)  # FRR: always additive
        note(f"extended communities now {ext_communities_str(route.ext_communities)}")
    elif k == "extcommunity none":
        route = route.replace(ext_communities=frozenset())
        note("extended communities removed")
    elif k == "as-path prepend":
        how, arg = v  # type: ignore[misc]
        if how == "last-as":
            left = _leftmost(route.as_path)
            if left is None:
                note("AS path is empty: nothing to repeat", "note")
                return route
            route = route.replace(as_path=route.as_path.prepend(*([left] * arg)))
        else:
            route = route.replace(as_path=route.as_path.prepend(*arg))
        note(f"AS path {route.as_path}")
    elif k == "as-path exclude":
        if v and isinstance(v[0], str):  # type: ignore[index]
            note("`exclude all` / `as-path-access-list` forms are not modelled", "note")
            run.errors.append(f"{s.loc}: `{s.text}` not modelled")
            return route
        route = route.replace(as_path=_exclude(route.as_path, set(v)))  # type: ignore[arg-type]
        note(f"AS path {route.as_path}")
    elif k == "as-path replace":
        what, repl = v  # type: ignore[misc]
        if run.ctx.ibgp:
            note("only applies to eBGP peers (FRR: no-op)", "note")
            return route
        own = repl or run.ctx.local_as
        if own is None:
            note("local AS unknown in this context: not applied", "note")
            return route
        route = route.replace(as_path=AsPath(tuple(AsPathSegment(tuple(
            own if (what == "any" or a == int(what)) else a for a in seg.asns), seg.set_)
            for seg in route.as_path.segments)))
        note(f"AS path {route.as_path}")
    elif k == "ip next-hop":
        if route.family != 4:
            note("IPv4 next hop of an IPv6 route: no effect", "note")
            return route
        route = _set_nexthop(route, v, run, s, note)
    elif k == "ipv6 next-hop global":
        route = route.replace(next_hop=v)
        note(f"global next hop {v}")
    elif k == "ipv6 next-hop local":
        route = route.replace(next_hop_ll=v)
        note(f"link-local next hop {v}")
    elif k == "ipv6 next-hop peer-address":
        if route.family != 6:
            note("no effect on an IPv4 route", "note")
            return route
        route = _set_nexthop(route, "peer-address", run, s, note)
    elif k == "ipv6 next-hop prefer-global":
        route = _extra(route, "frr.nexthop_prefer_global", "1")
        note("zebra installs via the global next hop")
    elif k == "atomic-aggregate":
        route = route.replace(atomic_aggregate=True)
        note("ATOMIC_AGGREGATE set")
    elif k == "originator-id":
        route = route.replace(originator_id=v)
        note(f"ORIGINATOR_ID {v}")
    elif k == "aggregator as":
        asn, addr = v  # type: ignore[misc]
        route = _extra(route, "frr.aggregator", f"{asn} {addr}")
        note("AGGREGATOR recorded")
    elif k == "src":
        note("zebra-only set: bgpd ignores it", "note")
    else:
        note("not modelled: the attribute is left unchanged", "note")
        run.errors.append(f"{s.loc}: `{s.text}` not modelled")
    return route


def _set_nexthop(route: Route, v: object, run: _Run, s: RouteMapSet, note) -> Route:  # type: ignore[no-untyped-def]
    if v == "unchanged":
        note("next hop left unchanged towards the peer")
        return _extra(route, "frr.nexthop_unchanged", "1")
    if v == "peer-address":
        out = run.ctx.direction is Direction.EXPORT and run.applied_at == "neighbor"
        addr = run.ctx.local_address if out else run.ctx.peer_address
        if addr is None or addr.version != route.family:
            note("peer address unknown in this context: next hop unchanged", "note")
            return route
        if addr.version == 6 and addr.is_link_local:
            route = route.replace(next_hop_ll=addr)
        else:
            route = route.replace(next_hop=addr)
        note(f"next hop {addr} ({'our address on the session' if out else 'the peer'})")
        return route
    route = route.replace(next_hop=v)
    note(f"next hop {v}")
    return route


def _extra(route: Route, key: str, value: str) -> Route:
    return route.replace(extra=tuple(x for x in route.extra if x[0] != key) + ((key, value),))


def _leftmost(path: AsPath) -> int | None:
    if path.segments and not path.segments[0].set_ and path.segments[0].asns:
        return path.segments[0].asns[0]
    return None


def _exclude(path: AsPath, asns: set[int]) -> AsPath:
    segs = []
    for seg in path.segments:
        kept = tuple(a for a in seg.asns if a not in asns)
        if kept:
            segs.append(AsPathSegment(kept, seg.set_))
    return AsPath(tuple(segs))


# =============================================================================================== simple list policies

class PrefixListPolicy:
    """`neighbor X prefix-list NAME in|out` (also usable on its own)."""

    def __init__(self, config: FrrConfig, family: int, name: str, ref: Ref | None = None) -> None:
        self.config, self.family, self.name, self.ref = config, family, name, ref

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        kw = "ip" if self.family == 4 else "ipv6"
        pl = self.config.prefix_list(self.family, self.name)
        if pl is not None and route.family != self.family and pl.entries:
            ok, entry, why = False, None, f"an IPv{self.family} list never matches an IPv{route.family} route"
        else:
            ok, entry, why = prefix_list_apply(pl, route.prefix)
        loc = entry.loc if entry is not None else (self.ref.loc if self.ref else (pl.loc if pl else None))
        step = TraceStep(loc, f"{kw} prefix-list {self.name} {why}", "accept" if ok else "reject")
        return PolicyResult(Verdict.ACCEPT if ok else Verdict.REJECT, route, (step,), step)


class AccessListPolicy:
    """`neighbor X distribute-list NAME in|out`."""

    def __init__(self, config: FrrConfig, name: str, ref: Ref | None = None) -> None:
        self.config, self.name, self.ref = config, name, ref

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        al = self.config.access_lists.get((route.family, self.name))
        ok, entry, why = access_list_apply(al, route.prefix)
        loc = getattr(entry, "loc", None) or (self.ref.loc if self.ref else None)
        step = TraceStep(loc, f"access-list {self.name} {why}", "accept" if ok else "reject")
        return PolicyResult(Verdict.ACCEPT if ok else Verdict.REJECT, route, (step,), step)


class AsPathListPolicy:
    """`neighbor X filter-list NAME in|out`."""

    def __init__(self, config: FrrConfig, name: str, ref: Ref | None = None) -> None:
        self.config, self.name, self.ref = config, name, ref

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        ok, entry, why = as_path_list_apply(self.config.as_path_lists.get(self.name), route.as_path)
        loc = getattr(entry, "loc", None) or (self.ref.loc if self.ref else None)
        step = TraceStep(loc, f"as-path access-list {self.name}: {why}", "accept" if ok else "reject")
        return PolicyResult(Verdict.ACCEPT if ok else Verdict.REJECT, route, (step,), step)


class CommunityListPolicy:
    """A (large/extended) community list used on its own: permit when the list permits."""

    def __init__(self, config: FrrConfig, kind: str, name: str, exact: bool = False) -> None:
        self.config, self.kind, self.name, self.exact = config, kind, name, exact

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        master = {"community": self.config.community_lists, "large-community": self.config.large_community_lists,
                  "extcommunity": self.config.ext_community_lists}[self.kind]
        lst = master.get(self.name)
        if lst is None:
            step = TraceStep(None, f"{self.kind}-list {self.name} is not defined: no match", "reject")
            return PolicyResult(Verdict.REJECT, route, (step,), step)
        ok, entry, why = community_list_match(lst, route, self.exact, frr_version(self.config))
        step = TraceStep(entry.loc if entry else lst.loc, f"{self.kind}-list {self.name}: {why}",
                         "accept" if ok else "reject")
        return PolicyResult(Verdict.ACCEPT if ok else Verdict.REJECT, route, (step,), step)


# =============================================================================================== neighbor chains

def _af_key(afi: int | str | AfKey) -> AfKey:
    if isinstance(afi, AfKey):
        return afi
    if afi in (4, "4", "ipv4", "ipv4 unicast"):
        return IPV4_UNICAST
    if afi in (6, "6", "ipv6", "ipv6 unicast"):
        return IPV6_UNICAST
    raise ValueError(f"unknown address family {afi!r}")


class NeighborPolicy:
    """The filters FRR applies to one neighbor (or peer-group, or a dynamic peer of a
    listen range) in one direction and address family, in FRR's order:

    inbound (reference 1.1): neighbor `weight`, distribute-list, prefix-list,
    filter-list, `ebgp-requires-policy`, route-map.
    outbound (1.7): distribute-list, prefix-list, filter-list, remove-private-AS,
    as-override, route-map, `ebgp-requires-policy`, send-community stripping.

    Session checks (AS loop, allowas-in, originator/cluster, next hops, split horizon)
    belong to the simulator (routing.daemons), not here."""

    def __init__(self, config: FrrConfig, instance: BgpInstance, neighbor: Neighbor, af: AfKey,
                 direction: Direction) -> None:
        self.config = config
        self.instance = instance
        self.neighbor = neighbor  # effective (peer-group settings merged)
        self.af = af
        self.direction = direction
        d = "in" if direction is Direction.IMPORT else "out"
        self.name = f"neighbor {neighbor.name} {af} {d}"
        a = neighbor.afs.get(af)
        self.settings = a
        self.route_map = getattr(a, f"route_map_{d}", None) if a else None
        self.prefix_list = getattr(a, f"prefix_list_{d}", None) if a else None
        self.filter_list = getattr(a, f"filter_list_{d}", None) if a else None
        self.distribute_list = getattr(a, f"distribute_list_{d}", None) if a else None

    def __repr__(self) -> str:
        return f"NeighborPolicy({self.name!r})"

    @functools.cached_property
    def context_free(self) -> bool:
        """True when the result cannot depend on which peer of the neighbor's group it is
        evaluated for (the simulator then computes it once for the group): no remove-private-AS
        or as-override (they read the peer's AS), and no route-map clause, in the map or in one it
        calls, that reads the peer's address or the local AS (`match peer`, `match ip
        route-source`, `set ... peer-address`, `set as-path replace`)."""
        a = self.settings
        if a is not None and (a.remove_private_as or a.as_override):
            return False
        return not any(any(m.kind in ("peer", "ip route-source", "ip route-source prefix-list") for m in cl.matches)
                       or any("peer-address" in s.text or s.kind == "as-path replace" for s in cl.sets)
                       for cl in self._clauses())

    @functools.cached_property
    def keeps_as_path(self) -> bool:
        """True when no route leaves this policy with an AS taken out of its AS path: no
        remove-private-AS or as-override, and no route-map clause, in the map or in one it
        calls, with `set as-path exclude` or `set as-path replace`. A receiver whose own AS is in
        the path then refuses it whatever the policy does (routing.sim: it is not offered)."""
        a = self.settings
        if a is not None and (a.remove_private_as or a.as_override):
            return False
        return not any(s.kind in ("as-path exclude", "as-path replace") for cl in self._clauses() for s in cl.sets)

    def _clauses(self) -> Iterator[Any]:
        """Every clause of the neighbor's route-map and of the maps its clauses `call`, each map once."""
        seen: set[str] = set()
        todo = [self.route_map.name] if self.route_map is not None else []
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            rm = self.config.route_maps.get(name)
            for cl in rm.clauses.values() if rm is not None else ():
                yield cl
                if cl.call is not None:
                    todo.append(cl.call.name)

    @functools.cached_property
    def key(self) -> object:
        """A structural key (routing.policy.policy_key): equal for policies that evaluate every
        route alike. For an inbound policy with no filter configured, what `evaluate` then reads
        (the weight, `ebgp-requires-policy`, whether the session is eBGP), so neighbors of
        different routers with nothing configured share imports; otherwise the filters, lists
        and settings it reads, locations aside (readers.frr.structure); None (identity) when
        they hold a value that cannot be compared."""
        if self.direction is Direction.IMPORT and not self.named:
            n, inst, a = self.neighbor, self.instance, self.settings
            return ("frr-neighbor-in", str(self.af), a.weight if a is not None else None, self.ebgp_requires_policy(),
                    n.remote_as_mode, n.remote_as, n.local_as, inst.asn)
        from podpath.readers.frr.structure import neighbor_policy_key

        return neighbor_policy_key(self)

    @functools.cached_property
    def denies_all(self) -> bool:
        """True when `evaluate` rejects every route in every context: the route-map is not
        defined (FRR then denies every route on a neighbor), or its first clause is a `deny`
        without match statements. The simulator then need not offer anything (routing.sim)."""
        if self.route_map is None:
            return False
        rm = self.config.route_maps.get(self.route_map.name)
        if rm is None or not rm.clauses:
            return True
        first = rm.ordered()[0]
        return first.action == "deny" and not first.matches

    @property
    def named(self) -> bool:
        """A policy *name* is configured (all `ebgp-requires-policy` looks at)."""
        return any((self.route_map, self.prefix_list, self.filter_list, self.distribute_list))

    @property
    def loc(self) -> Loc | None:
        for r in (self.route_map, self.prefix_list, self.filter_list, self.distribute_list):
            if r is not None:
                return r.loc
        return self.neighbor.loc

    def ebgp_requires_policy(self) -> tuple[bool, str]:
        inst = self.instance
        if inst.ebgp_requires_policy is not None:
            return inst.ebgp_requires_policy, f"`{'' if inst.ebgp_requires_policy else 'no '}bgp ebgp-requires-policy`"
        d = self.config.defaults()
        return d.ebgp_requires_policy, f"default of {d.note()}"

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        trace: list[TraceStep] = []
        errors: list[str] = []
        inbound = self.direction is Direction.IMPORT
        a = self.settings
        cfg = self.config

        def stop(res: PolicyResult) -> PolicyResult:
            trace.extend(res.trace)
            return PolicyResult(Verdict.REJECT, route, tuple(trace), res.decided_by, tuple(errors) + res.errors)

        if inbound and a is not None and a.weight is not None:
            route = route.replace(weight=a.weight)
            trace.append(TraceStep(a.locs.get("weight"), f"neighbor {self.neighbor.name} weight {a.weight}", "set"))
        if self.distribute_list is not None:
            r = AccessListPolicy(cfg, self.distribute_list.name, self.distribute_list).evaluate(route, ctx)
            if not r.accepted:
                return stop(r)
            trace.extend(r.trace)
        if self.prefix_list is not None:
            r = PrefixListPolicy(cfg, route.family, self.prefix_list.name, self.prefix_list).evaluate(route, ctx)
            if not r.accepted:
                return stop(r)
            trace.extend(r.trace)
        if self.filter_list is not None:
            r = AsPathListPolicy(cfg, self.filter_list.name, self.filter_list).evaluate(route, ctx)
            if not r.accepted:
                return stop(r)
            trace.extend(r.trace)
        ebgp = (not ctx.ibgp) if ctx.ibgp is not None else self.instance.is_ebgp(self.neighbor, ctx.peer_as)
        if inbound:
            res = self._requires_policy(route, ebgp, trace, errors)
            if res is not None:
                return res
        else:
            route = self._outbound_as_path(route, ebgp, ctx, trace)
        decided: TraceStep | None = trace[-1] if trace else None
        if self.route_map is not None:
            rmp = RouteMapPolicy(cfg, self.route_map.name, ref=self.route_map, applied_at="neighbor",
                                 neighbor=self.neighbor, instance=self.instance)
            trace.append(TraceStep(self.route_map.loc, f"{self.name}: route-map {self.route_map.name}", "call"))
            r = rmp.evaluate(route, ctx)
            if not r.accepted:
                return stop(r)
            trace.extend(r.trace)
            errors.extend(r.errors)
            route = r.route
            decided = r.decided_by
        if not inbound:
            res = self._requires_policy(route, ebgp, trace, errors)
            if res is not None:
                return res
            route = self._strip_communities(route, trace)
        if decided is None:
            decided = TraceStep(self.neighbor.loc, f"{self.name}: no filter configured: accepted", "accept")
            trace.append(decided)
        return PolicyResult(Verdict.ACCEPT, route, tuple(trace), decided, tuple(errors))

    def _requires_policy(self, route: Route, ebgp: bool | None, trace: list[TraceStep],
                         errors: list[str]) -> PolicyResult | None:
        if self.named or ebgp is False:
            return None
        on, why = self.ebgp_requires_policy()
        if not on:
            return None
        if ebgp is None:
            errors.append(f"{self.name}: session type unknown (remote-as external/auto?); assumed eBGP")
        d = "inbound" if self.direction is Direction.IMPORT else "outbound"
        step = TraceStep(self.neighbor.loc, f"{self.name}: eBGP session without any {d} policy and "
                                            f"`bgp ebgp-requires-policy` is on ({why}): FRR "
                                            f"{'accepts' if d == 'inbound' else 'sends'} nothing (shown as (Policy))",
                         "reject")
        trace.append(step)
        return PolicyResult(Verdict.REJECT, route, tuple(trace), step, tuple(errors))

    def _outbound_as_path(self, route: Route, ebgp: bool | None, ctx: PolicyContext, trace: list[TraceStep]) -> Route:
        a = self.settings
        if a is None or not ebgp:
            return route
        peer_as = ctx.peer_as or self.neighbor.remote_as
        local_as = self.instance.asn  # FRR uses the instance AS here, not `local-as`
        rpa = a.remove_private_as
        if rpa and rpa != "":
            path = route.as_path
            replace = "replace-AS" in rpa
            everything = "all" in rpa
            all_private = all(_is_private(x) for x in path.asns()) and path.asns()
            if everything or all_private:
                segs = []
                for seg in path.segments:
                    asns = tuple((local_as if replace else None) if _is_private(x) and x != peer_as else x
                                 for x in seg.asns)
                    asns = tuple(x for x in asns if x is not None)
                    if asns:
                        segs.append(AsPathSegment(asns, seg.set_))
                new = AsPath(tuple(segs))
                if new != path:
                    route = route.replace(as_path=new)
                    trace.append(TraceStep(a.locs.get("remove_private_as"), f"remove-private-AS {rpa}: AS path "
                                                                           f"{path} -> {new}", "set"))
        if a.as_override and peer_as:
            path = route.as_path
            new = AsPath(tuple(AsPathSegment(tuple(local_as if x == peer_as else x for x in seg.asns), seg.set_)
                               for seg in path.segments))
            if new != path:
                route = route.replace(as_path=new)
                trace.append(TraceStep(a.locs.get("as_override"), f"as-override: AS path {path} -> {new}", "set"))
        return route

    def _strip_communities(self, route: Route, trace: list[TraceStep]) -> Route:
        a = self.settings
        if a is None:
            return route
        for f, attr, what in (("send_community", "communities", "standard"),
                              ("send_community_large", "large_communities", "large"),
                              ("send_community_extended", "ext_communities", "extended")):
            if getattr(a, f) is False and getattr(route, attr):
                route = route.replace(**{attr: frozenset()})
                trace.append(TraceStep(a.locs.get(f), f"no neighbor {self.neighbor.name} send-community {what}: "
                                                      f"{what} communities are not sent", "set"))
        return route


def _resolve(config: FrrConfig, vrf: str | None, neighbor_or_group: str) -> tuple[BgpInstance, Neighbor]:
    inst = config.instance(vrf)
    if inst is None:
        raise KeyError(f"no `router bgp` for VRF {vrf or 'default'} in {config.file}")
    return inst, inst.effective(neighbor_or_group)


def neighbor_inbound(config: FrrConfig, vrf: str | None, neighbor_or_group: str,
                     afi: int | str | AfKey = 6) -> NeighborPolicy:
    """FRR's inbound filter chain for one neighbor, peer-group or dynamic peer (an address
    inside a `bgp listen range`). `evaluate(route, ctx)` gives the combined PolicyResult."""
    inst, n = _resolve(config, vrf, neighbor_or_group)
    return NeighborPolicy(config, inst, n, _af_key(afi), Direction.IMPORT)


def neighbor_outbound(config: FrrConfig, vrf: str | None, neighbor_or_group: str,
                      afi: int | str | AfKey = 6) -> NeighborPolicy:
    inst, n = _resolve(config, vrf, neighbor_or_group)
    return NeighborPolicy(config, inst, n, _af_key(afi), Direction.EXPORT)


def import_vrf_policy(config: FrrConfig, vrf: str | None, afi: int | str | AfKey = 6) -> RouteMapPolicy | None:
    """`import vrf route-map NAME` of an instance (None when not configured). An
    undefined map imports everything."""
    inst = config.instance(vrf)
    if inst is None:
        return None
    af = inst.afs.get(_af_key(afi))
    if af is None or af.import_vrf_route_map is None:
        return None
    ref = af.import_vrf_route_map
    return RouteMapPolicy(config, ref.name, ref=ref, applied_at="import-vrf", instance=inst)
