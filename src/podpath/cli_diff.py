"""`podpath diff BEFORE AFTER` and `podpath check SNAPSHOT --set FILE:KEY=VALUE`: what a change does.

Both render a `podpath.diff.SnapshotDiff` (sessions, best paths per speaker, kernel tables, pod pairs, findings)
and the "why not" of `podpath.whynot` (why pod routes still miss a kernel, why a finding still holds), from the
redacted JSON document (report.diff_document), so text and JSON say the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from podpath.cli import FailOn, Format, _err, _json, _load, _out, _print_check, app
from podpath.report import check_document, diagnostic_texts, diff_document

_SHOWN = 12  # lines per section in the text output (JSON lists everything)


@app.command("diff")
def diff_cmd(before: Path = typer.Argument(..., metavar="BEFORE", help="The snapshot before the change."),
             after: Path = typer.Argument(..., metavar="AFTER", help="The snapshot after the change."),
             format: Format = typer.Option(Format.text, "--format", "-f", help="Output format.")) -> None:
    """What changes from BEFORE to AFTER: sessions, routes per host (added, removed, best path changed), kernel
    tables, pod pairs gained and lost, findings resolved and introduced; and why pod routes still miss a kernel.

    Exit 0: no regressions; 1: regressions (a pod pair lost, a session down, a kernel route lost, a new error
    finding); 2: either snapshot is unusable."""
    from podpath import diff as diff_mod
    from podpath.whynot import explain_changes

    a = _load(before)
    b = _load(after)
    if not a.usable or not b.usable:
        _err().print("error: " + ("BEFORE" if not a.usable else "AFTER") + " is unusable (see the diagnostics above)",
                     markup=False)
        raise typer.Exit(2)
    ra, rb = a.check(), b.check()
    if ra.nothing_recognised or rb.nothing_recognised:
        _err().print(f"error: nothing recognised in {escape(str(before if ra.nothing_recognised else after))}")
        raise typer.Exit(2)
    d = diff_mod.compare(a, b, before_report=ra, after_report=rb)
    why = explain_changes(a, b, d)
    doc = diff_document(a, b, d, why)
    if format is Format.json:
        _json(doc)
    else:
        out = _out()
        out.print(f"[bold]podpath diff[/] {escape(str(before))} -> {escape(str(after))}")
        print_diff(out, doc)
    if doc["regressions"]:
        raise typer.Exit(1)


def check_what_if(snapshot: Path, sets: list[str], fmt: str, fail_on: FailOn,
                  rules: Optional[list[str]], patches: Optional[list[Path]] = None) -> None:
    """`podpath check SNAPSHOT --set ...`: check the changed copy and compare it with the unchanged one.
    Exit codes as `check` on the changed copy (2 also for a --set that cannot be applied)."""
    from podpath.checks import Severity
    from podpath.snapshot import load
    from podpath.whatif import SetError, WhatIf, apply_patch, apply_sets, changed_lines, parse_set
    from podpath.whynot import explain_changes

    from podpath import diff as diff_mod

    if fmt not in ("text", "json"):
        _err().print(f"error: --set: --format {fmt} is not supported with --set (text or json)", markup=False)
        raise typer.Exit(2)
    before = _load(snapshot)
    if not before.usable:
        raise typer.Exit(2)
    try:
        texts: dict[str, str] = {}
        for p in patches or []:
            try:
                text = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise SetError(f"--patch {p}: cannot read it ({e.__class__.__name__})") from None
            texts = apply_patch(before, text, str(p), texts)
        specs = [parse_set(s) for s in sets]
        base = before
        if texts and specs:  # --set edits the patched texts (positions read from them)
            base = load(before.root, overlay=texts)
        more, applied = apply_sets(base, specs)
        texts.update(more)
    except SetError as e:
        _err().print(f"error: {e}", markup=False)
        raise typer.Exit(2) from None
    after = load(before.root, overlay=texts)
    old = {t for _, t in diagnostic_texts(before)}
    err = _err()
    for level, text in diagnostic_texts(after):  # what the edit itself broke
        if text not in old:
            err.print(f"{text} (after --set)", style={"error": "bold red", "warning": "yellow", "note": "dim"}[level],
                      markup=False)
    rb, ra = before.check(rules), after.check(rules)
    w = WhatIf(before, after, applied, texts)
    w.diff = diff_mod.compare(before, after, before_report=rb, after_report=ra)
    w.explanations = explain_changes(before, after, w.diff, changed=changed_lines(before.texts, texts),
                                     before_report=rb, after_report=ra)
    doc = diff_document(before, after, w.diff, w.explanations)
    threshold = None if fail_on is FailOn.never else Severity(fail_on.value)
    fixes = (threshold is None or not ra.at_or_above(threshold)) and not doc["regressions"] and after.usable
    what_if = {"changes": [x.to_json() for x in applied], "patches": [str(p) for p in patches or []],
               "patch": _redacted_patch(before, after, w.patch()), "fixes": fixes,
               **{k: v for k, v in doc.items() if k not in ("schema", "podpath", "before", "after")}}
    if fmt == "json":
        cdoc = check_document(after, ra)
        cdoc["what_if"] = after.secrets.doc(before.secrets.doc(what_if))
        _json(cdoc)
    else:
        out = _out()
        n = len(applied) + len(patches or [])
        out.print(f"[bold]What if[/] ({n} change(s) to a copy; your files are not written):")
        for p in patches or []:
            out.print(f"  patch {escape(str(p))}")
        for x in applied:
            out.print(f"  {escape(before.secrets.line(after.secrets.line(x.describe(), x.file, x.line)))}")
        for line in what_if["patch"].splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            out.print(f"  [{style}]{escape(line)}[/]")
        out.print()
        _print_check(after, ra)
        out.print()
        out.print("[bold]Against the unchanged snapshot[/]")
        print_diff(out, doc)
        out.print()
        verdict = "yes" if fixes else "no"
        out.print(f"[bold]Would this change fix it?[/] {verdict}: " + _verdict(ra, doc, threshold))
    if not after.usable:
        raise typer.Exit(2)
    if threshold is not None and ra.at_or_above(threshold):
        raise typer.Exit(1)


def _redacted_patch(before: Any, after: Any, patch: str) -> str:
    """The edit's diff with the secrets of both snapshots (and every secret-bearing statement) redacted: its
    context and removed lines are the user's own text."""
    return "".join(before.secrets.line(after.secrets.line(line)) + "\n" for line in patch.splitlines())


