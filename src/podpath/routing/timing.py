"""BGP outcomes that depend on the order in which updates arrive.

The simulator computes one outcome deterministically; real daemons can settle in another:

- **oldest-path ties**: FRR breaks a tie between eBGP paths (equal down to the peer-type
  step) by keeping the path it received first (RFC 5004), unless `bgp bestpath
  compare-routerid` is set. Which one that is depends on which neighbor's update came first.
- **several stable solutions**: some policy combinations have more than one fixed point (two
  routers that each prefer, by local-pref, the path through the other; RFC 3345-style
  oscillation that happens to settle). podpath runs the same rules with the events in another
  order (`Simulator(reverse=True)`) and compares.

Both were found by the differential suite against FRR and BIRD (benchmarks/fidelity.md).

Which prefixes need the second run. A prefix's routing is a stable paths problem (Griffin,
Shepherd, Wilfong, "The Stable Paths Problem and Interdomain Routing", IEEE/ACM ToN 2002):
each speaker picks the best of what its neighbours' best paths become over the sessions.
Several stable solutions need a "dispute wheel", a speaker preferring a path through a
neighbour over one it has more directly; Sobrinho ("An algebraic theory of dynamic network
routing", IEEE/ACM ToN 2005) shows that when every session makes a path strictly worse in one
global order that every speaker's choice respects ("strict monotonicity"), there is exactly one.
`unique_outcome` checks a sufficient condition of that kind on the simulator's own decision
process (`daemons.best_key`), for every state, not just the computed one:

- order V of a received path: (not valid, AS-path length, origin, MED, iBGP, originator or peer
  router-id, cluster-list length); a speaker's own origination comes before everything;
- the policies on every session of the family (import and export, FRR route-maps and the maps
  they call, BIRD filters and their functions, Cilium advertisements) can set nothing that the
  decision reads before V (weight, local-pref, BIRD preference) nor anything in V other than
  by prepending to the AS path (no `set metric|origin|local-preference|weight|as-path
  exclude|replace|originator-id`, no `remove-private-AS`/`as-override`/neighbor `weight`, no
  BIRD assignment to `preference`, `bgp_local_pref`, `bgp_med`, `bgp_origin`, `bgp_path` other
  than `.prepend`, ...); every default local-pref (and any origination's) is the same value and
  no speaker ignores the AS path or leaks between VRFs; BIRD's "unreachable" (a recursive next
  hop that does not resolve) cannot split received paths; reflected paths keep the router-id
  they were compared with (every iBGP peer has a canonical IPv4 router-id);
- per prefix: every origination is valid, has MED 0 (so MED, which BGP compares only between
  paths from the same neighbouring AS and which is what makes RFC 3345's oscillations, never
  decides: the comparison is then a total order) and wins over every received path at its
  speaker (FRR weight/local-pref, BIRD preference above BGP's 100).

Then over eBGP a path gains an AS (the first V field that changes grows), from an eBGP-learned
or own path to iBGP it becomes iBGP, and reflected it keeps its originator and gains a cluster;
weight, local-pref and preference are the same for every received path, so each speaker picks
the V-smallest candidate (the rest of its key only breaks ties among equal V). Two stable
outcomes S1 != S2 would give a smallest V = m held, in one of them, by a speaker v where they
differ; v's candidates with V <= m come from neighbours whose paths are smaller than m, which
therefore agree, so v has the same candidates up to m in both and picks the same: contradiction.
Such a prefix has one outcome, and the reversed run would find exactly it: it is not re-run.
Griffin & Wilfong's iBGP gadgets ("On the correctness of IBGP configuration", SIGCOMM 2002) need
IGP costs among reflected paths, which podpath's decision process does not read (and MED,
excluded above). A prefix failing the condition is re-simulated, up to a budget in simulation
steps (half the main run's, at least `MIN_BUDGET`); what is left out is reported, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podpath.routing import daemons
from podpath.routing.bgp import Daemon
from podpath.routing.rib import CohortTable, PrefixTable
from podpath.routing.route import IPNetwork, Protocol

__all__ = ["LeftOut", "TimingDependence", "oldest_path_ties", "order_dependent", "timing_dependent", "unique_outcome"]

_FRR_TIE = 8  # FRR best_key positions compared before the "oldest path" step (validity .. peer type)
_FRR_MED = 6


@dataclass(frozen=True)
class TimingDependence:
    prefix: IPNetwork
    kind: str  # "oldest-path" | "order"
    speakers: tuple[str, ...]
    detail: str


def oldest_path_ties(res: object) -> list[TimingDependence]:
    """FRR speakers whose best eBGP path ties with another eBGP path down to the age step."""
    out = []
    for sid, table in sorted(res.tables.items()):  # type: ignore[attr-defined]
        sp = res.speakers[sid]  # type: ignore[attr-defined]
        if sp.daemon is not Daemon.FRR or sp.options.compare_routerid:
            continue
        key = daemons.best_key(sp)
        for prefix, paths in table.items():
            ebgp = [p for p in paths if not p.ibgp and not p.local and p.valid]
            if len(ebgp) < 2:
                continue
            best = res.best[sid].get(prefix)  # type: ignore[attr-defined]
            if best is None or best.ibgp or best.local:
                continue
            kb = key(best)[:_FRR_TIE]
            tied = []
            for p in ebgp:
                if best is not None and p.ident() == best.ident():
                    continue
                kp = key(p)[:_FRR_TIE]
                if not sp.options.always_compare_med and p.route.as_path.first != best.route.as_path.first:
                    kp, kb2 = _no_med(kp), _no_med(kb)
                else:
                    kb2 = kb
                if kp == kb2:
                    tied.append(p)
            if tied:
                others = ", ".join(f"[{p.route.as_path}] from {p.peer_address}" for p in tied)
                out.append(TimingDependence(
                    prefix, "oldest-path", (sid,),
                    f"{sid} chooses between [{best.route.as_path}] from {best.peer_address} and {others}: equal "
                    "down to FRR's \"oldest path\" step, so the path that arrived first wins"))
    return out


def _no_med(k: tuple[object, ...]) -> tuple[object, ...]:
    return k[:_FRR_MED] + (0,) + k[_FRR_MED + 1:]


def order_dependent(cp: object, res: object, only: set[IPNetwork] | None = None) -> list[TimingDependence]:
    """Prefixes whose tables differ when the same rules run with the events in another order."""
    alt = cp.simulate(only=only, reverse=True)  # type: ignore[attr-defined]
    diff = best_differences(res, alt, only)
    return [TimingDependence(prefix, "order", tuple(sids),
                             f"with updates arriving in another order, {', '.join(sids)} settle on other "
                             f"best paths for {prefix}: the policies have more than one stable outcome")
            for prefix, sids in diff.items()]


def best_differences(res: object, alt: object, only: set[IPNetwork] | None = None) -> dict[IPNetwork, list[str]]:
    """Prefix (of `only`) -> the speakers (sorted) whose best path differs between two results, in the
    order a walk of every speaker (sorted), then of its prefixes (sorted), first meets them."""
    diff: dict[IPNetwork, list[str]] = {}
    if only is not None and len(only) * len(res.tables) <= _LOOKUPS:  # type: ignore[attr-defined]
        # a few prefixes: look them up in each speaker's table rather than walk every table
        ps = sorted(only, key=_pkey)
        for sid in sorted(res.tables):  # type: ignore[attr-defined]
            a, b = res.best[sid], alt.best[sid]  # type: ignore[attr-defined]
            for p in ps:
                if _sig(a.get(p)) != _sig(b.get(p)):
                    diff.setdefault(p, []).append(sid)
        return diff
    shared: dict[tuple[tuple[int, ...], tuple[int, ...]], list[IPNetwork]] = {}
    for sid in sorted(res.tables):  # type: ignore[attr-defined]
        a, b = res.best[sid], alt.best[sid]  # type: ignore[attr-defined]
        for prefix in _differing(a, b, only, shared):
            diff.setdefault(prefix, []).append(sid)
    return diff


_LOOKUPS = 200_000  # (speaker, prefix) look-ups below which best_differences looks prefixes up


def _pkey(p: IPNetwork) -> tuple[int, int, int]:
    return (p.version, int(p.network_address), p.prefixlen)


def _differing(a: object, b: object, only: set[IPNetwork] | None,
               shared: dict[tuple[tuple[int, ...], tuple[int, ...]], list[IPNetwork]]) -> list[IPNetwork]:
    """The prefixes (of `only`, sorted) whose best path differs between two tables of one speaker.

    A cohort member's table (`rib.CohortTable`) is its own entries over its cohorts' shared state,
    whose paths differ from the template's only in their source, which `_sig` does not read: the
    shared state is compared once per pair of cohort combinations (`shared`), and per member only
    its own entries. Walking every member's materialised table instead costs (members x prefixes)."""
    if isinstance(a, CohortTable) and isinstance(b, CohortTable):
        ka = tuple(id(t) for t, _ in a._parts)
        kb = tuple(id(t) for t, _ in b._parts)
        common = shared.get((ka, kb))
        if common is None:
            common = shared[(ka, kb)] = _shared_diff(a._parts, b._parts, only)
        mine = {a._u.prefixes[i] for i in a._own._idx} | {b._u.prefixes[i] for i in b._own._idx}
        if only is not None:
            mine &= only
        out = [p for p in common if p not in mine]
        out += [p for p in mine if _sig(a.get(p)) != _sig(b.get(p))]  # type: ignore[attr-defined]
        return sorted(out, key=_pkey)
    keys = set(a) | set(b)  # type: ignore[call-overload]
    if only is not None:
        keys &= only
    return [p for p in sorted(keys, key=_pkey) if _sig(a.get(p)) != _sig(b.get(p))]  # type: ignore[attr-defined]


