"""Talos machine-config patches: a base and per-node patches (strategic merge and JSON6902) composed per node,
each patched value citing the patch file's line; talhelper's talconfig.yaml; a patch alone."""

from __future__ import annotations

import subprocess
import sys

BASE = """\
version: v1alpha1
machine:
  type: controlplane
  install:
    image: ghcr.io/siderolabs/installer:v1.10.3
  network:
    interfaces:
      - interface: eth0
        mtu: 1500
        dhcp: false
cluster:
  network:
    cni: {name: none}
    podSubnets: [10.244.0.0/16]
    serviceSubnets: [10.96.0.0/12]
  proxy:
    disabled: false
"""

COMMON = """\
cluster:
  network:
    podSubnets: [10.42.0.0/16]
  proxy:
    disabled: true
machine:
  network:
    interfaces:
      - interface: eth0
        mtu: 9000
"""

CP1 = """\
machine:
  network:
    hostname: cp1
    interfaces:
      - interface: eth0
        addresses: [10.0.0.11/24]
"""

CP2 = """\
- op: add
  path: /machine/network/hostname
  value: cp2
- op: add
  path: /machine/network/interfaces/0/addresses
  value: [10.0.0.12/24]
- op: add
  path: /machine/network/interfaces/-
  value:
    interface: eth1
    addresses: [192.168.1.12/24]
"""


def files() -> dict[str, str]:
    return {"talos/controlplane.yaml": BASE, "talos/patches/common.yaml": COMMON,
            "talos/nodes/cp1.yaml": CP1, "talos/nodes/cp2.yaml": CP2}


def where(loc) -> tuple[str, int]:
    return (loc.file, loc.line)


def test_base_with_shared_and_per_node_patches(make_snapshot):
    snap = make_snapshot(files())
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics]
    cl = snap.cluster
    cp1, cp2 = cl.hosts["cp1"].interfaces, cl.hosts["cp2"].interfaces
    # strategic: the node's eth0 item merges into the base's eth0; the shared patch's mtu wins over the base's
    assert [str(a.value) for a in cp1["eth0"].addresses] == ["10.0.0.11/24"]
    assert where(cp1["eth0"].addresses[0].loc) == ("talos/nodes/cp1.yaml", 6)
    assert cp1["eth0"].mtu.value == 9000 and where(cp1["eth0"].mtu.loc) == ("talos/patches/common.yaml", 10)
    # JSON6902: an added list under the base's item, and an appended interface
    assert [str(a.value) for a in cp2["eth0"].addresses] == ["10.0.0.12/24"]
    assert where(cp2["eth0"].addresses[0].loc) == ("talos/nodes/cp2.yaml", 6)
    assert [str(a.value) for a in cp2["eth1"].addresses] == ["192.168.1.12/24"]
    assert where(cp2["eth1"].loc) == ("talos/nodes/cp2.yaml", 10)
    # a value no patch touches keeps the base's location
    assert cp2["eth0"].mtu.value == 9000
    # podSubnets is replaced on merge, not appended
    assert [str(p.value) for p in cl.pod_subnets] == ["10.42.0.0/16"]
    assert where(cl.pod_subnets[0].loc) == ("talos/patches/common.yaml", 3)
    assert cl.talos.proxy_disabled.value is True
    assert where(cl.talos.proxy_disabled.loc) == ("talos/patches/common.yaml", 5)
    assert "talos/nodes/cp1.yaml" in cl.hosts["cp1"].files and "talos/controlplane.yaml" in cl.hosts["cp1"].files
    kinds = {f.path: f.kind for f in snap.files}
    assert kinds["talos/nodes/cp2.yaml"] == "talos-patch" and kinds["talos/patches/common.yaml"] == "talos-patch"


def test_patch_delete_and_lists_append(make_snapshot):
    cp1 = CP1 + """\
      - interface: eth0
        addresses: [10.0.0.111/24]
      - interface: eth9
        $patch: delete
"""
    base = BASE.replace("        dhcp: false\n", "        dhcp: false\n      - interface: eth9\n"
                                                   "        addresses: [172.16.0.1/24]\n")
    snap = make_snapshot({"talos/controlplane.yaml": base, "talos/nodes/cp1.yaml": cp1})
    ifaces = snap.cluster.hosts["cp1"].interfaces
    assert "eth9" not in ifaces
    assert [str(a.value) for a in ifaces["eth0"].addresses] == ["10.0.0.11/24", "10.0.0.111/24"]  # appended


