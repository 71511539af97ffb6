"""Why a change did not fix it: the "why not" of `podpath diff` and `podpath check --set`.

Two kinds of explanation, both read from what the simulation and the checks already decided, never from the
example's names:

- **pod routes not in the kernel**: for every node that still cannot reach another node's pods because no
  route for that pod CIDR is in its kernel table, the decisions of the traced simulation at that host (the
  daemon that holds the route but does not install it, the import that refuses it, the neighbour that does
  not send it), each with its file:line. A route refused on export after the export policy accepted it is
  also offered to the receiver's import checks, to say what would stop it next ("if it were sent: ..."), and
  a speaker that never installs BGP routes in the kernel (Cilium's BGP Control Plane) says so.
- **findings that still hold** after a what-if edit: the finding, the values it rests on (its locations,
  named as Cilium settings where they are one) and whether the edit touched any of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from podpath.diagnostics import Loc

if TYPE_CHECKING:
    from podpath.snapshot import Snapshot

MAX_TRACED = 64  # pod CIDRs traced at most (first one missing at each host: see _to_trace)
MIN_TRACED = 8  # traced anyway when that many are missing (reasons that differ by prefix show)
MAX_HOSTS = 100  # hosts examined; the others are counted in the last explanation


@dataclass(frozen=True)
class Reason:
    """One decision that keeps a pod route out of a host's kernel."""

    speaker: str
    stage: str  # kernel | import | export | never-installs | upstream | if-sent
    text: str
    location: Loc | None = None

    def render(self) -> str:
        return self.text + (f" [{self.location}]" if self.location is not None else "")

    def to_json(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "stage": self.stage, "text": self.text,
                "location": self.location.to_json() if self.location is not None else None}


@dataclass
class WhyNot:
    """One explanation: `kind` is "pod-route-not-in-kernel" (hosts, prefixes, reasons) or "finding-still-holds"
    (subject is the finding id; reasons are the values it rests on)."""

    kind: str
    subject: str
    text: str
    hosts: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    same_on: list[str] = field(default_factory=list)  # other hosts with the same reasons (their own names)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "text": self.text, "hosts": self.hosts,
                "same_on": self.same_on, "prefixes": self.prefixes, "reasons": [r.to_json() for r in self.reasons]}


# ------------------------------------------------------------------------------------ pod routes

