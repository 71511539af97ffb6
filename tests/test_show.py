"""`podpath show` for people: routers as tables (FRR neighbors, peer groups, route-maps, prefix, community
and AS-path lists; BIRD protocols and filters) with file:line; text that wraps to COLUMNS without breaking
an address or a file:line; whole lines on a pipe; -q/-v; progress only on a terminal; shell completion."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

FRR = """\
frr version 8.4
frr defaults traditional
hostname pve1
!
router bgp 65000
 bgp router-id 10.0.0.1
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor fd00:10:0:ffff:ffff:ffff:ffff:11 peer-group NODES
 neighbor fd00:10:0:ffff:ffff:ffff:ffff:11 password Pp7showPw
 neighbor 10.0.0.2 remote-as 65000
 bgp listen range fd00:10:1::/64 peer-group NODES
 !
 address-family ipv6 unicast
  network fd00:99::/48
  neighbor NODES activate
  neighbor NODES route-map RM-IN in
  neighbor NODES prefix-list PL-OUT out
 exit-address-family
exit
!
ipv6 prefix-list PL-OUT seq 5 permit fd00:99::/48
ipv6 prefix-list PODS seq 10 permit fd00:10:244::/56 le 64
bgp large-community-list standard LC-PODS seq 5 permit 65000:0:100
bgp as-path access-list AP1 seq 5 permit ^65001$
!
route-map RM-IN permit 10
 match ipv6 address prefix-list PODS
 set local-preference 200
route-map RM-IN deny 20
!
"""

BIRD = """\
router id 10.0.0.11;

filter pods_out {
  if net ~ [ fd00:10:244::/56{56,64} ] then accept;
  reject;
}

protocol device {
}

