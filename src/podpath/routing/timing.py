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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podpath.routing import daemons
from podpath.routing.bgp import Daemon
from podpath.routing.rib import CohortTable, PrefixTable
from podpath.routing.route import IPNetwork

__all__ = ["TimingDependence", "oldest_path_ties", "order_dependent", "timing_dependent"]

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
    shared: dict[tuple[tuple[int, ...], tuple[int, ...]], list[IPNetwork]] = {}
    for sid in sorted(res.tables):  # type: ignore[attr-defined]
        a, b = res.best[sid], alt.best[sid]  # type: ignore[attr-defined]
        for prefix in _differing(a, b, only, shared):
            diff.setdefault(prefix, []).append(sid)
    return diff


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


def timing_dependent(cp: object, res: object, max_routes: int = 200_000,
                     skipped: list[int] | None = None) -> list[TimingDependence]:
    """Both kinds, sorted by prefix. The second run (several stable outcomes) covers only prefixes
    that some speaker holds more than one path for, and is skipped above `max_routes` routes;
    the oldest-path check is cheap and always done."""
    ties = oldest_path_ties(res)
    routes = sum(len(t) for t in res.tables.values())  # type: ignore[attr-defined]
    order: list[TimingDependence] = []
    if routes > max_routes and skipped is not None:
        skipped.append(routes)  # the caller says so: nothing is left out silently
    if routes <= max_routes:
        candidates = multi_path_prefixes(res)
        order = order_dependent(cp, res, candidates) if candidates else []
    return sorted(ties + order, key=lambda t: (t.prefix.version, int(t.prefix.network_address), t.prefix.prefixlen,
                                               t.kind, t.speakers))
