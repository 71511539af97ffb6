"""`podpath lab run` / `lab compare`: run a snapshot's real daemons in network namespaces and
compare what they converge to with the simulator.

Hosts, interfaces, addresses and L2 segments come from the model; every host's FRR and
BIRD run with the user's own configuration files; every node whose Cilium agent speaks
BGP gets a GoBGP configured as Cilium configures its embedded one (no listener, same
ASN, router-id, peers and families, global import policy reject, originating exactly
what the advertisements select). What cannot run here is listed under `substitutions`
and `not_run`, never dropped silently.
"""

from __future__ import annotations

import re
import sys
import time
from typing import TYPE_CHECKING, Any, Callable

from podpath.lab.daemons import (BirdInstance, FrrInstance, GobgpConfig, GobgpInstance, GobgpNeighbor,
                                 collect_kernel_routes, daemon_versions, wait_converged)
from podpath.lab.netns import LabNetwork, require_root
from podpath.routing.bgp import Daemon
from podpath.routing.route import Protocol
from podpath.routing.timing import timing_dependent

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot

_VRF = re.compile(r"^\s*(vrf\s+\S+|router bgp \d+ vrf \S+)", re.M)


def _say(msg: str) -> None:
    print(f"podpath lab: {msg}", file=sys.stderr, flush=True)


