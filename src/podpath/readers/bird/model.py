"""BIRD 2 configuration model (dialect-specific): protocols, channels, filters, functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podpath.diagnostics import Loc, Unsupported
from podpath.readers.bird.ast import Filter, Function, Node
from podpath.routing.route import IPAddress, IPNetwork


@dataclass
class FilterSpec:
    """`import|export all | none | filter NAME | filter { ... } | where EXPR`."""

    kind: str  # all | none | named | inline | where
    loc: Loc
    name: str | None = None
    body: list[Node] | None = None
    expr: Node | None = None

    def describe(self) -> str:
        return {"all": "all", "none": "none", "named": f"filter {self.name}", "inline": "filter { ... }",
                "where": "where ..."}[self.kind]


@dataclass
class Channel:
    afi: str  # ipv4 | ipv6 | ...
    loc: Loc
    table: str | None = None
    import_: FilterSpec | None = None
    export: FilterSpec | None = None
    options: dict[str, tuple[list[str], Loc]] = field(default_factory=dict)


@dataclass
class StaticRoute:
    prefix: IPNetwork
    loc: Loc
    via: IPAddress | None = None
    iface: str | None = None
    kind: str = "unicast"  # unicast | blackhole | unreachable | prohibit | recursive
    attrs: list[Node] = field(default_factory=list)


@dataclass
class Protocol:
    type: str  # bgp | static | kernel | direct | device | pipe | ...
    name: str
    loc: Loc
    template: str | None = None
    is_template: bool = False
    options: dict[str, tuple[list[str], Loc]] = field(default_factory=dict)  # first words -> words
    channels: dict[str, Channel] = field(default_factory=dict)
    statics: list[StaticRoute] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    # BGP
    local_as: int | None = None
    local_address: IPAddress | None = None
    neighbor: IPAddress | None = None
    neighbor_range: IPNetwork | None = None
    neighbor_iface: str | None = None
    neighbor_as: int | None = None
    neighbor_kind: str | None = None  # number | internal | external
    loc_neighbor: Loc | None = None

    def opt(self, key: str) -> list[str] | None:
        v = self.options.get(key)
        return v[0] if v else None


@dataclass
class BirdConfig:
    file: str
    router_id: str | None = None
    defines: dict[str, Any] = field(default_factory=dict)
    protocols: list[Protocol] = field(default_factory=list)
    templates: dict[str, Protocol] = field(default_factory=dict)
    filters: dict[str, Filter] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)
    version: str | None = None

    def summary(self) -> dict[str, Any]:
        return {"router_id": self.router_id,
                "protocols": [f"{p.type} {p.name}" for p in self.protocols],
                "filters": sorted(self.filters), "functions": sorted(self.functions)}
