"""Symbolic policy analysis (routing/symbolic.py): one test per construct, and property tests that the
symbolic verdict of random routes equals the concrete evaluator's (the simulator's)."""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpath.diagnostics import Diagnostics
from podpath.readers.bird import parse_bird
from podpath.readers.bird.interp import BirdFilterPolicy
from podpath.readers.frr.parser import parse_frr
from podpath.readers.frr.policy import RouteMapPolicy
from podpath.routing.policy import Direction, PolicyContext
from podpath.routing.route import AsPath, Origin, Route
from podpath.routing.symbolic import DENY, PERMIT, UNKNOWN, Space, compile_policy, has_community, search

N = ipaddress.ip_network
A = ipaddress.ip_address
PEER = A("fd00:101::11")
CTX = PolicyContext(Direction.IMPORT, local_as=65000, peer_as=65011, peer_address=PEER, ibgp=False)

FRR = """\
frr version 10.3
ipv6 prefix-list PODS seq 5 permit fd00:101:224::/60 le 64
ipv6 prefix-list TENANT seq 20 permit fd00:101::/48 le 128
ipv6 prefix-list LOOP seq 5 deny fd00:101:fe::99/128
ipv6 prefix-list LOOP seq 10 permit fd00:101:fe::/64 le 128
bgp large-community-list standard INTERNAL seq 5 permit 4200001000:0:100
bgp community-list standard NOEXP seq 5 permit 65000:666
bgp community-list expanded RX seq 5 permit ^65000:7[0-9]$
bgp as-path access-list ORIGIN11 seq 5 permit _65011$
route-map IN permit 5
 match ipv6 address prefix-list PODS
 match large-community INTERNAL
exit
route-map IN deny 6
 match ipv6 address prefix-list PODS
exit
route-map IN permit 10
 match ipv6 address prefix-list TENANT
exit
route-map IN deny 999
exit
route-map TAG permit 10
 match ipv6 address prefix-list LOOP
 set community 65000:666 additive
 on-match next
exit
route-map TAG deny 20
 match community NOEXP
 match as-path ORIGIN11
exit
route-map TAG permit 30
 set local-preference 50
exit
route-map CALLER permit 10
 call SUB
exit
route-map SUB deny 10
 match metric 7
exit
route-map SUB permit 20
exit
route-map GOTO permit 10
 match ipv6 address prefix-list PODS
 continue 30
exit
route-map GOTO deny 20
exit
route-map GOTO permit 30
 match local-preference 50
exit
route-map GOTO permit 40
exit
route-map REGEX permit 10
 match community RX
exit
bgp community-list standard EXACT seq 5 permit 65000:1 65000:666
bgp community-list standard ONLY666 seq 5 permit 65000:666
bgp community-list standard DEL1 seq 5 permit 65000:1
route-map EXACTM permit 10
 match community EXACT exact-match
exit
route-map REPL permit 10
 match ipv6 address prefix-list TENANT
 set community 65000:666
 on-match next
exit
route-map REPL permit 20
 match community ONLY666 exact-match
exit
route-map DEL permit 10
 set comm-list DEL1 delete
 on-match next
exit
route-map DEL deny 20
 match community DEL1
exit
route-map DEL permit 30
 match community EXACT exact-match
exit
"""


def frr(name: str) -> RouteMapPolicy:
    return RouteMapPolicy(parse_frr(FRR, "frr.conf", Diagnostics()), name, applied_at="neighbor")


def comp(policy: object, family: int = 6, ctx: PolicyContext = CTX):
    sp = Space(family)
    for _ in range(4):
        sp.mark()
        c = compile_policy(policy, sp, ctx)
        if not sp.grew:
            return sp, c
    raise AssertionError("atoms never settled")


def route(prefix: str, **kw: object) -> Route:
    kw.setdefault("peer", PEER)
    return Route(N(prefix), **kw)  # type: ignore[arg-type]


