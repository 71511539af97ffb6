"""`podpath explain PREFIX`: where a prefix originates, every hop and policy
decision on the way (with file:line), where it stops, and what would let it
through. Built from a traced simulation of just that prefix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from podpath.routing.bgp import Daemon
from podpath.routing.reach import Forwarder, Trace
from podpath.routing.rib import Decision
from podpath.routing.route import IPNetwork

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot


@dataclass
class HostView:
    host: str
    tables: list[str] = field(default_factory=list)  # speaker ids whose best table holds the prefix
    kernel: str | None = None  # the kernel route that covers it, if any
    kernel_exact: bool = False


@dataclass
class Explanation:
    prefix: IPNetwork
    owner: str | None
    steps: list[Decision]
    hosts: list[HostView]
    trace: Trace | None = None
    at: str | None = None
    fixes: list[str] = field(default_factory=list)

    @property
    def stops(self) -> list[Decision]:
        return [d for d in self.steps if not d.accepted and d.stage in ("import", "export", "kernel", "leak")]

    def key_stop(self) -> Decision | None:
        """The decision most worth showing: a policy clause with a location, else any rejection."""
        with_loc = [d for d in self.stops if d.policy is not None and d.loc is not None]
        return (with_loc or self.stops or [None])[0]

    def to_json(self) -> dict[str, object]:
        return {
            "prefix": str(self.prefix),
            "owner": self.owner,
            "steps": [_decision_json(d) for d in self.steps],
            "hosts": [{"host": h.host, "bgp_tables": h.tables, "kernel_route": h.kernel, "exact": h.kernel_exact}
                      for h in self.hosts],
            "trace": None if self.trace is None else {
                "from": self.at, "delivered": self.trace.delivered, "cause": self.trace.cause,
                "hops": [h.describe() for h in self.trace.hops]},
            "fixes": self.fixes,
        }


def _decision_json(d: Decision) -> dict[str, object]:
    return {"speaker": d.speaker, "stage": d.stage, "accepted": d.accepted, "text": d.text,
            "location": d.loc.to_json() if d.loc else None,
            "policy_trace": [s.to_json() for s in d.policy.trace] if d.policy else []}


def explain(snap: "Snapshot", prefix: IPNetwork, at: str | None = None) -> Explanation:
    cp = snap.control_plane()
    res = cp.simulate(trace={prefix}, only={prefix})
    owner = next((n.name for n in snap.cluster.nodes.values() if any(c.value == prefix for c in n.pod_cidrs)), None)
    hosts = []
    fwd = Forwarder(res, cp.network)
    for host in sorted(res.fib):
        hv = HostView(host)
        for sid, table in sorted(res.best.items()):
            if res.speakers[sid].host == host and prefix in table:
                hv.tables.append(sid)
        e = fwd.lookup(host, prefix.network_address + 1 if prefix.num_addresses > 1 else prefix.network_address)
        if e is not None and e.route.dst.prefixlen:
            hv.kernel = f"{e.route.describe()} [{e.source}]"
            hv.kernel_exact = e.route.dst == prefix
        hosts.append(hv)
    ex = Explanation(prefix, owner, res.decisions, hosts, at=at)
    if at is not None and owner is not None:
        ex.trace = fwd.trace(at, prefix, owner)
    ex.fixes = suggest_fixes(snap, ex, res)
    return ex


def suggest_fixes(snap: "Snapshot", ex: Explanation, res: object) -> list[str]:
    fixes: list[str] = []
    seen: set[str] = set()

    def add(text: str) -> None:
        if text not in seen:
            seen.add(text)
            fixes.append(text)

    for d in ex.stops:
        sp = res.speakers.get(d.speaker)  # type: ignore[attr-defined]
        if d.stage == "import" and d.policy is not None and d.policy.decided_by is not None:
            step = d.policy.decided_by
            add(f"{d.speaker}: {step.text} at {step.loc} decides; permit {ex.prefix} in an earlier clause of "
                f"that policy (e.g. match a prefix-list that contains it)")
        elif d.stage == "import" and "Cilium" in d.text:
            add("Cilium never installs BGP routes in the kernel: have the node's routing daemon install them (BIRD: "
                "a `kernel` protocol exporting the upstream BGP routes), use autoDirectNodeRoutes on a shared L2, or "
                "tunnel mode; exporting routes from BIRD to Cilium does not help")
        elif d.stage == "export" and d.policy is not None and d.policy.decided_by is not None:
            step = d.policy.decided_by
            add(f"{d.speaker}: export policy {step.text} at {step.loc} rejects it; permit {ex.prefix} there")
        elif d.stage == "export" and "exports nothing" in d.text:
            add(f"{d.text.split(':')[0]}: add an `export` filter to the channel")
        elif d.stage == "kernel" and sp is not None and sp.daemon is Daemon.BIRD:
            proto = _bird_proto(res, d.speaker, ex.prefix)
            add(f"{sp.id}: its kernel protocol rejects {ex.prefix}" + (f" (at {d.loc})" if d.loc else "")
                + (f"; export the routes of protocol {proto}: `export where proto = \"{proto}\";`" if proto else ""))
        elif "ebgp-requires-policy" in d.text:
            add(f"{d.speaker}: configure an inbound and outbound route-map on the eBGP session, or `no bgp "
                "ebgp-requires-policy`")
    for hv in ex.hosts:
        for sid in hv.tables:
            sp = res.speakers[sid]  # type: ignore[attr-defined]
            if sp.daemon is Daemon.BIRD and sp.kernel_export is None and not hv.kernel_exact and hv.host != ex.owner:
                proto = _bird_proto(res, sid, ex.prefix) or "<upstream protocol>"
                add(f"{sid}: has {ex.prefix} in its table but exports nothing to the kernel: add to "
                    f"{sp.config_file or 'its config'} `protocol kernel {{ ipv{ex.prefix.version} {{ export where proto = "
                    f"\"{proto}\"; }}; }}` (only routes from {proto}: exporting everything would also install the "
                    "node's own pod CIDR learned from Cilium, as an unreachable route that beats cilium_host)")
    return fixes


def _bird_proto(res: object, sid: str, prefix: IPNetwork) -> str | None:
    path = res.best.get(sid, {}).get(prefix)  # type: ignore[attr-defined]
    return path.peer_name if path is not None and not path.local else None
