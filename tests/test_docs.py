"""Documentation that is generated must be current."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_rules_doc_is_current():
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_rules_doc.py"), "--check"])
    assert r.returncode == 0, "docs/rules.md is stale: run python tools/gen_rules_doc.py"


def test_every_rule_has_documentation():
    from podpath.checks import RULES

    for r in RULES.values():
        assert len(r.doc) > 80, f"{r.id} needs a docstring explaining what it means and how to fix it"
