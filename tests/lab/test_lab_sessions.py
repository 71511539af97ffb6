"""Session rules checked against the real daemons: eBGP over the loopbacks of adjacent FRR routers with
`ebgp-multihop` on one side only (up), FRR's `neighbor X port N` to a passive BIRD that listens elsewhere
(down), and BIRD's `local ... port N` as its listening port (up). Each snapshot under tests/fixtures/lab/ runs
in `podpath lab compare`; the simulator must match (tests/routing/test_sessions_ports_multihop.py holds the
same cases without the lab)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(os.geteuid() != 0 or shutil.which("vtysh") is None or shutil.which("bird") is None,
                                 reason="needs root, FRR and BIRD installed")]

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "lab"


NAMES = ["multihop-one-side", "port-bird-local-port", "port-mismatch-passive"]


def _compare(name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "podpath.cli", "lab", "compare", str(CASES / name)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def compared(request: pytest.FixtureRequest) -> dict[str, subprocess.CompletedProcess[str]]:
    """`podpath lab compare` of every selected case, side by side: each lab is a separate run (its own
    namespaces, links and state, named by its run id), and a lab mostly waits for its daemons to converge, so
    the three take little longer than one (the same pattern as tests/test_secrets.py's `outputs`)."""
    from concurrent.futures import ThreadPoolExecutor

    wanted = sorted({item.callspec.params["name"] for item in request.session.items
                     if getattr(item, "module", None) is request.module and hasattr(item, "callspec")})
    with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
        done = {name: pool.submit(_compare, name) for name in wanted}
        return {name: f.result() for name, f in done.items()}


@pytest.mark.parametrize("name", NAMES)
def test_lab_matches_the_simulator(name: str, compared: dict[str, subprocess.CompletedProcess[str]]) -> None:
    r = compared[name]
    assert r.returncode == 0 and "0 difference(s)" in r.stdout, r.stdout + r.stderr
