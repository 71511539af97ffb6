"""FRR repair operators (issue 11) on small broken clusters: each fixture under tests/fixtures/repair/frr-*/
holds a snapshot with one mistake and `intended.yaml`, the edit a network engineer would make:

    file: frr/tor1.conf      # the user's file
    line: 23                 # the line of the repaired file that holds the fix (for `removed`: of the original)
    contains: "le 24"        # text that line must contain
    also: "prefix-list X"    # optional: text within that line and the three after it
    removed: "... passive"   # instead of `contains`: the original line the fix deletes

For each broken fixture an FRR operator must propose that edit, and applying it must make every lost pod route
arrive (every node pair verified by re-simulation) without losing a session. On healthy clusters the operators
propose nothing. Until `repair.verify` exists, `_verify` below applies and re-checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import podpath
import podpath.repair.operators  # noqa: F401  (registers every operator)
from podpath.repair.candidates import OPERATORS, Candidate, RepairContext
from podpath.repair.edit import PatchConflict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "repair"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BROKEN = sorted(p.name for p in FIXTURES.glob("frr-*") if (p / "intended.yaml").is_file()
                and "healthy: true" not in (p / "intended.yaml").read_text())
HEALTHY = sorted(p.name for p in FIXTURES.glob("frr-healthy-*") if (p / "snapshot").is_dir())
OTHER_HEALTHY = sorted(p.name for p in FIXTURES.glob("*healthy*")
                       if (p / "snapshot").is_dir() and not p.name.startswith("frr-"))


def _frr_candidates(snap: podpath.Snapshot) -> list[Candidate]:
    ctx = RepairContext(snap, snap.check())
    return [c for name, op in sorted(OPERATORS.items()) if name.startswith("frr.") for c in op(ctx)]


@dataclass
class Outcome:
    established: set[str]
    pairs: dict[int, dict[str, int]]
    errors: list[str]

    @property
    def broken(self) -> int:
        return sum(c["broken"] for c in self.pairs.values())

    @property
    def verified(self) -> int:
        return sum(c["verified"] for c in self.pairs.values())


def _outcome(snap: podpath.Snapshot) -> Outcome:
    report = snap.check()
    counts = snap.control_plane().pair_verdicts.counts if snap.has_control_plane else {}
    return Outcome({s.id for s in snap.simulate().sessions if s.up}, dict(counts),
                   sorted(f.id for f in report.findings if f.severity.value == "error"))


def _verify(root: Path, snap: podpath.Snapshot, before: Outcome, c: Candidate) -> Outcome | None:
    """The candidate applied to a copy and re-simulated: its outcome when it restores every node pair and keeps
    every session that was up (None otherwise)."""
    try:
        overlay = c.patch.apply(snap.texts)
    except PatchConflict:
        return None
    after = _outcome(podpath.load(root, overlay=overlay))
    if after.broken or after.errors or not before.established <= after.established:
        return None
    if after.verified < before.verified + before.broken:
        return None
    return after


def _intended(name: str) -> dict:
    return YAML(typ="safe").load((FIXTURES / name / "intended.yaml").read_text())


def _is_intended(c: Candidate, texts: dict[str, str], want: dict) -> bool:
    """The candidate makes the intended edit (it may also edit other lines or files)."""
    file, line = want["file"], int(want["line"])
    if file not in c.patch.files:
        return False
    old = texts[file].splitlines()
    new = c.patch.apply(texts)[file].splitlines()
    if "removed" in want:
        return want["removed"] in old[line - 1] and any(
            e.file == file and e.line == line and e.old and not e.new for e in c.patch.edits)
    if not (0 < line <= len(new)) or want["contains"] not in new[line - 1]:
        return False
    if "also" in want and want["also"] not in "\n".join(new[line - 1:line + 3]):
        return False
    return line > len(old) or old[line - 1] != new[line - 1]


def _rank(cands: list[Candidate]) -> list[Candidate]:
    """By intent evidence, then size (the engine ranks verified repairs by far more: see repair.search)."""
    return sorted(cands, key=lambda c: (-c.intent, c.patch.size))


@pytest.mark.parametrize("name", BROKEN)
def test_operator_proposes_the_intended_edit_and_it_restores_pod_routes(name: str) -> None:
    root = FIXTURES / name / "snapshot"
    snap = podpath.load(root)
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics]
    before = _outcome(snap)
    assert before.broken and before.errors, f"{name} is not broken: {before}"
    want = _intended(name)
    cands = _frr_candidates(snap)
    for c in cands:
        assert c.mistake and c.fix and c.patch.edits and c.locations, c
        assert c.operator in OPERATORS
    hits = [c for c in cands if _is_intended(c, snap.texts, want)]
    assert hits, f"no FRR operator proposes the edit of {want}; got: " + "; ".join(
        f"{c.operator}: {c.fix}" for c in cands)
    verified = [c for c in hits if _verify(root, snap, before, c) is not None]
    assert verified, f"the intended edit does not restore every pod pair: {[c.fix for c in hits]}"
    # The first sentence names the statement the edit is about, in the user's terms.
    assert any(want["file"].rsplit("/", 1)[-1].split(".")[0] in c.mistake or "seq" in c.mistake
               or "neighbor" in c.mistake or "route-map" in c.mistake for c in verified)


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_cluster_gets_no_frr_repair(name: str) -> None:
    snap = podpath.load(FIXTURES / name / "snapshot")
    before = _outcome(snap)
    assert not before.broken, f"{name} is not healthy: {before}"
    assert _frr_candidates(snap) == []


@pytest.mark.parametrize("name", OTHER_HEALTHY)
def test_other_healthy_fixtures_get_no_frr_repair(name: str) -> None:
    """The other dialects' healthy fixtures (BIRD, Cilium): nothing for the FRR operators either."""
    snap = podpath.load(FIXTURES / name / "snapshot")
    if _outcome(snap).broken:
        pytest.skip(f"{name} is not healthy (another dialect's fixture)")
    assert _frr_candidates(snap) == []