def pod_routes_not_in_kernel(snap: "Snapshot") -> list[WhyNot]:
    """For each host (node) that cannot reach some other node's pods for want of a kernel route to that pod
    CIDR, why the route is not there; hosts with the same reasons (their own names aside) are grouped."""
    if not snap.usable:
        return []
    from podpath import diff as diff_mod
    from podpath.routing.reach import Forwarder

    st = diff_mod.state(snap)
    res = snap.simulate()
    cp = snap.control_plane()
    fwd = Forwarder(res, cp.network)
    nodes = snap.cluster.nodes
    missing: dict[str, dict[Any, str]] = {}  # host -> pod CIDR -> owner
    skipped: set[str] = set()
    for (fam, src, dst), ok in sorted(st.pairs.items()):
        if ok or dst not in nodes:
            continue
        if src not in missing and len(missing) >= MAX_HOSTS:
            skipped.add(src)
            continue
        for c in nodes[dst].pod_cidrs_of(fam):
            net = c.value
            probe = net.network_address + 1 if net.num_addresses > 1 else net.network_address
            e = fwd.lookup(src, probe)
            if e is None or not e.route.dst.prefixlen:
                missing.setdefault(src, {})[net] = dst
    if not missing:
        return []
    from podpath.routing.explain import Explanation

    from podpath.checks.base import CheckContext

    traced = _to_trace(missing)
    tres = cp.simulate(trace=set(traced), only=set(traced))
    exs = {n: Explanation(n, None, tres.decisions_by_prefix.get(n, []), []) for n in traced}
    recv = _receivers(res)
    index = {n: _by_host(tres, recv, ex) for n, ex in exs.items()}
    ctx = CheckContext(snap)
    per_host: dict[str, list[Reason]] = {}
    per_host_prefixes: dict[str, list[Any]] = {}
    for host in sorted(missing):
        seen: dict[tuple[str, str, str], list[Any]] = {}  # one reason per deciding statement, with its prefixes
        nets = sorted(missing[host], key=lambda n: (n.version, int(n.network_address), n.prefixlen))
        here = [n for n in nets if n in exs]
        for net in here:
            for r in _host_reasons(snap, res, tres, index[net].get(host, []), host, net, exs[net],
                                   missing[host][net], ctx):
                key = (r.stage, r.speaker, str(r.location or ""))
                if key not in seen:
                    seen[key] = [r, 0, set()]
                seen[key][1] += 1
                seen[key][2].add(net.version)
        reasons = []
        for r, n, fams in seen.values():
            m = sum(1 for x in here if x.version in fams)  # a channel's reason holds for its family only
            if n < m:
                r = Reason(r.speaker, r.stage, f"{r.text} (for {n} of the {m} pod CIDRs traced here)", r.location)
            reasons.append(r)
        order = {"kernel": 0, "upstream": 1, "import": 2, "export": 3, "if-sent": 3, "never-installs": 5,
                 "cilium-agent": 6}
        per_host[host] = sorted(reasons, key=lambda r: order.get(r.stage, 9))
        per_host_prefixes[host] = nets
    groups: dict[tuple[Any, ...], list[str]] = {}
    for host in sorted(per_host):
        sig = tuple((r.stage, _template(r.speaker, host, snap), _template(r.text, host, snap),
                     _template(str(r.location or ""), host, snap)) for r in per_host[host])
        groups.setdefault(sig, []).append(host)
    out = []
    for sig, hosts in sorted(groups.items(), key=lambda kv: kv[1][0]):
        first = hosts[0]
        nets = per_host_prefixes[first]
        shown = ", ".join(str(n) for n in nets[:3]) + (f" and {len(nets) - 3} more" if len(nets) > 3 else "")
        reasons = per_host[first]
        why = reasons[0].text if reasons else "podpath recorded no decision for it (not traced)"
        text = (f"{first}: no kernel route for {len(nets)} pod CIDR(s) of other nodes ({shown}): {why}"
                + (f" (and {len(reasons) - 1} more reason(s))" if len(reasons) > 1 else ""))
        out.append(WhyNot("pod-route-not-in-kernel", first, text, [first], [str(n) for n in nets], reasons,
                          hosts[1:]))
    skipped -= set(missing)
    if skipped:
        out.append(WhyNot("pod-route-not-in-kernel", "", f"{len(skipped)} more node(s) cannot reach other nodes' pods "
                          f"and were not examined (podpath explains the first {MAX_HOSTS}; `podpath explain "
                          "SNAPSHOT PREFIX --at HOST` explains any)", sorted(skipped)[:100]))
    return out


def _template(text: str, host: str, snap: "Snapshot") -> str:
    """`text` with the host's own name (and its node's pod CIDRs) replaced, to group hosts configured alike."""
    import re

    out = re.sub(rf"(?<![\w.-]){re.escape(host)}(?![\w-])", "<host>", text)
    node = snap.cluster.nodes.get(host)
    for c in node.pod_cidrs if node is not None else ():
        out = out.replace(str(c.value), "<own pod CIDR>")
    out = re.sub(r"\b(\d+\.\d+\.\d+\.\d+|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(/\d+)?", "<addr>", out)
    return re.sub(r"(?<![\w:.])\d{3,}(?![\w:.])", "<n>", out)  # AS numbers (paths differ per host)


def _to_trace(missing: dict[str, dict[Any, str]]) -> list[Any]:
    """The pod CIDRs to trace: one missing at every host (per family) first (hosts configured alike share their
    reasons, so a cluster-wide fault costs one traced prefix per family), then more, up to MIN_TRACED."""
    def key(n: Any) -> tuple[int, int, int]:
        return (n.version, int(n.network_address), n.prefixlen)

    chosen: list[Any] = []
    have: set[Any] = set()
    for host in sorted(missing):
        for fam in sorted({n.version for n in missing[host]}):  # and one of each family: their channels differ
            nets = [n for n in missing[host] if n.version == fam]
            if not any(n in have for n in nets) and len(chosen) < MAX_TRACED:
                first = min(nets, key=key)
                chosen.append(first)
                have.add(first)
    for n in sorted({n for m in missing.values() for n in m}, key=key):
        if len(chosen) >= MIN_TRACED:
            break
        if n not in have:
            chosen.append(n)
            have.add(n)
    return sorted(chosen, key=key)


