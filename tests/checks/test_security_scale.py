"""SEC001/SEC002 grouped per receiving router and family, and SEC001's fix as a patch of the router's file
whose text report stays short at any cluster size (checks/security.py, cli._print_diff)."""

from __future__ import annotations

import ipaddress
import json
import types
from pathlib import Path

from typer.testing import CliRunner

import podpath
from podpath.checks.security import _block_end, _PodRegions, _supernets
from podpath.cli import app
from podpath.routing.symbolic import Space
from podpath.whatif import apply_patch

EX = Path(__file__).resolve().parents[2] / "examples" / "seed004-bgp-pod-cidr" / "complete"


def _two_groups() -> tuple[podpath.Snapshot, dict[str, str]]:
    """pve01 receives its two nodes on two listen ranges (one peer group each), with the same route-map."""
    text = podpath.load(EX).texts["frr/pve01.conf"]
    split = text.replace(" bgp listen range fd00:101::/64 peer-group VMS\n",
                         " neighbor RACK2 peer-group\n neighbor RACK2 remote-as external\n"
                         " bgp listen range fd00:101::10/124 peer-group VMS\n"
                         " bgp listen range fd00:101::20/124 peer-group RACK2\n"
                         ).replace("  neighbor VMS route-map RM_VMS_OUT_V6 out\n",
                                   "  neighbor VMS route-map RM_VMS_OUT_V6 out\n  neighbor RACK2 activate\n"
                                   "  neighbor RACK2 route-map RM_VMS_IN_V6 in\n"
                                   "  neighbor RACK2 route-map RM_VMS_OUT_V6 out\n")
    assert split != text
    overlay = {"frr/pve01.conf": split}
    return podpath.load(EX, overlay=overlay), overlay


def test_one_finding_per_router_and_family_with_every_receiving_peer_group_as_a_location() -> None:
    snap, _ = _two_groups()
    text = snap.texts["frr/pve01.conf"].splitlines()
    found = [f for f in snap.check(["SEC001"]).findings if f.subject.startswith("pve01")]
    assert [f.subject for f in found] == ["pve01/frr@vrf_evpnz1:ipv6"]
    f = found[0]
    assert "through route-map RM_VMS_IN_V6 (2 receiving peers: RACK2 (listen range" in f.message
    assert {text[loc.line - 1].strip() for loc in f.locations} >= {
        "bgp listen range fd00:101::10/124 peer-group VMS", "bgp listen range fd00:101::20/124 peer-group RACK2",
        "neighbor VMS route-map RM_VMS_IN_V6 in", "neighbor RACK2 route-map RM_VMS_IN_V6 in"}
    # each node stays in its own group: the group's remote-as and outbound policy still apply to it
    assert "+ neighbor fd00:101::11 peer-group VMS\n" in f.fix.diff
    assert "+ neighbor fd00:101::21 peer-group RACK2\n" in f.fix.diff
    sec002 = [x.subject for x in snap.check(["SEC002"]).findings if x.subject.startswith("pve01")]
    assert sec002 == ["pve01/frr@vrf_evpnz1:ipv4", "pve01/frr@vrf_evpnz1:ipv6"]


def test_the_patch_binds_both_groups_and_removes_the_hijack() -> None:
    snap, overlay = _two_groups()
    fix = next(f for f in snap.check(["SEC001"]).findings if f.subject.startswith("pve01")).fix
    fixed = podpath.load(EX, overlay={**overlay, **apply_patch(snap, fix.diff, "fix.diff", overlay)})
    assert not fixed.diagnostics
    assert [f.subject for f in fixed.check(["SEC001"]).findings if f.subject.startswith("pve01")] == []
    assert sorted((tuple(sorted(str(e.local_address) for e in (x.a, x.b) if e)), x.up)
                  for x in fixed.simulate().sessions) == \
        sorted((tuple(sorted(str(e.local_address) for e in (x.a, x.b) if e)), x.up) for x in snap.simulate().sessions)


def test_the_patch_goes_after_the_router_block() -> None:
    frr = ("router bgp 1\n neighbor X peer-group\n !\n address-family ipv6 unicast\n exit-address-family\nexit\n"
           "!\nline vty\n")
    assert _block_end(frr, 1) == 7  # after `exit`
    assert _block_end(frr.replace("exit\n!\n", ""), 1) == 6  # indented, no `exit`: before the next top-level line
    assert _block_end("router bgp 1\n neighbor X peer-group\n", 1) == 3  # the block ends the file
    assert _block_end("router bgp 1\nneighbor X peer-group\n", 1) is None  # not indented: where it ends is unknown


