"""Source locations and input diagnostics.

Every value podpath reads remembers where it came from (`Loc`), so that findings
and errors can cite `file:line:col`. Readers never raise on bad input: they
append a `Diagnostic` to a `Diagnostics` collector and carry on, so one run
reports every problem in a snapshot at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from podpath.redact import Secrets


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

    def render(self, secrets: "Secrets | None" = None) -> str:
        """`file:line:col: level: message`, the offending line and a caret under the column.

        Secret material on the quoted line (and, with `secrets`, anywhere) is redacted
        (podpath.redact); the caret moves with it."""
        message = secrets.at(self.message, self.loc.file, self.loc.line) if secrets is not None else self.message
        text = f"{self.loc}: {self.level.value}: {message}"
        if self.source_line is not None and self.loc.col:
            raw = self.source_line.rstrip("\n")
            line = self._redact_line(raw, secrets)
            prefix = self._redact_line(raw[: self.loc.col - 1], secrets)
            col = len(prefix) + 1 if line.startswith(prefix) else min(self.loc.col, len(line) + 1)
            line, col = _window(line, col)
            text += "\n    " + line
            text += "\n    " + " " * (col - 1) + "^"
        return text

    def _redact_line(self, text: str, secrets: "Secrets | None") -> str:
        from podpath.redact import redact_statements

        if secrets is not None:
            return secrets.line(text, self.loc.file, self.loc.line)
        return redact_statements(text)

    def to_json(self) -> dict[str, object]:
        return {"location": self.loc.to_json(), "level": self.level.value, "message": self.message}


def _window(line: str, col: int, width: int = 160) -> tuple[str, int]:
    """At most `width` characters of a quoted source line around `col` (a minified or generated file may hold
    megabytes on one line), with the column moved to match."""
    if len(line) <= width:
        return line, col
    start = max(0, min(col - 1 - width // 2, len(line) - width))
    shown = ("..." if start else "") + line[start:start + width] + ("..." if start + width < len(line) else "")
    return shown, col - start + (3 if start else 0)


MAX_PER_FILE = 100
"""Diagnostics kept per file; the rest are counted in one summary at the first one not kept (a damaged file
can hold an error on every character, and each printed diagnostic quotes its line)."""


class Diagnostics:
    """Collects diagnostics from every reader of one snapshot."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []
        self._per_file: dict[str, int] = {}
        self._dropped: dict[str, list[Any]] = {}  # file -> [first location not kept, errors, others]

    def _add(self, d: Diagnostic) -> None:
        n = self._per_file.get(d.loc.file, 0)
        if n >= MAX_PER_FILE:
            c = self._dropped.setdefault(d.loc.file, [d.loc, 0, 0])
            c[0] = min(c[0], d.loc)
            c[1 if d.level is Level.ERROR else 2] += 1
            return
        self._per_file[d.loc.file] = n + 1
        self._items.append(d)

    def error(self, loc: Loc, message: str, source_line: str | None = None) -> None:
        self._add(Diagnostic(loc, Level.ERROR, message, source_line))

    def warning(self, loc: Loc, message: str, source_line: str | None = None) -> None:
        self._add(Diagnostic(loc, Level.WARNING, message, source_line))

    def note(self, loc: Loc, message: str) -> None:
        self._add(Diagnostic(loc, Level.NOTE, message))

    def add(self, level: "Level", loc: Loc, message: str, source_line: str | None = None) -> None:
        self._add(Diagnostic(loc, level, message, source_line))

    def drop(self, unwanted: "Callable[[Diagnostic], bool]") -> None:
        """Forget diagnostics that a later reading made wrong (a file first thought of no kind podpath reads,
        then read as Ansible variables)."""
        self._items = [d for d in self._items if not unwanted(d)]

    def extend(self, other: "Diagnostics") -> None:
        for d in other._items:
            self._add(d)
        for file, (loc, errors, others) in other._dropped.items():
            c = self._dropped.setdefault(file, [loc, 0, 0])
            c[0], c[1], c[2] = min(c[0], loc), c[1] + errors, c[2] + others

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.level is Level.ERROR]

    def sorted(self) -> list[Diagnostic]:
        items = set(self._items)
        for file, (loc, errors, others) in self._dropped.items():
            items.add(Diagnostic(loc, Level.ERROR if errors else Level.NOTE,
                                 f"{errors + others:,} more diagnostic(s) in {file} from here on are not shown "
                                 f"({errors:,} error(s); podpath shows the first {MAX_PER_FILE} of a file)"))
        return sorted(items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self._items) + sum(c[1] + c[2] for c in self._dropped.values())


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
    # The routes the statement can add, remove or change, by the protocol that carries them ("ospf",
    # "ospf6"), as its reader knows; "" for none; None: decided from its text (network.may_add_routes).
    route_source: str | None = None

    def to_json(self) -> dict[str, object]:
        from podpath.redact import redact_statements

        return {
            "location": self.loc.to_json(),
            "statement": redact_statements(self.statement),
            "why": self.why,
            "affects_routes": self.affects_routes,
        }
