"""GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message` lines that a workflow
step prints and GitHub turns into annotations on the pull request's changed files.

Escaping follows the runner's rules (actions/toolkit `command.ts`): in the message `%`, CR and LF become
`%25`, `%0D`, `%0A`; in a property value also `:` and `,` (`%3A`, `%2C`). error -> `::error`, warning ->
`::warning`, info -> `::notice`. Every finding is one annotation at its first location (the others are
named in the message); what was not checked and input diagnostics are annotations too, so that an
incomplete run is visible on the PR. Suppressed findings are not annotated (the reason is in the summary).
"""

from __future__ import annotations

from typing import Any

from podpath.formats import Context, loc_text, summary_text

_COMMAND = {"error": "error", "warning": "warning", "info": "notice", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, *, file: str | None = None, line: int = 0, col: int = 0,
            title: str | None = None) -> str:
    props = []
    if file:
        props.append(f"file={escape_property(file)}")
        if line:
            props.append(f"line={line}")
            if col:
                props.append(f"col={col}")
    if title:
        props.append(f"title={escape_property(title)}")
    return f"::{kind}{' ' + ','.join(props) if props else ''}::{escape_data(message)}"


def _at(ctx: Context, loc: dict[str, Any] | None) -> dict[str, Any]:
    if not loc or not loc.get("file") or loc["file"] == ctx.snapshot:  # the snapshot directory: no file to mark
        return {}
    return {"file": ctx.path(loc["file"]), "line": loc.get("line") or 0, "col": loc.get("col") or 0}


def render(ctx: Context) -> str:
    doc = ctx.doc
    out = []
    for f in doc["findings"]:
        locs = f["locations"]
        msg = f["message"]
        if len(locs) > 1:
            msg += "\nalso at " + ", ".join(loc_text(ctx, l) for l in locs[1:])
        if f.get("fix"):
            msg += f"\nfix: {f['fix']['description']}"
        out.append(command(_COMMAND[f["severity"]], msg, title=f"{f['rule']} {f['name']} [{f['subject']}]",
                           **_at(ctx, locs[0] if locs else None)))
    for n in doc["not_checked"]:
        title = f"podpath: not checked{' (' + n['rule'] + ')' if n['rule'] else ''}"
        out.append(command("warning", f"{n['what']}: {n['why']}", title=title, **_at(ctx, n.get("location"))))
    for d in doc["diagnostics"]:
        out.append(command(_COMMAND[d["level"]], d["message"], title=f"podpath: input {d['level']}",
                           **_at(ctx, d["location"])))
    out.append(f"podpath {doc['podpath']}: {summary_text(doc)}"
               + ("" if doc["complete"] else " (incomplete: see the not-checked annotations)"))
    return "\n".join(out) + "\n"
