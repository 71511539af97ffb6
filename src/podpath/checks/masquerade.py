"""Native-routing CIDR and masquerading rules (reference: cilium-datapath.md 0, 2.1, 3)."""

from __future__ import annotations

import ipaddress
from typing import Iterator

from podpath.checks.base import (CheckContext, Finding, Fix, covering_prefix, family_name, prefix_range, rule)
from podpath.model.cluster import Node, Sourced


def _egress_device(ctx: CheckContext, src: Node, dst_addr: ipaddress._BaseAddress) -> str | None:
    host = ctx.cluster.hosts.get(src.name)
    if host is not None and host.routes is not None:
        r = host.routes.lookup(dst_addr)  # type: ignore[arg-type]
        if r is not None and r.dev:
            return r.dev
    if host is not None:
        ip = src.node_ip(dst_addr.version)
        for iface in host.interfaces.values():
            if ip and any(a.value.ip == ip.address for a in iface.addresses):
                return iface.name
    return None


def _masq_source(ctx: CheckContext, node: Node, family: int) -> str:
    ip = node.node_ip(family)
    if ip is None:
        return f"{node.name}'s {family_name(family)} address"
    if ctx.cilium.version_minor <= (1, 16):
        return f"{ip.address} (Cilium 1.16 picks the lowest public-then-private address of the device; check `cilium-dbg statedb node-addresses`)"
    return str(ip.address)


@rule("NR001", "native-routing-cidr-missing", "error", "Native routing without a native-routing CIDR: the agent will not start")
def native_cidr_missing(ctx: CheckContext) -> Iterator[Finding]:
    """In native routing mode with masquerading on for a family (and no ip-masq-agent, and for IPv4 an IPAM
    other than ENI/AlibabaCloud), Cilium requires `ipvXNativeRoutingCIDR`; without it the agent exits with
    "native routing cidr must be configured". Fix: set it to a prefix that contains every pod CIDR."""
    c = ctx.cilium
    if not c.present or not c.native_routing or c.ip_masq_agent:
        return
    for fam in ctx.families():
        if not c.masquerade(fam) or c.native_cidr_setting(fam).value.strip():
            continue
        if fam == 4 and c.ipam_mode in ("eni", "alibabacloud"):
            continue
        pods = ctx.pod_cidrs(fam)
        suggestion = covering_prefix([p.value for p in pods]) if pods else None
        ev = [ctx.describe_setting("routing-mode"), ctx.describe_setting(f"enable-ipv{fam}-masquerade"),
              f"agent start-up check: native routing + {family_name(fam)} masquerade + no ip-masq-agent requires "
              f"--ipv{fam}-native-routing-cidr (pkg/option/config.go)"]
        if c.version_minor >= (1, 18):
            ev.append("Cilium >= 1.18 charts refuse to render this (`helm template` fails) when the masquerade value "
                      "is set explicitly; an unset value passes rendering and fails at agent start")
        yield ctx.finding(
            family_name(fam).lower(),
            f"routingMode is native and {family_name(fam)} masquerading is on, but ipv{fam}NativeRoutingCIDR is not "
            f"set: the Cilium agent refuses to start.",
            locations=ctx.setting_locs("routing-mode", f"enable-ipv{fam}-masquerade") + [p.loc for p in pods[:1]],
            evidence=ev,
            fix=ctx.fix_setting(f"ipv{fam}-native-routing-cidr", str(suggestion) if suggestion else "<prefix>",
                                f"Set ipv{fam}NativeRoutingCIDR to a prefix containing every {family_name(fam)} pod CIDR"
                                + (f" (smallest: {suggestion})" if suggestion else "")),
        )


@rule("NR002", "native-routing-cidr-excludes-pods", "error",
      "Pod CIDR outside the native-routing CIDR: pod-to-pod traffic across nodes is masqueraded")
