"""FRR policy semantics: route-maps, prefix/community/as-path lists, neighbor chains.

Expected values come from FRR's code (lib/routemap.c, lib/plist.c, bgpd/bgp_clist.c,
bgpd/bgp_routemap.c) and from real FRR 8.4.4 runs recorded in the shared reference
(lab frrpol: fixtures frrpol-*)."""

from __future__ import annotations

import ipaddress
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podpath.diagnostics import Diagnostics
from podpath.readers.frr import parse_frr
from podpath.readers.frr.model import IPV6_UNICAST, FrrConfig, PrefixList, PrefixListEntry
from podpath.readers.frr.policy import (
    AsPathListPolicy,
    CommunityListPolicy,
    PrefixListPolicy,
    RouteMapPolicy,
    apply_route_map,
    as_path_str,
    community_list_delete,
    import_vrf_policy,
    neighbor_inbound,
    neighbor_outbound,
    prefix_list_apply,
)
from podpath.routing.policy import Direction, PolicyContext, Verdict
from podpath.routing.route import AsPath, AsPathSegment, ExtCommunity, Origin, Route

FIX = Path(__file__).parent / "fixtures"
LC_INT = (4200001000, 0, 100)
PEER = ipaddress.ip_address("fd00:10::26")
IN = PolicyContext(direction=Direction.IMPORT, local_as=65001, peer_as=65002, peer_address=PEER, ibgp=False)


def cfg_of(text: str) -> FrrConfig:
    d = Diagnostics()
    cfg = parse_frr(textwrap.dedent(text).lstrip("\n"), "frr.conf", d)
    assert not d.errors, [x.render() for x in d]
    return cfg


def load(name: str) -> FrrConfig:
    d = Diagnostics()
    cfg = parse_frr((FIX / name).read_text(), name, d)
    assert not d.errors
    return cfg


def R(prefix: str, *, comms: set | None = None, large: set | None = None, path: tuple[int, ...] = (65002,),
      **kw: object) -> Route:
    return Route(ipaddress.ip_network(prefix), as_path=AsPath.of(*path), communities=frozenset(comms or ()),
                 large_communities=frozenset(large or ()), peer=kw.pop("peer", PEER), **kw)  # type: ignore[arg-type]


def rm(cfg: FrrConfig, name: str, route: Route, ctx: PolicyContext = IN):
    return RouteMapPolicy(cfg, name).evaluate(route, ctx)


@pytest.fixture(scope="module")
def frrpol() -> FrrConfig:
    return load("frrpol-frr1.conf")


# ------------------------------------------------------------------------------------------- prefix-lists

PL_TEXT = """
    ipv6 prefix-list EXACT seq 5 permit fd00:1::/48
    ipv6 prefix-list LE seq 5 permit fd00:1::/48 le 64
    ipv6 prefix-list GE seq 5 permit fd00:1::/48 ge 56
    ipv6 prefix-list GELE seq 5 permit fd00:1::/48 ge 52 le 60
    ipv6 prefix-list GEEQ seq 5 permit fd00:1::/48 ge 48
    ipv6 prefix-list ANY seq 5 permit any
    ipv6 prefix-list ORDER seq 20 permit fd00::/16 le 128
    ipv6 prefix-list ORDER seq 10 deny fd00:1::/48 le 128
    ipv6 prefix-list EMPTY description nothing here
    ip prefix-list V4 seq 5 permit 10.0.0.0/8 le 32
"""


@pytest.mark.parametrize("name, prefix, ok", [
    ("EXACT", "fd00:1::/48", True), ("EXACT", "fd00:1::/49", False), ("EXACT", "fd00::/32", False),
    ("LE", "fd00:1::/48", True), ("LE", "fd00:1:0:ff::/64", True), ("LE", "fd00:1::/65", False),
    ("LE", "fd00:2::/64", False),
    ("GE", "fd00:1::/48", False), ("GE", "fd00:1::/56", True), ("GE", "fd00:1::1/128", True),
    ("GELE", "fd00:1::/51", False), ("GELE", "fd00:1::/52", True), ("GELE", "fd00:1::/60", True),
    ("GELE", "fd00:1::/61", False),
    ("GEEQ", "fd00:1::/48", True), ("GEEQ", "fd00:1::/128", True),  # ge == length means "up to 128"
    ("ANY", "::/0", True), ("ANY", "2001:db8::1/128", True),
    ("ORDER", "fd00:1::/64", False),  # seq 10 (written later) decides, not text order
    ("ORDER", "fd00:2::/64", True), ("ORDER", "2001:db8::/32", False),  # implicit deny
])
def test_prefix_list_entries(name: str, prefix: str, ok: bool) -> None:
    cfg = cfg_of(PL_TEXT)
    got, _, _ = prefix_list_apply(cfg.prefix_list(6, name), ipaddress.ip_network(prefix))
    assert got is ok


def test_prefix_list_undefined_empty_and_other_family() -> None:
    cfg = cfg_of(PL_TEXT)
    assert prefix_list_apply(None, ipaddress.ip_network("fd00::/64"))[0] is False  # undefined: deny
    ok, entry, why = prefix_list_apply(cfg.prefix_list(6, "EMPTY"), ipaddress.ip_network("fd00::/64"))
    assert ok and entry is None and "empty" in why  # empty: permit when used directly
    assert prefix_list_apply(cfg.prefix_list(4, "V4"), ipaddress.ip_network("fd00::/64"))[0] is False
    res = PrefixListPolicy(cfg, 6, "LE").evaluate(R("fd00:1::/64"), IN)
    assert res.accepted and res.decided_by is not None and res.decided_by.loc is not None
    assert res.decided_by.loc.line == 2


