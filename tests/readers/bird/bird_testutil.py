"""Helpers for the BIRD reader tests: parse snippets, run filters, ask a real `bird -p`."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from podpath.diagnostics import Diagnostics
from podpath.readers.bird import BirdConfig, BirdFilterPolicy, parse_bird
from podpath.routing.policy import PolicyContext, PolicyResult
from podpath.routing.route import AsPath, Protocol, Route

FIXTURES = Path(__file__).parent / "fixtures"
BIRD = shutil.which("bird") or (Path("/usr/sbin/bird") if Path("/usr/sbin/bird").exists() else None)


def parse(text: str, file: str = "t.conf", resolver: Any = None) -> tuple[BirdConfig, Diagnostics]:
    d = Diagnostics()
    return parse_bird(text, file, d, include_resolver=resolver), d


def errors(d: Diagnostics) -> list[str]:
    return [x.message for x in d.errors]


def fixture(name: str) -> tuple[BirdConfig, Diagnostics]:
    p = FIXTURES / name
    d = Diagnostics()

    def resolver(path: str) -> str | None:
        q = Path(path)
        return q.read_text() if q.exists() else None

    return parse_bird(p.read_text(), str(p), d, include_resolver=resolver), d


def bird_check(text: str, name: str = "check.conf", files: dict[str, str] | None = None) -> tuple[bool, str]:
    """Run the installed BIRD's parser (`bird -p -c`) on `text`."""
    assert BIRD is not None
    with tempfile.TemporaryDirectory() as tmp:
        for n, t in (files or {}).items():
            (Path(tmp) / n).write_text(t)
        p = Path(tmp) / name
        p.write_text(text)
        r = subprocess.run([str(BIRD), "-p", "-c", str(p)], capture_output=True, text=True, timeout=30)
        return r.returncode == 0, (r.stdout + r.stderr).strip()


def N(text: str) -> Any:
    return ipaddress.ip_network(text)


def A(text: str) -> Any:
    return ipaddress.ip_address(text)


def route(prefix: str, proto: Protocol = Protocol.BGP, path: tuple[int, ...] | None = None, **kw: Any) -> Route:
    if path is not None:
        kw["as_path"] = AsPath.of(*path)
    return Route(N(prefix), proto, **kw)


def run(cfg_or_text: BirdConfig | str, what: str, r: Route, dialect: str = "2.17") -> PolicyResult:
    """Evaluate filter `what` (a filter name) of a config on route `r`."""
    if isinstance(cfg_or_text, str):
        cfg, d = parse(cfg_or_text)
        assert not d.errors, [x.render() for x in d.errors]
    else:
        cfg = cfg_or_text
    return BirdFilterPolicy(cfg, cfg.filters[what], dialect=dialect).evaluate(r, PolicyContext())


def flt(body: str, r: Route, dialect: str = "2.17", prelude: str = "") -> PolicyResult:
    """Run `filter f { BODY }` on `r`."""
    return run(f"{prelude}\nfilter f {{\n{body}\n}}\nprotocol device {{}}\n", "f", r, dialect)
