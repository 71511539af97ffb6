"""Timing-dependent BGP outcomes (found by the differential suite, seeds 5232 and 5004)."""

import shutil
from pathlib import Path

import pytest

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
    skipped: list = []
    found = timing_dependent(snap.control_plane(), snap.simulate(), max_routes=0, skipped=skipped)
    assert found == [] and len(skipped) == 1 and skipped[0].prefixes  # the order run did not happen, and says so
    skipped.clear()
    assert timing_dependent(snap.control_plane(), snap.simulate(), skipped=skipped) and skipped == []


def _naive_differences(res, alt, only) -> dict:
    """The reference: every speaker's materialised best table, prefix by prefix."""
    from podpath.routing.timing import _sig

    diff: dict = {}
    for sid in sorted(res.tables):
        a, b = res.best[sid], alt.best[sid]
        keys = (set(a) | set(b)) & only if only is not None else set(a) | set(b)
        for p in sorted(keys, key=lambda p: (p.version, int(p.network_address), p.prefixlen)):
            if _sig(a.get(p)) != _sig(b.get(p)):
                diff.setdefault(p, []).append(sid)
    return diff


@pytest.mark.parametrize("seed", range(12))
def test_cohort_level_comparison_equals_the_walk_of_every_table(seed: int) -> None:
    """best_differences compares cohorts' shared state once, members only on their own entries: it must
    find exactly what walking every member's table finds, also where the two results differ a lot
    (one of them simulated for some prefixes only, or without cohorts)."""
    import random

    from podpath.routing.sim import Simulator
    from podpath.routing.timing import best_differences, multi_path_prefixes
    from test_cohorts import MAX_STEPS, random_cluster

    speakers, net, extra, _nodes = random_cluster(seed)
    res = Simulator(speakers, net, extra, max_steps=MAX_STEPS).run()
    prefixes = sorted({p for t in res.tables.values() for p in t}, key=str)
    some = set(random.Random(seed).sample(prefixes, len(prefixes) // 2))
    others = [Simulator(speakers, net, extra, max_steps=MAX_STEPS, reverse=True).run(),
              Simulator(speakers, net, extra, max_steps=MAX_STEPS, reverse=True, only=some).run(),
              Simulator(speakers, net, extra, max_steps=MAX_STEPS, cohorts=False, only=some).run()]
    assert any(len(c.members) > 2 for c in res.cohorts)
    found_some = False
    for alt in others:
        for only in (None, set(prefixes), some):
            got = best_differences(res, alt, only)
            assert list(got.items()) == list(_naive_differences(res, alt, only).items())
            found_some |= bool(got)
    assert found_some  # the results compared do differ somewhere
    for r in [res] + others:  # the candidates of the second run, read per cohort, are those of every table
        naive = {p for t in r.tables.values() for p, paths in t.items() if len(paths) > 1}
        assert multi_path_prefixes(r) == naive
