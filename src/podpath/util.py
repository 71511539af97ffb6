"""Small runtime helpers."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


_DEFER_AT = 100_000  # objects made inside a pause from which their walk is deferred (a large snapshot)
_DEFER_MAX = 8_000_000  # objects deferred, in all, before a full collection is run instead
_deferred = 0


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large, acyclic object graphs
    (parsed configs, RIBs): with millions of live objects CPython's generational GC
    rescans them repeatedly and parsing becomes several times slower. Reference
    counting still frees everything.

    On the way out, when the pause made many objects, they are moved to the oldest
    generation without being walked (`gc.freeze()` then `gc.unfreeze()`: two list splices):
    re-enabling the collector would otherwise make its next young collection walk every one
    of them (2.9 s after a 1,000-node simulation). The collector does not count what it did
    not walk, so cycles among those objects wait for a full collection: one is run instead
    once 8 million objects have been deferred, which bounds the garbage a process loading
    many large snapshots keeps. A small pause (a repair's verification of a seed-sized
    snapshot) is left to the collector as usual. Nothing is deferred when the caller froze
    objects of its own (unfreeze would release them)."""
    global _deferred
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            made = gc.get_count()[0]
            if made >= _DEFER_AT and gc.get_freeze_count() == 0:
                if _deferred + made > _DEFER_MAX:
                    _deferred = 0
                    gc.collect()
                else:
                    _deferred += made
                    gc.freeze()
                    gc.unfreeze()
            gc.enable()


def is_digits(text: str) -> bool:
    """ASCII decimal digits only: the daemons and Kubernetes refuse other scripts' digits (`١٢`) that Python's
    `str.isdecimal()` and `int()` accept."""
    return text.isascii() and text.isdecimal()
