"""`podpath policy test|search|compare` on seed 004."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from podpath.cli import app

EX = Path(__file__).resolve().parent.parent / "examples" / "seed004-bgp-pod-cidr"
runner = CliRunner()


def run(*args: str) -> tuple[int, dict]:
    r = runner.invoke(app, [*args, "--format", "json"])
    return r.exit_code, (json.loads(r.stdout) if r.exit_code == 0 else {"stderr": r.output})


def test_policy_test_gives_decision_and_clause() -> None:
    code, doc = run("policy", "test", str(EX / "complete"), "--at", "pve01", "--neighbor", "fd00:101::21",
                    "--route", "fd00:101:224:3::/64 large-community 4200001000:0:100")
    assert code == 0 and doc["schema"] == "podpath/policy/v1"
    (res,) = doc["results"]
    assert res["verdict"] == "accept" and res["decided_by"]["location"]["line"] == 66
    code, doc = run("policy", "test", str(EX / "complete"), "--at", "pve01", "--neighbor", "fd00:101::21",
                    "--route", "fd00:101:224:3::/64")
    assert doc["results"][0]["verdict"] == "reject" and doc["results"][0]["decided_by"]["location"]["line"] == 72


def test_policy_search_answers_the_seed_questions() -> None:
    base = ("policy", "search", str(EX / "complete"), "--at", "pve01", "--neighbor", "VMS", "--permit",
            "--prefix-space", "fd00:101:224::/60")
    code, doc = run(*base, "--without-community", "4200001000:0:100")
    assert code == 0 and doc["results"][0]["answer"] == "none"
    code, doc = run(*base)
    r = doc["results"][0]
    assert r["answer"] == "found" and all(e["agrees"] and e["concrete_verdict"] == "permit" for e in r["examples"])


def test_policy_compare_shows_what_the_frr_fix_changes() -> None:
    code, doc = run("policy", "compare", str(EX / "before-fix"), str(EX / "after-frr-fix"), "--at", "pve01",
                    "--neighbor", "VMS", "--direction", "in")
    assert code == 0
    (changed,) = doc["changed"]
    assert {(d["before"], d["after"]) for d in changed["differences"]} == {("deny", "permit")}
    assert all(d["route"]["large_communities"] == ["4200001000:0:100"] for d in changed["differences"])
    code, doc = run("policy", "compare", str(EX / "after-frr-fix"), str(EX / "complete"))
    assert code == 0 and doc["changed"] == []


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(app, ["policy", "search", str(EX / "complete"), "--at", "pve01", "--neighbor", "VMS"]
                         ).exit_code == 2
    assert runner.invoke(app, ["policy", "test", str(EX / "complete"), "--at", "nohost", "--neighbor", "VMS",
                               "--route", "fd00::/64"]).exit_code == 2
    assert runner.invoke(app, ["policy", "test", str(EX / "complete"), "--at", "pve01", "--neighbor", "VMS",
                               "--route", "fd00::/64 community nonsense"]).exit_code == 2


def test_named_route_map_and_bird_export_filter() -> None:
    code, doc = run("policy", "search", str(EX / "complete"), "--at", "pve01", "--policy", "RM_VMS_IN_V6",
                    "--deny", "--family", "6", "--prefix-space", "fd00:101:fe::/64")
    assert code == 0 and doc["results"][0]["answer"] == "none"  # permit 20 takes every loopback prefix
    code, doc = run("policy", "test", str(EX / "complete"), "--at", "solcp01", "--neighbor", "upstream",
                    "--direction", "out", "--route", "fd00:101:fe::11/128 proto direct_routes")
    (res,) = doc["results"]
    assert res["verdict"] == "accept" and res["result"]["large_communities"] == ["4200001000:0:200"]
    code, doc = run("policy", "search", str(EX / "complete"), "--at", "solcp01", "--neighbor", "upstream",
                    "--direction", "out", "--deny", "--family", "6")
    assert doc["results"][0]["answer"] == "none"  # the export filter accepts everything