def _shared_diff(pa: list[tuple[PrefixTable[object], tuple[str, ...]]], pb: list[tuple[PrefixTable[object], tuple[str, ...]]],
                 only: set[IPNetwork] | None) -> list[IPNetwork]:
    """Prefixes whose shared best path (the first part holding the prefix, as CohortTable.get reads
    it) differs between two cohort combinations."""
    def view(parts: list[tuple[PrefixTable[object], tuple[str, ...]]]) -> dict[IPNetwork, object]:
        out: dict[IPNetwork, object] = {}
        for t, _ in parts:
            pf = t._u.prefixes
            for i, d in zip(t._idx, t._vals):
                p = pf[i]
                if p not in out:
                    cands, j = d  # type: ignore[misc]
                    out[p] = _sig(cands[j][1])
        return out
    va, vb = view(pa), view(pb)
    keys = set(va) | set(vb)
    if only is not None:
        keys &= only
    return [p for p in keys if va.get(p) != vb.get(p)]


def multi_path_prefixes(res: object) -> set[IPNetwork]:
    """The prefixes some speaker holds more than one path for (where the order of events can matter).

    Read per cohort, not per member: a member's table is its own entries over its cohorts' shared
    ones (rib.CohortTable); a shared entry counts once some member sees it, and only the shared
    entries not yet found are looked at for each member, so this is not (members x prefixes)."""
    found: dict[int, tuple[Any, set[int]]] = {}  # id(PrefixIndex) -> (index, positions found)
    multi: dict[int, tuple[set[int], set[int]]] = {}  # id(shared table) -> (multi-path positions, all)
    for t in res.tables.values():  # type: ignore[attr-defined]
        if isinstance(t, CohortTable):
            own, u = t._own, t._u
        else:
            own, u = t, t._u  # type: ignore[attr-defined]
        got = found.get(id(u))
        if got is None:
            got = found[id(u)] = (u, set())
        out = got[1]
        for i, v in zip(own._idx, own._vals):
            if v is not None and len(v) > 1:
                out.add(i)
        if not isinstance(t, CohortTable):
            continue
        mine = None
        for k, (part, _src) in enumerate(t._parts):
            m = multi.get(id(part))
            if m is None:
                m = multi[id(part)] = ({i for i, d in zip(part._idx, part._vals) if len(d[0]) > 1}, set(part._idx))
            rest = m[0] - out
            if not rest:
                continue
            if mine is None:
                mine = set(own._idx)  # the member's own entries hide the shared ones
            earlier = [multi[id(p)][1] for p, _ in t._parts[:k]]  # CohortTable.get reads the first part
            out.update(i for i in rest if i not in mine and not any(i in e for e in earlier))
    return {u.prefixes[i] for u, pos in found.values() for i in pos}


