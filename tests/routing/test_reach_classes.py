"""Forwarding-equivalence classes of source hosts (reach._Class): sources whose kernel tables are
equal apart from their own routes share one walk per destination. Whatever the tables, the answer
must be exactly that of walking every source on its own: random racks of nodes behind ToRs, most
nodes alike, some set apart (a more specific route of their own, another or an unreachable default
gateway, a blackhole, a loop, an equal prefix with another metric, a gateway the node owns itself, a
pod CIDR two nodes share, no table at all), anycast and link-local (via host) gateways, ToRs that
lose or loop a prefix, and chains around the hop limit."""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path

import pytest

import podpath
from podpath.model.cluster import KernelRoute
from podpath.routing.network import Network
from podpath.routing.reach import MAX_HOPS, Forwarder
from podpath.routing.sim import FibEntry, SimResult

ip = ipaddress.ip_address
net_ = ipaddress.ip_network
iface = ipaddress.ip_interface

EXCEPTIONS = ["specific", "aggregate", "blackhole", "other-default", "lost-default", "no-default", "metric",
              "worse-metric", "loop", "dup-pod", "other-table", "self-gateway", "via-host", "missing",
              "metric-only", "swapped"]


def _route(dst: str, gw: str | None = None, dev: str | None = None, **kw: object) -> KernelRoute:
    return KernelRoute(net_(dst), ip(gw) if gw else None, dev, **kw)  # type: ignore[arg-type]


