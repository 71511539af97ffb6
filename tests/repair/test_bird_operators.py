"""BIRD repair operators on small broken snapshots (tests/fixtures/repair/bird-*): each fixture's intended edit
is proposed, it verifies by re-simulation (the lost pod routes and sessions come back, no new error), it is the
top-ranked verified candidate, and healthy snapshots get no candidate that would verify."""

from __future__ import annotations

import pytest

import podpath
from opcheck import FIXTURES, candidates, fixture_names, healthy_names, intended, meets, outcome, ranked, verifies

BROKEN = fixture_names("bird-")
HEALTHY = healthy_names("bird-")


def test_fixtures_exist() -> None:
    kinds = {n.rsplit("-", 1)[0] for n in BROKEN}
    assert {"bird-prefix-set", "bird-community", "bird-kernel", "bird-neighbor-as", "bird-multihop", "bird-passive",
            "bird-unused-filter"} <= kinds
    assert HEALTHY


@pytest.mark.parametrize("name", BROKEN)
def test_intended_repair_verifies_and_ranks_first(name: str) -> None:
    root = FIXTURES / name / "snapshot"
    snap = podpath.load(root)
    before = outcome(snap)
    assert before.errors, f"{name} is not broken"
    cands = candidates(snap, ("bird.",), before)
    want = intended(name)
    hits = [c for c in cands if meets(c, snap.texts, want)]
    assert hits, f"no candidate edits {want}: {[c.fix for c in cands]}"
    ok = [c for c in cands if verifies(root, snap, before, c)]
    assert any(c in ok for c in hits), f"the intended edit does not verify: {[c.fix for c in hits]}"
    top = ranked(ok)[0]
    assert meets(top, snap.texts, want), f"top repair is {top.fix}, not {want}"
    # the first sentence names the file:line the patch edits, in the user's terms
    edit = top.patch.edits[0]
    assert f"{edit.file}:" in top.mistake and top.mistake.endswith(".")
    assert top.patch.diff(snap.texts).startswith(f"--- a/{top.patch.files[0]}")


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_snapshot_gets_no_verified_repair(name: str) -> None:
    root = FIXTURES / name / "snapshot"
    snap = podpath.load(root)
    before = outcome(snap)
    assert not before.errors
    assert not [c.fix for c in candidates(snap, ("bird.",), before) if verifies(root, snap, before, c)]


def test_prefix_set_variants_rank_exact_length_first() -> None:
    """A bare /16 matched against /24 pod CIDRs: `{24,24}` (what the pods are) outranks `{16,24}` and `+`,
    and all three verify (each accepts the pods)."""
    name = "bird-prefix-set-1"
    root = FIXTURES / name / "snapshot"
    snap = podpath.load(root)
    before = outcome(snap)
    cands = candidates(snap, ("bird.prefix-set-length",))
    assert [c.patch.edits[0].new[0].split("[")[1].split("]")[0].strip() for c in ranked(cands)] == [
        "10.212.0.0/16{24,24}", "10.212.0.0/16{16,24}", "10.212.0.0/16+"]
    assert all(verifies(root, snap, before, c) for c in cands)
    assert "`net ~ K8S_PODS`" in cands[0].mistake and "/24" in cands[0].mistake


def test_operators_follow_the_evidence_not_the_names() -> None:
    """The same mistake under other names and numbers (a renamed define, another pod range, IPv4 nodes with
    another AS) is found the same way: the operators read the model, not the example."""
    root = FIXTURES / "bird-prefix-set-1" / "snapshot"
    snap = podpath.load(root)
    texts = {f: t.replace("K8S_PODS", "CLUSTER_NETS").replace("10.212.", "10.77.") for f, t in snap.texts.items()}
    other = podpath.load(root, overlay=texts)
    assert other.check().findings, "the renamed snapshot is still broken"
    cands = ranked(candidates(other, ("bird.",)))
    assert cands and "10.77.0.0/16{24,24}" in cands[0].patch.edits[0].new[0]
    assert "CLUSTER_NETS" in cands[0].mistake


