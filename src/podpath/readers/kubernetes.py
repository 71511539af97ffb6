"""Kubernetes objects: Node, CiliumNode, Service, EndpointSlice, the cilium-config
ConfigMap, Flux HelmReleases of the Cilium chart, and Cilium BGP resources.

Input may be single objects, multi-document YAML, or `kubectl get -o yaml`
lists (`kind: List` / `NodeList` with `items`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.model.cluster import EndpointSlice, Node, NodeAddress, Service, ServicePort, SliceEndpoint, Sourced
from podpath.model.netpol import NetpolModel
from podpath.readers import netpol
from podpath.readers.common import parse_address, parse_prefix
from podpath.readers.yamlsrc import child_list, child_map, get_path, item_loc, key_loc, node_loc, value_loc

BGP_KINDS = {
    "CiliumBGPClusterConfig",
    "CiliumBGPPeerConfig",
    "CiliumBGPAdvertisement",
    "CiliumBGPNodeConfigOverride",
    "CiliumBGPNodeConfig",
    "CiliumBGPPeeringPolicy",
}


@dataclass
class ConfigMapData:
    """The `cilium-config` ConfigMap: key -> (value, loc)."""

    file: str
    loc: Loc
    data: dict[str, tuple[str, Loc]] = field(default_factory=dict)


@dataclass
class HelmValuesDoc:
    """Cilium Helm values, from a values file or a HelmRelease's spec.values."""

    file: str
    loc: Loc
    data: Any  # ruamel CommentedMap (keeps positions)
    chart_version: Sourced[str] | None = None
    via: str = "values file"
    schema_off: Loc | None = None  # a HelmRelease that disables Helm's schema validation (install and upgrade)
    # A HelmRelease's spec.valuesFrom (resolved by the snapshot loader via readers/flux.py, applied before it)
    values_from: list[Any] = field(default_factory=list)
    release: str | None = None  # namespace/name of the HelmRelease these values belong to
    namespace: str | None = None


@dataclass
class KubeFacts:
    nodes: list[Node] = field(default_factory=list)
    cilium_nodes: list[tuple[str, list[Sourced[Any]], list[NodeAddress], Loc]] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    endpoint_slices: list[EndpointSlice] = field(default_factory=list)
    configmaps: list[ConfigMapData] = field(default_factory=list)
    helm: list[HelmValuesDoc] = field(default_factory=list)
    kinds_seen: dict[str, list[Loc]] = field(default_factory=dict)
    unsupported: list[Unsupported] = field(default_factory=list)
    raw_objects: list[tuple[str, Any, Loc]] = field(default_factory=list)  # BGP resources for the simulator
    data_objects: list[tuple[Any, str]] = field(default_factory=list)  # ConfigMaps/Secrets: what valuesFrom reads
    netpol: NetpolModel = field(default_factory=NetpolModel)  # endpoints, namespaces, policies (readers/netpol)


def is_kube_object(doc: Any) -> bool:
    return isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc and "machine" not in doc


def read_object(obj: Any, file: str, facts: KubeFacts, diags: Diagnostics) -> None:
    kind = str(obj.get("kind"))
    loc = node_loc(obj, file)
    if kind == "List" or (kind.endswith("List") and isinstance(obj.get("items"), list)):
        items = obj.get("items") or []
        for i, item in enumerate(items):
            if isinstance(item, dict):
                if "kind" not in item and kind.endswith("List") and kind != "List":
                    item = dict(item)
                    item["kind"] = kind[: -len("List")]
                read_object(item, file, facts, diags)
            else:
                diags.error(item_loc(items, i, file), "list item is not a Kubernetes object")
        return
    facts.kinds_seen.setdefault(kind, []).append(loc)
    reader = _READERS.get(kind)
    if reader is not None:
        reader(obj, file, facts, diags)
    elif kind in BGP_KINDS:
        from podpath.readers.cilium_bgp import shape_errors

        errors = shape_errors(kind, obj, file)
        for eloc, message in errors:
            diags.error(eloc, f"{kind} {get_path(obj, 'metadata.name')}: {message}; the object is not simulated")
        if not errors:
            facts.raw_objects.append((kind, obj, loc))
    elif kind in netpol.KINDS:  # pods, namespaces, workloads and network policies (readers/netpol.py)
        netpol.read_object(kind, obj, file, facts.netpol, diags, facts.unsupported)
    else:
        facts.unsupported.append(Unsupported(loc, f"{kind} {get_path(obj, 'metadata.name')}", "object kind not used by podpath", False))


