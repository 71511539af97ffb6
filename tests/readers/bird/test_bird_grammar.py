"""BIRD 2 reader: grammar coverage, model, templates, includes, diagnostics."""

from __future__ import annotations

import pytest

from bird_testutil import BIRD, FIXTURES, A, N, bird_check, errors, fixture, parse
from podpath.readers.bird import ast as AST
from podpath.readers.bird import looks_like_bird
from podpath.readers.bird.model import (
    BgpProtocol, DeviceProtocol, DirectProtocol, GenericProtocol, KernelProtocol, PipeProtocol, StaticProtocol,
)
from podpath.readers.bird.values import EnumV, Lc, Pair, PathMaskV, PrefixSetV, SetV

VALID_FIXTURES = ["grammar_all.conf", "seed004_node.conf", "templates.conf", "include_main.conf"]


@pytest.mark.skipif(BIRD is None, reason="bird not installed")
@pytest.mark.parametrize("name", VALID_FIXTURES)
def test_fixtures_are_valid_bird(name: str) -> None:
    text = (FIXTURES / name).read_text()
    files = {f.name: f.read_text() for f in FIXTURES.glob("include_*.conf")}
    ok, out = bird_check(text, name, files)
    assert ok, out


@pytest.mark.parametrize("name", VALID_FIXTURES)
def test_fixtures_parse_without_errors(name: str) -> None:
    cfg, d = fixture(name)
    assert not d.errors, [x.render() for x in d.errors]
    assert cfg.protocols


# ---- grammar coverage ----------------------------------------------------------------------------

def test_grammar_all_globals_and_defines() -> None:
    cfg, d = fixture("grammar_all.conf")
    assert cfg.router_id == "10.0.0.1"
    assert {"log", "debug protocols", "debug commands", "timeformat protocol", "timeformat route",
            "graceful restart wait"} <= set(cfg.options)
    v = {k: x.value for k, x in cfg.defines.items()}
    assert v["MY_AS"] == 65011 and v["COMPUTED"] == 26 and v["FLAG"] is True and v["NAME"] == "direct_routes"
    assert v["PODS"] == N("fd00:224::/60") and v["NH"] == A("fd00::1") and v["QUAD"] == A("10.1.2.3")
    assert v["TAG"] == Pair(65011, 100) and v["MYLC"] == Lc(4200001000, 0, 100) and str(v["MYEC"]) == "(rt, 65011, 7)"
    assert isinstance(v["NUMS"], SetV) and v["NUMS"].contains(7) and not v["NUMS"].contains(11)
    assert v["PAIRS"].contains(Pair(65002, 5)) and not v["PAIRS"].contains(Pair(65002, 6))
    assert isinstance(v["PFXS"], PrefixSetV) and v["PFXS"].matches(N("fd00:224::/64"))
    assert isinstance(v["MASK"], PathMaskV) and str(v["MASK"]) == "[= * 65002 ? 65001..65010 =]"
    assert set(cfg.tables) == {"master4", "master6", "t4", "t6", "t6b"} and cfg.tables["t6"].nettype == "ipv6"
    assert cfg.attributes["my_int"][0] == "int"
    assert set(cfg.functions) == {"is_pod", "add_tag", "acc64"} and set(cfg.filters) == {"to_kernel", "big"}
    assert [p.name for p in cfg.functions["add_tag"].params] == ["n", "ctag"]
    assert [v.name for v in cfg.functions["add_tag"].vars] == ["i"]
    assert [v.type for v in cfg.filters["to_kernel"].vars] == ["int", "prefix set"]
    assert not cfg.version_notes  # everything there is BIRD 2.0 syntax


