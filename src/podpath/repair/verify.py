"""Verify a repair by re-simulation: apply its patch to a copy of the snapshot's texts, re-read, re-simulate,
re-check, and compare with the baseline (podpath.diff).

API:

    Baseline(snap, report=None, checked=None)          the snapshot as loaded, its report, its simulated state
                                                       (checked: `snap.check()` as run, if the caller has it)
    verify(base: Baseline, candidates: Candidate | Sequence[Candidate]) -> Verification
    Verification.kept          resolves an error finding of the baseline, and no regression at all
    Verification.progress      resolves an error finding with no pair, session or kernel route lost (new error
                               findings allowed: a second fault further along the path shows once the first is
                               fixed; the search combines such candidates)
    Verification.line          "verified by re-simulation: 30/30 node pairs reachable, no regressions"

The checks run only for patches whose re-simulation loses nothing (a lost pair or session already rejects one),
so a rejected candidate costs a load and a simulation; and only the rules that can report an error run
(`error_rules`): `resolved` / `introduced` are about their findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from podpath.diff import Change, SnapshotDiff, add_findings, compare, state
from podpath.repair.candidates import Candidate
from podpath.repair.edit import Patch, PatchConflict

if TYPE_CHECKING:
    from podpath.checks import Report
    from podpath.snapshot import Snapshot

_HARD = ("pair-lost", "session-down", "kernel-route-lost", "unreadable")


class Baseline:
    """What every candidate is compared with: the loaded snapshot, its report (without one, the report of the
    rules that can report an error) and simulated state."""

    def __init__(self, snap: "Snapshot", report: "Report | None" = None, checked: "Report | None" = None) -> None:
        self.snap = snap
        from dataclasses import replace

        from podpath.checks import Report

        self.rules = error_rules({f.rule for f in report.findings if f.severity.value == "error"} if report else set())
        # the baseline as the verification sees it: the findings of the rules it re-runs, as they run (a report
        # given may be filtered: suppressions, --rule). `checked`, the report of every rule as run (`snap.check()`,
        # before suppressions), holds them already: each rule's findings do not depend on which others run.
        if checked is not None:
            wanted = set(self.rules)
            self.checked: Report = replace(checked, findings=[f for f in checked.findings if f.rule in wanted],
                                           suppressed=[])
        else:
            self.checked = snap.check(self.rules)
        self.report = report if report is not None else self.checked
        self.errors = {f.id for f in self.report.findings if f.severity.value == "error"}
        self.diagnostics = {(d.loc, d.message) for d in snap.diagnostics.errors}
        state(snap)  # simulated once, shared by every comparison


@dataclass
class Verification:
    candidates: tuple[Candidate, ...]
    patch: Patch
    kept: bool = False
    pairs_reachable: int = 0
    pairs_total: int = 0
    pairs_reachable_before: int = 0
    regressions: list[Change] = field(default_factory=list)
    side_effects: list[Change] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)  # finding ids of the baseline no longer reported
    introduced: list[str] = field(default_factory=list)  # finding ids reported only after the patch
    resolved_errors: list[str] = field(default_factory=list)
    note: str = ""  # why it was not kept, in one phrase
    errors_after: int | None = None  # error findings after the patch (None: not checked, a hard regression)
    diff: SnapshotDiff | None = field(default=None, repr=False)
    texts: dict[str, str] = field(default_factory=dict, repr=False)  # the patched files' texts
    # the patched snapshot as loaded and simulated, with its report of `Baseline.rules`: the search's next step
    # runs the operators on it instead of reading and checking it again (search._deeper); dropped once unneeded
    after: "tuple[Snapshot, Report] | None" = field(default=None, repr=False, compare=False)

    @property
    def candidate(self) -> Candidate:
        return self.candidates[0]

    @property
    def progress(self) -> bool:
        return bool(self.resolved_errors) and not any(r.kind in _HARD for r in self.regressions)

    @property
    def pod_routes_gained(self) -> int:
        """Pod CIDR routes (best paths and kernel routes) gained minus lost: progress along the path even before
        a pair is reachable (a route now reaching a router, still not a node's kernel)."""
        d = self.diff
        if d is None:
            return 0
        sign = {"added": 1, "removed": -1}
        return sum(sign.get(r.change, 0) for r in d.routes if r.pod_cidr) + \
            sum(sign.get(k.change, 0) for k in d.kernel if k.pod_cidr)

    @property
    def hard(self) -> bool:
        """A pair, a session or a kernel route lost, or a file made unreadable."""
        return any(r.kind in _HARD for r in self.regressions) or self.note.startswith("the patch does not apply")

    @property
    def all_pairs(self) -> bool:
        return self.pairs_reachable == self.pairs_total

    @property
    def line(self) -> str:
        """The verification in one line, as a finding's fix shows it."""
        regs = "no regressions" if not self.regressions else f"{len(self.regressions)} regression(s)"
        side = f", {len(self.side_effects)} side effect(s)" if self.side_effects else ""
        pairs = (f"{self.pairs_reachable}/{self.pairs_total} node pairs reachable" if self.pairs_total
                 else "no node pairs with pod CIDRs")
        return f"verified by re-simulation: {pairs}, {regs}{side}"

    def to_json(self) -> dict[str, object]:
        return {
            "operators": [c.operator for c in self.candidates],
            "mistakes": [c.mistake for c in self.candidates],
            "fixes": [c.fix for c in self.candidates],
            "files": self.patch.files,
            "kept": self.kept,
            "verified": self.line,
            "pairs": {"reachable": self.pairs_reachable, "total": self.pairs_total,
                      "reachable_before": self.pairs_reachable_before},
            "resolved": list(self.resolved),
            "introduced": list(self.introduced),
            "regressions": [c.to_json() for c in self.regressions],
            "side_effects": [c.to_json() for c in self.side_effects],
            "note": self.note,
        }


def error_rules(also: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """The rules a verification re-runs: those that can report an error (default severity error, or whose code
    raises a finding to error), and `also`. Warnings and infos decide nothing about a repair, and some of
    those rules (symbolic policy analyses) cost more than the simulation."""
    import inspect

    from podpath.checks import RULES

    out = set(also)
    for rid, r in RULES.items():
        if r.severity.value == "error":
            out.add(rid)
            continue
        try:
            src = inspect.getsource(r.func)
        except (OSError, TypeError):
            out.add(rid)  # cannot tell: run it
            continue
        if '"error"' in src or "'error'" in src or "severity=sev" in src or "severity=note" in src:
            out.add(rid)
    return sorted(out)


def verify(base: Baseline, candidates: "Candidate | Sequence[Candidate]") -> Verification:
    """Apply the candidates' patches together to a copy of the texts and compare the result with `base`."""
    from podpath import load

    cands = (candidates,) if isinstance(candidates, Candidate) else tuple(candidates)
    patch = Patch([e for c in cands for e in c.patch.edits])
    v = Verification(cands, patch)
    try:
        texts = patch.apply(base.snap.texts)
    except PatchConflict as e:
        v.note = f"the patch does not apply: {e}"
        return v
    after = load(base.snap.root, overlay=texts)
    new_diags = sorted((d for d in after.diagnostics.errors if (d.loc, d.message) not in base.diagnostics),
                       key=lambda d: (d.loc, d.message))
    d = compare(base.snap, after, findings=False)
    v.diff = d
    v.pairs_reachable, v.pairs_total, v.pairs_reachable_before = d.pairs_reachable, d.pairs_total, \
        d.pairs_reachable_before
    regs = [Change("unreadable", str(x.loc), f"{x.loc}: error: {x.message}") for x in new_diags]
    v.side_effects = d.side_effects()
    if regs or any(r.kind in _HARD for r in d.regressions()):
        v.regressions = sorted(regs + d.regressions())
        v.note = v.regressions[0].text
        return v
    after_report = after.check(base.rules)
    v.errors_after = sum(1 for f in after_report.findings if f.severity.value == "error")
    v.texts = texts
    v.after = (after, after_report)
    add_findings(d, base.checked, after_report)
    v.regressions = sorted(regs + d.regressions())
    v.resolved = [f.id for f in d.findings_resolved]
    v.introduced = [f.id for f in d.findings_introduced]
    v.resolved_errors = [i for i in v.resolved if i in base.errors]
    if not v.resolved_errors:
        v.note = "resolves no error finding"
    elif v.regressions:
        v.note = v.regressions[0].text
    else:
        v.kept = True
    return v