def _by_host(tres: Any, recv: dict[str, tuple[Any, Any, Any]], ex: Any) -> dict[str, list[tuple[Any, Any]]]:
    """A traced prefix's refusals by the host they concern: kernel and import decisions at its speakers,
    export decisions towards them (with the receiving speaker, end and session)."""
    out: dict[str, list[tuple[Any, Any]]] = {}
    for d in ex.steps:
        if d.accepted:
            continue
        if d.stage in ("kernel", "import"):
            sp = tres.speakers.get(d.speaker)
            if sp is not None:
                out.setdefault(sp.host, []).append((d, None))
        elif d.stage == "export":
            hit = _receiver(recv, d)
            if hit is not None:
                out.setdefault(hit[0].host, []).append((d, hit))
    return out


def _receivers(res: Any) -> dict[str, tuple[Any, Any, Any]]:
    """The sending end's label ("<speaker> to <address>", how every export decision starts) -> (receiving
    speaker, receiving end, session)."""
    out: dict[str, tuple[Any, Any, Any]] = {}
    for s in res.sessions:
        if s.b is None:
            continue
        for snd, rcv in ((s.a, s.b), (s.b, s.a)):
            out.setdefault(snd.label, (rcv.speaker, rcv, s))
    return out


def _receiver(recv: dict[str, tuple[Any, Any, Any]], d: Any) -> tuple[Any, Any, Any] | None:
    label = d.text.split(": ", 1)[0]
    return recv.get(label)


def _host_reasons(snap: "Snapshot", res: Any, tres: Any, decisions: list[tuple[Any, Any]],
                  host: str, net: Any, ex: Any, owner: str, ctx: Any) -> list[Reason]:
    from podpath.routing.bgp import Daemon

    here = _speakers_on(tres, host)
    holds = {sid for sid in here if net in tres.best.get(sid, {})}
    out: list[Reason] = []
    for d, hit in decisions:
        if d.stage == "kernel":
            out.append(Reason(d.speaker, "kernel", f"{d.speaker} holds it but does not install it: "
                              + _strip(d.text, d.speaker), d.loc))
        elif d.stage == "import" and d.speaker not in holds:
            out.append(Reason(d.speaker, "import", d.text, d.loc))
        elif d.stage == "export":
            if hit[0].id in holds:
                continue
            out.append(Reason(d.speaker, "export", f"{d.text} (so {hit[0].id} never receives it)", d.loc))
            nxt = _if_sent(snap, res, d, hit)
            if nxt is not None:
                out.append(nxt)
    for sid in sorted(here):
        sp = tres.speakers[sid]
        if not sp.installs_to_kernel:
            what = ("Cilium's BGP Control Plane never installs received routes in the kernel (it only advertises "
                    "the node's own prefixes)" if sp.daemon is Daemon.CILIUM else
                    "this speaker never installs BGP routes in the kernel")
            out.append(Reason(sid, "never-installs", f"{sid}: {what}", sp.loc))
    agent = _cilium_agent_reason(snap, host, owner, net.version, ctx)
    if agent is not None:
        out.append(agent)
    if not any(r.stage in ("kernel", "import", "export") for r in out):
        stop = ex.__dict__.get("_key_stop", False)
        if stop is False:
            stop = ex.__dict__["_key_stop"] = ex.key_stop()
        if not here:
            out.insert(0, Reason("", "upstream", f"no routing daemon or BGP speaker of the snapshot runs on {host}"))
        elif stop is not None:
            out.insert(0, Reason(stop.speaker, "upstream", f"it never reaches {host}'s routing daemons: {stop.text}",
                                 stop.loc))
        else:
            out.insert(0, Reason("", "upstream", f"no speaker of the snapshot sends it towards {host}"))
    return out


def _speakers_on(tres: Any, host: str) -> set[str]:
    memo = tres.__dict__.setdefault("_whynot_on_host", {})
    if not memo:
        for sid, sp in tres.speakers.items():
            memo.setdefault(sp.host, set()).add(sid)
    return memo.get(host, set())


