"""Repair operators for Cilium: BGP Control Plane resources and Helm values.

Each operator starts from what the model resolved (which advertisements a PeerConfig family selects, which
nodes a ClusterConfig selects, which CRD versions the Cilium release serves, which sessions come up, which pod
CIDRs lie outside the native-routing CIDR) and proposes the one YAML edit, at the user's own line, that flips
it: the value is replaced in place, keeping the line's indentation, quoting and comment."""

from __future__ import annotations

import re
from typing import Any, Iterator

from podpath.diagnostics import Loc
from podpath.readers.yamlsrc import item_loc, key_loc, value_loc
from podpath.repair.candidates import Candidate, RepairContext, operator
from podpath.repair.edit import Patch, TextEdit
from podpath.repair.candidates import edit_distance
from podpath.repair.operators.bird import _shown, lost_pod_routes
from podpath.routing.bgp import Daemon

_SCALAR = re.compile(r"\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<plain>[^\s#,}\]]+)")


def replace_scalar(ctx: RepairContext, loc: Loc, value: str) -> TextEdit | None:
    """Replace the YAML scalar that starts at `loc` by `value`, in the same quoting style (a plain scalar that
    would need quotes gets double quotes)."""
    line = ctx.line(loc.file, loc.line)
    m = _SCALAR.match(line, max(loc.col - 1, 0))
    if m is None:
        return None
    if m.group("dq") is not None:
        text = f'"{value}"'
    elif m.group("sq") is not None:
        text = f"'{value}'"
    else:
        text = value if re.fullmatch(r"[A-Za-z0-9_./-][A-Za-z0-9_./:-]*", value) and not value[0] in "-" else f'"{value}"'
        if ":" in value and not re.fullmatch(r"[0-9a-fA-F:./]+", value):
            text = f'"{value}"'
    new = line[: m.start()] + text + line[m.end():]
    return None if new == line else TextEdit.replace_line(loc.file, loc.line, line, new)


_KEY = re.compile(r"\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<plain>(?:[^\s#,}\]:]|:(?!\s))+)")


def replace_key(ctx: RepairContext, loc: Loc, key: str) -> TextEdit | None:
    """Rename the mapping key that starts at `loc` (same quoting)."""
    line = ctx.line(loc.file, loc.line)
    m = _KEY.match(line, max(loc.col - 1, 0))
    if m is None:
        return None
    q = m.group(0)[0] if m.group(0)[0] in "\"'" else ""
    new = line[: m.start()] + f"{q}{key}{q}" + line[m.end():]
    return None if new == line else TextEdit.replace_line(loc.file, loc.line, line, new)


def _objects(ctx: RepairContext, kind: str) -> list[tuple[Any, str, Loc]]:
    return [(obj, loc.file, loc) for k, obj, loc in ctx.snap.bgp_objects if k == kind and isinstance(obj, dict)]


def _name(obj: Any) -> str:
    md = obj.get("metadata") if isinstance(obj, dict) else None
    return str(md.get("name", "")) if isinstance(md, dict) else ""


def _labels(obj: Any) -> Any:
    md = obj.get("metadata") if isinstance(obj, dict) else None
    lab = md.get("labels") if isinstance(md, dict) else None
    return lab if isinstance(lab, dict) else {}


def _block_end(ctx: RepairContext, file: str, line: int) -> int:
    """The last line of the YAML block that starts at `line` (its key or `- ` item): following lines indented
    deeper, blank lines and comments inside it included."""
    lines = ctx.texts.get(file, "").splitlines()
    first = lines[line - 1]
    ind = len(first) - len(first.lstrip(" -")) if first.lstrip().startswith("- ") else len(first) - len(first.lstrip())
    base = len(first) - len(first.lstrip())
    end = line
    for i in range(line, len(lines)):
        t = lines[i]
        if not t.strip() or t.lstrip().startswith("#"):
            continue
        cur = len(t) - len(t.lstrip())
        if cur > base and (cur >= ind or not first.lstrip().startswith("- ")):
            end = i + 1
            continue
        break
    return end


