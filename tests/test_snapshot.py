"""Loader behaviour on bad input: every problem reported with file:line:col, the rest still read."""

import podpath
from snaputil import NATIVE_VALUES, three_nodes


def test_missing_path(tmp_path):
    snap = podpath.load(tmp_path / "nope")
    [e] = snap.diagnostics.errors
    assert "does not exist" in e.message and not snap.usable


def test_malformed_yaml_is_reported_and_rest_still_read(make_snapshot):
    snap = make_snapshot({"values.yaml": NATIVE_VALUES, "nodes.yaml": three_nodes(), "broken.yaml": "a: [1, 2\nb: c\n"})
    [e] = snap.diagnostics.errors
    assert e.loc.file == "broken.yaml" and e.loc.line >= 1 and e.loc.col >= 1
    assert "invalid YAML" in e.message
    assert len(snap.cluster.nodes) == 3 and snap.cilium.native_routing


def test_unknown_file_kind_is_a_note(make_snapshot):
    """A file podpath does not read is listed as not recognised, with a note: not bad input."""
    snap = make_snapshot({"notes.txt": "remember to buy milk\n", "nodes.yaml": three_nodes()})
    assert not snap.diagnostics.errors
    [n] = [d for d in snap.diagnostics if d.loc.file == "notes.txt"]
    assert n.level.value == "note" and "not a file podpath reads" in n.message
    assert {f.path: f.kind for f in snap.files}["notes.txt"] == "unknown"
    assert len(snap.cluster.nodes) == 3


def test_unknown_yaml_document_is_a_note(make_snapshot):
    snap = make_snapshot({"x.yaml": "fruit: apple\ncolour: red\n", "nodes.yaml": three_nodes()})
    assert not snap.diagnostics.errors
    [n] = [d for d in snap.diagnostics if d.loc.file == "x.yaml"]
    assert n.level.value == "note" and "YAML document not read" in n.message
    assert {f.path: f.kind for f in snap.files}["x.yaml"] == "unknown"


def test_several_errors_collected(make_snapshot):
    snap = make_snapshot({"a.yaml": "x: [\n", "b.txt": "???\n", "n.yaml": three_nodes(v6_pod="fd00::zz/64")})
    files = sorted({e.loc.file for e in snap.diagnostics.errors})
    assert files == ["a.yaml", "n.yaml"]


def test_route_dump_without_owner(make_snapshot):
    snap = make_snapshot({"routes.txt": "default via 10.0.0.1 dev eth0\n"})
    assert "cannot tell which host" in snap.diagnostics.errors[0].message


def test_deterministic(make_snapshot):
    from podpath.report import check_document

    files = {"values.yaml": NATIVE_VALUES.replace("fd00:10::/32", "fd00:10::/48"), "nodes.yaml": three_nodes()}
    a = make_snapshot(files, "a")
    b = make_snapshot(dict(reversed(list(files.items()))), "b")
    assert check_document(a, a.check()) == check_document(b, b.check())


def test_readme_and_markdown_are_skipped(make_snapshot):
    snap = make_snapshot({"README.md": "# notes", "nodes.yaml": three_nodes()})
    assert not snap.diagnostics.errors
