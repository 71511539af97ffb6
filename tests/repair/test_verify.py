"""Verification by re-simulation: a candidate's patch applied to a copy, re-simulated and re-checked against the
baseline; kept only when it resolves an error finding with no regression at all."""

from __future__ import annotations

import podpath
from podpath.repair.candidates import Candidate
from podpath.repair.edit import Patch, TextEdit
from podpath.repair.verify import Baseline, verify
from repairfx import BAD, FRR, GOOD, broken, replace


def test_the_missing_le_24_is_verified(tmp_path) -> None:  # type: ignore[no-untyped-def]
    snap = podpath.load(broken(tmp_path))
    base = Baseline(snap)
    v = verify(base, replace(snap, FRR, BAD, GOOD))
    assert v.kept and v.progress and v.all_pairs
    assert (v.pairs_reachable, v.pairs_total, v.pairs_reachable_before) == (6, 6, 0)
    assert v.resolved == v.resolved_errors == ["BGP002:ipv4:import:route-map RM-PODS-IN deny 100"]
    assert not v.regressions and not v.side_effects and v.errors_after == 0
    assert v.line == "verified by re-simulation: 6/6 node pairs reachable, no regressions"
    assert (tmp_path / "broken" / FRR).read_text().count(BAD + "\n") == 1  # the user's file is untouched


def test_a_patch_that_fixes_nothing_is_not_kept(tmp_path) -> None:  # type: ignore[no-untyped-def]
    snap = podpath.load(broken(tmp_path))
    v = verify(Baseline(snap), replace(snap, FRR, BAD, "ip prefix-list PL-PODS seq 5 permit 10.244.0.0/16 le 16"))
    assert not v.kept and not v.progress and v.note == "resolves no error finding"
    assert v.pairs_reachable == 0


def test_a_regression_rejects_a_patch_that_also_fixes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    snap = podpath.load(broken(tmp_path))
    base = Baseline(snap)
    fix = replace(snap, FRR, BAD, GOOD)
    n = snap.texts[FRR].splitlines().index(" neighbor 10.0.0.13 remote-as 65013") + 1
    cut = Candidate("test.asn", Patch([TextEdit.replace_line(FRR, n, " neighbor 10.0.0.13 remote-as 65013",
                                                             " neighbor 10.0.0.13 remote-as 65099")]), "m", "f")
    v = verify(base, [fix, cut])
    assert not v.kept and v.pairs_reachable == 2  # n1 <-> n2 only
    assert any(r.kind == "session-down" for r in v.regressions)
    assert v.note == v.regressions[0].text


def test_a_patch_that_no_longer_applies_or_breaks_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    snap = podpath.load(broken(tmp_path))
    base = Baseline(snap)
    stale = Candidate("test.stale", Patch([TextEdit.replace_line(FRR, 1, "not the first line", "x")]), "m", "f")
    v = verify(base, stale)
    assert not v.kept and v.note.startswith("the patch does not apply: frr/r1.conf:1: expected")
    bird = "bird/n1.conf"
    unreadable = replace(snap, bird, "protocol device {", "protocol device { {")
    w = verify(base, unreadable)
    assert not w.kept and any(r.kind == "unreadable" and r.subject.startswith(bird) for r in w.regressions)


def test_the_baseline_is_shared_and_verification_is_deterministic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    snap = podpath.load(broken(tmp_path))
    base = Baseline(snap)
    a = verify(base, replace(snap, FRR, BAD, GOOD)).to_json()
    b = verify(base, replace(snap, FRR, BAD, GOOD)).to_json()
    assert a == b and a["kept"] is True and a["files"] == [FRR]


def test_a_filtered_baseline_report_does_not_turn_its_gaps_into_new_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from podpath.checks import Report

    root = broken(tmp_path)
    values = root / "cilium" / "values.yaml"  # a second error the patch does not touch (MQ001)
    values.write_text(values.read_text().replace("kubeProxyReplacement: true", "kubeProxyReplacement: false"))
    snap = podpath.load(root)
    full = snap.check()
    assert {f.rule for f in full.findings if f.severity.value == "error"} == {"BGP002", "MQ001"}
    shown = Report([f for f in full.findings if f.rule != "MQ001"])  # as a suppression leaves it
    v = verify(Baseline(snap, shown), replace(snap, FRR, BAD, GOOD))
    assert v.kept and v.introduced == [] and v.errors_after == 1
