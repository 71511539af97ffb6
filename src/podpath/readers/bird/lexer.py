"""Tokens of the BIRD 2 configuration language, for the Lark LALR parser.

The lexer mirrors BIRD's flex rules (conf/cf-lex.l): `#` and `/* */` comments, strings
without escapes, IPv4/IPv6 literals (an address followed by `/len` becomes one prefix
token), route distinguishers, `else:` as one token, `[=` / `=]` for path masks.

Keywords are contextual, like in BIRD 2.14+ where most keywords may also be symbol
names: a word becomes a keyword token only when the parser can accept that keyword in
its current state, otherwise it is a NAME. This keeps the grammar small (protocol
options are parsed as generic word lists and interpreted later) and lets `from`,
`net`, `ip`, `filter` ... be attribute or method names where the grammar wants a name.

`include "file";` is handled here, as BIRD does, at the start of any line: the included
text is lexed in place (depth limit 8), so includes also work inside blocks.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Callable, Iterator

from podpath.diagnostics import Diagnostics, Loc

# An include resolver gets the include path (joined to the including file's directory
# when relative) and returns the file text, a list of (name, text) for glob patterns,
# or None when the file does not exist.
IncludeResolver = Callable[[str], "str | list[tuple[str, str]] | None"]

MAX_INCLUDE_DEPTH = 8


class Tok:
    """A token: terminal name, value, position (`file` differs for included files)."""

    __slots__ = ("type", "value", "line", "column", "file", "start_pos")

    def __init__(self, type: str, value: Any, line: int, column: int, file: str, pos: int = 0) -> None:
        self.type = type
        self.value = value
        self.line = line
        self.column = column
        self.file = file
        self.start_pos = pos

    def loc(self) -> Loc:
        return Loc(self.file, self.line, self.column)

    def __repr__(self) -> str:
        return f"Tok({self.type}, {self.value!r}, {self.line}:{self.column})"


# Keywords of the grammar: word -> terminal name.
KEYWORDS: dict[str, str] = {w: w.upper() for w in """
    protocol template from define filter function attribute eval
    import export all none where route
    ipv4 ipv6 vpn4 vpn6 roa4 roa6 flow4 flow6 mpls aspa
    if then else case for in do return accept reject error print printn
    true false empty rt ro generic unknown
    int bool ip prefix pair quad ec lc bytestring bgpmask bgppath clist eclist lclist set
    """.split()}
KEYWORDS["rd"] = "RD_T"  # the type; RD is the route distinguisher literal
# Words that are keywords even where the parser does not expect them (a syntax error at
# the word itself reads better than one at the next token). Not in this list: words
# that are also option values or method names (filter, all, none, reject in
# `route ... reject`, protocol in `timeformat protocol` ...).
RESERVED = frozenset({"if", "then", "else", "case", "return", "function", "define", "for", "do", "where"})
KEYWORDS["string"] = "STRING_T"

# Enumeration constants (BIRD's CF_ENUM): name -> (enum type, value).
ENUMS: dict[str, tuple[str, int]] = {}
for _t, _prefix, _names in (
    ("rts", "RTS_", ["STATIC", "INHERIT", "DEVICE", "STATIC_DEVICE", "REDIRECT", "RIP", "OSPF", "OSPF_IA",
                     "OSPF_EXT1", "OSPF_EXT2", "BGP", "PIPE", "BABEL", "RPKI", "PERF", "L3VPN", "AGGREGATED"]),
    ("rtd", "RTD_", ["NONE", "UNICAST", "BLACKHOLE", "UNREACHABLE", "PROHIBIT"]),
    ("scope", "SCOPE_", ["HOST", "LINK", "SITE", "ORGANIZATION", "UNIVERSE", "UNDEFINED"]),
    ("net_type", "NET_", ["IP4", "IP6", "VPN4", "VPN6", "ROA4", "ROA6", "FLOW4", "FLOW6", "IP6_SADR", "MPLS",
                          "ASPA"]),
    ("bgp_origin", "ORIGIN_", ["IGP", "EGP", "INCOMPLETE"]),
    ("roa", "ROA_", ["UNKNOWN", "VALID", "INVALID"]),
    ("aspa", "ASPA_", ["UNKNOWN", "VALID", "INVALID"]),
    ("ra_preference", "RA_PREF_", ["LOW", "MEDIUM", "HIGH"]),
    ("mpls_policy", "MPLS_POLICY_", ["NONE", "STATIC", "PREFIX", "AGGREGATE", "VRF"]),
):
    _start = {"rts": 1, "net_type": 1, "rtd": 0}.get(_t, 0)
    for _i, _n in enumerate(_names):
        ENUMS[_prefix + _n] = (_t, _start + _i)
ENUMS["AF_IPV4"] = ("af", 1)
ENUMS["AF_IPV6"] = ("af", 2)
ENUMS["RA_PREF_LOW"] = ("ra_preference", 0x18)
ENUMS["RA_PREF_MEDIUM"] = ("ra_preference", 0x00)
ENUMS["RA_PREF_HIGH"] = ("ra_preference", 0x08)

_X = "[0-9A-Fa-f]"
_IP4 = r"\d+\.\d+\.\d+\.\d+"
# Leading whitespace is part of every match (one regex step per token); the token is
# the named group that matched. Order matters: comments before '/', IPv6 before names
# and numbers (fd00::1, 1:2:3:4), `else:` before names.
_MASTER = re.compile(
    r"[ \t\r\f\v\n]*(?:"
    r"(?P<comment>\#[^\n]*)"
    r"|(?P<ccomment>/\*[\s\S]*?\*/)"
    rf"|(?P<ip6>(?:(?:{_X}*:){{3,}}|{_X}*::)(?:{_IP4}|{_X}*)(?:[ \t]*/[ \t]*(?P<len6>\d+))?)"
    rf"|(?P<rd>{_IP4}:\d+|[02]:\d+:\d+|\d+:\d+)"
    rf"|(?P<ip4>{_IP4}(?:[ \t]*/[ \t]*(?P<len4>\d+))?)"
    r"|(?P<hex>0x[0-9A-Fa-f]+)"
    r"|(?P<num>\d+)"
    r'|(?P<string>"[^"\n]*")'
    r"|(?P<elsecol>else:)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<qname>'[A-Za-z0-9_.:-]+')"
    r"|(?P<op>\.\.|!=|!~|<=|>=|&&|\|\||->|\[=|=\]|[={}:;,.()+*/%<>~\[\]?!|&-])"
    r")"
)
_OPS = {"..": "DDOT", "!=": "NEQ", "!~": "NMA", "<=": "LEQ", ">=": "GEQ", "&&": "AND", "||": "OR", "->": "ARROW",
        "[=": "PO", "=]": "PC", "=": "EQ", "{": "LBRACE", "}": "RBRACE", ":": "COLON", ";": "SEMI",
        ",": "COMMA", ".": "DOT", "(": "LPAR", ")": "RPAR", "+": "PLUS", "*": "STAR", "/": "SLASH",
        "%": "PERCENT", "<": "LT", ">": "GT", "~": "TILDE", "[": "LSQ", "]": "RSQ", "?": "QMARK", "!": "BANG",
        "|": "PIPE", "&": "AMP", "-": "MINUS"}
_INCLUDE = re.compile(r'include[ \t]*"([^"\n]*)"[ \t]*;')

_SPECIAL = frozenset(KEYWORDS) | frozenset(ENUMS)  # words that may be more than a NAME

# Terminal names -> words for error messages.
HUMAN: dict[str, str] = {
    "NAME": "a name", "NUM": "a number", "IP4": "an IPv4 address", "IP6": "an IPv6 address",
    "PFX4": "an IPv4 prefix", "PFX6": "an IPv6 prefix", "RD": "a route distinguisher", "STRING": "a string",
    "ENUM": "a constant like RTS_BGP", "ELSECOL": "'else:'", "$END": "end of file",
    **{v: repr(k) for k, v in _OPS.items()},
    **{v: f"'{k}'" for k, v in KEYWORDS.items()},
}


class LexJob:
    """One piece of text to lex: the whole file, or a slice of it (error recovery)."""

    def __init__(self, text: str, file: str, diags: Diagnostics, resolver: IncludeResolver | None,
                 start: int = 0, end: int | None = None, line: int = 1, col: int = 1, depth: int = 0,
                 on_include: Callable[[str, str], None] | None = None) -> None:
        self.text = text
        self.file = file
        self.diags = diags
        self.resolver = resolver
        self.start = start
        self.end = len(text) if end is None else end
        self.line = line
        self.col = col
        self.depth = depth
        self.on_include = on_include


def _source_line(text: str, pos: int) -> str:
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    return text[a:b if b >= 0 else len(text)]


def tokens(job: LexJob, states: Any = None, stack: list[Any] | None = None) -> Iterator[Tok]:
    """Yield the tokens of `job`. With the parser's `states` table and its live state
    `stack`, a keyword-looking word is a keyword only where the parser accepts that
    keyword (contextual keywords); without them every keyword-looking word is a keyword."""
    text, file, diags = job.text, job.file, job.diags
    pos, end = job.start, job.end
    line = job.line
    line_start = pos - (job.col - 1)  # column 1 is at line_start
    at_line_start = job.col == 1 or not text[line_start:pos].strip()
    keywords, enums, ops, reserved, special = KEYWORDS, ENUMS, _OPS, RESERVED, _SPECIAL
    count, rfind = text.count, text.rfind
    for m in _MASTER.finditer(text, pos, end):
        kind = m.lastgroup
        start, mend = m.span(kind)
        if start != pos:
            ws = m.start()
            if ws != pos:  # characters no token matches
                yield from _bad(job, text, pos, ws, line, line_start)
            nl = count("\n", pos, start)
            if nl:
                line += nl
                line_start = rfind("\n", pos, start) + 1
                at_line_start = True
        pos = mend
        col = start - line_start + 1
        if kind == "name":
            word = text[start:pos]
            first = at_line_start
            at_line_start = False
            if first and word == "include":
                inc = _INCLUDE.match(text, start, end)
                if inc is not None:
                    yield from _include(job, inc.group(1), Loc(file, line, col), _source_line(text, start),
                                        states, stack)
                    # continue after the include statement: restart the scan there
                    yield from tokens(LexJob(text, file, diags, job.resolver, inc.end(), end, line,
                                             inc.end() - line_start + 1, job.depth, job.on_include), states, stack)
                    return
            if word in special:  # a keyword or an enum constant (one look-up for the other names)
                kw = keywords.get(word)
                acc = states[stack[-1]] if stack is not None else None
                if kw is not None and (acc is None or kw in acc or word in reserved):
                    yield Tok(kw, word, line, col, file, start)
                elif word in enums and (acc is None or "ENUM" in acc):
                    yield Tok("ENUM", word, line, col, file, start)
                else:
                    yield Tok("NAME", word, line, col, file, start)
            else:
                yield Tok("NAME", word, line, col, file, start)
            continue
        if kind == "comment" or kind == "ccomment":
            if kind == "ccomment":
                nl = count("\n", start, pos)
                if nl:
                    line += nl
                    line_start = rfind("\n", start, pos) + 1
                    at_line_start = True
            continue
        at_line_start = False
        if kind == "op":
            v = text[start:pos]
            yield Tok(ops[v], v, line, col, file, start)
        elif kind == "num" or kind == "hex":
            v = m.group(kind)
            n = int(v, 16) if kind == "hex" else int(v)
            if n > 0xFFFFFFFF:
                diags.error(Loc(file, line, col), "number out of range (BIRD numbers are 32-bit)",
                            _source_line(text, start))
                n &= 0xFFFFFFFF
            yield Tok("NUM", n, line, col, file, start)
        elif kind == "string":
            yield Tok("STRING", m.group(kind)[1:-1], line, col, file, start)
        elif kind == "ip6" or kind == "ip4":
            t = m.group(kind)
            ln = m.group("len6" if kind == "ip6" else "len4")
            if ln is not None:
                addr = t[:t.index("/")].rstrip()
                yield Tok("PFX6" if kind == "ip6" else "PFX4", (addr, int(ln)), line, col, file, start)
            else:
                yield Tok("IP6" if kind == "ip6" else "IP4", t, line, col, file, start)
        elif kind == "elsecol":
            yield Tok("ELSECOL", "else:", line, col, file, start)
        elif kind == "rd":
            yield Tok("RD", m.group(kind), line, col, file, start)
        else:  # qname
            yield Tok("NAME", m.group(kind)[1:-1], line, col, file, start)
    if pos < end and text[pos:end].strip():
        yield from _bad(job, text, pos, end, line, line_start)


def _bad(job: LexJob, text: str, a: int, b: int, line: int, line_start: int) -> Iterator[Tok]:
    """Report characters that start no token (an unterminated string or comment...)."""
    pos = a
    while pos < b:
        ch = text[pos]
        if ch in " \t\r\f\v\n":
            if ch == "\n":
                line += 1
                line_start = pos + 1
            pos += 1
            continue
        loc = Loc(job.file, line, pos - line_start + 1)
        if ch == '"':
            job.diags.error(loc, "unterminated string", _source_line(text, pos))
            nl = text.find("\n", pos, b)
            pos = b if nl < 0 else nl
        elif text.startswith("/*", pos):
            job.diags.error(loc, "unterminated comment", _source_line(text, pos))
            pos = b
        else:
            job.diags.error(loc, f"unexpected character {ch!r}", _source_line(text, pos))
            pos += 1
    return
    yield  # pragma: no cover - makes this a generator


def _include(job: LexJob, arg: str, loc: Loc, src: str, states: Any, stack: Any) -> Iterator[Tok]:
    if not arg:
        job.diags.error(loc, "include with empty argument", src)
        return
    if job.depth + 1 >= MAX_INCLUDE_DEPTH:
        job.diags.error(loc, f"include {arg!r}: too many nested includes (BIRD allows {MAX_INCLUDE_DEPTH})", src)
        return
    path = arg if posixpath.isabs(arg) else posixpath.normpath(posixpath.join(posixpath.dirname(job.file), arg))
    got = job.resolver(path) if job.resolver is not None else None
    if got is None:
        job.diags.error(loc, f"cannot include {arg!r}: file not found" +
                        ("" if job.resolver is not None else " (no include resolver given)"), src)
        return
    files = [(path, got)] if isinstance(got, str) else list(got)
    if not files and any(c in arg for c in "*?["):
        return  # BIRD: a glob that matches nothing includes nothing
    for name, text in files:
        if job.on_include is not None:
            job.on_include(name, text)
        sub = LexJob(text, name, job.diags, job.resolver, depth=job.depth + 1, on_include=job.on_include)
        yield from tokens(sub, states, stack)
