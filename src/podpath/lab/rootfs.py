"""Daemon generations: which FRR/BIRD/GoBGP binaries a lab runs.

`host` runs the daemons installed on this machine (Debian bookworm: FRR 8.4,
BIRD 2.0, GoBGP 3.10). `trixie` runs newer ones (FRR 10.3, BIRD 2.17, GoBGP
3.36) from a Debian trixie root filesystem built once with debootstrap and
cached; any other value is the path of such a root filesystem. Chrooted
daemons see the host kernel, so they run in the lab's namespaces like the host
ones; `podpath.lab.netns` mounts /proc, /sys, /dev and the run directories into
the chroot inside the private mount namespace of `ip netns exec`, so those
mounts vanish with the processes and never need cleaning up.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import RootfsError
from .state import mounts_under, remove_tree

TRIXIE_SUITE = "trixie"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
TRIXIE_PACKAGES = ("frr", "bird2", "gobgpd")
MARKER = "etc/podpath-rootfs.json"
REQUIRED_BINARIES = ("usr/lib/frr/zebra", "usr/lib/frr/bgpd", "usr/lib/frr/staticd",
                     "usr/bin/vtysh", "usr/sbin/bird", "usr/sbin/birdc", "usr/bin/gobgpd",
                     "usr/bin/gobgp")


def default_cache_dir() -> Path:
    """Cache location of the trixie rootfs (env PODPATH_ROOTFS_CACHE overrides)."""
    return Path(os.environ.get("PODPATH_ROOTFS_CACHE", "/var/cache/podpath/rootfs-trixie"))


@dataclass(frozen=True)
class DaemonGeneration:
    """A set of daemon binaries: on the host (`root` None) or inside a chroot."""

    name: str
    root: Path | None = None

    def path(self, inner: str) -> Path:
        """Where `inner` (an absolute path as the daemons see it) lives on the host."""
        return (self.root / inner.lstrip("/")) if self.root else Path(inner)

    def has(self, inner: str) -> bool:
        return self.path(inner).exists()

    def user_ids(self, user: str) -> tuple[int, int]:
        """(uid, gid) of `user` as the generation's own /etc/passwd defines it."""
        for line in self.path("/etc/passwd").read_text().splitlines():
            parts = line.split(":")
            if parts[0] == user:
                return int(parts[2]), int(parts[3])
        raise RootfsError(f"user {user!r} not found in {self.path('/etc/passwd')}")

    def missing(self) -> list[str]:
        return [b for b in REQUIRED_BINARIES if not self.path("/" + b).exists()]

    def __str__(self) -> str:
        return self.name


HOST = DaemonGeneration("host")


def resolve_generation(spec: str | DaemonGeneration = "host", *, build: bool = True) -> DaemonGeneration:
    """Turn `--daemons host|trixie|DIR` into a DaemonGeneration (building trixie if asked)."""
    if isinstance(spec, DaemonGeneration):
        return spec
    if spec == "host":
        return HOST
    if spec == TRIXIE_SUITE:
        cache = default_cache_dir()
        root = ensure_trixie(cache) if build else cache
        if not _complete(root):
            raise RootfsError(f"trixie rootfs not built at {root} (run .ci/install-daemons)")
        return DaemonGeneration(TRIXIE_SUITE, root)
    root = Path(spec).resolve()
    gen = DaemonGeneration(str(root), root)
    if not root.is_dir() or gen.missing():
        raise RootfsError(f"{root}: not a daemon root filesystem (missing {gen.missing() or 'dir'})")
    return gen


def _complete(root: Path) -> bool:
    return (root / MARKER).exists() and not DaemonGeneration("x", root).missing()


def ensure_trixie(cache_dir: Path | None = None, *, mirror: str = DEFAULT_MIRROR,
                  log: Callable[[str], None] | None = None) -> Path:
    """Build (once) and return a Debian trixie rootfs with FRR, BIRD 2 and GoBGP.

    Built into `<cache_dir>.partial` and renamed when complete, under a lock, so
    an interrupted or concurrent build never leaves a half-built cache in use.
    Takes about 30 s and 450 MB. Needs root and network access to `mirror`.
    """
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    if _complete(cache):
        return cache
    if os.geteuid() != 0:
        raise RootfsError("building the trixie rootfs needs root")
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache.parent / f".{cache.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _complete(cache):
            return cache
        if cache.is_dir() and not DaemonGeneration("x", cache).missing():
            _write_marker(cache, mirror)  # built by hand or by an older podpath
            return cache
        _build(cache, mirror, log or (lambda _m: None))
    return cache


def _build(cache: Path, mirror: str, log: Callable[[str], None]) -> None:
    partial = cache.with_name(cache.name + ".partial")
    remove_tree(partial)
    _ensure_debootstrap(log)
    log(f"debootstrap {TRIXIE_SUITE} into {partial}")
    _run(["debootstrap", "--variant=minbase", TRIXIE_SUITE, str(partial), mirror], 1800)
    policy = partial / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# podpath: never start services inside this rootfs\nexit 101\n")
    policy.chmod(0o755)
    log("installing " + " ".join(TRIXIE_PACKAGES))
    _chroot_apt(partial)
    if DaemonGeneration("x", partial).missing():
        raise RootfsError(f"{partial}: missing after install: {DaemonGeneration('x', partial).missing()}")
    _write_marker(partial, mirror)
    if cache.exists():
        remove_tree(cache)
    partial.rename(cache)


def _chroot_apt(root: Path) -> None:
    proc = root / "proc"
    subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True, timeout=30)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        _run(["chroot", str(root), "apt-get", "install", "-y", "-q", "--no-install-recommends",
              *TRIXIE_PACKAGES], 1800, env)
        _run(["chroot", str(root), "apt-get", "clean"], 300, env)
    finally:
        for mnt in mounts_under(proc):
            subprocess.run(["umount", "-l", mnt], capture_output=True, timeout=30)


def _ensure_debootstrap(log: Callable[[str], None]) -> None:
    if shutil.which("debootstrap"):
        return
    log("installing debootstrap")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-q"], 600, env)
    _run(["apt-get", "install", "-y", "-q", "debootstrap"], 600, env)


def _run(argv: list[str], timeout: float, env: dict[str, str] | None = None) -> None:
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    if res.returncode != 0:
        tail = (res.stderr or res.stdout)[-3000:]
        raise RootfsError(f"{' '.join(argv)} failed ({res.returncode}):\n{tail}")


def _write_marker(root: Path, mirror: str) -> None:
    gen = DaemonGeneration("x", root)
    data = {"suite": TRIXIE_SUITE, "mirror": mirror, "built": time.time(),
            "packages": _package_versions(root)}
    gen.path("/" + MARKER).write_text(json.dumps(data, indent=1, sort_keys=True))


def _package_versions(root: Path) -> dict[str, str]:
    res = subprocess.run(["chroot", str(root), "dpkg-query", "-W", "-f", "${Package} ${Version}\\n",
                          *TRIXIE_PACKAGES], capture_output=True, text=True, timeout=60)
    return dict(line.split(" ", 1) for line in res.stdout.splitlines() if " " in line)
