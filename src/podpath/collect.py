"""`podpath collect OUT`: gather a snapshot from a live cluster with the tools an operator already has.

Every source is optional and runs through its own client — `kubectl`, `helm`, `talosctl`, `hubble`, and
`vtysh`/`birdc` behind a per-router command prefix (`ssh pve01 sudo`, `ip netns exec NS`) — with a timeout,
without a shell, stderr captured. A source that is missing, refused or times out is listed with the reason
(in the command's output and in OUT/COLLECTED.md), never a traceback. What is written is what the tools
printed, minus what podpath does not need (managedFields, Pod specs) and, unless `keep_secrets`, with every
password, key and token podpath.redact recognises replaced by `<redacted>`: a snapshot is usually shared
(an issue, a colleague, CI), and podpath needs none of them. Kubernetes Secrets are never requested, and any
that a tool returns are dropped. File names are fixed per source; the collection time is written only to
COLLECTED.md, so two collections of an unchanged network differ only there (and in what the tools print).
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podpath.redact import MARK, Secrets, _STATEMENTS

DEFAULT_TIMEOUT = 60.0
COLLECTED = "COLLECTED.md"
MANIFEST = "podpath.yaml"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Ran:
    """One command's outcome: its output, or why there is none."""

    ok: bool
    stdout: str = ""
    why: str = ""


Runner = Callable[[list[str], float], Ran]


def run_command(argv: list[str], timeout: float) -> Ran:
    """Run `argv` (no shell) with a timeout; every failure becomes a one-line reason."""
    try:
        res = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return Ran(False, why=f"{argv[0]} not found on PATH")
    except subprocess.TimeoutExpired:
        return Ran(False, why=f"timed out after {timeout:g} s")
    except OSError as e:
        return Ran(False, why=f"{argv[0]}: {e.strerror or e}")
    out = res.stdout.decode("utf-8", "replace")
    if res.returncode != 0:
        err = [l.strip() for l in res.stderr.decode("utf-8", "replace").splitlines() if l.strip()]
        tail = err[-1] if err else (out.strip().splitlines() or [""])[-1].strip()
        return Ran(False, out, f"exit status {res.returncode}" + (f": {tail[:300]}" if tail else ""))
    return Ran(True, out)


@dataclass
class Router:
    """A machine running FRR and/or BIRD, reached through `prefix` (empty: this machine)."""

    name: str
    prefix: list[str] = field(default_factory=list)
    vtysh: list[str] = field(default_factory=lambda: ["vtysh"])
    birdc: list[str] = field(default_factory=lambda: ["birdc"])
    bird_config: str = "/etc/bird/bird.conf"

    def argv(self, command: list[str]) -> list[str]:
        """The command behind the prefix; ssh hands its arguments to a remote shell, so they are quoted."""
        if self.prefix and os.path.basename(self.prefix[0]) == "ssh":
            return [*self.prefix, shlex.join(command)]
        return [*self.prefix, *command]


@dataclass
class Options:
    kubernetes: bool = True
    context: str | None = None
    kubeconfig: str | None = None
    cilium_namespace: str = "kube-system"
    helm_release: str = "cilium"
    cilium_status: bool = True
    talos_nodes: list[str] = field(default_factory=list)
    talosconfig: str | None = None
    talos_context: str | None = None
    routers: list[Router] = field(default_factory=list)
    hubble_last: int = 0
    hubble_server: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    keep_secrets: bool = False
    manifest: Path | None = None  # the user's own podpath.yaml (segments, interfaces) to start from


@dataclass
class Item:
    """One thing collect tried: the file it wrote, or why not."""

    what: str
    status: str  # collected | none | not collected | not requested
    file: str | None = None
    command: str = ""
    why: str = ""
    host: str | None = None


@dataclass
class Result:
    out: Path
    items: list[Item] = field(default_factory=list)
    started: str = ""
    redacted: bool = True
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def collected(self) -> list[Item]:
        return [i for i in self.items if i.status == "collected"]

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if i.status in ("not collected", "not requested")]

    def document(self) -> dict[str, Any]:
        return {"schema": "podpath/collect/v1", "out": str(self.out), "collected_at": self.started,
                "redacted": self.redacted, "versions": dict(sorted(self.versions.items())),
                "items": [{k: v for k, v in vars(i).items() if v not in (None, "")} for i in self.items]}


