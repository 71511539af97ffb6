"""PolicyCache shares a policy's result between routes equal on the fields it read: every
result must be the one evaluating the policy on that very route gives (verdict, route with
every field, trace, decided_by, errors), whatever order the routes come in."""

from __future__ import annotations

import ipaddress
import itertools

from podpath.diagnostics import Diagnostics
from podpath.readers.bird import parse_bird
from podpath.readers.bird.interp import BirdFilterPolicy
from podpath.readers.frr.parser import parse_frr
from podpath.readers.frr.policy import neighbor_outbound
from podpath.routing.daemons import PolicyCache
from podpath.routing.policy import Direction, PolicyContext, PolicyResult, TraceStep, Verdict
from podpath.routing.route import AsPath, Protocol, ReadTracked, Route

BIRD = """
router id 10.0.0.1;
filter branchy {
  if net ~ [ 10.64.0.0/10{24,24} ] then {
    if bgp_path.len > 2 then reject;
    bgp_large_community.add((65000, 0, 1));
    accept;
  }
  if proto = "tor4" then { bgp_local_pref = 100; accept; }
  reject;
}
filter med_from_path {
  bgp_med = bgp_path.len * 10;
  if bgp_med > 20 then { print "long path ", bgp_path; }
  accept;
}
filter kernel_like {
  if proto ~ "tor*" then accept;
  reject;
}
"""

FRR = """
frr version 10.3
frr defaults traditional
router bgp 65001
 neighbor 10.0.0.2 remote-as 65002
 neighbor 10.0.0.3 remote-as 65003
 neighbor 10.0.0.4 remote-as 65004
 address-family ipv4 unicast
  neighbor 10.0.0.2 route-map ALLOW out
  neighbor 10.0.0.3 route-map TAG out
  neighbor 10.0.0.4 route-map STRIP out
 exit-address-family
exit
bgp community-list standard C1 permit 65000:1
route-map ALLOW permit 10
exit
route-map TAG permit 10
 match community C1
 set local-preference 200
 set as-path prepend 65001 65001
exit
route-map TAG permit 20
 set metric 5
exit
route-map STRIP permit 10
 set as-path exclude 65009
exit
"""

N = ipaddress.ip_network
A = ipaddress.ip_address


def routes() -> list[Route]:
    out = []
    for prefix, path, comms, lp, proto in itertools.product(
            ("10.64.1.0/24", "10.64.2.0/24", "10.1.0.0/16"),
            ((65002,), (65002, 65003, 65004), (65009, 65002)),
            (frozenset(), frozenset({(65000, 1)})),
            (None, 100, 200),
            ("tor4", "cilium4")):
        out.append(Route(N(prefix), next_hop=A("10.0.0.2"), as_path=AsPath.of(*path), communities=comms,
                         local_pref=lp, source_name=proto, peer=A("10.0.0.2")))
    # the same routes again, as other objects and with another next hop: shared results
    out += [r.replace(next_hop=A("10.0.0.9")) for r in out]
    return out


def same(a: PolicyResult, b: PolicyResult) -> None:
    assert a.verdict is b.verdict
    assert a.route == b.route and a.route.extra == b.route.extra
    assert a.trace == b.trace and a.decided_by == b.decided_by and a.errors == b.errors


def check(policy: object, ctx: PolicyContext) -> PolicyCache:
    cache = PolicyCache()
    rs = routes()
    for r in rs + rs[::-1]:  # and in the other order, now from the cache
        same(cache.apply(policy, r, ctx), policy.evaluate(r, ctx))  # type: ignore[attr-defined]
    return cache


def test_bird_filters_give_the_results_of_evaluation() -> None:
    diags = Diagnostics()
    cfg = parse_bird(BIRD, "bird.conf", diags)
    assert not [d for d in diags if d.level == "error"], [str(d) for d in diags]
    for name in ("branchy", "med_from_path", "kernel_like"):
        check(BirdFilterPolicy(cfg, cfg.filters[name]), PolicyContext(Direction.IMPORT))
    # The kernel-like filter reads the protocol name only: two evaluations serve every route.
    cache = check(BirdFilterPolicy(cfg, cfg.filters["kernel_like"]), PolicyContext(Direction.EXPORT))
    assert cache.misses == 2


def test_frr_route_maps_give_the_results_of_evaluation() -> None:
    cfg = parse_frr(FRR, "frr.conf", Diagnostics())
    ctx = PolicyContext(Direction.EXPORT, local_as=65001, peer_as=65002, ibgp=False)
    for peer in ("10.0.0.2", "10.0.0.3", "10.0.0.4"):
        check(neighbor_outbound(cfg, None, peer, 4), ctx)
    cache = check(neighbor_outbound(cfg, None, "10.0.0.2", 4), ctx)
    assert cache.misses <= 2  # `permit 10` alone: one evaluation (a second if communities are read)


def test_keeps_as_path() -> None:
    cfg = parse_frr(FRR, "frr.conf", Diagnostics())
    assert neighbor_outbound(cfg, None, "10.0.0.2", 4).keeps_as_path
    assert neighbor_outbound(cfg, None, "10.0.0.3", 4).keeps_as_path  # prepends only
    assert not neighbor_outbound(cfg, None, "10.0.0.4", 4).keeps_as_path  # `set as-path exclude`


class _Awkward:
    """Sets the MED on a copy it drops, sets LOCAL_PREF to 100 whatever it was, and returns
    a route it made itself for one prefix."""

    name = "awkward"
    context_free = True

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        route.replace(med=7)  # dropped
        step = TraceStep(None, "awkward", "accept")
        if route.prefix == N("10.1.0.0/16"):
            return PolicyResult(Verdict.ACCEPT, Route(route.prefix, local_pref=1), (step,), step)
        return PolicyResult(Verdict.ACCEPT, route.replace(local_pref=100), (step,), step)


def test_awkward_policy() -> None:
    rs = [r.replace(med=m) for r in routes() for m in (None, 3)]
    cache = PolicyCache()
    p = _Awkward()
    for r in rs + rs[::-1]:
        same(cache.apply(p, r, PolicyContext()), p.evaluate(r, PolicyContext()))


def test_read_tracked_route() -> None:
    r = Route(N("10.64.1.0/24"), protocol=Protocol.BGP, local_pref=5)
    t = ReadTracked.of(r)
    assert t.family == 4 and t.local_pref == 5
    u = t.replace(med=1)
    assert u.as_path == AsPath()
    reads, writes = t.__dict__["_rw"]
    assert reads == {"family", "local_pref", "as_path"} and writes == {"med"}
    p = u.plain()  # type: ignore[attr-defined]
    assert p.__class__ is Route and p == r.replace(med=1) and hash(p) == hash(r.replace(med=1))
    assert t == r and reads >= {"prefix", "next_hop"}  # comparing reads everything