def _bits(net: ipaddress.IPv6Network) -> str:
    return format(int(net.network_address), "0128b")[:net.prefixlen]


@settings(max_examples=400, deadline=None)
@given(plen=st.integers(0, 128), ge=st.integers(0, 128), le=st.integers(0, 128),
       addr=st.integers(0, 2 ** 128 - 1), raddr=st.integers(0, 2 ** 128 - 1), rlen=st.integers(0, 128),
       share=st.integers(0, 128))
def test_prefix_list_entry_matches_brute_force(plen: int, ge: int, le: int, addr: int, raddr: int, rlen: int,
                                               share: int) -> None:
    """PrefixListEntry.matches against a bit-string reference of FRR's rule."""
    entry_net = ipaddress.IPv6Network((addr >> (128 - plen) << (128 - plen) if plen else 0, plen))
    # make the route share `share` leading bits with the entry to hit the interesting cases often
    mask = ((1 << share) - 1) << (128 - share) if share else 0
    r_addr = (addr & mask) | (raddr & ~mask & (2 ** 128 - 1))
    route_net = ipaddress.IPv6Network((r_addr >> (128 - rlen) << (128 - rlen) if rlen else 0, rlen))
    ge_v = ge if ge >= plen else 0
    le_v = le if le >= max(plen, ge_v) else 0
    e = PrefixListEntry(5, "permit", entry_net, ge_v, le_v)
    inside = rlen >= plen and _bits(route_net)[:plen] == _bits(entry_net)
    if not ge_v and not le_v:
        expected = inside and rlen == plen
    else:
        expected = inside and (not ge_v or rlen >= ge_v) and (not le_v or rlen <= le_v)
    assert e.matches(route_net) is expected
    pl = PrefixList("P", 6, e.loc, [e])
    assert prefix_list_apply(pl, route_net)[0] is expected


# ------------------------------------------------------------------------------------------- route-map control flow

def test_sequence_order_implicit_deny_and_match_all() -> None:
    cfg = cfg_of("""
        ipv6 prefix-list A seq 5 permit fd00:a::/32 le 128
        route-map RM deny 30
        exit
        route-map RM permit 20
         match ipv6 address prefix-list A
         set weight 20
        exit
        route-map RM2 permit 10
         match ipv6 address prefix-list A
        exit
        route-map ALL permit 10
         set metric 7
        exit
    """)
    r = rm(cfg, "RM", R("fd00:a::/64"))
    assert r.accepted and r.route.weight == 20 and r.decided_by.text.startswith("route-map RM permit 20")
    r = rm(cfg, "RM", R("fd00:b::/64"))
    assert not r.accepted and r.decided_by.text.startswith("route-map RM deny 30")
    assert r.decided_by.loc.line == 2
    r = rm(cfg, "RM2", R("fd00:b::/64"))
    assert not r.accepted and "implicit deny" in r.decided_by.text and r.decided_by.loc.line == 8
    r = rm(cfg, "ALL", R("2001:db8::/32"))
    assert r.accepted and r.route.med == 7


def test_deny_clause_sets_are_not_applied() -> None:
    cfg = cfg_of("""
        route-map RM deny 10
         set local-preference 500
        exit
    """)
    r = rm(cfg, "RM", R("fd00::/64"))
    assert not r.accepted and r.route.local_pref is None
    assert not any(s.effect == "set" for s in r.trace)


@pytest.mark.parametrize("route, verdict, lp, med, weight", [
    # verified on FRR 8.4.4 (reference 1.2, lab frrpol RM_FLOW)
    (R("fd00:300::/64", large={LC_INT}), False, None, None, 0),
    (R("2001:db8:1::/64", large={LC_INT}), False, None, None, 0),
    (R("2001:db8:1::/64", large={LC_INT}, comms={(65002, 100)}), True, 150, 30, 40),
    (R("fd00:300::/64"), True, None, 20, 0),
])
def test_on_match_goto_and_next(frrpol: FrrConfig, route: Route, verdict: bool, lp, med, weight) -> None:
    r = rm(frrpol, "RM_FLOW", route)
    assert (r.accepted, r.route.local_pref if verdict else None, r.route.med if verdict else None,
            r.route.weight if verdict else 0) == (verdict, lp, med, weight)
    if not verdict and route.large_communities:
        assert "not remembered" in r.decided_by.text


def test_continue(frrpol: FrrConfig) -> None:
    assert not rm(frrpol, "RM_CONT", R("fd00:300::/64")).accepted  # deny 20 skipped, nothing later matches
    r = rm(frrpol, "RM_CONT", R("fd00:300::/64", large={LC_INT}))
    assert r.accepted and (r.route.local_pref, r.route.med) == (120, 130)
    assert any(s.effect == "continue" for s in r.trace)


def test_goto_past_the_end_permits() -> None:
    cfg = cfg_of("""
        route-map RM permit 10
         set local-preference 90
         on-match goto 100
        exit
        route-map RM deny 20
        exit
    """)
    r = rm(cfg, "RM", R("fd00::/64"))
    assert r.accepted and r.route.local_pref == 90 and "leaves the route-map" in r.decided_by.text


