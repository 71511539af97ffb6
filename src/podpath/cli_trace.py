"""`podpath trace` and `podpath reach`: one packet through Cilium's datapath, and the all-pairs matrix.

Exit codes of `trace`: 0 delivered, 1 dropped, 3 unknown (what would settle it is printed), 2 usage error or
unusable input. `reach` exits 1 when some pair is dropped, 3 when none is but some is unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from podpath.cli import Format, _err, _json, _load, _out, app
from podpath.report import reach_document, redact_text, trace_document

_VERDICT_STYLE = {"delivered": "bold green", "dropped": "bold red", "unknown": "yellow"}
_EXIT = {"delivered": 0, "dropped": 1, "unknown": 3}


def _family(value: Optional[int]) -> Optional[int]:
    if value is not None and value not in (4, 6):
        raise typer.BadParameter("--family must be 4 or 6")
    return value


@app.command("trace")
def trace_cmd(snapshot: Path = typer.Argument(..., help="Snapshot directory."),
              src: str = typer.Argument(..., help="Source: pod ns/name (or a workload's name), node name, host of "
                                        "the snapshot, or an IP address (pod, node, external)."),
              dst: str = typer.Argument(..., help="Destination[:PORT[/tcp|udp]]: pod ns/name, service ns/name, node, "
                                        "or an IP (pod, ClusterIP, external); IPv6 with a port as [ADDR]:PORT."),
              family: Optional[int] = typer.Option(None, "--family", callback=_family,
                                                   help="4 or 6 when both ends are dual-stack names."),
              format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """Trace the first packet of a connection through Cilium's datapath: service translation, egress policy,
    routing, masquerade, the underlay, the destination's identity and ingress policy; the predicted Hubble events
    and captures, and how they compare with the snapshot's `hubble observe` output and route dumps."""
    from podpath.datapath.services import parse_target
    from podpath.datapath.trace import TraceError, trace

    try:
        host, port, proto = parse_target(dst)
    except ValueError as exc:
        _err().print(f"error: DST: {escape(str(exc))}")
        raise typer.Exit(2)
    snap = _load(snapshot)
    if not snap.usable:
        raise typer.Exit(2)
    try:
        res = trace(snap, src, host, port, proto, family)
    except TraceError as exc:
        _err().print(f"error: {escape(redact_text(snap, str(exc)))}")
        raise typer.Exit(2)
    doc = trace_document(snap, res)  # redacted
    if format is Format.json:
        _json(doc)
    else:
        _print_trace(doc)
    raise typer.Exit(_EXIT[res.verdict])


def _loc(l: dict[str, Any]) -> str:
    return f"{l['file']}:{l['line']}:{l['col']}" if l.get("line") else str(l.get("file"))


def _locs(ls: list[dict[str, Any]]) -> str:
    return "  [dim]" + escape(", ".join(_loc(l) for l in ls)) + "[/]" if ls else ""


