"""Resolve Cilium BGP resources against Node labels into per-node GoBGP instances.

Semantics (shared reference routing-daemons.md section 3): a ClusterConfig with no
nodeSelector selects every node; a peer without peerConfigRef uses the default peer
config (families ipv4+ipv6 unicast, nothing advertised); a family without an
`advertisements` selector advertises nothing; an advertisement is selected by the
labels *of the CiliumBGPAdvertisement object*; a node override is the object named
after the node. BGPv1 (CiliumBGPPeeringPolicy): several policies selecting one node
means none is applied.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.model.cilium_bgp import (Advertisement, AdvertisementAttrs, CiliumBgpFamily, CiliumBgpInstance,
                                      CiliumBgpPeer)
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


def resolve(objects: list[tuple[str, Any, Loc]], nodes: dict[str, Node], diags: Diagnostics) -> list[CiliumBgpInstance]:
    """Every (node, instance) the Cilium agents run, sorted by node then instance name."""
    by_kind: dict[str, list[tuple[Any, Loc]]] = {}
    for kind, obj, loc in objects:
        by_kind.setdefault(kind, []).append((obj, loc))
    peer_configs = {_name(o): (o, l) for o, l in by_kind.get("CiliumBGPPeerConfig", [])}
    adverts: list[Advertisement] = []
    for o, l in by_kind.get("CiliumBGPAdvertisement", []):
        adverts.extend(_advertisements(o, l.file, diags))
    overrides = {_name(o): (o, l) for o, l in by_kind.get("CiliumBGPNodeConfigOverride", [])}
    out: list[CiliumBgpInstance] = []
    for obj, loc in sorted(by_kind.get("CiliumBGPClusterConfig", []), key=lambda x: x[1]):
        file = loc.file
        spec = obj.get("spec") or {}
        sel = spec.get("nodeSelector")
        api = str(obj.get("apiVersion", "")).rsplit("/", 1)[-1]
        for node in sorted(nodes.values(), key=lambda n: n.name):
            if sel is not None and not selector_matches(sel, node.labels):
                continue
            ov_obj = overrides.get(node.name)
            for i, inst in enumerate(spec.get("bgpInstances") or []):
                iloc = item_loc(spec["bgpInstances"], i, file)
                name = str(inst.get("name"))
                try:
                    asn = int(inst.get("localASN"))
                except (TypeError, ValueError):
                    diags.error(iloc, f"bgpInstance {name} has no valid localASN")
                    continue
                bi = CiliumBgpInstance(node.name, name, asn, iloc, inst.get("localPort"), source=api)
                ov_peers: dict[str, Any] = {}
                if ov_obj is not None:
                    for ov in (get_path(ov_obj[0], "spec.bgpInstances") or []):
                        if str(ov.get("name")) == name:
                            bi.router_id = ov.get("routerID") or bi.router_id
                            bi.local_port = ov.get("localPort", bi.local_port)
                            if ov.get("localASN"):
                                bi.local_asn = int(ov["localASN"])
                            ov_peers = {str(p.get("name")): p for p in ov.get("peers") or []}
                for j, p in enumerate(inst.get("peers") or []):
                    ploc = item_loc(inst["peers"], j, file)
                    pname = str(p.get("name"))
                    ref = get_path(p, "peerConfigRef.name")
                    pc_spec: Any = {}
                    if ref is not None:
                        if str(ref) not in peer_configs:
                            diags.error(value_loc(p["peerConfigRef"], "name", file),
                                        f"peerConfigRef {ref!r} names no CiliumBGPPeerConfig in the snapshot")
                        else:
                            pc_spec = peer_configs[str(ref)][0].get("spec") or {}
                    peer = CiliumBgpPeer(
                        pname, ploc, _addr(p.get("peerAddress"), ploc, diags), int(p.get("peerASN") or 0),
                        int(get_path(pc_spec, "transport.peerPort") or 179), int(pc_spec.get("ebgpMultihop") or 1),
                        _addr(ov_peers.get(pname, {}).get("localAddress"), ploc, diags),
                        _families(pc_spec, peer_configs[str(ref)][1].file if ref in peer_configs else file),
                        str(ref) if ref else None, get_path(p, "autoDiscovery.mode"))
                    bi.peers.append(peer)
                bi.advertisements = adverts
                out.append(bi)
    out.extend(_resolve_v1(by_kind.get("CiliumBGPPeeringPolicy", []), nodes, diags))
    return sorted(out, key=lambda b: (b.node, b.name, b.loc))


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
