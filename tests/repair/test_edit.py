"""Patch and TextEdit: line edits checked against the text they were computed from, applied bottom-up,
keeping the file's line endings and its (missing) final newline; a stale or overlapping edit is refused."""

from __future__ import annotations

import subprocess

import pytest

from podpath.repair.edit import Patch, PatchConflict, TextEdit

TEXT = "router bgp 65000\n neighbor X peer-group\n!\nip prefix-list P seq 5 permit 10.0.0.0/8\n!\n"


def test_replace_insert_delete_in_one_patch() -> None:
    p = Patch([TextEdit.replace_line("f", 4, "ip prefix-list P seq 5 permit 10.0.0.0/8",
                                     "ip prefix-list P seq 5 permit 10.0.0.0/8 le 24"),
               TextEdit.insert_after("f", 1, " bgp router-id 10.0.0.1"),
               TextEdit.delete_line("f", 3, "!")])
    out = p.apply({"f": TEXT, "other": "untouched\n"})
    assert out == {"f": "router bgp 65000\n bgp router-id 10.0.0.1\n neighbor X peer-group\n"
                        "ip prefix-list P seq 5 permit 10.0.0.0/8 le 24\n!\n"}
    assert p.size == 3 and p.files == ["f"]


def test_stale_text_is_a_conflict() -> None:
    p = Patch([TextEdit.replace_line("f", 4, "ip prefix-list P seq 5 permit 10.0.0.0/16", "x")])
    with pytest.raises(PatchConflict, match="f:4: expected"):
        p.apply({"f": TEXT})


def test_out_of_range_missing_file_and_overlap_are_conflicts() -> None:
    with pytest.raises(PatchConflict, match="lines"):
        Patch([TextEdit.replace_line("f", 9, "x", "y")]).apply({"f": TEXT})
    with pytest.raises(PatchConflict, match="not in the snapshot"):
        Patch([TextEdit.insert_before("g", 1, "x")]).apply({"f": TEXT})
    with pytest.raises(PatchConflict, match="overlapping"):
        Patch([TextEdit("f", 2, (" neighbor X peer-group", "!"), ("a",)),
               TextEdit.replace_line("f", 3, "!", "b")]).apply({"f": TEXT})


def test_crlf_is_kept() -> None:
    text = TEXT.replace("\n", "\r\n")
    out = Patch([TextEdit.insert_after("f", 2, " neighbor 10.0.0.2 peer-group X")]).apply({"f": text})["f"]
    assert out == text.replace("peer-group\r\n", "peer-group\r\n neighbor 10.0.0.2 peer-group X\r\n", 1)
    assert "\n" not in out.replace("\r\n", "")


def test_no_trailing_newline_is_kept_and_diffed() -> None:
    text = TEXT.rstrip("\n")
    p = Patch([TextEdit.replace_line("f", 5, "!", "! end")])
    assert p.apply({"f": text})["f"] == text[:-1] + "! end"
    d = p.diff({"f": text})
    assert d.count("\\ No newline at end of file") == 2
    app = Patch([TextEdit.insert_after("f", 5, "exit")]).apply({"f": text})["f"]
    assert app == text + "\nexit"


def test_equal_patches_compare_equal_and_hash_alike() -> None:
    a = TextEdit.insert_after("f", 1, "x")
    b = TextEdit.replace_line("f", 4, "ip prefix-list P seq 5 permit 10.0.0.0/8", "y")
    assert Patch([a, b]) == Patch([b, a, a]) and len({Patch([a, b]), Patch([b, a])}) == 1
    assert (Patch([a]) + Patch([b])) == Patch([a, b])


def test_diff_applies_with_patch_p1(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "frr").mkdir()
    (tmp_path / "frr" / "r1.conf").write_text(TEXT)
    p = Patch([TextEdit.replace_line("frr/r1.conf", 4, "ip prefix-list P seq 5 permit 10.0.0.0/8",
                                     "ip prefix-list P seq 5 permit 10.0.0.0/8 le 24")])
    d = p.diff({"frr/r1.conf": TEXT})
    assert d.startswith("--- a/frr/r1.conf\n+++ b/frr/r1.conf\n@@")
    r = subprocess.run(["git", "apply", "-p1", "-"], input=d, text=True, cwd=tmp_path, capture_output=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "frr" / "r1.conf").read_text() == p.apply({"frr/r1.conf": TEXT})["frr/r1.conf"]
