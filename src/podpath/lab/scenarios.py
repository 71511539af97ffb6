"""Random but realistic routing scenarios for the differential suite (lab vs simulator).

A scenario is a small snapshot: two to four routers (FRR or BIRD 2) on one L2 segment,
eBGP and iBGP sessions (some through route reflectors), prefixes originated from static
routes, and import/export policies of the kinds operators write: prefix filters,
community and large-community tagging and matching, AS-path filters, local preference,
MED and AS-path prepending. Some sessions are broken on purpose (wrong remote AS, a
family not activated, both sides passive, a neighbor configured on one side only), and
FRR's `ebgp-requires-policy` is sometimes left on. Every statement used is one podpath
models; the generator never emits what the lab cannot run (VRFs need the kernel's `vrf`
link type).

Scenarios with distinct indexes use disjoint host names and address ranges, so several
can share one lab run (`merge`) and still be compared and reproduced one by one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Scenario", "generate", "merge", "write"]

CILIUM_VERSION = "1.18.6"
_POLICY_KINDS = ("accept", "prefix", "community", "large", "aspath", "localpref", "med", "prepend")


@dataclass
class _Router:
    index: int
    name: str
    daemon: str  # "frr" | "bird" | "cilium" (the Cilium agent's BGP speaker, GoBGP in the lab)
    asn: int
    addr: str
    rid: str
    prefixes: list[str] = field(default_factory=list)
    rr: bool = False
    requires_policy: bool = False
    profile: str = "traditional"


@dataclass
class _Side:
    """One router's configuration of one session."""

    configured: bool = True
    remote_as: int | None = None  # None: the peer's real AS
    activate: bool = True
    passive: bool = False
    rr_client: bool = False
    next_hop_self: bool = False
    imp: tuple[str, int] = ("accept", 0)
    exp: tuple[str, int] = ("accept", 0)


@dataclass
class Scenario:
    """A generated snapshot: file name -> text, plus what it was generated from."""

    seed: int
    index: int
    files: dict[str, str]
    summary: str

    @property
    def hosts(self) -> list[str]:
        return sorted(n.split("/", 1)[1].rsplit(".", 1)[0] for n in self.files if n != "podpath.yaml")


def _pfx(scn: int, router: int, k: int) -> str:
    return f"fd{scn // 256 + 0x10:02x}:{scn % 256:x}:{router}{k}::/64"


