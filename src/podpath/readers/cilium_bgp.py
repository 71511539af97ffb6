"""Resolve Cilium BGP resources against Node labels into per-node GoBGP instances.

Semantics (shared reference routing-daemons.md section 3): a ClusterConfig with no
nodeSelector selects every node; a peer without peerConfigRef uses the default peer
config (families ipv4+ipv6 unicast, nothing advertised); a family without an
`advertisements` selector advertises nothing; an advertisement is selected by the
labels *of the CiliumBGPAdvertisement object*; a node override is the object named
after the node. BGPv1 (CiliumBGPPeeringPolicy): several policies selecting one node
means none is applied. Which apiVersions exist per Cilium release (`SERVED`) and how the
operator writes, skips or keeps each node's CiliumBGPNodeConfig: `resolve_all`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.model.cilium_bgp import (Advertisement, AdvertisementAttrs, CiliumBgpFamily, CiliumBgpInstance,
                                      CiliumBgpPeer, Minor, not_served)
from podpath.model.cluster import Node
from podpath.model.labels import selector_matches
from podpath.readers.yamlsrc import get_path, item_loc, node_loc, value_loc
from podpath.routing.route import WELL_KNOWN_COMMUNITIES, Community, LargeCommunity

_AFI = {"ipv4": 4, "ipv6": 6}


def _labels(obj: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((obj.get("metadata") or {}).get("labels") or {}).items()}


def _name(obj: Any) -> str:
    return str((obj.get("metadata") or {}).get("name"))


def parse_community(raw: Any, loc: Loc, diags: Diagnostics) -> Community | None:
    text = str(raw).strip()
    if text.lower() in WELL_KNOWN_COMMUNITIES:
        return WELL_KNOWN_COMMUNITIES[text.lower()]
    try:
        if ":" in text:
            a, b = (int(x) for x in text.split(":"))
        else:
            v = int(text)
            a, b = v >> 16, v & 0xFFFF
    except ValueError:
        diags.error(loc, f"community {text!r} is not ASN:VALUE or a 32-bit number")
        return None
    if not (0 <= a <= 0xFFFF and 0 <= b <= 0xFFFF):
        diags.error(loc, f"community {text!r} is out of range (each half is 0..65535)")
        return None
    return (a, b)


def parse_large_community(raw: Any, loc: Loc, diags: Diagnostics) -> LargeCommunity | None:
    try:
        a, b, c = (int(x) for x in str(raw).strip().split(":"))
    except ValueError:
        diags.error(loc, f"large community {raw!r} is not GLOBAL:LOCAL1:LOCAL2")
        return None
    if not all(0 <= x <= 0xFFFFFFFF for x in (a, b, c)):
        diags.error(loc, f"large community {raw!r} is out of range (each part is 0..4294967295)")
        return None
    return (a, b, c)


def _attrs(raw: Any, file: str, diags: Diagnostics) -> AdvertisementAttrs:
    if not isinstance(raw, dict):
        return AdvertisementAttrs()
    comm = raw.get("communities") or {}
    std: set[Community] = set()
    large: set[LargeCommunity] = set()
    for key in ("standard", "wellKnown"):
        seq = comm.get(key) or []
        for i, c in enumerate(seq):
            v = parse_community(c, item_loc(seq, i, file), diags)
            if v is not None:
                std.add(v)
    seq = comm.get("large") or []
    for i, c in enumerate(seq):
        v = parse_large_community(c, item_loc(seq, i, file), diags)
        if v is not None:
            large.add(v)
    lp = raw.get("localPreference")
    return AdvertisementAttrs(frozenset(std), frozenset(large), int(lp) if lp is not None else None)


def _advertisements(obj: Any, file: str, diags: Diagnostics) -> list[Advertisement]:
    out = []
    seq = get_path(obj, "spec.advertisements") or []
    for i, a in enumerate(seq):
        if not isinstance(a, dict):
            continue
        loc = item_loc(seq, i, file)
        kind = str(a.get("advertisementType", ""))
        if kind not in ("PodCIDR", "Service", "Interface", "CiliumPodIPPool"):
            diags.error(loc, f"unknown advertisementType {kind!r} (PodCIDR, Service, Interface, CiliumPodIPPool)")
            continue
        out.append(Advertisement(kind, _name(obj), _labels(obj), loc, _attrs(a.get("attributes"), file, diags),
                                 a.get("selector"), tuple(str(x) for x in (get_path(a, "service.addresses") or [])),
                                 get_path(a, "interface.name")))
    return out


def _families(spec: Any, file: str) -> list[CiliumBgpFamily]:
    fams = spec.get("families") if isinstance(spec, dict) else None
    if not fams:
        return [CiliumBgpFamily(4, "unicast", None), CiliumBgpFamily(6, "unicast", None)]
    out = []
    for i, f in enumerate(fams):
        afi = _AFI.get(str(f.get("afi")))
        if afi is None or str(f.get("safi", "unicast")) != "unicast":
            continue
        out.append(CiliumBgpFamily(afi, "unicast", f.get("advertisements"), item_loc(fams, i, file)))
    return out


def _addr(raw: Any, loc: Loc, diags: Diagnostics) -> Any:
    if raw is None:
        return None
    text = str(raw).strip()
    if "/" in text:  # BGPv1 peerAddress is "10.0.0.1/32"
        text = text.split("/")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        diags.error(loc, f"peer address {raw!r} is not an IP address")
        return None


@dataclass
class BgpNote:
    """Something the operator or the agent does with the resources that the user should know:
    an unserved object, a NodeConfig conflict, BGPv1 taking precedence, an override that applies to nothing."""

    kind: str  # unserved | conflict | handwritten | foreign-owner | v1-precedence | override-unused
    subject: str
    severity: str  # error | warning | info
    message: str
    locs: list[Loc]
    evidence: list[str] = field(default_factory=list)


@dataclass
class Resolution:
    instances: list[CiliumBgpInstance]
    notes: list[BgpNote]


@dataclass
class _NodePeer:
    """One peer of a CiliumBGPNodeConfig instance (v2.CiliumBGPNodePeer)."""

    name: str
    loc: Loc
    raw: Any  # peerAddress, peerASN, peerConfigRef, autoDiscovery
    local_address: Any = None
    file: str = ""


@dataclass
class _NodeInstance:
    """One instance of a CiliumBGPNodeConfig (v2.CiliumBGPNodeInstance), written by the operator from a
    ClusterConfig and the node's override, or by hand."""

    name: str
    local_asn: Any
    loc: Loc
    local_port: Any = None
    router_id: Any = None
    peers: list[_NodePeer] = field(default_factory=list)


