"""`podpath report SNAPSHOT -o report.html`: one self-contained HTML file (inline CSS and SVG, no script
from elsewhere, nothing fetched) to look at and to attach to a ticket or a CI run: a topology picture —
routers in a top row, L2 segments as bands, nodes below, every BGP session coloured established / down /
unknown, and a mark where each pod route is lost — then the findings (with their verified diffs), what was
not checked, and the summary.

Why computed here and not by a JavaScript layout library: the picture must be the same bytes for the same
snapshot (it is diffed and archived), and must open offline. The layout is a fixed set of rows whose column
order is sorted (segments by name, routers by where their nodes are), so it is deterministic and linear in
the number of hosts; above `MAX_NODES` nodes, nodes that look alike in the picture (same segments, same
sessions to the same routers in the same states, same losses) are drawn as one box with a count.

Every text goes through the snapshot's redaction (podpath.redact) before it reaches the template, which
escapes it (Jinja2 autoescape): a host or route-map name cannot inject markup.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from podpath import __version__
from podpath.checks import Report
from podpath.snapshot import Snapshot

MAX_NODES = 40  # above this many nodes, alike nodes are drawn as one box with a count
MAX_TABLE_ROWS = 400  # rows of a table before the rest is summarised (the file stays small)
MAX_ITEMS = 40  # a finding's locations and evidence shown (`check --format json` has them all)
MAX_LINES = 200  # lines of a fix's snippet or diff shown
STATE_COLOUR = {"established": "#1a9641", "down": "#d7191c", "unknown": "#f0a202"}
LOST_COLOUR = "#7b3294"  # where a pod route is lost (not a session colour: the picture tells them apart)

BOX_W = 150
ROUTER_H = 52
NODE_H = 58
MIN_WIDTH = 720  # the legend's room
GAP = 14
MARGIN = 24
LANE_H = 22
ARC_ROOM = 70


@lru_cache(maxsize=1 << 16)
def _natural(name: str) -> tuple[Any, ...]:
    """node2 before node10: the order a person reads host names in (cached: sorting every lost route's
    sources asks for the same few thousand names again and again)."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _short(text: str, n: int = 22) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


@dataclass
class _Box:
    """One box of the picture: a host, a group of alike nodes, or a peer outside the snapshot."""

    key: str
    kind: str  # router | node | outside
    members: list[str]
    x: float = 0.0
    y: float = 0.0
    h: float = NODE_H
    segments: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # "prefix (node): why" lost at this box
    self_sessions: list[tuple[str, int, str]] = field(default_factory=list)  # (state, count, ids): both ends here

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2


def build(snap: Snapshot, report: Report) -> dict[str, Any]:
    """The report as a JSON-able document (redacted): what the template renders."""
    from podpath.report import check_document, redact_text

    doc = check_document(snap, report)  # findings, summary, not checked: redacted as JSON prints them
    res = snap.simulate() if snap.has_control_plane else None
    sessions = _sessions(snap, res)
    lost, unknown_pairs = _lost(snap, res)
    topo = _layout(snap, res, sessions, lost)
    c = report.counts()
    summary = f"{c['error']} error(s), {c['warning']} warning(s), {c['info']} info" if report.findings else "no findings"
    if report.suppressed:
        summary += f" ({len(report.suppressed)} suppressed)"
    if report.not_checked:
        summary += f" in what was checked; {len(report.not_checked)} part(s) not checked"
    states = {s: sum(1 for x in sessions if x["state"] == s) for s in STATE_COLOUR}
    shown_sessions = sessions if len(sessions) <= MAX_TABLE_ROWS else [s for s in sessions if s["state"] != "established"]
    out = {
        "podpath": __version__,
        "snapshot": str(snap.root),
        "cilium": f"{snap.cilium.version.value} ({snap.cilium.version.loc or 'assumed: no version stated'})",
        "summary": summary,
        "counts": c,
        "complete": report.complete,
        "reachability": doc["reachability"],
        "unsupported": len(doc["unsupported"]),
        "findings": doc["findings"],
        "suppressed": doc["suppressed"],
        "not_checked": [redact_text(snap, n.render()) for n in report.not_checked],
        "sessions": shown_sessions[:MAX_TABLE_ROWS],
        "sessions_left_out": len(sessions) - len(shown_sessions[:MAX_TABLE_ROWS]),
        "session_states": states,
        "simulated": res is not None,
        "lost": lost[:MAX_TABLE_ROWS],
        "lost_left_out": max(0, len(lost) - MAX_TABLE_ROWS),
        "unknown_pairs": unknown_pairs,
        "topology": topo,
        "colours": {**STATE_COLOUR, "lost": LOST_COLOUR},
        "max_items": MAX_ITEMS, "max_lines": MAX_LINES,
    }
    return snap.secrets.doc(out)  # type: ignore[no-any-return]


