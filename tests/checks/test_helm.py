import pytest

from podpath.cilium.chart import load_chart
from snaputil import NATIVE_VALUES, findings, ids

needs_chart = pytest.mark.skipif(load_chart("1.19") is None, reason="chart data files not generated")


@needs_chart
def test_hm001_configmap_spelling_is_error(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES + "enable-ipv6-masquerade: false\n"})
    [f] = findings(snap, "HM001")
    assert f.severity.value == "error"
    assert "enableIPv6Masquerade" in f.message
    assert f.locations[0].line == 14


@needs_chart
def test_hm001_unknown_key_warning_and_negative(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES + "hubble:\n  relay:\n    enabledd: true\n"})
    [f] = findings(snap, "HM001")
    assert f.severity.value == "warning" and "hubble.relay.enabledd" in f.message
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES}, "ok"), "HM001") == []


@needs_chart
def test_hm001_open_maps_accept_any_key(make_snapshot):
    values = NATIVE_VALUES + "podAnnotations:\n  my.example/anything: x\nextraConfig:\n  foo-bar: baz\n"
    assert ids(make_snapshot({"values.yaml": values}), "HM001") == []


CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: cilium-config
  namespace: kube-system
data:
  routing-mode: tunnel
  ipv6-native-routing-cidr: "fd00:10::/32"
"""


def test_hm002_drift_and_configmap_wins(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "cm.yaml": CONFIGMAP})
    assert ids(snap, "HM002") == ["HM002:routing-mode"]
    assert snap.cilium.routing_mode == "tunnel"
    assert snap.cilium.get("routing-mode").origin == "configmap"


def test_hm003_version_mismatch(make_snapshot):
    status = "Cilium:   Ok   1.18.6 (v1.18.6-abc)\nKubeProxyReplacement:   True\n"
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "podpath.yaml": "versions:\n  cilium: 1.19.0\n",
                          "hosts/n1/status.txt": status, "nodes.yaml": "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n"})
    assert ids(snap, "HM003") == ["HM003:version"]


@needs_chart
def test_hm001_rejected_key_fails_install(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES + "tunnel: disabled\n"})
    [f] = findings(snap, "HM001")
    assert f.severity.value == "error" and "refused" in f.message


@needs_chart
def test_hm001_seed_style_keys(make_snapshot):
    values = NATIVE_VALUES.replace("bpf:\n  masquerade: true", "bpf:\n  masquerade: true\n  lbMode: snat")
    values += "mtu: 1450\n"
    got = {f.subject.split(":", 1)[1]: f for f in findings(make_snapshot({"values.yaml": values}), "HM001")}
    assert set(got) == {"bpf.lbMode", "mtu"}
    assert "loadBalancer.mode" in got["bpf.lbMode"].message  # ConfigMap spelling bpf-lb-mode -> Helm key
    assert "MTU" in got["mtu"].message and got["mtu"].severity.value == "error"  # MTU stays auto, not 1450
