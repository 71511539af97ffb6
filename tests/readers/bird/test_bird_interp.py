"""BIRD filter interpreter: verdicts, runtime errors, value semantics, route attributes.

Expected values follow BIRD 2.0.12 as observed on this machine (`birdc eval`, `show route
filter` on static routes) and BIRD's source for 2.17 where the two differ.
"""

from __future__ import annotations

import ipaddress

import pytest

from bird_testutil import A, N, fixture, flt, parse, route, run
from podpath.readers.bird import BirdFilterPolicy
from podpath.readers.bird import ast as AST
from podpath.readers.bird.model import FilterSpec
from podpath.routing.policy import PolicyContext, Verdict
from podpath.routing.route import AsPath, AsPathSegment, ExtCommunity, Origin, Protocol, RouteDest

STATIC = route("10.1.0.0/16", Protocol.STATIC, source_name="s1", dest=RouteDest.BLACKHOLE)
STATIC_MED = route("10.2.0.0/24", Protocol.STATIC, source_name="s1", dest=RouteDest.BLACKHOLE, med=10)
BGP = route("fd00:224:1::/64", Protocol.BGP, path=(65001, 65002), source_name="upstream",
            next_hop=A("fd00:101::fffe"), peer=A("fd00:101::fffe"), local_pref=100,
            communities=frozenset({(65000, 1), (65000, 2)}), large_communities=frozenset({(4200001000, 0, 100)}))


def accepted(body: str, r=BGP, **kw) -> bool:
    res = flt(body, r, **kw)
    return res.verdict is Verdict.ACCEPT


def true(expr: str, r=BGP, **kw) -> bool:
    """Value of a boolean expression, through `if EXPR then accept; reject;`."""
    res = flt(f"if {expr} then accept; reject;", r, **kw)
    assert not res.errors, res.errors
    return res.accepted


# ---- verdicts ------------------------------------------------------------------------------------

def test_accept_reject_and_decided_by() -> None:
    res = flt("if net.len = 64 then accept;\nreject;", BGP)
    assert res.accepted and res.decided_by.effect == "accept" and res.decided_by.loc.line == 3
    res = flt("if net.len = 48 then accept;\nreject \"not 48\";", BGP)
    assert not res.accepted and res.decided_by.effect == "reject" and "not 48" in res.decided_by.text


def test_filter_without_verdict_rejects() -> None:
    res = flt("bgp_local_pref = 200;", BGP)
    assert res.verdict is Verdict.REJECT and res.decided_by.effect == "default"
    assert "did not return accept nor reject" in res.decided_by.text and res.route == BGP
    assert res.errors == ("Filter f did not return accept nor reject. Make up your mind",)


def test_error_statement_rejects() -> None:
    res = flt("error \"boom\";", BGP)
    assert not res.accepted and res.decided_by.effect == "error"


def test_accept_in_function_ends_the_filter() -> None:
    pre = "function acc64() { if net.len = 64 then accept; return 1; }"
    assert accepted("acc64(); reject;", BGP, prelude=pre)
    assert not accepted("acc64(); reject;", route("fd00::/48"), prelude=pre)


def test_reject_in_nested_function() -> None:
    pre = "function inner() { reject; }\nfunction outer() { inner(); return true; }"
    res = flt("if outer() then accept; accept;", BGP, prelude=pre)
    assert not res.accepted and res.decided_by.loc.line == 1 and res.decided_by.loc.col == 20


def test_return_leaves_only_the_function() -> None:
    pre = "function dbl(int a) { if a > 1 then return a * 2; return 0; }"
    assert true("dbl(3) = 6 && dbl(1) = 0", prelude=pre)
    pre2 = "function g() { int x; x = 1; }"  # no return: the call is void
    assert true("!defined(g())", prelude=pre2)


def test_return_at_filter_level_differs_by_version() -> None:
    r20 = flt("return net.len = 64;", BGP, dialect="2.0")
    assert r20.accepted and "BIRD 2.0" in r20.decided_by.text
    assert not flt("return net.len = 48;", BGP, dialect="2.0").accepted
    r217 = flt("return true;", BGP, dialect="2.17")
    assert not r217.accepted and r217.decided_by.effect == "error"


