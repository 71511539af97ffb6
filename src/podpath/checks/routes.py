"""Routes to remote pod CIDRs in native routing (reference: cilium-datapath.md 4, 7 CIL-004..008, 022)."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from podpath.checks.base import CheckContext, Finding, Fix, family_name, rule
from podpath.model.cluster import Host, KernelRoute, Node

_CLOUD_IPAM = {"eni", "azure", "alibabacloud"}


def _remote_pod_routes(ctx: CheckContext, fam: int) -> dict[str, list[tuple[Node, object, KernelRoute | None]]]:
    """For each host with a route dump: every remote node's pod CIDR and the route that covers it."""
    out: dict[str, list[tuple[Node, object, KernelRoute | None]]] = {}
    for host in sorted(ctx.cluster.hosts.values(), key=lambda h: h.name):
        if host.routes is None or host.name not in ctx.cluster.nodes or fam not in _dump_families(host):
            continue
        rows = []
        for node in sorted(ctx.cluster.nodes.values(), key=lambda n: n.name):
            if node.name == host.name:
                continue
            for cidr in node.pod_cidrs_of(fam):
                rows.append((node, cidr.value, host.routes.covering(cidr.value)))
        out[host.name] = rows
    return out


def _forwarder(ctx: CheckContext) -> object | None:
    """The simulated forwarding of the whole snapshot, when it holds routing daemons (a default gateway of the
    snapshot that learns the pod CIDRs over BGP routes them: the default route is then enough)."""
    snap = ctx.snap
    if not snap.routers or not snap.has_control_plane:
        return None
    from podpath.routing.reach import Forwarder

    return Forwarder(snap.simulate(), snap.control_plane().network)


def _dump_families(host: Host) -> set[int]:
    return host.routes.families() if host.routes is not None else set()


def _routing_daemons(ctx: CheckContext) -> list[str]:
    return sorted({getattr(r, "file", None) or getattr(r, "source", "router") for r in ctx.snap.routers})


