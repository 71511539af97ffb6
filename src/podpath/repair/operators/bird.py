"""Repair operators for BIRD 2 configurations.

Each operator starts from the simulation's evidence (a pod route lost at a BIRD filter statement, a BGP route
that never reaches the kernel, a session that cannot come up), finds in the BIRD model what the author most
likely meant (a prefix pattern that contains the pod prefix's address but not its length, a community one
permutation or a few characters away from what the route carries, a filter defined but used nowhere that would
accept) and proposes the one textual edit, at the statement's own line, that flips the outcome. Whether the edit
really restores the pod routes is for verification (re-simulation) to decide, never for the operator."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from podpath.diagnostics import Diagnostics, Loc
from podpath.readers.bird import ast as A
from podpath.readers.bird.model import BgpProtocol, BirdConfig, FilterSpec, KernelProtocol
from podpath.repair.candidates import Candidate, RepairContext, operator, edit_distance
from podpath.repair.edit import Patch, TextEdit
from podpath.routing.bgp import Daemon
from podpath.routing.route import IPNetwork
from podpath.routing.sessions import wrong_ports

# --- evidence shared by the operators (cached in RepairContext.extra) ----------------------------------------


@dataclass
class Lost:
    """A pod CIDR that some nodes cannot reach, with the decisions of its traced simulation."""

    prefix: IPNetwork
    owner: str
    sources: list[str]
    decisions: list[Any] = field(default_factory=list)  # routing.rib.Decision


def bird_configs(ctx: RepairContext) -> dict[str, BirdConfig]:
    """BIRD configurations by their shown file name."""
    return {rc.file: rc.config for rc in ctx.snap.routers if rc.dialect == "bird" and rc.config is not None}


def lost_pod_routes(ctx: RepairContext) -> list[Lost]:
    """Every pod CIDR some other node's packets do not reach, traced (one traced simulation for all)."""
    got = ctx.extra.get("bird.lost")
    if got is not None:
        return got  # type: ignore[return-value]
    out: list[Lost] = []
    snap = ctx.snap
    if snap.has_control_plane:
        from podpath.routing.explain import explain_many
        from podpath.routing.reach import Forwarder

        res = snap.simulate()
        fwd = Forwarder(res, snap.control_plane().network)
        nodes = sorted(snap.cluster.nodes.values(), key=lambda n: n.name)
        hosts = set(res.fib)
        sources = fwd.sources(n.name for n in nodes if n.name in hosts)  # grouped once, for every prefix
        for node in nodes:
            for c in node.pod_cidrs:
                missing = fwd.undelivered_from(c.value, node.name, sources)  # the sources other than node
                if missing:
                    out.append(Lost(c.value, node.name, sorted(missing)))
        if out:
            exs = explain_many(snap, [l.prefix for l in out], hosts=False)
            for l in out:
                l.decisions = list(exs[l.prefix].steps)
    ctx.extra["bird.lost"] = out
    return out


def _entries(ctx: RepairContext, file: str) -> list[Any]:
    """The syntax tree of one BIRD file (defines keep their expressions there, not in the model)."""
    cache: dict[str, list[Any]] = ctx.extra.setdefault("bird.entries", {})  # type: ignore[assignment]
    if file not in cache:
        from podpath.readers.bird.parser import parse_entries

        text = ctx.texts.get(file)
        cache[file] = parse_entries(text, file, Diagnostics()).entries if text is not None else []
    return cache[file]


def _defines(ctx: RepairContext, file: str) -> dict[str, A.DefineDecl]:
    return {e.name: e for e in _entries(ctx, file) if isinstance(e, A.DefineDecl)}


def _walk(node: Any) -> Iterator[Any]:
    """Every syntax node under `node` (statements and expressions), itself first."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(reversed(n))
            continue
        if not isinstance(n, A.Node):
            continue
        yield n
        for name in getattr(n, "__slots__", ()):
            if name == "at":
                continue
            v = getattr(n, name, None)
            if isinstance(v, (A.Node, list)):
                stack.append(v)


def _spec_bodies(spec: FilterSpec | None) -> list[Any]:
    if spec is None:
        return []
    if spec.filter is not None:
        return [spec.filter.body]
    return [spec.expr] if spec.expr is not None else []


def _evaluated_conditions(cfg: BirdConfig, spec: FilterSpec | None, trace: Iterable[Any]) -> list[Any]:
    """The conditions (of `if` statements and `where` filters) the trace shows as evaluated and not matched:
    the places where the author's intent and the route disagree."""
    at = {(s.loc.file, s.loc.line, s.loc.col) for s in trace if s.loc is not None and s.effect in ("no-match", "reject")}
    roots = _spec_bodies(spec) + [f.body for f in cfg.functions.values()]
    out: list[Any] = []
    for root in roots:
        if not isinstance(root, A.Block):  # a `where` expression: evaluated as a whole
            where = {(l.file, l.line, l.col) for l in (root.loc, spec.loc if spec is not None else None) if l}
            if where & at:
                out.append(root)
            continue
        for n in _walk(root):
            if isinstance(n, A.If) and (n.loc.file, n.loc.line, n.loc.col) in at:
                out.append(n.cond)
    return out


