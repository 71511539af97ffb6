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

import heapq
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.model.cluster import KernelRoute
from podpath.routing import daemons
from podpath.routing.bgp import BgpSpeaker, Daemon
from podpath.routing.network import Network
from podpath.routing.builtin import Fixed
from podpath.routing.daemons import NO_ADVERTISE, NO_EXPORT
from podpath.routing.policy import Direction, PolicyContext, Verdict, context_free, policy_id
from podpath.routing.rib import CohortTable, Decision, Path, PrefixIndex, PrefixTable
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
    fib: Mapping[str, list[FibEntry]]  # a `Fib`
    decisions: list[Decision] = field(default_factory=list)
    converged: bool = True
    steps: int = 0
    policy_evaluations: int = 0
    policy_cache_hits: int = 0
    cohorts: list["_Cohort"] = field(default_factory=list)
    decisions_by_prefix: dict[IPNetwork, list[Decision]] = field(default_factory=dict)  # traced prefixes

    def not_installed(self, sid: str) -> list[IPNetwork]:
        """Prefixes whose best path at `sid` was received (not originated there) yet are in no
        kernel route of its host, in prefix order. Cohort members share the answer for the
        prefixes they did not simulate on their own, so a large cluster costs what its
        exceptions cost."""
        table = self.best[sid]
        sp = self.speakers[sid]
        fib = self.fib
        if not isinstance(table, CohortTable) or not isinstance(fib, Fib):
            installed = {e.route.dst for e in fib.get(sp.host, [])}
            return [p for p, path in table.items() if not path.local and p not in installed]
        prefixes = table._u.prefixes
        own_best = table._own
        kernel_own = {pi for pi, _ in fib._own.get(sid, ())}
        out: list[int] = [pi for pi, path in zip(own_best._idx, own_best._vals)
                          if path is not None and not path.local and pi not in kernel_own]
        for c in self.cohorts:
            if sid not in c.sources:
                continue
            exc = c.exceptions
            out += [pi for pi in self._shared_missing(c) if sid not in exc.get(pi, ())]
        if not out:
            return []
        elsewhere = {e.route.dst for e in fib._base.get(sp.host, ())}
        for other in fib._order.get(sp.host, ()):
            if other != sid:
                elsewhere |= {e.route.dst for _, e in fib.speaker_entries(other)}
        return [prefixes[pi] for pi in sorted(set(out)) if prefixes[pi] not in elsewhere]

    def _shared_missing(self, c: "_Cohort") -> list[int]:
        memo = self.__dict__.setdefault("_missing_memo", {})
        m = memo.get(c.id)
        if m is None:
            kernel = {pi for pi, _ in c.kernel}
            m = memo[c.id] = [pi for pi, (cands, i) in c.best.entries()  # type: ignore[misc]
                              if not cands[i][1].local and pi not in kernel]
        return m

    def fib_lookup(self, host: str, addr: object) -> FibEntry | None:
        best: FibEntry | None = None
        for e in self.fib.get(host, []):
            r = e.route
            if r.dst.version != addr.version or addr not in r.dst or r.table != "main":  # type: ignore[attr-defined, operator]
                continue
            if best is None or (r.dst.prefixlen, -(r.metric or 0)) > (best.route.dst.prefixlen, -(best.route.metric or 0)):
                best = e
        return best


class Fib(Mapping[str, list[FibEntry]]):
    """Each host's kernel table (host -> entries: connected, static, Cilium's, then each
    installing speaker's in prefix order), built when read. A cohort's kernel routes are kept
    once (`_Cohort.kernel`) and given to each member not on its own for that prefix; reading
    every host's table of a large cluster costs what it always did, the simulation does not."""

    def __init__(self, base: dict[str, list[FibEntry]]) -> None:
        self._base = base
        self._order: dict[str, list[str]] = {}  # host -> installing speakers, in id order
        self._own: dict[str, list[tuple[int, FibEntry]]] = {}  # speaker -> (prefix position, entry)
        self._cohorts: dict[str, list[_Cohort]] = {}  # speaker -> its cohorts (by family)

    def speaker_entries(self, sid: str) -> list[tuple[int, FibEntry]]:
        """(prefix position, entry) of what `sid` installs, in prefix order."""
        own = self._own.get(sid, [])
        cs = self._cohorts.get(sid)
        if not cs:
            return own
        shared: list[tuple[int, FibEntry]] = []
        for c in sorted(cs, key=lambda c: c.fam):
            exc = c.exceptions
            for pi, t in c.kernel:
                if exc and sid in exc.get(pi, ()):
                    continue
                shared.append((pi, FibEntry(t.route, sid, t.via_host, None, t.why)))
        return list(heapq.merge(own, shared, key=lambda x: x[0]))

    def own_entries(self, host: str) -> list[FibEntry]:
        """The host's entries other than its cohorts' shared ones (see reach.Forwarder)."""
        out = list(self._base.get(host, ()))
        for sid in self._order.get(host, ()):
            out.extend(e for _, e in self._own.get(sid, ()))
        return out

    def __getitem__(self, host: str) -> list[FibEntry]:
        if host not in self._base and host not in self._order:
            raise KeyError(host)
        out = list(self._base.get(host, ()))
        for sid in self._order.get(host, ()):
            out.extend(e for _, e in self.speaker_entries(sid))
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._base.keys() | self._order.keys()))

    def total(self) -> int:
        """The number of kernel routes of all hosts, without building the tables."""
        n = sum(len(v) for v in self._base.values()) + sum(len(v) for v in self._own.values())
        counted: set[int] = set()
        for sid, cs in self._cohorts.items():
            if sid not in self._own:
                continue  # not installing
            for c in cs:
                n += len(c.kernel)
                if c.id not in counted:  # members on their own do not get the shared route
                    counted.add(c.id)
                    n -= sum(len(c.exceptions.get(pi, ())) for pi, _ in c.kernel)
        return n

    def __len__(self) -> int:
        return len(self._base.keys() | self._order.keys())


