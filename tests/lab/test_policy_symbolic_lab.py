"""Symbolic answers against the real daemons: the example routes of every path of a route-map, and random
routes, are fed to FRR (lab/probe.py); what FRR accepts must be what the symbolic model says."""

from __future__ import annotations

import ipaddress
import random

import pytest

from podpath.diagnostics import Diagnostics
from podpath.lab.probe import probe_frr_policy
from podpath.lab.rootfs import DaemonGeneration
from podpath.readers.frr.parser import parse_frr
from podpath.readers.frr.policy import RouteMapPolicy
from podpath.routing.policy import Direction, PolicyContext
from podpath.routing.route import AsPath, Route
from podpath.routing.symbolic import PERMIT, Space, compile_policy, examples

POLICY = """\
ipv6 prefix-list PODS seq 5 permit fd00:101:224::/60 le 64
ipv6 prefix-list TENANT seq 20 permit fd00:101::/48 le 128
bgp large-community-list standard INTERNAL seq 5 permit 4200001000:0:100
bgp community-list standard TAGGED seq 5 permit 65000:666
route-map RM permit 5
 match ipv6 address prefix-list PODS
 match large-community INTERNAL
exit
route-map RM deny 6
 match ipv6 address prefix-list PODS
exit
route-map RM permit 8
 match ipv6 address prefix-list TENANT
 set community 65000:666 additive
 on-match next
exit
route-map RM deny 9
 match community TAGGED
 match ipv6 address prefix-list PODS
exit
route-map RM permit 10
 match community TAGGED
exit
route-map RM permit 20
 match ipv6 address prefix-list LOOPS
 call SUB
 continue 40
exit
route-map RM deny 30
exit
route-map RM permit 40
 match large-community INTERNAL
exit
route-map RM deny 999
exit
ipv6 prefix-list LOOPS seq 5 permit fd00:9::/32 le 64
ipv6 prefix-list LONG seq 5 permit ::/0 ge 60
route-map SUB deny 10
 match ipv6 address prefix-list LONG
exit
route-map SUB permit 20
exit
"""
CTX = PolicyContext(Direction.IMPORT, local_as=65001, peer_as=65002, ibgp=False)


def _compiled():
    pol = RouteMapPolicy(parse_frr(POLICY, "probe.conf", Diagnostics()), "RM", applied_at="neighbor")
    sp = Space(6)
    for _ in range(3):
        sp.mark()
        c = compile_policy(pol, sp, CTX)
        if not sp.grew:
            break
    return sp, c


def _wire(r: Route) -> Route:
    """What the probe's feeder can send: no next hop off the probe subnet, AS path from the feeder."""
    return r.replace(next_hop=None, peer=None, as_path=AsPath(), local_pref=None)


def _check(routes: list[Route], gen: DaemonGeneration) -> None:
    sp, c = _compiled()
    got = probe_frr_policy(POLICY, routes, afi="ipv6", route_map="RM", daemons=gen)
    for r in routes:
        want = c.verdict_of(r.replace(peer=ipaddress.ip_address("fd00:ff::1000"), as_path=AsPath.of(65002)))
        assert (got[r.prefix] is not None) == (want == PERMIT), (r, want)


@pytest.mark.lab
def test_path_examples_match_frr(gen: DaemonGeneration) -> None:
    sp, c = _compiled()
    seen: dict = {}
    for e in examples(c, sp.true):
        if e.route is not None and e.route.prefix not in seen:
            seen[e.route.prefix] = _wire(e.route)
    _check(list(seen.values()), gen)


@pytest.mark.lab
@pytest.mark.slow
def test_random_routes_match_frr(gen: DaemonGeneration) -> None:
    rnd = random.Random(15)
    bases = ["fd00:101:224::/60", "fd00:101::/48", "fd00:9::/32"]
    routes: dict = {}
    while len(routes) < 150:
        base = ipaddress.ip_network(rnd.choice(bases))
        plen = rnd.randint(base.prefixlen, min(base.prefixlen + 20, 128))
        net = ipaddress.ip_network((int(base.network_address) | (rnd.getrandbits(plen - base.prefixlen)
                                                                  << (128 - plen)), plen))
        lc = frozenset({(4200001000, 0, 100)}) if rnd.random() < 0.5 else frozenset()
        cm = frozenset({(65000, 666)}) if rnd.random() < 0.3 else frozenset()
        routes.setdefault(net, Route(net, large_communities=lc, communities=cm))
    _check(list(routes.values()), gen)


BIRD_DEFS = """\
define PODS = [ fd00:101:224::/60{64,64} ];
filter node_in {
  if net = fd00:101::/64 then reject;
  if net ~ PODS && (4200001000, 0, 100) ~ bgp_large_community then accept;
  if bgp_path.len > 2 then reject;
  if bgp_med > 10 then accept;
  if bgp_path ~ [= * 65011 =] then accept;
  reject;
}
"""


@pytest.mark.lab
def test_bird_path_examples_match_bird(gen: DaemonGeneration) -> None:
    from podpath.readers.bird import parse_bird
    from podpath.readers.bird.interp import BirdFilterPolicy
    from podpath.lab.probe import probe_bird_filter

    cfg = parse_bird(BIRD_DEFS, "probe.conf", Diagnostics())
    pol = BirdFilterPolicy(cfg, cfg.filters["node_in"])
    sp = Space(6)
    for _ in range(3):
        sp.mark()
        c = compile_policy(pol, sp, CTX)
        if not sp.grew:
            break
    routes: dict = {}
    for e in examples(c, sp.true):
        if e.route is None:
            continue
        path = e.route.as_path.asns()
        path = path if path[:1] == (65002,) else (65002,) + path  # the feeder's AS comes first on eBGP
        r = e.route.replace(next_hop=None, peer=None, local_pref=None, as_path=AsPath.of(*path), source_name=None)
        routes.setdefault(r.prefix, r)
    extra = [Route(ipaddress.ip_network("fd00:9::/48"), med=11), Route(ipaddress.ip_network("fd00:8::/48"), med=3),
             Route(ipaddress.ip_network("fd00:7::/48"), as_path=AsPath.of(65002, 65011))]
    for r in extra:
        routes.setdefault(r.prefix, r.replace(as_path=r.as_path if r.as_path.segments else AsPath.of(65002)))
    got = probe_bird_filter(BIRD_DEFS, "filter node_in", list(routes.values()), afi="ipv6", daemons=gen)
    for r in routes.values():
        assert (got[r.prefix] is not None) == (c.verdict_of(r) == PERMIT), r
