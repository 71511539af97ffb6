"""`cilium status` / `cilium-dbg status [--verbose]` text output (observed evidence)."""

from __future__ import annotations

import ipaddress
import re

from podpath.diagnostics import Diagnostics, Loc
from podpath.model.cluster import CiliumStatus, Sourced

_KEYS = ("KubeProxyReplacement:", "Cilium:", "Masquerading:", "Cluster health:", "Host Routing:", "Routing:", "IPAM:")


def looks_like_cilium_status(text: str) -> bool:
    hits = sum(1 for l in text.splitlines() if l.strip().startswith(_KEYS))
    return hits >= 2


_CIDR = re.compile(r"(?<![\w:.])([0-9a-fA-F:.]+/\d{1,3})\b")


def parse_cilium_status(text: str, file: str, diags: Diagnostics) -> CiliumStatus:
    st = CiliumStatus(Loc(file, 1, 1))
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if ":" not in s:
            continue
        key, _, rest = s.partition(":")
        rest = rest.strip()
        loc = Loc(file, lineno, line.find(rest) + 1 if rest else 1)
        if key == "Cilium":
            m = re.search(r"\b(\d+\.\d+\.\d+\S*)", rest)
            if m:
                st.version = Sourced(m.group(1), loc, "observed")
        elif key == "KubeProxyReplacement":
            st.kube_proxy_replacement = Sourced(rest.split()[0] if rest else "", loc, "observed")
        elif key == "Routing":
            m = re.search(r"Network:\s*(\w+)", rest)
            if m:
                st.routing_network = Sourced(m.group(1), loc, "observed")
            m = re.search(r"Host:\s*(\w+)", rest)
            if m:
                st.routing_host = Sourced(m.group(1), loc, "observed")
        elif key == "Host Routing":
            st.routing_host = Sourced(rest.split()[0] if rest else "", loc, "observed")
        elif key == "Masquerading":
            words = rest.split()
            if words:
                st.masquerading_mode = Sourced(words[0], loc, "observed")
            m = re.search(r"\[([^\]]*)\]", rest)
            if m:
                st.masquerading_devices = [d.strip() for d in m.group(1).split(",") if d.strip()]
            tail = rest[m.end():] if m else rest
            for cm in _CIDR.finditer(tail):
                try:
                    net = ipaddress.ip_network(cm.group(1), strict=False)
                except ValueError:
                    continue
                st.masquerading_cidrs.append(Sourced(net, Loc(file, lineno, line.find(cm.group(1)) + 1), "observed"))
        elif key == "IPAM":
            for cm in _CIDR.finditer(rest):
                try:
                    net = ipaddress.ip_network(cm.group(1), strict=False)
                except ValueError:
                    continue
                st.ipam_cidrs.append(Sourced(net, Loc(file, lineno, line.find(cm.group(1)) + 1), "observed"))
        elif key == "Cluster health":
            m = re.search(r"(\d+)/(\d+)", rest)
            if m:
                st.cluster_health = Sourced((int(m.group(1)), int(m.group(2))), loc, "observed")
    return st
