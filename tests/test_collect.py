"""`podpath collect` against stub kubectl/helm/talosctl/hubble/vtysh executables on PATH: the files it writes,
what it lists as not collected, that podpath reads the result, and that no Secret or password leaves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import podpath

# Global flags the stubs accept anywhere (and log), so that the tables below name only the request.
STUB = """#!{python}
import json, os, sys
name = os.path.basename(sys.argv[0])
args, flags, i = [], [], 1
while i < len(sys.argv):
    a = sys.argv[i]
    if a in ("--context", "--kubeconfig", "--kube-context", "--talosconfig"):
        flags += [a, sys.argv[i + 1]]
        i += 2
        continue
    args.append(a)
    i += 1
here = os.path.dirname(os.path.abspath(sys.argv[0]))
with open(os.path.join(here, "calls.log"), "a") as log:
    log.write(json.dumps([name] + flags + args) + "\\n")
table = json.load(open(os.path.join(here, name + ".json")))
key = " ".join(args)
if key not in table:
    sys.stderr.write("stub " + name + ": unexpected arguments: " + key + "\\n")
    sys.exit(1)
rc, out, err = table[key]
sys.stdout.write(out)
sys.stderr.write(err)
sys.exit(rc)
"""

NODES = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: n1
    labels: {kubernetes.io/hostname: n1}
    managedFields:
    - manager: kubelet
      time: "2026-01-01T00:00:00Z"
  spec:
    podCIDRs: [10.244.1.0/24]
  status:
    addresses:
    - {type: InternalIP, address: 10.0.0.11}
    images:
    - names: [registry.example/huge-image:1]
- apiVersion: v1
  kind: Node
  metadata:
    name: n2
    labels: {kubernetes.io/hostname: n2}
  spec:
    podCIDRs: [10.244.2.0/24]
  status:
    addresses:
    - {type: InternalIP, address: 10.0.0.12}
"""
PODS = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: cilium-aaaaa, namespace: kube-system, labels: {k8s-app: cilium}}
  spec: {nodeName: n1, hostNetwork: true, containers: [{name: cilium-agent, image: quay.io/cilium/cilium:v1.16.5}]}
  status: {phase: Running, podIP: 10.0.0.11, podIPs: [{ip: 10.0.0.11}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: cilium-bbbbb, namespace: kube-system, labels: {k8s-app: cilium}}
  spec: {nodeName: n2, hostNetwork: true, containers: [{name: cilium-agent, image: quay.io/cilium/cilium:v1.16.5}]}
  status: {phase: Running, podIP: 10.0.0.12, podIPs: [{ip: 10.0.0.12}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: default, labels: {app: web}}
  spec:
    nodeName: n2
    containers:
    - name: web
      image: nginx
      env: [{name: DB_PASSWORD, value: envvalue-not-for-snapshots}]
  status: {phase: Running, podIP: 10.244.2.10, podIPs: [{ip: 10.244.2.10}]}
"""
EMPTY = "apiVersion: v1\nkind: List\nitems: []\n"
# A tool (or an aggregated API) that returns a Secret among what was asked for: it must not be written.
POLICIES_WITH_SECRET = """\
apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: deny-all, namespace: default}
  spec: {podSelector: {}, policyTypes: [Ingress]}
- apiVersion: v1
  kind: Secret
  metadata: {name: bgp-auth, namespace: kube-system}
  data: {password: c2VjcmV0LWJncC1wYXNzd29yZA==}
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cilium-config
  namespace: kube-system
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"big": "copy"}'
data:
  routing-mode: native
  ipv4-native-routing-cidr: 10.244.0.0/16
  enable-bgp-control-plane: "true"
"""
BGP_CLUSTER = """\
apiVersion: v1
kind: List
items:
- apiVersion: cilium.io/v2alpha1
  kind: CiliumBGPClusterConfig
  metadata: {name: tor}
  spec:
    bgpInstances:
    - name: i65010
      localASN: 65010
      peers:
      - {name: pve01, peerASN: 65000, peerAddress: 10.0.0.1, peerConfigRef: {name: pve}}
"""
HELM = """\
routingMode: native
ipv4NativeRoutingCIDR: 10.244.0.0/16
bgpControlPlane:
  enabled: true
hubble:
  tls:
    server:
      key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmhlbG1rZXltYXRlcmlhbA==
