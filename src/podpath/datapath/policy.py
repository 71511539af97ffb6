"""Network policy as Cilium enforces it: which endpoint may send what to whom.

Fixture for the trace engineer: tests/fixtures/netpol/flux-system.yaml holds the Flux controllers' standard
NetworkPolicies (allow-egress, allow-scraping, allow-webhooks in flux-system, as `flux install` writes them);
copy it into examples/seed000-ipv6-native-cidr/{broken,fixed}/kubernetes/ with the flux-system pods
(tests/fixtures/netpol/flux-controllers.yaml: the Namespace and controller pod templates with named ports).

API (stable; the trace calls it):

    ps = policies(snap)                       # PolicySet, cached per snapshot
    ep = ps.endpoint("flux-system/source-controller") or ps.endpoint_by_ip(ip)
    src = ps.peer_for(ip, at_node="solwk03")  # the identity Cilium's ipcache gives `ip` on that node
    v = ps.ingress(ep, src, 9090, "TCP")      # Verdict(allowed, enforced, decided_by, reason)
    v = ps.egress(ep, Peer.reserved("world", ip), 443, "TCP")

Semantics, from Cilium's source and documentation (cilium/cilium, 1.16-1.19). A verdict is for the first
packet of a connection: the replies of an allowed connection are CT_REPLY in Cilium's conntrack and skip
policy enforcement (bpf/bpf_lxc.c), which the caller models.

- Enforcement mode `enable-policy` (Helm `policyEnforcementMode`): `default` enforces a direction on an
  endpoint once a rule selecting it has a rule in that direction (allow or deny); `always` enforces every
  endpoint; `never` none (Documentation/security/policy/intro.rst "Policy Enforcement Modes";
  pkg/policy/repository.go `computePolicyEnforcementAndRules`: `len(r.Ingress) > 0 || len(r.IngressDeny) > 0`,
  so `ingress: []` enforces nothing while `ingress: [{}]` enforces and allows nothing).
- Default deny: an enforced direction drops what no allow rule matches, unless every rule that enforces it
  says `enableDefaultDeny: {<direction>: false}` (then Cilium inserts an allow-all and only denies apply).
- Deny rules (`ingressDeny`/`egressDeny`) win over every allow of any policy kind
  (Documentation/security/policy/language.rst "Deny Policies").
- Kubernetes NetworkPolicy is translated the way pkg/k8s/network_policy.go `ParseNetworkPolicy` does:
  policyTypes Ingress (or no Egress) without ingress rules becomes `ingress: [{}]` (default deny); a rule
  without `from`/`to` matches every identity (the wildcard selector, world included); a podSelector peer is
  confined to the policy's namespace; a namespaceSelector peer becomes a selector on
  `io.cilium.k8s.namespace.labels.*` ANDed with its podSelector, an empty one `io.kubernetes.pod.namespace`
  Exists - so reserved identities (host, remote-node, world) never match a pod or namespace selector.
- CiliumNetworkPolicy peers without a namespace requirement are confined to the policy's namespace, a
  clusterwide policy's to "any namespace"; selectors on `reserved:` labels are left alone
  (pkg/k8s/apis/cilium.io/utils/utils.go `getEndpointSelector`).
- CIDR rules (ipBlock, fromCIDR/fromCIDRSet, toCIDR/toCIDRSet) select CIDR identities only: traffic whose
  peer is a Cilium endpoint or a cluster node is matched by its identity, never by its address
  (Documentation/security/policy/language.rst, IP/CIDR based: CIDR rules do not apply to traffic where both
  sides are managed by Cilium or use a node IP). So an ipBlock covering pod IPs does not allow pods - the
  Kubernetes API leaves ipBlock for pod IPs to the implementation. `policy-cidr-match-mode: nodes` lets CIDR
  rules select nodes (host, remote-node) by their address too.
- Entities (pkg/policy/api/entity.go): `host` the local node (and its host-network pods), `remote-node`
  every other node, `kube-apiserver` the API server's addresses, `world` everything outside the cluster
  (`world-ipv4`/`world-ipv6` per family), `cluster` every endpoint of the cluster plus host, remote-node,
  init, health, unmanaged, ingress and kube-apiserver, `all` everything.
- Identity of a packet at the policy point is the ipcache's identity of its source address
  (bpf/lib/identity.h): a pod address gives the pod's identity, a node address `host` on that node and
  `remote-node` elsewhere - so a pod's packet SNATed to its node's address arrives as `remote-node`, not
  as the pod (Documentation/security/policy/caveats.rst).
- The local host may always reach local endpoints: `allow-localhost` defaults to `auto`, which the agent
  turns into `always` on Kubernetes ("Kubernetes demands that the localhost can always reach local pods",
  daemon/cmd/daemon_main.go; pkg/option/config.go `AllowLocalhostAuto`); only `policy` subjects the host to
  policy. Deny rules still win over it (a deny is a deny entry in the policy map).
"""

