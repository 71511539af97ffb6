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
    counting still frees everything; the collector runs once at the end."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def is_digits(text: str) -> bool:
    """ASCII decimal digits only: the daemons and Kubernetes refuse other scripts' digits (`١٢`) that Python's
    `str.isdecimal()` and `int()` accept."""
    return text.isascii() and text.isdecimal()
