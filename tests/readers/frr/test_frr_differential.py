"""Differential test: podpath's FRR route-map evaluation against real FRR.

For each policy below (FRR config text: route-maps, prefix-lists, community,
large-community and as-path lists, modelled on what a top-of-rack / hypervisor
router does with pod, service and load-balancer prefixes) one probe sends a
deterministic, generated corpus of routes from a BIRD feeder over eBGP into a
real FRR whose inbound route-map is the policy under test
(`podpath.lab.probe.probe_frr_policy`). podpath evaluates the same route-map on
the same routes with the same session context; verdicts and every attribute a
route-map can change must agree, on both daemon generations (host: FRR 8.4,
trixie: FRR 10.3).

What FRR does to a route *outside* the route-map (on eBGP receipt, after the
inbound map) is applied to podpath's result in `frr_receipt()` so that the
comparison is of the policy alone. OUT_POLICIES run the map outbound towards an
eBGP collector instead (`frr_before_outbound_map`, `frr_outbound_receipt`).

podpath parses the policy with the `frr version` line of the daemon that ran it
(as `show running-config` would show it): FRR 10.3 changed how expanded
community lists treat a route without communities (GOTO6's `^$` clause).
Mismatches this test found and that were fixed in podpath: that version change,
and `match metric 0`, which FRR refuses (YANG range 1..4294967295).

Per generation: 7 policies x 50 routes = 350 route x policy cases, one probe
(about 2 s inbound, 4-5 s outbound) per policy. The default run has 4 of them per generation (see
DEFAULT_GEN: every policy on one generation, GOTO6 on both); `-m slow` the other 6.
"""

from __future__ import annotations

import ipaddress
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from lab.conftest import _trixie_generation, lab_env  # noqa: F401  (lab_env: a fixture used below)
from podpath.diagnostics import Diagnostics
from podpath.lab.probe import _collect_addrs, _groups, probe_frr_policy
from podpath.lab.rootfs import DaemonGeneration, resolve_generation
from podpath.readers.frr import parse_frr
from podpath.readers.frr.defaults import parse_version
from podpath.readers.frr.model import FrrConfig, community_str
from podpath.readers.frr.policy import RouteMapPolicy
from podpath.routing.policy import Direction, PolicyContext, PolicyResult, TraceStep, Verdict
from podpath.routing.route import WELL_KNOWN_COMMUNITIES, AsPath, IPNetwork, Origin, Route

N = ipaddress.ip_network
LOCAL_AS = 65001
DEFAULT_PEER_AS = 65002  # the probe's peer_as (routes always carry a path here)

# --- the policies ----------------------------------------------------------------------------

