"""Endpoints, namespaces and network policies: what Cilium's policy engine sees.

Readers (readers/netpol.py) fill this model from Pod, Namespace, workload (Deployment, StatefulSet,
DaemonSet) + EndpointSlice, CiliumEndpoint, NetworkPolicy, CiliumNetworkPolicy and
CiliumClusterwideNetworkPolicy objects; datapath/policy.py evaluates it. Every policy part keeps its
file:line so that a verdict cites the rule that decided it.

Labels follow Cilium's label model (pkg/labels): every label has a *source* (`k8s`, `reserved`, ...) and a
key. A pod's labels are `k8s:` labels; Cilium adds `k8s:io.kubernetes.pod.namespace=<ns>`,
`k8s:io.cilium.k8s.namespace.labels.<key>=<value>` for each label of the pod's Namespace,
`k8s:io.cilium.k8s.policy.serviceaccount=<sa>` and `k8s:io.cilium.k8s.policy.cluster=<cluster-name>`
(pkg/k8s/apis/cilium.io/const.go; pkg/k8s/utils/utils.go GetPodMetadata). Reserved identities carry
`reserved:<name>` (pkg/labels/arraylist.go, pkg/identity/numericidentity.go).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from podpath.diagnostics import Loc, Unsupported
from podpath.routing.route import IPAddress, IPNetwork

POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
"""Cilium's label for a pod's namespace (k8sConst.PodNamespaceLabel)."""
NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels."
"""Cilium copies each Namespace label to the pod under this prefix (k8sConst.PodNamespaceMetaLabelsPrefix)."""
SERVICE_ACCOUNT_LABEL = "io.cilium.k8s.policy.serviceaccount"
CLUSTER_LABEL = "io.cilium.k8s.policy.cluster"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""The label the API server sets on every Namespace (immutable, since Kubernetes 1.21)."""

# Reserved identities (pkg/identity/numericidentity.go): name -> numeric identity.
RESERVED_IDENTITIES: dict[str, int] = {
    "host": 1,
    "world": 2,
    "unmanaged": 3,
    "health": 4,
    "init": 5,
    "remote-node": 6,
    "kube-apiserver": 7,
    "ingress": 8,
    "world-ipv4": 9,
    "world-ipv6": 10,
}


@dataclass(frozen=True)
class Label:
    """One Cilium label: `source:key=value` (source `k8s`, `reserved`, `any` in selectors)."""

    source: str
    key: str
    value: str = ""


def parse_selector_key(raw: str) -> tuple[str, str]:
    """A selector key as Cilium reads it (labels.ParseSelectLabel): `k8s:app` -> ("k8s", "app"),
    `app` -> ("any", "app"), `reserved:host` -> ("reserved", "host"). Only the known sources split: a
    key such as `app.kubernetes.io/name` has no source prefix."""
    if ":" in raw:
        source, _, key = raw.partition(":")
        if source in ("k8s", "any", "reserved", "container", "cidr", "unspec", "cilium-generated", "fqdn", "node"):
            return source, key
    return "any", raw


@dataclass(frozen=True)
class ContainerPort:
    """A named container port: what a NetworkPolicy `port: http` resolves to on the pod."""

    name: str
    port: int
    protocol: str = "TCP"
    loc: Loc | None = None


@dataclass(eq=False)
class Endpoint:
    """A pod as Cilium's policy engine sees it: namespace, labels, addresses, named ports.

    `source` says what it was built from: `Pod`, `CiliumEndpoint`, or a workload template with the
    addresses of an EndpointSlice (`Deployment`, `StatefulSet`, `DaemonSet`, `EndpointSlice`)."""

    namespace: str
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    ips: list[IPAddress] = field(default_factory=list)
    node: str | None = None
    ports: list[ContainerPort] = field(default_factory=list)
    service_account: str = "default"
    host_network: bool = False
    source: str = "Pod"
    loc: Loc | None = None
    ip_locs: dict[IPAddress, Loc] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def named_port(self, name: str, protocol: str) -> int | None:
        """The container port called `name` with `protocol` (Kubernetes resolves named ports per pod)."""
        for p in self.ports:
            if p.name == name and p.protocol.upper() == protocol.upper():
                return p.port
        return None

    def __repr__(self) -> str:
        return f"Endpoint({self.key}, {[str(i) for i in self.ips]})"


@dataclass
class Namespace:
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    loc: Loc | None = None

    def effective_labels(self) -> dict[str, str]:
        """Its labels plus `kubernetes.io/metadata.name`, which the API server always sets."""
        return {**self.labels, NAMESPACE_NAME_LABEL: self.name}


