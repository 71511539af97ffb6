"""Security of the routing policies: who can announce what they should not.

Every rule asks the symbolic model (routing.symbolic) over the whole route space of a receiving
policy, in the context of its session, and shows example routes that the concrete evaluator
(what the simulator runs) decides the same way. Findings are warnings: the cluster routes, but a
compromised or misconfigured node (or peer) could take traffic that is not its own. A clause that
can never change a decision is info.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Any, Iterable, Iterator

from podpath.checks.base import CheckContext, Finding, Fix, rule
from podpath.routing.policy import Direction, PolicyContext, context_free
from podpath.routing.route import Protocol
from podpath.routing.symbolic import PERMIT, UNKNOWN, Compiled, Space, compile_policy, search

MAX_EXAMPLES = 4
SNIPPET_NODES = 6  # nodes spelled out in a fix snippet (the rest follow the same pattern)


class _Compiler:
    """One Space per family, compiled policies cached per (policy, session context)."""

    def __init__(self) -> None:
        self.spaces: dict[int, Space] = {}
        self.cache: dict[tuple[int, int, PolicyContext | None], tuple[int, Compiled]] = {}
        self.regions: dict[int, Any] = {}  # family -> _PodRegions (built once per check run)
        self.memo: dict[Any, Any] = {}

    def space(self, family: int) -> Space:
        sp = self.spaces.get(family)
        if sp is None:
            sp = self.spaces[family] = Space(family)
        return sp

    def compile(self, policy: Any, family: int, ctx: PolicyContext) -> Compiled:
        """Compiled once per policy when it reads the route only (the session context then only
        shapes example routes: the copy returned carries `ctx`)."""
        free = context_free(policy)
        key = (id(policy), family, None if free else ctx)
        sp = self.space(family)
        got = self.cache.get(key)
        if got is not None and got[0] == sp.version:  # no atom added since: still exact
            c = got[1]
            return dataclasses.replace(c, ctx=ctx) if free and c.ctx != ctx else c
        for _ in range(5):
            sp.mark()
            c = compile_policy(policy, sp, ctx)
            if not sp.grew:
                break
        self.cache[key] = (sp.version, c)
        return c


def _compiler(ctx: CheckContext) -> _Compiler:
    c = getattr(ctx, "_symbolic", None)
    if c is None:
        c = _Compiler()
        ctx._symbolic = c  # type: ignore[attr-defined]
    return c


def _receiving_ends(ctx: CheckContext) -> Iterator[tuple[Any, Any, int]]:
    """(sender end, receiver end, family) of every established session where the sender is a node
    and the receiver another host: what a node announces and someone else accepts."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    nodes = ctx.cluster.nodes
    for s in snap.simulate().sessions:
        if not s.up:
            continue
        for snd, rcv in s.ends():
            if snd.speaker.host not in nodes or rcv.speaker.host == snd.speaker.host:
                continue
            for fam in s.afs:
                af = rcv.peer.afs.get(fam)
                if af is not None:
                    yield snd, rcv, fam


def _pod_ranges(comp: _Compiler, cluster: Any, fam: int) -> list[Any]:
    """The cluster's pod ranges of a family, read once per check (every receiver asks; ~14 ms at 1,000 nodes)."""
    key = ("pod ranges", fam)
    got = comp.memo.get(key)
    if got is None:
        got = comp.memo[key] = [p.value for p in cluster.all_pod_cidrs(fam)]
    return list(got)


def _ctx_of(end: Any) -> PolicyContext:
    from podpath.routing.daemons import _ctx

    return _ctx(end, Direction.IMPORT)


def _route_text(r: Any) -> str:
    from podpath.show_text import route_text

    return route_text(r)


def _no_policy(ctx: CheckContext, rcv: Any, fam: int) -> None:
    """A receiving session without a policy object: the daemon's default applies, which the symbolic
    model does not describe (Cilium that rejects every received path needs no answer)."""
    from podpath.routing.bgp import Daemon

    sp = rcv.speaker
    if sp.daemon is Daemon.CILIUM and not sp.options.accepts_received:
        return
    ctx.not_checked(f"routes {sp.id} accepts from {rcv.peer.name} (IPv{fam})",
                    "no import policy is configured and the daemon's default is not modelled symbolically",
                    rcv.peer.loc)


def _last(e: Any) -> str:
    d = e.path.decided
    return d.render() if d is not None else "no filter decides: accepted"


def _installs(rcv: Any, route: Any) -> tuple[bool, str]:
    """Whether the receiving host installs an accepted route in its kernel (zebra / BIRD kernel export)."""
    sp = rcv.speaker
    if not sp.installs_to_kernel:
        return False, f"{sp.id} does not install BGP routes in the kernel"
    if sp.kernel_export is not None:
        res = sp.kernel_export.evaluate(route, PolicyContext(Direction.EXPORT, protocol_name="kernel"))
        if not res.accepted:
            return False, f"{sp.id}'s kernel protocol does not export it"
    return True, f"installed in {sp.host}'s kernel"


def _group(items: Iterable[tuple[Any, Any, int]]) -> dict[tuple[str, int], list[tuple[Any, Any]]]:
    """Receiving sessions by (receiving speaker, family): one finding per router and family, whatever the
    number of peer groups, listen ranges or neighbors it receives nodes on (each is a location). The id
    then survives the fix (per-node route-maps) and a route-reflector design with one peer group per rack."""
    out: dict[tuple[str, int], list[tuple[Any, Any]]] = {}
    for snd, rcv, fam in items:
        out.setdefault((rcv.speaker.id, fam), []).append((snd, rcv))
    return out