def _verdict(report: Any, doc: dict[str, Any], threshold: Any) -> str:
    c = report.counts()
    p = doc["pairs"]
    parts = [f"{c['error']} error(s) left" if c["error"] else "no error left"]
    if p["total"]:
        parts.append(f"{p['reachable_after']}/{p['total']} pod node pair(s) reachable (was {p['reachable_before']})")
    n = len(doc["regressions"])
    parts.append(f"{n} regression(s)" if n else "no regressions")
    return ", ".join(parts) + "."


# ------------------------------------------------------------------------------------------------ rendering

def _cap(out: Console, lines: list[str], indent: str = "  ") -> None:
    for line in lines[:_SHOWN]:
        out.print(indent + escape(line))
    if len(lines) > _SHOWN:
        out.print(f"{indent}[dim]... and {len(lines) - _SHOWN} more (--format json lists all)[/]")


def print_diff(out: Console, doc: dict[str, Any]) -> None:
    """The diff document as text: one section per kind of change, the why-nots last."""
    p = doc["pairs"]
    out.print(f"  pod node pairs reachable: {p['reachable_before']} -> {p['reachable_after']} of {p['total']}"
              + (f"; gained {len(p['gained'])}" if p["gained"] else "") + (f"; lost {len(p['lost'])}" if p["lost"] else ""))
    for kind in ("gained", "lost"):
        if p[kind]:
            _cap(out, _pairs_lines(p[kind]), "    " + ("+ " if kind == "gained" else "- "))
    pod_speakers = sorted({x["speaker"] for x in doc["routes"] if x["pod_cidr"] and x["change"] == "added"})
    pod_hosts = sorted({x["host"] for x in doc["kernel"] if x["pod_cidr"] and x["change"] == "added"})
    if pod_speakers or pod_hosts:
        nodes = doc["kernel_unchanged_nodes"]
        out.print(f"  pod CIDR routes newly reach {len(pod_speakers)} BGP table(s)"
                  + (f" ({escape(_few(pod_speakers))})" if pod_speakers else "")
                  + f" and {len(pod_hosts)} host(s)' kernel" + (f" ({escape(_few(pod_hosts))})" if pod_hosts else "")
                  + (f"; no change in the kernel of {len(nodes)} node(s) ({escape(_few(nodes))})" if nodes else ""))
    s = doc["sessions"]
    out.print(f"  sessions: {len(s)} changed" if s else "  sessions: none changed")
    _cap(out, [f"{x['id']}: {x['before'] or 'absent'} -> {x['after'] or 'absent'}"
               + (f" ({x['reason_after']})" if x["reason_after"] and x["after"] != "established" else "") for x in s],
         "    ")
    r = doc["routes"]
    if r:
        counts = {k: sum(1 for x in r if x["change"] == k) for k in ("added", "removed", "changed")}
        speakers = sorted({x["speaker"] for x in r})
        out.print(f"  routes: {counts['added']} added, {counts['removed']} removed, {counts['changed']} best path "
                  f"changed, on {len(speakers)} speaker(s)")
        _cap(out, _route_lines(r), "    ")
    else:
        out.print("  routes: no BGP table changed")
    k = doc["kernel"]
    if k:
        hosts = sorted({x["host"] for x in k})
        out.print(f"  kernel tables: {len(k)} route(s) changed on {len(hosts)} host(s)")
        _cap(out, [_kernel_line(x) for x in k], "    ")
    else:
        out.print("  kernel tables: no change")
    f = doc["findings"]
    if f["compared"]:
        out.print(f"  findings: {len(f['resolved'])} resolved, {len(f['introduced'])} introduced")
        _cap(out, [f"resolved {x['severity']} {x['id']}: {x['message']}" for x in f["resolved"]]
             + [f"introduced {x['severity']} {x['id']}: {x['message']}" for x in f["introduced"]], "    ")
    g = doc["regressions"]
    out.print(f"  [bold red]regressions ({len(g)})[/]" if g else "  regressions: none")
    _cap(out, [x["text"] for x in g], "    - ")
    se = doc["side_effects"]
    if se:
        out.print(f"  side effects ({len(se)}):")
        _cap(out, [x["text"] for x in se], "    - ")
    why = doc["why_not"]
    if why:
        out.print()
        out.print("[bold]Why not[/]")
        for w in why:
            out.print(f"  {escape(w['text'])}")
            if w["same_on"]:
                out.print(f"    [dim]the same on {escape(_few(w['same_on'], 24))}[/]")
            for reason in w["reasons"][:_SHOWN]:
                loc = reason["location"]
                where = f"  [dim]\\[{escape(_loc(loc))}][/]" if loc else ""
                out.print(f"    - {escape(reason['text'])}{where}")
            if len(w["reasons"]) > _SHOWN:
                out.print(f"    [dim]... and {len(w['reasons']) - _SHOWN} more (--format json lists all)[/]")


