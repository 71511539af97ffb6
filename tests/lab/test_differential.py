"""The differential suite: generated scenarios, real daemons vs the simulator.

Every scenario (`podpath.lab.scenarios.generate`) runs in the lab (FRR, BIRD in network
namespaces) and in the simulator; every BGP table of every daemon must hold the same paths
(prefix, AS path) with the same next hop, origin, local-pref, MED, communities and large
communities, and every session must be in the state the simulator predicts. A differing
scenario is written out as a snapshot with DIFFERENCES.txt (to $PODPATH_DIFF_SAVE, or the
test's tmp dir) and reproduces with `podpath lab compare DIR`.

Default run: the PODPATH_DIFF_COUNT scenarios (16) from seed PODPATH_DIFF_SEED (1000), split between the
daemon generations: the first half (1000-1007) on host, the second (1008-1015) on trixie, one lab of 8 side by
side each (a lab's cost grows with its scenarios: 16 took ~60 s per generation). Every one of the 16 runs
against real daemons in the default run, and each generation runs 8. `-m slow` runs, per generation, the
half the default run gave the other one, and the 256 after them (seeds 1016-1271, the 16 the default run
dropped in stop 11 among them): under `-m slow` and the default run together, every generation runs all
272 seeds, as before.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from labdiff import run_and_check

import podpath
from podpath.lab.rootfs import DaemonGeneration
from podpath.lab.run import compare
from podpath.lab.scenarios import generate, write

COUNT = int(os.environ.get("PODPATH_DIFF_COUNT", "16"))
SEED = int(os.environ.get("PODPATH_DIFF_SEED", "1000"))
BATCH = 16




def _run(gen: DaemonGeneration, seeds: list[int], tmp_path: Path) -> None:
    run_and_check(gen, seeds, tmp_path, batch=BATCH, what="scenarios")


def _default_seeds(gen_name: str) -> tuple[list[int], list[int]]:
    """(the seeds this generation runs in the default run, the ones the other generation runs there): the
    COUNT seeds from SEED, first half to host, second half to trixie."""
    seeds = list(range(SEED, SEED + COUNT))
    half = (COUNT + 1) // 2
    mine, other = (seeds[:half], seeds[half:]) if gen_name == "host" else (seeds[half:], seeds[:half])
    return mine, other


def test_default_seeds_cover_every_seed_once() -> None:
    host, host_other = _default_seeds("host")
    trixie, trixie_other = _default_seeds("trixie")
    assert sorted(host + trixie) == list(range(SEED, SEED + COUNT)) and not set(host) & set(trixie)
    assert host_other == trixie and trixie_other == host


@pytest.mark.lab
def test_scenarios_match_the_daemons(gen: DaemonGeneration, tmp_path: Path) -> None:
    _run(gen, _default_seeds(gen.name)[0], tmp_path)


@pytest.mark.lab
@pytest.mark.slow
def test_many_scenarios_match_the_daemons(gen: DaemonGeneration, tmp_path: Path) -> None:
    """The default run's other half on this generation, and the 256 seeds after the default ones."""
    _run(gen, _default_seeds(gen.name)[1] + list(range(SEED + COUNT, SEED + COUNT + 256)), tmp_path)


def _as_lab(snap: podpath.Snapshot) -> dict:
    """The simulator's own tables in the lab's result shape (what a perfect lab would return)."""
    res = snap.simulate()
    hosts: dict = {}
    for sid, table in res.tables.items():
        sp = res.speakers[sid]
        rows = [p.route.to_json() for paths in table.values() for p in paths]
        hosts.setdefault(sp.host, {"bgp": {}, "sessions": {}})["bgp"][sp.daemon.value] = rows
    return {"hosts": hosts, "not_run": []}


def _scenario_with_routes(tmp_path: Path) -> podpath.Snapshot:
    for seed in range(100):
        snap = podpath.load(write(generate(seed).files, tmp_path / f"s{seed}"))
        if sum(len(t) for t in snap.simulate().tables.values()) >= 4:
            return snap
    raise AssertionError("no generated scenario carries routes")


def test_compare_finds_each_kind_of_difference(tmp_path: Path) -> None:
    """The comparison can fail: a missing path, an extra path and a changed attribute are each reported."""
    snap = _scenario_with_routes(tmp_path)
    lab = _as_lab(snap)
    assert compare(snap, lab) == []
    host, data = next((h, d) for h, d in sorted(lab["hosts"].items()) if any(d["bgp"].values()))
    kind, rows = next((k, r) for k, r in sorted(data["bgp"].items()) if r)
    keys = [(r["prefix"], r["as_path"]) for r in rows]
    i = next(i for i, k in enumerate(keys) if keys.count(k) == 1)  # a path alone under its (prefix, AS path)
    first, rest = rows[i], rows[:i] + rows[i + 1:]

    missing = _as_lab(snap)
    missing["hosts"][host]["bgp"][kind] = rest
    assert any("simulator has" in d and first["prefix"] in d for d in compare(snap, missing))

    extra = _as_lab(snap)
    extra["hosts"][host]["bgp"][kind] = rows + [dict(first, prefix="fd99::/64")]
    assert any("lab has fd99::/64" in d for d in compare(snap, extra))

    for attr, value in (("local_pref", 4242), ("med", 4242), ("communities", ["1:2"]), ("next_hop", "fd99::1")):
        changed = _as_lab(snap)
        changed["hosts"][host]["bgp"][kind] = [dict(first, **{attr: value})] + rest
        diffs = compare(snap, changed)
        assert any(first["prefix"] in d and f"{attr}=" in d for d in diffs), (attr, diffs)


def test_scenarios_are_reproducible_and_load_cleanly(tmp_path: Path) -> None:
    """Same seed, same files; every generated statement is one podpath reads without errors."""
    for seed in range(40):
        a, b = generate(seed, index=3), generate(seed, index=3)
        assert a.files == b.files
        snap = podpath.load(write(a.files, tmp_path / str(seed)))
        assert not snap.diagnostics.errors, [str(d) for d in snap.diagnostics.errors]
        assert not snap.unsupported, [(str(u.loc), u.statement) for u in snap.unsupported]
