"""Rules over the simulated control plane: sessions, pod CIDR reachability
between every pair of nodes, routes that never reach a kernel table."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from podpath.checks.base import CheckContext, Finding, Fix, family_name, rule
from podpath.checks.routes import pod_route_needs_bgp, pod_routes_all_need_bgp
from podpath.diagnostics import Loc
from podpath.routing.bgp import Daemon
from podpath.routing.explain import explain_many
from podpath.routing.reach import Forwarder, Sources


@rule("BGP001", "bgp-session-down", "error", "A configured BGP session cannot come up")
def session_down(ctx: CheckContext) -> Iterator[Finding]:
    """For every configured peer podpath finds the host that owns the peer address and the speaker there that
    accepts us, then checks what the daemons check: AS numbers (including `internal`/`external` and listen-range
    peer groups), a common address family, someone who initiates and someone who listens on the port it connects
    to (FRR/BIRD `neighbor ... port`, BIRD `local ... port`, Cilium `transport.peerPort`; Cilium listens only with
    `localPort`), single-hop reachability for eBGP (FRR does not connect to a peer off its connected networks but
    accepts it, and its TTL-1 packets reach a peer one link away), BIRD's refusal of a single-hop session to a host-scope address such as ::1,
    and shutdown. A session that cannot come up carries no routes."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    res = snap.simulate()
    offered = {o.route.family for sp in res.speakers.values() for o in sp.originations}
    for s in res.sessions:
        if s.unknown:  # not an error: BGP006 groups them by what they depend on
            ctx.not_checked(f"BGP session {s.a.speaker.id} -> {s.a.remote_address} and the routes over it", s.reason,
                            s.a.peer.loc)
            continue
        if s.up:
            for af, why in sorted(s.af_problems.items()):
                if af not in offered:
                    continue
                yield ctx.finding(f"{s.id}:ipv{af}", f"Session {s.id} is up but cannot carry IPv{af} routes: {why}.",
                                  locations=[s.a.peer.loc] + ([s.b.peer.loc] if s.b else []), severity="warning",
                                  evidence=[f"session families: {', '.join(f'ipv{f}' for f in s.afs)}"],
                                  fix=Fix(why))
            continue
        yield ctx.finding(s.id, f"BGP session {s.a.speaker.id} -> {s.a.remote_address} cannot come up: {s.reason}.",
                          locations=[s.a.peer.loc] + ([s.b.peer.loc] if s.b else []),
                          evidence=[f"{s.a.speaker.id} ({s.a.speaker.daemon.value}) peer {s.a.peer.name} at {s.a.peer.loc}"]
                          + ([f"{s.b.speaker.id} ({s.b.speaker.daemon.value}) peer {s.b.peer.name} at {s.b.peer.loc}"] if s.b else []),
                          fix=Fix(s.reason))