@rule("RT001", "native-routing-no-route-source", "error", "Native routing with nothing that routes remote pod CIDRs")
def no_route_source(ctx: CheckContext) -> Iterator[Finding]:
    """In native routing mode Cilium hands cross-node pod packets to the Linux routing table (or to the FIB via
    BPF host routing). Something must install a route to every remote node's pod CIDR: `autoDirectNodeRoutes`
    (nodes on one L2 segment), a routing daemon on the node (BIRD/FRR exporting to the kernel), or an upstream
    router that knows the pod CIDRs via the default route. Cilium's BGP Control Plane only advertises; it never
    installs received routes. Route dumps, when present, are the evidence; without them and without any routing
    daemon configuration in the snapshot, nothing is known to install the routes — unless every node has a
    configured default route (podpath.yaml `hosts.<name>.routes`, Talos, netplan, ifupdown): then the answer
    depends on that gateway, a router outside the snapshot, and is unknown (info), not an error."""
    c = ctx.cilium
    if not c.present or not c.native_routing or c.auto_direct_node_routes or c.ipam_mode in _CLOUD_IPAM:
        return
    for fam in ctx.families():
        nodes = [n for n in ctx.cluster.nodes.values() if n.pod_cidrs_of(fam)]
        if not ctx.cluster.nodes:
            ctx.not_checked(f"what routes remote {family_name(fam)} pod CIDRs in native routing",
                            "no Kubernetes Node (or CiliumNode) objects in the snapshot, so no pod CIDRs to route")
        if len(nodes) < 2:
            continue
        bgp = c.flag("enable-bgp-control-plane")
        base_ev = [ctx.describe_setting("routing-mode"), ctx.describe_setting("auto-direct-node-routes")]
        if bgp:
            base_ev.append(ctx.describe_setting("enable-bgp-control-plane") + ": Cilium's BGP Control Plane "
                           "advertises pod CIDRs but its GoBGP import policy rejects every received route and it "
                           "never programs the kernel (docs; pkg/bgp/gobgp/server.go)")
        dumps = _remote_pod_routes(ctx, fam)
        fix = ctx.fix_setting("auto-direct-node-routes", "true",
                              "If every node shares one L2 segment, enable autoDirectNodeRoutes; otherwise run a routing "
                              "daemon that installs remote pod CIDRs into each node's kernel table (e.g. BIRD with a "
                              "`kernel` protocol exporting BGP routes), or use tunnel mode")
        if dumps:
            missing: dict[str, list[str]] = defaultdict(list)
            via_default: dict[str, list[str]] = defaultdict(list)
            fwd = _forwarder(ctx)
            for host, rows in dumps.items():
                for node, cidr, route in rows:
                    if route is None:
                        missing[host].append(f"{cidr} ({node.name})")
                    elif route.dst.prefixlen == 0:
                        if fwd is not None and fwd.delivered(host, cidr, node.name):
                            continue  # the default gateway is in the snapshot and routes the pod CIDR (simulated)
                        via_default[host].append(f"{cidr} ({node.name}) -> {route.describe()}")
            for host in sorted(set(missing) | set(via_default)):
                ev = list(base_ev)
                files = ", ".join(ctx.cluster.hosts[host].route_files)
                if missing[host]:
                    ev.append(f"route dump of {host} ({files}) has no route at all for: {', '.join(missing[host])}; "
                              "BPF host routing hands such packets to the stack (`to-stack`) and the kernel rejects them")
                if via_default[host]:
                    ev.append(f"route dump of {host} ({files}) covers only by the default route: "
                              f"{'; '.join(via_default[host])}; Hubble shows `to-network FORWARDED` and the packets go "
                              "to the default gateway, which must know the pod CIDRs")
                sev = "error" if missing[host] else "warning"
                yield ctx.finding(f"{family_name(fam).lower()}:{host}",
                                  f"{host} has no {family_name(fam)} route to "
                                  f"{len(missing[host]) + len(via_default[host])} remote pod CIDR(s) other than "
                                  f"{'nothing' if missing[host] and not via_default[host] else 'the default route'}, "
                                  "and autoDirectNodeRoutes is off.",
                                  locations=ctx.setting_locs("routing-mode", "auto-direct-node-routes")
                                  + [r.loc for _, _, r in dumps[host] if r is not None and r.dst.prefixlen == 0][:1],
                                  evidence=ev, fix=fix, severity=sev)
            continue
        if ctx.snap.routers:
            continue  # routing daemons present: the BGP simulation decides (podpath routes / explain)
        defaults = {}
        for n in nodes:  # a configured default route hands remote pod traffic to a gateway outside the snapshot
            h = ctx.cluster.hosts.get(n.name)
            d = next((r for r in (h.static_routes if h is not None else []) if r.dst.prefixlen == 0
                      and r.dst.version == fam and r.type == "unicast"), None)
            if d is None:
                break
            defaults[n.name] = d
        else:
            gws = sorted({str(r.gateway or r.dev) for r in defaults.values()})
            why = (f"every node sends {family_name(fam)} traffic for remote pod CIDRs to its default gateway "
                   f"({', '.join(gws[:4])}{' ...' if len(gws) > 4 else ''}), a router outside the snapshot")
            ctx.not_checked(f"{family_name(fam)} routes to remote pod CIDRs", why)
            yield ctx.finding(f"{family_name(fam).lower()}:default-gateway",
                              f"Native routing without autoDirectNodeRoutes: {why}; whether it knows the pod CIDRs "
                              "is unknown.", severity="info",
                              locations=ctx.setting_locs("routing-mode", "auto-direct-node-routes")
                              + [r.loc for r in defaults.values()][:3],
                              evidence=base_ev + [f"{name}: {r.describe()} ({r.loc})" for name, r in
                                                  sorted(defaults.items())][:12],
                              fix=Fix("To settle it, add the gateway's routing configuration (FRR or BIRD) or the "
                                      "nodes' route dumps to the snapshot"))
            continue
        yield ctx.finding(family_name(fam).lower(),
                          f"Native routing without autoDirectNodeRoutes, and nothing in the snapshot installs "
                          f"{family_name(fam)} routes to remote pod CIDRs"
                          + (" (the BGP Control Plane does not install routes)" if bgp else "") + ".",
                          locations=ctx.setting_locs("routing-mode", "auto-direct-node-routes", "enable-bgp-control-plane"),
                          evidence=base_ev + [f"{len(nodes)} nodes hold {family_name(fam)} pod CIDRs; no route dump "
                                              "and no routing-daemon configuration is in the snapshot"],
                          fix=fix)


