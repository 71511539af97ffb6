"""Policy verdicts against the Kubernetes NetworkPolicy semantics and Cilium's own rules.

The Kubernetes cases follow the shape of the upstream e2e / Cyclonus truth tables: three namespaces x, y, z
with pods a, b, c each (labels `pod: <name>`, namespace label `ns: <name>`), probes on TCP/UDP 80 and 81; each
case writes one small policy and checks a table of (source, destination, port, protocol) -> allowed.
"""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path
from typing import Callable

import pytest

import podpath
from podpath.datapath.policy import Peer, PolicySet, Verdict, policies
from podpath.snapshot import Snapshot

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "netpol"


def _ip(ns: str, pod: str) -> str:
    return f"10.0.{NAMESPACES.index(ns) + 1}.{PODS.index(pod) + 1}"


def _cluster_yaml() -> str:
    docs = []
    for ns in NAMESPACES:
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    ns: {ns}\n")
        for pod in PODS:
            docs.append(textwrap.dedent(f"""\
                apiVersion: v1
                kind: Pod
                metadata:
                  name: {pod}
                  namespace: {ns}
                  labels:
                    pod: {pod}
                spec:
                  nodeName: n1
                  containers:
                    - name: c
                      ports:
                        - {{name: serve-80-tcp, containerPort: 80, protocol: TCP}}
                        - {{name: serve-81-udp, containerPort: 81, protocol: UDP}}
                status:
                  podIPs:
                    - ip: {_ip(ns, pod)}
                """))
    docs.append(textwrap.dedent("""\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Node
            metadata: {name: n1}
            status:
              addresses: [{type: InternalIP, address: 192.168.0.1}]
          - apiVersion: v1
            kind: Node
            metadata: {name: n2}
            status:
              addresses: [{type: InternalIP, address: 192.168.0.2}]
        """))
    return "---\n".join(docs)


@pytest.fixture
def cluster(make_snapshot: Callable[..., Snapshot]) -> Callable[..., PolicySet]:
    def build(policy_yaml: str = "", config: str = "") -> PolicySet:
        files = {"cluster.yaml": _cluster_yaml()}
        if policy_yaml:
            files["policy.yaml"] = policy_yaml
        if config:
            files["cilium-config.yaml"] = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cilium-config\n"
                                           "  namespace: kube-system\ndata:\n" + textwrap.indent(
                                               textwrap.dedent(config).strip("\n"), "  ") + "\n")
        snap = make_snapshot(files)
        assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics.errors]
        return policies(snap)

    return build


def ep(ps: PolicySet, key: str):  # noqa: ANN201
    e = ps.endpoint(key)
    assert e is not None, key
    return e


def ingress(ps: PolicySet, src: str, dst: str, port: int | None = 80, proto: str = "TCP") -> Verdict:
    """`src`: `ns/pod` or a reserved identity name with `@ip`."""
    return ps.ingress(ep(ps, dst), _peer(ps, src), port, proto)


def egress(ps: PolicySet, src: str, dst: str, port: int | None = 80, proto: str = "TCP") -> Verdict:
    return ps.egress(ep(ps, src), _peer(ps, dst), port, proto)


def _peer(ps: PolicySet, what: str) -> Peer:
    if "@" in what:
        name, ip = what.split("@")
        return Peer.reserved(name, ip, node="n2" if name == "remote-node" else "n1" if name == "host" else None)
    return Peer.pod(ep(ps, what))


def table(ps: PolicySet, direction: str, port: int = 80, proto: str = "TCP") -> dict[tuple[str, str], bool]:
    fn = ingress if direction == "ingress" else egress
    keys = [f"{n}/{p}" for n in NAMESPACES for p in PODS]
    return {(s, d): fn(ps, s, d, port, proto).allowed for s in keys for d in keys}


def allowed_pairs(ps: PolicySet, direction: str = "ingress", port: int = 80, proto: str = "TCP") -> set[tuple[str, str]]:
    return {k for k, v in table(ps, direction, port, proto).items() if v}


ALL = {(f"{n}/{p}", f"{m}/{q}") for n in NAMESPACES for p in PODS for m in NAMESPACES for q in PODS}


