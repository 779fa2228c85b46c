"""A rate budget (#12): capture keeps to a server's rate limit, backs off on 429 and says how many it saw.

The limit is enforced by the real proxy (tests/support/servers.py `fault_proxy`,
429 with Retry-After beyond it) in front of the real MLflow server. How fast a
200-version capture gets through a 40 requests/s limit is bench/ratelimit.py's job.
"""

from __future__ import annotations

import math
import threading
import time

import pytest
from typer.testing import CliRunner

from snap.cli import app
from snapshot.sources.budget import RateBudget
from snapshot.sources.transport import DEFAULT_RPS, Policy
from tests.support.populate import populate_model
from tests.support.servers import fault_proxy

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
