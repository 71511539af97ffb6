"""`podpath lab run` / `compare` on a small snapshot: real FRR against the simulator."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(os.geteuid() != 0 or shutil.which("vtysh") is None,
                                 reason="needs root and FRR installed")]

MANIFEST = """
hosts:
  r1: {interfaces: {eth0: {addresses: ["fd00:1::1/64"], segment: lan}}}
  r2: {interfaces: {eth0: {addresses: ["fd00:1::2/64"], segment: lan}}}
segments:
  lan: {prefixes: ["fd00:1::/64"]}
"""
R1 = """
frr version 8.4.4
frr defaults traditional
hostname r1
ipv6 route fd00:99::/64 blackhole
router bgp 65001
 bgp router-id 10.0.0.1
 no bgp ebgp-requires-policy
 neighbor fd00:1::2 remote-as 65002
 address-family ipv6 unicast
  network fd00:99::/64
  network fd00:98::/64
  neighbor fd00:1::2 activate
 exit-address-family
exit
"""
R2 = """
frr version 8.4.4
frr defaults traditional
hostname r2
router bgp 65002
 bgp router-id 10.0.0.2
 neighbor fd00:1::1 remote-as 65001
 address-family ipv6 unicast
  neighbor fd00:1::1 activate
  neighbor fd00:1::1 route-map IN in
  neighbor fd00:1::1 route-map OUT out
 exit-address-family
exit
ipv6 prefix-list PL seq 5 permit fd00:99::/48 le 64
route-map IN permit 10
 match ipv6 address prefix-list PL
exit
route-map OUT deny 10
exit
"""


def _side_by_side(*commands: list[str]) -> list[subprocess.CompletedProcess]:
    """`python -m podpath.cli COMMAND` for each command, at the same time (each `lab compare` / `lab run` is a
    separate lab run: its own namespaces, links and state, named by its run id; a lab mostly waits for its
    daemons to converge), in the order given."""
    from concurrent.futures import ThreadPoolExecutor

    def one(args: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True,
                              timeout=300)

    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(one, commands))


def test_lab_compare_matches_simulator(tmp_path: Path):
    for name, text in (("podpath.yaml", MANIFEST), ("frr/r1.conf", R1), ("frr/r2.conf", R2)):
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip())
    r, r_run = _side_by_side(["lab", "compare", str(tmp_path)], ["lab", "run", str(tmp_path), "--format", "json"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 difference(s)" in r.stdout
    r = r_run
    import json

    doc = json.loads(r.stdout)
    r2 = {row["prefix"] for row in doc["hosts"]["r2"]["bgp"]["frr"]}
    assert r2 == {"fd00:99::/64"}  # fd00:98::/64 is denied by route-map IN (implicit deny)
    assert all(doc["hosts"]["r2"]["sessions"]["frr"].values())


def test_lab_clean_runs():
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "lab", "clean"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "removed runs" in r.stdout


def test_lab_compare_seed004_complete_matches(tmp_path: Path):
    """The seed-004 cluster: 6 BIRD nodes with Cilium's GoBGP on ::1; the hypervisors' FRR uses VRFs
    and EVPN, which this kernel cannot host: the lab says so and both sides run without them."""
    example = Path(__file__).resolve().parents[2] / "examples" / "seed004-bgp-pod-cidr" / "complete"
    gen = "trixie" if Path("/var/cache/podpath/rootfs-trixie/usr/sbin/bird").exists() else "host"
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "lab", "compare", str(example), "--daemons", gen],
                       capture_output=True, text=True, timeout=400)
    assert r.returncode == 3, r.stdout + r.stderr  # the hypervisors' FRR was not run: incomplete
    assert "0 difference(s) in what was compared; INCOMPLETE: 3 part(s) not compared" in r.stdout
    assert r.stdout.count("FRR VRFs need the kernel's vrf link type") == 3


def test_lab_says_what_it_could_not_compare(tmp_path: Path):
    """A router whose FRR config has a VRF cannot run on a kernel without the vrf link type: `lab compare`
    and `lab run` name it and its sessions as not compared and exit 3 (incomplete), never 0."""
    r2_vrf = R2.replace("exit\nipv6 prefix-list", "exit\nvrf blue\nexit-vrf\nipv6 prefix-list", 1)
    assert "vrf blue" in r2_vrf
    for name, text in (("podpath.yaml", MANIFEST), ("frr/r1.conf", R1), ("frr/r2.conf", r2_vrf)):
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip())
    r, r_run = _side_by_side(["lab", "compare", str(tmp_path)], ["lab", "run", str(tmp_path), "--format", "json"])
    assert r.returncode == 3, r.stdout + r.stderr
    assert "NOT COMPARED (1)" in r.stdout
    assert "r2 (frr/r2.conf): not run: FRR VRFs need the kernel's vrf link type" in r.stdout
    assert "1 session(s) (" in r.stdout and "runs the simulator without it too" in r.stdout and "INCOMPLETE: 1 part(s) not compared" in r.stdout
    r = r_run
    assert r.returncode == 3, r.stdout + r.stderr
    import json

    doc = json.loads(r.stdout)
    assert doc["complete"] is False and len(doc["not_compared"]) == 1 and "frr/r2.conf" in doc["not_compared"][0]


def test_lab_errors_are_one_line_without_traceback(tmp_path: Path):
    """A daemon generation that does not exist, and a config the daemon refuses: exit 2, a clear
    message, no traceback (teardown on error is tested in test_lab_netns)."""
    snap = tmp_path / "snap"
    (snap / "frr").mkdir(parents=True)
    (snap / "podpath.yaml").write_text(MANIFEST)
    (snap / "frr" / "r1.conf").write_text(R1)
    (snap / "frr" / "r2.conf").write_text(R2)
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "lab", "run", str(snap), "--daemons",
                        str(tmp_path / "no-such-rootfs")], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "\nerror: podpath lab:" in "\n" + r.stderr and "Traceback" not in r.stderr
    # FRR refuses route-reflector-client on an eBGP neighbor; podpath reads it, the lab must report it.
    (snap / "frr" / "r1.conf").write_text(R1.replace("  neighbor fd00:1::2 activate",
                                                      "  neighbor fd00:1::2 activate\n"
                                                      "  neighbor fd00:1::2 route-reflector-client"))
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "lab", "run", str(snap)], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "rejected its configuration" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("broken", [pytest.param(False, marks=pytest.mark.slow), True],
                         ids=["healthy", "community-list-missing"])
def test_lab_compare_scale_benchmark_topology(tmp_path: Path, broken: bool):
    """The cluster benchmarks/snapshot_scale.py generates (here 6 nodes: Cilium, a BIRD per node with
    filters, three FRR route servers with route-maps), healthy and with every pod CIDR rejected: the
    real daemons hold exactly what the simulator computes, so the benchmark measures a faithful model.

    The default run has the broken variant (FRR matching a large-community list that does not exist, which
    no other lab test of the default run has); healthy (~25 s) runs under `-m slow`. Pod CIDRs propagated
    by Cilium's GoBGP through BIRD filters run in the default run in test_lab_compare_seed004_complete_matches,
    FRR route-maps and BIRD filters between routers in tests/lab/test_differential.py."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "snapshot_scale", Path(__file__).resolve().parents[2] / "benchmarks" / "snapshot_scale.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    root = mod.write_snapshot(6, tmp_path / "snap")
    if broken:
        for f in (root / "frr").glob("*.conf"):
            f.write_text(f.read_text().replace(" match large-community LC_K8S", " match large-community LC_NOPE"))
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "lab", "compare", str(root)],
                       capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 difference(s)" in r.stdout