# Shared policy objects. Sequence numbers are deliberately out of text order.
LISTS = """\
ipv6 prefix-list PODS6 seq 10 permit fd00:10:244::/48 ge 56 le 64
ipv6 prefix-list PODS6 seq 5 deny fd00:10:244:ff00::/56 le 64
ipv6 prefix-list SVC6 seq 5 permit fd00:10:96::/108
ipv6 prefix-list SVC6 seq 10 permit fd00:10:96::/64 ge 112 le 128
ipv6 prefix-list BOGON6 seq 15 permit 2001:db8::/32 le 128
ipv6 prefix-list BOGON6 seq 5 permit ::/0
ipv6 prefix-list BOGON6 seq 10 permit fd00:dead::/32 le 128
ipv6 prefix-list ANY6 seq 5 permit any
ip prefix-list PODS4 seq 5 deny 10.244.128.0/17 le 32
ip prefix-list PODS4 seq 10 permit 10.244.0.0/16 ge 24 le 26
ip prefix-list LB4 seq 5 permit 192.0.2.0/24 ge 32
ip prefix-list LB4 seq 10 permit 198.51.100.0/24 le 28
ip prefix-list DEFAULT4 seq 5 permit 0.0.0.0/0
ip prefix-list ANY4 seq 5 permit any
bgp community-list standard CL_DROP permit 65002:666
bgp community-list standard CL_GOLD permit 65010:100 65010:200
bgp community-list standard CL_NOEXP permit no-export
bgp community-list standard CL_NOEXP permit 65020:5
bgp community-list expanded CL_TENANT permit _65010:1[0-9][0-9]_
bgp community-list expanded CL_TENANT deny ^65005:
bgp community-list expanded CL_STRIP deny ^65001:1$
bgp community-list expanded CL_STRIP permit ^65001:
bgp community-list expanded CL_STRIP permit ^6500[0-9]:9[0-9]*$
bgp community-list expanded CL_NONE permit ^$
bgp large-community-list standard LCL_RACK permit 4200001000:1:10
bgp large-community-list expanded LCL_TENANT permit _4200001000:2:[0-9]+_
bgp large-community-list standard LCL_PAIR permit 4200001000:1:10 4200001000:2:5
bgp large-community-list expanded LCL_STRIP permit ^4200001000:9:
bgp large-community-list expanded LCL_STRIP permit ^65001:0:20$
bgp as-path access-list AS_POD permit ^6501[0-9]$
bgp as-path access-list AS_POD permit ^65100_65200_
bgp as-path access-list AS_DENY deny _64666_
bgp as-path access-list AS_DENY permit .*
bgp as-path access-list AS_BAD permit _64666_
bgp as-path access-list AS_BAD permit ^65015 174$
bgp as-path access-list AS_ORIGIN permit _65300$
bgp as-path access-list AS_LONG permit ^[0-9]+ [0-9]+ [0-9]+ [0-9]+
"""

