"""The differential suite: generated scenarios run in the lab and in the simulator.

Scenarios are run in batches (several side by side in one lab: they share nothing, and
one lab start is what costs); every difference is attributed to its scenario by host
name, and a differing scenario is written out alone as a reproducible snapshot.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from podpath.lab.run import compare, is_timing, run_lab
from podpath.lab.scenarios import Scenario, generate, merge, write

__all__ = ["BatchResult", "ScenarioResult", "run_batch", "run_scenarios"]

_HOST = re.compile(r"(?:^|: )s(\d+)r\d+\b")  # at the start, or after a "timing-dependent (...): " prefix


@dataclass
class ScenarioResult:
    scenario: Scenario
    differences: list[str] = field(default_factory=list)
    not_run: list[dict[str, Any]] = field(default_factory=list)
    saved: Path | None = None

    @property
    def matched(self) -> bool:
        """No difference outside the prefixes whose outcome depends on message timing."""
        return all(is_timing(d) for d in self.differences)

    @property
    def exact(self) -> bool:
        return not self.differences


@dataclass
class BatchResult:
    results: list[ScenarioResult]
    lab_seconds: float
    sim_seconds: float
    versions: dict[str, str]
    convergence_error: str | None = None


def run_batch(scenarios: list[Scenario], *, daemons: str = "host", save_dir: Path | None = None,
              timeout: float = 300.0, progress: Callable[[str], None] = lambda m: None) -> BatchResult:
    """Run `scenarios` together in one lab and in the simulator; one result per scenario."""
    import podpath

    with tempfile.TemporaryDirectory(prefix="podpath-diff-") as tmp:
        root = write(merge(scenarios), Path(tmp))
        snap = podpath.load(root)
        if snap.diagnostics.errors:
            raise ValueError("generated scenario does not load: " + "; ".join(str(d) for d in snap.diagnostics.errors))
        t0 = time.perf_counter()
        snap.simulate()
        sim_s = time.perf_counter() - t0
        lab = run_lab(snap, daemons=daemons, timeout=timeout, progress=progress)
        diffs = compare(snap, lab)
    by_index: dict[int, ScenarioResult] = {s.index: ScenarioResult(s) for s in scenarios}
    for d in diffs:
        m = _HOST.search(d)
        target = by_index[int(m.group(1))] if m and int(m.group(1)) in by_index else None
        for r in ([target] if target else by_index.values()):
            r.differences.append(d)
    for nr in lab.get("not_run", []):
        m = _HOST.match(str(nr.get("host", "")))
        if m and int(m.group(1)) in by_index:
            by_index[int(m.group(1))].not_run.append(nr)
    if save_dir is not None:
        for r in by_index.values():
            if r.differences:
                r.saved = write(r.scenario.files, save_dir / f"scenario-{r.scenario.seed}")
                (r.saved / "DIFFERENCES.txt").write_text(
                    f"seed {r.scenario.seed}: {r.scenario.summary}\n" + "\n".join(r.differences) + "\n")
    return BatchResult(list(by_index.values()), float(lab.get("elapsed_s", 0.0)), sim_s,
                       dict(lab.get("versions", {})), lab.get("convergence_error"))


def run_scenarios(seeds: list[int], *, batch: int = 8, daemons: str = "host", frr_version: str = "8.4.4",
                  save_dir: Path | None = None, progress: Callable[[str], None] = lambda m: None,
                  generator: Callable[..., Scenario] = generate) -> list[BatchResult]:
    """Seeds -> scenarios (`generator`: BGP scenarios, or lab.ospf_scenarios.generate_ospf), in batches of
    `batch`."""
    out = []
    for i in range(0, len(seeds), batch):
        chunk = [generator(seed, index=j, frr_version=frr_version) for j, seed in enumerate(seeds[i:i + batch])]
        out.append(run_batch(chunk, daemons=daemons, save_dir=save_dir, progress=progress))
    return out
