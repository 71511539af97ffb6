"""Facts about the Cilium Helm chart per version: every key values.yaml defines
(including documented, commented-out keys) and its default.

The data files in `podpath/data/cilium/chart-<minor>.json` are generated from
the chart's real values.yaml by `tools/chart_keys.py`; each records the chart
version and commit it came from. Nothing here is a hand-written key list.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from podpath.cilium.settings import SUPPORTED_VERSIONS, minor


@dataclass(frozen=True)
class ChartKeys:
    cilium: str
    chart_version: str
    source: dict[str, str]
    keys: dict[str, dict[str, Any]]

    def describe_source(self) -> str:
        ref = self.source.get("ref", "?")
        return f"Cilium chart {self.chart_version} ({self.source.get('repo', 'cilium/cilium')}@{ref[:12]})"

    def lookup(self, path: str) -> tuple[str, str | None]:
        """('known'|'open'|'rejected'|'unknown', matched key). 'open' = under a free-form map
        (annotations, extraConfig, resources...) where any subkey is accepted; 'rejected' = a key the chart's
        validation template refuses (e.g. the removed `tunnel`)."""
        if path in self.keys:
            if self.keys[path].get("rejected"):
                return "rejected", path
            return "known", path
        parts = path.split(".")
        for i in range(len(parts) - 1, 0, -1):
            parent = ".".join(parts[:i])
            info = self.keys.get(parent)
            if info is not None:
                if info.get("open") or info.get("type") in ("list", "null", "string", "int", "float", "bool"):
                    # Scalars/lists overridden by a map, or open maps: Helm passes them through.
                    return ("open", parent) if info.get("open") else ("unknown", None)
                return "unknown", None
        return "unknown", None

    def suggest(self, path: str) -> list[str]:
        """Real keys the user probably meant: same key modulo case and punctuation
        (a ConfigMap spelling in Helm values), then close spellings among siblings."""
        parts = path.split(".")
        parent = ".".join(parts[:-1])
        leaf = parts[-1]
        siblings = [k for k in self.keys if k.rsplit(".", 1)[0] == parent and k != parent] if parent else [
            k for k in self.keys if "." not in k]
        norm = _norm(leaf)
        exact = sorted(k for k in siblings if _norm(k.rsplit(".", 1)[-1]) == norm)
        if exact:
            return exact
        everywhere = sorted(k for k in self.keys if _norm(k.rsplit(".", 1)[-1]) == norm)
        if 0 < len(everywhere) <= 2:  # a distinctive key written under the wrong parent
            return everywhere
        leaves = {k.rsplit(".", 1)[-1]: k for k in siblings}
        close = difflib.get_close_matches(leaf, list(leaves), n=3, cutoff=0.8)
        return [leaves[c] for c in close]


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


@lru_cache(maxsize=None)
def load_chart(version: str) -> ChartKeys | None:
    name = f"chart-{minor(version)}.json"
    try:
        text = resources.files("podpath.data").joinpath("cilium", name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError, ModuleNotFoundError):
        return None
    raw = json.loads(text)
    return ChartKeys(str(raw.get("cilium")), str(raw.get("chart_version")), dict(raw.get("source") or {}),
                     dict(raw.get("keys") or {}))


@lru_cache(maxsize=1)
def top_level_keys() -> frozenset[str]:
    keys: set[str] = set()
    for v in SUPPORTED_VERSIONS:
        chart = load_chart(v)
        if chart:
            keys.update(k for k in chart.keys if "." not in k)
    return frozenset(keys)
