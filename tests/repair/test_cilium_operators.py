"""Cilium repair operators (BGP Control Plane resources, Helm values) on small broken snapshots
(tests/fixtures/repair/cilium-*): the intended YAML edit is proposed at the user's line, keeping indentation and
quoting, it verifies by re-simulation and ranks first; healthy snapshots get no candidate that would verify."""

from __future__ import annotations

import pytest

import podpath
from opcheck import FIXTURES, candidates, fixture_names, healthy_names, intended, meets, outcome, ranked, verifies

BROKEN = fixture_names("cilium-")
HEALTHY = healthy_names("cilium-") + ["bird-healthy-1", "bird-healthy-3"]  # seed 004 runs in the BIRD tests


def test_fixtures_exist() -> None:
    kinds = {n.rsplit("-", 1)[0] for n in BROKEN}
    assert {"cilium-adv-label", "cilium-node-selector", "cilium-family", "cilium-api-version", "cilium-peer-asn",
            "cilium-native-cidr"} <= kinds


@pytest.mark.parametrize("name", BROKEN)
def test_intended_repair_verifies_and_ranks_first(name: str) -> None:
    root = FIXTURES / name / "snapshot"
    snap = podpath.load(root)
    before = outcome(snap)
    assert before.errors, f"{name} is not broken"
    cands = candidates(snap, ("cilium.",), before)
    want = intended(name)
    hits = [c for c in cands if meets(c, snap.texts, want)]
    assert hits, f"no candidate edits {want}: {[c.fix for c in cands]}"
    ok = [c for c in cands if verifies(root, snap, before, c)]
    assert any(c in ok for c in hits), f"the intended edit does not verify: {[c.fix for c in hits]}"
    top = ranked(ok)[0]
    assert meets(top, snap.texts, want), f"top repair is {top.fix}, not {want}"
    assert top.mistake.endswith(".") and f"{top.patch.files[0]}:" in top.mistake


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_snapshot_gets_no_verified_repair(name: str) -> None:
    root = FIXTURES / name / "snapshot"
    snap = podpath.load(root)
    before = outcome(snap)
    assert not before.errors
    assert not [c.fix for c in candidates(snap, ("cilium.",), before) if verifies(root, snap, before, c)]


def test_label_side_follows_other_objects() -> None:
    """`advertise: bpg` on the PodCIDR advertisement while the selector and another advertisement use
    `advertise: bgp`: the advertisement is relabelled (ranked first); the other side is still offered."""
    snap = podpath.load(FIXTURES / "cilium-adv-label-2" / "snapshot")
    cands = ranked(candidates(snap, ("cilium.advertisement-label",)))
    assert len(cands) == 2
    assert cands[0].patch.edits[0].new == ("    advertise: bgp",)
    assert cands[1].patch.edits[0].new == ("          advertise: bpg",)
    assert "`advertise: bgp`" in cands[0].mistake and "`advertise: bpg`" in cands[0].mistake


def test_yaml_edits_keep_indentation_quoting_and_comments() -> None:
    snap = podpath.load(FIXTURES / "cilium-native-cidr-2" / "snapshot")
    (c,) = candidates(snap, ("cilium.native-routing-cidr",))
    (e,) = c.patch.edits
    old, new = e.old[0], e.new[0]
    assert old.replace("fd00:101::/48", "fd00:101::/38") == new
    assert e.file == "cilium/values.yaml" and "ipv6NativeRoutingCIDR fd00:101::/48" in c.mistake


def test_node_selector_proposes_a_shared_label_before_dropping_the_selector() -> None:
    snap = podpath.load(FIXTURES / "cilium-node-selector-1" / "snapshot")
    cands = ranked(candidates(snap, ("cilium.node-selector",)))
    assert [c.patch.size for c in cands] == [1, 3]
    assert "n1" in cands[0].mistake and "holds pods" in cands[0].mistake


def test_peer_asn_zero_when_routers_differ() -> None:
    snap = podpath.load(FIXTURES / "cilium-peer-asn-2" / "snapshot")
    (c,) = candidates(snap, ("cilium.peer-asn",))
    assert c.patch.edits[0].new[0].strip() == "peerASN: 0" and "accepts the AS each router uses" in c.mistake


class _Texts:
    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def line(self, file: str, line: int) -> str:
        lines = self.texts.get(file, "").splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


def test_scalar_replaced_in_its_own_quoting_with_comment_kept() -> None:
    from podpath.diagnostics import Loc
    from podpath.repair.operators.cilium import replace_key, replace_scalar

    ctx = _Texts({"v.yaml": 'a: "fd00::/48"  # pods\nb: \'x\'\nc: 10.0.0.0/24\nd: {advertise: bgp}\n'
                            "    node-role.kubernetes.io/worker: ''\n"})
    assert replace_scalar(ctx, Loc("v.yaml", 1, 4), "fd00::/38").new == ('a: "fd00::/38"  # pods',)  # type: ignore[arg-type, union-attr]
    assert replace_scalar(ctx, Loc("v.yaml", 2, 4), "y").new == ("b: 'y'",)  # type: ignore[arg-type, union-attr]
    assert replace_scalar(ctx, Loc("v.yaml", 3, 4), "10.0.0.0/22").new == ("c: 10.0.0.0/22",)  # type: ignore[arg-type, union-attr]
    assert replace_scalar(ctx, Loc("v.yaml", 4, 16), "pods").new == ("d: {advertise: pods}",)  # type: ignore[arg-type, union-attr]
    assert replace_key(ctx, Loc("v.yaml", 5, 5), "kubernetes.io/os").new == ("    kubernetes.io/os: ''",)  # type: ignore[arg-type, union-attr]
    assert replace_scalar(ctx, Loc("v.yaml", 3, 4), "10.0.0.0/24") is None  # nothing to change


@pytest.mark.parametrize("name", [n for n in BROKEN if not n.endswith("family-2")])  # seed 004: slow, above
def test_engine_top_repair_is_the_intended_one(name: str) -> None:
    """Through the whole engine (every dialect's operators, verification, ranking), the top repair is the
    fixture's intended edit."""
    from podpath.repair.search import repair

    snap = podpath.load(FIXTURES / name / "snapshot")
    top = repair(snap).top
    assert top is not None and meets(top, snap.texts, intended(name)), top and top.candidate.fix  # type: ignore[arg-type]
