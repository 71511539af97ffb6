"""probe_frr_policy / probe_bird_filter: hand-checked accept/reject and attributes."""

from __future__ import annotations

import ipaddress
import time

import pytest

from podpath.lab.probe import (
    _groups,
    bird_attr_statements,
    feeder_config,
    frr_probe_config,
    probe_bird_filter,
    probe_frr_policy,
)
from podpath.lab.rootfs import DaemonGeneration
from podpath.routing.route import AsPath, AsPathSegment, ExtCommunity, Origin, Route

N = ipaddress.ip_network
A = ipaddress.ip_address

FRR_POLICY = """\
ipv6 prefix-list PL_PODS seq 5 permit fd00:101:224::/60 le 64
ipv6 prefix-list PL_BAD seq 5 permit 2001:db8:bad::/48
bgp large-community-list standard LC_INT permit 4200001000:0:100
route-map RM permit 5
 match ipv6 address prefix-list PL_PODS
 match large-community LC_INT
 set local-preference 200
 set large-community 65001:0:1 additive
exit
route-map RM deny 6
 match ipv6 address prefix-list PL_PODS
exit
route-map RM deny 30
 match ipv6 address prefix-list PL_BAD
exit
route-map RM permit 40
exit
"""

ROUTES = [
    Route(N("fd00:101:224::/64"), large_communities=frozenset({(4200001000, 0, 100)})),
    Route(N("fd00:101:224:1::/64")),
    Route(N("2001:db8:bad::/48")),
    Route(N("fd00:300::/48"), as_path=AsPath.of(65003, 65004), med=5, communities=frozenset({(65003, 1)}),
          next_hop=A("fd00:ff::99"), origin=Origin.EGP, ext_communities=frozenset({ExtCommunity("rt", "65000", 7)})),
]


# --- pure parts (no root) --------------------------------------------------------------------


def test_groups_by_first_asn_and_feeder_statements() -> None:
    groups = _groups(ROUTES, local_as=65001, peer_as=65002, ibgp=False)
    assert [(g.asn, len(g.routes)) for g in groups] == [(65002, 3), (65003, 1)]
    assert groups[1].addr("ipv6") == "fd00:ff::1001" and groups[1].target_addr("ipv6") == "fd00:ff::2"
    stmts = bird_attr_statements(ROUTES[3], strip_first=True, ibgp=False)
    assert stmts == ["bgp_origin = ORIGIN_EGP;", "bgp_path.prepend(65004);", "bgp_community.add((65003,1));",
                     "bgp_ext_community.add((rt, 65000, 7));", "bgp_med = 5;", "bgp_next_hop = fd00:ff::99;"]
    assert "bgp_local_pref = 5;" in bird_attr_statements(Route(N("::/0"), local_pref=5), strip_first=False, ibgp=True)
    conf = feeder_config(groups, afi="ipv6", target_as=65001, ibgp=False)
    assert "protocol bgp pp_feed1 {" in conf and "neighbor fd00:ff::2 as 65001;" in conf
    frr = frr_probe_config("!", groups, route_map="RM", direction="in", afi="ipv6", local_as=65001, collector_as=65099)
    assert " neighbor fd00:ff::1001 update-source fd00:ff::2" in frr
    assert "  neighbor fd00:ff::1001 route-map RM in" in frr and " no neighbor fd00:ff::1001 shutdown" in frr


