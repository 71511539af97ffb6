"""Routing tables the user captured from the running daemons — `vtysh -c 'show bgp [vrf V] ipv4|ipv6 unicast
json [detail]'` and `birdc show route all` — read as observations (the lab's parsers, written against the
real daemons' output, do the parsing: podpath.lab.parsers). They are compared with the simulated tables of
the same daemon (checks/observed_rib.py): what runs is not always what the snapshot's files say."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from podpath.diagnostics import Diagnostics, Loc
from podpath.routing.route import Protocol, Route

_BIRD_HEAD = re.compile(r"^(BIRD [\d.]+ ready\.|Table \S+:)\s*$", re.M)
_BIRD_ROUTE = re.compile(r"^\S+/\d+\s+(unicast|blackhole|unreachable|prohibit)\s+\[\S+ [^\]]*\]", re.M)


@dataclass
class ObservedRib:
    """One daemon's BGP table as captured: its best paths learned over BGP, per family."""

    file: str
    daemon: str  # frr | bird
    router_id: str | None = None
    vrf: str = "default"
    routes: list[Route] = field(default_factory=list)  # best paths only
    families: set[int] = field(default_factory=set)  # the families the capture covers
    host: str | None = None

    @property
    def loc(self) -> Loc:
        return Loc(self.file, 1, 1)


def looks_like_frr_bgp_json(text: str) -> bool:
    head = text.lstrip()[:4000]
    return head.startswith("{") and '"routes"' in text[:200000] and ('"routerId"' in head or '"vrfName"' in head)


def looks_like_birdc_routes(text: str) -> bool:
    return bool(_BIRD_ROUTE.search(text[:200000])) and (bool(_BIRD_HEAD.search(text[:4000])) or "\tvia " in text
                                                        or "\tType: " in text)


def parse_frr_bgp_json(text: str, file: str, diags: Diagnostics) -> list[ObservedRib]:
    from podpath.lab.parsers import frr_path_route, frr_vrf_tables, loads_json_stream

    try:
        objs = loads_json_stream(text)
    except (ValueError, RecursionError) as exc:
        diags.error(Loc(file, 1, 1), f"not valid JSON ({exc})")
        return []
    out: list[ObservedRib] = []
    for vrf, table in sorted(frr_vrf_tables(objs if len(objs) != 1 else objs[0]).items()):
        rib = ObservedRib(file, "frr", str(table.get("routerId")) if table.get("routerId") else None, vrf)
        for prefix, entry in (table.get("routes") or {}).items():
            paths = entry if isinstance(entry, list) else entry.get("paths", []) if isinstance(entry, dict) else []
            for p in paths:
                if not isinstance(p, dict):
                    continue
                if "peer" not in p and p.get("peerId"):  # the non-detail form
                    p = dict(p, peer={"peerId": p["peerId"]})
                if "aspath" not in p and "path" in p:
                    p = dict(p, aspath=p["path"])
                try:
                    r = frr_path_route(prefix, p, vrf)
                except (ValueError, TypeError, KeyError) as exc:
                    diags.warning(Loc(file, 1, 1), f"route {prefix}: cannot read this path ({exc}); skipped")
                    continue
                rib.families.add(r.prefix.version)
                best = dict(r.extra).get("best") == "true"
                if best and r.peer is not None:
                    rib.routes.append(r)
        out.append(rib)
    if not out:
        diags.warning(Loc(file, 1, 1), "FRR BGP JSON without a routes table")
    return out


def parse_birdc_routes(text: str, file: str, diags: Diagnostics) -> list[ObservedRib]:
    from podpath.lab.parsers import parse_bird_routes

    try:
        routes = parse_bird_routes(text)
    except (ValueError, TypeError, IndexError) as exc:
        diags.error(Loc(file, 1, 1), f"cannot read this `birdc show route` output ({exc})")
        return []
    rib = ObservedRib(file, "bird")
    for r in routes:
        rib.families.add(r.prefix.version)
        if r.protocol is Protocol.BGP and dict(r.extra).get("primary") == "true":
            rib.routes.append(r)
    return [rib]


def read(kind: str, text: str, file: str, diags: Diagnostics) -> list[ObservedRib]:
    return parse_frr_bgp_json(text, file, diags) if kind == "frr-bgp-json" else parse_birdc_routes(text, file, diags)
