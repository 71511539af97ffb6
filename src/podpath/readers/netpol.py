"""Pods, workloads, CiliumEndpoints, Namespaces and network policies -> model/netpol.py.

Kinds: Pod, Namespace, Deployment/StatefulSet/DaemonSet (their pod templates, joined with EndpointSlice
targetRefs/addresses when the policy set is built), CiliumEndpoint (cilium.io/v2), NetworkPolicy
(networking.k8s.io/v1), CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2). Every value
keeps its file:line; fields podpath does not model become `Unsupported` entries at their line (and make the
verdicts of the policy they are in say so), invalid values are errors the API server would also refuse.

How Cilium translates what is read here is documented in datapath/policy.py.
"""

from __future__ import annotations

from typing import Any

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.model.netpol import (NAMESPACE_LABELS_PREFIX, POD_NAMESPACE_LABEL, CIDRRule, ContainerPort, Endpoint,
                                  Namespace, NetpolModel, PeerSelector, Policy, PolicyRule, PortRule, Requirement,
                                  Selector, as_ip, parse_selector_key)
from podpath.readers.common import parse_address, parse_prefix
from podpath.readers.yamlsrc import child_list, child_map, get_path, item_loc, key_loc, kind_of, node_loc, value_loc

POLICY_KINDS = frozenset({"NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"})
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
KINDS = POLICY_KINDS | WORKLOAD_KINDS | {"Pod", "Namespace", "CiliumEndpoint"}
"""Object kinds this reader takes (readers/kubernetes.py dispatches them here)."""

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_ENTITIES = frozenset({"all", "world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node",
                       "kube-apiserver", "health", "init", "ingress", "unmanaged", "none"})


class _Ctx:
    def __init__(self, file: str, diags: Diagnostics, unsupported: list[Unsupported], what: str) -> None:
        self.file = file
        self.diags = diags
        self.unsupported = unsupported
        self.what = what
        self.local: list[Unsupported] = []

    def unmodelled(self, loc: Loc, statement: str, why: str) -> None:
        u = Unsupported(loc, f"{self.what}: {statement}", why, False)
        self.unsupported.append(u)
        self.local.append(u)

    def error(self, loc: Loc, message: str) -> None:
        self.diags.error(loc, f"{self.what}: {message}")


def read_object(kind: str, obj: Any, file: str, model: NetpolModel, diags: Diagnostics,
                unsupported: list[Unsupported]) -> None:
    """Read one object of a kind in KINDS into `model`."""
    name = get_path(obj, "metadata.name")
    if not name:
        diags.error(node_loc(obj, file), f"{kind} has no metadata.name")
        return
    namespace = str(get_path(obj, "metadata.namespace") or "default")
    ctx = _Ctx(file, diags, unsupported, f"{kind} {'' if kind == 'CiliumClusterwideNetworkPolicy' or kind == 'Namespace' else namespace + '/'}{name}")
    if kind == "Namespace":
        labels = _labels(child_map(obj, "metadata", file, diags), ctx)
        model.namespaces[str(name)] = Namespace(str(name), labels, node_loc(obj, file))
    elif kind == "Pod":
        _read_pod(obj, str(name), namespace, model, ctx)
    elif kind in WORKLOAD_KINDS:
        _read_workload(kind, obj, str(name), namespace, model, ctx)
    elif kind == "CiliumEndpoint":
        _read_cilium_endpoint(obj, str(name), namespace, model, ctx)
    elif kind == "NetworkPolicy":
        _read_network_policy(obj, str(name), namespace, model, ctx)
    else:
        _read_cilium_policy(kind, obj, str(name), None if kind == "CiliumClusterwideNetworkPolicy" else namespace,
                            model, ctx)


# --- endpoints ---------------------------------------------------------------------------------------------
def _labels(meta: Any, ctx: _Ctx) -> dict[str, str]:
    raw = child_map(meta, "labels", ctx.file, ctx.diags, "metadata.labels")
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}


def _container_ports(spec: Any, ctx: _Ctx) -> list[ContainerPort]:
    out: list[ContainerPort] = []
    for key in ("containers", "initContainers"):
        for c in child_list(spec, key, ctx.file, ctx.diags, f"spec.{key}"):
            if not isinstance(c, dict):
                continue
            ports = child_list(c, "ports", ctx.file, ctx.diags, "ports")
            for i, p in enumerate(ports):
                loc = item_loc(ports, i, ctx.file)
                if not isinstance(p, dict) or not p.get("name"):
                    continue
                number = p.get("containerPort")
                if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 65536:
                    ctx.error(loc, f"containerPort {number!r} is not a port number")
                    continue
                out.append(ContainerPort(str(p["name"]), number, str(p.get("protocol") or "TCP").upper(), loc))
    return out