def _cilium_agent_reason(snap: "Snapshot", host: str, owner: str, fam: int, ctx: Any) -> Reason | None:
    """Why the Cilium agent itself installs no route to `owner`'s pod CIDR on `host` (native routing): the
    same rules as the routes it is simulated to install (autoDirectNodeRoutes, directly reachable node IPs)."""
    from podpath.checks.routes import pod_route_needs_bgp

    c = snap.cilium
    src, dst = snap.cluster.nodes.get(host), snap.cluster.nodes.get(owner)
    if not c.present or not c.native_routing or src is None or dst is None:
        return None
    setting = c.get("auto-direct-node-routes")
    if not c.auto_direct_node_routes:
        return Reason("cilium", "cilium-agent", "the Cilium agent installs no route to other nodes' pod CIDRs in "
                      f"native routing without autoDirectNodeRoutes ({ctx.describe_setting('auto-direct-node-routes')}"
                      "): a routing daemon or a static route must", setting.loc)
    needs, why = pod_route_needs_bgp(ctx, src, dst, fam)
    if needs and why:
        return Reason("cilium", "cilium-agent", f"autoDirectNodeRoutes installs no route to {owner}'s pod CIDR: {why}",
                      setting.loc)
    return None


def _if_sent(snap: "Snapshot", res: Any, d: Any, hit: tuple[Any, Any, Any]) -> Reason | None:
    """A route refused on export after its export policy accepted it (a next-hop rule, say): what the
    receiver's import checks would do with it, from the same daemon rules the simulation runs."""
    from podpath.routing import daemons
    from podpath.routing.policy import Verdict

    if d.route is None or d.policy is None or d.policy.verdict is not Verdict.ACCEPT:
        return None
    rsp, rend, session = hit
    try:
        _, dec = daemons.import_path(rsp, rend, session, d.route, snap.control_plane().network,
                                     daemons.PolicyCache(), res.speakers[d.speaker].host)
    except Exception:  # a hypothetical must never break the real answer
        return None
    if dec.accepted:
        return None
    return Reason(rsp.id, "if-sent", f"and if it were sent: {dec.text}", dec.loc)


def _strip(text: str, sid: str) -> str:
    return text[len(sid) + 2:] if text.startswith(sid + ": ") else text


# ------------------------------------------------------------------------------------ findings

def findings_still_holding(before: "Snapshot", after: "Snapshot", before_report: Any, after_report: Any,
                           changed: list[tuple[str, int]]) -> list[WhyNot]:
    """Error findings present before and after an edit: what each rests on, and whether the edit touched it."""
    from podpath.checks import Severity

    old = {f.id for f in before_report.findings}
    out = []
    touched = {(f, l) for f, l in changed}
    for f in after_report.findings:
        if f.id not in old or f.severity is not Severity.ERROR:
            continue
        rests = []
        hit = False
        for loc in f.locations:
            if loc is None:
                continue
            rests.append(Reason("", "rests-on", _describe_loc(after, loc), loc))
            hit = hit or (loc.file, loc.line) in touched
        if hit:
            text = (f"{f.id} still holds: {f.message} The change touched a value it rests on, but not enough: it "
                    "still holds with the new value.")
        else:
            names = [r.text.split(" = ")[0] for r in rests if " = " in r.text]
            on = f" (it rests on {', '.join(dict.fromkeys(names))})" if names else ""
            text = f"{f.id} still holds: {f.message} The change touches none of the values it rests on{on}."
        out.append(WhyNot("finding-still-holds", f.id, text, reasons=rests))
    return out


def _describe_loc(snap: "Snapshot", loc: Loc) -> str:
    """`ipv6NativeRoutingCIDR = fd00:101::/48` for a Cilium setting's location, else the line's own text."""
    for s in snap.cilium.settings.values():
        if s.loc is not None and s.loc.file == loc.file and s.loc.line == loc.line:
            name = s.helm_key or s.key
            return f"{name} = {s.value}"
    lines = snap.texts.get(loc.file, "").splitlines()
    text = lines[loc.line - 1].strip() if 0 < (loc.line or 0) <= len(lines) else ""
    return f"`{snap.secrets.line(text, loc.file, loc.line)}`" if text else str(loc)


