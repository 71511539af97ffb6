"""The `podpath` command: a thin layer over `podpath.load()` and the checks.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
2 unusable input or usage error (diagnostics on stderr as file:line:col);
3 (`lab run` / `lab compare`) incomplete: some routers could not run in the lab.

This module imports neither typer nor pydantic (about 0.2 s of a seed-sized check): `main()` runs a plain
`podpath [-q|-v] check ...` itself (`_fast_check_args`), and everything else (help, usage errors, every other
command) through the typer application of podpath.cli_app, which `podpath.cli.app` names. The helpers here
end a command with SystemExit(code), which typer and click's test runner treat as typer.Exit(code)."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

from rich.console import Console
from rich.markup import escape

from podpath import __version__
from podpath.checks import Severity
from podpath.report import check_document, diagnostic_texts, redact_text
from podpath.snapshot import Snapshot, load


class Format(str, Enum):
    text = "text"
    json = "json"


class CheckFormat(str, Enum):
    """`check`'s formats: text and JSON, and the CI/review ones of podpath.formats."""

    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    markdown = "markdown"
    github = "github"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


def _out() -> Console:
    # emoji off: Rich would render ":100:" in "file:100:col" as an emoji; markup is escaped where it is used.
    # Wrapped (at word boundaries) to a terminal or to COLUMNS; on a pipe without COLUMNS lines stay whole.
    from podpath.show_text import wraps

    return Console(highlight=False, soft_wrap=not wraps(), emoji=False)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)



VERBOSITY = 0  # -q: -1 (errors only on stderr, no progress), -v: 1 (timings on stderr)


class _status:
    """A Rich spinner on stderr while something long runs (loading, simulating): only on a terminal, never
    with -q or a machine format, so that nothing but the document reaches a pipe. -v prints the time taken."""

    def __init__(self, what: str, enabled: bool = True) -> None:
        self.what = what
        self.enabled = enabled
        self._status: Any = None

    def __enter__(self) -> "_status":
        import time

        self.t0 = time.perf_counter()
        err = _err()
        if self.enabled and VERBOSITY >= 0 and err.is_terminal:
            self._status = err.status(f"{self.what}\u2026", spinner="dots")
            self._status.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        import time

        if self._status is not None:
            self._status.__exit__(*exc)
        if VERBOSITY > 0 and exc[0] is None:
            _err().print(f"podpath: {self.what}: {time.perf_counter() - self.t0:.2f} s", style="dim", markup=False)


def _load(path: Path, progress: bool = True) -> Snapshot:
    with _status(f"loading {path}", progress):
        snap = load(path)
    err = _err()
    for level, text in diagnostic_texts(snap):  # redacted: no secret reaches stderr
        if VERBOSITY < 0 and level != "error":
            continue
        style = {"error": "bold red", "warning": "yellow", "note": "dim"}[level]
        err.print(text, style=style, markup=False)
    return snap


def _json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=False) + "\n")


