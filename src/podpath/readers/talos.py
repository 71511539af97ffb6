"""Talos machine configuration (v1alpha1, plus the multi-document network
documents of Talos 1.10+): cluster pod/service subnets, CNI, kube-proxy, host
DNS forwarding, the host's interfaces, addresses and MTUs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.model.cluster import Interface, KernelRoute, Sourced
from podpath.readers.common import parse_prefix, sourced_interfaces, sourced_mtu
from podpath.readers.yamlsrc import child_list, child_map, get_path, item_loc, key_loc, node_loc, value_loc
from podpath.routing.route import IPNetwork
from podpath.util import is_digits

_TALOS_DOC_KINDS = {"HostnameConfig", "LinkConfig", "LinkAliasConfig", "DHCPv4Config", "DHCPv6Config",
                    "ResolverConfig", "StaticHostConfig", "TimeSyncConfig", "KubespanEndpointsConfig",
                    "NetworkDefaultActionConfig", "NetworkRuleConfig", "VLANConfig", "BondConfig",
                    "BridgeConfig", "DummyLinkConfig", "Layer2VIPConfig", "EthernetConfig",
                    "ExtensionServiceConfig", "UserVolumeConfig", "VolumeConfig", "SideroLinkConfig",
                    "WatchdogTimerConfig", "TrustedRootsConfig", "KmsgLogConfig", "EventSinkConfig",
                    "RouteConfig", "RegistryMirrorConfig"}


@dataclass
class TalosFacts:
    file: str
    loc: Loc
    hostname: Sourced[str] | None = None
    machine_type: str | None = None
    version: Sourced[str] | None = None
    interfaces: list[Interface] = field(default_factory=list)
    pod_subnets: list[Sourced[IPNetwork]] = field(default_factory=list)
    service_subnets: list[Sourced[IPNetwork]] = field(default_factory=list)
    cni: Sourced[str] | None = None
    proxy_disabled: Sourced[bool] | None = None
    forward_kube_dns_to_host: Sourced[bool] | None = None
    unsupported: list[Unsupported] = field(default_factory=list)
    routes: list[KernelRoute] = field(default_factory=list)  # interfaces[].routes, LinkConfig routes
    # What patches need (readers/talos_patch.py): the documents read, the node a composed config is for, and
    # every file that contributed to it (base first).
    v1: Any = None
    docs: list[Any] = field(default_factory=list)
    host: str | None = None
    files: list[str] = field(default_factory=list)


def is_machine_config(doc: Any) -> bool:
    return isinstance(doc, dict) and str(doc.get("version", "")) == "v1alpha1" and (
        "machine" in doc or "cluster" in doc
    )


def is_talos_document(doc: Any) -> bool:
    return isinstance(doc, dict) and str(doc.get("apiVersion")) == "v1alpha1" and str(doc.get("kind")) in _TALOS_DOC_KINDS


def _subnets(parent: Any, key: str, file: str, diags: Diagnostics, what: str) -> list[Sourced[IPNetwork]]:
    out: list[Sourced[IPNetwork]] = []
    seq = parent.get(key) if isinstance(parent, dict) else None
    if seq is None:
        return out
    if not isinstance(seq, list):
        diags.error(value_loc(parent, key, file), f"{what} must be a list of CIDRs")
        return out
    for i, raw in enumerate(seq):
        loc = item_loc(seq, i, file)
        net = parse_prefix(raw, loc, diags, what)
        if net is not None:
            out.append(Sourced(net, loc, "talos"))
    return out


_IMAGE_VERSION = re.compile(r":v?(\d+\.\d+(?:\.\d+)?)")


def read_machine_config(doc: Any, file: str, diags: Diagnostics, facts: TalosFacts | None = None) -> TalosFacts:
    facts = facts or TalosFacts(file, node_loc(doc, file))
    facts.v1 = doc
    machine = child_map(doc, "machine", file, diags)
    cluster = child_map(doc, "cluster", file, diags)
    facts.machine_type = str(machine.get("type")) if machine.get("type") else None
    image = get_path(machine, "install.image")
    if image:
        m = _IMAGE_VERSION.search(str(image))
        if m:
            facts.version = Sourced(m.group(1), value_loc(machine["install"], "image", file), "talos")
    network = child_map(machine, "network", file, diags, "machine.network")
    if network.get("hostname"):
        facts.hostname = Sourced(str(network["hostname"]), value_loc(network, "hostname", file), "talos")
    for i, raw in enumerate(child_list(network, "interfaces", file, diags, "machine.network.interfaces")):
        if not isinstance(raw, dict):
            continue
        loc = item_loc(network["interfaces"], i, file)
        name = raw.get("interface")
        if not name:
            if raw.get("deviceSelector"):
                facts.unsupported.append(Unsupported(loc, "interfaces[].deviceSelector",
                                                     "device selectors cannot be resolved offline; name the interface in podpath.yaml", True))
            continue
        iface = Interface(str(name), loc=loc)
        iface.addresses = sourced_interfaces(raw, file, diags, "talos")
        if raw.get("mtu") is not None:
            iface.mtu = sourced_mtu(raw, file, diags, "talos")
        facts.routes += _routes(raw, str(name), "network", file, diags)
        if raw.get("dhcp"):
            facts.unsupported.append(Unsupported(key_loc(raw, "dhcp", file), f"interface {name} dhcp",
                                                 "DHCP-assigned addresses are unknown offline", False))
        facts.interfaces.append(iface)
    net = child_map(cluster, "network", file, diags, "cluster.network")
    facts.pod_subnets += _subnets(net, "podSubnets", file, diags, "podSubnet")
    facts.service_subnets += _subnets(net, "serviceSubnets", file, diags, "serviceSubnet")
    cni = net.get("cni")
    if isinstance(cni, dict) and cni.get("name"):
        facts.cni = Sourced(str(cni["name"]), value_loc(cni, "name", file), "talos")
    proxy = cluster.get("proxy")
    if isinstance(proxy, dict) and "disabled" in proxy:
        facts.proxy_disabled = Sourced(bool(proxy["disabled"]), value_loc(proxy, "disabled", file), "talos")
    host_dns = get_path(machine, "features.hostDNS")
    if isinstance(host_dns, dict) and "forwardKubeDNSToHost" in host_dns:
        facts.forward_kube_dns_to_host = Sourced(
            bool(host_dns["forwardKubeDNSToHost"]), value_loc(host_dns, "forwardKubeDNSToHost", file), "talos")
    return facts


def _routes(parent: Any, ifname: str, dst_key: str, file: str, diags: Diagnostics) -> list[KernelRoute]:
    """`routes:` of a v1alpha1 interface (`network`, `gateway`, `metric`) or of a LinkConfig document
    (`destination`, `gateway`, `metric`): no destination is a default route, no gateway a link-scope route."""
    import ipaddress

    seq = child_list(parent, "routes", file, diags)
    out = []
    for i, raw in enumerate(seq):
        loc = item_loc(seq, i, file)
        if not isinstance(raw, dict):
            diags.error(loc, "a route must be a mapping (destination/network, gateway, metric)")
            continue
        gw = None
        if raw.get("gateway"):
            try:
                gw = ipaddress.ip_address(str(raw["gateway"]).strip())
            except ValueError:
                diags.error(value_loc(raw, "gateway", file), f"gateway {raw['gateway']!r} is not an IP address")
                continue
        dst_raw = raw.get(dst_key)
        if dst_raw:
            dst = parse_prefix(dst_raw, value_loc(raw, dst_key, file), diags, "route destination")
            if dst is None:
                continue
        elif gw is not None:
            dst = ipaddress.ip_network("::/0" if gw.version == 6 else "0.0.0.0/0")
        else:
            diags.error(loc, f"route has neither a {dst_key} nor a gateway")
            continue
        if gw is not None and gw.version != dst.version:
            diags.error(loc, f"gateway {gw} is not of the family of {dst}")
            continue
        metric = raw.get("metric")
        out.append(KernelRoute(dst, gw, ifname, "static", None if gw is not None else "link", None,
                               int(metric) if is_digits(str(metric or "")) else None, loc=loc))
    return out


def read_talos_document(doc: Any, file: str, diags: Diagnostics, facts: TalosFacts) -> None:
    kind = str(doc.get("kind"))
    facts.docs.append(doc)
    loc = node_loc(doc, file)
    if kind == "HostnameConfig" and doc.get("hostname"):
        facts.hostname = Sourced(str(doc["hostname"]), value_loc(doc, "hostname", file), "talos")
    elif kind == "LinkConfig" and doc.get("name"):
        iface = Interface(str(doc["name"]), loc=loc)
        iface.addresses = sourced_interfaces(doc, file, diags, "talos")
        if doc.get("mtu") is not None:
            iface.mtu = sourced_mtu(doc, file, diags, "talos")
        facts.interfaces.append(iface)
        facts.routes += _routes(doc, iface.name, "destination", file, diags)
    elif kind == "ExtensionServiceConfig":
        pass  # its BIRD/FRR configuration files are read as the host's routers (snapshot._extension_routers)
    else:
        facts.unsupported.append(Unsupported(loc, f"Talos {kind}", "Talos document not modelled", kind in {
            "RouteConfig", "VLANConfig", "BondConfig", "BridgeConfig", "DummyLinkConfig", "Layer2VIPConfig",
            "NetworkRuleConfig", "NetworkDefaultActionConfig"}))