def _policy_label(rcv: Any, fam: int) -> str:
    """The import policy as its author names it: FRR's route-map (and lists) of the neighbor, a named BIRD
    filter; otherwise the peer (an inline filter, no filter: the policy is the session's own)."""
    pol = rcv.peer.afs[fam].import_policy
    if pol is None:
        return rcv.peer.name
    if hasattr(pol, "neighbor") and hasattr(pol, "route_map"):  # FRR NeighborPolicy
        parts = [f"{what} {getattr(ref, 'name', ref)}" for what, ref in (
            ("distribute-list", pol.distribute_list), ("prefix-list", pol.prefix_list),
            ("filter-list", pol.filter_list), ("route-map", pol.route_map)) if ref is not None]
        return " + ".join(parts) if parts else rcv.peer.name
    name = getattr(pol, "name", None)
    if isinstance(name, str) and name.startswith("filter ") and "{" not in name:
        return name
    return rcv.peer.name


# ============================================================================================ SEC001

@rule("SEC001", "pod-cidr-hijack", "warning",
      "A node can get another node's pod CIDR (or a more-specific of it) accepted and installed elsewhere")
def pod_cidr_hijack(ctx: CheckContext) -> Iterable[Finding]:
    """A router (or node) accepts from a node, and installs, a prefix inside another node's pod CIDR
    (including a more-specific of it) or anywhere in the cluster's pod ranges that is not the sender's
    own pod CIDR; or, from a configured peer outside the snapshot (an upstream), anything in the pod
    ranges. The question is asked of every receiving import policy over every route (symbolic
    search, routing/symbolic.py), with any communities, AS path and attributes: a filter that trusts a
    community or a shared `le 64` prefix-list lets any node announce any pod prefix, and the more-specific
    wins by longest match. Example routes are checked with the same evaluator the simulation uses.

    One finding per receiving router and family (id `SEC001:ROUTER:ipvN`), whatever the number of peer
    groups or listen ranges it receives the nodes on: each is a location. Fix: bind each node's session
    to its own pod CIDR (a per-node route-map in front of the shared policy); for FRR the finding carries
    it as a patch of the router's file for every node (`fix.diff` in JSON and SARIF; the text report
    shows its size and first lines), for BIRD the pattern as a snippet. Unmodelled statements make the
    answer unknown (listed as not checked), never a silent pass."""
    comp = _compiler(ctx)
    cluster = ctx.cluster
    for (sid, fam), pairs in sorted(_group(_receiving_ends(ctx)).items()):
        ranges = _pod_ranges(comp, cluster, fam)
        if not ranges:
            continue
        hits: list[tuple[str, Any, Any, str]] = []
        unknown: list[Any] = []
        more: set[str] = set()  # senders found by emptiness alone, once enough examples are shown
        first_rcv = pairs[0][1]
        regions = comp.regions.get(fam)
        if regions is None:
            regions = comp.regions[fam] = _PodRegions(cluster, fam, ranges)
        for snd, rcv in sorted(pairs, key=lambda x: x[0].speaker.host):
            pol = rcv.peer.afs[fam].import_policy
            if pol is None:
                _no_policy(ctx, rcv, fam)
                continue
            c = comp.compile(pol, fam, _ctx_of(rcv))
            sp = c.space
            inside, cover = regions.base(sp)
            mine = regions.mine(sp, snd.speaker.host)
            if len({h for h, *_ in hits}) >= MAX_EXAMPLES:
                # enough examples: only whether this sender can too (permitted pod routes not all its own)
                key = (id(c.paths), sp.version, "pods")
                region = comp.memo.get(key)
                if region is None:
                    region = comp.memo[key] = c.region(PERMIT) & (inside | cover)
                if region != sp.false and (_outside(sp, region, mine, comp.memo) or (region & ~mine) != sp.false):
                    more.add(snd.speaker.host)
                continue
            for region in (inside & ~mine, cover & ~mine):
                res = search(c, PERMIT, region)
                if res.answer == "unknown":
                    unknown.extend(res.unknown)
                for e in res.found:
                    ok, why = _installs(rcv, pol.evaluate(e.route, c.ctx).route)
                    if ok:
                        hits.append((snd.speaker.host, e, rcv, why))
        if unknown and not hits:
            why = unknown[0].path.reasons[0] if unknown[0].path.reasons else None
            ctx.not_checked(f"pod-CIDR hijack through {sid} {_policies(pairs, fam)} (IPv{fam})",
                            "the import policy has statements podpath cannot model symbolically"
                            + (f": {why.text}" if why else ""), why.loc if why else None)
        if not hits:
            continue
        senders = sorted({h[0] for h in hits} | more)
        evidence = []
        locs = []
        for host, e, rcv, why in hits[: MAX_EXAMPLES]:
            owner = _owner(cluster, e.route.prefix, host, comp.memo)
            evidence.append(f"{host} announces {_route_text(e.route)}{owner}: {_last(e)}; {why}")
        for _, e, _, _ in hits:
            for s in e.path.steps:
                if s.effect in ("accept", "match") and s.loc is not None:
                    locs.append(s.loc)
        host = first_rcv.speaker.host
        yield ctx.finding(
            f"{sid}:ipv{fam}",
            f"{_names(senders)} can each announce a prefix inside another node's pod CIDR (or the cluster's pod "
            f"range) and {host} accepts and installs it{_through(pairs, fam)}: nothing binds a node's session to "
            "its own pod CIDR", locations=_peer_locs(pairs, fam) + locs, evidence=evidence,
            fix=_bind_fix(ctx, fam, pairs, ranges))
    if ctx.snap.has_control_plane:
        yield from _external_hijacks(ctx, comp)


