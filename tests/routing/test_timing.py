"""Timing-dependent BGP outcomes (found by the differential suite, seeds 5232 and 5004)."""

import shutil
from pathlib import Path

import podpath
from podpath.routing.timing import timing_dependent

DATA = Path(__file__).parent / "data"


def _found(root: Path) -> list[tuple[str, str]]:
    snap = podpath.load(root)
    return [(str(t.prefix), t.kind) for t in timing_dependent(snap.control_plane(), snap.simulate())]


def test_frr_oldest_path_tie_is_flagged_and_compare_routerid_removes_it(tmp_path: Path) -> None:
    assert _found(DATA / "frr-oldest-path-tie") == [("fd10:8:99::/64", "oldest-path")]
    fixed = tmp_path / "fixed"
    shutil.copytree(DATA / "frr-oldest-path-tie", fixed)
    conf = fixed / "frr" / "s8r1.conf"
    conf.write_text(conf.read_text().replace(" bgp router-id", " bgp bestpath compare-routerid\n bgp router-id", 1))
    assert _found(fixed) == []
    ids = [f.rule for f in podpath.load(fixed).check().findings]
    assert "BGP005" not in ids


def test_two_stable_outcomes_are_flagged() -> None:
    assert _found(DATA / "two-stable-outcomes") == [("fd10:4:20::/64", "order")]
    assert any(f.rule == "BGP005" for f in podpath.load(DATA / "two-stable-outcomes").check().findings)


def test_deterministic_snapshot_is_not_flagged() -> None:
    assert _found(DATA / "bird-reflector-originator") == []


def test_a_skipped_second_run_is_said() -> None:
    snap = podpath.load(DATA / "two-stable-outcomes")
    skipped: list[int] = []
    found = timing_dependent(snap.control_plane(), snap.simulate(), max_routes=0, skipped=skipped)
    assert found == [] and len(skipped) == 1 and skipped[0] > 0  # the order run did not happen, and says so
    skipped.clear()
    assert timing_dependent(snap.control_plane(), snap.simulate(), skipped=skipped) and skipped == []