def generate(seed: int, index: int = 0, *, frr_version: str = "8.4.4") -> Scenario:
    """Scenario number `index` (names and addresses) drawn from `seed` (everything else)."""
    rnd = random.Random(seed)
    n = rnd.randint(2, 4)
    lan = f"fd{index // 256 + 0x10:02x}:{index % 256:x}::"
    asns = [65001, 65002, 65003, 65004]
    routers: list[_Router] = []
    cilium_at = rnd.randrange(n) if rnd.random() < 0.4 else None  # one Cilium node in some scenarios
    for j in range(n):
        asn = rnd.choice(asns[: max(2, n - 1)]) if rnd.random() < 0.5 else asns[j]
        daemon = "cilium" if j == cilium_at else rnd.choice(("frr", "bird"))
        r = _Router(j, f"s{index}r{j}", daemon, asn, f"{lan}{j + 1}",
                    f"10.{index % 250}.{index // 250}.{j + 1}")
        r.prefixes = [_pfx(index, j, k) for k in range(1 if daemon == "cilium" else rnd.randint(1, 2))]
        r.requires_policy = rnd.random() < 0.25
        r.profile = rnd.choice(("traditional", "datacenter"))
        routers.append(r)
    if sum(r.daemon != "cilium" for r in routers) >= 3 and rnd.random() < 0.5:  # an anycast prefix originated twice: best-path selection
        shared = _pfx(index, 9, 9)
        for r in rnd.sample([r for r in routers if r.daemon != "cilium"], 2):
            r.prefixes.append(shared)
    # Sessions: a random connected graph plus extra edges.
    order = list(range(n))
    rnd.shuffle(order)
    edges = {tuple(sorted((order[i], order[rnd.randrange(i)]))) for i in range(1, n)}
    for a in range(n):
        for b in range(a + 1, n):
            if rnd.random() < 0.4:
                edges.add((a, b))
    sides: dict[tuple[int, int], _Side] = {}
    notes: list[str] = []
    for a, b in sorted(edges):
        ibgp = routers[a].asn == routers[b].asn
        for x, y in ((a, b), (b, a)):
            s = _Side(imp=_policy(rnd), exp=_policy(rnd))
            if ibgp and routers[x].rr is False and routers[x].daemon != "cilium" and rnd.random() < 0.3:
                routers[x].rr = True
            s.rr_client = ibgp and routers[x].rr and rnd.random() < 0.8
            s.next_hop_self = ibgp and routers[x].daemon != "cilium" and rnd.random() < 0.2
            sides[(x, y)] = s
        fault = rnd.random()
        x, y = (a, b) if rnd.random() < 0.5 else (b, a)
        if fault < 0.05:
            sides[(x, y)].remote_as = routers[y].asn + 10
            sides[(x, y)].rr_client = False  # FRR refuses route-reflector-client on a now-eBGP neighbor
            notes.append(f"{routers[x].name}: wrong remote AS for {routers[y].name}")
        elif fault < 0.09:
            sides[(x, y)].activate = False
            notes.append(f"{routers[x].name}: ipv6 not activated towards {routers[y].name}")
        elif fault < 0.12:
            for u, v in ((x, y), (y, x)):
                sides[(u, v)].passive = routers[u].daemon != "cilium"  # Cilium has no passive mode
            notes.append(f"{routers[x].name}<->{routers[y].name}: passive")
        elif fault < 0.15:
            sides[(x, y)].configured = False
            notes.append(f"{routers[x].name}: no neighbor {routers[y].name}")
        elif fault < 0.25:
            sides[(x, y)].passive = routers[x].daemon != "cilium"
    files: dict[str, str] = {"podpath.yaml": _manifest(routers, index, lan)}
    for r in routers:
        mine = {y: s for (x, y), s in sides.items() if x == r.index and s.configured}
        if r.daemon == "frr":
            files[f"frr/{r.name}.conf"] = _frr(r, routers, mine, frr_version)
        elif r.daemon == "bird":
            files[f"bird/{r.name}.conf"] = _bird(r, routers, mine)
        else:
            files.update(_cilium(r, routers, mine, index, rnd))
    summary = ", ".join(f"{r.name}={r.daemon}/AS{r.asn}{'/rr' if r.rr else ''}" for r in routers)
    summary += f"; sessions {sorted(edges)}" + (f"; faults: {'; '.join(notes)}" if notes else "")
    return Scenario(seed, index, files, summary)


def _policy(rnd: random.Random) -> tuple[str, int]:
    kind = rnd.choice(_POLICY_KINDS) if rnd.random() < 0.7 else "accept"
    return kind, rnd.randrange(1000)


def _manifest(routers: list[_Router], index: int, lan: str) -> str:
    lines = ["versions:", f"  cilium: {CILIUM_VERSION}", "hosts:"]
    for r in routers:
        lines.append(f'  {r.name}: {{interfaces: {{eth0: {{addresses: ["{r.addr}/64"], segment: s{index}lan}}}}}}')
    lines += ["segments:", f'  s{index}lan: {{prefixes: ["{lan}/64"]}}']
    return "\n".join(lines) + "\n"


# --- FRR -------------------------------------------------------------------------------------


