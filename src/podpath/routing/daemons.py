"""What each daemon does with a path: import checks, export (split horizon,
next hop, attributes) and best-path comparison. FRR, BIRD 2 and Cilium's GoBGP
differ exactly here (shared reference routing-daemons.md sections 1-3); the
simulator is otherwise daemon-agnostic."""

from __future__ import annotations

import functools
import operator
from typing import Callable

from podpath.routing.bgp import BgpSpeaker, Daemon, PeerAf
from podpath.routing.network import Network
from podpath.routing.policy import Direction, PolicyContext, PolicyResult, Verdict, policy_id
from podpath.routing.rib import Decision, Path
from podpath.routing.route import WELL_KNOWN_COMMUNITIES, IPAddress, Protocol, ReadTracked, Route, RouteDest
from podpath.routing.sessions import Session, SessionEnd

NO_EXPORT = WELL_KNOWN_COMMUNITIES["no-export"]
NO_ADVERTISE = WELL_KNOWN_COMMUNITIES["no-advertise"]
BIRD_PREFERENCE = {Protocol.CONNECTED: 240, Protocol.STATIC: 200, Protocol.OSPF: 150, Protocol.BGP: 100,
                   Protocol.KERNEL: 10}


def _nothing(route: Route) -> tuple[()]:
    return ()


_MISSING = object()


class PolicyCache:
    """Policy results are pure functions of (policy, route, context): thousands of
    peers sharing one route-map evaluate it once per distinct route.

    Per policy object (results carry its file:line), and per context where the policy reads
    it. A policy is run on a `ReadTracked` copy of the route, which records the fields read
    and set; the result then holds for every route equal on those fields (the policy is
    deterministic: given the same values it reads the same fields in the same order), with
    the fields it set taken from the result. A route-map that matches nothing (`permit 10`
    alone) is thus evaluated once, not once per prefix and peer. A policy whose results are
    not reused that way (it reads what differs from route to route, e.g. the prefix) is soon
    run untracked, with its results kept by route, and not kept at all if those are not
    reused either."""

    _PROBATION = 64  # misses before a policy whose results are not reused is kept by route

    def __init__(self) -> None:
        self._by_route: dict[tuple[object, Route, PolicyContext | None], PolicyResult] = {}
        # (policy id, context) -> ([(getter of the fields read and set, {their values: (verdict,
        # fields set or None, trace, decided_by, errors)})], [hits, misses by fields, hits, misses by
        # route], the policy: kept alive, its id is in the key)
        self._shared: dict[tuple[object, PolicyContext | None],
                           tuple[list[tuple[Callable[[Route], object], dict[object, tuple[object, ...]]]],
                                 list[int], object]] = {}
        # The same, by structural policy id (routing.policy.policy_id) where `shared` is on.
        self._by_route_s: dict[tuple[object, Route, PolicyContext | None], PolicyResult] = {}
        self._shared_s: dict[tuple[object, PolicyContext | None],
                             tuple[list[tuple[Callable[[Route], object], dict[object, tuple[object, ...]]]],
                                   list[int], object]] = {}
        # On while the caller keeps only the verdict and the route of a result, not its trace
        # (the simulator, for a prefix it does not explain): structurally equal policies of other
        # routers (routing.policy.policy_key) then share results, whose trace steps point into
        # whichever of those files was evaluated first.
        self.shared = False
        self._getters: dict[tuple[str, ...], Callable[[Route], object]] = {}
        self._meta: dict[int, tuple[object, bool, bool, object]] = {}
        self._ctxs: dict[tuple[int, Direction], tuple[SessionEnd, PolicyContext]] = {}
        self.hits = 0
        self.misses = 0

    def ctx(self, end: SessionEnd, direction: Direction) -> PolicyContext:
        """The policy context of a session end (built once per end and direction)."""
        k = (id(end), direction)
        c = self._ctxs.get(k)
        if c is None or c[0] is not end:
            c = self._ctxs[k] = (end, _ctx(end, direction))
        return c[1]

    def apply(self, policy: object, route: Route, ctx: PolicyContext) -> PolicyResult:
        meta = self._meta.get(id(policy))
        if meta is None or meta[0] is not policy:  # (policy, trivial, context free, structural id)
            meta = self._meta[id(policy)] = (policy, bool(getattr(policy, "trivial", False)),
                                             bool(getattr(policy, "context_free", False)), policy_id(policy))
        if meta[1]:  # cheaper to evaluate than to hash the route
            return policy.evaluate(route, ctx)  # type: ignore[attr-defined]
        ck = None if meta[2] else ctx  # the session matters only if it is read
        if self.shared:
            shared, by_route = self._shared_s, self._by_route_s
            sk = (meta[3], ck)
        else:
            shared, by_route = self._shared, self._by_route
            sk = (id(policy), ck)
        sh = shared.get(sk)
        if sh is None:
            sh = shared[sk] = ([], [0, 0, 0, 0], policy)
        shapes, stats, _ = sh
        if stats[1] > self._PROBATION and stats[0] * 4 < stats[1]:  # results not reused by fields: by route
            if stats[3] > self._PROBATION and stats[2] * 4 < stats[3]:  # nor by route: just evaluate
                self.misses += 1
                return policy.evaluate(route, ctx)  # type: ignore[attr-defined]
            key = (sk[0], route, ck)
            r = by_route.get(key)
            if r is None:
                self.misses += 1
                stats[3] += 1
                r = by_route[key] = policy.evaluate(route, ctx)  # type: ignore[attr-defined]
            else:
                self.hits += 1
                stats[2] += 1
            return r
        for get, table in shapes:
            e = table.get(get(route))
            if e is not None:
                self.hits += 1
                stats[0] += 1
                verdict, sets, trace, decided, errors = e
                return PolicyResult.of(verdict, route.replace(**sets) if sets else route, trace, decided,  # type: ignore[arg-type]
                                       errors)
        self.misses += 1
        stats[1] += 1
        tracked = ReadTracked.of(route)
        res: PolicyResult = policy.evaluate(tracked, ctx)  # type: ignore[attr-defined]
        out = res.route
        if out is tracked:
            sets = None
            out = route
        elif out.__class__ is ReadTracked:
            od = out.__dict__
            sets = {f: od[f] for f in sorted(od["_rw"][1])}
            out = out.plain()  # type: ignore[attr-defined]
        else:  # a route not made from this one: nothing to share
            return res
        # Keyed by the fields set too: a field set on a copy the policy then dropped keeps its value.
        reads, writes = tracked.__dict__["_rw"]
        fields = tuple(sorted(reads | writes))
        get = self._getters.get(fields)
        if get is None:
            get = self._getters[fields] = operator.attrgetter(*fields) if fields else _nothing
        for g, table in shapes:
            if g is get:
                break
        else:
            table = {}
            shapes.append((get, table))
        table[get(route)] = (res.verdict, sets, res.trace, res.decided_by, res.errors)
        return PolicyResult(res.verdict, out, res.trace, res.decided_by, res.errors)


