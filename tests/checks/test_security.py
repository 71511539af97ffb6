"""Security rules (checks/security.py) on seed 004 and on the same cluster with the suggested binding."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import podpath

EX = Path(__file__).resolve().parents[2] / "examples" / "seed004-bgp-pod-cidr"


def rules(snap: podpath.Snapshot, *ids: str) -> list:
    return [f for f in snap.check(list(ids)).findings]


def test_seed004_any_node_can_announce_any_pod_prefix_with_the_community() -> None:
    snap = podpath.load(EX / "complete")
    found = rules(snap, "SEC001")
    assert sorted(f.subject.split("/")[0] for f in found) == ["pve01", "pve02", "pve03"]
    assert all(f.severity.value == "warning" for f in found)
    ev = " ".join(e for f in found for e in f.evidence)
    assert re.search(r"announces fd00:101:224:\S*/64 .* \(inside sol\w+'s pod CIDR", ev)  # another node's /64
    assert "fd00:101:224::/60" in ev  # or the whole range (`le 64`)
    assert "installed in pve01's kernel" in ev
    assert [f.subject for f in found][0] == "pve01/frr@vrf_evpnz1:ipv6"  # one per receiving router and family
    fix = found[0].fix
    assert fix is not None and fix.file == "frr/pve01.conf" and fix.yaml is None  # a patch of the file instead
    assert fix.diff.startswith("--- a/frr/pve01.conf\n+++ b/frr/pve01.conf\n")
    assert "+ipv6 prefix-list PL_POD_SOLCP01_V6 seq 5 permit fd00:101:224::/64\n" in fix.diff
    assert "+ neighbor fd00:101::11 peer-group VMS\n" in fix.diff  # stays in its group (remote-as, policies out)
    assert "+  neighbor fd00:101::11 route-map RM_IN_SOLCP01_V6 in\n" in fix.diff
    assert "+ call RM_VMS_IN_V6\n" in fix.diff and "2 node sessions" in fix.description


def test_seed004_deny_6_is_redundant_and_nothing_is_an_error() -> None:
    snap = podpath.load(EX / "complete")
    red = rules(snap, "SEC004")
    assert {f.subject.split(":")[-2] for f in red} == {"6"} and all("redundant" in f.message for f in red)
    assert not [f for f in rules(snap, "SEC001", "SEC002", "SEC003", "SEC004") if f.severity.value == "error"]


def test_before_the_fix_pods_are_denied_so_there_is_no_hijack() -> None:
    assert rules(podpath.load(EX / "before-fix"), "SEC001") == []


def test_the_suggested_binding_removes_the_hijack() -> None:
    """Apply SEC001's own patch to pve01 as a user would (`check --patch`'s reader of unified diffs): explicit
    neighbors win over the listen range, and nothing else changes: the other findings, the sessions, and
    every router's best routes (but the name of the peer they came from)."""
    from podpath.whatif import apply_patch

    root = EX / "complete"
    snap = podpath.load(root)
    fix = next(f for f in rules(snap, "SEC001") if f.subject.startswith("pve01")).fix
    fixed = podpath.load(root, overlay=apply_patch(snap, fix.diff, "fix.diff"))
    assert not fixed.diagnostics and len(fixed.unsupported) == len(snap.unsupported)
    assert [f.subject for f in rules(fixed, "SEC001") if f.subject.startswith("pve01")] == []
    assert [f.subject for f in rules(fixed, "SEC001") if f.subject.startswith("pve02")]  # untouched router

    def others(s: podpath.Snapshot) -> list:
        return sorted((f.id, f.severity.value) for f in s.check().findings if f.id != "SEC001:pve01/frr@vrf_evpnz1:ipv6")
    assert others(fixed) == others(snap)  # SEC002 keeps its id (one per router and family), nothing new

    def best(s: podpath.Snapshot) -> dict:
        return {sid: {p: (dataclasses.replace(x.route, source_name=""), x.peer_address, x.valid) for p, x in t.items()}
                for sid, t in s.simulate().best.items()}
    assert best(fixed) == best(snap)

    def sessions(s: podpath.Snapshot) -> list:
        return sorted((tuple(sorted(str(e.local_address) for e in (x.a, x.b) if e is not None)), x.up)
                      for x in s.simulate().sessions)
    assert sessions(fixed) == sessions(snap)


def test_infrastructure_host_routes_from_nodes_are_a_warning() -> None:
    found = rules(podpath.load(EX / "complete"), "SEC002")
    v6 = [f for f in found if f.subject.endswith("ipv6")]
    assert v6 and all(f.severity.value == "warning" for f in v6)
    assert any("fd00:101:fe::" in e for f in v6 for e in f.evidence)  # another node's loopback /128


