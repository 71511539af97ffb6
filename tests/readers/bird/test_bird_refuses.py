"""Differential: podpath rejects a BIRD configuration exactly when the real `bird -p` does.

BIRD's yacc grammar refuses any word that is not one of its keywords where an option starts
(`bogus_option yes;` -> "syntax error, unexpected CF_SYM_UNDEFINED"), and then the daemon does not start;
podpath reports that as an error (exit 2). A keyword podpath does not model in that place may be an option of
some BIRD version: it stays a warning plus an unsupported statement. Both generations run: BIRD 2.0 on the
host, BIRD 2.17 in the Debian trixie rootfs (chroot; skipped when it is not there, never built here).

Known difference, asserted below: a real keyword in a place where BIRD does not allow it (`table foo;`
directly in a BGP protocol) is refused by BIRD and only a warning in podpath, which does not carry BIRD's full
grammar for every protocol.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from podpath.diagnostics import Diagnostics
from podpath.readers.bird import parse_bird
from podpath.readers.bird.build import bird_keywords

TRIXIE = Path("/var/cache/podpath/rootfs-trixie")
HEAD = "router id 10.0.0.1;\nprotocol device { scan time 10; }\n"
BGP = "protocol bgp up {{\n  local as 65001;\n  neighbor 10.0.0.2 as 65002;\n{body}  ipv4 {{ import all; export none; }};\n}}\n"

# name -> (config, BIRD accepts it)
CORPUS: dict[str, tuple[str, bool]] = {
    "minimal": (HEAD, True),
    "kernel-and-static": (HEAD + "protocol kernel { learn; persist; ipv4 { export all; }; }\n"
                          "protocol static { ipv6; route fd00:10::/64 blackhole; }\n", True),
    "globals": ("log syslog all;\ndebug protocols all;\ntimeformat protocol iso long;\n" + HEAD, True),
    "bgp-unmodelled-keywords": (HEAD + BGP.format(body="  interpret communities yes;\n  hold time 90;\n"
                                                       "  graceful restart on;\n"), True),
    "define-and-filter": (HEAD + "define PODS = [ 10.244.0.0/16+ ];\nfilter pods { if net ~ PODS then accept; "
                          "reject; }\n" + BGP.format(body=""), True),
    "bogus-protocol-option": (HEAD + "protocol kernel {\n  bogus_option yes;\n  ipv4 { export all; };\n}\n", False),
    "bogus-top-level": (HEAD + "bogus_statement 1;\n", False),
    "bogus-channel-option": (HEAD + "protocol kernel { ipv4 { export all; frobnicate; }; }\n", False),
    "misspelt-bgp-option": (HEAD + BGP.format(body="  neighbour 10.0.0.3 as 65003;\n"), False),
    "unknown-protocol-type": (HEAD + "protocol frobnicator x { }\n", False),
    "upper-case-keyword": ("router id 10.0.0.1;\nprotocol device { SCAN TIME 10; }\n", False),
    "filter-name-as-option": (HEAD + "filter f { accept; }\nprotocol kernel { f; ipv4 { export all; }; }\n", False),
}
KNOWN_DIFFERENCE = ("keyword-out-of-place", HEAD + BGP.format(body="  table foo;\n"))


def _generations() -> list[tuple[str, list[str], Path | None]]:
    """(name, command prefix, root) of each BIRD that can run here."""
    gens = []
    if Path("/usr/sbin/bird").exists():
        gens.append(("host", ["/usr/sbin/bird"], None))
    if TRIXIE.joinpath("usr/sbin/bird").exists() and os.geteuid() == 0:
        gens.append(("trixie", ["chroot", str(TRIXIE), "/usr/sbin/bird"], TRIXIE))
    return gens


def bird_accepts(cmd: list[str], root: Path | None, text: str) -> tuple[bool, str]:
    base = (root / "tmp") if root else None
    with tempfile.TemporaryDirectory(prefix="podpath-refuses-", dir=base) as tmp:
        conf = Path(tmp) / "bird.conf"
        conf.write_text(text)
        inside = "/" + str(conf.relative_to(root)) if root else str(conf)
        r = subprocess.run(cmd + ["-p", "-c", inside], capture_output=True, text=True, timeout=30)
        return r.returncode == 0, (r.stdout + r.stderr).strip()


def podpath_errors(text: str) -> list[str]:
    d = Diagnostics()
    parse_bird(text, "bird.conf", d)
    return [e.render() for e in d.errors]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_podpath_decision_without_daemons(name: str) -> None:
    """The expected decisions hold for podpath alone (the daemons confirm them below)."""
    if bird_keywords() is None:
        pytest.skip("data/bird/keywords.json not generated")
    text, accepted = CORPUS[name]
    errs = podpath_errors(text)
    assert (not errs) == accepted, errs
    if not accepted:
        assert any("BIRD refuses this configuration" in e for e in errs), errs


def test_refused_option_cites_the_word() -> None:
    d = Diagnostics()
    parse_bird(CORPUS["bogus-protocol-option"][0], "bird.conf", d)
    [e] = d.errors
    assert (e.loc.line, e.loc.col) == (4, 3)
    assert e.message.startswith("'bogus_option' is not a BIRD keyword in kernel protocol kernel1")


@pytest.mark.lab
@pytest.mark.parametrize("gen", [g[0] for g in _generations()] or ["none"])
def test_bird_p_agrees(gen: str) -> None:
    gens = {g[0]: g for g in _generations()}
    if gen not in gens:
        pytest.skip("no BIRD installed")
    _, cmd, root = gens[gen]
    disagree = []
    for name, (text, expected) in sorted(CORPUS.items()):
        ok, out = bird_accepts(cmd, root, text)
        if ok != expected:
            disagree.append(f"{name}: bird -p {'accepts' if ok else 'refuses'} ({out})")
        if ok == bool(podpath_errors(text)):
            disagree.append(f"{name}: podpath {'refuses' if ok else 'accepts'}, bird -p {'accepts' if ok else 'refuses'}")
    name, text = KNOWN_DIFFERENCE
    ok, out = bird_accepts(cmd, root, text)
    assert not ok and podpath_errors(text) == [], (name, out)  # documented above
    assert disagree == []


def test_keyword_data_covers_both_generations_and_every_modelled_option() -> None:
    """Every option podpath models starts with a word both the data and BIRD call a keyword (else podpath
    would accept what BIRD refuses), and the data holds a 2.0 and a 2.17 BIRD."""
    from podpath.readers.bird import build

    kws = bird_keywords()
    if kws is None:
        pytest.skip("data/bird/keywords.json not generated")
    import json
    from importlib import resources

    versions = json.loads(resources.files("podpath.data").joinpath("bird", "keywords.json").read_text())["versions"]
    assert sorted(v.rsplit(".", 1)[0] for v in versions) == ["2.0", "2.17"]
    tables = [build._COMMON, build._CHANNEL, build._BGP_CHANNEL, *build._OPTIONS.values()]
    assert sorted({k.split()[0] for t in tables for k in t} - kws) == []
    assert {"bogus_option", "neighbour", "frobnicate"}.isdisjoint(kws)
