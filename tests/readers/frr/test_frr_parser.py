"""FRR reader: every construct, peer-group inheritance, node semantics, errors, unsupported."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podpath.diagnostics import Diagnostics, Level
from podpath.readers.frr import looks_like_frr, parse_frr
from podpath.readers.frr.model import IPV4_UNICAST, IPV6_UNICAST, L2VPN_EVPN, AfKey, FrrConfig
from podpath.routing.route import ExtCommunity, Origin

FIX = Path(__file__).parent / "fixtures"


def load(name: str) -> tuple[FrrConfig, Diagnostics]:
    d = Diagnostics()
    return parse_frr((FIX / name).read_text(), name, d), d


def parse(text: str) -> tuple[FrrConfig, Diagnostics]:
    d = Diagnostics()
    return parse_frr(textwrap.dedent(text).lstrip("\n"), "frr.conf", d), d


def net(s: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(s)


@pytest.fixture(scope="module")
def ks() -> FrrConfig:
    cfg, d = load("kitchen-sink.conf")
    assert list(d) == [], [x.render() for x in d]
    return cfg


# ------------------------------------------------------------------------------------------- sniffing

@pytest.mark.parametrize("name", ["kitchen-sink.conf", "pve01-seed004.conf", "frrpol-frr1.conf", "bad-syntax.conf"])
def test_looks_like_frr_fixtures(name: str) -> None:
    assert looks_like_frr((FIX / name).read_text())


@pytest.mark.parametrize("text", [
    "hostname leaf1\n!\ninterface eth0\n ip address 10.0.0.1/24\n!\nline vty\n!\n",
    "route-map RM permit 10\n match ip address prefix-list X\n",
    "ip prefix-list X seq 5 permit 10.0.0.0/8\n",
    "router bgp 65000\n neighbor 10.0.0.2 remote-as 65001\n",
    "frr defaults datacenter\n",
])
def test_looks_like_frr_snippets(text: str) -> None:
    assert looks_like_frr(text)


@pytest.mark.parametrize("text", [
    "",
    "router id 10.0.0.1;\nprotocol bgp upstream {\n  local as 65000;\n  neighbor fd00::1 as 65001;\n}\n",
    "log syslog all;\nprotocol device {\n}\nfilter f { accept; }\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    '{"router": "bgp 65000"}\n',
    "hostname x\n",
    "The router bgp process was restarted.\n",
])
def test_looks_like_frr_rejects(text: str) -> None:
    assert not looks_like_frr(text)


# ------------------------------------------------------------------------------------------- global, zebra side

def test_header_and_interfaces(ks: FrrConfig) -> None:
    assert (ks.version, ks.profile, ks.hostname) == ("8.4.4", "traditional", "tor1")
    assert ks.version_loc is not None and ks.version_loc.line == 1
    eth0 = ks.interfaces["eth0"]
    assert eth0.description == "uplink to spine (primary)"
    assert [str(a) for a, _ in eth0.addresses] == ["10.1.1.1/24", "fd00:10::1/64"]
    assert eth0.addresses[0][1].line == 19
    assert 4 in ks.nht_resolve_via_default


def test_vrf_and_static_routes(ks: FrrConfig) -> None:
    assert ks.vrfs["red"].vni == 100
    by = {(str(s.prefix), s.vrf): s for s in ks.static_routes}
    assert by[("10.99.0.0/16", "red")].nexthop == ipaddress.ip_address("10.1.1.254")
    assert by[("fd00:99::/48", "red")].blackhole
    s = by[("10.50.0.0/16", None)]
    assert (str(s.nexthop), s.interface, s.tag, s.distance) == ("10.1.1.253", "eth0", 77, 200)
    assert by[("10.60.0.0/16", None)].blackhole  # mask form
    assert by[("10.70.0.0/16", None)].blackhole  # Null0
    assert by[("10.80.0.0/16", None)].reject
    assert by[("10.90.0.0/16", None)].interface == "eth0" and by[("10.90.0.0/16", None)].nexthop is None
    assert by[("10.91.0.0/16", None)].nexthop_vrf == "red"
    assert ("10.92.0.0/16", "red") in by
    assert by[("fd00:51::/48", None)].distance == 250


def test_prefix_lists_auto_sequence_and_duplicates(ks: FrrConfig) -> None:
    pl = ks.prefix_lists[(4, "PL_AUTO")]
    assert [(e.seq, e.action, str(e.prefix), e.ge, e.le) for e in pl.entries] == [
        (5, "permit", "10.1.0.0/16", 0, 0),
        (7, "deny", "10.3.0.0/16", 20, 28),
        (10, "permit", "10.2.0.0/16", 24, 0),
        (15, "permit", "10.4.0.0/16", 0, 0),  # highest (10) + 5; the duplicate 10.1.0.0/16 is ignored
    ]
    assert pl.description == "auto sequence numbers"
    anye = ks.prefix_lists[(6, "PL_V6")].entries[1]
    assert anye.any and anye.le == 128 and str(anye.prefix) == "::/0"
    assert ks.prefix_lists[(6, "PL_EMPTY")].entries == []
    assert (4, "PL_V6") not in ks.prefix_lists  # ip and ipv6 lists are separate name spaces


def test_access_lists(ks: FrrConfig) -> None:
    acl = ks.access_lists[(4, "ACL_V4")]
    assert [(e.seq, e.action, e.any) for e in acl.entries] == [(5, "permit", False), (10, "deny", True)]
    assert ks.access_lists[(4, "ACL_EXACT")].entries[0].exact
    cisco = ks.access_lists[(4, "1")].entries[0]
    assert cisco.cisco and cisco.matches(net("10.9.0.0/16")) and not cisco.matches(net("11.0.0.0/8"))
    assert ks.access_lists[(6, "ACL_V6")].entries[0].matches(net("fd00:1::/64"))


def test_community_lists(ks: FrrConfig) -> None:
    std = ks.community_lists["CL_STD"]
    assert std.style == "standard"
    assert [(e.seq, e.action, e.values) for e in std.entries] == [
        (5, "permit", frozenset({(65000, 100), (65000, 200)})), (20, "deny", frozenset({(0xFFFF, 0xFF01)}))]
    assert ks.community_lists["CL_EXP"].entries[0].regex == "^65000:1[0-9]+$"
    assert ks.community_lists["10"].style == "standard"
    assert ks.community_lists["110"].style == "expanded"
    assert ks.large_community_lists["LC_STD"].entries[0].values == frozenset({(65000, 0, 100)})
    assert ks.large_community_lists["20"].entries[0].values == frozenset({(65000, 1, 1), (65000, 1, 2)})
    assert ks.large_community_lists["LC_EXP"].style == "expanded"
    assert ks.ext_community_lists["EC_STD"].entries[0].values == frozenset(
        {ExtCommunity("rt", "65000", 1), ExtCommunity("soo", "10.0.0.1", 5)})
    aspl = ks.as_path_lists["AS_ONE"]
    assert [(e.seq, e.action, e.regex) for e in aspl.entries] == [
        (5, "permit", "^65001$"), (10, "deny", "_65002_"), (15, "permit", ".*")]


# ------------------------------------------------------------------------------------------- route-maps

def test_route_map_clauses(ks: FrrConfig) -> None:
    rm = ks.route_maps["RM_IN"]
    assert [c.seq for c in rm.ordered()] == [10, 20, 30, 40, 50, 60]
    c10 = rm.clauses[10]
    assert c10.description == "accept tenant routes"
    kinds = {m.kind: m.value for m in c10.matches}
    assert kinds["ip address prefix-list"] == "PL_V4"
    assert kinds["community"] == ("CL_STD", True)
    assert kinds["large-community"] == ("LC_STD", False)
    assert kinds["metric"] == 10 and kinds["tag"] == 5 and kinds["local-preference"] == 200
    assert kinds["origin"] is Origin.IGP
    assert kinds["peer"] == ipaddress.ip_address("10.1.1.2")
    sets = {s.kind: s.value for s in c10.sets}
    assert sets["local-preference"] == ("+", 50)
    assert sets["metric"] == ("-", 5)
    assert sets["community"] == ("additive", frozenset({(65000, 1), (65000, 2)}), True)
    assert sets["as-path prepend"] == ("asns", (65000, 65000))
    assert sets["ip next-hop"] == ipaddress.ip_address("10.1.1.9")
    assert sets["aggregator as"] == (65000, ipaddress.ip_address("10.0.0.1"))
    assert c10.exit_policy == "next"
    assert c10.matches[0].loc.line == 74 and c10.loc.line == 72
    c20 = rm.clauses[20]
    assert (c20.exit_policy, c20.goto) == ("goto", 40)
    assert {s.kind for s in c20.sets} >= {"ipv6 next-hop global", "ipv6 next-hop local", "comm-list delete",
                                          "large-comm-list delete", "as-path exclude"}
    assert rm.clauses[30].action == "deny"
    assert rm.clauses[40].call is not None and rm.clauses[40].call.name == "RM_SUB"
    assert {s.kind: s.value for s in rm.clauses[40].sets}["community"] == ("none", frozenset(), False)
    assert {s.kind: s.value for s in rm.clauses[50].sets}["as-path prepend"] == ("last-as", 2)
    assert (rm.clauses[50].exit_policy, rm.clauses[50].goto) == ("goto", 60)
    assert {s.kind: s.value for s in rm.clauses[60].sets}["ip next-hop"] == "unchanged"
    assert rm.optimization and not ks.route_maps["RM_SUB"].optimization


def test_route_map_sequence_order_is_not_text_order() -> None:
    cfg, d = parse("""
        route-map RM deny 30
        exit
        route-map RM permit 5
        exit
        route-map RM permit 10
         match tag 1
        exit
        route-map RM permit 5
         set weight 7
        exit
    """)
    assert not d.errors
    rm = cfg.route_maps["RM"]
    assert [c.seq for c in rm.ordered()] == [5, 10, 30]
    assert [s.kind for s in rm.clauses[5].sets] == ["weight"]  # the second block re-enters clause 5


def test_second_match_of_same_kind_replaces_first() -> None:
    cfg, d = parse("""
        route-map RM permit 10
         match large-community A
         match large-community B
         set community 1:1
         set community 2:2 additive
        exit
    """)
    cl = cfg.route_maps["RM"].clauses[10]
    assert [m.value for m in cl.matches] == [("B", False)]
    assert [s.text for s in cl.sets] == ["set community 2:2 additive"]
    assert len([x for x in d if x.level is Level.WARNING and "keeps one" in x.message]) == 2


# ------------------------------------------------------------------------------------------- router bgp

def test_bgp_instance_options(ks: FrrConfig) -> None:
    inst = ks.bgp["default"]
    assert inst.asn == 65000 and str(inst.router_id) == "10.255.0.1"
    assert inst.default_ipv4_unicast is False and inst.default_ipv6_unicast is True
    assert inst.default_local_pref == 150
    assert inst.ebgp_requires_policy is False and inst.network_import_check is False
    assert inst.bestpath_as_path_multipath_relax and inst.bestpath_as_path_ignore and inst.bestpath_compare_routerid
    assert inst.bestpath_med_missing_as_worst and inst.bestpath_med_confed and inst.bestpath_peer_type_multipath_relax
    assert inst.cluster_id == "10.255.0.100"
    assert inst.log_neighbor_changes and inst.suppress_fib_pending and inst.deterministic_med
    assert inst.always_compare_med and inst.timers == (10, 30) and inst.listen_limit == 50
    assert inst.locs["bestpath as-path multipath-relax"].line == 144


def test_neighbors_and_peer_groups(ks: FrrConfig) -> None:
    inst = ks.bgp["default"]
    g = inst.neighbors["SPINES"]
    assert g.is_group and g.remote_as_mode == "external" and g.password == "s3cret"
    assert "s3cret" not in repr(g)
    n6 = inst.neighbors["fd00:10::2"]
    assert (n6.remote_as, n6.local_as, n6.local_as_no_prepend, n6.local_as_replace_as) == (65010, 65099, True, True)
    assert (n6.ttl_security, n6.disable_connected_check, n6.capability_extended_nexthop) == (2, True, True)
    assert n6.passive and n6.shutdown and n6.enforce_first_as
    eth0 = inst.neighbors["eth0"]
    assert (eth0.kind, eth0.v6only, eth0.remote_as_mode, eth0.capability_extended_nexthop, eth0.scope) == (
        "interface", True, "internal", True, "eth0")
    eth1 = inst.neighbors["eth1"]
    assert eth1.kind == "interface" and eth1.peer_group == "RACK"


def test_peer_group_inheritance(ks: FrrConfig) -> None:
    inst = ks.bgp["default"]
    m2 = inst.effective("10.1.1.2")
    assert (m2.remote_as_mode, m2.ebgp_multihop, m2.description, m2.timers, m2.update_source, m2.password) == (
        "external", 3, "spine layer", (3, 9), "lo", "s3cret")
    m3 = inst.effective("10.1.1.3")
    assert (m3.ebgp_multihop, m3.description) == (5, "spine2 override")  # member wins
    a2, a3 = m2.afs[IPV4_UNICAST], m3.afs[IPV4_UNICAST]
    assert a2.route_map_in is not None and a2.route_map_in.name == "RM_IN"
    assert a3.route_map_in is not None and a3.route_map_in.name == "RM_SUB"  # member override
    assert a3.route_map_in.loc.line == 207
    assert (a2.allowas_in, a3.allowas_in) == ("origin", 2)
    assert a3.next_hop_self == "force" and a3.prefix_list_out is not None and a3.filter_list_in is not None
    assert (a3.send_community, a3.send_community_large, a3.send_community_extended) == (True, True, True)
    assert a3.remove_private_as == "all replace-AS" and a3.as_override and a3.weight == 10
    assert a3.attribute_unchanged == frozenset({"next-hop"})
    assert a3.maximum_prefix == 1000 and a3.maximum_prefix_options == ("90", "warning-only")
    assert m3.active(IPV4_UNICAST)
    # ipv6 unicast active by `bgp default ipv6-unicast` when the group was created
    assert m3.active(IPV6_UNICAST)
    # group members that bound to the group take the group's activation, not their own default
    rack = inst.effective("eth1")
    assert rack.active(IPV4_UNICAST) and rack.afs[IPV4_UNICAST].route_reflector_client
    assert rack.afs[IPV4_UNICAST].send_community_large is False
    assert rack.afs[IPV4_UNICAST].distribute_list_in is not None


def test_send_community_defaults_and_negation(ks: FrrConfig) -> None:
    a = ks.bgp["default"].neighbors["fd00:10::2"].afs[IPV6_UNICAST]
    # `no neighbor X send-community` without a type is about standard communities only
    assert (a.send_community, a.send_community_large, a.send_community_extended) == (False, None, None)
    assert a.route_map_in is not None and a.route_map_out is not None and a.next_hop_self == "self"
    assert a.allowas_in == 3  # allowas-in without a count


def test_address_families_and_originations(ks: FrrConfig) -> None:
    inst = ks.bgp["default"]
    v4 = inst.afs[IPV4_UNICAST]
    assert [str(n.prefix) for n in v4.networks] == ["10.255.0.1/32", "10.100.0.0/16"]
    assert v4.networks[1].route_map is not None and v4.networks[1].route_map.name == "RM_SUB"
    ag = v4.aggregates[0]
    assert (str(ag.prefix), ag.summary_only, ag.as_set, ag.route_map.name if ag.route_map else None) == (
        "10.0.0.0/8", True, True, "RM_SUB")
    assert [(r.source, r.instance, r.metric, r.route_map.name if r.route_map else None) for r in v4.redistributes] == [
        ("connected", None, None, "RM_SUB"), ("static", None, 20, None), ("ospf", 2, None, "RM_SUB")]
    assert (v4.maximum_paths, v4.maximum_paths_ibgp, v4.distance) == (8, 4, (20, 200, 200))
    v6 = inst.afs[IPV6_UNICAST]
    assert [r.name for r in v6.import_vrfs] == ["red"]
    assert v6.import_vrf_route_map is not None and v6.import_vrf_route_map.name == "RM_SUB"
    red = ks.bgp["red"]
    assert red.vrf == "red" and red.afs[IPV4_UNICAST].rd_vpn == "65000:100"
    assert red.afs[IPV4_UNICAST].rt_vpn_import == ("65000:100",) == red.afs[IPV4_UNICAST].rt_vpn_export
    assert [r.name for r in red.afs[IPV4_UNICAST].import_vrfs] == ["default"]


def test_listen_range_dynamic_neighbor(ks: FrrConfig) -> None:
    inst = ks.bgp["default"]
    assert [(str(r.prefix), r.peer_group) for r in inst.listen_ranges] == [("10.200.0.0/16", "RACK")]
    assert inst.find_neighbor("10.200.3.4") is inst.neighbors["RACK"]
    assert inst.find_neighbor("10.201.0.1") is None


def test_seed_004_hypervisor() -> None:
    cfg, d = load("pve01-seed004.conf")
    assert not list(d)
    assert (cfg.version, cfg.profile) == ("10.5.1", "datacenter")
    vrf = cfg.bgp["vrf_evpnz1"]
    assert vrf.asn == 4200001000 and vrf.default_ipv4_unicast is False
    assert [(str(r.prefix), r.peer_group, r.loc.line) for r in vrf.listen_ranges] == [("fd00:101::/64", "VMS", 41)]
    dyn = vrf.effective("fd00:101::21")
    assert dyn.name == "VMS" and dyn.remote_as_mode == "external"
    a = dyn.afs[IPV6_UNICAST]
    assert a.activate and a.soft_reconfiguration_inbound
    assert a.route_map_in is not None and (a.route_map_in.name, a.route_map_in.loc.line) == ("RM_VMS_IN_V6", 48)
    assert not dyn.active(IPV4_UNICAST)
    af6 = vrf.afs[IPV6_UNICAST]
    assert [r.name for r in af6.import_vrfs] == ["default"]
    assert af6.import_vrf_route_map is not None and af6.import_vrf_route_map.name == "RM_GLOBAL_TO_VRF_V6"
    assert cfg.bgp["default"].effective("10.10.0.2").active(L2VPN_EVPN)
    assert cfg.large_community_lists["CL_K8S_INTERNAL"].entries[0].values == frozenset({(4200001000, 0, 100)})
    assert cfg.vrfs["vrf_evpnz1"].vni == 10000
    assert [c.seq for c in cfg.route_maps["RM_VMS_IN_V6"].ordered()] == [10, 15, 20, 999]


# ------------------------------------------------------------------------------------------- node semantics

def test_bang_is_a_comment_not_a_block_end() -> None:
    cfg, d = parse("""
        vrf red
        !
         vni 100
        !
        route-map RM permit 10
        !
         match tag 5
        exit
        ip route 10.0.0.0/8 blackhole
    """)
    assert not list(d)
    assert cfg.vrfs["red"].vni == 100
    assert cfg.route_maps["RM"].clauses[10].matches[0].value == 5
    assert cfg.static_routes[0].vrf is None  # `exit` closed the route-map; the route is global


def test_statements_after_a_vrf_block_without_exit_stay_in_the_vrf() -> None:
    cfg, _ = parse("""
        vrf red
         vni 100
        !
        ip route 10.0.0.0/8 blackhole
        exit-vrf
        ip route 10.1.0.0/16 blackhole
    """)
    assert [(str(s.prefix), s.vrf) for s in cfg.static_routes] == [("10.0.0.0/8", "red"), ("10.1.0.0/16", None)]


def test_top_level_command_leaves_route_map() -> None:
    cfg, d = parse("""
        route-map RM permit 10
         match tag 5
        ip prefix-list PL seq 5 permit 10.0.0.0/8
         match tag 6
    """)
    assert (4, "PL") in cfg.prefix_lists
    assert [m.value for m in cfg.route_maps["RM"].clauses[10].matches] == [5]
    assert any("match" in x.message for x in d)  # `match tag 6` no longer has a route-map


def test_bgp_command_inside_address_family_leaves_it() -> None:
    cfg, d = parse("""
        router bgp 65000
         no bgp default ipv4-unicast
         address-family ipv6 unicast
          neighbor fd00::2 remote-as 65001
          neighbor fd00::2 activate
         exit-address-family
        exit
    """)
    n = cfg.bgp["default"].neighbors["fd00::2"]
    # like FRR: `remote-as` runs in `router bgp`, so `activate` lands in ipv4 unicast
    assert n.active(IPV4_UNICAST) and not n.active(IPV6_UNICAST)
    warn = [x for x in d if x.level is Level.WARNING]
    assert warn and warn[0].loc.line == 4 and "leaves the address-family" in warn[0].message
    assert any(x.loc.line == 6 for x in d)  # exit-address-family outside an address-family


def test_ipv4_network_inside_ipv6_family_goes_to_ipv4_unicast() -> None:
    cfg, d = parse("""
        router bgp 65000
         address-family ipv6 unicast
          network 10.0.0.0/8
          network fd00::/64
         exit-address-family
        exit
    """)
    afs = cfg.bgp["default"].afs
    assert [str(n.prefix) for n in afs[IPV4_UNICAST].networks] == ["10.0.0.0/8"]
    assert any(x.loc.line == 4 for x in d.errors)  # back in `router bgp` (ipv4), the IPv6 network is rejected


def test_default_ipv4_unicast_applies_at_creation_time() -> None:
    cfg, _ = parse("""
        router bgp 65000
         neighbor 10.0.0.1 remote-as 65001
         no bgp default ipv4-unicast
         neighbor 10.0.0.2 remote-as 65002
         address-family ipv4 unicast
          no neighbor 10.0.0.1 activate
         exit-address-family
         neighbor 10.0.0.3 remote-as 65003
        exit
    """)
    inst = cfg.bgp["default"]
    assert not inst.neighbors["10.0.0.1"].active(IPV4_UNICAST)
    assert not inst.neighbors["10.0.0.2"].active(IPV4_UNICAST)
    assert not inst.neighbors["10.0.0.3"].active(IPV4_UNICAST)


def test_neighbor_names_are_compared_as_addresses() -> None:
    cfg, d = parse("""
        router bgp 65000
         neighbor fd00:0:0::2 remote-as 65001
         address-family ipv6 unicast
          neighbor fd00::2 activate
         exit-address-family
    """)
    assert not d.errors
    assert cfg.bgp["default"].neighbors["fd00::2"].active(IPV6_UNICAST)


def test_router_bgp_asdot_and_views() -> None:
    cfg, d = parse("""
        router bgp 1.10 vrf blue
         bgp router-id 1.1.1.1
        exit
        router bgp 65000 view V
        exit
    """)
    assert not d.errors
    assert cfg.bgp["blue"].asn == 65546
    assert cfg.bgp["V"].view


# ------------------------------------------------------------------------------------------- errors

EXPECTED_ERRORS = [  # (line, col) of every error in bad-syntax.conf
    (3, 33), (4, 48), (5, 28), (6, 33), (8, 32), (9, 23), (10, 16), (11, 22), (12, 18), (13, 11), (15, 22),
    (16, 15), (17, 39), (18, 45), (19, 35), (20, 4), (22, 30), (24, 34), (25, 16), (26, 16), (28, 34), (32, 21),
    (33, 21), (35, 13),
]


def test_errors_report_line_and_column_and_keep_going() -> None:
    cfg, d = load("bad-syntax.conf")
    assert [(e.loc.line, e.loc.col) for e in d.errors] == EXPECTED_ERRORS
    first = d.errors[0]
    assert first.message == "expected `any` or IPv4 prefix, found `10.0.0.0/33`"
    assert first.render().splitlines()[2].index("^") == 4 + 32
    by_line = {e.loc.line: e.message for e in d.errors}
    assert by_line[5] == "expected `permit` | `deny`, found `allow`"
    assert by_line[13] == "expected sequence number, found end of line"
    assert by_line[22] == "expected AS number | `internal` | `external`, found `sixty`"
    assert "bgp community-list" in by_line[20]
    # the good lines around the bad ones are still read
    assert "10.0.0.2" in cfg.bgp["default"].neighbors
    assert "OLD" not in cfg.community_lists  # FRR rejects `ip community-list`: the list does not exist
    assert (4, "PL1") not in cfg.prefix_lists


@pytest.mark.parametrize("text, line, fragment", [
    ("router bgp 1\n address-family ipv6 unicast\n  neighbor fd00::9 activate\n", 3, "not configured"),
    ("router bgp 1\n neighbor 10.0.0.1 peer-group NOPE\n", 2, "Configure the peer-group first"),
    ("router bgp 1\n bgp listen range 10.0.0.0/8 peer-group NOPE\n", 2, "peer-group NOPE is not configured"),
    ("router bgp 1\n neighbor G remote-as 2\n", 2, "Create the peer-group or interface first"),
    ("route-map A permit 10\n on-match goto 5\n", 2, "cannot jump backwards"),
    ("route-map A permit 10\n continue 10\n", 2, "cannot jump backwards"),
    ("route-map A deny 10\n on-match next\n", 2, "deny clause"),
    ("route-map A permit 10\n call A\n", 2, "cannot call itself"),
    ("bgp community-list standard X permit 1:1\nbgp community-list expanded X permit ^1:\n", 2, "mix"),
    ("ip prefix-list P permit 10.0.0.0/16 ge 8\n", 1, "invalid prefix range"),
    ("ip prefix-list P permit 10.0.0.0/16 ge 24 le 20\n", 1, "invalid prefix range"),
    ("bgp as-path access-list A permit *65000\n", 1, "malformed as-path regular expression"),
    ("bgp community-list expanded C permit [z-a]\n", 1, "malformed community-list regular expression"),
    ("router bgp 1\n neighbor 10.0.0.1 remote-as 2\n neighbor 10.0.0.1 prefix-list P in\n"
     " neighbor 10.0.0.1 distribute-list D in\n", 4, "both a prefix-list and a distribute-list"),
])
def test_semantic_errors_frr_refuses(text: str, line: int, fragment: str) -> None:
    _, d = parse(text)
    errs = [e for e in d.errors if e.loc.line == line]
    assert errs and fragment in errs[0].message, [x.render() for x in d]


def test_dynamic_address_hint() -> None:
    _, d = parse("""
        router bgp 1
         neighbor G peer-group
         neighbor G remote-as external
         bgp listen range fd00::/64 peer-group G
         address-family ipv6 unicast
          neighbor fd00::7 route-map X in
    """)
    assert "listen range" in d.errors[0].message


def test_unknown_commands_are_warned_and_listed() -> None:
    cfg, d = parse("""
        route-mpa X permit 10
        router bgp 1
         neighbor 10.0.0.1 remote-as 2
         neighbr 10.0.0.1 activate
    """)
    assert [x.loc.line for x in d if x.level is Level.WARNING] == [1, 4]
    assert [u.loc.line for u in cfg.unsupported if u.why == "unrecognised statement"] == [1, 4]


def test_unsupported_statements_listed(ks: FrrConfig) -> None:
    by_line = {u.loc.line: u for u in ks.unsupported}
    assert not by_line[4].affects_routes  # log syslog
    assert not by_line[6].affects_routes  # service integrated-vtysh-config
    assert not any(u.statement == "router ospf" for u in ks.unsupported)  # OSPF is read (readers/frr/ospf.py)
    assert ks.ospf[2].router_id == "10.255.0.1" and [a for _, a, _ in ks.ospf[2].networks] == ["0.0.0.0"]
    kc = next(u for u in ks.unsupported if u.statement == "key chain KC")
    assert "3 statement(s)" in kc.why and not kc.affects_routes
    assert any(u.statement == "bfd" for u in ks.unsupported)
    assert any(u.statement == "line vty" and not u.affects_routes for u in ks.unsupported)
    assert by_line[175].statement == "neighbor fd00:10::2 bfd"
    assert by_line[21].statement.startswith("ipv6 nd")
    # nothing inside the unsupported blocks leaked into the model
    assert "ospf" not in {r.source for r in ks.bgp["default"].afs[AfKey("ipv4", "unicast")].redistributes if r.instance is None}


def test_opaque_block_without_indentation_ends_at_a_known_command() -> None:
    cfg, d = parse("""
        router isis CORE
        net 49.0001.0000.0000.0001.00
        is-type level-1
        ip prefix-list PL seq 5 permit 10.0.0.0/8
    """)
    assert not list(d)
    assert (4, "PL") in cfg.prefix_lists
    assert "2 statement(s)" in cfg.unsupported[0].why


# ------------------------------------------------------------------------------------------- vtysh oracle

def _vtysh_error_lines(path: Path) -> set[int] | None:
    if shutil.which("vtysh") is None:
        return None
    try:
        out = subprocess.run(["vtysh", "-C", "-f", str(path)], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = set()
    for ln in (out.stdout + out.stderr).splitlines():
        if ln.startswith("line ") and ":" in ln:
            lines.add(int(ln.split()[1].rstrip(":")))
    return lines


@pytest.mark.parametrize("name", ["kitchen-sink.conf", "pve01-seed004.conf", "frrpol-frr1.conf", "bad-syntax.conf"])
def test_agrees_with_vtysh_dry_run(name: str) -> None:
    """Every line FRR's own CLI rejects (vtysh -C, FRR 8.4.4 here) is reported by the reader.
    The reader reports more: values the daemons refuse after the CLI accepted the syntax."""
    frr_lines = _vtysh_error_lines(FIX / name)
    if frr_lines is None:
        pytest.skip("vtysh not available")
    _, d = load(name)
    ours = {x.loc.line for x in d if x.level in (Level.ERROR, Level.WARNING)}
    assert frr_lines <= ours, sorted(frr_lines - ours)
    if name != "bad-syntax.conf":
        assert not frr_lines and not d.errors


def test_evpn_advertise_recorded() -> None:
    cfg, d = parse("""
        router bgp 65000 vrf red
         address-family l2vpn evpn
          advertise ipv4 unicast
          advertise ipv6 unicast route-map EVPN_OUT
         exit-address-family
        exit
    """)
    af = cfg.bgp["red"].afs[L2VPN_EVPN]
    assert af.evpn_advertise[4] is None and af.evpn_advertise[6] is not None
    assert af.evpn_advertise[6].name == "EVPN_OUT"
    assert sum(1 for u in cfg.unsupported if u.statement.startswith("advertise ")) == 2  # still not simulated


# ------------------------------------------------------------------------------------------- robustness

_WORDS = ["router", "bgp", "65000", "vrf", "red", "neighbor", "10.0.0.1", "fd00::1", "G", "eth0", "peer-group",
          "remote-as", "external", "internal", "interface", "v6only", "address-family", "ipv4", "ipv6", "unicast",
          "l2vpn", "evpn", "exit", "exit-address-family", "route-map", "RM", "permit", "deny", "10", "20", "match",
          "set", "ip", "address", "prefix-list", "PL", "seq", "5", "le", "ge", "24", "64", "10.0.0.0/8",
          "fd00::/16", "community", "large-community", "1:2", "1:2:3", "additive", "none", "as-path", "prepend",
          "on-match", "next", "goto", "continue", "call", "no", "activate", "in", "out", "listen", "range",
          "network", "redistribute", "static", "connected", "import", "local-preference", "+5", "-5", "metric",
          "next-hop", "global", "blackhole", "route", "expanded", "standard", "community-list", "^65000_",
          "(", "[", "*", "description", "!", "frr", "version", "defaults", "datacenter", "vni", "100",
          "access-list", "any", "exact-match", "host", "0.0.0.255", "bfd", "line", "vty", "key", "chain"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=7).map(" ".join), max_size=25),
       st.lists(st.sampled_from(["", " ", "  "]), min_size=25, max_size=25))
def test_random_input_never_crashes(lines: list[str], indents: list[str]) -> None:
    text = "\n".join(indents[i] + ln for i, ln in enumerate(lines))
    d = Diagnostics()
    cfg = parse_frr(text, "fuzz.conf", d)
    assert isinstance(cfg, FrrConfig)
    assert not [x for x in d if "podpath bug" in x.message], [x.render() for x in d]


def test_undefined_references_are_warned() -> None:
    cfg, d = load("frrpol-frr1.conf")
    msgs = {(x.loc.line, x.message.split(":")[0]) for x in d if x.level is Level.WARNING}
    assert msgs == {
        (41, "ipv6 prefix-list PL_NOPE is not defined"),  # match in a clause: never matches
        (105, "route-map RM_NOPE is not defined"),  # call: skipped
        (168, "route-map RM_NOPE_IN is not defined"),  # neighbor: denies everything
        (169, "route-map RM_NOPE_OUT is not defined"),
        (185, "ipv6 prefix-list PL_NOPE is not defined"),
    }


def test_show_running_config_output() -> None:
    cfg, d = parse("""
        Building configuration...

        Current configuration:
        !
        frr version 8.4.4
        frr defaults traditional
        hostname vm
        service integrated-vtysh-config
        !
        end
    """)
    assert not list(d) and cfg.hostname == "vm"
    assert [u.statement for u in cfg.unsupported] == ["service integrated-vtysh-config", "end"]
    assert looks_like_frr("Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\n")