def _ctx(end: SessionEnd, direction: Direction) -> PolicyContext:
    return PolicyContext(direction=direction, local_as=end.peer.local_as, peer_as=end.remote_asn,
                         peer_address=end.remote_address, local_address=end.local_address, ibgp=end.ibgp,
                         protocol_name=end.peer.name, router_id=end.speaker.router_id, vrf=end.speaker.vrf)


# --------------------------------------------------------------------------------------------- import

def import_path(sp: BgpSpeaker, end: SessionEnd, session: Session, wire: Route, net: Network,
                cache: PolicyCache, sender_host: str, explain: bool = True) -> tuple[Path | None, Decision]:
    """A route arrives at `sp` over `end` (the receiving end). Returns the path to store
    (possibly invalid) or None if it is dropped, and the decision (None when `explain` is off:
    the simulator's fast path, import_fast, does not keep them)."""
    if not explain:
        return import_fast(sp, end, session, wire, net, cache, sender_host), None  # type: ignore[return-value]
    af = end.peer.afs.get(wire.family)
    where = end.from_label
    if af is None:
        return None, Decision(sp.id, "import", False, f"{where}: address family IPv{wire.family} not active", end.peer.loc)
    allow = af.allowas_in
    if wire.as_path.contains(end.peer.local_as) > allow:
        return None, Decision(sp.id, "import", False,
                              f"{where}: AS path {wire.as_path} contains own AS {end.peer.local_as} (loop)",
                              end.peer.loc, route=wire)
    if end.ibgp and wire.originator_id is not None and sp.router_id and str(wire.originator_id) == sp.router_id:
        return None, Decision(sp.id, "import", False, f"{where}: ORIGINATOR_ID is our router-id", end.peer.loc,
                              extra={"expected": "a reflected route returning to its originator"})
    cluster = sp.options.cluster_id or sp.router_id
    if cluster and any(str(c) == cluster for c in wire.cluster_list):
        return None, Decision(sp.id, "import", False, f"{where}: CLUSTER_LIST contains our cluster-id", end.peer.loc)
    changes: dict[str, object] = {"source_name": end.peer.name, "peer": end.remote_address, "protocol": Protocol.BGP,
                                  "weight": 0,
                                  "preference": BIRD_PREFERENCE[Protocol.BGP] if sp.daemon is Daemon.BIRD else None}
    if wire.dest is not RouteDest.UNICAST:  # an UPDATE has no route type: a sender's blackhole is a route here
        changes["dest"] = RouteDest.UNICAST
    lp = wire.local_pref
    if not end.ibgp:
        lp = None
        changes.update(originator_id=None, cluster_list=())
    if sp.daemon is Daemon.BIRD and lp is None:
        lp = af.default_local_pref
    changes["local_pref"] = lp
    route = wire.replace(**changes)
    if sp.daemon is Daemon.CILIUM and not sp.options.accepts_received:
        return None, Decision(sp.id, "import", False,
                              f"{where}: Cilium's BGP Control Plane rejects every received route (its GoBGP global "
                              "import policy accepts only locally originated paths, Cilium >= 1.16) and never "
                              "installs BGP routes in the kernel", end.peer.loc, route=route)
    # Next hop checks before policy (FRR martian/self, BIRD direct/recursive gateway).
    host = net.host(sp.host)
    nh = route.next_hop
    valid, why, unreachable = True, "", False
    gateway = af.gateway or ("direct" if end.single_hop else "recursive")
    if nh is not None and sp.daemon is not Daemon.BIRD and (nh in host.addresses or nh.is_loopback):
        return None, Decision(sp.id, "import", False, f"{where}: next hop {nh} is our own address (martian)",
                              end.peer.loc, route=route)
    if sp.daemon is Daemon.BIRD:
        if nh is None:
            valid, why = False, "no next hop"
        elif gateway == "direct":
            if nh in host.addresses and not nh.is_loopback:
                return None, Decision(sp.id, "import", False, f"{where}: invalid NEXT_HOP {nh}: address is local "
                                      "(BIRD withdraws the route)", end.peer.loc, route=route)
            if host.on_link(nh) is None or nh.is_loopback:
                return None, Decision(sp.id, "import", False, f"{where}: invalid NEXT_HOP {nh}: not directly "
                                      "reachable (gateway direct; BIRD withdraws the route)", end.peer.loc, route=route)
        elif nh.is_loopback or not host.resolves(nh):
            unreachable, why = True, f"next hop {nh} does not resolve in BIRD's table (recursive gateway): unreachable"
    elif sp.daemon is Daemon.FRR and nh is not None:
        if end.single_hop and not end.ibgp:
            if host.on_link(nh) is None:
                valid, why = False, f"next hop {nh} is not on a connected network (eBGP single hop)"
        elif not host.resolves(nh, nh.version in host.nht_via_default):
            valid, why = False, f"next hop {nh} does not resolve (no connected or static route)"
    # Inbound policy.
    policy = af.import_policy
    decided: PolicyResult | None = None
    if policy is None:
        if sp.daemon is Daemon.FRR and not end.ibgp and sp.options.ebgp_requires_policy:
            return None, Decision(sp.id, "import", False,
                                  f"{where}: no inbound policy on an eBGP session and `bgp ebgp-requires-policy` is "
                                  f"on ({sp.options.defaults_note or 'FRR default'}): every route is dropped",
                                  end.peer.loc, route=route)
        if sp.daemon is Daemon.BIRD and not end.ibgp:
            return None, Decision(sp.id, "import", False, f"{where}: eBGP channel without an import policy "
                                  "(BIRD refuses such a configuration)", end.peer.loc, route=route)
    else:
        decided = cache.apply(policy, route, cache.ctx(end, Direction.IMPORT))
        if decided.verdict is Verdict.REJECT:
            if not explain:
                return None, None  # type: ignore[return-value]
            d = decided.decided_by
            return None, Decision(sp.id, "import", False,
                                  f"{where}: rejected by import policy {getattr(policy, 'name', '')}"
                                  + (f" at {d.loc}: {d.text}" if d and d.loc else ""),
                                  d.loc if d else af.import_loc, decided, end.peer.name, route)
        route = decided.route
    path = Path(route, f"session:{session.id}", False, end.ibgp, valid, why, end.remote_address,
                end.remote_router_id, end.peer.name, af.rr_client, end.ifname if end.single_hop else None,
                sender_host if (route.family == 6 and sp.daemon is Daemon.FRR and wire.next_hop_ll is not None) else None,
                unreachable=unreachable)
    if not explain:
        return path, None  # type: ignore[return-value]
    text = f"{where}: accepted" + ("" if valid else f" but not usable: {why}") + (f" ({why})" if unreachable else "")
    return path, Decision(sp.id, "import", True, text, af.import_loc, decided, end.peer.name, route)


