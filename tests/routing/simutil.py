"""Hand-written topologies for simulator unit tests."""

from __future__ import annotations

import ipaddress

from podpath.diagnostics import Loc
from podpath.routing.bgp import BgpOptions, BgpPeer, BgpSpeaker, Daemon, Origination, PeerAf
from podpath.routing.builtin import ACCEPT_ALL
from podpath.routing.network import Network
from podpath.routing.route import AsPath, Origin, Protocol, Route

L = Loc("test.conf", 1, 1)


def ip(s: str):
    return ipaddress.ip_address(s)


def net_(s: str):
    return ipaddress.ip_network(s)


def peer(name: str, addr: str | None, local_as: int, remote_as: int | None, afs=(6,), imp=ACCEPT_ALL, exp=ACCEPT_ALL,
         **kw) -> BgpPeer:
    af_kw = {k: kw.pop(k) for k in list(kw) if k in ("next_hop_self", "rr_client", "allowas_in", "next_hop_keep",
                                                        "gateway", "extended_next_hop")}
    p = BgpPeer(name, Loc("test.conf", 10, 1), local_as, ip(addr) if addr else None, remote_as=remote_as, **kw)
    for af in afs:
        p.afs[af] = PeerAf(af, imp, exp, imp is not None, exp is not None, **af_kw)
    return p


def speaker(host: str, daemon: Daemon, asn: int, rid: str, peers: list[BgpPeer], originate: list[str] = (),
            **opts) -> BgpSpeaker:
    sp = BgpSpeaker(host, daemon, daemon.value, asn, L, router_id=rid, peers=peers,
                    options=BgpOptions(**opts))
    for p in originate:
        sp.originations.append(Origination(Route(net_(p), Protocol.STATIC if daemon is Daemon.BIRD else Protocol.BGP,
                                                 origin=Origin.IGP, as_path=AsPath()), f"test origination {p}", L))
    return sp


def lan(*hosts: tuple[str, str], prefix: int = 64) -> Network:
    n = Network()
    for host, addr in hosts:
        n.add_address(host, "eth0", ipaddress.ip_interface(f"{addr}/{prefix}"))
    return n
