"""Project settings kept next to the snapshot: `podpath.toml`, or `[tool.podpath]` in `pyproject.toml`.

    select = ["BGP002", "NR002"]          # rules to run (ids or names); default: every rule
    ignore = ["HM001"]                    # rules not to run
    fail-on = "warning"                   # error | warning | info | never
    format = "sarif"                      # text | json | sarif | junit | markdown | github

    [[suppress]]
    id = "BGP002:pve01->solwk01"          # a finding id (RULE:subject); * and ? are wildcards
    reason = "pve01 is being decommissioned (TICKET-123)"

    [[suppress]]
    rule = "HM001"                        # or a rule (id or name) ...
    path = "legacy/*.yaml"                # ... and/or a location glob, relative to the snapshot
    reason = "old values files are not deployed"

The file is found upward from the snapshot (the snapshot's directory, then each parent, up to and including
the top of the git work tree), or named with `--config`. Command-line options win over it. A suppressed
finding is listed as suppressed with its reason and does not count for the exit code; a suppression needs a
reason so that the report says why a finding is not acted upon. Mistakes in the file are
`file:line:col: error:` diagnostics (exit 2), never ignored.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podpath.diagnostics import Loc

if TYPE_CHECKING:
    from podpath.checks import Finding, Report

CONFIG_NAMES = ("podpath.toml", "pyproject.toml")
FORMATS = ("text", "json", "sarif", "junit", "markdown", "github")
FAIL_ON = ("error", "warning", "info", "never")
_KEYS = ("select", "ignore", "fail-on", "format", "suppress")
_SUPPRESS_KEYS = ("id", "rule", "path", "reason")


class ConfigError(ValueError):
    """The configuration file is wrong; `errors` are (location, message) pairs, every one found."""

    def __init__(self, errors: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{loc}: {msg}" for loc, msg in errors))
        self.errors = errors


@dataclass(frozen=True)
class Suppression:
    """Findings not to act upon: every criterion given must match (id glob, rule, location glob)."""

    reason: str
    loc: Loc
    id: str | None = None
    rule: str | None = None  # a rule id (names are resolved when the file is read)
    path: str | None = None

    def matches(self, f: "Finding") -> bool:
        if self.id is not None and not fnmatch.fnmatchcase(f.id, self.id):
            return False
        if self.rule is not None and f.rule != self.rule:
            return False
        if self.path is not None and not any(fnmatch.fnmatchcase(l.file, self.path) for l in f.locations):
            return False
        return True


@dataclass(frozen=True)
class Config:
    """Settings from one file (or none: every field empty)."""

    file: Path | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    fail_on: str | None = None
    format: str | None = None
    suppress: list[Suppression] = field(default_factory=list)

    def rules(self, cli_rules: list[str] | None) -> list[str] | None:
        """Rule ids to run: --rule (or `select`) minus `ignore`; None = every rule."""
        from podpath.checks import RULES

        chosen = cli_rules if cli_rules else self.select
        if not self.ignore:
            return chosen
        base = chosen if chosen is not None else sorted(RULES)
        return [r for r in base if r not in self.ignore]


def find_config(snapshot: Path) -> Path | None:
    """The nearest podpath.toml, or pyproject.toml with a [tool.podpath] table, upward from the snapshot;
    the search stops at the top of the git work tree (a directory holding `.git`)."""
    base = (snapshot if snapshot.is_dir() else snapshot.parent).resolve()
    for d in (base, *base.parents):
        for name in CONFIG_NAMES:
            p = d / name
            if p.is_file() and (name != "pyproject.toml" or _has_tool_table(p)):
                return p
        if (d / ".git").exists():
            return None
    return None


def _has_tool_table(p: Path) -> bool:
    try:
        return re.search(r"^\s*\[\s*tool\s*\.\s*podpath\s*\]", p.read_text(encoding="utf-8", errors="replace"),
                         re.M) is not None
    except OSError:
        return False


def shown_name(path: Path, snapshot: Path) -> str:
    """The config file's name as podpath shows it: relative to the snapshot, like every other location."""
    base = (snapshot if snapshot.is_dir() else snapshot.parent).resolve()
    return Path(os.path.relpath(path.resolve(), base)).as_posix()


class _Lines:
    """Line numbers of keys in the TOML text (tomllib keeps none): for diagnostics at the right line."""

    def __init__(self, text: str, top: str | None) -> None:
        self.lines = text.splitlines()
        self.top = top  # the table holding podpath's keys: None (podpath.toml) or "tool.podpath"

    def _tables(self) -> list[tuple[int, str, bool]]:
        out = []
        for i, line in enumerate(self.lines, 1):
            m = re.match(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?", line)
            if m:
                out.append((i, re.sub(r"\s+", "", m.group(2)), m.group(1) == "[["))
        return out

    def key(self, key: str, table: str | None = None, nth: int = 0) -> Loc:
        """`key =` in `table` (the nth [[table]] of an array), else the table's header, else line 1."""
        start, end = 1, len(self.lines) + 1
        want = ".".join(p for p in (self.top, table) if p)
        tables = self._tables()
        if want:
            hits = [t for t in tables if t[1] == want]
            if len(hits) > nth:
                start = hits[nth][0]
                later = [t[0] for t in tables if t[0] > start]
                end = later[0] if later else end
            elif table is not None:  # an inline array of tables: point at `suppress =`
                return self.key(table)
        else:
            end = tables[0][0] if tables else end
        for i in range(start, end):
            line = self.lines[i - 1]
            m = re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line)
            if m:
                return Loc("", i, len(line) - len(line.lstrip()) + 1)
        return Loc("", start, 1)


