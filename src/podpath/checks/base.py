"""The rule framework: a rule is a small function over the snapshot's model that
yields `Finding`s. Each rule has a stable id, a name, a default severity and a
one-line title; `docs/rules.md` documents every rule."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from podpath.cilium.settings import BY_CONFIGMAP, Setting
from podpath.diagnostics import Loc
from podpath.routing.route import IPNetwork

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Fix:
    """A concrete change: `yaml` is the snippet to write into `file`; `diff`, a unified diff of the user's own
    file(s), with `verified` saying what re-simulation showed (podpath.repair; None: not re-simulated in this
    run, e.g. SEC001's generated binding, which its tests apply and re-simulate)."""

    description: str
    file: str | None = None
    yaml: str | None = None
    diff: str | None = None
    verified: str | None = None  # "verified by re-simulation: 30/30 node pairs reachable, no regressions"

    def to_json(self) -> dict[str, object]:
        return {"description": self.description, "file": self.file, "yaml": self.yaml, "diff": self.diff,
                "verified": self.verified}


@dataclass
class Finding:
    rule: str
    name: str
    severity: Severity
    subject: str  # what the finding is about, stable across runs: e.g. "ipv6", "solcp01->solwk02"
    message: str
    locations: list[Loc] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    fix: Fix | None = None

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.subject}"

    def sort_key(self) -> tuple[int, str, str]:
        return (self.severity.rank, self.rule, self.subject)

    def to_json(self) -> dict[str, object]:
        locs = sorted(set(self.locations))
        return {
            "id": self.id,
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity.value,
            "subject": self.subject,
            "message": self.message,
            "locations": [l.to_json() for l in locs],
            "evidence": list(self.evidence),
            "fix": self.fix.to_json() if self.fix else None,
        }


@dataclass(frozen=True)
class NotChecked:
    """A part of the question podpath did not answer (a rule that lacked its inputs, an analysis
    cut short): listed in the report and makes it incomplete, so that silence never reads as
    "no problem". `rule` is None for what is not one rule's (the simulation, the snapshot)."""

    rule: str | None
    what: str
    why: str
    loc: Loc | None = None

    def sort_key(self) -> tuple[str, str, str]:
        return (self.rule or "", self.what, self.why)

    def render(self) -> str:
        where = f" ({self.loc})" if self.loc is not None else ""
        return f"{self.rule + ': ' if self.rule else ''}{self.what}: {self.why}{where}"

    def to_json(self) -> dict[str, object]:
        return {"rule": self.rule, "what": self.what, "why": self.why,
                "location": self.loc.to_json() if self.loc is not None else None}


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    title: str
    func: Callable[["CheckContext"], Iterable[Finding]]

    @property
    def doc(self) -> str:
        return (self.func.__doc__ or "").strip()


RULES: dict[str, Rule] = {}


def rule(id: str, name: str, severity: str, title: str) -> Callable[[Callable[["CheckContext"], Iterable[Finding]]], Callable[["CheckContext"], Iterable[Finding]]]:
    """Register a check. The function's docstring is its documentation."""

    def deco(func: Callable[["CheckContext"], Iterable[Finding]]) -> Callable[["CheckContext"], Iterable[Finding]]:
        if id in RULES:
            raise ValueError(f"duplicate rule id {id}")
        RULES[id] = Rule(id, name, Severity(severity), title, func)
        return func

    return deco


class CheckContext:
    """What a rule sees: the snapshot plus helpers to build findings consistently."""

    def __init__(self, snap: "Snapshot") -> None:
        self.snap = snap
        self.cluster = snap.cluster
        self.cilium = snap.cilium
        self._rule: Rule | None = None
        self.not_checked_items: list[NotChecked] = []

    # --- finding construction ------------------------------------------------------
    def finding(self, subject: str, message: str, *, locations: Iterable[Loc | None] = (),
                evidence: Iterable[str] = (), fix: Fix | None = None, severity: str | None = None) -> Finding:
        assert self._rule is not None
        return Finding(self._rule.id, self._rule.name, Severity(severity) if severity else self._rule.severity,
                       subject, message, [l for l in locations if l is not None], list(evidence), fix)

    def not_checked(self, what: str, why: str, loc: Loc | None = None) -> None:
        """Record that the current rule could not answer `what` (shown in the report; makes it incomplete)."""
        self.not_checked_items.append(NotChecked(self._rule.id if self._rule else None, what, why, loc))

    # --- model helpers ----------------------------------------------------------------
    def families(self) -> list[int]:
        """Families Cilium runs with (both when there is no Cilium config at all)."""
        if not self.cilium.present:
            fams = {p.value.version for p in self.cluster.pod_subnets}
            for n in self.cluster.nodes.values():
                fams.update(c.value.version for c in n.pod_cidrs)
            return sorted(fams)
        return [f for f in (4, 6) if self.cilium.family_enabled(f)]

    def pod_cidrs(self, family: int) -> list:
        """Every pod prefix of a family: cluster subnets, node allocations, Cilium
        cluster-pool lists when that IPAM is in use, and IPAM CIDRs cilium status printed."""
        out = list(self.cluster.all_pod_cidrs(family))
        if self.cilium.ipam_mode == "cluster-pool":
            s = self.cilium.get(f"cluster-pool-ipv{family}-cidr")
            if not s.is_default:
                for raw in s.value.split():
                    try:
                        net = ipaddress.ip_network(raw, strict=False)
                    except ValueError:
                        continue
                    if net.version == family:
                        from podpath.model.cluster import Sourced

                        out.append(Sourced(net, s.loc, s.origin))
        for host in sorted(self.cluster.hosts.values(), key=lambda h: h.name):
            st = host.cilium_status
            if st is not None:
                out.extend(c for c in st.ipam_cidrs if c.value.version == family)
        return out

    def setting_locs(self, *keys: str) -> list[Loc]:
        return [s.loc for s in (self.cilium.get(k) for k in keys) if s.loc is not None]

    def describe_setting(self, key: str) -> str:
        """'ipv6NativeRoutingCIDR: fd00:101::/48 (values.yaml:20)' or '... (default of Cilium 1.19)'."""
        s = self.cilium.get(key)
        name = s.helm_key if (s.origin == "helm" and s.helm_key) else key
        where = str(s.loc) if s.loc else (s.note or "default")
        value = s.value if s.value != "" else '""'
        return f"{name}: {value} ({where})"

    def fix_setting(self, key: str, value: str, description: str) -> Fix:
        return fix_for_setting(self.snap, self.cilium.get(key), key, value, description)


