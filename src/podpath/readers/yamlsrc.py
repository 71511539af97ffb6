"""YAML documents with the file:line:col of every key and value.

ruamel.yaml's round-trip loader keeps positions on every mapping and sequence;
this module turns its errors into `Diagnostic`s and offers small helpers to ask
"where is this key / item" so readers can attach a `Loc` to every value.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from podpath.diagnostics import Diagnostics, Loc


@dataclass
class YamlDoc:
    """One document of a (possibly multi-document) YAML file."""

    file: str
    index: int
    data: Any
    loc: Loc  # where the document's top node starts


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


def load_documents(text: str, file: str, diags: Diagnostics) -> list[YamlDoc] | None:
    """Parse every document; on a syntax error report it and return None."""
    docs: list[YamlDoc] = []
    try:
        for i, data in enumerate(_yaml().load_all(io.StringIO(text))):
            if data is None:
                continue
            docs.append(YamlDoc(file, i, data, node_loc(data, file)))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        col = mark.column + 1 if mark else 0
        problem = exc.problem or exc.context or "invalid YAML"
        lines = text.splitlines()
        src = lines[line - 1] if 0 < line <= len(lines) else None
        diags.error(Loc(file, line, col), f"invalid YAML: {problem}", src)
        return None
    except YAMLError as exc:  # pragma: no cover - ruamel always marks, but be safe
        diags.error(Loc(file, 1, 1), f"invalid YAML: {exc}")
        return None
    return docs


def node_loc(node: Any, file: str) -> Loc:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return Loc(file, lc.line + 1, (lc.col or 0) + 1)
    return Loc(file)


def key_loc(mapping: Any, key: str, file: str) -> Loc:
    """Location of `key:` inside `mapping` (falls back to the mapping itself)."""
    if isinstance(mapping, CommentedMap) and key in mapping:
        try:
            line, col = mapping.lc.key(key)
            return Loc(file, line + 1, col + 1)
        except (KeyError, TypeError):
            pass
    return node_loc(mapping, file)


def value_loc(mapping: Any, key: str, file: str) -> Loc:
    """Location of the value of `key` (the scalar itself, for citing a bad value)."""
    if isinstance(mapping, CommentedMap) and key in mapping:
        value = mapping[key]
        if isinstance(value, (CommentedMap, CommentedSeq)):
            return node_loc(value, file)
        try:
            line, col = mapping.lc.value(key)
            return Loc(file, line + 1, col + 1)
        except (KeyError, TypeError):
            pass
    return key_loc(mapping, key, file)


def item_loc(seq: Any, index: int, file: str) -> Loc:
    if isinstance(seq, CommentedSeq) and 0 <= index < len(seq):
        try:
            line, col = seq.lc.item(index)
            return Loc(file, line + 1, col + 1)
        except (KeyError, TypeError, IndexError):
            pass
    return node_loc(seq, file)


def get_path(data: Any, path: str) -> Any:
    """`get_path(d, "spec.values")` → value or None, never raising."""
    cur = data
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def walk_leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, Any, Any, str]]:
    """Yield (dotted_path, value, parent_mapping, key) for every key of nested mappings,
    including keys whose value is itself a mapping."""
    if not isinstance(data, dict):
        return
    for key in data:
        path = f"{prefix}.{key}" if prefix else str(key)
        value = data[key]
        yield path, value, data, str(key)
        if isinstance(value, dict):
            yield from walk_leaves(value, path)