def _policy_stops(ctx: RepairContext) -> Iterator[tuple[Lost, Any, BirdConfig, BgpProtocol, FilterSpec | None]]:
    """(lost route, decision, config, protocol, filter) for every BIRD import/export filter that rejected a
    lost pod route."""
    cfgs = bird_configs(ctx)
    res = ctx.snap.simulate()
    for lost in lost_pod_routes(ctx):
        for d in lost.decisions:
            if d.accepted or d.stage not in ("import", "export") or d.policy is None or d.peer is None:
                continue
            sp = res.speakers.get(d.speaker)
            if sp is None or sp.daemon is not Daemon.BIRD:
                continue
            cfg = cfgs.get(sp.config_file or "")
            proto = cfg.protocol(d.peer) if cfg is not None else None
            if not isinstance(proto, BgpProtocol):
                continue
            ch = proto.channel(lost.prefix.version)
            if ch is None:
                continue
            spec = proto.import_spec(ch) if d.stage == "import" else proto.export_spec(ch)
            yield lost, d, cfg, proto, spec  # type: ignore[misc]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _unit(line: str) -> str:
    """One indentation step as the file writes it (tabs or two spaces)."""
    return "\t" if line.startswith("\t") else "  "


def _statement_end(line: str, col: int) -> int | None:
    """Index just after the `;` ending the statement that starts at column `col` (1-based) of `line`."""
    i = line.find(";", max(col - 1, 0))
    return None if i < 0 else i + 1


def _add_after_statement(ctx: RepairContext, loc: Loc, stmt: str) -> TextEdit | None:
    """Insert `stmt` after the statement at `loc`: on a line of its own with the same indentation, or on the
    same line when the block closes there (`protocol bgp a from t { neighbor ...; }`)."""
    line = ctx.line(loc.file, loc.line)
    end = _statement_end(line, loc.col)
    if end is None:
        return None
    rest = line[end:]
    if rest.strip() and not rest.strip().startswith("#"):
        return TextEdit.replace_line(loc.file, loc.line, line, line[:end] + " " + stmt + rest)
    return TextEdit.insert_after(loc.file, loc.line, _indent(line) + stmt)


def _channel_statement(ctx: RepairContext, ch_loc: Loc, stmt: str) -> TextEdit | None:
    """Add `stmt` to the channel written at `ch_loc` (`ipv4 {` on its own line, `ipv4 { ... };` on one line,
    or a bare `ipv4;`)."""
    line = ctx.line(ch_loc.file, ch_loc.line)
    start = max(ch_loc.col - 1, 0)
    m = re.compile(r"(ipv[46](?:\s+\w+)?)\s*(\{|;)").match(line, start)
    if m is None:
        return None
    if m.group(2) == ";":
        new = line[: m.start()] + f"{m.group(1)} {{ {stmt} }};" + line[m.end():]
        return TextEdit.replace_line(ch_loc.file, ch_loc.line, line, new)
    rest = line[m.end():]
    if rest.strip() and not rest.strip().startswith("#"):
        return TextEdit.replace_line(ch_loc.file, ch_loc.line, line, line[: m.end()] + " " + stmt + rest)
    return TextEdit.insert_after(ch_loc.file, ch_loc.line, _indent(line) + _unit(line) + stmt)


def _shown(prefixes: Iterable[object], n: int = 3) -> str:
    ps = sorted({str(p) for p in prefixes})
    return ", ".join(ps[:n]) + (f" and {len(ps) - n} more" if len(ps) > n else "")


# --- prefix sets: the address is right, the length is not ------------------------------------------------------

_PATTERN = re.compile(r"[0-9A-Fa-f:.]+/\d+(?:\s*(?:\+|-|\{\s*\d+\s*,\s*\d+\s*\}))?")


def _set_patterns(ctx: RepairContext, file: str, expr: Any) -> tuple[str, list[A.PrefixPattern]] | None:
    """The prefix patterns `net ~ expr` tests: an inline `[ ... ]` or a `define NAME = [ ... ];`."""
    if isinstance(expr, A.PrefixSetLit):
        return "[ ... ]", list(expr.items)
    if isinstance(expr, A.Name):
        d = _defines(ctx, file).get(expr.name)
        if d is not None and isinstance(d.expr, A.PrefixSetLit):
            return expr.name, list(d.expr.items)
    return None


