"""FRR reader: configuration text -> `FrrConfig`, and FRR's routing-policy semantics."""

from podpath.readers.frr.defaults import BgpDefaults, bgp_defaults
from podpath.readers.frr.model import FrrConfig
from podpath.readers.frr.parser import looks_like_frr, parse_frr

__all__ = ["BgpDefaults", "FrrConfig", "bgp_defaults", "looks_like_frr", "parse_frr"]