def _api(obj: Any) -> str:
    return str(obj.get("apiVersion", "")).rsplit("/", 1)[-1]


def _from_cluster_config(cc: Any, file: str, override: Any) -> list[_NodeInstance]:
    """What the operator writes into the node's CiliumBGPNodeConfig (operator/pkg/bgpv2/cluster.go,
    toNodeBGPInstance): the ClusterConfig's instances; an override instance of the same name sets routerID,
    localPort and localASN when given, and localAddress of the peers of the same name."""
    out = []
    seq = get_path(cc, "spec.bgpInstances") or []
    ov_by_name = {str(o.get("name")): o for o in (get_path(override, "spec.bgpInstances") or [])
                  if isinstance(o, dict)} if override is not None else {}
    for i, inst in enumerate(seq):
        if not isinstance(inst, dict):
            continue
        ni = _NodeInstance(str(inst.get("name")), inst.get("localASN"), item_loc(seq, i, file), inst.get("localPort"))
        ov = ov_by_name.get(ni.name) or {}
        if ov.get("routerID") is not None:
            ni.router_id = ov["routerID"]
        if ov.get("localPort") is not None:
            ni.local_port = ov["localPort"]
        if ov.get("localASN") is not None:
            ni.local_asn = ov["localASN"]
        ov_peers = {str(p.get("name")): p for p in ov.get("peers") or [] if isinstance(p, dict)}
        for j, p in enumerate(inst.get("peers") or []):
            if isinstance(p, dict):
                pname = str(p.get("name"))
                ni.peers.append(_NodePeer(pname, item_loc(inst["peers"], j, file), p,
                                          ov_peers.get(pname, {}).get("localAddress"), file))
        out.append(ni)
    return out


