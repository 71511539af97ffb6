"""Version- and profile-dependent BGP defaults (FRR's version-matched defaults)."""

from __future__ import annotations

import pytest

from podpath.diagnostics import Diagnostics
from podpath.readers.frr import bgp_defaults, parse_frr
from podpath.readers.frr.defaults import parse_version


@pytest.mark.parametrize("version, profile, ebgp_policy, import_check, enforce_first_as, connect_retry", [
    ("8.4.4", "traditional", True, True, False, 120),
    ("7.3", "traditional", False, False, False, 120),
    ("7.4", "traditional", True, True, False, 120),
    ("9.1", "traditional", True, True, True, 120),
    ("10.5.1", "traditional", True, True, True, 30),
    ("10.2.1", "traditional", True, True, True, 120),
    ("8.4.4", "datacenter", False, True, False, 10),
    ("10.5.1", "datacenter", False, True, True, 10),
    ("7.3", "datacenter", False, True, False, 10),
])
def test_table(version: str, profile: str, ebgp_policy: bool, import_check: bool, enforce_first_as: bool,
               connect_retry: int) -> None:
    d = bgp_defaults(version, profile)
    assert (d.ebgp_requires_policy, d.network_import_check, d.enforce_first_as, d.connect_retry) == (
        ebgp_policy, import_check, enforce_first_as, connect_retry)


def test_profile_differences() -> None:
    t, dc = bgp_defaults("8.4.4", "traditional"), bgp_defaults("8.4.4", "datacenter")
    assert (t.keepalive, t.holdtime, dc.keepalive, dc.holdtime) == (60, 180, 3, 9)
    assert (t.deterministic_med, t.log_neighbor_changes, t.show_hostname) == (False, False, False)
    assert (dc.deterministic_med, dc.log_neighbor_changes, dc.show_hostname) == (True, True, True)
    for d in (t, dc):  # the same in both profiles
        assert d.default_ipv4_unicast and not d.default_ipv6_unicast and d.default_local_pref == 100
        assert d.listen_limit == 100 and d.ebgp_ttl == 1 and not d.bestpath_as_path_multipath_relax
    assert not bgp_defaults("7.5", "traditional").suppress_duplicates and bgp_defaults("7.6", "datacenter").suppress_duplicates
    assert not bgp_defaults("8.2", "traditional").graceful_restart_notification
    assert bgp_defaults("8.3", "traditional").hard_administrative_reset


def test_running_version_and_missing_line() -> None:
    # a config written by 8.4 and run by 10.5 keeps 8.4's enforce-first-as default
    assert not bgp_defaults("8.4.4", "traditional", running="10.5.1").enforce_first_as
    assert bgp_defaults(None, "traditional").enforce_first_as  # newest known
    assert not bgp_defaults(None, "traditional", running="8.4.4").enforce_first_as
    assert bgp_defaults("8.4", "bogus").profile == "traditional"
    assert parse_version("10.5.1-0+pve1") == (10, 5, 1) and parse_version("x") is None


def test_config_defaults() -> None:
    cfg = parse_frr("frr version 10.5.1\nfrr defaults datacenter\n", "f", Diagnostics())
    d = cfg.defaults()
    assert d.profile == "datacenter" and not d.ebgp_requires_policy and "10.5.1" in d.note()
    diags = Diagnostics()
    cfg = parse_frr("frr defaults cloud\n", "f", diags)
    assert cfg.profile == "traditional" and len(diags) == 1
