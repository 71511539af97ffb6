"""`podpath check --format junit`: one test case per rule x subject, failures exactly for the findings at
or above --fail-on, skipped for what was not checked and for suppressed findings, parsed with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fmtcase import Case, run_cli
from podpath.checks import RULES


def cases(xml: str) -> list[ET.Element]:
    return ET.fromstring(xml).findall("./testsuite/testcase")


def test_one_case_per_finding_failures_per_fail_on(case: Case):
    root = ET.fromstring(case.output("junit"))
    assert root.tag == "testsuites"
    suites = {s.get("name").split()[0]: s for s in root.findall("testsuite")}
    assert set(RULES) <= set(suites)  # every rule that ran is a suite
    nr = suites["NR002"].findall("testcase")
    assert [c.get("name") for c in nr] == ["ipv6"]
    fail = nr[0].find("failure")
    assert fail is not None and fail.get("type") == "error" and "fd00:101::/48" in fail.get("message")
    assert nr[0].get("file") == "snap/broken/cilium/values.yaml" and nr[0].get("line") == "24"
    assert "fix:" in fail.text and "+ipv6NativeRoutingCIDR" in fail.text  # the diff rides along
    # MQ003 is info: below --fail-on error it passes, with the finding in system-out
    (mq,) = suites["MQ003"].findall("testcase")
    assert mq.find("failure") is None and "beta" in mq.find("system-out").text
    # a rule with no finding is one passing case
    (ok,) = suites["RT004"].findall("testcase")
    assert list(ok) == []
    assert root.get("failures") == "1" and int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())
    # --fail-on info: the info finding fails too
    failing = [c for c in cases(case.output("junit", fail_on="info")) if c.find("failure") is not None]
    assert {c.get("classname") for c in failing} == {"podpath.NR002", "podpath.MQ003"}
    assert not [c for c in cases(case.output("junit", fail_on="never")) if c.find("failure") is not None]


def test_suppressed_are_skipped_with_the_reason(case: Case):
    hm = [c for c in cases(case.output("junit")) if c.get("classname") == "podpath.HM001"]
    assert len(hm) == 3 and all(c.find("skipped") is not None for c in hm)
    assert all("OPS-42" in c.find("skipped").get("message") for c in hm)


def test_not_checked_are_skipped(gappy: Case):
    root = ET.fromstring(gappy.output("junit"))
    rt = [c for c in root.findall("./testsuite/testcase") if c.get("classname") == "podpath.RT002"]
    skipped = [c for c in rt if c.find("skipped") is not None]
    assert skipped and skipped[0].get("name").startswith("not checked:")
    assert "no route dump" in skipped[0].find("skipped").get("message")
    assert int(root.get("skipped")) >= len(skipped)


def test_cli_junit_parses_and_input_errors_are_errors(tmp_path):
    snap = tmp_path / "snap"
    snap.mkdir()
    (snap / "bad.yaml").write_text("apiVersion: v1\nkind: Node\nmetadata: {name: [\n")
    r = run_cli("check", str(snap), "--format", "junit")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    root = ET.fromstring(r.stdout)
    errors = [c for c in root.findall("./testsuite/testcase") if c.find("error") is not None]
    assert errors and errors[0].get("file") == "bad.yaml" and int(root.get("errors")) == len(errors)