def test_call(frrpol: FrrConfig) -> None:
    r = rm(frrpol, "RM_CALLER", R("fd00:101:1::/64"))  # RM_CALLEE deny 10 matches (PL_GE)
    assert not r.accepted and r.decided_by.text.startswith("route-map RM_CALLEE deny 10")
    assert [s.effect for s in r.trace if s.effect in ("call", "return")] == ["call", "return"]
    r = rm(frrpol, "RM_CALLER", R("fd00:300::/64"))
    assert r.accepted and (r.route.local_pref, r.route.med) == (10, 5)
    r = rm(frrpol, "RM_CALLUNDEF", R("fd00:300::/64"))  # call to an undefined map is skipped
    assert r.accepted and r.route.local_pref == 11


def test_call_recursion_limit() -> None:
    cfg = cfg_of("""
        route-map A permit 10
         call B
        exit
        route-map B permit 10
         call A
        exit
    """)
    r = rm(cfg, "A", R("fd00::/64"))
    assert not r.accepted and "recursion limit" in r.decided_by.text and r.errors


def test_undefined_and_empty_prefix_list_in_match(frrpol: FrrConfig) -> None:
    # permit 10 (undefined PL) does not match; permit 20 (empty PL) is never selected with optimisation on
    r = rm(frrpol, "RM_UNDEFPL", R("fd00:300::/64"))
    assert r.accepted and r.route.local_pref == 333
    cfg = load("frrpol-frr1.conf")
    cfg.route_maps["RM_UNDEFPL"].optimization = False  # `no route-map RM_UNDEFPL optimization`
    assert rm(cfg, "RM_UNDEFPL", R("fd00:300::/64")).route.local_pref == 222


def test_empty_prefix_list_matches_after_on_match_next() -> None:
    """Optimisation only selects the first clause; after `on-match next` FRR scans linearly."""
    cfg = cfg_of("""
        ipv6 prefix-list EMPTY description none
        route-map RM permit 10
         set weight 1
         on-match next
        exit
        route-map RM permit 20
         match ipv6 address prefix-list EMPTY
         set weight 2
        exit
    """)
    r = rm(cfg, "RM", R("fd00::/64"))
    assert r.accepted and r.route.weight == 2


def test_other_family_prefix_list_never_matches_first(frrpol: FrrConfig) -> None:
    cfg = cfg_of("""
        ip prefix-list V4 seq 5 permit 0.0.0.0/0 le 32
        route-map RM permit 10
         match ip address prefix-list V4
         set local-preference 201
        exit
    """)
    assert not rm(cfg, "RM", R("fd00::/64")).accepted


def test_all_noop_clauses() -> None:
    cfg = cfg_of("""
        route-map RM permit 10
         match evpn vni 100
        exit
    """)
    assert not rm(cfg, "RM", R("fd00::/64")).accepted  # optimisation: nothing selected -> deny
    cfg.route_maps["RM"].optimization = False
    assert rm(cfg, "RM", R("fd00::/64")).accepted  # linear: all no-op keeps the initial permit


def test_undefined_route_map_by_use() -> None:
    cfg = cfg_of("route-map X permit 10\nexit\n")
    assert RouteMapPolicy(cfg, "NOPE").evaluate(R("fd00::/64"), IN).verdict is Verdict.REJECT
    r = RouteMapPolicy(cfg, "NOPE", applied_at="import-vrf").evaluate(R("fd00::/64"), IN)
    assert r.accepted and "imports every route" in r.decided_by.text
    r = RouteMapPolicy(cfg, "NOPE", applied_at="network").evaluate(R("fd00::/64"), IN)
    assert not r.accepted and "not originated" in r.decided_by.text


def test_evaluate_all_and_apply_route_map(frrpol: FrrConfig) -> None:
    routes = [R("fd00:101:224:1::/64", large={LC_INT}), R("fd00:101:224:1::/64"), R("fd00:101::10/128")]
    assert [r.accepted for r in apply_route_map(frrpol, "RM_SEED", routes, IN)] == [True, False, True]


# ------------------------------------------------------------------------------------------- matches

def test_match_community_lists() -> None:
    cfg = cfg_of("""
        bgp community-list standard TWO permit 65000:1 65000:2
        bgp community-list standard NOEXP permit no-export
        bgp community-list standard INET permit internet
        bgp community-list standard FIRST seq 10 deny 65000:1
        bgp community-list standard FIRST seq 20 permit 65000:2
        bgp community-list expanded RX permit ^65000:1 no-export$
        bgp community-list expanded UNDER permit _65000:2_
        bgp community-list expanded EMPTY permit ^$
        route-map M permit 10
         match community TWO
        exit
        route-map E permit 10
         match community TWO exact-match
        exit
    """)

    def ok(name: str, comms: set, exact: bool = False) -> bool:
        return CommunityListPolicy(cfg, "community", name, exact).evaluate(R("fd00::/64", comms=comms), IN).accepted

    c1, c2, c3, ne = (65000, 1), (65000, 2), (65000, 3), (0xFFFF, 0xFF01)
    assert ok("TWO", {c1, c2, c3}) and not ok("TWO", {c1}) and not ok("TWO", set())
    assert ok("TWO", {c1, c2}, exact=True) and not ok("TWO", {c1, c2, c3}, exact=True)
    assert ok("NOEXP", {ne}) and ok("INET", set())
    assert not ok("FIRST", {c1, c2}) and ok("FIRST", {c2})  # first matching entry decides
    assert ok("RX", {ne, c1})  # the string is "65000:1 no-export": sorted, well-known by name
    assert not ok("RX", {ne, c1, c2})
    assert ok("UNDER", {c1, c2}) and not ok("UNDER", {(65000, 22)})
    assert not ok("EMPTY", set()) and not ok("EMPTY", {c1})  # no `frr version` line: newest FRR (see below)
    assert rm(cfg, "M", R("fd00::/64", comms={c1, c2, c3})).accepted
    assert not rm(cfg, "E", R("fd00::/64", comms={c1, c2, c3})).accepted