def run_lab(snap: "Snapshot", daemons: str = "host", timeout: float = 300.0,
            progress: Callable[[str], None] = _say,
            on_converged: Callable[[list[tuple[str, str, Any]]], None] | None = None) -> dict[str, Any]:
    """Build the lab, start the daemons, wait for convergence, collect tables, tear down.

    `on_converged((host, kind, instance), ...)` runs once the daemons have converged, before the tables are
    read and the lab is torn down: what `podpath collect` is tested against (tests/lab/test_collect_lab.py)."""
    require_root()
    cp = snap.control_plane()
    net = cp.network
    result: dict[str, Any] = {"schema": "podpath/lab/v1", "daemons": daemons, "hosts": {}, "not_run": [],
                              "substitutions": []}
    t0 = time.monotonic()
    with LabNetwork("lab", timeout=timeout) as lab:
        hosts = {name: lab.add_host(name) for name in sorted(net.hosts)}
        segs: dict[str, Any] = {}
        for name, h in sorted(net.hosts.items()):
            by_if: dict[str, list[str]] = {}
            for addr, (ifname, iface) in sorted(h.addresses.items(), key=lambda x: str(x[0])):
                if addr.is_loopback:
                    continue
                if ifname == "lo":  # a loopback address (an OSPF router's, a BGP update-source)
                    lab.add_address(hosts[name], "lo", str(iface))
                    continue
                by_if.setdefault(ifname, []).append(str(iface))
            mine = net.segments.get(name, set())
            for ifname, cidrs in sorted(by_if.items()):
                seg = _segment_for(snap, name, ifname, mine)
                if seg is None:
                    for c in cidrs:
                        lab.add_address(hosts[name], ifname, c)
                    continue
                if seg not in segs:
                    segs[seg] = lab.add_segment(seg)
                lab.connect(hosts[name], segs[seg], ifname, cidrs)
        progress(f"{len(hosts)} hosts, {len(segs)} segments")
        instances: list[Any] = []
        # FRR first (it loads its whole configuration before start() returns), then BIRD:
        # a BIRD that reaches a half-configured FRR errors and waits 60 s.
        for rc in sorted(snap.routers, key=lambda r: (r.dialect != "frr", r.host or "", r.file)):
            if rc.host is None or rc.host not in hosts:
                continue
            text = (snap.root / rc.file).read_text() if (snap.root / rc.file).exists() else None
            if text is None:
                result["not_run"].append({"file": rc.file, "why": "file outside the snapshot directory"})
                continue
            if rc.dialect == "frr" and _VRF.search(text):
                result["not_run"].append({"file": rc.file, "host": rc.host, "why": "FRR VRFs need the kernel's vrf "
                                          "link type, which this machine lacks"})
                continue
            inst = (FrrInstance(hosts[rc.host], text, name=f"frr-{rc.host}", daemons=daemons) if rc.dialect == "frr"
                    else BirdInstance(hosts[rc.host], text, name=f"bird-{rc.host}", daemons=daemons))
            progress(f"starting {rc.dialect} on {rc.host}")
            instances.append((rc.host, rc.dialect, inst.start()))
        peer_asn: dict[tuple[str, str], int | None] = {}
        for s in snap.simulate().sessions:
            for e in (s.a, s.b):
                if e is not None:
                    peer_asn[(e.speaker.id, str(e.remote_address))] = e.remote_asn
        for sp in cp.speakers:
            if sp.daemon is not Daemon.CILIUM or sp.host not in hosts:
                continue
            neighbors = []
            for p in sp.peers:
                if p.address is None:
                    continue
                peer_as = p.remote_as or peer_asn.get((sp.id, str(p.address)))
                if peer_as is None:
                    result["not_run"].append({"host": sp.host, "why": f"Cilium peer {p.name}: peer AS unknown"})
                    continue
                neighbors.append(GobgpNeighbor(str(p.address), peer_as,
                                               tuple(f"ipv{f}-unicast" for f in sorted(p.afs)),
                                               ebgp_multihop_ttl=p.multihop))
            cfg = GobgpConfig(sp.asn, sp.router_id or "10.255.255.1", neighbors,
                              reject_received=snap.cilium.version_minor >= (1, 16))
            g = GobgpInstance(hosts[sp.host], cfg, name=f"cilium-{sp.host}", daemons=daemons).start()
            for o in sp.originations:
                attrs = o.route
                for p in sp.peers:
                    for af in p.afs.values():
                        pol = af.export_policy
                        for prefix, comms, large, _lp, _loc in getattr(pol, "prefixes", ()):
                            if prefix == o.route.prefix:
                                attrs = attrs.replace(communities=attrs.communities | comms,
                                                      large_communities=attrs.large_communities | large,
                                                      local_pref=_lp if _lp is not None else attrs.local_pref)
                g.add_route(attrs)
            instances.append((sp.host, "cilium", g))
        progress(f"{len(instances)} daemons started; waiting for convergence")
        ready = [i for _, _, i in instances]
        birds = [i for _, kind, i in instances if kind == "bird"]
        try:
            # GoBGP (Cilium) only connects out, every 5-10 s: give it time before trusting a quiet period.
            gobgp = any(kind == "cilium" for _, kind, _ in instances)
            # OSPF: a broadcast link waits one dead interval before electing its DR, then adjacencies
            # form and SPF runs; BGP over loopbacks follows. Generated configs use hello 1 / dead 4.
            ospf = any(getattr(i, "runs_ospf", False) for _, _, i in instances)
            expected = _expected_sessions(snap, result["not_run"], [(h, k) for h, k, _ in instances])
            # With OSPF, BGP's next hops resolve only after SPF, whose hold-down under load can outlast a short
            # quiet period (seen in CI: sessions up, BGP routes not yet in the tables): wait longer there.
            result["convergence_s"] = round(wait_converged(ready, quiet_period=8.0 if ospf else 3.0,
                                                           bound=max(30.0, timeout / 2),
                                                           min_time=15.0 if gobgp or ospf else 0.0,
                                                           require_established=False, expected=expected,
                                                           nudge=lambda: [b.kick() for b in birds]), 1)
        except Exception as e:  # report what did converge
            result["convergence_error"] = str(e)
        if on_converged is not None:
            on_converged(list(instances))
        for host, kind, inst in instances:
            h = result["hosts"].setdefault(host, {"bgp": {}, "sessions": {}})
            routes = []
            for afi in ("ipv4", "ipv6"):
                if kind == "frr":
                    rs = inst.bgp_routes(afi)
                elif kind == "bird":
                    rs = [r for r in inst.routes() if r.family == (4 if afi == "ipv4" else 6)
                          and r.protocol is not Protocol.OSPF]  # OSPF routes: compared as the underlay
                else:
                    rs = inst.rib(afi)
                routes += [r.to_json() for r in rs]
            h["bgp"][kind] = sorted(routes, key=lambda r: (r["prefix"], r["next_hop"] or "", r["as_path"]))
            h["sessions"][kind] = inst.established()
            if getattr(inst, "runs_ospf", False):
                h.setdefault("ospf", {})[kind] = inst.ospf_routes()
        kernel = collect_kernel_routes(lab)
        for host in hosts:
            result["hosts"].setdefault(host, {"bgp": {}, "sessions": {}})["kernel"] = kernel.get(hosts[host].netns, kernel.get(host, {}))
        result["substitutions"] = list(getattr(lab, "substitutions", []))
    result["versions"] = daemon_versions(daemons)
    result["elapsed_s"] = round(time.monotonic() - t0, 1)
    return result