class _ImportSetup:
    """What import_path reads of one receiving end and family, worked out once: the simulator
    imports over the same end for every prefix."""

    __slots__ = ("af", "allow", "local_as", "ibgp", "router_id", "cluster", "changes", "bird_lp", "drops",
                 "host", "mode", "policy", "ctx", "source", "attrs", "remote_address", "remote_router_id",
                 "peer_name", "rr_client", "single_hop_if", "ll", "martian", "net", "session")

    def __init__(self, sp: BgpSpeaker, end: SessionEnd, session: Session, fam: int, net: Network,
                 cache: PolicyCache) -> None:
        af = self.af = end.peer.afs.get(fam)
        ibgp = self.ibgp = end.ibgp
        bird = sp.daemon is Daemon.BIRD
        self.net = net
        self.session = session
        self.martian = not bird  # FRR and GoBGP refuse a next hop of their own
        self.local_as = end.peer.local_as
        self.router_id = sp.router_id
        self.cluster = sp.options.cluster_id or sp.router_id
        self.changes = {"source_name": end.peer.name, "peer": end.remote_address, "protocol": Protocol.BGP,
                        "weight": 0, "preference": BIRD_PREFERENCE[Protocol.BGP] if bird else None}
        if not ibgp:
            self.changes.update(originator_id=None, cluster_list=())
        self.host = net.host(sp.host)
        self.source = f"session:{session.id}"
        self.remote_address = end.remote_address
        self.remote_router_id = end.remote_router_id
        self.peer_name = end.peer.name
        self.single_hop_if = end.ifname if end.single_hop else None
        self.ll = fam == 6 and sp.daemon is Daemon.FRR
        self.attrs: dict[tuple[object, ...], object] = {}  # (valid, why, unreachable, ll host) -> PathAttrs
        if af is None:
            self.drops = True
            return
        self.allow = af.allowas_in
        self.bird_lp = af.default_local_pref if bird else None
        self.rr_client = af.rr_client
        policy = self.policy = af.import_policy
        self.ctx = cache.ctx(end, Direction.IMPORT)
        # Whatever the route: Cilium refuses every received route; no policy on an eBGP session
        # with FRR's ebgp-requires-policy, or on a BIRD eBGP channel, drops it.
        self.drops = (sp.daemon is Daemon.CILIUM and not sp.options.accepts_received) or (policy is None and not ibgp and (
            (sp.daemon is Daemon.FRR and sp.options.ebgp_requires_policy) or bird))
        gateway = af.gateway or ("direct" if end.single_hop else "recursive")
        # how the next hop is checked: 1 BIRD direct, 2 BIRD recursive, 3 FRR single-hop eBGP, 4 FRR other, 0 GoBGP
        self.mode = (1 if gateway == "direct" else 2) if bird else (
            (3 if end.single_hop and not ibgp else 4) if sp.daemon is Daemon.FRR else 0)


