"""BIRD 2 configuration tokens, with line and column for every token."""

from __future__ import annotations

import re
from typing import NamedTuple

from podpath.diagnostics import Diagnostics, Loc

_TOKEN = re.compile(r"""
 (?P<ws>[ \t\r\n]+)
|(?P<comment>\#[^\n]*|/\*.*?\*/)
|(?P<string>"(?:[^"\\\n]|\\.)*")
|(?P<ip6>(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d+\.\d+\.\d+\.\d+)?(?:/\d{1,3})?(?![0-9A-Za-z_:]))
|(?P<ip4>\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:/\d{1,2})?(?![0-9.]))
|(?P<number>0x[0-9A-Fa-f]+|\d+)
|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
|(?P<op>\.\.|!=|<=|>=|!~|&&|\|\||->|[{}()\[\];,=<>~!+\-*/.:%?])
""", re.X | re.S)


class Tok(NamedTuple):
    kind: str  # string, ip, prefix, number, ident, op, eof
    value: str
    line: int
    col: int

    def __str__(self) -> str:
        return "end of file" if self.kind == "eof" else repr(self.value)


def tokenize(text: str, file: str, diags: Diagnostics) -> list[Tok]:
    toks: list[Tok] = []
    append = toks.append
    pos = 0
    line, line_start = 1, 0
    n = len(text)
    match = _TOKEN.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            col = pos - line_start + 1
            end = text.find("\n", pos)
            diags.error(Loc(file, line, col), f"unexpected character {text[pos]!r}", text[line_start:end if end >= 0 else n])
            pos += 1
            continue
        kind = m.lastgroup
        end = m.end()
        if kind == "ws" or kind == "comment":
            nl = text.count("\n", pos, end)
            if nl:
                line += nl
                line_start = text.rfind("\n", pos, end) + 1
            pos = end
            continue
        value = m.group(kind)  # type: ignore[arg-type]
        if kind == "ip6" or kind == "ip4":
            kind = "prefix" if "/" in value else "ip"
        elif kind == "string":
            value = value[1:-1]
            nl = value.count("\n")
            if nl:
                line += nl
                line_start = text.rfind("\n", pos, end) + 1
        append(Tok(kind, value, line, pos - line_start + 1))  # type: ignore[arg-type]
        pos = end
    toks.append(Tok("eof", "", line, pos - line_start + 1))
    return toks
