"""Parsers of daemon output into podpath Routes and small status dicts.

Each parser was written against output captured from the real daemons (FRR
8.4.4 and 10.3, BIRD 2.0.12 and 2.17.5, GoBGP 3.10 and 3.36); samples live in
tests/lab/data/. Attributes are kept the way the daemon shows them: an
attribute the daemon does not show is None/empty, never a default podpath
invented (e.g. FRR omits LOCAL_PREF on eBGP-learned paths; BIRD shows 100).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from podpath.routing.route import (
    WELL_KNOWN_COMMUNITIES,
    AsPath,
    AsPathSegment,
    Community,
    ExtCommunity,
    IPAddress,
    LargeCommunity,
    Origin,
    Protocol,
    Route,
    RouteDest,
)

T = TypeVar("T")

# --- shared helpers -------------------------------------------------------------------------


def loads_json_stream(text: str) -> list[Any]:
    """Parse one or more concatenated JSON values (vtysh `vrf all ... detail` prints one per VRF)."""
    dec = json.JSONDecoder()
    out: list[Any] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return out
        value, i = dec.raw_decode(text, i)
        out.append(value)


def _addr(text: str | None) -> IPAddress | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None


_ORIGINS = {"igp": Origin.IGP, "i": Origin.IGP, "egp": Origin.EGP, "e": Origin.EGP,
            "incomplete": Origin.INCOMPLETE, "?": Origin.INCOMPLETE}


def _origin(text: str | int | None) -> Origin:
    if isinstance(text, int):
        return (Origin.IGP, Origin.EGP, Origin.INCOMPLETE)[text]
    return _ORIGINS.get(str(text or "igp").lower(), Origin.IGP)


# FRR's names for well-known communities (community.c community_str)
_FRR_WELL_KNOWN = {"no-export": "no-export", "no-advertise": "no-advertise", "local-as": "local-as",
                   "local-AS": "local-as", "no-peer": "no-peer", "blackhole": "blackhole",
                   "graceful-shutdown": "graceful-shutdown", "accept-own": "accept-own",
                   "llgr-stale": "llgr-stale", "no-llgr": "no-llgr", "internet": None}


def parse_community(token: str) -> Community | None:
    """'65000:100', 'no-export' (FRR names) or '(65000,100)' (BIRD) → (high, low)."""
    token = token.strip("() ")
    if token in _FRR_WELL_KNOWN:
        name = _FRR_WELL_KNOWN[token]
        return WELL_KNOWN_COMMUNITIES[name] if name else (0, 0)
    m = re.fullmatch(r"(\d+)\s*[:,]\s*(\d+)", token)
    return (int(m.group(1)), int(m.group(2))) if m else None


def parse_large_community(token: str) -> LargeCommunity | None:
    m = re.fullmatch(r"\(?\s*(\d+)\s*[:,]\s*(\d+)\s*[:,]\s*(\d+)\s*\)?", token.strip())
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def parse_ext_community(kind: str, admin: str, value: str) -> ExtCommunity | None:
    kind = kind.strip().lower()
    try:
        return ExtCommunity(kind, admin.strip(), int(value.strip()))
    except ValueError:
        return None


# --- BIRD ----------------------------------------------------------------------------------


def strip_birdc_banner(text: str) -> str:
    """Drop birdc's greeting line ('BIRD 2.0.12 ready.')."""
    lines = text.splitlines(keepends=True)
    if lines and re.match(r"^BIRD [\w.+~-]+ ready\.$", lines[0].strip()):
        lines = lines[1:]
    return "".join(lines)


_BIRD_ROUTE = re.compile(
    r"^(?P<net>\S+)?\s+(?P<dest>unicast|blackhole|unreachable|prohibited|multicast|\w+)\s+"
    r"\[(?P<proto>\S+)\s+(?P<since>[^\]]*?)(?:\s+from\s+(?P<from>\S+))?\]\s*"
    r"(?P<primary>\*)?!?\s*(?:(?:I|IA|E1|E2)\s+)?\((?P<pref>\d+)(?:/(?P<metric>[\d?-]+))?(?:/\d+)?\)"
    r"(?:\s*\[(?P<bgp>[^\]]*)\])?")
