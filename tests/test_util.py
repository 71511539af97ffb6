"""util.paused_gc: the collector is off inside, back on after, and what was made inside is neither walked by
the next young collection nor lost to the collector (cycles among it are still found by a full one)."""

from __future__ import annotations

import gc
import weakref

import pytest

from podpath import util
from podpath.util import paused_gc


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_paused_inside_enabled_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one does not re-enable
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_objects_made_inside_go_to_the_oldest_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(util, "_DEFER_AT", 1000)
    monkeypatch.setattr(util, "_deferred", 0)
    gc.collect()
    with paused_gc():
        keep = [_Node() for _ in range(5000)]
        assert gc.get_count()[0] >= 5000
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert not any(id(o) in young for o in keep)  # nothing left for the next young collection to walk
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(o) in oldest for o in keep)
    del keep


def test_a_small_pause_is_left_to_the_collector() -> None:
    """A seed-sized verification: its objects stay young, so its cyclic garbage goes with the next collections."""
    gc.collect()
    with paused_gc():
        keep = [_Node() for _ in range(500)]
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert all(id(o) in young for o in keep)


def test_deferred_walks_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many large pauses in one process (a repair search over a large snapshot): the cycles they leave
    are collected once enough objects were deferred, without anyone calling gc.collect()."""
    monkeypatch.setattr(util, "_DEFER_AT", 1000)
    monkeypatch.setattr(util, "_DEFER_MAX", 20_000)
    monkeypatch.setattr(util, "_deferred", 0)
    gc.collect()
    refs = []
    for _ in range(30):
        with paused_gc():
            refs.append(_cycle())
            keep = [_Node() for _ in range(2000)]  # noqa: F841 (a large pause)
        del keep
    assert util._deferred <= 20_000
    assert sum(r() is None for r in refs) >= 20  # all but those of the pauses since the last full collection


def test_cycles_made_inside_are_still_collected() -> None:
    with paused_gc():
        ref = _cycle()
    assert ref() is not None
    gc.collect()
    assert ref() is None


def test_a_callers_frozen_objects_stay_frozen() -> None:
    gc.collect()
    mine = [_Node() for _ in range(100)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with paused_gc():
            _ = [_Node() for _ in range(100)]
        assert gc.get_freeze_count() == frozen  # not unfrozen by paused_gc
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    del mine


def test_exception_inside_reenables() -> None:
    try:
        with paused_gc():
            raise ValueError("x")
    except ValueError:
        pass
    assert gc.isenabled()
