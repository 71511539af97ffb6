"""Service translation: who translates, to which backend, what the traffic policies leave."""

from __future__ import annotations

import pytest

from dpsnap import build, pod, service, slice_, two_pods
from podpath.datapath import services as svcs
from podpath.datapath.trace import trace

WEB = [service("web", "10.96.0.10", 80, 8080),
       slice_("web", [("10.244.2.20", "n2", "web"), ("10.244.3.30", "n3", "web3")], 8080)]
WEB3 = pod("web3", "n3", ["10.244.3.30"], {"app": "web"}, ports=[("http", 8080)])


def dnat(res):
    return [r for r in res.rewrites if r.kind == "DNAT"]


def test_kpr_forces_socket_lb_even_when_socketlb_is_disabled(tmp_path):
    snap = build(tmp_path, {"socketLB": {"enabled": False}}, two_pods(WEB + [WEB3]))
    res = trace(snap, "default/client", "default/web")
    [d] = dnat(res)
    assert d.hook == "socket-lb" and d.before == "10.96.0.10:80" and d.after == "10.244.2.20:8080"
    assert "NewKPRConfig" in res.steps[1].text
    assert res.verdict == "delivered"
    # the pod's own capture already shows the backend
    assert res.captures[0].shows.startswith("10.244.1.10:* > 10.244.2.20:8080")


def test_host_namespace_only_translates_pods_per_packet(tmp_path):
    snap = build(tmp_path, {"socketLB": {"hostNamespaceOnly": True}}, two_pods(WEB + [WEB3]))
    [d] = dnat(trace(snap, "default/client", "default/web"))
    assert d.hook == "bpf_lxc"
    [h] = dnat(trace(snap, "n1", "default/web"))
    assert h.hook == "socket-lb"


def test_without_kpr_the_host_relies_on_kube_proxy(tmp_path):
    snap = build(tmp_path, {"kubeProxyReplacement": False}, two_pods(WEB + [WEB3]))
    [d] = dnat(trace(snap, "default/client", "default/web"))
    assert d.hook == "bpf_lxc"
    res = trace(snap, "n1", "default/web")
    assert res.verdict == "unknown" and any("kube-proxy" in u for u in res.unknowns)


def test_internal_traffic_policy_local_leaves_only_the_clients_node(tmp_path):
    objs = two_pods([service("web", "10.96.0.10", 80, 8080, extra="  internalTrafficPolicy: Local\n"),
                     WEB[1], WEB3])
    snap = build(tmp_path, objects=objs)
    res = trace(snap, "default/client", "default/web")  # client on n1: no backend there
    assert res.verdict == "dropped" and "no ready backend on n1" in res.why and "connect() is refused" in res.why
    assert any(l.file == "kubernetes/objects.yaml" for l in res.locs)
    res = trace(snap, "n3", "default/web")
    assert [d.after for d in dnat(res)] == ["10.244.3.30:8080"]


def test_external_traffic_policy_local_applies_to_external_clients_only(tmp_path):
    objs = two_pods([service("web", "10.96.0.10", 80, 8080, typ="NodePort", node_port=30080,
                             extra="  externalTrafficPolicy: Local\n"), WEB[1], WEB3])
    snap = build(tmp_path, objects=objs)
    # from outside, to n1's NodePort: no local backend on n1
    res = trace(snap, "192.0.2.7", "10.0.0.11", 30080)
    assert res.verdict == "dropped" and res.where == "n1" and "externalTrafficPolicy Local" in res.why
    # from outside to n2's NodePort: the local backend, client address kept
    res = trace(snap, "192.0.2.7", "10.0.0.12", 30080)
    assert res.verdict == "delivered" and [d.after for d in dnat(res)] == ["10.244.2.20:8080"]
    assert not [r for r in res.rewrites if r.kind == "SNAT"]
    # in-cluster clients of the ClusterIP keep every backend
    t = trace(snap, "default/client", "default/web")
    assert dnat(t) and t.verdict == "delivered"


