"""Talos machine-config patches: strategic merge documents and JSON6902 (RFC 6902) lists, applied to the
base config they patch, every value keeping the file:line it came from.

Semantics (siderolabs/talos pkg/machinery/config/configpatcher: load.go, strategic.go, json6902 via
evanphx/json-patch; pkg/machinery/config/merge/merge.go; docs "Configuration Patches"):

* A strategic merge patch is a partial config (`machine:`/`cluster:` without `version`, or Talos documents
  with `apiVersion`/`kind`). Mappings merge key by key; a scalar of the patch replaces the base's unless it
  is a zero value ("" or 0; `false` always replaces); a list is appended to, except `cluster.network.
  podSubnets`/`serviceSubnets` and `cluster.apiServer.auditPolicy` (replaced), `machine.network.interfaces`
  (an item merges into the base item of the same `interface:` or `deviceSelector:`),
  `machine.network.interfaces[].vlans` (same `vlanId:`) and ExtensionServiceConfig `configFiles` (same
  `mountPath:`). `$patch: delete` removes the key, the matching list item, or the whole document. A Talos
  document of the patch merges into the base document of the same kind (and name), or is added.
* A JSON6902 patch is a list of `op: add|remove|replace|move|copy|test` with `path` (and `value`/`from`)
  on the v1alpha1 document; Talos rejects the patch when a path is missing (`add` needs the parent).

Which base a patch belongs to (docs/snapshot.md, "Talos patches"): podpath.yaml `hosts.<name>.files`,
talhelper's talconfig.yaml, or the file's path and content; a patch that cannot be placed contributes alone
what it sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from podpath.diagnostics import Diagnostics, Loc
from podpath.readers.yamlsrc import ORIGIN_FILE, ORIGIN_ITEMS, ORIGIN_KEYS, get_path, item_loc, node_loc, value_loc
from podpath.util import is_digits

_REPLACED = {("cluster", "network", "podSubnets"), ("cluster", "network", "serviceSubnets"),
             ("cluster", "apiServer", "auditPolicy")}
_LIST_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("machine", "network", "interfaces"): ("interface", "deviceSelector"),
    ("machine", "network", "interfaces", "vlans"): ("vlanId",),
    ("configFiles",): ("mountPath",),  # ExtensionServiceConfig
}
_JSON_OPS = {"add", "remove", "replace", "move", "copy", "test"}
# Top-level keys of the v1alpha1 config, and of its `machine` / `cluster` sections (Talos 1.x); a document
# with only these keys (and no `version`) is a strategic merge patch.
_V1_TOP = {"machine", "cluster", "debug", "persist", "version"}
_MACHINE_KEYS = {"type", "token", "ca", "acceptedCAs", "certSANs", "controlPlane", "kubelet", "pods", "network",
                 "disks", "install", "files", "env", "time", "sysctls", "sysfs", "registries",
                 "systemDiskEncryption", "features", "udev", "logging", "kernel", "seccompProfiles",
                 "baseRuntimeSpecOverrides", "nodeLabels", "nodeAnnotations", "nodeTaints"}
_CLUSTER_KEYS = {"id", "secret", "controlPlane", "clusterName", "network", "token", "aescbcEncryptionSecret",
                 "secretboxEncryptionSecret", "ca", "acceptedCAs", "aggregatorCA", "serviceAccount", "apiServer",
                 "controllerManager", "proxy", "scheduler", "discovery", "etcd", "coreDNS", "externalCloudProvider",
                 "extraManifests", "extraManifestHeaders", "inlineManifests", "adminKubeconfig",
                 "allowSchedulingOnControlPlanes"}


def is_strategic_patch(doc: Any) -> bool:
    """A partial v1alpha1 config without `version` (talosctl --config-patch, talhelper, Omni). Cilium Helm
    values also have a top-level `cluster:` (name, id): only Talos's own section keys count."""
    if not isinstance(doc, dict) or "version" in doc or not doc or not set(map(str, doc)) <= _V1_TOP:
        return False
    machine, cluster = doc.get("machine"), doc.get("cluster")
    if machine is None and cluster is None:
        return False
    ok_m = machine is None or (isinstance(machine, dict) and set(map(str, machine)) <= _MACHINE_KEYS)
    ok_c = cluster is None or (isinstance(cluster, dict) and bool(cluster) and set(map(str, cluster)) <= _CLUSTER_KEYS)
    return ok_m and ok_c


