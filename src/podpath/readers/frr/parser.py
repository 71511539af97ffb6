"""Reader for FRR configuration text (`frr.conf`, `show running-config`), FRR 8.x-10.x.

FRR's CLI is line oriented with an implicit context ("node"): `router bgp` enters
the BGP node, `address-family ipv6 unicast` a child node, `route-map X permit 10`
the route-map node. When a line is not a command of the current node, FRR tries
the parent node, then its parent, and *stays* in the node where the command
matched; if no node accepts it, the line fails and the node is unchanged. `!` is a
comment and closes nothing. This reader does the same with one dispatch table per
node keyed by the first word (vtysh's `-C` dry run agrees with it on the fixtures in
tests/readers/frr), which also keeps per-line work to a `split()` and a dict lookup.

Statements FRR has but podpath does not model are kept as `Unsupported` (cosmetic
ones with `affects_routes=False`); lines FRR itself would refuse are reported as
errors with the column of the offending word, and reading carries on.
"""

from __future__ import annotations

import gc
import ipaddress
import re
from typing import Callable

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.readers.frr.model import (
    IPV4_UNICAST,
    IPV6_UNICAST,
    WELL_KNOWN_VALUES,
    AccessList,
    AccessListEntry,
    AfKey,
    Aggregate,
    AsPathList,
    AsPathListEntry,
    BgpAf,
    BgpInstance,
    CommunityList,
    CommunityListEntry,
    FrrConfig,
    Interface,
    ListenRange,
    Neighbor,
    Network,
    PrefixList,
    PrefixListEntry,
    Redistribute,
    Ref,
    RouteMap,
    RouteMapClause,
    RouteMapMatch,
    RouteMapSet,
    StaticRoute,
    Vrf,
    VrrpRouter,
)
from podpath.readers.frr.regex import FrrRegexError, compile_frr
from podpath.routing.route import ExtCommunity, Origin

NOMATCH = object()  # a handler's answer for "not a command of this node": try the parent

_INT_RE = re.compile(r"[0-9]+\Z")


class _Syntax(Exception):
    """A malformed line: `idx` is the index of the offending token (len(toks) = end of line)."""

    def __init__(self, idx: int, expected: str, message: str | None = None) -> None:
        super().__init__(expected)
        self.idx = idx
        self.expected = expected
        self.message = message


class _Cur:
    """Cursor over the tokens of one line, raising _Syntax with the token index."""

    __slots__ = ("toks", "i", "n")

    def __init__(self, toks: list[str], i: int) -> None:
        self.toks = toks
        self.i = i
        self.n = len(toks)

    def more(self) -> bool:
        return self.i < self.n

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < self.n else None

    def take(self, what: str) -> str:
        if self.i >= self.n:
            raise _Syntax(self.i, what)
        t = self.toks[self.i]
        self.i += 1
        return t

    def kw(self, *choices: str) -> str:
        if self.i >= self.n or self.toks[self.i] not in choices:
            raise _Syntax(self.i, " | ".join(f"`{c}`" for c in choices))
        self.i += 1
        return self.toks[self.i - 1]

    def opt(self, word: str) -> bool:
        if self.i < self.n and self.toks[self.i] == word:
            self.i += 1
            return True
        return False

    def int(self, what: str, lo: int = 0, hi: int = 4294967295) -> int:
        t = self.take(what)
        if not _INT_RE.match(t) or not lo <= int(t) <= hi:
            raise _Syntax(self.i - 1, f"{what} ({lo}-{hi})")
        return int(t)

    def asn(self, what: str = "AS number") -> int:
        t = self.take(what)
        v = parse_asn(t)
        if v is None:
            raise _Syntax(self.i - 1, what)
        return v

    def addr(self, what: str = "IP address", family: int | None = None) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        t = self.take(what)
        try:
            a = ipaddress.ip_address(t)
        except ValueError:
            raise _Syntax(self.i - 1, what) from None
        if family is not None and a.version != family:
            raise _Syntax(self.i - 1, what)
        return a

    def prefix(self, what: str = "prefix", family: int | None = None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, bool]:
        """(network, host bits were set)."""
        t = self.take(what)
        net = _parse_net(t)
        if net is None or (family is not None and net[0].version != family):
            raise _Syntax(self.i - 1, what)
        return net

    def end(self) -> None:
        if self.i < self.n:
            raise _Syntax(self.i, "end of line")

    def rest(self) -> list[str]:
        r = self.toks[self.i:]
        self.i = self.n
        return r


def parse_asn(t: str) -> int | None:
    """`65000`, or asdot `1.10` (FRR 10 accepts both)."""
    if _INT_RE.match(t):
        v = int(t)
        return v if 1 <= v <= 4294967295 else None
    if "." in t:
        hi, _, lo = t.partition(".")
        if _INT_RE.match(hi) and _INT_RE.match(lo) and int(hi) <= 65535 and int(lo) <= 65535:
            v = (int(hi) << 16) | int(lo)
            return v or None
    return None


_ANY4 = ipaddress.IPv4Network("0.0.0.0/0")
_ANY6 = ipaddress.IPv6Network("::/0")
_NET_CACHE: dict[str, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, bool] | None] = {}


def _parse_net(t: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, bool] | None:
    """`10.0.0.0/8` -> (network, host bits were set); None if not a prefix. Cached, and
    IPv4 is parsed by hand: ipaddress parsing dominates the reader's time."""
    r = _NET_CACHE.get(t)
    if r is None and t not in _NET_CACHE:
        r = _net_uncached(t)
        if len(_NET_CACHE) < 200000:
            _NET_CACHE[t] = r
    return r


def _net_uncached(t: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, bool] | None:
    a, slash, plen_s = t.partition("/")
    if not slash or not plen_s.isdigit() or not plen_s.isascii():
        return None
    plen = int(plen_s)
    if ":" in a:
        try:
            v6 = int(ipaddress.IPv6Address(a))
        except ValueError:
            return None
        if plen > 128:
            return None
        m6 = ((1 << plen) - 1) << (128 - plen)
        return ipaddress.IPv6Network((v6 & m6, plen)), (v6 & m6) != v6
    parts = a.split(".")
    if len(parts) != 4 or plen > 32:
        return None
    v = 0
    for x in parts:
        if not x.isdigit() or not x.isascii() or len(x) > 3:
            return None
        o = int(x)
        if o > 255:
            return None
        v = (v << 8) | o
    mask = ((1 << plen) - 1) << (32 - plen)
    return ipaddress.IPv4Network((v & mask, plen)), (v & mask) != v


def parse_community(t: str) -> tuple[int, int] | None:
    """`AA:NN`, a 32-bit number, or a well-known name (as FRR's community parser)."""
    v = WELL_KNOWN_VALUES.get(t)
    if v is None:
        if _INT_RE.match(t):
            v = int(t)
            if v > 0xFFFFFFFF:
                return None
        else:
            a, sep, b = t.partition(":")
            if not sep or not _INT_RE.match(a) or not _INT_RE.match(b) or int(a) > 0xFFFF or int(b) > 0xFFFF:
                return None
            return (int(a), int(b))
    return (v >> 16, v & 0xFFFF)


def parse_large_community(t: str) -> tuple[int, int, int] | None:
    parts = t.split(":")
    if len(parts) != 3 or not all(_INT_RE.match(p) and int(p) <= 0xFFFFFFFF for p in parts):
        return None
    return (int(parts[0]), int(parts[1]), int(parts[2]))


def parse_ext_community(kind: str, t: str) -> ExtCommunity | None:
    """`rt 65000:1`, `soo 10.0.0.1:5`, `rt 4200000000:7` -> ExtCommunity."""
    admin, sep, val = t.rpartition(":")
    if not sep or not _INT_RE.match(val):
        return None
    if _INT_RE.match(admin):
        a = int(admin)
        if a > 0xFFFFFFFF or (a > 0xFFFF and int(val) > 0xFFFF) or int(val) > 0xFFFFFFFF:
            return None
        return ExtCommunity(kind, str(a), int(val))
    try:
        ipaddress.IPv4Address(admin)
    except ValueError:
        a2 = parse_asn(admin)
        if a2 is None:
            return None
        return ExtCommunity(kind, str(a2), int(val))
    if int(val) > 0xFFFF:
        return None
    return ExtCommunity(kind, admin, int(val))


# Statements recognised but not modelled: first word -> (why, affects routes).
_COSMETIC = "cosmetic (logging, management access, daemon options)"
_TOP_UNSUPPORTED: dict[str, tuple[str, bool]] = {
    "log": (_COSMETIC, False), "service": (_COSMETIC, False), "agentx": (_COSMETIC, False),
    "password": (_COSMETIC, False), "enable": (_COSMETIC, False), "banner": (_COSMETIC, False),
    "debug": (_COSMETIC, False), "username": (_COSMETIC, False), "domainname": (_COSMETIC, False),
    "end": (_COSMETIC, False), "write": (_COSMETIC, False), "exit": ("no enclosing block", False),
    "quit": ("no enclosing block", False), "allow-external-route-update": ("zebra option not modelled", True),
    "fpm": ("zebra FPM not modelled", False), "zebra": ("zebra option not modelled", True),
    "table": ("zebra option not modelled", True), "terminal": (_COSMETIC, False),
    "configure": (_COSMETIC, False),
    "vrrp": ("VRRP not modelled", True), "sharp": ("sharpd not modelled", True),
    "evpn": ("EVPN not modelled", True), "mac": ("MAC access-lists are not modelled", False),
    "pbr": ("policy-based routing not modelled", True), "srv6": ("SRv6 not modelled", True),
    "affinity-map": ("traffic engineering not modelled", True),
}
# Blocks podpath does not model: opener -> (why, affects routes). Lines inside are absorbed.
_OPAQUE_BLOCKS: dict[str, tuple[str, bool]] = {
    "line": (_COSMETIC, False), "key": ("key chains are not modelled", False),
    "segment-routing": ("segment routing is not modelled", True), "bfd": ("BFD is not modelled", False),
    "pbr-map": ("policy-based routing is not modelled", True), "nexthop-group": ("nexthop groups are not modelled", True),
    "rpki": ("RPKI is not modelled", True), "l2vpn": ("L2VPN/pseudowires are not modelled", True),
    "pseudowire": ("pseudowires are not modelled", True), "router": ("routing protocol not modelled", True),
    "mpls": ("MPLS LDP is not modelled", True), "srv6": ("SRv6 is not modelled", True),
    "link-params": ("link parameters are not modelled", False), "vni": ("EVPN VNI settings are not modelled", True),
    "bmp": ("BMP is not modelled", False), "vnc": ("VNC is not modelled", True),
    "vrf-policy": ("VNC is not modelled", True), "affinity-map": ("traffic engineering is not modelled", True),
    "profile": ("BFD profiles are not modelled", False), "sid": ("SRv6 is not modelled", True),
}

_AFIS = ("ipv4", "ipv6", "l2vpn")
_SAFIS = {"ipv4": ("unicast", "multicast", "vpn", "labeled-unicast", "flowspec"),
          "ipv6": ("unicast", "multicast", "vpn", "labeled-unicast", "flowspec"), "l2vpn": ("evpn",)}
_REDIST_SOURCES = ("kernel", "connected", "static", "rip", "ripng", "ospf", "ospf6", "isis", "bgp", "eigrp", "nhrp",
                   "table", "table-direct", "vnc", "vnc-direct", "babel", "sharp", "openfabric", "local")

_Handler = Callable[["FrrParser", "_Node", _Cur, bool], object]


class _Idx:
    """Per-list bookkeeping while reading (entries by sequence number, duplicate keys,
    highest sequence) so that big lists stay linear; entries are sorted in finish()."""

    __slots__ = ("seqs", "keys", "max")

    def __init__(self) -> None:
        self.seqs: dict[int, object] = {}
        self.keys: dict[tuple, int] = {}
        self.max = 0

    def add(self, seq: int, key: tuple, entry: object) -> None:
        old = self.seqs.get(seq)
        if old is not None:
            self.keys = {k: v for k, v in self.keys.items() if v != seq}
        self.seqs[seq] = entry
        self.keys[key] = seq
        if seq > self.max:
            self.max = seq

    def remove(self, pred) -> None:  # type: ignore[no-untyped-def]
        for seq in [q for q, e in self.seqs.items() if pred(e)]:
            del self.seqs[seq]
        self.keys = {k: v for k, v in self.keys.items() if v in self.seqs}
        self.max = max(self.seqs, default=0)

    def sorted(self) -> list:
        return [self.seqs[q] for q in sorted(self.seqs)]


class _Node:
    __slots__ = ("kind", "table", "parent", "data", "af", "indent", "opaque")

    def __init__(self, kind: str, table: dict[str, _Handler] | None, parent: "_Node | None", data: object = None,
                 af: AfKey | None = None, indent: int = 0, opaque: list[object] | None = None) -> None:
        self.kind = kind
        self.table = table
        self.parent = parent
        self.data = data
        self.af = af
        self.indent = indent
        self.opaque = opaque  # [loc, text, why, affects, count, last line] for unsupported blocks