POLICIES: dict[str, tuple[str, str]] = {
    # name: (afi, route-map text); the route-map named like the key is applied inbound.
    "TOR_IN6": ("ipv6", """\
route-map TOR_IN6 deny 5
 match ipv6 address prefix-list BOGON6
exit
route-map TOR_IN6 permit 30
 match ipv6 address prefix-list SVC6
 set local-preference 150
 set community 65001:96 additive
exit
route-map TOR_IN6 permit 20
 match ipv6 address prefix-list PODS6
 match large-community LCL_RACK
 set local-preference 200
 set large-community 65001:0:20 additive
 on-match next
exit
route-map TOR_IN6 permit 25
 match community CL_DROP
 set local-preference -50
 set comm-list CL_STRIP delete
exit
route-map TOR_IN6 permit 40
 match ipv6 address prefix-list PODS6
 set metric +10
exit
route-map TOR_IN6 deny 50
 match ipv6 address prefix-list UNDEFINED6
exit
route-map TOR_IN6 permit 60
 match as-path AS_ORIGIN
 set as-path prepend 64999 64999
 set origin egp
exit
"""),
    "HV_IN6": ("ipv6", """\
route-map HV_IN6 deny 5
 match community CL_DROP
exit
route-map HV_IN6 permit 10
 match community CL_GOLD exact-match
 set local-preference 300
 set origin igp
exit
route-map HV_IN6 permit 15
 match community CL_TENANT
 match as-path AS_POD
 set local-preference +25
 set community 65001:15 additive
 set as-path prepend 64999
 continue 30
exit
route-map HV_IN6 permit 20
 match large-community LCL_TENANT
 set large-community 65001:1:1 65001:1:2
exit
route-map HV_IN6 permit 30
 match metric 50
 set metric 5
 set origin incomplete
exit
route-map HV_IN6 permit 35
 match origin egp
 set comm-list CL_STRIP delete
 set local-preference 80
exit
route-map HV_IN6 deny 40
 match as-path AS_LONG
exit
route-map HV_IN6 permit 50
 match ipv6 address prefix-list ANY6
 set metric -5
exit
"""),
    "GOTO6": ("ipv6", """\
route-map SUB_TAG permit 10
 match large-community LCL_RACK
 set large-community 65001:9:9 additive
exit
route-map SUB_TAG deny 20
 match community CL_NOEXP
exit
route-map SUB_TAG permit 30
 set metric 77
exit
route-map GOTO6 permit 10
 match ipv6 address prefix-list PODS6
 call SUB_TAG
 on-match goto 40
exit
route-map GOTO6 permit 20
 match as-path AS_DENY
 set local-preference 20
 on-match next
exit
route-map GOTO6 deny 30
 match community CL_NONE
exit
route-map GOTO6 permit 40
 match origin igp
 set local-preference +140
exit
route-map GOTO6 permit 50
 match origin incomplete
 set local-preference 50
 set community none
exit
"""),
    "CLEAN6": ("ipv6", """\
route-map CLEAN6 permit 10
 match large-community LCL_PAIR exact-match
 set large-comm-list LCL_STRIP delete
 set local-preference 210
exit
route-map CLEAN6 permit 20
 match large-community LCL_TENANT
 set large-comm-list LCL_STRIP delete
 set comm-list CL_STRIP delete
 set community 65001:20 65001:21 additive
 on-match goto 60
exit
route-map CLEAN6 deny 30
 match community CL_NOEXP
exit
route-map CLEAN6 permit 40
 match community CL_STRIP
 set comm-list CL_STRIP delete
 set metric 40
exit
route-map CLEAN6 permit 60
 match as-path AS_POD
 set as-path prepend 65444
 set large-community 65001:6:0 additive
exit
route-map CLEAN6 permit 70
 match origin egp
 set origin igp
exit
"""),
    "TOR_IN4": ("ipv4", """\
route-map TOR_IN4 deny 10
 match ip address prefix-list DEFAULT4
exit
route-map TOR_IN4 permit 40
 match ip address prefix-list MISSING4
 set local-preference 1
exit
route-map TOR_IN4 permit 20
 match ip address prefix-list PODS4
 match community CL_TENANT
 set local-preference 250
 set metric 0
exit
route-map TOR_IN4 permit 30
 match ip address prefix-list LB4
 match as-path AS_ORIGIN
 set community 65001:32 no-export additive
 set origin egp
exit
route-map TOR_IN4 permit 50
 match ip address prefix-list PODS4
 set community none
 set large-community 65001:4:4
exit
route-map TOR_IN4 permit 60
 match ip address prefix-list LB4
 match metric 100
 set metric +1000
exit
"""),
    "EDGE4": ("ipv4", """\
route-map EDGE4_SUB permit 10
 match as-path AS_LONG
 set local-preference -10
exit
route-map EDGE4_SUB permit 20
exit
route-map EDGE4 permit 5
 match ip address prefix-list ANY4
 set local-preference 120
 on-match next
exit
route-map EDGE4 deny 10
 match as-path AS_BAD
exit
route-map EDGE4 permit 15
 match origin incomplete
 match community CL_NOEXP
 set comm-list CL_STRIP delete
 set metric 15
exit
route-map EDGE4 permit 20
 match large-community LCL_TENANT
 call EDGE4_SUB
 set large-community 65001:2:0 additive
exit
route-map EDGE4 permit 25
 match ip address prefix-list LB4
 set as-path prepend 64998 64997
 continue 35
exit
route-map EDGE4 permit 35
 match community CL_TENANT
 set community 65001:35
exit
route-map EDGE4 permit 45
 match metric 5
 set metric 450
exit
"""),
}

# Applied outbound (`neighbor COLLECTOR route-map OUT6 out`) towards an eBGP collector.
OUT_POLICIES: dict[str, tuple[str, str]] = {
    "OUT6": ("ipv6", """\
route-map OUT6 deny 5
 match ipv6 address prefix-list BOGON6
exit
route-map OUT6 permit 10
 match ipv6 address prefix-list PODS6
 match large-community LCL_RACK
 set as-path prepend 65001 65001
 set metric 10
 set large-comm-list LCL_STRIP delete
exit
route-map OUT6 permit 20
 match community CL_TENANT
 set community 65001:20 additive
 set metric +7
 on-match next
exit
route-map OUT6 deny 30
 match as-path AS_BAD
exit
route-map OUT6 permit 40
 match ipv6 address prefix-list SVC6
 set origin incomplete
exit
route-map OUT6 permit 50
 match metric 7
 set origin egp
exit
route-map OUT6 permit 60
 match origin egp
 set local-preference 500
 set comm-list CL_STRIP delete
exit
"""),
}
COLLECTOR_AS = 65099

