"""One-off mutation campaign: mutate the bundled examples' real configs, run podpath on each result through
its public API (load, check, every rendering), and record what broke.

    .venv/bin/python tools/fuzz.py --inputs 5000 --out /tmp/podpath-fuzz
    .venv/bin/python tools/fuzz.py --replay /tmp/podpath-fuzz/failures.jsonl   # re-run what failed

Each input runs in a worker process with an address-space limit (an alias bomb or /dev/zero read whole
becomes a MemoryError, i.e. a finding) and two time bounds: an alarm inside the worker (a hang is reported
with the podpath line it was executing) and a kill from the parent (a hang in C code). Inputs are rebuilt
from (seed file, mutation, random seed), so failures.jsonl is enough to reproduce every one; the summary
counts inputs, outcomes and distinct crash sites. The mutations are tests/fuzzutil.py's, shared with the
readers' property tests (tests/readers/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzutil as fz  # noqa: E402

MEMORY_LIMIT = 3 << 30
ALARM_S = 10.0
KILL_S = 30.0


def _worker(conn: "mp.connection.Connection") -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    seeds = fz.seeds()
    while True:
        job = conn.recv()
        if job is None:
            return
        idx, mutation, rseed, alone = job
        with tempfile.TemporaryDirectory(prefix="podpath-fuzz-") as d:
            try:
                content = fz.mutate(seeds[idx], mutation, rseed)
                out = fz.run_podpath(fz.materialise(seeds[idx], content, Path(d), alone), ALARM_S, explain=True)
                conn.send((out.status, out.site, out.detail))
            except MemoryError:
                conn.send(("exception", "MemoryError", "MemoryError"))
            except BaseException as exc:  # the harness itself (materialising the input)
                conn.send(("harness", type(exc).__name__, repr(exc)[:300]))


class Pool:
    """One worker process at a time (the machine is shared); replaced when it is killed."""

    def __init__(self) -> None:
        self.proc: mp.Process | None = None
        self.conn = None

    def _start(self) -> None:
        ctx = mp.get_context("fork")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()
        self.conn = parent

    def run(self, job: tuple) -> tuple[str, str, str, float]:
        if self.proc is None or not self.proc.is_alive():
            self._start()
        t0 = time.perf_counter()
        self.conn.send(job)
        if self.conn.poll(KILL_S):
            try:
                status, site, detail = self.conn.recv()
            except EOFError:  # the worker died (a C-level crash, an OOM kill)
                self.proc = None
                return "crash", "worker died", "", time.perf_counter() - t0
            return status, site, detail, time.perf_counter() - t0
        self.proc.kill()
        self.proc.join()
        self.proc = None
        return "hang", "killed after %d s" % KILL_S, "", time.perf_counter() - t0

    def close(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.conn.send(None)
            self.proc.join(5)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (0: no limit)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--alone", type=float, default=0.6, help="share of inputs read as a one-file snapshot")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "podpath-fuzz")
    ap.add_argument("--replay", type=Path, help="re-run the inputs of a failures.jsonl")
    ap.add_argument("--only", default="", help="only seed files whose snapshot/path contains this")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    seeds = fz.seeds()
    names = [f"{s.snapshot.name}/{s.rel}" for s in seeds]
    rng = random.Random(args.seed)
    if args.replay:
        jobs = []
        for line in args.replay.read_text().splitlines():
            r = json.loads(line)
            jobs.append((names.index(r["seed"]), r["mutation"], r["rseed"], r["alone"]))
    else:
        pick = [i for i, n in enumerate(names) if args.only in n]
        jobs = [(rng.choice(pick), rng.choice(list(fz.MUTATIONS)), rng.randrange(1 << 31),
                 rng.random() < args.alone) for _ in range(args.inputs)]
    pool = Pool()
    counts: collections.Counter[str] = collections.Counter()
    by_mutation: collections.Counter[str] = collections.Counter()
    sites: dict[str, list[dict]] = collections.defaultdict(list)
    slowest = (0.0, None)
    t_start = time.perf_counter()
    tried = 0
    with open(args.out / "failures.jsonl", "w") as fail:
        for job in jobs:
            if args.seconds and time.perf_counter() - t_start > args.seconds:
                break
            status, site, detail, dt = pool.run(job)
            tried += 1
            counts[status] += 1
            by_mutation[job[1]] += 1
            rec = {"seed": names[job[0]], "mutation": job[1], "rseed": job[2], "alone": job[3], "status": status,
                   "site": site, "detail": detail, "seconds": round(dt, 2)}
            if dt > slowest[0]:
                slowest = (dt, rec)
            if status != "ok":
                sites[f"{status} {site}"].append(rec)
                fail.write(json.dumps(rec) + "\n")
                fail.flush()
            if tried % 200 == 0:
                print(f"{tried} inputs, {dict(counts)}, {len(sites)} distinct sites", file=sys.stderr, flush=True)
    pool.close()
    summary = {
        "inputs": tried,
        "outcomes": dict(counts),
        "failing_inputs": sum(len(v) for v in sites.values()),
        "distinct_sites": len(sites),
        "hangs": counts["hang"],
        "sites": {k: {"count": len(v), "example": v[0]} for k, v in sorted(sites.items(), key=lambda kv: -len(kv[1]))},
        "mutations": dict(by_mutation),
        "slowest": slowest[1],
        "elapsed_s": round(time.perf_counter() - t_start, 1),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: summary[k] for k in ("inputs", "outcomes", "distinct_sites", "hangs", "elapsed_s")}))
    for k, v in summary["sites"].items():
        print(f"{v['count']:5d}  {k}  e.g. {v['example']['seed']} {v['example']['mutation']} {v['example']['rseed']}"
              f" alone={v['example']['alone']}: {v['example']['detail'][:160]}")
    return 1 if sites else 0


if __name__ == "__main__":
    sys.exit(main())
