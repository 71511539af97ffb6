"""Checks over the model. `run_checks(snapshot)` returns a `Report`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from podpath.checks import bgp, datapath, helm, ipam, masquerade, mtu, observed, observed_rib, policy_path, routes  # noqa: F401  (registers rules)
from podpath.checks import security  # noqa: F401,E402  (registers rules)
from podpath.checks.base import (RULES, CheckContext, Finding, Fix, NotChecked, Rule, Severity, UnknownRule,
                                 resolve_rules, run_rules)
from podpath.diagnostics import Loc

if TYPE_CHECKING:
    import pandas

    from podpath.snapshot import Snapshot

__all__ = ["RULES", "Finding", "Fix", "NotChecked", "Report", "Rule", "Severity", "Suppressed", "UnknownRule",
           "resolve_rules", "run_checks"]

@dataclass(frozen=True)
class Suppressed:
    """A finding a configured suppression (podpath.config) matched: reported with the reason, not counted
    for the exit code."""

    finding: Finding
    reason: str
    loc: Loc | None = None  # the [[suppress]] entry in the configuration file

    def to_json(self) -> dict[str, object]:
        return {**self.finding.to_json(), "suppression": {
            "reason": self.reason, "location": self.loc.to_json() if self.loc is not None else None}}


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    snapshot_complete: bool = True  # every statement that may affect routes was modelled (Snapshot.complete)
    not_checked: list[NotChecked] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)  # by the configuration (podpath.config.apply)

    def frame(self, what: str = "findings") -> "pandas.DataFrame":
        """The findings (or "not_checked", "suppressed") as a pandas DataFrame, one row each, like
        pybatfish's `.frame()`. pandas is optional: `pip install pandas` (or `podpath[pandas]`)."""
        try:
            import pandas
        except ImportError:
            raise ImportError("Report.frame() needs pandas, which is not installed: pip install pandas "
                              "(or pip install 'podpath[pandas]')") from None
        if what == "findings":
            rows = [_row(f.to_json()) for f in self.findings]
            cols = ["id", "rule", "name", "severity", "subject", "message", "location", "locations", "evidence", "fix"]
        elif what == "suppressed":
            rows = [{**_row(s.to_json()), "reason": s.reason} for s in self.suppressed]
            cols = ["id", "rule", "name", "severity", "subject", "message", "location", "locations", "evidence",
                    "fix", "reason"]
        elif what == "not_checked":
            rows = [{"rule": n.rule, "what": n.what, "why": n.why, "location": str(n.loc) if n.loc else None}
                    for n in self.not_checked]
            cols = ["rule", "what", "why", "location"]
        else:
            raise ValueError(f"Report.frame({what!r}): one of 'findings', 'suppressed', 'not_checked'")
        return pandas.DataFrame(rows, columns=cols)

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


def _row(j: dict[str, Any]) -> dict[str, Any]:
    """A finding's JSON as a table row: locations as `file:line:col` text, the first one on its own."""
    locs = [str(Loc(l["file"], l["line"], l["col"])) for l in j["locations"]]  # type: ignore[union-attr]
    fix = j["fix"]
    return {**j, "location": locs[0] if locs else None, "locations": locs,
            "fix": fix["description"] if fix else None}  # type: ignore[index]


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
