"""Secrets are never printed.

Snapshots hold passwords and keys: FRR `neighbor X password ...`, key chains and
OSPF/IS-IS/RIP authentication keys, BIRD `password "..."`, keepalived `auth_pass`,
Kubernetes Secret `data`/`stringData` (what Cilium's `authSecretRef` points at),
Helm values with TLS keys and certificates, Talos machine secrets. podpath needs
none of them, but its output quotes source text (a diagnostic's offending line, an
unmodelled statement, a policy trace) and values (`podpath show`).

This module knows, per dialect, which statements and keys carry secret material.
`Secrets` collects the secret values of one snapshot while it is read (from the
raw text, so that a line with a syntax error is covered too) and replaces them,
wherever they appear, with `MARK` at the few points where text leaves podpath
(report.py, diagnostic rendering, the lab). The rest of a line is kept, so a
diagnostic still cites `file:line:col` and says what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from typing import Any

MARK = "<redacted>"

# Values shorter than this are not replaced in free text (messages, traces): "bgp" as a
# password would blank every mention of BGP. Where podpath knows the line that holds a
# secret (source lines, statements), every length is replaced.
MIN_FREE_TEXT = 4

# --- routing daemons and keepalived: statements whose argument is secret ------------------
# FRR: `neighbor X password LINE`, `password [8] WORD`, `enable password WORD`,
# `username U password P`, `key-string LINE`, `ip ospf authentication-key KEY`,
# `ip ospf message-digest-key N md5 KEY`, `ipv6 ospf6 authentication keyid N method M key KEY`,
# `isis password clear|md5 WORD`, `area-password|domain-password clear|md5 WORD`,
# `ip rip authentication string LINE`; LDP `neighbor X password WORD`.
# BIRD: `password "text"` (bgp, ospf, rip, babel, bfd; also the `password "..." { ... }` form).
# keepalived: `auth_pass X`.
_KEYWORD = (r"(?:(?<![\w-])(?:password|passwd|key-string|authentication-key|area-password|domain-password|"
            r"auth_pass|secret)(?![\w-]))")
_STATEMENTS = [
    re.compile(_KEYWORD + r"(?P<pre>[ \t]+(?:(?:clear|md5|text|[0-9]{1,2})[ \t]+)?)"
               r"(?P<val>\"(?:[^\"\\\n]|\\.)*\"?|'[^'\n]*'?|[^\s;{}][^;{}\n]*?)(?=[ \t]*[;{}]|[ \t]*$)", re.I | re.M),
    re.compile(r"(?<![\w-])message-digest-key(?P<pre>[ \t]+\d+[ \t]+md5[ \t]+)(?P<val>\S[^\n]*?)[ \t]*$", re.I | re.M),
    re.compile(r"(?<![\w-])ospf6[ \t]+authentication[ \t]+keyid[ \t]+\d+[ \t]+method[ \t]+\S+(?P<pre>[ \t]+key[ \t]+)"
               r"(?P<val>\S[^\n]*?)[ \t]*$", re.I | re.M),
    re.compile(r"(?<![\w-])rip[ \t]+authentication(?P<pre>[ \t]+string[ \t]+)(?P<val>\S[^\n]*?)[ \t]*$", re.I | re.M),
]

_TRIGGERS = ("password", "passwd", "key-string", "authentication", "auth_pass", "secret", "message-digest-key")


def _trigger_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line holding a word that may open a secret statement, in order:
    the statement patterns then run on a few lines, not on megabytes of configuration."""
    lower = text.lower()
    spans = set()
    for word in _TRIGGERS:
        i = lower.find(word)
        while i >= 0:
            start = lower.rfind("\n", 0, i) + 1
            end = lower.find("\n", i)
            end = len(lower) if end < 0 else end
            spans.add((start, end))
            i = lower.find(word, end)
    return sorted(spans)


# --- YAML: keys whose value is secret -------------------------------------------------------
# By name anywhere (Helm values, Talos machine config, any YAML): passwords, tokens, private keys.
_SECRET_KEY = re.compile(
    r"(?i)^(password|passwd|pass|auth_pass|.*[-_]?password|secret|clientsecret|.*encryptionsecret|token|bearertoken|"
    r"apikey|.*privatekey|psk|presharedkey|bootstraprootcert|key-string)$")
