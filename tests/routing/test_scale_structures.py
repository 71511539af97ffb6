"""The data structures behind the simulator's scale work: update groups and shared imports give
exactly the per-peer results, the prefix tables and the LPM behave like the dicts and the
RouteTable they replace, bulk forwarding agrees with hop-by-hop traces."""

from __future__ import annotations

import ipaddress
import pickle
import random

import pytest

from podpath.diagnostics import Loc
from podpath.model.cluster import KernelRoute, RouteTable
from podpath.routing import daemons
from podpath.routing.bgp import BgpOptions, BgpPeer, BgpSpeaker, Daemon, Origination, PeerAf
from podpath.routing.builtin import ACCEPT_ALL, AdvertiseSelected, Fixed
from podpath.routing.network import Network
from podpath.routing.policy import PolicyContext, PolicyResult, TraceStep, Verdict
from podpath.routing.reach import MAX_HOPS, Forwarder, Lpm
from podpath.routing.rib import Path, PrefixIndex, PrefixTable
from podpath.routing.route import AsPath, Origin, Protocol, Route
from podpath.routing.sim import FibEntry, Simulator

L = Loc("t.conf", 1, 1)


# --------------------------------------------------------------------------------------------- fabric

class NotToPeer:
    """An export policy that reads the peer address: update groups must not share its result."""

    name = "not to one peer"

    def __init__(self, peer: object) -> None:
        self.peer = peer

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        ok = ctx.peer_address != self.peer
        step = TraceStep(L, self.name, "accept" if ok else "reject")
        return PolicyResult(Verdict.ACCEPT if ok else Verdict.REJECT, route.replace(med=7) if ok else route,
                            (step,), step)


class TagByLocalAs:
    """An import policy that reads the receiver's own AS: shared imports must not share its result."""

    name = "tag by local AS"

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        step = TraceStep(L, self.name, "accept")
        return PolicyResult(Verdict.ACCEPT, route.replace(communities=route.communities | {(ctx.local_as % 65536, 1)}),
                            (step,), step)


class FromProto:
    name = "kernel export where proto = upstream"
    key = ("kernel export where proto =", "upstream")  # structural: every node's copy behaves the same

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        ok = route.source_name == "upstream"
        step = TraceStep(L, self.name, "accept" if ok else "reject")
        return PolicyResult(Verdict.ACCEPT if ok else Verdict.REJECT, route, (step,), step)


_DEFAULT = object()


def node_speakers(speakers: list[BgpSpeaker], host: str, router_id: str, asn: int, pods: list, comms: frozenset,
                  *, frr: bool = False, ibgp: bool = False, kernel_export: object = _DEFAULT) -> BgpSpeaker:
    """A node's routing: FRR originating its pod CIDRs, or Cilium advertising them to BIRD on the
    loopback (multihop); appends what it makes to `speakers` but the returned upstream-facing
    speaker, which the caller gives its upstream peers."""
    if frr:
        node = BgpSpeaker(host, Daemon.FRR, "frr", asn, L, router_id=router_id)
        for p in pods:
            node.originations.append(Origination(Route(p, Protocol.BGP, origin=Origin.IGP, as_path=AsPath(),
                                                       communities=comms), "network", L))
        return node
    cil = BgpSpeaker(host, Daemon.CILIUM, "cilium", 4220000000, L, router_id=router_id,
                     options=BgpOptions(listens=False, accepts_received=False))
    cil.installs_to_kernel = False
    for p in pods:
        cil.originations.append(Origination(Route(p, Protocol.BGP, origin=Origin.IGP, as_path=AsPath(),
                                                  communities=comms), "PodCIDR", L))
    for fam, lo in ((6, "::1"), (4, "127.0.0.1")):
        peer = BgpPeer("bird", L, 4220000000, ipaddress.ip_address(lo), remote_as=asn)
        sel = tuple((p, frozenset(), frozenset(), None, L) for p in pods if p.version == fam)
        peer.afs[fam] = PeerAf(fam, None, AdvertiseSelected("pods", sel), False, True)
        cil.peers.append(peer)
    speakers.append(cil)
    node = BgpSpeaker(host, Daemon.BIRD, "bird", asn, L, router_id=router_id,
                      kernel_export=FromProto() if kernel_export is _DEFAULT else kernel_export, kernel_metric=32)
    for fam, lo in ((6, "::1"), (4, "127.0.0.1")):
        p = BgpPeer("cilium", L, asn, ipaddress.ip_address(lo), remote_as=4220000000, multihop=2)
        p.afs[fam] = PeerAf(fam, ACCEPT_ALL, ACCEPT_ALL if ibgp else Fixed("none", Verdict.REJECT), True, True)
        node.peers.append(p)
    return node


