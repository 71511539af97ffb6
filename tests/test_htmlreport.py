"""`podpath report`: one self-contained HTML file whose SVG draws every host and every BGP session in the
colour of its state, marks where pod routes are lost, escapes whatever the snapshot names, leaks no secret
and is the same bytes for the same snapshot."""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from podpath import htmlreport
from podpath.cli import app
from reportsnap import FIXTURE, SEED004, report_of, write

HOSTILE = '<img src=x onerror=alert(1)>&"'


class Svg(HTMLParser):
    """The elements of the report: each (tag, attributes, text of its <title>), and every element's tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.titles: dict[int, str] = {}
        self.text: list[str] = []
        self.scripts = 0
        self._in_title: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "script":
            self.scripts += 1
        if tag == "title" and self.stack:
            self._in_title = id(self.stack[-1][1])
        if tag not in ("rect", "line", "meta", "br", "img", "input", "link"):
            self.stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = None
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title is not None:
            self.titles[self._in_title] = self.titles.get(self._in_title, "") + data

    def of(self, tag: str, cls: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and cls in a.get("class", "").split()]

    def title(self, attrs: dict[str, str]) -> str:
        return self.titles.get(id(attrs), "")


def parse(html: str) -> Svg:
    p = Svg()
    p.feed(html)
    p.close()
    return p


@pytest.fixture(scope="module")
def seed004() -> tuple[Any, str]:
    return report_of(SEED004)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    return report_of(write(tmp_path_factory.mktemp("small"), FIXTURE))


def _sessions(p: Svg) -> list[dict[str, str]]:
    return p.of("path", "session") + p.of("circle", "session")


def test_seed004_one_element_per_host_and_per_session(seed004: tuple[Any, str]) -> None:
    snap, html = seed004
    p = parse(html)
    hosts = p.of("g", "host")
    assert sorted(h["data-name"] for h in hosts) == sorted(set(snap.cluster.hosts) | set(snap.cluster.nodes))
    assert {h["data-name"] for h in p.of("g", "router")} == {"pve01", "pve02", "pve03"}
    drawn = _sessions(p)
    sessions = snap.simulate().sessions
    assert len(drawn) == len(sessions) == 18
    assert sorted(d["data-ids"] for d in drawn) == sorted(s.id for s in sessions)
    for d in drawn:  # all established in seed 004: green, by class and by colour
        assert d["data-state"] == "established" and "established" in d["class"].split()
        assert (d.get("stroke") or d.get("fill")) == htmlreport.STATE_COLOUR["established"]
    assert len(p.of("path", "session")) == 12 and len(p.of("circle", "self")) == 6  # Cilium-BIRD on ::1
    bands = [a["data-name"] for t, a in p.elements if t == "g" and a.get("class") == "band"]
    assert sorted(bands) == sorted(snap.cluster.segments)


def test_seed004_marks_where_the_pod_routes_are_lost(seed004: tuple[Any, str]) -> None:
    """BGP002: each hypervisor's import route-map rejects the pod CIDRs of its own VMs (deny 999)."""
    _, html = seed004
    p = parse(html)
    lost = {h["data-name"]: p.title(h) for h in p.of("g", "host") if "pod route(s) lost here" in p.title(h)}
    assert set(lost) == {"pve01", "pve02", "pve03"}
    assert "route-map RM_VMS_IN_V6 deny 999" in lost["pve02"] and "fd00:101:224:1::/64 (solcp02)" in lost["pve02"]
    assert html.count('class="dst-lost"') == 6  # every node's pod CIDR is unreachable from the others
    rows = re.findall(r"<tr><td>IPv6</td><td class=\"mono\">([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", html)
    assert sorted(rows)[0] == ("fd00:101:224:1::/64", "solcp02", "pve02/frr@vrf_evpnz1")
    assert len(rows) == 6
    assert "frr/pve02.conf:77" in html


def test_down_and_unknown_sessions_are_drawn_in_their_colours(small: tuple[Any, str]) -> None:
    snap, html = small
    p = parse(html)
    states = {s.id: s.state for s in snap.simulate().sessions}
    assert sorted(states.values()) == ["down", "established", "unknown"]
    drawn = _sessions(p)
    assert len(drawn) == 3
    for d in drawn:
        state = states[d["data-ids"]]
        assert d["data-state"] == state and state in d["class"].split()
        assert d["stroke"] == htmlreport.STATE_COLOUR[state]
    down = next(d for d in drawn if d["data-state"] == "down")
    assert "AS mismatch" in p.title(down)
    assert {h["data-name"] for h in p.of("g", "node")} == {"n1", "n2"}
    assert {h["data-name"] for h in p.of("g", "router")} == {"tor", "spine"}
    # the legend counts each state that occurs, in its colour
    swatches = {a["class"].split()[1]: a["fill"] for a in p.of("rect", "swatch")}
    assert swatches == {s: htmlreport.STATE_COLOUR[s] for s in ("established", "down", "unknown")}
    # the findings, NOT CHECKED and the summary are in the file
    assert "BGP001" in html and "NOT CHECKED (" in html and "Summary:" in html
    assert "frr/tor.conf:16" in html  # the finding's file:line


