"""Service translation as Cilium's load balancer does it: which frontends exist, who translates a
connection to which backend, and what the traffic policies leave.

Semantics (Cilium 1.16-1.19, read in cilium/cilium):

- kube-proxy replacement forces socket-LB on whatever `socketLB.enabled` says: `NewKPRConfig` sets
  `EnableSocketLB = true` when `kube-proxy-replacement` is true, and clears `bpf-lb-sock-hostns-only`
  when socket-LB is off (pkg/kpr/kpr.go `NewKPRConfig`; 1.16: daemon/cmd/kube_proxy_replacement.go
  `initKubeProxyReplacementOptions`). Socket-LB rewrites `connect()`/`sendmsg()` to a backend (bpf/bpf_sock.c
  `__sock4_xlate_fwd`), so no packet ever carries the frontend address. With `bpf-lb-sock-hostns-only` only
  host-namespace sockets are translated there; pods are then translated per packet in bpf_lxc
  (`cil_from_container` -> `__per_packet_lb_svc_xlate_6/4`, bpf/bpf_lxc.c), as they are without socket-LB.
- ClusterIPs are served to in-cluster clients only; a packet from outside the cluster to a ClusterIP is not
  translated unless `bpf-lb-external-clusterip` is on (PR cilium#15650). NodePort, LoadBalancer and
  externalIPs are served by bpf_host on the node the packet arrives at (`nodeport_lb6/4`, bpf/lib/nodeport.h).
- `internalTrafficPolicy: Local` leaves in-cluster clients only the backends on their own node;
  `externalTrafficPolicy: Local` leaves external clients only the backends on the arrival node, while
  in-cluster clients of the same frontend keep every backend (the two lookup scopes of `lb6_lookup_service`,
  bpf/lib/lb.h `LB_LOOKUP_SCOPE_EXT`/`_INT`; PR cilium#12311). No backend left: the connection is refused
  (socket-LB) or the packet dropped ("Service backend not found").
- `loadBalancer.mode` (`bpf-lb-mode`): snat (default) SNATs NodePort/LB traffic forwarded to a remote backend
  to the arrival node's address; dsr keeps the client address (replies leave the backend's node directly);
  hybrid is DSR for TCP and SNAT for UDP (bpf/lib/nodeport.h `nodeport_uses_dsr6/4`).
- Without kube-proxy replacement and without socket-LB the host namespace relies on kube-proxy's netfilter
  rules; podpath does not read them and says so (unknown), unless Talos disables kube-proxy.

Backends are the ready addresses of the Service's EndpointSlices of the frontend's family; the backend port is
the EndpointSlice port named like the Service port (else the Service's numeric targetPort, else its port).
Cilium picks a backend at random (or by Maglev); the trace follows the first by address and lists the others.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.model.cluster import Cluster, Service, ServicePort
from podpath.routing.route import IPAddress


@dataclass(frozen=True)
class Frontend:
    """An address and port Cilium's load balancer answers for. `address` None: a NodePort on every node address."""

    service: Service
    kind: str  # ClusterIP | NodePort | LoadBalancer | ExternalIP
    address: IPAddress | None
    port: int
    protocol: str
    sport: ServicePort
    loc: Loc | None

    def describe(self) -> str:
        addr = "<node>" if self.address is None else (f"[{self.address}]" if self.address.version == 6 else str(self.address))
        return f"{self.service.namespace}/{self.service.name} {self.kind} {addr}:{self.port}/{self.protocol.lower()}"


@dataclass(frozen=True)
class Backend:
    address: IPAddress
    port: int
    node: str | None
    target: str | None  # namespace/pod
    ready: bool
    loc: Loc | None


