"""Record the real key set and defaults of a Cilium Helm chart as a podpath data file.

    python tools/chart_keys.py extract cilium-1.19.6.tgz tools/chart_sources/1.19
    python tools/chart_keys.py build tools/chart_sources/1.19/values.yaml --cilium 1.19 \\
        --ref v1.19.6 --commit <sha> -o src/podpath/data/cilium/chart-1.19.json

`extract` copies values.yaml, values.schema.json and Chart.yaml out of a packaged chart
(the cilium/charts Helm repository) and writes template-refs.txt: every `.Values.<path>` the
templates read (`.Values.a.b`, `get/index/hasKey .Values.a "b"`, `$x := .Values.a` + `$x.b`),
tagged `passthrough` when handed whole to toYaml/toJson/`range $k, $v :=`, or `validate`
when only templates/validate.yaml reads it. `build` reads those sibling files and writes
deterministic JSON (sorted keys). Every key says where it comes from:

  * real: each mapping key parsed from values.yaml (ruamel.yaml), flattened to dotted paths,
    intermediate maps included; lists are leaves (items are not descended into).
  * `"commented": true`: a commented-out key such as `  # hostLegacyRouting: false`. The line
    must be `<indent>#<space?><key>: <value>` with a camelCase key starting lower-case and a
    value that is empty or one YAML scalar / flow collection without unquoted spaces (prose
    like `# nodes: Count of nodes` is not a key); not inside a `# @schema` block; its `#` at
    the column of real sibling keys of the enclosing (closed) map, or column 0 at top level;
    not example content (a comment run directly under a `{}`/`[]`/open value with no `# --`
    doc line between); not a `ref:`/`see:`/`example:` label; and, when template-refs.txt
    exists, read by the templates at exactly that path (this drops mis-indented examples).
    The default is recorded as written; Helm's effective default for it is null.
  * `"template_only": true`: read by the templates under a closed map but never mentioned in
    values.yaml (type null: Helm sees nil). `"rejected": true` if only validate.yaml reads
    it, i.e. the chart checks it to fail (a removed key such as `tunnel`).
  * `"schema_only": true`: a values.schema.json property absent from values.yaml.
  * `schema_type`: the JSON types values.schema.json allows, when the chart ships one.

`schema` writes the chart's values.schema.json as a compact, deterministic package data file
(sorted keys, no whitespace) for podpath's schema check (checks/helm.py HM004). It refuses a
schema that uses a keyword podpath's validator (podpath/cilium/schema.py) does not implement,
so a future chart cannot be validated half-way.

    python tools/chart_keys.py schema tools/chart_sources/1.19 --cilium 1.19 \\
        -o src/podpath/data/cilium/schema-1.19.json

`open` (any sub-key accepted: the map is free-form and not descended into):
  * `empty`: the default is an empty map `{}` (podAnnotations, extraConfig, tmpVolume, ...);
  * `k8s-type`: the key names a Kubernetes object or free-form metadata: annotations, labels,
    *Annotations, *Labels, *Selector, nodeSelector, affinity, tolerations, resources,
    initResources, securityContext, podSecurityContext, seLinuxOptions, updateStrategy,
    lifecycle, extraConfig, extraEnv, extraVolumes, extraVolumeMounts, extraArgs,
    topologySpreadConstraints;
  * `passthrough`: the templates hand it whole to toYaml/toJson or range over its keys;
  * `schema`: a schema-only object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

K8S_OPEN = frozenset({
    "annotations", "labels", "nodeSelector", "affinity", "tolerations", "resources",
    "initResources", "securityContext", "podSecurityContext", "seLinuxOptions", "updateStrategy",
    "lifecycle", "extraConfig", "extraEnv", "extraVolumes", "extraVolumeMounts", "extraArgs",
    "topologySpreadConstraints",
})
OPEN_SUFFIXES = ("Annotations", "Labels", "Selector")
DOC_LABELS = frozenset({"ref", "see", "example", "note", "default", "deprecated", "warning"})
COMMENTED = re.compile(r"^(?P<ind> *)# ?(?P<key>[a-z][A-Za-z0-9]*):(?: +(?P<val>.*?))?\s*$")
SCHEMA_MARK = re.compile(r"^\s*# @schema\s*$")
DOC_LINE = re.compile(r"^\s*# --")
_P = r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)"
VALUES_REF = re.compile(_P)
PASSTHROUGH = re.compile(rf"(?:toYaml|toJson|toPrettyJson)\s+\(?{_P}|{_P}\s*\|\s*(?:toYaml|toJson|toPrettyJson)\b"
                         rf"|range\s+\$\w+\s*,\s*\$\w+\s*:=\s*\(?{_P}")
WITH_REF = re.compile(r"with\s+\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*}}")
KEY_REF = re.compile(r"(?:get|index|hasKey)\s+\(?\$?\.Values((?:\.[A-Za-z_]\w*)*)\)?\s+\"([A-Za-z_]\w*)\"")
VAR_ASSIGN = re.compile(r"\$(\w+)\s*:?=\s*\(?(?:coalesce\s+|deepCopy\s+)?\$?\.Values((?:\.[A-Za-z_]\w*)+)")
SCHEMA_TYPES = {"object": "map", "array": "list", "string": "string", "boolean": "bool",
                "integer": "int", "number": "float", "null": "null"}
HELM_METHODS = frozenset({"AsMap", "YAML", "Get"})


def type_of(v: Any) -> str:
    """podpath's type name for a parsed YAML value."""
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "list"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    return "string"