def render(snap: Snapshot, report: Report) -> str:
    """The HTML text of the report (deterministic: the same snapshot gives the same bytes)."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["clip"] = _clip
    env.filters["split_lines"] = str.splitlines
    return env.from_string(TEMPLATE).render(r=build(snap, report))


def _clip(text: str, lines: int) -> str:
    """The first `lines` lines of a snippet, and how many were left out (a fix for 1,000 nodes can be long)."""
    parts = text.splitlines()
    if len(parts) <= lines:
        return text
    return "\n".join(parts[:lines]) + f"\n\u2026 and {len(parts) - lines} more lines (`podpath check --format json` has them all)\n"


# ------------------------------------------------------------------------------------------------ data


def _peer_host(snap: Snapshot, s: Any) -> str | None:
    """The host at the other end: the speaker that accepts us, else whoever owns the peer address."""
    if s.b is not None:
        return str(s.b.speaker.host)
    addr = s.a.remote_address
    if addr is None:
        return None
    return snap.control_plane().network.owner(addr, near=s.a.speaker.host)  # type: ignore[no-any-return]


def _sessions(snap: Snapshot, res: Any) -> list[dict[str, Any]]:
    if res is None:
        return []
    out = []
    for s in res.sessions:
        peer = _peer_host(snap, s)
        out.append({
            "id": s.id, "state": s.state, "reason": s.reason,
            "settle": s.settle if s.unknown else "",
            "a_host": s.a.speaker.host, "a_speaker": s.a.speaker.id,
            "b_host": peer, "b_speaker": s.b.speaker.id if s.b is not None else None,
            "remote": str(s.a.remote_address) if s.a.remote_address is not None else "",
            "location": str(s.a.peer.loc), "families": ", ".join(f"ipv{f}" for f in s.afs),
        })
    out.sort(key=lambda d: ({"down": 0, "unknown": 1, "established": 2}[d["state"]], d["id"]))
    return out


def _lost(snap: Snapshot, res: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every pod CIDR BGP002 reports as not routed, with where it is lost and why; and the node pairs it could
    not settle (unknown), by what they depend on."""
    cp = getattr(snap, "_control_plane", None)
    v = getattr(cp, "pair_verdicts", None)
    if v is None or res is None:
        return [], []
    lost = []
    for r in v.lost:
        stop, trace = r.stop, r.trace
        if stop is not None:
            sp = res.speakers.get(stop.speaker)
            at_host, at, why = (sp.host if sp is not None else stop.speaker), stop.speaker, stop.text
            loc = str(stop.loc) if stop.loc is not None else ""
        else:
            at_host = at = trace.stop or r.dst
            why, loc = trace.cause, ""
        if why.startswith(f"{at}: "):
            why = why[len(at) + 2:]
        lost.append({"family": f"IPv{r.family}", "prefix": str(r.prefix), "node": r.dst, "at_host": at_host,
                     "at": at, "why": why, "location": loc, "sources": len(r.sources),
                     "from": ", ".join(sorted(r.sources, key=_natural)[:8]) + (" \u2026" if len(r.sources) > 8 else ""),
                     "walk": trace.describe() or trace.cause})
    lost.sort(key=lambda d: (d["family"], _natural(d["node"]), d["prefix"]))
    unknown = []
    for cause in sorted(v.unknown):
        pairs = v.unknown[cause]
        unknown.append({"cause": cause, "pairs": len({(f, s, d) for f, s, d, _ in pairs}),
                        "settle": v.settle.get(cause, ""),
                        "example": ", ".join(f"{s} \u2192 {p} ({d})" for _, s, d, p in pairs[:3])})
    return lost, unknown


# ---------------------------------------------------------------------------------------------- layout


