from snaputil import NATIVE_VALUES, findings, ids, node_list, three_nodes

NO_ADNR = NATIVE_VALUES.replace("autoDirectNodeRoutes: true", "autoDirectNodeRoutes: false")


def test_rt001_no_route_source(make_snapshot):
    snap = make_snapshot({"values.yaml": NO_ADNR, "nodes.yaml": three_nodes()})
    assert ids(snap, "RT001") == ["RT001:ipv4", "RT001:ipv6"]


def test_rt001_mentions_bgp_control_plane(make_snapshot):
    values = NO_ADNR + "bgpControlPlane:\n  enabled: true\n"
    [f, _] = findings(make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()}), "RT001")
    assert "BGP Control Plane does not install routes" in f.message


def test_rt001_route_dump_shows_missing_routes(make_snapshot):
    dump = "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11\ndefault via 10.0.0.1 dev eth0\n" \
           "10.244.1.0/24 via 10.244.1.1 dev cilium_host proto kernel\n"
    snap = make_snapshot({"values.yaml": NO_ADNR, "nodes.yaml": three_nodes(), "hosts/n1/routes.txt": dump})
    got = findings(snap, "RT001")
    by_subject = {f.subject: f for f in got}
    assert sorted(by_subject) == ["ipv4:n1", "ipv6"]  # IPv6: no dump of that family, nothing installs routes
    assert by_subject["ipv4:n1"].severity.value == "warning"  # covered by the default route only
    assert any("default" in e for e in by_subject["ipv4:n1"].evidence)


def test_rt001_negative_when_routes_present(make_snapshot):
    dump = "default via 10.0.0.1 dev eth0\n10.244.2.0/24 via 10.0.0.12 dev eth0 proto bird\n10.244.3.0/24 via 10.0.0.13 dev eth0 proto bird\n"
    values = NO_ADNR.replace("ipv6:\n  enabled: true", "ipv6:\n  enabled: false")
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes(), "hosts/n1/routes.txt": dump})
    assert ids(snap, "RT001") == []


def test_rt001_negative_with_adnr(make_snapshot):
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes()}), "RT001") == []


SEGMENTS = """
segments:
  rack1:
    prefixes: [10.0.0.0/26, "fd00:10::/122"]
  rack2:
    prefixes: [10.0.0.64/26, "fd00:10::40/122"]
"""


def test_rt002_adnr_without_shared_segment(make_snapshot):
    nodes = node_list([("a", ["10.0.0.10", "fd00:10::10"], ["10.244.1.0/24", "fd00:10:244:1::/64"]),
                       ("b", ["10.0.0.70", "fd00:10::70"], ["10.244.2.0/24", "fd00:10:244:2::/64"])])
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": nodes, "podpath.yaml": SEGMENTS})
    got = findings(snap, "RT002")
    assert [f.subject for f in got] == ["ipv4", "ipv6"]
    assert "no shared L2 segment" in got[0].evidence[0]


def test_rt002_negative_same_segment(make_snapshot):
    nodes = node_list([("a", ["10.0.0.10"], ["10.244.1.0/24"]), ("b", ["10.0.0.11"], ["10.244.2.0/24"])])
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": nodes, "podpath.yaml": SEGMENTS})
    assert ids(snap, "RT002") == []


def test_rt002_from_route_dump_gateway(make_snapshot):
    nodes = node_list([("a", ["10.0.0.10"], ["10.244.1.0/24"]), ("b", ["10.1.0.10"], ["10.244.2.0/24"])])
    dump = "default via 10.0.0.1 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link\n"
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": nodes, "routes-a.txt": dump})
    [f] = findings(snap, "RT002")
    assert "through a gateway" in f.evidence[0] and "routes-a.txt:1" in f.evidence[0]


def test_rt003_skip_without_adnr(make_snapshot):
    values = NO_ADNR + "directRoutingSkipUnreachable: true\n"
    assert ids(make_snapshot({"values.yaml": values}), "RT003") == ["RT003:config"]
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES + "directRoutingSkipUnreachable: true\n"}, "ok"), "RT003") == []


def test_rt004_adnr_tunnel(make_snapshot):
    values = "routingMode: tunnel\nautoDirectNodeRoutes: true\n"
    assert ids(make_snapshot({"values.yaml": values}), "RT004") == ["RT004:config"]
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES}, "ok"), "RT004") == []


def test_rt005_route_via_wrong_gateway(make_snapshot):
    nodes = node_list([("a", ["10.0.0.10"], ["10.244.1.0/24"]), ("b", ["10.0.0.11"], ["10.244.2.0/24"])])
    values = NATIVE_VALUES.replace("ipv6:\n  enabled: true", "ipv6:\n  enabled: false")
    bad = "10.0.0.0/24 dev eth0 proto kernel scope link\n10.244.1.0/24 via 10.244.1.1 dev cilium_host\n10.244.2.0/24 via 10.0.0.99 dev eth0\n"
    good = "10.0.0.0/24 dev eth0 proto kernel scope link\n10.244.1.0/24 via 10.244.1.1 dev cilium_host\n10.244.2.0/24 via 10.0.0.11 dev eth0 proto kernel\n"
    assert ids(make_snapshot({"values.yaml": values, "nodes.yaml": nodes, "hosts/a/r.txt": bad}), "RT005") == ["RT005:ipv4:a:10.244.2.0/24"]
    assert ids(make_snapshot({"values.yaml": values, "nodes.yaml": nodes, "hosts/a/r.txt": good}, "ok"), "RT005") == []


