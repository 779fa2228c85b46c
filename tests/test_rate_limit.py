"""A rate budget (#12): capture keeps to a server's rate limit, backs off on 429 and says how many it saw.

The limit is enforced by the real proxy (tests/support/servers.py `fault_proxy`,
429 with Retry-After beyond it) in front of the real MLflow server. How fast a
200-version capture gets through a 40 requests/s limit is bench/ratelimit.py's job.
"""

from __future__ import annotations

import json
import math
import threading
import time

import pytest
from typer.testing import CliRunner

from snap.cli import app
from snapshot.errors import EXIT_PARTIAL
from snapshot.sources.budget import RateBudget
from snapshot.sources.transport import DEFAULT_RPS, Policy
from tests.support.populate import populate_model
from tests.support.servers import Fault, fault_proxy

MODEL = "Throttled"
VERSIONS = 4


@pytest.fixture(scope="module")
def throttled_registry(mlflow_server):
    populate_model(mlflow_server, MODEL, VERSIONS, params=2, metrics=2, tags=2, workers=2)
    return mlflow_server


def capture(*args):
    return CliRunner().invoke(app, ["capture", *args], catch_exceptions=False)


@pytest.mark.server
def test_a_batch_over_the_servers_limit_backs_off_and_loses_nothing(throttled_registry, tmp_path):
    with fault_proxy(throttled_registry, rate_limit=8) as proxy:
        result = capture(f"models:/{MODEL}", "--tracking-uri", proxy.uri, "--store", str(tmp_path), "--workers", "8")
        refused = proxy.throttled
    assert result.exit_code == 0, result.output
    assert f"{VERSIONS} captured, 0 unchanged, 0 failed" in result.output
    assert refused > 0
    assert f"; {refused} answered 429 (rate limited) and retried" in result.output


@pytest.mark.server
def test_max_rps_keeps_capture_under_the_servers_limit(throttled_registry, tmp_path):
    with fault_proxy(throttled_registry, rate_limit=8) as proxy:
        result = capture(f"models:/{MODEL}", "--tracking-uri", proxy.uri, "--store", str(tmp_path),
                         "--workers", "8", "--max-rps", "4")
        refused, answered = proxy.throttled, proxy.served
    assert result.exit_code == 0, result.output
    assert (refused, answered > VERSIONS) == (0, True)
    assert "429" not in result.output


def test_the_default_rate_depends_on_the_server_kind():
    policy = Policy()
    policy.server_kind("mlflow")
    assert policy.max_rps is None and math.isinf(policy.budget.rate)
    policy.server_kind("databricks")
    assert policy.max_rps == DEFAULT_RPS["databricks"] == 30.0 and policy.budget.rate == 30.0
    policy.limit(max_rps=12)  # the user's --max-rps wins over the kind's default
    policy.server_kind("databricks")
    assert policy.max_rps == 12 and policy.budget.rate == 12


def test_a_429_cuts_the_rate_to_what_the_server_took_and_calm_wins_it_back():
    budget = RateBudget(None, concurrency=16)
    never = threading.Event()
    for _ in range(20):  # twenty answers within the last second
        budget.acquire(never, lambda: None)
        budget.release(200)
    budget.acquire(never, lambda: None)
    budget.release(429)
    assert budget.throttled == 1
    assert budget.rate == pytest.approx(18.0)  # 90% of the 20 accepted
    assert budget.limit == 12  # a quarter fewer requests in flight
    budget.acquire(never, lambda: None)
    budget.release(429)  # the same burst: no second cut
    assert budget.rate == pytest.approx(18.0)
    time.sleep(1.05)  # a calm second
    budget.acquire(never, lambda: None)
    budget.release(200)
    assert budget.rate == pytest.approx(19.0) and budget.limit == 13


def test_a_ceiling_is_never_exceeded_by_recovery():
    budget = RateBudget(5)
    assert budget.rate == 5
    budget.set_ceiling(0)
    assert math.isinf(budget.rate)


# The connect step is GET /version; `models:/X/1` names its version, so resolving it asks nothing,
# while an alias and `latest` are resolved with a request of their own.
BEFORE_CAPTURE = {
    "connect": (f"models:/{MODEL}/1", lambda path: path == "/version"),
    "resolve an alias": (f"models:/{MODEL}@champion", lambda path: "/registered-models/alias" in path),
    "resolve latest": (f"models:/{MODEL}/latest", lambda path: "/model-versions/search" in path),
}


@pytest.mark.server
@pytest.mark.parametrize("step", sorted(BEFORE_CAPTURE))
def test_max_wait_caps_a_retry_after_before_the_capture_begins(throttled_registry, tmp_path, step):
    uri, endpoint = BEFORE_CAPTURE[step]

    def rule(method, path):
        return Fault("status", 429, retry_after="5") if endpoint(path) else None

    with fault_proxy(throttled_registry, rule) as proxy:
        started = time.monotonic()
        result = capture(uri, "--tracking-uri", proxy.uri, "-o", str(tmp_path / "one.json"), "--max-wait", "2")
        elapsed = time.monotonic() - started
        asked = proxy.faulted
    assert result.exit_code != 0, result.output
    assert asked == 1  # refused at once: a 5 s wait is more than --max-wait 2 allows
    assert elapsed < 4
    assert "HTTP 429" in result.output and "--max-wait 2" in result.output
    assert not (tmp_path / "one.json").exists()


@pytest.mark.server
def test_the_summary_counts_the_429s_seen(throttled_registry, tmp_path):
    with fault_proxy(throttled_registry, rate_limit=8) as proxy:
        result = capture(f"models:/{MODEL}", "--tracking-uri", proxy.uri, "--store", str(tmp_path), "--workers", "8",
                         "--summary-json", "-")
        refused = proxy.throttled
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert refused > 0
    assert (summary["throttled"], summary["stopped"], summary["captured"]) == (refused, None, VERSIONS)


@pytest.mark.server
def test_the_summary_says_why_the_circuit_breaker_stopped_the_batch(throttled_registry, tmp_path):
    store = tmp_path / "store"

    def gone_after_the_first_snapshot(method, path):  # every connection reset, as a dead server's are
        written = [p for p in store.rglob("*.json") if ".snap-journal" not in p.parts]
        return Fault("reset") if written else None

    with fault_proxy(throttled_registry, gone_after_the_first_snapshot, delay_s=0.1) as proxy:
        result = capture(f"models:/{MODEL}", "--tracking-uri", proxy.uri, "--store", str(store), "--workers", "1",
                         "--format", "json", "--summary-json", str(tmp_path / "summary.json"))
    assert result.exit_code == EXIT_PARTIAL, result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["stopped"].startswith("the server stopped answering")
    assert f"the batch stopped ({summary['stopped']})" in result.output
    assert summary["throttled"] == 0 and 1 <= summary["captured"] < VERSIONS