def import_fast(sp: BgpSpeaker, end: SessionEnd, session: Session, wire: Route, net: Network, cache: PolicyCache,
                sender_host: str) -> Path | None:
    """import_path without decisions: the same checks in the same order, with what they read of
    the receiving end worked out once (_ImportSetup) and path attributes shared."""
    fam = wire.prefix.version
    memo = end.__dict__.get("_import")
    if memo is None:
        memo = end.__dict__["_import"] = {}
    st = memo.get(fam)
    if st is None or st.net is not net or st.session is not session:
        st = memo[fam] = _ImportSetup(sp, end, session, fam, net, cache)
    if st.drops:
        return None
    if wire.as_path.contains(st.local_as) > st.allow:
        return None
    ibgp = st.ibgp
    if ibgp and wire.originator_id is not None and st.router_id and str(wire.originator_id) == st.router_id:
        return None
    cluster = st.cluster
    if cluster and wire.cluster_list and any(str(c) == cluster for c in wire.cluster_list):
        return None
    changes = dict(st.changes)
    if wire.dest is not RouteDest.UNICAST:
        changes["dest"] = RouteDest.UNICAST
    lp = wire.local_pref if ibgp else None
    if lp is None:
        lp = st.bird_lp
    changes["local_pref"] = lp
    host = st.host
    nh = wire.next_hop
    valid, why, unreachable = True, "", False
    mode = st.mode
    if nh is not None and st.martian and (nh in host.addresses or nh.is_loopback):
        return None  # martian
    if mode == 1:
        if nh is None:
            valid, why = False, "no next hop"
        elif (nh in host.addresses and not nh.is_loopback) or host.on_link(nh) is None or nh.is_loopback:
            return None
    elif mode == 2:
        if nh is None:
            valid, why = False, "no next hop"
        elif nh.is_loopback or not host.resolves(nh):
            unreachable, why = True, f"next hop {nh} does not resolve in BIRD's table (recursive gateway): unreachable"
    elif mode == 3 and nh is not None:
        if host.on_link(nh) is None:
            valid, why = False, f"next hop {nh} is not on a connected network (eBGP single hop)"
    elif mode == 4 and nh is not None:
        if not host.resolves(nh, nh.version in host.nht_via_default):
            valid, why = False, f"next hop {nh} does not resolve (no connected or static route)"
    route = wire.replace(**changes)
    policy = st.policy
    if policy is not None:
        decided = cache.apply(policy, route, st.ctx)
        if decided.verdict is Verdict.REJECT:
            return None
        route = decided.route
    ll_host = sender_host if (st.ll and wire.next_hop_ll is not None) else None
    ak = (valid, why, unreachable, ll_host)
    attrs = st.attrs.get(ak)
    p = object.__new__(Path)
    p.route = route
    p.source = st.source
    if attrs is None:
        q = Path(route, st.source, False, ibgp, valid, why, st.remote_address, st.remote_router_id, st.peer_name,
                 st.rr_client, st.single_hop_if, ll_host, unreachable=unreachable)
        attrs = st.attrs[ak] = q.attrs
    p.attrs = attrs
    return p


# --------------------------------------------------------------------------------------------- export

