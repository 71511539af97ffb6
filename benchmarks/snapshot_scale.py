"""End-to-end scale benchmark: a generated snapshot on disk, read, simulated and checked.

Writes a cluster of N Talos/Cilium nodes the way a user has it in a repository: Node objects
(dual-stack pod CIDRs and InternalIPs), Cilium Helm values and BGP resources (one
CiliumBGPClusterConfig for every node, peers `::1` and `127.0.0.1` to BIRD, PodCIDR
advertisement with a large community), one BIRD configuration per node (its own AS, filters
from Cilium and from/to three upstream route servers, kernel export of upstream routes) and
three FRR route servers (listen ranges, inbound route-maps matching pod prefixes and the
community, an outbound route-map). Then `podpath.load`, `snapshot.simulate()` and the
all-pairs pod-route check (rule BGP002).

    python benchmarks/snapshot_scale.py 100 1000 [--keep DIR]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

RR = 3
RR_AS = 4200001000
CILIUM_AS = 4220000000


def node_addr(i: int) -> tuple[str, str]:
    return f"fd00:10::{0x100 + i:x}", f"10.0.{1 + i // 250}.{1 + i % 250}"


def pods(i: int) -> tuple[str, str]:
    return f"fd00:224:{i:x}::/64", f"10.{64 + i // 256}.{i % 256}.0/24"


def bird_conf(i: int) -> str:
    v6, v4 = node_addr(i)
    asn = 4210000000 + i
    ups = []
    for r in range(RR):
        ups.append(f"protocol bgp upstream{r}_v6 from upstream_v6 {{ neighbor fd00:10::{r + 1:x} as {RR_AS}; }}")
        ups.append(f"protocol bgp upstream{r}_v4 from upstream_v4 {{ neighbor 10.0.0.{r + 1} as {RR_AS}; }}")
    return f"""# bird2 on node{i}
log stderr all;
router id {v4};

protocol device {{ scan time 10; }}

protocol kernel kernel4 {{ ipv4 {{ export where proto ~ "upstream*"; }}; }}
protocol kernel kernel6 {{ ipv6 {{ export where proto ~ "upstream*"; }}; }}

filter from_cilium4 {{
  if net ~ [ 10.64.0.0/10{{24,24}} ] then accept;
  reject;
}}
filter from_cilium6 {{
  if net ~ [ fd00:224::/32{{64,64}} ] then accept;
  reject;
}}
filter to_upstream {{
  if proto = "cilium4" || proto = "cilium6" then {{
    bgp_large_community.add(({RR_AS}, 0, 100));
    accept;
  }}
  reject;
}}
filter from_upstream4 {{
  if net ~ [ 10.0.0.0/16+ ] then reject;
  if bgp_path.len > 6 then reject;
  accept;
}}
filter from_upstream6 {{
  if net ~ [ fd00:10::/64+ ] then reject;
  if bgp_path.len > 6 then reject;
  accept;
}}

protocol bgp cilium6 {{
  local ::1 as {asn}; neighbor ::1 as {CILIUM_AS}; multihop 2; passive on;
  ipv6 {{ import filter from_cilium6; export none; }};
}}
protocol bgp cilium4 {{
  local 127.0.0.1 as {asn}; neighbor 127.0.0.1 as {CILIUM_AS}; multihop 2; passive on;
  ipv4 {{ import filter from_cilium4; export none; }};
}}

template bgp upstream_v6 {{
  local as {asn};
  ipv6 {{ import filter from_upstream6; export filter to_upstream; }};
}}
template bgp upstream_v4 {{
  local as {asn};
  ipv4 {{ import filter from_upstream4; export filter to_upstream; }};
}}
{chr(10).join(ups)}
"""


def frr_conf(r: int, n: int) -> str:
    return f"""frr version 10.3
frr defaults traditional
hostname rr{r}
!
router bgp {RR_AS}
 bgp router-id 10.0.0.{r + 1}
 no bgp default ipv4-unicast
 bgp listen limit {max(100, 2 * n + 10)}
 neighbor NODES6 peer-group
 neighbor NODES6 remote-as external
 neighbor NODES4 peer-group
 neighbor NODES4 remote-as external
 bgp listen range fd00:10::/64 peer-group NODES6
 bgp listen range 10.0.0.0/16 peer-group NODES4
 !
 address-family ipv4 unicast
  neighbor NODES4 activate
  neighbor NODES4 route-map RM_NODES_IN_V4 in
  neighbor NODES4 route-map RM_NODES_OUT out
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor NODES6 activate
  neighbor NODES6 route-map RM_NODES_IN_V6 in
  neighbor NODES6 route-map RM_NODES_OUT out
 exit-address-family
exit
!
ip prefix-list PL_PODS_V4 seq 10 permit 10.64.0.0/10 ge 24 le 24
ipv6 prefix-list PL_PODS_V6 seq 10 permit fd00:224::/32 ge 64 le 64
bgp large-community-list standard LC_K8S permit {RR_AS}:0:100
!
route-map RM_NODES_IN_V4 permit 10
 match ip address prefix-list PL_PODS_V4
 match large-community LC_K8S
