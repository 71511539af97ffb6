"""Realistic scale scenarios: racks, several L2 segments, two designs, mixed templates, broken variants.

    python benchmarks/scenarios.py DIR N [tor-rr|bird-tor] [--broken]    # write one snapshot

Both designs put N dual-stack nodes in racks of RACK nodes, one L2 segment per rack
(10.1.R.0/24, fd00:1:R::/64) with its top-of-rack router (FRR), and the ToRs on an underlay
segment (10.0.0.0/16, fd00::/64):

- `tor-rr`: Cilium's BGP control plane on every node peers eBGP with its rack's ToR (one
  CiliumBGPClusterConfig per rack, selected by a `rack` label); the ToRs (one AS) peer iBGP with
  two FRR route reflectors, next-hop-self; nodes forward by a default route to their ToR
  (`hosts.<node>.routes` in podpath.yaml). Mixed templates: even racks use one
  CiliumBGPPeerConfig and a prefix-list-only ToR import, odd racks another peer config and a
  prefix-list + large-community import. Broken: odd racks' ToRs match a large-community list
  that does not exist, so they reject every pod CIDR of their rack (`deny 999`).
- `bird-tor`: Cilium on every node peers with BIRD on the loopback (multihop), BIRD peers eBGP
  with its rack's ToR (one AS per rack) and installs the learned routes; the ToRs peer eBGP with
  two FRR spines. Mixed templates: even nodes' BIRD configs are written with templates
  (`protocol bgp ... from ...`), odd nodes' in full with other filter wording (defines,
  functions). Broken: the BIRD export filter of odd racks' nodes names Cilium's protocols
  `cilium_v4`/`cilium_v6`, which do not exist there, so those nodes advertise nothing.

tests: benchmarks/compare_outputs.py --scale N generates every scenario and compares outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # loaded by path from tests, too
from snapshot_scale import cilium_bird_resources, pod_cidr_advertisement  # noqa: E402

DESIGNS = ("tor-rr", "bird-tor")
RACK = 20
CILIUM_AS = 4220000000
FABRIC_AS = 65000  # tor-rr: the ToRs and route reflectors
SPINE_AS = 4200000000  # bird-tor
TOR_AS0 = 4200100000  # bird-tor: ToR of rack r has TOR_AS0 + r
COMMUNITY = f"{SPINE_AS}:0:100"


def node_addr(i: int) -> tuple[str, str]:
    r, k = divmod(i, RACK)
    return f"fd00:1:{r:x}::{10 + k:x}", f"10.1.{r}.{10 + k}"


def pods(i: int) -> tuple[str, str]:
    return f"fd00:224:{i:x}::/64", f"10.{64 + i // 256}.{i % 256}.0/24"


def tor_rack_addr(r: int) -> tuple[str, str]:
    return f"fd00:1:{r:x}::1", f"10.1.{r}.1"


def tor_underlay(r: int) -> tuple[str, str]:
    return f"fd00::1:{r + 1:x}", f"10.0.1.{r + 1}"


def racks(n: int) -> int:
    return (n + RACK - 1) // RACK


CILIUM_VALUES = """routingMode: native
autoDirectNodeRoutes: false
ipv4:
  enabled: true
ipv6:
  enabled: true
ipv4NativeRoutingCIDR: 10.64.0.0/10
ipv6NativeRoutingCIDR: fd00:224::/32
ipam:
  mode: kubernetes
bgpControlPlane:
  enabled: true
"""

ALLOW = """route-map ALLOW permit 10
exit
"""


# ---- tor-rr -------------------------------------------------------------------------------------

def _rr_conf(j: int) -> str:
    return f"""frr version 10.3
frr defaults traditional
hostname rr{j}
!
router bgp {FABRIC_AS}
 bgp router-id 10.0.0.{j + 1}
 bgp cluster-id 10.0.0.250
 no bgp default ipv4-unicast
 bgp listen limit 1000
 neighbor TORS4 peer-group
 neighbor TORS4 remote-as internal
 neighbor TORS6 peer-group
 neighbor TORS6 remote-as internal
 bgp listen range 10.0.1.0/24 peer-group TORS4
 bgp listen range fd00::1:0/112 peer-group TORS6
 !
 address-family ipv4 unicast
  neighbor TORS4 activate
  neighbor TORS4 route-reflector-client
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor TORS6 activate
  neighbor TORS6 route-reflector-client
 exit-address-family
exit
!
"""


def _tor_rr_conf(r: int, broken: bool) -> str:
    v6, v4 = tor_underlay(r)
    lc = r % 2 == 1
    match_lc = " match large-community LC_K8S\n" if lc else ""
    lists = "" if not lc or broken else f"bgp large-community-list standard LC_K8S permit {COMMUNITY}\n"
    return f"""frr version 10.3