def test_recursion() -> None:
    pre = "function fact(int n) { if n <= 1 then return 1; return n * fact(n - 1); }"
    assert true("fact(5) = 120", prelude=pre)
    pre2 = "function loop(int n) { return loop(n + 1); }"
    res = flt("if loop(0) = 1 then accept; accept;", BGP, prelude=pre2)
    assert not res.accepted and "stack overflow" in res.decided_by.text


def test_all_none_where() -> None:
    cfg, _ = parse("protocol kernel { ipv6 { export where proto ~ \"up*\" && source = RTS_BGP; }; }\n")
    spec = cfg.protocols[0].channels["ipv6"].export
    pol = BirdFilterPolicy(cfg, spec)
    assert pol.evaluate(BGP, PolicyContext()).accepted
    assert not pol.evaluate(BGP.replace(source_name="cilium"), PolicyContext()).accepted
    res = pol.evaluate(STATIC, PolicyContext())
    assert not res.accepted and res.decided_by.text.startswith("where proto")
    assert BirdFilterPolicy(cfg, "all").evaluate(BGP).accepted
    assert not BirdFilterPolicy(cfg, "none").evaluate(BGP).accepted
    where_str = BirdFilterPolicy(cfg, FilterSpec("where", spec.loc, expr=AST.Name(spec.loc, "proto")))
    res = where_str.evaluate(BGP)
    assert not res.accepted and "must be of type bool, got type string" in res.errors[0]


# ---- runtime errors and void ---------------------------------------------------------------------

def test_unset_attribute_reads_void_and_compares_below_everything() -> None:
    # verified with BIRD 2.0.12: `show route where bgp_med < 5` lists the route without MED
    assert true("bgp_med < 5", STATIC) and not true("bgp_med > 5", STATIC)
    assert true("bgp_med <= 5", STATIC) and not true("bgp_med >= 5", STATIC)
    assert not true("bgp_med = 5", STATIC) and true("bgp_med != 5", STATIC)
    assert true("bgp_med = bgp_local_pref", STATIC)  # void = void
    assert true("!defined(bgp_med)", STATIC) and true("defined(bgp_med)", STATIC_MED)


@pytest.mark.parametrize("body,msg", [
    ("if bgp_med + 1 = 11 then accept; accept;", "Argument 1 of ADD must be of type int, got type void"),
    ("bgp_med = bgp_med; accept;", "Argument 1 of EA_SET must be of type int, got type void"),
    ("int x = bgp_med; accept;", "Argument 1 of VAR_INIT must be of type int, got type void"),
    ("if nothing() then accept; accept;", "CONDITION must be of type bool, got type void"),
    ("if 10 / (net.len - 16) = 1 then accept; accept;", "Mother told me not to divide by 0"),
    ("bgp_community.add((65536 + net.len, 1)); accept;", "out of bounds in pair constructor"),
    ("dest = RTD_UNICAST; accept;", "Destination can be changed only to blackhole"),
    ("if net < one() then accept; accept;", "Can't compare values of incompatible types"),
    ("if net ~ 5 then accept; accept;", "~ applied on unknown type pair"),
    ("bgp_path.delete((1,2)); accept;", "Can't delete non-integer"),
])
def test_runtime_errors_reject(body: str, msg: str) -> None:
    pre = "function nothing() int x; { x = 1; }\nfunction one() { return 1; }"
    res = flt(body, STATIC, prelude=pre)
    assert not res.accepted and res.decided_by.effect == "error" and msg in res.decided_by.text, res.decided_by


def test_med_set_when_present() -> None:
    res = flt("bgp_med = bgp_med + 1; accept;", STATIC_MED)
    assert res.accepted and res.route.med == 11


def test_uninitialised_variable_differs_by_version() -> None:
    # BIRD 2.0.12: `int x;` inside a block is a runtime error (verified); 2.14+: x is void
    res = flt("int x; accept;", BGP, dialect="2.0")
    assert not res.accepted and "VAR_INIT" in res.decided_by.text
    assert flt("int x; accept;", BGP, dialect="2.17").accepted
    # variables declared before the block start void in both
    cfg, _ = parse("filter f int x; { if defined(x) then reject; accept; }\nprotocol device {}\n")
    assert run(cfg, "f", BGP, dialect="2.0").accepted