def _read_pod(obj: Any, name: str, namespace: str, model: NetpolModel, ctx: _Ctx) -> None:
    meta = child_map(obj, "metadata", ctx.file, ctx.diags)
    spec = child_map(obj, "spec", ctx.file, ctx.diags)
    status = child_map(obj, "status", ctx.file, ctx.diags)
    ep = Endpoint(namespace, name, _labels(meta, ctx), node=str(spec["nodeName"]) if spec.get("nodeName") else None,
                  ports=_container_ports(spec, ctx), service_account=str(spec.get("serviceAccountName") or "default"),
                  host_network=spec.get("hostNetwork") is True, source="Pod", loc=node_loc(obj, ctx.file))
    ips = child_list(status, "podIPs", ctx.file, ctx.diags, "status.podIPs")
    for i, entry in enumerate(ips):
        loc = item_loc(ips, i, ctx.file)
        raw = entry.get("ip") if isinstance(entry, dict) else None
        ip = parse_address(raw, loc, ctx.diags, "pod IP") if raw is not None else None
        if ip is not None and ip not in ep.ips:
            ep.ips.append(ip)
            ep.ip_locs[ip] = loc
    if not ep.ips and status.get("podIP"):
        loc = value_loc(status, "podIP", ctx.file)
        ip = parse_address(status["podIP"], loc, ctx.diags, "pod IP")
        if ip is not None:
            ep.ips.append(ip)
            ep.ip_locs[ip] = loc
    model.endpoints.append(ep)


def _read_workload(kind: str, obj: Any, name: str, namespace: str, model: NetpolModel, ctx: _Ctx) -> None:
    template = child_map(child_map(obj, "spec", ctx.file, ctx.diags), "template", ctx.file, ctx.diags,
                         "spec.template")
    tmeta = child_map(template, "metadata", ctx.file, ctx.diags, "spec.template.metadata")
    tspec = child_map(template, "spec", ctx.file, ctx.diags, "spec.template.spec")
    labels = _labels(tmeta, ctx)
    sa = str(tspec.get("serviceAccountName") or "default")
    model.templates.append((kind, namespace, name, labels, _container_ports(tspec, ctx), sa,
                            node_loc(template or obj, ctx.file), tspec.get("hostNetwork") is True))


def _read_cilium_endpoint(obj: Any, name: str, namespace: str, model: NetpolModel, ctx: _Ctx) -> None:
    """CiliumEndpoint status: addressing, node and the identity's labels (`k8s:app=x` strings)."""
    status = child_map(obj, "status", ctx.file, ctx.diags)
    networking = child_map(status, "networking", ctx.file, ctx.diags, "status.networking")
    ep = Endpoint(namespace, name, source="CiliumEndpoint", loc=node_loc(obj, ctx.file))
    addressing = child_list(networking, "addressing", ctx.file, ctx.diags, "status.networking.addressing")
    for i, a in enumerate(addressing):
        if not isinstance(a, dict):
            continue
        for fam in ("ipv4", "ipv6"):
            if a.get(fam):
                loc = value_loc(a, fam, ctx.file)
                ip = parse_address(a[fam], loc, ctx.diags, f"CiliumEndpoint {fam}")
                if ip is not None and ip not in ep.ips:
                    ep.ips.append(ip)
                    ep.ip_locs[ip] = loc
    identity = child_map(status, "identity", ctx.file, ctx.diags, "status.identity")
    for raw in child_list(identity, "labels", ctx.file, ctx.diags, "status.identity.labels"):
        source, key = parse_selector_key(str(raw).partition("=")[0])
        value = str(raw).partition("=")[2]
        if source != "k8s" or key == POD_NAMESPACE_LABEL or key.startswith("io.cilium.k8s."):
            continue  # namespace and Cilium-added labels are derived again from the namespace
        ep.labels[key] = value
    sa = [str(raw).partition("=")[2] for raw in child_list(identity, "labels", ctx.file, ctx.diags)
          if str(raw).startswith("k8s:io.cilium.k8s.policy.serviceaccount=")]
    if sa:
        ep.service_account = sa[0]
    model.endpoints.append(ep)


