"""Text rendering for people: Rich tables for `podpath show`'s routers (neighbors, peer groups, route-maps,
prefix/community/AS-path lists, BIRD protocols and filters) and paragraphs that wrap to the terminal.

Wrapping follows the terminal's width (or `COLUMNS`); on a pipe without `COLUMNS` nothing is wrapped, so
grep and diff see whole lines. Words never break inside: an IPv6 address or a `file:line` is one word to
Rich's wrapper, and a table whose columns cannot hold their longest word at this width is printed as one
record per row instead (`name` then `column: value` lines) rather than folding an address mid-word.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Sequence

from rich.console import Console
from rich.text import Text


def route_text(r: Any) -> str:
    """'fd00:101:224::/64 large-community 4200001000:0:100 as-path "4210101011"' (the --route syntax of
    `podpath policy`; the SEC rules quote routes so too)."""
    parts = [str(r.prefix)]
    parts += [f"community {a}:{b}" for a, b in sorted(r.communities)]
    parts += [f"large-community {a}:{b}:{c}" for a, b, c in sorted(r.large_communities)]
    parts += [f"ext-community {e}" for e in sorted(r.ext_communities)]
    if r.as_path.segments:
        parts.append(f'as-path "{r.as_path}"')
    if r.next_hop is not None:
        parts.append(f"next-hop {r.next_hop}")
    if r.local_pref is not None:
        parts.append(f"local-pref {r.local_pref}")
    if r.med is not None:
        parts.append(f"med {r.med}")
    if r.origin.value != "igp":
        parts.append(f"origin {r.origin.value}")
    if r.source_name:
        parts.append(f"proto {r.source_name}")
    if r.protocol.value != "bgp":
        parts.append(f"(source {r.protocol.value})")
    return " ".join(parts)


def wraps() -> bool:
    """Whether text output wraps: stdout is a terminal, or COLUMNS says how wide to wrap."""
    return sys.stdout.isatty() or os.environ.get("COLUMNS", "").strip().isdigit()


def para(out: Console, text: str | Text, indent: int = 0, hang: int = 0, style: str | None = None) -> None:
    """One paragraph (plain text, not markup) at `indent`, continuation lines `hang` further in. A word never
    breaks: when the longest word does not fit beside the indentation, the indentation gives way first."""
    t = text if isinstance(text, Text) else Text(text, style=style or "")
    if not wraps():
        out.print(Text(" " * indent) + t, soft_wrap=True)
        return
    longest = max((len(w) for w in t.plain.split()), default=0)
    width = out.width
    indent = min(indent, max(0, width - longest))
    hang = min(hang, max(0, width - indent - longest))
    lines = t.wrap(out, max(1, width - indent - hang))
    for i, line in enumerate(lines):
        line.rstrip()
        out.print(Text(" " * (indent + (hang if i else 0))) + line, soft_wrap=True)

def table(out: Console, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], indent: int = 2) -> None:
    """A titled table; as records when its columns' longest words do not fit the width."""
    if not rows:
        return
    out.print(Text(" " * indent) + Text(title, style="bold"), soft_wrap=True)
    longest = [max([len(w) for r in rows for w in str(r[i]).split()] + [len(h)]) for i, h in enumerate(headers)]
    need = indent + sum(longest) + _GAP * (len(headers) - 1)
    if wraps() and need > out.width:
        for r in rows:
            para(out, Text(str(r[0]), style="bold"), indent + 2, 4)
            for h, v in zip(headers[1:], r[1:]):
                if str(v) not in ("", "-"):
                    para(out, f"{h}: {v}", indent + 6, 4)
        return
    from rich import box  # here: `check` paragraphs need no tables (rich.table pulls in fractions, decimal)
    from rich.padding import Padding
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="dim")
    widths = _widths(rows, headers, longest, out.width - indent) if wraps() else [None] * len(headers)
    for h, w in zip(headers, widths):
        t.add_column(h, width=w, overflow="fold")
    for r in rows:
        t.add_row(*(str(c) for c in r))
    padded = Padding(t, (0, 0, 0, indent))
    if wraps():
        out.print(padded)
        return
    saved = out.width
    out.width = 100_000  # a pipe: the table at its natural width, whole lines
    try:
        with out.capture() as cap:
            out.print(padded)
    finally:
        out.width = saved
    for line in cap.get().splitlines():
        out.print(Text.from_ansi(line.rstrip()), soft_wrap=True)


_GAP = 3  # between two columns: a cell's right and left padding and the separator


