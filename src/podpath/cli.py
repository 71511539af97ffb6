"""The `podpath` command: a thin layer over `podpath.load()` and the checks.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
2 unusable input or usage error (diagnostics on stderr as file:line:col);
3 (`lab run` / `lab compare`) incomplete: some routers could not run in the lab."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from podpath import __version__
from podpath.checks import Severity
from podpath.report import (check_document, diagnostic_texts, explain_document, lab_document, redact_text,
                            rules_document, sessions_document, show_document)
from podpath.snapshot import Snapshot, load

app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode=None,
                  help="Offline verifier and troubleshooter for Kubernetes pod networking.")


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


def _version(value: bool) -> None:
    if value:
        print(f"podpath {__version__}")
        raise typer.Exit(0)


VERBOSITY = 0  # -q: -1 (errors only on stderr, no progress), -v: 1 (timings on stderr)


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                              help="Print the version and exit."),
                 quiet: bool = typer.Option(False, "--quiet", "-q", help="On stderr only errors: no notes, "
                                            "warnings or progress."),
                 verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print how long loading and "
                                              "checking took (stderr).")) -> None:
    """podpath reads a snapshot (a directory of your own config files and evidence) and checks it."""
    global VERBOSITY
    VERBOSITY = -1 if quiet else 1 if verbose else 0


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


@app.command()
def check(snapshot: Path = typer.Argument(..., help="Snapshot directory (or a single file)."),
          format: Optional[CheckFormat] = typer.Option(None, "--format", "-f", help="Output format: text (default), "
                                                      "json, sarif (code scanning), junit, markdown (PR comment), "
                                                      "github (workflow annotations)."),
          fail_on: Optional[FailOn] = typer.Option(None, "--fail-on", help="Exit 1 if a finding at or above this "
                                                   "severity exists (default error)."),
          rule: Optional[list[str]] = typer.Option(None, "--rule", "-r", help="Run only these rules: ids or names, "
                                                   "case-insensitive, repeated or comma-separated (-r NR002,HM001)."),
          root: Optional[Path] = typer.Option(None, "--root", help="Directory that sarif/junit/markdown/github paths "
                                              "are relative to (default: the top of the git work tree holding the "
                                              "snapshot, else the snapshot)."),
          config: Optional[Path] = typer.Option(None, "--config", help="podpath.toml (or pyproject.toml) to use "
                                                "instead of the one found upward from the snapshot."),
          no_repair: bool = typer.Option(False, "--no-repair", help="Do not search for a verified repair of the "
                                         "error findings (re-simulating candidate edits)."),
          set_: Optional[list[str]] = typer.Option(None, "--set", metavar="[FILE:]KEY=VALUE", help="What if: check a copy with FILE:KEY=VALUE "
                                                   "applied (a YAML/Helm key; KEY=VALUE: the one Cilium Helm values "
                                                   "file), repeatable, and compare it with the snapshot as it is."),
          patch: Optional[list[Path]] = typer.Option(None, "--patch", metavar="DIFF", help="What if: check a copy with this "
                                                     "unified diff applied (paths relative to the snapshot), "
                                                     "repeatable, and compare it with the snapshot as it is."),
          ) -> None:
    """Run every check and print findings grouped by severity.

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
        raise typer.Exit(2)
    if fail_on is not FailOn.never and report.at_or_above(Severity(fail_on.value)):
        raise typer.Exit(1)


def _rules(names: Optional[list[str]]) -> Optional[list[str]]:
    """Rule ids for --rule values; an unknown one is a usage error (exit 2) naming the close matches."""
    from podpath.checks import UnknownRule, resolve_rules

    if not names:
        return None
    try:
        out = resolve_rules(names)
    except UnknownRule as e:
        _err().print(f"error: --rule: {escape(str(e))}")
        raise typer.Exit(2) from None
    if not out:
        _err().print("error: --rule: no rule named (`podpath rules` lists every rule)")
        raise typer.Exit(2)
    return out


def _config(snapshot: Path, explicit: Optional[Path]) -> Any:
    """The podpath.toml / [tool.podpath] settings (podpath.config); a mistake in them is exit 2."""
    from podpath.config import Config, ConfigError, find_config, load_config

    path = explicit if explicit is not None else find_config(snapshot)
    if path is None:
        return Config()
    if not path.is_file():
        _err().print(f"error: --config: {path}: no such file", markup=False)
        raise typer.Exit(2)
    try:
        return load_config(path, snapshot)
    except ConfigError as e:
        for loc, msg in e.errors:
            _err().print(f"{loc}: error: {msg}", style="bold red", markup=False)
        raise typer.Exit(2) from None