def build_endpoints(model: NetpolModel, snap: Any) -> None:
    """Join what describes pods into one endpoint per pod (once per model): Pod objects first, then
    CiliumEndpoints (their addresses; a CiliumEndpoint without a Pod object is an endpoint of its own), then
    EndpointSlice addresses of pods no object describes, labelled from the workload whose name prefixes the
    pod's (`<deployment>-<hash>-<id>`, `<statefulset>-<n>`, `<daemonset>-<id>`) or whose template the
    Service selects. A workload with no pod known is an endpoint without addresses."""
    if getattr(model, "_built", False):
        return
    model._built = True  # type: ignore[attr-defined]
    by_key: dict[str, Endpoint] = {}
    merged: list[Endpoint] = []
    for ep in sorted(model.endpoints, key=lambda e: (e.source != "Pod", e.key, e.loc or Loc(""))):
        have = by_key.get(ep.key)
        if have is None:
            by_key[ep.key] = ep
            merged.append(ep)
            continue
        for ip in ep.ips:
            if ip not in have.ips:
                have.ips.append(ip)
                have.ip_locs[ip] = ep.ip_locs.get(ip) or ep.loc or Loc("")
        if not have.labels and ep.labels:
            have.labels = dict(ep.labels)
    known_ips = {ip for ep in merged for ip in ep.ips}
    services = {(s.namespace, s.name): s for s in getattr(snap.cluster, "services", [])}
    used_templates: set[tuple[str, str, str]] = set()
    for sl in sorted(getattr(snap.cluster, "endpoint_slices", []), key=lambda s: (s.namespace, s.name)):
        svc = services.get((sl.namespace, sl.service)) if sl.service else None
        for se in sl.endpoints:
            target = getattr(se, "target", None)
            pod_name = str(target).split("/")[-1] if target else None
            ep = by_key.get(f"{sl.namespace}/{pod_name}") if pod_name else None
            if ep is not None:
                if se.address not in ep.ips:
                    ep.ips.append(se.address)
                    ep.ip_locs[se.address] = se.loc or sl.loc or Loc("")
                if ep.node is None and se.node:
                    ep.node = se.node
                continue
            if se.address in known_ips:
                continue
            tpl = _template_for(model, sl.namespace, pod_name, getattr(svc, "selector", None))
            name = pod_name or f"{sl.service or sl.name}@{se.address}"
            if tpl is not None:
                kind, ns, wname, labels, ports, sa, tloc, host_net = tpl
                used_templates.add((kind, ns, wname))
                ep = Endpoint(sl.namespace, name, dict(labels), [se.address], se.node, list(ports), sa, host_net,
                              kind, tloc, {se.address: se.loc or sl.loc or Loc("")})
            else:
                ep = Endpoint(sl.namespace, name, {}, [se.address], se.node, source="EndpointSlice",
                              loc=se.loc or sl.loc, ip_locs={se.address: se.loc or sl.loc or Loc("")})
            by_key[ep.key] = ep
            merged.append(ep)
            known_ips.add(se.address)
    for kind, ns, wname, labels, ports, sa, tloc, host_net in model.templates:
        if (kind, ns, wname) in used_templates:
            continue
        if any(e.namespace == ns and e.source == "Pod" and _owned_by(wname, kind, e.name) for e in merged):
            continue
        key = f"{ns}/{wname}"
        if key not in by_key:
            ep = Endpoint(ns, wname, dict(labels), [], None, list(ports), sa, host_net, kind, tloc)
            by_key[key] = ep
            merged.append(ep)
    model.endpoints = merged


def _owned_by(workload: str, kind: str, pod: str) -> bool:
    if not pod.startswith(workload + "-"):
        return False
    rest = pod[len(workload) + 1:].split("-")
    if kind == "StatefulSet":
        return len(rest) == 1 and rest[0].isdigit()
    if kind == "DaemonSet":
        return len(rest) == 1
    return len(rest) == 2  # Deployment: <replicaset hash>-<id>


def _template_for(model: NetpolModel, namespace: str, pod: str | None, selector: dict[str, str] | None) -> Any:
    cands = [t for t in model.templates if t[1] == namespace]
    if pod:
        owned = [t for t in cands if _owned_by(t[2], t[0], pod)]
        if owned:
            return max(owned, key=lambda t: len(t[2]))
    if selector:
        matching = [t for t in cands if all(t[3].get(k) == str(v) for k, v in selector.items())]
        if len(matching) == 1:
            return matching[0]
    return None


# --- selectors -----------------------------------------------------------------------------------------------
def _selector(parent: Any, key: str, ctx: _Ctx, cilium: bool) -> Selector | None:
    """A label selector under `key`; None (after an error) when invalid. Plain Kubernetes selectors get the
    `k8s` source, Cilium's keep the source their keys name (`any` when none)."""
    raw = parent.get(key) if isinstance(parent, dict) else None
    return _selector_value(raw, value_loc(parent, key, ctx.file), key, ctx, cilium)


