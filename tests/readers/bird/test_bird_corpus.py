"""Every BIRD configuration of tests/ and examples/ (files, and the config snippets written as string
literals in the BIRD reader's tests) reads to the same model and the same diagnostics as when the
digests were recorded: a pin for the reader's speed work (lexer, LALR driver, template clones), where a
change must leave every object and every file:line:col identical.

The dump walks the whole BirdConfig (dataclasses, syntax tree nodes, tokens with their positions) and
records which mutable objects are shared. After an intended change of the model or of a message,
re-record: `python tests/readers/bird/test_bird_corpus.py --record`."""

from __future__ import annotations

import ast
import copy
import dataclasses
import enum
import hashlib
import ipaddress
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from podpath.diagnostics import Diagnostics
from podpath.readers.bird import looks_like_bird, parse_bird

ROOT = Path(__file__).resolve().parents[3]
DIGESTS = Path(__file__).parent / "fixtures" / "corpus_digests.json"
_SKIP_DIRS = {".venv", "__pycache__", ".git", "node_modules"}


def corpus() -> dict[str, str]:
    """name -> BIRD text: files that look like BIRD, and string literals of the BIRD reader's tests."""
    out: dict[str, str] = {}
    for top in ("tests", "examples"):
        for p in sorted((ROOT / top).rglob("*")):
            if not p.is_file() or _SKIP_DIRS & set(p.parts) or p.suffix in (".py", ".pyc", ".json", ".png"):
                continue
            try:
                text = p.read_text()
            except (UnicodeDecodeError, OSError):
                continue
            if looks_like_bird(text):
                out[str(p.relative_to(ROOT))] = text
    for p in sorted((ROOT / "tests" / "readers" / "bird").glob("test_*.py")):
        if p.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and ("{" in node.value
                                                                                  or ";" in node.value):
                out.setdefault(f"{p.relative_to(ROOT)}:{node.lineno}:{node.col_offset}", node.value)
    return out


def _dump(v: Any, seen: dict[int, int], out: list[str]) -> None:
    """Append a canonical text form of `v`; a mutable object met again is written as a back-reference."""
    if v is None or isinstance(v, (bool, int, float, str, bytes, enum.Enum)):
        out.append(f"{type(v).__name__}:{v!r}")
        return
    if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network,
                      ipaddress.IPv6Network)):
        out.append(f"{type(v).__name__}:{v}")
        return
    if isinstance(v, (tuple, frozenset)):
        out.append(f"{type(v).__name__}(")
        for x in (v if isinstance(v, tuple) else sorted(v, key=repr)):
            _dump(x, seen, out)
        out.append(")")
        return
    if id(v) in seen:
        out.append(f"@{seen[id(v)]}")
        return
    seen[id(v)] = len(seen)
    if isinstance(v, list):
        out.append("[")
        for x in v:
            _dump(x, seen, out)
        out.append("]")
    elif isinstance(v, dict):
        out.append("{")
        for k, x in v.items():
            _dump(k, seen, out)
            _dump(x, seen, out)
        out.append("}")
    elif isinstance(v, set):
        out.append("set(")
        for x in sorted(v, key=repr):
            _dump(x, seen, out)
        out.append(")")
    else:
        cls = type(v)
        if dataclasses.is_dataclass(v):
            names = [f.name for f in dataclasses.fields(v)]
        elif hasattr(v, "__dict__"):
            names = sorted(vars(v))
        else:
            names = [s for c in cls.__mro__ for s in getattr(c, "__slots__", ())]
        out.append(f"{cls.__module__}.{cls.__qualname__}(")
        for n in names:
            out.append(n + "=")
            _dump(getattr(v, n, "<unset>"), seen, out)
        out.append(")")


def digest(name: str, text: str, files: dict[str, str]) -> str:
    """sha256 of the dump of the model and the rendered diagnostics of one configuration."""
    def resolver(path: str) -> str | None:
        if path in files:
            return files[path]
        p = ROOT / path
        return p.read_text() if p.is_file() else None

    d = Diagnostics()
    cfg = parse_bird(text, name, d, include_resolver=resolver)
    out: list[str] = []
    _dump(cfg, {}, out)
    out.extend(x.render() for x in d)
    out.extend(repr((x.loc, x.level, x.message, x.source_line)) for x in d)
    return hashlib.sha256("\n".join(out).encode()).hexdigest()


def digests() -> dict[str, str]:
    texts = corpus()
    return {name: digest(name, text, texts) for name, text in texts.items()}


def test_corpus_is_large() -> None:
    assert len(corpus()) > 300  # files and snippets: a reader change is checked on many real configs


def test_every_bird_config_reads_as_recorded() -> None:
    want = json.loads(DIGESTS.read_text())
    got = digests()
    assert set(got) == set(want), "corpus changed: re-record (see the module docstring)"
    changed = sorted(n for n in got if got[n] != want[n])
    assert not changed, f"{len(changed)} configurations read differently, e.g. {changed[:5]}"


def test_clones_equal_deepcopy_everywhere() -> None:
    """Protocol.clone (model._copy, which shares immutable values) equals copy.deepcopy for every
    template and protocol of the corpus, and shares no mutable container with its original."""
    texts = corpus()
    n = 0
    for name, text in texts.items():
        cfg = parse_bird(text, name, Diagnostics(), include_resolver=lambda p: texts.get(p))
        for p in [*cfg.templates.values(), *cfg.protocols]:
            c = p.clone()
            assert c == copy.deepcopy(p), f"{name}: {p.name}"
            assert c.options is not p.options and c.channels is not p.channels
            assert all(c.channels[k] is not ch and c.channels[k].options is not ch.options
                       for k, ch in p.channels.items())
            n += 1
    assert n > 300


@pytest.mark.parametrize("name", ["tests/readers/bird/fixtures/templates.conf"])
def test_dump_sees_positions(name: str) -> None:
    """The digest depends on positions: the same text under another line number differs."""
    text = (ROOT / name).read_text()
    assert digest(name, text, {}) != digest(name, "\n" + text, {})


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    DIGESTS.write_text(json.dumps(digests(), indent=0, sort_keys=True) + "\n")
    print(f"recorded {DIGESTS}")