def _frr(r: _Router, routers: list[_Router], sides: dict[int, _Side], version: str) -> str:
    out = [f"frr version {version}", f"frr defaults {r.profile}", f"hostname {r.name}", "!"]
    out += [f"ipv6 route {p} blackhole" for p in r.prefixes]
    out += ["!", f"router bgp {r.asn}", f" bgp router-id {r.rid}", " no bgp default ipv4-unicast"]
    out.append(" bgp ebgp-requires-policy" if r.requires_policy else " no bgp ebgp-requires-policy")
    policies: list[str] = []
    for y, s in sorted(sides.items()):
        peer = routers[y]
        out.append(f" neighbor {peer.addr} remote-as {s.remote_as or peer.asn}")
        if s.passive:
            out.append(f" neighbor {peer.addr} passive")
        out.append(f" neighbor {peer.addr} timers connect 1")
    out += [" !", " address-family ipv6 unicast"]
    out += [f"  network {p}" for p in r.prefixes]
    for y, s in sorted(sides.items()):
        peer = routers[y]
        if not s.activate:
            continue
        out.append(f"  neighbor {peer.addr} activate")
        if s.rr_client:
            out.append(f"  neighbor {peer.addr} route-reflector-client")
        if s.next_hop_self:
            out.append(f"  neighbor {peer.addr} next-hop-self")
        for direction, (kind, k) in (("in", s.imp), ("out", s.exp)):
            name = f"RM_{direction.upper()}_{peer.name.upper()}"
            text = _frr_route_map(name, kind, k, direction, r, routers)
            if text is None:
                continue
            policies.append(text)
            out.append(f"  neighbor {peer.addr} route-map {name} {direction}")
    out += [" exit-address-family", "exit", "!"]
    return "\n".join(out + policies) + "\n"


def _frr_route_map(name: str, kind: str, k: int, direction: str, r: _Router, routers: list[_Router]) -> str | None:
    """An FRR route-map of the given kind; None for no policy at all (k odd) on `accept`."""
    if kind == "accept":
        return None if k % 2 else f"route-map {name} permit 10\nexit\n!"
    others = [p for o in routers for p in o.prefixes]
    target = others[k % len(others)]
    net = target.split("::/")[0]
    if kind == "prefix":
        action = "deny" if k % 3 == 0 else "permit"
        return (f"ipv6 prefix-list PL_{name} seq 5 {action} {net}::/60 le 64\n"
                f"ipv6 prefix-list PL_{name} seq 10 {'permit' if action == 'deny' else 'deny'} any\n"
                f"route-map {name} permit 10\n match ipv6 address prefix-list PL_{name}\nexit\n!")
    if kind == "community":
        if direction == "out":
            return f"route-map {name} permit 10\n set community {r.asn}:{k % 50} additive\nexit\n!"
        return (f"bgp community-list standard CL_{name} permit {65000 + k % 5}:{k % 50}\n"
                f"route-map {name} deny 10\n match community CL_{name}\nexit\n"
                f"route-map {name} permit 20\n set local-preference {150 + k % 50}\nexit\n!")
    if kind == "large":
        if direction == "out":
            return f"route-map {name} permit 10\n set large-community {r.asn}:0:{k % 7}\nexit\n!"
        return (f"bgp large-community-list standard LC_{name} permit {65000 + k % 5}:0:{k % 7}\n"
                f"route-map {name} permit 5\n match large-community LC_{name}\n set local-preference 300\nexit\n"
                f"route-map {name} permit 10\nexit\n!")
    if kind == "aspath":
        asn = 65001 + k % 4
        return (f"bgp as-path access-list AP_{name} seq 5 deny _{asn}_\n"
                f"bgp as-path access-list AP_{name} seq 10 permit .*\n"
                f"route-map {name} permit 10\n match as-path AP_{name}\nexit\n!")
    if kind == "localpref":
        return (f"ipv6 prefix-list PL_{name} seq 5 permit {net}::/60 le 64\n"
                f"route-map {name} permit 10\n match ipv6 address prefix-list PL_{name}\n"
                f" set local-preference {50 + k % 200}\nexit\nroute-map {name} permit 20\nexit\n!")
    if kind == "med":
        return f"route-map {name} permit 10\n set metric {k % 100}\nexit\n!"
    if kind == "prepend":
        return f"route-map {name} permit 10\n set as-path prepend {r.asn} {r.asn}\nexit\n!"
    raise ValueError(kind)


