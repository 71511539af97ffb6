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

    def key_stop(self, host: str | None = None, speakers: dict[str, object] | None = None) -> Decision | None:
        """The decision most worth showing. At the host where the packet stops (if given): a kernel
        rejection, then an import rejection there; otherwise the first policy clause with a location,
        else any rejection. A stop that always happens (a route not sent back to the protocol it came from)
        explains no loss and is never the one shown."""
        stops = [d for d in self.stops if "expected" not in d.extra]
        if speakers is not None and self.owner is not None:
            # the owner reaches its own pod CIDR through cilium_host: its kernel export of it loses nothing
            stops = [d for d in stops if not (d.stage == "kernel" and
                                               getattr(speakers.get(d.speaker), "host", None) == self.owner)]
        if host is not None and speakers is not None:
            here = [d for d in stops if getattr(speakers.get(d.speaker), "host", None) == host]
            for stage in ("kernel", "import"):
                hit = [d for d in here if d.stage == stage]
                if hit:
                    return hit[0]
            if not any(host in hv.host and hv.tables for hv in self.hosts):
                pass  # nothing reached this host: the loss is upstream
        with_loc = [d for d in stops if d.policy is not None and d.loc is not None and d.stage == "import"]
        with_loc = with_loc or [d for d in stops if d.policy is not None and d.loc is not None]
        return (with_loc or stops or [None])[0]

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
    return explain_many(snap, [prefix], at)[prefix]


@dataclass
class Covering:
    """A prefix that covers a host address the user asked about, and why it is the one to explain."""

    prefix: IPNetwork
    why: str  # "inside pod CIDR ... of node ..." | "longest match at ..."
    hosts: list[str] = field(default_factory=list)  # where it is the longest match
    owner: str | None = None  # the node whose pod CIDR it is

    def to_json(self) -> dict[str, object]:
        return {"prefix": str(self.prefix), "why": self.why, "hosts": self.hosts, "owner": self.owner}


def covering_prefixes(snap: "Snapshot", query: IPNetwork) -> list[Covering]:
    """For a host address (an IPv4 /32 or IPv6 /128) that no one routes as such, the prefixes a user
    means by it: the pod CIDR(s) of the node it belongs to, and each host's longest-match route for
    it (BGP best paths and kernel routes, default routes aside). Empty when `query` is a prefix, or
    a host route some table holds exactly: then it is explained as it is."""
    if query.prefixlen != query.max_prefixlen:
        return []
    addr = query.network_address
    cp = snap.control_plane()
    # Every prefix in a BGP table was originated somewhere (the simulation starts from originations):
    # the candidates are those that cover the address, longest first; only they are simulated.
    origins = {o.route.prefix for sp in cp.speakers for o in sp.originations
               if o.route.prefix.version == addr.version and addr in o.route.prefix}
    cands = sorted((n for n in origins if n.prefixlen and n != query), key=lambda n: -n.prefixlen)
    full = snap._simulation
    res = full if full is not None else cp.simulate(only=set(cands) | {query})
    if any(query in table for table in res.best.values()):
        return []
    out: dict[IPNetwork, Covering] = {}
    pods = sorted(((c.value, n.name) for n in snap.cluster.nodes.values() for c in n.pod_cidrs
                   if c.value.version == addr.version and addr in c.value and c.value != query),
                  key=lambda x: (-x[0].prefixlen, x[1]))
    if pods:
        longest = pods[0][0].prefixlen
        for net, node in pods:
            if net.prefixlen == longest and net not in out:
                out[net] = Covering(net, f"{addr} is inside pod CIDR {net} of node {node}", owner=node)
    longest_at: dict[str, IPNetwork] = {}
    for sid, table in sorted(res.best.items()):
        host = res.speakers[sid].host
        net = next((c for c in cands if c in table), None)
        if net is not None and (host not in longest_at or net.prefixlen > longest_at[host].prefixlen):
            longest_at[host] = net
    fwd = Forwarder(res, cp.network)
    for host in sorted(res.fib):
        e = fwd.lookup(host, addr)
        if e is not None and e.route.dst.prefixlen and e.route.dst != query:
            cur = longest_at.get(host)
            if cur is None or e.route.dst.prefixlen > cur.prefixlen:
                longest_at[host] = e.route.dst
    by_prefix: dict[IPNetwork, list[str]] = {}
    for host, net in sorted(longest_at.items()):
        by_prefix.setdefault(net, []).append(host)
    for net, hs in sorted(by_prefix.items(), key=lambda kv: (-kv[0].prefixlen, int(kv[0].network_address))):
        shown = ", ".join(hs[:8]) + (f" and {len(hs) - 8} more" if len(hs) > 8 else "")
        if net in out:
            out[net].hosts = hs
        else:
            out[net] = Covering(net, f"the longest match for {addr} at {shown}", hs, pods[0][1] if pods else None)
    return list(out.values())


def explain_address(snap: "Snapshot", query: IPNetwork, at: str | None = None
                    ) -> tuple[list[Covering], dict[IPNetwork, Explanation]]:
    """`explain` as a user means it for a host address inside a pod CIDR (a pod IP): the covering
    prefixes (see covering_prefixes), each explained, and the packet from `at` traced to the address
    itself. A prefix, or an address no route covers, is explained as it is."""
    covering = covering_prefixes(snap, query)
    if not covering:
        return [], explain_many(snap, [query], at)
    owner = next((c.owner for c in covering if c.owner), None)
    exs = explain_many(snap, [c.prefix for c in covering], at,
                       target=(query, owner) if owner is not None else None)
    return covering, exs


