"""Helm values and configuration-source consistency."""

from __future__ import annotations

import json
from typing import Any, Iterator

from podpath.checks.base import CheckContext, Finding, Fix, rule
from podpath.cilium.chart import _norm, load_chart
from podpath.cilium.settings import BY_CONFIGMAP, BY_HELM, KEYMAP, SUPPORTED_VERSIONS, minor
from podpath.diagnostics import Loc
from podpath.readers.yamlsrc import key_loc, walk_leaves
from podpath.util import is_digits


def _configmap_spelling(path: str) -> str | None:
    """A Helm path that is really a ConfigMap key spelled in Helm values ('enable-ipv6-masquerade', 'bpf.lbMode'
    for bpf-lb-mode): return the matching ConfigMap key."""
    n = _norm(path)
    for km in KEYMAP:
        if _norm(km.configmap) == n:
            return km.configmap
    return None


def _same_in_effect(ctx: CheckContext, key: str, intended: str, effective: str) -> bool:
    """An ignored value can still be what happens: MTU 0 means "use the device MTU", which may be the value the
    user wrote."""
    if key == "mtu" and effective in ("", "0"):
        mtus = {i.mtu.value for h in ctx.cluster.hosts.values() for i in h.interfaces.values() if i.mtu}
        mtus |= {s.mtu.value for s in ctx.cluster.segments.values() if s.mtu}
        return bool(mtus) and str(min(mtus)) == intended
    return False


@rule("HM001", "unknown-helm-key", "warning", "Helm value the Cilium chart does not have")
def unknown_helm_key(ctx: CheckContext) -> Iterator[Finding]:
    """Helm silently ignores values the chart does not read, so a misspelt key (for example the ConfigMap
    spelling `enable-ipv6-masquerade` instead of `enableIPv6Masquerade`) leaves the default in effect. Keys are
    checked against the real values.yaml of the stated Cilium version (data files generated from the chart).
    When the misspelt key was meant to change a datapath setting and the default differs, it is an error."""
    c = ctx.cilium
    chart = load_chart(c.version.value)
    if chart is None:
        if ctx.snap.helm_values:
            ctx.not_checked("Helm value keys", f"podpath has no chart data for Cilium {c.version.value}",
                            c.version.loc)
        return
    for doc in ctx.snap.helm_values:
        for path, value, parent, key in walk_leaves(doc.data):
            status, _ = chart.lookup(path)
            if status == "rejected":
                yield ctx.finding(f"{doc.file}:{path}", f"Helm value {path} is refused by the Cilium "
                                  f"{minor(c.version.value)} chart's validation: `helm install/upgrade` fails.",
                                  locations=[key_loc(parent, key, doc.file)], severity="error",
                                  evidence=[f"checked against {chart.describe_source()} (templates/validate.yaml)"],
                                  fix=Fix(f"Remove {path} (it was removed from Cilium; see the upgrade notes)", doc.file))
                continue
            if status != "unknown":
                continue
            # Report only the outermost unknown key of a subtree.
            parent_path = path.rpartition(".")[0]
            if parent_path and chart.lookup(parent_path)[0] == "unknown":
                continue
            loc = key_loc(parent, key, doc.file)
            in_other = [v for v in SUPPORTED_VERSIONS if v != minor(c.version.value)
                        and (ch := load_chart(v)) is not None and ch.lookup(path)[0] != "unknown"]
            cm_key = _configmap_spelling(path)
            suggestions = []
            if cm_key and BY_CONFIGMAP.get(cm_key):
                suggestions.append(BY_CONFIGMAP[cm_key].helm)
            suggestions += [s for s in chart.suggest(path) if s not in suggestions]
            ev = [f"checked against {chart.describe_source()}"]
            if in_other:
                ev.append(f"{path} exists in the chart of Cilium {', '.join(in_other)}, not in {minor(c.version.value)}")
            severity = None
            message = f"Helm value {path} is not a key of the Cilium {minor(c.version.value)} chart; Helm ignores it"
            fix = Fix(f"Remove {path}" + (f" or rename it to {suggestions[0]}" if suggestions else ""), doc.file)
            if suggestions:
                target = suggestions[0]
                km = BY_HELM.get(target)
                message += f" (did you mean {target}?)"
                if km is not None and not isinstance(value, dict):
                    intended = km.render(value)
                    effective = c.get(km.configmap)
                    ev.append(f"{target} is in effect as {effective.value!r} ({effective.loc or effective.note or effective.origin}); "
                              f"{path} asked for {intended!r}")
                    if intended != effective.value and not _same_in_effect(ctx, km.configmap, intended, effective.value):
                        severity = "error"
                        message += f": {target} stays {effective.value!r} instead of {intended!r}"
                    from podpath.checks.base import nested_yaml

                    fix = Fix(f"Rename {path} to {target}", doc.file, nested_yaml(target, intended))
            yield ctx.finding(f"{doc.file}:{path}", message + ".", locations=[loc], evidence=ev, fix=fix, severity=severity)


