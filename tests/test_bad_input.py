"""Bad input (issue 17): every case found by mutating the bundled examples, and special files.

Each must end in a precise `file:line:col: error|warning: ...` diagnostic, never a traceback, within a bound of
time and memory (a hang guard, not a speed target), with the rest of the snapshot still read and checked;
inputs that were not read make the result incomplete.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import podpath
from podpath import snapshot as snapshot_mod
from podpath.readers import yamlsrc
from podpath.report import check_document, show_document
from snaputil import node_list, three_nodes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bad-input"
MEMORY_BOUND = 1 << 30  # address space of the CLI process: an alias bomb or /dev/zero read whole exceeds it
TIME_BOUND = 120  # seconds: a hang guard for a blocking FIFO or an expansion, not a speed target
EXTRA_NODES = three_nodes()  # a good file beside the bad one: it must still be read


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BOUND, MEMORY_BOUND))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True,
                          timeout=TIME_BOUND, preexec_fn=_limit_memory, env={**os.environ, "NO_COLOR": "1"})


def assert_clean(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr[-3000:]
    assert "internal error" not in r.stderr, r.stderr[-3000:]
    assert "\N{HUNDRED POINTS SYMBOL}" not in r.stdout + r.stderr  # Rich must not turn ":100:" into an emoji


def copy_case(name: str, tmp_path: Path, extra_nodes: bool = True) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    if extra_nodes:
        (root / "kubernetes").mkdir(exist_ok=True)
        (root / "kubernetes" / "extra-nodes.yaml").write_text(EXTRA_NODES)
    return root


# (fixture, exit code of `podpath check`, diagnostics that must appear on stderr, exactly as file:line:col)
CASES = [
    ("manifest-segments-is-a-string", 2, [r"podpath\.yaml:1:11: error: segments must be a mapping, not a string"]),
    ("manifest-segment-is-a-string", 2,
     [r"podpath\.yaml:2:11: error: segment 'cilium' must be a mapping \(prefixes, mtu, members\), not a string"]),
    ("manifest-interfaces-is-a-list", 2, [r"podpath\.yaml:1:31: error: hosts\.solwk01\.interfaces must be a mapping, "
                                          r"not a list"]),
    ("manifest-interface-is-a-nested-list", 2, [r"podpath\.yaml:5:7: error: interface pve01\.vmbr0 must be a mapping "
                                                r"\(addresses, mtu, segment\), not a list"]),
    ("manifest-interface-is-a-number", 2, [r"podpath\.yaml:4:15: error: interface solcp01\.dummy0 must be a mapping "
                                           r".*not a number"]),
    ("manifest-interface-is-a-string", 2, [r"podpath\.yaml:4:14: error: interface pve01\.vmbr0 must be a mapping "
                                           r".*not a string"]),
    ("yaml-recursive-merge-alias", 2, [r"podpath\.yaml:1:25: error: invalid YAML: alias \*rec refers to a node that "
                                       r"contains it \(a recursive alias\)"]),
    ("yaml-mapping-as-key", 2, [r"podpath\.yaml:1:92: error: invalid YAML: a mapping key must be a plain value, "
                                r"not a mapping"]),
    ("yaml-deep-flow-nesting", 2, [rf"podpath\.yaml:1:113: error: invalid YAML: nesting deeper than "
                                   rf"{yamlsrc.MAX_DEPTH} levels"]),
    ("helm-values-map-alias-bomb", 2, [r"values\.yaml:8:7: error: invalid YAML: aliases expand this document to "
                                       r"11,358,027 nodes, .*the aliases of &m5 alone reach 10,222,210"]),
    ("helm-extraconfig-list-alias-bomb", 2, [r"values\.yaml:11:7: error: invalid YAML: aliases expand this document "
                                             r"to 2,345,679,027 nodes.*&a8"]),
    ("location-line-100", 2, [r"nodes\.yaml:100:17: error: podCIDR '10\.0\.0\.0/33' does not parse"]),
]


@pytest.mark.parametrize("name,code,expected", CASES, ids=[c[0] for c in CASES])
def test_regression_case_cli(name: str, code: int, expected: list[str], tmp_path: Path) -> None:
    root = copy_case(name, tmp_path)
    text = run_cli("check", str(root))
    assert_clean(text)
    assert text.returncode == code, text.stderr[-2000:]
    for pattern in expected:
        assert re.search(rf"^{pattern}", text.stderr, re.M), (pattern, text.stderr[-2000:])
    js = run_cli("check", str(root), "--format", "json")
    assert_clean(js)
    assert js.returncode == code
    doc = json.loads(js.stdout)
    rendered = [f"{d['location']['file']}:{d['location']['line']}:{d['location']['col']}: {d['level']}: {d['message']}"
                for d in doc["diagnostics"]]
    for pattern in expected:
        assert any(re.match(pattern, r) for r in rendered), (pattern, rendered)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_regression_case_rest_still_checked(name: str, tmp_path: Path) -> None:
    snap = podpath.load(copy_case(name, tmp_path))
    assert {"n1", "n2", "n3"} <= set(snap.cluster.nodes), "the good file beside the bad one was not read"
    assert not any("internal error" in d.message for d in snap.diagnostics)
    report = snap.check()
    json.dumps(check_document(snap, report))
    json.dumps(show_document(snap))


def test_text_output_prints_line_100_verbatim(tmp_path: Path) -> None:
    """Locations in stdout (not only stderr) keep `:100:`; markup-like text in a value is printed as written."""
    root = copy_case("location-line-100", tmp_path, extra_nodes=False)
    r = run_cli("check", str(root))
    assert "nodes.yaml:100:17" in r.stdout and "nodes.yaml:100:17" in r.stderr


def test_deeply_nested_helm_values_are_refused_with_a_position(tmp_path: Path) -> None:
    """A 50,000-level flow mapping in Helm values (was a RecursionError reported as an internal error)."""
    root = tmp_path / "snap"
    (root / "cilium").mkdir(parents=True)
    (root / "cilium" / "values.yaml").write_text("k8sServicePort: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n")
    (root / "nodes.yaml").write_text(EXTRA_NODES)
    r = run_cli("check", str(root))
    assert_clean(r)
    assert r.returncode == 2
    col = len("k8sServicePort: ") + 4 * yamlsrc.MAX_DEPTH - 3
    assert re.search(rf"^cilium/values\.yaml:1:{col}: error: invalid YAML: nesting deeper than", r.stderr, re.M)
    assert len(max(r.stderr.splitlines(), key=len)) < 400  # the quoted line is a window, not 200 KB


def test_nesting_within_the_bound_is_read(tmp_path: Path) -> None:
    depth = yamlsrc.MAX_DEPTH - 2
    root = tmp_path / "snap"
    root.mkdir()
    (root / "values.yaml").write_text("routingMode: native\nhubble: " + "{a: " * depth + "1" + "}" * depth + "\n")
    snap = podpath.load(root)
    assert snap.usable, [d.render() for d in snap.diagnostics]
    snap.check()


def test_aliases_in_ordinary_use_are_read(tmp_path: Path) -> None:
    """Anchors shared by many objects (500 Nodes sharing one labels mapping) are within the bound."""
    labels = "{" + ", ".join(f"example.com/k{i}: v{i}" for i in range(20)) + "}"
    nodes = node_list([(f"w{i}", [f"10.1.{i // 250}.{i % 250 + 1}"], [f"10.244.{i // 250}.{i % 250}/32"])
                       for i in range(500)])
    nodes = nodes.replace("  metadata:\n", "  metadata:\n    labels: *l\n")
    nodes = nodes.replace("labels: *l", f"labels: &l {labels}", 1)
    root = tmp_path / "snap"
    root.mkdir()
    (root / "nodes.yaml").write_text(nodes)
    snap = podpath.load(root)
    assert len(snap.cluster.nodes) == 500, [d.render() for d in snap.diagnostics][:3]
    assert not [d for d in snap.diagnostics if "alias" in d.message]


def test_bird_where_recursive_function_is_a_filter_error_for_the_route(tmp_path: Path) -> None:
    """`import where g()` with `function g() -> bool { return g(); }`: BIRD rejects the route with "Filter
    execution stack overflow"; so does the simulation, with the filter's location, never a traceback."""
    root = copy_case("bird-where-recursive-function", tmp_path, extra_nodes=False)
    r = run_cli("check", str(root))
    assert_clean(r)
    assert r.returncode == 1
    assert re.search(r"bird/solwk01\.conf:1:\d+ runtime error, route rejected: .*Filter execution stack overflow",
                     r.stdout)
    js = run_cli("check", str(root), "--format", "json")
    assert_clean(js)
    assert "Filter execution stack overflow" in js.stdout


