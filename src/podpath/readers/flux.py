"""Where a Flux HelmRelease's values really come from: `spec.valuesFrom` (ConfigMaps and Secrets, often made
by a Kustomize `configMapGenerator`/`secretGenerator` from a values file beside it), merged in order, then
`spec.values` on top (helm-controller's `chartutil.MergeValues` order: each valuesFrom item in turn, the inline
values last). Reading them gives the effective values the agents run with; ignoring them made podpath judge the
chart's defaults.

Every value keeps its file:line: a values document held in a ConfigMap's block scalar (`values.yaml: |`) is
parsed at its own lines in the ConfigMap's file; a generated ConfigMap's values file is the file itself. A
reference podpath cannot resolve from the snapshot (the object is not in it) is reported as unsupported and makes
the result incomplete: the values may differ from what podpath simulates."""

from __future__ import annotations

import base64
import binascii
import io
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.readers.yamlsrc import _yaml, get_path, item_loc, key_loc, node_loc, value_loc

DEFAULT_VALUES_KEY = "values.yaml"  # helm-controller's default valuesKey


@dataclass
class DataItem:
    """One key of a ConfigMap/Secret: its text, and where that text starts (for nested parsing)."""

    text: str
    loc: Loc  # the value's location
    block_line: int | None = None  # literal block scalar: the 0-based line of its first content line
    block_indent: int = 0
    file: str | None = None  # generated from a whole file: values parsed at that file's own lines


@dataclass
class DataObject:
    """A ConfigMap or Secret of the snapshot, read for what references it (valuesFrom)."""

    kind: str  # ConfigMap | Secret
    namespace: str | None
    name: str
    loc: Loc
    items: dict[str, DataItem] = field(default_factory=dict)
    generated_by: str | None = None  # the kustomization file whose generator made it


@dataclass(frozen=True)
class ValuesRef:
    """One `spec.valuesFrom` item of a HelmRelease."""

    kind: str
    name: str
    values_key: str
    target_path: str | None
    optional: bool
    loc: Loc


def read_values_from(spec: Any, file: str, diags: Diagnostics) -> list[ValuesRef]:
    refs: list[ValuesRef] = []
    items = spec.get("valuesFrom") if isinstance(spec, dict) else None
    if not isinstance(items, list):
        if items is not None:
            diags.error(key_loc(spec, "valuesFrom", file), "HelmRelease spec.valuesFrom must be a list")
        return refs
    for i, item in enumerate(items):
        loc = item_loc(items, i, file)
        if not isinstance(item, dict):
            diags.error(loc, "valuesFrom item must be a mapping with kind and name")
            continue
        kind, name = str(item.get("kind") or ""), item.get("name")
        if kind not in ("ConfigMap", "Secret") or not name:
            diags.error(loc, f"valuesFrom item needs kind ConfigMap or Secret and a name (got kind {kind!r})")
            continue
        refs.append(ValuesRef(kind, str(name), str(item.get("valuesKey") or DEFAULT_VALUES_KEY),
                              str(item["targetPath"]) if item.get("targetPath") else None,
                              item.get("optional") is True, loc))
    return refs


def read_data_object(obj: Any, file: str, diags: Diagnostics, text: str) -> DataObject | None:
    """A ConfigMap's `data` or a Secret's `data` (base64) / `stringData`, each value with its location."""
    name = get_path(obj, "metadata.name")
    if not name:
        return None
    ns = get_path(obj, "metadata.namespace")
    out = DataObject(str(obj.get("kind")), str(ns) if ns else None, str(name), node_loc(obj, file))
    lines = text.splitlines()
    for section in ("data", "stringData"):
        data = obj.get(section)
        if not isinstance(data, dict):
            continue
        for key in data:
            raw = data[key]
            if raw is None:
                continue
            value = str(raw)
            loc = value_loc(data, key, file)
            if out.kind == "Secret" and section == "data":
                try:
                    value = base64.b64decode(value, validate=False).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError, ValueError):
                    diags.error(loc, f"Secret {name} data {key}: not base64-encoded UTF-8 text")
                    continue
                out.items[str(key)] = DataItem(value, loc)
                continue
            item = DataItem(value, loc)
            here = lines[loc.line - 1] if 0 < loc.line <= len(lines) else ""
            if here[loc.col - 1:loc.col].strip() in ("|", ">") or here[loc.col - 1:].lstrip().startswith("|"):
                # a literal block: its content starts on the next line, indented uniformly
                first = next((j for j in range(loc.line, len(lines)) if lines[j].strip()), None)
                if first is not None:
                    item.block_line = first
                    item.block_indent = len(lines[first]) - len(lines[first].lstrip(" "))
            out.items[str(key)] = item
    return out