def _widths(rows: Sequence[Sequence[str]], headers: Sequence[str], longest: list[int], room: int) -> list[int]:
    """Column widths for `room` characters: each at least its longest word (so nothing breaks inside a word),
    the rest shared in proportion to how much more each column's widest cell wants."""
    natural = [max([len(str(r[i])) for r in rows] + [len(h)]) for i, h in enumerate(headers)]
    spare = room - _GAP * (len(headers) - 1) - sum(longest)
    want = [n - m for n, m in zip(natural, longest)]
    if spare >= sum(want):
        return natural
    out = [m + (spare * w // sum(want) if sum(want) else 0) for m, w in zip(longest, want)]
    return out


def _loc(loc: dict[str, Any] | None) -> str:
    if not loc:
        return "-"
    return f"{loc['file']}:{loc['line']}" if loc.get("line") else loc["file"]


def _policy(d: dict[str, Any]) -> str:
    parts = []
    for k in ("route_map_in", "prefix_list_in", "filter_list_in", "distribute_list_in"):
        if d.get(k):
            parts.append(f"in {k.split('_in')[0].replace('_', '-')} {d[k]}")
    for k in ("route_map_out", "prefix_list_out", "filter_list_out", "distribute_list_out"):
        if d.get(k):
            parts.append(f"out {k.split('_out')[0].replace('_', '-')} {d[k]}")
    return "; ".join(parts) or "-"


def _neighbor_rows(items: list[dict[str, Any]], groups: bool = False) -> list[list[str]]:
    rows = []
    for n in items:
        fams = [f"{a['family']}{'' if a['active'] else ' (inactive)'}" for a in n["families"]]
        pol = "; ".join(f"{a['family']}: {_policy(a)}" for a in n["families"] if _policy(a) != "-")
        name = n["name"] + (" (shutdown)" if n.get("shutdown") else "")
        row = [name, str(n["remote_as"] or "-"), n.get("peer_group") or "-", " ".join(fams) or "-", pol or "-",
               _loc(n["location"])]
        rows.append(row[:2] + row[3:] if groups else row)
    return rows


def print_routers(out: Console, routers: list[dict[str, Any]]) -> None:
    """`podpath show`'s routers, one block per daemon configuration."""
    for r in routers:
        d = r.get("details") or {}
        head = f"{r['dialect'].upper()} {r['file']}" + (f" (host {r['host']})" if r.get("host") else "")
        out.print()
        para(out, Text(head, style="bold"), 2, 4)
        if r["dialect"] == "frr":
            for b in d.get("bgp", []):
                vrf = "" if b["vrf"] == "default" else f" vrf {b['vrf']}"
                para(out, f"router bgp {b['asn']}{vrf}, router-id {b['router_id'] or '-'} ({_loc(b['location'])})", 4, 4)
                table(out, "neighbors", ["neighbor", "remote AS", "peer group", "families", "policy", "at"],
                      _neighbor_rows(b["neighbors"]), 4)
                table(out, "peer groups", ["peer group", "remote AS", "families", "policy", "at"],
                      _neighbor_rows(b["peer_groups"], groups=True), 4)
                table(out, "listen ranges (dynamic neighbors)", ["prefix", "peer group", "at"],
                      [[l["prefix"], l["peer_group"], _loc(l["location"])] for l in b.get("listen_ranges", [])], 4)
                table(out, "originated", ["prefix", "family", "how", "at"],
                      [[o["what"], o["family"], o["how"], _loc(o["location"])] for o in b["originations"]], 4)
            table(out, "route-maps", ["route-map", "seq", "action", "match", "set", "at"],
                  [[c["route_map"], str(c["seq"]), c["action"], "; ".join(c["match"]) or "-",
                    "; ".join(c["set"]) or "-", _loc(c["location"])] for c in d.get("route_maps", [])], 4)
            table(out, "prefix lists", ["list", "seq", "action", "prefix", "at"],
                  [[p["name"], str(e["seq"]), e["action"], e["prefix"], _loc(e["location"])]
                   for p in d.get("prefix_lists", []) for e in p["entries"]], 4)
            table(out, "community lists", ["list", "kind", "seq", "action", "values", "at"],
                  [[c["name"], c["kind"], str(e["seq"]), e["action"], e["text"], _loc(e["location"])]
                   for c in d.get("community_lists", []) for e in c["entries"]], 4)
            table(out, "as-path lists", ["list", "seq", "action", "regex", "at"],
                  [[c["name"], str(e["seq"]), e["action"], e["regex"], _loc(e["location"])]
                   for c in d.get("as_path_lists", []) for e in c["entries"]], 4)
        else:
            if r.get("router_id"):
                para(out, f"router id {r['router_id']}", 4, 4)
            table(out, "protocols", ["protocol", "type", "neighbor", "AS local/remote", "channels", "at"],
                  [[p["name"], p["type"] + (" (disabled)" if p["disabled"] else ""), p.get("neighbor") or "-",
                    f"{p.get('local_as') or '-'}/{p.get('neighbor_as') or '-'}" if p["type"] == "bgp" else "-",
                    "; ".join(f"{c['afi']}: import {c['import']}, export {c['export']}" for c in p["channels"]) or "-",
                    _loc(p["location"])] for p in d.get("protocols", [])], 4)
            table(out, "filters and functions", ["name", "kind", "at"],
                  [[f["name"], f["kind"], _loc(f["location"])] for f in d.get("filters", [])], 4)