def _policies(pairs: list[tuple[Any, Any]], fam: int) -> str:
    """The import policies of the receiving peers, as their authors name them."""
    return _names(sorted({_policy_label(rcv, fam) for _, rcv in pairs}), 4)


def _through(pairs: list[tuple[Any, Any]], fam: int) -> str:
    """` through POLICIES (N receiving peers: A, B)` when the router receives the nodes on several peers."""
    peers = sorted({rcv.peer.name for _, rcv in pairs})
    if len(peers) < 2:
        return ""
    return f" through {_policies(pairs, fam)} ({len(peers)} receiving peers: {_names(peers, 4)})"


def _peer_locs(pairs: list[tuple[Any, Any]], fam: int) -> list[Any]:
    """Every receiving peer (group) of the finding, and where its import policy is attached."""
    out: dict[Any, None] = {}
    for _, rcv in pairs:
        for loc in (rcv.peer.loc, rcv.peer.afs[fam].import_loc):
            if loc is not None:
                out[loc] = None
    return list(out)


def _outside(sp: Space, region: Any, mine: Any, memo: dict[Any, Any]) -> bool:
    """Cheaply: one prefix of `region` (picked once per region) is not in `mine` (then region - mine
    is not empty)."""
    key = ("pick", region)
    x = memo.get(key)
    if x is None:
        care = set(sp.len_bits) | set(sp.addr_bits)
        got = sp.bdd.pick(region, care_vars=care | set(sp.bdd.support(region)))
        x = memo[key] = {k: v for k, v in got.items() if k in care} if got is not None else {}
    if not x:
        return False
    return sp.bdd.let(x, mine) == sp.false


def _supernets(nets: Iterable[Any]) -> set[tuple[int, int]]:
    """(network address, length) of every prefix shorter than one of `nets` that covers it (not /0)."""
    out: set[tuple[int, int]] = set()
    for n in nets:
        a, w = int(n.network_address), n.max_prefixlen
        for plen in range(n.prefixlen - 1, 0, -1):
            key = ((a >> (w - plen)) << (w - plen), plen)
            if key in out:
                break  # the shorter ones are there already
            out.add(key)
    return out


def _names(hosts: list[str], n: int = 8) -> str:
    return ", ".join(hosts[:n]) + (f" and {len(hosts) - n} more" if len(hosts) > n else "")


class _PodRegions:
    """The pod prefixes a sender must not announce, built once per family: inside any pod range, or a
    shorter prefix covering another node's pod CIDR (not /0); the sender's own CIDRs, and covering
    prefixes that cover only its own, are taken out per sender."""

    def __init__(self, cluster: Any, fam: int, ranges: list[Any]) -> None:
        self.cluster, self.fam, self.ranges = cluster, fam, ranges
        self.cidrs = sorted({(c.value, n.name) for n in cluster.nodes.values() for c in n.pod_cidrs_of(fam)},
                            key=lambda x: (int(x[0].network_address), x[0].prefixlen, x[1]))
        self._keys = [int(c.network_address) for c, _ in self.cidrs]
        self.own: dict[str, list[Any]] = {}
        for c, n in self.cidrs:
            self.own.setdefault(n, []).append(c)
        self._base: tuple[Any, Any] | None = None
        self._space: Any = None
        self._mine: dict[tuple[int, str], Any] = {}

    def _build(self, sp: Space) -> tuple[Any, Any]:
        if self._base is None or self._space is not sp:
            inside = sp.false
            for r in self.ranges:
                inside = inside | sp.prefix_within(r)
            # every shorter prefix covering a node's pod CIDR (not /0): _supernets, as one trie
            cover = sp.prefix_paths((int(c.network_address), 1, c.prefixlen - 1) for c, _ in self.cidrs)
            self._base, self._space = (inside, cover & ~inside), sp
        return self._base

    def base(self, sp: Space) -> tuple[Any, Any]:
        return self._build(sp)

    def mine(self, sp: Space, host: str) -> Any:
        """The sender's own pod prefixes, and the covering prefixes that cover no other node's CIDR."""
        got = self._mine.get((id(sp), host))
        if got is None:
            got = self._mine[(id(sp), host)] = self._own_region(sp, host)
        return got

    def _own_region(self, sp: Space, host: str) -> Any:
        mine = sp.false
        for o in self.own.get(host, ()):
            mine = mine | sp.prefix_within(o)
            shortest = o.prefixlen  # the covering prefixes down to the first that covers another node's CIDR
            a, w = int(o.network_address), o.max_prefixlen
            for plen in range(o.prefixlen - 1, 0, -1):
                lo = (a >> (w - plen)) << (w - plen)
                if self._covers_other(lo, lo + (1 << (w - plen)) - 1, plen, host):
                    break
                shortest = plen
            mine = mine | sp.prefix_paths([(a, shortest, o.prefixlen - 1)])
        return mine

    def _covers_other(self, lo: int, hi: int, plen: int, host: str) -> bool:
        """The prefix of length `plen` spanning addresses lo..hi holds another node's pod CIDR (one whose
        address is in the span and that is no shorter)."""
        import bisect

        keys = self._keys
        i = bisect.bisect_left(keys, lo)
        while i < len(keys) and keys[i] <= hi:
            c, n = self.cidrs[i]
            if n != host and c.prefixlen >= plen:
                return True
            i += 1
        return False


