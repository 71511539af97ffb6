""".ci/install-daemons never stops or disables a service the machine already had: it runs here
against fake `id`, `dpkg-query`, `apt-get` and `systemctl` on PATH, and a temporary directory
standing for / (PODPATH_INSTALL_PREFIX), and the test reads what the script asked systemctl."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "install-daemons"

# Fakes keep their state in $FAKE: installed-<pkg>, active-<svc>, enabled-<svc>; every call is
# appended to $FAKE/calls. apt-get "installs" the packages it is given and, when $FAKE/starts
# names a service, starts it (as a package script would without a blocking policy-rc.d).
FAKES = {
    "id": '#!/bin/sh\necho 0\n',
    "dpkg-query": '#!/bin/sh\necho "dpkg-query $*" >> "$FAKE/calls"\nfor p; do :; done\n'
                  'if [ -e "$FAKE/installed-$p" ]; then echo "install ok installed"; else exit 1; fi\n',
    "apt-get": '#!/bin/sh\necho "apt-get $*" >> "$FAKE/calls"\n[ "$1" = install ] || exit 0\n'
               'for p; do case "$p" in -*|install) ;; *) touch "$FAKE/installed-$p" ;; esac; done\n'
               'if [ -e "$FAKE/starts" ]; then for s in $(cat "$FAKE/starts"); do touch "$FAKE/active-$s" '
               '"$FAKE/enabled-$s"; done; fi\n',
    "systemctl": '#!/bin/sh\necho "systemctl $*" >> "$FAKE/calls"\nq=""\n[ "$2" = --quiet ] && q=$3 || q=$2\n'
                 'u=${q%.service}\ncase "$1" in\n  is-active) [ -e "$FAKE/active-$u" ] ;;\n'
                 '  is-enabled) [ -e "$FAKE/enabled-$u" ] ;;\n  stop) rm -f "$FAKE/active-$u" ;;\n'
                 '  disable) rm -f "$FAKE/enabled-$u" ;;\n  *) exit 0 ;;\nesac\n',
}


def _run(tmp: Path, *, installed: list[str], active: list[str], enabled: list[str],
         starts: list[str]) -> tuple[subprocess.CompletedProcess[str], list[str], Path]:
    fake, root, bin_ = tmp / "fake", tmp / "root", tmp / "bin"
    for d in (fake, root / "run" / "systemd" / "system", root / "usr" / "sbin", bin_):
        d.mkdir(parents=True)
    for name, text in FAKES.items():
        (bin_ / name).write_text(text)
        (bin_ / name).chmod(stat.S_IRWXU)
    for p in installed:
        (fake / f"installed-{p}").touch()
    for s in active:
        (fake / f"active-{s}").touch()
    for s in enabled:
        (fake / f"enabled-{s}").touch()
    if starts:
        (fake / "starts").write_text(" ".join(starts))
    env = {**os.environ, "PATH": f"{bin_}:{os.environ['PATH']}", "FAKE": str(fake),
           "PODPATH_INSTALL_PREFIX": str(root)}
    res = subprocess.run(["bash", str(SCRIPT), "--no-rootfs"], env=env, capture_output=True, text=True, timeout=60)
    calls = (fake / "calls").read_text().splitlines() if (fake / "calls").exists() else []
    return res, calls, fake


def test_preexisting_running_services_are_neither_stopped_nor_disabled(tmp_path: Path) -> None:
    # frr and gobgpd installed and running (a router's own), bird2 missing; a package script
    # starts every service during the install (a policy-rc.d that allows it).
    res, calls, fake = _run(tmp_path, installed=["frr", "gobgpd", "debootstrap", "iproute2", "chromium"],
                            active=["frr", "gobgpd"], enabled=["frr", "gobgpd"], starts=["frr", "gobgpd", "bird"])
    assert res.returncode == 0, res.stderr
    assert "apt-get install -y -qq --no-install-recommends bird2" in calls
    assert not [c for c in calls if c.startswith("systemctl disable")]
    assert not [c for c in calls if c.startswith("systemctl stop") and "bird" not in c]
    assert (fake / "active-frr").exists() and (fake / "enabled-frr").exists()
    assert (fake / "active-gobgpd").exists() and (fake / "enabled-gobgpd").exists()
    # bird2 came from this run and bird was absent before: only it is stopped, and not disabled
    assert "systemctl stop bird.service" in calls
    assert not (fake / "active-bird").exists() and (fake / "enabled-bird").exists()
    assert not (tmp_path / "root" / "usr" / "sbin" / "policy-rc.d").exists()  # ours, removed again


def test_a_running_service_of_a_package_this_run_installs_is_left_running(tmp_path: Path) -> None:
    # bird runs from elsewhere (a hand-written unit) while the bird2 package is missing; frr is
    # enabled but stopped. Installing the packages must stop neither.
    res, calls, fake = _run(tmp_path, installed=["debootstrap", "iproute2", "chromium"], active=["bird"],
                            enabled=["bird", "frr"], starts=["bird", "frr", "gobgpd"])
    assert res.returncode == 0, res.stderr
    assert not [c for c in calls if c.startswith(("systemctl stop bird", "systemctl stop frr", "systemctl disable"))]
    assert (fake / "active-bird").exists() and (fake / "active-frr").exists()
    assert "systemctl stop gobgpd.service" in calls  # new package, service absent before
    assert "left as it is" in res.stderr


def test_nothing_missing_touches_no_service(tmp_path: Path) -> None:
    res, calls, _ = _run(tmp_path, installed=["frr", "bird2", "gobgpd", "debootstrap", "iproute2", "chromium"],
                         active=["frr", "bird", "gobgpd"], enabled=[], starts=[])
    assert res.returncode == 0, res.stderr
    assert not [c for c in calls if c.startswith(("systemctl", "apt-get"))]