def _formatted(snap: Snapshot, report: Any, fmt: str, root: Optional[Path], fail_on: str,
               rules: Optional[list[str]]) -> None:
    """sarif / junit / markdown / github through report.check_output (redacted), paths relative to --root."""
    from podpath.report import check_output

    if root is not None and not root.is_dir():
        _err().print(f"error: --root: {root}: not a directory", markup=False)
        raise typer.Exit(2)
    try:
        text = check_output(snap, report, fmt, root=root, fail_on=fail_on, rules=rules)
    except ValueError:
        _err().print(f"error: --root: the snapshot {snap.root} is not inside {root}", markup=False)
        raise typer.Exit(2) from None
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


@app.command()
def show(snapshot: Path = typer.Argument(..., help="Snapshot directory (or a single file)."),
         format: Format = typer.Option(Format.text, "--format", "-f", help="Output format.")) -> None:
    """Show what was loaded: nodes, families, pod/service CIDRs, Cilium settings and where each came from."""
    snap = _load(snapshot, progress=format is Format.text)
    doc = show_document(snap)
    if format is Format.json:
        _json(doc)
    else:
        _print_show(doc)
    if not snap.usable:
        raise typer.Exit(2)


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


def _ip_prefix(text: str) -> Any:
    import ipaddress

    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an IP prefix")


