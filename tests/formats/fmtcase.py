"""Shared by the output-format tests: a checked snapshot (`Case`) and running the CLI."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from podpath import formats
from podpath.checks import Report
from podpath.report import check_document, check_output, rules_document
from podpath.snapshot import Snapshot


@dataclass
class Case:
    snap: Snapshot
    report: Report
    repo: Path  # the git work tree's top (--root default)

    def output(self, fmt: str, fail_on: str = "error", root: Path | None = None) -> str:
        return check_output(self.snap, self.report, fmt, root=root, fail_on=fail_on)

    def context(self, fail_on: str = "error") -> formats.Context:
        return formats.Context(check_document(self.snap, self.report), rules_document(), "snap/broken",
                               str(self.snap.root), fail_on)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)

