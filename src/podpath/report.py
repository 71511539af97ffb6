"""Turn a snapshot and its findings into JSON documents (the `--format json`
schema, see docs/json.md) — the text renderer formats the same documents.

Every document and every text that leaves podpath is built here and redacted here
(podpath.redact: passwords, keys, Secret data never appear in any output), so a new
output format inherits the redaction by formatting these documents.
"""

from __future__ import annotations

from typing import Any

from podpath import __version__
from podpath.checks import RULES, Report
from podpath.snapshot import Snapshot

CHECK_SCHEMA = "podpath/check/v1"
SHOW_SCHEMA = "podpath/show/v1"


def _loc(loc: Any) -> Any:
    return loc.to_json() if loc is not None else None


def _sourced(s: Any) -> Any:
    if s is None:
        return None
    return {"value": str(s.value), "origin": s.origin, "location": _loc(s.loc)}


def redact_text(snap: Snapshot, text: str) -> str:
    """Free text about a snapshot (a lab error, a daemon's message) with its secrets redacted."""
    from podpath.redact import redact_statements

    return snap.secrets.text(redact_statements(text))


def diagnostic_texts(snap: Snapshot) -> list[tuple[str, str]]:
    """(level, rendered diagnostic) for stderr: the quoted source line is redacted."""
    return [(d.level.value, d.render(snap.secrets)) for d in snap.diagnostics]


def _diagnostic(snap: Snapshot, d: Any) -> dict[str, Any]:
    j = d.to_json()
    j["message"] = snap.secrets.at(d.message, d.loc.file, d.loc.line)
    return j


def _unsupported(snap: Snapshot, u: Any) -> dict[str, Any]:
    j = u.to_json()
    j["statement"] = snap.secrets.line(u.statement, u.loc.file, u.loc.line)
    return j


def _redacted(snap: Snapshot, doc: dict[str, Any]) -> dict[str, Any]:
    return snap.secrets.doc(doc)  # type: ignore[no-any-return]


def check_document(snap: Snapshot, report: Report) -> dict[str, Any]:
    return _redacted(snap, {
        "schema": CHECK_SCHEMA,
        "podpath": __version__,
        "cilium_version": _sourced(snap.cilium.version),
        "complete": report.complete,
        "not_checked": [n.to_json() for n in report.not_checked],
        "summary": report.counts(),
        "reachability": reachability(snap),
        "findings": [f.to_json() for f in report.findings],
        "suppressed": [s.to_json() for s in report.suppressed],
        "diagnostics": [_diagnostic(snap, d) for d in snap.diagnostics],
        "unsupported": [_unsupported(snap, u) for u in snap.unsupported if u.affects_routes],
    })


def check_output(snap: Snapshot, report: Report, fmt: str, *, root: Any = None, fail_on: str = "error",
                 rules: list[str] | None = None) -> str:
    """`podpath check --format sarif|junit|markdown|github`: the redacted check document rendered by
    podpath.formats, with paths relative to `root` (default: formats.find_root, the git work tree's top).
    `rules` are the ids that ran (None: every rule). ValueError when the snapshot is not inside `root`."""
    from pathlib import Path

    from podpath import formats

    top = Path(root) if root is not None else formats.find_root(snap.root)
    prefix = formats.snapshot_prefix(snap.root, top)
    ran = set(rules) if rules is not None else set(RULES)
    ctx = formats.Context(check_document(snap, report), [r for r in rules_document() if r["id"] in ran],
                          prefix, str(snap.root), fail_on)
    return formats.render(fmt, ctx)


def reachability(snap: Snapshot) -> dict[str, dict[str, int]] | None:
    """Node pairs per family that BGP002 verified, found broken, or could not settle (unknown); None when
    the pod routes were not simulated (no routing daemon, or the rule did not run)."""
    cp = getattr(snap, "_control_plane", None)
    v = getattr(cp, "pair_verdicts", None)
    if v is None:
        return None
    return {f"ipv{fam}": dict(c) for fam, c in sorted(v.counts.items())}


