"""One rule of Cilium's datapath per test, on small two/three-node snapshots (tests/dpsnap.py)."""

from __future__ import annotations

import ipaddress

import pytest

import dpsnap
from dpsnap import allow_from_pods_only, build, pod, two_pods
from podpath.datapath.trace import TraceError, trace


def ip(s: str) -> ipaddress._BaseAddress:
    return ipaddress.ip_address(s)


def events(res, node=None, shown=True):
    return [e for e in res.events if (node is None or e.node == node) and ((e.suppressed is None) == shown)]


def test_pod_cidr_inside_native_cidr_is_not_masqueraded_and_keeps_its_identity(tmp_path):
    snap = build(tmp_path, objects=two_pods([allow_from_pods_only()]))
    res = trace(snap, "default/client", "default/web", 8080, family=4)
    assert res.verdict == "delivered" and res.where == "n2"
    assert not [r for r in res.rewrites if r.kind == "SNAT"]
    assert any("inside the SNAT exclusion CIDR" in s.text for s in res.steps)
    ingress = [s for s in res.steps if s.text.startswith("ingress policy")]
    assert ingress and "allowed by NetworkPolicy default/pods-only" in ingress[0].text
    assert ingress[0].locs and ingress[0].locs[0].file == "kubernetes/objects.yaml"


def test_pod_cidr_outside_native_cidr_is_snated_and_denied_as_remote_node(tmp_path):
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10::/64"}, two_pods([allow_from_pods_only()]))
    res = trace(snap, "default/client", "default/web", 8080, family=6)
    [snat] = [r for r in res.rewrites if r.kind == "SNAT"]
    assert snat.node == "n1" and snat.after == "[fd00:10::11]:*" and snat.hook == "bpf_host"
    assert any(l.file == "values.yaml" for l in snat.locs)  # the native-routing CIDR's line
    assert res.verdict == "dropped" and res.where == "n2"
    assert "remote-node" in res.why and "default deny" in res.why
    assert res.locs and res.locs[0].file == "kubernetes/objects.yaml"
    n2 = events(res, "n2")
    assert [(e.event, e.verdict) for e in n2] == [("policy-verdict", "DENIED"), ("drop", "DROPPED")]
    assert n2[0].src_identity == "remote-node" and n2[0].direction == "INGRESS"
    # the capture on the wire shows the node address, never both pod addresses
    wire = [c for c in res.captures if c.node == "n2" and c.direction == "in"]
    assert wire and wire[0].shows.startswith("[fd00:10::11]")


def test_snated_traffic_without_policy_is_delivered(tmp_path):
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10::/64"}, two_pods())
    res = trace(snap, "default/client", "default/web", 8080, family=6)
    assert res.verdict == "delivered" and [r.kind for r in res.rewrites] == ["SNAT"]
    assert not [e for e in res.events if e.event == "policy-verdict"]  # no enforcement, no verdict events


def test_masquerade_off_means_no_snat(tmp_path):
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10::/64", "enableIPv6Masquerade": False}, two_pods())
    res = trace(snap, "default/client", "default/web", 8080, family=6)
    assert not res.rewrites and any("enableIPv6Masquerade is false" in s.text for s in res.steps)


def test_remote_node_address_is_not_masqueraded_by_bpf_in_native_mode(tmp_path):
    # node addresses 10.0.0.0/24 are outside the native CIDR 10.244.0.0/16
    snap = build(tmp_path, objects=two_pods())
    res = trace(snap, "default/client", "10.0.0.12", 10250)
    assert res.verdict == "delivered" and res.where == "n2" and not res.rewrites
    assert any("remote node and routing is native" in s.text for s in res.steps)


def test_iptables_masquerade_has_no_remote_node_exception_and_forces_legacy_routing(tmp_path):
    snap = build(tmp_path, {"bpf": {"masquerade": False}}, two_pods())
    res = trace(snap, "default/client", "10.0.0.12", 10250)
    [snat] = res.rewrites
    assert snat.hook == "iptables" and snat.after == "10.0.0.11:*"
    assert [e.event for e in events(res, "n1")][0] == "to-stack"  # legacy host routing (fallback)
    assert "legacy host routing" in res.steps[0].text


def test_egress_policy_denies_at_the_source(tmp_path):
    deny = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-egress, namespace: default}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector: {matchLabels: {app: other}}
