"""readers/netpol.py: pods, workloads, CiliumEndpoints, namespaces and policies with their file:line."""

from __future__ import annotations

import ipaddress
from typing import Callable

from podpath.datapath.policy import policies
from podpath.model.netpol import NetpolModel
from podpath.snapshot import Snapshot

NP = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              team: edge
          podSelector:
            matchLabels:
              app: proxy
        - ipBlock:
            cidr: 192.0.2.0/24
            except:
              - 192.0.2.128/25
      ports:
        - port: http
        - port: 8000
          endPort: 8080
          protocol: UDP
"""


def test_network_policy_parts_and_their_lines(make_snapshot: Callable[..., Snapshot]) -> None:
    snap = make_snapshot({"np.yaml": NP})
    assert not snap.diagnostics.errors
    model: NetpolModel = snap.netpol
    (p,) = model.policies
    assert (p.kind, p.namespace, p.name, str(p.loc)) == ("NetworkPolicy", "shop", "web", "np.yaml:1:1")
    assert p.enforces == {"ingress"}  # policyTypes defaulted: no egress rules
    (rule,) = p.rules
    assert (rule.direction, rule.deny, str(rule.loc)) == ("ingress", False, "np.yaml:11:7")
    sel, block = rule.peers
    assert str(sel.loc) == "np.yaml:12:11" and "team=edge" in sel.what and "app=proxy" in sel.what
    assert block.cidr is not None and str(block.cidr.cidr) == "192.0.2.0/24"
    assert [str(e) for e in block.cidr.excepts] == ["192.0.2.128/25"] and str(block.loc) == "np.yaml:18:11"
    named, ranged = rule.ports or ()
    assert (named.name, named.protocol, str(named.loc)) == ("http", "TCP", "np.yaml:23:11")
    assert (ranged.port, ranged.end_port, ranged.protocol, str(ranged.loc)) == (8000, 8080, "UDP", "np.yaml:24:11")
    assert not [u for u in snap.unsupported if "NetworkPolicy" in u.statement]


def test_pods_workloads_endpoint_slices_and_cilium_endpoints(make_snapshot: Callable[..., Snapshot]) -> None:
    snap = make_snapshot({
        "ns.yaml": """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels: {team: edge}
            """,
        "pod.yaml": """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-0
              namespace: shop
              labels: {app: web}
            spec:
              nodeName: n1
              serviceAccountName: web
              containers:
                - name: c
                  ports:
                    - {name: http, containerPort: 8080}
            status:
              podIPs:
                - ip: 10.1.0.5
                - ip: fd00::5
            """,
        "deploy.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: shop}
            spec:
              selector: {matchLabels: {app: api}}
              template:
                metadata:
                  labels: {app: api, tier: backend}
                spec:
                  containers:
                    - name: c
                      ports: [{name: grpc, containerPort: 9000}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: api-abcde
              namespace: shop
              labels: {kubernetes.io/service-name: api}
            addressType: IPv4
            endpoints:
              - addresses: [10.1.0.7]
                nodeName: n2
                targetRef: {kind: Pod, name: api-6b7c9d8f5-q2w3e, namespace: shop}
            ports:
              - {name: grpc, port: 9000, protocol: TCP}
            """,
        "cep.yaml": """
            apiVersion: cilium.io/v2
            kind: CiliumEndpoint
            metadata: {name: worker-1, namespace: shop}
            status:
              identity:
                id: 12345
                labels:
                  - k8s:app=worker
                  - k8s:io.kubernetes.pod.namespace=shop
                  - k8s:io.cilium.k8s.policy.serviceaccount=worker
              networking:
                node: 192.168.0.2
                addressing:
                  - ipv4: 10.1.0.9
            """,
    })
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics]
    ps = policies(snap)
    web = ps.endpoint("shop/web-0")
    assert web is not None and web.labels == {"app": "web"} and web.node == "n1" and web.service_account == "web"
    assert web.ips == [ipaddress.ip_address("10.1.0.5"), ipaddress.ip_address("fd00::5")]
    assert str(web.ip_locs[web.ips[1]]) == "pod.yaml:17:7" and web.named_port("http", "TCP") == 8080
    api = ps.endpoint_by_ip("10.1.0.7")
    assert api is not None and api.key == "shop/api-6b7c9d8f5-q2w3e" and api.source == "Deployment"
    assert api.labels == {"app": "api", "tier": "backend"} and api.node == "n2" and api.named_port("grpc", "TCP") == 9000
    worker = ps.endpoint_by_ip("10.1.0.9")
    assert worker is not None and worker.labels == {"app": "worker"} and worker.service_account == "worker"
    labels = {(lab.key, lab.value) for lab in ps.labels_of(web)}
    assert ("io.cilium.k8s.namespace.labels.team", "edge") in labels
    assert ("io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name", "shop") in labels
    assert ("io.kubernetes.pod.namespace", "shop") in labels