_BIRD_DEST = {"unicast": RouteDest.UNICAST, "blackhole": RouteDest.BLACKHOLE,
              "unreachable": RouteDest.UNREACHABLE, "prohibited": RouteDest.PROHIBIT}
_BIRD_PROTO = {"bgp": Protocol.BGP, "static": Protocol.STATIC, "device": Protocol.CONNECTED,
               "direct": Protocol.CONNECTED, "inherit": Protocol.KERNEL, "kernel": Protocol.KERNEL,
               "ospf": Protocol.OSPF, "ospf-e1": Protocol.OSPF, "ospf-e2": Protocol.OSPF,
               "ospf-ia": Protocol.OSPF, "aggregated": Protocol.AGGREGATE}


def parse_bird_aspath(text: str) -> AsPath:
    """'65001 65002 {65003 65004}' → AsPath (BIRD writes sets with spaces inside braces)."""
    segs: list[AsPathSegment] = []
    seq: list[int] = []
    for m in re.finditer(r"\{([^}]*)\}|\(([^)]*)\)|(\d+)", text):
        if m.group(3):
            seq.append(int(m.group(3)))
            continue
        if seq:
            segs.append(AsPathSegment(tuple(seq)))
            seq = []
        inner = [int(x) for x in re.findall(r"\d+", m.group(1) or m.group(2) or "")]
        segs.append(AsPathSegment(tuple(inner), set_=m.group(1) is not None))
    if seq:
        segs.append(AsPathSegment(tuple(seq)))
    return AsPath(tuple(segs))


class _BirdRoute:
    """Accumulates one route's header and attribute lines."""

    def __init__(self, net: str, m: re.Match[str], table: str) -> None:
        self.net = net
        self.m = m
        self.table = table
        self.attrs: dict[str, str] = {}
        self.gw: str | None = None
        self.ifname: str | None = None
        self.type = ""
        self.extra: list[tuple[str, str]] = []

    def add_line(self, line: str) -> None:
        body = line.strip()
        via = re.match(r"via\s+(\S+)\s+on\s+(\S+)", body)
        dev = re.match(r"dev\s+(\S+)", body)
        if via and self.gw is None:
            self.gw, self.ifname = via.group(1), via.group(2)
        elif dev and self.ifname is None:
            self.ifname = dev.group(1)
        elif body.startswith("Type:"):
            self.type = body[5:].strip()
        elif ":" in body:
            key, _, value = body.partition(":")
            self.attrs[key.strip()] = value.strip()

    def route(self) -> Route:
        m, a = self.m, self.attrs
        proto = _BIRD_PROTO.get(self.type.split(" ")[0].lower(), Protocol.OTHER) if self.type else Protocol.OTHER
        nh_words = a.get("BGP.next_hop", "").split()
        next_hop = _addr(nh_words[0]) if nh_words else _addr(self.gw)
        ll = _addr(nh_words[1]) if len(nh_words) > 1 else None
        extra = [("table", self.table), ("since", m.group("since")), ("primary", str(bool(m.group("primary"))).lower())]
        if self.gw:
            extra.append(("gw", self.gw))
        extra += [(k, v) for k, v in sorted(a.items()) if not k.startswith("BGP.")]
        known = {"BGP.origin", "BGP.as_path", "BGP.next_hop", "BGP.med", "BGP.local_pref", "BGP.community",
                 "BGP.large_community", "BGP.ext_community", "BGP.originator_id", "BGP.cluster_list",
                 "BGP.atomic_aggr"}
        extra += [(k, v) for k, v in sorted(a.items()) if k.startswith("BGP.") and k not in known]
        is_bgp = proto is Protocol.BGP
        return Route(
            prefix=ipaddress.ip_network(self.net, strict=False),
            protocol=proto,
            next_hop=next_hop,
            next_hop_ll=ll if isinstance(ll, ipaddress.IPv6Address) else None,
            as_path=parse_bird_aspath(a.get("BGP.as_path", "")),
            communities=_bird_tuples(a.get("BGP.community", ""), parse_community),
            large_communities=_bird_tuples(a.get("BGP.large_community", ""), parse_large_community),
            ext_communities=frozenset(_bird_ext(a.get("BGP.ext_community", ""))),
            local_pref=int(a["BGP.local_pref"]) if "BGP.local_pref" in a else None,
            med=int(a["BGP.med"]) if "BGP.med" in a else None,
            origin=_origin(a.get("BGP.origin")) if "BGP.origin" in a else Origin.IGP,
            metric=int(m.group("metric")) if m.group("metric") and m.group("metric").isdigit() else None,
            preference=int(m.group("pref")),
            dest=_BIRD_DEST.get(m.group("dest"), RouteDest.UNICAST),
            ifname=self.ifname,
            source_name=m.group("proto"),
            peer=_addr(m.group("from")) or (_addr(self.gw) if is_bgp else None),
            originator_id=_v4(a.get("BGP.originator_id")),
            cluster_list=tuple(x for x in (_v4(w) for w in a.get("BGP.cluster_list", "").split()) if x),
            atomic_aggregate="BGP.atomic_aggr" in a,
            extra=tuple(extra),
        )