@pytest.mark.parametrize("version, empty_matches", [("8.4.4", True), ("10.2", True), ("10.3", False), (None, False)])
def test_expanded_lists_and_routes_without_the_attribute(version: str | None, empty_matches: bool) -> None:
    """Before FRR 10.3 a route without communities is matched as the empty string (`^$`
    matches, so does `.*`); from 10.3 on (bgp_clist.c community_regexp_match /
    lcommunity_regexp_match return false for an absent attribute) no expanded entry
    matches it. Found by the differential test (FRR 8.4.4 vs 10.3). The `frr version`
    line decides; without one, the newest FRR's behaviour applies."""
    cfg = cfg_of(("" if version is None else f"frr version {version}\n") + """
        bgp community-list expanded NONE permit ^$
        bgp community-list expanded ALL permit .*
        bgp large-community-list expanded LNONE permit ^$
        route-map RM deny 10
         match community NONE
        exit
        route-map RM deny 20
         match large-community LNONE exact-match
        exit
        route-map RM permit 30
        exit
    """)
    bare = R("fd00::/64")
    assert CommunityListPolicy(cfg, "community", "NONE").evaluate(bare, IN).accepted is empty_matches
    assert CommunityListPolicy(cfg, "community", "ALL").evaluate(bare, IN).accepted is empty_matches
    assert CommunityListPolicy(cfg, "community", "ALL").evaluate(R("fd00::/64", comms={(1, 1)}), IN).accepted
    assert CommunityListPolicy(cfg, "large-community", "LNONE").evaluate(bare, IN).accepted is empty_matches
    assert rm(cfg, "RM", bare).accepted is not empty_matches
    assert rm(cfg, "RM", R("fd00::/64", comms={(1, 1)}, large={(1, 2, 3)})).accepted


def test_match_large_community_regexes_verified(frrpol: FrrConfig) -> None:
    """Reference 1.4 [V]: ^4200001000:0:100$ matches a route with only that LC, not one that also
    carries 65002:0:7; the unanchored 65002:0:7 matches among others."""
    anch = CommunityListPolicy(frrpol, "large-community", "LC_RX_ANCH")
    sub = CommunityListPolicy(frrpol, "large-community", "LC_RX_SUB")
    assert anch.evaluate(R("fd00::/64", large={LC_INT}), IN).accepted
    assert not anch.evaluate(R("fd00::/64", large={LC_INT, (65002, 0, 7)}), IN).accepted
    assert sub.evaluate(R("fd00::/64", large={LC_INT, (65002, 0, 7)}), IN).accepted


def test_match_large_community_exact() -> None:
    cfg = cfg_of("""
        bgp large-community-list standard L permit 1:2:3
        route-map X permit 10
         match large-community L exact-match
        exit
    """)
    assert rm(cfg, "X", R("fd00::/64", large={(1, 2, 3)})).accepted
    assert not rm(cfg, "X", R("fd00::/64", large={(1, 2, 3), (4, 5, 6)})).accepted


def test_match_undefined_lists_do_not_match() -> None:
    cfg = cfg_of("""
        route-map X permit 10
         match community NOPE
        exit
        route-map X permit 20
         match as-path NOPE
        exit
        route-map X permit 30
         match large-community NOPE
         set weight 3
        exit
        route-map X permit 40
         set weight 4
        exit
    """)
    r = rm(cfg, "X", R("fd00::/64", comms={(1, 1)}))
    assert r.accepted and r.route.weight == 4


def test_match_extcommunity_and_as_path() -> None:
    cfg = cfg_of("""
        bgp extcommunity-list standard E permit rt 65000:1
        bgp extcommunity-list expanded EX permit ^RT:65000:[0-9]+$
        bgp as-path access-list ORIG permit _65003$
        bgp as-path access-list ONLY permit ^65002$
        bgp as-path access-list EMPTY permit ^$
    """)
    rt = frozenset({ExtCommunity("rt", "65000", 1)})
    r = R("fd00::/64").replace(ext_communities=rt)
    assert CommunityListPolicy(cfg, "extcommunity", "E").evaluate(r, IN).accepted
    assert CommunityListPolicy(cfg, "extcommunity", "EX").evaluate(r, IN).accepted
    assert AsPathListPolicy(cfg, "ORIG").evaluate(R("fd00::/64", path=(65002, 65003)), IN).accepted
    assert not AsPathListPolicy(cfg, "ORIG").evaluate(R("fd00::/64", path=(65002, 650030)), IN).accepted
    assert AsPathListPolicy(cfg, "ONLY").evaluate(R("fd00::/64"), IN).accepted
    assert AsPathListPolicy(cfg, "EMPTY").evaluate(R("fd00::/64", path=()), IN).accepted
    assert not AsPathListPolicy(cfg, "NOPE").evaluate(R("fd00::/64"), IN).accepted


def test_as_path_string() -> None:
    p = AsPath((AsPathSegment((1, 2)), AsPathSegment((3, 4), set_=True)))
    assert as_path_str(p) == "1 2 {3,4}"