def _direct(ctx: CheckContext, src: Node, dst: Node, fam: int) -> tuple[bool | None, str]:
    """Is dst's node IP directly reachable (no gateway) from src? None = unknown."""
    dst_ip = dst.node_ip(fam)
    if dst_ip is None:
        return None, ""
    host = ctx.cluster.hosts.get(src.name)
    if host is not None and host.routes is not None and fam in host.routes.families():
        r = host.routes.lookup(dst_ip.address)
        if r is None:
            return False, f"{src.name} has no route to {dst_ip.address} ({', '.join(host.route_files)})"
        if r.gateway is not None and r.gateway != dst_ip.address:
            return False, f"{src.name} reaches {dst.name} ({dst_ip.address}) through a gateway: {r.describe()} ({r.loc})"
        return True, ""
    segs_src = {s.name for s in ctx.cluster.segments.values() if src.name in s.members}
    segs_dst = {s.name for s in ctx.cluster.segments.values() if dst.name in s.members
                and any(p.value.version == fam and dst_ip.address in p.value for p in s.prefixes)}
    if not segs_src or not segs_dst:
        return None, ""
    if segs_src & segs_dst:
        return True, ""
    return False, (f"{src.name} is on segment(s) {', '.join(sorted(segs_src))}, {dst.name} ({dst_ip.address}) on "
                   f"{', '.join(sorted(segs_dst))}: no shared L2 segment")


def pod_route_needs_bgp(ctx: CheckContext, src: Node, dst: Node, fam: int) -> tuple[bool | None, str]:
    """Must a route that BGP carries take src's pod traffic to dst's pod CIDR? (False, why) when Cilium delivers it
    without one: in tunnel mode the packet is encapsulated to dst's node IP (BGP then carries only LoadBalancer
    and service IPs); with autoDirectNodeRoutes the agent installs `<podCIDR> via <nodeIP>` for every node whose
    IP is directly reachable, i.e. on a shared L2 segment. (None, why) when the segment information to tell is
    missing; (True, "") otherwise."""
    c = ctx.cilium
    if not c.present:
        return True, ""
    if not c.native_routing:
        return False, (f"routingMode {c.routing_mode} ({ctx.describe_setting('routing-mode')}): pod traffic is "
                       "encapsulated to the node IP, so BGP carries no pod routes")
    if not c.auto_direct_node_routes:
        return True, ""
    ok, why = _direct(ctx, src, dst, fam)
    if ok:
        shared = sorted(s.name for s in ctx.cluster.segments.values() if src.name in s.members and dst.name in s.members)
        where = f"share L2 segment {', '.join(shared)}" if shared else "reach each other without a gateway (route dump)"
        return False, (f"autoDirectNodeRoutes: {src.name} and {dst.name} {where}, so Cilium installs the direct "
                       "route itself")
    if ok is None:
        return None, (f"autoDirectNodeRoutes: podpath cannot tell whether {src.name} and {dst.name} share an L2 "
                      "segment (state it under `segments:` in podpath.yaml, or add a route dump of the node)")
    return True, why


def pod_routes_all_need_bgp(ctx: CheckContext) -> bool:
    """True when `pod_route_needs_bgp` answers (True, "") for every pair (no Cilium, or native routing without
    autoDirectNodeRoutes), so that an all-pairs check need not ask pair by pair."""
    c = ctx.cilium
    return not c.present or (c.native_routing and not c.auto_direct_node_routes)