def test_unsigned_32_bit_arithmetic() -> None:
    assert true("5 - 10 = 4294967291") and true("7 / 2 = 3") and true("4294967295 + 2 = 1")
    assert true("3 * (4 + 5) - 1 = 26") and true("65536 * 65536 = 0")


def test_comparisons_between_types() -> None:
    assert not true("RTS_BGP = 11") and true("RTS_BGP > RTS_STATIC") and true("source = RTS_BGP")
    assert not true("1.2.3.4 < ::1") and true("::1 < fd00::1") and true("(1,2) < (1,3)")
    assert true("\"a\" < \"b\"") and true("10.0.0.0/8 < 10.0.0.0/9") and true("(1,2) != (1,2,0)")
    assert true("net = fd00:224:1::/64") and not true("net = fd00:224:1::/48")
    assert true("from = fd00:101::fffe") and true("gw = fd00:101::fffe")


def test_static_route_attribute_defaults() -> None:
    # verified on BIRD 2.0.12 with a static blackhole route
    for e in ("from = ::", "gw = ::", "ifname = \"\"", "preference = 200", "source = RTS_STATIC",
              "scope = SCOPE_UNIVERSE", "dest = RTD_BLACKHOLE", "bgp_path.len = 0", "bgp_path.first = 0",
              "bgp_community.len = 0", "bgp_community.min = (0,0)", "!defined(bgp_origin)", "!defined(bgp_path)",
              "proto = \"s1\""):
        assert true(e, STATIC), e


# ---- matching (~) --------------------------------------------------------------------------------

@pytest.mark.parametrize("net,pattern,expected", [
    ("fd00:101:224::/64", "fd00:101::/48+", False),  # not inside the /48 (third group is 224)
    ("fd00:101:0:1::/64", "fd00:101::/48+", True),
    ("fd00:101::/48", "fd00:101::/48+", True),
    ("fd00:101::/40", "fd00:101::/48-", True),
    ("fd00:101::/48", "fd00:101::/48-", True),
    ("fd00:101::/56", "fd00:101::/48-", False),
    ("fd00:101:0:1::/64", "fd00:101::/48{64,64}", True),
    ("fd00:101::/64", "fd00:101::/48", False),
    ("10.0.0.0/8", "10.0.0.0/8{16,24}", False),
    ("10.1.0.0/16", "10.0.0.0/8{16,24}", True),
    ("8.0.0.0/5", "10.0.0.0/8-", True),
    ("9.0.0.0/8", "10.0.0.0/8-", False),
    ("0.0.0.0/0", "10.0.0.0/8-", True),
    ("0.0.0.0/0", "10.0.0.0/8+", False),
])
def test_prefix_set_patterns(net: str, pattern: str, expected: bool) -> None:
    assert true(f"net ~ [ {pattern} ]", route(net)) is expected


def test_prefix_and_ip_matching() -> None:
    assert true("fd00:224:0:1::/64 ~ fd00:224::/48") and not true("fd00:224::/48 ~ fd00:224:0:1::/64")
    assert not true("fd00:224:1::/64 ~ fd00:224::/48")  # the third group is not zero
    assert true("net ~ fd00:224::/32") and true("1.2.3.4 ~ 1.0.0.0/8") and not true("fd00::1 ~ 1.0.0.0/8")
    assert not true("net ~ [ 10.0.0.0/8+ ]")  # IPv6 net against an IPv4 set


def test_community_and_path_membership() -> None:
    assert true("(65000, 1) ~ bgp_community") and not true("(65000, 3) ~ bgp_community")
    assert true("bgp_community ~ [(65000, *)]") and not true("bgp_community ~ [(65001, *)]")
    assert true("bgp_community ~ [(65000, 2..5)]") and true("(65000, 1) !~ [(65000, 2..5)]")
    assert true("(4200001000, 0, 100) ~ bgp_large_community") and true("bgp_large_community ~ [(4200001000, 0, *)]")
    assert not true("bgp_large_community ~ [(4200001000, 1..5, *)]")
    assert true("65002 ~ bgp_path") and not true("65003 ~ bgp_path")
    assert true("bgp_path ~ [64512..65535]")  # any ASN of the path in the set


