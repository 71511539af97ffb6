"""The snapshots tests/test_htmlreport.py and tests/test_report_screenshot.py render: seed 004 and a small
fixture with one session of each state."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import podpath
from podpath import htmlreport

SEED004 = Path(__file__).resolve().parent.parent / "examples" / "seed004-bgp-pod-cidr" / "before-fix"

# tor (FRR) and spine (FRR) on a fabric segment, n1 and n2 (BIRD) on the rack segment with tor: n1's session
# is up, n2 uses an AS tor does not expect (down), tor-spine is iBGP between loopbacks that only OpenFabric
# (not modelled) connects (unknown).
FIXTURE = {
    "podpath.yaml": """
        versions: {frr: 8.4.4, bird: 2.0.12}
        hosts:
          tor:
            role: router
            interfaces:
              eth0: {addresses: [10.0.0.1/24], segment: rack}
              eth1: {addresses: [10.9.0.1/24], segment: fabric}
          spine:
            role: router
            interfaces:
              eth0: {addresses: [10.9.0.2/24], segment: fabric}
          NODE1: {interfaces: {eth0: {addresses: [10.0.0.11/24], segment: rack}}}
          n2: {interfaces: {eth0: {addresses: [10.0.0.12/24], segment: rack}}}
        segments:
          rack: {prefixes: [10.0.0.0/24]}
          fabric: {prefixes: [10.9.0.0/24]}
        """,
    "frr/tor.conf": """
        frr version 8.4.4
        hostname tor
        interface eth0
         ip address 10.0.0.1/24
        !
        interface eth1
         ip address 10.9.0.1/24
        !
        interface lo
         ip address 10.255.0.1/32
        !
        router bgp 65000
         bgp router-id 10.0.0.1
         no bgp ebgp-requires-policy
         neighbor 10.0.0.11 remote-as 65011
         neighbor 10.0.0.12 remote-as 65012
         neighbor 10.255.0.2 remote-as internal
         neighbor 10.255.0.2 update-source lo
        exit
        !
        router openfabric 1
         net 49.0001.0000.0000.0001.00
        exit
        !
        """,
    "frr/spine.conf": """
        frr version 8.4.4
        hostname spine
        interface eth0
         ip address 10.9.0.2/24
        !
        interface lo
         ip address 10.255.0.2/32
        !
        router bgp 65000
         bgp router-id 10.255.0.2
         neighbor 10.255.0.1 remote-as internal
         neighbor 10.255.0.1 update-source lo
        exit
        !
        router openfabric 1
         net 49.0001.0000.0000.0002.00
        exit
        !
        """,
    "bird/NODE1.conf": """
        router id 10.0.0.11;
        protocol device { scan time 10; }
        protocol static pods { ipv4; route 10.244.1.0/24 blackhole; }
        protocol kernel { ipv4 { export where proto = "tor"; }; }
        protocol bgp tor {
          local 10.0.0.11 as 65011;
          neighbor 10.0.0.1 as 65000;
          ipv4 { import all; export where proto = "pods"; };
        }
        """,
    "bird/n2.conf": """
        router id 10.0.0.12;
        protocol device { scan time 10; }
        protocol static pods { ipv4; route 10.244.2.0/24 blackhole; }
        protocol kernel { ipv4 { export where proto = "tor"; }; }
        protocol bgp tor {
          local 10.0.0.12 as 65099;
          neighbor 10.0.0.1 as 65000;
          ipv4 { import all; export where proto = "pods"; };
        }
        """,
    "kubernetes/nodes.yaml": """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Node
          metadata: {name: NODE1}
          spec: {podCIDRs: [10.244.1.0/24]}
          status: {addresses: [{type: InternalIP, address: 10.0.0.11}]}
        - apiVersion: v1
          kind: Node
          metadata: {name: n2}
          spec: {podCIDRs: [10.244.2.0/24]}
          status: {addresses: [{type: InternalIP, address: 10.0.0.12}]}
        """,
}

def write(root: Path, files: dict[str, str], node1: str = "n1") -> Path:
    for rel, text in files.items():
        p = root / rel.replace("NODE1", node1)
        p.parent.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(text).lstrip("\n")
        p.write_text(text.replace("NODE1", f"'{node1}'") if rel.endswith(".yaml") else text)
    return root


def report_of(root: Path) -> tuple[Any, str]:
    snap = podpath.load(root)
    report = snap.check()
    return snap, htmlreport.render(snap, report)