def not_compared(snap: "Snapshot", lab: dict[str, Any]) -> list[str]:
    """What a lab run leaves out, one line each: routers it could not run (with the sessions the
    simulator gives them, which neither side then has), Cilium peers it could not configure, a run
    that did not converge. Non-empty means the comparison is incomplete (`lab` exits 3)."""
    out: list[str] = []
    sessions = snap.simulate().sessions if snap.has_control_plane else []
    for nr in lab.get("not_run", []):
        file = nr.get("file")
        where = " ".join(x for x in (nr.get("host"), f"({file})" if file else None) if x)
        if file is None:
            out.append(f"{where}: not run: {nr['why']}; that session is not compared")
            continue
        mine = sorted({s.id for s in sessions for e in (s.a, s.b)
                       if e is not None and getattr(e.speaker, "config_file", None) == file})
        shown = ", ".join(mine[:4]) + (f" and {len(mine) - 4} more" if len(mine) > 4 else "")
        out.append(f"{where}: not run: {nr['why']}; not compared: its BGP tables"
                   + (f" and {len(mine)} session(s) ({shown})" if mine else "")
                   + " (lab compare runs the simulator without it too)")
    if lab.get("convergence_error"):
        out.append(f"the lab did not converge ({lab['convergence_error']}): its tables were read as they were")
    return out


def _reduced(snap: "Snapshot", not_run: list[dict[str, Any]]) -> "Snapshot":
    """The snapshot as the lab runs it: without the routing daemons it could not start."""
    return snap.without_routers({nr["file"] for nr in not_run if "file" in nr})


def _session_keys(res: Any, host: str, kind: str) -> dict[str, bool]:
    """Simulated session states of one daemon, under the names the lab reads them by
    (BIRD protocol names, FRR and GoBGP neighbor addresses)."""
    out: dict[str, bool] = {}
    for s in res.sessions:
        for e in (s.a, s.b):
            if e is None or e.speaker.host != host or e.speaker.daemon.value != kind:
                continue
            for key in (e.peer.name, str(e.remote_address)):
                out[key] = out.get(key, False) or s.up
    return out


def _expected_sessions(snap: "Snapshot", not_run: list[dict[str, Any]],
                       instances: list[tuple[str, str]]) -> list[set[str]]:
    """Per lab instance, the sessions the simulator predicts Established: the lab waits for
    them (up to its bound) so that slow sessions (GoBGP's connect retry, BIRD's error wait)
    are not compared before they had a chance."""
    res = _reduced(snap, not_run).simulate()
    return [{k for k, up in _session_keys(res, host, kind).items() if up} for host, kind in instances]


def _segment_for(snap: "Snapshot", host: str, ifname: str, mine: set[str]) -> str | None:
    h = snap.cluster.hosts.get(host)
    iface = h.interfaces.get(ifname) if h else None
    if iface is not None and iface.segment:
        return iface.segment
    if iface is not None and iface.addresses and all(a.value.network.prefixlen == a.value.max_prefixlen
                                                     for a in iface.addresses):
        return None  # a loopback/dummy-style /32 or /128
    return sorted(mine)[0] if mine else ifname


def compare(snap: "Snapshot", lab: dict[str, Any]) -> list[str]:
    """Every difference between the lab and the simulator: per host and daemon, which prefixes
    each BGP table holds and with which AS paths. Daemons that did not run are skipped; when some
    did not run (`not_run`), the simulator runs without them too, so that both sides emulate
    the same system (the lab result lists what was left out).

    A difference in a prefix whose outcome depends on message timing (`routing.timing`: FRR's
    oldest-path tie-break, policies with several stable outcomes) starts with TIMING: the
    daemons may legitimately settle in either outcome; podpath reports such prefixes (BGP005)."""
    reduced = _reduced(snap, lab.get("not_run", []))
    res = reduced.simulate()
    # no step budget: a lab runs a few dozen real daemons, and a prefix left out of the second run would
    # turn a legitimate timing difference into a reported mismatch
    flagged = {str(t.prefix): t.kind for t in timing_dependent(reduced.control_plane(), res, budget=None)}
    diffs: list[str] = []

    def route_diff(pfx: str, text: str) -> None:
        diffs.append(f"{TIMING} ({flagged[pfx]}): {text}" if pfx in flagged else text)

    for host, data in sorted(lab["hosts"].items()):
        for kind, states in sorted(data.get("sessions", {}).items()):
            sim_states = _session_keys(res, host, kind)
            for key, up in sorted(states.items()):
                want = sim_states.get(key)
                if want is not None and want != up:
                    diffs.append(f"{host} {kind}: session {key} is {'up' if up else 'down'} in the lab, "
                                 f"{'up' if want else 'down'} in the simulator")
        for kind, rows in sorted(data.get("bgp", {}).items()):
            real: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
            for r in rows:
                real.setdefault((r["prefix"], r["as_path"]), []).append(_attrs(r))
            sim: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
            for sid, table in res.tables.items():
                sp = res.speakers[sid]
                if sp.host != host or sp.daemon.value != kind:
                    continue
                for prefix, paths in table.items():
                    for p in paths:
                        if kind == "cilium" and not p.local:
                            continue
                        sim.setdefault((str(prefix), str(p.route.as_path)), []).append(_attrs(p.route.to_json()))
            for pfx, path in sorted(real.keys() - sim.keys()):
                route_diff(pfx, f"{host} {kind}: lab has {pfx} [{path}], simulator does not")
            for pfx, path in sorted(sim.keys() - real.keys()):
                route_diff(pfx, f"{host} {kind}: simulator has {pfx} [{path}], lab does not")
            for key in sorted(real.keys() & sim.keys()):
                if kind == "cilium":
                    # The GoBGP stand-in carries the advertisements' attributes on its global path
                    # (Cilium sets them per peer, in export policies): compared at the receivers.
                    continue
                a, b = sorted(real[key], key=repr), sorted(sim[key], key=repr)
                if a != b:
                    route_diff(key[0], f"{host} {kind}: {key[0]} [{key[1]}] has {_show(a)} in the lab, "
                                       f"{_show(b)} in the simulator")
    diffs += ospf_differences(reduced, lab)
    return diffs


