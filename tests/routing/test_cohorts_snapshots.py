"""Cohorts on snapshots read from files (the bundled examples and generated scenarios): the
simulation with cohorts gives exactly what simulating every speaker on its own gives."""

from __future__ import annotations

from pathlib import Path

import pytest

import podpath
from podpath.lab.scenarios import generate, merge, write
from podpath.routing.reach import Forwarder
from podpath.routing.sim import Simulator

from test_scale_structures import dump

EXAMPLES = sorted(p for p in (Path(__file__).parents[2] / "examples").glob("*/*") if p.is_dir())


def _both(root: Path):
    snap = podpath.load(root)
    cp = snap.control_plane()
    args = (cp.speakers, cp.network, cp.extra_fib)
    shared = Simulator(*args, unmodelled=cp.unmodelled).run()
    alone = Simulator(*args, unmodelled=cp.unmodelled, groups=False).run()
    return cp, shared, alone


def _pairs(res, cp) -> dict[str, list[str]]:
    fwd = Forwarder(res, cp.network)
    hosts = sorted(cp.network.hosts)
    out = {}
    for sid, table in sorted(res.best.items()):
        sp = res.speakers[sid]
        for prefix in list(table)[:50]:
            out[f"{sp.host} {prefix}"] = fwd.undelivered(prefix, sp.host, [h for h in hosts if h != sp.host])
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_examples(example: Path) -> None:
    cp, shared, alone = _both(example)
    assert dump(shared) == dump(alone)
    assert _pairs(shared, cp) == _pairs(alone, cp)


@pytest.mark.parametrize("first", range(1000, 1032, 8))
def test_generated_scenarios(first: int, tmp_path: Path) -> None:
    scenarios = [generate(seed, i) for i, seed in enumerate(range(first, first + 8))]
    cp, shared, alone = _both(write(merge(scenarios), tmp_path))
    assert dump(shared) == dump(alone)
    assert _pairs(shared, cp) == _pairs(alone, cp)