def _few(names: list[str], n: int = 6) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def _loc(loc: dict[str, Any]) -> str:
    if loc.get("line") and loc.get("col"):
        return f"{loc['file']}:{loc['line']}:{loc['col']}"
    return f"{loc['file']}:{loc['line']}" if loc.get("line") else str(loc["file"])


def _pairs_lines(pairs: list[dict[str, Any]]) -> list[str]:
    """One line per (family, source): the destinations it gained or lost."""
    by: dict[tuple[str, str], list[str]] = {}
    for x in pairs:
        by.setdefault((x["family"], x["src"]), []).append(x["dst"])
    return [f"{fam.replace('ipv', 'IPv')} {src} -> {', '.join(dsts)}" for (fam, src), dsts in sorted(by.items())]


def _route_lines(routes: list[dict[str, Any]]) -> list[str]:
    """One line per (speaker, change): its prefixes (pod CIDRs first)."""
    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for x in routes:
        by.setdefault((x["speaker"], x["change"]), []).append(x)
    out = []
    word = {"added": "+", "removed": "-", "changed": "~"}
    for (sp, change), xs in sorted(by.items()):
        xs = sorted(xs, key=lambda x: not x["pod_cidr"])
        shown = ", ".join(x["prefix"] + (" (pod CIDR)" if x["pod_cidr"] else "") for x in xs[:4])
        more = f" and {len(xs) - 4} more" if len(xs) > 4 else ""
        out.append(f"{word[change]} {sp}: {shown}{more}")
    return out


def _kernel_line(x: dict[str, Any]) -> str:
    if x["change"] == "added":
        return f"+ {x['host']} ({x['table']}): {x['after']}"
    if x["change"] == "removed":
        return f"- {x['host']} ({x['table']}): {x['before']}"
    return f"~ {x['host']} ({x['table']}): {x['before']} -> {x['after']}"
