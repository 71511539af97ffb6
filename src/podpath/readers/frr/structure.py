"""Structural keys of FRR neighbor policies: equal for the same filters written in another file.

Routers of one role (the ToRs of fifty racks) carry the same route-maps and lists in their own
files. The simulator shares an import, an update group's export and a policy result between
policies with equal keys (routing.policy.policy_key), so a key must hold everything
`NeighborPolicy.evaluate` reads: the neighbor's settings for the family and its AS settings, the
instance's AS and policy defaults, FRR's version and defaults profile, the route-maps reachable
from the neighbor (through `call`), and every list a reachable clause or the neighbor names —
everything except where it was written. Lists are taken by name from the words of each clause
(a superset of what a clause can read: harmless, it only splits keys), so a list referenced in
some new way is still in the key."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from typing import TYPE_CHECKING, Any

from podpath.config import Loc

if TYPE_CHECKING:
    from podpath.readers.frr.policy import NeighborPolicy

_LOCATION_FIELDS = frozenset({"loc", "locs", "exit_loc", "optimization_loc", "version_loc", "profile_loc"})
_ATOMS = (str, int, float, bool, type(None), enum.Enum, ipaddress.IPv4Address, ipaddress.IPv6Address,
          ipaddress.IPv4Network, ipaddress.IPv6Network)


class Uncomparable(Exception):
    """A value of a type the key does not know how to compare: the policy keeps its identity."""


def canonical(value: Any) -> Any:
    """A hashable, location-free form of a parsed FRR configuration value."""
    if isinstance(value, _ATOMS):
        return value
    if isinstance(value, Loc):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(canonical(getattr(value, f.name)) for f in dataclasses.fields(value)
                                               if f.name not in _LOCATION_FIELDS)
    if isinstance(value, (list, tuple)):
        return tuple(canonical(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(canonical(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted(((repr(k), canonical(k), canonical(v)) for k, v in value.items()), key=lambda t: t[0]))
    raise Uncomparable(type(value).__name__)


def neighbor_policy_key(policy: NeighborPolicy) -> object:
    """The structural key of one neighbor policy (None: not comparable, keyed by identity)."""
    cfg, inst, n = policy.config, policy.instance, policy.neighbor
    maps: list[Any] = []
    words: set[str] = set()
    for r in (policy.route_map, policy.prefix_list, policy.filter_list, policy.distribute_list):
        if r is not None:
            words.add(r.name)
    seen: set[str] = set()
    match_peer = False  # `match peer IFNAME|GROUP` reads the neighbor's name, kind and group
    todo = [policy.route_map.name] if policy.route_map is not None else []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        rm = cfg.route_maps.get(name)
        maps.append((name, rm))
        for cl in rm.clauses.values() if rm is not None else ():
            for st in (*cl.matches, *cl.sets):
                words.update(st.text.split())
            match_peer = match_peer or any(m.kind == "peer" for m in cl.matches)
            if cl.call is not None:
                todo.append(cl.call.name)
    lists = [(attr, k, v) for attr in ("prefix_lists", "access_lists", "community_lists", "large_community_lists",
                                       "ext_community_lists", "as_path_lists")
             for k, v in getattr(cfg, attr).items() if (k[1] if isinstance(k, tuple) else k) in words]
    try:
        from podpath.readers.frr.policy import frr_version

        a = policy.settings
        ebgp = inst.is_ebgp(n)
        # The instance's AS is read where the session type depends on the peer's OPEN, and by
        # remove-private-AS / as-override on export; the session type itself in any case.
        asn = inst.asn if ebgp is None or (a is not None and (a.remove_private_as or a.as_override)) else None
        return ("frr-neighbor", policy.direction.value, str(policy.af), frr_version(cfg), cfg.profile,
                canonical(cfg.defaults()), ebgp, asn, inst.default_local_pref, inst.ebgp_requires_policy,
                (n.name, n.kind, n.peer_group) if match_peer else None, n.remote_as, n.remote_as_mode, n.local_as,
                canonical(policy.settings), canonical(sorted(maps, key=lambda m: m[0])),
                canonical(sorted(lists, key=lambda t: (t[0], repr(t[1])))))
    except Uncomparable:
        return None