def _bird_tuples(text: str, parse: Callable[[str], T | None]) -> frozenset[T]:
    """'(65000,1) (65000,2)' → {parse('(65000,1)'), ...} without the unparsable ones."""
    return frozenset(v for v in map(parse, re.findall(r"\([^)]*\)", text)) if v is not None)


def _v4(text: str | None) -> ipaddress.IPv4Address | None:
    addr = _addr(text)
    return addr if isinstance(addr, ipaddress.IPv4Address) else None


def _bird_ext(text: str) -> Iterator[ExtCommunity]:
    for inner in re.findall(r"\(([^)]*)\)", text):
        parts = [p.strip() for p in inner.split(",")]
        if len(parts) == 3:
            ec = parse_ext_community(*parts)
            if ec:
                yield ec


def parse_bird_routes(text: str) -> list[Route]:
    """`birdc show route all` (any table selection) → Routes, in output order."""
    routes: list[Route] = []
    table, net, cur = "", "", None
    for line in strip_birdc_banner(text).splitlines():
        if not line.strip():
            continue
        t = re.match(r"^Table (\S+):$", line)
        if t:
            table = t.group(1)
            continue
        m = _BIRD_ROUTE.match(line)
        if m and not line.startswith("\t"):
            if cur:
                routes.append(cur.route())
            net = m.group("net") or net
            cur = _BirdRoute(net, m, table)
        elif cur and line.startswith(("\t", " ")):
            cur.add_line(line)
    if cur:
        routes.append(cur.route())
    return routes


def parse_bird_protocols(text: str) -> dict[str, dict[str, Any]]:
    """`birdc show protocols [all]` → {name: {proto, table, state, since, info, ...details}}."""
    protos: dict[str, dict[str, Any]] = {}
    cur: dict[str, Any] | None = None
    channel: dict[str, str] | None = None
    for line in strip_birdc_banner(text).splitlines():
        if not line.strip() or line.startswith("Name "):
            continue
        if not line[0].isspace():
            parts = line.split(None, 5)
            cur = {"proto": parts[1] if len(parts) > 1 else "", "table": parts[2] if len(parts) > 2 else "",
                   "state": parts[3] if len(parts) > 3 else "", "since": parts[4] if len(parts) > 4 else "",
                   "info": parts[5].strip() if len(parts) > 5 else "", "channels": {}, "routes": ""}
            protos[parts[0]] = cur
            channel = None
            continue
        if cur is None:
            continue
        body = line.strip()
        ch = re.match(r"^Channel (\S+)$", body)
        if ch:
            channel = {}
            cur["channels"][ch.group(1)] = channel
            continue
        key, sep, value = body.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower().replace(" ", "_"), value.strip()
        if channel is not None:
            channel[key] = value
            if key == "routes":
                cur["routes"] = (cur["routes"] + "; " if cur["routes"] else "") + value
        else:
            cur.setdefault(key, value)
    return protos


def bird_route_counts(value: str) -> dict[str, int]:
    """'3 imported, 1 filtered, 0 exported, 3 preferred' → {'imported': 3, ...}."""
    return {w: int(n) for n, w in re.findall(r"(\d+) (\w+)", value)}


# --- FRR -----------------------------------------------------------------------------------