def test_bird_where_recursion_in_explain(tmp_path: Path) -> None:
    root = copy_case("bird-where-recursive-function", tmp_path, extra_nodes=False)
    r = run_cli("explain", str(root), "fd00:101:224:2::/64")
    assert_clean(r)
    assert "Filter execution stack overflow" in r.stdout


# --- special files ---------------------------------------------------------------------------------------


def _snap_with(tmp_path: Path) -> Path:
    root = tmp_path / "snap"
    root.mkdir()
    (root / "nodes.yaml").write_text(EXTRA_NODES)
    return root


def _assert_skipped(root: Path, display: str, why: str, level: str = "warning", cli: bool = True) -> None:
    snap = podpath.load(root)
    assert set(snap.cluster.nodes) == {"n1", "n2", "n3"}
    diags = [d.render() for d in snap.diagnostics]
    assert any(re.match(rf"{re.escape(display)}:\d+:\d+: {level}: .*{why}", d) for d in diags), diags
    assert [u.path for u in snap.unread] == [display] and not snap.complete, snap.unread
    report = snap.check()
    assert not report.complete
    doc = check_document(snap, report)
    assert doc["complete"] is False
    assert any("not read" in n["why"] for n in doc["not_checked"]), doc["not_checked"]
    if not cli:
        return
    r = run_cli("check", str(root))
    assert_clean(r)
    assert "NOT CHECKED" in r.stdout and "not read" in r.stdout


