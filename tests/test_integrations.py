"""The pre-commit hook, the GitHub Action and the container definition: each parses, and every podpath
command and option it runs exists (a renamed option would otherwise break users' CI silently)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "seed000-ipv6-native-cidr" / "broken"


def yaml(path: Path):
    return YAML(typ="safe").load(path.read_text())


def podpath_help(*cmd: str) -> str:
    r = subprocess.run([sys.executable, "-m", "podpath.cli", *cmd, "--help"], capture_output=True, text=True,
                       env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    return r.stdout


def podpath_invocations(script: str) -> list[list[str]]:
    """Every `podpath ...` command line in a shell script (continuations joined, redirections dropped)."""
    out = []
    for line in script.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line.startswith("podpath"):
            continue
        words = shlex.split(re.split(r"\s[>|]", line)[0])
        out.append(words)
    return out


def check_options_exist(words: list[str]) -> None:
    assert words[0] == "podpath"
    global_opts = [w for w in words[1:words.index("check")]] if "check" in words else []
    top = podpath_help()
    for o in global_opts:
        assert o in top, f"podpath has no global option {o}"
    sub = podpath_help("check")
    for w in words[words.index("check") + 1:]:
        if w.startswith("-"):
            assert re.search(rf"(^|[\s,]){re.escape(w)}\b", sub), f"podpath check has no option {w}"


def test_console_script_is_podpath():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["podpath"] == "podpath.cli:main"


def test_pre_commit_hook():
    (hook,) = yaml(ROOT / ".pre-commit-hooks.yaml")
    assert hook["id"] == "podpath-check" and hook["language"] == "python" and hook["pass_filenames"] is False
    re.compile(hook["files"])
    entry = shlex.split(hook["entry"])
    assert entry == ["podpath", "check"]
    # run the entry as pre-commit would (with the user's args): the example's error fails the commit
    r = subprocess.run([sys.executable, "-m", "podpath.cli", *entry[1:], str(EXAMPLE)], capture_output=True, text=True)
    assert r.returncode == 1 and "NR002" in r.stdout
    assert re.search(hook["files"], "clusters/prod/cilium/values.yaml") and re.search(hook["files"], "frr/pve01.conf")


def test_github_action():
    action = yaml(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in steps)
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    scripts = [s["run"] for s in steps if "run" in s]
    calls = [c for s in scripts for c in podpath_invocations(s)]
    assert any("--format" in c and c[c.index("--format") + 1] == "sarif" for c in calls)
    for c in calls:
        check_options_exist(c)
    for s in scripts:  # valid bash
        subprocess.run(["bash", "-n", "-c", s], check=True)
        assert "${{" not in s, "inputs reach scripts through env:, never interpolated into the script"
    used = set(re.findall(r"inputs\.([a-z-]+)", (ROOT / "action.yml").read_text()))
    assert used <= set(action["inputs"]), used - set(action["inputs"])
    assert action["inputs"]["snapshot"]["required"] is True


def test_containerfile():
    text = (ROOT / "Containerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", text, re.M).group(1)
    assert re.search(r"python:3\.(1[1-9])-slim$", base), base
    req = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert req == ">=3.11"
    assert re.search(r'^ENTRYPOINT \["podpath"\]', text, re.M)
    for src in re.findall(r"^COPY (.+) /src/podpath", text, re.M):
        for p in src.split():
            assert (ROOT / p).exists(), p
    assert "pip install" in text and "bird2" in text and "frr" in text


@pytest.mark.parametrize("section", ["pre-commit", "GitHub Action", "Container"])
def test_readme_documents_them(section: str):
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^### .*{section}", readme, re.M | re.I), section
