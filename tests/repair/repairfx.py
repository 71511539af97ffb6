"""Small real snapshots for the repair engine's tests: three nodes whose BIRD announces its pod CIDR to an FRR
router r1 (tests/fixtures/repair/healthy-frr-bird), and the same with the prefix-list entry missing `le 24`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from podpath.repair.candidates import Candidate, RepairContext
from podpath.repair.edit import Patch, TextEdit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "repair"
HEALTHY = FIXTURES / "healthy-frr-bird" / "snapshot"
TWO_FAULTS = FIXTURES / "two-faults-prefix-list-and-kernel-export" / "snapshot"
FRR = "frr/r1.conf"
GOOD = "ip prefix-list PL-PODS seq 5 permit 10.244.0.0/16 le 24"
BAD = "ip prefix-list PL-PODS seq 5 permit 10.244.0.0/16"


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def broken(tmp: Path) -> Path:
    """The healthy snapshot with the prefix-list's `le 24` taken out (written to `tmp`)."""
    root = copy(HEALTHY, tmp / "broken")
    f = root / FRR
    f.write_text(f.read_text().replace(GOOD, BAD))
    return root


def line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def replace(snap: object, file: str, old: str, new: str, op: str = "test.replace", intent: int = 0,
            mistake: str = "the mistake", fix: str = "the fix") -> Candidate:
    """A candidate replacing the line `old` of `file` by `new`."""
    text = snap.texts[file]  # type: ignore[attr-defined]
    n = line_of(text, old)
    return Candidate(op, Patch([TextEdit.replace_line(file, n, old, new)]), mistake, fix, intent=intent)


def prefix_length_op(ctx: RepairContext) -> list[Candidate]:
    """A test operator: every FRR prefix-list entry without a length range gets `le 24`."""
    out = []
    for file, text in sorted(ctx.texts.items()):
        for n, line in enumerate(text.splitlines(), 1):
            if re.fullmatch(r"ip prefix-list \S+ seq \d+ permit \S+/\d+", line):
                out.append(Candidate("test.le", Patch([TextEdit.replace_line(file, n, line, line + " le 24")]),
                                     f"{line} lacks `le 24`", "add `le 24`", intent=2))
    return out


def kernel_export_op(ctx: RepairContext) -> list[Candidate]:
    """A test operator: every BIRD kernel channel with `export none;` exports BGP routes instead."""
    edits = []
    for file, text in sorted(ctx.texts.items()):
        if not file.startswith("bird/"):
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip() == "export none;" and "protocol kernel" in "\n".join(text.splitlines()[max(0, n - 4):n]):
                edits.append(TextEdit.replace_line(file, n, line, line.replace("export none;",
                                                                               "export where source = RTS_BGP;")))
    return [Candidate("test.kernel", Patch(edits), "the kernel protocol exports nothing", "export BGP routes",
                      intent=1)] if edits else []
