"""Cilium's BGP Control Plane configuration, resolved per node.

The resources (CiliumBGPClusterConfig, CiliumBGPPeerConfig, CiliumBGPAdvertisement,
CiliumBGPNodeConfig, CiliumBGPNodeConfigOverride in cilium.io/v2alpha1 and v2 — which
of them a Cilium release serves is `SERVED` — and the legacy
CiliumBGPPeeringPolicy) are resolved against Node labels into one
`CiliumBgpInstance` per (node, instance): what the agent's embedded GoBGP runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.routing.route import Community, IPAddress, LargeCommunity

Minor = tuple[int, int]


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


# --- which CRD versions each Cilium release serves ------------------------------------------------
# Sources (cilium/cilium): the v2alpha1 BGPv2 kinds arrived in 1.16 (PR #38397 description: "In v1.16 we
# introduced new CRDs"); PR #37765 (1.18) added cilium.io/v2 for ClusterConfig, PeerConfig, Advertisement,
# NodeConfig and NodeConfigOverride under pkg/k8s/apis/cilium.io/client/crds/v2/ (v2 the storage version);
# PR #38239 (1.18) deprecated their v2alpha1 version, which stays served through 1.19 (its removal is planned
# after the 1.20 storage migration, issue #47242); CiliumBGPPeeringPolicy exists only as v2alpha1
# (crds/v2alpha1/ciliumbgppeeringpolicies.yaml), deprecated in 1.18 (PR #38397) and removed in 1.19
# (PR #42278; Documentation/operations/upgrade.rst, 1.19 upgrade notes).
_BGPV2_KINDS = ("CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement", "CiliumBGPNodeConfig",
                "CiliumBGPNodeConfigOverride")
SERVED: dict[str, dict[str, tuple[Minor, Minor | None]]] = {
    **{k: {"v2alpha1": ((1, 16), None), "v2": ((1, 18), None)} for k in _BGPV2_KINDS},
    "CiliumBGPPeeringPolicy": {"v2alpha1": ((1, 12), (1, 18))},
}


def _fmt(v: Minor) -> str:
    return f"{v[0]}.{v[1]}"


def not_served(kind: str, api_version: str, cilium: Minor) -> str | None:
    """Why the API server of a cluster running Cilium `cilium` rejects this object (its CRD does not serve
    that version, or the CRD does not exist), or None when it is served."""
    versions = SERVED.get(kind)
    if versions is None:
        return None
    group, _, version = api_version.rpartition("/")
    served = {v: span for v, span in versions.items() if span[0] <= cilium and (span[1] is None or cilium <= span[1])}
    if group == "cilium.io" and version in served:
        return None
    if not served:
        last = max(s[1] for s in versions.values() if s[1] is not None)
        return f"Cilium {_fmt(cilium)} does not install the {kind} CRD (removed after {_fmt(last)})"
    spans = "; ".join(f"cilium.io/{v} from {_fmt(s[0])}" + (f" to {_fmt(s[1])}" if s[1] else "")
                      for v, s in sorted(versions.items()))
    return (f"the {kind} CRD of Cilium {_fmt(cilium)} serves {', '.join('cilium.io/' + v for v in sorted(served))}, "
            f"not {api_version or 'an empty apiVersion'} ({spans})")
