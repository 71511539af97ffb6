"""Trace one packet (the first of a connection) through Cilium's datapath and the underlay.

The walk follows Cilium 1.16-1.19 (shared reference cilium-datapath.md sections 3-6, from cilium/cilium):

1. Source. A pod's packet enters bpf_lxc (`cil_from_container`, bpf/bpf_lxc.c); a node's own packet leaves its
   host stack; an external sender's packet starts on its router (a host of the snapshot) or at the node that
   owns the destination.
2. Service translation (datapath/services.py): socket-LB at connect(), per packet in bpf_lxc, or bpf_host's
   NodePort/LoadBalancer path on the node the packet reaches (`nodeport_lb6/4`, bpf/lib/nodeport.h).
3. Egress policy of the source endpoint on the translated destination (datapath/policy.py), after the CT
   lookup and the ipcache lookup of the destination identity (bpf_lxc `handle_ipv6_from_lxc`).
4. Local delivery (destination endpoint on the same node: ingress policy tail call, `to-endpoint`), or routing:
   tunnel mode encapsulates to the remote node (`to-overlay`, bpf/lib/encap.h) for pod destinations; native
   mode with BPF host routing does `fib_redirect_v6/v4` (bpf/lib/fib.h:59-240) -> `to-network`; a FIB miss
   is `NOT_FWDED` -> `to-stack` and the kernel drops it; blackhole/unreachable/prohibit routes give
   `DROPPED (FIB lookup failed)` (bpf/bpf_lxc.c:722-735). Legacy host routing (`enable-host-legacy-routing`
   or the silent fallback of CiliumConfig.bpf_host_routing) hands the packet to the stack (`to-stack`) and the
   kernel routes it over the same table. Both use the simulated kernel tables (snap.simulate(): connected,
   static, Cilium's own and BGP-installed routes), looked up longest-prefix first (routing/reach.Forwarder).
5. Masquerade on the egress device (datapath/masquerade.py), then every underlay hop through the routers'
   simulated tables.
6. Destination node: `cil_from_netdev` (bpf/bpf_host.c:341-368): NodePort/LB translation, then the source's
   identity from the ipcache (bpf/lib/identity.h:86-110; pod identity, or remote-node/kube-apiserver/host for
   a node address after SNAT, world otherwise), the destination endpoint's ingress verdict and `to-endpoint`
   (or `DROPPED (Policy denied)`); with BPF host routing delivered by `bpf_redirect_peer` (the host-side lxc
   capture does not see it), legacy via cilium_host or the endpoint route.

Every decision cites the setting, Service/EndpointSlice or policy rule (file:line) that made it. What podpath
cannot settle (no Pod object, kube-proxy's rules, a router outside the snapshot) makes the verdict "unknown" with
what would settle it. Replies are not traced; their rev-NAT happens on the receiving NIC (bpf/lib/nodeport.h).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from podpath.datapath import hubble as hb
from podpath.datapath import masquerade as mq
from podpath.datapath import services as svcs
from podpath.diagnostics import Loc
from podpath.model.cluster import Node
from podpath.routing.route import IPAddress

MAX_HOPS = 16
TUNNEL_OVERHEAD = {4: 50, 6: 70}


class TraceError(ValueError):
    """A SRC/DST that does not name anything in the snapshot (a usage error)."""


@dataclass
class Party:
    kind: str  # pod | host | service | external
    name: str
    ips: dict[int, IPAddress] = field(default_factory=dict)
    node: str | None = None  # a pod's node, a host's node; for external: the snapshot host it sits on, if any
    endpoint: Any = None  # policy Endpoint
    service: Any = None
    note: str = ""

    def describe(self) -> str:
        what = {"pod": "pod", "host": "node", "service": "service", "external": "external"}[self.kind]
        where = f" on {self.node}" if self.node and self.kind == "pod" else ""
        return f"{what} {self.name}{where}"


@dataclass
class Step:
    node: str | None
    hook: str
    text: str
    locs: list[Loc] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "hook": self.hook, "text": self.text,
                "locations": [l.to_json() for l in self.locs if l is not None]}


@dataclass
class Rewrite:
    kind: str  # DNAT | SNAT
    node: str | None
    hook: str
    before: str
    after: str
    why: str
    locs: list[Loc] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "node": self.node, "hook": self.hook, "before": self.before, "after": self.after,
                "why": self.why, "locations": [l.to_json() for l in self.locs if l is not None]}


@dataclass
class Capture:
    node: str
    interface: str
    direction: str  # out | in
    shows: str
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "interface": self.interface, "direction": self.direction, "shows": self.shows,
                "note": self.note}


@dataclass
class Hop:
    host: str
    route: str
    source: str
    dev: str | None
    next: str | None
    loc: Loc | None = None

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "route": self.route, "source": self.source, "interface": self.dev,
                "next": self.next, "location": self.loc.to_json() if self.loc else None}


@dataclass
class Evidence:
    what: str
    loc: Loc | None
    status: str  # explained | contradicts
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"observed": self.what, "location": self.loc.to_json() if self.loc else None, "status": self.status,
                "why": self.why}


@dataclass
class Packet:
    src: IPAddress
    sport: int | None
    dst: IPAddress
    dport: int | None
    proto: str

    def ends(self) -> tuple[str, str]:
        return _hp(self.src, self.sport), _hp(self.dst, self.dport)

    def text(self) -> str:
        a, b = self.ends()
        return f"{a} > {b} {self.proto.lower()}"


def _hp(ip: IPAddress, port: int | None) -> str:
    """An address and port as Hubble and tcpdump readers expect them; `*` for the client's ephemeral port."""
    a = f"[{ip}]" if ip.version == 6 else str(ip)
    return f"{a}:{port if port is not None else '*'}"