def plain(v: Any) -> Any:
    """A JSON-safe copy of a scalar default (ruamel subclasses -> builtins)."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    return str(v)


def is_open(path: str, value: Any, passthrough: set[str]) -> str | None:
    """Why a map is free-form ('empty', 'k8s-type', 'passthrough'), or None."""
    leaf = path.rsplit(".", 1)[-1]
    if isinstance(value, dict) and not value:
        return "empty"
    if leaf in K8S_OPEN or leaf.endswith(OPEN_SUFFIXES):
        return "k8s-type"
    if path in passthrough:
        return "passthrough"
    return None


def entry(value: Any, passthrough: set[str], path: str) -> dict[str, Any]:
    """The record for one real key."""
    t = type_of(value)
    e: dict[str, Any] = {"type": t, "default": None if t in ("map", "list") else plain(value), "open": False}
    if t in ("map", "list"):
        e["empty"] = not value
    if t == "map":
        why = is_open(path, value, passthrough)
        if why:
            e["open"], e["open_by"] = True, why
    return e


def flatten(node: CommentedMap, prefix: str, keys: dict[str, dict[str, Any]],
            where: dict[str, tuple[int, int]], passthrough: set[str]) -> None:
    """Add every key under `node`; `where` gets (line, col) of each key (0-based)."""
    for k, v in node.items():
        path = f"{prefix}{k}"
        if "." in str(k):
            print(f"warning: key with a dot under a closed map: {path!r}", file=sys.stderr)
        keys[path] = entry(v, passthrough, path)
        line, col = node.lc.key(k)
        where[path] = (line, col)
        if isinstance(v, CommentedMap) and not keys[path]["open"]:
            flatten(v, path + ".", keys, where, passthrough)


def _scalar(val: str | None) -> tuple[bool, Any]:
    """(ok, value) for a commented key's written value; rejects prose."""
    if val is None or val == "":
        return True, None
    if val[0] not in "\"'[{" and re.search(r"\s", val):
        return False, None
    try:
        doc = YAML(typ="safe").load(f"k: {val}")
    except Exception:
        return False, None
    if not isinstance(doc, dict) or set(doc) != {"k"}:
        return False, None
    v = doc["k"]
    if isinstance(v, (dict, list)) and v:
        return False, None
    return True, v


