"""Textual edits of the user's own files: what a repair *is* to the user.

A repair operator proposes a `Patch` (line edits at file:line); `podpath.repair.verify` applies it to a copy of
the snapshot's texts (`podpath.load(..., overlay=...)`), never to the files, and re-simulates. The same patch
prints as a unified diff (`podpath fix`) or is written (`podpath fix --write`)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


class PatchConflict(ValueError):
    """The file no longer holds the text the edit was computed against (or two edits overlap)."""


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace lines `line`..`line + len(old) - 1` of `file` (1-based; `old` may be empty: insert before
    `line`, and `line` = number of lines + 1 appends) by `new`. `old` is the exact text expected there, so a
    stale patch is refused instead of corrupting the file."""

    file: str  # the file's name as podpath shows it (relative to the snapshot root)
    line: int
    old: tuple[str, ...]
    new: tuple[str, ...]

    @staticmethod
    def replace_line(file: str, line: int, old: str, new: str) -> "TextEdit":
        return TextEdit(file, line, (old,), (new,))

    @staticmethod
    def insert_before(file: str, line: int, *new: str) -> "TextEdit":
        return TextEdit(file, line, (), tuple(new))

    @staticmethod
    def insert_after(file: str, line: int, *new: str) -> "TextEdit":
        return TextEdit(file, line + 1, (), tuple(new))

    @staticmethod
    def delete_line(file: str, line: int, old: str) -> "TextEdit":
        return TextEdit(file, line, (old,), ())

    @property
    def size(self) -> int:
        """Lines touched: how big the change is to the reader of the diff (ranking prefers small)."""
        return max(len(self.old), len(self.new)) if self.old and self.new else len(self.old) + len(self.new)


@dataclass(frozen=True)
class Patch:
    """One or more edits that belong together (a repair); sorted, so equal patches compare equal."""

    edits: tuple[TextEdit, ...]

    def __init__(self, edits: "tuple[TextEdit, ...] | list[TextEdit]") -> None:
        object.__setattr__(self, "edits", tuple(sorted(set(edits))))

    @property
    def files(self) -> list[str]:
        return sorted({e.file for e in self.edits})

    @property
    def size(self) -> int:
        return sum(e.size for e in self.edits)

    def __add__(self, other: "Patch") -> "Patch":
        return Patch(self.edits + other.edits)

    def apply(self, texts: dict[str, str]) -> dict[str, str]:
        """The changed files' new texts (only those), or PatchConflict."""
        out: dict[str, str] = {}
        for file in self.files:
            if file not in texts:
                raise PatchConflict(f"{file}: not in the snapshot")
            out[file] = apply_edits(texts[file], [e for e in self.edits if e.file == file])
        return out

    def diff(self, texts: dict[str, str]) -> str:
        """A unified diff (`a/FILE`, `b/FILE`, 3 lines of context) that `patch -p1`/`git apply` accept
        from the snapshot's root."""
        new = self.apply(texts)
        parts: list[str] = []
        for file in self.files:
            before = texts[file].splitlines(keepends=True)
            after = new[file].splitlines(keepends=True)
            for line in difflib.unified_diff(before, after, f"a/{file}", f"b/{file}"):
                parts.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(parts)


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """`text` with `edits` (all of one file) applied, bottom-up so line numbers stay valid."""
    lines = text.splitlines(keepends=True)
    eol = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += eol
        trailing = False
    else:
        trailing = True
    last_start = len(lines) + 2
    for e in sorted(edits, key=lambda e: (e.line, len(e.old)), reverse=True):
        start = e.line - 1
        end = start + len(e.old)
        if start < 0 or end > len(lines) or (e.old and start > len(lines)) or start > len(lines):
            raise PatchConflict(f"{e.file}:{e.line}: the file has {len(lines)} lines")
        if end > last_start:
            raise PatchConflict(f"{e.file}:{e.line}: overlapping edits")
        have = [l.rstrip("\r\n") for l in lines[start:end]]
        if have != list(e.old):
            raise PatchConflict(f"{e.file}:{e.line}: expected {e.old[0] if e.old else ''!r}, the file has "
                                f"{have[0] if have else ''!r}")
        lines[start:end] = [n + eol for n in e.new]
        last_start = start
    out = "".join(lines)
    if not trailing and out.endswith(eol):
        out = out[: -len(eol)]
    return out
