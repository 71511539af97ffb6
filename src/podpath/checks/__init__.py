"""Checks over the model. `run_checks(snapshot)` returns a `Report`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from podpath.checks import bgp, datapath, helm, ipam, masquerade, mtu, observed, routes  # noqa: F401  (registers rules)
from podpath.checks.base import (RULES, CheckContext, Finding, Fix, NotChecked, Rule, Severity, UnknownRule,
                                 resolve_rules, run_rules)

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot

__all__ = ["RULES", "Finding", "Fix", "NotChecked", "Report", "Rule", "Severity", "UnknownRule", "resolve_rules",
           "run_checks"]

@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    snapshot_complete: bool = True  # every statement that may affect routes was modelled (Snapshot.complete)
    not_checked: list[NotChecked] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """False when a statement that may affect routes is not modelled or a part was not checked."""
        return self.snapshot_complete and not self.not_checked

    @property
    def nothing_recognised(self) -> bool:
        return any(n.what == "the snapshot" and n.rule is None for n in self.not_checked)

    def at_or_above(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank <= severity.rank]

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out


def run_checks(snap: "Snapshot", rules: list[str] | None = None) -> Report:
    """Every rule (or `rules`: ids or names, case-insensitive, comma-separated lists allowed;
    an unknown one raises UnknownRule) over the snapshot, with what could not be checked."""
    wanted = resolve_rules(rules) if rules else sorted(RULES)
    ctx = CheckContext(snap)
    findings: dict[str, Finding] = {}
    for f in run_rules(snap, wanted, ctx):
        findings.setdefault(f.id, f)
    gaps = list(ctx.not_checked_items) + snapshot_not_checked(snap)
    return Report(sorted(findings.values(), key=Finding.sort_key), snap.complete,
                  sorted(set(gaps), key=NotChecked.sort_key))


def snapshot_not_checked(snap: "Snapshot") -> list[NotChecked]:
    """What no rule could check, whichever ran: a snapshot with no input podpath recognises, files it
    could not read, a simulation cut short."""
    from podpath.diagnostics import Loc
    from podpath.snapshot import UNREAD_KINDS

    out: list[NotChecked] = []
    if not any(f.kind not in UNREAD_KINDS for f in snap.files):
        errors = snap.diagnostics.errors
        here = [d for d in errors if d.loc.file == str(snap.root)]
        why = here[0].message if here else "podpath recognised no input in it"
        out.append(NotChecked(None, "the snapshot", why, Loc(str(snap.root))))
    seen: set[str] = set()
    for u in snap.unread:  # inputs podpath did not read at all (Snapshot.unread)
        seen.add(u.loc.file)
        out.append(NotChecked(None, f"input {u.path}", f"not read: {u.why}", u.loc))
    for d in snap.diagnostics.errors:
        if d.loc.file in seen or d.loc.file == str(snap.root):
            continue
        seen.add(d.loc.file)
        n = sum(1 for e in snap.diagnostics.errors if e.loc.file == d.loc.file)
        out.append(NotChecked(None, f"file {d.loc.file}", f"{n} error(s) in it (first: {d.message}): podpath may have "
                              "read it only in part, so what depends on it may be missing", d.loc))
    sim = getattr(snap, "_simulation", None)
    if sim is not None and not sim.converged:
        out.append(NotChecked(None, "the BGP simulation",
                              f"no fixed point within {sim.steps:,} steps (policies that keep replacing each other's "
                              "best paths): the tables of the prefixes simulated after that point are not computed, "
                              "so BGP routes and pod CIDR reachability from them are unknown"))
    return out