def frr_vrf_tables(obj: Any) -> dict[str, dict[str, Any]]:
    """Normalise `show bgp vrf all <afi> unicast json [detail]` to {vrf: table}.

    Non-detail output is wrapped by VRF name; FRR 8.4 and 10.3 print the
    detail view unwrapped (one object per VRF, concatenated).
    """
    items = obj if isinstance(obj, list) else [obj]
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        if "routes" in item or "vrfName" in item:
            out[item.get("vrfName", "default")] = item
        else:
            out.update({k: v for k, v in item.items() if isinstance(v, dict)})
    return out


def frr_rib_by_vrf(obj: Any) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Normalise `show ip[v6] route vrf all json` to {vrf: {prefix: [entry...]}}.

    FRR 8.4 prints the entries unwrapped (one object per VRF, concatenated),
    FRR 10.x wraps them by VRF name.
    """
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for item in obj if isinstance(obj, list) else [obj]:
        for key, value in (item or {}).items():
            if isinstance(value, list):  # unwrapped: prefix -> entries
                vrf = value[0].get("vrfName", "default") if value else "default"
                out.setdefault(vrf, {})[key] = value
            elif isinstance(value, dict):
                out.setdefault(key, {}).update(value)
    return out


def _frr_paths(entry: Any) -> list[dict[str, Any]]:
    """Paths of one prefix: FRR 8.4 `[header, path...]`, FRR 10 `{..., paths: [...]}`."""
    if isinstance(entry, dict):
        return list(entry.get("paths", []))
    return [p for p in entry if isinstance(p, dict) and ("aspath" in p or "nexthops" in p or "path" in p)]


def frr_aspath(obj: dict[str, Any] | str | None) -> AsPath:
    if isinstance(obj, dict) and "segments" in obj:
        segs = tuple(AsPathSegment(tuple(int(a) for a in s.get("list", [])), s.get("type") == "as-set")
                     for s in obj["segments"])
        return AsPath(segs)
    text = obj.get("string", "") if isinstance(obj, dict) else (obj or "")
    return parse_bird_aspath(text.replace(",", " ")) if text != "Local" else AsPath()


def frr_path_route(prefix: str, p: dict[str, Any], vrf: str) -> Route:
    """One path of FRR's detail JSON → Route."""
    nhs = p.get("nexthops", [])
    glob = next((n for n in nhs if n.get("scope", "global") == "global"), None)
    ll = next((n for n in nhs if n.get("scope") == "link-local"), None)
    peer = p.get("peer", {})
    comm = (p.get("community") or {}).get("string", "")
    lcomm = (p.get("largeCommunity") or {}).get("string", "")
    ecomm = (p.get("extendedCommunity") or {}).get("string", "")
    best = p.get("bestpath", {})
    extra = [("vrf", vrf), ("valid", str(bool(p.get("valid"))).lower()),
             ("best", str(bool(best.get("overall") if isinstance(best, dict) else best)).lower())]
    if peer.get("type"):
        extra.append(("peer_type", peer["type"]))
    if glob is not None and "accessible" in glob:
        extra.append(("accessible", str(glob["accessible"]).lower()))
    ll_addr = _addr(ll.get("ip")) if ll else None
    nh_addr = _addr(glob.get("ip")) if glob else None
    return Route(
        prefix=ipaddress.ip_network(prefix, strict=False),
        protocol=Protocol.BGP,
        next_hop=nh_addr if nh_addr is not None and not nh_addr.is_unspecified else None,
        next_hop_ll=ll_addr if isinstance(ll_addr, ipaddress.IPv6Address) else None,
        as_path=frr_aspath(p.get("aspath")),
        communities=frozenset(c for c in map(parse_community, comm.split()) if c),
        large_communities=frozenset(c for c in map(parse_large_community, lcomm.split()) if c),
        ext_communities=frozenset(_frr_ext(ecomm)),
        local_pref=p.get("locPrf", p.get("localpref")),
        med=p.get("metric", p.get("med")),
        origin=_origin(p.get("origin")),
        weight=int(p.get("weight", 0)),
        peer=None if p.get("sourced") or p.get("local") else _addr(peer.get("peerId")),
        originator_id=_v4(p.get("originatorId")),
        cluster_list=tuple(x for x in (_v4(c) for c in (p.get("clusterList") or {}).get("list", [])) if x),
        atomic_aggregate=bool(p.get("atomicAggregate")),
        extra=tuple(extra),
    )


