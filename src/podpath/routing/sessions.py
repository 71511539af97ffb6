"""Which BGP sessions come up, and if not, why.

For every configured peer: find the host that owns the peer address, the speaker
there whose configuration accepts us (a neighbor statement for our source address
or a listen range containing it), then check the conditions each daemon enforces:
AS numbers (incl. internal/external), a common address family, someone who
initiates and someone who listens on the port it connects to, single-hop reachability
for eBGP (FRR: no connection attempt to a peer off the connected networks, yet it accepts
one, and its TTL-1 packets reach a peer one link away), BIRD's refusal of host-scope
neighbours (::1) without multihop, shutdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from podpath.diagnostics import Loc
from podpath.routing.bgp import BgpPeer, BgpSpeaker, Daemon
from podpath.routing.network import Network
from podpath.routing.route import IPAddress


@dataclass
class SessionEnd:
    speaker: BgpSpeaker
    peer: BgpPeer
    local_address: IPAddress | None
    remote_address: IPAddress | None
    ifname: str | None = None  # egress interface (single-hop sessions)
    single_hop: bool = False  # this end's own configuration is single-hop (decides BIRD's gateway mode, FRR NHT)

    @property
    def ibgp(self) -> bool:
        return False if self.remote_asn is None else self.remote_asn == self.peer.local_as

    remote_asn: int | None = None
    remote_router_id: str | None = None
    _label: str | None = None

    _from_label: str | None = None

    @property
    def from_label(self) -> str:
        if self._from_label is None:
            self._from_label = f"{self.speaker.id} from {self.remote_address}"
        return self._from_label

    @property
    def label(self) -> str:
        """'speaker to address', formatted once (addresses are slow to format)."""
        if self._label is None:
            self._label = f"{self.speaker.id} to {self.remote_address}"
        return self._label


@dataclass
class Session:
    a: SessionEnd  # the end whose configuration we started from
    b: SessionEnd | None
    up: bool
    reason: str = ""
    afs: tuple[int, ...] = ()
    af_problems: dict[int, str] = field(default_factory=dict)
    single_hop: bool = True
    unknown: bool = False  # the outcome depends on something podpath does not model or does not have
    caveats: list[str] = field(default_factory=list)  # up in steady state, but not reliably (races)
    cause: str = ""  # unknown: what it depends on, one phrase shared by every session with the same cause
    cause_loc: Loc | None = None  # the statement it depends on, when there is one
    settle: str = ""  # unknown: which file or podpath.yaml key would settle it

    @property
    def state(self) -> str:
        return "established" if self.up else ("unknown" if self.unknown else "down")

    _id: str | None = None

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = self._make_id()
        return self._id

    def _make_id(self) -> str:
        left = f"{self.a.speaker.id}:{self.a.peer.name}[{self.a.remote_address}]"
        if self.b is None:
            return left
        return f"{left}<->{self.b.speaker.id}:{self.b.peer.name}[{self.b.remote_address}]"

    def ends(self) -> list[tuple[SessionEnd, SessionEnd]]:
        """(sender, receiver) pairs: routes flow both ways."""
        return [] if self.b is None else [(self.a, self.b), (self.b, self.a)]

    def to_json(self) -> dict[str, object]:
        def end(e: SessionEnd | None) -> object:
            if e is None:
                return None
            return {"host": e.speaker.host, "speaker": e.speaker.id, "daemon": e.speaker.daemon.value,
                    "peer": e.peer.name, "local_address": str(e.local_address) if e.local_address else None,
                    "remote_address": str(e.remote_address) if e.remote_address else None,
                    "local_as": e.peer.local_as, "location": e.peer.loc.to_json()}
        return {"id": self.id, "state": self.state, "reason": self.reason,
                **({"depends_on": self.cause, "settle": self.settle} if self.unknown else {}),
                "families": [f"ipv{f}" for f in self.afs],
                "family_problems": {f"ipv{k}": v for k, v in sorted(self.af_problems.items())},
                "a": end(self.a), "b": end(self.b)}


def _single_hop(sp: BgpSpeaker, peer: BgpPeer, ebgp: bool) -> bool:
    if peer.multihop is not None:
        return peer.multihop <= 1
    if sp.daemon is Daemon.CILIUM:
        return ebgp
    return ebgp  # FRR and BIRD: eBGP single hop, iBGP multihop by default


def find_sessions(speakers: list[BgpSpeaker], net: Network, unmodelled: dict[str, str] | None = None) -> list[Session]:
    """`unmodelled`: host -> file of a routing-daemon configuration podpath could not read; sessions to
    such hosts are "unknown", never "down"."""
    by_host: dict[str, list[BgpSpeaker]] = {}
    for sp in speakers:
        by_host.setdefault(sp.host, []).append(sp)
    sessions: list[Session] = []
    claimed: set[tuple[str, str, str]] = set()  # (speaker id, peer name, remote address) already paired
    for sp in sorted(speakers, key=lambda s: s.id):
        for peer in sp.peers:
            if peer.address is None:
                continue  # listen ranges and unnumbered peers are found from the other side
            key = (sp.id, peer.name, str(peer.address))
            if key in claimed:
                continue
            s = _connect(sp, peer, by_host, net)
            if not s.up and s.b is None and unmodelled and not s.unknown:
                target = sp.host if peer.address.is_loopback else net.owner(peer.address, near=sp.host)
                if target in unmodelled:
                    _unknown(s, f"the other side is configured in {unmodelled[target]}, which podpath does not model",
                             f"{unmodelled[target]} (not modelled)", None,
                             f"a configuration of {target}'s BGP speaker that podpath reads (FRR or BIRD)")
            if s.b is not None:
                claimed.add((s.b.speaker.id, s.b.peer.name, str(s.b.remote_address)))
            claimed.add(key)
            sessions.append(s)
    return sessions


def _down(a: SessionEnd, reason: str, b: SessionEnd | None = None) -> Session:
    return Session(a, b, False, reason)


def _igp_why(net: Network, host: str, addr: IPAddress) -> str:
    """Why the underlay (OSPF) gives `host` no route to `addr`, when it runs there."""
    igp = net.igp
    if igp is None:
        return ""
    why = igp.why_unreachable(host, addr, net.owner(addr, near=host))  # type: ignore[attr-defined]
    return f" ({why})" if why else ""


def _unknown(s: Session, reason: str, cause: str, loc: Loc | None, settle: str) -> Session:
    s.up, s.unknown, s.reason, s.cause, s.cause_loc, s.settle = False, True, reason, cause, loc, settle
    return s


def _depends(a: SessionEnd, host: str, what: str, net: Network, b: SessionEnd | None = None) -> Session | None:
    """`host` lacks a route (`what`) and has statements podpath does not model that may install one (an IGP):
    the session is unknown, depending on the first of them."""
    us = net.unmodelled_routes.get(host)
    if not us:
        return None
    u = min(us, key=lambda u: u.loc)
    more = f" (and {len(us) - 1} more such statement(s))" if len(us) > 1 else ""
    return _unknown(Session(a, b, False), f"{what}, unless `{u.statement}` at {u.loc} installs one{more}: podpath "
                    "does not model it", f"`{u.statement}` at {u.loc}", u.loc,
                    f"the routes it installs on {host}: a route dump of {host} (`ip route`), or "
                    f"`hosts.{host}.routes` in podpath.yaml")


def _over_unmodelled_igp(a: SessionEnd, host: str, addr: IPAddress, via: object, net: Network) -> Session | None:
    """`host` reaches `addr` through a route of the simulated OSPF, and an OSPF router of that family
    has a statement that can change OSPF's routes which podpath does not model (an area range,
    authentication, ...): the session is unknown rather than up on trust."""
    igp = net.igp
    if igp is None or via is None or not any(via is k for k in igp.kernel.get(host, ())):  # type: ignore[attr-defined]
        return None
    source = "ospf" if addr.version == 4 else "ospf6"
    domain = {p.host for p in igp.processes.values() if p.family == addr.version}  # type: ignore[attr-defined]
    us = sorted((u for h in sorted(domain) for u in net.unmodelled_routes.get(h, ()) if u.route_source == source),
                key=lambda u: u.loc)
    if not us:
        return None
    u = us[0]
    more = f" (and {len(us) - 1} more such statement(s))" if len(us) > 1 else ""
    return _unknown(Session(a, None, False), f"{host} reaches {addr} over OSPF, whose routes `{u.statement}` at "
                    f"{u.loc} may change{more}: podpath does not model it", f"`{u.statement}` at {u.loc}", u.loc,
                    f"the routes OSPF gives {host}: a route dump of {host} (`ip route`), or `hosts.{host}.routes` "
                    "in podpath.yaml")


def _connect(sp: BgpSpeaker, peer: BgpPeer, by_host: dict[str, list[BgpSpeaker]], net: Network) -> Session:
    """The session from `sp`'s `peer`. A missing route that an unmodelled statement may install does not stop
    the checks: the session is unknown if everything else would let it come up, down if something else fails
    (that failure holds whatever the route)."""
    pending: list[Session] = []
    s = _connect_model(sp, peer, by_host, net, pending)
    if pending and s.up:
        u = pending[0]
        return _unknown(s, u.reason, u.cause, u.cause_loc, u.settle)
    return s


def _connect_model(sp: BgpSpeaker, peer: BgpPeer, by_host: dict[str, list[BgpSpeaker]], net: Network,
                   pending: list[Session]) -> Session:
    addr = peer.address
    assert addr is not None
    host = net.host(sp.host)
    ifname, src, via = host.route_to(addr)
    if peer.local_address is not None:
        if not host.owns(peer.local_address):
            return _down(SessionEnd(sp, peer, peer.local_address, addr),
                         f"source address {peer.local_address} is not an address of {sp.host}")
        src = peer.local_address
    a = SessionEnd(sp, peer, src, addr, ifname)
    if peer.shutdown:
        return _down(a, f"neighbor {addr} is shut down on {sp.id} ({peer.loc})")
    if ifname is None:
        dep = _depends(a, sp.host, f"{sp.host} has no route to {addr}", net)
        if dep is None:
            return _down(a, f"{sp.host} has no route to {addr}" + _igp_why(net, sp.host, addr))
        if src is None:
            return dep  # no source address to look for on the other side
        pending.append(dep)
    dep = _over_unmodelled_igp(a, sp.host, addr, via, net)
    if dep is not None:
        pending.append(dep)
    target_host = sp.host if (addr.is_loopback or host.owns(addr)) else net.owner(addr, near=sp.host)
    if target_host is None:
        return _unknown(Session(a, None, False), f"{addr} is not an address of any host in the snapshot (a router "
                        "outside it, e.g. an upstream provider): whether it accepts the session is not known",
                        "peers outside the snapshot", None,
                        "each peer's configuration in the snapshot (its router's FRR/BIRD file), or the host that has "
                        "the address under `hosts.<name>.interfaces` in podpath.yaml")
    candidates = [t for t in by_host.get(target_host, []) if t is not sp]
    matches = []
    for t in sorted(candidates, key=lambda s: s.id):
        for q in t.peers:
            if src is None:
                continue
            if (q.address is not None and q.address == src) or (
                    q.address is None and q.listen_range is not None and src.version == q.listen_range.version
                    and src in q.listen_range):
                matches.append((t, q))
                break
    if not matches:
        names = ", ".join(t.id for t in candidates) or "none"
        return _down(a, f"no BGP speaker on {target_host} is configured for our address {src} "
                        f"(speakers there: {names})")
    # Prefer an exact neighbor statement over a listen range (FRR keeps static config for addresses in a range).
    matches.sort(key=lambda tq: (tq[1].address is None, tq[0].vrf != sp.vrf, tq[0].id))
    t, q = matches[0]
    b = SessionEnd(t, q, addr, src, net.host(target_host).route_to(src)[0])  # its egress towards us
    if b.ifname is None and src is not None:  # TCP needs the way back
        why = f"{target_host} has no route back to {src} (the source address of {sp.id})"
        dep = _depends(a, target_host, why, net, b)
        if dep is None:
            return _down(a, why, b)
        pending.append(dep)
    a.remote_asn, b.remote_asn = q.local_as, peer.local_as
    a.remote_router_id, b.remote_router_id = t.router_id, sp.router_id
    if q.shutdown:
        return _down(a, f"neighbor {src} is shut down on {t.id} ({q.loc})", b)
    if not peer.accepts_as(q.local_as, peer.local_as):
        return _down(a, f"AS mismatch: {sp.id} expects AS {_expect(peer)} for {addr}, {t.id} uses AS {q.local_as} "
                        f"({q.loc})", b)
    if not q.accepts_as(peer.local_as, q.local_as):
        return _down(a, f"AS mismatch: {t.id} expects AS {_expect(q)} for {src} ({q.loc}), {sp.id} uses AS "
                        f"{peer.local_as}", b)
    ebgp = q.local_as != peer.local_as
    # Who opens the TCP connection, who listens? FRR opens none while next-hop tracking has no route to the
    # peer, and a default route counts only with `ip nht resolve-via-default` ("Waiting for NHT").
    a_nht = _nht_waits(sp, net, addr) or _connected_check(sp, peer, addr, ebgp, net)
    b_nht = (_nht_waits(t, net, src) or _connected_check(t, q, src, ebgp, net)) if src is not None else ""
    a_init = peer.connects and not peer.passive and not a_nht
    b_init = q.connects and not q.passive and q.address is not None and not b_nht
    a_listen = sp.options.listens
    b_listen = t.options.listens
    # The initiator connects to its configured port; the other side must listen there.
    a_port, b_port = _port_match(peer, t, q), _port_match(q, sp, peer)
    if not ((a_init and b_listen and a_port) or (b_init and a_listen and b_port)):
        why = []
        if not a_init:
            why.append(f"{sp.id} does not initiate (" + (a_nht if a_nht and peer.connects and not peer.passive else
                                                         'passive' if peer.passive else 'listen range only') + ")")
        if not b_listen:
            why.append(f"{t.id} has no listening BGP socket")
        elif a_init and a_port is not True:
            why.append(_port_why(sp, peer, t, q, a_port))
        if not b_init:
            why.append(f"{t.id} does not initiate (" + (
                b_nht if b_nht and q.connects and not q.passive and q.address is not None else
                "passive" if q.passive else "dynamic neighbor from a listen range") + ")")
        if not a_listen:
            why.append(f"{sp.id} has no listening BGP socket")
        elif b_init and b_port is not True:
            why.append(_port_why(t, q, sp, peer, b_port))
        reason = "nobody can open the connection: " + "; ".join(why)
        if (a_init and b_listen and a_port is None) or (b_init and a_listen and b_port is None):
            return _unknown(Session(a, b, False), reason, "the BGP listening port", None,
                            "the port each BGP daemon listens on (FRR `bgpd -p`, Cilium `localPort`)")
        return _down(a, reason, b)
    a.single_hop, b.single_hop = _single_hop(sp, peer, ebgp), _single_hop(t, q, ebgp)
    single = a.single_hop or b.single_hop
    for end, other_addr, other_host in ((a, addr, t.host), (b, src, sp.host)):
        reason = _hop_problem(end.speaker, end.peer, other_addr, ebgp, net, other_host)
        if reason:
            return _down(a, reason, b)
    afs = tuple(sorted(set(peer.afs) & set(q.afs)))
    others = tuple(sorted(set(peer.other_afs) & set(q.other_afs)))
    if not afs and others:
        s = Session(a, b, True, f"carries only {', '.join(others)}, which podpath does not simulate", (),
                    single_hop=single)
        return s
    if not afs:
        return _down(a, f"no address family is activated on both sides ({sp.id}: "
                        f"{_afs(peer)}; {t.id}: {_afs(q)})", b)
    s = Session(a, b, True, "", afs, single_hop=single)
    s.caveats = [c for c in (_self_connect(a, b), _self_connect(b, a)) if c]
    for af in afs:
        if af != addr.version and not (peer.afs[af].extended_next_hop or q.afs[af].extended_next_hop):
            s.af_problems[af] = (f"IPv{af} routes over an IPv{addr.version} session need an IPv{af} next hop: "
                                 f"enable extended next hop on both sides or give the session an IPv{af} address")
    return s


def _listen_port(sp: BgpSpeaker, peer: BgpPeer) -> int | None:
    """The TCP port `sp` accepts `peer`'s connections on: BIRD's per-protocol `local port`, else the
    daemon's (FRR bgpd listens on 179 unless started with `-p`; Cilium's GoBGP on `localPort`)."""
    return peer.listen_port if peer.listen_port is not None else sp.options.listen_port


def _port_match(peer: BgpPeer, other: BgpSpeaker, other_peer: BgpPeer) -> bool | None:
    """Does `peer`'s connection (to its `port`) reach the other side's listener? None: its port is not known."""
    lp = _listen_port(other, other_peer)
    return None if lp is None else lp == peer.port


def _port_why(sp: BgpSpeaker, peer: BgpPeer, t: BgpSpeaker, q: BgpPeer, match: bool | None) -> str:
    lp = _listen_port(t, q)
    if match is None:
        return f"{sp.id} connects to port {peer.port} ({peer.loc}); the port {t.id} listens on is not known"
    where = f" (`local port` at {q.loc})" if q.listen_port is not None else (
        " (localPort)" if t.daemon is Daemon.CILIUM else " (the daemon's default)")
    return f"{sp.id} connects to port {peer.port} ({peer.loc}), {t.id} listens on port {lp}{where}"


def _connected_check(sp: BgpSpeaker, peer: BgpPeer, remote: IPAddress, ebgp: bool, net: Network) -> str:
    """Why FRR does not open a single-hop eBGP session (empty: it does): its peer's address is not on a
    connected network, and without `disable-connected-check` bgpd never connects (it still accepts the
    other side's connection: checked with FRR 8.4 in `podpath lab`)."""
    if sp.daemon is not Daemon.FRR or peer.disable_connected_check or not _single_hop(sp, peer, ebgp):
        return ""
    host = net.host(sp.host)
    if remote.is_loopback or remote in host.addresses or host.on_link(remote) is not None:
        return ""
    return (f"eBGP neighbor {remote} is not directly connected and has no ebgp-multihop or disable-connected-check "
            f"({peer.loc}): bgpd does not connect")


def _one_hop(net: Network, host: str, remote: IPAddress, remote_host: str) -> bool:
    """Does a packet from `host` to `remote` cross no router (the route's gateway is on `remote_host`)?
    A single-hop eBGP end sends with TTL 1: its packets reach only such a peer."""
    h = net.host(host)
    if remote.is_loopback or remote in h.addresses or h.on_link(remote) is not None:
        return True
    _, _, r = h.route_to(remote)
    gw = getattr(r, "gateway", None)
    return gw is not None and net.owner(gw, near=host) == remote_host


def _nht_waits(sp: BgpSpeaker, net: Network, addr: IPAddress) -> str:
    """Why FRR's bgpd does not connect to `addr` (empty: it does): its only route there is the default route
    and `ip[v6] nht resolve-via-default` is not set (bgpd waits for next-hop tracking)."""
    if sp.daemon is not Daemon.FRR:
        return ""
    h = net.host(sp.host)
    r = h.only_default_to(addr)
    if r is None or addr.version in h.nht_via_default:
        return ""
    cmd = "ip" if addr.version == 4 else "ipv6"
    return (f"its only route to {addr} is the default route ({r.describe()}{f', {r.loc}' if r.loc else ''}), which "
            f"FRR's next-hop tracking ignores without `{cmd} nht resolve-via-default`: \"Waiting for NHT\"")


def _self_connect(end: SessionEnd, other: SessionEnd) -> str:
    """BIRD that actively connects to an address of its own host reaches its own listening
    socket (both speakers share the host, e.g. Cilium on ::1): it reads its own OPEN, stops
    with "Bad peer AS" and sits in error wait (60 s, growing to 300 s), refusing the real
    peer meanwhile. The session only comes up when the peer's connection wins the short
    window after each restart (checked with BIRD 2.0.12 and 2.17 in `podpath lab`)."""
    sp, peer, remote = end.speaker, end.peer, end.remote_address
    if sp.daemon is not Daemon.BIRD or peer.passive or not peer.connects or not sp.options.listens:
        return ""
    if remote is None or other.speaker.host != sp.host:
        return ""
    return (f"{sp.id} connects actively to {remote}, an address of its own host: BIRD reaches its own listening "
            f"socket, rejects its own OPEN (\"Bad peer AS\") and waits in error state for 60 s or more, refusing "
            f"the peer meanwhile; the session comes up only when the peer wins the race after a restart. "
            f"Add `passive on;` to the protocol at {peer.loc}")


def _expect(p: BgpPeer) -> str:
    return p.remote_as_mode if p.remote_as_mode in ("internal", "external") else str(p.remote_as)


def _afs(p: BgpPeer) -> str:
    return ", ".join([f"ipv{a}" for a in sorted(p.afs)] + list(p.other_afs)) or "none"


def _hop_problem(sp: BgpSpeaker, peer: BgpPeer, remote: IPAddress, ebgp: bool, net: Network,
                 remote_host: str | None = None) -> str:
    """Single-hop rules per daemon for the end `sp` talking to `remote` (on `remote_host`)."""
    host = net.host(sp.host)
    if not _single_hop(sp, peer, ebgp) or peer.disable_connected_check:
        return ""
    if sp.daemon is Daemon.BIRD:
        if remote.is_loopback or remote in host.addresses:
            return (f"BIRD refuses a single-hop eBGP session to the host-scope/local address {remote} "
                    f"(\"Invalid remote address\"); add `multihop` to the protocol at {peer.loc}")
        if host.on_link(remote) is None:
            return f"{sp.id}: {remote} is not on a directly connected network and the session is single-hop " \
                   f"({peer.loc}); add `multihop`"
        return ""
    if sp.daemon is Daemon.FRR:
        # TTL 1 (no ebgp-multihop): the session works only when no router lies between (loopbacks of
        # adjacent routers); who may then open it is decided by the connected check (_connected_check).
        if remote_host is not None and _one_hop(net, sp.host, remote, remote_host):
            return ""
        if host.on_link(remote) is None and not remote.is_loopback and remote not in host.addresses:
            return (f"{sp.id}: eBGP neighbor {remote} is not directly connected and has no ebgp-multihop "
                    f"({peer.loc})")
        return ""
    if sp.daemon is Daemon.CILIUM:
        if host.on_link(remote) is None and not remote.is_loopback and remote not in host.addresses:
            return (f"{sp.id}: eBGP peer {remote} is not directly connected and ebgpMultihop is 1 ({peer.loc})")
    return ""


def wrong_ports(s: Session) -> list[tuple[SessionEnd, SessionEnd, int]]:
    """(end, other end, the port the other listens on) for each end of a down session that would open the
    connection but connects to a port its peer does not listen on: what a port repair changes."""
    if s.up or s.b is None:
        return []
    out = []
    for me, other in ((s.a, s.b), (s.b, s.a)):
        lp = _listen_port(other.speaker, other.peer)
        if (me.peer.connects and not me.peer.passive and me.peer.address is not None
                and other.speaker.options.listens and lp is not None and lp != me.peer.port):
            out.append((me, other, lp))
    return out
