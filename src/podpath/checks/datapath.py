"""Host routing, kube-proxy replacement, load-balancer and BIG TCP prerequisites
(reference: cilium-datapath.md 2.5, 7 CIL-010, 011, 019, 020, 021, 024)."""

from __future__ import annotations

from typing import Iterator

from podpath.checks.base import CheckContext, Finding, Fix, rule
from podpath.cilium.settings import version_tuple
from podpath.model.cilium_bgp import not_served
from podpath.readers.yamlsrc import value_loc


@rule("HR001", "bpf-host-routing-not-effective", "warning", "BPF host routing requested but the agent falls back to legacy")
def host_routing_fallback(ctx: CheckContext) -> Iterator[Finding]:
    """BPF host routing is the default, but the agent silently falls back to legacy (kernel) host routing when a
    prerequisite is missing: kube-proxy replacement, BPF masquerading (when masquerading is on), and on <= 1.18
    no IPsec. Packets then traverse netfilter and the kernel FIB, which changes what Hubble and captures show."""
    c = ctx.cilium
    if not c.present or c.flag("enable-host-legacy-routing"):
        return
    ok, reasons = c.bpf_host_routing()
    if ok:
        return
    yield ctx.finding("fallback", "bpf.hostLegacyRouting is not set, but BPF host routing is not possible: "
                      + "; ".join(reasons) + ". The agent falls back to legacy host routing.",
                      locations=ctx.setting_locs("kube-proxy-replacement", "enable-bpf-masquerade", "enable-host-legacy-routing"),
                      evidence=[ctx.describe_setting("kube-proxy-replacement"), ctx.describe_setting("enable-bpf-masquerade"),
                                "agent log: \"BPF host routing requires ... Falling back to legacy host routing\"; "
                                "`cilium status` shows Host Routing: Legacy"],
                      fix=ctx.fix_setting("enable-host-legacy-routing", "true",
                                          "Either meet the prerequisites (kubeProxyReplacement: true, bpf.masquerade: true) "
                                          "or state bpf.hostLegacyRouting: true so the intent is explicit"))


@rule("HR002", "talos-host-dns-bpf-host-routing", "warning", "Talos host DNS forwarding with BPF host routing")
def talos_host_dns(ctx: CheckContext) -> Iterator[Finding]:
    """Talos >= 1.8 forwards CoreDNS upstream queries to the host DNS resolver (`forwardKubeDNSToHost`, on by
    default) through netfilter, which BPF host routing bypasses: CoreDNS upstream queries time out. Cilium's Talos
    guide requires `bpf.hostLegacyRouting: true` in that case (Cilium issue #36737)."""
    t = ctx.cluster.talos
    c = ctx.cilium
    if t is None or not c.present:
        return
    ok, _ = c.bpf_host_routing()
    if not ok:
        return
    fwd = t.forward_kube_dns_to_host
    if fwd is not None and not fwd.value:
        return
    if fwd is None and (t.version is None or version_tuple(t.version.value) < (1, 8)):
        return
    default = fwd is None
    yield ctx.finding("host-dns", "Talos forwards kube DNS to the host resolver"
                      + (f" (default since Talos 1.8; this cluster runs {t.version.value})" if default and t.version else "")
                      + " while Cilium uses BPF host routing, which bypasses that forwarding: CoreDNS upstream lookups time out.",
                      locations=[fwd.loc if fwd else None, t.version.loc if (default and t.version) else None]
                      + ctx.setting_locs("enable-host-legacy-routing"),
                      evidence=["CoreDNS logs \"i/o timeout\" to 169.254.116.108:53 (Talos host DNS address)",
                                ctx.describe_setting("enable-host-legacy-routing")],
                      fix=ctx.fix_setting("enable-host-legacy-routing", "true",
                                          "Set bpf.hostLegacyRouting: true (Cilium's Talos guide), or disable "
                                          "machine.features.hostDNS.forwardKubeDNSToHost in the Talos config"))


