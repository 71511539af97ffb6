from snaputil import NATIVE_VALUES, findings, ids, three_nodes


def test_nr002_pod_cidr_outside_native_cidr(make_snapshot):
    values = NATIVE_VALUES.replace("fd00:10::/32", "fd00:10::/48")  # pods are fd00:10:244:N::/64
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()})
    [f] = findings(snap, "NR002")
    assert f.subject == "ipv6" and f.severity.value == "error"
    assert any(l.file == "values.yaml" and l.line == 13 for l in f.locations)  # the ipv6NativeRoutingCIDR line
    assert any(l.file == "nodes.yaml" for l in f.locations)
    assert f.fix is not None and "ipv6NativeRoutingCIDR: fd00:10::/38" in f.fix.yaml.replace('"', "")
    assert any("capture" in e for e in f.evidence) and any("Hubble on" in e for e in f.evidence)
    assert not [x for x in findings(snap, "NR002") if x.subject == "ipv4"]


def test_nr002_numeric_not_textual_comparison(make_snapshot):
    # "fd00:10::/32" textually prefixes "fd00:100::/64" but does not contain it numerically.
    values = NATIVE_VALUES
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes(v6_pod="fd00:100:{i}::/64")})
    assert ids(snap, "NR002") == ["NR002:ipv6"]


def test_nr002_negative_when_contained(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes()})
    assert ids(snap, "NR002") == []


def test_nr002_fix_removes_finding(make_snapshot):
    values = NATIVE_VALUES.replace("fd00:10::/32", "fd00:10::/48")
    broken = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()}, "broken")
    [f] = findings(broken, "NR002")
    fixed_cidr = f.fix.yaml.split(":", 1)[1].strip().strip('"')
    fixed = make_snapshot({"values.yaml": values.replace("fd00:10::/48", fixed_cidr), "nodes.yaml": three_nodes()}, "fixed")
    assert ids(fixed, "NR002") == []


def test_nr002_not_when_masquerade_off(make_snapshot):
    values = NATIVE_VALUES.replace("fd00:10::/32", "fd00:10::/48") + "enableIPv6Masquerade: false\n"
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()})
    assert ids(snap, "NR002") == []


def test_nr001_missing_native_cidr(make_snapshot):
    values = "\n".join(l for l in NATIVE_VALUES.splitlines() if not l.startswith("ipv6NativeRoutingCIDR"))
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()})
    [f] = findings(snap, "NR001")
    assert f.subject == "ipv6"
    assert "fd00:10:244::/62" in (f.fix.yaml or "")  # smallest prefix covering n1..n3 /64s


def test_nr001_negative_in_tunnel_mode(make_snapshot):
    values = "routingMode: tunnel\nipv6:\n  enabled: true\n"
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()})
    assert ids(snap, "NR001") == []
    # tunnel mode: pod-to-pod traffic is encapsulated and keeps its pod addresses, so no exclusion is needed
    assert ids(snap, "NR004") == []


def test_nr004_tunnel_mode_with_ip_masq_agent(make_snapshot):
    # ip-masq-agent decides by its own list, tunnel or not: its default list has no IPv6 ULA range
    values = "routingMode: tunnel\nipv6:\n  enabled: true\nipMasqAgent:\n  enabled: true\nbpf:\n  masquerade: true\n"
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()})
    assert "NR004:ipv6" in ids(snap, "NR004")


def test_nr003_wrong_family(make_snapshot):
    values = NATIVE_VALUES.replace("ipv4NativeRoutingCIDR: 10.0.0.0/8", "ipv4NativeRoutingCIDR: fd00::/8")
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()})
    assert ids(snap, "NR003") == ["NR003:ipv4"]
    ok = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes()}, "ok")
    assert ids(ok, "NR003") == []


def test_nr004_ip_masq_agent_ipv6(make_snapshot):
    values = "routingMode: native\nipv6:\n  enabled: true\nipMasqAgent:\n  enabled: true\nbpf:\n  masquerade: true\nipv4NativeRoutingCIDR: 10.0.0.0/8\n"
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes()})
    assert ids(snap, "NR004") == ["NR004:ipv6"]


def test_mq001_bpf_masquerade_without_nodeport_118(make_snapshot):
    values = NATIVE_VALUES.replace("kubeProxyReplacement: true", "kubeProxyReplacement: false")
    snap = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes(), "podpath.yaml": "versions:\n  cilium: 1.18.2\n"})
    assert ids(snap, "MQ001") == ["MQ001:nodeport"]
    # 1.19 removed the check
    snap19 = make_snapshot({"values.yaml": values, "nodes.yaml": three_nodes(), "podpath.yaml": "versions:\n  cilium: 1.19.1\n"}, "v19")
    assert ids(snap19, "MQ001") == []


def test_mq002_incompatible(make_snapshot):
    values = NATIVE_VALUES + "egressMasqueradeInterfaces: eth0\n"
    snap = make_snapshot({"values.yaml": values})
    assert ids(snap, "MQ002") == ["MQ002:egress-interfaces"]
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES}, "ok"), "MQ002") == []


def test_mq003_ipv6_beta(make_snapshot):
    assert ids(make_snapshot({"values.yaml": NATIVE_VALUES}), "MQ003") == ["MQ003:ipv6"]
    off = NATIVE_VALUES + "enableIPv6Masquerade: false\n"
    assert ids(make_snapshot({"values.yaml": off}, "off"), "MQ003") == []
