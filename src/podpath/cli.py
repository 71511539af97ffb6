"""The `podpath` command: a thin layer over `podpath.load()` and the checks.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
2 unusable input or usage error (diagnostics on stderr as file:line:col)."""

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
from podpath.report import check_document, rules_document, show_document
from podpath.snapshot import Snapshot, load

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Offline verifier and troubleshooter for Kubernetes pod networking.")


class Format(str, Enum):
    text = "text"
    json = "json"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        print(f"podpath {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                              help="Print the version and exit.")) -> None:
    """podpath reads a snapshot (a directory of your own config files and evidence) and checks it."""


def _load(path: Path) -> Snapshot:
    snap = load(path)
    err = _err()
    for d in snap.diagnostics:
        style = {"error": "bold red", "warning": "yellow", "note": "dim"}[d.level.value]
        err.print(f"[{style}]{escape(d.render())}[/]")
    return snap


def _json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=False) + "\n")


_HEADING = {"error": "ERRORS", "warning": "WARNINGS", "info": "INFO"}
_SEV_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


@app.command()
def check(snapshot: Path = typer.Argument(..., help="Snapshot directory (or a single file)."),
          format: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
          fail_on: FailOn = typer.Option(FailOn.error, "--fail-on", help="Exit 1 if a finding at or above this severity exists."),
          rule: Optional[list[str]] = typer.Option(None, "--rule", "-r", help="Run only these rules (id or name)."),
          ) -> None:
    """Run every check and print findings grouped by severity."""
    snap = _load(snapshot)
    report = snap.check(rule)
    if format is Format.json:
        _json(check_document(snap, report))
    else:
        _print_check(snap, report)
    if not snap.usable:
        raise typer.Exit(2)
    if fail_on is not FailOn.never and report.at_or_above(Severity(fail_on.value)):
        raise typer.Exit(1)


def _print_check(snap: Snapshot, report: Any) -> None:
    out = _out()
    v = snap.cilium.version
    where = f"{v.loc}" if v.loc else "assumed: no version stated"
    out.print(f"[bold]podpath {__version__}[/]  snapshot {escape(str(snap.root))}  "
              f"(Cilium {escape(v.value)}, {escape(where)})")
    for sev in Severity:
        group = [f for f in report.findings if f.severity is sev]
        if not group:
            continue
        out.print()
        out.print(f"[{_SEV_STYLE[sev.value]}]{_HEADING[sev.value]} ({len(group)})[/]")
        for f in group:
            out.print()
            out.print(f"[{_SEV_STYLE[sev.value]}]{f.rule}[/] {escape(f.name)} [dim]\\[{escape(f.subject)}][/]")
            out.print(f"  {escape(f.message)}")
            locs = sorted(set(f.locations))
            for i, loc in enumerate(locs):
                out.print(("  at " if i == 0 else "     ") + escape(str(loc)))
            if f.evidence:
                out.print("  evidence:")
                for e in f.evidence:
                    out.print(f"    - {escape(e)}")
            if f.fix:
                out.print(f"  fix: {escape(f.fix.description)}")
                if f.fix.yaml:
                    if f.fix.file:
                        out.print(f"    in {escape(f.fix.file)}:")
                    for line in f.fix.yaml.rstrip("\n").splitlines():
                        out.print(f"      [green]{escape(line)}[/]")
    c = report.counts()
    out.print()
    summary = f"{c['error']} error(s), {c['warning']} warning(s), {c['info']} info"
    if not report.findings:
        summary = "no findings"
    out.print(f"[bold]Summary:[/] {summary}.")
    if not report.complete:
        n = sum(1 for u in snap.unsupported if u.affects_routes)
        out.print(f"[yellow]Results may be incomplete:[/] {n} statement(s) that may affect routes are not modelled "
                  "(`podpath show` lists them).")


