"""LabNetwork: namespaces, links, safety (signals, time bound, SIGKILL cleanup)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from podpath.lab import state as st
from podpath.lab.errors import LabError, LabPermissionError, LabTimeout
from podpath.lab.netns import LabNetwork, inner_path
from podpath.lab.rootfs import DaemonGeneration

SRC = str(Path(__file__).resolve().parents[2] / "src")


def root_links() -> set[str]:
    out = subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True, check=True).stdout
    return {link["ifname"] for link in json.loads(out)}


def run_objects(run_id: str) -> dict[str, Any]:
    """Everything of a run that could be left behind."""
    prefix = st.prefix_of(run_id)
    return {
        "netns": [n for n in st.list_netns() if n.startswith(prefix)],
        "state": (st.state_dir() / f"{run_id}.json").exists(),
        "work": (st.state_dir() / f"pp{run_id}").exists(),
        "mounts": [m for m in Path("/proc/self/mountinfo").read_text().splitlines() if f"pp{run_id}" in m],
    }


NOTHING = {"netns": [], "state": False, "work": False, "mounts": []}


def test_refuses_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(LabPermissionError, match="needs root"):
        LabNetwork().__enter__()


def test_delete_netns_refuses_foreign_names() -> None:
    with pytest.raises(ValueError, match="prefix"):
        st.delete_netns("my-netns")


def test_inner_path_resolves_absolute_symlinks_inside_root(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "run").symlink_to("/run")
    assert inner_path(tmp_path, "/var/run/frr") == tmp_path / "run" / "frr"


@pytest.mark.lab
def test_create_and_teardown_leave_nothing(lab_env: None) -> None:
    before_links = root_links()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    with LabNetwork(timeout=60) as lab:
        a, b = lab.add_host("a"), lab.add_host("b")
        lan = lab.add_segment("lan")
        lab.connect(a, lan, "eth0", ["fd00:1::1/64", "10.1.0.1/24"], mtu=1400)
        lab.connect(b, lan, "eth0", ["fd00:1::2/64", "10.1.0.2/24"])
        lab.connect_p2p(a, "p0", b, "p0", ["fd00:2::1/64"], ["fd00:2::2/64"])
        lab.add_address(a, "lo", "fd00:ff::1/128")
        lab.add_address(a, "lo1", "fd00:fe::1/64")
        run_id = lab.run_id
        assert sorted(run_objects(run_id)["netns"]) == [f"pp{run_id}-a", f"pp{run_id}-b", f"pp{run_id}-sw-lan"]
        addrs = json.loads(a.ip("-j", "addr", "show").stdout)
        by_name = {i["ifname"]: i for i in addrs}
        assert by_name["lo"]["operstate"] == "UNKNOWN" and "UP" in by_name["lo"]["flags"]
        assert by_name["eth0"]["mtu"] == 1400
        v6 = [x for x in by_name["eth0"]["addr_info"] if x["local"] == "fd00:1::1"][0]
        assert "tentative" not in v6 and v6.get("nodad")
        assert {x["local"] for x in by_name["lo1"]["addr_info"]} >= {"fd00:fe::1"}
        assert lab.substitutions and lab.substitutions[0]["ifname"] == "lo1"
        sysctl = a.run(["cat", "/proc/sys/net/ipv6/conf/all/forwarding", "/proc/sys/net/ipv4/ip_forward",
                        "/proc/sys/net/ipv6/conf/eth0/accept_dad"]).stdout.split()
        assert sysctl == ["1", "1", "0"]
        assert root_links() == before_links  # nothing in the root namespace
        assert json.loads(lab.state.path.read_text())["namespaces"]
    assert run_objects(run_id) == NOTHING
    assert not lab.log_dir.exists()
    assert root_links() == before_links
    assert {s: signal.getsignal(s) for s in handlers} == handlers


@pytest.mark.lab
def test_tcp_between_hosts_over_a_segment(lab_env: None) -> None:
    server = ("import socket\ns=socket.socket(socket.AF_INET6)\ns.bind(('fd00:1::2',5000))\ns.listen()\n"
              "c,_=s.accept()\nc.send(b'hi')\n")
    client = ("import socket,time\nfor i in range(50):\n  try:\n    s=socket.create_connection(('fd00:1::2',5000),1);"
              "print(s.recv(2).decode());break\n  except OSError: time.sleep(0.1)\n")
    with LabNetwork(timeout=60) as lab:
        a, b, lan = lab.add_host("a"), lab.add_host("b"), lab.add_segment("lan")
        lab.connect(a, lan, "eth0", ["fd00:1::1/64"])
        lab.connect(b, lan, "eth0", ["fd00:1::2/64"])
        b.popen(["python3", "-c", server], log=lab.log_dir / "server.log")
        assert a.run(["python3", "-c", client]).stdout.strip() == "hi"


@pytest.mark.lab
def test_time_bound_tears_down(lab_env: None) -> None:
    with pytest.raises(LabTimeout):
        with LabNetwork(timeout=1, keep_logs="never") as lab:
            lab.add_host("a")
            run_id = lab.run_id
            time.sleep(5)
    assert run_objects(run_id) == NOTHING
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


@pytest.mark.lab
def test_time_bound_in_a_thread(lab_env: None) -> None:
    result: dict[str, Any] = {}

    def body() -> None:
        try:
            with LabNetwork(timeout=1, keep_logs="never") as lab:
                lab.add_host("a")
                result["run_id"] = lab.run_id
                time.sleep(3)
                lab.add_host("b")
        except LabError as e:
            result["error"] = e

    t = threading.Thread(target=body)
    t.start()
    t.join(30)
    assert isinstance(result.get("error"), LabError)
    assert run_objects(str(result["run_id"])) == NOTHING


CHILD = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {src!r})
    from podpath.lab import LabNetwork, FrrInstance, BirdInstance, GobgpInstance, GobgpConfig, GobgpNeighbor
    with LabNetwork(timeout=120, keep_logs="never") as lab:
        f, b, g = lab.add_host("frr"), lab.add_host("bird"), lab.add_host("gob")
        lan = lab.add_segment("lan")
        for h, a in ((f, "fd00:1::1/64"), (b, "fd00:1::2/64"), (g, "fd00:1::3/64")):
            lab.connect(h, lan, "eth0", [a])
        daemons = {daemons!r}
        pids = []
        if daemons:
            fi = FrrInstance(f, "router bgp 65001\\n neighbor fd00:1::2 remote-as 65002\\nexit\\n").start()
            bi = BirdInstance(b, "router id 10.0.0.2;\\nprotocol device {{}}\\n").start()
            gi = GobgpInstance(g, GobgpConfig(65003, "10.0.0.3", [GobgpNeighbor("fd00:1::1", 65001)])).start()
            pids = [p.pid for d in (fi, bi, gi) for p in d.procs.values()]
        print(json.dumps({{"run_id": lab.run_id, "pids": pids}}), flush=True)
        time.sleep(100)
""")