def _selector_value(raw: Any, loc: Loc, key: str, ctx: _Ctx, cilium: bool) -> Selector | None:
    if raw is None:
        return Selector((), loc)
    if not isinstance(raw, dict):
        ctx.error(loc, f"{key} must be a mapping, not {kind_of(raw)}")
        return None
    reqs: list[Requirement] = []
    ok = True
    for k in raw:
        if k not in ("matchLabels", "matchExpressions"):
            ctx.error(key_loc(raw, str(k), ctx.file), f"{key}.{k} is not a field of a label selector")
            ok = False
    labels = raw.get("matchLabels")
    if labels is not None and not isinstance(labels, dict):
        ctx.error(value_loc(raw, "matchLabels", ctx.file), "matchLabels must be a mapping")
        return None
    for k, v in (labels or {}).items():
        if isinstance(v, (dict, list)):
            ctx.error(value_loc(labels, str(k), ctx.file), f"matchLabels value of {k} must be a string")
            ok = False
            continue
        source, name = parse_selector_key(str(k)) if cilium else ("k8s", str(k))
        reqs.append(Requirement(source, name, "In", ("" if v is None else str(v),)))
    exprs = raw.get("matchExpressions")
    if exprs is not None and not isinstance(exprs, list):
        ctx.error(value_loc(raw, "matchExpressions", ctx.file), "matchExpressions must be a list")
        return None
    for i, e in enumerate(exprs or []):
        eloc = item_loc(exprs, i, ctx.file)
        if not isinstance(e, dict) or not e.get("key"):
            ctx.error(eloc, "a matchExpressions entry needs a key")
            ok = False
            continue
        op = str(e.get("operator"))
        values = e.get("values")
        if op not in _OPERATORS:
            ctx.error(value_loc(e, "operator", ctx.file), f"operator {op!r} is not one of {', '.join(_OPERATORS)}")
            ok = False
            continue
        if values is not None and not isinstance(values, list):
            ctx.error(value_loc(e, "values", ctx.file), "values must be a list")
            ok = False
            continue
        if op in ("In", "NotIn") and not values:
            ctx.error(eloc, f"operator {op} needs values")
            ok = False
            continue
        if op in ("Exists", "DoesNotExist") and values:
            ctx.error(value_loc(e, "values", ctx.file), f"operator {op} takes no values")
            ok = False
            continue
        source, name = parse_selector_key(str(e["key"])) if cilium else ("k8s", str(e["key"]))
        reqs.append(Requirement(source, name, op, tuple(str(v) for v in values or ())))
    return Selector(tuple(reqs), loc) if ok else None


def _describe(sel: Selector) -> str:
    parts = []
    for r in sel.requirements:
        k = r.key if r.source in ("any", "k8s") else f"{r.source}:{r.key}"
        if r.operator == "In" and len(r.values) == 1:
            parts.append(f"{k}={r.values[0]}")
        elif r.operator in ("Exists", "DoesNotExist"):
            parts.append(f"{'' if r.operator == 'Exists' else '!'}{k}")
        else:
            parts.append(f"{k} {r.operator} ({','.join(r.values)})")
    return ", ".join(parts) or "all"


# --- Kubernetes NetworkPolicy --------------------------------------------------------------------------------
_NP_SPEC = frozenset({"podSelector", "policyTypes", "ingress", "egress"})


def _read_network_policy(obj: Any, name: str, namespace: str, model: NetpolModel, ctx: _Ctx) -> None:
    if obj.get("spec") is not None and not isinstance(obj.get("spec"), dict):
        child_map(obj, "spec", ctx.file, ctx.diags)  # the error
        return
    spec = child_map(obj, "spec", ctx.file, ctx.diags)
    for k in spec:
        if k not in _NP_SPEC:
            ctx.unmodelled(key_loc(spec, str(k), ctx.file), f"spec.{k}", "not a NetworkPolicy v1 field podpath models")
    if "podSelector" not in spec:
        ctx.error(key_loc(obj, "spec", ctx.file), "spec.podSelector is required (use {} to select every pod)")
        return
    selector = _selector(spec, "podSelector", ctx, cilium=False)
    if selector is None:
        return
    raw_types = child_list(spec, "policyTypes", ctx.file, ctx.diags, "spec.policyTypes")
    types: set[str] = set()
    for i, t in enumerate(raw_types):
        if str(t) not in ("Ingress", "Egress"):
            ctx.error(item_loc(raw_types, i, ctx.file), f"policyTypes entry {t!r} is not Ingress or Egress")
            return
        types.add(str(t).lower())
    if not raw_types:  # the API server's default (networking/v1 SetDefaults_NetworkPolicy)
        types = {"ingress"} | ({"egress"} if spec.get("egress") else set())
    policy = Policy("NetworkPolicy", name, namespace, selector, node_loc(obj, ctx.file), enforces=set(types))
    for direction, key, peers_key in (("ingress", "ingress", "from"), ("egress", "egress", "to")):
        rules = child_list(spec, key, ctx.file, ctx.diags, f"spec.{key}")
        if rules and direction not in types:
            ctx.diags.warning(key_loc(spec, key, ctx.file), f"{ctx.what}: spec.{key} is ignored: policyTypes does "
                              f"not list {direction.capitalize()}")
            continue
        for i, r in enumerate(rules):
            rloc = item_loc(rules, i, ctx.file)
            if r is None:
                r = {}
            if not isinstance(r, dict):
                ctx.error(rloc, f"an {key} rule must be a mapping")
                return
            for k in r:
                if k not in (peers_key, "ports"):
                    ctx.unmodelled(key_loc(r, str(k), ctx.file), f"{key}[{i}].{k}", "not a NetworkPolicy rule field")
            peers = _np_peers(r, peers_key, namespace, ctx)
            ports = _np_ports(r, ctx) if peers is not None else False
            if peers is None or ports is False:
                return  # the API server refuses the object: nothing of it is enforced
            policy.rules.append(PolicyRule(direction, False, peers, ports, rloc, index=i))  # type: ignore[arg-type]
    policy.unsupported = list(ctx.local)
    model.policies.append(policy)