@operator("bird.prefix-set-length")
def prefix_set_length(ctx: RepairContext) -> Iterator[Candidate]:
    """A pod route rejected where `net ~ SET` did not match, and SET holds a pattern that contains the pod
    prefix's address but not its length (`10.212.0.0/16` for /24 pod CIDRs): give the pattern the length."""
    found: dict[tuple[str, int, int], dict[str, Any]] = {}
    for lost, d, cfg, proto, spec in _policy_stops(ctx):
        for cond in _evaluated_conditions(cfg, spec, d.policy.trace):
            for n in _walk(cond):
                if not (isinstance(n, A.Binary) and n.op in ("~", "!~") and isinstance(n.left, A.Name)
                        and n.left.name == "net"):
                    continue
                got = _set_patterns(ctx, n.right.loc.file, n.right)
                if got is None:
                    continue
                set_name, patterns = got
                L = lost.prefix.prefixlen
                for p in patterns:
                    if p.net.version != lost.prefix.version or p.net.prefixlen > L:
                        continue
                    if lost.prefix.network_address not in p.net or p.lo <= L <= p.hi:
                        continue
                    key = (p.loc.file, p.loc.line, p.loc.col)
                    e = found.setdefault(key, {"pattern": p, "set": set_name, "prefixes": set(), "stops": set(),
                                               "negated": n.op == "!~", "cond": n.loc})
                    e["prefixes"].add(lost.prefix)
                    e["stops"].add(f"{lost.prefix} rejected at {d.speaker} ({d.loc})")
    for key, e in sorted(found.items()):
        if e["negated"]:
            continue  # `net !~ SET` rejecting: widening SET would reject more, not less
        p: A.PrefixPattern = e["pattern"]
        line = ctx.line(p.loc.file, p.loc.line)
        m = _PATTERN.match(line, max(p.loc.col - 1, 0))
        if m is None:
            continue
        old = m.group(0)
        lens = sorted({q.prefixlen for q in e["prefixes"]})
        base = f"{p.net}"
        variants: list[tuple[str, int, str]] = []
        exact = p.lo == p.hi == p.net.prefixlen
        lo, hi = min(lens), max(lens)
        if exact:
            variants.append((f"{base}{{{lo},{hi}}}", 3, f"add `{{{lo},{hi}}}`"))
            variants.append((f"{base}{{{p.net.prefixlen},{hi}}}", 2, f"add `{{{p.net.prefixlen},{hi}}}`"))
            variants.append((f"{base}+", 1, "add `+`"))
        else:
            variants.append((f"{base}{{{min(p.lo, lo)},{max(p.hi, hi)}}}", 3,
                             f"widen it to `{{{min(p.lo, lo)},{max(p.hi, hi)}}}`"))
        seen: set[str] = set()
        for new_pat, intent, how in variants:
            if new_pat in seen or new_pat == old:
                continue
            seen.add(new_pat)
            new = line[: m.start()] + new_pat + line[m.end():]
            where = f"prefix set {e['set']}" if e["set"] != "[ ... ]" else "the prefix set"
            accepts = (f"only /{p.lo}" if p.lo == p.hi else f"only /{p.lo} to /{p.hi}")
            yield Candidate(
                "bird.prefix-set-length", Patch([TextEdit.replace_line(p.loc.file, p.loc.line, line, new)]),
                mistake=(f"`{old}` in {where} ({p.loc.file}:{p.loc.line}) matches {accepts} prefixes inside "
                         f"{p.net}, but the pod CIDRs {_shown(e['prefixes'])} are /{'/'.join(map(str, lens))}: "
                         f"`net ~ {e['set'] if e['set'] != '[ ... ]' else '[ ... ]'}` ({e['cond']}) does not match "
                         f"them, so the filter rejects them; {how} to the pattern."),
                fix=f"write `{new_pat}` instead of `{old}` at {p.loc.file}:{p.loc.line}",
                locations=(Loc(p.loc.file, p.loc.line, p.loc.col),), intent=intent,
                evidence=tuple(sorted(e["stops"]))[:6] + (
                    f"{old} contains the address of {_shown(e['prefixes'])} but not the length",))


# --- communities: a near miss of what the route carries ----------------------------------------------------------

def _const_int(e: Any) -> int | None:
    return e.value if isinstance(e, A.Const) and type(e.value) is int else None


def _literal_tuples(n: Any) -> list[tuple[Any, tuple[int, ...]]]:
    """Constant (a, b) / (a, b, c) literals in a condition: the node and its values."""
    out = []
    for x in _walk(n):
        if isinstance(x, A.PairCons):
            vals = (_const_int(x.a), _const_int(x.b))
        elif isinstance(x, A.LcCons):
            vals = (_const_int(x.a), _const_int(x.b), _const_int(x.c))
        elif isinstance(x, A.TupleItem) and x.kind in ("pair", "lc"):
            if any(p.lo is None or p.hi is not None for p in x.parts):
                continue
            vals = tuple(_const_int(p.lo) for p in x.parts)
        else:
            continue
        if all(v is not None for v in vals):
            out.append((x, vals))  # type: ignore[arg-type]
    return out