def export_path(sp: BgpSpeaker, end: SessionEnd, recv: SessionEnd, session: Session, path: Path, net: Network,
                cache: PolicyCache, explain: bool = True) -> tuple[Route | None, Decision]:
    """`sp` sends its best `path` to the peer of `end` (the sending end). Without `explain`
    the decision may be None (the simulator's fast path keeps only the route)."""
    af = end.peer.afs.get(path.route.family)
    where = end.label
    if af is None or path.route.family not in session.afs:
        return None, Decision(sp.id, "export", False, f"{where}: IPv{path.route.family} not active on the session",
                              end.peer.loc)
    if path.route.family in session.af_problems:
        return None, Decision(sp.id, "export", False, f"{where}: {session.af_problems[path.route.family]}", end.peer.loc)
    if not path.valid:
        return None, Decision(sp.id, "export", False, f"{where}: best path is not valid ({path.why_invalid})")
    comms = path.route.communities
    if NO_ADVERTISE in comms:
        return None, Decision(sp.id, "export", False, f"{where}: NO_ADVERTISE community")
    if NO_EXPORT in comms and not end.ibgp:
        return None, Decision(sp.id, "export", False, f"{where}: NO_EXPORT community (eBGP peer)")
    if sp.daemon is Daemon.FRR:
        return _export_frr(sp, end, recv, session, path, af, net, cache, explain)
    if sp.daemon is Daemon.BIRD:
        return _export_bird(sp, end, recv, session, path, af, net, cache)
    return _export_cilium(sp, end, session, path, af, cache)


def _reflection(sp: BgpSpeaker, end: SessionEnd, path: Path, af: PeerAf) -> tuple[bool, str]:
    """(allowed, why) for iBGP -> iBGP."""
    if not (path.ibgp and end.ibgp) or path.local:
        return True, ""
    if path.from_rr_client or af.rr_client:
        return True, "reflected"
    return False, "iBGP split horizon: learned from an iBGP peer that is not a route-reflector client, and this " \
                  "peer is not a client either"


def _self_address(sp: BgpSpeaker, end: SessionEnd, family: int, net: Network) -> IPAddress | None:
    """The address `end` sends as its own next hop (worked out once per end, family and network)."""
    memo = end.__dict__.get("_self_address")
    if memo is None:
        memo = end.__dict__["_self_address"] = {}
    k = memo.get(family)
    if k is None or k[0] is not net:
        k = memo[family] = (net, _own_address(sp, end, family, net))
    return k[1]


def _own_address(sp: BgpSpeaker, end: SessionEnd, family: int, net: Network) -> IPAddress | None:
    af = end.peer.afs.get(family)
    if af is not None and af.next_hop_address is not None:
        return af.next_hop_address
    if end.local_address is not None and end.local_address.version == family:
        return end.local_address
    host = net.host(sp.host)
    if end.ifname:
        for addr, (ifname, _) in sorted(host.addresses.items(), key=lambda x: str(x[0])):
            if ifname == end.ifname and addr.version == family and not addr.is_link_local:
                return addr
    return None


def _policy(sp: BgpSpeaker, policy: object, route: Route, end: SessionEnd, cache: PolicyCache,
            where: str, loc: object) -> tuple[Route | None, Decision | None, PolicyResult]:
    res = cache.apply(policy, route, cache.ctx(end, Direction.EXPORT))
    if res.verdict is Verdict.REJECT:
        d = res.decided_by
        return None, Decision(sp.id, "export", False, f"{where}: rejected by export policy "
                              f"{getattr(policy, 'name', '')}" + (f" at {d.loc}: {d.text}" if d and d.loc else ""),
                              d.loc if d else loc, res, end.peer.name, route), res  # type: ignore[arg-type]
    return res.route, None, res