def _frr_ext(text: str) -> Iterator[ExtCommunity]:
    for tok in text.split():
        parts = tok.split(":")
        if len(parts) >= 3:
            ec = parse_ext_community(parts[0], ":".join(parts[1:-1]), parts[-1])
            if ec:
                yield ec


def frr_detail_routes(obj: Any) -> list[Route]:
    """All paths of `show bgp vrf all <afi> unicast json detail` (any FRR 8.4..10.x)."""
    routes: list[Route] = []
    for vrf, table in frr_vrf_tables(obj).items():
        for prefix, entry in (table.get("routes") or {}).items():
            routes.extend(frr_path_route(prefix, p, vrf) for p in _frr_paths(entry))
    return routes


def frr_summary_peers(summary: Any) -> dict[str, dict[str, Any]]:
    """{'<vrf>/<afi>/<peer>': peer dict} from `show bgp vrf all summary json`."""
    out = {}
    for vrf, afis in (summary or {}).items():
        for afi, data in (afis or {}).items():
            if isinstance(data, dict):
                for peer, info in (data.get("peers") or {}).items():
                    out[f"{vrf}/{afi}/{peer}"] = info
    return out


def frr_peer_states(summary: Any) -> dict[str, bool]:
    return {k: v.get("state") == "Established" for k, v in frr_summary_peers(summary).items()}


def frr_summary_digest(summary: Any) -> dict[str, Any]:
    """Sessions without counters that tick on keepalives (for convergence checks)."""
    return {k: [v.get("state"), v.get("peerState"), v.get("pfxRcd"), v.get("pfxSnt")]
            for k, v in frr_summary_peers(summary).items()}


def frr_table_digest(table: Any) -> Any:
    """The non-detail table minus version counters."""
    def strip(o: Any) -> Any:
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in ("version", "tableVersion")}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o
    return strip(table)


# --- GoBGP ---------------------------------------------------------------------------------