def _tuple_regex(vals: tuple[int, ...]) -> re.Pattern[str]:
    return re.compile(r"\(\s*" + r"\s*,\s*".join(f"({v})" for v in vals) + r"\s*\)")


@operator("bird.community-value")
def community_value(ctx: RepairContext) -> Iterator[Candidate]:
    """A pod route rejected where a community test did not match, and the community the filter expects is a
    permutation of, or a few characters away from, one the route carries (`(65030, 200, 0)` for 65030:0:200):
    write the value the route carries."""
    found: dict[tuple[str, int, tuple[int, ...]], dict[str, Any]] = {}
    for lost, d, cfg, proto, spec in _policy_stops(ctx):
        route = d.route
        if route is None:
            continue
        carried = [tuple(c) for c in sorted(route.large_communities)] + [tuple(c) for c in sorted(route.communities)]
        if not carried:
            continue
        for cond in _evaluated_conditions(cfg, spec, d.policy.trace):
            for node, vals in _literal_tuples(cond):
                if vals in carried:
                    continue
                best = None
                for c in carried:
                    if len(c) != len(vals):
                        continue
                    dist = edit_distance(":".join(map(str, vals)), ":".join(map(str, c)))
                    perm = sorted(c) == sorted(vals)
                    if perm or dist <= 2:
                        score = (0 if perm else 1, dist)
                        if best is None or score < best[0]:
                            best = (score, c, perm, dist)
                if best is None:
                    continue
                key = (node.loc.file, node.loc.line, vals)
                e = found.setdefault(key, {"node": node, "vals": vals, "to": best[1], "perm": best[2],
                                           "dist": best[3], "prefixes": set(), "stops": set()})
                e["prefixes"].add(lost.prefix)
                e["stops"].add(f"{lost.prefix} rejected at {d.speaker} ({d.loc}) carrying "
                               f"{':'.join(map(str, best[1]))}")
    for (file, line_no, vals), e in sorted(found.items()):
        line = ctx.line(file, line_no)
        m = _tuple_regex(vals).search(line, max(e["node"].loc.col - 1, 0)) or _tuple_regex(vals).search(line)
        if m is None:
            continue
        new = line
        for g in range(len(vals), 0, -1):  # right to left: spans stay valid
            new = new[: m.start(g)] + str(e["to"][g - 1]) + new[m.end(g):]
        kind = "large community" if len(vals) == 3 else "community"
        want, sent = ":".join(map(str, vals)), ":".join(map(str, e["to"]))
        how = "the same numbers in another order" if e["perm"] else f"{e['dist']} character(s) apart"
        yield Candidate(
            "bird.community-value", Patch([TextEdit.replace_line(file, line_no, line, new)]),
            mistake=(f"the filter at {file}:{line_no} tests {kind} {want}, but the pod routes {_shown(e['prefixes'])} "
                     f"carry {sent} ({how}), so the test never matches and they are rejected; write "
                     f"{sent} there."),
            fix=f"change {kind} {want} to {sent} at {file}:{line_no}",
            locations=(Loc(file, line_no, e["node"].loc.col),), intent=3 if e["perm"] else 2,
            evidence=tuple(sorted(e["stops"]))[:6])


# --- a filter that would accept, defined and used nowhere ---------------------------------------------------------

def _used_filters(cfg: BirdConfig) -> set[str]:
    used: set[str] = set()
    for p in list(cfg.protocols) + list(cfg.templates.values()):
        for ch in p.channels.values():
            for spec in (ch.import_, ch.export):
                if spec is not None and spec.kind == "named" and spec.name:
                    used.add(spec.name)
    return used


def _ctx_for(d: Any, proto: BgpProtocol) -> Any:
    from podpath.routing.policy import Direction, PolicyContext

    return PolicyContext(Direction.IMPORT if d.stage == "import" else Direction.EXPORT, local_as=proto.local_as,
                         peer_as=proto.remote_as(), peer_address=proto.neighbor, local_address=proto.local_address,
                         ibgp=proto.is_internal(), protocol_name=proto.name)