def show_document(snap: Snapshot) -> dict[str, Any]:
    cl = snap.cluster
    nodes = []
    for n in sorted(cl.nodes.values(), key=lambda n: n.name):
        nodes.append({
            "name": n.name,
            "location": _loc(n.loc),
            "control_plane": n.control_plane,
            "addresses": [{"type": a.kind, "address": str(a.address), "location": _loc(a.loc)} for a in n.addresses],
            "pod_cidrs": [_sourced(c) for c in n.pod_cidrs],
        })
    hosts = []
    for h in sorted(cl.hosts.values(), key=lambda h: h.name):
        hosts.append({
            "name": h.name,
            "interfaces": [{
                "name": i.name,
                "addresses": [_sourced(a) for a in i.addresses],
                "mtu": _sourced(i.mtu),
                "segment": i.segment,
            } for i in sorted(h.interfaces.values(), key=lambda i: i.name)],
            "route_files": sorted(h.route_files),
            "own_routes": [{"route": r.describe(), "location": _loc(r.loc)} for r in h.static_routes],
            "routes": len(h.routes) if h.routes is not None else None,
            "cilium_status": h.cilium_status.loc.file if h.cilium_status else None,
        })
    segments = [{
        "name": s.name,
        "prefixes": [_sourced(p) for p in s.prefixes],
        "members": sorted(s.members),
        "mtu": _sourced(s.mtu),
        "inferred": s.inferred,
    } for s in sorted(cl.segments.values(), key=lambda s: s.name)]
    cil = snap.cilium
    keys = sorted(set(cil.settings) | {k.configmap for k in __import__("podpath.cilium.settings", fromlist=["KEYMAP"]).KEYMAP})
    settings = [cil.get(k).to_json() for k in keys]
    families = []
    for fam in (4, 6):
        families.append({
            "family": f"ipv{fam}",
            "enabled": cil.family_enabled(fam) if cil.present else None,
            "pod_subnets": [_sourced(p) for p in cl.pod_subnets if p.value.version == fam],
            "service_subnets": [_sourced(p) for p in cl.service_subnets if p.value.version == fam],
            "native_routing_cidr": cil.native_cidr_setting(fam).value or None,
            "masquerade": cil.masquerade(fam) if cil.present else None,
        })
    from podpath.router_summary import details

    routers = [{**r.summary(), "details": details(r.dialect, r.config)} for r in snap.routers]
    return _redacted(snap, {
        "schema": SHOW_SCHEMA,
        "podpath": __version__,
        "files": [{"path": f.path, "kind": f.kind, "host": f.host, "why": f.why} for f in snap.files],
        "nodes": nodes,
        "hosts": hosts,
        "segments": segments,
        "families": families,
        "services": [{"namespace": s.namespace, "name": s.name, "cluster_ips": [str(i.value) for i in s.cluster_ips],
                      "location": _loc(s.loc)} for s in cl.services],
        "talos": None if cl.talos is None else {
            "version": _sourced(cl.talos.version), "cni": _sourced(cl.talos.cni),
            "proxy_disabled": _sourced(cl.talos.proxy_disabled),
            "forward_kube_dns_to_host": _sourced(cl.talos.forward_kube_dns_to_host), "files": cl.talos.files},
        "cilium": {
            "present": cil.present,
            "version": _sourced(cil.version),
            "helm_files": cil.helm_files,
            "configmap_files": cil.configmap_files,
            "routing_mode": cil.routing_mode if cil.present else None,
            "bpf_host_routing": cil.bpf_host_routing()[0] if cil.present else None,
            "settings": settings,
        },
        "routers": routers,
        "unsupported": [_unsupported(snap, u) for u in snap.unsupported],
        "diagnostics": [_diagnostic(snap, d) for d in snap.diagnostics],
    })


def rules_document() -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.name, "severity": r.severity.value, "title": r.title, "doc": r.doc}
            for r in (RULES[k] for k in sorted(RULES))]


def routes_document(snap: Snapshot, host: str, family: int | None, vrf: str | None, protocol: str | None) -> dict[str, Any]:
    """The `podpath routes` JSON shape, also produced by the lab from real daemons (so the two compare)."""
    res = snap.simulate() if snap.has_control_plane else None
    bgp = []
    if res is not None and protocol in (None, "bgp"):
        for sid, sp in sorted(res.speakers.items()):
            if sp.host != host or (vrf is not None and sp.vrf != vrf):
                continue
            rows = []
            for prefix, paths in sorted(res.tables[sid].items(), key=lambda kv: (kv[0].version, int(kv[0].network_address), kv[0].prefixlen)):
                if family is not None and prefix.version != family:
                    continue
                best = res.best[sid].get(prefix)
                for p in paths:
                    j = p.route.to_json()
                    rows.append({**j, "best": best is not None and p.ident() == best.ident(), "valid": p.valid and not p.unreachable,
                                 "from": "local" if p.local else str(p.peer_address or p.source),
                                 "note": p.why_invalid})
            bgp.append({"speaker": sid, "daemon": sp.daemon.value, "vrf": sp.vrf, "routes": rows})
    kernel = None
    if protocol in (None, "kernel"):
        entries = res.fib.get(host, []) if res is not None else []
        if res is None:
            from podpath.routing.controlplane import build

            cp = build(snap)
            from podpath.routing.sim import Simulator

            entries = Simulator([], cp.network, cp.extra_fib).run().fib.get(host, [])
        kernel = [{"route": e.route.describe() + (f" metric {e.route.metric}" if e.route.metric is not None else ""),
                   "prefix": str(e.route.dst), "source": e.source, "why": e.why}
                  for e in sorted(entries, key=lambda e: (e.route.dst.version, int(e.route.dst.network_address),
                                                          e.route.dst.prefixlen, e.source))
                  if family is None or e.route.dst.version == family]
    return _redacted(snap, {"schema": "podpath/routes/v1", "host": host, "bgp": bgp, "kernel": kernel})


