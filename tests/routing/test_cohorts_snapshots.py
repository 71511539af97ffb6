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
    """For each speaker's first 50 best prefixes, the hosts from which a packet to it is not delivered.

    The sources are prepared once (`Forwarder.sources`) and walked with `undelivered_from`, as the checks
    do; `undelivered(p, dst, others)` says the same (tests/routing/test_cohorts.py `all_pairs` and
    test_reach_classes.py check that), but it regroups every source on every call: on the benchmark
    scenarios without cohorts that was 10 ms a call, 30 s a test. The single-call form is still checked
    here, against the bulk one, on each speaker's first prefix."""
    fwd = Forwarder(res, cp.network)
    hosts = sorted(cp.network.hosts)
    sources = fwd.sources(hosts)
    out = {}
    for sid, table in sorted(res.best.items()):
        sp = res.speakers[sid]
        for i, prefix in enumerate(list(table)[:50]):
            got = out[f"{sp.host} {prefix}"] = fwd.undelivered_from(prefix, sp.host, sources)
            if i == 0:
                assert fwd.undelivered(prefix, sp.host, [h for h in hosts if h != sp.host]) == got, (sp.host, prefix)
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


def test_shared_work_never_borrows_another_files_locations(tmp_path: Path) -> None:
    """Every node's BIRD file holds the same filters (one structural key): the simulation shares work
    between them, but an explanation cites each node's own file and line."""
    import importlib.util

    from podpath.routing.explain import explain

    spec = importlib.util.spec_from_file_location(
        "snapshot_scale", Path(__file__).resolve().parents[2] / "benchmarks" / "snapshot_scale.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    root = mod.write_snapshot(5, tmp_path)
    snap = podpath.load(root)
    import ipaddress

    ex = explain(snap, ipaddress.ip_network(mod.pods(2)[0]))
    birds = [d for d in ex.steps if d.speaker.endswith("/bird") and d.loc is not None]
    assert len({d.speaker for d in birds}) == 5
    for d in birds:
        assert d.loc.file == f"bird/{d.speaker.split('/')[0]}.conf", (d.speaker, d.loc, d.text)
        for step in (d.policy.trace if d.policy else ()):
            assert step.loc is None or step.loc.file == d.loc.file, (d.speaker, step.loc)


def _benchmark_scenarios():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "scenarios", Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


@pytest.mark.parametrize("design, broken, deny_in", [("tor-rr", False, False), ("tor-rr", True, False),
                                                      ("tor-rr", False, True), ("bird-tor", False, False),
                                                      ("bird-tor", True, False)])
def test_benchmark_scenarios(design: str, broken: bool, deny_in: bool, tmp_path: Path) -> None:
    """The realistic scale scenarios (benchmarks/scenarios.py), racks of 20: the ToRs' `route-map NONE
    deny 10` towards Cilium refuses everything (the group is skipped); with `deny_in` one ToR also
    imports through it, so its nodes' groups are refused by every receiver."""
    root = _benchmark_scenarios().write(tmp_path / "s", 45, design, broken)
    if deny_in:
        conf = root / "frr" / "tor1.conf"
        conf.write_text(conf.read_text().replace("route-map NODES_IN_V4 in", "route-map NONE in"))
    cp, shared, alone = _both(root)
    assert dump(shared) == dump(alone)
    assert _pairs(shared, cp) == _pairs(alone, cp)