@operator("bird.unused-filter")
def unused_filter(ctx: RepairContext) -> Iterator[Candidate]:
    """A pod route rejected by a channel's filter while the same file defines a filter that no channel uses and
    that would accept the route: the author wrote the filter and forgot (or misnamed) the reference."""
    from podpath.readers.bird.interp import BirdFilterPolicy

    found: dict[tuple[str, int, str], dict[str, Any]] = {}
    for lost, d, cfg, proto, spec in _policy_stops(ctx):
        if d.route is None or spec is None or spec.implicit:
            continue
        unused = sorted(set(cfg.filters) - _used_filters(cfg))
        for name in unused:
            f = cfg.filters[name]
            trial = FilterSpec("named", spec.loc, name=name, filter=f)
            try:
                res = BirdFilterPolicy(cfg, trial, f"filter {name}").evaluate(d.route, _ctx_for(d, proto))
            except Exception:  # noqa: BLE001 - a filter podpath cannot evaluate proposes nothing
                continue
            if not res.accepted:
                continue
            key = (spec.loc.file, spec.loc.line, name)
            e = found.setdefault(key, {"spec": spec, "proto": proto, "stage": d.stage, "prefixes": set(),
                                       "filter": f})
            e["prefixes"].add(lost.prefix)
    for (file, line_no, name), e in sorted(found.items()):
        spec: FilterSpec = e["spec"]
        line = ctx.line(file, line_no)
        word = "import" if e["stage"] == "import" else "export"
        m = re.compile(rf"\b{word}\s+(all|none|filter\s+\w+|where\b[^;]*)\s*;").search(line)
        if m is None or "{" in m.group(0):
            continue
        new = line[: m.start()] + f"{word} filter {name};" + line[m.end():]
        yield Candidate(
            "bird.unused-filter", Patch([TextEdit.replace_line(file, line_no, line, new)]),
            mistake=(f"filter {name} ({e['filter'].loc}) would accept the pod routes {_shown(e['prefixes'])}, but no "
                     f"channel uses it: protocol {e['proto'].name} {word}s with `{m.group(0).strip()}` "
                     f"({file}:{line_no}), which rejects them; use `{word} filter {name};` there."),
            fix=f"write `{word} filter {name};` at {file}:{line_no}",
            locations=(Loc(file, line_no, spec.loc.col),), intent=2,
            evidence=(f"filter {name} is defined at {e['filter'].loc} and referenced by no channel",))


# --- routes that never reach the kernel ----------------------------------------------------------------------------