def test_nodeport_to_a_remote_backend_snat_vs_dsr(tmp_path):
    objs = two_pods([service("web", "10.96.0.10", 80, 8080, typ="NodePort", node_port=30080), WEB[1], WEB3])
    snap = build(tmp_path, objects=objs)
    res = trace(snap, "192.0.2.7", "10.0.0.11", 30080)  # n1 has no backend: forwarded to n2
    snat = [r for r in res.rewrites if r.kind == "SNAT"]
    assert [s.after for s in snat] == ["10.0.0.11:*"] and res.verdict == "delivered" and res.where == "n2"
    snap = build(tmp_path, {"loadBalancer": {"mode": "dsr"}}, objs, name="dsr")
    res = trace(snap, "192.0.2.7", "10.0.0.11", 30080)
    assert not [r for r in res.rewrites if r.kind == "SNAT"] and res.where == "n2"


def test_hybrid_is_dsr_for_tcp_and_snat_for_udp(tmp_path):
    snap = build(tmp_path, {"loadBalancer": {"mode": "hybrid"}})
    assert svcs.lb_mode(snap.cilium, "TCP") == "dsr" and svcs.lb_mode(snap.cilium, "UDP") == "snat"


def test_clusterip_is_not_served_to_external_clients(tmp_path):
    snap = build(tmp_path, objects=two_pods(WEB + [WEB3]))
    fe = svcs.find(snap.cluster, __import__("ipaddress").ip_address("10.96.0.10"), 80, "TCP", set())[0]
    t = svcs.translate(snap, fe, "external", None, "n1", 4)
    assert t.backend is None and "not served to clients outside" in t.drop


def test_backend_port_comes_from_the_endpointslice_named_port(tmp_path):
    objs = two_pods([service("web", "10.96.0.10", 80, "http"),
                     slice_("web", [("10.244.2.20", "n2", "web")], 8080)])
    snap = build(tmp_path, objects=objs)
    [fe] = svcs.frontends(snap.cluster)
    [b] = svcs.backends(snap.cluster, fe, 4)
    assert (str(b.address), b.port, b.node, b.target) == ("10.244.2.20", 8080, "n2", "default/web")
    assert [f.describe() for f in svcs.frontends(snap.cluster)] == ["default/web ClusterIP 10.96.0.10:80/tcp"]


def test_service_with_no_ready_backend_of_the_family(tmp_path):
    objs = two_pods([service("web", "fd00:10:96::10", 80, 8080)])
    snap = build(tmp_path, objects=objs)
    res = trace(snap, "default/client", "default/web")
    assert res.family == 6 and res.verdict == "dropped" and "no ready backend of this family" in res.why


@pytest.mark.parametrize("text,want", [
    ("10.0.0.1", ("10.0.0.1", None, "TCP")),
    ("10.0.0.1:53/udp", ("10.0.0.1", 53, "UDP")),
    ("[fd00::1]:443", ("fd00::1", 443, "TCP")),
    ("fd00::1", ("fd00::1", None, "TCP")),
    ("default/web:80/tcp", ("default/web", 80, "TCP")),
    ("n1", ("n1", None, "TCP")),
])
def test_parse_target(text, want):
    assert svcs.parse_target(text) == want


def test_parse_target_rejects_ambiguous_ipv6_with_port():
    with pytest.raises(ValueError, match=r"\[ADDR\]:PORT"):
        svcs.parse_target("fd00::1:443x")


def test_selector_service_without_endpointslice_in_the_snapshot_is_unknown(tmp_path):
    # the controller writes a slice for every selector Service: none here means not collected, not "no backend"
    objs = two_pods([service("web", "10.96.0.10", 80, 8080, extra="  selector: {app: web}\n")])
    res = trace(build(tmp_path, objects=objs), "default/client", "default/web")
    assert res.verdict == "unknown" and "no EndpointSlice of Service default/web" in res.why


def test_kube_proxy_host_client_without_backend_is_unknown_not_a_crash(tmp_path):
    objs = two_pods([service("web", "10.96.0.10", 80, 8080)])
    res = trace(build(tmp_path, {"kubeProxyReplacement": False}, objs), "n1", "default/web")
    assert res.verdict == "unknown" and "kube-proxy" in res.why
