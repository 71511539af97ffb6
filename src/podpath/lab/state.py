"""Run identity, the per-run state file, and cleanup of runs that died.

Every object a lab run creates is named with the run's prefix `pp<6 hex>-`
(namespaces; podpath's own link names) and listed in `/run/podpath/<runid>.json`
*before* it is created. A run killed with SIGKILL therefore leaves a state file
that says exactly what to remove, and `clean_leftovers()` removes it. Nothing
without the prefix is ever touched: processes are only killed when they run
inside one of the run's namespaces or match a recorded (pid, start time) pair,
so a recycled pid cannot hit an unrelated process.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

PREFIX_RE = re.compile(r"^pp([0-9a-f]{6})-")
NETNS_DIR = Path("/run/netns")


def state_dir() -> Path:
    """Where state files and per-run work directories live (env PODPATH_STATE_DIR)."""
    return Path(os.environ.get("PODPATH_STATE_DIR", "/run/podpath"))


def log_root() -> Path:
    """Parent of per-run log directories (env PODPATH_LOG_DIR)."""
    return Path(os.environ.get("PODPATH_LOG_DIR", Path(tempfile.gettempdir()) / "podpath-logs"))


def new_run_id() -> str:
    """Six hex digits: short enough that `pp<id>-` + 6 chars fits IFNAMSIZ (15)."""
    while True:
        rid = secrets.token_hex(3)
        if not (state_dir() / f"{rid}.json").exists():
            return rid


def prefix_of(run_id: str) -> str:
    return f"pp{run_id}-"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields[0] is field 3 of stat(5)


def proc_start_time(pid: int) -> int | None:
    """Start time (clock ticks since boot) of `pid`, or None if it does not exist."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def pid_alive(pid: int, start: int | None) -> bool:
    """True if `pid` runs (not a zombie) and, when `start` is known, is the same process."""
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return start is None or int(fields[19]) == start


@dataclass
class ProcRecord:
    pid: int
    start: int | None
    netns: str
    argv: list[str]


@dataclass
class RunState:
    """Everything a run created, persisted after each change (atomic rename)."""

    run_id: str
    creator_pid: int
    creator_start: int | None
    created: float
    deadline: float
    namespaces: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    processes: list[ProcRecord] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    substitutions: list[dict[str, str]] = field(default_factory=list)
    label: str = ""
    version: int = 1

    @property
    def prefix(self) -> str:
        return prefix_of(self.run_id)

    @property
    def path(self) -> Path:
        return state_dir() / f"{self.run_id}.json"

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1, sort_keys=True))
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, path: Path) -> RunState:
        data = json.loads(path.read_text())
        data["processes"] = [ProcRecord(**p) for p in data.get("processes", [])]
        return cls(**data)

    def creator_alive(self) -> bool:
        return pid_alive(self.creator_pid, self.creator_start)


@dataclass
class CleanupReport:
    runs: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    processes: list[int] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    skipped_live: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.runs or self.namespaces or self.processes or self.dirs or self.links)


# --- low-level helpers (also used by LabNetwork.teardown) ---------------------------------


def list_netns() -> list[str]:
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir())
    except FileNotFoundError:
        return []


def _ns_ident(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def pids_in_netns(name: str) -> list[int]:
    """Processes whose network namespace is /run/netns/<name> (like `ip netns pids`)."""
    ident = _ns_ident(NETNS_DIR / name)
    if ident is None:
        return []
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _ns_ident(entry / "ns" / "net") == ident:
            pids.append(int(entry.name))
    return pids


def kill_pids(pids: Iterable[int], *, grace: float = 2.0) -> list[int]:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL. Returns the pids signalled."""
    targets = {p: proc_start_time(p) for p in pids if p != os.getpid() and pid_alive(p, None)}
    targets = {p: s for p, s in targets.items() if s is not None}
    for pid in targets:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(pid_alive(p, s) for p, s in targets.items()):
        _reap()
        time.sleep(0.05)
    for pid, start in targets.items():
        if pid_alive(pid, start):
            _signal(pid, signal.SIGKILL)
    _reap()
    return sorted(targets)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _reap() -> None:
    """Collect exited children of this process so that they do not linger as zombies."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def delete_netns(name: str) -> bool:
    """Kill everything inside namespace `name` and delete it. Only podpath-prefixed names."""
    if not PREFIX_RE.match(name):
        raise ValueError(f"refusing to delete namespace without podpath prefix: {name!r}")
    if not (NETNS_DIR / name).exists():
        return False
    kill_pids(pids_in_netns(name))
    subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=30)
    return True


