"""Checks over the model. `run_checks(snapshot)` returns a `Report`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from podpath.checks import bgp, datapath, helm, ipam, masquerade, mtu, observed, routes  # noqa: F401  (registers rules)
from podpath.checks.base import RULES, Finding, Fix, Rule, Severity, run_rules

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot

__all__ = ["RULES", "Finding", "Fix", "Report", "Rule", "Severity", "run_checks"]


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    complete: bool = True

    def at_or_above(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank <= severity.rank]

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out


def run_checks(snap: "Snapshot", rules: list[str] | None = None) -> Report:
    findings: dict[str, Finding] = {}
    for f in run_rules(snap, rules):
        findings.setdefault(f.id, f)
    return Report(sorted(findings.values(), key=Finding.sort_key), snap.complete)