def _from_node_config(nc: Any, file: str) -> list[_NodeInstance]:
    """A CiliumBGPNodeConfig's own spec, as the agent reads it."""
    out = []
    seq = get_path(nc, "spec.bgpInstances") or []
    for i, inst in enumerate(seq):
        if not isinstance(inst, dict):
            continue
        ni = _NodeInstance(str(inst.get("name")), inst.get("localASN"), item_loc(seq, i, file), inst.get("localPort"),
                           inst.get("routerID"))
        for j, p in enumerate(inst.get("peers") or []):
            if isinstance(p, dict):
                ni.peers.append(_NodePeer(str(p.get("name")), item_loc(inst["peers"], j, file), p,
                                          p.get("localAddress"), file))
        out.append(ni)
    return out


def _owner_names(nc: Any) -> list[tuple[str, str | None]]:
    """(name, uid) of every CiliumBGPClusterConfig in the NodeConfig's ownerReferences."""
    out = []
    for ref in get_path(nc, "metadata.ownerReferences") or []:
        if isinstance(ref, dict) and str(ref.get("kind")) == "CiliumBGPClusterConfig" \
                and str(ref.get("apiVersion", "")).startswith("cilium.io/"):
            out.append((str(ref.get("name")), str(ref["uid"]) if ref.get("uid") else None))
    return out


def _owns(cc: Any, owners: list[tuple[str, str | None]]) -> bool:
    """operator/pkg/bgpv2/cluster.go isOwner compares UIDs; a snapshot written by hand seldom has them,
    so the name decides when either UID is missing."""
    uid = get_path(cc, "metadata.uid")
    for name, ouid in owners:
        if ouid and uid:
            if ouid == str(uid):
                return True
        elif name == _name(cc):
            return True
    return False


def resolve(objects: list[tuple[str, Any, Loc]], nodes: dict[str, Node], diags: Diagnostics,
            cilium: Minor = (1, 19)) -> list[CiliumBgpInstance]:
    """Every (node, instance) the Cilium agents run, sorted by node then instance name."""
    return resolve_all(objects, nodes, diags, cilium).instances


