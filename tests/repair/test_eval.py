"""Every case under tests/fixtures/repair (see its README.md) as a test: the top verified repair makes the
intended edit, and a healthy case gets no patch. Adding a case adds a test; tools/repair_eval.py prints the
same over all cases with the time per repair."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_TOOL = Path(__file__).resolve().parents[2] / "tools" / "repair_eval.py"
_spec = importlib.util.spec_from_file_location("repair_eval", _TOOL)
assert _spec is not None and _spec.loader is not None
repair_eval = importlib.util.module_from_spec(_spec)
sys.modules["repair_eval"] = repair_eval  # dataclasses look their module up
_spec.loader.exec_module(repair_eval)

CASES = repair_eval.cases()


def test_there_are_cases_of_both_kinds() -> None:
    assert any(c.healthy for c in CASES) and any(c.edits for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case) -> None:  # type: ignore[no-untyped-def]
    out = repair_eval.evaluate(case)
    assert out.ok, f"{case.name}: {out.why} (proposed: {out.proposed})"


def test_the_judge_can_say_no() -> None:
    from podpath.repair.edit import Patch, TextEdit

    text = {"f": "a\nip prefix-list P seq 5 permit 10.0.0.0/8\nb\n"}
    good = Patch([TextEdit.replace_line("f", 2, "ip prefix-list P seq 5 permit 10.0.0.0/8",
                                        "ip prefix-list P seq 5 permit 10.0.0.0/8 le 24")])
    fixed = {**text, **good.apply(text)}
    want = {"file": "f", "line": 2, "contains": "le 24"}
    assert repair_eval._makes(good, fixed, want)
    assert not repair_eval._makes(good, fixed, {**want, "line": 3})
    assert not repair_eval._makes(good, fixed, {**want, "contains": "le 32"})
    assert not repair_eval._makes(good, fixed, {**want, "file": "g"})
    gone = Patch([TextEdit.delete_line("f", 1, "a")])
    after = {**text, **gone.apply(text)}
    assert repair_eval._makes(gone, after, {"file": "f", "line": 1, "contains": "prefix-list"})
    assert repair_eval._makes(gone, after, {"file": "f", "line": 1, "removed": "a"})
    assert not repair_eval._makes(good, fixed, {"file": "f", "line": 2, "removed": "10.0.0.0/8"})
