"""Kubernetes label selectors (matchLabels + matchExpressions), as Cilium's BGP
resources use them for nodes, advertisements and services."""

from __future__ import annotations

from typing import Any, Mapping


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """True when `labels` satisfy `selector`. An empty selector `{}` matches everything;
    callers decide what an *absent* selector means (it differs per field)."""
    if not isinstance(selector, Mapping):
        return False
    match_labels = selector.get("matchLabels") or {}
    match_expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping) or not isinstance(match_expressions, list):
        return False  # the API server refuses such a selector (readers report it)
    for k, v in match_labels.items():
        if labels.get(str(k)) != str(v):
            return False
    for expr in match_expressions:
        if not isinstance(expr, Mapping):
            return False
        key = str(expr.get("key"))
        op = str(expr.get("operator"))
        raw_values = expr.get("values") or []
        values = {str(v) for v in raw_values} if isinstance(raw_values, list) else set()
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True
