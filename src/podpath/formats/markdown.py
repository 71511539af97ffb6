"""Markdown for a pull-request comment or a job summary (`>> $GITHUB_STEP_SUMMARY`): a summary table,
one section per finding with `file:line` links relative to --root, evidence folded in `<details>`, the fix
(a diff when the finding has one), then suppressed findings with their reasons and what was not checked.

Text from the snapshot is escaped (`|`, `*`, `_`, `<`, …) so that a message cannot break the table or
inject HTML; code (fixes, diffs) goes into fenced blocks whose fence is longer than any backtick run in it.
"""

from __future__ import annotations

import re
from typing import Any

from podpath.formats import Context, loc_text, summary_text

EVIDENCE = 20  # evidence items shown per finding
CODE_LINES = 60  # lines of a fix's diff or YAML shown per finding
BUDGET = 50_000  # characters for the finding sections (the rest of the comment stays well below GitHub's 65,536)
_ICON = {"error": "\u274c", "warning": "\u26a0\ufe0f", "info": "\u2139\ufe0f"}
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")  # markup anywhere in a line
_LEADING = re.compile(r"^([#+\-=])")  # markup only at the start of a line
_ORDERED = re.compile(r"^(\d+)([.)])")


def esc(text: str, line_start: bool = False) -> str:
    """Inline Markdown text: every character GFM could read as markup is backslash-escaped (and, for text
    that starts a line, a leading `#`, `-`, `1.`); newlines are spaces (a table cell is one line)."""
    out = _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    if line_start:
        out = _ORDERED.sub(r"\1\\\2", _LEADING.sub(r"\\\1", out))
    return out


def fence(text: str, lang: str = "", max_lines: int | None = None) -> str:
    lines = text.rstrip("\n").split("\n")
    if max_lines is not None and len(lines) > max_lines:
        text = "\n".join(lines[:max_lines] + [f"\u2026 {len(lines) - max_lines} more line(s): `--format json` has all"])
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    f = "`" * max(3, longest + 1)
    return f"{f}{lang}\n{text.rstrip(chr(10))}\n{f}"


def link(ctx: Context, loc: dict[str, Any] | None) -> str:
    """[path:line](path#Lline): a link GitHub resolves against the repository tree."""
    if not loc or not loc.get("file"):
        return ""
    from urllib.parse import quote

    target = quote(ctx.path(loc["file"]), safe="/._-~")
    if loc.get("line"):
        target += f"#L{loc['line']}"
    return f"[{esc(loc_text(ctx, loc))}]({target})"


def _finding(ctx: Context, f: dict[str, Any]) -> list[str]:
    lines = [f"### {_ICON[f['severity']]} {f['rule']} {esc(f['name'])} \u2014 {esc(f['subject'])}", "",
             esc(f["message"], line_start=True), ""]
    if f["locations"]:
        lines += ["At " + ", ".join(link(ctx, l) for l in f["locations"]), ""]
    if f["evidence"]:
        lines += ["<details><summary>Evidence</summary>", ""]
        lines += [f"- {esc(e)}" for e in f["evidence"][:EVIDENCE]]
        if len(f["evidence"]) > EVIDENCE:
            lines.append(f"- \u2026 and {len(f['evidence']) - EVIDENCE} more (`--format json` lists every one)")
        lines += ["", "</details>", ""]
    fix = f.get("fix")
    if fix:
        verified = f" ({esc(fix['verified'])})" if fix.get("verified") else ""
        lines += [f"**Fix**{verified}: {esc(fix['description'])}", ""]
        if fix.get("diff"):
            lines += [fence(fix["diff"], "diff", CODE_LINES), ""]
        elif fix.get("yaml"):
            where = f" in {link(ctx, {'file': fix['file']})}" if fix.get("file") else ""
            lines += [f"Write{where}:", "", fence(fix["yaml"], "yaml", CODE_LINES), ""]
    return lines


def render(ctx: Context) -> str:
    doc = ctx.doc
    c = doc["summary"]
    state = "incomplete" if not doc["complete"] else "complete"
    fails = [f for f in doc["findings"] if ctx.fails(f["severity"])]
    verdict = f"**{len(fails)} finding(s) at or above `{ctx.fail_on}`**" if fails else "**passes**"
    if ctx.fail_on == "never":
        verdict = "**report only** (`--fail-on never`)"
    where = esc(ctx.prefix or ".")
    lines = [f"## podpath check: {esc(summary_text(doc))}", "",
             f"Snapshot `{where}`, podpath {esc(doc['podpath'])}, Cilium {esc(doc['cilium_version']['value'])}: "
             f"{verdict}; the check is {state}.", "",
             "| severity | findings |", "|---|---:|",
             f"| {_ICON['error']} error | {c['error']} |",
             f"| {_ICON['warning']} warning | {c['warning']} |",
             f"| {_ICON['info']} info | {c['info']} |"]
    if doc.get("suppressed"):
        lines.append(f"| suppressed | {len(doc['suppressed'])} |")
    if doc["not_checked"]:
        lines.append(f"| not checked | {len(doc['not_checked'])} |")
    for fam, r in sorted((doc.get("reachability") or {}).items()):
        lines.append(f"| {fam.replace('ipv', 'IPv')} pod routes (node pairs) | {r['verified']} verified, "
                     f"{r['broken']} broken, {r['unknown']} unknown |")
    lines.append("")
    if doc["findings"]:
        lines += ["| | rule | subject | where |", "|---|---|---|---|"]
        for f in doc["findings"]:
            lines.append(f"| {_ICON[f['severity']]} | {f['rule']} {esc(f['name'])} | {esc(f['subject'])} | "
                         f"{link(ctx, f['locations'][0]) if f['locations'] else ''} |")
        lines.append("")
        used = sum(len(l) + 1 for l in lines)
        for i, f in enumerate(doc["findings"]):
            section = _finding(ctx, f)
            size = sum(len(l) + 1 for l in section)
            if used + size > BUDGET:  # a GitHub comment holds 65,536 characters: keep the table, cut details
                lines += [f"_Details of {len(doc['findings']) - i} more finding(s) left out to fit a comment; "
                          "`--format json` or `sarif` has all of them._", ""]
                break
            lines += section
            used += size
    else:
        lines += ["No findings.", ""]
    if doc.get("suppressed"):
        lines += [f"### Suppressed ({len(doc['suppressed'])})", ""]
        for s in doc["suppressed"]:
            sup = s["suppression"]
            by = f" ({link(ctx, sup['location'])})" if sup.get("location") else ""
            lines.append(f"- {s['rule']} {esc(s['subject'])}: {esc(s['message'])} \u2014 suppressed{by}: "
                         f"{esc(sup['reason'])}")
        lines.append("")
    if doc["not_checked"]:
        lines += [f"### Not checked ({len(doc['not_checked'])})", ""]
        for n in doc["not_checked"]:
            at = f" ({link(ctx, n['location'])})" if n.get("location") and n["location"].get("line") else ""
            rule = f"{n['rule']}: " if n["rule"] else ""
            lines.append(f"- {rule}{esc(n['what'])}: {esc(n['why'])}{at}")
        lines.append("")
    errors = [d for d in doc["diagnostics"] if d["level"] in ("error", "warning")]
    if errors:
        lines += [f"### Input problems ({len(errors)})", ""]
        lines += [f"- {link(ctx, d['location'])}: {d['level']}: {esc(d['message'])}" for d in errors]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