# --- Kubernetes NetworkPolicy ------------------------------------------------------------------------------
def test_no_policy_allows_everything_unenforced(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster()
    assert allowed_pairs(ps) == ALL
    v = ingress(ps, "x/a", "y/b")
    assert v.allowed and not v.enforced and v.decided_by == []


DENY_ALL_X = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""


def test_default_deny_ingress_in_one_namespace(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster(DENY_ALL_X)
    assert allowed_pairs(ps) == {(s, d) for s, d in ALL if not d.startswith("x/")}
    v = ingress(ps, "y/a", "x/b")
    assert not v.allowed and v.enforced and v.default_deny
    assert [str(loc) for loc in v.decided_by] == ["policy.yaml:1:1"]
    assert "default deny" in v.reason and "NetworkPolicy x/deny-all" in v.reason
    # egress of x is not restricted by an Ingress-only policy
    assert allowed_pairs(ps, "egress") == ALL


def test_allow_from_namespace(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-y, namespace: x}
        spec:
          podSelector: {matchLabels: {pod: a}}
          ingress:
            - from:
                - namespaceSelector: {matchLabels: {ns: y}}
        """)
    into_xa = {s for s, d in allowed_pairs(ps) if d == "x/a"}
    assert into_xa == {"y/a", "y/b", "y/c"}
    assert ingress(ps, "x/b", "x/c").allowed  # x/c is not selected


def test_implicit_namespace_name_label(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-z, namespace: x}
        spec:
          podSelector: {}
          ingress:
            - from:
                - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}
        """)
    assert {s for s, d in allowed_pairs(ps) if d == "x/b"} == {"z/a", "z/b", "z/c"}


AND_PEER = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: and, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {ns: y}}
          podSelector: {matchLabels: {pod: b}}
"""
OR_PEERS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: or, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {ns: y}}
        - podSelector: {matchLabels: {pod: b}}
"""


def test_pod_and_namespace_selector_in_one_peer_is_and(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster(AND_PEER)
    assert {s for s, d in allowed_pairs(ps) if d == "x/a"} == {"y/b"}


def test_separate_peers_are_or_and_pod_selector_stays_in_namespace(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster(OR_PEERS)
    # y/* by namespace, x/b by podSelector (policy namespace only): z/b is not allowed
    assert {s for s, d in allowed_pairs(ps) if d == "x/a"} == {"y/a", "y/b", "y/c", "x/b"}


def test_namespace_selector_matching_no_pod_labels(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: expr, namespace: x}
        spec:
          podSelector: {}
          ingress:
            - from:
                - namespaceSelector:
                    matchExpressions: [{key: ns, operator: NotIn, values: [y]}]
                  podSelector:
                    matchExpressions: [{key: pod, operator: In, values: [a, c]}]
        """)
    assert {s for s, d in allowed_pairs(ps) if d == "x/b"} == {"x/a", "x/c", "z/a", "z/c"}


def test_ports_numbers_protocols_and_named_ports(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: ports, namespace: x}
        spec:
          podSelector: {matchLabels: {pod: a}}
          ingress:
            - ports:
                - port: 80
            - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
              ports:
                - {port: serve-81-udp, protocol: UDP}
        """)
    assert ingress(ps, "z/c", "x/a", 80, "TCP").allowed
    assert not ingress(ps, "z/c", "x/a", 81, "TCP").allowed
    assert not ingress(ps, "z/c", "x/a", 80, "UDP").allowed  # protocol defaults to TCP
    assert ingress(ps, "y/b", "x/a", 81, "UDP").allowed  # named port resolved on x/a
    assert not ingress(ps, "z/b", "x/a", 81, "UDP").allowed
    assert not ingress(ps, "y/b", "x/a", 81, "TCP").allowed
    assert not ingress(ps, "y/b", "x/a", None, "ICMP").allowed


def test_named_port_that_the_pod_does_not_have(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: named, namespace: x}
        spec:
          podSelector: {}
          ingress:
            - ports: [{port: metrics}]
        """)
    v = ingress(ps, "y/a", "x/a", 80)
    assert not v.allowed and v.default_deny


def test_end_port_range(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: range, namespace: x}
        spec:
          podSelector: {}
          ingress:
            - ports: [{port: 8000, endPort: 8100, protocol: TCP}]
        """)
    assert [ingress(ps, "y/a", "x/a", p).allowed for p in (7999, 8000, 8050, 8100, 8101)] == \
        [False, True, True, True, False]


