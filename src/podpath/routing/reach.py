"""Data-plane forwarding over the simulated kernel tables: does a packet from
node X reach a pod of node Y? Each hop is a longest-prefix match in the host's
kernel table (`Lpm`: a dict per prefix length, longest first); the next host is
whoever owns the gateway (or the link-local of the BGP speaker that sent the
route). `trace` gives every hop (memoised per source, prefix and destination);
`undelivered` answers "delivered or not" for many sources at once without
building traces, remembering how many hosts each host is from delivery, so an
all-pairs check costs about one lookup per (source, prefix)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from podpath.model.cluster import RouteTable
from podpath.routing.network import Network
from podpath.routing.route import IPAddress, IPNetwork
from podpath.routing.sim import FibEntry, SimResult

MAX_HOPS = 16
_ANYCAST = object()


@dataclass(frozen=True)
class Hop:
    host: str
    entry: FibEntry | None
    note: str = ""

    def describe(self) -> str:
        if self.entry is None:
            return f"{self.host}: {self.note}"
        r = self.entry.route
        via = f" (via link-local of {self.entry.via_host})" if self.entry.via_host else ""
        return f"{self.host}: {r.describe()}{via} [{self.entry.source}]" + (f" {self.note}" if self.note else "")


@dataclass(frozen=True)
class Trace:
    delivered: bool
    hops: tuple[Hop, ...]
    cause: str = ""  # why not delivered
    stop: str = ""  # host where it stopped

    def describe(self) -> str:
        return " -> ".join(h.describe() for h in self.hops)


class Lpm:
    """Longest-prefix match over FIB entries, like `RouteTable.lookup` for one table: per
    (family, prefix length) a dict from masked address to entries, lengths tried longest first;
    among equal prefixes the lowest metric wins, the first added on a tie. Only entries of
    `table` that are not `local` routes are kept."""

    __slots__ = ("_by_fam",)

    def __init__(self, entries: Iterable[FibEntry] = (), table: str = "main") -> None:
        by_len: dict[tuple[int, int], dict[int, list[FibEntry]]] = {}
        for e in entries:
            r = e.route
            if r.table != table or r.type == "local":
                continue
            dst = r.dst
            d = by_len.get((dst.version, dst.prefixlen))
            if d is None:
                d = by_len[(dst.version, dst.prefixlen)] = {}
            v = int(dst.network_address)
            bucket = d.get(v)
            if bucket is None:
                d[v] = [e]
            else:
                bucket.append(e)
        self._by_fam: dict[int, list[tuple[int, dict[int, list[FibEntry]]]]] = {}
        for (fam, plen), d in sorted(by_len.items(), key=lambda kv: -kv[0][1]):
            bits = 32 if fam == 4 else 128
            mask = ((1 << plen) - 1) << (bits - plen) if plen else 0
            self._by_fam.setdefault(fam, []).append((mask, d))

    def lookup(self, version: int, value: int) -> FibEntry | None:
        """The entry for the address `value` (an int) of family `version`."""
        for mask, d in self._by_fam.get(version, ()):
            cands = d.get(value & mask)
            if cands:
                if len(cands) == 1:
                    return cands[0]
                return min(cands, key=lambda e: (e.route.metric or 0))
        return None


@dataclass
class Forwarder:
    result: SimResult
    net: Network
    _lpm: dict[str, Lpm] = field(default_factory=dict)
    _memo: dict[tuple[str, int, str], Trace] = field(default_factory=dict)
    _probe: dict[int, tuple[IPNetwork, IPAddress, int, int]] = field(default_factory=dict)
    _owner: dict[IPAddress, str | None] = field(default_factory=dict)
    _tables: dict[str, RouteTable] | None = None
    _hosts_to_go: dict[tuple[int, str], dict[str, int]] = field(default_factory=dict)
    _next_of: dict[int, object] = field(default_factory=dict)
    _keep: list[object] = field(default_factory=list)  # kernel routes whose id is a key of _next_of

    def __post_init__(self) -> None:
        for host, entries in self.result.fib.items():
            self._lpm[host] = Lpm(entries)

    @property
    def tables(self) -> dict[str, RouteTable]:
        """Each host's kernel table as a `RouteTable` (built on first use)."""
        if self._tables is None:
            self._tables = {host: RouteTable(e.route for e in entries) for host, entries in self.result.fib.items()}
        return self._tables

    def lookup(self, host: str, addr: IPAddress) -> FibEntry | None:
        t = self._lpm.get(host)
        if t is None:
            return None
        return t.lookup(addr.version, int(addr))

    def trace(self, src: str, dst_prefix: IPNetwork, dst_host: str) -> Trace:
        return self._walk(src, dst_prefix, dst_host, ())

    # ------------------------------------------------------------------ delivered or not, in bulk
    def delivered(self, src: str, dst_prefix: IPNetwork, dst_host: str) -> bool:
        """`trace(src, dst_prefix, dst_host).delivered`, without building the trace."""
        return not self.undelivered(dst_prefix, dst_host, (src,))

    def undelivered(self, dst_prefix: IPNetwork, dst_host: str, sources: Iterable[str]) -> list[str]:
        """The sources from which a packet to `dst_prefix` does not arrive at `dst_host`'s pods
        (exactly those whose `trace(...)` is not delivered), in the order given. Each host has one
        next hop for the prefix, so the walk from a host either ends (delivered or not) or loops;
        the number of hosts on a delivering walk is kept for the hosts after the first, and a walk
        of more than MAX_HOPS hosts is not delivered, as in `trace`."""
        probe = self._probe_of(dst_prefix)
        fam, value = probe[2], probe[3]
        memo = self._hosts_to_go.get((id(dst_prefix), dst_host))
        if memo is None:
            memo = self._hosts_to_go[(id(dst_prefix), dst_host)] = {}
        lpms = self._lpm
        nxt_of = self._next_of
        out = []
        for src in sources:
            path: list[str] = []
            host = src
            while True:
                n = memo.get(host)
                if n is not None:
                    break
                if host in path:  # a loop: nobody on it delivers
                    n = 0
                    break
                path.append(host)
                lpm = lpms.get(host)
                e = lpm.lookup(fam, value) if lpm is not None else None
                if e is None:
                    n = 0
                    break
                nxt = nxt_of.get(id(e.route))
                if nxt is None or e.via_host is not None:
                    nxt = self._next(host, e)
                if nxt is True or nxt is False:
                    path.pop()  # counted below from n
                    n = 1 if (nxt and host == dst_host) else 0
                    if host != src:
                        memo[host] = n
                    break
                if nxt is _ANYCAST:
                    nxt = self.net.owner(e.route.gateway, near=host)  # type: ignore[arg-type]
                host = nxt  # type: ignore[assignment]
            if n is None:
                n = 0
            for h in reversed(path):  # n: hosts from h to the delivering one (0: not delivered)
                n = n + 1 if n else 0
                if h != src:
                    memo[h] = n
            if not 0 < n <= MAX_HOPS:
                out.append(src)
        return out

    def _next(self, host: str, e: FibEntry) -> object:
        """Where `host` sends a packet matching `e`: a host name, True (its own pods on
        cilium_host: delivered if it is the destination), False (dropped) or _ANYCAST (the owner
        of the gateway depends on the host). Cached per kernel route when it does not depend on
        the host."""
        r = e.route
        if r.type != "unicast":
            return False
        if r.dev == "cilium_host":
            return True
        if e.via_host is not None:
            return e.via_host
        if r.gateway is None:
            return False
        if len(self.net.owners(r.gateway)) > 1:
            out: object = _ANYCAST
        else:
            out = self._owner_of(r.gateway, host)
            if out is None:
                out = False
        self._next_of[id(r)] = out
        self._keep.append(r)
        return out

    def _probe_of(self, prefix: IPNetwork) -> tuple[IPNetwork, IPAddress, int, int]:
        """(prefix, the address a packet is sent to, its family, its value), once per prefix object."""
        p = self._probe.get(id(prefix))
        if p is None or p[0] is not prefix:
            addr = prefix.network_address + 1 if prefix.num_addresses > 1 else prefix.network_address
            p = self._probe[id(prefix)] = (prefix, addr, addr.version, int(addr))
        return p

    def _owner_of(self, gateway: IPAddress, near: str) -> str | None:
        if gateway in self._owner:
            return self._owner[gateway]
        owners = self.net.owners(gateway)
        if len(owners) > 1:
            return self.net.owner(gateway, near=near)  # anycast: depends on where we are
        o = self._owner[gateway] = owners[0] if owners else None
        return o

    def _walk(self, host: str, prefix: IPNetwork, dst_host: str, seen: tuple[str, ...]) -> Trace:
        probe = self._probe_of(prefix)
        key = (host, id(prefix), dst_host)
        if not seen:
            t = self._memo.get(key)
            if t is not None:
                return t
        if host in seen:
            t = Trace(False, (Hop(host, None, "routing loop"),), f"routing loop through {host}", host)
            return t
        if len(seen) >= MAX_HOPS:
            return Trace(False, (Hop(host, None, "too many hops"),), "too many hops", host)
        lpm = self._lpm.get(host)
        if lpm is None:
            t = Trace(False, (Hop(host, None, "host not modelled"),), f"{host} is not in the snapshot", host)
        else:
            e = lpm.lookup(probe[2], probe[3])
            t = self._step(host, e, prefix, dst_host, seen + (host,))
        if not seen:
            self._memo[key] = t
        return t

    def _step(self, host: str, e: FibEntry | None, prefix: IPNetwork, dst_host: str, seen: tuple[str, ...]) -> Trace:
        if e is None:
            return Trace(False, (Hop(host, None, f"no route to {prefix}"),), f"{host} has no route to {prefix}", host)
        r = e.route
        hop = Hop(host, e)
        if r.type != "unicast":
            return Trace(False, (hop,), f"{host} has a {r.type} route for {r.dst} ({e.source})", host)
        if r.dev == "cilium_host":
            if host == dst_host:
                return Trace(True, (hop,))
            return Trace(False, (hop,), f"{host} delivers {prefix} to its own pods (cilium_host)", host)
        if e.via_host is not None:
            nxt: str | None = e.via_host
        elif r.gateway is not None:
            nxt = self._owner_of(r.gateway, host)
            if nxt is None:
                return Trace(False, (hop,), f"{host} sends {prefix} to {r.gateway}, which is not a host of the "
                             "snapshot", host)
        else:
            return Trace(False, (hop,), f"{host} treats {prefix} as on-link on {r.dev} (no router)", host)
        if r.dst.prefixlen == 0:
            hop = Hop(host, e, "(default route)")
        tail = self._walk(nxt, prefix, dst_host, seen)
        return Trace(tail.delivered, (hop,) + tail.hops, tail.cause, tail.stop)
