"""The ``gigaline`` command line (layer 3).

Each command lives in its own module under :mod:`gigaline.cli` and registers itself on the one
Typer app. Heavy imports (numba, pandas, SQLAlchemy) happen inside the commands, so that
``gigaline plan`` starts fast. Each command parses its arguments, calls a service and prints
its result. A :class:`~gigaline.errors.GigalineError` (a user's mistake) is printed without a
traceback and ends the command with exit status 2; a :class:`~gigaline.errors.FieldError` of a
service is said with the name of the flag that gave the value (``--chart``, not ``chart``).
"""

from __future__ import annotations

import sys
import warnings

from gigaline.cli._app import app, console_err
from gigaline.cli._store import FLAGS
from gigaline.errors import FieldError, GigalineError

__all__ = ["app", "main", "run"]

# Importing a command module registers its commands on ``app``.
from gigaline.cli import connect as _connect  # noqa: F401
from gigaline.cli import demo as _demo  # noqa: F401
from gigaline.cli import examples as _examples  # noqa: F401
from gigaline.cli import experiment as _experiment  # noqa: F401
from gigaline.cli import live_line as _live_line  # noqa: F401
from gigaline.cli import mes as _mes  # noqa: F401
from gigaline.cli import oee as _oee  # noqa: F401
from gigaline.cli import plan as _plan  # noqa: F401
from gigaline.cli import ramp as _ramp  # noqa: F401
from gigaline.cli import serve as _serve  # noqa: F401
from gigaline.cli import simulate as _simulate  # noqa: F401
from gigaline.cli import spc as _spc  # noqa: F401
from gigaline.cli import studies as _studies  # noqa: F401
from gigaline.cli import validate as _validate  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 failure, 2 bad input or usage)."""
    # said once, as a warning line, by the commands that simulate (gigaline.cli._app.kernel)
    warnings.filterwarnings("ignore", message="the kernel cache directory")
    try:
        app(args=argv, prog_name="gigaline")  # usage errors: Typer prints them, exit 2
    except GigalineError as exc:
        message = str(exc)
        if isinstance(exc, FieldError) and exc.field in FLAGS:
            message = exc.message_for(FLAGS[exc.field])  # the services' field, as a flag
        console_err.print("[bold red]error:[/] ", end="", highlight=False, markup=True)
        console_err.print(message, highlight=False, markup=False)
        return exc.exit_code
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
