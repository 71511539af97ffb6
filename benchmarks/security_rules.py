"""CPU of the security rules SEC001-SEC004 on one snapshot, after load and simulation (shared by the rules).

    python benchmarks/security_rules.py DIR        # e.g. a scenarios.py snapshot of 1,000 nodes

Prints `SEC001 1.07s/50 ...`: CPU seconds (user + system) and findings per rule. Load and simulate run first
and are not counted; garbage collection is paused as `podpath check` pauses it."""

from __future__ import annotations

import resource
import sys

import podpath
from podpath.checks.base import CheckContext, run_rules
from podpath.util import paused_gc


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(root: str) -> None:
    snap = podpath.load(root)
    with paused_gc():
        snap.simulate()
    ctx = CheckContext(snap)
    out = []
    with paused_gc():
        for rid in ("SEC001", "SEC002", "SEC003", "SEC004"):
            t = cpu()
            n = sum(1 for _ in run_rules(snap, [rid], ctx))
            out.append(f"{rid} {cpu() - t:.2f}s/{n}")
    print(" ".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