@operator("bird.kernel-export")
def kernel_export(ctx: RepairContext) -> Iterator[Candidate]:
    """BGP-learned pod routes that are best in BIRD's table but in no kernel route, because the kernel protocol
    exports nothing (`export none`, no `export`, no channel of that family, or no kernel protocol): export the
    routes of the protocols they came from, and only those (exporting `all` would also install the node's own
    pod CIDR learned from Cilium, as an unreachable route that beats cilium_host)."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    lost = {l.prefix for l in lost_pod_routes(ctx)}
    if not lost:
        return
    res = snap.simulate()
    cfgs = bird_configs(ctx)
    # (file, family) -> protocols the missing routes came from, and the prefixes
    todo: dict[tuple[str, int], tuple[set[str], set[IPNetwork]]] = {}
    for sid in sorted(res.best):
        sp = res.speakers[sid]
        if sp.daemon is not Daemon.BIRD or (sp.config_file or "") not in cfgs:
            continue
        missing = [p for p in res.not_installed(sid) if p in lost]
        for p in missing:
            path = res.best[sid].get(p)
            if path is None or path.local or not path.peer_name:
                continue
            protos, prefixes = todo.setdefault((sp.config_file, p.version), (set(), set()))
            protos.add(path.peer_name)
            prefixes.add(p)
    # the same change in every file that needs it: one repair
    by_change: dict[tuple[int, tuple[str, ...]], list[tuple[str, set[IPNetwork]]]] = {}
    for (file, fam), (protos, prefixes) in sorted(todo.items()):
        by_change.setdefault((fam, tuple(sorted(protos))), []).append((file, prefixes))
    for (fam, protos), files in sorted(by_change.items()):
        where = " || ".join(f'proto = "{p}"' for p in protos)
        stmt = f"export where {where};"
        edits: list[TextEdit] = []
        what: list[str] = []
        locs: list[Loc] = []
        for file, _ in files:
            cfg = cfgs[file]
            e, why, loc = _kernel_edit(ctx, cfg, fam, stmt)
            if e is None:
                break
            edits.append(e)
            what.append(why)
            locs.append(loc)
        else:
            prefixes = set().union(*(p for _, p in files))
            yield Candidate(
                "bird.kernel-export", Patch(edits),
                mistake=(f"{what[0]}, so the pod routes {_shown(prefixes)} that BIRD learns from "
                         f"{', '.join(protos)} never reach the kernel; add `{stmt}` to its ipv{fam} channel"
                         + (f" (in {len(files)} files)" if len(files) > 1 else "") + "."),
                fix=f"`{stmt}` in the kernel protocol's ipv{fam} channel of " + ", ".join(f for f, _ in files[:4])
                    + (" and more" if len(files) > 4 else ""),
                locations=tuple(locs), intent=3,
                evidence=tuple(f"{f}: {_shown(p)} best in BIRD, not in the kernel" for f, p in files[:6]))


def _kernel_edit(ctx: RepairContext, cfg: BirdConfig, fam: int, stmt: str) -> tuple[TextEdit | None, str, Loc]:
    kernels = [p for p in cfg.protocols if isinstance(p, KernelProtocol) and not p.disabled]
    for k in kernels:
        ch = k.channel(fam)
        if ch is None:
            continue
        if ch.export is not None and not ch.export.implicit:
            if ch.export.kind != "none":
                return None, "", ch.loc  # a real filter that rejects: not this operator's change
            loc = ch.export.loc
            line = ctx.line(loc.file, loc.line)
            m = re.compile(r"\bexport\s+none\s*;").search(line)
            if m is None:
                return None, "", loc
            new = line[: m.start()] + stmt + line[m.end():]
            return (TextEdit.replace_line(loc.file, loc.line, line, new),
                    f"the kernel protocol {k.name} at {k.loc} has `export none;` ({loc.file}:{loc.line})",
                    Loc(loc.file, loc.line, loc.col))
        e = _channel_statement(ctx, ch.loc, stmt)
        return e, f"the kernel protocol {k.name}'s ipv{fam} channel ({ch.loc.file}:{ch.loc.line}) has no `export` " \
                  f"(BIRD's default is `export none`)", Loc(ch.loc.file, ch.loc.line, ch.loc.col)
    text = ctx.texts.get(cfg.file, "")
    n = len(text.splitlines())
    block = ("", "protocol kernel {", f"  ipv{fam} {{", f"    {stmt}", "  };", "}")
    return (TextEdit.insert_before(cfg.file, n + 1, *block),
            f"{cfg.file} has no kernel protocol for IPv{fam}", Loc(cfg.file, n + 1, 1))


# --- sessions that cannot come up -----------------------------------------------------------------------------------

def _down_sessions(ctx: RepairContext) -> list[Any]:
    if not ctx.snap.has_control_plane:
        return []
    return [s for s in ctx.snap.simulate().sessions if not s.up and not s.unknown and s.b is not None]


def _bird_proto(ctx: RepairContext, end: Any) -> tuple[BirdConfig, BgpProtocol] | None:
    if end.speaker.daemon is not Daemon.BIRD:
        return None
    cfg = bird_configs(ctx).get(end.speaker.config_file or "")
    p = cfg.protocol(end.peer.name) if cfg is not None else None
    return (cfg, p) if isinstance(p, BgpProtocol) else None  # type: ignore[return-value]


@operator("bird.neighbor-as")
def neighbor_as(ctx: RepairContext) -> Iterator[Candidate]:
    """A session down because a BIRD `neighbor ... as N` expects another AS than the peer's own: write the
    peer's AS."""
    for s in _down_sessions(ctx):
        for me, other in ((s.a, s.b), (s.b, s.a)):
            got = _bird_proto(ctx, me)
            if got is None:
                continue
            cfg, p = got
            their = other.peer.local_as
            if p.neighbor_kind in ("internal", "external") or p.neighbor_as in (None, their) or not their:
                continue
            loc = p.neighbor_loc
            if loc is None:
                continue
            line = ctx.line(loc.file, loc.line)
            m = re.compile(r"\bas\s+(\d+)").search(line, max(loc.col - 1, 0))
            if m is None or int(m.group(1)) != p.neighbor_as:
                continue
            new = line[: m.start(1)] + str(their) + line[m.end(1):]
            near = edit_distance(str(p.neighbor_as), str(their)) <= 2
            yield Candidate(
                "bird.neighbor-as", Patch([TextEdit.replace_line(loc.file, loc.line, line, new)]),
                mistake=(f"protocol {p.name} ({loc.file}:{loc.line}) expects AS {p.neighbor_as} for "
                         f"{p.neighbor}, but {other.speaker.id} uses AS {their} ({other.peer.loc}), so the session "
                         f"never comes up; write `as {their}`."),
                fix=f"`neighbor {p.neighbor} as {their};` at {loc.file}:{loc.line}",
                locations=(loc,), intent=2 + int(near), evidence=(s.reason,))