@rule("RT002", "auto-direct-node-routes-across-l3", "error", "autoDirectNodeRoutes between nodes that share no L2 segment")
def adnr_across_l3(ctx: CheckContext) -> Iterator[Finding]:
    """`autoDirectNodeRoutes` installs `<podCIDR> via <nodeIP>` only when the remote node IP is directly
    reachable (the kernel route to it has no gateway other than itself). Otherwise the agent logs "route to
    destination ... contains gateway ..., must be directly reachable" and the route is missing (silently with
    `directRoutingSkipUnreachable`). Decided from route dumps when present, else from L2 segments."""
    c = ctx.cilium
    if not c.present or not c.native_routing or not c.auto_direct_node_routes:
        return
    nodes = sorted(ctx.cluster.nodes.values(), key=lambda n: n.name)
    for fam in ctx.families():
        bad: list[str] = []
        unknown: list[str] = []
        for src in nodes:
            for dst in nodes:
                if src is dst or not dst.pod_cidrs_of(fam):
                    continue
                ok, why = _direct(ctx, src, dst, fam)
                if ok is False:
                    bad.append(why)
                elif ok is None:
                    unknown.append(f"{src.name}->{dst.name}")
        if unknown:
            ctx.not_checked(f"whether {family_name(fam)} node IPs are directly reachable for {len(unknown)} node "
                            f"pair(s) ({', '.join(unknown[:4])}{' ...' if len(unknown) > 4 else ''})",
                            "no route dump of the source node, and no L2 segment (podpath.yaml segments or interface "
                            "addresses) or no node IP of the family for the destination")
        if not bad:
            continue
        skip = c.flag("direct-routing-skip-unreachable")
        effect = ("the routes are silently skipped (directRoutingSkipUnreachable)" if skip else
                  "route installation fails with \"must be directly reachable\" (an IPv6 variant aborts agent start-up)")
        yield ctx.finding(family_name(fam).lower(),
                          f"autoDirectNodeRoutes cannot install {family_name(fam)} routes for {len(bad)} node pair(s) "
                          f"that share no L2 segment: {effect}.",
                          locations=ctx.setting_locs("auto-direct-node-routes", "direct-routing-skip-unreachable"),
                          evidence=bad[:12] + ([f"... and {len(bad) - 12} more pairs"] if len(bad) > 12 else []),
                          fix=Fix("Put the nodes on one L2 segment, or route pod CIDRs between segments with BGP (and set "
                                  "directRoutingSkipUnreachable: true so same-segment routes are still installed), or use "
                                  "tunnel mode", ctx.cilium.helm_files[0] if ctx.cilium.helm_files else None,
                                  "directRoutingSkipUnreachable: true\n"))


@rule("RT003", "skip-unreachable-without-adnr", "error", "directRoutingSkipUnreachable without autoDirectNodeRoutes")
def skip_without_adnr(ctx: CheckContext) -> Iterator[Finding]:
    """`directRoutingSkipUnreachable` only makes sense with `autoDirectNodeRoutes`; the agent refuses to start
    otherwise."""
    c = ctx.cilium
    if c.present and c.flag("direct-routing-skip-unreachable") and not c.auto_direct_node_routes:
        yield ctx.finding("config", "directRoutingSkipUnreachable is true but autoDirectNodeRoutes is not: the agent "
                          "refuses to start.", locations=ctx.setting_locs("direct-routing-skip-unreachable", "auto-direct-node-routes"),
                          evidence=[ctx.describe_setting("direct-routing-skip-unreachable"), ctx.describe_setting("auto-direct-node-routes")],
                          fix=ctx.fix_setting("direct-routing-skip-unreachable", "false", "Remove directRoutingSkipUnreachable (or enable autoDirectNodeRoutes)"))


