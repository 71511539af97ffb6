"""snapshot._parsed_router: router configs parsed once per (kind, file, text) for the loads with an overlay
(a repair's verifications), each load getting its own copy that reads as a fresh parse would."""

from __future__ import annotations

import json
from pathlib import Path

import podpath
from podpath import snapshot as S
from podpath.diagnostics import Diagnostics, Loc
from podpath.report import check_document

BEFORE_FIX = Path(__file__).resolve().parents[1] / "examples/seed004-bgp-pod-cidr/before-fix"


def _doc(snap: podpath.Snapshot) -> str:
    return json.dumps(check_document(snap, snap.check()), sort_keys=True)


def test_overlay_loads_read_the_cached_configs_as_fresh_ones() -> None:
    S._ROUTERS.clear()
    plain = podpath.load(BEFORE_FIX)
    assert not S._ROUTERS  # a plain load remembers nothing
    first = podpath.load(BEFORE_FIX, overlay={})
    n = len(S._ROUTERS)
    assert n == len(plain.routers) > 0
    second = podpath.load(BEFORE_FIX, overlay={})
    assert len(S._ROUTERS) == n  # every config came from the cache
    assert _doc(first) == _doc(second) == _doc(plain)
    for a, b in zip(first.routers, second.routers):
        assert a.config is not b.config  # each load its own copy: a reader or the simulator may annotate it


def test_an_edited_file_is_parsed_again() -> None:
    plain = podpath.load(BEFORE_FIX)
    name = next(r.file for r in plain.routers if r.dialect == "frr")
    edited = plain.texts[name].replace("route-map", "route-map", 1) + "\n! edited\n"
    podpath.load(BEFORE_FIX, overlay={})
    before = len(S._ROUTERS)
    snap = podpath.load(BEFORE_FIX, overlay={name: edited})
    assert len(S._ROUTERS) == before + 1
    assert snap.texts[name] == edited


def test_copies_share_module_level_instances_and_replay_diagnostics() -> None:
    from podpath.readers.bird.values import UNDEF_PATH

    def parser(text: str, name: str, diags: Diagnostics) -> dict[str, object]:
        diags.warning(Loc(name, 1, 1), "odd")
        return {"path": UNDEF_PATH, "text": text}

    S._ROUTERS.clear()
    outs = []
    for _ in range(2):
        d = Diagnostics()
        outs.append(S._parsed_router(parser, "bird", "x", "r.conf", d))
        assert [x.message for x in d._items] == ["odd"]
    assert outs[0] is not outs[1] and outs[0] == outs[1]
    assert outs[1]["path"] is UNDEF_PATH  # `v is UNDEF_PATH` still holds for the copy