def test_match_metric_0_is_refused_so_the_clause_matches_everything() -> None:
    """FRR's CLI grammar says `match metric (0-4294967295)` but its YANG model refuses 0
    (8.4 and 10.3, found by the differential test): the line is rejected and the clause
    is left without the condition."""
    d = Diagnostics()
    cfg = parse_frr("route-map X permit 10\n match metric 0\n set metric 9\nexit\n", "frr.conf", d)
    assert [x.loc.line for x in d.errors] == [2] and "match metric 0" in d.errors[0].message
    assert cfg.route_maps["X"].clauses[10].matches == []
    res = rm(cfg, "X", R("fd00::/64", med=7))
    assert res.accepted and res.route.med == 9


def test_match_scalar_attributes() -> None:
    cfg = cfg_of("""
        route-map X permit 10
         match metric 5
         match origin igp
         match local-preference 0
         match peer fd00:10::26
        exit
        route-map L permit 10
         match peer local
        exit
    """)
    assert rm(cfg, "X", R("fd00::/64", med=5)).accepted  # local-pref absent reads as 0
    assert not rm(cfg, "X", R("fd00::/64")).accepted
    assert not rm(cfg, "X", R("fd00::/64", med=6)).accepted
    assert not rm(cfg, "X", R("fd00::/64", origin=Origin.INCOMPLETE)).accepted
    assert not rm(cfg, "L", R("fd00::/64")).accepted
    assert RouteMapPolicy(cfg, "L", applied_at="redistribute").evaluate(R("fd00::/64", peer=None), IN).accepted


# ------------------------------------------------------------------------------------------- sets

def test_set_local_preference_and_metric_arithmetic() -> None:
    cfg = cfg_of("""
        route-map ADD permit 10
         set local-preference +50
         set metric +10
        exit
        route-map SUB permit 10
         set local-preference -500
         set metric -1
        exit
        route-map BIG permit 10
         set local-preference +4294967295
        exit
    """)
    r = rm(cfg, "ADD", R("fd00::/64"))
    assert (r.route.local_pref, r.route.med) == (50, 10)  # received eBGP path: base 0
    r = rm(cfg, "ADD", R("fd00::/64", local_pref=200, med=5))
    assert (r.route.local_pref, r.route.med) == (250, 15)
    r = RouteMapPolicy(cfg, "ADD", applied_at="network").evaluate(R("fd00::/64", peer=None), IN)
    assert r.route.local_pref == 150  # local path: base is the default local-preference
    r = rm(cfg, "SUB", R("fd00::/64", local_pref=100, med=0))
    assert (r.route.local_pref, r.route.med) == (0, 0)  # clamped at 0
    assert rm(cfg, "BIG", R("fd00::/64", local_pref=10)).route.local_pref == 2 ** 32 - 1  # clamped


def test_set_communities(frrpol: FrrConfig) -> None:
    r = rm(frrpol, "RM_LC", R("fd00:1::/64", large={LC_INT}, comms={(65002, 100)}))
    assert r.route.large_communities == {(65001, 9, 9), LC_INT}  # additive
    assert r.route.communities == {(65001, 1), (65001, 2)}  # replaced
    assert str(r.route.as_path) == "65009 65009 65002"
    r = rm(frrpol, "RM_LC", R("fd00:1::/64", large={LC_INT, (65002, 0, 7)}))
    assert r.route.large_communities == {(65001, 8, 8)} and r.route.local_pref == 50
    r = rm(frrpol, "RM_LC", R("fd00:1::/64"))
    assert r.route.next_hop == ipaddress.ip_address("fd00:10::99")
    cfg = cfg_of("""
        route-map N permit 10
         set community none
         set large-community none
        exit
    """)
    r = rm(cfg, "N", R("fd00::/64", comms={(1, 1)}, large={(1, 1, 1)}))
    assert not r.route.communities and not r.route.large_communities


def test_set_comm_list_delete() -> None:
    cfg = cfg_of("""
        bgp community-list standard DEL seq 5 deny 65000:1
        bgp community-list standard DEL seq 10 permit 65000:1 65000:2
        bgp community-list expanded DELX permit ^65000:[0-9]$
        bgp large-community-list expanded LDEL permit ^65000:0:
        route-map X permit 10
         set comm-list DEL delete
        exit
        route-map Y permit 10
         set comm-list DELX delete
         set large-comm-list LDEL delete
        exit
    """)
    comms = {(65000, 1), (65000, 2), (65000, 3), (65000, 10)}
    # 65000:1 hits the deny entry first (kept); 65000:2 is in the permit entry (deleted)
    assert rm(cfg, "X", R("fd00::/64", comms=comms)).route.communities == {(65000, 1), (65000, 3), (65000, 10)}
    r = rm(cfg, "Y", R("fd00::/64", comms=comms, large={(65000, 0, 1), (65000, 1, 1)}))
    assert r.route.communities == {(65000, 10)} and r.route.large_communities == {(65000, 1, 1)}
    assert community_list_delete(None, frozenset(comms)) == comms


