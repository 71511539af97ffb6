"""`podpath check` without typer (podpath/cli.py `main()` -> `_fast_check_args` -> `run_check`): the import
structure it relies on, and that what it accepts runs exactly as typer runs it (podpath.cli_app)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from podpath.cli import CheckFormat, FailOn, _fast_check_args

ROOT = Path(__file__).resolve().parents[1]
SEED000 = str(ROOT / "examples/seed000-ipv6-native-cidr/broken")
SEED004 = str(ROOT / "examples/seed004-bgp-pod-cidr/complete")
FAST = "import sys; from podpath.cli import main; sys.argv[0] = 'podpath'; main()"
TYPER = "import sys; from podpath.cli import app; sys.argv[0] = 'podpath'; app()"
# What a check imports only when it needs it: typer builds a pydantic TypeAdapter per parameter.
NEVER_ON_CHECK = ("typer", "pydantic", "click", "podpath.cli_app", "podpath.cli_policy", "podpath.cli_diff")


def _py(code: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONHASHSEED="0")
    return subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True,
                          timeout=300, cwd=str(ROOT))


def _modules_after(code: str, *argv: str) -> set[str]:
    """The modules a child has imported once `code` ran (SystemExit included), as JSON on stderr's last line."""
    probe = (f"import sys, json\ntry:\n    exec({code!r})\nexcept SystemExit:\n    pass\n"
             "sys.stderr.write('\\n' + json.dumps(sorted(sys.modules)) + '\\n')")
    res = _py(probe, *argv)
    return set(json.loads(res.stderr.strip().splitlines()[-1]))


def _top(mods: set[str]) -> set[str]:
    return {m for m in mods if m.split(".")[0] in NEVER_ON_CHECK or m in NEVER_ON_CHECK}


def test_importing_the_cli_imports_no_typer() -> None:
    mods = _modules_after("import podpath.cli")
    assert not _top(mods)


@pytest.mark.parametrize("snapshot", [SEED000, SEED004])
def test_a_check_imports_no_typer(snapshot: str) -> None:
    mods = _modules_after(FAST, "check", "--fail-on", "never", snapshot)
    assert "podpath.checks.security" in mods  # the check ran
    assert not _top(mods)


def test_a_check_without_routers_imports_no_router_reader() -> None:
    """SEC004 imports the BIRD and FRR interpreters only when there are routers."""
    mods = _modules_after(FAST, "check", "--no-repair", "-f", "json", SEED000)
    assert "podpath.checks.security" in mods
    assert not {"podpath.readers.bird.interp", "podpath.readers.frr.policy"} & mods


def test_other_commands_and_the_app_still_reach_typer() -> None:
    from podpath import cli

    assert cli.app.info.name is None or cli.app  # podpath.cli.app: the typer application, on first use
    assert "rules" in [c.name or c.callback.__name__ for c in cli.app.registered_commands]  # type: ignore[union-attr]
    with pytest.raises(AttributeError):
        cli.no_such_thing  # noqa: B018


def test_accepted_arguments() -> None:
    a = _fast_check_args(["-q", "check", "snap", "--format=json", "-r", "NR002", "--rule", "BGP001",
                          "--fail-on", "never", "--no-repair", "--root", "r", "--config", "c.toml"])
    assert a is not None
    assert a["main"] == {"quiet": True, "verbose": False}
    assert a["check"] == {"snapshot": Path("snap"), "format": CheckFormat.json, "fail_on": FailOn.never,
                          "rule": ["NR002", "BGP001"], "root": Path("r"), "config": Path("c.toml"),
                          "no_repair": True, "set_": None, "patch": None}
    assert _fast_check_args(["check", "snap"])["check"]["rule"] is None  # type: ignore[index]


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["--version"], ["show", "snap"], ["check"], ["check", "--help"], ["check", "a", "b"],
    ["check", "-f", "JSON", "snap"], ["check", "-f", "", "snap"], ["check", "-fjson", "snap"], ["check", "-f=json", "snap"],
    ["check", "--", "snap"], ["check", "--format"], ["check", "-f", "json", "-f", "text", "snap"],
    ["check", "--no-repair=1", "snap"], ["-qv", "check", "snap"], ["check", "-q", "snap"], ["check", "--set", "a=b", "snap"],
    ["check", "--patch", "p.diff", "snap"], ["check", "-r", "-q", "snap"], ["check", "", "snap"], ["check", "-", "snap"],
    ["check", "--fail-on", "bogus", "snap"], ["check", "--formats", "json", "snap"], ["check", "snap\udcff"],
])
def test_anything_unusual_goes_to_typer(argv: list[str]) -> None:
    assert _fast_check_args(argv) is None


def test_shell_completion_goes_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_PODPATH_COMPLETE", "bash_complete")
    assert _fast_check_args(["check", "snap"]) is None


@pytest.mark.parametrize("argv", [
    ["check", SEED000],
    ["check", "-f", "json", "--fail-on", "never", SEED004],
    ["-q", "check", "--format=sarif", SEED000],
    ["check", "--no-repair", "-r", "NR002,BGP001", "--fail-on", "warning", SEED004],
    ["check", "-r", "nope", SEED000],
    ["check", "--config", "/nonexistent.toml", SEED000],
    ["check", "--root", "/", "-f", "github", SEED000],
    ["check", str(ROOT / "no-such-snapshot")],
])
def test_fast_path_runs_as_typer_does(argv: list[str]) -> None:
    """Same exit code, stdout and stderr through `main()` (no typer) and through the typer application."""
    assert _fast_check_args(argv) is not None
    with ThreadPoolExecutor(2) as pool:
        fast, slow = pool.map(lambda code: _py(code, *argv), (FAST, TYPER))
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