@rule("BGP004", "bgp-session-self-connect", "warning", "A BIRD session to a local peer races with BIRD's own connection")
def session_self_connect(ctx: CheckContext) -> Iterator[Finding]:
    """When BIRD and its peer run on the same host (Cilium's BGP Control Plane peering on ::1 is the usual case)
    and BIRD is not passive, BIRD's own outgoing connection reaches its own listening socket: it reads its own
    OPEN, stops with "Bad peer AS" and waits in error state (60 s, growing to 300 s), refusing the real peer
    meanwhile. The session comes up only when the peer's connection wins the short window after a restart, and
    falls into the same loop after every reset. Verified against BIRD 2.0.12 and 2.17 with `podpath lab`."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    for s in snap.simulate().sessions:
        for c in s.caveats:
            bird = s.a if s.a.speaker.daemon is Daemon.BIRD or s.b is None else s.b
            yield ctx.finding(s.id, c.split(": ", 1)[0] + ": the session is up only when the peer wins a race.",
                              locations=[bird.peer.loc], evidence=[c],
                              fix=Fix(f"Make BIRD passive towards the local peer: add `passive on;` to the protocol "
                                      f"at {bird.peer.loc}", bird.speaker.config_file, "  passive on;\n"))


@rule("BGP005", "bgp-timing-dependent-outcome", "warning", "A prefix's best paths depend on which update arrives first")
def timing_dependent_outcome(ctx: CheckContext) -> Iterator[Finding]:
    """Two cases where real daemons can settle differently from run to run, and from podpath's one computed
    outcome: FRR breaks a tie between equally good eBGP paths by keeping the oldest (RFC 5004) unless
    `bgp bestpath compare-routerid` is set; and some policies have more than one stable solution (typically
    two routers that each prefer, by local-pref, the path through the other), found by running the same rules
    with the updates in another order. Both were found against FRR 8.4/10.3 and BIRD 2.0/2.17 by podpath's
    differential suite. The second run covers only prefixes that can have several outcomes: where
    the policies can set what BGP ranks paths by (local-pref, weight, MED, ...), or MED decides between
    paths (routing.timing explains the condition); at most half the main run's simulation steps of
    them, the rest listed as not checked."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    from podpath.routing.timing import LeftOut, timing_dependent

    res = snap.simulate()
    skipped: list[LeftOut] = []
    for t in timing_dependent(snap.control_plane(), res, skipped=skipped):
        sps = [res.speakers[sid] for sid in t.speakers]
        locs = [sp.loc for sp in sps]
        if t.kind == "oldest-path":
            sp = sps[0]
            fix = Fix(f"Make the choice deterministic: add `bgp bestpath compare-routerid` to `router bgp {sp.asn}` "
                      f"at {sp.loc} (the lowest router-id then wins), or prefer one path by local-pref or MED",
                      sp.config_file, " bgp bestpath compare-routerid\n")
        else:
            fix = Fix("Decide which path must win and make the routers' preferences agree: the local-pref (or "
                      "weight) set by the import policies of " + ", ".join(t.speakers) + " lets each prefer "
                      "the path through another; with one consistent ranking the outcome no longer depends on timing")
        yield ctx.finding(f"{t.prefix}/{t.kind}", f"{t.prefix}: {t.detail}.", locations=locs,
                          evidence=[t.detail, "podpath computes one outcome; the daemons may settle in another"],
                          fix=fix)
    for left in skipped:
        n = len(left.prefixes)
        shown = ", ".join(str(p) for p in left.prefixes[:5]) + (f" and {n - 5:,} more" if n > 5 else "")
        ctx.not_checked("policies with several stable outcomes (a second simulation with updates in another order)",
                        f"{n:,} prefix(es) whose policies could have more than one stable outcome were not "
                        f"simulated again ({shown}): the second run is bounded to {left.budget:,} simulation steps "
                        f"(the main run took {left.main_steps:,}; FRR oldest-path ties were checked); run "
                        "`podpath check` on a part of the cluster (fewer nodes) to look for them")


