"""Small runtime helpers."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large, acyclic object graphs
    (parsed configs, RIBs): with millions of live objects CPython's generational GC
    rescans them repeatedly and parsing becomes several times slower. Reference
    counting still frees everything.

    On the way out the objects made meanwhile are moved to the oldest generation without
    being walked (`gc.freeze()` then `gc.unfreeze()`: two list splices): re-enabling the
    collector would otherwise make its next young collection walk every one of them
    (2.9 s after a 1,000-node simulation). Cycles among them are found by the next full
    collection. Not done when the caller froze objects of its own (unfreeze would release them)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def is_digits(text: str) -> bool:
    """ASCII decimal digits only: the daemons and Kubernetes refuse other scripts' digits (`١٢`) that Python's
    `str.isdecimal()` and `int()` accept."""
    return text.isascii() and text.isdecimal()
