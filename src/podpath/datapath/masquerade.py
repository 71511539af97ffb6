"""Cilium's masquerade (SNAT) decision for a packet leaving a node, per family and egress device.

BPF masquerade follows `snat_v6_needs_masquerade` / `snat_v4_needs_masquerade` (bpf/lib/nat.h; v1.19 lines
1723-1841 and 649-819), run by bpf_host's `cil_to_netdev` on the egress device (`handle_nat_fwd` ->
`nodeport_snat_fwd_ipv6`, bpf/bpf_host.c:1516-1522, bpf/lib/nodeport_egress.h:82). First match wins:

1. the family's masquerade is off (`enable-ipvX-masquerade`) -> no SNAT;
2. only packets of local endpoints are SNATed (host-originated ones already carry a node address);
3. BPF SNAT runs only on Cilium's devices (`devices`; auto-detected otherwise) - another egress device: no SNAT;
4. destination inside the SNAT exclusion CIDR `IPVX_SNAT_EXCLUSION_DST_CIDR` -> no SNAT: the native-routing
   CIDR, or without one (and without ip-masq-agent) the node's own pod CIDR
   (pkg/datapath/linux/config/config.go:483-523);
5. ip-masq-agent on and the destination in its nonMasqueradeCIDRs -> no SNAT (its default list when podpath has
   no config: RFC 1918/6598/test nets and link-local; no IPv6 ULA, pkg/ipmasq/ipmasq.go:27-43);
6. destination is a remote node (ipcache identity remote-node/kube-apiserver): native routing -> no SNAT
   (1.19 `enable-remote-node-masquerade` SNATs it), tunnel routing -> SNAT;
7. otherwise a local endpoint's packet is SNATed to the device's masquerade address: the device's primary
   address, the Node InternalIP when it is on the device (1.17+: pkg/datapath/tables/node_address.go:490-561;
   1.16 sorted public before private, then lowest), else the wildcard fallback (pkg/datapath/loader/netdev.go).

iptables masquerade is the `CILIUM_POST_nat` rule `-s <local pod CIDR> ! -d <exclusion CIDR> ! -o cilium_+ -j
MASQUERADE` (pkg/datapath/iptables/iptables.go:1852-1859, 2088-2123), `-o <iface>` for each
`egress-masquerade-interfaces` entry instead; it has no remote-node exception; MASQUERADE takes the source
address the kernel picks for the outgoing interface (the route's `src` with `enable-masquerade-to-route-source`).
"""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.routing.route import IPAddress, IPNetwork

# ip-masq-agent's default nonMasqueradeCIDRs (pkg/ipmasq/ipmasq.go defaultNonMasqCIDRs), link-local included
# unless masqLinkLocal / masqLinkLocalIPv6.
IP_MASQ_AGENT_DEFAULTS: dict[int, tuple[str, ...]] = {
    4: ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24",
        "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "169.254.0.0/16"),
    6: ("fe80::/10",),
}


@dataclass
class SnatDecision:
    snat: bool
    to: IPAddress | None
    how: str  # bpf | iptables | none
    reason: str
    locs: list[Loc] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


def exclusion_cidrs(c: object, node_pod_cidrs: list[IPNetwork], family: int) -> tuple[list[IPNetwork], str, list[Loc]]:
    """The SNAT exclusion CIDR(s) in effect on a node, with how they were chosen and where they are set."""
    s = c.native_cidr_setting(family)  # type: ignore[attr-defined]
    native = c.native_cidr(family)  # type: ignore[attr-defined]
    if native is not None:
        return [native], f"ipv{family}NativeRoutingCIDR {native}", [s.loc] if s.loc else []
    if c.ip_masq_agent:  # type: ignore[attr-defined]
        return [], "no native-routing CIDR (ip-masq-agent decides)", []
    return list(node_pod_cidrs), "no native-routing CIDR: the node's own pod CIDR " + \
        ", ".join(map(str, node_pod_cidrs)), []


def device_selected(c: object, dev: str) -> tuple[bool, str, list[Loc]]:
    """Does bpf_host run on `dev` (Cilium's `devices`, wildcards allowed; auto-detected when unset)?"""
    s = c.get("devices")  # type: ignore[attr-defined]
    pats = s.value.split()
    if not pats:
        return True, f"{dev} assumed auto-detected as a Cilium device (devices unset)", []
    ok = any(fnmatch.fnmatch(dev, p.rstrip("+") + "*" if p.endswith("+") else p) for p in pats)
    return ok, f"devices: {s.value}", [s.loc] if s.loc else []


def masquerade_source(version_minor: tuple[int, int], dev_addrs: list[IPAddress], node_ip: IPAddress | None,
                      family: int) -> tuple[IPAddress | None, str]:
    """The device's masquerade address (version rules above)."""
    cands = [a for a in dev_addrs if a.version == family]
    if node_ip is not None and node_ip in cands and version_minor >= (1, 17):
        return node_ip, "the Node InternalIP on the egress device is its primary address (Cilium >= 1.17)"
    globals_ = [a for a in cands if not a.is_link_local]
    if globals_:
        best = sorted(globals_, key=lambda a: (a.is_private, int(a)))[0]
        return best, "the device's primary address (public before private, then lowest)"
    if node_ip is not None:
        return node_ip, "no address of the family on the device: the wildcard fallback, assumed the Node IP"
    return None, "no address of the family on the device or node"