from __future__ import annotations

import ipaddress
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from podpath.diagnostics import Loc, Unsupported
from podpath.model.netpol import (CLUSTER_LABEL, NAMESPACE_LABELS_PREFIX, NAMESPACE_NAME_LABEL, POD_NAMESPACE_LABEL,
                                  SERVICE_ACCOUNT_LABEL, Endpoint, Label, Namespace, NetpolModel, PeerSelector,
                                  Policy, PolicyRule, PortRule)
from podpath.routing.route import IPAddress

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot

__all__ = ["Endpoint", "Peer", "PolicySet", "Verdict", "policies", "ENTITIES", "CLUSTER_ENTITIES"]

CLUSTER_ENTITIES = frozenset({"host", "remote-node", "init", "health", "unmanaged", "ingress", "kube-apiserver"})
"""The reserved identities the `cluster` entity contains besides the cluster's endpoints."""
ENTITIES = frozenset({"all", "world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node",
                      "kube-apiserver", "health", "init", "ingress", "unmanaged", "none"})
"""Entities Cilium accepts in fromEntities/toEntities (pkg/policy/api/entity.go)."""
_WORLD = frozenset({"world", "world-ipv4", "world-ipv6"})


@dataclass(frozen=True, eq=False)
class Peer:
    """What the other end of a packet looks like at the policy point: a Cilium endpoint (a pod, with its
    labels and namespace) or a reserved identity (`host`, `remote-node`, `world`, `kube-apiserver`, `health`,
    `init`, `ingress`, `unmanaged`), and the address it uses.

    `extra` holds further reserved labels of the same identity (a node that runs the API server is both
    `remote-node` and `kube-apiserver`). `node` names the node for host/remote-node. `note` says how the
    identity was derived when it is a guess (an address in a pod CIDR that no known pod has)."""

    ip: IPAddress | None = None
    endpoint: Endpoint | None = None
    entity: str | None = None
    node: str | None = None
    extra: tuple[str, ...] = ()
    note: str = ""

    @classmethod
    def pod(cls, ep: Endpoint, ip: IPAddress | str | None = None) -> "Peer":
        addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        if addr is None and ep.ips:
            addr = ep.ips[0]
        return cls(ip=addr, endpoint=ep)

    @classmethod
    def reserved(cls, name: str, ip: IPAddress | str | None = None, node: str | None = None,
                 extra: Iterable[str] = (), note: str = "") -> "Peer":
        if name not in ENTITIES or name in ("all", "cluster", "none"):
            raise ValueError(f"{name!r} is not a reserved identity")
        addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        return cls(ip=addr, entity=name, node=node, extra=tuple(sorted(set(extra) - {name})), note=note)

    @property
    def identity(self) -> str:
        """How Hubble names it: `ns/pod` for an endpoint, the reserved identity's name otherwise."""
        if self.endpoint is not None:
            return self.endpoint.key
        return self.entity or "world"

    @property
    def reserved_names(self) -> frozenset[str]:
        if self.endpoint is not None:
            return frozenset()
        names = {self.entity or "world", *self.extra}
        if names & _WORLD and self.ip is not None:
            names.add(f"world-ipv{self.ip.version}")
            names.add("world")
        return frozenset(names)

    def describe(self) -> str:
        """`pod ns/name (ip)`, `remote-node fd00::13 (node solwk03)`, `world 1.1.1.1`."""
        if self.endpoint is not None:
            return f"pod {self.endpoint.key}" + (f" ({self.ip})" if self.ip is not None else "")
        what = self.identity + (f" {self.ip}" if self.ip is not None else "")
        return what + (f" (node {self.node})" if self.node else "")