def test_seed004_questions_rule10_cannot_pass_a_pod_prefix_and_any_pod_prefix_with_the_community_can() -> None:
    sp, c = comp(frr("IN"))
    pods = sp.prefix_within(N("fd00:101:224::/60"))
    res = search(c, PERMIT, pods & ~has_community(sp, "4200001000:0:100"))
    assert res.answer == "none"
    res = search(c, PERMIT, pods)
    assert res.answer == "found" and all(e.agrees and e.concrete == PERMIT for e in res.found)
    assert all((4200001000, 0, 100) in e.route.large_communities for e in res.found)
    assert [s.text for s in res.found[0].path.steps][-1] == "route-map IN permit 5: permit"
    # rule 10's prefix-list does not contain the pod range: the pod region reaches deny 6 or permit 5 only
    assert search(c, PERMIT, sp.prefix_within(N("fd00:101::/48"))).answer == "found"


def test_prefix_list_first_match_and_lengths() -> None:
    sp, c = comp(frr("TAG"))
    assert c.verdict_of(route("fd00:101:fe::99/128")) == PERMIT  # LOOP denies it: clause 10 no match, 30 permits
    r = search(c, DENY, sp.true)
    assert r.answer == "found"
    ex = r.found[0].route
    assert ex.prefix.subnet_of(N("fd00:101:fe::/64")) and ex.as_path.asns()[-1:] == (65011,)


def test_on_match_next_with_a_set_community_read_by_a_later_match() -> None:
    """`set community ... additive` then `on-match next`: clause 20 sees the community it added."""
    sp, c = comp(frr("TAG"))
    r = route("fd00:101:fe::1/128", as_path=AsPath.of(65011))
    assert c.verdict_of(r) == DENY == ("permit" if frr("TAG").evaluate(r, CTX).accepted else "deny")
    r2 = route("fd00:101:fe::1/128", as_path=AsPath.of(65011, 65099))
    assert c.verdict_of(r2) == PERMIT


def test_call_deny_denies_and_metric_match() -> None:
    sp, c = comp(frr("CALLER"))
    assert c.verdict_of(route("fd00::/64", med=7)) == DENY
    assert c.verdict_of(route("fd00::/64", med=8)) == PERMIT
    assert c.verdict_of(route("fd00::/64")) == PERMIT


def test_continue_jumps_over_a_deny() -> None:
    sp, c = comp(frr("GOTO"))
    assert c.verdict_of(route("fd00:101:224::/64")) == PERMIT  # continue 30 -> 30 no match -> 40 permits
    assert c.verdict_of(route("fd00:1::/64")) == DENY  # 10 no match -> deny 20


def test_exact_match_replace_and_delete() -> None:
    sp, c = comp(frr("EXACTM"))
    assert c.verdict_of(route("fd00::/64", communities=frozenset({(65000, 1), (65000, 666)}))) == PERMIT
    assert c.verdict_of(route("fd00::/64", communities=frozenset({(65000, 1), (65000, 666), (9, 9)}))) == DENY
    sp, c = comp(frr("REPL"))  # the replaced set is exactly 65000:666, whatever the route carried
    assert c.verdict_of(route("fd00:101::/64", communities=frozenset({(1, 1), (65000, 1)}))) == PERMIT
    assert c.verdict_of(route("fd00:9::/64", communities=frozenset({(65000, 666), (1, 1)}))) == DENY  # not replaced
    assert c.verdict_of(route("fd00:9::/64", communities=frozenset({(65000, 666)}))) == PERMIT
    sp, c = comp(frr("DEL"))  # 65000:1 deleted first: deny 20 never matches, 30 needs exactly {1, 666}: never
    assert search(c, PERMIT, sp.true).answer == "none"


def test_expanded_community_list_is_unknown_never_none() -> None:
    sp, c = comp(frr("REGEX"))
    res = search(c, PERMIT, sp.true)
    assert res.answer == "unknown" and res.unknown
    assert any("expanded" in s.text for e in res.unknown for s in e.path.reasons)


