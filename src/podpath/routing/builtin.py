"""Policies that are not written in a dialect: daemon defaults spelled out, and
Cilium's per-peer advertisement export policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.routing.policy import PolicyContext, PolicyResult, TraceStep, Verdict
from podpath.routing.route import Community, IPNetwork, LargeCommunity, Route


@dataclass(frozen=True)
class Fixed:
    """Accept or reject everything (BIRD `import all` / `export none`)."""

    name: str
    verdict: Verdict
    loc: Loc | None = None
    trivial = True

    @property
    def key(self) -> tuple[str, str]:
        """Structural key (routing.policy.policy_key): the verdict is all that matters."""
        return ("fixed", self.verdict.value)

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        step = TraceStep(self.loc, self.name, self.verdict.value)
        return PolicyResult(self.verdict, route, (step,), step)


ACCEPT_ALL = Fixed("all", Verdict.ACCEPT)
REJECT_ALL = Fixed("none", Verdict.REJECT)


@dataclass(frozen=True)
class AdvertiseSelected:
    """Cilium's export policy towards one peer: the prefixes the selected
    CiliumBGPAdvertisements give, with their communities and local preference."""

    name: str
    prefixes: tuple[tuple[IPNetwork, frozenset[Community], frozenset[LargeCommunity], int | None, Loc | None], ...]

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        hits = [p for p in self.prefixes if p[0] == route.prefix]
        if not hits:
            step = TraceStep(None, f"{self.name}: {route.prefix} is not selected by any advertisement for this peer", "reject")
            return PolicyResult(Verdict.REJECT, route, (step,), step)
        comms = set(route.communities)
        large = set(route.large_communities)
        lps = []
        for _, c, lc, lp, _ in hits:
            comms |= c
            large |= lc
            if lp is not None:
                lps.append(lp)
        out = route.replace(communities=frozenset(comms), large_communities=frozenset(large),
                            local_pref=max(lps) if lps and ctx.ibgp else route.local_pref)
        step = TraceStep(hits[0][4], f"{self.name}: advertised", "accept")
        return PolicyResult(Verdict.ACCEPT, out, (step,), step)


@dataclass(frozen=True)
class Chain:
    """Policies applied in order; the first reject decides (FRR's prefix-list, filter-list, route-map)."""

    name: str
    parts: tuple[object, ...] = field(default=())

    def evaluate(self, route: Route, ctx: PolicyContext) -> PolicyResult:
        trace: list[TraceStep] = []
        last = None
        for p in self.parts:
            res = p.evaluate(route, ctx)  # type: ignore[attr-defined]
            trace.extend(res.trace)
            last = res
            if res.verdict is Verdict.REJECT:
                return PolicyResult(Verdict.REJECT, route, tuple(trace), res.decided_by)
            route = res.route
        return PolicyResult(Verdict.ACCEPT, route, tuple(trace), last.decided_by if last else None)
