"""Address plan rules: pod, service and node ranges (reference: cilium-datapath.md 7 CIL-009, CIL-029)."""

from __future__ import annotations

import ipaddress
from typing import Iterator

from podpath.checks.base import CheckContext, Finding, Fix, family_name, rule


def _overlaps(a: object, b: object) -> bool:
    return a.version == b.version and a.overlaps(b)  # type: ignore[attr-defined]


@rule("IP001", "node-pod-cidr-outside-cluster", "error", "Node pod CIDR outside the cluster pod subnets")
def pod_cidr_outside(ctx: CheckContext) -> Iterator[Finding]:
    """Every node's pod CIDR must lie inside the cluster's pod subnets (Talos `cluster.network.podSubnets`,
    the controller-manager's `--cluster-cidr`). One outside is not covered by native-routing CIDRs, firewall
    rules or routes written for the cluster range."""
    subnets = ctx.cluster.pod_subnets
    for fam in (4, 6):
        fam_subnets = [s for s in subnets if s.value.version == fam]
        if not fam_subnets:
            continue
        for node in sorted(ctx.cluster.nodes.values(), key=lambda n: n.name):
            for cidr in node.pod_cidrs_of(fam):
                if not any(cidr.value.subnet_of(s.value) for s in fam_subnets):  # type: ignore[arg-type]
                    yield ctx.finding(f"{node.name}:{cidr.value}",
                                      f"{node.name}'s pod CIDR {cidr.value} is outside the cluster pod subnet(s) "
                                      f"{', '.join(str(s.value) for s in fam_subnets)}.",
                                      locations=[cidr.loc] + [s.loc for s in fam_subnets],
                                      evidence=[f"{cidr.value} ({cidr.loc}); cluster pod subnets: "
                                                + ", ".join(f"{s.value} ({s.loc})" for s in fam_subnets)],
                                      fix=Fix(f"Give {node.name} a pod CIDR from {fam_subnets[0].value} (delete and re-create "
                                              "the Node object, or fix the controller-manager allocation)",
                                              cidr.loc.file if cidr.loc else None))


@rule("IP002", "node-pod-cidrs-overlap", "error", "Two nodes' pod CIDRs overlap")
def pod_cidrs_overlap(ctx: CheckContext) -> Iterator[Finding]:
    """Pod CIDRs of different nodes must be disjoint: an address in both is routed to one node only, and two
    pods may get the same address."""
    allocs = []
    for node in sorted(ctx.cluster.nodes.values(), key=lambda n: n.name):
        for c in node.pod_cidrs:
            allocs.append((node, c))
    allocs.sort(key=lambda x: (x[1].value.version, int(x[1].value.network_address), x[1].value.prefixlen, x[0].name))
    # Sorted by start address: an overlap is always with an earlier, still "open" prefix.
    open_: list = []
    for node, c in allocs:
        open_ = [(n, o) for n, o in open_ if o.value.version == c.value.version
                 and int(o.value.broadcast_address) >= int(c.value.network_address)]
        for other_node, o in open_:
            if other_node is not node and _overlaps(o.value, c.value):
                yield ctx.finding(f"{other_node.name}:{node.name}:{c.value}",
                                  f"Pod CIDRs of {other_node.name} ({o.value}) and {node.name} ({c.value}) overlap.",
                                  locations=[o.loc, c.loc],
                                  evidence=[f"{o.value} ({o.loc}) and {c.value} ({c.loc})"],
                                  fix=Fix(f"Re-allocate the pod CIDR of {node.name} so that no two nodes share addresses"))
        open_.append((node, c))