@rule("RT004", "auto-direct-node-routes-with-tunnel", "error", "autoDirectNodeRoutes in tunnel mode")
def adnr_tunnel(ctx: CheckContext) -> Iterator[Finding]:
    """`autoDirectNodeRoutes` cannot be used with tunnelling; the agent refuses to start."""
    c = ctx.cilium
    if c.present and c.auto_direct_node_routes and not c.native_routing:
        yield ctx.finding("config", f"autoDirectNodeRoutes is true in {c.routing_mode} routing mode: the agent refuses "
                          "to start (\"cannot be used with tunneling\").",
                          locations=ctx.setting_locs("auto-direct-node-routes", "routing-mode"),
                          evidence=[ctx.describe_setting("auto-direct-node-routes"), ctx.describe_setting("routing-mode")],
                          fix=ctx.fix_setting("routing-mode", "native", "Use routingMode: native (with a native-routing CIDR) or disable autoDirectNodeRoutes"))


@rule("RT005", "observed-direct-route-mismatch", "warning", "Route to a remote pod CIDR does not point at the owning node")
def direct_route_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    """With `autoDirectNodeRoutes`, node X should route node Y's pod CIDR `via` Y's node IP. A dump that shows no
    such route, or one via another gateway, means the agent did not program it (unreachable node, missing node
    IP of the family, or another daemon overriding it)."""
    c = ctx.cilium
    if not c.present or not c.native_routing or not c.auto_direct_node_routes:
        return
    for fam in ctx.families():
        for host, rows in _remote_pod_routes(ctx, fam).items():
            for node, cidr, route in rows:
                ip = node.node_ip(fam)
                if ip is None:
                    continue
                if route is None or route.dst.prefixlen == 0:
                    yield ctx.finding(f"{family_name(fam).lower()}:{host}:{cidr}",
                                      f"{host} has no direct route for {node.name}'s pod CIDR {cidr} although "
                                      "autoDirectNodeRoutes is on.",
                                      locations=[route.loc if route else None] + ctx.setting_locs("auto-direct-node-routes"),
                                      evidence=[f"expected `{cidr} via {ip.address}` in {', '.join(ctx.cluster.hosts[host].route_files)}"],
                                      fix=Fix(f"Check `cilium-dbg` logs on {host} for \"Unable to install direct node route\" "
                                              f"and that {ip.address} is on-link"))
                elif route.gateway is not None and route.gateway != ip.address and route.dst == cidr:
                    yield ctx.finding(f"{family_name(fam).lower()}:{host}:{cidr}",
                                      f"{host} routes {node.name}'s pod CIDR {cidr} via {route.gateway}, not via the "
                                      f"node address {ip.address}.", locations=[route.loc],
                                      evidence=[f"{route.describe()} ({route.loc})"],
                                      fix=Fix("Find which daemon installs this route (proto field) and stop it overriding Cilium's"))


@rule("RT006", "local-pod-route-missing", "warning", "Local pod CIDR route to cilium_host missing")
def local_route_missing(ctx: CheckContext) -> Iterator[Finding]:
    """Without endpoint routes, Cilium routes the node's own pod CIDR to `cilium_host` (IPv4 via the cilium_host
    address, IPv6 without a gateway). A route dump without it means the agent has not programmed the node."""
    c = ctx.cilium
    if not c.present or c.flag("enable-endpoint-routes"):
        return
    for fam in ctx.families():
        for host in sorted(ctx.cluster.hosts.values(), key=lambda h: h.name):
            node = ctx.cluster.nodes.get(host.name)
            if node is None or host.routes is None or fam not in host.routes.families():
                continue
            for cidr in node.pod_cidrs_of(fam):
                r = host.routes.covering(cidr.value)
                if r is None or (r.dev or "") != "cilium_host":
                    yield ctx.finding(f"{family_name(fam).lower()}:{host.name}",
                                      f"{host.name}'s route dump has no route for its own pod CIDR {cidr.value} via "
                                      "cilium_host.", locations=[cidr.loc] + ([r.loc] if r else []),
                                      evidence=[f"route dump {', '.join(host.route_files)}; covering route: "
                                                f"{r.describe() if r else 'none'}"],
                                      fix=Fix(f"Check that the Cilium agent on {host.name} is running and its pod CIDR "
                                              "matches the Node object"))
