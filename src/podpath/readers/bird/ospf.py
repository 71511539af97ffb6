"""BIRD 2 `protocol ospf [v2|v3]`: areas, interface patterns and their options.

The grammar keeps a protocol's options as words (bird.lark `gstmt`); the area and
interface blocks are read here (BIRD's proto/ospf/config.Y). What podpath's IGP model
does not use is kept as `Unsupported` with its line: area `networks` (summary ranges),
virtual links, NBMA neighbours, authentication."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable

from podpath.diagnostics import Loc
from podpath.readers.bird.model import IfacePattern
from podpath.util import is_digits

_TRUE = {"yes", "on", "true"}
_FALSE = {"no", "off", "false"}
_TYPES = {"broadcast": "broadcast", "bcast": "broadcast", "pointopoint": "point-to-point", "ptp": "point-to-point",
          "nonbroadcast": "nbma", "nbma": "nbma", "pointomultipoint": "ptmp", "ptmp": "ptmp"}


@dataclass
class BirdOspfIface:
    patterns: list[IfacePattern]
    loc: Loc
    cost: int = 10
    stub: bool = False
    hello: int = 10
    dead: int | None = None  # None: dead count x hello
    dead_count: int = 4
    type: str | None = None  # None: from the interface (broadcast on Ethernet)
    priority: int = 1
    instance: int | None = None

    @property
    def dead_interval(self) -> int:
        return self.dead if self.dead is not None else self.dead_count * self.hello


@dataclass
class BirdOspfArea:
    area: str  # dotted quad
    loc: Loc
    kind: str = "normal"  # normal | stub | nssa
    summary: bool = False  # stub/NSSA: the ABR still sends summaries (BIRD's default: no)
    default_cost: int = 1000
    interfaces: list[BirdOspfIface] = field(default_factory=list)
    stubnets: list[tuple[Any, int, bool, Loc]] = field(default_factory=list)  # prefix, cost, hidden, line


@dataclass
class BirdOspf:
    version: int  # 2 | 3
    areas: list[BirdOspfArea] = field(default_factory=list)
    ecmp: bool = True
    router_id: str | None = None


def _area_id(text: str) -> str | None:
    if is_digits(text):
        v = int(text)
        return str(ipaddress.IPv4Address(v)) if v <= 0xFFFFFFFF else None
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def _split(words: list[Any]) -> list[tuple[list[Any], list[Any] | None]]:
    """Statements of a block: (words before `{` or `;`, the inner words of a `{...}` or None)."""
    out: list[tuple[list[Any], list[Any] | None]] = []
    cur: list[Any] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w.kind == "punct" and w.text == ";":
            if cur:
                out.append((cur, None))
            cur = []
            i += 1
            continue
        if w.kind == "punct" and w.text == "{":
            depth, j = 1, i + 1
            while j < len(words) and depth:
                t = words[j]
                if t.kind == "punct" and t.text == "{":
                    depth += 1
                elif t.kind == "punct" and t.text == "}":
                    depth -= 1
                j += 1
            out.append((cur, words[i + 1:j - 1]))
            cur = []
            i = j
            continue
        cur.append(w)
        i += 1
    if cur:
        out.append((cur, None))
    return out


def _bool(words: list[Any], i: int) -> bool:
    if i < len(words) and words[i].text.lower() in _FALSE:
        return False
    return True


def _int(words: list[Any], i: int) -> int | None:
    if i < len(words) and is_digits(str(words[i].text)):
        return int(words[i].text)
    return None


def read_ospf(variant: str | None, items: list[Any], unsupported: Callable[[Loc, str, str, bool], None],
              error: Callable[[Loc, str], None]) -> BirdOspf:
    """The OSPF settings of one protocol's generic statements (`items` of a GenericProtocol)."""
    from podpath.readers.bird import ast as A

    o = BirdOspf(3 if variant == "v3" else 2)
    for it in items:
        if type(it) is not A.Generic:
            continue
        words = it.words
        key = words[0].text if words else ""
        text = " ".join(w.text for w in words)
        if key == "area":
            if len(words) < 2 or _area_id(words[1].text) is None:
                error(it.loc, "expected an area ID (a number or A.B.C.D) after 'area'")
                continue
            area = BirdOspfArea(_area_id(words[1].text) or "0.0.0.0", it.loc)
            _read_area(area, it.block or [], it.loc, unsupported, error)
            o.areas.append(area)
        elif key == "ecmp":
            o.ecmp = _bool(words, 1)
            if "limit" in [w.text for w in words]:
                unsupported(it.loc, text, "the ECMP next-hop limit is not modelled", True)
        elif key == "router" and len(words) >= 3 and words[1].text == "id":
            o.router_id = words[2].text
        elif key in ("tick", "rfc1583compat", "rfc5838", "merge", "graceful", "long", "debug", "description",
                     "vrf", "disabled"):
            if key == "merge":
                unsupported(it.loc, text, "`merge external` is not modelled", True)
        elif key == "instance":
            unsupported(it.loc, text, "OSPFv3 instance IDs are not checked", True)
        elif key == "stub" and len(words) >= 2 and words[1].text == "router":
            unsupported(it.loc, text, "stub router (no transit) is not modelled", True)
        else:
            unsupported(it.loc, text + (" { ... }" if it.block is not None else ""),
                        "OSPF option not modelled", True)
    return o