def _gobgp_attrs(path: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {a.get("type"): a for a in path.get("attrs", [])}


def gobgp_path_route(prefix: str, path: dict[str, Any]) -> Route:
    """One path of `gobgp ... rib -j` / `adj-in -j` → Route."""
    attrs = _gobgp_attrs(path)
    segs = tuple(AsPathSegment(tuple(s.get("asns", [])), s.get("segment_type") == 1)
                 for s in (attrs.get(2) or {}).get("as_paths", []) or [])
    nh = (attrs.get(14) or {}).get("nexthop") or (attrs.get(3) or {}).get("nexthop")
    comms = frozenset((c >> 16, c & 0xFFFF) for c in (attrs.get(8) or {}).get("communities", []))
    large = frozenset((v["ASN"], v["LocalData1"], v["LocalData2"]) for v in (attrs.get(32) or {}).get("value", []))
    ext = frozenset(_gobgp_ext(attrs.get(16)))
    extra = [("best", str(bool(path.get("best"))).lower())]
    if path.get("filtered"):
        extra.append(("filtered", "true"))
    nh_addr = _addr(nh)
    return Route(
        prefix=ipaddress.ip_network(prefix, strict=False),
        next_hop=nh_addr if nh_addr is not None and not nh_addr.is_unspecified else None,
        as_path=AsPath(segs),
        communities=comms,
        large_communities=large,
        ext_communities=ext,
        local_pref=(attrs.get(5) or {}).get("value"),
        med=(attrs.get(4) or {}).get("metric"),
        origin=_origin((attrs.get(1) or {}).get("value", 0)),
        peer=_addr(path.get("neighbor-ip")),
        atomic_aggregate=6 in attrs,
        extra=tuple(extra),
    )


def _gobgp_ext(attr: dict[str, Any] | None) -> Iterator[ExtCommunity]:
    for v in (attr or {}).get("value", []):
        kind = {2: "rt", 3: "ro"}.get(v.get("subtype"), f"type{v.get('type')}.{v.get('subtype')}")
        text = str(v.get("value", ""))
        admin, _, val = text.rpartition(":")
        ec = parse_ext_community(kind, admin, val)
        if ec:
            yield ec


def gobgp_rib_routes(obj: Any) -> list[Route]:
    """{prefix: [path, ...]} (gobgp -j) → Routes."""
    if not obj:
        return []
    return [gobgp_path_route(prefix, p) for prefix, paths in obj.items() for p in paths]


# --- OSPF routing tables ---------------------------------------------------------------------
# One row per OSPF route: {"prefix", "kind" (intra|inter|ext1|ext2|?), "metric", "metric2", "nexthops"},
# next hops as "ADDRESS@IF", "direct@IF" or "link-local@IF" (IPv6 link-local addresses are per run).


def _nh_text(gw: str | None, ifname: str | None) -> str:
    if not gw or not gw.strip():
        return f"direct@{ifname or '?'}"
    if gw.lower().startswith("fe80:"):
        return f"link-local@{ifname or '?'}"
    return f"{gw}@{ifname or '?'}"


def frr_ospf_rows(rib: Any) -> list[dict[str, Any]]:
    """The OSPF (ospfd, ospf6d) entries of `show ip[v6] route json`: the routes OSPF gave zebra,
    selected or not (a connected network is an OSPF route too). FRR's zebra metric is the cost,
    or the type-2 metric of a type-2 external route."""
    rows = []
    for prefix, entries in sorted((rib or {}).items()):
        for e in entries if isinstance(entries, list) else []:
            if e.get("protocol") not in ("ospf", "ospf6"):
                continue
            hops = sorted({_nh_text(n.get("ip"), n.get("interfaceName")) for n in e.get("nexthops", [])
                           if n.get("active", True)})
            rows.append({"prefix": str(ipaddress.ip_network(prefix, strict=False)), "kind": "?",
                         "metric": e.get("metric"), "metric2": None, "nexthops": hops})
    return rows


_BIRD_OSPF = re.compile(r"^(?P<net>\S+)?\s+unicast\s+\[(?P<proto>\S+)\s[^\]]*\]\s*[*!]?\s*"
                        r"(?P<kind>I|IA|E1|E2)\s+\((?P<pref>\d+)/(?P<m1>\d+)(?:/(?P<m2>\d+))?\)")
_BIRD_KINDS = {"I": "intra", "IA": "inter", "E1": "ext1", "E2": "ext2"}


def bird_ospf_rows(text: str) -> list[dict[str, Any]]:
    """`birdc show route protocol P` (or `show route`): the OSPF routes with their metrics and
    every next hop (ECMP routes list one `via` line per next hop). Only the OSPF protocol's own
    routes (`I`, `IA`, `E1`, `E2`) are kept."""
    rows: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    net = ""
    for line in strip_birdc_banner(text).splitlines():
        if not line.strip() or line.startswith("Table "):
            continue
        m = _BIRD_OSPF.match(line)
        if m and not line.startswith("\t"):
            net = m.group("net") or net
            cur = {"prefix": str(ipaddress.ip_network(net, strict=False)), "kind": _BIRD_KINDS[m.group("kind")],
                   "metric": int(m.group("m1")), "metric2": int(m.group("m2")) if m.group("m2") else None,
                   "nexthops": [], "protocol": m.group("proto")}
            rows.append(cur)
            hop = re.search(r"\b(?:via\s+(\S+)\s+on\s+(\S+)|dev\s+(\S+))", line[m.end():])
            if hop:
                cur["nexthops"].append(_nh_text(hop.group(1), hop.group(2) or hop.group(3)))
            continue
        if not line[0].isspace():
            net_m = re.match(r"^(\S+)\s", line)
            if net_m and "/" in net_m.group(1):
                net = net_m.group(1)
            cur = None
            continue
        if cur is None:
            continue
        body = line.strip()
        via = re.match(r"via\s+(\S+)\s+on\s+(\S+)", body)
        dev = re.match(r"dev\s+(\S+)", body)
        if via:
            cur["nexthops"].append(_nh_text(via.group(1), via.group(2)))
        elif dev:
            cur["nexthops"].append(_nh_text(None, dev.group(1)))
    for r in rows:
        r["nexthops"] = sorted(set(r["nexthops"]))
    return rows
