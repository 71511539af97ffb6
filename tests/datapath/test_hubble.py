"""`hubble observe` output as evidence: reading both forms, the aggregation filter, reconciliation."""

from __future__ import annotations

import json

from dpsnap import allow_from_pods_only, build, two_pods
from podpath.datapath import hubble as hb
from podpath.datapath.trace import trace
from podpath.diagnostics import Diagnostics
from podpath.readers.hubble import looks_like_hubble, parse_hubble

TEXT = """\
# hubble observe --pod default/client
Nov 20 09:12:44.101 [n1]: default/client:47972 (ID:1234) -> default/web:8080 (ID:5678) policy-verdict:none EGRESS ALLOWED (TCP Flags: SYN)
client:47972 -> web:8080 to-network FORWARDED (TCP Flags: SYN)
[fd00:10::11]:47972 (remote-node) -> default/web:8080 (ID:5678) Policy denied DROPPED (TCP Flags: SYN)
default/web:8080 <- default/client:47972 to-endpoint FORWARDED (TCP Flags: SYN, ACK)
this line is not a flow
"""


def _flow(**kw):
    f = {"verdict": "FORWARDED", "IP": {"source": "10.244.1.10", "destination": "10.244.2.20", "ipVersion": "IPv4"},
         "l4": {"TCP": {"source_port": 40000, "destination_port": 8080, "flags": {"SYN": True}}},
         "source": {"namespace": "default", "pod_name": "client", "identity": 1234},
         "destination": {"namespace": "default", "pod_name": "web", "identity": 5678},
         "event_type": {"type": 4}, "trace_observation_point": "TO_NETWORK", "node_name": "n1"}
    f.update(kw)
    return json.dumps({"flow": f, "node_name": f["node_name"]})


def test_text_form_with_and_without_prefixes():
    d = Diagnostics()
    hf = parse_hubble(TEXT, "obs.txt", d)
    assert [(f.event, f.verdict) for f in hf.flows] == [("policy-verdict", "ALLOWED"), ("to-network", "FORWARDED"),
                                                         ("drop", "DROPPED"), ("to-endpoint", "FORWARDED")]
    a, b, c, r = hf.flows
    assert a.node == "n1" and a.direction == "EGRESS" and a.src.name == "default/client" and a.src.identity == "1234"
    assert b.src.name == "client" and b.dst.port == 8080 and b.flags == "SYN" and b.node is None
    assert str(c.src.ip) == "fd00:10::11" and c.src.identity == "remote-node" and c.drop_reason == "Policy denied"
    assert r.is_reply is True
    [w] = list(d)
    assert w.loc.line == 6 and "not a hubble flow" in w.message  # reported, not skipped silently


def test_json_form():
    text = "\n".join([_flow(), _flow(verdict="DROPPED", drop_reason_desc="POLICY_DENIED", event_type={"type": 1},
                                     trace_observation_point=None, node_name="n2",
                                     IP={"source": "fd00:10::11", "destination": "fd00:10:244:2::20",
                                         "source_xlated": None}, source={"identity": 6, "labels": ["reserved:remote-node"]})])
    assert looks_like_hubble(text)
    hf = parse_hubble(text, "obs.json", Diagnostics())
    a, b = hf.flows
    assert (a.event, a.node, a.src.name, a.dst.port) == ("to-network", "n1", "default/client", 8080)
    assert (b.event, b.drop_reason, b.src.identity, b.node) == ("drop", "Policy denied", "remote-node", "n2")
    assert hf.form == "json"


def test_other_text_is_not_hubble():
    assert not looks_like_hubble("apiVersion: v1\nkind: Pod\n")
    assert not looks_like_hubble("default via 10.0.0.1 dev eth0\n")


def test_aggregation_levels():
    e = [hb.Event("n1", "from-network", "FORWARDED", "a", "b"), hb.Event("n1", "to-network", "FORWARDED", "a", "b",
                                                                         ct_info=False),
         hb.Event("n1", "drop", "DROPPED", "a", "b")]
    assert [x.suppressed is None for x in hb.apply_filter(e, "none", 0)] == [True, True, True]
    assert [x.suppressed is None for x in hb.apply_filter(e, "low", 2)] == [False, True, True]
    assert [x.suppressed is None for x in hb.apply_filter(e, "medium", 3)] == [False, False, True]


def test_snapshot_reads_observations_and_the_trace_reconciles_them(tmp_path):
    obs = ("client:47972 -> web:8080 to-network FORWARDED (TCP Flags: SYN)\n"
           "client:47972 -> web:8080 Policy denied DROPPED (TCP Flags: SYN)\n")
    snap = build(tmp_path, {"ipv6NativeRoutingCIDR": "fd00:10::/64"}, two_pods([allow_from_pods_only()]),
                 extra_files={"hosts/n1/hubble.txt": obs, "hosts/n2/flows.txt": obs.splitlines()[0] + "\n"})
    kinds = {f.path: (f.kind, f.host) for f in snap.files}
    assert kinds["hosts/n1/hubble.txt"] == ("hubble-flows", "n1")
    res = trace(snap, "default/client", "default/web", 8080, family=6)
    got = {(o.observation.loc.file, o.observation.loc.line): o.status for o in res.observations}
    assert got == {("hosts/n1/hubble.txt", 1): "explained",  # to-network with pod addresses on n1
                   ("hosts/n1/hubble.txt", 2): "contradicts",  # the model drops on n2, not on n1
                   ("hosts/n2/flows.txt", 1): "contradicts"}  # n2 forwards nothing: it denies
    # n2's predicted verdict and drop are not observed: the source there is n1's address, not the pod
    missing = [(e.event, why) for e, why in res.unobserved if e.node == "n2"]
    assert [m[0] for m in missing] == ["policy-verdict", "drop"]
    assert all("fd00:10::11" in why for _, why in missing)
