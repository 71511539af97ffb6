"""What-if (`podpath.whatif`, `podpath.whynot`): YAML edits of a copy, re-simulation, and why a change does not
fix it, on small YAML fixtures and the bundled examples (seed 000: SNAT; seed 004: pod routes and kernels)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import podpath
from podpath.whatif import SetError, _Target, apply_set, apply_sets, parse_set, what_if

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED000 = EXAMPLES / "seed000-ipv6-native-cidr"
SEED004 = EXAMPLES / "seed004-bgp-pod-cidr"
DOC = _Target("values.yaml", 0, (), "YAML document")


def edit(text: str, spec: str, target: _Target = DOC) -> str:
    return apply_set(textwrap.dedent(text), target, parse_set(spec))[0]


# ------------------------------------------------------------------------------------------------ parsing

def test_parse_set_file_key_value():
    s = parse_set("cilium/values.yaml:bpf.hostLegacyRouting=true")
    assert (s.file, s.key, s.value_text) == ("cilium/values.yaml", ("bpf", "hostLegacyRouting"), "true")
    s = parse_set("ipv6NativeRoutingCIDR=fd00:101::/38")  # colons in the value are the value's
    assert (s.file, s.key, s.value_text) == (None, ("ipv6NativeRoutingCIDR",), "fd00:101::/38")
    s = parse_set(r"podAnnotations.example\.com/x=1")
    assert s.key == ("podAnnotations", "example.com/x") and s.dotted == r"podAnnotations.example\.com/x"


@pytest.mark.parametrize("raw", ["noequals", "=1", "a..b=1", "a[0].b=1", "f.yaml:=1"])
def test_parse_set_refuses(raw):
    with pytest.raises(SetError):
        parse_set(raw)


# ------------------------------------------------------------------------------------------------ editing

def test_value_replaced_in_place_keeping_comment_and_other_lines():
    text = """\
    bpf:
      masquerade: true
      hostLegacyRouting: false  # BPF host routing
    mtu: 1450
    """
    out = edit(text, "bpf.hostLegacyRouting=true")
    assert out.splitlines() == ["bpf:", "  masquerade: true", "  hostLegacyRouting: true  # BPF host routing",
                                "mtu: 1450"]


def test_quoted_value_replaced_whole():
    out = edit('cidr: "fd00:101::/48"   # pods\nx: 1\n', "cidr=fd00:101::/38")
    assert out == "cidr: fd00:101::/38   # pods\nx: 1\n"


def test_null_value_gets_one():
    out = edit("a:\nb: 2\n", "a=3")
    assert out == "a: 3\nb: 2\n"


def test_missing_keys_added_at_the_end_of_the_nearest_mapping_with_its_indentation():
    text = """\
    bpf:
        masquerade: true
        lbMode: snat
    ipam:
        mode: kubernetes
    """
    out = edit(text, "bpf.hostLegacyRouting=true")
    assert out.splitlines()[:4] == ["bpf:", "    masquerade: true", "    lbMode: snat", "    hostLegacyRouting: true"]
    out = edit(text, "endpointRoutes.enabled=true")  # a new top-level mapping, the file's 4-space step
    assert out.splitlines()[-2:] == ["endpointRoutes:", "    enabled: true"]
    out = edit(text, "ipam.operator.clusterPoolIPv4PodCIDRList=10.0.0.0/8")
    assert out.splitlines()[-3:] == ["    mode: kubernetes", "    operator:", "        clusterPoolIPv4PodCIDRList: 10.0.0.0/8"]


def test_missing_key_goes_after_a_nested_block_not_inside_it():
    text = "a:\n  b:\n    - 1\n    - 2\n  c: x\n  d:\n    e: 1\n\n# trailing comment\nz: 1\n"
    out = edit(text, "a.f=true")
    assert out == "a:\n  b:\n    - 1\n    - 2\n  c: x\n  d:\n    e: 1\n  f: true\n\n# trailing comment\nz: 1\n"


def test_helm_release_values_are_edited_inside_spec_values():
    text = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  values:\n    bpf:\n      masquerade: true\n"
    target = _Target("hr.yaml", 0, ("spec", "values"), "Cilium Helm values")
    out = apply_set(text, target, parse_set("bpf.hostLegacyRouting=true"))[0]
    assert out.endswith("      masquerade: true\n      hostLegacyRouting: true\n")


@pytest.mark.parametrize("text,spec,why", [
    ("bpf:\n  masquerade: true\n", "bpf=true", "is a mapping"),
    ("caps: [A, B]\n", "caps.x=1", "a list"),
    ("bpf: {masquerade: true}\n", "bpf.x=1", "flow mapping"),
    ("msg: |\n  two\n  lines\n", "msg=x", "in place"),
    ("a: 1\n", "a.b=1", "a scalar"),
    ("a: 1\n", "b={x: 1}", "single YAML scalar"),
])
def test_edits_that_cannot_be_made_in_place_are_refused(text, spec, why):
    with pytest.raises(SetError, match=re.escape(why)):
        edit(text, spec)


def test_default_file_is_the_one_cilium_values_file_and_ambiguity_is_an_error(tmp_path):
    snap = podpath.load(SEED000 / "broken")
    texts, applied = apply_sets(snap, [parse_set("bpf.hostLegacyRouting=true")])
    assert list(texts) == ["cilium/values.yaml"] and applied[0].old == "false" and applied[0].line == 28
    assert texts["cilium/values.yaml"].splitlines()[27] == "  hostLegacyRouting: true  # BPF host routing enabled"
    with pytest.raises(SetError, match="no file"):
        apply_sets(snap, [parse_set("nosuch.yaml:a=1")])
    values = (SEED000 / "broken" / "cilium" / "values.yaml").read_text()
    (tmp_path / "a.yaml").write_text(values)
    (tmp_path / "b.yaml").write_text(values)
    two = podpath.load(tmp_path)
    assert len(two.helm_values) == 2
    with pytest.raises(SetError, match="2 Cilium Helm values documents"):
        apply_sets(two, [parse_set("bpf.hostLegacyRouting=true")])
    texts, _ = apply_sets(two, [parse_set("b.yaml:bpf.hostLegacyRouting=true")])
    assert list(texts) == ["b.yaml"]


def test_later_edit_moving_an_earlier_one_reports_its_final_line():
    snap = podpath.load(SEED000 / "broken")
    texts, applied = apply_sets(snap, [parse_set("zzz.new=1"), parse_set("bpf.added=2")])
    lines = texts["cilium/values.yaml"].splitlines()
    assert lines[applied[0].line - 1] == "  new: 1" and lines[applied[1].line - 1] == "  added: 2"


# ------------------------------------------------------------------------------------------------ seed 000

def _seed000(spec: str):
    snap = podpath.load(SEED000 / "broken")
    texts, applied = apply_sets(snap, [parse_set(spec)])
    w = what_if(snap, texts, applied)
    return w


@pytest.mark.parametrize("spec", ["bpf.hostLegacyRouting=true", "endpointRoutes.enabled=true"])
def test_seed000_ideas_leave_the_snat_and_say_why(spec):
    w = _seed000(spec)
    assert "NR002:ipv6" not in {f.id for f in w.diff.findings_resolved}
    still = [x for x in w.explanations if x.kind == "finding-still-holds" and x.subject == "NR002:ipv6"]
    assert len(still) == 1
    assert "masquerades pod-to-pod traffic" in still[0].text
    assert "touches none of the values it rests on (it rests on ipv6NativeRoutingCIDR)" in still[0].text
    assert any(r.text == "ipv6NativeRoutingCIDR = fd00:101::/48" and r.location.line == 24 for r in still[0].reasons)
    # the datapath's own SNAT decision for a pod-to-pod packet, traced through the changed snapshot
    snat = [x for x in w.explanations if x.kind == "pod-traffic-snat"]
    assert [x.subject for x in snat] == ["ipv6"]  # IPv4 pod CIDRs are inside ipv4NativeRoutingCIDR: no SNAT
    assert snat[0].text.startswith("IPv6 pod-to-pod traffic is still masqueraded")
    assert "outside the SNAT exclusion CIDR (ipv6NativeRoutingCIDR fd00:101::/48)" in snat[0].text
    assert "touches none of the settings" in snat[0].text
    assert ("cilium/values.yaml", 24) in {(r.location.file, r.location.line) for r in snat[0].reasons}


def test_seed000_fixed_cidr_removes_the_snat():
    w = _seed000("ipv6NativeRoutingCIDR=fd00:101::/38")
    assert "NR002:ipv6" in {f.id for f in w.diff.findings_resolved}
    assert not [x for x in w.explanations if x.kind == "pod-traffic-snat" or x.subject == "NR002:ipv6"]
    assert not w.diff.regressions()
    assert (SEED000 / "broken" / "cilium" / "values.yaml").read_text().count("fd00:101::/48") == 1  # untouched


# ------------------------------------------------------------------------------------------------ seed 004

def _bird_channel_edit(text: str, protocol_peer: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new` in the ipv6 channel of the BGP protocol whose neighbor is
    `protocol_peer` (found by the configuration's structure, as a user would edit it)."""
    m = re.search(rf"protocol bgp \w+ \{{[^{{}}]*neighbor {re.escape(protocol_peer)} ", text)
    assert m, "no such protocol"
    i = text.index("ipv6 {", m.start())
    j = text.index(old, i)
    return text[:j] + new + text[j + len(old):]


