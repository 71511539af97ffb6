import ipaddress

from hypothesis import given, strategies as st

from podpath.diagnostics import Diagnostics, Loc
from podpath.readers.bird import parse_bird
from podpath.readers.bird.interp import BirdFilterPolicy, PrefixPattern
from podpath.readers.bird.model import FilterSpec
from podpath.routing.policy import PolicyContext
from podpath.routing.route import AsPath, Protocol, Route

N = ipaddress.ip_network


def policy(text: str, name: str = "f"):
    cfg = parse_bird(text, "f.conf", Diagnostics())
    return BirdFilterPolicy(cfg, FilterSpec("named", Loc("f.conf", 1, 1), name=name), text.splitlines())


def run(text, route, name="f"):
    return policy(text, name).evaluate(route, PolicyContext())


def test_prefix_sets_as_bird_defines_them():
    f = "filter f { if net ~ [ fd00:101::/48+ ] then accept; reject; }"
    assert not run(f, Route(N("fd00:101:224::/64"))).accepted  # not inside the /48
    assert run(f, Route(N("fd00:101:0:1::/64"))).accepted
    f2 = "filter f { if net ~ [ fd00:101::/48- ] then accept; reject; }"
    assert run(f2, Route(N("fd00:101::/40"))).accepted
    f3 = "filter f { if net ~ [ 10.0.0.0/8{16,24} ] then accept; reject; }"
    assert not run(f3, Route(N("10.0.0.0/8"))).accepted and run(f3, Route(N("10.1.0.0/16"))).accepted


@given(st.integers(0, 2**16 - 1), st.integers(48, 128), st.integers(0, 128), st.integers(0, 128))
def test_prefix_pattern_brute_force(third, plen, lo, hi):
    pat_net = N("fd00:101::/48")
    lo, hi = min(lo, hi), max(lo, hi)
    pat = PrefixPattern(pat_net, lo, hi)
    p = N(f"fd00:101:{third:x}::/{max(plen, 48)}", strict=False)
    # reference: inside the pattern's first 48 bits (or p shorter: p's bits equal), length within [lo, hi]
    k = min(48, p.prefixlen)
    same = (int(p.network_address) >> (128 - k)) == (int(pat_net.network_address) >> (128 - k))
    assert pat.matches(p) == (same and lo <= p.prefixlen <= hi)


def test_unset_attribute_compares_false_and_end_without_verdict_rejects():
    f = "filter f { if bgp_med > 5 then accept; }"
    res = run(f, Route(N("10.0.0.0/24")))
    assert not res.accepted and "without accept or reject" in res.decided_by.text
    g = "filter f { if bgp_med > 5 then reject; accept; }"
    assert run(g, Route(N("10.0.0.0/24"))).accepted


def test_accept_in_function_ends_filter():
    f = "function acc64() { if net.len = 64 then accept; return 1; }\nfilter f { acc64(); reject; }"
    assert run(f, Route(N("fd00::/64"))).accepted
    assert not run(f, Route(N("fd00::/48"))).accepted


def test_communities_paths_and_case():
    f = """filter f {
  if (65000, 1) ~ bgp_community && bgp_path ~ [= * 65002 =] then {
    bgp_large_community.add((1, 2, 3));
    bgp_local_pref = 200;
    accept;
  }
  case bgp_path.len { 0: reject "empty"; else: reject; }
}"""
    r = Route(N("fd00::/64"), Protocol.BGP, as_path=AsPath.of(65001, 65002), communities=frozenset({(65000, 1)}))
    res = run(f, r)
    assert res.accepted and res.route.large_communities == {(1, 2, 3)} and res.route.local_pref == 200
    assert not run(f, r.replace(as_path=AsPath())).accepted


def test_runtime_error_rejects():
    f = "filter f { if net.len + \"x\" = 1 then accept; accept; }"
    res = run(f, Route(N("fd00::/64")))
    assert not res.accepted and res.errors


def test_proto_glob_and_where():
    cfg = parse_bird('protocol device {}\nprotocol static s { ipv6; }\n', "w.conf", Diagnostics())
    from podpath.readers.bird.parser import BirdParser

    p = BirdParser('protocol kernel { ipv6 { export where proto ~ "up*" && source = RTS_BGP; }; }', "k.conf", Diagnostics())
    k = p.parse()
    spec = k.protocols[0].channels["ipv6"].export
    pol = BirdFilterPolicy(k, spec)
    assert pol.evaluate(Route(N("fd00::/64"), Protocol.BGP, source_name="upstream"), PolicyContext()).accepted
    assert not pol.evaluate(Route(N("fd00::/64"), Protocol.BGP, source_name="cilium"), PolicyContext()).accepted
