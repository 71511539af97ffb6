"""Propagation rules on small hand-written topologies."""

import random

from podpath.routing.bgp import Daemon, VrfImport
from podpath.routing.builtin import REJECT_ALL
from podpath.routing.sim import Simulator
from simutil import lan, net_, peer, speaker

P = "fd00:99::/64"


def two_frr(**opts):
    n = lan(("a", "fd00::1"), ("b", "fd00::2"))
    a = speaker("a", Daemon.FRR, 65001, "10.0.0.1", [peer("b", "fd00::2", 65001, 65002)], [P], **opts)
    b = speaker("b", Daemon.FRR, 65002, "10.0.0.2", [peer("a", "fd00::1", 65002, 65001)], **opts)
    return Simulator([a, b], n).run()


def test_ebgp_propagation_prepends_and_sets_next_hop():
    r = two_frr()
    [s] = r.sessions
    assert s.up and s.afs == (6,)
    path = r.best["b/frr"][net_(P)]
    assert str(path.route.as_path) == "65001" and str(path.route.next_hop) == "fd00::1"
    assert path.route.local_pref is None and path.route.med is None  # nothing local-only leaks over eBGP


def test_as_path_loop_is_dropped():
    r = two_frr()
    # a's route came back from b? it must not be in a's table from b (loop: 65001 in path)
    assert [p.source for p in r.tables["a/frr"][net_(P)]] == ["local"]


def test_ebgp_requires_policy_blocks_unnamed_directions():
    n = lan(("a", "fd00::1"), ("b", "fd00::2"))
    a = speaker("a", Daemon.FRR, 65001, "10.0.0.1", [peer("b", "fd00::2", 65001, 65002, imp=None, exp=None)], [P],
                ebgp_requires_policy=True)
    b = speaker("b", Daemon.FRR, 65002, "10.0.0.2", [peer("a", "fd00::1", 65002, 65001)], ebgp_requires_policy=True)
    r = Simulator([a, b], n, trace={net_(P)}).run()
    assert net_(P) not in r.best["b/frr"]
    assert any("ebgp-requires-policy" in d.text for d in r.decisions)


def _ibgp_chain(rr: bool):
    # e (eBGP) -> x ; x iBGP y ; y iBGP z.  y reflects only if z (or x) is a client.
    n = lan(("e", "fd00::5"), ("x", "fd00::1"), ("y", "fd00::2"), ("z", "fd00::3"))
    e = speaker("e", Daemon.FRR, 65005, "10.0.0.5", [peer("x", "fd00::1", 65005, 65000)], [P])
    x = speaker("x", Daemon.FRR, 65000, "10.0.0.1", [peer("e", "fd00::5", 65000, 65005),
                                                     peer("y", "fd00::2", 65000, 65000)])
    y = speaker("y", Daemon.FRR, 65000, "10.0.0.2", [peer("x", "fd00::1", 65000, 65000, rr_client=rr),
                                                     peer("z", "fd00::3", 65000, 65000, rr_client=rr)])
    z = speaker("z", Daemon.FRR, 65000, "10.0.0.3", [peer("y", "fd00::2", 65000, 65000)])
    return Simulator([e, x, y, z], n, trace={net_(P)}).run()


def test_ibgp_split_horizon():
    r = _ibgp_chain(rr=False)
    assert net_(P) in r.best["y/frr"]
    assert net_(P) not in r.best["z/frr"]
    assert any("split horizon" in d.text for d in r.decisions)


def test_route_reflection_keeps_next_hop_and_sets_originator():
    r = _ibgp_chain(rr=True)
    path = r.best["z/frr"][net_(P)]
    assert str(path.route.originator_id) == "10.0.0.1"
    assert [str(c) for c in path.route.cluster_list] == ["10.0.0.2"]
    assert str(path.route.next_hop) == "fd00::5"  # iBGP keeps the eBGP next hop
    assert path.route.local_pref == 100


def test_ibgp_next_hop_unresolvable_is_not_best():
    # x learns from e on another subnet; reflected to z which cannot reach e's subnet.
    n = lan(("x", "fd00::1"), ("y", "fd00::2"), ("z", "fd00::3"))
    n.add_address("x", "eth1", __import__("ipaddress").ip_interface("fd01::1/64"))
    n.add_address("e", "eth0", __import__("ipaddress").ip_interface("fd01::5/64"))
    e = speaker("e", Daemon.FRR, 65005, "10.0.0.5", [peer("x", "fd01::1", 65005, 65000)], [P])
    x = speaker("x", Daemon.FRR, 65000, "10.0.0.1", [peer("e", "fd01::5", 65000, 65005),
                                                     peer("y", "fd00::2", 65000, 65000)])
    y = speaker("y", Daemon.FRR, 65000, "10.0.0.2", [peer("x", "fd00::1", 65000, 65000, rr_client=True),
                                                     peer("z", "fd00::3", 65000, 65000, rr_client=True)])
    z = speaker("z", Daemon.FRR, 65000, "10.0.0.3", [peer("y", "fd00::2", 65000, 65000)])
    r = Simulator([e, x, y, z], n, trace={net_(P)}).run()
    [yp] = r.tables["y/frr"][net_(P)]
    assert not yp.valid and "does not resolve" in yp.why_invalid
    assert net_(P) not in r.tables["z/frr"]  # invalid paths are never advertised
    assert any("best path is not valid" in d.text for d in r.decisions)