def native_cidr_excludes_pods(ctx: CheckContext) -> Iterator[Finding]:
    """With native routing and masquerading on, Cilium's BPF (or iptables) masquerading skips only
    destinations inside `ipvXNativeRoutingCIDR`. A pod CIDR outside it is treated like the outside world:
    traffic from a local pod to a remote pod is SNATed to the node's address on the egress device. The
    destination then sees a remote-node identity instead of the pod (pod-selector ingress policies drop it),
    captures filtered on both pod addresses show nothing, and pod-to-node traffic, which stays inside the
    CIDR, keeps working. Prefixes are compared as numbers. Fix: widen the CIDR to cover every pod CIDR."""
    c = ctx.cilium
    if not c.present or not c.native_routing or c.ip_masq_agent:
        return
    for fam in ctx.families():
        if not c.masquerade(fam):
            continue
        native = c.native_cidr(fam)
        if native is None:
            continue
        setting = c.native_cidr_setting(fam)
        outside = [p for p in ctx.pod_cidrs(fam) if not p.value.subnet_of(native)]  # type: ignore[arg-type]
        if not outside:
            continue
        uniq: dict[object, Sourced] = {}
        for p in outside:
            uniq.setdefault(p.value, p)
        nets = sorted(uniq, key=lambda n: (int(n.network_address), n.prefixlen))  # type: ignore[attr-defined]
        widest = [n for n in nets if not any(n != o and n.subnet_of(o) for o in nets)]  # type: ignore[attr-defined]
        fixed = covering_prefix([native] + widest)
        shown = ", ".join(str(n) for n in widest[:3]) + (f" and {len(widest) - 3} more" if len(widest) > 3 else "")
        noun = "CIDR" if len(widest) == 1 else "CIDRs"
        ev = [
            f"{ctx.describe_setting(f'ipv{fam}-native-routing-cidr')} spans {prefix_range(native)}",
        ]
        for n in widest[:4]:
            src = uniq[n]
            ev.append(f"pod CIDR {n} ({src.loc or src.origin}) spans {prefix_range(n)}: not inside {native}")
        ev.append(f"masquerading: {ctx.describe_setting(f'enable-ipv{fam}-masquerade')}; "
                  f"{'BPF' if c.bpf_masquerade else 'iptables'} masquerade excludes only destinations in {native}")
        ev.extend(_example_path(ctx, fam, native, nets))
        for host in sorted(ctx.cluster.hosts.values(), key=lambda h: h.name):
            st = host.cilium_status
            if st is not None and st.masquerading_cidrs:
                shown_cidrs = " ".join(str(x.value) for x in st.masquerading_cidrs)
                ev.append(f"`cilium status` on {host.name} ({st.masquerading_cidrs[0].loc}) prints the exclusion CIDRs "
                          f"in use: {shown_cidrs}")
                break
        other = [f for f in ctx.families() if f != fam and c.native_cidr(f) is not None and c.masquerade(f)
                 and all(p.value.subnet_of(c.native_cidr(f)) for p in ctx.pod_cidrs(f))]  # type: ignore[arg-type]
        for f in other:
            ev.append(f"{family_name(f)} is not affected: every {family_name(f)} pod CIDR is inside "
                      f"{c.native_cidr(f)}, which is why {family_name(f)} pod-to-pod traffic works")
        from podpath.checks.policy_path import drops_from_native_cidr

        dropped, policy_locs = drops_from_native_cidr(ctx, fam)  # what the snapshot's policies make of the SNAT
        ev.extend(dropped)
        yield ctx.finding(
            family_name(fam).lower(),
            f"{family_name(fam)} pod {noun} {shown} {'is' if len(widest) == 1 else 'are'} outside "
            f"ipv{fam}NativeRoutingCIDR {native}: Cilium masquerades "
            f"pod-to-pod traffic across nodes to the node address, so the destination sees the node, not the pod.",
            locations=[setting.loc] + [uniq[n].loc for n in widest] + policy_locs,
            evidence=ev,
            fix=ctx.fix_setting(
                f"ipv{fam}-native-routing-cidr", str(fixed),
                f"Widen ipv{fam}NativeRoutingCIDR to {fixed}, the smallest prefix containing {native} and every "
                f"{family_name(fam)} pod CIDR (or set it to the pod CIDR itself if hosts in {native} should keep "
                f"seeing masqueraded traffic); the CIDR is compiled into the datapath, so restart the Cilium agents"),
        )