def random_network(seed: int) -> tuple[dict[str, list[FibEntry]], Network, list[tuple[str, object]], list[str]]:
    """(kernel tables, network, destinations (host, prefix), source names) of a random rack fabric."""
    rnd = random.Random(seed)
    net = Network()
    fib: dict[str, list[FibEntry]] = {}
    racks = rnd.randint(2, 4)
    sizes = [rnd.randint(3, 6)] + [rnd.randint(1, 6) for _ in range(racks - 1)]
    modes = ["tor"] + [rnd.choice(["tor", "tor", "anycast", "via-host", "twin"]) for _ in range(racks - 1)]
    nodes: list[tuple[str, int, int]] = []  # (name, rack, node number)
    for r in range(racks):
        tor = f"tor{r}"
        net.add_address(tor, "rack", iface(f"10.1.{r}.1/24"), f"rack{r}")
        net.add_address(tor, "rack", iface(f"fd00:1:{r}::1/64"), f"rack{r}")
        net.add_address(tor, "rack", iface("10.9.9.1/24"), f"rack{r}")  # anycast gateway
        net.add_address(tor, "rack", iface("fd00:9::1/64"), f"rack{r}")
        net.add_address(tor, "fabric", iface(f"10.0.0.{r + 1}/24"), "fabric")
        net.add_address(tor, "fabric", iface(f"fd00::{r + 1:x}/64"), "fabric")
        for _ in range(sizes[r]):
            k = len(nodes)
            name = f"node{k}"
            nodes.append((name, r, k))
            net.add_address(name, "eth0", iface(f"10.1.{r}.{10 + k}/24"), f"rack{r}")
            net.add_address(name, "eth0", iface(f"fd00:1:{r}::{10 + k:x}/64"), f"rack{r}")
    pods = {name: [f"10.64.{k}.0/24", f"fd00:224:{k:x}::/64"] for name, _, k in nodes}
    exc = {name: (rnd.choice(EXCEPTIONS) if rnd.random() < 0.3 else None) for name, _, _ in nodes}
    exc[nodes[0][0]] = exc[nodes[1][0]] = None  # rack 0 keeps a class of at least two alike
    for name, _, _ in nodes:
        if exc[name] == "dup-pod":
            pods[name] = list(pods[rnd.choice(nodes)[0]])
    for name, r, k in nodes:
        e = exc[name]
        if e == "missing":
            continue
        mode = modes[r]
        t = [FibEntry(_route(f"10.1.{r}.0/24", dev="eth0"), "connected"),
             FibEntry(_route(f"fd00:1:{r}::/64", dev="eth0"), "connected")]
        gw4, gw6 = f"10.1.{r}.1", f"fd00:1:{r}::1"
        if mode == "anycast":
            gw4, gw6 = "10.9.9.1", "fd00:9::1"
        if e == "other-default":
            o = rnd.randrange(racks)
            gw4, gw6 = f"10.0.0.{o + 1}", f"fd00::{o + 1:x}"
        elif e == "lost-default":
            gw4, gw6 = f"10.1.{r}.254", f"fd00:1:{r}::fe"
        if e != "no-default":
            t.append(FibEntry(_route("0.0.0.0/0", gw4, metric=10 if e == "metric-only" else None), "static"))
            if mode == "twin":  # a second default, worse unless the first one's metric is raised
                twin = FibEntry(_route("0.0.0.0/0", f"10.0.0.{(r + 1) % racks + 1}", metric=5), "static")
                t.insert(len(t) - 1 if e == "swapped" else len(t), twin)
            if mode == "via-host" and e is None:
                t.append(FibEntry(_route("::/0", "fe80::1", "eth0"), "static", via_host=f"tor{r}"))
            else:
                t.append(FibEntry(_route("::/0", gw6), "static"))
        for p in pods[name]:
            t.append(FibEntry(_route(p, dev="cilium_host", metric=0), "cilium"))
        other, orack, ok = rnd.choice(nodes)
        if e == "specific":
            t.append(FibEntry(_route(pods[other][0], f"10.1.{orack}.{10 + ok}"), "static"))
            t.append(FibEntry(_route(pods[other][1], f"fd00:1:{orack}::{10 + ok:x}"), "static"))
        elif e == "aggregate":
            t.append(FibEntry(_route("10.64.0.0/16", f"10.0.0.{rnd.randrange(racks) + 1}"), "static"))
        elif e == "blackhole":
            t.append(FibEntry(_route(pods[other][rnd.randrange(2)], type="blackhole"), "static"))
        elif e in ("metric", "worse-metric"):
            m = 0 if e == "metric" else 500
            t.insert(0, FibEntry(_route("0.0.0.0/0", f"10.0.0.{rnd.randrange(racks) + 1}", metric=m), "static"))
        elif e == "loop" and other != name:
            t.append(FibEntry(_route(pods[other][0], f"10.1.{orack}.{10 + ok}"), "static"))
            if exc[other] is None or exc[other] == "loop":
                exc[other] = "loop"  # the other node sends it back (its table is built later or patched below)
                back = fib.get(other)
                if back is not None:
                    back.append(FibEntry(_route(pods[other][0], f"10.1.{r}.{10 + k}"), "static"))
        elif e == "other-table":
            t.append(FibEntry(_route(pods[other][0], "10.0.0.1", table="100"), "static"))
            t.append(FibEntry(_route(f"10.1.{r}.{10 + k}/32", dev="eth0", type="local"), "local"))
        elif e == "self-gateway":
            t.append(FibEntry(_route(pods[other][0], f"10.1.{r}.{10 + k}"), "static"))
        elif e == "via-host":
            t.append(FibEntry(_route(pods[other][1], "fe80::99", "eth0"), "bird", via_host=rnd.choice(nodes)[0]))
        fib[name] = t
    # a chain of routers for one prefix, around the hop limit
    chain = rnd.randint(MAX_HOPS - 4, MAX_HOPS + 1)
    for i in range(chain):
        h = f"hop{i}"
        net.add_address(h, "eth0", iface(f"10.2.{i}.1/24"))
        fib[h] = [FibEntry(_route("198.51.100.0/24", f"10.2.{i + 1}.1") if i + 1 < chain else
                           _route("198.51.100.0/24", dev="cilium_host"), "static")]
    for r in range(racks):
        t = [FibEntry(_route(f"10.1.{r}.0/24", dev="rack"), "connected"),
             FibEntry(_route(f"fd00:1:{r}::/64", dev="rack"), "connected"),
             FibEntry(_route("10.0.0.0/24", dev="fabric"), "connected"),
             FibEntry(_route("fd00::/64", dev="fabric"), "connected"),
             FibEntry(_route("198.51.100.0/24", "10.2.0.1"), "static")]
        for name, nr, k in nodes:
            for fam, p in enumerate(pods[name]):
                roll = rnd.random()
                if roll < 0.03:
                    continue  # lost on this ToR
                if roll < 0.05:
                    t.append(FibEntry(_route(p, type="unreachable"), "static"))
                    continue
                if nr == r or roll < 0.07:  # (or a loop between ToRs: sent back to the node's own rack)
                    gw = f"10.1.{nr}.{10 + k}" if fam == 0 else f"fd00:1:{nr}::{10 + k:x}"
                    if nr != r:
                        gw = f"10.0.0.{(r + 1) % racks + 1}" if fam == 0 else f"fd00::{(r + 1) % racks + 1:x}"
                else:
                    gw = f"10.0.0.{nr + 1}" if fam == 0 else f"fd00::{nr + 1:x}"
                t.append(FibEntry(_route(p, gw, metric=20), f"tor{r}/frr"))
        fib[f"tor{r}"] = t
    dsts: list[tuple[str, object]] = []
    for name, r, _ in nodes:
        dsts += [(name, net_(p)) for p in pods[name]]
        dsts.append((name, net_(f"10.1.{r}.0/24")))  # inside the rack's connected subnet: everyone there sets apart
    dsts += [(f"hop{chain - 1}", net_("198.51.100.0/24")), ("tor0", net_("10.0.0.0/24")),
             (nodes[0][0], net_("192.0.2.0/24")), (nodes[0][0], net_("2001:db8::/64"))]
    names = [n for n, _, _ in nodes] + ["ghost"] + (["tor0", "tor1"] if rnd.random() < 0.3 else [])
    rnd.shuffle(names)
    return fib, net, dsts, names