@operator("bird.multihop")
def multihop(ctx: RepairContext) -> Iterator[Candidate]:
    """A session down because a BIRD eBGP session is single-hop towards an address that is not on a connected
    network (or is the host's own, as with a local Cilium on ::1): add `multihop`."""
    net = ctx.snap.control_plane().network if ctx.snap.has_control_plane else None
    same: dict[str, list[tuple[TextEdit, Loc]]] = {}  # one statement missing from several files (a template)
    for s in _down_sessions(ctx):
        for me in (s.a, s.b):
            got = _bird_proto(ctx, me)
            if got is None or net is None:
                continue
            cfg, p = got
            remote = me.remote_address
            if remote is None or p.effective_multihop() or p.is_internal():
                continue
            host = net.host(me.speaker.host)
            local = remote.is_loopback or remote in host.addresses
            if not local and host.on_link(remote) is not None:
                continue
            loc = p.neighbor_loc or p.loc
            stmt = "multihop 2;" if local else "multihop;"
            e = _add_after_statement(ctx, loc, stmt)
            if e is None:
                continue
            why = (f"{remote} is an address of {me.speaker.host} itself, and BIRD refuses a single-hop eBGP session "
                   "to a local address" if local else f"{remote} is not on a network {me.speaker.host} is connected to")
            same.setdefault(f"{p.name}\0{stmt}\0{'local' if local else 'remote'}", []).append((e, loc))
            yield Candidate(
                "bird.multihop", Patch([e]),
                mistake=(f"protocol {p.name} ({loc.file}:{loc.line}) is a single-hop eBGP session, but {why}, so it "
                         f"never comes up; add `{stmt}`."),
                fix=f"add `{stmt}` to protocol {p.name} at {loc.file}:{loc.line}", locations=(loc,), intent=3,
                evidence=(s.reason,))
    for key, items in sorted(same.items()):
        files = sorted({loc.file for _, loc in items})
        if len(files) < 2:
            continue
        name, stmt, kind = key.split("\0")
        peer = "an address of its own host" if kind == "local" else "a peer that is not directly connected"
        yield Candidate(
            "bird.multihop", Patch([e for e, _ in items]),
            mistake=(f"protocol {name} is a single-hop eBGP session to {peer} in "
                     f"{len(files)} files ({items[0][1].file}:{items[0][1].line} and the others), so none of them "
                     f"comes up; add `{stmt}` in each."),
            fix=f"add `{stmt}` to protocol {name} in " + ", ".join(files[:4]) + (" and more" if len(files) > 4 else ""),
            locations=tuple(loc for _, loc in items), intent=3)


@operator("bird.passive")
def passive(ctx: RepairContext) -> Iterator[Candidate]:
    """A session down because nobody opens the connection and a BIRD end is `passive on`: make that end
    active (the end whose peer is on another host: BIRD must stay passive towards a peer on its own host)."""
    for s in _down_sessions(ctx):
        if not s.reason.startswith("nobody can open the connection"):
            continue
        for me, other in ((s.a, s.b), (s.b, s.a)):
            got = _bird_proto(ctx, me)
            if got is None or not got[1].passive:
                continue
            cfg, p = got
            if other.speaker.host == me.speaker.host:
                continue  # `passive on` towards a peer on the same host is what keeps BIRD out of its own socket
            opt = p.options.get("passive")
            if opt is None:
                continue
            line = ctx.line(opt.loc.file, opt.loc.line)
            m = re.compile(r"\bpassive(\s+(on|yes))?\s*;").search(line, max(opt.loc.col - 1, 0))
            if m is None:
                continue
            rest = (line[: m.start()] + line[m.end():]).strip()
            edit = (TextEdit.delete_line(opt.loc.file, opt.loc.line, line) if not rest or rest.startswith("#")
                    else TextEdit.replace_line(opt.loc.file, opt.loc.line, line,
                                               line[: m.start()] + "passive off;" + line[m.end():]))
            wrong = any(w[0] is other for w in wrong_ports(s))
            inherited = p.end is not None and not (p.loc.file == opt.loc.file and p.loc.line <= opt.loc.line
                                                   <= p.end.line)
            yield Candidate(
                "bird.passive", Patch([edit]),
                mistake=(f"protocol {p.name} is `passive on` ({opt.loc.file}:{opt.loc.line}) and its peer "
                         f"{other.speaker.id} does not open the connection either, so the session never comes up; "
                         f"remove `passive on` there."),
                fix=f"remove `passive on;` at {opt.loc.file}:{opt.loc.line}"
                    + (f" (template {p.template}: every protocol from it becomes active)" if inherited else ""),
                # a peer that does connect, to a port nobody listens on, says `passive` is meant
                locations=(opt.loc,), intent=1 if wrong else 2 if inherited else 3,
                evidence=(s.reason,))


# --- next hops the receiver cannot reach -----------------------------------------------------------------------------

