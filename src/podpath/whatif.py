"""What-if: "would this change fix it?" without touching the user's files.

`podpath check SNAPSHOT --set FILE:KEY=VALUE` edits a copy of a YAML file's text (a Helm values file, or any
single-document YAML file of the snapshot) the way the user would: the value is replaced in place on its line,
or the missing keys are added at the end of the nearest mapping that exists, at that mapping's indentation.
Everything else in the file stays byte for byte. The changed texts are read again through
`podpath.load(root, overlay=...)`, checked, and compared with the unchanged snapshot (`podpath.diff`).

Every edit is verified by parsing the edited text again: the documents must equal the original ones with
exactly that key changed, otherwise the edit is refused with a precise message (a block scalar, a flow
mapping, a key inside a list) instead of simulating something the user did not ask for."""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot


class SetError(ValueError):
    """A `--set` that cannot be applied as written (usage error: exit 2)."""


@dataclass(frozen=True)
class SetSpec:
    """One `--set [FILE:]KEY=VALUE`: FILE None means the snapshot's one Cilium Helm values file."""

    file: str | None
    key: tuple[str, ...]  # the dotted Helm key split at unescaped dots
    value_text: str  # the value as the user wrote it (YAML scalar syntax, as Helm's --set)
    raw: str

    @property
    def dotted(self) -> str:
        return ".".join(k.replace(".", "\\.") for k in self.key)


@dataclass
class AppliedSet:
    """What one `--set` changed: where, from what, to what (`old` None: the key was added)."""

    spec: SetSpec
    file: str
    line: int  # 1-based line of the value after the edit
    old: str | None
    new: str
    added_keys: tuple[str, ...] = ()  # the keys that did not exist and were added

    def describe(self) -> str:
        if self.old is None:
            return f"{self.file}:{self.line}: added {self.spec.dotted}: {self.new}"
        return f"{self.file}:{self.line}: {self.spec.dotted}: {self.old} -> {self.new}"

    def to_json(self) -> dict[str, Any]:
        return {"set": self.spec.raw, "file": self.file, "line": self.line, "key": self.spec.dotted,
                "old": self.old, "new": self.new, "added_keys": list(self.added_keys)}


@dataclass
class WhatIf:
    """The changed snapshot, what was edited, and how it differs from the unchanged one."""

    before: "Snapshot"
    after: "Snapshot"
    applied: list[AppliedSet]
    texts: dict[str, str]  # the edited files' new texts (the overlay)
    diff: Any = None  # podpath.diff.SnapshotDiff
    explanations: list[Any] = field(default_factory=list)  # podpath.whynot.WhyNot

    def patch(self) -> str:
        """The edit as a unified diff against the user's files (`a/FILE`, `b/FILE`)."""
        return unified_diff(self.before.texts, self.texts)


def unified_diff(before: dict[str, str], after: dict[str, str]) -> str:
    parts: list[str] = []
    for file in sorted(after):
        a = before.get(file, "").splitlines(keepends=True)
        b = after[file].splitlines(keepends=True)
        for line in difflib.unified_diff(a, b, f"a/{file}", f"b/{file}"):
            parts.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(parts)


def changed_lines(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, int]]:
    """(file, line) of every line of `after`'s texts that is new or changed (1-based, in the new text)."""
    out: list[tuple[str, int]] = []
    for file in sorted(after):
        a = before.get(file, "").splitlines()
        b = after[file].splitlines()
        for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag in ("replace", "insert"):
                out += [(file, j + 1) for j in range(j1, j2)]
    return out


# ------------------------------------------------------------------------------------------------ parsing

def parse_set(raw: str) -> SetSpec:
    """`FILE:KEY=VALUE` or `KEY=VALUE`. The key is a dotted Helm path (`bpf.hostLegacyRouting`; a dot inside
    a key is written `\\.`); the value is a YAML scalar (`true`, `1450`, `fd00::/38`, `"quoted"`)."""
    left, eq, value = raw.partition("=")
    if not eq:
        raise SetError(f"--set {raw!r}: expected [FILE:]KEY=VALUE")
    file: str | None = None
    if ":" in left:
        file, _, left = left.rpartition(":")
        file = file.strip() or None
    key = _split_key(left.strip())
    if not key or any(not k for k in key):
        raise SetError(f"--set {raw!r}: the key {left!r} is empty or has an empty part")
    if any(c in k for k in key for c in "[]"):
        raise SetError(f"--set {raw!r}: list indexes ({left}) are not supported: set a key of a mapping")
    return SetSpec(file, key, value.strip(), raw)