def fix_for_setting(snap: "Snapshot", setting: Setting, key: str, value: str, description: str) -> Fix:
    """Write the change where the user keeps it: the Helm values file (as a Helm
    key) if there is one, else the cilium-config ConfigMap."""
    km = BY_CONFIGMAP.get(key)
    if setting.origin == "configmap" or (not snap.cilium.helm_files and snap.cilium.configmap_files):
        file = setting.loc.file if setting.loc else (snap.cilium.configmap_files or [None])[0]
        return Fix(description, file, f"data:\n  {key}: \"{value}\"\n")
    file = setting.loc.file if (setting.loc and setting.origin in ("helm", "extraConfig")) else (
        snap.cilium.helm_files or [None])[0]
    if setting.origin == "extraConfig":
        return Fix(description, file, f"extraConfig:\n  {key}: \"{value}\"\n")
    helm = km.helm if km else key
    return Fix(description, file, nested_yaml(helm, value))


def nested_yaml(path: str, value: str) -> str:
    parts = path.split(".")
    lines = []
    for depth, part in enumerate(parts[:-1]):
        lines.append("  " * depth + f"{part}:")
    lines.append("  " * (len(parts) - 1) + f"{parts[-1]}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def _yaml_scalar(value: str) -> str:
    if value in ("true", "false") or value.isdigit():
        return value
    if any(c in value for c in ":#{}[],&*!|>'\"%@`") or value == "":
        return f'"{value}"'
    return value


def family_name(family: int) -> str:
    return f"IPv{family}"


def covering_prefix(nets: Iterable[IPNetwork]) -> IPNetwork:
    """The smallest prefix that contains every given prefix (numeric, not textual)."""
    nets = list(nets)
    best = nets[0]
    while not all(n.subnet_of(best) for n in nets):  # type: ignore[arg-type]
        best = best.supernet()
    return best


def prefix_range(net: IPNetwork) -> str:
    return f"{net.network_address} – {net.broadcast_address}"


class UnknownRule(ValueError):
    """A rule id or name that no rule has; the message lists the close matches."""


def resolve_rules(names: Iterable[str]) -> list[str]:
    """Rule ids for ids or names given by a user: case-insensitive, comma-separated lists allowed
    (`-r nr002,HM001`). Raises UnknownRule naming every unknown one with its closest matches."""
    import difflib

    by_key = {k.lower(): k for k in RULES} | {r.name.lower(): r.id for r in RULES.values()}
    out: list[str] = []
    unknown: list[str] = []
    for item in names:
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            rid = by_key.get(part.lower())
            if rid is None:
                unknown.append(part)
            elif rid not in out:
                out.append(rid)
    if unknown:
        msgs = []
        for u in unknown:
            close = difflib.get_close_matches(u.lower(), list(by_key), n=4, cutoff=0.5)
            shown = list(dict.fromkeys(by_key[c] + ("" if by_key[c].lower() == c else f" ({c})") for c in close))
            msgs.append(f"unknown rule {u!r}" + (f" (close matches: {', '.join(shown)})" if shown else
                                                 f" (no close match; rule ids: {', '.join(sorted(RULES))})"))
        raise UnknownRule("; ".join(msgs) + "; `podpath rules` lists every rule")
    return out


def run_rules(snap: "Snapshot", only: list[str] | None = None, ctx: CheckContext | None = None) -> Iterator[Finding]:
    """Findings of every rule, or of `only` (ids or names, see resolve_rules). `ctx` collects
    what the rules could not check."""
    ctx = ctx or CheckContext(snap)
    wanted = set(resolve_rules(only)) if only else None
    for rid in sorted(RULES):
        r = RULES[rid]
        if wanted is not None and rid not in wanted:
            continue
        ctx._rule = r
        try:
            yield from r.func(ctx)
        except Exception as exc:  # a defect in one rule must not become a traceback or hide the other rules
            ctx.not_checked(f"rule {rid} ({r.name})", f"podpath internal error ({type(exc).__name__}: {exc}); "
                            "the rule stopped here, please report it with the snapshot")
    ctx._rule = None