@dataclass(frozen=True)
class Verdict:
    """A policy decision. `enforced`: policy applies to the endpoint in that direction (Hubble then emits
    policy-verdict events). `decided_by`: the rules that allowed or denied it, or - for a default deny - the
    policies that selected the endpoint and allow nothing matching. `unknown`: what podpath could not settle
    and what would settle it (empty when the verdict is certain)."""

    allowed: bool
    enforced: bool
    decided_by: list[Loc] = field(default_factory=list)
    reason: str = ""
    unknown: str = ""
    policies: list[str] = field(default_factory=list)  # "NetworkPolicy flux-system/allow-egress", ...

    @property
    def default_deny(self) -> bool:
        return self.enforced and not self.allowed and "default deny" in self.reason

    def to_json(self) -> dict[str, object]:
        return {"allowed": self.allowed, "enforced": self.enforced,
                "decided_by": [loc.to_json() for loc in self.decided_by], "reason": self.reason,
                "unknown": self.unknown or None, "policies": list(self.policies)}


class PolicySet:
    """Every endpoint, namespace and policy of a snapshot, and Cilium's verdicts over them."""

    def __init__(self, model: NetpolModel, *, mode: str = "default", mode_loc: Loc | None = None,
                 cidr_match_nodes: bool = False, allow_localhost: bool = True, cluster_name: str = "default",
                 node_ips: dict[str, list[IPAddress]] | None = None, unsupported: Iterable[Unsupported] = ()) -> None:
        self.model = model
        self.endpoints: list[Endpoint] = sorted(model.endpoints, key=lambda e: e.key)
        self.namespaces: dict[str, Namespace] = model.namespaces
        self.policies: list[Policy] = sorted(model.policies, key=lambda p: (p.loc, p.spec_index or 0))
        self.mode = mode if mode in ("default", "always", "never") else "default"
        self.mode_loc = mode_loc
        self.cidr_match_nodes = cidr_match_nodes
        self.allow_localhost = allow_localhost
        self.cluster_name = cluster_name
        self.node_ips = {n: list(ips) for n, ips in (node_ips or {}).items()}
        self.unsupported = sorted(unsupported)
        self._by_key = {e.key: e for e in self.endpoints}
        self._by_ip: dict[IPAddress, Endpoint] = {}
        for e in self.endpoints:
            if e.host_network:
                continue
            for ip in e.ips:
                self._by_ip.setdefault(ip, e)
        self._labels: dict[int, tuple[Endpoint, frozenset[Label]]] = {}
        self._selecting_cache: dict[int, tuple[Endpoint, list[Policy]]] = {}  # id -> (endpoint, policies)

    # --- lookups ------------------------------------------------------------------------------------
    def endpoint(self, key: str) -> Endpoint | None:
        """An endpoint by `namespace/name`."""
        return self._by_key.get(key)

    def endpoint_by_ip(self, ip: IPAddress | str) -> Endpoint | None:
        addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        return self._by_ip.get(addr)

    def node_of_ip(self, ip: IPAddress) -> str | None:
        for node, ips in sorted(self.node_ips.items()):
            if ip in ips:
                return node
        return None

    def peer_for(self, ip: IPAddress | str, at_node: str | None = None, *, pod_cidr: bool = False) -> Peer:
        """The identity Cilium's ipcache gives `ip` on `at_node`: the pod that has it, `host` for the node's
        own address (or a host-network pod on it), `remote-node` for another node's, else `world`.
        `pod_cidr`: the address is inside a pod CIDR but no known pod has it (said in the note)."""
        addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        ep = self._by_ip.get(addr)
        if ep is not None:
            return Peer.pod(ep, addr)
        node = self.node_of_ip(addr)
        if node is not None:
            name = "host" if at_node is not None and node == at_node else "remote-node"
            note = "" if at_node is not None else "the node the packet is seen on was not given: remote-node assumed"
            return Peer.reserved(name, addr, node=node, note=note)
        note = ("no pod known at this pod-CIDR address: Cilium's ipcache has no entry for it and says world"
                if pod_cidr else "")
        return Peer.reserved("world", addr, note=note)

    def labels_of(self, ep: Endpoint) -> frozenset[Label]:
        """The Cilium identity labels of an endpoint (pkg/k8s/utils/utils.go GetPodMetadata)."""
        cached = self._labels.get(id(ep))
        if cached is not None and cached[0] is ep:
            return cached[1]
        out = {Label("k8s", k, v) for k, v in ep.labels.items()}
        out.add(Label("k8s", POD_NAMESPACE_LABEL, ep.namespace))
        ns = self.namespaces.get(ep.namespace) or Namespace(ep.namespace)
        for k, v in ns.effective_labels().items():
            out.add(Label("k8s", NAMESPACE_LABELS_PREFIX + k, v))
        out.add(Label("k8s", SERVICE_ACCOUNT_LABEL, ep.service_account))
        out.add(Label("k8s", CLUSTER_LABEL, self.cluster_name))
        frozen = frozenset(out)
        self._labels[id(ep)] = (ep, frozen)
        return frozen

    def _peer_labels(self, peer: Peer) -> frozenset[Label]:
        if peer.endpoint is not None:
            return self.labels_of(peer.endpoint)
        return frozenset(Label("reserved", n) for n in peer.reserved_names)

    def selects(self, policy: Policy, ep: Endpoint) -> bool:
        """Does `policy` apply to `ep` (its endpointSelector/podSelector, within its namespace)?"""
        if policy.selects_nodes:
            return False
        if policy.namespace is not None and policy.namespace != ep.namespace:
            return False
        if policy.kind == "NetworkPolicy":
            return policy.selector.matches_k8s(ep.labels)
        return policy.selector.matches(self.labels_of(ep))

    def selecting(self, ep: Endpoint, direction: str | None = None) -> list[Policy]:
        """The policies that select `ep` (with rules in `direction`, if given), in file order."""
        out = [p for p in self.policies if self.selects(p, ep)]
        if direction is not None:
            out = [p for p in out if any(r.direction == direction for r in p.rules) or direction in p.enforces]
        return out

    # --- verdicts ------------------------------------------------------------------------------------
    def ingress(self, dst: Endpoint, src: Peer, port: int | None, proto: str = "TCP") -> Verdict:
        """May `src` send to `dst` on `port`/`proto`? (the destination endpoint's ingress policy).
        `port=None` asks about a packet without a port (ICMP) or "every port": rules with ports do not match."""
        return self._verdict("ingress", dst, src, port, proto)

    def egress(self, src: Endpoint, dst: Peer, port: int | None, proto: str = "TCP") -> Verdict:
        """May `src` send to `dst` on `port`/`proto`? (the source endpoint's egress policy)."""
        return self._verdict("egress", src, dst, port, proto)

    def _verdict(self, direction: str, ep: Endpoint, peer: Peer, port: int | None, proto: str) -> Verdict:
        proto = (proto or "TCP").upper()
        subject = f"{ep.key} {direction}"
        where = f" port {port}/{proto}" if port is not None else f" ({proto}, no port)"
        what = (f"{peer.describe()} to pod {ep.key}{where}" if direction == "ingress"
                else f"pod {ep.key} to {peer.describe()}{where}")
        if self.mode == "never":
            return Verdict(True, False, [self.mode_loc] if self.mode_loc else [],
                           f"policy enforcement is off (enable-policy=never): {what} is allowed")
        if ep.host_network:
            return Verdict(True, False, [ep.loc] if ep.loc else [],
                           f"{ep.key} uses the host network: Cilium enforces no endpoint policy on it "
                           "(only the host firewall would, which podpath does not model)")
        hit = self._selecting_cache.get(id(ep))
        if hit is not None and hit[0] is ep:
            selecting = hit[1]
        else:
            selecting = [p for p in self.policies if self.selects(p, ep)]
            self._selecting_cache[id(ep)] = (ep, selecting)
        with_rules = [p for p in selecting if direction in p.enforces or any(r.direction == direction for r in p.rules)]
        default_deny = [p for p in with_rules if direction in p.enforces]
        enforced = self.mode == "always" or bool(with_rules)
        unknown: list[str] = []
        for who in (ep, peer.endpoint):
            if who is not None and who.source == "EndpointSlice":
                unknown.append(f"the labels of {who.key} are not known: only an EndpointSlice names it (add its "
                               "Pod or workload object)")
        partial = [u for p in with_rules for u in p.unsupported]

        def unmodelled(parts: list[Unsupported]) -> None:
            if parts:
                unknown.append(f"{len(parts)} part(s) of the policies selecting {ep.key} are not modelled "
                               f"({', '.join(str(u.loc) for u in parts[:3])}{', ...' if len(parts) > 3 else ''})")
        # 1. deny rules win
        denies: list[tuple[Policy, PolicyRule]] = []
        for p in with_rules:
            for r in p.rules:
                if r.direction == direction and r.deny and self._rule_matches(r, p, ep, peer, port, proto, unknown):
                    denies.append((p, r))
        if denies:
            p, r = denies[0]
            return Verdict(False, True, [r.loc or p.loc for _, r in denies],
                           f"{what} is denied by {p.ref} ({direction}Deny rule {r.index + 1}): deny rules take "
                           "precedence over every allow", "; ".join(dict.fromkeys(unknown)),
                           list(dict.fromkeys(q.ref for q, _ in denies)))
        if not enforced:
            return Verdict(True, False, [], f"no policy selects {ep.key} for {direction} "
                           f"(enable-policy={self.mode}): {what} is allowed", "; ".join(dict.fromkeys(unknown)))
        # 2. the local host always reaches local endpoints (allow-localhost)
        if direction == "ingress" and self.allow_localhost and peer.endpoint is None and peer.entity == "host":
            return Verdict(True, True, [], f"{what}: the local host may always reach its endpoints "
                           "(allow-localhost)", "; ".join(dict.fromkeys(unknown)))
        # 3. allows (union)
        allows: list[tuple[Policy, PolicyRule]] = []
        for p in with_rules:
            for r in p.rules:
                if r.direction == direction and not r.deny and self._rule_matches(r, p, ep, peer, port, proto, unknown):
                    allows.append((p, r))
        if allows:
            p, r = allows[0]
            unmodelled([u for u in partial if "Deny" in u.statement])
            if any(rr.l7 for _, rr in allows) and not any(not rr.l7 for _, rr in allows):
                unknown.append("the allowing rule has L7 rules: Cilium's proxy then decides per request, "
                               "which podpath does not model")
            return Verdict(True, True, [rr.loc or pp.loc for pp, rr in allows],
                           f"{what} is allowed by {p.ref} ({direction} rule {r.index + 1})",
                           "; ".join(dict.fromkeys(unknown)), list(dict.fromkeys(q.ref for q, _ in allows)))
        if not default_deny and self.mode != "always":
            return Verdict(True, True, [p.loc for p in with_rules],
                           f"{what} is allowed: the policies selecting {ep.key} for {direction} all set "
                           f"enableDefaultDeny.{direction}: false and no deny rule matches",
                           "; ".join(dict.fromkeys(unknown)), [p.ref for p in with_rules])
        unmodelled(partial)
        locs = [p.loc for p in default_deny] or ([self.mode_loc] if self.mode_loc else [])
        refs = [p.ref for p in default_deny]
        by = (" and ".join(refs) if len(refs) < 3 else ", ".join(refs[:-1]) + " and " + refs[-1]) if refs \
            else "no policy but enable-policy=always"
        whose = ", whose rules allow nothing that matches" if refs else ", and no rule allows"
        return Verdict(False, True, locs, f"{what} is dropped by default deny: {subject} is selected by {by}"
                       f"{whose} {peer.identity}", "; ".join(dict.fromkeys(unknown)),
                       [p.ref for p in default_deny])

    # --- matching ------------------------------------------------------------------------------------
    def _rule_matches(self, r: PolicyRule, p: Policy, ep: Endpoint, peer: Peer, port: int | None, proto: str,
                      unknown: list[str]) -> bool:
        if not any(self._peer_matches(s, peer, unknown) for s in r.peers):
            return False
        if r.ports is None:
            return True
        # a named port resolves on the destination pod: the subject for ingress, the peer for egress
        target = ep if r.direction == "ingress" else peer.endpoint
        return any(self._port_matches(pr, port, proto, target, unknown) for pr in r.ports)

    def _peer_matches(self, s: PeerSelector, peer: Peer, unknown: list[str]) -> bool:
        if s.all:
            return True
        if s.endpoints is not None:
            if peer.endpoint is not None and peer.endpoint.namespace not in self.namespaces:
                keys = {q.key for q in s.endpoints.requirements if q.key.startswith(NAMESPACE_LABELS_PREFIX)}
                if keys - {NAMESPACE_LABELS_PREFIX + NAMESPACE_NAME_LABEL}:
                    unknown.append(f"Namespace {peer.endpoint.namespace} is not in the snapshot: its labels "
                                   f"(for {s.what or 'a namespaceSelector'}) are unknown")
            return s.endpoints.matches(self._peer_labels(peer))
        if s.entities:
            return any(self._entity_matches(e, peer) for e in s.entities)
        if s.cidr is not None:
            if peer.endpoint is not None:
                return False  # endpoints are matched by identity, never by address
            names = peer.reserved_names
            if names & {"host", "remote-node", "kube-apiserver"} and not (names & _WORLD):
                if not self.cidr_match_nodes:
                    return False
            elif not names & _WORLD:
                return False
            if peer.ip is None:
                unknown.append(f"the address of {peer.identity} is not known for {s.what or 'a CIDR rule'}")
                return False
            return s.cidr.contains(peer.ip)
        return False

    @staticmethod
    def _entity_matches(entity: str, peer: Peer) -> bool:
        if entity == "all":
            return True
        if entity == "none":
            return False
        if entity == "cluster":
            return peer.endpoint is not None or bool(peer.reserved_names & CLUSTER_ENTITIES)
        if peer.endpoint is not None:
            return False
        return entity in peer.reserved_names

    @staticmethod
    def _port_matches(pr: PortRule, port: int | None, proto: str, target: Endpoint | None,
                      unknown: list[str]) -> bool:
        if pr.protocol != "ANY" and pr.protocol != proto:
            return False
        if pr.protocol == "ANY" and proto not in ("TCP", "UDP", "SCTP"):
            return False
        if pr.name is not None:
            if port is None:
                return False
            if target is None:
                return False  # a named port needs a destination pod to resolve on
            number = target.named_port(pr.name, proto)
            if number is None and not target.ports and target.source not in ("Pod",):
                unknown.append(f"the container ports of {target.key} are not known (named port {pr.name})")
            return number is not None and number == port
        if pr.port is None:
            return True
        if port is None:
            return False
        return pr.port <= port <= (pr.end_port or pr.port)