@rule("BGP002", "pod-cidr-not-routed", "error", "A node's pod CIDR is not routed on another node")
def pod_cidr_not_routed(ctx: CheckContext) -> Iterator[Finding]:
    """With routing daemons in the snapshot, podpath simulates BGP across Cilium, BIRD and FRR to a fixed point,
    builds every host's kernel table (connected, static, what zebra and BIRD's kernel protocol install, Cilium's
    own routes) and forwards a packet from each node towards each other node's pod CIDR. Every pair that does not
    arrive is reported, grouped by the first place the route is lost (a policy clause at file:line, a session, a
    missing kernel export); `podpath explain SNAPSHOT PREFIX` shows the whole path. Pairs that need no route BGP
    carries are not errors (one info finding says why): in tunnel mode Cilium encapsulates pod traffic to the node
    IP, and with `autoDirectNodeRoutes` it routes nodes on a shared L2 segment itself; where podpath does not know
    the segments, such a pair is unknown (info, and listed as not checked)."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    res = snap.simulate()
    cp = snap.control_plane()
    fwd = Forwarder(res, cp.network)
    nodes = sorted(ctx.cluster.nodes.values(), key=lambda n: n.name)
    sources = fwd.sources(n.name for n in nodes)
    verdicts = cp.pair_verdicts = PairVerdicts(snap, fwd, sources)
    if not any(n.pod_cidrs for n in nodes):
        ctx.not_checked("pod CIDR reachability between nodes", "no node with a pod CIDR in the snapshot (add the "
                        "Kubernetes Node or CiliumNode objects, `kubectl get nodes -o yaml`)")
    for fam in ctx.families():
        groups: dict[str, list[tuple[str, str, object, object]]] = defaultdict(list)
        exempt: dict[str, list[ExemptPair]] = defaultdict(list)  # why no BGP route is needed -> pairs
        unsure: dict[str, list[ExemptPair]] = defaultdict(list)
        for dst in nodes:
            for cidr in dst.pod_cidrs_of(fam):
                # All pairs: delivered or not in bulk, the full trace only for those that are not.
                lost = fwd.undelivered_from(cidr.value, dst.name, sources)
                lost, maybe = _needing_bgp(ctx, lost, dst, fam, cidr.value, exempt, unsure)
                verdicts.unsure(fam, maybe)
                lost = verdicts.broken_of(fam, cidr.value, dst.name, lost)
                # the trace of the first pair stands for the prefix (where it stops, why)
                if lost:
                    t = fwd.trace(lost[0], cidr.value, dst.name)
                    groups[f"{cidr.value}"] += [(src_name, dst.name, cidr, None if k else t)
                                                for k, src_name in enumerate(lost)]
        # Explain each lost prefix once; group prefixes by where they are lost.
        names = frozenset({n.name for n in nodes} | {sp.host for sp in res.speakers.values()} | set(res.speakers))
        by_cause: dict[str, list[tuple[object, list[tuple[str, str, object, object]], object]]] = defaultdict(list)
        explained = explain_many(snap, [pairs[0][2].value for _, pairs in sorted(groups.items())],  # type: ignore[attr-defined]
                                 hosts=False)
        for prefix_text, pairs in sorted(groups.items()):
            cidr = pairs[0][2]
            ex = explained[cidr.value]  # type: ignore[attr-defined]
            stop = ex.key_stop(pairs[0][3].stop, res.speakers)  # type: ignore[attr-defined]
            cause = stop.text.split(": ", 1)[1] if stop is not None and ": " in stop.text else (
                stop.text if stop is not None else pairs[0][3].cause)  # type: ignore[attr-defined]
            where = f"{stop.speaker}" if stop is not None else pairs[0][3].stop  # type: ignore[attr-defined]
            if stop is not None and stop.policy is not None and stop.policy.decided_by is not None:
                # the statement itself (an FRR clause without its ": matches; ..." verdict); a BIRD statement
                # may hold IPv6 addresses, so split on ": ", not ":"
                key = f"{stop.stage}:{stop.policy.decided_by.text.split(': ', 1)[0]}"
            elif stop is not None:
                key = f"{stop.stage}:{_normalise(cause, names)}"
            else:
                key = _normalise(cause, names)
            by_cause[key].append((cidr, pairs, (ex, stop, where, cause)))
        for key, items in sorted(by_cause.items()):
            cidrs = [i[0] for i in items]
            unverifiable = sorted({h for _, pairs, _ in items for p in pairs for h in (p[0], p[1])
                                   if h in cp.unmodelled}) if cp.unmodelled else []
            npairs = sum(len(i[1]) for i in items)
            # Everything said about the group comes from its own items (never from a loop's last prefix).
            ex, stop, where, cause = items[0][2]  # type: ignore[misc]
            if verdicts.policy_gap(fam, items, groups):
                continue  # every prefix here was decided by a statement podpath does not model: BGP006
            verdicts.lost += [LostRoute(fam, c.value, p[0][1], tuple(sorted(x[0] for x in p)), s, p[0][3])  # type: ignore[attr-defined]
                              for c, p, (_, s, _, _) in items]  # type: ignore[misc]
            sites = _stop_sites(items, res.speakers)
            locs = [loc for loc, _, _ in sites] + [c.loc for c in cidrs]  # type: ignore[attr-defined]
            also = _also_at(sites[1:])
            same = "statement" if stop is not None and stop.policy is not None and stop.policy.decided_by else "cause"
            if stop is not None:
                headline = cause + (f" (and the same {same} at {also})" if also else "")
            else:  # the cause of the last pair the evidence shows (any pair of the group: the key is normalised)
                headline = items[:6][-1][1][0][3].cause  # type: ignore[attr-defined]
            ev = []
            if stop is None:
                # no decision loses the route: a session that would carry it may be down (BGP001 says why)
                hosts = {h for _, pairs, _ in items for p in pairs for h in (p[0], p[1])}
                down = sorted((x for x in res.sessions if not x.up and not x.unknown and x.a.speaker.host in hosts),
                              key=lambda x: x.id)
                if down:
                    headline += (f"; the BGP session {down[0].a.speaker.id} -> {down[0].a.remote_address} that "
                                 f"would carry it is down ({down[0].reason})"
                                 + (f", and {len(down) - 1} more (BGP001)" if len(down) > 1 else " (BGP001)"))
                    locs = [down[0].a.peer.loc] + locs
                    ev += [f"session down: {x.id}: {x.reason} ({x.a.peer.loc})" for x in down[:6]]
            if stop is not None:
                ev.append(f"{cidrs[0].value} is lost at {where}: {stop.text}")  # type: ignore[attr-defined]
                if stop.policy is not None:
                    for step in stop.policy.trace:
                        ev.append(f"  {step.loc or ''} {step.text} -> {step.effect}")
                for loc, host, prefixes in sites[1:13]:
                    ev.append(f"the same {same} at {loc} on {host} for {', '.join(prefixes)}")
                if len(sites) > 13:
                    ev.append(f"... and at {len(sites) - 13} more places (see the locations)")
            for cidr, pairs, _ in items[:6]:
                srcs = sorted({p[0] for p in pairs})
                ev.append(f"{cidr.value} ({pairs[0][1]}) not reachable from {', '.join(srcs)}: "  # type: ignore[attr-defined]
                          f"{pairs[0][3].describe() or pairs[0][3].cause}")  # type: ignore[attr-defined]
            if len(items) > 6:
                ev.append(f"... and {len(items) - 6} more pod CIDRs")
            fixes = list(ex.fixes)
            if sites[1:]:
                fixes.append(f"the same {same} {'decides' if same == 'statement' else 'holds'} for the other pod CIDRs "
                             f"at {also}: fix it there too")
            shown = ", ".join(str(c.value) for c in cidrs[:3]) + (f" and {len(cidrs) - 3} more" if len(cidrs) > 3 else "")  # type: ignore[attr-defined]
            if unverifiable:
                ev.insert(0, "routing-daemon configurations that podpath cannot model yet are on the path: "
                          + ", ".join(f"{h} ({cp.unmodelled[h]})" for h in unverifiable[:6]))
            yield ctx.finding(f"{family_name(fam).lower()}:{key}",
                              f"{family_name(fam)} pod CIDR(s) {shown} "
                              + ("may not be" if unverifiable else "not") + f" routed for {npairs} node pair(s): "
                              f"{headline}"
                              + (" (unverified: some routing daemons on the path are not modelled)" if unverifiable else "")
                              + ".", locations=locs, evidence=ev, severity="info" if unverifiable else None,
                              fix=Fix("; ".join(fixes) if fixes else "See `podpath explain` for the path"))

        yield from _exempt_findings(ctx, fam, exempt, unsure)
        verdicts.count(fam, nodes, groups)

@rule("BGP006", "outcome-unknown", "info", "Sessions and pod routes whose outcome depends on what podpath lacks")
def outcome_unknown(ctx: CheckContext) -> Iterator[Finding]:
    """A session or a node pair is up, down or unknown. Unknown when the outcome depends on a statement podpath
    reads but does not model (an IGP such as `router openfabric` that would give the route to a loopback peer),
    on a peer or gateway outside the snapshot (an upstream provider), or on a routing daemon whose configuration
    podpath could not read. Such outcomes are never errors: they are grouped here by what they depend on, with
    the file or `podpath.yaml` key that would settle them; a failure that holds whatever they turn out to be is
    still reported by BGP001/BGP002."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    res = snap.simulate()
    cp = snap.control_plane()
    if cp.pair_verdicts is None:  # BGP002 computes them; run it when asked for this rule alone
        for _ in pod_cidr_not_routed(ctx):
            pass
    v = cp.pair_verdicts
    sessions: dict[str, list[object]] = defaultdict(list)
    for s in res.sessions:
        if s.unknown:
            sessions[s.cause or s.reason].append(s)
    pairs = v.unknown if v is not None else {}
    for cause in sorted(set(sessions) | set(pairs)):
        ss = sessions.get(cause, [])
        ps = pairs.get(cause, [])
        by_fam: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for fam, src, dst, _ in ps:
            by_fam[fam].add((src, dst))
        what = []
        if ss:
            what.append(f"{len(ss)} BGP session(s)")
        what += [f"{len(by_fam[f])} {family_name(f)} node pair(s)" for f in sorted(by_fam)]
        loc = ss[0].cause_loc if ss else (v.cause_loc.get(cause) if v is not None else None)  # type: ignore[attr-defined]
        settle = ss[0].settle if ss else (v.settle.get(cause, "") if v is not None else "")  # type: ignore[attr-defined]
        ev = [f"{s.a.speaker.id} -> {s.a.remote_address} ({s.a.peer.loc}): {s.reason}" for s in ss[:8]]  # type: ignore[attr-defined]
        if len(ss) > 8:
            ev.append(f"... and {len(ss) - 8} more sessions")
        ev += [f"{src} -> {prefix} ({dst})" for _, src, dst, prefix in ps[:8]]
        if len(ps) > 8:
            ev.append(f"... and {len(ps) - 8} more (source, pod CIDR) pairs")
        ev += _bgp_losses_behind(snap, res, ps)
        subject = "-".join(cause.replace("`", "").split())[:160]
        yield ctx.finding(subject, f"{' and '.join(what)} depend on {cause}: podpath cannot tell whether "
                          f"{'they work' if len(ss) + len(ps) > 1 else 'it works'}.",
                          locations=[loc] + [s.a.peer.loc for s in ss[:3]],  # type: ignore[list-item, attr-defined]
                          severity="warning" if loc is not None else "info", evidence=ev,
                          fix=Fix(f"To settle it, add {settle}" if settle else "See `podpath sessions`"))


