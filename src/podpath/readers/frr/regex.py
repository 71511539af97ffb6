"""FRR's BGP regular expressions (as-path access-lists, expanded community lists).

FRR replaces every `_` with `(^|[,{}() ]|$)` (begin, end, or an AS-path/community
delimiter) and hands the result to the C library's `regcomp(REG_EXTENDED)` -- glibc
POSIX extended syntax on Linux builds, including Debian's. This module parses that
syntax into a small tree and evaluates it without the C library:

* bracket expressions (`[[:digit:]]`, literal `\\` and `]` inside brackets), stacked
  quantifiers (`a+?` is `(a+)?` in POSIX, not a lazy `+`), intervals (`{,n}`), GNU
  escapes (`\\<`, `\\>`, `\\w`, back-references), and the cases glibc rejects (a leading
  `*`, bad ranges) raise `FrrRegexError`, as FRR rejects such lines;
* ordinary expressions run as Python `re` patterns; expressions where a backtracking
  engine can take exponential time (a repetition of something that itself repeats or
  alternates, e.g. `(6*)*$`) run on a Thompson NFA instead, linear in the subject, as
  glibc's engine never blows up on them.

tests/readers/frr/test_frr_regex.py checks the results against glibc itself.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable, Union

MAGIC_UNDERSCORE = "(^|[,{}() ]|$)"
_DUP_MAX = 0x7FFF
_NFA_MAX_STATES = 20000

_CLASSES: dict[str, str] = {  # ASCII members of each POSIX class (subjects are ASCII)
    "alpha": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "lower": "abcdefghijklmnopqrstuvwxyz", "digit": "0123456789",
    "xdigit": "0123456789ABCDEFabcdef", "alnum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "space": " \t\n\r\f\v", "blank": " \t", "punct": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "print": "".join(chr(c) for c in range(0x20, 0x7F)), "graph": "".join(chr(c) for c in range(0x21, 0x7F)),
    "cntrl": "".join(chr(c) for c in range(0x20)) + "\x7f",
}
_WORD = frozenset(_CLASSES["alnum"] + "_")
_SPACE = frozenset(_CLASSES["space"])


class FrrRegexError(ValueError):
    """The expression does not compile with regcomp(REG_EXTENDED); FRR rejects the line."""


# ------------------------------------------------------------------------------------------- tree

@dataclass(frozen=True)
class Chars:
    """One character from a set (`negate`: any character not in it); `dot` = any."""

    members: frozenset[str]
    negate: bool = False

    def test(self, ch: str) -> bool:
        return (ch in self.members) != self.negate


@dataclass(frozen=True)
class Assert:
    kind: str  # bol eol wordb nwordb wstart wend


@dataclass(frozen=True)
class Cat:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Alt:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Rep:
    item: "Node"
    lo: int
    hi: int | None  # None = unbounded


@dataclass(frozen=True)
class Group:
    item: "Node"
    number: int


@dataclass(frozen=True)
class BackRef:
    number: int


Node = Union[Chars, Assert, Cat, Alt, Rep, Group, BackRef]
DOT = Chars(frozenset(), negate=True)
_GNU_ESCAPES: dict[str, Node] = {
    "w": Chars(_WORD), "W": Chars(_WORD, True), "s": Chars(_SPACE), "S": Chars(_SPACE, True),
    "b": Assert("wordb"), "B": Assert("nwordb"), "<": Assert("wstart"), ">": Assert("wend"),
    "`": Assert("bol"), "'": Assert("eol"),
}


def parse(expr: str) -> Node:
    """Parse an FRR regex (as written in the config, `_` included) into a tree."""
    return _Parser(expr.replace("_", MAGIC_UNDERSCORE)).run()


class _Parser:
    """Recursive descent over POSIX ERE, with glibc's choices where POSIX leaves room."""

    def __init__(self, src: str) -> None:
        self.s = src
        self.i = 0
        self.groups_open = 0
        self.completed: set[int] = set()  # groups a back-reference may name here (glibc rule)
        self.depth = 0

    def err(self, what: str) -> FrrRegexError:
        return FrrRegexError(f"{what} (at offset {self.i} of {self.s!r})")

    def run(self) -> Node:
        return self.alternation()

    def alternation(self) -> Node:
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
        return parts[0] if len(parts) == 1 else Alt(tuple(parts))

    def branch(self) -> Node:
        out: list[Node] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "|" or (c == ")" and self.depth > 0):
                break
            out.append(self.piece())
        return out[0] if len(out) == 1 else Cat(tuple(out))

    def piece(self) -> Node:
        s = self.s
        c = s[self.i]
        repeatable = True
        atom: Node
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
            atom = Group(inner, number)
        elif c == ")":  # an unmatched right parenthesis is an ordinary character in glibc ERE
            self.i += 1
            atom = Chars(frozenset(")"))
        elif c == "^":
            self.i += 1
            atom, repeatable = Assert("bol"), False
        elif c == "$":
            self.i += 1
            atom, repeatable = Assert("eol"), False
        elif c == ".":
            self.i += 1
            atom = DOT
        elif c == "[":
            atom = self.bracket()
        elif c == "\\":
            atom = self.escape()
            repeatable = not isinstance(atom, Assert)
        else:
            self.i += 1
            atom = Chars(frozenset(c))
        while self.i < len(s):  # quantifiers stack: each applies to the previous result
            q = s[self.i]
            if q in "*+?":
                if not repeatable:
                    raise self.err(f"repetition operator {q!r} after an anchor")
                self.i += 1
                atom = Rep(atom, 1 if q == "+" else 0, 1 if q == "?" else None)
            elif q == "{":
                if not repeatable:
                    raise self.err("interval after an anchor")
                lo, hi = self.interval()
                atom = Rep(atom, lo, hi)
            else:
                break
        return atom

    def interval(self) -> tuple[int, int | None]:
        m = re.compile(r"\{(\d*)(,(\d*))?\}").match(self.s, self.i)
        if not m:
            raise self.err("malformed interval")
        self.i = m.end()
        lo_s, comma, hi_s = m.group(1), m.group(2), m.group(3)
        if comma is None and not lo_s:
            raise self.err("empty interval")
        lo = int(lo_s) if lo_s else 0
        hi = lo if comma is None else (int(hi_s) if hi_s else None)
        if lo > _DUP_MAX or (hi is not None and (hi > _DUP_MAX or hi < lo)):
            raise self.err("invalid interval bounds")
        return lo, hi

    def escape(self) -> Node:
        s = self.s
        if self.i + 1 >= len(s):
            raise self.err("trailing backslash")
        c = s[self.i + 1]
        self.i += 2
        if c in "123456789":
            n = int(c)
            if n not in self.completed:
                raise self.err(f"back-reference \\{n} to a group that is not closed")
            return BackRef(n)
        if c in _GNU_ESCAPES:
            return _GNU_ESCAPES[c]
        return Chars(frozenset(c))

    def bracket(self) -> Node:
        s = self.s
        self.i += 1  # '['
        negate = False
        if self.i < len(s) and s[self.i] == "^":
            negate = True
            self.i += 1
        members: set[str] = set()
        first = True
        while True:
            if self.i >= len(s):
                raise self.err("unterminated bracket expression")
            if s[self.i] == "]" and not first:
                self.i += 1
                break
            first = False
            lo, kind = self.bracket_element()
            if not self._range_follows():
                members.update(_CLASSES[lo] if kind == ":" else lo)
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
            members.update(chr(x) for x in range(ord(lo), min(ord(hi), 0xFF) + 1))  # subjects are ASCII
            members.add(hi)
        return Chars(frozenset(members), negate)

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


