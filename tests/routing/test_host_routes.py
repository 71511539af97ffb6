"""Hosts' own routes, VRRP gateways and three-valued answers, end to end from snapshot files.

The fixture mirrors issue 10: two ToRs (FRR) with VRRP gateways on two racks, nodes (BIRD) that send their
pod CIDRs to both ToRs and reach the other rack through their default route to the VIP; the ToRs send the
nodes nothing. A third peer of each ToR (an ISP) is outside the snapshot."""

import ipaddress

from podpath.routing.reach import Forwarder
from snaputil import findings, node_list

VALUES = """
routingMode: native
autoDirectNodeRoutes: false
ipv4: {enabled: true}
ipv6: {enabled: false}
ipam: {mode: kubernetes}
ipv4NativeRoutingCIDR: 10.244.0.0/16
"""

MANIFEST = """
hosts:
  n1:
    interfaces: {eth0: {addresses: [10.44.8.11/24], segment: rackA}}
    routes: ["default via 10.44.8.1"]
  n2:
    interfaces: {eth0: {addresses: [10.44.9.11/24], segment: rackB}}
  tor1: {role: router, files: [frr/tor1.conf]}
  tor2: {role: router, files: [frr/tor2.conf]}
segments:
  rackA: {prefixes: [10.44.8.0/24], members: [tor1, tor2]}
  rackB: {prefixes: [10.44.9.0/24], members: [tor1, tor2]}
"""

NETPLAN_N2 = """
network:
  version: 2
  ethernets:
    eth0:
      addresses: [10.44.9.11/24]
      routes:
        - to: default
          via: 10.44.9.1
"""

TOR = """
frr version 8.4.4
frr defaults traditional
hostname {name}
!
interface eth0
 ip address 10.44.8.{i}/24
 vrrp 1 version 3
 vrrp 1 priority {prio_a}
 vrrp 1 ip 10.44.8.1
!
interface eth1
 ip address 10.44.9.{i}/24
 vrrp 2 priority {prio_b}
 vrrp 2 ip 10.44.9.1
!
interface eth2
 ip address 203.0.113.{up}/30
!
router bgp 65100
 bgp router-id 10.44.8.{i}
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor 10.44.8.11 peer-group NODES
 neighbor 10.44.9.11 peer-group NODES
 neighbor 203.0.113.{isp} remote-as 64500
 !
 address-family ipv4 unicast
  neighbor NODES route-map NODES-IN in
  neighbor NODES route-map NODES-OUT out
  neighbor 203.0.113.{isp} route-map ISP in
  neighbor 203.0.113.{isp} route-map ISP out
 exit-address-family
exit
!
ip prefix-list PODS seq 5 permit {pods} le 24
!
route-map NODES-IN permit 10
 match ip address prefix-list PODS
exit
!
route-map NODES-OUT deny 10
exit
!
route-map ISP deny 10
exit
!
"""

NODE = """
router id 10.44.{rack}.11;
protocol device {{}}
protocol static pods {{
  ipv4;
  route 10.244.{i}.0/24 unreachable;
}}
protocol kernel {{
  ipv4 {{ export none; }};
}}
template bgp tor {{
  local as 6501{i};
  ipv4 {{ import none; export where proto = "pods"; }};
}}
protocol bgp tor1 from tor {{ neighbor 10.44.{rack}.2 as 65100; }}
protocol bgp tor2 from tor {{ neighbor 10.44.{rack}.3 as 65100; }}
"""


def files(pods2: str = "10.244.0.0/16", extra_tor2: str = "", manifest: str = MANIFEST) -> dict[str, str]:
    return {
        "podpath.yaml": manifest,
        "cilium/values.yaml": VALUES,
        "kubernetes/nodes.yaml": node_list([("n1", ["10.44.8.11"], ["10.244.1.0/24"]),
                                            ("n2", ["10.44.9.11"], ["10.244.2.0/24"])]),
        "hosts/n2/netplan.yaml": NETPLAN_N2,
        "frr/tor1.conf": TOR.format(name="tor1", i=2, prio_a=200, prio_b=100, up=1, isp=2, pods="10.244.0.0/16"),
        "frr/tor2.conf": TOR.format(name="tor2", i=3, prio_a=100, prio_b=200, up=5, isp=6, pods=pods2) + extra_tor2,
        "bird/n1.conf": NODE.format(i=1, rack=8),
        "bird/n2.conf": NODE.format(i=2, rack=9),
    }


