"""BGP control-plane simulation to a fixed point, then each host's kernel table.

Per prefix, paths flow speaker to speaker over established sessions: export
pipeline of the sender (split horizon, policy, next hop, attributes), import
pipeline of the receiver (loop checks, next hop, policy), best-path selection,
and on to the next speaker, until nothing changes. Prefixes are independent,
so the worklist is keyed by (speaker, prefix) and the result does not depend on
the order in which files or peers were read. Policy results are cached.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.model.cluster import KernelRoute
from podpath.routing import daemons
from podpath.routing.bgp import BgpSpeaker, Daemon
from podpath.routing.network import Network
from podpath.routing.policy import Direction, PolicyContext, Verdict
from podpath.routing.rib import Decision, Path
from podpath.routing.route import IPNetwork, Protocol, RouteDest
from podpath.routing.sessions import Session, SessionEnd, find_sessions


@dataclass
class FibEntry:
    """A route in a host's kernel table and who put it there."""

    route: KernelRoute
    source: str  # speaker id, "connected", "cilium", "static"
    via_host: str | None = None  # IPv6 via the link-local of this host
    loc: Loc | None = None
    why: str = ""


@dataclass
class SimResult:
    speakers: dict[str, BgpSpeaker]
    sessions: list[Session]
    tables: dict[str, dict[IPNetwork, list[Path]]]
    best: dict[str, dict[IPNetwork, Path]]
    fib: dict[str, list[FibEntry]]
    decisions: list[Decision] = field(default_factory=list)
    converged: bool = True
    steps: int = 0
    policy_evaluations: int = 0
    policy_cache_hits: int = 0

    def fib_lookup(self, host: str, addr: object) -> FibEntry | None:
        best: FibEntry | None = None
        for e in self.fib.get(host, []):
            r = e.route
            if r.dst.version != addr.version or addr not in r.dst or r.table != "main":  # type: ignore[attr-defined, operator]
                continue
            if best is None or (r.dst.prefixlen, -(r.metric or 0)) > (best.route.dst.prefixlen, -(best.route.metric or 0)):
                best = e
        return best