_HEADING = {"error": "ERRORS", "warning": "WARNINGS", "info": "INFO"}
_SEV_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def run_check(snapshot: Path, format: Optional[CheckFormat] = None, fail_on: Optional[FailOn] = None,
              rule: Optional[list[str]] = None, root: Optional[Path] = None, config: Optional[Path] = None,
              no_repair: bool = False, set_: Optional[list[str]] = None, patch: Optional[list[Path]] = None) -> None:
    """`podpath check` (its options are documented in podpath.cli_app.check): the findings, grouped by severity.

    Exit 0: nothing at or above --fail-on; 1: findings at or above it; 2: unusable input (a missing or
    empty snapshot, one with no input podpath recognises, a file it cannot read) or an unknown rule."""
    rules = _rules(rule)
    cfg = _config(snapshot, config)
    fmt = format.value if format is not None else (cfg.format or "text")
    fail_on = FailOn(fail_on.value if fail_on is not None else (cfg.fail_on or "error"))
    rules = cfg.rules(rules)
    if set_ or patch:
        from podpath.cli_diff import check_what_if

        return check_what_if(snapshot, set_ or [], fmt, fail_on, rules, patch or [])
    snap = _load(snapshot, progress=fmt == "text")
    with _status("checking", fmt == "text"):
        report = snap.check(rules)
    from podpath.config import apply as apply_config

    checked = report if rules is None else None  # every rule as run, before suppressions: the repair's baseline
    report = apply_config(report, cfg)
    if rules is None and VERBOSITY >= 0 and snap.usable:
        from podpath.config import unused

        for sup in unused(report, cfg):  # stale entries: the finding they were written for is gone
            _err().print(f"{sup.loc}: note: this suppression matched no finding", style="dim", markup=False)
    if not no_repair and snap.usable and any(f.severity is Severity.ERROR for f in report.findings):
        from podpath.repair.search import MAX_WORK, annotate, repair, report_cut

        with _status("searching for a verified repair", fmt == "text"):
            try:
                found = repair(snap, report if rules is None else None, work=MAX_WORK, checked=checked)
                annotate(snap, report, found)
                report_cut(report, found)
            except Exception as exc:  # the findings stand without a repair; never a traceback
                _err().print(f"note: the repair search failed (internal error {type(exc).__name__}: "
                             f"{redact_text(snap, str(exc))}); findings are shown without verified fixes",
                             style="dim", markup=False)
    if root is not None and fmt in ("text", "json") and VERBOSITY >= 0:
        _err().print(f"note: --root applies to sarif, junit, markdown and github output; {fmt} names files "
                     "relative to the snapshot", style="dim", markup=False)
    if fmt == "json":
        _json(check_document(snap, report))
    elif fmt == "text":
        _print_check(snap, report)
    else:
        _formatted(snap, report, fmt, root, fail_on.value, rules)
    if not snap.usable:
        raise SystemExit(2)
    if fail_on is not FailOn.never and report.at_or_above(Severity(fail_on.value)):
        raise SystemExit(1)


def _rules(names: Optional[list[str]]) -> Optional[list[str]]:
    """Rule ids for --rule values; an unknown one is a usage error (exit 2) naming the close matches."""
    from podpath.checks import UnknownRule, resolve_rules

    if not names:
        return None
    try:
        out = resolve_rules(names)
    except UnknownRule as e:
        _err().print(f"error: --rule: {escape(str(e))}")
        raise SystemExit(2) from None
    if not out:
        _err().print("error: --rule: no rule named (`podpath rules` lists every rule)")
        raise SystemExit(2)
    return out


def _config(snapshot: Path, explicit: Optional[Path]) -> Any:
    """The podpath.toml / [tool.podpath] settings (podpath.config); a mistake in them is exit 2."""
    from podpath.config import Config, ConfigError, find_config, load_config

    path = explicit if explicit is not None else find_config(snapshot)
    if path is None:
        return Config()
    if not path.is_file():
        _err().print(f"error: --config: {path}: no such file", markup=False)
        raise SystemExit(2)
    try:
        return load_config(path, snapshot)
    except ConfigError as e:
        for loc, msg in e.errors:
            _err().print(f"{loc}: error: {msg}", style="bold red", markup=False)
        raise SystemExit(2) from None


def _formatted(snap: Snapshot, report: Any, fmt: str, root: Optional[Path], fail_on: str,
               rules: Optional[list[str]]) -> None:
    """sarif / junit / markdown / github through report.check_output (redacted), paths relative to --root."""
    from podpath.report import check_output

    if root is not None and not root.is_dir():
        _err().print(f"error: --root: {root}: not a directory", markup=False)
        raise SystemExit(2)
    try:
        text = check_output(snap, report, fmt, root=root, fail_on=fail_on, rules=rules)
    except ValueError:
        _err().print(f"error: --root: the snapshot {snap.root} is not inside {root}", markup=False)
        raise SystemExit(2) from None
    sys.stdout.write(text)


def _pr(out: Console, markup: str, hang: int = 4) -> None:
    """Print one line of markup as a paragraph: wrapped (when output wraps) at word boundaries, continuation
    lines indented under the text, so an address or a file:line is never split."""
    from rich.text import Text

    from podpath.show_text import para

    while markup.startswith("\n"):
        out.print()
        markup = markup[1:]
    text = markup.lstrip(" ")
    indent = len(markup) - len(text)
    para(out, Text.from_markup(text, emoji=False), indent, hang if indent else 0)


def _loc_text(loc: dict[str, Any]) -> str:
    """`file:line:col` of a JSON location (as `Loc.__str__`)."""
    if loc.get("line") and loc.get("col"):
        return f"{loc['file']}:{loc['line']}:{loc['col']}"
    return f"{loc['file']}:{loc['line']}" if loc.get("line") else loc["file"]


DIFF_LINES = 40  # a finding's patch in the text report: longer ones show their first lines and where the rest is


