"""`podpath report` as a browser shows it: headless Chromium renders the file (offline, from file://) and the
screenshot must hold the picture — not blank, and the session colours of the snapshot's states, and only
those (seed 004: every session established; the small fixture: one up, one down, one unknown)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from podpath import htmlreport
from reportsnap import FIXTURE, SEED004, report_of, write

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (.ci/install-daemons installs the "
                                "Debian package `chromium` in CI; `apt-get install chromium` here)")


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB bytes) of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes);
    zlib and the five PNG row filters, so the tests need no imaging library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        prev = line
        rows.append(bytes(line) if bpp == 3 else bytes(v for k, v in enumerate(line) if k % 4 != 3))
    return w, h, rows


def colours(rows: list[bytes]) -> dict[tuple[int, int, int], int]:
    out: dict[tuple[int, int, int], int] = {}
    for row in rows:
        for i in range(0, len(row), 3):
            px = (row[i], row[i + 1], row[i + 2])
            out[px] = out.get(px, 0) + 1
    return out


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def screenshot(html: str, tmp: Path) -> dict[tuple[int, int, int], int]:
    page, png = tmp / "report.html", tmp / "shot.png"
    page.write_text(html, encoding="utf-8")
    cmd = [CHROMIUM, "--headless=new", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           f"--user-data-dir={tmp / 'profile'}", f"--screenshot={png}", "--window-size=1400,1000", page.as_uri()]
    if os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp)})
    assert png.exists(), res.stderr[-2000:]
    w, h, rows = decode_png(png.read_bytes())
    assert (w, h) == (1400, 1000)
    return colours(rows)


def _check(html: str, tmp: Path, present: set[str]) -> None:
    seen = screenshot(html, tmp)
    white = seen.get((255, 255, 255), 0)
    assert white < 0.97 * 1400 * 1000, "the screenshot is blank"
    assert len(seen) > 50, "too few colours for a page with text and a picture"
    for state, colour in htmlreport.STATE_COLOUR.items():
        n = seen.get(rgb(colour), 0)
        if state in present:
            assert n >= 100, f"{state} ({colour}) not in the screenshot: {n} pixels"
        else:
            assert n == 0, f"{state} ({colour}) drawn although no session is {state}: {n} pixels"


def test_seed004_renders_its_established_sessions(tmp_path: Path) -> None:
    _, html = report_of(SEED004)
    _check(html, tmp_path, {"established"})


def test_fixture_renders_up_down_and_unknown(tmp_path: Path) -> None:
    _, html = report_of(write(tmp_path / "s", FIXTURE))
    _check(html, tmp_path, {"established", "down", "unknown"})
