"""What FRR does with a line it does not know, against podpath's severity (differential, both generations).

Measured with `bgpd -C -f FILE` (check the configuration and exit): FRR 8.4 and 10.3 log
"No such command on config line N" for an unknown command and still exit 0 — a daemon reading the file
starts without that line. podpath matches that for unknown commands: a warning ("FRR may reject it; it is
ignored") and an unsupported statement, never an error. (`vtysh --dryrun -f` and `frr-reload.py`, which
`systemctl reload frr` uses, do refuse such a file as a whole.)
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from podpath.diagnostics import Diagnostics
from podpath.readers.frr import parse_frr

TRIXIE = Path("/var/cache/podpath/rootfs-trixie")
BGPD = "/usr/lib/frr/bgpd"

UNKNOWN_COMMANDS = {
    "in-router-bgp": "hostname r1\nrouter bgp 65001\n bgp router-id 10.0.0.1\n bogus_option yes\n"
                     " neighbor 10.0.0.2 remote-as 65002\nexit\n",
    "top-level": "hostname r1\nbogus_statement 1\nrouter bgp 65001\n neighbor 10.0.0.2 remote-as 65002\nexit\n",
}


def _generations() -> list[tuple[str, Path | None]]:
    gens: list[tuple[str, Path | None]] = []
    if Path(BGPD).exists() and os.geteuid() == 0:
        gens.append(("host", None))
    if TRIXIE.joinpath(BGPD.lstrip("/")).exists() and os.geteuid() == 0:
        gens.append(("trixie", TRIXIE))
    return gens


def bgpd_check(root: Path | None, text: str) -> tuple[int, str]:
    """`bgpd -C` on `text` with its own pid file and vty socket directory (nothing of the host's FRR)."""
    with tempfile.TemporaryDirectory(prefix="podpath-frr-check-", dir=(root / "tmp") if root else None) as tmp:
        os.chmod(tmp, 0o755)  # bgpd reads the file after dropping to the frr user
        conf = Path(tmp) / "frr.conf"
        conf.write_text(text)
        os.chmod(conf, 0o644)
        inner = ("/" + str(Path(tmp).relative_to(root))) if root else tmp
        cmd = (["chroot", str(root)] if root else []) + [
            BGPD, "-C", "-f", f"{inner}/frr.conf", "-i", f"{inner}/bgpd.pid", "--vty_socket", inner]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return r.returncode, (r.stdout + r.stderr).strip()


@pytest.mark.parametrize("name", sorted(UNKNOWN_COMMANDS))
def test_unknown_command_is_a_warning_not_an_error(name: str) -> None:
    d = Diagnostics()
    cfg = parse_frr(UNKNOWN_COMMANDS[name], "frr.conf", d)
    assert not d.errors
    assert any(w.level.value == "warning" and "bogus_" in w.message for w in d)
    assert any(u.statement.startswith("bogus_") for u in cfg.unsupported)


@pytest.mark.lab
@pytest.mark.parametrize("gen", [g[0] for g in _generations()] or ["none"])
def test_frr_starts_without_the_unknown_line(gen: str) -> None:
    gens = dict(_generations())
    if gen not in gens:
        pytest.skip("FRR not installed (or not root)")
    for name, text in sorted(UNKNOWN_COMMANDS.items()):
        rc, out = bgpd_check(gens[gen], text)
        assert "can't open" not in out, out  # bgpd -C exits 0 even then: make sure it read the file
        assert rc == 0 and "No such command" in out, (name, rc, out)
