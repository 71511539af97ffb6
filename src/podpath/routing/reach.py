"""Data-plane forwarding over the simulated kernel tables: does a packet from
node X reach a pod of node Y? Each hop is a longest-prefix match in the host's
kernel table; the next host is whoever owns the gateway (or the link-local of the
BGP speaker that sent the route). Tails are memoised per (host, destination
prefix), so all-pairs checks cost one lookup per (host, prefix)."""

from __future__ import annotations

from dataclasses import dataclass, field

from podpath.model.cluster import RouteTable
from podpath.routing.network import Network
from podpath.routing.route import IPAddress, IPNetwork
from podpath.routing.sim import FibEntry, SimResult

MAX_HOPS = 16


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


@dataclass
class Forwarder:
    result: SimResult
    net: Network
    tables: dict[str, RouteTable] = field(default_factory=dict)
    _index: dict[str, dict[int, FibEntry]] = field(default_factory=dict)
    _memo: dict[tuple[str, IPNetwork, str], Trace] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for host, entries in self.result.fib.items():
            t = RouteTable()
            idx: dict[int, FibEntry] = {}
            for e in entries:
                t.add(e.route)
                idx[id(e.route)] = e
            self.tables[host] = t
            self._index[host] = idx

    def lookup(self, host: str, addr: IPAddress) -> FibEntry | None:
        t = self.tables.get(host)
        if t is None:
            return None
        r = t.lookup(addr)
        return self._index[host].get(id(r)) if r is not None else None

    def trace(self, src: str, dst_prefix: IPNetwork, dst_host: str) -> Trace:
        return self._walk(src, dst_prefix, dst_host, ())

    def _walk(self, host: str, prefix: IPNetwork, dst_host: str, seen: tuple[str, ...]) -> Trace:
        key = (host, prefix, dst_host)
        if key in self._memo and not seen:
            return self._memo[key]
        addr = prefix.network_address + 1 if prefix.num_addresses > 1 else prefix.network_address
        if host in seen:
            t = Trace(False, (Hop(host, None, "routing loop"),), f"routing loop through {host}", host)
            return t
        if len(seen) >= MAX_HOPS:
            return Trace(False, (Hop(host, None, "too many hops"),), "too many hops", host)
        if host not in self.tables:
            t = Trace(False, (Hop(host, None, "host not modelled"),), f"{host} is not in the snapshot", host)
        else:
            e = self.lookup(host, addr)
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
            nxt = self.net.owner(r.gateway, near=host)
            if nxt is None:
                return Trace(False, (hop,), f"{host} sends {prefix} to {r.gateway}, which is not a host of the "
                             "snapshot", host)
        else:
            return Trace(False, (hop,), f"{host} treats {prefix} as on-link on {r.dev} (no router)", host)
        if r.dst.prefixlen == 0:
            hop = Hop(host, e, "(default route)")
        tail = self._walk(nxt, prefix, dst_host, seen)
        return Trace(tail.delivered, (hop,) + tail.hops, tail.cause, tail.stop)