def test_seed004_export_to_cilium_changes_no_kernel_and_says_why():
    snap = podpath.load(SEED004 / "after-frr-fix")
    overlay = {f: _bird_channel_edit(t, "::1", "export none;", "export all;") for f, t in snap.texts.items()
               if f.startswith("bird/")}
    assert len(overlay) == 6
    w = what_if(snap, overlay)
    assert w.diff.kernel == [] and w.diff.gained() == [] and w.diff.lost() == []
    assert w.diff.pairs_reachable == 0 and w.diff.pairs_total == 30
    why = [x for x in w.explanations if x.kind == "pod-route-not-in-kernel"]
    assert sorted(h for x in why for h in x.hosts + x.same_on) == sorted(snap.cluster.nodes)
    for x in why:
        host = x.hosts[0]
        texts = [r.text for r in x.reasons]
        stages = [r.stage for r in x.reasons]
        assert stages[0] == "kernel" and "no kernel protocol exports routes" in texts[0]
        assert x.reasons[0].location.file == f"bird/{host}.conf"
        # BIRD refuses to send a route whose next hop is the Cilium peer's own address ...
        assert any(r.stage == "export" and "would be the neighbor's own address" in r.text for r in x.reasons)
        # ... Cilium would refuse it anyway: the cluster's shared AS is already in the path ...
        sent = [r for r in x.reasons if r.stage == "if-sent"]
        assert sent and re.search(r"contains own AS (\d+) \(loop\)", sent[0].text)
        asn = re.search(r"contains own AS (\d+)", sent[0].text).group(1)
        assert sent[0].text.split("AS path ")[1].split(" contains")[0].split()[-1] == asn  # the origin's AS
        # ... and never installs received routes.
        assert any(r.stage == "never-installs" and "never installs received routes" in r.text for r in x.reasons)


