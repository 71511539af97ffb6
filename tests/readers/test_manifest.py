def test_manifest_hosts_segments_files(make_snapshot):
    manifest = """
    versions: {cilium: 1.17.3, talos: 1.9.0}
    hosts:
      pve1:
        role: router
        interfaces:
          vmbr0: {addresses: [10.0.0.1/24], mtu: 9000, segment: lan}
        files: [dumps/pve1-routes.txt]
    segments:
      lan: {prefixes: [10.0.0.0/24], mtu: 9000}
    frobnicate: true
    """
    snap = make_snapshot({"podpath.yaml": manifest, "dumps/pve1-routes.txt": "10.0.0.0/24 dev vmbr0 proto kernel scope link\n"})
    assert snap.cilium.version.value == "1.17.3" and snap.cilium.version.loc.line == 1
    assert snap.cluster.hosts["pve1"].routes is not None
    assert "pve1" in snap.cluster.segments["lan"].members
    [w] = [d for d in snap.diagnostics if d.level.value == "warning"]
    assert "unknown key 'frobnicate'" in w.message and w.loc.line == 10


def test_manifest_host_without_anything_is_error(make_snapshot):
    snap = make_snapshot({"podpath.yaml": "hosts:\n  ghost: {}\n"})
    [e] = snap.diagnostics.errors
    assert "ghost" in e.message and e.loc.line == 2


def test_manifest_files_outside_directory(make_snapshot, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "values.yaml").write_text("routingMode: native\nipv4NativeRoutingCIDR: 10.0.0.0/8\n")
    snap = make_snapshot({"podpath.yaml": "files: [../elsewhere/values.yaml]\n"})
    assert snap.cilium.native_routing
    assert snap.cilium.get("routing-mode").loc.file == "../elsewhere/values.yaml"