def parse_frr(text: str, file: str, diags: Diagnostics) -> FrrConfig:
    """Read one FRR configuration. Never raises on bad input: problems go to `diags`."""
    # Reading allocates many small objects and creates no garbage cycles: pausing the
    # cyclic collector saves a fifth of the time on big files.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        p = FrrParser(file, diags)
        p.feed(text)
        return p.finish()
    finally:
        if was_enabled:
            gc.enable()


_BIRD_HINT = re.compile(r"^\s*(protocol\s+\w+|filter\s+\w+|function\s+\w+|define\s+\w+\s*=|router id\s+[\d.]+\s*;)",
                        re.M)
_FRR_HINT = re.compile(
    r"^(frr (version|defaults)\b|router bgp \d|route-map \S+ (permit|deny) \d+\s*$|ip(v6)? prefix-list \S+ |"
    r"log (syslog|file|stdout|timestamp)|bgp (large-|ext)?community-list |bgp as-path access-list |"
    r"service integrated-vtysh-config|ip(v6)? route \S+/\d+ |interface \S+\s*$|line vty\s*$|"
    r"!\s*$|ip forwarding\s*$|ipv6 forwarding\s*$|hostname \S+\s*$|vrf \S+\s*$)",
    re.M)


def looks_like_frr(text: str) -> bool:
    """Content sniffing: FRR running-config or frr.conf, not BIRD, YAML or JSON.
    Looks at the first 200 lines only."""
    head = "\n".join(text.splitlines()[:200])
    stripped = head.lstrip()
    if not stripped or stripped[0] in "{[":
        return False
    if _BIRD_HINT.search(head) or re.search(r";\s*$", head, re.M) and "{" in head:
        return False
    if re.search(r"^(apiVersion|kind|metadata|---)\b", head, re.M):
        return False
    strong = re.search(r"^(frr (version|defaults)\b|router bgp \d|route-map \S+ (permit|deny) \d+\s*$|"
                       r"ip(v6)? prefix-list \S+ |bgp (large-|ext)?community-list |bgp as-path access-list |"
                       r"service integrated-vtysh-config)", head, re.M)
    if strong:
        return True
    hits = len(_FRR_HINT.findall(head))
    return hits >= 3 and bool(re.search(r"^(hostname|line vty|log |interface )", head, re.M))


class FrrParser:
    """Feed lines, then `finish()` for the FrrConfig. One instance per file."""

    def __init__(self, file: str, diags: Diagnostics) -> None:
        self.file = file
        self.diags = diags
        self.cfg = FrrConfig(file)
        self.root = _Node("config", _CONFIG, None)
        self.node = self.root
        self.lineno = 0
        self.raw = ""
        self._loc: Loc | None = None
        self._toks: list[str] = []
        self._idx: dict[int, tuple[object, _Idx]] = {}  # id(list object) -> (list, index)

    def idx(self, lst: object) -> _Idx:
        got = self._idx.get(id(lst))
        if got is None:
            got = self._idx[id(lst)] = (lst, _Idx())
        return got[1]

    # ----------------------------------------------------------------------------------- driver

    def feed(self, text: str) -> None:
        dispatch = self._dispatch
        for lineno, raw in enumerate(text.splitlines(), 1):
            toks = raw.split()
            if not toks:
                continue
            c0 = toks[0][0]
            if c0 == "!" or c0 == "#":
                continue
            self.lineno = lineno
            self.raw = raw
            self._loc = None
            self._toks = toks
            dispatch(toks, raw)

    def finish(self) -> FrrConfig:
        n: _Node | None = self.node
        while n is not None:
            if n.opaque is not None:
                self._close_opaque(n)
            n = n.parent
        self.node = self.root
        cfg = self.cfg
        for lst, ix in self._idx.values():
            lst.entries = ix.sorted()  # type: ignore[attr-defined]
        self._check_references()
        return cfg

    def loc(self) -> Loc:
        lc = self._loc
        if lc is None:
            lc = self._loc = Loc(self.file, self.lineno)
        return lc

    def _dispatch(self, toks: list[str], raw: str) -> None:
        neg = toks[0] == "no"
        if neg and len(toks) == 1:
            self._error(1, "a command after `no`")
            return
        key = toks[1] if neg else toks[0]
        start = 2 if neg else 1
        node: _Node | None = self.node
        if node.opaque is not None and self._opaque_line(node, toks, raw, key):  # type: ignore[union-attr]
            return
        node = self.node
        while node is not None:
            table = node.table
            h = table.get(key) if table is not None else None
            if h is not None:
                before = self.node
                try:
                    r = h(self, node, _Cur(toks, start), neg)
                except _Syntax as e:
                    self._error(e.idx, e.expected, e.message)
                    return
                except Exception as e:  # a reader bug must not lose the rest of the file
                    self._error(0, "", f"podpath could not read this line ({type(e).__name__}: {e}); "
                                       "it is ignored -- please report this as a podpath bug")
                    return
                if r is not NOMATCH:
                    if self.node is before:  # FRR stays in the node where the command matched
                        if before.kind == "bgp-af" and node.kind == "bgp":
                            self._warn(start - 1, f"`{' '.join(toks)}` is not valid in address-family {before.af}: "
                                                  "FRR runs it under `router bgp` (ipv4 unicast) and leaves the "
                                                  "address-family; the lines that follow no longer belong to it")
                        self._set_node(node)
                    return
            node = node.parent
        self._unknown(toks, key)

    def _set_node(self, node: _Node) -> None:
        """Leave every node above `node` (FRR stays where a command matched)."""
        n = self.node
        while n is not node and n is not None:
            if n.opaque is not None:
                self._close_opaque(n)
            n = n.parent
        self.node = node

    def _push(self, node: _Node) -> None:
        parent = node.parent
        assert parent is not None
        self._set_node(parent)
        self.node = node

    def _pop_to(self, node: _Node) -> None:
        self._set_node(node)

    # ----------------------------------------------------------------------------------- reporting

    def _col(self, idx: int) -> int:
        """1-based column of token `idx` of the current line (end of line + 1 past the last)."""
        raw = self.raw
        pos = 0
        for k, m in enumerate(re.finditer(r"\S+", raw)):
            if k == idx:
                return m.start() + 1
            pos = m.end()
        return pos + 2 if pos else 1

    def _error(self, idx: int, expected: str, message: str | None = None) -> None:
        toks = self._toks
        if message is None:
            found = f"`{toks[idx]}`" if idx < len(toks) else "end of line"
            message = f"expected {expected}, found {found}"
        self.diags.error(Loc(self.file, self.lineno, self._col(idx)), message, self.raw)

    def _warn(self, idx: int, message: str) -> None:
        self.diags.warning(Loc(self.file, self.lineno, self._col(idx)), message, self.raw)

    def _unsupported(self, why: str, affects: bool = True, route_source: str | None = None) -> None:
        self.cfg.unsupported.append(Unsupported(self.loc(), " ".join(self._toks), why, affects, route_source))

    def _unknown(self, toks: list[str], key: str) -> None:
        if key.startswith("exit"):
            self._warn(0, f"`{key}` does not close anything here (current block: {self.node.kind}); FRR rejects "
                          "the line")
            return
        where = "" if self.node is self.root else f" (in the {self.node.kind} block or above)"
        self._warn(0, f"`{' '.join(toks[:2])}` is not an FRR command podpath knows{where}; "
                      "FRR may reject it; it is ignored")
        self._unsupported("unrecognised statement", True)

    # ----------------------------------------------------------------------------------- opaque blocks

    def _open_opaque(self, parent: _Node, why: str, affects: bool, table: dict[str, _Handler] | None = None) -> None:
        raw = self.raw
        indent = len(raw) - len(raw.lstrip())
        node = _Node("unsupported", table, parent, indent=indent,
                     opaque=[self.loc(), " ".join(self._toks), why, affects, 0, self.lineno])
        self._push(node)

    def _opaque_line(self, node: _Node, toks: list[str], raw: str, key: str) -> bool:
        """Lines inside a block podpath does not model. True if the line was absorbed."""
        indent = len(raw) - len(raw.lstrip())
        info = node.opaque
        assert info is not None
        first = toks[0]
        if first.startswith("exit") or first in ("quit", "end"):
            if indent <= node.indent:
                self._pop_to(node.parent)  # type: ignore[arg-type]
                return True
            info[4] += 1
            info[5] = self.lineno
            return True
        if indent > node.indent or not self._known_above(node, key):
            info[4] += 1
            info[5] = self.lineno
            return True
        self._pop_to(node.parent)  # type: ignore[arg-type]
        return False

    def _known_above(self, node: _Node, key: str) -> bool:
        n = node.parent
        while n is not None:
            if n.table is not None and key in n.table:
                return True
            n = n.parent
        return False

    def _close_opaque(self, node: _Node) -> None:
        info = node.opaque
        if info is None or info[4] < 0:
            return
        loc, text, why, affects, count, last = info
        if count:
            why = f"{why}; the block's {count} statement(s) up to line {last} are not modelled either"
        self.cfg.unsupported.append(Unsupported(loc, text, why, affects))  # type: ignore[arg-type]
        info[4] = -1

    # ----------------------------------------------------------------------------------- helpers

    def _rest_text(self, idx: int) -> str:
        """The raw text from token `idx` to the end of the line (descriptions keep their spacing)."""
        raw = self.raw
        for k, m in enumerate(re.finditer(r"\S+", raw)):
            if k == idx:
                return raw[m.start():].rstrip()
        return ""

    def _ref(self, name: str) -> Ref:
        return Ref(name, self.loc())

    # ----------------------------------------------------------------------------------- checks

    def _check_references(self) -> None:
        """Warnings for names used but never defined: FRR accepts them silently, and the
        effect (reference 1.2) is rarely what was meant."""
        cfg = self.cfg
        warn = self.diags.warning
        maps = cfg.route_maps
        for inst in cfg.bgp.values():
            for lr in inst.listen_ranges:
                g = inst.neighbors.get(lr.peer_group)
                if g is not None and g.remote_as_mode is None:
                    warn(lr.loc, f"peer-group {lr.peer_group} has no remote-as: FRR refuses the sessions of this "
                                 "listen range")
            for n in inst.neighbors.values():
                for key, a in n.afs.items():
                    fam = key.family or 4
                    for d in ("in", "out"):
                        ref = getattr(a, f"route_map_{d}")
                        if ref is not None and ref.name not in maps:
                            warn(ref.loc, f"route-map {ref.name} is not defined: FRR denies every route {d} on "
                                          f"neighbor {n.name} ({key})")
                        ref = getattr(a, f"prefix_list_{d}")
                        if ref is not None and (fam, ref.name) not in cfg.prefix_lists:
                            warn(ref.loc, f"{'ip' if fam == 4 else 'ipv6'} prefix-list {ref.name} is not defined: "
                                          f"FRR denies every route {d} on neighbor {n.name} ({key})")
                        ref = getattr(a, f"filter_list_{d}")
                        if ref is not None and ref.name not in cfg.as_path_lists:
                            warn(ref.loc, f"as-path access-list {ref.name} is not defined: FRR denies every route "
                                          f"{d} on neighbor {n.name} ({key})")
            for key, af in inst.afs.items():
                for what, refs in (("network", [x.route_map for x in af.networks]),
                                   ("redistribute", [x.route_map for x in af.redistributes]),
                                   ("aggregate-address", [x.route_map for x in af.aggregates])):
                    for ref in refs:
                        if ref is not None and ref.name not in maps:
                            warn(ref.loc, f"route-map {ref.name} is not defined: this {what} originates nothing")
                ref = af.import_vrf_route_map
                if ref is not None and ref.name not in maps:
                    warn(ref.loc, f"route-map {ref.name} is not defined: `import vrf` then imports every route "
                                  "(no filtering)")
        lists = {"community": cfg.community_lists, "large-community": cfg.large_community_lists,
                 "extcommunity": cfg.ext_community_lists}
        for rm in maps.values():
            for cl in rm.clauses.values():
                for m in cl.matches:
                    k = m.kind
                    missing = None
                    if k.endswith("prefix-list") and k.split()[0] in ("ip", "ipv6"):
                        if ((4 if k.startswith("ip ") else 6), m.value) not in cfg.prefix_lists:
                            missing = f"{k.split()[0]} prefix-list {m.value}"
                    elif k in lists:
                        name = m.value[0] if isinstance(m.value, tuple) else m.value
                        if name not in lists[k]:
                            missing = f"{k}-list {name}"
                    elif k == "as-path" and m.value not in cfg.as_path_lists:
                        missing = f"as-path access-list {m.value}"
                    if missing:
                        warn(m.loc, f"{missing} is not defined: `{m.text}` never matches")
                if cl.call is not None and cl.call.name not in maps:
                    warn(cl.call.loc, f"route-map {cl.call.name} is not defined: FRR skips this call")


