"""What changes between two snapshots of the same cluster: the engine of `podpath diff`, `check --set` and
repair verification (podpath.repair.verify).

API (stable):

    compare(before: Snapshot, after: Snapshot, *, findings: bool = True,
            before_report=None, after_report=None) -> SnapshotDiff
    state(snap: Snapshot) -> SnapshotState       # the simulated facts compare reads (cached on the snapshot)

    SnapshotDiff
      .sessions: list[SessionChange]   every session whose state or reason changed (or that appeared/vanished)
      .routes:   list[RouteChange]     per speaker (host, daemon): best path added / removed / changed
      .kernel:   list[KernelChange]    per host and table: kernel route added / removed / changed
      .pairs:    list[PairState]       every ordered (family, source node, destination node) pair where both have
                                       pod CIDRs of the family, in either snapshot: reachable before / after
      .findings_resolved / .findings_introduced: list[FindingChange]   by Finding.id (empty with findings=False)
      .gained() / .lost() -> list[PairState]
      .pairs_reachable / .pairs_total  (after)
      .regressions() -> list[Change]   a pair lost, a session down that was up, a kernel route lost, a new error
      .side_effects() -> list[Change]  newly accepted/installed routes that are not pod routes gained, best paths
                                       and kernel routes changed
      .to_json() -> dict               deterministic (everything sorted), JSON-able

The comparison reads the simulation's own structures (`SimResult.sessions`, `best`, `fib`, `reach.Forwarder`),
never rendered text, so comparing hundreds of candidate repairs with one baseline costs little: the baseline's
`state` is computed once. A pod pair is reachable when a packet from the source node arrives at every pod CIDR of
the destination node by forwarding over the simulated kernel tables, or when Cilium needs no BGP route for it
(tunnel mode, autoDirectNodeRoutes on a shared segment: checks.routes.pod_route_needs_bgp)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podpath.checks import Report
    from podpath.snapshot import Snapshot

_STATE_ATTR = "_podpath_diff_state"


@dataclass(frozen=True, order=True)
class SessionChange:
    id: str
    before: str | None  # established | down | unknown; None: no such session
    after: str | None
    reason_before: str = ""
    reason_after: str = ""

    def describe(self) -> str:
        why = f" ({self.reason_after})" if self.reason_after and self.after != "established" else ""
        return f"session {self.id}: {self.before or 'absent'} -> {self.after or 'absent'}{why}"

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "before": self.before, "after": self.after, "reason_before": self.reason_before,
                "reason_after": self.reason_after}


@dataclass(frozen=True, order=True)
class RouteChange:
    speaker: str  # speaker id ("pve01/frr", "solcp01/bird")
    prefix: str
    change: str  # added | removed | changed (best path)
    host: str = ""
    daemon: str = ""
    before: str | None = None  # the best path, summarised ("via 10.0.0.1 as-path 65001 from 10.0.0.1")
    after: str | None = None
    pod_cidr: bool = False  # the prefix is a pod CIDR of the snapshot

    def describe(self) -> str:
        if self.change == "added":
            return f"{self.speaker}: {self.prefix} accepted ({self.after})"
        if self.change == "removed":
            return f"{self.speaker}: {self.prefix} no longer in its table (was {self.before})"
        return f"{self.speaker}: {self.prefix} best path {self.before} -> {self.after}"

    def to_json(self) -> dict[str, object]:
        return {"speaker": self.speaker, "host": self.host, "daemon": self.daemon, "prefix": self.prefix,
                "change": self.change, "before": self.before, "after": self.after, "pod_cidr": self.pod_cidr}


@dataclass(frozen=True, order=True)
class KernelChange:
    host: str
    table: str
    prefix: str
    change: str  # added | removed | changed
    before: str | None = None  # the route as `ip route` shows it, and who installed it
    after: str | None = None
    pod_cidr: bool = False

    def describe(self) -> str:
        if self.change == "added":
            return f"{self.host}: kernel route {self.after} installed"
        if self.change == "removed":
            return f"{self.host}: kernel route {self.before} lost"
        return f"{self.host}: kernel route {self.before} -> {self.after}"

    def to_json(self) -> dict[str, object]:
        return {"host": self.host, "table": self.table, "prefix": self.prefix, "change": self.change,
                "before": self.before, "after": self.after, "pod_cidr": self.pod_cidr}


@dataclass(frozen=True, order=True)
class PairState:
    family: int
    src: str
    dst: str
    before: bool | None  # None: not a pair of that snapshot (a node or its pod CIDR is missing there)
    after: bool | None

    @property
    def change(self) -> str:
        if self.before is True and self.after is not True:
            return "lost"
        if self.after is True and self.before is not True:
            return "gained"
        return "same"

    def describe(self) -> str:
        return f"IPv{self.family} {self.src} -> {self.dst}'s pods: {self.change}"

    def to_json(self) -> dict[str, object]:
        return {"family": f"ipv{self.family}", "src": self.src, "dst": self.dst, "before": self.before,
                "after": self.after, "change": self.change}


@dataclass(frozen=True, order=True)
class FindingChange:
    id: str
    severity: str
    change: str  # resolved | introduced
    message: str = ""

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "severity": self.severity, "change": self.change, "message": self.message}


@dataclass(frozen=True, order=True)
class Change:
    """One regression or side effect: its kind (pair-lost, session-down, kernel-route-lost, new-error,
    route-accepted, route-installed, best-path-changed, kernel-route-changed) and what, in one line."""

    kind: str
    subject: str
    text: str

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "subject": self.subject, "text": self.text}


@dataclass
class SnapshotState:
    """The simulated facts of one snapshot that `compare` reads, keyed for comparison (prefixes as network
    objects: formatting addresses costs more than comparing them; text is made only for what changed)."""

    sessions: dict[tuple[tuple[str, str], ...], tuple[str, str, str]] = field(default_factory=dict)  # -> (state, reason, id)
    routes: dict[tuple[str, Any], tuple[object, Any]] = field(default_factory=dict)  # (speaker, prefix) -> (key, Path)
    speakers: dict[str, tuple[str, str]] = field(default_factory=dict)  # speaker id -> (host, daemon)
    kernel: dict[tuple[str, str, Any], tuple[object, list[Any]]] = field(default_factory=dict)  # -> (key, entries)
    pairs: dict[tuple[int, str, str], bool] = field(default_factory=dict)  # (family, src, dst) -> reachable
    pod_cidrs: frozenset[Any] = frozenset()


@dataclass
class SnapshotDiff:
    sessions: list[SessionChange] = field(default_factory=list)
    routes: list[RouteChange] = field(default_factory=list)
    kernel: list[KernelChange] = field(default_factory=list)
    pairs: list[PairState] = field(default_factory=list)
    findings_resolved: list[FindingChange] = field(default_factory=list)
    findings_introduced: list[FindingChange] = field(default_factory=list)
    findings_compared: bool = False

    def gained(self) -> list[PairState]:
        return [p for p in self.pairs if p.change == "gained"]

    def lost(self) -> list[PairState]:
        return [p for p in self.pairs if p.change == "lost"]

    @property
    def pairs_total(self) -> int:
        return sum(1 for p in self.pairs if p.after is not None)

    @property
    def pairs_reachable(self) -> int:
        return sum(1 for p in self.pairs if p.after is True)

    @property
    def pairs_reachable_before(self) -> int:
        return sum(1 for p in self.pairs if p.before is True)

    @property
    def empty(self) -> bool:
        return not (self.sessions or self.routes or self.kernel or self.gained() or self.lost()
                    or self.findings_resolved or self.findings_introduced)

    def regressions(self) -> list[Change]:
        """What got worse: a pod pair lost, a session that was established and is not, a kernel route lost
        (no route left for that destination in that table of the host), a new error finding."""
        out = [Change("pair-lost", f"ipv{p.family}:{p.src}->{p.dst}", p.describe()) for p in self.lost()]
        out += [Change("session-down", s.id, s.describe()) for s in self.sessions
                if s.before == "established" and s.after != "established"]
        out += [Change("kernel-route-lost", f"{k.host}:{k.table}:{k.prefix}", k.describe()) for k in self.kernel
                if k.change == "removed"]
        out += [Change("new-error", f.id, f"new error {f.id}: {f.message}") for f in self.findings_introduced
                if f.severity == "error"]
        return sorted(out)

    def side_effects(self) -> list[Change]:
        """What else changed that the user did not ask for: routes newly accepted or installed that are not pod
        CIDRs (pod routes reaching where they were missing are the point of a repair), best paths and kernel
        routes that changed."""
        out = [Change("route-accepted", f"{r.speaker}:{r.prefix}", r.describe()) for r in self.routes
               if r.change == "added" and not r.pod_cidr]
        out += [Change("best-path-changed", f"{r.speaker}:{r.prefix}", r.describe()) for r in self.routes
                if r.change == "changed"]
        out += [Change("route-installed", f"{k.host}:{k.table}:{k.prefix}", k.describe()) for k in self.kernel
                if k.change == "added" and not k.pod_cidr]
        out += [Change("kernel-route-changed", f"{k.host}:{k.table}:{k.prefix}", k.describe()) for k in self.kernel
                if k.change == "changed"]
        return sorted(out)

    def to_json(self) -> dict[str, object]:
        return {
            "pairs": {"reachable_before": self.pairs_reachable_before, "reachable_after": self.pairs_reachable,
                      "total": self.pairs_total,
                      "gained": [p.to_json() for p in self.gained()], "lost": [p.to_json() for p in self.lost()]},
            "sessions": [s.to_json() for s in self.sessions],
            "routes": [r.to_json() for r in self.routes],
            "kernel": [k.to_json() for k in self.kernel],
            "findings": {"compared": self.findings_compared,
                         "resolved": [f.to_json() for f in self.findings_resolved],
                         "introduced": [f.to_json() for f in self.findings_introduced]},
            "regressions": [c.to_json() for c in self.regressions()],
            "side_effects": [c.to_json() for c in self.side_effects()],
        }


# --------------------------------------------------------------------------- the facts of one snapshot
def _path_text(path: Any) -> str:
    r = path.route
    parts = []
    if path.local:
        parts.append("originated here")
    elif r.next_hop is not None:
        parts.append(f"via {r.next_hop}")
    asp = str(r.as_path)
    if asp:
        parts.append(f"as-path {asp}")
    if not path.local and path.peer_address is not None:
        parts.append(f"from {path.peer_address}")
    if not path.valid:
        parts.append(f"invalid: {path.why_invalid}")
    return " ".join(parts) or "originated"


def _kernel_text(e: Any) -> str:
    r = e.route
    via = f"via {r.gateway} " if r.gateway is not None else (f"via link-local of {e.via_host} " if e.via_host else "")
    dst = str(r.dst) if r.dst.prefixlen else "default"
    kind = "" if r.type == "unicast" else f"{r.type} "
    dev = f"dev {r.dev} " if r.dev else ""
    return f"{kind}{dst} {via}{dev}[{e.source}]".replace("  ", " ").strip()


def state(snap: "Snapshot") -> SnapshotState:
    """The simulated facts of `snap` compared by `compare` (computed once per snapshot object)."""
    cached = snap.__dict__.get(_STATE_ATTR)
    if cached is not None:
        return cached
    st = SnapshotState()
    nodes = sorted(snap.cluster.nodes.values(), key=lambda n: n.name)
    st.pod_cidrs = frozenset(c.value for n in nodes for c in n.pod_cidrs) | frozenset(
        p.value for p in snap.cluster.pod_subnets)
    if snap.usable:
        _simulated(snap, st, nodes)
    snap.__dict__[_STATE_ATTR] = st
    return st


def _simulated(snap: "Snapshot", st: SnapshotState, nodes: list[Any]) -> None:
    from podpath.checks.base import CheckContext
    from podpath.checks.routes import pod_route_needs_bgp
    from podpath.routing.reach import Forwarder

    res = snap.simulate()
    cp = snap.control_plane()
    for s in res.sessions:
        key = _session_key(s)
        if key in st.sessions:  # two sessions with the same ends (a neighbor configured twice): by id
            key = key + (("id", s.id),)
        st.sessions[key] = (s.state, s.reason, s.id)
    for sid, sp in res.speakers.items():
        st.speakers[sid] = (sp.host, sp.daemon.value)
        for prefix, path in res.best.get(sid, {}).items():
            if path is not None:
                st.routes[(sid, prefix)] = ((path.route, path.source, path.valid), path)
    kernel: dict[tuple[str, str, Any], list[Any]] = {}
    for host in res.fib:
        for e in res.fib[host]:
            if e.route.type != "local":
                kernel.setdefault((host, e.route.table, e.route.dst), []).append(e)
    for k, entries in kernel.items():  # several routes for one destination (metrics): all of them, sorted
        vals = sorted({(repr(r.gateway), r.dev or "", r.type, e.via_host or "", repr(r.nexthops))
                       for e in entries for r in (e.route,)})
        st.kernel[k] = (tuple(vals), entries)
    fwd = Forwarder(res, cp.network)
    names = [n.name for n in nodes]
    sources = fwd.sources(names)
    ctx = CheckContext(snap)
    by_name = {n.name: n for n in nodes}
    for fam in ctx.families():
        with_cidr = [n for n in nodes if n.pod_cidrs_of(fam)]
        for dst in with_cidr:
            lost: set[str] = set()
            for cidr in dst.pod_cidrs_of(fam):
                lost.update(fwd.undelivered_from(cidr.value, dst.name, sources))
            for src in with_cidr:
                if src is dst:
                    continue
                ok = src.name not in lost
                if not ok and pod_route_needs_bgp(ctx, by_name[src.name], dst, fam)[0] is False:
                    ok = True  # Cilium delivers it without a BGP route (tunnel, autoDirectNodeRoutes)
                st.pairs[(fam, src.name, dst.name)] = ok


# --------------------------------------------------------------------------- the comparison
def compare(before: "Snapshot", after: "Snapshot", *, findings: bool = True, before_report: "Report | None" = None,
            after_report: "Report | None" = None) -> SnapshotDiff:
    """Everything that differs between `before` and `after` (see the module docstring). With `findings=False`
    the checks are not run (a repair's verification runs them only for candidates that restore pairs)."""
    a, b = state(before), state(after)
    d = SnapshotDiff()
    for key in sorted(a.sessions.keys() | b.sessions.keys()):
        x, y = a.sessions.get(key), b.sessions.get(key)
        if x is None or y is None or x[0] != y[0] or x[1] != y[1]:
            d.sessions.append(SessionChange((y or x)[2], x[0] if x else None, y[0] if y else None,  # type: ignore[index]
                                            x[1] if x else "", y[1] if y else ""))
    pods = a.pod_cidrs | b.pod_cidrs
    speakers = {**a.speakers, **b.speakers}
    changed = [k for k in a.routes.keys() | b.routes.keys()
               if k not in a.routes or k not in b.routes or (
                   a.routes[k][0] != b.routes[k][0] and not _same_but_names(a.routes[k][1], b.routes[k][1]))]
    for key in sorted(changed, key=_route_order):
        x, y = a.routes.get(key), b.routes.get(key)
        host, daemon = speakers.get(key[0], ("", ""))
        change = "added" if x is None else "removed" if y is None else "changed"
        d.routes.append(RouteChange(key[0], str(key[1]), change, host, daemon, _path_text(x[1]) if x else None,
                                    _path_text(y[1]) if y else None, key[1] in pods))
    changed = [k for k in a.kernel.keys() | b.kernel.keys()
               if k not in a.kernel or k not in b.kernel or a.kernel[k][0] != b.kernel[k][0]]
    for key in sorted(changed, key=_kernel_order):
        x, y = a.kernel.get(key), b.kernel.get(key)
        change = "added" if x is None else "removed" if y is None else "changed"
        d.kernel.append(KernelChange(key[0], key[1], str(key[2]), change, _kernel_texts(x[1]) if x else None,
                                     _kernel_texts(y[1]) if y else None, key[2] in pods))
    for key in sorted(a.pairs.keys() | b.pairs.keys()):
        d.pairs.append(PairState(key[0], key[1], key[2], a.pairs.get(key), b.pairs.get(key)))
    if findings:
        add_findings(d, before_report if before_report is not None else before.check(),
                     after_report if after_report is not None else after.check())
    return d


def add_findings(d: SnapshotDiff, before: "Report", after: "Report") -> SnapshotDiff:
    """Fill `d`'s findings resolved / introduced (by Finding.id) from the two reports."""
    old = {f.id: f for f in before.findings}
    new = {f.id: f for f in after.findings}
    d.findings_resolved = sorted(FindingChange(i, old[i].severity.value, "resolved", old[i].message)
                                 for i in old.keys() - new.keys())
    d.findings_introduced = sorted(FindingChange(i, new[i].severity.value, "introduced", new[i].message)
                                   for i in new.keys() - old.keys())
    d.findings_compared = True
    return d


def _session_key(s: Any) -> tuple[tuple[str, str], ...]:
    """A session by its two ends (speaker and the address it peers with), in either order, not by the
    names of the peer configs: a node's session that moves from a listen range to an explicit neighbor
    (SEC001's fix) is the same session."""
    return tuple(sorted((e.speaker.id, str(e.remote_address) if e.remote_address is not None else f"peer {e.peer.name}")
                        for e in (s.a, s.b) if e is not None))


def _same_but_names(x: Any, y: Any) -> bool:
    """Two best paths that differ only in what the peer configs are called (the route's protocol name,
    the session's id in its source): the same route from the same neighbor address."""
    if x.local != y.local or x.valid != y.valid or x.peer_address != y.peer_address:
        return False
    if x.source != y.source and not (x.source.startswith("session:") and y.source.startswith("session:")):
        return False
    rx, ry = x.route, y.route
    if rx.source_name != ry.source_name:
        rx, ry = dataclasses.replace(rx, source_name=""), dataclasses.replace(ry, source_name="")
    return bool(rx == ry)


def _kernel_texts(entries: list[Any]) -> str:
    return " | ".join(sorted({_kernel_text(e) for e in entries}))


def _net_order(n: Any) -> tuple[int, int, int]:
    return (n.version, int(n.network_address), n.prefixlen)


def _route_order(key: tuple[str, Any]) -> tuple[object, ...]:
    return (key[0], _net_order(key[1]))


def _kernel_order(key: tuple[str, str, Any]) -> tuple[object, ...]:
    return (key[0], key[1], _net_order(key[2]))
