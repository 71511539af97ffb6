"""The underlay IGP: FRR and BIRD OSPF read, simulated (adjacencies, SPF, areas, externals), installed
with the daemons' preferences, and used by BGP sessions between loopbacks."""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path

import podpath
from podpath.diagnostics import Diagnostics
from podpath.readers.bird import parse_bird
from podpath.readers.frr import parse_frr
from podpath.routing.igp import IgpRoute

DATA = Path(__file__).parent / "data" / "ospf-underlay"


def _write(tmp: Path, files: dict[str, str]) -> podpath.Snapshot:
    for name, text in files.items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    snap = podpath.load(tmp)
    assert not snap.diagnostics.errors, [str(d) for d in snap.diagnostics.errors]
    return snap


def _routes(snap: podpath.Snapshot, pid: str) -> dict[str, IgpRoute]:
    igp = snap.control_plane().igp
    assert igp is not None
    return {str(r.prefix): r for r in igp.routes[pid]}


def _hops(r: IgpRoute) -> list[str]:
    return sorted(f"{nh.gateway or nh.via_host or 'direct'}@{nh.ifname}" for nh in r.nexthops)


def _frr(name: str, ifaces: str, ospf: str = "", extra: str = "") -> str:
    return f"frr version 10.3\nhostname {name}\n{extra}\n{ifaces}\nrouter ospf\n{ospf}\nexit\n"


def _iface(name: str, addr: str, area: str = "0", more: str = "") -> str:
    lines = [f"interface {name}", f" ip address {addr}", f" ip ospf area {area}"]
    lines += [f" {m}" for m in more.split(";") if m]
    return "\n".join(lines) + "\nexit\n"