def _np_peers(rule: dict[Any, Any], key: str, namespace: str, ctx: _Ctx) -> tuple[PeerSelector, ...] | None:
    raw = rule.get(key)
    if raw is None or raw == []:
        return (PeerSelector(all=True, what=f"any {'source' if key == 'from' else 'destination'}",
                             loc=key_loc(rule, key, ctx.file) if key in rule else None),)
    if not isinstance(raw, list):
        ctx.error(value_loc(rule, key, ctx.file), f"{key} must be a list")
        return None
    out: list[PeerSelector] = []
    for i, p in enumerate(raw):
        loc = item_loc(raw, i, ctx.file)
        if not isinstance(p, dict) or not p:
            ctx.error(loc, "a peer needs podSelector, namespaceSelector or ipBlock")
            return None
        for k in p:
            if k not in ("podSelector", "namespaceSelector", "ipBlock"):
                ctx.unmodelled(key_loc(p, str(k), ctx.file), f"{key}[{i}].{k}", "not a NetworkPolicy peer field")
        if "ipBlock" in p:
            if "podSelector" in p or "namespaceSelector" in p:
                ctx.error(loc, "a peer may not combine ipBlock with podSelector or namespaceSelector")
                return None
            block = p["ipBlock"]
            if not isinstance(block, dict) or not block.get("cidr"):
                ctx.error(value_loc(p, "ipBlock", ctx.file), "ipBlock needs a cidr")
                return None
            cidr = parse_prefix(block["cidr"], value_loc(block, "cidr", ctx.file), ctx.diags, "ipBlock cidr")
            if cidr is None:
                return None
            excepts = []
            ex = child_list(block, "except", ctx.file, ctx.diags, "ipBlock.except")
            for j, e in enumerate(ex):
                net = parse_prefix(e, item_loc(ex, j, ctx.file), ctx.diags, "ipBlock except")
                if net is None:
                    return None
                if net.version != cidr.version or not net.subnet_of(cidr):  # type: ignore[arg-type]
                    ctx.error(item_loc(ex, j, ctx.file), f"except {net} is not inside cidr {cidr}")
                    return None
                excepts.append(net)
            what = f"ipBlock {cidr}" + (f" except {', '.join(map(str, excepts))}" if excepts else "")
            out.append(PeerSelector(cidr=CIDRRule(cidr, tuple(excepts), loc), what=what, loc=loc))
            continue
        pods = _selector(p, "podSelector", ctx, cilium=False) if "podSelector" in p else Selector()
        if pods is None:
            return None
        if "namespaceSelector" in p:
            ns = _selector(p, "namespaceSelector", ctx, cilium=False)
            if ns is None:
                return None
            reqs = tuple(Requirement("k8s", NAMESPACE_LABELS_PREFIX + r.key, r.operator, r.values)
                         for r in ns.requirements) or (Requirement("k8s", POD_NAMESPACE_LABEL, "Exists"),)
            what = f"namespaceSelector {_describe(ns)}" + (f" and podSelector {_describe(pods)}" if "podSelector" in p
                                                          else "")
        else:
            reqs = (Requirement("k8s", POD_NAMESPACE_LABEL, "In", (namespace,)),)
            what = f"podSelector {_describe(pods)} in {namespace}"
        out.append(PeerSelector(endpoints=Selector(reqs + pods.requirements, loc), what=what, loc=loc))
    return tuple(out)


