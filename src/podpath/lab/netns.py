"""Network namespaces, L2 segments and veth links for podpath's lab.

Why the `ip` command and not pyroute2: every object is created by one `ip`
invocation whose argv is logged and can be replayed by hand; `ip -n NS link
add A type veth peer name B netns OTHER` creates both ends directly inside the
target namespaces (nothing ever exists in the root namespace, not even for a
moment), `ip netns exec` gives daemons the same environment an operator gets
(including a private mount namespace, which the chroot generations rely on),
and errors come back as the same messages a user would see. pyroute2 would
save a few milliseconds per call but adds helper processes for netns work and
version-specific behaviour; the lab creates tens of objects, not thousands.

Layout: each host is a namespace `pp<id>-<name>`; each segment is a Linux
bridge inside its own "switch" namespace `pp<id>-sw-<name>`, so the root
namespace and the host's interfaces are never touched. Host-side interfaces
keep the names the caller asks for (configs refer to them); interfaces podpath
names itself (switch ports, stand-ins) are `pp<id>-<short>` from a table kept
in the state file.
"""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from . import state as st
from .errors import CommandError, LabError, LabInterrupted, LabPermissionError, LabTimeout
from .rootfs import DaemonGeneration

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$")
IFNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}$")

# Runs inside the private mount namespace that `ip netns exec` creates: set the
# host name (only inside a private UTS namespace made by `unshare --uts`), bind
# the given directories, and for a chroot mount /proc, /sys and /dev, then exec.
# Nothing done here is visible outside or outlives the process tree.
_SANDBOX = r"""set -e
root=$1; name=$2; n=$3; shift 3
if [ -n "$name" ]; then
  if [ "$(readlink /proc/self/ns/uts)" = "$(readlink /proc/1/ns/uts)" ]; then
    echo "podpath-sandbox: refusing to set the host name outside a private UTS namespace" >&2; exit 97
  fi
  printf '%s' "$name" > /proc/sys/kernel/hostname
fi
while [ "$n" -gt 0 ]; do mount --bind "$1" "$root$2"; shift 2; n=$((n-1)); done
if [ -n "$root" ]; then
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  exec chroot "$root" "$@"
fi
exec "$@"
"""

Bind = tuple[Path, str]  # (directory on the host, mount point as the process sees it)


def require_root() -> None:
    """Raise LabPermissionError with the reason when this process cannot run a lab."""
    if os.geteuid() != 0:
        raise LabPermissionError(
            "podpath lab needs root: it creates network namespaces, veth links and bridges "
            "and runs routing daemons inside them (run as root, e.g. with sudo)")
    for tool in ("ip", "mount", "chroot"):
        if not any(Path(d, tool).exists() for d in os.environ.get("PATH", "/usr/sbin:/usr/bin").split(":")):
            raise LabPermissionError(f"podpath lab needs the {tool!r} command (package iproute2/util-linux)")


