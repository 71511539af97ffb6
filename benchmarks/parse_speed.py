"""Parser throughput and memory for FRR and BIRD configs of 10k, 100k and 1M lines.

    python benchmarks/parse_speed.py [10000 100000 1000000]

Configs are generated: FRR with prefix-lists, route-maps, neighbors and peer-groups; BIRD with
protocols, channels, filters with if/case and sets. Both must load without an error (the run stops
otherwise: a rejected config would measure error recovery; BIRD 2.0 `bird -p` accepts the BIRD one). Peak memory is measured per parse with
tracemalloc in a separate run (it slows parsing, so the speed run is untraced). Lines/s are given by
wall clock and by the process's CPU time (less sensitive to other jobs on the machine)."""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc

from podpath.diagnostics import Diagnostics
from podpath.readers.bird import parse_bird
from podpath.readers.frr import parse_frr
from podpath.util import paused_gc


def frr_config(lines: int) -> str:
    out = ["frr version 10.3", "frr defaults traditional", "hostname bench", "!"]
    i = 0
    while len(out) < lines:
        out += [f"ipv6 prefix-list PL{i} seq 5 permit fd00:{i % 65536:x}::/48 le 64",
                f"ipv6 prefix-list PL{i} seq 10 deny any",
                f"bgp large-community-list standard LC{i} seq 5 permit 65000:{i}:1",
                f"route-map RM{i} permit 10", f" match ipv6 address prefix-list PL{i}",
                f" match large-community LC{i}", " set local-preference 200", " set large-community 65000:0:1 additive",
                "exit", f"route-map RM{i} deny 20", "exit", "!"]
        i += 1
    out += ["router bgp 65000", " bgp router-id 10.0.0.1", " neighbor PG peer-group", " neighbor PG remote-as external"]
    for j in range(min(i, 2000)):
        out.append(f" neighbor fd00::{j + 1:x} peer-group PG")
    out += [" address-family ipv6 unicast", "  neighbor PG activate", "  neighbor PG route-map RM0 in",
            " exit-address-family", "exit"]
    return "\n".join(out[:lines]) + "\n"


def bird_config(lines: int) -> str:
    out = ["router id 10.0.0.1;", "define PODS = fd00:224::/48;", "protocol device { scan time 10; }"]
    i = 0
    while len(out) < lines:
        out += [f"filter f{i} {{", f"  if net ~ [ fd00:{i % 65536:x}::/32{{48,64}}, fd00:224::/48+ ] then {{",
                f"    if net ~ PODS then bgp_community.add((65000, {i % 65536}));",
                f"    bgp_large_community.add((65000, {i}, 1));", "    accept;", "  }",
                "  case net.len {", "    48: reject;", "    64: accept;", "    else: reject;", "  }", "}",
                f"protocol bgp p{i} {{", "  local as 65000;", f"  neighbor fd00::{i % 65535 + 1:x} as 65001;",
                f"  ipv6 {{ import filter f{i}; export none; }};", "}"]
        i += 1
    return "\n".join(out) + "\n"


def measure(name: str, parse, text: str) -> str:
    n = text.count("\n")
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    diags = Diagnostics()
    with paused_gc():  # as podpath.load() does
        parse(text, "bench.conf", diags)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    errors = [d for d in diags if d.level.value == "error"]
    if errors:  # a config the reader rejects measures error recovery, not parsing
        raise SystemExit(f"{name.strip()}: the generated config has errors: {errors[0].render()}")
    gc.collect()
    tracemalloc.start()
    parse(text, "bench.conf", Diagnostics())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (f"{name}: {n} lines in {dt:.2f} s = {n / dt:,.0f} lines/s (CPU {cpu:.2f} s = {n / cpu:,.0f} lines/s), "
            f"peak {peak / 2**20:.1f} MiB ({peak / n:.0f} B/line)")


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["10000", "100000"]:
        size = int(arg)
        print(measure("FRR ", parse_frr, frr_config(size)), flush=True)
        print(measure("BIRD", parse_bird, bird_config(size)), flush=True)
