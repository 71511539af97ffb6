"""FRR's BGP defaults, which depend on the `frr defaults` profile and on the
`frr version` line of the configuration.

FRR ("version-matched defaults", lib/defaults.c) evaluates each default against the
version written in the config file, not the running binary, so that an upgrade does
not silently change behaviour; a config without a `frr version` line gets the
running version's defaults. Values below were read in FRR's bgpd (bgp_vty.c,
bgp_vty.h, bgpd.h) at tags frr-8.4.4, 9.0, 9.1, 10.0, 10.2, 10.3 and 10.5.1, and
cross-checked with shared/reference/routing-daemons.md section 1.6:

| setting                          | traditional                  | datacenter |
|----------------------------------|------------------------------|------------|
| bgp ebgp-requires-policy         | on (off if config < 7.4)     | off        |
| bgp network import-check         | on (off if config < 7.4)     | on         |
| bgp deterministic-med            | off                          | on         |
| bgp log-neighbor-changes         | off                          | on         |
| bgp default show-hostname        | off                          | on         |
| timers bgp keepalive/hold        | 60/180                       | 3/9        |
| neighbor timers connect          | 120 (30 from 10.3)           | 10         |
| bgp suppress-duplicates          | on (off if config < 7.6)     | same       |
| graceful-restart notification    | on (off if config < 8.3)     | same       |
| hard-administrative-reset        | on (off if config < 8.3)     | same       |
| bgp enforce-first-as             | on from 9.1 (off if < 9.1)   | same       |
| software-version capability      | off                          | on (9.1+)  |
| dynamic capability               | off                          | on (10.2+) |
| bgp default ipv4-unicast         | on                           | on         |
| bgp default ipv6-unicast         | off                          | off        |
| default local-preference         | 100                          | 100        |
| bgp listen limit                 | 100                          | 100        |
| eBGP TTL                         | 1                            | 1          |

Not profile defaults, although sometimes believed to be: `bgp bestpath as-path
multipath-relax` (off in both profiles) and `bgp default ipv4-unicast` (on in both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The newest FRR whose defaults this table knows; used when neither the config nor
# the caller says which version runs.
NEWEST_KNOWN = "10.5"


@dataclass(frozen=True)
class BgpDefaults:
    profile: str
    version: str | None  # the version the defaults were evaluated for (None: newest known)
    ebgp_requires_policy: bool
    network_import_check: bool
    deterministic_med: bool
    log_neighbor_changes: bool
    show_hostname: bool
    keepalive: int
    holdtime: int
    connect_retry: int
    suppress_duplicates: bool
    graceful_restart_notification: bool
    hard_administrative_reset: bool
    enforce_first_as: bool
    soft_version_capability: bool
    dynamic_capability: bool
    default_ipv4_unicast: bool = True
    default_ipv6_unicast: bool = False
    default_local_pref: int = 100
    listen_limit: int = 100
    ebgp_ttl: int = 1
    bestpath_as_path_multipath_relax: bool = False

    def note(self) -> str:
        """One line for explanations: where the defaults come from."""
        v = f"frr version {self.version}" if self.version else "no `frr version` line"
        return f"frr defaults {self.profile}, {v}"


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """`8.4.4`, `10.5.1`, `8.4.4-s1`, `10.5.1-0+pve1` -> (8, 4, 4) / (10, 5, 1)."""
    if not text:
        return None
    m = re.match(r"\s*(\d+(?:\.\d+)*)", text)
    if not m:
        return None
    return tuple(int(x) for x in m.group(1).split("."))


def _lt(v: tuple[int, ...], ref: str) -> bool:
    r = tuple(int(x) for x in ref.split("."))
    n = max(len(v), len(r))
    return v + (0,) * (n - len(v)) < r + (0,) * (n - len(r))


def bgp_defaults(version: str | None, profile: str = "traditional", running: str | None = None) -> BgpDefaults:
    """Defaults for a config that says `frr version VERSION` and `frr defaults PROFILE`.
    `running` is the daemon's version when known; it decides which knobs exist at all
    (e.g. enforce-first-as became a default in 9.1) and is the fallback when the
    config has no version line. Unknown profiles are treated as `traditional`, as FRR
    refuses them and keeps its compiled-in profile."""
    dc = profile == "datacenter"
    cfg_v = parse_version(version)
    run_v = parse_version(running) or cfg_v or parse_version(NEWEST_KNOWN)
    assert run_v is not None
    v = cfg_v or run_v  # the version the `match_version` rules compare with
    return BgpDefaults(
        profile="datacenter" if dc else "traditional",
        version=version,
        ebgp_requires_policy=False if dc else not _lt(v, "7.4"),
        network_import_check=True if dc else not _lt(v, "7.4"),
        deterministic_med=dc,
        log_neighbor_changes=dc,
        show_hostname=dc,
        keepalive=3 if dc else 60,
        holdtime=9 if dc else 180,
        connect_retry=10 if dc else (120 if _lt(run_v, "10.3") else 30),
        suppress_duplicates=not _lt(v, "7.6"),
        graceful_restart_notification=not _lt(v, "8.3"),
        hard_administrative_reset=not _lt(v, "8.3"),
        enforce_first_as=not _lt(run_v, "9.1") and not _lt(v, "9.1"),
        soft_version_capability=dc and not _lt(run_v, "9.1"),
        dynamic_capability=dc and not _lt(run_v, "10.2"),
    )


def zebra_nht_resolve_via_default(profile: str, running: str | None) -> bool:
    """zebra's default for `ip[v6] nht resolve-via-default` (next-hop tracking may use the default route):
    on for the traditional profile from FRR 9.1 (FRR_CFG_DEFAULT_BOOL ZEBRA_IP_NHT_RESOLVE_VIA_DEFAULT,
    FRR PR 14162; profile-matched, not version-matched: the running daemon decides), off before and for
    datacenter. Checked in `podpath lab`: FRR 8.4 waits for NHT over a default route, 10.3 connects."""
    run_v = parse_version(running) or parse_version(NEWEST_KNOWN)
    assert run_v is not None
    return profile != "datacenter" and not _lt(run_v, "9.1")
