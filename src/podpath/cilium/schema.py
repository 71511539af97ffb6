"""The Cilium chart's own values.schema.json, applied to Helm values the way Helm applies it.

Helm validates the (coalesced) values against the chart's values.schema.json before it renders
anything; a violation makes `helm install/upgrade/template` fail. The Cilium schemas (1.16-1.19)
use only a handful of JSON Schema draft-7 keywords (`type`, `enum`, `properties`, `items`,
`anyOf`, `oneOf`, `minimum`, `maximum`), so this module implements that subset, exactly, instead
of pulling in a general validator; `tools/chart_keys.py schema` refuses to ship a schema that uses
a keyword not in `KEYWORDS`, so a later chart cannot be validated half-way.

What Helm sees is not quite what ruamel.yaml gives us, and the differences matter:

* Helm reads values as YAML 1.1 (sigs.k8s.io/yaml): an unquoted `yes`/`no`/`on`/`off`/`y`/`n` is a
  boolean there, a string in YAML 1.2. The quoting is gone by the time we see the value, so such a
  word is accepted when either reading satisfies the schema (never a false error).
* Numbers pass through JSON: `1500.0` is an integer to the schema (draft 7 counts integral numbers).
* A YAML timestamp becomes a JSON string.
* A key set to `null` whose chart default exists is deleted by Helm's coalescing before validation
  (that is how values remove a default); the caller says which nulls those are.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

from podpath.cilium.settings import minor

KEYWORDS = frozenset({"type", "enum", "const", "properties", "items", "anyOf", "oneOf", "allOf",
                      "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})

# YAML 1.1 booleans (go-yaml v2, which Helm uses for values files).
YAML11_BOOLS = {**{w: True for w in ("y", "Y", "yes", "Yes", "YES", "on", "On", "ON")},
                **{w: False for w in ("n", "N", "no", "No", "NO", "off", "Off", "OFF")}}

_TYPE_WORDS = {"null": "null", "boolean": "a boolean (true or false)", "integer": "an integer",
               "number": "a number", "string": "a string", "object": "a map", "array": "a list"}

Path = tuple["str | int", ...]


@dataclass(frozen=True)
class Violation:
    """One place where the values break the schema: `path` from the values root, what was there,
    and what the schema wants there (a phrase: 'an integer', 'one of "Disk", "Memory"', ...)."""

    path: Path
    value: Any
    expected: str


@dataclass(frozen=True)
class ChartSchema:
    cilium: str
    chart_version: str
    schema: dict[str, Any]

    def describe_source(self) -> str:
        return f"values.schema.json of the Cilium chart {self.chart_version}"

    def validate(self, values: Any, null_removed: Callable[[Path], bool] = lambda p: False) -> list[Violation]:
        """Every violation, in document order. `null_removed(path)` is true for a null Helm drops."""
        out: list[Violation] = []
        _validate(values, self.schema, (), out, null_removed)
        return out


@lru_cache(maxsize=None)
def load_schema(version: str) -> ChartSchema | None:
    """The shipped schema of a Cilium minor version, or None when there is none."""
    name = f"schema-{minor(version)}.json"
    try:
        text = resources.files("podpath.data").joinpath("cilium", name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError, ModuleNotFoundError):
        return None
    raw = json.loads(text)
    return ChartSchema(str(raw["cilium"]), str(raw["chart_version"]), raw["schema"])


def json_kind(v: Any) -> str:
    """The JSON type Helm's validator sees for a parsed YAML value."""
    from ruamel.yaml.scalarbool import ScalarBoolean

    if v is None:
        return "null"
    if isinstance(v, (bool, ScalarBoolean)):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "integer" if math.isfinite(v) and v.is_integer() else "number"
    if isinstance(v, (str, datetime.date)):
        return "string"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, (list, tuple)):
        return "array"
    return "string"


def _type_ok(kind: str, want: str) -> bool:
    return kind == want or (want == "number" and kind == "integer")


def _plain(v: Any) -> Any:
    """A JSON-comparable copy (ruamel subclasses, timestamps) for enum/const equality."""
    k = json_kind(v)
    if k == "boolean":
        return bool(v)
    if k in ("integer", "number"):
        return float(v)
    if k == "string":
        return v.isoformat() if isinstance(v, datetime.date) else str(v)
    if k == "object":
        return {str(a): _plain(b) for a, b in v.items()}
    if k == "array":
        return [_plain(x) for x in v]
    return None


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    pa, pb = _plain(a), _plain(b)
    return type(pa) is type(pb) and pa == pb


