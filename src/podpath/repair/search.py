"""Find the root cause: run every repair operator, verify each candidate by re-simulation, rank the verified
ones, and combine independent ones when one alone does not fix everything (a snapshot may hold two faults).

API:

    repair(snap, report=None, *, limit=MAX_CANDIDATES) -> RepairResult
    RepairResult.top            the root cause: the best verified repair (one candidate, or a combination)
    RepairResult.repairs        every kept repair, best first (the combination, when one was needed, first)
    RepairResult.verifications  every candidate tried, in the order tried (kept or not, with why)
    RepairResult.notes          operators that failed, candidates left untried (each once)
    RepairResult.trials         verifications run, combinations included

Ranking of kept repairs (best first): restores every node pair, resolves more error findings, fewer regressions,
fewer side effects, smaller patch, more intent evidence; then operator name and edits (deterministic). A
snapshot without error findings gets no repair. An operator that raises is reported in `notes`, never breaks the
run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from podpath.repair.candidates import OPERATORS, Candidate, RepairContext
from podpath.repair.edit import Patch
from podpath.repair.verify import Baseline, Verification, verify

if TYPE_CHECKING:
    from podpath.checks import Report
    from podpath.snapshot import Snapshot

MAX_CANDIDATES = 400
"""Candidates verified per run at most (the highest-intent, smallest ones first); the others are noted."""
MAX_COMBINE = 8
"""Candidates a combination may hold."""
MAX_WORK = 1_000
"""Verifications times hosts for the search `podpath check` runs (`repair(..., work=MAX_WORK)`). One
verification re-reads, re-simulates and re-checks the whole snapshot, so it costs about one check: the search
verifies at most MAX_WORK // hosts candidates (combinations included), 100 on a 10-host seed, none above 1,000
hosts, where it is left out and reported as not checked. A count, not a clock: the same snapshot always gets
the same answer. `podpath fix` (work=None) is not bounded."""


def trial_budget(snap: "Snapshot", work: int | None) -> int:
    """Verifications the repair search may run on `snap` (MAX_WORK); unbounded when `work` is None."""
    return 1 << 30 if work is None else work // max(1, len(snap.cluster.hosts))


@dataclass
class RepairResult:
    repairs: list[Verification] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    candidates: int = 0  # distinct patches proposed by the operators
    errors: list[str] = field(default_factory=list)  # the baseline's error finding ids
    trials: int = 0  # verifications run, combinations included
    budget: int = 1 << 30  # verifications allowed (trial_budget)
    cut: str | None = None  # why the search stopped short of what it would have tried, for NOT CHECKED

    @property
    def top(self) -> Verification | None:
        return self.repairs[0] if self.repairs else None

    def to_json(self) -> dict[str, object]:
        return {"errors": list(self.errors), "candidates": self.candidates, "verified": len(self.verifications),
                "trials": self.trials,
                "kept": len(self.repairs), "repairs": [v.to_json() for v in self.repairs], "notes": list(self.notes)}


def rank_key(v: Verification) -> tuple[object, ...]:
    """Best first: restores every pair, resolves more errors, fewer regressions and side effects; then the
    edit the author most likely meant (intent: the near-miss evidence), then the smaller patch. Intent comes
    before size: a clause matching the list written for the pod CIDRs is what the author meant, a one-word
    `le 64` on a default-route list is smaller but not what anybody wrote it for."""
    return (not v.all_pairs, -len(v.resolved_errors), len(v.regressions), len(v.side_effects),
            -sum(c.intent for c in v.candidates), v.patch.size, tuple(c.operator for c in v.candidates),
            v.patch.edits)


def candidates_of(snap: "Snapshot", report: "Report", notes: list[str]) -> list[Candidate]:
    """Every operator's candidates, one per distinct patch (the most intent kept, targets merged), in the
    order they are verified: more intent first, then smaller, then operator name and edits."""
    ctx = RepairContext(snap, report)
    by_patch: dict[object, Candidate] = {}
    for name in sorted(OPERATORS):
        try:
            found = list(OPERATORS[name](ctx))
        except Exception as exc:  # one operator's bug must not stop the others
            notes.append(f"repair operator {name} failed ({type(exc).__name__}: {exc}); its candidates were not tried")
            continue
        for c in found:
            if not c.patch.edits:
                continue
            have = by_patch.get(c.patch)
            if have is None or (c.intent, have.operator) > (have.intent, c.operator):
                if have is not None:
                    c = _with_targets(c, have.targets)
                by_patch[c.patch] = c
            else:
                by_patch[c.patch] = _with_targets(have, c.targets)
    return sorted(by_patch.values(), key=lambda c: (-c.intent, c.patch.size, c.operator, c.patch.edits))


def _with_targets(c: Candidate, more: tuple[str, ...]) -> Candidate:
    from dataclasses import replace

    return replace(c, targets=tuple(sorted(set(c.targets) | set(more))))


def repair(snap: "Snapshot", report: "Report | None" = None, *, limit: int = MAX_CANDIDATES,
           work: int | None = None, checked: "Report | None" = None) -> RepairResult:
    """The verified repairs of `snap`, best first (see the module docstring). `checked`: the report of every
    rule as run (`snap.check()`, before suppressions) when the caller has it, so that the baseline's rules
    are not run again."""
    import podpath.repair.operators  # noqa: F401  (registers every operator)

    out = RepairResult()
    if not snap.usable:
        out.notes.append("the snapshot has errors podpath cannot read past; no repair was tried")
        return out
    if report is not None and not any(f.severity.value == "error" for f in report.findings):
        return out  # healthy (or only warnings): nothing to repair
    out.budget = trial_budget(snap, work)
    if out.budget < 1:
        out.cut = (f"not run: {len(snap.cluster.hosts):,} hosts, and one verification re-simulates them all; "
                   f"`podpath check` spends at most {work:,} host-verifications on it (`podpath fix` is not bounded)")
        return out
    base = Baseline(snap, report, checked)
    out.errors = sorted(base.errors)
    if not base.errors:
        return out  # healthy (or only warnings): nothing to repair
    cands = candidates_of(snap, base.report, out.notes)
    out.candidates = len(cands)
    if len(cands) > limit:
        out.notes.append(f"{len(cands) - limit} candidate repair(s) of lowest intent were not verified "
                         f"(at most {limit} are)")
        cands = cands[:limit]
    if len(cands) > out.budget:
        out.cut = (f"{len(cands) - out.budget} of {len(cands)} candidate repair(s) of lowest intent were not "
                   f"verified ({len(snap.cluster.hosts):,} hosts: at most {out.budget} verification(s); `podpath fix` "
                   "is not bounded)")
        cands = cands[:out.budget]
    first: Verification | None = None  # where _combine starts: the best-ranked one that makes progress
    for c in cands:
        v = _verify_safely(base, c, out)
        out.verifications.append(v)
        if v.progress and (first is None or rank_key(v) < rank_key(first)):
            first, v = v, first
        if v is not None:
            v.after = None  # only `first`'s patched snapshot may be needed again (memory: one per candidate)
    out.trials = len(cands)
    kept = sorted((v for v in out.verifications if v.kept), key=rank_key)
    combo = _combine(base, out.verifications, kept, out)
    out.repairs = ([combo] if combo is not None else []) + kept
    for v in out.repairs + out.verifications:
        v.after = None
    out.notes = list(dict.fromkeys(out.notes))
    return out


def _verify_safely(base: Baseline, c: Candidate, out: RepairResult) -> Verification:
    """`verify`, with an internal error in it a rejected candidate and a note, never a traceback."""
    try:
        return verify(base, c)
    except Exception as exc:  # a reader or simulator bug on an edited text must not stop the search
        out.notes.append(f"verifying {c.operator} failed (internal error {type(exc).__name__}: {exc}); please "
                         "report it")
        return Verification((c,), c.patch, note=f"internal error {type(exc).__name__}")


def _complete(base: Baseline, v: Verification) -> bool:
    return v.all_pairs and v.errors_after == 0


def _standing(v: Verification) -> tuple[int, int, int]:
    """How far a (partial) repair gets, smaller is better: error findings left, pairs not reachable, pod routes
    not gained."""
    return (v.errors_after if v.errors_after is not None else 1 << 30, -v.pairs_reachable, -v.pod_routes_gained)


def _better(trial: Verification, current: Verification) -> bool:
    """The combination is worth keeping: it loses nothing and gets further (fewer errors left, more pairs
    reachable, or more pod routes where they were missing)."""
    return not trial.hard and trial.errors_after is not None and _standing(trial) < _standing(current)


MAX_TRIALS = 40
"""Combinations tried per step of `_combine` (the best-ranked candidates first)."""


def _spent(base: Baseline, out: RepairResult) -> bool:
    """The verification budget is used up (then `out.cut` says so)."""
    if out.trials < out.budget:
        return False
    out.cut = out.cut or (f"combinations of candidate repairs were cut after {out.trials} verification(s) (the "
                          f"budget for {len(base.snap.cluster.hosts):,} hosts; `podpath fix` is not bounded)")
    return True


def _combine(base: Baseline, tried: list[Verification], kept: list[Verification],
             out: RepairResult) -> Verification | None:
    """When no single repair restores every pair and leaves no error, build a combination: start from the best
    candidate that makes progress and add, one at a time, either another candidate of the first round that
    loses nothing (on other lines) or a candidate the operators propose for the snapshot as already repaired
    (a second fault further along the path shows only once the first is fixed: its edit is rebased onto the
    user's file), as long as the combination gets further (`_better`). Each step is re-verified against the
    original snapshot. The result counts only when it is kept (no regression at all) and ranks above the best
    single repair."""
    if kept and _complete(base, kept[0]):
        return None
    start = sorted((v for v in tried if v.progress), key=rank_key)
    if not start:
        return None
    pool = sorted((v for v in tried if not v.hard and v.errors_after is not None), key=rank_key)
    current = start[0]
    while not _complete(base, current) and len(current.candidates) < MAX_COMBINE:
        nxt = None
        trials = 0
        for v in pool:
            if v.candidates[0] in current.candidates or _overlaps(current, v):
                continue
            if trials >= MAX_TRIALS:
                break
            if _spent(base, out):
                break
            trials += 1
            out.trials += 1
            trial = verify(base, current.candidates + v.candidates)
            if _better(trial, current) and (nxt is None or _standing(trial) < _standing(nxt)):
                nxt = trial
        deeper = _deeper(base, current, out)
        if deeper is not None and (nxt is None or _standing(deeper) < _standing(nxt)):
            nxt = deeper
        if nxt is None:
            break
        current = nxt
    if len(current.candidates) < 2 or not current.kept:
        return None
    if kept and rank_key(kept[0]) <= rank_key(current):
        return None
    return current


def _deeper(base: Baseline, current: Verification, out: RepairResult) -> Verification | None:
    """The best next step found by running the operators on the snapshot with `current` applied."""
    from podpath import load

    if out.trials >= out.budget:  # the load and check below cost about one verification
        return None
    if current.after is not None:  # read, simulated and checked by its verification
        snap, report = current.after
    else:
        snap = load(base.snap.root, overlay=current.texts)
        report = snap.check(base.rules)  # what operators see of it: its errors
    if not any(f.severity.value == "error" for f in report.findings):
        return None
    best: Verification | None = None
    for c in candidates_of(snap, report, out.notes)[:MAX_CANDIDATES]:
        rebased = _rebase(c, current.patch)
        if rebased is None or rebased in current.candidates:
            continue
        if _spent(base, out):
            break
        out.trials += 1
        trial = verify(base, current.candidates + (rebased,))
        if _better(trial, current) and (best is None or rank_key(trial) < rank_key(best)):
            best = trial
    return best


def _overlaps(a: Verification, b: Verification) -> bool:
    lines = {(e.file, ln) for e in a.patch.edits for ln in range(e.line, e.line + max(1, len(e.old)))}
    return any((e.file, ln) in lines for e in b.patch.edits for ln in range(e.line, e.line + max(1, len(e.old))))


def _rebase(c: Candidate, applied: Patch) -> Candidate | None:
    """`c`, computed against texts with `applied` already made, as edits of the original texts: each edit moves
    by the lines that `applied` added or removed above it in the same file; None when it touches a line that
    `applied` changed."""
    from dataclasses import replace

    from podpath.repair.edit import TextEdit

    out = []
    for e in c.patch.edits:
        shift = 0
        for a in applied.edits:
            if a.file != e.file:
                continue
            a_new_end = a.line + len(a.new)  # first line after the applied edit, in the patched text
            if a_new_end <= e.line:
                shift += len(a.new) - len(a.old)
            elif a.line < e.line + max(1, len(e.old)) and (a.new or a.old):
                return None  # overlaps what was already changed
        out.append(TextEdit(e.file, e.line - shift, e.old, e.new))
    return replace(c, patch=Patch(out))


def report_cut(report: "Report", result: RepairResult) -> None:
    """A search cut short by its budget (MAX_WORK) is listed under NOT CHECKED: the error findings may lack
    the verified repair a complete search would have found."""
    from podpath.checks.base import NotChecked

    if result.cut is not None:
        report.not_checked = sorted(set(report.not_checked) | {NotChecked(None, "the repair search", result.cut)},
                                    key=NotChecked.sort_key)


def annotate(snap: "Snapshot", report: "Report", result: RepairResult) -> int:
    """Give each error finding that the top repair resolves that repair: its first sentence becomes the
    candidate's mistake (the former message is kept as the first evidence item), its locations gain the
    candidate's, its fix becomes the verified diff. Returns how many findings changed; the others keep theirs."""
    from podpath.checks.base import Fix

    top = result.top
    if top is None:
        return 0
    single = {v.candidates[0]: v for v in result.verifications if len(v.candidates) == 1}
    together = [c.fix for c in top.candidates]
    changed = 0
    for f in report.findings:
        if f.severity.value != "error" or f.id not in top.resolved:
            continue
        cand = _owner(f.id, top, single)
        mistake = cand.mistake.strip()
        if mistake and mistake[-1] not in ".!?":
            mistake += "."
        f.evidence = [f"podpath saw: {f.message}"] + list(cand.evidence) + list(f.evidence)
        f.message = mistake
        f.locations = list(dict.fromkeys(list(cand.locations) + list(f.locations)))
        others = [x for x in together if x != cand.fix]
        desc = cand.fix + (f" (verified together with: {'; '.join(others)})" if others else "")
        files = cand.patch.files
        f.fix = Fix(desc, files[0] if len(files) == 1 else None, None, cand.patch.diff(snap.texts), top.line)
        changed += 1
    return changed


def _owner(fid: str, top: Verification, single: dict[Candidate, Verification]) -> Candidate:
    """The candidate of `top` that resolves finding `fid`: the one whose own verification resolved it, else the
    one that targets it, else the first."""
    for c in top.candidates:
        v = single.get(c)
        if v is not None and fid in v.resolved:
            return c
    for c in top.candidates:
        if fid in c.targets:
            return c
    return top.candidates[0]