"""
STATUS_N1 = """\
KubeProxyReplacement:    True   [eth0   10.0.0.11]
Cilium:                  Ok   1.16.5 (v1.16.5-ad688277)
Routing:                 Network: Native   Host: BPF
Masquerading:            BPF   [eth0]   10.244.0.0/16 [IPv4: Enabled, IPv6: Disabled]
IPAM:                    IPv4: 5/254 allocated from 10.244.1.0/24,
"""
STATUS_N2 = STATUS_N1.replace("10.0.0.11", "10.0.0.12").replace("10.244.1.0/24", "10.244.2.0/24")
TALOS_CONFIG = """\
version: v1alpha1
machine:
  type: worker
  token: talos-machine-token-abcdef
  ca:
    crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmNydA==
    key: LS0tLS1CRUdJTiBFRDI1NTE5IFBSSVZBVEUgS0VZLS0tLS0KdGFsb3NrZXk=
  install: {image: "ghcr.io/siderolabs/installer:v1.9.2"}
  network: {hostname: n1}
cluster:
  secret: talos-cluster-secret-value
  network:
    cni: {name: none}
    podSubnets: [10.244.0.0/16]
    serviceSubnets: [10.96.0.0/12]
"""
TALOS_ROUTES = """\
node: 10.0.0.11
metadata:
    namespace: network
    type: RouteStatuses.net.talos.dev
    id: inet4/10.0.0.1//1024
    version: 1
    owner: network.RouteStatusController
    phase: running
spec:
    family: inet4
    dst: ""
    src: 10.0.0.11
    gateway: 10.0.0.1
    outLinkName: eth0
    table: main
    priority: 1024
    scope: global
    type: unicast
    protocol: dhcp
"""
FRR = """\
Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname pve01
!
router bgp 65000
 bgp router-id 10.0.0.1
 no bgp ebgp-requires-policy
 neighbor 10.0.0.11 remote-as 65010
 neighbor 10.0.0.11 password hunter2-bgp-secret
 neighbor 10.0.0.12 remote-as 65010
 neighbor 10.0.0.12 password hunter2-bgp-secret