def ospf_differences(snap: "Snapshot", lab: dict[str, Any]) -> list[str]:
    """Every difference between the lab's OSPF routes (what ospfd/ospf6d gave zebra, BIRD's OSPF
    protocols' routes) and the simulated underlay: prefix, metric (BIRD: both metrics) and next hops."""
    from podpath.routing.igp import lab_rows

    igp = snap.control_plane().igp
    diffs: list[str] = []
    racy = {str(k): v for k, v in (igp.timing.items() if igp is not None else ())}
    for host, data in sorted(lab["hosts"].items()):
        for kind, rows in sorted(data.get("ospf", {}).items()):
            sim = lab_rows(igp, host, kind)
            real = {r["prefix"]: r for r in rows}
            for pfx in sorted(real.keys() - sim.keys()):
                diffs.append(f"{host} {kind}: lab has OSPF route {pfx} ({_ospf_show(real[pfx])}), simulator does not")
            for pfx in sorted(sim.keys() - real.keys()):
                diffs.append(f"{host} {kind}: simulator has OSPF route {pfx} ({_ospf_show(sim[pfx])}), lab does not")
            for pfx in sorted(real.keys() & sim.keys()):
                a, b = real[pfx], sim[pfx]
                keys = ("metric", "nexthops") if kind == "frr" else ("kind", "metric", "metric2", "nexthops")
                if any(a.get(k) != b.get(k) for k in keys):
                    diffs.append(f"{host} {kind}: OSPF route {pfx} is {_ospf_show(a)} in the lab, {_ospf_show(b)} "
                                 "in the simulator")
    out = []
    for d in diffs:
        pfx = d.split("OSPF route ", 1)[1].split(" ", 1)[0]
        out.append(f"{TIMING} (OSPF: {racy[pfx]}): {d}" if pfx in racy else d)
    return out


def _ospf_show(r: dict[str, Any]) -> str:
    m = f"metric {r.get('metric')}" + (f"/{r['metric2']}" if r.get("metric2") is not None else "")
    kind = f"{r['kind']} " if r.get("kind") not in (None, "?") else ""
    return f"{kind}{m} via {', '.join(r.get('nexthops') or ['nothing'])}"


TIMING = "timing-dependent"


def is_timing(diff: str) -> bool:
    """A difference in a prefix whose BGP outcome depends on arrival order (see compare)."""
    return diff.startswith(TIMING)


# Path attributes compared once both sides hold the same (prefix, AS path). The next hop is
# the global one; link-local next hops are per-run addresses the simulator does not know.
_COMPARED_ATTRS = ("next_hop", "origin", "local_pref", "med", "communities", "large_communities")


def _attrs(row: dict[str, Any]) -> tuple[Any, ...]:
    out = []
    for attr in _COMPARED_ATTRS:
        value = row.get(attr)
        if attr in ("communities", "large_communities"):
            value = tuple(sorted(value or []))
        elif attr == "next_hop" and isinstance(value, str) and value.lower().startswith("fe80:"):
            value = "link-local"
        out.append(value)
    return tuple(out)


def _show(paths: list[tuple[Any, ...]]) -> str:
    return "; ".join(", ".join(f"{k}={v}" for k, v in zip(_COMPARED_ATTRS, p) if v not in (None, ())) for p in paths)
