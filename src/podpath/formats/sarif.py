"""SARIF 2.1.0 (OASIS), as GitHub code scanning and other SARIF viewers read it.

One run: the driver's rules are the rules that ran (id, name, title, documentation), each finding a result
at its first location with the others as related locations, a fix as SARIF `fixes` when the finding carries a
unified diff, suppressed findings as results with an external suppression and its reason, and what podpath
could not check (and input diagnostics) as tool execution notifications, so `complete` is visible to a viewer.
Deterministic: no timestamps, no absolute paths (URIs are relative to --root, `uriBaseId` %SRCROOT%).
"""

from __future__ import annotations

import json
import re
from typing import Any

from podpath.formats import Context

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
BASE_ID = "%SRCROOT%"
_LEVEL = {"error": "error", "warning": "warning", "info": "note", "note": "note"}


def _artifact(ctx: Context, file: str) -> dict[str, Any]:
    return {"uri": _uri(ctx.path(file)), "uriBaseId": BASE_ID}


def _uri(path: str) -> str:
    """A relative URI reference: percent-encode what a URI cannot hold as is (spaces, %, #, ?)."""
    from urllib.parse import quote

    return quote(path, safe="/:@!$&'()*+,;=-._~")


def _physical(ctx: Context, loc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"artifactLocation": _artifact(ctx, loc["file"])}
    if loc.get("line"):
        region: dict[str, Any] = {"startLine": loc["line"]}
        if loc.get("col"):
            region["startColumn"] = loc["col"]
        out["region"] = region
    return out


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def diff_changes(ctx: Context, diff: str) -> list[dict[str, Any]]:
    """SARIF artifactChanges from a unified diff (`a/FILE`, `b/FILE`, files relative to the snapshot):
    each run of removed/added lines becomes one replacement of whole lines (an insertion is an empty
    region at the start of the line it goes before)."""
    changes: dict[str, list[dict[str, Any]]] = {}
    file: str | None = None
    old_line = 0
    block: list[str] = []  # '-' / '+' lines of the current run
    block_start = 0

    def flush() -> None:
        nonlocal block
        if file is None or not block:
            block = []
            return
        deleted = sum(1 for b in block if b.startswith("-"))
        added = [b[1:] for b in block if b.startswith("+")]
        region = {"startLine": block_start, "startColumn": 1, "endLine": block_start + deleted, "endColumn": 1}
        rep: dict[str, Any] = {"deletedRegion": region}
        if added:
            rep["insertedContent"] = {"text": "".join(a + "\n" for a in added)}
        changes.setdefault(file, []).append(rep)
        block = []

    for line in diff.splitlines():
        if line.startswith("--- "):
            flush()
            continue
        if line.startswith("+++ "):
            name = line[4:].split("\t")[0]
            file = name[2:] if name.startswith("b/") else name
            continue
        m = _HUNK.match(line)
        if m:
            flush()
            old_line = int(m.group(1)) if m.group(2) != "0" else int(m.group(1)) + 1
            continue
        if line.startswith("\\"):
            continue
        if line.startswith("-") or line.startswith("+"):
            if not block:
                block_start = old_line
            block.append(line)
            if line.startswith("-"):
                old_line += 1
        else:  # context
            flush()
            old_line += 1
    flush()
    return [{"artifactLocation": _artifact(ctx, f), "replacements": reps} for f, reps in sorted(changes.items())]