# ------------------------------------------------------------------------------------ SNAT

MAX_SNAT_TRACES = 64  # pod-to-pod packets traced per family and snapshot (one per destination node)


def _snat_paths(snap: "Snapshot", fam: int) -> tuple[str, list[str], Any, int] | None:
    """(source node, destination nodes SNATed, the first SNAT rewrite, nodes traced) for packets from a pod of the first node (by
    name) to a pod of every other node, traced through Cilium's datapath (podpath.datapath.trace); None when
    none of them is SNATed (or the family has fewer than two nodes with pod CIDRs)."""
    from podpath.datapath.trace import TraceError, _Ctx, trace

    nodes = sorted((n for n in snap.cluster.nodes.values() if n.pod_cidrs_of(fam)), key=lambda n: n.name)
    if len(nodes) < 2 or not snap.cilium.present or not snap.cilium.masquerade(fam):
        return None
    ctx = _Ctx(snap)
    src = nodes[0]

    def pod_ip(n: Any) -> str:
        net = n.pod_cidrs_of(fam)[0].value
        return str(net.network_address + 10 if net.num_addresses > 16 else net.network_address)

    hit: list[str] = []
    first = None
    for dst in nodes[1:MAX_SNAT_TRACES + 1]:
        try:
            r = trace(snap, pod_ip(src), pod_ip(dst), family=fam, ctx=ctx, reconcile=False)
        except TraceError:
            continue
        snat = [w for w in r.rewrites if w.kind == "SNAT"]
        if snat:
            hit.append(dst.name)
            first = first or snat[0]
    return (src.name, hit, first, len(nodes[1:MAX_SNAT_TRACES + 1])) if hit else None


def pod_traffic_snat(before: "Snapshot", after: "Snapshot", changed: list[tuple[str, int]] | None) -> list[WhyNot]:
    """Pod-to-pod traffic across nodes that `after` still (or newly) masquerades, with the datapath's own
    reason and the settings it rests on; whether the edit (`changed`: its lines) touched them."""
    if not after.usable:
        return []
    out = []
    touched = set(changed or [])
    for fam in (4, 6):
        now = _snat_paths(after, fam)
        if now is None:
            continue
        was = _snat_paths(before, fam) if before.usable else None
        src, dsts, rw, traced = now
        shown = ", ".join(dsts[:5]) + (f" and {len(dsts) - 5} more" if len(dsts) > 5 else "")
        shown += f" ({len(dsts)} of the {traced} other nodes traced)" if len(dsts) < traced or traced > 5 else ""
        locs = [l for l in rw.locs if l is not None]
        text = (f"IPv{fam} pod-to-pod traffic is {'still' if was else 'now'} masqueraded: a packet from a pod on "
                f"{src} to a pod on {shown} leaves {rw.node} with source {rw.after.rsplit(':', 1)[0].strip('[]')} "
                f"({rw.hook}): {rw.why}.")
        if changed is not None:
            hit = [l for l in locs if (l.file, l.line) in touched]
            text += (" The change touched a setting this decision rests on, but it still SNATs." if hit else
                     " The change touches none of the settings this decision rests on.")
        out.append(WhyNot("pod-traffic-snat", f"ipv{fam}", text, [src], reasons=[
            Reason("", "rests-on", _describe_loc(after, l), l) for l in locs]))
    return out


# ------------------------------------------------------------------------------------ both

def explain_changes(before: "Snapshot", after: "Snapshot", d: Any = None, changed: list[tuple[str, int]] | None = None,
                    before_report: Any = None, after_report: Any = None) -> list[WhyNot]:
    """The why-nots of `after` against `before`: findings still holding (only for an edit: `changed` lists its
    file:line), pod-to-pod traffic still masqueraded, and pod routes not in the kernel."""
    from podpath.util import paused_gc

    out: list[WhyNot] = []
    if changed is not None and before_report is not None and after_report is not None:
        out += findings_still_holding(before, after, before_report, after_report, changed)
    with paused_gc():  # traces and a traced simulation over a large heap (see util.paused_gc)
        out += pod_traffic_snat(before, after, changed)
        out += pod_routes_not_in_kernel(after)
    return out
