"""HM004: Helm values checked against the chart's own values.schema.json (what `helm install` enforces)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from podpath.cilium.schema import load_schema, render_path
from snaputil import NATIVE_VALUES, findings, ids

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ["1.16", "1.17", "1.18", "1.19"]


def _pin(version: str) -> str:
    return f"versions:\n  cilium: {version}.0\n"


def test_string_where_schema_wants_integer_is_error(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES + 'MTU: "fifteen"\n', "podpath.yaml": _pin("1.18")})
    [f] = findings(snap, "HM004")
    assert f.severity.value == "error"
    assert f.message.startswith('`MTU: "fifteen"` must be an integer (values.schema.json of Cilium 1.18)')
    assert (f.locations[0].file, f.locations[0].line, f.locations[0].col) == ("values.yaml", 14, 6)
    assert f.fix is not None and "MTU" in f.fix.description


def test_quoted_number_gets_unquoting_fix(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES + 'MTU: "1450"\n'})
    [f] = findings(snap, "HM004")
    assert f.fix is not None and f.fix.yaml == "MTU: 1450\n"


def test_enum_range_and_map_violations_each_cited(make_snapshot):
    values = NATIVE_VALUES + ("identityManagementMode: agents\n"
                              "bpf2: 1\n"
                              "hubble: true\n"
                              "envoy:\n  log:\n    defaultLevel: verbose\n"
                              "tolerations:\n- operator: 5\n")
    values = values.replace("bpf:\n  masquerade: true\n", "bpf:\n  masquerade: true\n  monitorTraceIPOption: 300\n")
    snap = make_snapshot({"values.yaml": values, "podpath.yaml": _pin("1.19")})
    got = {f.subject: f for f in findings(snap, "HM004")}
    assert sorted(got) == ["values.yaml:bpf.monitorTraceIPOption", "values.yaml:envoy.log.defaultLevel",
                           "values.yaml:hubble", "values.yaml:identityManagementMode",
                           "values.yaml:tolerations[0].operator"]
    assert 'one of "agent", "operator", "both"' in got["values.yaml:identityManagementMode"].message
    assert "at most 255" in got["values.yaml:bpf.monitorTraceIPOption"].message
    assert "must be a map" in got["values.yaml:hubble"].message
    assert "null or one of" in got["values.yaml:envoy.log.defaultLevel"].message
    assert got["values.yaml:tolerations[0].operator"].locations[0].line == values.lstrip("\n").count("\n")


def test_schema_of_the_stated_version(make_snapshot):
    """bpf.monitorTraceIPOption has a range only in the 1.19 schema (in 1.18 it is not a key: HM001's job)."""
    values = NATIVE_VALUES.replace("  masquerade: true\n", "  masquerade: true\n  monitorTraceIPOption: 300\n")
    assert ids(make_snapshot({"values.yaml": values, "podpath.yaml": _pin("1.19")}, "a"), "HM004") \
        == ["HM004:values.yaml:bpf.monitorTraceIPOption"]
    assert ids(make_snapshot({"values.yaml": values, "podpath.yaml": _pin("1.18")}, "b"), "HM004") == []


def test_valid_values_pass(make_snapshot):
    values = NATIVE_VALUES + ("MTU: 1450\n"
                              "kubeProxyReplacement2: x\n"
                              "debug:\n  enabled: null\n"        # null over a default: Helm deletes the key
                              "ipam2: {}\n"
                              "envoy:\n  log:\n    defaultLevel: off\n"  # YAML 1.1 bool or the string: either may fit
                              "k8sServicePort: 6443.0\n")          # integral number: an integer to draft 7
    values = values.replace("kubeProxyReplacement: true\n", "kubeProxyReplacement: yes\n")
    assert ids(make_snapshot({"values.yaml": values, "podpath.yaml": _pin("1.19")}), "HM004") == []


def test_helmrelease_values_are_checked(make_snapshot):
    hr = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cilium\n"
          "spec:\n  chart:\n    spec:\n      chart: cilium\n      version: 1.17.3\n"
          "  values:\n    routingMode: native\n    MTU: \"fifteen\"\n")
    [f] = findings(make_snapshot({"hr.yaml": hr}), "HM004")
    assert (f.locations[0].file, f.locations[0].line) == ("hr.yaml", 12)
    assert "Cilium 1.17" in f.message


@pytest.mark.parametrize("version", VERSIONS)
def test_chart_defaults_satisfy_their_schema(version):
    """The validator against ground truth: every chart's own values.yaml is valid for its schema."""
    values = YAML(typ="rt").load((ROOT / "tools/chart_sources" / version / "values.yaml").read_text())
    schema = load_schema(version)
    assert schema is not None
    assert [render_path(v.path) for v in schema.validate(values)] == []


@pytest.mark.parametrize("version", VERSIONS)
def test_shipped_schema_is_regenerated_exactly(version):
    sys.path.insert(0, str(ROOT / "tools"))
    import chart_keys

    text = chart_keys.compact_schema(ROOT / "tools/chart_sources" / version, version)
    assert (ROOT / "src/podpath/data/cilium" / f"schema-{version}.json").read_text() == text


def test_examples_have_no_schema_errors():
    import podpath

    for snap_dir in sorted((ROOT / "examples").glob("*/*/")):
        snap = podpath.load(snap_dir)
        assert snap.helm_values, snap_dir
        assert ids(snap, "HM004") == [], snap_dir


def test_value_replaced_by_a_later_values_file_is_not_reported(make_snapshot):
    """Helm validates the merged values (`-f a.yaml -f b.yaml`: b wins); podpath merges in file order too."""
    snap = make_snapshot({"cilium/a.yaml": NATIVE_VALUES + 'MTU: "fifteen"\nhubble: true\nidentityManagementMode: x\n',
                          "cilium/b.yaml": "MTU: 1450\nhubble:\n  enabled: false\n"})
    assert ids(snap, "HM004") == ["HM004:cilium/a.yaml:identityManagementMode"]


def test_flux_without_schema_validation_is_a_warning(make_snapshot):
    def hr(install: str) -> str:
        return ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cilium\n"
                "spec:\n  chart:\n    spec:\n      chart: cilium\n"
                f"  install:\n    disableSchemaValidation: {install}\n  upgrade:\n    disableSchemaValidation: true\n"
                "  values:\n    routingMode: native\n    MTU: \"fifteen\"\n")
    [f] = findings(make_snapshot({"hr.yaml": hr("true")}, "off"), "HM004")
    assert f.severity.value == "warning" and "validation off" in f.message
    assert [(l.line, l.col) for l in f.locations] == [(15, 10), (10, 5)]
    [g] = findings(make_snapshot({"hr.yaml": hr("false")}, "install-validates"), "HM004")
    assert g.severity.value == "error"