def resolve_all(objects: list[tuple[str, Any, Loc]], nodes: dict[str, Node], diags: Diagnostics,
                cilium: Minor = (1, 19)) -> Resolution:
    """The instances every agent runs, and what the operator and agents do on the way.

    An object whose apiVersion the cluster's CRDs do not serve does not exist (the API server rejects it).
    Per node, as the operator (operator/pkg/bgpv2/cluster.go, upsertNodeConfigs) and the agent do: the agent
    runs the CiliumBGPNodeConfig named after its node. The operator writes that object from each ClusterConfig
    whose nodeSelector (none: every node) selects the node, unless a NodeConfig of that name exists that the
    ClusterConfig does not own (ownerReferences): then it skips the node, with the ClusterConfig condition
    ConflictingClusterConfigs when another ClusterConfig owns it, silently when nobody does. A NodeConfig
    owned by a ClusterConfig is rewritten from it (or deleted when it no longer selects the node). Of two
    ClusterConfigs selecting one node, whichever the operator reconciles first creates the NodeConfig and
    the other is skipped. A CiliumBGPPeeringPolicy selecting the node takes precedence over all of it
    (Documentation/network/bgp-control-plane/bgp-control-plane-v2.rst, warning)."""
    notes: list[BgpNote] = []
    by_kind: dict[str, list[tuple[Any, Loc]]] = {}
    for kind, obj, loc in objects:
        why = not_served(kind, str(obj.get("apiVersion", "")), cilium)
        if why is not None:
            name = _name(obj)
            notes.append(BgpNote("unserved", f"{kind}/{name}", "error",
                                 f"{kind} {name} does not exist: {why}; the API server rejects it, so podpath "
                                 "simulates without it.",
                                 [value_loc(obj, "apiVersion", loc.file) if "apiVersion" in obj else loc]))
            continue
        by_kind.setdefault(kind, []).append((obj, loc))
    peer_configs = {_name(o): (o, l) for o, l in by_kind.get("CiliumBGPPeerConfig", [])}
    adverts: list[Advertisement] = []
    for o, l in by_kind.get("CiliumBGPAdvertisement", []):
        adverts.extend(_advertisements(o, l.file, diags))
    overrides = {_name(o): (o, l) for o, l in by_kind.get("CiliumBGPNodeConfigOverride", [])}
    node_configs = {_name(o): (o, l) for o, l in by_kind.get("CiliumBGPNodeConfig", [])}
    ccs = sorted(by_kind.get("CiliumBGPClusterConfig", []), key=lambda x: (_name(x[0]), x[1]))
    ccs_by_name = {_name(o): (o, l) for o, l in ccs}
    v1_policies = by_kind.get("CiliumBGPPeeringPolicy", [])
    out: list[CiliumBgpInstance] = []
    used_overrides: set[str] = set()
    for node in sorted(nodes.values(), key=lambda n: n.name):
        selecting = [(o, l) for o, l in ccs
                     if (o.get("spec") or {}).get("nodeSelector") is None
                     or selector_matches(o["spec"]["nodeSelector"], node.labels)]
        v1 = [l for o, l in v1_policies if (o.get("spec") or {}).get("nodeSelector") is None
              or selector_matches(o["spec"]["nodeSelector"], node.labels)]
        if v1:
            if selecting or node.name in node_configs:
                notes.append(BgpNote("v1-precedence", f"node/{node.name}", "warning",
                                     f"Node {node.name} is selected by CiliumBGPPeeringPolicy and by BGPv2 resources: "
                                     "the agent runs the CiliumBGPPeeringPolicy and ignores its CiliumBGPNodeConfig.",
                                     [v1[0]] + [l for _, l in selecting[:1]],
                                     ["Documentation/network/bgp-control-plane/bgp-control-plane-v2.rst: the two must "
                                      "not be combined; where both select a node, CiliumBGPPeeringPolicy takes precedence"]))
            continue
        chosen, source_loc = _node_instances(node.name, selecting, node_configs, ccs_by_name, overrides,
                                             used_overrides, notes)
        for ni in chosen:
            bi = _instance(node.name, ni, source_loc, peer_configs, diags)
            if bi is not None:
                bi.advertisements = adverts
                out.append(bi)
    for name, (o, l) in sorted(overrides.items()):
        if name not in used_overrides and name in nodes:
            notes.append(BgpNote("override-unused", f"CiliumBGPNodeConfigOverride/{name}", "warning",
                                 f"CiliumBGPNodeConfigOverride {name} changes nothing: the operator applies an override "
                                 "only when it writes the node's CiliumBGPNodeConfig from a CiliumBGPClusterConfig "
                                 "instance of the same name, and none does.", [l]))
    out.extend(_resolve_v1(v1_policies, nodes, diags))
    return Resolution(sorted(out, key=lambda b: (b.node, b.name, b.loc)), notes)