def test_seed004_after_frr_fix_no_frr_repair_verifies() -> None:
    """After the FRR fix, seed 004's pod routes reach FRR and the other BIRDs but no kernel table (BIRD has no
    kernel export): no FRR edit can restore the pairs, so none may verify."""
    root = EXAMPLES / "seed004-bgp-pod-cidr" / "after-frr-fix"
    snap = podpath.load(root)
    before = _outcome(snap)
    assert before.broken
    assert all(_verify(root, snap, before, c) is None for c in _frr_candidates(snap))


def test_seed004_before_fix_template_edit_made_in_every_file() -> None:
    """Seed 004's hypervisors share one FRR template: the missing permit clause for the pod prefix-list is one
    candidate editing all three files, ranked before the per-file ones; it moves the loss past the import."""
    root = EXAMPLES / "seed004-bgp-pod-cidr" / "before-fix"
    snap = podpath.load(root)
    cands = _rank([c for c in _frr_candidates(snap) if c.operator == "frr.unused-list"])
    assert cands and len(cands[0].patch.files) == 3
    assert all("PL_K8S_PODS_V6" in "\n".join(e.new) for e in cands[0].patch.edits)
    after = podpath.load(root, overlay=cands[0].patch.apply(snap.texts))
    assert not any("RM_VMS_IN_V6" in f.id for f in after.check().findings if f.rule == "BGP002")


def test_fixture_kinds_cover_the_issue() -> None:
    """Several small fixtures per kind of FRR mistake the issue lists."""
    kinds: dict[str, int] = {}
    for name in BROKEN:
        kinds[name.rsplit("-", 1)[0]] = kinds.get(name.rsplit("-", 1)[0], 0) + 1
    for kind in ("frr-prefix-length", "frr-community", "frr-clause-order", "frr-unused-list", "frr-requires-policy",
                 "frr-remote-as", "frr-activate", "frr-next-hop-self", "frr-reflection", "frr-passive", "frr-multihop",
                 "frr-neighbor-address", "frr-import-check"):
        assert kinds.get(kind, 0) >= 2, (kind, kinds)


@pytest.mark.parametrize("name", [n for n in BROKEN if n.startswith("frr-reflection-")])
def test_ibgp_without_reflection_also_offers_the_missing_mesh_session(name: str) -> None:
    """The other way to repair iBGP without a reflector: the missing session between the two outer routers,
    configured on both as each configures the router in the middle (two files, verified like any other)."""
    root = FIXTURES / name / "snapshot"
    snap = podpath.load(root)
    before = _outcome(snap)
    mesh = [c for c in _frr_candidates(snap) if c.operator == "frr.ibgp-full-mesh"]
    assert mesh and all(len(c.patch.files) == 2 for c in mesh)
    assert any(_verify(root, snap, before, c) is not None for c in mesh)
    top = _rank([c for c in _frr_candidates(snap) if _verify(root, snap, before, c) is not None])[0]
    assert top.operator == "frr.ibgp-reflection"  # one line beats four


@pytest.mark.parametrize("name", BROKEN)
def test_engine_top_repair_is_the_intended_frr_edit(name: str) -> None:
    """Through the engine (every dialect's operators, verification, ranking): the root cause it names is the
    intended edit, verified with every node pair reachable."""
    search = pytest.importorskip("podpath.repair.search")
    snap = podpath.load(FIXTURES / name / "snapshot")
    top = search.repair(snap).top
    assert top is not None and top.kept and top.all_pairs, name
    assert len(top.candidates) == 1 and _is_intended(top.candidates[0], snap.texts, _intended(name)), top.line