# --- the route corpus ------------------------------------------------------------------------

GSHUT = WELL_KNOWN_COMMUNITIES["graceful-shutdown"]
BLACKHOLE = WELL_KNOWN_COMMUNITIES["blackhole"]
NO_EXPORT = WELL_KNOWN_COMMUNITIES["no-export"]
FEEDER_ASNS = (65002, 65010, 65015, 65100)
TRANSIT = (65100, 65200, 65300, 64666, 64512, 174, 4200000001, 65015)
COMMS = ((65002, 666), (65010, 100), (65010, 200), (65010, 150), (65001, 1), (65001, 7), (65005, 95),
         (65005, 1), (65020, 5), (65003, 90), WELL_KNOWN_COMMUNITIES["no-export"],
         WELL_KNOWN_COMMUNITIES["blackhole"], WELL_KNOWN_COMMUNITIES["graceful-shutdown"])
LARGE = ((4200001000, 1, 10), (4200001000, 2, 5), (4200001000, 2, 77), (4200001000, 9, 1), (4200001000, 9, 30),
         (65001, 0, 20), (65010, 1, 1))
MEDS = (None, None, 0, 5, 50, 100, 1000)

V6_POOLS = (  # (share, prefix generator) by category: pods, excluded pods, services, bogons, other
    lambda r: N(f"fd00:10:244:{r.randrange(0, 0xfe) << 8 | r.randrange(0, 256):x}::/{r.choice((56, 60, 64))}",
                strict=False),
    lambda r: N(f"fd00:10:244::/{r.choice((48, 52, 65))}", strict=False),
    lambda r: N(f"fd00:10:244:ff{r.randrange(0, 256):02x}::/{r.choice((56, 64))}", strict=False),
    lambda r: N(f"fd00:10:96::{r.randrange(0, 1 << 16):x}:0/{r.choice((108, 112, 120, 128, 100))}", strict=False),
    lambda r: N(f"2001:db8:{r.randrange(0, 1 << 16):x}::/48"),
    lambda r: N(f"fd00:dead:{r.randrange(0, 1 << 16):x}::/64"),
    lambda r: N(f"2a0{r.randrange(1, 9)}:{r.randrange(0, 1 << 16):x}::/{r.choice((32, 40, 48))}", strict=False),
)
V4_POOLS = (
    lambda r: N(f"10.244.{r.randrange(0, 128)}.{r.choice((0, 64, 128))}/{r.choice((24, 25, 26))}", strict=False),
    lambda r: N(f"10.244.{r.randrange(128, 256)}.0/{r.choice((24, 26))}", strict=False),
    lambda r: N(f"10.244.0.0/{r.choice((16, 20, 27))}", strict=False),
    lambda r: N(f"192.0.2.{r.randrange(0, 256)}/32"),
    lambda r: N(f"192.0.2.0/{r.choice((24, 28))}"),
    lambda r: N(f"198.51.100.{r.randrange(0, 16) * 16}/{r.choice((28, 29))}", strict=False),
    lambda r: N(f"203.0.{r.randrange(0, 256)}.0/24"),
)
DEFAULTS = {"ipv4": N("0.0.0.0/0"), "ipv6": N("::/0")}


def T(prefix: str, *path: int, comms: Sequence[tuple[int, int]] = (),
      large: Sequence[tuple[int, int, int]] = (), med: int | None = None, origin: Origin = Origin.IGP) -> Route:
    return Route(N(prefix), as_path=AsPath.of(*path), communities=frozenset(comms),
                 large_communities=frozenset(large), med=med, origin=origin)


