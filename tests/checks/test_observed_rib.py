"""OB002: captured `show bgp ... json` / `birdc show route all` tables against the simulated tables."""

from pathlib import Path

from podpath.diagnostics import Diagnostics
from podpath.readers import observed_rib

R1 = """frr defaults traditional
hostname r1
interface eth0
 ip address 10.0.0.1/24
!
router bgp 65001
 bgp router-id 10.0.0.1
 no bgp ebgp-requires-policy
 neighbor 10.0.0.2 remote-as 65002
!
"""
R2 = """frr defaults traditional
hostname r2
interface eth0
 ip address 10.0.0.2/24
!
router bgp 65002
 bgp router-id 10.0.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.0.0.1 remote-as 65001
 address-family ipv4 unicast
  network 10.244.1.0/24
 exit-address-family
!
"""
MANIFEST = "hosts:\n  r1: {role: router, files: [r1/frr.conf]}\n  r2: {role: router, files: [r2/frr.conf]}\n"
CAPTURE = """{
"vrfId": 0, "vrfName": "default", "routerId": "10.0.0.1", "localAS": 65001,
"routes": { "%s": [{"valid":true,"bestpath":true,"pathFrom":"external","peerId":"10.0.0.2","path":"65002",
  "origin":"IGP","nexthops":[{"ip":"%s","afi":"ipv4","used":true}]}] } }
"""
LAB = Path(__file__).resolve().parents[1] / "lab" / "data"


def _snap(make_snapshot, prefix: str, nh: str = "10.0.0.2", where: str = "captures/bgp.json"):
    return make_snapshot({"podpath.yaml": MANIFEST, "r1/frr.conf": R1, "r2/frr.conf": R2,
                          where: CAPTURE % (prefix, nh)})


def _ob(snap):
    return [f for f in snap.check(["OB002"]).findings]


def test_capture_matching_the_simulation_is_quiet(make_snapshot):
    snap = _snap(make_snapshot, "10.244.1.0/24")
    assert {f.path: f.kind for f in snap.files}["captures/bgp.json"] == "frr-bgp-json"
    assert snap.observed_ribs[0].host == "r1"  # by its router-id
    assert _ob(snap) == []


def test_capture_differing_is_reported_both_ways(make_snapshot):
    [f] = _ob(_snap(make_snapshot, "10.99.0.0/24"))
    assert "lacks 1 prefix" in f.message and "has 1 prefix" in f.message
    assert any("10.244.1.0/24" in e and "simulated, not captured" in e for e in f.evidence)
    assert any("10.99.0.0/24" in e and "captured, not simulated" in e for e in f.evidence)
    assert {l.file for l in f.locations} == {"captures/bgp.json", "r1/frr.conf"}


def test_next_hop_difference(make_snapshot):
    [f] = _ob(_snap(make_snapshot, "10.244.1.0/24", nh="10.0.0.9"))
    assert "another next hop" in f.message


def test_unmatched_capture_is_not_checked(make_snapshot):
    snap = make_snapshot({"podpath.yaml": MANIFEST, "r1/frr.conf": R1, "r2/frr.conf": R2,
                          "bgp.json": (CAPTURE % ("10.244.1.0/24", "10.0.0.2")).replace("10.0.0.1", "10.9.9.9")})
    report = snap.check(["OB002"])
    assert not report.findings and any(n.rule == "OB002" for n in report.not_checked) and not report.complete


def test_lab_captures_parse():
    for gen in ("host", "trixie"):
        v6 = (LAB / gen / "frr-bgp-v6-detail.json").read_text()
        assert observed_rib.looks_like_frr_bgp_json(v6)
        [rib] = observed_rib.parse_frr_bgp_json(v6, "x", Diagnostics())
        assert rib.families == {6} and rib.routes and all(r.peer is not None for r in rib.routes)
        bird = (LAB / gen / "bird-b3-routes.txt").read_text()
        assert observed_rib.looks_like_birdc_routes(bird) and not observed_rib.looks_like_frr_bgp_json(bird)
        [b] = observed_rib.parse_birdc_routes(bird, "y", Diagnostics())
        assert b.routes and all(r.protocol.value == "bgp" for r in b.routes)