BIRD = """\
define PODS = [ fd00:101:224::/60{64,64} ];
function is_pod() -> bool { return net ~ PODS; }
filter node_in {
  if net = fd00:101::/64 then reject;
  if is_pod() && (4200001000, 0, 100) ~ bgp_large_community then {
    bgp_local_pref = 200;
    accept;
  }
  if bgp_path.len > 2 then reject;
  if bgp_med > 10 then { bgp_community.add((65000, 1)); accept; }
  if bgp_path ~ [= * 65011 =] then accept;
  reject;
}
function in_set(prefix set s) -> bool { return net ~ s; }
filter with_fn {
  if in_set(PODS) then accept;
  if in_set([ fd00:9::/32+ ]) && bgp_path.len = 1 then accept;
  reject;
}
filter with_loop {
  int i;
  i = 3;
  accept;
}
"""


def bird(name: str) -> BirdFilterPolicy:
    diags = Diagnostics()
    cfg = parse_bird(BIRD, "bird.conf", diags)
    assert not [d for d in diags if d.level == "error"], [str(d) for d in diags]
    return BirdFilterPolicy(cfg, cfg.filters[name])


def test_bird_filter_paths_and_examples_agree() -> None:
    sp, c = comp(bird("node_in"))
    pods = sp.prefix_within(N("fd00:101:224::/60"))
    res = search(c, PERMIT, pods & has_community(sp, "4200001000:0:100"))
    assert res.answer == "found" and all(e.agrees for e in res.found)
    assert search(c, PERMIT, sp.prefix_is(N("fd00:101::/64"))).answer == "none"
    assert c.verdict_of(route("fd00:9::/48", med=11, as_path=AsPath.of(1))) == PERMIT
    assert c.verdict_of(route("fd00:9::/48", med=None, as_path=AsPath.of(1))) == DENY  # unset MED compares low
    assert c.verdict_of(route("fd00:9::/48", as_path=AsPath.of(7, 65011))) == PERMIT
    assert c.verdict_of(route("fd00:9::/48", as_path=AsPath.of(7, 8, 65011))) == DENY


def test_bird_local_variables_are_unknown_with_their_line() -> None:
    sp, c = comp(bird("with_loop"))
    res = search(c, PERMIT, sp.true)
    assert res.answer == "unknown"
    assert res.unknown[0].path.reasons[0].loc.line == 21  # `int i;`


def test_bird_function_with_constant_arguments_is_inlined() -> None:
    sp, c = comp(bird("with_fn"))
    assert not [p for p in c.paths if p.verdict == UNKNOWN]
    assert c.verdict_of(route("fd00:101:224:3::/64")) == PERMIT
    assert c.verdict_of(route("fd00:101:224::/60")) == DENY  # PODS takes /64s only
    assert c.verdict_of(route("fd00:9:1::/48", as_path=AsPath.of(65011))) == PERMIT
    assert c.verdict_of(route("fd00:9:1::/48", as_path=AsPath.of(65011, 7))) == DENY


# ------------------------------------------------------------------------------------------ properties

PREFIXES = ["fd00:101:224::/64", "fd00:101:224:3::/64", "fd00:101:224::/60", "fd00:101:224::/56",
            "fd00:101::/48", "fd00:101::5/128", "fd00:101:fe::99/128", "fd00:101:fe::1/128", "fd00:101:fe::/64",
            "fd00:9::/48", "2001:db8::/32", "::/0"]
COMMS = [(65000, 666), (65000, 71), (65000, 1), (1, 1)]
LARGE = [(4200001000, 0, 100), (4200001000, 0, 200)]
ASNS = [65011, 65099, 7, 8]

routes = st.builds(
    lambda p, c, lc, path, med, lp, o: route(p, communities=frozenset(c), large_communities=frozenset(lc),
                                             as_path=AsPath.of(*path), med=med, local_pref=lp, origin=o),
    st.sampled_from(PREFIXES), st.sets(st.sampled_from(COMMS)), st.sets(st.sampled_from(LARGE)),
    st.lists(st.sampled_from(ASNS), max_size=3), st.one_of(st.none(), st.sampled_from([0, 7, 8, 11])),
    st.one_of(st.none(), st.sampled_from([50, 100])), st.sampled_from(list(Origin)))

