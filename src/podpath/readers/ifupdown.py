"""Debian/Proxmox `/etc/network/interfaces` (ifupdown, ifupdown2): interfaces, their addresses, the
gateway of each stanza (a default route) and the routes added by `up|post-up ip route add ...`.

A line parser: stanzas `iface NAME inet|inet6 METHOD` followed by indented options; `auto`,
`allow-*`, `source`, `mapping` at the top level. What decides nothing about routes (bridge, bond, DNS
options, `down` commands) is skipped; `source` and DHCP/SLAAC stanzas are listed as unsupported (their
addresses and routes are not in the file)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.model.cluster import Interface, KernelRoute, Sourced
from podpath.readers.iproute import parse_route_spec
from podpath.util import is_digits

_IFACE = re.compile(r"^iface\s+(\S+)\s+(inet6?|ipx|can)\s+(\S+)\s*$")
_SNIFF = re.compile(r"^\s*iface\s+\S+\s+inet6?\s+(static|manual|dhcp|loopback|auto|tunnel|ppp|v4tunnel|6to4)\s*$",
                    re.M)
_TOP = ("auto", "allow-hotplug", "allow-auto", "allow-ovs", "mapping", "no-auto-down", "no-scripts")
_UP = ("up", "post-up", "pre-up")
_IP_ROUTE = re.compile(r"^(?:/s?bin/|/usr/s?bin/)?ip\s+(?:(-4|-6|-family\s+inet6?)\s+)?(?:route|ro|r)\s+"
                       r"(?:add|replace|append|a|prepend)\s+(.*)$")


@dataclass
class IfupdownConfig:
    file: str
    interfaces: list[Interface] = field(default_factory=list)
    routes: list[KernelRoute] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {"interfaces": len(self.interfaces), "routes": len(self.routes)}


def looks_like_ifupdown(text: str) -> bool:
    return bool(_SNIFF.search(text))


def parse_ifupdown(text: str, file: str, diags: Diagnostics) -> IfupdownConfig:
    cfg = IfupdownConfig(file)
    by_name: dict[str, Interface] = {}
    cur: tuple[Interface, int, str] | None = None  # interface, family, method
    pending_mask: dict[int, tuple[int, Loc]] = {}  # index into addresses -> (netmask length, line)
    lines = _logical_lines(text)
    for lineno, line in lines:
        loc = Loc(file, lineno, len(line) - len(line.lstrip()) + 1)
        stripped = line.strip()
        word = stripped.split()[0]
        if not line[0].isspace() and (word in ("iface",) + _TOP or word.startswith("allow-") or word in
                                      ("source", "source-directory")):
            cur = None
            if word == "iface":
                m = _IFACE.match(stripped)
                if m is None:
                    diags.error(loc, "expected `iface NAME inet|inet6 METHOD`", line)
                    continue
                name, fam_word, method = m.groups()
                fam = 6 if fam_word == "inet6" else 4
                iface = by_name.get(name)
                if iface is None:
                    iface = by_name[name] = Interface(name, loc=loc)
                    cfg.interfaces.append(iface)
                if method in ("dhcp", "auto"):  # DHCP, or SLAAC for inet6
                    cfg.unsupported.append(Unsupported(loc, f"interface {name} dhcp",
                                                       f"{fam_word} {method}: the address and routes it obtains are "
                                                       "not known offline", True))
                cur = (iface, fam, method)
            elif word in ("source", "source-directory"):
                cfg.unsupported.append(Unsupported(loc, stripped, "included files are not read: add them to the "
                                                   "snapshot", True))
            continue
        if cur is None:
            if not line[0].isspace():
                diags.warning(loc, f"unknown top-level statement `{word}` (ifupdown ignores the line)", line)
            continue
        iface, fam, method = cur
        rest = stripped[len(word):].strip()
        if word == "address":
            _address(iface, rest, fam, loc, diags, pending_mask, line)
        elif word == "netmask":
            _netmask(iface, rest, fam, loc, diags, pending_mask, line)
        elif word == "gateway":
            r = parse_route_spec(f"default via {rest} dev {iface.name}", loc, diags, fam, protocol="boot")
            if r is not None:
                cfg.routes.append(r)
        elif word == "mtu":
            if is_digits(rest) and 68 <= int(rest) <= 65535:
                iface.mtu = Sourced(int(rest), loc, "ifupdown")
            else:
                diags.error(loc, f"MTU {rest!r} is not a number in 68..65535", line)
        elif word in _UP:
            m = _IP_ROUTE.match(rest)
            if m is not None:
                fam_opt = m.group(1) or ""
                route_fam = 6 if "6" in fam_opt else (4 if fam_opt else None)
                r = parse_route_spec(m.group(2), loc, diags, route_fam, protocol="boot")
                if r is not None:
                    cfg.routes.append(r)
            elif re.match(r"^(?:/s?bin/)?(ip\s+(-\S+\s+)*(route|ro|r)\b|route\s+add\b)", rest):
                cfg.unsupported.append(Unsupported(loc, f"{word} {rest}", "route command not read (only "
                                                   "`ip [-4|-6] route add|replace ...`)", True))
    return cfg


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines without comments and blank lines; a trailing backslash continues a line."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not buf and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.rstrip().endswith("\\"):
            if not buf:
                start = lineno
            buf += raw.rstrip()[:-1] + " "
            continue
        if buf:
            out.append((start, buf + raw.strip()))
            buf = ""
        else:
            out.append((lineno, raw))
    if buf:
        out.append((start, buf))
    return out


def _address(iface: Interface, raw: str, fam: int, loc: Loc, diags: Diagnostics,
             pending: dict[int, tuple[int, Loc]], line: str) -> None:
    text = raw.split()[0] if raw else ""
    try:
        addr = ipaddress.ip_interface(text)
    except ValueError:
        diags.error(loc, f"address {text!r} is not an IP address", line)
        return
    if addr.version != fam:
        diags.error(loc, f"address {text} is not IPv{fam} (this stanza is `inet{'6' if fam == 6 else ''}`)", line)
        return
    iface.addresses.append(Sourced(addr, loc, "ifupdown"))
    if "/" not in text:
        pending[len(iface.addresses) - 1] = (addr.max_prefixlen, loc)


def _netmask(iface: Interface, raw: str, fam: int, loc: Loc, diags: Diagnostics,
             pending: dict[int, tuple[int, Loc]], line: str) -> None:
    """`netmask 255.255.255.0` (or a prefix length) completes the last `address` written without one."""
    idx = max(pending) if pending else None
    if idx is None:
        return  # the address already has a length: ifupdown ignores the netmask
    try:
        plen = int(raw) if is_digits(raw) else ipaddress.ip_network(f"0.0.0.0/{raw}").prefixlen
    except ValueError:
        diags.error(loc, f"netmask {raw!r} is not a netmask or prefix length", line)
        return
    a = iface.addresses[idx]
    if plen > a.value.max_prefixlen:
        diags.error(loc, f"netmask {raw!r} is too long for {a.value.ip}", line)
        return
    iface.addresses[idx] = Sourced(ipaddress.ip_interface(f"{a.value.ip}/{plen}"), a.loc, "ifupdown")
    del pending[idx]
