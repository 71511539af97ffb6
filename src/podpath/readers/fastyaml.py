"""The common case of YAML reading done by libyaml's C parser, with ruamel's round-trip result.

ruamel.yaml's round-trip loader is pure Python and dominated loading big snapshots (an 11k-line nodes
list took seconds). PyYAML ships libyaml's parser: its events carry every node's line and column, which is
all podpath takes from ruamel besides the values. This module builds from those events the very objects
ruamel's `RoundTripConstructor` builds (CommentedMap / CommentedSeq with the same `lc` positions and flow
style, scalars of the same types and values under YAML 1.2's core schema, resolved with ruamel's own
rules and, for the rarer number and timestamp forms, constructed by ruamel's own methods).

It only answers when it can reproduce ruamel exactly. Anything else (a syntax error, an anchor or alias,
a tag, a merge key, a duplicate key, a directive, an empty value, a folded block scalar, a collection as a
key, nesting at podpath's bound, a byte order mark, a tab or NEL/LS/PS anywhere, a `k: v` pair inside a flow
sequence) returns None, and the caller reads the text with ruamel, which also words every error. Comments
are not kept: no reader looks at them.
"""

from __future__ import annotations

import re
import sys
from collections import OrderedDict
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, Format, LineCol
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import implicit_resolvers
from ruamel.yaml.scalarstring import LiteralScalarString

try:  # PyYAML's binding of libyaml (wheels ship it); without it every text goes to ruamel
    from yaml import (
        DocumentEndEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
    )
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    CParser = None

_LC = LineCol.attrib
_FA = Format.attrib
_dict_set = OrderedDict.__setitem__
_list_append = list.append  # not CommentedSeq.append: its insert() would create a comment attribute

# YAML 1.2 implicit resolution exactly as ruamel's VersionedResolver does it: by the first character, the
# resolvers of that character in ruamel's order, the first whose pattern matches wins; else a string.
_RESOLVERS: dict[str, list[tuple[str, Any]]] = {}
for _versions, _tag, _regexp, _first in implicit_resolvers:
    if (1, 2) in _versions:
        for _ch in _first or [None]:
            _RESOLVERS.setdefault(_ch, []).append((sys.intern(_tag.rsplit(":", 1)[1]), _regexp))
assert None not in _RESOLVERS  # ruamel 1.2 has no catch-all resolver; resolve() below relies on it

_STR, _NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP = map(sys.intern, ("str", "null", "bool", "int", "float", "timestamp"))
_BOOL_VALUES = {"true": True, "false": False}
_TAGS: dict[str, str] = {}  # plain scalar -> tag (resolution depends on the text alone in YAML 1.2)
_TAGS_MAX = 100_000


# Characters libyaml and ruamel take differently: ruamel counts a byte order mark as a column, refuses tabs
# where libyaml takes them, and breaks lines at NEL, LS and PS (YAML 1.1's line breaks), libyaml does not.
_DIFFERENT = re.compile("[\t\x85\u2028\u2029]")
_BLOCK_HEADER = re.compile(r"\|[-+0-9]{0,2}(?=[ \r\n]|$)")
_DOCUMENT_END = re.compile(r"^\.\.\.(?=[ \r\n]|$)", re.M)  # a `...` line


_LINE = re.compile(r"([^\r\n]*)(?:\r\n|\r|\n|$)")


def _spaces_before_content(text: str, start: int) -> bool:
    """Whether a block scalar whose indicator is at `start` has a line of spaces only before its first line of
    content (ruamel then refuses a first content line indented more; libyaml follows the spec)."""
    pos = _LINE.match(text, start).end()  # type: ignore[union-attr]  # (always matches)
    while pos < len(text):
        m = _LINE.match(text, pos)
        line = m.group(1)  # type: ignore[union-attr]
        if line.strip(" "):
            return False
        if line:
            return True
        pos = m.end()  # type: ignore[union-attr]
    return False


class _Unsupported(Exception):
    """The text uses something this path does not reproduce exactly: ruamel reads it."""


def _resolve(value: str) -> str:
    tag = _TAGS.get(value)
    if tag is None:
        tag = _STR
        for name, regexp in _RESOLVERS.get(value[:1], ()):
            if regexp.match(value):
                tag = name
                break
        if len(_TAGS) >= _TAGS_MAX:
            _TAGS.clear()
        _TAGS[value] = tag
    return tag


class Constructor(RoundTripConstructor):  # type: ignore[misc]
    """ruamel's round-trip constructor, except that a plain scalar its YAML 1.2 integer pattern takes
    without holding a digit (`-_`, `_`, `+__`) is a string, as Go's YAML readers (Kubernetes, Helm) read
    it: ruamel fails on it (IndexError in construct_yaml_int)."""

    def construct_yaml_int(self, node: Any) -> Any:
        if isinstance(node.value, str) and not any(ch.isdigit() for ch in node.value):
            return self.construct_yaml_str(node)
        return super().construct_yaml_int(node)


Constructor.add_constructor("tag:yaml.org,2002:int", Constructor.construct_yaml_int)


def rt_yaml() -> YAML:
    """A round-trip YAML instance with podpath's Constructor."""
    y = YAML(typ="rt")
    y.Constructor = Constructor
    return y


_constructor: Any = None


def _ruamel_scalar(tag: str, value: str) -> Any:
    """A number or timestamp built by ruamel's round-trip constructor itself (ScalarFloat, HexInt, TimeStamp...
    with their formatting attributes), from a plain scalar without anchor."""
    global _constructor
    if _constructor is None:
        _constructor = rt_yaml().constructor
    node = ScalarNode("tag:yaml.org,2002:" + tag, value)
    if tag == _INT:
        return _constructor.construct_yaml_int(node)
    if tag == _FLOAT:
        return _constructor.construct_yaml_float(node)
    return _constructor.construct_yaml_timestamp(node)


