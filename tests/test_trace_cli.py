"""`podpath trace` / `podpath reach` on the bundled seed-000 example: the answers issue 14 promises."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

EX = Path(__file__).resolve().parent.parent / "examples" / "seed000-ipv6-native-cidr"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True)


def trace_json(snap: Path, src: str, dst: str, *extra: str) -> tuple[int, dict]:
    r = run("trace", str(snap), src, dst, "--format", "json", *extra)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout)


def test_ipv6_clusterip_is_dnated_snated_and_denied_as_remote_node():
    rc, doc = trace_json(EX / "broken", "flux-system/kustomize-controller", "flux-system/source-controller")
    assert rc == 1 and doc["schema"] == "podpath/trace/v1" and doc["family"] == 6
    assert doc["verdict"] == "dropped" and doc["where"] == "solwk02"
    rw = [(r["kind"], r["node"], r["before"], r["after"]) for r in doc["rewrites"]]
    assert rw == [("DNAT", "solwk03", "[fd00:101:96::9:f576]:80", "[fd00:101:224:1::2f9e]:9090"),
                  ("SNAT", "solwk03", "[fd00:101:224:2::3ac8]:*", "[fd00:101::23]:*")]
    assert "remote-node" in doc["why"]
    files = {l["file"] for l in doc["locations"]}
    assert files == {"kubernetes/flux-system-networkpolicies.yaml"}
    shown = [(e["node"], e["event"], e["verdict"]) for e in doc["hubble"] if not e["suppressed"]]
    assert ("solwk03", "to-network", "FORWARDED") in shown
    assert ("solwk02", "policy-verdict", "DENIED") in shown and ("solwk02", "drop", "DROPPED") in shown
    # the seed's own observations on solwk03 are explained; the denial on solwk02 was not observed
    assert {o["status"] for o in doc["observations"]} == {"explained"} and len(doc["observations"]) == 3
    assert {e["node"] for e in doc["unobserved"] if e["event"] == "drop"} == {"solwk02"}


def test_ipv4_works():
    rc, doc = trace_json(EX / "broken", "flux-system/kustomize-controller", "10.101.225.96:9090")
    assert rc == 0 and doc["verdict"] == "delivered" and doc["rewrites"] == []


def test_fixed_cidr_delivers():
    rc, doc = trace_json(EX / "fixed", "flux-system/kustomize-controller", "flux-system/source-controller")
    assert rc == 0 and doc["verdict"] == "delivered"
    assert [r["kind"] for r in doc["rewrites"]] == ["DNAT"]


def test_host_legacy_routing_does_not_change_the_outcome(tmp_path):
    snap = tmp_path / "legacy"
    shutil.copytree(EX / "broken", snap)
    values = snap / "cilium" / "values.yaml"
    text = values.read_text()
    assert "hostLegacyRouting: false" in text
    values.write_text(text.replace("hostLegacyRouting: false", "hostLegacyRouting: true"))
    rc, doc = trace_json(snap, "flux-system/kustomize-controller", "flux-system/source-controller")
    assert rc == 1 and doc["verdict"] == "dropped" and doc["where"] == "solwk02"
    assert ("solwk03", "to-stack") in [(e["node"], e["event"]) for e in doc["hubble"]]
    assert [r["kind"] for r in doc["rewrites"]] == ["DNAT", "SNAT"]


def test_text_output_names_every_part():
    r = run("trace", str(EX / "broken"), "flux-system/kustomize-controller", "flux-system/source-controller")
    assert r.returncode == 1
    for part in ("DROPPED on solwk02", "ADDRESS REWRITES", "HUBBLE", "CAPTURES", "EVIDENCE", "not observed",
                 "kubernetes/flux-system-networkpolicies.yaml:4:1"):
        assert part in r.stdout, part


def test_usage_errors_exit_2():
    r = run("trace", str(EX / "broken"), "flux-system/nope", "flux-system/source-controller")
    assert r.returncode == 2 and "no pod or Service flux-system/nope" in r.stderr and "Traceback" not in r.stderr
    r = run("trace", str(EX / "broken"), "solwk03", "fd00::1:99x")
    assert r.returncode == 2 and "[ADDR]:PORT" in r.stderr


def test_reach_matrix():
    r = run("reach", str(EX / "fixed"), "--family", "6", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["schema"] == "podpath/reach/v1" and doc["family"] == 6
    cell = {(c["source"], c["destination"]): c["verdict"] for c in doc["cells"]}
    kc = "solwk03:flux-system/kustomize-controller-5b7f8c9d4-x2k9p"
    assert cell[(kc, "flux-system/source-controller")] == "delivered"
    assert r.returncode == 3 and "dropped" not in doc["counts"]  # pods without Pod objects: unknown, not dropped
    rb = run("reach", str(EX / "broken"), "--family", "6", "--format", "json")
    cell = {(c["source"], c["destination"]): c["verdict"] for c in json.loads(rb.stdout)["cells"]}
    assert cell[(kc, "flux-system/source-controller")] == "dropped" and rb.returncode == 1