COMPILED = {name: comp(frr(name)) for name in ("IN", "TAG", "CALLER", "GOTO", "EXACTM", "REPL", "DEL")}
COMPILED_BIRD = comp(bird("node_in"))
COMPILED_BIRD_FN = comp(bird("with_fn"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(routes)
def test_frr_symbolic_verdict_equals_concrete(r: Route) -> None:
    for name, (sp, c) in COMPILED.items():
        concrete = PERMIT if c.policy.evaluate(r, CTX).accepted else DENY
        assert c.verdict_of(r) in (concrete, UNKNOWN), (name, r)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(routes)
def test_bird_symbolic_verdict_equals_concrete(r: Route) -> None:
    for sp, c in (COMPILED_BIRD, COMPILED_BIRD_FN):
        concrete = PERMIT if c.policy.evaluate(r, CTX).accepted else DENY
        assert c.verdict_of(r) == concrete, r


def test_every_example_of_every_path_agrees_with_the_concrete_evaluator() -> None:
    from podpath.routing.symbolic import examples

    for sp, c in list(COMPILED.values()) + [COMPILED_BIRD, COMPILED_BIRD_FN]:
        exs = examples(c, sp.true)
        assert exs and all(e.agrees for e in exs)
        assert all(c.verdict_of(e.route) == e.path.verdict for e in exs if e.route is not None)


CTX_OUT = PolicyContext(Direction.EXPORT, local_as=65000, peer_as=65011, ibgp=False)
COMPILED_OUT = {name: comp(frr(name), ctx=CTX_OUT) for name in ("TAG", "GOTO", "REPL", "DEL")}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(routes)
def test_frr_export_context_symbolic_verdict_equals_concrete(r: Route) -> None:
    """Without a peer (an export, a named map): unset LOCAL_PREF reads as the default, as in FRR."""
    r = r.replace(peer=None)
    for name, (sp, c) in COMPILED_OUT.items():
        concrete = PERMIT if c.policy.evaluate(r, CTX_OUT).accepted else DENY
        v = c.verdict_of(r)
        assert v in (concrete, UNKNOWN), (name, r)


def _prefix_is_union(sp: Space, items: list[tuple[int, int, int]]) -> object:
    """What Space.prefix_paths stands for, one `prefix_is` per prefix."""
    out = sp.false
    cls = ipaddress.IPv4Network if sp.family == 4 else ipaddress.IPv6Network
    for a, lo, hi in items:
        for n in range(max(lo, 0), min(hi, sp.width) + 1):
            out = out | sp.prefix_is(cls((a, n), strict=False))
    return out


def test_prefix_paths_is_the_union_of_prefix_is_on_awkward_sets() -> None:
    """Nested and duplicate networks, /0, full-length host prefixes, an empty range, both families."""
    for fam, nets, spans in (
            (4, ["10.64.0.0/24", "10.64.0.0/24", "10.64.0.0/16", "10.64.1.0/24", "0.0.0.0/0", "10.1.2.3/32"],
             [(1, -1), (0, 0), (0, 32), (5, 3)]),
            (6, ["fd00:224::/64", "fd00:224:1::/64", "fd00:224::/48", "::/0", "fd00::1/128", "8000::/1"],
             [(1, -1), (0, 0), (0, 128), (60, 70)])):
        sp = Space(fam)
        for lo, hi in spans:
            items = []
            for n in nets:
                net = ipaddress.ip_network(n)
                top = net.prefixlen + hi if hi < 0 else hi  # hi -1: every shorter prefix (SEC001's covering ones)
                items.append((int(net.network_address), lo, top))
            assert sp.prefix_paths(items) == _prefix_is_union(sp, items), (fam, lo, hi)
    sp = Space(4)
    assert sp.prefix_paths([]) == sp.false


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2 ** 32 - 1), st.integers(0, 32), st.integers(0, 32)), max_size=12))
def test_prefix_paths_equals_prefix_is_union(items: list[tuple[int, int, int]]) -> None:
    sp = Space(4)
    assert sp.prefix_paths(items) == _prefix_is_union(sp, items)