@rule("KP001", "kpr-without-api-endpoint", "error", "kube-proxy replacement without a direct API server address")
def kpr_api(ctx: CheckContext) -> Iterator[Finding]:
    """With kube-proxy replacement and no kube-proxy (Talos `cluster.proxy.disabled: true`), nothing implements
    the `kubernetes` Service ClusterIP until Cilium runs, so Cilium must reach the API server directly:
    `k8sServiceHost`/`k8sServicePort` (on Talos, KubePrism: localhost:7445)."""
    c = ctx.cilium
    t = ctx.cluster.talos
    if not c.present or not c.kpr:
        return
    if t is None or t.proxy_disabled is None or not t.proxy_disabled.value:
        return
    if c.get("k8s-service-host").value.strip():
        return
    yield ctx.finding("api", "kubeProxyReplacement is true and kube-proxy is disabled, but k8sServiceHost is not "
                      "set: the agent cannot reach the API server through a ClusterIP nobody implements yet.",
                      locations=ctx.setting_locs("kube-proxy-replacement") + [t.proxy_disabled.loc],
                      evidence=[ctx.describe_setting("kube-proxy-replacement"),
                                f"cluster.proxy.disabled: true ({t.proxy_disabled.loc})"],
                      fix=Fix("Point Cilium at the API server directly (Talos KubePrism)",
                              c.helm_files[0] if c.helm_files else None, "k8sServiceHost: localhost\nk8sServicePort: 7445\n"))


@rule("KP002", "kpr-with-kube-proxy", "warning", "kube-proxy replacement while kube-proxy still runs")
def kpr_with_kube_proxy(ctx: CheckContext) -> Iterator[Finding]:
    """Running kube-proxy next to Cilium's kube-proxy replacement leaves two service implementations competing
    (iptables rules and BPF); disable kube-proxy (Talos `cluster.proxy.disabled: true`)."""
    c = ctx.cilium
    t = ctx.cluster.talos
    if not c.present or not c.kpr or t is None or not t.files:
        return
    if t.proxy_disabled is not None and t.proxy_disabled.value:
        return
    yield ctx.finding("kube-proxy", "kubeProxyReplacement is true but the Talos config does not disable kube-proxy.",
                      locations=ctx.setting_locs("kube-proxy-replacement") + [t.proxy_disabled.loc if t.proxy_disabled else None],
                      evidence=[ctx.describe_setting("kube-proxy-replacement"),
                                f"Talos cluster.proxy.disabled: {t.proxy_disabled.value if t.proxy_disabled else 'unset (false)'}"],
                      fix=Fix("Disable kube-proxy in the Talos machine config", t.files[0], "cluster:\n  proxy:\n    disabled: true\n"))


@rule("LB001", "load-balancer-mode-constraints", "error", "Load-balancer mode incompatible with the routing mode")
def lb_mode(ctx: CheckContext) -> Iterator[Finding]:
    """DSR and hybrid modes cannot run over a VXLAN tunnel; DSR in tunnel mode needs `dsrDispatch: geneve`; geneve
    dispatch needs a Geneve tunnel; XDP acceleration cannot use an IPv6 underlay. The agent refuses to start."""
    c = ctx.cilium
    if not c.present:
        return
    mode = c.get("bpf-lb-mode").value or "snat"
    dispatch = c.get("bpf-lb-dsr-dispatch").value or "opt"
    locs = ctx.setting_locs("bpf-lb-mode", "routing-mode", "tunnel-protocol", "bpf-lb-dsr-dispatch")
    ev = [ctx.describe_setting("bpf-lb-mode"), ctx.describe_setting("routing-mode"), ctx.describe_setting("tunnel-protocol"),
          ctx.describe_setting("bpf-lb-dsr-dispatch")]
    if mode in ("dsr", "hybrid") and not c.native_routing:
        if c.tunnel_protocol == "vxlan":
            yield ctx.finding("dsr-vxlan", f"loadBalancer.mode {mode} cannot be used with a VXLAN tunnel.", locations=locs,
                              evidence=ev, fix=ctx.fix_setting("tunnel-protocol", "geneve", "Use tunnelProtocol: geneve with loadBalancer.dsrDispatch: geneve, or native routing"))
        elif dispatch != "geneve":
            yield ctx.finding("dsr-dispatch", f"loadBalancer.mode {mode} in tunnel mode needs loadBalancer.dsrDispatch: geneve.",
                              locations=locs, evidence=ev, fix=ctx.fix_setting("bpf-lb-dsr-dispatch", "geneve", "Set loadBalancer.dsrDispatch: geneve"))
    if dispatch == "geneve" and mode in ("dsr", "hybrid") and (c.native_routing or c.tunnel_protocol != "geneve"):
        yield ctx.finding("geneve-dispatch", "loadBalancer.dsrDispatch geneve requires tunnelProtocol geneve.",
                          locations=locs, evidence=ev, fix=ctx.fix_setting("bpf-lb-dsr-dispatch", "opt", "Use dsrDispatch opt with native routing"))
    if c.get("bpf-lb-acceleration").value not in ("", "disabled") and c.get("underlay-protocol").value == "ipv6":
        yield ctx.finding("xdp-ipv6", "XDP acceleration cannot be used with an IPv6 underlay.",
                          locations=ctx.setting_locs("bpf-lb-acceleration", "underlay-protocol"),
                          evidence=[ctx.describe_setting("bpf-lb-acceleration"), ctx.describe_setting("underlay-protocol")],
                          fix=ctx.fix_setting("bpf-lb-acceleration", "disabled", "Disable XDP acceleration"))