def _split_key(text: str) -> tuple[str, ...]:
    parts, cur, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] == ".":
            cur += "."
            i += 2
            continue
        if text[i] == ".":
            parts.append(cur)
            cur = ""
        else:
            cur += text[i]
        i += 1
    parts.append(cur)
    return tuple(parts)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


def _scalar(spec: SetSpec) -> tuple[str, Any]:
    """(text to write, the value it means). An empty value is the empty string, as with Helm."""
    text = spec.value_text if spec.value_text != "" else '""'
    if "\n" in text:
        raise SetError(f"--set {spec.raw!r}: the value must be on one line")
    try:
        value = _yaml().load(io.StringIO(f"v: {text}\n"))["v"]
    except (YAMLError, TypeError, KeyError) as e:
        raise SetError(f"--set {spec.raw!r}: {text!r} is not a YAML value ({str(e).splitlines()[0]})") from None
    if isinstance(value, (dict, list)):
        raise SetError(f"--set {spec.raw!r}: the value must be a single YAML scalar, not a "
                       f"{'mapping' if isinstance(value, dict) else 'list'}")
    return text, _plain(value)


def _plain(data: Any) -> Any:
    """ruamel's round-trip data as plain Python (for comparing documents)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    return str(data)


# ------------------------------------------------------------------------------------------------ target

@dataclass(frozen=True)
class _Target:
    file: str
    doc: int  # document index in the file
    root: tuple[str, ...]  # key path from the document to the values mapping ("spec", "values")
    what: str  # "Cilium Helm values" | "YAML document"


def _documents(text: str, file: str) -> list[Any]:
    try:
        return [d for d in _yaml().load_all(io.StringIO(text))]
    except YAMLError as e:
        raise SetError(f"{file}: cannot edit: the file is not valid YAML ({str(e).splitlines()[0]})") from None


def _find_mapping(docs: list[Any], line: int, col: int) -> tuple[int, tuple[str, ...]] | None:
    """(document index, key path) of the mapping that starts at (line, col) (0-based)."""
    def walk(node: Any, path: tuple[str, ...]) -> tuple[str, ...] | None:
        if isinstance(node, CommentedMap):
            if node.lc.line == line and node.lc.col == col:
                return path
            for k, v in node.items():
                hit = walk(v, path + (str(k),))
                if hit is not None:
                    return hit
        return None

    for i, d in enumerate(docs):
        hit = walk(d, ())
        if hit is not None:
            return i, hit
    return None


def _shown(snap: "Snapshot", file: str) -> str | None:
    """The snapshot's name for `file`: as shown, or a path to it (relative to the working directory)."""
    if file in snap.texts:
        return file
    from pathlib import Path

    try:
        rel = Path(file).resolve().relative_to(Path(snap.root).resolve())
    except (ValueError, OSError):
        return None
    name = rel.as_posix()
    return name if name in snap.texts else None


def _target(snap: "Snapshot", spec: SetSpec) -> _Target:
    helm = list(snap.helm_values)
    if spec.file is None:
        files = sorted({h.file for h in helm if h.data})
        if not files:
            raise SetError(f"--set {spec.raw!r}: the snapshot has no Cilium Helm values file; name the file: "
                           "--set FILE:KEY=VALUE")
        cands = [h for h in helm if h.data]
        if len(cands) > 1:
            where = ", ".join(f"{h.file}:{h.loc.line} ({h.via})" for h in cands)
            raise SetError(f"--set {spec.raw!r}: the snapshot has {len(cands)} Cilium Helm values documents ({where}); "
                           f"name the file: --set FILE:{spec.dotted}=...")
        h = cands[0]
    else:
        name = _shown(snap, spec.file)
        if name is None:
            raise SetError(f"--set {spec.raw!r}: no file {spec.file!r} in the snapshot (files are named relative to "
                           "it, as `podpath show` lists them)")
        cands = [h for h in helm if h.file == name and h.data]
        if len(cands) > 1:
            raise SetError(f"--set {spec.raw!r}: {name} holds {len(cands)} Cilium Helm values documents; edit it by hand")
        if not cands:
            docs = [d for d in _documents(snap.texts[name], name)]
            idx = [i for i, d in enumerate(docs) if d is not None]
            if len(idx) != 1 or not isinstance(docs[idx[0]], CommentedMap):
                raise SetError(f"--set {spec.raw!r}: {name} is not Cilium Helm values nor a YAML file with one mapping "
                               "document: podpath cannot tell which document to edit")
            return _Target(name, idx[0], (), "YAML document")
        h = cands[0]
    lc = getattr(h.data, "lc", None)
    docs = _documents(snap.texts.get(h.file, ""), h.file)
    hit = _find_mapping(docs, lc.line, lc.col) if lc is not None and lc.line is not None else None
    if hit is None:
        raise SetError(f"--set {spec.raw!r}: the Cilium Helm values at {h.loc} ({h.via}) are not a mapping of that "
                       "file's own text (embedded or merged): edit them by hand")
    return _Target(h.file, hit[0], hit[1], "Cilium Helm values")