def test_cilium_policy_parts_specs_and_unsupported(make_snapshot: Callable[..., Snapshot]) -> None:
    snap = make_snapshot({"cnp.yaml": """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: mixed, namespace: shop}
        specs:
          - endpointSelector: {matchLabels: {app: web}}
            ingress:
              - fromEntities: [remote-node, host]
            egressDeny:
              - toCIDRSet:
                  - cidr: 10.0.0.0/8
                    except: [10.1.0.0/16]
          - endpointSelector: {}
            egress:
              - toFQDNs: [{matchName: example.com}]
                toPorts:
                  - ports: [{port: "443", protocol: TCP}]
        """})
    assert not snap.diagnostics.errors
    first, second = snap.netpol.policies
    assert first.ref == "CiliumNetworkPolicy shop/mixed specs[0]" and str(first.loc) == "cnp.yaml:5:5"
    assert first.enforces == {"ingress", "egress"}
    ing, deny = first.rules
    assert ing.peers[0].entities == ("remote-node", "host") and str(ing.peers[0].loc) == "cnp.yaml:7:23"
    assert deny.deny and deny.direction == "egress" and str(deny.peers[0].loc) == "cnp.yaml:10:13"
    (u,) = second.unsupported
    assert str(u.loc) == "cnp.yaml:14:9" and "toFQDNs" in u.statement
    assert u in snap.unsupported
    ps = policies(snap)
    web_like = [e for e in ps.endpoints]
    assert web_like == []  # no pods in this snapshot


def test_invalid_policies_are_diagnostics_not_tracebacks(make_snapshot: Callable[..., Snapshot]) -> None:
    snap = make_snapshot({"bad.yaml": """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: bad-op, namespace: a}
        spec:
          podSelector:
            matchExpressions:
              - {key: app, operator: Equals, values: [x]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: bad-except, namespace: a}
        spec:
          podSelector: {}
          ingress:
            - from:
                - ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}
        ---
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: bad-entity, namespace: a}
        spec:
          endpointSelector: {}
          ingress:
            - fromEntities: [everyone]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: no-selector, namespace: a}
        spec:
          ingress: [{}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: shape, namespace: a}
        spec: [1, 2]
        """})
    errors = [(str(d.loc), d.message) for d in snap.diagnostics.errors]
    assert any(loc == "bad.yaml:7:30" and "operator 'Equals'" in m for loc, m in errors), errors
    assert any(loc == "bad.yaml:16:49" and "not inside cidr" in m for loc, m in errors), errors
    assert any(loc == "bad.yaml:24:22" and "'everyone' is not a Cilium entity" in m for loc, m in errors), errors
    assert any("no-selector" in m and "exactly one of endpointSelector" in m for _, m in errors), errors
    assert any(loc == "bad.yaml:35:7" and "spec must be a mapping" in m for loc, m in errors), errors
    # rejected policies are not evaluated as if they were empty
    assert snap.netpol.policies == []


def test_policy_types_excluding_a_section_warns(make_snapshot: Callable[..., Snapshot]) -> None:
    snap = make_snapshot({"np.yaml": """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: a}
        spec:
          podSelector: {}
          policyTypes: [Ingress]
          egress:
            - to: [{podSelector: {}}]
        """})
    warnings = [d for d in snap.diagnostics if d.level.value == "warning"]
    assert [str(d.loc) for d in warnings] == ["np.yaml:7:3"] and "ignored" in warnings[0].message
    (p,) = snap.netpol.policies
    assert p.rules == [] and p.enforces == {"ingress"}


def test_unmodelled_fields_are_unsupported_with_lines(make_snapshot: Callable[..., Snapshot]) -> None:
    snap = make_snapshot({"ccnp.yaml": """
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: hostfw}
        spec:
          nodeSelector: {matchLabels: {role: edge}}
          ingress:
            - fromEntities: [world]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: l7}
        spec:
          endpointSelector: {}
          ingress:
            - fromRequires: [{matchLabels: {env: prod}}]
              toPorts:
                - ports: [{port: "80"}]
                  rules: {http: [{method: GET}]}
        """})
    assert not snap.diagnostics.errors
    got = sorted((str(u.loc), u.statement.split(": ", 1)[1]) for u in snap.unsupported if "ccnp" in u.loc.file)
    assert got == [("ccnp.yaml:15:7", "spec.ingress[0].fromRequires"),
                   ("ccnp.yaml:18:11", "spec.ingress[0].toPorts[0].rules"),
                   ("ccnp.yaml:5:3", "spec.nodeSelector")]
