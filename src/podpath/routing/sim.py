"""BGP control-plane simulation to a fixed point, then each host's kernel table.

Per prefix, paths flow speaker to speaker over established sessions: export
pipeline of the sender (split horizon, policy, next hop, attributes), import
pipeline of the receiver (loop checks, next hop, policy), best-path selection,
and on to the next speaker, until nothing changes. Prefixes are independent:
each is run to its own fixed point (a FIFO worklist of speakers), in prefix
order, so the result does not depend on the order in which files or peers were
read. Policy results are cached.

At scale (a route server with thousands of peers) the cost is kept linear in the
routes computed:

- update groups (`_Group`): the ends of a speaker that would compute the same
  export share one computation; ends whose address the path mentions are
  computed on their own;
- shared imports: receiving ends with the same import signature import a wire
  route once (a route naming the receiver's own AS, address or router-id is
  imported on its own) and share the path's attributes (`Path.with_source`);
- memoised best-path selection, kernel routes shared between hosts, and
  results stored as `PrefixTable`s (no per-route dict, no prefix hashing).

Traced prefixes (`podpath explain`) and `groups=False` compute every end on its
own, with a `Decision` for each; the results are the same
(tests/routing/test_scale_structures.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.model.cluster import KernelRoute
from podpath.routing import daemons
from podpath.routing.bgp import BgpSpeaker, Daemon
from podpath.routing.network import Network
from podpath.routing.builtin import Fixed
from podpath.routing.daemons import NO_ADVERTISE, NO_EXPORT
from podpath.routing.policy import Direction, PolicyContext, Verdict
from podpath.routing.rib import Decision, Path, PrefixIndex, PrefixTable
from podpath.routing.route import IPNetwork, Protocol, Route, RouteDest
from podpath.routing.sessions import Session, SessionEnd, find_sessions


_MISSING = object()


def _prefix_key(p: IPNetwork) -> tuple[int, int, int]:
    return (p.version, int(p.network_address), p.prefixlen)


@dataclass(slots=True)
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
    tables: dict[str, Mapping[IPNetwork, list[Path]]]  # speaker id -> prefix -> paths (PrefixTable, in prefix order)
    best: dict[str, Mapping[IPNetwork, Path]]  # speaker id -> prefix -> best path (one of the table's paths)
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


class _Member:
    """One direction of one established session, for one address family: `snd` offers its best
    paths to `rcv`."""

    __slots__ = ("session", "snd", "rcv", "rsp", "rsid", "rhost", "local_as", "ribgp", "slot", "source", "group",
                 "remote", "isig")

    def __init__(self, session: Session, snd: SessionEnd, rcv: SessionEnd) -> None:
        self.session = session
        self.snd = snd
        self.rcv = rcv
        self.rsp = rcv.speaker
        self.rsid = rcv.speaker.id
        self.rhost = rcv.speaker.host
        self.local_as = rcv.peer.local_as
        self.ribgp = rcv.ibgp
        self.slot = session.id  # key in the receiver's Adj-RIB-In
        self.source = f"session:{session.id}"
        self.group: _Group = None  # type: ignore[assignment]
        self.remote = snd.remote_address
        self.isig = -1  # import signature id (see Simulator._import_signature)


_ALL = object()  # _Group.export: compute every member on its own
_NONE: frozenset[_Member] = frozenset()


class _Group:
    """An update group: the ends of one speaker whose export computation is the same (same peer
    settings, session type, source address, egress interface, the peer's subnet, and a policy
    that either ignores the context or sees the same one). The export is computed for one member
    and given to the others; members whose address or router-id the path mentions (next hop,
    neighbour it came from, originator) are computed one by one, as are members whose address is
    one of the sender's own (FRR's and BIRD's next hop rules compare those)."""

    __slots__ = ("members", "static", "by_remote", "by_rid", "af", "peer_name", "ibgp", "daemon", "rejects")

    def __init__(self, members: list[_Member], sp: BgpSpeaker, fam: int, net: Network) -> None:
        self.members = members
        end = members[0].snd
        self.af = af = end.peer.afs.get(fam)
        self.peer_name = end.peer.name
        self.ibgp = end.ibgp
        self.daemon = sp.daemon
        s0 = members[0].session
        pol = af.export_policy if af is not None else None
        # Whole group gets nothing: the family is not carried, or the export policy rejects everything.
        self.rejects = af is None or fam not in s0.afs or fam in s0.af_problems or (
            type(pol) is Fixed and pol.verdict is Verdict.REJECT)
        own: set[object] = set(net.host(sp.host).addresses)
        own.add(end.local_address)
        if af is not None:
            own.add(af.next_hop_address)
        self.static = {m for m in members if m.remote in own}
        self.by_remote: dict[object, list[_Member]] = {}
        self.by_rid: dict[object, list[_Member]] = {}
        for m in members:
            self.by_remote.setdefault(m.remote, []).append(m)
            self.by_rid.setdefault(m.snd.remote_router_id, []).append(m)

    def quiet_none(self, path: Path) -> bool:
        """True when export_path gives nothing to any member, whatever its address (the first
        checks of export_path and of the daemon's export, without building decisions)."""
        if self.rejects or not path.valid:
            return True
        comms = path.route.communities
        if comms and (NO_ADVERTISE in comms or (NO_EXPORT in comms and not self.ibgp)):
            return True
        if self.daemon is Daemon.BIRD:
            return (not path.local and path.peer_name == self.peer_name) or self.af.export_policy is None or (
                path.ibgp and self.ibgp and not (path.from_rr_client or self.af.rr_client))
        if self.daemon is Daemon.CILIUM:
            return not path.local or self.af.export_policy is None
        return False

    def export(self, sp: BgpSpeaker, path: Path, net: Network, cache: daemons.PolicyCache) -> tuple[Route | None, object]:
        """(wire for the group, members to compute on their own: a set, or _ALL)."""
        if self.quiet_none(path):
            return None, _NONE
        if len(self.members) == 1:
            return None, _ALL
        route = path.route
        rid = str(route.originator_id) if route.originator_id is not None else None
        excl = set(self.static)
        for a in (path.peer_address, route.next_hop):
            excl.update(self.by_remote.get(a, ()))
        if rid is not None:
            excl.update(self.by_rid.get(rid, ()))
        rep = next((m for m in self.members if m not in excl), None)
        if rep is None:
            return None, _ALL
        wire = daemons.export_path(sp, rep.snd, rep.rcv, rep.session, path, net, cache)[0]
        if wire is not None:
            excl.update(self.by_remote.get(wire.next_hop, ()))
        return wire, excl


