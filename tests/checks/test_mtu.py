from snaputil import NATIVE_VALUES, ids, three_nodes

MANIFEST = """
segments:
  lan:
    prefixes: [10.0.0.0/24]
    mtu: 1450
hosts:
  n1:
    interfaces:
      eth0: {addresses: [10.0.0.11/24], mtu: IFMTU}
"""


def test_mt001_cilium_mtu_above_segment(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES + "MTU: 1500\n", "nodes.yaml": three_nodes(),
                          "podpath.yaml": MANIFEST.replace("IFMTU", "1450")})
    assert ids(snap, "MT001") == ["MT001:n1:eth0"]
    ok = make_snapshot({"values.yaml": NATIVE_VALUES + "MTU: 1450\n", "nodes.yaml": three_nodes(),
                        "podpath.yaml": MANIFEST.replace("IFMTU", "1450")}, "ok")
    assert ids(ok, "MT001") == []


def test_mt001_interface_above_segment(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes(),
                          "podpath.yaml": MANIFEST.replace("IFMTU", "1500")})
    assert ids(snap, "MT001") == ["MT001:n1:eth0:segment"]