def _export_frr(sp: BgpSpeaker, end: SessionEnd, recv: SessionEnd, session: Session, path: Path, af: PeerAf,
                net: Network, cache: PolicyCache, explain: bool = True) -> tuple[Route | None, Decision]:
    where = end.label
    ok, why = _reflection(sp, end, path, af)
    if not ok:
        return None, Decision(sp.id, "export", False, f"{where}: {why}", end.peer.loc)
    reflected = why == "reflected"
    if reflected and path.route.originator_id is not None and end.remote_router_id and \
            str(path.route.originator_id) == end.remote_router_id:
        return None, Decision(sp.id, "export", False, f"{where}: ORIGINATOR_ID is the peer's router-id")
    r = path.route
    fam = r.family
    # One copy of the route for every change before the policy (none of them reads another's field).
    changes: dict[str, object]
    if end.ibgp:
        changes = {"local_pref": r.local_pref if r.local_pref is not None else sp.options.default_local_pref}
    else:
        changes = {"local_pref": None, "originator_id": None, "cluster_list": ()}
        if not path.local:
            changes["med"] = None
    # Next hop.
    own = _self_address(sp, end, fam, net)
    nh = r.next_hop
    host = net.host(sp.host)
    use_self = path.local or nh is None or (nh is not None and nh.is_unspecified)
    peer_link: object = _MISSING
    if af.next_hop_self == "force" or (af.next_hop_self and not reflected):
        use_self = True
    elif not end.ibgp and not use_self and not af.next_hop_keep:
        link = host.on_link(nh) if nh is not None else None
        peer_link = host.on_link(end.remote_address) if end.remote_address is not None else None
        # Third-party next hop: kept when it is on the receiving peer's subnet, unless the path came from
        # that very peer (FRR's multiaccess check excludes the path's source peer).
        same_subnet = link is not None and peer_link is not None and link[0] == peer_link[0] \
            and path.peer_address != end.remote_address
        use_self = not same_subnet
    elif end.ibgp and nh is not None and nh.is_link_local:
        use_self = True
    if use_self:
        if own is None:
            return None, Decision(sp.id, "export", False, f"{where}: no IPv{fam} address to use as next hop")
        changes["next_hop"] = own
    # Link-local next hop on shared networks for eBGP or own paths, not reflected.
    # FRR's peer->shared_network: the peer is on a connected subnet (multihop or not).
    if peer_link is _MISSING:
        shared = end.remote_address is not None and end.ifname not in (None, "lo") \
            and host.on_link(end.remote_address) is not None
    else:
        shared = end.ifname not in (None, "lo") and peer_link is not None
    add_ll = fam == 6 and shared and (not end.ibgp or path.local) and not reflected
    changes.update(next_hop_ll=_LL_MARK if add_ll else None, weight=0, peer=None, source_name=None, preference=None)
    r = r.replace(**changes)
    if af.export_policy is None:
        if not end.ibgp and sp.options.ebgp_requires_policy:
            return None, Decision(sp.id, "export", False, f"{where}: no outbound policy on an eBGP session and "
                                  f"`bgp ebgp-requires-policy` is on ({sp.options.defaults_note or 'FRR default'})",
                                  end.peer.loc)
        res = None
    else:
        out, dec, res = _policy(sp, af.export_policy, r, end, cache, where, af.export_loc)
        if out is None:
            return None, dec  # type: ignore[return-value]
        if not reflected:
            r = out
    if not end.ibgp:
        r = r.replace(as_path=r.as_path.prepend(end.peer.local_as))
    elif reflected:
        # A reflected path without MED goes out with MED 0 (FRR 8.4 and 10.3, seen in the lab:
        # BIRD clients show `BGP.med: 0`; eBGP-learned paths sent to iBGP keep having none).
        r = r.replace(med=r.med if r.med is not None else 0,
                      originator_id=r.originator_id or _rid(path.peer_router_id),
                      cluster_list=(_rid(sp.options.cluster_id or sp.router_id),) + r.cluster_list)
    if not explain:
        return r, None  # type: ignore[return-value]
    return r, Decision(sp.id, "export", True, f"{where}: sent" + (" (reflected)" if reflected else ""),
                       af.export_loc, res, end.peer.name, r)