def _bgp_losses_behind(snap: object, res: object, ps: list[tuple[int, str, str, object]]) -> list[str]:
    """For pairs left to a gateway podpath does not have: where the source node's own routing daemon (BIRD/FRR,
    whose job is to learn the pod routes) loses the route. Still unknown (the gateway may route it), but the
    decision is a likely mistake of its own, at its file:line."""
    speakers = res.speakers  # type: ignore[attr-defined]
    with_daemon = {sp.host for sp in speakers.values() if sp.daemon is not Daemon.CILIUM}
    pairs = [(src, prefix) for _, src, _, prefix in ps if src in with_daemon]
    if not pairs:
        return []
    explained = explain_many(snap, sorted({p for _, p in pairs}, key=str), hosts=False)  # type: ignore[arg-type]
    srcs: dict[object, list[str]] = defaultdict(list)
    for src, prefix in pairs:
        srcs[prefix].append(src)
    out: list[str] = []
    for prefix, hosts in list(srcs.items())[:4]:
        stop = explained[prefix].key_stop(hosts[0], speakers)  # type: ignore[index]
        if stop is not None:
            out.append(f"the routing daemons of {', '.join(sorted(set(hosts)))} get no BGP route to {prefix}: it is "
                       f"lost at {stop.speaker}: {stop.text}"
                       + (f" ({stop.loc})" if stop.loc and str(stop.loc) not in stop.text else ""))
    return out