@dataclass
class TraceResult:
    src: Party
    dst: Party
    family: int
    port: int | None
    proto: str
    verdict: str = "unknown"  # delivered | dropped | unknown
    where: str | None = None
    why: str = ""
    locs: list[Loc] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    events: list[hb.Event] = field(default_factory=list)
    captures: list[Capture] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)
    mtu: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    observations: list[hb.Reconciled] = field(default_factory=list)
    unobserved: list[tuple[hb.Event, str]] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    final: Packet | None = None

    @property
    def delivered(self) -> bool:
        return self.verdict == "delivered"

    def to_json(self) -> dict[str, Any]:
        def party(p: Party) -> dict[str, Any]:
            return {"kind": p.kind, "name": p.name, "address": str(p.ips.get(self.family)) if p.ips.get(self.family)
                    else None, "node": p.node, "note": p.note or None}
        return {
            "source": party(self.src), "destination": party(self.dst), "family": self.family,
            "port": self.port, "protocol": self.proto.lower(),
            "verdict": self.verdict, "where": self.where, "why": self.why,
            "locations": [l.to_json() for l in self.locs],
            "final_packet": self.final.text() if self.final else None,
            "steps": [s.to_json() for s in self.steps],
            "rewrites": [r.to_json() for r in self.rewrites],
            "hubble": [e.to_json() for e in self.events],
            "captures": [c.to_json() for c in self.captures],
            "hops": [h.to_json() for h in self.hops],
            "mtu": self.mtu or None,
            "route_evidence": [e.to_json() for e in self.evidence],
            "observations": [o.to_json() for o in self.observations],
            "unobserved": [{**e.to_json(), "why": why} for e, why in self.unobserved],
            "unknown": list(self.unknowns),
        }


# ------------------------------------------------------------------------------------------------ context

class _Ctx:
    """Everything one snapshot's traces share: the simulated kernel tables, the policy set, the settings."""

    def __init__(self, snap: Any) -> None:
        from podpath.routing.reach import Forwarder

        self.snap = snap
        self.c = snap.cilium
        self.cl = snap.cluster
        self.cp = snap.control_plane()
        self.net = self.cp.network
        self.fwd = Forwarder(snap.simulate(), self.net)
        self.ps: Any = None
        self.policy_unknown = ""
        try:
            from podpath.datapath.policy import policies

            self.ps = policies(snap)
        except ImportError as exc:  # the policy engine is not there: verdicts unknown, never invented
            self.policy_unknown = f"network policies are not evaluated ({exc})"
        self.node_addrs: dict[IPAddress, str] = {}
        for n in self.cl.nodes.values():
            for a in n.addresses:
                self.node_addrs.setdefault(a.address, n.name)
        self.apiserver = self._apiserver_ips()

    def _apiserver_ips(self) -> set[IPAddress]:
        """Addresses behind default/kubernetes: the kube-apiserver identity (pkg/identity: reserved:kube-apiserver)."""
        out: set[IPAddress] = set()
        for es in self.cl.endpoint_slices:
            if es.namespace == "default" and es.service == "kubernetes":
                out |= {e.address for e in es.endpoints}
        return out

    # --- lookups ----------------------------------------------------------------------------------
    def pod_node(self, ip: IPAddress) -> Node | None:
        best: tuple[int, Node] | None = None
        for n in self.cl.nodes.values():
            for cidr in n.pod_cidrs_of(ip.version):
                if ip in cidr.value and (best is None or cidr.value.prefixlen > best[0]):
                    best = (cidr.value.prefixlen, n)
        return best[1] if best else None

    def endpoint_by_ip(self, ip: IPAddress) -> Any:
        return self.ps.endpoint_by_ip(ip) if self.ps is not None else None

    def peer(self, ip: IPAddress, at_node: str | None) -> Any:
        """The identity the ipcache of `at_node` gives `ip` (policy.PolicySet.peer_for, plus kube-apiserver)."""
        if self.ps is None:
            return None
        from podpath.datapath.policy import Peer

        node = self.node_addrs.get(ip)
        if node is not None:  # a node address is the node's identity, even if an EndpointSlice lists it
            p = Peer.reserved("host" if node == at_node else "remote-node", ip, node=node)
        else:
            p = self.ps.peer_for(ip, at_node, pod_cidr=self.pod_node(ip) is not None)
        if p.endpoint is None and ip in self.apiserver and p.entity in ("remote-node", "host", "world"):
            base = p.entity if p.entity != "world" else "kube-apiserver"
            p = Peer.reserved(base, ip, node=p.node, extra=("kube-apiserver",), note=p.note)
        return p

    def identity_name(self, ip: IPAddress, at_node: str | None) -> str:
        p = self.peer(ip, at_node)
        if p is not None:
            if p.endpoint is not None:
                return p.endpoint.key
            if p.entity == "world" and self.pod_node(ip) is not None:
                return "unknown pod"
            if "kube-apiserver" in p.extra or p.entity == "kube-apiserver":
                return "kube-apiserver"  # Hubble names identity 7 so, though it is also a remote node
            names = sorted(p.reserved_names - {"world-ipv4", "world-ipv6"} if p.entity == "world" else
                           {p.entity} | set(p.extra))
            return ",".join(names)
        if ip in self.node_addrs:
            return "host" if self.node_addrs[ip] == at_node else "remote-node"
        return "pod" if self.pod_node(ip) else "world"

    def host_addrs(self, host: str, dev: str | None, family: int) -> list[IPAddress]:
        h = self.net.hosts.get(host)
        if h is None:
            return []
        return sorted((a for a, (ifn, _) in h.addresses.items() if (dev is None or ifn == dev)
                       and a.version == family and not a.is_loopback), key=int)

    def dev_of(self, host: str, route: Any, dst: IPAddress) -> str | None:
        """The egress interface of a route: its `dev`, else the interface on which its gateway is on-link."""
        if route.dev:
            return route.dev
        h = self.net.hosts.get(host)
        link = h.on_link(route.gateway or dst) if h is not None else None
        return link[0] if link else None

    def frontends_at(self, addr: IPAddress, port: int | None, proto: str, node: str | None) -> list[svcs.Frontend]:
        mine = set(self.host_addrs(node, None, addr.version)) if node else set()
        node_obj = self.cl.nodes.get(node) if node else None
        if node_obj is not None:
            mine |= {a.address for a in node_obj.addresses}
        return svcs.find(self.cl, addr, port, proto, mine)

    def mtu_of(self, host: str, dev: str | None, next_addr: IPAddress | None) -> tuple[int | None, str]:
        h = self.cl.hosts.get(host)
        if h is not None and dev and dev in h.interfaces and h.interfaces[dev].mtu is not None:
            m = h.interfaces[dev].mtu
            return m.value, f"{host} {dev} mtu {m.value} ({m.loc or m.origin})"
        for seg in sorted(self.cl.segments.values(), key=lambda s: s.name):
            if seg.mtu is None or (host not in seg.members):
                continue
            if next_addr is None or any(next_addr.version == p.value.version and next_addr in p.value
                                        for p in seg.prefixes):
                return seg.mtu.value, f"segment {seg.name} mtu {seg.mtu.value} ({seg.mtu.loc or seg.mtu.origin})"
        return None, ""


# ------------------------------------------------------------------------------------------------ resolve