def is_json6902(doc: Any) -> bool:
    """A YAML/JSON list of RFC 6902 operations on a Talos config (`path: /machine/...` or `/cluster/...`)."""
    return isinstance(doc, list) and bool(doc) and all(
        isinstance(op, dict) and str(op.get("op")) in _JSON_OPS and str(op.get("path", "")).startswith("/")
        for op in doc) and any(str(op["path"]).split("/")[1] in _V1_TOP for op in doc)


def is_talhelper_config(doc: Any) -> bool:
    """talhelper's talconfig.yaml: the cluster's nodes with their patches (budimanjojo/talhelper)."""
    return isinstance(doc, dict) and isinstance(doc.get("nodes"), list) and bool(
        {"clusterName", "endpoint", "talosVersion"} & set(map(str, doc)))


@dataclass
class TalosPatch:
    """One patch: a strategic merge (a v1alpha1 part and/or Talos documents) or a JSON6902 list."""

    file: str
    loc: Loc
    v1: Any = None  # the v1alpha1 part of a strategic patch
    docs: list[Any] = field(default_factory=list)  # Talos documents (kind) of a strategic patch
    ops: Any = None  # a JSON6902 list
    host: str | None = None  # the host it is for, when known


@dataclass
class TalosBase:
    """A complete machine config (its v1alpha1 document and the Talos documents of its file)."""

    file: str
    loc: Loc
    v1: Any
    docs: list[Any] = field(default_factory=list)

    @property
    def hostname(self) -> str | None:
        h = get_path(self.v1, "machine.network.hostname")
        for d in self.docs:
            if str(d.get("kind")) == "HostnameConfig" and d.get("hostname"):
                h = d["hostname"]
        return str(h) if h else None

    @property
    def machine_type(self) -> str | None:
        t = get_path(self.v1, "machine.type")
        return str(t) if t else None


@dataclass
class Composed:
    """What one node runs: a base (or nothing) with its patches applied in order."""

    host: str | None
    file: str  # the base's file, or the first patch's when there is no base
    loc: Loc
    v1: Any
    docs: list[Any]
    files: list[str]  # every file that contributed, base first


def patch_hostname(p: TalosPatch) -> str | None:
    h = get_path(p.v1, "machine.network.hostname") if p.v1 is not None else None
    for d in p.docs:
        if str(d.get("kind")) == "HostnameConfig" and d.get("hostname"):
            h = d["hostname"]
    if p.ops is not None:
        for op in p.ops:
            if str(op.get("path")) == "/machine/network/hostname" and op.get("value"):
                h = op["value"]
    return str(h) if h and not isinstance(h, dict) else None


def patch_machine_type(p: TalosPatch) -> str | None:
    t = get_path(p.v1, "machine.type") if p.v1 is not None else None
    return str(t) if t else None


# --- copying with provenance ------------------------------------------------------------------------
def _lc_data(node: Any) -> dict[Any, Any]:
    data = getattr(node.lc, "data", None)
    return data if isinstance(data, dict) else {}


def copy_tree(node: Any, file: str) -> Any:
    """A deep copy of a ruamel tree that keeps every position and records which file each part is from."""
    if isinstance(node, CommentedMap):
        out = CommentedMap()
        src = getattr(node, ORIGIN_FILE, None) or file
        keys = dict(getattr(node, ORIGIN_KEYS, None) or {})
        for k, v in node.items():
            out[k] = copy_tree(v, keys.get(k, src))
        _copy_pos(node, out)
        setattr(out, ORIGIN_FILE, src)
        if keys:
            setattr(out, ORIGIN_KEYS, keys)
        return out
    if isinstance(node, CommentedSeq):
        out_s = CommentedSeq()
        src = getattr(node, ORIGIN_FILE, None) or file
        items = dict(getattr(node, ORIGIN_ITEMS, None) or {})
        for i, v in enumerate(node):
            out_s.append(copy_tree(v, items.get(i, src)))
        _copy_pos(node, out_s)
        setattr(out_s, ORIGIN_FILE, src)
        if items:
            setattr(out_s, ORIGIN_ITEMS, items)
        return out_s
    if isinstance(node, dict):
        return {k: copy_tree(v, file) for k, v in node.items()}
    if isinstance(node, list):
        return [copy_tree(v, file) for v in node]
    return node


