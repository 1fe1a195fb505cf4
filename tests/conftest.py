"""Shared fixtures: paths, and access to the services tests may need.

A test that needs a service (PostgreSQL, MQTT, NATS, Redis, RabbitMQ) asks for it through
:func:`require_service`. Where the service is not reachable the test is skipped, unless
``GIGALINE_REQUIRE_SERVICES=1`` (as ``.ci/run`` sets), where it fails instead.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

SERVICES = {
    "postgres": ("127.0.0.1", 5432),
    "mqtt": ("127.0.0.1", 1883),
    "nats": ("127.0.0.1", 4222),
    "redis": ("127.0.0.1", 6379),
    "rabbitmq": ("127.0.0.1", 5672),
}


def services_required() -> bool:
    return os.environ.get("GIGALINE_REQUIRE_SERVICES", "") not in ("", "0", "false")


def require_service(name: str) -> tuple[str, int]:
    """Return (host, port) of a reachable service, or skip (fail in CI) the calling test."""
    host, port = SERVICES[name]
    try:
        with socket.create_connection((host, port), timeout=1.0):
            pass
    except OSError as exc:
        msg = f"{name} not reachable on {host}:{port} ({exc})"
        if services_required():
            pytest.fail(msg + " and GIGALINE_REQUIRE_SERVICES=1")
        pytest.skip(msg)
    return host, port


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A SQLAlchemy URL of the test PostgreSQL database (skips or fails as above)."""
    host, port = require_service("postgres")
    return os.environ.get(
        "GIGALINE_TEST_PG_URL", f"postgresql+psycopg://postgres@{host}:{port}/test"
    )


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Any]:
    """A private Mosquitto on a free port (tests/_mosquitto.py), ended by its pid."""
    from tests._mosquitto import start_mosquitto

    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    broker = start_mosquitto(workdir)
    try:
        yield broker
    finally:
        broker.stop()