# Hand-picked routes for clauses the random corpus would hit only by luck.
TARGETED: dict[str, list[Route]] = {
    "HV_IN6": [
        T("fd00:10:244:100::/56", 65010, 65100, comms=[(65010, 100), (65010, 200)], origin=Origin.EGP),  # 10
        T("fd00:10:244:200::/56", 65010, comms=[(65010, 150)], med=50, origin=Origin.EGP),  # 15 -> 30
        T("fd00:10:244:300::/56", 65015, comms=[(65010, 101), (65001, 5)], origin=Origin.EGP),  # 15 -> 35
        T("fd00:10:244:400::/56", 65100, 65200, 65300, comms=[(65010, 199)], large=[(4200001000, 2, 1)]),
    ],
    "GOTO6": [
        T("fd00:10:244:100::/56", 65010, comms=[NO_EXPORT]),  # SUB_TAG deny 20
        T("fd00:10:244:200::/56", 65015, 64666, comms=[(65020, 5)], large=[(4200001000, 1, 10)]),
    ],
    "EDGE4": [
        T("10.244.1.0/24", 65010, 65300, comms=[NO_EXPORT, (65001, 3)], origin=Origin.INCOMPLETE),  # 15
        T("10.244.2.0/24", 65015, comms=[(65020, 5), (65005, 91)], origin=Origin.INCOMPLETE, med=7),
    ],
    "TOR_IN4": [
        T("10.244.1.0/24", 65010, comms=[(65010, 120)], med=9),  # 20
        T("192.0.2.7/32", 65010, 65300, comms=[(65010, 120)]),  # 30
    ],
}


def corpus(name: str, afi: str, n: int) -> list[Route]:
    """`n` routes for policy `name`: the targeted ones, then random ones seeded by the
    name, so reproducible."""
    r = random.Random(f"podpath-frr-differential-{name}")
    pools = V4_POOLS if afi == "ipv4" else V6_POOLS
    routes: dict[IPNetwork, Route] = {t.prefix: t for t in TARGETED.get(name, [])}
    routes[DEFAULTS[afi]] = Route(DEFAULTS[afi], as_path=AsPath.of(65002, 65300))
    while len(routes) < n:
        prefix = r.choice(pools)(r)
        if prefix in routes:
            continue
        path = [r.choice(FEEDER_ASNS)] + [r.choice(TRANSIT) for _ in range(r.choice((0, 0, 1, 1, 2, 3, 4)))]
        if r.random() < 0.15:
            path.append(65300)
        comms = frozenset(r.sample(COMMS, r.choice((0, 0, 1, 1, 2, 3))))
        if r.random() < 0.12:
            comms = frozenset({(65010, 100), (65010, 200)} | (set() if r.random() < 0.5 else {(65005, 95)}))
        large = frozenset(r.sample(LARGE, r.choice((0, 0, 1, 1, 2, 3))))
        if r.random() < 0.1:
            large = frozenset({(4200001000, 1, 10), (4200001000, 2, 5)})
        routes[prefix] = Route(prefix, as_path=AsPath.of(*path), communities=comms, large_communities=large,
                               med=r.choice(MEDS), origin=r.choice(list(Origin)))
    return list(routes.values())


ROUTES_PER_POLICY = 50


# --- podpath's side ---------------------------------------------------------------------------


def frr_config(name: str) -> str:
    return LISTS + "!\n" + {**POLICIES, **OUT_POLICIES}[name][1]


def parsed(name: str, version: str) -> FrrConfig:
    """podpath's view of the policy, as FRR `version` would show it in `show running-config`
    (which starts with `frr version X`): some semantics depend on the version."""
    d = Diagnostics()
    cfg = parse_frr(f"frr version {version}\n" + frr_config(name), f"{name}.conf", d)
    assert not d.errors, [x.render() for x in d]
    return cfg


@dataclass
class Case:
    route: Route  # as FRR holds it on receipt, before the inbound route-map
    ctx: PolicyContext
    result: PolicyResult


