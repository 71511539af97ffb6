"""`hubble observe` output as evidence: the JSON form (`-o json`, one flow per line, as hubble prints it or
wrapped in `{"flow": ...}`) and the default text form (`SRC -> DST <event> <verdict> (<summary>)`, with or
without the timestamp and `[node]` prefix, the `(ID:n)` / `(remote-node)` identity after each side).

Field names follow Hubble's flow.proto (api/v1/flow/flow.proto in cilium/cilium): `verdict`,
`drop_reason_desc`, `IP.source/destination/source_xlated`, `l4.TCP|UDP.source_port/destination_port`,
`source|destination.{namespace,pod_name,identity,labels}`, `trace_observation_point`, `traffic_direction`,
`event_type.type` (1 drop, 4 trace, 5 policy verdict: pkg/monitor/api/types.go), `node_name`, `is_reply`.
The text form is what hubble's compact printer writes (hubble/pkg/printer/printer.go): the event name of a
trace is its observation point (`to-network`), of a policy verdict `policy-verdict:<match>`, of a drop its
reason (`Policy denied`). A line that is neither a flow nor a comment is reported, never skipped silently.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Diagnostics, Loc
from podpath.routing.route import IPAddress


@dataclass(frozen=True)
class FlowEnd:
    """One side of an observed flow: an address, a port, a name (`ns/pod`, or a bare workload name as people
    shorten it), an identity (number or reserved name)."""

    ip: IPAddress | None = None
    port: int | None = None
    name: str | None = None
    identity: str | None = None

    def describe(self) -> str:
        who = self.name or (str(self.ip) if self.ip else "?")
        return f"{who}:{self.port}" if self.port is not None else who


@dataclass(frozen=True)
class ObservedFlow:
    loc: Loc
    src: FlowEnd
    dst: FlowEnd
    event: str  # to-network, to-endpoint, from-network, ..., policy-verdict, drop, post-xlate-fwd, ..., other
    verdict: str  # FORWARDED, DROPPED, ALLOWED, DENIED, AUDIT, TRANSLATED, TRACED, ...
    node: str | None = None
    direction: str | None = None  # INGRESS | EGRESS
    drop_reason: str | None = None  # "Policy denied", ...
    flags: str = ""  # TCP flags as shown ("SYN", "SYN, ACK")
    is_reply: bool | None = None
    source_xlated: IPAddress | None = None
    text: str = ""

    def describe(self) -> str:
        ev = "policy-verdict" if self.event == "policy-verdict" else self.event
        extra = f" {self.direction}" if self.direction and self.event == "policy-verdict" else ""
        reason = f" ({self.drop_reason})" if self.drop_reason else ""
        return f"{self.src.describe()} -> {self.dst.describe()} {ev}{extra} {self.verdict}{reason}"


@dataclass
class HubbleFile:
    file: str
    flows: list[ObservedFlow] = field(default_factory=list)
    host: str | None = None  # the node whose Hubble printed it (from the path or podpath.yaml)
    form: str = "text"  # text | json


_EVENT = r"(?:(?:to|from)-(?:network|endpoint|stack|overlay|host|proxy|crypto)\b|policy-verdict:\S+|\S.*?\s+DROPPED\b|" \
         r"(?:pre|post)-xlate-(?:fwd|rev)\b)"
_LINE = re.compile(
    r"^(?:(?P<time>[A-Z][a-z]{2}\s+\d+\s+[\d:.]+)(?:\s+\[(?P<node>[^\]]+)\])?:\s+)?"
    r"(?P<src>\S+)(?:\s+\((?P<sid>[^)]*)\))?\s+(?P<arrow>->|<-|<>)\s+"
    r"(?P<dst>\S+)(?:\s+\((?P<did>[^)]*)\))?\s+(?P<rest>.+?)\s*$")
_POINT = re.compile(r"^(?P<point>(?:to|from)-[a-z]+)\s+(?P<verdict>[A-Z]+)\b")
_VERDICT = re.compile(r"^policy-verdict:(?P<match>\S+)\s+(?:(?P<dir>INGRESS|EGRESS)\s+)?(?P<verdict>[A-Z]+)\b")
_DROP = re.compile(r"^(?P<reason>.+?)\s+DROPPED\b")
_FLAGS = re.compile(r"\((?:TCP Flags:\s*(?P<flags>[^)]*)|[^)]*)\)\s*$")


def looks_like_hubble(text: str) -> bool:
    """At least half of the first meaningful lines are flows (text or JSON), and there is one."""
    lines = [ln for ln in text[:20000].splitlines()[:200] if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return False
    hits = 0
    for ln in lines[:50]:
        s = ln.strip()
        if s.startswith("{"):
            try:
                d = json.loads(s)
            except ValueError:
                continue
            if isinstance(d, dict) and _flow_of(d) is not None:
                hits += 1
        else:
            m = _LINE.match(s)
            if m and re.match(_EVENT, m.group("rest")):
                hits += 1
    return hits > 0 and hits * 2 >= min(len(lines), 50)


def _flow_of(d: dict[str, Any]) -> dict[str, Any] | None:
    f = d.get("flow") if isinstance(d.get("flow"), dict) else d
    if isinstance(f, dict) and ("verdict" in f or "IP" in f) and ("source" in f or "IP" in f):
        return f
    return None


def _end(raw: str, ident: str | None) -> FlowEnd:
    name: str | None = None
    ip: IPAddress | None = None
    port: int | None = None
    if raw.startswith("["):
        addr, _, rest = raw[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            name = addr
    else:
        base = raw
        if raw.count(":") == 1 or (raw.count(":") > 1 and re.search(r"[a-zA-Z]{2,}", raw.split(":")[0])):
            head, _, tail = raw.rpartition(":")
            if tail.isdigit():
                base, port = head, int(tail)
        try:
            ip = ipaddress.ip_address(base)
        except ValueError:
            name = base
    identity = None
    if ident:
        identity = ident[3:] if ident.startswith("ID:") else ident
    return FlowEnd(ip, port, name, identity)


def _parse_text_line(line: str, loc: Loc, host: str | None) -> ObservedFlow | None:
    m = _LINE.match(line.strip())
    if not m:
        return None
    rest = m.group("rest")
    flags = ""
    fm = _FLAGS.search(rest)
    if fm and fm.group("flags"):
        flags = fm.group("flags").strip()
    direction = None
    reason = None
    pm, vm, dm = _POINT.match(rest), _VERDICT.match(rest), _DROP.match(rest)
    if pm:
        event, verdict = pm.group("point"), pm.group("verdict")
    elif vm:
        event, verdict, direction = "policy-verdict", vm.group("verdict"), vm.group("dir")
    elif dm:
        event, verdict, reason = "drop", "DROPPED", dm.group("reason").strip()
    elif re.match(r"(pre|post)-xlate-(fwd|rev)\b", rest):
        parts = rest.split()
        event, verdict = parts[0], parts[1] if len(parts) > 1 else "TRACED"
    else:
        return None
    reply = True if m.group("arrow") == "<-" else (False if m.group("arrow") == "->" else None)
    return ObservedFlow(loc, _end(m.group("src"), m.group("sid")), _end(m.group("dst"), m.group("did")), event,
                        verdict, m.group("node") or host, direction, reason, flags, reply, None, line.strip())


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _json_end(side: dict[str, Any], ip: str | None, port: Any) -> FlowEnd:
    addr = None
    if ip:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            addr = None
    name = None
    if isinstance(side.get("pod_name"), str) and side["pod_name"]:
        name = f"{side.get('namespace') or 'default'}/{side['pod_name']}"
    ident = side.get("identity")
    labels = side.get("labels") if isinstance(side.get("labels"), list) else []
    reserved = [str(lab)[len("reserved:"):] for lab in labels if str(lab).startswith("reserved:")]
    identity = reserved[0] if reserved else (str(ident) if ident is not None else None)
    ok = (isinstance(port, int) and not isinstance(port, bool)) or (isinstance(port, str) and port.isdigit())
    return FlowEnd(addr, int(port) if ok else None, name, identity)


_DROP_REASONS = {"POLICY_DENIED": "Policy denied", "FIB_LOOKUP_FAILED": "FIB lookup failed",
                 "UNSUPPORTED_PROTOCOL_FOR_NAT_MASQUERADE": "Unsupported protocol for NAT masquerade",
                 "NO_MAPPING_FOR_NAT_MASQUERADE": "No mapping for NAT masquerade",
                 "STALE_OR_UNROUTABLE_IP": "Stale or unroutable IP", "INVALID_SOURCE_IP": "Invalid source ip",
                 "POLICY_DENY": "Policy denied by denylist", "SERVICE_BACKEND_NOT_FOUND": "Service backend not found"}


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _parse_json_flow(d: dict[str, Any], loc: Loc, host: str | None, line: str) -> ObservedFlow | None:
    f = _flow_of(d)
    if f is None:
        return None
    ipd = _dict(f.get("IP"))
    l4 = _dict(f.get("l4"))
    proto = next((v for v in l4.values() if isinstance(v, dict)), {})
    src = _json_end(_dict(f.get("source")), _str(ipd.get("source")), proto.get("source_port"))
    dst = _json_end(_dict(f.get("destination")), _str(ipd.get("destination")), proto.get("destination_port"))
    verdict = str(f.get("verdict") or "")
    etype = _dict(f.get("event_type")).get("type")
    reason = None
    if verdict == "DROPPED" or etype == 1:
        event = "drop"
        desc = str(f.get("drop_reason_desc") or "")
        reason = _DROP_REASONS.get(desc, desc.replace("_", " ").capitalize() or None)
    elif etype == 5 or f.get("policy_match_type") is not None:
        event = "policy-verdict"
    elif f.get("trace_observation_point"):
        event = str(f["trace_observation_point"]).lower().replace("_", "-")
    elif f.get("sock_xlation_point"):
        event = str(f["sock_xlation_point"]).lower().replace("sock_xlation_point_", "").replace("_", "-")
    else:
        event = "other"
    flags = ", ".join(str(k) for k, v in _dict(proto.get("flags")).items() if v)
    xl = None
    if isinstance(ipd.get("source_xlated"), str) and ipd["source_xlated"]:
        try:
            xl = ipaddress.ip_address(ipd["source_xlated"])
        except ValueError:
            xl = None
    direction = f.get("traffic_direction")
    node = d.get("node_name") or f.get("node_name") or host
    return ObservedFlow(loc, src, dst, event, verdict, str(node) if node else None,
                        str(direction) if direction in ("INGRESS", "EGRESS") else None, reason, flags,
                        f.get("is_reply") if isinstance(f.get("is_reply"), bool) else None, xl, line.strip())


def parse_hubble(text: str, file: str, diags: Diagnostics) -> HubbleFile:
    """Every flow of the file; a line that is no flow is a warning at its line (it was not read)."""
    out = HubbleFile(file)
    json_lines = 0
    for i, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#") or s.startswith("```"):
            continue
        loc = Loc(file, i, len(line) - len(line.lstrip()) + 1)
        flow: ObservedFlow | None = None
        if s.startswith("{"):
            try:
                d = json.loads(s)
            except ValueError as exc:
                diags.warning(loc, f"not a JSON flow ({exc}); not read")
                continue
            flow = _parse_json_flow(d, loc, None, s) if isinstance(d, dict) else None
            json_lines += 1
        else:
            flow = _parse_text_line(s, loc, None)
        if flow is None:
            diags.warning(loc, "not a hubble flow line; not read")
            continue
        out.flows.append(flow)
    out.form = "json" if json_lines else "text"
    return out