def _copy_pos(src: Any, dst: Any) -> None:
    dst.lc.line, dst.lc.col = src.lc.line, src.lc.col
    for k, v in _lc_data(src).items():
        if isinstance(dst, CommentedMap):
            dst.lc.add_kv_line_col(k, list(v))
        else:
            dst.lc.add_idx_line_col(k, list(v))


def _strip_directives(node: Any) -> Any:
    """`$patch` keys are directives, not config: gone from what is merged in."""
    if isinstance(node, dict):
        for k in [k for k in node if str(k) == "$patch"]:
            del node[k]
        for v in node.values():
            _strip_directives(v)
    elif isinstance(node, list):
        for v in node:
            _strip_directives(v)
    return node


def _set_key(mapping: Any, key: Any, value: Any, pos: list[int] | None, file: str) -> None:
    """mapping[key] = value, the key's position and file being the patch's."""
    mapping[key] = value
    if isinstance(mapping, CommentedMap) and pos is not None:
        mapping.lc.add_kv_line_col(key, list(pos))
        keys = dict(getattr(mapping, ORIGIN_KEYS, None) or {})
        keys[key] = file
        setattr(mapping, ORIGIN_KEYS, keys)


def _items(seq: Any, file: str) -> list[tuple[Any, str, list[int] | None]]:
    """A sequence's items with their file and position."""
    data = _lc_data(seq) if isinstance(seq, CommentedSeq) else {}
    files = getattr(seq, ORIGIN_ITEMS, None) or {}
    src = getattr(seq, ORIGIN_FILE, None) or file
    return [(v, files.get(i, src), list(data[i]) if i in data else None) for i, v in enumerate(seq)]


def _rebuild(seq: Any, items: list[tuple[Any, str, list[int] | None]]) -> None:
    """Write items (value, file, position) back into seq, positions and files per index."""
    del seq[:]
    if isinstance(seq, CommentedSeq):
        seq.lc.data = {}
    files: dict[int, str] = {}
    for i, (v, f, pos) in enumerate(items):
        seq.append(v)
        if isinstance(seq, CommentedSeq) and pos is not None:
            seq.lc.add_idx_line_col(i, list(pos))
        files[i] = f
    if isinstance(seq, CommentedSeq):
        setattr(seq, ORIGIN_ITEMS, files)


# --- strategic merge --------------------------------------------------------------------------------
def _is_delete(v: Any) -> bool:
    return isinstance(v, dict) and str(v.get("$patch", "")) == "delete"


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items() if str(k) != "$patch"}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def merge(base: Any, patch: Any, file: str, diags: Diagnostics, path: tuple[str, ...] = ()) -> None:
    """Merge the strategic patch mapping `patch` (from `file`) into `base`, in place."""
    for key, pv in patch.items():
        k = str(key)
        if k == "$patch":
            continue
        sub = path + (k,)
        pos = list(_lc_data(patch)[key]) if isinstance(patch, CommentedMap) and key in _lc_data(patch) else None
        if _is_delete(pv):
            base.pop(key, None)
            continue
        bv = base.get(key)
        if pv is None:
            continue  # a zero value changes nothing
        if key not in base or bv is None:
            _set_key(base, key, _strip_directives(copy_tree(pv, file)), pos, file)
        elif isinstance(bv, dict) and isinstance(pv, dict):
            if sub in _REPLACED:
                _set_key(base, key, _strip_directives(copy_tree(pv, file)), pos, file)
            else:
                merge(bv, pv, file, diags, sub)
        elif isinstance(bv, list) and isinstance(pv, list):
            if sub in _REPLACED:
                _set_key(base, key, _strip_directives(copy_tree(pv, file)), pos, file)
            else:
                _merge_list(bv, pv, file, diags, sub)
        elif isinstance(bv, (dict, list)) or isinstance(pv, (dict, list)):
            diags.error(value_loc(patch, key, file), f"patch sets {'.'.join(sub)} to a "
                        f"{'mapping' if isinstance(pv, dict) else 'list' if isinstance(pv, list) else 'value'} where "
                        "the config it patches has another type: Talos rejects the patch (merge type mismatch)")
        elif isinstance(pv, bool) or pv not in ("", 0):
            _set_key(base, key, pv, pos, file)


