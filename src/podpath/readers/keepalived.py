"""keepalived.conf: the VRRP instances (`vrrp_instance`: interface, virtual_router_id, priority, state,
nopreempt, virtual_ipaddress) that put gateway addresses on routers no routing configuration names.

A careful line parser: keepalived's syntax is keyword + arguments per line with `{ ... }` blocks, `#`/`!`
comments and double-quoted strings. Blocks podpath does not model (LVS `virtual_server`, `virtual_routes`,
`vrrp_sync_group`, `include`) are listed as unsupported with their line."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from podpath.diagnostics import Diagnostics, Loc, Unsupported
from podpath.routing.route import IPAddress
from podpath.util import is_digits

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}]|[^\s{}"]+')
_SNIFF = re.compile(r"^\s*(vrrp_instance\s+\S+|global_defs|vrrp_script\s+\S+|virtual_server\s+\S+.*)\s*(\{|$)", re.M)


@dataclass
class _Stmt:
    key: str
    args: list[str]
    loc: Loc
    body: list["_Stmt"] | None = None  # a `{ ... }` block


@dataclass
class VrrpInstance:
    name: str
    loc: Loc
    interface: str | None = None
    vrid: int | None = None
    priority: int = 100  # keepalived's default
    priority_loc: Loc | None = None
    state: str | None = None  # MASTER | BACKUP: the initial state only
    preempt: bool = True
    addresses: list[tuple[IPAddress, str | None, Loc]] = field(default_factory=list)  # (address, dev, line)
    track_weight: int = 0  # positive `weight` of tracked scripts: added while they succeed


@dataclass
class KeepalivedConfig:
    file: str
    instances: list[VrrpInstance] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)
    router_id: str | None = None

    def summary(self) -> dict[str, object]:
        return {"vrrp_instances": len(self.instances)}


def looks_like_keepalived(text: str) -> bool:
    return bool(_SNIFF.search(text)) and "{" in text


def _parse_blocks(text: str, file: str, diags: Diagnostics) -> list[_Stmt]:
    root: list[_Stmt] = []
    stack: list[tuple[list[_Stmt], Loc | None]] = [(root, None)]
    for lineno, line in enumerate(text.splitlines(), 1):
        toks = [(m.group(0), m.start() + 1) for m in _TOKEN.finditer(line)]
        cut = next((i for i, (t, _) in enumerate(toks) if t[0] in "#!"), None)
        if cut is not None:
            toks = toks[:cut]
        cur: _Stmt | None = None
        for t, col in toks:
            if t == "{":
                if cur is None:
                    body = stack[-1][0]
                    if not body:
                        diags.error(Loc(file, lineno, col), "`{` without a keyword before it", line)
                        continue
                    cur = body[-1]
                cur.body = []
                stack.append((cur.body, cur.loc))
                cur = None
            elif t == "}":
                if len(stack) == 1:
                    diags.error(Loc(file, lineno, col), "`}` closes nothing", line)
                    continue
                stack.pop()
                cur = None
            elif cur is None:
                cur = _Stmt(t, [], Loc(file, lineno, col))
                stack[-1][0].append(cur)
            else:
                cur.args.append(t.strip('"'))
    for _, loc in stack[1:]:
        diags.error(loc or Loc(file, 1, 1), "block is not closed (missing `}`)")
    return root


def parse_keepalived(text: str, file: str, diags: Diagnostics) -> KeepalivedConfig:
    cfg = KeepalivedConfig(file)
    scripts: dict[str, int] = {}
    stmts = _parse_blocks(text, file, diags)
    for s in stmts:  # scripts first: instances name them
        if s.key == "vrrp_script" and s.args and s.body is not None:
            for b in s.body:
                if b.key == "weight" and b.args and re.fullmatch(r"[-+]?\d+", b.args[0]):
                    scripts[s.args[0]] = int(b.args[0])
    for s in stmts:
        if s.key == "vrrp_instance":
            inst = _instance(s, scripts, file, diags, cfg)
            if inst is not None:
                cfg.instances.append(inst)
        elif s.key == "global_defs":
            for b in s.body or []:
                if b.key == "router_id" and b.args:
                    cfg.router_id = b.args[0]
        elif s.key == "vrrp_script":
            continue
        elif s.key in ("virtual_server", "virtual_server_group", "real_server"):
            cfg.unsupported.append(Unsupported(s.loc, f"{s.key} {' '.join(s.args)}".strip(),
                                               "LVS load balancing is not modelled", False))
        elif s.key == "vrrp_sync_group":
            cfg.unsupported.append(Unsupported(s.loc, f"vrrp_sync_group {' '.join(s.args)}".strip(),
                                               "sync groups only matter on failover (not modelled)", False))
        elif s.key == "include":
            cfg.unsupported.append(Unsupported(s.loc, f"include {' '.join(s.args)}",
                                               "included files are not read: add them to the snapshot", True))
        else:
            cfg.unsupported.append(Unsupported(s.loc, s.key, "keepalived setting not modelled", False))
    return cfg


def _instance(s: _Stmt, scripts: dict[str, int], file: str, diags: Diagnostics,
              cfg: KeepalivedConfig) -> VrrpInstance | None:
    inst = VrrpInstance(s.args[0] if s.args else "?", s.loc)
    if s.body is None:
        diags.error(s.loc, "vrrp_instance needs a `{ ... }` block")
        return None
    for b in s.body:
        arg = b.args[0] if b.args else None
        if b.key == "interface" and arg:
            inst.interface = arg
        elif b.key == "virtual_router_id":
            if arg is None or not is_digits(arg) or not 1 <= int(arg) <= 255:
                diags.error(b.loc, f"virtual_router_id must be 1-255, got {arg!r}")
            else:
                inst.vrid = int(arg)
        elif b.key == "priority":
            if arg is None or not is_digits(arg) or not 1 <= int(arg) <= 255:
                diags.error(b.loc, f"priority must be 1-255, got {arg!r}")
            else:
                inst.priority, inst.priority_loc = int(arg), b.loc
        elif b.key == "state" and arg:
            if arg.upper() not in ("MASTER", "BACKUP"):
                diags.error(b.loc, f"state must be MASTER or BACKUP, got {arg!r}")
            inst.state = arg.upper()
        elif b.key == "nopreempt":
            inst.preempt = False
        elif b.key == "preempt":
            inst.preempt = True
        elif b.key in ("virtual_ipaddress", "virtual_ipaddress_excluded"):
            for a in b.body or []:
                words = [a.key] + a.args
                try:
                    ip = ipaddress.ip_interface(words[0]).ip
                except ValueError:
                    diags.error(a.loc, f"{words[0]!r} is not an IP address")
                    continue
                dev = words[words.index("dev") + 1] if "dev" in words[:-1] else None
                inst.addresses.append((ip, dev, a.loc))
        elif b.key == "track_script":
            for t in b.body or []:
                w = scripts.get(t.key, 0)
                if "weight" in t.args[:-1]:
                    raw = t.args[t.args.index("weight") + 1]
                    w = int(raw) if re.fullmatch(r"[-+]?\d+", raw) else 0
                if w > 0:
                    inst.track_weight += w
        elif b.key in ("virtual_routes", "virtual_rules"):
            cfg.unsupported.append(Unsupported(b.loc, b.key, "routes installed by keepalived are not modelled", True))
        # advert_int, authentication, unicast_peer, track_interface, notify*, garp*: timing and failover only
    if inst.vrid is None:
        diags.error(s.loc, f"vrrp_instance {inst.name} has no virtual_router_id")
        return None
    if inst.interface is None:
        diags.error(s.loc, f"vrrp_instance {inst.name} has no interface")
        return None
    return inst