def test_third_party_next_hop_on_shared_lan():
    # n1 -> rr (eBGP) -> n2: rr keeps n1's address as next hop since n2 shares the subnet.
    n = lan(("n1", "fd00::11"), ("rr", "fd00::1"), ("n2", "fd00::12"))
    n1 = speaker("n1", Daemon.FRR, 65011, "10.0.0.11", [peer("rr", "fd00::1", 65011, 65000)], [P])
    rr = speaker("rr", Daemon.FRR, 65000, "10.0.0.1", [peer("n1", "fd00::11", 65000, 65011),
                                                       peer("n2", "fd00::12", 65000, 65012)])
    n2 = speaker("n2", Daemon.FRR, 65012, "10.0.0.12", [peer("rr", "fd00::1", 65012, 65000)])
    r = Simulator([n1, rr, n2], n).run()
    path = r.best["n2/frr"][net_(P)]
    assert str(path.route.next_hop) == "fd00::11" and str(path.route.as_path) == "65000 65011"


def test_bird_rejects_third_party_next_hop_that_is_its_own_address():
    # n1 -> rr1 (eBGP) -> rr2 (iBGP) -> n1 (eBGP): rr2 keeps n1's address as third-party next hop
    # (the path's source peer is rr1, not n1); BIRD on n1 withdraws it as "address is local".
    n = lan(("n1", "fd00::11"), ("rr1", "fd00::1"), ("rr2", "fd00::2"))
    n1 = speaker("n1", Daemon.BIRD, 65011, "10.0.0.11", [peer("rr1", "fd00::1", 65011, 65000, allowas_in=1),
                                                         peer("rr2", "fd00::2", 65011, 65000, allowas_in=1,
                                                              exp=REJECT_ALL)], [P])
    rr1 = speaker("rr1", Daemon.FRR, 65000, "10.0.0.1", [peer("n1", "fd00::11", 65000, 65011),
                                                         peer("rr2", "fd00::2", 65000, 65000)])
    rr2 = speaker("rr2", Daemon.FRR, 65000, "10.0.0.2", [peer("n1", "fd00::11", 65000, 65011),
                                                         peer("rr1", "fd00::1", 65000, 65000)])
    r = Simulator([n1, rr1, rr2], n, trace={net_(P)}).run()
    assert any("address is local" in d.text for d in r.decisions)
    assert not [p for p in r.tables["n1/bird"][net_(P)] if "rr2" in p.source]
    # rr1 sends n1's route back to n1 itself with its own next hop (the source peer is n1): accepted via allowas-in
    assert [str(p.route.next_hop) for p in r.tables["n1/bird"][net_(P)] if "rr1" in p.source] == ["fd00::1"]
    assert str(r.best["rr2/frr"][net_(P)].route.next_hop) == "fd00::11"


def test_bird_single_hop_to_loopback_refused_and_multihop_unreachable():
    n = lan(("node", "fd00::11"))
    cil = speaker("node", Daemon.CILIUM, 65100, "10.0.0.11", [peer("bird", "::1", 65100, 65011)], [P], listens=False,
                  accepts_received=False)
    bird = speaker("node", Daemon.BIRD, 65011, "10.0.0.11", [peer("cilium", "::1", 65011, 65100)])
    r = Simulator([cil, bird], n).run()
    [s] = r.sessions
    assert not s.up and "Invalid remote address" in s.reason
    bird2 = speaker("node", Daemon.BIRD, 65011, "10.0.0.11", [peer("cilium", "::1", 65011, 65100, multihop=2)])
    r = Simulator([cil, bird2], n).run()
    [s] = r.sessions
    assert s.up
    path = r.best["node/bird"][net_(P)]
    assert path.unreachable and str(path.route.next_hop) == "::1"


def test_cilium_rejects_received_routes():
    n = lan(("node", "fd00::11"), ("tor", "fd00::1"))
    cil = speaker("node", Daemon.CILIUM, 65100, "10.0.0.11", [peer("tor", "fd00::1", 65100, 65000)], listens=False,
                  accepts_received=False)
    tor = speaker("tor", Daemon.FRR, 65000, "10.0.0.1", [peer("node", "fd00::11", 65000, 65100)], [P])
    r = Simulator([cil, tor], n, trace={net_(P)}).run()
    assert r.sessions[0].up
    assert net_(P) not in r.best["node/cilium"]
    assert any("rejects every received route" in d.text for d in r.decisions)


