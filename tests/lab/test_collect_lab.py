"""`podpath collect` against real FRR (vtysh) and BIRD (birdc) running in a lab: the collected snapshot is
read back, every capture lands on its router, and what the daemons selected matches what podpath simulates
from the configurations collected beside it (no OB002), as it does for the snapshot the lab ran."""

from __future__ import annotations

import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import podpath
from podpath.lab.run import run_lab

pytestmark = [pytest.mark.lab]

MANIFEST = """
hosts:
  r1: {interfaces: {eth0: {addresses: ["10.1.0.1/24", "fd00:1::1/64"], segment: lan}}}
  r2: {interfaces: {eth0: {addresses: ["10.1.0.2/24", "fd00:1::2/64"], segment: lan}}}
segments:
  lan: {prefixes: ["10.1.0.0/24", "fd00:1::/64"]}
"""
R1 = """
frr version 8.4.4
frr defaults traditional
hostname r1
ip route 10.99.0.0/24 blackhole
ipv6 route fd00:99::/64 blackhole
router bgp 65001
 bgp router-id 10.0.0.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 10.1.0.2 remote-as 65002
 neighbor 10.1.0.2 password lab-md5-secret
 neighbor fd00:1::2 remote-as 65002
 address-family ipv4 unicast
  network 10.99.0.0/24
  neighbor 10.1.0.2 activate
 exit-address-family
 address-family ipv6 unicast
  network fd00:99::/64
  neighbor fd00:1::2 activate
 exit-address-family
exit
"""
R2 = """
router id 10.0.0.2;
protocol device {}
protocol direct { ipv4; ipv6; }
protocol kernel k4 { ipv4 { export where proto = "r1"; }; }
protocol kernel k6 { ipv6 { export where proto = "r1v6"; }; }
protocol static st4 { ipv4; route 10.77.0.0/24 blackhole; }
protocol static st6 { ipv6; route fd00:77::/64 blackhole; route fd00:78::/64 blackhole; }
protocol bgp r1 {
  local 10.1.0.2 as 65002;
  neighbor 10.1.0.1 as 65001;
  password "lab-md5-secret";
  ipv4 { import all; export where proto = "st4"; };
}
protocol bgp r1v6 {
  local fd00:1::2 as 65002;
  neighbor fd00:1::1 as 65001;
  ipv6 { import all; export where proto = "st6" && net != fd00:78::/64; };
}
"""


def _tables(snap: Any) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """Every simulated best path per (host, daemon): prefix, AS path, next hop."""
    res = snap.simulate()
    out: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for sid, best in res.best.items():
        sp = res.speakers[sid]
        out[(sp.host, sp.daemon.value)] = sorted((str(p), str(path.route.as_path), str(path.route.next_hop))
                                                 for p, path in best.items())
    return out


def test_collect_from_real_daemons_reproduces_the_lab_snapshot(tmp_path: Path, lab_env: None) -> None:
    src = tmp_path / "lab-snapshot"
    for name, text in (("podpath.yaml", MANIFEST), ("frr/r1.conf", R1), ("bird/r2.conf", R2)):
        p = src / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip())
    snap = podpath.load(src)
    assert not snap.diagnostics.errors
    out = tmp_path / "collected"
    ran: dict[str, Any] = {}

    def collect(instances: list[tuple[str, str, Any]]) -> None:
        # Each router as an operator reaches it: a command prefix (here: its network namespace), and the
        # lab's own vty socket directory / BIRD control socket / config path, as `vtysh -N` or a second BIRD
        # would need on a real machine.
        args = ["--no-kubernetes", "--manifest", str(src / "podpath.yaml")]
        for host, kind, inst in instances:
            args += ["--router", f"{host}=ip netns exec {inst.host.netns}"]
            if kind == "frr":
                sock = inst.dir / "run" / inst.pathspace
                args += ["--vtysh", f"{host}=vtysh --vty_socket {shlex.quote(str(sock))}"]
            elif kind == "bird":
                args += ["--birdc", f"{host}=birdc -s {shlex.quote(str(inst.socket))}",
                         "--bird-config", f"{host}={inst.conf_path}"]
        ran["r"] = subprocess.run([sys.executable, "-m", "podpath.cli", "collect", str(out), *args],
                                  capture_output=True, text=True, timeout=300)

    lab = run_lab(snap, on_converged=collect, progress=lambda _m: None)
    assert not lab.get("convergence_error"), lab.get("convergence_error")
    r = ran["r"]
    assert r.returncode == 0, r.stdout + r.stderr
    for f in ("hosts/r1/frr.conf", "hosts/r1/frr-bgp-ipv4.json", "hosts/r1/frr-bgp-ipv6.json",
              "hosts/r1/ip-route.txt", "hosts/r2/bird.conf", "hosts/r2/birdc-routes.txt", "hosts/r2/ip6-route.txt"):
        assert f"  {f}  " in r.stdout, f
    # r1 runs no BIRD and r2 no FRR: said, not hidden
    assert "BIRD of r1:" in r.stdout and "FRR running configuration of r2:" in r.stdout
    text = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "lab-md5-secret" not in text
    assert 'password "<redacted>";' in (out / "hosts/r2/bird.conf").read_text()

    got = podpath.load(out)
    assert not got.diagnostics.errors, [str(d) for d in got.diagnostics]
    assert sorted((rc.host, rc.dialect) for rc in got.routers) == [("r1", "frr"), ("r2", "bird")]
    assert sorted((rib.host, rib.daemon, tuple(sorted(rib.families))) for rib in got.observed_ribs) == [
        ("r1", "frr", (4,)), ("r1", "frr", (6,)), ("r2", "bird", (4, 6))]
    # the real daemons learned what podpath simulates from the collected configurations
    report = got.check()
    assert not [f.id for f in report.findings if f.rule == "OB002"]
    assert not [f.id for f in report.findings if f.severity.value == "error"]
    observed = {(rib.host, p) for rib in got.observed_ribs for p in map(str, (r.prefix for r in rib.routes))}
    assert {("r1", "10.77.0.0/24"), ("r1", "fd00:77::/64"), ("r2", "10.99.0.0/24"), ("r2", "fd00:99::/64")} <= observed
    assert ("r1", "fd00:78::/64") not in observed  # filtered by r2's export: the capture is the daemon's
    # ... and the same sessions and tables as the snapshot the lab ran
    assert sorted((s.id, s.up) for s in got.simulate().sessions) == sorted((s.id, s.up) for s in snap.simulate().sessions)
    assert _tables(got) == _tables(snap)

    # The comparison is live: had the collected BIRD config not been the one running (an export edited
    # since), the captured table would contradict it.
    bird = (out / "hosts/r2/bird.conf").read_text()
    edited = bird.replace('net != fd00:78::/64', 'net != fd00:77::/64')
    assert edited != bird
    drifted = podpath.load(out, overlay={"hosts/r2/bird.conf": edited})
    ob = [f for f in drifted.check().findings if f.rule == "OB002"]
    assert ob and any("fd00:78::/64" in e for f in ob for e in f.evidence), [f.evidence for f in ob]