def resolve(ctx: _Ctx, text: str, role: str) -> Party:
    """A pod (ns/name or IP), a service (ns/name or frontend IP), a node (name or address), a snapshot host or
    an external IP."""
    cl = ctx.cl
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        ip = None
    if ip is None:
        if "/" in text:
            ep = ctx.ps.endpoint(text) if ctx.ps is not None else None
            if ep is None and ctx.ps is not None and svcs.by_name(cl, *text.split("/", 1)) is None:
                # a workload name: its pods are `<name>-<hash>-<id>` (or `<name>-<n>`)
                pods = sorted((e for e in ctx.ps.endpoints if e.key.startswith(text + "-") and e.ips),
                              key=lambda e: e.key)
                if pods:
                    p = _pod_party(ctx, pods[0])
                    if len(pods) > 1:
                        p.note = f"{text} has {len(pods)} pods; traced from {pods[0].key}"
                    return p
            ns, _, name = text.partition("/")
            svc = svcs.by_name(cl, ns, name)
            if svc is not None:  # a Service and a pod of one name: the Service (name the pod by its IP)
                ips = {}
                for c in svc.cluster_ips:
                    ips.setdefault(c.value.version, c.value)
                return Party("service", text, ips, service=svc,
                             note=f"{text} is also a pod; traced to the Service" if ep is not None else "")
            if ep is not None:
                return _pod_party(ctx, ep)
            raise TraceError(f"{role} {text!r}: no pod or Service {text} in the snapshot"
                             + ("" if ctx.ps is not None else f" ({ctx.policy_unknown})"))
        if text in cl.nodes:
            n = cl.nodes[text]
            return Party("host", text, {f: n.node_ip(f).address for f in (4, 6) if n.node_ip(f)}, node=text)
        if text in ctx.net.hosts:
            ips = {}
            for a in ctx.host_addrs(text, None, 4) + ctx.host_addrs(text, None, 6):
                if not a.is_link_local:
                    ips.setdefault(a.version, a)
            return Party("external", text, ips, node=text)
        raise TraceError(f"{role} {text!r}: not a pod, Service, node, host or IP address of the snapshot")
    ep = ctx.endpoint_by_ip(ip)
    if ep is not None:
        p = _pod_party(ctx, ep)
        p.ips = {ip.version: ip}
        return p
    fes = [fe for fe in svcs.frontends(cl) if fe.address == ip]
    if fes:
        return Party("service", f"{fes[0].service.namespace}/{fes[0].service.name}", {ip.version: ip},
                     service=fes[0].service)
    if ip in ctx.node_addrs:
        return Party("host", ctx.node_addrs[ip], {ip.version: ip}, node=ctx.node_addrs[ip])
    n = ctx.pod_node(ip)
    if n is not None:
        return Party("pod", str(ip), {ip.version: ip}, node=n.name,
                     note=f"no Pod object has {ip}: a pod in {n.name}'s pod CIDR with unknown labels")
    owners = ctx.net.owners(ip)
    if owners:
        return Party("external", owners[0], {ip.version: ip}, node=owners[0])
    return Party("external", str(ip), {ip.version: ip})


def _pod_party(ctx: _Ctx, ep: Any) -> Party:
    ips: dict[int, IPAddress] = {}
    for a in ep.ips:
        ips.setdefault(a.version, a)
    node = ep.node
    if node is None and ep.ips:
        n = ctx.pod_node(ep.ips[0])
        node = n.name if n else None
    if ep.host_network:
        return Party("host", ep.key, ips, node=node, endpoint=None, note=f"{ep.key} uses the host network")
    return Party("pod", ep.key, ips, node=node, endpoint=ep)


def pick_family(src: Party, dst: Party, family: int | None, src_text: str, dst_text: str) -> int:
    if family is not None:
        return family
    for t in (dst_text, src_text):
        try:
            return ipaddress.ip_address(t).version
        except ValueError:
            pass
    if dst.kind == "service" and dst.service is not None:
        fams = [6 if f == "IPv6" else 4 for f in dst.service.ip_families] or sorted(dst.ips)
        for f in fams:
            if f in src.ips or src.kind == "external":
                return f
        return fams[0] if fams else 4
    for f in (4, 6):
        if f in src.ips and f in dst.ips:
            return f
    return 4


# ------------------------------------------------------------------------------------------------ trace

def trace(snap: Any, src_text: str, dst_text: str, port: int | None = None, proto: str = "TCP",
          family: int | None = None, ctx: _Ctx | None = None, reconcile: bool = True) -> TraceResult:
    """Trace the first packet of a connection from `src_text` to `dst_text`:`port`/`proto`."""
    ctx = ctx or _Ctx(snap)
    src = resolve(ctx, src_text, "SRC")
    dst = resolve(ctx, dst_text, "DST")
    if src.kind == "service":
        raise TraceError(f"SRC {src_text!r} is a Service: name one of its pods, or the node or host it runs on")
    fam = pick_family(src, dst, family, src_text, dst_text)
    if fam not in src.ips:
        raise TraceError(f"SRC {src_text!r} has no IPv{fam} address")
    if fam not in dst.ips:
        raise TraceError(f"DST {dst_text!r} has no IPv{fam} address")
    if dst.kind == "service" and port is None:
        ports = sorted({sp.port for sp in dst.service.ports if sp.protocol == proto.upper()})
        if len(ports) == 1:
            port = ports[0]
        elif ports:
            raise TraceError(f"DST {dst_text!r} has several {proto.upper()} ports ({', '.join(map(str, ports))}): "
                             "name one as DST:PORT")
    res = TraceResult(src, dst, fam, port, proto.upper())
    run = _Run(ctx, res)
    run.go()
    if not res.why:  # every path ends in finish(); never leave a verdict without its reason
        run.finish("unknown", None, "the trace stopped without a verdict (please report this as a podpath bug)")
    if reconcile and snap.hubble:
        _reconcile(ctx, res)
    return res