def _name(obj: Any, file: str, diags: Diagnostics) -> str | None:
    name = get_path(obj, "metadata.name")
    if not name:
        diags.error(node_loc(obj, file), f"{obj.get('kind')} has no metadata.name")
        return None
    return str(name)


def _read_node(obj: Any, file: str, facts: KubeFacts, diags: Diagnostics) -> None:
    name = _name(obj, file, diags)
    if name is None:
        return
    meta = child_map(obj, "metadata", file, diags)
    labels = {str(k): str(v) for k, v in child_map(meta, "labels", file, diags, "metadata.labels").items()}
    node = Node(name=name, loc=node_loc(obj, file), labels=labels)
    node.control_plane = "node-role.kubernetes.io/control-plane" in labels
    spec = child_map(obj, "spec", file, diags)
    cidrs = spec.get("podCIDRs")
    if cidrs is not None and not isinstance(cidrs, list):
        child_list(spec, "podCIDRs", file, diags, "spec.podCIDRs")  # the error
    elif isinstance(cidrs, list):
        for i, raw in enumerate(cidrs):
            loc = item_loc(cidrs, i, file)
            net = parse_prefix(raw, loc, diags, "podCIDR")
            if net is not None:
                node.pod_cidrs.append(Sourced(net, loc, "node"))
    elif spec.get("podCIDR"):
        loc = value_loc(spec, "podCIDR", file)
        net = parse_prefix(spec["podCIDR"], loc, diags, "podCIDR")
        if net is not None:
            node.pod_cidrs.append(Sourced(net, loc, "node"))
    addrs = child_list(child_map(obj, "status", file, diags), "addresses", file, diags, "status.addresses")
    for i, a in enumerate(addrs):
        if not isinstance(a, dict) or a.get("type") not in ("InternalIP", "ExternalIP"):
            continue
        loc = item_loc(addrs, i, file)
        ip = parse_address(a.get("address"), loc, diags, f"node {a.get('type')}")
        if ip is not None:
            node.addresses.append(NodeAddress(str(a["type"]), ip, loc))
    facts.nodes.append(node)


def _read_cilium_node(obj: Any, file: str, facts: KubeFacts, diags: Diagnostics) -> None:
    name = _name(obj, file, diags)
    if name is None:
        return
    cidrs: list[Sourced[Any]] = []
    spec = child_map(obj, "spec", file, diags)
    raw = child_list(child_map(spec, "ipam", file, diags, "spec.ipam"), "podCIDRs", file, diags, "spec.ipam.podCIDRs")
    for i, c in enumerate(raw):
        loc = item_loc(raw, i, file)
        net = parse_prefix(c, loc, diags, "CiliumNode podCIDR")
        if net is not None:
            cidrs.append(Sourced(net, loc, "ciliumnode"))
    addrs: list[NodeAddress] = []
    raw_addrs = child_list(spec, "addresses", file, diags, "spec.addresses")
    for i, a in enumerate(raw_addrs):
        if isinstance(a, dict) and a.get("type") in ("InternalIP", "ExternalIP"):
            loc = item_loc(raw_addrs, i, file)
            ip = parse_address(a.get("ip"), loc, diags)
            if ip is not None:
                addrs.append(NodeAddress(str(a["type"]), ip, loc))
    facts.cilium_nodes.append((name, cidrs, addrs, node_loc(obj, file)))


