"""Byte-for-byte comparison of podpath's answers between two source trees.

An optimisation must not change a single result. This script runs, for each snapshot, the CLI's
`podpath check --format json` and `podpath routes HOST --format json` for every host, once with
each tree on PYTHONPATH, and compares the outputs byte for byte:

    git worktree add /tmp/pp-base HEAD
    python benchmarks/compare_outputs.py --base /tmp/pp-base/src examples/*/* [--scale 60 --scale-broken 30]

`--scale N` / `--scale-broken N` also generate the benchmark scenarios (benchmarks/scenarios.py,
both designs, healthy and broken) with N nodes and compare those. The check output is taken from
the real CLI (a subprocess per tree); the routes of every host come from one process per tree
that loads the snapshot once and renders each host's document the way `podpath routes` does
(`report.routes_document`, the CLI's own JSON encoding), so hundreds of hosts stay affordable.
Exit status 1 on any difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _dump(snapshot: str) -> None:
    """Child mode: print one `<name>\\t<sha256>` line per output (every host's routes)."""
    import podpath
    from podpath.report import routes_document

    snap = podpath.load(snapshot)
    for host in sorted(snap.cluster.hosts):
        doc = routes_document(snap, host, None, None, None)
        text = json.dumps(doc, indent=2, sort_keys=False) + "\n"
        print(f"routes {host}\t{hashlib.sha256(text.encode()).hexdigest()}")


def _run(src: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=src, PYTHONHASHSEED="0", COLUMNS="200")
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=3600)


def outputs(src: str, snapshot: str) -> dict[str, str]:
    """Every output of one tree for one snapshot, as name -> digest (and the text for `check`)."""
    out: dict[str, str] = {}
    chk = _run(src, ["-c", "import sys; from podpath.cli import main; sys.argv[0] = 'podpath'; main()",
                     "check", "--format", "json", "--fail-on", "never", snapshot])
    out["check --format json"] = f"rc={chk.returncode}\n{chk.stdout}"
    out["check stderr"] = chk.stderr
    dump = _run(src, [str(Path(__file__).resolve()), "--dump", snapshot])
    if dump.returncode != 0:
        out["routes (dump failed)"] = dump.stderr
    for line in dump.stdout.splitlines():
        name, digest = line.split("\t")
        out[name] = digest
    return out


def compare(base: str, new: str, snapshot: str) -> list[str]:
    a, b = outputs(base, snapshot), outputs(new, snapshot)
    diffs = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            diffs.append(name)
    n_routes = sum(1 for k in b if k.startswith("routes "))
    status = "identical" if not diffs else f"DIFFERENT: {', '.join(diffs[:8])}{' ...' if len(diffs) > 8 else ''}"
    print(f"{snapshot}: check + routes of {n_routes} hosts: {status}", flush=True)
    return diffs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("snapshots", nargs="*")
    ap.add_argument("--base", help="the baseline tree's src directory (e.g. /tmp/pp-base/src)")
    ap.add_argument("--new", default=str(HERE.parent / "src"), help="the tree under test (default: this one)")
    ap.add_argument("--scale", type=int, action="append", default=[], help="also compare generated scenarios of N nodes")
    ap.add_argument("--dump", help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.dump:
        _dump(opts.dump)
        return 0
    if not opts.base:
        ap.error("--base is required")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="podpath-compare-") as tmp:
        snaps = list(opts.snapshots)
        if opts.scale:
            sys.path.insert(0, str(HERE))
            import scenarios

            for n in opts.scale:
                for design in scenarios.DESIGNS:
                    for broken in (False, True):
                        root = Path(tmp) / f"{design}-{n}{'-broken' if broken else ''}"
                        scenarios.write(root, n, design, broken)
                        snaps.append(str(root))
        for s in snaps:
            failed += bool(compare(opts.base, opts.new, s))
    print(f"{len(snaps) - failed}/{len(snaps)} snapshots identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