class _Run:
    def __init__(self, ctx: _Ctx, res: TraceResult) -> None:
        self.ctx = ctx
        self.res = res
        self.c = ctx.c
        self.fam = res.family
        self.agg_name, self.agg, self.agg_loc = hb.aggregation(self.c)
        self.bpf_hr, self.hr_reasons = self.c.bpf_host_routing()

    # --- recording ------------------------------------------------------------------------------
    def step(self, node: str | None, hook: str, text: str, *locs: Loc | None) -> None:
        self.res.steps.append(Step(node, hook, text, [l for l in locs if l is not None]))

    def event(self, node: str, event: str, verdict: str, pkt: Packet, **kw: Any) -> None:
        a, b = pkt.ends()
        src_id = kw.pop("src_identity", None) or self.ctx.identity_name(pkt.src, node)
        dst_id = kw.pop("dst_identity", None) or self.ctx.identity_name(pkt.dst, node)
        self.res.events.append(hb.Event(node, event, verdict, a, b, pkt.src, pkt.dst, src_id, dst_id, **kw))

    def finish(self, verdict: str, where: str | None, why: str, *locs: Loc | None) -> None:
        r = self.res
        r.verdict, r.where, r.why = verdict, where, why
        r.locs = [l for l in locs if l is not None]
        r.events = hb.apply_filter(r.events, self.agg_name, self.agg)

    def unknown(self, what: str) -> None:
        if what and what not in self.res.unknowns:
            self.res.unknowns.append(what)

    # --- the walk -------------------------------------------------------------------------------
    def go(self) -> None:
        r, ctx, fam = self.res, self.ctx, self.fam
        src, dst = r.src, r.dst
        pkt = Packet(src.ips[fam], None, dst.ips[fam], r.port, r.proto)
        if src.note:
            self.step(src.node, "source", src.note)
        if src.kind == "pod" and src.endpoint is None:
            self.unknown(src.note)
        if not self.c.present:
            self.unknown("no Cilium configuration in the snapshot: Cilium's defaults of "
                         f"{self.c.version.value} assumed")
        hr = "BPF host routing" if self.bpf_hr else "legacy host routing (" + "; ".join(self.hr_reasons) + ")"
        self.step(None, "settings", f"Cilium {self.c.version.value}, {self.c.routing_mode} routing, {hr}, "
                  f"monitorAggregation {self.agg_name}", *self._locs("routing-mode", "enable-host-legacy-routing"))
        if src.kind == "external":
            return self._from_outside(pkt)
        node = src.node
        if node is None:
            return self.finish("unknown", None, f"the node of {src.describe()} is not known")
        if src.kind == "pod":
            r.captures.append(Capture(node, "lxc (host side)", "in", pkt.text(),
                                      "the pod's packet before bpf_lxc"))
        # service translation at the source
        fes = ctx.frontends_at(pkt.dst, pkt.dport, r.proto, node)
        if fes:
            pkt = self._translate(fes[0], pkt, "pod" if src.kind == "pod" else "host", node, None)
            if pkt is None:
                return
        elif dst.kind == "service":
            return self.finish("dropped", node, f"{dst.name} has no {r.proto} frontend on port {r.port}",
                               dst.service.loc)
        # egress policy
        if src.kind == "pod" and not self._egress(node, pkt):
            return
        self._route_from(node, pkt, from_endpoint=src.kind == "pod")

    def _locs(self, *keys: str) -> list[Loc]:
        return [s.loc for s in (self.c.get(k) for k in keys) if s.loc is not None]

    def _translate(self, fe: svcs.Frontend, pkt: Packet, client: str, node: str | None,
                   arrival: str | None) -> Packet | None:
        t = svcs.translate(self.ctx.snap, fe, client, node, arrival, self.fam)
        where = t.node or arrival or node
        for n in t.notes:
            self.step(where, t.hook, n)
        if t.unknown:
            self.unknown(t.unknown)
        if t.drop:
            if t.hook == "bpf_lxc" or t.hook == "bpf_host":
                self.event(where or "?", "drop", "DROPPED", pkt, drop_reason="Service backend not found",
                           hook=t.hook)
            self.finish("dropped", where, f"{fe.describe()}: {t.drop}", *t.locs)
            return None
        b = t.backend
        if b is None:  # nothing known to translate to (e.g. kube-proxy, or no EndpointSlice in the snapshot)
            self.finish("unknown", where, f"{fe.describe()}: {t.unknown or 'no backend known'}", *t.locs)
            return None
        new = Packet(pkt.src, pkt.sport, b.address, b.port, pkt.proto)
        how = {"socket-lb": "socket-LB rewrites connect() to the backend: no packet carries the frontend",
               "bpf_lxc": "bpf_lxc DNATs the packet per packet (cil_from_container)",
               "bpf_host": f"bpf_host nodeport_lb on {where} DNATs it",
               "kube-proxy": "kube-proxy's netfilter DNAT (not modelled)"}[t.hook]
        target = f" ({b.target})" if b.target else ""
        self.res.rewrites.append(Rewrite("DNAT", where, t.hook, pkt.ends()[1], new.ends()[1],
                                         f"{fe.describe()} -> backend {_hp(b.address, b.port)}{target} on "
                                         f"{b.node or '?'} ({t.scope}); {how}", t.locs))
        self.step(where, t.hook, f"service {fe.describe()} -> {_hp(b.address, b.port)}{target} on {b.node or '?'}",
                  *t.locs)
        if t.hook == "socket-lb":
            self.event(where or "?", "post-xlate-fwd", "TRANSLATED", pkt, hook="bpf_sock",
                       dst_identity=f"{fe.service.namespace}/{fe.service.name}")
            if self.res.captures and self.res.captures[-1].interface.startswith("lxc"):
                self.res.captures[-1] = Capture(where or "?", "lxc (host side)", "in", new.text(),
                                                "socket-LB already chose the backend at connect()")
        return new

    def _egress(self, node: str, pkt: Packet) -> bool:
        ctx, r = self.ctx, self.res
        ep = r.src.endpoint
        if ctx.ps is None or ep is None:
            self.unknown(ctx.policy_unknown or f"egress policy of {r.src.name}: its labels are not known")
            self.step(node, "bpf_lxc", "egress policy not evaluated")
            return True
        peer = ctx.peer(pkt.dst, node)
        v = ctx.ps.egress(ep, peer, pkt.dport, pkt.proto)
        if v.unknown:
            self.unknown(v.unknown)
        self.step(node, "bpf_lxc", f"egress policy: {v.reason}", *v.decided_by)
        if v.enforced:
            self.event(node, "policy-verdict", "ALLOWED" if v.allowed else "DENIED", pkt, direction="EGRESS",
                       match=self._match(v), hook="bpf_lxc", dst_identity=peer.identity)
        if not v.allowed:
            self.event(node, "drop", "DROPPED", pkt, drop_reason="Policy denied", hook="bpf_lxc",
                       dst_identity=peer.identity)
            self.finish("dropped", node, f"egress policy of {ep.key}: {v.reason}", *v.decided_by)
            return False
        return True

    def _match(self, v: Any) -> str:
        """Hubble's policy_match_type for a verdict: the shape of the rule that allowed it."""
        if not v.allowed or not v.decided_by or self.ctx.ps is None:
            return "none"
        loc = v.decided_by[0]
        for p in self.ctx.ps.policies:
            for rule in p.rules:
                if rule.loc == loc:
                    l3 = not any(s.all for s in rule.peers)
                    l4 = rule.ports is not None
                    return {(True, True): "L3-L4", (True, False): "L3-Only", (False, True): "L4-Only",
                            (False, False): "all"}[(l3, l4)]
        return "L3-L4"

    # --- routing on a node ----------------------------------------------------------------------
    def _route_from(self, node: str, pkt: Packet, from_endpoint: bool) -> None:
        ctx, r, fam = self.ctx, self.res, self.fam
        local = self._local_target(node, pkt.dst)
        if local is not None:
            return self._deliver(node, pkt, local, arrived_from_network=False)
        dst_node = ctx.pod_node(pkt.dst)
        if from_endpoint and not self.c.native_routing and dst_node is not None and dst_node.name != node:
            return self._tunnel(node, dst_node.name, pkt)
        e = ctx.fwd.lookup(node, pkt.dst)
        if e is None or e.route.type in ("unreachable", "blackhole", "prohibit"):
            kind = "no route" if e is None else f"{e.route.type} route {e.route.describe()}"
            if from_endpoint and self.bpf_hr and e is not None:
                self.event(node, "drop", "DROPPED", pkt, drop_reason="FIB lookup failed", hook="bpf_lxc")
                return self.finish("dropped", node, f"{node}: bpf_fib_lookup hits a {kind}: DROPPED (FIB lookup "
                                   "failed)", e.loc)
            if from_endpoint:
                self.event(node, "to-stack", "FORWARDED", pkt, hook="bpf_lxc")
            return self.finish("dropped", node, f"{node} has {kind} for {pkt.dst}: the kernel drops it "
                               "(ICMP unreachable to the sender)", e.loc if e else None)
        route = e.route
        dev = ctx.dev_of(node, route, pkt.dst)
        self._route_evidence(node, pkt.dst, e)
        self.step(node, "fib" if (from_endpoint and self.bpf_hr) else "kernel",
                  f"route lookup {pkt.dst}: {route.describe()} [{e.source}]" + (f" ({e.why})" if e.why else ""), e.loc)
        if from_endpoint:
            if self.bpf_hr:
                self.step(node, "bpf_lxc", "BPF host routing: fib_redirect to " + (dev or "?") +
                          " (redirect_neigh); host netfilter is bypassed")
                self.event(node, "to-network", "FORWARDED", pkt, hook="bpf_lxc")
            else:
                self.step(node, "bpf_lxc", "legacy host routing: to-stack; the kernel routes it and netfilter applies",
                          *self._locs("enable-host-legacy-routing"))
                self.event(node, "to-stack", "FORWARDED", pkt, hook="bpf_lxc")
        # masquerade on the egress device
        wire = pkt
        n = ctx.cl.nodes.get(node)
        if n is not None:
            d = mq.decide(self.c, family=fam, from_endpoint=from_endpoint, dst=pkt.dst, dev=dev,
                          dst_is_remote_node=pkt.dst in ctx.node_addrs and ctx.node_addrs[pkt.dst] != node,
                          node_pod_cidrs=[p.value for p in n.pod_cidrs_of(fam)],
                          dev_addrs=ctx.host_addrs(node, dev, fam),
                          node_ip=n.node_ip(fam).address if n.node_ip(fam) else None, tunnel=not self.c.native_routing)
            for a in d.assumptions:
                self.step(node, "bpf_host", f"assumed: {a}")
            self.step(node, "bpf_host" if d.how == "bpf" else ("iptables" if d.how == "iptables" else "masquerade"),
                      ("SNAT: " if d.snat else "no SNAT: ") + d.reason, *d.locs)
            if d.snat and d.to is None:
                self.event(node, "drop", "DROPPED", pkt, drop_reason="No mapping for NAT masquerade", hook="bpf_host")
                return self.finish("dropped", node, d.reason, *d.locs)
            if d.snat and d.to is not None:
                wire = Packet(d.to, pkt.sport, pkt.dst, pkt.dport, pkt.proto)
                r.rewrites.append(Rewrite("SNAT", node, "bpf_host" if d.how == "bpf" else "iptables",
                                          pkt.ends()[0], wire.ends()[0], d.reason, d.locs))
            if d.how == "bpf" and from_endpoint and self.c.bpf_masquerade:
                # bpf_host's own trace on the egress device: no CT info (monitor=0), so only at aggregation none
                self.event(node, "to-network", "FORWARDED", pkt, hook="bpf_host", ct_info=False,
                           source_xlated=str(wire.src) if wire is not pkt else None)
        r.captures.append(Capture(node, dev or "?", "out", wire.text(),
                                  "after tc-egress (post-SNAT)" if wire is not pkt else ""))
        self._mtu_start(node, dev, pkt.dst, route.gateway)
        self._underlay(node, wire, e)

    def _local_target(self, node: str, dst: IPAddress) -> str | None:
        """'pod' if `dst` is a pod address of `node`, 'host' if it is one of the node's addresses."""
        n = self.ctx.cl.nodes.get(node)
        if n is None:
            return "host" if dst in self.ctx.host_addrs(node, None, dst.version) else None
        if dst in {a.address for a in n.addresses} or dst in self.ctx.host_addrs(node, None, dst.version):
            return "host"
        if any(dst in p.value for p in n.pod_cidrs_of(dst.version)):
            return "pod"
        return None

    def _route_evidence(self, host: str, dst: IPAddress, e: Any) -> None:
        h = self.ctx.cl.hosts.get(host)
        if h is None or h.routes is None or dst.version not in h.routes.families():
            return
        o = h.routes.lookup(dst)
        sim = e.route
        if o is None:
            self.res.evidence.append(Evidence(f"{host}: no route for {dst} in its route dump", None, "contradicts",
                                              f"the model routes it by {sim.describe()} [{e.source}]"))
            return
        same = (o.gateway == sim.gateway) and (o.dev == sim.dev or o.dev is None or sim.dev is None)
        self.res.evidence.append(Evidence(f"{host}: {o.describe()}", o.loc, "explained" if same else "contradicts",
                                          f"the model uses {sim.describe()} [{e.source}]" +
                                          ("" if same else ": the observed route differs")))

    def _mtu_start(self, node: str, dev: str | None, dst: IPAddress, next_addr: IPAddress | None = None) -> None:
        c = self.c
        base = c.mtu
        over = 0 if c.native_routing else TUNNEL_OVERHEAD[4 if c.get("underlay-protocol").value != "ipv6" else 6]
        mloc = c.get("mtu").loc
        dev_mtu, why = self.ctx.mtu_of(node, dev, next_addr or dst)
        if not base:
            base = dev_mtu or 1500
        self.res.mtu = {"pod_mtu": base - over, "route_mtu": base - over, "base": base, "tunnel_overhead": over,
                        "configured": str(mloc) if mloc else None, "path": [why] if why else [], "path_mtu": dev_mtu}

    def _mtu_hop(self, host: str, dev: str | None, nxt: IPAddress | None) -> None:
        m, why = self.ctx.mtu_of(host, dev, nxt)
        if m is None or not self.res.mtu:
            return
        self.res.mtu["path"].append(why)
        pm = self.res.mtu.get("path_mtu")
        self.res.mtu["path_mtu"] = m if pm is None else min(pm, m)

    def _mtu_verdict(self) -> None:
        mt = self.res.mtu
        if not mt or mt.get("path_mtu") is None:
            return
        need = mt["pod_mtu"] + mt["tunnel_overhead"]
        mt["fits"] = need <= mt["path_mtu"]
        if not mt["fits"]:
            self.step(None, "mtu", f"pod MTU {mt['pod_mtu']} (+{mt['tunnel_overhead']} tunnel) exceeds the path MTU "
                      f"{mt['path_mtu']}: full-size packets are dropped (ICMP packet too big); small ones pass")

    # --- tunnel ---------------------------------------------------------------------------------
    def _tunnel(self, node: str, dst_node: str, pkt: Packet) -> None:
        ctx = self.ctx
        under = 6 if self.c.get("underlay-protocol").value == "ipv6" else 4
        a, b = ctx.cl.nodes[node].node_ip(under), ctx.cl.nodes[dst_node].node_ip(under)
        if a is None or b is None:
            return self.finish("dropped", node, f"tunnel mode: {node} or {dst_node} has no IPv{under} node address "
                               "for the underlay")
        proto = self.c.tunnel_protocol
        port = 6081 if proto == "geneve" else 8472
        self.step(node, "bpf_lxc", f"tunnel mode: encapsulated ({proto}) to {dst_node} {b.address}; the inner "
                  "packet keeps the pod addresses (no SNAT), the VNI carries the source identity",
                  *self._locs("routing-mode", "tunnel-protocol"))
        self.event(node, "to-overlay", "FORWARDED", pkt, hook="bpf_lxc")
        outer = Packet(a.address, None, b.address, port, "UDP")
        e = ctx.fwd.lookup(node, outer.dst)
        if e is None:
            return self.finish("dropped", node, f"{node} has no route to {dst_node}'s node address {b.address}")
        tdev = ctx.dev_of(node, e.route, outer.dst)
        self.res.captures.append(Capture(node, tdev or "?", "out", f"{outer.text()} ({proto}; inner "
                                         f"{pkt.text()})"))
        self._mtu_start(node, tdev, outer.dst, e.route.gateway)
        self._inner = pkt
        self._underlay(node, outer, e)

    # --- underlay -------------------------------------------------------------------------------
    def _underlay(self, start: str, pkt: Packet, first: Any) -> None:
        ctx, r = self.ctx, self.res
        host, e = start, first
        seen: set[str] = set()
        while True:
            seen.add(host)
            route = e.route
            nxt = e.via_host
            gw = route.gateway
            if nxt is None and gw is not None:
                nxt = ctx.net.owner(gw, near=host)
            if nxt is None and gw is None:
                nxt = ctx.net.owner(pkt.dst, near=host)
            dev = ctx.dev_of(host, route, pkt.dst)
            r.hops.append(Hop(host, route.describe(), e.source, dev, nxt, e.loc))
            if host != start:
                self._route_evidence(host, pkt.dst, e)
                r.captures.append(Capture(host, dev or "?", "out", pkt.text()))
            self._mtu_hop(host, dev, gw or pkt.dst)
            if nxt is None:
                self._mtu_verdict()
                if gw is not None:
                    what = f"{host} sends it to {gw}, which is not a host of the snapshot"
                    if r.dst.kind == "external":
                        self.unknown(f"beyond {host} the path is not modelled (add the router {gw}'s configuration)")
                        return self.finish("unknown", host, what + ": it leaves the modelled network")
                    self.unknown(f"add the configuration of the router at {gw} to follow the packet")
                    return self.finish("unknown", host, what)
                return self.finish("dropped", host, f"{host} sends it on-link on {route.dev} but no host of the "
                                   f"snapshot has {pkt.dst}")
            if nxt in seen or len(r.hops) > MAX_HOPS:
                self._mtu_verdict()
                return self.finish("dropped", nxt, f"routing loop through {nxt}")
            in_dev = self._in_dev(nxt, gw, pkt.dst, host)
            r.captures.append(Capture(nxt, in_dev, "in", pkt.text(), "before tc-ingress (pre-rev-NAT)"))
            if in_dev and in_dev != "?":
                self._mtu_hop(nxt, in_dev, gw or pkt.dst)  # a frame larger than the receiving interface's MTU is dropped
            if nxt in ctx.cl.nodes:
                tunnel_inner = getattr(self, "_inner", None)
                if tunnel_inner is not None and pkt.dst in {a.address for a in ctx.cl.nodes[nxt].addresses}:
                    self._mtu_verdict()
                    self.step(nxt, "cil_from_overlay", f"decapsulated on {nxt}; identity from the VNI")
                    self.event(nxt, "from-overlay", "FORWARDED", tunnel_inner, hook="bpf_overlay")
                    return self._deliver(nxt, tunnel_inner, self._local_target(nxt, tunnel_inner.dst) or "pod",
                                         arrived_from_network=True, via_tunnel=True)
                self.event(nxt, "from-network", "FORWARDED", pkt, hook="bpf_host")
                all_fes = ctx.frontends_at(pkt.dst, pkt.dport, pkt.proto, nxt)
                fes = [fe for fe in all_fes if fe.kind != "ClusterIP"]
                if fes and (self.c.kpr or self.c.flag("enable-node-port")):
                    self._mtu_verdict()
                    return self._nodeport(nxt, fes[0], pkt)
                if all_fes and host not in ctx.cl.nodes:  # a ClusterIP reached from outside the cluster
                    self._mtu_verdict()
                    return self._nodeport(nxt, all_fes[0], pkt)
                local = self._local_target(nxt, pkt.dst)
                if local is not None:
                    self._mtu_verdict()
                    return self._deliver(nxt, pkt, local, arrived_from_network=True)
            elif ctx.net.hosts.get(nxt) is not None and ctx.net.hosts[nxt].owns(pkt.dst):
                self._mtu_verdict()
                return self.finish("delivered", nxt, f"{pkt.dst} is an address of {nxt}")
            ne = ctx.fwd.lookup(nxt, pkt.dst)
            if ne is None or ne.route.type != "unicast":
                self._mtu_verdict()
                kind = "no route" if ne is None else f"a {ne.route.type} route"
                if nxt in ctx.net.unmodelled_routes:
                    self.unknown(f"{nxt} has statements podpath does not model that may give it routes")
                    return self.finish("unknown", nxt, f"{nxt} has {kind} for {pkt.dst} in the model")
                return self.finish("dropped", nxt, f"{nxt} has {kind} for {pkt.dst}", ne.loc if ne else None)
            if ne.route.dev == "cilium_host" and nxt in ctx.cl.nodes:
                self._mtu_verdict()
                return self.finish("dropped", nxt, f"{nxt} routes {pkt.dst} to its own pods (cilium_host) but no "
                                   "pod there has it")
            host, e = nxt, ne

    def _in_dev(self, host: str, gw: IPAddress | None, dst: IPAddress, prev: str) -> str:
        h = self.ctx.net.hosts.get(host)
        if h is None:
            return "?"
        for a in (gw, dst):
            if a is not None and a in h.addresses:
                return h.addresses[a][0]
        for a in self.ctx.host_addrs(prev, None, dst.version):
            link = h.on_link(a)
            if link is not None:
                return link[0]
        return "?"

    # --- NodePort / LoadBalancer on the arrival node ----------------------------------------------
    def _nodeport(self, node: str, fe: svcs.Frontend, pkt: Packet) -> None:
        new = self._translate(fe, pkt, "external", None, node)
        if new is None:
            return
        t_mode = svcs.lb_mode(self.c, fe.protocol)
        bnode = self.ctx.pod_node(new.dst)
        if bnode is not None and bnode.name != node:
            if t_mode == "snat":
                n = self.ctx.cl.nodes[node]
                e = self.ctx.fwd.lookup(node, new.dst)
                dev = self.ctx.dev_of(node, e.route, new.dst) if e else None
                addrs = self.ctx.host_addrs(node, dev, self.fam)
                src, _ = mq.masquerade_source(self.c.version_minor, addrs,
                                              n.node_ip(self.fam).address if n.node_ip(self.fam) else None, self.fam)
                if src is not None:
                    snat = Packet(src, new.sport, new.dst, new.dport, new.proto)
                    self.res.rewrites.append(Rewrite("SNAT", node, "bpf_host", new.ends()[0], snat.ends()[0],
                                                     "loadBalancer.mode snat: NodePort/LB traffic to a remote backend "
                                                     f"is SNATed to {node}'s address", self._locs("bpf-lb-mode")))
                    new = snat
            else:
                self.step(node, "bpf_host", "loadBalancer.mode dsr: the client address is kept; the backend's node "
                          "replies directly", *self._locs("bpf-lb-mode"))
            self.event(node, "to-network", "FORWARDED", new, hook="bpf_host", ct_info=False)
            e = self.ctx.fwd.lookup(node, new.dst)
            if e is None:
                return self.finish("dropped", node, f"{node} has no route to the backend {new.dst}")
            self.res.captures.append(Capture(node, self.ctx.dev_of(node, e.route, new.dst) or "?", "out", new.text()))
            return self._underlay(node, new, e)
        self._route_from(node, new, from_endpoint=False) if bnode is None else \
            self._deliver(node, new, "pod", arrived_from_network=True)

    # --- external sources -----------------------------------------------------------------------
    def _from_outside(self, pkt: Packet) -> None:
        ctx, r = self.ctx, self.res
        start = r.src.node
        if start is not None:
            e = ctx.fwd.lookup(start, pkt.dst)
            if e is None:
                return self.finish("dropped", start, f"{start} has no route to {pkt.dst}")
            self.step(start, "kernel", f"route lookup {pkt.dst}: {e.route.describe()} [{e.source}]", e.loc)
            sdev = ctx.dev_of(start, e.route, pkt.dst)
            self._mtu_start(start, sdev, pkt.dst, e.route.gateway)
            r.captures.append(Capture(start, sdev or "?", "out", pkt.text()))
            return self._underlay(start, pkt, e)
        owner = ctx.node_addrs.get(pkt.dst)
        if owner is None:
            self.unknown("which node receives a packet from outside the snapshot depends on the upstream network; "
                         "name a host of the snapshot as SRC")
            return self.finish("unknown", None, f"{pkt.dst} is not a node address: the entry point from "
                               f"{pkt.src} is not known")
        self.step(owner, "wire", f"{pkt.src} reaches {owner} directly (its address)")
        self.event(owner, "from-network", "FORWARDED", pkt, hook="bpf_host")
        fes = [fe for fe in ctx.frontends_at(pkt.dst, pkt.dport, pkt.proto, owner) if fe.kind != "ClusterIP"]
        if fes and (self.c.kpr or self.c.flag("enable-node-port")):
            return self._nodeport(owner, fes[0], pkt)
        return self._deliver(owner, pkt, "host", arrived_from_network=True)

    # --- destination ----------------------------------------------------------------------------
    def _deliver(self, node: str, pkt: Packet, what: str, arrived_from_network: bool, via_tunnel: bool = False) -> None:
        ctx, r = self.ctx, self.res
        r.final = pkt
        if what == "host":
            self.step(node, "host stack", f"{pkt.dst} is an address of {node}: delivered to the host stack "
                      "(host firewall not modelled)")
            return self.finish("delivered", node, f"delivered to {node}'s host stack")
        ep = ctx.endpoint_by_ip(pkt.dst)
        if via_tunnel:
            peer = ctx.peer(r.src.ips[self.fam], node) if ctx.ps is not None else None
        else:
            peer = ctx.peer(pkt.src, node) if ctx.ps is not None else None
        ident = ctx.identity_name(r.src.ips[self.fam] if via_tunnel else pkt.src, node)
        extra = f" ({', '.join(peer.extra)})" if peer is not None and peer.extra else ""
        self.step(node, "bpf_host" if arrived_from_network else "bpf_lxc",
                  f"source {pkt.src} has identity {ident}{extra} in {node}'s ipcache"
                  + (f" ({peer.note})" if peer is not None and peer.note else ""))
        if ep is None:
            self.unknown(f"no Pod object has {pkt.dst}: its ingress policy cannot be evaluated")
            self.event(node, "to-endpoint", "FORWARDED", pkt, hook="bpf_lxc", src_identity=ident)
            return self.finish("unknown", node, f"{pkt.dst} is in {node}'s pod CIDR but no known pod has it")
        if peer is None:
            self.unknown(ctx.policy_unknown)
            self.event(node, "to-endpoint", "FORWARDED", pkt, hook="bpf_lxc", src_identity=ident)
            return self.finish("unknown", node, f"reaches {ep.key} on {node}; ingress policy not evaluated")
        v = ctx.ps.ingress(ep, peer, pkt.dport, pkt.proto)
        if v.unknown:
            self.unknown(v.unknown)
        self.step(node, "bpf_lxc", f"ingress policy of {ep.key}: {v.reason}", *v.decided_by)
        if v.enforced:
            self.event(node, "policy-verdict", "ALLOWED" if v.allowed else "DENIED", pkt, direction="INGRESS",
                       match=self._match(v), hook="bpf_lxc", src_identity=ident)
        if not v.allowed:
            self.event(node, "drop", "DROPPED", pkt, drop_reason="Policy denied", hook="bpf_lxc", src_identity=ident)
            src_ip = r.src.ips[self.fam] if via_tunnel else pkt.src
            if peer.endpoint is None and ctx.pod_node(src_ip) is not None and ctx.endpoint_by_ip(src_ip) is None:
                self.unknown(f"no Pod object has {src_ip}: its identity (labels) decides this verdict")
                return self.finish("unknown", node, f"ingress policy of {ep.key} on {node} denies {src_ip} as "
                                   f"{ident}, but the pod at {src_ip} is not known", *v.decided_by)
            return self.finish("dropped", node, f"ingress policy of {ep.key} on {node}: {v.reason}", *v.decided_by)
        self.event(node, "to-endpoint", "FORWARDED", pkt, hook="bpf_lxc", src_identity=ident)
        if arrived_from_network and self.bpf_hr:
            r.captures.append(Capture(node, "lxc (host side)", "out", "-", "not seen: bpf_redirect_peer delivers "
                                      "into the pod's namespace, skipping the host-side veth"))
        else:
            r.captures.append(Capture(node, "lxc (host side)", "out", pkt.text()))
        verdict = "unknown" if r.unknowns else "delivered"
        self.finish(verdict, node, f"delivered to {ep.key} on {node}" + (" (with unknowns)" if r.unknowns else ""),
                    *v.decided_by)


