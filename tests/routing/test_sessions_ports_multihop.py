"""Sessions and TCP ports (the initiator connects to its configured port, the other side must listen there),
and eBGP over the loopbacks of adjacent routers with `ebgp-multihop` on one side only. Every "lab" case was
run with `podpath lab compare` (FRR 8.4, BIRD 2.0.12): the simulator matched the daemons."""

from __future__ import annotations

import pytest

MANIFEST = """
versions: {frr: 8.4.4, bird: 2.0.12}
hosts:
  r1: {role: router, interfaces: {eth0: {addresses: ["10.9.0.1/30"], segment: l12}}}
  r2: {role: router, interfaces: {eth0: {addresses: ["10.9.0.2/30"], segment: l12}}}
segments:
  l12: {prefixes: ["10.9.0.0/30"]}
"""

FRR = """
frr version 8.4.4
frr defaults traditional
hostname r1
!
interface eth0
 ip address 10.9.0.1/30
exit
!
router bgp 65001
 bgp router-id 10.9.0.1
 no bgp ebgp-requires-policy
 neighbor 10.9.0.2 remote-as 65002
{extra}
exit
!
"""

BIRD = """
router id 10.9.0.2;
protocol device {{ }}
protocol bgp r1 {{
  local 10.9.0.2{local} as 65002;
  neighbor 10.9.0.1{port} as 65001;
{extra}
  ipv4 {{ import all; export all; }};
}}
"""


def _session(make_snapshot, frr_extra: str = "", local: str = "", port: str = "", bird_extra: str = ""):  # type: ignore[no-untyped-def]
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": FRR.format(extra=frr_extra),
                          "bird/r2.conf": BIRD.format(local=local, port=port, extra=bird_extra)})
    [s] = snap.simulate().sessions
    return s


def test_wrong_port_to_a_passive_peer_is_down(make_snapshot):  # type: ignore[no-untyped-def]
    """lab: FRR connects to 1790, BIRD (passive) listens on 179: down."""
    s = _session(make_snapshot, " neighbor 10.9.0.2 port 1790", bird_extra="  passive on;")
    assert s.state == "down"
    assert "connects to port 1790" in s.reason and "listens on port 179" in s.reason


def test_bird_local_port_is_where_it_listens(make_snapshot):  # type: ignore[no-untyped-def]
    """lab: BIRD `local ... port 1790` (passive) accepts FRR's connection to 1790."""
    s = _session(make_snapshot, " neighbor 10.9.0.2 port 1790", local=" port 1790", bird_extra="  passive on;")
    assert s.state == "established", s.reason


def test_bird_local_port_refuses_the_default_port(make_snapshot):  # type: ignore[no-untyped-def]
    s = _session(make_snapshot, "", local=" port 1790", bird_extra="  passive on;")
    assert s.state == "down" and "listens on port 1790 (`local port`" in s.reason


def test_a_wrong_port_on_one_side_is_repaired_by_the_other_direction(make_snapshot):  # type: ignore[no-untyped-def]
    """FRR's connection to 1790 fails, but BIRD (active) connects to FRR's 179: the session comes up."""
    assert _session(make_snapshot, " neighbor 10.9.0.2 port 1790").state == "established"


@pytest.mark.parametrize("port,up", [(" port 179", True), (" port 1179", False)])
def test_bird_neighbor_port_to_a_passive_frr(make_snapshot, port, up):  # type: ignore[no-untyped-def]
    s = _session(make_snapshot, " neighbor 10.9.0.2 passive", port=port)
    assert s.up is up, s.reason


def test_cilium_listens_on_its_local_port_only():  # type: ignore[no-untyped-def]
    from podpath.model.cilium_bgp import CiliumBgpInstance
    from podpath.routing.cilium_speaker import _port

    assert _port(CiliumBgpInstance("n", "i", 65000, None, None).local_port) is None  # type: ignore[arg-type]
    assert _port("1790") == 1790 and _port("x") is None


LOOP_MANIFEST = """
versions: {frr: 8.4.4}
hosts:
  r1: {role: router, interfaces: {eth0: {addresses: ["10.9.0.1/29"], segment: l}, lo: {addresses: ["10.255.0.1/32"]}}}
  r2: {role: router, interfaces: {eth0: {addresses: ["10.9.0.2/29"], segment: l}, lo: {addresses: ["10.255.0.2/32"]}}}
  r3:
    role: router
    interfaces: {eth0: {addresses: ["10.9.0.3/29"], segment: l}}
    routes: ["10.255.0.1/32 via 10.9.0.1", "10.255.0.2/32 via 10.9.0.2"]
segments:
  l: {prefixes: ["10.9.0.0/29"]}
"""

LOOP = """
frr version 8.4.4
frr defaults traditional
hostname r{i}
!
interface eth0
 ip address 10.9.0.{i}/29
exit
!
interface lo
 ip address 10.255.0.{i}/32
exit
!
ip route 10.255.0.{j}/32 {via}
!
router bgp 6500{i}
 bgp router-id 10.255.0.{i}
 no bgp ebgp-requires-policy
 neighbor 10.255.0.{j} remote-as 6500{j}
 neighbor 10.255.0.{j} update-source lo
{extra}
exit
!
"""


def _loop(make_snapshot, mh1: bool, mh2: bool, via1: str = "10.9.0.2", via2: str = "10.9.0.1"):  # type: ignore[no-untyped-def]
    files = {"podpath.yaml": LOOP_MANIFEST,
             "frr/r1.conf": LOOP.format(i=1, j=2, via=via1, extra=" neighbor 10.255.0.2 ebgp-multihop 2" if mh1 else ""),
             "frr/r2.conf": LOOP.format(i=2, j=1, via=via2, extra=" neighbor 10.255.0.1 ebgp-multihop 2" if mh2 else "")}
    [s] = make_snapshot(files).simulate().sessions
    return s


def test_loopbacks_of_adjacent_routers_multihop_on_one_side_is_up(make_snapshot):  # type: ignore[no-untyped-def]
    """lab (FRR 8.4): r1 (multihop) connects; r2 (no multihop) does not connect (connected check) but accepts,
    and its TTL-1 packets reach r1, one link away."""
    assert _loop(make_snapshot, True, False).state == "established"
    assert _loop(make_snapshot, False, True).state == "established"


def test_loopbacks_without_multihop_on_either_side_is_down(make_snapshot):  # type: ignore[no-untyped-def]
    s = _loop(make_snapshot, False, False)
    assert s.state == "down" and "nobody can open the connection" in s.reason and "bgpd does not connect" in s.reason


def test_ttl_one_does_not_cross_a_router(make_snapshot):  # type: ignore[no-untyped-def]
    """r2's route to r1's loopback goes through the router r3: its TTL-1 packets die there."""
    s = _loop(make_snapshot, True, False, via2="10.9.0.3")
    assert s.state == "down", s.reason
