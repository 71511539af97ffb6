"""Which host a file's path names (snapshot._Loader._host_from_path): found by looking up the path's words
and stem pieces, it must agree with the plain definition (each known name tried as a word of the path, then
as a piece of the stem between separators), which costs hosts x files and was what a 5,000-node load paid."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from podpath.snapshot import _Loader

_TEXT = st.text(alphabet="ab1-_.", min_size=1, max_size=5)


def _reference(names: list[str], file: str) -> str | None:
    known = set(names)
    if not known:
        return None
    parts = file.split("/")
    tokens = set(parts[:-1])
    stem = parts[-1].rsplit(".", 1)[0]
    tokens.add(stem)
    tokens.update(t for t in re.split(r"[-_.]", stem) if t)
    hits = sorted(n for n in known if n in tokens)
    if len(hits) != 1:
        hits = sorted(n for n in known if re.search(rf"(^|[-_.]){re.escape(n)}($|[-_.])", stem)) or hits
    return hits[0] if len(hits) == 1 else None


@settings(max_examples=400, deadline=None)
@given(names=st.lists(_TEXT, max_size=6), dirs=st.lists(_TEXT, max_size=3),
       stem=st.text(alphabet="ab1-_.", min_size=1, max_size=12), ext=st.sampled_from(["", ".conf", ".x.yaml"]))
def test_agrees_with_trying_every_name(names: list[str], dirs: list[str], stem: str, ext: str) -> None:
    loader = _Loader(Path("/nonexistent"))
    for n in names:
        loader.snap.cluster.host(n)
    file = "/".join([*dirs, stem + ext])
    assert loader._host_from_path(file) == _reference(names, file)


def test_examples() -> None:
    loader = _Loader(Path("/nonexistent"))
    for n in ("worker-1", "worker-10", "cp01", "pve01"):
        loader.snap.cluster.host(n)
    assert loader._host_from_path("bird/bird-worker-1.conf") == "worker-1"
    assert loader._host_from_path("hosts/pve01/frr.conf") == "pve01"
    assert loader._host_from_path("bird/worker-10.conf") == "worker-10"
    assert loader._host_from_path("frr/pve01-cp01.conf") is None  # two hosts named: not settled by the path
    assert loader._host_from_path("frr/router.conf") is None
