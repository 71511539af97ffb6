"""podpath.toml / [tool.podpath]: found upward from the snapshot (not past the git work tree's top), rule
selection, fail-on and format defaults that the command line overrides, suppressions with a required
reason (reported, not counted for the exit code), and every mistake as a file:line:col error (exit 2)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import podpath
from podpath.config import Config, ConfigError, apply, find_config, load_config, unused

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "seed000-ipv6-native-cidr" / "broken"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """repo/.git, repo/clusters/prod = the seed-000 example (NR002 error, three HM001 warnings, MQ003 info)."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    shutil.copytree(EXAMPLE, tmp_path / "repo" / "clusters" / "prod")
    return tmp_path / "repo"


def snap_of(repo: Path) -> Path:
    return repo / "clusters" / "prod"


def test_found_upward_and_not_past_the_work_tree(repo: Path, tmp_path: Path):
    snap = snap_of(repo)
    assert find_config(snap) is None
    (tmp_path / "podpath.toml").write_text('fail-on = "never"\n')  # outside the work tree: not used
    assert find_config(snap) is None
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no [tool.podpath]: not a config
    assert find_config(snap) is None
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.podpath]\nfail-on = "warning"\n')
    assert find_config(snap) == repo / "pyproject.toml"
    assert load_config(repo / "pyproject.toml", snap).fail_on == "warning"
    (repo / "clusters" / "podpath.toml").write_text('format = "json"\n')  # nearer wins
    assert find_config(snap) == repo / "clusters" / "podpath.toml"


def test_the_config_file_in_the_snapshot_is_not_an_input(repo: Path):
    (snap_of(repo) / "podpath.toml").write_text('fail-on = "never"\n')
    snap = podpath.load(snap_of(repo))
    assert not [d for d in snap.diagnostics if d.loc.file == "podpath.toml"]
    assert "podpath.toml" not in {f.path for f in snap.files}


def test_fail_on_format_and_select_from_the_file_cli_wins(repo: Path):
    snap = str(snap_of(repo))
    assert run("check", snap).returncode == 1
    (repo / "podpath.toml").write_text('fail-on = "never"\nformat = "json"\nignore = ["NR002"]\n')
    r = run("check", snap)
    doc = json.loads(r.stdout)  # format from the file
    assert r.returncode == 0 and not [f for f in doc["findings"] if f["rule"] == "NR002"]
    r = run("check", snap, "--format", "text", "--fail-on", "warning")
    assert r.returncode == 1 and r.stdout.startswith("podpath")  # the command line wins
    (repo / "podpath.toml").write_text('select = ["native-routing-cidr-excludes-pods", "MQ003"]\n')
    doc = json.loads(run("check", snap, "-f", "json").stdout)
    assert {f["rule"] for f in doc["findings"]} == {"NR002", "MQ003"}
    doc = json.loads(run("check", snap, "-f", "json", "-r", "HM001").stdout)  # --rule replaces select
    assert {f["rule"] for f in doc["findings"]} == {"HM001"}


def test_suppressions_are_reported_with_the_reason_and_not_counted(repo: Path):
    snap = str(snap_of(repo))
    (repo / "podpath.toml").write_text(
        '[[suppress]]\nid = "NR002:ipv6"\nreason = "widened in the next release (NET-7)"\n\n'
        '[[suppress]]\nrule = "HM001"\npath = "cilium/*"\nreason = "legacy keys"\n\n'
        '[[suppress]]\nid = "RT00?:*"\nreason = "stale"\n')
    r = run("check", snap, "-f", "json", "--fail-on", "warning")
    doc = json.loads(r.stdout)
    assert r.returncode == 0, r.stdout  # only MQ003 (info) is left
    assert [f["rule"] for f in doc["findings"]] == ["MQ003"] and doc["summary"] == {"error": 0, "warning": 0, "info": 1}
    sup = {s["id"]: s["suppression"] for s in doc["suppressed"]}
    assert sup["NR002:ipv6"]["reason"] == "widened in the next release (NET-7)"
    assert sup["NR002:ipv6"]["location"] == {"file": "../../podpath.toml", "line": 1, "col": 1}
    assert sum(1 for k in sup if k.startswith("HM001:")) == 3
    assert "../../podpath.toml:10:1: note: this suppression matched no finding" in r.stderr
    text = run("check", snap).stdout
    assert "SUPPRESSED (4)" in text and "NR002:ipv6: widened in the next release (NET-7)" in text
    assert "(4 suppressed)" in text


def test_path_glob_must_match_a_location():
    snap = podpath.load(EXAMPLE)
    report = snap.check()
    cfg = Config(suppress=[__import__("podpath.config", fromlist=["Suppression"]).Suppression(
        "x", podpath.diagnostics.Loc("p", 1, 1), rule="NR002", path="talos/*")])
    assert [s.finding.id for s in apply(report, cfg).suppressed] == ["NR002:ipv6"]  # its 2nd location is in talos/
    cfg = Config(suppress=[cfg.suppress[0].__class__("x", podpath.diagnostics.Loc("p", 1, 1), rule="NR002",
                                                      path="kube/*")])
    out = apply(report, cfg)
    assert out.suppressed == [] and len(out.findings) == len(report.findings) and unused(out, cfg) == cfg.suppress


@pytest.mark.parametrize("text, where, needle", [
    ('[[suppress]]\nid = "NR002:ipv6"\n', ":1:1:", "needs a reason"),
    ('[[suppress]]\nid = "NR002:ipv6"\nreason = "  "\n', ":3:1:", "needs a reason"),
    ('[[suppress]]\nreason = "why"\n', ":1:1:", "needs id, rule or path"),
    ('\n[[suppress]]\nrule = "NR999"\nreason = "why"\n', ":3:1:", "unknown rule 'NR999'"),
    ('fail-on = "sometimes"\n', ":1:1:", "fail-on must be one of error, warning, info, never"),
    ('format = "html"\n', ":1:1:", "format must be one of"),
    ('\nfailon = "error"\n', ":2:1:", "unknown key 'failon' (did you mean 'fail-on'?)"),
    ('select = "HM001"\nignore = [1]\n', ":2:1:", "ignore must be a list"),
    ('[[suppress]]\nid = "x"\nreasn = "y"\n', ":3:1:", "unknown suppress key 'reasn' (did you mean 'reason'?)"),
    ('fail-on = \n', ":1:", "invalid TOML"),
])
def test_mistakes_are_located_errors_exit_2(repo: Path, text: str, where: str, needle: str):
    (repo / "podpath.toml").write_text(text)
    with pytest.raises(ConfigError):
        load_config(repo / "podpath.toml", snap_of(repo))
    r = run("check", str(snap_of(repo)))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line = next(l for l in r.stderr.splitlines() if "podpath.toml" in l)
    assert line.startswith("../../podpath.toml" + where) and ": error: " in line and needle in line, r.stderr


def test_explicit_config_and_pyproject_line_numbers(repo: Path, tmp_path: Path):
    cfg = tmp_path / "ci.toml"
    cfg.write_text('fail-on = "never"\n')
    assert run("check", str(snap_of(repo)), "--config", str(cfg)).returncode == 0
    r = run("check", str(snap_of(repo)), "--config", str(tmp_path / "missing.toml"))
    assert r.returncode == 2 and "no such file" in r.stderr
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.podpath]\nfail-on = "error"\n\n'
                                         '[[tool.podpath.suppress]]\nrule = "HM001"\n')
    r = run("check", str(snap_of(repo)))
    assert r.returncode == 2 and "../../pyproject.toml:7:1: error: a suppression needs a reason" in r.stderr