@rule("BT001", "big-tcp-prerequisites", "warning", "BIG TCP enabled without its prerequisites")
def big_tcp(ctx: CheckContext) -> Iterator[Finding]:
    """BIG TCP needs native routing, kube-proxy replacement, BPF masquerading and BPF host routing, no
    encryption; otherwise the agent refuses or the feature stays off."""
    c = ctx.cilium
    if not c.present:
        return
    for fam in (4, 6):
        if not c.flag(f"enable-ipv{fam}-big-tcp"):
            continue
        missing = []
        if not c.native_routing:
            missing.append("native routing")
        if not c.kpr:
            missing.append("kubeProxyReplacement")
        if not c.bpf_masquerade:
            missing.append("bpf.masquerade")
        if not c.bpf_host_routing()[0]:
            missing.append("BPF host routing")
        if c.encryption:
            missing.append(f"no encryption (has {c.encryption})")
        if missing:
            yield ctx.finding(f"ipv{fam}", f"enableIPv{fam}BIGTCP is on but these prerequisites are not met: "
                              f"{', '.join(missing)}.", locations=ctx.setting_locs(f"enable-ipv{fam}-big-tcp"),
                              evidence=[ctx.describe_setting(f"enable-ipv{fam}-big-tcp")],
                              fix=ctx.fix_setting(f"enable-ipv{fam}-big-tcp", "false", f"Disable enableIPv{fam}BIGTCP or meet its prerequisites"))