def test_egress_default_deny_and_ingress_untouched(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-egress, namespace: x}
        spec:
          podSelector: {}
          policyTypes: [Egress]
        """)
    assert allowed_pairs(ps, "egress") == {(s, d) for s, d in ALL if not s.startswith("x/")}
    assert not egress(ps, "x/a", "world@203.0.113.1", 443).allowed
    assert allowed_pairs(ps, "ingress") == ALL


def test_policy_types_default_includes_ingress_when_only_egress_rules(cluster: Callable[..., PolicySet]) -> None:
    """No policyTypes: Ingress always, Egress because egress rules exist: the pod is ingress-isolated too."""
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: egress-only-rules, namespace: x}
        spec:
          podSelector: {matchLabels: {pod: a}}
          egress:
            - to: [{podSelector: {}}]
        """)
    assert not ingress(ps, "x/b", "x/a").allowed
    assert egress(ps, "x/a", "x/b").allowed
    assert not egress(ps, "x/a", "y/b").allowed


def test_egress_rule_without_to_allows_everything(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-egress-53, namespace: x}
        spec:
          podSelector: {}
          policyTypes: [Egress]
          egress:
            - ports: [{port: 53, protocol: UDP}]
        """)
    assert egress(ps, "x/a", "world@198.51.100.53", 53, "UDP").allowed
    assert egress(ps, "x/a", "y/c", 53, "UDP").allowed
    assert not egress(ps, "x/a", "y/c", 53, "TCP").allowed


def test_multiple_policies_are_a_union(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-y-80, namespace: x}
        spec:
          podSelector: {}
          ingress:
            - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
              ports: [{port: 80}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-z-81, namespace: x}
        spec:
          podSelector: {}
          ingress:
            - from: [{namespaceSelector: {matchLabels: {ns: z}}}]
              ports: [{port: 81}]
        """)
    assert ingress(ps, "y/a", "x/a", 80).allowed and not ingress(ps, "y/a", "x/a", 81).allowed
    assert ingress(ps, "z/a", "x/a", 81).allowed and not ingress(ps, "z/a", "x/a", 80).allowed
    v = ingress(ps, "x/b", "x/a", 80)
    assert not v.allowed and len(v.decided_by) == 2  # both selecting policies are cited


IPBLOCK = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ipblock, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock:
            cidr: 192.0.2.0/24
            except: [192.0.2.128/25]
        - ipBlock:
            cidr: 10.0.0.0/8
"""


def test_ip_block_with_except(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster(IPBLOCK)
    assert egress(ps, "x/a", "world@192.0.2.10").allowed
    v = egress(ps, "x/a", "world@192.0.2.200")
    assert not v.allowed and v.default_deny
    assert not egress(ps, "x/a", "world@198.51.100.1").allowed


def test_ip_block_does_not_select_pods_or_nodes(cluster: Callable[..., PolicySet]) -> None:
    """Cilium matches pods and nodes by identity: an ipBlock covering their addresses selects neither."""
    ps = cluster(IPBLOCK)
    assert egress(ps, "x/a", "world@10.99.0.1").allowed  # outside the cluster, inside the block
    assert not egress(ps, "x/a", "y/b").allowed  # 10.0.2.2 is in 10.0.0.0/8 but is a pod
    ps_nodes = cluster(IPBLOCK.replace("10.0.0.0/8", "192.168.0.0/16"))
    assert not egress(ps_nodes, "x/a", "remote-node@192.168.0.2").allowed


def test_policy_cidr_match_mode_nodes(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster(IPBLOCK.replace("10.0.0.0/8", "192.168.0.0/16"), config="policy-cidr-match-mode: nodes")
    assert egress(ps, "x/a", "remote-node@192.168.0.2").allowed
    assert not egress(ps, "x/a", "y/b").allowed


def test_reserved_identities_never_match_pod_or_namespace_selectors(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: all-namespaces, namespace: x}
        spec:
          podSelector: {}
          ingress:
            - from: [{namespaceSelector: {}}, {podSelector: {}}]
        """)
    assert {s for s, d in allowed_pairs(ps) if d == "x/a"} == {f"{n}/{p}" for n in NAMESPACES for p in PODS}
    for peer in ("remote-node@192.168.0.2", "world@203.0.113.7", "kube-apiserver@192.168.0.2"):
        v = ingress(ps, peer, "x/a", 80)
        assert not v.allowed and v.default_deny, peer