def _scalar(ev: Any, text: str) -> Any:
    if ev.anchor is not None or ev.tag is not None:
        raise _Unsupported
    style = ev.style
    value = ev.value
    if not style:  # plain
        if not value:
            raise _Unsupported  # an empty value: ruamel places it by the token after it, and its comments
        tag = _resolve(value)
        if tag is _STR:
            return value
        if tag is _NULL:
            return None
        if tag is _BOOL:
            return _BOOL_VALUES[value.lower()]
        if tag is _INT and value.isascii() and value.isdigit() and value[0] != "0":
            return int(value)  # what construct_yaml_int gives a plain decimal without sign, underscore or 0
        if tag is _INT or tag is _FLOAT or tag is _TIMESTAMP:
            return _ruamel_scalar(tag, value)
        raise _Unsupported  # merge `<<`, value `=`
    if style == "'" or style == '"':
        return value
    if style == "|":
        if not _BLOCK_HEADER.match(text, ev.start_mark.index) or _spaces_before_content(text, ev.start_mark.index):
            raise _Unsupported  # `|#c`, or a leading line of spaces: libyaml takes them, ruamel refuses them
        return LiteralScalarString(value, anchor=None)
    raise _Unsupported  # folded: ruamel records its fold positions from its own scanner


def _new_collection(ev: Any, cls: type) -> Any:
    if ev.anchor is not None or ev.tag is not None:
        raise _Unsupported
    out = cls()
    lc = LineCol()
    mark = ev.start_mark
    lc.line = mark.line
    lc.col = mark.column
    setattr(out, _LC, lc)
    return out


def _finish(container: Any, data: dict[Any, list[int]], flow_style: Any) -> None:
    if data:
        getattr(container, _LC).data = data
        fa = Format()
        if flow_style is True:
            fa.set_flow_style()
        elif flow_style is False:
            fa.set_block_style()
        setattr(container, _FA, fa)


def _document(get: Any, text: str, max_depth: int) -> tuple[Any, Any]:
    """The data of one document and its DocumentEndEvent (its DocumentStartEvent consumed)."""
    # One frame per open collection: [container, is_mapping, positions, flow_style, key, key_line, key_col]
    stack: list[list[Any]] = []
    no_key = _Unsupported  # a sentinel no key can equal
    while True:
        ev = get()
        cls = ev.__class__
        if cls is ScalarEvent:
            if not stack and not ev.value and not ev.style and ev.anchor is None and ev.tag is None:
                value = None  # an empty document (placed nowhere: the caller skips it)
            elif not stack and ev.style == "|":
                raise _Unsupported  # a document that is a block scalar: ruamel reads `---` and `#` at column 0 in it
            else:
                value = _scalar(ev, text)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if stack:
                top = stack[-1]
                if top[1] and top[4] is no_key:
                    raise _Unsupported  # a collection as a mapping key: ruamel's composer reports it
            if len(stack) + 1 >= max_depth:
                raise _Unsupported  # at podpath's nesting bound: ruamel's composer decides
            is_map = cls is MappingStartEvent
            if is_map and ev.flow_style and stack and not stack[-1][1] and stack[-1][3] \
                    and text[ev.start_mark.index:ev.start_mark.index + 1] != "{":
                raise _Unsupported  # a `k: v` pair in a flow sequence: ruamel takes `"k":v` differently
            stack.append([_new_collection(ev, CommentedMap if is_map else CommentedSeq), is_map, {},
                          ev.flow_style, no_key, 0, 0])
            continue
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            frame = stack.pop()
            value = frame[0]
            _finish(value, frame[2], frame[3])
            ev = None
        else:  # an alias, or anything unforeseen
            raise _Unsupported
        if ev is None:
            lc = getattr(value, _LC)
            line, col = lc.line, lc.col
        else:
            mark = ev.start_mark
            line, col = mark.line, mark.column
        if not stack:
            end = get()
            if end.__class__ is not DocumentEndEvent:  # pragma: no cover - libyaml's grammar
                raise _Unsupported
            return value, end
        top = stack[-1]
        container = top[0]
        if top[1]:
            key = top[4]
            if key is no_key:
                if dict.__contains__(container, value):
                    raise _Unsupported  # a duplicate key: ruamel's error
                top[4], top[5], top[6] = value, line, col
            else:
                top[2][key] = [top[5], top[6], line, col]
                _dict_set(container, key, value)
                container._ok.add(key)
                top[4] = no_key
        else:
            top[2][len(container)] = [line, col]
            _list_append(container, value)


def load_all(text: str, max_depth: int) -> list[Any] | None:
    """Every document's data (None for an empty one) as ruamel's round-trip `load_all` gives it, or None
    when this path cannot promise that (see the module's docstring)."""
    if CParser is None or text.startswith("\ufeff") or _DIFFERENT.search(text):
        return None

    try:
        parser = CParser(text)
    except Exception:
        return None
    try:
        get = parser.get_event
        get()  # StreamStartEvent
        docs: list[Any] = []
        ev = get()
        while True:
            if ev.__class__ is StreamEndEvent:
                return docs
            if ev.__class__ is not DocumentStartEvent or ev.version is not None or ev.tags:
                return None  # a %YAML or %TAG directive
            data, end = _document(get, text, max_depth)
            docs.append(data)
            ev = get()
            if end.explicit and _DOCUMENT_END.search(text, end.end_mark.index, ev.start_mark.index):
                return None  # a second `...` closing no document: libyaml skips it, ruamel refuses it
    except Exception:  # a syntax error, an unsupported construct, text libyaml cannot take: ruamel's turn
        return None
    finally:
        parser.dispose()
