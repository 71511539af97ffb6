"""BIRD filter values and their operations, following filter/data.c and nest/a-*.c.

Python representation (the type of a value is its Python class):
  int (u32, arithmetic wraps), bool, str, IPv4Address/IPv6Address ("ip"),
  IPv4Network/IPv6Network ("prefix"), Pair, Quad, Lc, Ec, Rd, EnumV,
  AsPath ("bgppath"), CList / EcList / LcList (ordered, no duplicates),
  SetV, PrefixSetV, PathMaskV, and VOID for an undefined value.

Undefined list attributes read as an *empty* list that `defined()` reports as
undefined (BIRD's null_adata): the module-level UNDEF_* objects, compared by identity.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable, NamedTuple

from podpath.routing.route import AsPath, AsPathSegment

CMP_ERROR = 999


class _Void:
    """BIRD's T_VOID: an unset attribute or variable."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "(void)"

    def __bool__(self) -> bool:
        return False


VOID: Any = _Void()


class FilterError(Exception):
    """A BIRD runtime error ("filters, line N: ..."): the route is rejected."""


class Pair(NamedTuple):
    a: int
    b: int

    def __str__(self) -> str:
        return f"({self.a},{self.b})"

    @property
    def u32(self) -> int:
        return (self.a << 16) | self.b


def pair_of(u: int) -> Pair:
    return Pair(u >> 16, u & 0xFFFF)


class Quad(int):
    """A 32-bit value printed as a dotted quad (router ids, cluster ids, originator id)."""

    def __str__(self) -> str:
        return str(ipaddress.IPv4Address(int(self)))

    __repr__ = __str__


class Lc(NamedTuple):
    a: int
    b: int
    c: int

    def __str__(self) -> str:
        return f"({self.a}, {self.b}, {self.c})"


EC_RT, EC_RO, EC_GENERIC = 0x0002, 0x0003, 0xFFFF


class Ec(int):
    """An extended community as BIRD's u64 (type/subtype in the top 16 bits)."""

    def __str__(self) -> str:
        t = int(self) >> 48
        sub = t & 0xFF
        kind = {EC_RT: "rt", EC_RO: "ro"}.get(sub, f"unknown 0x{t:x}")
        cls = t >> 8
        if cls == 0x00:
            return f"({kind}, {(int(self) >> 32) & 0xFFFF}, {int(self) & 0xFFFFFFFF})"
        if cls == 0x01:
            return f"({kind}, {ipaddress.IPv4Address((int(self) >> 16) & 0xFFFFFFFF)}, {int(self) & 0xFFFF})"
        if cls == 0x02:
            return f"({kind}, {(int(self) >> 16) & 0xFFFFFFFF}, {int(self) & 0xFFFF})"
        return f"(generic, 0x{int(self) >> 32:x}, 0x{int(self) & 0xFFFFFFFF:x})"

    __repr__ = __str__


def ec_make(kind: int, key: int, val: int, ipv4: bool = False) -> Ec:
    """BIRD's ec_as2 / ec_as4 / ec_ip4 / ec_generic (the caller checks value ranges)."""
    if kind == EC_GENERIC:
        return Ec((key << 32) | val)
    if ipv4:
        return Ec(((kind | 0x0100) << 48) | (key << 16) | val)
    if key < 0x10000:
        return Ec((kind << 48) | (key << 32) | val)
    return Ec(((kind | 0x0200) << 48) | (key << 16) | val)


class Rd(int):
    def __str__(self) -> str:
        t = int(self) >> 48
        if t == 0:
            return f"{(int(self) >> 32) & 0xFFFF}:{int(self) & 0xFFFFFFFF}"
        if t == 1:
            return f"{ipaddress.IPv4Address((int(self) >> 16) & 0xFFFFFFFF)}:{int(self) & 0xFFFF}"
        return f"{(int(self) >> 16) & 0xFFFFFFFF}:{int(self) & 0xFFFF}"


def rd_parse(text: str) -> Rd | None:
    a, _, b = text.rpartition(":")
    if "." in a:
        ip = int(ipaddress.IPv4Address(a))
        return Rd((1 << 48) | (ip << 16) | int(b)) if int(b) <= 0xFFFF else None
    parts = text.split(":")
    if len(parts) == 3:  # 0:a:b / 2:a:b
        t, x, y = (int(p) for p in parts)
        return Rd((x << 32) | y) if t == 0 else Rd((2 << 48) | (x << 16) | y)
    x, y = int(parts[0]), int(parts[1])
    if x >> 16:
        return Rd((2 << 48) | (x << 16) | y) if y <= 0xFFFF else None
    return Rd((x << 32) | y) if y <= 0xFFFFFFFF else None