# ------------------------------------------------------------------------------------------- Python backend

_ASSERT_PY = {"bol": "^", "eol": r"(?!.)", "wordb": r"\b", "nwordb": r"\B", "wstart": r"\b(?=\w)",
              "wend": r"\b(?<=\w)"}


def to_python(node: Node) -> str:
    if isinstance(node, Chars):
        if node is DOT or (node.negate and not node.members):
            return "."
        if len(node.members) == 1 and not node.negate:
            return re.escape(next(iter(node.members)))
        body = "".join(c if c.isalnum() and c.isascii() else "\\" + c if ord(c) < 128 else c
                       for c in sorted(node.members))
        if not body:
            return "[^\\x00-\\U0010ffff]"
        return f"[{'^' if node.negate else ''}{body}]"
    if isinstance(node, Assert):
        return _ASSERT_PY[node.kind]
    if isinstance(node, Cat):
        return "".join(to_python(x) for x in node.items)
    if isinstance(node, Alt):
        return "|".join(to_python(x) for x in node.items)
    if isinstance(node, Group):
        return f"({to_python(node.item)})"
    if isinstance(node, BackRef):
        return f"(?:\\{node.number})"
    q = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((node.lo, node.hi))
    if q is None:
        q = f"{{{node.lo},}}" if node.hi is None else f"{{{node.lo},{node.hi}}}"
    return f"(?:{to_python(node.item)}){q}"


def frr_to_python(expr: str) -> str:
    """The Python `re` pattern equivalent to an FRR regex (for display and ordinary use)."""
    return to_python(parse(expr))


# ------------------------------------------------------------------------------------------- NFA backend

