"""What the BGP and OSPF differential suites share: run generated scenarios in the lab in batches and fail
with every differing scenario (where it was saved, its first differences)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from podpath.lab.differential import run_scenarios
from podpath.lab.rootfs import DaemonGeneration


def frr_version(gen: DaemonGeneration) -> str:
    """The FRR version of a daemon generation (the simulator's version-dependent defaults follow it)."""
    return "8.4.4" if gen.name == "host" else "10.3"


def run_and_check(gen: DaemonGeneration, seeds: list[int], tmp_path: Path, *, batch: int, what: str = "scenarios",
                  generator: Callable[..., Any] | None = None) -> None:
    save = Path(os.environ.get("PODPATH_DIFF_SAVE", tmp_path))
    extra = {"generator": generator} if generator is not None else {}
    batches = run_scenarios(seeds, batch=batch, daemons=gen.name, frr_version=frr_version(gen), save_dir=save,
                            **extra)
    failures = []
    for b in batches:
        assert b.convergence_error is None, b.convergence_error
        for r in b.results:
            if not r.matched:
                failures.append(f"seed {r.scenario.seed} ({r.scenario.summary}) saved in {r.saved}:\n  "
                                + "\n  ".join(r.differences[:10]))
    ran = sum(len(b.results) for b in batches)
    assert ran == len(seeds)
    assert not failures, f"{len(failures)}/{ran} {what} differ on {gen.name}:\n" + "\n".join(failures)