# --- Kubernetes ---------------------------------------------------------------------------------------

# (resource, all namespaces, file, what): the objects podpath reads (readers/kubernetes.py, readers/netpol.py).
_KUBE = [
    ("nodes", False, "kubernetes/nodes.yaml", "Nodes"),
    ("namespaces", False, "kubernetes/namespaces.yaml", "Namespaces"),
    ("services", True, "kubernetes/services.yaml", "Services"),
    ("endpointslices.discovery.k8s.io", True, "kubernetes/endpointslices.yaml", "EndpointSlices"),
    ("pods", True, "kubernetes/pods.yaml", "Pods (metadata, labels, node, IPs)"),
    ("networkpolicies.networking.k8s.io", True, "kubernetes/networkpolicies.yaml", "NetworkPolicies"),
    ("ciliumnodes.cilium.io", False, "kubernetes/cilium/ciliumnodes.yaml", "CiliumNodes"),
    ("ciliumendpoints.cilium.io", True, "kubernetes/cilium/ciliumendpoints.yaml", "CiliumEndpoints"),
    ("ciliumnetworkpolicies.cilium.io", True, "kubernetes/cilium/ciliumnetworkpolicies.yaml",
     "CiliumNetworkPolicies"),
    ("ciliumclusterwidenetworkpolicies.cilium.io", False,
     "kubernetes/cilium/ciliumclusterwidenetworkpolicies.yaml", "CiliumClusterwideNetworkPolicies"),
]
# Cilium's BGP resources (v2alpha1 and v2), when the API server cannot list its own.
_BGP_FALLBACK = ["ciliumbgpadvertisements.cilium.io", "ciliumbgpclusterconfigs.cilium.io",
                 "ciliumbgpnodeconfigoverrides.cilium.io", "ciliumbgpnodeconfigs.cilium.io",
                 "ciliumbgppeerconfigs.cilium.io", "ciliumbgppeeringpolicies.cilium.io"]
_POD_SPEC = ("nodeName", "hostNetwork")
_POD_STATUS = ("phase", "hostIP", "hostIPs", "podIP", "podIPs")
_META_DROP = ("managedFields",)
_ANNOTATION_DROP = ("kubectl.kubernetes.io/last-applied-configuration",)


def _yaml() -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.width = 4096  # never fold a long value across lines
    return y


def _load_yaml(text: str) -> list[Any]:
    return [d for d in _yaml().load_all(text) if d is not None]


def _dump_yaml(docs: list[Any]) -> str:
    buf = io.StringIO()
    _yaml().dump_all(docs, buf)
    return buf.getvalue()


def _items(doc: Any) -> list[Any]:
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        return [i for i in doc["items"] if isinstance(i, dict)]
    return [doc] if isinstance(doc, dict) else []


def _trim(obj: dict[str, Any]) -> dict[str, Any] | None:
    """What podpath needs of one object: never a Secret; no managedFields or last-applied copies; of a Pod
    only its identity, labels, node and addresses (a pod spec is large and holds environment values)."""
    kind = str(obj.get("kind") or "")
    if kind == "Secret":
        return None
    meta = dict(obj.get("metadata") or {})
    for k in _META_DROP:
        meta.pop(k, None)
    if isinstance(meta.get("annotations"), dict):
        ann = {k: v for k, v in meta["annotations"].items() if k not in _ANNOTATION_DROP}
        if ann:
            meta["annotations"] = ann
        else:
            meta.pop("annotations")
    out = dict(obj, metadata=meta)
    if kind == "Pod":
        keep_meta = {k: meta[k] for k in ("name", "namespace", "labels", "ownerReferences") if k in meta}
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        out = {"apiVersion": obj.get("apiVersion", "v1"), "kind": "Pod", "metadata": keep_meta,
               "spec": {k: spec[k] for k in _POD_SPEC if k in spec},
               "status": {k: status[k] for k in _POD_STATUS if k in status}}
    elif kind == "Node" and isinstance(obj.get("status"), dict):
        out["status"] = {k: v for k, v in obj["status"].items() if k != "images"}
    return out


def _unreachable(why: str) -> bool:
    """kubectl cannot talk to any API server: every further request would fail the same way."""
    return any(w in why for w in ("not found on PATH", "Unable to connect", "connection refused", "was refused",
                                  "timed out", "no such host", "i/o timeout",
                                  "no configuration has been provided", "context was not found",
                                  "does not exist"))


