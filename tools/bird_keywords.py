"""Record which words the real BIRD binaries treat as keywords, as podpath package data.

    python tools/bird_keywords.py --bird /usr/sbin/bird \\
        --bird /var/cache/podpath/rootfs-trixie:/usr/sbin/bird -o src/podpath/data/bird/keywords.json

BIRD's configuration grammar is a yacc parser: a word that is not one of its keywords is a symbol, and a
symbol cannot start a protocol, channel or top-level option, so `bogus_option yes;` is a syntax error
("unexpected CF_SYM_UNDEFINED") and BIRD refuses the whole configuration. podpath's reader does not model
every option BIRD has; this list lets it tell "an option podpath does not know" (a keyword: BIRD may accept
it, reported as unsupported) from "something BIRD rejects" (not a keyword: an error).

Candidates are every lower-case word stored in the binary (and each suffix of one, since the linker
shares string tails); each is probed with `bird -p` at the start of an option in several places (top
level, a device protocol, a BGP protocol, a BGP channel). A word is a keyword of that binary when one of
the probes does not fail with "unexpected CF_SYM_UNDEFINED" at the word itself. `ROOT:BIN` runs BIN
chrooted into ROOT (a Debian rootfs with another BIRD generation). Output: sorted JSON, one version per
binary, deterministic for the same binaries.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# (text before the word, text after it, where the word starts: line:column)
CONTEXTS = [
    ("router id 1.1.1.1;\n", ";\n", "2:1"),
    ("protocol device {\n ", ";\n}\n", "2:2"),
    ("protocol bgp {\n ", ";\n}\n", "2:2"),
    ("protocol bgp {\nipv4 {\n ", ";\n};\n}\n", "3:2"),
]
_WORD = re.compile(rb"([a-z0-9_]{2,40})\x00")


class Bird:
    def __init__(self, spec: str) -> None:
        self.root, _, binary = spec.rpartition(":")
        self.binary = binary
        self.tmp = Path(tempfile.mkdtemp(prefix="podpath-kw-", dir=(Path(self.root) / "tmp") if self.root else None))

    def _cmd(self, conf: str) -> list[str]:
        inside = conf[len(self.root):] if self.root else conf
        base = ["chroot", self.root] if self.root else []
        return base + [self.binary, "-p", "-c", inside]

    def version(self) -> str:
        base = ["chroot", self.root] if self.root else []
        out = subprocess.run(base + [self.binary, "--version"], capture_output=True, text=True, timeout=30)
        m = re.search(r"BIRD version (\S+)", out.stdout + out.stderr)
        return m.group(1) if m else "unknown"

    def candidates(self) -> set[str]:
        data = (Path(self.root + self.binary) if self.root else Path(self.binary)).read_bytes()
        out: set[str] = set()
        for m in _WORD.finditer(data):
            s = m.group(1).decode()
            out.update(s[i:] for i in range(len(s) - 1) if s[i].isalpha())
        return out

    def is_keyword(self, word: str) -> bool:
        conf = self.tmp / "probe.conf"
        for pre, post, at in CONTEXTS:
            conf.write_text(f"{pre}{word}{post}", encoding="utf-8")
            r = subprocess.run(self._cmd(str(conf)), capture_output=True, text=True, timeout=30)
            if f":{at} syntax error, unexpected CF_SYM_UNDEFINED" not in r.stderr:
                return True
        return False

    def close(self) -> None:
        for p in self.tmp.iterdir():
            p.unlink()
        self.tmp.rmdir()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bird", action="append", required=True, help="BIN or ROOT:BIN (chrooted)")
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args(argv)
    versions: dict[str, list[str]] = {}
    for spec in a.bird:
        b = Bird(spec)
        try:
            words = sorted(b.candidates())
            kws = [w for w in words if b.is_keyword(w)]
            versions[b.version()] = kws
            print(f"{spec}: {len(kws)} keywords of {len(words)} candidate words", file=sys.stderr)
        finally:
            b.close()
    doc = {"generated_by": "tools/bird_keywords.py", "versions": versions}
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text(json.dumps(doc, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