def _sig(p: object) -> object:
    if p is None:
        return None
    return (str(p.route.as_path), p.route.next_hop, p.peer_address, p.local)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------- pruning

MIN_BUDGET = 2_000  # steps of the second run always allowed (seed-sized snapshots, ~20-200 steps, are checked whole)

# FRR `set` kinds that touch nothing the decision process reads before or in V (module docstring).
_FRR_NEUTRAL_SETS = frozenset({
    "tag", "distance", "community", "large-community", "comm-list delete", "large-comm-list delete",
    "extcommunity rt", "extcommunity soo", "extcommunity none", "as-path prepend", "ip next-hop",
    "ipv6 next-hop global", "ipv6 next-hop local", "ipv6 next-hop peer-address", "ipv6 next-hop prefer-global",
    "atomic-aggregate", "aggregator as", "src"})
# BIRD route attributes the decision reads (or that change where a path ranks) when a filter sets them.
_BIRD_RANKED = frozenset({"preference", "bgp_local_pref", "bgp_med", "bgp_origin", "bgp_path", "bgp_originator_id",
                          "bgp_cluster_list", "igp_metric", "dest"})


def _frr_neutral(policy: Any, allowed: frozenset[str]) -> bool:
    """An FRR neighbor policy that sets nothing ranked (`allowed`: what the receiver sets again or
    clears anyway): its route-map and every map it calls."""
    a = getattr(policy, "settings", None)
    if a is not None and (getattr(a, "remove_private_as", None) or getattr(a, "as_override", None)
                          or (policy.direction.value == "import" and getattr(a, "weight", None) is not None)):
        return False
    ref = getattr(policy, "route_map", None)
    if ref is None:
        return True
    if not isinstance(ref, str):
        ref = ref.name
    cfg = policy.config
    seen: set[str] = set()
    todo = [ref]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        rm = cfg.route_maps.get(name)
        for cl in rm.clauses.values() if rm is not None else ():
            if any(st.kind not in _FRR_NEUTRAL_SETS and st.kind not in allowed for st in cl.sets):
                return False
            if cl.call is not None:
                todo.append(cl.call.name)
    return True


