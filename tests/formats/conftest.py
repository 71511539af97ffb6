"""Snapshots for the output-format tests: the seed-000 example inside a git work tree (so --root defaults
to the repository top), with a suppression in podpath.toml and a verified-style fix carrying a unified diff
of the user's own file; and a snapshot with parts not checked (RT002 without route dumps or segments)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import podpath
from fmtcase import Case
from podpath.checks import Fix, Report
from podpath.config import apply, load_config
from podpath.repair.edit import Patch, TextEdit
from podpath.snapshot import Snapshot

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seed000-ipv6-native-cidr" / "broken"

CONFIG = """\
fail-on = "error"

[[suppress]]
rule = "HM001"
path = "cilium/*.yaml"
reason = "bpf.lbMode is kept for the 1.14 rollback (OPS-42)"
"""


def _with_diff_fix(snap: Snapshot, report: Report) -> Report:
    """NR002's fix with the unified diff of the same change in cilium/values.yaml (what podpath.repair attaches)."""
    out = []
    for f in report.findings:
        if f.rule == "NR002":
            line_no, old = next((i, l) for i, l in enumerate(snap.texts["cilium/values.yaml"].splitlines(), 1)
                                if l.startswith("ipv6NativeRoutingCIDR:"))
            patch = Patch([TextEdit.replace_line("cilium/values.yaml", line_no, old,
                                                 'ipv6NativeRoutingCIDR: "fd00:101::/38"'),
                           TextEdit.insert_after("cilium/values.yaml", line_no, "# widened: pod CIDRs are in fd00:101:224::/60")])
            f = replace(f, fix=Fix(f.fix.description, f.fix.file, f.fix.yaml, patch.diff(snap.texts),
                                   "verified by re-simulation: no regressions"))
        out.append(f)
    return replace(report, findings=out)


@pytest.fixture
def case(tmp_path: Path) -> Case:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    snapdir = repo / "snap" / "broken"
    shutil.copytree(EXAMPLE, snapdir)
    (repo / "snap" / "podpath.toml").write_text(CONFIG)
    snap = podpath.load(snapdir)
    cfg = load_config(repo / "snap" / "podpath.toml", snapdir)
    report = apply(_with_diff_fix(snap, snap.check()), cfg)
    assert report.suppressed and any(f.fix and f.fix.diff for f in report.findings)  # the case is what it says
    return Case(snap, report, repo)


@pytest.fixture
def gappy(tmp_path: Path) -> Case:
    from snaputil import NATIVE_VALUES, three_nodes

    snapdir = tmp_path / "gappy"
    snapdir.mkdir()
    (snapdir / "values.yaml").write_text(NATIVE_VALUES)
    (snapdir / "nodes.yaml").write_text(three_nodes())
    snap = podpath.load(snapdir)
    report = snap.check()
    assert report.not_checked
    return Case(snap, report, snapdir)