def test_set_as_path_and_next_hops() -> None:
    cfg = cfg_of("""
        route-map P permit 10
         set as-path prepend last-as 2
        exit
        route-map X permit 10
         set as-path exclude 65003
        exit
        route-map NH permit 10
         set ipv6 next-hop peer-address
        exit
        route-map NH4 permit 10
         set ip next-hop peer-address
         set weight 9
         set origin egp
         set tag 44
        exit
        route-map EC permit 10
         set extcommunity rt 65000:9
        exit
    """)
    assert str(rm(cfg, "P", R("fd00::/64", path=(65002, 65003))).route.as_path) == "65002 65002 65002 65003"
    assert str(rm(cfg, "X", R("fd00::/64", path=(65002, 65003, 65004))).route.as_path) == "65002 65004"
    assert rm(cfg, "NH", R("fd00::/64")).route.next_hop == PEER  # inbound: the peer's address
    out = PolicyContext(direction=Direction.EXPORT, local_address=ipaddress.ip_address("fd00:10::16"), ibgp=False)
    assert str(rm(cfg, "NH", R("fd00::/64"), out).route.next_hop) == "fd00:10::16"  # outbound: ours
    v4 = PolicyContext(direction=Direction.IMPORT, peer_address=ipaddress.ip_address("10.0.0.2"))
    r = rm(cfg, "NH4", R("10.9.0.0/16"), v4)
    assert (str(r.route.next_hop), r.route.weight, r.route.origin, r.route.tag) == ("10.0.0.2", 9, Origin.EGP, 44)
    base = R("fd00::/64").replace(ext_communities=frozenset({ExtCommunity("rt", "65000", 1)}))
    assert len(rm(cfg, "EC", base).route.ext_communities) == 2  # extcommunity sets are additive


# ------------------------------------------------------------------------------------------- seed 004

def test_seed_004_pod_route_rejected_by_deny_999() -> None:
    cfg = load("pve01-seed004.conf")
    pod = R("fd00:101:224:1::/64", large={LC_INT}, path=(4210101012, 4220101000), peer=ipaddress.ip_address("fd00:101::12"))
    ctx = PolicyContext(direction=Direction.IMPORT, peer_address=pod.peer, peer_as=4210101012, ibgp=False)
    res = neighbor_inbound(cfg, "vrf_evpnz1", "fd00:101::12", 6).evaluate(pod, ctx)
    assert res.verdict is Verdict.REJECT
    assert res.decided_by is not None and res.decided_by.loc is not None
    assert (res.decided_by.loc.file, res.decided_by.loc.line) == ("pve01-seed004.conf", 84)
    assert res.decided_by.text.startswith("route-map RM_VMS_IN_V6 deny 999")
    # the trace names each prefix-list that failed, with its line
    assert [s.loc.line for s in res.trace if s.effect == "no-match" and s.text.startswith("match")] == [73, 77, 81]
    # loopbacks and the API VIP still pass (clauses 20 and 10)
    for p, seq in (("fd00:101:fe::11/128", 20), ("fd00:101::10/128", 10)):
        r = neighbor_inbound(cfg, "vrf_evpnz1", "fd00:101::12", 6).evaluate(R(p, peer=pod.peer), ctx)
        assert r.accepted and r.decided_by.text.startswith(f"route-map RM_VMS_IN_V6 permit {seq}")


def test_seed_004_fix() -> None:
    text = (FIX / "pve01-seed004.conf").read_text().replace("route-map RM_VMS_IN_V6 permit 10\n", """\
route-map RM_VMS_IN_V6 permit 5
 match ipv6 address prefix-list PL_K8S_PODS_V6
 match large-community CL_K8S_INTERNAL
exit
!
route-map RM_VMS_IN_V6 deny 6
 match ipv6 address prefix-list PL_K8S_PODS_V6
exit
!
route-map RM_VMS_IN_V6 permit 10
""")
    d = Diagnostics()
    cfg = parse_frr(text, "pve01-fixed.conf", d)
    assert not d.errors
    pol = neighbor_inbound(cfg, "vrf_evpnz1", "fd00:101::13", IPV6_UNICAST)
    peer = ipaddress.ip_address("fd00:101::13")
    ctx = PolicyContext(direction=Direction.IMPORT, peer_address=peer, ibgp=False)
    ok = pol.evaluate(R("fd00:101:224:1::/64", large={LC_INT}, peer=peer), ctx)
    assert ok.accepted and ok.decided_by.text.startswith("route-map RM_VMS_IN_V6 permit 5")
    assert ok.decided_by.loc.line == 72
    bad = pol.evaluate(R("fd00:101:224:1::/64", large={(4200001000, 0, 200)}, peer=peer), ctx)
    assert not bad.accepted and bad.decided_by.text.startswith("route-map RM_VMS_IN_V6 deny 6")
    assert bad.decided_by.loc.line == 77


# ------------------------------------------------------------------------------------------- neighbor chains

