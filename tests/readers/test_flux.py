"""Flux HelmRelease valuesFrom: ConfigMaps, Secrets and Kustomize generators, merged in Flux's order."""

import base64

RELEASE = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
  namespace: kube-system
spec:
  chart:
    spec:
      chart: cilium
      version: 1.16.5
  valuesFrom:
{refs}
  values:
    routingMode: native
"""

BLOCK_CM = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: cilium-values
  namespace: kube-system
data:
  values.yaml: |
    ipam:
      mode: kubernetes
    ipv4NativeRoutingCIDR: 10.244.0.0/16
    routingMode: tunnel
"""


def _release(*refs: str) -> str:
    return RELEASE.format(refs="\n".join(refs))


def test_configmap_block_values_keep_their_lines(make_snapshot):
    snap = make_snapshot({"release.yaml": _release("    - kind: ConfigMap\n      name: cilium-values"),
                          "values-cm.yaml": BLOCK_CM})
    s = snap.cilium.get("ipv4-native-routing-cidr")
    assert s.value == "10.244.0.0/16" and s.origin == "helm"
    assert (s.loc.file, s.loc.line, s.loc.col) == ("values-cm.yaml", 10, 28)
    assert snap.cilium.get("ipam").loc.line == 9
    # spec.values wins over valuesFrom (helm-controller merges inline values last)
    rm = snap.cilium.get("routing-mode")
    assert rm.value == "native" and rm.loc.file == "release.yaml"
    assert not any("valuesFrom" in u.statement for u in snap.unsupported)
    assert not any("more than one set" in d.message for d in snap.diagnostics)


def test_missing_reference_makes_result_incomplete(make_snapshot):
    snap = make_snapshot({"release.yaml": _release("    - kind: ConfigMap\n      name: elsewhere")})
    hits = [u for u in snap.unsupported if "valuesFrom ConfigMap elsewhere" in u.statement]
    assert hits and hits[0].affects_routes and hits[0].loc.line == 12
    assert not snap.complete


def test_optional_missing_reference_is_a_note(make_snapshot):
    snap = make_snapshot({"release.yaml": _release("    - kind: ConfigMap\n      name: elsewhere\n      optional: true")})
    hits = [u for u in snap.unsupported if "valuesFrom ConfigMap elsewhere" in u.statement]
    assert hits and not hits[0].affects_routes


def test_secret_target_path_and_order(make_snapshot):
    cidr = base64.b64encode(b"10.50.0.0/16").decode()
    secret = f"""
apiVersion: v1
kind: Secret
metadata:
  name: cidr
  namespace: kube-system
data:
  v4: {cidr}
"""
    snap = make_snapshot({
        "release.yaml": _release("    - kind: ConfigMap\n      name: cilium-values",
                                 "    - kind: Secret\n      name: cidr\n      valuesKey: v4\n"
                                 "      targetPath: ipv4NativeRoutingCIDR"),
        "values-cm.yaml": BLOCK_CM, "secret.yaml": secret})
    s = snap.cilium.get("ipv4-native-routing-cidr")
    assert s.value == "10.50.0.0/16" and s.loc.file == "secret.yaml" and s.loc.line == 7  # later item wins


def test_missing_key_is_reported(make_snapshot):
    snap = make_snapshot({"release.yaml": _release("    - kind: ConfigMap\n      name: cilium-values\n"
                                                   "      valuesKey: other.yaml"),
                          "values-cm.yaml": BLOCK_CM})
    assert any("has no key 'other.yaml'" in d.message and d.loc.line == 12 for d in snap.diagnostics)
    assert snap.cilium.get("ipv4-native-routing-cidr").is_default


def test_kustomize_generator_file_applied_in_order(make_snapshot):
    kust = """
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: kube-system
resources:
  - release.yaml
configMapGenerator:
  - name: cilium-values
    files:
      - values.yaml=cilium-values.yaml
"""
    values = "ipam:\n  mode: kubernetes\nipv4NativeRoutingCIDR: 10.244.0.0/16\nroutingMode: tunnel\n"
    snap = make_snapshot({"flux/release.yaml": _release("    - kind: ConfigMap\n      name: cilium-values"),
                          "flux/kustomization.yaml": kust, "flux/cilium-values.yaml": values})
    assert snap.cilium.routing_mode == "native"  # the file is applied before spec.values, not after it
    s = snap.cilium.get("ipv4-native-routing-cidr")
    assert (s.loc.file, s.loc.line) == ("flux/cilium-values.yaml", 3)
    kinds = {f.path: f.kind for f in snap.files}
    assert kinds["flux/kustomization.yaml"] == "kustomization"


def test_invalid_nested_yaml_is_located_in_the_configmap(make_snapshot):
    bad = BLOCK_CM.replace("      mode: kubernetes", "      mode: [kubernetes")
    snap = make_snapshot({"release.yaml": _release("    - kind: ConfigMap\n      name: cilium-values"),
                          "values-cm.yaml": bad})
    errs = [d for d in snap.diagnostics.errors if d.loc.file == "values-cm.yaml"]
    assert errs and 9 <= errs[0].loc.line <= 11 and "invalid YAML" in errs[0].message


FLUX_KS = """
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infra
  namespace: flux-system
spec:
  path: ./infrastructure/cilium
  postBuild:
    substitute:
      pod_cidr_v4: "10.244.0.0/16"
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
"""

CLUSTER_VARS = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-vars
  namespace: flux-system
data:
  pod_cidr_v6: "fd00:10::/56"
  pod_cidr_v4: "10.99.0.0/16"
"""

SUBST_VALUES = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
  namespace: kube-system
spec:
  chart:
    spec:
      chart: cilium
      version: 1.16.5
  values:
    routingMode: native
    ipv4NativeRoutingCIDR: ${pod_cidr_v4}
    ipv6NativeRoutingCIDR: "${pod_cidr_v6}"
    ipam:
      mode: ${ipam_mode:=kubernetes}
    k8sServiceHost: ${api_host}
    literal: $${not_a_var}
"""


def test_postbuild_substitution(make_snapshot):
    snap = make_snapshot({"clusters/prod/infra.yaml": FLUX_KS, "clusters/prod/vars.yaml": CLUSTER_VARS,
                          "infrastructure/cilium/release.yaml": SUBST_VALUES})
    v4 = snap.cilium.get("ipv4-native-routing-cidr")
    assert v4.value == "10.244.0.0/16"  # substitute wins over substituteFrom
    assert (v4.loc.file, v4.loc.line) == ("infrastructure/cilium/release.yaml", 13)
    assert snap.cilium.get("ipv6-native-routing-cidr").value == "fd00:10::/56"
    assert snap.cilium.get("ipam").value == "kubernetes"
    warn = [d for d in snap.diagnostics if "${api_host} is not defined" in d.message]
    assert warn and (warn[0].loc.line, warn[0].loc.col) == (17, 21)
    # the text as written is kept for repairs and diffs
    assert "${pod_cidr_v4}" in snap.texts["infrastructure/cilium/release.yaml"]


def test_postbuild_path_elsewhere_is_not_applied(make_snapshot):
    ks = FLUX_KS.replace("./infrastructure/cilium", "./apps/podinfo")
    snap = make_snapshot({"infra.yaml": ks, "vars.yaml": CLUSTER_VARS, "infrastructure/cilium/release.yaml": SUBST_VALUES})
    assert snap.cilium.get("ipv4-native-routing-cidr").value == "${pod_cidr_v4}"
