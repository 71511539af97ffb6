"""Property tests: BIRD value semantics against independent reference implementations.

(The same properties were also checked against a live BIRD 2.0.12 with `birdc eval` on
1700 random cases while writing the interpreter: prefix sets, path masks, string
patterns, pair and large-community sets; no difference.)
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from podpath.readers.bird.values import (
    Lc, Pair, PathMaskV, PrefixSetV, SetV, patmatch, path_match, val_compare,
)
from podpath.routing.route import AsPath


# ---- prefix sets: trie semantics vs ipaddress ------------------------------------------------------

def _pattern_contains(net: ipaddress.IPv4Network, lo: int, hi: int, q: ipaddress.IPv4Network) -> bool:
    """Reference: P{lo,hi} = the prefixes of length lo..hi that are inside P, or that P is inside."""
    if not lo <= q.prefixlen <= hi:
        return False
    if q.prefixlen >= net.prefixlen:
        return q.subnet_of(net)
    return net.supernet(new_prefix=q.prefixlen) == q


nets = st.builds(lambda a, n: ipaddress.IPv4Network((a, n), strict=False),
                 st.integers(0, 2**32 - 1).map(lambda x: x & 0xFFF00000), st.integers(0, 16))
patterns = st.tuples(nets, st.integers(0, 20), st.integers(0, 20)).map(
    lambda t: (t[0], min(t[1], t[2]), max(t[1], t[2])))


@given(st.lists(patterns, min_size=1, max_size=4), nets)
@settings(max_examples=400)
def test_prefix_set_matches_reference(pats: list, q: ipaddress.IPv4Network) -> None:
    s = PrefixSetV(pats)
    assert s.matches(q) == any(_pattern_contains(n, lo, hi, q) for n, lo, hi in pats)


@given(nets, nets)
def test_plus_minus_shorthands(p: ipaddress.IPv4Network, q: ipaddress.IPv4Network) -> None:
    plus = PrefixSetV([(p, p.prefixlen, 32)])
    minus = PrefixSetV([(p, 0, p.prefixlen)])
    assert plus.matches(q) == q.subnet_of(p)
    assert minus.matches(q) == p.subnet_of(q)


# ---- path masks: NFA vs regular expressions over AS numbers ---------------------------------------

ASNS = [1, 2, 3]
items = st.one_of(
    st.sampled_from(ASNS).map(lambda a: ("asn", a)),
    st.just(("any",)), st.just(("one",)),
    st.tuples(st.sampled_from(ASNS), st.sampled_from(ASNS)).map(lambda t: ("range", min(t), max(t))),
    st.sets(st.sampled_from(ASNS), min_size=1).map(lambda s: ("set", frozenset(s))),
)


def _regex(mask: list[tuple]) -> str:
    out = []
    for it in mask:
        k = it[0]
        if k == "asn":
            r = chr(ord("a") + it[1])
        elif k == "any":
            r = ".*"
        elif k == "one":
            r = "."
        elif k == "range":
            r = "[" + "".join(chr(ord("a") + a) for a in range(it[1], it[2] + 1)) + "]"
        elif k == "set":
            r = "[" + "".join(chr(ord("a") + a) for a in sorted(it[1])) + "]"
        else:  # loop: the next item repeats
            out.append("LOOP")
            continue
        if out and out[-1] == "LOOP":
            out[-1] = f"(?:{r})+" if k != "any" else ".*"
        else:
            out.append(r)
    return "".join(x for x in out if x != "LOOP")


def _mask_value(mask: list[tuple]) -> PathMaskV:
    conv = []
    for it in mask:
        if it[0] == "set":
            conv.append(("set", SetV([(a, a) for a in sorted(it[1])])))
        else:
            conv.append(it)
    return PathMaskV(conv)


@given(st.lists(st.sampled_from(ASNS), max_size=6),
       st.lists(st.tuples(st.booleans(), items), max_size=5))
@settings(max_examples=500)
def test_path_mask_matches_regex(path: list[int], raw: list) -> None:
    mask: list[tuple] = []
    for loop, it in raw:
        if loop and it[0] != "any":
            mask.append(("loop",))
        mask.append(it)
    text = "".join(chr(ord("a") + a) for a in path)
    expected = re.fullmatch(_regex(mask), text) is not None
    assert path_match(AsPath.of(*path), _mask_value(mask)) == expected, (path, mask)


# ---- string patterns: BIRD's patmatch vs fnmatch ----------------------------------------------------

@given(st.text(alphabet="ab?*", max_size=6), st.text(alphabet="ab", max_size=6))
@settings(max_examples=500)
def test_patmatch_is_fnmatch_without_star_question(pattern: str, s: str) -> None:
    # BIRD searches the character after '*' literally; with only letters after '*'
    # that is ordinary glob matching
    if "*?" in pattern or "**" in pattern:
        return
    assert patmatch(pattern, s) == fnmatch.fnmatchcase(s, pattern)


def test_patmatch_star_question_quirk() -> None:
    assert not patmatch("*?", "abc") and patmatch("*?", "x?") and not patmatch("*?", "a?c")


# ---- ordering ------------------------------------------------------------------------------------

@given(st.integers(0, 65535), st.integers(0, 65535), st.integers(0, 65535), st.integers(0, 65535))
def test_pair_order_is_u32_order(a: int, b: int, c: int, d: int) -> None:
    x, y = Pair(a, b), Pair(c, d)
    assert val_compare(x, y) == ((x.u32 > y.u32) - (x.u32 < y.u32))


@given(st.tuples(*[st.integers(0, 2**32 - 1)] * 3), st.tuples(*[st.integers(0, 2**32 - 1)] * 3))
def test_lc_order_is_lexicographic(x: tuple, y: tuple) -> None:
    assert val_compare(Lc(*x), Lc(*y)) == ((x > y) - (x < y))


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
@settings(max_examples=200)
def test_unsigned_arithmetic(a: int, b: int) -> None:
    from bird_testutil import flt, route

    res = flt(f"if {a} + {b} = {(a + b) & 0xFFFFFFFF} && {a} - {b} = {(a - b) & 0xFFFFFFFF} then accept; reject;",
              route("fd00::/64"))
    assert res.accepted