def errors(snap):
    return [f for f in snap.check().findings if f.severity.value == "error"]


def test_vrrp_master_owns_the_vip_and_nodes_route_through_it(make_snapshot):
    snap = make_snapshot(files())
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics]
    cp = snap.control_plane()
    net = cp.network
    assert net.owners(ipaddress.ip_address("10.44.8.1")) == ["tor1"]  # priority 200 beats 100
    assert net.owners(ipaddress.ip_address("10.44.9.1")) == ["tor2"]
    assert "10.44.9.1" not in {str(a) for a in net.host("tor1").addresses}
    # n1's default route from podpath.yaml, n2's from netplan: facts the simulation forwards with
    assert [r.describe() for r in net.host("n1").static.routes] == ["default via 10.44.8.1 proto static"]
    assert [r.describe() for r in net.host("n2").static.routes] == ["default via 10.44.9.1 dev eth0 proto static"]
    fwd = Forwarder(snap.simulate(), net)
    t = fwd.trace("n1", ipaddress.ip_network("10.244.2.0/24"), "n2")
    assert t.delivered and [h.host for h in t.hops] == ["n1", "tor1", "n2"]
    t = fwd.trace("n2", ipaddress.ip_network("10.244.1.0/24"), "n1")
    assert t.delivered and [h.host for h in t.hops] == ["n2", "tor2", "n1"]


def test_healthy_vrrp_cluster_has_no_error_and_the_isp_is_unknown(make_snapshot):
    snap = make_snapshot(files())
    assert errors(snap) == []
    res = snap.simulate()
    isp = [s for s in res.sessions if str(s.a.remote_address).startswith("203.0.113.")]
    assert len(isp) == 2 and all(s.state == "unknown" for s in isp)
    assert all("not an address of any host in the snapshot" in s.reason for s in isp)
    [f] = findings(snap, "BGP006")
    assert f.severity.value == "info" and "2 BGP session(s) depend on peers outside the snapshot" in f.message
    counts = snap.control_plane().pair_verdicts.counts
    assert counts == {4: {"verified": 2, "broken": 0, "unknown": 0}}


def test_broken_tor_policy_keeps_its_error(make_snapshot):
    """tor2 (master of rack B's gateway) accepts no pod CIDR: n2 cannot reach n1's pods. A true error."""
    snap = make_snapshot(files(pods2="10.99.0.0/16"))
    [f] = findings(snap, "BGP002")
    assert f.severity.value == "error" and "10.244.1.0/24" in f.message
    assert f.locations[0].file == "frr/tor2.conf"
    assert snap.control_plane().pair_verdicts.counts[4] == {"verified": 1, "broken": 1, "unknown": 0}


def test_without_the_default_route_pods_are_unreachable(make_snapshot):
    manifest = MANIFEST.replace('    routes: ["default via 10.44.8.1"]\n', "")
    snap = make_snapshot(files(manifest=manifest))
    [f] = findings(snap, "BGP002")
    assert f.severity.value == "error" and "10.244.2.0/24" in f.message and "1 node pair" in f.message


def test_unmodelled_igp_on_the_stop_host_makes_the_pair_unknown(make_snapshot):
    """The same broken policy, but tor2 also runs an IGP podpath does not model, which may give it the
    route: unknown (with the statement), not an error."""
    extra = "router openfabric 1\n net 49.0001.1111.1111.1111.00\nexit\n!\n"
    snap = make_snapshot(files(pods2="10.99.0.0/16", extra_tor2=extra))
    assert [f for f in findings(snap, "BGP002") if f.severity.value == "error"] == []
    got = [f for f in findings(snap, "BGP006") if "openfabric" in f.message]
    assert len(got) == 1 and "1 IPv4 node pair(s)" in got[0].message and got[0].severity.value == "warning"
    assert got[0].locations[0].file == "frr/tor2.conf"
    assert snap.control_plane().pair_verdicts.counts[4] == {"verified": 1, "broken": 0, "unknown": 1}