def _list_key(path: tuple[str, ...]) -> tuple[str, ...] | None:
    return _LIST_KEYS.get(path) or _LIST_KEYS.get(path[-1:])


def _same(a: Any, b: Any, keys: tuple[str, ...]) -> bool:
    """Do list items a and b name the same thing (the first identifying key `b` has)?"""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    for k in keys:
        if b.get(k) is not None:
            return a.get(k) is not None and _plain(a.get(k)) == _plain(b[k])
    return False


def _merge_list(base: Any, patch: Any, file: str, diags: Diagnostics, path: tuple[str, ...]) -> None:
    keys = _list_key(path)
    items = _items(base, file)
    for v, f, pos in _items(patch, file):
        if _is_delete(v):
            rest = _plain(v)
            if keys:
                items = [it for it in items if not _same(it[0], v, keys)]
            else:  # an item without an identifying key: delete what equals it
                items = [it for it in items if not (isinstance(it[0], dict)
                                                    and all(_plain(it[0].get(k)) == x for k, x in rest.items()))]
            continue
        match = next((it for it in items if keys and _same(it[0], v, keys)), None)
        if match is not None and isinstance(v, dict):
            merge(match[0], v, file, diags, path)
        else:
            items.append((_strip_directives(copy_tree(v, file)), file, pos))
    _rebuild(base, items)


def _doc_key(d: Any) -> tuple[str, str, str]:
    return (str(d.get("apiVersion")), str(d.get("kind")), str(d.get("name", "")))


def merge_docs(docs: list[Any], patch_docs: list[Any], file: str, diags: Diagnostics) -> list[Any]:
    """Talos documents of a patch merge into the base document of the same apiVersion, kind and name."""
    out = list(docs)
    for pd in patch_docs:
        same = [d for d in out if _doc_key(d) == _doc_key(pd)]
        if str(pd.get("$patch", "")) == "delete":
            out = [d for d in out if _doc_key(d) != _doc_key(pd)]
        elif same:
            merge(same[0], pd, file, diags, (str(pd.get("kind")),))
        else:
            out.append(_strip_directives(copy_tree(pd, file)))
    return out


# --- JSON6902 ----------------------------------------------------------------------------------------
def _pointer(text: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in text.split("/")[1:]]


def apply_json6902(doc: Any, ops: Any, file: str, diags: Diagnostics, create: bool = False,
                   rejects: str = "Talos rejects the patch") -> Any:
    """Apply the operations in order to `doc` (in place where possible; returns the document). `create`:
    make missing parents (a patch read without its base contributes what it sets). `rejects` says what
    the tool that applies the patch does with a failing operation (Talos; `kustomize build`)."""
    for i, op in enumerate(ops):
        oloc = item_loc(ops, i, file)
        kind, path = str(op.get("op")), _pointer(str(op.get("path")))
        pos = list(_lc_data(op)["value"]) if isinstance(op, CommentedMap) and "value" in _lc_data(op) else None
        try:
            if kind in ("add", "replace"):
                if "value" not in op:
                    raise _PatchError(f"`{kind}` needs a value")
                value = copy_tree(op["value"], file)
                doc = _put(doc, path, value, kind, pos, file, create)
            elif kind == "remove":
                _take(doc, path, create)
            elif kind in ("move", "copy"):
                src = _pointer(str(op.get("from", "")))
                value = _get(doc, src)
                if kind == "move":
                    _take(doc, src, False)
                doc = _put(doc, path, copy_tree(value, file), "add", pos, file, create)
            elif kind == "test":
                if _plain(_get(doc, path)) != _plain(op.get("value")):
                    raise _PatchError(f"test failed: {op.get('path')} is not {_plain(op.get('value'))!r}")
        except _PatchError as exc:
            if not create:
                diags.error(oloc, f"JSON patch operation {kind} {op.get('path')}: {exc}; {rejects}")
    return doc