def _read_area(area: BirdOspfArea, words: list[Any], loc: Loc, unsupported: Callable[[Loc, str, str, bool], None],
               error: Callable[[Loc, str], None]) -> None:
    for head, block in _split(words):
        key = head[0].text if head else ""
        at = getattr(head[0], "loc", loc) if head else loc
        text = " ".join(w.text for w in head)
        if key in ("stub", "nssa"):
            if _bool(head, 1):
                area.kind = key
            elif area.kind == key:
                area.kind = "normal"
        elif key == "summary":
            area.summary = _bool(head, 1)
        elif key == "default" and len(head) >= 3 and head[1].text == "cost":
            area.default_cost = _int(head, 2) or area.default_cost
        elif key == "interface":
            area.interfaces.append(_read_iface(head[1:], block, at, unsupported))
        elif key == "stubnet":
            try:
                pfx = ipaddress.ip_network(head[1].text, strict=False) if len(head) > 1 else None
            except ValueError:
                pfx = None
            if pfx is None:
                error(at, "expected a prefix after 'stubnet'")
                continue
            cost, hidden = 10, False
            for h2, _ in _split(block or []):
                if h2 and h2[0].text == "cost":
                    cost = _int(h2, 1) or cost
                elif h2 and h2[0].text == "hidden":
                    hidden = _bool(h2, 1)
            area.stubnets.append((pfx, cost, hidden, at))
        else:
            unsupported(at, text + (" { ... }" if block is not None else ""),
                        f"OSPF area option `{key}` is not modelled", key not in ("default",))


def _read_iface(head: list[Any], block: list[Any] | None, loc: Loc,
                unsupported: Callable[[Loc, str, str, bool], None]) -> BirdOspfIface:
    pats: list[IfacePattern] = []
    i = 0
    instance = None
    while i < len(head):
        w = head[i]
        if w.kind == "string":
            t = str(w.value if w.value is not None else w.text)
            neg = t.startswith("-")
            pats.append(IfacePattern(t[1:] if neg else t, neg))
        elif w.text == "instance":
            instance = _int(head, i + 1)
            i += 1
        elif w.kind == "prefix" and pats:
            pats[-1].prefix = w.value
        i += 1
    f = BirdOspfIface(pats, loc, instance=instance)
    for h, sub in _split(block or []):
        if not h:
            continue
        key = h[0].text
        at = getattr(h[0], "loc", loc)
        text = " ".join(x.text for x in h)
        if key == "cost":
            f.cost = _int(h, 1) or f.cost
        elif key == "stub":
            f.stub = _bool(h, 1)
        elif key == "hello":
            f.hello = _int(h, 1) or f.hello
        elif key == "dead" and len(h) >= 3 and h[1].text == "count":
            f.dead_count = _int(h, 2) or f.dead_count
        elif key == "dead":
            f.dead = _int(h, 1)
        elif key == "type":
            t = _TYPES.get(h[1].text if len(h) > 1 else "")
            f.type = t
            if t in ("nbma", "ptmp"):
                unsupported(at, text, f"OSPF network type {t} is modelled as broadcast", True)
        elif key == "priority":
            f.priority = _int(h, 1) if _int(h, 1) is not None else f.priority
        elif key in ("poll", "retransmit", "wait", "transmit", "rx", "tx", "bfd", "check", "real", "ttl",
                     "link", "strict"):
            pass  # timers, buffers, BFD: no effect on the routes once adjacencies are up
        else:
            unsupported(at, text + (" { ... }" if sub is not None else ""),
                        f"OSPF interface option `{key}` is not modelled"
                        + (" (authentication is not checked: a key mismatch keeps adjacencies down)"
                           if key in ("authentication", "password") else ""), True)
    return f
