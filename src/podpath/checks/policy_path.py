"""Network policy along the simulated datapath: traffic the policies allow for the pods but that arrives
masqueraded, so the destination's ingress policy sees a node instead of the pod and drops it."""

from __future__ import annotations

from typing import Any, Iterator

from podpath.checks.base import CheckContext, Finding, Fix, family_name, rule

# Traces per snapshot: enough for every service backend from one pod per (node, namespace); a bigger cluster
# is sampled deterministically and the cut is reported (NOT CHECKED).
MAX_TRACES = 400


@rule("NP001", "masquerade-breaks-policy", "error",
      "Pod traffic a policy allows arrives masqueraded and is dropped by that policy")
def masquerade_breaks_policy(ctx: CheckContext) -> Iterator[Finding]:
    """A NetworkPolicy/CiliumNetworkPolicy that admits pods (`podSelector`, `fromEndpoints`) matches the
    packet's source *identity*. When Cilium masquerades pod-to-pod traffic on the way (an ip-masq-agent or
    egress-masquerade setting, a destination outside the masquerade exclusion), the destination node sees the
    source node's address: identity `remote-node` (or `host`), which no pod selector matches, so the policy's
    default deny drops a flow the author allowed. The rule traces, through the simulated datapath
    (podpath.datapath.trace), each Service backend and each policy-protected pod from a pod on every other node
    the policy admits, and reports the flows that are dropped only because they were SNATed: the mistake is
    the masquerade, named with its setting, not the policy. When the SNAT comes from a native-routing CIDR
    that leaves out pod CIDRs, NR002 is that mistake: the dropped flows are its evidence, not a second error."""
    for (fam, _ns, _p, _hook, _cause), flows in sorted(snat_policy_drops(ctx).items(), key=lambda kv: kv[0]):
        if _native_cidr_cause(ctx, fam, flows):
            continue
        yield _finding(ctx, fam, flows[0][1].namespace, flows)


def _native_cidr_cause(ctx: CheckContext, fam: int, flows: list[tuple[Any, Any, Any]]) -> bool:
    setting = ctx.cilium.native_cidr_setting(fam)
    snat = next(rw for rw in flows[0][2].rewrites if rw.kind == "SNAT")
    return setting.loc is not None and setting.loc in snat.locs


def drops_from_native_cidr(ctx: CheckContext, fam: int) -> tuple[list[str], list[Any]]:
    """For NR002: evidence lines and locations of the flows a policy admits that its SNAT makes it drop."""
    ev: list[str] = []
    locs: list[Any] = []
    for (f, _ns, _p, _hook, _cause), flows in sorted(snat_policy_drops(ctx).items(), key=lambda kv: kv[0]):
        if f != fam or not _native_cidr_cause(ctx, fam, flows):
            continue
        src, dst, res = flows[0]
        pairs = sorted({(s.key, d.key) for s, d, _ in flows})
        ev.append(f"traced {src.key} ({src.node}) -> {res.dst.describe()}" + (f" port {res.port}" if res.port else "")
                  + f": SNATed, then dropped on {res.where}: {res.why}")
        if len(pairs) > 1:
            ev.append(f"{len(pairs)} flow(s) the policies admit for the pods are dropped this way: "
                      + ", ".join(f"{a} -> {b}" for a, b in pairs[:6]) + (" ..." if len(pairs) > 6 else ""))
        locs.extend(res.locs)
    return ev, locs


def snat_policy_drops(ctx: CheckContext) -> dict[tuple[Any, ...], list[tuple[Any, Any, Any]]]:
    """Flows a policy admits for the source pod that arrive SNATed and are dropped at ingress, grouped by
    (family, namespace, policies, hook, cause); computed once per check run."""
    cache = ctx.__dict__.setdefault("_snat_policy_drops", None)
    if cache is not None:
        return cache
    groups: dict[tuple[Any, ...], list[tuple[Any, Any, Any]]] = {}
    ctx.__dict__["_snat_policy_drops"] = groups
    snap = ctx.snap
    if not getattr(snap, "netpol", None) or not snap.cilium.present:
        return groups
    from podpath.datapath import policy as pol

    ps = pol.policies(snap)
    protected = [e for e in ps.endpoints if not e.host_network and e.node and e.ips and ps.selecting(e, "ingress")]
    if not protected:
        return groups
    from podpath.datapath import trace as tr  # here: the tracer is imported only when there is a flow to trace

    tctx = tr._Ctx(snap)
    targets = _targets(snap, protected)
    sources = _sources(ps.endpoints)
    traced = 0
    cut = False
    for fam in ctx.families():
        for dst, text, port, proto, bport in targets:
            if not any(ip.version == fam for ip in dst.ips):
                continue
            if text[0].isdigit() or ":" in text:  # a pod address: the one of this family
                text = str(next(ip for ip in dst.ips if ip.version == fam))
            for src in sources:
                if src.node == dst.node or not any(ip.version == fam for ip in src.ips):
                    continue
                verdict = ps.ingress(dst, pol.Peer.pod(src), bport, proto)
                if not verdict.allowed or verdict.unknown:
                    continue  # the policy does not admit the pod itself: not the masquerade's doing
                if traced >= MAX_TRACES:
                    cut = True
                    break
                traced += 1
                sip = next(ip for ip in src.ips if ip.version == fam)
                try:
                    res = tr.trace(snap, str(sip), text, port, proto, fam, ctx=tctx, reconcile=False)
                except tr.TraceError:
                    continue
                snat = next((rw for rw in res.rewrites if rw.kind == "SNAT"), None)
                if res.verdict != "dropped" or snat is None or not _policy_drop(res):
                    continue
                key = (fam, dst.namespace, tuple(sorted(verdict.policies)), snat.hook, _cause(snat))
                groups.setdefault(key, []).append((src, dst, res))
    if cut:
        ctx.not_checked("flows from pods to policy-protected pods", f"only the first {MAX_TRACES} were traced "
                        "(podpath trace SNAPSHOT SRC DST traces any other)")
    return groups


