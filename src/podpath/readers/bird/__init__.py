"""BIRD 2 reader: configuration text -> `BirdConfig`, BIRD filter semantics, speakers.

    cfg = parse_bird(text, "bird.conf", diags, include_resolver=resolver)
    policy = BirdFilterPolicy(cfg, cfg.protocol("upstream").channel(6).export)
    result = policy.evaluate(route, PolicyContext())
"""

from __future__ import annotations

import re

from podpath.diagnostics import Diagnostics
from podpath.readers.bird.build import build_config
from podpath.readers.bird.interp import BirdFilterPolicy
from podpath.readers.bird.lexer import IncludeResolver
from podpath.readers.bird.model import BirdConfig
from podpath.readers.bird.parser import no_gc, parse_entries

__all__ = ["BirdConfig", "BirdFilterPolicy", "IncludeResolver", "looks_like_bird", "parse_bird"]


def parse_bird(text: str, file: str, diags: Diagnostics, *,
               include_resolver: IncludeResolver | None = None) -> BirdConfig:
    """Parse a BIRD 2 configuration. Problems go to `diags` (never raises on bad input).

    `include_resolver(path)` returns the text of an included file (path is joined to the
    including file's directory when relative), a list of (name, text) for glob patterns,
    or None when it does not exist (reported as an error)."""
    with no_gc():
        res = parse_entries(text, file, diags, include_resolver)
        return build_config(res.entries, file, res.sources, res.includes, diags)


_STRONG = re.compile(
    r"^[ \t]*(?:protocol[ \t]+(?:bgp|kernel|device|direct|static|pipe|bfd|ospf|babel|rip|rpki|radv|mrt|bmp|perf|"
    r"aggregator|l3vpn)\b[^\n]*\{"
    r"|template[ \t]+\w+[ \t]+\w+[^\n]*\{"
    r"|router[ \t]+id[ \t]+[^\n;]*;"
    r"|filter[ \t]+\w+[ \t]*(?:\{|$)"
    r"|function[ \t]+\w+[ \t]*\("
    r"|define[ \t]+\w+[ \t]*="
    r"|(?:import|export)[ \t]+(?:all|none|filter|where)\b[^\n]*"
    r"|ipv[46][ \t]*(?:\{|;))",
    re.M)
_FRR = re.compile(r"^[ \t]*(?:router bgp \d|neighbor \S+ remote-as|route-map \S+ (?:permit|deny)|"
                  r"ip(?:v6)? prefix-list |frr (?:version|defaults)|address-family )", re.M)


def looks_like_bird(text: str) -> bool:
    """Content sniffing: BIRD's braces-and-semicolons syntax with BIRD keywords; not FRR
    (`router bgp N`, `neighbor X remote-as`) and not YAML."""
    head = text[:200_000]
    strong = len(_STRONG.findall(head))
    if strong == 0 or ";" not in head:
        return False
    frr = len(_FRR.findall(head))
    if frr > strong:
        return False
    stripped = head.lstrip()
    if stripped.startswith(("apiVersion:", "---", "kind:")) and "{" not in head:
        return False
    return strong >= 2 or ("{" in head and "}" in head)