def podpath_side(name: str, routes: Sequence[Route], version: str) -> list[Case]:
    """Evaluate the route-map on each route with the session the probe uses: inbound on the
    feeder session that carried the route, or (OUT_POLICIES) outbound towards the collector."""
    outbound = name in OUT_POLICIES
    afi = {**POLICIES, **OUT_POLICIES}[name][0]
    policy = RouteMapPolicy(parsed(name, version), name, applied_at="neighbor")
    cases = []
    for g in _groups(routes, local_as=LOCAL_AS, peer_as=DEFAULT_PEER_AS, ibgp=False):
        feeder = ipaddress.ip_address(g.addr(afi))  # type: ignore[arg-type]
        if outbound:
            coll, own = _collect_addrs(afi)  # type: ignore[arg-type]
            ctx = PolicyContext(direction=Direction.EXPORT, local_as=LOCAL_AS, peer_as=COLLECTOR_AS,
                                peer_address=ipaddress.ip_address(own), local_address=ipaddress.ip_address(coll),
                                ibgp=False)
        else:
            ctx = PolicyContext(direction=Direction.IMPORT, local_as=LOCAL_AS, peer_as=g.asn, peer_address=feeder,
                                local_address=ipaddress.ip_address(g.target_addr(afi)),  # type: ignore[arg-type]
                                ibgp=False)
        for route in g.routes:
            received = route.replace(peer=feeder, next_hop=feeder)
            if not outbound:
                cases.append(Case(received, ctx, policy.evaluate(received, ctx)))
                continue
            held = frr_receipt(received)  # FRR's table entry (no inbound map here)
            sent, why = frr_before_outbound_map(held)
            if sent is None:
                step = TraceStep(None, why, "reject")
                cases.append(Case(held, ctx, PolicyResult(Verdict.REJECT, held, (step,), step)))
            else:
                cases.append(Case(sent, ctx, policy.evaluate(sent, ctx)))
    return cases


def frr_receipt(after_policy: Route) -> Route:
    """What FRR's bgp_update() does to an eBGP route right after the inbound route-map
    (bgpd/bgp_route.c), applied to podpath's route-map output so that podpath and FRR
    are compared on the policy alone:

    * RFC 7999: a route carrying BLACKHOLE gets NO_EXPORT added;
    * RFC 8326: a route carrying GRACEFUL_SHUTDOWN gets LOCAL_PREF 0 (whatever the
      route-map set).

    Not changed here, because podpath and FRR already agree on the representation:
    LOCAL_PREF is not sent on eBGP, so unless the map sets it the path has no
    LOCAL_PREF attribute and FRR's JSON has no `locPrf` (None on both sides; best-path
    selection would treat it as the default 100). `set local-preference +/-N` adjusts
    from 0 in that case, as FRR's attr holds 0 -- that is route-map semantics, not
    presentation, so it is left to the evaluator.
    """
    r = after_policy
    if BLACKHOLE in r.communities:
        r = r.replace(communities=r.communities | {NO_EXPORT})
    if GSHUT in r.communities:
        r = r.replace(local_pref=0)
    return r


def frr_before_outbound_map(held: Route) -> tuple[Route | None, str]:
    """What FRR does to a path learned over eBGP before its outbound route-map towards
    another eBGP peer (bgpd/bgp_route.c subgroup_announce_check): a path carrying
    NO_EXPORT or NO_ADVERTISE is not announced at all; otherwise the MED learned from the
    other AS is removed (the map sees MED 0 and can set a new one)."""
    for c in (NO_EXPORT, WELL_KNOWN_COMMUNITIES["no-advertise"]):
        if c in held.communities:
            return None, f"FRR does not announce a route carrying {community_str(c)} to an eBGP peer (before the map)"
    return held.replace(med=None), ""


def frr_outbound_receipt(after_policy: Route) -> Route:
    """What the eBGP collector (BIRD) holds of a route FRR announced through its outbound
    route-map: FRR prepends its own AS after the map (bgp_packet_attribute); LOCAL_PREF is
    not sent to an eBGP peer, so whatever the map set, BIRD shows its default 100."""
    return after_policy.replace(as_path=after_policy.as_path.prepend(LOCAL_AS), local_pref=100)


COMPARED = ("local_pref", "med", "communities", "large_communities", "as_path", "origin")


def attrs(r: Route) -> dict[str, object]:
    return {a: getattr(r, a) for a in COMPARED}


