"""`podpath check --format markdown`: a PR comment with a summary table, file:line links relative to
--root, the fix, suppressed findings with their reason; text from the snapshot cannot inject markup."""

from __future__ import annotations

from fmtcase import Case, run_cli
from podpath.formats.markdown import esc, fence


def test_summary_table_links_and_fix(case: Case):
    md = case.output("markdown")
    lines = md.splitlines()
    assert lines[0].startswith("## podpath check: 1 error(s), 0 warning(s), 1 info, 3 suppressed")
    assert "| \u274c error | 1 |" in lines and "| suppressed | 3 |" in lines
    assert "[snap/broken/cilium/values.yaml:24:24](snap/broken/cilium/values.yaml#L24)" in md
    assert "[snap/broken/talos/controlplane.yaml:27:9](snap/broken/talos/controlplane.yaml#L27)" in md
    assert "```diff\n--- a/cilium/values.yaml" in md and "verified by re-simulation" in md
    assert "### Suppressed (3)" in md and "OPS\\-42" not in md and "OPS-42" in md
    assert "[snap/podpath.toml:3:1](snap/podpath.toml#L3)" in md  # where the suppression is
    assert "**1 finding(s) at or above `error`**" in md


def test_not_checked_section(gappy: Case):
    md = gappy.output("markdown")
    assert "### Not checked (" in md and "RT002: " in md and "the check is incomplete" in md


def test_escaping():
    assert esc("a|b <img src=x> *c* _d_ [e](f)") == "a\\|b \\<img src=x\\> \\*c\\* \\_d\\_ \\[e\\](f)"
    assert esc("# not a heading", line_start=True) == "\\# not a heading"
    assert esc("- item", line_start=True) == "\\- item" and esc("1. x", line_start=True) == "1\\. x"
    assert esc("two\nlines") == "two lines"
    assert fence("a ``` b").startswith("````\n") and fence("plain").startswith("```\n")
    assert fence("a\nb\nc", max_lines=2) == "```\na\nb\n\u2026 1 more line(s): `--format json` has all\n```"


def test_cli_markdown_root(case: Case):
    r = run_cli("check", str(case.snap.root), "--format", "markdown", "--root", str(case.snap.root.parent))
    assert r.returncode == 1 and "[broken/cilium/values.yaml:24:24](broken/cilium/values.yaml#L24)" in r.stdout


def test_long_reports_fit_a_comment(case: Case, monkeypatch):
    from podpath.formats import markdown

    full = case.output("markdown")
    monkeypatch.setattr(markdown, "BUDGET", 1500)
    short = case.output("markdown")
    assert len(short) < len(full) and "more finding(s) left out" in short
    assert "| \u274c | NR002" in short  # the table keeps every finding


def test_root_with_text_or_json_is_said_not_ignored(case: Case):
    r = run_cli("check", str(case.snap.root), "--format", "json", "--root", str(case.repo), "--no-repair")
    assert r.returncode == 1 and "note: --root applies to sarif, junit, markdown and github" in r.stderr