def walk_delivers(fib: dict[str, list[FibEntry]], net: Network, src: str, prefix: object, dst: str) -> bool:
    """The plain walk from one source: longest prefix (lowest metric, first on a tie) in its whole table."""
    addr = prefix.network_address + 1 if prefix.num_addresses > 1 else prefix.network_address  # type: ignore[attr-defined]
    host, seen = src, []
    while True:
        if host in seen or len(seen) >= MAX_HOPS:
            return False
        seen.append(host)
        best = None
        for e in fib.get(host, ()):
            r = e.route
            if r.table != "main" or r.type == "local" or r.dst.version != addr.version or addr not in r.dst:
                continue
            if best is None or (r.dst.prefixlen, -(r.metric or 0)) > (best.route.dst.prefixlen, -(best.route.metric or 0)):
                best = e
        if best is None or best.route.type != "unicast":
            return False
        if best.route.dev == "cilium_host":
            return host == dst
        if best.via_host is not None:
            host = best.via_host
            continue
        if best.route.gateway is None:
            return False
        nxt = net.owner(best.route.gateway, near=host)
        if nxt is None:
            return False
        host = nxt


@pytest.mark.parametrize("seed", range(60))
def test_classes_answer_as_walking_every_source(seed: int) -> None:
    fib, net, dsts, names = random_network(seed)
    res = SimResult({}, [], {}, {}, fib)
    fwd = Forwarder(res, net)
    sources = fwd.sources(names)
    assert any(len(c.members) >= 2 for c in sources.loose[4].classes)  # the shared walk is exercised
    for dst, p in dsts:
        want = [s for s in names if not walk_delivers(fib, net, s, p, dst)]
        assert fwd.undelivered_from(p, dst, sources) == [s for s in want if s != dst], (dst, p)
        assert fwd.undelivered(p, dst, names) == want, (dst, p)
        fresh = Forwarder(res, net)
        assert [s for s in names if not fresh.trace(s, p, dst).delivered] == want
        # where each lost packet stops: the same with the classes' shortcut as walking each host
        assert list(fwd.stops(p, dst, want, sources).items()) == list(Forwarder(res, net).stops(p, dst, want).items())
        assert list(fwd.stops(p, dst, names, sources).items()) == list(Forwarder(res, net).stops(p, dst, names).items())


