"""Typed syntax tree of a BIRD 2 configuration file. Every node carries its Loc.

Two layers: the filter language (expressions and statements, interpreted by interp.py)
and configuration entries (protocols, channels, generic options) that build.py turns
into the model of model.py. Literal values are already BIRD runtime values
(values.py), so the interpreter does not convert them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from podpath.diagnostics import Loc


class Node:
    """Base of all nodes. `at` is where the node starts: a Loc, or the lexer token it was
    built from (turned into a Loc on first use of `.loc`; the parser creates a few
    hundred thousand nodes per 100k lines, most of whose locations are never looked at)."""

    __slots__ = ()
    at: Any

    @property
    def loc(self) -> Loc:
        a = self.at
        if a.__class__ is Loc:
            return a
        loc = Loc(a.file, a.line, a.column)
        self.at = loc
        return loc

    @loc.setter
    def loc(self, value: Any) -> None:
        self.at = value

    def __deepcopy__(self, memo: dict[int, Any]) -> "Node":
        """Syntax trees are never changed once parsed: copies of a protocol (templates) share them."""
        return self


# ---- expressions ---------------------------------------------------------------------------------

@dataclass(slots=True)
class Const(Node):
    """A literal: int, bool, str, ip, prefix, route distinguisher, enum constant."""

    at: Any
    value: Any
    text: str = ""


@dataclass(slots=True)
class Name(Node):
    """A symbol: variable, argument, `define` constant, route attribute or enum."""

    at: Any
    name: str


@dataclass(slots=True)
class Binary(Node):
    """`+ - * / = != < > <= >= ~ !~ && ||` (&& and || short-circuit)."""

    at: Any
    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class Not(Node):
    at: Any
    expr: Expr


@dataclass(slots=True)
class Member(Node):
    """`expr.name` without arguments: `.len`, `.first`, `.ip`, `.asn`, `.empty`..."""

    at: Any
    obj: Expr
    name: str


@dataclass(slots=True)
class MethodCall(Node):
    """`expr.name(args)`: `.add()`, `.delete()`, `.filter()`, `.prepend()`, `.mask()`."""

    at: Any
    obj: Expr
    name: str
    args: list[Expr]


@dataclass(slots=True)
class Call(Node):
    """A function call, or a built-in written like one: defined(), add(), delete(),
    filter(), prepend(), roa_check(), format(), from_hex(), unset()."""

    at: Any
    name: str
    args: list[Expr]


@dataclass(slots=True)
class PairCons(Node):
    at: Any
    a: Expr
    b: Expr


@dataclass(slots=True)
class LcCons(Node):
    at: Any
    a: Expr
    b: Expr
    c: Expr


@dataclass(slots=True)
class EcCons(Node):
    at: Any
    kind: str  # rt | ro | generic | unknown N
    a: Expr
    b: Expr
    subtype: int = 0  # for `unknown N`


@dataclass(slots=True)
class EmptyList(Node):
    at: Any
    kind: str  # path | clist | eclist | lclist


# Set literals are constant in BIRD; their atoms are evaluated once, at configuration time.
@dataclass(slots=True)
class Star(Node):
    """`*` inside a pair / large community / extended community set item."""

    at: Any

@dataclass(slots=True)
class Part(Node):
    """One component of a tuple set item: a value, a range `a..b`, or `*`."""

    at: Any
    lo: Expr | None  # None: `*`
    hi: Expr | None = None  # set for ranges


@dataclass(slots=True)
class TupleItem(Node):
    at: Any
    kind: str  # pair | lc | ec
    parts: list[Part]
    ec_kind: str = ""
    ec_subtype: int = 0


@dataclass(slots=True)
class SetItem(Node):
    at: Any
    lo: Expr | TupleItem
    hi: Expr | TupleItem | None = None  # `lo..hi`


@dataclass(slots=True)
class SetLit(Node):
    at: Any
    items: list[SetItem]


@dataclass(slots=True)
class PrefixPattern(Node):
    """`P`, `P+`, `P-`, `P{lo,hi}`: lo/hi are the accepted prefix lengths."""

    at: Any
    net: Any
    lo: int
    hi: int
    text: str = ""


@dataclass(slots=True)
class PrefixSetLit(Node):
    at: Any
    items: list[PrefixPattern]


@dataclass(slots=True)
class MaskItem(Node):
    """One BGP path mask item: kind asn | range | any (`*`) | one (`?`) | loop (`+`) | set | expr."""

    at: Any
    kind: str
    value: Any = None
    hi: Any = None


@dataclass(slots=True)
class PathMaskLit(Node):
    at: Any
    items: list[MaskItem]


Expr = Union[Const, Name, Binary, Not, Member, MethodCall, Call, PairCons, LcCons, EcCons, EmptyList, SetLit,
             PrefixSetLit, PathMaskLit]


# ---- statements ----------------------------------------------------------------------------------

@dataclass(slots=True)
class Block(Node):
    at: Any
    stmts: list[Stmt]


@dataclass(slots=True)
class If(Node):
    at: Any
    cond: Expr
    then: Stmt
    else_: Stmt | None = None


@dataclass(slots=True)
class CaseArm(Node):
    at: Any
    items: list[SetItem]  # empty for `else:`
    body: list[Stmt]
    is_else: bool = False


@dataclass(slots=True)
class Case(Node):
    at: Any
    expr: Expr
    arms: list[CaseArm]


@dataclass(slots=True)
class For(Node):
    at: Any
    var_type: str | None  # None: 2.0 form reusing a declared variable
    var: str
    expr: Expr
    body: Stmt


@dataclass(slots=True)
class Assign(Node):
    at: Any
    target: str
    expr: Expr


@dataclass(slots=True)
class MethodStmt(Node):
    """`lvalue.method(args);` - assigns the method's result back to the lvalue."""

    at: Any
    target: str
    method: str
    args: list[Expr]


