"""Ask the real daemons what a policy does to a batch of routes.

`probe_frr_policy` and `probe_bird_filter` run the daemon under test in a lab
namespace with the caller's policy text, advertise every route over a real BGP
session from a feeder, and read back which prefixes were accepted and with
which attributes, as the daemon shows them.

The feeder is BIRD 2 (same generation as the target): one config file holds
hundreds of routes (a static blackhole per prefix) and the BGP export filter
sets each route's attributes. Attributes set in an export filter are "fresh",
so BIRD sends them as set, including MED and a third-party next hop over eBGP
(proto/bgp/attrs.c, packets.c bgp_use_next_hop). The wire rules still apply:

* eBGP: the received AS_PATH starts with the feeder's AS. A route whose
  `as_path` is non-empty is sent by a feeder whose AS is the path's first ASN
  (one BGP session per distinct first ASN); an empty path is sent by `peer_as`
  and arrives as `peer_as`. LOCAL_PREF is not sent (use `ibgp=True`).
* iBGP (`ibgp=True`): one feeder in the target's AS; the path arrives as given
  and LOCAL_PREF is sent.
* Not expressible through BIRD's filter language, so rejected with ValueError:
  AS_SET segments, ATOMIC_AGGREGATE, ORIGINATOR_ID/CLUSTER_LIST. The IPv6
  link-local next hop is the feeder's own (BIRD adds it when it is the next hop).
* A next hop must lie in the probe subnet (PROBE_NET4/PROBE_NET6, e.g.
  fd00:ff::99) to be valid for a single-hop eBGP session. FRR keeps other next
  hops as invalid paths (returned with extra `valid=false`); BIRD would drop
  them before its import filter, so `probe_bird_filter` refuses them.
* eBGP routes whose AS_PATH contains the target's AS further on are dropped by
  the target's loop check before any policy, as on a real session; a path
  *starting* with the target's AS cannot arrive over eBGP (ValueError).

Each feeder session has its own address pair (BIRD runs one BGP protocol per
neighbor address), so up to MAX_SESSIONS distinct first ASNs per probe.
A probe of 200 routes takes about 2 s (FRR) / 1.5 s (BIRD) on either generation.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from podpath.routing.route import IPNetwork, Route

from .daemons import BirdInstance, FrrInstance
from .errors import ConvergenceTimeout
from .netns import LabNetwork
from .parsers import bird_route_counts
from .rootfs import DaemonGeneration, resolve_generation

Afi = Literal["ipv4", "ipv6"]

PROBE_NET4 = ipaddress.ip_network("10.255.0.0/24")
PROBE_NET6 = ipaddress.ip_network("fd00:ff::/64")
COLLECT_NET4 = ipaddress.ip_network("10.255.1.0/24")
COLLECT_NET6 = ipaddress.ip_network("fd00:ff:1::/64")
FEEDER_PREFIX = "pp_feed"
COLLECTOR_PROTO = "pp_collect"
MAX_SESSIONS = 120


@dataclass
class _Group:
    """One feeder BGP session: its AS, its address and the routes it sends."""

    index: int
    asn: int
    routes: list[Route] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{FEEDER_PREFIX}{self.index}"

    def addr(self, afi: Afi) -> str:
        """The feeder's address of this session."""
        if afi == "ipv4":
            return str(PROBE_NET4.network_address + 128 + self.index)
        return str(PROBE_NET6.network_address + 0x1000 + self.index)

    def target_addr(self, afi: Afi) -> str:
        """The target's address of this session: BIRD allows one BGP protocol per
        neighbor address, so every session needs its own address pair."""
        net = PROBE_NET4 if afi == "ipv4" else PROBE_NET6
        return str(net.network_address + 1 + self.index)


def _collect_addrs(afi: Afi) -> tuple[str, str]:
    net = COLLECT_NET4 if afi == "ipv4" else COLLECT_NET6
    return str(net.network_address + 1), str(net.network_address + 2)


def _plen(afi: Afi) -> int:
    return 24 if afi == "ipv4" else 64


# --- validation and grouping ---------------------------------------------------------------


def _validate(routes: Sequence[Route], afi: Afi) -> None:
    version = 4 if afi == "ipv4" else 6
    seen: set[IPNetwork] = set()
    for r in routes:
        if r.prefix.version != version:
            raise ValueError(f"{r.prefix}: not an {afi} prefix")
        if r.prefix in seen:
            raise ValueError(f"{r.prefix}: listed twice (one path per prefix per probe)")
        seen.add(r.prefix)
        if any(s.set_ for s in r.as_path.segments):
            raise ValueError(f"{r.prefix}: AS_SET cannot be originated by the BIRD feeder")
        if r.atomic_aggregate or r.originator_id or r.cluster_list:
            raise ValueError(f"{r.prefix}: ATOMIC_AGGREGATE/ORIGINATOR_ID/CLUSTER_LIST not supported")
        if r.next_hop is not None and r.next_hop.version != version:
            raise ValueError(f"{r.prefix}: next hop {r.next_hop} is not {afi}")


