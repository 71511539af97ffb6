"""FRR, BIRD and GoBGP in lab namespaces: sessions, tables, kernel routes, versions."""

from __future__ import annotations

import ipaddress
import time

import pytest

from podpath.lab import (
    BirdInstance,
    DaemonError,
    FrrInstance,
    GobgpConfig,
    GobgpInstance,
    GobgpNeighbor,
    LabNetwork,
    collect_kernel_routes,
    daemon_versions,
    wait_converged,
)
from podpath.lab.rootfs import DaemonGeneration
from podpath.routing.route import AsPath, Origin, Route

N = ipaddress.ip_network
A = ipaddress.ip_address

FRR_CONF = """\
frr defaults traditional
hostname tor
ipv6 route fd00:77::/64 blackhole
!
ipv6 prefix-list PL_ANY seq 5 permit any
route-map ALL permit 10
 match ipv6 address prefix-list PL_ANY
exit
!
router bgp 65001
 bgp router-id 10.0.0.1
 no bgp default ipv4-unicast
 neighbor fd00:10::2 remote-as 65002
 neighbor fd00:10::2 timers connect 1
 neighbor fd00:10::3 remote-as 65010
 address-family ipv6 unicast
  redistribute static
  neighbor fd00:10::2 activate
  neighbor fd00:10::2 route-map ALL in
  neighbor fd00:10::2 route-map ALL out
  neighbor fd00:10::3 activate
  neighbor fd00:10::3 route-map ALL in
  neighbor fd00:10::3 route-map ALL out
 exit-address-family
exit
"""

BIRD_CONF = """\
router id 10.0.0.2;
protocol device {}
protocol static st { ipv6; route fd00:200::/48 blackhole; }
protocol bgp tor {
  local fd00:10::2 as 65002; neighbor fd00:10::1 as 65001;
  connect delay time 1; connect retry time 1;
  ipv6 { import all; export where proto = "st"; };
}
protocol kernel { ipv6 { export where proto = "tor"; }; }
"""


@pytest.mark.lab
def test_three_daemons_converge(gen: DaemonGeneration) -> None:
    t0 = time.monotonic()
    with LabNetwork(timeout=120) as lab:
        hosts = {n: lab.add_host(n) for n in ("tor", "node", "cilium")}
        lan = lab.add_segment("lan")
        for i, name in enumerate(("tor", "node", "cilium"), start=1):
            lab.connect(hosts[name], lan, "eth0", [f"fd00:10::{i}/64"])
        frr = FrrInstance(hosts["tor"], FRR_CONF, daemons=gen).start()
        bird = BirdInstance(hosts["node"], BIRD_CONF, daemons=gen).start()
        gobgp = GobgpInstance(hosts["cilium"], GobgpConfig(65010, "10.0.0.3", [GobgpNeighbor("fd00:10::1", 65001)]),
                              daemons=gen).start()
        gobgp.add_route(Route(N("fd00:224:1::/64"), large_communities=frozenset({(4200001000, 0, 100)})))
        took = wait_converged([frr, bird, gobgp], quiet_period=1.5, bound=60, min_time=1.0)
        print(f"\n{gen.name}: up+converged in {time.monotonic() - t0:.1f} s (convergence wait {took:.1f} s)")

        assert all(frr.established().values()) and len(frr.established()) == 2
        assert bird.established() == {"tor": True}
        assert gobgp.established() == {"fd00:10::1": True}

        frr_routes = {str(r.prefix): r for r in frr.bgp_routes("ipv6")}
        assert frr_routes["fd00:200::/48"].as_path == AsPath.of(65002)
        cil = frr_routes["fd00:224:1::/64"]
        assert cil.as_path == AsPath.of(65010) and cil.large_communities == {(4200001000, 0, 100)}
        assert cil.next_hop == A("fd00:10::3") and cil.origin is Origin.IGP

        bird_routes = {str(r.prefix): r for r in bird.routes() if r.source_name == "tor"}
        assert bird_routes["fd00:224:1::/64"].as_path == AsPath.of(65001, 65010)
        assert bird_routes["fd00:77::/64"].origin is Origin.INCOMPLETE

        rib = {str(r.prefix): r for r in gobgp.rib("ipv6")}
        assert rib["fd00:200::/48"].as_path == AsPath.of(65001, 65002)

        kernel = collect_kernel_routes(lab)
        assert set(kernel) == {"tor", "node", "cilium"}
        tor6 = {r["dst"]: r for r in kernel["tor"]["ipv6"] if "dst" in r}
        assert tor6["fd00:200::/48"]["protocol"] == "bgp" and tor6["fd00:200::/48"]["metric"] == 20
        node6 = {r["dst"]: r for r in kernel["node"]["ipv6"] if "dst" in r}
        assert node6["fd00:224:1::/64"]["protocol"] == "bird"
        assert "fd00:224:1::/64" not in {r["dst"] for r in kernel["cilium"]["ipv6"] if "dst" in r}
        assert all("nhid" not in r for r in kernel["tor"]["ipv6"])

        versions = {"frr": frr.version(), "bird": bird.version(), "gobgp": gobgp.version()}
        expected = daemon_versions(gen)
        assert versions == {"frr": f"FRRouting {expected['frr']}", "bird": f"BIRD {expected['bird']}",
                            "gobgp": f"GoBGP {expected['gobgp']}"}
        frr_table = frr.vtysh_json("show bgp vrf all ipv6 unicast json")
        assert "default" in frr_table
        assert frr.rib("ipv6")["default"]["fd00:77::/64"][0]["protocol"] == "static"
        assert frr.vtysh_json("show bgp vrf all summary json")["default"]["ipv6Unicast"]["peers"]


@pytest.mark.lab
def test_daemon_versions(gen: DaemonGeneration) -> None:
    v = daemon_versions(gen)
    if gen.root is None:
        assert v["frr"].startswith("8.") and v["bird"].startswith("2.0") and v["gobgp"].startswith("3.")
    else:
        assert v["frr"].startswith("10.") and v["bird"].startswith("2.1") and v["gobgp"].startswith("3.")


@pytest.mark.lab
def test_bad_configs_are_reported_with_the_daemon_message(gen: DaemonGeneration) -> None:
    with LabNetwork(timeout=60) as lab:
        h = lab.add_host("h")
        with pytest.raises(DaemonError, match="line 2"):
            FrrInstance(h, "route-map X permit 10\n bogus command\nexit\n", daemons=gen).start()
        with pytest.raises(DaemonError, match="rejected its configuration"):
            BirdInstance(h, "protocol bgp rr { }\n", daemons=gen).start()
        lenient = FrrInstance(h, "route-map X permit 10\n set local-preference abc\nexit\n", name="lenient",
                              daemons=gen, strict=False).start()
        assert "%" in lenient.config_errors


@pytest.mark.lab
def test_frr_boot_mode_matches_init_script(gen: DaemonGeneration) -> None:
    with LabNetwork(timeout=60) as lab:
        h = lab.add_host("h")
        frr = FrrInstance(h, "frr defaults datacenter\nhostname x\nipv6 route fd00:1::/64 blackhole\n",
                          daemons=gen, load="boot").start()
        running = frr.vtysh("show running-config")
        assert "frr defaults datacenter" in running and "ipv6 route fd00:1::/64 blackhole" in running
        deadline = time.monotonic() + 10
        while "fd00:1::/64" not in frr.rib("ipv6").get("default", {}) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert frr.rib("ipv6")["default"]["fd00:1::/64"][0]["protocol"] == "static"