def _read_service(obj: Any, file: str, facts: KubeFacts, diags: Diagnostics) -> None:
    name = _name(obj, file, diags)
    if name is None:
        return
    spec = child_map(obj, "spec", file, diags)
    svc = Service(str(get_path(obj, "metadata.namespace") or "default"), name, loc=node_loc(obj, file))
    svc.type = str(spec.get("type") or "ClusterIP")
    svc.ip_families = [str(f) for f in child_list(spec, "ipFamilies", file, diags, "spec.ipFamilies")]
    ips = spec.get("clusterIPs")
    if isinstance(ips, list):
        for i, raw in enumerate(ips):
            if str(raw) == "None":
                continue
            loc = item_loc(ips, i, file)
            ip = parse_address(raw, loc, diags, "clusterIP")
            if ip is not None:
                svc.cluster_ips.append(Sourced(ip, loc, "service"))
    elif spec.get("clusterIP") and str(spec["clusterIP"]) != "None":
        loc = value_loc(spec, "clusterIP", file)
        ip = parse_address(spec["clusterIP"], loc, diags, "clusterIP")
        if ip is not None:
            svc.cluster_ips.append(Sourced(ip, loc, "service"))
    _read_service_datapath(obj, spec, svc, file, diags)
    facts.services.append(svc)


def _read_service_datapath(obj: Any, spec: Any, svc: Service, file: str, diags: Diagnostics) -> None:
    """Ports, external addresses and traffic policies: what the datapath trace translates (datapath/services)."""
    ports = child_list(spec, "ports", file, diags, "spec.ports")
    for i, p in enumerate(ports):
        loc = item_loc(ports, i, file)
        if not isinstance(p, dict):
            diags.error(loc, "a Service port must be a mapping")
            continue
        try:
            port = int(p.get("port"))
            node_port = int(p["nodePort"]) if p.get("nodePort") is not None else None
        except (TypeError, ValueError):
            diags.error(loc, f"Service port {p.get('port')!r} is not a number")
            continue
        target = p.get("targetPort")
        if target is not None and not isinstance(target, int):
            target = int(target) if str(target).isdigit() else str(target)
        svc.ports.append(ServicePort(port, str(p.get("protocol") or "TCP").upper(), str(p.get("name") or ""),
                                     target, node_port, loc))
    for key, dest, what in (("externalIPs", svc.external_ips, "externalIP"),):
        raw = child_list(spec, key, file, diags, f"spec.{key}")
        for i, a in enumerate(raw):
            ip = parse_address(a, item_loc(raw, i, file), diags, what)
            if ip is not None:
                dest.append(Sourced(ip, item_loc(raw, i, file), "service"))
    ingress = child_list(child_map(child_map(obj, "status", file, diags), "loadBalancer", file, diags,
                                   "status.loadBalancer"), "ingress", file, diags, "status.loadBalancer.ingress")
    for i, ing in enumerate(ingress):
        if isinstance(ing, dict) and ing.get("ip"):
            ip = parse_address(ing["ip"], item_loc(ingress, i, file), diags, "load-balancer ingress IP")
            if ip is not None:
                svc.lb_ips.append(Sourced(ip, item_loc(ingress, i, file), "service"))
    for key, attr in (("externalTrafficPolicy", "external_traffic_policy"),
                      ("internalTrafficPolicy", "internal_traffic_policy")):
        if spec.get(key) is not None:
            setattr(svc, attr, Sourced(str(spec[key]), value_loc(spec, key, file), "service"))
    sel = spec.get("selector")
    if isinstance(sel, dict):
        svc.selector = {str(k): str(v) for k, v in sel.items()}