def _print_trace(doc: dict[str, Any]) -> None:
    out = _out()
    s, d = doc["source"], doc["destination"]
    port = f" port {doc['port']}/{doc['protocol']}" if doc["port"] is not None else f" ({doc['protocol']})"
    out.print(f"[bold]TRACE[/] {escape(s['kind'])} {escape(s['name'])} ({escape(str(s['address']))}"
              f"{', ' + escape(s['node']) if s['node'] and s['kind'] == 'pod' else ''}) -> {escape(d['kind'])} "
              f"{escape(d['name'])} ({escape(str(d['address']))}){escape(port)}, IPv{doc['family']}")
    v = doc["verdict"]
    out.print(f"[{_VERDICT_STYLE[v]}]{v.upper()}[/]" + (f" on {escape(doc['where'])}" if doc["where"] else "")
              + f": {escape(doc['why'])}" + _locs(doc["locations"]))
    out.print("[bold]PATH[/]")
    for st in doc["steps"]:
        out.print(f"  {escape(st['node'] or '-'):<10} {escape(st['hook']):<11} {escape(st['text'])}"
                  + _locs(st["locations"]))
    if doc["rewrites"]:
        out.print("[bold]ADDRESS REWRITES[/]")
        for r in doc["rewrites"]:
            out.print(f"  {r['kind']} on {escape(r['node'] or '?')} ({escape(r['hook'])}): {escape(r['before'])} -> "
                      f"{escape(r['after'])}" + _locs(r["locations"]))
    out.print("[bold]HUBBLE[/] (what `hubble observe` would show per node)")
    for e in doc["hubble"]:
        if e["suppressed"]:
            out.print(f"  {escape(e['node'])}: [dim](not emitted: {escape(e['suppressed'])}) {escape(e['text'])}[/]")
        else:
            out.print(f"  {escape(e['node'])}: {escape(e['text'])}")
    out.print("[bold]CAPTURES[/] (tcpdump on each interface)")
    for c in doc["captures"]:
        note = f"  [dim]{escape(c['note'])}[/]" if c["note"] else ""
        out.print(f"  {escape(c['node'])} {escape(c['interface'])} {c['direction']}: {escape(c['shows'])}{note}")
    if doc["hops"]:
        out.print("[bold]ROUTING[/]")
        for h in doc["hops"]:
            loc = f"  [dim]{escape(_loc(h['location']))}[/]" if h["location"] else ""
            out.print(f"  {escape(h['host'])}: {escape(h['route'])} [{escape(h['source'])}] -> "
                      f"{escape(h['next'] or 'outside the snapshot')}{loc}")
    mtu = doc.get("mtu")
    if mtu:
        fits = mtu.get("fits")
        out.print(f"[bold]MTU[/] pod {mtu['pod_mtu']}, path {mtu.get('path_mtu') or '?'}"
                  + ("" if fits is None else (": fits" if fits else ": [red]too large[/]")))
    if doc["route_evidence"] or doc["observations"] or doc["unobserved"]:
        out.print("[bold]EVIDENCE[/]")
        for e in doc["route_evidence"] + doc["observations"]:
            mark = "[green]explained[/]" if e["status"] == "explained" else "[red]contradicts[/]"
            loc = f"{_loc(e['location'])} " if e.get("location") else ""
            out.print(f"  {mark} {escape(loc)}{escape(e['observed'])}  [dim]{escape(e['why'])}[/]")
        for e in doc["unobserved"]:
            out.print(f"  [yellow]not observed[/] {escape(e['node'])}: {escape(e['text'])}  [dim]{escape(e['why'])}[/]")
    if doc["unknown"]:
        out.print("[bold]UNKNOWN[/] (what would settle it)")
        for u in doc["unknown"]:
            out.print(f"  - {escape(u)}")


@app.command("reach")
def reach_cmd(snapshot: Path = typer.Argument(..., help="Snapshot directory."),
              family: int = typer.Option(4, "--family", callback=_family, help="4 or 6."),
              format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """All pairs of one family: from a pod on every node to a pod on every node and to every Service, through
    the datapath with policy (each cell is one `podpath trace`)."""
    from podpath.datapath.trace import reach

    snap = _load(snapshot)
    if not snap.usable:
        raise typer.Exit(2)
    rows, cols, cells = reach(snap, family)
    doc = reach_document(snap, family, rows, cols, cells)
    if format is Format.json:
        _json(doc)
    else:
        _print_reach(doc)
    verdicts = {c["verdict"] for c in doc["cells"]}
    raise typer.Exit(1 if "dropped" in verdicts else 3 if "unknown" in verdicts else 0)


def _print_reach(doc: dict[str, Any]) -> None:
    out = _out()
    mark = {"delivered": "ok", "dropped": "DROP", "unknown": "?"}
    grid = {(c["source"], c["destination"]): c for c in doc["cells"]}
    cols = doc["destinations"]
    out.print(f"[bold]REACH IPv{doc['family']}[/] (rows: sources, columns: destinations)")
    for i, col in enumerate(cols):
        out.print(f"  [{i + 1}] {escape(col)}")
    width = max([len(r) for r in doc["sources"]] + [6])
    out.print(" " * (width + 2) + " ".join(f"{i + 1:>4}" for i in range(len(cols))))
    for r in doc["sources"]:
        row = []
        for col in cols:
            c = grid.get((r, col))
            row.append(f"{'-' if c is None else mark[c['verdict']]:>4}")
        out.print(f"  {escape(r):<{width}} " + " ".join(escape(x) for x in row))
    bad = [c for c in doc["cells"] if c["verdict"] != "delivered"]
    if bad:
        out.print("[bold]NOT DELIVERED[/]")
        for c in bad:
            out.print(f"  {escape(c['source'])} -> {escape(c['destination'])}: {c['verdict']}"
                      f"{' on ' + escape(c['where']) if c['where'] else ''}: {escape(c['why'])}")
    counts = ", ".join(f"{k} {v}" for k, v in doc["counts"].items())
    out.print(f"[bold]{counts}[/]")
