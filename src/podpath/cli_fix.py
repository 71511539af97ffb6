"""`podpath fix SNAPSHOT [--write]`: the verified repair of a broken snapshot as a unified diff of the user's own
files, with the mistake it corrects and what re-simulation showed; `--write` applies it.

Exit 0: nothing to fix (no error finding, or none with a verified repair); 1: a fix was proposed (or written);
2: unusable input, or `--write` refused because a file changed since it was read."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer
from rich.markup import escape

from podpath.cli import Format, _err, _json, _load, _out, _print_diff, app
from podpath.repair.edit import Patch, PatchConflict
from podpath.report import fix_document, redact_text
from podpath.snapshot import Snapshot


@app.command("fix")
def fix(snapshot: Path = typer.Argument(..., help="Snapshot directory (or a single file)."),
        write: bool = typer.Option(False, "--write", help="Apply the verified patch to the files (refused when a "
                                   "file changed since podpath read it)."),
        format: Format = typer.Option(Format.text, "--format", "-f", help="Output format.")) -> None:
    """Find the root cause of the error findings and print its verified patch (a unified diff for `patch -p1`
    or `git apply` from the snapshot directory), the mistake and the verification line.

    Exit 0: nothing to fix; 1: a fix was proposed (or written with --write); 2: unusable input, or --write
    refused (a file changed since it was read)."""
    from podpath.repair.search import repair

    snap = _load(snapshot)
    if not snap.usable:
        _err().print("error: the snapshot has errors (above); podpath cannot verify a repair of it")
        raise typer.Exit(2)
    result = repair(snap)
    top = result.top
    written: list[str] = []
    if write and top is not None:
        try:
            written = write_patch(snap, top.patch)
        except PatchConflict as e:
            _err().print(f"error: --write refused: {escape(redact_text(snap, str(e)))}; nothing was written "
                         "(run `podpath fix` again on the files as they are now)")
            raise typer.Exit(2) from None
    if format is Format.json:
        _json(fix_document(snap, result, written))
    else:
        _print_fix(snap, result, written)
    if top is not None:
        raise typer.Exit(1)


def _print_fix(snap: Snapshot, result: object, written: list[str]) -> None:
    doc = fix_document(snap, result, written)  # redacted: what JSON prints
    out = _out()
    rep = doc["repair"]
    if rep is None:
        n = len(doc["errors"])
        out.print("Nothing to fix: no error finding." if not n else
                  f"No verified repair for the {n} error finding(s) (`podpath check` explains them).")
    else:
        for mistake, fx in zip(rep["mistakes"], rep["fixes"]):
            out.print(f"[bold]mistake:[/] {escape(mistake)}")
            out.print(f"[bold]fix:[/] {escape(fx)}")
        out.print()
        _print_diff(out, rep["diff"])
        out.print()
        out.print(f"[bold]{escape(rep['verified'])}[/]")
        side = rep["side_effects"]
        if side:
            out.print("side effects (what else the patch changes):")
            for c in side[:10]:
                out.print(f"  - {escape(c['text'])}")
            if len(side) > 10:
                out.print(f"  ... and {len(side) - 10} more (--format json lists them)")
        if written:
            out.print(f"written: {escape(', '.join(written))}")
        elif len(doc["alternatives"]):
            out.print(f"[dim]{len(doc['alternatives'])} other verified repair(s) ranked lower (--format json "
                      "lists them)[/]")
    for n in doc["notes"]:
        out.print(f"[yellow]note:[/] {escape(n)}")


def write_patch(snap: Snapshot, patch: Patch) -> list[str]:
    """Apply `patch` to the snapshot's files. Every file is re-read first and must hold exactly the text podpath
    read (else PatchConflict, nothing written); each is then replaced atomically, its mode and a UTF-8
    byte-order mark kept."""
    base = snap.root if snap.root.is_dir() else snap.root.parent
    current: dict[str, str] = {}
    boms: dict[str, bool] = {}
    for name in patch.files:
        path = base / name
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise PatchConflict(f"{name}: cannot be read ({e.strerror or e})") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PatchConflict(f"{name}: not UTF-8 text; edit it by hand") from None
        if text != snap.texts.get(name):
            raise PatchConflict(f"{name}: changed since podpath read it")
        current[name] = text
        boms[name] = raw.startswith(b"\xef\xbb\xbf")
    new = patch.apply(current)  # PatchConflict if an edit no longer matches its line
    for name, text in sorted(new.items()):
        path = base / name
        data = (b"\xef\xbb\xbf" if boms[name] else b"") + text.encode("utf-8")
        mode = os.stat(path).st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".podpath", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return sorted(new)