def _export_bird(sp: BgpSpeaker, end: SessionEnd, recv: SessionEnd, session: Session, path: Path, af: PeerAf,
                 net: Network, cache: PolicyCache) -> tuple[Route | None, Decision]:
    where = end.label
    if path.peer_name == end.peer.name and not path.local:
        return None, Decision(sp.id, "export", False, f"{where}: not sent back to the protocol it came from",
                              extra={"expected": "a route is never sent back to its source"})
    if path.ibgp and end.ibgp and not (path.from_rr_client or af.rr_client):
        return None, Decision(sp.id, "export", False, f"{where}: iBGP to iBGP needs an rr client on one side")
    if af.export_policy is None:
        return None, Decision(sp.id, "export", False,
                              f"{where}: channel exports nothing (no `export` statement: BIRD's default is none)",
                              end.peer.loc)
    pre = path.route
    out, dec, res = _policy(sp, af.export_policy, pre, end, cache, where, af.export_loc)
    if out is None:
        return None, dec  # type: ignore[return-value]
    r = out
    fam = r.family
    if not end.ibgp:
        # MED is removed towards eBGP unless the export filter set it.
        r = r.replace(as_path=r.as_path.prepend(end.peer.local_as), local_pref=None,
                      med=r.med if r.med != pre.med else None)
    else:
        r = r.replace(local_pref=r.local_pref if r.local_pref is not None else af.default_local_pref)
        if path.ibgp and not path.local:  # reflected: RFC 4456 attributes (bgp_update_attrs)
            r = r.replace(originator_id=r.originator_id or _rid(path.peer_router_id),
                          cluster_list=(_rid(sp.options.cluster_id or sp.router_id),) + r.cluster_list)
    # Next hop (reference 2.2).
    own = _self_address(sp, end, fam, net)
    nh_set_by_filter = out.next_hop != pre.next_hop
    mode = af.next_hop_self
    self_applies = mode == "self" or (mode == "ebgp" and not end.ibgp) or (mode == "ibgp" and end.ibgp)
    # A kept NEXT_HOP attribute goes out as received, link-local part included (BIRD copies the
    # attribute; seen in the lab: a BIRD reflector passes the originator's link-local on).
    kept_ll = None
    if self_applies:
        nh = own
    elif af.next_hop_keep or nh_set_by_filter:
        nh = r.next_hop
        kept_ll = r.next_hop_ll if not nh_set_by_filter else None
    elif fam != (end.local_address.version if end.local_address else fam) and not af.extended_next_hop:
        nh = own
    elif end.ibgp and path.route.protocol is Protocol.BGP and r.next_hop is not None:
        nh, kept_ll = r.next_hop, r.next_hop_ll
    elif path.single_hop_if and end.single_hop and path.single_hop_if == end.ifname and path.route.protocol is Protocol.BGP:
        nh, kept_ll = r.next_hop, r.next_hop_ll
    elif path.route.protocol is Protocol.BGP and (gw := _bird_gateway(sp, path, net)) is not None and \
            gw[0].version == fam and (end.ibgp or (end.single_hop and gw[1] == end.ifname)):
        # bgp_use_gateway(): the route's resolved gateway, when it is on the receiving peer's link.
        nh = gw[0]
    elif path.route.protocol is not Protocol.BGP and r.next_hop is not None and not r.next_hop.is_link_local and (
            end.ibgp or net.host(sp.host).on_link(r.next_hop) is not None
            and net.host(sp.host).on_link(r.next_hop)[0] == end.ifname):  # type: ignore[index]
        nh = r.next_hop
    else:
        nh = own
    if nh is None or nh.is_unspecified:
        return None, Decision(sp.id, "export", False, f"{where}: no next hop to send")
    if nh == end.remote_address:
        return None, Decision(sp.id, "export", False,
                              f"{where}: next hop {nh} would be the neighbor's own address: BIRD withdraws it "
                              "(\"Invalid route ... withdrawn\")", end.peer.loc, res, end.peer.name, r)
    add_ll = fam == 6 and end.single_hop and end.ifname not in (None, "lo") and nh == own
    r = r.replace(next_hop=nh, next_hop_ll=_LL_MARK if add_ll else kept_ll, weight=0, peer=None, source_name=None,
                  preference=None, protocol=Protocol.BGP)
    return r, Decision(sp.id, "export", True, f"{where}: sent", af.export_loc, res, end.peer.name, r)


def _bird_gateway(sp: BgpSpeaker, path: Path, net: Network) -> tuple[IPAddress, str] | None:
    """BIRD's gateway (ra->nh.gw, ra->nh.iface) of a BGP path: the global next hop when it is
    on-link. A path that came with a link-local next hop has that as its gateway, direct or
    recursive (rta_apply_hostentry: "device nexthop with link-local address known"), and a
    link-local gateway is never exported. A next hop resolved
    recursively through another route is not modelled: no gateway (BIRD would use the resolving
    route's gateway)."""
    nh = path.route.next_hop
    if nh is None or nh.is_link_local or nh.is_unspecified:
        return None
    if path.route.next_hop_ll is not None:
        return None
    link = net.host(sp.host).on_link(nh)
    return (nh, link[0]) if link is not None else None


def _export_cilium(sp: BgpSpeaker, end: SessionEnd, session: Session, path: Path, af: PeerAf,
                   cache: PolicyCache) -> tuple[Route | None, Decision]:
    where = end.label
    if not path.local:
        return None, Decision(sp.id, "export", False, f"{where}: Cilium advertises only its own prefixes")
    if af.export_policy is None:
        return None, Decision(sp.id, "export", False, f"{where}: no CiliumBGPAdvertisement selected for this peer "
                              "and family (peer config families[].advertisements)", end.peer.loc)
    r = path.route.replace(next_hop=end.local_address, next_hop_ll=None, weight=0, source_name=None, preference=None)
    out, dec, res = _policy(sp, af.export_policy, r, end, cache, where, af.export_loc)
    if out is None:
        return None, dec  # type: ignore[return-value]
    r = out
    if end.ibgp:
        r = r.replace(local_pref=r.local_pref if r.local_pref is not None else 100)
    else:
        r = r.replace(local_pref=None, as_path=r.as_path.prepend(end.peer.local_as))
    return r, Decision(sp.id, "export", True, f"{where}: advertised", af.export_loc, res, end.peer.name, r)


@functools.lru_cache(maxsize=None)
def _rid(value: str | None) -> object:
    import ipaddress

    try:
        return ipaddress.IPv4Address(value) if value else None
    except ValueError:
        return None


# The wire carries "a link-local next hop of the sender"; real addresses are unknown offline.
import ipaddress as _ip

_LL_MARK = _ip.IPv6Address("fe80::")


# --------------------------------------------------------------------------------------------- best path