def test_grammar_all_protocols() -> None:
    cfg, _ = fixture("grammar_all.conf")
    kinds = {p.name: type(p) for p in cfg.protocols}
    assert kinds == {"device1": DeviceProtocol, "direct_routes": DirectProtocol, "k6": KernelProtocol,
                     "k4": KernelProtocol, "static6": StaticProtocol, "static4": StaticProtocol,
                     "p1": PipeProtocol, "s_t6": StaticProtocol, "cilium": BgpProtocol, "upstream": BgpProtocol,
                     "rr_client1": BgpProtocol, "dyn": BgpProtocol, "ll": BgpProtocol,
                     "iface_peer": BgpProtocol, "bfd1": GenericProtocol, "ospf1": GenericProtocol,
                     "babel1": GenericProtocol}
    dev = cfg.protocol("device1")
    assert isinstance(dev, DeviceProtocol) and dev.scan_time == 10
    direct = cfg.protocol("direct_routes")
    assert isinstance(direct, DirectProtocol)
    assert [(i.pattern, i.negative) for i in direct.interfaces] == [("dummy*", False), ("eth1", True), ("eth*", False)]
    assert set(direct.channels) == {"ipv4", "ipv6"} and direct.check_link
    k6 = cfg.protocol("k6")
    assert isinstance(k6, KernelProtocol)
    assert (k6.learn, k6.persist, k6.scan_time, k6.kernel_table, k6.metric, k6.merge_paths, k6.graceful_restart) == \
        ("on", True, 20, 254, 64, 8, True)
    ch = k6.channels["ipv6"]
    assert ch.table == "master6" and ch.import_.kind == "none" and ch.export.kind == "named" and ch.export.filter
    assert ch.import_limit.value == 1000 and ch.import_limit.action == "warn"
    assert cfg.protocol("k4").channels["ipv4"].export.kind == "where"
    pipe = cfg.protocol("p1")
    assert isinstance(pipe, PipeProtocol) and pipe.table == "master6" and pipe.peer_table == "t6"
    assert pipe.channels["pipe"].import_.kind == "none" and pipe.channels["pipe"].export.kind == "where"
    assert cfg.protocol("s_t6").channels["ipv6"].table == "t6"
    ospf = cfg.protocol("ospf1")
    assert isinstance(ospf, GenericProtocol) and ospf.variant == "v3" and ospf.type == "ospf"


def test_grammar_all_static_routes() -> None:
    cfg, _ = fixture("grammar_all.conf")
    st = cfg.protocol("static6")
    assert isinstance(st, StaticProtocol) and st.check_link and st.channels["ipv6"].preference == 190
    got = [(str(r.prefix), r.kind, str(r.via), r.iface) for r in st.routes]
    assert got == [("fd00:99::/64", "blackhole", "None", None), ("fd00:98::/64", "unreachable", "None", None),
                   ("fd00:97::/64", "prohibit", "None", None), ("fd00:96::/64", "unicast", "fd00::1", None),
                   ("fd00:95::/64", "unicast", "fe80::1", "eth0"), ("fd00:94::/64", "unicast", "None", "eth0"),
                   ("fd00:93::/64", "unicast", "fd00::1", None), ("fd00:92::/64", "recursive", "fd00::3", None),
                   ("fd00:91::/64", "blackhole", "None", None), ("fd00:224::/60", "unicast", "fd00::1", None)]
    assert [nh.weight for nh in st.routes[6].nexthops] == [2, 3]
    attrs = st.routes[8].attrs
    assert isinstance(attrs, AST.Block) and len(attrs.stmts) == 3
    assert isinstance(attrs.stmts[0], AST.MethodStmt) and attrs.stmts[0].target == "bgp_large_community"
    st4 = cfg.protocol("static4")
    assert st4.routes[1].nexthops[0].bfd is False and st4.routes[2].attrs is not None


