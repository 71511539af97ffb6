"""NP001: pod traffic a policy allows arrives masqueraded (a node's identity) and the same policy drops it."""

from pathlib import Path

import podpath
from dpsnap import allow_from_pods_only, build, service, slice_, two_pods

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "seed000-ipv6-native-cidr"


def _np(snap):
    return snap.check(["NP001"]).findings


def test_seed000_policy_drop_is_nr002_evidence_not_a_second_error():
    report = podpath.load(EXAMPLES / "broken").check(["NP001", "NR002"])
    assert [f.rule for f in report.findings] == ["NR002"]  # the mistake is the native-routing CIDR: one error
    [f] = report.findings
    assert any("SNATed, then dropped on solwk02" in e and "default deny" in e for e in f.evidence)
    assert any(l.file.endswith("flux-system-networkpolicies.yaml") for l in f.locations)  # the policy that drops


def test_seed000_fixed_has_none():
    assert _np(podpath.load(EXAMPLES / "fixed")) == []


def _svc_objects(policy: str | None) -> list[str]:
    objs = two_pods([service("web", "fd00:10:96::10", 80, 8080, family="IPv6"),
                     slice_("web", [("fd00:10:244:2::20", "n2", "web")], 8080, family="IPv6")])
    return objs + ([policy] if policy else [])


def test_masquerade_by_narrow_native_cidr_is_nr002(tmp_path):
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10:244:1::/64"}, _svc_objects(allow_from_pods_only()))
    report = snap.check(["NP001", "NR002"])
    assert [f.rule for f in report.findings] == ["NR002"]
    assert any("default/web" in e and "SNATed" in e for e in report.findings[0].evidence)


def test_no_masquerade_no_finding(tmp_path):
    assert _np(build(tmp_path, None, _svc_objects(allow_from_pods_only()))) == []


def test_policy_admitting_nodes_is_not_reported(tmp_path):
    cnp = """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: web-from-nodes
  namespace: default
spec:
  endpointSelector:
    matchLabels: {app: web}
  ingress:
    - fromEntities: [remote-node]
    - fromEndpoints: [{}]
"""
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10:244:1::/64"}, _svc_objects(cnp))
    assert _np(snap) == []


def test_policy_denying_the_pods_too_is_not_the_masquerade(tmp_path):
    deny_all = allow_from_pods_only().replace("    - from:\n        - podSelector: {}\n", "")
    deny_all = deny_all.replace("  ingress:\n", "  ingress: []\n")
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10:244:1::/64"}, _svc_objects(deny_all))
    assert _np(snap) == []
