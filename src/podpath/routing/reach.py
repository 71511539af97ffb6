"""Data-plane forwarding over the simulated kernel tables: does a packet from
node X reach a pod of node Y? Each hop is a longest-prefix match in the host's
kernel table (`Lpm`: a dict per prefix length, longest first); the next host is
whoever owns the gateway (or the link-local of the BGP speaker that sent the
route). `trace` gives every hop (memoised per source, prefix and destination);
`undelivered` answers "delivered or not" for many sources at once without
building traces, remembering how many hosts each host is from delivery; sources
that share a cohort's routes, or whose tables are equal apart from their own
routes (`_Class`), share one walk, so an all-pairs check costs about one lookup
per (group of sources, prefix) plus the sources a prefix sets apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from podpath.model.cluster import RouteTable
from podpath.routing.network import Network
from podpath.routing.route import IPAddress, IPNetwork
from podpath.routing.sim import Fib, FibEntry, SimResult, _Cohort

MAX_HOPS = 16
_NO_HOSTS: dict[str, "SharedLpm"] = {}
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


class SharedLpm:
    """A cohort's shared kernel routes (see `sim._Cohort`) for longest-prefix match on behalf of
    each member: an entry the member replaced with its own for that prefix is skipped."""

    __slots__ = ("cohort", "_by_fam")

    def __init__(self, cohort: "_Cohort") -> None:
        self.cohort = cohort
        by_len: dict[tuple[int, int], dict[int, list[tuple[FibEntry, int]]]] = {}
        for pi, e in cohort.kernel:
            r = e.route
            if r.table != "main" or r.type == "local":
                continue
            dst = r.dst
            d = by_len.setdefault((dst.version, dst.prefixlen), {})
            d.setdefault(int(dst.network_address), []).append((e, pi))
        self._by_fam: dict[int, list[tuple[int, int, dict[int, list[tuple[FibEntry, int]]]]]] = {}
        for (fam, plen), d in sorted(by_len.items(), key=lambda kv: -kv[0][1]):
            bits = 32 if fam == 4 else 128
            mask = ((1 << plen) - 1) << (bits - plen) if plen else 0
            self._by_fam.setdefault(fam, []).append((plen, mask, d))

    def lookup(self, version: int, value: int, member: str | None) -> tuple[FibEntry, int] | None:
        """(template entry, prefix position) for `member` (None: for any member not on its own)."""
        exc = self.cohort.exceptions
        for _, mask, d in self._by_fam.get(version, ()):
            cands = d.get(value & mask)
            if cands:
                if member is not None and exc:
                    cands = [c for c in cands if member not in exc.get(c[1], ())]
                    if not cands:
                        continue
                return cands[0] if len(cands) == 1 else min(cands, key=lambda c: (c[0].route.metric or 0))
        return None


class _HostView:
    """How a host's kernel table is looked up: its own entries (`own`, an Lpm), and for each
    cohort member speaker installing on it, that cohort's shared entries; `rank` orders equal
    prefixes as the materialised table would (non-BGP entries first, then speakers by id)."""

    __slots__ = ("own", "shared", "rank")

    def __init__(self, own: Lpm, shared: list[tuple[SharedLpm, str, int]], rank: dict[str, int]) -> None:
        self.own = own
        self.shared: dict[int, list[tuple[SharedLpm, str, int]]] = {}  # family -> (cohort LPM, member, its rank)
        for x in shared:
            self.shared.setdefault(x[0].cohort.fam, []).append(x)
        self.rank = rank

    def lookup(self, version: int, value: int) -> FibEntry | None:
        e = self.own.lookup(version, value)
        for sl, sid, rk in self.shared.get(version, ()):
            hit = sl.lookup(version, value, sid)
            if hit is None:
                continue
            t = hit[0]
            if e is not None:
                a, b = e.route.dst.prefixlen, t.route.dst.prefixlen
                if a > b or (a == b and (e.route.metric or 0, self.rank.get(e.source, -1)) <= (t.route.metric or 0, rk)):
                    continue
            e = FibEntry(t.route, sid, t.via_host, None, t.why)
        return e


class _Class:
    """Source hosts whose kernel tables, for one family, hold the same routes (`base`: equal in
    what forwarding reads, in the same order) apart from routes no other host of the group has
    (their own: a node's pod CIDR on cilium_host, a host route of its own). For a destination, a
    member whose own routes are all less specific than the base match forwards exactly as the
    representative does, so one walk answers for all of them; the others are set apart and walked
    one by one. Formed over a cohort's members (`cohort`), the tables are the members' own entries,
    which decide alone where the cohort's shared routes have no match."""

    __slots__ = ("rep", "members", "base", "group", "cohort")

    def __init__(self, members: list[str], base: Lpm, group: "_Classes", cohort: SharedLpm | None) -> None:
        self.rep = members[0]
        self.members = members
        self.base = base
        self.group = group
        self.cohort = cohort


class _Classes:
    """The `_Class`es formed over some hosts (see `Forwarder._classes`), `index`: (prefix length, mask,
    masked address -> [(class, host)]) of their members' own routes, longest first; `rest`: the hosts
    walked one by one."""

    __slots__ = ("rest", "classes", "index")

    def __init__(self, rest: list[str]) -> None:
        self.rest = rest
        self.classes: list[_Class] = []
        self.index: list[tuple[int, int, dict[int, list[tuple[_Class, str]]]]] = []

    def near(self, value: int) -> dict[_Class, list[tuple[int, str]]]:
        """Class -> (prefix length, host) of its members' own routes that cover the address `value`."""
        out: dict[_Class, list[tuple[int, str]]] = {}
        for plen, mask, d in self.index:
            for cl, h in d.get(value & mask, ()):
                out.setdefault(cl, []).append((plen, h))
        return out


class Sources:
    """Source hosts for `Forwarder.undelivered_from`, grouped per family by the one cohort whose
    shared kernel routes each follows (`by_cohort`; classes over the members' own routes, for where
    the shared ones have no match, are formed on first use: `own_classes`), the others in classes
    with equal tables apart from their own routes (`loose`, a `_Classes`); `class_of` holds every
    class formed so far by member."""

    def __init__(self, fwd: "Forwarder", names: list[str]) -> None:
        self.fwd = fwd
        self.index = {h: i for i, h in enumerate(names)}
        self.by_cohort: dict[int, dict[SharedLpm, list[str]]] = {}
        self.member_of: dict[int, dict[str, SharedLpm]] = {}
        self.loose: dict[int, _Classes] = {}
        self.class_of: dict[int, dict[str, _Class]] = {}
        self._own: dict[tuple[int, SharedLpm], _Classes] = {}
        for fam in (4, 6):
            hc = fwd._host_cohort.get(fam, _NO_HOSTS)
            groups: dict[SharedLpm, list[str]] = {}
            loose = []
            for h in names:
                sl = hc.get(h)
                if sl is None:
                    loose.append(h)
                else:
                    groups.setdefault(sl, []).append(h)
            self.by_cohort[fam] = groups
            self.member_of[fam] = {h: sl for sl, hs in groups.items() for h in hs}
            self.loose[fam] = g = fwd._classes(loose, fam, None)
            self.class_of[fam] = {h: cl for cl in g.classes for h in cl.members}

    def own_classes(self, fam: int, sl: SharedLpm) -> _Classes:
        """The classes of cohort `sl`'s members here by their own entries (formed once)."""
        g = self._own.get((fam, sl))
        if g is None:
            g = self._own[(fam, sl)] = self.fwd._classes(self.by_cohort[fam][sl], fam, sl)
            self.class_of[fam].update((h, cl) for cl in g.classes for h in cl.members)
        return g


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
    _gw_next: dict[IPAddress, object] = field(default_factory=dict)  # gateway -> what `_next` makes of it

    _view: dict[str, _HostView | None] = field(default_factory=dict)
    _shared: dict[int, SharedLpm] = field(default_factory=dict)
    _index: dict[tuple[int, int], dict[int, set[str]]] | None = None
    _plen: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    _host_cohort: dict[int, dict[str, SharedLpm]] = field(default_factory=dict)  # family -> host -> its one cohort
    _entries: dict[str, list[FibEntry]] = field(default_factory=dict)  # what each host's `_lpm` was built from
    _keyed: dict[tuple[str, int], list[tuple[tuple[object, ...], FibEntry]]] = field(default_factory=dict)
    _cohort_hosts: dict[int, frozenset[str]] = field(default_factory=dict)  # cohort id -> its members' hosts

    def __post_init__(self) -> None:
        fib = self.result.fib
        if not isinstance(fib, Fib) or not fib._cohorts:
            for host, entries in fib.items():
                self._lpm[host] = Lpm(entries)
                self._entries[host] = entries
            return
        # Cohort members' hosts: their own entries in an Lpm, the shared ones looked up once per
        # cohort (see _HostView); every own entry is indexed, to find the hosts it sets apart.
        self._index = {}
        for host in fib:
            own = fib.own_entries(host)
            shared = []
            rank = {sid: i for i, sid in enumerate(fib._order.get(host, ()))}
            for sid in fib._order.get(host, ()):
                for c in fib._cohorts.get(sid, ()):
                    sl = self._shared.get(c.id)
                    if sl is None:
                        sl = self._shared[c.id] = SharedLpm(c)
                    shared.append((sl, sid, rank[sid]))
            lpm = Lpm(own)
            self._lpm[host] = lpm
            self._entries[host] = own
            self._view[host] = view = _HostView(lpm, shared, rank) if shared else None
            if view is not None:
                for fam, sh in view.shared.items():
                    if len(sh) == 1:
                        self._host_cohort.setdefault(fam, {})[host] = sh[0][0]
            for e in own:
                r = e.route
                if r.table != "main" or r.type == "local":
                    continue
                self._index.setdefault((r.dst.version, r.dst.prefixlen), {}).setdefault(
                    int(r.dst.network_address), set()).add(host)
        for fam, plen in self._index:
            bits = 32 if fam == 4 else 128
            self._plen.setdefault(fam, []).append((plen, ((1 << plen) - 1) << (bits - plen) if plen else 0))
        for v in self._plen.values():
            v.sort(reverse=True)

    @property
    def tables(self) -> dict[str, RouteTable]:
        """Each host's kernel table as a `RouteTable` (built on first use)."""
        if self._tables is None:
            self._tables = {host: RouteTable(e.route for e in entries) for host, entries in self.result.fib.items()}
        return self._tables

    def lookup(self, host: str, addr: IPAddress) -> FibEntry | None:
        t = self._view.get(host) or self._lpm.get(host)
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
        of more than MAX_HOPS hosts is not delivered, as in `trace`. Many sources at once: see
        `undelivered_from`."""
        names = list(sources)
        out = self.undelivered_from(dst_prefix, dst_host, Sources(self, names))
        if dst_host in names:  # undelivered_from leaves the destination out
            probe = self._probe_of(dst_prefix)
            memo = self._hosts_to_go.setdefault((id(dst_prefix), dst_host), {})
            if not 0 < self._togo(dst_host, memo, probe[2], probe[3], dst_host) <= MAX_HOPS:
                out.append(dst_host)
                out.sort(key={h: i for i, h in enumerate(names)}.__getitem__)
        return out

    def sources(self, names: Iterable[str]) -> "Sources":
        """`names` prepared for `undelivered_from` (and `stops`): grouped by the cohort each host
        follows and in classes of hosts with alike tables."""
        return Sources(self, list(names))

    def _keys_of(self, host: str, fam: int) -> list[tuple[tuple[object, ...], FibEntry]]:
        """The entries of `host`'s `_lpm` for family `fam` that a lookup can return, each with what
        forwarding reads of it (prefix, metric, type, gateway, device, via host): two entries with
        equal keys are looked up and followed alike from any host (an anycast gateway's owner, which
        depends on the host, is settled per host in `_next`)."""
        got = self._keyed.get((host, fam))
        if got is None:
            got = self._keyed[(host, fam)] = [
                ((int(r.dst.network_address), r.dst.prefixlen, r.metric, r.type, r.gateway, r.dev, e.via_host), e)
                for e in self._entries.get(host, ()) for r in (e.route,)
                if r.table == "main" and r.type != "local" and r.dst.version == fam]
        return got

    def _classes(self, names: list[str], fam: int, cohort: SharedLpm | None) -> _Classes:
        """`names` in classes by their own table (`_lpm`) for `fam`: the hosts looked up in it
        alone, or with `cohort`, that cohort's members (by what they hold besides its shared
        routes). A route is a host's own when no other host of `names` has an equal one; hosts
        with the same other routes, in the same order, form a class (two or more)."""
        if len(names) < 2:
            return _Classes(list(names))
        views = self._view
        keyed: dict[str, list[tuple[tuple[object, ...], FibEntry]]] = {}
        count: dict[tuple[object, ...], int] = {}
        rest: list[str] = []
        for h in names:
            v = views.get(h)
            if (cohort is None and v is not None and fam in v.shared) or h not in self._lpm or h in keyed:
                rest.append(h)
                continue
            ks = keyed[h] = self._keys_of(h, fam)
            for k, _ in ks:
                count[k] = count.get(k, 0) + 1
        g = _Classes(rest)
        if len(keyed) < 2:
            rest += keyed
            return g
        groups: dict[tuple[tuple[object, ...], ...], list[str]] = {}
        for h, ks in keyed.items():
            groups.setdefault(tuple(k for k, _ in ks if count[k] > 1), []).append(h)
        by_len: dict[int, dict[int, list[tuple[_Class, str]]]] = {}
        for members in groups.values():
            if len(members) < 2:
                rest += members
                continue
            cl = _Class(members, Lpm(e for k, e in keyed[members[0]] if count[k] > 1), g, cohort)
            g.classes.append(cl)
            for h in members:
                for k, _ in keyed[h]:
                    if count[k] == 1:
                        by_len.setdefault(k[1], {}).setdefault(k[0], []).append((cl, h))  # type: ignore[arg-type]
        bits = 32 if fam == 4 else 128
        g.index = [(plen, ((1 << plen) - 1) << (bits - plen) if plen else 0, d)
                   for plen, d in sorted(by_len.items(), reverse=True)]
        return g

    def undelivered_from(self, dst_prefix: IPNetwork, dst_host: str, sources: "Sources") -> list[str]:
        """`undelivered(dst_prefix, dst_host, [s for s in sources if s != dst_host])`, in the order
        of `sources`, at the cost of the cohorts and classes plus the hosts set apart: members of a
        cohort or class whose shared route delivers are not visited one by one."""
        probe = self._probe_of(dst_prefix)
        fam, value = probe[2], probe[3]
        memo = self._hosts_to_go.get((id(dst_prefix), dst_host))
        if memo is None:
            memo = self._hosts_to_go[(id(dst_prefix), dst_host)] = {}
        out: list[str] = []
        self._by_class(sources.loose[fam], fam, value, memo, dst_host, out)
        for sl, members in sources.by_cohort[fam].items():
            apart, n0 = self._cohort_togo(sl, fam, value, memo, dst_host)
            if apart is None:  # no shared match: the members' own routes decide, class by class
                self._by_class(sources.own_classes(fam, sl), fam, value, memo, dst_host, out)
                continue
            if n0 is None:  # no shared answer: one by one
                alone = members
            else:
                if not 0 < n0 <= MAX_HOPS:
                    out += [h for h in members if h not in apart]
                alone = [h for h in apart if sources.member_of[fam].get(h) is sl]
            for h in alone:
                if h != dst_host and not 0 < self._togo(h, memo, fam, value, dst_host) <= MAX_HOPS:
                    out.append(h)
        out.sort(key=sources.index.__getitem__)
        return out

    def _by_class(self, g: _Classes, fam: int, value: int, memo: dict[str, int], dst_host: str,
                  out: list[str]) -> None:
        """Add to `out` the hosts of `g` (but `dst_host`) whose packet is not delivered: one walk per
        class, then the members it sets apart and `g.rest` one by one."""
        if g.classes:
            near = g.near(value)
            for cl in g.classes:
                plen, n0 = self._class_togo(cl, fam, value, memo, dst_host)
                apart = {h for pl, h in near.get(cl, ()) if pl >= plen}
                if n0 is None:  # no shared answer: one by one
                    alone: Iterable[str] = cl.members
                else:
                    if not 0 < n0 <= MAX_HOPS:
                        out += [h for h in cl.members if h not in apart and h != dst_host]
                    alone = apart
                for h in alone:
                    if h != dst_host and not 0 < self._togo(h, memo, fam, value, dst_host) <= MAX_HOPS:
                        out.append(h)
        for h in g.rest:
            if h != dst_host and not 0 < self._togo(h, memo, fam, value, dst_host) <= MAX_HOPS:
                out.append(h)

    def _cohort_togo(self, sl: SharedLpm, fam: int, value: int, memo: dict[str, int],
                     dst_host: str) -> tuple[set[str] | None, int | None]:
        """(hosts set apart, hosts to delivery from any other member of the cohort, or None when
        members cannot share an answer): set apart are the members on their own for the matching
        prefix, the cohort's hosts with an own route at least as specific, and the destination. (None, None)
        when the shared routes have no match: each member's own routes decide."""
        hit = sl.lookup(fam, value, None)
        if hit is None:
            return None, None
        t, pi = hit
        c = sl.cohort
        apart = {c.host_of[sid] for sid in c.exceptions.get(pi, ())}
        apart.add(dst_host)
        plen = t.route.dst.prefixlen
        mine = self._cohort_hosts.get(c.id)
        if mine is None:
            mine = self._cohort_hosts[c.id] = frozenset(c.host_of.values())
        for pl, mask in self._plen.get(fam, ()):
            if pl < plen:
                break
            hosts = self._index.get((fam, pl), {}).get(value & mask)  # type: ignore[union-attr]
            if hosts:  # only the cohort's own hosts matter to the caller (routers hold every prefix)
                apart |= mine & hosts
        nxt = self._next_of.get(id(t.route))
        if nxt is None or t.via_host is not None:
            nxt = self._next(c.host_of[c.rep], t)
        if nxt is _ANYCAST:
            return apart, None
        if nxt is True or nxt is False:
            return apart, 0  # own pods on cilium_host (not the destination: it is set apart), or dropped
        n = self._togo(nxt, memo, fam, value, dst_host)  # type: ignore[arg-type]
        return apart, (n + 1 if n else 0)

    def _class_togo(self, cl: _Class, fam: int, value: int, memo: dict[str, int],
                    dst_host: str) -> tuple[int, int | None]:
        """(length of the base match, 0 without one; hosts to delivery from any member whose own
        routes are less specific, or None when members cannot share an answer: an anycast gateway).
        A member on the walk from the next host would loop back to it, so the walk does not deliver
        and the shared answer (0) holds for it too; the destination itself is never asked."""
        b = cl.base.lookup(fam, value)
        if b is None:
            return 0, 0
        plen = b.route.dst.prefixlen
        nxt = self._next_of.get(id(b.route))
        if nxt is None or b.via_host is not None:
            nxt = self._next(cl.rep, b)
        if nxt is _ANYCAST:
            return plen, None
        if nxt is True or nxt is False:
            return plen, 0  # own pods on cilium_host (members are not the destination), or dropped
        n = self._togo(nxt, memo, fam, value, dst_host)  # type: ignore[arg-type]
        return plen, (n + 1 if n else 0)

    def _togo(self, src: str, memo: dict[str, int], fam: int, value: int, dst_host: str) -> int:
        """Hosts on the walk from `src` to the host that delivers (0: not delivered); hosts after
        the first are memoised."""
        lpms = self._lpm
        views = self._view
        nxt_of = self._next_of
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
            lpm = (views.get(host) if views else None) or lpms.get(host)
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
        return n

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
        gw = r.gateway
        if gw is None:
            return False
        out = self._gw_next.get(gw)
        if out is None:  # the gateway's one owner, False when no host has it, _ANYCAST for several
            owners = self.net.owners(gw)
            out = self._gw_next[gw] = _ANYCAST if len(owners) > 1 else (owners[0] if owners else False)
        self._next_of[id(r)] = out
        self._keep.append(r)
        return out

    def stops(self, dst_prefix: IPNetwork, dst_host: str, sources: Iterable[str],
              grouped: Sources | None = None) -> dict[str, tuple[str, IPAddress | None]]:
        """For sources whose packet to `dst_prefix` is not delivered: (the host where it stops, the gateway
        it is sent to there when no host of the snapshot has it, else None). One lookup per host on the
        walks, remembered per prefix: the three-valued check asks it for every lost pair. With `grouped`
        (a `sources(...)` holding the hosts), a class member not set apart takes its class's base match
        instead of a lookup of its own (the same route in all that forwarding reads; for a cohort's
        classes, where the cohort's shared routes have no match)."""
        probe = self._probe_of(dst_prefix)
        fam, value = probe[2], probe[3]
        class_of = grouped.class_of[fam] if grouped is not None else {}
        member_of = grouped.member_of[fam] if grouped is not None else {}
        misses: dict[SharedLpm, bool] = {}  # cohort -> its shared routes have no match
        nears: dict[_Classes, dict[_Class, list[tuple[int, str]]]] = {}
        # class -> (base match, members set apart, the next host from the others or None)
        matched: dict[_Class, tuple[FibEntry | None, set[str], str | None]] = {}

        def klass(host: str) -> _Class | None:
            """The class whose base match stands for `host`'s lookup (None: look it up)."""
            sl = member_of.get(host)
            if sl is not None:
                miss = misses.get(sl)
                if miss is None:
                    miss = misses[sl] = sl.lookup(fam, value, None) is None
                    if miss:
                        grouped.own_classes(fam, sl)  # type: ignore[union-attr]
                if not miss:
                    return None
            return class_of.get(host)

        def match(cl: _Class) -> tuple[FibEntry | None, set[str], str | None]:
            near = nears.get(cl.group)
            if near is None:
                near = nears[cl.group] = cl.group.near(value)
            b = cl.base.lookup(fam, value)
            plen = b.route.dst.prefixlen if b is not None else 0
            x = None
            if b is not None:
                x = self._next_of.get(id(b.route))
                if x is None or b.via_host is not None:
                    x = self._next(cl.rep, b)
            got = matched[cl] = (b, {h for pl, h in near.get(cl, ()) if pl >= plen},
                                 x if isinstance(x, str) else None)
            return got

        memo: dict[str, tuple[str, IPAddress | None]] = {}
        out: dict[str, tuple[str, IPAddress | None]] = {}
        for src in sources:
            cl = klass(src) if grouped is not None and src not in memo else None
            if cl is not None:
                got = matched.get(cl) or match(cl)
                if src in got[1]:
                    cl = None
                elif got[2] is not None and got[2] in memo:
                    out[src] = memo[src] = memo[got[2]]  # its one step leads to a host already walked
                    continue
            path: list[str] = []
            host = src
            res: tuple[str, IPAddress | None] | None = None
            while res is None:
                if host in memo:
                    res = memo[host]
                    break
                if host in path or len(path) > MAX_HOPS:
                    res = (host, None)  # a loop or too many hops: it stops here
                    break
                if path and grouped is not None:  # (the source's class is settled above)
                    cl = klass(host)
                    if cl is not None:
                        got = matched.get(cl) or match(cl)
                        if host in got[1]:
                            cl = None
                path.append(host)
                if cl is not None:
                    e = got[0]
                else:
                    lpm = self._view.get(host) or self._lpm.get(host)
                    e = lpm.lookup(fam, value) if lpm is not None else None
                if e is None:
                    res = (host, None)
                    break
                nxt = self._next_of.get(id(e.route))
                if nxt is None or e.via_host is not None:
                    nxt = self._next(host, e)
                if nxt is _ANYCAST:
                    nxt = self.net.owner(e.route.gateway, near=host)  # type: ignore[arg-type]
                if nxt is True or nxt is False or nxt is None:
                    gw = e.route.gateway
                    outside = gw if (nxt is False and gw is not None and e.route.type == "unicast"
                                     and e.via_host is None and not self.net.owners(gw)) else None
                    res = (host, outside)
                    break
                host = nxt  # type: ignore[assignment]
            for h in path:
                memo[h] = res
            out[src] = res
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
        lpm = self._view.get(host) or self._lpm.get(host)
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