def _node_instances(node: str, selecting: list[tuple[Any, Loc]], node_configs: dict[str, tuple[Any, Loc]],
                    ccs_by_name: dict[str, tuple[Any, Loc]], overrides: dict[str, tuple[Any, Loc]],
                    used_overrides: set[str], notes: list[BgpNote]) -> tuple[list[_NodeInstance], str]:
    """The instances of the CiliumBGPNodeConfig the agent on `node` reads, and where they come from."""
    override = overrides.get(node)
    nc = node_configs.get(node)
    if nc is not None:
        owners = _owner_names(nc[0])
        owner = next(((o, l) for o, l in selecting if _owns(o, owners)), None)
        if owner is None and owners and all(n not in ccs_by_name for n, _ in owners):
            skipped = ", ".join(_name(o) for o, _ in selecting)
            notes.append(BgpNote("foreign-owner", f"CiliumBGPNodeConfig/{node}", "info",
                                 f"CiliumBGPNodeConfig {node} is owned by CiliumBGPClusterConfig "
                                 f"{', '.join(n for n, _ in owners)}, which is not in the snapshot: podpath runs it as "
                                 "written" + (f"; {skipped} skip(s) the node (condition ConflictingClusterConfigs)"
                                              if selecting else "") + ".",
                                 [nc[1]] + [l for _, l in selecting]))
            return _from_node_config(nc[0], nc[1].file), "v2"
        if owner is None and owners:
            # owned by a ClusterConfig in the snapshot that no longer selects the node: the operator deletes it
            notes.append(BgpNote("stale", f"CiliumBGPNodeConfig/{node}", "info",
                                 f"CiliumBGPNodeConfig {node} is owned by CiliumBGPClusterConfig "
                                 f"{', '.join(n for n, _ in owners)}, which does not select node {node}: the operator "
                                 "deletes it (deleteNodeConfigs).", [nc[1]]))
            nc = None
        elif owner is None:
            if selecting:
                notes.append(BgpNote("handwritten", f"CiliumBGPNodeConfig/{node}", "warning",
                                     f"CiliumBGPNodeConfig {node} is not owned by any CiliumBGPClusterConfig: the operator "
                                     f"leaves it as written and skips node {node} for "
                                     f"{', '.join('CiliumBGPClusterConfig ' + _name(o) for o, _ in selecting)} "
                                     "(silently: no condition names it); the agent runs the hand-written NodeConfig.",
                                     [nc[1]] + [l for _, l in selecting],
                                     ["operator/pkg/bgpv2/cluster.go upsertNodeConfigs: a same-named NodeConfig not "
                                      "owned by the ClusterConfig is skipped"]))
            return _from_node_config(nc[0], nc[1].file), "v2"
        else:
            others = [(o, l) for o, l in selecting if o is not owner[0]]
            if others:
                notes.append(_conflict(node, owner, others, f"CiliumBGPNodeConfig {node} in the snapshot is owned by "
                                       f"{_name(owner[0])}"))
            if override is not None:
                used_overrides.add(node)
            return _from_cluster_config(owner[0], owner[1].file, override[0] if override else None), _api(owner[0])
    if not selecting:
        return [], "v2"
    first = selecting[0]
    if len(selecting) > 1:
        notes.append(_conflict(node, first, selecting[1:], "no CiliumBGPNodeConfig in the snapshot says which one the "
                               f"operator reconciled first; podpath simulates {_name(first[0])} (first by name)"))
    if override is not None:
        used_overrides.add(node)
    return _from_cluster_config(first[0], first[1].file, override[0] if override else None), _api(first[0])


def _conflict(node: str, winner: tuple[Any, Loc], losers: list[tuple[Any, Loc]], why: str) -> BgpNote:
    names = ", ".join(_name(o) for o, _ in losers)
    return BgpNote("conflict", f"node/{node}", "error",
                   f"CiliumBGPClusterConfigs {_name(winner[0])} and {names} both select node {node}: the operator "
                   f"writes one CiliumBGPNodeConfig per node, so {names} is not applied on {node} (condition "
                   f"ConflictingClusterConfigs: \"Selecting the same node(s) with ClusterConfig(s): "
                   f"[{_name(winner[0])}]\").", [l for _, l in losers] + [winner[1]],
                   [why, "operator/pkg/bgpv2/cluster.go upsertNodeConfigs: an existing NodeConfig not owned by this "
                    "ClusterConfig is skipped"])