def _example_path(ctx: CheckContext, fam: int, native: object, outside: list) -> list[str]:
    """Walk one concrete pod-to-pod path through the SNAT decision, from the model."""
    nodes = sorted((n for n in ctx.cluster.nodes.values() if n.pod_cidrs_of(fam) and n.node_ip(fam)),
                   key=lambda n: n.name)
    pairs = [(a, b) for a in nodes for b in nodes if a is not b
             and any(any(p.value.subnet_of(o) or p.value == o for o in outside) for p in b.pod_cidrs_of(fam))]
    # Prefer a source node whose route table is in the snapshot: its egress device is then known.
    pairs.sort(key=lambda ab: (ctx.cluster.hosts.get(ab[0].name) is None
                               or ctx.cluster.hosts[ab[0].name].routes is None, ab[0].name, ab[1].name))
    if not pairs:
        return [f"every packet from a local pod to a pod in {', '.join(map(str, outside))} on another node is "
                "SNATed to the sending node's address"]
    a, b = pairs[0]
    pod_a = a.pod_cidrs_of(fam)[0].value
    pod_b = b.pod_cidrs_of(fam)[0].value
    b_ip = b.node_ip(fam).address  # type: ignore[union-attr]
    dev = _egress_device(ctx, a, pod_b.network_address + 1) or "its egress device"
    snat = _masq_source(ctx, a, fam)
    pod_b_addr = f"<pod in {pod_b}>"
    return [
        f"path: pod on {a.name} ({pod_a}) -> pod on {b.name} ({pod_b}) leaves {a.name} via {dev} towards {b_ip}; "
        f"bpf_host on {dev} SNATs the source to {snat} (destination outside {native}, source is a local endpoint, "
        "destination is a pod, not a remote node)",
        f"capture on {dev} of {a.name} or {b.name}: {snat} -> {pod_b_addr} and replies {pod_b_addr} -> {snat}; a "
        "filter on both pod addresses matches nothing",
        f"Hubble on {a.name}: `to-network FORWARDED` with the pod addresses (the post-SNAT event is suppressed at "
        f"monitorAggregation={ctx.cilium.get('monitor-aggregation').value})",
        f"Hubble on {b.name}: source {snat} with identity remote-node (or kube-apiserver); an ingress policy that "
        "admits only pods drops it as `Policy denied`",
        f"traffic from pods to node addresses inside {native} is not SNATed and keeps its pod source",
    ]


@rule("NR003", "native-routing-cidr-invalid", "error", "Native-routing CIDR does not parse or is of the wrong family")
def native_cidr_invalid(ctx: CheckContext) -> Iterator[Finding]:
    """`ipv4NativeRoutingCIDR` must be an IPv4 prefix and `ipv6NativeRoutingCIDR` an IPv6 prefix; the agent
    rejects anything else at start-up."""
    c = ctx.cilium
    for fam in (4, 6):
        s = c.native_cidr_setting(fam)
        raw = s.value.strip()
        if not raw:
            continue
        try:
            net = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            yield ctx.finding(family_name(fam).lower(), f"ipv{fam}NativeRoutingCIDR {raw!r} is not a prefix: the "
                              "Cilium agent refuses to start.", locations=[s.loc],
                              evidence=[ctx.describe_setting(s.key)],
                              fix=Fix(f"Write an {family_name(fam)} prefix such as 10.0.0.0/8 or fd00::/8", s.loc.file if s.loc else None))
            continue
        if net.version != fam:
            yield ctx.finding(family_name(fam).lower(), f"ipv{fam}NativeRoutingCIDR is {net}, an "
                              f"{family_name(net.version)} prefix: the Cilium agent refuses to start.", locations=[s.loc],
                              evidence=[ctx.describe_setting(s.key)],
                              fix=Fix(f"Move {net} to ipv{net.version}NativeRoutingCIDR", s.loc.file if s.loc else None))
        elif str(net) != raw and "/" in raw:
            yield ctx.finding(family_name(fam).lower() + "-hostbits", f"ipv{fam}NativeRoutingCIDR {raw} has host bits "
                              f"set; Cilium uses {net}.", locations=[s.loc], severity="warning",
                              evidence=[ctx.describe_setting(s.key)],
                              fix=ctx.fix_setting(s.key, str(net), f"Write the prefix as {net}"))