class _PatchError(Exception):
    pass


def _get(doc: Any, path: list[str]) -> Any:
    cur = doc
    for t in path:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list) and is_digits(t) and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            raise _PatchError(f"no {'/' + '/'.join(path)} in the config")
    return cur


def _parent(doc: Any, path: list[str], create: bool) -> Any:
    cur = doc
    for n, t in enumerate(path[:-1]):
        nxt = path[n + 1]
        if isinstance(cur, dict):
            if t not in cur or cur[t] is None:
                if not create:
                    raise _PatchError(f"missing {'/' + '/'.join(path[:n + 1])}")
                cur[t] = CommentedSeq() if (nxt == "-" or is_digits(nxt)) else CommentedMap()
            cur = cur[t]
        elif isinstance(cur, list) and is_digits(t) and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            raise _PatchError(f"missing {'/' + '/'.join(path[:n + 1])}")
    return cur


def _put(doc: Any, path: list[str], value: Any, kind: str, pos: list[int] | None, file: str, create: bool) -> Any:
    if not path:
        return value
    parent = _parent(doc, path, create)
    last = path[-1]
    if isinstance(parent, dict):
        if kind == "replace" and last not in parent and not create:
            raise _PatchError(f"replace of missing {'/' + '/'.join(path)}")
        _set_key(parent, last, value, pos, file)
    elif isinstance(parent, list):
        items = _items(parent, file)
        if last == "-":
            idx = len(items)
        elif is_digits(last) and int(last) <= len(items):
            idx = int(last)
        else:
            raise _PatchError(f"index {last} out of range")
        entry = (value, file, pos[2:4] if pos else None)
        if kind == "replace":
            if idx >= len(items):
                raise _PatchError(f"replace of missing index {last}")
            items[idx] = entry
        else:
            items.insert(idx, entry)
        _rebuild(parent, items)
    else:
        raise _PatchError(f"cannot set {'/' + '/'.join(path)}")
    return doc


def _take(doc: Any, path: list[str], lenient: bool) -> None:
    try:
        parent = _parent(doc, path, False)
    except _PatchError:
        if lenient:
            return
        raise
    last = path[-1] if path else ""
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and is_digits(last) and int(last) < len(parent):
        items = _items(parent, "")
        del items[int(last)]
        _rebuild(parent, items)
    elif not lenient:
        raise _PatchError(f"remove of missing {'/' + '/'.join(path)}")


# --- which base each patch belongs to --------------------------------------------------------------
@dataclass
class Placement:
    """A node's config recipe: its base (or none) and the patches applied to it, in order."""

    host: str | None
    base: TalosBase | None
    patches: list[TalosPatch]
    why: str