def test_seed004_kernel_export_fixes_it_and_explains_nothing():
    """The counter-test: the change the finding proposes (a kernel protocol exporting the upstream routes)."""
    snap = podpath.load(SEED004 / "after-frr-fix")
    overlay = {f: t.replace("    export none;\n  };\n}\n\nprotocol bgp cilium",
                            '    export where proto = "upstream";\n  };\n}\n\nprotocol bgp cilium', 1)
               for f, t in snap.texts.items() if f.startswith("bird/")}
    assert all(overlay[f] != snap.texts[f] for f in overlay)
    w = what_if(snap, overlay)
    assert len(w.diff.gained()) == 30 and not w.diff.lost()
    assert {k.host for k in w.diff.kernel if k.pod_cidr and k.change == "added"} == set(snap.cluster.nodes)
    assert not [x for x in w.explanations if x.kind == "pod-route-not-in-kernel"]


def test_seed004_before_fix_names_the_upstream_statement():
    snap = podpath.load(SEED004 / "before-fix")
    from podpath.whynot import pod_routes_not_in_kernel

    why = pod_routes_not_in_kernel(snap)
    assert why
    for x in why:
        up = [r for r in x.reasons if r.stage == "upstream"]
        assert up and all("RM_VMS_IN_V6 deny 999" in r.text and r.location.line == 77 for r in up)


