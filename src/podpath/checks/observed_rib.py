"""Captured BGP tables (vtysh/birdc output) against the simulated tables of the same daemon."""

from __future__ import annotations

from typing import Iterator

from podpath.checks.base import CheckContext, Finding, Fix, rule

_SHOWN = 8


@rule("OB002", "observed-bgp-table-differs", "warning",
      "A captured BGP table differs from the simulated one")
def observed_table(ctx: CheckContext) -> Iterator[Finding]:
    """A `show bgp ... json` or `birdc show route all` capture is what the daemon really selected. Prefixes
    it has that the simulation does not (learned from a peer outside the snapshot, or a configuration that is
    not the one running) and prefixes the simulation predicts that it lacks (a session down in reality, a
    filter that differs, an agent not restarted) mean the snapshot does not describe the running network:
    findings derived from it may not hold until the difference is explained. Compared: best paths learned
    over BGP, in the families the capture covers, per daemon and VRF."""
    snap = ctx.snap
    ribs = getattr(snap, "observed_ribs", [])
    if not ribs:
        return
    if not snap.has_control_plane:
        for rib in ribs:
            ctx.not_checked(f"captured BGP table {rib.file}", "no routing daemon configuration to compare it with",
                            rib.loc)
        return
    sim = snap.simulate()
    for rib in sorted(ribs, key=lambda r: (r.file, r.vrf)):
        matches = [sid for sid, sp in sim.speakers.items()
                   if sp.daemon.value == rib.daemon and (rib.host is None or sp.host == rib.host)
                   and (rib.host is not None or (rib.router_id and str(sp.router_id) == rib.router_id))
                   and (rib.daemon == "bird" or sp.vrf == rib.vrf)]
        if len(matches) != 1:
            why = ("no simulated daemon matches it" if not matches else
                   f"{len(matches)} simulated daemons could be it ({', '.join(sorted(matches)[:4])})")
            ctx.not_checked(f"captured BGP table {rib.file} (vrf {rib.vrf})", why + ": name the host in the file's "
                            "path or under hosts.<name>.files in podpath.yaml", rib.loc)
            continue
        sid = matches[0]
        best = sim.best.get(sid, {})
        simulated = {p: path for p, path in best.items()
                     if not path.local and p.version in rib.families}
        observed = {r.prefix: r for r in rib.routes}
        only_obs = sorted(set(observed) - set(simulated), key=lambda n: (n.version, n))
        only_sim = sorted(set(simulated) - set(observed), key=lambda n: (n.version, n))
        nh = sorted((p for p in set(observed) & set(simulated)
                     if observed[p].next_hop is not None and simulated[p].route.next_hop is not None
                     and observed[p].next_hop != simulated[p].route.next_hop), key=lambda n: (n.version, n))
        if not (only_obs or only_sim or nh):
            continue
        parts = []
        if only_sim:
            parts.append(f"lacks {len(only_sim)} prefix(es) the simulation selects")
        if only_obs:
            parts.append(f"has {len(only_obs)} prefix(es) the simulation does not")
        if nh:
            parts.append(f"uses another next hop for {len(nh)} prefix(es)")
        evidence = [f"simulated, not captured: {p} via {simulated[p].route.next_hop or '-'} "
                    f"(from {simulated[p].source})" for p in only_sim[:_SHOWN]]
        evidence += [f"captured, not simulated: {p} via {observed[p].next_hop or '-'} path [{observed[p].as_path}] "
                     f"from {observed[p].peer}" for p in only_obs[:_SHOWN]]
        evidence += [f"next hop of {p}: captured {observed[p].next_hop}, simulated {simulated[p].route.next_hop}"
                     for p in nh[:_SHOWN]]
        if len(only_sim) + len(only_obs) + len(nh) > 3 * _SHOWN:
            evidence.append("(more not shown: podpath routes SNAPSHOT HOST lists the simulated table)")
        sp = sim.speakers[sid]
        yield ctx.finding(
            f"{sid}:{rib.file}",
            f"The BGP table captured in {rib.file} ({sp.host}'s {rib.daemon}, vrf {rib.vrf}) {'; '.join(parts)}: "
            "the running daemon does not do what the snapshot's configuration says.",
            locations=[rib.loc, sp.loc], evidence=evidence,
            fix=Fix("Capture the running configuration (`vtysh -c 'show running-config'`, the BIRD config the "
                    "daemon loaded) into the snapshot, or add the missing peers' configuration; then re-check"))
