"""libyaml's fast path (readers/fastyaml.py) against ruamel's round-trip loader: the same data, the same
Python type of every scalar (with ruamel's formatting attributes), the same line/column of every mapping,
sequence, key, value and item, the same flow style, and the same diagnostics, for every YAML file of the
tests and examples, the shared bad inputs, hand-written awkward cases and generated documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap, CommentedSeq, Format, LineCol

from podpath.diagnostics import Diagnostics
from podpath.readers import fastyaml
from podpath.readers.yamlsrc import MAX_DEPTH, load_documents, load_documents_ruamel

ROOT = Path(__file__).resolve().parents[2]
_SKIP_ATTRS = {"_yaml_comment", "comment"}  # comments are not kept by the fast path (no reader uses them)


def _attrs(x: Any) -> dict[str, Any]:
    """Every attribute an object carries (slots and __dict__), comments aside."""
    out: dict[str, Any] = {}
    for klass in type(x).__mro__:
        for name in getattr(klass, "__slots__", ()):
            if name not in _SKIP_ATTRS and hasattr(x, name):
                out[name] = getattr(x, name)
    for name, value in getattr(x, "__dict__", {}).items():
        if name not in _SKIP_ATTRS:
            out[name] = value
    return out


def describe(x: Any) -> Any:
    """A comparable picture of a loaded tree: types, values, positions, flow style, scalar attributes."""
    if isinstance(x, (CommentedMap, CommentedSeq)):
        lc = getattr(x, LineCol.attrib, None)
        fa = getattr(x, Format.attrib, None)
        pos = (lc.line, lc.col, lc.data) if lc is not None else None
        flow = fa.flow_style() if fa is not None else "unset"
        attrs = sorted(k for k in _attrs(x) if k not in (LineCol.attrib, Format.attrib, "_ok", "_ref"))
        if isinstance(x, CommentedMap):
            return ("map", pos, flow, attrs, sorted(map(repr, x._ok)), x._ref,
                    [(describe(k), describe(v)) for k, v in x.items()])
        return ("seq", pos, flow, attrs, [describe(v) for v in x])
    attrs = {k: repr(v if not isinstance(v, dict) else sorted(v.items())) for k, v in _attrs(x).items()}
    return (type(x).__module__, type(x).__qualname__, repr(x), sorted(attrs.items(), key=lambda kv: kv[0]))


def _diags(d: Diagnostics) -> list[str]:
    return [str(x) for x in d]


def compare(text: str, name: str = "t.yaml") -> bool:
    """Assert both paths agree on `text`; True when the fast path answered (rather than handing it on)."""
    took = fastyaml.load_all(text, MAX_DEPTH) is not None
    d_fast, d_ref = Diagnostics(), Diagnostics()
    fast = load_documents(text, name, d_fast)
    ref = load_documents_ruamel(text, name, d_ref)
    assert _diags(d_fast) == _diags(d_ref)
    if ref is None or fast is None:
        assert fast is None and ref is None
    elif took:  # (else both are ruamel's: nothing to compare, and ruamel's tagged values have no equality)
        assert [(d.file, d.index, d.loc) for d in fast] == [(d.file, d.index, d.loc) for d in ref]
        for a, b in zip(fast, ref):
            assert describe(a.data) == describe(b.data)  # (by repr of every scalar: .nan != .nan)
    return took


def _yaml_files() -> list[Path]:
    files: list[Path] = []
    for base in (ROOT / "tests", ROOT / "examples", Path("/work/shared/regressions/bad-input")):
        if base.is_dir():
            files += [p for p in base.rglob("*") if p.suffix.lower() in (".yaml", ".yml") and p.is_file()]
    return sorted(files)


def test_every_yaml_file_of_the_repo_reads_the_same() -> None:
    files = _yaml_files()
    assert len(files) > 50, files
    fast = 0
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        try:
            fast += compare(text, str(p))
        except AssertionError as exc:
            raise AssertionError(f"{p}: {exc}") from None
    assert fast > len(files) // 2  # the fast path does take the common case


AWKWARD = [
    # YAML 1.2 core schema: these are strings, numbers of ruamel's own types, timestamps, nulls
    "a: yes\nb: no\nc: on\nd: off\ne: y\nf: True\ng: FALSE\nh: tRue\n",
    "a: 0o17\nb: 017\nc: 1_000\nd: 0x1F\ne: 0x1f\nf: +1\ng: -0\nh: 0\ni: 007\nj: 0b101\nk: 1_\nl: -12\n",
    "a: 1e3\nb: .inf\nc: -.Inf\nd: .nan\ne: 1.50\nf: +1.0e-3\ng: .5\nh: 1.\ni: 1E3\nj: 10_0.0_1\n",
    "a: ~\nb: null\nc: Null\nd:\ne: NULL\nf: nULL\n",
    "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10\nd: 2002-12-14T21:59:43Z\n",
    "1: one\n2.5: x\ntrue: t\n~: n\n'1': s\n",
    "a: '0x1F'\nb: \"1e3\"\nc: 'yes'\nd: \"\"\ne: ''\n",
    # positions: non-ASCII, tabs, CRLF, flow collections, multi-line scalars, block scalars, comments
    "名前: ñandú  # comment\nß:\n  - 😀 x\n  - [é, {ü: 1}]\n",
    "a:\tb\nc: d\t# tab before a comment\n",
    "a: 1\r\nb:\r\n  - x\r\n  - y\r\n",
    "a: [1, 2, {b: c, d: [e]}]\nf: {}\ng: []\nh: {i: }\n",
    "a: this is\n  a plain\n\n  multi-line\nb: \"double\n  quoted \\t \\u00e9\"\nc: 'single ''q''\n  x'\n",
    "a: |\n  line\n   more\n\nb: |2\n    indented\nc: |-\n  stripped\nd: |+\n  kept\n\ne: x\n",
    "# top\na: 1\n# between\n\nb: 2 # eol\n  # indented comment\nc:\n  # in\n  d: 3\n",
    "", "# only a comment\n", "---\n", "---\n...\n---\na: 1\n...\n", "a: 1\n---\n", "---\n# c\n---\n- a\n---\n", "a: 1\n---\n---\n- b\n--- c\n",
    "- a\n- - b\n  - c\n- d: e\n  f: g\n-\n- ? h\n  : i\n",
    "? complex\n: value\n? [a, b]\n: seq key\n",
    "plain: a:b c#d\nurl: http://x/y?z=1#frag\n[k]: v\n",
    "{a: 1, b: [x, y], c: \"s\"}\n",
    "a: [1,\n  2,\n  3]\nb: {c: d,\n  e: f}\n",
    # every one of these goes to ruamel (and its diagnostics must come out unchanged)
    "a: &x 1\nb: *x\n", "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n", "a: !!str 1\n", "a: !custom x\n",
    "a: 1\na: 2\n", "%YAML 1.1\n---\na: yes\n", "\ufeffa: 1\n", "a: >\n  folded\n  text\n", "a: [\n",
    "| \n\n---\nb\n", "|\n#c\n", "- |\n---\nb\n", "a: |\n---\nb\n", "a: |\n \n  x\n", "- |\n\n   \n  x\n", "a: |\n  x\n \n  y\n   \n", "|#\n", "a: |#c\n  x\n", "a: |-2 # c\n    x\n", "a\n...\n...\n", "a\n...\n# c\n...\n", "- [-x, a:b, 'q':v]\n", "{'q':v}\n", "a: x\x85b: y\n", "a: x\u2028b\n", "a: b: c\n", "a:\n- b\n c\n", "key: \"unterminated\n", "a: 1\n b: 2\n", "\t- a\n", "=: x\n", "a: =\n",
    "- [" * 120 + "]" * 120 + "\n", "{[a]: b}\n", "a:\n  - b\n  -\tc\n", "x: \x01\n",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_awkward_cases_read_the_same(text: str) -> None:
    compare(text)


def test_the_fast_path_takes_the_plain_cases_and_hands_on_the_rest() -> None:
    assert fastyaml.load_all("a: [1, {b: c}]\nd: |\n  e\n", MAX_DEPTH) is not None
    assert fastyaml.load_all("---\n---\na: 1\n---\n", MAX_DEPTH) == [None, {"a": 1}, None]
    for text in ("a: &x 1\nb: *x\n", "a: 1\na: 2\n", "a: !!str 1\n", "a: >\n  f\n", "a: [\n", "<<: {a: 1}\n",
                 "%YAML 1.2\n---\na: 1\n", "\ufeffa: 1\n", "[a]: b\n", "- " * MAX_DEPTH + "x\n"):
        assert fastyaml.load_all(text, MAX_DEPTH) is None, text


# --- generated documents ------------------------------------------------------------------------------
_WORDS = ["a", "b", "key", "0o17", "1_000", ".inf", "~", "True", "on", "2001-12-14", "0x1F", "+1", "1e3", "0",
          "007", "-1.5", "null", "no", "é", "x y", "=", "<<", "-", "-x", "a:b", "a #b", "2001-12-14 21:59:43",
          ".nan", "0b11", "12:30", "1.0", "'", "\"", "\\", "x  y", "", "k1", "k2", "k3", "k4"]


def _quoted(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


def _scalar(draw: Any, key: bool = False) -> str:
    word = draw(st.sampled_from(_WORDS))
    style = draw(st.sampled_from(["plain", "plain", "single", "double"]))
    if style == "single":
        return "'" + word.replace("'", "''") + "'"
    if style == "double" or not word:
        return _quoted(word)
    return word


@st.composite
def _flow(draw: Any, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        return _scalar(draw)
    if draw(st.booleans()):
        items = draw(st.lists(st.one_of(_flow(depth + 1), st.tuples(st.sampled_from(_WORDS[:6]), _flow(depth + 1))
                                        .map(lambda kv: f"{kv[0]}: {kv[1]}")), max_size=3))  # [a, k: v]
        return "[" + ", ".join(items) + "]"
    keys = draw(st.lists(st.sampled_from(_WORDS[:6] + ['"q"', "'s'", "k5"]), max_size=3, unique=True))
    seps = draw(st.lists(st.sampled_from([": ", ":", " : "]), min_size=len(keys), max_size=len(keys)))
    return "{" + ", ".join(f"{k}{sep}{draw(_flow(depth + 1))}" for k, sep in zip(keys, seps)) + "}"


@st.composite
def _block(draw: Any, indent: int = 0, depth: int = 0) -> str:
    pad = " " * indent
    kind = draw(st.sampled_from(["map", "seq"]) if depth < 3 else st.just("map"))
    lines: list[str] = []
    keys: set[str] = set()
    for i in range(draw(st.integers(1, 4))):
        key = _scalar(draw)
        key = key if key not in keys else f"{key}{i}"  # duplicates are mostly avoided (ruamel's error)
        keys.add(key)
        head = f"{pad}{key}:" if kind == "map" else f"{pad}-"
        if draw(st.booleans()):
            comment = draw(st.sampled_from(["", "", "  # c", " #c", "", "", "", "\t# t"]))
            value = draw(_flow()) if draw(st.integers(0, 7)) else ""
            lines.append(f"{head} {value}{comment}".rstrip() if value or comment else head)
        elif depth < 3 and draw(st.booleans()):
            lines.append(head)
            lines.append(draw(_block(indent + draw(st.sampled_from([1, 2, 4])), depth + 1)).rstrip("\n"))
        else:
            ind = draw(st.sampled_from(["|", "|-", "|+", "|2", "|", "|-", "|+", ">"]))
            body = draw(st.lists(st.sampled_from(["text", " lead", "", "x: y", "# not a comment", "é t", "  deeper",
                                                  "\x00 ", "\x00   "]),
                                 min_size=1, max_size=3))
            lines.append(f"{head} {ind}")
            lines += [(pad + "  " + b).replace("\x00", "") if b else "" for b in body]  # \x00: a line of spaces
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "# between", pad + "# indented"])))
    return "\n".join(lines) + "\n"


@st.composite
def _stream(draw: Any) -> str:
    docs = draw(st.lists(st.one_of(_block(), _flow().map(lambda s: s + "\n")), min_size=1, max_size=3))
    sep = draw(st.sampled_from(["---\n", "...\n---\n"]))
    text = (draw(st.sampled_from(["", "---\n", "# head\n"])) + sep.join(docs))
    return text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\x85", "\u2028"]))) if draw(st.integers(0, 9)) == 0 \
        else text


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_stream())
def test_generated_documents_read_the_same(text: str) -> None:
    compare(text)


@pytest.mark.parametrize("value", ["-_", "_", "+__", "-_x"])
def test_an_integer_looking_scalar_without_digits_is_a_string(value: str) -> None:
    """ruamel's YAML 1.2 integer pattern takes `-_` and fails building it (IndexError); Go's YAML readers
    (Kubernetes, Helm) read a string. Both readers say so, with no diagnostic."""
    text = f"a: {value}\nb: [{value}, 1_0]\n"
    for load in (load_documents, load_documents_ruamel):
        d = Diagnostics()
        docs = load(text, "v.yaml", d)
        assert docs is not None and not list(d), (load, list(d))
        assert docs[0].data["a"] == value and list(docs[0].data["b"]) == [value, 10]