def generated_objects(kustomization: Any, file: str, texts: dict[str, str], diags: Diagnostics) -> list[DataObject]:
    """The ConfigMaps/Secrets a kustomization's `configMapGenerator`/`secretGenerator` makes. A file source
    (`files: [values.yaml=cilium-values.yaml]`) keeps the file's own lines; the name suffix hash Kustomize adds
    is not part of the name a HelmRelease refers to before the build (Flux rewrites it via nameReference)."""
    out: list[DataObject] = []
    if not isinstance(kustomization, dict):
        return out
    base = posixpath.dirname(file)
    ns = kustomization.get("namespace")
    for section, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        gens = kustomization.get(section)
        if not isinstance(gens, list):
            continue
        for i, gen in enumerate(gens):
            if not isinstance(gen, dict) or not gen.get("name"):
                continue
            gns = gen.get("namespace") or ns
            obj = DataObject(kind, str(gns) if gns else None, str(gen["name"]), item_loc(gens, i, file),
                             generated_by=file)
            files = gen.get("files")
            for j, src in enumerate(files if isinstance(files, list) else []):
                key, _, path = str(src).rpartition("=")
                path = path.strip()
                shown = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
                key = key.strip() or posixpath.basename(path)
                if shown not in texts:
                    diags.warning(item_loc(files, j, file), f"{section} {gen['name']}: file {path} is not in the "
                                  "snapshot")
                    continue
                obj.items[key] = DataItem(texts[shown], Loc(shown, 1, 1), file=shown)
            lits = gen.get("literals")
            for j, lit in enumerate(lits if isinstance(lits, list) else []):
                key, eq, value = str(lit).partition("=")
                if eq:
                    obj.items[key.strip()] = DataItem(value, item_loc(lits, j, file))
            out.append(obj)
    return out


def find_object(objects: list[DataObject], kind: str, name: str, namespace: str | None) -> DataObject | None:
    """The object a reference names: same kind and name, in the release's namespace (any namespace when
    either side does not say one)."""
    hits = [o for o in objects if o.kind == kind and o.name == name
            and (namespace is None or o.namespace is None or o.namespace == namespace)]
    hits.sort(key=lambda o: (o.namespace != namespace, o.generated_by is not None, o.loc))
    return hits[0] if hits else None


def values_document(item: DataItem, where: str, diags: Diagnostics) -> Any:
    """The values YAML held in `item`, parsed with positions in its own file; None (with a diagnostic) when it
    is not a mapping."""
    if item.file is not None:
        text, file, shift_line, shift_col = item.text, item.file, 0, 0
    elif item.block_line is not None:
        # ruamel gives the block's content without its indentation: parse it at its own lines, then shift
        text, file = "\n" * item.block_line + item.text, item.loc.file
        shift_line, shift_col = 0, item.block_indent
    else:
        text, file, shift_line, shift_col = item.text, item.loc.file, item.loc.line - 1, item.loc.col - 1
    try:
        data = _yaml().load(io.StringIO(text))
    except Exception as exc:  # ruamel's errors carry a mark; place it in the user's file
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 1 + shift_line) if mark is not None else item.loc.line
        diags.error(Loc(file, line, (mark.column + 1 + shift_col) if mark is not None else item.loc.col),
                    f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}")
        return None
    if data is None:
        return CommentedMap()
    if not isinstance(data, dict):
        diags.error(item.loc, f"{where}: the values are not a mapping")
        return None
    if shift_line or shift_col:
        _shift(data, shift_line, shift_col)
    return data


def target_path_document(value: str, path: str, loc: Loc) -> CommentedMap:
    """`targetPath: a.b.c`: the item's text set as one (string) value at that path, located at the item."""
    parts = path.split(".")
    top = node = CommentedMap()
    for part in parts[:-1]:
        child = CommentedMap()
        child.lc.line, child.lc.col = loc.line - 1, loc.col - 1
        node[part] = child
        node.lc.add_kv_line_col(part, [loc.line - 1, loc.col - 1, loc.line - 1, loc.col - 1])
        node = child
    node[parts[-1]] = _typed(value)
    node.lc.add_kv_line_col(parts[-1], [loc.line - 1, loc.col - 1, loc.line - 1, loc.col - 1])
    top.lc.line, top.lc.col = loc.line - 1, loc.col - 1
    return top


def _typed(value: str) -> Any:
    """helm-controller sets a targetPath value with strvals semantics: true/false and integers are typed."""
    low = value.strip()
    if low in ("true", "false"):
        return low == "true"
    if low.lstrip("-").isdigit() and low.isascii():
        return int(low)
    return value