def test_grammar_all_bgp_options_and_templates() -> None:
    cfg, _ = fixture("grammar_all.conf")
    up = cfg.protocol("upstream")
    assert isinstance(up, BgpProtocol)
    assert (up.local_as, up.neighbor, up.neighbor_as, up.template) == (65011, A("fd00:101::fffe"), 65000,
                                                                       "upstream_tpl")
    assert (up.hold_time, up.keepalive_time, up.graceful_restart) == (90, 30, "on")  # from the template
    assert (up.source_address, up.password, up.bfd, up.ttl_security, up.allow_local_as) == (
        A("fd00:101::11"), "secret", "on", False, 2)
    assert (up.enforce_first_as, up.connect_retry_time, up.error_wait_time) == (True, 30, (10, 100))
    v6 = up.channels["ipv6"]
    assert v6.import_.kind == "inline" and v6.export.kind == "named" and v6.export.name == "big"
    assert v6.import_keep_filtered is True and v6.receive_limit.value == 10000
    assert v6.add_paths == "tx" and v6.gateway == "direct" and v6.next_hop_self == "on"  # next hop self: template
    v4 = up.channels["ipv4"]
    assert v4.extended_next_hop is True and v4.next_hop_address == A("10.0.0.1") and v4.import_.name == "to_kernel"
    rr = cfg.protocol("rr_client1")
    assert rr.template == "ibgp_tpl" and rr.rr_client and rr.rr_cluster_id == "1.1.1.1" and rr.is_internal()
    assert rr.channels["ipv6"].import_.kind == "all" and rr.channels["ipv6"].export.kind == "all"
    assert rr.channels["ipv6"].next_hop_keep == "ibgp" and rr.channels["ipv6"].igp_tables == ["master6"]
    dyn = cfg.protocol("dyn")
    assert (dyn.local_address, dyn.local_port, dyn.neighbor_range, dyn.neighbor_kind, dyn.dynamic_name,
            dyn.strict_bind) == (A("fd00:101::11"), 1179, N("fd00:101::/64"), "external", "dynpeer", True)
    ll = cfg.protocol("ll")
    assert (ll.neighbor, ll.interface, ll.neighbor_port, ll.multihop, ll.check_link) == (
        A("fe80::2"), "eth0", 179, 0, True)
    assert ll.channels["ipv6"].next_hop_self == "ebgp"
    ifp = cfg.protocol("iface_peer")
    assert ifp.neighbor_kind == "internal" and ifp.remote_as() == 65011 and ifp.interface == "eth1"
    cil = cfg.protocol("cilium")
    assert cil.multihop == 2 and cil.passive is False and cil.description == "Cilium BGP Control Plane"


def test_seed004_node_config() -> None:
    cfg, d = fixture("seed004_node.conf")
    assert not d.errors
    cil = cfg.protocol("cilium")
    assert isinstance(cil, BgpProtocol)
    assert (cil.local_as, cil.neighbor, cil.neighbor_as) == (4210101011, A("::1"), 4220101000)
    assert cil.effective_multihop() == 0 and not cil.is_internal()
    assert {a: (c.import_.kind, c.export.kind) for a, c in cil.channels.items()} == {
        "ipv4": ("all", "none"), "ipv6": ("all", "none")}
    up = cfg.protocol("upstream")
    assert (up.neighbor, up.neighbor_as) == (A("fd00:101::fffe"), 4200001000)
    exp = up.channels["ipv6"].export
    assert exp.kind == "inline" and exp.filter is not None
    stmts = exp.filter.body.stmts
    assert isinstance(stmts[0], AST.If) and isinstance(stmts[0].then, AST.Block)
    cond = stmts[0].cond
    assert isinstance(cond, AST.Binary) and cond.op == "=" and isinstance(cond.left, AST.Name)
    assert cond.left.name == "proto" and cond.right.value == "direct_routes"
    add = stmts[0].then.stmts[0]
    assert isinstance(add, AST.MethodStmt) and (add.target, add.method) == ("bgp_large_community", "add")
    assert isinstance(add.args[0], AST.LcCons)
    assert stmts[0].loc.line == 65 and stmts[0].then.stmts[1].loc.line == 67
    imp = up.channels["ipv6"].import_
    first = imp.filter.body.stmts[0]
    assert first.cond.right.value == N("fd00:101::/64") and isinstance(first.then, AST.Verdict)
    assert cfg.protocol("kernel6").channels["ipv6"].export.kind == "none"
    assert [i.pattern for i in cfg.protocol("direct_routes").interfaces] == ["dummy0"]


