"""`podpath policy test|search|compare`: questions about one routing policy, or all of them.

`test` evaluates one route with the simulator's own evaluator (decision and trace); `search`
and `compare` ask over the whole route space (routing.symbolic) and show example routes, each
evaluated concretely again. Exit codes: 0 answered; 2 unusable input or a usage error."""

from __future__ import annotations

import ipaddress
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from podpath.cli import Format, _err, _json, _load, _out, app
from podpath.report import policy_document
from podpath.show_text import route_text
from podpath.routing.policy import Direction
from podpath.routing.route import AsPath, Route

policy_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                         help="Ask what a routing policy does: one route (test), every route (search), or how two "
                              "snapshots' policies differ (compare).")
app.add_typer(policy_app, name="policy")


class Dir(str, Enum):
    in_ = "in"
    out = "out"


def _direction(d: Optional[Dir]) -> Optional[Direction]:
    if d is None:
        return None
    return Direction.IMPORT if d is Dir.in_ else Direction.EXPORT


def _fail(msg: str) -> None:
    _err().print(f"error: {escape(msg)}")
    raise typer.Exit(2)


def _targets(snap: Any, at: str, neighbor: Optional[str], policy: Optional[str], direction: Optional[Direction],
             family: Optional[int]) -> list[Any]:
    from podpath.routing.policy_query import QueryError, targets

    if (neighbor is None) == (policy is None):
        _fail("give exactly one of --neighbor PEER and --policy NAME")
    try:
        return targets(snap, at, neighbor, policy, direction, family)
    except QueryError as e:
        _fail(str(e))
    return []


# ============================================================================================ test

