"""Helpers for building snapshot texts in tests."""

from __future__ import annotations

from podpath.snapshot import Snapshot

def node_list(nodes: list[tuple[str, list[str], list[str]]]) -> str:
    """kubectl-style NodeList YAML: (name, addresses, podCIDRs)."""
    out = ["apiVersion: v1", "kind: List", "items:"]
    for name, addrs, cidrs in nodes:
        out += ["- apiVersion: v1", "  kind: Node", "  metadata:", f"    name: {name}", "  spec:", "    podCIDRs:"]
        out += [f"    - {c}" for c in cidrs] or ["    []"]
        out += ["  status:", "    addresses:"]
        out += [f"    - {{type: InternalIP, address: '{a}'}}" for a in addrs]
    return "\n".join(out) + "\n"


def three_nodes(v6_pod: str = "fd00:10:244:{i}::/64", v4_pod: str = "10.244.{i}.0/24") -> str:
    return node_list([(f"n{i}", [f"10.0.0.{10 + i}", f"fd00:10::{10 + i}"],
                       [v4_pod.format(i=i), v6_pod.format(i=i)]) for i in range(1, 4)])


NATIVE_VALUES = """
routingMode: native
autoDirectNodeRoutes: true
kubeProxyReplacement: true
ipv4:
  enabled: true
ipv6:
  enabled: true
ipam:
  mode: kubernetes
bpf:
  masquerade: true
ipv4NativeRoutingCIDR: 10.0.0.0/8
ipv6NativeRoutingCIDR: fd00:10::/32
"""



def ids(snap: Snapshot, rule: str | None = None) -> list[str]:
    return [f.id for f in snap.check().findings if rule is None or f.rule == rule]


def findings(snap: Snapshot, rule: str) -> list:
    return [f for f in snap.check().findings if f.rule == rule]
