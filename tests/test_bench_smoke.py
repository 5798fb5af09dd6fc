"""Every benchmark runs in CI at a small size, untimed: a benchmark that no longer runs, or that
loses or doubles a message, fails here. The numbers come from `make bench` (bench/RESULTS.md)."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
        reason="benchmarks run on PostgreSQL and Redis (CI sets DATABASE_URL and REDIS_URL)",
    ),
]


@pytest.fixture(scope="module")
def bench_env(tmp_path_factory):
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return {**os.environ, "BENCH_DATABASE_URL": f"{base}/donebot_bench_ci", "BENCH_PG_ADMIN_URL": f"{base}/postgres",
            "BENCH_REDIS_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/7"}


def run(bench_env, script, *args):
    result = subprocess.run([sys.executable, f"bench/{script}", *args], cwd=ROOT, env=bench_env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def results(name):
    return json.loads((ROOT / "bench" / "results" / f"{name}.json").read_text())


def test_dispatch_and_scaleout(bench_env):
    run(bench_env, "dispatch.py", "--members", "1000", "--workers", "1,2", "--runs", "1", "--sample", "5",
        "--name", "ci-dispatch")
    for row in results("ci-dispatch")["summary"]:
        assert row["duplicates"] == 0 and row["missing"] == 0


def test_tick_planning(bench_env):
    run(bench_env, "tick.py", "--members", "5000", "--due", "500", "--runs", "1")
    data = results("tick")
    assert data["runs"][0]["planned"] == 500 and data["runs"][0]["still_due"] == 0
    assert any("membership_next_prompt_at" in line for line in data["plan"])  # the index is used


def test_digest_fanout(bench_env):
    run(bench_env, "digest.py", "--teams", "100", "--runs", "1")
    run_ = results("digest")["runs"][0]
    assert run_["distinct"] == 1000 and run_["duplicates"] == 0


def test_inbound(bench_env):
    run(bench_env, "inbound.py", "--requests", "300", "--runs", "1")
    run_ = results("inbound")["runs"][0]
    assert run_["non_200"] == 0 and run_["states"]["processed"] == 300 and run_["entries"] == 600


def test_slack(bench_env):
    # Paced above the fake's limit, so 429s do come: each is waited out, nothing lost or doubled.
    run(bench_env, "slack.py", "--prompts", "300", "--rate", "100", "--pace", "300", "--runs", "1")
    run_ = results("slack")["runs"][0]
    assert run_["states"]["sent"] == 300 and run_["distinct"] == 300 and run_["rate_limited"] > 0


def test_parse_and_web_digest(bench_env, tmp_path):
    run(bench_env, "parse.py", "--seconds", "0.1", "--out", str(tmp_path / "parse.json"))
    assert json.loads((tmp_path / "parse.json").read_text())["replies_per_second"] > 0
    run(bench_env, "web_digest.py", "--requests", "5")