def test_templates_inherit_and_override() -> None:
    cfg, d = fixture("templates.conf")
    assert not d.errors
    assert set(cfg.templates) == {"fabric", "fabric_mh"}
    l1, l2, l3 = (cfg.protocol(n) for n in ("leaf1", "leaf2", "leaf3"))
    assert l1.local_as == 65011 and l1.hold_time == 90 and l1.graceful_restart == "on"
    v6 = l1.channels["ipv6"]
    assert v6.import_.name == "from_fabric" and v6.export.kind == "all" and v6.next_hop_self == "on"
    assert l1.channels["ipv4"].import_.kind == "none"
    assert l2.multihop == 4 and l2.hold_time == 30 and l2.channels["ipv6"].gateway == "recursive"
    assert l2.channels["ipv6"].export.name == "to_fabric"
    assert l3.template == "leaf1" and l3.neighbor == A("fd00:10::1") and l3.channels["ipv4"].import_.kind == "all"
    assert l3.channels["ipv6"].export.kind == "all" and l3.hold_time == 90
    # the template itself is not modified by its users
    assert cfg.templates["fabric"].channels["ipv6"].export.name == "to_fabric"


def test_template_errors() -> None:
    _, d = parse("template bgp t { local as 1; neighbor fd00::1 as 2; ipv6 { import all; export none; }; }\n"
                 "protocol bgp b from t { neighbor fd00::2 as 3; }\nprotocol static s from t { ipv6; }\n"
                 "protocol bgp c from nosuch { local as 1; neighbor fd00::3 as 2; }\n")
    msgs = errors(d)
    assert any("Only one neighbor per BGP instance" in m for m in msgs)
    assert any("different protocol type" in m for m in msgs)
    assert any("unknown template or protocol 'nosuch'" in m for m in msgs)


def test_default_protocol_names() -> None:
    cfg, _ = parse("protocol device {}\nprotocol static { ipv4; }\nprotocol static static2 { ipv6; }\n"
                   "protocol static { ipv6; }\nprotocol kernel { ipv4; }\n")
    assert [p.name for p in cfg.protocols] == ["device1", "static1", "static2", "static3", "kernel1"]


def test_functions_sets_case_and_newer_syntax() -> None:
    cfg, d = fixture("newer_syntax.conf")
    assert not d.errors, [x.render() for x in d.errors]
    assert cfg.functions["is_pod"].return_type == "bool" and cfg.functions["tag_count"].return_type == "int"
    notes = " ".join(n for _, n in cfg.version_notes)
    assert "return type" in notes and ".prepend() in an expression" in notes and ".add() in an expression" in notes
    f = cfg.filters["f"].body.stmts
    assert isinstance(f[1].expr, AST.MethodCall) and f[1].expr.name == "delete"
    assert isinstance(f[1].expr.obj, AST.MethodCall) and f[1].expr.obj.name == "add"


@pytest.mark.skipif(BIRD is None, reason="bird not installed")
def test_bird_2_0_refuses_newer_syntax() -> None:
    ok, out = bird_check((FIXTURES / "newer_syntax.conf").read_text())
    assert not ok and "syntax error" in out


def test_expression_precedence_is_birds() -> None:
    cfg, d = parse("filter f { if 1 = 1 || 2 = 3 && 4 = 5 then accept; if !true = false then accept; "
                   "if 1 + 2 * 3 = 7 then accept; reject; }\nprotocol device {}\n")
    assert not d.errors
    s = cfg.filters["f"].body.stmts
    # && and || share one level, left associative: (1 = 1 || 2 = 3) && 4 = 5
    assert s[0].cond.op == "&&" and s[0].cond.left.op == "||"
    # ! binds tighter than =: (!true) = false
    assert s[1].cond.op == "=" and isinstance(s[1].cond.left, AST.Not)
    assert s[2].cond.left.op == "+" and s[2].cond.left.right.op == "*"


def test_comparisons_do_not_associate() -> None:
    _, d = parse("filter f { if 3 > 2 > 1 then accept; reject; }\nprotocol device {}\n")
    assert errors(d) and "found '>'" in errors(d)[0]