def show(r: Route) -> str:
    d = attrs(r)
    d["as_path"] = str(r.as_path)
    d["origin"] = r.origin.value
    d["communities"] = sorted(r.communities)
    d["large_communities"] = sorted(r.large_communities)
    return ", ".join(f"{k}={v}" for k, v in d.items())


def mismatch(name: str, case: Case, frr: Route | None, diff: str) -> str:
    res = case.result
    trace = "\n".join(f"      {s.effect:>9}  {s.text}" for s in res.trace)
    return (f"policy {name}: {case.route.prefix}: {diff}\n"
            f"  route in:  {show(case.route)} (from AS{case.ctx.peer_as} via {case.ctx.peer_address})\n"
            f"  podpath:   {res.verdict.value}" + (f" -> {show(expected(name, res))}" if res.accepted else "") +
            f"\n    trace:\n{trace}\n"
            f"  FRR:       {'rejected' if frr is None else 'accepted -> ' + show(frr)}"
            + (" (as the eBGP collector received it)" if name in OUT_POLICIES else ""))


def expected(name: str, res: PolicyResult) -> Route:
    """podpath's accepted route as the daemon that reports it will hold it."""
    return frr_outbound_receipt(res.route) if name in OUT_POLICIES else frr_receipt(res.route)


def compare(name: str, cases: Sequence[Case], frr: dict[IPNetwork, Route | None]) -> list[str]:
    errors = []
    for case in cases:
        got = frr[case.route.prefix]
        res = case.result
        if res.accepted != (got is not None):
            errors.append(mismatch(name, case, got, "verdicts differ"))
        elif got is not None:
            want = attrs(expected(name, res))
            have = attrs(got)
            diff = {k: (want[k], have[k]) for k in COMPARED if want[k] != have[k]}
            if diff:
                errors.append(mismatch(name, case, got, "attributes differ: " + "; ".join(
                    f"{k} podpath {a} vs FRR {b}" for k, (a, b) in diff.items())))
    return errors


# --- pure checks (no root) -------------------------------------------------------------------


VERSIONS = ("8.4.4", "10.3")  # FRR of the "host" and "trixie" generations


@pytest.mark.parametrize("name", sorted(POLICIES) + list(OUT_POLICIES))
def test_corpus_exercises_every_clause(name: str) -> None:
    """Every clause of the policy (and of the maps it calls) is matched by some route of the
    corpus (under at least one of the two FRR versions: GOTO6's `^$` clause matches only
    before 10.3), and both verdicts occur -- otherwise the differential test proves little."""
    afi = {**POLICIES, **OUT_POLICIES}[name][0]
    routes = corpus(name, afi, ROUTES_PER_POLICY)
    assert len(routes) == ROUTES_PER_POLICY
    assert routes == corpus(name, afi, ROUTES_PER_POLICY)  # deterministic
    assert len({r.as_path.first for r in routes}) <= 8
    assert all(LOCAL_AS not in r.as_path.asns() for r in routes)  # FRR's loop check would drop them
    hit: set[int] = set()
    seen: set[int] = set()
    for version in VERSIONS:
        cases = podpath_side(name, routes, version)
        hit |= {s.loc.line for c in cases for s in c.result.trace if s.effect in ("match", "reject") and s.loc}
        seen |= {s.loc.line for c in cases for s in c.result.trace if s.loc}
        assert {c.result.accepted for c in cases} == {True, False}
        assert not [e for c in cases for e in c.result.errors]
    cfg = parsed(name, VERSIONS[0])
    clauses = [cl for rm in cfg.route_maps.values() for cl in rm.ordered()]
    # a clause that only references an undefined prefix-list can never match: it must be evaluated
    undefined = {cl.loc.line for cl in clauses if any(
        m.kind.endswith("prefix-list") and cfg.prefix_list(6 if m.kind.startswith("ipv6") else 4, str(m.value)) is None
        for m in cl.matches)}
    missing = [cl.text for cl in clauses if cl.loc.line not in (seen if cl.loc.line in undefined else hit)]
    assert not missing, f"{name}: no route of the corpus matches {missing}"