@pytest.mark.parametrize("mask,expected", [
    ("[= 65001 65002 =]", True), ("[= * 65002 =]", True), ("[= 65001 * =]", True), ("[= * =]", True),
    ("[= ? =]", False), ("[= ? ? =]", True), ("[= ? * =]", True), ("[= 65002 * =]", False),
    ("[= * 65001 * =]", True), ("[= 65001..65010 65002 =]", True), ("[= [65001, 65009] ? =]", True),
    ("[= 65001 + 65002 =]", True), ("[= =]", False), ("[= * 65003 * =]", False),
])
def test_path_masks(mask: str, expected: bool) -> None:
    assert true(f"bgp_path ~ {mask}") is expected


def test_path_mask_loop_and_expressions() -> None:
    r = route("fd00::/64", path=(65001, 65001, 65001, 65002))
    assert true("bgp_path ~ [= 65001 + 65002 =]", r) and not true("bgp_path ~ [= 65001 65002 =]", r)
    assert true("bgp_path ~ [= (65000 + 1) + (X) =]", r, prelude="define X = 65002;")
    assert true("bgp_path ~ [= * X =]", r, prelude="define X = 65002;")


def test_path_mask_with_as_sets() -> None:
    r = route("fd00::/64", as_path=AsPath((AsPathSegment((65001,)), AsPathSegment((65005, 65006), set_=True))))
    assert true("bgp_path ~ [= 65001 65006 =]", r) and true("bgp_path ~ [= 65001 ? =]", r)
    assert true("bgp_path.len = 2 && bgp_path.last = 0 && bgp_path.last_nonaggregated = 65001", r)


@pytest.mark.parametrize("s,pattern,expected", [
    ("abc", "a*c", True), ("abc", "a*", True), ("abc", "*?", False), ("a?c", "*?", False), ("ab", "a?b", False),
    ("a.b", "a?b", True), ("", "*", True), ("cilium", "cil*", True), ("upstream", "up?", False),
])
def test_string_glob(s: str, pattern: str, expected: bool) -> None:
    # BIRD's patmatch: after '*' the next character is searched literally, so "*?" needs a '?'
    assert true(f'"{s}" ~ "{pattern}"') is expected


def test_int_pair_quad_ip_sets() -> None:
    assert true("5 ~ [1, 5..10, 20]") and not true("11 ~ [1, 5..10, 20]")
    assert true("1.2.3.4 ~ [1.2.3.0..1.2.3.10]") and true("(2,9) ~ [(1..3, 5..10)]")
    assert not true("(4,9) ~ [(1..3, 5..10)]") and not true("(2,4) ~ [(1..3, 5..10)]")
    assert true("(1, 2) ~ [(1,2)..(1,5)]") and true("RTS_BGP ~ [RTS_BGP, RTS_STATIC]")
    assert true("(1,2,3) ~ [(1,3..5,*), (1,2,3)]") and not true("(1,2,4) ~ [(1,2,3)..(1,2,3)]")
    assert true("(rt, 1, 5) ~ [(rt, 1, *)]") and not true("(ro, 1, 5) ~ [(rt, 1, *)]")


# ---- case, for, print ----------------------------------------------------------------------------

def test_case_has_no_fall_through() -> None:
    body = "case net.len {\n 48: print \"48\";\n 64: bgp_med = 64;\n 65: bgp_med = 65;\n else: reject;\n}\naccept;"
    res = flt(body, BGP)
    assert res.accepted and res.route.med == 64
    assert [s.effect for s in res.trace] == ["match", "set", "accept"] and res.trace[0].text.startswith("case 64:")
    assert not flt(body, route("fd00::/40")).accepted
    # no matching arm and no else: nothing happens
    assert flt("case net.len { 1: reject; }\naccept;", BGP).accepted
    # an item with no statements does nothing (it does not fall into the next arm)
    assert flt("case net.len { 64: 65: reject; }\naccept;", BGP).accepted


def test_case_on_void_takes_else() -> None:
    assert flt("case bgp_med { 10: accept; else: reject; }", STATIC_MED).accepted
    assert not flt("case bgp_med { 10: accept; else: reject; }", STATIC).accepted
    assert not flt("case bgp_med { 10: accept; }", STATIC).accepted  # then no verdict at all


def test_case_ranges_enums_and_tuples() -> None:
    assert flt("case bgp_path.len { 0..1: reject; 2, 3: accept; }", BGP).accepted
    assert flt("case source { RTS_STATIC: reject; RTS_BGP: accept; }", BGP).accepted
    assert flt("case (65000, 5) { (65000, 1..10): accept; else: reject; }", BGP).accepted


