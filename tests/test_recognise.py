"""Which YAML is Cilium Helm values (evidence, not key overlap), and which text is not YAML at all."""

from __future__ import annotations

import json

from snaputil import NATIVE_VALUES, three_nodes

# Another chart's values.yaml: every top-level key but one is also a Cilium chart key.
OTHER_CHART = """
replicaCount: 2
image:
  repository: registry.k8s.io/ingress-nginx/controller
  tag: v1.11.2
debug:
  enabled: true
securityContext:
  runAsNonRoot: true
prometheus:
  enabled: true
  port: 9090
operator:
  replicas: 3
resources:
  limits:
    cpu: 100m
tolerations: []
"""

# Cilium values written with only keys that many charts have: recognised only with context.
GENERIC_ONLY = "debug:\n  enabled: true\noperator:\n  replicas: 1\n"


def _kinds(snap) -> dict[str, str]:
    return {f.path: f.kind for f in snap.files}


def _why(snap, path: str) -> str:
    return next(f.why for f in snap.files if f.path == path) or ""


def test_other_charts_values_are_not_merged(make_snapshot):
    snap = make_snapshot({"cilium/values.yaml": NATIVE_VALUES, "ingress-nginx/values.yaml": OTHER_CHART,
                          "nodes.yaml": three_nodes()})
    assert [d.file for d in snap.helm_values] == ["cilium/values.yaml"]
    assert _kinds(snap)["ingress-nginx/values.yaml"] == "unknown"
    assert "many charts have" in _why(snap, "ingress-nginx/values.yaml")
    assert not snap.diagnostics.errors
    assert any(d.level.value == "note" and d.loc.file == "ingress-nginx/values.yaml" for d in snap.diagnostics)


def test_other_chart_alone_is_nothing_read(make_snapshot):
    snap = make_snapshot({"values.yaml": OTHER_CHART})
    assert snap.helm_values == [] and not snap.cilium.present


def test_cilium_only_keys_are_evidence(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES})
    assert [d.file for d in snap.helm_values] == ["values.yaml"]
    assert "specific to the Cilium chart" in _why(snap, "values.yaml")


def test_generic_keys_need_context(make_snapshot):
    assert make_snapshot({"values.yaml": GENERIC_ONLY}, "bare").helm_values == []
    for name, files, needle in [
        ("path", {"cilium/values.yaml": GENERIC_ONLY}, "the path cilium/values.yaml names Cilium"),
        ("file", {"cilium-values.yaml": GENERIC_ONLY}, "names Cilium"),
        ("comment", {"values.yaml": "# Cilium overrides for prod\n" + GENERIC_ONLY}, "a comment names Cilium (line 1)"),
        ("image", {"values.yaml": GENERIC_ONLY + "image:\n  repository: quay.io/cilium/cilium\n"},
         "image.repository: quay.io/cilium/cilium"),
        ("chart", {"values.yaml": GENERIC_ONLY, "Chart.yaml": "apiVersion: v2\nname: cilium\nversion: 1.18.3\n"},
         "Chart.yaml beside it is the cilium chart"),
        ("kustomize", {"values.yaml": GENERIC_ONLY, "kustomization.yaml":
                       "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nhelmCharts:\n"
                       "- name: cilium\n  repo: https://helm.cilium.io\n  valuesFile: values.yaml\n"},
         "inflates the cilium chart with values.yaml"),
        ("flux", {"values.yaml": GENERIC_ONLY, "release.yaml":
                  "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cilium\n"
                  "spec:\n  chart:\n    spec:\n      chart: cilium\n  valuesFrom:\n  - kind: ConfigMap\n"
                  "    name: cilium-values\n"},
         "a HelmRelease of the cilium chart is beside it (release.yaml)"),
    ]:
        snap = make_snapshot(files, name)
        values_file = next(iter(files))
        assert [d.file for d in snap.helm_values] == [values_file], name
        assert needle in _why(snap, values_file), (name, _why(snap, values_file))
        assert snap.helm_values[0].data["operator"]["replicas"] == 1, name


def test_kustomization_naming_another_values_file_is_no_evidence(make_snapshot):
    kust = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nhelmCharts:\n"
            "- name: cilium\n  valuesFile: cilium.yaml\n")
    snap = make_snapshot({"values.yaml": GENERIC_ONLY, "kustomization.yaml": kust})
    assert snap.helm_values == []


def test_umbrella_chart_values_under_cilium_key(make_snapshot):
    umbrella = "ingress-nginx:\n  controller:\n    replicaCount: 2\ncilium:\n  routingMode: native\n  MTU: 1450\n"
    snap = make_snapshot({"platform/values.yaml": umbrella})
    [doc] = snap.helm_values
    assert doc.data["routingMode"] == "native" and "ingress-nginx" not in doc.data
    s = snap.cilium.get("routing-mode")
    assert s.origin == "helm" and (s.loc.file, s.loc.line) == ("platform/values.yaml", 5)
    assert "`cilium:` map" in _why(snap, "platform/values.yaml")
    aliased = make_snapshot({"u/values.yaml": umbrella.replace("cilium:", "cni:"),
                             "u/Chart.yaml": "apiVersion: v2\nname: platform\nversion: 1.0.0\ndependencies:\n"
                                             "- name: cilium\n  alias: cni\n  version: 1.18.3\n"}, "alias")
    assert [d.data.get("MTU") for d in aliased.helm_values] == [1450]


def test_show_says_why(make_snapshot, tmp_path):
    from podpath.report import show_document

    snap = make_snapshot({"cilium/values.yaml": NATIVE_VALUES, "other/values.yaml": OTHER_CHART})
    files = {f["path"]: f for f in json.loads(json.dumps(show_document(snap)))["files"]}
    assert files["cilium/values.yaml"]["why"].startswith("Cilium Helm values: the path cilium/values.yaml")
    assert files["other/values.yaml"]["kind"] == "unknown" and "not Cilium Helm values" in files["other/values.yaml"]["why"]


def test_non_yaml_text_is_never_parsed_as_yaml(make_snapshot):
    files = {
        "Makefile": "all: build\n\tgo build ./...\ntest: all\n",
        "hack/setup.sh": "#!/bin/sh\nset -e\nname: x\n",
        "settings.ini": "[main]\nkey: value\n",
        "Dockerfile": "FROM alpine:3.20\nRUN apk add bird\n",
        "targets": "all: build\ntest: all\n",  # parses as YAML, but is nothing podpath reads
        "nodes.yaml": three_nodes(),
    }
    snap = make_snapshot(files)
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics.errors]
    kinds = _kinds(snap)
    for name in ("Makefile", "hack/setup.sh", "settings.ini", "Dockerfile", "targets"):
        assert kinds[name] == "unknown", name
        [n] = [d for d in snap.diagnostics if d.loc.file == name]
        assert n.level.value == "note" and "invalid YAML" not in n.message
    assert len(snap.cluster.nodes) == 3


def test_yaml_without_suffix_is_still_read(make_snapshot):
    snap = make_snapshot({"nodes": three_nodes(), "cilium-values": NATIVE_VALUES})
    assert _kinds(snap) == {"nodes": "kubernetes", "cilium-values": "cilium-helm-values"}
    assert len(snap.cluster.nodes) == 3 and snap.cilium.native_routing
