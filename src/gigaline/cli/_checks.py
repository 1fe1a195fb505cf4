"""Checks of command-line values and output paths, made before a command starts its work.

One place for every command: each check names the flag, the value given and what is allowed,
and raises :class:`ArgumentError` (printed without a traceback, exit status 2). Numbers are
held to the bounds of :mod:`gigaline.model.bounds`, the same the line file and the Python API
use; an output path must be writable where it points *before* minutes of simulation are spent,
not after.
"""

from __future__ import annotations

import os
from pathlib import Path

from gigaline.errors import GigalineError
from gigaline.model import bounds
from gigaline.model.bounds import Bound

__all__ = [
    "DEMO_DAYS",
    "EVENT_DAYS",
    "MES_DAYS",
    "ArgumentError",
    "number",
    "output_file",
    "output_folder",
    "run_flags",
]

#: ``demo --days``: at least a day, so the report has a day of hourly output to show.
DEMO_DAYS = Bound(1.0, bounds.MAX_RUN_DAYS, "days")
#: ``generate --days``: days of generated equipment events.
EVENT_DAYS = Bound(0.0, bounds.MAX_RUN_DAYS, "days")
#: ``demo --mes-days``: at least 0.1 day, so the demo has cells to trace.
MES_DAYS = Bound(0.1, bounds.MAX_RUN_DAYS, "days")


class ArgumentError(GigalineError):
    """A command-line value that is not allowed: names the flag, the value and what is allowed."""

    def __init__(self, flag: str, value: object, allowed: str) -> None:
        self.flag = flag
        self.value = value
        self.allowed = allowed
        super().__init__(f"{flag} {_show(value)}: {allowed}")


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Path):
        return repr(str(value))
    return repr(value) if isinstance(value, str) else str(value)


def number(flag: str, value: float, bound: Bound) -> float:
    """``value`` if ``bound`` allows it, else :class:`ArgumentError` saying what is allowed."""
    message = bound.problem(value)
    if message is not None:
        raise ArgumentError(flag, value, message)
    return value


def run_flags(
    days: float,
    warmup_days: float | None = None,
    seed: int | None = None,
    replications: int | None = None,
    *,
    days_bound: Bound = bounds.RUN_DAYS,
) -> None:
    """The flags of a simulation run (``None``: not given on this command)."""
    number("--days", days, days_bound)
    if warmup_days is not None:
        number("--warmup-days", warmup_days, bounds.WARMUP_DAYS)
        message = bounds.RUN_DAYS.problem(warmup_days + days)
        if message is not None:
            raise ArgumentError(
                "--warmup-days + --days", warmup_days + days, f"the simulated horizon {message}"
            )
    if seed is not None:
        number("--seed", seed, bounds.SEED)
    if replications is not None:
        number("--replications", replications, bounds.REPLICATIONS)


def output_file(flag: str, path: Path, example: str = "out.html") -> Path:
    """Refuse an output file that could not be written: a folder, or in a missing folder."""
    if path.is_dir():
        raise ArgumentError(
            flag, path, f"is a folder; give a file name in it, e.g. {path / example}"
        )
    folder = path.parent
    if not folder.exists():
        raise ArgumentError(flag, path, f"folder {str(folder)!r} does not exist; create it first")
    if not folder.is_dir():
        raise ArgumentError(flag, path, f"{str(folder)!r} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ArgumentError(flag, path, f"cannot write in folder {str(folder)!r}")
    if path.exists() and not os.access(path, os.W_OK):
        raise ArgumentError(flag, path, "the file exists and cannot be written")
    return path


def output_folder(flag: str, path: Path, files: tuple[str, ...] = ()) -> Path:
    """Refuse an output folder that could not be made or written (or whose ``files`` are
    folders); a missing folder is fine when it can be created."""
    if path.exists():
        if not path.is_dir():
            raise ArgumentError(flag, path, "is a file, not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ArgumentError(flag, path, "cannot write in this folder")
        for name in files:
            if (path / name).is_dir():
                raise ArgumentError(flag, path, f"{name!r} in it is a folder, not a file")
        return path
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ArgumentError(flag, path, f"cannot create it: {str(parent)!r} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ArgumentError(flag, path, f"cannot create it in {str(parent)!r}")
    return path