def _finding(ctx: CheckContext, fam: int, ns: str, flows: list[tuple[Any, Any, Any]]) -> Finding:
    src, dst, res = flows[0]
    snat = next(rw for rw in res.rewrites if rw.kind == "SNAT")
    dsts = sorted({d.key for _, d, _ in flows})
    pairs = sorted({(s.key, d.key) for s, d, _ in flows})
    locs = list(snat.locs) + list(res.locs)
    evidence = [f"traced {src.key} ({src.node}) -> {res.dst.describe()}" + (f" port {res.port}" if res.port else "")
                + f": {res.verdict} on {res.where}"]
    evidence += [f"{s.node or '-'} {s.hook}: {s.text}" for s in res.steps if s.hook not in ("settings",)]
    evidence.append(f"{len(pairs)} flow(s) of pods the policy admits are dropped this way: "
                    + ", ".join(f"{a} -> {b}" for a, b in pairs[:6]) + (" ..." if len(pairs) > 6 else ""))
    after = snat.after
    node_ip = after[1:after.index("]")] if after.startswith("[") else after.rsplit(":", 1)[0]
    identity = "host" if "identity host" in " ".join(st.text for st in res.steps) else "remote-node"
    shown = ", ".join(dsts[:3]) + (f" and {len(dsts) - 3} more" if len(dsts) > 3 else "")
    message = (f"Cilium masquerades {family_name(fam)} traffic between pods on different nodes ({snat.why}), so "
               f"the ingress policy of {shown} sees the node address {node_ip} (identity {identity}), not the pod, "
               f"and drops flows it allows for the pods themselves (e.g. {src.key} -> {dst.key}).")
    fix = Fix("Stop masquerading pod-to-pod traffic (the setting cited: e.g. a native-routing CIDR that contains "
              "every pod CIDR, see NR002), or, if the SNAT is intended, admit the nodes in the policy "
              "(CiliumNetworkPolicy `fromEntities: [remote-node]`)")
    return ctx.finding(f"{family_name(fam).lower()}:{ns}:{dsts[0]}", message, locations=locs, evidence=evidence,
                       fix=fix)


def _targets(snap: Any, protected: list[Any]) -> list[tuple[Any, str, int | None, str, int | None]]:
    """(backend endpoint, DST text, port, protocol, the backend's port): each Service port whose backend is
    policy-protected (one backend per Service port), else the pod's declared container ports."""
    out: list[tuple[Any, str, int | None, str, int | None]] = []
    by_ip = {ip: e for e in protected for ip in e.ips}
    covered: set[str] = set()
    slices = getattr(snap.cluster, "endpoint_slices", []) or []
    for svc in sorted(snap.cluster.services, key=lambda s: (s.namespace, s.name)):
        mine = [sl for sl in slices if sl.namespace == svc.namespace and sl.service == svc.name]
        for sp in svc.ports:
            proto = sp.protocol.upper()
            for sl in mine:
                backend = next((by_ip[e.address] for e in sl.endpoints if e.address in by_ip), None)
                if backend is None:
                    continue
                target = sl.ports.get(sp.name) if sp.name in sl.ports else (sl.ports.get("") if len(sl.ports) == 1
                                                                           else None)
                bport = target[0] if target else (sp.target_port if isinstance(sp.target_port, int) else
                                                  backend.named_port(str(sp.target_port), proto)
                                                  if sp.target_port else sp.port)
                out.append((backend, f"{svc.namespace}/{svc.name}", sp.port, proto, bport))
                covered.add(backend.key)
                break
    for e in protected:
        if e.key in covered:
            continue
        for cp in e.ports[:2]:
            out.append((e, str(e.ips[0]), cp.port, cp.protocol.upper(), cp.port))
    return out


def _sources(endpoints: list[Any]) -> list[Any]:
    """One pod per (node, namespace): what the flows from a node's pods have in common is their node."""
    seen: dict[tuple[str, str], Any] = {}
    for e in endpoints:
        if e.host_network or not e.node or not e.ips:
            continue
        seen.setdefault((e.node, e.namespace), e)
    return [seen[k] for k in sorted(seen)]


def _policy_drop(res: Any) -> bool:
    last = res.steps[-1] if res.steps else None
    return last is not None and "policy" in last.text and "ingress" in last.text


def _cause(snat: Any) -> str:
    return snat.why.split(":")[0]