def test_sets_masks_and_literals() -> None:
    cfg, d = parse("""
define P = [ 10.0.0.0/8{16,24}, 192.168.0.0/16+, 172.16.0.0/12- ];
define C = [(65000, 1..10), (65001, *), (*, 5), (65002..65004, 7..8)];
define L = [(1, 2, 3), (1, 2, 5..9), (1, 3, *), (2, *, *)];
define E = [(rt, 1, *), (ro, 2, 3..4), (generic, 5, 6)];
define I = [1, 3..5, 0x10];
define M = [= 1 * 2..4 ? [5, 6] + =];
define EMPTY_SET = [];
protocol device {}
""")
    assert not d.errors, [x.render() for x in d.errors]
    v = {k: x.value for k, x in cfg.defines.items()}
    assert v["P"].matches(N("10.1.0.0/16")) and not v["P"].matches(N("10.0.0.0/8"))
    assert v["C"].contains(Pair(65001, 9)) and v["C"].contains(Pair(3, 5)) and v["C"].contains(Pair(65003, 8))
    assert not v["C"].contains(Pair(65003, 9))
    assert v["L"].contains(Lc(1, 2, 7)) and v["L"].contains(Lc(2, 9, 9)) and not v["L"].contains(Lc(1, 2, 4))
    assert v["I"].contains(16) and v["I"].contains(4) and not v["I"].contains(2)
    assert str(v["M"]) == "[= 1 * 2..4 ? + [5, 6] =]"  # '+' is stored before the item it repeats
    assert not v["EMPTY_SET"]


@pytest.mark.parametrize("text,msg", [
    ("define S = [ 10.0.0.0/8{20} ];", "expected ','"),  # BIRD has no single-length {n} form
    ("define S = [ (1,5)..(3,1) ];", "From value cannot be higher"),
    ("define S = [ (70000, 1) ];", "out of range"),
    ("define S = [ 10.0.0.0/8, fd00::/8 ];", "mixed IPv4/IPv6"),
    ("define S = [ 10.0.0.0/8{24,16} ];", "invalid prefix pattern range"),
    ("define P = 10.0.0.0/8; define S = [ P+ ];", "found '+'"),
    ("define X = 10.0.0.1/8;", "maybe you wanted 10.0.0.0/8"),
    ("define X = 4294967296;", "out of range"),
])
def test_literal_errors(text: str, msg: str) -> None:
    _, d = parse(text + "\nprotocol device {}\n")
    assert any(msg in m for m in errors(d)), errors(d)


# ---- lexer details -------------------------------------------------------------------------------

def test_lexer_details() -> None:
    cfg, d = parse("""# comment
/* multi
   line */ define A = 0x10;   # hex
define C = fd00::1 ;
define D = 10.0.0.0 / 8;
define E = ::;
define F = ::ffff:1.2.3.4;
protocol device {}
filter f { case net.len { 1..2, 7: accept; else: reject; } }
""")
    assert not d.errors, [x.render() for x in d.errors]
    assert cfg.defines["A"].value == 16 and cfg.defines["D"].value == N("10.0.0.0/8")
    assert cfg.defines["E"].value == A("::") and cfg.defines["F"].value == A("::ffff:1.2.3.4")


def test_quoted_symbol_is_a_name() -> None:
    _, d = parse("define B = 'nosuch';\nprotocol device {}\n")
    assert any("unknown symbol 'nosuch'" in m for m in errors(d))


def test_else_needs_the_colon_attached() -> None:
    _, d = parse("filter f { case net.len { 1: accept; else : reject; } }\nprotocol device {}\n")
    assert errors(d)


def test_unterminated_string_and_bad_characters() -> None:
    _, d = parse('protocol device {}\nprotocol bgp b { description "oops; }\n@\n')
    msgs = errors(d)
    assert any("unterminated string" in m for m in msgs) and any("unexpected character '@'" in m for m in msgs)


# ---- syntax errors -------------------------------------------------------------------------------

def test_several_syntax_errors_with_line_and_column() -> None:
    text = ("router id 10.0.0.1;\n"
            "filter a { if net ~ [ 10.0.0.0/8+ then accept; reject; }\n"
            "protocol device {}\n"
            "filter b { accept }\n"
            "protocol static s { ipv4; route 10.0.0.0/8 blackhole; }\n"
            "function c(int x, int y) { return x; }\n")
    cfg, d = parse(text)
    errs = d.errors
    assert [(e.loc.line, e.loc.col) for e in errs] == [(2, 35), (4, 19), (6, 17)]
    assert errs[0].message == "expected ',' or ']', found keyword 'then'"
    assert errs[0].source_line == "filter a { if net ~ [ 10.0.0.0/8+ then accept; reject; }"
    assert "found '}'" in errs[1].message and "';'" in errs[1].message
    assert "BIRD separates function parameters with ';'" in errs[2].message
    # the good entries are still there
    assert [p.name for p in cfg.protocols] == ["device1", "s"] and "c" in cfg.functions


