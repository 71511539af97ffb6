"""`podpath report SNAPSHOT -o report.html`: the checks as one self-contained HTML file (podpath.htmlreport).

Exit 0: the report was written (whatever it finds: `podpath check` is the gate); 2: unusable input, a
mistake in the configuration, an unknown rule, or the file cannot be written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional

import typer

from podpath import cli
from podpath.checks import Severity
from podpath.cli import _config, _err, _load, _rules, _status, app


@app.command("report")
def report_cmd(snapshot: Path = typer.Argument(..., help="Snapshot directory (or a single file)."),
               output: Path = typer.Option(..., "--output", "-o", help="The HTML file to write ('-': stdout)."),
               rule: Optional[list[str]] = typer.Option(None, "--rule", "-r", help="Run only these rules (as "
                                                        "`check --rule`)."),
               config: Optional[Path] = typer.Option(None, "--config", help="podpath.toml (or pyproject.toml) to "
                                                     "use instead of the one found upward from the snapshot."),
               no_repair: bool = typer.Option(False, "--no-repair", help="Do not search for verified repairs of "
                                              "the error findings.")) -> None:
    """Write a self-contained HTML report: a topology picture (routers, segments, nodes, BGP sessions coloured
    established/down/unknown, where each pod route is lost), the findings with their fixes, what was not
    checked, and the summary. One file, no network access needed to view it; the same snapshot gives the
    same bytes.

    Exit 0: written; 2: unusable input or the file cannot be written."""
    from podpath.config import apply as apply_config
    from podpath.htmlreport import render

    rules = _rules(rule)
    cfg = _config(snapshot, config)
    rules = cfg.rules(rules)
    snap = _load(snapshot)
    if not snap.usable:
        _err().print("error: the snapshot has errors (above); no report written", markup=False)
        raise typer.Exit(2)
    with _status("checking"):
        report = apply_config(snap.check(rules), cfg)
        if not no_repair and any(f.severity is Severity.ERROR for f in report.findings):
            from podpath.repair.search import MAX_WORK, annotate, repair, report_cut

            found = repair(snap, report if rules is None else None, work=MAX_WORK)
            annotate(snap, report, found)
            report_cut(report, found)
    with _status("rendering the report"):
        html = render(snap, report)
    if str(output) == "-":
        typer.echo(html, nl=False)
        return
    tmp = None
    try:  # written next to the target and renamed: a reader never sees half a report
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file (mkstemp makes it 0600)
        os.replace(tmp, output)
    except OSError as e:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        _err().print(f"error: {output}: cannot write the report: {e.strerror or e}", markup=False)
        raise typer.Exit(2) from None
    if cli.VERBOSITY >= 0:
        _err().print(f"podpath: wrote {output} ({len(html.encode()):,} bytes)", style="dim", markup=False)