def _np_ports(rule: dict[Any, Any], ctx: _Ctx) -> tuple[PortRule, ...] | None | bool:
    raw = child_list(rule, "ports", ctx.file, ctx.diags, "ports")
    if not raw:
        return None
    out: list[PortRule] = []
    for i, p in enumerate(raw):
        loc = item_loc(raw, i, ctx.file)
        if not isinstance(p, dict):
            ctx.error(loc, "a port must be a mapping")
            return False
        for k in p:
            if k not in ("port", "endPort", "protocol"):
                ctx.unmodelled(key_loc(p, str(k), ctx.file), f"ports[{i}].{k}", "not a NetworkPolicyPort field")
        proto = str(p.get("protocol") or "TCP").upper()
        if proto not in ("TCP", "UDP", "SCTP"):
            ctx.error(value_loc(p, "protocol", ctx.file), f"protocol {proto!r} is not TCP, UDP or SCTP")
            return False
        parsed = _port_value(p, "port", loc, ctx)
        if parsed is False:
            return False
        number, name = parsed  # type: ignore[misc]
        end = p.get("endPort")
        if end is not None:
            if number is None or not isinstance(end, int) or isinstance(end, bool) or not number <= end < 65536:
                ctx.error(value_loc(p, "endPort", ctx.file), "endPort needs a numeric port and must be at least it")
                return False
        out.append(PortRule(proto, number, end, name, loc))
    return tuple(out)


def _port_value(p: dict[Any, Any], key: str, loc: Loc, ctx: _Ctx) -> tuple[int | None, str | None] | bool:
    """(number, name) of a port field: a number, a numeric string (Cilium writes ports as strings) or a
    named port. 0 (Cilium) means every port."""
    raw = p.get(key)
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        ctx.error(value_loc(p, key, ctx.file), f"port {raw!r} is not a port number or name")
        return False
    text = str(raw).strip()
    if text.isdigit():
        number = int(text)
        if not 0 <= number < 65536:
            ctx.error(value_loc(p, key, ctx.file), f"port {number} is out of range")
            return False
        return (number or None), None
    if not text or len(text) > 15 or not any(c.isalpha() for c in text):
        ctx.error(value_loc(p, key, ctx.file), f"port {text!r} is not a port number or a port name")
        return False
    return None, text


# --- Cilium policies -----------------------------------------------------------------------------------------
_CNP_SPEC = frozenset({"endpointSelector", "nodeSelector", "ingress", "ingressDeny", "egress", "egressDeny",
                       "enableDefaultDeny", "description", "labels"})
_FROM = {"ingress": ("fromEndpoints", "fromEntities", "fromCIDR", "fromCIDRSet"),
         "egress": ("toEndpoints", "toEntities", "toCIDR", "toCIDRSet")}
_UNMODELLED_PEERS = {"fromRequires", "toRequires", "fromGroups", "toGroups", "fromNodes", "toNodes", "toServices",
                     "toFQDNs", "icmps", "authentication"}


def _read_cilium_policy(kind: str, obj: Any, name: str, namespace: str | None, model: NetpolModel,
                        ctx: _Ctx) -> None:
    specs: list[tuple[Any, int | None]] = []
    if "spec" in obj:
        specs.append((child_map(obj, "spec", ctx.file, ctx.diags), None))
    raw_specs = child_list(obj, "specs", ctx.file, ctx.diags)
    for i, s in enumerate(raw_specs):
        if not isinstance(s, dict):
            ctx.error(item_loc(raw_specs, i, ctx.file), "a specs entry must be a mapping")
            continue
        specs.append((s, i))
    if not specs:
        ctx.error(node_loc(obj, ctx.file), "has neither spec nor specs")
    for spec, index in specs:
        ctx.local = []
        policy = _cilium_spec(kind, obj, spec, index, name, namespace, ctx)
        if policy is not None:
            policy.unsupported = list(ctx.local)
            model.policies.append(policy)