@rule("BG001", "bgp-resource-version", "error", "Cilium BGP resources not served by this Cilium version")
def bgp_resource_version(ctx: CheckContext) -> Iterator[Finding]:
    """Each Cilium release installs BGP CRDs that serve fixed API versions: `cilium.io/v2alpha1`
    CiliumBGPClusterConfig, PeerConfig, Advertisement, NodeConfig and NodeConfigOverride from 1.16,
    `cilium.io/v2` from 1.18 (v2alpha1 deprecated but served through 1.19); `CiliumBGPPeeringPolicy` (BGPv1,
    v2alpha1 only) deprecated in 1.18 and removed in 1.19. An object of a version the cluster does not serve
    does not exist — the API server rejects it — so podpath reports it at its `apiVersion` line and
    simulates without it. BGP resources do nothing unless `bgpControlPlane.enabled` is true."""
    c = ctx.cilium
    for kind, obj, loc in ctx.snap.bgp_objects:
        api = str(obj.get("apiVersion", ""))
        name = str((obj.get("metadata") or {}).get("name"))
        why = not_served(kind, api, c.version_minor)
        if why is not None:
            removed = kind == "CiliumBGPPeeringPolicy"
            yield ctx.finding(f"{kind}/{name}", f"{kind} {name} does not exist on Cilium {c.version.value}: {why}. The API "
                              "server rejects it and no BGP runs from it.",
                              locations=[value_loc(obj, "apiVersion", loc.file) if "apiVersion" in obj else loc],
                              evidence=[f"Cilium version {c.version.value} ({c.version.loc or 'assumed'})",
                                        f"apiVersion {api or '(none)'} at {value_loc(obj, 'apiVersion', loc.file)}"],
                              fix=Fix("Migrate to CiliumBGPClusterConfig/CiliumBGPPeerConfig/CiliumBGPAdvertisement "
                                      "(cilium.io/v2)" if removed else
                                      "Use an apiVersion this Cilium serves (cilium.io/v2alpha1 before 1.18; "
                                      "cilium.io/v2 from 1.18), or upgrade Cilium", loc.file))
            continue
        if kind == "CiliumBGPPeeringPolicy" and c.version_minor == (1, 18):
            yield ctx.finding(f"{kind}/{name}", f"CiliumBGPPeeringPolicy {name} is deprecated in Cilium 1.18 and removed in 1.19.",
                              locations=[loc], severity="warning", evidence=[f"apiVersion {api}"],
                              fix=Fix("Migrate to the BGPv2 resources before upgrading", loc.file))
        elif api.endswith("v2alpha1") and c.version_minor >= (1, 18) and kind != "CiliumBGPPeeringPolicy":
            yield ctx.finding(f"{kind}/{name}", f"{kind} {name} uses cilium.io/v2alpha1, deprecated since Cilium 1.18.",
                              locations=[loc], severity="info", evidence=[f"apiVersion {api}"],
                              fix=Fix("Change apiVersion to cilium.io/v2 (field names are the same for these kinds)", loc.file))
        if c.present and not c.flag("enable-bgp-control-plane"):
            yield ctx.finding(f"{kind}/{name}:disabled", f"{kind} {name} has no effect: bgpControlPlane.enabled is not true.",
                              locations=[loc] + ctx.setting_locs("enable-bgp-control-plane"), severity="warning",
                              evidence=[ctx.describe_setting("enable-bgp-control-plane")],
                              fix=ctx.fix_setting("enable-bgp-control-plane", "true", "Enable bgpControlPlane.enabled"))


@rule("BG002", "bgp-nodeconfig-ownership", "error", "CiliumBGPNodeConfig not written as the ClusterConfigs say")
def bgp_nodeconfig_ownership(ctx: CheckContext) -> Iterator[Finding]:
    """The agent runs the `CiliumBGPNodeConfig` named after its node; the operator writes it from the
    `CiliumBGPClusterConfig` selecting the node (with the node's `CiliumBGPNodeConfigOverride`), but skips a
    node whose NodeConfig the ClusterConfig does not own (operator/pkg/bgpv2/cluster.go): a hand-written
    NodeConfig wins (warning), two ClusterConfigs selecting one node conflict and only one applies (error,
    condition `ConflictingClusterConfigs`), an override that matches no instance changes nothing (warning),
    and a `CiliumBGPPeeringPolicy` selecting the node takes precedence over all of it (warning)."""
    if not ctx.snap.bgp_objects or (ctx.cilium.present and not ctx.cilium.flag("enable-bgp-control-plane")):
        return
    for note in ctx.snap.cilium_bgp().notes:
        if note.kind == "unserved":
            continue  # BG001
        yield ctx.finding(f"{note.kind}:{note.subject}", note.message, locations=note.locs, evidence=note.evidence,
                          severity=note.severity,
                          fix=Fix("Let the operator write the node's CiliumBGPNodeConfig: delete the hand-written "
                                  "one, or select the node by exactly one CiliumBGPClusterConfig"
                                  if note.kind in ("handwritten", "conflict", "foreign-owner", "stale") else
                                  "Name the override after the node and its instances after the ClusterConfig's "
                                  "instances" if note.kind == "override-unused" else
                                  "Select each node by either CiliumBGPPeeringPolicy or CiliumBGPClusterConfig"))