def test_ingress_rule_without_from_allows_every_identity(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: open-80, namespace: x}
        spec:
          podSelector: {}
          ingress:
            - ports: [{port: 80}]
        """)
    for peer in ("remote-node@192.168.0.2", "world@203.0.113.7", "y/b"):
        assert ingress(ps, peer, "x/a", 80).allowed, peer
        assert not ingress(ps, peer, "x/a", 81).allowed, peer


def test_local_host_always_reaches_local_pods(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster(DENY_ALL_X)
    v = ingress(ps, "host@192.168.0.1", "x/a")
    assert v.allowed and v.enforced and "allow-localhost" in v.reason
    ps = cluster(DENY_ALL_X, config="allow-localhost: policy")
    assert not ingress(ps, "host@192.168.0.1", "x/a").allowed


# --- enforcement mode -----------------------------------------------------------------------------------------
def test_enforcement_always_denies_without_policy(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster(config="enable-policy: always")
    v = ingress(ps, "x/a", "y/b")
    assert not v.allowed and v.enforced
    assert [str(loc) for loc in v.decided_by] == ["cilium-config.yaml:7:18"]


def test_enforcement_never_ignores_policies(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster(DENY_ALL_X, config="enable-policy: never")
    v = ingress(ps, "y/a", "x/b")
    assert v.allowed and not v.enforced and "never" in v.reason


# --- Cilium policies ------------------------------------------------------------------------------------------
def test_cnp_entities_remote_node_after_snat(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: from-nodes, namespace: x}
        spec:
          endpointSelector: {matchLabels: {pod: a}}
          ingress:
            - fromEntities: [remote-node]
              toPorts:
                - ports: [{port: "80", protocol: TCP}]
        """)
    # the pod's packet, SNATed to its node's address, is the remote-node identity at the destination
    snat = ps.peer_for("192.168.0.2", at_node="n1")
    assert snat.entity == "remote-node" and snat.endpoint is None and snat.node == "n2"
    assert ps.ingress(ep(ps, "x/a"), snat, 80, "TCP").allowed
    assert not ps.ingress(ep(ps, "x/a"), snat, 81, "TCP").allowed
    assert not ingress(ps, "y/b", "x/a", 80).allowed  # the pod itself is not remote-node
    assert not ingress(ps, "world@203.0.113.9", "x/a", 80).allowed


def test_cluster_entity_contains_pods_and_nodes_not_world(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: cluster, namespace: x}
        spec:
          endpointSelector: {}
          ingress:
            - fromEntities: [cluster]
        """)
    for peer in ("z/c", "remote-node@192.168.0.2", "kube-apiserver@192.168.0.2", "health@10.9.9.9"):
        assert ingress(ps, peer, "x/a").allowed, peer
    assert not ingress(ps, "world@203.0.113.1", "x/a").allowed


def test_world_entity_is_outside_the_cluster(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: world, namespace: x}
        spec:
          endpointSelector: {}
          egress:
            - toEntities: [world]
        """)
    assert egress(ps, "x/a", "world@2001:db8::1", 443).allowed
    assert not egress(ps, "x/a", "y/a").allowed
    assert not egress(ps, "x/a", "remote-node@192.168.0.2").allowed