class Simulator:
    def __init__(self, speakers: list[BgpSpeaker], net: Network, extra_fib: dict[str, list[FibEntry]] | None = None,
                 trace: set[IPNetwork] | None = None, max_steps: int | None = None,
                 only: set[IPNetwork] | None = None, unmodelled: dict[str, str] | None = None) -> None:
        self.speakers = {s.id: s for s in sorted(speakers, key=lambda s: s.id)}
        self.net = net
        self.extra_fib = extra_fib or {}
        self.trace = trace
        self.cache = daemons.PolicyCache()
        self.decisions: list[Decision] = []
        self.max_steps = max_steps
        self.only = only  # simulate just these prefixes (prefixes are independent)
        self.unmodelled = unmodelled or {}

    def _record(self, prefix: IPNetwork, d: Decision) -> None:
        if self.trace is not None and prefix in self.trace:
            self.decisions.append(d)

    def run(self) -> SimResult:
        sessions = find_sessions(list(self.speakers.values()), self.net, self.unmodelled)
        # Outgoing session ends per speaker and address family: a route is only offered where its family runs.
        out_ends: dict[tuple[str, int], list[tuple[Session, SessionEnd, SessionEnd]]] = {}
        for s in sessions:
            if s.up:
                for snd, rcv in s.ends():
                    for fam in s.afs:
                        out_ends.setdefault((snd.speaker.id, fam), []).append((s, snd, rcv))
        importers: dict[str, list[tuple[BgpSpeaker, object]]] = {}
        for sp in self.speakers.values():
            for vi in sp.imports:
                src = next((o for o in self.speakers.values() if o.host == sp.host and o.daemon is sp.daemon
                            and o.vrf == vi.source_table and o is not sp), None)
                if src is not None:
                    importers.setdefault(src.id, []).append((sp, vi))
        local: dict[str, dict[IPNetwork, list[Path]]] = {sid: {} for sid in self.speakers}
        rib_in: dict[str, dict[IPNetwork, dict[str, Path]]] = {sid: {} for sid in self.speakers}
        best: dict[str, dict[IPNetwork, Path]] = {sid: {} for sid in self.speakers}
        sent: dict[tuple[str, str], dict[IPNetwork, object]] = {}
        queue: deque[tuple[str, IPNetwork]] = deque()
        queued: set[tuple[str, IPNetwork]] = set()

        def enqueue(sid: str, prefix: IPNetwork) -> None:
            if (sid, prefix) not in queued:
                queued.add((sid, prefix))
                queue.append((sid, prefix))

        for sp in self.speakers.values():
            for o in sorted(sp.originations, key=lambda o: (o.route.key(), o.how)):
                if self.only is not None and o.route.prefix not in self.only:
                    continue
                p = Path(o.route, "local", local=True, valid=o.valid, why_invalid=o.why_invalid, how=o.how, loc=o.loc)
                local[sp.id].setdefault(o.route.prefix, []).append(p)
                self._record(o.route.prefix, Decision(sp.id, "originate", o.valid, f"{sp.id} originates "
                                                      f"{o.route.prefix} ({o.how})" + ("" if o.valid else
                                                                                       f": not valid, {o.why_invalid}"),
                                                      o.loc, route=o.route))
                enqueue(sp.id, o.route.prefix)
        steps = 0
        limit = self.max_steps or 200 * max(1, len(queue)) * max(1, len(self.speakers))
        converged = True
        while queue:
            steps += 1
            if steps > limit:
                converged = False
                break
            sid, prefix = queue.popleft()
            queued.discard((sid, prefix))
            sp = self.speakers[sid]
            cands = list(local[sid].get(prefix, ())) + [rib_in[sid][prefix][k] for k in sorted(rib_in[sid].get(prefix, {}))]
            new = daemons.select_best(sp, cands)
            old = best[sid].get(prefix)
            if (new.ident() if new else None) == (old.ident() if old else None):
                continue
            if new is None:
                best[sid].pop(prefix, None)
            else:
                best[sid][prefix] = new
                if len(cands) > 1:
                    self._record(prefix, Decision(sid, "best", True, f"{sid}: best of {len(cands)} paths is from "
                                                  f"{new.peer_address or new.how or new.source}"))
            for session, snd, rcv in out_ends.get((sid, prefix.version), ()):
                key = (session.id, sid)
                table = sent.setdefault(key, {})
                wire = None
                if new is not None:
                    wire, dec = daemons.export_path(sp, snd, rcv, session, new, self.net, self.cache)
                    self._record(prefix, dec)
                if wire == table.get(prefix):
                    continue
                rsp = rcv.speaker
                slot = rib_in[rsp.id].setdefault(prefix, {})
                if wire is None:
                    table.pop(prefix, None)
                    slot.pop(session.id, None)
                else:
                    table[prefix] = wire
                    path, dec = daemons.import_path(rsp, rcv, session, wire, self.net, self.cache, sp.host)
                    self._record(prefix, dec)
                    if path is None:
                        slot.pop(session.id, None)
                    else:
                        slot[session.id] = path
                enqueue(rsp.id, prefix)
            for dst, vi in importers.get(sid, []):
                slot = rib_in[dst.id].setdefault(prefix, {})
                key_l = f"leak:{sid}"
                if new is None or new.leaked:
                    slot.pop(key_l, None)
                else:
                    route = new.route
                    ok = True
                    if vi.policy is not None:  # type: ignore[attr-defined]
                        res = self.cache.apply(vi.policy, route, PolicyContext(Direction.IMPORT, vrf=dst.vrf))  # type: ignore[attr-defined]
                        ok = res.verdict is Verdict.ACCEPT
                        route = res.route
                        self._record(prefix, Decision(dst.id, "leak", ok, f"{dst.id}: import vrf {sp.vrf} "
                                                      f"{'accepted' if ok else 'rejected'} by {getattr(vi.policy, 'name', '')}",  # type: ignore[attr-defined]
                                                      res.decided_by.loc if res.decided_by else vi.loc, res))  # type: ignore[attr-defined]
                    if ok:
                        slot[key_l] = Path(route, key_l, local=False, ibgp=new.ibgp, valid=new.valid,
                                           why_invalid=new.why_invalid, peer_address=new.peer_address,
                                           peer_router_id=new.peer_router_id, how=f"leaked from {sp.vrf}", leaked=True,
                                           ll_host=new.ll_host)
                    else:
                        slot.pop(key_l, None)
                enqueue(dst.id, prefix)
        tables: dict[str, dict[IPNetwork, list[Path]]] = {}
        for sid in self.speakers:
            t: dict[IPNetwork, list[Path]] = {}
            for prefix, ps in local[sid].items():
                t.setdefault(prefix, []).extend(ps)
            for prefix, slot in rib_in[sid].items():
                t.setdefault(prefix, []).extend(slot[k] for k in sorted(slot))
            tables[sid] = {p: v for p, v in t.items() if v}
        fib = self._fib(best)
        return SimResult(self.speakers, sessions, tables, best, fib, self.decisions, converged, steps,
                         self.cache.misses, self.cache.hits)

    # ------------------------------------------------------------------------------------------ kernel
    def _fib(self, best: dict[str, dict[IPNetwork, Path]]) -> dict[str, list[FibEntry]]:
        fib: dict[str, list[FibEntry]] = {}
        for host in sorted(self.net.hosts):
            entries: list[FibEntry] = []
            h = self.net.hosts[host]
            for net_, ifname, own in h.connected:
                if ifname == "lo":
                    continue
                entries.append(FibEntry(KernelRoute(net_, None, ifname, "kernel", "link", own), "connected"))
            for r in h.static.routes:
                entries.append(FibEntry(r, "static", loc=r.loc))
            entries.extend(self.extra_fib.get(host, []))
            fib[host] = entries
        for sp in self.speakers.values():
            if not sp.installs_to_kernel:
                continue
            entries = fib.setdefault(sp.host, [])
            have = {(e.route.dst, e.source) for e in entries}
            non_bgp = {e.route.dst for e in entries if e.source in ("connected", "static")}
            for prefix in sorted(best[sp.id], key=lambda p: (p.version, int(p.network_address), p.prefixlen)):
                path = best[sp.id][prefix]
                if sp.daemon is Daemon.FRR:
                    if path.local or not path.valid or prefix in non_bgp:
                        continue  # zebra: lower distance wins; own originations are not installed
                    e = self._kernel_entry(sp, path, "bgp", sp.kernel_metric)
                elif sp.daemon is Daemon.BIRD:
                    if sp.kernel_export is None:
                        if not path.local:
                            self._record(prefix, Decision(sp.id, "kernel", False, f"{sp.id}: no kernel protocol exports "
                                                          "routes (BIRD's default is `export none`): the route stays in "
                                                          "BIRD's table", sp.loc))
                        continue
                    if path.route.protocol is Protocol.KERNEL:
                        continue
                    res = self.cache.apply(sp.kernel_export, path.route, PolicyContext(Direction.EXPORT, protocol_name="kernel"))
                    self._record(prefix, Decision(sp.id, "kernel", res.verdict is Verdict.ACCEPT,
                                                  f"{sp.id}: kernel protocol export "
                                                  f"{'accepts' if res.verdict is Verdict.ACCEPT else 'rejects'} the route",
                                                  res.decided_by.loc if res.decided_by else None, res))
                    if res.verdict is not Verdict.ACCEPT or path.route.protocol is Protocol.CONNECTED:
                        continue
                    e = self._kernel_entry(sp, path, "bird", sp.kernel_metric)
                else:
                    continue
                if e is not None and (e.route.dst, e.source) not in have:
                    entries.append(e)
                    self._record(prefix, Decision(sp.id, "kernel", True, f"{sp.host}: installed "
                                                  f"{e.route.describe()} (from {sp.id})"))
        return fib

    def _kernel_entry(self, sp: BgpSpeaker, path: Path, proto: str, metric: int) -> FibEntry | None:
        r = path.route
        host = self.net.host(sp.host)
        if path.unreachable or r.dest is not RouteDest.UNICAST:
            rtype = "unreachable" if path.unreachable else r.dest.value
            return FibEntry(KernelRoute(r.prefix, None, "lo", proto, None, None, metric, type=rtype), sp.id,
                            why=path.why_invalid)
        nh = r.next_hop
        if path.ll_host is not None and proto == "bgp":
            link = host.on_link(nh) if nh is not None else None
            return FibEntry(KernelRoute(r.prefix, daemons._LL_MARK, link[0] if link else None, proto, None, None, metric),
                            sp.id, via_host=path.ll_host)
        if nh is None:
            return None
        _, _, via_route = host.route_to(nh)
        link = host.on_link(nh)
        dev = link[0] if link else (via_route.dev if via_route else None)
        return FibEntry(KernelRoute(r.prefix, nh, dev, proto, None, None, metric), sp.id)