def test_anycast_gateway_and_own_gateway() -> None:
    """A class whose default gateway is anycast (its owner depends on each member's segment) is walked
    member by member; a class member that owns the gateway of a more specific route loops, the others
    are delivered; a member without the default route, and its own route for the prefix, is set apart."""
    net = Network()
    for r in range(2):
        net.add_address(f"tor{r}", "rack", iface("10.9.9.1/24"), f"rack{r}")
        net.add_address(f"tor{r}", "fabric", iface(f"10.0.0.{r + 1}/24"), "fabric")
    for k in range(4):
        net.add_address(f"n{k}", "eth0", iface(f"10.1.{k // 2}.{10 + k}/24"), f"rack{k // 2}")
    fib: dict[str, list[FibEntry]] = {}
    for k in range(4):
        fib[f"n{k}"] = [FibEntry(_route("0.0.0.0/0", "10.9.9.1"), "static"),
                        FibEntry(_route(f"10.64.{k}.0/24", dev="cilium_host"), "cilium")]
    fib["n0"].append(FibEntry(_route("10.64.3.0/24", "10.1.0.10"), "static"))  # n0's own address: a loop
    fib["tor0"] = [FibEntry(_route(f"10.64.{k}.0/24", f"10.1.0.{10 + k}" if k < 2 else "10.0.0.2"), "frr")
                   for k in range(4)]
    fib["tor1"] = [FibEntry(_route("10.64.3.0/24", "10.1.1.13"), "frr")]  # tor1 knows only n3
    res = SimResult({}, [], {}, {}, fib)
    fwd = Forwarder(res, net)
    names = ["n3", "n2", "n1", "n0"]
    sources = fwd.sources(names)
    assert [c.members for c in sources.loose[4].classes] == [names]
    for k in range(4):
        p = net_(f"10.64.{k}.0/24")
        want = [s for s in names if s != f"n{k}" and not walk_delivers(fib, net, s, p, f"n{k}")]
        assert fwd.undelivered_from(p, f"n{k}", sources) == want
    # tor1 has no route for n1's pods: rack 1 loses them, rack 0 delivers
    assert fwd.undelivered_from(net_("10.64.1.0/24"), "n1", sources) == ["n3", "n2"]
    assert fwd.undelivered_from(net_("10.64.3.0/24"), "n3", sources) == ["n0"]  # the loop through its own address


def test_equal_prefixes_keep_their_order_and_metrics() -> None:
    """Two default routes of one metric: the first in the table wins, so hosts holding them in another
    order, or with another metric, forward differently and share no class."""
    net = Network()
    for r in range(2):
        net.add_address(f"tor{r}", "rack", iface(f"10.1.0.{r + 1}/24"), "rack")
    dflt = {r: f"10.1.0.{r + 1}" for r in range(2)}
    fib: dict[str, list[FibEntry]] = {}
    orders = {"a": ((0, None), (1, None)), "b": ((1, None), (0, None)), "c": ((0, 10), (1, 5)),
              "d": ((0, None), (1, None)), "e": ((1, None), (0, None)), "f": ((0, 10), (1, 5))}
    for k, (h, order) in enumerate(sorted(orders.items())):
        net.add_address(h, "eth0", iface(f"10.1.0.{10 + k}/24"), "rack")
        fib[h] = [FibEntry(_route("0.0.0.0/0", dflt[t], metric=m), "static") for t, m in order]
        fib[h].append(FibEntry(_route(f"10.64.{k}.0/24", dev="cilium_host"), "cilium"))
    fib["tor0"] = [FibEntry(_route("10.64.0.0/16", "10.1.0.99"), "frr")]  # nobody has it: lost
    fib["tor1"] = [FibEntry(_route(f"10.64.{k}.0/24", f"10.1.0.{10 + k}"), "frr") for k in range(6)]
    res = SimResult({}, [], {}, {}, fib)
    fwd = Forwarder(res, net)
    names = sorted(orders)
    sources = fwd.sources(names)
    assert sorted(c.members for c in sources.loose[4].classes) == [["a", "d"], ["b", "e"], ["c", "f"]]
    # only those whose default goes to tor0 first lose the packet
    assert fwd.undelivered_from(net_("10.64.5.0/24"), "f", sources) == ["a", "d"]
    assert fwd.undelivered_from(net_("10.64.0.0/24"), "a", sources) == ["d"]


EXAMPLES = sorted(p for p in (Path(__file__).parents[2] / "examples").glob("*/*") if p.is_dir())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_examples_all_pairs_as_traced(example: Path) -> None:
    """On the bundled snapshots (read from files), every node pair's answer is its trace's."""
    snap = podpath.load(example)
    if not snap.has_control_plane:
        pytest.skip("no routing daemons")
    res = snap.simulate()
    cp = snap.control_plane()
    fwd = Forwarder(res, cp.network)
    names = sorted(cp.network.hosts)
    sources = fwd.sources(names)
    ref = Forwarder(res, cp.network)
    for node in sorted(snap.cluster.nodes.values(), key=lambda n: n.name):
        for c in node.pod_cidrs:
            want = [s for s in names if s != node.name and not ref.trace(s, c.value, node.name).delivered]
            assert fwd.undelivered_from(c.value, node.name, sources) == want
            assert list(fwd.stops(c.value, node.name, want, sources).items()) == \
                list(ref.stops(c.value, node.name, want).items())