def test_frrpol_lab_against_real_frr(frrpol: FrrConfig) -> None:
    """Differential check against FRR 8.4.4: the BIRD feeder (fixture frrpol-feed-bird.conf) sends
    ten routes to each of eleven sessions; FRR's `show bgp ipv6 unicast json` (fixture) lists what it
    accepted and with which attributes. Every accepted path and attribute must agree."""
    feed = [("fd00:101:224::/64", set(), {LC_INT}, ()), ("fd00:101:224:1::/64", set(), set(), ()),
            ("fd00:101::10/128", set(), set(), ()), ("fd00:101:fe::11/128", set(), set(), ()),
            ("fd00:200::/48", {(65002, 100)}, set(), ()), ("fd00:200:1::/56", set(), set(), ()),
            ("fd00:300::/32", set(), set(), ()), ("2001:db8::/64", set(), {LC_INT, (65002, 0, 7)}, ()),
            ("2001:db8:1::/64", {(65002, 100)}, {LC_INT}, ()), ("fd00:400::/48", set(), set(), (65001,))]
    routes = json.loads((FIX / "frrpol-frr1-show-bgp-ipv6-unicast.json").read_text())["routes"]
    real = {(p, x["peerId"], x.get("locPrf"), x.get("metric"), x["weight"], x["path"])
            for p, paths in routes.items() for x in paths if x["peerId"] != "(unspec)"}
    ours = set()
    inst = frrpol.bgp["default"]
    for i in range(0x22, 0x2D):
        peer = f"fd00:10::{i:x}"
        paddr = ipaddress.ip_address(peer)
        allow = inst.effective(peer).afs[IPV6_UNICAST].allowas_in or 0
        pol = neighbor_inbound(frrpol, None, peer, 6)
        ctx = PolicyContext(direction=Direction.IMPORT, local_as=65001, peer_as=65002, peer_address=paddr, ibgp=False)
        for p, comms, large, extra in feed:
            r = R(p, comms=comms, large=large, path=(65002,) + extra, peer=paddr, next_hop=paddr)
            if r.as_path.contains(65001) > allow:  # the simulator's AS-loop check, not policy
                continue
            res = pol.evaluate(r, ctx)
            if res.accepted:
                o = res.route
                ours.add((p, peer, o.local_pref, o.med, o.weight, str(o.as_path)))
    assert ours == real
    assert len(real) == 53


def test_neighbor_inbound_undefined_route_map_and_prefix_list(frrpol: FrrConfig) -> None:
    r = neighbor_inbound(frrpol, None, "fd00:10::22", 6).evaluate(R("fd00:300::/64"), IN)
    assert not r.accepted and "RM_NOPE_IN is not defined" in r.decided_by.text and r.decided_by.loc.line == 168
    r = neighbor_inbound(frrpol, None, "fd00:10::28", 6).evaluate(R("fd00:300::/64"), IN)
    assert not r.accepted and "PL_NOPE is not defined" in r.decided_by.text


def test_ebgp_requires_policy_defaults() -> None:
    text = """
        frr version 8.4.4
        frr defaults {profile}
        router bgp 65001
         neighbor fd00::2 remote-as 65002
         neighbor fd00::3 remote-as internal
         address-family ipv6 unicast
          neighbor fd00::2 activate
          neighbor fd00::3 activate
         exit-address-family
        exit
    """
    trad = cfg_of(text.format(profile="traditional"))
    r = neighbor_inbound(trad, None, "fd00::2", 6).evaluate(R("fd00:1::/64"), PolicyContext())
    assert not r.accepted and "ebgp-requires-policy" in r.decided_by.text and "traditional" in r.decided_by.text
    assert not neighbor_outbound(trad, None, "fd00::2", 6).evaluate(R("fd00:1::/64"), PolicyContext()).accepted
    assert neighbor_inbound(trad, None, "fd00::3", 6).evaluate(R("fd00:1::/64"), PolicyContext()).accepted  # iBGP
    dc = cfg_of(text.format(profile="datacenter"))
    assert neighbor_inbound(dc, None, "fd00::2", 6).evaluate(R("fd00:1::/64"), PolicyContext()).accepted
    old = cfg_of(text.format(profile="traditional").replace("8.4.4", "7.3"))
    assert neighbor_inbound(old, None, "fd00::2", 6).evaluate(R("fd00:1::/64"), PolicyContext()).accepted


def test_neighbor_chain_order_and_weight() -> None:
    cfg = cfg_of("""
        ipv6 prefix-list PL seq 5 permit fd00::/16 le 64
        bgp as-path access-list AS permit ^65002_
        route-map RM permit 10
         set local-preference 300
        exit
        router bgp 65001
         neighbor G peer-group
         neighbor G remote-as external
         neighbor fd00::2 peer-group G
         address-family ipv6 unicast
          neighbor G activate
          neighbor G prefix-list PL in
          neighbor G filter-list AS in
          neighbor G route-map RM in
          neighbor fd00::2 weight 77
         exit-address-family
        exit
    """)
    pol = neighbor_inbound(cfg, None, "fd00::2", 6)
    r = pol.evaluate(R("fd00:5::/64"), IN)
    assert r.accepted and (r.route.weight, r.route.local_pref) == (77, 300)
    assert [s.effect for s in r.trace][:3] == ["set", "accept", "accept"]  # weight, prefix-list, filter-list
    r = pol.evaluate(R("2001:db8::/64"), IN)
    assert not r.accepted and "prefix-list PL" in r.decided_by.text and r.decided_by.loc.line == 12
    r = pol.evaluate(R("fd00:5::/64", path=(65009,)), IN)
    assert not r.accepted and "as-path access-list AS" in r.decided_by.text


def test_neighbor_outbound_attributes() -> None:
    cfg = cfg_of("""
        route-map OUT permit 10
         set metric 5
        exit
        router bgp 65001
         neighbor fd00::2 remote-as 65002
         address-family ipv6 unicast
          neighbor fd00::2 activate
          neighbor fd00::2 route-map OUT out
          neighbor fd00::2 remove-private-AS all
          neighbor fd00::2 as-override
          no neighbor fd00::2 send-community large
         exit-address-family
        exit
    """)
    pol = neighbor_outbound(cfg, None, "fd00::2", 6)
    out = PolicyContext(direction=Direction.EXPORT, local_as=65001, peer_as=65002, ibgp=False)
    r = pol.evaluate(R("fd00::/64", path=(64512, 65002, 3356, 65010), large={(1, 2, 3)}, comms={(1, 1)}), out)
    assert r.accepted and r.route.med == 5
    # private ASNs removed except the peer's own, which as-override then replaces with ours
    assert str(r.route.as_path) == "65001 3356"
    assert r.route.large_communities == frozenset() and r.route.communities == {(1, 1)}


