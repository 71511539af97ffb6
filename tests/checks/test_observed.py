from snaputil import NATIVE_VALUES, ids, three_nodes

STATUS = """
Cilium:                  Ok   1.19.0 (v1.19.0-7c6667e1)
KubeProxyReplacement:    True
IPAM:                    IPv4: 7/254 allocated from 10.244.1.0/24, IPv6: 7/18446744073709551614 allocated from fd00:10:244:1::/64
Routing:                 Network: Native   Host: BPF
Masquerading:            BPF   [eth0]   10.0.0.0/8 MASQ6 [IPv4: Enabled, IPv6: Enabled]
Cluster health:          3/3 reachable
"""


def test_ob001_masquerade_cidr_differs(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes(),
                          "status.txt": STATUS.replace("MASQ6", "fd00:10::/48")})
    # host is found from the IPAM CIDR (n1's pod CIDRs), not from the file name
    assert ids(snap, "OB001") == ["OB001:n1:masq-6"]
    ok = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes(),
                        "status.txt": STATUS.replace("MASQ6", "fd00:10::/32")}, "ok")
    assert ids(ok, "OB001") == []


def test_ob001_host_routing_legacy_reported(make_snapshot):
    status = STATUS.replace("MASQ6", "fd00:10::/32").replace("Host: BPF", "Host: Legacy")
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes(), "status.txt": status})
    assert ids(snap, "OB001") == ["OB001:n1:host-routing"]