def _groups(routes: Sequence[Route], *, local_as: int, peer_as: int, ibgp: bool) -> list[_Group]:
    by_as: dict[int, _Group] = {}
    for r in routes:
        asn = local_as if ibgp else (r.as_path.first or peer_as)
        if not ibgp and asn == local_as:
            raise ValueError(f"{r.prefix}: an eBGP path cannot start with the target's AS {local_as}")
        if asn not in by_as:
            by_as[asn] = _Group(len(by_as), asn)
        by_as[asn].routes.append(r)
    if len(by_as) > MAX_SESSIONS:
        raise ValueError(f"more than {MAX_SESSIONS} distinct first ASNs in one probe")
    return list(by_as.values())


# --- the feeder ------------------------------------------------------------------------------


def bird_attr_statements(route: Route, *, strip_first: bool, ibgp: bool) -> list[str]:
    """BIRD filter statements that give an exported route `route`'s attributes."""
    out = [f"bgp_origin = ORIGIN_{route.origin.name};"]
    asns = list(route.as_path.asns())
    if strip_first and asns:
        asns = asns[1:]  # the eBGP feeder prepends its own AS, which is asns[0]
    out += [f"bgp_path.prepend({a});" for a in reversed(asns)]
    out += [f"bgp_community.add(({a},{b}));" for a, b in sorted(route.communities)]
    out += [f"bgp_large_community.add(({a},{b},{c}));" for a, b, c in sorted(route.large_communities)]
    out += [f"bgp_ext_community.add(({e.kind}, {e.admin}, {e.value}));" for e in sorted(route.ext_communities)]
    if route.med is not None:
        out.append(f"bgp_med = {route.med};")
    if ibgp and route.local_pref is not None:
        out.append(f"bgp_local_pref = {route.local_pref};")
    if route.next_hop is not None:
        out.append(f"bgp_next_hop = {route.next_hop};")
    return out


def feeder_config(groups: Sequence[_Group], *, afi: Afi, target_as: int, ibgp: bool) -> str:
    """bird.conf of the feeder: static routes + one export filter and session per group."""
    lines = ["router id 10.255.255.2;", "protocol device {}", f"protocol static pp_routes {{ {afi};"]
    lines += [f"  route {r.prefix} blackhole;" for g in groups for r in g.routes]
    lines.append("}")
    for g in groups:
        lines.append(f"filter pp_out{g.index} {{")
        for r in g.routes:
            body = " ".join(bird_attr_statements(r, strip_first=not ibgp, ibgp=ibgp))
            lines.append(f"  if net = {r.prefix} then {{ {body} accept; }}")
        lines += ["  reject;", "}"]
        lines += [f"protocol bgp {g.name} {{",
                  f"  local {g.addr(afi)} as {g.asn}; neighbor {g.target_addr(afi)} as {target_as};",
                  "  connect delay time 1; connect retry time 1; error wait time 1, 5;",
                  f"  {afi} {{ import none; export filter pp_out{g.index}; }};", "}"]
    return "\n".join(lines) + "\n"


def _collector_config(*, afi: Afi, target_as: int, collector_as: int) -> str:
    target, own = _collect_addrs(afi)
    return (f"router id 10.255.255.3;\nprotocol device {{}}\n"
            f"protocol bgp {COLLECTOR_PROTO} {{\n  local {own} as {collector_as}; "
            f"neighbor {target} as {target_as};\n  connect delay time 1; connect retry time 1;\n"
            f"  {afi} {{ import all; export none; }};\n}}\n")


# --- lab plumbing shared by both probes ----------------------------------------------------


def _build_lab(lab: LabNetwork, groups: Sequence[_Group], afi: Afi, collector: bool) -> None:
    target, feed = lab.add_host("target"), lab.add_host("feed")
    lab.connect_p2p(target, "eth0", feed, "eth0", [f"{g.target_addr(afi)}/{_plen(afi)}" for g in groups],
                    [f"{g.addr(afi)}/{_plen(afi)}" for g in groups])
    if collector:
        coll = lab.add_host("collect")
        t_addr, c_addr = _collect_addrs(afi)
        lab.connect_p2p(target, "eth1", coll, "eth0", [f"{t_addr}/{_plen(afi)}"], [f"{c_addr}/{_plen(afi)}"])


