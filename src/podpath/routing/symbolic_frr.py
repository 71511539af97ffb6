"""FRR policies compiled to symbolic paths (routing.symbolic): route-maps with `on-match`,
`continue`, `call` and set actions that later matches read, prefix/access/community/
large-community/as-path lists, and a neighbor's whole filter chain.

The semantics are those of readers/frr/policy.py (which the simulator uses), clause by clause:
the pending result, FRR's route-map optimisation (the first matching clause is chosen through
the prefix tree), undefined maps and lists. What is not modelled becomes an unknown region
with the statement's file:line.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from podpath.readers.frr import policy as F
from podpath.readers.frr.model import CommunityList, FrrConfig, RouteMap, RouteMapClause, RouteMapMatch, RouteMapSet
from podpath.routing.policy import Direction, PolicyContext
from podpath.routing.route import Origin, Route
from podpath.routing.symbolic import (
    DENY, PERMIT, UNKNOWN, Logic, Path, Pred, Space, State, Step, Unmodelled, _chain,
)


class _Frr:
    def __init__(self, config: FrrConfig, space: Space, ctx: PolicyContext, applied_at: str | None,
                 neighbor: Any, default_lp: int) -> None:
        self.cfg = config
        self.s = space
        self.L = Logic(space)
        self.ctx = ctx
        self.applied_at = applied_at
        self.neighbor = neighbor
        self.default_lp = default_lp
        self.version = F.frr_version(config)

    # ------------------------------------------------------------------ lists
    def prefix_entry(self, e: Any) -> Any:
        p = e.prefix
        if p.version != self.s.family:
            return self.s.false
        if not e.le and not e.ge:
            return self.s.prefix_is(p)
        return self.s.prefix_within(p, e.ge or None, e.le or None)

    def prefix_list(self, pl: Any) -> Pred:
        """prefix_list_apply: undefined denies, empty permits, first matching entry decides."""
        if pl is None:
            return self.L.false
        if not pl.entries:
            return self.L.true
        return self.L.first_match([(self.L.known(self.prefix_entry(e)), e.action == "permit") for e in pl.entries])

    def access_entry(self, e: Any, bits: list[str], plen_known: int | None) -> Any:
        s = self.s
        if e.cisco:
            if s.family != 4:
                return s.false
            r = s.true
            for i in range(32):
                if not (e.wildcard >> (31 - i)) & 1:
                    x = s.var(bits[i])
                    r = r & (x if (e.addr >> (31 - i)) & 1 else ~x)
            if e.extended:
                for i in range(32):
                    if not (e.mask_wildcard >> (31 - i)) & 1:
                        inside = s.length(">", i) if plen_known is None else (s.true if plen_known > i else s.false)
                        r = r & (inside if (e.mask >> (31 - i)) & 1 else ~inside)
            return r
        if e.family != s.family:
            return s.false
        if e.any:
            return s.true
        if plen_known is not None:  # a host address (next hop): inside the prefix
            return s.addr_prefix(bits, e.prefix) if plen_known >= e.prefix.prefixlen else s.false
        if e.exact:
            return s.prefix_is(e.prefix)
        return s.prefix_within(e.prefix)

    def access_list(self, al: Any, bits: list[str] | None = None, plen: int | None = None) -> Pred:
        if al is None:
            return self.L.false
        bits = bits or self.s.addr_bits
        return self.L.first_match([(self.L.known(self.access_entry(e, bits, plen)), e.action == "permit")
                                   for e in al.entries])

    def community_list(self, lst: CommunityList, exact: bool) -> Pred:
        """community_list_match over atoms; expanded (regex) entries are unknown."""
        kind = {"community": "c", "large-community": "lc", "extcommunity": "ec"}[lst.kind]
        if lst.kind == "extcommunity":
            exact = False
        s, L = self.s, self.L
        entries: list[tuple[Pred, bool]] = []
        for e in lst.entries:
            if e.style == "standard":
                if lst.kind == "community" and (0, 0) in e.values:
                    entries.append((L.true, e.action == "permit"))
                    continue
                for v in e.values:
                    s.atom(kind, v)
                if exact:
                    m = ~s.var(f"{kind}_other")
                    for val, var in s.atoms_of(kind):
                        m = m & (s.var(var) if val in e.values else ~s.var(var))
                    if not e.values:
                        m = s.false
                else:
                    m = s.true if e.values else s.false
                    for v in e.values:
                        m = m & s.atom(kind, v)
                entries.append((L.known(m), e.action == "permit"))
            else:
                entries.append((L.unknown(e.loc, f"{lst.keyword} seq {e.seq}: expanded (regex) entry "
                                                 f"{e.text!r} is not modelled symbolically"),
                                e.action == "permit"))
        return L.first_match(entries)

    def as_path_atom(self, regex: str, loc: Any) -> Pred:
        asns = tuple(int(x) for x in re.findall(r"\d+", regex) if int(x) <= 0xFFFFFFFF)
        v = self.s.path_atom(("frr", regex), f"as-path matches {regex!r}",
                             lambda p, r=regex: F._search(r, F.as_path_str(p)), asns)
        return self.L.known(v)

    def as_path_list(self, lst: Any) -> Pred:
        if lst is None:
            return self.L.false
        return self.L.first_match([(self.as_path_atom(e.regex, e.loc), e.action == "permit") for e in lst.entries])

    # ------------------------------------------------------------------ route-map matches
    def match_one(self, m: RouteMapMatch, first_phase: bool) -> Pred | str:
        """A Pred, or 'ignored' / 'noop' as FRR's route_map_apply_match treats the statement."""
        k, v = m.kind, m.value
        s, L = self.s, self.L
        fam = s.family
        if k in ("ip address prefix-list", "ipv6 address prefix-list"):
            lfam = 4 if k.startswith("ip ") else 6
            pl = self.cfg.prefix_list(lfam, str(v))
            if pl is None:
                return L.false
            if first_phase and (fam != lfam or not pl.entries):
                return L.false
            return self.prefix_list(pl)
        if k in ("ip address", "ipv6 address"):
            lfam = 4 if k == "ip address" else 6
            if fam != lfam:
                return L.false
            return self.access_list(self.cfg.access_lists.get((lfam, str(v))))
        if k in ("ip next-hop prefix-list", "ipv6 next-hop prefix-list", "ip next-hop", "ipv6 next-hop"):
            lfam = 4 if k.startswith("ip ") else 6
            if fam != lfam:
                return L.false
            bits = s.int_bits("nh")
            set_ = s.var(bits[0])
            if k.endswith("prefix-list"):
                pl = self.cfg.prefix_list(lfam, str(v))
                host = _host_pred(self, pl)
                zero = F.prefix_list_apply(pl, ipaddress.ip_network(("::" if fam == 6 else "0.0.0.0") +
                                                                    f"/{s.width}"))[0]
            else:
                al = self.cfg.access_lists.get((lfam, str(v)))
                host = self.access_list(al, bits[1:], s.width)
                zero = F.access_list_apply(al, ipaddress.ip_network(("::" if fam == 6 else "0.0.0.0") +
                                                                    f"/{s.width}"))[0]
            return L.or_(L.and_(L.known(set_), host), L.known(~set_ if zero else s.false))
        if k in ("ip next-hop address", "ipv6 next-hop address"):
            if not isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)) or v.version != fam:
                return L.false
            net = ipaddress.ip_network(f"{v}/{s.width}")
            bits = s.int_bits("nh")
            return L.known(s.var(bits[0]) & s.addr_prefix(bits[1:], net))
        if k in ("ip next-hop type", "ipv6 next-hop type"):
            if k.startswith("ip ") and fam != 4:
                return L.false
            bits = s.int_bits("nh")
            zero = ipaddress.ip_network(("::" if fam == 6 else "0.0.0.0") + f"/{s.width}")
            return L.known(~s.var(bits[0]) | s.addr_prefix(bits[1:], zero))
        if k in ("community", "large-community", "extcommunity"):
            name, exact = v if isinstance(v, tuple) else (v, False)
            master = {"community": self.cfg.community_lists, "large-community": self.cfg.large_community_lists,
                      "extcommunity": self.cfg.ext_community_lists}[k]
            lst = master.get(name)
            if lst is None:
                return L.false
            return self.community_list(lst, exact)
        if k == "as-path":
            lst2 = self.cfg.as_path_lists.get(str(v))
            return self.as_path_list(lst2)
        if k == "metric":
            return L.known(s.int_value("med", "=", int(v), 0))  # type: ignore[call-overload]
        if k == "local-preference":
            # FRR (_raw_local_pref): unset reads as 0 on a route received from a peer, as the default
            # local preference on one without a peer (what the example routes are when no peer is known)
            received = self.ctx.direction is Direction.IMPORT and self.ctx.peer_address is not None
            unset = 0 if received and self.applied_at not in F.LOCAL_ORIGINS else self.default_lp
            return L.known(s.int_value("lp", "=", int(v), unset))  # type: ignore[call-overload]
        if k == "origin":
            o = v if isinstance(v, Origin) else Origin(str(v))
            return L.known(s.origin_is(o))
        if k in ("ip address prefix-len", "ipv6 address prefix-len", "source-protocol"):
            return "ignored"
        if k == "evpn vni":
            return "noop"
        if k.startswith("evpn") or k == "mac address":
            return L.false
        if k in ("peer", "ip route-source", "ip route-source prefix-list", "interface", "source-vrf", "tag"):
            # decided by the session or by attributes a received route does not carry: evaluate concretely
            run = F._Run(self.ctx, self.applied_at, self.neighbor, self.default_lp)
            probe = Route(ipaddress.ip_network("::/0" if fam == 6 else "0.0.0.0/0"), peer=self.ctx.peer_address)
            res, _ = F._match_one(self.cfg, m, probe, run, first_phase)
            return L.true if res == "match" else L.false
        return L.unknown(m.loc, f"`{m.text}` is not modelled symbolically")

    def match_clause(self, cl: RouteMapClause, state: State, first_phase: bool) -> tuple[Pred | None, list[Step]]:
        """(Pred of "the clause matches", or None for FRR's no-op) under the current state."""
        if not cl.matches:
            return self.L.true, []
        preds: list[Pred] = []
        notes = []
        noop = False
        for m in cl.matches:
            r = self.match_one(m, first_phase)
            if r == "ignored":
                notes.append(Step(m.loc, f"{m.text}: zebra-only match, bgpd ignores it", "note"))
                continue
            if r == "noop":
                noop = True
                continue
            preds.append(state.apply(r, self.s))  # type: ignore[arg-type]
        if not preds:
            return (None if noop else self.L.true), notes
        out = preds[0]
        for p in preds[1:]:
            out = self.L.and_(out, p)
        return out, notes

    # ------------------------------------------------------------------ sets
    def apply_set(self, st: RouteMapSet, state: State) -> State:
        s = self.s
        k, v = st.kind, st.value
        why = Step(st.loc, f"`{st.text}` changes the attribute in a way podpath does not track symbolically",
                   "unknown")
        if k in ("local-preference", "metric"):
            op, num = v  # type: ignore[misc]
            name = "lp" if k == "local-preference" else "med"
            if op in ("+", "-") or num == "rtt":
                return state.tainted(name, why)
            return state.with_subst(s.const_bits(name, int(num)), s)
        if k == "origin":
            o = v if isinstance(v, Origin) else Origin(str(v))
            return state.with_subst({f"origin_{x.value}": (s.true if x is o else s.false)
                                     for x in (Origin.IGP, Origin.EGP, Origin.INCOMPLETE)}, s)
        if k in ("community", "large-community"):
            mode, vals, _ = v  # type: ignore[misc]
            kind = "c" if k == "community" else "lc"
            for x in vals:
                s.atom(kind, x)
            if mode == "additive":
                return state.with_subst({s.atoms[(kind, x)]: s.true for x in vals}, s)
            d = {var: (s.true if (mode != "none" and val in vals) else s.false) for val, var in s.atoms_of(kind)}
            d[f"{kind}_other"] = s.false
            return state.with_subst(d, s)
        if k in ("comm-list delete", "large-comm-list delete"):
            kind = "c" if k.startswith("comm-") else "lc"
            master = self.cfg.community_lists if kind == "c" else self.cfg.large_community_lists
            lst = master.get(str(v))
            if lst is None:
                return state
            d = {}
            for val, var in s.atoms_of(kind):
                if not F.community_list_delete(lst, frozenset({val})):
                    d[var] = s.false
            out = state.with_subst(d, s) if d else state
            if any(e.style != "standard" or (kind == "c" and (0, 0) in e.values) for e in lst.entries):
                out = out.tainted(f"{kind}_other", why)
            return out
        if k in ("extcommunity rt", "extcommunity soo"):
            for x in v:  # type: ignore[union-attr]
                s.atom("ec", x)
            return state.with_subst({s.atoms[("ec", x)]: s.true for x in v}, s)  # type: ignore[union-attr]
        if k == "extcommunity none":
            d = {var: s.false for _, var in s.atoms_of("ec")}
            d["ec_other"] = s.false
            return state.with_subst(d, s)
        if k.startswith("as-path"):
            return state.tainted("path", why)
        if k in ("ip next-hop", "ipv6 next-hop global", "ipv6 next-hop peer-address"):
            if v == "unchanged" or (k == "ip next-hop" and s.family != 4):
                return state
            if v == "peer-address" or k == "ipv6 next-hop peer-address":
                out = self.ctx.direction is Direction.EXPORT and self.applied_at == "neighbor"
                addr = self.ctx.local_address if out else self.ctx.peer_address
                if addr is None or addr.version != s.family or (addr.version == 6 and addr.is_link_local):
                    return state.tainted("nh", why) if addr is None else state
                return state.with_subst(s.const_bits("nh", int(addr)), s)
            if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)) and v.version == s.family:
                return state.with_subst(s.const_bits("nh", int(v)), s)
            return state
        return state  # weight, tag, distance, link-local next hop...: read by no match podpath models

    # ------------------------------------------------------------------ route-maps
    def route_map(self, rm: RouteMap, cond: Any, state: State, steps: tuple[Step, ...], depth: int = 0) -> list[Path]:
        """_apply(): every way through the map, as paths."""
        s = self.s
        if depth > F.RECURSION_LIMIT:
            return [Path(cond, DENY, steps + (Step(None, f"route-map {rm.name}: call recursion limit reached: "
                                                         "FRR discards the route", "reject"),), state)]
        clauses = rm.ordered()
        n = len(clauses)
        out: list[Path] = []
        # frames: (clause index, routes, state, steps, pending, first_phase, after an on-match permit)
        todo: list[tuple[int, Any, State, tuple[Step, ...], bool, bool, bool]] = [
            (0, cond, state, steps, True, rm.optimization, False)]
        while todo:
            i, c, st, sp, pending, first, saw = todo.pop()
            if c == s.false:
                continue
            if i >= n:
                if first:
                    pending = False
                if pending:
                    out.append(Path(c, PERMIT, sp + (Step(clauses[-1].loc, f"route-map {rm.name}: end of map: "
                                                                            "permit", "accept"),), st))
                else:
                    why = ("no clause after on-match next/continue matched" if saw else "no clause matched: "
                           "implicit deny")
                    out.append(Path(c, DENY, sp + (Step(clauses[-1].loc, f"route-map {rm.name}: {why}",
                                                        "reject"),), st))
                continue
            cl = clauses[i]
            m, notes = self.match_clause(cl, st, first)
            head = cl.text
            if m is None:
                todo.append((i + 1, c, st, sp + (Step(cl.loc, f"{head}: not applicable (skipped)", "no-match"),),
                             pending, first, saw))
                continue
            no = c & ~(m.t | m.u)
            if no != s.false:
                todo.append((i + 1, no, st, sp + (Step(cl.loc, f"{head}: no match", "no-match"),), False, first,
                             saw))
            unk = c & m.u
            if unk != s.false:
                out.append(Path(unk, UNKNOWN, sp + (Step(cl.loc, f"{head}: cannot tell whether it matches",
                                                         "unknown"),), st, m.reasons))
            yes = c & m.t
            if yes == s.false:
                continue
            if cl.action == "deny":
                out.append(Path(yes, DENY, sp + (Step(cl.loc, f"{head}: matches; deny", "reject"),), st))
                continue
            sp2 = sp + (Step(cl.loc, f"{head}: matches", "match"),) + tuple(notes)
            st2 = st
            for x in cl.sets:
                st2 = self.apply_set(x, st2)
                sp2 = sp2 + (Step(x.loc, x.text, "set"),)
            conts: list[tuple[Any, State, tuple[Step, ...]]] = [(yes, st2, sp2)]
            if cl.call is not None:
                called = self.cfg.route_maps.get(cl.call.name)
                if called is None or not called.clauses:
                    conts = [(yes, st2, sp2 + (Step(cl.call.loc, f"call {cl.call.name}: not defined; skipped",
                                                    "note"),))]
                else:
                    conts = []
                    for p in self.route_map(called, yes, st2, sp2 + (Step(cl.call.loc, f"call {cl.call.name}",
                                                                          "call"),), depth + 1):
                        if p.verdict == PERMIT:
                            conts.append((p.cond, p.state, p.steps[:-1] + (
                                Step(cl.call.loc, f"return from {cl.call.name}: permit", "return"),)))
                        else:
                            out.append(p)
            for c2, st3, sp3 in conts:
                if cl.exit_policy is None:
                    out.append(Path(c2, PERMIT, sp3 + (Step(cl.loc, f"{head}: permit", "accept"),), st3))
                elif cl.exit_policy == "next":
                    todo.append((i + 1, c2, st3, sp3 + (Step(cl.exit_loc, "on-match next", "continue"),), True,
                                 False, True))
                else:
                    target = cl.goto or 0
                    j = i + 1
                    while j < n and clauses[j].seq < target:
                        j += 1
                    if j >= n:
                        out.append(Path(c2, PERMIT, sp3 + (Step(cl.exit_loc, f"goto {target} leaves the map: "
                                                                             "permit", "accept"),), st3))
                    else:
                        todo.append((j, c2, st3, sp3 + (Step(cl.exit_loc, f"goto {clauses[j].seq}", "continue"),),
                                     True, False, True))
        return out


