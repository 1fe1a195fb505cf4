"""Every setting of gigaline in one place: :class:`Settings` (pydantic-settings).

Each field is read from the environment variable ``GIGALINE_<FIELD>`` (``GIGALINE_DB``,
``GIGALINE_SIM_JIT``, ``GIGALINE_CACHE_DIR``), else takes its default; ``docs/configuration.md``
lists them. Command-line options (``--db``) win over the environment. A value that cannot be
read (``GIGALINE_SIM_JIT=maybe``) is a :class:`SettingsError` naming the variable, the value and
what is allowed, not a traceback.

Coming settings (the broker of the MQTT connectors, the API's token and bind address) join
this class, so that a server is configured by one object: ``create_app(settings)``.
A long-running server must not write to a database nobody chose: it calls
:meth:`Settings.require_explicit_database`, which refuses the implicit default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from gigaline.errors import FieldError

__all__ = ["DEFAULT_DATABASE", "ENV_PREFIX", "DatabaseChoice", "Settings", "SettingsError"]

ENV_PREFIX: Final = "GIGALINE_"
#: The database used when none is given: a SQLite file in the working directory.
DEFAULT_DATABASE: Final = "gigaline.db"


class SettingsError(FieldError):
    """A setting (an environment variable) whose value cannot be used."""


class DatabaseChoice:
    """The database a command uses: its URL (or path) and where the choice came from."""

    __slots__ = ("source", "value")

    def __init__(self, value: str, source: str) -> None:
        self.value = value
        #: ``"--db"`` (given on the command line), ``"GIGALINE_DB"`` or ``"default"``.
        self.source = source

    @property
    def implicit(self) -> bool:
        """True when nobody chose it (the default file in the working directory)."""
        return self.source == "default"

    def __repr__(self) -> str:
        return f"DatabaseChoice({self.value!r}, source={self.source!r})"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gigaline"


class Settings(BaseSettings):
    """gigaline's settings, from ``GIGALINE_*`` environment variables and defaults.

    ``Settings()`` reads the environment when it is made; pass fields to override
    (``Settings(db="plant.db")``), as tests and servers do.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, validate_default=True
    )

    db: str | None = Field(
        default=None,
        description="MES database: a SQLAlchemy URL (sqlite:///FILE, postgresql+psycopg://"
        "USER@HOST:PORT/DB) or a SQLite file path. Unset: the SQLite file gigaline.db in the "
        "working directory (commands say so on stderr; servers refuse it).",
    )
    sim_jit: bool = Field(
        default=True,
        description="Compile the simulation kernel with numba (true) or run it as plain Python "
        "(false: slow, for debugging and for the tests that compare both modes).",
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Where gigaline keeps caches (compiled simulation kernels under numba/). "
        "Default: $XDG_CACHE_HOME/gigaline, else ~/.cache/gigaline. NUMBA_CACHE_DIR, if set, "
        "wins for the kernels.",
    )

    oee_silence_s: float = Field(
        default=7200.0,
        gt=0,
        description="Live OEE: seconds after a station's last message (state change or process "
        "record) from which its time counts as unqualified downtime while it says it is running "
        "(ISO 22400-2 gives no figure; an assumption: above the longest a station works without "
        "finishing a unit, about an hour for a coil at a coater of the reference line).",
    )

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """``Settings(**overrides)``, with a bad environment value as a :class:`SettingsError`."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            err = exc.errors()[0]
            name = str(err["loc"][0]) if err["loc"] else "?"
            var = f"{ENV_PREFIX}{name.upper()}"
            raise SettingsError(var, err.get("input"), err["msg"]) from None

    def database(self, given: str | None = None) -> DatabaseChoice:
        """The database a command uses: ``given`` (``--db``), else ``GIGALINE_DB``, else the
        default file :data:`DEFAULT_DATABASE`. An empty ``given`` (``--db ''``) is an error,
        not the default: the user meant to name a database and named none."""
        if given is not None:
            if not given.strip():
                raise FieldError(
                    "db",
                    given,
                    "is empty; give a SQLite file path or a database URL "
                    "(sqlite:///FILE, postgresql+psycopg://USER@HOST:PORT/DB)",
                )
            return DatabaseChoice(given, "--db")
        if self.db:
            return DatabaseChoice(self.db, f"{ENV_PREFIX}DB")
        return DatabaseChoice(DEFAULT_DATABASE, "default")

    def require_explicit_database(self, given: str | None = None) -> str:
        """The database a long-running server uses; refuses the implicit default file.

        A server that silently created ``gigaline.db`` in whatever directory it was started in
        would accept a plant's events into a file nobody backs up.
        """
        choice = self.database(given)
        if choice.implicit:
            raise SettingsError(
                f"{ENV_PREFIX}DB",
                None,
                "a server needs its database named: set GIGALINE_DB (or pass it) to "
                "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB",
            )
        return choice.value

    @property
    def kernel_cache_dir(self) -> Path:
        """Where compiled simulation kernels are cached (``cache_dir/numba``)."""
        return self.cache_dir / "numba"
