"""The simulator's fast paths must give what the explained paths give.

`daemons.import_fast` (import_path without decisions, its per-end set-up worked out once, path
attributes shared) and `export_path(..., explain=False)` are checked against
`import_path(..., explain=True)` / `export_path(...)` on every import and export the simulator
makes, on generated clusters (random ASes, iBGP through reflectors, FRR and BIRD, route-maps and
filters that set attributes, next hops that do not resolve), on the fixtures and on the examples;
and whole runs with the fast paths equal runs with every prefix explained."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import podpath
from podpath.routing import daemons, sim

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_cohorts import random_cluster  # noqa: E402
from test_timing_pruning import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SNAPSHOTS = sorted(str(p) for p in (ROOT / "examples").glob("*/*") if p.is_dir()) + sorted(
    str(p) for p in DATA.iterdir() if p.is_dir())


def _path_values(p: object) -> object:
    return None if p is None else (p.route, p.source, p.attrs.values())  # type: ignore[attr-defined]


class _Checked:
    """Wraps the fast functions the simulator calls and compares each answer with the slow one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.imports = self.exports = 0
        fast_import, slow_export = daemons.import_fast, daemons.export_path

        def import_fast(sp, end, session, wire, net, cache, sender_host):  # type: ignore[no-untyped-def]
            got = fast_import(sp, end, session, wire, net, cache, sender_host)
            want = daemons.import_path(sp, end, session, wire, net, cache, sender_host, True)[0]
            assert _path_values(got) == _path_values(want), (sp.id, wire)
            self.imports += 1
            return got

        def export_path(sp, end, recv, session, path, net, cache, explain=True):  # type: ignore[no-untyped-def]
            got = slow_export(sp, end, recv, session, path, net, cache, explain)
            if not explain:
                want = slow_export(sp, end, recv, session, path, net, cache, True)
                assert got[0] == want[0], (sp.id, path.route)
                self.exports += 1
            return got

        monkeypatch.setattr(daemons, "import_fast", import_fast)
        monkeypatch.setattr(daemons, "export_path", export_path)
        monkeypatch.setattr(sim.daemons, "export_path", export_path)


def _best(res: object) -> dict[str, list[object]]:
    return {sid: sorted((str(pfx), _path_values(p)) for pfx, p in res.best[sid].items())  # type: ignore[attr-defined]
            for sid in sorted(res.best)}  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(12))
def test_random_clusters(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    speakers, net, extra, _ = random_cluster(seed)
    checked = _Checked(monkeypatch)
    sim.Simulator(speakers, net, extra, None, max_steps=2_000).run()
    assert checked.imports > 0 and checked.exports > 0


@pytest.mark.parametrize("seed", range(20))
def test_generated_snapshots(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: int) -> None:
    snap = podpath.load(generate(tmp_path / "snap", seed))
    cp = snap.control_plane()
    _Checked(monkeypatch)
    cp.simulate()  # some have no session up: the random clusters above always import and export


@pytest.mark.parametrize("path", SNAPSHOTS, ids=lambda p: Path(p).parent.name[:7] + "/" + Path(p).name)
def test_snapshots(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    cp = podpath.load(path).control_plane()
    _Checked(monkeypatch)
    fast = cp.simulate()
    every = cp.simulate(trace={pfx for table in fast.best.values() for pfx in table})
    assert _best(fast) == _best(every)