def test_the_text_report_shows_the_patch_size_and_first_lines_json_the_whole_patch() -> None:
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    text = CliRunner().invoke(app, ["check", str(EX), "--fail-on", "never", "--rule", "SEC001"], env=env).output
    doc = json.loads(CliRunner().invoke(app, ["check", str(EX), "--fail-on", "never", "--rule", "SEC001",
                                              "--format", "json"], env=env).output)
    fix = next(f for f in doc["findings"] if f["id"] == "SEC001:pve01/frr@vrf_evpnz1:ipv6")["fix"]
    diff = fix["diff"].splitlines()
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    assert len(diff) > 40 and added[-1] == "+!"  # the whole patch, down to its last line
    assert f"patch: {len(diff)} lines ({len(added)} added, 0 removed, 1 file(s)); the first 30:" in text
    assert diff[29] in text and added[-2][1:] not in text  # the 30th line is shown, the end of the patch is not
    assert "fix.diff in `podpath check --format json` (finding SEC001:pve01/frr@vrf_evpnz1:ipv6)" in text


class _Cidr:
    def __init__(self, text: str) -> None:
        self.value = ipaddress.ip_network(text)


class _Node:
    def __init__(self, name: str, *cidrs: str) -> None:
        self.name, self._cidrs = name, [_Cidr(c) for c in cidrs]

    def pod_cidrs_of(self, fam: int) -> list[_Cidr]:
        return [c for c in self._cidrs if c.value.version == fam]


def test_pod_regions_equal_one_prefix_at_a_time() -> None:
    """The trie-built regions (Space.prefix_paths) are the BDDs the per-prefix construction gave: every
    covering prefix of a node's CIDR, and a sender's own covering prefixes down to the first that holds
    another node's CIDR; nested CIDRs, a node with two CIDRs, neighbours sharing a /23, both families."""
    nodes = [_Node("a", "10.64.0.0/24", "10.64.9.0/24", "fd00:224::/64"),
             _Node("b", "10.64.1.0/24", "fd00:224:1::/64"), _Node("c", "10.64.0.0/16", "fd00:225::/48"),
             _Node("d", "10.200.0.0/26", "fd00:224:0:1::/64")]
    cluster = types.SimpleNamespace(nodes={n.name: n for n in nodes})
    for fam in (4, 6):
        sp = Space(fam)
        cidrs = [c.value for n in nodes for c in n.pod_cidrs_of(fam)]
        regions = _PodRegions(cluster, fam, cidrs)
        inside, cover = regions.base(sp)
        want_inside = sp.false
        for r in cidrs:
            want_inside = want_inside | sp.prefix_within(r)
        want_cover = sp.false
        for a, plen in _supernets(cidrs):
            net = (ipaddress.IPv4Network if fam == 4 else ipaddress.IPv6Network)((a, plen))
            want_cover = want_cover | sp.prefix_is(net)
        assert inside == want_inside and cover == want_cover & ~want_inside
        for n in nodes:
            want = sp.false
            for o in (c.value for c in n.pod_cidrs_of(fam)):
                want = want | sp.prefix_within(o)
                for plen in range(o.prefixlen - 1, 0, -1):
                    s = o.supernet(new_prefix=plen)
                    if any(m.name != n.name and c.value.subnet_of(s) for m in nodes for c in m.pod_cidrs_of(fam)):
                        break
                    want = want | sp.prefix_is(s)
            assert regions.mine(sp, n.name) == want, (fam, n.name)


def test_sarif_carries_the_patch_as_a_fix() -> None:
    out = CliRunner().invoke(app, ["check", str(EX), "--fail-on", "never", "--rule", "SEC001", "--format", "sarif"],
                             env={"COLUMNS": "200"}).output
    res = [r for r in json.loads(out)["runs"][0]["results"] if r["properties"]["id"].startswith("SEC001:pve01/")]
    change = res[0]["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"].endswith("frr/pve01.conf")
    assert "route-map RM_IN_SOLCP01_V6 permit 10\n" in change["replacements"][0]["insertedContent"]["text"]