@rule("HM002", "helm-configmap-drift", "warning", "Helm values and the cilium-config ConfigMap disagree")
def helm_drift(ctx: CheckContext) -> Iterator[Finding]:
    """When the snapshot holds both the Helm values and the live `cilium-config` ConfigMap, the ConfigMap is what
    the agent uses. A value that differs means the release was not applied (or was changed by hand)."""
    snap = ctx.snap
    if not snap.helm_values or not snap.configmaps:
        return
    from podpath.readers.yamlsrc import get_path, value_loc

    for doc in snap.helm_values:
        for km in KEYMAP:
            parent_path, _, leaf = km.helm.rpartition(".")
            parent = get_path(doc.data, parent_path) if parent_path else doc.data
            if not isinstance(parent, dict) or leaf not in parent or parent[leaf] is None:
                continue
            intended = km.render(parent[leaf])
            for cm in snap.configmaps:
                if km.configmap in cm.data and cm.data[km.configmap][0] != intended:
                    actual, cloc = cm.data[km.configmap]
                    yield ctx.finding(km.configmap, f"Helm value {km.helm} is {intended!r} but the cilium-config "
                                      f"ConfigMap has {km.configmap}: {actual!r}; the agent uses the ConfigMap.",
                                      locations=[value_loc(parent, leaf, doc.file), cloc],
                                      evidence=[f"{km.helm} ({value_loc(parent, leaf, doc.file)}) vs {km.configmap} ({cloc})"],
                                      fix=Fix("Re-apply the Helm release (helm upgrade / flux reconcile) and restart the agents"))


@rule("HM003", "cilium-version-mismatch", "warning", "Sources disagree on the Cilium version")
def version_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    """The version decides defaults and semantics. If the manifest, the HelmRelease and `cilium status` name
    different minor versions, the checks may use the wrong defaults."""
    seen = []
    m = ctx.snap.manifest
    if m is not None and "cilium" in m.versions:
        seen.append(("podpath.yaml", m.versions["cilium"]))
    for d in ctx.snap.helm_values:
        if d.chart_version is not None:
            seen.append(("HelmRelease", d.chart_version))
    for h in sorted(ctx.cluster.hosts.values(), key=lambda h: h.name):
        if h.cilium_status is not None and h.cilium_status.version is not None:
            seen.append((f"cilium status on {h.name}", h.cilium_status.version))
    minors = {minor(v.value) for _, v in seen}
    if len(minors) > 1:
        yield ctx.finding("version", f"Sources name different Cilium versions ({', '.join(sorted(minors))}); podpath uses "
                          f"{ctx.cilium.version.value}.", locations=[v.loc for _, v in seen],
                          evidence=[f"{what}: {v.value} ({v.loc})" for what, v in seen],
                          fix=Fix("State the running version in podpath.yaml (versions.cilium) or upgrade the stragglers"))


def _real_default(chart: Any, path: tuple[Any, ...]) -> bool:
    """The key has a default in the chart's values.yaml (so a null there is deleted by Helm's coalescing)."""
    if chart is None or any(isinstance(p, int) for p in path):
        return False
    info = chart.keys.get(".".join(str(p) for p in path))
    return info is not None and not (info.get("commented") or info.get("template_only") or info.get("schema_only"))


def _violation_loc(data: Any, path: tuple[Any, ...], file: str) -> Loc:
    """file:line:col of the offending value (ruamel positions)."""
    from podpath.readers.yamlsrc import item_loc, node_loc, value_loc

    if not path:
        return node_loc(data, file)
    cur = data
    for p in path[:-1]:
        cur = cur[p]
    last = path[-1]
    return item_loc(cur, last, file) if isinstance(last, int) else value_loc(cur, str(last), file)


