"""Cilium BGP resources as the API server, the operator and the agents treat them: apiVersions served per
Cilium release, the CiliumBGPNodeConfig each agent runs (ownership, conflicts, overrides), BGPv1 precedence."""

from __future__ import annotations

from snaputil import NATIVE_VALUES, ids

NODES = """
apiVersion: v1
kind: List
items:
{items}
"""
NODE = """\
- apiVersion: v1
  kind: Node
  metadata:
    name: {name}
    labels: {{rack: {rack}}}
  spec:
    podCIDRs: [10.244.{i}.0/24]
  status:
    addresses:
    - {{type: InternalIP, address: '10.0.0.{i}'}}
"""


def nodes(*racks: str) -> str:
    return NODES.format(items="".join(NODE.format(name=f"n{i}", rack=r, i=i) for i, r in enumerate(racks, 1)))


def cluster_config(name: str, asn: int, api: str = "cilium.io/v2", selector: str = "") -> str:
    sel = f"  nodeSelector:\n    matchLabels: {{rack: {selector}}}\n" if selector else ""
    return f"""\
apiVersion: {api}
kind: CiliumBGPClusterConfig
metadata:
  name: {name}
spec:
{sel}  bgpInstances:
  - name: main
    localASN: {asn}
    peers:
    - name: tor
      peerAddress: 10.0.0.254
      peerASN: 65000
      peerConfigRef: {{name: pc}}
---
"""


PEER = """\
apiVersion: {api}
kind: CiliumBGPPeerConfig
metadata:
  name: pc
spec:
  families:
  - afi: ipv4
    safi: unicast
    advertisements:
      matchLabels: {{advertise: bgp}}
---
apiVersion: {api}
kind: CiliumBGPAdvertisement
metadata:
  name: pods
  labels: {{advertise: bgp}}
spec:
  advertisements:
  - advertisementType: PodCIDR
"""

BGP_ON = NATIVE_VALUES.replace("autoDirectNodeRoutes: true", "autoDirectNodeRoutes: false") \
    + "bgpControlPlane:\n  enabled: true\n"


def snapshot(make_snapshot, bgp: str, cilium: str = "1.18", racks: tuple[str, ...] = ("a", "a"), name: str = "s"):
    return make_snapshot({"values.yaml": BGP_ON, "nodes.yaml": nodes(*racks), "bgp.yaml": bgp,
                          "podpath.yaml": f"versions:\n  cilium: '{cilium}'\n"}, name)


def instances(snap) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for bi in snap.cilium_bgp().instances:
        out.setdefault(bi.node, []).append((bi.name, bi.local_asn))
    return out


def test_v2_on_117_does_not_exist(make_snapshot):
    bgp = cluster_config("cc", 65010) + PEER.format(api="cilium.io/v2")
    snap = snapshot(make_snapshot, bgp, "1.17")
    found = [f for f in snap.check(["BG001"]).findings if f.rule == "BG001"]
    assert sorted(f.subject for f in found) == ["CiliumBGPAdvertisement/pods", "CiliumBGPClusterConfig/cc",
                                                "CiliumBGPPeerConfig/pc"]
    assert all(f.severity.value == "error" for f in found)
    cc = next(f for f in found if f.subject == "CiliumBGPClusterConfig/cc")
    assert (cc.locations[0].file, cc.locations[0].line) == ("bgp.yaml", 1)  # the apiVersion line
    assert "cilium.io/v2 from 1.18" in cc.message
    assert instances(snap) == {}  # the simulation runs without them
    assert not snap.control_plane().speakers


def test_v2_on_118_and_v2alpha1_on_116_are_served(make_snapshot):
    snap = snapshot(make_snapshot, cluster_config("cc", 65010) + PEER.format(api="cilium.io/v2"), "1.18")
    assert ids(snap, "BG001") == []
    assert instances(snap) == {"n1": [("main", 65010)], "n2": [("main", 65010)]}
    old = cluster_config("cc", 65010, "cilium.io/v2alpha1") + PEER.format(api="cilium.io/v2alpha1")
    snap16 = snapshot(make_snapshot, old, "1.16", name="s16")
    assert ids(snap16, "BG001") == [] and len(instances(snap16)) == 2
    # the same objects on 1.18: served, deprecated (info)
    snap18 = snapshot(make_snapshot, old, "1.18", name="s18")
    assert {f.severity.value for f in snap18.check(["BG001"]).findings if f.rule == "BG001"} == {"info"}


def test_bgpv1_removed_in_119_at_apiversion_line(make_snapshot):
    v1 = "apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeeringPolicy\nmetadata:\n  name: rack0\nspec:\n" \
         "  virtualRouters:\n  - localASN: 65010\n    exportPodCIDR: true\n    neighbors:\n" \
         "    - {peerAddress: 10.0.0.254/32, peerASN: 65000}\n"
    snap = snapshot(make_snapshot, "---\n" + v1, "1.19")
    f = next(f for f in snap.check(["BG001"]).findings if f.rule == "BG001")
    assert f.severity.value == "error" and f.locations[0].line == 2
    assert instances(snap) == {}
    snap18 = snapshot(make_snapshot, v1, "1.18", name="s18")
    assert len(instances(snap18)) == 2  # still runs on 1.18 (deprecated)


HANDWRITTEN = """\
apiVersion: cilium.io/v2
kind: CiliumBGPNodeConfig
metadata:
  name: n1
{owner}spec:
  bgpInstances:
  - name: manual
    localASN: 65099
    peers:
    - name: tor
      peerAddress: 10.0.0.253
      peerASN: 65000
      peerConfigRef: {{name: pc}}
---
"""