def _layout(snap: Snapshot, res: Any, sessions: list[dict[str, Any]], lost: list[dict[str, Any]]) -> dict[str, Any]:
    cl = snap.cluster
    nodes = sorted(cl.nodes, key=_natural)
    node_set = set(nodes)
    hosts = set(cl.hosts) | node_set | ({sp.host for sp in res.speakers.values()} if res is not None else set())
    routers = sorted(hosts - node_set, key=_natural)
    seg_of: dict[str, list[str]] = defaultdict(list)
    segments = sorted(cl.segments.values(), key=lambda s: _natural(s.name))
    for seg in segments:
        for m in seg.members:
            seg_of[m].append(seg.name)
    speakers: dict[str, list[str]] = defaultdict(list)
    for sp in (res.speakers.values() if res is not None else ()):
        speakers[sp.host].append(f"{sp.daemon.value}{'@' + sp.vrf if sp.vrf != 'default' else ''} AS {sp.asn}")
    lost_at: dict[str, list[str]] = defaultdict(list)
    lost_dst: dict[str, int] = defaultdict(int)
    for r in lost:
        lost_at[r["at_host"]].append(f"{r['prefix']} ({r['node']}) lost at {r['at']}: {r['why']}")
        lost_dst[r["node"]] += 1

    # sessions per host: (peer key, state) -- a node's signature when alike nodes are grouped
    peer_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for s in sessions:
        a, b = s["a_host"], s["b_host"] or f"outside {s['remote']}"
        peer_of[a].append((b if b not in node_set else "node", s["state"]))
        if b != a:
            peer_of[b].append((a if a not in node_set else "node", s["state"]))

    group_of: dict[str, str] = {}
    boxes: dict[str, _Box] = {}
    grouped = len(nodes) > MAX_NODES
    if grouped:
        sig: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        for n in nodes:
            sig[(tuple(seg_of[n]), tuple(sorted(peer_of[n])), n in lost_at, n in lost_dst)].append(n)
        for members in sig.values():
            key = "group:" + members[0]
            boxes[key] = _Box(key, "node", members, segments=list(seg_of[members[0]]))
            for m in members:
                group_of[m] = key
    else:
        for n in nodes:
            boxes[n] = _Box(n, "node", [n], segments=list(seg_of[n]))
            group_of[n] = n
    for r in routers:
        boxes[r] = _Box(r, "router", [r], h=ROUTER_H, segments=list(seg_of[r]))
        group_of[r] = r
    for s in sessions:
        if s["b_host"] is None:
            key = f"outside:{s['remote']}"
            if key not in boxes:
                boxes[key] = _Box(key, "outside", [s["remote"] or "?"], h=ROUTER_H)
            group_of[key] = key
    for host, items in lost_at.items():
        if host in group_of:
            boxes[group_of[host]].lost += items

    # columns: nodes by their first segment then name; routers by the mean column of the nodes they share a
    # segment or a session with (ties and loners by name); peers outside the snapshot last
    seg_rank = {s.name: i for i, s in enumerate(segments)}
    node_boxes = sorted((b for b in boxes.values() if b.kind == "node"),
                        key=lambda b: (min((seg_rank[s] for s in b.segments), default=len(seg_rank)),
                                       _natural(b.members[0])))
    for i, b in enumerate(node_boxes):
        b.x = i * (BOX_W + GAP)
    pos = {m: b.x for b in node_boxes for m in b.members}
    near: dict[str, list[float]] = defaultdict(list)
    for seg in segments:
        xs = [pos[m] for m in seg.members if m in pos]
        for m in seg.members:
            if m not in pos and xs:
                near[m].append(sum(xs) / len(xs))
    for s in sessions:
        for a, b in ((s["a_host"], s["b_host"]), (s["b_host"], s["a_host"])):
            if a is not None and a not in pos and b in pos:
                near[a].append(pos[b])
    top = [boxes[r] for r in routers]
    top.sort(key=lambda b: ((sum(near[b.key]) / len(near[b.key])) if near[b.key] else float("inf"), _natural(b.key)))
    top += sorted((b for b in boxes.values() if b.kind == "outside"), key=lambda b: _natural(b.key))
    for i, b in enumerate(top):
        b.x = i * (BOX_W + GAP)
    row_w = [len(node_boxes) * (BOX_W + GAP) - GAP, len(top) * (BOX_W + GAP) - GAP]
    width = max(row_w + [MIN_WIDTH - 2 * MARGIN]) + 2 * MARGIN
    for row, w in ((node_boxes, row_w[0]), (top, row_w[1])):
        shift = MARGIN + (width - 2 * MARGIN - w) / 2
        for b in row:
            b.x += shift

    box_of = {m: boxes[group_of[m]] for m in group_of}
    # one element per session; when alike nodes are grouped, one per (box, box, state) with a count
    pairs: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    selfs: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in sessions:
        a = box_of[s["a_host"]]
        b = box_of[s["b_host"]] if s["b_host"] is not None else boxes[f"outside:{s['remote']}"]
        one = "" if grouped else s["id"]
        if a is b:
            selfs[(a.key, s["state"], one)].append(s)
            continue
        ka, kb = sorted((a.key, b.key))
        pairs[(ka, kb, s["state"], one)].append(s)
    order = list(STATE_COLOUR)
    for (k, state, _), group in sorted(selfs.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]), kv[0][2])):
        boxes[k].self_sessions.append((state, len(group), " ".join(x["id"] for x in group[:20])))
    arcs_top = any(boxes[k[0]].kind != "node" and boxes[k[1]].kind != "node" for k in pairs)
    arcs_bottom = any(boxes[k[0]].kind == "node" and boxes[k[1]].kind == "node" for k in pairs)

    # rows: [arcs] routers, segment lanes, nodes [arcs]
    y = MARGIN + 22 + (ARC_ROOM if arcs_top else 0)  # 22: the legend
    for b in top:
        b.y = y
    y += ROUTER_H + 24 if top else 0
    xs_of = {k: b.cx for k, b in boxes.items()}
    bands = []
    lanes: list[float] = []  # right end of each lane
    for seg in segments:
        xs = sorted({box_of[m].cx for m in seg.members if m in box_of})
        if not xs:
            xs = [width / 2]
        x0, x1 = xs[0] - BOX_W / 2 + 6, xs[-1] + BOX_W / 2 - 6
        lane = next((i for i, end in enumerate(lanes) if end + 10 < x0), None)
        if lane is None:
            lanes.append(x1)
            lane = len(lanes) - 1
        else:
            lanes[lane] = x1
        prefixes = ", ".join(str(p.value) for p in seg.prefixes)
        bands.append({"name": seg.name, "lane": lane, "x": x0, "w": x1 - x0, "prefixes": prefixes,
                      "label": _short(f"{seg.name} {prefixes}", max(8, int((x1 - x0) / 6.4))),
                      "title": f"segment {seg.name}: {prefixes or 'no prefix stated'}; "
                               f"{len(seg.members)} host(s){' (inferred from addresses)' if seg.inferred else ''}",
                      "members": sorted({box_of[m].key for m in seg.members if m in box_of})})
    lane_y0 = y
    y += len(lanes) * LANE_H + (24 if lanes else 0)
    for b in node_boxes:
        b.y = y
    height = y + (NODE_H if node_boxes else 0) + (ARC_ROOM if arcs_bottom else 0) + MARGIN
    for band in bands:
        band["y"] = lane_y0 + band["lane"] * LANE_H
    attach = []
    for band in bands:
        for k in band["members"]:
            b = boxes[k]
            by = band["y"] + 7
            y0 = b.y + b.h if b.kind != "node" else b.y
            attach.append({"x": round(b.cx, 1), "y1": round(y0, 1), "y2": round(by, 1)})
    del xs_of

    drawn = []
    parallel: dict[tuple[str, str], int] = defaultdict(int)
    for (ka, kb, state, _), group in sorted(pairs.items(), key=lambda kv: (kv[0][0], kv[0][1], order.index(kv[0][2]),
                                                                          kv[0][3])):
        a, b = boxes[ka], boxes[kb]
        k = parallel[(ka, kb)]
        parallel[(ka, kb)] += 1
        off = 7 * k
        if a.kind == "node" and b.kind == "node":  # below the node row
            y0 = a.y + a.h
            h = min(ARC_ROOM - 8, 18 + abs(a.cx - b.cx) / 8) + off
            d = f"M {a.cx + off:.1f} {y0:.1f} C {a.cx + off:.1f} {y0 + h:.1f}, {b.cx + off:.1f} {y0 + h:.1f}, {b.cx + off:.1f} {y0:.1f}"
        elif a.kind != "node" and b.kind != "node":  # above the router row
            y0 = a.y
            h = min(ARC_ROOM - 8, 18 + abs(a.cx - b.cx) / 8) + off
            d = f"M {a.cx + off:.1f} {y0:.1f} C {a.cx + off:.1f} {y0 - h:.1f}, {b.cx + off:.1f} {y0 - h:.1f}, {b.cx + off:.1f} {y0:.1f}"
        else:
            r, n = (a, b) if a.kind != "node" else (b, a)
            y1, y2 = r.y + r.h, n.y
            mid = (y1 + y2) / 2
            d = f"M {r.cx + off:.1f} {y1:.1f} C {r.cx + off:.1f} {mid:.1f}, {n.cx + off:.1f} {mid:.1f}, {n.cx + off:.1f} {y2:.1f}"
        title = [f"{len(group)} session(s) {state}"] + [
            f"{s['id']}{': ' + s['reason'] if s['reason'] else ''}" for s in group[:8]]
        if len(group) > 8:
            title.append(f"\u2026 and {len(group) - 8} more")
        drawn.append({"d": d, "state": state, "colour": STATE_COLOUR[state], "count": len(group),
                      "width": 2.5 if len(group) == 1 else min(8.0, 2.5 + len(group) ** 0.5),
                      "ids": " ".join(s["id"] for s in group[:20]), "title": "\n".join(title)})

    host_items = []
    for b in sorted(boxes.values(), key=lambda b: (b.y, b.x)):
        host_items.append(_box_json(snap, b, speakers, lost_dst))
    return {"width": round(width), "height": round(height), "grouped": grouped, "hosts": host_items,
            "bands": bands, "attach": attach, "sessions": drawn, "node_count": len(nodes),
            "router_count": len(routers)}


