"""BIRD filter-language syntax tree. Every node carries its Loc."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Loc


@dataclass
class Node:
    loc: Loc


# ---- expressions ---------------------------------------------------------------------------------
@dataclass
class Const(Node):
    value: Any


@dataclass
class Sym(Node):
    name: str


@dataclass
class Member(Node):
    obj: Node
    name: str


@dataclass
class MethodCall(Node):
    obj: Node
    name: str
    args: list[Node]


@dataclass
class Call(Node):
    name: str
    args: list[Node]


@dataclass
class Unary(Node):
    op: str
    expr: Node


@dataclass
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass
class Tuple(Node):
    """(a, b) pair, (a, b, c) large community, (rt, a, b) extended community."""

    items: list[Node]


@dataclass
class SetItem:
    kind: str  # value | range | prefix
    a: Any = None
    b: Any = None
    lo: int = 0  # prefix patterns: accepted length range
    hi: int = 0


@dataclass
class SetLit(Node):
    items: list[Any]  # SetItem, or Tuple with wildcard/range parts


@dataclass
class PathMask(Node):
    items: list[Any]  # int, "*", "?", Node


# ---- statements ----------------------------------------------------------------------------------
@dataclass
class If(Node):
    cond: Node
    then: list[Node]
    else_: list[Node] | None = None


@dataclass
class Verdict(Node):
    accept: bool
    message: str | None = None


@dataclass
class Return(Node):
    expr: Node | None = None


@dataclass
class Assign(Node):
    target: str
    expr: Node


@dataclass
class ExprStmt(Node):
    expr: Node


@dataclass
class Print(Node):
    args: list[Node]


@dataclass
class Case(Node):
    expr: Node
    arms: list[tuple[list[Any], list[Node]]]
    else_: list[Node] | None = None


@dataclass
class VarDecl(Node):
    type: str
    name: str
    init: Node | None = None


@dataclass
class For(Node):
    var: str
    iterable: Node
    body: list[Node] = field(default_factory=list)


@dataclass
class Function:
    name: str
    loc: Loc
    params: list[tuple[str, str]]  # (type, name)
    body: list[Node]
    returns: str | None = None


@dataclass
class Filter:
    name: str
    loc: Loc
    body: list[Node]