# ------------------------------------------------------------------------------------------------ editing

def _get(node: Any, path: tuple[str, ...]) -> Any:
    for k in path:
        node = node[k]
    return node


def _lookup(mapping: CommentedMap, key: str) -> Any:
    """The mapping's own key equal to `key` (keys may be non-strings: `1450: x`)."""
    for k in mapping:
        if str(k) == key:
            return k
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _value_span(line: str, col: int) -> int:
    """End column (exclusive) of the scalar that starts at `col` on `line`."""
    rest = line[col:]
    if rest[:1] in ("'", '"'):
        q = rest[0]
        i = 1
        while i < len(rest):
            if q == '"' and rest[i] == "\\":
                i += 2
                continue
            if rest[i] == q:
                if q == "'" and rest[i + 1:i + 2] == "'":
                    i += 2
                    continue
                return col + i + 1
            i += 1
        return len(line)
    end = len(line)
    for i in range(len(rest)):
        if rest[i] == "#" and i > 0 and rest[i - 1] in " \t":
            end = col + i
            break
    return col + len(line[col:end].rstrip())


def _span_end(lines: list[str], mapping: CommentedMap, child_indent: int) -> int:
    """0-based index of the last line with content that belongs to `mapping` (its last key's value)."""
    last = list(mapping)[-1]
    end = mapping.lc.key(last)[0]
    for i in range(end + 1, len(lines)):
        s = lines[i]
        st = s.strip()
        if not st or st.startswith("#"):
            continue
        ind = _indent(s)
        if st in ("---", "...") or st.startswith("--- ") or ind < child_indent:
            break
        if ind == child_indent and not (st == "-" or st.startswith("- ")):
            break
        end = i
    return end


def _step(doc: Any) -> int:
    """The file's indentation step (2 unless its nested mappings say otherwise)."""
    def walk(node: Any) -> int | None:
        if isinstance(node, CommentedMap):
            for k, v in node.items():
                if isinstance(v, CommentedMap) and len(v) and not v.fa.flow_style():
                    d = v.lc.key(list(v)[0])[1] - node.lc.key(k)[1]
                    if d > 0:
                        return d
                r = walk(v)
                if r:
                    return r
        return None

    return walk(doc) or 2


