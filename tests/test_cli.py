"""The CLI as a user runs it: exit codes, formats, stderr diagnostics, no tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "seed000-ipv6-native-cidr"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True, env=e)


def test_broken_example_reports_ipv6_native_cidr():
    r = run("check", str(EXAMPLES / "broken"))
    assert r.returncode == 1, r.stderr
    assert "NR002" in r.stdout and "cilium/values.yaml:24" in r.stdout and "talos/controlplane.yaml:27" in r.stdout
    assert "\x1b[" not in r.stdout  # no colour when not a TTY
    assert "Traceback" not in r.stderr


def test_broken_example_json():
    r = run("check", str(EXAMPLES / "broken"), "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["schema"] == "podpath/check/v1"
    nr = [f for f in doc["findings"] if f["rule"] == "NR002"]
    assert [f["subject"] for f in nr] == ["ipv6"]
    locs = {(l["file"], l["line"]) for l in nr[0]["locations"]}
    assert ("cilium/values.yaml", 24) in locs and ("talos/controlplane.yaml", 27) in locs


def test_fixed_example_has_no_native_cidr_finding():
    r = run("check", str(EXAMPLES / "fixed"), "--format", "json")
    doc = json.loads(r.stdout)
    assert not [f for f in doc["findings"] if f["rule"] in ("NR001", "NR002")]
    assert r.returncode == 0


def test_fail_on_levels():
    assert run("check", str(EXAMPLES / "fixed"), "--fail-on", "info").returncode == 1
    assert run("check", str(EXAMPLES / "broken"), "--fail-on", "never").returncode == 0


def test_output_is_deterministic():
    a = run("check", str(EXAMPLES / "broken"), "--format", "json").stdout
    b = run("check", str(EXAMPLES / "broken"), "--format", "json").stdout
    assert a == b


def test_show_lists_settings_with_sources():
    r = run("show", str(EXAMPLES / "broken"), "--format", "json")
    doc = json.loads(r.stdout)
    settings = {s["key"]: s for s in doc["cilium"]["settings"]}
    assert settings["ipv6-native-routing-cidr"]["origin"] == "helm"
    assert settings["ipv6-native-routing-cidr"]["location"]["line"] == 24
    assert settings["monitor-aggregation"]["origin"] == "default"
    text = run("show", str(EXAMPLES / "broken")).stdout
    assert "solwk03" in text and "(default)" in text


@pytest.mark.parametrize("files,needle", [
    ({"bad.yaml": "a: [\n"}, "bad.yaml:2:1: error: invalid YAML"),
    ({"x.txt": "hello\n"}, "x.txt:1:1: note: not a file podpath reads"),  # and nothing else: exit 2
])
def test_bad_input_exit_2(tmp_path, files, needle):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    r = run("check", str(tmp_path))
    assert r.returncode == 2
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_snapshot_exit_2(tmp_path):
    r = run("check", str(tmp_path / "missing"))
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr


def test_usage_error_exit_2():
    assert run("check").returncode == 2
    assert run("frobnicate").returncode == 2


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("podpath ")


def test_no_color_respected_even_when_forced():
    r = run("check", str(EXAMPLES / "broken"), env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b[3" not in r.stdout


def test_unknown_rule_is_a_usage_error_with_close_matches():
    r = run("check", str(EXAMPLES / "broken"), "--rule", "NR02")
    assert r.returncode == 2 and r.stdout == ""
    assert "error: --rule: unknown rule 'NR02' (close matches: " in r.stderr and "NR002" in r.stderr
    r = run("check", str(EXAMPLES / "broken"), "-r", "NOPE")
    assert r.returncode == 2 and "unknown rule 'NOPE' (no close match; rule ids: " in r.stderr
    r = run("check", str(EXAMPLES / "broken"), "-r", "NR002,NOPE")  # one bad id in a list spoils the list
    assert r.returncode == 2 and "unknown rule 'NOPE'" in r.stderr


@pytest.mark.parametrize("args", [["--rule", "nr002"], ["-r", "NR002,HM001"], ["-r", "hm001", "-r", "Nr002"],
                                  ["-r", "native-routing-cidr-excludes-pods"]])
def test_rule_ids_case_insensitive_and_comma_separated(args):
    r = run("check", str(EXAMPLES / "broken"), "--format", "json", *args)
    assert r.returncode == 1, r.stderr  # NR002 is an error in the broken example
    doc = json.loads(r.stdout)
    rules = {f["rule"] for f in doc["findings"]}
    assert "NR002" in rules and rules <= {"NR002", "HM001"}


@pytest.mark.parametrize("make", ["empty", "missing", "unrecognised", "empty-files"])
def test_no_input_is_exit_2_and_never_no_findings(tmp_path, make):
    snap = tmp_path / "snap"
    if make != "missing":
        snap.mkdir()
    if make == "unrecognised":
        (snap / "notes.txt").write_text("hello\n")
    if make == "empty-files":
        (snap / "a.yaml").write_text("\n")
        (snap / "README.md").write_text("# about\n")
    r = run("check", str(snap))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "no findings" not in r.stdout and "Nothing checked:" in r.stdout
    assert "error:" in r.stderr and "Traceback" not in r.stderr
    r = run("check", str(snap), "--format", "json")
    doc = json.loads(r.stdout)
    assert r.returncode == 2 and doc["complete"] is False
    assert any(n["what"] == "the snapshot" and n["rule"] is None for n in doc["not_checked"])


def test_not_checked_is_listed_and_makes_the_report_incomplete(tmp_path):
    """autoDirectNodeRoutes with node IPs but no route dumps and no L2 segments: RT002 cannot tell whether
    the nodes reach each other directly, and says so (text and JSON) instead of passing."""
    from snaputil import NATIVE_VALUES, three_nodes

    (tmp_path / "values.yaml").write_text(NATIVE_VALUES)
    (tmp_path / "nodes.yaml").write_text(three_nodes())
    r = run("check", str(tmp_path), "--format", "json")
    doc = json.loads(r.stdout)
    gaps = [n for n in doc["not_checked"] if n["rule"] == "RT002"]
    assert doc["complete"] is False and gaps
    assert "node pair(s) (n1->n2" in gaps[0]["what"] and "no route dump" in gaps[0]["why"]
    r = run("check", str(tmp_path))
    assert "NOT CHECKED (" in r.stdout and "RT002: whether IPv4 node IPs are directly reachable" in r.stdout
    assert "part(s) not checked (listed above)" in r.stdout
    # with the segment stated, everything is checked
    (tmp_path / "podpath.yaml").write_text("segments:\n  lan: {prefixes: ['10.0.0.0/24', 'fd00:10::/64']}\n")
    doc = json.loads(run("check", str(tmp_path), "--format", "json").stdout)
    assert [n for n in doc["not_checked"] if n["rule"] == "RT002"] == []
