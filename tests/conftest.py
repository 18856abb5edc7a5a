"""Shared fixtures: the project's domain, the trained model, the sandbox bank, a running stack."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web

from bankapi.sandbox.app import create_app
from bankapi.sandbox.context import Settings
from tests.sandbox import API_KEY, Bank

# The gateway's fixtures (a gateway app on loopback, a stand-in for Rasa, a web chat client).
pytest_plugins = ["tests.gateway"]

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "cardcare.tar.gz"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """domain.yml as rasa-sdk hands it to actions (a plain dict)."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The trained model; `make test` trains it first."""
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run `make train` (or `make test`).")
    return MODEL


@pytest.fixture(scope="session")
async def agent(model_path: Path) -> AsyncIterator[Any]:
    """The trained model loaded in-process, for NLU tests."""
    from rasa.core.agent import Agent

    from cardcare.dev.evaluation import quiet_logs

    quiet_logs()
    loaded = Agent.load(str(model_path))
    await loaded.parse_message("warm up")
    yield loaded


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The tests' own Redis database on the machine's Redis, so they never touch a running demo's.
TEST_REDIS_URL = os.environ.get("CARDCARE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_client() -> Iterator[Any]:
    """A client of the test database, emptied before the tests use it."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as error:
        pytest.fail(f"Redis is needed at {TEST_REDIS_URL} ({error}); `.ci/run` starts it.")
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def stack(model_path: Path, redis_client: Any,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The whole stack (sandbox bank, action server, Rasa) on free loopback ports, in Redis."""
    from cardcare.dev.stack import Stack, StackConfig

    config = StackConfig(
        rasa_port=_free_port(), actions_port=_free_port(), bank_port=_free_port(),
        model=model_path, redis_url=TEST_REDIS_URL, log_dir=tmp_path_factory.mktemp("stack"),
        gateway_port=_free_port(),
        # The suite verifies each demo cardholder dozens of times within minutes.
        sandbox_max_codes=10_000,
        desk_port=None,  # the desk's tests start their own
    )
    with Stack(config) as running:
        yield running


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bank_settings(**overrides): sandbox Settings for the test")


@pytest.fixture
def bank_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings with a fresh SQLite file; overridden per test with ``bank_settings``."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bank.sqlite3'}", api_key=API_KEY,
                        idle_timeout_s=15 * 60, otp_ttl_s=5 * 60, max_attempts=3,
                        lockout_s=15 * 60)
    marker = request.node.get_closest_marker("bank_settings")
    return replace(settings, **marker.kwargs) if marker else settings


@pytest.fixture
async def bank(bank_settings: Settings) -> AsyncIterator[Bank]:
    """The real sandbox app on a free loopback port, and a client speaking real HTTP to it."""
    runner = web.AppRunner(create_app(bank_settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
        yield Bank(http, f"http://{host}:{port}", bank_settings)
    await runner.cleanup()
