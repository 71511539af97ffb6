"""Rewrite src/podpath/readers/bird/bird_tables.json from bird.lark (run after editing the grammar).

    python tools/gen_bird_tables.py

The file holds the LALR(1) tables Lark computes for bird.lark, in a canonical form (see
podpath.readers.bird.parser.build_table_data), so that parsing does not rebuild them on every run.
tests/readers/test_bird_tables.py fails while the file does not match the grammar."""

from __future__ import annotations

import json
from pathlib import Path

from podpath.readers.bird.parser import TABLES_FILE, build_table_data

if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "src" / "podpath" / "readers" / "bird" / TABLES_FILE
    out.write_text(json.dumps(build_table_data(), separators=(",", ":")) + "\n")
    print(f"wrote {out}")
