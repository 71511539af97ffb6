"""`explain` with a host address (a pod IP): the covering routes are explained, as a user means it."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys

from podpath.routing.explain import covering_prefixes, explain_address
from snaputil import NATIVE_VALUES, three_nodes

# Three nodes on one L2 segment with autoDirectNodeRoutes (each routes the others' pod CIDRs via
# their node IPs), and a router r1 on the same segment whose route dump holds only an aggregate of
# the pod CIDRs towards n1.
MANIFEST = """
hosts:
  r1: {interfaces: {eth0: {addresses: ["fd00:10::1/64", "10.0.0.1/24"], segment: lan}}, files: [r1-routes.txt]}
segments:
  lan: {prefixes: ["fd00:10::/64", "10.0.0.0/24"]}
"""
R1_ROUTES = """
fd00:10::/64 dev eth0 proto kernel metric 256 pref medium
fd00:10:244::/48 via fd00:10::11 dev eth0 proto static metric 1024 pref medium
"""


def _snap(make_snapshot):  # type: ignore[no-untyped-def]
    return make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes(), "podpath.yaml": MANIFEST,
                          "r1-routes.txt": R1_ROUTES})


def test_pod_ip_is_explained_through_its_pod_cidr_and_each_hosts_longest_match(make_snapshot):  # type: ignore[no-untyped-def]
    snap = _snap(make_snapshot)
    pod_ip = ipaddress.ip_network("fd00:10:244:2::5")
    cov = covering_prefixes(snap, pod_ip)
    assert [(str(c.prefix), c.owner) for c in cov] == [("fd00:10:244:2::/64", "n2"), ("fd00:10:244::/48", "n2")]
    assert cov[0].why == "fd00:10:244:2::5 is inside pod CIDR fd00:10:244:2::/64 of node n2"
    assert cov[0].hosts == ["n1", "n2", "n3"] and cov[1].hosts == ["r1"]
    covering, exs = explain_address(snap, pod_ip, at="n1")
    assert list(exs) == [c.prefix for c in covering]
    first = exs[covering[0].prefix]
    assert first.owner == "n2"
    assert first.trace is not None and first.trace.delivered  # to the address itself, via n2's node IP
    # from r1 the aggregate leads to n1, which routes it on to n2
    _, exs = explain_address(snap, pod_ip, at="r1")
    assert exs[covering[0].prefix].trace.delivered


def test_ipv4_pod_ip_and_a_prefix_are_taken_as_given(make_snapshot):  # type: ignore[no-untyped-def]
    snap = _snap(make_snapshot)
    cov = covering_prefixes(snap, ipaddress.ip_network("10.244.3.7/32"))
    assert [(str(c.prefix), c.owner) for c in cov][:1] == [("10.244.3.0/24", "n3")]
    assert covering_prefixes(snap, ipaddress.ip_network("fd00:10:244:2::/64")) == []  # a prefix: as it is
    assert covering_prefixes(snap, ipaddress.ip_network("fd00:99::5")) == []  # nothing covers it


def test_cli_explain_pod_ip(make_snapshot):  # type: ignore[no-untyped-def]
    snap = _snap(make_snapshot)
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "explain", str(snap.root), "fd00:10:244:2::5", "--at", "n1"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "fd00:10:244:2::5 is inside pod CIDR fd00:10:244:2::/64 of node n2; explaining fd00:10:244:2::/64" in r.stdout
    assert "the longest match for fd00:10:244:2::5 at r1; explaining fd00:10:244::/48" in r.stdout
    assert "no BGP speaker originates it" in r.stdout  # no routing daemon here: kernel routes only
    assert "Packet from n1 to fd00:10:244:2::5: delivered" in r.stdout
    r = subprocess.run([sys.executable, "-m", "podpath.cli", "explain", str(snap.root), "fd00:10:244:2::5/128", "-f", "json"],
                       capture_output=True, text=True)
    doc = json.loads(r.stdout)
    assert doc["query"] == "fd00:10:244:2::5/128" and doc["prefix"] == "fd00:10:244:2::/64"
    assert [c["prefix"] for c in doc["covering"]] == ["fd00:10:244:2::/64", "fd00:10:244::/48"]
    assert [e["prefix"] for e in doc["explanations"]] == ["fd00:10:244:2::/64", "fd00:10:244::/48"]


def test_pod_ip_in_the_bgp_example_names_its_pod_cidr_and_where_it_is_lost():
    """Seed 004 (BIRD nodes, FRR hypervisors): a pod IP is explained through its node's pod CIDR, with
    the policy decisions of BGP, and the packet is traced to the address itself."""
    import podpath
    from pathlib import Path

    snap = podpath.load(Path(__file__).resolve().parents[2] / "examples" / "seed004-bgp-pod-cidr" / "before-fix")
    covering, exs = explain_address(snap, ipaddress.ip_network("fd00:101:224:3::5"), at="solwk01")
    assert covering[0].why == "fd00:101:224:3::5 is inside pod CIDR fd00:101:224:3::/64 of node solwk02"
    ex = exs[covering[0].prefix]
    assert any(d.stage == "originate" and d.speaker.startswith("solwk02/") for d in ex.steps)
    assert ex.trace is not None and not ex.trace.delivered and "fd00:101:224:3::5" in ex.trace.cause
