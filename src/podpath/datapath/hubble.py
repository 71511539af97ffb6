"""The Hubble events Cilium would emit for a traced packet, after the monitor aggregation filter, and how
they compare with `hubble observe` output the user already has.

Which events exist (Cilium 1.16-1.19):

- Trace events (`to-network`, `to-endpoint`, `to-stack`, `to-overlay`, `from-*`) pass the agent's
  `monitor-aggregation` filter (bpf/lib/trace.h:184-212, levels pkg/option/monitor.go:20-60: none 0,
  lowest 1, low 2, medium 3 = default, maximum 4): at >= lowest every `from-*` event is dropped; at >=
  medium a trace emitted without connection-tracking information (`monitor == 0`: bpf_host's post-SNAT
  `to-network` for endpoint traffic, bpf/lib/nodeport_egress.h:127-147) is dropped too.
- Drops and policy verdicts are not filtered. A policy-verdict event is emitted for a new connection only
  when the endpoint enforces policy in that direction (bpf/lib/policy_log.h:47-92, pkg/endpoint/bpf.go
  `GetPolicyVerdictLogFilter`); its match type is `none` when no rule matched (default deny) and
  `L3-Only`/`L3-L4`/`L4-Only`/`all` for the kind of rule that allowed it (flow.proto `policy_match_type`).
- Socket-LB translations show as trace-sock events, `pre-xlate-fwd TRACED` then `post-xlate-fwd TRANSLATED`
  (agent flag `trace-sock`, on by default; flow.proto `SocketTranslationPoint`).
- The post-SNAT event, when it exists (aggregation none), carries `source_xlated`
  (pkg/hubble/parser/threefour/parser.go:252-265).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from podpath.diagnostics import Loc

LEVELS = {"none": 0, "disabled": 0, "lowest": 1, "low": 2, "medium": 3, "maximum": 4}


@dataclass(frozen=True)
class Event:
    """One predicted Hubble event on one node."""

    node: str
    event: str  # to-network | to-endpoint | to-stack | to-overlay | from-network | policy-verdict | drop | post-xlate-fwd
    verdict: str  # FORWARDED | DROPPED | ALLOWED | DENIED | TRANSLATED
    src: str  # address:port as Hubble shows it
    dst: str
    src_ip: Any = None
    dst_ip: Any = None
    src_identity: str | None = None
    dst_identity: str | None = None
    direction: str | None = None  # INGRESS | EGRESS (policy verdicts)
    match: str | None = None  # policy-verdict match type
    drop_reason: str | None = None
    source_xlated: str | None = None
    hook: str = ""
    ct_info: bool = True  # False: emitted with monitor=0 (suppressed from aggregation medium)
    suppressed: str | None = None  # why the aggregation filter removes it

    def text(self) -> str:
        """The line `hubble observe` would print (without timestamp)."""
        s = f"{self.src}"
        if self.src_identity:
            s += f" ({self.src_identity})"
        s += f" -> {self.dst}"
        if self.dst_identity:
            s += f" ({self.dst_identity})"
        if self.event == "policy-verdict":
            s += f" policy-verdict:{self.match or 'none'} {self.direction or ''} {self.verdict}".replace("  ", " ")
        elif self.event == "drop":
            s += f" {self.drop_reason} DROPPED"
        else:
            s += f" {self.event} {self.verdict}"
        if self.source_xlated:
            s += f" [source_xlated {self.source_xlated}]"
        return s

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "event": self.event, "verdict": self.verdict, "source": self.src,
                "destination": self.dst, "source_identity": self.src_identity,
                "destination_identity": self.dst_identity, "direction": self.direction, "match": self.match,
                "drop_reason": self.drop_reason, "source_xlated": self.source_xlated, "hook": self.hook,
                "suppressed": self.suppressed, "text": self.text()}


def aggregation(c: Any) -> tuple[str, int, Loc | None]:
    s = c.get("monitor-aggregation")
    name = (s.value or "medium").strip().lower()
    return name, LEVELS.get(name, 3), s.loc


def apply_filter(events: Iterable[Event], level_name: str, level: int) -> list[Event]:
    """Mark the events the aggregation filter removes (they stay in the list, marked)."""
    out = []
    for e in events:
        why = None
        if e.event.startswith("from-") and level >= 1:
            why = f"from-* trace events are not emitted at monitorAggregation {level_name} (>= lowest)"
        elif e.event.startswith("to-") and not e.ct_info and level >= 3:
            why = (f"emitted without connection-tracking info (monitor=0), dropped at monitorAggregation "
                   f"{level_name} (>= medium)")
        out.append(Event(**{**e.__dict__, "suppressed": why}))
    return out


# ------------------------------------------------------------------------------------------ reconciliation

@dataclass
class Reconciled:
    observation: Any  # ObservedFlow
    node: str | None
    status: str  # explained | contradicts | unrelated
    why: str
    predicted: Event | None = None

    def to_json(self) -> dict[str, Any]:
        o = self.observation
        return {"observed": o.text or o.describe(), "location": o.loc.to_json(), "node": self.node,
                "status": self.status, "why": self.why,
                "predicted": self.predicted.text() if self.predicted else None}


def _end_matches(end: Any, ip: Any, names: list[str]) -> bool:
    if end.ip is not None:
        return ip is not None and end.ip == ip
    if end.name:
        n = end.name
        for cand in names:
            if not cand:
                continue
            short = cand.split("/")[-1]
            if n == cand or n == short or short.startswith(n + "-") or cand.startswith(n + "-") \
                    or n.split("/")[-1] == short or short.startswith(n.split("/")[-1] + "-"):
                return True
        return False
    return False


def reconcile(files: list[Any], events: list[Event], flow: dict[str, Any]) -> list[Reconciled]:
    """Each observed flow of the traced connection: explained by a predicted (unsuppressed) event, or in
    contradiction with the model (an event the model says cannot exist, a verdict it does not predict). Flows of
    other connections are left out. `flow` names the traced connection: the addresses and names its two ends
    have along the way and the destination port(s)."""
    out: list[Reconciled] = []
    src_ips, dst_ips = flow["src_ips"], flow["dst_ips"]
    src_names, dst_names = flow["src_names"], flow["dst_names"]
    ports = flow["dst_ports"]
    for hf in files:
        for o in hf.flows:
            node = o.node or hf.host
            if o.is_reply:
                continue
            s_ok = any(_end_matches(o.src, ip, src_names) for ip in src_ips) or (
                o.src.ip is None and _end_matches(o.src, None, src_names))
            d_ok = any(_end_matches(o.dst, ip, dst_names) for ip in dst_ips) or (
                o.dst.ip is None and _end_matches(o.dst, None, dst_names))
            if not (s_ok and d_ok) or (o.dst.port is not None and o.dst.port not in ports):
                continue
            cands = [e for e in events if (node is None or e.node == node) and _same_kind(e, o)]
            exact = [e for e in cands if e.verdict == o.verdict and e.suppressed is None]
            if exact:
                out.append(Reconciled(o, node, "explained", f"predicted on {exact[0].node}: {exact[0].text()}",
                                      exact[0]))
                continue
            hidden = [e for e in cands if e.verdict == o.verdict]
            if hidden:
                out.append(Reconciled(o, node, "contradicts", f"the model predicts this event is not emitted "
                                      f"({hidden[0].suppressed})", hidden[0]))
            elif cands:
                out.append(Reconciled(o, node, "contradicts", f"the model predicts {cands[0].verdict} here: "
                                      f"{cands[0].text()}", cands[0]))
            else:
                where = f" on {node}" if node else ""
                out.append(Reconciled(o, node, "contradicts", f"the model predicts no {o.event} event for this "
                                      f"flow{where}"))
    return out


def _same_kind(e: Event, o: Any) -> bool:
    if e.event != o.event:
        return False
    if e.event == "policy-verdict" and o.direction and e.direction and o.direction != e.direction:
        return False
    return True


def unobserved(files: list[Any], events: list[Event], recon: list[Reconciled], src_ip: Any,
               src_name: str) -> list[tuple[Event, str]]:
    """Predicted, emitted events on a node whose Hubble output is in the snapshot that no observation shows,
    with the likely reason: the observation was filtered by the source pod while the packet carried another
    (SNATed) source, or it was filtered by event type, or the model is wrong."""
    nodes = {f.host for f in files if f.host} | {o.node for f in files for o in f.flows if o.node}
    seen = {id(r.predicted) for r in recon if r.predicted is not None and r.status == "explained"}
    out = []
    for e in events:
        if e.suppressed is not None or e.node not in nodes or id(e) in seen:
            continue
        if e.src_ip is not None and e.src_ip != src_ip:
            why = (f"the source here is {e.src_ip} ({e.src_identity}), not {src_name}: an observation filtered on "
                   f"{src_name} cannot show it; filter on the destination (--to-pod) or on {e.src_ip}")
        elif e.event in ("post-xlate-fwd", "pre-xlate-fwd"):
            why = "socket-LB translation events appear only when Hubble shows trace-sock events"
        else:
            why = "not in the snapshot's observations of this node: filtered out, or the model is wrong here"
        out.append((e, why))
    return out