def test_for_loops() -> None:
    body = "int sum = 0;\nfor int a in bgp_path do { sum = sum + a; }\nif sum = 130003 then accept; reject;"
    assert flt(body, BGP).accepted
    body2 = "int n = 0;\nfor pair c in bgp_community do { if c.asn = 65000 then n = n + c.data; }\n" \
            "if n = 3 then accept; reject;"
    assert flt(body2, BGP).accepted
    body3 = "int n = 0;\nfor lc c in bgp_large_community do n = n + c.data2;\nif n = 100 then accept; reject;"
    assert flt(body3, BGP).accepted


def test_print_goes_to_the_trace() -> None:
    res = flt("print \"net \", net, \" path \", bgp_path, \" \", bgp_community, \" \", source;\naccept;", BGP)
    notes = [s.text for s in res.trace if s.effect == "note"]
    assert notes == ["print: net fd00:224:1::/64 path (path 65001 65002) (clist (65000,1) (65000,2)) (enum 30)11"]
    res = flt("accept \"ok \", net.len;", BGP)
    assert res.decided_by.text.endswith("[prints: ok 64]")


# ---- attributes and the route ---------------------------------------------------------------------

def test_attribute_mapping_reads() -> None:
    for e in ('proto = "upstream"', "source = RTS_BGP", "from = fd00:101::fffe", "gw = fd00:101::fffe",
              "bgp_next_hop = fd00:101::fffe", "bgp_path.first = 65001", "bgp_path.last = 65002",
              "bgp_local_pref = 100", "bgp_origin = ORIGIN_IGP", "preference = 100", "dest = RTD_UNICAST",
              "net.type = NET_IP6", "net.ip = fd00:224:1::", "defined(bgp_path)", "bgp_community.len = 2",
              "bgp_community.min = (65000,1) && bgp_community.max = (65000,2)", "!defined(bgp_ext_community)"):
        assert true(e), e


def test_attribute_writes_make_a_new_route() -> None:
    body = """
bgp_local_pref = 300; bgp_med = 7; bgp_origin = ORIGIN_INCOMPLETE; bgp_path.prepend(65011);
bgp_community.add((65011, 1)); bgp_community.delete((65000, 1)); bgp_large_community.add((1, 2, 3));
bgp_ext_community.add((rt, 65011, 7)); bgp_ext_community.add((ro, 10.0.0.1, 5)); bgp_next_hop = fd00::9;
preference = 50; bgp_originator_id = 1.2.3.4;
accept;"""
    res = flt(body, BGP)
    r = res.route
    assert res.accepted and r is not BGP and BGP.local_pref == 100
    assert (r.local_pref, r.med, r.origin, r.as_path) == (300, 7, Origin.INCOMPLETE, AsPath.of(65011, 65001, 65002))
    assert r.communities == {(65000, 2), (65011, 1)} and r.large_communities == {(4200001000, 0, 100), (1, 2, 3)}
    assert r.ext_communities == {ExtCommunity("rt", "65011", 7), ExtCommunity("soo", "10.0.0.1", 5)}
    assert r.next_hop == A("fd00::9") and r.preference == 50 and r.originator_id == A("1.2.3.4")
    assert [s.effect for s in res.trace].count("set") == 12


def test_rejected_route_is_the_original() -> None:
    res = flt("bgp_local_pref = 300; reject;", BGP)
    assert res.route is BGP


def test_old_function_forms_and_deletion() -> None:
    body = """
bgp_community = add(bgp_community, (65011, 5));
bgp_community = delete(bgp_community, [(65000, *)]);
bgp_path = prepend(bgp_path, 64999);
bgp_path = delete(bgp_path, 65001);
bgp_large_community = filter(bgp_large_community, [(1, *, *)]);
accept;"""
    r = flt(body, BGP).route
    assert r.communities == {(65011, 5)} and r.as_path == AsPath.of(64999, 65002) and not r.large_communities