frr defaults traditional
hostname tor{r}
!
router bgp {FABRIC_AS}
 bgp router-id {v4}
 no bgp default ipv4-unicast
 bgp listen limit 100
 neighbor NODES4 peer-group
 neighbor NODES4 remote-as {CILIUM_AS}
 neighbor NODES6 peer-group
 neighbor NODES6 remote-as {CILIUM_AS}
 bgp listen range 10.1.{r}.0/24 peer-group NODES4
 bgp listen range fd00:1:{r:x}::/64 peer-group NODES6
 neighbor 10.0.0.1 remote-as internal
 neighbor 10.0.0.2 remote-as internal
 neighbor fd00::1 remote-as internal
 neighbor fd00::2 remote-as internal
 !
 address-family ipv4 unicast
  neighbor NODES4 activate
  neighbor NODES4 route-map NODES_IN_V4 in
  neighbor NODES4 route-map NONE out
  neighbor 10.0.0.1 activate
  neighbor 10.0.0.1 next-hop-self
  neighbor 10.0.0.2 activate
  neighbor 10.0.0.2 next-hop-self
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor NODES6 activate
  neighbor NODES6 route-map NODES_IN_V6 in
  neighbor NODES6 route-map NONE out
  neighbor fd00::1 activate
  neighbor fd00::1 next-hop-self
  neighbor fd00::2 activate
  neighbor fd00::2 next-hop-self
 exit-address-family
exit
!
ip prefix-list PL_PODS_V4 seq 10 permit 10.64.0.0/10 ge 24 le 24
ipv6 prefix-list PL_PODS_V6 seq 10 permit fd00:224::/32 ge 64 le 64
{lists}!
route-map NODES_IN_V4 permit 10
 match ip address prefix-list PL_PODS_V4
{match_lc}exit
route-map NODES_IN_V4 deny 999
exit
route-map NODES_IN_V6 permit 10
 match ipv6 address prefix-list PL_PODS_V6
{match_lc}exit
route-map NODES_IN_V6 deny 999
exit
route-map NONE deny 10
exit
"""


def _cilium_tor_rr(n: int) -> str:
    docs = []
    for variant in (0, 1):
        extra = "" if variant == 0 else """  gracefulRestart:
    enabled: true
    restartTimeSeconds: 120
  timers:
    holdTimeSeconds: 9
    keepAliveTimeSeconds: 3
"""
        for v in (4, 6):
            docs.append(f"""apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata:
  name: tor{v}-{variant}
spec:
{extra}  families:
    - afi: ipv{v}
      safi: unicast
      advertisements:
        matchLabels:
          advertise: bgp
""")
    docs.append(pod_cidr_advertisement(COMMUNITY))
    for r in range(racks(n)):
        v6, v4 = tor_rack_addr(r)
        docs.append(f"""apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata:
  name: rack{r}
spec:
  nodeSelector:
    matchLabels:
      rack: r{r}
  bgpInstances:
    - name: cilium
      localASN: {CILIUM_AS}
      peers:
        - name: tor6
          peerAddress: "{v6}"
          peerASN: {FABRIC_AS}
          peerConfigRef:
            name: tor6-{r % 2}
        - name: tor4
          peerAddress: "{v4}"
          peerASN: {FABRIC_AS}
          peerConfigRef:
            name: tor4-{r % 2}
""")
    return "---\n".join(docs)


# ---- bird-tor -----------------------------------------------------------------------------------

def _spine_conf(j: int, n: int) -> str:
    return f"""frr version 10.3
frr defaults traditional
hostname spine{j}
!
router bgp {SPINE_AS}
 bgp router-id 10.0.0.{j + 1}
 no bgp default ipv4-unicast
 bgp listen limit 1000
 neighbor TORS4 peer-group
 neighbor TORS4 remote-as external
 neighbor TORS6 peer-group
 neighbor TORS6 remote-as external
 bgp listen range 10.0.1.0/24 peer-group TORS4
 bgp listen range fd00::1:0/112 peer-group TORS6
 !
 address-family ipv4 unicast
  neighbor TORS4 activate
  neighbor TORS4 route-map ALLOW in
  neighbor TORS4 route-map ALLOW out
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor TORS6 activate
  neighbor TORS6 route-map ALLOW in
  neighbor TORS6 route-map ALLOW out
 exit-address-family
exit
!
{ALLOW}"""


def _tor_bird_conf(r: int) -> str:
    v6, v4 = tor_underlay(r)
    asn = TOR_AS0 + r
    return f"""frr version 10.3
