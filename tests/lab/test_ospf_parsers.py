"""Reading the real daemons' OSPF routes (lab/parsers.py), from output captured in the lab."""

from __future__ import annotations

from podpath.lab.parsers import bird_ospf_rows, frr_ospf_rows, parse_bird_routes
from podpath.routing.route import Protocol

BIRD = """BIRD 2.0.12 ready.
Table master4:
10.100.22.0/24       unicast [ospf2 12:58:40.098] ! I (150/20) [10.200.5.3]
\tdev eth2
\tvia 10.100.21.3 on eth1 weight 1
\tType: OSPF univ
\tOSPF.metric1: 20
172.16.1.0/24        blackhole [st4 13:00:00.111] * (200)
\tType: static univ
172.18.0.0/24        unicast [ospf2 13:00:01.123] * E2 (150/10/10000) [10.200.2.2]
\tvia 10.100.8.2 on eth0
\tType: OSPF-E2 univ
0.0.0.0/0            unicast [ospf2 13:00:01.123] * IA (150/11) [10.200.2.2]
\tvia 10.100.8.2 on eth0
Table master6:
fd21:6::2/128        unicast [ospf3 13:00:01.123] * I (150/20) [10.200.6.2]
\tvia fe80::a8b4:1eff:fe2c:5f01 on eth0 weight 1
\tvia fe80::1c2d:9aff:fe00:3 on eth1 weight 1
"""


def test_bird_ospf_rows_keep_types_metrics_and_every_next_hop() -> None:
    rows = {r["prefix"]: r for r in bird_ospf_rows(BIRD)}
    assert set(rows) == {"10.100.22.0/24", "172.18.0.0/24", "0.0.0.0/0", "fd21:6::2/128"}
    assert rows["10.100.22.0/24"]["nexthops"] == ["10.100.21.3@eth1", "direct@eth2"]  # `!`: still a route
    assert (rows["172.18.0.0/24"]["kind"], rows["172.18.0.0/24"]["metric"], rows["172.18.0.0/24"]["metric2"]) == \
        ("ext2", 10, 10000)
    assert rows["0.0.0.0/0"]["kind"] == "inter"
    assert rows["fd21:6::2/128"]["nexthops"] == ["link-local@eth0", "link-local@eth1"]


def test_bird_route_table_is_not_confused_by_ospf_routes() -> None:
    got = {str(r.prefix): r for r in parse_bird_routes(BIRD)}
    assert got["172.16.1.0/24"].protocol is Protocol.STATIC  # not swallowed by the OSPF lines around it
    assert got["172.18.0.0/24"].protocol is Protocol.OSPF and got["10.100.22.0/24"].protocol is Protocol.OSPF


def test_frr_ospf_rows_from_zebra() -> None:
    rib = {"10.255.0.2/32": [{"protocol": "ospf", "metric": 10, "nexthops": [
               {"ip": "10.10.0.2", "interfaceName": "eth0", "active": True}]}],
           "10.10.0.0/24": [{"protocol": "ospf", "metric": 10, "nexthops": [
               {"directlyConnected": True, "interfaceName": "eth0", "active": True}]},
               {"protocol": "connected", "metric": 0, "nexthops": []}],
           "fd00::2/128": [{"protocol": "ospf6", "metric": 20, "nexthops": [
               {"ip": "fe80::1", "interfaceName": "eth0", "active": True}]}],
           "10.20.0.0/24": [{"protocol": "bgp", "metric": 0, "nexthops": []}]}
    rows = {r["prefix"]: r for r in frr_ospf_rows(rib)}
    assert set(rows) == {"10.255.0.2/32", "10.10.0.0/24", "fd00::2/128"}
    assert rows["10.10.0.0/24"]["nexthops"] == ["direct@eth0"]
    assert rows["fd00::2/128"]["nexthops"] == ["link-local@eth0"] and rows["10.255.0.2/32"]["metric"] == 10
