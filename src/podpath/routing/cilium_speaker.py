"""Cilium's BGP Control Plane as a BGP speaker: GoBGP as the agent embeds it.

It only initiates (no listener unless localPort is set), rejects every received
route on import since Cilium 1.16 (and never installs any in the kernel), and
originates exactly what the selected CiliumBGPAdvertisements give, per peer and
family, with their communities; local preference goes only to iBGP peers.
"""

from __future__ import annotations

import ipaddress

from podpath.cilium.settings import CiliumConfig
from podpath.model.cilium_bgp import CiliumBgpInstance
from podpath.model.cluster import Cluster
from podpath.model.labels import selector_matches
from podpath.routing.bgp import BgpOptions, BgpPeer, BgpSpeaker, Daemon, Origination, PeerAf
from podpath.routing.builtin import AdvertiseSelected
from podpath.routing.route import AsPath, Origin, Protocol, Route


def _port(value: object) -> int | None:
    """localPort as the agent's GoBGP gets it (no localPort: GoBGP runs with ListenPort -1, no listener)."""
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return None


def cilium_speakers(instances: list[CiliumBgpInstance], cluster: Cluster, cilium: CiliumConfig) -> list[BgpSpeaker]:
    out = []
    v = cilium.version_minor
    for inst in instances:
        node = cluster.nodes.get(inst.node)
        if node is None:
            continue
        rid = inst.router_id or (str(node.node_ip(4).address) if node.node_ip(4) else None)
        sp = BgpSpeaker(inst.node, Daemon.CILIUM, f"cilium:{inst.name}", inst.local_asn, inst.loc, router_id=rid,
                        version=cilium.version.value,
                        options=BgpOptions(listens=inst.local_port is not None, listen_port=_port(inst.local_port),
                                           accepts_received=v >= (1, 16),
                                           defaults_note=f"Cilium {cilium.version.value}"))
        sp.installs_to_kernel = False
        # What this node can advertise: its pod CIDRs (PodCIDR), per family Cilium runs.
        prefixes = []
        for adv in inst.advertisements:
            if adv.kind == "PodCIDR":
                for c in node.pod_cidrs:
                    if cilium.family_enabled(c.value.version) or not cilium.present:
                        prefixes.append((c.value, adv))
            elif adv.kind == "Service" and "ClusterIP" in adv.service_addresses and adv.selector is not None:
                for svc in cluster.services:
                    labels = {"io.kubernetes.service.name": svc.name, "io.kubernetes.service.namespace": svc.namespace}
                    if selector_matches(adv.selector, labels):
                        for ip in svc.cluster_ips:
                            prefixes.append((ipaddress.ip_network(ip.value), adv))
        seen = set()
        for prefix, adv in sorted(prefixes, key=lambda x: (x[0].version, int(x[0].network_address), x[0].prefixlen)):
            if prefix in seen:
                continue
            seen.add(prefix)
            sp.originations.append(Origination(Route(prefix, Protocol.BGP, origin=Origin.IGP, as_path=AsPath()),
                                               f"Cilium {adv.kind} advertisement {adv.object_name}", adv.loc))
        for p in inst.peers:
            peer = BgpPeer(p.name, p.loc, inst.local_asn, p.peer_address, remote_as=p.peer_asn or None,
                           remote_as_mode="number" if p.peer_asn else "any", local_address=p.local_address,
                           multihop=p.ebgp_multihop if p.ebgp_multihop > 1 else None, port=p.peer_port)
            for fam in p.families:
                selected = []
                if fam.selector is not None:
                    for prefix, adv in prefixes:
                        if prefix.version == fam.afi and selector_matches(fam.selector, adv.labels):
                            selected.append((prefix, adv.attrs.communities, adv.attrs.large_communities,
                                             adv.attrs.local_pref, adv.loc))
                policy = AdvertiseSelected(f"cilium advertisements for peer {p.name} ipv{fam.afi}", tuple(selected)) \
                    if fam.selector is not None else None
                peer.afs[fam.afi] = PeerAf(fam.afi, None, policy, False, policy is not None, export_loc=fam.loc, loc=fam.loc)
            sp.peers.append(peer)
        out.append(sp)
    return out
