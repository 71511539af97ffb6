"""BIRD 2 configuration text -> syntax tree (ast.py), with Lark's LALR(1) parser.

The grammar is bird.lark; tokens come from lexer.py (contextual keywords). Instead of
building Lark trees, every grammar rule has a small handler that receives the raw
list of children and returns an AST node: one Python call per reduction, which is
what makes 50k+ lines/s possible in pure Python.

Syntax errors: the whole file is parsed first (fast path). If that fails, the file is
cut into top-level entries (balanced braces) and every entry is parsed on its own, so
each broken entry reports its error and the others still load; inside a broken entry,
parsing resynchronises at the next line that starts with protocol, template, filter,
function or define.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
import ipaddress
import json
import re
import socket
import threading
from importlib import resources
from typing import Any, Callable, Iterator

from podpath.diagnostics import Diagnostics, Loc
from podpath.readers.bird import ast as A
from podpath.readers.bird.lexer import ENUMS, HUMAN, KEYWORDS, IncludeResolver, LexJob, Tok, tokens
from podpath.readers.bird.values import EnumV, Rd, rd_parse, register_enums

register_enums(ENUMS)


_new = object.__new__


def _loc(t: Tok) -> Loc:
    """Loc(t.file, t.line, t.column), without the frozen-dataclass __init__ (hot path)."""
    loc = _new(Loc)
    loc.__dict__.update(file=t.file, line=t.line, col=t.column)
    return loc


def _nloc(n: Any) -> Any:
    """Position of a token or a node (for a node's `at`)."""
    return n.at if isinstance(n, A.Node) else n


_ADDR_CACHE: dict[tuple[str, Any], tuple[Any, str | None]] = {}


def _ip(text: str, v6: bool) -> Any:
    """ipaddress.ip_address(), through inet_pton (the pure-Python parser is slow)."""
    try:
        if v6:
            return ipaddress.IPv6Address(int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big"))
        return ipaddress.IPv4Address(int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"))
    except OSError:
        raise ValueError(text) from None


class _Handlers:
    """One method per grammar alias (h_<alias>); each receives the raw child list. A node's position
    (`at`) is its first token itself: ast.Node.loc makes the Loc when asked."""

    def __init__(self) -> None:
        self.diags = Diagnostics()
        self.res: ParseResult | None = None

    def err(self, t: Any, msg: str) -> None:
        loc = t.loc if isinstance(t, A.Node) else _loc(t)
        self.diags.error(loc, msg, self.res.line(loc) if self.res is not None else None)

    # ---- generic lists ---------------------------------------------------------------------------
    def h_list_empty(self, s: list) -> list:
        return []

    def h_list_one(self, s: list) -> list:
        return [s[0]]

    def h_list_two(self, s: list) -> list:
        return [s[0], s[1]]

    def h_list_more(self, s: list) -> list:
        lst = s[0]
        lst.append(s[1])
        return lst

    def h_list_append(self, s: list) -> list:
        lst = s[0]
        lst.append(s[2])
        return lst

    # ---- values of literal tokens ----------------------------------------------------------------
    def value(self, t: Tok) -> Any:
        ty = t.type
        if ty == "NUM" or ty == "STRING":
            return t.value
        if ty in ("IP4", "IP6", "PFX4", "PFX6"):
            key = (ty, t.value)
            got = _ADDR_CACHE.get(key)
            if got is None:
                got = self._value(t)
                if len(_ADDR_CACHE) > 100_000:
                    _ADDR_CACHE.clear()
                _ADDR_CACHE[key] = got
            elif got[1] is not None:  # the literal is invalid: report it again here
                self.err(t, got[1])
            return got[0]
        return self._value(t)

    def _value(self, t: Tok) -> Any:
        ty = t.type
        if ty == "TRUE":
            return True
        if ty == "FALSE":
            return False
        if ty == "IP4" or ty == "IP6":
            try:
                return (_ip(t.value, ty == "IP6"), None)
            except ValueError:
                msg = f"invalid IP address {t.value}"
                self.err(t, msg)
                return (ipaddress.ip_address("::" if ty == "IP6" else "0.0.0.0"), msg)
        if ty == "PFX4" or ty == "PFX6":
            addr, ln = t.value
            msg = None
            try:
                ip = _ip(addr, ty == "PFX6")
            except ValueError:
                msg = f"invalid IP address {addr}"
                ip = ipaddress.ip_address("::" if ty == "PFX6" else "0.0.0.0")
            if ln > ip.max_prefixlen:
                msg = f"invalid prefix length {ln}"
                ln = ip.max_prefixlen
            # from the integer: given an address object, ipaddress formats it and parses the text again
            net = (ipaddress.IPv4Network if ip.version == 4 else ipaddress.IPv6Network)((int(ip), ln), strict=False)
            if msg is None and net.network_address != ip:
                msg = f"invalid prefix {addr}/{ln}, maybe you wanted {net}"
            if msg:
                self.err(t, msg)
            return (net, msg)
        if ty == "RD":
            try:
                rd = rd_parse(t.value)
            except ValueError:
                rd = None
            if rd is None:
                self.err(t, f"invalid route distinguisher {t.value}")
                return Rd(0)
            return rd
        if ty == "ENUM":
            return EnumV(*ENUMS[t.value])
        raise AssertionError(ty)

    def word(self, t: Any) -> A.Word:
        if isinstance(t, A.Word):
            return t
        ty = t.type
        if ty == "NAME":
            return A.Word(t, "name", t.value, t.value)
        if ty == "NUM":
            return A.Word(t, "num", str(t.value), t.value)
        if ty == "STRING":
            return A.Word(t, "string", t.value, t.value)
        if ty in ("IP4", "IP6"):
            return A.Word(t, "ip", t.value, self.value(t))
        if ty in ("PFX4", "PFX6"):
            v = self.value(t)
            return A.Word(t, "prefix", f"{t.value[0]}/{t.value[1]}", v)
        if ty == "RD":
            return A.Word(t, "rd", t.value, self.value(t))
        if ty == "ENUM":
            return A.Word(t, "enum", t.value, self.value(t))
        if isinstance(t.value, str) and t.value.isidentifier():  # a keyword used as an option word
            return A.Word(t, "name", t.value, t.value)
        return A.Word(t, "punct", str(t.value), t.value)

    def words(self, toks: list) -> list[A.Word]:
        return [self.word(t) for t in toks]

    def flat(self, soup: list) -> list[A.Word]:
        out: list[A.Word] = []
        for t in soup:
            if isinstance(t, tuple):  # a nested block: (words, end, "{" word, "}" word)
                out.append(t[2])
                out.extend(t[0])
                out.append(t[3])
            else:
                out.append(self.word(t))
        return out

    # ---- entries ---------------------------------------------------------------------------------
    def h_config(self, s: list) -> list:
        return [e for e in s[0] if e is not None]

    def h_e_empty(self, s: list) -> None:
        return None

    def h_e_define(self, s: list) -> A.DefineDecl:
        return A.DefineDecl(s[0], s[1].value, s[3])

    def h_e_filter(self, s: list) -> A.FilterDecl:
        f: A.FilterDecl = s[2]
        f.name = s[1].value
        f.loc = _loc(s[0])
        return f

    def h_e_function(self, s: list) -> A.FunctionDecl:
        f: A.FilterDecl = s[6]
        return A.FunctionDecl(s[0], s[1].value, s[3], s[5], f.vars, f.body)

    def h_ph(self, s: list) -> tuple:
        return (s[0], s[1], None)

    def h_ph_from(self, s: list) -> tuple:
        return (s[0], s[1], s[3])

    def h_e_protocol(self, s: list) -> A.ProtocolDecl:
        kw, names, parent = s[0]
        return A.ProtocolDecl(kw, kw.type == "TEMPLATE", self.words(names),
                              parent.value if parent is not None else None,
                              _loc(parent) if parent is not None else None,
                              [i for i in s[2] if i is not None], _loc(s[3]))

    def h_e_attribute(self, s: list) -> A.AttributeDecl:
        return A.AttributeDecl(s[0], s[1][0], s[2].value)

    def h_e_attribute_bgp(self, s: list) -> A.AttributeDecl:
        return A.AttributeDecl(s[0], s[3][0], s[4].value, s[2].value)

    def h_e_eval(self, s: list) -> A.EvalDecl:
        return A.EvalDecl(s[0], s[1])

    # ---- protocol bodies ------------------------------------------------------------------------
    def h_p_empty(self, s: list) -> None:
        return None

    def h_p_channel(self, s: list) -> A.ChannelDecl:
        head = s[0]
        return A.ChannelDecl(head[0], " ".join(t.value for t in head), None)

    def h_p_channel_body(self, s: list) -> A.ChannelDecl:
        head = s[0]
        return A.ChannelDecl(head[0], " ".join(t.value for t in head), [i for i in s[2] if i is not None])

    def h_p_import(self, s: list) -> A.ImportExport:
        return self._imex("import", s)

    def h_p_export(self, s: list) -> A.ImportExport:
        return self._imex("export", s)

    def _imex(self, direction: str, s: list) -> A.ImportExport:
        ref = s[1]
        loc = _loc(s[0])
        if isinstance(ref, list):  # option words
            words = [self.word(s[0])] + self.words(ref)
            return A.ImportExport(loc, direction, None, A.Generic(loc, words, None, _loc(s[2])))
        ref.loc = loc
        return A.ImportExport(loc, direction, ref)

    def h_ie_all(self, s: list) -> A.FilterRef:
        return A.FilterRef(s[0], "all")

    def h_ie_none(self, s: list) -> A.FilterRef:
        return A.FilterRef(s[0], "none")

    def h_ie_named(self, s: list) -> A.FilterRef:
        return A.FilterRef(s[1], "named", name=s[1].value)

    def h_ie_inline(self, s: list) -> A.FilterRef:
        return A.FilterRef(s[0], "inline", body=s[1])

    def h_ie_where(self, s: list) -> A.FilterRef:
        return A.FilterRef(s[0], "where", expr=s[1])

    def h_ie_option(self, s: list) -> list:
        return [s[0]] + s[1]

    def h_p_route(self, s: list) -> A.StaticRouteDecl:
        return A.StaticRouteDecl(s[0], self.words(s[1]))

    def h_p_route_cmds(self, s: list) -> A.StaticRouteDecl:
        return A.StaticRouteDecl(s[0], self.words(s[1]), A.Block(s[2], s[3]))

    def h_g_stmt(self, s: list) -> A.Generic:
        return A.Generic(s[0], [self.word(s[0])] + self.words(s[1]), None, _loc(s[2]))

    def h_g_block(self, s: list) -> A.Generic:
        block, end = s[2][0], s[2][1]
        return A.Generic(s[0], [self.word(s[0])] + self.words(s[1]), block, end)

    def h_g_paren(self, s: list) -> A.Word:
        return A.Word(s[0], "expr", "(...)", s[1])

    def h_g_soup(self, s: list) -> tuple:
        return (self.flat(s[1]), _loc(s[2]), self.word(s[0]), self.word(s[2]))

    # ---- filters, functions ----------------------------------------------------------------------
    def h_fbody(self, s: list) -> A.FilterDecl:
        lb = s[1]
        vars_ = s[0]
        return A.FilterDecl(vars_[0].loc if vars_ else _loc(lb), None, vars_, A.Block(lb, s[2]))

    def h_vardecls_more(self, s: list) -> list:
        lst = s[0]
        ty, tok = s[1]
        lst.append(A.VarDecl(tok, ty, s[2].value))
        return lst

    def h_param_first(self, s: list) -> list:
        ty, tok = s[0]
        return [A.Param(tok, ty, s[1].value)]

    def h_param_more(self, s: list) -> list:
        ty, tok = s[2]
        s[0].append(A.Param(tok, ty, s[3].value))
        return s[0]

    def h_param_comma(self, s: list) -> list:
        self.err(s[1], "expected ';' or ')', found ',' (BIRD separates function parameters with ';')")
        return self.h_param_more(s)

    def h_rettype(self, s: list) -> str:
        return s[1][0]

    def h_rettype_none(self, s: list) -> None:
        return None

    def h_t_base(self, s: list) -> tuple:
        return (s[0].value, s[0])

    def h_t_set(self, s: list) -> tuple:
        return (s[0].value + " set", s[0])

    # ---- statements ------------------------------------------------------------------------------
    def h_c_block(self, s: list) -> A.Block:
        return A.Block(s[0], s[1])

    def h_c_if(self, s: list) -> A.If:
        return A.If(s[0], s[1], s[3])

    def h_c_ifelse(self, s: list) -> A.If:
        return A.If(s[0], s[1], s[3], s[5])

    def h_c_for(self, s: list) -> A.For:
        return A.For(s[0], s[1][0], s[2].value, s[4], s[6])

    def h_c_for_old(self, s: list) -> A.For:
        return A.For(s[0], None, s[1].value, s[3], s[5])

    def h_c_assign(self, s: list) -> A.Assign:
        return A.Assign(s[0], s[0].value, s[2])

    def h_c_method0(self, s: list) -> A.MethodStmt:
        return A.MethodStmt(s[0], s[0].value, s[2].value, [])

    def h_c_method(self, s: list) -> A.MethodStmt:
        return A.MethodStmt(s[0], s[0].value, s[2].value, s[4])

    def h_c_call(self, s: list) -> A.CallStmt:
        loc = _loc(s[0])
        return A.CallStmt(loc, A.Call(loc, s[0].value, s[2]))

    def h_c_return(self, s: list) -> A.Return:
        return A.Return(s[0], s[1])

    def h_c_verdict(self, s: list) -> A.Verdict:
        return A.Verdict(s[0], s[0].value, s[1])

    def h_c_print(self, s: list) -> A.Print:
        return A.Print(s[0], s[1], s[0].type == "PRINT")

    def h_c_case(self, s: list) -> A.Case:
        return A.Case(s[0], s[1], s[3])

    def h_c_var(self, s: list) -> A.VarDecl:
        ty, tok = s[0]
        return A.VarDecl(tok, ty, s[1].value)

    def h_c_var_init(self, s: list) -> A.VarDecl:
        ty, tok = s[0]
        return A.VarDecl(tok, ty, s[1].value, s[3])

    def h_arm(self, s: list) -> A.CaseArm:
        return A.CaseArm(s[0][0].loc, s[0], s[2])

    def h_arm_else(self, s: list) -> A.CaseArm:
        return A.CaseArm(s[0], [], s[1], True)

    # ---- sets ------------------------------------------------------------------------------------
    def h_si_one(self, s: list) -> A.SetItem:
        return A.SetItem(_nloc(s[0]), s[0])

    def h_si_range(self, s: list) -> A.SetItem:
        return A.SetItem(_nloc(s[0]), s[0], s[2])

    def h_sa_tok(self, s: list) -> A.Const:
        t = s[0]
        return A.Const(t, self.value(t), str(t.value))

    def h_sa_name(self, s: list) -> A.Name:
        return A.Name(s[0], s[0].value)

    def h_sa_paren(self, s: list) -> Any:
        return s[1]

    def h_ti_pair(self, s: list) -> A.TupleItem:
        return A.TupleItem(s[0], "pair", [s[1], s[3]])

    def h_ti_lc(self, s: list) -> A.TupleItem:
        return A.TupleItem(s[0], "lc", [s[1], s[3], s[5]])

    def h_ti_ec(self, s: list) -> A.TupleItem:
        kind, sub = s[1]
        return A.TupleItem(s[0], "ec", [s[3], s[5]], kind, sub)

    def h_tp_one(self, s: list) -> A.Part:
        return A.Part(s[0].loc, s[0])

    def h_tp_range(self, s: list) -> A.Part:
        return A.Part(s[0].loc, s[0], s[2])

    def h_tp_star(self, s: list) -> A.Part:
        return A.Part(s[0], None)

    def _pattern(self, t: Tok, lo: int | None, hi: int | None) -> A.PrefixPattern:
        net = self.value(t)
        maxlen = net.max_prefixlen
        plen = net.prefixlen
        return A.PrefixPattern(t, net, plen if lo is None else lo, plen if hi is None else hi)

    def h_pi_exact(self, s: list) -> A.PrefixPattern:
        return self._pattern(s[0], None, None)

    def h_pi_plus(self, s: list) -> A.PrefixPattern:
        p = self._pattern(s[0], None, None)
        p.hi = p.net.max_prefixlen
        return p

    def h_pi_minus(self, s: list) -> A.PrefixPattern:
        return self._pattern(s[0], 0, None)

    def h_pi_range(self, s: list) -> A.PrefixPattern:
        lo, hi = s[2].value, s[4].value
        p = self._pattern(s[0], lo, hi)
        if lo > hi or hi > p.net.max_prefixlen:
            self.err(s[2], f"invalid prefix pattern range: {{{lo}, {hi}}}")
            p.lo, p.hi = min(lo, hi), min(max(lo, hi), p.net.max_prefixlen)
        return p

    def h_pm_asn(self, s: list) -> A.MaskItem:
        return A.MaskItem(s[0], "asn", s[0].value)

    def h_pm_range(self, s: list) -> A.MaskItem:
        return A.MaskItem(s[0], "range", s[0].value, s[2].value)

    def h_pm_tok(self, s: list) -> A.MaskItem:
        return A.MaskItem(s[0], {"STAR": "any", "QMARK": "one", "PLUS": "loop"}[s[0].type])

    def h_pm_empty_set(self, s: list) -> A.MaskItem:
        return A.MaskItem(s[0], "set", A.SetLit(s[0], []))

    def h_pm_set(self, s: list) -> A.MaskItem:
        return A.MaskItem(s[0], "set", A.SetLit(s[0], s[1]))

    def h_pm_name(self, s: list) -> A.MaskItem:
        return A.MaskItem(s[0], "expr", A.Name(s[0], s[0].value))

    def h_pm_paren(self, s: list) -> A.MaskItem:
        return A.MaskItem(s[0], "expr", s[1])

    # ---- expressions -----------------------------------------------------------------------------
    def h_x_and(self, s: list) -> A.Binary:
        return A.Binary(s[0].loc, "&&", s[0], s[2])

    def h_x_or(self, s: list) -> A.Binary:
        return A.Binary(s[0].loc, "||", s[0], s[2])

    def h_x_binary(self, s: list) -> A.Binary:
        return A.Binary(s[0].loc, s[1].value, s[0], s[2])

    def h_x_not(self, s: list) -> A.Not:
        return A.Not(s[0], s[1])

    def h_x_member(self, s: list) -> A.Member:
        return A.Member(s[0].loc, s[0], s[2].value)

    def h_x_mcall(self, s: list) -> A.MethodCall:
        return A.MethodCall(s[0].loc, s[0], s[2].value, s[4])

    def h_x_const(self, s: list) -> A.Const:
        t = s[0]
        v = t.value
        text = f"{v[0]}/{v[1]}" if isinstance(v, tuple) else str(v)
        return A.Const(t, self.value(t), text)

    def h_x_name(self, s: list) -> A.Name:
        return A.Name(s[0], s[0].value)

    def h_x_call(self, s: list) -> A.Call:
        return A.Call(s[0], s[0].value, s[2])

    def h_x_paren(self, s: list) -> Any:
        return s[1]

    def h_x_pair(self, s: list) -> A.PairCons:
        return A.PairCons(s[0], s[1], s[3])

    def h_x_lc(self, s: list) -> A.LcCons:
        return A.LcCons(s[0], s[1], s[3], s[5])

    def h_x_ec(self, s: list) -> A.EcCons:
        kind, sub = s[1]
        return A.EcCons(s[0], kind, s[3], s[5], sub)

    def h_eck(self, s: list) -> tuple:
        return (s[0].value, 0)

    def h_eck_unknown(self, s: list) -> tuple:
        return ("unknown", s[1].value)

    def h_x_empty_set(self, s: list) -> A.SetLit:
        return A.SetLit(s[0], [])

    def h_x_set(self, s: list) -> A.SetLit:
        return A.SetLit(s[0], s[1])

    def h_x_pfxset(self, s: list) -> A.PrefixSetLit:
        items = s[1]
        if len({p.net.version for p in items}) > 1:
            self.err(s[0], "mixed IPv4/IPv6 prefixes in prefix set")
        return A.PrefixSetLit(s[0], items)

    def h_x_mask(self, s: list) -> A.PathMaskLit:
        return A.PathMaskLit(s[0], s[1])

    def h_x_empty_path(self, s: list) -> A.EmptyList:
        return A.EmptyList(s[0], "path")

    def h_x_empty_clist(self, s: list) -> A.EmptyList:
        return A.EmptyList(s[0], "clist")

    def h_x_empty_eclist(self, s: list) -> A.EmptyList:
        return A.EmptyList(s[0], "eclist")

    def h_x_empty_lclist(self, s: list) -> A.EmptyList:
        return A.EmptyList(s[0], "lclist")


# ---- the LALR driver ----------------------------------------------------------------------------

class SyntaxErr(Exception):
    def __init__(self, token: Tok, expected: set[str]) -> None:
        super().__init__(f"unexpected {token.type}")
        self.token = token
        self.expected = expected


TABLES_FILE = "bird_tables.json"


def _grammar() -> str:
    return resources.files("podpath.readers.bird").joinpath("bird.lark").read_text()


def build_table_data(grammar: str | None = None) -> dict[str, Any]:
    """The LALR(1) tables of bird.lark, computed by Lark, in a canonical JSON-able form.

    Lark's state numbers and rule order may vary between runs; here states are numbered in
    breadth-first order from the start state (actions taken in symbol order) and rules are sorted,
    so the same grammar always gives the same data. bird_tables.json ships this data so that a run
    does not import Lark and rebuild the tables (about 0.1 s); tools/gen_bird_tables.py rewrites it,
    and tests/readers/test_bird_tables.py checks that it matches bird.lark."""
    from lark import Lark
    from lark.parsers.lalr_analysis import Shift

    text = _grammar() if grammar is None else grammar
    lk = Lark(text, parser="lalr", lexer="basic", start="config", maybe_placeholders=False)
    table = lk.parser.parser.parser.parse_table  # type: ignore[union-attr]

    def rule_sort(r: Any) -> tuple[str, tuple[str, ...], str]:
        return (str(r.origin.name), tuple(str(x.name) for x in r.expansion), str(r.alias or ""))

    rules = sorted(lk.rules, key=rule_sort)
    rule_no = {r: i for i, r in enumerate(rules)}
    start = table.start_states["config"]
    order = [start]
    num = {start: 0}
    i = 0
    while i < len(order):
        for _sym, (act, arg) in sorted(table.states[order[i]].items(), key=lambda kv: str(kv[0])):
            if act is Shift and arg not in num:
                num[arg] = len(order)
                order.append(arg)
        i += 1
    states = [[[str(sym), num[arg] if act is Shift else [rule_no[arg]]]
               for sym, (act, arg) in sorted(table.states[st].items(), key=lambda kv: str(kv[0]))] for st in order]
    return {"grammar_sha256": hashlib.sha256(text.encode()).hexdigest(), "start": 0,
            "end": num[table.end_states["config"]],
            "rules": [[len(r.expansion), str(r.origin.name), str(r.alias or r.origin.name)] for r in rules],
            "states": states}


def _table_data() -> dict[str, Any]:
    """The shipped tables if they were made from this bird.lark, else built now (slower, same result)."""
    text = _grammar()
    try:
        data = json.loads(resources.files("podpath.readers.bird").joinpath(TABLES_FILE).read_text())
        if data.get("grammar_sha256") == hashlib.sha256(text.encode()).hexdigest():
            return data  # type: ignore[no-any-return]
    except (OSError, ValueError):
        pass
    return build_table_data(text)


class _Tables:
    """Lark builds the LALR(1) tables from bird.lark (shipped precomputed, see build_table_data);
    this driver runs them. Lark's own loop compares Rule and Token objects on every step; here the
    tables are plain strings and reduce actions are (size, lhs, handler) tuples."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = _table_data() if data is None else data
        self.handlers = _Handlers()
        reduce: list[tuple[int, str, Callable[[list], Any] | None]] = []
        for size, lhs, name in data["rules"]:
            fn = getattr(self.handlers, "h_" + name, None)
            if fn is None and size != 1:
                raise AssertionError(f"bird.lark: rule {lhs} ({name}) needs a handler")
            if name == "list_more":
                fn = _LIST_MORE
            elif name == "list_empty":
                fn = _LIST_EMPTY
            reduce.append((size, lhs, fn))  # fn None: pass the child on
        # action: an int is "shift to that state" (also the goto of a nonterminal);
        # a tuple is "reduce": (size, lhs, handler or None for a pass-through unit rule)
        self.states: dict[int, dict[str, Any]] = {}
        for st, acts in enumerate(data["states"]):
            self.states[st] = {sym: arg if arg.__class__ is int else reduce[arg[0]] for sym, arg in acts}
        self.start = data["start"]
        self.end = data["end"]
        # (state below, state, look-ahead) -> the state after the chain of unit reductions
        # (`a: b`) that look-ahead takes there: one lookup instead of one per rule of the chain
        self.units: dict[tuple[int, int, str], int] = {}

    def _unit_chain(self, below: int, lhs: str, ty: str) -> int:
        """Reduce by unit rules while the look-ahead `ty` asks for them; they only replace the top
        state (the goto from `below`), so the result depends on (below, top, ty) only."""
        states = self.states
        st = states[below][lhs]
        while True:
            act = states[st].get(ty)
            if act is None or act.__class__ is int or act[2] is not None:
                return st  # a shift, another reduction or an error: the driver goes on from here
            st = states[below][act[1]]

    def parse(self, job: LexJob) -> Any:
        states = self.states
        stack = [self.start]
        values: list[Any] = []
        acts = states[self.start]
        units = self.units
        tok: Tok | None = None
        for tok in tokens(job, states, stack):
            ty = tok.type
            while True:
                act = acts.get(ty)
                if act is None:
                    raise SyntaxErr(tok, self.expected(stack))
                if act.__class__ is int:
                    stack.append(act)
                    values.append(tok)
                    acts = states[act]
                    break
                size, lhs, fn = act
                if fn is None:  # unit rule(s): the value stays, only the state changes
                    below = stack[-2]
                    key = (below, stack[-1], ty)
                    st = units.get(key)
                    if st is None:
                        st = units[key] = self._unit_chain(below, lhs, ty)
                    stack[-1] = st
                elif fn is _LIST_MORE:  # `list: list item`, in place
                    item = values.pop()
                    values[-1].append(item)
                    del stack[-1]
                    st = states[stack[-2]][lhs]
                    stack[-1] = st
                elif fn is _LIST_EMPTY:
                    values.append([])
                    st = states[stack[-1]][lhs]
                    stack.append(st)
                else:
                    if size:
                        args = values[-size:]
                        del values[-size:]
                        del stack[-size:]
                    else:
                        args = []
                    values.append(fn(args))
                    st = states[stack[-1]][lhs]
                    stack.append(st)
                acts = states[st]
        last = tok
        eof = Tok("$END", "", last.line if last else job.line, last.column if last else job.col,
                  last.file if last else job.file, job.end)
        end = self.end
        while True:
            act = acts.get("$END")
            if act is None or act.__class__ is int:
                raise SyntaxErr(eof, self.expected(stack))
            size, lhs, fn = act
            if fn is None:
                st = states[stack[-2]][lhs]
                stack[-1] = st
            elif fn is _LIST_MORE:
                item = values.pop()
                values[-1].append(item)
                del stack[-1]
                st = states[stack[-2]][lhs]
                stack[-1] = st
            elif fn is _LIST_EMPTY:
                values.append([])
                st = states[stack[-1]][lhs]
                stack.append(st)
            else:
                if size:
                    args = values[-size:]
                    del values[-size:]
                    del stack[-size:]
                else:
                    args = []
                values.append(fn(args))
                st = states[stack[-1]][lhs]
                stack.append(st)
            if st == end:
                return values[-1]
            acts = states[st]


    def expected(self, stack: list[int]) -> set[str]:
        """Terminals that can really come next. LALR merges look-ahead sets of states
        with the same core, so a state's table also lists terminals that are only valid
        in other contexts; replaying the reductions on a copy of the stack filters them."""
        return {t for t in self.states[stack[-1]] if t.isupper() and self._accepts(list(stack), t)}

    def _accepts(self, stack: list[int], t: str) -> bool:
        states = self.states
        for _ in range(10_000):
            act = states[stack[-1]].get(t)
            if act is None:
                return False
            if act.__class__ is int:
                return True
            size, lhs, _fn = act
            if size:
                del stack[-size:]
            nxt = states[stack[-1]].get(lhs)
            if nxt is None:
                return False
            stack.append(nxt)
            if nxt == self.end:
                return t == "$END"
        return False  # pragma: no cover


_lock = threading.Lock()
_tables: _Tables | None = None


def _get_tables() -> _Tables:
    global _tables
    if _tables is None:
        _tables = _Tables()
    return _tables


def _first(s: list) -> Any:
    return s[0]


def _LIST_MORE(s: list) -> list:  # noqa: N802 - marker handled inline by the driver
    s[0].append(s[1])
    return s[0]


def _LIST_EMPTY(s: list) -> list:  # noqa: N802 - marker handled inline by the driver
    return []


# ---- error messages ------------------------------------------------------------------------------

_GROUPS: list[tuple[str, set[str]]] = [
    ("a statement", {"IF", "CASE", "FOR", "RETURN", "ACCEPT", "REJECT", "ERROR", "PRINT", "PRINTN"}),
    ("a type", {"INT", "BOOL", "IP", "PREFIX", "RD_T", "PAIR", "QUAD", "EC", "LC", "STRING_T", "BYTESTRING",
                "BGPMASK", "BGPPATH", "CLIST", "ECLIST", "LCLIST"}),
    ("an operator", {"AND", "OR", "EQ", "NEQ", "LT", "GT", "LEQ", "GEQ", "TILDE", "NMA", "STAR", "SLASH"}),
    ("an expression", {"NUM", "STRING", "TRUE", "FALSE", "IP4", "IP6", "PFX4", "PFX6", "LSQ", "PO", "BANG"}),
    ("a protocol, filter, function or other top-level statement", {"DEFINE", "FILTER", "FUNCTION", "PROTOCOL",
                                                                   "TEMPLATE", "ATTRIBUTE", "EVAL"}),
    ("a channel (ipv4, ipv6, ...)", {"IPV4", "IPV6", "VPN4", "VPN6", "ROA4", "ROA6", "FLOW4", "FLOW6", "ASPA"}),
    ("an option value", {"PERCENT", "COLON", "QMARK", "DDOT", "TILDE", "RD"}),
]


def _human_expected(expected: set[str]) -> str:
    exp = {e for e in expected if not e.startswith("__")}
    labels: list[str] = []
    for label, members in _GROUPS:
        hit = exp & members
        if len(hit) >= max(3, len(members) * 2 // 3):
            labels.append(label)
            exp -= members
            if label == "an expression":
                exp -= {"NAME", "ENUM", "LPAR", "PLUS", "MINUS", "RD"}
            if label == "a statement":
                exp -= {"NAME", "LBRACE", "ROUTE"}
            if label == "an option value":
                exp -= {"NAME", "NUM", "IP4", "IP6", "PFX4", "PFX6", "STRING", "ENUM", "MINUS", "PLUS", "COMMA",
                        "DOT", "SLASH", "STAR", "EQ", "LT", "GT", "BANG", "LPAR"}
    order = ["SEMI", "RBRACE", "LBRACE", "RPAR", "LPAR", "COMMA", "RSQ", "COLON", "EQ", "DOT"]
    rest = sorted(exp, key=lambda e: (order.index(e) if e in order else len(order), HUMAN.get(e, e)))
    words = [HUMAN.get(e, e.lower()) for e in rest] + labels
    if not words:
        return "something else"
    if len(words) > 8:
        words = words[:8] + ["..."]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe(t: Any) -> str:
    ty = t.type
    if ty == "$END":
        return "end of file"
    if ty == "NAME":
        return f"keyword '{t.value}'" if t.value in KEYWORDS else f"'{t.value}'"
    if ty == "NUM":
        return f"number {t.value}"
    if ty == "STRING":
        return f'string "{t.value}"'
    if ty in ("PFX4", "PFX6"):
        return f"prefix {t.value[0]}/{t.value[1]}"
    if ty in ("IP4", "IP6"):
        return f"address {t.value}"
    if t.value and str(t.value).isalpha():
        return f"keyword '{t.value}'"
    return f"'{t.value}'"


# ---- entry points --------------------------------------------------------------------------------

@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: parsing allocates millions of small acyclic
    objects, and generation scans would cost more time than the parse itself. On exit the
    new objects are moved straight to the oldest generation (freeze + unfreeze) instead of
    being scanned by the young-generation collection that re-enabling would trigger."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


_RESYNC = re.compile(r"^(?:protocol|template|filter|function|define)\b", re.M)


class ParseResult:
    """Entries of one file (with includes expanded) and the texts of included files."""

    def __init__(self) -> None:
        self.entries: list[Any] = []
        self.sources: dict[str, str] = {}
        self.includes: list[str] = []
        self._lines: dict[str, list[str]] = {}
        self._nl: list[int] | None = None

    def lines(self, file: str) -> list[str]:
        got = self._lines.get(file)
        if got is None:
            got = self._lines[file] = self.sources.get(file, "").splitlines()
        return got

    def line(self, loc: Loc) -> str | None:
        lines = self.lines(loc.file)
        return lines[loc.line - 1] if 0 < loc.line <= len(lines) else None

    def line_no(self, text: str, pos: int) -> int:
        """1-based line number of offset `pos` in the main text."""
        if self._nl is None:
            self._nl = [m.start() for m in re.finditer("\n", text)]
        return bisect.bisect_left(self._nl, pos) + 1


def parse_entries(text: str, file: str, diags: Diagnostics,
                  include_resolver: IncludeResolver | None = None) -> ParseResult:
    """Parse `text` into AST entries; syntax errors go to `diags` (several per file)."""
    res = ParseResult()
    res.sources[file] = text

    def on_include(name: str, body: str) -> None:
        res.sources.setdefault(name, body)
        if name not in res.includes:
            res.includes.append(name)

    tables = _get_tables()
    h = tables.handlers
    with _lock, no_gc():
        try:
            h.res = res
            tmp = Diagnostics()
            h.diags = tmp
            try:
                res.entries = tables.parse(LexJob(text, file, tmp, include_resolver, on_include=on_include))
                diags.extend(tmp)
                return res
            except (SyntaxErr, RecursionError):
                pass
            h.diags = diags
            _parse_region(tables, res, text, file, diags, include_resolver, on_include, 0, len(text), 1, 1)
        finally:
            h.res = None
    return res


def _parse_region(tables: _Tables, res: ParseResult, text: str, file: str, diags: Diagnostics,
                  resolver: IncludeResolver | None, on_include: Callable[[str, str], None],
                  start: int, end: int, line: int, col: int) -> None:
    for cs, ce, cl, cc in _chunks(text, file, start, end, line, col):
        job = LexJob(text, file, diags, resolver, cs, ce, cl, cc, on_include=on_include)
        try:
            res.entries.extend(tables.parse(job))
            continue
        except SyntaxErr as e:
            tok = e.token
            at_end = tok.type == "$END"
            err_pos = tok.start_pos if getattr(tok, "file", None) == file and not at_end else ce
            # resynchronise at the next line that starts a top-level entry
            first_nl = text.find("\n", cs, ce)
            m = _RESYNC.search(text, first_nl + 1, ce) if first_nl >= 0 else None
            p = m.start() if m is not None else -1
            if p >= 0 and err_pos >= p:
                # the entry before p is broken (e.g. a missing '}'): parse both parts on their own
                _parse_region(tables, res, text, file, diags, resolver, on_include, cs, p, cl, cc)
            else:
                loc = Loc(getattr(tok, "file", file) or file, tok.line or cl, tok.column or cc)
                found = _describe(tok)
                if at_end and ce < len(text.rstrip()):
                    found = f"the next entry at line {res.line_no(text, ce)} (is a '}}' missing?)"
                diags.error(loc, f"expected {_human_expected(set(e.expected))}, found {found}", res.line(loc))
            if p >= 0:
                _parse_region(tables, res, text, file, diags, resolver, on_include, p, ce, res.line_no(text, p), 1)
        except RecursionError as e:  # pragma: no cover - defensive
            diags.error(Loc(file, cl, cc), f"cannot parse this entry ({e.__class__.__name__})")


def _chunks(text: str, file: str, start: int, end: int, line: int, col: int) -> list[tuple[int, int, int, int]]:
    """Cut [start, end) into top-level entries by counting braces (includes not expanded)."""
    out: list[tuple[int, int, int, int]] = []
    depth = 0
    cur: tuple[int, int, int] | None = None
    head = ""
    seen_block = False
    scratch = Diagnostics()
    for t in tokens(LexJob(text, file, scratch, None, start, end, line, col)):
        if cur is None:
            cur = (t.start_pos, t.line, t.column)
            head = str(t.value)
            seen_block = False
        ty = t.type
        if ty == "LBRACE":
            depth += 1
        elif ty == "RBRACE":
            depth -= 1
            if depth <= 0:
                depth = 0
                seen_block = True
                if head in ("protocol", "template", "filter", "function"):
                    out.append((cur[0], t.start_pos + 1, cur[1], cur[2]))
                    cur = None
        elif ty == "SEMI" and depth == 0 and not (head in ("filter", "function") and not seen_block):
            out.append((cur[0], t.start_pos + 1, cur[1], cur[2]))
            cur = None
    if cur is not None:
        out.append((cur[0], end, cur[1], cur[2]))
    return out