def _validate(v: Any, s: Any, path: Path, out: list[Violation], null_removed: Callable[[Path], bool]) -> None:
    if isinstance(v, str) and v in YAML11_BOOLS:
        as_str: list[Violation] = []
        _check(v, s, path, as_str, null_removed)
        if as_str:
            as_bool: list[Violation] = []
            _check(YAML11_BOOLS[v], s, path, as_bool, null_removed)
            if as_bool:
                out.extend(as_str)
        return
    _check(v, s, path, out, null_removed)


def _check(v: Any, s: Any, path: Path, out: list[Violation], null_removed: Callable[[Path], bool]) -> None:
    if s is False:
        out.append(Violation(path, v, "absent (the schema allows nothing here)"))
        return
    if not isinstance(s, dict):
        return
    kind = json_kind(v)
    t = s.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(_type_ok(kind, x) for x in types):
            out.append(Violation(path, v, _types_phrase(types)))
            return  # the other keywords would only repeat it
    if "enum" in s and not any(_same(v, e) for e in s["enum"]):
        out.append(Violation(path, v, "one of " + ", ".join(json.dumps(e) for e in s["enum"])))
    if "const" in s and not _same(v, s["const"]):
        out.append(Violation(path, v, json.dumps(s["const"])))
    if kind in ("integer", "number"):
        n = float(v)
        for kw, bad, word in (("minimum", lambda x, m: x < m, "at least"), ("maximum", lambda x, m: x > m, "at most"),
                              ("exclusiveMinimum", lambda x, m: x <= m, "more than"),
                              ("exclusiveMaximum", lambda x, m: x >= m, "less than")):
            if isinstance(s.get(kw), (int, float)) and bad(n, s[kw]):
                out.append(Violation(path, v, f"{word} {s[kw]}"))
    if kind == "object" and isinstance(s.get("properties"), dict):
        for key, sub in s["properties"].items():
            if key in v:
                child = v[key]
                if child is None and null_removed(path + (key,)):
                    continue
                _validate(child, sub, path + (key,), out, null_removed)
    if kind == "array" and "items" in s:
        items = s["items"]
        for i, x in enumerate(v):
            sub = items[i] if isinstance(items, list) else items
            if isinstance(items, list) and i >= len(items):
                break
            _validate(x, sub, path + (i,), out, null_removed)
    for sub in s.get("allOf") or []:
        _validate(v, sub, path, out, null_removed)
    for kw in ("anyOf", "oneOf"):
        branches = s.get(kw)
        if not isinstance(branches, list) or not branches:
            continue
        results = []
        for b in branches:
            errs: list[Violation] = []
            _validate(v, b, path, errs, null_removed)
            results.append(errs)
        ok = sum(1 for r in results if not r)
        if ok == 0:
            if len(branches) == 1 or all(r == results[0] for r in results):
                out.extend(results[0])
            else:
                out.append(Violation(path, v, _alternatives(branches)))
        elif kw == "oneOf" and ok > 1:
            out.append(Violation(path, v, f"exactly one of the schema's {len(branches)} alternatives "
                                          f"(it matches {ok})"))


def _types_phrase(types: list[str]) -> str:
    words = [_TYPE_WORDS.get(t, t) for t in types]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _alternatives(branches: list[Any]) -> str:
    """'null or one of "trace", "debug"' when the branches are simple; else a count."""
    phrases = []
    for b in branches:
        if not isinstance(b, dict) or set(b) - {"type", "enum"}:
            return f"one of the schema's {len(branches)} alternative shapes"
        part = []
        if "type" in b:
            part.append(_types_phrase(b["type"] if isinstance(b["type"], list) else [b["type"]]))
        if "enum" in b:
            part.append("one of " + ", ".join(json.dumps(e) for e in b["enum"]))
        phrases.append(" that is ".join(part))
    seen: list[str] = []
    for p in phrases:
        if p not in seen:
            seen.append(p)
    return " or ".join(seen)


def render_path(path: Path) -> str:
    """`bpf.monitorTraceIPOption`, `tolerations[0].key`."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(the values root)"


def render_value(v: Any) -> str:
    kind = json_kind(v)
    if kind == "object":
        return "a map" if v else "{}"
    if kind == "array":
        return "a list" if v else "[]"
    if kind == "string":
        return json.dumps(_plain(v))
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "null":
        return "null"
    return str(v)