def _print_diff(out: Any, diff: str, indent: str = "", limit: int | None = None, finding: str = "") -> None:
    """A unified diff, removed lines red and added ones green; past `limit` lines, its size and where the
    whole patch is (a generated binding for 1,000 nodes is thousands of lines no one reads in a terminal)."""
    lines = diff.rstrip("\n").splitlines()
    if limit is not None and len(lines) > limit:
        files = sum(1 for line in lines if line.startswith("+++ "))
        added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
        out.print(f"{indent}[bold]patch: {len(lines)} lines ({added} added, {removed} removed, {files} file(s)); "
                  f"the first {limit - 10}:[/]")
        lines = lines[: limit - 10]
        tail = (f"{indent}... the whole patch is this finding's fix.diff in `podpath check --format json` "
                f"(finding {finding}): save it and apply it with `patch -p1` from the snapshot directory")
    else:
        tail = None
    for line in lines:
        style = "green" if line.startswith("+") and not line.startswith("+++") else (
            "red" if line.startswith("-") and not line.startswith("---") else "dim" if line.startswith("@@") else "")
        out.print(f"{indent}[{style}]{escape(line)}[/]" if style else f"{indent}{escape(line)}")
    if tail:
        out.print(escape(tail))


def _print_check(snap: Snapshot, report: Any) -> None:
    out = _out()
    v = snap.cilium.version
    where = f"{v.loc}" if v.loc else "assumed: no version stated"
    out.print(f"[bold]podpath {__version__}[/]  snapshot {escape(str(snap.root))}  "
              f"(Cilium {escape(v.value)}, {escape(where)})")
    findings = check_document(snap, report)["findings"]  # the redacted document, as JSON prints it
    for sev in Severity:
        group = [f for f in findings if f["severity"] == sev.value]
        if not group:
            continue
        out.print()
        out.print(f"[{_SEV_STYLE[sev.value]}]{_HEADING[sev.value]} ({len(group)})[/]")
        for f in group:
            out.print()
            out.print(f"[{_SEV_STYLE[sev.value]}]{f['rule']}[/] {escape(f['name'])} [dim]\\[{escape(f['subject'])}][/]")
            _pr(out, f"  {escape(f['message'])}")
            for i, loc in enumerate(f["locations"]):
                out.print(("  at " if i == 0 else "     ") + escape(_loc_text(loc)))
            if f["evidence"]:
                out.print("  evidence:")
                for e in f["evidence"]:
                    _pr(out, f"    - {escape(e)}", 2)
            fix = f["fix"]
            if fix:
                _pr(out, f"  fix: {escape(fix['description'])}")
                if fix["yaml"]:
                    if fix["file"]:
                        out.print(f"    in {escape(fix['file'])}:")
                    for line in fix["yaml"].rstrip("\n").splitlines():
                        out.print(f"      [green]{escape(line)}[/]")
                if fix.get("diff"):
                    _print_diff(out, fix["diff"], "    ", DIFF_LINES, f["id"])
                if fix.get("verified"):
                    out.print(f"    [bold]{escape(fix['verified'])}[/]")
    if report.nothing_recognised:
        why = next(n.why for n in report.not_checked if n.rule is None and n.what == "the snapshot")
        out.print()
        out.print(f"[bold red]Nothing checked:[/] {escape(why)}.")
        return
    if report.not_checked:
        out.print()
        out.print(f"[yellow]NOT CHECKED ({len(report.not_checked)})[/]")
        for n in report.not_checked:
            _pr(out, f"  - {escape(redact_text(snap, n.render()))}", 2)
    suppressed = check_document(snap, report)["suppressed"]  # redacted, like the findings
    if suppressed:
        out.print()
        out.print(f"[dim]SUPPRESSED ({len(suppressed)})[/]: by the configuration; not counted for the exit code")
        for sup in suppressed:
            loc = sup["suppression"]["location"]
            where = f" ({_loc_text(loc)})" if loc else ""
            out.print(f"  - {escape(sup['id'])}: {escape(sup['suppression']['reason'])}{escape(where)}")
    c = report.counts()
    out.print()
    summary = f"{c['error']} error(s), {c['warning']} warning(s), {c['info']} info"
    if not report.findings:
        summary = "no findings"
    if suppressed:
        summary += f" ({len(suppressed)} suppressed)"
    if report.not_checked:
        summary += f" in what was checked; {len(report.not_checked)} part(s) not checked (listed above)"
    out.print(f"[bold]Summary:[/] {summary}.")
    from podpath.report import reachability

    for fam, c in (reachability(snap) or {}).items():
        out.print(f"  {fam.replace('ipv', 'IPv')} pod routes: {c['verified']} node pair(s) verified, {c['broken']} "
                  f"broken, {c['unknown']} unknown.")
    n = sum(1 for u in snap.unsupported if u.affects_routes)
    if n:
        out.print(f"[yellow]Results may be incomplete:[/] {n} statement(s) that may affect routes are not modelled "
                  "(`podpath show` lists them).")