class EnumV(NamedTuple):
    etype: str
    value: int

    def __str__(self) -> str:
        return ENUM_NAMES.get((self.etype, self.value), f"({self.etype} {self.value})")


ENUM_NAMES: dict[tuple[str, int], str] = {}


def register_enums(enums: dict[str, tuple[str, int]]) -> None:
    for name, key in enums.items():
        ENUM_NAMES.setdefault(key, name)


class CList(tuple):
    """Community list (u32 values: pairs, or quads for the cluster list)."""

    __slots__ = ()


class EcList(tuple):
    __slots__ = ()


class LcList(tuple):
    __slots__ = ()


UNDEF_PATH = AsPath()
UNDEF_CLIST = CList()
UNDEF_ECLIST = EcList()
UNDEF_LCLIST = LcList()


def is_undef_list(v: Any) -> bool:
    return v is UNDEF_PATH or v is UNDEF_CLIST or v is UNDEF_ECLIST or v is UNDEF_LCLIST


IP = (ipaddress.IPv4Address, ipaddress.IPv6Address)
NET = (ipaddress.IPv4Network, ipaddress.IPv6Network)


def type_name(v: Any) -> str:
    """BIRD's f_type_name()."""
    t = type(v)
    if v is VOID:
        return "void"
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is str:
        return "string"
    if isinstance(v, IP):
        return "ip"
    if isinstance(v, NET):
        return "prefix"
    if t is EnumV:
        return f"enum {v.etype}"
    return _TYPE_NAMES.get(t, t.__name__)


_TYPE_NAMES: dict[type, str] = {}


def _tag(v: Any) -> Any:
    """A hashable type tag: values compare only within one tag (enum types differ)."""
    t = type(v)
    if t is EnumV:
        return ("enum", v.etype)
    if t is ipaddress.IPv4Address or t is ipaddress.IPv6Address:
        return "ip"
    if t is ipaddress.IPv4Network or t is ipaddress.IPv6Network:
        return "net"
    return t


def ip_key(a: Any) -> int:
    """BIRD stores every address in 128 bits, IPv4 as ::ffff:a.b.c.d."""
    return int(a) | 0xFFFF00000000 if a.version == 4 else int(a)


def is_ip4(v: Any) -> bool:
    return type(v) is ipaddress.IPv4Address


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def val_compare(v1: Any, v2: Any) -> int:
    """-1, 0, 1, or CMP_ERROR. VOID sorts below everything (BIRD's "hack for else")."""
    t1, t2 = _tag(v1), _tag(v2)
    if t1 != t2:
        if v1 is VOID:
            return -1
        if v2 is VOID:
            return 1
        if t1 is Quad and is_ip4(v2):
            return _cmp(int(v1), int(v2))
        if is_ip4(v1) and t2 is Quad:
            return _cmp(int(v1), int(v2))
        return CMP_ERROR
    if v1 is VOID:
        return 0
    if t1 in (int, bool, Pair, Quad, Ec, Rd, Lc, str) or type(t1) is tuple:
        return _cmp(v1, v2)
    if t1 == "ip":
        return _cmp(ip_key(v1), ip_key(v2))
    if t1 == "net":
        return _cmp((v1.version, int(v1.network_address), v1.prefixlen),
                    (v2.version, int(v2.network_address), v2.prefixlen))
    if t1 is AsPath:
        return _cmp(v1.segments, v2.segments)  # 2.17 as_path_compare; 2.0 only tests equality
    return CMP_ERROR


def val_same(v1: Any, v2: Any) -> bool:
    rc = val_compare(v1, v2)
    if rc != CMP_ERROR:
        return rc == 0
    if _tag(v1) != _tag(v2):
        return False
    if isinstance(v1, (CList, EcList, LcList)):
        return tuple(v1) == tuple(v2)
    return bool(v1 == v2)


# ---- sets ----------------------------------------------------------------------------------------

