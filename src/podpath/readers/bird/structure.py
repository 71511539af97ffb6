"""Structural keys of BIRD filters: two filters with the same key behave the same on every
route, wherever they were written. Nodes of a cluster usually run one BIRD configuration
template; the simulator shares work between speakers whose policies have equal keys
(update groups, shared imports, cohorts), so the key must never call two different filters
equal: anything it does not recognise makes the key unique."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from typing import Any

from podpath.diagnostics import Loc
from podpath.readers.bird import ast as A
from podpath.readers.bird.model import BirdConfig, Define, Filter, Function

_SKIP = frozenset({"at", "loc"})
_MEMO_TYPES = frozenset({Filter, Function, Define})
_ADDR = (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _fields(t: type) -> tuple[str, ...] | None:
    """Field names of a dataclass type (locations left out), once per type; None otherwise."""
    f = _FIELDS.get(t, _FIELDS)
    if f is _FIELDS:
        f = tuple(x.name for x in dataclasses.fields(t) if x.name not in _SKIP) if dataclasses.is_dataclass(t) else None
        _FIELDS[t] = f  # type: ignore[assignment]
    return f  # type: ignore[return-value]


def _canon(x: Any, names: set[str], memo: dict[int, tuple[Any, Any, frozenset[str]]] | None = None) -> Any:
    """`x` without locations, as nested tuples; symbols it names are added to `names`.
    `memo` (by object) keeps the keys of filters, functions and defines one configuration
    uses several times."""
    t = type(x)
    if x is None or t is bool or t is str or t is int or t is float:
        return x
    if memo is not None and t in _MEMO_TYPES:
        hit = memo.get(id(x))
        if hit is not None and hit[0] is x:
            names |= hit[2]
            return hit[1]
        inner: set[str] = set()
        v = _canon_obj(x, t, inner, memo)
        memo[id(x)] = (x, v, frozenset(inner))
        names |= inner
        return v
    return _canon_obj(x, t, names, memo)


def _canon_obj(x: Any, t: type, names: set[str], memo: Any) -> Any:
    f = _fields(t)
    if f is not None:
        if t is A.Name or t is A.Call:
            names.add(x.name)
        return (t.__name__,) + tuple(_canon(getattr(x, n), names, memo) for n in f)
    if isinstance(x, Loc):
        return None
    if isinstance(x, enum.Enum):
        return (t.__name__, x.name)
    if isinstance(x, int):  # Quad, Ec, Rd: an int with a meaning
        return (t.__name__, int(x))
    if isinstance(x, _ADDR):  # by value, not by text: formatting an IPv6 address is slow
        if t is ipaddress.IPv4Network or t is ipaddress.IPv6Network:
            a = x.network_address
            return (t.__name__, int(a), x.prefixlen, getattr(a, "scope_id", None))
        return (t.__name__, int(x), getattr(x, "scope_id", None))
    if isinstance(x, tuple):  # NamedTuples (Pair, Lc, EnumV), community lists
        return (t.__name__,) + tuple(_canon(v, names, memo) for v in x)
    if isinstance(x, list):
        return ("list",) + tuple(_canon(v, names, memo) for v in x)
    if isinstance(x, (set, frozenset)):
        return ("set",) + tuple(sorted((_canon(v, names, memo) for v in x), key=repr))
    if isinstance(x, dict):
        return ("dict",) + tuple(sorted(((_canon(k, names, memo), _canon(v, names, memo)) for k, v in x.items()),
                                        key=repr))
    slots = [s for c in t.__mro__ for s in getattr(c, "__slots__", ())]
    if slots or hasattr(x, "__dict__"):
        attrs = sorted(set(slots) | set(getattr(x, "__dict__", {})))
        if any(a.startswith("__") for a in attrs):
            return ("unique", id(x))
        return (t.__name__,) + tuple((a, _canon(getattr(x, a, None), names, memo)) for a in attrs
                                     if a not in _SKIP and not a.startswith("_"))
    return ("unique", id(x))  # not understood: equal to nothing else


def filter_key(cfg: BirdConfig, spec: Any, dialect: str) -> tuple[Any, ...]:
    """The key of a filter (`FilterSpec`, `Filter` or attribute block) of `cfg`: its statements
    and every define, function and filter it names (transitively), the custom attributes and
    the tables of the configuration, and the dialect; no locations, no file names."""
    memo = cfg.__dict__.setdefault("_structure_memo", {})
    names: set[str] = set()
    body = _canon(spec, names, memo)
    env: dict[str, Any] = {}
    todo = sorted(names)
    while todo:
        n = todo.pop()
        if n in env:
            continue
        more: set[str] = set()
        parts = []
        for kind, table in (("define", cfg.defines), ("function", cfg.functions), ("filter", cfg.filters)):
            if n in table:
                parts.append((kind, _canon(table[n], more, memo)))
        env[n] = tuple(parts)
        todo.extend(sorted(more - env.keys()))
    return ("bird filter", dialect, body, tuple(sorted(env.items(), key=lambda kv: kv[0])),
            _canon(cfg.attributes, set()), _canon({k: v for k, v in cfg.tables.items()}, set()))
