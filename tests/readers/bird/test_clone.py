"""Protocol.clone (a protocol `from` a template) is a deep copy: equal to copy.deepcopy's, and
nothing the clone is given afterwards reaches the template."""

from __future__ import annotations

import copy

from podpath.diagnostics import Diagnostics
from podpath.readers.bird import parse_bird

CONF = """router id 10.0.0.1;
filter f { if net ~ [ 10.0.0.0/8+ ] then accept; reject; }
protocol static st { ipv4; route 10.1.0.0/16 via 10.0.0.2; route 10.2.0.0/16 blackhole; }
template bgp up {
  local as 65001;
  multihop 2;
  ipv4 { import filter f; export where proto = "st"; next hop self; import limit 100 action block; };
  ipv6 { import all; export none; };
}
protocol bgp a from up { neighbor 10.0.0.2 as 65002; ipv4 { export none; }; }
protocol bgp b from up { neighbor 10.0.0.3 as 65003; }
"""


def test_clone_equals_deepcopy_and_is_independent() -> None:
    cfg = parse_bird(CONF, "bird.conf", Diagnostics())
    protos = {p.name: p for p in cfg.protocols}
    tmpl = cfg.templates["up"]
    c = tmpl.clone()
    assert c == copy.deepcopy(tmpl) and c is not tmpl
    assert c.channels is not tmpl.channels and c.channels["ipv4"] is not tmpl.channels["ipv4"]
    assert c.channels["ipv4"].import_ is not tmpl.channels["ipv4"].import_
    assert c.channels["ipv4"].import_.filter is tmpl.channels["ipv4"].import_.filter  # filters are shared
    c.channels["ipv4"].next_hop_self = "off"
    c.options.clear()
    assert tmpl.channels["ipv4"].next_hop_self != "off"
    # the protocols built from the template: their own settings over the template's
    assert protos["a"].channels["ipv4"].export.kind == "none"
    assert protos["b"].channels["ipv4"].export.kind == "where" and tmpl.channels["ipv4"].export.kind == "where"
    st = protos["st"]
    assert st.clone() == copy.deepcopy(st) and st.clone().routes is not st.routes