def _host_pred(fx: _Frr, pl: Any) -> Pred:
    """A prefix-list applied to the next hop as a host prefix (/32, /128)."""
    s = fx.s
    if pl is None:
        return fx.L.false
    if not pl.entries:
        return fx.L.true
    bits = s.int_bits("nh")[1:]
    entries = []
    for e in pl.entries:
        p = e.prefix
        ok = p.version == s.family and e.matches(ipaddress.ip_network(f"{p.network_address}/{s.width}"))
        entries.append((fx.L.known(s.addr_prefix(bits, p) if ok else s.false), e.action == "permit"))
    return fx.L.first_match(entries)


def _filter_paths(pred: Pred, cond: Any, state: State, steps: tuple[Step, ...], s: Space, what: str,
                  loc: Any) -> list[Path]:
    """A neighbor filter (prefix-list, filter-list, distribute-list): pass goes on (as PERMIT)."""
    p = state.apply(pred, s)
    out = []
    yes, unk, no = cond & p.t, cond & p.u, cond & ~(p.t | p.u)
    if yes != s.false:
        out.append(Path(yes, PERMIT, steps + (Step(loc, f"{what}: permits", "match"),), state))
    if unk != s.false:
        out.append(Path(unk, UNKNOWN, steps + (Step(loc, f"{what}: cannot tell", "unknown"),), state, p.reasons))
    if no != s.false:
        out.append(Path(no, DENY, steps + (Step(loc, f"{what}: denies", "reject"),), state))
    return out