KEEPALIVED = """
vrrp_instance rack_a {{
    state {state_a}
    interface eth0
    virtual_router_id 1
    priority {prio_a}
    virtual_ipaddress {{
        10.44.8.1/24
    }}
}}
vrrp_instance rack_b {{
    state BACKUP
    interface eth1
    virtual_router_id 2
    priority {prio_b}
    virtual_ipaddress {{
        10.44.9.1/24
    }}
}}
"""

DUMP_N1 = """default via 10.44.8.1 dev eth0 proto static
10.44.8.0/24 dev eth0 proto kernel scope link src 10.44.8.11
10.244.1.0/24 via 10.244.1.1 dev cilium_host proto kernel src 10.244.1.1
10.244.2.0/24 via 10.44.8.3 dev eth0 proto bird metric 32
"""


def keepalived_files() -> dict[str, str]:
    import re

    f = files(manifest=MANIFEST.replace('    routes: ["default via 10.44.8.1"]\n', ""))
    for tor in ("tor1", "tor2"):
        f[f"frr/{tor}.conf"] = re.sub(r" vrrp .*\n", "", f[f"frr/{tor}.conf"])
    f["podpath.yaml"] = f["podpath.yaml"].replace("files: [frr/tor1.conf]", "files: [frr/tor1.conf, lb/tor1.conf]")
    f["podpath.yaml"] = f["podpath.yaml"].replace("files: [frr/tor2.conf]", "files: [frr/tor2.conf, lb/tor2.conf]")
    # equal priority on rack A: the highest primary address (tor2, 10.44.8.3) is master
    f["lb/tor1.conf"] = KEEPALIVED.format(state_a="MASTER", prio_a=100, prio_b=100)
    f["lb/tor2.conf"] = KEEPALIVED.format(state_a="BACKUP", prio_a=100, prio_b=150)
    f["hosts/n1/ip-route.txt"] = DUMP_N1
    return f


def test_keepalived_vips_and_a_dumps_default_route(make_snapshot):
    snap = make_snapshot(keepalived_files())
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics]
    net = snap.control_plane().network
    assert net.owners(ipaddress.ip_address("10.44.8.1")) == ["tor2"]
    assert net.owners(ipaddress.ip_address("10.44.9.1")) == ["tor2"]
    # the dump's default route is a fact of n1; its bird route to n2's pods stays an observation
    assert [r.describe() for r in net.host("n1").static.routes] == ["default via 10.44.8.1 dev eth0 proto static"]
    t = Forwarder(snap.simulate(), net).trace("n1", ipaddress.ip_network("10.244.2.0/24"), "n2")
    assert t.delivered and [h.host for h in t.hops] == ["n1", "tor2", "n2"]
    assert errors(snap) == []


def test_a_loss_decided_by_an_unmodelled_match_is_unknown(make_snapshot):
    """tor2 accepts pod CIDRs only with `match rpki valid`, which podpath does not model (treated as no match):
    whether rack B reaches rack A's pods depends on it."""
    f = files()
    f["frr/tor2.conf"] = f["frr/tor2.conf"].replace(" match ip address prefix-list PODS\n",
                                                    " match ip address prefix-list PODS\n match rpki valid\n")
    snap = make_snapshot(f)
    assert [x for x in findings(snap, "BGP002") if x.severity.value == "error"] == []
    [u] = [x for x in findings(snap, "BGP006") if "rpki" in x.message]
    assert u.message.startswith("1 IPv4 node pair(s) depend on `match rpki valid` at frr/tor2.conf:")
    assert u.severity.value == "warning" and u.locations[0].file == "frr/tor2.conf"
    assert snap.control_plane().pair_verdicts.counts[4] == {"verified": 1, "broken": 0, "unknown": 1}
