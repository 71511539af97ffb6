"""FRR's BGP regular expressions (as-path access-lists, expanded community lists).

FRR replaces every `_` with `(^|[,{}() ]|$)` (begin, end, or an AS-path/community
delimiter) and hands the result to the C library's `regcomp(REG_EXTENDED)` -- glibc
POSIX extended syntax on Linux builds, including Debian's. This module translates
that syntax into Python `re` so evaluation needs no C library: bracket expressions
(`[[:digit:]]`, literal `\\` and `]` inside brackets), stacked quantifiers (`a+?`
is `(a+)?` in POSIX, not a lazy `+`), intervals (`{,n}`), GNU escapes (`\\<`,
`\\>`, `\\w`, back-references) and the cases glibc rejects (a leading `*`, bad
ranges) raise `FrrRegexError`, as FRR rejects such lines. tests/readers/frr checks
the translation against glibc itself.
"""

from __future__ import annotations

import functools
import re

MAGIC_UNDERSCORE = "(^|[,{}() ]|$)"
_DUP_MAX = 0x7FFF

_CLASSES = {
    "alpha": "a-zA-Z", "upper": "A-Z", "lower": "a-z", "digit": "0-9", "xdigit": "0-9A-Fa-f",
    "alnum": "0-9A-Za-z", "space": " \\t\\n\\r\\f\\v", "blank": " \\t",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), "print": "\\x20-\\x7e", "graph": "\\x21-\\x7e",
    "cntrl": "\\x00-\\x1f\\x7f",
}
_GNU_ESCAPES = {"w": r"\w", "W": r"\W", "s": r"\s", "S": r"\S", "b": r"\b", "B": r"\B",
                "<": r"\b(?=\w)", ">": r"\b(?<=\w)", "`": r"\A", "'": r"\Z"}


_GNU_ANCHORS = {_GNU_ESCAPES[c] for c in "bB<>`'"}


class FrrRegexError(ValueError):
    """The expression does not compile with regcomp(REG_EXTENDED); FRR rejects the line."""


def frr_to_python(expr: str) -> str:
    """Translate an FRR regex (as written in the config) to a Python pattern string."""
    return _Translator(expr.replace("_", MAGIC_UNDERSCORE)).run()


@functools.lru_cache(maxsize=4096)
def compile_frr(expr: str) -> re.Pattern[str]:
    """Compiled and cached; raises FrrRegexError like FRR would refuse the line."""
    try:
        return re.compile(frr_to_python(expr), re.ASCII | re.DOTALL)
    except re.error as e:  # pragma: no cover - the translator should catch these first
        raise FrrRegexError(f"invalid regular expression: {e}") from None


def frr_search(expr: str, subject: str) -> bool:
    """regexec() semantics: does the expression match anywhere in `subject`?"""
    return compile_frr(expr).search(subject) is not None