def decide(c: object, *, family: int, from_endpoint: bool, dst: IPAddress, dev: str | None,
           dst_is_remote_node: bool, node_pod_cidrs: list[IPNetwork], dev_addrs: list[IPAddress],
           node_ip: IPAddress | None, tunnel: bool) -> SnatDecision:
    """Masquerade or not, and to what, for one packet leaving a node through `dev`."""
    m = c.get(f"enable-ipv{family}-masquerade")  # type: ignore[attr-defined]
    mloc = [m.loc] if m.loc else []
    if not c.masquerade(family):  # type: ignore[attr-defined]
        return SnatDecision(False, None, "none", f"enableIPv{family}Masquerade is false", mloc)
    if not from_endpoint:
        return SnatDecision(False, None, "none", "the packet is not from a local endpoint (host traffic keeps its "
                            "node address)")
    excl, excl_why, excl_locs = exclusion_cidrs(c, node_pod_cidrs, family)
    in_excl = any(dst.version == n.version and dst in n for n in excl)
    vm = c.version_minor  # type: ignore[attr-defined]
    if c.bpf_masquerade:  # type: ignore[attr-defined]
        bm = c.get("enable-bpf-masquerade")  # type: ignore[attr-defined]
        locs = mloc + ([bm.loc] if bm.loc else [])
        if dev is None:
            return SnatDecision(False, None, "bpf", "no egress device", locs)
        ok, why, dlocs = device_selected(c, dev)
        if not ok:
            return SnatDecision(False, None, "bpf", f"{dev} is not a Cilium device ({why}): no bpf_host, no BPF "
                                "SNAT there", locs + dlocs)
        assumptions = [why] if not dlocs else []
        if in_excl:
            return SnatDecision(False, None, "bpf", f"{dst} is inside the SNAT exclusion CIDR ({excl_why}) "
                                "(bpf/lib/nat.h: IPV{0}_SNAT_EXCLUSION_DST_CIDR)".format(family), locs + excl_locs,
                                assumptions)
        if c.ip_masq_agent:  # type: ignore[attr-defined]
            agent = c.get("enable-ip-masq-agent")  # type: ignore[attr-defined]
            nets = [ipaddress.ip_network(n) for n in IP_MASQ_AGENT_DEFAULTS[family]]
            assumptions.append("ip-masq-agent's configuration is not in the snapshot: its default "
                               "nonMasqueradeCIDRs assumed")
            if any(dst in n for n in nets if n.version == dst.version):
                return SnatDecision(False, None, "bpf", f"{dst} is in ip-masq-agent's nonMasqueradeCIDRs",
                                    locs + ([agent.loc] if agent.loc else []), assumptions)
        if dst_is_remote_node:
            rn = c.flag("enable-remote-node-masquerade")  # type: ignore[attr-defined]
            if not tunnel and not (rn and vm >= (1, 19)):
                return SnatDecision(False, None, "bpf", f"{dst} is a remote node and routing is native: not "
                                    "masqueraded (bpf/lib/nat.h remote-node check)", locs, assumptions)
        src, why_src = masquerade_source(vm, dev_addrs, node_ip, family)
        if src is None:
            return SnatDecision(True, None, "bpf", f"SNAT needed but {why_src}: the packet is dropped "
                                "(No mapping for NAT masquerade)", locs, assumptions)
        return SnatDecision(True, src, "bpf", f"{dst} is outside the SNAT exclusion CIDR ({excl_why}) and the "
                            f"source is a local endpoint: BPF SNAT on {dev} to {src} ({why_src})",
                            locs + excl_locs, assumptions)
    # iptables masquerade
    locs = mloc
    if c.ip_masq_agent:  # type: ignore[attr-defined]
        return SnatDecision(False, None, "none", "ip-masq-agent requires BPF masquerade: the agent refuses to start",
                            locs)
    ifs = c.get("egress-masquerade-interfaces")  # type: ignore[attr-defined]
    if ifs.value.split():
        pats = ifs.value.split()
        if dev is None or not any(fnmatch.fnmatch(dev, p.rstrip("+") + "*" if p.endswith("+") else p) for p in pats):
            return SnatDecision(False, None, "iptables", f"{dev} is not one of egressMasqueradeInterfaces "
                                f"({ifs.value})", locs + ([ifs.loc] if ifs.loc else []))
    elif dev is not None and dev.startswith("cilium_"):
        return SnatDecision(False, None, "iptables", "the rule excludes Cilium's own devices (! -o cilium_+)", locs)
    if in_excl:
        return SnatDecision(False, None, "iptables", f"{dst} is inside the exclusion CIDR ({excl_why}) of the "
                            "iptables masquerade rule", locs + excl_locs)
    src, why_src = masquerade_source(vm, dev_addrs, node_ip, family)
    note = "the kernel's source address for the outgoing interface"
    if c.flag("enable-masquerade-to-route-source"):  # type: ignore[attr-defined]
        note = "the route's source address (enableMasqueradeRouteSource)"
    return SnatDecision(True, src, "iptables", f"{dst} is outside the exclusion CIDR ({excl_why}): iptables "
                        f"MASQUERADE on {dev} to {src} ({note})", locs + excl_locs,
                        ["netfilter rules other than Cilium's are not modelled"])
