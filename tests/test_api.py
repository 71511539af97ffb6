"""The Python API as a notebook user sees it: typed (py.typed, check() -> Report, simulate() -> SimResult),
and tables as pandas DataFrames when pandas is installed, with a clear error when it is not."""

from __future__ import annotations

import sys
import typing
from pathlib import Path

import pytest

import podpath
from podpath.checks import Report
from podpath.routing.controlplane import ControlPlane
from podpath.routing.sim import SimResult
from podpath.snapshot import Snapshot

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "seed000-ipv6-native-cidr" / "broken"


def test_py_typed_is_shipped():
    pkg = Path(podpath.__file__).parent
    assert (pkg / "py.typed").is_file()
    import tomllib

    data = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["podpath"]


def test_public_methods_are_typed():
    ns = {"Report": Report, "SimResult": SimResult, "ControlPlane": ControlPlane}
    assert typing.get_type_hints(Snapshot.check, localns=ns)["return"] is Report
    assert typing.get_type_hints(Snapshot.simulate, localns=ns)["return"] is SimResult
    assert typing.get_type_hints(Snapshot.control_plane, localns=ns)["return"] is ControlPlane
    assert typing.get_type_hints(podpath.load)["return"] is Snapshot


def test_frame():
    pd = pytest.importorskip("pandas")
    report = podpath.load(EXAMPLE).check()
    df = report.frame()
    assert isinstance(df, pd.DataFrame) and len(df) == len(report.findings)
    row = df.set_index("id").loc["NR002:ipv6"]
    assert row["severity"] == "error" and row["location"] == "cilium/values.yaml:24:24"
    assert "talos/controlplane.yaml:27:9" in row["locations"]
    assert list(df["severity"].unique()) == ["error", "warning", "info"]
    assert list(report.frame("not_checked").columns) == ["rule", "what", "why", "location"]
    assert report.frame("suppressed").empty
    with pytest.raises(ValueError, match="one of"):
        report.frame("routes")


def test_frame_without_pandas_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match=r"pip install pandas"):
        Report().frame()


def test_sessions_and_routes_frames():
    pytest.importorskip("pandas")
    from podpath import frames

    seed = Path(__file__).resolve().parent.parent / "examples" / "seed004-bgp-pod-cidr" / "before-fix"
    snap = podpath.load(seed)
    df = frames.sessions(snap)
    doc = __import__("podpath.report", fromlist=["x"]).sessions_document(snap)
    assert len(df) == len(doc["sessions"]) > 0 and set(df["state"]) <= {"established", "down", "unknown"}
    assert df["a_location"].str.match(r"^[\w/.-]+:\d+$").all()
    r = frames.routes(snap, "solwk01")
    assert {"kernel"} <= set(r["table"]) and (r["table"] != "kernel").any()
    assert r[r["table"] == "kernel"]["prefix"].str.contains("/").all()