@dataclass(frozen=True)
class LostRoute:
    """A pod CIDR BGP002 reports as not routed from `sources`: the decision where it is lost (`stop`, a
    routing.rib.Decision; None when only the packet's walk says) and the first source's trace (reach.Trace)."""

    family: int
    prefix: object
    dst: str
    sources: tuple[str, ...]
    stop: object
    trace: object


class PairVerdicts:
    """Every (source node, destination node) pair of a family is verified, broken or unknown. A pair the
    simulation does not deliver is unknown when the failure depends on what podpath does not model or does
    not have: it is delivered once the sessions of unknown outcome are taken as up (`assume_unknown_up`), or
    its packet stops at a host whose routes come partly from unmodelled statements (an IGP), at a host whose
    routing daemon podpath could not read, or at a gateway no host of the snapshot has. Broken pairs fail
    whatever those turn out to be."""

    def __init__(self, snap: object, fwd: Forwarder, sources: Sources | None = None) -> None:
        self.snap = snap
        self.fwd = fwd
        self.sources = sources  # fwd.sources(...) of the nodes, to walk them by class (Forwarder.stops)
        self.cp = snap.control_plane()  # type: ignore[attr-defined]
        self._opt: Forwarder | None | bool = False  # the forwarder of the optimistic simulation (None: no need)
        self._unknown_sessions: list = []  # sessions of unknown outcome that would carry routes
        self._session_cause = ""
        # cause -> [(family, source, destination host, prefix)], with where it is and what would settle it
        self.unknown: dict[str, list[tuple[int, str, str, object]]] = defaultdict(list)
        self.cause_loc: dict[str, object] = {}
        self.settle: dict[str, str] = {}
        self._unknown_pairs: dict[int, set[tuple[str, str]]] = defaultdict(set)
        self.counts: dict[int, dict[str, int]] = {}  # family -> verified / broken / unknown node pairs
        self.lost: list[LostRoute] = []  # every pod CIDR reported as not routed, where (`podpath report` draws it)

    def _optimistic(self) -> Forwarder | None:
        if self._opt is False:
            res = self.snap.simulate()  # type: ignore[attr-defined]
            self._unknown_sessions = sorted((s for s in res.sessions if s.unknown and s.afs), key=lambda s: s.cause)
            self._session_cause = "; ".join(sorted({s.cause for s in self._unknown_sessions}))
            if self._unknown_sessions:
                self._opt = Forwarder(self.cp.simulate(assume_unknown_up=True), self.cp.network)
            else:
                self._opt = None
        return self._opt  # type: ignore[return-value]

    def _add(self, cause: str, loc: object, settle: str, fam: int, src: str, dst: str, prefix: object) -> None:
        self.unknown[cause].append((fam, src, dst, prefix))
        self.cause_loc.setdefault(cause, loc)
        self.settle.setdefault(cause, settle)
        self._unknown_pairs[fam].add((src, dst))

    def unsure(self, fam: int, pairs: list[ExemptPair]) -> None:
        """Count pairs podpath cannot tell need a BGP route (see _needing_bgp) as unknown."""
        for p in pairs:
            self._unknown_pairs[fam].add((p.src, p.dst))

    def broken_of(self, fam: int, prefix: object, dst: str, lost: list[str]) -> list[str]:
        """The sources in `lost` whose failure holds under the model; the others are recorded as unknown."""
        if not lost:
            return lost
        net = self.cp.network
        unmodelled = self.cp.unmodelled
        opt = self._optimistic()
        still = set(opt.undelivered(prefix, dst, lost)) if opt is not None else set(lost)  # type: ignore[arg-type]
        stops = self.fwd.stops(prefix, dst, [h for h in lost if h in still], self.sources)  # type: ignore[arg-type]
        broken = []
        for src in lost:
            if src not in still:  # delivered once the sessions of unknown outcome are up: depends on them
                first = self._unknown_sessions[0]
                self._add(self._session_cause, first.cause_loc, first.settle, fam, src, dst, prefix)
                continue
            stop, outside = stops.get(src, (src, None))
            if outside is not None:
                self._add(f"gateway {outside} outside the snapshot", None,
                          f"the configuration of the router that has {outside} (its FRR/BIRD file), or its address "
                          f"under `hosts.<name>.interfaces` in podpath.yaml", fam, src, dst, prefix)
            elif unmodelled and any(h in unmodelled for h in (stop, src, dst)):  # a daemon there is not simulated
                h = next(h for h in (stop, src, dst) if h in self.cp.unmodelled)
                self._add(f"{self.cp.unmodelled[h]} (not modelled)", None,
                          f"a routing-daemon configuration of {h} podpath reads", fam, src, dst, prefix)
            elif net.unmodelled_routes.get(stop):
                u = min(net.unmodelled_routes[stop], key=lambda u: u.loc)
                self._add(f"`{u.statement}` at {u.loc}", u.loc,
                          f"the routes it installs on {stop}: a route dump of {stop} (`ip route`), or "
                          f"`hosts.{stop}.routes` in podpath.yaml", fam, src, dst, prefix)
            else:
                broken.append(src)
        return broken

    def policy_gap(self, fam: int, items: list[tuple[object, list[tuple[str, str, object, object]], object]],
                   groups: dict[str, list[tuple[str, str, object, object]]]) -> bool:
        """When the policy decision where each prefix of `items` is lost evaluated a statement podpath does not
        model (an FRR `match` it treats as no match, a `set` it leaves out), the loss depends on it: its pairs are
        unknown and leave `groups`. True when that holds for every item (nothing left to report as broken)."""
        gaps = []
        for it in items:
            stop = it[2][1]  # type: ignore[index]
            errs = [e for e in getattr(getattr(stop, "policy", None), "errors", ()) if "not modelled" in e]
            gaps.append(_gap(errs[0]) if errs else None)
        if not all(gaps):
            return False
        for (cidr, pairs, _), (cause, loc) in zip(items, gaps):  # type: ignore[misc]
            for src, dst, _, _ in pairs:
                self._add(cause, loc, "the statement modelled, or the routes it gives: a route dump of the hosts "
                          "it decides for", fam, src, dst, cidr.value)  # type: ignore[attr-defined]
            groups.pop(str(cidr.value), None)  # type: ignore[attr-defined]
        return True

    def count(self, fam: int, nodes: list[object], groups: dict[str, list[tuple[str, str, object, object]]]) -> None:
        broken = {(p[0], p[1]) for pairs in groups.values() for p in pairs}
        unknown = self._unknown_pairs.get(fam, set()) - broken
        total = sum(1 for d in nodes if d.pod_cidrs_of(fam)) * (len(nodes) - 1)  # type: ignore[attr-defined]
        self.counts[fam] = {"verified": total - len(broken) - len(unknown), "broken": len(broken),
                            "unknown": len(unknown)}