def test_session_failures():
    n = lan(("a", "fd00::1"), ("b", "fd00::2"))
    a = speaker("a", Daemon.FRR, 65001, "10.0.0.1", [peer("b", "fd00::2", 65001, 65009)])
    b = speaker("b", Daemon.FRR, 65002, "10.0.0.2", [peer("a", "fd00::1", 65002, 65001)])
    [s] = Simulator([a, b], n).run().sessions
    assert not s.up and "AS mismatch" in s.reason
    a = speaker("a", Daemon.FRR, 65001, "10.0.0.1", [peer("b", "fd00::2", 65001, 65002, passive=True)])
    b = speaker("b", Daemon.FRR, 65002, "10.0.0.2", [peer("a", "fd00::1", 65002, 65001, passive=True)])
    [s] = Simulator([a, b], n).run().sessions
    assert not s.up and "nobody can open the connection" in s.reason
    a = speaker("a", Daemon.FRR, 65001, "10.0.0.1", [peer("b", "fd00::2", 65001, 65002, afs=(4,))])
    b = speaker("b", Daemon.FRR, 65002, "10.0.0.2", [peer("a", "fd00::1", 65002, 65001, afs=(6,))])
    [s] = Simulator([a, b], n).run().sessions
    assert not s.up and "no address family" in s.reason
    a = speaker("a", Daemon.FRR, 65001, "10.0.0.1", [peer("b", "fd00::9", 65001, 65002)])
    s = next(x for x in Simulator([a, b], n).run().sessions if x.a.speaker is a)
    # a peer address no host of the snapshot has is outside it (issue 10): unknown, not down
    assert s.state == "unknown" and "fd00::9 is not an address of any host in the snapshot" in s.reason


def test_listen_range_and_external():
    n = lan(("node", "fd00::11"), ("tor", "fd00::1"))
    node = speaker("node", Daemon.FRR, 65011, "10.0.0.11", [peer("tor", "fd00::1", 65011, 65000)], [P])
    grp = peer("VMS", None, 65000, None, remote_as_mode="external", listen_range=net_("fd00::/64"), connects=False)
    tor = speaker("tor", Daemon.FRR, 65000, "10.0.0.1", [grp])
    r = Simulator([node, tor], n).run()
    assert r.sessions[0].up and net_(P) in r.best["tor/frr"]


def test_vrf_leak_with_policy():
    n = lan(("a", "fd00::1"), ("b", "fd00::2"))
    a = speaker("a", Daemon.FRR, 65001, "10.0.0.1", [peer("b", "fd00::2", 65001, 65002)], [P])
    b = speaker("b", Daemon.FRR, 65002, "10.0.0.2", [peer("a", "fd00::1", 65002, 65001)])
    leak = speaker("b", Daemon.FRR, 65002, "10.0.0.2", [])
    leak.vrf = "blue"
    leak.imports.append(VrfImport("default", None))
    r = Simulator([a, b, leak], n).run()
    assert r.best["b/frr@blue"][net_(P)].leaked
    leak.imports[0] = VrfImport("default", REJECT_ALL)
    r = Simulator([a, b, leak], n).run()
    assert net_(P) not in r.best["b/frr@blue"]


def test_order_independent():
    def build():
        n = lan(("e", "fd00::5"), ("x", "fd00::1"), ("y", "fd00::2"), ("z", "fd00::3"))
        return n, [
            speaker("e", Daemon.FRR, 65005, "10.0.0.5", [peer("x", "fd00::1", 65005, 65000), peer("y", "fd00::2", 65005, 65000)], [P]),
            speaker("x", Daemon.FRR, 65000, "10.0.0.1", [peer("e", "fd00::5", 65000, 65005), peer("z", "fd00::3", 65000, 65000, rr_client=True)]),
            speaker("y", Daemon.FRR, 65000, "10.0.0.2", [peer("e", "fd00::5", 65000, 65005), peer("z", "fd00::3", 65000, 65000, rr_client=True)]),
            speaker("z", Daemon.FRR, 65000, "10.0.0.3", [peer("x", "fd00::1", 65000, 65000), peer("y", "fd00::2", 65000, 65000)]),
        ]
    results = set()
    for seed in range(6):
        n, sps = build()
        random.Random(seed).shuffle(sps)
        r = Simulator(sps, n).run()
        results.add(tuple(sorted((sid, str(p), str(path.route.originator_id)) for sid, t in r.best.items() for p, path in t.items())))
    assert len(results) == 1
