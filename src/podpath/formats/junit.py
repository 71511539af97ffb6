"""JUnit XML, as CI test reporters (GitLab, Jenkins, Azure, the GitHub test-report actions) read it.

One test suite per rule that ran, one test case per finding (rule x subject): a `<failure>` when the
finding is at or above --fail-on (the same findings that make the exit code 1), a passing case with the
finding in `<system-out>` below it, `<skipped>` for what the rule could not check and for suppressed findings
(with the reason); a rule with no finding is one passing case. What no rule could check and input errors
form a suite `podpath` (skipped cases and `<error>` cases). No timestamps or durations: the same input
gives the same file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from podpath.formats import Context, loc_text


def _details(ctx: Context, f: dict[str, Any]) -> str:
    lines = [f"{f['rule']} {f['name']} [{f['subject']}] ({f['severity']})", f["message"]]
    lines += [("at " if i == 0 else "   ") + loc_text(ctx, l) for i, l in enumerate(f["locations"])]
    if f["evidence"]:
        lines.append("evidence:")
        lines += [f"  - {e}" for e in f["evidence"]]
    fix = f.get("fix")
    if fix:
        lines.append(f"fix: {fix['description']}")
        if fix.get("diff"):
            lines.append(fix["diff"].rstrip("\n"))
        elif fix.get("yaml"):
            if fix.get("file"):
                lines.append(f"  in {ctx.path(fix['file'])}:")
            lines += [f"    {l}" for l in fix["yaml"].rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def _case(suite: ET.Element, classname: str, name: str, loc: dict[str, Any] | None, ctx: Context) -> ET.Element:
    attrs = {"classname": classname, "name": name}
    if loc and loc.get("file"):
        attrs["file"] = ctx.path(loc["file"])
        if loc.get("line"):
            attrs["line"] = str(loc["line"])
    return ET.SubElement(suite, "testcase", attrs)


def _count(suite: ET.Element) -> dict[str, int]:
    cases = suite.findall("testcase")
    return {"tests": len(cases), "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None)}


def render(ctx: Context) -> str:
    doc = ctx.doc
    top = ET.Element("testsuites", {"name": "podpath check"})
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    suppressed: dict[str, list[dict[str, Any]]] = {}
    for s in doc.get("suppressed", []):
        suppressed.setdefault(s["rule"], []).append(s)
    gaps: dict[str | None, list[dict[str, Any]]] = {}
    for n in doc["not_checked"]:
        gaps.setdefault(n["rule"], []).append(n)
    for r in sorted(ctx.rules, key=lambda r: r["id"]):
        rid = r["id"]
        suite = ET.SubElement(top, "testsuite", {"name": f"{rid} {r['name']}"})
        cls = f"podpath.{rid}"
        for f in by_rule.get(rid, []):
            case = _case(suite, cls, f["subject"], f["locations"][0] if f["locations"] else None, ctx)
            text = _details(ctx, f)
            if ctx.fails(f["severity"]):
                ET.SubElement(case, "failure", {"type": f["severity"], "message": f["message"]}).text = text
            else:
                ET.SubElement(case, "system-out").text = text
        for s in suppressed.get(rid, []):
            case = _case(suite, cls, s["subject"], s["locations"][0] if s["locations"] else None, ctx)
            why = s["suppression"]["reason"]
            ET.SubElement(case, "skipped", {"message": f"suppressed: {why}"}).text = _details(ctx, s)
        for n in gaps.get(rid, []):
            case = _case(suite, cls, f"not checked: {n['what']}", n.get("location"), ctx)
            ET.SubElement(case, "skipped", {"message": n["why"]})
        if not suite.findall("testcase"):
            _case(suite, cls, f"{rid} {r['name']}", None, ctx)  # ran, found nothing: a pass
    general = gaps.get(None, [])
    errors = [d for d in doc["diagnostics"] if d["level"] == "error"]
    if general or errors:
        suite = ET.SubElement(top, "testsuite", {"name": "podpath"})
        for n in general:
            case = _case(suite, "podpath", f"not checked: {n['what']}", n.get("location"), ctx)
            ET.SubElement(case, "skipped", {"message": n["why"]})
        for d in errors:
            case = _case(suite, "podpath.input", loc_text(ctx, d["location"]), d["location"], ctx)
            ET.SubElement(case, "error", {"type": "input", "message": d["message"]}).text = (
                f"{loc_text(ctx, d['location'])}: error: {d['message']}\n")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in top.findall("testsuite"):
        c = _count(suite)
        for k, v in c.items():
            suite.set(k, str(v))
            total[k] += v
    for k, v in total.items():
        top.set(k, str(v))
    ET.indent(top, "  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="unicode") + "\n"
