"""Cilium's BGP Control Plane configuration, resolved per node.

The resources (CiliumBGPClusterConfig, CiliumBGPPeerConfig, CiliumBGPAdvertisement,
CiliumBGPNodeConfigOverride in cilium.io/v2alpha1 and v2, and the legacy
CiliumBGPPeeringPolicy) are resolved against Node labels into one
`CiliumBgpInstance` per (node, instance): what the agent's embedded GoBGP runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.routing.route import Community, IPAddress, LargeCommunity


@dataclass(frozen=True)
class AdvertisementAttrs:
    communities: frozenset[Community] = frozenset()
    large_communities: frozenset[LargeCommunity] = frozenset()
    local_pref: int | None = None


@dataclass
class Advertisement:
    """One entry of a CiliumBGPAdvertisement (or a BGPv1 virtual router's exportPodCIDR)."""

    kind: str  # PodCIDR | Service | Interface | CiliumPodIPPool
    object_name: str
    labels: dict[str, str]
    loc: Loc
    attrs: AdvertisementAttrs = field(default_factory=AdvertisementAttrs)
    selector: object = None
    service_addresses: tuple[str, ...] = ()
    interface: str | None = None


@dataclass
class CiliumBgpFamily:
    afi: int  # 4 | 6
    safi: str
    selector: object  # label selector over advertisements; None = nothing advertised
    loc: Loc | None = None


@dataclass
class CiliumBgpPeer:
    name: str
    loc: Loc
    peer_address: IPAddress | None
    peer_asn: int  # 0 = accept any
    peer_port: int = 179
    ebgp_multihop: int = 1
    local_address: IPAddress | None = None
    families: list[CiliumBgpFamily] = field(default_factory=list)
    peer_config: str | None = None
    auto_discovery: str | None = None


@dataclass
class CiliumBgpInstance:
    node: str
    name: str
    local_asn: int
    loc: Loc
    local_port: int | None = None  # None = no listener (Cilium only initiates)
    router_id: str | None = None
    peers: list[CiliumBgpPeer] = field(default_factory=list)
    advertisements: list[Advertisement] = field(default_factory=list)
    source: str = "v2"  # v2 | v2alpha1 | v1 (CiliumBGPPeeringPolicy)
