"""Parsers of daemon output, checked against output captured from the real daemons.

tests/lab/data/host: FRR 8.4.4, BIRD 2.0.12, GoBGP 3.10.0 (Debian bookworm).
tests/lab/data/trixie: FRR 10.3, BIRD 2.17.5, GoBGP 3.36.0 (Debian trixie).
Captured by one lab: BIRD `feed` (AS 65002) and GoBGP `gob` (AS 65010) feed FRR
`frr1` (AS 65001, inbound route-map SETLP from feed: local-pref 200, weight 7);
BIRD `b3` (AS 65003) peers with feed and FRR and imports everything.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from podpath.lab import parsers
from podpath.lab.daemons import gobgp_path_args
from podpath.routing.route import AsPath, AsPathSegment, ExtCommunity, Origin, Protocol, Route, RouteDest

DATA = Path(__file__).parent / "data"

GENS = ["host", "trixie"]
N = ipaddress.ip_network
A = ipaddress.ip_address


def read(gen: str, name: str) -> str:
    return (DATA / gen / name).read_text()


def by_prefix(routes: list[Route]) -> dict[str, list[Route]]:
    out: dict[str, list[Route]] = {}
    for r in routes:
        out.setdefault(str(r.prefix), []).append(r)
    return out


@pytest.mark.parametrize("gen", GENS)
def test_bird_routes_all_attributes(gen: str) -> None:
    routes = by_prefix(parsers.parse_bird_routes(read(gen, "bird-b3-routes.txt")))
    best, other = routes["fd00:200::/48"]
    assert best.source_name == "feed" and dict(best.extra)["primary"] == "true"
    assert other.source_name == "frr" and dict(other.extra)["primary"] == "false"
    assert best.protocol is Protocol.BGP
    assert best.as_path == AsPath.of(65002, 65011, 65010)
    assert best.origin is Origin.EGP
    assert best.med == 7 and best.local_pref == 100
    assert best.communities == {(65002, 100)}
    assert best.large_communities == {(4200001000, 0, 100)}
    assert best.ext_communities == {ExtCommunity("rt", "65000", 100)}
    assert best.next_hop == A("fd00:10::2") and best.next_hop_ll is not None
    assert best.peer == A("fd00:10::2") and best.ifname == "eth0" and best.preference == 100
    assert other.peer == A("fd00:10::1") and other.as_path == AsPath.of(65001, 65002, 65011, 65010)


@pytest.mark.parametrize("gen", GENS)
def test_bird_third_party_next_hop_and_sets(gen: str) -> None:
    routes = by_prefix(parsers.parse_bird_routes(read(gen, "bird-b3-routes.txt")))
    r = routes["fd00:201::/48"][0]
    assert r.next_hop == A("fd00:10::99") and r.next_hop_ll is None
    assert r.peer == A("fd00:10::2")  # `from` differs from the gateway
    assert r.origin is Origin.INCOMPLETE
    s = routes["fd00:301::/48"][0]
    assert s.as_path == AsPath((AsPathSegment((65001, 65010, 65100)), AsPathSegment((65200, 65201), True)))
    assert routes["fd00:202::/48"][0].communities == {(65535, 65281)}


@pytest.mark.parametrize("gen", GENS)
def test_bird_static_and_tables(gen: str) -> None:
    routes = parsers.parse_bird_routes(read(gen, "bird-feed-routes.txt"))
    static = [r for r in routes if r.protocol is Protocol.STATIC]
    assert {str(r.prefix) for r in static} == {"10.200.0.0/16", "fd00:200::/48", "fd00:201::/48", "fd00:202::/48"}
    assert all(r.dest is RouteDest.BLACKHOLE and r.preference == 200 for r in static)
    assert {dict(r.extra)["table"] for r in static} == {"master4", "master6"}


@pytest.mark.parametrize("gen", GENS)
def test_bird_protocols(gen: str) -> None:
    protos = parsers.parse_bird_protocols(read(gen, "bird-b3-protocols.txt"))
    feed = protos["feed"]
    assert feed["proto"] == "BGP" and feed["info"].startswith("Established")
    assert feed["neighbor_as"] == "65002" and feed["local_as"] == "65003"
    chan = feed["channels"]["ipv6"]
    assert parsers.bird_route_counts(chan["routes"]) == {"imported": 3, "exported": 0, "preferred": 3}
    assert chan["import_updates"].split()[0] == "3"
    assert protos["device1"]["proto"] == "Device"


@pytest.mark.parametrize("gen", GENS)
def test_strip_banner(gen: str) -> None:
    text = read(gen, "bird-status.txt")
    assert text.startswith("BIRD ")
    assert "ready." not in parsers.strip_birdc_banner(text).splitlines()[0]


@pytest.mark.parametrize("gen", GENS)
def test_frr_detail(gen: str) -> None:
    obj = parsers.loads_json_stream(read(gen, "frr-bgp-v6-detail.json"))
    routes = by_prefix(parsers.frr_detail_routes(obj))
    r = routes["fd00:200::/48"][0]
    assert r.as_path == AsPath.of(65002, 65011, 65010) and r.origin is Origin.EGP
    assert r.local_pref == 200 and r.weight == 7 and r.med == 7  # set by route-map SETLP
    assert r.communities == {(65002, 100)} and r.large_communities == {(4200001000, 0, 100)}
    assert r.ext_communities == {ExtCommunity("rt", "65000", 100)}
    assert r.next_hop == A("fd00:10::2") and r.next_hop_ll is not None and r.peer == A("fd00:10::2")
    assert dict(r.extra)["best"] == "true" and dict(r.extra)["peer_type"] == "external"
    g = routes["fd00:300::/48"][0]
    assert g.local_pref is None  # eBGP path without a set: FRR shows no locPrf
    assert g.communities == {(65010, 1)} and g.large_communities == {(1, 2, 3)}
    assert g.ext_communities == {ExtCommunity("rt", "65000", 7)}
    assert routes["fd00:202::/48"][0].communities == {(0xFFFF, 0xFF01)}  # no-export
    sets = routes["fd00:301::/48"][0].as_path
    assert sets.segments[-1] == AsPathSegment((65200, 65201), True)
    local = routes["fd00:77::/64"][0]
    assert local.peer is None and local.next_hop is None and local.weight == 32768 and local.as_path == AsPath()


@pytest.mark.parametrize("gen", GENS)
def test_frr_ipv4_and_summary(gen: str) -> None:
    obj = parsers.loads_json_stream(read(gen, "frr-bgp-v4-detail.json"))
    (r,) = parsers.frr_detail_routes(obj)
    assert r.prefix == N("10.200.0.0/16") and r.med == 3 and r.next_hop == A("10.0.10.2")
    states = parsers.frr_peer_states(json.loads(read(gen, "frr-summary.json")))
    assert states["default/ipv4Unicast/10.0.10.2"] is True
    assert all(states.values()) and len(states) == 4


def test_frr_vrf_tables_shapes() -> None:
    wrapped = {"default": {"vrfName": "default", "routes": {}}, "red": {"vrfName": "red", "routes": {}}}
    assert set(parsers.frr_vrf_tables(wrapped)) == {"default", "red"}
    stream = parsers.loads_json_stream('{"vrfName": "default", "routes": {}} {"vrfName": "red", "routes": {}}')
    assert set(parsers.frr_vrf_tables(stream)) == {"default", "red"}


@pytest.mark.parametrize("gen", GENS)
def test_gobgp_rib(gen: str) -> None:
    routes = by_prefix(parsers.gobgp_rib_routes(json.loads(read(gen, "gobgp-rib6.json"))))
    own = routes["fd00:300::/48"][0]
    assert own.as_path == AsPath.of(65100, 65101) and own.origin is Origin.EGP
    assert own.med == 5 and own.local_pref == 150
    assert own.communities == {(65010, 1)} and own.large_communities == {(1, 2, 3)}
    assert own.ext_communities == {ExtCommunity("rt", "65000", 7)}
    assert own.next_hop == A("fd00:10::11") and own.peer is None
    learned = routes["fd00:201::/48"][0]
    assert learned.peer == A("fd00:10::1") and learned.next_hop == A("fd00:10::99")
    assert learned.as_path == AsPath.of(65001, 65002) and learned.origin is Origin.INCOMPLETE
    assert routes["fd00:301::/48"][0].next_hop is None  # '::' = not set


@pytest.mark.parametrize("gen", GENS)
def test_gobgp_adj_in_and_neighbors(gen: str) -> None:
    routes = by_prefix(parsers.gobgp_rib_routes(json.loads(read(gen, "gobgp-adjin.json"))))
    r = routes["fd00:200::/48"][0]
    assert r.as_path == AsPath.of(65001, 65002, 65011, 65010)
    assert r.ext_communities == {ExtCommunity("rt", "65000", 100)}
    neighbors = json.loads(read(gen, "gobgp-neighbor.json"))
    assert neighbors[0]["state"]["session_state"] == 6  # ESTABLISHED


def test_gobgp_path_args() -> None:
    r = Route(N("fd00:1::/64"), next_hop=A("fd00::1"), as_path=AsPath.of(65100, 65101), med=5,
              communities=frozenset({(65010, 1)}), large_communities=frozenset({(1, 2, 3)}),
              ext_communities=frozenset({ExtCommunity("rt", "65000", 7)}), origin=Origin.EGP, local_pref=9)
    assert gobgp_path_args(r) == ["fd00:1::/64", "-a", "ipv6", "origin", "egp", "nexthop", "fd00::1",
                                  "aspath", "65100 65101", "community", "65010:1", "large-community",
                                  "1:2:3", "med", "5", "local-pref", "9", "rt", "65000:7"]
    with pytest.raises(ValueError):
        gobgp_path_args(r.replace(atomic_aggregate=True))


def test_community_spellings() -> None:
    assert parsers.parse_community("no-export") == (0xFFFF, 0xFF01)
    assert parsers.parse_community("local-AS") == (0xFFFF, 0xFF03)
    assert parsers.parse_community("(65000,7)") == (65000, 7)
    assert parsers.parse_large_community("(1, 2, 3)") == (1, 2, 3)
    assert parsers.parse_large_community("1:2:3") == (1, 2, 3)


@pytest.mark.parametrize("gen", GENS)
def test_frr_rib_same_shape_for_both_versions(gen: str) -> None:
    rib = parsers.frr_rib_by_vrf(json.loads(read(gen, "frr-route-v6.json")))
    entry = rib["default"]["fd00:200::/48"][0]
    assert entry["protocol"] == "bgp" and entry["distance"] == 20
    assert rib["default"]["fd00:77::/64"][0]["protocol"] == "static"