def _cilium_spec(kind: str, obj: Any, spec: Any, index: int | None, name: str, namespace: str | None,
                 ctx: _Ctx) -> Policy | None:
    where = "spec" if index is None else f"specs[{index}]"
    for k in spec:
        if k not in _CNP_SPEC:
            ctx.unmodelled(key_loc(spec, str(k), ctx.file), f"{where}.{k}", "not a Cilium policy field podpath models")
    loc = node_loc(obj, ctx.file) if index is None or not spec else node_loc(spec, ctx.file)
    if ("endpointSelector" in spec) == ("nodeSelector" in spec):
        ctx.error(loc, f"{where} needs exactly one of endpointSelector and nodeSelector")
        return None
    if "nodeSelector" in spec:
        ctx.unmodelled(key_loc(spec, "nodeSelector", ctx.file), f"{where}.nodeSelector",
                       "host firewall policies (nodeSelector) are not modelled")
        sel = _selector(spec, "nodeSelector", ctx, cilium=True)
        if sel is None:
            return None
        return Policy(kind, name, namespace, sel, loc, spec_index=index, selects_nodes=True)
    sel = _selector(spec, "endpointSelector", ctx, cilium=True)
    if sel is None:
        return None
    default_deny = {"ingress": True, "egress": True}
    dd = child_map(spec, "enableDefaultDeny", ctx.file, ctx.diags, f"{where}.enableDefaultDeny")
    for k in dd:
        if str(k) not in default_deny or not isinstance(dd[k], bool):
            ctx.error(value_loc(dd, str(k), ctx.file), f"enableDefaultDeny.{k} must be ingress/egress: true|false")
            return None
        default_deny[str(k)] = dd[k]
    matches_init = sel.has_key(("reserved", "init"))
    policy = Policy(kind, name, namespace, sel, loc, spec_index=index)
    for direction in ("ingress", "egress"):
        has_rules = False
        for key, deny in ((direction, False), (f"{direction}Deny", True)):
            rules = child_list(spec, key, ctx.file, ctx.diags, f"{where}.{key}")
            for i, r in enumerate(rules):
                has_rules = True
                rule = _cilium_rule(r, direction, deny, i, f"{where}.{key}[{i}]", item_loc(rules, i, ctx.file),
                                    namespace, matches_init, ctx)
                if rule is None:
                    return None  # refused by the CRD's validation: nothing of it is enforced
                policy.rules.append(rule)
        if has_rules and default_deny[direction]:
            policy.enforces.add(direction)
        elif has_rules:
            # rules without default deny still turn enforcement on (Cilium adds an allow-all beside them)
            pass
    return policy


def _cilium_rule(r: Any, direction: str, deny: bool, index: int, where: str, loc: Loc, namespace: str | None,
                 matches_init: bool, ctx: _Ctx) -> PolicyRule | None:
    if r is None:
        r = {}
    if not isinstance(r, dict):
        ctx.error(loc, f"{where} must be a mapping")
        return None
    peers: list[PeerSelector] = []
    endpoints_key, entities_key, cidr_key, cidrset_key = _FROM[direction]
    valid = set(_FROM[direction]) | {"toPorts"} | _UNMODELLED_PEERS
    for k in r:
        if k not in valid:
            ctx.error(key_loc(r, str(k), ctx.file), f"{where}.{k} is not a field of a Cilium {direction} rule")
            return None
        if k in _UNMODELLED_PEERS:
            ctx.unmodelled(key_loc(r, str(k), ctx.file), f"{where}.{k}", "not modelled: the rule may match more "
                           "than podpath says")
    seps = child_list(r, endpoints_key, ctx.file, ctx.diags, f"{where}.{endpoints_key}")
    for i, raw_sel in enumerate(seps):
        sel = _selector_value(raw_sel if raw_sel is not None else {}, item_loc(seps, i, ctx.file), endpoints_key, ctx,
                              cilium=True)
        if sel is None:
            return None
        sel = _scope_peer_selector(sel, namespace, matches_init)
        peers.append(PeerSelector(endpoints=sel, what=f"{endpoints_key} {_describe(sel)}", loc=item_loc(seps, i, ctx.file)))
    ents = child_list(r, entities_key, ctx.file, ctx.diags, f"{where}.{entities_key}")
    for i, e in enumerate(ents):
        if str(e) not in _ENTITIES:
            ctx.error(item_loc(ents, i, ctx.file), f"{entities_key} {e!r} is not a Cilium entity "
                      f"({', '.join(sorted(_ENTITIES))})")
            return None
    if ents:
        peers.append(PeerSelector(entities=tuple(str(e) for e in ents), what=f"{entities_key} {', '.join(map(str, ents))}",
                                  loc=value_loc(r, entities_key, ctx.file)))
    cidrs = child_list(r, cidr_key, ctx.file, ctx.diags, f"{where}.{cidr_key}")
    for i, c in enumerate(cidrs):
        cloc = item_loc(cidrs, i, ctx.file)
        net = _cidr(c, cloc, ctx)
        if net is None:
            return None
        peers.append(PeerSelector(cidr=CIDRRule(net, (), cloc), what=f"{cidr_key} {net}", loc=cloc))
    sets = child_list(r, cidrset_key, ctx.file, ctx.diags, f"{where}.{cidrset_key}")
    for i, s in enumerate(sets):
        sloc = item_loc(sets, i, ctx.file)
        if not isinstance(s, dict):
            ctx.error(sloc, f"a {cidrset_key} entry must be a mapping")
            return None
        if "cidr" not in s:
            ctx.unmodelled(sloc, f"{where}.{cidrset_key}[{i}]", "CIDR groups (cidrGroupRef/cidrGroupSelector) are not "
                           "modelled")
            continue
        net = _cidr(s["cidr"], value_loc(s, "cidr", ctx.file), ctx)
        if net is None:
            return None
        excepts = []
        ex = child_list(s, "except", ctx.file, ctx.diags, "except")
        for j, e in enumerate(ex):
            en = _cidr(e, item_loc(ex, j, ctx.file), ctx)
            if en is None:
                return None
            excepts.append(en)
        what = f"{cidrset_key} {net}" + (f" except {', '.join(map(str, excepts))}" if excepts else "")
        peers.append(PeerSelector(cidr=CIDRRule(net, tuple(excepts), sloc), what=what, loc=sloc))
    ports, l7 = _cilium_ports(r, where, deny, ctx)
    if ports is False:
        return None
    has_l3 = any(k in r for k in _FROM[direction]) or any(k in r for k in _UNMODELLED_PEERS - {"icmps", "authentication"})
    if not has_l3 and ports is not None:
        peers.append(PeerSelector(all=True, what="any peer (toPorts only)"))
    return PolicyRule(direction, deny, tuple(peers), ports, loc, l7, index)  # type: ignore[arg-type]