@pytest.mark.skipif(BIRD is None, reason="bird not installed")
def test_first_syntax_error_matches_bird() -> None:
    text = "protocol device {}\nfilter a { if net ~ [ 10.0.0.0/8+ then accept; reject; }\n"
    ok, out = bird_check(text)
    assert not ok and "check.conf:2:" in out  # BIRD stops at the first error, on the same line
    _, d = parse(text)
    assert d.errors[0].loc.line == 2


def test_missing_brace_recovers_at_next_protocol() -> None:
    text = ("protocol device {}\n"
            "protocol bgp a {\n  local as 1;\n  neighbor fd00::1 as 2;\n  ipv6 { import all; export none; };\n"
            "protocol bgp b {\n  local as 1;\n  neighbor fd00::2 as 3;\n  ipv6 { import all; export none; };\n}\n"
            "protocol kernel k { ipv6 { export all; }; }\n")
    cfg, d = parse(text)
    msgs = errors(d)
    assert len(msgs) == 1 and "is a '}' missing?" in msgs[0] and d.errors[0].loc.line == 5
    assert [p.name for p in cfg.protocols] == ["device1", "b", "k"]


def test_error_inside_nested_block_and_more_after() -> None:
    text = ("protocol device {}\n"
            "protocol bgp a { local as 1; neighbor fd00::1 as 2; ipv6 { import filter { if then; }; export none; }; }\n"
            "protocol static s { ipv6; route fd00::/64 blackhole; }\n"
            "filter x { bgp_med = ; }\n"
            "protocol kernel k { ipv6; }\n")
    cfg, d = parse(text)
    assert [e.loc.line for e in d.errors] == [2, 4]
    assert d.errors[0].message == "expected an expression, found keyword 'then'"
    assert [p.name for p in cfg.protocols] == ["device1", "s", "k"]


def test_option_bird_refuses_is_an_error_and_the_rest_is_read() -> None:
    """A word that is no BIRD keyword cannot start an option: `bird -p` fails (test_bird_refuses.py runs it)."""
    cfg, d = parse("protocol device {}\nprotocol bgp b { local as 1; neighbour fd00::1 as 2; neighbor fd00::1 as 2;\n"
                   " ipv6 { import all; export none; frobnicate yes; }; }\n")
    assert [(e.loc.line, e.loc.col) for e in d.errors] == [(2, 30), (3, 34)]
    assert "'neighbour' is not a BIRD keyword in bgp protocol b" in d.errors[0].message
    assert "'frobnicate' is not a BIRD keyword in the ipv6 channel of protocol b" in d.errors[1].message
    assert not any(u.statement.startswith(("neighbour", "frobnicate")) for u in cfg.unsupported)
    assert cfg.protocol("b").neighbor == A("fd00::1")


def test_unknown_keyword_option_is_a_warning_and_unsupported() -> None:
    """A BIRD keyword podpath does not know in this place may be an option of some BIRD version."""
    cfg, d = parse("protocol device {}\nprotocol bgp b { local as 1; neighbor fd00::1 as 2; cost 10;\n"
                   " ipv6 { import all; export none; }; }\n")
    assert not d.errors
    assert any("unknown option 'cost' in bgp protocol b" in w.message for w in d if w.level.value == "warning")
    assert any(u.statement == "cost 10" and u.why.startswith("unknown option") for u in cfg.unsupported)


def test_unsupported_protocols_and_blocks_are_listed() -> None:
    cfg, d = fixture("grammar_all.conf")
    by_stmt = {u.statement: u for u in cfg.unsupported}
    assert "protocol ospf v3 ospf1" not in by_stmt  # OSPF is read (readers/bird/ospf.py) and simulated
    assert [str(p[0]) for p in cfg.protocol("ospf1").ospf.areas[0].stubnets] == ["fd00:5::/64"]
    assert by_stmt["protocol bfd bfd1"].why == "BFD is not modelled"
    assert by_stmt["protocol babel babel1"].why == "Babel is not modelled"
    assert by_stmt['interface eth* { ... }'].affects_routes is False
    assert "ADD-PATH" in by_stmt["add paths tx"].why
    assert any("tables other than master4/master6" in u.why for u in cfg.unsupported)
    assert "default bgp_med 0" not in by_stmt  # the default value changes nothing