def best_key(sp: BgpSpeaker) -> Callable[[Path], tuple[object, ...]]:
    """Sort key: the smallest key is the best path. Ties that FRR breaks by "older path" are
    broken by router-id then peer address, as on a fresh start where both arrive together."""
    opts = sp.options

    def neighbor_as(p: Path) -> int | None:
        return p.route.as_path.first

    def common(p: Path) -> tuple[object, ...]:
        r = p.route
        lp = r.local_pref if r.local_pref is not None else opts.default_local_pref
        aspl = 0 if opts.as_path_ignore else r.as_path.length
        rid = str(r.originator_id) if r.originator_id else (p.peer_router_id or "")
        return (-lp, aspl, r.origin.rank, r.med or 0, p.ibgp, _rid_key(rid), len(r.cluster_list),
                _addr_key(p.peer_address))

    if sp.daemon is Daemon.BIRD:
        def key(p: Path) -> tuple[object, ...]:
            pref = p.route.preference if p.route.preference is not None else BIRD_PREFERENCE.get(p.route.protocol, 100)
            return (not p.valid, -pref, p.unreachable) + common(p)
        return key

    def frr_key(p: Path) -> tuple[object, ...]:
        return (not p.valid, -p.route.weight) + common(p)[:1] + (not p.local,) + common(p)[1:]
    return frr_key


_MED_INDEX = 6  # position of MED in both daemons' keys


def _rid_key(rid: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in rid.split("."))
    except ValueError:
        return (1 << 32,)


def _addr_key(a: IPAddress | None) -> tuple[int, int]:
    return (0, 0) if a is None else (a.version, int(a))


def med_comparable(a: Path, b: Path, always: bool) -> bool:
    return always or a.route.as_path.first == b.route.as_path.first


class BestCache:
    """Best-path sort keys per (daemon rules, route, path attributes): the same imported path
    (shared route and attributes) competes on many speakers. Keeps what it keyed on alive."""

    def __init__(self) -> None:
        self._keys: dict[tuple[object, int, int], tuple[tuple[object, ...], Route, object]] = {}
        self._fns: dict[object, Callable[[Path], tuple[object, ...]]] = {}
        self._sel: dict[tuple[object, ...], tuple[int, list[object]]] = {}

    def clear(self) -> None:
        self._keys.clear()
        self._sel.clear()

    def select(self, sp: BgpSpeaker, paths: list[Path]) -> Path | None:
        """Exactly `select_best(sp, paths)`, memoised: the winner's position depends only on the
        candidates' routes and attributes (not on their sources) and the speaker's rules."""
        if not paths:
            return None
        if len(paths) == 1:
            return paths[0]
        opts = sp.options
        sel = (sp.daemon is Daemon.BIRD, opts.default_local_pref, opts.as_path_ignore, opts.always_compare_med,
               *[id(p.route) for p in paths], *[id(p.attrs) for p in paths])
        hit = self._sel.get(sel)
        if hit is not None:
            return paths[hit[0]]
        winner = self._select(sp, paths)
        # keep what the ids refer to alive while the entry exists
        self._sel[sel] = (next(i for i, p in enumerate(paths) if p is winner),
                          [p.route for p in paths] + [p.attrs for p in paths])
        return winner

    def _select(self, sp: BgpSpeaker, paths: list[Path]) -> Path:
        opts = sp.options
        sig = (sp.daemon is Daemon.BIRD, opts.default_local_pref, opts.as_path_ignore)
        fn = self._fns.get(sig)
        if fn is None:
            fn = self._fns[sig] = best_key(sp)
        memo = self._keys
        keys = []
        for p in paths:
            k = (sig, id(p.route), id(p.attrs))
            v = memo.get(k)
            if v is None:
                v = memo[k] = (fn(p), p.route, p.attrs)
            keys.append(v[0])
        best = 0
        if opts.always_compare_med:
            for i in range(1, len(paths)):
                if keys[i] < keys[best]:
                    best = i
            return paths[best]
        for i in range(1, len(paths)):
            ka, kb = keys[i], keys[best]
            if paths[i].route.as_path.first != paths[best].route.as_path.first and ka[_MED_INDEX] != kb[_MED_INDEX]:
                ka, kb = list(ka), list(kb)
                ka[_MED_INDEX] = kb[_MED_INDEX] = 0
                ka, kb = tuple(ka), tuple(kb)
            if ka < kb:
                best = i
        return paths[best]


def select_best(sp: BgpSpeaker, paths: list[Path]) -> Path | None:
    """Best path. MED is only compared between paths from the same neighbouring AS (unless
    always-compare-med); we apply that by comparing MED within groups of equal neighbour AS."""
    if not paths:
        return None
    key = best_key(sp)
    if sp.options.always_compare_med:
        return min(paths, key=key)
    # Pairwise tournament with MED ignored across different neighbour ASes.
    best = paths[0]
    for p in paths[1:]:
        if _better(sp, p, best, key):
            best = p
    return best


def _better(sp: BgpSpeaker, a: Path, b: Path, key: Callable[[Path], tuple[object, ...]]) -> bool:
    ka, kb = list(key(a)), list(key(b))
    if not med_comparable(a, b, sp.options.always_compare_med):
        # zero out the MED position (common() index 3, shifted by the daemon prefix)
        ka[_MED_INDEX] = kb[_MED_INDEX] = 0
    return tuple(ka) < tuple(kb)
