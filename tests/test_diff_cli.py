"""`podpath diff BEFORE AFTER` and `podpath check SNAPSHOT --set ...` as a user runs them: exit codes, text and
JSON (docs/json.md), the why-nots, and the user's files left alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED000 = EXAMPLES / "seed000-ipv6-native-cidr"
SEED004 = EXAMPLES / "seed004-bgp-pod-cidr"


def run(*args: str) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # on a pipe without COLUMNS lines stay whole
    return subprocess.run([sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True, env=env)


def test_diff_seed004_frr_fix_reaches_frr_and_birds_but_no_node_kernel():
    r = run("diff", str(SEED004 / "before-fix"), str(SEED004 / "after-frr-fix"), "--format", "json")
    assert "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "podpath/diff/v1"
    nodes = ["solcp01", "solcp02", "solcp03", "solwk01", "solwk02", "solwk03"]
    added = {x["speaker"] for x in doc["routes"] if x["pod_cidr"] and x["change"] == "added"}
    assert {s.split("/")[0] for s in added} == set(nodes) | {"pve01", "pve02", "pve03"}
    assert all(s.endswith("/bird") for s in added if s.startswith("sol"))
    assert doc["kernel_unchanged_nodes"] == nodes
    assert not [k for k in doc["kernel"] if k["host"] in nodes]
    assert doc["pairs"]["reachable_before"] == doc["pairs"]["reachable_after"] == 0
    assert doc["pairs"]["total"] == 30
    assert any(f["id"].startswith("BGP002:ipv6:import") for f in doc["findings"]["resolved"])
    # every node is explained, with its own BIRD's missing kernel export first
    why = [w for w in doc["why_not"] if w["kind"] == "pod-route-not-in-kernel"]
    assert sorted(h for w in why for h in w["hosts"] + w["same_on"]) == nodes
    for w in why:
        first = w["reasons"][0]
        assert first["stage"] == "kernel" and first["location"]["file"] == f"bird/{w['hosts'][0]}.conf"
        assert any(x["stage"] == "never-installs" for x in w["reasons"])
    assert r.returncode == (1 if doc["regressions"] else 0)


def test_diff_text_says_no_node_kernel_changed_and_why():
    r = run("diff", str(SEED004 / "before-fix"), str(SEED004 / "after-frr-fix"))
    assert "Traceback" not in r.stderr
    assert "no change in the kernel of 6 node(s)" in r.stdout
    assert "Why not" in r.stdout and "no kernel protocol exports routes" in r.stdout
    assert "Cilium's BGP Control Plane never installs received routes" in r.stdout


def test_diff_of_a_snapshot_with_itself_is_empty_and_exits_0():
    r = run("diff", str(SEED000 / "broken"), str(SEED000 / "broken"), "-f", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["routes"] == doc["kernel"] == doc["sessions"] == doc["regressions"] == []
    assert doc["findings"]["resolved"] == doc["findings"]["introduced"] == []


def test_diff_seed000_fixed_resolves_the_snat_finding():
    r = run("diff", str(SEED000 / "broken"), str(SEED000 / "fixed"), "-f", "json")
    doc = json.loads(r.stdout)
    assert "NR002:ipv6" in [f["id"] for f in doc["findings"]["resolved"]]
    assert r.returncode == 0 and doc["regressions"] == []
    r = run("diff", str(SEED000 / "fixed"), str(SEED000 / "broken"))  # the other way round: a new error
    assert r.returncode == 1 and "new error NR002:ipv6" in r.stdout


def test_diff_unusable_snapshot_exits_2(tmp_path):
    r = run("diff", str(SEED000 / "broken"), str(tmp_path / "missing"))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_check_set_seed000_host_legacy_routing_leaves_the_snat(tmp_path):
    snap = tmp_path / "s"
    shutil.copytree(SEED000 / "broken", snap)
    before = (snap / "cilium" / "values.yaml").read_bytes()
    r = run("check", str(snap), "--set", "bpf.hostLegacyRouting=true")
    assert r.returncode == 1, r.stderr
    assert "cilium/values.yaml:28: bpf.hostLegacyRouting: false -> true" in r.stdout
    assert "+  hostLegacyRouting: true" in r.stdout
    assert "NR002:ipv6 still holds" in r.stdout and "rests on ipv6NativeRoutingCIDR" in r.stdout
    assert "IPv6 pod-to-pod traffic is still masqueraded" in r.stdout
    assert "Would this change fix it? no" in r.stdout
    assert (snap / "cilium" / "values.yaml").read_bytes() == before  # a copy was changed, not the file


def test_check_set_seed000_fixed_cidr_json():
    r = run("check", str(SEED000 / "broken"), "--set", "cilium/values.yaml:ipv6NativeRoutingCIDR=fd00:101::/38",
            "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "podpath/check/v1" and "NR002" not in {f["rule"] for f in doc["findings"]}
    w = doc["what_if"]
    assert w["fixes"] is True and w["regressions"] == []
    assert w["changes"] == [{"set": "cilium/values.yaml:ipv6NativeRoutingCIDR=fd00:101::/38",
                             "file": "cilium/values.yaml", "line": 24, "key": "ipv6NativeRoutingCIDR",
                             "old": "fd00:101::/48", "new": "fd00:101::/38", "added_keys": []}]
    assert "-ipv6NativeRoutingCIDR: fd00:101::/48\n+ipv6NativeRoutingCIDR: fd00:101::/38\n" in w["patch"]
    assert "NR002:ipv6" in [f["id"] for f in w["findings"]["resolved"]]


def test_check_set_errors_exit_2():
    for bad in ("bpf=true", "nosuch.yaml:a=1", "novalue"):
        r = run("check", str(SEED000 / "broken"), "--set", bad)
        assert r.returncode == 2 and "error: --set" in r.stderr and "Traceback" not in r.stderr, (bad, r.stderr)


def test_check_patch_seed004_export_to_cilium_changes_no_kernel_and_says_why(tmp_path):
    import re

    import podpath
    from podpath.whatif import unified_diff

    snap = podpath.load(SEED004 / "after-frr-fix")
    new = {}
    for f, t in snap.texts.items():
        if f.startswith("bird/"):  # the ipv6 channel of the protocol whose neighbor is Cilium (::1)
            m = re.search(r"protocol bgp \w+ \{[^{}]*neighbor ::1 ", t)
            j = t.index("export none;", t.index("ipv6 {", m.start()))
            new[f] = t[:j] + "export all;" + t[j + len("export none;"):]
    p = tmp_path / "export-to-cilium.diff"
    p.write_text(unified_diff(snap.texts, new))
    r = run("check", str(SEED004 / "after-frr-fix"), "--patch", str(p), "--no-repair")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "kernel tables: no change" in r.stdout and "pod node pairs reachable: 0 -> 0 of 30" in r.stdout
    assert "solcp01/bird to ::1: next hop ::1 would be the neighbor's own address" in r.stdout
    assert "the same on solcp02, solcp03, solwk01, solwk02, solwk03" in r.stdout  # configured alike: one group
    assert "contains own AS 4220101000 (loop)" in r.stdout
    assert "Cilium's BGP Control Plane never installs received routes" in r.stdout
    r = run("check", str(SEED004 / "after-frr-fix"), "--patch", str(p), "-f", "json")
    w = json.loads(r.stdout)["what_if"]
    assert w["kernel"] == [] and w["fixes"] is False and w["patch"] == p.read_text()
    p.write_text(p.read_text().replace("     import all;", "     import none;", 1))
    r = run("check", str(SEED004 / "after-frr-fix"), "--patch", str(p))
    assert r.returncode == 2 and f"{p}:" in r.stderr and "does not match" in r.stderr


def test_what_if_and_diff_never_print_secrets(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from secrets_snapshot import FILES, leaked, write_snapshot

    keep = ("podpath.yaml", "bird/n1.conf", "kubernetes/bgp.yaml", "cilium/values.yaml")  # readable files only
    root = write_snapshot(tmp_path / "s", {k: v for k, v in FILES.items() if k in keep})
    text = (root / "bird" / "n1.conf").read_text().splitlines()
    i = next(n for n, line in enumerate(text) if "neighbor fd00:1::1 " in line)  # the line above a password
    patch = tmp_path / "p.diff"
    patch.write_text(f"--- a/bird/n1.conf\n+++ b/bird/n1.conf\n@@ -{i + 1},2 +{i + 1},2 @@\n-{text[i]}\n"
                     f"+{text[i].replace('65001', '65009')}\n {text[i + 1]}\n")
    for fmt in ("text", "json"):
        r = run("check", str(root), "--patch", str(patch), "--set", "hubble.tls.server.cert=x", "-f", fmt)
        assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
        assert "65009" in r.stdout and not leaked(r.stdout + r.stderr), leaked(r.stdout + r.stderr)
    r = run("diff", str(root), str(root), "-f", "json")
    assert r.returncode == 0 and not leaked(r.stdout + r.stderr)