def _reconcile(ctx: _Ctx, res: TraceResult) -> None:
    src_names = [res.src.name] + ([res.src.endpoint.key] if res.src.endpoint is not None else [])
    dst_names = [res.dst.name]
    for rw in res.rewrites:
        if rw.kind == "DNAT" and "(" in rw.why:
            tgt = rw.why.split("(")[1].split(")")[0]
            if "/" in tgt:
                dst_names.append(tgt)
    src_ips = {res.src.ips[res.family]} | {e.src_ip for e in res.events if e.src_ip is not None}
    src_ips |= {ipaddress.ip_address(e.source_xlated) for e in res.events if e.source_xlated}
    dst_ips = {res.dst.ips[res.family]} | {e.dst_ip for e in res.events if e.dst_ip is not None}
    ports = {res.port} | {_port(e.dst) for e in res.events}
    flow = {"src_ips": sorted(src_ips, key=int), "dst_ips": sorted(dst_ips, key=int), "src_names": src_names,
            "dst_names": dst_names, "dst_ports": {p for p in ports if p is not None}}
    res.observations = hb.reconcile(ctx.snap.hubble, res.events, flow)
    res.unobserved = hb.unobserved(ctx.snap.hubble, res.events, res.observations, res.src.ips[res.family],
                                   res.src.name)