class _Translator:
    """Recursive-descent parser of POSIX ERE (glibc flavour) emitting Python syntax."""

    def __init__(self, src: str) -> None:
        self.s = src
        self.i = 0
        self.groups_open = 0
        self.completed: set[int] = set()  # groups a back-reference may name here (glibc rule)
        self.depth = 0

    def err(self, what: str) -> FrrRegexError:
        return FrrRegexError(f"{what} (at offset {self.i} of {self.s!r})")

    def run(self) -> str:
        out = self.alternation()
        if self.i < len(self.s):  # only an unmatched ')' can stop the top level; glibc takes it literally
            raise self.err("unexpected ')'")  # pragma: no cover - handled in piece()
        return out

    def alternation(self) -> str:
        # glibc: inside each branch only groups closed before the alternation or in that
        # branch can be back-referenced; after it, all of them.
        initial = set(self.completed)
        parts = [self.branch()]
        accumulated = set(self.completed)
        while self.i < len(self.s) and self.s[self.i] == "|":
            self.i += 1
            self.completed = set(initial)
            parts.append(self.branch())
            accumulated |= self.completed
        self.completed = accumulated
        return "|".join(parts)

    def branch(self) -> str:
        out: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "|":
                break
            if c == ")" and self.depth > 0:
                break
            out.append(self.piece())
        return "".join(out)

    def piece(self) -> str:
        s = self.s
        c = s[self.i]
        repeatable = True
        if c in "*+?":
            raise self.err(f"repetition operator {c!r} with nothing to repeat")
        if c == "{":
            raise self.err("interval with nothing to repeat")
        if c == "(":
            self.i += 1
            self.depth += 1
            self.groups_open += 1
            number = self.groups_open
            inner = self.alternation()
            if self.i >= len(s) or s[self.i] != ")":
                raise self.err("unmatched '('")
            self.i += 1
            self.depth -= 1
            self.completed.add(number)
            atom = f"({inner})"
        elif c == ")":  # unmatched right parenthesis is an ordinary character in glibc ERE
            self.i += 1
            atom = re.escape(")")
        elif c == "^":
            self.i += 1
            atom, repeatable = "^", False
        elif c == "$":
            self.i += 1
            atom, repeatable = r"(?!.)", False  # end of subject (the subject has no newline)
        elif c == ".":
            self.i += 1
            atom = "."
        elif c == "[":
            atom = self.bracket()
        elif c == "\\":
            atom = self.escape()
            repeatable = atom not in _GNU_ANCHORS
        else:
            self.i += 1
            atom = re.escape(c)
        # quantifiers (stacking allowed: each applies to the previous result)
        while self.i < len(s):
            q = s[self.i]
            if q in "*+?":
                if not repeatable:
                    raise self.err(f"repetition operator {q!r} after an anchor")
                self.i += 1
                atom = f"(?:{atom}){q}"
            elif q == "{":
                if not repeatable:
                    raise self.err("interval after an anchor")
                atom = f"(?:{atom}){self.interval()}"
            else:
                break
        return atom

    def interval(self) -> str:
        s = self.s
        self.i += 1  # '{'
        m = re.compile(r"(\d*)(,(\d*))?\}").match(s, self.i)
        if not m:
            raise self.err("malformed interval")
        self.i = m.end()
        lo_s, comma, hi_s = m.group(1), m.group(2), m.group(3)
        lo = int(lo_s) if lo_s else 0
        if comma is None:
            if not lo_s:
                raise self.err("empty interval")
            hi: int | None = lo
        else:
            hi = int(hi_s) if hi_s else None
        if lo > _DUP_MAX or (hi is not None and (hi > _DUP_MAX or hi < lo)):
            raise self.err("invalid interval bounds")
        if hi is None:
            return f"{{{lo},}}"
        return f"{{{lo}}}" if hi == lo and comma is None else f"{{{lo},{hi}}}"

    def escape(self) -> str:
        s = self.s
        if self.i + 1 >= len(s):
            raise self.err("trailing backslash")
        c = s[self.i + 1]
        self.i += 2
        if c in "123456789":
            n = int(c)
            if n not in self.completed:
                raise self.err(f"back-reference \\{n} to a group that is not closed")
            return f"(?:\\{n})"
        if c in _GNU_ESCAPES:
            return _GNU_ESCAPES[c]
        return re.escape(c)

    def bracket(self) -> str:
        s = self.s
        self.i += 1  # '['
        negate = False
        if self.i < len(s) and s[self.i] == "^":
            negate = True
            self.i += 1
        items: list[str] = []
        first = True
        while True:
            if self.i >= len(s):
                raise self.err("unterminated bracket expression")
            c = s[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            lo, kind = self.bracket_element()
            if kind == ":":
                items.append(_CLASSES[lo])
            if not self._range_follows():
                if kind != ":":
                    items.append(_cls_char(lo))
                continue
            if kind in (":", "="):
                raise self.err("character class as a range start point")
            self.i += 1  # '-'
            hi, hkind = self.bracket_element()
            if hkind in (":", "="):
                raise self.err("character class as a range end point")
            if ord(hi) < ord(lo):
                raise self.err(f"invalid range {lo}-{hi}")
            if self._range_follows():
                raise self.err("a range end point cannot start another range")
            items.append(f"{_cls_char(lo)}-{_cls_char(hi)}")
        body = "".join(items)
        if negate:
            return f"[^{body}]" if body else "[^\\x00-\\U0010ffff]"
        return f"[{body}]"

    def bracket_element(self) -> tuple[str, str]:
        """One element: a character, `[.c.]`, `[=c=]` or `[:class:]` -> (text, kind)."""
        s = self.s
        if s[self.i] == "[" and self.i + 1 < len(s) and s[self.i + 1] in ":=.":
            kind = s[self.i + 1]
            end = s.find(kind + "]", self.i + 2)
            if end < 0:
                raise self.err("unterminated [: :], [= =] or [. .]")
            name = s[self.i + 2:end]
            self.i = end + 2
            if kind == ":":
                if name not in _CLASSES:
                    raise self.err(f"unknown character class [:{name}:]")
                return name, kind
            if len(name) != 1:
                raise self.err(f"unknown collating element {name!r}")
            return name, kind
        self.i += 1
        return s[self.i - 1], ""

    def _range_follows(self) -> bool:
        """A '-' followed by something other than the closing ']' makes a range."""
        s = self.s
        return self.i + 1 < len(s) and s[self.i] == "-" and s[self.i + 1] != "]"


def _cls_char(c: str) -> str:
    return c if c.isalnum() else "\\" + c
