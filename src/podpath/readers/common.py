"""Small parsing helpers shared by readers: addresses and prefixes with diagnostics."""

from __future__ import annotations

import ipaddress
from typing import Any

from podpath.diagnostics import Diagnostics, Loc
from podpath.model.cluster import Sourced
from podpath.readers.yamlsrc import value_loc
from podpath.routing.route import IPAddress, IPNetwork


def parse_prefix(raw: Any, loc: Loc, diags: Diagnostics, what: str = "CIDR") -> IPNetwork | None:
    """Parse `10.0.0.0/8` (host bits set is reported, not fatal: the kernel and
    Kubernetes both mask them, but it is almost always a typo)."""
    text = str(raw).strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        pass
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        diags.error(loc, f"{what} {text!r} does not parse as an IPv4 or IPv6 prefix")
        return None
    diags.warning(loc, f"{what} {text!r} has host bits set; read as {net}")
    return net


def parse_address(raw: Any, loc: Loc, diags: Diagnostics, what: str = "address") -> IPAddress | None:
    text = str(raw).strip()
    try:
        return ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        diags.error(loc, f"{what} {text!r} is not an IP address")
        return None


def parse_interface(raw: Any, loc: Loc, diags: Diagnostics) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
    text = str(raw).strip()
    try:
        if "/" not in text:
            diags.warning(loc, f"address {text!r} has no prefix length; assuming a host route")
        return ipaddress.ip_interface(text)
    except ValueError:
        diags.error(loc, f"interface address {text!r} does not parse (expected ADDRESS/LENGTH)")
        return None


def parse_int(raw: Any, loc: Loc, diags: Diagnostics, what: str, lo: int = 0, hi: int = 1 << 32) -> int | None:
    try:
        value = int(str(raw).strip())
    except ValueError:
        diags.error(loc, f"{what} {raw!r} is not an integer")
        return None
    if not lo <= value <= hi:
        diags.error(loc, f"{what} {value} is out of range ({lo}..{hi})")
        return None
    return value


def sourced_mtu(parent: Any, file: str, diags: Diagnostics, origin: str) -> Sourced[int] | None:
    """The `mtu:` value of a YAML mapping, validated, with its location."""
    loc = value_loc(parent, "mtu", file)
    value = parse_int(parent["mtu"], loc, diags, "MTU", 68, 65535)
    return Sourced(value, loc, origin) if value is not None else None


def sourced_interfaces(parent: Any, file: str, diags: Diagnostics, origin: str, key: str = "addresses") -> list[Sourced[Any]]:
    """`addresses: [A/L, ...]` (or `[{address: A/L}, ...]`, Talos LinkConfig style) with the location of each."""
    from podpath.readers.yamlsrc import item_loc

    out: list[Sourced[Any]] = []
    seq = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(seq, list):
        if seq is not None:
            diags.error(value_loc(parent, key, file), f"{key} must be a list")
        return out
    for j, a in enumerate(seq):
        raw = a.get("address") if isinstance(a, dict) else a
        aloc = item_loc(seq, j, file)
        addr = parse_interface(raw, aloc, diags)
        if addr is not None:
            out.append(Sourced(addr, aloc, origin))
    return out
