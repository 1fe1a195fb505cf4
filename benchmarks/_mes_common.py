"""Shared set-up of the MES benchmarks: databases to run on, and the event stream."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
from sqlalchemy import create_engine, text

from gigaline.mes.generate import generate_events
from gigaline.model import Line

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_LINE = ROOT / "examples" / "abf-lfp-20gwh.yaml"
PG_URL = os.environ.get("GIGALINE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1.0):
            return True
    except OSError:
        return False


def pg_schema(name: str | None = None) -> tuple[str, str]:
    """A fresh schema (dropped first if it exists): (URL with search_path, schema name)."""
    schema = name or "bench_" + uuid.uuid4().hex[:8]
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def ndjson(line: Line, days: float, seed: int) -> Iterator[bytes]:
    """The generated stream as NDJSON lines (no curves: process records are what is timed)."""
    for event in generate_events(line, days, seed, curves=False):
        yield orjson.dumps(event)


def sqlite_size_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