def compile_frr(policy: Any, space: Space, ctx: PolicyContext) -> list[Path]:
    if isinstance(policy, F.RouteMapPolicy):
        fx = _Frr(policy.config, space, ctx, policy.applied_at or ("neighbor" if ctx.peer_address else "local"),
                  policy.neighbor, policy.default_local_pref)
        rm = policy.route_map
        if rm is None or not rm.clauses:
            r = policy.evaluate(Route(ipaddress.ip_network("::/0" if space.family == 6 else "0.0.0.0/0")), ctx)
            v = PERMIT if r.accepted else DENY
            return [Path(space.true, v, tuple(Step(t.loc, t.text, t.effect) for t in r.trace))]
        return fx.route_map(rm, space.true, State(), (Step(policy.ref.loc if policy.ref else rm.loc,
                                                           f"route-map {policy.name}", "call"),))
    if isinstance(policy, F.PrefixListPolicy):
        fx = _Frr(policy.config, space, ctx, None, None, 100)
        pl = policy.config.prefix_list(policy.family, policy.name)
        if pl is not None and pl.entries and space.family != policy.family:
            pred = fx.L.false
        else:
            pred = fx.prefix_list(pl)
        return _filter_paths(pred, space.true, State(), (), space, f"prefix-list {policy.name}", pl.loc if pl else None)
    if isinstance(policy, F.AccessListPolicy):
        fx = _Frr(policy.config, space, ctx, None, None, 100)
        return _filter_paths(fx.access_list(policy.config.access_lists.get((space.family, policy.name))),
                             space.true, State(), (), space, f"access-list {policy.name}", None)
    if isinstance(policy, F.AsPathListPolicy):
        fx = _Frr(policy.config, space, ctx, None, None, 100)
        return _filter_paths(fx.as_path_list(policy.config.as_path_lists.get(policy.name)), space.true, State(), (),
                             space, f"as-path access-list {policy.name}", None)
    if isinstance(policy, F.CommunityListPolicy):
        fx = _Frr(policy.config, space, ctx, None, None, 100)
        master = {"community": policy.config.community_lists, "large-community": policy.config.large_community_lists,
                  "extcommunity": policy.config.ext_community_lists}[policy.kind]
        lst = master.get(policy.name)
        pred = fx.L.false if lst is None else fx.community_list(lst, policy.exact)
        return _filter_paths(pred, space.true, State(), (), space, f"{policy.kind}-list {policy.name}", None)
    if isinstance(policy, F.NeighborPolicy):
        return _neighbor(policy, space, ctx)
    raise Unmodelled(None, f"{type(policy).__name__} is not modelled symbolically")