def _stop_sites(items: list[tuple[object, list[tuple[str, str, object, object]], object]],
                speakers: dict[str, object]) -> list[tuple[Loc, str, list[str]]]:
    """Where each prefix of a BGP002 group is lost: (file:line, host, prefixes), the first item's first.

    One finding per statement, citing every file:line where it decides, rather than one finding per file:
    nodes built from one template carry the same statement in their own files, and the user changes the
    template once; a finding per file would repeat one cause many times. Each file is still named, and the
    headline, evidence and fix cite only the files of the group's own hosts."""
    sites: dict[Loc, tuple[str, list[str]]] = {}
    for cidr, _, (_, stop, _, _) in items:  # type: ignore[misc]
        if stop is not None and stop.loc is not None:
            host = getattr(speakers.get(stop.speaker), "host", stop.speaker)
            sites.setdefault(stop.loc, (host, []))[1].append(str(cidr.value))  # type: ignore[attr-defined]
    return [(loc, host, prefixes) for loc, (host, prefixes) in sites.items()]


def _also_at(sites: list[tuple[Loc, str, list[str]]]) -> str:
    """"FILE:LINE (HOST), ... and N more" for the other places a group's statement decides ("" if none)."""
    shown = ", ".join(f"{loc} ({host})" for loc, host, _ in sites[:3])
    return shown + (f" and {len(sites) - 3} more (see the locations)" if len(sites) > 3 else "")


