"""Time of the repair search (podpath.repair.search.repair) on seed-sized snapshots, and of one verification.

    python benchmarks/repair.py [--runs 5] [--verifications 100] [SNAPSHOT...]

Default snapshots: examples/seed004-bgp-pod-cidr/before-fix and after-frr-fix. For each: the medians of wall
and CPU time of the whole search (operators, every verification, combinations; the snapshot loaded and its
baseline checked beforehand, as `podpath check` has them), how many candidates it verified, and the cost of
verifying one candidate (apply, load with the overlay, simulate, compare, check: CPU time), timed over
`--verifications` re-verifications of the first candidate, with the loader's parse cache
(snapshot._documents) on and off. Target: the whole search <= 2 s on a seed-sized snapshot."""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DEFAULT = [ROOT / "examples" / "seed004-bgp-pod-cidr" / "before-fix",
           ROOT / "examples" / "seed004-bgp-pod-cidr" / "after-frr-fix"]


def _timed(fn):  # type: ignore[no-untyped-def]
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main(argv: list[str] | None = None) -> int:
    import podpath
    from podpath import snapshot
    from podpath.readers.yamlsrc import load_documents
    from podpath.repair.search import repair
    from podpath.repair.verify import Baseline, verify

    ap = argparse.ArgumentParser()
    ap.add_argument("snapshots", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--verifications", type=int, default=100)
    args = ap.parse_args(argv)
    print("| snapshot | search wall (median) | search CPU | candidates | verifications (with combinations) | kept | "
          "one verification, CPU, parse cache on | off |")
    print("|---|---|---|---|---|---|---|---|")
    for root in args.snapshots:
        walls, cpus = [], []
        result = None
        for _ in range(args.runs):
            snap = podpath.load(root)
            report = snap.check()
            # as `podpath check` calls it: the report of every rule as run is the baseline (older trees: no such argument)
            kw = {"checked": report} if "checked" in inspect.signature(repair).parameters else {}
            result, w, c = _timed(lambda: repair(snap, report, **kw))
            walls.append(w)
            cpus.append(c)
        assert result is not None
        per: dict[str, float] = {}
        first = result.verifications[0].candidates if result.verifications else None
        for label, docs in (("on", snapshot._documents), ("off", lambda t, n, d: load_documents(t, n, d))):
            if first is None:
                per[label] = float("nan")
                continue
            saved = snapshot._documents
            snapshot._documents = docs  # type: ignore[assignment]
            try:
                base = Baseline(podpath.load(root))
                verify(base, first)  # warm
                _, _, w = _timed(lambda: [verify(base, first) for _ in range(args.verifications)])
            finally:
                snapshot._documents = saved  # type: ignore[assignment]
            per[label] = w / args.verifications
        name = root.relative_to(ROOT) if root.is_relative_to(ROOT) else root
        print(f"| {name} | {statistics.median(walls):.3f} s | {statistics.median(cpus):.3f} s | "
              f"{len(result.verifications)} | {result.trials} | {len(result.repairs)} | {per['on'] * 1000:.1f} ms | "
              f"{per['off'] * 1000:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