exit
route-map RM_NODES_IN_V4 deny 999
exit
route-map RM_NODES_IN_V6 permit 10
 match ipv6 address prefix-list PL_PODS_V6
 match large-community LC_K8S
exit
route-map RM_NODES_IN_V6 deny 999
exit
route-map RM_NODES_OUT permit 10
 set local-preference 100
exit
"""


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


def pod_cidr_advertisement(community: str) -> str:
    """The PodCIDR advertisement every peer config selects (`advertise: bgp`), tagged with a large community."""
    return f"""apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata:
  name: pod-cidr
  labels:
    advertise: bgp
spec:
  advertisements:
    - advertisementType: PodCIDR
      attributes:
        communities:
          large: ["{community}"]
"""


def cilium_bird_resources(community: str) -> str:
    """Cilium BGP resources for a BIRD on every node: peers ::1 and 127.0.0.1, one peer config per family."""
    return f"""apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata:
  name: bird-localhost
spec:
  nodeSelector:
    matchLabels:
      bgp: "bird"
  bgpInstances:
    - name: cilium
      localASN: {CILIUM_AS}
      peers:
        - name: bird6
          peerAddress: "::1"
          peerConfigRef:
            name: bird6
        - name: bird4
          peerAddress: "127.0.0.1"
          peerConfigRef:
            name: bird4
---
""" + "".join(f"""apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata:
  name: bird{v}
spec:
  families:
    - afi: ipv{v}
      safi: unicast
      advertisements:
        matchLabels:
          advertise: bgp
---
""" for v in (6, 4)) + pod_cidr_advertisement(community)


CILIUM_BGP = cilium_bird_resources(f"{RR_AS}:0:100")


def write_snapshot(n: int, root: Path) -> Path:
    (root / "bird").mkdir(parents=True, exist_ok=True)
    (root / "frr").mkdir(exist_ok=True)
    (root / "cilium").mkdir(exist_ok=True)
    (root / "kubernetes").mkdir(exist_ok=True)
    hosts = []
    for r in range(RR):
        hosts.append(f"  rr{r}:\n    role: router\n    interfaces:\n      eth0: {{addresses: [\"fd00:10::{r + 1:x}/64\", "
                     f"10.0.0.{r + 1}/16], segment: lan}}")
        (root / "frr" / f"rr{r}.conf").write_text(frr_conf(r, n))
    (root / "podpath.yaml").write_text("versions:\n  cilium: 1.18.6\n  frr: 10.3\n  bird: 2.17.1\nhosts:\n"
                                       + "\n".join(hosts) + "\nsegments:\n  lan: {prefixes: [\"fd00:10::/64\", 10.0.0.0/16]}\n")
    (root / "cilium" / "values.yaml").write_text(CILIUM_VALUES)
    (root / "cilium" / "bgp.yaml").write_text(CILIUM_BGP)
    items = []
    for i in range(n):
        v6, v4 = node_addr(i)
        p6, p4 = pods(i)
        items.append(f"""- apiVersion: v1
  kind: Node
  metadata:
    name: node{i}
    labels: {{bgp: bird, kubernetes.io/hostname: node{i}}}
  spec:
    podCIDRs: [{p4}, "{p6}"]
  status:
    addresses:
    - {{type: InternalIP, address: {v4}}}
    - {{type: InternalIP, address: "{v6}"}}""")
        (root / "bird" / f"node{i}.conf").write_text(bird_conf(i))
    (root / "kubernetes" / "nodes.yaml").write_text("apiVersion: v1\nkind: List\nitems:\n" + "\n".join(items) + "\n")
    return root


def run(n: int, keep: Path | None = None) -> dict[str, object]:
    import podpath
    from podpath.util import paused_gc

    with tempfile.TemporaryDirectory(prefix="podpath-scale-") as tmp:
        root = keep or Path(tmp)
        t0 = time.perf_counter()
        write_snapshot(n, root)
        t1 = time.perf_counter()
        snap = podpath.load(root)
        errors = [str(d) for d in snap.diagnostics.errors]
        t2 = time.perf_counter()
        with paused_gc():
            res = snap.simulate()
        t3 = time.perf_counter()
        with paused_gc():
            result = snap.check(["BGP002"])
        t4 = time.perf_counter()
    findings = [f for f in result.findings if f.rule == "BGP002"]  # type: ignore[attr-defined]
    up = sum(1 for s in res.sessions if s.up)
    return {"nodes": n, "write_s": t1 - t0, "load_s": t2 - t1, "simulate_s": t3 - t2, "check_bgp002_s": t4 - t3,
            "total_s": t4 - t1, "sessions_up": up, "sessions": len(res.sessions), "bgp002_findings": len(findings),
            "load_errors": len(errors), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    args = sys.argv[1:]
    keep = None
    if "--keep" in args:
        k = args.index("--keep")
        keep = Path(args[k + 1])
        del args[k:k + 2]
    for arg in args or ["100"]:
        r = run(int(arg), keep)
        print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()), flush=True)