def inner_path(root: Path, path: str) -> Path:
    """Resolve `path` as a process chrooted at `root` would, without leaving `root`.

    Absolute symlinks inside a rootfs (trixie's /var/run -> /run) must resolve
    against the rootfs; the kernel would resolve them against the host's /.
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    cur = root
    for _hops in range(40):
        if not parts:
            return cur
        part = parts.pop(0)
        nxt = cur.parent if part == ".." and cur != root else cur / part
        if nxt.is_symlink():
            target = os.readlink(nxt)
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            cur = root if target.startswith("/") else cur
        else:
            cur = nxt
    raise LabError(f"too many symlinks resolving {path} in {root}")


@dataclass
class Link:
    """One end of a veth as the caller sees it (host side)."""

    host: Host
    ifname: str
    peer_netns: str
    peer_ifname: str
    addresses: list[str] = field(default_factory=list)


@dataclass
class Segment:
    """An L2 broadcast domain: a bridge in a dedicated switch namespace."""

    lab: LabNetwork
    name: str
    netns: str
    bridge: str
    ports: list[str] = field(default_factory=list)


@dataclass
class Host:
    """A network namespace standing for one machine of the lab."""

    lab: LabNetwork
    name: str
    netns: str
    links: dict[str, Link] = field(default_factory=dict)

    def command(self, argv: Sequence[str], *, root: DaemonGeneration | Path | None = None,
                binds: Sequence[Bind] = (), hostname: str | None = None) -> list[str]:
        """The argv that runs `argv` in this namespace.

        `root`: inside that chroot; `binds`: with those directories mounted;
        `hostname`: in a private UTS namespace with that host name (daemons
        announce it, e.g. FRR's hostname capability).
        """
        rootdir = root.root if isinstance(root, DaemonGeneration) else root
        if rootdir is not None:
            self.lab.prepare_root(rootdir)
            binds = [(d, str(d)) for d in self.lab.shared_dirs] + list(binds)
        if rootdir is None and not binds and not hostname:
            return ["ip", "netns", "exec", self.netns, *argv]
        pairs: list[str] = []
        for src, dst in binds:
            target = inner_path(rootdir, dst) if rootdir else Path(dst)
            pairs += [str(src), str(target)[len(str(rootdir)):] if rootdir else str(target)]
        uts = ["unshare", "--uts"] if hostname else []
        return ["ip", "netns", "exec", self.netns, *uts, "/bin/sh", "-c", _SANDBOX, "podpath-sandbox",
                str(rootdir or ""), hostname or "", str(len(binds)), *pairs, *argv]

    def run(self, argv: Sequence[str], *, root: DaemonGeneration | Path | None = None,
            binds: Sequence[Bind] = (), hostname: str | None = None, check: bool = True,
            timeout: float = 30.0, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command to completion inside this namespace; raise CommandError on failure."""
        return self.lab.sh(self.command(argv, root=root, binds=binds, hostname=hostname), check=check,
                           timeout=timeout, input=input)

    def popen(self, argv: Sequence[str], *, log: Path, root: DaemonGeneration | Path | None = None,
              binds: Sequence[Bind] = (), hostname: str | None = None) -> subprocess.Popen[bytes]:
        """Start a long-running process here; stdout+stderr go to `log`; recorded for cleanup."""
        full = self.command(argv, root=root, binds=binds, hostname=hostname)
        return self.lab.spawn(full, log=log, netns=self.netns)

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.lab.sh(["ip", "-n", self.netns, *args], check=check)

    def sysctl(self, settings: dict[str, str | int]) -> None:
        self.lab.sysctl(self.netns, settings)

    def has_link(self, ifname: str) -> bool:
        return self.ip("link", "show", "dev", ifname, check=False).returncode == 0


class LabNetwork:
    """A set of namespaces, links and processes that is always torn down.

    Use as a context manager. Leaving the block normally, by an exception, by
    Ctrl-C, by SIGTERM or because the run's hard time bound (`timeout`
    seconds) expired tears everything down; signal handlers are restored
    afterwards. Everything is recorded in `/run/podpath/<runid>.json` first, so
    `podpath.lab.state.clean_leftovers()` can finish the job after a SIGKILL.
    """

    def __init__(self, name: str = "lab", *, timeout: float = 600.0, keep_logs: str = "on-failure") -> None:
        if keep_logs not in ("always", "never", "on-failure"):
            raise ValueError("keep_logs must be always, never or on-failure")
        self.name = name
        self.timeout = timeout
        self.keep_logs = keep_logs
        self.run_id = ""
        self.hosts: dict[str, Host] = {}
        self.segments: dict[str, Segment] = {}
        self.substitutions: list[dict[str, str]] = []
        self._state: st.RunState | None = None
        self._stoppers: list[Callable[[], None]] = []
        self._prepared_roots: set[Path] = set()
        self._saved_handlers: dict[int, Any] = {}
        self._timer: threading.Timer | None = None
        self._tearing_down = False
        self._teardown_lock = threading.Lock()
        self._pending_signal: int | None = None
        self._closed = False
        self._dummy_ok: bool | None = None
        self._counter = 0

    # --- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> LabNetwork:
        require_root()
        self.run_id = st.new_run_id()
        now = time.time()
        self._state = st.RunState(self.run_id, os.getpid(), st.proc_start_time(os.getpid()), now,
                                  now + self.timeout, dirs=[str(self.work_dir), str(self.log_dir)],
                                  label=self.name)
        self._state.save()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.work_dir.chmod(0o755)
        self.log_dir.chmod(0o777)  # daemons that drop privileges (FRR) write their logs here
        self._install_guards()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.teardown(failed=exc_type is not None)
        finally:
            self._remove_guards()
        if exc is not None and self.log_dir.is_dir() and any(self.log_dir.iterdir()):
            exc.add_note(f"podpath lab run {self.run_id}: daemon logs kept in {self.log_dir}")
        if exc is None and self._pending_signal is not None:
            raise LabInterrupted(self._pending_signal)  # arrived during teardown: not lost

    @property
    def prefix(self) -> str:
        return st.prefix_of(self.run_id)

    @property
    def work_dir(self) -> Path:
        """Configs, sockets and pid files of this run (bind-mounted into chroots)."""
        return st.state_dir() / f"pp{self.run_id}"

    @property
    def log_dir(self) -> Path:
        """Daemon logs of this run; kept after a failed run (see `keep_logs`)."""
        return st.log_root() / f"pp{self.run_id}"

    @property
    def shared_dirs(self) -> list[Path]:
        return [self.work_dir, self.log_dir]

    @property
    def state(self) -> st.RunState:
        if self._state is None:
            raise LabError("lab not entered (use `with LabNetwork() as lab:`)")
        if self._closed:
            raise LabError(f"lab run {self.run_id} is already torn down")
        return self._state

    def on_teardown(self, stop: Callable[[], None]) -> None:
        """Register a graceful stop (daemons); run in reverse order before namespaces go."""
        self._stoppers.append(stop)

    def teardown(self, *, failed: bool = False) -> None:
        """Stop daemons, kill leftovers, delete namespaces and dirs. Idempotent, thread-safe."""
        with self._teardown_lock:
            if self._closed or self._state is None:
                return
            self._tearing_down = True
            if self._timer:
                self._timer.cancel()
            self._teardown(self._state, failed)

    def _teardown(self, state: st.RunState, failed: bool) -> None:
        for stop in reversed(self._stoppers):
            try:
                stop()
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        for rec in state.processes:
            if st.pid_alive(rec.pid, rec.start):
                st.kill_pids([rec.pid], grace=1.0)
        for name in reversed(state.namespaces):
            st.delete_netns(name)
        keep_logs = self.keep_logs == "always" or (failed and self.keep_logs == "on-failure")
        for d in state.dirs:
            if keep_logs and Path(d) == self.log_dir and any(self.log_dir.iterdir()):
                continue
            st.remove_tree(Path(d))
        state.path.unlink(missing_ok=True)
        self._closed = True

    # --- guards: signals and hard time bound ----------------------------------------------

    def _install_guards(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                self._saved_handlers[sig] = signal.signal(sig, self._on_signal)
            if signal.getitimer(signal.ITIMER_REAL)[0] == 0:
                self._saved_handlers[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
                signal.setitimer(signal.ITIMER_REAL, self.timeout)
                return
        # Not the main thread, or an outer lab owns the alarm: a watchdog thread
        # tears the lab down at the deadline; the caller's next lab call fails.
        self._timer = threading.Timer(self.timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _remove_guards(self) -> None:
        if signal.SIGALRM in self._saved_handlers:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in self._saved_handlers.items():
            signal.signal(sig, handler)
        self._saved_handlers.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._tearing_down:
            self._pending_signal = signum  # finish tearing down first; raised in __exit__
            return
        raise LabInterrupted(signum)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if not self._tearing_down:
            raise LabTimeout(f"lab run {self.run_id} exceeded its time bound of {self.timeout:g} s")

    def _expire(self) -> None:
        self.teardown(failed=True)

    # --- running commands -------------------------------------------------------------------

    def sh(self, argv: Sequence[str], *, check: bool = True, timeout: float = 30.0,
           input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command (in the root namespace: only `ip` and friends); CommandError on failure."""
        if self._closed:
            raise LabError(f"lab run {self.run_id} is already torn down")
        try:
            res = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                                 input=input, start_new_session=True)
        except subprocess.TimeoutExpired as e:
            raise CommandError(list(argv), None, _text(e.stdout), _text(e.stderr)) from None
        if check and res.returncode != 0:
            raise CommandError(list(argv), res.returncode, res.stdout, res.stderr)
        return res

    def spawn(self, argv: Sequence[str], *, log: Path, netns: str) -> subprocess.Popen[bytes]:
        if self._closed:
            raise LabError(f"lab run {self.run_id} is already torn down")
        with open(os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as out:  # logs: root only
            proc = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.state.processes.append(st.ProcRecord(proc.pid, st.proc_start_time(proc.pid), netns, list(argv)))
        self.state.save()
        return proc

    def sysctl(self, netns: str, settings: dict[str, str | int]) -> None:
        script = "".join(f"printf '%s' '{v}' > /proc/sys/{k.replace('.', '/')}\n" for k, v in settings.items())
        self.sh(["ip", "netns", "exec", netns, "/bin/sh", "-ec", script])

    def prepare_root(self, root: Path) -> None:
        """Create (and record for removal) the mount points of the shared dirs inside `root`."""
        if root in self._prepared_roots:
            return
        for d in self.shared_dirs:
            target = inner_path(root, str(d))
            target.mkdir(parents=True, exist_ok=True)
            self.state.dirs.append(str(target))
        self.state.save()
        self._prepared_roots.add(root)

    # --- building the topology ---------------------------------------------------------------

    def _new_netns(self, name: str) -> str:
        if not NAME_RE.match(name):
            raise ValueError(f"bad lab object name {name!r} (letters, digits, _.- ; max 41)")
        netns = f"{self.prefix}{name}"
        if netns in self.state.namespaces:
            raise ValueError(f"lab object {name!r} already exists")
        self.state.namespaces.append(netns)
        self.state.save()
        self.sh(["ip", "netns", "add", netns])
        self.sh(["ip", "-n", netns, "link", "set", "lo", "up"])
        return netns

    def _short_name(self, kind: str) -> str:
        self._counter += 1
        name = f"{self.prefix}{kind}{self._counter}"
        assert len(name) <= 15, name
        return name

    def add_host(self, name: str) -> Host:
        """A namespace with forwarding on, DAD off and lo up."""
        netns = self._new_netns(name)
        self.sysctl(netns, {
            "net.ipv4.ip_forward": 1,
            "net.ipv6.conf.all.forwarding": 1,
            "net.ipv6.conf.all.accept_dad": 0,
            "net.ipv6.conf.default.accept_dad": 0,
            "net.ipv6.conf.default.dad_transmits": 0,
        })
        host = Host(self, name, netns)
        self.hosts[name] = host
        return host

    def add_segment(self, name: str) -> Segment:
        """A bridge in its own switch namespace (IPv6 off there: it only switches)."""
        netns = self._new_netns(f"sw-{name}")
        self.sysctl(netns, {"net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1})
        bridge = f"{self.prefix}br"
        self.sh(["ip", "-n", netns, "link", "add", bridge, "type", "bridge", "stp_state", "0",
                 "forward_delay", "0", "mcast_snooping", "0"])
        self.sh(["ip", "-n", netns, "link", "set", bridge, "up"])
        seg = Segment(self, name, netns, bridge)
        self.segments[name] = seg
        return seg

    def _veth(self, host: Host, ifname: str, peer_netns: str, peer_if: str, mtu: int | None) -> None:
        if not IFNAME_RE.match(ifname):
            raise ValueError(f"bad interface name {ifname!r} (max 15 chars)")
        self.state.links.append({"netns": host.netns, "ifname": ifname, "peer_netns": peer_netns,
                                 "peer_ifname": peer_if})
        self.state.save()
        mtu_args = ["mtu", str(mtu)] if mtu else []
        self.sh(["ip", "-n", host.netns, "link", "add", ifname, *mtu_args, "type", "veth",
                 "peer", "name", peer_if, *mtu_args, "netns", peer_netns])
        self._tag(host.netns, ifname, f"{host.name}/{ifname}")

    def _tag(self, netns: str, ifname: str, what: str) -> None:
        self.sh(["ip", "-n", netns, "link", "set", ifname, "alias", f"podpath:{self.run_id}:{what}"])

    def _bring_up(self, host: Host, ifname: str, addresses: Iterable[str]) -> None:
        self.sysctl(host.netns, {f"net.ipv6.conf.{ifname}.accept_dad": 0})
        host.ip("link", "set", ifname, "up")
        for cidr in addresses:
            self._addr(host, ifname, cidr)

    def _addr(self, host: Host, ifname: str, cidr: str) -> None:
        iface = ipaddress.ip_interface(cidr)
        extra = ["nodad"] if iface.version == 6 else []
        host.ip("addr", "add", str(iface), "dev", ifname, *extra)
        if ifname in host.links:
            host.links[ifname].addresses.append(str(iface))

    def connect(self, host: Host, segment: Segment, ifname: str, addresses: Sequence[str] = (),
                mtu: int | None = None) -> Link:
        """Plug `host` into `segment` with a veth named `ifname` on the host side."""
        port = self._short_name("p")
        self._veth(host, ifname, segment.netns, port, mtu)
        self.sh(["ip", "-n", segment.netns, "link", "set", port, "master", segment.bridge, "up"])
        segment.ports.append(port)
        link = Link(host, ifname, segment.netns, port)
        host.links[ifname] = link
        self._bring_up(host, ifname, addresses)
        return link

    def connect_p2p(self, h1: Host, if1: str, h2: Host, if2: str, addresses1: Sequence[str] = (),
                    addresses2: Sequence[str] = (), mtu: int | None = None) -> tuple[Link, Link]:
        """A veth pair straight between two hosts (no bridge)."""
        self._veth(h1, if1, h2.netns, if2, mtu)
        self._tag(h2.netns, if2, f"{h2.name}/{if2}")
        l1, l2 = Link(h1, if1, h2.netns, if2), Link(h2, if2, h1.netns, if1)
        h1.links[if1], h2.links[if2] = l1, l2
        self._bring_up(h1, if1, addresses1)
        self._bring_up(h2, if2, addresses2)
        return l1, l2

    def add_address(self, host: Host, ifname: str, cidr: str) -> None:
        """Add an address to `lo` or to a (possibly new) interface without neighbours.

        A missing interface becomes a `dummy` link; kernels without the dummy
        type get a veth whose peer stays unused (both ends up, so the address
        and its connected route are active). The stand-in is recorded in
        `lab.substitutions`.
        """
        if ifname != "lo" and not host.has_link(ifname):
            self._stand_in(host, ifname)
        self._addr(host, ifname, cidr)

    def _stand_in(self, host: Host, ifname: str) -> None:
        if not IFNAME_RE.match(ifname):
            raise ValueError(f"bad interface name {ifname!r} (max 15 chars)")
        if self._dummy_ok is not False:
            res = host.ip("link", "add", ifname, "type", "dummy", check=False)
            self._dummy_ok = res.returncode == 0
        if self._dummy_ok:
            kind, peer = "dummy", ""
        else:
            kind, peer = "veth-stub", self._short_name("d")
            host.ip("link", "add", ifname, "type", "veth", "peer", "name", peer)
            self.sysctl(host.netns, {f"net.ipv6.conf.{peer}.accept_dad": 0})
            host.ip("link", "set", peer, "up")
        sub = {"host": host.name, "ifname": ifname, "kind": kind, "peer": peer,
               "why": "" if kind == "dummy" else "kernel has no dummy link type"}
        self.substitutions.append(sub)
        self.state.substitutions.append(sub)
        self.state.save()
        self._tag(host.netns, ifname, f"{host.name}/{ifname}")
        self._bring_up(host, ifname, ())


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data
