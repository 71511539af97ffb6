"""Random OSPF underlays for the differential suite (lab vs simulator), like lab/scenarios.py.

A scenario: two to four routers (FRR ospfd/ospf6d or BIRD `protocol ospf v2`/`v3`) on one
to three shared segments (bridges), each with a loopback on `lo` (IPv4 /32 and IPv6 /128),
OSPFv2 and OSPFv3 side by side; sometimes a second area (its routers' ABR summarises it),
a stub area, point-to-point links (segments with two routers), interface costs, passive
interfaces, static routes redistributed as type-1 or type-2 externals, and a default route
originated. Some are broken on purpose (a hello or area mismatch, a passive transit link).
Hello 1 s / dead 4 s so that the lab converges in seconds.

Names and addresses depend only on the scenario index, so scenarios share one lab (`merge`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from podpath.lab.scenarios import CILIUM_VERSION, Scenario

__all__ = ["generate_ospf"]


@dataclass
class _If:
    name: str
    seg: int
    area: str
    cost: int | None = None
    ptp: bool = False
    passive: bool = False
    hello: int = 1
    dead: int = 4


@dataclass
class _R:
    j: int
    name: str
    daemon: str
    ifs: list[_If] = field(default_factory=list)
    statics: list[tuple[str, int | None, int]] = field(default_factory=list)  # (prefix, metric, type)
    default: bool = False
    stub_areas: set[str] = field(default_factory=set)


def _v4(index: int, seg: int, j: int) -> str:
    return f"10.{100 + index // 64}.{(index % 64) * 4 + seg}.{j + 1}"


def _v6(index: int, seg: int, j: int) -> str:
    return f"fd20:{index:x}:{seg}::{j + 1}"


def _lo4(index: int, j: int) -> str:
    return f"10.{200 + index // 250}.{index % 250}.{j + 1}"


def _lo6(index: int, j: int) -> str:
    return f"fd21:{index:x}::{j + 1}"


def generate_ospf(seed: int, index: int = 0, *, frr_version: str = "8.4.4") -> Scenario:
    """OSPF scenario number `index` (names, addresses) drawn from `seed` (everything else)."""
    rnd = random.Random(seed * 7919 + 17)
    n = rnd.randint(2, 4)
    nseg = rnd.randint(1, min(3, n))
    routers = [_R(j, f"s{index}r{j}", rnd.choice(("frr", "bird"))) for j in range(n)]
    # every segment gets at least two routers; every router at least one segment
    members: dict[int, set[int]] = {k: set() for k in range(nseg)}
    for k in range(nseg):
        members[k] |= set(rnd.sample(range(n), 2))
    for j in range(n):
        if not any(j in m for m in members.values()):
            members[rnd.randrange(nseg)].add(j)
    for k in range(nseg):
        for j in range(n):
            if j not in members[k] and rnd.random() < 0.25:
                members[k].add(j)
    two_areas = nseg >= 2 and rnd.random() < 0.4
    seg_area = {k: ("0.0.0.0" if k == 0 or not two_areas else "0.0.0.1") for k in range(nseg)}
    stub = two_areas and rnd.random() < 0.4
    notes: list[str] = []
    for k in range(nseg):
        ptp = len(members[k]) == 2 and rnd.random() < 0.3
        for j in sorted(members[k]):
            r = routers[j]
            f = _If(f"eth{len(r.ifs)}", k, seg_area[k], ptp=ptp)
            if rnd.random() < 0.35:
                f.cost = rnd.choice((5, 10, 20, 50))
            r.ifs.append(f)
    abrs = [r for r in routers if len({f.area for f in r.ifs}) > 1]
    if stub and len(abrs) != 1:  # FRR 8.4's ospf6d loops the default between two ABRs of a stub area
        stub = False
    for r in routers:
        if stub:
            r.stub_areas = {a for a in (f.area for f in r.ifs) if a != "0.0.0.0"}
        only_stub = bool(r.stub_areas) and all(f.area in r.stub_areas for f in r.ifs)
        if rnd.random() < 0.35 and not (only_stub and r.daemon == "bird"):  # BIRD: "ASBR must be in non-stub area"
            r.statics.append((f"172.{16 + index % 16}.{(index // 16) * 8 + r.j}.0/24",
                              rnd.choice((None, 30)), rnd.choice((1, 2))))
        if rnd.random() < 0.15 and not r.stub_areas:
            r.default = True
    fault = rnd.random()
    if fault < 0.25:
        r = rnd.choice(routers)
        f = rnd.choice(r.ifs)
        what = rnd.choice(("hello", "area", "passive"))
        if what == "hello":
            f.hello, f.dead = 2, 8
        elif what == "area":
            f.area = "0.0.0.9"
        else:
            f.passive = True
        notes.append(f"{r.name} {f.name}: {what} fault")
    files = {"podpath.yaml": _manifest(routers, index)}
    for r in routers:
        if r.daemon == "frr":
            files[f"frr/{r.name}.conf"] = _frr(r, index, frr_version)
        else:
            files[f"bird/{r.name}.conf"] = _bird(r, index)
    summary = (f"{n} routers ({', '.join(r.daemon for r in routers)}), {nseg} segment(s)"
               + (", two areas" if two_areas else "") + (" (stub)" if stub else "")
               + (f"; {'; '.join(notes)}" if notes else ""))
    return Scenario(seed, index, files, summary)


def _manifest(routers: list[_R], index: int) -> str:
    lines = ["versions:", f"  cilium: {CILIUM_VERSION}", "hosts:"]
    for r in routers:
        ifs = [f'lo: {{addresses: ["{_lo4(index, r.j)}/32", "{_lo6(index, r.j)}/128"]}}']
        for f in r.ifs:
            ifs.append(f'{f.name}: {{addresses: ["{_v4(index, f.seg, r.j)}/24", "{_v6(index, f.seg, r.j)}/64"], '
                       f"segment: s{index}n{f.seg}}}")
        lines.append(f"  {r.name}: {{interfaces: {{{', '.join(ifs)}}}}}")
    lines.append("segments:")
    for k in sorted({f.seg for r in routers for f in r.ifs}):
        lines.append(f'  s{index}n{k}: {{prefixes: ["{_v4(index, k, -1).rsplit(".", 1)[0]}.0/24", '
                     f'"fd20:{index:x}:{k}::/64"]}}')
    return "\n".join(lines) + "\n"


def _frr(r: _R, index: int, version: str) -> str:
    out = [f"frr version {version}", "frr defaults traditional", f"hostname {r.name}", "!"]
    for pfx, _, _ in r.statics:
        out.append(f"ip route {pfx} blackhole")
    first_area = r.ifs[0].area
    for f in r.ifs:
        out += [f"interface {f.name}"]
        for v, kw in ((4, "ip ospf"), (6, "ipv6 ospf6")):
            out.append(f" {kw} area {f.area}")
            out.append(f" {kw} hello-interval {f.hello}")
            out.append(f" {kw} dead-interval {f.dead}")
            if f.cost:
                out.append(f" {kw} cost {f.cost}")
            if f.ptp:
                out.append(f" {kw} network point-to-point")
            if f.passive:
                out.append(f" {kw} passive")
        out.append("exit")
    out += ["interface lo", f" ip ospf area {first_area}", " ip ospf passive", f" ipv6 ospf6 area {first_area}",
            " ipv6 ospf6 passive", "exit"]
    for kw, rid in (("ospf", "ospf"), ("ospf6", "ospf6")):
        out += ["!", f"router {kw}", f" {rid} router-id {_lo4(index, r.j)}"]
        if kw == "ospf" and r.statics:
            pfx, metric, mtype = r.statics[0]
            out.append(" redistribute static" + (f" metric {metric}" if metric else "") + f" metric-type {mtype}")
        if r.default:
            out.append(" default-information originate always")
        for a in sorted(r.stub_areas):
            out.append(f" area {a} stub")
        out.append("exit")
    return "\n".join(out) + "\n"


def _bird(r: _R, index: int) -> str:
    out = [f"router id {_lo4(index, r.j)};", "protocol device { scan time 2; }",
           "protocol kernel { ipv4 { export where source = RTS_OSPF; }; }",
           "protocol kernel { ipv6 { export where source = RTS_OSPF; }; }"]
    if r.statics:
        out.append("protocol static st4 { ipv4; " + " ".join(f"route {p} blackhole;" for p, _, _ in r.statics) + " }")
    if r.default:
        out.append("protocol static def4 { ipv4; route 0.0.0.0/0 blackhole; }")
    for v, fam in (("v2", "ipv4"), ("v3", "ipv6")):
        exp = "none"
        if fam == "ipv4" and (r.statics or r.default):
            conds = []
            if r.statics:
                pfx, metric, mtype = r.statics[0]
                attr = f"ospf_metric{mtype} = {metric or (20 if mtype == 1 else 10000)};"
                conds.append(f"if net = {pfx} then {{ {attr} accept; }}")
            if r.default:
                conds.append("if net = 0.0.0.0/0 then { ospf_metric2 = 1; accept; }")
            exp = "filter { " + " ".join(conds) + " reject; }"
        out.append(f"protocol ospf {v} ospf{v[1]} {{")
        out.append(f"  {fam} {{ import all; export {exp}; }};")
        areas: dict[str, list[_If]] = {}
        for f in r.ifs:
            areas.setdefault(f.area, []).append(f)
        first = r.ifs[0].area
        for a in sorted(areas):
            out.append(f"  area {a} {{")
            if a in r.stub_areas:
                out.append("    stub yes; summary yes; default cost 1;")
            for f in areas[a]:
                opts = [f"hello {f.hello};", f"dead {f.dead};"]
                if f.cost:
                    opts.append(f"cost {f.cost};")
                if f.ptp:
                    opts.append("type ptp;")
                if f.passive:
                    opts.append("stub yes;")
                out.append(f'    interface "{f.name}" {{ {" ".join(opts)} }};')
            if a == first:
                out.append('    interface "lo" { stub yes; };')
            out.append("  };")
        out.append("}")
    return "\n".join(out) + "\n"
