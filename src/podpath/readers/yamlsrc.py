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
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode

from podpath.diagnostics import Diagnostics, Loc
from podpath.readers import fastyaml

# Bounds that keep hostile or broken YAML from exhausting the stack or memory. Real configurations nest a
# few dozen levels at most and use aliases for a handful of shared blocks.
MAX_DEPTH = 100
"""Deepest nesting of mappings/sequences podpath reads (deeper: an error at the first node too deep)."""
MAX_ALIAS_NODES = 100_000
"""Nodes a document may reach through aliases beyond its own (or 10x its own node count, if larger): an
alias does not copy its anchor, but every reader that walks the document walks the expansion."""


@dataclass
class YamlDoc:
    """One document of a (possibly multi-document) YAML file."""

    file: str
    index: int
    data: Any
    loc: Loc  # where the document's top node starts


class _BoundedComposer(Composer):  # type: ignore[misc]
    """ruamel's composer with a nesting bound, a bound on alias expansion (a "billion laughs" document of
    1 KB expands to 10^9 nodes), and errors with a position for what ruamel would only trip over later
    (a recursive alias, a mapping or sequence used as a mapping key)."""

    def compose_document(self) -> Any:
        self.warn_double_anchors = False  # a redefined anchor is valid YAML (the later one wins)
        self._pp_depth = 0
        self._pp_nodes = 0
        self._pp_size: dict[int, int] = {}  # id(node) -> nodes in its expansion (set when it is complete)
        self._pp_via_alias: dict[int, list[Any]] = {}  # id(anchored node) -> [node, expanded nodes via aliases]
        node = super().compose_document()
        reached = sum(n for _, n in self._pp_via_alias.values())
        limit = max(MAX_ALIAS_NODES, 10 * self._pp_nodes)
        if reached > limit:
            target, n = max(self._pp_via_alias.values(), key=lambda t: t[1])
            raise ComposerError(None, None, f"aliases expand this document to {reached + self._pp_nodes:,} nodes, "
                                f"more than podpath reads through aliases ({limit:,}); the aliases of "
                                f"&{target.anchor} alone reach {n:,} (an alias bomb)", target.start_mark)
        return node

    def compose_node(self, parent: Any, index: Any) -> Any:
        is_key = isinstance(parent, MappingNode) and index is None
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = self._pp_size.get(id(target))
                if size is None:
                    raise ComposerError(None, None, f"alias *{event.anchor} refers to a node that contains it "
                                        "(a recursive alias)", event.start_mark)
                entry = self._pp_via_alias.setdefault(id(target), [target, 0])
                entry[1] += size
            node = super().compose_node(parent, index)
        else:
            self._pp_depth += 1
            if self._pp_depth > MAX_DEPTH and not isinstance(event, ScalarEvent):
                raise ComposerError(None, None, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
            node = super().compose_node(parent, index)
            self._pp_depth -= 1
            self._pp_nodes += 1
            if isinstance(node, ScalarNode):
                self._pp_size[id(node)] = 1
            elif isinstance(node, MappingNode):
                self._pp_size[id(node)] = 1 + sum(self._pp_size.get(id(k), 1) + self._pp_size.get(id(v), 1)
                                                  for k, v in node.value)
            else:
                self._pp_size[id(node)] = 1 + sum(self._pp_size.get(id(v), 1) for v in node.value)
        if is_key and not isinstance(node, ScalarNode):
            raise ComposerError(None, None, "a mapping key must be a plain value, not a "
                                f"{'mapping' if isinstance(node, MappingNode) else 'sequence'}", node.start_mark)
        return node


def _yaml() -> YAML:
    y = fastyaml.rt_yaml()
    y.allow_duplicate_keys = False
    y.Composer = _BoundedComposer
    return y


def load_documents(text: str, file: str, diags: Diagnostics) -> list[YamlDoc] | None:
    """Parse every document; on a syntax error report it and return None.

    libyaml's C parser reads what it can reproduce exactly (readers/fastyaml.py); ruamel reads the rest and
    words every error."""
    fast = fastyaml.load_all(text, MAX_DEPTH)
    if fast is not None:
        return [YamlDoc(file, i, data, node_loc(data, file)) for i, data in enumerate(fast) if data is not None]
    return load_documents_ruamel(text, file, diags)


def load_documents_ruamel(text: str, file: str, diags: Diagnostics) -> list[YamlDoc] | None:
    """`load_documents` by ruamel alone (every text it does not hand to libyaml, and the tests' reference)."""
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
    except (RecursionError, MemoryError) as exc:  # bounded above; a last line of defence, not a traceback
        diags.error(Loc(file, 1, 1), f"YAML too deeply nested or too large to read ({type(exc).__name__})")
        return None
    return docs


# A tree merged from several files (a Talos config and its patches, readers/talos.py) records where each part
# came from: a mapping or sequence copied from a file carries ORIGIN_FILE; a key or item that a patch set in a
# container of another file carries its file in ORIGIN_KEYS / ORIGIN_ITEMS (and its position in `lc`).
ORIGIN_FILE = "_podpath_file"
ORIGIN_KEYS = "_podpath_key_files"
ORIGIN_ITEMS = "_podpath_item_files"


def _origin(node: Any, file: str, attr: str | None = None, key: Any = None) -> str:
    if attr is not None:
        where = getattr(node, attr, None)
        if where and key in where:
            return str(where[key])
    return str(getattr(node, ORIGIN_FILE, None) or file)


def node_loc(node: Any, file: str) -> Loc:
    file = _origin(node, file)
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return Loc(file, lc.line + 1, (lc.col or 0) + 1)
    return Loc(file)


def key_loc(mapping: Any, key: str, file: str) -> Loc:
    """Location of `key:` inside `mapping` (falls back to the mapping itself)."""
    if isinstance(mapping, CommentedMap) and key in mapping:
        try:
            line, col = mapping.lc.key(key)
            return Loc(_origin(mapping, file, ORIGIN_KEYS, key), line + 1, col + 1)
        except (KeyError, TypeError):
            pass
    return node_loc(mapping, file)


def value_loc(mapping: Any, key: str, file: str) -> Loc:
    """Location of the value of `key` (the scalar itself, for citing a bad value)."""
    if isinstance(mapping, CommentedMap) and key in mapping:
        value = mapping[key]
        if isinstance(value, (CommentedMap, CommentedSeq)):
            return node_loc(value, _origin(mapping, file, ORIGIN_KEYS, key))
        try:
            line, col = mapping.lc.value(key)
            return Loc(_origin(mapping, file, ORIGIN_KEYS, key), line + 1, col + 1)
        except (KeyError, TypeError):
            pass
    return key_loc(mapping, key, file)


def item_loc(seq: Any, index: int, file: str) -> Loc:
    if isinstance(seq, CommentedSeq) and 0 <= index < len(seq):
        try:
            line, col = seq.lc.item(index)
            return Loc(_origin(seq, file, ORIGIN_ITEMS, index), line + 1, col + 1)
        except (KeyError, TypeError, IndexError):
            pass
    return node_loc(seq, file)


def kind_of(value: Any) -> str:
    """How a user would name the YAML value they wrote ("a list", "a number", ...)."""
    if value is None:
        return "null"
    for types, name in ((dict, "a mapping"), (list, "a list"), (bool, "a boolean"), ((int, float), "a number"),
                        (str, "a string")):
        if isinstance(value, types):
            return name
    return f"a {type(value).__name__}"


def child_map(parent: Any, key: str, file: str, diags: Diagnostics, where: str | None = None) -> dict[Any, Any]:
    """The mapping under `key` of `parent`: {} when absent or null, and an error diagnostic at the value when
    it is something else (a reader then carries on as if it were empty)."""
    value = parent.get(key) if isinstance(parent, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        diags.error(value_loc(parent, key, file), f"{where or key} must be a mapping, not {kind_of(value)}")
        return {}
    return value


def child_list(parent: Any, key: str, file: str, diags: Diagnostics, where: str | None = None) -> list[Any]:
    """The sequence under `key` of `parent` (as `child_map`, for lists)."""
    value = parent.get(key) if isinstance(parent, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        diags.error(value_loc(parent, key, file), f"{where or key} must be a list, not {kind_of(value)}")
        return []
    return value


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