def test_handwritten_nodeconfig_wins_over_cluster_config(make_snapshot):
    bgp = HANDWRITTEN.format(owner="") + cluster_config("cc", 65010) + PEER.format(api="cilium.io/v2")
    snap = snapshot(make_snapshot, bgp)
    assert instances(snap) == {"n1": [("manual", 65099)], "n2": [("main", 65010)]}
    n1 = next(bi for bi in snap.cilium_bgp().instances if bi.node == "n1")
    assert str(n1.peers[0].peer_address) == "10.0.0.253" and n1.loc.line == 7
    found = [f for f in snap.check(["BG002"]).findings if f.rule == "BG002"]
    assert [(f.subject, f.severity.value) for f in found] == [("handwritten:CiliumBGPNodeConfig/n1", "warning")]
    assert {(l.file, l.line) for l in found[0].locations} == {("bgp.yaml", 1), ("bgp.yaml", 15)}


def test_owned_nodeconfig_is_rewritten_from_its_cluster_config(make_snapshot):
    owner = "  ownerReferences:\n  - {apiVersion: cilium.io/v2, kind: CiliumBGPClusterConfig, name: cc, uid: u1}\n"
    bgp = HANDWRITTEN.format(owner=owner) + cluster_config("cc", 65010) + PEER.format(api="cilium.io/v2")
    snap = snapshot(make_snapshot, bgp)
    assert instances(snap) == {"n1": [("main", 65010)], "n2": [("main", 65010)]}
    assert ids(snap, "BG002") == []
    # owned by a ClusterConfig the snapshot does not hold: runs as written, cc skips the node
    other = owner.replace("name: cc", "name: gone")
    snap2 = snapshot(make_snapshot, HANDWRITTEN.format(owner=other) + cluster_config("cc", 65010)
                     + PEER.format(api="cilium.io/v2"), name="s2")
    assert instances(snap2)["n1"] == [("manual", 65099)]
    assert ids(snap2, "BG002") == ["BG002:foreign-owner:CiliumBGPNodeConfig/n1"]


def test_two_cluster_configs_selecting_one_node_conflict(make_snapshot):
    bgp = cluster_config("alpha", 65010) + cluster_config("beta", 65020, selector="b") + PEER.format(api="cilium.io/v2")
    snap = snapshot(make_snapshot, bgp, racks=("a", "b"))
    # n2 is selected by both: one applies (podpath: first by name), beta is skipped there
    assert instances(snap) == {"n1": [("main", 65010)], "n2": [("main", 65010)]}
    found = [f for f in snap.check(["BG002"]).findings if f.rule == "BG002"]
    assert [(f.subject, f.severity.value) for f in found] == [("conflict:node/n2", "error")]
    assert "beta is not applied on n2" in found[0].message
    # a NodeConfig in the snapshot owned by beta says which one the operator wrote
    owner = "  ownerReferences:\n  - {apiVersion: cilium.io/v2, kind: CiliumBGPClusterConfig, name: beta}\n"
    nc = HANDWRITTEN.format(owner=owner).replace("name: n1", "name: n2")
    snap2 = snapshot(make_snapshot, nc + bgp, racks=("a", "b"), name="s2")
    assert instances(snap2) == {"n1": [("main", 65010)], "n2": [("main", 65020)]}
    assert "alpha is not applied on n2" in next(f for f in snap2.check(["BG002"]).findings if f.rule == "BG002").message


def test_node_override_applies_only_to_operator_written_nodeconfigs(make_snapshot):
    override = """\
apiVersion: cilium.io/v2
kind: CiliumBGPNodeConfigOverride
metadata:
  name: {node}
spec:
  bgpInstances:
  - name: {inst}
    localASN: 65111
    routerID: 192.0.2.1
    peers:
    - {{name: tor, localAddress: 10.0.0.{i}}}
---
"""
    bgp = override.format(node="n2", inst="main", i=2) + cluster_config("cc", 65010) + PEER.format(api="cilium.io/v2")
    snap = snapshot(make_snapshot, bgp)
    n2 = next(bi for bi in snap.cilium_bgp().instances if bi.node == "n2")
    assert (n2.local_asn, n2.router_id, str(n2.peers[0].local_address)) == (65111, "192.0.2.1", "10.0.0.2")
    assert ids(snap, "BG002") == []
    # an override whose instance name matches nothing, and one for a node with a hand-written NodeConfig
    bad = override.format(node="n2", inst="other", i=2) + override.format(node="n1", inst="manual", i=1) \
        + HANDWRITTEN.format(owner="") + cluster_config("cc", 65010) + PEER.format(api="cilium.io/v2")
    snap2 = snapshot(make_snapshot, bad, name="s2")
    assert instances(snap2) == {"n1": [("manual", 65099)], "n2": [("main", 65010)]}
    assert ids(snap2, "BG002") == ["BG002:handwritten:CiliumBGPNodeConfig/n1",
                                   "BG002:override-unused:CiliumBGPNodeConfigOverride/n1"]


def test_bgpv1_takes_precedence_on_a_node_both_select(make_snapshot):
    v1 = "apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeeringPolicy\nmetadata:\n  name: rack-b\nspec:\n" \
         "  nodeSelector:\n    matchLabels: {rack: b}\n  virtualRouters:\n  - localASN: 65030\n" \
         "    exportPodCIDR: true\n    neighbors:\n    - {peerAddress: 10.0.0.254/32, peerASN: 65000}\n---\n"
    bgp = v1 + cluster_config("cc", 65010, "cilium.io/v2alpha1") + PEER.format(api="cilium.io/v2alpha1")
    snap = snapshot(make_snapshot, bgp, "1.17", racks=("a", "b"))
    assert instances(snap) == {"n1": [("main", 65010)], "n2": [("rack-b/65030", 65030)]}
    assert ids(snap, "BG002") == ["BG002:v1-precedence:node/n2"]