protocol bgp upstream {
  local fd00:10:0:ffff:ffff:ffff:ffff:11 as 65011;
  neighbor fd00:10:0:ffff:ffff:ffff:ffff:1 as 65000;
  ipv6 {
    import all;
    export filter pods_out;
  };
}
"""

LONG_WORDS = ["fd00:10:0:ffff:ffff:ffff:ffff:11", "fd00:10:0:ffff:ffff:ffff:ffff:1", "hosts/pve1/frr.conf:9",
              "hosts/n1/bird.conf:11", "fd00:10:244::/56"]


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("show")
    (root / "hosts" / "pve1").mkdir(parents=True)
    (root / "hosts" / "n1").mkdir(parents=True)
    (root / "hosts" / "pve1" / "frr.conf").write_text(FRR)
    (root / "hosts" / "n1" / "bird.conf").write_text(BIRD)
    (root / "podpath.yaml").write_text("hosts:\n  pve1:\n    files: [hosts/pve1/frr.conf]\n"
                                       "  n1:\n    files: [hosts/n1/bird.conf]\n")
    return root


def run(*args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_routers_as_tables(snap: Path):
    r = run("show", str(snap), columns=200)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "{" not in out.split("Routing daemons")[1].replace("{ ... }", "")  # no raw dicts
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    nb = rows["fd00:10:0:ffff:ffff:ffff:ffff:11"]
    assert "external" in nb and "NODES" in nb and "in route-map RM-IN" in nb and "out prefix-list PL-OUT" in nb
    assert nb.rstrip().endswith("hosts/pve1/frr.conf:9")
    assert re.search(r"^\s+10\.0\.0\.2\s+65000\s+-\s+ipv4-unicast\s+-\s+hosts/pve1/frr.conf:11", out, re.M)
    assert re.search(r"^\s+NODES\s+external\s+.*hosts/pve1/frr.conf:7", out, re.M)  # peer group
    assert re.search(r"RM-IN\s+10\s+permit\s+match ipv6 address prefix-list PODS\s+set local-preference 200", out)
    assert re.search(r"PODS\s+10\s+permit\s+fd00:10:244::/56 le 64\s+hosts/pve1/frr.conf:23", out)
    assert re.search(r"LC-PODS\s+large-community standard\s+5\s+permit\s+65000:0:100", out)
    assert re.search(r"AP1\s+5\s+permit\s+\^65001\$", out)
    assert re.search(r"fd00:10:1::/64\s+NODES\s+hosts/pve1/frr.conf:12", out)  # a listen range
    assert re.search(r"fd00:99::/48\s+ipv6-unicast\s+network\s+hosts/pve1/frr.conf:15", out)
    assert re.search(r"upstream\s+bgp\s+fd00:10:0:ffff:ffff:ffff:ffff:1\s+65011/65000\s+ipv6: import all, export "
                     r"filter pods_out\s+hosts/n1/bird.conf:11", out)
    assert re.search(r"pods_out\s+filter\s+hosts/n1/bird.conf:3", out)
    assert "Pp7showPw" not in out


def test_routers_in_json(snap: Path):
    doc = json.loads(run("show", str(snap), "--format", "json").stdout)
    frr = next(r for r in doc["routers"] if r["dialect"] == "frr")["details"]
    (bgp,) = frr["bgp"]
    assert bgp["asn"] == 65000 and [n["name"] for n in bgp["peer_groups"]] == ["NODES"]
    n = next(n for n in bgp["neighbors"] if n["peer_group"] == "NODES")
    v6 = next(a for a in n["families"] if a["family"] == "ipv6-unicast")
    assert v6["route_map_in"] == "RM-IN" and v6["prefix_list_out"] == "PL-OUT" and v6["active"]
    assert n["location"] == {"file": "hosts/pve1/frr.conf", "line": 9, "col": 2} or n["location"]["line"] == 9
    bird = next(r for r in doc["routers"] if r["dialect"] == "bird")["details"]
    up = next(p for p in bird["protocols"] if p["name"] == "upstream")
    assert up["channels"][0]["export"] == "filter pods_out" and up["local_as"] == 65011
    assert "Pp7showPw" not in json.dumps(doc)


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_wraps_to_columns_without_breaking_words(snap: Path, columns: int):
    out = run("show", str(snap), columns=columns).stdout
    lines = out.splitlines()
    assert max(len(l) for l in lines) <= columns, [l for l in lines if len(l) > columns][:3]
    words = set(out.split())
    for w in LONG_WORDS:  # each long word appears whole, never split across lines
        assert any(w in x for x in words), (w, columns)
    wide = run("show", str(snap), columns=200).stdout
    assert {w for w in wide.split() if ":" in w and "/" in w} <= words | {w.rstrip(",;") for w in words}


def test_pipe_without_columns_keeps_lines_whole(snap: Path):
    out = run("show", str(snap)).stdout
    assert max(len(l) for l in out.splitlines()) > 80  # nothing wrapped for grep
    assert re.search(r"upstream\s+bgp\s+fd00:10:0:ffff:ffff:ffff:ffff:1\s+65011/65000\s+ipv6: import all, export "
                     r"filter pods_out\s+hosts/n1/bird.conf:11", out)


def test_check_text_wraps_with_hanging_indent():
    example = Path(__file__).resolve().parent.parent / "examples" / "seed000-ipv6-native-cidr" / "broken"
    out = run("check", str(example), "--no-repair", columns=80).stdout
    lines = out.splitlines()
    assert max(len(l) for l in lines) <= 80
    assert "cilium/values.yaml:24:24" in out.split()  # a file:line stays whole
    i = next(i for i, l in enumerate(lines) if l.startswith("  IPv6 pod CIDR fd00:101:224::/60 is outside"))
    assert lines[i + 1].startswith("      ")  # continuation indented under the message


def test_quiet_and_verbose(tmp_path: Path, snap: Path):
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "values.yaml").write_text("# cilium\nrouting-mode: native\n")
    loud = run("show", str(snap))
    bad = tmp_path
    r = run("check", str(bad))
    assert "note:" in r.stderr
    r = run("-q", "check", str(bad))
    assert "note:" not in r.stderr
    r = run("-v", "show", str(snap))
    assert re.search(r"podpath: loading .*: \d+\.\d\d s", r.stderr) and loud.stdout == r.stdout


def test_progress_only_on_a_terminal(snap: Path):
    # stderr a pipe: no spinner, no control sequences
    r = run("show", str(snap))
    assert "\x1b[" not in r.stderr and "loading" not in r.stderr
    # stderr a terminal, stdout a pipe: the spinner shows (and is cleared), stdout stays clean
    master, slave = pty.openpty()
    p = subprocess.run([sys.executable, "-m", "podpath.cli", "show", str(snap)], stdout=subprocess.PIPE,
                       stderr=slave, text=True, timeout=120, env={**os.environ, "TERM": "xterm"})
    os.close(slave)
    err = b""
    try:
        while True:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            err += chunk
    except OSError:
        pass
    os.close(master)
    assert p.returncode == 0 and "loading" in err.decode(errors="replace")
    assert "\x1b[" not in p.stdout and "loading" not in p.stdout
    # machine formats never show it, even on a terminal
    master, slave = pty.openpty()
    p = subprocess.run([sys.executable, "-m", "podpath.cli", "check", str(snap), "--format", "json"],
                       stdout=subprocess.PIPE, stderr=slave, text=True, timeout=120)
    os.close(slave)
    try:
        err = os.read(master, 65536)
    except OSError:
        err = b""
    os.close(master)
    assert b"loading" not in err and json.loads(p.stdout)


def test_shell_completion_is_on():
    r = run("--help")
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout
    env = {**os.environ, "_PODPATH_COMPLETE": "complete_bash", "COMP_WORDS": "podpath ch", "COMP_CWORD": "1"}
    script = Path(sys.executable).parent / "podpath"  # completion keys on the program's name
    if not script.exists():
        pytest.skip("no podpath console script beside this Python")
    p = subprocess.run([str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert p.stdout.split() == ["check"], p.stdout + p.stderr