def apply_set(text: str, target: _Target, spec: SetSpec) -> tuple[str, AppliedSet]:
    """`text` with `spec` applied to the target document; verified by parsing the result again."""
    value_text, value = _scalar(spec)
    docs = _documents(text, target.file)
    root = _get(docs[target.doc], target.root)
    lines = text.splitlines(keepends=True)
    eol = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    node: Any = root
    parents: list[str] = []
    for i, k in enumerate(spec.key):
        if not isinstance(node, CommentedMap):
            raise SetError(f"--set {spec.raw!r}: {'.'.join(parents)} in {target.file} is "
                           f"{'a list' if isinstance(node, CommentedSeq) else 'a scalar'}, not a mapping: cannot set "
                           f"{spec.dotted}")
        have = _lookup(node, k)
        if have is None:
            break
        if i == len(spec.key) - 1:
            cur = node[have]
            if isinstance(cur, (CommentedMap, CommentedSeq)):
                line = node.lc.key(have)[0] + 1
                raise SetError(f"--set {spec.raw!r}: {spec.dotted} at {target.file}:{line} is a "
                               f"{'mapping' if isinstance(cur, CommentedMap) else 'list'}: set one of its keys instead")
            kl, kc = node.lc.key(have)
            vl, vc = node.lc.value(have)
            if cur is None and vl != kl:  # `key:` with nothing after it: the value goes on the key's line
                s = lines[kl].rstrip("\r\n")
                colon = s.index(":", kc + len(str(have)) if s[kc:kc + 1] not in ("'", '"') else kc)
                comment = s[colon + 1:].strip()
                lines[kl] = s[:colon + 1] + " " + value_text + (("  " + comment) if comment else "") + eol
                vl, old = kl, None
            else:
                s = lines[vl]
                body = s.rstrip("\r\n")
                end = _value_span(body, vc)
                old = body[vc:end]
                lines[vl] = body[:vc] + value_text + body[end:] + s[len(body):]
            new_text = "".join(lines)
            applied = AppliedSet(spec, target.file, vl + 1, old if old != "" else None, value_text)
            _verify(text, new_text, target, spec, value)
            return new_text, applied
        node = node[have]
        parents.append(str(have))
    else:  # pragma: no cover - the loop returns or breaks
        raise AssertionError
    # Add the missing keys at the end of the deepest mapping that exists.
    missing = spec.key[len(parents):]
    if node.fa.flow_style():
        line = node.lc.line + 1
        raise SetError(f"--set {spec.raw!r}: {'.'.join(parents) or 'the document'} at {target.file}:{line} is written "
                       "as a flow mapping ({...}): edit it by hand")
    step = _step(docs[target.doc])
    if len(node):
        child = node.lc.key(list(node)[0])[1]
        after = _span_end(lines, node, child)
    else:  # an empty block mapping cannot exist in YAML; only the document itself can be empty
        raise SetError(f"--set {spec.raw!r}: {target.file}: the mapping to add {spec.dotted} to is empty")
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += eol
    new_lines = []
    for j, k in enumerate(missing):
        key = k if _plain_key(k) else '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'
        pad = " " * (child + j * step)
        new_lines.append(pad + key + ":" + (" " + value_text if j == len(missing) - 1 else "") + eol)
    lines[after + 1:after + 1] = new_lines
    new_text = "".join(lines)
    _verify(text, new_text, target, spec, value)
    applied = AppliedSet(spec, target.file, after + 1 + len(new_lines), None, value_text, tuple(missing))
    return new_text, applied


def _plain_key(k: str) -> bool:
    return bool(k) and all(c.isalnum() or c in "-_/" for c in k) and not k[0] in "-"


def _verify(text: str, new_text: str, target: _Target, spec: SetSpec, value: Any) -> None:
    """The edited text parses to the original documents with exactly `spec.key` set to `value`."""
    want = [_plain(d) for d in _documents(text, target.file)]
    node = want[target.doc]
    for k in target.root:
        node = node[k]
    for k in spec.key[:-1]:
        node = node.setdefault(k, {})
    node[spec.key[-1]] = value
    try:
        got = [_plain(d) for d in _documents(new_text, target.file)]
    except SetError:
        got = None
    if got != want:
        raise SetError(f"--set {spec.raw!r}: podpath could not edit {target.file} in place without changing "
                       "something else (a multi-line or block value?): edit it by hand")


# ------------------------------------------------------------------------------------------------ patches

