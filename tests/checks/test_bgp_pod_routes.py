"""Which pod routes BGP must carry (BGP002): none in tunnel mode; with autoDirectNodeRoutes only between nodes
that share no L2 segment; unknown (info, not checked) when the segments are not known. A ToR peers with every
node's Cilium and sends the nodes nothing, which is healthy exactly when Cilium routes pod traffic itself."""

from __future__ import annotations

from snaputil import findings

NODES = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1, labels: {rack: r1}}
  spec: {podCIDRs: [10.244.1.0/24]}
  status: {addresses: [{type: InternalIP, address: 10.0.1.11}]}
- apiVersion: v1
  kind: Node
  metadata: {name: n2, labels: {rack: r1}}
  spec: {podCIDRs: [10.244.2.0/24]}
  status: {addresses: [{type: InternalIP, address: 10.0.1.12}]}
- apiVersion: v1
  kind: Node
  metadata: {name: n3, labels: {rack: r2}}
  spec: {podCIDRs: [10.244.3.0/24]}
  status: {addresses: [{type: InternalIP, address: 10.0.2.13}]}
"""

TOR = """\
frr version 8.4.4
frr defaults traditional
hostname tor
!
router bgp 65000
 bgp router-id 10.0.1.1
 neighbor NODES peer-group
 neighbor NODES remote-as 65010
 neighbor 10.0.1.11 peer-group NODES
 neighbor 10.0.1.12 peer-group NODES
 neighbor 10.0.2.13 peer-group NODES
 !
 address-family ipv4 unicast
  neighbor NODES activate
  neighbor NODES route-map IN in
  neighbor NODES route-map OUT out
 exit-address-family
exit
!
route-map IN permit 10
exit
!
route-map OUT deny 10
exit
!
"""

BGP = """\
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: rack1}
spec:
  nodeSelector: {matchLabels: {rack: r1}}
  bgpInstances:
  - name: main
    localASN: 65010
    peers:
    - {name: tor, peerAddress: 10.0.1.1, peerASN: 65000, peerConfigRef: {name: pc}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: rack2}
spec:
  nodeSelector: {matchLabels: {rack: r2}}
  bgpInstances:
  - name: main
    localASN: 65010
    peers:
    - {name: tor, peerAddress: 10.0.2.1, peerASN: 65000, peerConfigRef: {name: pc}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata: {name: pc}
spec:
  ebgpMultihop: 2
  families:
  - {afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgp}}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata: {name: lb, labels: {advertise: bgp}}
spec:
  advertisements:
  - advertisementType: Service
    service: {addresses: [LoadBalancerIP]}
    selector: {matchExpressions: [{key: x, operator: NotIn, values: [y]}]}
"""

SEGMENTS = """\
versions: {cilium: '1.18'}
hosts:
  tor: {interfaces: {eth0: {addresses: [10.0.1.1/24], segment: rack1}, eth1: {addresses: [10.0.2.1/24], segment: rack2}}}
segments:
  rack1: {prefixes: [10.0.1.0/24]}
  rack2: {prefixes: [10.0.2.0/24]}
"""

NO_SEGMENTS = """\
versions: {cilium: '1.18'}
hosts:
  tor: {interfaces: {eth0: {addresses: [10.0.1.1/24]}, eth1: {addresses: [10.0.2.1/24]}}}
"""

TUNNEL = """\
routingMode: tunnel
tunnelProtocol: vxlan
kubeProxyReplacement: true
ipam: {mode: kubernetes}
bgpControlPlane: {enabled: true}
"""

NATIVE_ADNR = """\
routingMode: native
autoDirectNodeRoutes: true
ipv4NativeRoutingCIDR: 10.244.0.0/16
kubeProxyReplacement: true
bpf: {masquerade: true}
ipam: {mode: kubernetes}
bgpControlPlane: {enabled: true}
"""


def snap(make_snapshot, values: str, manifest: str = SEGMENTS, name: str = "s"):
    return make_snapshot({"nodes.yaml": NODES, "frr/tor.conf": TOR, "bgp.yaml": BGP, "podpath.yaml": manifest,
                          "values.yaml": values}, name)


def test_tunnel_mode_needs_no_bgp_pod_routes(make_snapshot):
    got = findings(snap(make_snapshot, TUNNEL), "BGP002")
    assert [(f.subject, f.severity.value) for f in got] == [("ipv4:exempt:tunnel", "info")]
    assert "tunnel mode" in got[0].message and len(got[0].evidence) == 6  # every ordered pair of 3 nodes
    assert all("routingMode tunnel" in e for e in got[0].evidence)


def test_native_without_adnr_keeps_the_error(make_snapshot):
    values = NATIVE_ADNR.replace("autoDirectNodeRoutes: true", "autoDirectNodeRoutes: false")
    got = findings(snap(make_snapshot, values), "BGP002")
    assert [f.severity.value for f in got] == ["error"]
    assert "6 node pair(s)" in got[0].message


def test_adnr_only_pairs_across_segments_need_bgp(make_snapshot):
    got = findings(snap(make_snapshot, NATIVE_ADNR), "BGP002")
    assert [f.severity.value for f in got] == ["error"]
    assert "4 node pair(s)" in got[0].message  # n1<->n3, n2<->n3; n1<->n2 share rack1
    assert not any("n1, n2" in e and "10.244.1.0/24" in e for e in got[0].evidence)


def test_adnr_without_segment_info_is_unknown_not_an_error(make_snapshot):
    s = snap(make_snapshot, NATIVE_ADNR, NO_SEGMENTS)
    got = findings(s, "BGP002")
    assert [(f.subject, f.severity.value) for f in got] == [("ipv4:unknown:auto-direct-node-routes", "info")]
    assert all("cannot tell whether" in e for e in got[0].evidence)
    report = s.check(["BGP002"])
    assert any(n.rule == "BGP002" for n in report.not_checked)


def _rr_node_bird(i: int, rr_as: int = 65010) -> str:
    return f"""\
