"""Cilium's effective datapath settings, from Helm values and/or the cilium-config ConfigMap.

The agent reads the `cilium-config` ConfigMap; the Helm chart writes it from
values. We model the agent's view: for each ConfigMap key that matters to the
datapath, the value in effect, where it came from (a Helm value at file:line,
a ConfigMap entry, or a default of the stated Cilium version) and the Helm key
that controls it. The table below is the chart's template logic for those keys
(install/kubernetes/cilium/templates/cilium-configmap.yaml, 1.16-1.19) and the
agent's flag defaults; see shared reference `cilium-datapath.md` section 1.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable

from podpath.diagnostics import Loc
from podpath.model.cluster import Sourced
from podpath.routing.route import IPNetwork

SUPPORTED_VERSIONS = ("1.16", "1.17", "1.18", "1.19")
DEFAULT_VERSION = "1.19"


def minor(version: str) -> str:
    """'v1.19.0-rc.1' -> '1.19'."""
    v = version.strip().lstrip("v")
    parts = v.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else v


def version_tuple(version: str) -> tuple[int, int]:
    try:
        a, b = minor(version).split(".")
        return int(a), int(b)
    except ValueError:
        return (0, 0)


def _bool(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _bool(value)
    return str(value)


def _list_space(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return _str(value)


@dataclass(frozen=True)
class KeyMap:
    """One Helm value -> ConfigMap key rule with the default for each version."""

    helm: str
    configmap: str
    render: Callable[[Any], str]
    defaults: dict[str, str | None]  # per minor version; None = key absent (agent default below)
    agent_default: str
    doc: str = ""

    def default_for(self, version: str) -> tuple[str, str]:
        """(value, what set it) for a version when the user did not set the Helm value."""
        v = minor(version)
        chart = self.defaults.get(v, self.defaults.get(DEFAULT_VERSION))
        if chart is None:
            return self.agent_default, "agent flag default"
        return chart, "chart default"


def _all(value: str | None) -> dict[str, str | None]:
    return {v: value for v in SUPPORTED_VERSIONS}


KEYMAP: tuple[KeyMap, ...] = (
    KeyMap("routingMode", "routing-mode", _str, _all(None), "tunnel", "native or tunnel"),
    KeyMap("tunnelProtocol", "tunnel-protocol", _str, _all(None), "vxlan"),
    KeyMap("tunnelPort", "tunnel-port", _str, _all(None), "0"),
    KeyMap("underlayProtocol", "underlay-protocol", _str, _all(None), "ipv4"),
    KeyMap("autoDirectNodeRoutes", "auto-direct-node-routes", _bool, _all("false"), "false"),
    KeyMap("directRoutingSkipUnreachable", "direct-routing-skip-unreachable", _bool, _all("false"), "false"),
    KeyMap("ipv4NativeRoutingCIDR", "ipv4-native-routing-cidr", _str, _all(None), ""),
    KeyMap("ipv6NativeRoutingCIDR", "ipv6-native-routing-cidr", _str, _all(None), ""),
    KeyMap("enableIPv4Masquerade", "enable-ipv4-masquerade", _bool, _all("true"), "true"),
    KeyMap("enableIPv6Masquerade", "enable-ipv6-masquerade", _bool, _all("true"), "true"),
    KeyMap("bpf.masquerade", "enable-bpf-masquerade", _bool, _all(None), "false"),
    KeyMap("ipMasqAgent.enabled", "enable-ip-masq-agent", _bool, _all(None), "false"),
    KeyMap("enableMasqueradeRouteSource", "enable-masquerade-to-route-source", _bool, _all(None), "false"),
    KeyMap("egressMasqueradeInterfaces", "egress-masquerade-interfaces", _list_space, _all(None), ""),
    KeyMap("bpf.hostLegacyRouting", "enable-host-legacy-routing", _bool, _all(None), "false"),
    KeyMap("endpointRoutes.enabled", "enable-endpoint-routes", _bool, _all("false"), "false"),
    KeyMap("kubeProxyReplacement", "kube-proxy-replacement", _bool, _all("false"), "false"),
    KeyMap("socketLB.enabled", "bpf-lb-sock", _bool, _all(None), "false"),
    KeyMap("socketLB.hostNamespaceOnly", "bpf-lb-sock-hostns-only", _bool, _all(None), "false"),
    KeyMap("nodePort.enabled", "enable-node-port", _bool,
           {"1.16": "false", "1.17": "false", "1.18": "false", "1.19": None}, "false"),
    KeyMap("loadBalancer.mode", "bpf-lb-mode", _str, _all(None), "snat"),
    KeyMap("loadBalancer.dsrDispatch", "bpf-lb-dsr-dispatch", _str, _all(None), "opt"),
    KeyMap("loadBalancer.acceleration", "bpf-lb-acceleration", _str, _all("disabled"), "disabled"),
    KeyMap("MTU", "mtu", _str, _all(None), "0"),
    KeyMap("devices", "devices", _list_space, _all(None), ""),
    KeyMap("ipam.mode", "ipam", _str, _all("cluster-pool"), "cluster-pool"),
    KeyMap("ipam.operator.clusterPoolIPv4PodCIDRList", "cluster-pool-ipv4-cidr", _list_space,
           _all("10.0.0.0/8"), ""),
    KeyMap("ipam.operator.clusterPoolIPv4MaskSize", "cluster-pool-ipv4-mask-size", _str, _all("24"), "24"),
    KeyMap("ipam.operator.clusterPoolIPv6PodCIDRList", "cluster-pool-ipv6-cidr", _list_space,
           _all("fd00::/104"), ""),
    KeyMap("ipam.operator.clusterPoolIPv6MaskSize", "cluster-pool-ipv6-mask-size", _str, _all("120"), "120"),
    KeyMap("k8s.requireIPv4PodCIDR", "k8s-require-ipv4-pod-cidr", _bool, _all("false"), "false"),
    KeyMap("k8s.requireIPv6PodCIDR", "k8s-require-ipv6-pod-cidr", _bool, _all("false"), "false"),
    KeyMap("bgpControlPlane.enabled", "enable-bgp-control-plane", _bool, _all("false"), "false"),
    KeyMap("enableIPv4BIGTCP", "enable-ipv4-big-tcp", _bool, _all("false"), "false"),
    KeyMap("enableIPv6BIGTCP", "enable-ipv6-big-tcp", _bool, _all("false"), "false"),
    KeyMap("ipv4.enabled", "enable-ipv4", _bool, _all("true"), "true"),
    KeyMap("ipv6.enabled", "enable-ipv6", _bool, _all("false"), "false"),
    KeyMap("bpf.monitorAggregation", "monitor-aggregation", _str, _all("medium"), "medium"),
    KeyMap("bpf.datapathMode", "datapath-mode", _str, _all("veth"), "veth"),
    KeyMap("policyEnforcementMode", "enable-policy", _str, _all("default"), "default"),
    KeyMap("policyCIDRMatchMode", "policy-cidr-match-mode", _list_space, _all(None), ""),
    KeyMap("cluster.name", "cluster-name", _str, _all("default"), "default"),
    KeyMap("cni.chainingMode", "cni-chaining-mode", _str, _all(None), "none"),
    KeyMap("encryption.enabled", "encryption-enabled", _bool, _all("false"), "false"),
    KeyMap("encryption.type", "encryption-type", _str, _all("ipsec"), "ipsec"),
    KeyMap("k8sServiceHost", "k8s-service-host", _str, _all(None), ""),
    KeyMap("k8sServicePort", "k8s-service-port", _str, _all(None), ""),
)

BY_HELM = {k.helm: k for k in KEYMAP}
BY_CONFIGMAP = {k.configmap: k for k in KEYMAP}


@dataclass(frozen=True)
class Setting:
    """The value the agent uses for one ConfigMap key, and why."""

    key: str
    value: str
    origin: str  # helm | configmap | extraConfig | default | derived
    loc: Loc | None = None
    helm_key: str | None = None
    note: str = ""  # e.g. "chart default of 1.19", "chart writes true because cni.chainingMode=..."

    @property
    def is_default(self) -> bool:
        return self.origin == "default"

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "value": self.value,
            "origin": self.origin,
            "location": self.loc.to_json() if self.loc else None,
            "helm_key": self.helm_key,
            "note": self.note,
        }


@dataclass
class CiliumConfig:
    """Effective Cilium agent configuration for one cluster."""

    version: Sourced[str] = field(default_factory=lambda: Sourced(DEFAULT_VERSION, None, "default"))
    settings: dict[str, Setting] = field(default_factory=dict)
    helm_files: list[str] = field(default_factory=list)
    configmap_files: list[str] = field(default_factory=list)
    present: bool = False  # any Cilium configuration found at all

    # --- raw access -------------------------------------------------------
    def get(self, key: str) -> Setting:
        if key in self.settings:
            return self.settings[key]
        km = BY_CONFIGMAP.get(key)
        if km is None:
            return Setting(key, "", "default")
        value, why = km.default_for(self.version.value)
        return Setting(key, value, "default", None, km.helm, f"{why} of Cilium {minor(self.version.value)}")

    def flag(self, key: str) -> bool:
        return self.get(key).value.strip().lower() in ("true", "1", "yes", "on")

    @property
    def version_minor(self) -> tuple[int, int]:
        return version_tuple(self.version.value)

    # --- typed views used by checks --------------------------------------
    @property
    def routing_mode(self) -> str:
        return self.get("routing-mode").value or "tunnel"

    @property
    def native_routing(self) -> bool:
        return self.routing_mode == "native"

    @property
    def tunnel_protocol(self) -> str:
        return self.get("tunnel-protocol").value or "vxlan"

    def family_enabled(self, family: int) -> bool:
        return self.flag(f"enable-ipv{family}")

    def masquerade(self, family: int) -> bool:
        return self.flag(f"enable-ipv{family}-masquerade")

    def native_cidr_setting(self, family: int) -> Setting:
        return self.get(f"ipv{family}-native-routing-cidr")

    def native_cidr(self, family: int) -> IPNetwork | None:
        raw = self.native_cidr_setting(family).value.strip()
        if not raw:
            return None
        try:
            net = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            return None
        return net if net.version == family else None

    @property
    def bpf_masquerade(self) -> bool:
        return self.flag("enable-bpf-masquerade")

    @property
    def ip_masq_agent(self) -> bool:
        return self.flag("enable-ip-masq-agent")

    @property
    def kpr(self) -> bool:
        return self.get("kube-proxy-replacement").value.strip().lower() == "true"

    @property
    def auto_direct_node_routes(self) -> bool:
        return self.flag("auto-direct-node-routes")

    @property
    def ipam_mode(self) -> str:
        return self.get("ipam").value or "cluster-pool"

    @property
    def mtu(self) -> int:
        try:
            return int(self.get("mtu").value or 0)
        except ValueError:
            return 0

    @property
    def encryption(self) -> str | None:
        if not self.flag("encryption-enabled") and not self.flag("enable-wireguard") and not self.flag("enable-ipsec"):
            return None
        if self.flag("enable-wireguard"):
            return "wireguard"
        if self.flag("enable-ipsec"):
            return "ipsec"
        return self.get("encryption-type").value or "ipsec"

    def bpf_host_routing(self) -> tuple[bool, list[str]]:
        """Whether BPF host routing is in effect, and if not, why (the agent falls back
        silently: reference 2.5)."""
        reasons: list[str] = []
        if self.flag("enable-host-legacy-routing"):
            s = self.get("enable-host-legacy-routing")
            reasons.append("legacy host routing is requested" + (f" ({s.note})" if s.note else ""))
            return False, reasons
        if not self.kpr:
            reasons.append("kubeProxyReplacement is not true")
        if (self.masquerade(4) or self.masquerade(6)) and not self.bpf_masquerade:
            reasons.append("masquerading is done by iptables (bpf.masquerade is not true)")
        if self.version_minor <= (1, 18) and self.encryption == "ipsec":
            reasons.append("IPsec encryption is on (Cilium <= 1.18)")
        return (not reasons), reasons