# ------------------------------------------------------------------------------------------------ patches

def test_apply_patch_hunks_in_order_with_offsets_and_insertions():
    from podpath.whatif import apply_patch, unified_diff

    snap = podpath.load(SEED000 / "broken")
    text = snap.texts["cilium/values.yaml"]
    lines = text.splitlines(keepends=True)
    new = lines[:2] + ["added: 1\n", "added: 2\n"] + lines[2:30] + lines[31:] + ["tail: x\n"]
    patch = unified_diff(snap.texts, {"cilium/values.yaml": "".join(new)})
    assert patch.count("@@") >= 4  # several hunks: the later ones are offset by the earlier ones
    assert apply_patch(snap, patch, "p.diff") == {"cilium/values.yaml": "".join(new)}
    stale = patch.replace(" kubeProxyReplacement: true", " kubeProxyReplacement: false", 1)
    with pytest.raises(SetError, match=r"p\.diff:\d+: error: the hunk does not match cilium/values\.yaml:\d+"):
        apply_patch(snap, stale, "p.diff")
    with pytest.raises(SetError, match="no file 'nope.yaml'"):
        apply_patch(snap, "--- a/nope.yaml\n+++ b/nope.yaml\n@@ -1 +1 @@\n-a\n+b\n", "p.diff")
    with pytest.raises(SetError, match="not a unified diff"):
        apply_patch(snap, "hello\n", "p.diff")


def test_whynot_caps_the_hosts_it_examines(monkeypatch):
    import podpath.whynot as whynot

    monkeypatch.setattr(whynot, "MAX_HOSTS", 2)
    why = whynot.pod_routes_not_in_kernel(podpath.load(SEED004 / "after-frr-fix"))
    assert sorted(h for x in why[:-1] for h in x.hosts + x.same_on) == ["solcp01", "solcp02"]
    assert why[-1].text.startswith("4 more node(s)") and why[-1].hosts == ["solcp03", "solwk01", "solwk02", "solwk03"]


def test_seed000_without_auto_direct_node_routes_loses_every_pair_and_says_why():
    w = _seed000("autoDirectNodeRoutes=false")
    assert len(w.diff.lost()) == 60 and w.diff.pairs_reachable == 0
    why = [x for x in w.explanations if x.kind == "pod-route-not-in-kernel"]
    assert sorted(h for x in why for h in x.hosts + x.same_on) == sorted(w.after.cluster.nodes)
    for x in why:
        assert len(x.prefixes) == 10  # 5 other nodes, IPv4 and IPv6
        assert [r.stage for r in x.reasons] == ["upstream", "cilium-agent"]
        assert "no routing daemon or BGP speaker" in x.reasons[0].text
        agent = x.reasons[1]
        assert "autoDirectNodeRoutes: false" in agent.text and (agent.location.file, agent.location.line) == (
            "cilium/values.yaml", 18)
