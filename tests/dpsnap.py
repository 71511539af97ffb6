"""Small datapath snapshots for the trace tests: two or three nodes on one L2 segment, pods, Services and
policies written as the user would (YAML texts), Cilium values overridable per test."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import podpath

NODES = [("n1", "10.0.0.11", "fd00:10::11", "10.244.1.0/24", "fd00:10:244:1::/64"),
         ("n2", "10.0.0.12", "fd00:10::12", "10.244.2.0/24", "fd00:10:244:2::/64"),
         ("n3", "10.0.0.13", "fd00:10::13", "10.244.3.0/24", "fd00:10:244:3::/64")]

BASE_VALUES: dict[str, Any] = {
    "routingMode": "native", "autoDirectNodeRoutes": True, "kubeProxyReplacement": True,
    "ipv4": {"enabled": True}, "ipv6": {"enabled": True}, "ipam": {"mode": "kubernetes"},
    "bpf": {"masquerade": True}, "enableIPv4Masquerade": True, "enableIPv6Masquerade": True,
    "ipv4NativeRoutingCIDR": "10.244.0.0/16", "ipv6NativeRoutingCIDR": "fd00:10:244::/48",
}


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _yaml(d: Any, indent: int = 0) -> str:
    pad = " " * indent
    lines = []
    for k, v in d.items():
        if isinstance(v, dict):
            lines.append(f"{pad}{k}:")
            lines.append(_yaml(v, indent + 2))
        elif isinstance(v, bool):
            lines.append(f"{pad}{k}: {'true' if v else 'false'}")
        elif isinstance(v, list):
            lines.append(f"{pad}{k}: [{', '.join(str(x) for x in v)}]")
        else:
            lines.append(f"{pad}{k}: {v}")
    return "\n".join(lines)


def nodes_yaml(nodes: list[tuple[str, str, str, str, str]] = NODES) -> str:
    out = ["apiVersion: v1", "kind: List", "items:"]
    for name, v4, v6, p4, p6 in nodes:
        out += ["- apiVersion: v1", "  kind: Node", "  metadata:", f"    name: {name}", "  spec:", "    podCIDRs:",
                f"    - {p4}", f"    - {p6}", "  status:", "    addresses:",
                f"    - {{type: InternalIP, address: '{v4}'}}", f"    - {{type: InternalIP, address: '{v6}'}}"]
    return "\n".join(out) + "\n"


def pod(name: str, node: str, ips: list[str], labels: dict[str, str] | None = None, ns: str = "default",
        ports: list[tuple[str, int]] | None = None) -> str:
    lab = "\n".join(f"    {k}: {v}" for k, v in (labels or {"app": name}).items())
    cports = "".join(f"\n        - {{name: {n}, containerPort: {p}, protocol: TCP}}" for n, p in (ports or []))
    ipl = "\n".join(f"    - ip: {ip}" for ip in ips)
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n{lab}\n"
            f"spec:\n  nodeName: {node}\n  containers:\n    - name: c\n      ports:{cports or ' []'}\n"
            f"status:\n  podIPs:\n{ipl}\n")


def service(name: str, cluster_ip: str, port: int, target: int | str, ns: str = "default", typ: str = "ClusterIP",
            node_port: int | None = None, extra: str = "", family: str | None = None, proto: str = "TCP") -> str:
    fam = family or ("IPv6" if ":" in cluster_ip else "IPv4")
    np = f"\n      nodePort: {node_port}" if node_port else ""
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  type: {typ}\n"
            f"  clusterIP: {cluster_ip}\n  clusterIPs: [{cluster_ip}]\n  ipFamilies: [{fam}]\n{extra}"
            f"  ports:\n    - name: web\n      port: {port}\n      protocol: {proto}\n      targetPort: {target}{np}\n")


def slice_(svc: str, endpoints: list[tuple[str, str, str]], port: int, ns: str = "default",
           family: str = "IPv4", name: str | None = None, proto: str = "TCP") -> str:
    eps = "".join(f"\n  - addresses: [\"{ip}\"]\n    conditions: {{ready: true}}"
                  + (f"\n    nodeName: {node}" if node else "")
                  + (f"\n    targetRef: {{kind: Pod, name: {pod_}, namespace: {ns}}}" if pod_ else "")
                  for ip, node, pod_ in endpoints)
    return (f"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {name or svc + '-' + family.lower()}\n"
            f"  namespace: {ns}\n  labels:\n    kubernetes.io/service-name: {svc}\naddressType: {family}\n"
            f"ports:\n  - name: web\n    port: {port}\n    protocol: {proto}\nendpoints:{eps}\n")


def allow_from_pods_only(ns: str = "default", app: str = "web") -> str:
    """An ingress policy that admits only pods of the namespace (like Flux's allow-egress)."""
    return textwrap.dedent(f"""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: pods-only
          namespace: {ns}
        spec:
          podSelector:
            matchLabels:
              app: {app}
          policyTypes: [Ingress]
          ingress:
            - from:
                - podSelector: {{}}
        """)


def build(tmp: Path, values: dict[str, Any] | None = None, objects: list[str] | None = None,
          manifest: str | None = None, extra_files: dict[str, str] | None = None, name: str = "snap") -> Any:
    root = tmp / name
    (root / "kubernetes").mkdir(parents=True, exist_ok=True)
    v = _merge(BASE_VALUES, values or {})
    (root / "values.yaml").write_text("# Cilium Helm values\n" + _yaml(v) + "\n")
    (root / "kubernetes" / "nodes.yaml").write_text(nodes_yaml())
    if objects:
        (root / "kubernetes" / "objects.yaml").write_text("---\n".join(objects))
    (root / "podpath.yaml").write_text(manifest or textwrap.dedent("""\
        versions:
          cilium: 1.19.0
        segments:
          lan:
            prefixes: [10.0.0.0/24, "fd00:10::/64"]
            mtu: 1500
        """))
    for rel, text in (extra_files or {}).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return podpath.load(root)


def two_pods(extra: list[str] | None = None) -> list[str]:
    """client on n1, web on n2 (dual-stack), and whatever else the test adds."""
    return [pod("client", "n1", ["10.244.1.10", "fd00:10:244:1::10"], {"app": "client"}),
            pod("web", "n2", ["10.244.2.20", "fd00:10:244:2::20"], {"app": "web"}, ports=[("http", 8080)])] + (extra or [])