class _Member:
    """One direction of one established session, for one address family: `snd` offers its best
    paths to `rcv`."""

    __slots__ = ("session", "snd", "rcv", "rsp", "rsid", "rhost", "local_as", "ribgp", "slot", "source", "group",
                 "remote", "isig", "bundle", "rcluster", "rrid")

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
        self.bundle: _Bundle | None = None  # set when the receiver is in a cohort (Simulator._cohorts)
        # What import_path compares the route's CLUSTER_LIST and ORIGINATOR_ID with.
        self.rcluster = rcv.speaker.options.cluster_id or rcv.speaker.router_id
        self.rrid = rcv.speaker.router_id


_ALL = object()  # _Group.export: compute every member on its own
_NONE: frozenset[_Member] = frozenset()


class _Group:
    """An update group: the ends of one speaker whose export computation is the same (same peer
    settings, session type, source address, egress interface, the peer's subnet, and a policy
    that either ignores the context or sees the same one). The export is computed for one member
    and given to the others; members whose address or router-id the path mentions (next hop,
    neighbour it came from, originator) are computed one by one, as are members whose address is
    one of the sender's own (FRR's and BIRD's next hop rules compare those)."""

    __slots__ = ("members", "static", "by_remote", "by_rid", "af", "peer_name", "ibgp", "daemon", "rejects",
                 "loop_as", "loose", "bundles", "filter_ctx", "rejects_split")

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
            type(pol) is Fixed and pol.verdict is Verdict.REJECT) or getattr(pol, "denies_all", False)
        own: set[object] = set(net.host(sp.host).addresses)
        own.add(end.local_address)
        if af is not None:
            own.add(af.next_hop_address)
        self.static = {m for m in members if m.remote in own}
        # Every receiver rejects whatever it is sent: all Cilium (>= 1.16, rejects every received
        # path), all with an import policy that denies every route, or all with one AS `loop_as` and
        # no allowas-in, where nothing on the way can take an AS out of the path (no policy, or a
        # trivial one, or one that keeps every AS of the path): a path naming that AS is refused.
        self.loop_as: int | None = None
        recv_afs = [m.rcv.peer.afs.get(fam) for m in members]
        if all(m.rsp.daemon is Daemon.CILIUM and not m.rsp.options.accepts_received for m in members):
            self.rejects = True
        elif all(a is not None and getattr(a.import_policy, "denies_all", False) for a in recv_afs):
            self.rejects = True  # every receiver's import policy rejects every route (an FRR `deny` first)
        elif (len({m.local_as for m in members}) == 1 and all(a is None or not a.allowas_in for a in recv_afs)
              and (pol is None or getattr(pol, "trivial", False) or getattr(pol, "keeps_as_path", False))):
            self.loop_as = members[0].local_as
        # BIRD runs the export filter on the route as it is in the table (attributes for the
        # session come after): a filter that reads only the route refuses it for every member.
        self.filter_ctx = daemons._ctx(end, Direction.EXPORT) if (
            sp.daemon is Daemon.BIRD and pol is not None and context_free(pol)) else None
        self.loose: list[_Member] = list(members)  # members not in a bundle (see Simulator._cohorts)
        # A group that rejects everything never has anything out: offering its members a withdrawal
        # only matters where that takes a member out of its cohort (see Simulator.run).
        self.rejects_split: list[_Member] = []
        self.bundles: list[_Bundle] = []
        self.by_remote: dict[object, list[_Member]] = {}
        self.by_rid: dict[object, list[_Member]] = {}
        for m in members:
            self.by_remote.setdefault(m.remote, []).append(m)
            self.by_rid.setdefault(m.snd.remote_router_id, []).append(m)

    def quiet_none(self, path: Path, cache: daemons.PolicyCache) -> bool:
        """True when export_path gives nothing to any member, whatever its address (the first
        checks of export_path and of the daemon's export, without building decisions)."""
        if self.rejects or not path.valid:
            return True
        comms = path.route.communities
        if comms and (NO_ADVERTISE in comms or (NO_EXPORT in comms and not self.ibgp)):
            return True
        if self.loop_as is not None and path.route.as_path.contains(self.loop_as):
            return True
        if self.daemon is Daemon.BIRD:
            if (not path.local and path.peer_name == self.peer_name) or self.af.export_policy is None or (
                    path.ibgp and self.ibgp and not (path.from_rr_client or self.af.rr_client)):
                return True
            if self.filter_ctx is not None:
                return cache.apply(self.af.export_policy, path.route, self.filter_ctx).verdict is Verdict.REJECT
            return False
        if self.daemon is Daemon.CILIUM:
            return not path.local or self.af.export_policy is None
        return False

    def export(self, sp: BgpSpeaker, path: Path, net: Network, cache: daemons.PolicyCache) -> tuple[Route | None, object]:
        """(wire for the group, members to compute on their own: a set, or _ALL)."""
        if self.quiet_none(path, cache):
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
        wire = daemons.export_path(sp, rep.snd, rep.rcv, rep.session, path, net, cache, False)[0]
        if wire is not None:
            excl.update(self.by_remote.get(wire.next_hop, ()))
        return wire, excl


