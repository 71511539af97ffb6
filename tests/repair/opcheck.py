"""A small apply-and-recheck helper for the BIRD and Cilium operator tests: what verification by
re-simulation decides, reduced to what these tests need (the engine in podpath.repair.verify does the full
comparison). A candidate verifies when, with its patch applied to a copy of the texts, every error finding
of the broken snapshot is gone, no new error appears, no node pair is broken and no session is lost."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ruamel.yaml import YAML

import podpath
from podpath.repair.candidates import OPERATORS, Candidate, RepairContext
from podpath.repair.edit import PatchConflict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "repair"


@dataclass
class Outcome:
    errors: frozenset[str]
    broken_pairs: int
    sessions_up: int
    report: object = None


def outcome(snap: podpath.Snapshot) -> Outcome:
    rep = snap.check()
    errors = frozenset(f.id for f in rep.findings if f.severity.value == "error")
    cp = snap.control_plane() if snap.has_control_plane else None
    pv = getattr(cp, "pair_verdicts", None)
    broken = sum(c.get("broken", 0) for c in pv.counts.values()) if pv is not None else 0
    up = sum(1 for s in snap.simulate().sessions if s.up) if snap.has_control_plane else 0
    return Outcome(errors, broken, up, rep)


def candidates(snap: podpath.Snapshot, prefixes: Iterable[str], before: Outcome | None = None) -> list[Candidate]:
    """Every candidate of the operators whose names start with one of `prefixes`."""
    import podpath.repair.operators  # noqa: F401  (registers them)

    ctx = RepairContext(snap, before.report if before is not None else snap.check())  # type: ignore[arg-type]
    out: list[Candidate] = []
    for name in sorted(OPERATORS):
        if name.startswith(tuple(prefixes)):
            out.extend(OPERATORS[name](ctx))
    return out


def verifies(root: Path, snap: podpath.Snapshot, before: Outcome, c: Candidate) -> bool:
    try:
        overlay = c.patch.apply(snap.texts)
    except PatchConflict:
        return False
    after = outcome(podpath.load(root, overlay=overlay))
    return (not after.errors and after.broken_pairs == 0 and after.sessions_up >= before.sessions_up
            and (bool(before.errors) or after.sessions_up > before.sessions_up))


def ranked(cands: list[Candidate]) -> list[Candidate]:
    """Most intent first, then the smallest patch, then by operator and diff position (deterministic)."""
    return sorted(cands, key=lambda c: (-c.intent, c.patch.size, c.operator, c.patch.edits))


def meets(c: Candidate, texts: dict[str, str], intended: dict[str, object]) -> bool:
    """The fixed file's line `line` contains the intended text, which the line did not hold before."""
    try:
        new = c.patch.apply(texts)
    except PatchConflict:
        return False
    file = str(intended["file"])
    if file not in new:
        return False
    lines = new[file].splitlines()
    before = texts[file].splitlines()
    n = int(intended["line"])  # type: ignore[arg-type]
    want = str(intended["contains"])
    if len(before) == len(lines) and 0 < n <= len(before) and want in before[n - 1]:
        return False  # the line said so already: this edit is not the one meant
    return 0 < n <= len(lines) and want in lines[n - 1]


def fixture_names(prefix: str) -> list[str]:
    """Broken cases: an intended.yaml that names an edit (healthy ones say `healthy: true`)."""
    return sorted(p.name for p in FIXTURES.iterdir() if p.name.startswith(prefix) and (p / "intended.yaml").exists()
                  and not intended(p.name).get("healthy"))


def healthy_names(prefix: str) -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.name.startswith(prefix) and "healthy" in p.name)


def intended(name: str) -> dict[str, object]:
    return dict(YAML(typ="safe").load((FIXTURES / name / "intended.yaml").read_text()))
