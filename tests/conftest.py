"""Shared fixtures: build small snapshots on disk from file texts."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import os

import pytest
from hypothesis import settings

import podpath
from podpath.snapshot import Snapshot

# Property tests draw the same examples on every run (a CI run is reproducible and never red by chance) and
# keep no example database in the work tree; HYPOTHESIS_PROFILE=explore draws new ones (locally, to hunt).
settings.register_profile("podpath", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "podpath"))


@pytest.fixture(scope="session", autouse=True)
def _compiled_once_for_subprocesses(tmp_path_factory: pytest.TempPathFactory) -> None:
    """CLI tests run `python -m podpath.cli` hundreds of times. With PYTHONDONTWRITEBYTECODE set (it keeps
    __pycache__ out of the work tree), every one of them compiled all of podpath again (~0.4 s CPU each); an
    installed podpath has its bytecode. Children write it once, to a directory of this session, and reuse it."""
    import os

    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        os.environ["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
        del os.environ["PYTHONDONTWRITEBYTECODE"]


@pytest.fixture(autouse=True)
def _no_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI tests read the text a pipe gets: without COLUMNS, podpath never wraps (the test runner's environment
    may carry COLUMNS/LINES; a test that wants wrapping sets COLUMNS itself)."""
    import os

    for name in ("COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
        os.unsetenv(name)  # readline/curses may have put it in the C environment only, which children inherit


@pytest.fixture
def make_snapshot(tmp_path: Path) -> Callable[..., Snapshot]:
    def make(files: dict[str, str], name: str = "snap") -> Snapshot:
        root = tmp_path / name
        for rel, text in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text).lstrip("\n"))
        return podpath.load(root)

    return make

