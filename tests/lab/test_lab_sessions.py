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


@pytest.mark.parametrize("name", ["multihop-one-side", "port-bird-local-port", "port-mismatch-passive"])
def test_lab_matches_the_simulator(name: str) -> None:
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "lab", "compare", str(CASES / name)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "0 difference(s)" in r.stdout, r.stdout + r.stderr
