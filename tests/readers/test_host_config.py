"""Readers of a host's own network configuration: keepalived, ifupdown, netplan, routes in podpath.yaml,
Talos and route dumps, FRR vrrpd."""

import ipaddress

from podpath.diagnostics import Diagnostics, Loc
from podpath.model.cluster import KernelRoute
from podpath.readers.frr import parse_frr
from podpath.readers.ifupdown import looks_like_ifupdown, parse_ifupdown
from podpath.readers.iproute import configured_routes, parse_ip_route_text, parse_route_spec
from podpath.readers.keepalived import looks_like_keepalived, parse_keepalived

KEEPALIVED = """
! Configuration File for keepalived
global_defs {
   router_id lb1
}
vrrp_script chk_frr {
    script "/usr/bin/pgrep zebra"
    interval 2
    weight 20
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    nopreempt
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        10.44.8.1/24 dev eth0 label eth0:vip
        10.44.8.5
    }
    track_script {
        chk_frr
    }
}
virtual_server 10.44.8.1 80 {
    delay_loop 6
}
"""


def test_keepalived_instance():
    d = Diagnostics()
    assert looks_like_keepalived(KEEPALIVED)
    cfg = parse_keepalived(KEEPALIVED, "lb1/keepalived.conf", d)
    assert not d.errors, [x.render() for x in d]
    [i] = cfg.instances
    assert (i.interface, i.vrid, i.priority, i.state, i.preempt, i.track_weight) == ("eth0", 51, 100, "BACKUP", False, 20)
    assert [(str(a), dev, loc.line) for a, dev, loc in i.addresses] == [("10.44.8.1", "eth0", 23), ("10.44.8.5", None, 24)]
    assert cfg.router_id == "lb1"
    [u] = cfg.unsupported
    assert u.statement.startswith("virtual_server") and not u.affects_routes and u.loc.line == 30


def test_keepalived_errors_are_located():
    d = Diagnostics()
    cfg = parse_keepalived("vrrp_instance X {\n  interface eth0\n  virtual_router_id 300\n  virtual_ipaddress {\n"
                           "    10.0.0.300\n  }\n", "k.conf", d)
    msgs = sorted((x.loc.line, x.message) for x in d.errors)
    assert (3, "virtual_router_id must be 1-255, got '300'") in msgs
    assert any(line == 5 and "not an IP address" in m for line, m in msgs)
    assert any("not closed" in m for _, m in msgs)
    assert cfg.instances == []  # no virtual_router_id


IFACES = """
auto lo
iface lo inet loopback

auto vmbr0
iface vmbr0 inet static
        address 10.44.8.21
        netmask 255.255.255.0
        gateway 10.44.8.1
        bridge-ports eno1
        up ip route add 10.9.0.0/16 via 10.44.8.254 dev vmbr0
        post-up ip -6 route add default via fe80::1 dev vmbr0
        down ip route del 10.9.0.0/16

iface vmbr0 inet6 static
        address fd00:44:8::21/64

auto eno2
iface eno2 inet dhcp

source /etc/network/interfaces.d/*
"""


def test_ifupdown_addresses_gateway_and_up_routes():
    d = Diagnostics()
    assert looks_like_ifupdown(IFACES)
    cfg = parse_ifupdown(IFACES, "pve01/interfaces", d)
    assert not d.errors, [x.render() for x in d]
    by = {i.name: i for i in cfg.interfaces}
    assert [str(a.value) for a in by["vmbr0"].addresses] == ["10.44.8.21/24", "fd00:44:8::21/64"]
    assert [(r.describe(), r.loc.line) for r in cfg.routes] == [
        ("default via 10.44.8.1 dev vmbr0 proto boot", 9),
        ("10.9.0.0/16 via 10.44.8.254 dev vmbr0 proto boot", 11),
        ("default via fe80::1 dev vmbr0 proto boot", 12)]
    assert sorted(u.statement for u in cfg.unsupported) == ["interface eno2 dhcp", "source /etc/network/interfaces.d/*"]


def test_ifupdown_bad_lines():
    d = Diagnostics()
    parse_ifupdown("iface eth0 inet static\n  address 10.0.0.1/24\n  gateway 10.0.0.x\n  address fd00::1/64\n",
                   "i", d)
    assert [(x.loc.line, x.message) for x in d.errors] == [
        (3, "gateway '10.0.0.x' is not an IP address"), (4, "address fd00::1/64 is not IPv4 (this stanza is `inet`)")]