def _instance(node: str, ni: _NodeInstance, source: str, peer_configs: dict[str, tuple[Any, Loc]],
              diags: Diagnostics) -> CiliumBgpInstance | None:
    try:
        asn = int(ni.local_asn)
    except (TypeError, ValueError):
        diags.error(ni.loc, f"bgpInstance {ni.name} has no valid localASN")
        return None
    bi = CiliumBgpInstance(node, ni.name, asn, ni.loc, ni.local_port, source=source)
    bi.router_id = str(ni.router_id) if ni.router_id else None
    for np in ni.peers:
        p = np.raw
        ref = get_path(p, "peerConfigRef.name")
        pc_spec: Any = {}
        pc_file = np.file
        if ref is not None:
            if str(ref) not in peer_configs:
                diags.error(value_loc(p["peerConfigRef"], "name", np.file),
                            f"peerConfigRef {ref!r} names no CiliumBGPPeerConfig in the snapshot")
            else:
                pc_spec = peer_configs[str(ref)][0].get("spec") or {}
                pc_file = peer_configs[str(ref)][1].file
        bi.peers.append(CiliumBgpPeer(
            np.name, np.loc, _addr(p.get("peerAddress"), np.loc, diags), int(p.get("peerASN") or 0),
            int(get_path(pc_spec, "transport.peerPort") or 179), int(pc_spec.get("ebgpMultihop") or 1),
            _addr(np.local_address, np.loc, diags), _families(pc_spec, pc_file),
            str(ref) if ref else None, get_path(p, "autoDiscovery.mode")))
    return bi


def _resolve_v1(policies: list[tuple[Any, Loc]], nodes: dict[str, Node], diags: Diagnostics) -> list[CiliumBgpInstance]:
    out = []
    for node in sorted(nodes.values(), key=lambda n: n.name):
        matching = [(o, l) for o, l in policies
                    if (o.get("spec") or {}).get("nodeSelector") is None
                    or selector_matches(o["spec"]["nodeSelector"], node.labels)]
        if len(matching) > 1:
            diags.warning(matching[1][1], f"{len(matching)} CiliumBGPPeeringPolicies select node {node.name}; "
                          "Cilium applies none of them")
            continue
        for obj, loc in matching:
            file = loc.file
            for i, vr in enumerate(get_path(obj, "spec.virtualRouters") or []):
                vloc = item_loc(obj["spec"]["virtualRouters"], i, file)
                bi = CiliumBgpInstance(node.name, f"{_name(obj)}/{vr.get('localASN')}", int(vr.get("localASN") or 0),
                                       vloc, None, source="v1")
                if vr.get("exportPodCIDR"):
                    bi.advertisements.append(Advertisement("PodCIDR", _name(obj), {"podpath.io/v1": "true"},
                                                           value_loc(vr, "exportPodCIDR", file)))
                for j, n in enumerate(vr.get("neighbors") or []):
                    nloc = item_loc(vr["neighbors"], j, file)
                    fams = [CiliumBgpFamily(f.afi, f.safi, {"matchLabels": {"podpath.io/v1": "true"}}, f.loc)
                            for f in _families(n, file)]
                    for k, apa in enumerate(n.get("advertisedPathAttributes") or []):
                        if apa.get("selectorType") == "PodCIDR":
                            for a in bi.advertisements:
                                a.attrs = _attrs(apa, file, diags)
                    bi.peers.append(CiliumBgpPeer(str(n.get("peerAddress")), nloc, _addr(n.get("peerAddress"), nloc, diags),
                                                  int(n.get("peerASN") or 0), int(n.get("peerPort") or 179),
                                                  int(n.get("eBGPMultihopTTL") or 1), None, fams))
                out.append(bi)
    return out