@dataclass(slots=True)
class CallStmt(Node):
    at: Any
    call: Call


@dataclass(slots=True)
class Return(Node):
    at: Any
    expr: Expr


@dataclass(slots=True)
class Verdict(Node):
    at: Any
    kind: str  # accept | reject | error
    args: list[Expr] = field(default_factory=list)  # printed before the verdict


@dataclass(slots=True)
class Print(Node):
    at: Any
    args: list[Expr]
    newline: bool = True  # print vs printn


@dataclass(slots=True)
class VarDecl(Node):
    at: Any
    type: str  # e.g. "int", "prefix set", "bgppath"
    name: str
    init: Expr | None = None


Stmt = Union[Block, If, Case, For, Assign, MethodStmt, CallStmt, Return, Verdict, Print, VarDecl]


# ---- configuration entries -----------------------------------------------------------------------

@dataclass(slots=True)
class Word(Node):
    """One token of a generic statement. kind: name | num | ip | prefix | rd | string | enum |
    punct | expr (a parenthesised expression, `value` is the Expr)."""

    at: Any
    kind: str
    text: str
    value: Any = None


@dataclass(slots=True)
class Generic(Node):
    """An option or statement kept as words: `local as 65000;`, `next hop self;`,
    `bfd { ... };` (block = the tokens of the block, None without a block)."""

    at: Any
    words: list[Word]
    block: list[Word] | None = None
    end: Loc | None = None  # the ';' or '}' ending it

    def key(self, n: int | None = None) -> str:
        out = []
        for w in self.words[:n] if n else self.words:
            if w.kind != "name":
                break
            out.append(w.text)
        return " ".join(out)


@dataclass(slots=True)
class FilterRef(Node):
    """`import|export all | none | filter NAME | filter {...} | where EXPR`."""

    at: Any
    kind: str  # all | none | named | inline | where
    name: str | None = None
    body: FilterDecl | None = None
    expr: Expr | None = None


@dataclass(slots=True)
class ImportExport(Node):
    at: Any
    direction: str  # import | export
    ref: FilterRef | None  # None: an option such as `import keep filtered on`
    option: Generic | None = None


@dataclass(slots=True)
class ChannelDecl(Node):
    at: Any
    afi: str  # ipv4 | ipv6 | ipv4 multicast | vpn6 mpls | mpls ...
    items: list[Any] | None  # None: bare `ipv6;`


@dataclass(slots=True)
class StaticRouteDecl(Node):
    at: Any
    words: list[Word]
    cmds: Block | None = None


@dataclass(slots=True)
class ProtocolDecl(Node):
    at: Any
    is_template: bool
    names: list[Word]  # type [variant] [name]
    parent: str | None
    parent_loc: Loc | None
    items: list[Any]
    end: Loc | None = None


@dataclass(slots=True)
class DefineDecl(Node):
    at: Any
    name: str
    expr: Expr


@dataclass(slots=True)
class Param(Node):
    at: Any
    type: str
    name: str


@dataclass(slots=True)
class FilterDecl(Node):
    at: Any
    name: str | None  # None: inline `filter { ... }`
    vars: list[VarDecl]
    body: Block


@dataclass(slots=True)
class FunctionDecl(Node):
    at: Any
    name: str
    params: list[Param]
    return_type: str | None
    vars: list[VarDecl]
    body: Block


@dataclass(slots=True)
class AttributeDecl(Node):
    at: Any
    type: str
    name: str
    bgp_code: int | None = None


@dataclass(slots=True)
class EvalDecl(Node):
    at: Any
    expr: Expr


Entry = Union[Generic, ProtocolDecl, DefineDecl, FilterDecl, FunctionDecl, AttributeDecl, EvalDecl]