def _external_hijacks(ctx: CheckContext, comp: _Compiler) -> Iterator[Finding]:
    """A configured peer outside the snapshot (an upstream) whose routes a router would accept and install
    inside the cluster's pod ranges: nothing in them is that peer's."""
    snap = ctx.snap
    cluster = ctx.cluster
    for s in snap.simulate().sessions:
        a = s.a
        if s.b is not None or a.speaker.host in cluster.nodes or a.peer.listen_range is not None:
            continue
        for fam, af in sorted(a.peer.afs.items()):
            ranges = _pod_ranges(comp, cluster, fam)
            if not ranges or af.import_policy is None:
                continue
            regions = comp.regions.get(fam)
            if regions is None:
                regions = comp.regions[fam] = _PodRegions(cluster, fam, ranges)
            pctx = PolicyContext(Direction.IMPORT, a.peer.local_as, a.peer.remote_as, a.remote_address,
                                 a.local_address, None, a.peer.name, a.speaker.router_id, a.speaker.vrf)
            c = comp.compile(af.import_policy, fam, pctx)
            inside, cover = regions.base(c.space)
            hits = []
            for region in (inside, cover):
                for e in search(c, PERMIT, region).found:
                    ok, why = _installs(a, af.import_policy.evaluate(e.route, c.ctx).route)
                    if ok:
                        hits.append((e, why))
            if not hits:
                continue
            yield ctx.finding(
                f"{a.speaker.id}:{a.peer.name}:ipv{fam}",
                f"{a.peer.name}, a peer outside the snapshot, can announce prefixes inside the cluster's pod range and "
                f"{a.speaker.host} accepts and installs them", locations=[a.peer.loc, af.import_loc],
                evidence=[f"{a.peer.name} announces {_route_text(e.route)}"
                          f"{_owner(cluster, e.route.prefix, '', comp.memo)}: {_last(e)}; {why}"
                          for e, why in hits[:MAX_EXAMPLES]],
                fix=Fix(f"Deny the cluster's pod ranges ({', '.join(str(r) for r in sorted(set(ranges), key=str)[:4])}"
                        f"{', ...' if len(set(ranges)) > 4 else ''}) in the import policy from {a.peer.name}",
                        a.peer.loc.file))


def _owner(cluster: Any, net: Any, sender: str, memo: dict[Any, Any] | None = None) -> str:
    """Whose pod CIDR an example prefix falls in (or covers): the first other node by name."""
    key = ("owners", id(cluster), net.version)
    order = memo.get(key) if memo is not None else None
    if order is None:  # every node's CIDRs of the family, by node name (once per check: 200 examples ask)
        order = [(n.name, [c.value for c in n.pod_cidrs_of(net.version)])
                 for n in sorted(cluster.nodes.values(), key=lambda n: n.name)]
        if memo is not None:
            memo[key] = order
    for name, cidrs in order:
        if name == sender:
            continue
        for c in cidrs:
            if net.subnet_of(c):
                return f" (inside {name}'s pod CIDR {c})"
            if c.subnet_of(net):
                return f" (covers {name}'s pod CIDR {c})"
    return " (in the cluster's pod range)"


def _cluster_pods_list(ctx: CheckContext, kw: str, ranges: list[Any]) -> list[str]:
    """PL_CLUSTER_PODS: the smallest prefix covering the cluster's pod ranges with everything inside it (`le`),
    and the shorter prefixes covering it: bounded by the address length, never one entry per node. The same
    for every receiver of the family, built once per check."""
    memo = _compiler(ctx).memo
    key = ("SEC001 PL_CLUSTER_PODS", kw)  # `ranges`: the family's pod ranges (_pod_ranges), one list per check
    if key not in memo:
        from podpath.checks.base import covering_prefix

        cover = covering_prefix(sorted(set(ranges), key=lambda n: (int(n.network_address), n.prefixlen)))
        net = ipaddress.IPv4Network if cover.version == 4 else ipaddress.IPv6Network  # (int, len): not by size
        entries = sorted(_supernets([cover]) | {(int(cover.network_address), cover.prefixlen)})
        memo[key] = [f"{kw} prefix-list PL_CLUSTER_PODS seq {5 * (i + 1)} permit {net((a, p))}"
                     + (f" le {cover.max_prefixlen}" if p == cover.prefixlen and p < cover.max_prefixlen else "")
                     for i, (a, p) in enumerate(entries)]
    return list(memo[key])


def _tag(host: str, fam: int) -> str:
    """A node's name as a route-map / prefix-list name part (`node-1.example` -> NODE_1_EXAMPLE_V4)."""
    return re.sub(r"[^A-Za-z0-9]", "_", host).upper() + f"_V{fam}"