def _wait(what: str, check: Any, bound: float, poll: float = 0.1) -> None:
    deadline = time.monotonic() + bound
    while not check():
        if time.monotonic() > deadline:
            raise ConvergenceTimeout(f"probe: {what} not reached within {bound:g} s")
        time.sleep(poll)


def _feeder_done(feeder: BirdInstance, groups: Sequence[_Group], afi: Afi) -> bool:
    """Every feeder session is up and has exported all of its routes."""
    protos = feeder.protocols()
    for g in groups:
        p = protos.get(g.name, {})
        counts = bird_route_counts(p.get("channels", {}).get(afi, {}).get("routes", ""))
        if not p.get("info", "").startswith("Established") or counts.get("exported") != len(g.routes):
            return False
    return True


def _stable(read: Any, quiet: float, bound: float, poll: float = 0.15) -> Any:
    """Call `read()` until it returns the same value for `quiet` seconds; return it."""
    start = time.monotonic()
    last, since = read(), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() - start > bound:
            raise ConvergenceTimeout(f"probe: tables still changing after {bound:g} s")
        time.sleep(poll)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
    return last


def _result(routes: Sequence[Route], got: dict[IPNetwork, Route]) -> dict[IPNetwork, Route | None]:
    return {r.prefix: got.get(r.prefix) for r in routes}


# --- FRR ------------------------------------------------------------------------------------


def frr_probe_config(policy: str, groups: Sequence[_Group], *, route_map: str, direction: str,
                     afi: Afi, local_as: int, collector_as: int) -> str:
    """The caller's policy text followed by the probe's own `router bgp` section."""
    lines = [policy.rstrip("\n"), "!", f"router bgp {local_as}", " bgp router-id 10.255.255.1",
             " no bgp ebgp-requires-policy", " no bgp default ipv4-unicast"]
    peers = [(g.addr(afi), g.asn, g.target_addr(afi)) for g in groups]
    coll = _collect_addrs(afi)[1] if direction == "out" else None
    if coll:
        peers.append((coll, collector_as, _collect_addrs(afi)[0]))
    for addr, asn, source in peers:
        lines += [f" neighbor {addr} remote-as {asn}", f" neighbor {addr} shutdown",
                  f" neighbor {addr} update-source {source}",
                  f" neighbor {addr} timers connect 1", f" neighbor {addr} advertisement-interval 0"]
    lines.append(f" address-family {afi} unicast")
    for g in groups:
        addr = g.addr(afi)
        lines += [f"  neighbor {addr} activate", f"  neighbor {addr} soft-reconfiguration inbound"]
        if direction == "in":
            lines.append(f"  neighbor {addr} route-map {route_map} in")
    if coll:
        lines += [f"  neighbor {coll} activate", f"  neighbor {coll} route-map {route_map} out"]
    # Sessions start only once fully configured (otherwise FRR's first OPEN
    # lacks the address family, BIRD refuses it and FRR's idle-hold delays).
    # The collector stays down until FRR holds every route: its first full
    # update then ends with End-of-RIB, which tells when the output is complete.
    lines += [" exit-address-family"] + [f" no neighbor {a} shutdown" for a, _, _ in peers if a != coll]
    lines += ["exit", ""]
    return "\n".join(lines)


def _frr_received(frr: FrrInstance, groups: Sequence[_Group], afi: Afi) -> bool:
    """FRR holds every sent route in Adj-RIB-In (soft-reconfiguration inbound)."""
    for g in groups:
        data = frr.vtysh_json(f"show bgp {afi} unicast neighbors {g.addr(afi)} received-routes json")
        if int(data.get("totalPrefixCounter", 0)) != len(g.routes):
            return False
    return True


