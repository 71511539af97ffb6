"""Vendor-independent BGP configuration: speakers, peers, address families.

Readers convert FRR, BIRD and Cilium configuration into these; the simulator
(`routing.sim`) reads only these. Daemon-specific behaviour that is not a
configuration value (next-hop rules, best-path details, defaults such as
RFC 8212) lives in `routing.daemons`, selected by `BgpSpeaker.daemon`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from podpath.diagnostics import Loc
from podpath.routing.policy import Policy
from podpath.routing.route import IPAddress, IPNetwork, Route


class Daemon(str, Enum):
    FRR = "frr"
    BIRD = "bird"
    CILIUM = "cilium"  # Cilium agent's embedded GoBGP


@dataclass
class PeerAf:
    """Per address family settings of one peer (FRR address-family / BIRD channel)."""

    afi: int
    import_policy: Policy | None = None  # None: the daemon's default for the session type
    export_policy: Policy | None = None
    import_named: bool = False  # a policy name is configured (FRR ebgp-requires-policy looks only at names)
    export_named: bool = False
    import_loc: Loc | None = None
    export_loc: Loc | None = None
    next_hop_self: str | None = None  # None | "self" | "force" (FRR) | "ebgp" | "ibgp" (BIRD)
    next_hop_keep: bool = False  # BIRD `next hop keep`, FRR `attribute-unchanged next-hop`
    rr_client: bool = False
    allowas_in: int = 0
    extended_next_hop: bool = False
    gateway: str | None = None  # BIRD: direct | recursive (None: by session type)
    default_local_pref: int = 100
    next_hop_address: IPAddress | None = None  # "self" is this address (EVPN: the VTEP), whatever the family
    loc: Loc | None = None


@dataclass
class BgpPeer:
    """One configured neighbor (or dynamic listen range) of a speaker."""

    name: str
    loc: Loc
    local_as: int
    address: IPAddress | None = None
    listen_range: IPNetwork | None = None
    interface: str | None = None
    remote_as: int | None = None
    remote_as_mode: str = "number"  # number | internal | external | any
    local_address: IPAddress | None = None
    multihop: int | None = None  # None: daemon default (FRR/BIRD eBGP single hop, iBGP multihop)
    disable_connected_check: bool = False
    passive: bool = False
    shutdown: bool = False
    connects: bool = True  # initiates TCP connections (false for listen ranges)
    port: int = 179  # the TCP port this end connects to (FRR/BIRD `neighbor X port N`, Cilium transport.peerPort)
    listen_port: int | None = None  # BIRD `local port N`: this protocol's listening port (None: the speaker's)
    afs: dict[int, PeerAf] = field(default_factory=dict)
    other_afs: tuple[str, ...] = ()  # activated families podpath does not simulate (l2vpn evpn, vpn...)
    description: str | None = None
    synthetic: str | None = None  # why podpath created this peer (e.g. EVPN type-5 approximation)

    def accepts_as(self, asn: int, local_as: int) -> bool:
        if self.remote_as_mode == "internal":
            return asn == local_as
        if self.remote_as_mode == "external":
            return asn != local_as
        if self.remote_as_mode == "any" or self.remote_as in (None, 0):
            return True
        return asn == self.remote_as


@dataclass
class Origination:
    """A route the speaker puts into its table itself (network, redistribute, static,
    direct, Cilium advertisement)."""

    route: Route
    how: str
    loc: Loc | None = None
    table: str = "default"
    valid: bool = True
    why_invalid: str = ""


@dataclass
class VrfImport:
    """FRR `import vrf SRC` (+ `import vrf route-map`) or a BIRD pipe into this table."""

    source_table: str
    policy: Policy | None
    loc: Loc | None = None
    transitive: bool = False  # FRR: leaked routes are not leaked again


@dataclass
class BgpOptions:
    ebgp_requires_policy: bool = False
    default_local_pref: int = 100
    always_compare_med: bool = False
    deterministic_med: bool = False
    compare_routerid: bool = False  # FRR `bgp bestpath compare-routerid`: no "oldest eBGP path" tie-break
    as_path_ignore: bool = False
    multipath_relax: bool = False
    cluster_id: str | None = None
    import_check: bool = True
    listens: bool = True  # has a BGP listening socket (Cilium: only with localPort)
    listen_port: int | None = 179  # the port it listens on (FRR `bgpd -p`, Cilium localPort); None: not known
    accepts_received: bool = True  # Cilium >= 1.16: global import policy rejects every received path
    defaults_note: str = ""  # where the defaults came from (frr defaults profile / version)


@dataclass
class BgpSpeaker:
    """One BGP instance: a daemon on a host, in one VRF/table."""

    host: str
    daemon: Daemon
    name: str  # e.g. "frr", "bird", "cilium:instance-65000"
    asn: int
    loc: Loc
    router_id: str | None = None
    version: str = ""
    vrf: str = "default"
    peers: list[BgpPeer] = field(default_factory=list)
    originations: list[Origination] = field(default_factory=list)
    imports: list[VrfImport] = field(default_factory=list)
    options: BgpOptions = field(default_factory=BgpOptions)
    kernel_export: Policy | None = None  # BIRD kernel protocol export; FRR: zebra installs best paths
    installs_to_kernel: bool = True
    kernel_metric: int = 20
    config_file: str | None = None
    # Selection against the host's other protocols (OSPF) for the kernel: FRR zebra's
    # administrative distance of eBGP and iBGP routes (`distance bgp`), BIRD's preference
    # of each BGP protocol's routes (by protocol name; 100 unless `preference` is set).
    distance: dict[int, tuple[int, int]] = field(default_factory=dict)  # family -> (eBGP, iBGP)
    peer_preference: dict[str, int] = field(default_factory=dict)

    def table_rank(self, family: int, ibgp: bool, peer_name: str | None) -> int:
        """How this daemon ranks a BGP route against another protocol's for the kernel: FRR's
        distance (lower wins), BIRD's preference (higher wins)."""
        if self.daemon is Daemon.BIRD:
            return self.peer_preference.get(peer_name or "", 100)
        ebgp, ibgp_d = self.distance.get(family, (20, 200))
        return ibgp_d if ibgp else ebgp

    @property
    def id(self) -> str:
        return f"{self.host}/{self.name}" + (f"@{self.vrf}" if self.vrf != "default" else "")