# --- what the simulator models of each resource ---------------------------------------------------
# A tree of the fields podpath reads: a dict for a mapping, a one-element list for a sequence of
# items, ANY for a value read whole. A field outside it is reported, never silently ignored.
ANY = True
_META: dict[str, Any] = {"apiVersion": ANY, "kind": ANY, "metadata": ANY, "status": ANY}
_COMMUNITIES = {"standard": ANY, "wellKnown": ANY, "large": ANY}
_ATTRS = {"communities": _COMMUNITIES, "localPreference": ANY}
_FAMILY = {"afi": ANY, "safi": ANY, "advertisements": ANY}
_MODELLED: dict[str, dict[str, Any]] = {
    "CiliumBGPClusterConfig": {**_META, "spec": {
        "nodeSelector": ANY,
        "bgpInstances": [{"name": ANY, "localASN": ANY, "localPort": ANY, "peers": [{
            "name": ANY, "peerAddress": ANY, "peerASN": ANY, "peerConfigRef": {"name": ANY}}]}]}},
    "CiliumBGPPeerConfig": {**_META, "spec": {
        "transport": {"peerPort": ANY}, "ebgpMultihop": ANY, "families": [_FAMILY]}},
    "CiliumBGPAdvertisement": {**_META, "spec": {"advertisements": [{
        "advertisementType": ANY, "attributes": _ATTRS, "selector": ANY, "service": {"addresses": ANY},
        "interface": {"name": ANY}}]}},
    "CiliumBGPNodeConfig": {**_META, "spec": {"bgpInstances": [{
        "name": ANY, "localASN": ANY, "routerID": ANY, "localPort": ANY, "peers": [{
            "name": ANY, "peerAddress": ANY, "peerASN": ANY, "localAddress": ANY, "peerConfigRef": {"name": ANY}}]}]}},
    "CiliumBGPNodeConfigOverride": {**_META, "spec": {"bgpInstances": [{
        "name": ANY, "routerID": ANY, "localPort": ANY, "localASN": ANY,
        "peers": [{"name": ANY, "localAddress": ANY}]}]}},
    "CiliumBGPPeeringPolicy": {**_META, "spec": {"nodeSelector": ANY, "virtualRouters": [{
        "localASN": ANY, "exportPodCIDR": ANY, "neighbors": [{
            "peerAddress": ANY, "peerASN": ANY, "peerPort": ANY, "eBGPMultihopTTL": ANY, "families": [_FAMILY],
            "advertisedPathAttributes": [{"selectorType": ANY, "selector": ANY, **_ATTRS}]}]}]}},
}
# Fields that change timing or session security but not which routes exist once sessions are up.
_TIMING = ("timers", "gracefulRestart", "connectRetryTimeSeconds", "holdTimeSeconds", "keepAliveTimeSeconds",
           "gracefulRestart", "authSecretRef")


# The type of each leaf the resolver reads, as the CRD's OpenAPI schema states it (the API server refuses an
# object whose field has another type, so such an object never reaches Cilium).
_LEAF_TYPES: dict[str, tuple[type, ...]] = {
    **{k: (int,) for k in ("localASN", "peerASN", "localPort", "peerPort", "ebgpMultihop", "eBGPMultihopTTL",
                           "localPreference")},
    **{k: (str,) for k in ("name", "peerAddress", "localAddress", "routerID", "afi", "safi", "advertisementType",
                           "selectorType")},
    **{k: (dict,) for k in ("selector", "nodeSelector", "advertisements")},
    **{k: (list,) for k in ("addresses", "standard", "wellKnown", "large")},
    "exportPodCIDR": (bool,),
}
_TYPE_NAMES = {int: "an integer", str: "a string", dict: "a mapping", list: "a list", bool: "a boolean"}


def _selector_errors(sel: dict[Any, Any], path: str, file: str) -> list[tuple[Loc, str]]:
    """A Kubernetes label selector's shape: matchLabels a mapping of plain values, matchExpressions a list of
    {key, operator, values: [...]}."""
    from podpath.readers.yamlsrc import kind_of

    out: list[tuple[Loc, str]] = []
    ml = sel.get("matchLabels")
    if ml is not None and (not isinstance(ml, dict) or any(isinstance(v, (dict, list)) for v in ml.values())):
        out.append((value_loc(sel, "matchLabels", file), f"{path}.matchLabels must be a mapping of labels to "
                                                         f"values, not {kind_of(ml)}"))
    me = sel.get("matchExpressions")
    if me is not None and not isinstance(me, list):
        out.append((value_loc(sel, "matchExpressions", file), f"{path}.matchExpressions must be a list, not "
                                                              f"{kind_of(me)}"))
    for i, expr in enumerate(me if isinstance(me, list) else []):
        values = expr.get("values") if isinstance(expr, dict) else None
        if not isinstance(expr, dict) or isinstance(expr.get("key"), (dict, list)) \
                or isinstance(expr.get("operator"), (dict, list)) or (values is not None and not isinstance(values, list)):
            out.append((item_loc(me, i, file), f"{path}.matchExpressions[{i}] must be a mapping of key, operator "
                                               "and a list of values"))
    return out