def probe_frr_policy(frr_config: str, routes: Sequence[Route], *, afi: Afi, route_map: str,
                     direction: Literal["in", "out"] = "in", daemons: str | DaemonGeneration = "host",
                     local_as: int = 65001, peer_as: int = 65002, ibgp: bool = False,
                     collector_as: int = 65099, timeout: float = 120.0, settle: float = 30.0,
                     quiet: float = 0.5, info: dict[str, Any] | None = None) -> dict[IPNetwork, Route | None]:
    """Apply FRR route-map `route_map` (defined in `frr_config`) to `routes`; return the survivors.

    `frr_config` holds policy objects only (route-maps, prefix-lists, community
    lists, `frr defaults`, ...); the probe appends the `router bgp` section.
    `direction="in"`: the map is the feeder neighbors' inbound route-map and the
    result is FRR's BGP table entry (`show bgp ... json detail`). `"out"`: FRR
    accepts the routes without policy and applies the map outbound to an eBGP
    collector (AS `collector_as`, BIRD); the result is what the collector
    received, i.e. after FRR's outbound processing (own AS prepended, next hop
    self, MED/LOCAL_PREF rules; BIRD shows its default local_pref 100).
    Rejected prefixes map to None; a path FRR keeps but cannot use (e.g. a
    next hop off the link) is returned with extra `valid=false`.

    `timeout` bounds the whole run (LabTimeout), `settle` each wait for
    sessions and routes (ConvergenceTimeout), `quiet` is the time tables must
    stay unchanged before they are read.
    """
    if re.search(r"^\s*router bgp\b", frr_config, re.M):
        raise ValueError("frr_config must not contain `router bgp` (the probe writes it)")
    if direction not in ("in", "out"):
        raise ValueError("direction must be 'in' or 'out'")
    _validate(routes, afi)
    gen = resolve_generation(daemons)
    groups = _groups(routes, local_as=local_as, peer_as=peer_as, ibgp=ibgp)
    t0 = time.monotonic()
    with LabNetwork("probe-frr", timeout=timeout) as lab:
        _build_lab(lab, groups, afi, collector=direction == "out")
        feeder = BirdInstance(lab.hosts["feed"], feeder_config(groups, afi=afi, target_as=local_as, ibgp=ibgp),
                              name="feed", daemons=gen).start()
        collector = None
        if direction == "out":
            collector = BirdInstance(lab.hosts["collect"], _collector_config(
                afi=afi, target_as=local_as, collector_as=collector_as), name="collect", daemons=gen).start()
        config = frr_probe_config(frr_config, groups, route_map=route_map, direction=direction, afi=afi,
                                  local_as=local_as, collector_as=collector_as)
        frr = FrrInstance(lab.hosts["target"], config, name="target", daemons=gen).start()
        t_up = time.monotonic()
        _wait("feeder sessions up and all routes exported", lambda: _feeder_done(feeder, groups, afi), settle)
        _wait("FRR received every route", lambda: _frr_received(frr, groups, afi), settle)
        if collector is None:
            feeders = {ipaddress.ip_address(g.addr(afi)) for g in groups}
            paths = _stable(lambda: frr.bgp_routes(afi), quiet, settle)
            got = {r.prefix: r for r in paths if r.peer in feeders}
        else:
            got = _collect_outbound(frr, collector, afi=afi, local_as=local_as, quiet=quiet, bound=settle)
        if info is not None:
            info.update(versions={"frr": frr.version(), "bird": feeder.version()}, run_id=lab.run_id,
                        seconds_total=time.monotonic() - t0, seconds_after_start=time.monotonic() - t_up,
                        feeder_sessions=len(groups), config=config)
    return _result(routes, got)


def _collect_outbound(frr: FrrInstance, collector: BirdInstance, *, afi: Afi, local_as: int,
                      quiet: float, bound: float) -> dict[IPNetwork, Route]:
    """Open the collector session once FRR's table is complete; read what arrived."""
    _stable(lambda: frr.bgp_table(afi), quiet, bound)
    peer = _collect_addrs(afi)[1]
    frr.vtysh("configure terminal", f"router bgp {local_as}", f"no neighbor {peer} shutdown")
    af = f"{afi}Unicast"

    def eor_sent() -> bool:
        info = frr.vtysh_json(f"show bgp neighbors {peer} json").get(peer, {})
        status = info.get("gracefulRestartInfo", {}).get(af, {}).get("endOfRibStatus", {})
        return info.get("bgpState") == "Established" and bool(status.get("endOfRibSentAfterUpdate"))

    _wait("FRR sent its table and End-of-RIB to the collector", eor_sent, bound)
    sent = int(frr.vtysh_json(f"show bgp {afi} unicast summary json").get("peers", {}).get(peer, {}).get("pfxSnt", 0))

    def received() -> bool:
        chan = collector.protocols().get(COLLECTOR_PROTO, {}).get("channels", {}).get(afi, {})
        words = chan.get("import_updates", "").split()
        return bool(words) and words[0].isdigit() and int(words[0]) >= sent

    _wait("collector received every advertised route", received, bound)
    paths = _stable(lambda: collector.routes("protocol", COLLECTOR_PROTO), quiet, bound)
    return {r.prefix: r for r in paths}


# --- BIRD ------------------------------------------------------------------------------------


