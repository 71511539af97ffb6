"""Kernel route dumps: `ip [-4|-6] route [show table all]`, `ip -j route`,
`talosctl get routes` (table and `-o yaml`)."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from podpath.diagnostics import Diagnostics, Loc
from podpath.model.cluster import KernelRoute
from podpath.routing.route import IPAddress, IPNetwork
from podpath.util import is_digits

_ROUTE_TYPES = {"unicast", "local", "broadcast", "multicast", "throw", "unreachable", "prohibit", "blackhole", "nat", "anycast"}
_KEYWORDS_WITH_ARG = {"via", "dev", "proto", "scope", "src", "metric", "table", "mtu", "pref", "expires",
                      "advmss", "hoplimit", "initcwnd", "initrwnd", "realm", "weight", "onlink_dummy", "rto_min",
                      "from", "tos", "dsfield", "features", "quickack", "congctl", "nhid", "encap", "window",
                      "rtt", "rttvar", "ssthresh", "cwnd", "reordering", "fastopen_no_cookie", "as", "preference", "priority"}
_TOKEN_RE = re.compile(r"\S+")
_ROUTE_START = re.compile(
    r"^(?:(?:unicast|local|broadcast|multicast|throw|unreachable|prohibit|blackhole|anycast)\s+)?"
    r"(?:default|[0-9a-fA-F:.]+(?:/\d+)?)(?:\s|$)")


_DEV_OR_VIA = re.compile(r"\b(dev|via)\b")


def looks_like_ip_route(text: str) -> bool:
    """Every meaningful line is a route (`ip route` syntax) or a `nexthop` continuation, and one names a
    `dev` or `via`. Stops at the first line that is neither: most files are not route dumps."""
    has_kw = False
    seen = False
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if line[0].isspace():
            if not s.startswith("nexthop"):
                return False
        elif not _ROUTE_START.match(line):
            return False
        seen = True
        if not has_kw and _DEV_OR_VIA.search(line):
            has_kw = True
    return seen and has_kw


def _dst(raw: str, family_hint: int | None) -> IPNetwork:
    if raw == "default":
        return ipaddress.ip_network("::/0" if family_hint == 6 else "0.0.0.0/0")
    return ipaddress.ip_network(raw, strict=False)


def parse_ip_route_text(text: str, file: str, diags: Diagnostics) -> list[KernelRoute]:
    routes: list[KernelRoute] = []
    pending: dict[str, Any] | None = None
    pending_loc: Loc | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            r = _build(pending, pending_loc, diags)
            if r is not None:
                routes.append(r)
        pending = None

    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        toks = _TOKEN_RE.findall(line)
        if line[0].isspace() and toks[0] == "nexthop" and pending is not None:
            leg = _parse_attrs(toks[1:], Loc(file, lineno, 1), diags)
            pending.setdefault("legs", []).append(leg)
            continue
        flush()
        pending_loc = Loc(file, lineno, 1)
        rtype = "unicast"
        if toks[0] in _ROUTE_TYPES:
            rtype = toks.pop(0)
        if not toks:
            diags.error(pending_loc, "expected a destination after the route type", line)
            continue
        pending = {"type": rtype, "dst": toks[0], "line": line}
        pending.update(_parse_attrs(toks[1:], pending_loc, diags))
    flush()
    return routes


def _parse_attrs(toks: list[str], loc: Loc, diags: Diagnostics) -> dict[str, Any]:
    out: dict[str, Any] = {}
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in _KEYWORDS_WITH_ARG and i + 1 < len(toks):
            out.setdefault(t, toks[i + 1])
            i += 2
        else:
            out.setdefault("flags", []).append(t)
            i += 1
    return out


def _addr(raw: str | None) -> IPAddress | None:
    if raw is None:
        return None
    if raw.startswith("inet6 ") or raw.startswith("inet "):
        raw = raw.split()[1]
    try:
        return ipaddress.ip_address(raw)
    except ValueError:
        return None


def _build(p: dict[str, Any], loc: Loc | None, diags: Diagnostics) -> KernelRoute | None:
    via = _addr(p.get("via"))
    hint = via.version if via else (6 if ":" in str(p.get("src", "")) else None)
    try:
        dst = _dst(p["dst"], hint)
    except ValueError:
        col = (p["line"].find(p["dst"]) + 1) if "line" in p else 1
        diags.error(Loc(loc.file, loc.line, col) if loc else Loc("?"), f"route destination {p['dst']!r} is not a prefix",
                    p.get("line"))
        return None
    legs = tuple((_addr(l.get("via")), l.get("dev")) for l in p.get("legs", []))
    metric = p.get("metric") or p.get("preference") or p.get("priority")
    return KernelRoute(
        dst=dst, gateway=via, dev=p.get("dev"), protocol=p.get("proto"), scope=p.get("scope"),
        src=_addr(p.get("src")), metric=int(metric) if metric and is_digits(str(metric)) else None,
        table=str(p.get("table", "main")), type=p.get("type", "unicast"),
        mtu=int(p["mtu"]) if is_digits(str(p.get("mtu", ""))) else None, nexthops=legs, loc=loc)


def looks_like_ip_json(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(isinstance(x, dict) and "dst" in x for x in data)


def parse_ip_route_json(text: str, file: str, diags: Diagnostics) -> list[KernelRoute]:
    """`ip -j route` output. JSON has no line numbers per object; we locate each
    object by scanning for its opening brace so findings can still cite a line."""
    data = json.loads(text)
    starts = [m.start() for m in re.finditer(r"\{", text)]
    brace_lines = [text.count("\n", 0, s) + 1 for s in starts]
    routes: list[KernelRoute] = []
    depth_index = _top_level_object_lines(text)
    for i, obj in enumerate(data):
        line = depth_index[i] if i < len(depth_index) else (brace_lines[0] if brace_lines else 1)
        loc = Loc(file, line, 1)
        p: dict[str, Any] = {"dst": str(obj.get("dst")), "type": obj.get("type", "unicast")}
        for k_json, k in (("gateway", "via"), ("dev", "dev"), ("protocol", "proto"), ("scope", "scope"),
                          ("prefsrc", "src"), ("metric", "metric"), ("table", "table")):
            if obj.get(k_json) is not None:
                p[k] = str(obj[k_json])
        mtu = (obj.get("metrics") or [{}])[0].get("mtu") if isinstance(obj.get("metrics"), list) else None
        if mtu:
            p["mtu"] = str(mtu)
        legs = obj.get("nexthops") or []
        p["legs"] = [{"via": n.get("gateway"), "dev": n.get("dev")} for n in legs if isinstance(n, dict)]
        r = _build(p, loc, diags)
        if r is not None:
            routes.append(r)
    return routes


def _top_level_object_lines(text: str) -> list[int]:
    lines: list[int] = []
    depth = 0
    in_str = False
    esc = False
    line = 1
    for ch in text:
        if ch == "\n":
            line += 1
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "[{":
            if ch == "{" and depth == 1:
                lines.append(line)
            depth += 1
        elif ch in "]}":
            depth -= 1
    return lines


# --- talosctl -------------------------------------------------------------------------

_TALOS_HEADER = re.compile(r"^\s*NODE\s+NAMESPACE\s+TYPE\s+ID\s+VERSION\s+.*DESTINATION", re.I)


def looks_like_talosctl_routes(text: str) -> bool:
    first = next((l for l in text.splitlines() if l.strip()), "")
    return bool(_TALOS_HEADER.match(first))


def parse_talosctl_routes(text: str, file: str, diags: Diagnostics) -> tuple[list[KernelRoute], set[str]]:
    """Parse the table `talosctl get routes` prints. Returns routes and the NODE
    column values (the node's address, used to tell which host the dump is of)."""
    lines = text.splitlines()
    header_idx = next(i for i, l in enumerate(lines) if l.strip())
    header = lines[header_idx]
    cols = [(m.group(0).upper(), m.start()) for m in re.finditer(r"\S+", header)]
    names = [c[0] for c in cols]
    routes: list[KernelRoute] = []
    nodes: set[str] = set()
    for lineno in range(header_idx + 2, len(lines) + 1):
        line = lines[lineno - 1]
        if not line.strip():
            continue
        toks = line.split()
        # Empty columns (no gateway) make whitespace splitting ambiguous: cut by header positions.
        row: dict[str, str] = {}
        for ci, (name, start) in enumerate(cols):
            end = cols[ci + 1][1] if ci + 1 < len(cols) else len(line)
            row[name] = line[start:end].strip() if start < len(line) else ""
        if not row.get("DESTINATION") and len(toks) >= len(names):
            row = dict(zip(names, toks))
        loc = Loc(file, lineno, 1)
        if row.get("NODE"):
            nodes.add(row["NODE"])
        dst_raw = row.get("DESTINATION", "")
        gw_raw = row.get("GATEWAY") or None
        family = row.get("FAMILY", "")
        try:
            if not dst_raw:
                dst = ipaddress.ip_network("::/0" if "6" in family or (gw_raw and ":" in gw_raw) else "0.0.0.0/0")
            else:
                dst = ipaddress.ip_network(dst_raw, strict=False)
        except ValueError:
            diags.error(Loc(file, lineno, line.find(dst_raw) + 1), f"route destination {dst_raw!r} is not a prefix", line)
            continue
        metric = row.get("METRIC", "")
        routes.append(KernelRoute(dst=dst, gateway=_addr(gw_raw), dev=row.get("LINK") or None,
                                  metric=int(metric) if is_digits(metric) else None,
                                  table=row.get("TABLE", "main") or "main", loc=loc))
    return routes, nodes


def is_talos_route_resource(doc: Any) -> bool:
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    return isinstance(meta, dict) and str(meta.get("type", "")).startswith("RouteStatuses.net.talos")


def _text_or_none(value: Any) -> str | None:
    """A plain YAML value as text; None for null, mappings and lists (not a name a route can carry)."""
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def read_talos_route_resource(doc: Any, loc: Loc, diags: Diagnostics) -> tuple[KernelRoute | None, str | None]:
    spec = doc.get("spec") or {}
    if not isinstance(spec, dict):
        diags.error(loc, "a Talos RouteStatus spec must be a mapping")
        return None, None
    dst_raw = str(spec.get("dst") or "")
    fam = str(spec.get("family", ""))
    try:
        dst = ipaddress.ip_network(dst_raw, strict=False) if dst_raw else ipaddress.ip_network(
            "::/0" if fam == "inet6" else "0.0.0.0/0")
    except ValueError:
        diags.error(loc, f"route destination {dst_raw!r} is not a prefix")
        return None, None
    table = str(spec.get("table", "main"))
    rtype = str(spec.get("type", "unicast"))
    return KernelRoute(dst=dst, gateway=_addr(str(spec["gateway"])) if spec.get("gateway") else None,
                       dev=_text_or_none(spec.get("outLinkName")), protocol=_text_or_none(spec.get("protocol")),
                       scope=_text_or_none(spec.get("scope")),
                       src=_addr(str(spec["src"])) if spec.get("src") else None,
                       metric=int(spec["priority"]) if is_digits(str(spec.get("priority", ""))) else None,
                       table=table, type=rtype, loc=loc), (str(doc.get("node")) if doc.get("node") else None)


# --- routes as configuration (podpath.yaml, ifupdown `up ip route add ...`) ------------------------------

def parse_route_spec(text: str, loc: Loc, diags: Diagnostics, family: int | None = None,
                     protocol: str = "static") -> KernelRoute | None:
    """One route in `ip route` syntax ("default via 10.44.8.1", "10.9.0.0/16 via 10.0.0.254 dev eth0",
    "default via fe80::1 dev eth0"), as the host's configuration states it. `family` is the `-4`/`-6` of an
    `ip` command; without it a `default` takes the family of its gateway (IPv4 when it has none)."""
    toks = _TOKEN_RE.findall(text)
    rtype = "unicast"
    if toks and toks[0] in _ROUTE_TYPES:
        rtype = toks.pop(0)
    if not toks:
        diags.error(loc, f"expected a route such as \"default via 10.0.0.1\", got {text!r}")
        return None
    attrs = _parse_attrs(toks[1:], loc, diags)
    via_raw = attrs.get("via")
    via = None
    if via_raw is not None:
        if via_raw in ("inet", "inet6") and "flags" in attrs and attrs["flags"]:
            via_raw = attrs["flags"].pop(0)
        via = _addr(via_raw)
        if via is None:
            diags.error(loc, f"gateway {via_raw!r} is not an IP address")
            return None
    if "nexthop" in attrs.get("flags", []):
        diags.error(loc, "multipath (`nexthop`) routes are not supported here; give one route per gateway")
        return None
    unknown = [f for f in attrs.get("flags", []) if f not in ("onlink", "pervasive")]
    if unknown:
        diags.error(loc, f"unexpected {' '.join(unknown)!r} in route {text!r}")
        return None
    hint = family or (via.version if via is not None else None)
    try:
        dst = _dst(toks[0], hint)
    except ValueError:
        diags.error(loc, f"route destination {toks[0]!r} is not a prefix")
        return None
    if via is not None and via.version != dst.version:
        diags.error(loc, f"gateway {via} is not of the family of {dst}")
        return None
    if rtype == "unicast" and via is None and not attrs.get("dev"):
        diags.error(loc, f"route {text!r} has neither a gateway (`via`) nor a device (`dev`)")
        return None
    metric = attrs.get("metric") or attrs.get("preference") or attrs.get("priority")
    if metric is not None and not is_digits(str(metric)):
        diags.error(loc, f"metric {metric!r} is not a number")
        return None
    return KernelRoute(dst=dst, gateway=via, dev=attrs.get("dev"), protocol=attrs.get("proto") or protocol,
                       scope=attrs.get("scope"), src=_addr(attrs.get("src")),
                       metric=int(metric) if metric is not None else None, table=str(attrs.get("table", "main")),
                       type=rtype, loc=loc)


# Routes a routing daemon or Cilium installs: what the simulation computes, so a dump's copy is evidence.
_DYNAMIC_PROTOCOLS = {"bgp", "zebra", "bird", "ospf", "isis", "rip", "ripng", "babel", "eigrp", "nhrp", "openfabric",
                      "sharp", "pbr", "mrouted", "gated", "ntk", "dnrouted", "xorp", "openr", "keepalived"}
_CONFIGURED_PROTOCOLS = {"static", "boot", "dhcp", "ra"}


def configured_routes(routes: list[KernelRoute], computed: list[IPNetwork],
                      protocols_known: bool = True) -> list[KernelRoute]:
    """The routes of a dump that are facts of the host (default routes, `proto static|boot|dhcp|ra`,
    blackholes), not routes the simulation computes: routing daemons' (`proto bgp|zebra|bird|...`), Cilium's
    (cilium_host/cilium_net, pod CIDRs: `computed`), connected and local routes (the addresses give them).
    `ip route` omits `proto boot` (what `ip route add` sets); a dump that shows no protocols at all
    (`protocols_known` false: the `talosctl get routes` table) gives only its default routes."""
    out = []
    for r in routes:
        if r.table != "main" or r.type in ("local", "broadcast", "multicast", "anycast", "nat", "throw"):
            continue
        if not protocols_known and r.protocol is None and r.dst.prefixlen:
            continue  # which daemon installed it is not shown: only a default route is taken as configured
        proto = (r.protocol or "boot").lower()
        if proto in _DYNAMIC_PROTOCOLS or r.is_connected or (r.dev or "").startswith("cilium_"):
            continue
        if r.dst.is_link_local or r.dst.is_multicast or (r.gateway is None and r.dev == "lo" and r.type == "unicast"):
            continue
        if any(r.dst.version == c.version and r.dst.prefixlen and r.dst.subnet_of(c) for c in computed):  # type: ignore[arg-type]
            continue  # a pod CIDR route: Cilium's (autoDirectNodeRoutes) or a daemon's, simulated
        if proto == "kernel" and r.dst.prefixlen:
            continue  # kernel routes with a prefix are connected or Cilium's; only a kernel default counts
        if proto not in _CONFIGURED_PROTOCOLS and proto != "kernel":
            continue  # numeric or other protocols: not known to be configuration
        out.append(r)
    return out