class SetV:
    """A constant set (BIRD's f_tree): ranges [lo, hi] compared with val_compare, and
    "boxes" for pair items like (1..5, 10..20) that BIRD expands per first component."""

    __slots__ = ("ranges", "boxes", "etype")

    def __init__(self, ranges: list[tuple[Any, Any]], boxes: list[tuple[int, int, int, int]] | None = None) -> None:
        self.ranges = ranges
        self.boxes = boxes or []
        first = ranges[0][0] if ranges else (Pair(0, 0) if self.boxes else None)
        self.etype = _tag(first) if first is not None else None

    def __bool__(self) -> bool:
        return bool(self.ranges or self.boxes)

    def contains(self, v: Any) -> bool:
        """find_tree(): v must have the set's element type (quad/ip4 convert)."""
        for lo, hi in self.ranges:
            c1 = val_compare(lo, v)
            if c1 == CMP_ERROR or c1 > 0:
                continue
            c2 = val_compare(v, hi)
            if c2 != CMP_ERROR and c2 <= 0:
                return True
        if self.boxes and type(v) is Pair:
            a, b = v
            for alo, ahi, blo, bhi in self.boxes:
                if alo <= a <= ahi and blo <= b <= bhi:
                    return True
        return False

    def __str__(self) -> str:
        parts = [str(lo) if val_same(lo, hi) else f"{lo}..{hi}" for lo, hi in self.ranges]
        parts += [f"({a}..{b}, {c}..{d})" for a, b, c, d in self.boxes]
        return "[" + ", ".join(parts) + "]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SetV) and self.ranges == other.ranges and self.boxes == other.boxes

    __hash__ = None  # type: ignore[assignment]


class PrefixSetV:
    """A prefix set (BIRD's trie): pattern net/len{lo,hi} matches p/plen when the first
    min(plen, len) bits agree and lo <= plen <= hi (filter/trie.c)."""

    __slots__ = ("patterns", "version")

    def __init__(self, patterns: list[tuple[Any, int, int]]) -> None:
        self.patterns = [(int(n.network_address), n.prefixlen, lo, hi, n.max_prefixlen) for n, lo, hi in patterns]
        self.version = patterns[0][0].version if patterns else None

    def matches(self, net: Any) -> bool:
        if net.version != self.version:
            return False
        plen = net.prefixlen
        addr = int(net.network_address)
        for paddr, pl, lo, hi, maxlen in self.patterns:
            if lo <= plen <= hi:
                k = pl if pl < plen else plen
                shift = maxlen - k
                if (addr >> shift) == (paddr >> shift):
                    return True
        return False

    def __str__(self) -> str:
        out = []
        for paddr, pl, lo, hi, maxlen in self.patterns:
            n = ipaddress.ip_network((paddr, pl)) if maxlen == 32 else ipaddress.IPv6Network((paddr, pl))
            out.append(f"{n}{{{lo},{hi}}}")
        return "[" + ", ".join(out) + "]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrefixSetV) and sorted(self.patterns) == sorted(other.patterns)

    __hash__ = None  # type: ignore[assignment]


# ---- BGP paths and path masks --------------------------------------------------------------------