router id 10.0.0.1{i};
protocol device {{}}
protocol kernel {{ ipv4 {{ import none; export where source = RTS_BGP; }}; }}
protocol static pods {{ ipv4; route 10.244.{i}.0/24 unreachable; }}
protocol bgp rr {{
  local 10.0.0.1{i} as 65010;
  neighbor 10.0.0.1 as {rr_as};
  ipv4 {{ import all; export where source ~ [ RTS_STATIC, RTS_BGP ]; next hop self; }};
}}
"""


RR = """\
frr version 9.1
hostname rr
interface eth0
 ip address 10.0.0.1/24
exit
router bgp 65010
 bgp router-id 10.0.0.1
 neighbor NODES peer-group
 neighbor NODES remote-as 65010
 bgp listen range 10.0.0.0/24 peer-group NODES
 address-family ipv4 unicast
  neighbor NODES route-reflector-client
 exit-address-family
exit
"""

RR_NODES = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
    f"- {{apiVersion: v1, kind: Node, metadata: {{name: n{i}}}, spec: {{podCIDRs: [10.244.{i}.0/24]}}, "
    f"status: {{addresses: [{{type: InternalIP, address: 10.0.0.1{i}}}]}}}}\n" for i in (1, 2))


def test_bgp002_names_the_down_session_not_a_route_never_sent_back(make_snapshot):
    # n2 peers with the wrong AS: its session is down, so neither pod CIDR crosses. The only "stops" of the
    # route are ones that always happen (not sent back to its source, ORIGINATOR_ID loop): never the cause.
    files = {"values.yaml": "routingMode: native\nipv4NativeRoutingCIDR: 10.244.0.0/16\nipv6:\n  enabled: false\n",
             "nodes.yaml": RR_NODES, "rr.conf": RR, "bird/n1.conf": _rr_node_bird(1),
             "bird/n2.conf": _rr_node_bird(2, rr_as=65011),
             "podpath.yaml": "hosts:\n  rr: {role: router, files: [rr.conf]}\n"
                             "  n1: {interfaces: {eth0: {addresses: [10.0.0.11/24]}}}\n"
                             "  n2: {interfaces: {eth0: {addresses: [10.0.0.12/24]}}}\n"}
    [f] = findings(make_snapshot(files), "BGP002")
    assert "not sent back" not in f.message and "ORIGINATOR_ID" not in f.message
    assert "n2/bird -> 10.0.0.1" in f.message and "is down" in f.message and "BGP001" in f.message
    assert f.locations[0].file == "bird/n2.conf"


def test_bgp006_behind_an_outside_gateway_still_names_where_bgp_loses_the_route(make_snapshot):
    # no route-reflector-client: the RR cannot pass one node's pod CIDR to the other. The nodes' default
    # gateway is outside the snapshot, so the pairs stay unknown, but the evidence says where BGP lost them.
    files = {"values.yaml": "routingMode: native\nipv4NativeRoutingCIDR: 10.244.0.0/16\nipv6:\n  enabled: false\n",
             "nodes.yaml": RR_NODES, "rr.conf": RR.replace("  neighbor NODES route-reflector-client\n", ""),
             "bird/n1.conf": _rr_node_bird(1), "bird/n2.conf": _rr_node_bird(2),
             "podpath.yaml": "hosts:\n  rr: {role: router, files: [rr.conf]}\n"
                             "  n1: {interfaces: {eth0: {addresses: [10.0.0.11/24]}}, routes: [default via 10.0.0.254]}\n"
                             "  n2: {interfaces: {eth0: {addresses: [10.0.0.12/24]}}, routes: [default via 10.0.0.254]}\n"}
    snap = make_snapshot(files)
    assert findings(snap, "BGP002") == []
    [f] = findings(snap, "BGP006")
    assert "gateway 10.0.0.254" in f.message
    assert any("get no BGP route to 10.244.1.0/24" in e and "route-reflector client" in e and "rr.conf:" in e
               for e in f.evidence)
