"""Kustomize builds, done in-process over the snapshot's own files (no `kustomize` binary): what a cluster
really runs is the overlay's output, not the base files one by one.

A *root* kustomization (one no other kustomization of the snapshot lists as a resource or component) is built:
its `resources` (files, or directories holding a kustomization, recursively), `components`, then `namespace`,
`commonLabels`/`labels` (metadata only) and the patches (`patches` with or without `target`,
`patchesStrategicMerge`, `patchesJson6902`), in kustomize's order (api/krusty/kustomizer.go: resources,
components, then the transformers). The objects built replace the raw documents of the files it consumed;
every value keeps the file:line it came from (a patched value is located in the patch).

Patch semantics (sigs.k8s.io/kustomize/kyaml and apimachinery strategicpatch): a strategic merge patch merges
mappings key by key, `null` deletes a key, `$patch: delete` deletes the object or a list item,
`$patch: replace` replaces the mapping; a list is replaced, except the lists with a patch merge key in the
built-in types (containers/initContainers/volumes/env by `name`, Service `spec.ports` by `port`), merged by
it; custom resources (HelmRelease, Cilium CRDs) have no merge keys: JSON merge-patch semantics. JSON 6902
patches apply as in RFC 6902.

What is not built (remote resources, `helmCharts` inflation — the values file is read on its own — name
prefixes/suffixes with the references they rewrite, `replacements`, `vars`) is reported as unsupported at its
file:line."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.readers.talos_patch import _set_key, apply_json6902, copy_tree
from podpath.readers.yamlsrc import ORIGIN_FILE, _yaml, get_path, item_loc, key_loc, node_loc

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# Cluster-scoped kinds podpath reads: `namespace:` does not apply to them.
CLUSTER_SCOPED = frozenset({
    "Node", "Namespace", "CiliumNode", "CiliumClusterwideNetworkPolicy", "CiliumBGPClusterConfig",
    "CiliumBGPPeerConfig", "CiliumBGPAdvertisement", "CiliumBGPNodeConfig", "CiliumBGPNodeConfigOverride",
    "CiliumBGPPeeringPolicy", "CiliumLoadBalancerIPPool", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "PersistentVolume", "StorageClass", "PriorityClass",
})
# Lists merged by a key in strategic merge patches of built-in types (path tail -> merge key).
_MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name", "env": "name",
               "volumeMounts": "mountPath", "ports": None, "imagePullSecrets": "name"}
_PORT_KEYS = {"Service": "port"}
_BUILTIN_GROUPS = ("", "v1", "apps/", "batch/", "networking.k8s.io/", "discovery.k8s.io/", "policy/")

# Fields of a kustomization that do not change what podpath reads (kept quiet) and those it does not build.
_QUIET = frozenset({"apiVersion", "kind", "metadata", "images", "replicas", "generatorOptions", "buildMetadata",
                    "sortOptions", "openapi", "crds", "configurations"})
_NOT_BUILT = {"helmCharts": "the chart is not inflated (its valuesFile is read on its own as Helm values)",
              "helmChartInflationGenerator": "the chart is not inflated",
              "namePrefix": "names are not prefixed (nor the references to them rewritten)",
              "nameSuffix": "names are not suffixed (nor the references to them rewritten)",
              "replacements": "replacements are not applied", "vars": "vars are not substituted",
              "transformers": "transformer plugins are not run", "generators": "generator plugins are not run",
              "validators": "validator plugins are not run"}


@dataclass
class Kustomization:
    file: str  # shown name of the kustomization file
    doc: Any

    @property
    def dir(self) -> str:
        return posixpath.dirname(self.file)


@dataclass
class Build:
    """One root kustomization's output."""

    root: str
    objects: list[tuple[Any, str]] = field(default_factory=list)  # (object, the file it came from)
    consumed: set[str] = field(default_factory=set)  # files whose documents this build replaces
    unsupported: list[Unsupported] = field(default_factory=list)


def _join(base: str, rel: str) -> str:
    return posixpath.normpath(posixpath.join(base, rel)) if base else posixpath.normpath(rel)


def _entries(k: Kustomization, key: str) -> list[tuple[str, Loc]]:
    items = k.doc.get(key) if isinstance(k.doc, dict) else None
    if not isinstance(items, list):
        return []
    return [(str(v), item_loc(items, i, k.file)) for i, v in enumerate(items) if isinstance(v, (str, int))]