# --- BIRD ------------------------------------------------------------------------------------


def _bird(r: _Router, routers: list[_Router], sides: dict[int, _Side]) -> str:
    out = [f"router id {r.rid};", "protocol device { }", "protocol direct { ipv6; interface \"eth0\"; }",
           "protocol static st_orig { ipv6;"]
    out += [f"  route {p} blackhole;" for p in r.prefixes]
    out.append("}")
    for y, s in sorted(sides.items()):
        peer = routers[y]
        imp = _bird_filter(f"in_{peer.name}", *s.imp, "in", r, routers)
        exp = _bird_filter(f"out_{peer.name}", *s.exp, "out", r, routers)
        out += [f for f in (imp[1], exp[1]) if f]
        out.append(f"protocol bgp p_{peer.name} {{")
        out.append(f"  local {r.addr} as {r.asn};")
        out.append(f"  neighbor {peer.addr} as {s.remote_as or peer.asn};")
        out.append("  connect retry time 1;")
        if s.passive:
            out.append("  passive on;")
        if s.rr_client:
            out.append("  rr client;")
        if s.activate:
            nhs = " next hop self;" if s.next_hop_self else ""
            out.append(f"  ipv6 {{ import {imp[0]}; export {exp[0]};{nhs} }};")
        else:
            out.append("  ipv4 { import all; export none; };")
        out.append("}")
    return "\n".join(out) + "\n"


def _bird_filter(name: str, kind: str, k: int, direction: str, r: _Router,
                 routers: list[_Router]) -> tuple[str, str]:
    """(what follows `import`/`export`, filter definition or "")."""
    base = 'source = RTS_STATIC || source = RTS_BGP' if direction == "out" else "true"
    if kind == "accept":
        return (f"where {base}", "") if direction == "out" or k % 2 == 0 else ("all", "")
    others = [p for o in routers for p in o.prefixes]
    target = others[k % len(others)]
    net = target.split("::/")[0]
    head = f"filter f_{name} {{\n  if !({base}) then reject;\n"
    if kind == "prefix":
        verdict = ("reject", "accept") if k % 3 == 0 else ("accept", "reject")
        body = f"  if net ~ [ {net}::/60{{60,64}} ] then {verdict[0]};\n  {verdict[1]};\n"
    elif kind == "community":
        if direction == "out":
            body = f"  bgp_community.add(({r.asn}, {k % 50}));\n  accept;\n"
        else:
            body = (f"  if ({65000 + k % 5}, {k % 50}) ~ bgp_community then reject;\n"
                    f"  bgp_local_pref = {150 + k % 50};\n  accept;\n")
    elif kind == "large":
        if direction == "out":
            body = f"  bgp_large_community.add(({r.asn}, 0, {k % 7}));\n  accept;\n"
        else:
            body = f"  if ({65000 + k % 5}, 0, {k % 7}) ~ bgp_large_community then bgp_local_pref = 300;\n  accept;\n"
    elif kind == "aspath":
        body = f"  if bgp_path ~ [= * {65001 + k % 4} * =] then reject;\n  accept;\n"
    elif kind == "localpref":
        body = f"  if net ~ [ {net}::/60{{60,64}} ] then bgp_local_pref = {50 + k % 200};\n  accept;\n"
    elif kind == "med":
        body = f"  bgp_med = {k % 100};\n  accept;\n"
    elif kind == "prepend":
        body = f"  bgp_path.prepend({r.asn});\n  bgp_path.prepend({r.asn});\n  accept;\n"
    else:
        raise ValueError(kind)
    return f"filter f_{name}", head + body + "}"


# --- Cilium ----------------------------------------------------------------------------------

_CILIUM_VALUES = """routingMode: native
autoDirectNodeRoutes: false
ipv4:
  enabled: false
ipv6:
  enabled: true
ipv6NativeRoutingCIDR: fd00::/8
ipam:
  mode: kubernetes
bgpControlPlane:
  enabled: true
"""