def sessions_document(snap: Snapshot) -> dict[str, Any]:
    """The `podpath sessions` shape: every configured BGP session, established or why not."""
    res = snap.simulate() if snap.has_control_plane else None
    return _redacted(snap, {"schema": "podpath/sessions/v1", "sessions": [s.to_json() for s in res.sessions] if res else []})


def explain_document(snap: Snapshot, ex: Any) -> dict[str, Any]:
    """The `podpath explain` shape (podpath.routing.explain.Explanation.to_json)."""
    return _redacted(snap, {"schema": "podpath/explain/v1", **ex.to_json()})


def lab_document(snap: Snapshot, doc: dict[str, Any]) -> dict[str, Any]:
    """A `podpath lab run` result (daemon errors may quote the user's configuration)."""
    return _redacted(snap, doc)


def fix_document(snap: Snapshot, result: Any, written: list[str] | None = None) -> dict[str, Any]:
    """The `podpath fix` shape: the top verified repair (podpath.repair.search.RepairResult) with its unified
    diff, the other kept repairs, and notes; diffs quote the user's files, so the document is redacted."""
    top = result.top
    doc: dict[str, Any] = {"schema": "podpath/fix/v1", "podpath": __version__, "errors": list(result.errors),
                           "proposed": top is not None, "candidates": result.candidates,
                           "verified": len(result.verifications),
                           "repair": {**top.to_json(), "diff": top.patch.diff(snap.texts)} if top else None,
                           "alternatives": [v.to_json() for v in result.repairs[1:]],
                           "written": list(written or []), "notes": list(result.notes)}
    return _redacted(snap, doc)


DIFF_SCHEMA = "podpath/diff/v1"


def diff_document(before: Snapshot, after: Snapshot, d: Any, why: list[Any]) -> dict[str, Any]:
    """`podpath diff` (and `check --set`'s `what_if`): a `podpath.diff.SnapshotDiff` and the why-nots, redacted
    with the secrets of both snapshots."""
    changed = {k.host for k in d.kernel}
    doc = {"schema": DIFF_SCHEMA, "podpath": __version__, "before": str(before.root), "after": str(after.root),
           **d.to_json(), "why_not": [w.to_json() for w in why],
           "kernel_unchanged_nodes": sorted(n for n in after.cluster.nodes if n not in changed)}
    return after.secrets.doc(before.secrets.doc(doc))  # type: ignore[no-any-return]


POLICY_SCHEMA = "podpath/policy/v1"


def policy_document(snaps: list[Snapshot], command: str, body: dict[str, Any]) -> dict[str, Any]:
    """`podpath policy test|search|compare`: clause texts quote the user's configuration, so the
    document is redacted with the secrets of every snapshot it was computed from."""
    doc: dict[str, Any] = {"schema": POLICY_SCHEMA, "podpath": __version__, "command": command, **body}
    for s in snaps:
        doc = _redacted(s, doc)
    return doc


TRACE_SCHEMA = "podpath/trace/v1"
REACH_SCHEMA = "podpath/reach/v1"


def trace_document(snap: Snapshot, res: Any) -> dict[str, Any]:
    """`podpath trace` (datapath/trace.TraceResult) as JSON, redacted."""
    return _redacted(snap, {"schema": TRACE_SCHEMA, **res.to_json()})


def reach_document(snap: Snapshot, family: int, rows: list[str], cols: list[str], cells: list[Any]) -> dict[str, Any]:
    """`podpath reach`: the all-pairs matrix of one family, redacted."""
    counts: dict[str, int] = {}
    for c in cells:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    return _redacted(snap, {"schema": REACH_SCHEMA, "family": family, "sources": rows, "destinations": cols,
                            "counts": dict(sorted(counts.items())), "cells": [c.to_json() for c in cells]})