def test_import_vrf_policy() -> None:
    cfg = load("pve01-seed004.conf")
    pol = import_vrf_policy(cfg, "vrf_evpnz1", 6)
    assert pol is not None and pol.evaluate(R("fd00:9::/64"), IN).accepted
    cfg.route_maps.pop("RM_GLOBAL_TO_VRF_V6")
    assert pol.evaluate(R("fd00:9::/64"), IN).accepted  # undefined: FRR imports everything
    assert import_vrf_policy(cfg, None, 6) is None


def test_sets_apply_in_configuration_order() -> None:
    """[V] FRR 8.4.4 (throwaway lab): `set community X additive` then `set comm-list L delete`
    (L permits X) leaves X deleted; the other order keeps it. Received eBGP paths read
    local-preference 0 (`match local-preference 0` matches, `+7` gives 7); a `network`
    route-map's `+5` starts from the default 100."""
    cfg = cfg_of("""
        bgp community-list standard DEL permit 65001:1
        route-map ADD_THEN_DEL permit 10
         set community 65001:1 additive
         set comm-list DEL delete
        exit
        route-map DEL_THEN_ADD permit 10
         set comm-list DEL delete
         set community 65001:1 additive
        exit
    """)
    base = R("fd00::/64", comms={(65002, 5)})
    assert rm(cfg, "ADD_THEN_DEL", base).route.communities == {(65002, 5)}
    assert rm(cfg, "DEL_THEN_ADD", base).route.communities == {(65001, 1), (65002, 5)}


def test_local_origination_is_inferred() -> None:
    cfg = cfg_of("""
        route-map L permit 10
         match peer local
         set local-preference +5
        exit
    """)
    local = RouteMapPolicy(cfg, "L").evaluate(R("fd00::/64", peer=None), PolicyContext(Direction.EXPORT))
    assert local.accepted and local.route.local_pref == 105
    assert not RouteMapPolicy(cfg, "L").evaluate(R("fd00::/64"), IN).accepted
    missing = RouteMapPolicy(cfg, "NOPE").evaluate(R("fd00::/64", peer=None), PolicyContext(Direction.EXPORT))
    assert not missing.accepted and "not originated" in missing.decided_by.text


# --------------------------------------------------------------------------------------------- context

def test_neighbor_policy_is_context_free_unless_it_reads_the_peer() -> None:
    from podpath.readers.frr.policy import neighbor_outbound

    base = """
    router bgp 65000
     neighbor NODES peer-group
     neighbor NODES remote-as external
     bgp listen range fd00::/64 peer-group NODES
     address-family ipv6 unicast
      neighbor NODES activate
      neighbor NODES route-map OUT out
     exit-address-family
    !
    route-map OUT permit 10
     {line}
    """
    free = cfg_of(base.format(line="set local-preference 200"))
    assert neighbor_outbound(free, None, "NODES").context_free
    for line in ("match peer fd00::5", "set ipv6 next-hop peer-address", "call SUB"):
        cfg = cfg_of(base.format(line=line) + "route-map SUB permit 10\n match peer fd00::6\n")
        assert not neighbor_outbound(cfg, None, "NODES").context_free, line


@pytest.mark.parametrize("maps, denies", [
    ("route-map M deny 10\nroute-map M permit 20\n", True),  # the first clause matches every route
    ("route-map M permit 5\n match ipv6 address prefix-list P\nroute-map M deny 10\n", False),
    ("route-map M deny 10\n match ipv6 address prefix-list P\n", False),  # implicit deny, but P matches some
    ("route-map M permit 10\n", False),
    ("route-map OTHER permit 10\n", True),  # M is not defined: FRR denies every route on a neighbor
])
def test_neighbor_policy_denies_all_only_when_no_route_can_pass(maps: str, denies: bool) -> None:
    """`denies_all` lets the simulator skip offering routes to a group: it must hold for every route."""
    text = """
    router bgp 65000
     neighbor NODES peer-group
     neighbor NODES remote-as external
     bgp listen range fd00::/64 peer-group NODES
     address-family ipv6 unicast
      neighbor NODES activate
      neighbor NODES route-map M in
      neighbor NODES route-map M out
     exit-address-family
    !
    ipv6 prefix-list P seq 5 permit fd00:1::/64
    """
    cfg = cfg_of(text + maps)
    routes = [R("fd00:1::/64"), R("fd00:2::/64", comms={(65000, 1)}), R("fd00:3::/48", path=(65003, 65004))]
    for pol in (neighbor_inbound(cfg, None, "NODES"), neighbor_outbound(cfg, None, "NODES")):
        assert pol.denies_all is denies
        if denies:
            assert not any(pol.evaluate(r, IN).accepted for r in routes)
        else:
            assert any(pol.evaluate(r, IN).accepted for r in routes) or "prefix-list P" in maps
    no_map = cfg_of(text.replace("  neighbor NODES route-map M in\n", "").replace("  neighbor NODES route-map M out\n", ""))
    assert not neighbor_outbound(no_map, None, "NODES").denies_all