def _bind_fix(ctx: CheckContext, fam: int, pairs: list[tuple[Any, Any]], ranges: list[Any]) -> Fix:
    """Per-node policy in front of the shared one: own pod CIDR -> the shared policy; any other pod
    prefix -> deny; the rest -> the shared policy. FRR: a patch of the receiving router's file (Fix.diff)
    for every node that sends; BIRD and others: the pattern as a snippet for the first nodes."""
    from podpath.routing.bgp import Daemon

    rcv = pairs[0][1]
    frr = [(s, r) for s, r in pairs if hasattr(r.peer.afs[fam].import_policy, "instance")]  # NeighborPolicy
    if rcv.speaker.daemon is Daemon.FRR and frr:
        fix = _frr_bind_patch(ctx, fam, frr, ranges)
        if fix is not None:
            return fix
    cluster = ctx.cluster
    every = sorted({snd.speaker.host: snd for snd, _ in pairs}.items())
    nodes = every[:SNIPPET_NODES]
    own_by = {h: [str(c.value) for c in cluster.nodes[h].pod_cidrs_of(fam)] for h, _ in nodes}
    pods = ", ".join(f"{r}+" for r in sorted(set(ranges), key=str))
    lines = []
    for host, snd in nodes:
        own = ", ".join(f"{o}{{{ipaddress.ip_network(o).prefixlen},{ipaddress.ip_network(o).max_prefixlen}}}"
                        for o in own_by[host])
        lines.append(f"# import filter of the session with {host} ({snd.local_address}):")
        lines.append(f"if net ~ [ {pods} ] && !(net ~ [ {own or '::/128'} ]) then reject;")
    if len(every) > len(nodes):
        lines.append(f"# ... and the same for the other {len(every) - len(nodes)} nodes")
    return Fix("Reject, at the top of each node session's import filter, pod prefixes that are not that node's own",
               rcv.peer.loc.file, "\n".join(lines) + "\n")


def _frr_bind_patch(ctx: CheckContext, fam: int, pairs: list[tuple[Any, Any]], ranges: list[Any]) -> Fix | None:
    """The FRR binding as one insertion after the receiving `router bgp` block: PL_CLUSTER_PODS once, per node
    a prefix-list of its own pod CIDR(s) and a route-map (own -> the shared route-map, other pod prefixes ->
    deny, the rest -> the shared route-map), and a `router bgp` stanza that makes each node an explicit member
    of its peer group (a configured neighbor wins over the listen range and keeps the group's settings) with
    that route-map inbound. None when the block's end cannot be found in the file's text."""
    from podpath.repair.edit import Patch, TextEdit

    cluster = ctx.cluster
    pol = pairs[0][1].peer.afs[fam].import_policy
    inst, file = pol.instance, pol.config.file
    text = ctx.snap.texts.get(file)
    at = _block_end(text, inst.loc.line) if text is not None and inst.loc.file == file else None
    if at is None:
        return None
    kw = "ip" if fam == 4 else "ipv6"
    shared_maps = sorted({getattr(rcv.peer.afs[fam].import_policy.route_map, "name", "") for _, rcv in pairs} - {""})
    lines = ["! podpath SEC001: each node's session accepts pod prefixes only inside that node's own pod CIDR"
             + (f"; route-map {', '.join(shared_maps)} still decides the rest" if shared_maps else "")]
    members: list[str] = []
    bindings: list[str] = []
    seen: set[str] = set()
    hosts: set[str] = set()
    for snd, rcv in sorted(pairs, key=lambda x: (x[0].speaker.host, str(x[0].local_address))):
        host, addr = snd.speaker.host, snd.local_address
        if str(addr) in seen:
            continue
        seen.add(str(addr))
        tag = _tag(host, fam)
        rpol = rcv.peer.afs[fam].import_policy
        shared = getattr(rpol.route_map, "name", None)
        call = [f" call {shared}"] if shared else []
        if host not in hosts:  # a node with several sessions: one route-map for all of them
            hosts.add(host)
            own = [c.value for c in cluster.nodes[host].pod_cidrs_of(fam)]
            lines += [f"{kw} prefix-list PL_POD_{tag} seq {5 * (i + 1)} permit {o}" for i, o in enumerate(own)]
            lines += [f"route-map RM_IN_{tag} permit 10", f" match {kw} address prefix-list PL_POD_{tag}", *call,
                      "exit", f"route-map RM_IN_{tag} deny 20", f" match {kw} address prefix-list PL_CLUSTER_PODS",
                      "exit", f"route-map RM_IN_{tag} permit 30", *call, "exit"]
        if rcv.peer.listen_range is not None:  # a dynamic peer: configure it, in its group
            members.append(f" neighbor {addr} peer-group {rpol.neighbor.name}")
        bindings.append(f"  neighbor {addr} route-map RM_IN_{tag} in")
    lines.append(f"router bgp {inst.asn}" + (f" vrf {inst.vrf}" if inst.vrf != "default" else ""))
    lines += members
    lines += [f" address-family {pol.af}", *bindings, " exit-address-family", "exit"]
    lines.append("! PL_CLUSTER_PODS: the cluster's pod range (everything inside the prefix that covers it) and every "
                 "shorter prefix covering it")
    lines += _cluster_pods_list(ctx, kw, ranges) + ["!"]
    patch = Patch([TextEdit.insert_before(file, at, *lines)])
    diff = patch.diff(ctx.snap.texts)
    front = "route-map " + ", ".join(shared_maps) if shared_maps else "the shared policy"
    desc = (f"Bind each of the {len(seen)} node sessions to its own pod CIDR: a per-node inbound route-map (in front "
            f"of {front}) accepts pod prefixes only inside that node's own pod CIDR and denies the rest of the "
            "cluster's pod range; listen-range peers become explicit members of their peer group, which keeps the "
            "group's settings. Apply with `patch -p1` from the snapshot directory")
    return Fix(desc, file, None, diff)