def test_json6902_on_a_missing_path_is_an_error(make_snapshot):
    bad = "- op: replace\n  path: /machine/network/nameservers/0\n  value: 10.0.0.1\n" \
          "- op: add\n  path: /machine/network/hostname\n  value: cp3\n"
    snap = make_snapshot({"talos/controlplane.yaml": BASE, "talos/nodes/cp3.yaml": bad})
    errs = [d for d in snap.diagnostics.errors if d.loc.file == "talos/nodes/cp3.yaml"]
    assert len(errs) == 1 and errs[0].loc.line == 1 and "Talos rejects the patch" in errs[0].message


def test_patch_alone_contributes_what_it_sets(make_snapshot):
    snap = make_snapshot({"talos/cp1.yaml": CP1})
    eth0 = snap.cluster.hosts["cp1"].interfaces["eth0"]
    assert [str(a.value) for a in eth0.addresses] == ["10.0.0.11/24"]
    assert where(eth0.addresses[0].loc) == ("talos/cp1.yaml", 6)
    # a shared patch with no base and no node: read alone, said so, never exit 2
    snap2 = make_snapshot({"common.yaml": COMMON}, "alone")
    assert [str(p.value) for p in snap2.cluster.pod_subnets] == ["10.42.0.0/16"]
    assert not snap2.diagnostics.errors


def test_talhelper_talconfig_places_patches(make_snapshot):
    talconfig = """\
clusterName: home
talosVersion: v1.10.3
endpoint: https://10.0.0.10:6443
clusterPodNets: [10.244.0.0/16]
cniConfig: {name: none}
patches:
  - "@./patches/common.yaml"
nodes:
  - hostname: cp1
    ipAddress: 10.0.0.11
    controlPlane: true
    networkInterfaces:
      - interface: eth0
        addresses: [10.0.0.11/24]
  - hostname: wk1
    ipAddress: 10.0.0.21
    controlPlane: false
    patches:
      - "@./patches/wk1.yaml"
"""
    wk1 = "machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [10.0.0.21/24]\n"
    snap = make_snapshot({"talconfig.yaml": talconfig, "patches/common.yaml": COMMON, "patches/wk1.yaml": wk1})
    assert not snap.diagnostics.errors, [d.render() for d in snap.diagnostics]
    cp1 = snap.cluster.hosts["cp1"].interfaces["eth0"]
    assert where(cp1.addresses[0].loc) == ("talconfig.yaml", 14)
    assert cp1.mtu.value == 9000  # the global patch merged into the node's interface
    wk = snap.cluster.hosts["wk1"].interfaces["eth0"]
    assert [str(a.value) for a in wk.addresses] == ["10.0.0.21/24"]
    assert where(wk.addresses[0].loc) == ("patches/wk1.yaml", 5)
    # clusterPodNets, then the global patch replaces podSubnets
    assert [str(p.value) for p in snap.cluster.pod_subnets] == ["10.42.0.0/16"]


def test_manifest_names_which_base_and_patches_a_host_uses(make_snapshot):
    worker = BASE.replace("type: controlplane", "type: worker")
    manifest = "hosts:\n  n7:\n    files: [talos/worker.yaml, talos/extra/n7-net.yaml]\n"
    patch = "machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [10.0.0.77/24]\n"
    snap = make_snapshot({"podpath.yaml": manifest, "talos/controlplane.yaml": BASE, "talos/worker.yaml": worker,
                          "talos/extra/n7-net.yaml": patch})
    eth0 = snap.cluster.hosts["n7"].interfaces["eth0"]
    assert [str(a.value) for a in eth0.addresses] == ["10.0.0.77/24"] and eth0.mtu.value == 1500
    assert where(eth0.mtu.loc) == ("talos/worker.yaml", 9)


def test_cilium_values_with_cluster_key_are_not_a_talos_patch(make_snapshot):
    values = "cluster:\n  name: c1\n  id: 1\nroutingMode: native\n"
    snap = make_snapshot({"values.yaml": values})
    assert {f.kind for f in snap.files} == {"cilium-helm-values"}


def test_cli_never_exits_2_on_talos_patches(make_snapshot, tmp_path):
    make_snapshot(files(), "cli")
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "check", str(tmp_path / "cli")], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Summary: no findings" in r.stdout