def explain_many(snap: "Snapshot", prefixes: list[IPNetwork], at: str | None = None,
                 hosts: bool = True, target: tuple[IPNetwork, str] | None = None) -> dict[IPNetwork, Explanation]:
    """Explanations of several prefixes from one traced simulation (prefixes are independent).
    `hosts=False` leaves out the per-host view (each host's tables and kernel route). `target`
    (address, node): trace the packet from `at` to that address of that node instead."""
    if not prefixes:
        return {}
    cp = snap.control_plane()
    want = set(prefixes)
    res = cp.simulate(trace=want, only=want)
    owners: dict[IPNetwork, str] = {}
    for n in sorted(snap.cluster.nodes.values(), key=lambda n: n.name):
        for c in n.pod_cidrs:
            if c.value in want:
                owners.setdefault(c.value, n.name)
    fwd = Forwarder(res, cp.network)
    by_host: dict[str, list[str]] = {}
    for sid in sorted(res.best):
        by_host.setdefault(res.speakers[sid].host, []).append(sid)
    out: dict[IPNetwork, Explanation] = {}
    for prefix in prefixes:
        owner = owners.get(prefix)
        views = []
        probe = prefix.network_address + 1 if prefix.num_addresses > 1 else prefix.network_address
        for host in sorted(res.fib) if hosts else ():
            hv = HostView(host)
            for sid in by_host.get(host, ()):
                if prefix in res.best[sid]:
                    hv.tables.append(sid)
            e = fwd.lookup(host, probe)
            if e is not None and e.route.dst.prefixlen:
                hv.kernel = f"{e.route.describe()} [{e.source}]"
                hv.kernel_exact = e.route.dst == prefix
            views.append(hv)
        ex = Explanation(prefix, owner, res.decisions_by_prefix.get(prefix, []), views, at=at)
        if at is not None and target is not None:
            ex.trace = fwd.trace(at, target[0], target[1])
        elif at is not None and owner is not None:
            ex.trace = fwd.trace(at, prefix, owner)
        ex.fixes = suggest_fixes(snap, ex, res)
        out[prefix] = ex
    return out


def suggest_fixes(snap: "Snapshot", ex: Explanation, res: object) -> list[str]:
    """Concrete changes, grouped so that one fix applied on many hosts is said once."""
    fixes: list[str] = []
    grouped: dict[str, list[str]] = {}
    speakers = res.speakers  # type: ignore[attr-defined]
    to_cilium = res.__dict__.get("_to_cilium")  # type: ignore[attr-defined]
    if to_cilium is None:  # once per result: the sessions of every host
        to_cilium = res.__dict__["_to_cilium"] = {  # type: ignore[attr-defined]
            (e.speaker.id, e.peer.name) for s in res.sessions if s.b is not None  # type: ignore[attr-defined]
            for e, o in ((s.a, s.b), (s.b, s.a)) if o.speaker.daemon is Daemon.CILIUM}

    def add(text: str) -> None:
        if text not in fixes:
            fixes.append(text)

    for d in ex.stops:
        sp = speakers.get(d.speaker)
        if sp is None or sp.host == ex.owner and d.stage == "kernel":
            continue
        if d.stage == "import" and d.policy is not None and d.policy.decided_by is not None:
            step = d.policy.decided_by
            grouped.setdefault(f"{step.text} decides (e.g. {step.loc}); permit {ex.prefix} in an earlier clause of "
                               "that policy (e.g. match a prefix-list that contains it)", []).append(sp.host)
        elif d.stage == "import" and "Cilium" in d.text:
            add("Cilium never installs BGP routes in the kernel: have the node's routing daemon install them (BIRD: a "
                "`kernel` protocol exporting the upstream BGP routes), use autoDirectNodeRoutes on a shared L2, or "
                "tunnel mode; exporting routes from BIRD to Cilium does not help")
        elif d.stage == "export" and (d.speaker, d.peer) in to_cilium:
            continue  # exporting to Cilium never helps (it rejects and never installs received routes)
        elif d.stage == "export" and d.policy is not None and d.policy.decided_by is not None:
            step = d.policy.decided_by
            grouped.setdefault(f"export policy {step.text} (e.g. {step.loc}) rejects it; permit {ex.prefix} there",
                               []).append(sp.host)
        elif d.stage == "export" and "exports nothing" in d.text:
            grouped.setdefault("add an `export` filter to the BGP channel towards the upstream routers", []).append(sp.host)
        elif d.stage == "kernel" and sp.daemon is Daemon.BIRD:
            proto = _bird_proto(res, d.speaker, ex.prefix) or "<upstream protocol>"
            grouped.setdefault(
                f"add to the BIRD configuration `protocol kernel {{ ipv{ex.prefix.version} {{ export where proto = "
                f"\"{proto}\"; }}; }}` (only routes from {proto}: exporting everything would also install the node's "
                "own pod CIDR learned from Cilium, as an unreachable route that beats cilium_host)", []).append(sp.host)
        elif "ebgp-requires-policy" in d.text:
            grouped.setdefault("configure an inbound and outbound route-map on the eBGP session, or `no bgp "
                               "ebgp-requires-policy`", []).append(sp.host)
    for text, hosts in grouped.items():
        hs = sorted(set(hosts))
        add(f"on {', '.join(hs[:8])}{' and more' if len(hs) > 8 else ''}: {text}")
    return fixes


def _bird_proto(res: object, sid: str, prefix: IPNetwork) -> str | None:
    path = res.best.get(sid, {}).get(prefix)  # type: ignore[attr-defined]
    return path.peer_name if path is not None and not path.local else None