def _src(s: Any) -> str:
    if not s:
        return "-"
    loc = s.get("location")
    where = f"{loc['file']}:{loc['line']}" if loc and loc.get("line") else (loc["file"] if loc else s["origin"])
    return f"{s['value']} ({where})"


def _print_show(doc: dict[str, Any]) -> None:
    out = _out()
    pr = lambda markup: _pr(out, markup)  # noqa: E731
    pr("[bold]Files[/]")
    for f in doc["files"]:
        pr(f"  {escape(f['path'])}: {escape(f['kind'])}" + (f" (host {escape(f['host'])})" if f["host"] else ""))
        if f.get("why"):
            pr(f"    [dim]{escape(f['why'])}[/]")
    pr("\n[bold]Nodes[/]")
    for n in doc["nodes"]:
        addrs = ", ".join(f"{a['address']} ({a['type']})" for a in n["addresses"])
        pr(f"  {escape(n['name'])}{' (control plane)' if n['control_plane'] else ''}: {escape(addrs)}")
        for c in n["pod_cidrs"]:
            pr(f"    pod CIDR {escape(_src(c))}")
    pr("\n[bold]Families[/]")
    for f in doc["families"]:
        pr(f"  {f['family']}: enabled={f['enabled']} masquerade={f['masquerade']} "
                  f"native-routing-cidr={f['native_routing_cidr'] or '-'}")
        for p in f["pod_subnets"]:
            pr(f"    pod subnet {escape(_src(p))}")
        for p in f["service_subnets"]:
            pr(f"    service subnet {escape(_src(p))}")
    if doc["segments"]:
        pr("\n[bold]L2 segments[/]")
        for s in doc["segments"]:
            pr(f"  {escape(s['name'])}{' (inferred)' if s['inferred'] else ''}: "
                      f"{', '.join(p['value'] for p in s['prefixes'])}; mtu {escape(_src(s['mtu']))}; "
                      f"members {', '.join(s['members']) or '-'}")
    hosts = [h for h in doc["hosts"] if h["interfaces"] or h["route_files"] or h["cilium_status"] or h.get("own_routes")]
    if hosts:
        pr("\n[bold]Hosts[/]")
        for h in hosts:
            pr(f"  {escape(h['name'])}")
            for i in h["interfaces"]:
                pr(f"    {escape(i['name'])}: {', '.join(a['value'] for a in i['addresses'])} mtu {escape(_src(i['mtu']))}")
            for r in h["route_files"]:
                pr(f"    routes from {escape(r)}")
            for r in h.get("own_routes", []):
                loc = r["location"]
                where = f" ({loc['file']}:{loc['line']})" if loc and loc.get("line") else ""
                pr(f"    route {escape(r['route'])}{escape(where)}")
            if h["cilium_status"]:
                pr(f"    cilium status from {escape(h['cilium_status'])}")
    c = doc["cilium"]
    pr("\n[bold]Cilium[/]" + (f" {escape(_src(c['version']))}" if c["present"] else ": no configuration found"))
    if c["present"]:
        pr(f"  routing mode {c['routing_mode']}, BPF host routing {'yes' if c['bpf_host_routing'] else 'no'}")
        for s in c["settings"]:
            loc = s["location"]
            where = f"{loc['file']}:{loc['line']}" if loc else (s["note"] or s["origin"])
            tag = " (default)" if s["origin"] == "default" else ""
            helm = f" [helm {s['helm_key']}]" if s["helm_key"] else ""
            pr(f"  {escape(s['key'])} = {escape(repr(s['value']))}{tag}{escape(helm)}  [dim]{escape(where)}[/]")
    if doc["routers"]:
        from podpath.show_text import print_routers

        pr("\n[bold]Routing daemons[/]")
        print_routers(out, doc["routers"])
    if doc["unsupported"]:
        pr("\n[bold]Read but not modelled[/]")
        for u in doc["unsupported"]:
            loc = u["location"]
            where = f"{loc['file']}:{loc['line']}" if loc.get("line") else loc["file"]
            mark = "" if u["affects_routes"] else " (does not affect routes)"
            pr(f"  {escape(where)}: {escape(u['statement'])}: {escape(u['why'])}{mark}")