# --- Redaction ------------------------------------------------------------------------------------------


def redact_file(text: str, name: str, yaml: bool) -> str:
    """`text` with every secret podpath.redact recognises replaced by MARK, line by line, so the file still
    parses where it did: a quoted BIRD `password "..."` stays quoted, a YAML value stays a scalar."""
    secrets = Secrets()
    secrets.scan_text(text, name, yaml=yaml)
    out = []
    for lineno, line in enumerate(text.split("\n"), 1):
        for pat in _STATEMENTS:
            line = pat.sub(_keep_quotes, line)
        out.append(secrets.at(line, name, lineno))
    return "\n".join(out)


def _keep_quotes(m: re.Match[str]) -> str:
    val = m.group("val")
    q = val[0] if val[:1] in ("'", '"') else ""
    return m.group(0)[: m.start("val") - m.start()] + q + MARK + q


# --- the collector --------------------------------------------------------------------------------------


class Collector:
    """Runs every requested source and keeps the texts to write; `write()` puts them in OUT."""

    def __init__(self, opts: Options, out: Path, runner: Runner = run_command,
                 progress: Callable[[str], None] | None = None) -> None:
        self.opts = opts
        self.out = out
        self.runner = runner
        self.progress = progress or (lambda _m: None)
        self.result = Result(out, redacted=not opts.keep_secrets)
        self.texts: dict[str, tuple[str, bool]] = {}  # file -> (text, is YAML)
        self.hosts: dict[str, dict[str, Any]] = {}  # host -> {"role": ..., "files": [...]}
        self._pods: list[dict[str, Any]] | None = None

    # helpers
    def _run(self, argv: list[str]) -> Ran:
        self.progress(shlex.join(argv))
        return self.runner(argv, self.opts.timeout)

    def _add(self, item: Item, text: str | None = None, yaml: bool = False) -> Item:
        if text is not None and item.file:
            self.texts[item.file] = (text if text.endswith("\n") else text + "\n", yaml)
            if item.host:
                h = self.hosts.setdefault(item.host, {"files": []})
                h["files"].append(item.file)
        self.result.items.append(item)
        return item

    def _missing(self, what: str, argv: list[str] | None, why: str, host: str | None = None,
                 status: str = "not collected") -> Item:
        return self._add(Item(what, status, command=shlex.join(argv) if argv else "", why=why, host=host))

    def collect(self) -> Result:
        self.result.started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if self.opts.kubernetes:
            reachable = self.kubernetes()
            self.helm()
            if reachable:
                self.cilium_status()
            self._missing("Kubernetes Secrets", None, "never collected (podpath needs none)",
                          status="not requested")
        else:
            self._missing("Kubernetes objects, Helm values, cilium status", None, "--no-kubernetes",
                          status="not requested")
        self.hubble()
        self.talos()
        self.routers()
        return self.result

    # Kubernetes
    def _kubectl(self, *args: str) -> list[str]:
        argv = ["kubectl"]
        if self.opts.kubeconfig:
            argv += ["--kubeconfig", self.opts.kubeconfig]
        if self.opts.context:
            argv += ["--context", self.opts.context]
        return argv + list(args)

    def _get_objects(self, resource: str, all_ns: bool, file: str, what: str,
                     namespace: str | None = None, name: str | None = None) -> list[dict[str, Any]] | None:
        args = ["get", resource] + ([name] if name else [])
        args += ["-A"] if all_ns else (["-n", namespace] if namespace else [])
        argv = self._kubectl(*args, "-o", "yaml")
        ran = self._run(argv)
        if not ran.ok:
            why = ran.why
            if "doesn't have a resource type" in why or "the server could not find the requested resource" in why:
                why = "not installed in this cluster (the API server does not serve it)"
            self._missing(what, argv, why)
            return None
        try:
            docs = _load_yaml(ran.stdout)
        except Exception as e:  # the tool printed something that is not YAML: say so, keep going
            self._missing(what, argv, f"output is not YAML ({type(e).__name__}: {str(e).splitlines()[0][:200]})")
            return None
        objs = [o for d in docs for o in _items(d)]
        kept = [t for t in (_trim(o) for o in objs) if t is not None]
        dropped = len(objs) - len(kept)
        if not kept:
            self._add(Item(what, "none", command=shlex.join(argv),
                           why="no objects" + (f" ({dropped} Secret(s) dropped)" if dropped else "")))
            return []
        doc = {"apiVersion": "v1", "kind": "List", "items": kept} if not name else kept[0]
        why = f"{len(kept)} object(s)" + (f"; {dropped} Secret(s) dropped" if dropped else "")
        self._add(Item(what, "collected", file, shlex.join(argv), why), _dump_yaml([doc]), yaml=True)
        return objs

    def kubernetes(self) -> bool:
        """False when the cluster cannot be reached at all (then one line says why, not one per resource)."""
        for resource, all_ns, file, what in _KUBE:
            objs = self._get_objects(resource, all_ns, file, what)
            if resource == "pods":
                self._pods = objs
            if objs is None and resource == "nodes" and _unreachable(self.result.items[-1].why):
                self.result.items[-1].what = "Kubernetes objects (every kind), cilium-config, cilium status"
                return False
        argv = self._kubectl("api-resources", "--api-group=cilium.io", "-o", "name")
        ran = self._run(argv)
        bgp = sorted({r.strip() for r in ran.stdout.splitlines() if "bgp" in r}) if ran.ok else _BGP_FALLBACK
        for resource in bgp:
            plural = resource.split(".", 1)[0]
            self._get_objects(resource, False, f"kubernetes/cilium/bgp/{plural}.yaml", f"Cilium BGP {plural}")
        ns = self.opts.cilium_namespace
        self._get_objects("configmap", False, "kubernetes/cilium/cilium-config.yaml", "cilium-config ConfigMap",
                          namespace=ns, name="cilium-config")
        return True

    def helm(self) -> None:
        argv = ["helm", "get", "values", self.opts.helm_release, "-n", self.opts.cilium_namespace, "-a",
                "-o", "yaml"]
        if self.opts.kubeconfig:
            argv += ["--kubeconfig", self.opts.kubeconfig]
        if self.opts.context:
            argv += ["--kube-context", self.opts.context]
        what = f"Cilium Helm values (release {self.opts.helm_release})"
        ran = self._run(argv)
        if not ran.ok:
            self._missing(what, argv, ran.why)
            return
        if not ran.stdout.strip() or ran.stdout.strip() in ("{}", "null"):
            self._add(Item(what, "none", command=shlex.join(argv), why="no values"))
            return
        self._add(Item(what, "collected", "cilium/values.yaml", shlex.join(argv), "computed values (-a)"),
                  ran.stdout, yaml=True)

    def cilium_status(self) -> None:
        """`cilium-dbg status` in every node's agent: the routing mode, masquerading and IPAM CIDRs it runs."""
        if not self.opts.cilium_status:
            self._missing("cilium status per node", None, "--no-cilium-status", status="not requested")
            return
        ns = self.opts.cilium_namespace
        if self._pods is None:
            self._missing("cilium status per node", None, "the Pods could not be listed (above), so neither "
                          "could the Cilium agents")
            return
        agents = sorted((str((p.get("spec") or {}).get("nodeName")), str(p["metadata"]["name"]))
                        for p in self._pods if (p.get("metadata") or {}).get("namespace") == ns
                        and ((p.get("metadata") or {}).get("labels") or {}).get("k8s-app") == "cilium"
                        and (p.get("spec") or {}).get("nodeName") and (p.get("metadata") or {}).get("name"))
        if not agents:
            self._missing("cilium status per node", None, f"no Cilium agent pods (k8s-app=cilium) in {ns}")
            return
        for node, pod in agents:
            what = f"cilium status on {node}"
            if not _NAME.match(node):
                self._missing(what, None, f"node name {node!r} cannot be a directory name")
                continue
            ran, argv = Ran(False), []
            for binary in ("cilium-dbg", "cilium"):  # cilium-dbg since Cilium 1.15
                argv = self._kubectl("-n", ns, "exec", pod, "-c", "cilium-agent", "--", binary, "status")
                ran = self._run(argv)
                if ran.ok or "executable file not found" not in ran.why + ran.stdout:
                    break
            if ran.ok:
                self._add(Item(what, "collected", f"hosts/{node}/cilium-status.txt", shlex.join(argv), host=node),
                          ran.stdout)
            else:
                self._missing(what, argv, ran.why, host=node)

    def hubble(self) -> None:
        what = "Hubble flows"
        if self.opts.hubble_last <= 0:
            self._missing(what, None, "not requested (--hubble-last N: the last N flows)", status="not requested")
            return
        argv = ["hubble", "observe", "--last", str(self.opts.hubble_last), "-o", "json"]
        if self.opts.hubble_server:
            argv += ["--server", self.opts.hubble_server]
        ran = self._run(argv)
        if not ran.ok:
            self._missing(what, argv, ran.why)
        elif not ran.stdout.strip():
            self._add(Item(what, "none", command=shlex.join(argv), why="no flows"))
        else:
            self._add(Item(what, "collected", "hubble/observe.json", shlex.join(argv)), ran.stdout)

    # Talos
    def _talosctl(self, node: str, *args: str) -> list[str]:
        argv = ["talosctl"]
        if self.opts.talosconfig:
            argv += ["--talosconfig", self.opts.talosconfig]
        if self.opts.talos_context:
            argv += ["--context", self.opts.talos_context]
        return argv + ["-n", node, *args]

    def _talos_hostname(self, node: str) -> str | None:
        ran = self._run(self._talosctl(node, "get", "hostname", "-o", "yaml"))
        if not ran.ok:
            return None
        try:
            for doc in _load_yaml(ran.stdout):
                name = (doc.get("spec") or {}).get("hostname") if isinstance(doc, dict) else None
                if name:
                    return str(name)
        except Exception:
            return None
        return None

    def talos(self) -> None:
        if not self.opts.talos_nodes:
            self._missing("Talos machine configuration and routes", None, "not requested (--talos-nodes)",
                          status="not requested")
            return
        for node in self.opts.talos_nodes:
            host = self._talos_hostname(node)
            if host is not None and not _NAME.match(host):
                host = None
            label = host or re.sub(r"[^A-Za-z0-9._-]", "_", node)  # an IPv6 address: fd00__11
            where = f"hosts/{label}"
            host_of = host  # only a real host name goes into podpath.yaml; an address is matched by content
            argv = self._talosctl(node, "read", "/system/state/config.yaml")
            ran = self._run(argv)
            config = ran.stdout if ran.ok and ran.stdout.strip() else None
            why = ran.why
            if config is None:  # `read` needs os:admin; the MachineConfig resource holds the same documents
                argv2 = self._talosctl(node, "get", "machineconfig", "-o", "yaml")
                ran2 = self._run(argv2)
                config = _machineconfig_spec(ran2.stdout) if ran2.ok else None
                if config is not None:
                    argv = argv2
                else:
                    why += f"; {shlex.join(argv2)}: {ran2.why or 'no machine configuration in the output'}"
            what = f"Talos machine configuration of {label} (with ExtensionServiceConfig documents)"
            if config is not None:
                self._add(Item(what, "collected", f"{where}/talos-config.yaml", shlex.join(argv), host=host_of),
                          config, yaml=True)
            else:
                self._missing(what, argv, why, host=host_of)
            argv = self._talosctl(node, "get", "routes", "-o", "yaml")
            ran = self._run(argv)
            what = f"Talos routes of {label}"
            if ran.ok and ran.stdout.strip():
                self._add(Item(what, "collected", f"{where}/talos-routes.yaml", shlex.join(argv), host=host_of),
                          ran.stdout, yaml=True)
            else:
                self._missing(what, argv, ran.why or "no output", host=host_of)

    # Routers
    def routers(self) -> None:
        if not self.opts.routers:
            self._missing("FRR/BIRD routers", None, "not requested (--router NAME=COMMAND_PREFIX)",
                          status="not requested")
        for r in self.opts.routers:
            self.hosts.setdefault(r.name, {"files": []})["role"] = "router"
            self._frr(r)
            self._bird(r)
            self._kernel_routes(r)

    def _kernel_routes(self, r: Router) -> None:
        """The router's kernel tables: its default and static routes are facts podpath uses for forwarding
        and next-hop resolution; the routes its daemons installed are evidence to compare."""
        for flag, file in (("-4", "ip-route.txt"), ("-6", "ip6-route.txt")):
            argv = r.argv(["ip", flag, "route", "show", "table", "all"])
            ran = self._run(argv)
            what = f"kernel routes (IPv{flag[1]}) of {r.name}"
            if ran.ok and ran.stdout.strip():
                self._add(Item(what, "collected", f"hosts/{r.name}/{file}", shlex.join(argv), host=r.name),
                          ran.stdout)
            elif ran.ok:
                self._add(Item(what, "none", command=shlex.join(argv), why="no routes", host=r.name))
            else:
                self._missing(what, argv, ran.why, host=r.name)

    def _frr(self, r: Router) -> None:
        where = f"hosts/{r.name}"
        argv = r.argv([*r.vtysh, "-c", "show running-config"])
        ran = self._run(argv)
        what = f"FRR running configuration of {r.name}"
        if not ran.ok or "router " not in ran.stdout and "frr version" not in ran.stdout:
            self._missing(what, argv, ran.why or "no FRR configuration in the output", host=r.name)
            return
        self._add(Item(what, "collected", f"{where}/frr.conf", shlex.join(argv), host=r.name), ran.stdout)
        m = re.search(r"^frr version (\S+)", ran.stdout, re.M)
        if m:
            self.result.versions[f"frr@{r.name}"] = m.group(1)
        for afi in ("ipv4", "ipv6"):
            argv = r.argv([*r.vtysh, "-c", f"show bgp vrf all {afi} unicast json"])
            ran = self._run(argv)
            what = f"FRR BGP table ({afi}) of {r.name}"
            if not ran.ok:
                self._missing(what, argv, ran.why, host=r.name)
            elif '"routes"' not in ran.stdout:
                self._add(Item(what, "none", command=shlex.join(argv), why="no BGP table (no `router bgp`, or "
                               "the family is not configured)", host=r.name))
            else:
                self._add(Item(what, "collected", f"{where}/frr-bgp-{afi}.json", shlex.join(argv), host=r.name),
                          ran.stdout)

    def _bird(self, r: Router) -> None:
        where = f"hosts/{r.name}"
        argv = r.argv([*r.birdc, "show", "status"])
        ran = self._run(argv)
        if not ran.ok or "BIRD" not in ran.stdout:
            self._missing(f"BIRD of {r.name}", argv, ran.why or "birdc printed no BIRD status", host=r.name)
            return
        m = re.search(r"BIRD (?:version )?(\d\S*)", ran.stdout)
        if m:
            self.result.versions[f"bird@{r.name}"] = m.group(1)
        argv = r.argv(["cat", r.bird_config])
        ran = self._run(argv)
        what = f"BIRD configuration of {r.name} ({r.bird_config})"
        if ran.ok and ran.stdout.strip():
            self._add(Item(what, "collected", f"{where}/bird.conf", shlex.join(argv), host=r.name), ran.stdout)
            for inc in sorted(set(re.findall(r'^\s*include\s+"([^"]+)"', ran.stdout, re.M))):
                self._missing(f"BIRD include {inc} of {r.name}", None, "include files are not followed: copy "
                              "them into the snapshot", host=r.name)
        else:
            self._missing(what, argv, ran.why or "empty file (give the path with --bird-config NAME=PATH)",
                          host=r.name)
        argv = r.argv([*r.birdc, "show", "route", "all"])
        ran = self._run(argv)
        what = f"BIRD routes of {r.name}"
        if ran.ok and ran.stdout.strip():
            self._add(Item(what, "collected", f"{where}/birdc-routes.txt", shlex.join(argv), host=r.name),
                      ran.stdout)
        else:
            self._missing(what, argv, ran.why or "no output", host=r.name)

    # Writing
    def manifest_text(self) -> str:
        """podpath.yaml: the user's own (if given) with every per-host file listed under hosts.<name>.files,
        so each capture lands on its host whatever the host is called."""
        from ruamel.yaml import YAML

        y = YAML()  # round trip: the user's comments and order are kept
        y.width = 4096
        data: Any = None
        if self.opts.manifest is not None:
            data = y.load(self.opts.manifest.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            from ruamel.yaml.comments import CommentedMap

            data = CommentedMap()
        hosts = data.setdefault("hosts", {})
        if hosts is None:
            hosts = data["hosts"] = {}
        for name in sorted(self.hosts):
            info = self.hosts[name]
            if not info["files"]:
                continue  # nothing of it was collected: no host to invent
            h = hosts.get(name)
            if h is None:
                h = hosts[name] = {}
            if info.get("role") and "role" not in h:
                h["role"] = info["role"]
            files = h.get("files")
            if files is None:
                files = h["files"] = []
            for f in info["files"]:
                if f not in files:
                    files.append(f)
        buf = io.StringIO()
        y.dump(data, buf)
        head = ("# Written by `podpath collect`: which host each captured file belongs to"
                + (f" (merged into {self.opts.manifest.name})" if self.opts.manifest else "") + ".\n")
        return head + buf.getvalue()

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for name, (text, yaml) in sorted(self.texts.items()):
            path = self.out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self.opts.keep_secrets:
                text = redact_file(text, name, yaml)
            path.write_text(text, encoding="utf-8")
        if any(h["files"] for h in self.hosts.values()) or self.opts.manifest is not None:
            (self.out / MANIFEST).write_text(self.manifest_text(), encoding="utf-8")
        (self.out / COLLECTED).write_text(collected_md(self.result), encoding="utf-8")


def _machineconfig_spec(text: str) -> str | None:
    """The machine configuration inside `talosctl get machineconfig -o yaml` (its `spec` is the YAML text)."""
    try:
        docs = _load_yaml(text)
    except Exception:
        return None
    for doc in docs:
        spec = doc.get("spec") if isinstance(doc, dict) else None
        if isinstance(spec, str) and spec.strip():
            return spec
        if isinstance(spec, dict) and spec:
            return _dump_yaml([spec])
    return None


def collected_md(res: Result) -> str:
    """COLLECTED.md: when, what, with which command, and what is missing and why (podpath does not read .md)."""
    lines = ["# podpath collect", "",
             f"Collected at {res.started} (UTC). This is the only time stamp podpath writes; the files hold what "
             "the tools printed.", ""]
    lines.append("Kubernetes Secrets are never collected. " + (
        "Passwords, keys and tokens in the collected files are replaced by `<redacted>` (collect with "
        "--keep-secrets to keep them; a password mismatch between peers is then visible to podpath)."
        if res.redacted else "Collected with --keep-secrets: the files hold passwords, keys and tokens as the "
        "tools printed them. Do not share this snapshot."))
    if res.versions:
        lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(res.versions.items()))]
    lines += ["", "## Collected", "", "| file | what | command |", "|---|---|---|"]
    for i in res.collected:
        lines.append(f"| {i.file} | {i.what}{' (' + i.why + ')' if i.why else ''} | `{i.command}` |")
    none = [i for i in res.items if i.status == "none"]
    if none:
        lines += ["", "## Empty (nothing to collect)", ""]
        lines += [f"- {i.what}: {i.why}" + (f" (`{i.command}`)" if i.command else "") for i in none]
    lines += ["", "## Not collected", ""]
    lines += [f"- {i.what}: {i.why}" + (f" (`{i.command}`)" if i.command else "") for i in res.missing] or ["- nothing"]
    return "\n".join(lines) + "\n"