def test_option_argument_errors() -> None:
    _, d = parse("protocol device {}\nprotocol bgp b { local as ; neighbor as 1; hold time x; "
                 "ipv6 { import all; export none; }; }\n")
    msgs = errors(d)
    assert "local: expected a number, found ';'" in msgs
    assert any(m.startswith("neighbor: expected") for m in msgs) or any("Neighbor must be configured" in m for m in msgs)
    assert "hold time: expected a number, found 'x'" in msgs


# ---- what BIRD itself refuses ----------------------------------------------------------------------

REFUSED = [
    ("protocol bgp e1 { local as 65001; neighbor fd00::2 as 65002; ipv6 { import all; }; }",
     "EBGP requires explicit export policy"),
    ("protocol bgp e1 { local as 65001; neighbor fd00::2 as 65002; ipv6 { export all; }; }",
     "EBGP requires explicit import policy"),
    ("protocol bgp e2 { local as 65001; neighbor fe80::2 as 65002; ipv6 { import all; export none; }; }",
     "Link-local addresses require defined interface"),
    ("protocol bgp e3 { local as 65001; neighbor ::1 as 65002; multihop; "
     "ipv6 { import all; export none; gateway direct; }; }", "Multihop BGP cannot use direct gateway mode"),
    ("protocol kernel { ipv6 { export filter nosuch; }; }", "filter 'nosuch' is not defined"),
    ("protocol bgp x { neighbor fd00::2 as 65002; ipv6 { import all; export none; }; }",
     "Local AS number must be set"),
    ("protocol bgp x { local as 1; ipv6 { import all; export none; }; }", "Neighbor must be configured"),
    ("protocol bgp x { local as 1; neighbor fd00::2; ipv6 { import all; export none; }; }",
     "Remote AS number (or peer type) must be set"),
    ("protocol bgp x { local as 1; neighbor fd00::2 as 2; rr client; ipv6 { import all; export none; }; }",
     "Only internal neighbor can be RR client"),
    ("protocol bgp x { local as 1; neighbor fd00::2 as 1; rs client; ipv6; }", "Only external neighbor can be RS"),
    ("protocol bgp x { local as 1; neighbor fe80::2%eth0 as 1; ipv6; }",
     "Multihop BGP cannot be used with link-local addresses"),
    ("protocol bgp x { local as 1; neighbor fd00::2 internal; neighbor fd00::3 internal; ipv6; }",
     "Only one neighbor per BGP instance"),
    ("filter f { if g() then accept; reject; }\nfunction g() { return true; }", "unknown function 'g'"),
    ("filter f { if foo = 1 then accept; reject; }", "unknown symbol 'foo'"),
    ("filter f { net = 10.0.0.0/8; accept; }", "read-only"),
    ("filter f { if bgp_med + \"x\" = 1 then accept; reject; }", "Argument 2 of ADD must be of type int"),
    ("filter f { if true && 5 then accept; reject; }", "Argument 2 of AND must be of type bool"),
    ("protocol static { route 10.0.0.0/8 blackhole; }", "Channel not specified"),
    ("protocol static { ipv4; ipv6; }", "Different channel type"),
    ("protocol kernel { import all; ipv4; }", "must be inside a channel block"),
    ("protocol static { ipv6 { table nosuch; }; }", "unknown table 'nosuch'"),
    ("function f(int a) { return a; } filter g { if f(1, 2) = 1 then accept; reject; }", "expects 1 arguments"),
]


@pytest.mark.parametrize("text,msg", REFUSED)
def test_configurations_bird_refuses(text: str, msg: str) -> None:
    _, d = parse("protocol device {}\n" + text + "\n")
    assert any(msg in m for m in errors(d)), errors(d)