@pytest.mark.parametrize("values, every", [
    ("", True),  # no Cilium in the snapshot: every pod route is BGP's
    ("routingMode: tunnel\n", False),
    ("routingMode: native\nipv4NativeRoutingCIDR: 10.244.0.0/16\n", True),
    ("routingMode: native\nautoDirectNodeRoutes: true\nipv4NativeRoutingCIDR: 10.244.0.0/16\n", False),
])
def test_bgp002_asks_pair_by_pair_only_where_the_answer_can_differ(make_snapshot, values: str, every: bool) -> None:
    """BGP002 skips `pod_route_needs_bgp` per pair exactly when it answers (True, "") for every pair."""
    from podpath.checks.base import CheckContext
    from podpath.checks.routes import pod_route_needs_bgp, pod_routes_all_need_bgp

    files = {"podpath.yaml": "versions: {cilium: '1.18'}\n"}
    if values:
        files["values.yaml"] = values
    ctx = CheckContext(make_snapshot(files))
    assert ctx.cilium.present is bool(values)
    assert pod_routes_all_need_bgp(ctx) is every
    if pod_routes_all_need_bgp(ctx):
        assert pod_route_needs_bgp(ctx, None, None, 4) == (True, "")  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(12))
def test_cohort_members_fall_back_to_classes_of_their_own_routes(seed: int) -> None:
    """Nodes whose kernel tables come from BGP cohorts (sim._Cohort): where the cohort's shared routes have
    no match (a prefix BGP does not carry), the members' own routes decide, and members with the same ones
    share a walk. Random clusters, each node given a default route (to one route server or the other, to an
    address nobody has, or none) and a few a blackhole of their own."""
    from podpath.routing.sim import Simulator

    from test_cohorts import MAX_STEPS, random_cluster

    speakers, net, extra, nodes = random_cluster(seed)
    rnd = random.Random(seed)
    for host, _ in nodes:
        roll = rnd.random()
        gw = None if roll < 0.1 else ("10.0.0.2", "fd00::2") if roll < 0.3 else ("10.0.9.9", "fd00::99") \
            if roll < 0.5 else ("10.0.0.1", "fd00::1")
        if gw is not None:
            extra[host] = [FibEntry(_route("0.0.0.0/0", gw[0]), "static"),
                           FibEntry(_route("::/0", gw[1]), "static")] + extra.get(host, [])
        if rnd.random() < 0.15:
            extra[host].append(FibEntry(_route("192.0.2.0/25", type="blackhole"), "static"))
    res = Simulator(speakers, net, extra, max_steps=MAX_STEPS).run()
    assert res.cohorts
    fib = {h: res.fib[h] for h in res.fib}
    fwd = Forwarder(res, net)
    names = [h for h, _ in nodes] + ["rr0"]
    rnd.shuffle(names)
    sources = fwd.sources(names)
    others = [(nodes[0][0], net_("192.0.2.0/24")), (nodes[1][0], net_("198.51.100.0/24")), ("rr0", net_("10.0.0.0/16")),
              (nodes[2][0], net_("2001:db8::/64")), (nodes[0][0], net_("fd00:ffff::/64")),
              (nodes[3][0], net_("10.99.0.0/24"))]
    # prefixes BGP does not carry first (the cohorts' classes form), then the pod CIDRs, then again
    for dst, p in others + [(dst, p) for dst, pods in nodes for p in pods] + others:
        want = [s for s in names if not walk_delivers(fib, net, s, p, dst)]
        assert fwd.undelivered_from(p, dst, sources) == [s for s in want if s != dst], (dst, p)
        # where the packets stop (or arrive): the same with the classes' shortcut as host by host
        assert list(fwd.stops(p, dst, names, sources).items()) == list(Forwarder(res, net).stops(p, dst, names).items())
    assert any(len(c.members) >= 2 and c.cohort is not None for cl in sources.class_of.values() for c in cl.values())
