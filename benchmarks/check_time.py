"""End-to-end `podpath check` time (Python start-up included), paired with a baseline tree.

    git worktree add /tmp/pp-base HEAD~1
    python benchmarks/check_time.py --base /tmp/pp-base/src [--runs 7] [--callgrind] SNAPSHOT...

For each snapshot the two trees run alternately (base, new, base, new, ...), so that a busy
machine slows both alike; the medians of wall-clock and CPU (user + system) time are printed
side by side, with peak RSS. `--callgrind` adds the instruction count of one run of each under
valgrind's callgrind: it does not depend on what else the machine runs (only seed-sized
snapshots are practical, the run is about 50 times slower). `--import-only` times
`import podpath.cli` instead of a check.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECK = "import sys; from podpath.cli import main; sys.argv[0] = 'podpath'; main()"


def _env(src: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=src)


def _argv(snapshot: str | None, rules: list[str]) -> list[str]:
    if snapshot is None:
        return [sys.executable, "-c", "import podpath.cli"]
    return [sys.executable, "-c", CHECK, "check", "--fail-on", "never", *sum((["-r", r] for r in rules), []), snapshot]


def once(src: str, snapshot: str | None, rules: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one run in a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(_argv(snapshot, rules), env=_env(src), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped here
    wall = time.perf_counter() - t0
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def instructions(src: str, snapshot: str | None, rules: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
                              *_argv(snapshot, rules)], env=_env(src), capture_output=True, text=True, check=False)
    m = re.search(r"Collected : (\d+)", out.stderr)
    return int(m.group(1)) if m else -1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("snapshots", nargs="*")
    ap.add_argument("--base", required=True)
    ap.add_argument("--new", default=str(HERE.parent / "src"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--rule", action="append", default=[])
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--import-only", action="store_true")
    opts = ap.parse_args()
    targets: list[str | None] = [None] if opts.import_only else list(opts.snapshots)
    for snap in targets:
        res: dict[str, list[tuple[float, float, float]]] = {"base": [], "new": []}
        for _ in range(opts.runs):
            for name, src in (("base", opts.base), ("new", opts.new)):
                res[name].append(once(src, snap, opts.rule))
        line = [snap or "import podpath.cli"]
        for name in ("base", "new"):
            w = statistics.median(r[0] for r in res[name])
            c = statistics.median(r[1] for r in res[name])
            m = statistics.median(r[2] for r in res[name])
            line.append(f"{name}: wall {w:.3f} s cpu {c:.3f} s rss {m:.0f} MB")
        if opts.callgrind:
            a, b = (instructions(src, snap, opts.rule) for src in (opts.base, opts.new))
            line.append(f"instructions base {a / 1e9:.2f} G new {b / 1e9:.2f} G ({(b - a) / a:+.0%})")
        print(" | ".join(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
