from snaputil import NATIVE_VALUES, ids

TALOS = """
version: v1alpha1
machine:
  type: worker
  install:
    image: ghcr.io/siderolabs/installer:v1.12.1
{features}
cluster:
  network:
    podSubnets: [10.244.0.0/16]
  proxy:
    disabled: {proxy_disabled}
"""


def talos(features: str = "", proxy_disabled: str = "true") -> str:
    return TALOS.replace("{features}", features).replace("{proxy_disabled}", proxy_disabled)


def test_hr001_fallback_without_kpr(make_snapshot):
    values = NATIVE_VALUES.replace("kubeProxyReplacement: true", "kubeProxyReplacement: false")
    assert ids(make_snapshot({"values.yaml": values}), "HR001") == ["HR001:fallback"]
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES}, "ok"), "HR001") == []


def test_hr001_fallback_iptables_masquerade(make_snapshot):
    values = NATIVE_VALUES.replace("  masquerade: true", "  masquerade: false")
    assert ids(make_snapshot({"values.yaml": values}), "HR001") == ["HR001:fallback"]


def test_hr002_talos_host_dns_default(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES + "k8sServiceHost: localhost\n", "talos.yaml": talos()})
    assert ids(snap, "HR002") == ["HR002:host-dns"]
    off = talos("  features:\n    hostDNS:\n      forwardKubeDNSToHost: false")
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES, "talos.yaml": off}, "off"), "HR002") == []
    legacy = NATIVE_VALUES.replace("bpf:\n", "bpf:\n  hostLegacyRouting: true\n")
    assert ids(make_snapshot({"values.yaml": legacy, "talos.yaml": talos()}, "legacy"), "HR002") == []


def test_kp001_kpr_without_api_host(make_snapshot):
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES, "talos.yaml": talos()}), "KP001") == ["KP001:api"]
    ok = NATIVE_VALUES + "k8sServiceHost: localhost\nk8sServicePort: 7445\n"
    assert ids(make_snapshot({"values.yaml": ok, "talos.yaml": talos()}, "ok"), "KP001") == []


def test_kp002_kube_proxy_still_running(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "talos.yaml": talos(proxy_disabled="false")})
    assert ids(snap, "KP002") == ["KP002:kube-proxy"]
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES, "talos.yaml": talos()}, "ok"), "KP002") == []


def test_lb001_dsr_with_vxlan(make_snapshot):
    values = "routingMode: tunnel\ntunnelProtocol: vxlan\nkubeProxyReplacement: true\nloadBalancer:\n  mode: dsr\n"
    assert ids(make_snapshot({"values.yaml": values}), "LB001") == ["LB001:dsr-vxlan"]
    geneve = "routingMode: tunnel\ntunnelProtocol: geneve\nkubeProxyReplacement: true\nloadBalancer:\n  mode: dsr\n  dsrDispatch: geneve\n"
    assert ids(make_snapshot({"values.yaml": geneve}, "ok"), "LB001") == []


def test_bt001_big_tcp_prereqs(make_snapshot):
    values = "routingMode: tunnel\nenableIPv6BIGTCP: true\n"
    assert ids(make_snapshot({"values.yaml": values}), "BT001") == ["BT001:ipv6"]
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES + "enableIPv6BIGTCP: true\n"}, "ok"), "BT001") == []


BGPV1 = """
apiVersion: cilium.io/v2alpha1
kind: CiliumBGPPeeringPolicy
metadata:
  name: rack0
spec:
  virtualRouters: []
"""


def test_bg001_bgpv1_on_119(make_snapshot):
    values = NATIVE_VALUES + "bgpControlPlane:\n  enabled: true\n"
    snap = make_snapshot({"values.yaml": values, "bgp.yaml": BGPV1, "podpath.yaml": "versions:\n  cilium: '1.19'\n"})
    assert ids(snap, "BG001") == ["BG001:CiliumBGPPeeringPolicy/rack0"]
    snap17 = make_snapshot({"values.yaml": values, "bgp.yaml": BGPV1, "podpath.yaml": "versions:\n  cilium: '1.17'\n"}, "v17")
    assert ids(snap17, "BG001") == []
