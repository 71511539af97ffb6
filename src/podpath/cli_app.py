"""The typer application of `podpath`: every command's options, help and usage errors.

podpath.cli has the commands' work and `main()`, which hands a plain `podpath check` to podpath.cli.run_check
without importing this module (typer builds a pydantic TypeAdapter per parameter: ~0.2 s of imports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from podpath import __version__, cli
from podpath.cli import (INCOMPLETE_EXIT, CheckFormat, FailOn, Format, _err, _json, _load, _no_host, _out,
                         _print_explanation, _print_not_compared, _print_show, _status, run_check)
from podpath.report import explain_document, lab_document, redact_text, rules_document, sessions_document, show_document

app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode=None,
                  help="Offline verifier and troubleshooter for Kubernetes pod networking.")


def _version(value: bool) -> None:
    if value:
        print(f"podpath {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                              help="Print the version and exit."),
                 quiet: bool = typer.Option(False, "--quiet", "-q", help="On stderr only errors: no notes, "
                                            "warnings or progress."),
                 verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print how long loading and "
                                              "checking took (stderr).")) -> None:
    """podpath reads a snapshot (a directory of your own config files and evidence) and checks it."""
    cli.VERBOSITY = -1 if quiet else 1 if verbose else 0


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
    run_check(snapshot, format, fail_on, rule, root, config, no_repair, set_, patch)


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



from podpath import cli_collect  # noqa: E402,F401
from podpath import cli_diff  # noqa: E402,F401
from podpath import cli_fix  # noqa: E402,F401
from podpath import cli_policy  # noqa: E402,F401
from podpath import cli_report  # noqa: E402,F401
from podpath import cli_trace  # noqa: E402,F401