def test_export_of_pod_routes_to_a_peer_outside_the_snapshot_is_a_leak() -> None:
    root = EX / "complete"
    text = podpath.load(root).texts["frr/pve01.conf"]
    leaky = text.replace(" bgp listen range fd00:101::/64 peer-group VMS\n",
                         " bgp listen range fd00:101::/64 peer-group VMS\n neighbor 2001:db8:ffff::1 remote-as 65100\n"
                         ).replace("  neighbor VMS route-map RM_VMS_OUT_V6 out\n",
                                   "  neighbor VMS route-map RM_VMS_OUT_V6 out\n  neighbor 2001:db8:ffff::1 activate\n"
                                   "  neighbor 2001:db8:ffff::1 route-map RM_VMS_OUT_V6 out\n")
    assert leaky != text
    found = rules(podpath.load(root, overlay={"frr/pve01.conf": leaky}), "SEC003")
    assert [f.subject for f in found] == ["pve01/frr@vrf_evpnz1:2001:db8:ffff::1:ipv6"]
    assert "fd00:101:224:" in found[0].evidence[0] and found[0].severity.value == "warning"
    assert rules(podpath.load(root), "SEC003") == []
    # and the same peer, with no inbound policy (`frr defaults datacenter`), could announce pod prefixes
    ext = [f for f in rules(podpath.load(root, overlay={"frr/pve01.conf": leaky}), "SEC001") if "2001:db8" in f.subject]
    assert len(ext) == 1 and "outside the snapshot" in ext[0].message and "installed in pve01" in ext[0].evidence[0]


def test_a_clause_after_a_catch_all_deny_is_shadowed() -> None:
    root = EX / "complete"
    text = podpath.load(root).texts["frr/pve01.conf"]
    more = text.replace("route-map RM_VMS_OUT_V6 permit 10\n",
                        "route-map RM_VMS_IN_V6 permit 1000\n match ipv6 address prefix-list PL_TENANT_V6\nexit\n!\n"
                        "route-map RM_VMS_OUT_V6 permit 10\n")
    found = rules(podpath.load(root, overlay={"frr/pve01.conf": more}), "SEC004")
    shadowed = [f for f in found if "shadowed" in f.message]
    assert [f.subject for f in shadowed] == ["frr/pve01.conf:RM_VMS_IN_V6:1000:ipv6"]
    assert shadowed[0].severity.value == "info"


def test_bird_reject_that_the_rest_of_the_filter_implies_is_redundant() -> None:
    root = EX / "complete"
    text = podpath.load(root).texts["bird/solcp01.conf"]
    extra = text.replace('''      if net = fd00:101::/64 then reject;
      accept;''', '''      if net = fd00:101::/64 then reject;
      if net ~ [ fd00:dead::/32+ ] then reject;
      if net ~ [ fd00:dead::/48+ ] then reject;
      if net ~ [ fd00:beef::/32+ ] then accept;
      reject;''')
    assert extra != text
    found = [f for f in rules(podpath.load(root, overlay={"bird/solcp01.conf": extra}), "SEC004")
             if f.subject.startswith("bird/")]
    # each reject is implied by the final one: only fd00:beef::/32+ is accepted
    lines = text.splitlines()
    first = next(i for i, x in enumerate(lines, 1) if "if net = fd00:101::/64 then reject;" in x)
    assert sorted(f.locations[0].line for f in found) == [first, first + 1, first + 2]
    assert all("redundant" in f.message for f in found)


def test_redundant_clause_answers_are_shared_only_between_equal_policies() -> None:
    """SEC004 decides a route-map once per structurally equal policy: each router still gets its own finding
    at its own line, and a router whose route-map differs gets its own answer."""
    root = EX / "complete"
    texts = podpath.load(root).texts
    pve02 = texts["frr/pve02.conf"].replace(
        "route-map RM_VMS_IN_V6 permit 10\n match ipv6 address prefix-list PL_TENANT_V6\n",
        "route-map RM_VMS_IN_V6 permit 10\n match ipv6 address prefix-list PL_K8S_PODS_V6\n")
    pve03 = "! moved down\n!\n!\n" + texts["frr/pve03.conf"]
    assert pve02 != texts["frr/pve02.conf"]
    snap = podpath.load(root, overlay={"frr/pve02.conf": pve02, "frr/pve03.conf": pve03})
    found = {f.subject: f for f in rules(snap, "SEC004")}
    # pve02's deny 6 now stops pod routes without the community that permit 10 would accept: needed;
    # and its permit 10 is reached by no pod route (permit 5 and deny 6 decide them all)
    assert sorted(found) == ["frr/pve01.conf:RM_VMS_IN_V6:6:ipv6", "frr/pve02.conf:RM_VMS_IN_V6:10:ipv6",
                             "frr/pve03.conf:RM_VMS_IN_V6:6:ipv6"]
    assert "shadowed" in found["frr/pve02.conf:RM_VMS_IN_V6:10:ipv6"].message
    del found["frr/pve02.conf:RM_VMS_IN_V6:10:ipv6"]
    for name, f in found.items():
        file = name.split(":")[0]
        loc = f.locations[0]
        assert loc.file == file
        assert snap.texts[file].splitlines()[loc.line - 1] == "route-map RM_VMS_IN_V6 deny 6"
    assert found["frr/pve03.conf:RM_VMS_IN_V6:6:ipv6"].locations[0].line == \
        found["frr/pve01.conf:RM_VMS_IN_V6:6:ipv6"].locations[0].line + 3