def _export_key(session: Session, end: SessionEnd, fam: int, net: Network) -> tuple[object, ...]:
    """What export_path reads of one end besides its remote address and router-id (see _Group)."""
    af = end.peer.afs.get(fam)
    pol = af.export_policy if af is not None else None
    afk = None if af is None else (id(pol), af.next_hop_self, af.next_hop_keep, af.rr_client, af.extended_next_hop,
                                    af.default_local_pref, af.next_hop_address)
    link = net.host(end.speaker.host).on_link(end.remote_address) if end.remote_address is not None else None
    ctx_dependent = pol is not None and not getattr(pol, "trivial", False)
    # The policy context holds the peer's AS and address: shared only if the policy cannot read it.
    return (fam in session.afs, session.af_problems.get(fam), end.peer.name, end.peer.local_as, end.ibgp,
            end.local_address, end.ifname, end.single_hop, afk, end.remote_address is None,
            link[0] if link is not None else None,
            (end.remote_address, end.remote_asn) if ctx_dependent else None)


class Simulator:
    def __init__(self, speakers: list[BgpSpeaker], net: Network, extra_fib: dict[str, list[FibEntry]] | None = None,
                 trace: set[IPNetwork] | None = None, max_steps: int | None = None,
                 only: set[IPNetwork] | None = None, unmodelled: dict[str, str] | None = None,
                 groups: bool = True, reverse: bool = False) -> None:
        self.speakers = {s.id: s for s in sorted(speakers, key=lambda s: s.id)}
        # Reverse: the same rules, events in another order (originators, and each speaker's peers,
        # taken last-first). Where BGP has more than one stable outcome, this one may differ.
        self.reverse = reverse
        self.net = net
        self.extra_fib = extra_fib or {}
        self.trace = trace
        self.cache = daemons.PolicyCache()
        self.bestc = daemons.BestCache()
        self.decisions: list[Decision] = []
        self.max_steps = max_steps
        self.only = only  # simulate just these prefixes (prefixes are independent)
        self.unmodelled = unmodelled or {}
        # Update groups and shared imports. Off: every session end is computed on its own, as are
        # the traced prefixes (their decisions name each peer); the results are the same.
        self.groups = groups
        self._addr_hosts: dict[object, set[str]] = {}

    def _record(self, prefix: IPNetwork, d: Decision) -> None:
        if self.trace is not None and prefix in self.trace:
            self.decisions.append(d)

    # ------------------------------------------------------------------------------------------ set-up
    def _members(self, sessions: list[Session]) -> dict[tuple[str, int], list[_Member]]:
        """Outgoing session ends per speaker and address family (a route is only offered where its
        family runs), in session order, each in its update group."""
        out: dict[tuple[str, int], list[_Member]] = {}
        for s in sessions:
            if s.up:
                for snd, rcv in s.ends():
                    for fam in s.afs:
                        out.setdefault((snd.speaker.id, fam), []).append(_Member(s, snd, rcv))
        sigs: dict[tuple[object, ...], int] = {}
        for (sid, fam), members in out.items():
            sp = self.speakers[sid]
            by_key: dict[tuple[object, ...], list[_Member]] = {}
            for m in members:
                by_key.setdefault(_export_key(m.session, m.snd, fam, self.net), []).append(m)
                m.isig = sigs.setdefault(self._import_signature(m.rcv, fam), len(sigs))
            for ms in by_key.values():
                g = _Group(ms, sp, fam, self.net)
                for m in ms:
                    m.group = g
        return out

    def _import_signature(self, end: SessionEnd, fam: int) -> tuple[object, ...]:
        """What import_path reads of the receiving end other than the speaker's own AS, router-id
        and addresses (checked per route, see _identity_hit). Ends with the same signature import
        a route the same way."""
        sp = end.speaker
        af = end.peer.afs.get(fam)
        host = self.net.host(sp.host)
        pol = af.import_policy if af is not None else None
        ctx = None if pol is None or getattr(pol, "trivial", False) else daemons._ctx(end, Direction.IMPORT)
        afk = None if af is None else (af.allowas_in, af.gateway, af.default_local_pref, af.rr_client, id(pol))
        return (sp.daemon, sp.options.accepts_received, sp.options.ebgp_requires_policy, end.peer.name, end.ibgp,
                end.remote_address, end.remote_router_id, end.single_hop, end.ifname, afk, host.connected_id(),
                id(host.static) if host.static.routes else None, ctx)

    # ------------------------------------------------------------------------------------------ run
    def run(self) -> SimResult:
        sessions = find_sessions(list(self.speakers.values()), self.net, self.unmodelled)
        members = self._members(sessions)
        self._groups_of: dict[tuple[str, int], list[_Group]] = {}
        for k, ms in members.items():
            seen: dict[int, _Group] = {}
            for m in ms:
                seen.setdefault(id(m.group), m.group)
            self._groups_of[k] = list(seen.values())
        # Speakers whose groups refuse the same paths (see _Group.quiet_none) share a signature.
        qsigs: dict[tuple[object, ...], int] = {}
        self._quiet_sig: dict[tuple[str, int], int] = {}
        for k, gs in self._groups_of.items():
            sig = tuple((g.rejects, g.daemon, g.peer_name, g.ibgp, g.af is not None and g.af.export_policy is None,
                         g.af is not None and g.af.rr_client) for g in gs)
            self._quiet_sig[k] = qsigs.setdefault(sig, len(qsigs))
        for name, h in self.net.hosts.items():
            for a in h.addresses:
                self._addr_hosts.setdefault(a, set()).add(name)
        importers: dict[str, list[tuple[BgpSpeaker, object]]] = {}
        for sp in self.speakers.values():
            for vi in sp.imports:
                src = next((o for o in self.speakers.values() if o.host == sp.host and o.daemon is sp.daemon
                            and o.vrf == vi.source_table and o is not sp), None)
                if src is not None:
                    importers.setdefault(src.id, []).append((sp, vi))
        local: dict[IPNetwork, dict[str, list[Path]]] = {}
        starts: dict[IPNetwork, list[str]] = {}
        n_start = 0
        for sp in self.speakers.values():
            for o in sorted(sp.originations, key=lambda o: (o.route.key(), o.how)):
                if self.only is not None and o.route.prefix not in self.only:
                    continue
                p = Path(o.route, "local", local=True, valid=o.valid, why_invalid=o.why_invalid, how=o.how, loc=o.loc)
                mine = local.setdefault(o.route.prefix, {})
                if sp.id not in mine:
                    starts.setdefault(o.route.prefix, []).append(sp.id)
                    n_start += 1
                mine.setdefault(sp.id, []).append(p)
                self._record(o.route.prefix, Decision(sp.id, "originate", o.valid, f"{sp.id} originates "
                                                      f"{o.route.prefix} ({o.how})" + ("" if o.valid else
                                                                                       f": not valid, {o.why_invalid}"),
                                                      o.loc, route=o.route))
        self.limit = self.max_steps or 200 * max(1, n_start) * max(1, len(self.speakers))
        self.steps = 0
        self.converged = True
        universe = PrefixIndex(local)
        tables: dict[str, PrefixTable[list[Path]]] = {sid: PrefixTable(universe) for sid in self.speakers}
        best: dict[str, PrefixTable[Path]] = {sid: PrefixTable(universe) for sid in self.speakers}
        # Prefixes are independent: each is run to its fixed point on its own, in prefix order.
        # Within a prefix the worklist is FIFO as before, so the order of events is the same.
        for pi, prefix in enumerate(universe.prefixes):
            if self.converged:
                self._prefix(pi, prefix, local[prefix], starts[prefix], members, importers, tables, best)
            else:
                for sid, ps in local[prefix].items():
                    tables[sid]._append(pi, list(ps))
        fib = self._fib(best)
        return SimResult(self.speakers, sessions, tables, best, fib, self.decisions, self.converged,  # type: ignore[arg-type]
                         self.steps, self.cache.misses, self.cache.hits)

    def _prefix(self, pi: int, prefix: IPNetwork, local: dict[str, list[Path]], start: list[str],
                members: dict[tuple[str, int], list[_Member]], importers: dict[str, list[tuple[BgpSpeaker, object]]],
                tables: dict[str, PrefixTable[list[Path]]], best_out: dict[str, PrefixTable[Path]]) -> None:
        """Run one prefix to its fixed point and append its paths to the tables."""
        tracing = self.trace is not None and prefix in self.trace
        fast = self.groups and not tracing
        fam = prefix.version
        net = self.net
        cache = self.cache
        select = self.bestc.select
        export_path = daemons.export_path
        import_path = daemons.import_path
        addr_hosts = self._addr_hosts
        new_path = object.__new__
        quiet_sig = self._quiet_sig
        quiet: dict[tuple[int, int, int], tuple[bool, object, object]] = {}
        rib: dict[str, dict[str, Path]] = {}
        best: dict[str, Path] = {}
        sent: dict[_Member, Route] = {}
        # (id(wire), sender host) -> (wire, {import signature: path or None}): one import per signature and wire
        imported: dict[tuple[int, str], tuple[Route, dict[int, Path | None]]] = {}
        queue: deque[str] = deque(reversed(start) if self.reverse else start)
        queued: set[str] = set(start)
        speakers = self.speakers
        limit = self.limit
        groups_of = self._groups_of
        last_cands: dict[str, list[Path]] = {}  # each speaker's candidates when it was last processed
        n_sent: dict[str, int] = {}  # routes each speaker currently has out on its sessions
        while queue:
            self.steps += 1
            if self.steps > limit:
                self.converged = False
                break
            sid = queue.popleft()
            queued.discard(sid)
            sp = speakers[sid]
            mine = local.get(sid)
            slot = rib.get(sid)
            cands = list(mine) if mine else []
            if slot:
                cands += [slot[k] for k in sorted(slot)] if len(slot) > 1 else slot.values()
            last_cands[sid] = cands
            new = select(sp, cands)
            old = best.get(sid)
            if new is old or (new is not None and old is not None and new.ident() == old.ident()):
                continue
            if new is None:
                best.pop(sid, None)
            else:
                best[sid] = new
                if tracing and len(cands) > 1:
                    self._record(prefix, Decision(sid, "best", True, f"{sid}: best of {len(cands)} paths is from "
                                                  f"{new.peer_address or new.how or new.source}"))
            ms: list[_Member] | tuple[()] = members.get((sid, fam), ())
            if fast and ms and not n_sent.get(sid):
                # Nothing out before; nothing out now either if every group refuses the path
                # (memoised per path: the answer depends on its route and attributes only).
                if new is None:
                    ms = ()
                else:
                    qk = (quiet_sig[(sid, fam)], id(new.attrs), id(new.route))
                    q = quiet.get(qk)
                    if q is None:
                        q = quiet[qk] = (all(g.quiet_none(new) for g in groups_of[(sid, fam)]), new.attrs, new.route)
                    if q[0]:
                        ms = ()
            group_wire: dict[_Group, tuple[Route | None, object]] = {}
            last_wire: Route | None = None
            last_g = None
            wire0: Route | None = None
            excl: object = _ALL
            for m in (reversed(ms) if self.reverse else ms):
                if new is None:
                    wire = None
                elif not fast:
                    wire, dec = export_path(sp, m.snd, m.rcv, m.session, new, net, cache)
                    self._record(prefix, dec)
                else:
                    g = m.group
                    if g is not last_g:
                        last_g = g
                        gw = group_wire.get(g)
                        if gw is None:
                            gw = group_wire[g] = g.export(sp, new, net, cache)
                        wire0, excl = gw
                    if excl is _ALL or m in excl:  # type: ignore[operator]
                        wire = export_path(sp, m.snd, m.rcv, m.session, new, net, cache)[0]
                    else:
                        wire = wire0
                prev = sent.get(m)
                if wire is prev or (prev is not None and wire == prev):
                    continue
                rsid = m.rsid
                rslot = rib.get(rsid)
                if rslot is None:
                    rslot = rib[rsid] = {}
                if wire is None:
                    del sent[m]
                    n_sent[sid] -= 1
                    rslot.pop(m.slot, None)
                else:
                    if prev is None:
                        n_sent[sid] = n_sent.get(sid, 0) + 1
                    sent[m] = wire
                    path: Path | None
                    if fast:
                        if wire is not last_wire:  # what the route says about identities, once per wire
                            last_wire = wire
                            counts = wire.as_path.counts()
                            any_hit = bool(wire.cluster_list)
                            orig = wire.originator_id is not None
                            nh = wire.next_hop
                            nh_hosts = addr_hosts.get(nh, _NONE) if nh is not None else _NONE
                            entry = imported.get((id(wire), sp.host))
                            if entry is None:  # the wire is kept: its id is part of the key
                                entry = imported[(id(wire), sp.host)] = (wire, {})
                            by_sig = entry[1]
                        # A route that names the receiver's own AS, addresses or router-id (loop,
                        # martian and reflection checks) is imported on its own.
                        if any_hit or m.local_as in counts or m.rhost in nh_hosts or (orig and m.ribgp):
                            path = import_path(m.rsp, m.rcv, m.session, wire, net, cache, sp.host)[0]
                        else:
                            tmpl = by_sig.get(m.isig, _MISSING)
                            if tmpl is _MISSING:
                                path = by_sig[m.isig] = import_path(m.rsp, m.rcv, m.session, wire, net, cache,
                                                                    sp.host)[0]
                            elif tmpl is None:
                                path = None
                            else:  # Path.with_source, inlined
                                path = new_path(Path)
                                path.route = tmpl.route  # type: ignore[union-attr]
                                path.source = m.source
                                path.attrs = tmpl.attrs  # type: ignore[union-attr]
                    else:
                        path, dec = import_path(m.rsp, m.rcv, m.session, wire, net, cache, sp.host)
                        self._record(prefix, dec)
                    if path is None:
                        rslot.pop(m.slot, None)
                    else:
                        rslot[m.slot] = path
                if rsid not in queued:
                    queued.add(rsid)
                    queue.append(rsid)
            for dst, vi in importers.get(sid, ()) if importers else ():
                dslot = rib.get(dst.id)
                if dslot is None:
                    dslot = rib[dst.id] = {}
                key_l = f"leak:{sid}"
                if new is None or new.leaked:
                    dslot.pop(key_l, None)
                else:
                    route = new.route
                    ok = True
                    if vi.policy is not None:  # type: ignore[attr-defined]
                        res = cache.apply(vi.policy, route, PolicyContext(Direction.IMPORT, vrf=dst.vrf))  # type: ignore[attr-defined]
                        ok = res.verdict is Verdict.ACCEPT
                        route = res.route
                        if tracing:
                            self._record(prefix, Decision(dst.id, "leak", ok, f"{dst.id}: import vrf {sp.vrf} "
                                                          f"{'accepted' if ok else 'rejected'} by {getattr(vi.policy, 'name', '')}",  # type: ignore[attr-defined]
                                                          res.decided_by.loc if res.decided_by else vi.loc, res))  # type: ignore[attr-defined]
                    if ok:
                        dslot[key_l] = Path(route, key_l, local=False, ibgp=new.ibgp, valid=new.valid,
                                            why_invalid=new.why_invalid, peer_address=new.peer_address,
                                            peer_router_id=new.peer_router_id, how=f"leaked from {sp.vrf}", leaked=True,
                                            ll_host=new.ll_host)
                    else:
                        dslot.pop(key_l, None)
                if dst.id not in queued:
                    queued.add(dst.id)
                    queue.append(dst.id)
        # Tables: own paths first, then received ones by session; the best path is one of them.
        # Converged, every change to a speaker's paths was followed by processing it: its last
        # candidates are its table.
        for sid in local.keys() | rib.keys():  # each speaker's table gets this prefix: order does not matter
            ps = last_cands.get(sid) if self.converged else None
            if ps is None:
                mine = local.get(sid)
                slot = rib.get(sid)
                ps = list(mine) if mine else []
                if slot:
                    ps += [slot[k] for k in sorted(slot)]
            if ps:
                t = tables[sid]
                t._idx.append(pi)
                t._vals.append(ps)
        for sid, path in best.items():
            t = best_out[sid]  # type: ignore[assignment]
            t._idx.append(pi)
            t._vals.append(path)  # type: ignore[arg-type]
        self.bestc.clear()

    # ------------------------------------------------------------------------------------------ kernel
    def _fib(self, best: dict[str, PrefixTable[Path]]) -> dict[str, list[FibEntry]]:
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
        kctx = PolicyContext(Direction.EXPORT, protocol_name="kernel")
        memo: dict[tuple[object, ...], tuple[Route, KernelRoute | None, str | None, object]] = {}
        nh_hosts: dict[int, tuple[Route, set[str]]] = {}
        hostkeys: dict[tuple[object, ...], int] = {}
        for sp in self.speakers.values():
            if not sp.installs_to_kernel:
                continue
            entries = fib.setdefault(sp.host, [])
            have = {e.route.dst for e in entries if e.source == sp.id}  # what we add below has source sp.id
            non_bgp = {e.route.dst for e in entries if e.source in ("connected", "static")}
            host = self.net.host(sp.host)
            hostkey = hostkeys.setdefault((host.connected_id(), id(host.static) if host.static.routes else None,
                                           sp.kernel_metric, sp.daemon), len(hostkeys))
            prefixes = best[sp.id]._u.prefixes
            pol = sp.kernel_export
            for pi, path in best[sp.id].entries():
                prefix = prefixes[pi]
                tracing = self.trace is not None and prefix in self.trace
                if sp.daemon is Daemon.FRR:
                    if path.local or not path.valid or (non_bgp and prefix in non_bgp):
                        continue  # zebra: lower distance wins; own originations are not installed
                    proto = "bgp"
                elif sp.daemon is Daemon.BIRD:
                    if pol is None:
                        if not path.local and tracing:
                            self._record(prefix, Decision(sp.id, "kernel", False, f"{sp.id}: no kernel protocol exports "
                                                          "routes (BIRD's default is `export none`): the route stays in "
                                                          "BIRD's table", sp.loc))
                        continue
                    r = path.route
                    if r.protocol is Protocol.KERNEL:
                        continue
                    # Each speaker has its own kernel protocol: a route is evaluated once per speaker
                    # anyway, so the result is not kept (a cache would hold one entry per route).
                    res = pol.evaluate(r, kctx)
                    self.cache.misses += 1
                    if tracing:
                        self._record(prefix, Decision(sp.id, "kernel", res.verdict is Verdict.ACCEPT,
                                                      f"{sp.id}: kernel protocol export "
                                                      f"{'accepts' if res.verdict is Verdict.ACCEPT else 'rejects'} the route",
                                                      res.decided_by.loc if res.decided_by else None, res))
                    if res.verdict is not Verdict.ACCEPT or r.protocol is Protocol.CONNECTED:
                        continue
                    proto = "bird"
                else:
                    continue
                # The kernel route is shared by the hosts that install the same path the same way
                # (same connected prefixes and non-BGP routes; the next hop an address of theirs or not).
                r = path.route
                own = False
                if r.next_hop is not None:
                    oh = nh_hosts.get(id(r))
                    if oh is None:
                        oh = nh_hosts[id(r)] = (r, self._addr_hosts.get(r.next_hop, _NONE))  # type: ignore[arg-type]
                    own = sp.host in oh[1]
                a = path.attrs  # unreachable, ll_host, why_invalid: shared by paths with the same attributes
                key = (hostkey, id(r), id(a), own)
                k = memo.get(key)
                if k is None:
                    e = self._kernel_entry(sp, path, proto, sp.kernel_metric)
                    memo[key] = (r, None if e is None else e.route, None if e is None else e.via_host, a)
                elif k[1] is None:
                    e = None
                else:
                    e = FibEntry(k[1], sp.id, k[2], None, a.why_invalid if k[1].type != "unicast" else "")
                if e is not None and not (have and e.route.dst in have):
                    entries.append(e)
                    if tracing:
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