def _scope_peer_selector(sel: Selector, namespace: str | None, matches_init: bool) -> Selector:
    """Cilium's getEndpointSelector (pkg/k8s/apis/cilium.io/utils/utils.go): selectors on reserved labels stay
    as written; one without a namespace requirement is confined to the policy's namespace (unless it selects
    on namespace labels), or for a clusterwide policy to endpoints that have a namespace."""
    if any(r.source == "reserved" for r in sel.requirements):
        return sel
    if sel.has_key(("k8s", POD_NAMESPACE_LABEL)):
        return sel
    if namespace is None:
        if matches_init:
            return sel
        return sel.with_requirement(Requirement("k8s", POD_NAMESPACE_LABEL, "Exists"))
    if any(r.key.startswith(NAMESPACE_LABELS_PREFIX) for r in sel.requirements):
        return sel
    return sel.with_requirement(Requirement("k8s", POD_NAMESPACE_LABEL, "In", (namespace,)))


def _cidr(raw: Any, loc: Loc, ctx: _Ctx) -> Any:
    text = str(raw).strip()
    ip = as_ip(text)
    if ip is not None:
        text = f"{text}/{ip.max_prefixlen}"
    return parse_prefix(text, loc, ctx.diags, "CIDR")


def _cilium_ports(r: dict[Any, Any], where: str, deny: bool, ctx: _Ctx) -> tuple[Any, bool]:
    raw = child_list(r, "toPorts", ctx.file, ctx.diags, f"{where}.toPorts")
    if not raw:
        return None, False
    out: list[PortRule] = []
    l7 = False
    for i, entry in enumerate(raw):
        eloc = item_loc(raw, i, ctx.file)
        if not isinstance(entry, dict):
            ctx.error(eloc, "a toPorts entry must be a mapping")
            return False, False
        for k in entry:
            if k == "rules":
                l7 = True
                ctx.unmodelled(key_loc(entry, "rules", ctx.file), f"{where}.toPorts[{i}].rules",
                               "L7 rules: allowed at L4 here, the proxy's per-request verdict is not modelled")
            elif k != "ports":
                ctx.unmodelled(key_loc(entry, str(k), ctx.file), f"{where}.toPorts[{i}].{k}", "not modelled")
        ports = child_list(entry, "ports", ctx.file, ctx.diags, "toPorts.ports")
        if not ports:
            out.append(PortRule("ANY", None, None, None, eloc))
        for j, p in enumerate(ports):
            ploc = item_loc(ports, j, ctx.file)
            if not isinstance(p, dict):
                ctx.error(ploc, "a port must be a mapping")
                return False, False
            proto = str(p.get("protocol") or "ANY").upper()
            if proto not in ("TCP", "UDP", "SCTP", "ANY"):
                ctx.error(value_loc(p, "protocol", ctx.file), f"protocol {proto!r} is not TCP, UDP, SCTP or ANY")
                return False, False
            parsed = _port_value(p, "port", ploc, ctx)
            if parsed is False:
                return False, False
            number, name = parsed  # type: ignore[misc]
            end = p.get("endPort")
            if end is not None and (not isinstance(end, int) or isinstance(end, bool) or number is None
                                    or end < number or end > 65535):
                ctx.error(value_loc(p, "endPort", ctx.file), "endPort needs a numeric port and must be at least it")
                return False, False
            out.append(PortRule(proto, number, end or None, name, ploc))
    return tuple(out), l7
