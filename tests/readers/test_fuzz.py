"""Property tests for every reader through the public API: real configs of the examples and test snapshots
(FRR, BIRD, Helm values, Kubernetes objects, Talos, route dumps, cilium status, podpath.yaml), mutated by
class (shapes, tokens, lines, nesting, aliases, encodings, truncation, special files, bytes), are loaded,
checked and rendered (JSON and text). No exception may escape, no "internal error" diagnostic may appear (one
is a reader bug), every diagnostic is `file:line:col: level: message`, and each input ends within a time bound
(a hang guard, not a speed target).

The default run is small and derandomized (the same inputs on every CI run); `-m slow` runs a long random one.
tools/fuzz.py runs the same mutations as a one-off campaign with a report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import fuzzutil as fz

SEEDS = fz.seeds()
SMALL = [s for s in SEEDS if s.alone or any(k in str(s.snapshot) for k in ("seed000", "routing/data", "fuzz-seeds"))]
HANG_BOUND_S = 30.0


def test_seeds_cover_every_reader() -> None:
    """The seed files, as podpath itself classifies them, hold every input format it reads."""
    import podpath

    kinds: set[str] = set()
    for root in {s.snapshot for s in SEEDS}:
        for f in podpath.load(root).files:
            kinds.update(f.kind.split("+"))
    assert {"frr", "bird", "podpath-manifest", "talos-machine-config", "talos-patch", "cilium-status", "ip-route",
            "kubernetes", "cilium-helm-values", "keepalived", "ifupdown", "netplan"} <= kinds, kinds


def _check(seed: fz.Seed, mutation: str, rseed: int, alone: bool, tmp: Path) -> None:
    out = fz.try_input(seed, mutation, rseed, tmp, alone, HANG_BOUND_S)
    assert out.ok, (f"{out.status} at {out.site}: {out.detail}\nreproduce: fuzzutil.try_input(<{seed.snapshot.name}/"
                    f"{seed.rel}>, {mutation!r}, {rseed}, tmp, alone={alone})")


def _case(seeds: list[fz.Seed]) -> st.SearchStrategy:
    return st.tuples(st.sampled_from(seeds), st.integers(0, 2 ** 31 - 1), st.booleans())


@pytest.mark.parametrize("mutation", sorted(fz.MUTATIONS))
@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],  # no shrinking: the message says how to rebuild the input
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=_case(SMALL))
def test_mutated_configs_never_break_podpath(mutation: str, case: tuple, tmp_path_factory: pytest.TempPathFactory) -> None:
    seed, rseed, alone = case
    _check(seed, mutation, rseed, alone or not seed.snapshot.is_dir(), tmp_path_factory.mktemp("fuzz"))


@pytest.mark.slow
@pytest.mark.parametrize("mutation", sorted(fz.MUTATIONS))
@settings(max_examples=400, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=_case(SEEDS))
def test_mutated_configs_never_break_podpath_long(mutation: str, case: tuple,
                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    seed, rseed, alone = case
    _check(seed, mutation, rseed, alone, tmp_path_factory.mktemp("fuzz"))


def test_mutations_are_reproducible() -> None:
    """An input is a function of (seed file, mutation, random seed): a failure report is enough to rebuild it."""
    for seed in SEEDS[:5]:
        for m in fz.MUTATIONS:
            assert fz.mutate(seed, m, 7) == fz.mutate(seed, m, 7)


def test_every_mutation_changes_something() -> None:
    """A mutation that returns its input unchanged would make the property test one that cannot fail."""
    for m in fz.MUTATIONS:
        changed = sum(fz.mutate(seed, m, r) != seed.path.read_bytes() for seed in SEEDS[:8] for r in range(5))
        assert changed >= 30, (m, changed)
