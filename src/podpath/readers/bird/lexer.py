"""BIRD 2 configuration tokens, with line and column for every token."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Tok:
    kind: str  # string, ip, prefix, number, ident, op, eof
    value: str
    line: int
    col: int

    def __str__(self) -> str:
        return "end of file" if self.kind == "eof" else repr(self.value)


def tokenize(text: str, file: str, diags: Diagnostics) -> list[Tok]:
    toks: list[Tok] = []
    pos = 0
    line, line_start = 1, 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            col = pos - line_start + 1
            src = text[line_start:text.find("\n", pos) if "\n" in text[pos:] else n]
            diags.error(Loc(file, line, col), f"unexpected character {text[pos]!r}", src)
            pos += 1
            continue
        kind = m.lastgroup or ""
        value = m.group(0)
        if kind not in ("ws", "comment"):
            if kind in ("ip6", "ip4"):
                kind = "prefix" if "/" in value else "ip"
            elif kind == "string":
                value = value[1:-1]
            toks.append(Tok(kind, value, line, pos - line_start + 1))
        nl = value.count("\n") if kind in ("ws", "comment") else m.group(0).count("\n")
        if nl:
            line += nl
            line_start = m.start() + m.group(0).rfind("\n") + 1
        pos = m.end()
    toks.append(Tok("eof", "", line, pos - line_start + 1))
    return toks