class Builder:
    """Builds every root kustomization of a snapshot from the documents already parsed per file."""

    def __init__(self, kustomizations: list[Kustomization], docs_of: dict[str, list[Any]], files: set[str],
                 diags: Diagnostics) -> None:
        self.by_dir = {k.dir: k for k in kustomizations}
        self.kustomizations = kustomizations
        self.docs_of = docs_of  # shown file name -> its parsed YAML documents
        self.files = files
        self.diags = diags

    def referenced(self) -> set[str]:
        """Directories other kustomizations list as resources/components (so not roots)."""
        out: set[str] = set()
        for k in self.kustomizations:
            for key in ("resources", "bases", "components"):
                for rel, _ in _entries(k, key):
                    out.add(_join(k.dir, rel))
        return out

    def roots(self) -> list[Kustomization]:
        ref = self.referenced()
        return sorted((k for k in self.kustomizations if k.dir not in ref), key=lambda k: k.file)

    def consumed_by(self, k: Kustomization, seen: frozenset[str] = frozenset()) -> set[str]:
        """Every file a build of `k` reads (resources, patches, nested kustomizations)."""
        out = {k.file}
        if k.dir in seen:
            return out
        for key in ("resources", "bases", "components", "patchesStrategicMerge"):
            for rel, _ in _entries(k, key):
                path = _join(k.dir, rel)
                if path in self.by_dir:
                    out |= self.consumed_by(self.by_dir[path], seen | {k.dir})
                elif path in self.files:
                    out.add(path)
        for key in ("patches", "patchesJson6902"):
            for p in (k.doc.get(key) or []) if isinstance(k.doc, dict) else []:
                if isinstance(p, dict) and p.get("path"):
                    out.add(_join(k.dir, str(p["path"])))
        return out

    def build(self, k: Kustomization) -> Build:
        build = Build(k.file)
        build.objects = self._build(k, build, ())
        return build

    def _build(self, k: Kustomization, build: Build, stack: tuple[str, ...]) -> list[tuple[Any, str]]:
        """The objects `k` outputs; what it consumed and could not build are recorded on `build`."""
        if k.dir in stack:
            self.diags.error(node_loc(k.doc, k.file), f"kustomization cycle: {' -> '.join(stack + (k.dir,))}")
            return []
        stack = stack + (k.dir,)
        build.consumed.add(k.file)
        doc = k.doc if isinstance(k.doc, dict) else {}
        for key in doc:
            if str(key) in _NOT_BUILT:
                build.unsupported.append(Unsupported(key_loc(doc, str(key), k.file), f"kustomization {key}",
                                                     _NOT_BUILT[str(key)], str(key) not in ("helmCharts",)))
        objects: list[tuple[Any, str]] = []
        for key in ("resources", "bases", "components"):
            for rel, loc in _entries(k, key):
                objects.extend(self._resource(k, rel, loc, build, stack))
        ns = doc.get("namespace")
        if ns:
            for obj, _ in objects:
                if str(obj.get("kind")) not in CLUSTER_SCOPED and isinstance(obj.get("metadata"), dict):
                    _set(obj["metadata"], "namespace", str(ns), key_loc(doc, "namespace", k.file))
        for key in ("commonLabels", "labels"):
            self._labels(doc, key, k.file, objects)
        for patch, target, loc, pfile in self._patches(k, build):
            objects = self._apply(patch, target, loc, pfile, objects)
        return objects

    def _resource(self, k: Kustomization, rel: str, loc: Loc, build: Build, stack: tuple[str, ...]) -> list[tuple[Any, str]]:
        if "://" in rel or rel.startswith(("github.com/", "git@")):
            build.unsupported.append(Unsupported(loc, f"kustomization resource {rel}", "remote resources are not "
                                                 "fetched; add the files to the snapshot", True))
            return []
        path = _join(k.dir, rel)
        if path in self.by_dir:
            return self._build(self.by_dir[path], build, stack)
        if path in self.files:
            build.consumed.add(path)
            return [(copy_tree(d, path), path) for d in self.docs_of.get(path, []) if _is_object(d)]
        build.unsupported.append(Unsupported(loc, f"kustomization resource {rel}", f"{path} is not in the snapshot "
                                             "(or holds no kustomization): what it defines is missing", True))
        return []

    def _labels(self, doc: Any, key: str, file: str, objects: list[tuple[Any, str]]) -> None:
        value = doc.get(key)
        groups: list[Any] = []
        if key == "commonLabels" and isinstance(value, dict):
            groups = [value]
        elif key == "labels" and isinstance(value, list):
            groups = [g.get("pairs") for g in value if isinstance(g, dict) and isinstance(g.get("pairs"), dict)]
        for pairs in groups:
            for obj, _ in objects:
                meta = obj.get("metadata")
                if not isinstance(meta, dict):
                    continue
                if not isinstance(meta.get("labels"), dict):
                    _set(meta, "labels", CommentedMap(), key_loc(doc, key, file))
                for lk in pairs:
                    _set(meta["labels"], str(lk), str(pairs[lk]), key_loc(pairs, lk, file))

    def _patches(self, k: Kustomization, build: Build) -> list[tuple[Any, Any, Loc, str]]:
        """(patch document or operation list, target selector or None, where, file) in kustomize's order."""
        out: list[tuple[Any, Any, Loc, str]] = []
        doc = k.doc if isinstance(k.doc, dict) else {}
        for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
            items = doc.get(key)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                loc = item_loc(items, i, k.file)
                if isinstance(item, str):  # patchesStrategicMerge: a file or an inline document
                    path = _join(k.dir, item)
                    if path in self.files:
                        build.consumed.add(path)
                        out.extend((d, None, loc, path) for d in self.docs_of.get(path, []))
                    else:
                        out.extend((d, None, loc, k.file) for d in self._inline(item, loc))
                    continue
                if not isinstance(item, dict):
                    continue
                target = item.get("target")
                if item.get("path"):
                    path = _join(k.dir, str(item["path"]))
                    if path not in self.files:
                        build.unsupported.append(Unsupported(loc, f"kustomization patch {item['path']}",
                                                             f"{path} is not in the snapshot", True))
                        continue
                    build.consumed.add(path)
                    out.extend((d, target, loc, path) for d in self.docs_of.get(path, []))
                elif isinstance(item.get("patch"), str):
                    out.extend((d, target, loc, k.file) for d in self._inline(item["patch"], loc))
        return out

    def _inline(self, text: str, loc: Loc) -> list[Any]:
        """An inline patch: parsed, located at the kustomization entry (its own lines are not the file's)."""
        import io

        try:
            docs = [d for d in _yaml().load_all(io.StringIO(text)) if d is not None]
        except Exception as exc:
            self.diags.error(loc, f"inline patch is not valid YAML: {getattr(exc, 'problem', None) or exc}")
            return []
        return [_relocate(d, loc) for d in docs]

    def _apply(self, patch: Any, target: Any, loc: Loc, pfile: str,
               objects: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
        if isinstance(patch, list):  # JSON 6902 operations
            hits = [o for o in objects if _selected(o[0], target)] if target else []
            if not hits:
                self.diags.warning(loc, "JSON patch selects no object of the build (target "
                                   f"{_describe(target)}); kustomize build fails")
            for obj, _ in hits:
                apply_json6902(obj, patch, pfile, self.diags, rejects="kustomize build fails")
            return objects
        if not isinstance(patch, dict):
            return objects
        sel = target if target else {"kind": patch.get("kind"), "name": get_path(patch, "metadata.name"),
                                     "namespace": get_path(patch, "metadata.namespace")}
        hits = [o for o in objects if _selected(o[0], sel)]
        if not hits:
            self.diags.warning(loc, f"patch selects no object of the build ({_describe(sel)}); kustomize build "
                               "fails")
            return objects
        if str(patch.get("$patch", "")) == "delete":
            return [o for o in objects if not any(o is h for h in hits)]
        for obj, _ in hits:
            body = patch
            if target:  # a patch with a target may name another object: its metadata identity is not merged
                body = CommentedMap((k, v) for k, v in patch.items() if k not in ("apiVersion", "kind"))
                if isinstance(patch, CommentedMap):
                    _copy_lc(patch, body)
                meta = body.get("metadata")
                if isinstance(meta, dict):
                    meta = CommentedMap((k, v) for k, v in meta.items() if k not in ("name", "namespace"))
                    body["metadata"] = meta
            _merge(obj, body, pfile, _builtin(obj), (str(obj.get("kind")),))
        return objects


def _is_object(d: Any) -> bool:
    return isinstance(d, dict) and "kind" in d and "apiVersion" in d


def _builtin(obj: Any) -> bool:
    api = str(obj.get("apiVersion", ""))
    return api == "v1" or api.startswith(_BUILTIN_GROUPS[2:])


def _describe(sel: Any) -> str:
    if not isinstance(sel, dict):
        return "?"
    return ", ".join(f"{k}={sel[k]}" for k in ("group", "version", "kind", "name", "namespace", "labelSelector")
                     if sel.get(k)) or "everything"


def _selected(obj: Any, sel: Any) -> bool:
    """Does a patch target (group, version, kind, name, namespace, labelSelector) select `obj`? Names and
    kinds are regular expressions in kustomize's selectors; anchored."""
    import re

    if not isinstance(sel, dict):
        return False
    api = str(obj.get("apiVersion", ""))
    group, _, version = api.rpartition("/")
    checks = {"group": group, "version": version, "kind": str(obj.get("kind", "")),
              "name": str(get_path(obj, "metadata.name") or ""),
              "namespace": str(get_path(obj, "metadata.namespace") or "")}
    for key, have in checks.items():
        want = sel.get(key)
        if want in (None, ""):
            continue
        try:
            if not re.fullmatch(str(want), have):
                return False
        except re.error:
            if str(want) != have:
                return False
    labels = get_path(obj, "metadata.labels") or {}
    for term in str(sel.get("labelSelector") or "").split(","):
        term = term.strip()
        if not term:
            continue
        k, eq, v = term.partition("!=") if "!=" in term else term.partition("=")
        k, v = k.strip(), v.strip().lstrip("=")
        if not eq:
            if k.startswith("!"):
                if k[1:] in labels:
                    return False
            elif k not in labels:
                return False
        elif ("!=" in term) == (str(labels.get(k)) == v):
            return False
    return True


def _copy_lc(src: Any, dst: Any) -> None:
    dst.lc.line, dst.lc.col = src.lc.line, src.lc.col
    for k, v in (getattr(src.lc, "data", None) or {}).items():
        if k in dst:
            dst.lc.add_kv_line_col(k, list(v))


def _relocate(node: Any, loc: Loc) -> Any:
    """Every position of an inline patch set to the kustomization entry that holds it."""
    pos = [loc.line - 1, loc.col - 1, loc.line - 1, loc.col - 1]
    if isinstance(node, CommentedMap):
        node.lc.line, node.lc.col = pos[0], pos[1]
        for k, v in node.items():
            node.lc.add_kv_line_col(k, list(pos))
            _relocate(v, loc)
        setattr(node, ORIGIN_FILE, loc.file)
    elif isinstance(node, CommentedSeq):
        node.lc.line, node.lc.col = pos[0], pos[1]
        for i, v in enumerate(node):
            node.lc.add_idx_line_col(i, list(pos))
            _relocate(v, loc)
        setattr(node, ORIGIN_FILE, loc.file)
    return node


def _set(mapping: Any, key: str, value: Any, loc: Loc) -> None:
    """mapping[key] = value, located at `loc` (its file recorded for the key)."""
    _set_key(mapping, key, value, [loc.line - 1, loc.col - 1, loc.line - 1, loc.col - 1], loc.file)


def _put(base: Any, key: Any, value: Any, patch: Any, file: str) -> None:
    """base[key] = the patch's value, at the patch's position and file."""
    data = getattr(getattr(patch, "lc", None), "data", None) or {}
    _set_key(base, key, value, list(data[key]) if key in data else None,
             getattr(patch, ORIGIN_FILE, None) or file)


def _merge(base: Any, patch: Any, file: str, builtin: bool, path: tuple[str, ...]) -> None:
    """Strategic merge (built-in kinds) or JSON merge patch (custom resources) of `patch` into `base`."""
    if str(patch.get("$patch", "")) == "replace":
        for k in list(base):
            del base[k]
    for key, pv in patch.items():
        if str(key) == "$patch":
            continue
        if pv is None:
            base.pop(key, None)  # null deletes the key
            continue
        bv = base.get(key)
        if isinstance(pv, dict) and str(pv.get("$patch", "")) == "delete":
            base.pop(key, None)
            continue
        if isinstance(bv, dict) and isinstance(pv, dict) and str(pv.get("$patch", "")) != "replace":
            _merge(bv, pv, file, builtin, path + (str(key),))
        elif isinstance(bv, list) and isinstance(pv, list) and builtin and _list_key(path, str(key)):
            _merge_list(bv, pv, file, _list_key(path, str(key)) or "", path + (str(key),))
        else:
            _put(base, key, copy_tree(pv, getattr(patch, ORIGIN_FILE, None) or file), patch, file)


def _list_key(path: tuple[str, ...], key: str) -> str | None:
    if key == "ports":
        return _PORT_KEYS.get(path[0]) or ("containerPort" if "containers" in path else None)
    return _MERGE_KEYS.get(key)


def _merge_list(base: Any, patch: Any, file: str, mkey: str, path: tuple[str, ...]) -> None:
    for item in patch:
        if not isinstance(item, dict) or mkey not in item:
            base.append(copy_tree(item, file))
            continue
        match = next((b for b in base if isinstance(b, dict) and b.get(mkey) == item.get(mkey)), None)
        if str(item.get("$patch", "")) == "delete":
            if match is not None:
                base.remove(match)
        elif match is not None:
            _merge(match, item, file, True, path)
        else:
            base.append(copy_tree(item, file))
