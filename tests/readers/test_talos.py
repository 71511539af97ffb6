MACHINE = """
version: v1alpha1
machine:
  type: controlplane
  install:
    image: ghcr.io/siderolabs/installer:v1.12.1
  network:
    hostname: cp1
    interfaces:
      - interface: ens18
        addresses: [10.0.0.11/24, "fd00::11/64"]
        mtu: 1450
  features:
    hostDNS:
      forwardKubeDNSToHost: true
cluster:
  network:
    cni: {name: none}
    podSubnets: ["fd00:244::/56", 10.244.0.0/16]
    serviceSubnets: ["fd00:96::/108", 10.96.0.0/12]
  proxy:
    disabled: true
---
apiVersion: v1alpha1
kind: HostnameConfig
hostname: cp1-new
"""


def test_machine_config(make_snapshot):
    snap = make_snapshot({"cp1.yaml": MACHINE})
    cl = snap.cluster
    assert [str(p.value) for p in cl.pod_subnets] == ["fd00:244::/56", "10.244.0.0/16"]
    assert cl.pod_subnets[0].loc.line == 18
    assert cl.talos.version.value == "1.12.1" and cl.talos.proxy_disabled.value is True
    assert cl.talos.forward_kube_dns_to_host.value is True
    host = cl.hosts["cp1-new"]  # the HostnameConfig document wins (later document)
    assert host.interfaces["ens18"].mtu.value == 1450


def test_bad_mtu(make_snapshot):
    snap = make_snapshot({"cp1.yaml": MACHINE.replace("mtu: 1450", "mtu: big")})
    assert any("MTU 'big' is not an integer" in d.message for d in snap.diagnostics.errors)