@rule("IP003", "service-cidr-overlap", "error", "Service CIDR overlaps pod or node ranges")
def service_overlap(ctx: CheckContext) -> Iterator[Finding]:
    """Service ClusterIPs are virtual: Cilium translates them at the socket or in BPF. If the service range
    overlaps pod CIDRs or node networks, traffic to real hosts or pods with those addresses is captured by the
    service load balancer or misrouted."""
    cl = ctx.cluster
    others = []
    for fam in (4, 6):
        for p in ctx.pod_cidrs(fam):
            others.append(("pod CIDR", p.value, p.loc))
    for seg in cl.segments.values():
        for p in seg.prefixes:
            others.append((f"node network {seg.name}", p.value, p.loc))
    for node in cl.nodes.values():
        for a in node.addresses:
            others.append((f"address of node {node.name}", ipaddress.ip_network(a.address), a.loc))
    seen = set()
    for svc in cl.service_subnets:
        for what, net, loc in others:
            if _overlaps(svc.value, net) and (svc.value, net) not in seen:
                seen.add((svc.value, net))
                yield ctx.finding(f"{svc.value}:{net}", f"Service subnet {svc.value} overlaps {what} {net}.",
                                  locations=[svc.loc, loc], evidence=[f"{svc.value} ({svc.loc}) and {net} ({loc})"],
                                  fix=Fix("Choose a service subnet disjoint from pod and node ranges (changing it needs a "
                                          "cluster rebuild)", svc.loc.file if svc.loc else None))
    for s in cl.services:
        for ip in s.cluster_ips:
            subnets = [x for x in cl.service_subnets if x.value.version == ip.value.version]
            if subnets and not any(ip.value in x.value for x in subnets):
                yield ctx.finding(f"{s.namespace}/{s.name}:{ip.value}", f"Service {s.namespace}/{s.name} has ClusterIP "
                                  f"{ip.value} outside the service subnets {', '.join(str(x.value) for x in subnets)}.",
                                  locations=[ip.loc] + [x.loc for x in subnets], severity="warning",
                                  evidence=[f"{ip.value} ({ip.loc})"],
                                  fix=Fix("The snapshot's Service objects and cluster config disagree: make sure both come "
                                          "from the same cluster"))


@rule("IP004", "node-missing-family", "error", "A node lacks an address or pod CIDR of an enabled family")
def node_missing_family(ctx: CheckContext) -> Iterator[Finding]:
    """With a family enabled in Cilium, each node needs a node IP and a pod CIDR of that family. Without the node
    IP no direct routes of that family are installed and the masquerade source is a fallback; without the pod CIDR
    (IPAM kubernetes) pods get no address of the family, and with `k8s.requireIPvXPodCIDR` the agent waits
    forever."""
    if not ctx.cilium.present:
        return
    nodes = sorted(ctx.cluster.nodes.values(), key=lambda n: n.name)
    if not nodes:
        ctx.not_checked("each node's address and pod CIDR of every enabled family",
                        "no Kubernetes Node (or CiliumNode) objects in the snapshot")
    for fam in ctx.families():
        have_ip = [n for n in nodes if n.node_ip(fam)]
        have_cidr = [n for n in nodes if n.pod_cidrs_of(fam)]
        if not have_ip and not have_cidr and not ctx.cilium.flag(f"k8s-require-ipv{fam}-pod-cidr"):
            continue  # no data of the family at all (e.g. Node objects not in the snapshot)
        for n in nodes:
            missing = []
            if not n.node_ip(fam) and n.addresses:
                missing.append(f"an {family_name(fam)} InternalIP")
            if not n.pod_cidrs_of(fam) and ctx.cilium.ipam_mode == "kubernetes" and (n.pod_cidrs or have_cidr):
                missing.append(f"an {family_name(fam)} podCIDR")
            if not missing:
                continue
            blocks = ctx.cilium.flag(f"k8s-require-ipv{fam}-pod-cidr") and "podCIDR" in " ".join(missing)
            yield ctx.finding(f"{n.name}:{family_name(fam).lower()}",
                              f"Node {n.name} has no {' and no '.join(missing)}"
                              + (" and k8s.requireIPv%dPodCIDR is true: the agent waits for it forever." % fam if blocks else
                                 f": {family_name(fam)} pod traffic to and from it cannot be routed natively."),
                              locations=[n.loc] + ctx.setting_locs(f"enable-ipv{fam}"),
                              evidence=[f"Node {n.name} ({n.loc}): addresses "
                                        + ", ".join(str(a.address) for a in n.addresses) + "; podCIDRs "
                                        + ", ".join(str(c.value) for c in n.pod_cidrs)],
                              fix=Fix("Make the node dual-stack: kubelet node IPs of both families (Talos "
                                      "machine.kubelet.nodeIP.validSubnets) and a pod subnet of each family in "
                                      "cluster.network.podSubnets"))