class PathMaskV:
    """A path mask `[= ... =]`: items (kind, a, b) with kind asn | range | any | one | set;
    `+` (loop) is stored as ("loop",) before the item it repeats, like BIRD does."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[Any, ...]]) -> None:
        self.items = items

    def __str__(self) -> str:
        out = []
        for it in self.items:
            k = it[0]
            out.append({"any": "*", "one": "?", "loop": "+"}.get(k) or (
                str(it[1]) if k == "asn" else f"{it[1]}..{it[2]}" if k == "range" else str(it[1])))
        return "[= " + " ".join(out) + " =]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathMaskV) and [i[:2] for i in self.items] == [i[:2] for i in other.items]

    __hash__ = None  # type: ignore[assignment]


def path_match(path: AsPath, mask: PathMaskV) -> bool:
    """as_path_match() in nest/a-path.c: an NFA whose states are path positions; an
    AS_SET is one position that an item matches when any member does, and a matched
    set also marks the following set positions (a set stands for any sequence)."""
    pos: list[tuple[bool, tuple[int, ...]]] = []
    for s in path.segments:
        if s.set_:
            pos.append((True, s.asns))
        else:
            pos.extend((False, (a,)) for a in s.asns)
    plen = len(pos)
    mark = [False] * (plen + 1)
    mark[0] = True
    lo = hi = 0
    loop = False
    for item in mask.items:
        mark[plen] = False  # never step beyond the end
        kind = item[0]
        if kind == "any":
            for i in range(lo, plen + 1):
                mark[i] = True
            hi = plen
            continue
        if kind == "loop":
            loop = True
            continue
        nh = nl = -1
        last = plen
        for i in range(hi, lo - 1, -1):
            if not mark[i]:
                continue
            mark[i] = False
            j = i
            while _pm_match(pos[j], item):
                k = j
                if pos[k][0]:
                    while True:
                        mark[k] = True
                        k += 1
                        if not (k < plen and pos[k][0]):
                            break
                else:
                    k += 1
                mark[k] = True
                first = j if pos[j][0] else k
                nl = first if nl < 0 else min(nl, first)
                nh = max(nh, k)
                j = k
                if not (loop and j < last):
                    break
            last = i
        if nh < 0:
            return False
        hi, lo = nh, nl
        loop = False
    return mark[plen]


def _pm_match(p: tuple[bool, tuple[int, ...]], item: tuple[Any, ...]) -> bool:
    kind = item[0]
    if kind == "one":
        return True
    asns = p[1]
    if kind == "asn":
        return item[1] in asns
    if kind == "range":
        return any(item[1] <= a <= item[2] for a in asns)
    if kind == "set":
        s = item[1]
        return any(s.contains(a) for a in asns)
    return False


def path_prepend(path: AsPath, asn: int) -> AsPath:
    return path.prepend(asn)


def path_first(path: AsPath) -> int:
    """as_path_get_first: the first ASN when the path starts with a sequence, else 0."""
    f = path.first
    return f if f is not None else 0


def path_last(path: AsPath) -> int:
    """as_path_get_last: the last ASN when the path ends with a sequence, else 0."""
    last = path.last
    return last if last is not None else 0


def path_last_nonaggregated(path: AsPath) -> int:
    """The last ASN of the last sequence before any AS_SET (0 when none)."""
    res = 0
    for s in path.segments:
        if s.set_:
            break
        if s.asns:
            res = s.asns[-1]
    return res


def path_contains(path: AsPath, asn: int) -> bool:
    return any(a == asn for s in path.segments for a in s.asns)


def path_filter(path: AsPath, keep: Any, pos: bool) -> AsPath:
    """as_path_filter(): keep (pos=True) or drop (pos=False) ASNs matching an int or
    an int set; empty segments disappear."""
    def member(a: int) -> bool:
        return keep.contains(a) if isinstance(keep, SetV) else a == keep

    segs = []
    for s in path.segments:
        asns = tuple(a for a in s.asns if member(a) == pos)
        if asns:
            if segs and not s.set_ and not segs[-1].set_:
                segs[-1] = AsPathSegment(segs[-1].asns + asns)
            else:
                segs.append(AsPathSegment(asns, s.set_))
    return AsPath(tuple(segs))


def path_len(path: AsPath) -> int:
    return path.length


def path_walk(path: AsPath) -> Iterable[int]:
    return path.asns()


# ---- community lists -----------------------------------------------------------------------------

def list_add(lst: tuple, item: Any, cls: type) -> tuple:
    """int_set_add / ec_set_add / lc_set_add: append unless present."""
    if item in lst:
        return lst
    return cls(tuple(lst) + (item,))


def list_union(a: tuple, b: tuple, cls: type) -> tuple:
    out = list(a)
    for x in b:
        if x not in out:
            out.append(x)
    if len(out) == len(a):
        return a
    return cls(out)


def list_del(lst: tuple, item: Any, cls: type) -> tuple:
    if item not in lst:
        return lst
    return cls(x for x in lst if x != item)


def list_filter(lst: tuple, member: Any, pos: bool, cls: type) -> tuple:
    out = tuple(x for x in lst if member(x) == pos)
    if len(out) == len(lst):
        return lst
    return cls(out)


_TYPE_NAMES.update({Pair: "pair", Quad: "quad", Lc: "lc", Ec: "ec", Rd: "rd", AsPath: "bgppath", CList: "clist",
                    EcList: "eclist", LcList: "lclist", SetV: "set", PrefixSetV: "prefix set",
                    PathMaskV: "bgpmask"})


_ENUM_CODES = {
    "2.0": {"rts": 0x30, "bgp_origin": 0x31, "scope": 0x32, "rtd": 0x34, "roa": 0x35, "net_type": 0x36,
            "ra_preference": 0x37, "af": 0x38, "empty": 0x3f},
    "2.17": {"rts": 0x30, "bgp_origin": 0x31, "scope": 0x32, "rtd": 0x33, "roa": 0x34, "aspa": 0x35,
             "net_type": 0x36, "ra_preference": 0x37, "af": 0x38, "mpls_policy": 0x39, "empty": 0x3f},
}


def fmt(v: Any, dialect: str = "2.17") -> str:
    """val_format(): how `print` shows a value in BIRD's log."""
    t = type(v)
    if v is VOID:
        return "(void)"
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is str:
        return v
    if t is EnumV:
        code = _ENUM_CODES.get(dialect, _ENUM_CODES["2.17"]).get(v.etype, 0x3f)
        return f"(enum {code:x}){v.value}"
    if t is AsPath:
        return f"(path {v})"
    if t is CList:
        return "(clist " + " ".join(str(pair_of(x)) for x in v) + ")"
    if t is EcList:
        return "(eclist " + " ".join(str(x) for x in v) + ")"
    if t is LcList:
        return "(lclist " + " ".join(str(x) for x in v) + ")"
    return str(v)