def _block_end(text: str, line: int) -> int | None:
    """The line (1-based) just after the `router bgp` block starting at `line`: after its `exit` (as FRR
    writes it), or before the next top-level command of an indented block; None when the block is not
    indented (where it ends cannot be told from the text alone)."""
    lines = text.splitlines()
    indented = False
    for i in range(line, len(lines)):  # lines[line] is the line after the block's first
        t = lines[i]
        if not t.strip() or t.lstrip().startswith("!"):
            continue
        if t[0] in " \t":
            indented = True
            continue
        if t.rstrip() == "exit":
            return i + 2
        return i + 1 if indented else None
    return len(lines) + 1 if indented else None


# ============================================================================================ SEC002

@rule("SEC002", "permit-covers-infrastructure", "warning",
      "An import policy lets a node announce another host's address or the service range")
def permit_covers_infrastructure(ctx: CheckContext) -> Iterable[Finding]:
    """A receiving import policy permits, from a node, a route that covers another host's own address
    more specifically than that host's connected subnet (a node or router address, a loopback /32 or
    /128), or a prefix inside the cluster's service CIDR. Such a route draws traffic for the other host
    (or for Services) to the announcing node. Found by symbolic search over the policy; examples are
    checked concretely.

    One finding per receiving router and family, every receiving peer (group) a location. Fix: narrow
    the permitting clause's prefix-list to the prefixes the nodes really originate (each node's own
    loopback, its pod CIDR), or bind each session to its node's prefixes."""
    comp = _compiler(ctx)
    cluster = ctx.cluster
    for (sid, fam), pairs in sorted(_group(_receiving_ends(ctx)).items()):
        hits = []
        services = [s.value for s in cluster.service_subnets if s.value.version == fam]
        if ("SEC002 infra", fam) not in comp.memo:  # the same for every receiver of the family
            comp.memo[("SEC002 infra", fam)] = _infra_addresses(cluster, fam)
        infra = comp.memo[("SEC002 infra", fam)]
        by_host: dict[str, list[Any]] | None = comp.memo.get(("SEC002 by host", fam))
        if by_host is None:  # each host's own addresses, for every receiver of the family
            by_host = comp.memo[("SEC002 by host", fam)] = {}
            for host, addr, _ in infra:
                by_host.setdefault(host, []).append(addr)
        base: Any = comp.memo.get(("SEC002 base", fam))  # one Space per family (_Compiler.space)
        for snd, rcv in sorted(pairs, key=lambda x: x[0].speaker.host):
            pol = rcv.peer.afs[fam].import_policy
            if pol is None:
                _no_policy(ctx, rcv, fam)
                continue
            c = comp.compile(pol, fam, _ctx_of(rcv))
            sp = c.space
            if base is None:  # every host's address more specifically than its subnet, and the services
                base = sp.false
                for host, addr, plen in infra:
                    net = ipaddress.ip_network(f"{addr}/{sp.width}")
                    lo = min(plen + 1, sp.width)
                    base = base | (sp.addr_prefix(sp.addr_bits, net.supernet(new_prefix=lo)) & sp.length(">=", lo))
                for s in services:
                    base = base | sp.prefix_within(s)
                comp.memo[("SEC002 base", fam)] = base
            own = sp.false  # the sender's own addresses as host routes (its loopback) are its own
            for addr in by_host.get(snd.speaker.host, ()):
                own = own | sp.prefix_is(ipaddress.ip_network(f"{addr}/{sp.width}"))
            if len({h for h, _ in hits}) >= MAX_EXAMPLES:
                # enough examples: only whether this sender can too (one region per compiled policy; a
                # prefix of it picked once is usually not the sender's own: no BDD operation per sender)
                key = (id(c.paths), sp.version, "SEC002 permitted")
                region = comp.memo.get(key)
                if region is None:
                    region = comp.memo[key] = c.region(PERMIT) & base
                if region != sp.false and (_outside(sp, region, own, comp.memo) or (region & ~own) != sp.false):
                    hits.append((snd.speaker.host, None))
                continue
            res = search(c, PERMIT, base & ~own)
            for e in res.found:
                hits.append((snd.speaker.host, e))
        if not hits:
            continue
        senders = sorted({h for h, _ in hits})
        evidence = [f"{h} announces {_route_text(e.route)}: {_last(e)}"
                    for h, e in [x for x in hits if x[1] is not None][:MAX_EXAMPLES]]
        locs = [s.loc for _, e in hits if e is not None for s in e.path.steps if s.effect == "accept" and s.loc]
        rcv = pairs[0][1]
        yield ctx.finding(f"{sid}:ipv{fam}",
                          f"{rcv.speaker.host} accepts from {_names(senders)} routes for other hosts' addresses "
                          f"(or the service range){_through(pairs, fam)}", locations=_peer_locs(pairs, fam) + locs,
                          evidence=evidence,
                          fix=Fix("Narrow the permitting clause to the prefixes nodes originate (their own loopback "
                                  "and pod CIDR), e.g. a per-node prefix-list; host routes of other hosts should "
                                  "never be accepted from a node", rcv.peer.loc.file))


def _infra_addresses(cluster: Any, fam: int) -> list[tuple[str, Any, int]]:
    """(host, address, prefix length of its subnet) of every host interface address and node address."""
    out: dict[tuple[str, Any], int] = {}
    for h in cluster.hosts.values():
        for iface in h.interfaces.values():
            for a in iface.addresses:
                v = a.value
                if v.version == fam and not v.ip.is_link_local and not v.ip.is_loopback:
                    out[(h.name, v.ip)] = v.network.prefixlen
    for n in cluster.nodes.values():
        for a in n.addresses:
            if a.address.version == fam and (n.name, a.address) not in out:
                out[(n.name, a.address)] = a.address.max_prefixlen - 1
    return sorted(((h, a, p) for (h, a), p in out.items()), key=lambda x: (x[0], int(x[1])))


