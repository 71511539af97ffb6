"""Load a snapshot directory into the cluster model.

Files are recognised by content, not by name (a route dump may be called
anything). Each reader appends to a `Diagnostics` collector instead of raising,
so one run reports every bad file and still checks the rest. The result is a
`Snapshot`: the model, the effective Cilium configuration, the raw inputs that
later analyses need (Helm values for key checks, BGP resources), the statements
podpath read but does not model, and the diagnostics.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import os
import re
import stat
from dataclasses import replace, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podpath.cilium import chart as chart_mod, recognise
from podpath.cilium.settings import (BY_CONFIGMAP, BY_HELM, DEFAULT_VERSION, SUPPORTED_VERSIONS, CiliumConfig,
                                     Setting, minor)
from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.model.cluster import (Cluster, Host, Interface, KernelRoute, Node, RouteTable, Segment, Sourced,
                                   TalosInfo)
from podpath.readers import cilium_bgp, cilium_status, iproute, kubernetes, manifest as manifest_mod, talos
from podpath.readers import talos_patch
from podpath.readers.yamlsrc import YamlDoc, get_path, load_documents, node_loc, value_loc
from podpath.redact import Secrets, model_secrets
from podpath.util import paused_gc

if TYPE_CHECKING:  # typed API without importing the simulator at load time
    from podpath.checks import Report
    from podpath.routing.controlplane import ControlPlane
    from podpath.routing.sim import SimResult

_SKIP_SUFFIXES = {".md", ".rst", ".png", ".jpg", ".svg", ".pdf"}
_CONFIG_NAMES = {"podpath.toml", "pyproject.toml"}  # podpath's own settings (podpath.config), not inputs
_YAML_SUFFIXES = {".yaml", ".yml", ".json"}
# Text that is never YAML, whatever its first line looks like (`all: build` in a Makefile).
_NOT_YAML_NAMES = frozenset({"Makefile", "makefile", "GNUmakefile", "Dockerfile", "Containerfile", "Vagrantfile",
                             "Jenkinsfile", "Justfile", "justfile", "Earthfile"})
_NOT_YAML_SUFFIXES = frozenset({".sh", ".bash", ".zsh", ".mk", ".ini", ".toml", ".py", ".dockerfile", ".env",
                                ".properties", ".tf", ".hcl"})
_KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "kustomization"})


def _SAFE_YAML() -> Any:
    """A plain loader for the sibling files that give a values file its chart context (no positions needed)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True)
_FALLBACK_HELM_TOP = frozenset({
    "routingMode", "kubeProxyReplacement", "ipam", "ipv4", "ipv6", "bpf", "hubble", "operator", "autoDirectNodeRoutes",
    "ipv4NativeRoutingCIDR", "ipv6NativeRoutingCIDR", "tunnelProtocol", "k8sServiceHost", "k8sServicePort",
    "bgpControlPlane", "enableIPv4Masquerade", "enableIPv6Masquerade", "MTU", "devices", "socketLB", "cni",
    "envoy", "gatewayAPI", "l2announcements", "externalIPs", "nodePort", "loadBalancer", "encryption",
    "securityContext", "cgroup", "k8s", "endpointRoutes", "prometheus", "dnsProxy", "debug", "image",
})


MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest input file podpath reads (a 5,000-node NodeList is about 10 MB); a larger one is an error and unread."""


@dataclass(frozen=True, order=True)
class Unread:
    """An input podpath did not read: not a regular file (FIFO, device, socket), a directory or file it may not
    read, a file over MAX_FILE_BYTES, a dangling symbolic link. Any of these makes `Snapshot.complete` false."""

    loc: Loc  # the input itself, or the podpath.yaml entry that names it
    path: str  # as displayed (or as written in podpath.yaml)
    why: str


# File kinds that mean podpath read nothing from a file.
UNREAD_KINDS = frozenset({"unknown", "invalid-yaml", "empty"})


@dataclass
class SnapshotFile:
    path: str  # as displayed: relative to the snapshot root
    kind: str
    host: str | None = None
    why: str | None = None  # why it was taken as Cilium Helm values, or why it was not recognised


@dataclass
class RouteDump:
    file: str
    routes: list[KernelRoute]
    host_hint: set[str] = field(default_factory=set)  # addresses or names from the content
    protocols_known: bool = True  # `talosctl get routes` (table) does not show the route protocol


@dataclass
class RouterConfig:
    """A routing daemon's configuration file and the host it runs on."""

    dialect: str  # frr | bird
    file: str
    config: Any
    host: str | None = None
    hints: tuple[str, ...] = ()  # host names the file itself gives (a Talos config's hostname beside it)

    @property
    def unsupported(self) -> list[Unsupported]:
        return list(getattr(self.config, "unsupported", []) or [])

    def summary(self) -> dict[str, Any]:
        s = getattr(self.config, "summary", None)
        base = {"dialect": self.dialect, "file": self.file, "host": self.host}
        return {**base, **(s() if callable(s) else {})}


@dataclass
class Snapshot:
    """A loaded snapshot. `podpath.load(path)` returns one; query it from Python."""

    root: Path
    cluster: Cluster = field(default_factory=Cluster)
    cilium: CiliumConfig = field(default_factory=CiliumConfig)
    files: list[SnapshotFile] = field(default_factory=list)
    helm_values: list[kubernetes.HelmValuesDoc] = field(default_factory=list)
    configmaps: list[kubernetes.ConfigMapData] = field(default_factory=list)
    bgp_objects: list[tuple[str, Any, Loc]] = field(default_factory=list)
    routers: list[RouterConfig] = field(default_factory=list)  # parsed FRR/BIRD configurations
    vrrp_configs: list[RouterConfig] = field(default_factory=list)  # keepalived: gateway addresses, no routing
    manifest: manifest_mod.Manifest | None = None
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    unsupported: list[Unsupported] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)  # inputs skipped or unreadable (see Unread)
    # Secret values seen while reading (passwords, keys): every output redacts them (podpath.redact).
    secrets: Secrets = field(default_factory=Secrets, repr=False)
    # BGP tables captured from the running daemons (vtysh/birdc output), compared with the simulation.
    observed_ribs: list[Any] = field(default_factory=list)
    # Each file's text as read, by its shown name: what a repair edits (podpath.repair) and diffs against.
    texts: dict[str, str] = field(default_factory=dict, repr=False)
    # Pods/endpoints, namespaces and network policies as read (readers/netpol.py); datapath/policy.policies()
    # evaluates them.
    netpol: Any = field(default=None, repr=False)
    hubble: list[Any] = field(default_factory=list)  # `hubble observe` output: readers/hubble.HubbleFile (evidence)

    def __repr__(self) -> str:  # short, and never the inputs' text (it holds passwords)
        return f"Snapshot({str(self.root)!r}, {len(self.files)} files, {len(self.diagnostics)} diagnostics)"

    @property
    def complete(self) -> bool:
        """False when some input was not read or some statement that may affect routes was not modelled."""
        return not self.unread and not any(u.affects_routes for u in self.unsupported)

    @property
    def usable(self) -> bool:
        return not self.diagnostics.errors

    _control_plane: Any = field(default=None, repr=False)
    _simulation: Any = field(default=None, repr=False)
    _cilium_bgp: Any = field(default=None, repr=False)

    def cilium_bgp(self) -> "cilium_bgp.Resolution":
        """The Cilium BGP instances per node and what the operator and agents do on the way (cached):
        unserved objects, NodeConfig ownership and conflicts (readers/cilium_bgp.resolve_all)."""
        if self._cilium_bgp is None:
            self._cilium_bgp = cilium_bgp.resolve_all(self.bgp_objects, self.cluster.nodes, Diagnostics(),
                                                      self.cilium.version_minor)
        return self._cilium_bgp

    @property
    def has_control_plane(self) -> bool:
        """Routing daemons or Cilium BGP speakers to simulate."""
        return bool(self.routers) or (bool(self.bgp_objects) and self.cilium.flag("enable-bgp-control-plane"))

    def control_plane(self) -> "ControlPlane":
        """Speakers, sessions' inputs and the L3 network built from the model (cached)."""
        if self._control_plane is None:
            from podpath.routing.controlplane import build

            with paused_gc():  # a large graph of speakers and policies (see util.paused_gc)
                self._control_plane = build(self)
        return self._control_plane

    def simulate(self) -> "SimResult":
        """The simulated BGP control plane and kernel tables (cached): a `SimResult`."""
        if self._simulation is None:
            self._simulation = self.control_plane().simulate()
        return self._simulation

    def without_routers(self, files: set[str]) -> "Snapshot":
        """The same snapshot without the routing daemons configured by `files`: what a lab
        that could not run them emulates, so that both sides simulate the same system."""
        if not files:
            return self
        return replace(self, routers=[r for r in self.routers if r.file not in files],
                       _control_plane=None, _simulation=None)

    def check(self, rules: list[str] | None = None) -> "Report":
        """Every rule (or `rules`: ids or names) over the snapshot: findings, and what could not be checked."""
        from podpath.checks import run_checks

        with paused_gc():  # the checks build the control plane and large indexes (see util.paused_gc)
            return run_checks(self, rules)


_PARSED: dict[tuple[str, str], tuple[bytes | None, Diagnostics]] = {}
_PARSED_MAX = 256