def test_community_permutation_is_named_as_such() -> None:
    snap = podpath.load(FIXTURES / "bird-community-1" / "snapshot")
    (c,) = candidates(snap, ("bird.community-value",))
    assert "65000:100:0" in c.mistake and "65000:0:100" in c.mistake and "another order" in c.mistake


def test_kernel_export_only_from_the_protocols_that_carried_the_routes() -> None:
    """Exporting `all` would also install the node's own pod CIDR learned from Cilium; the repair exports the
    upstream protocol's routes only, in every file that needs it, as one patch."""
    snap = podpath.load(FIXTURES / "bird-kernel-1" / "snapshot")
    (c,) = candidates(snap, ("bird.kernel-export",))
    assert c.patch.files == ["bird/n1.conf", "bird/n2.conf", "bird/n3.conf"]
    assert all(e.new == ('    export where proto = "upstream";',) for e in c.patch.edits)


def test_passive_prefers_the_protocol_over_the_template() -> None:
    snap = podpath.load(FIXTURES / "bird-passive-1" / "snapshot")
    cands = ranked(candidates(snap, ("bird.passive",)))
    assert [c.patch.files for c in cands] == [["bird/n3.conf"], ["bird/rtr.conf"]]
    assert "template" in cands[1].fix


class _Texts:
    """What the edit helpers read from a RepairContext: the files' lines."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def line(self, file: str, line: int) -> str:
        lines = self.texts.get(file, "").splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


def test_statement_inserted_inside_a_one_line_protocol() -> None:
    from podpath.diagnostics import Loc
    from podpath.repair.operators.bird import _add_after_statement

    ctx = _Texts({"b.conf": "protocol bgp n2 from node { neighbor 10.0.0.12 as 65102; }\n"
                           "protocol bgp up {\n\tneighbor 10.0.0.1 as 65000;  # upstream\n}\n"})
    e = _add_after_statement(ctx, Loc("b.conf", 1, 29), "multihop;")  # type: ignore[arg-type]
    assert e is not None and e.new == ("protocol bgp n2 from node { neighbor 10.0.0.12 as 65102; multihop; }",)
    e = _add_after_statement(ctx, Loc("b.conf", 3, 2), "multihop;")  # type: ignore[arg-type]
    assert e is not None and e.old == () and e.line == 4 and e.new == ("\tmultihop;",)


def test_statement_added_to_bare_one_line_and_block_channels() -> None:
    from podpath.diagnostics import Loc
    from podpath.repair.operators.bird import _channel_statement

    ctx = _Texts({"k.conf": "protocol kernel {\n  ipv4;\n}\nprotocol kernel k6 { ipv6 { import none; }; }\n"
                           "protocol bgp x {\n    ipv4 {\n        import all;\n    };\n}\n"})
    e = _channel_statement(ctx, Loc("k.conf", 2, 3), "export all;")  # type: ignore[arg-type]
    assert e is not None and e.new == ("  ipv4 { export all; };",)
    e = _channel_statement(ctx, Loc("k.conf", 4, 22), "export all;")  # type: ignore[arg-type]
    assert e is not None and e.new == ("protocol kernel k6 { ipv6 { export all; import none; }; }",)
    e = _channel_statement(ctx, Loc("k.conf", 6, 5), "next hop self;")  # type: ignore[arg-type]
    assert e is not None and e.line == 7 and e.new == ("      next hop self;",)


@pytest.mark.parametrize("name", [n for n in BROKEN if not n.endswith("multihop-2")])  # seed 004: slow, above
def test_engine_top_repair_is_the_intended_one(name: str) -> None:
    """Through the whole engine (every dialect's operators, verification, ranking), the top repair is the
    fixture's intended edit."""
    from podpath.repair.search import repair

    snap = podpath.load(FIXTURES / name / "snapshot")
    top = repair(snap).top
    assert top is not None and meets(top, snap.texts, intended(name)), top and top.candidate.fix  # type: ignore[arg-type]
