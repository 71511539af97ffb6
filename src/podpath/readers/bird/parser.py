"""BIRD 2 configuration parser (recursive descent over `lexer` tokens).

Follows the structure of BIRD's own grammar (conf/confbase.Y, filter/config.Y,
nest/config.Y, proto/bgp/config.Y): top-level options, `protocol`/`template`
blocks with channels, and the filter language. Syntax errors are reported as
`file:line:col: expected X, found Y` with the source line; parsing resumes at the
next top-level keyword so that every error in a file is reported. Statements that
are recognised but not modelled are recorded as `Unsupported`.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.readers.bird import ast as A
from podpath.readers.bird.lexer import Tok, tokenize
from podpath.readers.bird.model import BirdConfig, Channel, FilterSpec, Protocol, StaticRoute

_TOP = {"protocol", "template", "filter", "function", "define", "router", "log", "debug", "timeformat", "include",
        "ipv4", "ipv6", "attribute", "mpls", "roa4", "roa6", "vpn4", "vpn6", "flow4", "flow6", "mrtdump", "graceful",
        "watchdog", "hostname", "cli", "eval", "table", "threads", "platform"}
_MODELLED_PROTOCOLS = {"bgp", "static", "kernel", "direct", "device", "pipe"}
_CHANNELS = {"ipv4", "ipv6", "vpn4", "vpn6", "ipv4", "flow4", "flow6", "roa4", "roa6", "mpls", "evpn"}
_TYPES = {"int", "bool", "ip", "prefix", "pair", "quad", "ec", "lc", "string", "bgpmask", "bgppath", "clist",
          "eclist", "lclist", "rd", "enum", "route"}
_COSMETIC = {"description", "debug", "hold", "keepalive", "connect", "startup", "error", "graceful", "long",
             "password", "bfd", "scan", "strict", "check", "enable", "capabilities", "advertise", "disable",
             "interpret", "ttl", "setkey", "dynamic", "mrtdump", "vrf", "persist", "merge", "learn"}


class ParseError(Exception):
    def __init__(self, tok: Tok, expected: str) -> None:
        super().__init__(expected)
        self.tok = tok
        self.expected = expected


class BirdParser:
    def __init__(self, text: str, file: str, diags: Diagnostics) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.file = file
        self.diags = diags
        self.toks = tokenize(text, file, diags)
        self.i = 0
        self.cfg = BirdConfig(file)

    # ---- token helpers --------------------------------------------------------------------------
    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def loc(self, t: Tok | None = None) -> Loc:
        t = t or self.tok
        return Loc(self.file, t.line, t.col)

    def at(self, *values: str) -> bool:
        return self.tok.kind in ("ident", "op") and self.tok.value in values

    def take(self, value: str | None = None, kind: str | None = None, what: str | None = None) -> Tok:
        t = self.tok
        if (value is not None and not (t.value == value and t.kind in ("ident", "op"))) or (
                kind is not None and t.kind != kind):
            raise ParseError(t, what or (repr(value) if value else kind or "token"))
        self.i += 1
        return t

    def maybe(self, value: str) -> bool:
        if self.at(value):
            self.i += 1
            return True
        return False

    def error(self, e: ParseError) -> None:
        t = e.tok
        src = self.lines[t.line - 1] if 0 < t.line <= len(self.lines) else None
        self.diags.error(Loc(self.file, t.line, t.col), f"expected {e.expected}, found {t}", src)

    def unsupported(self, loc: Loc, statement: str, why: str, affects: bool = True) -> None:
        self.cfg.unsupported.append(Unsupported(loc, statement, why, affects))

    def skip_statement(self) -> list[Tok]:
        """Consume tokens up to and including the `;` (or a balanced block) that ends a statement."""
        out: list[Tok] = []
        depth = 0
        while self.tok.kind != "eof":
            t = self.take()
            out.append(t)
            if t.value in ("{", "(", "[") and t.kind == "op":
                depth += 1
            elif t.value in ("}", ")", "]") and t.kind == "op":
                depth -= 1
                if depth == 0 and t.value == "}":
                    self.maybe(";")
                    break
                if depth < 0:
                    break
            elif t.value == ";" and depth == 0:
                break
        return out

    # ---- top level ------------------------------------------------------------------------------
    def parse(self) -> BirdConfig:
        while self.tok.kind != "eof":
            start = self.i
            try:
                self.top()
            except ParseError as e:
                self.error(e)
                self.i = max(self.i, start + 1)
                while self.tok.kind != "eof" and not (self.tok.kind == "ident" and self.tok.value in
                                                      ("protocol", "template", "filter", "function", "define")
                                                      and self.tok.col == 1):
                    self.i += 1
        self._resolve_templates()
        return self.cfg

    def top(self) -> None:
        t = self.tok
        if t.kind != "ident":
            raise ParseError(t, "a top-level statement (protocol, filter, function, define, router id, ...)")
        w = t.value
        if w == "router" and self.peek().value == "id":
            self.i += 2
            if self.at("from"):
                words = self.skip_statement()
                self.unsupported(self.loc(t), "router id from " + " ".join(x.value for x in words[1:]),
                                 "router id taken from an interface at run time", False)
                return
            rid = self.take(kind="ip", what="an IPv4 router id")
            self.cfg.router_id = rid.value
            self.take(";")
        elif w == "define":
            self.i += 1
            name = self.take(kind="ident", what="a name").value
            self.take("=")
            self.cfg.defines[name] = self.expr()
            self.take(";")
        elif w in ("protocol", "template"):
            self.protocol()
        elif w == "filter":
            self.i += 1
            name = self.take(kind="ident", what="a filter name").value
            decls = self.var_decls()
            body = self.block()
            self.cfg.filters[name] = A.Filter(name, self.loc(t), decls + body)
        elif w == "function":
            self.function()
        elif w in ("ipv4", "ipv6") and self.peek().value == "table":
            self.i += 2
            self.cfg.tables.append(self.take(kind="ident", what="a table name").value)
            self.skip_statement() if not self.at(";") else self.take(";")
        elif w == "include":
            words = self.skip_statement()
            self.unsupported(self.loc(t), "include " + " ".join(x.value for x in words[1:]),
                             "included files are read only when they are part of the snapshot", True)
        elif w in ("log", "debug", "timeformat", "mrtdump", "watchdog", "graceful", "hostname", "cli", "threads"):
            self.skip_statement()
        else:
            words = self.skip_statement()
            self.unsupported(self.loc(t), " ".join(x.value for x in words), "top-level statement not modelled", True)

    def function(self) -> None:
        t = self.take("function")
        name = self.take(kind="ident", what="a function name").value
        self.take("(")
        params = []
        while not self.at(")"):
            typ = self.type_name()
            params.append((typ, self.take(kind="ident", what="a parameter name").value))
            if not self.maybe(","):
                break
        self.take(")")
        returns = None
        if self.maybe("->"):
            returns = self.type_name()
        decls = self.var_decls()
        body = self.block()
        self.cfg.functions[name] = A.Function(name, self.loc(t), params, decls + body, returns)

    def type_name(self) -> str:
        t = self.take(kind="ident", what="a type")
        if t.value not in _TYPES:
            raise ParseError(t, "a type (int, bool, ip, prefix, pair, ...)")
        if self.at("set"):
            self.i += 1
            return f"{t.value} set"
        return t.value

    def var_decls(self) -> list[A.Node]:
        out: list[A.Node] = []
        while self.tok.kind == "ident" and self.tok.value in _TYPES and self.peek().kind == "ident":
            out.append(self.var_decl())
        return out

    def var_decl(self) -> A.Node:
        t = self.tok
        typ = self.type_name()
        name = self.take(kind="ident", what="a variable name").value
        init = None
        if self.maybe("="):
            init = self.expr()
        self.take(";")
        return A.VarDecl(self.loc(t), typ, name, init)

    # ---- protocols -----------------------------------------------------------------------------
    def protocol(self) -> None:
        t = self.take()
        is_template = t.value == "template"
        ptype = self.take(kind="ident", what="a protocol type").value
        if ptype in ("ospf", "rip") and self.at("v2", "v3", "ng"):
            ptype += " " + self.take().value
        name = ""
        if self.tok.kind == "ident" and self.tok.value != "from":
            name = self.take().value
        tmpl = None
        if self.maybe("from"):
            tmpl = self.take(kind="ident", what="a template name").value
        p = Protocol(ptype, name or f"{ptype}{sum(1 for x in self.cfg.protocols if x.type == ptype) + 1}",
                     self.loc(t), tmpl, is_template)
        self.take("{")
        while not self.at("}"):
            if self.tok.kind == "eof":
                raise ParseError(self.tok, "'}'")
            self.protocol_item(p)
        self.take("}")
        self.maybe(";")
        if ptype.split()[0] not in _MODELLED_PROTOCOLS:
            self.unsupported(p.loc, f"protocol {ptype} {name}".strip(), f"BIRD protocol {ptype} is not modelled",
                             ptype not in ("bfd",))
        if is_template:
            self.cfg.templates[p.name] = p
        else:
            self.cfg.protocols.append(p)

    def protocol_item(self, p: Protocol) -> None:
        t = self.tok
        w = t.value
        if t.kind == "ident" and w in _CHANNELS and (self.peek().value in ("{", ";") or self.peek().value in
                                                    ("multicast", "mpls", "sr", "table")):
            self.channel(p)
            return
        if t.kind == "ident" and w in ("import", "export") and self.peek().value in ("all", "none", "filter", "where"):
            # protocol-level import/export applies to the sole channel (BIRD 1 style, still accepted)
            ch = p.channels.setdefault("_default", Channel("_default", self.loc(t)))
            self.channel_item(ch, p)
            return
        if p.type == "static" and w == "route":
            self.static_route(p)
            return
        if w == "interface":
            words = self.skip_statement()
            p.interfaces += [x.value for x in words[1:] if x.kind == "string"]
            p.options["interface"] = ([x.value for x in words[1:-1]], self.loc(t))
            return
        if p.type == "bgp" and w == "local":
            self.i += 1
            if self.tok.kind == "ip":
                p.local_address = ipaddress.ip_address(self.take().value)
            if self.maybe("port"):
                self.take(kind="number")
            if self.maybe("as"):
                p.local_as = self.number()
            self.take(";")
            return
        if p.type == "bgp" and w == "neighbor":
            self.i += 1
            p.loc_neighbor = self.loc(t)
            if self.maybe("range"):
                p.neighbor_range = ipaddress.ip_network(self.take(kind="prefix", what="a prefix").value, strict=False)
            else:
                a = self.take(kind="ip", what="a neighbor address")
                p.neighbor = ipaddress.ip_address(a.value)
                if self.maybe("%"):
                    p.neighbor_iface = self.take().value
            while not self.at(";"):
                if self.maybe("port"):
                    self.take(kind="number")
                elif self.maybe("as"):
                    p.neighbor_as, p.neighbor_kind = self.number(), "number"
                elif self.at("internal", "external"):
                    p.neighbor_kind = self.take().value
                else:
                    raise ParseError(self.tok, "'as', 'internal', 'external', 'port' or ';'")
            self.take(";")
            return
        if p.type == "bgp" and w == "source" and self.peek().value == "address":
            self.i += 2
            p.local_address = ipaddress.ip_address(self.take(kind="ip", what="an address").value)
            self.take(";")
            return
        words = self.skip_statement()
        text = [x.value for x in words if x.value != ";"]
        key = " ".join(text[:2]) if text[:1] and text[0] in ("next", "default", "allow", "rr", "import", "export",
                                                             "kernel", "peer", "add", "gateway", "extended") else text[0] if text else ""
        p.options[key] = (text, self.loc(t))
        known = {"multihop", "direct", "passive", "table", "peer table", "kernel table", "metric", "rr client",
                 "rr cluster", "allow local", "default bgp_local_pref", "default bgp_med", "enforce", "confederation",
                 "next hop", "gateway direct", "gateway recursive", "extended next", "add paths", "import limit",
                 "export limit", "receive", "preference", "source", "route", "rs", "deterministic", "prefer",
                 "med", "igp", "missing", "path", "aigp"}
        if text and text[0] not in _COSMETIC and key not in known and text[0] not in known:
            self.unsupported(self.loc(t), " ".join(text), f"{p.type} protocol option not modelled", True)

    def number(self) -> int:
        t = self.tok
        if t.kind == "number":
            self.i += 1
            return int(t.value, 0)
        if t.kind == "ident" and t.value in self.cfg.defines:
            self.i += 1
            v = self.cfg.defines[t.value]
            if isinstance(v, A.Const) and isinstance(v.value, int):
                return v.value
        raise ParseError(t, "a number")

    def channel(self, p: Protocol) -> None:
        t = self.take()
        afi = t.value
        while self.tok.kind == "ident" and self.tok.value in ("multicast", "mpls", "sr"):
            afi += " " + self.take().value
        ch = Channel(afi, self.loc(t))
        if self.maybe("table"):
            ch.table = self.take().value
        if self.maybe("{"):
            while not self.at("}"):
                if self.tok.kind == "eof":
                    raise ParseError(self.tok, "'}'")
                self.channel_item(ch, p)
            self.take("}")
        self.maybe(";")
        p.channels[afi] = ch

    def channel_item(self, ch: Channel, p: Protocol) -> None:
        t = self.tok
        if t.value in ("import", "export") and self.peek().value in ("all", "none", "filter", "where"):
            self.i += 1
            spec = self.filter_spec(self.loc(t))
            if t.value == "import":
                ch.import_ = spec
            else:
                ch.export = spec
            return
        if t.value == "table":
            self.i += 1
            ch.table = self.take().value
            self.take(";")
            return
        words = self.skip_statement()
        text = [x.value for x in words if x.value != ";"]
        key = " ".join(text[:3]) if text[:2] == ["next", "hop"] else " ".join(text[:2]) if text and text[0] in (
            "import", "export", "gateway", "extended", "add", "receive", "igp", "missing") else (text[0] if text else "")
        ch.options[key] = (text, self.loc(t))
        known = {"next hop self", "next hop keep", "next hop address", "next hop prefer", "gateway direct",
                 "gateway recursive", "extended next", "preference", "import keep", "import limit", "export limit",
                 "receive limit", "add paths", "merge", "igp table", "missing lladdr", "secondary", "aigp",
                 "cost", "mandatory", "rpki", "import table", "export table", "ecmp", "min", "max"}
        if text and key not in known and text[0] not in _COSMETIC:
            self.unsupported(self.loc(t), " ".join(text), "channel option not modelled", True)

    def filter_spec(self, loc: Loc) -> FilterSpec:
        if self.maybe("all"):
            self.take(";")
            return FilterSpec("all", loc)
        if self.maybe("none"):
            self.take(";")
            return FilterSpec("none", loc)
        if self.maybe("where"):
            e = self.expr()
            self.take(";")
            return FilterSpec("where", loc, expr=e)
        self.take("filter")
        if self.tok.kind == "ident" and self.tok.value not in _TYPES:
            name = self.take().value
            self.take(";")
            if name not in self.cfg.filters:
                self.diags.error(loc, f"filter {name!r} is not defined (BIRD rejects the configuration: "
                                      "\"unexpected CF_SYM_UNDEFINED\")")
            return FilterSpec("named", loc, name=name)
        decls = self.var_decls()
        body = self.block()
        self.maybe(";")
        return FilterSpec("inline", loc, body=decls + body)

    def static_route(self, p: Protocol) -> None:
        t = self.take("route")
        pfx = ipaddress.ip_network(self.take(kind="prefix", what="a prefix").value, strict=False)
        r = StaticRoute(pfx, self.loc(t))
        if self.maybe("via"):
            if self.tok.kind == "string":
                r.iface = self.take().value
            else:
                r.via = ipaddress.ip_address(self.take(kind="ip", what="a gateway").value)
                if self.maybe("%"):
                    r.iface = self.take().value
            while self.at("dev", "onlink", "weight", "bfd", "mpls"):
                self.i += 1
                if self.tok.kind in ("string", "number", "ident") and not self.at("via", ";", "{"):
                    self.i += 1
        elif self.at("blackhole", "unreachable", "prohibit", "drop", "recursive"):
            kind = self.take().value
            r.kind = "blackhole" if kind == "drop" else kind
            if kind == "recursive":
                r.via = ipaddress.ip_address(self.take(kind="ip").value)
        else:
            raise ParseError(self.tok, "'via', 'blackhole', 'unreachable', 'prohibit' or 'recursive'")
        if self.at("{"):
            r.attrs = self.block()
        self.maybe(";")
        p.statics.append(r)

    def _resolve_templates(self) -> None:
        for p in self.cfg.protocols:
            chain = []
            t = p.template
            while t and t in self.cfg.templates and t not in chain:
                chain.append(t)
                t = self.cfg.templates[t].template
            if p.template and p.template not in self.cfg.templates:
                self.diags.error(p.loc, f"template {p.template!r} is not defined")
            for name in reversed(chain):
                base = self.cfg.templates[name]
                for attr in ("local_as", "local_address", "neighbor", "neighbor_range", "neighbor_iface",
                             "neighbor_as", "neighbor_kind"):
                    if getattr(p, attr) is None and getattr(base, attr) is not None:
                        setattr(p, attr, getattr(base, attr))
                for k, v in base.options.items():
                    p.options.setdefault(k, v)
                for afi, ch in base.channels.items():
                    mine = p.channels.get(afi)
                    if mine is None:
                        p.channels[afi] = Channel(ch.afi, ch.loc, ch.table, ch.import_, ch.export, dict(ch.options))
                    else:
                        mine.table = mine.table or ch.table
                        mine.import_ = mine.import_ or ch.import_
                        mine.export = mine.export or ch.export
                        for k, v in ch.options.items():
                            mine.options.setdefault(k, v)
                if not p.interfaces:
                    p.interfaces = list(base.interfaces)

    # ---- statements -----------------------------------------------------------------------------
    def block(self) -> list[A.Node]:
        self.take("{")
        out: list[A.Node] = []
        while not self.at("}"):
            if self.tok.kind == "eof":
                raise ParseError(self.tok, "'}'")
            out.append(self.statement())
        self.take("}")
        return out

    def body(self) -> list[A.Node]:
        """`then`/`else` branch: a block or a single statement."""
        if self.at("{"):
            b = self.block()
            self.maybe(";")
            return b
        return [self.statement()]

    def statement(self) -> A.Node:
        t = self.tok
        loc = self.loc(t)
        w = t.value if t.kind == "ident" else None
        if t.kind == "op" and t.value == "{":
            b = self.block()
            self.maybe(";")
            return A.If(loc, A.Const(loc, True), b)
        if w == "if":
            self.i += 1
            cond = self.expr()
            self.take("then")
            then = self.body()
            else_ = None
            if self.maybe("else"):
                else_ = self.body()
            return A.If(loc, cond, then, else_)
        if w in ("accept", "reject"):
            self.i += 1
            msg = self.take().value if self.tok.kind == "string" else None
            self.take(";")
            return A.Verdict(loc, w == "accept", msg)
        if w == "return":
            self.i += 1
            e = None if self.at(";") else self.expr()
            self.take(";")
            return A.Return(loc, e)
        if w in ("print", "printn"):
            self.i += 1
            args = [self.expr()]
            while self.maybe(","):
                args.append(self.expr())
            self.take(";")
            return A.Print(loc, args)
        if w == "case":
            return self.case()
        if w == "for":
            self.i += 1
            if self.tok.kind == "ident" and self.tok.value in _TYPES:
                self.type_name()
            var = self.take(kind="ident").value
            self.take("in")
            it = self.expr()
            self.take("do")
            return A.For(loc, var, it, self.body())
        if w in _TYPES and self.peek().kind == "ident":
            return self.var_decl()
        if w is not None and self.peek().value == "=" and self.peek().kind == "op":
            self.i += 2
            e = self.expr()
            self.take(";")
            return A.Assign(loc, w, e)
        e = self.expr()
        self.take(";")
        return A.ExprStmt(loc, e)

    def case(self) -> A.Node:
        t = self.take("case")
        e = self.expr()
        self.take("{")
        arms: list[tuple[list[Any], list[A.Node]]] = []
        else_ = None
        while not self.at("}"):
            if self.maybe("else"):
                self.take(":")
                else_ = self.case_stmts()
                continue
            items = [self.set_item()]
            while self.maybe(","):
                items.append(self.set_item())
            self.take(":")
            arms.append((items, self.case_stmts()))
        self.take("}")
        self.maybe(";")
        return A.Case(self.loc(t), e, arms, else_)

    def case_stmts(self) -> list[A.Node]:
        out: list[A.Node] = []
        while not self.at("}") and not self.at("else"):
            save = self.i
            try:  # does a new arm start here (items followed by ':')?
                self.set_item()
                while self.maybe(","):
                    self.set_item()
                if self.at(":"):
                    self.i = save
                    break
            except ParseError:
                pass
            self.i = save
            out.append(self.statement())
        return out

    # ---- expressions ----------------------------------------------------------------------------
    def expr(self) -> A.Node:
        return self.binary(0)

    _PREC = {"||": 0, "&&": 1, "=": 2, "!=": 2, "<": 2, ">": 2, "<=": 2, ">=": 2, "~": 2, "!~": 2,
             "+": 3, "-": 3, "*": 4, "/": 4}

    def binary(self, min_prec: int) -> A.Node:
        """Precedence climbing: one loop instead of one recursion level per precedence."""
        left = self.unary()
        prec = self._PREC
        while True:
            t = self.toks[self.i]
            p = prec.get(t.value) if t.kind == "op" else None
            if p is None or p < min_prec:
                return left
            self.i += 1
            right = self.binary(p + 1)
            left = A.Binary(Loc(self.file, t.line, t.col), t.value, left, right)

    def unary(self) -> A.Node:
        if self.at("!"):
            t = self.take()
            return A.Unary(self.loc(t), "!", self.unary())
        if self.at("-") and self.peek().kind == "number":
            t = self.take()
            return A.Unary(self.loc(t), "-", self.unary())
        return self.postfix(self.primary())

    def postfix(self, e: A.Node) -> A.Node:
        while self.at("."):
            self.i += 1
            name = self.take(kind="ident", what="a member name").value
            if self.maybe("("):
                args = self.args(")")
                e = A.MethodCall(e.loc, e, name, args)
            else:
                e = A.Member(e.loc, e, name)
        return e

    def args(self, close: str) -> list[A.Node]:
        out: list[A.Node] = []
        while not self.at(close):
            out.append(self.expr())
            if not self.maybe(","):
                break
        self.take(close)
        return out

    def primary(self) -> A.Node:
        t = self.tok
        loc = self.loc(t)
        if t.kind == "number":
            self.i += 1
            # a quad written as a.b.c.d is lexed as ip; plain numbers here
            return A.Const(loc, int(t.value, 0))
        if t.kind == "string":
            self.i += 1
            return A.Const(loc, t.value)
        if t.kind == "ip":
            self.i += 1
            return A.Const(loc, ipaddress.ip_address(t.value))
        if t.kind == "prefix":
            self.i += 1
            return A.Const(loc, ipaddress.ip_network(t.value, strict=False))
        if self.at("("):
            self.i += 1
            first = self.expr()
            if self.maybe(","):
                items = [first, self.expr()]
                while self.maybe(","):
                    items.append(self.expr())
                self.take(")")
                return A.Tuple(loc, items)
            self.take(")")
            return first
        if self.at("["):
            return self.set_literal()
        if t.kind == "ident":
            self.i += 1
            if t.value in ("true", "false"):
                return A.Const(loc, t.value == "true")
            if self.at("("):
                self.i += 1
                return A.Call(loc, t.value, self.args(")"))
            return A.Sym(loc, t.value)
        raise ParseError(t, "an expression")

    def set_literal(self) -> A.Node:
        t = self.take("[")
        loc = self.loc(t)
        if self.maybe("="):
            items: list[Any] = []
            while not self.at("="):
                if self.at("*", "?", "+"):
                    items.append(self.take().value)
                elif self.tok.kind == "number":
                    items.append(int(self.take().value, 0))
                else:
                    items.append(self.primary())
            self.take("=")
            self.take("]")
            return A.PathMask(loc, items)
        items = []
        while not self.at("]"):
            items.append(self.set_item())
            if not self.maybe(","):
                break
        self.take("]")
        return A.SetLit(loc, items)

    def set_item(self) -> Any:
        t = self.tok
        defined = self.cfg.defines.get(t.value) if t.kind == "ident" else None
        if t.kind == "prefix" or (isinstance(defined, A.Const) and isinstance(
                defined.value, (ipaddress.IPv4Network, ipaddress.IPv6Network))):
            self.i += 1
            net = ipaddress.ip_network(t.value, strict=False) if t.kind == "prefix" else defined.value  # type: ignore[union-attr]
            lo = hi = net.prefixlen
            if self.maybe("+"):
                hi = net.max_prefixlen
            elif self.at("-") and not (self.peek().kind == "number"):
                self.i += 1
                lo = 0
            elif self.maybe("{"):
                lo = self.number()
                hi = self.number() if self.maybe(",") else lo
                self.take("}")
            return A.SetItem("prefix", net, None, lo, hi)
        if self.at("("):
            # pair/lc pattern with * or ranges
            self.i += 1
            parts: list[Any] = []
            while True:
                if self.maybe("*"):
                    parts.append(("*",))
                else:
                    a = self.expr()
                    if self.maybe(".."):
                        parts.append(("range", a, self.expr()))
                    else:
                        parts.append(("value", a))
                if not self.maybe(","):
                    break
            self.take(")")
            return A.SetItem("tuple", parts)
        a = self.expr()
        if self.maybe(".."):
            return A.SetItem("range", a, self.expr())
        return A.SetItem("value", a)


def parse_bird(text: str, file: str, diags: Diagnostics, *, include_resolver: Callable[[str], str] | None = None) -> BirdConfig:
    cfg = BirdParser(text, file, diags).parse()
    cfg._lines = text.splitlines()  # type: ignore[attr-defined]  # statement text for traces
    return cfg


def looks_like_bird(text: str) -> bool:
    import re

    hits = re.findall(r"^\s*(protocol\s+(bgp|kernel|device|direct|static|pipe|bfd|ospf|babel|rpki)\b|router\s+id\s|"
                      r"filter\s+\w+\s*\{?\s*$|function\s+\w+\s*\(|template\s+bgp\b)", text, re.M)
    return len(hits) >= 2 and "{" in text and "route-map" not in text