@pytest.mark.skipif(BIRD is None, reason="bird not installed")
@pytest.mark.parametrize("text,msg", REFUSED)
def test_bird_refuses_them_too(text: str, msg: str) -> None:
    ok, out = bird_check("protocol device {}\n" + text + "\n")
    assert not ok, out


# ---- includes ------------------------------------------------------------------------------------

def test_includes_resolved_relative_to_including_file() -> None:
    cfg, d = fixture("include_main.conf")
    assert not d.errors
    assert "from_include" in cfg.filters and cfg.defines["INC_PFX"].value == N("fd00:77::/64")
    assert [str(r.prefix) for r in cfg.protocol("st").routes] == ["fd00:77::/64", "fd00:78::/64"]
    inc = cfg.filters["from_include"].loc
    assert inc.file.endswith("include_part.conf") and inc.line == 2
    assert len(cfg.includes) == 2 and cfg.line(cfg.protocol("st").routes[1].loc) == "route fd00:78::/64 unreachable;"


def test_unresolved_include_and_glob_and_depth() -> None:
    seen: list[str] = []

    def resolver(path: str):
        seen.append(path)
        if path.endswith("*.conf"):
            return [("conf.d/a.conf", "define A1 = 1;\n"), ("conf.d/b.conf", "define B1 = 2;\n")]
        if path.endswith("loop.conf"):
            return 'include "loop.conf";\n'
        return None

    cfg, d = parse('include "conf.d/*.conf";\ninclude "missing.conf";\ninclude "loop.conf";\nprotocol device {}\n',
                   "/etc/bird/bird.conf", resolver)
    assert seen[0] == "/etc/bird/conf.d/*.conf" and "/etc/bird/missing.conf" in seen
    assert cfg.defines["A1"].value == 1 and cfg.defines["B1"].value == 2
    msgs = errors(d)
    assert any("cannot include 'missing.conf'" in m for m in msgs)
    assert any("too many nested includes" in m for m in msgs)


def test_include_without_resolver_is_an_error() -> None:
    _, d = parse('include "x.conf";\nprotocol device {}\n')
    assert any("no include resolver" in m for m in errors(d))


# ---- sniffing ------------------------------------------------------------------------------------

def test_looks_like_bird() -> None:
    assert looks_like_bird((FIXTURES / "seed004_node.conf").read_text())
    assert looks_like_bird("protocol device {}\nprotocol kernel { ipv6 { export all; }; }\n")
    assert looks_like_bird("router id 1.2.3.4;\nfilter f { accept; }\n")
    assert not looks_like_bird("router bgp 65000\n neighbor 10.0.0.1 remote-as 1\nroute-map X permit 10\n")
    assert not looks_like_bird("frr version 8.4\n!\nrouter bgp 65000 vrf x\n address-family ipv6 unicast\n")
    assert not looks_like_bird("apiVersion: v1\nkind: Node\nmetadata:\n  name: x\n")
    assert not looks_like_bird("")
    assert not looks_like_bird("default via 10.0.0.1 dev eth0\n")


def test_every_node_has_a_location() -> None:
    cfg, _ = fixture("grammar_all.conf")

    def walk(n: object) -> int:
        count = 0
        if isinstance(n, AST.Node):
            assert n.loc.line > 0 and n.loc.col > 0 and n.loc.file.endswith("grammar_all.conf"), n
            count += 1
            for f in n.__dataclass_fields__:  # type: ignore[attr-defined]
                if f != "at":
                    count += walk(getattr(n, f))
        elif isinstance(n, list):
            count += sum(walk(x) for x in n)
        return count

    total = sum(walk(f.body) for f in cfg.filters.values()) + sum(walk(f.body) for f in cfg.functions.values())
    assert total > 300


def test_enum_constants_in_case_and_sets() -> None:
    cfg, d = parse("filter f { case source { RTS_BGP: accept; RTS_STATIC, RTS_DEVICE: reject; else: reject; } }\n"
                   "define S = [RTS_BGP, RTS_STATIC];\nprotocol device {}\n")
    assert not d.errors
    arm = cfg.filters["f"].body.stmts[0].arms[0]
    assert arm.items[0].lo.value == EnumV("rts", 11)