def _documents(text: str, name: str, diags: Diagnostics) -> list[YamlDoc] | None:
    """`load_documents`, remembered per (file, text): verifying a repair re-reads the snapshot with one file
    changed, and parsing the unchanged YAML dominated that. Readers may annotate or merge the documents they
    get (Talos patches), so each caller receives its own copy (unpickled: ruamel's positions are kept); the
    diagnostics of the parse are replayed."""
    import pickle

    key = (name, text)
    hit = _PARSED.get(key)
    if hit is None:
        own = Diagnostics()
        docs = load_documents(text, name, own)
        try:
            hit = (pickle.dumps(docs, pickle.HIGHEST_PROTOCOL), own)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            diags.extend(own)  # not copyable: not remembered
            return docs
        while _PARSED and len(_PARSED) >= _PARSED_MAX:  # oldest first
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = hit
        diags.extend(own)
        return docs
    diags.extend(hit[1])
    return pickle.loads(hit[0])  # type: ignore[no-any-return]


_ROUTERS: dict[tuple[str, str, str], tuple[bytes, Diagnostics]] = {}
_ROUTERS_MAX = 256
_SHARED: dict[int, str] = {}  # id -> "module:name" of the readers' module-level instances
_SHARED_SEEN = 0  # len(sys.modules) when _SHARED was made


def _shared() -> dict[int, str]:
    """The module-level instances a parsed router config may point to (BIRD's undefined values, FRR's
    address families): a copy must point to the same objects, never to copies of them (`is` tests)."""
    global _SHARED_SEEN
    import sys

    if _SHARED_SEEN != len(sys.modules):
        _SHARED_SEEN = len(sys.modules)
        _SHARED.clear()
        for mod_name, mod in list(sys.modules.items()):
            if not mod_name.startswith(("podpath.readers.", "podpath.routing.", "podpath.diagnostics")):
                continue
            for attr, value in list(vars(mod).items()):
                if not isinstance(value, type) and type(value).__module__.startswith("podpath."):
                    _SHARED.setdefault(id(value), f"{mod_name}:{attr}")
    return _SHARED


def _parsed_router(parser: Any, kind: str, text: str, name: str, diags: Diagnostics) -> Any:
    """`parser(text, name, diags)`, remembered per (kind, file, text) as `_documents` remembers YAML: each
    verification of a repair re-reads every router config with one file changed (parsing them was half of
    its load). Each caller gets its own copy (unpickled; module-level instances stay shared), and the
    diagnostics of the parse are replayed. Router parsers read nothing but the text (no include resolver)."""
    import io
    import pickle
    import sys

    key = (kind, name, text)
    hit = _ROUTERS.get(key)
    if hit is not None:
        class _Unpickler(pickle.Unpickler):
            def persistent_load(self, pid: Any) -> Any:
                mod, _, attr = pid.partition(":")
                return getattr(sys.modules[mod], attr)

        diags.extend(hit[1])
        return _Unpickler(io.BytesIO(hit[0])).load()
    own = Diagnostics()
    cfg = parser(text, name, own)
    shared = _shared()

    class _Pickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            return shared.get(id(obj))

    buf = io.BytesIO()
    try:
        _Pickler(buf, pickle.HIGHEST_PROTOCOL).dump(cfg)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        diags.extend(own)  # not copyable: not remembered
        return cfg
    while _ROUTERS and len(_ROUTERS) >= _ROUTERS_MAX:  # oldest first
        _ROUTERS.pop(next(iter(_ROUTERS)))
    _ROUTERS[key] = (buf.getvalue(), own)
    diags.extend(own)
    return cfg


def load(path: str | os.PathLike[str], overlay: dict[str, str] | None = None) -> Snapshot:
    """Read a snapshot directory (or a single file) into the model.

    `overlay` maps a file's name as podpath shows it (relative to the snapshot, e.g. "frr/pve1.conf") to the
    text to read instead of the file's: how a repair or a what-if is simulated without touching the user's
    files (podpath.repair). Names in it that are not in the snapshot are ignored."""
    return _Loader(Path(path), overlay).load()


