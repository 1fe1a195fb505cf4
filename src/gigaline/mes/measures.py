"""Reading numbers out of the stored JSON (process parameters, curve features) in the database.

Parameters are stored as JSON text per process record (``process_records.params``) and curve
features per curve (``curves.features``). The value of one key is extracted by the database,
so a query returns only the numbers asked for, not every record's JSON: ``json_extract`` on
SQLite (JSON1, built in since 3.38), ``->>`` on PostgreSQL. The key is a bound parameter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, bindparam, cast, func
from sqlalchemy.dialects.postgresql import JSONB

from gigaline.mes.db import StoreError

__all__ = ["json_number"]


def json_number(column: Any, key: str, postgres: bool) -> ColumnElement[Any]:
    """SQL expression: the number stored under ``key`` in the JSON text ``column`` (or NULL)."""
    if postgres:
        text = cast(column, JSONB).op("->>")(bindparam(None, key))
        return cast(text, Float)
    if '"' in key or "\\" in key:
        raise StoreError(f"parameter name {key!r}: quotes and backslashes are not supported")
    return func.json_extract(column, bindparam(None, f'$."{key}"'))