def place(bases: list[TalosBase], patches: list[TalosPatch], host_of: Callable[[str], str | None],
          listed: dict[str, list[str]], talconfig: list[tuple[str, Any]], diags: Diagnostics) -> list[Placement]:
    """Per node, which base and patches make its config (docs/snapshot.md "Talos patches"):

    1. podpath.yaml `hosts.<name>.files` listing Talos files: the base among them (or the only base of the
       snapshot) and the listed patches in their order;
    2. talhelper's talconfig.yaml: per node, the global `patches`, then `controlPlane`/`worker` `patches`,
       then the node's `patches` (files as `@./path`, or inline), over a base named after the node or the
       only base of its machine type (none: the patches and the node's own talconfig fields alone);
    3. otherwise by name and content: a patch whose path names a host, or that sets the hostname, is that
       node's; the others apply to every node (before the per-node ones, in path order). Its base: the
       base naming that host, else the only base (of the patch's machine.type, when it states one).
    A patch no rule places is read alone."""
    by_file = {p.file: p for p in patches}
    used: set[int] = set()
    out: list[Placement] = []
    base_of = {b.file: b for b in bases}

    def cands(mtype: str | None) -> list[TalosBase]:
        return [b for b in bases if b.hostname is None and (mtype is None or b.machine_type in (None, mtype))]

    def sole_base(mtype: str | None) -> TalosBase | None:
        c = cands(mtype)
        return c[0] if len(c) == 1 else None

    def base_for(host: str | None, mtype: str | None) -> TalosBase | None:
        named = [b for b in bases if host is not None and b.hostname == host]
        return named[0] if len(named) == 1 else sole_base(mtype)

    for host, files in sorted(listed.items()):
        mine = [by_file[f] for f in files if f in by_file]
        if not mine:
            continue
        lb = [base_of[f] for f in files if f in base_of]
        base = lb[0] if len(lb) == 1 else base_for(host, next(filter(None, map(patch_machine_type, mine)), None))
        out.append(Placement(host, base, mine, "podpath.yaml hosts." + host + ".files"))
        used.update(id(p) for p in mine)
    for tfile, tc in talconfig:
        out.extend(_talhelper(tfile, tc, by_file, base_for, used, diags))
    rest = [p for p in patches if id(p) not in used]
    per_node: dict[str, list[TalosPatch]] = {}
    shared: list[TalosPatch] = []
    for p in sorted(rest, key=lambda p: p.file):
        host = p.host or host_of(p.file) or patch_hostname(p)
        if host:
            per_node.setdefault(host, []).append(p)
        else:
            shared.append(p)
    for host, ps in sorted(per_node.items()):
        mtype = next(filter(None, map(patch_machine_type, ps)), None)
        base = base_for(host, mtype)
        # a shared patch goes to every node whose base it can patch (all nodes when there is no base at all)
        sh = [s for s in shared if (base is None and not bases) or (base is not None
                                                                   and base in cands(patch_machine_type(s)))]
        out.append(Placement(host, base, sh + ps, "the patch's path or hostname names the node"))
        used.update(id(p) for p in sh + ps)
    for s in shared:
        if id(s) in used:
            continue
        base = sole_base(patch_machine_type(s))
        if base is not None:
            group = [t for t in shared if id(t) not in used and sole_base(patch_machine_type(t)) is base]
            out.append(Placement(None, base, group, "the only machine config it can patch"))
            used.update(id(t) for t in group)
        else:
            diags.note(s.loc, "Talos patch: cannot tell which machine config it patches (name the node in the path, "
                       "or list the base and the patch under hosts.<name>.files in podpath.yaml); read alone")
            out.append(Placement(None, None, [s], "read alone"))
            used.add(id(s))
    return out