def test_self_contained_no_script_no_network(seed004: tuple[Any, str], small: tuple[Any, str]) -> None:
    for _, html in (seed004, small):
        p = parse(html)
        assert p.scripts == 0
        for tag, a in p.elements:
            for k in ("src", "href"):
                assert not a.get(k) or a[k].startswith("#"), (tag, a)
        assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
        assert "@import" not in html and "url(" not in html


def test_the_same_snapshot_gives_the_same_bytes(tmp_path: Path) -> None:
    root = write(tmp_path / "s", FIXTURE)
    runner = CliRunner()
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}.html"
        res = runner.invoke(app, ["report", str(root), "-o", str(out)])
        assert res.exit_code == 0, res.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert b"<svg" in outs[0]


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    """A node named like markup, a segment named <b>rack</b>: text in the page, never elements."""
    files = dict(FIXTURE)
    files["podpath.yaml"] = files["podpath.yaml"].replace("rack", "'<b>rack</b>'")
    root = write(tmp_path / "s", files, node1=HOSTILE)
    snap, html = report_of(root)
    assert HOSTILE in snap.cluster.nodes
    p = parse(html)
    assert not [a for t, a in p.elements if t in ("img", "b", "script")]
    assert HOSTILE in {h["data-name"] for h in p.of("g", "host")}  # as an attribute value, unescaped by the parser
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;&#34;" in html
    assert "&lt;b&gt;rack&lt;/b&gt;" in html and "<b>rack</b>" in snap.cluster.segments


def test_secrets_never_reach_the_report(tmp_path: Path) -> None:
    from secrets_snapshot import leaked, write_snapshot

    root = write_snapshot(tmp_path / "s")
    _, html = report_of(root)
    assert leaked(html) == []


def test_alike_nodes_are_drawn_as_one_box_with_a_count(tmp_path: Path) -> None:
    """Above MAX_NODES nodes: one box per kind of node (same segments, sessions, losses), with a count; every
    node and session is still counted."""
    n = htmlreport.MAX_NODES + 10
    nodes = "\n".join(f"""
        - apiVersion: v1
          kind: Node
          metadata: {{name: w{i}}}
          spec: {{podCIDRs: [10.244.{i}.0/24]}}
          status: {{addresses: [{{type: InternalIP, address: 10.0.0.{20 + i}}}]}}""" for i in range(n))
    hosts = "\n".join(f"  w{i}: {{interfaces: {{eth0: {{addresses: [10.0.0.{20 + i}/24], segment: rack}}}}}}"
                      for i in range(n))
    neighbors = "\n".join(f" neighbor 10.0.0.{20 + i} remote-as {65100 + i}" for i in range(n))
    files = {"podpath.yaml": "versions: {frr: 8.4.4, bird: 2.0.12}\nhosts:\n  tor:\n    role: router\n"
                             "    interfaces: {eth0: {addresses: [10.0.0.1/24], segment: rack}}\n" + hosts
                             + "\nsegments:\n  rack: {prefixes: [10.0.0.0/24]}\n",
             "frr/tor.conf": "frr version 8.4.4\nhostname tor\ninterface eth0\n ip address 10.0.0.1/24\n!\n"
                             "router bgp 65000\n bgp router-id 10.0.0.1\n no bgp ebgp-requires-policy\n"
                             + neighbors + "\nexit\n!\n",
             "kubernetes/nodes.yaml": "apiVersion: v1\nkind: List\nitems:" + textwrap.dedent(nodes) + "\n"}
    for i in range(n):
        asn = 65100 + i if i % 2 == 0 else 64000 + i  # odd nodes: a wrong AS, so two kinds of node
        files[f"bird/w{i}.conf"] = (f"router id 10.0.0.{20 + i};\nprotocol device {{ }}\n"
                                    f"protocol static pods {{ ipv4; route 10.244.{i}.0/24 blackhole; }}\n"
                                    f"protocol kernel {{ ipv4 {{ export where proto = \"tor\"; }}; }}\n"
                                    f"protocol bgp tor {{\n  local 10.0.0.{20 + i} as {asn};\n"
                                    f"  neighbor 10.0.0.1 as 65000;\n  ipv4 {{ import all; export where proto = \"pods\"; }};\n}}\n")
    root = tmp_path / "s"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    snap, html = report_of(root)
    p = parse(html)
    groups = p.of("g", "node")
    assert len(groups) == 2 and sum(int(g["data-count"]) for g in groups) == n
    drawn = p.of("path", "session")
    assert sorted(d["data-state"] for d in drawn) == ["down", "established"]
    by_state = {d["data-state"]: int(d["data-count"]) for d in drawn}
    states = [s.state for s in snap.simulate().sessions]
    assert by_state == {"established": states.count("established"), "down": states.count("down")}
    assert by_state["down"] == n // 2


def test_cli_writes_the_file_and_refuses_an_unusable_snapshot(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["report", str(tmp_path / "missing"), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2 and not (tmp_path / "r.html").exists()
    root = write(tmp_path / "s", FIXTURE)
    res = runner.invoke(app, ["report", str(root), "-o", str(tmp_path / "no-such-dir" / "r.html")])
    assert res.exit_code == 2 and "cannot write the report" in res.output
    res = runner.invoke(app, ["report", str(root), "-o", "-", "--no-repair"])
    assert res.exit_code == 0 and res.output.startswith("<!DOCTYPE html>")