"""
    snap = build(tmp_path, objects=two_pods([deny]))
    res = trace(snap, "default/client", "default/web", 8080, family=4)
    assert res.verdict == "dropped" and res.where == "n1" and not res.hops
    n1 = events(res, "n1")
    assert [(e.event, e.verdict, e.direction) for e in n1] == [("policy-verdict", "DENIED", "EGRESS"),
                                                               ("drop", "DROPPED", None)]
    assert n1[1].drop_reason == "Policy denied"


def test_same_node_pods_never_leave_the_node(tmp_path):
    objs = two_pods([pod("peer", "n1", ["10.244.1.11"], {"app": "peer"})])
    snap = build(tmp_path, objects=objs)
    res = trace(snap, "default/client", "default/peer", 80)
    assert res.verdict == "delivered" and res.where == "n1" and not res.hops
    assert [e.event for e in events(res)] == ["to-endpoint"]


def test_tunnel_mode_encapsulates_without_snat_and_keeps_the_pod_identity(tmp_path):
    values = {"routingMode": "tunnel", "autoDirectNodeRoutes": None, "ipv6NativeRoutingCIDR": None,
              "ipv4NativeRoutingCIDR": None}
    snap = build(tmp_path, values, two_pods([allow_from_pods_only()]))
    res = trace(snap, "default/client", "default/web", 8080, family=4)
    assert res.verdict == "delivered", res.why
    assert not [r for r in res.rewrites if r.kind == "SNAT"]
    assert "to-overlay" in [e.event for e in events(res, "n1")]
    assert any("8472" in c.shows and c.node == "n1" for c in res.captures)
    assert res.mtu["tunnel_overhead"] == 50 and res.mtu["pod_mtu"] == 1450


def test_no_route_is_to_stack_then_a_kernel_drop(tmp_path):
    snap = build(tmp_path, {"autoDirectNodeRoutes": False}, two_pods())
    res = trace(snap, "default/client", "default/web", 8080, family=4)
    assert res.verdict == "dropped" and res.where == "n1" and "no route" in res.why
    assert [e.event for e in events(res, "n1")] == ["to-stack"]


def test_monitor_aggregation_decides_which_events_exist(tmp_path):
    objs = two_pods()
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10::/64"}, objs)
    res = trace(snap, "default/client", "default/web", 8080, family=6)
    hidden = events(res, "n1", shown=False)
    assert [e.source_xlated for e in hidden] == ["fd00:10::11"]  # the post-SNAT event: monitor=0
    assert any(e.event == "from-network" for e in events(res, "n2", shown=False))
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10::/64", "bpf": {"monitorAggregation": "none"}}, objs,
                 name="none")
    res = trace(snap, "default/client", "default/web", 8080, family=6)
    assert not events(res, shown=False)
    assert [e.source_xlated for e in events(res, "n1") if e.event == "to-network"] == [None, "fd00:10::11"]


def test_bpf_snat_only_on_cilium_devices(tmp_path):
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10::/64", "devices": "eth9"}, two_pods())
    res = trace(snap, "default/client", "default/web", 8080, family=6)
    assert not res.rewrites and any("is not a Cilium device" in s.text for s in res.steps)


def test_ip_masq_agent_default_list_has_no_ipv6_ula(tmp_path):
    values = {"ipMasqAgent": {"enabled": True}, "ipv4NativeRoutingCIDR": None, "ipv6NativeRoutingCIDR": None}
    snap = build(tmp_path, values, two_pods())
    v4 = trace(snap, "default/client", "default/web", 8080, family=4)
    v6 = trace(snap, "default/client", "default/web", 8080, family=6)
    assert not v4.rewrites and [r.kind for r in v6.rewrites] == ["SNAT"]
    assert any("default nonMasqueradeCIDRs assumed" in s.text for s in v6.steps)


def test_mtu_larger_than_the_path_is_reported(tmp_path):
    snap = build(tmp_path, {"MTU": 9000}, two_pods())
    res = trace(snap, "default/client", "default/web", 8080, family=4)
    assert res.mtu["pod_mtu"] == 9000 and res.mtu["path_mtu"] == 1500 and res.mtu["fits"] is False


def test_mtu_of_the_receiving_interface_limits_the_path(tmp_path):
    # jumbo frames on the sender, a 1500 interface on the receiving node: the receiver drops full-size frames
    manifest = ("versions:\n  cilium: 1.19.0\nhosts:\n"
                "  n1: {interfaces: {eth0: {addresses: [10.0.0.11/24], mtu: 9000}}}\n"
                "  n2: {interfaces: {eth0: {addresses: [10.0.0.12/24], mtu: 1500}}}\n")
    snap = build(tmp_path, {"MTU": 9000}, two_pods(), manifest=manifest)
    res = trace(snap, "default/client", "default/web", 8080, family=4)
    assert res.mtu["path_mtu"] == 1500 and res.mtu["fits"] is False
    assert any("n2 eth0 mtu 1500" in p for p in res.mtu["path"])


def test_unknown_pod_address_makes_the_verdict_unknown_not_delivered(tmp_path):
    snap = build(tmp_path, objects=two_pods())
    res = trace(snap, "default/client", "10.244.2.99", 80)
    assert res.verdict == "unknown" and res.unknowns


def test_unknown_names_are_usage_errors(tmp_path):
    snap = build(tmp_path, objects=two_pods())
    with pytest.raises(TraceError, match="no pod or Service"):
        trace(snap, "default/nope", "default/web", 80)
    with pytest.raises(TraceError, match="not a pod, Service, node"):
        trace(snap, "default/client", "nosuchnode", 80)


def test_route_dump_is_evidence_for_the_simulated_route(tmp_path):
    dump = "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11\n10.244.2.0/24 via 10.0.0.13 dev eth0 proto kernel\n"
    snap = build(tmp_path, objects=two_pods(), extra_files={"hosts/n1/ip-route.txt": dump})
    res = trace(snap, "default/client", "default/web", 8080, family=4)
    [ev] = res.evidence
    assert ev.status == "contradicts" and ev.loc.file == "hosts/n1/ip-route.txt" and ev.loc.line == 2


def test_nodes_and_workload_names_resolve(tmp_path):
    snap = build(tmp_path, objects=two_pods([pod("web-5d9c8-abcde", "n2", ["10.244.2.21"], {"app": "web"})]))
    res = trace(snap, "n1", "default/web-5d9c8", 80)
    assert res.src.kind == "host" and res.dst.endpoint.key == "default/web-5d9c8-abcde"
    assert res.verdict == "delivered" and not res.rewrites  # host traffic is not masqueraded


def test_snated_source_backing_the_api_server_is_kube_apiserver(tmp_path):
    api = dpsnap.slice_("kubernetes", [("fd00:10::11", None, None)], 6443, family="IPv6")  # as the API server writes it
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10::/64"}, two_pods([api]))
    res = trace(snap, "default/client", "default/web", 8080, family=6)
    assert res.verdict == "delivered"
    assert [e.src_identity for e in events(res, "n2") if e.event == "to-endpoint"] == ["kube-apiserver"]


def test_a_service_is_not_a_source(tmp_path):
    objs = two_pods([dpsnap.service("web", "10.96.0.10", 80, 8080)])
    with pytest.raises(TraceError, match="is a Service"):
        trace(build(tmp_path, objects=objs), "default/web", "default/client", 80)


ROUTED = """\
versions:
  cilium: 1.19.0
