"""BGP005's second run is pruned (routing.timing.unique_outcome) and bounded: the pruned rule must
report exactly what the unpruned, unbounded run reports, and a prefix the condition calls unique
must come out the same when the whole control plane is simulated again in reverse order.

The snapshots are generated: FRR and BIRD routers on one LAN with random ASes (so iBGP with route
reflectors and eBGP mix), random route-maps and filters setting local-pref, weight, MED, prepending
or only tagging, shared originations, `always-compare-med` / `compare-routerid` at random."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import podpath
from podpath.routing.timing import best_differences, multi_path_prefixes, timing_dependent, unique_outcome

DATA = Path(__file__).parent / "data"

_NEUTRAL_FRR = ["", "set community 65000:7", "set as-path prepend {asn}", "set large-community 65000:0:1"]
_RANKED_FRR = ["set local-preference {n}", "set metric {n}", "set weight {n}", "set origin incomplete"]
_NEUTRAL_BIRD = ["", "bgp_community.add((65000, 7));", "bgp_path.prepend({asn});"]
_RANKED_BIRD = ["bgp_local_pref = {n};", "bgp_med = {n};", "preference = {n};"]


def _sets(rnd: random.Random, ranked: bool, asn: int, bird: bool, inbound: bool = False) -> str:
    if ranked and inbound and rnd.random() < 0.5:  # the stuff of dispute wheels: prefer some neighbours
        return ("bgp_local_pref = {n};" if bird else "set local-preference {n}").format(n=rnd.choice([100, 200, 300]))
    pool = (_NEUTRAL_BIRD + _RANKED_BIRD if ranked else _NEUTRAL_BIRD) if bird else (
        _NEUTRAL_FRR + _RANKED_FRR if ranked else _NEUTRAL_FRR)
    return rnd.choice(pool).format(asn=asn, n=rnd.choice([50, 90, 100, 150, 200, 300]))


def generate(root: Path, seed: int) -> Path:
    """A small snapshot: 3-6 routers on fd10:9::/64, some sharing an AS (iBGP, one reflector)."""
    rnd = random.Random(seed)
    n = rnd.randint(3, 6)
    ranked = rnd.random() < 0.6  # else only neutral policies: the condition can hold
    asn = [rnd.choice([65001, 65002, 65003, 65004]) for _ in range(n)]
    bird = [rnd.random() < 0.3 for _ in range(n)]
    rr = {a: min(i for i in range(n) if asn[i] == a and not bird[i]) if any(
        asn[i] == a and not bird[i] for i in range(n)) else None for a in set(asn)}
    edges = {(i, j) for i in range(n) for j in range(i + 1, n) if rnd.random() < 0.7 and not (bird[i] and bird[j])}
    # iBGP only through the reflector of the AS (an FRR router), so that every path can get around
    edges = {(i, j) for i, j in edges if asn[i] != asn[j] or rr[asn[i]] in (i, j)}
    prefixes = [f"fd10:9:{k}::/64" for k in range(1, 4)]
    origins = {p: rnd.sample(range(n), rnd.choice([1, 1, 2])) for p in prefixes}
    hosts = []
    for i in range(n):
        me = f"r{i}"
        hosts.append(f'  {me}: {{interfaces: {{eth0: {{addresses: ["fd10:9::{i + 1}/64"], segment: lan}}}}}}')
        peers = sorted({j for e in edges for j in e if i in e and j != i})
        mine = [p for p in prefixes if i in origins[p]]
        if bird[i]:
            lines = [f"router id 10.9.0.{i + 1};", "protocol device { }", 'protocol direct { ipv6; interface "eth0"; }']
            if mine:
                lines.append("protocol static st { ipv6;")
                lines += [f"  route {p} blackhole;" for p in mine]
                lines.append("}")
            for j in peers:
                imp, exp = _sets(rnd, ranked, asn[i], True, True), _sets(rnd, ranked, asn[i], True)
                lines += [f"filter in_{j} {{ {imp} accept; }}",
                          f"filter out_{j} {{ if !(source = RTS_STATIC || source = RTS_BGP) then reject; {exp} accept; }}",
                          f"protocol bgp p{j} {{", f"  local fd10:9::{i + 1} as {asn[i]};",
                          f"  neighbor fd10:9::{j + 1} as {asn[j]};",
                          f"  ipv6 {{ import filter in_{j}; export filter out_{j}; }};", "}"]
            (root / "bird").mkdir(parents=True, exist_ok=True)
            (root / "bird" / f"{me}.conf").write_text("\n".join(lines) + "\n")
            continue
        lines = ["frr version 10.3", "frr defaults traditional", f"hostname {me}", "!"]
        lines += [f"ipv6 route {p} blackhole" for p in mine]
        lines += [f"router bgp {asn[i]}", f" bgp router-id 10.9.0.{i + 1}", " no bgp default ipv4-unicast",
                  " no bgp ebgp-requires-policy"]
        if rnd.random() < 0.3:
            lines.append(" bgp always-compare-med")
        if rnd.random() < 0.5:
            lines.append(" bgp bestpath compare-routerid")
        lines += [f" neighbor fd10:9::{j + 1} remote-as {asn[j]}" for j in peers]
        lines += [" address-family ipv6 unicast"] + [f"  network {p}" for p in mine]
        maps = []
        for j in peers:
            lines.append(f"  neighbor fd10:9::{j + 1} activate")
            if asn[j] == asn[i] and rr[asn[i]] == i:
                lines.append(f"  neighbor fd10:9::{j + 1} route-reflector-client")
            for d in ("in", "out"):
                if rnd.random() < 0.6:
                    name = f"RM_{d.upper()}_{j}"
                    lines.append(f"  neighbor fd10:9::{j + 1} route-map {name} {d}")
                    s = _sets(rnd, ranked, asn[i], False, d == "in")
                    maps += [f"route-map {name} permit 10"] + ([f" {s}"] if s else []) + ["exit"]
        lines += [" exit-address-family", "exit", "!"] + maps
        (root / "frr").mkdir(parents=True, exist_ok=True)
        (root / "frr" / f"{me}.conf").write_text("\n".join(lines) + "\n")
    (root / "podpath.yaml").write_text("hosts:\n" + "\n".join(hosts) + "\nsegments:\n  lan: {prefixes: [\"fd10:9::/64\"]}\n")
    return root


def _key(found: list) -> list:
    return [(str(t.prefix), t.kind, t.speakers, t.detail) for t in found]


@pytest.mark.parametrize("seed", range(40))
def test_pruned_equals_unpruned_on_generated_snapshots(tmp_path: Path, seed: int) -> None:
    snap = podpath.load(generate(tmp_path / "snap", seed))
    cp, res = snap.control_plane(), snap.simulate()
    skipped: list = []
    pruned = timing_dependent(cp, res, skipped=skipped)
    assert skipped == []  # small: the budget covers every candidate
    assert _key(pruned) == _key(timing_dependent(cp, res, prune=False, budget=None))
    if res.converged:
        unique, _ = unique_outcome(cp, res)
        # stronger than the rule needs: the whole control plane again, every prefix, in reverse order
        assert not unique & set(best_differences(res, cp.simulate(reverse=True)))


def test_generated_snapshots_exercise_both_sides(tmp_path: Path) -> None:
    """The generator makes prefixes the condition prunes (with several paths) and order-dependent ones."""
    pruned = order = 0
    for seed in range(40):
        snap = podpath.load(generate(tmp_path / str(seed), seed))
        cp, res = snap.control_plane(), snap.simulate()
        unique, _ = unique_outcome(cp, res)
        pruned += len(unique & multi_path_prefixes(res))
        order += sum(t.kind == "order" for t in timing_dependent(cp, res, prune=False, budget=None))
    assert pruned > 10 and order > 0


@pytest.mark.parametrize("fixture", ["two-stable-outcomes", "frr-oldest-path-tie", "bird-reflector-originator"])
def test_fixtures_pruned_equals_unpruned(fixture: str) -> None:
    snap = podpath.load(DATA / fixture)
    cp, res = snap.control_plane(), snap.simulate()
    assert _key(timing_dependent(cp, res)) == _key(timing_dependent(cp, res, prune=False, budget=None))


def test_local_pref_set_by_policy_is_not_pruned() -> None:
    """two-stable-outcomes: local-pref and MED set by route-maps and filters: every prefix is re-run."""
    snap = podpath.load(DATA / "two-stable-outcomes")
    unique, why = unique_outcome(snap.control_plane(), snap.simulate())
    assert unique == set() and "can set what BGP ranks paths by" in why[next(iter(why))]


def test_the_budget_leaves_out_prefixes_and_says_which(tmp_path: Path) -> None:
    snap = podpath.load(DATA / "two-stable-outcomes")
    cp, res = snap.control_plane(), snap.simulate()
    left: list = []
    found = timing_dependent(cp, res, skipped=left, budget=0)
    assert [t.kind for t in found] == [] and len(left) == 1
    assert "fd10:4:20::/64" in {str(p) for p in left[0].prefixes} and left[0].main_steps == res.steps
    # a budget for some: the first candidates in prefix order are run, the others left out
    per = res.steps / len({o.route.prefix for sp in res.speakers.values() for o in sp.originations})
    left.clear()
    timing_dependent(cp, res, skipped=left, budget=int(2 * per) + 1)
    assert len(left) == 1 and len(left[0].prefixes) == len(multi_path_prefixes(res)) - 2


def _load_benchmark(name: str):  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[2] / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


@pytest.mark.parametrize("design, prefer", [("tor-rr", False), ("tor-rr", True), ("bird-tor", False), ("flat", False),
                                            ("flat", True)])
def test_scale_designs_are_pruned_and_agree_with_the_full_reverse_run(tmp_path: Path, design: str, prefer: bool) -> None:
    """The benchmark designs, small: Cilium -> FRR ToRs -> reflectors, Cilium -> FRR ToRs -> spines with
    BIRD, and Cilium -> BIRD on every node (over loopback: BIRD takes the next hop as unreachable, the
    one-speaker case) -> FRR route servers. Healthy, every prefix is shown to have one outcome; with a
    ToR or node preferring one neighbour by local-pref, the second run is back, and agrees."""
    if design == "flat":
        root = _load_benchmark("snapshot_scale").write_snapshot(6, tmp_path)
    else:
        root = _load_benchmark("scenarios").write(tmp_path / "s", 45, design)
    if prefer:
        if design == "flat":
            conf = root / "bird" / "node1.conf"
            text = conf.read_text()
            assert "if bgp_path.len > 6 then reject;" in text
            conf.write_text(text.replace("if bgp_path.len > 6 then reject;",
                                         "if bgp_path.len > 6 then reject; bgp_local_pref = 250;", 1))
        else:
            conf = root / "frr" / "tor1.conf"
            conf.write_text(conf.read_text().replace(" match large-community LC_K8S\n",
                                                     " match large-community LC_K8S\n set local-preference 250\n", 1))
    snap = podpath.load(root)
    cp, res = snap.control_plane(), snap.simulate()
    unique, why = unique_outcome(cp, res)
    multi = multi_path_prefixes(res)
    assert multi
    if prefer:
        assert multi - unique and any("can set what BGP ranks paths by" in w for w in why.values())
    else:
        assert multi <= unique, sorted(why.items(), key=str)[:3]
    assert _key(timing_dependent(cp, res)) == _key(timing_dependent(cp, res, prune=False, budget=None))
    assert not unique & set(best_differences(res, cp.simulate(reverse=True)))
