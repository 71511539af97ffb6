"""Cilium BGP resources: what podpath does not model is listed with its location."""

from pathlib import Path

import podpath

BGP = """\
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata:
  name: cc
spec:
  bgpInstances:
    - name: i
      localASN: 65010
      peers:
        - name: tor
          peerAddress: "fd00::1"
          peerASN: 65000
          peerConfigRef:
            name: pc
---
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata:
  name: pc
spec:
  ebgpMultihop: 2
  timers:
    holdTimeSeconds: 9
  gracefulRestart:
    enabled: true
  families:
    - afi: ipv6
      safi: unicast
      advertisements:
        matchLabels: {advertise: bgp}
      routeAggregation: true
"""


def test_unmodelled_cilium_bgp_fields_are_listed(tmp_path: Path) -> None:
    (tmp_path / "bgp.yaml").write_text(BGP)
    snap = podpath.load(tmp_path)
    got = {(u.statement, u.loc.line, u.affects_routes) for u in snap.unsupported}
    assert ("CiliumBGPPeerConfig.spec.timers", 22, False) in got
    assert ("CiliumBGPPeerConfig.spec.gracefulRestart", 24, False) in got
    assert ("CiliumBGPPeerConfig.spec.families[].routeAggregation", 31, True) in got
    # modelled fields are not listed
    assert not any("ebgpMultihop" in s or "ClusterConfig" in s for s, _, _ in got)