@pytest.mark.timeout(TIME_BOUND)
def test_fifo_is_skipped_not_read(tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    os.mkfifo(root / "routes.txt")  # opening it for reading would block until a writer comes
    _assert_skipped(root, "routes.txt", r"not a regular file \(a FIFO\); not read")


@pytest.mark.timeout(TIME_BOUND)
def test_socket_is_skipped(tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(root / "agent.sock"))
        _assert_skipped(root, "agent.sock", r"not a regular file \(a socket\)")
    finally:
        s.close()


@pytest.mark.timeout(TIME_BOUND)
def test_symlink_to_dev_zero_is_skipped(tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    (root / "values.yaml").symlink_to("/dev/zero")  # read whole, it never ends
    _assert_skipped(root, "values.yaml", r"not a regular file \(a character device\)")


@pytest.mark.timeout(TIME_BOUND)
def test_device_node_is_skipped(tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    try:
        os.mknod(root / "null.conf", 0o600 | 0o020000, os.makedev(1, 3))  # a character device, like /dev/null
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    _assert_skipped(root, "null.conf", r"not a regular file \(a character device\)")


@pytest.mark.timeout(TIME_BOUND)
def test_manifest_files_dev_zero(tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    (root / "podpath.yaml").write_text("files:\n- /dev/zero\n")
    snap = podpath.load(root)
    assert set(snap.cluster.nodes) == {"n1", "n2", "n3"}
    diags = [d.render() for d in snap.diagnostics]
    assert "podpath.yaml:2:3: warning: /dev/zero: not a regular file (a character device); not read" in diags, diags
    assert [(u.path, u.loc.line) for u in snap.unread] == [("/dev/zero", 2)] and not snap.complete
    r = run_cli("check", str(root), "--format", "json")
    assert_clean(r)
    assert json.loads(r.stdout)["complete"] is False


def test_dangling_symlink_is_reported(tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    (root / "frr.conf").symlink_to(tmp_path / "gone.conf")
    _assert_skipped(root, "frr.conf", r"dangling symbolic link")


def test_symlinked_directory_loop_is_read_once(tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to("..")
    snap = podpath.load(root)
    assert sorted(f.path for f in snap.files) == ["nodes.yaml"]
    assert snap.complete


def test_symlink_to_directory_outside_the_snapshot_is_not_followed(tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    (root / "everything").symlink_to("/")
    _assert_skipped(root, "everything", r"symbolic link to a directory outside the snapshot")


def test_file_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _snap_with(tmp_path)
    (root / "routes.txt").write_text("10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11\n" * 100)
    monkeypatch.setattr(snapshot_mod, "MAX_FILE_BYTES", 1000)
    _assert_skipped(root, "routes.txt", r"5,900 bytes, more than podpath reads \(1,000\)", level="error", cli=False)


def test_file_size_bound_fits_a_5000_node_snapshot() -> None:
    nodes = node_list([(f"worker-{i:04d}", [f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", f"fd00:10::{i:x}"],
                        [f"10.244.{i // 256}.{i % 256}/32", f"fd00:244:{i:x}::/64"]) for i in range(5000)])
    assert 4 * len(nodes.encode()) < snapshot_mod.MAX_FILE_BYTES  # room for four times the 5,000-node NodeList


# --- unreadable files and directories: root reads mode-000 files, so drop to `nobody` in a forked child -----


def _load_summary(root: Path) -> dict:
    from typer.testing import CliRunner

    from podpath.cli import app

    snap = podpath.load(root)
    res = CliRunner().invoke(app, ["check", str(root), "--format", "json"])
    return {"diags": [d.render() for d in snap.diagnostics], "unread": [u.path for u in snap.unread],
            "complete": snap.complete, "nodes": sorted(snap.cluster.nodes), "exit": res.exit_code,
            "exception": repr(res.exception) if res.exception and not isinstance(res.exception, SystemExit) else None,
            "json_complete": json.loads(res.stdout[res.stdout.index("{"):])["complete"] if "{" in res.stdout else None}


def load_unprivileged(root: Path) -> dict:
    """`podpath.load` + `podpath check --format json` as a user who may not read mode-000 files. As root (the
    test machine), in a child that has dropped to nobody: the kernel itself refuses the reads, as for a user."""
    if os.geteuid() != 0:
        return _load_summary(root)
    _load_summary(root)  # import everything podpath needs while the interpreter's own files are readable
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(rfd)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            out = _load_summary(root)
        except BaseException as exc:  # report, never run the parent's test code in the child
            out = {"exception": repr(exc)}
        os.write(wfd, json.dumps(out).encode())
        os._exit(0)
    os.close(wfd)
    chunks = []
    while chunk := os.read(rfd, 65536):
        chunks.append(chunk)
    os.close(rfd)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


@pytest.fixture
def world_dir():
    """A snapshot directory `nobody` may traverse (pytest's tmp_path is under a 0700 directory)."""
    d = Path(tempfile.mkdtemp(prefix="podpath-unreadable-"))
    d.chmod(0o755)
    yield d
    for p in d.rglob("*"):
        if not p.is_symlink():
            p.chmod(0o755)
    shutil.rmtree(d)


def _world_snap(d: Path) -> Path:
    root = d / "snap"
    root.mkdir()
    (root / "nodes.yaml").write_text(EXTRA_NODES)
    for p in (root, root / "nodes.yaml"):
        p.chmod(0o755)
    return root


@pytest.mark.timeout(TIME_BOUND)
def test_unreadable_manifest(world_dir: Path) -> None:
    root = _world_snap(world_dir)
    (root / "podpath.yaml").write_text("versions: {cilium: 1.19.0}\n")
    (root / "podpath.yaml").chmod(0)
    out = load_unprivileged(root)
    assert out.get("exception") is None, out
    assert "podpath.yaml:1:1: error: cannot be read (Permission denied); not read" in out["diags"], out
    assert out["nodes"] == ["n1", "n2", "n3"] and out["unread"] == ["podpath.yaml"]
    assert out["complete"] is False and out["json_complete"] is False and out["exit"] == 2


@pytest.mark.timeout(TIME_BOUND)
def test_unreadable_subdirectory(world_dir: Path) -> None:
    root = _world_snap(world_dir)
    (root / "frr").mkdir()
    (root / "frr" / "pve01.conf").write_text("router bgp 65000\n")
    (root / "frr").chmod(0)
    out = load_unprivileged(root)
    assert out.get("exception") is None, out
    assert "frr:1:1: error: directory cannot be read (Permission denied); not read" in out["diags"], out
    assert out["nodes"] == ["n1", "n2", "n3"] and out["unread"] == ["frr"]
    assert out["complete"] is False and out["json_complete"] is False and out["exit"] == 2


@pytest.mark.timeout(TIME_BOUND)
def test_unreadable_file(world_dir: Path) -> None:
    root = _world_snap(world_dir)
    (root / "values.yaml").write_text("routingMode: native\n")
    (root / "values.yaml").chmod(0)
    out = load_unprivileged(root)
    assert "values.yaml:1:1: error: cannot be read (Permission denied); not read" in out["diags"], out
    assert out["unread"] == ["values.yaml"] and out["exit"] == 2


# --- encodings ---------------------------------------------------------------------------------------------


def test_utf8_bom_is_read(tmp_path: Path) -> None:
    root = tmp_path / "snap"
    root.mkdir()
    (root / "nodes.yaml").write_bytes(b"\xef\xbb\xbf" + EXTRA_NODES.encode())
    snap = podpath.load(root)
    assert set(snap.cluster.nodes) == {"n1", "n2", "n3"} and snap.usable


def test_utf16_is_read_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "snap"
    root.mkdir()
    (root / "nodes.yaml").write_bytes(EXTRA_NODES.encode("utf-16"))  # PowerShell 5's `>` writes this
    snap = podpath.load(root)
    assert set(snap.cluster.nodes) == {"n1", "n2", "n3"}
    assert [d.render() for d in snap.diagnostics] == ["nodes.yaml:1:1: note: file is UTF-16 text; read as such "
                                                      "(podpath expects UTF-8)"]


def test_invalid_utf8_and_nul_have_positions(tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    (root / "a.conf").write_bytes(b"router bgp 65000\n neighbor \xff\xfe x\n")
    (root / "b.yaml").write_bytes(b"routingMode: native\nipam:\n  mode: kuber\x00netes\n")
    snap = podpath.load(root)
    diags = [d.render() for d in snap.diagnostics]
    assert "a.conf:2:11: error: file is not UTF-8 text" in diags
    assert "b.yaml:3:14: error: file is not text (NUL character)" in diags
    assert set(snap.cluster.nodes) == {"n1", "n2", "n3"}


# --- shapes found by the mutation campaign (tools/fuzz.py) in other readers: an error at the value ---------

BGP_CC = """\
apiVersion: cilium.io/v2alpha1
kind: CiliumBGPClusterConfig
metadata:
  name: rs
spec:
  bgpInstances:
    - name: cilium
      localASN: 65000
      peers:
        - name: rs1
          peerAddress: "10.0.0.1"
          peerASN: {peer_asn}
"""

SHAPE_CASES = [
    ("cilium/bgp.yaml", BGP_CC.format(peer_asn='"::1/129"'),
     r"cilium/bgp\.yaml:12:20: error: CiliumBGPClusterConfig rs: spec\.bgpInstances\[0\]\.peers\[0\]\.peerASN must be "
     r"an integer, not a string"),
    ("cilium/bgp.yaml", BGP_CC.format(peer_asn="65001").replace("      peers:\n", "      peers: oops\n      x:\n"),
     r"cilium/bgp\.yaml:9:14: error: CiliumBGPClusterConfig rs: spec\.bgpInstances\[0\]\.peers must be a list, "
     r"not a string"),
    ("cilium/bgp.yaml", BGP_CC.format(peer_asn="65001").replace("  name: rs\n", "  name: rs\n  labels: [a]\n"),
     r"cilium/bgp\.yaml:5:11: error: CiliumBGPClusterConfig rs: metadata\.labels must be a mapping"),
    ("cilium/bgp.yaml", BGP_CC.format(peer_asn="65001").replace("spec:\n", "spec:\n  nodeSelector: {matchLabels: 5}\n"),
     r"cilium/bgp\.yaml:6:31: error: CiliumBGPClusterConfig rs: spec\.nodeSelector\.matchLabels must be a mapping of "
     r"labels to values, not a number"),
    ("kubernetes/node.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: x, labels: [a, b]}\nspec: {podCIDR: 10.0.0.0/24}\n",
     r"kubernetes/node\.yaml:3:29: error: metadata\.labels must be a mapping, not a list"),
    ("kubernetes/node.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: x}\nspec: {podCIDRs: 10.0.0.0/24}\n",
     r"kubernetes/node\.yaml:4:18: error: spec\.podCIDRs must be a list, not a string"),
    ("kubernetes/svc.yaml", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\n"
                            "endpoints: [hello]\n", r"kubernetes/svc\.yaml:4:13: error: an endpoint must be a mapping"),
    ("talos/worker.yaml", "version: v1alpha1\nmachine:\n  type: worker\n  network: eth0\ncluster: {}\n",
     r"talos/worker\.yaml:4:12: error: machine\.network must be a mapping, not a string"),
    ("talos/worker.yaml", "version: v1alpha1\nmachine:\n  network: {interfaces: {eth0: {}}}\ncluster: {}\n",
     r"talos/worker\.yaml:3:25: error: machine\.network\.interfaces must be a list, not a mapping"),
]


@pytest.mark.parametrize("rel,text,expected", SHAPE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(SHAPE_CASES)])
def test_unexpected_shapes_are_errors_at_the_value(rel: str, text: str, expected: str, tmp_path: Path) -> None:
    root = _snap_with(tmp_path)
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)
    snap = podpath.load(root)
    diags = [d.render() for d in snap.diagnostics]
    assert any(re.match(expected, d) for d in diags), diags
    assert not any("internal error" in d for d in diags)
    assert {"n1", "n2", "n3"} <= set(snap.cluster.nodes)
    report = snap.check()
    json.dumps(check_document(snap, report))
    assert not snap.bgp_objects or all(kind != "CiliumBGPClusterConfig" for kind, _, _ in snap.bgp_objects)


def test_deeply_nested_json_is_an_error_at_its_position(tmp_path: Path) -> None:
    """`json.loads` of 100,000 nested arrays raises RecursionError (sniffing `ip -j route` output)."""
    root = _snap_with(tmp_path)
    (root / "routes.json").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    snap = podpath.load(root)
    diags = [d.render() for d in snap.diagnostics]
    assert any(d.startswith(f"routes.json:1:{yamlsrc.MAX_DEPTH + 1}: error: invalid YAML: nesting deeper than")
               for d in diags), diags
    assert not any("internal error" in d for d in diags) and set(snap.cluster.nodes) == {"n1", "n2", "n3"}


def test_diagnostics_per_file_are_bounded(tmp_path: Path) -> None:
    """10,000 errors on one 10 KB line (found by the campaign: each printed diagnostic quotes and redacts the
    line, 30 s of CPU): the first MAX_PER_FILE are kept, the rest counted in one error where they start."""
    from podpath.diagnostics import MAX_PER_FILE

    root = _snap_with(tmp_path)
    (root / "keepalived.conf").write_text("vrrp_instance VI_1 {\n    interface eth0\n" + "{" * 10_000 + "\n}\n")
    snap = podpath.load(root)
    mine = [d for d in snap.diagnostics if d.loc.file == "keepalived.conf"]
    assert MAX_PER_FILE < len(mine) <= MAX_PER_FILE + 1
    summary = [d for d in mine if "more diagnostic(s) in keepalived.conf from here on are not shown" in d.message]
    assert len(summary) == 1 and summary[0].level.value == "error" and summary[0].loc.line >= 1, mine[-3:]
    assert not snap.usable and set(snap.cluster.nodes) == {"n1", "n2", "n3"}
    r = run_cli("check", str(root))
    assert_clean(r)
    assert r.returncode == 2 and r.stderr.count("keepalived.conf:") <= MAX_PER_FILE + 2
