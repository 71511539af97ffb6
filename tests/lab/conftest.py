"""Fixtures for lab tests: skip cleanly without root or daemons; both daemon generations."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from podpath.lab.errors import RootfsError
from podpath.lab.rootfs import DaemonGeneration, resolve_generation

DATA = Path(__file__).parent / "data"
HOST_TOOLS = ("ip", "bird", "birdc", "gobgpd", "gobgp", "vtysh")


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces, daemons)"
    missing = [t for t in HOST_TOOLS if shutil.which(t) is None]
    if not Path("/usr/lib/frr/bgpd").exists():
        missing.append("/usr/lib/frr/bgpd")
    if missing:
        return f"lab tests need the routing daemons; missing: {', '.join(missing)} (run .ci/install-daemons)"
    return None


@pytest.fixture
def lab_env() -> None:
    """Skip unless this machine can run a lab."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)


_trixie: DaemonGeneration | str | None = None


def _trixie_generation() -> DaemonGeneration:
    """Build (once per session) or reuse the trixie rootfs; skip if that is impossible."""
    global _trixie
    if _trixie is None:
        try:
            _trixie = resolve_generation("trixie", build=os.environ.get("PODPATH_NO_ROOTFS_BUILD") != "1")
        except (RootfsError, OSError) as e:
            _trixie = f"trixie rootfs unavailable: {e}"
    if isinstance(_trixie, str):
        pytest.skip(_trixie)
    assert isinstance(_trixie, DaemonGeneration)
    return _trixie


@pytest.fixture(params=["host", "trixie"])
def gen(request: pytest.FixtureRequest, lab_env: None) -> DaemonGeneration:
    """Each daemon generation: host packages (FRR 8.4, BIRD 2.0) and trixie (FRR 10.3, BIRD 2.17)."""
    if request.param == "host":
        return resolve_generation("host")
    return _trixie_generation()