@dataclass
class Translation:
    """What the load balancer does with one connection to a frontend."""

    frontend: Frontend
    backend: Backend | None
    candidates: list[Backend]
    hook: str  # socket-lb | bpf_lxc | bpf_host | kube-proxy | none
    node: str | None  # where it is translated
    scope: str  # which traffic policy applied, as text
    drop: str | None = None  # why no translation happened / no backend
    unknown: str | None = None  # what podpath cannot settle
    lb_mode: str = "snat"  # for NodePort/LB traffic to a remote backend: snat | dsr
    locs: list[Loc] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def frontends(cluster: Cluster) -> list[Frontend]:
    """Every frontend of every Service, in a stable order."""
    out: list[Frontend] = []
    for svc in cluster.services:
        for sp in svc.ports:
            for ip in svc.cluster_ips:
                out.append(Frontend(svc, "ClusterIP", ip.value, sp.port, sp.protocol, sp, ip.loc))
            for ip in svc.external_ips:
                out.append(Frontend(svc, "ExternalIP", ip.value, sp.port, sp.protocol, sp, ip.loc))
            if svc.type == "LoadBalancer":
                for ip in svc.lb_ips:
                    out.append(Frontend(svc, "LoadBalancer", ip.value, sp.port, sp.protocol, sp, ip.loc))
            if svc.type in ("NodePort", "LoadBalancer") and sp.node_port:
                out.append(Frontend(svc, "NodePort", None, sp.node_port, sp.protocol, sp, sp.loc))
    return out


def find(cluster: Cluster, addr: IPAddress, port: int | None, proto: str, node_addrs: set[IPAddress]) -> list[Frontend]:
    """Frontends matching a destination (a NodePort matches any node address); `port` None: any port."""
    out = []
    for fe in frontends(cluster):
        if fe.protocol != proto.upper():
            continue
        if fe.address is None:
            if addr in node_addrs and port == fe.port:
                out.append(fe)
        elif fe.address == addr and (port is None or port == fe.port):
            out.append(fe)
    return out


def by_name(cluster: Cluster, ns: str, name: str) -> Service | None:
    return next((s for s in cluster.services if s.namespace == ns and s.name == name), None)


def backends(cluster: Cluster, fe: Frontend, family: int) -> list[Backend]:
    """The Service's EndpointSlice addresses of `family`, with the backend port of the frontend's port."""
    svc = fe.service
    out: list[Backend] = []
    for es in cluster.endpoint_slices:
        if es.namespace != svc.namespace or es.service != svc.name:
            continue
        if es.ports:
            hit = es.ports.get(fe.sport.name)
            if hit is None or hit[1] != fe.protocol:
                continue
            port = hit[0]
        else:
            port = fe.sport.target_port if isinstance(fe.sport.target_port, int) else fe.sport.port
        for ep in es.endpoints:
            if ep.address.version == family:
                out.append(Backend(ep.address, port, ep.node, ep.target, ep.ready, ep.loc))
    out.sort(key=lambda b: (int(b.address), b.port))
    return out


def socket_lb(c: object) -> tuple[bool, bool, str]:
    """(socket-LB on, host namespace only, why) from the effective settings."""
    kpr = c.kpr  # type: ignore[attr-defined]
    on = kpr or c.flag("bpf-lb-sock")  # type: ignore[attr-defined]
    why = ("kubeProxyReplacement=true turns socket-LB on (pkg/kpr/kpr.go NewKPRConfig)" if kpr and
           not c.flag("bpf-lb-sock") else "socketLB.enabled" if on else "socket-LB is off")  # type: ignore[attr-defined]
    hostns = on and c.flag("bpf-lb-sock-hostns-only")  # type: ignore[attr-defined]
    return on, hostns, why


def lb_mode(c: object, proto: str) -> str:
    mode = (c.get("bpf-lb-mode").value or "snat").lower()  # type: ignore[attr-defined]
    if mode == "hybrid":
        return "dsr" if proto.upper() == "TCP" else "snat"
    return "dsr" if mode == "dsr" else "snat"


