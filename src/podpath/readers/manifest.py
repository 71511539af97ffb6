"""`podpath.yaml`: the facts no configuration file holds — hosts and their
interfaces, L2 segments, versions, which files belong to which host, and files
kept outside the snapshot directory. Every key is optional."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Diagnostics, Loc
from podpath.model.cluster import Interface, Segment, Sourced
from podpath.readers.common import parse_prefix, sourced_interfaces, sourced_mtu
from podpath.readers.yamlsrc import item_loc, key_loc, node_loc, value_loc

MANIFEST_NAMES = ("podpath.yaml", "podpath.yml")
_TOP = {"apiVersion", "kind", "versions", "hosts", "segments", "files", "ignore", "description"}
_HOST = {"interfaces", "files", "role", "description"}
_IFACE = {"addresses", "mtu", "segment"}
_SEGMENT = {"prefixes", "mtu", "members", "description"}
_VERSIONS = {"cilium", "talos", "frr", "bird", "gobgp", "kubernetes", "kernel"}


@dataclass
class ManifestHost:
    name: str
    loc: Loc
    interfaces: list[Interface] = field(default_factory=list)
    files: list[tuple[str, Loc]] = field(default_factory=list)
    role: str | None = None


@dataclass
class Manifest:
    file: str
    versions: dict[str, Sourced[str]] = field(default_factory=dict)
    hosts: dict[str, ManifestHost] = field(default_factory=dict)
    segments: dict[str, Segment] = field(default_factory=dict)
    files: list[tuple[str, Loc]] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)


def _check_keys(mapping: Any, allowed: set[str], file: str, diags: Diagnostics, where: str) -> None:
    for key in mapping:
        if key not in allowed:
            diags.warning(key_loc(mapping, key, file), f"unknown key {key!r} in {where} (known: {', '.join(sorted(allowed))})")


def _str_list(parent: Any, key: str, file: str, diags: Diagnostics) -> list[tuple[str, Loc]]:
    seq = parent.get(key)
    if seq is None:
        return []
    if not isinstance(seq, list):
        diags.error(value_loc(parent, key, file), f"{key} must be a list")
        return []
    return [(str(v), item_loc(seq, i, file)) for i, v in enumerate(seq)]


def read_manifest(doc: Any, file: str, diags: Diagnostics) -> Manifest:
    m = Manifest(file)
    if not isinstance(doc, dict):
        diags.error(node_loc(doc, file), "podpath.yaml must be a mapping")
        return m
    _check_keys(doc, _TOP, file, diags, "podpath.yaml")
    versions = doc.get("versions") or {}
    if isinstance(versions, dict):
        _check_keys(versions, _VERSIONS, file, diags, "versions")
        for k in versions:
            m.versions[str(k)] = Sourced(str(versions[k]), value_loc(versions, k, file), "manifest")
    for name, raw in (doc.get("hosts") or {}).items():
        loc = key_loc(doc["hosts"], name, file)
        host = ManifestHost(str(name), loc)
        raw = raw or {}
        if not isinstance(raw, dict):
            diags.error(loc, f"host {name!r} must be a mapping")
            continue
        _check_keys(raw, _HOST, file, diags, f"hosts.{name}")
        host.role = str(raw["role"]) if raw.get("role") else None
        for ifname, iraw in (raw.get("interfaces") or {}).items():
            iloc = key_loc(raw["interfaces"], ifname, file)
            iface = Interface(str(ifname), loc=iloc)
            iraw = iraw or {}
            _check_keys(iraw, _IFACE, file, diags, f"hosts.{name}.interfaces.{ifname}")
            iface.addresses = sourced_interfaces(iraw, file, diags, "manifest")
            if iraw.get("mtu") is not None:
                iface.mtu = sourced_mtu(iraw, file, diags, "manifest")
            if iraw.get("segment"):
                iface.segment = str(iraw["segment"])
            host.interfaces.append(iface)
        host.files = _str_list(raw, "files", file, diags)
        m.hosts[host.name] = host
    for name, raw in (doc.get("segments") or {}).items():
        loc = key_loc(doc["segments"], name, file)
        seg = Segment(str(name), loc=loc)
        raw = raw or {}
        _check_keys(raw, _SEGMENT, file, diags, f"segments.{name}")
        for p, ploc in _str_list(raw, "prefixes", file, diags):
            net = parse_prefix(p, ploc, diags, "segment prefix")
            if net is not None:
                seg.prefixes.append(Sourced(net, ploc, "manifest"))
        for member, _ in _str_list(raw, "members", file, diags):
            seg.members.add(member)
        if raw.get("mtu") is not None:
            seg.mtu = sourced_mtu(raw, file, diags, "manifest")
        m.segments[seg.name] = seg
    m.files = _str_list(doc, "files", file, diags)
    m.ignore = [g for g, _ in _str_list(doc, "ignore", file, diags)]
    return m