def bird_probe_config(defs: str, filter_expr: str, groups: Sequence[_Group], *, afi: Afi,
                      local_as: int) -> str:
    """The caller's definitions plus one BGP protocol per feeder session importing through the filter."""
    expr = filter_expr.strip().rstrip(";")
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", expr) and expr not in ("all", "none"):
        expr = f"filter {expr}"
    lines = []
    if not re.search(r"^\s*router id\b", defs, re.M):
        lines.append("router id 10.255.255.1;")
    lines += ["protocol device pp_device {}", defs.rstrip("\n")]
    for g in groups:
        lines += [f"protocol bgp {g.name} {{",
                  f"  local {g.target_addr(afi)} as {local_as}; neighbor {g.addr(afi)} as {g.asn};",
                  "  connect delay time 1; connect retry time 1; error wait time 1, 5;",
                  f"  {afi} {{ import {expr}; export none; }};", "}"]
    return "\n".join(lines) + "\n"


def _bird_received(bird: BirdInstance, groups: Sequence[_Group], afi: Afi) -> bool:
    """The target has processed an import update for every route each feeder sent."""
    protos = bird.protocols()
    for g in groups:
        chan = protos.get(g.name, {}).get("channels", {}).get(afi, {})
        got = sum(_first_int(chan.get(k, "")) for k in ("import_updates", "import_withdraws"))
        if got < len(g.routes):
            return False
    return True


def _first_int(text: str) -> int:
    """First column ("received") of a BIRD `Route change stats` row."""
    words = text.split()
    return int(words[0]) if words and words[0].isdigit() else 0


def probe_bird_filter(bird_defs: str, filter_expr: str, routes: Sequence[Route], *, afi: Afi,
                      daemons: str | DaemonGeneration = "host", local_as: int = 65001,
                      peer_as: int = 65002, ibgp: bool = False, timeout: float = 120.0,
                      settle: float = 30.0, quiet: float = 0.3,
                      info: dict[str, Any] | None = None) -> dict[IPNetwork, Route | None]:
    """Import `routes` over BGP into BIRD through `filter_expr`; return the accepted ones.

    `bird_defs` holds the caller's functions, filters, defines (and optionally
    `router id`). `filter_expr` is what follows `import` in a channel: a filter
    name, `filter { ... }`, `where <expr>`, `all` or `none`. The returned routes
    are `birdc show route all` of the feeder protocols (BGP attributes as BIRD
    shows them, e.g. local_pref 100 on eBGP). Rejected prefixes map to None.

    A NEXT_HOP that is not on the probe link would make BIRD discard the route
    before the import filter runs ("Invalid NEXT_HOP", treat-as-withdraw), so
    such routes are refused with ValueError instead of being reported as
    rejected by the filter.
    """
    _validate(routes, afi)
    net = PROBE_NET4 if afi == "ipv4" else PROBE_NET6
    own = {net.network_address + 1 + i for i in range(MAX_SESSIONS)}  # the target's addresses
    for r in routes:
        if r.next_hop is not None and (r.next_hop not in net or r.next_hop in own):
            raise ValueError(f"{r.prefix}: next hop {r.next_hop} is not a neighbour on the probe link {net} "
                             f"(use e.g. {net.network_address + 0x99}); BIRD would drop the route before its "
                             "import filter")
    gen = resolve_generation(daemons)
    groups = _groups(routes, local_as=local_as, peer_as=peer_as, ibgp=ibgp)
    t0 = time.monotonic()
    with LabNetwork("probe-bird", timeout=timeout) as lab:
        _build_lab(lab, groups, afi, collector=False)
        config = bird_probe_config(bird_defs, filter_expr, groups, afi=afi, local_as=local_as)
        target = BirdInstance(lab.hosts["target"], config, name="target", daemons=gen).start()
        feeder = BirdInstance(lab.hosts["feed"], feeder_config(groups, afi=afi, target_as=local_as, ibgp=ibgp),
                              name="feed", daemons=gen).start()
        t_up = time.monotonic()
        _wait("feeder sessions up and all routes exported", lambda: _feeder_done(feeder, groups, afi), settle)
        _wait("BIRD processed every route", lambda: _bird_received(target, groups, afi), settle)
        table = "master4" if afi == "ipv4" else "master6"
        paths = _stable(lambda: target.routes("table", table), quiet, settle)
        got = {r.prefix: r for r in paths if (r.source_name or "").startswith(FEEDER_PREFIX)}
        if info is not None:
            info.update(versions={"bird": target.version()}, run_id=lab.run_id, config=config,
                        seconds_total=time.monotonic() - t0, seconds_after_start=time.monotonic() - t_up,
                        feeder_sessions=len(groups))
    return _result(routes, got)
