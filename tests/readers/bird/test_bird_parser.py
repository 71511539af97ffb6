from podpath.diagnostics import Diagnostics
from podpath.readers.bird import looks_like_bird, parse_bird

CONF = """
# node config
router id 10.0.0.1;
define PODS = fd00:224::/60;
define MYLC = (4200001000, 0, 100);

template bgp upstream_tpl {
  local as 65011;
  ipv6 { import all; export where net ~ [ PODS+ ]; };
}

function is_pod(prefix p) -> bool {
  return p ~ [ fd00:224::/60{64,64} ];
}

filter to_kernel {
  if source != RTS_BGP then reject;
  case net.len {
    64: accept;
    0..63: reject "too short";
    else: reject;
  }
}

protocol device { scan time 10; }
protocol direct direct_routes { ipv6; interface "dummy*", -"eth*"; }
protocol kernel { ipv6 { export filter to_kernel; }; metric 64; }
protocol static st { ipv6; route fd00:99::/64 blackhole; route fd00:98::/64 via fd00::1 { bgp_large_community.add(MYLC); }; }
protocol bgp up1 from upstream_tpl {
  neighbor fd00::fffe as 65000;
  ipv6 { import filter { if is_pod(net) then accept; reject; }; };
}
protocol bgp cil { local as 65011; neighbor ::1 as 65100; multihop 2; ipv6 { import all; export none; }; }
protocol ospf v3 o1 { area 0 { interface "eth0"; }; }
"""


def parse(text):
    d = Diagnostics()
    return parse_bird(text, "b.conf", d), d


def test_full_config():
    assert looks_like_bird(CONF)
    cfg, d = parse(CONF)
    assert not d.errors, [x.render() for x in d]
    assert cfg.router_id == "10.0.0.1" and set(cfg.defines) == {"PODS", "MYLC"}
    names = [p.name for p in cfg.protocols]
    assert names[:2] == ["device1", "direct_routes"] and "up1" in names and "cil" in names
    up1 = next(p for p in cfg.protocols if p.name == "up1")
    assert up1.local_as == 65011 and str(up1.neighbor) == "fd00::fffe" and up1.neighbor_as == 65000
    ch = up1.channels["ipv6"]
    assert ch.import_.kind == "inline" and ch.export.kind == "where"  # export inherited from the template
    assert next(p for p in cfg.protocols if p.name == "cil").opt("multihop") == ["multihop", "2"]
    st = next(p for p in cfg.protocols if p.type == "static")
    assert st.statics[0].kind == "blackhole" and str(st.statics[1].via) == "fd00::1" and st.statics[1].attrs
    assert "is_pod" in cfg.functions and cfg.functions["is_pod"].returns == "bool"
    assert any(u.statement.startswith("protocol ospf") for u in cfg.unsupported)


def test_several_syntax_errors_reported_with_line_and_column():
    text = "router id 10.0.0.1;\nprotocol bgp a {\n  local as ;\n}\nprotocol bgp b {\n  neighbor as 1;\n}\n"
    _, d = parse(text)
    errs = d.errors
    assert len(errs) == 2
    assert (errs[0].loc.line, errs[0].loc.col) == (3, 12) and "expected a number" in errs[0].message
    assert errs[1].loc.line == 6 and "expected a neighbor address" in errs[1].message
    assert errs[0].source_line == "  local as ;"


def test_undefined_filter_is_an_error():
    _, d = parse("protocol kernel { ipv6 { export filter nosuch; }; }\nprotocol device {}\n")
    assert "not defined" in d.errors[0].message


def test_not_frr_not_yaml():
    assert not looks_like_bird("router bgp 65000\n neighbor 10.0.0.1 remote-as 1\nroute-map X permit 10\n")
    assert not looks_like_bird("apiVersion: v1\nkind: Node\n")