hosts:
  n1:
    interfaces:
      eth0: {addresses: [10.0.1.11/24], mtu: 1500}
    routes:
      - 10.244.2.0/24 via 10.0.1.1
      - 10.0.2.0/24 via 10.0.1.1
      - blackhole 10.244.3.0/24
  n2:
    interfaces:
      eth0: {addresses: [10.0.2.12/24], mtu: 1500}
    routes:
      - 10.244.1.0/24 via 10.0.2.1
      - 10.0.1.0/24 via 10.0.2.1
  r1:
    role: router
    interfaces:
      eth0: {addresses: [10.0.1.1/24], mtu: 1500}
      eth1: {addresses: [10.0.2.1/24], mtu: 1400}
    routes:
      - 10.244.1.0/24 via 10.0.1.11
      - 10.244.2.0/24 via 10.0.2.12
"""


def _routed(tmp_path, name="routed"):
    nodes = [("n1", "10.0.1.11", "fd00:10::11", "10.244.1.0/24", "fd00:10:244:1::/64"),
             ("n2", "10.0.2.12", "fd00:10::12", "10.244.2.0/24", "fd00:10:244:2::/64"),
             ("n3", "10.0.3.13", "fd00:10::13", "10.244.3.0/24", "fd00:10:244:3::/64")]
    objs = two_pods([pod("far", "n3", ["10.244.3.30"], {"app": "far"})])
    return build(tmp_path, {"autoDirectNodeRoutes": False}, objs, manifest=ROUTED, name=name,
                 extra_files={"kubernetes/nodes.yaml": dpsnap.nodes_yaml(nodes)})


def test_underlay_hops_follow_the_routers_tables_and_their_mtu(tmp_path):
    res = trace(_routed(tmp_path), "default/client", "default/web", 8080, family=4)
    assert res.verdict == "delivered", res.why
    assert [(h.host, h.next) for h in res.hops] == [("n1", "r1"), ("r1", "n2")]
    assert ("r1", "eth1", "out") in [(c.node, c.interface, c.direction) for c in res.captures]
    assert res.mtu["path_mtu"] == 1400 and res.mtu["fits"] is False  # r1's eth1 is smaller than the pods' 1500


def test_blackhole_route_is_a_fib_lookup_failure_with_bpf_host_routing(tmp_path):
    res = trace(_routed(tmp_path), "default/client", "default/far", 80, family=4)
    assert res.verdict == "dropped" and res.where == "n1" and "FIB lookup failed" in res.why
    assert [(e.event, e.drop_reason) for e in events(res, "n1")] == [("drop", "FIB lookup failed")]
