import json

from podpath.diagnostics import Diagnostics
from podpath.readers import iproute


def test_ip_route_text_with_multipath_and_types():
    text = ("default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5 metric 100\n"
            "10.1.0.0/16 proto bird metric 32\n\tnexthop via 10.0.0.2 dev eth0 weight 1\n\tnexthop via 10.0.0.3 dev eth0 weight 1\n"
            "blackhole 10.9.0.0/16 proto static\n"
            "fd00:1::/64 dev cilium_host proto kernel metric 1024 pref medium\n")
    assert iproute.looks_like_ip_route(text)
    d = Diagnostics()
    routes = iproute.parse_ip_route_text(text, "r.txt", d)
    assert len(routes) == 4 and not d.errors
    assert routes[0].dst.prefixlen == 0 and str(routes[0].gateway) == "10.0.0.1" and routes[0].metric == 100
    assert len(routes[1].nexthops) == 2 and routes[1].loc.line == 2
    assert routes[2].type == "blackhole"
    assert routes[3].dst.version == 6 and routes[3].dev == "cilium_host"


def test_ipv6_default_uses_gateway_family():
    [r] = iproute.parse_ip_route_text("default via fe80::1 dev eth0 proto ra metric 1024\n", "r", Diagnostics())
    assert str(r.dst) == "::/0"


def test_ip_json():
    data = [{"dst": "default", "gateway": "10.0.0.1", "dev": "eth0", "protocol": "dhcp", "flags": []},
            {"dst": "10.244.1.0/24", "gateway": "10.0.0.12", "dev": "eth0", "flags": []}]
    text = json.dumps(data, indent=2)
    assert iproute.looks_like_ip_json(data)
    routes = iproute.parse_ip_route_json(text, "r.json", Diagnostics())
    assert [str(r.dst) for r in routes] == ["0.0.0.0/0", "10.244.1.0/24"]
    assert routes[1].loc.line == 9


TALOS = """NODE          NAMESPACE   TYPE          ID                                      VERSION   DESTINATION          GATEWAY        LINK          METRIC
fd00:101::11  network     RouteStatus   inet6/fd00:101::1//1024                 1                              fd00:101::1    ens18         1024
fd00:101::11  network     RouteStatus   inet6//fd00:101:224::/64//1024          1         fd00:101:224::/64                   cilium_host   1024
"""


def test_talosctl_table():
    assert iproute.looks_like_talosctl_routes(TALOS)
    routes, nodes = iproute.parse_talosctl_routes(TALOS, "t.txt", Diagnostics())
    assert nodes == {"fd00:101::11"}
    assert str(routes[0].dst) == "::/0" and str(routes[0].gateway) == "fd00:101::1"
    assert str(routes[1].dst) == "fd00:101:224::/64" and routes[1].dev == "cilium_host" and routes[1].gateway is None


def test_talosctl_dump_assigned_by_node_column(make_snapshot):
    nodes = "apiVersion: v1\nkind: Node\nmetadata: {name: cp1}\nstatus:\n  addresses: [{type: InternalIP, address: 'fd00:101::11'}]\n"
    snap = make_snapshot({"nodes.yaml": nodes, "routes.txt": TALOS})
    assert snap.cluster.hosts["cp1"].routes is not None