def patmatch(p: str, s: str) -> bool:
    """lib/patmatch.c: `?` one character, `*` any run, `\\` escapes. After `*` the next
    pattern character is searched literally (so `*?` looks for a real `?`), as in BIRD."""
    pi, si = 0, 0
    lp, ls = len(p), len(s)
    while pi < lp:
        c = p[pi]
        if c == "?" and si < ls:
            pi += 1
            si += 1
        elif c == "*":
            if pi + 1 >= lp:
                return True
            z = p[pi + 1]
            if z == "\\" and pi + 2 < lp:
                z = p[pi + 2]
            while True:
                while si < ls and s[si] != z:
                    si += 1
                if si >= ls:
                    return False
                if patmatch(p[pi + 1:], s[si:]):
                    return True
                si += 1
        else:
            if c == "\\" and pi + 1 < lp:
                pi += 1
                c = p[pi]
            if si >= ls or c != s[si]:
                return False
            pi += 1
            si += 1
    return si >= ls


def val_in_range(v1: Any, v2: Any) -> int:
    """BIRD's `~` (filter/data.c val_in_range): 1, 0 or CMP_ERROR."""
    t1, t2 = type(v1), type(v2)
    if t1 is AsPath and t2 is PathMaskV:
        return int(path_match(v1, v2))
    if t1 is int and t2 is AsPath:
        return int(path_contains(v2, v1))
    if (t1 is Pair or t1 is Quad) and t2 is CList:
        return int((v1.u32 if t1 is Pair else int(v1)) in v2)
    if t1 is ipaddress.IPv4Address and t2 is CList:
        return int(int(v1) in v2)
    if t1 is Ec and t2 is EcList:
        return int(v1 in v2)
    if t1 is Lc and t2 is LcList:
        return int(v1 in v2)
    if t1 is str and t2 is str:
        return int(patmatch(v2, v1))
    if isinstance(v1, IP) and isinstance(v2, NET):
        return int(v1.version == v2.version and v1 in v2)
    if isinstance(v1, NET) and isinstance(v2, NET):
        return int(v1.version == v2.version and v2.prefixlen <= v1.prefixlen and v1.network_address in v2)
    if isinstance(v1, NET) and t2 is PrefixSetV:
        return int(v2.matches(v1))
    if t2 is not SetV:
        return CMP_ERROR
    if not v2:
        return 0
    et = v2.etype
    if _tag(v1) == et or (t1 is Quad and et == "ip"):
        return int(v2.contains(v1))
    if t1 is CList:
        return int(any(v2.contains(pair_of(x) if et is Pair else Quad(x)) for x in v1)) if et in (Pair, Quad, "ip") \
            else CMP_ERROR
    if t1 is EcList:
        return int(any(v2.contains(x) for x in v1)) if et is Ec else CMP_ERROR
    if t1 is LcList:
        return int(any(v2.contains(x) for x in v1)) if et is Lc else CMP_ERROR
    if t1 is AsPath:
        return int(any(v2.contains(a) for a in v1.asns())) if et is int else CMP_ERROR
    return CMP_ERROR