def _risky(node: Node, inside_rep: bool = False) -> bool:
    """A repetition around something that repeats or alternates: exponential for backtracking."""
    if isinstance(node, Rep):
        if inside_rep and (node.hi is None or node.hi > 1 or node.lo != node.hi):
            return True
        many = node.hi is None or node.hi > 1
        return _risky(node.item, inside_rep or many)
    if isinstance(node, (Cat, Alt)):
        if inside_rep and isinstance(node, Alt):
            return True
        return any(_risky(x, inside_rep) for x in node.items)
    if isinstance(node, Group):
        return _risky(node.item, inside_rep)
    return False


def _has_backref(node: Node) -> bool:
    if isinstance(node, BackRef):
        return True
    if isinstance(node, (Cat, Alt)):
        return any(_has_backref(x) for x in node.items)
    if isinstance(node, (Group, Rep)):
        return _has_backref(node.item)
    return False


class _Nfa:
    """Thompson NFA: states are ('c', Chars, next) | ('a', kind, next) | ('s', [next...]) | ('m',)."""

    def __init__(self, node: Node) -> None:
        self.states: list[tuple] = []
        self.start = self._build(node, self._add(("m",)))

    def _add(self, st: tuple) -> int:
        if len(self.states) >= _NFA_MAX_STATES:
            raise FrrRegexError("expression too large for the linear-time matcher")
        self.states.append(st)
        return len(self.states) - 1

    def _build(self, node: Node, nxt: int) -> int:
        if isinstance(node, Chars):
            return self._add(("c", node, nxt))
        if isinstance(node, Assert):
            return self._add(("a", node.kind, nxt))
        if isinstance(node, Cat):
            for item in reversed(node.items):
                nxt = self._build(item, nxt)
            return nxt
        if isinstance(node, Alt):
            return self._add(("s", [self._build(x, nxt) for x in node.items]))
        if isinstance(node, Group):
            return self._build(node.item, nxt)
        if isinstance(node, BackRef):  # pragma: no cover - patterns with back-references use `re`
            raise FrrRegexError("back-references need the backtracking matcher")
        assert isinstance(node, Rep)
        if node.hi is None:  # X{lo,} = lo copies, then a loop
            loop = self._add(("s", []))
            body = self._build(node.item, loop)
            self.states[loop] = ("s", [body, nxt])
            head = loop
        else:
            head = self._optional_chain(node, nxt)
        for _ in range(node.lo):
            head = self._build(node.item, head)
        return head

    def _optional_chain(self, node: Rep, nxt: int) -> int:
        """(X(X(X)?)?)? for hi-lo optional copies."""
        assert node.hi is not None
        head = nxt
        for _ in range(node.hi - node.lo):
            split = self._add(("s", []))
            body = self._build(node.item, head)
            self.states[split] = ("s", [body, nxt])
            head = split
        return head

    def search(self, subject: str) -> bool:
        states = self.states
        n = len(subject)
        current: set[int] = set()
        for pos in range(n + 1):
            self._closure(self.start, pos, subject, current)  # unanchored: start anywhere
            for s in current:
                if states[s][0] == "m":
                    return True
            if pos == n:
                break
            ch = subject[pos]
            nxt: set[int] = set()
            for s in current:
                st = states[s]
                if st[0] == "c" and st[1].test(ch):
                    self._closure(st[2], pos + 1, subject, nxt)
            current = nxt
        return False

    def _closure(self, start: int, pos: int, subject: str, out: set[int]) -> None:
        stack = [start]
        states = self.states
        while stack:
            s = stack.pop()
            if s in out:
                continue
            out.add(s)
            st = states[s]
            kind = st[0]
            if kind == "s":
                stack.extend(st[1])
            elif kind == "a" and _assert_ok(st[1], subject, pos):
                stack.append(st[2])


def _assert_ok(kind: str, s: str, pos: int) -> bool:
    if kind == "bol":
        return pos == 0
    if kind == "eol":
        return pos == len(s)
    before = pos > 0 and s[pos - 1] in _WORD
    after = pos < len(s) and s[pos] in _WORD
    if kind == "wordb":
        return before != after
    if kind == "nwordb":
        return before == after
    if kind == "wstart":
        return after and not before
    return before and not after  # wend


# ------------------------------------------------------------------------------------------- API

@functools.lru_cache(maxsize=4096)
def compile_frr(expr: str) -> Callable[[str], bool]:
    """A search function for an FRR regex; raises FrrRegexError like FRR refuses the line."""
    tree = parse(expr)
    if _risky(tree) and not _has_backref(tree):
        nfa = _Nfa(tree)
        return nfa.search
    try:
        pattern = re.compile(to_python(tree), re.ASCII | re.DOTALL)
    except re.error as e:  # pragma: no cover - the parser should catch these first
        raise FrrRegexError(f"invalid regular expression: {e}") from None
    return lambda subject: pattern.search(subject) is not None


def frr_search(expr: str, subject: str) -> bool:
    """regexec() semantics: does the expression match anywhere in `subject`?"""
    return compile_frr(expr)(subject)