def _export_key(session: Session, end: SessionEnd, fam: int, net: Network) -> tuple[object, ...]:
    """What export_path reads of one end besides its remote address and router-id (see _Group)."""
    af = end.peer.afs.get(fam)
    pol = af.export_policy if af is not None else None
    afk = None if af is None else (policy_id(pol), af.next_hop_self, af.next_hop_keep, af.rr_client, af.extended_next_hop,
                                    af.default_local_pref, af.next_hop_address)
    link = net.host(end.speaker.host).on_link(end.remote_address) if end.remote_address is not None else None
    ctx_dependent = pol is not None and not context_free(pol)
    # The policy context holds the peer's AS and address: shared only if the policy cannot read it.
    return (fam in session.afs, session.af_problems.get(fam), end.peer.name, end.peer.local_as, end.ibgp,
            end.local_address, end.ifname, end.single_hop, afk, end.remote_address is None,
            link[0] if link is not None else None,
            (end.remote_address, end.remote_asn) if ctx_dependent else None)


class _Cohort:
    """Speakers that, for one address family, receive from the same senders in the same update
    groups, import and select the same way, install to the kernel the same way and refuse the
    same paths on export (see Simulator._cohorts). For each prefix they share one default state
    (template paths per slot position, a best path) until something sets one apart: it
    originates the prefix, a route names its AS, address, router-id or cluster, a sender
    computes its route on its own, or the default best would be exported (the cohort "explodes":
    every member goes on alone for that prefix). Results are stored once per cohort and read
    per member through `rib.CohortTable`."""

    __slots__ = ("id", "fam", "members", "rep", "sources", "slot_pos", "bundles_in", "tables", "best", "kernel",
                 "exceptions", "quiet_key", "host_of")

    def __init__(self, cid: int, fam: int, members: list[str]) -> None:
        self.id = cid
        self.fam = fam
        self.members = members
        self.rep = members[0]
        self.sources: dict[str, tuple[str, ...]] = {}  # member -> its source per slot position
        self.slot_pos: dict[str, list[str]] = {}  # member -> its Adj-RIB-In slot per position
        self.bundles_in: list[_Bundle] = []
        self.tables: PrefixTable[object] = None  # type: ignore[assignment]
        self.best: PrefixTable[object] = None  # type: ignore[assignment]
        self.kernel: list[tuple[int, FibEntry]] = []  # default kernel entries (source: the representative)
        self.exceptions: dict[int, set[str]] = {}  # prefix position -> members simulated on their own
        self.quiet_key = 0
        self.host_of: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"_Cohort({self.id}, ipv{self.fam}, {len(self.members)} members)"


class _Bundle:
    """The members of one update group that go to one cohort, one per cohort member, all at the
    same slot position: the group's route is delivered to the cohort's default state once."""

    __slots__ = ("cohort", "pos", "members", "of", "isig", "uniform_as", "by_as", "by_host", "by_rid",
                 "by_cluster", "sender")

    def __init__(self, cohort: _Cohort, pos: int, members: list[_Member], sender: str,
                 speakers: dict[str, BgpSpeaker]) -> None:
        self.cohort = cohort
        self.pos = pos
        self.members = members
        self.sender = sender
        self.of = {m.rsid: m for m in members}
        self.isig = members[0].isig
        ases = {m.local_as for m in members}
        # One AS for all: a route naming it is imported the same way by every member (once).
        self.uniform_as = next(iter(ases)) if len(ases) == 1 else None
        self.by_as: dict[int, list[_Member]] = {}
        self.by_host: dict[str, list[_Member]] = {}
        self.by_rid: dict[str, list[_Member]] = {}
        self.by_cluster: dict[str, list[_Member]] = {}
        for m in members:
            self.by_as.setdefault(m.local_as, []).append(m)
            self.by_host.setdefault(m.rhost, []).append(m)
            sp = speakers[m.rsid]
            if sp.router_id:
                self.by_rid.setdefault(str(sp.router_id), []).append(m)
            cl = sp.options.cluster_id or sp.router_id
            if cl:
                self.by_cluster.setdefault(str(cl), []).append(m)