def _bird_neutral(policy: Any, allowed: frozenset[str]) -> bool:
    """A BIRD filter (and the functions it calls) that assigns no ranked attribute (but `allowed`)."""
    from podpath.readers.bird import ast as A

    cfg, spec = policy.cfg, policy.spec
    kind = getattr(spec, "kind", None)
    if kind in ("all", "none"):
        return True
    if kind == "where":
        roots: list[Any] = [spec.expr]
    elif kind is not None:
        f = spec.filter if spec.filter is not None else cfg.filters.get(spec.name or "")
        if f is None:
            return True  # undefined: rejects everything
        roots = [f.vars, f.body]
    else:
        roots = [getattr(spec, "vars", None), getattr(spec, "body", spec)]
    ranked = _BIRD_RANKED - allowed
    seen_fn: set[str] = set()
    todo = list(roots)
    while todo:
        o = todo.pop()
        if isinstance(o, (list, tuple)):
            todo.extend(o)
            continue
        if not isinstance(o, A.Node):
            continue
        if isinstance(o, A.Assign) and o.target in ranked:
            return False
        if isinstance(o, A.MethodStmt) and o.target in ranked and not (
                o.target == "bgp_path" and o.method == "prepend"):
            return False
        if isinstance(o, A.Call):
            if o.name == "unset" and any(isinstance(x, A.Name) and getattr(x, "name", None) in ranked
                                         for x in o.args):
                return False
            fn = cfg.functions.get(o.name)
            if fn is not None and o.name not in seen_fn:
                seen_fn.add(o.name)
                todo.extend([fn.vars, fn.body])
        for name in getattr(o, "__dataclass_fields__", ()):
            if name != "at":
                todo.append(getattr(o, name))
    return True