@app.command()
def show(snapshot: Path = typer.Argument(..., help="Snapshot directory (or a single file)."),
         format: Format = typer.Option(Format.text, "--format", "-f", help="Output format.")) -> None:
    """Show what was loaded: nodes, families, pod/service CIDRs, Cilium settings and where each came from."""
    snap = _load(snapshot)
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
    out.print("[bold]Files[/]")
    for f in doc["files"]:
        out.print(f"  {escape(f['path'])}: {escape(f['kind'])}" + (f" (host {escape(f['host'])})" if f["host"] else ""))
    out.print("\n[bold]Nodes[/]")
    for n in doc["nodes"]:
        addrs = ", ".join(f"{a['address']} ({a['type']})" for a in n["addresses"])
        out.print(f"  {escape(n['name'])}{' [control-plane]' if n['control_plane'] else ''}: {escape(addrs)}")
        for c in n["pod_cidrs"]:
            out.print(f"    pod CIDR {escape(_src(c))}")
    out.print("\n[bold]Families[/]")
    for f in doc["families"]:
        out.print(f"  {f['family']}: enabled={f['enabled']} masquerade={f['masquerade']} "
                  f"native-routing-cidr={f['native_routing_cidr'] or '-'}")
        for p in f["pod_subnets"]:
            out.print(f"    pod subnet {escape(_src(p))}")
        for p in f["service_subnets"]:
            out.print(f"    service subnet {escape(_src(p))}")
    if doc["segments"]:
        out.print("\n[bold]L2 segments[/]")
        for s in doc["segments"]:
            out.print(f"  {escape(s['name'])}{' (inferred)' if s['inferred'] else ''}: "
                      f"{', '.join(p['value'] for p in s['prefixes'])}; mtu {escape(_src(s['mtu']))}; "
                      f"members {', '.join(s['members']) or '-'}")
    hosts = [h for h in doc["hosts"] if h["interfaces"] or h["route_files"] or h["cilium_status"]]
    if hosts:
        out.print("\n[bold]Hosts[/]")
        for h in hosts:
            out.print(f"  {escape(h['name'])}")
            for i in h["interfaces"]:
                out.print(f"    {escape(i['name'])}: {', '.join(a['value'] for a in i['addresses'])} mtu {escape(_src(i['mtu']))}")
            for r in h["route_files"]:
                out.print(f"    routes from {escape(r)}")
            if h["cilium_status"]:
                out.print(f"    cilium status from {escape(h['cilium_status'])}")
    c = doc["cilium"]
    out.print("\n[bold]Cilium[/]" + (f" {escape(_src(c['version']))}" if c["present"] else ": no configuration found"))
    if c["present"]:
        out.print(f"  routing mode {c['routing_mode']}, BPF host routing {'yes' if c['bpf_host_routing'] else 'no'}")
        for s in c["settings"]:
            loc = s["location"]
            where = f"{loc['file']}:{loc['line']}" if loc else (s["note"] or s["origin"])
            tag = " (default)" if s["origin"] == "default" else ""
            helm = f" [helm {s['helm_key']}]" if s["helm_key"] else ""
            out.print(f"  {escape(s['key'])} = {escape(repr(s['value']))}{tag}{escape(helm)}  [dim]{escape(where)}[/]")
    if doc["routers"]:
        out.print("\n[bold]Routing daemons[/]")
        for r in doc["routers"]:
            out.print("  " + escape(json.dumps(r, sort_keys=True)))
    if doc["unsupported"]:
        out.print("\n[bold]Read but not modelled[/]")
        for u in doc["unsupported"]:
            loc = u["location"]
            where = f"{loc['file']}:{loc['line']}" if loc.get("line") else loc["file"]
            mark = "" if u["affects_routes"] else " (does not affect routes)"
            out.print(f"  {escape(where)}: {escape(u['statement'])}: {escape(u['why'])}{mark}")


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
    snap = _load(snapshot)
    res = snap.simulate() if snap.has_control_plane else None
    items = [s.to_json() for s in res.sessions] if res else []
    if format is Format.json:
        _json({"schema": "podpath/sessions/v1", "sessions": items})
    else:
        out = _out()
        if not items:
            out.print("No BGP speakers in this snapshot.")
        for s in items:
            style = "green" if s["state"] == "established" else "bold red"
            b = s["b"]
            other = f"{b['speaker']} ({b['peer']})" if b else str(s["a"]["remote_address"])
            out.print(f"[{style}]{s['state']:<11}[/] {escape(s['a']['speaker'])} ({escape(s['a']['peer'])}, "
                      f"AS {s['a']['local_as']}) <-> {escape(other)}  {', '.join(s['families'])}")
            if s["reason"]:
                out.print(f"            {escape(s['reason'])}")
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
    snap = _load(snapshot)
    if host not in snap.cluster.hosts:
        _err().print(f"error: no host {host!r} in the snapshot (hosts: {', '.join(sorted(snap.cluster.hosts))})")
        raise typer.Exit(2)
    from podpath.report import routes_document

    doc = routes_document(snap, host, family, vrf, protocol)
    if format is Format.json:
        _json(doc)
    else:
        out = _out()
        for t in doc["bgp"]:
            out.print(f"[bold]{escape(t['speaker'])}[/] ({t['daemon']}, vrf {t['vrf']})")
            for r in t["routes"]:
                flag = (">" if r["best"] else " ") + ("*" if r["valid"] else " ")
                out.print(f"  {flag} {r['prefix']:<28} via {r['next_hop'] or '-':<24} path [{r['as_path']}] "
                          f"from {escape(r['from'])}" + (f" lc {' '.join(r['large_communities'])}" if r["large_communities"] else "")
                          + (f" ({escape(r['note'])})" if r["note"] else ""))
        if doc["kernel"] is not None:
            out.print(f"[bold]kernel[/] ({host}, main table)")
            for r in doc["kernel"]:
                out.print(f"  {escape(r['route'])}  [dim]{escape(r['source'])}[/]")
    if not snap.usable:
        raise typer.Exit(2)