exit
!
end
"""
FRR_BGP4 = json.dumps({"default": {"vrfId": 0, "vrfName": "default", "routerId": "10.0.0.1", "localAS": 65000,
                                   "routes": {}}})
HUBBLE = json.dumps({"flow": {"time": "2026-12-01T10:00:00Z", "verdict": "FORWARDED", "node_name": "n1",
                              "IP": {"source": "10.244.1.5", "destination": "10.244.2.10", "ipVersion": "IPv4"},
                              "l4": {"TCP": {"source_port": 40000, "destination_port": 80}},
                              "source": {"namespace": "default", "pod_name": "client"},
                              "destination": {"namespace": "default", "pod_name": "web-1"},
                              "Type": "L3_L4", "event_type": {"type": 4}, "traffic_direction": "EGRESS",
                              "is_reply": False}}) + "\n"

IP_ROUTE = """\
default via 10.0.0.254 dev vmbr0 proto static
10.0.0.0/24 dev vmbr0 proto kernel scope link src 10.0.0.1
local 10.0.0.1 dev vmbr0 table local proto kernel scope host src 10.0.0.1
"""
NOT_INSTALLED = [1, "", 'error: the server doesn\'t have a resource type "ciliumnodes"\n']


def kubectl_table() -> dict[str, list]:
    ok = lambda text: [0, text, ""]  # noqa: E731
    t = {
        "get nodes -o yaml": ok(NODES),
        "get namespaces -o yaml": ok(EMPTY),
        "get services -A -o yaml": ok(EMPTY),
        "get endpointslices.discovery.k8s.io -A -o yaml": ok(EMPTY),
        "get pods -A -o yaml": ok(PODS),
        "get networkpolicies.networking.k8s.io -A -o yaml": ok(POLICIES_WITH_SECRET),
        "get ciliumnodes.cilium.io -o yaml": NOT_INSTALLED,
        "get ciliumendpoints.cilium.io -A -o yaml": ok(EMPTY),
        "get ciliumnetworkpolicies.cilium.io -A -o yaml": ok(EMPTY),
        "get ciliumclusterwidenetworkpolicies.cilium.io -o yaml": ok(EMPTY),
        "api-resources --api-group=cilium.io -o name": ok("ciliumbgpclusterconfigs.cilium.io\n"
                                                          "ciliumbgppeerconfigs.cilium.io\n"
                                                          "ciliumnetworkpolicies.cilium.io\n"),
        "get ciliumbgpclusterconfigs.cilium.io -o yaml": ok(BGP_CLUSTER),
        "get ciliumbgppeerconfigs.cilium.io -o yaml": ok(EMPTY),
        "get configmap cilium-config -n kube-system -o yaml": ok(CONFIGMAP),
        "-n kube-system exec cilium-aaaaa -c cilium-agent -- cilium-dbg status": ok(STATUS_N1),
        # an older agent image: no cilium-dbg, `cilium status` instead
        "-n kube-system exec cilium-bbbbb -c cilium-agent -- cilium-dbg status":
            [1, "", 'error: exec: "cilium-dbg": executable file not found in $PATH\n'],
        "-n kube-system exec cilium-bbbbb -c cilium-agent -- cilium status": ok(STATUS_N2),
    }
    return t


def talosctl_table() -> dict[str, list]:
    mc_resource = ("node: 10.0.0.12\nmetadata:\n    namespace: config\n    type: MachineConfigs.config.talos.dev\n"
                   "    id: v1alpha1\nspec: |\n" + textwrap.indent(TALOS_CONFIG.replace("n1", "n2"), "    "))
    return {
        "-n 10.0.0.11 get hostname -o yaml": [0, "node: 10.0.0.11\nmetadata: {id: hostname}\nspec:\n"
                                              "    hostname: n1\n    domainname: \"\"\n", ""],
        "-n 10.0.0.11 read /system/state/config.yaml": [0, TALOS_CONFIG, ""],
        "-n 10.0.0.11 get routes -o yaml": [0, TALOS_ROUTES, ""],
        "-n 10.0.0.12 get hostname -o yaml": [0, "spec:\n    hostname: n2\n", ""],
        "-n 10.0.0.12 read /system/state/config.yaml": [1, "", "rpc error: code = PermissionDenied desc = not "
                                                        "authorized\n"],
        "-n 10.0.0.12 get machineconfig -o yaml": [0, mc_resource, ""],
        "-n 10.0.0.12 get routes -o yaml": [1, "", "rpc error: code = Unavailable desc = connection refused\n"],
    }


def make_stubs(bindir: Path, tables: dict[str, dict[str, list]]) -> None:
    bindir.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        exe = bindir / name
        exe.write_text(STUB.format(python=sys.executable))
        exe.chmod(0o755)
        (bindir / f"{name}.json").write_text(json.dumps(table))


def full_stubs(bindir: Path) -> None:
    make_stubs(bindir, {
        "kubectl": kubectl_table(),
        "helm": {"get values cilium -n kube-system -a -o yaml": [0, HELM, ""]},
        "talosctl": talosctl_table(),
        "hubble": {"observe --last 5 -o json": [0, HUBBLE, ""]},
        "vtysh": {"-c show running-config": [0, FRR, ""],
                  "-c show bgp vrf all ipv4 unicast json": [0, FRR_BGP4, ""],
                  "-c show bgp vrf all ipv6 unicast json": [0, "{}\n", ""]},
        "ip": {"-4 route show table all": [0, IP_ROUTE, ""], "-6 route show table all": [0, "", ""]},
    })


def run_collect(bindir: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=str(bindir))  # only the stubs: the machine's own kubectl/vtysh stay out
    env.pop("COLUMNS", None)
    return subprocess.run([sys.executable, "-m", "podpath.cli", "collect", str(out), *args],
                          capture_output=True, text=True, env=env, timeout=120)


FULL_ARGS = ("--context", "prod", "--talos-nodes", "10.0.0.11,10.0.0.12", "--router", "pve01=",
             "--hubble-last", "5")


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """One collection read by the tests below (none of them changes it): a run of `podpath collect` is ~2 s."""
    tmp_path = tmp_path_factory.mktemp("collected")
    bindir = tmp_path / "bin"
    full_stubs(bindir)
    out = tmp_path / "snap"
    r = run_collect(bindir, out, *FULL_ARGS)
    return bindir, out, r


def test_collect_writes_a_snapshot_podpath_reads(collected):
    bindir, out, r = collected
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [
        "COLLECTED.md", "cilium/values.yaml", "hosts/n1/cilium-status.txt", "hosts/n1/talos-config.yaml",
        "hosts/n1/talos-routes.yaml", "hosts/n2/cilium-status.txt", "hosts/n2/talos-config.yaml",
        "hosts/pve01/frr-bgp-ipv4.json", "hosts/pve01/frr.conf", "hosts/pve01/ip-route.txt", "hubble/observe.json",
        "kubernetes/cilium/bgp/ciliumbgpclusterconfigs.yaml", "kubernetes/cilium/cilium-config.yaml",
        "kubernetes/networkpolicies.yaml", "kubernetes/nodes.yaml", "kubernetes/pods.yaml", "podpath.yaml"]
    snap = podpath.load(out)
    assert not snap.diagnostics.errors, [str(d) for d in snap.diagnostics]
    assert sorted(snap.cluster.nodes) == ["n1", "n2"]
    kinds = {f.path: (f.kind, f.host) for f in snap.files}
    assert kinds["hosts/pve01/frr.conf"] == ("frr", "pve01")
    assert kinds["hosts/pve01/frr-bgp-ipv4.json"][1] == "pve01"
    assert kinds["hosts/pve01/ip-route.txt"] == ("ip-route", "pve01")
    assert kinds["hosts/n1/cilium-status.txt"] == ("cilium-status", "n1")
    assert kinds["hosts/n2/cilium-status.txt"][1] == "n2"
    assert [rc.host for rc in snap.routers] == ["pve01"]
    assert [rib.host for rib in snap.observed_ribs] == ["pve01"]
    assert snap.cluster.hosts["n1"].cilium_status is not None
    assert snap.cilium.routing_mode == "native" and snap.cilium.get("routing-mode").origin == "configmap"
    assert snap.hubble and snap.bgp_objects
    # Pods: identity, labels, node and addresses only; Nodes without their image lists; no managedFields
    pods = (out / "kubernetes/pods.yaml").read_text()
    assert "containers" not in pods and "env" not in pods and "podIPs" in pods and "nodeName: n2" in pods
    nodes = (out / "kubernetes/nodes.yaml").read_text()
    assert "images" not in nodes and "managedFields" not in nodes and "podCIDRs" in nodes
    assert "last-applied-configuration" not in (out / "kubernetes/cilium/cilium-config.yaml").read_text()


def test_collect_lists_what_it_did_not_collect(collected):
    _, out, r = collected
    md = (out / "COLLECTED.md").read_text()
    for text in (r.stdout, md):
        assert "CiliumNodes: not installed in this cluster" in text
        assert "Talos routes of n2: exit status 1: rpc error: code = Unavailable" in text
        assert "BIRD of pve01: birdc not found on PATH" in text
        assert "Kubernetes Secrets: never collected" in text
    assert "Collected at " in md and md.count("20") >= 1
    # the Talos node whose config could not be read directly: the MachineConfig resource instead
    assert "talosctl -n 10.0.0.12 get machineconfig -o yaml" in md
    assert (out / "hosts/n2/talos-config.yaml").read_text().startswith("version: v1alpha1")
    assert "Empty (nothing to collect)" in md and "FRR BGP table (ipv6) of pve01" in md
    # the context reaches kubectl (--context) and helm (--kube-context)
    calls = [json.loads(line) for line in (out.parent / "bin" / "calls.log").read_text().splitlines()]
    assert all(c[1:3] == ["--context", "prod"] for c in calls if c[0] == "kubectl")
    assert all(c[1:3] == ["--kube-context", "prod"] for c in calls if c[0] == "helm")


def test_collect_never_writes_secrets(collected):
    _, out, _ = collected
    text = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for secret in ("c2VjcmV0LWJncC1wYXNzd29yZA==", "secret-bgp-password", "hunter2-bgp-secret",
                   "envvalue-not-for-snapshots", "talos-machine-token-abcdef", "talos-cluster-secret-value",
                   "LS0tLS1CRUdJTiBFRDI1NTE5IFBSSVZBVEUgS0VZLS0tLS0KdGFsb3NrZXk=",
                   "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmhlbG1rZXltYXRlcmlhbA=="):
        assert secret not in text, secret
    assert "kind: Secret" not in text
    assert "neighbor 10.0.0.11 password <redacted>" in (out / "hosts/pve01/frr.conf").read_text()
    assert "1 Secret(s) dropped" in (out / "COLLECTED.md").read_text()


def test_collect_is_deterministic_and_keep_secrets_keeps_them(tmp_path: Path, collected):
    bindir, out, _ = collected
    again = tmp_path / "again"
    assert run_collect(bindir, again, *FULL_ARGS).returncode == 0
    for p in out.rglob("*"):
        if p.is_file() and p.name != "COLLECTED.md":
            assert p.read_bytes() == (again / p.relative_to(out)).read_bytes(), p
    kept = tmp_path / "kept"
    r = run_collect(bindir, kept, *FULL_ARGS, "--keep-secrets")
    assert r.returncode == 0
    assert "password hunter2-bgp-secret" in (kept / "hosts/pve01/frr.conf").read_text()
    assert "Do not share this snapshot" in (kept / "COLLECTED.md").read_text()


def test_collect_without_tools_says_why_and_refuses_a_full_directory(tmp_path: Path):
    bindir = tmp_path / "bin"
    make_stubs(bindir, {})
    out = tmp_path / "snap"
    r = run_collect(bindir, out, "--router", "r1=")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    # one line for the cluster, not one per resource
    assert r.stdout.count("kubectl not found on PATH") == 1
    assert "FRR running configuration of r1: vtysh not found on PATH" in r.stdout
    assert "Talos machine configuration and routes: not requested (--talos-nodes)" in r.stdout
    r = run_collect(bindir, out, "--no-kubernetes")
    assert r.returncode == 2 and "not empty" in r.stderr
    r = run_collect(bindir, tmp_path / "x", "--router", "bad name=ssh x")
    assert r.returncode == 2 and "NAME must be a host name" in r.stderr


def test_router_prefixes_quote_for_ssh_and_per_router_commands():
    from podpath.collect import apply_per_router, parse_router

    a, b = parse_router("pve01=ssh -p 2222 pve01 sudo"), parse_router("lab=ip netns exec ns1")
    apply_per_router([a, b], ["lab=vtysh --vty_socket=/run/x"], "vtysh", "--vtysh")
    apply_per_router([a, b], ["birdc -s /run/bird/b.ctl"], "birdc", "--birdc")
    assert a.argv([*a.vtysh, "-c", "show running-config"]) == ["ssh", "-p", "2222", "pve01", "sudo",
                                                               "vtysh -c 'show running-config'"]
    assert b.argv([*b.vtysh, "-c", "show running-config"]) == ["ip", "netns", "exec", "ns1", "vtysh",
                                                               "--vty_socket=/run/x", "-c", "show running-config"]
    assert b.argv([*b.birdc, "show", "status"])[4:] == ["birdc", "-s", "/run/bird/b.ctl", "show", "status"]


def test_redaction_keeps_files_parseable():
    from podpath.collect import redact_file

    bird = 'protocol bgp a {\n  password "s3cret-pw";\n  neighbor 10.0.0.1 as 1;\n}\n'
    assert 'password "<redacted>";' in redact_file(bird, "bird.conf", yaml=False)
    yml = "tls:\n  ca:\n    key: |\n      LINE-ONE-OF-KEY\n      LINE-TWO-OF-KEY\nname: x\n"
    out = redact_file(yml, "v.yaml", yaml=True)
    assert "LINE-ONE" not in out and "LINE-TWO" not in out and "name: x" in out
    from ruamel.yaml import YAML

    assert YAML(typ="safe").load(out)["name"] == "x"


def test_collect_json_document(tmp_path: Path):
    bindir = tmp_path / "bin"
    full_stubs(bindir)
    r = run_collect(bindir, tmp_path / "snap", "--no-kubernetes", "--router", "pve01=", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "podpath/collect/v1" and doc["redacted"] is True and doc["read_errors"] == []
    assert doc["versions"] == {"frr@pve01": "8.4.4"}
    by_what = {i["what"]: i for i in doc["items"]}
    assert by_what["FRR running configuration of pve01"] == {
        "what": "FRR running configuration of pve01", "status": "collected", "file": "hosts/pve01/frr.conf",
        "command": "vtysh -c 'show running-config'", "host": "pve01"}
    assert by_what["Kubernetes objects, Helm values, cilium status"]["status"] == "not requested"