def test_defined_after_add_and_delete() -> None:
    # verified on BIRD 2.0.12: deleting the last element leaves a defined, empty list
    assert true("defined(bgp_community)", STATIC) is False
    assert flt("bgp_community.add((1,2)); if defined(bgp_community) then accept; reject;", STATIC).accepted
    assert not flt("bgp_community.delete((1,2)); if defined(bgp_community) then accept; reject;", STATIC).accepted
    assert flt("bgp_community.add((1,2)); bgp_community.delete((1,2)); if defined(bgp_community) then accept; "
               "reject;", STATIC).accepted
    assert not flt("bgp_community.empty; if defined(bgp_community) then accept; reject;", BGP).accepted


def test_unset() -> None:
    r = flt("unset(bgp_local_pref); unset(bgp_community); accept;", BGP).route
    assert r.local_pref is None and not r.communities


def test_static_attributes_write() -> None:
    r = flt("dest = RTD_BLACKHOLE; accept;", BGP).route
    assert r.dest is RouteDest.BLACKHOLE and r.next_hop is None
    r = flt("gw = fd00::5; ifname = \"eth1\"; accept;", STATIC).route
    assert r.ifname == "eth1" and r.next_hop is None  # setting ifname drops the gateway, like BIRD


def test_custom_attributes_survive_between_filters() -> None:
    cfg, d = parse("attribute int my_tag;\nfilter a { my_tag = 7; accept; }\n"
                   "filter b { if my_tag = 7 then accept; reject; }\nprotocol device {}\n")
    assert not d.errors
    r = run(cfg, "a", BGP).route
    assert run(cfg, "b", r).accepted and not run(cfg, "b", BGP).accepted


def test_quad_and_ec_constructors() -> None:
    assert true("bgp_originator_id = 1.2.3.4", BGP.replace(originator_id=A("1.2.3.4")))
    res = flt("bgp_ext_community.add((rt, 70000, 65536)); accept;", BGP)
    assert not res.accepted and "4-byte ASN" in res.decided_by.text
    res = flt("bgp_ext_community.add((rt, 1.2.3.4, 70000)); accept;", BGP)
    assert not res.accepted and "IP-address key" in res.decided_by.text


def test_static_route_attribute_block() -> None:
    cfg, d = fixture("grammar_all.conf")
    st = cfg.protocol("static6")
    r91 = st.routes[8]
    base = route(str(r91.prefix), Protocol.STATIC, source_name="static6", dest=RouteDest.BLACKHOLE)
    res = BirdFilterPolicy(cfg, r91.attrs).evaluate(base)
    assert res.accepted and res.route.large_communities == {(4200001000, 0, 100)}
    assert res.route.as_path == AsPath.of(65002) and res.route.med == 5


def test_seed004_filters() -> None:
    cfg, _ = fixture("seed004_node.conf")
    up = cfg.protocol("upstream")
    exp = BirdFilterPolicy(cfg, up.channel(6).export)
    lo = route("fd00:101:fe::11/128", Protocol.CONNECTED, source_name="direct_routes")
    res = exp.evaluate(lo)
    assert res.accepted and res.route.large_communities == {(4200001000, 0, 200)}
    assert [(s.loc.line, s.effect) for s in res.trace] == [(65, "match"), (66, "set"), (67, "accept")]
    pod = route("fd00:101:224::/64", Protocol.BGP, path=(4220101000,), source_name="cilium")
    res = exp.evaluate(pod)
    assert res.accepted and not res.route.large_communities and res.decided_by.loc.line == 70
    imp = BirdFilterPolicy(cfg, up.channel(6).import_)
    res = imp.evaluate(route("fd00:101::/64", path=(4200001000,)))
    assert not res.accepted and res.decided_by.loc.line == 60 and res.decided_by.text.startswith("if net =")
    assert imp.evaluate(route("fd00:101:224:1::/64", path=(4200001000,))).accepted


def test_trace_covers_every_executed_statement() -> None:
    cfg, _ = fixture("grammar_all.conf")
    r = route("fd00:224::/64", Protocol.BGP, path=(65000,), source_name="upstream")
    res = run(cfg, "to_kernel", r)
    assert res.accepted
    assert [(s.loc.line, s.effect) for s in res.trace] == [
        (60, "set"), (61, "set"), (62, "no-match"), (63, "no-match"), (64, "no-match"), (66, "match"), (66, "accept")]


def test_roa_check_is_recognised() -> None:
    res = flt("if roa_check(master6, net, bgp_path.last) = ROA_UNKNOWN then accept; reject;", BGP)
    assert res.accepted and any("no ROA data" in s.text for s in res.trace)