def _neighbor(np: F.NeighborPolicy, space: Space, ctx: PolicyContext) -> list[Path]:
    """NeighborPolicy.evaluate as paths: distribute-list, prefix-list, filter-list,
    ebgp-requires-policy, route-map (outbound: AS-path rewriting before the route-map)."""
    cfg = np.config
    inbound = np.direction is Direction.IMPORT
    fx = _Frr(cfg, space, ctx, "neighbor", np.neighbor, np.instance.default_local_pref or 100)
    parts = []
    if np.distribute_list is not None:
        ref = np.distribute_list
        parts.append(lambda c, st, sp, ref=ref: _filter_paths(
            fx.access_list(cfg.access_lists.get((space.family, ref.name))), c, st, sp, space,
            f"distribute-list {ref.name}", ref.loc))
    if np.prefix_list is not None:
        ref = np.prefix_list
        pl = cfg.prefix_list(space.family, ref.name)
        parts.append(lambda c, st, sp, ref=ref, pl=pl: _filter_paths(
            fx.prefix_list(pl), c, st, sp, space, f"prefix-list {ref.name}", ref.loc))
    if np.filter_list is not None:
        ref = np.filter_list
        parts.append(lambda c, st, sp, ref=ref: _filter_paths(
            fx.as_path_list(cfg.as_path_lists.get(ref.name)), c, st, sp, space, f"filter-list {ref.name}", ref.loc))
    ebgp = (not ctx.ibgp) if ctx.ibgp is not None else np.instance.is_ebgp(np.neighbor, ctx.peer_as)

    def requires(c: Any, st: State, sp: tuple[Step, ...]) -> list[Path]:
        if np.named or ebgp is False or not np.ebgp_requires_policy()[0]:
            return [Path(c, PERMIT, sp, st)]
        return [Path(c, DENY, sp + (Step(np.neighbor.loc, f"{np.name}: eBGP session without any policy and "
                                                          "`bgp ebgp-requires-policy` is on", "reject"),), st)]

    if inbound:
        parts.append(requires)
    else:
        a = np.settings
        if a is not None and ebgp and (a.remove_private_as or a.as_override):
            why = Step(a.locs.get("remove_private_as") or a.locs.get("as_override"),
                       "remove-private-AS / as-override rewrite the AS path", "unknown")
            parts.append(lambda c, st, sp: [Path(c, PERMIT, sp, st.tainted("path", why))])
    if np.route_map is not None:
        ref = np.route_map

        def rm_part(c: Any, st: State, sp: tuple[Step, ...], ref: Any = ref) -> list[Path]:
            rm = cfg.route_maps.get(ref.name)
            if rm is None or not rm.clauses:
                return [Path(c, DENY, sp + (Step(ref.loc, f"route-map {ref.name} is not defined: FRR denies every "
                                                          "route", "reject"),), st)]
            return fx.route_map(rm, c, st, sp + (Step(ref.loc, f"{np.name}: route-map {ref.name}", "call"),))
        parts.append(rm_part)
    if not inbound:
        parts.append(requires)
    if not parts:
        return [Path(space.true, PERMIT, (Step(np.neighbor.loc, f"{np.name}: no filter configured: accepted",
                                               "accept"),))]
    return _chain(parts, space)
