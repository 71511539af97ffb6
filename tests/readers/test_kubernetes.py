import podpath
from snaputil import node_list

KUBECTL_LIST = """
apiVersion: v1
items:
- apiVersion: v1
  kind: Node
  metadata:
    labels:
      node-role.kubernetes.io/control-plane: ""
    name: cp1
  spec:
    podCIDR: 10.244.0.0/24
    podCIDRs:
    - 10.244.0.0/24
    - fd00:244::/64
  status:
    addresses:
    - address: 10.0.0.1
      type: InternalIP
    - address: fd00::1
      type: InternalIP
    - address: cp1
      type: Hostname
kind: List
metadata:
  resourceVersion: ""
"""


def test_kubectl_list_of_nodes(make_snapshot):
    snap = make_snapshot({"nodes.yaml": KUBECTL_LIST})
    node = snap.cluster.nodes["cp1"]
    assert node.control_plane
    assert [str(c.value) for c in node.pod_cidrs] == ["10.244.0.0/24", "fd00:244::/64"]
    assert node.pod_cidrs[1].loc.line == 13 and node.pod_cidrs[1].loc.file == "nodes.yaml"
    assert str(node.node_ip(6).address) == "fd00::1"


def test_multi_document_and_typed_list(make_snapshot):
    text = node_list([("a", ["10.0.0.1"], ["10.244.1.0/24"])]).replace("kind: List", "kind: NodeList")
    text = text.replace("- apiVersion: v1\n  kind: Node\n", "- metadata:\n").replace("  metadata:\n    name: a", "    name: a")
    svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\nspec:\n  clusterIPs: [10.96.0.10]\n"
    snap = make_snapshot({"all.yaml": text + svc})
    assert "a" in snap.cluster.nodes
    assert [str(i.value) for i in snap.cluster.services[0].cluster_ips] == ["10.96.0.10"]


def test_ciliumnode_adds_cidrs(make_snapshot):
    cn = """
    apiVersion: cilium.io/v2
    kind: CiliumNode
    metadata: {name: w1}
    spec:
      addresses:
      - {type: InternalIP, ip: 10.0.0.9}
      ipam:
        podCIDRs: [10.244.9.0/24]
    """
    snap = make_snapshot({"cn.yaml": cn})
    assert [str(c.value) for c in snap.cluster.nodes["w1"].pod_cidrs] == ["10.244.9.0/24"]
    assert snap.cluster.nodes["w1"].pod_cidrs[0].origin == "ciliumnode"


HELMRELEASE = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
  namespace: kube-system
spec:
  interval: 30m
  chart:
    spec:
      chart: cilium
      version: 1.18.6
      sourceRef: {kind: HelmRepository, name: cilium}
  values:
    routingMode: native
    ipv4NativeRoutingCIDR: 10.0.0.0/8
"""


def test_helmrelease_values_and_version(make_snapshot):
    snap = make_snapshot({"release.yaml": HELMRELEASE})
    assert snap.cilium.routing_mode == "native"
    s = snap.cilium.get("ipv4-native-routing-cidr")
    assert s.origin == "helm" and s.loc.file == "release.yaml" and s.loc.line == 15
    assert snap.cilium.version.value == "1.18.6"


def test_other_helmrelease_not_cilium(make_snapshot):
    snap = make_snapshot({"release.yaml": HELMRELEASE.replace("chart: cilium", "chart: podinfo")})
    assert not snap.cilium.present
    assert any("not the Cilium chart" in u.why for u in snap.unsupported)


def test_configmap(make_snapshot):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cilium-config}\ndata:\n  routing-mode: native\n  enable-ipv6: 'true'\n"
    snap = make_snapshot({"cm.yaml": cm})
    assert snap.cilium.native_routing and snap.cilium.family_enabled(6)
    assert snap.cilium.get("routing-mode").loc.line == 5


def test_bad_cidr_reports_location(make_snapshot):
    snap = make_snapshot({"n.yaml": node_list([("a", ["10.0.0.1"], ["10.244.1.0/33"])])})
    [err] = snap.diagnostics.errors
    assert err.loc.file == "n.yaml" and err.loc.line == 10 and "does not parse" in err.message
    assert snap.cluster.nodes["a"].pod_cidrs == []
