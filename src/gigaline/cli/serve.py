"""``gigaline serve`` (the HTTP API with uvicorn) and ``gigaline token create | list | revoke``.

``serve`` refuses to start without a named database (``--db`` or ``GIGALINE_DB``) and an
admin token in it, unless ``--demo``, which serves without tokens and only on a loopback
address. ``token create`` prints the token once; the database keeps only its SHA-256.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from gigaline.cli._app import app, console, console_err
from gigaline.cli.mes import DbOpt, JsonOpt, _print_json

token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
app.add_typer(token_app, name="token")


#: The young generation of the server's garbage collector (Python's default: 700 objects).
GC_YOUNG = 10_000


def tune_gc() -> None:
    """The server process's garbage collector, before it serves: what is loaded by then (the
    app, its modules, the line's layout) frozen out of the collector's scans, and a young
    generation of :data:`GC_YOUNG` objects. A computed page makes hundreds of thousands of
    objects (a station's rows, the floor's columns, the figures), and a full collection then
    walked every object of the process: on 16 days of the reference line the line page
    computed took 178 ms p50 and 308 ms p95 in process with the defaults, 174 / 186 with no
    collection at all and 170 / 191 ms with this (6 December 2026, 30 and 40 loads). Objects
    made later are collected as always."""
    import gc

    gc.collect()
    gc.freeze()
    gen1, gen2 = gc.get_threshold()[1:]
    gc.set_threshold(GC_YOUNG, gen1, gen2)


def _cli_user() -> str:
    """Who runs the command, as the audit trail names them: ``cli:<login>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


@app.command()
def serve(
    db: DbOpt = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="TCP port (default 8000).")
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Serve without tokens (loopback addresses only).")
    ] = False,
    line_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--line",
            help="The line file of a stored line, for plan versus actual (repeat for more).",
            metavar="LINE.yaml",
        ),
    ] = None,
) -> None:
    """Serve the dashboard (/) and the HTTP API (under /api/v1, OpenAPI at /openapi.json)."""
    import uvicorn

    from gigaline.settings import Settings
    from gigaline.web import create_app

    overrides: dict[str, object] = {}
    if db is not None:
        overrides["db"] = Settings.load().database(db).value  # --db '' is an error, not unset
    if host:
        overrides["api_host"] = host
    if port:
        overrides["api_port"] = port
    if demo:
        overrides["api_demo"] = True
    settings = Settings.load(**overrides)
    from gigaline.model import load_line

    lines = [load_line(p) for p in line_files or []]  # a bad file: refused before the port
    api = create_app(settings)  # every refusal comes here, before a port is bound
    api.state.line_files = {line.name: line for line in lines}
    where = settings.api_host if ":" not in settings.api_host else f"[{settings.api_host}]"
    url = f"http://{where}:{settings.api_port}"
    mode = " (demo: no tokens)" if settings.api_demo else ""
    console_err.print(
        f"serving the dashboard at {url}/ and the API at {url}/api/v1{mode}; OpenAPI at {url}/docs",
        highlight=False,
    )
    tune_gc()
    uvicorn.run(api, host=settings.api_host, port=settings.api_port, log_level="info")


@token_app.command("create")
def token_create(
    role: Annotated[
        str, typer.Option("--role", help="viewer, operator, engineer or admin.", show_default=False)
    ],
    db: DbOpt = None,
    name: Annotated[str, typer.Option("--name", help="Whose token (default: ROLE token).")] = "",
    json_out: JsonOpt = False,
) -> None:
    """Make an API token and print it once (the database keeps only its SHA-256)."""
    from gigaline.cli._store import open_db
    from gigaline.mes.services.access import create_token

    with open_db(db, create=True) as store:
        made = create_token(store, role, name, by=_cli_user())
    if json_out:
        _print_json(made)
        return
    console_err.print(
        f"token #{made.id} {made.name!r} ({made.role}); shown this once, keep it secret:",
        highlight=False,
    )
    console.print(made.token, highlight=False, markup=False, soft_wrap=True)


@token_app.command("list")
def token_list(
    db: DbOpt = None,
    include_revoked: Annotated[bool, typer.Option("--all", help="Revoked tokens too.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """The API tokens (never their secrets)."""
    from rich.markup import escape

    from gigaline.cli._store import open_db
    from gigaline.cli._tables import number_table, print_table
    from gigaline.mes.services.access import list_tokens

    with open_db(db) as store:  # reading never creates a database
        found = list_tokens(store, include_revoked)
    if json_out:
        _print_json(found)
        return
    rows = [
        (
            str(t.id),
            escape(t.name),
            t.role,
            t.created or "-",
            escape(t.created_by),
            t.revoked or "-",
        )
        for t in found.tokens
    ]
    header = ("id", "name", "role", "created", "by", "revoked")
    print_table(number_table("API tokens", header, rows, text=[1, 2, 4]))


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (gigaline token list).")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Revoke an API token: it is refused from now on."""
    from gigaline.cli._checks import number
    from gigaline.cli._store import open_db
    from gigaline.mes.services.access import revoke_token
    from gigaline.model import bounds

    number("TOKEN_ID", token_id, bounds.ROW_ID)
    with open_db(db) as store:
        done = revoke_token(store, token_id, by=_cli_user())
    if json_out:
        _print_json(done)
        return
    console.print(f"[green]ok[/]: token #{done.id} {done.name!r} revoked", highlight=False)