@dataclass(frozen=True)
class Requirement:
    """One matchExpressions entry (or a matchLabels pair as `In [value]`)."""

    source: str
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selector:
    """A label selector (matchLabels + matchExpressions), already validated by the reader. An empty selector
    matches everything it is asked about; callers decide what the candidates are."""

    requirements: tuple[Requirement, ...] = ()
    loc: Loc | None = None

    @property
    def is_empty(self) -> bool:
        return not self.requirements

    def has_key(self, source_key: tuple[str, str]) -> bool:
        """True when a requirement names `key` (any source, or the given one)."""
        src, key = source_key
        return any(r.key == key and r.source in (src, "any") for r in self.requirements)

    def with_requirement(self, req: Requirement) -> "Selector":
        return Selector(self.requirements + (req,), self.loc)

    def matches(self, labels: Iterable[Label]) -> bool:
        """Cilium's EndpointSelector.Matches over a label set: a requirement of source `any` matches a label
        of any source with that key (pkg/policy/api/selector.go)."""
        index: dict[str, list[Label]] = {}
        for lab in labels:
            index.setdefault(lab.key, []).append(lab)
        for r in self.requirements:
            cands = [lab for lab in index.get(r.key, ()) if r.source == "any" or lab.source == r.source]
            if r.operator == "In":
                if not any(lab.value in r.values for lab in cands):
                    return False
            elif r.operator == "NotIn":
                if any(lab.value in r.values for lab in cands):
                    return False
            elif r.operator == "Exists":
                if not cands:
                    return False
            elif r.operator == "DoesNotExist":
                if cands:
                    return False
            else:
                return False
        return True

    def matches_k8s(self, labels: Mapping[str, str]) -> bool:
        """A plain Kubernetes selector over plain labels (NetworkPolicy podSelector, namespaceSelector)."""
        return self.matches(Label("k8s", k, v) for k, v in labels.items())


@dataclass(frozen=True)
class CIDRRule:
    """An ipBlock / fromCIDR / fromCIDRSet entry: a prefix and the prefixes excepted from it."""

    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()
    loc: Loc | None = None

    def contains(self, ip: IPAddress) -> bool:
        if ip.version != self.cidr.version or ip not in self.cidr:
            return False
        return not any(ip in e for e in self.excepts if e.version == ip.version)


@dataclass(frozen=True)
class PortRule:
    """One port of a rule: `port` (number), `name` (a named port) or neither (every port of the protocol);
    `end_port` makes a range; protocol TCP, UDP, SCTP or ANY (Cilium)."""

    protocol: str = "TCP"
    port: int | None = None
    end_port: int | None = None
    name: str | None = None
    loc: Loc | None = None

    def describe(self) -> str:
        p = self.name or (str(self.port) if self.port else "*")
        if self.end_port:
            p += f"-{self.end_port}"
        return f"{p}/{self.protocol}"


@dataclass(frozen=True)
class PeerSelector:
    """One peer of a rule. Exactly one way of selecting is set:

    * `endpoints`: a Cilium endpoint selector over the peer's full label set (pod labels with namespace
      labels, or `reserved:` labels of an entity). NetworkPolicy pod/namespace selectors are compiled to
      one (podSelector AND namespaceSelector), as Cilium does (pkg/k8s/network_policy.go).
    * `entities`: Cilium entities (`world`, `cluster`, `host`, `remote-node`, ...).
    * `cidr`: CIDR rules (ipBlock, fromCIDR, fromCIDRSet, toCIDR, toCIDRSet).
    * `all`: every identity (a NetworkPolicy rule without `from`/`to`: reserved:all)."""

    endpoints: Selector | None = None
    entities: tuple[str, ...] = ()
    cidr: CIDRRule | None = None
    all: bool = False
    what: str = ""  # how the user wrote it, for reasons ("podSelector app=web in flux-system")
    loc: Loc | None = None


@dataclass(frozen=True)
class PolicyRule:
    """One ingress/egress (allow or deny) rule: peers (any one matches) AND ports (any one matches).
    `ports is None` means every port; `peers` empty matches nothing."""

    direction: str  # ingress | egress
    deny: bool
    peers: tuple[PeerSelector, ...]
    ports: tuple[PortRule, ...] | None
    loc: Loc | None = None
    l7: bool = False  # has L7 rules (HTTP/DNS/Kafka): allowed at L4, then the proxy decides
    index: int = 0


@dataclass
class Policy:
    """One NetworkPolicy, CiliumNetworkPolicy (one per `spec`/`specs` entry) or CiliumClusterwideNetworkPolicy.

    `selector` chooses the endpoints it applies to (for namespaced kinds, within `namespace` only).
    `enforces` holds the directions for which a selected endpoint goes to default deny."""

    kind: str
    name: str
    namespace: str | None
    selector: Selector
    loc: Loc
    rules: list[PolicyRule] = field(default_factory=list)
    enforces: set[str] = field(default_factory=set)
    spec_index: int | None = None  # CiliumNetworkPolicy `specs[i]`
    selects_nodes: bool = False  # CCNP nodeSelector: host firewall, not modelled
    unsupported: list[Unsupported] = field(default_factory=list)  # its parts podpath does not model

    @property
    def ref(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        spec = f" specs[{self.spec_index}]" if self.spec_index is not None else ""
        return f"{self.kind} {ns}{self.name}{spec}"


@dataclass
class NetpolModel:
    """What readers/netpol.py read from one snapshot."""

    endpoints: list[Endpoint] = field(default_factory=list)
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)
    # workload pod templates, joined with EndpointSlices by readers/netpol.build_endpoints:
    # (kind, namespace, name, template labels, container ports, service account, loc, hostNetwork)
    templates: list[tuple[str, str, str, dict[str, str], list[ContainerPort], str, Loc, bool]] = \
        field(default_factory=list)


def ip_in_any(ip: IPAddress, nets: Iterable[IPNetwork]) -> bool:
    return any(ip.version == n.version and ip in n for n in nets)


def as_ip(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None