# What an export policy may set without effect: the receiver sets weight and BIRD preference itself,
# and clears LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from an eBGP peer (daemons.import_path).
_FRR_EXPORT_OK = {False: frozenset({"weight", "local-preference", "originator-id"}), True: frozenset({"weight"})}
_BIRD_EXPORT_OK = {False: frozenset({"preference", "bgp_local_pref", "bgp_originator_id", "bgp_cluster_list"}),
                   True: frozenset({"preference"})}


def _neutral(policy: Any, ibgp: bool, export: bool, memo: dict[tuple[object, bool, bool], bool]) -> bool:
    """The policy can set nothing the decision process ranks by (module docstring), for any route."""
    if policy is None:
        return True
    from podpath.routing.policy import policy_id

    k = (policy_id(policy), ibgp, export)  # structurally equal policies behave the same (as the simulator shares them)
    got = memo.get(k)
    if got is not None:
        return got
    from podpath.routing import builtin

    out = False
    if isinstance(policy, builtin.Fixed):
        out = True
    elif isinstance(policy, builtin.AdvertiseSelected):
        out = not ibgp or all(lp is None for _, _, _, lp, _ in policy.prefixes)
    elif isinstance(policy, builtin.Chain):
        out = all(_neutral(p, ibgp, export, memo) for p in policy.parts)
    else:
        from podpath.readers.frr import policy as frr

        if isinstance(policy, frr.NeighborPolicy):
            out = _frr_neutral(policy, _FRR_EXPORT_OK[ibgp] if export else frozenset())
        elif isinstance(policy, (frr.PrefixListPolicy, frr.AccessListPolicy, frr.AsPathListPolicy,
                                 frr.CommunityListPolicy)):
            out = True
        else:
            try:
                from podpath.readers.bird.interp import BirdFilterPolicy
            except ImportError:  # pragma: no cover
                BirdFilterPolicy = ()  # type: ignore[assignment,misc]
            if isinstance(policy, BirdFilterPolicy):  # type: ignore[arg-type]
                out = _bird_neutral(policy, _BIRD_EXPORT_OK[ibgp] if export else frozenset())
    memo[k] = out
    return out


def _canonical_rid(rid: str | None) -> bool:
    r = daemons._rid(rid)
    return r is not None and str(r) == rid