def apply_patch(snap: "Snapshot", patch_text: str, patch_name: str,
                texts: dict[str, str] | None = None) -> dict[str, str]:
    """The snapshot's texts changed by a unified diff (`git diff`, `diff -u`, what `podpath fix` prints), paths
    relative to the snapshot (an `a/` and `b/` prefix is taken off). Every hunk must match the file exactly at
    its line: a stale patch is refused, never applied elsewhere. Errors name PATCH:line."""
    import re

    out = dict(texts or {})
    lines = patch_text.splitlines()
    i = 0
    seen = False
    hunk_re = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
    while i < len(lines):
        if not lines[i].startswith("--- "):
            i += 1
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
            raise SetError(f"{patch_name}:{i + 1}: error: `---` without a `+++` line")
        name = _patch_path(lines[i + 1][4:])
        if name == "/dev/null":
            raise SetError(f"{patch_name}:{i + 2}: error: deleting a file is not a what-if podpath can check")
        file = _shown(snap, name) or (name if name in snap.texts else None)
        if file is None:
            raise SetError(f"{patch_name}:{i + 2}: error: no file {name!r} in the snapshot (paths are relative to it)")
        src = out.get(file, snap.texts[file]).splitlines(keepends=True)
        eol = "\r\n" if src and src[0].endswith("\r\n") else "\n"
        i += 2
        delta = 0
        while i < len(lines) and lines[i].startswith("@@"):
            m = hunk_re.match(lines[i])
            if m is None:
                raise SetError(f"{patch_name}:{i + 1}: error: not a hunk header: {lines[i]!r}")
            start = int(m.group(1)) - (0 if m.group(2) == "0" else 1) + delta
            i += 1
            old_part: list[str] = []
            new_part: list[str] = []
            first = i
            while i < len(lines) and not lines[i].startswith(("@@", "--- ", "diff ")):
                t = lines[i]
                if t.startswith("\\"):
                    i += 1
                    continue
                tag, body = (t[:1], t[1:]) if t else (" ", "")
                if tag not in " +-":
                    break
                if tag in " -":
                    old_part.append(body)
                if tag in " +":
                    new_part.append(body)
                i += 1
            have = [x.rstrip("\r\n") for x in src[start:start + len(old_part)]]
            if have != old_part:
                bad = next((k for k, (x, y) in enumerate(zip(have, old_part)) if x != y), len(have))
                raise SetError(f"{patch_name}:{first + bad + 1}: error: the hunk does not match {file}:"
                               f"{start + bad + 1} (the file has {have[bad] if bad < len(have) else 'no such line'!r})")
            if src and not src[-1].endswith(("\n", "\r")):
                src[-1] += eol
            src[start:start + len(old_part)] = [x + eol for x in new_part]
            delta += len(new_part) - len(old_part)
        out[file] = "".join(src)
        seen = True
    if not seen:
        raise SetError(f"{patch_name}:1: error: not a unified diff (no `---`/`+++` file header)")
    return out


def _patch_path(text: str) -> str:
    name = text.split("\t", 1)[0].strip()
    return name[2:] if name.startswith(("a/", "b/")) else name


# ------------------------------------------------------------------------------------------------ running

def apply_sets(snap: "Snapshot", specs: list[SetSpec]) -> tuple[dict[str, str], list[AppliedSet]]:
    """The edited texts (by shown file name) and what each `--set` changed, in order."""
    texts: dict[str, str] = {}
    applied: list[tuple[_Target, AppliedSet]] = []
    for spec in specs:
        target = _target(snap, spec)
        text = texts.get(target.file, snap.texts[target.file])
        text, a = apply_set(text, target, spec)
        texts[target.file] = text
        applied.append((target, a))
    for target, a in applied:  # a later edit may have moved an earlier one: its line in the final text
        a.line = _value_line(texts[target.file], target, a.spec.key) or a.line
    return texts, [a for _, a in applied]


def _value_line(text: str, target: _Target, key: tuple[str, ...]) -> int | None:
    node = _get(_documents(text, target.file)[target.doc], target.root)
    for k in key[:-1]:
        node = node.get(_lookup(node, k)) if isinstance(node, CommentedMap) else None
    if not isinstance(node, CommentedMap) or _lookup(node, key[-1]) is None:
        return None
    return int(node.lc.value(_lookup(node, key[-1]))[0]) + 1


def what_if(before: "Snapshot", overlay: dict[str, str], applied: list[AppliedSet] | None = None,
            rules: list[str] | None = None) -> WhatIf:
    """Load `before`'s snapshot again with `overlay` (shown name -> new text), check both and compare."""
    from podpath.snapshot import load

    after = load(before.root, overlay=overlay)
    w = WhatIf(before, after, list(applied or []), dict(overlay))
    _compare(w, rules)
    return w


def _compare(w: WhatIf, rules: list[str] | None) -> None:
    from podpath import diff as diff_mod
    from podpath.whynot import explain_changes

    rb, ra = w.before.check(rules), w.after.check(rules)
    w.diff = diff_mod.compare(w.before, w.after, before_report=rb, after_report=ra)
    w.explanations = explain_changes(w.before, w.after, w.diff, changed=changed_lines(w.before.texts, w.texts),
                                     before_report=rb, after_report=ra)
