"""VRRP master election (RFC 5798 6.4): priority, the address owner, the primary-address tie-break."""

import ipaddress

from podpath.diagnostics import Loc
from podpath.routing.network import Network, VirtualRouter, elect_all

L = Loc("keepalived.conf", 5, 1)


def net_with(*hosts: tuple[str, str]) -> Network:
    n = Network()
    for h, a in hosts:
        n.add_address(h, "eth0", ipaddress.ip_interface(a))
    return n


def vr(host: str, prio: int, vip: str = "10.0.0.1", preempt: bool = True, vrid: int = 7) -> VirtualRouter:
    return VirtualRouter(host, "eth0", vrid, 4, (ipaddress.ip_address(vip),), prio, L, "keepalived", preempt)


def test_highest_priority_is_master():
    n = net_with(("a", "10.0.0.2/24"), ("b", "10.0.0.3/24"))
    [e] = elect_all([vr("a", 150), vr("b", 100)], n)
    assert e.master.host == "a" and n.owners(ipaddress.ip_address("10.0.0.1")) == ["a"]
    assert n.hosts["a"].addresses[ipaddress.ip_address("10.0.0.1")][1].network.prefixlen == 24


def test_equal_priority_highest_primary_address_wins():
    n = net_with(("a", "10.0.0.9/24"), ("b", "10.0.0.30/24"))
    [e] = elect_all([vr("a", 100), vr("b", 100)], n)
    assert e.master.host == "b" and "highest primary address (10.0.0.30)" in e.why


def test_address_owner_has_priority_255():
    n = net_with(("a", "10.0.0.2/24"), ("b", "10.0.0.1/24"))
    [e] = elect_all([vr("a", 254), vr("b", 10)], n)
    assert e.master.host == "b" and e.priorities["b"] == 255


def test_separate_virtual_routers_and_preemption_caveat():
    n = net_with(("a", "10.0.0.2/24"), ("b", "10.0.0.3/24"))
    es = elect_all([vr("a", 200, preempt=False), vr("b", 100), vr("a", 50, "10.0.0.100", vrid=8),
                    vr("b", 60, "10.0.0.100", vrid=8)], n)
    assert [(e.vrid, e.master.host) for e in es] == [(7, "a"), (8, "b")]
    assert "preemption is off on a" in es[0].caveat and es[1].caveat == ""


def test_link_local_virtual_address_is_owned_per_segment():
    """IPv6 virtual routers use a link-local first address (`default via fe80::1 dev eth0` on the nodes):
    the master on the asking host's segment answers for it."""
    n = Network()
    for h, a, seg in (("a", "fd00:1::2/64", "s1"), ("b", "fd00:2::2/64", "s2"), ("n1", "fd00:1::11/64", "s1"),
                      ("n2", "fd00:2::11/64", "s2")):
        n.add_address(h, "eth0", ipaddress.ip_interface(a), seg)
    ll = ipaddress.ip_address("fe80::1")
    es = elect_all([VirtualRouter("a", "eth0", 1, 6, (ll,), 100, L, "vrrpd"),
                    VirtualRouter("b", "eth0", 2, 6, (ll,), 100, L, "vrrpd")], n)
    assert [e.master.host for e in es] == ["a", "b"]
    assert n.owner(ll, near="n1") == "a" and n.owner(ll, near="n2") == "b"


def test_same_vrid_and_link_local_address_on_two_lans_are_two_virtual_routers():
    n = Network()
    for h, a in (("a", "fd00:1::2/64"), ("b", "fd00:2::2/64")):
        n.add_address(h, "eth0", ipaddress.ip_interface(a))
    ll = ipaddress.ip_address("fe80::1")
    es = elect_all([VirtualRouter("a", "eth0", 1, 6, (ll,), 100, L, "vrrpd"),
                    VirtualRouter("b", "eth0", 1, 6, (ll,), 50, L, "vrrpd")], n)
    assert sorted(e.master.host for e in es) == ["a", "b"]