@rule("IP005", "cluster-pool-ignores-node-podcidrs", "warning", "cluster-pool IPAM while nodes carry podCIDRs")
def cluster_pool(ctx: CheckContext) -> Iterator[Finding]:
    """With `ipam.mode=cluster-pool` Cilium allocates pod CIDRs from its own pool and ignores `Node.spec.podCIDRs`
    (which Talos and the controller-manager assign). Pod addresses then differ from what the rest of the cluster
    believes, and the default pools (10.0.0.0/8, fd00::/104) may overlap node or service networks."""
    c = ctx.cilium
    if not c.present or c.ipam_mode != "cluster-pool":
        return
    with_cidrs = [n for n in ctx.cluster.nodes.values() if any(p.origin == "node" for p in n.pod_cidrs)]
    if with_cidrs:
        yield ctx.finding("node-podcidrs", f"ipam.mode is cluster-pool, so Cilium ignores the podCIDRs of "
                          f"{len(with_cidrs)} Node object(s) and allocates from its own pool.",
                          locations=ctx.setting_locs("ipam") + [with_cidrs[0].loc],
                          evidence=[ctx.describe_setting("ipam"), ctx.describe_setting("cluster-pool-ipv4-cidr"),
                                    ctx.describe_setting("cluster-pool-ipv6-cidr")],
                          fix=ctx.fix_setting("ipam", "kubernetes", "Use ipam.mode: kubernetes so Cilium uses the Nodes' podCIDRs (Cilium's Talos guide does)"))
    for fam in (4, 6):
        s = c.get(f"cluster-pool-ipv{fam}-cidr")
        for raw in s.value.split():
            try:
                pool = ipaddress.ip_network(raw, strict=False)
            except ValueError:
                continue
            clash = [(f"service subnet {x.value}", x.loc) for x in ctx.cluster.service_subnets if _overlaps(pool, x.value)]
            clash += [(f"node network {p.value}", p.loc) for seg in ctx.cluster.segments.values() for p in seg.prefixes
                      if _overlaps(pool, p.value)]
            for what, loc in clash:
                yield ctx.finding(f"pool:{pool}:{what}", f"Cilium's cluster-pool {pool}"
                                  f"{' (the chart default)' if s.is_default else ''} overlaps {what}.",
                                  locations=[s.loc, loc], severity="error",
                                  evidence=[ctx.describe_setting(s.key)],
                                  fix=ctx.fix_setting(s.key, "<disjoint prefix>", "Set a cluster pool disjoint from node and service networks"))


@rule("IP006", "pod-family-disabled", "warning", "Pod CIDRs of a family Cilium does not run")
def pod_family_disabled(ctx: CheckContext) -> Iterator[Finding]:
    """If the cluster allocates pod CIDRs of a family (dual-stack podSubnets) but Cilium has that family
    disabled, pods get no address of that family and Services of that family have no backends."""
    c = ctx.cilium
    if not c.present:
        return
    for fam in (4, 6):
        if c.family_enabled(fam):
            continue
        subnets = [p for p in ctx.cluster.pod_subnets if p.value.version == fam]
        if subnets:
            yield ctx.finding(family_name(fam).lower(), f"The cluster has {family_name(fam)} pod subnets "
                              f"({', '.join(str(p.value) for p in subnets)}) but Cilium runs with ipv{fam}.enabled false.",
                              locations=[subnets[0].loc] + ctx.setting_locs(f"enable-ipv{fam}"),
                              evidence=[ctx.describe_setting(f"enable-ipv{fam}")],
                              fix=ctx.fix_setting(f"enable-ipv{fam}", "true", f"Enable ipv{fam}.enabled (or drop the {family_name(fam)} pod subnets)"))