@policy_app.command("test")
def policy_test(snapshot: Path = typer.Argument(..., help="Snapshot directory."),
                at: str = typer.Option(..., "--at", help="Host whose policy is asked about."),
                neighbor: Optional[str] = typer.Option(None, "--neighbor", help="Peer name, address, or an address "
                                                       "inside a listen range."),
                policy: Optional[str] = typer.Option(None, "--policy", help="FRR route-map or BIRD filter name."),
                direction: Dir = typer.Option(Dir.in_, "--direction", help="in (import) or out (export)."),
                route: str = typer.Option(..., "--route", help="'PREFIX [community C ...] [large-community L ...] "
                                          "[as-path \"A B\"] [next-hop X] [local-pref N] [med N] [origin O] "
                                          "[proto NAME]'"),
                format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """The decision on one route, with every clause evaluated and its file:line."""
    from podpath.routing.symbolic import route_from_text

    try:
        r = route_from_text(route)
    except ValueError as e:
        _fail(str(e))
    snap = _load(snapshot)
    ts = [t for t in _targets(snap, at, neighbor, policy, _direction(direction), r.family)]
    results = []
    for t in ts:
        rr = _as_received(r, t)
        if t.policy is None:
            results.append({"policy": t.label, "session": t.session, "route": rr.to_json(), "verdict": None,
                            "note": "no policy configured: the daemon's default for the session applies (see "
                                    "`podpath explain`)", "trace": [], "decided_by": None, "result": None})
            continue
        res = t.policy.evaluate(rr, t.ctx)
        results.append({"policy": t.label, "name": getattr(t.policy, "name", ""), "session": t.session,
                        "route": rr.to_json(), "route_text": route_text(rr), "verdict": res.verdict.value,
                        "decided_by": res.decided_by.to_json() if res.decided_by else None,
                        "trace": [s.to_json() for s in res.trace], "errors": list(res.errors),
                        "result": res.route.to_json() if res.accepted else None,
                        "result_text": route_text(res.route) if res.accepted else None})
    doc = policy_document([snap], "test", {"results": results})
    if format is Format.json:
        _json(doc)
    else:
        out = _out()
        for x in doc["results"]:
            out.print(f"[bold]{escape(x['policy'])}[/]" + (f"  (session {escape(x['session'])})" if x["session"] else ""))
            if x["verdict"] is None:
                out.print(f"  {escape(x['note'])}")
                continue
            out.print(f"  route: {escape(x['route_text'])}")
            for s in x["trace"]:
                out.print(f"    {escape(_loc(s['location']))} {escape(s['text'])} -> {s['effect']}")
            style = "green" if x["verdict"] == "accept" else "bold red"
            by = x["decided_by"]
            out.print(f"  [{style}]{x['verdict'].upper()}[/]" + (f" by {escape(by['text'])} "
                                                                 f"({escape(_loc(by['location']))})" if by else ""))
            if x["result_text"]:
                out.print(f"  as accepted: {escape(x['result_text'])}")
    if not snap.usable:
        raise typer.Exit(2)


def _as_received(r: Route, t: Any) -> Route:
    """What the policy sees: on an import, the route comes from the peer (its address, and on eBGP an
    AS path starting with its AS unless one was given)."""
    if t.direction is not Direction.IMPORT or t.ctx.peer_address is None:
        return r
    kw: dict[str, Any] = {"peer": t.ctx.peer_address}
    if r.next_hop is None and t.ctx.peer_address.version == r.family:
        kw["next_hop"] = t.ctx.peer_address
    if not r.as_path.segments and t.ctx.peer_as and t.ctx.ibgp is False:
        kw["as_path"] = AsPath.of(t.ctx.peer_as)
    return r.replace(**kw)


def _loc(loc: Any) -> str:
    if not loc:
        return ""
    return f"{loc['file']}:{loc['line']}" if loc.get("line") else str(loc.get("file", ""))


# ============================================================================================ search

def compile_targets(items: list[tuple[Any, Any, Any]], family: int, pre: Any = None) -> tuple[Any, list[Any]]:
    """Compile policies into one Space until no new variable appears. items: (policy, ctx, direction)."""
    from podpath.routing.symbolic import Space, compile_policy

    sp = Space(family)
    if pre is not None:
        pre(sp)
    out: list[Any] = []
    for _ in range(5):
        sp.mark()
        out = [compile_policy(p, sp, c, d) for p, c, d in items]
        if not sp.grew:
            break
    return sp, out


@policy_app.command("search")
def policy_search(snapshot: Path = typer.Argument(..., help="Snapshot directory."),
                  at: str = typer.Option(..., "--at", help="Host whose policy is asked about."),
                  neighbor: Optional[str] = typer.Option(None, "--neighbor", help="Peer name or address."),
                  policy: Optional[str] = typer.Option(None, "--policy", help="FRR route-map or BIRD filter name."),
                  permit: bool = typer.Option(False, "--permit", help="Routes the policy permits."),
                  deny: bool = typer.Option(False, "--deny", help="Routes the policy denies."),
                  direction: Dir = typer.Option(Dir.in_, "--direction", help="in (import) or out (export)."),
                  prefix_space: Optional[list[str]] = typer.Option(None, "--prefix-space",
                                                                   help="Only prefixes inside P (repeatable: any)."),
                  with_community: Optional[list[str]] = typer.Option(None, "--with-community",
                                                                     help="Only routes carrying C (A:B or A:B:C)."),
                  without_community: Optional[list[str]] = typer.Option(None, "--without-community",
                                                                        help="Only routes not carrying C."),
                  next_hop: Optional[str] = typer.Option(None, "--next-hop", help="Only routes whose next hop is "
                                                         "inside P (an address or prefix)."),
                  local_pref: Optional[int] = typer.Option(None, "--local-pref", help="Only routes with this "
                                                           "LOCAL_PREF."),
                  med: Optional[int] = typer.Option(None, "--med", help="Only routes with this MED."),
                  as_path: Optional[str] = typer.Option(None, "--as-path", help='Only routes with exactly this AS '
                                                        'path, e.g. "65001 65002".'),
                  family: Optional[int] = typer.Option(None, "--family", help="4 or 6 (default: every family)."),
                  format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """Symbolic search over every route (prefix and length, communities, AS path, next hop, local-pref,
    MED): one example route per path through the policy, or "none", or "unknown" (with the statements
    podpath could not model)."""
    from podpath.routing.symbolic import DENY, PERMIT, has_community, parse_community, search

    if permit == deny:
        _fail("give exactly one of --permit and --deny")
    spaces = []
    for p in prefix_space or []:
        try:
            spaces.append(ipaddress.ip_network(p, strict=False))
        except ValueError:
            _fail(f"--prefix-space: {p!r} is not a prefix")
    fams = {n.version for n in spaces}
    if len(fams) > 1:
        _fail("--prefix-space: give prefixes of one address family")
    if fams and family is not None and family not in fams:
        _fail("--prefix-space and --family disagree")
    family = family or (fams.pop() if fams else None)
    for c in (with_community or []) + (without_community or []):
        try:
            parse_community(c)
        except ValueError as e:
            _fail(str(e))
    nh_net = None
    if next_hop is not None:
        try:
            nh_net = ipaddress.ip_network(next_hop, strict=False)
        except ValueError:
            _fail(f"--next-hop: {next_hop!r} is not an address or prefix")
        if family is not None and nh_net.version != family:
            _fail("--next-hop and the address family disagree")
        family = family or nh_net.version
    path = None
    if as_path is not None:
        try:
            path = AsPath.of(*(int(x) for x in as_path.split()))
        except ValueError:
            _fail(f"--as-path: {as_path!r} is not a list of AS numbers")
    for what, v in (("--local-pref", local_pref), ("--med", med)):
        if v is not None and not 0 <= v <= 0xFFFFFFFF:
            _fail(f"{what}: {v} is not a 32-bit unsigned value")
    snap = _load(snapshot)
    ts = _targets(snap, at, neighbor, policy, _direction(direction), family)
    wanted = PERMIT if permit else DENY
    results = []
    for t in ts:
        def pre(sp: Any) -> None:
            for c in (with_community or []) + (without_community or []):
                has_community(sp, c)
            if path is not None:
                sp.path_atom(("exact", path), f"as-path is {path}", lambda p, want=path: p == want, path.asns())
        sp, (comp,) = compile_targets([(t.policy, t.ctx, t.direction)], t.family, pre)
        region = sp.true
        if spaces:
            r = sp.false
            for n in spaces:
                r = r | sp.prefix_within(n)
            region = region & r
        for c in with_community or []:
            region = region & has_community(sp, c)
        for c in without_community or []:
            region = region & ~has_community(sp, c)
        if nh_net is not None:
            region = region & sp.nh_in(nh_net) & sp.var(sp.int_bits("nh")[0])
        if local_pref is not None:
            region = region & sp.int_value("lp", "=", local_pref, None)
        if med is not None:
            region = region & sp.int_value("med", "=", med, None)
        if path is not None:
            region = region & sp.path_atom(("exact", path), "", lambda p: False)
        res = search(comp, wanted, region)
        results.append({"policy": t.label, "session": t.session, **res.to_json(),
                        "example_texts": [route_text(e.route) for e in res.found if e.route is not None]})
    doc = policy_document([snap], "search", {"results": results})
    if format is Format.json:
        _json(doc)
    else:
        out = _out()
        for x in doc["results"]:
            out.print(f"[bold]{escape(x['policy'])}[/]" + (f"  (session {escape(x['session'])})" if x["session"] else ""))
            _print_search(out, x)
    if not snap.usable:
        raise typer.Exit(2)


def _print_search(out: Any, x: dict[str, Any]) -> None:
    ans = x["answer"]
    style = {"found": "bold", "none": "green", "unknown": "yellow"}[ans]
    done = {"permit": "permitted", "deny": "denied"}[x["verdict"]]
    what = {"found": f"routes it would {x['verdict']}, one per path:", "none": f"none: no route is {done}",
            "unknown": f"unknown: no route is {done} by the modelled clauses, but some routes reach "
                       "statements podpath cannot model"}[ans]
    out.print(f"  [{style}]{escape(what)}[/]")
    for i, e in enumerate(x["examples"], 1):
        _print_example(out, i, e)
    if x["unknown"]:
        out.print("  [yellow]not settled symbolically:[/]")
        for i, e in enumerate(x["unknown"], 1):
            _print_example(out, i, e)


def _print_example(out: Any, i: int, e: dict[str, Any]) -> None:
    r = e["route"]
    text = _route_json_text(r) if r else "(no concrete route could be built)"
    conc = escape(f"  [concrete: {e['concrete_verdict']}]") if e.get("concrete_verdict") else ""
    out.print(f"  {i}. {escape(text)}{conc}")
    for s in e["steps"]:
        out.print(f"       {escape(s['text'])}" + (f"  [dim]{escape(_loc(s['location']))}[/]" if s["location"] else "")
                  + f" -> {s['effect']}")
    for s in e["unknown_because"]:
        out.print(f"       [yellow]unknown:[/] {escape(s['text'])}" + (f"  ({escape(_loc(s['location']))})"
                                                                        if s["location"] else ""))
    if not e.get("agrees", True):
        out.print("       [bold red]the concrete evaluator decides otherwise: shown as unknown (please report)[/]")


def _route_json_text(r: dict[str, Any]) -> str:
    parts = [r["prefix"]] + [f"community {c}" for c in r["communities"]] + \
            [f"large-community {c}" for c in r["large_communities"]]
    if r["as_path"]:
        parts.append(f'as-path "{r["as_path"]}"')
    if r["next_hop"]:
        parts.append(f"next-hop {r['next_hop']}")
    if r["local_pref"] is not None:
        parts.append(f"local-pref {r['local_pref']}")
    if r["med"] is not None:
        parts.append(f"med {r['med']}")
    if r["protocol"] != "bgp":
        parts.append(f"(source {r['protocol']})")
    return " ".join(parts)


# ============================================================================================ compare

@policy_app.command("compare")
def policy_compare(before: Path = typer.Argument(..., help="Snapshot before the change."),
                   after: Path = typer.Argument(..., help="Snapshot after the change."),
                   at: Optional[str] = typer.Option(None, "--at", help="Only this host's policies."),
                   neighbor: Optional[str] = typer.Option(None, "--neighbor", help="Only this peer (with --at)."),
                   direction: Optional[Dir] = typer.Option(None, "--direction", help="in or out (default: both)."),
                   prefix_space: Optional[list[str]] = typer.Option(None, "--prefix-space",
                                                                    help="Only prefixes inside P."),
                   format: Format = typer.Option(Format.text, "--format", "-f")) -> None:
    """The routes whose decision differs between two snapshots' policies, with an example per difference
    (checks that a fix changes only what it should)."""
    from podpath.routing.policy_query import QueryError, all_targets, targets
    from podpath.routing.symbolic import compare

    if neighbor is not None and at is None:
        _fail("--neighbor needs --at")
    nets = []
    for p in prefix_space or []:
        try:
            nets.append(ipaddress.ip_network(p, strict=False))
        except ValueError:
            _fail(f"--prefix-space: {p!r} is not a prefix")
    a, b = _load(before), _load(after)
    d = _direction(direction)
    try:
        if at is not None and neighbor is not None:
            ta, tb = targets(a, at, neighbor, None, d), targets(b, at, neighbor, None, d)
        else:
            ta, tb = all_targets(a, at, d), all_targets(b, at, d)
    except QueryError as e:
        _fail(str(e))
    ka, kb = {t.key(): t for t in ta}, {t.key(): t for t in tb}
    results = []
    for key in sorted(set(ka) & set(kb)):
        x, y = ka[key], kb[key]
        if x.policy is None and y.policy is None:
            continue
        fam_nets = [n for n in nets if n.version == x.family]
        if nets and not fam_nets:
            continue
        sp, (cx, cy) = compile_targets([(x.policy, x.ctx, x.direction), (y.policy, y.ctx, y.direction)], x.family)
        region = sp.true
        if fam_nets:
            region = sp.false
            for n in fam_nets:
                region = region | sp.prefix_within(n)
        diffs = compare(cx, cy, region)
        if diffs:
            results.append({"policy": x.label, "differences": [
                {**df.to_json(), "route_text": route_text(df.route) if df.route else None} for df in diffs]})
    only = {"before": sorted(ka[k].label for k in set(ka) - set(kb)),
            "after": sorted(kb[k].label for k in set(kb) - set(ka))}
    doc = policy_document([a, b], "compare", {"changed": results, "only_in": only,
                                              "compared": len(set(ka) & set(kb))})
    if format is Format.json:
        _json(doc)
    else:
        out = _out()
        if not doc["changed"]:
            out.print(f"[green]no route is decided differently[/] ({doc['compared']} policies compared)")
        for x in doc["changed"]:
            out.print(f"[bold]{escape(x['policy'])}[/]")
            for df in x["differences"]:
                out.print(f"  {df['before']} -> {df['after']}: {escape(df['route_text'] or '(no concrete route)')}")
                for side in ("before", "after"):
                    last = df[f"{side}_steps"][-1] if df[f"{side}_steps"] else None
                    if last:
                        out.print(f"      {side}: {escape(last['text'])}  [dim]{escape(_loc(last['location']))}[/]")
        for side, labels in doc["only_in"].items():
            for lab in labels:
                out.print(f"  only in {side}: {escape(lab)}")
    if not (a.usable and b.usable):
        raise typer.Exit(2)


__all__ = ["policy_app", "route_text", "compile_targets"]