def _cilium(r: _Router, routers: list[_Router], sides: dict[int, _Side], index: int,
            rnd: random.Random) -> dict[str, str]:
    """The Node, and the Cilium BGP resources that make this node's agent peer with `sides`:
    its pod CIDR advertised (PodCIDR advertisement) with random communities / local-pref."""
    api = rnd.choice(("cilium.io/v2alpha1", "cilium.io/v2"))
    label = f"s{index}"
    node = (f"apiVersion: v1\nkind: Node\nmetadata:\n  name: {r.name}\n  labels:\n    podpath-scenario: {label}\n"
            f"spec:\n  podCIDRs: [\"{r.prefixes[0]}\"]\nstatus:\n  addresses:\n"
            f"  - {{type: InternalIP, address: \"{r.addr}\"}}\n")
    peers, docs = [], []
    for y, s in sorted(sides.items()):
        peer = routers[y]
        pc = f"{label}-pc-{peer.name}"
        peers.append(f"        - name: {peer.name}\n          peerAddress: \"{peer.addr}\"\n"
                     f"          peerASN: {s.remote_as or peer.asn}\n          peerConfigRef:\n            name: {pc}")
        family = "ipv6" if s.activate else "ipv4"
        docs.append(f"apiVersion: {api}\nkind: CiliumBGPPeerConfig\nmetadata:\n  name: {pc}\nspec:\n"
                    f"  families:\n    - afi: {family}\n      safi: unicast\n      advertisements:\n"
                    f"        matchLabels:\n          advertise: {label}\n")
    attrs = []
    if rnd.random() < 0.5:
        attrs.append(f"        communities:\n          standard: [\"{r.asn}:{rnd.randrange(100)}\"]")
        if rnd.random() < 0.5:
            attrs.append(f"          large: [\"{r.asn}:0:{rnd.randrange(10)}\"]")
    if rnd.random() < 0.4:
        attrs.append(f"        localPreference: {rnd.randrange(50, 300)}")
    adv = (f"apiVersion: {api}\nkind: CiliumBGPAdvertisement\nmetadata:\n  name: {label}-podcidr\n"
           f"  labels:\n    advertise: {label}\nspec:\n  advertisements:\n    - advertisementType: PodCIDR\n")
    if attrs:
        adv += "      attributes:\n" + "\n".join(attrs) + "\n"
    cluster = (f"apiVersion: {api}\nkind: CiliumBGPClusterConfig\nmetadata:\n  name: {label}-bgp\nspec:\n"
               f"  nodeSelector:\n    matchLabels:\n      podpath-scenario: {label}\n  bgpInstances:\n"
               f"    - name: {label}\n      localASN: {r.asn}\n      peers:\n" + ("\n".join(peers) if peers else "        []")
               + "\n")
    return {f"kubernetes/{r.name}.yaml": node, "cilium/values.yaml": _CILIUM_VALUES,
            f"cilium/{label}-bgp.yaml": "\n---\n".join([cluster, *docs, adv])}


# --- batches ---------------------------------------------------------------------------------


def merge(scenarios: list[Scenario]) -> dict[str, str]:
    """One snapshot holding several scenarios side by side (disjoint hosts and segments)."""
    hosts: list[str] = []
    segs: list[str] = []
    files: dict[str, str] = {}
    for s in scenarios:
        text = s.files["podpath.yaml"]
        part = "hosts"
        for line in text.splitlines():
            if line in ("versions:", "hosts:", "segments:"):
                part = line[:-1]
                continue
            if part != "versions":
                (hosts if part == "hosts" else segs).append(line)
        files.update({k: v for k, v in s.files.items() if k != "podpath.yaml"})
    files["podpath.yaml"] = "\n".join(["versions:", f"  cilium: {CILIUM_VERSION}", "hosts:", *hosts, "segments:",
                                       *segs]) + "\n"
    return files


def write(files: dict[str, str], root: Path) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root