def load_config(path: Path, snapshot: Path) -> Config:
    """Read one configuration file; ConfigError lists every problem with its file:line:col."""
    from podpath.checks import UnknownRule, resolve_rules

    name = shown_name(path, snapshot)
    at = lambda loc: Loc(name, loc.line, loc.col)  # noqa: E731
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError([(Loc(name), f"cannot read the configuration: {e}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        loc = Loc(name, int(m.group(1)), int(m.group(2))) if m else Loc(name, 1, 1)
        raise ConfigError([(loc, f"invalid TOML: {re.sub(r' [(]at line.*', '', str(e))}")]) from None
    top: str | None = None
    if path.name == "pyproject.toml":
        top = "tool.podpath"
        data = data.get("tool", {}).get("podpath", {})
        if not isinstance(data, dict):
            raise ConfigError([(Loc(name, 1, 1), "[tool.podpath] must be a table")])
    lines = _Lines(text, top)
    errors: list[tuple[Loc, str]] = []

    def err(loc: Loc, msg: str) -> None:
        errors.append((at(loc), msg))

    for k in sorted(data):
        if k not in _KEYS:
            close = difflib.get_close_matches(k, _KEYS, n=1)
            err(lines.key(k), f"unknown key {k!r}" + (f" (did you mean {close[0]!r}?)" if close else
                                                       f"; keys: {', '.join(_KEYS)}"))

    def rule_list(key: str) -> list[str] | None:
        v = data.get(key)
        if v is None:
            return None
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            err(lines.key(key), f"{key} must be a list of rule ids or names")
            return None
        try:
            return resolve_rules(v)
        except UnknownRule as e:
            err(lines.key(key), f"{key}: {e}")
            return None

    select = rule_list("select")
    ignore = rule_list("ignore") or []

    def choice(key: str, allowed: tuple[str, ...]) -> str | None:
        v = data.get(key)
        if v is None:
            return None
        if v not in allowed:
            err(lines.key(key), f"{key} must be one of {', '.join(allowed)}, not {v!r}")
            return None
        return str(v)

    fail_on = choice("fail-on", FAIL_ON)
    fmt = choice("format", FORMATS)
    sups: list[Suppression] = []
    raw = data.get("suppress", [])
    if not isinstance(raw, list):
        err(lines.key("suppress"), "suppress must be an array of tables ([[suppress]])")
        raw = []
    for i, s in enumerate(raw):
        header = lines.key("\0", "suppress", i)  # the [[suppress]] line itself
        if not isinstance(s, dict):
            err(header, "each suppress entry must be a table with reason and id, rule or path")
            continue
        for k in sorted(s):
            if k not in _SUPPRESS_KEYS:
                close = difflib.get_close_matches(k, _SUPPRESS_KEYS, n=1)
                err(lines.key(k, "suppress", i), f"unknown suppress key {k!r}" +
                    (f" (did you mean {close[0]!r}?)" if close else f"; keys: {', '.join(_SUPPRESS_KEYS)}"))
        bad = [k for k in _SUPPRESS_KEYS if k in s and not isinstance(s[k], str)]
        for k in bad:
            err(lines.key(k, "suppress", i), f"suppress {k} must be a string")
        if bad:
            continue
        reason = (s.get("reason") or "").strip()
        if not reason:
            err(lines.key("reason", "suppress", i) if "reason" in s else header,
                "a suppression needs a reason (reason = \"why this finding is not acted upon\")")
        if not any(s.get(k) for k in ("id", "rule", "path")):
            err(header, "a suppression needs id, rule or path (what it suppresses)")
        rule = s.get("rule")
        if rule:
            try:
                rule = resolve_rules([rule])[0]
            except (UnknownRule, IndexError) as e:
                err(lines.key("rule", "suppress", i), f"suppress rule: {e}")
                continue
        if reason and any(s.get(k) for k in ("id", "rule", "path")):
            sups.append(Suppression(reason, at(header), s.get("id") or None, rule or None, s.get("path") or None))
    if errors:
        raise ConfigError(errors)
    return Config(path, select, ignore, fail_on, fmt, sups)


def apply(report: "Report", config: Config) -> "Report":
    """The report with the findings a suppression matches moved to `suppressed` (first match wins)."""
    from dataclasses import replace

    from podpath.checks import Suppressed

    kept: list[Any] = []
    gone: list[Suppressed] = list(report.suppressed)
    for f in report.findings:
        s = next((s for s in config.suppress if s.matches(f)), None)
        if s is None:
            kept.append(f)
        else:
            gone.append(Suppressed(f, s.reason, s.loc))
    return replace(report, findings=kept, suppressed=gone)


def unused(report: "Report", config: Config) -> list[Suppression]:
    """Suppressions that matched no finding: stale entries the user may want to remove."""
    used = {s.loc for s in report.suppressed}
    return [s for s in config.suppress if s.loc not in used]