# ============================================================================================ SEC003

@rule("SEC003", "pod-route-leak", "warning",
      "Pod routes learned from nodes would be exported to a peer outside the snapshot")
def pod_route_leak(ctx: CheckContext) -> Iterable[Finding]:
    """A router that receives pod routes from nodes exports routes inside the cluster's pod ranges to a
    configured peer that is not part of the snapshot (an upstream, a transit, a partner): the cluster's
    internal prefixes leak beyond the intended peers. Asked symbolically of the peer's export policy.
    If those peers are meant to reach pods directly, ignore this finding (or describe the peer in the
    snapshot)."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    comp = _compiler(ctx)
    receivers = {rcv.speaker.id for _, rcv, _ in _receiving_ends(ctx)}
    known_hosts = set(ctx.cluster.hosts)
    for s in snap.simulate().sessions:
        a = s.a
        if a.speaker.id not in receivers or a.speaker.host in ctx.cluster.nodes:
            continue
        if s.b is not None and s.b.speaker.host in known_hosts:
            continue
        if a.peer.listen_range is not None:
            continue
        for fam, af in sorted(a.peer.afs.items()):
            ranges = _pod_ranges(comp, ctx.cluster, fam)
            if not ranges or af.export_policy is None:
                continue
            pctx = PolicyContext(Direction.EXPORT, a.peer.local_as, a.peer.remote_as, a.remote_address,
                                 a.local_address, None, a.peer.name, a.speaker.router_id, a.speaker.vrf)
            c = comp.compile(af.export_policy, fam, pctx)
            sp = c.space
            region = sp.false
            for r in ranges:
                region = region | sp.prefix_within(r)
            res = search(c, PERMIT, region)
            if not res.found:
                continue
            yield ctx.finding(f"{a.speaker.id}:{a.peer.name}:ipv{fam}",
                              f"{a.speaker.host} would export pod routes learned from nodes to {a.peer.name}, a peer "
                              "outside the snapshot", locations=[a.peer.loc, af.export_loc],
                              evidence=[f"exported: {_route_text(e.route)}: {_last(e)}"
                                        for e in res.found[:MAX_EXAMPLES]],
                              fix=Fix(f"Deny the cluster's pod ranges ({', '.join(str(r) for r in ranges)}) in the "
                                      f"export policy towards {a.peer.name}", a.peer.loc.file))


# ============================================================================================ SEC004

@rule("SEC004", "redundant-policy-clause", "info",
      "A route-map clause or BIRD reject that never changes a decision (redundant deny, shadowed clause)")
def redundant_clause(ctx: CheckContext) -> Iterable[Finding]:
    """A deny clause of a route-map in use denies only routes that later clauses deny anyway (removing
    it changes no decision), or a clause no route ever reaches with a match (shadowed by earlier
    clauses); in a BIRD filter, a top-level `if ... then reject;` that rejects only routes the rest
    of the filter rejects anyway. Decided symbolically over every route: the policy with and without
    the clause permits exactly the same routes (not claimed when part of the policy is not modelled).
    Harmless, but it suggests the author expected it to block something it does not."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    from podpath.readers.bird.interp import BirdFilterPolicy  # here: not imported for a snapshot without routers
    from podpath.readers.frr.policy import NeighborPolicy
    from podpath.routing.symbolic_frr import _Frr

    seen: set[tuple[str, str, int]] = set()
    for sp in snap.control_plane().speakers:
        for peer in sp.peers:
            for fam, af in sorted(peer.afs.items()):
                for pol in (af.import_policy, af.export_policy):
                    if isinstance(pol, BirdFilterPolicy):
                        yield from _bird_rejects(ctx, pol, fam, seen)
                        continue
                    if not isinstance(pol, NeighborPolicy) or pol.route_map is None:
                        continue
                    rm = pol.config.route_maps.get(pol.route_map.name)
                    if rm is None or len(rm.clauses) < 2:
                        continue
                    key = (pol.config.file, rm.name, fam)
                    if key in seen:
                        continue
                    seen.add(key)
                    yield from _clauses(ctx, pol, rm, fam, _Frr)


def _clauses(ctx: CheckContext, pol: Any, rm: Any, fam: int, frr_cls: Any) -> Iterator[Finding]:
    clauses = rm.ordered()
    pk = pol.key
    memo = _compiler(ctx).memo
    skey = ("frr-clauses", pk, rm.name, fam) if pk is not None else None  # the same policy on another router
    found = memo.get(skey) if skey is not None else None
    if found is None:
        found = _clause_verdicts(pol, rm, clauses, fam, frr_cls)
        if skey is not None:
            memo[skey] = found
    for i, kind, ex in found:
        cl = clauses[i]
        if kind == "shadowed":
            yield ctx.finding(f"{pol.config.file}:{rm.name}:{cl.seq}:ipv{fam}",
                              f"{cl.text} is shadowed: no IPv{fam} route reaches it with a match",
                              locations=[cl.loc], evidence=[f"every IPv{fam} route matching it is decided by an "
                                                            "earlier clause (or it matches nothing)"])
        else:
            evidence = [f"routes it denies are denied by a later clause anyway, e.g. {ex}"] if ex else []
            yield ctx.finding(f"{pol.config.file}:{rm.name}:{cl.seq}:ipv{fam}",
                              f"{cl.text} is redundant: every IPv{fam} route it denies would be denied without it",
                              locations=[cl.loc], evidence=evidence)