def test_route_spec_syntax():
    d = Diagnostics()
    loc = Loc("podpath.yaml", 3, 5)
    r = parse_route_spec("default via 10.44.8.1", loc, d)
    assert (str(r.dst), str(r.gateway), r.dev) == ("0.0.0.0/0", "10.44.8.1", None)
    r = parse_route_spec("default via fe80::1 dev eth0", loc, d)
    assert (str(r.dst), str(r.gateway), r.dev) == ("::/0", "fe80::1", "eth0")
    r = parse_route_spec("10.9.0.0/16 via 10.0.0.254 dev eth0 metric 50", loc, d)
    assert (str(r.dst), r.metric) == ("10.9.0.0/16", 50)
    assert parse_route_spec("blackhole 10.66.0.0/16", loc, d).type == "blackhole"
    assert not d.errors
    for bad, msg in (("default via 10.0.0", "is not an IP address"), ("10.0.0.0/33 dev eth0", "is not a prefix"),
                     ("10.0.0.0/8", "neither a gateway"), ("default via fd00::1 frobnicate", "unexpected"),
                     ("10.0.0.0/8 via fd00::1", "not of the family")):
        d = Diagnostics()
        assert parse_route_spec(bad, loc, d) is None
        [e] = d.errors
        assert msg in e.message and e.loc == loc, (bad, e.message)


def test_dump_routes_that_are_facts_of_the_host():
    d = Diagnostics()
    dump = parse_ip_route_text(
        "default via 10.101.0.1 dev ens18 proto static\n"
        "10.101.0.0/24 dev ens18 proto kernel scope link src 10.101.0.23\n"
        "10.101.224.0/24 via 10.101.0.12 dev ens18 proto kernel\n"
        "10.101.226.0/24 via 10.101.226.38 dev cilium_host proto kernel src 10.101.226.38\n"
        "10.50.0.0/16 via 10.101.0.254 dev ens18 proto bird metric 32\n"
        "10.60.0.0/16 via 10.101.0.253 dev ens18 proto dhcp\n"
        "blackhole 10.70.0.0/16 proto static\n", "r.txt", d)
    kept = configured_routes(dump, [ipaddress.ip_network("10.101.224.0/20")])
    assert [r.describe() for r in kept] == ["default via 10.101.0.1 dev ens18 proto static",
                                            "10.60.0.0/16 via 10.101.0.253 dev ens18 proto dhcp",
                                            "blackhole 10.70.0.0/16 proto static"]


def test_frr_vrrp_in_interface_blocks():
    d = Diagnostics()
    cfg = parse_frr("frr version 8.4\n!\ninterface eth0\n ip address 10.44.8.2/24\n vrrp 5 version 3\n"
                    " vrrp 5 priority 200\n vrrp 5 ip 10.44.8.1\n vrrp 5 ipv6 fe80::1\n no vrrp 5 preempt\n"
                    " vrrp 5 advertisement-interval 100\n vrrp 6 ip 10.44.8.9\n vrrp 6 shutdown\n!\n", "tor.conf", d)
    assert not d.errors, [x.render() for x in d]
    vr = cfg.interfaces["eth0"].vrrp
    assert (vr[5].priority, vr[5].preempt, vr[5].version, vr[5].loc.line) == (200, False, 3, 5)
    assert [str(a) for a, _ in vr[5].addresses] == ["10.44.8.1", "fe80::1"]
    assert vr[6].shutdown and vr[6].priority == 100
    assert not any("vrrp" in u.statement and u.affects_routes for u in cfg.unsupported)
    d = Diagnostics()
    parse_frr("frr version 8.4\n!\ninterface eth0\n vrrp 5 priority 255\n vrrp 5 ip fd00::1\n!\n", "tor.conf", d)
    assert [x.loc.line for x in d.errors] == [4, 5]


def test_configured_route_kept_once():
    from podpath.snapshot import _add_static_route
    from podpath.model.cluster import Host

    h = Host("n1")
    a = KernelRoute(ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_address("10.0.0.1"), None, "static")
    b = KernelRoute(ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_address("10.0.0.1"), "eth0", "static")
    _add_static_route(h, a)
    _add_static_route(h, b)
    assert h.static_routes == [a]


