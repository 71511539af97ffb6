"""CI and review formats for `podpath check`: SARIF 2.1.0, JUnit XML, Markdown (a PR comment) and GitHub
workflow commands, one module each.

Every format renders the *redacted* check document (report.check_document, docs/json.md), never the model,
so no secret can reach it that the JSON would not show; `report.check_output` is the one way in. Paths are
rewritten relative to `--root` (the repository root by default, see `find_root`), because code-scanning
uploads, annotations and PR links name files from there, not from the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

FORMATS = ("sarif", "junit", "markdown", "github")


@dataclass(frozen=True)
class Context:
    """What a format needs besides the document: which rules ran (with their documentation), where the
    snapshot lies below --root, and the --fail-on threshold (what counts as a failure for JUnit)."""

    doc: dict[str, Any]
    rules: list[dict[str, Any]]  # report.rules_document() entries of the rules that ran
    prefix: str = ""  # the snapshot directory relative to --root, POSIX, "" when they are the same
    snapshot: str = ""  # the snapshot path as the user gave it (the location of "the snapshot" itself)
    fail_on: str = "error"
    extra: dict[str, Any] = field(default_factory=dict)

    def path(self, file: str) -> str:
        """A location's file (relative to the snapshot) relative to --root."""
        if file == self.snapshot:
            return self.prefix or "."
        if file.startswith("/"):
            return file
        import posixpath

        return posixpath.normpath(f"{self.prefix}/{file}" if self.prefix else file)

    def fails(self, severity: str) -> bool:
        """Whether a finding of this severity makes the run fail (exit 1) under --fail-on."""
        rank = {"error": 0, "warning": 1, "info": 2}
        return self.fail_on != "never" and rank[severity] <= rank[self.fail_on]


def find_root(snapshot: Path) -> Path:
    """The default --root: the top of the git work tree that holds the snapshot (the nearest directory
    upward with a `.git`), else the snapshot directory itself (the directory of a single-file snapshot)."""
    base = snapshot if snapshot.is_dir() else snapshot.parent
    base = base.resolve()
    for d in (base, *base.parents):
        if (d / ".git").exists():
            return d
    return base


def snapshot_prefix(snapshot: Path, root: Path) -> str:
    """The snapshot's directory relative to `root` (POSIX); ValueError if it is not inside it."""
    base = (snapshot if snapshot.is_dir() else snapshot.parent).resolve()
    rel = base.relative_to(root.resolve())  # raises ValueError when outside
    text = rel.as_posix()
    return "" if text == "." else text


def render(fmt: str, ctx: Context) -> str:
    from podpath.formats import github, junit, markdown, sarif

    table: dict[str, Callable[[Context], str]] = {
        "sarif": sarif.render, "junit": junit.render, "markdown": markdown.render, "github": github.render}
    return table[fmt](ctx)


def loc_text(ctx: Context, loc: dict[str, Any] | None) -> str:
    """`path:line:col` relative to --root (as a compiler prints it)."""
    if not loc:
        return ""
    p = ctx.path(loc["file"])
    if loc.get("line") and loc.get("col"):
        return f"{p}:{loc['line']}:{loc['col']}"
    return f"{p}:{loc['line']}" if loc.get("line") else p


def summary_text(doc: dict[str, Any]) -> str:
    """'1 error(s), 3 warning(s), 1 info' (+ suppressed, not checked), as the text output says it."""
    c = doc["summary"]
    text = f"{c['error']} error(s), {c['warning']} warning(s), {c['info']} info"
    if doc.get("suppressed"):
        text += f", {len(doc['suppressed'])} suppressed"
    if doc["not_checked"]:
        text += f"; {len(doc['not_checked'])} part(s) not checked"
    return text
