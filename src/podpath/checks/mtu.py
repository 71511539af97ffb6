"""MTU rules (reference: cilium-datapath.md 2.4, 7 CIL-018)."""

from __future__ import annotations

from typing import Iterator

from podpath.checks.base import CheckContext, Finding, Fix, rule

_TUNNEL_OVERHEAD = {("vxlan", "ipv4"): 50, ("geneve", "ipv4"): 50, ("vxlan", "ipv6"): 70, ("geneve", "ipv6"): 70}
_WIREGUARD = 80
_IPSEC = 77


@rule("MT001", "mtu-exceeds-underlay", "error", "MTU larger than the underlay carries")
def mtu_exceeds(ctx: CheckContext) -> Iterator[Finding]:
    """Cilium's `MTU` (when set) is the base MTU for pod routes; tunnel/WireGuard/IPsec overheads are subtracted
    from it. If it exceeds the MTU of a node's interface or of the L2 segment (e.g. 1500 on a VXLAN overlay that
    carries 1450), small packets and pings work but full-size TCP segments are dropped or fragmented. Likewise an
    interface MTU above its segment's MTU."""
    c = ctx.cilium
    cl = ctx.cluster
    base = c.mtu if c.present else 0
    for host in sorted(cl.hosts.values(), key=lambda h: h.name):
        for iface in sorted(host.interfaces.values(), key=lambda i: i.name):
            seg = cl.segments.get(iface.segment) if iface.segment else next(
                (s for s in cl.segments.values() if host.name in s.members and any(
                    a.value.network.subnet_of(p.value) for a in iface.addresses for p in s.prefixes  # type: ignore[arg-type]
                    if a.value.version == p.value.version)), None)
            limit = iface.mtu
            limit_what = f"interface {iface.name} of {host.name}"
            if seg is not None and seg.mtu is not None:
                if iface.mtu is not None and iface.mtu.value > seg.mtu.value:
                    yield ctx.finding(f"{host.name}:{iface.name}:segment", f"{host.name} {iface.name} has MTU "
                                      f"{iface.mtu.value} but segment {seg.name} carries only {seg.mtu.value}.",
                                      locations=[iface.mtu.loc, seg.mtu.loc],
                                      evidence=[f"interface MTU {iface.mtu.value} ({iface.mtu.loc}); segment MTU {seg.mtu.value} ({seg.mtu.loc})"],
                                      fix=Fix(f"Set the MTU of {iface.name} on {host.name} to {seg.mtu.value}",
                                              iface.mtu.loc.file if iface.mtu.loc else None, f"mtu: {seg.mtu.value}\n"))
                if limit is None or seg.mtu.value < limit.value:
                    limit, limit_what = seg.mtu, f"segment {seg.name}"
            if base and limit is not None and base > limit.value:
                s = c.get("mtu")
                yield ctx.finding(f"{host.name}:{iface.name}", f"Cilium MTU {base} is larger than the {limit.value} "
                                  f"that {limit_what} carries: large packets between pods are dropped.",
                                  locations=[s.loc, limit.loc],
                                  evidence=[ctx.describe_setting("mtu"), f"{limit_what}: MTU {limit.value} ({limit.loc})"],
                                  fix=ctx.fix_setting("mtu", str(limit.value),
                                                      f"Set MTU to {limit.value} or leave it 0 so Cilium uses the device MTU"))
    if c.present and not c.native_routing and base:
        over = _TUNNEL_OVERHEAD.get((c.tunnel_protocol, c.get("underlay-protocol").value or "ipv4"), 50)
        if c.encryption == "wireguard":
            over += _WIREGUARD
        elif c.encryption == "ipsec":
            over += _IPSEC
        mtus = sorted({i.mtu.value for h in cl.hosts.values() for i in h.interfaces.values() if i.mtu is not None})
        if len(mtus) > 1:
            yield ctx.finding("tunnel-mixed", f"In tunnel mode node interfaces have different MTUs ({', '.join(map(str, mtus))}); "
                              f"pods get {base - over} everywhere, which exceeds what the smallest path carries if "
                              f"{base} > {mtus[0]}.", severity="warning", locations=ctx.setting_locs("mtu"),
                              evidence=[ctx.describe_setting("mtu")],
                              fix=Fix("Use one underlay MTU for all nodes, or set MTU to the smallest"))
