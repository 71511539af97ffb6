"""podpath.diff.compare on real small snapshots: pod pairs gained and lost by forwarding over the simulated
kernel tables, sessions, routes per speaker, kernel tables, findings; regressions and side effects; a
deterministic JSON document."""

from __future__ import annotations

import json

import podpath
from podpath.diff import compare
from repairfx import BAD, FRR, GOOD, HEALTHY, broken


def _with(root, file: str, old: str, new: str) -> podpath.Snapshot:  # type: ignore[no-untyped-def]
    snap = podpath.load(root)
    return podpath.load(root, overlay={file: snap.texts[file].replace(old, new)})


def test_same_snapshot_differs_in_nothing() -> None:
    d = compare(podpath.load(HEALTHY), podpath.load(HEALTHY))
    assert d.empty and not d.regressions() and not d.side_effects()
    assert d.pairs_total == 6 and d.pairs_reachable == 6 == d.pairs_reachable_before


def test_fixing_the_prefix_list_gains_every_pair(tmp_path) -> None:  # type: ignore[no-untyped-def]
    before = podpath.load(broken(tmp_path))
    d = compare(before, podpath.load(HEALTHY))
    assert [(p.src, p.dst) for p in d.gained()] == [("n1", "n2"), ("n1", "n3"), ("n2", "n1"), ("n2", "n3"),
                                                    ("n3", "n1"), ("n3", "n2")]
    assert not d.lost() and not d.regressions()
    assert d.pairs_reachable_before == 0 and d.pairs_reachable == 6
    added = {(r.speaker, r.prefix) for r in d.routes if r.change == "added"}
    assert ("r1/frr", "10.244.1.0/24") in added and ("n2/bird", "10.244.1.0/24") in added
    assert {(k.host, k.prefix) for k in d.kernel if k.change == "added"} >= {("r1", "10.244.1.0/24"),
                                                                           ("n3", "10.244.2.0/24")}
    assert [f.id for f in d.findings_resolved] == ["BGP002:ipv4:import:route-map RM-PODS-IN deny 100"]
    assert not d.findings_introduced
    assert not d.side_effects()  # only pod CIDRs were gained


def test_breaking_it_is_a_regression(tmp_path) -> None:  # type: ignore[no-untyped-def]
    d = compare(podpath.load(HEALTHY), podpath.load(broken(tmp_path)))
    kinds = {c.kind for c in d.regressions()}
    assert kinds == {"pair-lost", "kernel-route-lost", "new-error"}
    assert len(d.lost()) == 6 and d.pairs_reachable == 0
    assert any(k.change == "removed" and k.host == "n1" and k.prefix == "10.244.2.0/24" for k in d.kernel)


def test_a_session_down_is_a_regression_with_its_reason() -> None:
    after = _with(HEALTHY, FRR, "neighbor 10.0.0.12 remote-as 65012", "neighbor 10.0.0.12 remote-as 65099")
    d = compare(podpath.load(HEALTHY), after, findings=False)
    down = [s for s in d.sessions if s.after != "established"]
    assert down and all(s.before == "established" for s in down)
    assert any("65099" in s.reason_after or "65012" in s.reason_after for s in down)
    regs = d.regressions()
    assert {"session-down", "pair-lost"} <= {c.kind for c in regs}
    assert not d.findings_compared and not d.findings_resolved


def test_accepting_more_than_pods_is_a_side_effect() -> None:
    extra = "  route 10.244.1.0/24 blackhole;\n  route 192.168.77.0/24 blackhole;"
    base = _with(HEALTHY, "bird/n1.conf", "  route 10.244.1.0/24 blackhole;", extra)
    overlay = {"bird/n1.conf": base.texts["bird/n1.conf"], FRR: base.texts[FRR].replace(
        GOOD, "ip prefix-list PL-PODS seq 5 permit any")}
    after = podpath.load(HEALTHY, overlay=overlay)
    d = compare(base, after, findings=False)
    side = d.side_effects()
    assert any(c.kind == "route-accepted" and c.subject == "r1/frr:192.168.77.0/24" for c in side)
    assert any(c.kind == "route-installed" and c.subject == "n2:main:192.168.77.0/24" for c in side)
    assert not d.regressions()


def test_json_is_deterministic_and_complete(tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = broken(tmp_path)
    a = json.dumps(compare(podpath.load(root), podpath.load(HEALTHY)).to_json())
    b = json.dumps(compare(podpath.load(root), podpath.load(HEALTHY)).to_json())
    assert a == b
    doc = json.loads(a)
    assert set(doc) == {"pairs", "sessions", "routes", "kernel", "findings", "regressions", "side_effects"}
    assert doc["pairs"]["reachable_after"] == 6 and len(doc["pairs"]["gained"]) == 6
    speakers = [r["speaker"] for r in doc["routes"]]
    assert speakers == sorted(speakers)
    assert BAD not in a  # structures, not rendered configuration text


def test_sessions_and_paths_are_compared_by_their_ends_not_by_peer_names() -> None:
    """SEC001's own fix on seed004 turns pve01's listen-range peers into explicit neighbors: the same sessions
    (the ends swap sides in the session's id) and the same best paths (only the peer configs' names differ),
    so no regression, no side effect; the finding is resolved."""
    from pathlib import Path

    from podpath.whatif import apply_patch

    root = Path(__file__).resolve().parents[2] / "examples" / "seed004-bgp-pod-cidr" / "complete"
    snap = podpath.load(root)
    fix = next(f for f in snap.check(["SEC001"]).findings if f.subject.startswith("pve01")).fix
    fixed = podpath.load(root, overlay=apply_patch(snap, fix.diff, "fix.diff"))
    before_ids = {s.id for s in snap.simulate().sessions}
    after_ids = {s.id for s in fixed.simulate().sessions}
    assert before_ids != after_ids  # the ids name the peer configs: they do change
    d = compare(snap, fixed)
    assert d.sessions == [] and d.routes == [] and d.kernel == []
    assert not d.regressions() and not d.side_effects()
    assert [f.id for f in d.findings_resolved] == ["SEC001:pve01/frr@vrf_evpnz1:ipv6"]


def test_a_session_that_really_goes_down_is_still_a_regression() -> None:
    """Keyed by its ends, a session whose neighbor address changes is another session: the old one is lost."""
    root = HEALTHY
    snap = podpath.load(root)
    files = [f for f in snap.texts if f.startswith("frr/")]
    text = snap.texts[files[0]]
    addr = next(s.b.remote_address for s in snap.simulate().sessions if s.b is not None and s.up
                and s.a.speaker.host != s.b.speaker.host and str(s.b.remote_address) in text)
    moved = podpath.load(root, overlay={files[0]: text.replace(f"neighbor {addr} ", f"neighbor 192.0.2.99 ")})
    d = compare(snap, moved)
    assert any(c.kind == "session-down" for c in d.regressions())