def test_talos_interface_routes_and_link_config(make_snapshot):
    snap = make_snapshot({
        "talos/n1.yaml": """
            version: v1alpha1
            machine:
              type: worker
              network:
                hostname: n1
                interfaces:
                  - interface: eth0
                    addresses: [10.44.8.11/24]
                    routes:
                      - network: 0.0.0.0/0
                        gateway: 10.44.8.1
                      - network: 10.9.0.0/16
                        gateway: 10.44.8.254
                        metric: 50
            cluster: {network: {podSubnets: [10.244.0.0/16]}}
            """,
        "talos/n2.yaml": """
            version: v1alpha1
            machine: {type: worker}
            ---
            apiVersion: v1alpha1
            kind: HostnameConfig
            hostname: n2
            ---
            apiVersion: v1alpha1
            kind: LinkConfig
            name: eth0
            addresses: [{address: 10.44.9.11/24}]
            routes:
              - gateway: 10.44.9.1
              - destination: 10.0.0.0/8
                gateway: 10.44.9.zz
            """})
    got = {h: [(r.describe(), r.metric, r.loc.line) for r in snap.cluster.hosts[h].static_routes] for h in ("n1", "n2")}
    assert got == {"n1": [("default via 10.44.8.1 dev eth0 proto static", None, 10),
                          ("10.9.0.0/16 via 10.44.8.254 dev eth0 proto static", 50, 12)],
                   "n2": [("default via 10.44.9.1 dev eth0 proto static", None, 13)]}
    [e] = snap.diagnostics.errors
    assert e.loc.file == "talos/n2.yaml" and e.loc.line == 15 and "10.44.9.zz" in e.message


def test_manifest_routes_are_located(make_snapshot):
    snap = make_snapshot({"podpath.yaml": """
        hosts:
          n1:
            interfaces: {eth0: {addresses: [10.0.0.5/24]}}
            routes: ["default via 10.0.0.1", "10.9.0.0/16 via 10.0.0.254 dev eth0", "default via fe80::1 dev eth0",
                     "bogus via 10.0.0.1"]
        """})
    rs = snap.cluster.hosts["n1"].static_routes
    assert [r.describe() for r in rs] == ["default via 10.0.0.1 proto static",
                                          "10.9.0.0/16 via 10.0.0.254 dev eth0 proto static",
                                          "default via fe80::1 dev eth0 proto static"]
    assert [r.loc.line for r in rs] == [4, 4, 4]
    [e] = snap.diagnostics.errors
    assert e.loc.line == 5 and "'bogus' is not a prefix" in e.message


def test_netplan_and_ifupdown_files_give_hosts_interfaces_and_routes(make_snapshot):
    snap = make_snapshot({
        "kubernetes/nodes.yaml": "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n",
        "hosts/n1/50-cloud-init.yaml": """
            network:
              version: 2
              ethernets:
                eth0:
                  addresses: [10.44.8.11/24, "fd00:44:8::11/64"]
                  gateway4: 10.44.8.1
                  routes:
                    - to: default
                      via: fe80::1
                    - to: 10.9.0.0/16
                      via: 10.44.8.254
                      metric: 100
                  dhcp6: true
            """,
        "hosts/pve01/interfaces": IFACES,
        "podpath.yaml": "hosts:\n  pve01: {files: [hosts/pve01/interfaces]}\n"})
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics]
    n1 = snap.cluster.hosts["n1"]
    assert [str(a.value) for a in n1.interfaces["eth0"].addresses] == ["10.44.8.11/24", "fd00:44:8::11/64"]
    assert [r.describe() for r in n1.static_routes] == ["default via 10.44.8.1 dev eth0 proto static",
                                                        "default via fe80::1 dev eth0 proto static",
                                                        "10.9.0.0/16 via 10.44.8.254 dev eth0 proto static"]
    assert any(u.statement == "interface eth0 dhcp" for u in snap.unsupported)
    pve = snap.cluster.hosts["pve01"]
    assert len(pve.static_routes) == 3 and "vmbr0" in pve.interfaces
    kinds = {f.path: f.kind for f in snap.files}
    assert kinds["hosts/pve01/interfaces"] == "ifupdown" and kinds["hosts/n1/50-cloud-init.yaml"] == "netplan"


def test_talosctl_table_gives_only_its_default_route():
    """The table of `talosctl get routes` shows no protocol: a BIRD-installed route looks like a static one."""
    gw, dev = ipaddress.ip_address("10.0.0.1"), "eth0"
    routes = [KernelRoute(ipaddress.ip_network("0.0.0.0/0"), gw, dev), KernelRoute(ipaddress.ip_network("10.9.0.0/16"), gw, dev)]
    assert [str(r.dst) for r in configured_routes(routes, [], protocols_known=False)] == ["0.0.0.0/0"]
    assert [str(r.dst) for r in configured_routes(routes, [])] == ["0.0.0.0/0", "10.9.0.0/16"]  # ip route: proto boot