frr defaults traditional
hostname tor{r}
!
router bgp {asn}
 bgp router-id {v4}
 bgp bestpath compare-routerid
 no bgp default ipv4-unicast
 bgp listen limit 100
 neighbor NODES4 peer-group
 neighbor NODES4 remote-as external
 neighbor NODES6 peer-group
 neighbor NODES6 remote-as external
 bgp listen range 10.1.{r}.0/24 peer-group NODES4
 bgp listen range fd00:1:{r:x}::/64 peer-group NODES6
 neighbor SPINES4 peer-group
 neighbor SPINES4 remote-as {SPINE_AS}
 neighbor 10.0.0.1 peer-group SPINES4
 neighbor 10.0.0.2 peer-group SPINES4
 neighbor SPINES6 peer-group
 neighbor SPINES6 remote-as {SPINE_AS}
 neighbor fd00::1 peer-group SPINES6
 neighbor fd00::2 peer-group SPINES6
 !
 address-family ipv4 unicast
  neighbor NODES4 activate
  neighbor NODES4 route-map NODES_IN_V4 in
  neighbor NODES4 route-map ALLOW out
  neighbor SPINES4 activate
  neighbor SPINES4 route-map ALLOW in
  neighbor SPINES4 route-map ALLOW out
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor NODES6 activate
  neighbor NODES6 route-map NODES_IN_V6 in
  neighbor NODES6 route-map ALLOW out
  neighbor SPINES6 activate
  neighbor SPINES6 route-map ALLOW in
  neighbor SPINES6 route-map ALLOW out
 exit-address-family
exit
!
ip prefix-list PL_PODS_V4 seq 10 permit 10.64.0.0/10 ge 24 le 24
ipv6 prefix-list PL_PODS_V6 seq 10 permit fd00:224::/32 ge 64 le 64
bgp large-community-list standard LC_K8S permit {COMMUNITY}
!
route-map NODES_IN_V4 permit 10
 match ip address prefix-list PL_PODS_V4
 match large-community LC_K8S
exit
route-map NODES_IN_V4 deny 999
exit
route-map NODES_IN_V6 permit 10
 match ipv6 address prefix-list PL_PODS_V6
 match large-community LC_K8S
exit
route-map NODES_IN_V6 deny 999
exit
{ALLOW}"""


def _bird_node(i: int, broken: bool) -> str:
    v6, v4 = node_addr(i)
    r = i // RACK
    t6, t4 = tor_rack_addr(r)
    asn = 4210000000 + i
    tor_as = TOR_AS0 + r
    c4, c6 = ("cilium_v4", "cilium_v6") if broken and r % 2 == 1 else ("cilium4", "cilium6")
    head = f"""# bird2 on node{i} (rack {r})
log stderr all;
router id {v4};

protocol device {{ scan time 10; }}

protocol kernel kernel4 {{ ipv4 {{ export where proto ~ "tor*"; }}; }}
protocol kernel kernel6 {{ ipv6 {{ export where proto ~ "tor*"; }}; }}
"""
    cilium = f"""
protocol bgp cilium6 {{
  local ::1 as {asn}; neighbor ::1 as {CILIUM_AS}; multihop 2; passive on;
  ipv6 {{ import filter from_cilium6; export none; }};
}}
protocol bgp cilium4 {{
  local 127.0.0.1 as {asn}; neighbor 127.0.0.1 as {CILIUM_AS}; multihop 2; passive on;
  ipv4 {{ import filter from_cilium4; export none; }};
}}
"""
    if i % 2 == 0:  # templates
        return head + f"""
filter from_cilium4 {{
  if net ~ [ 10.64.0.0/10{{24,24}} ] then accept;
  reject;
}}
filter from_cilium6 {{
  if net ~ [ fd00:224::/32{{64,64}} ] then accept;
  reject;
}}
filter to_tor {{
  if proto = "{c4}" || proto = "{c6}" then {{
    bgp_large_community.add(({SPINE_AS}, 0, 100));
    accept;
  }}
  reject;
}}
filter from_tor4 {{
  if net ~ [ 10.1.0.0/16+ ] then reject;
  if bgp_path.len > 8 then reject;
  accept;
}}
filter from_tor6 {{
  if net ~ [ fd00:1::/32+ ] then reject;
  if bgp_path.len > 8 then reject;
  accept;
}}
""" + cilium + f"""
template bgp tor_v6 {{
  local as {asn};
  ipv6 {{ import filter from_tor6; export filter to_tor; }};
}}
template bgp tor_v4 {{
  local as {asn};
  ipv4 {{ import filter from_tor4; export filter to_tor; }};
}}
protocol bgp tor6 from tor_v6 {{ neighbor {t6} as {tor_as}; }}
protocol bgp tor4 from tor_v4 {{ neighbor {t4} as {tor_as}; }}
"""
    return head + f"""
