"""The vendor-independent cluster model.

Readers fill it from whatever files the snapshot holds (Kubernetes objects,
Talos config, the manifest, route dumps, `cilium status`); checks read only
this model. Every value is `Sourced`: it knows the file:line it came from and
whether it is a default that nobody wrote.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Generic, Iterable, TypeVar

from podpath.diagnostics import Loc
from podpath.routing.route import IPAddress, IPNetwork

T = TypeVar("T")


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A value and its provenance. `origin` says which kind of input set it:
    helm, configmap, talos, node, ciliumnode, manifest, observed, default, derived."""

    value: T
    loc: Loc | None = None
    origin: str = "derived"

    @property
    def is_default(self) -> bool:
        return self.origin == "default"


IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


@dataclass
class Interface:
    name: str
    addresses: list[Sourced[IPInterface]] = field(default_factory=list)
    mtu: Sourced[int] | None = None
    segment: str | None = None
    loc: Loc | None = None

    def address_of(self, family: int) -> list[Sourced[IPInterface]]:
        return [a for a in self.addresses if a.value.version == family]


@dataclass(frozen=True)
class KernelRoute:
    """One route of a kernel routing table, as `ip route` or talosctl showed it."""

    dst: IPNetwork
    gateway: IPAddress | None = None
    dev: str | None = None
    protocol: str | None = None
    scope: str | None = None
    src: IPAddress | None = None
    metric: int | None = None
    table: str = "main"
    type: str = "unicast"  # unicast, local, blackhole, unreachable, prohibit, broadcast...
    mtu: int | None = None
    nexthops: tuple[tuple[IPAddress | None, str | None], ...] = ()  # ECMP legs
    loc: Loc | None = None

    @property
    def is_connected(self) -> bool:
        """A connected (on-link subnet) route: IPv4 dumps say `scope link`, IPv6 dumps only `proto kernel`."""
        return (self.gateway is None and self.type == "unicast" and bool(self.dst.prefixlen)
                and (self.scope == "link" or (self.protocol == "kernel" and self.dst.version == 6))
                and not self.dst.is_link_local and (self.dev or "") not in ("cilium_host", "cilium_net", "lo"))

    def describe(self) -> str:
        parts = [str(self.dst) if self.dst.prefixlen else "default"]
        if self.type != "unicast":
            parts.insert(0, self.type)
        if self.gateway is not None:
            parts.append(f"via {self.gateway}")
        if self.dev:
            parts.append(f"dev {self.dev}")
        if self.protocol:
            parts.append(f"proto {self.protocol}")
        return " ".join(parts)


class RouteTable:
    """A host's routing table (main table unless stated) with longest-prefix match.

    Lookup walks only the prefix lengths present, hashing the masked address at
    each: O(distinct lengths) per lookup, fine for tables of any size.
    """

    def __init__(self, routes: Iterable[KernelRoute] = ()) -> None:
        self.routes: list[KernelRoute] = []
        self._by_len: dict[tuple[int, int], dict[int, list[KernelRoute]]] = {}
        for r in routes:
            self.add(r)

    def add(self, route: KernelRoute) -> None:
        self.routes.append(route)
        key = (route.dst.version, route.dst.prefixlen)
        self._by_len.setdefault(key, {}).setdefault(int(route.dst.network_address), []).append(route)

    def families(self) -> set[int]:
        return {r.dst.version for r in self.routes}

    def lookup(self, addr: IPAddress, table: str = "main") -> KernelRoute | None:
        """Longest-prefix match; among equal prefixes the lowest metric wins."""
        bits = 32 if addr.version == 4 else 128
        value = int(addr)
        lengths = sorted((plen for fam, plen in self._by_len if fam == addr.version), reverse=True)
        for plen in lengths:
            mask = ((1 << plen) - 1) << (bits - plen) if plen else 0
            cands = self._by_len[(addr.version, plen)].get(value & mask)
            if cands:
                cands = [c for c in cands if c.table == table and c.type != "local"]
                if cands:
                    return min(cands, key=lambda r: (r.metric or 0))
        return None

    def covering(self, net: IPNetwork, table: str = "main") -> KernelRoute | None:
        """The route the kernel would use for every address of `net`, if one route
        covers all of it (a route at least as short as `net` that contains it)."""
        best: KernelRoute | None = None
        for r in self.routes:
            if r.table != table or r.type == "local" or r.dst.version != net.version:
                continue
            if net.subnet_of(r.dst):  # type: ignore[arg-type]
                if best is None or r.dst.prefixlen > best.dst.prefixlen:
                    best = r
        return best

    def __len__(self) -> int:
        return len(self.routes)


@dataclass
class CiliumStatus:
    """What `cilium status` said on one node (observed evidence)."""

    loc: Loc
    version: Sourced[str] | None = None
    kube_proxy_replacement: Sourced[str] | None = None
    routing_network: Sourced[str] | None = None  # Native / Tunnel
    routing_host: Sourced[str] | None = None  # BPF / Legacy
    masquerading_mode: Sourced[str] | None = None  # BPF / IPTables / Disabled
    masquerading_devices: list[str] = field(default_factory=list)
    masquerading_cidrs: list[Sourced[IPNetwork]] = field(default_factory=list)
    ipam_cidrs: list[Sourced[IPNetwork]] = field(default_factory=list)
    cluster_health: Sourced[tuple[int, int]] | None = None


