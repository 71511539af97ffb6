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
from podpath.readers.bird.model import BirdConfig

_SKIP = frozenset({"at", "loc"})
_ADDR = (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)


def _canon(x: Any, names: set[str]) -> Any:
    """`x` without locations, as nested tuples; symbols it names are added to `names`."""
    t = type(x)
    if x is None or t is bool or t is str or t is int or t is float:
        return x
    if isinstance(x, Loc):
        return None
    if isinstance(x, enum.Enum):
        return (t.__name__, x.name)
    if isinstance(x, int):  # Quad, Ec, Rd: an int with a meaning
        return (t.__name__, int(x))
    if isinstance(x, _ADDR):
        return (t.__name__, str(x))
    if isinstance(x, tuple):  # NamedTuples (Pair, Lc, EnumV), community lists
        return (t.__name__,) + tuple(_canon(v, names) for v in x)
    if isinstance(x, list):
        return ("list",) + tuple(_canon(v, names) for v in x)
    if isinstance(x, (set, frozenset)):
        return ("set",) + tuple(sorted((_canon(v, names) for v in x), key=repr))
    if isinstance(x, dict):
        return ("dict",) + tuple(sorted(((_canon(k, names), _canon(v, names)) for k, v in x.items()), key=repr))
    if isinstance(x, (A.Name, A.Call)):
        names.add(x.name)
    if dataclasses.is_dataclass(x):
        return (t.__name__,) + tuple(_canon(getattr(x, f.name), names) for f in dataclasses.fields(x)
                                     if f.name not in _SKIP)
    slots = [s for c in t.__mro__ for s in getattr(c, "__slots__", ())]
    if slots or hasattr(x, "__dict__"):
        attrs = sorted(set(slots) | set(getattr(x, "__dict__", {})))
        if any(a.startswith("__") for a in attrs):
            return ("unique", id(x))
        return (t.__name__,) + tuple((a, _canon(getattr(x, a, None), names)) for a in attrs
                                     if a not in _SKIP and not a.startswith("_"))
    return ("unique", id(x))  # not understood: equal to nothing else


def filter_key(cfg: BirdConfig, spec: Any, dialect: str) -> tuple[Any, ...]:
    """The key of a filter (`FilterSpec`, `Filter` or attribute block) of `cfg`: its statements
    and every define, function and filter it names (transitively), the custom attributes and
    the tables of the configuration, and the dialect; no locations, no file names."""
    names: set[str] = set()
    body = _canon(spec, names)
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
                parts.append((kind, _canon(table[n], more)))
        env[n] = tuple(parts)
        todo.extend(sorted(more - env.keys()))
    return ("bird filter", dialect, body, tuple(sorted(env.items(), key=lambda kv: kv[0])),
            _canon(cfg.attributes, set()), _canon({k: v for k, v in cfg.tables.items()}, set()))