def mounts_under(path: Path) -> list[str]:
    """Mount points (in this mount namespace) at or below `path`, deepest first."""
    root = str(path).rstrip("/")
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mnt = line.split()[4].replace("\\040", " ")
        if mnt == root or mnt.startswith(root + "/"):
            found.append(mnt)
    return sorted(found, key=len, reverse=True)


def remove_tree(path: Path) -> bool:
    """rm -rf that first detaches any mount below `path` and never follows symlinks."""
    if not path.exists() and not path.is_symlink():
        return False
    for mnt in mounts_under(path):
        subprocess.run(["umount", "-l", mnt], capture_output=True, timeout=30)
    if mounts_under(path):
        raise OSError(f"{path}: still has mounts below it; not removing")
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return True


def _allowed_dir(path: Path, run_id: str) -> bool:
    """Only directories named after the run (…/podpath…/<runid>…) may be removed."""
    parts = path.parts
    return path.is_absolute() and run_id in parts[-1] and any("podpath" in p for p in parts)


def _root_links_of(run_id: str | None) -> list[tuple[str, str]]:
    """(ifname, alias) of root-namespace links tagged `podpath:<runid>` (should be none)."""
    out = subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True, timeout=30)
    found = []
    for link in json.loads(out.stdout or "[]"):
        alias = link.get("ifalias", "")
        m = re.match(r"^podpath:([0-9a-f]{6}):", alias)
        if m and (run_id is None or m.group(1) == run_id):
            found.append((link["ifname"], alias))
    return found


# --- cleanup -------------------------------------------------------------------------------


def _clean_run(st: RunState, report: CleanupReport) -> None:
    for rec in st.processes:
        if pid_alive(rec.pid, rec.start):
            report.processes.extend(kill_pids([rec.pid], grace=1.0))
    for name in sorted(set(st.namespaces) | {n for n in list_netns() if n.startswith(st.prefix)}):
        if not name.startswith(st.prefix):
            continue
        report.processes.extend(pids_in_netns(name))
        if delete_netns(name):
            report.namespaces.append(name)
    for d in st.dirs:
        p = Path(d)
        if _allowed_dir(p, st.run_id) and remove_tree(p):
            report.dirs.append(d)
    st.path.unlink(missing_ok=True)
    report.runs.append(st.run_id)


def clean_leftovers(run_ids: Iterable[str] | None = None, *, force: bool = False) -> CleanupReport:
    """Remove every object of podpath lab runs that are no longer alive.

    A run is alive while its creator process exists and its deadline (plus one
    minute of grace) has not passed; live runs are skipped unless `force`.
    Namespaces with podpath's prefix but no state file are leftovers of a run
    whose state is gone; they are removed too. Returns what was removed.
    """
    wanted = set(run_ids) if run_ids is not None else None
    report = CleanupReport()
    seen: set[str] = set()
    for path in sorted(state_dir().glob("*.json")):
        try:
            st = RunState.load(path)
        except (OSError, ValueError, TypeError, KeyError):
            continue
        if wanted is not None and st.run_id not in wanted:
            continue
        seen.add(st.run_id)
        if not force and st.creator_alive() and time.time() < st.deadline + 60:
            report.skipped_live.append(st.run_id)
            continue
        _clean_run(st, report)
    _clean_orphans(wanted, seen, report)
    return report


def _clean_orphans(wanted: set[str] | None, seen: set[str], report: CleanupReport) -> None:
    """Prefixed namespaces, work dirs and root links whose run has no state file."""
    for name in list_netns():
        m = PREFIX_RE.match(name)
        if not m or m.group(1) in seen or (wanted is not None and m.group(1) not in wanted):
            continue
        report.processes.extend(pids_in_netns(name))
        if delete_netns(name):
            report.namespaces.append(name)
    for d in sorted(state_dir().glob("pp*")):
        rid = d.name[2:8]
        if d.is_dir() and re.fullmatch(r"pp[0-9a-f]{6}", d.name) and rid not in seen:
            if (wanted is None or rid in wanted) and remove_tree(d):
                report.dirs.append(str(d))
    for ifname, alias in _root_links_of(None):
        rid = alias.split(":")[1]
        if rid not in seen and (wanted is None or rid in wanted):
            subprocess.run(["ip", "link", "delete", ifname], capture_output=True, timeout=30)
            report.links.append(ifname)