def test_deny_takes_precedence_over_allow_across_kinds(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-all, namespace: x}
        spec:
          podSelector: {}
          ingress: [{}]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: deny-y}
        spec:
          endpointSelector: {}
          ingressDeny:
            - fromEndpoints:
                - matchLabels: {k8s:io.kubernetes.pod.namespace: y}
              toPorts:
                - ports: [{port: "80"}]
        """)
    v = ingress(ps, "y/a", "x/a", 80)
    assert not v.allowed and v.enforced and "deny" in v.reason.lower()
    assert [str(loc) for loc in v.decided_by] == ["policy.yaml:14:7"]
    assert ingress(ps, "y/a", "x/a", 81).allowed  # the deny is for port 80 only
    assert ingress(ps, "z/a", "x/a", 80).allowed
    # a deny-only policy still puts what it selects into default deny: z had no policy, now only deny-y
    assert "deny rule" in ingress(ps, "y/a", "z/b", 80).reason
    v = ingress(ps, "y/a", "z/b", 81)
    assert not v.allowed and v.default_deny and v.policies == ["CiliumClusterwideNetworkPolicy deny-y"]
    assert [str(loc) for loc in v.decided_by] == ["policy.yaml:8:1"]


def test_deny_world_with_allow_all(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: no-world, namespace: x}
        spec:
          endpointSelector: {}
          ingress:
            - fromEntities: [all]
          ingressDeny:
            - fromEntities: [world]
        """)
    assert not ingress(ps, "world@203.0.113.1", "x/a").allowed
    assert ingress(ps, "remote-node@192.168.0.2", "x/a").allowed
    assert ingress(ps, "y/c", "x/a").allowed


def test_cnp_peer_selector_scoped_to_policy_namespace(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: same-ns, namespace: x}
        spec:
          endpointSelector: {matchLabels: {pod: a}}
          ingress:
            - fromEndpoints: [{matchLabels: {pod: b}}]
            - fromEndpoints:
                - matchLabels: {k8s:io.kubernetes.pod.namespace: z, pod: c}
        """)
    assert {s for s, d in allowed_pairs(ps) if d == "x/a"} == {"x/b", "z/c"}


def test_ccnp_empty_endpoint_selector_peer_is_every_pod_not_nodes(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: pods-only}
        spec:
          endpointSelector: {matchLabels: {pod: c}}
          ingress:
            - fromEndpoints: [{}]
        """)
    assert {s for s, d in allowed_pairs(ps) if d == "y/c"} == {f"{n}/{p}" for n in NAMESPACES for p in PODS}
    assert not ingress(ps, "remote-node@192.168.0.2", "y/c").allowed
    assert ingress(ps, "remote-node@192.168.0.2", "y/b").allowed  # not selected


def test_cnp_reserved_label_selector(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: reserved, namespace: x}
        spec:
          endpointSelector: {}
          ingress:
            - fromEndpoints: [{matchLabels: {reserved:remote-node: ""}}]
        """)
    assert ingress(ps, "remote-node@192.168.0.2", "x/a").allowed
    assert not ingress(ps, "x/b", "x/a").allowed


def test_cnp_empty_ingress_list_does_not_enforce_but_empty_rule_does(cluster: Callable[..., PolicySet]) -> None:
    base = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: p, namespace: x}
        spec:
          endpointSelector: {}
          ingress: %s
        """
    ps = cluster(base % "[]")
    v = ingress(ps, "y/a", "x/a")
    assert v.allowed and not v.enforced
    ps = cluster(base % "[{}]")
    v = ingress(ps, "y/a", "x/a")
    assert not v.allowed and v.enforced and v.default_deny


def test_cnp_l4_only_rule_allows_every_peer(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: l4, namespace: x}
        spec:
          endpointSelector: {}
          egress:
            - toPorts:
                - ports: [{port: "53", protocol: ANY}]
        """)
    assert egress(ps, "x/a", "world@198.51.100.53", 53, "UDP").allowed
    assert egress(ps, "x/a", "y/b", 53, "TCP").allowed
    assert not egress(ps, "x/a", "y/b", 54, "TCP").allowed


def test_cnp_enable_default_deny_false(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: additive, namespace: x}
        spec:
          endpointSelector: {}
          enableDefaultDeny: {ingress: false}
          ingress:
            - fromEndpoints: [{matchLabels: {pod: a}}]
          ingressDeny:
            - fromEntities: [world]
        """)
    v = ingress(ps, "y/b", "x/c")
    assert v.allowed and v.enforced
    assert not ingress(ps, "world@203.0.113.1", "x/c").allowed