def _norm(s: str) -> str:
    return re.sub(r"[-_.\s]", "", s.lower())


def _near(a: str, b: str) -> bool:
    return a != b and (_norm(a) == _norm(b) or edit_distance(a, b) <= max(2, min(len(a), len(b)) // 4))


def _adv_kinds(adv: Any) -> set[str]:
    return {str(a.get("advertisementType")) for a in (adv.get("spec") or {}).get("advertisements") or []
            if isinstance(a, dict)}


def _reasons(label: tuple[str, str], others: int, names: set[str]) -> list[str]:
    """Why `label` is likely the one the author means: other objects use it, an object is named after its
    value, or it is the label Cilium's documentation uses (`advertise: bgp`)."""
    k, v = label
    out = []
    if others > 0:
        out.append(f"{others} other selector(s) or label(s) use `{k}: {v}`")
    if v in names:
        out.append(f"an object is named {v}")
    if (k, v) == ("advertise", "bgp"):
        out.append("`advertise: bgp` is the label Cilium's documentation uses")
    return out


# --- a PeerConfig family selects no advertisement: one label apart -------------------------------------------------

@operator("cilium.advertisement-label")
def advertisement_label(ctx: RepairContext) -> Iterator[Candidate]:
    """A CiliumBGPPeerConfig family whose `advertisements.matchLabels` does not select a CiliumBGPAdvertisement
    (of a kind it gets from no other), while that advertisement's labels are one edit away (`advertise: pod-cidr` against `advertise: podcidr`): make them
    agree. Both sides are proposed; the side to keep is the one other objects (or Cilium's documented
    `advertise: bgp`) already use."""
    advs = _objects(ctx, "CiliumBGPAdvertisement")
    pcs = _objects(ctx, "CiliumBGPPeerConfig")
    selectors: list[tuple[str, str]] = []
    for pc, _, _ in pcs:
        for f in (pc.get("spec") or {}).get("families") or []:
            ml = ((f or {}).get("advertisements") or {}).get("matchLabels") if isinstance(f, dict) else None
            if isinstance(ml, dict):
                selectors += [(str(k), str(v)) for k, v in ml.items()]
    all_labels = [(str(k), str(v)) for a, _, _ in advs for k, v in _labels(a).items()]
    names = {_name(o) for _, o, _ in ctx.snap.bgp_objects if isinstance(o, dict)}
    lost = lost_pod_routes(ctx)
    for pc, file, _ in pcs:
        fams = (pc.get("spec") or {}).get("families") or []
        for f in fams:
            if not isinstance(f, dict):
                continue
            sel = f.get("advertisements")
            ml = sel.get("matchLabels") if isinstance(sel, dict) else None
            if not isinstance(ml, dict) or not ml:
                continue
            want = {str(k): str(v) for k, v in ml.items()}
            got_kinds = {t for a, _, _ in advs if all(str(_labels(a).get(k)) == v for k, v in want.items())
                         for t in _adv_kinds(a)}
            for adv, afile, _ in advs:
                if _adv_kinds(adv) <= got_kinds:
                    continue  # the family already gets what this advertisement would give
                have = {str(k): str(v) for k, v in _labels(adv).items()}
                missing = [(k, v) for k, v in want.items() if have.get(k) != v]
                if len(missing) != 1:
                    continue
                k, v = missing[0]
                # the one label of the advertisement that is a near miss: same key, close value; or close key,
                # same value
                miss = None
                if k in have and _near(have[k], v):
                    miss = ("value", k, have[k])
                else:
                    for hk, hv in have.items():
                        if hk not in want and hv == v and _near(hk, k):
                            miss = ("key", hk, hv)
                            break
                if miss is None:
                    continue
                what, hk, hv = miss
                pods = "PodCIDR" in _adv_kinds(adv)
                # evidence for which value the author means: used by other objects, or Cilium's documented one
                sel_side = (k, v)
                adv_side = (hk, hv)
                why_sel = _reasons(sel_side, selectors.count(sel_side) - 1 + all_labels.count(sel_side), names)
                why_adv = _reasons(adv_side, all_labels.count(adv_side) - 1 + selectors.count(adv_side), names)
                votes_sel, votes_adv = len(why_sel), len(why_adv)
                shown = f"{k}: {v}"
                theirs = f"{hk}: {hv}"
                why = (f"CiliumBGPPeerConfig {_name(pc)} selects advertisements labelled `{shown}` for "
                       f"{f.get('afi')}, but CiliumBGPAdvertisement {_name(adv)} is labelled `{theirs}`")
                effect = (f"so Cilium advertises no {'pod CIDR' if pods else 'route'} to the peer"
                          + (f" and {_shown([l.prefix for l in lost])} are not routed" if lost and pods else ""))
                # side 1: the selector takes the advertisement's label
                loc = value_loc(ml, k, file) if what == "value" else key_loc(ml, k, file)
                e1 = replace_scalar(ctx, loc, hv) if what == "value" else replace_key(ctx, loc, hk)
                if e1 is not None:
                    yield Candidate(
                        "cilium.advertisement-label", Patch([e1]),
                        mistake=f"{why} ({loc.file}:{loc.line}), {effect}; write `{theirs}` in the PeerConfig"
                                + (f" ({'; '.join(why_adv)})" if why_adv else "") + ".",
                        fix=f"matchLabels `{theirs}` at {loc.file}:{loc.line}", locations=(loc,),
                        intent=2 + int(votes_adv > votes_sel) - int(votes_sel > votes_adv),
                        evidence=(f"`{shown}` and `{theirs}` differ by {edit_distance(shown, theirs)} character(s)",))
                # side 2: the advertisement takes the selector's label
                labels = _labels(adv)
                loc2 = value_loc(labels, hk, afile) if what == "value" else key_loc(labels, hk, afile)
                e2 = replace_scalar(ctx, loc2, v) if what == "value" else replace_key(ctx, loc2, k)
                if e2 is not None:
                    yield Candidate(
                        "cilium.advertisement-label", Patch([e2]),
                        mistake=f"{why} ({loc2.file}:{loc2.line}), {effect}; label the advertisement `{shown}`"
                                + (f" ({'; '.join(why_sel)})" if why_sel else "") + ".",
                        fix=f"label `{shown}` at {loc2.file}:{loc2.line}", locations=(loc2,),
                        intent=1 + int(votes_sel > votes_adv) - int(votes_adv > votes_sel),
                        evidence=(f"`{shown}` and `{theirs}` differ by {edit_distance(shown, theirs)} character(s)",))


# --- a ClusterConfig's nodeSelector leaves out nodes that hold pods ---------------------------------------------------

def _node_labels(node: Any) -> dict[str, str]:
    labels = getattr(node, "labels", None) or {}
    return {str(k): str(getattr(v, "value", v)) for k, v in labels.items()}


@operator("cilium.node-selector")
def node_selector(ctx: RepairContext) -> Iterator[Candidate]:
    """Nodes that hold pod CIDRs but that no CiliumBGPClusterConfig selects (typically schedulable control
    planes left out by `nodeSelector`) while others are: their pod CIDRs are never advertised. Propose a
    selector every node holding pods matches (a label they share), or no selector at all."""
    nodes = ctx.snap.cluster.nodes
    with_pods = sorted(n for n, node in nodes.items() if node.pod_cidrs)
    res = ctx.snap.cilium_bgp()
    selected = {i.node for i in res.instances}
    left_out = [n for n in with_pods if n not in selected]
    if not left_out or not selected:
        return
    lost = {l.owner for l in lost_pod_routes(ctx)}
    if not lost & set(left_out):
        return  # their pods are reached anyway (e.g. autoDirectNodeRoutes): not the cause of a loss
    common = None
    for n in with_pods:
        labs = set(_node_labels(nodes[n]).items())
        common = labs if common is None else common & labs
    common_labels = sorted(common or (), key=lambda kv: (kv[0] != "kubernetes.io/os", kv))
    for cc, file, _ in _objects(ctx, "CiliumBGPClusterConfig"):
        spec = cc.get("spec")
        if not isinstance(spec, dict) or "nodeSelector" not in spec:
            continue
        sel = spec["nodeSelector"]
        kl = key_loc(spec, "nodeSelector", file)
        where = f"CiliumBGPClusterConfig {_name(cc)}'s nodeSelector ({kl.file}:{kl.line})"
        lead = (f"{where} leaves out {', '.join(left_out)}, which hold{'s' if len(left_out) == 1 else ''} pods, so "
                f"Cilium never advertises {'its' if len(left_out) == 1 else 'their'} pod CIDR"
                f"{'' if len(left_out) == 1 else 's'}")
        ml = sel.get("matchLabels") if isinstance(sel, dict) else None
        if isinstance(ml, dict) and len(ml) == 1 and not sel.get("matchExpressions") and common_labels:
            (k, v), = ((str(a), str(b)) for a, b in ml.items())
            nk, nv = common_labels[0]
            lk, lv = key_loc(ml, k, file), value_loc(ml, k, file)
            edits = []
            if lk.line == lv.line:
                line = ctx.line(lk.file, lk.line)
                m = _SCALAR.match(line, max(lv.col - 1, 0))
                mk = _KEY.match(line, max(lk.col - 1, 0))
                if m is not None and mk is not None and mk.end() <= m.start():
                    q = m.group(0)[0] if m.group(0)[0] in "\"'" and len(m.group(0)) > 2 else ""
                    if not q and (nv in ("", "true", "false") or not re.fullmatch(r"[A-Za-z0-9_./-]+", nv)):
                        q = '"'
                    qk = mk.group(0)[0] if mk.group(0)[0] in "\"'" else ""
                    new = (line[: mk.start()] + f"{qk}{nk}{qk}" + line[mk.end(): m.start()] + f"{q}{nv}{q}"
                           + line[m.end():])
                    if new != line:
                        edits.append(TextEdit.replace_line(lk.file, lk.line, line, new))
            if edits:
                yield Candidate(
                    "cilium.node-selector", Patch(edits),
                    mistake=f"{lead}; select `{nk}: {nv}`, which every node holding pods has.",
                    fix=f"nodeSelector matchLabels `{nk}: {nv}` at {lk.file}:{lk.line}", locations=(lk,), intent=2,
                    evidence=tuple(f"{n} has pod CIDRs {', '.join(str(c.value) for c in nodes[n].pod_cidrs)} and "
                                   "is not selected" for n in left_out[:4]))
        # no selector: every node runs the instance
        end = _block_end(ctx, file, kl.line)
        old = tuple(ctx.line(file, i) for i in range(kl.line, end + 1))
        yield Candidate(
            "cilium.node-selector", Patch([TextEdit(file, kl.line, old, ())]),
            mistake=f"{lead}; remove the nodeSelector so that every node runs the BGP instance.",
            fix=f"delete nodeSelector at {kl.file}:{kl.line}-{end}", locations=(kl,), intent=1,
            evidence=tuple(f"{n} has pod CIDRs and is not selected" for n in left_out[:4]))


# --- a PeerConfig without the family the pod CIDRs need ----------------------------------------------------------------

@operator("cilium.peer-family")
def peer_family(ctx: RepairContext) -> Iterator[Candidate]:
    """Pod CIDRs of a family lost while the CiliumBGPPeerConfig of the nodes' peers lists other families only:
    add the family, written like the existing entry (same advertisements selector)."""
    lost = lost_pod_routes(ctx)
    fams_lost = {l.prefix.version for l in lost}
    if not fams_lost:
        return
    instances = ctx.snap.cilium_bgp().instances
    for pc, file, _ in _objects(ctx, "CiliumBGPPeerConfig"):
        fams = (pc.get("spec") or {}).get("families")
        if not fams or not isinstance(fams, list):
            continue
        have = {str(f.get("afi")) for f in fams if isinstance(f, dict)}
        # the nodes whose Cilium peers through this PeerConfig: only their lost pod CIDRs are evidence
        users = {i.node for i in instances if any(p.peer_config == _name(pc) for p in i.peers)}
        for fam in sorted({l.prefix.version for l in lost if l.owner in users}):
            afi = f"ipv{fam}"
            if afi in have:
                continue
            last = len(fams) - 1
            start = item_loc(fams, last, file).line
            tmpl = fams[last]
            if not isinstance(tmpl, dict) or "afi" not in tmpl:
                continue
            end = _block_end(ctx, file, start)
            lines = [ctx.line(file, i) for i in range(start, end + 1)]
            al = value_loc(tmpl, "afi", file)
            idx = al.line - start
            if not 0 <= idx < len(lines):
                continue
            m = _SCALAR.match(lines[idx], max(al.col - 1, 0))
            if m is None:
                continue
            q = m.group(0)[0] if m.group(0)[0] in "\"'" else ""
            lines[idx] = lines[idx][: m.start()] + f"{q}{afi}{q}" + lines[idx][m.end():]
            prefixes = [l.prefix for l in lost if l.prefix.version == fam]
            yield Candidate(
                "cilium.peer-family", Patch([TextEdit.insert_after(file, end, *lines)]),
                mistake=(f"CiliumBGPPeerConfig {_name(pc)} ({file}:{item_loc(fams, 0, file).line}) lists only "
                         f"{', '.join(sorted(have))}, so Cilium never advertises the IPv{fam} pod CIDRs "
                         f"{_shown(prefixes)}; add an `afi: {afi}` family."),
                fix=f"add family {afi}/unicast after {file}:{end}", locations=(Loc(file, start, 1),), intent=3,
                evidence=tuple(f"{p} not routed" for p in prefixes[:4]))


# --- apiVersion the cluster's Cilium does not serve ----------------------------------------------------------------------

@operator("cilium.api-version")
def api_version(ctx: RepairContext) -> Iterator[Candidate]:
    """A Cilium BGP object in an apiVersion the cluster's Cilium release does not serve (BG001): the API server
    refuses it. Write the version that release serves (the newest, for these kinds the fields are the same)."""
    from podpath.model.cilium_bgp import SERVED, not_served

    minor = ctx.snap.cilium.version_minor
    for kind, obj, loc in ctx.snap.bgp_objects:
        if not isinstance(obj, dict) or kind not in SERVED:
            continue
        api = str(obj.get("apiVersion", ""))
        why = not_served(kind, api, minor)
        if why is None:
            continue
        served = sorted((v for v, (lo, hi) in SERVED[kind].items() if lo <= minor and (hi is None or minor <= hi)),
                        key=lambda v: (v.startswith("v2alpha"), v))
        if not served:
            continue
        vl = value_loc(obj, "apiVersion", loc.file)
        e = replace_scalar(ctx, vl, f"cilium.io/{served[0]}")
        if e is None:
            continue
        yield Candidate(
            "cilium.api-version", Patch([e]),
            mistake=(f"{kind} {_name(obj)} ({vl.file}:{vl.line}) uses {api}, which Cilium "
                     f"{minor[0]}.{minor[1]} does not serve, so the API server refuses it; write "
                     f"`apiVersion: cilium.io/{served[0]}`."),
            fix=f"apiVersion: cilium.io/{served[0]} at {vl.file}:{vl.line}", locations=(vl,), intent=3,
            evidence=(why,))


# --- peer ASN ---------------------------------------------------------------------------------------------------------

def _peer_map(ctx: RepairContext, loc: Loc) -> Any:
    """The ClusterConfig peer mapping written at `loc` (the item of `bgpInstances[].peers`)."""
    for cc, file, _ in _objects(ctx, "CiliumBGPClusterConfig"):
        if file != loc.file:
            continue
        for inst in (cc.get("spec") or {}).get("bgpInstances") or []:
            peers = inst.get("peers") if isinstance(inst, dict) else None
            for j, p in enumerate(peers or []):
                il = item_loc(peers, j, file)
                if (il.line, il.col) == (loc.line, loc.col) and isinstance(p, dict):
                    return p
    return None


@operator("cilium.peer-asn")
def peer_asn(ctx: RepairContext) -> Iterator[Candidate]:
    """Sessions from Cilium down because the ClusterConfig's `peerASN` is not the AS the router uses: write the
    router's AS, or 0 (Cilium accepts any) when one peer entry serves routers of different ASes."""
    if not ctx.snap.has_control_plane:
        return
    by_peer: dict[Loc, list[tuple[Any, Any]]] = {}
    for s in ctx.snap.simulate().sessions:
        if s.up or s.unknown or s.b is None:
            continue
        for me, other in ((s.a, s.b), (s.b, s.a)):
            if me.speaker.daemon is not Daemon.CILIUM or not me.peer.remote_as:
                continue
            if me.peer.remote_as != other.peer.local_as and other.peer.local_as:
                by_peer.setdefault(me.peer.loc, []).append((me, other))
    for loc, pairs in sorted(by_peer.items()):
        pm = _peer_map(ctx, loc)
        if pm is None or "peerASN" not in pm:
            continue
        theirs = sorted({o.peer.local_as for _, o in pairs})
        # every session this entry configures (up ones included): one AS for all, or several
        all_as = set(theirs)
        for s in ctx.snap.simulate().sessions:
            for me, other in ((s.a, s.b), (s.b, s.a)):
                if other is not None and me.peer.loc == loc and other.peer.local_as:
                    all_as.add(other.peer.local_as)
        value = str(theirs[0]) if len(all_as) == 1 else "0"
        vl = value_loc(pm, "peerASN", loc.file)
        e = replace_scalar(ctx, vl, value)
        if e is None:
            continue
        routers = ", ".join(sorted({o.speaker.id for _, o in pairs})[:4])
        yield Candidate(
            "cilium.peer-asn", Patch([e]),
            mistake=(f"peer {pm.get('name')} ({vl.file}:{vl.line}) expects peerASN {pm.get('peerASN')}, but "
                     f"{routers} use{'s' if len(pairs) == 1 else ''} AS {', '.join(map(str, sorted(all_as)))}, so "
                     f"the session{'s' if len(pairs) > 1 else ''} never come{'s' if len(pairs) == 1 else ''} up; "
                     f"write `peerASN: {value}`" + (" (Cilium then accepts the AS each router uses)" if value == "0"
                                                     else "") + "."),
            fix=f"peerASN: {value} at {vl.file}:{vl.line}", locations=(vl,), intent=3 if value != "0" else 2,
            evidence=tuple(f"{m.speaker.id} -> {o.speaker.id}: AS {o.peer.local_as}" for m, o in pairs[:4]))


# --- Helm: a native-routing CIDR that leaves pod CIDRs out ----------------------------------------------------------------

@operator("cilium.native-routing-cidr")
def native_routing_cidr(ctx: RepairContext) -> Iterator[Candidate]:
    """With native routing and masquerading, pod CIDRs outside `ipvXNativeRoutingCIDR` are masqueraded
    (NR002): widen the CIDR, at its own line in the Helm values (or ConfigMap), to the smallest prefix holding
    it and every pod CIDR."""
    from podpath.checks.base import CheckContext, covering_prefix

    c = ctx.snap.cilium
    if not c.present or not c.native_routing or c.ip_masq_agent:
        return
    cc = CheckContext(ctx.snap)
    for fam in cc.families():
        if not c.masquerade(fam):
            continue
        native = c.native_cidr(fam)
        setting = c.native_cidr_setting(fam)
        if native is None or setting.loc is None or setting.origin not in ("helm", "configmap", "extraConfig"):
            continue
        outside = sorted({p.value for p in cc.pod_cidrs(fam) if not p.value.subnet_of(native)},  # type: ignore[arg-type]
                         key=lambda n: (int(n.network_address), n.prefixlen))
        if not outside:
            continue
        widest = [n for n in outside if not any(n != o and n.subnet_of(o) for o in outside)]
        fixed = covering_prefix([native] + widest)
        e = replace_scalar(ctx, setting.loc, str(fixed))
        if e is None:
            continue
        name = setting.helm_key if setting.origin == "helm" and setting.helm_key else f"ipv{fam}-native-routing-cidr"
        yield Candidate(
            "cilium.native-routing-cidr", Patch([e]),
            mistake=(f"{name} {native} ({setting.loc.file}:{setting.loc.line}) does not contain the pod CIDR"
                     f"{'s' if len(widest) > 1 else ''} {_shown(widest)}, so Cilium masquerades pod-to-pod traffic "
                     f"across nodes; write {fixed}, the smallest prefix holding both."),
            fix=f"{name}: {fixed} at {setting.loc.file}:{setting.loc.line}", locations=(setting.loc,), intent=3,
            evidence=tuple(f"pod CIDR {n} is outside {native}" for n in widest[:4]))


@operator("cilium.peer-port")
def peer_port(ctx: RepairContext) -> Iterator[Candidate]:
    """Sessions from Cilium down because the PeerConfig's `transport.peerPort` is not the port the router listens
    on (and the router cannot connect back: Cilium has no listener without localPort): write that port."""
    from podpath.routing.sessions import wrong_ports

    if not ctx.snap.has_control_plane:
        return
    by_loc: dict[Loc, tuple[Any, set[int], list[str]]] = {}
    for s in ctx.snap.simulate().sessions:
        if s.unknown:
            continue
        for me, other, listen in wrong_ports(s):
            if me.speaker.daemon is not Daemon.CILIUM:
                continue
            pm = _peer_map(ctx, me.peer.loc)
            ref = (pm.get("peerConfigRef") or {}).get("name") if isinstance(pm, dict) else None
            for obj, file, _ in _objects(ctx, "CiliumBGPPeerConfig"):
                tr = (obj.get("spec") or {}).get("transport")
                if _name(obj) != ref or not isinstance(tr, dict) or "peerPort" not in tr:
                    continue
                vl = value_loc(tr, "peerPort", file)
                entry = by_loc.setdefault(vl, (obj, set(), []))
                entry[1].add(listen)
                entry[2].append(f"{me.speaker.id} -> {other.speaker.id}: listens on {listen}")
    for vl, (obj, ports, ev) in sorted(by_loc.items()):
        if len(ports) != 1:
            continue  # one PeerConfig serves routers listening on different ports: no single value fixes it
        listen = next(iter(ports))
        e = replace_scalar(ctx, vl, str(listen))
        if e is None:
            continue
        was = str((obj.get("spec") or {}).get("transport", {}).get("peerPort"))
        yield Candidate(
            "cilium.peer-port", Patch([e]),
            mistake=(f"CiliumBGPPeerConfig {_name(obj)} ({vl.file}:{vl.line}) connects to port {was}, but the "
                     f"router listens on port {listen}, and Cilium (no localPort) accepts no connection, so the "
                     f"session never comes up; write `peerPort: {listen}`."),
            fix=f"peerPort: {listen} at {vl.file}:{vl.line}", locations=(vl,),
            intent=3 if edit_distance(was, str(listen)) <= 2 else 2, evidence=tuple(sorted(ev)[:4]))