@operator("bird.next-hop-self")
def next_hop_self(ctx: RepairContext) -> Iterator[Candidate]:
    """A pod route accepted but not usable where it arrives, because the next hop BIRD passed on is not
    reachable there: the BIRD that sent it sets `next hop self` on that channel."""
    snap = ctx.snap
    if not snap.has_control_plane:
        return
    res = snap.simulate()
    ends: dict[tuple[str, str], Any] = {}
    for s in res.sessions:
        if s.up and s.b is not None:
            ends[(s.a.speaker.id, s.a.peer.name)] = s.b
            ends[(s.b.speaker.id, s.b.peer.name)] = s.a
    found: dict[tuple[str, str, int], tuple[BgpProtocol, set[IPNetwork], set[str]]] = {}
    for lost in lost_pod_routes(ctx):
        for d in lost.decisions:
            if d.stage != "import" or not d.accepted or d.peer is None:
                continue
            if "not usable" not in d.text and "unreachable" not in d.text:
                continue
            sender = ends.get((d.speaker, d.peer))
            if sender is None:
                continue
            got = _bird_proto(ctx, sender)
            if got is None:
                continue
            cfg, p = got
            ch = p.channel(lost.prefix.version)
            if ch is None or ch.next_hop_self in ("on", "ebgp" if not p.is_internal() else "ibgp"):
                continue
            e = found.setdefault((cfg.file, p.name, lost.prefix.version), (p, set(), set()))
            e[1].add(lost.prefix)
            e[2].add(d.text)
    by_edit: dict[TextEdit, tuple[list[str], set[IPNetwork], set[str], Any, int]] = {}
    for (file, name, fam), (p, prefixes, texts) in sorted(found.items()):
        ch = p.channel(fam)
        assert ch is not None
        edit = _channel_statement(ctx, ch.loc, "next hop self;")
        if edit is None:
            continue
        names, ps, ts, _, _ = by_edit.setdefault(edit, ([], set(), set(), ch.loc, fam))
        names.append(name)  # protocols from one template share the template's channel: one edit
        ps.update(prefixes)
        ts.update(texts)
    for edit, (names, prefixes, texts, loc, fam) in sorted(by_edit.items()):
        shown = ", ".join(names[:4]) + (" and more" if len(names) > 4 else "")
        yield Candidate(
            "bird.next-hop-self", Patch([edit]),
            mistake=(f"protocol{'s' if len(names) > 1 else ''} {shown} ({loc.file}:{loc.line}) pass"
                     f"{'' if len(names) > 1 else 'es'} on the next hop of the pod routes {_shown(prefixes)} "
                     f"unchanged, and the peer cannot reach that next hop; add `next hop self;` to the ipv{fam} "
                     "channel."),
            fix=f"add `next hop self;` to the ipv{fam} channel at {loc.file}:{loc.line}",
            locations=(loc,), intent=2, evidence=tuple(sorted(texts))[:4])
    groups: dict[tuple[str, ...], list[TextEdit]] = {}  # the same protocol in several files: one template
    for e, v in sorted(by_edit.items()):
        groups.setdefault(tuple(sorted(v[0])), []).append(e)
    for _, edits in sorted(groups.items()):
        per_file = {e.file: e for e in edits}
        files = sorted(per_file)
        if len(files) > 1 and len(per_file) == len(edits):
            prefixes = set().union(*(by_edit[e][1] for e in edits))
            yield Candidate(
                "bird.next-hop-self", Patch(list(per_file.values())),
                mistake=(f"the BGP channels at {', '.join(f'{e.file}:{e.line - 1}' for e in list(per_file.values())[:3])}"
                         f"{' and more' if len(per_file) > 3 else ''} pass on the next hop of the pod routes "
                         f"{_shown(prefixes)} unchanged, and their peers cannot reach it; add `next hop self;` in "
                         "each."),
                fix="add `next hop self;` in " + ", ".join(files[:4]) + (" and more" if len(files) > 4 else ""),
                locations=tuple(Loc(e.file, e.line, 1) for e in per_file.values()), intent=2)


@operator("bird.neighbor-port")
def neighbor_port(ctx: RepairContext) -> Iterator[Candidate]:
    """A BIRD protocol connects to a port its peer does not listen on (`neighbor ADDR port N`, or none while
    the peer listens elsewhere): write the port the peer listens on in the `neighbor` statement."""
    for s in _down_sessions(ctx):
        for me, other, listen in wrong_ports(s):
            got = _bird_proto(ctx, me)
            if got is None:
                continue
            cfg, p = got
            loc = p.neighbor_loc
            if loc is None:
                continue
            line = ctx.line(loc.file, loc.line)
            start = max(loc.col - 1, 0)
            m = re.compile(r"\bneighbor\s+(\S+?)(\s+port\s+(\d+))?(?=[\s;])").search(line, start)
            if m is None:
                continue
            if m.group(3) is not None:
                new = line[: m.start(3)] + str(listen) + line[m.end(3):]
                was, intent = m.group(3), 3 if edit_distance(m.group(3), str(listen)) <= 2 else 2
            else:
                new = line[: m.end(1)] + f" port {listen}" + line[m.end(1):]
                was, intent = "179 (the default)", 2
            yield Candidate(
                "bird.neighbor-port", Patch([TextEdit.replace_line(loc.file, loc.line, line, new)]),
                mistake=(f"protocol {p.name} ({loc.file}:{loc.line}) connects to port {was} of {m.group(1)}, but {other.speaker.id} listens "
                         f"on port {listen} ({other.peer.loc.file}:{other.peer.loc.line}) and does not connect "
                         f"itself, so the session never comes up; write `port {listen}` in its `neighbor` statement."),
                fix=f"neighbor {m.group(1)} port {listen} at {loc.file}:{loc.line}", locations=(loc,), intent=intent,
                evidence=(s.reason,))