@rule("NR004", "masquerade-exclusion-local-only", "warning",
      "No native-routing CIDR: the masquerade exclusion is only the local pod CIDR")
def exclusion_local_only(ctx: CheckContext) -> Iterator[Finding]:
    """When masquerading is on and no native-routing CIDR is set with ENI IPAM or with ip-masq-agent, Cilium
    excludes only the node's own pod CIDR from SNAT (or nothing, with ip-masq-agent, whose default list has no
    IPv6 ULA range), and traffic to remote pods that is not encapsulated is SNATed. Plain tunnel mode is not
    reported: traffic to remote pods is encapsulated and its inner packet keeps the pod addresses."""
    c = ctx.cilium
    if not c.present:
        return
    for fam in ctx.families():
        if not c.masquerade(fam) or c.native_cidr_setting(fam).value.strip():
            continue
        if not c.ip_masq_agent and not (fam == 4 and c.ipam_mode in ("eni", "alibabacloud")):
            # native routing: NR001 covers it; tunnel mode: traffic to remote pods is encapsulated and the inner
            # packet is never SNATed (iptables: `! -o cilium_+`; BPF: a tunnel endpoint is a cluster destination)
            continue
        if c.ip_masq_agent:
            what = "ip-masq-agent is on, so only its nonMasqueradeCIDRs are excluded"
            if fam == 6:
                what += "; its default list has no IPv6 ULA range, so fd00::/8 pod traffic is masqueraded unless listed"
        else:
            what = "the exclusion falls back to each node's own pod CIDR"
        yield ctx.finding(family_name(fam).lower(), f"{family_name(fam)} masquerading is on without "
                          f"ipv{fam}NativeRoutingCIDR: {what}.",
                          locations=ctx.setting_locs(f"enable-ipv{fam}-masquerade", "routing-mode", "enable-ip-masq-agent"),
                          evidence=[ctx.describe_setting("routing-mode"), ctx.describe_setting(f"enable-ipv{fam}-masquerade")],
                          fix=ctx.fix_setting(f"ipv{fam}-native-routing-cidr", "<prefix covering all pod CIDRs>",
                                              f"Set ipv{fam}NativeRoutingCIDR so that traffic between pods is never SNATed"))


@rule("MQ001", "bpf-masquerade-requires-nodeport", "error", "BPF masquerade without NodePort (Cilium <= 1.18)")
def bpf_masq_nodeport(ctx: CheckContext) -> Iterator[Finding]:
    """Cilium 1.16-1.18 refuse to start with `bpf.masquerade=true` unless the BPF NodePort implementation is on
    (kubeProxyReplacement=true or nodePort.enabled=true). 1.16 also needs socket-LB in tunnel mode."""
    c = ctx.cilium
    if not c.present or not c.bpf_masquerade or c.version_minor > (1, 18):
        return
    if not (c.masquerade(4) or c.masquerade(6)):
        return
    if not c.kpr and not c.flag("enable-node-port"):
        yield ctx.finding("nodeport", "bpf.masquerade is true but neither kubeProxyReplacement nor nodePort.enabled "
                          f"is: Cilium {c.version.value} refuses to start (\"BPF masquerade requires NodePort\").",
                          locations=ctx.setting_locs("enable-bpf-masquerade", "kube-proxy-replacement", "enable-node-port"),
                          evidence=[ctx.describe_setting("enable-bpf-masquerade"), ctx.describe_setting("kube-proxy-replacement"),
                                    ctx.describe_setting("enable-node-port")],
                          fix=ctx.fix_setting("kube-proxy-replacement", "true", "Enable kubeProxyReplacement (or nodePort.enabled)"))
    if c.version_minor == (1, 16) and not c.native_routing and not c.flag("bpf-lb-sock") and not c.kpr:
        yield ctx.finding("socketlb", "Cilium 1.16 requires socket-LB for BPF masquerade in tunnel mode.",
                          locations=ctx.setting_locs("enable-bpf-masquerade", "bpf-lb-sock"),
                          evidence=[ctx.describe_setting("bpf-lb-sock")],
                          fix=ctx.fix_setting("bpf-lb-sock", "true", "Enable socketLB.enabled"))