def parse_router(spec: str) -> Router:
    """`NAME=COMMAND_PREFIX` (the prefix may be empty: this machine)."""
    name, _, prefix = spec.partition("=")
    name = name.strip()
    if not _NAME.match(name):
        raise ValueError(f"--router {spec!r}: NAME must be a host name (letters, digits, '.', '_', '-')")
    try:
        words = shlex.split(prefix)
    except ValueError as e:
        raise ValueError(f"--router {spec!r}: {e}") from None
    return Router(name, words)


def apply_per_router(routers: list[Router], specs: list[str], attr: str, option: str) -> None:
    """`--vtysh`/`--birdc`/`--bird-config` values: `NAME=VALUE` for one router, `VALUE` for all."""
    names = {r.name for r in routers}
    for spec in specs:
        head, sep, rest = spec.partition("=")
        target = head.strip() if sep and head.strip() in names else None
        value = rest if target else spec
        if attr == "bird_config":
            parsed: Any = value.strip()
        else:
            try:
                parsed = shlex.split(value)
            except ValueError as e:
                raise ValueError(f"{option} {spec!r}: {e}") from None
            if not parsed:
                raise ValueError(f"{option} {spec!r}: empty command")
        for r in routers:
            if target is None or r.name == target:
                setattr(r, attr, parsed)


def collect(opts: Options, out: Path, runner: Runner = run_command,
            progress: Callable[[str], None] | None = None) -> Result:
    """Collect every requested source into `out` (created if needed) and return what happened."""
    c = Collector(opts, out, runner, progress)
    c.collect()
    c.write()
    return c.result


def json_document(res: Result) -> str:
    return json.dumps(res.document(), indent=2) + "\n"
