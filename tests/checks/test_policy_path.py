"""NP001: pod traffic a policy allows arrives masqueraded (a node's identity) and the same policy drops it."""

from pathlib import Path

import podpath
from dpsnap import allow_from_pods_only, build, service, slice_, two_pods

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "seed000-ipv6-native-cidr"


def _np(snap):
    return snap.check(["NP001"]).findings


def test_seed000_snat_dropped_by_flux_policy():
    [f] = _np(podpath.load(EXAMPLES / "broken"))
    assert f.message.startswith("Cilium masquerades IPv6 traffic between pods on different nodes")
    assert "ipv6NativeRoutingCIDR fd00:101::/48" in f.message and "identity remote-node" in f.message
    where = {f"{l.file}:{l.line}" for l in f.locations}
    assert "cilium/values.yaml:24" in where  # the setting that causes the SNAT
    assert any(l.file.endswith("flux-system-networkpolicies.yaml") for l in f.locations)  # the policy that drops
    assert any("dropped on solwk02" in e for e in f.evidence)


def test_seed000_fixed_has_none():
    assert _np(podpath.load(EXAMPLES / "fixed")) == []


def _svc_objects(policy: str | None) -> list[str]:
    objs = two_pods([service("web", "fd00:10:96::10", 80, 8080, family="IPv6"),
                     slice_("web", [("fd00:10:244:2::20", "n2", "web")], 8080, family="IPv6")])
    return objs + ([policy] if policy else [])


def test_masquerade_by_narrow_native_cidr_is_reported(tmp_path):
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10:244:1::/64"}, _svc_objects(allow_from_pods_only()))
    [f] = _np(snap)
    assert "default/web" in f.message and any(l.file == "values.yaml" for l in f.locations)


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
