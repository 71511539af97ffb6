"""Mutations of real configuration files and one run of podpath on the result, through the public API.

Shared by the readers' property tests (tests/readers/test_fuzz.py) and the one-off campaign (tools/fuzz.py).
Every mutation is a pure function of (seed file, mutation, random seed), so any input found can be rebuilt.

Mutation classes (issue 17): shapes (a list where a mapping is expected, numbers for strings, nulls, other
tokens), nesting, aliases, encodings (invalid UTF-8, BOM, UTF-16, NUL, line separators), truncation, special
files (FIFO, /dev/zero, dangling link, a directory), and plain byte damage.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

REPO = Path(__file__).resolve().parent.parent
SEED_SNAPSHOTS = [
    REPO / "examples" / "seed000-ipv6-native-cidr" / "broken",
    REPO / "examples" / "seed000-ipv6-native-cidr" / "fixed",
    REPO / "examples" / "seed004-bgp-pod-cidr" / "before-fix",
    REPO / "examples" / "seed004-bgp-pod-cidr" / "complete",
    REPO / "tests" / "routing" / "data" / "two-stable-outcomes",
    REPO / "tests" / "routing" / "data" / "bird-reflector-originator",
    REPO / "tests" / "routing" / "data" / "frr-oldest-path-tie",
    REPO / "tests" / "routing" / "data" / "ospf-underlay" / "broken",
    REPO / "tests" / "fixtures" / "fuzz-seeds" / "hosts-and-objects",  # keepalived, ifupdown, netplan, patches...
]
# Single configuration files of other tests (read alone, as a one-file snapshot).
SEED_FILES_ALONE = [
    REPO / "tests" / "readers" / "bird" / "fixtures" / "grammar_all.conf",
    REPO / "tests" / "readers" / "bird" / "fixtures" / "templates.conf",
    REPO / "tests" / "readers" / "bird" / "fixtures" / "newer_syntax.conf",
    REPO / "tests" / "readers" / "frr" / "fixtures" / "kitchen-sink.conf",
    REPO / "tests" / "readers" / "frr" / "fixtures" / "frrpol-frr1.conf",
]
SKIP_SUFFIXES = {".md", ".py", ".pyc"}


@dataclass(frozen=True)
class Seed:
    snapshot: Path  # the snapshot it belongs to (the file alone when `alone`)
    rel: str  # path inside the snapshot
    alone: bool = False

    @property
    def path(self) -> Path:
        return self.snapshot if self.alone else self.snapshot / self.rel

    @property
    def is_yaml(self) -> bool:
        return self.rel.endswith((".yaml", ".yml", ".json"))


def seeds() -> list[Seed]:
    """Every real config of the examples and test snapshots, each once (identical copies dropped)."""
    out: list[Seed] = []
    seen: set[bytes] = set()
    for root in SEED_SNAPSHOTS:
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            if not p.is_file() or p.suffix in SKIP_SUFFIXES:
                continue
            data = p.read_bytes()
            if data in seen:
                continue
            seen.add(data)
            out.append(Seed(root, p.relative_to(root).as_posix()))
    for p in SEED_FILES_ALONE:
        if p.is_file() and p.read_bytes() not in seen:
            seen.add(p.read_bytes())
            out.append(Seed(p, p.name, alone=True))
    return out


@dataclass(frozen=True)
class Special:
    """A file that cannot be written as bytes: made on disk by `materialise`."""

    kind: str  # fifo | dev-zero | dangling | directory | socket


Result = "bytes | Special"

# --- interesting values ---------------------------------------------------------------------------------

TOKENS = [
    "0", "-1", "4294967295", "4294967296", "18446744073709551616", "9" * 40, "1e309", "-0", "0x10", "1_000", "١٢٣",
    "１２", "::", "::1/129", "10.0.0.0/33", "256.1.1.1", "fe80::1%eth0", "10.0.0.1/24", "0.0.0.0/0", "::/0",
    "{", "}", ";", "\"", "'", "(", ")", "[", "]", "*", "all", "none", "where", "if", "then", "else", "!", "#",
    "[bold]", "[/]", "[red", ":100:", ":smile:", "\\", "%s", "${x}", "{{ .Values }}", "A" * 5000, "",
    "true", "false", "null", "~", "yes", "no", "on", "off", "!!binary", "!!python/object:os.system", "&a", "*a",
    "<<", "? ", "- ", ": ", "|", ">", "---", "...", "\t", "\u202e", "\u2028", "\x85", "\x0c", "\ufeff", "é", "💯",
    "²", "0o17", ".inf", ".nan", "2001-12-14", "2001-12-14T21:59:43Z", "!!timestamp 2001-12-14", "!!set {a, b}",
    "!!binary aGVsbG8=", "!Ref x", "!!omap [a: 1]", "=", "0b101", "1:2", "12:30:00",
]
SHAPES: list[Callable[[Any], Any]] = [
    lambda v: [], lambda v: {}, lambda v: None, lambda v: 0, lambda v: -1, lambda v: 2 ** 64, lambda v: 1.5,
    lambda v: float("inf"), lambda v: True, lambda v: "", lambda v: "x" * 3000, lambda v: [v], lambda v: {"k": v},
    lambda v: {1: v}, lambda v: [[v]], lambda v: "10.0.0.0/33", lambda v: "::1/129", lambda v: "[bold]x[/]",
    lambda v: "a:100:b", lambda v: str(v) + "\u202e", lambda v: [None], lambda v: {"": None},
    lambda v: {"apiVersion": "v1", "kind": "Node"}, lambda v: list(v) if isinstance(v, dict) else v,
    lambda v: dict(enumerate(v)) if isinstance(v, list) else v, lambda v: "²", lambda v: -(2 ** 70),
    lambda v: __import__("datetime").date(2001, 12, 14), lambda v: b"\x00\xff", lambda v: {"<<": v},
]


# --- mutations ------------------------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.allow_duplicate_keys = True
    y.width = 4096
    return y


def _positions(node: Any, path: tuple = ()) -> Iterator[tuple[Any, Any]]:
    if isinstance(node, dict):
        for k in list(node):
            yield node, k
            yield from _positions(node[k], path + (k,))
    elif isinstance(node, list):
        for i in range(len(node)):
            yield node, i
            yield from _positions(node[i], path + (i,))


def _yaml_edit(data: bytes, rng: random.Random, edit: Callable[[Any, Any, random.Random], None]) -> bytes | None:
    """Load every document, apply `edit(parent, key)` at a random position, dump again (None: not YAML)."""
    y = _yaml()
    try:
        docs = [d for d in y.load_all(data.decode("utf-8"))]
    except Exception:
        return None
    spots = [(d, p) for d in docs for p in _positions(d)]
    if not spots:
        return None
    _, (parent, key) = rng.choice(spots)
    edit(parent, key, rng)
    buf = io.StringIO()
    try:
        y.dump_all(docs, buf)
    except Exception:
        return None
    return buf.getvalue().encode("utf-8")


def _reshape(parent: Any, key: Any, rng: random.Random) -> None:
    choice = rng.random()
    if choice < 0.12 and isinstance(parent, dict):
        del parent[key]
    elif choice < 0.2 and isinstance(parent, dict):
        value = parent.pop(key)
        parent[rng.choice([1, None, True, "", "x" * 200, f"{key}-typo", str(key).upper()])] = value
    else:
        parent[key] = rng.choice(SHAPES)(parent[key])


def m_yaml_shape(data: bytes, rng: random.Random, seed: Seed) -> Any:
    return _yaml_edit(data, rng, _reshape) or m_token(data, rng, seed)


def m_token(data: bytes, rng: random.Random, seed: Seed) -> Any:
    text = data.decode("utf-8", "replace")
    words = text.split(" ")
    i = rng.randrange(len(words))
    words[i] = rng.choice(TOKENS) if rng.random() < 0.8 else rng.choice(words)
    return " ".join(words).encode("utf-8")


def m_lines(data: bytes, rng: random.Random, seed: Seed) -> Any:
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.randrange(5)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[j])
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:  # a block repeated many times (duplicate definitions, size)
        k = rng.randrange(1, 8)
        lines[i:i] = lines[i:i + k] * rng.choice([2, 10, 200])
    else:  # a line of another seed file (BIRD in FRR, Talos in Helm values...)
        other = rng.choice(seeds())
        lines.insert(i, rng.choice(_lines(other.path.read_bytes())))
    return b"".join(lines)


def m_nest(data: bytes, rng: random.Random, seed: Seed) -> Any:
    depth = rng.choice([20, 99, 100, 101, 150, 1000, 5000])
    if rng.random() < 0.15:  # a JSON-looking file: arrays from the first byte
        return ("[" * depth * 4 + "]" * depth * 4 + "\n").encode() + data
    if seed.is_yaml:
        flow = rng.random() < 0.5
        if flow:
            inner = ("[" * depth + "1" + "]" * depth) if rng.random() < 0.5 else ("{a: " * depth + "1" + "}" * depth)
        else:
            inner = "".join("\n" + "  " * (k + 1) + "a:" for k in range(min(depth, 2000))) + " 1"

        def edit(parent: Any, key: Any, r: random.Random) -> None:
            parent[key] = "@@NEST@@"

        out = _yaml_edit(data, rng, edit)
        if out is not None:
            return out.replace(b"@@NEST@@", inner.encode() if flow else inner.encode())
        return (inner + "\n").encode() + data
    lines = _lines(data)
    i = rng.randrange(len(lines))
    kind = rng.randrange(4)
    if kind == 0:
        ins = "{" * depth + "}" * depth + "\n"
    elif kind == 1:
        ins = "filter deep { if " + "(" * depth + "net ~ 10.0.0.0/8" + ")" * depth + " then accept; reject; }\n"
    elif kind == 2:
        ins = "function d() -> bool { " + "if true then { " * depth + "return true;" + " }" * depth + " }\n"
    else:
        ins = "filter deep2 { " + "bgp_path.prepend(" * min(depth, 3000) + "1" + ")" * min(depth, 3000) + "; accept; }\n"
    lines.insert(i, ins.encode())
    return b"".join(lines)


def m_alias(data: bytes, rng: random.Random, seed: Seed) -> Any:
    text = data.decode("utf-8", "replace")
    kind = rng.randrange(5)
    levels = rng.randrange(3, 10)
    if kind == 0:  # billion laughs (lists) under a new key or in place of a value
        bomb = ["  b0: &b0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        bomb += [f"  b{k}: &b{k} [" + ",".join([f"*b{k - 1}"] * 10) + "]" for k in range(1, levels)]
        block = "zz:\n" + "\n".join(bomb) + f"\nextraConfig: {{k: *b{levels - 1}}}\n"
        return (text.rstrip("\n") + "\n" + block).encode() if "---" not in text else (block + text).encode()
    if kind == 1:  # mapping bomb
        bomb = ["  m0: &m0 {k0: 1, k1: 2, k2: 3}"]
        bomb += [f"  m{k}: &m{k} {{" + ", ".join(f"x{j}: *m{k - 1}" for j in range(10)) + "}" for k in range(1, levels)]
        return ("hubble:\n" + "\n".join(bomb) + "\n" + text).encode()
    if kind == 2:  # recursive alias / merge
        return text.replace(":", ": &r {<<: *r}\nq:", 1).encode() if rng.random() < 0.5 else \
            ("rec: &r [*r]\n" + text).encode()
    if kind == 3:  # undefined alias, duplicate anchors
        return text.replace(": ", ": *nowhere #", 1).encode() if rng.random() < 0.5 else \
            ("a: &d 1\nb: &d 2\nc: *d\n" + text).encode()

    def edit(parent: Any, key: Any, r: random.Random) -> None:  # an alias to another node of the document
        parent[key] = "@@ALIAS@@"

    out = _yaml_edit(data, rng, edit)
    return (b"anchor_root: &top {a: 1, b: [1, 2]}\n" + out.replace(b"'@@ALIAS@@'", b"*top").replace(
        b"@@ALIAS@@", b"*top")) if out else data


def m_encoding(data: bytes, rng: random.Random, seed: Seed) -> Any:
    kind = rng.randrange(9)
    pos = rng.randrange(len(data) + 1)
    if kind == 0:
        return data[:pos] + rng.choice([b"\x80", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]) + data[pos:]
    if kind == 1:
        return b"\xef\xbb\xbf" + data
    if kind == 2:
        text = data.decode("utf-8", "replace")
        return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32"]))
    if kind == 3:
        return data[:pos] + b"\x00" + data[pos:]
    if kind == 4:
        return data.replace(b"\n", b"\r\n")
    if kind == 5:
        return data.replace(b"\n", b"\r")
    if kind == 6:
        ch = rng.choice(["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\ufeff", "\u202e", "\u0301", "💯"])
        return data[:pos] + ch.encode() + data[pos:]
    if kind == 7:
        return data.decode("utf-8", "replace").encode("latin-1", "replace")
    return data.replace(b"\n", b"\n\t", rng.randrange(1, 20))


def m_truncate(data: bytes, rng: random.Random, seed: Seed) -> Any:
    if rng.random() < 0.5:
        return data[:rng.randrange(len(data) + 1)]
    lines = _lines(data)
    return b"".join(lines[:rng.randrange(len(lines) + 1)])


def m_special(data: bytes, rng: random.Random, seed: Seed) -> Any:
    return rng.choice([Special("fifo"), Special("dev-zero"), Special("dangling"), Special("directory"),
                       Special("socket"), b"", b"   \n\n\t\n"])


def m_bytes(data: bytes, rng: random.Random, seed: Seed) -> Any:
    b = bytearray(data)
    for _ in range(rng.randrange(1, 8)):
        if not b:
            b += bytes([rng.randrange(256)])
            continue
        i = rng.randrange(len(b))
        op = rng.randrange(3)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b.insert(i, rng.randrange(256))
        else:
            del b[i]
    return bytes(b)


MUTATIONS: dict[str, Callable[[bytes, random.Random, Seed], Any]] = {
    "shapes": m_yaml_shape,
    "tokens": m_token,
    "lines": m_lines,
    "nesting": m_nest,
    "aliases": m_alias,
    "encodings": m_encoding,
    "truncation": m_truncate,
    "special": m_special,
    "bytes": m_bytes,
}


def mutate(seed: Seed, mutation: str, rseed: int) -> Any:
    rng = random.Random(rseed)
    data = seed.path.read_bytes()
    return MUTATIONS[mutation](data, rng, seed)


# --- running podpath ----------------------------------------------------------------------------------


def materialise(seed: Seed, content: Any, workdir: Path, alone: bool) -> Path:
    """Write the snapshot with the mutated file under `workdir`; returns what to load."""
    if seed.alone or alone:
        root = workdir / "snap"
        root.mkdir()
        target = root / Path(seed.rel).name
        load_path = target if not isinstance(content, Special) else root
    else:
        root = workdir / "snap"
        shutil.copytree(seed.snapshot, root)
        target = root / seed.rel
        load_path = root
    if target.exists() or target.is_symlink():
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, Special):
        if content.kind == "fifo":
            os.mkfifo(target)
        elif content.kind == "dev-zero":
            target.symlink_to("/dev/zero")
        elif content.kind == "dangling":
            target.symlink_to(workdir / "gone")
        elif content.kind == "directory":
            target.mkdir()
            (target / "inner.conf").write_bytes(seed.path.read_bytes())
        elif content.kind == "socket":
            import socket

            s = socket.socket(socket.AF_UNIX)
            s.bind(str(target))
            s.close()
    else:
        target.write_bytes(content)
    return load_path


class Hang(BaseException):
    """The per-input time bound ran out (BaseException: no reader's `except Exception` swallows it)."""


@contextlib.contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raise Hang after `seconds` of CPU time (a loop that does not end), or after ten times as long on the
    wall clock (a read that blocks): CPU time, so that a loaded machine does not turn slowness into "hangs"."""
    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang()

    if seconds <= 0 or sys.platform == "win32":
        yield
        return
    old = {sig: signal.signal(sig, on_alarm) for sig in (signal.SIGALRM, signal.SIGVTALRM)}
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    signal.setitimer(signal.ITIMER_REAL, 10 * seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        for sig, handler in old.items():
            signal.signal(sig, handler)


@dataclass
class Outcome:
    status: str  # ok | exception | internal | hang | bad-diagnostic
    site: str = ""  # podpath file:line:function where it broke
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _site(tb: Any) -> str:
    frames = [f for f in traceback.extract_tb(tb) if "/podpath/" in f.filename and "/tests/" not in f.filename]
    f = frames[-1] if frames else traceback.extract_tb(tb)[-1]
    return f"{f.filename.split('/src/')[-1]}:{f.lineno}:{f.name}"


@contextlib.contextmanager
def _record_reader_exceptions(sites: list[str]) -> Iterator[None]:
    """The loader turns a reader's exception into an "internal error" diagnostic; remember where it came from."""
    from podpath.snapshot import _Loader

    orig = _Loader._read_file

    def wrapped(self: Any, p: Path) -> None:
        try:
            orig(self, p)
        except Exception as exc:
            sites.append(f"{_site(exc.__traceback__)} {type(exc).__name__}")
            raise

    _Loader._read_file = wrapped  # type: ignore[method-assign]
    try:
        yield
    finally:
        _Loader._read_file = orig  # type: ignore[method-assign]


def run_podpath(load_path: Path, seconds: float = 20.0, explain: bool = False) -> Outcome:
    """load + check + every rendering (JSON documents, text as the CLI prints it, diagnostics)."""
    import podpath
    from podpath import cli
    from podpath.report import check_document, show_document

    sites: list[str] = []
    try:
        with time_bound(seconds), _record_reader_exceptions(sites), contextlib.redirect_stdout(io.StringIO()) as out, \
                contextlib.redirect_stderr(io.StringIO()):
            snap = podpath.load(load_path)
            rendered = [d.render() for d in snap.diagnostics]
            report = snap.check()
            json.dumps(check_document(snap, report))
            show = show_document(snap)
            json.dumps(show)
            cli._print_check(snap, report)
            cli._print_show(show)
            if snap.has_control_plane:  # the simulation is cached by check(): its documents cost little
                from podpath.report import routes_document

                res = snap.simulate()
                json.dumps([x.to_json() for x in res.sessions])
                for host in sorted({sp.host for sp in res.speakers.values() if sp.host})[:2]:
                    json.dumps(routes_document(snap, host, None, None, None))
            if explain and snap.has_control_plane:
                from podpath.routing.explain import explain as explain_prefix

                for node in sorted(snap.cluster.nodes.values(), key=lambda n: n.name)[:1]:
                    for c in node.pod_cidrs[:1]:
                        explain_prefix(snap, c.value, None).to_json()
    except Hang as exc:
        return Outcome("hang", _site(exc.__traceback__), f"more than {seconds} s")
    except (Exception, RecursionError) as exc:
        return Outcome("exception", f"{_site(exc.__traceback__)} {type(exc).__name__}", f"{type(exc).__name__}: {exc}"[:300])
    internal = [d for d in snap.diagnostics if "internal error" in d.message]
    if internal:
        return Outcome("internal", sites[0] if sites else "?", internal[0].render()[:300])
    for d, text in zip(snap.diagnostics, rendered):
        if not d.loc.file or not text.startswith(f"{d.loc}: {d.level.value}: "):
            return Outcome("bad-diagnostic", detail=text[:300])
    return Outcome("ok")


def try_input(seed: Seed, mutation: str, rseed: int, workdir: Path, alone: bool, seconds: float = 20.0) -> Outcome:
    content = mutate(seed, mutation, rseed)
    path = materialise(seed, content, workdir, alone)
    return run_podpath(path, seconds)
