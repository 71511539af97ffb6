"""Tables of a snapshot as pandas DataFrames, for notebooks (like pybatfish's `.frame()`): findings
(`Report.frame()`), BGP sessions and a host's routes. Rows come from the same redacted documents as
`--format json` (report.py), so a DataFrame shows nothing the JSON would not. pandas is optional."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas

    from podpath.snapshot import Snapshot


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("podpath's DataFrames need pandas, which is not installed: pip install pandas "
                          "(or pip install 'podpath[pandas]')") from None
    return pandas


def _where(loc: dict[str, Any] | None) -> str | None:
    if not loc:
        return None
    return f"{loc['file']}:{loc['line']}" if loc.get("line") else loc["file"]


def sessions(snap: "Snapshot") -> "pandas.DataFrame":
    """One row per configured BGP session: both ends, state and why (`podpath sessions`)."""
    pd = _pandas()
    from podpath.report import sessions_document

    rows = []
    for s in sessions_document(snap)["sessions"]:
        a, b = s["a"], s["b"] or {}
        rows.append({"id": s["id"], "state": s["state"], "reason": s["reason"], "families": ", ".join(s["families"]),
                     "a_speaker": a["speaker"], "a_address": a["local_address"], "a_as": a["local_as"],
                     "a_location": _where(a.get("location")), "b_speaker": b.get("speaker"),
                     "b_address": b.get("local_address") or a["remote_address"], "b_as": b.get("local_as"),
                     "b_location": _where(b.get("location"))})
    return pd.DataFrame(rows, columns=["id", "state", "reason", "families", "a_speaker", "a_address", "a_as",
                                       "a_location", "b_speaker", "b_address", "b_as", "b_location"])


def routes(snap: "Snapshot", host: str, family: int | None = None) -> "pandas.DataFrame":
    """HOST's simulated routes: every daemon's BGP paths (table = speaker) and its kernel table
    (table = "kernel"), as `podpath routes` prints them."""
    pd = _pandas()
    from podpath.report import routes_document

    doc = routes_document(snap, host, family, None, None)
    rows = []
    for t in doc["bgp"]:
        for r in t["routes"]:
            rows.append({"table": t["speaker"], "vrf": t["vrf"], "prefix": r["prefix"], "next_hop": r["next_hop"],
                         "as_path": r["as_path"], "best": r["best"], "valid": r["valid"], "from": r["from"],
                         "source": None})
    for r in doc["kernel"] or []:
        rows.append({"table": "kernel", "vrf": None, "prefix": r["prefix"], "next_hop": None, "as_path": None,
                     "best": True, "valid": True, "from": None, "source": r["source"]})
    return pd.DataFrame(rows, columns=["table", "vrf", "prefix", "next_hop", "as_path", "best", "valid", "from",
                                       "source"])
