"""Secrets are never printed: a marker planted in every secret-bearing field appears in no
output of any command (text, JSON, stderr), diagnostics of broken secret lines included;
and redaction hides nothing else (addresses, AS numbers, the password line's location)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import podpath
from podpath.redact import MARK, Secrets, redact_statements, secret_path
from secrets_snapshot import MARKERS, leaked, write_snapshot

COMMANDS = [
    ["check"], ["check", "--format", "json"],
    ["check", "--format", "sarif"], ["check", "--format", "junit"], ["check", "--format", "markdown"],
    ["check", "--format", "github"],
    ["show"], ["show", "--format", "json"],
    ["sessions"], ["sessions", "--format", "json"],
    ["routes", "{snap}", "r1"], ["routes", "{snap}", "n1", "--format", "json"],
    ["explain", "{snap}", "fd00:99::/64"], ["explain", "{snap}", "fd00:99::/64", "--at", "n1", "--format", "json"],
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def snap_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_snapshot(tmp_path_factory.mktemp("secrets"))


@pytest.fixture(scope="module")
def outputs(snap_dir: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every command's output; two at a time (independent processes: the suite otherwise leaves a core idle)."""
    from concurrent.futures import ThreadPoolExecutor

    todo: dict[str, list[str]] = {}
    for cmd in COMMANDS:
        args = [a.replace("{snap}", str(snap_dir)) for a in cmd]
        if "{snap}" not in cmd:
            args.insert(1, str(snap_dir))
        todo[" ".join(cmd)] = args
    todo["rules"] = ["rules"]
    todo["rules --format json"] = ["rules", "--format", "json"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = {name: pool.submit(run, *args) for name, args in todo.items()}
        return {name: f.result() for name, f in done.items()}


def test_the_markers_are_in_the_snapshot(snap_dir: Path):
    """Guard against a test that cannot fail: every marker is really in the input."""
    text = "\n".join(p.read_text() for p in snap_dir.rglob("*") if p.is_file())
    for field, marker in MARKERS.items():
        if field != "k8s-secret-data-decoded" and field != "cilium-authsecretref-secret":
            assert marker in text, field


@pytest.mark.parametrize("cmd", [" ".join(c) for c in COMMANDS] + ["rules", "rules --format json"])
def test_no_secret_in_any_output(outputs: dict[str, subprocess.CompletedProcess[str]], cmd: str):
    r = outputs[cmd]
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 1, 2), r.stderr
    assert leaked(r.stdout) == [], r.stdout
    assert leaked(r.stderr) == [], r.stderr
    if "json" in cmd:
        json.loads(r.stdout)


def test_the_broken_secret_lines_are_diagnosed_at_their_place(outputs: dict[str, subprocess.CompletedProcess[str]],
                                                             snap_dir: Path):
    """Redaction keeps file:line:col, the message and the rest of the quoted line."""
    err = outputs["check"].stderr
    frr = (snap_dir / "frr/r1.conf").read_text().splitlines()
    bad_addr = next(i for i, line in enumerate(frr, 1) if "fd00:1:::4" in line)
    assert f"frr/r1.conf:{bad_addr}:" in err
    assert "neighbor fd00:1:::4 password <redacted>" in err
    bird = (snap_dir / "bird/n1-unterminated.conf").read_text().splitlines()
    line = next(i for i, text in enumerate(bird, 1) if "password" in text)
    assert f"bird/n1-unterminated.conf:{line}:" in err and "unterminated string" in err
    assert "bird/n1-junk.conf:5:" in err and "password <redacted>" in err
    assert "kubernetes/broken-secret.yaml:5:" in err and "password: <redacted>" in err
    assert "cilium/broken-values.yaml:6:" in err and "key: <redacted>" in err
    assert "keepalived/n1.conf:" in err and "auth_pass <redacted>" in err


def test_redaction_hides_nothing_else(outputs: dict[str, subprocess.CompletedProcess[str]]):
    sessions = json.loads(outputs["sessions --format json"].stdout)["sessions"]
    ends = [e for s in sessions if s["state"] == "established" for e in (s["a"], s["b"]) if e]
    r1 = [e for e in ends if e["speaker"] == "r1/frr" and e["remote_address"] == "fd00:1::2"]
    n1 = [e for e in ends if e["speaker"] == "n1/bird" and e["remote_address"] == "fd00:1::1"]
    assert r1 and n1 and n1[0]["local_as"] == 65002 and r1[0]["location"]["file"] == "frr/r1.conf"
    show = json.loads(outputs["show --format json"].stdout)
    statements = {u["statement"] for u in show["unsupported"]}
    assert any(s.startswith("key chain KC") for s in statements)
    assert "ip ospf authentication-key <redacted>" in statements  # what is not modelled, and where
    routes = json.loads(outputs["routes {snap} n1 --format json"].stdout)
    assert any(r["prefix"] == "fd00:99::/64" for t in routes["bgp"] for r in t["routes"])
    assert "fd00:99::/64" in outputs["explain {snap} fd00:99::/64"].stdout