def spawn_child(daemons: bool) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD.format(src=SRC, daemons=daemons)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"child failed: {proc.stderr.read() if proc.stderr else ''}")
    return proc, json.loads(line)


@pytest.mark.lab
def test_sigterm_tears_down(lab_env: None) -> None:
    proc, info = spawn_child(daemons=False)
    run_id = str(info["run_id"])
    assert len(run_objects(run_id)["netns"]) == 4
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert "LabInterrupted" in err
    assert run_objects(run_id) == NOTHING


@pytest.mark.lab
def test_sigkill_then_clean_leftovers(lab_env: None) -> None:
    before_links = root_links()
    proc, info = spawn_child(daemons=True)
    run_id, pids = str(info["run_id"]), [int(p) for p in info["pids"]]
    assert len(pids) >= 5
    assert st.clean_leftovers([run_id]).skipped_live == [run_id]  # the creator is alive: hands off
    proc.kill()
    proc.wait(30)
    left = run_objects(run_id)
    assert len(left["netns"]) == 4 and left["state"] and left["work"]
    assert all(st.pid_alive(p, None) for p in pids)  # daemons survive their creator
    report = st.clean_leftovers([run_id])
    assert report.runs == [run_id] and len(report.namespaces) == 4
    assert set(pids) <= set(report.processes)
    assert run_objects(run_id) == NOTHING
    assert not any(st.pid_alive(p, None) for p in pids)
    assert root_links() == before_links
    assert not st.clean_leftovers([run_id])  # idempotent


@pytest.mark.lab
def test_clean_leftovers_removes_orphan_namespaces_only_with_prefix(lab_env: None) -> None:
    orphan, foreign = "ppabc123-orphan", "podpathtest-foreign"
    subprocess.run(["ip", "netns", "add", orphan], check=True)
    subprocess.run(["ip", "netns", "add", foreign], check=True)
    try:
        report = st.clean_leftovers(["abc123"])
        assert orphan in report.namespaces
        assert foreign in st.list_netns() and orphan not in st.list_netns()
    finally:
        subprocess.run(["ip", "netns", "del", foreign], capture_output=True)
        subprocess.run(["ip", "netns", "del", orphan], capture_output=True)


@pytest.mark.lab
def test_chroot_commands_leave_no_mounts(gen: DaemonGeneration) -> None:
    if gen.root is None:
        pytest.skip("chroot only for rootfs generations")
    root = gen.root
    assert root is not None
    mounts_before = Path("/proc/self/mountinfo").read_text().count("\n")
    with LabNetwork(timeout=60) as lab:
        a = lab.add_host("a")
        out = a.run(["bird", "--version"], root=gen)
        assert "2.17" in out.stdout + out.stderr
        assert a.run(["cat", str(lab.work_dir / "x")], root=gen, check=False).returncode == 1
        (lab.work_dir / "x").write_text("shared")
        assert a.run(["cat", str(lab.work_dir / "x")], root=gen).stdout == "shared"
        assert a.run(["hostname"], root=gen, hostname="a1").stdout.strip() == "a1"
        mountpoint = root / str(lab.work_dir).lstrip("/")
        assert mountpoint.is_dir()
    assert Path("/proc/self/mountinfo").read_text().count("\n") == mounts_before
    assert not mountpoint.exists()
    assert os.uname().nodename != "a1"
