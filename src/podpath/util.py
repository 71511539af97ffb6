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
