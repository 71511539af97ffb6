"""`podpath lab run` never shows a password: not on any process's command line while the
lab runs (vtysh, zebra/bgpd/staticd, bird, gobgpd, the chroot wrapper), not in a file
anyone but root can read, not in its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from podpath.lab.rootfs import DaemonGeneration

pytestmark = pytest.mark.lab

PW = "Pp7labSharedPw"  # both ends use it, so the MD5-signed session can come up
FRR_ONLY = "Pp7labFrrOnly"
FILES = {
    "podpath.yaml": """
        hosts:
          r1: {interfaces: {eth0: {addresses: ["fd00:1::1/64"], segment: lan}}}
          n1: {interfaces: {eth0: {addresses: ["fd00:1::2/64"], segment: lan}}}
        segments:
          lan: {prefixes: ["fd00:1::/64"]}
        """,
    "frr/r1.conf": f"""
        frr defaults traditional
        hostname r1
        ipv6 route fd00:99::/64 blackhole
        router bgp 65001
         bgp router-id 10.0.0.1
         no bgp ebgp-requires-policy
         neighbor fd00:1::2 remote-as 65002
         neighbor fd00:1::2 password {PW}
         neighbor fd00:1::2 timers connect 1
         neighbor fd00:1::7 remote-as 65007
         neighbor fd00:1::7 password {FRR_ONLY}
         address-family ipv6 unicast
          network fd00:99::/64
          neighbor fd00:1::2 activate
         exit-address-family
        exit
        """,
    "bird/n1.conf": f"""
        router id 10.0.0.2;
        protocol device {{}}
        protocol bgp r1 {{
          local as 65002;
          neighbor fd00:1::1 as 65001;
          password "{PW}";
          ipv6 {{ import all; export none; }};
        }}
        """,
}


def _write(root: Path) -> Path:
    for name, text in FILES.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip())
    return root


def _cmdlines() -> list[bytes]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    out.append(f.read())
            except OSError:
                pass
    return out


def test_lab_keeps_passwords_off_argv_and_in_private_files(tmp_path: Path, gen: DaemonGeneration):
    snap = _write(tmp_path / "snap")
    state, logs = tmp_path / "state", tmp_path / "logs"
    env = dict(os.environ, PODPATH_STATE_DIR=str(state), PODPATH_LOG_DIR=str(logs))
    markers = (PW.encode(), FRR_ONLY.encode())
    proc = subprocess.Popen([sys.executable, "-m", "podpath.cli", "lab", "run", str(snap), "--daemons", gen.name,
                             "--format", "json", "--timeout", "90"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    argv_leaks: set[bytes] = set()
    seen: dict[str, tuple[int, int, bool]] = {}  # path -> (file mode, parent dir mode, holds a password)
    daemons_seen: set[str] = set()
    while proc.poll() is None:
        for c in _cmdlines():
            if any(m in c for m in markers):
                argv_leaks.add(c)
            for d in (b"bgpd", b"zebra", b"bird"):
                if d in c and (str(state).encode() in c or str(logs).encode() in c):  # this run's daemons
                    daemons_seen.add(d.decode())
        for base in (state, logs):
            for dirpath, _dirs, names in os.walk(base):
                for name in names:
                    p = Path(dirpath, name)
                    try:
                        st, parent = p.lstat(), Path(dirpath).stat()
                        holds = p.is_file() and any(m in p.read_bytes() for m in markers)
                    except OSError:
                        continue
                    prev = seen.get(str(p))
                    seen[str(p)] = (st.st_mode & 0o777, parent.st_mode & 0o777, holds or bool(prev and prev[2]))
        time.sleep(0.01)
    out, err = proc.communicate()
    assert proc.returncode in (0, 3), err.decode()
    assert not argv_leaks, argv_leaks
    for m in markers:
        assert m not in out and m not in err
    configs = {p: v for p, v in seen.items() if p.endswith(("frr.conf", "bird.conf"))}
    assert any(p.endswith("frr.conf") for p in configs) and any(p.endswith("bird.conf") for p in configs), seen
    for path, (mode, parent_mode, holds) in sorted(seen.items()):
        if holds or path in configs:
            assert mode == 0o600, (path, oct(mode))
            assert parent_mode == 0o700, (path, oct(parent_mode))
    assert {"bgpd", "zebra", "bird"} <= daemons_seen  # the daemons were there to be looked at
    doc = json.loads(out)
    assert doc["hosts"]["n1"]["sessions"]["bird"]["r1"] is True  # the passwords did reach both daemons (TCP MD5)


def test_a_rejected_secret_line_is_quoted_redacted(tmp_path: Path, lab_env: None):
    """FRR's complaint quotes the offending line: `podpath lab` shows it with the key redacted."""
    files = dict(FILES)
    files["frr/r1.conf"] = FILES["frr/r1.conf"].replace("ipv6 route", f"key-string {FRR_ONLY}\n        ipv6 route")
    snap = tmp_path / "snap"
    for name, text in files.items():
        p = snap / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip())
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "lab", "run", str(snap)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "rejected its configuration" in r.stderr and "key-string <redacted>" in r.stderr
    assert FRR_ONLY not in r.stdout + r.stderr and PW not in r.stdout + r.stderr