def test_rt006_local_pod_route_missing(make_snapshot):
    nodes = node_list([("a", ["10.0.0.10"], ["10.244.1.0/24"])])
    values = NATIVE_VALUES.replace("ipv6:\n  enabled: true", "ipv6:\n  enabled: false")
    dump = "10.0.0.0/24 dev eth0 proto kernel scope link\n"
    assert ids(make_snapshot({"values.yaml": values, "nodes.yaml": nodes, "hosts/a/r.txt": dump}), "RT006") == ["RT006:ipv4:a"]
    ok = dump + "10.244.1.0/24 via 10.244.1.1 dev cilium_host proto kernel src 10.244.1.1\n"
    assert ids(make_snapshot({"values.yaml": values, "nodes.yaml": nodes, "hosts/a/r.txt": ok}, "ok"), "RT006") == []


def test_rt001_default_gateway_outside_the_snapshot_is_unknown(make_snapshot):
    """Nodes whose default route goes to a router podpath has no configuration of: not an error."""
    from snaputil import node_list

    values = "routingMode: native\nautoDirectNodeRoutes: false\nipv4: {enabled: true}\nipv6: {enabled: false}\n" \
             "ipv4NativeRoutingCIDR: 10.244.0.0/16\n"
    nodes = node_list([("n1", ["10.44.8.11"], ["10.244.1.0/24"]), ("n2", ["10.44.9.11"], ["10.244.2.0/24"])])
    manifest = ("hosts:\n  n1: {interfaces: {eth0: {addresses: [10.44.8.11/24]}}, routes: ['default via 10.44.8.1']}\n"
                "  n2: {interfaces: {eth0: {addresses: [10.44.9.11/24]}}, routes: ['default via 10.44.9.1']}\n")
    snap = make_snapshot({"cilium/values.yaml": values, "kubernetes/nodes.yaml": nodes, "podpath.yaml": manifest})
    [f] = [f for f in snap.check().findings if f.rule == "RT001"]
    assert f.severity.value == "info" and "10.44.8.1, 10.44.9.1" in f.message and "unknown" in f.message
    snap = make_snapshot({"cilium/values.yaml": values, "kubernetes/nodes.yaml": nodes,
                          "podpath.yaml": manifest.replace(", routes: ['default via 10.44.9.1']", "")}, name="one")
    [f] = [f for f in snap.check().findings if f.rule == "RT001"]
    assert f.severity.value == "error"


_TOR_VALUES = """
routingMode: native
autoDirectNodeRoutes: false
ipv4NativeRoutingCIDR: 10.244.0.0/16
ipv6:
  enabled: false
bgpControlPlane:
  enabled: true
"""
_TOR_BGP = """
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: tor}
spec:
  bgpInstances:
  - name: tor
    localASN: 65100
    peers:
    - {name: tor, peerAddress: 10.0.0.1, peerASN: 65000, peerConfigRef: {name: tor}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata: {name: tor}
spec:
  families:
  - {afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: pods}}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata: {name: pods, labels: {advertise: pods}}
spec:
  advertisements:
  - advertisementType: PodCIDR
"""
_TOR_FRR = """
frr version 9.1
hostname tor
interface eth0
 ip address 10.0.0.1/24
exit
router bgp 65000
 neighbor K8S peer-group
 neighbor K8S remote-as 65100
 bgp listen range 10.0.0.0/24 peer-group K8S
 address-family ipv4 unicast
  neighbor K8S prefix-list PODS in
 exit-address-family
exit
ip prefix-list PODS seq 5 permit 10.244.0.0/16 le 24
"""


def _tor_snapshot(make_snapshot, frr: str, name: str):
    routes = "hosts:\n  tor: {role: router, files: [tor.conf]}\n" + "".join(
        f"  n{i}: {{interfaces: {{eth0: {{addresses: [10.0.0.{10 + i}/24]}}}}, routes: [default via 10.0.0.1]}}\n"
        for i in (1, 2, 3))
    return make_snapshot({"values.yaml": _TOR_VALUES, "bgp.yaml": _TOR_BGP, "tor.conf": frr,
                          "nodes.yaml": three_nodes(), "podpath.yaml": routes,
                          "hosts/n1/ip-route.txt": "default via 10.0.0.1 dev eth0 proto static\n"
                                                   "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11\n"}, name)


def test_rt001_negative_when_the_default_gateway_of_the_snapshot_routes_the_pod_cidrs(make_snapshot):
    # Cilium's BGP CP peers with the ToR that is also the nodes' default gateway: the default route suffices
    assert ids(_tor_snapshot(make_snapshot, _TOR_FRR, "ok"), "RT001") == []
    broken = _tor_snapshot(make_snapshot, _TOR_FRR.replace(" le 24", ""), "broken")  # the ToR rejects the /24s
    assert ids(broken, "RT001") == ["RT001:ipv4:n1"]