def test_cnp_cidr_set_with_except_and_bare_ip(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: cidr, namespace: x}
        spec:
          endpointSelector: {}
          egress:
            - toCIDRSet:
                - cidr: 2001:db8::/32
                  except: [2001:db8:1::/48]
            - toCIDR: [203.0.113.5]
        """)
    assert egress(ps, "x/a", "world@2001:db8:2::1").allowed
    assert not egress(ps, "x/a", "world@2001:db8:1::1").allowed
    assert egress(ps, "x/a", "world@203.0.113.5").allowed
    assert not egress(ps, "x/a", "world@203.0.113.6").allowed


def test_l7_rules_allow_at_l4_and_say_unknown(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: http, namespace: x}
        spec:
          endpointSelector: {}
          ingress:
            - toPorts:
                - ports: [{port: "80", protocol: TCP}]
                  rules:
                    http: [{method: GET}]
        """)
    v = ingress(ps, "y/a", "x/a", 80)
    assert v.allowed and "L7" in v.unknown
    assert not ingress(ps, "y/a", "x/a", 81).allowed


def test_api_server_node_is_remote_node_and_kube_apiserver(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: api, namespace: x}
        spec:
          endpointSelector: {}
          ingress:
            - fromEntities: [kube-apiserver]
        """)
    both = Peer.reserved("remote-node", "192.168.0.2", node="n2", extra=("kube-apiserver",))
    assert ps.ingress(ep(ps, "x/a"), both, 443, "TCP").allowed
    assert not ingress(ps, "remote-node@192.168.0.2", "x/a", 443).allowed


def test_missing_namespace_object_makes_namespace_label_selectors_unknown(
        make_snapshot: Callable[..., Snapshot]) -> None:
    snap = make_snapshot({"a.yaml": """
        apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: shop, labels: {app: web}}
        status: {podIPs: [{ip: 10.1.0.1}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: probe, namespace: monitoring}
        status: {podIPs: [{ip: 10.1.0.2}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-monitoring, namespace: shop}
        spec:
          podSelector: {}
          ingress:
            - from: [{namespaceSelector: {matchLabels: {team: observability}}}]
        """})
    ps = policies(snap)
    v = ps.ingress(ep(ps, "shop/web"), ps.peer_for("10.1.0.2"), 80, "TCP")
    assert not v.allowed and "Namespace monitoring is not in the snapshot" in v.unknown


def test_host_network_pods_and_host_firewall_policies_are_not_enforced(
        make_snapshot: Callable[..., Snapshot]) -> None:
    snap = make_snapshot({"a.yaml": """
        apiVersion: v1
        kind: Pod
        metadata: {name: agent, namespace: x, labels: {app: agent}}
        spec: {hostNetwork: true, nodeName: n1}
        status: {podIPs: [{ip: 192.168.0.1}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: x}
        spec: {podSelector: {}}
        ---
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: hostfw}
        spec:
          nodeSelector: {}
          ingress: [{fromEntities: [cluster]}]
        """})
    ps = policies(snap)
    agent = ep(ps, "x/agent")
    v = ps.ingress(agent, Peer.reserved("world", "203.0.113.1"), 22, "TCP")
    assert v.allowed and not v.enforced and "host network" in v.reason
    assert ps.endpoint_by_ip("192.168.0.1") is None  # its address is the node's: host/remote-node identity
    assert [p.name for p in ps.selecting(agent)] == ["deny"]  # the nodeSelector policy selects no pod


def test_endpoint_known_only_from_an_endpoint_slice_is_unknown(make_snapshot: Callable[..., Snapshot]) -> None:
    snap = make_snapshot({"a.yaml": """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: api-1
          namespace: x
          labels: {kubernetes.io/service-name: api}
        addressType: IPv4
        endpoints:
          - addresses: [10.1.0.9]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: only-web, namespace: x}
        spec:
          podSelector: {matchLabels: {app: web}}
        """})
    ps = policies(snap)
    api = ps.endpoint_by_ip("10.1.0.9")
    assert api is not None and api.source == "EndpointSlice"
    v = ps.ingress(api, Peer.reserved("world", "203.0.113.1"), 80, "TCP")
    assert v.allowed and "labels of x/api@10.1.0.9 are not known" in v.unknown


# --- identities -----------------------------------------------------------------------------------------------
def test_peer_for_derives_identity_from_address(cluster: Callable[..., PolicySet]) -> None:
    ps = cluster()
    assert ps.peer_for("10.0.2.3").endpoint is ep(ps, "y/c")
    assert ps.peer_for("192.168.0.1", at_node="n1").entity == "host"
    assert ps.peer_for("192.168.0.1", at_node="n2").entity == "remote-node"
    world = ps.peer_for(ipaddress.ip_address("10.0.9.9"), at_node="n1", pod_cidr=True)
    assert world.entity == "world" and "no pod" in world.note
    assert world.reserved_names == {"world", "world-ipv4"}


def test_verdicts_are_deterministic(cluster: Callable[..., PolicySet]) -> None:
    a = table(cluster(OR_PEERS + "---\n" + DENY_ALL_X), "ingress")
    b = table(cluster(DENY_ALL_X + "---\n" + OR_PEERS), "ingress")
    assert a == b


# --- the Flux fixture (seed 000's question) ---------------------------------------------------------------------
def test_flux_policies_allow_the_pod_and_deny_it_after_snat(tmp_path: Path) -> None:
    root = tmp_path / "flux"
    root.mkdir()
    for name in ("flux-system.yaml", "flux-controllers.yaml"):
        (root / name).write_text((FIXTURES / name).read_text())
    (root / "pods.yaml").write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: kustomize-controller-7d9f8b6c5d-x2x4q
          namespace: flux-system
          labels: {app: kustomize-controller}
        spec: {nodeName: solwk03}
        status:
          podIPs: [{ip: "fd00:101:224:6::a"}]
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: source-controller-5c9d8f7b4-qwz7p
          namespace: flux-system
          labels: {app: source-controller}
        spec:
          nodeName: solwk01
          containers:
            - name: manager
              ports: [{name: http, containerPort: 9090}]
        status:
          podIPs: [{ip: "fd00:101:224:2::b"}]
        """))
    snap = podpath.load(root)
    assert not snap.diagnostics.errors
    ps = policies(snap)
    src = ps.endpoint_by_ip("fd00:101:224:6::a")
    dst = ps.endpoint("flux-system/source-controller-5c9d8f7b4-qwz7p")
    assert src is not None and dst is not None
    assert ps.ingress(dst, Peer.pod(src), 9090, "TCP").allowed
    snat = Peer.reserved("remote-node", "fd00:101::13", node="solwk03")
    v = ps.ingress(dst, snat, 9090, "TCP")
    assert not v.allowed and v.enforced and v.default_deny
    assert sorted(v.policies) == ["NetworkPolicy flux-system/allow-egress", "NetworkPolicy flux-system/allow-scraping"]
    assert all(loc.file == "flux-system.yaml" and loc.line for loc in v.decided_by)
    # metrics: every namespace's pods may scrape 8080, a node still may not
    assert ps.ingress(dst, Peer.pod(src), 8080, "TCP").allowed
    assert not ps.ingress(dst, snat, 8080, "TCP").allowed
    # egress of the controllers is open
    assert ps.egress(src, Peer.reserved("world", "2001:db8::443"), 443, "TCP").allowed


