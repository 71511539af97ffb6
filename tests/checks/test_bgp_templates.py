"""BGP002 over nodes whose BIRD files come from two templates: each template's export filter rejects the
node's pod CIDR at a different statement. Every finding must cite the files of its own hosts (headline,
locations, evidence, fix), never the other template's copy, and must cite each file where its statement
decides, not only the first one's."""

from __future__ import annotations

import re

from snaputil import findings, node_list

VALUES = """\
routingMode: native
autoDirectNodeRoutes: false
ipv4:
  enabled: true
ipv6:
  enabled: false
ipv4NativeRoutingCIDR: 10.244.0.0/16
ipam:
  mode: kubernetes
bgpControlPlane:
  enabled: true
"""

BGP = """\
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: bird-local}
spec:
  nodeSelector: {matchLabels: {bgp: bird}}
  bgpInstances:
  - name: cilium
    localASN: 65100
    peers:
    - {name: bird, peerAddress: 127.0.0.1, peerConfigRef: {name: bird}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata: {name: bird}
spec:
  families:
  - afi: ipv4
    safi: unicast
    advertisements: {matchLabels: {advertise: bgp}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata:
  name: pods
  labels: {advertise: bgp}
spec:
  advertisements:
  - advertisementType: PodCIDR
"""

TOR = """\
frr version 8.4.4
frr defaults traditional
hostname tor
!
router bgp 65000
 bgp router-id 10.1.0.1
 no bgp default ipv4-unicast
 neighbor NODES peer-group
 neighbor NODES remote-as external
 bgp listen range 10.1.0.0/24 peer-group NODES
 !
 address-family ipv4 unicast
  neighbor NODES activate
  neighbor NODES route-map ALLOW in
  neighbor NODES route-map ALLOW out
 exit-address-family
exit
!
route-map ALLOW permit 10
exit
!
"""

PODPATH = """\
hosts:
  tor:
    role: router
    interfaces:
      eth0: {addresses: [10.1.0.1/24], segment: rack}
segments:
  rack: {prefixes: [10.1.0.0/24]}
"""


def _bird(i: int) -> str:
    """Odd nodes use template A (a final `reject;` in to_tor), even nodes template B (a function call that
    rejects first); both name the Cilium protocol wrongly, so no pod CIDR is exported to the ToR."""
    head = f"""\
# node n{i}
router id 10.1.0.1{i};
protocol device {{ }}
protocol kernel {{ ipv4 {{ export where proto = "tor"; }}; }}
"""
    if i % 2:
        filters = """\
filter to_tor {
  if proto = "cilium_v4" then accept;
  reject;
}
"""
    else:
        filters = """\
function from_cilium() -> bool {
  return proto = "cilium_v4";
}
filter to_tor {
  if !from_cilium() then reject;
  accept;
}
"""
    return head + filters + f"""\
protocol bgp cilium4 {{
  local 127.0.0.1 as 651{i:02d}; neighbor 127.0.0.1 as 65100; multihop 2; passive on;
  ipv4 {{ import all; export none; }};
}}
protocol bgp tor {{
  local as 651{i:02d}; neighbor 10.1.0.1 as 65000;
  ipv4 {{ import all; export filter to_tor; }};
}}
"""


def _files() -> dict[str, str]:
    nodes = node_list([(f"n{i}", [f"10.1.0.1{i}"], [f"10.244.{i}.0/24"]) for i in range(1, 5)])
    nodes = nodes.replace("  metadata:\n", "  metadata:\n    labels: {bgp: bird}\n")
    files = {"kubernetes/nodes.yaml": nodes, "cilium/values.yaml": VALUES, "cilium/bgp.yaml": BGP,
             "frr/tor.conf": TOR, "podpath.yaml": PODPATH}
    files.update({f"bird/n{i}.conf": _bird(i) for i in range(1, 5)})
    return files


def _cited(f) -> set[str]:
    text = " ".join([f.message, *f.evidence, f.fix.description if f.fix else ""] + [str(loc.file) for loc in f.locations])
    return set(re.findall(r"bird/n\d\.conf", text))


def test_each_group_cites_its_own_templates_files(make_snapshot) -> None:
    fs = findings(make_snapshot(_files()), "BGP002")
    assert len(fs) == 2, [f.message for f in fs]
    by_template = {}
    for f in fs:
        owners = {int(n) for n in re.findall(r"10\.244\.(\d)\.0/24", f.message)}
        by_template[frozenset(owners)] = f
        # each pod CIDR is lost at its own node's export filter: exactly those nodes' files are cited
        assert _cited(f) == {f"bird/n{i}.conf" for i in owners}, (f.message, f.locations, f.fix)
        stops = sorted(str(loc.file) for loc in f.locations if str(loc.file).startswith("bird/"))
        assert stops == sorted(f"bird/n{i}.conf" for i in owners), f.locations
    assert set(by_template) == {frozenset({1, 3}), frozenset({2, 4})}
    a, b = by_template[frozenset({1, 3})], by_template[frozenset({2, 4})]
    assert "reject;" in a.message and "from_cilium" not in a.message, a.message
    assert "if !from_cilium() then reject;" in b.message, b.message
    # the same statement at the same line of each file of the template
    assert [(loc.file, loc.line) for loc in a.locations[:2]] == [("bird/n1.conf", 7), ("bird/n3.conf", 7)]
