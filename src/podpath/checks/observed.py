"""Observed evidence that contradicts the configuration (`cilium status`)."""

from __future__ import annotations

from typing import Iterator

from podpath.checks.base import CheckContext, Finding, Fix, family_name, rule


@rule("OB001", "status-contradicts-config", "warning", "`cilium status` contradicts the configuration")
def status_vs_config(ctx: CheckContext) -> Iterator[Finding]:
    """`cilium status` shows what the agent actually runs with: routing mode, host routing, kube-proxy
    replacement and the masquerade exclusion CIDRs. A difference from the configuration in the snapshot means the
    configuration is not what runs (not applied, agents not restarted, or an automatic fallback)."""
    c = ctx.cilium
    if not c.present:
        return
    for host in sorted(ctx.cluster.hosts.values(), key=lambda h: h.name):
        st = host.cilium_status
        if st is None:
            continue
        if st.routing_network is not None:
            observed = st.routing_network.value.lower()
            expected = "native" if c.native_routing else "tunnel"
            if observed in ("native", "tunnel") and observed != expected:
                yield ctx.finding(f"{host.name}:routing", f"`cilium status` on {host.name} reports {observed} routing but "
                                  f"the configuration says {c.routing_mode}.", locations=[st.routing_network.loc] + ctx.setting_locs("routing-mode"),
                                  evidence=[ctx.describe_setting("routing-mode")], fix=Fix("Restart the agent after changing routingMode"))
        if st.routing_host is not None:
            observed = st.routing_host.value.lower()
            ok, reasons = c.bpf_host_routing()
            expected = "bpf" if ok else "legacy"
            if observed in ("bpf", "legacy") and observed != expected:
                yield ctx.finding(f"{host.name}:host-routing", f"`cilium status` on {host.name} reports {observed} host "
                                  f"routing; the configuration implies {expected}.",
                                  locations=[st.routing_host.loc], evidence=reasons or [ctx.describe_setting("enable-host-legacy-routing")],
                                  fix=Fix("Check the agent log for \"Falling back to legacy host routing\""))
        if st.masquerading_cidrs:
            for fam in (4, 6):
                shown = [x for x in st.masquerading_cidrs if x.value.version == fam]
                native = c.native_cidr(fam)
                if shown and native is not None and all(x.value != native for x in shown):
                    yield ctx.finding(f"{host.name}:masq-{fam}", f"`cilium status` on {host.name} shows the "
                                      f"{family_name(fam)} masquerade exclusion {shown[0].value}, but "
                                      f"ipv{fam}NativeRoutingCIDR is {native}: the agent runs with another configuration.",
                                      locations=[shown[0].loc] + ctx.setting_locs(f"ipv{fam}-native-routing-cidr"),
                                      evidence=[ctx.describe_setting(f"ipv{fam}-native-routing-cidr")],
                                      fix=Fix("Roll out the configuration and restart the Cilium agents (the CIDR is compiled into the datapath)"))
        if st.kube_proxy_replacement is not None:
            observed = st.kube_proxy_replacement.value.lower()
            if observed in ("true", "false") and (observed == "true") != c.kpr:
                yield ctx.finding(f"{host.name}:kpr", f"`cilium status` on {host.name} reports KubeProxyReplacement "
                                  f"{st.kube_proxy_replacement.value}; the configuration says {c.get('kube-proxy-replacement').value}.",
                                  locations=[st.kube_proxy_replacement.loc] + ctx.setting_locs("kube-proxy-replacement"),
                                  evidence=[ctx.describe_setting("kube-proxy-replacement")],
                                  fix=Fix("Restart the agents after changing kubeProxyReplacement"))
        if st.cluster_health is not None:
            ok, total = st.cluster_health.value
            if ok < total:
                yield ctx.finding(f"{host.name}:health", f"`cilium status` on {host.name} reports cluster health "
                                  f"{ok}/{total} reachable.", severity="info", locations=[st.cluster_health.loc],
                                  evidence=["health probes use node and health-endpoint addresses; unreachable peers "
                                            "usually mean missing routes to their pod CIDRs"],
                                  fix=Fix(f"Run `podpath explain` for the pod CIDRs of the unreachable nodes from {host.name}"))
