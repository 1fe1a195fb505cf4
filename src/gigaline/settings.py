"""Every setting of gigaline in one place: :class:`Settings` (pydantic-settings).

Each field is read from the environment variable ``GIGALINE_<FIELD>`` (``GIGALINE_DB``,
``GIGALINE_SIM_JIT``, ``GIGALINE_CACHE_DIR``), else takes its default; ``docs/configuration.md``
lists them. Command-line options (``--db``) win over the environment. A value that cannot be
read (``GIGALINE_SIM_JIT=maybe``) is a :class:`SettingsError` naming the variable, the value and
what is allowed, not a traceback.

The HTTP API's settings (``api_*``: bind address, CORS, body limits, simulation workers) are
fields here too, so that a server is configured by one object: ``create_app(settings)``.
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

__all__ = [
    "DEFAULT_DATABASE",
    "ENV_PREFIX",
    "LOOPBACK_HOSTS",
    "DatabaseChoice",
    "Settings",
    "SettingsError",
    "is_loopback",
]

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


#: Host names that always mean this machine (addresses 127.0.0.0/8 and ::1 count as well).
LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address) is reachable only from this machine."""
    import ipaddress

    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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

    api_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        max_length=253,
        description="Address `gigaline serve` binds to (--host wins). The default is reachable "
        "from this machine only; 0.0.0.0 serves every interface (tokens are then required).",
    )
    api_port: int = Field(
        default=8000, ge=1, le=65535, description="TCP port of `gigaline serve` (--port wins)."
    )
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins a browser may call the API from (CORS), as a JSON list: "
        '["https://mes.plant.example"]. Empty (the default): no cross-origin calls.',
    )
    api_max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=1024**3,
        description="Largest request body of the API [bytes] except events and line files "
        "(larger: 413 problem). Default 1 MiB (assumption: holds, tokens and run requests are "
        "a few hundred bytes).",
    )
    api_max_events_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        le=1024**3,
        description="Largest body of POST /api/v1/events [bytes]. Default 16 MiB: about "
        "40,000 events of 400 bytes (assumption: a connector posts a batch every few seconds).",
    )
    api_max_line_file_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="Largest line file uploaded to the API [bytes] (at most the loader's 16 "
        "MiB). Default 1 MiB: the 20 GWh reference line is 28 kB.",
    )
    api_sim_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Worker processes of the API's simulation runs. Default 1: a run takes a "
        "core; more cores serve more runs at once.",
    )
    api_sim_queue: int = Field(
        default=4,
        ge=1,
        le=1000,
        description="Simulation runs the API holds waiting or running at once; one more is "
        "refused (429 problem) until one ends.",
    )
    api_demo: bool = Field(
        default=False,
        description="Serve the API without tokens (every request is an admin). Only on a "
        "loopback address: `gigaline serve --demo` sets it, and refuses any other host.",
    )
    oee_silence_s: float = Field(
        default=7200.0,
        gt=0,
        description="Live OEE: seconds after a station's last message (state change or process "
        "record) from which its time counts as unqualified downtime while it says it is running "
        "(ISO 22400-2 gives no figure; an assumption: above the longest a station works without "
        "finishing a unit, about an hour for a coil at a coater of the reference line).",
    )

    spc_baseline_points: int = Field(
        default=100,
        ge=2,
        description="Live SPC (the connectors): the first N stored values of a parameter with "
        "spec limits estimate its control limits (phase I); every later value is judged against "
        "them (phase II). 100 after AIAG's SPC reference manual (2nd ed., 2005): 25 or more "
        "subgroups, about 100 individual readings, before control limits are set.",
    )

    pending_timeout_s: float = Field(
        default=600.0,
        ge=0,
        allow_inf_nan=False,
        description="Ingestion: seconds an event whose lot or unit is not stored yet waits in the "
        "pending store (retried as later batches commit, by any writer) before it becomes a dead "
        "letter. An assumption: above the time two writers of one line (connectors, ingests of "
        "overlapping files) lag each other, a few batches of seconds each, with room for a "
        "connector that restarts.",
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