def test_corpus_exercises_the_receipt_normalisation() -> None:
    """The behaviour modelled outside the route-map is exercised, so the daemons confirm it:
    accepted inbound routes with BLACKHOLE / GRACEFUL_SHUTDOWN, outbound routes held back
    for NO_EXPORT, and outbound routes whose learned MED is dropped before the map."""
    accepted = [c.result.route for name in POLICIES for c in
                podpath_side(name, corpus(name, POLICIES[name][0], ROUTES_PER_POLICY), VERSIONS[1])
                if c.result.accepted]
    assert sum(GSHUT in r.communities for r in accepted) >= 3
    assert sum(BLACKHOLE in r.communities for r in accepted) >= 2
    routes = corpus("OUT6", "ipv6", ROUTES_PER_POLICY)
    cases = podpath_side("OUT6", routes, VERSIONS[1])
    assert sum(c.result.decided_by is not None and c.result.decided_by.loc is None for c in cases) >= 3
    learned = {r.prefix: r.med for r in routes}
    assert sum(c.result.accepted and learned[c.route.prefix] not in (None, 0) for c in cases) >= 3


# --- the differential test -------------------------------------------------------------------


@pytest.fixture(params=["host", "trixie"])
def gen(request: pytest.FixtureRequest, lab_env: None) -> DaemonGeneration:
    """Both daemon generations, as tests/lab/conftest.py's `gen` (skips without root/daemons)."""
    return resolve_generation("host") if request.param == "host" else _trixie_generation()



# The default run probes every policy on one generation, and GOTO6 (whose `^$` clause FRR 10.3 reads
# differently) on both: 4 probes per generation. `-m slow` probes each of the others on the other generation
# too, so that `-m slow` and the default run together have every policy on both, as before.
DEFAULT_GEN = {"TOR_IN6": "host", "HV_IN6": "trixie", "CLEAN6": "host", "TOR_IN4": "trixie", "EDGE4": "host",
               "OUT6": "trixie"}
GEN_POLICY = [pytest.param(g, name, marks=[] if DEFAULT_GEN.get(name, g) == g else [pytest.mark.slow])
              for g in ("host", "trixie") for name in list(POLICIES) + list(OUT_POLICIES)]


def test_every_policy_is_probed_in_the_default_run() -> None:
    names = list(POLICIES) + list(OUT_POLICIES)
    default = {(p.values[0], p.values[1]) for p in GEN_POLICY if not p.marks}
    assert {n for _, n in default} == set(names) and {g for g, _ in default} == {"host", "trixie"}
    assert {("host", "GOTO6"), ("trixie", "GOTO6")} <= default and len(GEN_POLICY) == 2 * len(names)


@pytest.mark.lab
@pytest.mark.parametrize("gen, name", GEN_POLICY, indirect=["gen"])
def test_frr_route_map_matches_podpath(gen: DaemonGeneration, name: str) -> None:
    afi, _ = {**POLICIES, **OUT_POLICIES}[name]
    routes = corpus(name, afi, ROUTES_PER_POLICY)
    info: dict[str, Any] = {}
    t0 = time.monotonic()
    frr = probe_frr_policy(frr_config(name), routes, afi=afi, route_map=name,  # type: ignore[arg-type]
                           direction="out" if name in OUT_POLICIES else "in", collector_as=COLLECTOR_AS,
                           daemons=gen, local_as=LOCAL_AS, peer_as=DEFAULT_PEER_AS, info=info)
    seconds = time.monotonic() - t0
    version = info["versions"]["frr"].split()[-1]  # "FRRouting 10.3" -> "10.3"
    assert parse_version(version) is not None, info["versions"]
    cases = podpath_side(name, routes, version)
    errors = compare(name, cases, frr)
    accepted = sum(r is not None for r in frr.values())
    print(f"\n{gen.name} {info['versions']}: {name}: {len(cases)} routes, {accepted} accepted by FRR, "
          f"{len(errors)} mismatches, probe {seconds:.1f} s")
    assert not errors, f"{len(errors)} of {len(cases)} routes differ ({gen.name}):\n\n" + "\n\n".join(errors)