@app.command("explain")
def explain_cmd(snapshot: Path = typer.Argument(..., help="Snapshot directory."),
                prefix: str = typer.Argument(..., help="The prefix to follow, e.g. a pod CIDR."),
                at: Optional[str] = typer.Option(None, "--at", help="Also trace a packet from this host."),
                format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """Where PREFIX originates, every hop and policy decision on the way, where it stops, and what would fix it."""
    net = _ip_prefix(prefix)
    snap = _load(snapshot)
    if at is not None and at not in snap.cluster.hosts:
        _err().print(f"error: no host {at!r} in the snapshot")
        raise typer.Exit(2)
    from podpath.routing.explain import explain

    ex = explain(snap, net, at)
    if format is Format.json:
        _json({"schema": "podpath/explain/v1", **ex.to_json()})
    else:
        out = _out()
        out.print(f"[bold]{escape(str(net))}[/]" + (f" (pod CIDR of {escape(ex.owner)})" if ex.owner else ""))
        if not ex.steps:
            out.print("  nobody originates it")
        for d in ex.steps:
            mark = "[green]+[/]" if d.accepted else "[bold red]x[/]"
            out.print(f"  {mark} {d.stage:<9} {escape(d.text)}" + (f"  [dim]{escape(str(d.loc))}[/]" if d.loc else ""))
            if d.policy is not None and not d.accepted:
                for step in d.policy.trace:
                    out.print(f"        {escape(str(step.loc or ''))} {escape(step.text)} -> {step.effect}")
        out.print("[bold]Where it ends up[/]")
        for h in ex.hosts:
            tables = ", ".join(h.tables) or "-"
            out.print(f"  {escape(h.host):<10} BGP: {escape(tables):<30} kernel: {escape(h.kernel or 'no route')}")
        if ex.trace is not None:
            verdict = "delivered" if ex.trace.delivered else f"NOT delivered: {ex.trace.cause}"
            out.print(f"[bold]Packet from {escape(at or '')}[/]: {escape(verdict)}")
            for hop in ex.trace.hops:
                out.print(f"  {escape(hop.describe())}")
        if ex.fixes:
            out.print("[bold]What would let it through[/]")
            for fx in ex.fixes:
                out.print(f"  - {escape(fx)}")
    if not snap.usable:
        raise typer.Exit(2)


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


lab_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                      help="Run the snapshot's real daemons in network namespaces (needs root).")
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
        return run_lab(snap, daemons, timeout)
    except LabError as e:
        _err().print(f"error: podpath lab: {escape(str(e))}")
        raise typer.Exit(2) from None
    except LabTimeout as e:
        _err().print(f"error: podpath lab: {escape(str(e) or 'time bound exceeded')}; everything it made was removed")
        raise typer.Exit(2) from None
    except LabInterrupted as e:
        _err().print(f"podpath lab: {escape(str(e))}; everything it made was removed")
        raise typer.Exit(130) from None
    except Exception as e:  # a defect in podpath, not in the user's input: say so, briefly
        _err().print(f"error: podpath lab failed ({type(e).__name__}: {escape(str(e))}); this is a podpath bug, "
                     "please report it with the snapshot")
        raise typer.Exit(2) from None


@lab_app.command("run")
def lab_run(snapshot: Path = typer.Argument(...), daemons: str = typer.Option("host", "--daemons", help="host|trixie|DIR"),
            timeout: float = typer.Option(300.0, "--timeout"), format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """Start every host's daemons with the user's configs, wait for convergence, print the tables."""
    _lab_guard()
    snap = _load(snapshot)
    doc = _run_lab(snap, daemons, timeout)
    if format is Format.json:
        _json(doc)
    else:
        out = _out()
        for host, data in sorted(doc["hosts"].items()):
            for kind, rows in sorted(data.get("bgp", {}).items()):
                out.print(f"[bold]{escape(host)} {kind}[/] sessions {data['sessions'].get(kind)}")
                for r in rows:
                    out.print(f"  {r['prefix']:<28} via {r['next_hop'] or '-':<24} [{r['as_path']}]")
        for nr in doc["not_run"]:
            out.print(f"[yellow]not run[/]: {escape(str(nr))}")
        out.print(f"versions {doc['versions']}; converged in {doc.get('convergence_s', '?')} s")


@lab_app.command("compare")
def lab_compare(snapshot: Path = typer.Argument(...), daemons: str = typer.Option("host", "--daemons"),
                timeout: float = typer.Option(300.0, "--timeout")) -> None:
    """Run the lab and the simulator and print every difference; exit 1 if there is any."""
    _lab_guard()
    from podpath.lab.run import compare

    snap = _load(snapshot)
    t0 = __import__("time").perf_counter()
    snap.simulate()
    sim_s = __import__("time").perf_counter() - t0
    doc = _run_lab(snap, daemons, timeout)
    from podpath.lab.run import is_timing

    diffs = compare(snap, doc)
    out = _out()
    for d in diffs:
        out.print(escape(d))
    for nr in doc["not_run"]:
        out.print(f"not run: {escape(str(nr))}")
    real = [d for d in diffs if not is_timing(d)]
    timing = len(diffs) - len(real)
    out.print(f"{len(real)} difference(s)" + (f" (and {timing} in prefixes whose outcome depends on message timing, "
                                               "see BGP005)" if timing else "")
              + f"; lab {doc.get('elapsed_s')} s vs simulator {sim_s:.2f} s")
    raise typer.Exit(1 if real else 0)


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


if __name__ == "__main__":
    main()