def _read_endpointslice(obj: Any, file: str, facts: KubeFacts, diags: Diagnostics) -> None:
    """Backends of a Service (label kubernetes.io/service-name): what the datapath trace load-balances to."""
    meta = child_map(obj, "metadata", file, diags)
    labels = child_map(meta, "labels", file, diags, "metadata.labels")
    es = EndpointSlice(str(meta.get("namespace") or "default"), str(meta.get("name") or ""),
                       str(labels["kubernetes.io/service-name"]) if labels.get("kubernetes.io/service-name") else None,
                       str(obj.get("addressType") or "IPv4"), loc=node_loc(obj, file))
    ports = child_list(obj, "ports", file, diags)
    for i, p in enumerate(ports):
        if isinstance(p, dict) and p.get("port") is not None:
            try:
                es.ports[str(p.get("name") or "")] = (int(p["port"]), str(p.get("protocol") or "TCP").upper())
            except (TypeError, ValueError):
                diags.error(item_loc(ports, i, file), f"EndpointSlice port {p.get('port')!r} is not a number")
    for i, ep in enumerate(child_list(obj, "endpoints", file, diags)):
        if ep is not None and not isinstance(ep, dict):
            diags.error(item_loc(obj["endpoints"], i, file), "an endpoint must be a mapping")
            continue
        addresses = child_list(ep, "addresses", file, diags, "endpoints[].addresses")
        cond = ep.get("conditions") if isinstance(ep.get("conditions"), dict) else {}
        ref = ep.get("targetRef") if isinstance(ep.get("targetRef"), dict) else {}
        target = f"{ref.get('namespace') or es.namespace}/{ref['name']}" if ref.get("name") else None
        for j, raw in enumerate(addresses):
            ip = parse_address(raw, item_loc(addresses, j, file), diags, "endpoint address")
            if ip is not None:
                es.endpoints.append(SliceEndpoint(ip, cond.get("ready") is not False,
                                                  str(ep["nodeName"]) if ep.get("nodeName") else None, target,
                                                  item_loc(addresses, j, file)))
    facts.endpoint_slices.append(es)


def _read_configmap(obj: Any, file: str, facts: KubeFacts, diags: Diagnostics) -> None:
    name = get_path(obj, "metadata.name")
    facts.data_objects.append((obj, file))
    if name != "cilium-config":
        facts.unsupported.append(Unsupported(node_loc(obj, file), f"ConfigMap {name}", "not a Cilium ConfigMap "
                                             "(read only where a HelmRelease's valuesFrom names it)", False))
        return
    data = child_map(obj, "data", file, diags)
    cm = ConfigMapData(file, node_loc(obj, file))
    for key in data:
        cm.data[str(key)] = (str(data[key]) if data[key] is not None else "", value_loc(data, key, file))
    facts.configmaps.append(cm)


def _read_secret(obj: Any, file: str, facts: KubeFacts, diags: Diagnostics) -> None:
    facts.data_objects.append((obj, file))
    facts.unsupported.append(Unsupported(node_loc(obj, file), f"Secret {get_path(obj, 'metadata.name')}",
                                         "read only where a HelmRelease's valuesFrom names it", False))


def _read_helmrelease(obj: Any, file: str, facts: KubeFacts, diags: Diagnostics) -> None:
    chart = get_path(obj, "spec.chart.spec.chart")
    chart_ref = get_path(obj, "spec.chartRef.name")
    if str(chart or chart_ref or "") != "cilium":
        facts.unsupported.append(
            Unsupported(node_loc(obj, file), f"HelmRelease {get_path(obj, 'metadata.name')}", "not the Cilium chart", False)
        )
        return
    spec = child_map(obj, "spec", file, diags)
    version = None
    chart_spec = get_path(obj, "spec.chart.spec")
    if isinstance(chart_spec, dict) and chart_spec.get("version"):
        version = Sourced(str(chart_spec["version"]), value_loc(chart_spec, "version", file), "helm")
    from podpath.readers.flux import read_values_from

    refs = read_values_from(spec, file, diags)
    ns = get_path(obj, "metadata.namespace")
    release = f"{ns + '/' if ns else ''}{get_path(obj, 'metadata.name')}"
    values = spec.get("values")
    off = [get_path(obj, f"spec.{a}.disableSchemaValidation") is True for a in ("install", "upgrade")]
    schema_off = key_loc(get_path(obj, "spec.install"), "disableSchemaValidation", file) if all(off) else None
    if isinstance(values, dict):
        facts.helm.append(HelmValuesDoc(file, node_loc(values, file), values, version, "HelmRelease spec.values",
                                        schema_off, refs, release, str(ns) if ns else None))
    elif version is not None or refs:
        facts.helm.append(HelmValuesDoc(file, node_loc(obj, file), {}, version, "HelmRelease (no values)",
                                        None, refs, release, str(ns) if ns else None))


_READERS = {
    "Node": _read_node,
    "CiliumNode": _read_cilium_node,
    "Service": _read_service,
    "EndpointSlice": _read_endpointslice,
    "ConfigMap": _read_configmap,
    "HelmRelease": _read_helmrelease,
    "Secret": _read_secret,
}