@app.command()
def sessions(snapshot: Path = typer.Argument(..., help="Snapshot directory."),
             format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """List every configured BGP session with its state and, if down, why."""
    snap = _load(snapshot, progress=format is Format.text)
    with _status("simulating", format is Format.text):
        doc = sessions_document(snap)
    items = doc["sessions"]
    if format is Format.json:
        _json(doc)
    else:
        out = _out()
        if not items:
            out.print("No BGP speakers in this snapshot.")
        for s in items:
            style = {"established": "green", "unknown": "yellow"}.get(s["state"], "bold red")
            b = s["b"]
            other = f"{b['speaker']} ({b['peer']})" if b else str(s["a"]["remote_address"])
            out.print(f"[{style}]{s['state']:<11}[/] {escape(s['a']['speaker'])} ({escape(s['a']['peer'])}, "
                      f"AS {s['a']['local_as']}) <-> {escape(other)}  {', '.join(s['families'])}")
            if s["reason"]:
                out.print(f"            {escape(s['reason'])}")
            if s.get("settle"):
                out.print(f"            would be settled by: {escape(s['settle'])}")
            for fam, why in s["family_problems"].items():
                out.print(f"            {fam}: {escape(why)}")
    if not snap.usable:
        raise typer.Exit(2)


@app.command()
def routes(snapshot: Path = typer.Argument(..., help="Snapshot directory."),
           host: str = typer.Argument(..., help="Host (node or router) name."),
           family: Optional[int] = typer.Option(None, "--family", help="4 or 6."),
           vrf: Optional[str] = typer.Option(None, "--vrf", help="Only this VRF / BIRD table."),
           protocol: Optional[str] = typer.Option(None, "--protocol", help="bgp (daemon tables) or kernel."),
           format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """Each daemon's BGP table and the kernel routing table of HOST, as simulated."""
    snap = _load(snapshot, progress=format is Format.text)
    if host not in snap.cluster.hosts:
        _err().print(f"error: no host {host!r} in the snapshot (hosts: {', '.join(sorted(snap.cluster.hosts))})",
                     markup=False)
        raise typer.Exit(2)
    from podpath.report import routes_document

    with _status("simulating", format is Format.text):
        doc = routes_document(snap, host, family, vrf, protocol)
    if format is Format.json:
        _json(doc)
    else:
        out = _out()
        for t in doc["bgp"]:
            out.print(f"[bold]{escape(t['speaker'])}[/] ({t['daemon']}, vrf {escape(str(t['vrf']))})")
            for r in t["routes"]:
                flag = (">" if r["best"] else " ") + ("*" if r["valid"] else " ")
                out.print(f"  {flag} {r['prefix']:<28} via {r['next_hop'] or '-':<24} path [{r['as_path']}] "
                          f"from {escape(r['from'])}" + (f" lc {' '.join(r['large_communities'])}" if r["large_communities"] else "")
                          + (f" ({escape(r['note'])})" if r["note"] else ""))
        if doc["kernel"] is not None:
            out.print(f"[bold]kernel[/] ({escape(host)}, main table)")
            for r in doc["kernel"]:
                out.print(f"  {escape(r['route'])}  [dim]{escape(r['source'])}[/]")
    if not snap.usable:
        raise typer.Exit(2)


@app.command("explain")
def explain_cmd(snapshot: Path = typer.Argument(..., help="Snapshot directory."),
                prefix: str = typer.Argument(..., help="The prefix to follow, e.g. a pod CIDR, or a host address "
                                             "such as a pod IP (its covering routes are explained)."),
                at: Optional[str] = typer.Option(None, "--at", help="Also trace a packet from this host."),
                format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """Where PREFIX originates, every hop and policy decision on the way, where it stops, and what would fix it.

    A host address (a pod IP, an IPv6 /128 or IPv4 /32 no table holds as such) is explained through the
    prefixes that cover it: the pod CIDR it is inside and each host's longest-match route for it."""
    net = _ip_prefix(prefix)
    snap = _load(snapshot, progress=format is Format.text)
    if at is not None and at not in snap.cluster.hosts:
        _err().print(f"error: --at: {escape(_no_host(snap, at))}")
        raise typer.Exit(2)
    from podpath.routing.explain import explain_address

    with _status("simulating", format is Format.text):
        covering, exs = explain_address(snap, net, at)
    items = list(exs.values())
    if format is Format.json:
        docs = [explain_document(snap, ex) for ex in items]  # redacted
        _json({**docs[0], "query": str(net), "covering": [c.to_json() for c in covering],
               "explanations": [{k: v for k, v in d.items() if k != "schema"} for d in docs]})
    else:
        out = _out()
        for c in covering:
            out.print(f"[bold]{escape(c.why)}; explaining {escape(str(c.prefix))}[/]")
        for i, ex in enumerate(items):
            if i or covering:
                out.print()
            _print_explanation(out, snap, ex)
        trace = next((ex.trace for ex in items if ex.trace is not None), None)
        if trace is not None:
            verdict = "delivered" if trace.delivered else f"NOT delivered: {trace.cause}"
            out.print(f"[bold]Packet from {escape(at or '')} to {escape(str(net.network_address) if covering else str(net))}"
                      f"[/]: {escape(verdict)}")
            for hop in trace.hops:
                out.print(f"  {escape(hop.describe())}")
        elif at is not None:
            out.print(f"[bold]Packet from {escape(at)}[/]: not traced: {escape(str(net))} is not inside any node's pod CIDR")
    if not snap.usable:
        raise typer.Exit(2)


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


@app.command()
def rules(format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """List every check with its id, severity and documentation."""
    doc = rules_document()
    if format is Format.json:
        _json(doc)
        return
    out = _out()
    for r in doc:
        out.print(f"[bold]{r['id']}[/] {r['name']} ({r['severity']}): {escape(r['title'])}")


INCOMPLETE_EXIT = 3  # `lab run` / `lab compare`: some routers could not run, so not everything was compared

lab_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                      help="Run the snapshot's real daemons in network namespaces (needs root). Exit codes: 0 all "
                           "compared and equal; 1 differences (compare); 2 unusable input or lab error; 3 incomplete: "
                           "some routers could not run here (listed as not compared).")
app.add_typer(lab_app, name="lab")


def _lab_guard() -> None:
    import os

    if os.geteuid() != 0:
        _err().print("error: podpath lab needs root: it creates network namespaces, veth pairs and bridges "
                     "(nothing outside its own namespaces)")
        raise typer.Exit(2)


def _run_lab(snap: Any, daemons: str, timeout: float) -> dict[str, Any]:
    """run_lab with its failures as one-line errors (exit 2), never a traceback.

    The lab has removed everything it made before any of these reach here.
    """
    from podpath.lab.errors import LabError, LabInterrupted, LabTimeout
    from podpath.lab.run import run_lab

    try:
        with _status("running the snapshot's daemons in the lab and waiting for them to converge"):
            result = run_lab(snap, daemons, timeout)
        return lab_document(snap, result)
    except LabError as e:  # may quote a daemon's complaint about the user's configuration: redacted
        _err().print(f"error: podpath lab: {escape(redact_text(snap, str(e)))}")
        raise typer.Exit(2) from None
    except LabTimeout as e:
        _err().print(f"error: podpath lab: {escape(redact_text(snap, str(e)) or 'time bound exceeded')}; "
                     "everything it made was removed")
        raise typer.Exit(2) from None
    except LabInterrupted as e:
        _err().print(f"podpath lab: {escape(str(e))}; everything it made was removed")
        raise typer.Exit(130) from None
    except Exception as e:  # a defect in podpath, not in the user's input: say so, briefly
        _err().print(f"error: podpath lab failed ({type(e).__name__}: {escape(redact_text(snap, str(e)))}); this is a podpath bug, "
                     "please report it with the snapshot")
        raise typer.Exit(2) from None


@lab_app.command("run")
def lab_run(snapshot: Path = typer.Argument(...), daemons: str = typer.Option("host", "--daemons", help="host|trixie|DIR"),
            timeout: float = typer.Option(300.0, "--timeout"), format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """Start every host's daemons with the user's configs, wait for convergence, print the tables.

    Exit 3 when some router could not run here (listed under "not run"), 2 on a lab error."""
    _lab_guard()
    from podpath.lab.run import not_compared

    snap = _load(snapshot)
    doc = _run_lab(snap, daemons, timeout)
    missing = not_compared(snap, doc)
    doc["complete"] = not missing
    doc["not_compared"] = missing
    if format is Format.json:
        _json(doc)
    else:
        out = _out()
        for host, data in sorted(doc["hosts"].items()):
            for kind, rows in sorted(data.get("bgp", {}).items()):
                out.print(f"[bold]{escape(host)} {kind}[/] sessions {data['sessions'].get(kind)}")
                for r in rows:
                    out.print(f"  {r['prefix']:<28} via {r['next_hop'] or '-':<24} [{r['as_path']}]")
        _print_not_compared(out, missing, "NOT RUN")
        out.print(f"versions {doc['versions']}; converged in {doc.get('convergence_s', '?')} s"
                  + (f"; incomplete: {len(missing)} part(s) not run (exit {INCOMPLETE_EXIT})" if missing else ""))
    if missing:
        raise typer.Exit(INCOMPLETE_EXIT)


def _print_not_compared(out: Console, missing: list[str], title: str = "NOT COMPARED") -> None:
    if missing:
        out.print(f"[yellow]{title} ({len(missing)})[/]: the lab could not run these here")
        for m in missing:
            out.print(f"  - {escape(m)}")


@lab_app.command("compare")
def lab_compare(snapshot: Path = typer.Argument(...), daemons: str = typer.Option("host", "--daemons"),
                timeout: float = typer.Option(300.0, "--timeout")) -> None:
    """Run the lab and the simulator and print every difference.

    Exit 1 if there is any; else 3 if some router could not run here (what was not compared is listed);
    else 0."""
    _lab_guard()
    from podpath.lab.run import compare, not_compared

    snap = _load(snapshot)
    t0 = __import__("time").perf_counter()
    snap.simulate()
    sim_s = __import__("time").perf_counter() - t0
    doc = _run_lab(snap, daemons, timeout)
    from podpath.lab.run import is_timing

    diffs = compare(snap, doc)
    out = _out()
    for d in diffs:
        out.print(escape(redact_text(snap, d)))
    missing = not_compared(snap, doc)
    _print_not_compared(out, missing)
    real = [d for d in diffs if not is_timing(d)]
    timing = len(diffs) - len(real)
    out.print(f"{len(real)} difference(s)" + (f" (and {timing} in prefixes whose outcome depends on message timing, "
                                               "see BGP005)" if timing else "")
              + (f" in what was compared; INCOMPLETE: {len(missing)} part(s) not compared" if missing else "")
              + f"; lab {doc.get('elapsed_s')} s vs simulator {sim_s:.2f} s")
    raise typer.Exit(1 if real else INCOMPLETE_EXIT if missing else 0)


@lab_app.command("clean")
def lab_clean(force: bool = typer.Option(False, "--force", help="Also remove runs whose creator is alive.")) -> None:
    """Remove namespaces, links and processes left by a lab run that was killed."""
    _lab_guard()
    from podpath.lab.state import clean_leftovers

    rep = clean_leftovers(force=force)
    _out().print(f"removed runs {rep.runs}, namespaces {rep.namespaces}, processes {rep.processes}, "
                 f"links {rep.links}; skipped live {rep.skipped_live}")


def main() -> None:
    """Console-script entry point; never lets a Python traceback reach the user on bad input."""
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130)
    finally:
        # The interpreter's shutdown collections walk every object a large check left behind: 4 s of CPU
        # after the output of a 1,000-node check. Nothing needs collecting any more: move it all out of
        # the collector's reach (atexit handlers still run; memory is returned as usual).
        import gc

        gc.freeze()


from podpath import cli_collect  # noqa: E402,F401
from podpath import cli_diff  # noqa: E402,F401
from podpath import cli_fix  # noqa: E402,F401
from podpath import cli_policy  # noqa: E402,F401
from podpath import cli_report  # noqa: E402,F401
from podpath import cli_trace  # noqa: E402,F401

if __name__ == "__main__":  # `python -m podpath.cli`: run the imported module, where cli_* registered commands
    from podpath.cli import main as _main

    _main()