def translate(snap: object, fe: Frontend, client: str, client_node: str | None, arrival_node: str | None,
              family: int) -> Translation:
    """Translate a connection to `fe` from a `client` (pod | host | external) on `client_node`; an external
    client's packet reaches bpf_host on `arrival_node`."""
    c = snap.cilium  # type: ignore[attr-defined]
    cl: Cluster = snap.cluster  # type: ignore[attr-defined]
    svc = fe.service
    cands = [b for b in backends(cl, fe, family) if b.ready]
    locs = [fe.loc, svc.loc]
    on, hostns, why = socket_lb(c)
    notes: list[str] = []
    if client == "external":
        if fe.kind == "ClusterIP" and not c.flag("bpf-lb-external-clusterip"):
            return Translation(fe, None, cands, "none", arrival_node, "", drop=(
                "a ClusterIP is not served to clients outside the cluster (bpf-lb-external-clusterip is off)"),
                locs=locs)
        hook = "bpf_host" if (c.kpr or c.flag("enable-node-port")) else "kube-proxy"
        node = arrival_node
        pol = svc.external_traffic_policy
        local = fe.kind != "ClusterIP" and pol is not None and pol.value == "Local"
        scope = f"externalTrafficPolicy {pol.value if pol else 'Cluster'}"
        if pol is not None:
            locs.append(pol.loc)
    else:
        node = client_node
        if client == "pod":
            hook = "bpf_lxc" if (not on or hostns) else "socket-lb"
            if hook == "bpf_lxc":
                notes.append("pods are translated per packet in bpf_lxc" + (
                    " (socketLB.hostNamespaceOnly)" if hostns else " (socket-LB off)"))
            else:
                notes.append(f"socket-LB translates connect() in the pod: {why}")
        else:
            hook = "socket-lb" if on else "kube-proxy"
        pol = svc.internal_traffic_policy
        local = fe.kind == "ClusterIP" and pol is not None and pol.value == "Local"
        scope = f"internalTrafficPolicy {pol.value if pol else 'Cluster'}"
        if pol is not None:
            locs.append(pol.loc)
    if hook == "kube-proxy":
        t = cl.talos
        if t is not None and t.proxy_disabled is not None and t.proxy_disabled.value:
            return Translation(fe, None, cands, "none", node, scope, drop=(
                "nothing translates it: kube-proxy is disabled (Talos) and Cilium's kube-proxy replacement is off"),
                locs=locs + [t.proxy_disabled.loc])
        return Translation(fe, cands[0] if cands else None, cands, "kube-proxy", node, scope, unknown=(
            "kube-proxy translates it in netfilter; podpath does not read kube-proxy's rules"), locs=locs)
    if not cands and svc.selector and not any(es.namespace == svc.namespace and es.service == svc.name
                                              for es in cl.endpoint_slices):
        # the EndpointSlice controller writes a slice for every Service with a selector (empty when no pod is
        # ready): none in the snapshot means it was not collected, not that there is no backend
        return Translation(fe, None, [], hook, node, scope, unknown=(
            f"the snapshot holds no EndpointSlice of Service {svc.namespace}/{svc.name}, so its backends are not "
            f"known: add `kubectl get endpointslices -n {svc.namespace} -o yaml`"), locs=locs, notes=notes)
    if local:
        cands = [b for b in cands if b.node == node]
    if not cands:
        allb = backends(cl, fe, family)
        what = ("no ready backend of this family" if not [b for b in allb if b.ready] else
                f"no ready backend on {node} ({scope})")
        return Translation(fe, None, [], hook, node, scope, drop=what + (
            ": connect() is refused" if hook == "socket-lb" else ": DROPPED (Service backend not found)"),
            locs=locs, notes=notes)
    b = cands[0]
    if len(cands) > 1:
        notes.append(f"one of {len(cands)} backends is chosen per connection; traced: {b.address} "
                     "(the first by address)")
    mode = lb_mode(c, fe.protocol) if (client == "external" and fe.kind != "ClusterIP") else "snat"
    return Translation(fe, b, cands, hook, node, scope, lb_mode=mode, locs=locs + [b.loc], notes=notes)


def parse_target(text: str) -> tuple[str, int | None, str]:
    """'HOST[:PORT[/tcp|udp]]' or '[v6]:PORT/udp' -> (host, port, protocol). Raises ValueError."""
    proto = "TCP"
    base = text
    if "/" in base and base.rsplit("/", 1)[1].lower() in ("tcp", "udp", "sctp"):
        base, p = base.rsplit("/", 1)
        proto = p.upper()
    port: int | None = None
    if base.startswith("["):
        host, _, rest = base[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
        elif rest:
            raise ValueError(f"cannot read {text!r}")
        return host, port, proto
    if base.count(":") == 1:
        host, p = base.split(":")
        port = int(p)
        return host, port, proto
    if base.count(":") > 1:
        try:
            ipaddress.ip_address(base)
            return base, None, proto
        except ValueError:
            raise ValueError(f"{text!r}: write an IPv6 address with a port as [ADDR]:PORT") from None
    return base, None, proto