def route_server(net: Network, r: int, rr_as: int, ibgp: bool, export_of: object,
                 next_hop_self: str | None = None) -> BgpSpeaker:
    """FRR route server `rr<r>` on the node LAN: a listen-range group per family (eBGP, or iBGP
    with the nodes as route-reflector clients), export policy `export_of(family)`."""
    host = f"rr{r}"
    net.add_address(host, "eth0", ipaddress.ip_interface(f"fd00::{r + 1:x}/64"))
    net.add_address(host, "eth0", ipaddress.ip_interface(f"10.0.0.{r + 1}/16"))
    sp = BgpSpeaker(host, Daemon.FRR, "frr", rr_as, L, router_id=f"10.0.0.{r + 1}")
    for fam, rng in ((6, "fd00::/64"), (4, "10.0.0.0/16")):
        grp = BgpPeer("NODES", L, rr_as, None, listen_range=ipaddress.ip_network(rng),
                      remote_as_mode="internal" if ibgp else "external", connects=False)
        grp.afs[fam] = PeerAf(fam, ACCEPT_ALL, export_of(fam), True, True, rr_client=ibgp,  # type: ignore[operator]
                              next_hop_self=next_hop_self)
        sp.peers.append(grp)
    return sp


def fabric(n: int, rr: int = 2, *, ibgp: bool = False, rr_policy: str = "all", node_import: str = "all",
           no_export_node: int | None = None, same_as_pair: bool = False, frr_nodes: bool = False):
    """N nodes (Cilium + BIRD, or FRR) under `rr` FRR route servers, dual stack, like benchmarks/scale.py,
    with knobs that exercise what update groups and shared imports must get right."""
    net = Network()
    speakers: list[BgpSpeaker] = []
    extra: dict[str, list[FibEntry]] = {}
    rr_as = 65000
    for r in range(rr):
        speakers.append(route_server(net, r, rr_as, ibgp, lambda fam: {
            "all": ACCEPT_ALL, "none": Fixed("none", Verdict.REJECT),
            "peer": NotToPeer(ipaddress.ip_address("fd00::101" if fam == 6 else "10.0.1.2"))}[rr_policy]))
    for i in range(n):
        host = f"node{i}"
        v6 = ipaddress.ip_interface(f"fd00::{0x100 + i:x}/64")
        v4 = ipaddress.ip_interface(f"10.0.1.{1 + i}/16")
        net.add_address(host, "eth0", v6)
        net.add_address(host, "eth0", v4)
        pods = [ipaddress.ip_network(f"fd00:224:{i:x}::/64"), ipaddress.ip_network(f"10.64.{i}.0/24")]
        asn = rr_as if ibgp else (4210000000 + (i // 2 if same_as_pair else i))
        comms = frozenset({(0xFFFF, 0xFF01)}) if i == no_export_node else frozenset()
        node = node_speakers(speakers, host, str(v4.ip), asn, pods, comms, frr=frr_nodes, ibgp=ibgp)
        imp = TagByLocalAs() if node_import == "tag" else ACCEPT_ALL
        for r in range(rr):
            for fam, addr in ((6, f"fd00::{r + 1:x}"), (4, f"10.0.0.{r + 1}")):
                p = BgpPeer("upstream", L, asn, ipaddress.ip_address(addr), remote_as=rr_as)
                p.afs[fam] = PeerAf(fam, imp, ACCEPT_ALL, True, True)
                node.peers.append(p)
        speakers.append(node)
        extra[host] = [FibEntry(KernelRoute(p, None, "cilium_host", "kernel"), "cilium") for p in pods]
    return speakers, net, extra


def dump(res) -> dict[str, object]:
    """Everything a simulation result says, with the best path's position in its table."""
    out: dict[str, object] = {}
    for sid in sorted(res.tables):
        for prefix, paths in res.tables[sid].items():
            b = res.best[sid].get(prefix)
            out[f"{sid} {prefix}"] = ([repr(p) for p in paths], [i for i, p in enumerate(paths) if b is not None and p.ident() == b.ident()])
        for prefix in res.best[sid]:
            assert prefix in res.tables[sid]
    for host in sorted(res.fib):
        out[f"fib {host}"] = [(repr(e.route), e.source, e.via_host, e.why) for e in res.fib[host]]
    out["converged"] = res.converged
    return out


CASES = {
    "ebgp route servers": {},
    "ibgp reflection": {"ibgp": True},
    "rr export policy reads the peer": {"rr_policy": "peer"},
    "rr exports nothing": {"rr_policy": "none"},
    "import policy reads the local AS": {"node_import": "tag"},
    "no-export community": {"no_export_node": 3},
    "nodes sharing an AS (loop check)": {"same_as_pair": True},
    "frr nodes (third-party next hop, link-local)": {"frr_nodes": True},
    "frr nodes, ibgp": {"frr_nodes": True, "ibgp": True},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_update_groups_and_shared_imports_give_the_per_peer_result(case):
    speakers, net, extra = fabric(7, **CASES[case])
    grouped = Simulator(speakers, net, extra).run()
    single = Simulator(speakers, net, extra, groups=False).run()
    assert dump(grouped) == dump(single)
    assert any(len(t) for t in grouped.tables.values())


def test_update_groups_are_formed_and_split_by_policy_context():
    speakers, net, extra = fabric(5)
    sim = Simulator(speakers, net, extra)
    from podpath.routing.sessions import find_sessions

    members = sim._members(find_sessions(list(sim.speakers.values()), net))
    rr = members[("rr0/frr", 6)]
    assert len(rr) == 5 and len({id(m.group) for m in rr}) == 1  # one export computation for all nodes
    assert len({m.isig for m in rr}) == 1  # and one import signature at the receivers
    speakers, net, extra = fabric(5, rr_policy="peer")
    sim = Simulator(speakers, net, extra)
    rr = sim._members(find_sessions(list(sim.speakers.values()), net))[("rr0/frr", 6)]
    assert len({id(m.group) for m in rr}) == 5  # the policy sees the peer address: no sharing


def test_traced_prefix_has_per_peer_decisions_and_same_result():
    speakers, net, extra = fabric(4)
    p = ipaddress.ip_network("fd00:224:1::/64")
    traced = Simulator(speakers, net, extra, trace={p}).run()
    plain = Simulator(speakers, net, extra).run()
    assert dump(traced) == dump(plain)
    sent = [d for d in traced.decisions if d.stage == "export" and d.speaker == "rr0/frr" and d.accepted]
    assert len(sent) == 4  # one per node (the origin drops it: AS loop), each naming its peer
    assert len({d.text for d in sent}) == 4


# --------------------------------------------------------------------------------------------- best path

def test_best_cache_selects_like_select_best():
    rnd = random.Random(7)
    sp = BgpSpeaker("h", Daemon.FRR, "frr", 65000, L, router_id="10.0.0.1")
    bird = BgpSpeaker("b", Daemon.BIRD, "bird", 65000, L, router_id="10.0.0.2")
    pfx = ipaddress.ip_network("10.9.0.0/24")
    for _ in range(300):
        paths = []
        for k in range(rnd.randint(1, 5)):
            r = Route(pfx, as_path=AsPath.of(*[rnd.choice((65001, 65002, 65003)) for _ in range(rnd.randint(0, 3))]),
                      med=rnd.choice((None, 0, 10, 20)), local_pref=rnd.choice((None, 100, 200)),
                      origin=rnd.choice(list(Origin)))
            paths.append(Path(r, f"s{k}", ibgp=rnd.random() < 0.3, peer_address=ipaddress.ip_address(f"10.0.0.{k + 5}"),
                              peer_router_id=f"10.0.0.{rnd.randint(1, 9)}", valid=rnd.random() < 0.9))
        for speaker in (sp, bird):
            for always in (False, True):
                speaker.options.always_compare_med = always
                cache = daemons.BestCache()
                want = daemons.select_best(speaker, paths)
                assert cache.select(speaker, paths) is want
                again = [Path.with_source(p, p.source + "'") for p in paths]  # same routes, other sources
                assert cache.select(speaker, again) is again[paths.index(want)]


# --------------------------------------------------------------------------------------------- values

def test_route_hash_is_cached_and_reset_by_replace():
    r = Route(ipaddress.ip_network("10.0.0.0/24"), as_path=AsPath.of(1, 2), extra=(("a", "b"),))
    h = hash(r)
    r2 = r.replace(med=5)
    assert r2 != r and hash(r2) != h or r2 != r
    assert r2.replace(med=None) == r and hash(r2.replace(med=None)) == h
    assert r == Route(ipaddress.ip_network("10.0.0.0/24"), as_path=AsPath.of(1, 2))  # extra is not compared
    assert "_h" not in pickle.loads(pickle.dumps(r)).__dict__ and pickle.loads(pickle.dumps(r)) == r
    with pytest.raises(TypeError):
        r.replace(_h=1)
    assert r.as_path.counts() == {1: 1, 2: 1} and AsPath.of(5, 5, 6).contains(5) == 2


def test_path_shares_attributes_under_another_source():
    r = Route(ipaddress.ip_network("10.0.0.0/24"))
    p = Path(r, "session:a", ibgp=True, peer_name="x", valid=False, why_invalid="no")
    q = Path.with_source(p, "session:b")
    assert q.attrs is p.attrs and q.route is r and q.source == "session:b"
    assert (q.ibgp, q.peer_name, q.valid, q.why_invalid) == (True, "x", False, "no")
    assert q != p and Path.with_source(q, "session:a") == p
    assert p.ident() == ("session:a", r, False, False)


def test_prefix_table_is_a_mapping_in_prefix_order():
    nets = [ipaddress.ip_network(x) for x in ("fd00::/64", "10.1.0.0/16", "10.0.0.0/24", "10.0.0.0/16", "fc00::/7")]
    u = PrefixIndex(nets)
    assert u.prefixes == sorted(nets, key=lambda p: (p.version, int(p.network_address), p.prefixlen))
    t: PrefixTable[str] = PrefixTable(u)
    want = {}
    for i, p in enumerate(u.prefixes):
        if i % 2 == 0:
            t._append(i, str(p))
            want[p] = str(p)
    assert dict(t) == want and list(t) == list(want) and len(t) == len(want)
    assert list(t.items()) == list(want.items()) and list(t.values()) == list(want.values())
    for p in nets:
        assert (p in t) == (p in want) and t.get(p) == want.get(p)
    assert t == want
    with pytest.raises(KeyError):
        t[ipaddress.ip_network("192.168.0.0/24")]
    assert [] not in t and t.get(ipaddress.ip_network("10.0.0.0/24"), "-") == "-"
    with pytest.raises(AssertionError):
        t._append(0, "out of order")


# --------------------------------------------------------------------------------------------- forwarding

def test_lpm_agrees_with_route_table():
    rnd = random.Random(3)
    for _ in range(30):
        routes = []
        for _ in range(rnd.randint(1, 40)):
            if rnd.random() < 0.5:
                plen = rnd.choice((0, 8, 16, 24, 25, 32))
                net = ipaddress.ip_network((rnd.choice((0x0A000000, 0x0A010000, 0xC0A80000)) & ((1 << 32) - (1 << (32 - plen)) if plen else 0), plen))
            else:
                plen = rnd.choice((0, 48, 64, 128))
                base = rnd.choice((0xFD00 << 112, (0xFD00 << 112) | (1 << 64)))
                net = ipaddress.ip_network((base & ((1 << 128) - (1 << (128 - plen)) if plen else 0), plen))
            routes.append(KernelRoute(net, None, "eth0", "kernel", metric=rnd.choice((None, 0, 10, 20)),
                                      table=rnd.choice(("main", "main", "local")),
                                      type=rnd.choice(("unicast", "unicast", "local", "blackhole"))))
        rt = RouteTable(routes)
        entries = [FibEntry(r, "x") for r in routes]
        lpm = Lpm(entries)
        for _ in range(50):
            addr = ipaddress.ip_address(rnd.choice((0x0A000001, 0x0A010203, 0xC0A80001, (0xFD00 << 112) | 5,
                                                    (0xFD00 << 112) | (1 << 64) | 9, 0x08080808)))
            want = rt.lookup(addr)
            got = lpm.lookup(addr.version, int(addr))
            assert (got.route if got else None) is want


def _chain_result(hosts: int, links: dict[int, object]):
    """A line of hosts h0..h{n-1} for one pod prefix of h{n-1}: links[i] says what h_i does."""
    from podpath.routing.sim import SimResult

    net = Network()
    pfx = ipaddress.ip_network("10.200.0.0/24")
    fib: dict[str, list[FibEntry]] = {}
    for i in range(hosts):
        net.add_address(f"h{i}", "eth0", ipaddress.ip_interface(f"10.1.0.{i + 1}/24"))
    for i in range(hosts):
        what = links.get(i, i + 1)
        es = []
        if what == "pods":
            es.append(FibEntry(KernelRoute(pfx, None, "cilium_host", "kernel"), "cilium"))
        elif what == "blackhole":
            es.append(FibEntry(KernelRoute(pfx, None, "lo", "bird", type="blackhole"), "bird"))
        elif what == "onlink":
            es.append(FibEntry(KernelRoute(pfx, None, "eth0", "bird"), "bird"))
        elif isinstance(what, int):
            es.append(FibEntry(KernelRoute(pfx, ipaddress.ip_address(f"10.1.0.{what + 1}"), "eth0", "bird"), "bird"))
        fib[f"h{i}"] = es
    return SimResult({}, [], {}, {}, fib), net, pfx


@pytest.mark.parametrize("hosts,links", [
    (5, {4: "pods"}),
    (5, {4: "pods", 2: 0}),  # loop h0 -> h1 -> h2 -> h0
    (5, {4: "pods", 2: None}),  # no route on h2
    (5, {4: "pods", 1: "blackhole"}),
    (5, {4: "pods", 3: "onlink"}),
    (5, {4: "pods", 3: 9}),  # gateway owned by nobody
    (MAX_HOPS + 4, {MAX_HOPS + 3: "pods"}),  # too long from the first hosts
    (MAX_HOPS + 1, {MAX_HOPS: "pods"}),
    (6, {5: "pods", 3: "pods"}),  # delivered to the wrong host's pods
])
def test_undelivered_agrees_with_traces(hosts, links):
    res, net, pfx = _chain_result(hosts, links)
    dst = f"h{hosts - 1}"
    srcs = [f"h{i}" for i in range(hosts)] + ["nowhere"]
    for order in (srcs, list(reversed(srcs))):
        fwd = Forwarder(res, net)
        want = [s for s in order if not fwd.trace(s, pfx, dst).delivered]
        assert Forwarder(res, net).undelivered(pfx, dst, order) == want
        assert fwd.undelivered(pfx, dst, order) == want  # with the traces' memo filled
        assert [s for s in order if not Forwarder(res, net).delivered(s, pfx, dst)] == want


def test_bulk_forwarding_on_the_fabric():
    speakers, net, extra = fabric(6)
    res = Simulator(speakers, net, extra).run()
    fwd = Forwarder(res, net)
    for i in range(6):
        for p in (ipaddress.ip_network(f"fd00:224:{i:x}::/64"), ipaddress.ip_network(f"10.64.{i}.0/24")):
            srcs = [f"node{j}" for j in range(6) if j != i] + ["rr0"]
            assert fwd.undelivered(p, f"node{i}", srcs) == [s for s in srcs if not fwd.trace(s, p, f"node{i}").delivered]
    assert fwd.undelivered(ipaddress.ip_network("10.64.0.0/24"), "node0", ["node1", "node2"]) == []