def _no_host(snap: Snapshot, name: str) -> str:
    """'no host X in the snapshot' with the close matches (or the first hosts: there may be thousands)."""
    import difflib

    hosts = sorted(snap.cluster.hosts)
    close = difflib.get_close_matches(name, hosts, n=5, cutoff=0.6)
    shown = close or hosts[:12]
    more = "" if close or len(hosts) <= 12 else f" and {len(hosts) - 12} more"
    return (f"no host {name!r} in the snapshot ({'close matches' if close else 'hosts'}: "
            f"{', '.join(shown) or 'none'}{more})")


def _print_explanation(out: Console, snap: Snapshot, ex: Any) -> None:
    """One explanation as text; policy texts may quote the user's configuration: redacted."""
    red = lambda text: escape(redact_text(snap, text))  # noqa: E731
    out.print(f"[bold]{escape(str(ex.prefix))}[/]" + (f" (pod CIDR of {escape(ex.owner)})" if ex.owner else ""))
    if not ex.steps:
        out.print("  no BGP speaker originates it (kernel routes below)")
    for d in ex.steps:
        mark = "[green]+[/]" if d.accepted else "[bold red]x[/]"
        out.print(f"  {mark} {d.stage:<9} {red(d.text)}" + (f"  [dim]{escape(str(d.loc))}[/]" if d.loc else ""))
        if d.policy is not None and not d.accepted:
            for step in d.policy.trace:
                out.print(f"        {escape(str(step.loc or ''))} {red(step.text)} -> {step.effect}")
    out.print("[bold]Where it ends up[/]")
    for h in ex.hosts:
        tables = ", ".join(h.tables) or "-"
        out.print(f"  {escape(h.host):<10} BGP: {escape(tables):<30} kernel: {escape(h.kernel or 'no route')}")
    if ex.fixes:
        out.print("[bold]What would let it through[/]")
        for fx in ex.fixes:
            out.print(f"  - {red(fx)}")


INCOMPLETE_EXIT = 3  # `lab run` / `lab compare`: some routers could not run, so not everything was compared

def _print_not_compared(out: Console, missing: list[str], title: str = "NOT COMPARED") -> None:
    if missing:
        out.print(f"[yellow]{title} ({len(missing)})[/]: the lab could not run these here")
        for m in missing:
            out.print(f"  - {escape(m)}")




# `podpath check`'s options as typer declares them (podpath.cli_app.check): long and short names -> parameter.
_CHECK_VALUES = {"--format": "format", "-f": "format", "--fail-on": "fail_on", "--rule": "rule", "-r": "rule",
                 "--root": "root", "--config": "config"}
_CHECK_FLAGS = {"--no-repair": "no_repair"}
_MAIN_FLAGS = {"-q": "quiet", "--quiet": "quiet", "-v": "verbose", "--verbose": "verbose"}