@rule("MQ002", "incompatible-masquerade-options", "error", "Masquerade options the agent rejects together")
def incompatible_masq(ctx: CheckContext) -> Iterator[Finding]:
    """The agent refuses: BPF masquerade with `egressMasqueradeInterfaces` or `enableMasqueradeRouteSource`
    (iptables-only options); ip-masq-agent without BPF masquerade; BPF masquerade with both families'
    masquerading off."""
    c = ctx.cilium
    if not c.present:
        return
    if c.bpf_masquerade and c.get("egress-masquerade-interfaces").value.strip():
        yield ctx.finding("egress-interfaces", "bpf.masquerade cannot be combined with egressMasqueradeInterfaces "
                          "(iptables-only): the agent refuses to start.",
                          locations=ctx.setting_locs("enable-bpf-masquerade", "egress-masquerade-interfaces"),
                          evidence=[ctx.describe_setting("egress-masquerade-interfaces")],
                          fix=ctx.fix_setting("egress-masquerade-interfaces", "", "Remove egressMasqueradeInterfaces; use `devices` to choose BPF devices"))
    if c.bpf_masquerade and c.flag("enable-masquerade-to-route-source"):
        yield ctx.finding("route-source", "bpf.masquerade cannot be combined with enableMasqueradeRouteSource: the "
                          "agent refuses to start.", locations=ctx.setting_locs("enable-masquerade-to-route-source"),
                          evidence=[ctx.describe_setting("enable-masquerade-to-route-source")],
                          fix=ctx.fix_setting("enable-masquerade-to-route-source", "false", "Disable enableMasqueradeRouteSource"))
    if c.ip_masq_agent and not c.bpf_masquerade:
        yield ctx.finding("ip-masq-agent", "ipMasqAgent.enabled requires bpf.masquerade: the agent refuses to start.",
                          locations=ctx.setting_locs("enable-ip-masq-agent", "enable-bpf-masquerade"),
                          evidence=[ctx.describe_setting("enable-ip-masq-agent"), ctx.describe_setting("enable-bpf-masquerade")],
                          fix=ctx.fix_setting("enable-bpf-masquerade", "true", "Enable bpf.masquerade"))
    if c.bpf_masquerade and not c.masquerade(4) and not c.masquerade(6):
        yield ctx.finding("no-family", "bpf.masquerade is on but both enableIPv4Masquerade and enableIPv6Masquerade "
                          "are off: the agent refuses to start.",
                          locations=ctx.setting_locs("enable-bpf-masquerade", "enable-ipv4-masquerade", "enable-ipv6-masquerade"),
                          evidence=[ctx.describe_setting("enable-ipv4-masquerade"), ctx.describe_setting("enable-ipv6-masquerade")],
                          fix=ctx.fix_setting("enable-bpf-masquerade", "false", "Disable bpf.masquerade or enable one family's masquerading"))


@rule("MQ003", "ipv6-bpf-masquerade-beta", "info", "IPv6 BPF masquerading is beta")
def ipv6_bpf_masq_beta(ctx: CheckContext) -> Iterator[Finding]:
    """Cilium documents IPv6 BPF masquerading as beta in 1.16-1.19: non-echo ICMPv6 that needs SNAT is dropped
    ("Unsupported protocol for NAT masquerade"), and a link-local masquerade address breaks RS/RA."""
    c = ctx.cilium
    if c.present and 6 in ctx.families() and c.masquerade(6) and c.bpf_masquerade:
        yield ctx.finding("ipv6", "IPv6 is masqueraded by BPF, which Cilium documents as beta: ICMPv6 other than echo "
                          "that needs SNAT is dropped.", locations=ctx.setting_locs("enable-ipv6-masquerade", "enable-bpf-masquerade"),
                          evidence=[ctx.describe_setting("enable-ipv6-masquerade"), ctx.describe_setting("enable-bpf-masquerade")],
                          fix=Fix("Avoid IPv6 SNAT where possible: make ipv6NativeRoutingCIDR cover all in-cluster "
                                  "destinations, or disable enableIPv6Masquerade if pods have routable addresses"))
