"""The shipped LALR tables (bird_tables.json) are the ones Lark builds from bird.lark.

Parsing loads the precomputed tables instead of importing Lark and rebuilding them on every run;
after an edit to bird.lark, `python tools/gen_bird_tables.py` rewrites them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources

from podpath.readers.bird import parser as P


def _shipped() -> dict:
    return json.loads(resources.files("podpath.readers.bird").joinpath(P.TABLES_FILE).read_text())


def test_shipped_tables_match_the_grammar() -> None:
    assert _shipped() == P.build_table_data(), "bird.lark changed: run python tools/gen_bird_tables.py"


def test_tables_are_the_same_whatever_the_hash_seed() -> None:
    code = ("import json, sys; from podpath.readers.bird.parser import build_table_data; "
            "sys.stdout.write(json.dumps(build_table_data()))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "4242")}
    assert len(outs) == 1 and json.loads(outs.pop()) == _shipped()


def test_parsing_with_shipped_tables_does_not_import_lark() -> None:
    code = ("import sys; from podpath.readers.bird import parse_bird; from podpath.diagnostics import Diagnostics; "
            "parse_bird('router id 1.2.3.4;\\nprotocol device { }\\n', 'b.conf', Diagnostics()); "
            "print('lark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