def _overridden(later: list[Any], path: tuple[Any, ...]) -> bool:
    """A later values document replaces the value at `path` (podpath merges values files in order, later files
    win, as `helm -f a -f b` does; Helm validates the merged values): it sets `path` itself, or a non-map
    (a list or scalar) on the way to it."""
    for data in later:
        cur = data
        for i, p in enumerate(path):
            if isinstance(p, int) or not isinstance(cur, dict) or p not in cur:
                break
            cur = cur[p]
            if i == len(path) - 1 or not isinstance(cur, dict):
                return True
    return False


def _schema_fix(path: str, value: Any, expected: str, chart: Any, file: str) -> Fix:
    """Unquote a number/boolean written as a string; otherwise name what is allowed and the default."""
    from podpath.checks.base import nested_yaml

    if isinstance(value, str):
        text = value.strip()
        if expected.startswith(("an integer", "a number")) and is_digits(text.lstrip("-")):
            return Fix(f"Write {path} as a number, without quotes", file, nested_yaml(path, str(int(text))))
        if expected.startswith("a boolean") and text.lower() in ("true", "false"):
            return Fix(f"Write {path} as a boolean, without quotes", file, nested_yaml(path, text.lower()))
    default = chart.keys.get(path, {}).get("default") if chart is not None else None
    keep = f", or remove it to keep the chart default ({json.dumps(default)})" if default is not None else \
        ", or remove it"
    return Fix(f"Set {path} to {expected}{keep}", file)


@rule("HM004", "helm-values-schema", "error", "Helm value the chart's values.schema.json refuses")
def helm_values_schema(ctx: CheckContext) -> Iterator[Finding]:
    """The Cilium chart ships a values.schema.json, and Helm validates the values against it before it renders
    anything: `MTU: "1500"` (a string where the schema wants an integer), `identityManagementMode: agents` (not
    one of its enum values) or a map where a list belongs make `helm install/upgrade/template` (and Flux's
    helm-controller) fail, so nothing of the values takes effect. podpath applies the schema of the stated
    Cilium version (JSON Schema draft 7, as Helm does) to every Helm values file and HelmRelease `spec.values`.
    As in Helm, values are YAML 1.1 (an unquoted `yes`/`on` may be a boolean: accepted when either reading
    fits), a key set to null that the chart has a default for is deleted before validation, a value a later
    values file replaces is not what Helm validates, and keys the schema does not describe are left to HM001. A
    Flux HelmRelease with `disableSchemaValidation: true` for both install and upgrade installs anyway: a
    warning."""
    from podpath.cilium.schema import load_schema, render_path, render_value

    version = ctx.cilium.version.value
    schema = load_schema(version)
    if schema is None:
        if ctx.snap.helm_values:
            ctx.not_checked("Helm values against values.schema.json",
                            f"podpath has no chart schema for Cilium {version}", ctx.cilium.version.loc)
        return
    chart = load_chart(version)
    docs = ctx.snap.helm_values
    for n, doc in enumerate(docs):
        if not isinstance(doc.data, dict):
            continue
        later = [d.data for d in docs[n + 1:]]
        for v in schema.validate(doc.data, lambda p: _real_default(chart, p)):
            if _overridden(later, v.path):
                continue
            path = render_path(v.path)
            loc = _violation_loc(doc.data, v.path, doc.file)
            off = getattr(doc, "schema_off", None)
            effect = ("Helm refuses these values, so the release does not install or upgrade" if off is None else
                      "the HelmRelease turns Helm's schema validation off, so it installs, and the chart's "
                      "templates get a value of a type they do not expect")
            yield ctx.finding(
                f"{doc.file}:{path}",
                f"`{path}: {render_value(v.value)}` must be {v.expected} (values.schema.json of Cilium "
                f"{minor(version)}); {effect}.",
                locations=[loc] + ([off] if off is not None else []),
                evidence=[f"checked against {schema.describe_source()}",
                          f"Cilium version {version} ({ctx.cilium.version.loc or 'assumed'})"]
                + ([f"install and upgrade set disableSchemaValidation: true ({off})"] if off is not None else []),
                fix=_schema_fix(path, v.value, v.expected, chart, doc.file),
                severity="warning" if off is not None else None)
