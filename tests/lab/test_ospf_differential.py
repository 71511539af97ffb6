"""The OSPF differential suite: generated underlays, real ospfd/ospf6d and BIRD OSPF vs the simulator.

Every scenario (`podpath.lab.ospf_scenarios.generate_ospf`: FRR and BIRD routers on shared
segments, OSPFv2 and OSPFv3, loopbacks, areas, costs, point-to-point links, externals, faults)
runs in the lab and in the simulator; every OSPF route each daemon gave its routing table
(prefix, metric, every next hop; BIRD: route type and both metrics) must be what the simulated
underlay computes. A differing scenario is saved with DIFFERENCES.txt (to $PODPATH_DIFF_SAVE,
or the test's tmp dir) and reproduces with `podpath lab compare DIR`.

Default run: PODPATH_OSPF_DIFF_COUNT scenarios (4) on the trixie generation (FRR 10.3, BIRD 2.17), one
lab; `-m slow` runs the same 4 on the host generation and 52 more per generation. An OSPF lab costs about
the same whatever its number of scenarios (~35 s: dead intervals, DR election, the quiet period), so the
default run has one of them; the host generation's ospfd runs there in the three-hypervisor OSPF-underlay
iBGP fixture (healthy; broken under `-m slow`), which also runs in the default run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from labdiff import run_and_check

import podpath
from podpath.lab.ospf_scenarios import generate_ospf
from podpath.lab.rootfs import DaemonGeneration
from podpath.lab.run import compare, run_lab

COUNT = int(os.environ.get("PODPATH_OSPF_DIFF_COUNT", "4"))
SEED = int(os.environ.get("PODPATH_OSPF_DIFF_SEED", "500"))
BATCH = 8
FIXTURES = Path(__file__).parents[1] / "routing" / "data" / "ospf-underlay"




def _run(gen: DaemonGeneration, seeds: list[int], tmp_path: Path) -> None:
    run_and_check(gen, seeds, tmp_path, batch=BATCH, what="OSPF scenarios", generator=generate_ospf)


@pytest.mark.lab
@pytest.mark.parametrize("gen", ["trixie", pytest.param("host", marks=pytest.mark.slow)], indirect=True)
def test_ospf_scenarios_match_the_daemons(gen: DaemonGeneration, tmp_path: Path) -> None:
    _run(gen, list(range(SEED, SEED + COUNT)), tmp_path)


@pytest.mark.lab
@pytest.mark.slow
def test_many_ospf_scenarios_match_the_daemons(gen: DaemonGeneration, tmp_path: Path) -> None:
    _run(gen, list(range(SEED + COUNT, SEED + COUNT + 52)), tmp_path)


@pytest.mark.lab
@pytest.mark.parametrize("variant", ["healthy", pytest.param("broken", marks=pytest.mark.slow)])
def test_ospf_underlay_ibgp_fixture_matches_the_daemons(lab_env: None, variant: str) -> None:
    """The three hypervisors (FRR 8.4 configs: run on the host generation, whose version they state):
    sessions, BGP tables and OSPF routes as simulated; healthy has every session up, broken the IPv4
    sessions with pve03 down in the lab too."""
    snap = podpath.load(FIXTURES / variant)
    lab = run_lab(snap, daemons="host", progress=lambda m: None)
    assert compare(snap, lab) == []
    up = {h: all(data["sessions"]["frr"].values()) for h, data in lab["hosts"].items()}
    assert all(up.values()) == (variant == "healthy")
