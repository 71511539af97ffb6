"""`podpath fix` and the repair in `podpath check`, run in-process with test operators: the verified patch as a
unified diff with its mistake and verification line, `--write` (refused when a file changed since it was read),
exit codes 0/1/2, JSON; `check` rewrites each error finding the top repair resolves, `--no-repair` does not."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from podpath.cli import app
from podpath.repair import search
from repairfx import BAD, FRR, GOOD, HEALTHY, broken, copy, prefix_length_op

runner = CliRunner()


@pytest.fixture(autouse=True)
def ops(monkeypatch: pytest.MonkeyPatch) -> dict:
    registry = {"test.le": prefix_length_op}
    monkeypatch.setattr(search, "OPERATORS", registry)
    return registry


def test_fix_prints_the_verified_diff(tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = broken(tmp_path)
    r = runner.invoke(app, ["fix", str(root)])
    assert r.exit_code == 1, r.output
    assert f"mistake: {BAD} lacks `le 24`" in r.output and "fix: add `le 24`" in r.output
    assert f"--- a/{FRR}\n+++ b/{FRR}\n" in r.output and f"-{BAD}\n+{GOOD}\n" in r.output
    assert "verified by re-simulation: 6/6 node pairs reachable, no regressions" in r.output
    assert (root / FRR).read_text().count(BAD + "\n") == 1  # printing writes nothing


def test_fix_write_applies_and_then_nothing_is_left(tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = broken(tmp_path)
    (root / FRR).chmod(0o640)
    r = runner.invoke(app, ["fix", str(root), "--write"])
    assert r.exit_code == 1 and f"written: {FRR}" in r.output
    assert (root / FRR).read_text() == (HEALTHY / FRR).read_text()
    assert (root / FRR).stat().st_mode & 0o777 == 0o640
    assert not [p for p in (root / "frr").iterdir() if p.name != "r1.conf"]  # no temporary file left
    again = runner.invoke(app, ["fix", str(root)])
    assert again.exit_code == 0 and "Nothing to fix: no error finding." in again.output


def test_fix_write_keeps_crlf_and_bom(tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = broken(tmp_path)
    f = root / FRR
    f.write_bytes(b"\xef\xbb\xbf" + f.read_text().replace("\n", "\r\n").encode())
    r = runner.invoke(app, ["fix", str(root), "--write"])
    assert r.exit_code == 1, r.output
    data = f.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and (GOOD + "\r\n").encode() in data and b"\r\r" not in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_fix_write_refuses_a_file_changed_since_it_was_read(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = broken(tmp_path)
    real = search.repair

    def repair_then_edit(snap, *a, **k):  # type: ignore[no-untyped-def]
        out = real(snap, *a, **k)
        (root / FRR).write_text((root / FRR).read_text() + "! edited meanwhile\n")
        return out

    monkeypatch.setattr(search, "repair", repair_then_edit)
    r = runner.invoke(app, ["fix", str(root), "--write"])
    assert r.exit_code == 2
    assert "--write refused: frr/r1.conf: changed since podpath read it" in r.output
    assert (root / FRR).read_text().endswith(BAD + "\n!\nroute-map RM-PODS-IN permit 10\n match ip address "
                                             "prefix-list PL-PODS\nexit\n!\nroute-map RM-PODS-IN deny 100\nexit\n!\n"
                                             "route-map RM-PODS-OUT permit 10\nexit\n!\n! edited meanwhile\n")


def test_fix_json_and_healthy_and_unusable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = runner.invoke(app, ["fix", str(broken(tmp_path)), "--format", "json"])
    assert r.exit_code == 1
    doc = json.loads(r.output)
    assert doc["schema"] == "podpath/fix/v1" and doc["proposed"] is True
    assert doc["repair"]["operators"] == ["test.le"] and doc["repair"]["kept"] is True
    assert doc["repair"]["diff"].startswith(f"--- a/{FRR}") and doc["written"] == []
    h = runner.invoke(app, ["fix", str(HEALTHY), "--format", "json"])
    assert h.exit_code == 0 and json.loads(h.output)["repair"] is None
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["fix", str(empty)]).exit_code == 2


def test_no_verified_repair_is_said(tmp_path, ops: dict) -> None:  # type: ignore[no-untyped-def]
    ops.clear()
    r = runner.invoke(app, ["fix", str(broken(tmp_path))])
    assert r.exit_code == 0 and "No verified repair for the 1 error finding(s)" in r.output


def test_check_carries_the_verified_fix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = broken(tmp_path)
    r = runner.invoke(app, ["check", str(root), "--format", "json"])
    assert r.exit_code == 1
    f = json.loads(r.output)["findings"][0]
    assert f["message"] == f"{BAD} lacks `le 24`."
    assert f["evidence"][0].startswith("podpath saw: IPv4 pod CIDR(s) 10.244.1.0/24")
    assert f["fix"]["verified"] == "verified by re-simulation: 6/6 node pairs reachable, no regressions"
    assert f"+{GOOD}" in f["fix"]["diff"]
    text = runner.invoke(app, ["check", str(root)])
    assert "verified by re-simulation: 6/6" in text.output and f"+{GOOD}" in text.output
    assert runner.invoke(app, ["check", str(root)]).output == text.output  # deterministic
    plain = json.loads(runner.invoke(app, ["check", str(root), "--format", "json", "--no-repair"]).output)
    g = plain["findings"][0]
    assert g["message"].startswith("IPv4 pod CIDR(s)") and g["fix"]["diff"] is None and g["fix"]["verified"] is None


def test_check_without_errors_does_not_search(tmp_path, ops: dict) -> None:  # type: ignore[no-untyped-def]
    called = []
    ops["test.spy"] = lambda ctx: called.append(1) or []
    r = runner.invoke(app, ["check", str(copy(HEALTHY, tmp_path / "h"))])
    assert r.exit_code == 0 and not called
