from snaputil import NATIVE_VALUES, ids, node_list, three_nodes

TALOS = """
version: v1alpha1
machine:
  type: worker
cluster:
  network:
    podSubnets: [10.244.0.0/16, "fd00:10:244::/56"]
    serviceSubnets: [{svc4}, "fd00:10:96::/108"]
  proxy:
    disabled: true
"""


def talos(svc4: str = "10.96.0.0/12") -> str:
    return TALOS.replace("{svc4}", svc4)


def test_ip001_outside_cluster_subnet(make_snapshot):
    nodes = node_list([("a", ["10.0.0.10"], ["10.245.1.0/24"]), ("b", ["10.0.0.11"], ["10.244.2.0/24"])])
    snap = make_snapshot({"talos.yaml": talos(), "nodes.yaml": nodes})
    assert ids(snap, "IP001") == ["IP001:a:10.245.1.0/24"]


def test_ip001_negative(make_snapshot):
    assert ids(make_snapshot({"talos.yaml": talos(), "nodes.yaml": three_nodes()}), "IP001") == []


def test_ip002_overlap(make_snapshot):
    nodes = node_list([("a", ["10.0.0.10"], ["10.244.0.0/23"]), ("b", ["10.0.0.11"], ["10.244.1.0/24"]),
                       ("c", ["10.0.0.12"], ["10.244.2.0/24"])])
    assert ids(make_snapshot({"nodes.yaml": nodes}), "IP002") == ["IP002:a:b:10.244.1.0/24"]
    assert ids(make_snapshot({"nodes.yaml": three_nodes()}, "ok"), "IP002") == []


def test_ip003_service_overlaps_pods(make_snapshot):
    snap = make_snapshot({"talos.yaml": talos("10.244.128.0/20"), "nodes.yaml": three_nodes()})
    assert "IP003:10.244.128.0/20:10.244.0.0/16" in ids(snap, "IP003")
    assert ids(make_snapshot({"talos.yaml": talos(), "nodes.yaml": three_nodes()}, "ok"), "IP003") == []


def test_ip003_service_overlaps_node_address(make_snapshot):
    nodes = node_list([("a", ["10.96.0.5"], ["10.244.1.0/24"])])
    assert ids(make_snapshot({"talos.yaml": talos(), "nodes.yaml": nodes}), "IP003") == ["IP003:10.96.0.0/12:10.96.0.5/32"]


def test_ip004_node_missing_ipv6(make_snapshot):
    nodes = node_list([("a", ["10.0.0.10", "fd00:10::10"], ["10.244.1.0/24", "fd00:10:244:1::/64"]),
                       ("b", ["10.0.0.11"], ["10.244.2.0/24"])])
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": nodes})
    assert ids(snap, "IP004") == ["IP004:b:ipv6"]
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes()}, "ok"), "IP004") == []


def test_ip005_cluster_pool_ignores_node_cidrs(make_snapshot):
    values = NATIVE_VALUES.replace("mode: kubernetes", "mode: cluster-pool")
    got = ids(make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()}), "IP005")
    assert got == ["IP005:node-podcidrs"]
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes()}, "ok"), "IP005") == []


def test_ip005_default_pool_overlaps_service(make_snapshot):
    values = "ipam:\n  mode: cluster-pool\n"
    got = ids(make_snapshot({"values.yaml": values, "talos.yaml": talos()}), "IP005")
    assert got == ["IP005:pool:10.0.0.0/8:service subnet 10.96.0.0/12"]


def test_ip006_family_disabled(make_snapshot):
    values = "routingMode: tunnel\nipv6:\n  enabled: false\n"
    assert ids(make_snapshot({"values.yaml": values, "talos.yaml": talos()}), "IP006") == ["IP006:ipv6"]
    values_on = "routingMode: tunnel\nipv6:\n  enabled: true\n"
    assert ids(make_snapshot({"values.yaml": values_on, "talos.yaml": talos()}, "ok"), "IP006") == []