# --- generated NetworkPolicies against an oracle written from the Kubernetes API documentation ---------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LABEL_SEL = st.one_of(
    st.just({}),
    st.sampled_from(PODS).map(lambda p: {"matchLabels": {"pod": p}}),
    st.lists(st.sampled_from(PODS), min_size=1, max_size=2, unique=True).map(
        lambda v: {"matchExpressions": [{"key": "pod", "operator": "In", "values": v}]}),
    st.sampled_from(PODS).map(lambda p: {"matchExpressions": [{"key": "pod", "operator": "NotIn", "values": [p]}]}),
)
_NS_SEL = st.one_of(
    st.just({}),
    st.sampled_from(NAMESPACES).map(lambda n: {"matchLabels": {"ns": n}}),
    st.sampled_from(NAMESPACES).map(lambda n: {"matchLabels": {"kubernetes.io/metadata.name": n}}),
    st.sampled_from(NAMESPACES).map(lambda n: {"matchExpressions": [{"key": "ns", "operator": "NotIn", "values": [n]}]}),
)
_PEER = st.one_of(
    _LABEL_SEL.map(lambda s: {"podSelector": s}),
    _NS_SEL.map(lambda s: {"namespaceSelector": s}),
    st.tuples(_NS_SEL, _LABEL_SEL).map(lambda t: {"namespaceSelector": t[0], "podSelector": t[1]}),
)
_PORTS = st.one_of(st.just([]), st.just([{"port": 80}]), st.just([{"port": 81, "protocol": "UDP"}]),
                   st.just([{"port": "serve-80-tcp"}]), st.just([{"protocol": "UDP"}]))