def _port(text: str) -> int | None:
    tail = text.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


# ------------------------------------------------------------------------------------------------ reach

@dataclass
class ReachCell:
    src: str
    dst: str
    verdict: str
    why: str
    where: str | None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.src, "destination": self.dst, "verdict": self.verdict, "where": self.where,
                "why": self.why}


def reach(snap: Any, family: int) -> tuple[list[str], list[str], list[ReachCell]]:
    """All pairs: from a pod on each node (a known pod, else an address of its pod CIDR) to a pod on every node
    and to every Service frontend of the family, with policy. Rows, columns, cells."""
    ctx = _Ctx(snap)
    probes: list[tuple[str, str]] = []  # (label, text to resolve)
    for n in sorted(ctx.cl.nodes.values(), key=lambda n: n.name):
        cidrs = n.pod_cidrs_of(family)
        if not cidrs:
            continue
        eps = sorted((e for e in (ctx.ps.endpoints if ctx.ps is not None else [])
                      if e.node == n.name and not e.host_network and any(i.version == family for i in e.ips)),
                     key=lambda e: e.key)
        if eps:
            port = f":{eps[0].ports[0].port}/{eps[0].ports[0].protocol.lower()}" if eps[0].ports else ""
            addr = next(i for i in eps[0].ips if i.version == family)
            probes.append((f"{n.name}:{eps[0].key}", f"{addr if family == 4 else '[' + str(addr) + ']'}{port}"))
        else:
            net = cidrs[0].value
            probes.append((f"{n.name}:{net.network_address + 2}", str(net.network_address + 2)))
    cols = list(probes)
    for svc in ctx.cl.services:
        for ip in svc.cluster_ips:
            if ip.value.version == family and svc.ports:
                sp = svc.ports[0]
                cols.append((f"{svc.namespace}/{svc.name}", f"{ip.value if family == 4 else '[' + str(ip.value) + ']'}"
                             f":{sp.port}/{sp.protocol.lower()}"))
    cells: list[ReachCell] = []
    for label, stext in probes:
        stext = svcs.parse_target(stext)[0]
        for clabel, dtext in cols:
            if clabel == label:
                continue
            host, port, proto = svcs.parse_target(dtext)
            try:
                res = trace(snap, stext, host, port, proto, family, ctx=ctx, reconcile=False)
                cells.append(ReachCell(label, clabel, res.verdict, res.why, res.where))
            except TraceError as exc:
                cells.append(ReachCell(label, clabel, "unknown", str(exc), None))
    return [p[0] for p in probes], [c[0] for c in cols], cells
