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


EXTENSION = """
version: v1alpha1
machine:
  type: worker
  network:
    hostname: wk1
    interfaces:
      - interface: ens18
        addresses: [10.0.0.21/24]
cluster:
  network:
    cni: {name: none}
    podSubnets: [10.244.0.0/16]
---
apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: bird2
configFiles:
  - content: |
      router id 10.0.0.21;
      protocol device {}
      protocol bgp upstream {
        local as 65010;
        neighbor 10.0.0.1 as 65000;
        ipv4 { import all; export all; };
      }
    mountPath: /usr/local/etc/bird.conf
  - content: "LOG_LEVEL=debug"
    mountPath: /usr/local/etc/bird.env
"""


def test_extension_service_config_bird(make_snapshot):
    snap = make_snapshot({"talos/wk1.yaml": EXTENSION})
    birds = [r for r in snap.routers if r.dialect == "bird"]
    assert len(birds) == 1 and birds[0].host == "wk1" and birds[0].file == "talos/wk1.yaml"
    speakers = birds[0].config
    proto = next(p for p in speakers.protocols if getattr(p, "name", None) == "upstream") \
        if hasattr(speakers, "protocols") else None
    if proto is not None and getattr(proto, "loc", None) is not None:
        assert proto.loc.line == 21  # the protocol's own line in the Talos file
    assert not [d for d in snap.diagnostics.errors]
    kinds = {f.path: f.kind for f in snap.files}
    assert "bird" in kinds["talos/wk1.yaml"]
    assert any("bird.env" in u.statement and not u.affects_routes for u in snap.unsupported)
    assert not any("Talos ExtensionServiceConfig" in u.statement for u in snap.unsupported)


def test_extension_service_config_bad_bird_is_located(make_snapshot):
    snap = make_snapshot({"talos/wk1.yaml": EXTENSION.replace("local as 65010;", "local as ;")})
    errs = [d for d in snap.diagnostics.errors if d.loc.file == "talos/wk1.yaml"]
    assert any((e.loc.line, e.loc.col) == (22, 15) and "expected a number" in e.message for e in errs), errs