def _manifest(links: dict[str, list[tuple[str, str]]]) -> str:
    """host -> [(ifname, segment)]"""
    out = ["hosts:"]
    for h, ifs in sorted(links.items()):
        out.append(f"  {h}: {{interfaces: {{{', '.join(f'{i}: {{segment: {s}}}' for i, s in ifs)}}}}}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------- readers

def test_frr_reads_router_ospf_ospf6_and_interface_settings() -> None:
    d = Diagnostics()
    cfg = parse_frr(textwrap.dedent("""
        frr version 8.4.4
        interface eth0
         ip address 10.0.12.1/24
         ip ospf area 0
         ip ospf cost 15
         ip ospf network point-to-point
         ip ospf hello-interval 1
         ip ospf dead-interval 3
         ipv6 ospf6 area 0.0.0.1
         ipv6 ospf6 passive
         ip ospf authentication message-digest
        exit
        router ospf
         ospf router-id 10.255.0.1
         network 10.1.0.0/16 area 1
         passive-interface default
         no passive-interface eth0
         redistribute static metric 30 metric-type 1 route-map RM
         redistribute bgp
         default-information originate always metric 5
         area 1 stub no-summary
         area 2 nssa
         area 0 range 10.0.0.0/8
         auto-cost reference-bandwidth 10000
         timers throttle spf 0 50 500
        exit
        router ospf6
         interface eth1 area 2
        exit
        router isis CORE
         net 49.0001.0000.0000.0001.00
        exit
        router openfabric fab
         net 49.0001.1111.1111.1111.00
        exit
        """).lstrip(), "f.conf", d)
    assert not d.errors, [str(x) for x in d]
    s2, s3 = cfg.interfaces["eth0"].ospf[2], cfg.interfaces["eth0"].ospf[3]
    assert (s2.area, s2.cost, s2.network, s2.hello, s2.dead) == ("0.0.0.0", 15, "point-to-point", 1, 3)
    assert (s3.area, s3.passive) == ("0.0.0.1", True)
    o = cfg.ospf[2]
    assert o.router_id == "10.255.0.1" and o.passive_default and o.passive["eth0"][0] is False
    assert [(str(n), a) for n, a, _ in o.networks] == [("10.1.0.0/16", "0.0.0.1")]
    red = {r.source: r for r in o.redistributes}
    assert (red["static"].metric, red["static"].metric_type, red["static"].route_map.name) == (30, 1, "RM")
    assert o.default_originate is not None and o.default_originate.always and o.default_originate.metric == 5
    assert (o.areas["0.0.0.1"].kind, o.areas["0.0.0.1"].no_summary, o.areas["0.0.0.2"].kind) == ("stub", True, "nssa")
    assert o.ref_bandwidth == 10000
    assert cfg.ospf[3].interfaces["eth1"][0] == "0.0.0.2"
    un = {u.statement.split()[0] + " " + u.statement.split()[1]: u for u in cfg.unsupported}
    assert un["router isis"].affects_routes and "IS-IS" in un["router isis"].why
    assert un["router openfabric"].affects_routes and "OpenFabric" in un["router openfabric"].why
    assert un["redistribute bgp"].affects_routes and un["area 0"].affects_routes  # BGP into OSPF; area range
    assert not un["timers throttle"].affects_routes
    assert un["ip ospf"].loc.line == 11  # authentication: named with its line


def test_bird_reads_protocol_ospf_areas_and_interfaces() -> None:
    d = Diagnostics()
    cfg = parse_bird(textwrap.dedent("""
        router id 10.255.0.1;
        protocol ospf v2 o4 {
          ipv4 { import all; export none; };
          ecmp no;
          area 0 {
            interface "eth0", "eth1" { cost 15; hello 2; dead count 3; type ptp; };
            interface "lo" { stub yes; };
            networks { 10.0.0.0/8; };
          };
          area 0.0.0.1 { stub; interface "eth*" { hello 1; dead 4; priority 0; authentication cryptographic; }; };
        }
        protocol ospf v3 o6 { ipv6; area 0 { interface "eth0"; }; }
        """).lstrip(), "b.conf", d)
    assert not d.errors, [str(x) for x in d]
    o4 = next(p for p in cfg.protocols if p.name == "o4").ospf
    assert o4.version == 2 and not o4.ecmp
    a0, a1 = o4.areas
    f = a0.interfaces[0]
    assert [p.pattern for p in f.patterns] == ["eth0", "eth1"]
    assert (f.cost, f.hello, f.dead_interval, f.type) == (15, 2, 6, "point-to-point")
    assert a0.interfaces[1].stub and (a1.area, a1.kind) == ("0.0.0.1", "stub")
    assert (a1.interfaces[0].dead_interval, a1.interfaces[0].priority) == (4, 0)
    o6 = next(p for p in cfg.protocols if p.name == "o6").ospf
    assert o6.version == 3 and o6.areas[0].interfaces[0].cost == 10
    why = {u.statement.split()[0]: u for u in cfg.unsupported}
    assert "networks" in why and why["networks"].affects_routes
    assert "authentication" in why and "not checked" in why["authentication"].why
    assert not any("OSPF is not modelled" in u.why for u in cfg.unsupported)


# ------------------------------------------------------------------------------------------- the issue's design

def test_ospf_underlay_ibgp_between_hypervisors_is_healthy() -> None:
    snap = podpath.load(DATA / "healthy")
    res = snap.simulate()
    assert res.sessions and all(s.up for s in res.sessions), [(s.id, s.reason) for s in res.sessions if not s.up]
    assert not [f for f in snap.check().findings if f.rule == "BGP001"]
    r = _routes(snap, "pve01/ospf")
    assert (r["10.255.0.2/32"].metric, _hops(r["10.255.0.2/32"])) == (10, ["10.10.0.2@eth0"])  # lo: cost 0
    assert r["10.255.0.1/32"].metric == 0
    kernel = {str(k.dst): k for k in snap.control_plane().network.host("pve01").static.routes}
    assert kernel["10.255.0.3/32"].protocol == "ospf" and str(kernel["10.255.0.3/32"].gateway) == "10.10.0.3"
    assert "fd00:0:0:ffff::3/128" in kernel and "10.10.0.0/24" not in kernel  # connected wins (distance 0)
    # BGP next hops (the loopbacks) resolve through OSPF: the pod-side prefixes are installed
    fib = {str(e.route.dst) for e in res.fib["pve01"]}
    assert {"10.20.2.0/24", "10.20.3.0/24", "fd00:20:2::/64"} <= fib


def test_area_mismatch_takes_the_sessions_down_with_the_ospf_reason() -> None:
    snap = podpath.load(DATA / "broken")
    res = snap.simulate()
    down = [s for s in res.sessions if not s.up]
    assert {str(s.a.remote_address) for s in down} == {"10.255.0.3", "10.255.0.1", "10.255.0.2"}
    assert all(not s.unknown and "area mismatch" in s.reason and "frr/pve03.conf:11" in s.reason for s in down)
    assert all(s.up for s in res.sessions if s.a.remote_address.version == 6)  # OSPFv3 is fine
    errors = [f for f in snap.check().findings if f.rule == "BGP001"]
    assert len(errors) == 4 and all(f.severity.value == "error" for f in errors)


# ------------------------------------------------------------------------------------------- semantics

def _triangle(tmp: Path, r3_eth0: str = "", r1_ospf: str = "", r3_ospf: str = "") -> podpath.Snapshot:
    """r1, r2, r3 on one broadcast segment; r1 and r3 also on a second one (cost 50 via it)."""
    files = {
        "podpath.yaml": _manifest({"r1": [("eth0", "lan"), ("eth1", "side")], "r2": [("eth0", "lan")],
                                   "r3": [("eth0", "lan"), ("eth1", "side")]}),
        "frr/r1.conf": _frr("r1", _iface("eth0", "10.0.0.1/24") + _iface("eth1", "10.0.1.1/24", more="ip ospf cost 50")
                            + _iface("lo", "10.255.0.1/32"), r1_ospf),
        "frr/r2.conf": _frr("r2", _iface("eth0", "10.0.0.2/24") + _iface("lo", "10.255.0.2/32")),
        "frr/r3.conf": _frr("r3", _iface("eth0", "10.0.0.3/24", more=r3_eth0)
                            + _iface("eth1", "10.0.1.3/24", more="ip ospf cost 50") + _iface("lo", "10.255.0.3/32"),
                            r3_ospf, extra="ip route 192.168.3.0/24 blackhole"),
    }
    return _write(tmp, files)


def test_spf_picks_the_cheaper_link_and_falls_back(tmp_path: Path) -> None:
    r = _routes(_triangle(tmp_path / "a"), "r1/ospf")
    assert (r["10.255.0.3/32"].metric, _hops(r["10.255.0.3/32"])) == (10, ["10.0.0.3@eth0"])
    assert r["10.0.1.0/24"].metric == 50 and r["10.0.1.0/24"].connected
    # r3's lan interface passive: it only reaches the others over the side link (cost 50)
    snap = _triangle(tmp_path / "b", r3_eth0="ip ospf passive")
    r = _routes(snap, "r1/ospf")
    assert (r["10.255.0.3/32"].metric, _hops(r["10.255.0.3/32"])) == (50, ["10.0.1.3@eth1"])
    r2 = _routes(snap, "r2/ospf")
    assert r2["10.255.0.3/32"].metric == 60 and _hops(r2["10.255.0.3/32"]) == ["10.0.0.1@eth0"]
    down = [a for a in snap.control_plane().igp.adjacencies if not a.up]
    assert down and all("passive" in a.reason for a in down)


def test_mismatched_hello_or_network_type_forms_no_adjacency(tmp_path: Path) -> None:
    for i, (more, why) in enumerate((("ip ospf hello-interval 5", "hello interval mismatch"),
                                     ("ip ospf network point-to-point", "network type mismatch"))):
        snap = _triangle(tmp_path / str(i), r3_eth0=more)
        igp = snap.control_plane().igp
        bad = [a for a in igp.adjacencies if not a.up]
        assert bad and all(why in a.reason and "r3/ospf" in (a.a, a.b) for a in bad)
        assert _routes(snap, "r1/ospf")["10.255.0.3/32"].metric == 50  # over the side link only


def test_externals_type_1_and_2(tmp_path: Path) -> None:
    snap = _triangle(tmp_path / "e2", r3_ospf=" redistribute static")
    r = _routes(snap, "r1/ospf")["192.168.3.0/24"]
    assert (r.kind, r.metric2, r.metric) == ("ext2", 20, 10)  # FRR's default metric 20, type 2
    snap = _triangle(tmp_path / "e1", r3_ospf=" redistribute static metric 7 metric-type 1\n"
                                             " default-information originate always")
    r1 = _routes(snap, "r1/ospf")
    assert (r1["192.168.3.0/24"].kind, r1["192.168.3.0/24"].metric) == ("ext1", 17)
    assert (r1["0.0.0.0/0"].kind, r1["0.0.0.0/0"].metric2) == ("ext2", 1)  # `always`: metric 1
    kernel = {str(k.dst) for k in snap.control_plane().network.host("r1").static.routes}
    assert {"192.168.3.0/24", "0.0.0.0/0"} <= kernel
    # without `always` and without a default route of its own, r3 originates none (and says so)
    snap = _triangle(tmp_path / "cond", r3_ospf=" default-information originate")
    assert "0.0.0.0/0" not in _routes(snap, "r1/ospf")
    assert any("originates a default route only while" in n
               for n in snap.control_plane().igp.processes["r3/ospf"].notes)


def test_redistribute_connected_leaves_out_ospf_networks(tmp_path: Path) -> None:
    files = {
        "podpath.yaml": _manifest({"r1": [("eth0", "lan")], "r2": [("eth0", "lan")]}),
        "frr/r1.conf": _frr("r1", _iface("eth0", "10.0.0.1/24") + "interface eth9\n ip address 172.20.0.1/24\nexit\n",
                            " redistribute connected"),
        "frr/r2.conf": _frr("r2", _iface("eth0", "10.0.0.2/24")),
    }
    r = _routes(_write(tmp_path, files), "r2/ospf")
    assert r["172.20.0.0/24"].kind == "ext2" and r["10.0.0.0/24"].kind == "intra"


def test_areas_summaries_and_a_stub_area(tmp_path: Path) -> None:
    """r1 (area 1) - r2 (ABR) - r3 (area 0, redistributes a static route)."""
    def build(tmp: Path, stub: str) -> podpath.Snapshot:
        files = {
            "podpath.yaml": _manifest({"r1": [("eth0", "a1")], "r2": [("eth0", "a1"), ("eth1", "bb")],
                                       "r3": [("eth0", "bb")]}),
            "frr/r1.conf": _frr("r1", _iface("eth0", "10.1.0.1/24", "1") + _iface("lo", "10.255.0.1/32", "1"),
                                stub and f" area 1 {stub}"),
            "frr/r2.conf": _frr("r2", _iface("eth0", "10.1.0.2/24", "1") + _iface("eth1", "10.0.0.2/24"),
                                stub and f" area 1 {stub}"),
            "frr/r3.conf": _frr("r3", _iface("eth0", "10.0.0.3/24") + _iface("lo", "10.255.0.3/32"),
                                " redistribute static", extra="ip route 192.168.3.0/24 blackhole"),
        }
        return _write(tmp, files)

    snap = build(tmp_path / "normal", "")
    r1 = _routes(snap, "r1/ospf")
    assert (r1["10.255.0.3/32"].kind, r1["10.255.0.3/32"].metric) == ("inter", 20)
    assert r1["192.168.3.0/24"].kind == "ext2" and r1["192.168.3.0/24"].metric == 20  # to the ASBR via the ABR
    r3 = _routes(snap, "r3/ospf")
    assert (r3["10.255.0.1/32"].kind, r3["10.255.0.1/32"].metric) == ("inter", 20)
    snap = build(tmp_path / "stub", "stub")
    r1 = _routes(snap, "r1/ospf")
    assert "192.168.3.0/24" not in r1 and r1["0.0.0.0/0"].kind == "inter" and r1["0.0.0.0/0"].metric == 11
    assert r1["10.255.0.3/32"].kind == "inter"
    r1 = _routes(build(tmp_path / "tot", "stub no-summary"), "r1/ospf")
    assert "10.255.0.3/32" not in r1 and "0.0.0.0/0" in r1


def test_equal_cost_paths_are_kept(tmp_path: Path) -> None:
    """A square: r1 reaches r4 through r2 and through r3 at the same cost."""
    files = {
        "podpath.yaml": _manifest({"r1": [("eth0", "a"), ("eth1", "b")], "r2": [("eth0", "a"), ("eth1", "c")],
                                   "r3": [("eth0", "b"), ("eth1", "d")], "r4": [("eth0", "c"), ("eth1", "d")]}),
    }
    nets = {"a": "10.0.1", "b": "10.0.2", "c": "10.0.3", "d": "10.0.4"}
    for i, ifs in enumerate((("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")), 1):
        files[f"frr/r{i}.conf"] = _frr(f"r{i}", "".join(_iface(f"eth{k}", f"{nets[s]}.{i}/24") for k, s in enumerate(ifs))
                                       + _iface("lo", f"10.255.0.{i}/32"))
    r = _routes(_write(tmp_path, files), "r1/ospf")["10.255.0.4/32"]
    assert (r.metric, _hops(r)) == (20, ["10.0.1.2@eth0", "10.0.2.3@eth1"])


def test_static_route_wins_over_ospf_in_the_kernel(tmp_path: Path) -> None:
    snap = _triangle(tmp_path, r1_ospf="")
    (tmp_path / "frr" / "r1.conf").write_text((tmp_path / "frr" / "r1.conf").read_text()
                                              + "ip route 10.255.0.3/32 10.0.1.3\n")
    snap = podpath.load(tmp_path)
    mine = [k for k in snap.control_plane().network.host("r1").static.routes if str(k.dst) == "10.255.0.3/32"]
    assert [k.protocol for k in mine] == ["static"]  # distance 1 against OSPF's 110


def test_bird_ospf_routes_reach_the_kernel_through_its_export_filter(tmp_path: Path) -> None:
    def bird(name: str, addr: str, lo: str, kernel: str) -> str:
        return (f"router id {lo};\nprotocol device {{}}\n"
                f"protocol kernel {{ ipv4 {{ export {kernel}; }}; }}\n"
                f"protocol ospf v2 o4 {{ ipv4 {{ import all; export none; }};\n"
                f"  area 0 {{ interface \"eth0\" {{ hello 1; dead 4; }}; interface \"lo\" {{ stub yes; }}; }}; }}\n")
    man = ("hosts:\n  b1: {interfaces: {eth0: {addresses: ['10.0.0.1/24'], segment: lan}, lo: {addresses: ['10.255.0.1/32']}}}\n"
           "  b2: {interfaces: {eth0: {addresses: ['10.0.0.2/24'], segment: lan}, lo: {addresses: ['10.255.0.2/32']}}}\n")
    snap = _write(tmp_path / "on", {"podpath.yaml": man,
                                    "bird/b1.conf": bird("b1", "10.0.0.1", "10.255.0.1", "where source = RTS_OSPF"),
                                    "bird/b2.conf": bird("b2", "10.0.0.2", "10.255.0.2", "all")})
    r = _routes(snap, "b1/o4")["10.255.0.2/32"]
    assert (r.kind, r.metric, _hops(r)) == ("intra", 10, ["10.0.0.2@eth0"])  # eth0 cost 10, lo 0
    k = [x for x in snap.control_plane().network.host("b1").static.routes if str(x.dst) == "10.255.0.2/32"]
    assert [(x.protocol, x.metric) for x in k] == [("bird", 32)]
    snap = _write(tmp_path / "off", {"podpath.yaml": man,
                                     "bird/b1.conf": bird("b1", "10.0.0.1", "10.255.0.1", "none"),
                                     "bird/b2.conf": bird("b2", "10.0.0.2", "10.255.0.2", "none")})
    assert "10.255.0.2/32" in _routes(snap, "b1/o4")
    assert not [x for x in snap.control_plane().network.host("b1").static.routes if x.protocol == "bird"]


def test_results_are_deterministic() -> None:
    a = podpath.load(DATA / "healthy").control_plane().igp
    b = podpath.load(DATA / "healthy").control_plane().igp
    assert [(p, [r.describe() for r in rs]) for p, rs in a.routes.items()] == \
           [(p, [r.describe() for r in rs]) for p, rs in b.routes.items()]
    assert ipaddress.ip_network("10.255.0.2/32") in {r.prefix for r in a.routes["pve01/ospf"]}


def test_frr_redistribute_ospf_into_bgp(tmp_path: Path) -> None:
    snap = _triangle(tmp_path)
    p = tmp_path / "frr" / "r1.conf"
    p.write_text(p.read_text() + "router bgp 65001\n address-family ipv4 unicast\n  redistribute ospf\n"
                 " exit-address-family\nexit\n")
    snap = podpath.load(tmp_path)
    sp = next(s for s in snap.control_plane().speakers if s.host == "r1")
    got = {str(o.route.prefix): (o.route.med, o.how) for o in sp.originations}
    assert got["10.255.0.3/32"] == (10, "redistribute ospf")
    assert "10.0.0.0/24" not in got  # connected wins in zebra: not an OSPF route to redistribute


def test_parallel_point_to_point_and_broadcast_links_share_the_load(tmp_path: Path) -> None:
    """Found in the lab: a router reached at equal cost over a point-to-point link and over a broadcast
    network keeps both next hops (the network is expanded before the router at equal distance)."""
    files = {
        "podpath.yaml": _manifest({"r1": [("eth0", "p2p"), ("eth1", "lan")], "r2": [("eth0", "p2p"), ("eth1", "lan")]}),
        "frr/r1.conf": _frr("r1", _iface("eth0", "10.0.1.1/24", more="ip ospf network point-to-point")
                            + _iface("eth1", "10.0.2.1/24") + _iface("lo", "10.255.0.1/32")),
        "frr/r2.conf": _frr("r2", _iface("eth0", "10.0.1.2/24", more="ip ospf network point-to-point")
                            + _iface("eth1", "10.0.2.2/24") + _iface("lo", "10.255.0.2/32")),
    }
    r = _routes(_write(tmp_path, files), "r1/ospf")["10.255.0.2/32"]
    assert (r.metric, _hops(r)) == (10, ["10.0.1.2@eth0", "10.0.2.2@eth1"])


def test_frr_own_passive_network_that_others_make_transit_is_no_ospf_route(tmp_path: Path) -> None:
    """Found in the lab (seed 547): ospfd's own stub network that is also a transit network of other
    routers (its interface passive there), cheaper over its own interface, gets the root vertex's next
    hops (none) and is pruned: neither `show ip ospf route` nor zebra has it. The kernel still has the
    connected route, so forwarding is unchanged."""
    snap = _triangle(tmp_path, r3_eth0="ip ospf passive")
    r3 = _routes(snap, "r3/ospf")
    assert "10.0.0.0/24" not in r3  # own stub cost 10, the transit network 60 away over the side link
    assert r3["10.0.1.0/24"].connected and r3["10.255.0.2/32"].metric == 60
    assert _routes(snap, "r1/ospf")["10.0.0.0/24"].connected  # r1 is on the transit network itself
    fib = [e for e in snap.simulate().fib["r3"] if str(e.route.dst) == "10.0.0.0/24"]
    assert [e.source for e in fib] == ["connected"]


def _abr_with_stub(tmp: Path, order: str) -> podpath.Snapshot:
    """r1 (backbone) - r2 (ABR of stub area 1, redistributes a static route) - r3 (area 1)."""
    redist, stub = " redistribute static\n default-information originate always", " area 1 stub"
    files = {
        "podpath.yaml": _manifest({"r1": [("eth0", "bb")], "r2": [("eth0", "bb"), ("eth1", "a1")],
                                   "r3": [("eth0", "a1")]}),
        "frr/r1.conf": _frr("r1", _iface("eth0", "10.0.0.1/24") + _iface("lo", "10.255.0.1/32")),
        "frr/r2.conf": _frr("r2", _iface("eth0", "10.0.0.2/24") + _iface("eth1", "10.1.0.2/24", "1"),
                            "\n".join((redist, stub) if order == "redistribute first" else (stub, redist)),
                            extra="ip route 192.168.2.0/24 blackhole"),
        "frr/r3.conf": _frr("r3", _iface("eth0", "10.1.0.3/24", "1"), stub),
    }
    return _write(tmp, files)


def test_frr_area_stub_read_after_redistribute_makes_the_externals_timing_dependent(tmp_path: Path) -> None:
    """Found in the lab (seed 550, FRR 8.4 and 10.3): ospfd applies `area A stub` by flushing the
    AS-external LSAs in its database, its own included; those of a `redistribute` read before it stay
    flushed (the type-5 LSA at MaxAge) when zebra had already handed ospfd the route, and are advertised
    when it had not: timing. The simulation keeps them and flags the prefixes, which `podpath lab`
    marks as timing-dependent."""
    from podpath.lab.run import is_timing, ospf_differences

    snap = _abr_with_stub(tmp_path / "late", "redistribute first")
    r1 = _routes(snap, "r1/ospf")
    assert r1["192.168.2.0/24"].kind == "ext2" and r1["0.0.0.0/0"].kind == "ext2"
    igp = snap.control_plane().igp
    assert {str(p) for p in igp.timing} == {"192.168.2.0/24", "0.0.0.0/0"}
    assert any("flushes ospfd's AS-external LSAs" in n and "frr/r2.conf" in n for n in igp.processes["r2/ospf"].notes)
    lab = {"hosts": {"r1": {"ospf": {"frr": [
        {"prefix": "10.255.0.1/32", "metric": 0, "nexthops": ["direct@lo"]}]}}}}
    diffs = ospf_differences(snap, lab)
    flushed = [d for d in diffs if "192.168.2.0/24" in d or "0.0.0.0/0" in d]
    assert len(flushed) == 2 and all(is_timing(d) for d in flushed)
    snap = _abr_with_stub(tmp_path / "early", "stub first")
    assert not snap.control_plane().igp.timing
    assert _routes(snap, "r1/ospf")["192.168.2.0/24"].kind == "ext2"


def _ospf_and_bgp(tmp: Path, r1_bgp: str, r2_asn: int) -> podpath.Snapshot:
    """r1 and r2 on one segment in OSPF; r2 also announces its loopback over BGP to r1."""
    files = {
        "podpath.yaml": _manifest({"r1": [("eth0", "lan")], "r2": [("eth0", "lan")]}),
        "frr/r1.conf": _frr("r1", _iface("eth0", "10.0.0.1/24") + _iface("lo", "10.255.0.1/32"))
        + f"router bgp 65001\n no bgp ebgp-requires-policy\n neighbor 10.0.0.2 remote-as {r2_asn}\n{r1_bgp}exit\n",
        "frr/r2.conf": _frr("r2", _iface("eth0", "10.0.0.2/24") + _iface("lo", "10.255.0.2/32"))
        + "router bgp %d\n no bgp ebgp-requires-policy\n neighbor 10.0.0.1 remote-as 65001\n"
          " address-family ipv4 unicast\n  network 10.255.0.2/32\n exit-address-family\nexit\n" % r2_asn,
    }
    return _write(tmp, files)


def _kernel_source(snap: podpath.Snapshot, host: str, prefix: str) -> list[str]:
    return sorted(f"{e.source}:{e.route.protocol}" for e in snap.simulate().fib[host] if str(e.route.dst) == prefix)


def test_zebra_selects_between_ospf_and_bgp_by_distance(tmp_path: Path) -> None:
    """eBGP (distance 20) replaces OSPF (110) in zebra's kernel table; iBGP (200) does not;
    `distance bgp` changes it."""
    ebgp = _ospf_and_bgp(tmp_path / "ebgp", "", 65002)
    assert next(s for s in ebgp.simulate().sessions).up
    assert _kernel_source(ebgp, "r1", "10.255.0.2/32") == ["r1/frr:bgp"]
    ibgp = _ospf_and_bgp(tmp_path / "ibgp", "", 65001)
    assert _kernel_source(ibgp, "r1", "10.255.0.2/32") == ["static:ospf"]
    far = _ospf_and_bgp(tmp_path / "dist", " address-family ipv4 unicast\n  distance bgp 150 200 200\n"
                        " exit-address-family\n", 65002)
    assert _kernel_source(far, "r1", "10.255.0.2/32") == ["static:ospf"]


def test_bird_selects_between_ospf_and_bgp_by_preference(tmp_path: Path) -> None:
    """BIRD: OSPF (150) wins over BGP (100) in the table, so the kernel gets the OSPF route only;
    a BGP `preference 160` wins, and the kernel gets the BGP route only."""
    def bird(lo: str, me: str, peer: str, asn: int, peer_asn: int, pref: str, static: str) -> str:
        return (f"router id {lo};\nprotocol device {{}}\n"
                f"protocol kernel {{ ipv4 {{ export where source != RTS_STATIC; }}; }}\n{static}"
                f"protocol ospf v2 o4 {{ ipv4 {{ import all; export none; }};\n"
                f"  area 0 {{ interface \"eth0\" {{ hello 1; dead 4; }}; interface \"lo\" {{ stub yes; }}; }}; }}\n"
                f"protocol bgp up {{ local {me} as {asn}; neighbor {peer} as {peer_asn};\n"
                f"  ipv4 {{ import all; export where net = {lo}/32; {pref} }}; }}\n")
    man = ("hosts:\n  b1: {interfaces: {eth0: {addresses: ['10.0.0.1/24'], segment: lan}, lo: {addresses: ['10.255.0.1/32']}}}\n"
           "  b2: {interfaces: {eth0: {addresses: ['10.0.0.2/24'], segment: lan}, lo: {addresses: ['10.255.0.2/32']}}}\n")
    for name, pref, want in (("default", "", ["static:bird"]), ("pref", "preference 160;", ["b1/bird:bird"])):
        snap = _write(tmp_path / name, {
            "podpath.yaml": man,
            "bird/b1.conf": bird("10.255.0.1", "10.0.0.1", "10.0.0.2", 65001, 65002, pref, ""),
            "bird/b2.conf": bird("10.255.0.2", "10.0.0.2", "10.0.0.1", 65002, 65001, "",
                                 "protocol static { ipv4; route 10.255.0.2/32 blackhole; }\n"),
        })
        assert all(s.up for s in snap.simulate().sessions)
        assert _kernel_source(snap, "b1", "10.255.0.2/32") == want, name


def test_unmodelled_ospf_statements_make_sessions_over_ospf_unknown(tmp_path: Path) -> None:
    """`ip ospf authentication` (a key mismatch keeps the adjacency down) on one hypervisor: every
    session whose peer is reached over OSPF of that family is unknown, citing the statement; the
    readers flag the entry itself (`route_source`) rather than leaving it to its text."""
    import shutil

    shutil.copytree(DATA / "healthy", tmp_path / "snap")
    conf = tmp_path / "snap" / "frr" / "pve03.conf"
    conf.write_text(conf.read_text().replace(" ip ospf dead-interval 4\n",
                                             " ip ospf dead-interval 4\n ip ospf authentication message-digest\n", 1))
    snap = podpath.load(tmp_path / "snap")
    auth = [u for u in snap.unsupported if u.statement.startswith("ip ospf authentication")]
    assert [(u.route_source, u.loc.file) for u in auth] == [("ospf", "frr/pve03.conf")]
    res = snap.simulate()
    v4 = [s for s in res.sessions if s.a.remote_address.version == 4]
    assert v4 and all(s.unknown and not s.up and "frr/pve03.conf:" in s.cause for s in v4), \
        [(s.id, s.up, s.unknown, s.reason) for s in v4]
    assert all(s.up for s in res.sessions if s.a.remote_address.version == 6)  # OSPFv3 is not concerned
    assert not [f for f in snap.check().findings if f.rule == "BGP001" and f.severity.value == "error"]


def test_bird_ospf_unsupported_statements_name_their_process_family() -> None:
    d = Diagnostics()
    cfg = parse_bird(textwrap.dedent("""
        router id 10.0.0.1;
        protocol device {}
        protocol ospf v3 o6 {
          ipv6 { import all; };
          area 0 { networks { fd00::/48; }; interface "eth0" { authentication cryptographic; }; };
        }
        protocol ospf v2 o4 {
          ipv4 { import all; };
          area 0 { interface "eth0" { hello 1; }; };
          tick 2;
        }
    """), "bird/b.conf", d)
    got = {(u.statement.split()[0], u.route_source) for u in cfg.unsupported}
    assert ("networks", "ospf6") in got and ("authentication", "ospf6") in got, got