def _box_json(snap: Snapshot, b: _Box, speakers: dict[str, list[str]], lost_dst: dict[str, int]) -> dict[str, Any]:
    cl = snap.cluster
    first = b.members[0]
    lines = []
    title = []
    if b.kind == "outside":
        name = f"peer {first}"
        lines.append("outside the snapshot")
        title.append(f"{first}: a BGP peer address no host of the snapshot has")
    elif len(b.members) > 1:
        last = sorted(b.members, key=_natural)[-1]
        name = f"{first} \u2026 {last}"
        lines.append(f"\u00d7{len(b.members)} alike nodes")
        title.append(f"{len(b.members)} nodes drawn as one (same segments, sessions and losses): "
                     + ", ".join(sorted(b.members, key=_natural)[:30]) + (" \u2026" if len(b.members) > 30 else ""))
    else:
        name = first
        title.append(f"{first} ({'Kubernetes node' if b.kind == 'node' else 'router'})")
    node = cl.nodes.get(first)
    if b.kind == "node" and node is not None:
        cidrs = [str(c.value) for c in node.pod_cidrs]
        if len(b.members) == 1:
            lines.append(cidrs[0] + (f" +{len(cidrs) - 1}" if len(cidrs) > 1 else "") if cidrs else "no pod CIDR")
            title.append("pod CIDRs: " + (", ".join(cidrs) or "none"))
    elif b.kind == "router":
        lines.append(", ".join(sorted(set(x.split(" AS ")[0] for x in speakers.get(first, [])))) or "no BGP")
    host = cl.hosts.get(first)
    if host is not None and len(b.members) == 1:
        addrs = [f"{i.name} {a.value}" for i in sorted(host.interfaces.values(), key=lambda i: i.name) for a in i.addresses]
        if addrs:
            title.append("addresses: " + ", ".join(addrs[:8]) + (" \u2026" if len(addrs) > 8 else ""))
    if b.segments:
        title.append("segments: " + ", ".join(b.segments))
    if speakers.get(first):
        title.append("BGP: " + ", ".join(sorted(speakers[first])))
    for state, n, ids in b.self_sessions:
        title.append(f"{n} session(s) {state} on the host itself: {ids}")
    dst_lost = sum(lost_dst.get(m, 0) for m in b.members)
    if dst_lost:
        title.append(f"{dst_lost} pod CIDR(s) of {'these nodes' if len(b.members) > 1 else 'this node'} not routed "
                     "on other nodes")
    if b.lost:
        title += [f"{len(b.lost)} pod route(s) lost here:"] + b.lost[:8] + ([f"\u2026 and {len(b.lost) - 8} more"]
                                                                          if len(b.lost) > 8 else [])
    selfs = [{"state": s, "colour": STATE_COLOUR[s], "count": n, "ids": ids,
              "cx": round(b.x + BOX_W - 10 - 14 * (i % 6), 1), "cy": round(b.y + 10 + 14 * (i // 6), 1)}
             for i, (s, n, ids) in enumerate(b.self_sessions[:18])]
    return {"key": b.key, "kind": b.kind, "name": first if len(b.members) == 1 else name,
            "label": _short(name, int((BOX_W - 14 - 14 * min(len(selfs), 6)) / 6.7)), "lines": [_short(x, 24) for x in lines], "count": len(b.members),
            "x": round(b.x, 1), "y": round(b.y, 1), "w": BOX_W, "h": b.h, "title": "\n".join(title),
            "lost": len(b.lost), "dst_lost": dst_lost, "self": selfs}


TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="podpath {{ r.podpath }}">
<title>podpath report: {{ r.snapshot }}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 24px 40px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 16px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
.meta { color: #555; } code, .mono, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
.topo { overflow: auto; border: 1px solid #ddd; background: #fcfcfc; max-height: 80vh; }
.topo svg { display: block; }
svg text { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 11px; fill: #222; }
svg .host rect.box { fill: #fff; stroke: #555; stroke-width: 1.2; }
svg .host.router rect.box { fill: #eef3fb; }
svg .host.outside rect.box { fill: #f6f6f6; stroke-dasharray: 4 3; }
svg .band rect { fill: #dfe7ef; stroke: #9fb3c8; }
svg .attach { stroke: #9fb3c8; stroke-width: 1; }
svg path.session { fill: none; opacity: .9; }
svg path.session.unknown { stroke-dasharray: 6 4; }
svg .session:hover, svg .host:hover rect.box { stroke-width: 4; }
svg .lost rect { fill: {{ r.colours.lost }}; } svg .lost text { fill: #fff; font-weight: bold; }
table { border-collapse: collapse; margin: 6px 0; } th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } .state { font-weight: bold; }
.finding { border-left: 5px solid #999; padding: 6px 12px; margin: 12px 0; background: #fafafa; }
.finding.error { border-color: #a50026; } .finding.warning { border-color: #e08214; } .finding.info { border-color: #2166ac; }
.sev { font-weight: bold; text-transform: uppercase; font-size: 12px; }
.sev.error { color: #a50026; } .sev.warning { color: #b35806; } .sev.info { color: #2166ac; }
pre { background: #f4f4f4; padding: 6px 8px; overflow: auto; }
pre .add { color: #1b7837; } pre .del { color: #b2182b; } pre .hunk { color: #777; }
.verified { font-weight: bold; } .muted { color: #666; }
</style>
</head>
<body>
<h1>podpath report</h1>
<div class="meta">snapshot <code>{{ r.snapshot }}</code> &middot; podpath {{ r.podpath }} &middot; Cilium {{ r.cilium }}</div>
<p id="summary-line"><strong>Summary:</strong> {{ r.summary }}.{% if not r.complete %} <span class="muted">(incomplete: see NOT CHECKED)</span>{% endif %}</p>

<h2 id="topology">Topology</h2>
{% set t = r.topology %}
{% if not t.hosts %}
<p class="muted">No hosts in the snapshot.</p>
{% else %}
<p class="muted">{{ t.router_count }} router(s) in the top row, L2 segments as bands, {{ t.node_count }} node(s) below{% if t.grouped %} (alike nodes drawn as one box with a count){% endif %}; sessions coloured by state{% if not r.simulated %} (no routing daemon in the snapshot: nothing simulated){% endif %}. Hover for details.</p>
<div class="topo">
<svg xmlns="http://www.w3.org/2000/svg" width="{{ t.width }}" height="{{ t.height }}" viewBox="0 0 {{ t.width }} {{ t.height }}" role="img" aria-label="topology">
<g class="legend">
{% set ns = namespace(x=24) %}
{% for state, n in r.session_states.items() if n %}
<rect class="swatch {{ state }}" x="{{ ns.x }}" y="14" width="22" height="10" fill="{{ r.colours[state] }}"/><text x="{{ ns.x + 28 }}" y="23">{{ state }} {{ n }}</text>
{% set ns.x = ns.x + 40 + (state|length + n|string|length) * 7 %}
{% endfor %}
{% if r.lost %}<rect x="{{ ns.x }}" y="12" width="16" height="14" rx="3" fill="{{ r.colours.lost }}"/><text x="{{ ns.x + 22 }}" y="23">pod routes lost here</text>{% endif %}
</g>
{% for a in t.attach %}
<line class="attach" x1="{{ a.x }}" y1="{{ a.y1 }}" x2="{{ a.x }}" y2="{{ a.y2 }}"/>
{% endfor %}
{% for b in t.bands %}
<g class="band" data-name="{{ b.name }}"><title>{{ b.title }}</title><rect x="{{ b.x|round(1) }}" y="{{ b.y }}" width="{{ b.w|round(1) }}" height="14" rx="3"/><text x="{{ (b.x + 4)|round(1) }}" y="{{ b.y + 11 }}">{{ b.label }}</text></g>
{% endfor %}
{% for s in t.sessions %}
<path class="session {{ s.state }}" data-state="{{ s.state }}" data-count="{{ s.count }}" data-ids="{{ s.ids }}" d="{{ s.d }}" stroke="{{ s.colour }}" stroke-width="{{ s.width|round(1) }}"><title>{{ s.title }}</title></path>
{% endfor %}
{% for h in t.hosts %}
<g class="host {{ h.kind }}" data-name="{{ h.name }}" data-count="{{ h.count }}"><title>{{ h.title }}</title>
<rect class="box" x="{{ h.x }}" y="{{ h.y }}" width="{{ h.w }}" height="{{ h.h }}" rx="5"/>
<text x="{{ h.x + 7 }}" y="{{ h.y + 16 }}" font-weight="bold">{{ h.label }}</text>
{% for line in h.lines %}<text x="{{ h.x + 7 }}" y="{{ h.y + 30 + 13 * loop.index0 }}"{% if h.dst_lost and loop.first and h.kind == 'node' %} class="dst-lost" style="fill: {{ r.colours.lost }}"{% endif %}>{{ line }}</text>
{% endfor %}
{% for c in h.self %}<circle class="session {{ c.state }} self" data-state="{{ c.state }}" data-count="{{ c.count }}" data-ids="{{ c.ids }}" cx="{{ c.cx }}" cy="{{ c.cy }}" r="5" fill="{{ c.colour }}"><title>{{ c.count }} session(s) {{ c.state }} on the host itself: {{ c.ids }}</title></circle>
{% endfor %}
{% if h.lost %}<g class="lost"><rect x="{{ h.x + h.w - 34 }}" y="{{ h.y + h.h - 17 }}" width="30" height="14" rx="3"/><text x="{{ h.x + h.w - 31 }}" y="{{ h.y + h.h - 6 }}">&#x2715;{{ h.lost }}</text></g>{% endif %}
</g>
{% endfor %}
</svg>
</div>
{% endif %}

<h2 id="findings">Findings ({{ r.findings|length }})</h2>
{% for f in r.findings %}
<div class="finding {{ f.severity }}" id="{{ f.id }}">
<div><span class="sev {{ f.severity }}">{{ f.severity }}</span> <strong>{{ f.rule }}</strong> {{ f.name }} <span class="muted">[{{ f.subject }}]</span></div>
<p>{{ f.message }}</p>
{% if f.locations %}<div>at {% for l in f.locations[:r.max_items] %}<code>{{ l.file }}{% if l.line %}:{{ l.line }}{% if l.col %}:{{ l.col }}{% endif %}{% endif %}</code>{% if not loop.last %}, {% endif %}{% endfor %}{% if f.locations|length > r.max_items %} &hellip; and {{ f.locations|length - r.max_items }} more{% endif %}</div>{% endif %}
{% if f.evidence %}<div>evidence:<ul>{% for e in f.evidence[:r.max_items] %}<li class="mono">{{ e }}</li>{% endfor %}{% if f.evidence|length > r.max_items %}<li>&hellip; and {{ f.evidence|length - r.max_items }} more</li>{% endif %}</ul></div>{% endif %}
{% if f.fix %}
<div><strong>fix:</strong> {{ f.fix.description }}</div>
{% if f.fix.yaml %}<div>{% if f.fix.file %}in <code>{{ f.fix.file }}</code>:{% endif %}<pre>{{ f.fix.yaml|clip(r.max_lines) }}</pre></div>{% endif %}
{% if f.fix.diff %}<pre class="diff">{% for line in f.fix.diff|clip(r.max_lines)|trim("\n")|split_lines %}{% if line.startswith('+') and not line.startswith('+++') %}<span class="add">{{ line }}</span>{% elif line.startswith('-') and not line.startswith('---') %}<span class="del">{{ line }}</span>{% elif line.startswith('@@') %}<span class="hunk">{{ line }}</span>{% else %}{{ line }}{% endif %}{{ "\n" }}
{% endfor %}</pre>{% endif %}
{% if f.fix.verified %}<div class="verified">{{ f.fix.verified }}</div>{% endif %}
{% endif %}
</div>
{% else %}
<p>No findings.</p>
{% endfor %}

<h2 id="pod-routes">Where pod routes are lost ({{ r.lost|length + r.lost_left_out }})</h2>
{% if not r.simulated %}<p class="muted">Not simulated: no routing daemon in the snapshot.</p>
{% elif not r.lost %}<p>Every pod CIDR that needs a BGP route reaches every other node (or is listed below as unknown).</p>
{% else %}
<table><tr><th>family</th><th>pod CIDR</th><th>node</th><th>lost at</th><th>why</th><th>where</th><th>not reachable from</th><th>packet</th></tr>
{% for l in r.lost %}<tr><td>{{ l.family }}</td><td class="mono">{{ l.prefix }}</td><td>{{ l.node }}</td><td>{{ l.at }}</td><td>{{ l.why }}</td><td class="mono">{{ l.location }}</td><td>{{ l.sources }}: {{ l.from }}</td><td class="mono">{{ l.walk }}</td></tr>
{% endfor %}</table>
{% if r.lost_left_out %}<p class="muted">&hellip; and {{ r.lost_left_out }} more (<code>podpath check --format json</code> lists them).</p>{% endif %}
{% endif %}
{% if r.unknown_pairs %}
<p>Node pairs podpath cannot settle (unknown, not errors):</p>
<table><tr><th>depends on</th><th>node pairs</th><th>would settle it</th><th>for example</th></tr>
{% for u in r.unknown_pairs %}<tr><td>{{ u.cause }}</td><td>{{ u.pairs }}</td><td>{{ u.settle }}</td><td class="mono">{{ u.example }}</td></tr>
{% endfor %}</table>
{% endif %}

<h2 id="sessions">BGP sessions ({% for state, n in r.session_states.items() %}{{ n }} {{ state }}{% if not loop.last %}, {% endif %}{% endfor %})</h2>
{% if r.sessions %}
<table><tr><th>state</th><th>session</th><th>families</th><th>reason</th><th>configured at</th></tr>
{% for s in r.sessions %}<tr class="{{ s.state }}"><td class="state" style="color: {{ r.colours[s.state] }}">{{ s.state }}</td><td class="mono">{{ s.id }}</td><td>{{ s.families }}</td><td>{{ s.reason }}{% if s.settle %} <span class="muted">(would settle it: {{ s.settle }})</span>{% endif %}</td><td class="mono">{{ s.location }}</td></tr>
{% endfor %}</table>
{% elif not r.sessions_left_out %}<p class="muted">No BGP session configured.</p>{% endif %}
{% if r.sessions_left_out %}<p class="muted">{{ r.sessions_left_out }} established session(s) not listed (<code>podpath sessions</code> lists every one).</p>{% endif %}

<h2 id="not-checked">NOT CHECKED ({{ r.not_checked|length }})</h2>
{% if r.not_checked %}<ul>{% for n in r.not_checked %}<li>{{ n }}</li>{% endfor %}</ul>{% else %}<p>Everything that applies was checked.</p>{% endif %}
{% if r.suppressed %}
<h2 id="suppressed">Suppressed ({{ r.suppressed|length }})</h2>
<ul>{% for s in r.suppressed %}<li><code>{{ s.id }}</code>: {{ s.suppression.reason }}</li>{% endfor %}</ul>
{% endif %}

<h2 id="summary">Summary</h2>
<p>{{ r.summary }}.</p>
<ul>
{% for fam, c in (r.reachability or {}).items() %}<li>{{ fam|replace('ipv', 'IPv') }} pod routes: {{ c.verified }} node pair(s) verified, {{ c.broken }} broken, {{ c.unknown }} unknown.</li>
{% endfor %}
<li>BGP sessions: {% for state, n in r.session_states.items() %}{{ n }} {{ state }}{% if not loop.last %}, {% endif %}{% endfor %}.</li>
{% if r.unsupported %}<li>Results may be incomplete: {{ r.unsupported }} statement(s) that may affect routes are not modelled (<code>podpath show</code> lists them).</li>{% endif %}
</ul>
</body>
</html>
"""