def test_python_api_repr_hides_passwords(snap_dir: Path):
    snap = podpath.load(snap_dir)
    neighbors = [n for rc in snap.routers for i in (getattr(rc.config, "bgp", None) or {}).values()
                 for n in i.neighbors.values()]  # FRR
    assert len(neighbors) >= 2
    assert leaked(repr(neighbors) + repr(snap) + repr(snap.secrets)) == []
    assert MARKERS["frr-neighbor-password"] not in "\n".join(d.render() for d in snap.diagnostics)


@pytest.mark.parametrize("line, expected", [
    (" neighbor 10.0.0.1 password s3cr3t", " neighbor 10.0.0.1 password <redacted>"),
    (" neighbor PG password two words", " neighbor PG password <redacted>"),
    ("password 8 abcDEF", "password 8 <redacted>"),
    ("enable password zebra", "enable password <redacted>"),
    ("username admin password nimda", "username admin password <redacted>"),
    ("  key-string 0ne two", "  key-string <redacted>"),
    (" ip ospf authentication-key k3y", " ip ospf authentication-key <redacted>"),
    (" ip ospf message-digest-key 7 md5 k3y", " ip ospf message-digest-key 7 md5 <redacted>"),
    (" ipv6 ospf6 authentication keyid 1 method hmac-sha-256 key k3y",
     " ipv6 ospf6 authentication keyid 1 method hmac-sha-256 key <redacted>"),
    (" isis password md5 k3y", " isis password md5 <redacted>"),
    (" area-password clear k3y authenticate snp validate", " area-password clear <redacted>"),
    (" ip rip authentication string k3y", " ip rip authentication string <redacted>"),
    ('  password "s3cret";', "  password <redacted>;"),
    ('  password "s3cret" { id 1; algorithm hmac sha256; };', "  password <redacted> { id 1; algorithm hmac sha256; };"),
    ('  password "unterminated;', "  password <redacted>"),
    ("    auth_pass kpass", "    auth_pass <redacted>"),
    ("  password: hunter2", "  password: <redacted>"),
    ("  clientSecret: 'abc'", "  clientSecret: <redacted>"),
])
def test_statements_are_redacted_in_every_dialect(line: str, expected: str):
    assert redact_statements(line) == expected


@pytest.mark.parametrize("line", [
    " neighbor 10.0.0.1 remote-as 65001",
    "  authentication cryptographic;",
    " neighbor PG route-map RM in",
    "  existingSecret: hubble-server-certs",
    "  enabled: true",
    "  passive on;",
    "  tolerations: [{key: node-role.kubernetes.io/control-plane}]",
])
def test_non_secret_lines_are_kept(line: str):
    assert redact_statements(line) == line


@pytest.mark.parametrize("path, secret", [
    ("hubble.tls.server.key", True), ("hubble.tls.server.cert", True),
    ("hubble.relay.tls.client.key", True), ("hubble.ui.tls.client.cert", True),
    ("hubble.metrics.tls.server.key", True),
    ("clustermesh.apiserver.tls.admin.key", True), ("clustermesh.apiserver.tls.server.cert", True),
    ("clustermesh.config.clusters.[].tls.key", True), ("clustermesh.config.clusters.[].tls.caCert", True),
    ("tls.ca.key", True), ("tls.ca.cert", True), ("tls.caBundle.content", True),
    ("azure.clientSecret", True), ("encryption.ztunnel.secrets.bootstrapRootCert", True),
    ("spec.values.hubble.tls.server.key", True),  # a HelmRelease's values
    ("machine.ca.key", True), ("cluster.serviceAccount.key", True), ("cluster.secretboxEncryptionSecret", True),
    ("machine.token", True),
    ("hubble.metrics.tls.server.mtls.key", False), ("tls.caBundle.key", False), ("k8sServiceHostRef.key", False),
    ("hubble.tls.server.existingSecret", False), ("encryption.ipsec.secretName", False),
    ("encryption.ipsec.keyFile", False), ("hubble.tls.auto.method", False), ("authentication.mutual.spire.install.server.ca.keyType", False),
    ("bgpControlPlane.secretsNamespace.name", False), ("metadata.name", False),
])
def test_secret_bearing_helm_and_talos_keys(path: str, secret: bool):
    assert secret_path(path.split("."), None) is secret


def test_secret_objects_data_is_secret_whatever_the_key():
    assert secret_path(["data", "anything"], "Secret")
    assert secret_path(["stringData", "x"], "Secret")
    assert not secret_path(["metadata", "name"], "Secret")
    assert not secret_path(["data", "anything"], "ConfigMap")


def test_short_values_are_redacted_only_where_their_line_is_known():
    s = Secrets()
    s.scan_text("neighbor 10.0.0.1 password bgp\n", "r.conf")
    assert s.text("protocol bgp x") == "protocol bgp x"  # too short to chase in free text
    assert s.line("neighbor 10.0.0.1 password bgp", "r.conf", 1) == f"neighbor 10.0.0.1 password {MARK}"