def _family_problems(res: Any, net: Any) -> tuple[dict[int, str], dict[int, int], dict[tuple[str, int], set[str]],
                                                    set[tuple[str, int]]]:
    """Per address family: why the condition fails for every prefix of it (absent: it holds), the
    local-pref every received path has; Cilium speakers (and family) whose paths may be unreachable at
    the BIRD speakers they go to; the (speaker, family) that can hear a path only once it went through
    their own AS or from such a Cilium peer (no iBGP, one AS on every session, no allowas-in)."""
    why: dict[int, str] = {}
    unreachable_at: dict[tuple[str, int], set[str]] = {}
    peers: dict[tuple[str, int], set[str]] = {}
    shut: dict[tuple[str, int], set[object]] = {}  # the ASes a speaker's sessions use (None: iBGP, allowas-in)
    lps: dict[int, set[int]] = {4: set(), 6: set()}
    memo: dict[tuple[object, bool, bool], bool] = {}
    for sp in res.speakers.values():
        if sp.imports:
            for fam in (4, 6):
                why.setdefault(fam, f"{sp.id} imports routes from another VRF")
        if sp.options.as_path_ignore:
            for fam in (4, 6):
                why.setdefault(fam, f"{sp.id} ignores the AS-path length (`bgp bestpath as-path ignore`)")
        if sp.daemon is not Daemon.BIRD:
            for fam in (4, 6):
                lps[fam].add(sp.options.default_local_pref)
                if sp.daemon is Daemon.CILIUM:
                    lps[fam].add(100)  # what Cilium sends to iBGP peers (daemons._export_cilium)
        for o in sp.originations:
            if o.route.local_pref is not None:
                lps[o.route.prefix.version].add(o.route.local_pref)
    for s in res.sessions:
        if not s.up:
            continue
        for snd, rcv in s.ends():
            for fam in s.afs:
                if fam in why:
                    continue
                saf, raf = snd.peer.afs.get(fam), rcv.peer.afs.get(fam)
                if saf is None or raf is None:
                    continue
                peers.setdefault((snd.speaker.id, fam), set()).add(rcv.speaker.id)
                shut.setdefault((rcv.speaker.id, fam), set()).add(
                    None if rcv.ibgp or raf.allowas_in else rcv.peer.local_as)
                shut.setdefault((snd.speaker.id, fam), set()).add(None if snd.ibgp else snd.peer.local_as)
                for end, af in ((snd, saf), (rcv, raf)):
                    if end.speaker.daemon is Daemon.BIRD:
                        lps[fam].add(af.default_local_pref)
                if not _neutral(saf.export_policy, snd.ibgp, True, memo):
                    why[fam] = f"the export policy of {snd.label} can set what BGP ranks paths by"
                elif not _neutral(raf.import_policy, rcv.ibgp, False, memo):
                    why[fam] = f"the import policy of {rcv.label} can set what BGP ranks paths by"
                elif rcv.ibgp and not _canonical_rid(rcv.remote_router_id):
                    why[fam] = f"{rcv.label}: the peer's router-id is not known"
                elif rcv.speaker.daemon is Daemon.BIRD and (raf.gateway or (
                        "direct" if rcv.single_hop else "recursive")) == "recursive":
                    nh = snd.local_address  # what Cilium sends as next hop (daemons._export_cilium)
                    if snd.speaker.daemon is not Daemon.CILIUM:
                        why[fam] = f"{rcv.label}: a recursive next hop may not resolve (BIRD ranks such paths lower)"
                    elif nh is None or nh.is_loopback or not net.host(rcv.speaker.host).resolves(nh):
                        unreachable_at.setdefault((snd.speaker.id, fam), set()).add(rcv.speaker.id)
    for fam, vals in lps.items():
        if len(vals) > 1:
            why.setdefault(fam, f"local-preference defaults differ ({', '.join(map(str, sorted(vals)))})")
    closed = {k for k, v in shut.items() if len(v) == 1 and None not in v}
    # a Cilium speaker whose every session goes to one speaker that hears paths only through its own AS
    sole = {k for k, v in unreachable_at.items()
            if peers.get(k) == v and len(v) == 1 and (next(iter(v)), k[1]) in closed}
    for k in unreachable_at.keys() - sole:
        why.setdefault(k[1], f"{k[0]}'s paths may be unreachable (BIRD ranks such paths lower) at "
                             f"{', '.join(sorted(unreachable_at[k]))}, which may hear them otherwise too")
    return why, {fam: next(iter(v)) for fam, v in lps.items() if len(v) == 1}, unreachable_at, sole


def _origination_wins(sp: Any, o: Any, lp0: int | None) -> bool:
    """The speaker's own path beats every received one (whose weight is 0, local-pref `lp0`, BIRD
    preference 100), and has MED 0."""
    r = o.route
    if not o.valid or (r.med or 0) != 0:
        return False
    if sp.daemon is Daemon.BIRD:
        pref = r.preference if r.preference is not None else daemons.BIRD_PREFERENCE.get(r.protocol, 100)
        return pref > daemons.BIRD_PREFERENCE[Protocol.BGP]
    lp = r.local_pref if r.local_pref is not None else sp.options.default_local_pref
    return r.weight > 0 or (r.weight == 0 and lp0 is not None and lp >= lp0)