# Key material by position: `key`/`cert`/... under a TLS/CA section (hubble.tls.server.key,
# hubble.relay.tls.client.cert, clustermesh.apiserver.tls.*.key, clustermesh.config.clusters[].tls.*,
# tls.ca.key, tls.caBundle.content, Talos machine.ca.key / cluster.serviceAccount.key ...).
_MATERIAL = frozenset({"key", "cert", "crt", "cacert", "certificate", "content", "ca.crt", "tls.crt", "tls.key"})
_MATERIAL_PARENTS = frozenset({"tls", "ssl", "ca", "cabundle", "aggregatorca", "serviceaccount", "acceptedcas",
                               "server", "client", "admin", "remote"})
_MATERIAL_SECTIONS = frozenset({"tls", "ssl", "ca", "cabundle", "aggregatorca", "serviceaccount", "acceptedcas"})
_NAME_NOT_MATERIAL = frozenset({"mtls", "cabundle"})  # their `key` names a key inside a Secret/ConfigMap: not secret


def secret_path(path: list[str], kind: str | None) -> bool:
    """Whether the YAML value at `path` (keys; '[]' for list items) is secret material.

    `kind` is the document's Kubernetes kind: a `Secret`'s `data`/`stringData` entries
    are secret whatever they are called.
    """
    if not path:
        return False
    if kind == "Secret" and path[0] in ("data", "stringData") and len(path) >= 2:
        return True
    last = path[-1]
    if last == "[]":
        keys = [p for p in path if p != "[]"]
        return bool(keys) and _SECRET_KEY.match(keys[-1]) is not None
    if _SECRET_KEY.match(last):
        return True
    low = last.lower()
    if low in _MATERIAL:
        parents = [p.lower() for p in path[:-1] if p != "[]"]
        if not parents or not any(p in _MATERIAL_SECTIONS for p in parents):
            return False
        if low == "key" and parents[-1] in _NAME_NOT_MATERIAL:
            return False
        return parents[-1] in _MATERIAL_PARENTS
    return False


_YAML_LINE = re.compile(r"^(?P<ind>\s*)(?P<dash>(?:-\s+)*)(?P<key>\"[^\"]*\"|'[^']*'|[^\s:#\"'][^:#]*?)\s*:(?:\s+(?P<val>.*?))?\s*$")
_YAML_ITEM = re.compile(r"^(?P<ind>\s*)-\s+(?P<val>[^\s:{#][^:#]*?)\s*$")
_CANDIDATE_KEY = re.compile(r"(?i)(pass|secret|token|key|cert|crt|content|psk)[\"']?[ \t]*:")
_KIND_SECRET = re.compile(r"^kind:\s*[\"']?Secret[\"']?\s*(#.*)?$", re.M)


def _unquote(text: str) -> str:
    t = text.strip()
    if "#" in t and not t.startswith(("'", '"')):
        t = t.split(" #", 1)[0].rstrip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'":
        t = t[1:-1]
    return t


def _literal(value: str) -> bool:
    """A scalar that may be secret: not a flag, a null, a block/flow opener or an alias."""
    v = value.strip()
    return bool(v) and v.lower() not in ("true", "false", "null", "~", "yes", "no", "on", "off", "''", '""') \
        and not v.startswith(("&", "*", "!", "{", "["))


