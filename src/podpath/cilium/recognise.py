"""Is this YAML mapping the Cilium chart's Helm values? And why.

Key overlap alone is not enough: most charts share `image`, `debug`, `securityContext`, `prometheus`,
`operator`, `resources` ... with Cilium, so another chart's values.yaml in a GitOps tree would be merged
into Cilium's. A mapping is taken as Cilium values when its top-level keys are mostly chart keys (as
before) *and* there is evidence that it is Cilium's:

* context: the path names Cilium (`cilium/values.yaml`, `cilium-values.yaml`), a sibling `Chart.yaml`
  is the cilium chart, a sibling kustomization inflates the cilium chart (`helmCharts`, with this file as
  its `valuesFile` when it names one), or a sibling Flux HelmRelease installs the cilium chart;
* content: a comment naming Cilium, or an image repository under `cilium/` (`quay.io/cilium/cilium`);
* or most of its keys that are not common Helm-chart keys are keys of the Cilium chart only
  (`routingMode`, `kubeProxyReplacement`, `ipv6NativeRoutingCIDR`, `hubble` ...).

An umbrella chart's values hold Cilium's under `cilium:` (or the dependency's alias); that inner map is
the Cilium values. The caller (snapshot.py) reads the sibling files; this module only decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Keys many Helm charts have (the `helm create` scaffold, Bitnami-style common keys, Kubernetes pod-spec
# fields charts expose) and generic words that name no product: not evidence of the Cilium chart even
# though Cilium's values.yaml has them too.
GENERIC_HELM_KEYS = frozenset({
    # helm create
    "replicaCount", "image", "imagePullSecrets", "nameOverride", "fullnameOverride", "serviceAccount",
    "podAnnotations", "podLabels", "podSecurityContext", "securityContext", "service", "ingress", "httpRoute",
    "resources", "livenessProbe", "readinessProbe", "startupProbe", "autoscaling", "volumes", "volumeMounts",
    "nodeSelector", "tolerations", "affinity",
    # common chart conventions
    "global", "commonLabels", "commonAnnotations", "namespaceOverride", "kubeVersion", "clusterDomain", "rbac",
    "serviceAccounts", "metrics", "serviceMonitor", "prometheus", "prometheusRule", "dashboards", "grafana",
    "networkPolicy", "priorityClassName", "updateStrategy", "podDisruptionBudget", "pdb", "extraArgs", "extraEnv",
    "extraEnvVars", "extraVolumes", "extraVolumeMounts", "extraContainers", "extraInitContainers", "extraDeploy",
    "extraConfig", "extraHostPathMounts", "initContainers", "sidecars", "initResources", "resourceQuotas",
    "terminationGracePeriodSeconds", "topologySpreadConstraints", "dnsPolicy", "dnsConfig", "hostNetwork",
    "hostPort", "healthPort", "annotations", "labels", "env", "config", "tls", "certgen", "certManager", "debug",
    "logLevel", "logging", "logOptions", "log", "monitor", "monitoring", "name", "enabled", "operator", "agent",
    "daemon", "controller", "webhook", "cluster", "k8s", "etcd", "scheduling", "nodeSelectorLabels",
    "externalIPs", "loadBalancer", "nodePort", "sessionAffinity", "bgp", "ipv4", "ipv6", "nat", "encryption",
})

_CILIUM_WORD = re.compile(r"cilium", re.I)
_COMMENT = re.compile(r"(?:^|\s)#.*cilium", re.I | re.M)


@dataclass
class Context:
    """What the files around a candidate say: reasons that it is Cilium's, and the umbrella chart's aliases."""

    reasons: list[str] = field(default_factory=list)
    wrapper_keys: set[str] = field(default_factory=lambda: {"cilium"})


@dataclass(frozen=True)
class Verdict:
    """`values` is the Cilium values map (the document, or its `cilium:` map), None when it is not Cilium's;
    `why` says which evidence decided, either way; `via` is how the values were found."""

    values: Any
    why: str
    via: str = "values file"


def path_names_cilium(path: str) -> bool:
    return bool(_CILIUM_WORD.search(path))


def _repositories(data: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """(dotted key, value) of every image repository string: `repository:` keys and string `image:` keys."""
    out: list[tuple[str, str]] = []
    if not isinstance(data, dict) or depth > 6:
        return out
    for k, v in data.items():
        path = f"{prefix}{k}"
        if isinstance(v, str) and str(k) in ("repository", "image"):
            out.append((path, v))
        elif isinstance(v, dict):
            out.extend(_repositories(v, path + ".", depth + 1))
    return out


def _names_cilium_image(repo: str) -> bool:
    """`quay.io/cilium/cilium`, `cilium/operator-generic`, `registry.local/mirror/cilium/hubble-relay`."""
    parts = repo.split("@")[0].split(":")[0].split("/")
    return any(p.lower() == "cilium" for p in parts[:-1]) or parts[-1].lower().startswith("cilium")


_comment_lines: dict[int, tuple[str, int | None]] = {}


def comment_line(text: str) -> int | None:
    """Line of the first comment naming Cilium (once per file text: a multi-document file asks per document)."""
    hit = _comment_lines.get(id(text))
    if hit is not None and hit[0] is text:
        return hit[1]
    m = _COMMENT.search(text)
    line = text.count("\n", 0, m.start() + (1 if text[m.start()] == "\n" else 0)) + 1 if m else None
    _comment_lines.clear()
    _comment_lines[id(text)] = (text, line)
    return line


def _key_shares(keys: list[str], chart_top: frozenset[str]) -> tuple[list[str], list[str], list[str]]:
    """(chart keys, specific keys (not generic), Cilium-only keys) among `keys`."""
    in_chart = [k for k in keys if k in chart_top]
    specific = [k for k in keys if k not in GENERIC_HELM_KEYS]
    only = [k for k in specific if k in chart_top]
    return in_chart, specific, only


def _mostly_chart_keys(keys: list[str], chart_top: frozenset[str]) -> bool:
    in_chart = [k for k in keys if k in chart_top]
    return bool(in_chart) and 2 * len(in_chart) >= len(keys)


def judge(data: dict[Any, Any], file: str, text: str, ctx: Context, chart_top: frozenset[str]) -> Verdict:
    """Decide whether `data` (one YAML document of `file`, whose full text is `text`) is Cilium Helm values."""
    keys = [str(k) for k in data]
    for w in sorted(ctx.wrapper_keys):
        inner = data.get(w)
        if isinstance(inner, dict) and _mostly_chart_keys([str(k) for k in inner], chart_top):
            return Verdict(inner, f"its `{w}:` map holds Cilium chart keys (an umbrella chart's values for its "
                                  f"cilium subchart; the other top-level keys belong to other charts)",
                           f"values file, under `{w}:`")
    if not _mostly_chart_keys(keys, chart_top):
        return Verdict(None, "its top-level keys are mostly not keys of the Cilium chart")
    reasons = list(ctx.reasons)
    if path_names_cilium(file):
        reasons.append(f"the path {file} names Cilium")
    repos = [(p, r) for p, r in _repositories(data) if _names_cilium_image(r)]
    if repos:
        reasons.append(f"an image repository is Cilium's ({repos[0][0]}: {repos[0][1]})")
    line = comment_line(text)
    if line:
        reasons.append(f"a comment names Cilium (line {line})")
    in_chart, specific, only = _key_shares(keys, chart_top)
    if only and 2 * len(only) >= len(specific):
        shown = ", ".join(only[:4]) + (", ..." if len(only) > 4 else "")
        reasons.append(f"{len(only)} of its {len(keys)} top-level keys {'is' if len(only) == 1 else 'are'} "
                       f"specific to the Cilium chart ({shown})")
    if reasons:
        return Verdict(data, "; ".join(reasons))
    common = ", ".join([k for k in in_chart if k in GENERIC_HELM_KEYS][:5])
    return Verdict(None, "its chart keys are ones many charts have" + (f" ({common})" if common else "")
                   + " and nothing names Cilium (the path, a comment, an image repository, or a Chart.yaml, "
                     "kustomization or HelmRelease of the cilium chart beside it)")


def chart_yaml_context(data: Any, ctx: Context) -> None:
    """A sibling Chart.yaml: the cilium chart itself, or an umbrella chart depending on it."""
    if not isinstance(data, dict):
        return
    if str(data.get("name", "")) == "cilium":
        ctx.reasons.append("the Chart.yaml beside it is the cilium chart")
    for dep in data.get("dependencies") or []:
        if isinstance(dep, dict) and str(dep.get("name", "")) == "cilium":
            ctx.wrapper_keys.add(str(dep.get("alias") or "cilium"))


def kustomization_context(data: Any, file_name: str, ctx: Context) -> None:
    """A sibling kustomization that inflates the cilium chart (with this file as valuesFile, if it names one)."""
    if not isinstance(data, dict):
        return
    for chart in data.get("helmCharts") or []:
        if not isinstance(chart, dict) or str(chart.get("name", "")) != "cilium":
            continue
        vf = chart.get("valuesFile")
        if vf is None or str(vf).lstrip("./") == file_name:
            ctx.reasons.append("the kustomization beside it inflates the cilium chart"
                               + (f" with {file_name} as its valuesFile" if vf else ""))
            return


def helmrelease_context(data: Any, where: str, ctx: Context) -> None:
    """A sibling Flux HelmRelease of the cilium chart (its values often come from a file beside it)."""
    if not isinstance(data, dict) or data.get("kind") != "HelmRelease":
        return
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    chart = spec.get("chart") if isinstance(spec.get("chart"), dict) else {}
    cspec = chart.get("spec") if isinstance(chart.get("spec"), dict) else {}
    ref = spec.get("chartRef") if isinstance(spec.get("chartRef"), dict) else {}
    if str(cspec.get("chart") or ref.get("name") or "") == "cilium":
        ctx.reasons.append(f"a HelmRelease of the cilium chart is beside it ({where})")
