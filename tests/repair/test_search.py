"""The repair search: operators' candidates deduplicated, verified in a deterministic order, ranked (all pairs,
fewer side effects, smaller, more intent), combined when one fault hides another; a failing operator is a
note; a healthy snapshot gets nothing. Test operators stand in for the registry, so these tests do not depend
on what the dialect operators propose (tests/repair/test_eval.py runs those on their cases)."""

from __future__ import annotations

import pytest

import podpath
from podpath.repair import search
from podpath.repair.candidates import Candidate
from podpath.repair.edit import Patch, TextEdit
from repairfx import BAD, FRR, GOOD, HEALTHY, TWO_FAULTS, broken, kernel_export_op, prefix_length_op, replace


@pytest.fixture
def ops(monkeypatch: pytest.MonkeyPatch) -> dict:
    registry: dict = {}
    monkeypatch.setattr(search, "OPERATORS", registry)
    return registry


def test_healthy_snapshot_runs_no_operator(ops: dict) -> None:
    called = []
    ops["test.spy"] = lambda ctx: called.append(1) or []
    r = search.repair(podpath.load(HEALTHY))
    assert r.top is None and not r.repairs and not called and r.errors == []


def test_top_repair_is_the_smaller_one_without_side_effects(ops: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = broken(tmp_path)
    n1 = root / "bird" / "n1.conf"  # n1 also announces a route that is not a pod CIDR
    n1.write_text(n1.read_text().replace("  route 10.244.1.0/24 blackhole;",
                                         "  route 10.244.1.0/24 blackhole;\n  route 192.168.77.0/24 blackhole;"))
    snap = podpath.load(root)
    ops["test.any"] = lambda ctx: [replace(ctx.snap, FRR, BAD, "ip prefix-list PL-PODS seq 5 permit any",
                                           op="test.any", intent=5)]
    ops["test.le"] = prefix_length_op
    ops["test.noop"] = lambda ctx: [replace(ctx.snap, FRR, BAD, BAD + " le 16", op="test.noop")]
    r = search.repair(snap)
    assert [v.candidate.operator for v in r.repairs] == ["test.le", "test.any"]
    assert r.top.patch.edits[0].new == (GOOD,) and not r.top.side_effects
    assert r.repairs[1].side_effects  # permit any accepts 192.168.77.0/24 on r1
    assert [v.candidate.operator for v in r.verifications] == ["test.any", "test.le", "test.noop"]  # intent order
    assert r.candidates == 3 and not r.notes


def test_duplicates_are_verified_once_with_the_higher_intent(ops: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    snap = podpath.load(broken(tmp_path))
    ops["test.a"] = lambda ctx: [replace(ctx.snap, FRR, BAD, GOOD, op="test.a", intent=1)]
    ops["test.b"] = lambda ctx: [replace(ctx.snap, FRR, BAD, GOOD, op="test.b", intent=3)]
    r = search.repair(snap)
    assert r.candidates == 1 and len(r.verifications) == 1 and r.top.candidate.operator == "test.b"


def test_a_failing_operator_is_a_note(ops: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def boom(ctx):  # type: ignore[no-untyped-def]
        raise KeyError("no such clause")

    ops["test.boom"] = boom
    ops["test.le"] = prefix_length_op
    r = search.repair(podpath.load(broken(tmp_path)))
    assert r.top is not None and r.top.candidate.operator == "test.le"
    assert r.notes == ["repair operator test.boom failed (KeyError: 'no such clause'); its candidates were not tried"]


def test_the_limit_is_noted(ops: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ops["test.le"] = prefix_length_op
    ops["test.noop"] = lambda ctx: [replace(ctx.snap, FRR, BAD, BAD + " le 16", op="test.noop")]
    r = search.repair(podpath.load(broken(tmp_path)), limit=1)
    assert len(r.verifications) == 1 and r.top.candidate.operator == "test.le"
    assert r.notes == ["1 candidate repair(s) of lowest intent were not verified (at most 1 are)"]


def test_two_faults_in_series_are_repaired_together(ops: dict) -> None:
    ops["test.le"] = prefix_length_op
    ops["test.kernel"] = kernel_export_op
    snap = podpath.load(TWO_FAULTS)
    r = search.repair(snap)
    top = r.top
    assert top is not None and [c.operator for c in top.candidates] == ["test.le", "test.kernel"]
    assert top.kept and top.all_pairs and top.errors_after == 0
    assert top.patch.files == ["bird/n1.conf", "bird/n2.conf", "bird/n3.conf", FRR]
    # neither alone is kept: the prefix-list fix shows the second fault, the kernel export fixes nothing yet
    assert not any(v.kept for v in r.verifications)


def test_the_search_reads_and_checks_nothing_twice(ops: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given the report of every rule as run, the baseline re-runs none; the next step's operators run on the
    snapshot its verification read; the answer is the same as the search that reads and checks them again."""
    from podpath.repair.verify import Baseline

    ops["test.le"] = prefix_length_op
    ops["test.kernel"] = kernel_export_op
    snap = podpath.load(TWO_FAULTS)
    report = snap.check()
    plain = search.repair(snap, report)
    assert sorted(f.id for f in Baseline(snap, report, checked=report).checked.findings) == \
        sorted(f.id for f in Baseline(snap, report).checked.findings)
    loads: list[object] = []
    real = podpath.load
    monkeypatch.setattr(podpath, "load", lambda *a, **k: loads.append(k.get("overlay")) or real(*a, **k))
    fast = search.repair(snap, report, checked=report)
    assert fast.to_json() == plain.to_json() and len(fast.top.candidates) == 2
    assert [v.line for v in fast.verifications] == [v.line for v in plain.verifications]
    assert len(loads) == fast.trials  # one read per verification, none for the operators' second look
    assert all(v.after is None for v in fast.repairs + fast.verifications)  # no patched snapshot kept


def test_independent_faults_are_combined(ops: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = broken(tmp_path)
    f = root / FRR  # a second, independent fault: n3's session has the wrong AS
    f.write_text(f.read_text().replace("neighbor 10.0.0.13 remote-as 65013", "neighbor 10.0.0.13 remote-as 65099"))
    snap = podpath.load(root)
    ops["test.le"] = prefix_length_op
    ops["test.asn"] = lambda ctx: [replace(ctx.snap, FRR, " neighbor 10.0.0.13 remote-as 65099",
                                           " neighbor 10.0.0.13 remote-as 65013", op="test.asn")]
    r = search.repair(snap)
    assert r.top is not None and len(r.top.candidates) == 2 and r.top.kept and r.top.all_pairs
    assert sorted(c.operator for c in r.top.candidates) == ["test.asn", "test.le"]


def test_rebase_moves_edits_below_an_insertion() -> None:
    applied = Patch([TextEdit.insert_after("f", 2, "a", "b")])
    c = Candidate("x", Patch([TextEdit.replace_line("f", 10, "old", "new"), TextEdit.replace_line("g", 10, "o", "n")]),
                  "m", "f")
    out = search._rebase(c, applied)
    assert out is not None and [(e.file, e.line) for e in out.patch.edits] == [("f", 8), ("g", 10)]
    inside = Candidate("y", Patch([TextEdit.replace_line("f", 3, "a", "c")]), "m", "f")
    assert search._rebase(inside, applied) is None


def test_annotate_rewrites_the_resolved_finding(ops: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    snap = podpath.load(broken(tmp_path))
    ops["test.le"] = prefix_length_op
    report = snap.check()
    old = report.findings[0].message
    r = search.repair(snap, report)
    assert search.annotate(snap, report, r) == 1
    f = report.findings[0]
    assert f.message == f"{BAD} lacks `le 24`." and f.evidence[0] == f"podpath saw: {old}"
    assert f.fix.verified == "verified by re-simulation: 6/6 node pairs reachable, no regressions"
    assert f.fix.diff.startswith("--- a/frr/r1.conf\n") and f"+{GOOD}\n" in f.fix.diff
    assert f.fix.file == FRR and f.fix.description == "add `le 24`"


def test_work_bound_skips_the_search_on_a_large_snapshot(ops: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    called = []
    ops["test.spy"] = lambda ctx: called.append(1) or []
    snap = podpath.load(broken(tmp_path))
    hosts = len(snap.cluster.hosts)
    r = search.repair(snap, work=hosts - 1)  # less than one verification's worth: nothing runs, not even operators
    assert r.top is None and not called and r.trials == 0
    assert r.cut is not None and r.cut.startswith(f"not run: {hosts} hosts")
    report = snap.check()
    search.report_cut(report, r)
    assert [n.what for n in report.not_checked if n.rule is None] == ["the repair search"]


def test_work_bound_cuts_verifications_and_combinations(ops: dict) -> None:
    ops["test.le"] = prefix_length_op
    ops["test.kernel"] = kernel_export_op
    snap = podpath.load(TWO_FAULTS)  # needs a combination: two verifications and more
    hosts = len(snap.cluster.hosts)
    r = search.repair(snap, work=hosts)  # one verification's worth
    assert r.trials == 1 and r.top is None and r.cut is not None
    unbounded = search.repair(snap)
    assert unbounded.cut is None and unbounded.top is not None and unbounded.trials > 1
