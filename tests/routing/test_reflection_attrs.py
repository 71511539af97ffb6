"""Route reflection attributes across daemons (found by the differential suite, seed 5136).

A BIRD reflector sets ORIGINATOR_ID (the client it learned from) and CLUSTER_LIST when it
reflects; an FRR reflector then reflecting the same path back towards that client must not
make the client accept its own route. Real FRR 8.4/10.3 and BIRD 2.0/2.17 agree: the client
(s8r1) holds only its own static path.
"""

from ipaddress import IPv4Address, ip_network
from pathlib import Path

import podpath

DATA = Path(__file__).parent / "data" / "bird-reflector-originator"


def test_bird_reflector_sets_originator_and_cluster_list() -> None:
    res = podpath.load(DATA).simulate()
    prefix = ip_network("fd10:8:10::/64")
    frr = res.tables["s8r2/frr"][prefix]
    via_bird_rr = [p for p in frr if str(p.peer_address) == "fd10:8::1"]
    assert len(via_bird_rr) == 1
    assert via_bird_rr[0].route.originator_id == IPv4Address("10.8.0.2")  # s8r1's router id
    assert via_bird_rr[0].route.cluster_list == (IPv4Address("10.8.0.1"),)  # s8r0's cluster id
    client = res.tables["s8r1/bird"][prefix]
    assert [p.local for p in client] == [True]  # its own route does not come back
