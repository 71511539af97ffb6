"""Structural keys of BIRD filters (readers/bird/structure.py): the same filter written in two
files has one key; anything that can change a verdict or an attribute changes it."""

from __future__ import annotations

from podpath.readers.bird import BirdFilterPolicy
from podpath.routing.policy import policy_key

from bird_testutil import parse

TEMPLATE = """
router id {rid};
define NODE_AS = {asn};
define POD_LP = {lp};
function is_pod() {{ return net ~ [ fd00:224::/32+ ]; }}
filter from_cilium {{
  if is_pod() then {{ bgp_local_pref = POD_LP; accept; }}
  reject;
}}
protocol bgp cilium {{
  local ::1 as NODE_AS; neighbor ::1 as 65010; multihop 2;
  ipv6 {{ import filter from_cilium; export none; }};
}}
"""


def _key(file: str, **kw: object) -> object:
    args = {"rid": "10.0.0.1", "asn": 65001, "lp": 200} | kw
    cfg, d = parse(TEMPLATE.format(**args), file)
    assert not d.errors, d.errors
    ch = cfg.protocol("cilium").channels["ipv6"]  # type: ignore[union-attr]
    return policy_key(BirdFilterPolicy(cfg, ch.import_))


def test_same_filter_in_two_files_has_one_key() -> None:
    assert _key("node1.conf") == _key("node2.conf", rid="10.0.0.2", asn=65002)  # NODE_AS is not read by the filter


def test_what_the_filter_reads_changes_the_key() -> None:
    assert _key("node1.conf") != _key("node2.conf", lp=300)  # a define the filter uses


def test_a_different_statement_changes_the_key() -> None:
    cfg, _ = parse(TEMPLATE.format(rid="10.0.0.1", asn=1, lp=200).replace("fd00:224::/32+", "fd00:225::/32+"))
    ch = cfg.protocol("cilium").channels["ipv6"]  # type: ignore[union-attr]
    assert policy_key(BirdFilterPolicy(cfg, ch.import_)) != _key("x.conf")


def test_filter_keys_are_hashable_and_context_free() -> None:
    cfg, _ = parse(TEMPLATE.format(rid="10.0.0.1", asn=1, lp=200))
    pol = BirdFilterPolicy(cfg, cfg.protocol("cilium").channels["ipv6"].import_)  # type: ignore[union-attr]
    hash(pol.key)
    assert pol.context_free


def test_addresses_and_prefixes_are_compared_by_value() -> None:
    """Address and prefix literals are keyed by family, value and length (not by formatting them): a
    different address, length or family changes the key."""
    def key(lit: str, nh: str) -> object:
        text = TEMPLATE.format(rid="10.0.0.1", asn=1, lp=200).replace("fd00:224::/32+", lit).replace(
            "bgp_local_pref = POD_LP;", f"bgp_local_pref = POD_LP; bgp_next_hop = {nh};")
        cfg, d = parse(text)
        assert not d.errors, d.errors
        return policy_key(BirdFilterPolicy(cfg, cfg.protocol("cilium").channels["ipv6"].import_))  # type: ignore[union-attr]

    base = key("fd00:224::/32+", "fd00::1")
    assert key("fd00:224::/32+", "fd00::1") == base
    assert key("fd00:224::/33+", "fd00::1") != base
    assert key("fd00:224::/32+", "fd00::2") != base
    assert key("fd00:224::/32+", "10.0.0.1") != base
    assert key("fd00:224::/32+", "::ffff:10.0.0.1") != key("fd00:224::/32+", "10.0.0.1")
