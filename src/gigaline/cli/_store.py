"""Opening the MES store for a command, and the names the CLI gives the services' fields."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from gigaline.cli._app import console_err

if TYPE_CHECKING:
    from gigaline.mes.sql import SqlStore

__all__ = ["FLAGS", "open_db"]

#: Service field -> the command-line name of it, for error messages.
FLAGS: Final = {
    "chart": "--chart",
    "rules": "--rules",
    "subgroup_size": "--subgroup",
    "baseline": "--baseline",
    "since": "--since",
    "reason": "--reason",
    "db": "--db / GIGALINE_DB",
    "hold_id": "hold",
    "station": "--station",
    "step": "--step",
    "line": "--line",
    "until": "--until",
    "by": "--by",
    "silence_s": "--silence",
    "role": "--role",
    "name": "--name",
    "token_id": "token",
}


def open_db(db: str | None, create: bool = False, read_only: bool = False) -> SqlStore:
    """The store named by ``--db``, else ``GIGALINE_DB``, else ``gigaline.db`` (said on stderr).

    ``read_only``: never create the database or write to it (``gigaline oee``)."""
    from gigaline.mes.sql import open_store
    from gigaline.settings import Settings  # here: `gigaline plan` need not load it

    settings = Settings.load()
    choice = settings.database(db)
    if choice.implicit:
        where = Path(choice.value).resolve()
        console_err.print(
            f"database: {where} (the default; give --db or set GIGALINE_DB)", highlight=False
        )
    return open_store(choice.value, create=create, settings=settings, read_only=read_only)
