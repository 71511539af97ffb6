"""Sessions are up, down or unknown: FRR's next-hop tracking and the default route, iBGP over loopbacks
that an unmodelled IGP connects, and the grouped finding (BGP006)."""

from snaputil import findings

MANIFEST = """
hosts:
  gw:
    interfaces: {eth0: {addresses: [10.0.0.254/24]}}
    routes: ["10.255.0.1/32 via 10.0.0.1", "10.255.0.2/32 via 10.0.0.2"]
  r1: {files: [frr/r1.conf]}
  r2: {files: [frr/r2.conf]}
"""

R = """
frr version {version}
frr defaults {profile}
hostname r{i}
{nht}
interface eth0
 ip address 10.0.0.{i}/24
!
interface lo
 ip address 10.255.0.{i}/32
!
ip route 0.0.0.0/0 10.0.0.254
!
router bgp 65000
 bgp router-id 10.255.0.{i}
 neighbor 10.255.0.{j} remote-as internal
 neighbor 10.255.0.{j} update-source lo
exit
!
{extra}
"""


def conf(i: int, nht: str = "", extra: str = "", version: str = "8.4.4", profile: str = "traditional") -> str:
    return R.format(i=i, j=3 - i, nht=nht, extra=extra, version=version, profile=profile)


def test_frr_waits_for_nht_over_a_default_route(make_snapshot):
    """Checked in `podpath lab` with FRR 8.4: both sides stay in Active ("Waiting for NHT")."""
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": conf(1), "frr/r2.conf": conf(2)})
    [s] = snap.simulate().sessions
    assert s.state == "down" and "Waiting for NHT" in s.reason and "ip nht resolve-via-default" in s.reason
    [f] = findings(snap, "BGP001")
    assert f.severity.value == "error"


def test_resolve_via_default_lets_frr_connect(make_snapshot):
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": conf(1, "ip nht resolve-via-default\n!"),
                          "frr/r2.conf": conf(2)})
    [s] = snap.simulate().sessions
    assert s.state == "established", s.reason  # r1 connects, r2 accepts (bgp_accept does not ask NHT)
    assert not findings(snap, "BGP001")


def test_resolve_via_default_is_zebras_default_from_9_1_traditional(make_snapshot):
    """FRR 9.1+ (traditional profile) resolves via the default route unless told not to; datacenter does not.
    The running version decides (podpath.yaml `versions.frr`, else the `frr version` line)."""
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": conf(1, version="10.3"),
                          "frr/r2.conf": conf(2, version="10.3")})
    assert snap.simulate().sessions[0].state == "established"
    no = "no ip nht resolve-via-default\n!"
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": conf(1, no, version="10.3"),
                          "frr/r2.conf": conf(2, no, version="10.3", profile="datacenter")}, name="no")
    [s] = snap.simulate().sessions
    assert s.state == "down" and "Waiting for NHT" in s.reason
    snap = make_snapshot({"podpath.yaml": MANIFEST + "versions: {frr: 10.3.1}\n", "frr/r1.conf": conf(1),
                          "frr/r2.conf": conf(2)}, name="running")
    assert snap.simulate().sessions[0].state == "established"


def test_ibgp_over_loopbacks_an_unmodelled_igp_connects_is_unknown(make_snapshot):
    """No default route: the loopbacks are reachable only through the fabric (OpenFabric, not modelled)."""
    fabric = "router openfabric 1\n net 49.0001.0000.0000.000{i}.00\nexit\n!\n"
    r1 = conf(1, extra=fabric.format(i=1)).replace("ip route 0.0.0.0/0 10.0.0.254\n", "")
    r2 = conf(2, extra=fabric.format(i=2)).replace("ip route 0.0.0.0/0 10.0.0.254\n", "")
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": r1, "frr/r2.conf": r2})
    [s] = snap.simulate().sessions
    assert s.state == "unknown" and "router openfabric 1" in s.reason and s.b is not None
    assert s.cause_loc.file == "frr/r1.conf" and s.settle.startswith("the routes it installs on r1")
    assert not findings(snap, "BGP001")
    [f] = findings(snap, "BGP006")
    assert f.severity.value == "warning" and f.message.startswith("1 BGP session(s) depend on `router openfabric 1` at "
                                                                  "frr/r1.conf:")
    assert f.locations[0].file == "frr/r1.conf"


def test_unknown_reachability_does_not_hide_a_true_failure(make_snapshot):
    """The same, with an AS mismatch: down whatever the fabric does."""
    fabric = "router openfabric 1\n net 49.0001.0000.0000.000{i}.00\nexit\n!\n"
    r1 = conf(1, extra=fabric.format(i=1)).replace("ip route 0.0.0.0/0 10.0.0.254\n", "")
    r2 = conf(2, extra=fabric.format(i=2)).replace("ip route 0.0.0.0/0 10.0.0.254\n", "").replace(
        "router bgp 65000", "router bgp 65009")
    snap = make_snapshot({"podpath.yaml": MANIFEST, "frr/r1.conf": r1, "frr/r2.conf": r2})
    [s] = snap.simulate().sessions
    assert s.state == "down" and "AS mismatch" in s.reason
    assert [f.severity.value for f in findings(snap, "BGP001")] == ["error"]