def commented_keys(text: str, keys: dict[str, dict[str, Any]], where: dict[str, tuple[int, int]],
                   refs: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Commented-out keys of values.yaml that satisfy the rules in the module docstring."""
    lines = text.splitlines()
    by_line = sorted((ln, col, p) for p, (ln, col) in where.items())
    child_cols: dict[str, set[int]] = {"": {0}}
    for ln, col, p in by_line:
        parent = p.rsplit(".", 1)[0] if "." in p else ""
        child_cols.setdefault(parent, set()).add(col)
    found: dict[str, dict[str, Any]] = {}
    in_schema = False
    idx = 0
    for i, raw in enumerate(lines):
        while idx < len(by_line) and by_line[idx][0] < i:
            idx += 1
        if SCHEMA_MARK.match(raw):
            in_schema = not in_schema
            continue
        m = COMMENTED.match(raw)
        if in_schema or not m or m["key"] in DOC_LABELS:
            continue
        col = len(m["ind"])
        ok, val = _scalar(m["val"])
        if not ok:
            continue
        # enclosing map: the last real key above with a smaller column
        parent = ""
        for ln, kcol, p in reversed(by_line[:idx]):
            if kcol < col:
                parent = p
                break
        if parent and (keys[parent]["type"] != "map" or keys[parent]["open"]):
            continue
        if col not in child_cols.get(parent, set()):
            continue
        path = f"{parent}.{m['key']}" if parent else m["key"]
        if path in keys or path in found:
            continue
        if _example_of_previous(lines, i, by_line[:idx], keys):
            continue
        if refs and path not in refs:
            print(f"note: commented line {i + 1} ({path}) is not read by the templates; skipped", file=sys.stderr)
            continue
        found[path] = {"type": type_of(val), "default": plain(val), "open": False, "commented": True}
        if refs.get(path) == "passthrough":
            found[path]["open"], found[path]["open_by"] = True, "passthrough"
    return found


def _example_of_previous(lines: list[str], i: int, above: list[tuple[int, int, str]],
                         keys: dict[str, dict[str, Any]]) -> bool:
    """True if line i is in a comment run directly under an empty/open value (example content)."""
    j = i
    while j > 0 and lines[j - 1].lstrip().startswith("#"):
        j -= 1
        if DOC_LINE.match(lines[j]):
            return False
    if not above or above[-1][0] != j - 1:
        return False
    prev = keys[above[-1][2]]
    return bool(prev["open"] or prev.get("empty"))


def schema_types(schema: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """Dotted path -> allowed JSON types, from values.schema.json `properties`."""
    out: dict[str, list[str]] = {}
    for k, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{k}"
        t = sub.get("type")
        out[path] = sorted(t) if isinstance(t, list) else ([t] if t else [])
        out.update(schema_types(sub, path + "."))
    return out


def read_refs(path: Path) -> dict[str, str]:
    """template-refs.txt as {path: 'ref'|'passthrough'|'validate'} (empty if absent)."""
    refs: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            kind, _, p = line.partition(" ")
            if kind in ("ref", "passthrough", "validate"):
                refs[p] = kind
    return refs


def template_only(refs: dict[str, str], keys: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Paths the templates read that values.yaml never mentions, under a closed map."""
    found: dict[str, dict[str, Any]] = {}
    for ref in sorted(refs):
        parts = ref.split(".")
        for n in range(1, len(parts) + 1):
            path = ".".join(parts[:n])
            known = keys.get(path) or found.get(path)
            if known is None:
                parent = keys.get(".".join(parts[:n - 1])) if n > 1 else None
                if n > 1 and parent is None and ".".join(parts[:n - 1]) not in found:
                    break
                if parent is not None and (parent["type"] != "map" or parent["open"]):
                    break
                t = "map" if n < len(parts) else "null"
                e: dict[str, Any] = {"type": t, "default": None, "open": False, "template_only": True}
                if t == "map":
                    e["empty"] = True
                if n == len(parts) and refs[ref] == "passthrough":
                    e["open"], e["open_by"] = True, "passthrough"
                if n == len(parts) and refs[ref] == "validate":
                    e["rejected"] = True
                found[path] = e
            elif known["type"] != "map" or known["open"]:
                break
    return found


def build(values: Path, cilium: str, repo: str, ref: str, commit: str | None, src_path: str,
          chart_version: str | None, package: str | None = None) -> dict[str, Any]:
    """The data-file document for one chart."""
    text = values.read_text(encoding="utf-8")
    refs = read_refs(values.with_name("template-refs.txt"))
    through = {p for p, kind in refs.items() if kind == "passthrough"}
    doc = YAML(typ="rt").load(text)  # round-trip loader: keeps each key's line/column
    keys: dict[str, dict[str, Any]] = {}
    where: dict[str, tuple[int, int]] = {}
    flatten(doc, "", keys, where, through)
    keys.update(commented_keys(text, keys, where, refs))
    keys.update(template_only(refs, keys))
    schema_file = values.with_name("values.schema.json")
    if schema_file.exists():
        st = schema_types(json.loads(schema_file.read_text(encoding="utf-8")))
        for path, info in keys.items():
            if path in st:
                info["schema_type"] = st[path]
        covered = [q + "." for q, i in keys.items() if i["open"] or i["type"] != "map"]
        for path in sorted(p for p in st if p not in keys and not p.startswith(tuple(covered))):
            t = SCHEMA_TYPES.get(next((x for x in st[path] if x != "null"), "null"), "null")
            keys[path] = {"type": t, "default": None, "open": t == "map", "schema_only": True,
                          "schema_type": st[path]}
            if t == "map":
                keys[path]["open_by"] = "schema"
            covered.append(path + ".")
    chart_file = values.with_name("Chart.yaml")
    if chart_version is None and chart_file.exists():
        chart_version = str(YAML(typ="safe").load(chart_file.read_text(encoding="utf-8"))["version"])
    source = {"repo": repo, "ref": ref, "path": src_path}
    if commit:
        source["commit"] = commit
    if package:
        source["package"] = package
    return {"cilium": cilium, "chart_version": chart_version or "unknown", "source": source,
            "keys": dict(sorted(keys.items()))}


def template_refs(text: str) -> tuple[set[str], set[str]]:
    """(.Values paths one template reads, those it hands whole to toYaml/toJson)."""
    refs = {r.lstrip(".") for r in VALUES_REF.findall(text)}
    refs |= {f"{p.lstrip('.')}.{k}".lstrip(".") for p, k in KEY_REF.findall(text)}
    for var, base in VAR_ASSIGN.findall(text):  # $x := .Values.a ... $x.b  ->  a.b
        refs |= {base.lstrip(".") + use for use in re.findall(rf"\${var}((?:\.[A-Za-z_]\w*)+)", text)}
    through = {r.lstrip(".") for m in PASSTHROUGH.findall(text) for r in m if r}
    lines = text.splitlines()
    for n, line in enumerate(lines):  # {{- with .Values.x }} ... {{ toYaml . }}
        w = WITH_REF.search(line)
        if w and any(re.search(r"toYaml\s+\.\s", s) for s in lines[n + 1:n + 4]):
            through.add(w.group(1).lstrip("."))
    return {r for r in refs if r.split(".")[0] not in HELM_METHODS}, through


def dumps(doc: dict[str, Any]) -> str:
    """Stable JSON: sorted keys, one chart key per line (small, diff-friendly)."""
    def one(v: Any) -> str:
        return json.dumps(v, sort_keys=True, ensure_ascii=False)
    parts = []
    for k in sorted(doc):
        if k == "keys":
            body = ",\n".join(f"  {one(p)}: {one(v)}" for p, v in sorted(doc[k].items()))
            parts.append(f' "keys": {{\n{body}\n }}')
        else:
            parts.append(f" {one(k)}: {one(doc[k])}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def extract(chart: Path, out: Path) -> None:
    """Copy values.yaml, values.schema.json, Chart.yaml from a chart .tgz; write template-refs.txt."""
    out.mkdir(parents=True, exist_ok=True)
    readers: dict[str, set[str]] = {}
    through: set[str] = set()
    with tarfile.open(chart) as tar:
        for m in tar.getmembers():
            parts = m.name.split("/")
            if not m.isfile() or len(parts) < 2:
                continue
            data = tar.extractfile(m).read()  # type: ignore[union-attr]
            rel = "/".join(parts[1:])
            if rel in ("values.yaml", "values.schema.json", "Chart.yaml"):
                (out / rel).write_bytes(data)
            elif rel.startswith("templates/"):
                refs, thr = template_refs(data.decode("utf-8"))
                for r in refs | thr:
                    readers.setdefault(r, set()).add(rel)
                through |= thr
    lines = [f"# .Values paths read by the templates of {chart.name} (generated by tools/chart_keys.py extract)",
             "# passthrough: handed whole to toYaml/toJson; validate: read only by templates/validate.yaml"]
    for p in sorted(readers):
        kind = "passthrough" if p in through else "validate" if readers[p] == {"templates/validate.yaml"} else "ref"
        lines.append(f"{kind} {p}")
    (out / "template-refs.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def schema_keywords(node: Any, out: set[str] | None = None) -> set[str]:
    """Every keyword a JSON Schema uses (property names under `properties` are not keywords)."""
    out = set() if out is None else out
    if isinstance(node, dict):
        for k, v in node.items():
            out.add(k)
            if k in ("properties", "patternProperties", "definitions", "$defs") and isinstance(v, dict):
                for sub in v.values():
                    schema_keywords(sub, out)
            elif k not in ("enum", "const", "required", "type", "default", "examples"):
                schema_keywords(v, out)
    elif isinstance(node, list):
        for x in node:
            schema_keywords(x, out)
    return out


def compact_schema(src: Path, cilium: str) -> str:
    """The package data text for one chart's values.schema.json (raises on keywords not implemented)."""
    from podpath.cilium.schema import KEYWORDS  # the validator states what it implements

    schema = json.loads((src / "values.schema.json").read_text(encoding="utf-8"))
    unknown = sorted(schema_keywords(schema) - KEYWORDS - {"$schema"})
    if unknown:
        raise SystemExit(f"{src}/values.schema.json uses keywords podpath does not validate: {', '.join(unknown)}")
    chart_version = str(YAML(typ="safe").load((src / "Chart.yaml").read_text(encoding="utf-8"))["version"])
    doc = {"cilium": cilium, "chart_version": chart_version, "draft": schema.get("$schema"),
           "schema": {k: v for k, v in schema.items() if k != "$schema"}}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("extract", help="unpack a chart .tgz into a sources directory")
    ex.add_argument("chart", type=Path)
    ex.add_argument("out", type=Path)
    b = sub.add_parser("build", help="write the JSON data file for a values.yaml")
    b.add_argument("values", type=Path)
    b.add_argument("--cilium", required=True, help="version label, e.g. 1.19")
    b.add_argument("--repo", default="cilium/cilium")
    b.add_argument("--ref", required=True, help="tag or commit the chart was built from")
    b.add_argument("--commit", help="full commit id, if --ref is a tag")
    b.add_argument("--path", default="install/kubernetes/cilium/values.yaml")
    b.add_argument("--chart-version", help="default: version in the sibling Chart.yaml")
    b.add_argument("--package", help="where the packaged chart came from (free text)")
    b.add_argument("-o", "--output", type=Path, required=True)
    sc = sub.add_parser("schema", help="write the compact values.schema.json data file")
    sc.add_argument("sources", type=Path, help="tools/chart_sources/<minor>")
    sc.add_argument("--cilium", required=True, help="version label, e.g. 1.19")
    sc.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args(argv)
    if a.cmd == "schema":
        a.output.write_text(compact_schema(a.sources, a.cilium), encoding="utf-8")
        print(f"{a.output}: values.schema.json of Cilium {a.cilium}")
        return 0
    if a.cmd == "extract":
        extract(a.chart, a.out)
        return 0
    doc = build(a.values, a.cilium, a.repo, a.ref, a.commit, a.path, a.chart_version, a.package)
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text(dumps(doc), encoding="utf-8")
    print(f"{a.output}: {len(doc['keys'])} keys (chart {doc['chart_version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