_CACHE: dict[int, tuple["weakref.ref[Any]", PolicySet]] = {}


def policies(snap: "Snapshot") -> PolicySet:
    """The snapshot's PolicySet (built once per snapshot): endpoints, namespaces, policies and the agent
    settings that change verdicts (enable-policy, policy-cidr-match-mode, allow-localhost, cluster-name)."""
    hit = _CACHE.get(id(snap))
    if hit is not None and hit[0]() is snap:
        return hit[1]
    from podpath.readers.netpol import build_endpoints

    model: NetpolModel = getattr(snap, "netpol", None) or NetpolModel()
    build_endpoints(model, snap)
    cfg = snap.cilium
    mode = cfg.get("enable-policy")
    match_mode = cfg.get("policy-cidr-match-mode").value
    localhost = cfg.get("allow-localhost").value.strip().lower()
    cluster = cfg.get("cluster-name").value or "default"
    node_ips = {name: [a.address for a in node.addresses] for name, node in snap.cluster.nodes.items()}
    ps = PolicySet(model, mode=mode.value.strip().lower() or "default", mode_loc=mode.loc,
                   cidr_match_nodes="nodes" in match_mode.replace(",", " ").split(),
                   allow_localhost=localhost != "policy", cluster_name=cluster, node_ips=node_ips,
                   unsupported=[u for u in snap.unsupported if u.statement.split(" ")[0] in _POLICY_STATEMENTS])
    key = id(snap)
    _CACHE[key] = (weakref.ref(snap, lambda _ref, key=key: _CACHE.pop(key, None)), ps)
    return ps


_POLICY_STATEMENTS = frozenset({"NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "Pod",
                                "CiliumEndpoint", "Namespace", "Deployment", "StatefulSet", "DaemonSet"})