# =============================================================================================== handlers
# Each handler: (parser, node, cursor positioned after the keyword, negated) -> None | NOMATCH.


def _h_frr(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    what = c.kw("version", "defaults")
    if what == "version":
        ver = " ".join(c.rest())
        if not ver:
            raise _Syntax(c.i, "a version")
        p.cfg.version, p.cfg.version_loc = ver, p.loc()
        return None
    prof = c.take("`traditional` | `datacenter`")
    c.end()
    if prof not in ("traditional", "datacenter"):
        p._warn(c.i - 1, f"unknown `frr defaults` profile {prof!r}: FRR refuses it and keeps its built-in profile "
                         "(traditional on Debian/upstream builds)")
        return None
    p.cfg.profile, p.cfg.profile_loc = prof, p.loc()
    return None


def _h_hostname(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    if neg:
        p.cfg.hostname = None
        return None
    p.cfg.hostname = c.take("host name")
    p.cfg.hostname_loc = p.loc()
    c.end()
    return None


def _h_cosmetic(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    key = c.toks[c.i - 1]
    why, affects = _TOP_UNSUPPORTED.get(key, ("not modelled", True))
    p._unsupported(why, affects)
    return None


def _h_showrun_header(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    """`Building configuration...` / `Current configuration:` of `show running-config` output."""
    rest = " ".join(c.toks[c.i - 1:])
    if rest not in ("Building configuration...", "Current configuration:"):
        return NOMATCH
    return None


def _h_opaque(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    key = c.toks[c.i - 1]
    if neg:
        p._unsupported("removal of an unmodelled block", True)
        return None
    why, affects = _OPAQUE_BLOCKS[key]
    if key == "line":
        why, affects = _COSMETIC, False
    elif key == "router":
        proto = c.peek() or ""
        why = {"isis": "`router isis` (IS-IS) is not modelled: the routes it installs are unknown to podpath",
               "openfabric": "`router openfabric` (OpenFabric, e.g. Proxmox SDN fabrics) is not modelled: the routes "
                             "it installs are unknown to podpath"}.get(
            proto, f"`router {proto}` is not modelled (podpath models BGP and OSPF)")
    elif key == "mpls" and c.peek() != "ldp":
        p._unsupported("MPLS is not modelled", True)
        return None
    elif key == "key":
        why, affects = "key chains are not modelled", False
    p._open_opaque(node, why, affects)
    return None


def _h_router(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    if c.peek() in ("ospf", "ospf6"):
        return _ospf.router(p, node, c, neg)
    if c.peek() != "bgp":
        return _h_opaque(p, node, c, neg)
    c.i += 1
    if neg:
        p._unsupported("`no router bgp` removes an instance; not modelled", True)
        return None
    asn = c.asn() if c.more() and c.peek() not in ("vrf", "view") else None
    vrf, view = "default", False
    if c.more():
        kind = c.kw("vrf", "view", "as-notation")
        if kind in ("vrf", "view"):
            vrf = c.take("VRF name")
            view = kind == "view"
            if c.opt("as-notation"):
                c.kw("dot", "dot+", "plain")
        else:
            c.kw("dot", "dot+", "plain")
    c.end()
    cfg = p.cfg
    inst = cfg.bgp.get(vrf)
    if inst is None:
        if asn is None:
            raise _Syntax(c.i, "AS number", "`router bgp` without an AS number needs an existing instance")
        inst = cfg.bgp[vrf] = BgpInstance(asn, p.loc(), vrf=vrf, view=view)
    elif asn is not None and asn != inst.asn:
        p._error(2 if not neg else 3, "", f"BGP is already running as AS {inst.asn} in VRF {vrf} "
                                          f"(FRR: `BGP instance is already running; AS is {inst.asn}`)")
        return None
    p._push(_Node("bgp", _BGP, node, inst, IPV4_UNICAST))
    return None


def _h_interface(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    name = c.take("interface name")
    vrf = None
    if c.opt("vrf"):
        vrf = c.take("VRF name")
    c.end()
    if neg:
        p.cfg.interfaces.pop(name, None)
        return None
    itf = p.cfg.interfaces.get(name)
    if itf is None:
        itf = p.cfg.interfaces[name] = Interface(name, p.loc(), vrf=vrf)
    elif vrf:
        itf.vrf = vrf
    p._push(_Node("interface", _INTERFACE, node, itf))
    return None


def _h_vrf(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    name = c.take("VRF name")
    c.end()
    if neg:
        p.cfg.vrfs.pop(name, None)
        return None
    v = p.cfg.vrfs.get(name)
    if v is None:
        v = p.cfg.vrfs[name] = Vrf(name, p.loc())
    p._push(_Node("vrf", _VRF, node, v))
    return None


def _h_exit(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    if node.parent is not None:
        p._pop_to(node.parent)
    return None


# ------------------------------------------------------------------------------------------- ip / ipv6

def _h_ip(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    return _ip_common(p, node, c, neg, 4)


def _h_ipv6(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    return _ip_common(p, node, c, neg, 6)


def _ip_common(p: FrrParser, node: _Node, c: _Cur, neg: bool, family: int) -> object:
    sub = c.take("`route` | `prefix-list` | ...")
    kind = node.kind
    if sub == "route" and kind in ("config", "vrf"):
        return _static_route(p, node, c, neg, family)
    if sub == "prefix-list" and kind == "config":
        return _prefix_list(p, c, neg, family)
    if sub == "access-list" and family == 6 and kind == "config":
        return _access_list(p, c, neg, 6)
    if sub == "nht" and kind in ("config", "vrf"):
        what = c.take("`resolve-via-default`")
        if what == "resolve-via-default":
            if neg:
                p.cfg.nht_resolve_via_default.pop(family, None)
                p.cfg.nht_no_resolve_via_default[family] = p.loc()
            else:
                p.cfg.nht_resolve_via_default[family] = p.loc()
                p.cfg.nht_no_resolve_via_default.pop(family, None)
            if kind == "vrf":
                p._unsupported("per-VRF next-hop tracking option recorded for the default VRF only", True)
            return None
        p._unsupported("zebra next-hop tracking option not modelled", True)
        return None
    if kind == "config" and sub in ("community-list", "large-community-list", "extcommunity-list", "as-path"):
        new = "bgp as-path access-list" if sub == "as-path" else f"bgp {sub}"
        raise _Syntax(c.i - 1, "", f"unknown command `{'no ' if neg else ''}ip {sub}`: FRR 7.5 and later only "
                                   f"accept `{new}`; FRR rejects this line, so the list does not exist")
    if kind == "interface":
        if sub == "address":
            return _if_address(p, node, c, neg, family)
        if sub == ("ospf" if family == 4 else "ospf6"):
            return _ospf.interface(p, node, c, neg, family)
        if sub in ("route", "prefix-list", "access-list", "forwarding", "nht", "protocol", "import-table",
                   "community-list", "as-path", "large-community-list", "extcommunity-list"):
            return NOMATCH
        p._unsupported(f"interface `{'ip' if family == 4 else 'ipv6'} {sub}` settings are not modelled",
                       sub not in ("mld", "igmp"))
        return None
    if kind == "vrf":
        if sub in ("router-id", "protocol", "import-table"):
            p._unsupported(f"VRF `{sub}` is not modelled", sub != "router-id")
            return None
        return NOMATCH
    if kind != "config":
        return NOMATCH
    if sub == "forwarding":
        if neg:
            p._unsupported(f"{'IPv4' if family == 4 else 'IPv6'} forwarding disabled: the host does not route", True)
        else:
            p._unsupported("forwarding is assumed on", False)
        return None
    known = {"router-id": False, "protocol": True, "import-table": True, "multicast-routing": False,
             "mroute": True, "pim": False, "igmp": False, "ssmpingd": False, "msdp": False, "mld": False,
             "nhrp": True, "table": True, "mpls": True}
    if sub in known:
        p._unsupported(f"`{'ip' if family == 4 else 'ipv6'} {sub}` is not modelled", known[sub])
        return None
    raise _Syntax(c.i - 1, "`route` | `prefix-list` | `nht` | `forwarding` | ...")


def _if_address(p: FrrParser, node: _Node, c: _Cur, neg: bool, family: int) -> object:
    itf = node.data
    assert isinstance(itf, Interface)
    t = c.take("ADDRESS/LENGTH")
    try:
        addr = ipaddress.ip_interface(t)
    except ValueError:
        raise _Syntax(c.i - 1, "ADDRESS/LENGTH") from None
    if addr.version != family or "/" not in t:
        raise _Syntax(c.i - 1, f"IPv{family} ADDRESS/LENGTH")
    while c.more():  # peer, label, secondary...
        c.take("option")
    if neg:
        itf.addresses = [(a, lc) for a, lc in itf.addresses if a != addr]
    else:
        itf.addresses.append((addr, p.loc()))
    return None


def _static_route(p: FrrParser, node: _Node, c: _Cur, neg: bool, family: int) -> object:
    t = c.take("prefix")
    net = _parse_net(t)
    if net is None and family == 4 and c.more():
        try:  # `ip route 10.0.0.0 255.0.0.0 GW`
            mask = c.peek() or ""
            n = ipaddress.IPv4Network(f"{t}/{mask}", strict=False)
            c.i += 1
            net = (n, int(ipaddress.IPv4Address(t)) != int(n.network_address))
        except ValueError:
            net = None
    if net is None or net[0].version != family:
        raise _Syntax(c.i - 1 if net is None else c.i - 1, f"IPv{family} prefix")
    prefix, hostbits = net
    if hostbits:
        p._warn(1 if not neg else 2, f"prefix {t} has host bits set; FRR uses {prefix}")
    vrf = node.data.name if node.kind == "vrf" else None  # type: ignore[union-attr]
    r = StaticRoute(prefix, p.loc(), vrf=vrf)
    if family == 6 and c.opt("from"):
        src = c.prefix("source prefix", 6)
        r.source = src[0]
    gw = c.take("next hop address, interface, `blackhole`, `reject` or `Null0`")
    if gw in ("blackhole", "Null0"):
        r.blackhole = True
    elif gw == "reject":
        r.reject = True
    else:
        try:
            a = ipaddress.ip_address(gw)
        except ValueError:
            if _INT_RE.match(gw) or gw in ("tag", "vrf", "label", "table", "nexthop-vrf", "onlink", "color"):
                raise _Syntax(c.i - 1, "next hop address, interface, `blackhole`, `reject` or `Null0`") from None
            r.interface = gw
        else:
            if a.version != family:
                raise _Syntax(c.i - 1, f"IPv{family} next hop")
            r.nexthop = a
            nxt = c.peek()
            if nxt is not None and not _INT_RE.match(nxt) and nxt not in (
                    "tag", "vrf", "label", "table", "nexthop-vrf", "onlink", "color", "bfd", "segments"):
                r.interface = c.take("interface")
    while c.more():
        w = c.take("option")
        if w == "tag":
            r.tag = c.int("tag", 1, 4294967295)
        elif w == "vrf":
            v = c.take("VRF name")
            if node.kind == "vrf":
                raise _Syntax(c.i - 2, "", "`vrf NAME` is not allowed on a route inside a `vrf` block")
            r.vrf = v
        elif w == "nexthop-vrf":
            r.nexthop_vrf = c.take("VRF name")
        elif w == "label":
            r.label = c.take("label")
        elif w == "table":
            r.table = c.int("table", 1, 4294967295)
        elif w == "onlink":
            r.onlink = True
        elif w == "color":
            r.color = c.int("color", 1, 4294967295)
        elif w in ("bfd", "segments"):
            p._unsupported(f"static route `{w}` option not modelled", w == "segments")
            c.rest()
        elif _INT_RE.match(w) and 1 <= int(w) <= 255:
            r.distance = int(w)
        else:
            raise _Syntax(c.i - 1, "`tag` | `vrf` | `nexthop-vrf` | `label` | `table` | `onlink` | distance (1-255)")
    cfg = p.cfg
    if neg:
        cfg.static_routes = [s for s in cfg.static_routes
                             if not (s.prefix == r.prefix and s.vrf == r.vrf and s.nexthop == r.nexthop
                                     and s.interface == r.interface and s.blackhole == r.blackhole)]
    else:
        cfg.static_routes.append(r)
    return None


def _prefix_list(p: FrrParser, c: _Cur, neg: bool, family: int) -> object:
    name = c.take("prefix-list name")
    cfg = p.cfg
    key = (family, name)
    pl = cfg.prefix_lists.get(key)
    if c.peek() == "description":
        c.i += 1
        if neg:
            if pl is not None:
                pl.description = None
            return None
        text = p._rest_text(c.i)
        if not text:
            raise _Syntax(c.i, "description text")
        if pl is None:
            pl = cfg.prefix_lists[key] = PrefixList(name, family, p.loc())
        pl.description = text
        return None
    if c.peek() == "sequence-number":
        p._unsupported("prefix-list display option", False)
        return None
    if neg and not c.more():
        cfg.prefix_lists.pop(key, None)
        return None
    seq: int | None = None
    if c.opt("seq"):
        seq = c.int("sequence number", 1, 4294967295)
    action = c.kw("permit", "deny")
    maxlen = 32 if family == 4 else 128
    t_idx = c.i
    t = c.take("`any` or prefix")
    ge = le = 0
    if t == "any":
        prefix = _ANY4 if family == 4 else _ANY6
        le = maxlen
        anyp = True
    else:
        net = _parse_net(t)
        if net is None or net[0].version != family:
            raise _Syntax(t_idx, f"`any` or IPv{family} prefix")
        prefix = net[0]
        anyp = False
        ge_given = le_given = False
        while c.i < c.n:
            w = c.kw("ge", "le")
            v = c.int("prefix length", 0, maxlen)
            if w == "ge":
                ge, ge_given = v, True
            else:
                le, le_given = v, True
        plen = prefix.prefixlen
        if (le_given and plen > le) or (ge_given and plen > ge) or (ge_given and le_given and ge > le):
            p._error(t_idx, "", f"invalid prefix range for {prefix}: make sure that mask length <= ge <= le "
                                "(FRR rejects this line)")
            return None
    c.end()
    dkey = (action, prefix, ge, le, anyp)
    if neg:
        if pl is not None:
            p.idx(pl).remove(lambda e: (seq is None or e.seq == seq) and (e.action, e.prefix, e.ge, e.le, e.any) == dkey)
        return None
    if pl is None:
        pl = cfg.prefix_lists[key] = PrefixList(name, family, p.loc())
    ix = p.idx(pl)
    if dkey in ix.keys:  # FRR silently ignores an entry identical to an existing one
        return None
    if seq is None:
        seq = ix.max + 5
    ix.add(seq, dkey, PrefixListEntry(seq, action, prefix, ge, le, anyp, p.loc()))
    return None


def _h_access_list(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    return _access_list(p, c, neg, 4)


def _access_list(p: FrrParser, c: _Cur, neg: bool, family: int) -> object:
    name = c.take("access-list name")
    cfg = p.cfg
    key = (family, name)
    al = cfg.access_lists.get(key)
    if c.peek() == "remark":
        c.i += 1
        if al is None:
            al = cfg.access_lists[key] = AccessList(name, family, p.loc())
        al.remark = p._rest_text(c.i)
        return None
    if neg and not c.more():
        cfg.access_lists.pop(key, None)
        return None
    seq: int | None = None
    if c.opt("seq"):
        seq = c.int("sequence number", 1, 4294967295)
    action = c.kw("permit", "deny")
    if al is None:
        al = AccessList(name, family, p.loc())
    ix = p.idx(al)
    if seq is None:
        seq = ix.max + 5
    e = AccessListEntry(seq, action, family, p.loc())
    t = c.take("prefix, `any`, `host`, address or `ip`")
    if t == "any":
        e.any = True
    elif family == 4 and t == "ip":
        e.cisco, e.extended = True, True
        e.addr, e.wildcard = _cisco_pair(c)
        e.mask, e.mask_wildcard = _cisco_pair(c)
    elif "/" in t:
        net = _parse_net(t)
        if net is None or net[0].version != family:
            raise _Syntax(c.i - 1, f"IPv{family} prefix")
        e.prefix = net[0]
        e.exact = c.opt("exact-match")
    elif family == 4:
        c.i -= 1
        e.cisco = True
        e.addr, e.wildcard = _cisco_pair(c, standard=True)
    else:
        raise _Syntax(c.i - 1, "IPv6 prefix or `any`")
    c.end()
    dkey = (action, e.any, e.prefix, e.exact, e.cisco, e.extended, e.addr, e.wildcard, e.mask, e.mask_wildcard)
    if neg:
        if key in cfg.access_lists:
            ix.remove(lambda x: (x.action, x.any, x.prefix, x.exact, x.cisco, x.extended, x.addr, x.wildcard, x.mask,
                                 x.mask_wildcard) == dkey)
        return None
    cfg.access_lists[key] = al
    if dkey not in ix.keys:
        ix.add(seq, dkey, e)
    return None


def _cisco_pair(c: _Cur, standard: bool = False) -> tuple[int, int]:
    t = c.take("address, `host` or `any`")
    if t == "any":
        return 0, 0xFFFFFFFF
    if t == "host":
        return int(c.addr("IPv4 address", 4)), 0
    c.i -= 1
    a = int(c.addr("IPv4 address", 4))
    if standard and not c.more():
        return a, 0
    w = int(c.addr("wildcard mask", 4))
    return a & ~w & 0xFFFFFFFF, w


# ------------------------------------------------------------------------------------------- community & as-path lists

def _h_bgp_top(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    sub = c.take("`community-list` | `large-community-list` | `extcommunity-list` | `as-path`")
    if sub in ("community-list", "large-community-list", "extcommunity-list"):
        return _community_list(p, c, neg, sub[:-5])
    if sub == "as-path":
        c.kw("access-list")
        return _as_path_list(p, c, neg)
    known = {"route-map": True, "send-extra-data": False, "no-rib": True, "session-dscp": False,
             "community": False, "graceful-shutdown": True, "route-reflector": True, "update-delay": True,
             "mac": False, "default-route": True}
    if sub in known:
        p._unsupported(f"global `bgp {sub}` option not modelled", known[sub])
        return None
    raise _Syntax(c.i - 1, "`community-list` | `large-community-list` | `extcommunity-list` | `as-path`")


def _community_list(p: FrrParser, c: _Cur, neg: bool, kind: str) -> object:
    """`bgp [large-|ext]community-list <standard|expanded> NAME | N [seq N] permit|deny ...`."""
    first = c.take("`standard` | `expanded` | list number")
    if first in ("standard", "expanded"):
        style = first
        name = c.take("list name")
    elif _INT_RE.match(first) and 1 <= int(first) <= 500:
        style = "standard" if int(first) < 100 else "expanded"
        name = first
    else:
        raise _Syntax(c.i - 1, "`standard` | `expanded` | (1-99) | (100-500)")
    master = {"community": p.cfg.community_lists, "large-community": p.cfg.large_community_lists,
              "extcommunity": p.cfg.ext_community_lists}[kind]
    lst = master.get(name)
    if neg and not c.more():
        master.pop(name, None)
        return None
    seq: int | None = None
    if c.opt("seq"):
        seq = c.int("sequence number", 0, 4294967295)
    action = c.kw("permit", "deny")
    words = c.rest()
    if not words:
        raise _Syntax(c.i, "communities" if style == "standard" else "regular expression")
    text = " ".join(words)
    values: frozenset = frozenset()
    regex = None
    idx0 = c.n - len(words)
    if style == "standard":
        vals = []
        if kind == "extcommunity":
            k = 0
            while k < len(words):
                w = words[k]
                if w not in ("rt", "soo") or k + 1 >= len(words):
                    raise _Syntax(idx0 + k, "`rt` | `soo` and a value")
                e = parse_ext_community(w, words[k + 1])
                if e is None:
                    raise _Syntax(idx0 + k + 1, "ASN:NN or A.B.C.D:NN")
                vals.append(e)
                k += 2
        else:
            parse = parse_community if kind == "community" else parse_large_community
            for k, w in enumerate(words):
                v = parse(w)
                if v is None:
                    raise _Syntax(idx0 + k, "AA:NN or a well-known community" if kind == "community" else "AA:BB:CC",
                                  None)
                vals.append(v)
        values = frozenset(vals)
    else:
        try:
            compile_frr(text)
        except FrrRegexError as e:
            raise _Syntax(idx0, "", f"malformed {kind}-list regular expression {text!r}: {e} "
                                    "(FRR rejects this line)") from None
        regex = text
    if lst is not None and p.idx(lst).seqs and lst.style != style:
        raise _Syntax(2 if not neg else 3, "", f"{kind}-list {name} already has {lst.style} entries; FRR refuses to "
                                               f"mix standard and expanded entries in one list")
    dkey = (action, style, values if style == "standard" else text)
    if neg:
        if lst is not None:
            p.idx(lst).remove(lambda e: (e.action, e.style, e.values if e.style == "standard" else e.text) == dkey)
        return None
    if lst is None:
        lst = master[name] = CommunityList(name, kind, style, p.loc())
    lst.style = style
    ix = p.idx(lst)
    if dkey in ix.keys:  # duplicates are ignored
        return None
    if seq is None:
        seq = (ix.max // 5) * 5 + 5
    ix.add(seq, dkey, CommunityListEntry(seq, action, style, p.loc(), text, values, regex))
    return None


def _as_path_list(p: FrrParser, c: _Cur, neg: bool) -> object:
    name = c.take("as-path access-list name")
    cfg = p.cfg
    lst = cfg.as_path_lists.get(name)
    if neg and not c.more():
        cfg.as_path_lists.pop(name, None)
        return None
    seq: int | None = None
    if c.opt("seq"):
        seq = c.int("sequence number", 0, 4294967295)
    action = c.kw("permit", "deny")
    words = c.rest()
    if not words:
        raise _Syntax(c.i, "regular expression")
    text = " ".join(words)
    try:
        compile_frr(text)
    except FrrRegexError as e:
        raise _Syntax(c.n - len(words), "", f"malformed as-path regular expression {text!r}: {e} "
                                            "(FRR rejects this line)") from None
    if neg:
        if lst is not None:
            p.idx(lst).remove(lambda e: e.action == action and e.regex == text)
        return None
    if lst is None:
        lst = cfg.as_path_lists[name] = AsPathList(name, p.loc())
    ix = p.idx(lst)
    if (action, text) in ix.keys:
        return None
    if seq is None:
        seq = (ix.max // 5) * 5 + 5
    ix.add(seq, (action, text), AsPathListEntry(seq, action, text, p.loc()))
    return None


# ------------------------------------------------------------------------------------------- route-map

def _h_route_map(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    if node.kind == "bgp-af":
        return _af_route_map_vpn(p, node, c, neg)
    name = c.take("route-map name")
    cfg = p.cfg
    if c.peek() == "optimization":
        c.i += 1
        c.end()
        rm = cfg.route_maps.get(name)
        if rm is None:
            if neg:  # FRR creates the map to remember the flag
                rm = cfg.route_maps[name] = RouteMap(name, p.loc())
                rm.clauses = {}
            else:
                return None
        rm.optimization = not neg
        rm.optimization_loc = p.loc()
        return None
    if neg and not c.more():
        cfg.route_maps.pop(name, None)
        return None
    action = c.kw("permit", "deny")
    seq = c.int("sequence number", 1, 65535)
    c.end()
    rm = cfg.route_maps.get(name)
    if neg:
        if rm is not None:
            rm.clauses.pop(seq, None)
            if not rm.clauses:
                cfg.route_maps.pop(name, None)
        return None
    if rm is None:
        rm = cfg.route_maps[name] = RouteMap(name, p.loc())
    cl = rm.clauses.get(seq)
    if cl is None:
        cl = rm.clauses[seq] = RouteMapClause(name, action, seq, p.loc())
    elif cl.action != action:
        p._warn(2, f"route-map {name} {seq} was `{cl.action}`; FRR changes it to `{action}` and keeps its "
                   "match/set statements")
        cl.action = action
        if action == "deny" and cl.exit_policy:
            cl.exit_policy = cl.goto = None
    p._push(_Node("route-map", _ROUTE_MAP, node, cl))
    return None


def _rm_add(items: list, new: RouteMapMatch | RouteMapSet, replace_kinds: tuple[str, ...]) -> RouteMapMatch | RouteMapSet | None:
    """FRR keeps one rule per match/set command in a clause: a second one replaces the first
    (and goes to the end of the list). Returns the replaced one."""
    old = None
    for k, x in enumerate(items):
        if x.kind in replace_kinds:
            old = items.pop(k)
            break
    items.append(new)
    return old


def _rm_match(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    cl = node.data
    assert isinstance(cl, RouteMapClause)
    toks = c.toks
    start = c.i
    w = c.take("match condition")
    value: object
    kind: str
    if w in ("ip", "ipv6"):
        what = c.kw("address", "next-hop", "route-source")
        if what == "address":
            if c.peek() == "prefix-list":
                c.i += 1
                kind, value = f"{w} address prefix-list", c.take("prefix-list name")
            elif c.peek() == "prefix-len":
                c.i += 1
                kind, value = f"{w} address prefix-len", c.int("prefix length", 0, 32 if w == "ip" else 128)
            else:
                kind, value = f"{w} address", c.take("access-list name")
        elif what == "next-hop":
            nxt = c.peek()
            if nxt == "prefix-list":
                c.i += 1
                kind, value = f"{w} next-hop prefix-list", c.take("prefix-list name")
            elif nxt == "address":
                c.i += 1
                kind, value = f"{w} next-hop address", c.addr("next hop address", 4 if w == "ip" else 6)
            elif nxt == "type":
                c.i += 1
                kind, value = f"{w} next-hop type", c.kw("blackhole")
            else:
                kind, value = f"{w} next-hop", c.take("access-list name")
        else:
            if w != "ip":
                raise _Syntax(c.i - 1, "`address` | `next-hop`")
            if c.opt("prefix-list"):
                kind, value = "ip route-source prefix-list", c.take("prefix-list name")
            else:
                kind, value = "ip route-source", c.take("access-list name")
    elif w in ("community", "large-community"):
        name = c.take(f"{w}-list name or number")
        exact = c.opt("exact-match")
        kind, value = w, (name, exact)
    elif w == "extcommunity":
        kind, value = w, c.take("extcommunity-list name")
    elif w == "as-path":
        kind, value = w, c.take("as-path access-list name")
    elif w == "metric":
        # The CLI grammar says (0-4294967295) but the YANG model (frr-route-map.yang
        # match-metric: 1..4294967295, FRR 8.4 and 10.x) refuses 0: the line is rejected,
        # so the clause ends up without a metric condition.
        if c.peek() == "0":
            raise _Syntax(c.i, "", "`match metric 0`: FRR refuses the line (its YANG model allows 1-4294967295), "
                                   "so the clause has no metric condition; routes without MED have metric 0")
        kind, value = w, c.int("metric", 1, 4294967295)
    elif w == "tag":
        kind, value = w, c.int("tag", 1, 4294967295)
    elif w == "local-preference":
        kind, value = w, c.int("local preference", 0, 4294967295)
    elif w == "origin":
        kind, value = w, Origin(c.kw("igp", "egp", "incomplete"))
    elif w == "peer":
        t = c.take("`local`, address or interface")
        if t == "local":
            value = "local"
        else:
            try:
                value = ipaddress.ip_address(t)
            except ValueError:
                value = t
        kind = w
    elif w in ("source-protocol", "source-vrf", "interface", "alias", "script", "mac"):
        if w == "mac":
            c.kw("address")
        kind, value = w if w != "mac" else "mac address", c.take("name")
    elif w == "rpki":
        kind, value = w, c.kw("valid", "invalid", "notfound")
    elif w == "evpn":
        sub = c.kw("vni", "route-type", "rd", "default-route")
        kind, value = f"evpn {sub}", " ".join(c.rest())
    elif w == "probability":
        kind, value = w, c.int("probability", 0, 100)
    elif w in ("community-limit", "extcommunity-limit"):
        kind, value = w, c.int("count", 0, 65535)
    else:
        raise _Syntax(c.i - 1, "`ip` | `ipv6` | `community` | `large-community` | `extcommunity` | `as-path` | "
                               "`metric` | `tag` | `local-preference` | `origin` | `peer` | ...")
    c.end()
    text = "match " + " ".join(toks[start:])
    if neg:
        cl.matches = [m for m in cl.matches if m.kind != kind]
        return None
    m = RouteMapMatch(kind, value, text, p.loc())
    old = _rm_add(cl.matches, m, (kind,))
    if old is not None and old.text != text:
        p._warn(0, f"FRR keeps one `match {kind}` per clause: `{old.text}` (line {old.loc.line}) is replaced; "
                   "to require several lists, use several clauses or one list")
    if kind in ("probability", "alias", "script", "rpki", "mac address") or kind.startswith("evpn"):
        p._unsupported(f"`match {kind}` is not modelled exactly (see policy evaluation notes)", True)
    return None


def _rm_set(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    cl = node.data
    assert isinstance(cl, RouteMapClause)
    toks = c.toks
    start = c.i
    w = c.take("set action")
    kind = w
    value: object = None
    replace: tuple[str, ...] | None = None
    if w in ("local-preference", "metric"):
        t = c.take("value, +value or -value")
        if w == "metric" and t in ("rtt", "+rtt", "-rtt"):
            value = (t[0] if t[0] in "+-" else "=", "rtt")
        else:
            op = t[0] if t[0] in "+-" else "="
            num = t[1:] if op != "=" else t
            if not _INT_RE.match(num) or int(num) > 4294967295:
                raise _Syntax(c.i - 1, "value (0-4294967295), +value or -value")
            value = (op, int(num))
    elif w in ("weight", "tag", "distance", "table", "label-index"):
        hi = {"distance": 255, "label-index": 1048560}.get(w, 4294967295)
        value = c.int(w, 0 if w != "tag" else 1, hi)
    elif w == "origin":
        value = Origin(c.kw("igp", "egp", "incomplete"))
    elif w in ("community", "large-community"):
        words = c.rest()
        if not words:
            raise _Syntax(c.i, "communities or `none`")
        if words == ["none"]:
            value = ("none", frozenset(), False)
        else:
            additive = words[-1] == "additive"
            if additive:
                words = words[:-1]
            parse = parse_community if w == "community" else parse_large_community
            vals = []
            for k, x in enumerate(words):
                v = parse(x)
                if v is None:
                    raise _Syntax(c.n - len(words) - (1 if additive else 0) + k,
                                  "AA:NN or a well-known community" if w == "community" else "AA:BB:CC")
                vals.append(v)
            if not vals:
                raise _Syntax(c.i, "communities")
            value = ("additive" if additive else "replace", frozenset(vals), additive)
    elif w in ("comm-list", "large-comm-list"):
        value = c.take("list name")
        c.kw("delete")
        kind = f"{w} delete"
    elif w == "extcommunity":
        sub = c.kw("rt", "soo", "none", "bandwidth", "color", "nt", "evpn")
        kind = f"extcommunity {sub}"
        if sub in ("rt", "soo"):
            vals = []
            for x in c.rest():
                e = parse_ext_community(sub, x)
                if e is None:
                    raise _Syntax(c.i - 1, "ASN:NN or A.B.C.D:NN")
                vals.append(e)
            if not vals:
                raise _Syntax(c.i, "ASN:NN or A.B.C.D:NN")
            value = frozenset(vals)
        else:
            value = " ".join(c.rest())
    elif w == "as-path":
        sub = c.kw("prepend", "exclude", "replace")
        kind = f"as-path {sub}"
        if sub == "prepend" and c.peek() == "last-as":
            c.i += 1
            value = ("last-as", c.int("count", 1, 10))
        elif sub == "replace":
            what = c.take("`any` or AS number")
            if what != "any" and parse_asn(what) is None:
                raise _Syntax(c.i - 1, "`any` or AS number")
            repl = c.asn() if c.more() else None
            value = (what, repl)
        else:
            words = c.rest()
            if not words:
                raise _Syntax(c.i, "AS numbers")
            if sub == "exclude" and words[0] in ("all", "as-path-access-list"):
                value = tuple(words)
            else:
                asns = []
                for k, x in enumerate(words):
                    a = parse_asn(x)
                    if a is None:
                        raise _Syntax(c.n - len(words) + k, "AS number")
                    asns.append(a)
                value = tuple(asns) if sub == "exclude" else ("asns", tuple(asns))
    elif w == "ip":
        c.kw("next-hop")
        t = c.take("address, `peer-address` or `unchanged`")
        if t in ("peer-address", "unchanged"):
            value = t
        else:
            c.i -= 1
            value = c.addr("IPv4 next hop", 4)
        kind = "ip next-hop"
    elif w == "ipv6":
        c.kw("next-hop")
        sub = c.kw("global", "local", "peer-address", "prefer-global")
        kind = f"ipv6 next-hop {sub}"
        if sub in ("global", "local"):
            value = c.addr("IPv6 address", 6)
    elif w in ("ipv4", "vpnv4", "vpnv6"):
        c.rest()
        kind = "vpn next-hop"
    elif w == "src":
        value = c.addr("source address")
    elif w == "aggregator":
        c.kw("as")
        value = (c.asn(), c.addr("IPv4 address", 4))
        kind = "aggregator as"
    elif w == "atomic-aggregate":
        value = True
    elif w == "originator-id":
        value = c.addr("IPv4 address", 4)
    elif w in ("evpn", "sr-te", "l3vpn", "aigp-metric", "mpls-label", "label"):
        value = " ".join(c.rest())
    else:
        raise _Syntax(c.i - 1, "`local-preference` | `metric` | `weight` | `community` | `large-community` | "
                               "`as-path` | `ip next-hop` | `ipv6 next-hop` | `origin` | `tag` | ...")
    c.end()
    text = "set " + " ".join(toks[start:])
    if neg:
        cl.sets = [s for s in cl.sets if s.kind != kind]
        return None
    s = RouteMapSet(kind, value, text, p.loc())
    old = _rm_add(cl.sets, s, replace or (kind,))
    if old is not None and old.text != text:
        p._warn(0, f"FRR keeps one `set {kind}` per clause: `{old.text}` (line {old.loc.line}) is replaced")
    if kind in ("vpn next-hop", "label-index", "table", "extcommunity bandwidth", "extcommunity color",
                "extcommunity nt", "extcommunity evpn") or kind.split()[0] in ("evpn", "sr-te", "l3vpn", "aigp-metric"):
        p._unsupported(f"`set {kind}` is not modelled", kind not in ("table",))
    return None


def _rm_onmatch(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    cl = node.data
    assert isinstance(cl, RouteMapClause)
    what = c.kw("next", "goto")
    target = c.int("sequence number", 1, 65535) if what == "goto" and not neg else None
    c.end()
    return _set_exit(p, cl, what, target, neg, 2)


def _rm_continue(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    cl = node.data
    assert isinstance(cl, RouteMapClause)
    if neg:
        cl.exit_policy = cl.goto = None
        return None
    target = c.int("sequence number", 1, 65535)
    c.end()
    return _set_exit(p, cl, "goto", target, neg, 1)


def _set_exit(p: FrrParser, cl: RouteMapClause, what: str, target: int | None, neg: bool, idx: int) -> object:
    if neg:
        cl.exit_policy = cl.goto = None
        return None
    if cl.action == "deny":
        p._error(0, "", f"`{' '.join(p._toks)}` in a deny clause: FRR refuses it (a deny clause cannot continue)")
        return None
    if target is not None and target <= cl.seq:
        p._error(idx, "", f"cannot jump backwards: target {target} is not after sequence {cl.seq} "
                          "(FRR rejects this line)")
        return None
    cl.exit_policy, cl.goto, cl.exit_loc = what, target, p.loc()
    return None


def _rm_call(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    cl = node.data
    assert isinstance(cl, RouteMapClause)
    if neg:
        cl.call = None
        return None
    name = c.take("route-map name")
    c.end()
    if name == cl.route_map:
        p._error(1, "", f"route-map {name} cannot call itself (FRR rejects this line)")
        return None
    cl.call = p._ref(name)
    return None


def _rm_description(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    cl = node.data
    assert isinstance(cl, RouteMapClause)
    cl.description = None if neg else p._rest_text(c.i)
    return None


# ------------------------------------------------------------------------------------------- interface / vrf

def _if_simple(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    itf = node.data
    assert isinstance(itf, Interface)
    key = c.toks[c.i - 1]
    if key == "description":
        itf.description = None if neg else p._rest_text(c.i)
    elif key == "shutdown":
        c.end()
        itf.shutdown = not neg
    elif key == "mtu":
        itf.mtu = None if neg else c.int("MTU", 1, 65535)
    return None


def _if_vrrp(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    """vrrpd: `vrrp N [version 2|3]`, `vrrp N ip|ipv6 ADDR`, `vrrp N priority P`, `[no] vrrp N preempt`,
    `vrrp N shutdown`; timers and checksum options do not change who owns the addresses."""
    itf = node.data
    assert isinstance(itf, Interface)
    vrid = c.int("VRRP virtual router id", 1, 255)
    vr = itf.vrrp.get(vrid)
    what = c.peek()
    if what is None or what == "version":
        if neg:
            itf.vrrp.pop(vrid, None)
            return None
        if vr is None:
            vr = itf.vrrp[vrid] = VrrpRouter(vrid, p.loc())
        if c.opt("version"):
            vr.version = c.int("VRRP version", 2, 3)
        c.end()
        return None
    if vr is None:  # any `vrrp N ...` sub-command creates the virtual router (vrrpd does)
        vr = itf.vrrp[vrid] = VrrpRouter(vrid, p.loc())
    c.take("VRRP setting")
    if what in ("ip", "ipv6"):
        addr = c.addr("virtual address", 4 if what == "ip" else 6)
        c.end()
        vr.addresses = [(a, l) for a, l in vr.addresses if a != addr]
        if not neg:
            vr.addresses.append((addr, p.loc()))
    elif what == "priority":
        if neg:
            vr.priority, vr.priority_loc = 100, None
        else:
            vr.priority, vr.priority_loc = c.int("VRRP priority", 1, 254), p.loc()
        c.end()
    elif what == "preempt":
        c.end()
        vr.preempt = not neg
    elif what == "shutdown":
        c.end()
        vr.shutdown = not neg
    elif what in ("advertisement-interval", "checksum-with-ipv4-pseudoheader"):
        p._unsupported(f"vrrp `{what}` (timing only, does not change the master)", False)
    else:
        raise _Syntax(c.i - 1, "`ip` | `ipv6` | `priority` | `preempt` | `version` | `shutdown` | "
                               "`advertisement-interval`")
    return None


def _if_unsupported(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    key = c.toks[c.i - 1]
    affects = key not in ("bandwidth", "link-detect", "multicast", "description")
    p._unsupported(f"interface `{key}` settings are not modelled", affects)
    return None


def _vrf_vni(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    v = node.data
    assert isinstance(v, Vrf)
    if neg:
        v.vni = None
        return None
    v.vni = c.int("VNI", 1, 16777215)
    v.vni_loc = p.loc()
    c.opt("prefix-routes-only")
    c.end()
    return None


def _vrf_unsupported(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    p._unsupported(f"VRF `{c.toks[c.i - 1]}` is not modelled", True)
    return None


# ------------------------------------------------------------------------------------------- router bgp

def _inst(node: _Node) -> BgpInstance:
    n: _Node | None = node
    while n is not None and not isinstance(n.data, BgpInstance):
        n = n.parent
    assert n is not None
    return n.data  # type: ignore[return-value]


def _bgp_bgp(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    inst = _inst(node)
    w = c.take("BGP option")
    on = not neg
    loc = p.loc()
    if node.kind == "bgp-af":
        if w == "dampening":
            p._unsupported("route flap dampening is not modelled", True)
            return None
        return NOMATCH
    if w == "router-id":
        if neg:
            inst.router_id = None
            return None
        a = c.addr("router-id (A.B.C.D)", 4)
        c.end()
        inst.router_id = a  # type: ignore[assignment]
    elif w == "default":
        sub = c.take("`ipv4-unicast` | `ipv6-unicast` | `local-preference` | ...")
        if sub == "ipv4-unicast":
            inst.default_ipv4_unicast = on
        elif sub == "ipv6-unicast":
            inst.default_ipv6_unicast = on
        elif sub in ("ipv4-multicast", "ipv4-vpn", "ipv4-flowspec", "ipv6-multicast", "ipv6-vpn", "ipv6-flowspec",
                     "ipv4-labeled-unicast", "ipv6-labeled-unicast", "l2vpn-evpn"):
            p._unsupported(f"`bgp default {sub}` not modelled", True)
        elif sub == "local-preference":
            inst.default_local_pref = None if neg else c.int("local preference", 0, 4294967295)
        elif sub in ("show-hostname", "show-nexthop-hostname", "subgroup-pkt-queue-max"):
            p._unsupported("display option", False)
            return None
        else:
            raise _Syntax(c.i - 1, "`ipv4-unicast` | `ipv6-unicast` | `local-preference` | `show-hostname` | ...")
        inst.locs[f"default {sub}"] = loc
        return None
    elif w in ("ebgp-requires-policy", "deterministic-med", "always-compare-med", "log-neighbor-changes",
               "suppress-fib-pending", "suppress-duplicates", "reject-as-sets", "enforce-first-as"):
        c.end()
        setattr(inst, w.replace("-", "_"), on)
    elif w == "network":
        c.kw("import-check")
        inst.network_import_check = on
        inst.network_import_check_exact = c.opt("exact") and on
        c.end()
    elif w == "bestpath":
        return _bgp_bestpath(p, inst, c, neg)
    elif w == "cluster-id":
        inst.cluster_id = None if neg else c.take("cluster-id (A.B.C.D or number)")
    elif w == "client-to-client":
        c.kw("reflection")
        inst.client_to_client_reflection = on
    elif w == "route-reflector":
        c.kw("allow-outbound-policy")
        inst.rr_allow_outbound_policy = on
    elif w == "listen":
        sub = c.kw("range", "limit")
        if sub == "limit":
            inst.listen_limit = None if neg else c.int("limit", 1, 65535)
            c.end()
        else:
            net, hostbits = c.prefix("listen range prefix")
            c.kw("peer-group")
            name_idx = c.i
            g = c.take("peer-group name")
            c.end()
            if neg:
                inst.listen_ranges = [r for r in inst.listen_ranges if not (r.prefix == net and r.peer_group == g)]
                return None
            grp = inst.neighbors.get(g)
            if grp is None or not grp.is_group:
                raise _Syntax(name_idx, "", f"peer-group {g} is not configured (FRR: `Configure the peer-group "
                                            "first`); the listen range is ignored")
            for r in inst.listen_ranges:
                if r.prefix.version == net.version and r.prefix.overlaps(net) and r.peer_group != g:  # type: ignore[arg-type]
                    raise _Syntax(c.i - 3, "", f"listen range {net} overlaps {r.prefix} of peer-group "
                                               f"{r.peer_group} (FRR rejects it)")
            inst.listen_ranges.append(ListenRange(net, g, loc))
    elif w == "confederation":
        sub = c.kw("identifier", "peers")
        if sub == "identifier":
            inst.confederation_id = None if neg else c.asn()
        else:
            asns = tuple(parse_asn(x) or 0 for x in c.rest())
            inst.confederation_peers = () if neg else asns
        p._unsupported("BGP confederations are recorded but not simulated", True)
    elif w in ("graceful-restart", "graceful-restart-disable", "graceful-shutdown", "update-delay", "max-med",
               "fast-external-failover", "coalesce-time", "minimum-holdtime", "long-lived-graceful-restart",
               "hard-administrative-reset", "session-dscp", "disable-ebgp-connected-route-check", "no-rib",
               "local-mac", "route-map", "labeled-unicast", "shutdown", "allow-martian-nexthop", "conditional-advertisement",
               "send-extra-data", "default-originate", "ipv6-auto-ra", "dynamic-capability", "link-state",
               "input-queue-limit", "output-queue-limit", "bestpath-selection-deferral", "packet"):
        affects = w in ("graceful-shutdown", "max-med", "disable-ebgp-connected-route-check", "no-rib", "shutdown",
                        "allow-martian-nexthop", "labeled-unicast", "conditional-advertisement")
        p._unsupported(f"`bgp {w}` is not modelled", affects)
        return None
    else:
        raise _Syntax(c.i - 1, "BGP option (`router-id`, `default`, `bestpath`, `listen`, ...)")
    inst.locs[w] = loc
    return None


def _bgp_bestpath(p: FrrParser, inst: BgpInstance, c: _Cur, neg: bool) -> object:
    on = not neg
    w = c.kw("as-path", "compare-routerid", "med", "peer-type", "bandwidth", "aigp")
    key = f"bestpath {w}"
    if w == "as-path":
        sub = c.kw("ignore", "confed", "multipath-relax")
        key = f"bestpath as-path {sub}"
        if sub == "multipath-relax":
            c.opt("as-set") or c.opt("no-as-set")
        setattr(inst, f"bestpath_as_path_{sub.replace('-', '_')}", on)
    elif w == "compare-routerid":
        inst.bestpath_compare_routerid = on
    elif w == "med":
        seen = False
        while c.more():
            x = c.kw("confed", "missing-as-worst")
            setattr(inst, f"bestpath_med_{x.replace('-', '_')}", on)
            seen = True
        if not seen:
            raise _Syntax(c.i, "`confed` | `missing-as-worst`")
    elif w == "peer-type":
        c.kw("multipath-relax")
        inst.bestpath_peer_type_multipath_relax = on
    else:
        p._unsupported(f"`bgp bestpath {w}` is not modelled", True)
        return None
    c.end()
    inst.locs[key] = p.loc()
    return None


def _bgp_timers(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    if node.kind != "bgp":
        return NOMATCH
    inst = _inst(node)
    c.kw("bgp")
    if neg:
        inst.timers = None
        return None
    k = c.int("keepalive", 0, 65535)
    h = c.int("hold time", 0, 65535)
    c.end()
    inst.timers = (k, h)
    inst.locs["timers"] = p.loc()
    return None


def _bgp_af(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    if node.kind != "bgp":
        return NOMATCH
    inst = _inst(node)
    afi = c.kw(*_AFIS)
    if afi == "l2vpn" or (c.more() and c.peek() != "vrf"):
        safi = c.kw(*_SAFIS[afi])
    else:
        safi = "unicast"  # `address-family ipv6` alone means unicast
    if c.opt("vrf"):
        c.take("VRF name")
    c.end()
    key = AfKey(afi, safi)
    if neg:
        inst.afs.pop(key, None)
        return None
    af = inst.af(key, p.loc())
    if key not in (IPV4_UNICAST, IPV6_UNICAST):
        p._unsupported(f"address-family {key} is recorded (activations) but not simulated", True)
    p._push(_Node("bgp-af", _BGP_AF, node, af, key))
    return None


def _af_of(p: FrrParser, node: _Node) -> BgpAf:
    inst = _inst(node)
    if node.kind == "bgp-af":
        return node.data  # type: ignore[return-value]
    return inst.af(IPV4_UNICAST, inst.loc)


def _af_key(node: _Node) -> AfKey:
    return node.af or IPV4_UNICAST


def _bgp_network(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    key = _af_key(node)
    if key.family is None:
        p._unsupported(f"`network` in {key} is not modelled", True)
        return None
    t_idx = c.i
    net, hostbits = c.prefix(f"IPv{key.family} prefix", None)
    if net.version != key.family:
        if node.kind == "bgp-af":  # FRR tries `router bgp` (ipv4 unicast) next
            return NOMATCH
        raise _Syntax(t_idx, f"IPv{key.family} prefix" + (
            " (lines directly under `router bgp` are ipv4 unicast; IPv6 goes under `address-family ipv6 unicast`)"
            if node.kind == "bgp" else ""))
    if key.family == 4 and c.peek() == "mask":
        c.i += 1
        c.take("mask")
    n = Network(net, p.loc())
    while c.more():
        w = c.kw("route-map", "backdoor", "label-index")
        if w == "route-map":
            n.route_map = p._ref(c.take("route-map name"))
        elif w == "backdoor":
            n.backdoor = True
        else:
            n.label_index = c.int("label index", 0, 1048560)
    if hostbits:
        p._warn(t_idx, f"prefix {c.toks[t_idx]} has host bits set; FRR originates {net}")
    af = _af_of(p, node)
    af.networks = [x for x in af.networks if x.prefix != net]
    if not neg:
        af.networks.append(n)
    return None


def _bgp_aggregate(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    key = _af_key(node)
    if key.family is None:
        p._unsupported(f"`aggregate-address` in {key} is not modelled", True)
        return None
    t_idx = c.i
    net, hostbits = c.prefix(f"IPv{key.family} prefix")
    if net.version != key.family:
        if node.kind == "bgp-af":
            return NOMATCH
        raise _Syntax(t_idx, f"IPv{key.family} prefix")
    a = Aggregate(net, p.loc())
    while c.more():
        w = c.kw("summary-only", "as-set", "route-map", "origin", "matching-MED-only", "suppress-map")
        if w == "summary-only":
            a.summary_only = True
        elif w == "as-set":
            a.as_set = True
        elif w == "route-map":
            a.route_map = p._ref(c.take("route-map name"))
        elif w == "origin":
            a.origin = c.kw("igp", "egp", "incomplete")
        elif w == "matching-MED-only":
            a.matching_med_only = True
        else:
            a.suppress_map = p._ref(c.take("route-map name"))
    af = _af_of(p, node)
    af.aggregates = [x for x in af.aggregates if x.prefix != net]
    if not neg:
        af.aggregates.append(a)
    return None


def _bgp_redistribute(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    key = _af_key(node)
    src = c.take("route source")
    if src not in _REDIST_SOURCES:
        raise _Syntax(c.i - 1, " | ".join(f"`{s}`" for s in _REDIST_SOURCES[:8]) + " | ...")
    r = Redistribute(src, p.loc())
    if src in ("ospf", "table", "table-direct") and c.peek() is not None and _INT_RE.match(c.peek() or ""):
        r.instance = c.int("instance", 1, 65535)
    while c.more():
        w = c.kw("route-map", "metric")
        if w == "route-map":
            r.route_map = p._ref(c.take("route-map name"))
        else:
            r.metric = c.int("metric", 0, 4294967295)
    if key.family is None:
        p._unsupported(f"`redistribute` in {key} is not modelled", True)
        return None
    af = _af_of(p, node)
    af.redistributes = [x for x in af.redistributes if not (x.source == src and x.instance == r.instance)]
    if not neg:
        af.redistributes.append(r)
    return None


def _bgp_maximum_paths(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    af = _af_of(p, node)
    ibgp = c.opt("ibgp")
    n = None if neg and not c.more() else c.int("number of paths", 1, 1024)
    eq = c.opt("equal-cluster-length")
    c.end()
    if ibgp:
        af.maximum_paths_ibgp = n
        af.maximum_paths_ibgp_equal_cluster_length = eq
    else:
        af.maximum_paths = n
    af.locs["maximum-paths ibgp" if ibgp else "maximum-paths"] = p.loc()
    return None


def _bgp_distance(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    af = _af_of(p, node)
    if c.peek() != "bgp":
        p._unsupported("per-prefix `distance` is not modelled", True)
        return None
    c.i += 1
    if neg:
        af.distance = None
        return None
    af.distance = (c.int("eBGP distance", 1, 255), c.int("iBGP distance", 1, 255), c.int("local distance", 1, 255))
    c.end()
    af.locs["distance"] = p.loc()
    return None


def _bgp_table_map(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    af = _af_of(p, node)
    af.table_map = None if neg else p._ref(c.take("route-map name"))
    p._unsupported("`table-map` (route-map applied when installing into zebra) is not evaluated", True)
    return None


def _bgp_unsupported(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    key = c.toks[c.i - 1]
    affects = key not in ("coalesce-time", "write-quanta", "read-quanta", "update-delay")
    p._unsupported(f"`{key}` is not modelled", affects)
    return None


def _bgp_opaque(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    key = c.toks[c.i - 1]
    if key == "segment-routing" and node.kind == "bgp-af":
        return NOMATCH
    if key == "vni" and not (node.kind == "bgp-af" and node.af is not None and node.af.afi == "l2vpn"):
        if node.kind == "vrf":
            return _vrf_vni(p, node, c, neg)
        return NOMATCH
    why, affects = _OPAQUE_BLOCKS.get(key, ("not modelled", True))
    if neg:
        p._unsupported(why, affects)
        return None
    p._open_opaque(node, why, affects)
    return None


def _af_import(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    if node.kind != "bgp-af":
        return NOMATCH
    af = node.data
    assert isinstance(af, BgpAf)
    w = c.kw("vrf", "vpn")
    if w == "vpn":
        c.end()
        af.import_vpn = not neg
        p._unsupported("L3VPN import is recorded but not simulated", True)
        return None
    if c.peek() == "route-map":
        c.i += 1
        if neg:
            af.import_vrf_route_map = None
            return None
        af.import_vrf_route_map = p._ref(c.take("route-map name"))
        c.end()
        return None
    name = c.take("VRF name")
    c.end()
    af.import_vrfs = [r for r in af.import_vrfs if r.name != name]
    if not neg:
        if name == _inst(node).vrf:
            raise _Syntax(c.i - 1, "", f"cannot import VRF {name} into itself (FRR rejects this line)")
        af.import_vrfs.append(p._ref(name))
    return None


def _af_vpn(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    """`rd vpn export X`, `rt vpn both|import|export X...`, `label vpn export N|auto`,
    `export vpn`, `nexthop vpn export A`: recorded for reference; VPN leaking between
    VRFs other than `import vrf` is not simulated."""
    if node.kind != "bgp-af":
        return NOMATCH
    af = node.data
    assert isinstance(af, BgpAf)
    key = c.toks[c.i - 1]
    if key == "export":
        c.kw("vpn")
        af.export_vpn = not neg
    elif key == "rd":
        c.kw("vpn")
        c.kw("export")
        af.rd_vpn = None if neg else c.take("route distinguisher")
    elif key == "rt":
        c.kw("vpn")
        d = c.kw("both", "import", "export", "redirect")
        vals = tuple(c.rest())
        if d in ("both", "import"):
            af.rt_vpn_import = () if neg else vals
        if d in ("both", "export"):
            af.rt_vpn_export = () if neg else vals
    elif key == "label":
        c.kw("vpn")
        c.kw("export")
        af.label_vpn = None if neg else c.take("label or `auto`")
    else:
        p._unsupported(f"`{key}` is not modelled", True)
        return None
    af.locs[key] = p.loc()
    p._unsupported(f"`{' '.join(c.toks)}`: L3VPN export/import is recorded but not simulated", True)
    return None


def _af_route_map_vpn(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    af = node.data
    assert isinstance(af, BgpAf)
    if c.peek() != "vpn":
        return NOMATCH
    c.i += 1
    d = c.kw("import", "export")
    ref = None if neg else p._ref(c.take("route-map name"))
    if d == "import":
        af.route_map_vpn_import = ref
    else:
        af.route_map_vpn_export = ref
    p._unsupported("L3VPN route-maps are recorded but not simulated", True)
    return None


def _af_evpn(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    if node.kind != "bgp-af":
        return NOMATCH
    af = node.data
    assert isinstance(af, BgpAf)
    if c.toks[c.i - 1] == "advertise" and c.peek() in ("ipv4", "ipv6") and c.i + 1 < c.n and c.toks[c.i + 1] == "unicast":
        fam = 4 if c.take("family") == "ipv4" else 6
        c.i += 1
        rm = None
        if c.opt("route-map"):
            rm = p._ref(c.take("route-map name"))
        elif c.opt("gateway-ip"):
            pass
        if neg:
            af.evpn_advertise.pop(fam, None)
        else:
            af.evpn_advertise[fam] = rm
    p._unsupported(f"`{c.toks[c.i - 1]}` (EVPN) is not modelled", True)
    return None


# ------------------------------------------------------------------------------------------- neighbor

_SESSION_SUBCMDS = frozenset((
    "remote-as", "peer-group", "interface", "local-as", "update-source", "ebgp-multihop", "ttl-security",
    "disable-connected-check", "enforce-multihop", "passive", "shutdown", "password", "timers", "description", "bfd",
    "enforce-first-as", "port", "solo", "dont-capability-negotiate", "override-capability", "strict-capability-match",
    "advertisement-interval", "local-role", "sender-as-path-loop-detection", "extended-optional-parameters",
    "graceful-restart", "graceful-restart-disable", "graceful-restart-helper", "tcp-mss", "as-loop-detection",
    "disable-link-bw-encoding-ieee", "path-attribute", "capability", "aigp", "oad", "accept-own",
    "extended-link-bandwidth", "ip-transparent", "addpath-rx-paths-limit"))
_AF_SUBCMDS = frozenset((
    "activate", "route-map", "prefix-list", "filter-list", "distribute-list", "unsuppress-map", "next-hop-self",
    "route-reflector-client", "route-server-client", "allowas-in", "as-override", "remove-private-AS",
    "maximum-prefix", "maximum-prefix-out", "default-originate", "soft-reconfiguration", "send-community",
    "attribute-unchanged", "weight", "addpath-tx-all-paths", "addpath-tx-bestpath-per-AS",
    "addpath-tx-best-selected", "disable-addpath-rx", "nexthop-local", "soo", "dampening", "orf",
    "conditional-advertisement", "advertise-map", "encapsulation-mpls", "encapsulation-srv6"))


_NBR_CACHE: dict[str, tuple[ipaddress.IPv4Address | ipaddress.IPv6Address | None, str | None]] = {}


def _nbr_name(c: _Cur) -> tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address | None, str | None]:
    t = c.take("neighbor address, interface or peer-group name")
    got = _NBR_CACHE.get(t)
    if got is None:
        a, _, scope = t.partition("%")
        addr = None
        if ":" in a or a[:1].isdigit():  # names of groups and interfaces rarely look like addresses
            try:
                addr = ipaddress.ip_address(a)
            except ValueError:
                addr = None
        got = (addr, (scope or None) if addr is not None else None)
        if len(_NBR_CACHE) < 100000:
            _NBR_CACHE[t] = got
    return t, got[0], got[1]


def _bgp_neighbor(p: FrrParser, node: _Node, c: _Cur, neg: bool) -> object:
    inst = _inst(node)
    name_idx = c.i
    name, addr, scope = _nbr_name(c)
    sub = c.peek()
    if sub is None:
        raise _Syntax(c.i, "neighbor option")
    in_af = node.kind == "bgp-af"
    if in_af and sub not in _AF_SUBCMDS and not (sub == "capability" and c.i + 1 < c.n and c.toks[c.i + 1] == "orf"):
        return NOMATCH
    c.i += 1
    if addr is not None:  # FRR compares addresses, not spellings
        name = str(addr) + (f"%{scope}" if scope else "")
    nbr = inst.neighbors.get(name)
    # --- creating forms
    if sub == "peer-group" and not c.more():
        if neg:
            inst.neighbors.pop(name, None)
            return None
        if addr is not None:
            raise _Syntax(name_idx, "peer-group name (not an address)")
        if nbr is None:
            nbr = inst.neighbors[name] = Neighbor(name, "peer-group", p.loc(), default_afs=_default_afs(inst))
        elif not nbr.is_group:
            raise _Syntax(name_idx, "", f"{name} is already an interface neighbor, not a peer-group")
        return None
    if sub == "interface" and addr is None:
        return _nbr_interface(p, inst, name, c, neg)
    if sub == "interface" and addr is not None:  # link-local neighbor bound to an interface
        ifname = c.take("interface name")
        if nbr is None:
            raise _Syntax(name_idx, "", f"neighbor {name} is not configured (FRR: `Specify remote-as or peer-group "
                                        "commands first`)")
        nbr.scope = None if neg else ifname
        return None
    if sub == "remote-as":
        mode, asn = _remote_as(c)
        c.end()
        if neg:
            if nbr is not None and not nbr.is_group and nbr.peer_group is None:
                inst.neighbors.pop(name, None)
            elif nbr is not None:
                nbr.remote_as = nbr.remote_as_mode = None
            return None
        if nbr is None:
            if addr is None:
                raise _Syntax(name_idx, "", f"{name} is neither a peer-group nor an interface neighbor (FRR: `Create "
                                            "the peer-group or interface first`)")
            nbr = inst.neighbors[name] = Neighbor(name, "address", p.loc(), address=addr, scope=scope,
                                                  default_afs=_default_afs(inst))
        elif nbr.peer_group is not None:
            g = inst.neighbors.get(nbr.peer_group)
            if g is not None and g.remote_as_mode is not None and (g.remote_as_mode, g.remote_as) != (mode, asn):
                p._error(c.n - 1, "", f"peer-group member {name} cannot override the remote-as of peer-group "
                                      f"{g.name} (FRR rejects this line)")
                return None
        nbr.remote_as_mode, nbr.remote_as = mode, asn
        nbr.locs["remote_as"] = nbr.locs["remote_as_mode"] = p.loc()
        return None
    if sub == "peer-group":
        gname_idx = c.i
        gname = c.take("peer-group name")
        c.end()
        g = inst.neighbors.get(gname)
        if neg:
            if nbr is not None and nbr.peer_group == gname:
                inst.neighbors.pop(name, None)
            return None
        if g is None or not g.is_group:
            raise _Syntax(gname_idx, "", f"peer-group {gname} is not configured (FRR: `Configure the peer-group "
                                         "first`)")
        if nbr is None:
            if addr is None:
                raise _Syntax(name_idx, "", f"malformed address or name: {name}")
            nbr = inst.neighbors[name] = Neighbor(name, "address", p.loc(), address=addr, scope=scope)
        elif nbr.is_group:
            raise _Syntax(name_idx, "", f"{name} is a peer-group; peer-groups cannot be members of peer-groups")
        elif nbr.peer_group not in (None, gname):
            raise _Syntax(gname_idx, "", f"{name} already belongs to peer-group {nbr.peer_group} (FRR: `Cannot change "
                                         "the peer-group. Deconfigure first`)")
        nbr.peer_group = gname
        nbr.locs["peer_group"] = p.loc()
        return None
    if nbr is None:
        if addr is not None:
            dyn = any(r.prefix.version == addr.version and addr in r.prefix for r in inst.listen_ranges)
            hint = " (it is covered by a listen range: configure its peer-group instead)" if dyn else ""
        else:
            hint = ""
        raise _Syntax(name_idx, "", f"neighbor {name} is not configured (FRR: `Specify remote-as or peer-group "
                                    f"commands first`){hint}; the line is ignored")
    if sub in _AF_SUBCMDS or (sub == "capability" and c.peek() == "orf"):
        return _nbr_af(p, node, nbr, sub, c, neg)
    if sub in _SESSION_SUBCMDS:
        return _nbr_session(p, inst, nbr, sub, c, neg)
    raise _Syntax(c.i - 1, "neighbor option (`remote-as`, `peer-group`, `activate`, `route-map`, ...)")


def _default_afs(inst: BgpInstance) -> frozenset[AfKey]:
    out = set()
    if inst.default_ipv4_unicast is not False:
        out.add(IPV4_UNICAST)
    if inst.default_ipv6_unicast:
        out.add(IPV6_UNICAST)
    return frozenset(out)


def _remote_as(c: _Cur) -> tuple[str, int | None]:
    t = c.take("AS number | `internal` | `external`")
    if t in ("internal", "external", "auto"):
        return t, None
    v = parse_asn(t)
    if v is None:
        raise _Syntax(c.i - 1, "AS number | `internal` | `external`")
    return "number", v


def _nbr_interface(p: FrrParser, inst: BgpInstance, name: str, c: _Cur, neg: bool) -> object:
    """`neighbor eth0 interface [v6only] [peer-group G | remote-as X]` (BGP unnumbered)."""
    v6only = c.opt("v6only")
    group = None
    mode, asn = None, None
    if c.opt("peer-group"):
        group = c.take("peer-group name")
    elif c.opt("remote-as"):
        mode, asn = _remote_as(c)
    c.end()
    if neg:
        inst.neighbors.pop(name, None)
        return None
    nbr = inst.neighbors.get(name)
    if nbr is not None and nbr.is_group:
        raise _Syntax(1, "", f"{name} is a peer-group name")
    if group is not None:
        g = inst.neighbors.get(group)
        if g is None or not g.is_group:
            raise _Syntax(c.n - 1, "", f"peer-group {group} is not configured (FRR: `Configure the peer-group first`)")
    if nbr is None:
        nbr = inst.neighbors[name] = Neighbor(name, "interface", p.loc(), scope=name, default_afs=_default_afs(inst))
        nbr.capability_extended_nexthop = True  # FRR turns it on for interface neighbors
    nbr.v6only = v6only
    if group:
        nbr.peer_group = group
        nbr.locs["peer_group"] = p.loc()
    if mode:
        nbr.remote_as_mode, nbr.remote_as = mode, asn
        nbr.locs["remote_as"] = nbr.locs["remote_as_mode"] = p.loc()
    return None


def _nbr_session(p: FrrParser, inst: BgpInstance, nbr: Neighbor, sub: str, c: _Cur, neg: bool) -> object:
    on = not neg
    loc = p.loc()
    field: str | None = sub.replace("-", "_")
    value: object = on
    if sub == "local-as":
        if neg:
            nbr.local_as = None
            nbr.local_as_no_prepend = nbr.local_as_replace_as = nbr.local_as_dual_as = False
            return None
        nbr.local_as = c.asn()
        if nbr.local_as == inst.asn:
            raise _Syntax(c.i - 1, "", "local-as cannot be the instance's own AS (FRR rejects this line)")
        if c.opt("no-prepend"):
            nbr.local_as_no_prepend = True
            if c.opt("replace-as"):
                nbr.local_as_replace_as = True
                nbr.local_as_dual_as = c.opt("dual-as")
        c.end()
        nbr.locs["local_as"] = loc
        return None
    if sub == "update-source":
        value = None if neg else c.take("address or interface")
    elif sub == "ebgp-multihop":
        value = None if neg else (c.int("TTL", 1, 255) if c.more() else 255)
    elif sub == "ttl-security":
        c.kw("hops")
        value = None if neg else c.int("hops", 1, 254)
    elif sub in ("disable-connected-check", "enforce-multihop"):
        field = "disable_connected_check"
    elif sub == "capability":
        cap = c.kw("extended-nexthop", "dynamic", "software-version", "fqdn", "link-local", "role")
        if cap not in ("extended-nexthop", "dynamic"):
            p._unsupported(f"`capability {cap}` is not modelled", False)
            return None
        field = f"capability_{cap.replace('-', '_')}"
    elif sub == "password":  # LINE: the rest of the line, spaces included
        value = None if neg else " ".join(c.toks[c.i:]) or c.take("password")
        c.i = c.n
    elif sub == "timers":
        if c.peek() in ("connect", "delayopen"):
            what = c.take("`connect`")
            if what == "delayopen":
                p._unsupported("delay-open timer is not modelled", False)
                return None
            field, value = "connect_timer", None if neg else c.int("connect retry", 1, 65535)
        else:
            value = None if neg else (c.int("keepalive", 0, 65535), c.int("hold time", 0, 65535))
    elif sub == "description":
        value = None if neg else p._rest_text(c.i)
        c.rest()
    elif sub == "bfd":
        c.rest()
        p._unsupported("BFD is recorded but not modelled", False)
    elif sub == "port":
        value = None if neg else c.int("port", 0, 65535)
    elif sub == "advertisement-interval":
        value = None if neg else c.int("seconds", 0, 600)
    elif sub == "local-role":
        value = None if neg else c.kw("provider", "rs-server", "rs-client", "customer", "peer")
        c.opt("strict-mode")
    elif sub == "shutdown":
        c.rest()
    elif sub in ("passive", "enforce-first-as", "solo", "dont-capability-negotiate", "sender-as-path-loop-detection"):
        pass
    else:
        c.rest()
        p._unsupported(f"`neighbor {sub}` is not modelled", sub in ("path-attribute", "aigp", "accept-own", "oad"))
        return None
    c.end()
    assert field is not None
    setattr(nbr, field, value)
    nbr.locs[field] = loc
    return None


def _nbr_af(p: FrrParser, node: _Node, nbr: Neighbor, sub: str, c: _Cur, neg: bool) -> object:
    key = _af_key(node)
    a = nbr.af(key)
    on = not neg
    loc = p.loc()
    field = sub.replace("-", "_")
    value: object = on
    if sub == "activate":
        c.end()
        a.activate = on
        a.locs["activate"] = loc
        return None
    if sub in ("route-map", "prefix-list", "filter-list", "distribute-list"):
        ref_name = c.take(f"{sub} name")
        d = c.kw("in", "out")
        c.end()
        field = f"{sub.replace('-', '_')}_{d}"
        value = None if neg else p._ref(ref_name)
        other = {"prefix-list": "distribute_list", "distribute-list": "prefix_list"}.get(sub)
        if not neg and other is not None and getattr(a, f"{other}_{d}") is not None:
            raise _Syntax(2 if not neg else 3, "", "a neighbor cannot have both a prefix-list and a distribute-list "
                                                   "in the same direction (FRR rejects this line)")
    elif sub == "unsuppress-map":
        value = None if neg else p._ref(c.take("route-map name"))
    elif sub == "next-hop-self":
        mode = c.peek()
        if mode in ("force", "all"):
            c.i += 1
        value = "" if neg else (mode if mode in ("force", "all") else "self")
    elif sub == "allowas-in":
        if neg:
            value = 0
        elif c.more():
            t = c.take("count (1-10) or `origin`")
            if t == "origin":
                value = "origin"
            elif _INT_RE.match(t) and 1 <= int(t) <= 10:
                value = int(t)
            else:
                raise _Syntax(c.i - 1, "count (1-10) or `origin`")
        else:
            value = 3
    elif sub == "remove-private-AS":
        words = c.rest()
        if any(w not in ("all", "replace-AS") for w in words):
            raise _Syntax(c.n - 1, "`all` | `replace-AS`")
        field, value = "remove_private_as", "" if neg else (" ".join(words) or "on")
    elif sub == "maximum-prefix":
        if neg:
            value = None
            c.rest()
        else:
            value = c.int("maximum prefixes", 1, 4294967295)
            a.maximum_prefix_options = tuple(c.rest())
    elif sub == "maximum-prefix-out":
        value = None if neg else c.int("maximum prefixes", 1, 4294967295)
    elif sub == "default-originate":
        rm = None
        if c.opt("route-map"):
            rm = p._ref(c.take("route-map name"))
        a.default_originate_route_map = None if neg else rm
        a.locs["default_originate_route_map"] = loc
    elif sub == "soft-reconfiguration":
        c.kw("inbound")
        field = "soft_reconfiguration_inbound"
    elif sub == "send-community":
        kind = c.peek()
        if kind is not None:
            c.kw("standard", "large", "extended", "all", "both")
        c.end()
        # Without a type the command is about standard communities only (FRR sends all three by default).
        kinds = {"standard": ("send_community",), "large": ("send_community_large",),
                 "extended": ("send_community_extended",), "both": ("send_community", "send_community_extended"),
                 None: ("send_community",),
                 "all": ("send_community", "send_community_large", "send_community_extended")}[kind]
        for f in kinds:
            setattr(a, f, on)
            a.locs[f] = loc
        return None
    elif sub == "attribute-unchanged":
        words = c.rest()
        if any(w not in ("as-path", "next-hop", "med") for w in words):
            raise _Syntax(c.n - 1, "`as-path` | `next-hop` | `med`")
        value = None if neg else frozenset(words or ("as-path", "next-hop", "med"))
    elif sub == "weight":
        value = None if neg else c.int("weight", 0, 65535)
    elif sub in ("addpath-tx-all-paths", "addpath-tx-bestpath-per-AS", "addpath-tx-best-selected"):
        c.rest()
        field, value = "addpath_tx", None if neg else sub
    elif sub == "nexthop-local":
        c.kw("unchanged")
        field = "nexthop_local_unchanged"
    elif sub == "capability":
        c.kw("orf")
        c.kw("prefix-list")
        field, value = "capability_orf", None if neg else c.kw("both", "send", "receive")
    elif sub == "soo":
        field, value = "soo", None if neg else c.take("site of origin")
    elif sub in ("route-reflector-client", "route-server-client", "as-override"):
        pass
    else:
        c.rest()
        p._unsupported(f"`neighbor {sub}` is not modelled", sub not in ("disable-addpath-rx",))
        return None
    c.end()
    setattr(a, field, value)
    a.locs[field] = loc
    return None


# =============================================================================================== tables

from podpath.readers.frr import ospf as _ospf  # noqa: E402  (its handlers use the helpers above)

_CONFIG: dict[str, _Handler] = {
    "frr": _h_frr, "hostname": _h_hostname, "interface": _h_interface, "vrf": _h_vrf, "ip": _h_ip,
    "ipv6": _h_ipv6, "access-list": _h_access_list, "route-map": _h_route_map, "bgp": _h_bgp_top,
    "router": _h_router, "Building": _h_showrun_header, "Current": _h_showrun_header,
}
for _w in _TOP_UNSUPPORTED:
    _CONFIG.setdefault(_w, _h_cosmetic)
for _w in _OPAQUE_BLOCKS:
    if _w not in ("link-params", "vni", "bmp", "vnc", "vrf-policy", "profile", "sid"):
        _CONFIG.setdefault(_w, _h_opaque)
_CONFIG["mpls"] = _h_opaque

_INTERFACE: dict[str, _Handler] = {
    "ip": _h_ip, "ipv6": _h_ipv6, "description": _if_simple, "shutdown": _if_simple, "mtu": _if_simple,
    "exit": _h_exit, "exit-interface": _h_exit, "link-params": _bgp_opaque,
}
for _w in ("bandwidth", "link-detect", "multicast", "evpn", "pim", "isis", "openfabric", "mpls", "vrrp", "bfd",
           "ospf", "ospf6", "babel", "nhrp", "rip", "ripng", "ldp", "ptm-enable", "mac", "tunnel", "sharp"):
    _INTERFACE[_w] = _if_unsupported
_INTERFACE["vrrp"] = _if_vrrp

_INTERFACE["bandwidth"] = _ospf.bandwidth

_VRF: dict[str, _Handler] = {
    "vni": _vrf_vni, "ip": _h_ip, "ipv6": _h_ipv6, "exit-vrf": _h_exit, "exit": _h_exit,
    "netns": _vrf_unsupported, "mpls": _vrf_unsupported, "table": _vrf_unsupported,
}

_BGP: dict[str, _Handler] = {
    "bgp": _bgp_bgp, "neighbor": _bgp_neighbor, "timers": _bgp_timers, "address-family": _bgp_af,
    "network": _bgp_network, "aggregate-address": _bgp_aggregate, "redistribute": _bgp_redistribute,
    "maximum-paths": _bgp_maximum_paths, "distance": _bgp_distance, "table-map": _bgp_table_map,
    "exit": _h_exit, "coalesce-time": _bgp_unsupported, "update-delay": _bgp_unsupported,
    "write-quanta": _bgp_unsupported, "read-quanta": _bgp_unsupported, "segment-routing": _bgp_opaque,
    "bmp": _bgp_opaque, "vnc": _bgp_opaque, "vrf-policy": _bgp_opaque, "sid": _bgp_unsupported,
    "srv6-locator": _bgp_unsupported,
}

_BGP_AF: dict[str, _Handler] = dict(_BGP)
_BGP_AF.pop("timers")
_BGP_AF.pop("address-family")
_BGP_AF.update({
    "import": _af_import, "export": _af_vpn, "rd": _af_vpn, "rt": _af_vpn, "label": _af_vpn, "nexthop": _af_vpn,
    "route-map": _h_route_map, "sid": _bgp_unsupported, "exit-address-family": _h_exit, "vni": _bgp_opaque,
    "advertise-all-vni": _af_evpn, "advertise-default-gw": _af_evpn, "advertise-svi-ip": _af_evpn,
    "advertise": _af_evpn, "advertise-pip": _af_evpn, "flooding": _af_evpn, "autort": _af_evpn,
    "default-originate": _af_evpn, "dup-addr-detection": _af_evpn, "use-es-l3nhg": _af_evpn,
    "disable-ead-evi-rx": _af_evpn, "disable-ead-evi-tx": _af_evpn, "ead-es-frag": _af_evpn, "ead-es-route-target": _af_evpn,
    "mac-vrf": _af_evpn, "enable-resolve-overlay-index": _af_evpn, "route-target": _af_evpn,
})

_ROUTE_MAP: dict[str, _Handler] = {
    "match": _rm_match, "set": _rm_set, "on-match": _rm_onmatch, "continue": _rm_continue, "call": _rm_call,
    "description": _rm_description, "exit": _h_exit,
}