def shape_errors(kind: str, obj: Any, file: str) -> list[tuple[Loc, str]]:
    """Fields of a Cilium BGP resource whose YAML shape or type the CRD schema refuses (a list where a mapping
    belongs, a string for an ASN), each with its location: such an object is reported and not simulated."""
    from podpath.readers.yamlsrc import kind_of

    out: list[tuple[Loc, str]] = []

    def check(node: Any, tree: Any, path: str, leaf: str, parent: Any, key: Any) -> None:
        if node is None:
            return
        where = (lambda: item_loc(parent, key, file) if isinstance(parent, list) else value_loc(parent, key, file))
        if tree is ANY:
            want = _LEAF_TYPES.get(leaf)
            if want and (not isinstance(node, want) or (isinstance(node, bool) and bool not in want)):
                out.append((where(), f"{path} must be {_TYPE_NAMES[want[0]]}, not {kind_of(node)} (the {kind} "
                                     "schema refuses it)"))
            elif want == (dict,):
                out.extend(_selector_errors(node, path, file))
            return
        if isinstance(tree, list):
            if not isinstance(node, list):
                out.append((where(), f"{path} must be a list, not {kind_of(node)}"))
                return
            for i, item in enumerate(node):
                check(item, tree[0], f"{path}[{i}]", leaf, node, i)
            return
        if not isinstance(node, dict):
            out.append((where(), f"{path} must be a mapping, not {kind_of(node)}"))
            return
        for k in node:
            if k in tree:
                check(node[k], tree[k], f"{path}.{k}", str(k), node, k)

    tree = _MODELLED.get(kind)
    if tree is not None and isinstance(obj, dict):
        meta = obj.get("metadata")
        if meta is not None and not isinstance(meta, dict):
            out.append((value_loc(obj, "metadata", file), f"metadata must be a mapping, not {kind_of(meta)}"))
        elif isinstance(meta, dict):
            labels = meta.get("labels")
            if labels is not None and (not isinstance(labels, dict) or
                                       any(isinstance(v, (dict, list)) for v in labels.values())):
                out.append((value_loc(meta, "labels", file), "metadata.labels must be a mapping of names to values"))
        for k in obj:
            if k in tree and k not in _META:
                check(obj[k], tree[k], str(k), str(k), obj, k)
    return out


def unmodelled_fields(kind: str, obj: Any, file: str) -> list[Unsupported]:
    """Every field of a Cilium BGP resource that the simulator does not use, with its location."""
    tree = _MODELLED.get(kind)
    out: list[Unsupported] = []
    if tree is not None:
        _walk(obj, tree, kind, file, out)
    return out


def _walk(node: Any, tree: Any, path: str, file: str, out: list[Unsupported]) -> None:
    if tree is ANY:
        return
    if isinstance(tree, list):
        if isinstance(node, list):
            for item in node:
                _walk(item, tree[0], path + "[]", file, out)
        return
    if not isinstance(node, dict):
        return
    for key in node:
        sub = f"{path}.{key}"
        if key in tree:
            _walk(node[key], tree[key], sub, file, out)
            continue
        timing = str(key) in _TIMING
        why = ("session timers / authentication: not simulated (sessions are assumed to come up when their "
               "configuration matches)" if timing else "not modelled by podpath; results may be incomplete")
        out.append(Unsupported(_key_loc(node, key, file), sub, why, not timing))


def _key_loc(mapping: Any, key: Any, file: str) -> Loc:
    try:
        line, col = mapping.lc.key(key)
        return Loc(file, line + 1, col + 1)
    except (AttributeError, KeyError, TypeError):
        return node_loc(mapping, file)