def _talhelper(tfile: str, tc: Any, by_file: dict[str, TalosPatch], base_for: Callable[..., TalosBase | None],
               used: set[int], diags: Diagnostics) -> list[Placement]:
    """Placements from a talconfig.yaml: the node fields talhelper writes into the machine config (hostname,
    networkInterfaces, cluster pod/service nets, CNI) and the patch lists of the cluster, role and node."""
    import posixpath

    out = []
    here = posixpath.dirname(tfile)

    def refs(seq: Any, where: str) -> list[TalosPatch]:
        got = []
        for i, item in enumerate(seq or []):
            loc = item_loc(seq, i, tfile)
            if isinstance(item, str) and item.strip().startswith("@"):
                rel = posixpath.normpath(posixpath.join(here, item.strip()[1:]))
                p = by_file.get(rel)
                if p is None:
                    diags.warning(loc, f"talconfig {where} patch {item.strip()} is not in the snapshot")
                    continue
                got.append(p)
            elif isinstance(item, dict):
                got.append(TalosPatch(tfile, loc, v1=item))
            elif isinstance(item, list):
                got.append(TalosPatch(tfile, loc, ops=item))
            elif isinstance(item, str):
                diags.note(loc, "talconfig inline patch text is not read; write it as YAML or as an @file")
        return got

    glob = refs(tc.get("patches"), "cluster")
    cluster_patch = _talhelper_cluster(tc, tfile)
    for i, node in enumerate(tc.get("nodes") or []):
        if not isinstance(node, dict) or not node.get("hostname"):
            continue
        host = str(node["hostname"])
        role = "controlPlane" if node.get("controlPlane") else "worker"
        role_patches = refs(get_path(tc, f"{role}.patches"), role)
        own = refs(node.get("patches"), f"node {host}") + refs(node.get("configPatches"), f"node {host}")
        fields = _talhelper_node(node, tfile, item_loc(tc["nodes"], i, tfile))
        chain = ([cluster_patch] if cluster_patch else []) + [fields] + glob + role_patches + own
        base = base_for(host, "controlplane" if role == "controlPlane" else "worker")
        out.append(Placement(host, base, chain, f"{tfile}: node {host}"))
        used.update(id(p) for p in glob + role_patches + own)
    return out


def _section(pairs: list[tuple[str, Any, Any]]) -> CommentedMap:
    """A mapping built from (key, value, source mapping) whose keys keep the source's positions."""
    out = CommentedMap()
    for key, value, src in pairs:
        out[key] = value
        data = _lc_data(src) if isinstance(src, CommentedMap) else {}
        for k in (key, _TALHELPER_FIELD.get(key)):
            if k in data:
                out.lc.add_kv_line_col(key, list(data[k]))
                break
    return out


_TALHELPER_FIELD = {"interfaces": "networkInterfaces", "podSubnets": "clusterPodNets",
                    "serviceSubnets": "clusterSvcNets", "cni": "cniConfig"}


def _talhelper_cluster(tc: Any, tfile: str) -> TalosPatch | None:
    net = [(k, tc[f], tc) for k, f in (("podSubnets", "clusterPodNets"), ("serviceSubnets", "clusterSvcNets"),
                                       ("cni", "cniConfig")) if tc.get(f) is not None]
    if not net:
        return None
    network = _section(net)
    setattr(network, ORIGIN_FILE, tfile)
    root = CommentedMap()
    root["cluster"] = CommentedMap()
    root["cluster"]["network"] = network
    return TalosPatch(tfile, node_loc(tc, tfile), v1=root)


def _talhelper_node(node: Any, tfile: str, loc: Loc) -> TalosPatch:
    pairs = [("hostname", node["hostname"], node)]
    if node.get("networkInterfaces") is not None:
        pairs.append(("interfaces", node["networkInterfaces"], node))
    network = _section(pairs)
    setattr(network, ORIGIN_FILE, tfile)
    root = CommentedMap()
    root["machine"] = CommentedMap()
    root["machine"]["network"] = network
    if node.get("controlPlane") is not None:
        root["machine"]["type"] = "controlplane" if node.get("controlPlane") else "worker"
    return TalosPatch(tfile, loc, v1=root, host=str(node["hostname"]))


def compose(pl: Placement, diags: Diagnostics) -> Composed:
    """Apply a placement's patches to (a copy of) its base."""
    base = pl.base
    if base is not None:
        v1, docs = copy_tree(base.v1, base.file), [copy_tree(d, base.file) for d in base.docs]
        files, file, loc = [base.file], base.file, base.loc
    else:
        v1, docs, files = CommentedMap(), [], []
        file, loc = pl.patches[0].file, pl.patches[0].loc
        setattr(v1, ORIGIN_FILE, file)
    for p in pl.patches:
        if p.v1 is not None:
            merge(v1, p.v1, p.file, diags)
        if p.docs:
            docs = merge_docs(docs, p.docs, p.file, diags)
        if p.ops is not None:
            v1 = apply_json6902(v1, p.ops, p.file, diags, create=base is None)
        if p.file not in files:
            files.append(p.file)
    return Composed(pl.host, file, loc, v1, docs, files)