@pytest.mark.parametrize("bad, match", [
    (Route(N("fd00::/64"), as_path=AsPath((AsPathSegment((1, 2), True),))), "AS_SET"),
    (Route(N("10.0.0.0/8")), "not an ipv6"),
    (Route(N("fd00::/64"), next_hop=A("10.0.0.1")), "next hop"),
    (Route(N("fd00::/64"), atomic_aggregate=True), "ATOMIC"),
    (Route(N("fd00::/64"), as_path=AsPath.of(65001, 65002)), "start with the target"),
])
def test_rejects_what_the_feeder_cannot_send(bad: Route, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        probe_frr_policy("", [bad], afi="ipv6", route_map="RM")


def test_bird_probe_refuses_next_hops_bird_drops_before_the_filter() -> None:
    for nh in ("fd00:99::1", "fd00:ff::1"):
        with pytest.raises(ValueError, match="before its import filter"):
            probe_bird_filter("", "all", [Route(N("fd00::/64"), next_hop=A(nh))], afi="ipv6")


def test_rejects_duplicates_and_router_bgp() -> None:
    with pytest.raises(ValueError, match="twice"):
        probe_bird_filter("", "all", [Route(N("fd00::/64")), Route(N("fd00::/64"))], afi="ipv6")
    with pytest.raises(ValueError, match="router bgp"):
        probe_frr_policy("router bgp 1\n", [], afi="ipv6", route_map="RM")


# --- FRR -------------------------------------------------------------------------------------


@pytest.mark.lab
def test_frr_inbound_route_map(gen: DaemonGeneration) -> None:
    res = probe_frr_policy(FRR_POLICY, ROUTES, afi="ipv6", route_map="RM", daemons=gen)
    pods = res[N("fd00:101:224::/64")]
    assert pods is not None
    assert pods.local_pref == 200
    assert pods.large_communities == {(4200001000, 0, 100), (65001, 0, 1)}
    assert pods.as_path == AsPath.of(65002) and pods.origin is Origin.IGP
    assert pods.next_hop == A("fd00:ff::1000") and pods.peer == A("fd00:ff::1000")
    assert res[N("fd00:101:224:1::/64")] is None  # deny 6: pod prefix without the community
    assert res[N("2001:db8:bad::/48")] is None  # deny 30: prefix-list
    other = res[N("fd00:300::/48")]
    assert other is not None
    assert other.as_path == AsPath.of(65003, 65004) and other.med == 5 and other.origin is Origin.EGP
    assert other.communities == {(65003, 1)} and other.ext_communities == {ExtCommunity("rt", "65000", 7)}
    assert other.next_hop == A("fd00:ff::99")  # third-party next hop, on the probe subnet
    assert other.local_pref is None  # eBGP, not set: FRR shows none
    assert other.peer == A("fd00:ff::1001")  # second feeder session (first ASN 65003)


@pytest.mark.lab
def test_frr_outbound_route_map(gen: DaemonGeneration) -> None:
    policy = """\
ipv6 prefix-list PL_NO seq 5 permit fd00:2::/48
ipv6 prefix-list PL_MED seq 5 permit fd00:3::/48
route-map OUT deny 5
 match ipv6 address prefix-list PL_NO
exit
route-map OUT permit 10
 match ipv6 address prefix-list PL_MED
 set metric 77
 set as-path prepend 65001
exit
route-map OUT permit 20
exit
"""
    routes = [Route(N("fd00:1::/48"), med=5), Route(N("fd00:2::/48")), Route(N("fd00:3::/48"))]
    res = probe_frr_policy(policy, routes, afi="ipv6", route_map="OUT", direction="out", daemons=gen)
    one, three = res[N("fd00:1::/48")], res[N("fd00:3::/48")]
    assert res[N("fd00:2::/48")] is None
    assert one is not None and three is not None
    assert one.as_path == AsPath.of(65001, 65002) and one.med is None  # MED not passed eBGP -> eBGP
    assert one.next_hop == A("fd00:ff:1::1") and one.peer == A("fd00:ff:1::1")  # next hop self
    assert three.med == 77 and three.as_path == AsPath.of(65001, 65001, 65002)


@pytest.mark.lab
def test_frr_ibgp_feeder_carries_local_pref(gen: DaemonGeneration) -> None:
    policy = "route-map RM permit 10\n match local-preference 300\n set community 65001:300 additive\nexit\n" \
             "route-map RM permit 20\nexit\n"
    routes = [Route(N("fd00:1::/48"), local_pref=300), Route(N("fd00:2::/48"), local_pref=100)]
    res = probe_frr_policy(policy, routes, afi="ipv6", route_map="RM", ibgp=True, daemons=gen)
    hit, miss = res[N("fd00:1::/48")], res[N("fd00:2::/48")]
    assert hit is not None and miss is not None
    assert hit.local_pref == 300 and hit.communities == {(65001, 300)} and hit.as_path == AsPath()
    assert miss.local_pref == 100 and miss.communities == frozenset()
    assert dict(hit.extra)["peer_type"] == "internal"


@pytest.mark.lab
def test_frr_keeps_unusable_paths_marked_invalid(gen: DaemonGeneration) -> None:
    res = probe_frr_policy("route-map RM permit 10\nexit\n", [Route(N("fd00:1::/48"), next_hop=A("fd00:99::1"))],
                           afi="ipv6", route_map="RM", daemons=gen)
    r = res[N("fd00:1::/48")]
    assert r is not None and dict(r.extra)["valid"] == "false" and r.next_hop == A("fd00:99::1")


@pytest.mark.lab
def test_frr_ipv4(gen: DaemonGeneration) -> None:
    policy = "ip prefix-list P4 seq 5 permit 10.66.0.0/16\nroute-map RM deny 5\n match ip address prefix-list P4\n" \
             "exit\nroute-map RM permit 10\n set metric 9\nexit\n"
    res = probe_frr_policy(policy, [Route(N("10.66.0.0/16")), Route(N("10.1.0.0/16"))], afi="ipv4",
                           route_map="RM", daemons=gen)
    assert res[N("10.66.0.0/16")] is None
    kept = res[N("10.1.0.0/16")]
    assert kept is not None and kept.med == 9 and kept.next_hop == A("10.255.0.128")


# --- BIRD ------------------------------------------------------------------------------------

BIRD_DEFS = """\
define PODS = [ fd00:101:224::/60{60,64} ];
filter f_in {
  if net = fd00:bad::/48 then reject;
  if net ~ PODS then bgp_large_community.add((65001, 0, 7));
  if bgp_path.len > 2 then bgp_local_pref = 50;
  if bgp_community ~ [(65002, *)] then bgp_community.add((65001, 1));
  accept;
}
"""


@pytest.mark.lab
def test_bird_import_filter(gen: DaemonGeneration) -> None:
    routes = [
        Route(N("fd00:101:224::/64"), med=10),
        Route(N("fd00:bad::/48")),
        Route(N("2001:db8::/48"), as_path=AsPath.of(65002, 65003, 65004), communities=frozenset({(65002, 9)})),
        Route(N("2001:db8:1::/48"), as_path=AsPath.of(65005), next_hop=A("fd00:ff::99")),
    ]
    res = probe_bird_filter(BIRD_DEFS, "f_in", routes, afi="ipv6", daemons=gen)
    pods = res[N("fd00:101:224::/64")]
    assert pods is not None
    assert pods.large_communities == {(65001, 0, 7)} and pods.med == 10
    assert pods.local_pref == 100  # BIRD shows its default on eBGP import
    assert pods.as_path == AsPath.of(65002) and pods.source_name == "pp_feed0"
    assert res[N("fd00:bad::/48")] is None
    long = res[N("2001:db8::/48")]
    assert long is not None and long.local_pref == 50
    assert long.communities == {(65002, 9), (65001, 1)}
    third = res[N("2001:db8:1::/48")]
    assert third is not None and third.next_hop == A("fd00:ff::99") and third.peer == A("fd00:ff::1001")
    assert third.as_path == AsPath.of(65005)


@pytest.mark.lab
def test_bird_where_filter_ipv4_and_ibgp(gen: DaemonGeneration) -> None:
    routes = [Route(N(f"10.{i}.0.0/16"), med=i, local_pref=200 + i) for i in range(1, 21)]
    res = probe_bird_filter("", "where bgp_med > 10", routes, afi="ipv4", ibgp=True, daemons=gen)
    assert {str(p) for p, r in res.items() if r is not None} == {f"10.{i}.0.0/16" for i in range(11, 21)}
    r15 = res[N("10.15.0.0/16")]
    assert r15 is not None and r15.local_pref == 215 and r15.as_path == AsPath()


# --- batches ---------------------------------------------------------------------------------


def _batch(n: int) -> list[Route]:
    return [Route(N(f"fd00:{i:x}::/48"), as_path=AsPath.of(65002 + i % 3, 65100), med=i,
                  communities=frozenset({(65000, i)}), large_communities=frozenset({(1, 2, i)}))
            for i in range(1, n + 1)]


@pytest.mark.lab
def test_200_routes_in_one_run(gen: DaemonGeneration) -> None:
    routes = _batch(200)
    policy = "ipv6 prefix-list P seq 5 permit fd00::/16 le 48\nipv6 prefix-list ODD seq 5 permit fd00:1::/48\n" \
             "route-map RM deny 5\n match ipv6 address prefix-list ODD\nexit\n" \
             "route-map RM permit 10\n match ipv6 address prefix-list P\n set local-preference 300\nexit\n"
    t0 = time.monotonic()
    res = probe_frr_policy(policy, routes, afi="ipv6", route_map="RM", daemons=gen)
    frr_s = time.monotonic() - t0
    assert res[N("fd00:1::/48")] is None
    accepted = [r for r in res.values() if r is not None]
    assert len(accepted) == 199 and all(r.local_pref == 300 for r in accepted)
    r200 = res[N("fd00:c8::/48")]
    assert r200 is not None and r200.med == 200 and r200.as_path == AsPath.of(65004, 65100)
    t0 = time.monotonic()
    res = probe_bird_filter("", "where bgp_med > 100", routes, afi="ipv6", daemons=gen)
    bird_s = time.monotonic() - t0
    assert sum(r is not None for r in res.values()) == 100
    print(f"\n{gen.name}: 200 routes: FRR probe {frr_s:.1f} s, BIRD probe {bird_s:.1f} s")
    assert frr_s < 30 and bird_s < 30