@dataclass
class Host:
    """A machine: a Kubernetes node, a hypervisor or a router."""

    name: str
    interfaces: dict[str, Interface] = field(default_factory=dict)
    routes: RouteTable | None = None  # observed: the route dumps
    route_files: list[str] = field(default_factory=list)
    # Configured routes the host forwards with (static, default, DHCP/RA gateways): from podpath.yaml, Talos,
    # netplan, ifupdown and a dump's non-dynamic routes. The simulation installs them; `routes` stays evidence.
    static_routes: list[KernelRoute] = field(default_factory=list)
    cilium_status: CiliumStatus | None = None
    files: list[str] = field(default_factory=list)
    loc: Loc | None = None

    def addresses(self, family: int | None = None) -> list[Sourced[IPInterface]]:
        out = []
        for iface in self.interfaces.values():
            out.extend(a for a in iface.addresses if family is None or a.value.version == family)
        return out


@dataclass
class NodeAddress:
    kind: str  # InternalIP, ExternalIP, Hostname
    address: IPAddress
    loc: Loc | None = None


@dataclass
class Node:
    """A Kubernetes node as the API server and Cilium see it."""

    name: str
    loc: Loc | None = None
    labels: dict[str, str] = field(default_factory=dict)
    addresses: list[NodeAddress] = field(default_factory=list)
    pod_cidrs: list[Sourced[IPNetwork]] = field(default_factory=list)
    control_plane: bool = False

    def node_ip(self, family: int) -> NodeAddress | None:
        """Cilium's ExtractNodeIP: InternalIP, then ExternalIP, of the family."""
        for kind in ("InternalIP", "ExternalIP"):
            for a in self.addresses:
                if a.kind == kind and a.address.version == family:
                    return a
        return None

    def pod_cidrs_of(self, family: int) -> list[Sourced[IPNetwork]]:
        return [c for c in self.pod_cidrs if c.value.version == family]


@dataclass
class Segment:
    """An L2 segment (bridge, VLAN, VXLAN overlay of the hypervisors)."""

    name: str
    prefixes: list[Sourced[IPNetwork]] = field(default_factory=list)
    members: set[str] = field(default_factory=set)  # host names
    mtu: Sourced[int] | None = None
    loc: Loc | None = None
    inferred: bool = False  # derived from addresses rather than stated


@dataclass(frozen=True)
class ServicePort:
    """One `spec.ports[]` entry: `target_port` is a number or a named port of the endpoints."""

    port: int
    protocol: str = "TCP"
    name: str = ""
    target_port: int | str | None = None
    node_port: int | None = None
    loc: Loc | None = None


@dataclass
class Service:
    namespace: str
    name: str
    cluster_ips: list[Sourced[IPAddress]] = field(default_factory=list)
    ip_families: list[str] = field(default_factory=list)
    type: str = "ClusterIP"
    loc: Loc | None = None
    ports: list[ServicePort] = field(default_factory=list)
    external_ips: list[Sourced[IPAddress]] = field(default_factory=list)
    lb_ips: list[Sourced[IPAddress]] = field(default_factory=list)  # status.loadBalancer.ingress[].ip
    external_traffic_policy: Sourced[str] | None = None  # Cluster | Local
    internal_traffic_policy: Sourced[str] | None = None  # Cluster | Local
    selector: dict[str, str] | None = None


@dataclass(frozen=True)
class SliceEndpoint:
    """One address of an EndpointSlice endpoint, with the node that runs it."""

    address: IPAddress
    ready: bool = True
    node: str | None = None
    target: str | None = None  # targetRef namespace/name (a Pod)
    loc: Loc | None = None


@dataclass
class EndpointSlice:
    """An EndpointSlice of a Service (label kubernetes.io/service-name)."""

    namespace: str
    name: str
    service: str | None
    address_type: str = "IPv4"
    ports: dict[str, tuple[int, str]] = field(default_factory=dict)  # port name ("" unnamed) -> (port, protocol)
    endpoints: list[SliceEndpoint] = field(default_factory=list)
    loc: Loc | None = None


@dataclass
class TalosInfo:
    """Facts from Talos machine configs that matter for the datapath."""

    version: Sourced[str] | None = None
    cni: Sourced[str] | None = None
    proxy_disabled: Sourced[bool] | None = None
    forward_kube_dns_to_host: Sourced[bool] | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class Cluster:
    """Everything the checks look at. Hosts and nodes are keyed by name."""

    hosts: dict[str, Host] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    segments: dict[str, Segment] = field(default_factory=dict)
    pod_subnets: list[Sourced[IPNetwork]] = field(default_factory=list)
    service_subnets: list[Sourced[IPNetwork]] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    endpoint_slices: list[EndpointSlice] = field(default_factory=list)
    talos: TalosInfo | None = None
    kinds_seen: dict[str, list[Loc]] = field(default_factory=dict)  # e.g. CiliumBGPPeeringPolicy

    def host(self, name: str) -> Host:
        if name not in self.hosts:
            self.hosts[name] = Host(name)
        return self.hosts[name]

    def all_pod_cidrs(self, family: int) -> list[Sourced[IPNetwork]]:
        """Every pod prefix known: cluster pod subnets and per-node allocations."""
        out = [p for p in self.pod_subnets if p.value.version == family]
        for node in sorted(self.nodes.values(), key=lambda n: n.name):
            out.extend(node.pod_cidrs_of(family))
        return out

    def node_of_address(self, addr: IPAddress) -> Node | None:
        for node in self.nodes.values():
            if any(a.address == addr for a in node.addresses):
                return node
        return None