def unique_outcome(cp: Any, res: Any) -> tuple[set[IPNetwork], dict[IPNetwork, str]]:
    """(prefixes with one stable outcome by the module docstring's condition, {other prefix: why not})."""
    fam_why, lp0, unreachable_at, _ = _family_problems(res, cp.network)
    bad: dict[IPNetwork, str] = {}
    prefixes: set[IPNetwork] = set()
    origins: dict[IPNetwork, set[str]] = {}
    for sp in res.speakers.values():
        for o in sp.originations:
            p = o.route.prefix
            prefixes.add(p)
            origins.setdefault(p, set()).add(sp.id)
            if p in bad:
                continue
            w = fam_why.get(p.version)
            if w is not None:
                bad[p] = w
            elif not _origination_wins(sp, o, lp0.get(p.version)):
                bad[p] = f"{sp.id}'s origination of {p} has a MED, is not valid or does not always win"
    for p, sids in origins.items():  # the one-speaker argument (_family_problems) needs a single origin
        hit = sorted(sid for sid in sids if (sid, p.version) in unreachable_at)
        if hit and len(sids) > 1:
            bad.setdefault(p, f"{hit[0]}'s path may be unreachable at "
                              f"{', '.join(sorted(unreachable_at[(hit[0], p.version)]))} and {p} has other origins")
    return prefixes - bad.keys(), bad


@dataclass(frozen=True)
class LeftOut:
    """Prefixes the second run did not cover (the budget was spent): said, never dropped."""

    prefixes: tuple[IPNetwork, ...]
    budget: int  # simulation steps allowed to the second run
    main_steps: int  # steps the main run took


def timing_dependent(cp: object, res: object, max_routes: int | None = None,
                     skipped: list[LeftOut] | None = None, *, prune: bool = True,
                     budget: int | None = -1) -> list[TimingDependence]:
    """Both kinds, sorted by prefix. The oldest-path check is cheap and always done. The second run
    (several stable outcomes) covers the prefixes some speaker holds more than one path for and, with
    `prune`, that fail `unique_outcome`'s condition; at most `budget` simulation steps of them
    (-1: half the main run's steps, at least MIN_BUDGET; None: no bound), in prefix order, the rest
    appended to `skipped` as a `LeftOut`. `max_routes` (tests): no second run above that many routes."""
    ties = oldest_path_ties(res)
    order: list[TimingDependence] = []
    main_steps = res.steps  # type: ignore[attr-defined]
    if budget == -1:
        budget = max(MIN_BUDGET, main_steps // 2)
    candidates: list[IPNetwork] = []
    if max_routes is not None and sum(len(t) for t in res.tables.values()) > max_routes:  # type: ignore[attr-defined]
        candidates = sorted(multi_path_prefixes(res), key=_pkey)
        budget = 0
    else:
        suspect: set[IPNetwork] | None = None
        if prune and res.converged:  # type: ignore[attr-defined]
            _, bad = unique_outcome(cp, res)
            suspect = set(bad)
        if suspect is None or suspect:
            multi = multi_path_prefixes(res)
            candidates = sorted(multi if suspect is None else multi & suspect, key=_pkey)
    run = candidates
    if budget is not None and candidates:
        first = next(iter(res.tables.values()), None)  # type: ignore[attr-defined]
        n_prefixes = max(1, len(first._u.prefixes)) if first is not None else 1
        per = max(1.0, main_steps / n_prefixes)  # the main run's steps per prefix: the second run's estimate
        run = candidates[:int(budget / per)]
    if len(run) < len(candidates) and skipped is not None:
        skipped.append(LeftOut(tuple(candidates[len(run):]), budget or 0, main_steps))  # the caller says so
    if run:
        order = order_dependent(cp, res, set(run))
    return sorted(ties + order, key=lambda t: (t.prefix.version, int(t.prefix.network_address), t.prefix.prefixlen,
                                               t.kind, t.speakers))
