"""Evaluate podpath's repair search over the cases in tests/fixtures/repair (see its README.md): for each case,
does the top verified repair make the intended edit (file:line, with the text), and does a healthy case get no
patch? Prints one line per case, the fraction of cases right, and the time per repair.

    python tools/repair_eval.py [CASES_DIR] [--case NAME ...] [--json]

Exit 0 when every case is right, 1 otherwise. tests/repair/test_eval.py runs `evaluate` on each case."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "fixtures" / "repair"
sys.path.insert(0, str(ROOT / "src"))


@dataclass
class Case:
    name: str
    snapshot: Path
    healthy: bool
    edits: list[dict[str, Any]] = field(default_factory=list)  # {file, line, contains | removed}


@dataclass
class Outcome:
    case: str
    ok: bool
    why: str
    seconds: float
    proposed: list[str]  # the top repair's edits, "file:line: new text"


def cases(top: Path = CASES) -> list[Case]:
    """Every case directory with an intended.yaml, sorted by name."""
    from ruamel.yaml import YAML

    out = []
    for d in sorted(p for p in top.iterdir() if (p / "intended.yaml").is_file()):
        spec = YAML(typ="safe", pure=True).load((d / "intended.yaml").read_text()) or {}
        snap = (d / spec["snapshot"]).resolve() if "snapshot" in spec else d / "snapshot"
        edits = list(spec.get("edits") or ([{k: spec[k] for k in ("file", "line", "contains", "removed") if k in spec}]
                                           if "file" in spec else []))
        out.append(Case(d.name, snap, bool(spec.get("healthy")), edits))
    return out


def _makes(patch: Any, fixed: dict[str, str], want: dict[str, Any]) -> bool:
    """Does `patch` make the intended edit? `line` and `contains` refer to the fixed file: an edit of the patch
    lands at (or, for inserted or deleted lines, next to) that line, and the fixed file's line holds the text;
    `removed` instead names a line the edit takes out (and writes back nowhere)."""
    file, line = want["file"], int(want["line"])
    mine = [e for e in patch.edits if e.file == file]
    for e in mine:
        if "removed" in want:
            gone = str(want["removed"])
            if e.line <= line < e.line + max(1, len(e.old)) and any(gone in x for x in e.old) \
                    and not any(gone in x for x in e.new):
                return True
            continue
        start = e.line + sum(len(a.new) - len(a.old) for a in mine if a.line < e.line)  # its place once fixed
        if e.old and e.new and len(e.old) == len(e.new):
            near = start <= line < start + len(e.new)
        else:  # lines inserted or deleted: the lines around them too
            near = start - 1 <= line <= start + len(e.new)
        text = fixed.get(file, "").splitlines()
        if near and 0 < line <= len(text) and str(want.get("contains", "")) in text[line - 1]:
            return True
    return False


def evaluate(case: Case) -> Outcome:
    """Load the case's snapshot, run the repair search and judge its top repair against intended.yaml."""
    import podpath
    from podpath.repair.search import repair

    snap = podpath.load(case.snapshot)
    t0 = time.process_time()
    result = repair(snap)
    seconds = time.process_time() - t0  # CPU: the machine may be shared
    top = result.top
    proposed = [f"{e.file}:{e.line}: {' / '.join(e.new) or '(deleted)'}" for e in top.patch.edits] if top else []
    if case.healthy:
        if top is not None:
            return Outcome(case.name, False, f"healthy, yet a repair was proposed: {proposed[:3]}", seconds, proposed)
        return Outcome(case.name, True, "healthy: no repair proposed", seconds, proposed)
    if not case.edits:
        return Outcome(case.name, False, "intended.yaml names neither `healthy: true` nor an edit", seconds, proposed)
    if top is None:
        why = "; ".join(result.notes) or f"{len(result.verifications)} candidate(s) verified, none kept"
        rejected = [v.note for v in result.verifications if not v.kept][:2]
        return Outcome(case.name, False, f"no verified repair ({why}{'; ' + '; '.join(rejected) if rejected else ''})",
                       seconds, proposed)
    fixed = {**snap.texts, **top.patch.apply(snap.texts)}
    missing = [w for w in case.edits if not _makes(top.patch, fixed, w)]
    if missing:
        w = missing[0]
        return Outcome(case.name, False, f"top repair ({'+'.join(c.operator for c in top.candidates)}) does not "
                       f"{'remove' if 'removed' in w else 'write'} {w.get('removed', w.get('contains'))!r} at "
                       f"{w['file']}:{w['line']}", seconds, proposed)
    return Outcome(case.name, True, f"{'+'.join(c.operator for c in top.candidates)}: {top.line}", seconds, proposed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases_dir", nargs="?", type=Path, default=CASES)
    ap.add_argument("--case", action="append", default=[], help="only this case (repeatable)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    chosen = [c for c in cases(args.cases_dir) if not args.case or c.name in args.case]
    outcomes = [evaluate(c) for c in chosen]
    skipped = sorted(p.name for p in args.cases_dir.iterdir()
                     if (p / "snapshot").is_dir() and not (p / "intended.yaml").is_file())
    right = sum(o.ok for o in outcomes)
    broken = [o for o, c in zip(outcomes, chosen) if not c.healthy]
    healthy = [o for o, c in zip(outcomes, chosen) if c.healthy]
    times = [o.seconds for o in outcomes]
    if args.json:
        print(json.dumps({"cases": len(outcomes), "right": right, "skipped": skipped,
                          "outcomes": [o.__dict__ for o in outcomes]}, indent=2))
    else:
        for o in outcomes:
            print(f"{'ok  ' if o.ok else 'FAIL'} {o.case:<44} {o.seconds * 1000:7.0f} ms  {o.why}")
        for name in skipped:
            print(f"skip {name:<44}            no intended.yaml: not evaluated")
        print()
        print(f"top repair is the intended one: {sum(o.ok for o in broken)}/{len(broken)} broken case(s); "
              f"healthy with no patch: {sum(o.ok for o in healthy)}/{len(healthy)}; "
              f"all: {right}/{len(outcomes)} ({100 * right / max(1, len(outcomes)):.0f}%)")
        if times:
            print(f"CPU time per repair search: median {statistics.median(times) * 1000:.0f} ms, "
                  f"max {max(times) * 1000:.0f} ms, total {sum(times):.2f} s")
    return 0 if right == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