def _plain(text: str) -> bool:
    """A value typer would take as it is: not empty, not option-like, encodable (no surrogate escapes), no NUL."""
    if not text or text.startswith("-") or "\0" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _fast_check_args(argv: list[str]) -> Optional[dict[str, Any]]:
    """run_check's arguments for a plain `podpath [-q] [-v] check [OPTIONS] SNAPSHOT`, else None.

    Plain: every token an option of `check` spelled out (`--format json`, `--format=json`, `-f json`), a valid
    choice, one snapshot. Anything else (help, --version, completion, a usage error, `--set`/`--patch`, option
    clusters, `--`) is None and goes to typer, whose parsing and messages stay the only ones; what is accepted
    here typer would parse to the same values (tests/test_cli_fast.py compares the two)."""
    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):  # shell completion: typer's
        return None
    main_flags: dict[str, bool] = {"quiet": False, "verbose": False}
    i = 0
    while i < len(argv) and argv[i] in _MAIN_FLAGS:
        main_flags[_MAIN_FLAGS[argv[i]]] = True
        i += 1
    if i >= len(argv) or argv[i] != "check":
        return None
    values: dict[str, Any] = {}
    rules: list[str] = []
    flags = {"no_repair": False}
    snapshot: Optional[str] = None
    rest = argv[i + 1:]
    j = 0
    while j < len(rest):
        tok = rest[j]
        j += 1
        if not tok.startswith("-"):
            if snapshot is not None or not _plain(tok):
                return None
            snapshot = tok
            continue
        name, eq, value = tok.partition("=")
        if name in _CHECK_FLAGS and not eq:
            flags[_CHECK_FLAGS[name]] = True
            continue
        if name not in _CHECK_VALUES or (eq and not name.startswith("--")):
            return None
        if not eq:
            if j >= len(rest):
                return None
            value = rest[j]
            j += 1
        if not _plain(value):
            return None
        key = _CHECK_VALUES[name]
        if key == "rule":
            rules.append(value)
        elif key in values:  # repeated: typer keeps the last; not worth a second rule here
            return None
        else:
            values[key] = value
    if snapshot is None:
        return None
    fmt, fail_on = values.get("format"), values.get("fail_on")
    if fmt is not None and fmt not in CheckFormat._value2member_map_:
        return None
    if fail_on is not None and fail_on not in FailOn._value2member_map_:
        return None
    return {"main": main_flags,
            "check": {"snapshot": Path(snapshot), "format": CheckFormat(fmt) if fmt is not None else None,
                      "fail_on": FailOn(fail_on) if fail_on is not None else None, "rule": rules or None,
                      "root": Path(values["root"]) if "root" in values else None,
                      "config": Path(values["config"]) if "config" in values else None,
                      "no_repair": flags["no_repair"], "set_": None, "patch": None}}


class _Pacified:
    """A stream whose flush ignores a closed pipe (as click's PacifyFlushWrapper, after EPIPE)."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as e:
            import errno

            if e.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.wrapped, attr)


def _run_fast(args: dict[str, Any]) -> None:
    """run_check as typer's standalone mode runs a command: exit 0 after it, EPIPE exit 1, EOF 'Aborted!',
    an internal error shown by typer's exception hook."""
    global VERBOSITY
    quiet, verbose = args["main"]["quiet"], args["main"]["verbose"]
    VERBOSITY = -1 if quiet else 1 if verbose else 0
    try:
        run_check(**args["check"])
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        raise SystemExit(1) from None
    except OSError as e:
        import errno

        if e.errno != errno.EPIPE:
            _typer_hook(e)
            raise
        sys.stdout = _Pacified(sys.stdout)
        sys.stderr = _Pacified(sys.stderr)
        raise SystemExit(1) from None
    except Exception as e:
        _typer_hook(e)
        raise
    raise SystemExit(0)


def _typer_hook(exc: Exception) -> None:
    """Let typer's exception hook show an internal error, as it would had typer run the command."""
    try:
        from typer import main as typer_main

        from podpath.cli_app import app as typer_app

        sys.excepthook = typer_main.except_hook
        setattr(exc, typer_main._typer_developer_exception_attr_name, typer_main.DeveloperExceptionConfig(
            pretty_exceptions_enable=typer_app.pretty_exceptions_enable,
            pretty_exceptions_show_locals=typer_app.pretty_exceptions_show_locals,
            pretty_exceptions_short=typer_app.pretty_exceptions_short))
    except (ImportError, AttributeError):  # another typer: Python's own traceback
        pass


def main() -> None:
    """Console-script entry point; never lets a Python traceback reach the user on bad input."""
    try:
        fast = _fast_check_args(sys.argv[1:])
        if fast is not None:
            _run_fast(fast)
        else:
            from podpath.cli_app import app as typer_app

            typer_app()
    except KeyboardInterrupt:
        raise SystemExit(130)
    finally:
        # The interpreter's shutdown collections walk every object a large check left behind: 4 s of CPU
        # after the output of a 1,000-node check. Nothing needs collecting any more: move it all out of
        # the collector's reach (atexit handlers still run; memory is returned as usual).
        import gc

        gc.freeze()


def __getattr__(name: str) -> Any:
    """`podpath.cli.app` and the other typer pieces (podpath.cli_app), imported on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    from podpath import cli_app

    try:
        return getattr(cli_app, name)
    except AttributeError:
        raise AttributeError(f"module 'podpath.cli' has no attribute {name!r}") from None


if __name__ == "__main__":  # `python -m podpath.cli`: run the imported module (not this __main__ copy)
    from podpath.cli import main as _main

    _main()
