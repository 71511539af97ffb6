"""Source locations and input diagnostics.

Every value podpath reads remembers where it came from (`Loc`), so that findings
and errors can cite `file:line:col`. Readers never raise on bad input: they
append a `Diagnostic` to a `Diagnostics` collector and carry on, so one run
reports every problem in a snapshot at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterator


@dataclass(frozen=True, order=True)
class Loc:
    """A position in an input file. `line` and `col` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.file}:{self.line}:{self.col}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "col": self.col}


class Level(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem with the input itself (not a finding about the network)."""

    loc: Loc
    level: Level
    message: str
    source_line: str | None = field(default=None, compare=False)

    def render(self) -> str:
        text = f"{self.loc}: {self.level.value}: {self.message}"
        if self.source_line is not None and self.loc.col:
            text += "\n    " + self.source_line.rstrip("\n")
            text += "\n    " + " " * (self.loc.col - 1) + "^"
        return text

    def to_json(self) -> dict[str, object]:
        return {"location": self.loc.to_json(), "level": self.level.value, "message": self.message}


class Diagnostics:
    """Collects diagnostics from every reader of one snapshot."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []

    def error(self, loc: Loc, message: str, source_line: str | None = None) -> None:
        self._items.append(Diagnostic(loc, Level.ERROR, message, source_line))

    def warning(self, loc: Loc, message: str, source_line: str | None = None) -> None:
        self._items.append(Diagnostic(loc, Level.WARNING, message, source_line))

    def note(self, loc: Loc, message: str) -> None:
        self._items.append(Diagnostic(loc, Level.NOTE, message))

    def extend(self, other: "Diagnostics") -> None:
        self._items.extend(other._items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.level is Level.ERROR]

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self._items))

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self._items)


class InputError(Exception):
    """Raised inside a reader to abandon one file; the loader turns it into a Diagnostic."""

    def __init__(self, loc: Loc, message: str, source_line: str | None = None) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message
        self.source_line = source_line


@dataclass(frozen=True, order=True)
class Unsupported:
    """A statement podpath recognised but does not model. Listed by `podpath show`;
    its presence marks results as possibly incomplete."""

    loc: Loc
    statement: str
    why: str = "not modelled"
    affects_routes: bool = True

    def to_json(self) -> dict[str, object]:
        return {
            "location": self.loc.to_json(),
            "statement": self.statement,
            "why": self.why,
            "affects_routes": self.affects_routes,
        }