_RULE = st.tuples(st.one_of(st.just([]), st.lists(_PEER, min_size=1, max_size=2)), _PORTS)
_POLICY = st.fixed_dictionaries({
    "ns": st.sampled_from(NAMESPACES),
    "podSelector": _LABEL_SEL,
    "policyTypes": st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]),
    "ingress": st.lists(_RULE, max_size=2),
    "egress": st.lists(_RULE, max_size=2),
})


def _k8s_match(sel: dict, labels: dict[str, str]) -> bool:
    for k, v in sel.get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions", []):
        has = e["key"] in labels and labels[e["key"]] in e["values"]
        if (e["operator"] == "In") != has:
            return False
    return True


def _oracle(pols: list[dict], direction: str, subj: tuple[str, str], peer: tuple[str, str], port: int,
            proto: str) -> bool:
    """The NetworkPolicy API documentation, for pods only (no ipBlock): isolated when selected by a policy whose
    policyTypes (defaulted) has the direction; then allowed when some rule of such a policy matches."""
    def labels(p: tuple[str, str]) -> dict[str, str]:
        return {"pod": p[1]}

    def ns_labels(n: str) -> dict[str, str]:
        return {"ns": n, "kubernetes.io/metadata.name": n}

    isolated, allowed = False, False
    for pol in pols:
        types = pol["policyTypes"] or (["Ingress"] + (["Egress"] if pol["egress"] else []))
        if direction.capitalize() not in types or pol["ns"] != subj[0] or not _k8s_match(pol["podSelector"],
                                                                                         labels(subj)):
            continue
        isolated = True
        for peers, ports in pol[direction]:
            peer_ok = not peers or any(
                (_k8s_match(pr["namespaceSelector"], ns_labels(peer[0])) if "namespaceSelector" in pr
                 else peer[0] == pol["ns"]) and _k8s_match(pr.get("podSelector", {}), labels(peer))
                for pr in peers)
            named = {"serve-80-tcp": (80, "TCP"), "serve-81-udp": (81, "UDP")}
            port_ok = not ports or any(
                (pr.get("protocol", "TCP") == proto) and (
                    "port" not in pr or pr["port"] == port or named.get(str(pr["port"])) == (port, proto))
                for pr in ports)
            allowed = allowed or (peer_ok and port_ok)
    return not isolated or allowed


def _policy_yaml(i: int, pol: dict) -> str:
    import json

    spec: dict = {"podSelector": pol["podSelector"]}
    if pol["policyTypes"] is not None:
        spec["policyTypes"] = pol["policyTypes"]
    for direction, key in (("ingress", "from"), ("egress", "to")):
        if pol[direction]:
            spec[direction] = [{**({key: peers} if peers else {}), **({"ports": ports} if ports else {})}
                               for peers, ports in pol[direction]]
    return json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                       "metadata": {"name": f"p{i}", "namespace": pol["ns"]}, "spec": spec})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pols=st.lists(_POLICY, min_size=1, max_size=3))
def test_generated_network_policies_match_the_api_semantics(tmp_path_factory: pytest.TempPathFactory,
                                                            pols: list[dict]) -> None:
    root = tmp_path_factory.mktemp("gen")
    (root / "cluster.yaml").write_text(_cluster_yaml())
    # the policies that fail the API's validation (policyTypes without the rules' direction) are still valid
    (root / "policy.yaml").write_text("\n---\n".join(_policy_yaml(i, p) for i, p in enumerate(pols)) + "\n")
    snap = podpath.load(root)
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics.errors]
    ps = policies(snap)
    pods = [(n, p) for n in NAMESPACES for p in PODS]
    for direction in ("ingress", "egress"):
        for subj in pods:
            for peer in pods[::2]:
                for port, proto in ((80, "TCP"), (81, "UDP")):
                    fn = ps.ingress if direction == "ingress" else ps.egress
                    got = fn(ep(ps, "/".join(subj)), Peer.pod(ep(ps, "/".join(peer))), port, proto).allowed
                    assert got == _oracle(pols, direction, subj, peer, port, proto), (direction, subj, peer, port)
