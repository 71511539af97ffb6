"""`podpath.yaml`: the facts no configuration file holds — hosts and their
interfaces, L2 segments, versions, which files belong to which host, and files
kept outside the snapshot directory. Every key is optional."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Diagnostics, Loc
from podpath.model.cluster import Interface, KernelRoute, Segment, Sourced
from podpath.readers.common import parse_prefix, sourced_interfaces, sourced_mtu
from podpath.readers.yamlsrc import item_loc, key_loc, node_loc, value_loc

MANIFEST_NAMES = ("podpath.yaml", "podpath.yml")
_TOP = {"apiVersion", "kind", "versions", "hosts", "segments", "files", "ignore", "description"}
_HOST = {"interfaces", "files", "role", "description", "routes"}
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
    routes: list[KernelRoute] = field(default_factory=list)  # `hosts.<name>.routes`, ip-route syntax


@dataclass
class Manifest:
    file: str
    versions: dict[str, Sourced[str]] = field(default_factory=dict)
    hosts: dict[str, ManifestHost] = field(default_factory=dict)
    segments: dict[str, Segment] = field(default_factory=dict)
    files: list[tuple[str, Loc]] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)


def _kind(value: Any) -> str:
    """How a user would name the YAML value they wrote instead of the expected one."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else f"a {type(value).__name__}"


def _scalar(value: Any) -> str | None:
    """A plain YAML value as text (numbers are accepted where a name is expected); None for mappings/lists."""
    if isinstance(value, (dict, list)) or value is None:
        return None
    return str(value)


def _mapping(parent: Any, key: Any, file: str, diags: Diagnostics, where: str) -> dict[Any, Any]:
    """The mapping under `key` ({} when absent or null; an error naming what is there instead)."""
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        diags.error(value_loc(parent, key, file), f"{where} must be a mapping, not {_kind(value)}")
        return {}
    return value


def _check_keys(mapping: Any, allowed: set[str], file: str, diags: Diagnostics, where: str) -> None:
    for key in mapping:
        if key not in allowed:
            diags.warning(key_loc(mapping, key, file), f"unknown key {key!r} in {where} (known: {', '.join(sorted(allowed))})")


def _str_list(parent: Any, key: str, file: str, diags: Diagnostics) -> list[tuple[str, Loc]]:
    seq = parent.get(key)
    if seq is None:
        return []
    if not isinstance(seq, list):
        diags.error(value_loc(parent, key, file), f"{key} must be a list, not {_kind(seq)}")
        return []
    out = []
    for i, v in enumerate(seq):
        text = _scalar(v)
        if text is None:
            diags.error(item_loc(seq, i, file), f"each item of {key} must be a plain value, not {_kind(v)}")
            continue
        out.append((text, item_loc(seq, i, file)))
    return out


def _routes(raw: Any, file: str, diags: Diagnostics) -> list[KernelRoute]:
    """`routes: ["default via 10.44.8.1", "10.9.0.0/16 via 10.0.0.254 dev eth0"]`: the host's own routes."""
    from podpath.readers.iproute import parse_route_spec

    out = []
    for text, loc in _str_list(raw, "routes", file, diags):
        r = parse_route_spec(text, loc, diags, protocol="static")
        if r is not None:
            out.append(r)
    return out


def read_manifest(doc: Any, file: str, diags: Diagnostics) -> Manifest:
    m = Manifest(file)
    if not isinstance(doc, dict):
        diags.error(node_loc(doc, file), "podpath.yaml must be a mapping")
        return m
    _check_keys(doc, _TOP, file, diags, "podpath.yaml")
    versions = _mapping(doc, "versions", file, diags, "versions")
    _check_keys(versions, _VERSIONS, file, diags, "versions")
    for k in versions:
        text = _scalar(versions[k])
        if text is None:
            diags.error(value_loc(versions, k, file), f"versions.{k} must be a version string, not {_kind(versions[k])}")
            continue
        m.versions[str(k)] = Sourced(text, value_loc(versions, k, file), "manifest")
    hosts = _mapping(doc, "hosts", file, diags, "hosts")
    for name, raw in hosts.items():
        loc = key_loc(hosts, name, file)
        host = ManifestHost(str(name), loc)
        raw = raw if raw is not None else {}
        if not isinstance(raw, dict):
            diags.error(value_loc(hosts, name, file), f"host {name!r} must be a mapping, not {_kind(raw)}")
            continue
        _check_keys(raw, _HOST, file, diags, f"hosts.{name}")
        host.role = _scalar(raw["role"]) if raw.get("role") else None
        interfaces = _mapping(raw, "interfaces", file, diags, f"hosts.{name}.interfaces")
        for ifname, iraw in interfaces.items():
            iloc = key_loc(interfaces, ifname, file)
            iface = Interface(str(ifname), loc=iloc)
            iraw = iraw if iraw is not None else {}
            if not isinstance(iraw, dict):
                diags.error(value_loc(interfaces, ifname, file), f"interface {name}.{ifname} must be a mapping "
                            f"(addresses, mtu, segment), not {_kind(iraw)}")
                continue
            _check_keys(iraw, _IFACE, file, diags, f"hosts.{name}.interfaces.{ifname}")
            iface.addresses = sourced_interfaces(iraw, file, diags, "manifest")
            if iraw.get("mtu") is not None:
                iface.mtu = sourced_mtu(iraw, file, diags, "manifest")
            if iraw.get("segment") is not None:
                iface.segment = _scalar(iraw["segment"])
                if iface.segment is None:
                    diags.error(value_loc(iraw, "segment", file), f"segment must be a segment name, not "
                                f"{_kind(iraw['segment'])}")
            host.interfaces.append(iface)
        host.files = _str_list(raw, "files", file, diags)
        host.routes = _routes(raw, file, diags)
        m.hosts[host.name] = host
    segments = _mapping(doc, "segments", file, diags, "segments")
    for name, raw in segments.items():
        loc = key_loc(segments, name, file)
        seg = Segment(str(name), loc=loc)
        raw = raw if raw is not None else {}
        if not isinstance(raw, dict):
            diags.error(value_loc(segments, name, file), f"segment {name!r} must be a mapping (prefixes, mtu, "
                        f"members), not {_kind(raw)}")
            continue
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

