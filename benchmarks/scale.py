"""Scale benchmark for the BGP simulator and the all-pairs pod-route check.

Builds a cluster of N nodes, each with Cilium's BGP speaker advertising the node's
IPv4 and IPv6 pod CIDRs to BIRD on ::1 / 127.0.0.1 (multihop), BIRD peering eBGP with 3 FRR route servers on
the node LAN (which share one AS and re-advertise with third-party next hops), and
BIRD installing the upstream routes into the kernel. Then simulates to a fixed point and forwards a packet
from every node to every other node's pod CIDRs.

    python benchmarks/scale.py 100 1000 5000
"""

from __future__ import annotations

import ipaddress
import resource
import sys
import time

from podpath.diagnostics import Loc
from podpath.routing.bgp import BgpOptions, BgpPeer, BgpSpeaker, Daemon, Origination, PeerAf
from podpath.routing.builtin import ACCEPT_ALL, AdvertiseSelected, Fixed
from podpath.routing.network import Network
from podpath.routing.policy import PolicyContext, PolicyResult, TraceStep, Verdict
from podpath.routing.reach import Forwarder
from podpath.routing.route import AsPath, Origin, Protocol, Route
from podpath.routing.sim import FibEntry, Simulator
from podpath.model.cluster import KernelRoute

L = Loc("bench", 1, 1)
RR = 3


class FromProto:
    """BIRD `export where proto = "upstream"`."""

    name = "kernel export where proto = upstream"
    key = ("kernel export where proto =", "upstream")  # structural: every node's copy behaves the same

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        ok = route.source_name == "upstream"
        step = TraceStep(L, self.name, "accept" if ok else "reject")
        return PolicyResult(Verdict.ACCEPT if ok else Verdict.REJECT, route, (step,), step)


def build(n: int) -> tuple[list[BgpSpeaker], Network, dict[str, list[FibEntry]], list[tuple[str, list]]]:
    net = Network()
    speakers: list[BgpSpeaker] = []
    extra: dict[str, list[FibEntry]] = {}
    nodes = []
    for r in range(RR):
        host = f"rr{r}"
        net.add_address(host, "eth0", ipaddress.ip_interface(f"fd00::{r + 1:x}/64"))
        net.add_address(host, "eth0", ipaddress.ip_interface(f"10.0.0.{r + 1}/16"))
        sp = BgpSpeaker(host, Daemon.FRR, "frr", 65000, L, router_id=f"10.0.0.{r + 1}")
        for fam, rng in ((6, "fd00::/64"), (4, "10.0.0.0/16")):
            grp = BgpPeer("NODES", L, 65000, None, listen_range=ipaddress.ip_network(rng), remote_as_mode="external",
                          connects=False)
            grp.afs[fam] = PeerAf(fam, ACCEPT_ALL, ACCEPT_ALL, True, True)
            sp.peers.append(grp)
        speakers.append(sp)
    for i in range(n):
        host = f"node{i}"
        v6 = ipaddress.ip_interface(f"fd00::{0x100 + i:x}/64")
        v4 = ipaddress.ip_interface(f"10.0.{1 + i // 250}.{1 + i % 250}/16")
        net.add_address(host, "eth0", v6)
        net.add_address(host, "eth0", v4)
        pods = [ipaddress.ip_network(f"fd00:224:{i:x}::/64"), ipaddress.ip_network(f"10.{64 + i // 256}.{i % 256}.0/24")]
        nodes.append((host, pods))
        asn = 4210000000 + i
        cil = BgpSpeaker(host, Daemon.CILIUM, "cilium", 4220000000, L, router_id=str(v4.ip),
                         options=BgpOptions(listens=False, accepts_received=False))
        cil.installs_to_kernel = False
        for p in pods:
            cil.originations.append(Origination(Route(p, Protocol.BGP, origin=Origin.IGP, as_path=AsPath()), "PodCIDR", L))
        for fam, lo in ((6, "::1"), (4, "127.0.0.1")):
            peer = BgpPeer("bird", L, 4220000000, ipaddress.ip_address(lo), remote_as=asn)
            sel = tuple((p, frozenset(), frozenset({(4200001000, 0, 100)}), None, L) for p in pods if p.version == fam)
            peer.afs[fam] = PeerAf(fam, None, AdvertiseSelected("pods", sel), False, True)
            cil.peers.append(peer)
        bird = BgpSpeaker(host, Daemon.BIRD, "bird", asn, L, router_id=str(v4.ip), kernel_export=FromProto(),
                          kernel_metric=32)
        for fam, lo in ((6, "::1"), (4, "127.0.0.1")):
            p = BgpPeer("cilium", L, asn, ipaddress.ip_address(lo), remote_as=4220000000, multihop=2)
            p.afs[fam] = PeerAf(fam, ACCEPT_ALL, Fixed("none", Verdict.REJECT), True, True)
            bird.peers.append(p)
        for r in range(RR):
            for fam, addr in ((6, f"fd00::{r + 1:x}"), (4, f"10.0.0.{r + 1}")):
                p = BgpPeer("upstream", L, asn, ipaddress.ip_address(addr), remote_as=65000)
                p.afs[fam] = PeerAf(fam, ACCEPT_ALL, ACCEPT_ALL, True, True)
                bird.peers.append(p)
        speakers += [cil, bird]
        extra[host] = [FibEntry(KernelRoute(p, None, "cilium_host", "kernel"), "cilium") for p in pods]
    return speakers, net, extra, nodes


def run(n: int) -> dict[str, float]:
    t0 = time.perf_counter()
    speakers, net, extra, nodes = build(n)
    t1 = time.perf_counter()
    from podpath.util import paused_gc

    with paused_gc():
        res = Simulator(speakers, net, extra).run()
    t2 = time.perf_counter()
    sim_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    bad = 0
    pairs = 0
    with paused_gc():
        fwd = Forwarder(res, net)
        sources = fwd.sources(h for h, _ in nodes)  # what rule BGP002 does
        for dst, pods in nodes:
            for p in pods:
                pairs += len(nodes) - 1
                bad += len(fwd.undelivered_from(p, dst, sources))
    t3 = time.perf_counter()
    routes = sum(len(t) for t in res.tables.values())
    return {"nodes": n, "build_s": t1 - t0, "simulate_s": t2 - t1, "all_pairs_s": t3 - t2, "total_s": t3 - t0,
            "routes_computed": routes, "kernel_routes": res.fib.total() if hasattr(res.fib, "total") else sum(len(v) for v in res.fib.values()), "pairs": pairs,
            "unreachable_pairs": bad, "steps": res.steps, "policy_evals": res.policy_evaluations,
            "cache_hits": res.policy_cache_hits, "rss_after_simulate_mb": sim_rss, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["100"]:
        r = run(int(arg))
        print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()), flush=True)
