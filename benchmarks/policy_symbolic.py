"""Cost of the symbolic policy analysis: the SEC rules and one `policy search` on generated clusters.

Writes the snapshots of snapshot_scale.py (N BIRD nodes, three FRR route servers with listen ranges and
route-maps matching pod prefixes and a community), loads and simulates them, then times each SEC rule
and a search over a route server's inbound policy.

    python benchmarks/policy_symbolic.py 100 1000
"""

from __future__ import annotations

import ipaddress
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import snapshot_scale  # noqa: E402

import podpath  # noqa: E402
from podpath.routing.policy_query import targets  # noqa: E402
from podpath.routing.symbolic import PERMIT, Space, compile_policy, search  # noqa: E402


def run(n: int, root: Path) -> dict[str, float]:
    snapshot_scale.write_snapshot(n, root)
    t = time.perf_counter()
    snap = podpath.load(root)
    snap.simulate()
    out = {"load+simulate": time.perf_counter() - t}
    for rule in ("SEC001", "SEC002", "SEC003", "SEC004"):
        t = time.perf_counter()
        snap.check([rule])
        out[rule] = time.perf_counter() - t
    rr = sorted(h for h in snap.cluster.hosts if h.startswith("rr"))[0]
    peer = next(p.name for sp in snap.control_plane().speakers if sp.host == rr for p in sp.peers
                if p.listen_range is not None and p.listen_range.version == 6)
    (tg,) = [x for x in targets(snap, rr, peer, None, None, 6) if x.direction.value == "import"]
    t = time.perf_counter()
    sp = Space(6)
    c = compile_policy(tg.policy, sp, tg.ctx)
    search(c, PERMIT, sp.prefix_within(ipaddress.ip_network("fd00::/8")))
    out["search"] = time.perf_counter() - t
    return out


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100]
    print(f"{'nodes':>6} " + " ".join(f"{k:>14}" for k in ("load+simulate", "SEC001", "SEC002", "SEC003",
                                                             "SEC004", "search")))
    for n in sizes:
        with tempfile.TemporaryDirectory() as d:
            r = run(n, Path(d) / f"n{n}")
        print(f"{n:>6} " + " ".join(f"{v:>13.2f}s" for v in r.values()))


if __name__ == "__main__":
    main(sys.argv[1:])
