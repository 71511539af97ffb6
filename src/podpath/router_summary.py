"""What `podpath show` says about a routing daemon's configuration, as data (the `details` of each entry of
`routers` in the show document, docs/json.md): FRR BGP instances with neighbors, peer groups, what they
originate, route-maps, prefix/community/AS-path lists; BIRD protocols with neighbors and channel filters,
filters and functions. Every item carries its file:line. Passwords are never included (and the document is
redacted anyway, report.show_document)."""

from __future__ import annotations

from typing import Any


def _loc(loc: Any) -> dict[str, Any] | None:
    return loc.to_json() if loc is not None else None


def _ref(r: Any) -> str | None:
    return r.name if r is not None else None


def details(dialect: str, config: Any) -> dict[str, Any]:
    if dialect == "frr":
        return _frr(config)
    if dialect == "bird":
        return _bird(config)
    return {}


def _neighbor(inst: Any, n: Any) -> dict[str, Any]:
    eff = inst.effective(n) if not n.is_group else n
    fams = []
    for key in sorted(set(eff.afs) | set(getattr(eff, "default_afs", frozenset()))):
        af = eff.afs.get(key)
        fams.append({
            "family": str(key).replace(" ", "-"),
            "active": bool(eff.active(key)),
            "route_map_in": _ref(af.route_map_in) if af else None, "route_map_out": _ref(af.route_map_out) if af else None,
            "prefix_list_in": _ref(af.prefix_list_in) if af else None,
            "prefix_list_out": _ref(af.prefix_list_out) if af else None,
            "filter_list_in": _ref(af.filter_list_in) if af else None,
            "filter_list_out": _ref(af.filter_list_out) if af else None,
            "distribute_list_in": _ref(af.distribute_list_in) if af else None,
            "distribute_list_out": _ref(af.distribute_list_out) if af else None,
        })
    remote = eff.remote_as if eff.remote_as is not None else eff.remote_as_mode
    return {"name": n.name, "kind": n.kind, "remote_as": remote, "peer_group": n.peer_group,
            "description": n.description, "shutdown": bool(eff.shutdown), "families": fams, "location": _loc(n.loc)}


def _frr(c: Any) -> dict[str, Any]:
    bgp = []
    for vrf in sorted(c.bgp):
        inst = c.bgp[vrf]
        origins = []
        for key in sorted(inst.afs):
            af = inst.afs[key]
            fam = str(key).replace(" ", "-")
            for n in af.networks:
                origins.append({"what": str(n.prefix), "family": fam, "how": "network" + (
                    f" route-map {n.route_map.name}" if n.route_map else ""), "location": _loc(n.loc)})
            for a in af.aggregates:
                origins.append({"what": str(a.prefix), "family": fam, "how": "aggregate-address" + (
                    " summary-only" if a.summary_only else ""), "location": _loc(a.loc)})
            for r in af.redistributes:
                origins.append({"what": f"redistribute {r.source}" + (f" {r.instance}" if r.instance is not None else ""),
                                "family": fam, "how": f"route-map {r.route_map.name}" if r.route_map else "redistribute",
                                "location": _loc(r.loc)})
        groups = [n for n in inst.neighbors.values() if n.is_group]
        peers = [n for n in inst.neighbors.values() if not n.is_group]
        bgp.append({
            "vrf": vrf, "asn": inst.asn, "router_id": str(inst.router_id) if inst.router_id else None,
            "location": _loc(inst.loc),
            "neighbors": [_neighbor(inst, n) for n in sorted(peers, key=lambda n: n.loc)],
            "peer_groups": [_neighbor(inst, n) for n in sorted(groups, key=lambda n: n.loc)],
            "listen_ranges": [{"prefix": str(l.prefix), "peer_group": l.peer_group, "location": _loc(l.loc)}
                              for l in inst.listen_ranges],
            "originations": origins,
        })
    route_maps = []
    for name in sorted(c.route_maps):
        rm = c.route_maps[name]
        for seq in sorted(rm.clauses):
            cl = rm.clauses[seq]
            sets = [s.text for s in cl.sets]
            if cl.call is not None:
                sets.append(f"call {cl.call.name}")
            if cl.exit_policy:
                sets.append(f"on-match {cl.exit_policy}" + (f" {cl.goto}" if cl.goto is not None else ""))
            route_maps.append({"route_map": name, "seq": seq, "action": cl.action, "match": [m.text for m in cl.matches],
                               "set": sets, "location": _loc(cl.loc)})
    prefix_lists = [{"name": p.name, "family": f"ipv{p.family}", "location": _loc(p.loc),
                     "entries": [{"seq": e.seq, "action": e.action, "prefix": e.text.split(" ", 3)[3],
                                  "location": _loc(e.loc)} for e in p.entries]}
                    for _, p in sorted(c.prefix_lists.items())]
    communities = []
    for kind, table in (("community", c.community_lists), ("large-community", c.large_community_lists),
                        ("extcommunity", c.ext_community_lists)):
        for name in sorted(table):
            cl = table[name]
            communities.append({"name": name, "kind": f"{kind} {cl.style}", "location": _loc(cl.loc),
                                "entries": [{"seq": e.seq, "action": e.action, "text": e.text, "location": _loc(e.loc)}
                                            for e in cl.entries]})
    as_paths = [{"name": name, "location": _loc(a.loc),
                 "entries": [{"seq": e.seq, "action": e.action, "regex": e.regex, "location": _loc(e.loc)}
                             for e in a.entries]} for name, a in sorted(c.as_path_lists.items())]
    return {"hostname": c.hostname, "bgp": bgp, "route_maps": route_maps, "prefix_lists": prefix_lists,
            "community_lists": communities, "as_path_lists": as_paths}


def _spec(p: Any, ch: Any, which: str) -> str:
    spec = None
    if hasattr(p, f"{which}_spec"):
        spec = getattr(p, f"{which}_spec")(ch)
    else:
        spec = ch.import_ if which == "import" else ch.export
    if spec is None:
        return "none (BIRD refuses an eBGP channel without it)" if hasattr(p, f"{which}_spec") else "default"
    return spec.describe() + (" (default)" if spec.implicit else "")


def _bird(c: Any) -> dict[str, Any]:
    protocols = []
    for p in c.protocols:
        item: dict[str, Any] = {"name": p.name, "type": p.type, "template": p.template, "disabled": bool(p.disabled),
                                "location": _loc(p.loc),
                                "channels": [{"afi": afi, "table": ch.table, "import": _spec(p, ch, "import"),
                                              "export": _spec(p, ch, "export"), "location": _loc(ch.loc)}
                                             for afi, ch in sorted(p.channels.items())]}
        if p.type == "bgp":
            nb = getattr(p, "neighbor", None) or getattr(p, "neighbor_range", None)
            item.update({"neighbor": str(nb) if nb is not None else None, "local_as": getattr(p, "local_as", None),
                         "neighbor_as": getattr(p, "neighbor_as", None) or getattr(p, "neighbor_kind", None)})
        protocols.append(item)
    filters = [{"name": n, "kind": "filter", "location": _loc(f.loc)} for n, f in sorted(c.filters.items())]
    filters += [{"name": n, "kind": "function", "location": _loc(f.loc)} for n, f in sorted(c.functions.items())]
    return {"router_id": c.router_id, "protocols": protocols, "filters": filters}