define POD4 = [ 10.64.0.0/10{{24,24}} ];
define POD6 = [ fd00:224::/32{{64,64}} ];
function too_long() -> bool {{
  return bgp_path.len > 8;
}}
function from_cilium() -> bool {{
  return proto = "{c4}" || proto = "{c6}";
}}
filter from_cilium4 {{
  if net ~ POD4 then accept;
  reject;
}}
filter from_cilium6 {{
  if net ~ POD6 then accept;
  reject;
}}
filter to_tor {{
  if !from_cilium() then reject;
  bgp_large_community.add(({SPINE_AS}, 0, 100));
  accept;
}}
filter from_tor4 {{
  if net ~ [ 10.1.0.0/16+ ] || too_long() then reject;
  accept;
}}
filter from_tor6 {{
  if net ~ [ fd00:1::/32+ ] || too_long() then reject;
  accept;
}}
""" + cilium + f"""
protocol bgp tor6 {{
  local as {asn};
  neighbor {t6} as {tor_as};
  ipv6 {{ import filter from_tor6; export filter to_tor; }};
}}
protocol bgp tor4 {{
  local as {asn};
  neighbor {t4} as {tor_as};
  ipv4 {{ import filter from_tor4; export filter to_tor; }};
}}
"""


CILIUM_BIRD = cilium_bird_resources(COMMUNITY)


# ---- writing ------------------------------------------------------------------------------------

def write(root: Path, n: int, design: str, broken: bool = False) -> Path:
    """Write the snapshot of `design` with `n` nodes under `root`."""
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}")
    for d in ("frr", "cilium", "kubernetes") + (("bird",) if design == "bird-tor" else ()):
        (root / d).mkdir(parents=True, exist_ok=True)
    nr = racks(n)
    hosts: list[str] = []
    segs = ['  underlay: {prefixes: [10.0.0.0/16, "fd00::/64"]}']
    core = "rr" if design == "tor-rr" else "spine"
    for j in range(2):
        hosts.append(f"  {core}{j}:\n    role: router\n    interfaces:\n      eth0: {{addresses: [10.0.0.{j + 1}/16, "
                     f"\"fd00::{j + 1:x}/64\"], segment: underlay}}")
        conf = _rr_conf(j) if design == "tor-rr" else _spine_conf(j, n)
        (root / "frr" / f"{core}{j}.conf").write_text(conf)
    for r in range(nr):
        u6, u4 = tor_underlay(r)
        t6, t4 = tor_rack_addr(r)
        hosts.append(f"  tor{r}:\n    role: router\n    interfaces:\n      eth0: {{addresses: [{u4}/16, \"{u6}/64\"], "
                     f"segment: underlay}}\n      eth1: {{addresses: [{t4}/24, \"{t6}/64\"], segment: rack{r}}}")
        segs.append(f"  rack{r}: {{prefixes: [10.1.{r}.0/24, \"fd00:1:{r:x}::/64\"]}}")
        conf = _tor_rr_conf(r, broken) if design == "tor-rr" else _tor_bird_conf(r)
        (root / "frr" / f"tor{r}.conf").write_text(conf)
    items = []
    for i in range(n):
        v6, v4 = node_addr(i)
        p6, p4 = pods(i)
        r = i // RACK
        label = f"rack: r{r}" if design == "tor-rr" else "bgp: bird"
        items.append(f"""- apiVersion: v1
  kind: Node
  metadata:
    name: node{i}
    labels: {{{label}, kubernetes.io/hostname: node{i}}}
  spec:
    podCIDRs: [{p4}, "{p6}"]
  status:
    addresses:
    - {{type: InternalIP, address: {v4}}}
    - {{type: InternalIP, address: "{v6}"}}""")
        if design == "tor-rr":
            t6, t4 = tor_rack_addr(r)
            hosts.append(f"  node{i}: {{routes: [default via {t4}, default via {t6}]}}")
        else:
            (root / "bird" / f"node{i}.conf").write_text(_bird_node(i, broken))
    (root / "kubernetes" / "nodes.yaml").write_text("apiVersion: v1\nkind: List\nitems:\n" + "\n".join(items) + "\n")
    (root / "cilium" / "values.yaml").write_text(CILIUM_VALUES)
    (root / "cilium" / "bgp.yaml").write_text(_cilium_tor_rr(n) if design == "tor-rr" else CILIUM_BIRD)
    (root / "podpath.yaml").write_text("versions:\n  cilium: 1.18.6\n  frr: 10.3\n  bird: 2.17.1\nhosts:\n"
                                       + "\n".join(hosts) + "\nsegments:\n" + "\n".join(segs) + "\n")
    return root


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--broken"]
    if len(args) < 2:
        sys.exit(__doc__)
    write(Path(args[0]), int(args[1]), args[2] if len(args) > 2 else "tor-rr", "--broken" in sys.argv)