def _gap(error: str) -> tuple[str, object]:
    """("`STATEMENT` at FILE:LINE", its Loc) from a policy's "FILE:LINE[:COL]: `STATEMENT` ... not modelled"."""
    m = re.match(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?: `(?P<text>[^`]+)`", error)
    if m is None:
        return error, None
    loc = Loc(m["file"], int(m["line"]), int(m["col"] or 0))
    return f"`{m['text']}` at {loc.file}:{loc.line}", loc


@dataclass(frozen=True)
class ExemptPair:
    """A lost (source, pod CIDR of dst) pair that needs no BGP route, or may not, and why; kept as fields
    so that counting pairs never parses the text shown to the user."""

    src: str
    prefix: object
    dst: str
    why: str

    def __str__(self) -> str:
        return f"{self.src} -> {self.prefix} ({self.dst}): {self.why}"


def _needing_bgp(ctx: CheckContext, lost: list[str], dst: object, fam: int, cidr: object,
                 exempt: dict[str, list[ExemptPair]], unsure: dict[str, list[ExemptPair]]
                 ) -> tuple[list[str], list[ExemptPair]]:
    """The lost sources whose pod traffic to dst needs a route BGP carries, and the pairs added to `unsure`;
    the others are noted in `exempt` (Cilium delivers without one: tunnel mode, autoDirectNodeRoutes on a
    shared segment) or `unsure` (podpath cannot tell)."""
    if not lost or pod_routes_all_need_bgp(ctx):
        return lost, []
    kept = []
    maybe = []
    for src_name in lost:
        src = ctx.cluster.nodes.get(src_name)
        need, why = pod_route_needs_bgp(ctx, src, dst, fam) if src is not None else (True, "")  # type: ignore[arg-type]
        if need:
            kept.append(src_name)
            continue
        key = "tunnel" if why.startswith("routingMode") else "auto-direct-node-routes"
        pair = ExemptPair(src_name, cidr, dst.name, why)  # type: ignore[attr-defined]
        (exempt if need is False else unsure)[key].append(pair)
        if need is not False:
            maybe.append(pair)
    return kept, maybe


def _exempt_findings(ctx: CheckContext, fam: int, exempt: dict[str, list[ExemptPair]],
                     unsure: dict[str, list[ExemptPair]]) -> Iterator[Finding]:
    """One info finding per reason for lost pairs that need no BGP route (Cilium delivers them itself), and
    one for the pairs podpath cannot tell (named as not checked, with what would settle it)."""
    for groups, unknown in ((exempt, False), (unsure, True)):
        for key, pairs in sorted(groups.items()):
            if unknown:
                ctx.not_checked(f"{family_name(fam)} pod routes for {len(pairs)} node pair(s) the simulation does not "
                                "route", pairs[0].why)
            why = ("Cilium encapsulates pod traffic to the node IP in tunnel mode; BGP carries only LoadBalancer and "
                   "service IPs" if key == "tunnel" else
                   "the nodes share an L2 segment and autoDirectNodeRoutes installs their pod routes")
            msg = (f"{len(pairs)} {family_name(fam)} node pair(s) have no BGP-learned pod route"
                   + (" and podpath cannot tell whether they need one: autoDirectNodeRoutes covers only nodes on a "
                      "shared L2 segment" if unknown else f" and need none: {why}") + ".")
            yield ctx.finding(f"{family_name(fam).lower()}:{'unknown' if unknown else 'exempt'}:{key}", msg,
                              locations=ctx.setting_locs("routing-mode", "auto-direct-node-routes"), severity="info",
                              evidence=[str(p) for p in pairs[:12]] + ([f"... and {len(pairs) - 12} more pairs"] if len(pairs) > 12 else []),
                              fix=None if not unknown else Fix("State the L2 segments of the nodes in podpath.yaml "
                                                              "(`segments:` and `hosts.<name>.interfaces`)"))


def _normalise(text: str, names: frozenset[str] = frozenset()) -> str:
    """Group causes that differ only by the node into one key: addresses, and the names of the snapshot's own
    hosts and speakers (whatever they are called), become placeholders."""
    import re

    t = re.sub(r"\b[0-9a-f]*:[0-9a-f:]*:[0-9a-f:]*(/\d+)?|\d+\.\d+\.\d+\.\d+(/\d+)?", "<addr>", text)
    if names:
        alt = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
        t = re.sub(rf"(?<![\w.-])(?:{alt})(?![\w-])", "<host>", t)
    return t[:160]


@rule("BGP003", "route-not-in-kernel", "warning", "Routes in a daemon's table that never reach the kernel")
def route_not_in_kernel(ctx: CheckContext) -> Iterator[Finding]:
    """A route a daemon selected as best but that is not in the host's kernel table does not forward packets.
    BIRD installs routes only through a `kernel` protocol with an export filter (default: export none); Cilium's
    BGP Control Plane never installs received routes; FRR's zebra installs unless a better (lower distance) route
    exists."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    res = snap.simulate()
    for sid, table in sorted(res.best.items()):
        sp = res.speakers[sid]
        if sp.daemon is not Daemon.BIRD:
            continue
        # received, best, and in no kernel route of the host (not even one from another source,
        # such as the node's own pod CIDR on cilium_host)
        missing = res.not_installed(sid)
        if not missing:
            continue
        why = ("it has no kernel protocol export (BIRD's default is `export none`)" if sp.kernel_export is None
               else "its kernel protocol export filter rejects them")
        protos = sorted({table[p].peer_name for p in missing if table[p].peer_name})
        yield ctx.finding(sid, f"{sid} has {len(missing)} BGP route(s) in its table that never reach {sp.host}'s kernel: "
                          f"{why}.", locations=[sp.loc],
                          evidence=[f"not installed: {', '.join(str(p) for p in missing[:8])}"
                                    + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")],
                          fix=Fix(f"Export them to the kernel from {sp.config_file or sid}",
                                  sp.config_file,
                                  "".join(f"protocol kernel {{\n  ipv{fam} {{\n    export where "
                                          + " || ".join(f'proto = "{p}"' for p in protos) + ";\n  };\n}\n"
                                          for fam in sorted({p.version for p in missing})) if protos else None))