class Secrets:
    """The secret values of one snapshot, and the lines that hold them."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lines: dict[tuple[str, int], set[str]] = {}
        # Free-text lookup without scanning every value: a value occurs (token-bounded) only
        # where its longest word is a whole token, so a text is looked at only for the values
        # whose anchor word it contains (thousands of passwords, millions of characters).
        self._anchors: dict[str, set[str]] = {}
        self._unanchored: set[str] = set()
        self._patterns: dict[frozenset[str], re.Pattern[str]] = {}

    def __bool__(self) -> bool:
        return bool(self._values)

    def __repr__(self) -> str:  # never print the values
        return f"Secrets({len(self._values)} values)"

    def add(self, value: Any, file: str | None = None, line: int = 0) -> None:
        """Remember a secret value (and, when known, the source line it is on)."""
        if value is None or isinstance(value, bool):
            return
        text = str(value).strip()
        if not text or text == MARK:
            return
        for v in {text, _unquote(text), text.strip("\"'; ")} | _decoded(text):
            if not v or v == MARK:
                continue
            if v not in self._values:
                self._values.add(v)
                self._index(v)
            if file is not None and line:
                self._lines.setdefault((file, line), set()).add(v)

    # --- collecting ------------------------------------------------------------------------

    def scan_text(self, text: str, file: str, yaml: bool = True) -> None:
        """Every secret in a file's raw text, whatever its dialect (and even if it does not
        parse); `yaml`: the file may be YAML (its keys are looked at too)."""
        line, pos = 1, 0
        for start, end in _trigger_lines(text):
            line += text.count("\n", pos, start)
            pos = start
            for pat in _STATEMENTS:
                for m in pat.finditer(text, start, end):
                    self.add(m.group("val"), file, line)
        if yaml and ":" in text:
            self._scan_yaml_text(text, file)

    def _scan_yaml_text(self, text: str, file: str) -> None:
        """YAML by indentation, line by line: works on files that do not parse."""
        for start, chunk in _documents(text):
            kind = "Secret" if _KIND_SECRET.search(chunk) else None
            if kind is None and not _CANDIDATE_KEY.search(chunk):
                continue  # no key that can hold a secret: nothing to look at line by line
            stack: list[tuple[int, str]] = []
            block: tuple[int, list[str]] | None = None  # (indent of the key, path) of a secret block scalar
            for offset, line in enumerate(chunk.splitlines()):
                lineno = start + offset
                stripped = line.strip()
                if not stripped or stripped.startswith("#"):
                    continue
                indent = len(line) - len(line.lstrip())
                if block is not None:
                    if indent > block[0]:
                        self.add(stripped, file, lineno)
                        continue
                    block = None
                m = _YAML_LINE.match(line)
                if m is None:
                    item = _YAML_ITEM.match(line)
                    if item is not None:
                        path = [k for i, k in stack if i < indent] + ["[]"]
                        if secret_path(path, kind) and _literal(item.group("val")):
                            self.add(item.group("val"), file, lineno)
                    continue
                key_indent = indent + len(m.group("dash"))
                if m.group("dash"):
                    while stack and stack[-1][0] >= indent:
                        stack.pop()
                    stack.append((indent, "[]"))
                while stack and stack[-1][0] >= key_indent:
                    stack.pop()
                key = _unquote(m.group("key"))
                path = [k for _, k in stack] + [key]
                stack.append((key_indent, key))
                val = m.group("val") or ""
                if not secret_path(path, kind):
                    continue
                if val[:1] in ("|", ">"):
                    block = (key_indent, path)
                elif _literal(val):
                    self.add(val, file, lineno)

    def scan_data(self, data: Any, file: str, kind: str | None = None) -> None:
        """Secrets in parsed YAML/JSON (flow style, JSON, HelmRelease `spec.values`...).

        Shared nodes (YAML aliases) are visited once, so an alias bomb costs nothing here.
        """
        if kind is None and isinstance(data, dict):
            kind = str(data.get("kind")) if data.get("kind") is not None else None
        seen: set[int] = set()
        todo: list[tuple[Any, list[str], str | None, int]] = [(data, [], kind, 0)]
        while todo:
            node, path, k, line = todo.pop()
            if isinstance(node, (dict, list)):
                if id(node) in seen or len(path) > 200:
                    continue
                seen.add(id(node))
            if isinstance(node, dict):
                sub_kind = k
                if node.get("kind") == "Secret":
                    sub_kind, path = "Secret", []
                for key, value in node.items():
                    todo.append((value, path + [str(key)], sub_kind, _key_line(node, key)))
            elif isinstance(node, list):
                if k != "Secret" and path and path[-1] == "items":
                    todo.extend((item, [], None, 0) for item in node)
                    continue
                todo.extend((item, path + ["[]"], k, 0) for item in node)
            elif secret_path(path, k) and isinstance(node, (str, int, float)) and not isinstance(node, bool):
                self.add(node, file, line)

    def scan_values(self, values: Iterable[Any]) -> None:
        """Secret values a reader extracted (e.g. a BIRD password given through a `define`)."""
        for v in values:
            self.add(v)

    # --- redacting ---------------------------------------------------------------------------

    def _index(self, value: str) -> None:
        if len(value) < MIN_FREE_TEXT:
            return
        words = _WORD.findall(value)
        if words:
            self._anchors.setdefault(max(words, key=len), set()).add(value)
        else:
            self._unanchored.add(value)
        self._patterns.clear()

    def text(self, text: str) -> str:
        """`text` with every known secret value (of at least MIN_FREE_TEXT characters) replaced."""
        if not text or not (self._anchors or self._unanchored):
            return text
        anchors = self._anchors
        candidates = {v for w in set(_WORD.findall(text)) if w in anchors for v in anchors[w]}
        if self._unanchored:
            candidates |= {v for v in self._unanchored if v in text}
        return _bounded(candidates, self._patterns).sub(MARK, text) if candidates else text

    def at(self, text: str, file: str | None, line: int) -> str:
        """A message about `file:line`: the secrets known to be on that line (any length) and
        every other known value, without the statement patterns (a message is prose)."""
        known = self._lines.get((file or "", line))
        if known:
            text = _bounded(known, self._patterns).sub(MARK, text)
        return self.text(text)

    def line(self, text: str, file: str | None = None, line: int = 0) -> str:
        """A quoted source line or statement: the secrets known to be on that line (any
        length), the secret-bearing statements of every dialect, then the known values."""
        known = self._lines.get((file or "", line))
        out = _bounded(known, self._patterns).sub(MARK, text) if known else text
        return self.text(redact_statements(out))

    def doc(self, obj: Any) -> Any:
        """A JSON-able document with every string redacted (`text`); keys are kept."""
        return walk_strings(obj, self.text)



_WORD = re.compile(r"[A-Za-z0-9_]+")


def _bounded(values: Iterable[str], cache: dict[frozenset[str], re.Pattern[str]]) -> re.Pattern[str]:
    """One regex for `values`, longest first, each only as a whole token (not inside a word)."""
    key = frozenset(values)
    pat = cache.get(key)
    if pat is None:
        alts = "|".join(re.escape(v) for v in sorted(key, key=len, reverse=True))
        pat = cache[key] = re.compile(r"(?<![A-Za-z0-9_])(?:" + alts + r")(?![A-Za-z0-9_])")
        if len(cache) > 4096:
            cache.clear()
            cache[key] = pat
    return pat


def redact_statements(text: str) -> str:
    """Source text with the argument of every secret-bearing statement replaced by MARK
    (FRR, BIRD, keepalived and YAML `password:`-style keys); usable without a snapshot."""
    if not text:
        return text
    out = text
    for pat in _STATEMENTS:
        out = pat.sub(lambda m: m.group(0)[: m.start("val") - m.start()] + MARK, out)
    return _YAML_KEY_LINE.sub(_yaml_key_sub, out)


_YAML_KEY_LINE = re.compile(r"^(?P<head>\s*(?:-\s+)*[\"']?(?P<key>[A-Za-z_][\w.-]*)[\"']?\s*:\s+)(?P<val>\S.*?)\s*$",
                            re.M)


def _yaml_key_sub(m: re.Match[str]) -> str:
    if _SECRET_KEY.match(m.group("key")) and _literal(m.group("val")) and m.group("val") != MARK:
        return m.group("head") + MARK
    return m.group(0)


def walk_strings(obj: Any, fn: Callable[[str], str]) -> Any:
    """Apply `fn` to every string value of a JSON-able structure (dict keys are kept)."""
    if isinstance(obj, str):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: walk_strings(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [walk_strings(v, fn) for v in obj]
    return obj


def _documents(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each `---`-separated YAML document."""
    docs: list[tuple[int, str]] = []
    start, lines = 1, []
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith("---"):
            docs.append((start, "\n".join(lines)))
            start, lines = i + 1, []
            continue
        lines.append(line)
    docs.append((start, "\n".join(lines)))
    return docs


def _decoded(text: str) -> set[str]:
    """A base64 Secret value decoded too: the same password may appear in clear elsewhere."""
    if len(text) < 8 or not re.fullmatch(r"[A-Za-z0-9+/=\s]+", text):
        return set()
    try:
        raw = base64.b64decode(text, validate=False)
        plain = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return set()
    plain = plain.strip()
    return {plain} if plain and plain.isprintable() else set()


def _key_line(mapping: Any, key: Any) -> int:
    """1-based line of `key` in a ruamel mapping (0 when unknown)."""
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return 0


def model_secrets(config: Any) -> list[str]:
    """Passwords a routing-daemon reader resolved (FRR neighbors and peer-groups, BIRD
    protocols and templates, where a `define` may hold the string)."""
    out: list[str] = []
    for inst in (getattr(config, "bgp", None) or {}).values():
        for n in (getattr(inst, "neighbors", None) or {}).values():
            if getattr(n, "password", None):
                out.append(n.password)
    protos = list(getattr(config, "protocols", None) or []) + list((getattr(config, "templates", None) or {}).values())
    for p in protos:
        pw = getattr(p, "password", None)
        if isinstance(pw, str) and pw:
            out.append(pw)
    return out
