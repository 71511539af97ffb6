"""End to end: snapshot files -> speakers -> simulation -> findings and explain (FRR only)."""

import ipaddress

from podpath.routing.explain import explain
from snaputil import findings

MANIFEST = """
hosts:
  r1: {interfaces: {eth0: {addresses: ["fd00:1::1/64"], segment: lan}}}
  r2: {interfaces: {eth0: {addresses: ["fd00:1::2/64"], segment: lan}}}
segments:
  lan: {prefixes: ["fd00:1::/64"]}
"""

R1 = """
frr version 8.4.4
frr defaults traditional
hostname r1
!
ipv6 route fd00:99::/64 blackhole
!
router bgp 65001
 bgp router-id 10.0.0.1
 no bgp ebgp-requires-policy
 neighbor fd00:1::2 remote-as 65002
 !
 address-family ipv6 unicast
  network fd00:99::/64
  neighbor fd00:1::2 activate
 exit-address-family
exit
!
"""

R2 = """
frr version 8.4.4
frr defaults traditional
hostname r2
!
router bgp 65002
 bgp router-id 10.0.0.2
 neighbor fd00:1::1 remote-as 65001
 !
 address-family ipv6 unicast
  neighbor fd00:1::1 activate
  neighbor fd00:1::1 route-map IN in
  neighbor fd00:1::1 route-map OUT out
 exit-address-family
exit
!
ipv6 prefix-list PL seq 5 permit fd00:50::/48 le 64
!
route-map IN permit 10
 match ipv6 address prefix-list PL
exit
!
route-map IN deny 999
exit
!
route-map OUT deny 10
exit
!
"""


def test_frr_session_and_route_map_decision(make_snapshot):
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": R1, "frr/r2.conf": R2})
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics]
    res = snap.simulate()
    [s] = res.sessions
    assert s.up, s.reason
    net = ipaddress.ip_network("fd00:99::/64")
    assert net in res.best["r1/frr"] and net not in res.best["r2/frr"]
    ex = explain(snap, net)
    stop = ex.key_stop()
    assert stop is not None and stop.speaker == "r2/frr"
    assert stop.loc.file == "frr/r2.conf" and stop.loc.line == 22  # route-map IN deny 999
    assert any("IN" in f and "deny 999" in f for f in ex.fixes)


def test_frr_ebgp_requires_policy_default(make_snapshot):
    r1 = R1.replace(" no bgp ebgp-requires-policy\n", "")
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": r1, "frr/r2.conf": R2})
    net = ipaddress.ip_network("fd00:99::/64")
    ex = explain(snap, net)
    assert any("ebgp-requires-policy" in d.text or any("ebgp-requires-policy" in t.text for t in (d.policy.trace if d.policy else ()))
               for d in ex.stops)


def test_session_down_finding_cites_both_sides(make_snapshot):
    r2 = R2.replace("remote-as 65001", "remote-as 65009")
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": R1, "frr/r2.conf": r2})
    got = findings(snap, "BGP001")
    assert got and all("AS mismatch" in f.message for f in got)
    assert {l.file for f in got for l in f.locations} == {"frr/r1.conf", "frr/r2.conf"}
