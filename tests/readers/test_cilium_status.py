from podpath.diagnostics import Diagnostics
from podpath.readers.cilium_status import looks_like_cilium_status, parse_cilium_status

TEXT = """KubeProxyReplacement:    True   [ens18   10.101.0.13 fd00:101::13 (Direct Routing)]
Cilium:                  Ok   1.19.0 (v1.19.0-7c6667e1)
IPAM:                    IPv4: 7/254 allocated from 10.101.229.0/24, IPv6: 7/18446744073709551614 allocated from fd00:101:224:5::/64
Routing:                 Network: Native   Host: BPF
Masquerading:            BPF   [dummy0, ens18]   10.101.0.0/16 fd00:101::/48 [IPv4: Enabled, IPv6: Enabled]
Cluster health:          1/6 reachable   (2026-11-20T09:12:44Z)
"""


def test_parse_status():
    assert looks_like_cilium_status(TEXT)
    st = parse_cilium_status(TEXT, "s.txt", Diagnostics())
    assert st.version.value == "1.19.0" and st.routing_network.value == "Native" and st.routing_host.value == "BPF"
    assert st.masquerading_devices == ["dummy0", "ens18"]
    assert [str(c.value) for c in st.masquerading_cidrs] == ["10.101.0.0/16", "fd00:101::/48"]
    assert st.masquerading_cidrs[1].loc.line == 5
    assert [str(c.value) for c in st.ipam_cidrs] == ["10.101.229.0/24", "fd00:101:224:5::/64"]
    assert st.cluster_health.value == (1, 6)
