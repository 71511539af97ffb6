"""netplan YAML (`network: {version: 2, ethernets|bridges|bonds|vlans: ...}`): interfaces, addresses and
the host's own routes (`routes: [{to, via, metric, table}]`, the deprecated `gateway4`/`gateway6`). DHCP and
router advertisements give addresses and routes not in the file: listed as unsupported."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Diagnostics, Unsupported
from podpath.model.cluster import Interface, KernelRoute
from podpath.readers.common import parse_prefix, sourced_interfaces, sourced_mtu
from podpath.readers.yamlsrc import child_list, item_loc, key_loc, value_loc
from podpath.util import is_digits

_DEVICE_KINDS = ("ethernets", "bridges", "bonds", "vlans", "tunnels", "wifis", "vrfs", "dummy-devices",
                 "virtual-ethernets", "modems")


@dataclass
class NetplanConfig:
    file: str
    interfaces: list[Interface] = field(default_factory=list)
    routes: list[KernelRoute] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)


def is_netplan(doc: Any) -> bool:
    net = doc.get("network") if isinstance(doc, dict) else None
    return isinstance(net, dict) and (str(net.get("version", "")) == "2" or any(k in net for k in _DEVICE_KINDS))


def read_netplan(doc: Any, file: str, diags: Diagnostics, cfg: NetplanConfig | None = None) -> NetplanConfig:
    cfg = cfg or NetplanConfig(file)
    net = doc["network"]
    for kind in _DEVICE_KINDS:
        devs = net.get(kind)
        if devs is None:
            continue
        if not isinstance(devs, dict):
            diags.error(value_loc(net, kind, file), f"network.{kind} must be a mapping of interface names")
            continue
        for name, raw in devs.items():
            loc = key_loc(devs, name, file)
            raw = raw or {}
            if not isinstance(raw, dict):
                diags.error(loc, f"network.{kind}.{name} must be a mapping")
                continue
            if kind in ("tunnels", "vrfs", "wifis", "modems"):
                cfg.unsupported.append(Unsupported(loc, f"netplan {kind}.{name}", f"netplan {kind} are not modelled",
                                                   kind != "wifis"))
            iface = Interface(str(name), loc=loc)
            iface.addresses = sourced_interfaces(raw, file, diags, "netplan")
            if raw.get("mtu") is not None:
                iface.mtu = sourced_mtu(raw, file, diags, "netplan")
            for key in ("dhcp4", "dhcp6"):
                if raw.get(key) in (True, "true", "yes", "on"):
                    cfg.unsupported.append(Unsupported(key_loc(raw, key, file), f"interface {name} dhcp",
                                                       f"{key}: the address and routes it obtains are not known "
                                                       "offline", True))
            cfg.interfaces.append(iface)
            for key, fam in (("gateway4", 4), ("gateway6", 6)):
                if raw.get(key):
                    gw = _gateway(raw, key, fam, file, diags)
                    if gw is not None:
                        cfg.routes.append(KernelRoute(ipaddress.ip_network("0.0.0.0/0" if fam == 4 else "::/0"),
                                                      gw, str(name), "static", loc=value_loc(raw, key, file)))
            cfg.routes += _routes(raw, str(name), file, diags)
    return cfg


def _gateway(parent: Any, key: str, fam: int | None, file: str, diags: Diagnostics) -> Any:
    loc = value_loc(parent, key, file)
    try:
        gw = ipaddress.ip_address(str(parent[key]).strip())
    except ValueError:
        diags.error(loc, f"{key} {parent[key]!r} is not an IP address")
        return None
    if fam is not None and gw.version != fam:
        diags.error(loc, f"{key} {gw} is not an IPv{fam} address")
        return None
    return gw


def _routes(parent: Any, ifname: str, file: str, diags: Diagnostics) -> list[KernelRoute]:
    seq = child_list(parent, "routes", file, diags)
    out = []
    for i, raw in enumerate(seq):
        loc = item_loc(seq, i, file)
        if not isinstance(raw, dict):
            diags.error(loc, "a route must be a mapping (to, via, metric)")
            continue
        gw = _gateway(raw, "via", None, file, diags) if raw.get("via") else None
        if raw.get("via") and gw is None:
            continue
        to = str(raw.get("to", "")).strip()
        rtype = str(raw.get("type", "unicast"))
        if to in ("default", "0.0.0.0/0", "::/0") or not to:
            if not to and gw is None:
                diags.error(loc, "route has neither `to` nor `via`")
                continue
            fam = gw.version if gw is not None else (6 if to == "::/0" else 4)
            dst = ipaddress.ip_network("::/0" if fam == 6 else "0.0.0.0/0")
        else:
            dst = parse_prefix(to, value_loc(raw, "to", file), diags, "route destination")
            if dst is None:
                continue
        if gw is not None and gw.version != dst.version:
            diags.error(loc, f"via {gw} is not of the family of {dst}")
            continue
        metric = raw.get("metric")
        table = raw.get("table")
        out.append(KernelRoute(dst, gw, ifname, "static", str(raw.get("scope")) if raw.get("scope") else None, None,
                               int(metric) if is_digits(str(metric or "")) else None,
                               table=str(table) if table is not None and str(table) not in ("254", "main") else "main",
                               type=rtype if rtype in ("unicast", "blackhole", "unreachable", "prohibit") else "unicast",
                               loc=loc))
    return out