class Simulator:
    def __init__(self, speakers: list[BgpSpeaker], net: Network, extra_fib: dict[str, list[FibEntry]] | None = None,
                 trace: set[IPNetwork] | None = None, max_steps: int | None = None,
                 only: set[IPNetwork] | None = None, unmodelled: dict[str, str] | None = None,
                 groups: bool = True, reverse: bool = False, cohorts: bool = True,
                 assume_unknown_up: bool = False) -> None:
        self.speakers = {s.id: s for s in sorted(speakers, key=lambda s: s.id)}
        # Sessions whose outcome is unknown (they depend on something podpath does not model) taken as up:
        # what could work, to tell a failure that holds anyway (broken) from one that depends on them (unknown).
        self.assume_unknown_up = assume_unknown_up
        # Reverse: the same rules, events in another order (originators, and each speaker's peers,
        # taken last-first). Where BGP has more than one stable outcome, this one may differ.
        self.reverse = reverse
        self.net = net
        self.extra_fib = extra_fib or {}
        self.trace = trace
        self.cache = daemons.PolicyCache()
        self.bestc = daemons.BestCache()
        self.decisions: list[Decision] = []
        self.decisions_by_prefix: dict[IPNetwork, list[Decision]] = {}
        self.max_steps = max_steps
        self.only = only  # simulate just these prefixes (prefixes are independent)
        self.unmodelled = unmodelled or {}
        # Update groups and shared imports. Off: every session end is computed on its own, as are
        # the traced prefixes (their decisions name each peer); the results are the same.
        self.groups = groups
        # Cohorts (see _Cohort): receivers in the same state share it. Off, or with groups off,
        # every speaker is simulated on its own; the results are the same.
        self.use_cohorts = cohorts and groups
        self._cohort_of: dict[tuple[str, int], _Cohort] = {}
        self.cohorts: list[_Cohort] = []
        self._addr_hosts: dict[object, set[str]] = {}

    def _record(self, prefix: IPNetwork, d: Decision) -> None:
        if self.trace is not None and prefix in self.trace:
            self.decisions.append(d)
            self.decisions_by_prefix.setdefault(prefix, []).append(d)

    # ------------------------------------------------------------------------------------------ set-up
    def _members(self, sessions: list[Session]) -> dict[tuple[str, int], list[_Member]]:
        """Outgoing session ends per speaker and address family (a route is only offered where its
        family runs), in session order, each in its update group."""
        out: dict[tuple[str, int], list[_Member]] = {}
        for s in sessions:
            if s.up or (self.assume_unknown_up and s.unknown and s.afs):
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
        pol = af.import_policy if af is not None else None
        ctx = None if pol is None or context_free(pol) else daemons._ctx(end, Direction.IMPORT)
        afk = None if af is None else (af.allowas_in, af.gateway, af.default_local_pref, af.rr_client, policy_id(pol))
        # The host is read only to resolve the next hop: that answer is part of the key per route
        # (nh_bits in _prefix), so speakers on hosts with other connected networks can share.
        return (sp.daemon, sp.options.accepts_received, sp.options.ebgp_requires_policy, end.peer.name, end.ibgp,
                end.remote_address, end.remote_router_id, end.single_hop, end.ifname, afk, ctx)

    def _cohorts(self, members: dict[tuple[str, int], list[_Member]], importers: dict[str, object]) -> None:
        """Group speakers into cohorts and each update group's members into bundles (see _Cohort).
        Only what the members cannot differ in goes into the signature; what they may differ in
        (their AS, addresses, router-id, cluster-id) is checked route by route."""
        incoming: dict[tuple[str, int], list[_Member]] = {}
        for (sid, fam), ms in members.items():
            for m in ms:
                incoming.setdefault((m.rsid, fam), []).append(m)
        by_sig: dict[tuple[object, ...], list[tuple[str, list[_Member]]]] = {}
        for (rsid, fam), inc in incoming.items():
            sp = self.speakers[rsid]
            if rsid in importers or sp.imports:
                continue
            if any(e.source == rsid for e in self.extra_fib.get(sp.host, ())):
                continue
            inc.sort(key=lambda m: m.slot)
            seq: list[tuple[object, ...]] = []
            seen: dict[str, int] = {}
            for m in inc:
                snd = m.snd.speaker
                k = seen[snd.id] = seen.get(snd.id, -1) + 1
                if snd.host != sp.host:
                    seq.append(("x", snd.id, k, m.isig, id(m.group)))
                else:  # a sender on the member's own host: it only ever reaches this one member
                    seq.append(("l", snd.daemon, snd.vrf, m.snd.peer.name, k))
            host = self.net.host(sp.host)
            sig = (fam, sp.daemon, sp.vrf, repr(sp.options), sp.installs_to_kernel, policy_id(sp.kernel_export),
                   sp.kernel_metric, host.connected_id(), id(host.static) if host.static.routes else None,
                   self._quiet_sig.get((rsid, fam)), tuple(seq))
            by_sig.setdefault(sig, []).append((rsid, inc))
        for sig, group in sorted(by_sig.items(), key=lambda kv: kv[1][0][0]):
            if len(group) < 2:
                continue
            group.sort(key=lambda x: x[0])
            fam = sig[0]
            c = _Cohort(len(self.cohorts), fam, [sid for sid, _ in group])  # type: ignore[arg-type]
            c.quiet_key = self._quiet_sig.get((c.rep, fam), -1)
            self.cohorts.append(c)
            for sid, inc in group:
                self._cohort_of[(sid, fam)] = c
                c.sources[sid] = tuple(m.source for m in inc)
                c.slot_pos[sid] = [m.slot for m in inc]
                c.host_of[sid] = self.speakers[sid].host
            # Bundles: per slot position fed by another host, the members of that sender's group.
            first = group[0][1]
            for pos, m0 in enumerate(first):
                if m0.snd.speaker.host == self.speakers[c.rep].host:
                    continue
                ms = [inc[pos] for _, inc in group]
                g = m0.group
                b = _Bundle(c, pos, ms, m0.snd.speaker.id, self.speakers)
                g.bundles.append(b)
                c.bundles_in.append(b)
                for m in ms:
                    m.bundle = b
        for gs in self._groups_of.values():
            for g in gs:
                if g.bundles:
                    g.loose = [m for m in g.members if m.bundle is None]

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
                         g.af is not None and g.af.rr_client, g.loop_as,
                         policy_id(g.af.export_policy) if g.filter_ctx is not None else None) for g in gs)
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
        if self.use_cohorts:
            self._cohorts(members, importers)
        for (_, fam), gs in self._groups_of.items():
            for g in gs:
                if g.rejects:
                    g.rejects_split = [m for m in g.loose if (m.rsid, fam) in self._cohort_of]
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
        for c in self.cohorts:
            c.tables = PrefixTable(universe)
            c.best = PrefixTable(universe)
        # Prefixes are independent: each is run to its fixed point on its own, in prefix order.
        # Within a prefix the worklist is FIFO as before, so the order of events is the same.
        for pi, prefix in enumerate(universe.prefixes):
            if self.converged:
                self._prefix(pi, prefix, local[prefix], starts[prefix], members, importers, tables, best)
            else:
                for sid, ps in local[prefix].items():
                    tables[sid]._append(pi, list(ps))
        fib = self._fib(best)
        self.cache.shared = False
        if self.cohorts:
            parts: dict[str, list[_Cohort]] = {}
            for c in self.cohorts:  # in family order, like the prefixes
                for sid in c.members:
                    parts.setdefault(sid, []).append(c)
            for sid, cs in parts.items():
                cs.sort(key=lambda c: c.fam)
                tables[sid] = CohortTable(tables[sid], [(c.tables, c.sources[sid]) for c in cs], False)  # type: ignore[assignment]
                best[sid] = CohortTable(best[sid], [(c.best, c.sources[sid]) for c in cs], True)  # type: ignore[assignment]
        return SimResult(self.speakers, sessions, tables, best, fib, self.decisions, self.converged,  # type: ignore[arg-type]
                         self.steps, self.cache.misses, self.cache.hits, self.cohorts, self.decisions_by_prefix)

    def _prefix(self, pi: int, prefix: IPNetwork, local: dict[str, list[Path]], start: list[str],
                members: dict[tuple[str, int], list[_Member]], importers: dict[str, list[tuple[BgpSpeaker, object]]],
                tables: dict[str, PrefixTable[list[Path]]], best_out: dict[str, PrefixTable[Path]]) -> None:
        """Run one prefix to its fixed point and append its paths to the tables."""
        tracing = self.trace is not None and prefix in self.trace
        fast = self.groups and not tracing
        fam = prefix.version
        net = self.net
        cache = self.cache
        cache.shared = not tracing  # only the traced prefixes' decisions are kept (see PolicyCache.shared)
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
        # (id(wire), sender host) -> (wire, AS counts, cluster ids, originator?, hosts owning the
        # next hop, {import signature x next-hop answer: path or None}, originator id, {receiving
        # host: next-hop answer}): one import per signature, next-hop answer, wire and sender host
        # (the import reads it: FRR's IPv6 next hop via the sender's link-local)
        winfo: dict[tuple[int, str], tuple[Route, dict[int, int], frozenset[str], bool, object, dict[int, Path | None],
                                           str | None, dict[str, int]]] = {}
        queue: deque[object] = deque(reversed(start) if self.reverse else start)
        queued: set[object] = set(start)
        speakers = self.speakers
        limit = self.limit
        groups_of = self._groups_of
        last_cands: dict[str, list[Path]] = {}  # each speaker's candidates when it was last processed
        n_sent: dict[str, int] = {}  # routes each speaker currently has out on its sessions
        # Cohorts (fast mode only): the shared state of the members not on their own.
        cohort_of = self._cohort_of if fast else {}
        exc: dict[_Cohort, set[str]] = {}  # members on their own for this prefix
        exploded: set[_Cohort] = set()
        drib: dict[_Cohort, dict[int, Path]] = {}  # slot position -> template path
        dbest: dict[_Cohort, tuple[int, Path]] = {}
        dlast: dict[_Cohort, list[tuple[int, Path]]] = {}
        dsent: dict[_Bundle, Route] = {}
        dsent_of: dict[_Cohort, dict[_Bundle, Route]] = {}  # the same, by cohort
        if cohort_of:
            for sid in start:
                c0 = cohort_of.get((sid, fam))
                if c0 is not None:
                    exc.setdefault(c0, set()).add(sid)

        def info(wire: Route, sender_host: str) -> tuple[Route, dict[int, int], frozenset[str], bool, object,
                                                         dict[int, Path | None], str | None, dict[str, int]]:
            """What the route says about identities (loop, martian, reflection checks), once per wire."""
            w = winfo.get((id(wire), sender_host))
            if w is None or w[0] is not wire:
                nh = wire.next_hop
                oid = wire.originator_id
                w = winfo[(id(wire), sender_host)] = (wire, wire.as_path.counts(),
                                       frozenset(str(c) for c in wire.cluster_list), oid is not None,
                                       addr_hosts.get(nh, _NONE) if nh is not None else _NONE, {},
                                       str(oid) if oid is not None else None, {})
            return w

        def nh_bits(w: tuple[object, ...], host: str) -> int:
            """How `host` resolves the route's next hop, as import_path asks it (8 values): with the
            import signature, what decides the import (see Simulator._import_signature)."""
            memo: dict[str, int] = w[7]  # type: ignore[assignment]
            bits = memo.get(host)
            if bits is None:
                nh = w[0].next_hop  # type: ignore[attr-defined]
                if nh is None:
                    bits = 0
                else:
                    h = net.host(host)
                    bits = ((h.on_link(nh) is not None) | (h.resolves(nh, nh.version in h.nht_via_default) << 1)
                            | (h.resolves(nh) << 2))
                memo[host] = bits
            return bits

        def enqueue(item: object) -> None:
            if item not in queued:
                queued.add(item)
                queue.append(item)

        def split(sid: str, c: _Cohort) -> None:
            """`sid` leaves its cohort's shared state for this prefix and goes on alone from it."""
            e = exc.get(c)
            if e is None:
                e = exc[c] = set()
            e.add(sid)
            srcs = c.sources[sid]
            d = drib.get(c)
            if d:
                slots = c.slot_pos[sid]
                r = rib.get(sid)
                if r is None:
                    r = rib[sid] = {}
                for pos, t in d.items():
                    r[slots[pos]] = Path.with_source(t, srcs[pos])
            db = dbest.get(c)
            if db is not None:
                best[sid] = Path.with_source(db[1], srcs[db[0]])
            for b, w in dsent_of.get(c, {}).items():  # what the shared state was sent, as if to the member
                sent[b.of[sid]] = w
                n_sent[b.sender] = n_sent.get(b.sender, 0) + 1
            enqueue(sid)

        def explode(c: _Cohort) -> None:
            e = exc.get(c, ())
            for sid in c.members:
                if sid not in e:
                    split(sid, c)
            exploded.add(c)

        def deliver(m: _Member, wire: Route | None, sender_host: str) -> None:
            """`wire` (None: withdrawn) arrives over `m`, at a speaker simulated on its own."""
            rsid = m.rsid
            if cohort_of:
                c = cohort_of.get((rsid, fam))
                if c is not None and rsid not in exc.get(c, ()):
                    split(rsid, c)
            prev = sent.get(m)
            if wire is prev or (prev is not None and wire == prev):
                return
            sid = m.snd.speaker.id
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
                    w = info(wire, sender_host)
                    _, counts, clusters, orig, nh_hosts, by_sig, oid, _ = w
                    # A route that names the receiver's own AS, addresses, cluster-id or router-id
                    # (loop, martian and reflection checks) is imported on its own.
                    if m.local_as in counts or m.rhost in nh_hosts or m.rcluster in clusters or (  # type: ignore[operator]
                            orig and m.ribgp and oid == m.rrid):
                        path = import_path(m.rsp, m.rcv, m.session, wire, net, cache, sender_host, False)[0]
                    else:
                        ik = m.isig * 8 + nh_bits(w, m.rhost)
                        tmpl = by_sig.get(ik, _MISSING)
                        if tmpl is _MISSING:
                            path = by_sig[ik] = import_path(m.rsp, m.rcv, m.session, wire, net, cache,
                                                            sender_host, False)[0]
                        elif tmpl is None:
                            path = None
                        else:  # Path.with_source, inlined
                            path = new_path(Path)
                            path.route = tmpl.route  # type: ignore[union-attr]
                            path.source = m.source
                            path.attrs = tmpl.attrs  # type: ignore[union-attr]
                else:
                    path, dec = import_path(m.rsp, m.rcv, m.session, wire, net, cache, sender_host)
                    self._record(prefix, dec)
                if path is None:
                    rslot.pop(m.slot, None)
                else:
                    rslot[m.slot] = path
            enqueue(rsid)

        def deliver_bundle(b: _Bundle, wire0: Route | None, excl: object, sp: BgpSpeaker, new: Path | None) -> None:
            """The group's route to a cohort: once to the shared state, one by one to the members on
            their own (already, computed apart by the group, or named by the route)."""
            c = b.cohort
            host = sp.host
            if excl is _ALL and c not in exploded:
                explode(c)
            if c in exploded:
                for m in b.members:
                    w = wire0 if excl is not _ALL and m not in excl else (  # type: ignore[operator]
                        None if new is None else export_path(sp, m.snd, m.rcv, m.session, new, net, cache, False)[0])
                    deliver(m, w, host)
                return
            own: list[_Member] = [m for m in excl if m.bundle is b]  # type: ignore[attr-defined]
            e = exc.get(c)
            if e:
                own += [b.of[x] for x in e]
            all_hit = False
            w = None
            if wire0 is not None:
                w = info(wire0, host)
                counts = w[1]
                if w[2]:
                    for cl in wire0.cluster_list:
                        own += b.by_cluster.get(str(cl), ())
                if w[3] and b.members[0].ribgp:
                    own += b.by_rid.get(str(wire0.originator_id), ())
                if b.uniform_as is None:
                    for a in counts:
                        hit = b.by_as.get(a)
                        if hit:
                            own += hit
                else:
                    all_hit = b.uniform_as in counts
                for h in w[4]:  # type: ignore[attr-defined]
                    hit = b.by_host.get(h)
                    if hit:
                        own += hit
            mine = set()
            for m in own:
                if m not in mine:
                    mine.add(m)
                    deliver(m, export_path(sp, m.snd, m.rcv, m.session, new, net, cache, False)[0]
                            if new is not None and m in excl else wire0, host)  # type: ignore[operator]
            prev = dsent.get(b)
            if wire0 is prev or (prev is not None and wire0 == prev):
                return
            d = drib.get(c)
            if d is None:
                d = drib[c] = {}
            ds = dsent_of.get(c)
            if ds is None:
                ds = dsent_of[c] = {}
            if wire0 is None:
                del dsent[b]
                del ds[b]
                n_sent[b.sender] -= 1
                d.pop(b.pos, None)
            else:
                if prev is None:
                    n_sent[b.sender] = n_sent.get(b.sender, 0) + 1
                dsent[b] = ds[b] = wire0
                rep = next((m for m in b.members if m not in mine and m.rsid not in exc.get(c, ())), None)
                if rep is None:  # every member is on its own
                    d.pop(b.pos, None)
                    return
                if all_hit:  # the route names the AS every member has: imported the same way by all
                    path = import_path(rep.rsp, rep.rcv, rep.session, wire0, net, cache, host, False)[0]
                else:
                    by_sig = w[5]  # type: ignore[index]
                    ik = b.isig * 8 + nh_bits(w, rep.rhost)  # type: ignore[arg-type]
                    path = by_sig.get(ik, _MISSING)  # type: ignore[assignment]
                    if path is _MISSING:
                        path = by_sig[ik] = import_path(rep.rsp, rep.rcv, rep.session, wire0, net, cache, host, False)[0]
                if path is None:
                    d.pop(b.pos, None)
                else:
                    d[b.pos] = path
            enqueue(c)

        while queue:
            self.steps += 1
            if self.steps > limit:
                self.converged = False
                break
            item = queue.popleft()
            queued.discard(item)
            if item.__class__ is _Cohort:
                c = item  # type: ignore[assignment]
                if c in exploded:
                    continue
                d = drib.get(c)
                pairs = sorted(d.items()) if d else []
                dlast[c] = pairs
                paths = [t for _, t in pairs]
                rep_sp = speakers[c.rep]
                new = select(rep_sp, paths)
                old = dbest.get(c)
                if new is None:
                    dbest.pop(c, None)
                    continue  # the shared state never sends: nothing to withdraw
                pos = pairs[next(i for i, t in enumerate(paths) if t is new)][0]
                if old is not None and old[0] == pos and old[1].ident()[1:] == new.ident()[1:]:
                    continue
                qk = (c.quiet_key, id(new.attrs), id(new.route))
                q = quiet.get(qk)
                if q is None:
                    q = quiet[qk] = (all(g.quiet_none(new, cache) for g in groups_of.get((c.rep, fam), ())), new.attrs,
                                     new.route)
                if q[0]:
                    dbest[c] = (pos, new)
                    continue
                explode(c)  # its members would send: each goes on alone (from the old best)
                continue
            sid = item  # type: ignore[assignment]
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
                        q = quiet[qk] = (all(g.quiet_none(new, cache) for g in groups_of[(sid, fam)]), new.attrs, new.route)
                    if q[0]:
                        ms = ()
            if not fast:
                for m in (reversed(ms) if self.reverse else ms):
                    if new is None:
                        wire = None
                    else:
                        wire, dec = export_path(sp, m.snd, m.rcv, m.session, new, net, cache)
                        self._record(prefix, dec)
                    deliver(m, wire, sp.host)
            elif ms:
                gs = groups_of[(sid, fam)]
                for g in (reversed(gs) if self.reverse else gs):
                    if g.rejects:  # nothing was ever sent: only the cohort splits of a withdrawal remain
                        for m in (reversed(g.rejects_split) if self.reverse else g.rejects_split):
                            deliver(m, None, sp.host)
                        continue
                    if new is None:
                        wire0, excl = None, _NONE
                    else:
                        wire0, excl = g.export(sp, new, net, cache)
                    for m in (reversed(g.loose) if self.reverse else g.loose):
                        if new is not None and (excl is _ALL or m in excl):  # type: ignore[operator]
                            deliver(m, export_path(sp, m.snd, m.rcv, m.session, new, net, cache, False)[0], sp.host)
                        else:
                            deliver(m, wire0, sp.host)
                    for b in (reversed(g.bundles) if self.reverse else g.bundles):
                        deliver_bundle(b, wire0, excl, sp, new)
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
                enqueue(dst.id)
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
        for c, d in drib.items():
            if c in exploded or not d:
                continue
            pairs = dlast.get(c) if self.converged else None
            if pairs is None:
                pairs = sorted(d.items())
            if not pairs:
                continue
            db = dbest.get(c)
            i = -1 if db is None else next((k for k, (pos, _) in enumerate(pairs) if pos == db[0]), -1)
            if i < 0:  # only when the step limit cut this prefix short: the best was withdrawn since
                db = None
            entry = (pairs, i)
            c.tables._append(pi, entry)
            if db is not None:
                c.best._append(pi, entry)
            e = exc.get(c)
            if e:
                c.exceptions[pi] = e
                for sid in e:  # hide the shared state where the member went on alone
                    t = tables[sid]
                    if not t._idx or t._idx[-1] != pi:
                        t._idx.append(pi)
                        t._vals.append(None)  # type: ignore[arg-type]
                    if db is not None:
                        t = best_out[sid]  # type: ignore[assignment]
                        if not t._idx or t._idx[-1] != pi:
                            t._idx.append(pi)
                            t._vals.append(None)  # type: ignore[arg-type]
        self.bestc.clear()

    # ------------------------------------------------------------------------------------------ kernel
    def _fib(self, best: dict[str, PrefixTable[Path]]) -> "Fib":
        base: dict[str, list[FibEntry]] = {}
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
            base[host] = entries
        fib = Fib(base)
        self._kctx = PolicyContext(Direction.EXPORT, protocol_name="kernel")
        self._kmemo: dict[tuple[object, ...], tuple[Route, KernelRoute | None, str | None, object]] = {}
        self._nh_hosts: dict[int, tuple[Route, set[str]]] = {}
        self._hostkeys: dict[tuple[object, ...], int] = {}
        self._devs: dict[tuple[str, object], object] = {}  # (host, next hop) -> the kernel route's device
        self._over_igp: dict[str, set[IPNetwork]] = {}  # host -> prefixes where BGP beat OSPF
        for sp in self.speakers.values():
            if not sp.installs_to_kernel:
                continue
            fib._order.setdefault(sp.host, []).append(sp.id)
            have = {e.route.dst for e in base.get(sp.host, ()) if e.source == sp.id}
            fib._own[sp.id] = self._kernel_entries(sp, best[sp.id].entries(), best[sp.id]._u.prefixes, have)
        for host, won in sorted(self._over_igp.items()):  # the daemon's BGP route replaced its OSPF route
            igp_ids = {id(kr) for kr in getattr(self.net.igp, "kernel", {}).get(host, ())}
            if host in base:
                base[host][:] = [e for e in base[host] if not (id(e.route) in igp_ids and e.route.dst in won)]
        for c in self.cohorts:
            sp = self.speakers[c.rep]
            if not sp.installs_to_kernel:
                continue
            c.kernel = self._kernel_entries(sp, ((i, cands[k][1]) for i, (cands, k) in c.best.entries()),
                                            c.best._u.prefixes, set())
            for sid in c.members:
                fib._cohorts.setdefault(sid, []).append(c)
        return fib

    def _kernel_entries(self, sp: BgpSpeaker, entries: Iterator[tuple[int, Path | None]], prefixes: list[IPNetwork],
                        have: set[IPNetwork]) -> list[tuple[int, FibEntry]]:
        """The kernel routes `sp` installs from its best paths, with their prefix positions."""
        out: list[tuple[int, FibEntry]] = []
        host = self.net.host(sp.host)
        igp = self.net.igp
        igp_routes = getattr(igp, "kernel", {}).get(sp.host, ())
        igp_ids = {id(kr) for kr in igp_routes}
        # OSPF's routes in this daemon's table: selected against BGP by distance / preference below
        igp_rank = {pfx: rank for pfx, (daemon, rank) in getattr(igp, "ranks", {}).get(sp.host, {}).items()
                    if daemon == sp.daemon.value}
        non_bgp = {n for n, ifname, _ in host.connected if ifname != "lo"} | {
            r.dst for r in host.static.routes if id(r) not in igp_ids or r.dst not in igp_rank}
        hostkey = self._hostkeys.setdefault((host.connected_id(), id(host.static) if host.static.routes else None,
                                             sp.kernel_metric, sp.daemon), len(self._hostkeys))
        pol = sp.kernel_export
        kctx = self._kctx
        memo = self._kmemo
        nh_hosts = self._nh_hosts
        trace = self.trace
        for pi, path in entries:
            if path is None:
                continue
            prefix = prefixes[pi]
            tracing = trace is not None and prefix in trace
            over_igp = False
            if igp_rank and prefix in igp_rank and not path.local:
                mine = sp.table_rank(prefix.version, path.ibgp, path.peer_name)
                over_igp = mine < igp_rank[prefix] if sp.daemon is Daemon.FRR else mine > igp_rank[prefix]
                if not over_igp:
                    if tracing:
                        self._record(prefix, Decision(sp.id, "kernel", False, f"{sp.id}: the OSPF route wins "
                                                      f"({'distance' if sp.daemon is Daemon.FRR else 'preference'} "
                                                      f"{igp_rank[prefix]} against BGP's {mine})", sp.loc))
                    continue
                if sp.daemon is Daemon.BIRD:  # BIRD's best route is BGP's: its kernel protocol sees only that
                    self._over_igp.setdefault(sp.host, set()).add(prefix)
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
                # Each speaker has its own kernel protocol: results are kept by the fields the
                # filter reads (usually the protocol name), not by route.
                self.cache.shared = not tracing
                res = self.cache.apply(pol, r, kctx)
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
                out.append((pi, e))
                if over_igp and sp.daemon is Daemon.FRR:
                    self._over_igp.setdefault(sp.host, set()).add(prefix)
                if tracing:
                    self._record(prefix, Decision(sp.id, "kernel", True, f"{sp.host}: installed "
                                                  f"{e.route.describe()} (from {sp.id})"))
        return out

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
        dk = (sp.host, nh)
        dev = self._devs.get(dk, _MISSING)
        if dev is _MISSING:
            _, _, via_route = host.route_to(nh)
            link = host.on_link(nh)
            dev = self._devs[dk] = link[0] if link else (via_route.dev if via_route else None)
        return FibEntry(KernelRoute(r.prefix, nh, dev, proto, None, None, metric), sp.id)