def _result(ctx: Context, f: dict[str, Any], index: dict[str, int], suppression: dict[str, Any] | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {"ruleId": f["rule"]}
    if f["rule"] in index:
        res["ruleIndex"] = index[f["rule"]]
    res["level"] = _LEVEL[f["severity"]]
    res["kind"] = "fail"
    res["message"] = {"text": f["message"]}
    locs = f["locations"]
    if locs:
        res["locations"] = [{"physicalLocation": _physical(ctx, locs[0])}]
        if len(locs) > 1:
            res["relatedLocations"] = [{"id": i, "physicalLocation": _physical(ctx, l)}
                                       for i, l in enumerate(locs[1:], start=1)]
    # stable across runs and line moves: what GitHub uses to keep an alert's identity
    res["partialFingerprints"] = {"podpathFindingId/v1": f["id"]}
    fix = f.get("fix")
    if fix and fix.get("diff"):
        changes = diff_changes(ctx, fix["diff"])
        if changes:
            res["fixes"] = [{"description": {"text": fix["description"]}, "artifactChanges": changes}]
    props: dict[str, Any] = {"id": f["id"], "subject": f["subject"], "severity": f["severity"]}
    if f["evidence"]:
        props["evidence"] = list(f["evidence"])
    if fix:
        props["fix"] = {k: v for k, v in fix.items() if v is not None}
    res["properties"] = props
    if suppression is not None:
        s: dict[str, Any] = {"kind": "external", "status": "accepted", "justification": suppression["reason"]}
        if suppression.get("location"):
            s["location"] = {"physicalLocation": _physical(ctx, suppression["location"])}
        res["suppressions"] = [s]
    return res


def _rule(r: dict[str, Any]) -> dict[str, Any]:
    doc = " ".join(r["doc"].split())
    return {
        "id": r["id"],
        "name": r["name"],
        "shortDescription": {"text": r["title"]},
        "fullDescription": {"text": doc},
        "help": {"text": doc, "markdown": f"**{r['id']} {r['name']}** ({r['severity']}): {r['title']}.\n\n{doc}"},
        "defaultConfiguration": {"level": _LEVEL[r["severity"]]},
        "properties": {"tags": ["podpath", r["severity"]]},
    }


def _notification(ctx: Context, text: str, level: str, loc: dict[str, Any] | None, descriptor: str,
                  rule: str | None = None, index: dict[str, int] | None = None) -> dict[str, Any]:
    n: dict[str, Any] = {"descriptor": {"id": descriptor}, "level": level, "message": {"text": text}}
    if loc and loc.get("file"):
        n["locations"] = [{"physicalLocation": _physical(ctx, loc)}]
    if rule is not None and index is not None and rule in index:
        n["associatedRule"] = {"id": rule, "index": index[rule]}
    return n


def document(ctx: Context) -> dict[str, Any]:
    """The SARIF log as a dict (tests validate it against the OASIS schema)."""
    doc = ctx.doc
    rules = sorted(ctx.rules, key=lambda r: r["id"])
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = [_result(ctx, f, index) for f in doc["findings"]]
    results += [_result(ctx, s, index, s["suppression"]) for s in doc.get("suppressed", [])]
    notes = []
    for n in doc["not_checked"]:
        text = f"not checked: {n['what']}: {n['why']}" + (f" ({n['rule']})" if n["rule"] else "")
        notes.append(_notification(ctx, text, "warning", n.get("location"), "not-checked", n["rule"], index))
    for d in doc["diagnostics"]:
        notes.append(_notification(ctx, d["message"], _LEVEL[d["level"]], d["location"], f"input-{d['level']}"))
    usable = not any(d["level"] == "error" for d in doc["diagnostics"])
    invocation: dict[str, Any] = {
        "executionSuccessful": usable,
        "properties": {"complete": doc["complete"], "summary": doc["summary"], "reachability": doc["reachability"],
                       "snapshot": ctx.prefix or "."},
    }
    if notes:
        invocation["toolExecutionNotifications"] = notes
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "podpath", "version": doc["podpath"], "semanticVersion": doc["podpath"],
                            "rules": [_rule(r) for r in rules]}},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if doc.get("unsupported"):
        run["properties"] = {"unsupported": [
            {"location": ctx.path(u["location"]["file"]) + (f":{u['location']['line']}" if u["location"].get("line") else ""),
             "statement": u["statement"], "why": u["why"]} for u in doc["unsupported"]]}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(ctx: Context) -> str:
    return json.dumps(document(ctx), indent=2) + "\n"
