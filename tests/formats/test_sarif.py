"""`podpath check --format sarif`: valid against the SARIF 2.1.0 JSON schema, with rules, results at the
right file:line relative to --root, related locations, fixes from unified diffs, suppressions with their
reason, and what was not checked as notifications."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from fmtcase import Case, run_cli
from podpath.formats import sarif

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "data" / "sarif-2.1.0-rtm.5.json").read_text())


def validate(doc: dict) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_the_schema_rejects_a_broken_log():
    """Guard against a test that cannot fail: the vendored schema refuses what SARIF forbids."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                         "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA, cls=jsonschema.Draft4Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "2.0.0", "runs": []}, SCHEMA, cls=jsonschema.Draft4Validator)


def test_valid_and_located_relative_to_the_repository(case: Case):
    doc = json.loads(case.output("sarif"))
    validate(doc)
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    nr002 = next(r for r in rules if r["id"] == "NR002")
    assert nr002["name"] == "native-routing-cidr-excludes-pods" and "widen the CIDR" in nr002["help"]["text"]
    res = next(r for r in run["results"] if r["ruleId"] == "NR002")
    assert rules[res["ruleIndex"]]["id"] == "NR002" and res["level"] == "error"
    loc = res["locations"][0]["physicalLocation"]
    # the snapshot is snap/broken below the work tree's top: URIs are relative to that top
    assert loc["artifactLocation"]["uri"] == "snap/broken/cilium/values.yaml"
    assert loc["region"]["startLine"] == 24 and loc["region"]["startColumn"] == 24
    related = [r["physicalLocation"]["artifactLocation"]["uri"] for r in res["relatedLocations"]]
    assert "snap/broken/talos/controlplane.yaml" in related
    assert res["partialFingerprints"]["podpathFindingId/v1"] == "NR002:ipv6"
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["MQ003"] == "note" and levels["HM001"] == "warning"  # info -> note; HM001 (suppressed) warning
    assert "timestamp" not in json.dumps(doc).lower() and str(case.repo) not in json.dumps(doc)


def test_fix_from_the_unified_diff(case: Case):
    doc = json.loads(case.output("sarif"))
    res = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "NR002")
    (fix,) = res["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "snap/broken/cilium/values.yaml"
    reps = change["replacements"]
    # one run of changed lines: line 24 replaced by two lines (the new value and the comment after it)
    assert len(reps) == 1
    assert reps[0]["deletedRegion"] == {"startLine": 24, "startColumn": 1, "endLine": 25, "endColumn": 1}
    assert reps[0]["insertedContent"]["text"] == ('ipv6NativeRoutingCIDR: "fd00:101::/38"\n'
                                                  "# widened: pod CIDRs are in fd00:101:224::/60\n")


def test_diff_insertions_and_deletions_become_separate_regions(case: Case):
    diff = ("--- a/f.conf\n+++ b/f.conf\n@@ -1,5 +1,5 @@\n a\n-b\n c\n d\n+e\n@@ -10,0 +11,1 @@\n+z\n")
    (change,) = sarif.diff_changes(case.context(), diff)
    assert change["artifactLocation"]["uri"] == "snap/broken/f.conf"
    assert change["replacements"] == [
        {"deletedRegion": {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 1}},
        {"deletedRegion": {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 1},
         "insertedContent": {"text": "e\n"}},
        {"deletedRegion": {"startLine": 11, "startColumn": 1, "endLine": 11, "endColumn": 1},
         "insertedContent": {"text": "z\n"}},
    ]


def test_suppressed_findings_carry_the_reason(case: Case):
    doc = json.loads(case.output("sarif"))
    sup = [r for r in doc["runs"][0]["results"] if "suppressions" in r]
    assert sup and all(r["ruleId"] == "HM001" for r in sup)
    s = sup[0]["suppressions"][0]
    assert s["kind"] == "external" and "OPS-42" in s["justification"]
    assert s["location"]["physicalLocation"]["artifactLocation"]["uri"] == "snap/podpath.toml"
    assert s["location"]["physicalLocation"]["region"]["startLine"] == 3


def test_not_checked_are_notifications_and_the_run_is_incomplete(gappy: Case):
    doc = json.loads(gappy.output("sarif"))
    validate(doc)
    inv = doc["runs"][0]["invocations"][0]
    assert inv["properties"]["complete"] is False
    notes = [n for n in inv["toolExecutionNotifications"] if n["descriptor"]["id"] == "not-checked"]
    assert notes and any(n.get("associatedRule", {}).get("id") == "RT002" for n in notes)
    assert inv["executionSuccessful"] is True


def test_cli_sarif_with_root_and_exit_code(case: Case, tmp_path: Path):
    snap = case.snap.root
    r = run_cli("check", str(snap), "--format", "sarif")
    assert r.returncode == 1, r.stderr  # NR002 is an error: the exit code does not depend on the format
    doc = json.loads(r.stdout)
    validate(doc)
    uris = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for res in doc["runs"][0]["results"] if res.get("locations")}
    assert "snap/broken/cilium/values.yaml" in uris  # default root: the git work tree
    # the config next to the snapshot suppressed HM001 (the CLI finds it upward)
    assert any("suppressions" in res for res in doc["runs"][0]["results"])
    r = run_cli("check", str(snap), "--format", "sarif", "--root", str(snap))
    uris = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for res in json.loads(r.stdout)["runs"][0]["results"] if res.get("locations")}
    assert "cilium/values.yaml" in uris
    r = run_cli("check", str(snap), "--format", "sarif", "--root", str(tmp_path / "elsewhere"))
    assert r.returncode == 2 and "--root" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "elsewhere").mkdir()
    r = run_cli("check", str(snap), "--format", "sarif", "--root", str(tmp_path / "elsewhere"))
    assert r.returncode == 2 and "not inside" in r.stderr


def test_deterministic(case: Case):
    assert case.output("sarif") == case.output("sarif")


def test_unusable_input_is_still_a_valid_log(tmp_path: Path):
    snap = tmp_path / "snap"
    snap.mkdir()
    (snap / "bad.yaml").write_text("apiVersion: v1\nkind: Node\nmetadata: {name: [\n")
    r = run_cli("check", str(snap), "--format", "sarif")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    validate(doc)
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    errs = [n for n in inv["toolExecutionNotifications"] if n["level"] == "error"]
    assert errs and errs[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.yaml"
    r = run_cli("check", str(tmp_path / "missing"), "--format", "github")
    assert r.returncode == 2 and "file=" not in r.stdout.splitlines()[0]  # the snapshot itself: no file to mark
