"""Repair operators for FRR configurations (issue 11).

Each operator starts from what the simulation lost: a pod CIDR that does not arrive somewhere, the FRR decision
that dropped it (the route-map clause, the missing policy, the unusable next hop, iBGP split horizon), or a BGP
session that cannot come up. It then looks in the model for the statement the author most likely meant (the
near miss: a prefix-list entry holding the prefix's address but not its length, a community one permutation
away, a permit clause behind a deny, a list defined but used nowhere) and proposes one edit of that statement's
own line. Nothing here decides whether a candidate is right: `repair.verify` re-simulates it; `intent` only
ranks the verified ones (higher: closer near miss)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from podpath.diagnostics import Loc
from podpath.readers.frr.model import (
    AfKey,
    BgpInstance,
    CommunityList,
    FrrConfig,
    Neighbor,
    PrefixList,
    RouteMap,
    RouteMapClause,
)
from podpath.readers.frr.policy import NeighborPolicy, RouteMapPolicy, _match_clause, _Run, prefix_list_apply
from podpath.repair.candidates import Candidate, RepairContext, edit_distance
from podpath.repair.candidates import operator as _register
from podpath.repair.edit import Patch, TextEdit
from podpath.routing.bgp import BgpSpeaker, Daemon
from podpath.routing.policy import Direction, PolicyContext
from podpath.routing.reach import Forwarder
from podpath.routing.rib import Decision
from podpath.routing.route import IPNetwork, Route
from podpath.routing.sessions import Session, SessionEnd, _hop_problem, wrong_ports

_AF = {4: AfKey("ipv4", "unicast"), 6: AfKey("ipv6", "unicast")}


def operator(name: str):  # type: ignore[no-untyped-def]
    """`repair.candidates.operator`, with each patch proposed once (several lost prefixes or sessions often
    lead to the same statement)."""

    def deco(func):  # type: ignore[no-untyped-def]
        def run(ctx: RepairContext) -> Iterator[Candidate]:
            seen: set[Patch] = set()
            out: list[Candidate] = []
            for c in func(ctx):
                if c.patch not in seen:
                    seen.add(c.patch)
                    out.append(c)
            yield from _same_edit_everywhere(out)
            yield from out

        run.__name__, run.__doc__ = func.__name__, func.__doc__
        _register(name)(run)
        return run

    return deco


def _same_edit_everywhere(cands: list[Candidate]) -> Iterator[Candidate]:
    """Routers built from one template carry the same mistake in each file: where an operator proposes the same
    edit (same old and new text) in several files, one candidate makes it in all of them (ranked first: it
    restores what each file alone cannot)."""
    groups: dict[tuple, list[Candidate]] = {}
    for c in cands:
        key = tuple((e.old, e.new) for e in c.patch.edits)
        if len({e.file for e in c.patch.edits}) == 1:
            groups.setdefault(key, []).append(c)
    for key, cs in groups.items():
        files = {c.patch.files[0] for c in cs}
        if len(files) < 2:
            continue
        first = {}
        for c in cs:
            first.setdefault(c.patch.files[0], c)
        patch = Patch([e for c in first.values() for e in c.patch.edits])
        c0 = cs[0]
        yield Candidate(c0.operator, patch, f"{c0.mistake} (the same statement in {len(files)} files: "
                        f"{', '.join(sorted(files))})", f"{c0.fix}, and the same in {len(files) - 1} more file(s)",
                        tuple(loc for c in first.values() for loc in c.locations), intent=c0.intent + 1,
                        targets=c0.targets, evidence=c0.evidence)


# =============================================================================================== evidence

@dataclass
class Loss:
    """One FRR decision about a lost pod CIDR: where (speaker, session end), by what (the policy result), and
    the route as the policy saw it."""

    prefix: IPNetwork
    decision: Decision
    speaker: BgpSpeaker
    end: SessionEnd | None
    session: Session | None
    cfg: FrrConfig | None


@dataclass
class Evidence:
    lost: dict[IPNetwork, list[str]] = field(default_factory=dict)  # pod CIDR -> sources it does not reach
    decisions: dict[IPNetwork, list[Decision]] = field(default_factory=dict)
    losses: list[Loss] = field(default_factory=list)  # FRR speakers' decisions on lost prefixes
    configs: dict[str, FrrConfig] = field(default_factory=dict)  # file -> FRR model


def evidence(ctx: RepairContext) -> Evidence:
    """What every FRR operator reads (computed once per context): the pod CIDRs some node's packets do not
    reach, a traced simulation of just those, and each FRR decision on them with its session end."""
    ev = ctx.extra.get("frr.evidence")
    if isinstance(ev, Evidence):
        return ev
    ev = Evidence()
    ctx.extra["frr.evidence"] = ev
    snap = ctx.snap
    ev.configs = {r.file: r.config for r in snap.routers if r.dialect == "frr"}
    if not ev.configs or not snap.has_control_plane:
        return ev
    res = snap.simulate()
    cp = snap.control_plane()
    fwd = Forwarder(res, cp.network)
    nodes = sorted(snap.cluster.nodes.values(), key=lambda n: n.name)
    sources = fwd.sources(n.name for n in nodes)
    for dst in nodes:
        for c in dst.pod_cidrs:
            lost = fwd.undelivered_from(c.value, dst.name, sources)
            if lost:
                ev.lost[c.value] = lost
    if not ev.lost:
        return ev
    traced = cp.simulate(trace=set(ev.lost), only=set(ev.lost))
    ev.decisions = traced.decisions_by_prefix
    ends: dict[tuple[str, str], tuple[SessionEnd, Session]] = {}
    for s in traced.sessions:
        for e in (s.a, s.b):
            if e is not None:
                ends[(e.speaker.id, e.from_label)] = (e, s)
                ends[(e.speaker.id, e.label)] = (e, s)
    for prefix, ds in sorted(ev.decisions.items(), key=lambda kv: str(kv[0])):
        for d in ds:
            sp = traced.speakers.get(d.speaker)
            if sp is None or sp.daemon is not Daemon.FRR:
                continue
            where = d.text.split(": ", 1)[0]
            end, sess = ends.get((d.speaker, where), (None, None))
            ev.losses.append(Loss(prefix, d, sp, end, sess, ev.configs.get(sp.config_file or "")))
    return ev


def _neighbor(cfg: FrrConfig, sp: BgpSpeaker, end: SessionEnd) -> tuple[BgpInstance, Neighbor, Neighbor] | None:
    """(instance, configured neighbor or listen-range group, effective neighbor) of a session end."""
    inst = cfg.instance(sp.vrf)
    if inst is None:
        return None
    n = inst.neighbors.get(end.peer.name)
    if n is None and end.remote_address is not None:
        n = inst.find_neighbor(str(end.remote_address))
    if n is None:
        return None
    return inst, n, inst.effective(n)


def _policy_ctx(end: SessionEnd, direction: Direction) -> PolicyContext:
    return PolicyContext(direction=direction, local_as=end.peer.local_as, peer_as=end.remote_asn,
                         peer_address=end.remote_address, local_address=end.local_address, ibgp=end.ibgp,
                         protocol_name=end.peer.name, router_id=end.speaker.router_id, vrf=end.speaker.vrf)


def _rejected_by_map(loss: Loss) -> tuple[NeighborPolicy, RouteMap | None, Route, PolicyContext] | None:
    """For a loss decided by an FRR neighbor policy: the policy, its route-map, the route it saw, the context."""
    d = loss.decision
    if d.accepted or d.stage not in ("import", "export") or d.policy is None or loss.end is None or d.route is None:
        return None
    af = loss.end.peer.afs.get(loss.prefix.version)
    pol = (af.import_policy if d.stage == "import" else af.export_policy) if af is not None else None
    if not isinstance(pol, NeighborPolicy):
        return None
    rm = pol.config.route_maps.get(pol.route_map.name) if pol.route_map is not None else None
    direction = Direction.IMPORT if d.stage == "import" else Direction.EXPORT
    return pol, rm, d.route, _policy_ctx(loss.end, direction)


def _route_map_losses(ev: Evidence) -> Iterator[tuple[Loss, NeighborPolicy, RouteMap, Route, PolicyContext]]:
    """The losses a route-map decided (not a neighbor's bare prefix-list): what the clause operators edit."""
    for loss in ev.losses:
        got = _rejected_by_map(loss)
        if got is not None and got[1] is not None:
            yield (loss, *got)  # type: ignore[misc]


def _clause_matches(pol: NeighborPolicy, cl: RouteMapClause, route: Route, pctx: PolicyContext) -> tuple[str, list]:
    run = _Run(pctx, "neighbor", pol.neighbor, pol.instance.default_local_pref or 100)
    return _match_clause(pol.config, cl, route, run, False)


def _line(ctx: RepairContext, loc: Loc | None) -> str:
    return ctx.line(loc.file, loc.line) if loc is not None and loc.line else ""


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _where(loc: Loc) -> str:
    return f"{loc.file}:{loc.line}"


def _frr_blocks(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, header) of each top-level block (`router bgp`, `address-family`...) in a file."""
    out = []
    lines = text.splitlines()
    stack: list[tuple[int, str]] = []
    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if s.startswith("router bgp"):
            stack = [(i, s)]
        elif s.startswith("address-family") and stack:
            stack = stack[:1] + [(i, s)]
        elif s in ("exit-address-family",) and len(stack) > 1:
            out.append((stack[1][0], i, stack[1][1]))
            stack = stack[:1]
        elif s in ("exit", "end") and stack:
            if len(stack) > 1:
                out.append((stack[1][0], i, stack[1][1]))
            out.append((stack[0][0], i, stack[0][1]))
            stack = []
    for start, header in stack:
        out.append((start, len(lines), header))
    return out


def _neighbor_af_edit(ctx: RepairContext, cfg: FrrConfig, inst: BgpInstance, fam: int, statement: str,
                      first: bool = False) -> Patch:
    """One `neighbor ...` statement in `address-family ipvN unicast` of `inst`: at the block's end, or first in
    it (`activate`, as FRR writes it). Without such a block, one is opened before the instance's `exit`."""
    key = _AF[fam]
    blocks = _frr_blocks(ctx.texts.get(cfg.file, ""))
    bgp = next(((a, b) for a, b, h in blocks if a == inst.loc.line), None)
    if bgp is None:  # the instance's end is not found: right under `router bgp` (ipv4 unicast context)
        return Patch([TextEdit.insert_after(cfg.file, inst.loc.line, f" {statement}")])
    for a, b, h in blocks:
        if h.split()[:3] == ["address-family", key.afi, key.safi] and bgp[0] < a <= bgp[1]:
            ind = _indent(ctx.line(cfg.file, a)) + " "
            return Patch([TextEdit.insert_after(cfg.file, a if first else b - 1, f"{ind}{statement}")])
    end = bgp[1] if ctx.line(cfg.file, bgp[1]).strip() in ("exit", "end") else bgp[1] + 1
    return Patch([TextEdit.insert_before(cfg.file, end, f" address-family {key}", f"  {statement}",
                                         " exit-address-family")])


def _bgp_edit(ctx: RepairContext, cfg: FrrConfig, inst: BgpInstance, statement: str) -> Patch:
    """A statement right under `router bgp` (after the router-id when there is one, as FRR writes it)."""
    after = inst.loc.line
    if ctx.line(cfg.file, after + 1).strip().startswith("bgp router-id"):
        after += 1
    ind = _indent(ctx.line(cfg.file, inst.loc.line + 1)) or " "
    return Patch([TextEdit.insert_after(cfg.file, after, f"{ind}{statement}")])


# =============================================================================================== prefix-lists

def _referenced_prefix_lists(pol: NeighborPolicy, rm: RouteMap | None, fam: int) -> list[tuple[PrefixList, str]]:
    """Prefix-lists the policy consults for `fam`: the neighbor's own `prefix-list` and those matched by the
    route-map's permit clauses (with where they are used, for the message)."""
    out: list[tuple[PrefixList, str]] = []
    if pol.prefix_list is not None:
        pl = pol.config.prefix_list(fam, pol.prefix_list.name)
        if pl is not None:
            out.append((pl, f"{pol.name}"))
    if rm is not None:
        for cl in rm.ordered():
            for m in cl.matches:
                if m.kind in ("ip address prefix-list", "ipv6 address prefix-list"):
                    lfam = 4 if m.kind.startswith("ip ") else 6
                    pl = pol.config.prefix_list(lfam, str(m.value))
                    if lfam == fam and pl is not None and cl.action == "permit":
                        out.append((pl, cl.text))
    return out


@operator("frr.prefix-list-length")
def prefix_list_length(ctx: RepairContext) -> Iterator[Candidate]:
    """A prefix-list entry contains the lost prefix's address but not its length (no `le`, or `le`/`ge` that
    exclude it): widen that entry's length range to the announced length."""
    ev = evidence(ctx)
    seen: dict[tuple[str, int], dict] = {}
    for loss in ev.losses:
        got = _rejected_by_map(loss)
        if got is None:
            continue
        pol, rm, route, _ = got
        net = route.prefix
        for pl, used in _referenced_prefix_lists(pol, rm, net.version):
            permitted, entry, _ = prefix_list_apply(pl, net)
            if permitted:
                continue
            for e in pl.entries:
                if e.action != "permit" or e.any or e.prefix.version != net.version:
                    continue
                if net.prefixlen < e.prefix.prefixlen or not net.subnet_of(e.prefix):  # type: ignore[arg-type]
                    continue
                if e.matches(net):
                    continue
                if entry is not None and entry.action == "deny" and entry.seq < e.seq:
                    continue  # an earlier deny decides: the length is not the mistake
                k = (e.loc.file, e.loc.line)
                info = seen.setdefault(k, {"entry": e, "list": pl, "lens": set(), "prefixes": set(), "used": used})
                info["lens"].add(net.prefixlen)
                info["prefixes"].add(net)
    for (file, line), info in sorted(seen.items()):
        e, pl = info["entry"], info["list"]
        lens = sorted(info["lens"])
        old = ctx.line(file, line)
        if not old:
            continue
        lo, hi = min(lens), max(lens)
        ge = e.ge if e.ge else 0
        le = e.le if e.le else 0
        new_ge = ge if not ge or ge <= lo else lo
        if ge and not le:  # `ge N` alone means ge..max: only ge needs lowering
            new_le = 0
        else:
            new_le = max(le, hi) if (le or hi > e.prefix.prefixlen) else 0
        if new_ge and new_ge <= e.prefix.prefixlen:
            new_ge = 0
        base = re.sub(r"\s+(ge|le)\s+\d+", "", old.rstrip())
        new = base + (f" ge {new_ge}" if new_ge else "") + (f" le {new_le}" if new_le else "")
        if new == old.rstrip():
            continue
        change = " and ".join(x for x in (
            f"`le {new_le}`" if new_le != le else "", f"`ge {new_ge}`" if new_ge != ge else "") if x)
        verb = "add" if not (ge or le) else "change it to"
        shown = ", ".join(str(p) for p in sorted(info["prefixes"], key=str)[:3])
        lo_have = ge or e.prefix.prefixlen
        hi_have = le or (e.prefix.max_prefixlen if ge else e.prefix.prefixlen)
        have = f"only as a /{lo_have}" if lo_have == hi_have else f"only as /{lo_have} to /{hi_have}"
        mistake = (f"{pl.keyword} {pl.name} seq {e.seq} permits {e.prefix} {have}; the pod CIDRs announced inside "
                   f"it are /{'/'.join(str(x) for x in lens)} ({shown}): {verb} {change}")
        yield Candidate("frr.prefix-list-length", Patch([TextEdit.replace_line(file, line, old, new)]), mistake,
                        f"{pl.keyword} {pl.name} seq {e.seq}: `{new.strip()}` ({_where(e.loc)})",
                        (e.loc,), intent=(30 - (hi - lo)) if e.prefix.prefixlen else 2, evidence=(
                            f"{shown} is inside {e.prefix} but /{hi} is outside its length range (used by {info['used']})",))


# =============================================================================================== communities

def _comm_text(kind: str, v: object) -> str:
    if kind == "large-community":
        return ":".join(str(x) for x in v)  # type: ignore[union-attr]
    if kind == "community":
        return f"{v[0]}:{v[1]}"  # type: ignore[index]
    return str(v)


def _route_values(kind: str, route: Route) -> list[str]:
    vals = route.large_communities if kind == "large-community" else route.communities if kind == "community" else ()
    return sorted(_comm_text(kind, v) for v in vals)


def _near(want: str, have: str) -> tuple[int, str] | None:
    """How close `have` (on the route) is to `want` (in the list): (score, why) or None."""
    if want == have:
        return None
    wf, hf = want.split(":"), have.split(":")
    if len(wf) == len(hf) and sorted(wf) == sorted(hf):
        return 40, "the same fields in another order"
    d = edit_distance(want, have)
    if d <= 2 and len(wf) == len(hf):
        return 30 - 5 * d, f"{d} character(s) apart"
    return None


def _community_lists(pol: NeighborPolicy, rm: RouteMap, route: Route, pctx: PolicyContext
                     ) -> Iterator[tuple[RouteMapClause, CommunityList]]:
    """Permit clauses of `rm` whose only failing match is a (large) community list."""
    for cl in rm.ordered():
        if cl.action != "permit":
            continue
        res, steps = _clause_matches(pol, cl, route, pctx)
        if res == "match":
            continue
        for m in cl.matches:
            if m.kind not in ("community", "large-community"):
                continue
            lists = pol.config.large_community_lists if m.kind == "large-community" else pol.config.community_lists
            name = str(m.value[0] if isinstance(m.value, tuple) else m.value).split()[0]
            lst = lists.get(name)
            if lst is None:
                continue
            other = [x for x in cl.matches if x is not m]
            probe = RouteMapClause(cl.route_map, cl.action, cl.seq, cl.loc, other)
            if _clause_matches(pol, probe, route, pctx)[0] in ("match", "noop"):
                yield cl, lst


@operator("frr.community-value")
def community_value(ctx: RepairContext) -> Iterator[Candidate]:
    """A (large) community list entry differs from the value the route carries by a permutation of its fields or
    a few characters: fix the list entry, or the `set` of the FRR route-map that tags the route."""
    ev = evidence(ctx)
    done: set[tuple[str, int, str]] = set()
    for loss, pol, rm, route, pctx in _route_map_losses(ev):
        for cl, lst in _community_lists(pol, rm, route, pctx):  # type: ignore[arg-type]
            have = _route_values(lst.kind, route)
            for e in lst.entries:
                if e.action != "permit" or e.style != "standard":
                    continue
                for v in sorted(e.values, key=str):
                    want = _comm_text(lst.kind, v)
                    if want in have:
                        continue
                    for h in have:
                        near = _near(want, h)
                        if near is None:
                            continue
                        score, why = near
                        yield from _fix_list(ctx, loss, lst, e, want, h, score, why, cl, done)
                        yield from _fix_set(ctx, ev, loss, lst, want, h, score, why, done)


_COMMUNITY_TOKEN = re.compile(r"(?<![\w:.])\d+(?::\d+){1,2}(?![\w:.])")


def _consensus(ctx: RepairContext, value: str) -> int:
    """Evidence that `value` is the one meant: how many community values written in the snapshot's files are
    it (twice) or share all its fields but one, at the same positions (the scheme the author follows, e.g.
    `ASN:1:<rack>`)."""
    key = ctx.extra.setdefault("frr.community-tokens", {})
    if not key:
        key["all"] = [t for text in ctx.texts.values() for t in _COMMUNITY_TOKEN.findall(text)]
    fields = value.split(":")
    score = 0
    for t in key["all"]:  # type: ignore[union-attr]
        tf = t.split(":")
        if len(tf) != len(fields):
            continue
        same = sum(a == b for a, b in zip(tf, fields))
        score += 2 if same == len(fields) else 1 if same == len(fields) - 1 else 0
    return score


def _fix_list(ctx: RepairContext, loss: Loss, lst: CommunityList, e, want: str, have: str, score: int, why: str,
              cl: RouteMapClause, done: set) -> Iterator[Candidate]:
    key = (e.loc.file, e.loc.line, have)
    if key in done:
        return
    done.add(key)
    old = ctx.line(e.loc.file, e.loc.line)
    pat = re.compile(rf"(?<![\d:]){re.escape(want)}(?![\d:])")
    if not pat.search(old):
        return
    new = pat.sub(have, old, count=1)
    bonus = 5 if _consensus(ctx, have) > _consensus(ctx, want) else 0
    mistake = (f"{lst.keyword} seq {e.seq} expects {want}, but {loss.prefix} arrives at {loss.speaker.id} with "
               f"{have} ({why}), so {cl.text} never matches: write {have} in the list")
    yield Candidate("frr.community-value", Patch([TextEdit.replace_line(e.loc.file, e.loc.line, old, new)]), mistake,
                    f"{lst.keyword} seq {e.seq}: {want} -> {have} ({_where(e.loc)})", (e.loc, cl.loc),
                    intent=score + bonus, evidence=(f"route carries {have}; list expects {want}: {why}",))


def _fix_set(ctx: RepairContext, ev: Evidence, loss: Loss, lst: CommunityList, want: str, have: str, score: int,
             why: str, done: set) -> Iterator[Candidate]:
    """The sender is an FRR route-map that sets the value: correct the `set` there."""
    for file, cfg in sorted(ev.configs.items()):
        for rm in cfg.route_maps.values():
            for cl in rm.ordered():
                for s in cl.sets:
                    if s.kind not in (lst.kind, f"{lst.kind} additive") and not s.kind.startswith(lst.kind):
                        continue
                    old = ctx.line(s.loc.file, s.loc.line)
                    pat = re.compile(rf"(?<![\d:]){re.escape(have)}(?![\d:])")
                    if not pat.search(old):
                        continue
                    key = (s.loc.file, s.loc.line, want)
                    if key in done:
                        continue
                    done.add(key)
                    new = pat.sub(want, old, count=1)
                    bonus = 5 if _consensus(ctx, want) > _consensus(ctx, have) else 0
                    mistake = (f"{cl.text} sets {lst.kind} {have}, but {lst.keyword} on {loss.speaker.host} expects "
                               f"{want} ({why}): set {want}")
                    yield Candidate("frr.community-value", Patch([TextEdit.replace_line(s.loc.file, s.loc.line, old, new)]),
                                    mistake, f"{cl.text}: set {lst.kind} {want} ({_where(s.loc)})", (s.loc,),
                                    intent=score + bonus, evidence=(f"{cl.text} sets {have}; {lst.name} expects {want}",))


# =============================================================================================== clause order

@operator("frr.clause-order")
def clause_order(ctx: RepairContext) -> Iterator[Candidate]:
    """A permit clause that matches the lost route sits behind an earlier clause that decides first (a deny that
    matches it): renumber the permit clause to run before that clause."""
    ev = evidence(ctx)
    done: set[tuple[str, int]] = set()
    for loss, pol, rm, route, pctx in _route_map_losses(ev):
        ordered = rm.ordered()  # type: ignore[union-attr]
        dec = loss.decision.policy.decided_by if loss.decision.policy else None
        first = next((cl for cl in ordered if cl.action == "deny" and _clause_matches(pol, cl, route, pctx)[0] == "match"), None)
        if first is None or (dec is not None and dec.loc is not None and dec.loc != first.loc):
            continue
        for cl in ordered:
            if cl.seq <= first.seq or cl.action != "permit" or not cl.matches:
                continue
            if _clause_matches(pol, cl, route, pctx)[0] != "match":
                continue
            key = (cl.loc.file, cl.loc.line)
            if key in done:
                break
            done.add(key)
            before = [c.seq for c in ordered if c.seq < first.seq]
            lo = max(before) if before else 0
            new_seq = (lo + first.seq) // 2
            if new_seq <= lo or new_seq in rm.clauses:  # type: ignore[union-attr]
                break
            old = ctx.line(cl.loc.file, cl.loc.line)
            m = re.match(rf"^(\s*route-map\s+\S+\s+permit\s+){cl.seq}(\s*)$", old)
            if m is None:
                break
            new = f"{m.group(1)}{new_seq}{m.group(2)}"
            mistake = (f"{cl.text} would permit {loss.prefix}, but {first.text} ({_where(first.loc)}) matches it first "
                       f"(clauses run by sequence number): renumber it to {new_seq}")
            yield Candidate("frr.clause-order", Patch([TextEdit.replace_line(cl.loc.file, cl.loc.line, old, new)]),
                            mistake, f"route-map {cl.route_map} permit {cl.seq} -> permit {new_seq} ({_where(cl.loc)})",
                            (cl.loc, first.loc), intent=25,
                            evidence=(f"{cl.text} matches {loss.prefix}; {first.text} decides first",))
            break


# =============================================================================================== unused lists

def _after_block(ctx: RepairContext, loc: Loc, new: list[str]) -> TextEdit | None:
    """Insert `new` (a top-level block) right after the block whose header is at `loc` (its indented lines and
    its `exit`), separated by `!` as FRR writes its configuration."""
    lines = ctx.texts.get(loc.file, "").splitlines()
    if not 0 < loc.line <= len(lines):
        return None
    j = loc.line + 1
    while j <= len(lines) and (lines[j - 1].startswith((" ", "\t")) or not lines[j - 1].strip()):
        j += 1
    if j <= len(lines) and lines[j - 1].strip() == "exit":
        return TextEdit.insert_after(loc.file, j, "!", *new)
    return TextEdit.insert_before(loc.file, j, *new, "!")


def _references(cfg: FrrConfig) -> set[tuple[str, str]]:
    """(kind, name) of every prefix-list and (large) community list some statement uses."""
    out: set[tuple[str, str]] = set()
    for rm in cfg.route_maps.values():
        for cl in rm.clauses.values():
            for m in cl.matches:
                if "prefix-list" in m.kind:
                    out.add(("prefix-list", str(m.value)))
                elif m.kind in ("community", "large-community", "extcommunity"):
                    out.add((m.kind, str(m.value[0] if isinstance(m.value, tuple) else m.value).split()[0]))
    for inst in cfg.bgp.values():
        for n in inst.neighbors.values():
            for a in n.afs.values():
                for r in (a.prefix_list_in, a.prefix_list_out):
                    if r is not None:
                        out.add(("prefix-list", r.name))
    return out


@operator("frr.unused-list")
def unused_list(ctx: RepairContext) -> Iterator[Candidate]:
    """A prefix-list that permits the lost prefix is defined (used nowhere, or only by other policies), and the
    route-map that drops the prefix has no clause for it: add a permit clause matching that list before the
    deciding clause. A list written for the prefixes (more specific than a default route) is what the author
    meant; a list used nowhere is the stronger evidence."""
    ev = evidence(ctx)
    done: set[tuple[str, int, str]] = set()
    for loss, pol, rm, route, pctx in _route_map_losses(ev):
        dec = loss.decision.policy.decided_by if loss.decision.policy else None
        if dec is None or dec.loc is None:
            continue
        decider = next((cl for cl in rm.ordered() if cl.loc == dec.loc), None)  # type: ignore[union-attr]
        if decider is not None and decider.action == "permit":
            decider = None  # the route was rejected after the last clause did not match: the implicit deny
        used = _references(pol.config)
        in_this_map = {str(m.value) for cl in rm.clauses.values() for m in cl.matches  # type: ignore[union-attr]
                       if "prefix-list" in m.kind}
        fam = route.prefix.version
        for (lfam, name), pl in sorted(pol.config.prefix_lists.items()):
            if lfam != fam or name in in_this_map or not pl.entries:
                continue
            verdict, hit, _ = prefix_list_apply(pl, route.prefix)
            if not verdict or hit is None or hit.any or hit.prefix.prefixlen == 0:
                continue  # a list that permits it only as "anything" says nothing about intent
            unused = ("prefix-list", name) not in used
            key = (rm.loc.file, rm.loc.line, name)  # type: ignore[union-attr]
            if key in done:
                continue
            done.add(key)
            seqs = sorted(rm.clauses)  # type: ignore[union-attr]
            stop = decider.seq if decider is not None else seqs[-1] + 10
            lower = [s for s in seqs if s < stop]
            lo = lower[-1] if lower else 0
            new_seq = (lo + stop) // 2 if decider is not None else stop
            if new_seq <= lo:
                continue
            match = f" match {'ip' if fam == 4 else 'ipv6'} address prefix-list {name}"
            header = f"route-map {rm.name} permit {new_seq}"  # type: ignore[union-attr]
            if decider is not None and decider.loc is not None:
                anchor = decider.loc
                edit = TextEdit.insert_before(anchor.file, anchor.line, header, match, "exit", "!")
            else:  # the implicit deny at the map's end decides: the new clause goes after the last one
                last = rm.ordered()[-1] if rm.clauses else None  # type: ignore[union-attr]
                if last is None or last.loc is None:
                    continue
                anchor = last.loc
                edit = _after_block(ctx, anchor, [header, match, "exit"])
                if edit is None:
                    continue
            where = "is used nowhere" if unused else "is not matched by any clause of this route-map"
            mistake = (f"{pl.keyword} {name} ({_where(pl.loc)}) permits {route.prefix} but {where}, and "
                       f"route-map {rm.name} drops it at {decider.text if decider else 'its end (no clause matches: the implicit deny)'}: add "  # type: ignore[union-attr]
                       f"`route-map {rm.name} permit {new_seq}` matching {name}")  # type: ignore[union-attr]
            yield Candidate("frr.unused-list", Patch([edit]), mistake,
                            f"route-map {rm.name} permit {new_seq} / match ... prefix-list {name}",  # type: ignore[union-attr]
                            (pl.loc, anchor), intent=15 if unused else 12,
                            evidence=(f"{name} permits {route.prefix} ({_where(hit.loc)}); "
                                      + ("no route-map or neighbor uses it" if unused else
                                         f"route-map {rm.name} has no clause matching it"),))  # type: ignore[union-attr]


# =============================================================================================== policy defaults

def _requires_policy_losses(ev: Evidence) -> Iterator[Loss]:
    for loss in ev.losses:
        d = loss.decision
        if not d.accepted and "ebgp-requires-policy" in d.text and loss.end is not None and loss.cfg is not None:
            yield loss


def _applied_route_maps(cfg: FrrConfig) -> set[str]:
    """Route-maps some statement applies (neighbors, network/redistribute, calls, import vrf)."""
    out: set[str] = set()
    for inst in cfg.bgp.values():
        for n in inst.neighbors.values():
            for a in n.afs.values():
                for r in (a.route_map_in, a.route_map_out, a.unsuppress_map, a.default_originate_route_map):
                    if r is not None:
                        out.add(r.name)
        for af in inst.afs.values():
            for x in list(af.networks) + list(af.redistributes) + list(af.aggregates):
                if x.route_map is not None:
                    out.add(x.route_map.name)
            if af.import_vrf_route_map is not None:
                out.add(af.import_vrf_route_map.name)
    for rm in cfg.route_maps.values():
        for cl in rm.clauses.values():
            if cl.call is not None:
                out.add(cl.call.name)
    return out


@operator("frr.ebgp-requires-policy")
def ebgp_requires_policy(ctx: RepairContext) -> Iterator[Candidate]:
    """An eBGP neighbor without inbound/outbound policy drops every route because `bgp ebgp-requires-policy` is
    on (FRR >= 7.4 default with `frr defaults traditional`): add the missing route-map (one the instance already
    uses for that direction), or `no bgp ebgp-requires-policy`."""
    ev = evidence(ctx)
    done: set[object] = set()
    for loss in _requires_policy_losses(ev):
        cfg, sp, end = loss.cfg, loss.speaker, loss.end
        got = _neighbor(cfg, sp, end)  # type: ignore[arg-type]
        if got is None:
            continue
        inst, n, eff = got
        direction = "in" if loss.decision.stage == "import" else "out"
        key = ("off", cfg.file, inst.loc.line)  # type: ignore[union-attr]
        if key not in done:
            done.add(key)
            yield Candidate("frr.ebgp-requires-policy", _bgp_edit(ctx, cfg, inst, "no bgp ebgp-requires-policy"),  # type: ignore[arg-type]
                            f"router bgp {inst.asn} on {sp.host} requires a policy on eBGP sessions (`bgp "
                            f"ebgp-requires-policy`, {sp.options.defaults_note or 'FRR default'}) and neighbor {n.name}"
                            f"{f' (peer-group {n.peer_group})' if n.peer_group else ''} "
                            f"has no route-map {direction}: every route is dropped; add `no bgp ebgp-requires-policy`",
                            f"add `no bgp ebgp-requires-policy` to router bgp {inst.asn} ({_where(inst.loc)})",
                            (inst.loc, n.loc), intent=10, evidence=(loss.decision.text,))
        # A route-map the instance applies in that direction on other neighbors: the author's policy.
        fam = loss.prefix.version
        maps: dict[str, int] = {}
        for other in inst.neighbors.values():
            a = inst.effective(other).afs.get(_AF[fam])
            r = getattr(a, f"route_map_{direction}", None) if a is not None else None
            if r is not None and r.name in cfg.route_maps:  # type: ignore[union-attr]
                maps[r.name] = maps.get(r.name, 0) + 1
        applied = _applied_route_maps(cfg)  # type: ignore[arg-type]
        unused: set[str] = set()
        route = loss.decision.route
        pctx = _policy_ctx(end, Direction.IMPORT if direction == "in" else Direction.EXPORT)  # type: ignore[arg-type]
        for name in sorted(cfg.route_maps):  # type: ignore[union-attr]
            if name in applied or name in maps or route is None:
                continue
            res = RouteMapPolicy(cfg, name, applied_at="neighbor", neighbor=eff, instance=inst).evaluate(route, pctx)  # type: ignore[arg-type]
            if res.accepted:
                maps[name] = 1  # defined, used nowhere, and it permits the route: likely the one meant
                unused.add(name)
        for name, count in sorted(maps.items(), key=lambda kv: (-kv[1], kv[0])):
            why = (f"the other neighbors use route-map {name}" if name not in unused else
                   f"route-map {name} is defined, used nowhere and permits these routes")
            for t in ([n.peer_group] if n.peer_group else []) + [n.name]:
                key2 = (cfg.file, t, direction, name)  # type: ignore[union-attr]
                if key2 in done:
                    continue
                done.add(key2)
                yield Candidate("frr.ebgp-requires-policy",
                                _neighbor_af_edit(ctx, cfg, inst, fam, f"neighbor {t} route-map {name} {direction}"),  # type: ignore[arg-type]
                                f"neighbor {t} on {sp.host} has no route-map {direction} while `bgp ebgp-requires-policy` "
                                f"is on, so FRR drops every route {'from' if direction == 'in' else 'to'} it; {why}: "
                                f"add `neighbor {t} route-map {name} {direction}`",
                                f"add `neighbor {t} route-map {name} {direction}` ({_where(n.loc)})", (n.loc,),
                                intent=15 + count + (2 if t == n.peer_group else 0), evidence=(loss.decision.text,))


@operator("frr.network-import-check")
def network_import_check(ctx: RepairContext) -> Iterator[Candidate]:
    """A `network` statement originates nothing because `bgp network import-check` finds no route for the prefix
    in the RIB: add `no bgp network import-check`, or the static route (blackhole) the statement relies on."""
    ev = evidence(ctx)
    if not ev.configs:
        return
    res = ctx.snap.simulate()
    wanted = set(ev.lost)
    done: set[object] = set()
    for sp in sorted(res.speakers.values(), key=lambda s: s.id):
        if sp.daemon is not Daemon.FRR:
            continue
        cfg = ev.configs.get(sp.config_file or "")
        inst = cfg.instance(sp.vrf) if cfg is not None else None
        if inst is None:
            continue
        for o in sp.originations:
            if o.valid or "import-check" not in o.why_invalid or o.loc is None:
                continue
            p = o.route.prefix
            if wanted and not any(p == w or w.subnet_of(p) for w in wanted if w.version == p.version):  # type: ignore[arg-type]
                continue
            if not wanted:
                continue
            key = (cfg.file, inst.loc.line)  # type: ignore[union-attr]
            if key not in done:
                done.add(key)
                yield Candidate("frr.network-import-check", _bgp_edit(ctx, cfg, inst, "no bgp network import-check"),  # type: ignore[arg-type]
                                f"`network {p}` at {_where(o.loc)} originates nothing: `bgp network import-check` "
                                f"(on by default) wants {p} in {sp.host}'s RIB from another source and it is not; add "
                                "`no bgp network import-check`",
                                f"add `no bgp network import-check` to router bgp {inst.asn}", (o.loc, inst.loc),
                                intent=15, evidence=(o.why_invalid,))
            cmd = "ip" if p.version == 4 else "ipv6"
            yield Candidate("frr.network-import-check",
                            Patch([TextEdit.insert_before(o.loc.file, inst.loc.line, f"{cmd} route {p} blackhole", "!")]),
                            f"`network {p}` at {_where(o.loc)} originates nothing: `bgp network import-check` wants {p} "
                            f"in the RIB; add the static route `{cmd} route {p} blackhole` it relies on",
                            f"add `{cmd} route {p} blackhole` before router bgp {inst.asn}", (o.loc,), intent=12,
                            evidence=(o.why_invalid,))


# =============================================================================================== sessions

def _frr_ends(ev: Evidence, s: Session) -> Iterator[tuple[SessionEnd, SessionEnd | None, FrrConfig]]:
    for me, other in ((s.a, s.b), (s.b, s.a)):
        if me is None or me.speaker.daemon is not Daemon.FRR:
            continue
        cfg = ev.configs.get(me.speaker.config_file or "")
        if cfg is not None:
            yield me, other, cfg


def _down_sessions(ctx: RepairContext, ev: Evidence) -> list[Session]:
    """Sessions down for a reason the model settles (unknown ones are not broken), when some pod CIDR is lost."""
    if not ev.lost:
        return []
    return [s for s in ctx.snap.simulate().sessions if not s.up and not s.unknown]


@operator("frr.remote-as")
def remote_as(ctx: RepairContext) -> Iterator[Candidate]:
    """The FRR neighbor expects another AS than the peer uses: set `remote-as` to the peer's AS."""
    ev = evidence(ctx)
    for s in _down_sessions(ctx, ev):
        for me, other, cfg in _frr_ends(ev, s):
            if other is None or me.peer.accepts_as(other.peer.local_as, me.peer.local_as):
                continue
            got = _neighbor(cfg, me.speaker, me)
            if got is None:
                continue
            inst, n, eff = got
            loc = eff.locs.get("remote_as")
            old = _line(ctx, loc)
            real = other.peer.local_as
            m = re.match(r"^(\s*neighbor\s+\S+\s+remote-as\s+)(\S+)(.*)$", old)
            if loc is None or m is None:
                continue
            new = f"{m.group(1)}{real}{m.group(3)}"
            dist = edit_distance(m.group(2), str(real))
            who = old.split()[1] if old.split()[1] == n.name else f"{old.split()[1]} (peer-group of {n.name})"
            yield Candidate("frr.remote-as", Patch([TextEdit.replace_line(loc.file, loc.line, old, new)]),
                            f"neighbor {who} on {me.speaker.host} expects AS {m.group(2)}, but "
                            f"{other.speaker.id} uses AS {real} ({_where(other.peer.loc)}): set `remote-as {real}`",
                            f"`{new.strip()}` ({_where(loc)})", (loc, other.peer.loc),
                            intent=max(5, 25 - 3 * dist), evidence=(s.reason,))


@operator("frr.passive")
def passive(ctx: RepairContext) -> Iterator[Candidate]:
    """Both ends wait for the other to connect (passive on both, or a peer that never initiates): remove
    `passive` from the FRR neighbor."""
    ev = evidence(ctx)
    for s in _down_sessions(ctx, ev):
        if "nobody can open the connection" not in s.reason:
            continue
        for me, other, cfg in _frr_ends(ev, s):
            if not me.peer.passive:
                continue
            got = _neighbor(cfg, me.speaker, me)
            if got is None:
                continue
            inst, n, eff = got
            loc = eff.locs.get("passive")
            old = _line(ctx, loc)
            if loc is None or "passive" not in old:
                continue
            who = f"{other.speaker.id} does not connect either" if other is not None else "nobody else connects"
            wrong = any(w[0] is other for w in wrong_ports(s))
            yield Candidate("frr.passive", Patch([TextEdit.delete_line(loc.file, loc.line, old)]),
                            f"neighbor {n.name} on {me.speaker.host} is passive and {who}: remove `{old.strip()}`",
                            f"delete `{old.strip()}` ({_where(loc)})", (loc,),
                            # a peer-group's `passive` also serves its other members, which may work as meant;
                            # a peer that does connect, to a port nobody listens on, says `passive` is meant
                            intent=(20 if old.split()[1] == n.name else 16) - (12 if wrong else 0),
                            evidence=(s.reason,))


@operator("frr.ebgp-multihop")
def ebgp_multihop(ctx: RepairContext) -> Iterator[Candidate]:
    """An eBGP neighbor that is not on a connected network, without `ebgp-multihop`: add it."""
    ev = evidence(ctx)
    cp = ctx.snap.control_plane()
    for s in _down_sessions(ctx, ev):
        for me, other, cfg in _frr_ends(ev, s):
            if me.remote_address is None or other is None:
                continue
            ebgp = other.peer.local_as != me.peer.local_as
            if not _hop_problem(me.speaker, me.peer, me.remote_address, ebgp, cp.network):
                continue
            got = _neighbor(cfg, me.speaker, me)
            if got is None:
                continue
            inst, n, eff = got
            anchor = eff.locs.get("remote_as") or n.loc
            if not _line(ctx, anchor):
                continue
            ind = _indent(_line(ctx, anchor)) or " "
            target = n.name if anchor.line == n.loc.line or n.peer_group is None else n.peer_group
            if anchor != n.loc and n.peer_group and eff.locs.get("remote_as") is not None:
                target = _line(ctx, anchor).split()[1]
            after = anchor.line  # after the neighbor's (or group's) last session statement of that run of lines
            while ctx.line(anchor.file, after + 1).strip().startswith(f"neighbor {target} "):
                after += 1
            yield Candidate("frr.ebgp-multihop",
                            Patch([TextEdit.insert_after(anchor.file, after, f"{ind}neighbor {target} ebgp-multihop 2")]),
                            f"eBGP neighbor {n.name} on {me.speaker.host} is not on a connected network and has no "
                            f"`ebgp-multihop`: FRR sends the session's packets with TTL 1 and never connects across a "
                            f"router; add `neighbor {target} ebgp-multihop 2`",
                            f"add `neighbor {target} ebgp-multihop 2` after {_where(anchor)}", (anchor,), intent=20,
                            evidence=(s.reason,))


@operator("frr.activate")
def activate(ctx: RepairContext) -> Iterator[Candidate]:
    """The pod CIDRs' address family is active on one side of a session and not on the FRR side (`no bgp default
    ipv4-unicast`, or a family never activated): add `neighbor X activate` in that family."""
    ev = evidence(ctx)
    if not ev.lost:
        return
    fams = {p.version for p in ev.lost}
    done: set[object] = set()
    for s in ctx.snap.simulate().sessions:
        if s.unknown or s.b is None:
            continue
        if s.up and fams <= set(s.afs):
            continue
        if not s.up and "no address family is activated" not in s.reason:
            continue
        for me, other, cfg in _frr_ends(ev, s):
            if other is None:
                continue
            for fam in sorted(fams):
                if fam in me.peer.afs or fam not in other.peer.afs:
                    continue
                got = _neighbor(cfg, me.speaker, me)
                if got is None:
                    continue
                inst, n, eff = got
                targets = [n.name] + ([n.peer_group] if n.peer_group else [])
                for t in targets:
                    key = (cfg.file, inst.loc.line, t, fam)
                    if key in done:
                        continue
                    done.add(key)
                    yield Candidate("frr.activate", _neighbor_af_edit(ctx, cfg, inst, fam, f"neighbor {t} activate", first=True),
                                    f"neighbor {t} on {me.speaker.host} is not activated for {_AF[fam]} "
                                    f"({'`no bgp default ipv4-unicast`' if inst.default_ipv4_unicast is False and fam == 4 else 'no `activate`'}), "
                                    f"so the session carries no IPv{fam} pod routes: add `neighbor {t} activate` under "
                                    f"`address-family {_AF[fam]}`",
                                    f"add `neighbor {t} activate` to address-family {_AF[fam]} of router bgp {inst.asn}",
                                    (n.loc,), intent=18 if t == n.name else 22, evidence=(s.reason or "family not active",))


@operator("frr.next-hop-self")
def next_hop_self(ctx: RepairContext) -> Iterator[Candidate]:
    """An FRR router passes a next hop over iBGP that the receiver cannot resolve (it reaches it only through a
    default route, which next-hop tracking ignores): add `next-hop-self` towards that receiver."""
    ev = evidence(ctx)
    res = ctx.snap.simulate()
    ends: dict[tuple[str, str], tuple[SessionEnd, Session]] = {}
    for s in res.sessions:
        for e in (s.a, s.b):
            if e is not None:
                ends[(e.speaker.id, e.from_label)] = (e, s)
    done: set[object] = set()
    for prefix, ds in sorted(ev.decisions.items(), key=lambda kv: str(kv[0])):
        for d in ds:
            if d.stage != "import" or not d.accepted or not ("not usable" in d.text or "unreachable" in d.text):
                continue
            where = d.text.split(": ", 1)[0]
            got = ends.get((d.speaker, where))
            if got is None:
                continue
            recv, s = got
            sender = s.b if s.a is recv else s.a
            if sender is None or not recv.ibgp or sender.speaker.daemon is not Daemon.FRR:
                continue
            cfg = ev.configs.get(sender.speaker.config_file or "")
            nb = _neighbor(cfg, sender.speaker, sender) if cfg is not None else None
            if nb is None:
                continue
            inst, n, eff = nb
            a = eff.afs.get(_AF[prefix.version])
            if a is not None and a.next_hop_self:
                continue
            for t in [n.name] + ([n.peer_group] if n.peer_group else []):
                key = (cfg.file, t, prefix.version)  # type: ignore[union-attr]
                if key in done:
                    continue
                done.add(key)
                yield Candidate("frr.next-hop-self",
                                _neighbor_af_edit(ctx, cfg, inst, prefix.version, f"neighbor {t} next-hop-self"),  # type: ignore[arg-type]
                                f"{sender.speaker.host} passes {prefix} to its iBGP neighbor {recv.speaker.host} with the "
                                f"next hop unchanged, and {recv.speaker.host} cannot use it "
                                f"({d.text.split('not usable: ', 1)[-1]}): add `neighbor {t} next-hop-self` on "
                                f"{sender.speaker.host}",
                                f"add `neighbor {t} next-hop-self` to address-family {_AF[prefix.version]} of router bgp "
                                f"{inst.asn} ({cfg.file})", (n.loc,), intent=20 if t == n.name else 22,  # type: ignore[union-attr]
                                evidence=(d.text,))


@operator("frr.ibgp-reflection")
def ibgp_reflection(ctx: RepairContext) -> Iterator[Candidate]:
    """Three or more iBGP routers without a full mesh: the middle router does not pass iBGP-learned pod routes on
    (split horizon). Make the receiving neighbor a route-reflector client there (or its peer-group)."""
    ev = evidence(ctx)
    done: set[object] = set()
    for loss in ev.losses:
        d = loss.decision
        if d.accepted or d.stage != "export" or "split horizon" not in d.text or loss.end is None or loss.cfg is None:
            continue
        got = _neighbor(loss.cfg, loss.speaker, loss.end)
        if got is None:
            continue
        inst, n, eff = got
        other = loss.session.b if loss.session and loss.session.a is loss.end else (loss.session.a if loss.session else None)
        for t in ([n.peer_group] if n.peer_group else []) + [n.name]:
            key = (loss.cfg.file, t, loss.prefix.version)
            if key in done:
                continue
            done.add(key)
            yield Candidate("frr.ibgp-reflection",
                            _neighbor_af_edit(ctx, loss.cfg, inst, loss.prefix.version, f"neighbor {t} route-reflector-client"),
                            f"{loss.speaker.host} learns {loss.prefix} over iBGP and may not pass it to its iBGP "
                            f"neighbor {n.name}{f' ({other.speaker.host})' if other else ''}: the iBGP routers are neither "
                            f"fully meshed nor reflected; make {t} a route-reflector client on {loss.speaker.host}",
                            f"add `neighbor {t} route-reflector-client` to address-family {_AF[loss.prefix.version]} "
                            f"of router bgp {inst.asn} ({loss.cfg.file})", (n.loc,),
                            intent=20 if t == n.peer_group else 18, evidence=(d.text,))


def _copy_neighbor(ctx: RepairContext, cfg: FrrConfig, inst: BgpInstance, n: Neighbor, new_addr: str) -> list[TextEdit]:
    """Edits that configure `new_addr` as `n` is configured: a member of the same peer-group, or a copy of each of
    `n`'s own statements (session and per-family) right after the original."""
    if n.peer_group and _line(ctx, n.loc).split()[-2:] == ["peer-group", n.peer_group]:
        return [TextEdit.insert_after(n.loc.file, n.loc.line,
                                      f"{_indent(_line(ctx, n.loc))}neighbor {new_addr} peer-group {n.peer_group}")]
    pat = re.compile(rf"^(\s*neighbor\s+){re.escape(n.name)}(\s.*)$")
    edits = []
    for i, line in enumerate(ctx.texts.get(cfg.file, "").splitlines(), 1):
        m = pat.match(line)
        if m:
            edits.append(TextEdit.insert_after(cfg.file, i, f"{m.group(1)}{new_addr}{m.group(2)}"))
    return edits


@operator("frr.ibgp-full-mesh")
def ibgp_full_mesh(ctx: RepairContext) -> Iterator[Candidate]:
    """Three or more iBGP routers without reflection: the alternative to a reflector is the missing session of
    the full mesh between the router that has the route and the one that does not, configured on both as each
    already configures the router in the middle."""
    ev = evidence(ctx)
    res = ctx.snap.simulate()
    done: set[object] = set()
    for loss in ev.losses:
        d = loss.decision
        if d.accepted or d.stage != "export" or "split horizon" not in d.text or loss.end is None or loss.session is None:
            continue
        s_end = loss.end
        r_end = loss.session.b if loss.session.a is s_end else loss.session.a
        path = res.best.get(loss.speaker.id, {}).get(loss.prefix)
        if r_end is None or path is None or path.attrs.peer_address is None:
            continue
        o_sess = next((x for x in res.sessions if x.up and x.b is not None and any(
            e.speaker is loss.speaker and e.remote_address == path.attrs.peer_address for e in (x.a, x.b))), None)
        if o_sess is None:
            continue
        o_end = o_sess.b if o_sess.a.speaker is loss.speaker else o_sess.a
        if o_end is None or o_end.speaker is r_end.speaker:
            continue  # the route came from that very neighbor: nothing to mesh
        pair = []
        for me, toward_s, other_local in ((o_end, o_end, r_end.local_address), (r_end, r_end, o_end.local_address)):
            cfg = ev.configs.get(me.speaker.config_file or "")
            got = _neighbor(cfg, me.speaker, toward_s) if cfg is not None and me.speaker.daemon is Daemon.FRR else None
            if got is None or other_local is None:
                break
            pair.append((cfg, got, me, str(other_local)))
        if len(pair) != 2:
            continue
        key = tuple(sorted((p[2].speaker.id, p[3]) for p in pair))
        if key in done:
            continue
        done.add(key)
        edits = [e for cfg, (inst, n, _), me, addr in pair for e in _copy_neighbor(ctx, cfg, inst, n, addr)]
        if not edits:
            continue
        (c1, _, m1, a1), (c2, _, m2, a2) = pair
        yield Candidate("frr.ibgp-full-mesh", Patch(edits),
                        f"{m1.speaker.host} and {m2.speaker.host} are iBGP neighbors of {loss.speaker.host} only, and "
                        f"{loss.speaker.host} may not pass iBGP routes between them (no full mesh, no route reflection): "
                        f"configure neighbor {a1} on {m1.speaker.host} and neighbor {a2} on {m2.speaker.host}",
                        f"add the iBGP session {m1.speaker.host} <-> {m2.speaker.host} ({c1.file}, {c2.file})",
                        tuple(p[1][1].loc for p in pair), intent=12, evidence=(d.text,))


@operator("frr.neighbor-address")
def neighbor_address(ctx: RepairContext) -> Iterator[Candidate]:
    """A speaker connects from an address the FRR router on the other end has no neighbor for, while that router
    has a neighbor a few characters away whose session never comes up: correct that neighbor's address."""
    ev = evidence(ctx)
    sessions = _down_sessions(ctx, ev)
    if not sessions:
        return
    res = ctx.snap.simulate()
    up_addrs = {(e.speaker.id, str(e.remote_address)) for s in res.sessions if s.up for e in (s.a, s.b) if e}
    done: set[object] = set()
    for s in sessions:
        if s.b is not None or "is configured for our address" not in s.reason or s.a.local_address is None:
            continue
        src = str(s.a.local_address)
        host = s.a.remote_address
        for sp in sorted(res.speakers.values(), key=lambda x: x.id):
            if sp.daemon is not Daemon.FRR or sp is s.a.speaker:
                continue
            if host is None or not ctx.snap.control_plane().network.host(sp.host).owns(host):
                continue
            cfg = ev.configs.get(sp.config_file or "")
            inst = cfg.instance(sp.vrf) if cfg is not None else None
            if inst is None:
                continue
            for n in sorted(inst.neighbors.values(), key=lambda x: x.name):
                if n.is_group or n.address is None or n.address.version != s.a.local_address.version:
                    continue
                if (sp.id, str(n.address)) in up_addrs:
                    continue
                dist = edit_distance(str(n.address), src)
                if dist > 3:
                    continue
                key = (cfg.file, n.name, src)  # type: ignore[union-attr]
                if key in done:
                    continue
                done.add(key)
                edits = []
                pat = re.compile(rf"^(\s*neighbor\s+){re.escape(n.name)}(\s.*)?$")
                for i, line in enumerate(ctx.texts.get(cfg.file, "").splitlines(), 1):  # type: ignore[union-attr]
                    m = pat.match(line)
                    if m:
                        edits.append(TextEdit.replace_line(cfg.file, i, line, f"{m.group(1)}{src}{m.group(2) or ''}"))  # type: ignore[union-attr]
                if not edits:
                    continue
                yield Candidate("frr.neighbor-address", Patch(edits),
                                f"{sp.host} has neighbor {n.name} ({_where(n.loc)}), but {s.a.speaker.id} connects from "
                                f"{src}: write neighbor {src}", f"neighbor {n.name} -> {src} in {cfg.file}",  # type: ignore[union-attr]
                                (n.loc,), intent=max(5, 25 - 5 * dist), evidence=(s.reason,))



@operator("frr.neighbor-port")
def neighbor_port(ctx: RepairContext) -> Iterator[Candidate]:
    """The FRR neighbor connects to a port its peer does not listen on (`neighbor X port N`, or none while the
    peer listens elsewhere): write the port the peer listens on."""
    ev = evidence(ctx)
    for s in _down_sessions(ctx, ev):
        for me, other, listen in wrong_ports(s):
            if me.speaker.daemon is not Daemon.FRR:
                continue
            cfg = ev.configs.get(me.speaker.config_file or "")
            got = _neighbor(cfg, me.speaker, me) if cfg is not None else None
            if got is None:
                continue
            inst, n, eff = got
            loc = eff.locs.get("port")
            old = _line(ctx, loc)
            m = re.match(r"^(\s*neighbor\s+(\S+)\s+port\s+)(\d+)(.*)$", old)
            if loc is not None and m is not None:
                new = f"{m.group(1)}{listen}{m.group(4)}"
                patch = Patch([TextEdit.replace_line(loc.file, loc.line, old, new)])
                target, anchor, was = m.group(2), loc, m.group(3)
                intent = max(5, 22 - 3 * edit_distance(m.group(3), str(listen)))
            else:
                anchor = eff.locs.get("remote_as") or n.loc
                line = _line(ctx, anchor)
                if not line:
                    continue
                target = line.split()[1] if line.split()[:1] == ["neighbor"] else n.name
                new = f"{_indent(line) or ' '}neighbor {target} port {listen}"
                patch = Patch([TextEdit.insert_after(anchor.file, anchor.line, new)])
                was, intent = "179 (the default)", 12
            yield Candidate("frr.neighbor-port", patch,
                            f"neighbor {n.name} on {me.speaker.host} connects to port {was}, but {other.speaker.id} "
                            f"listens on port {listen} ({_where(other.peer.loc)}) and does not connect itself: write "
                            f"`neighbor {target} port {listen}`",
                            f"`{new.strip()}` ({_where(anchor)})", (anchor,), intent=intent, evidence=(s.reason,))