def _shift(node: Any, dl: int, dc: int) -> None:
    """Move every recorded position of a parsed subtree by (dl, dc): it was parsed out of its file."""
    lc = getattr(node, "lc", None)
    if lc is not None:
        if lc.line is not None:
            lc.line += dl
            lc.col = (lc.col or 0) + dc
        data = getattr(lc, "data", None) or {}
        for k in list(data):
            v = list(data[k])
            for i in range(0, len(v), 2):
                v[i] += dl
                v[i + 1] += dc
            data[k] = v
    if isinstance(node, dict):
        for v in node.values():
            _shift(v, dl, dc)
    elif isinstance(node, list):
        for v in node:
            _shift(v, dl, dc)


def unresolved(ref: ValuesRef, release: str) -> Unsupported:
    what = f"HelmRelease {release} valuesFrom {ref.kind} {ref.name}"
    why = (f"the {ref.kind} is not in the snapshot; its values (key {ref.values_key}) may change what the agents "
           "run with: add it to the snapshot")
    return Unsupported(ref.loc, what, why, not ref.optional)


# --- postBuild substitution (kustomize-controller) ---------------------------------------------------------

_VAR = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}")


@dataclass
class Substitution:
    """A Flux Kustomization's `spec.postBuild`: the variables it substitutes in the manifests under its
    `spec.path`, each with where it was defined."""

    file: str
    loc: Loc
    path: str  # spec.path as written, normalised ("infrastructure/cilium"; "" = the repository root)
    variables: dict[str, tuple[str, Loc]] = field(default_factory=dict)
    from_refs: list[tuple[str, str, bool, Loc]] = field(default_factory=list)  # (kind, name, optional, loc)


def is_flux_kustomization(doc: Any) -> bool:
    return (isinstance(doc, dict) and doc.get("kind") == "Kustomization"
            and str(doc.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io"))


def read_substitution(doc: Any, file: str) -> Substitution | None:
    post = get_path(doc, "spec.postBuild")
    if not isinstance(post, dict):
        return None
    path = str(get_path(doc, "spec.path") or "").strip()
    path = posixpath.normpath(path.lstrip("./") or ".").strip("/")
    sub = Substitution(file, key_loc(doc.get("spec"), "postBuild", file), "" if path == "." else path)
    values = post.get("substitute")
    if isinstance(values, dict):
        for k in values:
            sub.variables[str(k)] = ("" if values[k] is None else _scalar_text(values[k]), value_loc(values, k, file))
    refs = post.get("substituteFrom")
    for i, ref in enumerate(refs if isinstance(refs, list) else []):
        if isinstance(ref, dict) and ref.get("kind") in ("ConfigMap", "Secret") and ref.get("name"):
            sub.from_refs.append((str(ref["kind"]), str(ref["name"]), ref.get("optional") is True,
                                  item_loc(refs, i, file)))
    return sub


def _scalar_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def applies_to(sub: Substitution, shown: str) -> int:
    """How well `sub`'s spec.path matches the directory of the file `shown` (relative to the snapshot): the
    number of trailing path components of spec.path found in the file's directory path (0: not under it). A
    snapshot often holds only part of the repository, so spec.path is matched by its tail."""
    if not sub.path:
        return 1
    want = sub.path.split("/")
    have = posixpath.dirname(shown).split("/") if "/" in shown else []
    best = 0
    for k in range(len(want), 0, -1):
        tail = want[-k:]
        for i in range(len(have) - k + 1):
            if have[i:i + k] == tail:
                return k
    return best


def substitute(text: str, variables: dict[str, str]) -> tuple[str, list[tuple[int, int, str]]]:
    """The text with `${var}`, `${var:=default}`, `${var:-default}`, `${var=default}` replaced as
    kustomize-controller's envsubst does (`$${var}` is an escaped, literal `${var}`); also the positions
    (line, column, name) of variables that are not defined and had no default (they become "")."""
    undefined: list[tuple[int, int, str]] = []
    out: list[str] = []
    for lineno, line in enumerate(text.splitlines(keepends=True), 1):
        if "${" not in line:
            out.append(line)
            continue

        def repl(m: re.Match[str]) -> str:
            escaped, name, op, default = m.group(1), m.group(2), m.group(3), m.group(4)
            if escaped:
                return m.group(0)[1:]
            value = variables.get(name)
            if op in (":=", ":-") and not value:
                return default or ""
            if op in ("=", "-") and value is None:
                return default or ""
            if value is None:
                undefined.append((lineno, m.start() + 1, name))
                return ""
            return value

        out.append(_VAR.sub(repl, line))
    return "".join(out), undefined
