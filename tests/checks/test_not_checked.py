"""What a check could not answer is listed in `Report.not_checked` and makes the report incomplete;
rule selection by id or name, case-insensitive, with close matches for unknown ones."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

import podpath
from podpath.checks import UnknownRule, resolve_rules
from podpath.routing import timing
from podpath.routing.sim import Simulator

DATA = Path(__file__).resolve().parents[1] / "routing" / "data"


def test_bgp005_second_run_skipped_is_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    snap = podpath.load(DATA / "two-stable-outcomes")
    full = snap.check(["BGP005"])
    assert full.not_checked == [] and any(f.rule == "BGP005" for f in full.findings)
    # the same snapshot above the route bound: the order-dependence run is skipped, and said to be
    monkeypatch.setattr(timing, "timing_dependent", functools.partial(timing.timing_dependent, max_routes=0))
    rep = podpath.load(DATA / "two-stable-outcomes").check(["bgp005"])
    assert [n.rule for n in rep.not_checked] == ["BGP005"]
    assert "policies with several stable outcomes" in rep.not_checked[0].what
    assert not rep.complete
    assert not any(f.subject == "not-checked" for f in rep.findings)  # a gap, not a finding


def test_simulation_without_fixed_point_is_not_checked() -> None:
    snap = podpath.load(DATA / "two-stable-outcomes")
    cp = snap.control_plane()
    snap._simulation = Simulator(cp.speakers, cp.network, cp.extra_fib, max_steps=1).run()
    assert not snap._simulation.converged
    rep = snap.check(["BGP003"])
    gaps = [n for n in rep.not_checked if n.what == "the BGP simulation"]
    assert gaps and gaps[0].rule is None and "no fixed point within 2 steps" in gaps[0].why
    assert not rep.complete


def test_resolve_rules() -> None:
    assert resolve_rules(["nr002,HM001", " bgp005 ", "NR002"]) == ["NR002", "HM001", "BGP005"]
    assert resolve_rules(["native-routing-cidr-excludes-pods"]) == ["NR002"]
    with pytest.raises(UnknownRule, match=r"unknown rule 'BGP07' \(close matches: BGP00\d"):
        resolve_rules(["BGP07"])
    with pytest.raises(UnknownRule):
        podpath.load(DATA / "two-stable-outcomes").check(["NOPE"])


def test_a_rule_that_fails_is_not_checked_not_a_traceback(monkeypatch) -> None:
    """A defect in one rule becomes a NOT CHECKED entry; the other rules still run."""
    from pathlib import Path

    import podpath
    from podpath.checks.base import RULES

    def boom(ctx):  # type: ignore[no-untyped-def]
        raise ValueError("synthetic defect")
        yield  # pragma: no cover

    from dataclasses import replace

    monkeypatch.setitem(RULES, "MQ003", replace(RULES["MQ003"], func=boom))
    ex = Path(__file__).resolve().parents[2] / "examples" / "seed000-ipv6-native-cidr" / "broken"
    report = podpath.load(ex).check(["MQ003", "NR002"])
    assert [f.rule for f in report.findings] == ["NR002"]
    assert any(n.rule == "MQ003" and "internal error" in n.why for n in report.not_checked) and not report.complete