class _Loader:
    def __init__(self, root: Path, overlay: dict[str, str] | None = None) -> None:
        self.root = root
        self.overlay = dict(overlay or {})
        # A load with an overlay is a repair's or a what-if's re-read: the same router configs come again.
        self.remember = overlay is not None
        self._file_index: tuple[int, dict[str, list[SnapshotFile]]] | None = None  # see _set_file_host
        self.snap = Snapshot(root=root)
        self.diags = self.snap.diagnostics
        self.kube = kubernetes.KubeFacts()
        self.talos: list[talos.TalosFacts] = []
        self.talos_patches: list[talos_patch.TalosPatch] = []
        self.talconfigs: list[tuple[str, Any]] = []  # talhelper talconfig.yaml: (file, document)
        self.dumps: list[RouteDump] = []
        self.statuses: list[tuple[str, Any]] = []
        self.host_net: list[Any] = []  # ifupdown / netplan configurations: interfaces and routes of one host
        self._current: Path | None = None  # the file being read (for its directory's chart context)
        self._siblings: dict[Path, list[tuple[str, Path, Any]]] = {}
        self._text_of: dict[str, str] = {}
        self._why: list[str] = []
        self._listed: dict[Path, tuple[Loc, str]] = {}  # podpath.yaml `files:` entries: where, as written
        self.kustomizations: list[tuple[str, Any]] = []  # (file, document): their generators feed valuesFrom
        self._substitutions: list[Any] = []  # Flux Kustomizations' postBuild variables (readers/flux.py)
        self._k_roots: list[Any] = []  # Kustomize roots to build (readers/kustomize.py)
        self._k_consumed: dict[str, str] = {}  # file -> the root kustomization whose build replaces its documents
        self._k_docs: dict[str, list[Any]] = {}  # documents of those files, kept for the build
        self._k_all: list[Any] = []
        self._templates: list[tuple[str, str]] = []  # Jinja2/Ansible templates: (shown name, text)
        self._ahead: dict[str, str] = {}  # texts read by a look-ahead, for the real read

    # --- discovery ------------------------------------------------------------------
    def display(self, p: Path) -> str:
        base = self.root if self.root.is_dir() else self.root.parent
        try:
            shown = p.relative_to(base).as_posix()
        except ValueError:
            shown = os.path.relpath(p, base).replace(os.sep, "/")
        # a file name that is not UTF-8 is shown with U+FFFD, never as an unprintable surrogate
        return shown.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

    def _unread(self, p: Path | tuple[Loc, str], why: str, error: bool = True) -> None:
        """Record an input that was not read, with a diagnostic; the result is then incomplete."""
        loc, path = p if isinstance(p, tuple) else (Loc(self.display(p), 1, 1), self.display(p))
        message = f"{why}; not read" if loc.file == path else f"{path}: {why}; not read"
        (self.diags.error if error else self.diags.warning)(loc, message)
        self.snap.unread.append(Unread(loc, path, why))

    def load(self) -> Snapshot:
        if not self.root.exists():
            self.diags.error(Loc(str(self.root), 1, 1), "snapshot path does not exist")
            return self.snap
        paths = self._discover()
        with paused_gc():
            self._prepare_substitutions(paths)
            self._prepare_kustomize(paths)
            self._read_all(paths)
            self._build_kustomize()
            self._render_templates()
        self._assemble()
        self._nothing_recognised(paths)
        self.snap.files.sort(key=lambda f: f.path)
        self.snap.unsupported.sort()
        return self.snap

    def _nothing_recognised(self, paths: list[Path]) -> None:
        """A snapshot in which podpath recognised no input is unusable (exit 2), never "no findings"."""
        if any(f.kind not in UNREAD_KINDS for f in self.snap.files) or self.diags.errors:
            return  # something was read, or every unread file already has its error
        where = Loc(str(self.root), 0, 0)
        if not paths and not self.snap.files:
            self.diags.error(where, "the snapshot holds no file podpath reads (hidden files, README*, *.md and "
                             "images are skipped); expected Helm values, Kubernetes/Talos YAML, route dumps, "
                             "cilium status output, FRR or BIRD configuration")
        else:
            what = {"unknown": "of no kind podpath reads", "empty": "empty", "invalid-yaml": "invalid YAML"}
            kinds = sorted({what.get(f.kind, f.kind) for f in self.snap.files}) or ["not read"]
            self.diags.error(where, f"podpath recognised none of the {len(paths)} file(s) in the snapshot "
                             f"({', '.join(kinds)})")

    def _read_all(self, paths: list[Path]) -> None:
        for p in paths:
            try:
                self._read_file(p)
            except Exception as exc:  # a reader bug must not become a traceback or a silent skip
                self.diags.error(Loc(self.display(p), 1, 1), f"podpath could not read this file "
                                 f"(internal error {type(exc).__name__}: {exc}); please report it")

    def _walk(self, top: Path) -> list[Path]:
        """Every file under `top` (hidden ones aside), in sorted order. A directory that cannot be read is
        reported and makes the result incomplete; a symbolic link to a directory inside `top` is followed
        once, one that leads outside it is not."""
        found: list[Path] = []
        seen: dict[tuple[int, int], str] = {}
        root_real = os.path.realpath(top)

        def onerror(exc: OSError) -> None:
            where = Path(exc.filename) if exc.filename else top
            self._unread(where, f"directory cannot be read ({exc.strerror or exc})")

        for dirpath, dirnames, filenames in os.walk(top, onerror=onerror, followlinks=True):
            here = Path(dirpath)
            try:
                st = os.stat(dirpath)
            except OSError as exc:
                self._unread(here, f"directory cannot be read ({exc.strerror or exc})")
                dirnames[:] = []
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:  # a second way (symbolic link) to a directory already read, or a link loop
                self.diags.note(Loc(self.display(here), 1, 1), f"same directory as {seen[key]}; read once")
                dirnames[:] = []
                continue
            seen[key] = self.display(here)
            keep = []
            for d in sorted(d for d in dirnames if not d.startswith(".")):
                sub = here / d
                real = os.path.realpath(sub)
                if os.path.islink(sub) and os.path.commonpath([root_real, real]) != root_real:
                    self._unread(sub, f"symbolic link to a directory outside the snapshot ({real}), "
                                 "not followed (list it under files: in podpath.yaml to read it)", error=False)
                    continue
                keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                if not name.startswith("."):
                    found.append(here / name)
        return found

    def _discover(self) -> list[Path]:
        if self.root.is_file():
            return [self.root]
        if not self.root.is_dir():
            self._unread((Loc(str(self.root), 1, 1), str(self.root)), "neither a directory nor a regular file")
            return []
        found = self._walk(self.root)
        manifest_path = next((p for p in found if p.name in manifest_mod.MANIFEST_NAMES and p.parent == self.root), None)
        if manifest_path is not None:
            self._read_manifest(manifest_path)
            found.remove(manifest_path)
        m = self.snap.manifest
        if m is not None:
            for raw, loc in m.files:
                try:
                    extra = (manifest_path.parent / raw).resolve() if manifest_path else Path(raw)
                    exists = extra.exists()
                except (OSError, RuntimeError) as exc:  # a name too long, a symbolic-link loop
                    self.diags.error(loc, f"file {raw!r} listed in podpath.yaml cannot be looked up "
                                     f"({getattr(exc, 'strerror', None) or exc})")
                    continue
                if not exists:
                    self.diags.error(loc, f"file {raw!r} listed in podpath.yaml does not exist")
                elif extra.is_dir():
                    found.extend(self._walk(extra))
                else:
                    self._listed[extra] = (loc, raw)
                    found.append(extra)
            if m.ignore:
                found = [p for p in found if not any(fnmatch.fnmatch(self.display(p), g) for g in m.ignore)]
        found = [p for p in found if p.suffix.lower() not in _SKIP_SUFFIXES and not p.name.upper().startswith("README")
                 and p.name not in _CONFIG_NAMES]
        return sorted(set(found), key=lambda p: self.display(p))

    def _read_manifest(self, p: Path) -> None:
        name = self.display(p)
        text = self._text(p, name)
        if text is None:
            return
        self.snap.secrets.scan_text(text, name)
        docs = _documents(text, name, self.diags)
        self.snap.files.append(SnapshotFile(name, "podpath-manifest"))
        if docs:
            self.snap.manifest = manifest_mod.read_manifest(docs[0].data, name, self.diags)

    def _text(self, p: Path, name: str) -> str | None:
        """The file's text as its readers see it: after Flux postBuild substitution when a Flux Kustomization
        of the snapshot applies to it (readers/flux.py). `Snapshot.texts` keeps the text as written."""
        text = self._raw_text(p, name)
        if text is None or "${" not in text or not self._substitutions:
            return text
        from podpath.readers import flux

        scored = sorted(((flux.applies_to(sub, name), sub.file, sub) for sub in self._substitutions), reverse=True,
                        key=lambda t: (t[0], t[1]))
        score, _, sub = scored[0]
        if score == 0:
            return text
        variables = {k: v for k, (v, _) in sub.variables.items()}
        out, undefined = flux.substitute(text, variables)
        for line, col, var in undefined:
            self.diags.warning(Loc(name, line, col), f"${{{var}}} is not defined by the Flux Kustomization's postBuild "
                               f"({sub.loc}); kustomize-controller substitutes an empty string")
        if out != text:
            self.diags.note(Loc(name, 1, 1), f"read after the postBuild substitution of {sub.file} ({sub.loc})")
        return out

    def _prepare_substitutions(self, paths: list[Path]) -> None:
        """Find Flux Kustomizations with `spec.postBuild` before any manifest is read (their variables apply
        to manifests anywhere in the snapshot), and the ConfigMaps/Secrets their `substituteFrom` names."""
        from podpath.readers import flux

        self._substitutions = []
        scratch = Diagnostics()
        texts: dict[Path, str] = {}
        for p in paths:
            if p.suffix.lower() not in _YAML_SUFFIXES:
                continue
            text = self._raw_text(p, self.display(p), quiet=True)
            if text and ("postBuild" in text or "kind: ConfigMap" in text or "kind: Secret" in text):
                texts[p] = text
        subs: list[Any] = []
        for p, text in texts.items():
            if "postBuild" not in text or "kustomize.toolkit.fluxcd.io" not in text:
                continue
            for doc in load_documents(text, self.display(p), scratch) or []:
                if flux.is_flux_kustomization(doc.data):
                    sub = flux.read_substitution(doc.data, self.display(p))
                    if sub is not None:
                        subs.append(sub)
        wanted = {(k, n) for sub in subs for k, n, _, _ in sub.from_refs}
        objects: list[Any] = []
        if wanted:
            for p, text in texts.items():
                if not any(n in text for _, n in wanted):
                    continue
                for doc in load_documents(text, self.display(p), scratch) or []:
                    d = doc.data
                    if isinstance(d, dict) and (d.get("kind"), get_path(d, "metadata.name")) in wanted:
                        obj = flux.read_data_object(d, self.display(p), scratch, text)
                        if obj is not None:
                            objects.append(obj)
        for sub in subs:
            for kind, name, optional, loc in sub.from_refs:
                obj = next((o for o in objects if o.kind == kind and o.name == name), None)
                if obj is None:
                    self.snap.unsupported.append(Unsupported(
                        loc, f"postBuild substituteFrom {kind} {name}", f"the {kind} is not in the snapshot; the "
                        "variables it defines are substituted as empty strings here", not optional))
                    continue
                for key, item in obj.items.items():
                    sub.variables.setdefault(key, (item.text, item.loc))  # substitute wins over substituteFrom
        self._substitutions = subs

    def _prepare_kustomize(self, paths: list[Path]) -> None:
        """Find the Kustomize roots before reading (readers/kustomize.py): the files their builds consume are
        read as the build's output, not one by one. Roots whose builds share files (several overlays of one
        base) are not built: which overlay is the cluster's is not in the snapshot."""
        from podpath.readers import kustomize

        scratch = Diagnostics()
        found: list[Any] = []
        for p in paths:
            if p.name not in kustomize.NAMES:
                continue
            name = self.display(p)
            text = self._raw_text(p, name, quiet=True)
            docs = load_documents(text, name, scratch) if text else None
            if docs and isinstance(docs[0].data, dict):
                found.append(kustomize.Kustomization(name, docs[0].data))
        if not found:
            return
        self._k_all = found
        builder = kustomize.Builder(found, {}, {self.display(p) for p in paths}, scratch)
        roots = builder.roots()
        consumed = {r.file: builder.consumed_by(r) for r in roots}
        for r in roots:
            others = [o for o in roots if o is not r and consumed[o.file] & consumed[r.file] - {r.file, o.file}]
            if others:
                shared = sorted(consumed[r.file] & consumed[others[0].file])[0]
                self.snap.unsupported.append(Unsupported(
                    Loc(r.file, 1, 1), f"kustomization {r.file}", f"not built: {others[0].file} also builds {shared}; "
                    "which overlay the cluster runs is not in the snapshot, so the files are read as they are (keep "
                    "one overlay in the snapshot)", True))
                continue
            self._k_roots.append(r)
            for f in consumed[r.file]:
                if f != r.file and f not in {k.file for k in found}:
                    self._k_consumed.setdefault(f, r.file)

    def _build_kustomize(self) -> None:
        from podpath.readers import kustomize

        if not self._k_roots:
            return
        builder = kustomize.Builder(self._k_all, self._k_docs, set(self.snap.texts) | set(self._k_docs), self.diags)
        for root in self._k_roots:
            build = builder.build(root)
            self.snap.unsupported.extend(build.unsupported)
            for obj, file in build.objects:
                kubernetes.read_object(obj, file, self.kube, self.diags)
            for f in self.snap.files:
                if f.path in build.consumed and f.path != root.file:
                    f.why = (f.why + "; " if f.why else "") + f"read as part of the kustomize build of {root.file}"

    def _render_templates(self) -> None:
        """Jinja2/Ansible templates of FRR/BIRD configurations, rendered for each host a playbook of the
        snapshot applies them to (readers/ansible.py), read as that host's router at the template's lines."""
        if not self._templates:
            return
        from podpath.readers import ansible

        texts = self.snap.texts
        used: dict[str, str] = {}  # file -> what it is to Ansible (inventory, vars, playbook)
        inv = ansible.Inventory()
        for name in sorted(texts):
            if ansible.is_inventory_name(name):
                ansible.read_inventory(texts[name], name, inv, self.diags)
                used[name] = "ansible-inventory"
        inv.expand()
        scratch = Diagnostics()

        def data(name: str) -> Any:
            docs = load_documents(texts[name], name, self.diags if name not in used else scratch) or []
            return docs[0].data if docs else None

        group_files: dict[str, dict[str, Any]] = {}
        host_files: dict[str, dict[str, Any]] = {}
        plays: list[Any] = []
        for name in sorted(texts):
            parts = name.split("/")
            for marker, into in (("group_vars", group_files), ("host_vars", host_files)):
                if marker in parts[:-1] and name.endswith((".yml", ".yaml")) or (marker in parts[:-1] and "." not in parts[-1]):
                    i = parts.index(marker)
                    if i + 1 < len(parts):
                        who = parts[i + 1].rsplit(".", 1)[0] if i + 2 == len(parts) else parts[i + 1]
                        d = data(name)
                        if isinstance(d, dict):
                            into.setdefault(who, {}).update(ansible._plain(d))
                        used[name] = f"ansible-{marker.replace('_', '-')}"
            if name not in used and name.endswith((".yml", ".yaml")) and "hosts:" in texts[name]:
                found = ansible.read_playbook(data(name), name)
                if found:
                    plays.extend(found)
                    used[name] = "ansible-playbook"
        for name, text in self._templates:
            self._render_template(name, text, inv, group_files, host_files, plays, used)
        for f in self.snap.files:  # what Ansible reads is not "a file of no kind podpath reads"
            if f.path in used and f.kind in ("unknown", "yaml", "empty"):
                f.kind, f.why = used[f.path], None
        self.diags.drop(lambda d: d.loc.file in used and d.level.value == "note")

    def _render_template(self, name: str, text: str, inv: Any, group_files: dict[str, dict[str, Any]],
                         host_files: dict[str, dict[str, Any]], plays: list[Any], used: dict[str, str]) -> None:
        from podpath.readers import ansible

        parts = name.split("/")
        role = parts[parts.index("roles") + 1] if "roles" in parts[:-2] and "templates" in parts else None
        base = name.rsplit("/", 1)[-1]
        hosts: set[str] = set()
        for play in plays:
            if (role and role in play.roles) or any(t.rsplit("/", 1)[-1] == base for t in play.templates):
                hosts |= ansible.match_hosts(play.hosts, inv)
        owner = self._manifest_owner(name)
        if owner:
            hosts.add(owner)
        if not hosts:
            why = (f"not rendered: no playbook in the snapshot applies {'role ' + role if role else 'it'} to a host "
                   f"of its inventory{'' if inv.files else ' (there is none)'}, and podpath.yaml lists no host for it")
            self.snap.unsupported.append(Unsupported(Loc(name, 1, 1), f"template {name}", why, True))
            return
        role_dir = "/".join(parts[: parts.index("templates")]) if role else None
        role_defaults: dict[str, Any] = {}
        role_vars: dict[str, Any] = {}
        for sub, into in (("defaults", role_defaults), ("vars", role_vars)):
            for ext in ("yml", "yaml"):
                f = f"{role_dir}/{sub}/main.{ext}" if role_dir else None
                if f and f in self.snap.texts:
                    docs = load_documents(self.snap.texts[f], f, self.diags) or []
                    if docs and isinstance(docs[0].data, dict):
                        into.update(ansible._plain(docs[0].data))
                    used[f] = f"ansible-role-{sub}"
        everyone = {h: ansible.host_variables(h, inv, group_files, host_files, role_defaults, role_vars)
                    for h in sorted(inv.hosts)}
        for host in sorted(hosts):
            variables = dict(everyone.get(host) or ansible.host_variables(host, inv, group_files, host_files,
                                                                           role_defaults, role_vars))
            variables["hostvars"] = everyone
            try:
                rendered, origin = ansible.render(text, variables)
            except ansible.TemplateError as exc:
                self.diags.error(Loc(name, exc.line, 1), f"{exc.message} (rendering for {host}); Ansible fails this "
                                 "task, so this host's configuration is not read")
                self.snap.unsupported.append(Unsupported(Loc(name, exc.line, 1), f"template {name} for {host}",
                                                         "not rendered (see the error)", True))
                continue
            dialect = next((d for d, sniff in _router_sniffers() if sniff(rendered)), None)
            if dialect is None:
                self.snap.unsupported.append(Unsupported(Loc(name, 1, 1), f"template {name} for {host}",
                                                         "rendered, but not an FRR or BIRD configuration", False))
                continue
            local = Diagnostics()
            parser = _router_parsers()[dialect]
            cfg = ansible.remap_locs(parser(rendered, name, local), name, origin)
            lines = text.splitlines()
            for d in local:
                d2 = ansible.remap_locs(d, name, origin)
                src = lines[d2.loc.line - 1] if 0 < d2.loc.line <= len(lines) else d2.source_line
                self.diags.add(d2.level, d2.loc, f"{d2.message} (as rendered for {host})", src)
            self.snap.secrets.scan_values(model_secrets(cfg))
            target = host if host in self.snap.cluster.hosts else host.split(".")[0]
            rc = RouterConfig(dialect, name, cfg, host=target)
            self.snap.routers.append(rc)
            self.snap.unsupported.extend(rc.unsupported)

    def _raw_text(self, p: Path, name: str, quiet: bool = False) -> str | None:
        """The file's text, or None with a diagnostic: only regular files are opened (a FIFO would block, a
        device never end), at most MAX_FILE_BYTES are read, and the bytes must be text."""
        if quiet:  # a look ahead (postBuild variables, kustomizations): no diagnostics, the real read reports
            saved_diags, saved_unread = self.diags, list(self.snap.unread)
            self.diags = Diagnostics()
            try:
                text = self._raw_text(p, name)
                if text is not None and not len(self.diags):
                    self._ahead[name] = text  # the real read takes it from here: each file is read once
                return text
            finally:
                self.diags, self.snap.unread = saved_diags, saved_unread
        if name in self._ahead:
            return self._ahead.pop(name)
        if name in self.overlay:
            self.snap.texts[name] = self.overlay[name]
            return self.overlay[name]
        where = self._listed.get(p, p)
        try:
            st = os.stat(p)
        except FileNotFoundError:
            target = os.readlink(p) if os.path.islink(p) else "?"
            self._unread(where, f"dangling symbolic link (to {target})", error=False)
            return None
        except OSError as exc:
            self._unread(where, f"cannot be read ({exc.strerror or exc})")
            return None
        if not stat.S_ISREG(st.st_mode):
            self._unread(where, f"not a regular file ({_file_type(st.st_mode)})", error=False)
            return None
        if st.st_size > MAX_FILE_BYTES:
            self._unread(where, f"{st.st_size:,} bytes, more than podpath reads ({MAX_FILE_BYTES:,})")
            return None
        try:
            fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
            with os.fdopen(fd, "rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # replaced since the stat above
                    self._unread(where, "not a regular file", error=False)
                    return None
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self._unread(where, f"cannot be read ({exc.strerror or exc})")
            return None
        if len(data) > MAX_FILE_BYTES:
            self._unread(where, f"more than podpath reads ({MAX_FILE_BYTES:,} bytes)")
            return None
        text = self._decode(data, name)
        if text is not None:
            self.snap.texts[name] = text
        return text

    def _decode(self, data: bytes, name: str) -> str | None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark (PowerShell's `>`)
            try:
                text = data.decode("utf-16")
            except UnicodeDecodeError:
                self.diags.error(Loc(name, 1, 1), "file starts with a UTF-16 byte-order mark but is not UTF-16 text")
                return None
            self.diags.note(Loc(name, 1, 1), "file is UTF-16 text; read as such (podpath expects UTF-8)")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
                line = data.count(b"\n", 0, start) + 1
                col = start - (data.rfind(b"\n", 0, start) + 1) + 1
                self.diags.error(Loc(name, line, col), "file is not UTF-8 text")
                return None
        nul = text.find("\0")
        if nul >= 0:
            line = text.count("\n", 0, nul) + 1
            col = nul - (text.rfind("\n", 0, nul) + 1) + 1
            self.diags.error(Loc(name, line, col), "file is not text (NUL character)")
            return None
        return text

    # --- classification ---------------------------------------------------------------
    def _read_file(self, p: Path) -> None:
        name = self.display(p)
        text = self._text(p, name)
        if text is None:
            return
        if not text.strip():
            self.diags.warning(Loc(name, 1, 1), "file is empty")
            return
        self._current = p
        from podpath.readers.ansible import TEMPLATE_SUFFIXES

        if p.name.lower().endswith(TEMPLATE_SUFFIXES):  # rendered per host once every file is read
            self.snap.secrets.scan_text(text, name)
            self._templates.append((name, text))
            self.snap.files.append(SnapshotFile(name, "template"))
            return
        kind = self._classify_text(text, p)
        # before any reader can quote a line; YAML keys only where the file may be YAML
        self.snap.secrets.scan_text(text, name, yaml=kind in ("yaml", "maybe-yaml", "unknown"))
        if kind == "maybe-yaml":  # no YAML suffix: read as YAML only if it is a document podpath knows
            kind = "yaml" if self._recognisable_yaml(text, name) else "unknown"
        if kind == "yaml":
            self._read_yaml(text, name)
            return
        self.snap.files.append(SnapshotFile(name, kind))
        if kind == "talosctl-routes":
            routes, nodes = iproute.parse_talosctl_routes(text, name, self.diags)
            self.dumps.append(RouteDump(name, routes, nodes, protocols_known=False))
        elif kind == "ip-route":
            self.dumps.append(RouteDump(name, iproute.parse_ip_route_text(text, name, self.diags)))
        elif kind == "ip-route-json":
            self.dumps.append(RouteDump(name, iproute.parse_ip_route_json(text, name, self.diags)))
        elif kind == "cilium-status":
            self.statuses.append((name, cilium_status.parse_cilium_status(text, name, self.diags)))
        elif kind == "hubble-flows":
            from podpath.readers.hubble import parse_hubble

            self.snap.hubble.append(parse_hubble(text, name, self.diags))
        elif kind in ("frr", "bird"):
            self._read_router(kind, text, name)
        elif kind in ("frr-bgp-json", "birdc-routes"):
            from podpath.readers import observed_rib

            self.snap.observed_ribs.extend(observed_rib.read(kind, text, name, self.diags))
        elif kind == "ifupdown":
            from podpath.readers import ifupdown

            cfg = ifupdown.parse_ifupdown(text, name, self.diags)
            self.host_net.append(cfg)
            self.snap.unsupported.extend(cfg.unsupported)
        elif kind == "keepalived":
            from podpath.readers import keepalived

            cfg = keepalived.parse_keepalived(text, name, self.diags)
            self.snap.vrrp_configs.append(RouterConfig("keepalived", name, cfg))
            self.snap.unsupported.extend(cfg.unsupported)
        else:
            why = ("not a file podpath reads: not Kubernetes/Talos/Cilium Helm YAML, podpath.yaml, an ip/talosctl "
                   "route dump, cilium status output, FRR, BIRD or keepalived configuration")
            self.snap.files[-1].kind = "unknown"
            self.snap.files[-1].why = why
            self.diags.note(Loc(name, 1, 1), why + "; ignored")

    def _classify_text(self, text: str, p: Path) -> str:
        suffix = p.suffix.lower()
        stripped = text.lstrip()
        if suffix == ".json" or stripped.startswith("["):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):  # deep nesting: the YAML reader reports it with a position
                data = None
            if iproute.looks_like_ip_json(data):
                return "ip-route-json"
        from podpath.readers import observed_rib
        from podpath.readers.hubble import looks_like_hubble

        if observed_rib.looks_like_frr_bgp_json(text):
            return "frr-bgp-json"
        if observed_rib.looks_like_birdc_routes(text):
            return "birdc-routes"

        if looks_like_hubble(text):
            return "hubble-flows"
        if suffix in _YAML_SUFFIXES:
            return "yaml"
        if stripped.startswith("#!") or p.name.split(".")[0] in _NOT_YAML_NAMES or suffix in _NOT_YAML_SUFFIXES:
            return "unknown"  # a script, Makefile, Dockerfile, INI/TOML file: never parsed as YAML
        if iproute.looks_like_talosctl_routes(text):
            return "talosctl-routes"
        if cilium_status.looks_like_cilium_status(text):
            return "cilium-status"
        if iproute.looks_like_ip_route(text):
            return "ip-route"
        from podpath.readers.ifupdown import looks_like_ifupdown
        from podpath.readers.keepalived import looks_like_keepalived

        if looks_like_ifupdown(text):
            return "ifupdown"

        if looks_like_keepalived(text):
            return "keepalived"
        for kind, sniff in _router_sniffers():
            if sniff(text):
                return kind
        if re.match(r"(---\s*\n)?\s*[A-Za-z_][\w.-]*\s*:(\s|$)", stripped):
            return "maybe-yaml"
        return "unknown"

    def _recognisable_yaml(self, text: str, name: str) -> bool:
        """A file without a YAML suffix is YAML to podpath only when it parses (silently) and a document in it
        is one podpath reads; `all: build` in a Makefile is not."""
        docs = _documents(text, name, Diagnostics())
        if not docs:
            return False
        for doc in docs:
            d = doc.data
            if (talos.is_machine_config(d) or talos.is_talos_document(d) or iproute.is_talos_route_resource(d)
                    or kubernetes.is_kube_object(d)):
                return True
            if isinstance(d, dict) and self._helm_verdict(d, name, text).values is not None:
                return True
        return False

    def _read_router(self, kind: str, text: str, name: str) -> None:
        parser = _router_parsers().get(kind)
        if parser is None:
            self.snap.unsupported.append(Unsupported(Loc(name, 1, 1), f"{kind} configuration", "reader not available", True))
            self.snap.routers.append(RouterConfig(kind, name, None))
            return
        cfg = _parsed_router(parser, kind, text, name, self.diags) if self.remember else parser(text, name, self.diags)
        self.snap.secrets.scan_values(model_secrets(cfg))
        rc = RouterConfig(kind, name, cfg)
        self.snap.routers.append(rc)
        self.snap.unsupported.extend(rc.unsupported)

    def _read_yaml(self, text: str, name: str) -> None:
        self._text_of = {name: text}
        docs = _documents(text, name, self.diags)
        if docs is None:
            self.snap.files.append(SnapshotFile(name, "invalid-yaml"))
            return
        kinds: list[str] = []
        self._why: list[str] = []
        talos_facts: talos.TalosFacts | None = None
        extensions: list[YamlDoc] = []
        for doc in docs:
            self.snap.secrets.scan_data(doc.data, name)
            kind = self._read_doc(doc, name)
            if kind == "talos-document" and isinstance(doc.data, dict) and doc.data.get("kind") == "ExtensionServiceConfig":
                extensions.append(doc)
            if kind == "talos-machine-config":
                talos_facts = talos.read_machine_config(doc.data, name, self.diags)
                self.talos.append(talos_facts)
            elif kind == "talos-patch":
                patch = next((p for p in self.talos_patches if p.file == name), None)
                if patch is None:
                    patch = talos_patch.TalosPatch(name, doc.loc)
                    self.talos_patches.append(patch)
                if isinstance(doc.data, list):
                    patch.ops = doc.data if patch.ops is None else patch.ops + doc.data
                elif patch.v1 is None:
                    patch.v1 = doc.data
                else:
                    talos_patch.merge(patch.v1, doc.data, name, self.diags)
            elif kind == "talos-document":
                if talos_facts is None:
                    talos_facts = talos.TalosFacts(name, doc.loc)
                    self.talos.append(talos_facts)
                talos.read_talos_document(doc.data, name, self.diags, talos_facts)
            if kind not in kinds:
                kinds.append(kind)
        for doc in extensions:
            hostname = talos_facts.hostname.value if talos_facts is not None and talos_facts.hostname else None
            for dialect in self._extension_routers(doc, name, text, hostname):
                if dialect not in kinds:
                    kinds.append(dialect)
        self.snap.files.append(SnapshotFile(name, "+".join(kinds) if kinds else "empty", None,
                                            "; ".join(dict.fromkeys(self._why)) or None))

    def _extension_routers(self, doc: YamlDoc, name: str, text: str, hostname: str | None) -> list[str]:
        """A Talos ExtensionServiceConfig's `configFiles[].content` holding a BIRD or FRR configuration (the
        bird2/frr system extensions): read as that host's router, at the content's own lines and columns (the
        file's text with every other line blanked: both grammars ignore indentation)."""
        from podpath.readers.yamlsrc import child_list, item_loc

        found: list[str] = []
        files = child_list(doc.data, "configFiles", name, self.diags, "ExtensionServiceConfig")
        lines = text.splitlines()
        for i, cf in enumerate(files):
            if not isinstance(cf, dict) or not isinstance(cf.get("content"), str):
                continue
            content = cf["content"]
            where = value_loc(cf, "content", name)
            mount = str(cf.get("mountPath") or "?")
            dialect = next((d for d, sniff in _router_sniffers() if sniff(content)), None)
            if dialect is None:
                self.snap.unsupported.append(Unsupported(item_loc(files, i, name), f"ExtensionServiceConfig "
                                             f"{doc.data.get('name')} file {mount}", "not a BIRD or FRR configuration; "
                                             "not read", False))
                continue
            start = where.line  # the block's first content line (1-based) follows the `|` indicator
            n = len(content.splitlines())
            here = lines[where.line - 1] if 0 < where.line <= len(lines) else ""
            if here[where.col - 1:].lstrip().startswith(("|", ">")):
                masked = "\n" * start + "\n".join(lines[start:start + n]) + "\n"
            else:  # a quoted or plain scalar: its text, located at the value's line
                masked = "\n" * (where.line - 1) + content
            self._read_router(dialect, masked, name)
            if hostname:
                self.snap.routers[-1].hints = (hostname,)
            found.append(dialect)
        return found

    def _read_doc(self, doc: YamlDoc, name: str) -> str:
        data = doc.data
        if _is_kustomization(data, name):
            self.kustomizations.append((name, data))
            return "kustomization"
        if name in self._k_consumed:  # read as part of a Kustomize build (_build_kustomize)
            self._k_docs.setdefault(name, []).append(data)
            return "kustomize-input"
        if talos.is_machine_config(data):
            return "talos-machine-config"
        if talos.is_talos_document(data):
            return "talos-document"
        from podpath.readers import netplan

        if netplan.is_netplan(data):
            cfg = next((c for c in self.host_net if c.file == name and isinstance(c, netplan.NetplanConfig)), None)
            if cfg is None:
                cfg = netplan.NetplanConfig(name)
                self.host_net.append(cfg)
            n = len(cfg.unsupported)
            netplan.read_netplan(data, name, self.diags, cfg)
            self.snap.unsupported.extend(cfg.unsupported[n:])
            return "netplan"
        if talos_patch.is_strategic_patch(data) or talos_patch.is_json6902(data):
            return "talos-patch"
        if talos_patch.is_talhelper_config(data):
            self.talconfigs.append((name, data))
            return "talhelper-config"
        if iproute.is_talos_route_resource(data):
            route, node = iproute.read_talos_route_resource(data, doc.loc, self.diags)
            dump = next((d for d in self.dumps if d.file == name), None)
            if dump is None:
                dump = RouteDump(name, [])
                self.dumps.append(dump)
            if route is not None:
                dump.routes.append(route)
            if node:
                dump.host_hint.add(node)
            return "talosctl-routes"
        if kubernetes.is_kube_object(data):
            kubernetes.read_object(data, name, self.kube, self.diags)
            return "kubernetes"
        why = "not a Kubernetes object, Talos machine config or podpath.yaml"
        if isinstance(data, dict):
            verdict = self._helm_verdict(data, name, self._text_of.get(name, ""))
            if verdict.values is not None:
                loc = doc.loc if verdict.values is data else node_loc(verdict.values, name)
                self.kube.helm.append(kubernetes.HelmValuesDoc(name, loc, verdict.values, via=verdict.via))
                self._why.append(f"Cilium Helm values: {verdict.why}")
                return "cilium-helm-values"
            why += f", and not Cilium Helm values: {verdict.why}"
        self._why.append(why)
        self.diags.note(doc.loc, f"YAML document not read: {why}")
        return "unknown"

    def _helm_verdict(self, data: dict[str, Any], name: str, text: str) -> recognise.Verdict:
        """Cilium Helm values or not, with the evidence (cilium/recognise.py)."""
        chart_top = chart_mod.top_level_keys() or _FALLBACK_HELM_TOP
        return recognise.judge(data, name, text, self._sibling_context(self._current, name), chart_top)

    def _sibling_context(self, p: Path | None, name: str) -> recognise.Context:
        """What a Chart.yaml, kustomization or Flux HelmRelease in the same directory says about `p`."""
        ctx = recognise.Context()
        if p is None or not self.root.is_dir():
            return ctx
        d = p.parent
        if d not in self._siblings:
            found: list[tuple[str, Path, Any]] = []
            try:
                entries = sorted(q for q in d.iterdir() if q.is_file() and not q.name.startswith("."))
            except OSError:
                entries = []
            for q in entries:
                low = q.name.lower()
                role = ("chart" if low == "chart.yaml" else "kustomization" if low in _KUSTOMIZATION_NAMES
                        else "other" if q.suffix.lower() in (".yaml", ".yml") else None)
                if role is None or q.stat().st_size > 2_000_000:
                    continue
                try:
                    text = q.read_text(encoding="utf-8")
                    if role == "other" and "HelmRelease" not in text:
                        continue
                    docs = list(_SAFE_YAML().load_all(text))
                except Exception:  # a sibling that is not YAML says nothing; its own reading reports it
                    continue
                found.extend((role, q, doc) for doc in docs)
            self._siblings[d] = found
        for role, q, doc in self._siblings[d]:
            if q == p:
                continue
            if role == "chart":
                recognise.chart_yaml_context(doc, ctx)
            elif role == "kustomization":
                recognise.kustomization_context(doc, p.name, ctx)
            else:
                recognise.helmrelease_context(doc, self.display(q), ctx)
        return ctx

    # --- assembly ---------------------------------------------------------------------
    def _assemble(self) -> None:
        cl = self.snap.cluster
        self.snap.unsupported.extend(self.kube.unsupported)
        self.snap.netpol = self.kube.netpol
        for t in self.talos:
            self.snap.unsupported.extend(t.unsupported)
        self._values_from()
        self.snap.helm_values = self.kube.helm
        self.snap.configmaps = self.kube.configmaps
        self.snap.bgp_objects = self.kube.raw_objects
        cl.kinds_seen = self.kube.kinds_seen
        for kind, obj, loc in self.kube.raw_objects:
            self.snap.unsupported.extend(cilium_bgp.unmodelled_fields(kind, obj, loc.file))
        self._nodes()
        self._manifest_hosts()
        self._talos()
        self._host_net()
        self._assign_dumps()
        self._assign_routers()
        self._assign_observed()
        self._segments()
        cl.services = sorted(self.kube.services, key=lambda s: (s.namespace, s.name))
        cl.endpoint_slices = sorted(self.kube.endpoint_slices, key=lambda e: (e.namespace, e.name))
        self.snap.cilium = self._cilium_config()

    def _values_from(self) -> None:
        """Flux `valuesFrom`: each referenced ConfigMap/Secret's values applied before the release's own
        `spec.values` (readers/flux.py), in the order listed; a values file a generator reads is applied there,
        not a second time on its own."""
        from podpath.readers import flux

        if not any(d.values_from for d in self.kube.helm):
            return
        self.kube.helm = list(self.kube.helm)
        objects = [o for obj, file in self.kube.data_objects
                   if (o := flux.read_data_object(obj, file, self.diags, self.snap.texts.get(file, ""))) is not None]
        for file, doc in self.kustomizations:
            objects.extend(flux.generated_objects(doc, file, self.snap.texts, self.diags))
        out: list[kubernetes.HelmValuesDoc] = []
        used_files: set[str] = set()
        for doc in self.kube.helm:
            for ref in doc.values_from:
                obj = flux.find_object(objects, ref.kind, ref.name, doc.namespace)
                if obj is None:
                    self.snap.unsupported.append(flux.unresolved(ref, doc.release or doc.file))
                    continue
                item = obj.items.get(ref.values_key)
                if item is None:
                    (self.diags.note if ref.optional else self.diags.warning)(
                        ref.loc, f"{ref.kind} {ref.name} ({obj.loc}) has no key {ref.values_key!r}; helm-controller "
                        + ("skips this optional reference" if ref.optional else "fails to reconcile the release"))
                    continue
                where = f"{ref.kind} {ref.name} key {ref.values_key}"
                if ref.target_path:
                    data = flux.target_path_document(item.text, ref.target_path, item.loc)
                else:
                    data = flux.values_document(item, where, self.diags)
                if data is None:
                    continue
                if item.file is not None:
                    used_files.add(item.file)
                via = f"HelmRelease {doc.release} valuesFrom {where}"
                out.append(kubernetes.HelmValuesDoc(item.loc.file, node_loc(data, item.loc.file) if not ref.target_path
                                                    else item.loc, data, doc.chart_version, via,
                                                    release=doc.release, namespace=doc.namespace))
                self._why.append(f"Cilium Helm values via {via}")
            if doc.data or doc.chart_version is not None or not doc.values_from:
                out.append(doc)  # (an empty document that only carried the references adds nothing)
        # a values file that a generator feeds in is applied at its place in the release, not again by itself
        self.kube.helm = [d for d in out if not (d.file in used_files and d.release is None)]

    def _nodes(self) -> None:
        cl = self.snap.cluster
        for node in self.kube.nodes:
            if node.name in cl.nodes:
                self.diags.warning(node.loc or Loc("?"), f"node {node.name} is defined more than once; "
                                   f"keeping the first ({cl.nodes[node.name].loc})")
                continue
            cl.nodes[node.name] = node
            cl.host(node.name)
        for name, cidrs, addrs, loc in self.kube.cilium_nodes:
            node = cl.nodes.get(name)
            if node is None:
                node = Node(name, loc)
                cl.nodes[name] = node
                cl.host(name)
            for c in cidrs:
                if all(c.value != p.value for p in node.pod_cidrs):
                    node.pod_cidrs.append(c)
            for a in addrs:
                if all(a.address != b.address for b in node.addresses):
                    node.addresses.append(a)

    def _manifest_hosts(self) -> None:
        m = self.snap.manifest
        if m is None:
            return
        for mh in m.hosts.values():
            host = self.snap.cluster.host(mh.name)
            host.loc = mh.loc
            for iface in mh.interfaces:
                host.interfaces[iface.name] = iface
            for r in mh.routes:
                _add_static_route(host, r)
            if not mh.files and not mh.interfaces and not mh.routes and mh.name not in self.snap.cluster.nodes:
                self.diags.error(mh.loc, f"host {mh.name!r} is named in podpath.yaml but has no files, interfaces "
                                 "or Kubernetes Node")
            for raw, loc in mh.files:
                try:
                    missing = not (self.root / raw).exists()
                except OSError as exc:  # a name too long
                    self.diags.error(loc, f"file {raw!r} of host {mh.name!r} cannot be looked up ({exc.strerror})")
                    continue
                if missing:
                    self.diags.error(loc, f"file {raw!r} of host {mh.name!r} does not exist")

    def _compose_talos(self) -> None:
        """Apply Talos patches to the machine configs they patch (readers/talos_patch.py): one composed config
        per node, every value citing the file it came from. A base no patch uses stays as read."""
        if not self.talos_patches and not self.talconfigs:
            return
        by_file = {p.file: p for p in self.talos_patches}
        bases: list[tuple[talos_patch.TalosBase, talos.TalosFacts]] = []
        kept: list[talos.TalosFacts] = []
        for t in self.talos:
            if t.v1 is None and t.file in by_file:  # Talos documents of a patch file belong to the patch
                by_file[t.file].docs.extend(t.docs)
            elif t.v1 is not None:
                bases.append((talos_patch.TalosBase(t.file, t.loc, t.v1, t.docs), t))
            else:
                kept.append(t)
        talos_files = sorted(set(by_file) | {b.file for b, _ in bases})
        listed: dict[str, list[str]] = {}
        if self.snap.manifest is not None:
            for mh in self.snap.manifest.hosts.values():
                for raw, _ in mh.files:
                    entry = Path(raw).as_posix().lstrip("./").rstrip("/")
                    listed.setdefault(mh.name, []).extend(
                        f for f in talos_files if f == entry or f.startswith(entry + "/"))
        placements = talos_patch.place([b for b, _ in bases], self.talos_patches, self._host_from_path, listed,
                                       self.talconfigs, self.diags)
        used = {id(pl.base) for pl in placements if pl.base is not None}
        out = kept + [t for b, t in bases if id(b) not in used]
        seen = set(self.snap.unsupported)
        for pl in placements:
            c = talos_patch.compose(pl, self.diags)
            facts = talos.read_machine_config(c.v1, c.file, self.diags, talos.TalosFacts(c.file, c.loc))
            for d in c.docs:
                talos.read_talos_document(d, c.file, self.diags, facts)
            facts.host, facts.files = pl.host, c.files
            for u in facts.unsupported:
                if u not in seen:
                    seen.add(u)
                    self.snap.unsupported.append(u)
            out.append(facts)
        self.talos = out

    def _talos(self) -> None:
        cl = self.snap.cluster
        self._compose_talos()
        if not self.talos:
            return
        info = TalosInfo()
        for t in self.talos:
            info.files.extend(f for f in (t.files or [t.file]) if f not in info.files)
            for attr in ("version", "cni", "proxy_disabled", "forward_kube_dns_to_host"):
                if getattr(info, attr) is None and getattr(t, attr) is not None:
                    setattr(info, attr, getattr(t, attr))
            for src, dst in ((t.pod_subnets, cl.pod_subnets), (t.service_subnets, cl.service_subnets)):
                for net in src:
                    if all(net.value != x.value for x in dst):
                        dst.append(net)
            hostname = t.hostname.value if t.hostname else (t.host or self._host_from_path(t.file))
            if hostname and t.interfaces:
                host = cl.host(hostname)
                host.files.extend(t.files or [t.file])
                for iface in t.interfaces:
                    host.interfaces.setdefault(iface.name, iface)
                for r in t.routes:
                    _add_static_route(host, r)
        cl.talos = info

    def _host_net(self) -> None:
        """ifupdown and netplan files: the interfaces, addresses and routes of the host they belong to."""
        for cfg in self.host_net:
            owner = self._owner(cfg.file, set(), "network configuration")
            if owner is None:
                continue
            host = self.snap.cluster.host(owner)
            for iface in cfg.interfaces:
                have = host.interfaces.get(iface.name)
                if have is None:
                    host.interfaces[iface.name] = iface
                else:  # stated elsewhere too (podpath.yaml wins): add what is new
                    have.addresses += [a for a in iface.addresses if all(a.value != b.value for b in have.addresses)]
                    have.mtu = have.mtu or iface.mtu
            for r in cfg.routes:
                _add_static_route(host, r)
            self._set_file_host(cfg.file, owner)

    def _known_hosts(self) -> list[str]:
        return sorted(self.snap.cluster.hosts)

    def _host_from_path(self, file: str) -> str | None:
        """The one known host the file's path names: a directory, the file's stem or a word of it
        (split at `-`, `_`, `.`), else a host name found in the stem between separators
        ("worker-1" in "bird-worker-1.conf"). Found by looking up the path's words and stem pieces
        (not by trying every host: there are thousands)."""
        names = self.snap.cluster.hosts
        if not names:
            return None
        parts = file.split("/")
        tokens = set(parts[:-1])
        stem = parts[-1].rsplit(".", 1)[0]
        tokens.add(stem)
        tokens.update(t for t in re.split(r"[-_.]", stem) if t)
        hits = sorted(t for t in tokens if t in names)
        if len(hits) != 1:
            # a name may itself contain '-' ("worker-1"): look for it as a piece of the stem that
            # starts and ends at a separator (or at the stem's ends)
            starts = [0] + [i + 1 for i, ch in enumerate(stem) if ch in "-_."]
            ends = [i for i, ch in enumerate(stem) if ch in "-_."] + [len(stem)]
            found = {stem[a:b] for a in starts for b in ends if b > a}
            hits = sorted(n for n in found if n in names) or hits
        return hits[0] if len(hits) == 1 else None

    def _manifest_owner(self, file: str) -> str | None:
        m = self.snap.manifest
        if m is None:
            return None
        for mh in m.hosts.values():
            for raw, _ in mh.files:
                if Path(raw).as_posix().lstrip("./") == file or file.startswith(Path(raw).as_posix().rstrip("/") + "/"):
                    return mh.name
        return None

    def _owner(self, file: str, hints: set[str], what: str) -> str | None:
        owner = self._manifest_owner(file)
        if owner:
            return owner
        cl = self.snap.cluster
        by_hint = set()
        for h in hints:
            try:
                node = cl.node_of_address(ipaddress.ip_address(h))
            except ValueError:
                node = cl.nodes.get(h)
            if node is not None:
                by_hint.add(node.name)
            elif h in cl.hosts:
                by_hint.add(h)
        if len(by_hint) == 1:
            return by_hint.pop()
        owner = self._host_from_path(file)
        if owner:
            return owner
        self.diags.error(Loc(file, 1, 1), f"cannot tell which host this {what} belongs to: name the host in the "
                         "file's path (e.g. hosts/<name>/...) or list the file under hosts.<name>.files in podpath.yaml")
        return None

    def _assign_dumps(self) -> None:
        cl = self.snap.cluster
        for dump in self.dumps:
            owner = self._owner(dump.file, dump.host_hint, "route dump")
            if owner is None:
                continue
            host = cl.host(owner)
            if host.routes is None:
                host.routes = RouteTable()
            for r in dump.routes:
                host.routes.add(r)
            computed = [p.value for p in cl.pod_subnets] + [p.value for n in cl.nodes.values() for p in n.pod_cidrs]
            for r in iproute.configured_routes(dump.routes, computed, dump.protocols_known):
                _add_static_route(host, r)  # a fact of the host (its default, static, DHCP/RA routes)
            host.route_files.append(dump.file)
            self._set_file_host(dump.file, owner)
        for file, st in self.statuses:
            hints: set[str] = set()
            for c in st.ipam_cidrs:
                for node in cl.nodes.values():
                    if any(c.value == p.value for p in node.pod_cidrs):
                        hints.add(node.name)
            owner = self._owner(file, hints, "cilium status output")
            if owner is None:
                continue
            cl.host(owner).cilium_status = st
            self._set_file_host(file, owner)
        for hf in self.snap.hubble:  # flows name their node (JSON); otherwise the path or podpath.yaml may
            hf.host = self._manifest_owner(hf.file) or self._host_from_path(hf.file)
            if hf.host is not None:
                self._set_file_host(hf.file, hf.host)

    def _assign_routers(self) -> None:
        for rc in self.snap.vrrp_configs:
            rc.host = self._owner(rc.file, set(), "keepalived configuration")
            if rc.host is not None:
                self._set_file_host(rc.file, rc.host)
        for rc in self.snap.routers:
            if rc.host is not None:  # a rendering of a template for one inventory host
                self.snap.cluster.host(rc.host)
                continue
            hints = {h for h in (getattr(rc.config, "hostname", None), *rc.hints) if h}
            if hints and all(h not in self.snap.cluster.hosts for h in hints):
                hints = set()
            rc.host = self._owner(rc.file, hints, f"{rc.dialect.upper()} configuration")
            if rc.host is not None:
                self._set_file_host(rc.file, rc.host)

    def _assign_observed(self) -> None:
        """A captured BGP table belongs to the host its path or podpath.yaml names, else to the host whose
        daemon has its router-id (a host's routers are known by now)."""
        for rib in self.snap.observed_ribs:
            rib.host = self._manifest_owner(rib.file) or self._host_from_path(rib.file)
            if rib.host is None and rib.router_id:
                owners = {rc.host for rc in self.snap.routers if rc.host and rc.dialect == rib.daemon
                          and rib.router_id in _router_ids(rc.config)}
                rib.host = owners.pop() if len(owners) == 1 else None
            if rib.host is not None:
                self._set_file_host(rib.file, rib.host)

    def _set_file_host(self, file: str, host: str) -> None:
        files = self.snap.files
        index = self._file_index
        if index is None or index[0] != len(files):  # files are only appended while loading
            by_path: dict[str, list[SnapshotFile]] = {}
            for f in files:
                by_path.setdefault(f.path, []).append(f)
            index = self._file_index = (len(files), by_path)
        for f in index[1].get(file, ()):
            f.host = host
        self.snap.cluster.host(host).files.append(file)

    def _segments(self) -> None:
        """Stated segments from the manifest; otherwise infer one per connected
        subnet from interface addresses and connected routes (marked inferred)."""
        cl = self.snap.cluster
        m = self.snap.manifest
        if m is not None and m.segments:
            for seg in m.segments.values():
                cl.segments[seg.name] = seg
            for host in cl.hosts.values():
                for iface in host.interfaces.values():
                    if iface.segment:
                        if iface.segment in cl.segments:
                            cl.segments[iface.segment].members.add(host.name)
                        else:
                            self.diags.error(iface.loc or Loc("podpath.yaml"), f"interface {iface.name} of {host.name} "
                                             f"names unknown segment {iface.segment!r}")
                    else:
                        for seg in cl.segments.values():  # an interface inside a segment prefix is on it
                            if any(a.value.network.subnet_of(p.value) for a in iface.addresses  # type: ignore[arg-type]
                                   for p in seg.prefixes if a.value.version == p.value.version):
                                seg.members.add(host.name)
            for node in cl.nodes.values():  # a node whose address is inside a segment prefix is on it,
                host = cl.hosts.get(node.name)  # unless an interface states which segment carries it
                stated = {a.value.ip for i in (host.interfaces.values() if host else []) if i.segment
                          for a in i.addresses}
                for seg in cl.segments.values():
                    if any(a.address in p.value and a.address not in stated for a in node.addresses
                           for p in seg.prefixes if a.address.version == p.value.version):
                        seg.members.add(node.name)
            return
        subnets: dict[Any, Segment] = {}
        for host in sorted(cl.hosts.values(), key=lambda h: h.name):
            nets = set()
            for iface in host.interfaces.values():
                for a in iface.addresses:
                    if a.value.network.prefixlen < a.value.max_prefixlen and not a.value.is_link_local:
                        nets.add((a.value.network, a.loc))
            if host.routes is not None:
                node = cl.nodes.get(host.name)
                for r in host.routes.routes:
                    if r.is_connected and node is not None and any(a.address in r.dst for a in node.addresses):
                        nets.add((r.dst, r.loc))
            for net, loc in nets:
                seg = subnets.get(net)
                if seg is None:
                    seg = Segment(str(net), [Sourced(net, loc, "derived")], inferred=True)
                    subnets[net] = seg
                seg.members.add(host.name)
        # Dual-stack: two subnets with exactly the same members are one L2 segment.
        merged: dict[frozenset[str], Segment] = {}
        for net in sorted(subnets, key=lambda n: (n.version, int(n.network_address), n.prefixlen)):
            seg = subnets[net]
            key = frozenset(seg.members)
            if key in merged:
                merged[key].prefixes.extend(seg.prefixes)
                merged[key].name += f",{seg.name}"
            else:
                merged[key] = seg
        for seg in merged.values():
            cl.segments[seg.name] = seg

    # --- Cilium -------------------------------------------------------------------------
    def _cilium_config(self) -> CiliumConfig:
        cfg = CiliumConfig()
        cfg.version = self._cilium_version()
        helm_docs = self.kube.helm
        cms = self.kube.configmaps
        cfg.present = bool(helm_docs or cms)
        if len(helm_docs) > 1:  # one HelmRelease's valuesFrom and spec.values are one set, merged as Flux does
            first = helm_docs[0]
            for other in helm_docs[1:]:
                if other.release is not None and other.release == first.release:
                    continue
                self.diags.warning(other.loc, f"more than one set of Cilium Helm values; values are merged in file "
                                   f"order, later files win (first: {first.loc})")
        for doc in helm_docs:
            cfg.helm_files.append(doc.file)
            self._apply_helm(cfg, doc)
        for cm in cms:
            cfg.configmap_files.append(cm.file)
            for key, (value, loc) in sorted(cm.data.items()):
                km = BY_CONFIGMAP.get(key)
                cfg.settings[key] = Setting(key, value, "configmap", loc, km.helm if km else None)
        # The chart writes enable-host-legacy-routing: true when CNI chaining is on.
        chaining = cfg.get("cni-chaining-mode")
        legacy = cfg.get("enable-host-legacy-routing")
        if legacy.is_default and chaining.value not in ("", "none"):
            cfg.settings["enable-host-legacy-routing"] = Setting(
                "enable-host-legacy-routing", "true", "derived", chaining.loc, "bpf.hostLegacyRouting",
                f"the chart writes true because cni.chainingMode={chaining.value}")
        # 1.18+: enableIPv4Masquerade unset defaults to false with ENI IPAM.
        v4m = cfg.get("enable-ipv4-masquerade")
        if v4m.is_default and cfg.version_minor >= (1, 18) and cfg.ipam_mode == "eni":
            cfg.settings["enable-ipv4-masquerade"] = Setting(
                "enable-ipv4-masquerade", "false", "default", None, "enableIPv4Masquerade",
                f"chart default with ipam.mode=eni since 1.18")
        return cfg

    def _apply_helm(self, cfg: CiliumConfig, doc: kubernetes.HelmValuesDoc) -> None:
        from podpath.readers.yamlsrc import value_loc

        data = doc.data
        for km in BY_HELM.values():
            parent_path, _, leaf = km.helm.rpartition(".")
            parent = get_path(data, parent_path) if parent_path else data
            if isinstance(parent, dict) and leaf in parent and parent[leaf] is not None:
                raw = parent[leaf]
                value = km.render(raw)
                if km.configmap in ("enable-ipv4-masquerade", "enable-ipv6-masquerade") and raw == "":
                    continue
                cfg.settings[km.configmap] = Setting(km.configmap, value, "helm", value_loc(parent, leaf, doc.file),
                                                     km.helm, doc.via)
        # encryption.type maps to one of two agent flags
        enc = cfg.settings.get("encryption-enabled")
        if enc is not None and enc.value == "true":
            etype = cfg.get("encryption-type").value or "ipsec"
            key = "enable-wireguard" if etype == "wireguard" else "enable-ipsec"
            cfg.settings[key] = Setting(key, "true", "derived", enc.loc, "encryption.type", f"encryption.type={etype}")
        extra = data.get("extraConfig") if isinstance(data, dict) else None
        if isinstance(extra, dict):
            for key in extra:
                km = BY_CONFIGMAP.get(str(key))
                cfg.settings[str(key)] = Setting(str(key), str(extra[key]), "extraConfig",
                                                 value_loc(extra, key, doc.file), km.helm if km else None,
                                                 "written verbatim into cilium-config by extraConfig")

    def _cilium_version(self) -> Sourced[str]:
        m = self.snap.manifest
        if m is not None and "cilium" in m.versions:
            v = m.versions["cilium"]
        else:
            v = None
            for _, st in sorted(self.statuses, key=lambda s: s[0]):
                if st.version is not None:
                    v = st.version
                    break
            if v is None:
                v = next((d.chart_version for d in self.kube.helm if d.chart_version is not None), None)
        if v is None:
            return Sourced(DEFAULT_VERSION, None, "default")
        if minor(v.value) not in SUPPORTED_VERSIONS:
            self.diags.warning(v.loc or Loc("?"), f"Cilium {v.value} is not a supported version "
                               f"({', '.join(SUPPORTED_VERSIONS)}); using the semantics of the closest one")
            closest = SUPPORTED_VERSIONS[0] if minor(v.value) < SUPPORTED_VERSIONS[0] else SUPPORTED_VERSIONS[-1]
            return Sourced(closest, v.loc, v.origin)
        return v


def _file_type(mode: int) -> str:
    for test, what in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return what
    return "not a regular file"


def _add_static_route(host: Host, route: KernelRoute) -> None:
    """A configured route of `host`, once: the same route stated by its configuration and seen in its dump is
    kept with the configuration's location (read first)."""
    key = (route.dst, route.gateway, route.dev, route.table, route.type)
    if all((r.dst, r.gateway, r.dev, r.table, r.type) != key and not (r.dst == route.dst and r.table == route.table
           and r.gateway == route.gateway and (r.dev is None or route.dev is None)) for r in host.static_routes):
        host.static_routes.append(route)


_BIRD_HINT = re.compile(r"^\s*(protocol\s+(bgp|kernel|device|direct|static|pipe|bfd|ospf)\b|router\s+id\s|"
                        r"filter\s+\w+\s*$|template\s+bgp\b)", re.M)


def _router_ids(cfg: Any) -> set[str]:
    """The router-ids a parsed FRR/BIRD configuration sets (what a captured table's header shows)."""
    out: set[str] = set()
    rid = getattr(cfg, "router_id", None)
    if rid:
        out.add(str(getattr(rid, "value", rid)))
    for inst in (getattr(cfg, "bgp", None) or {}).values():
        r = getattr(inst, "router_id", None)
        if r:
            out.add(str(getattr(r, "value", r)))
    return out


def _is_kustomization(data: Any, name: str) -> bool:
    """A Kustomize kustomization file (its kind, or its conventional name with Kustomize keys)."""
    if not isinstance(data, dict):
        return False
    if data.get("kind") == "Kustomization" and str(data.get("apiVersion", "")).startswith("kustomize.config.k8s.io"):
        return True
    return (name.rsplit("/", 1)[-1] in _KUSTOMIZATION_NAMES and "kind" not in data
            and any(k in data for k in ("resources", "configMapGenerator", "secretGenerator", "helmCharts",
                                        "patches", "namespace", "components")))


def _bird_fallback_sniff(text: str) -> bool:
    """Recognise BIRD configuration even when no BIRD reader is installed, so that it is
    reported as not modelled instead of as an unknown file."""
    return len(_BIRD_HINT.findall(text)) >= 2 and "{" in text


def _router_sniffers() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    try:
        from podpath.readers.frr import looks_like_frr  # type: ignore[attr-defined]

        out.append(("frr", looks_like_frr))
    except ImportError:
        pass
    try:
        from podpath.readers.bird import looks_like_bird  # type: ignore[attr-defined]

        out.append(("bird", looks_like_bird))
    except ImportError:
        out.append(("bird", _bird_fallback_sniff))
    return out


def _router_parsers() -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        from podpath.readers.frr import parse_frr  # type: ignore[attr-defined]

        out["frr"] = parse_frr
    except ImportError:
        pass
    try:
        from podpath.readers.bird import parse_bird  # type: ignore[attr-defined]

        out["bird"] = parse_bird
    except ImportError:
        pass
    return out