def _clause_verdicts(pol: Any, rm: Any, clauses: list[Any], fam: int,
                     frr_cls: Any) -> list[tuple[int, str, str | None]]:
    """(position in `clauses`, "shadowed" or "redundant", an example route's text) for each clause of
    `rm` that never changes a decision. Depends only on what the policy's structural key holds, so a
    structurally equal policy of another router gets the same answer for its own clauses."""
    from podpath.routing.symbolic import State

    pctx = PolicyContext(pol.direction)
    space = Space(fam)

    def build(m: Any) -> list[Any]:
        fx = frr_cls(pol.config, space, pctx, "neighbor", pol.neighbor, pol.instance.default_local_pref or 100)
        return fx.route_map(m, space.true, State(), ())

    for _ in range(3):
        space.mark()
        base = build(rm)
        if not space.grew:
            break
    dom = space.domain()

    def regions(paths: list[Any]) -> tuple[Any, Any]:
        p, u = space.false, space.false
        for x in paths:
            if x.verdict == PERMIT:
                p = p | x.cond
            elif x.verdict == UNKNOWN:
                u = u | x.cond
        return p & dom, u & dom

    out: list[tuple[int, str, str | None]] = []
    bp, bu = regions(base)
    if bu != space.false:  # routes stopping at an unmodelled clause may reach any later one
        return out
    for i, cl in enumerate(clauses):
        reached = space.false
        for x in base:
            if any(s.loc == cl.loc and s.effect in ("match", "reject", "accept") and s.text.startswith(cl.text)
                   and "no match" not in s.text for s in x.steps):
                reached = reached | x.cond
        reached = reached & dom & (space.protocol_is(Protocol.BGP) if pol.direction is Direction.IMPORT else space.true)
        if reached == space.false and cl.matches:
            out.append((i, "shadowed", None))
            continue
        if cl.action != "deny" or not cl.matches:
            continue
        without = dataclasses.replace(rm, clauses={k: v for k, v in rm.clauses.items() if k != cl.seq})
        wp, wu = regions(build(without))
        if wp == bp and wu == space.false:
            ex = space.example(reached, pctx, pol.direction)
            out.append((i, "redundant", _route_text(ex) if ex else None))
    return out


def _bird_rejects(ctx: CheckContext, pol: Any, fam: int, seen: set[tuple[str, str, int]]) -> Iterator[Finding]:
    """BIRD: a top-level `if COND then reject;` of a filter that rejects only routes the rest of the
    filter rejects anyway (the filter without it accepts exactly the same routes)."""
    from podpath.readers.bird import ast as BA
    from podpath.readers.bird.model import Filter, FilterSpec

    spec = pol.spec
    f = spec.filter if isinstance(spec, FilterSpec) else (spec if isinstance(spec, Filter) else None)
    if isinstance(spec, FilterSpec) and f is None and spec.kind == "named":
        f = pol.cfg.filters.get(spec.name or "")
    if f is None or f.vars:
        return
    key = (pol.cfg.file, f"{f.name or 'inline'}@{f.loc.line}", fam)
    if key in seen:
        return
    seen.add(key)
    stmts = f.body.stmts
    cands = [i for i, s in enumerate(stmts) if type(s) is BA.If and s.else_ is None and _is_reject(s.then)]
    if not cands:
        return
    memo = _compiler(ctx).memo
    skey = ("bird-redundant", pol.key, fam)  # the same filter in another node's file: same answer
    found = memo.get(skey)
    if found is None:
        found = memo[skey] = _redundant_rejects(pol, f, stmts, cands, fam)
    for i in found:
        s = stmts[i]
        yield ctx.finding(f"{pol.cfg.file}:{f.name or 'inline'}:{s.loc.line}:ipv{fam}",
                          f"`{pol.cfg.line(s.loc).strip()}` is redundant: every IPv{fam} route it rejects would be "
                          "rejected without it", locations=[s.loc],
                          evidence=[f"filter {f.name or '{ ... }'}: the statements after it accept none of the "
                                    "routes it rejects"])


def _redundant_rejects(pol: Any, f: Any, stmts: list[Any], cands: list[int], fam: int) -> list[int]:
    from podpath.readers.bird import ast as BA
    from podpath.readers.bird.interp import BirdFilterPolicy
    from podpath.readers.bird.model import Filter

    pctx = PolicyContext(Direction.IMPORT)
    space = Space(fam)

    def build(body: list[Any]) -> tuple[Any, Any]:
        g = Filter(f.name, f.loc, f.vars, BA.Block(f.body.at, body))
        c = compile_policy(BirdFilterPolicy(pol.cfg, g, dialect=pol.dialect), space, pctx)
        return c.region(PERMIT), c.region(UNKNOWN)

    for _ in range(3):
        space.mark()
        bp, bu = build(list(stmts))
        if not space.grew:
            break
    if bu != space.false:
        return []
    out = []
    for i in cands:
        wp, wu = build(stmts[:i] + stmts[i + 1:])
        if wp == bp and wu == space.false:
            out.append(i)
    return out


def _is_reject(s: Any) -> bool:
    from podpath.readers.bird import ast as BA

    if type(s) is BA.Verdict:
        return s.kind == "reject"
    return type(s) is BA.Block and len(s.stmts) == 1 and _is_reject(s.stmts[0])
