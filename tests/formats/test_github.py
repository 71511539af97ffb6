"""`podpath check --format github`: workflow commands GitHub turns into annotations, escaped as the runner
unescapes them (`%`, CR, LF in messages; also `:` and `,` in properties)."""

from __future__ import annotations

import re

from fmtcase import Case, run_cli
from podpath.formats.github import command, escape_data, escape_property

LINE = re.compile(r"^::(error|warning|notice)( [^:]*)?::(.*)$")


def unescape(text: str) -> str:
    """What the runner does (actions/runner ActionCommand unescaping), to check the round trip."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_escaping_round_trips():
    nasty = "50% of a:b,c\nsecond line\r"
    assert escape_data(nasty) == "50%25 of a:b,c%0Asecond line%0D"
    assert escape_property(nasty) == "50%25 of a%3Ab%2Cc%0Asecond line%0D"
    assert unescape(escape_property(nasty)) == nasty
    line = command("error", "m1\nm2", file="dir,x/a:b.yaml", line=3, col=7, title="T: 1, 2")
    m = LINE.match(line)
    assert m, line
    props = dict(p.split("=", 1) for p in m.group(2).strip().split(","))
    assert unescape(props["file"]) == "dir,x/a:b.yaml" and props["line"] == "3" and props["col"] == "7"
    assert unescape(props["title"]) == "T: 1, 2" and unescape(m.group(3)) == "m1\nm2"


def test_findings_are_annotations_at_their_first_location(case: Case):
    lines = case.output("github").splitlines()
    cmds = [LINE.match(l) for l in lines if l.startswith("::")]
    assert all(cmds)
    err = next(m for m in cmds if m.group(1) == "error")
    props = dict(p.split("=", 1) for p in err.group(2).strip().split(","))
    assert props["file"] == "snap/broken/cilium/values.yaml" and props["line"] == "24" and props["col"] == "24"
    assert unescape(props["title"]).startswith("NR002 native-routing-cidr-excludes-pods")
    also = unescape(err.group(3)).split("also at ", 1)[1]
    assert "snap/broken/talos/controlplane.yaml:27:9" in also  # the other locations ride along
    assert any(m.group(1) == "notice" for m in cmds)  # info -> notice
    assert not any("HM001" in l for l in lines if l.startswith("::"))  # suppressed: not annotated
    assert "1 error(s)" in lines[-1] and "3 suppressed" in lines[-1]


def test_not_checked_is_annotated(gappy: Case):
    out = gappy.output("github")
    assert "title=podpath%3A not checked (RT002)" in out and "incomplete" in out.splitlines()[-1]


def test_cli_github_exit_code(case: Case):
    r = run_cli("check", str(case.snap.root), "--format", "github", "--fail-on", "never")
    assert r.returncode == 0 and r.stdout.startswith("::error file=snap/broken/")
