"""Which policy a question is about: `--at HOST --neighbor PEER [--direction]` names a peer's
import or export policy (in the context of its session, as the simulator evaluates it), and
`--policy NAME` an FRR route-map or a BIRD filter of the host's configuration."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from podpath.routing.bgp import BgpPeer, BgpSpeaker
from podpath.routing.policy import Direction, PolicyContext

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot


class QueryError(ValueError):
    """The question names no (or more than one) policy; the message says what exists."""


@dataclass
class Target:
    """One policy with the context it is evaluated in."""

    label: str  # e.g. "pve01/frr@vrf_evpnz1 VMS (listen range fd00:101::/64) ipv6 import"
    host: str
    speaker: BgpSpeaker | None
    peer: BgpPeer | None
    family: int
    direction: Direction
    policy: Any
    ctx: PolicyContext
    session: str | None = None  # the session whose context is used

    def key(self) -> tuple[str, str, str, int, str]:
        """Matches the same policy in another snapshot (compare)."""
        return (self.host, self.speaker.id if self.speaker else "", self.peer.name if self.peer else self.label,
                self.family, self.direction.value)


def _peer_matches(peer: BgpPeer, text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None | bool:
    """True/address when `text` names the peer (its name, the name before ' (', its address, an
    address inside its listen range: then that address)."""
    if text == peer.name or text == peer.name.split(" (")[0]:
        return True
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return False
    if peer.address is not None and addr == peer.address:
        return addr
    if peer.listen_range is not None and addr.version == peer.listen_range.version and addr in peer.listen_range:
        return addr
    return False


def _sessions(snap: "Snapshot") -> list[Any]:
    return list(snap.simulate().sessions) if snap.has_control_plane else []


def session_ctx(snap: "Snapshot", sp: BgpSpeaker, peer: BgpPeer, direction: Direction,
                address: Any = None) -> tuple[PolicyContext, str | None]:
    """The context the simulator evaluates the peer's policy in: from an established session
    (the one with `address` when given), else from the configuration alone."""
    from podpath.routing.daemons import _ctx

    ends = []
    for s in _sessions(snap):
        for end in (s.a, s.b):
            if end is not None and end.speaker is sp and end.peer is peer:
                ends.append((0 if s.up else 1, str(end.remote_address), end, s))
    if address is not None:
        ends = [e for e in ends if e[2].remote_address == address] or ends
    if ends:
        ends.sort(key=lambda e: (e[0], e[1]))
        _, _, end, s = ends[0]
        ctx = _ctx(end, direction)
        if address is not None and ctx.peer_address != address:
            ctx = PolicyContext(direction, ctx.local_as, ctx.peer_as, address, ctx.local_address, ctx.ibgp,
                                ctx.protocol_name, ctx.router_id, ctx.vrf)
        return ctx, s.id
    remote_as = peer.remote_as if peer.remote_as_mode == "number" else None
    ibgp = (remote_as == peer.local_as) if remote_as else (True if peer.remote_as_mode == "internal" else
                                                           (False if peer.remote_as_mode == "external" else None))
    return PolicyContext(direction, peer.local_as, remote_as, address or peer.address, peer.local_address, ibgp,
                         peer.name, sp.router_id, sp.vrf), None


def targets(snap: "Snapshot", host: str, neighbor: str | None = None, policy: str | None = None,
            direction: Direction | None = None, family: int | None = None) -> list[Target]:
    """Every policy the question names (several when it names both families or directions)."""
    if host not in snap.cluster.hosts:
        raise QueryError(f"no host {host!r} in the snapshot (hosts: {', '.join(sorted(snap.cluster.hosts))})")
    if neighbor is not None:
        return _neighbor_targets(snap, host, neighbor, direction, family)
    if policy is not None:
        return _named_targets(snap, host, policy, direction, family)
    raise QueryError("name the policy: --neighbor PEER or --policy NAME")


def _neighbor_targets(snap: "Snapshot", host: str, neighbor: str, direction: Direction | None,
                      family: int | None) -> list[Target]:
    speakers = [sp for sp in snap.control_plane().speakers if sp.host == host] if snap.has_control_plane else []
    hits = []
    for sp in speakers:
        for peer in sp.peers:
            m = _peer_matches(peer, neighbor)
            if m is not False:
                hits.append((sp, peer, None if m is True else m))
    if not hits:
        names = sorted({p.name for sp in speakers for p in sp.peers})
        raise QueryError(f"no neighbor {neighbor!r} on {host} (neighbors: {', '.join(names) or 'none'})")
    out = []
    for sp, peer, addr in hits:
        for fam, af in sorted(peer.afs.items()):
            if family is not None and fam != family:
                continue
            for d in (Direction.IMPORT, Direction.EXPORT):
                if direction is not None and d is not direction:
                    continue
                pol = af.import_policy if d is Direction.IMPORT else af.export_policy
                ctx, sid = session_ctx(snap, sp, peer, d, addr)
                label = f"{sp.id} {peer.name}{f' as {addr}' if addr else ''} ipv{fam} {d.value}"
                out.append(Target(label, host, sp, peer, fam, d, pol, ctx, sid))
    if not out:
        raise QueryError(f"neighbor {neighbor!r} on {host} has no " + (f"IPv{family} " if family else "") +
                         "address family")
    return out


def _named_targets(snap: "Snapshot", host: str, name: str, direction: Direction | None,
                   family: int | None) -> list[Target]:
    from podpath.readers.bird.interp import BirdFilterPolicy
    from podpath.readers.frr.policy import RouteMapPolicy

    out = []
    d = direction or Direction.IMPORT
    for rc in snap.routers:
        if rc.host != host:
            continue
        cfg = rc.config
        for fam in ((family,) if family else (4, 6)):
            ctx = PolicyContext(d)
            if rc.dialect == "frr" and name in getattr(cfg, "route_maps", {}):
                out.append(Target(f"{host} route-map {name} ipv{fam}", host, None, None, fam, d,
                                  RouteMapPolicy(cfg, name, applied_at="neighbor"), ctx))
            elif rc.dialect == "bird" and name in getattr(cfg, "filters", {}):
                out.append(Target(f"{host} filter {name} ipv{fam}", host, None, None, fam, d,
                                  BirdFilterPolicy(cfg, cfg.filters[name]), ctx))
    if not out:
        raise QueryError(f"no route-map or BIRD filter {name!r} on {host}")
    return out


def all_targets(snap: "Snapshot", host: str | None = None, direction: Direction | None = None) -> list[Target]:
    """Every peer's policies (of `host`, or of every host), each in its session's context."""
    if host is not None and host not in snap.cluster.hosts:
        raise QueryError(f"no host {host!r} in the snapshot (hosts: {', '.join(sorted(snap.cluster.hosts))})")
    if not snap.has_control_plane:
        return []
    out = []
    for sp in snap.control_plane().speakers:
        if host is not None and sp.host != host:
            continue
        for peer in sp.peers:
            for fam, af in sorted(peer.afs.items()):
                for d in (Direction.IMPORT, Direction.EXPORT):
                    if direction is not None and d is not direction:
                        continue
                    pol = af.import_policy if d is Direction.IMPORT else af.export_policy
                    ctx, sid = session_ctx(snap, sp, peer, d)
                    out.append(Target(f"{sp.id} {peer.name} ipv{fam} {d.value}", sp.host, sp, peer, fam, d, pol,
                                      ctx, sid))
    return out
