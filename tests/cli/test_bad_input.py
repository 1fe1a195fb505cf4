"""Every command against bad values, table-driven: each refusal exits with status 2, says the
flag, the value and what is allowed, shows no traceback, and writes nothing (issue 14, items 5
and 7).

Two tables: the database of every MES command (``--db`` empty, a folder, a file of another
kind, a path in a missing folder, a file that does not exist for a command that only reads, a
PostgreSQL server that does not answer, a PostgreSQL database not created), and the numbers
and paths of every command (``--seed -1``, ``--batch-size`` beyond a million, a hold number
beyond 64 bits, months, trials, samples and workers without end). The checks come before any
work: the folder the command runs in is the same after it as before, byte for byte.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import gigaline.sim
import gigaline.sim.ramp
import gigaline.studies
from gigaline.cli import main
from tests.conftest import EXAMPLES, ROOT

TWO = str(EXAMPLES / "two-machine.yaml")
REF = str(EXAMPLES / "abf-lfp-20gwh.yaml")
MINI = str(ROOT / "tests/mes/lines/mini.yaml")

#: Every command that opens the MES database; ``{db}`` is replaced by the value under test.
MES_COMMANDS: dict[str, list[str]] = {
    "mes init": ["mes", "init", MINI, "--db", "{db}"],
    "ingest": ["ingest", "{events}", "--db", "{db}"],
    "trace": ["trace", "C1", "--db", "{db}"],
    "where-used": ["where-used", "L1", "--db", "{db}"],
    "hold": ["hold", "L1", "--reason", "suspect", "--db", "{db}"],
    "holds": ["holds", "--db", "{db}"],
    "release": ["release", "1", "--reason", "cleared", "--db", "{db}"],
    "spc": ["spc", "m1", "fill_mass_g", "--db", "{db}"],
    "grade": ["grade", "--db", "{db}"],
    "oee": ["oee", "--db", "{db}"],
    "mes summarise": ["mes", "summarise", "--db", "{db}"],
    "serve": ["serve", "--db", "{db}", "--port", "1"],  # refused before a port is bound
    "token create": ["token", "create", "--role", "viewer", "--db", "{db}"],
    "token list": ["token", "list", "--db", "{db}"],
    "token revoke": ["token", "revoke", "1", "--db", "{db}"],
}
#: The commands that only read or change what is stored: they never create a database. The
#: others may: ``mes init``, ``token create`` (a token may come before the line) and ``serve``
#: (which refuses a database nobody named).
READERS = sorted(set(MES_COMMANDS) - {"mes init", "token create", "serve"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: Bad databases: (how to make the value in a folder, what the message must say).
BAD_DATABASES: dict[str, tuple[Callable[[Path], str], str]] = {
    "empty": (lambda d: "", "--db / GIGALINE_DB '': is empty; give a SQLite file path"),
    "blank": (lambda d: "  ", "': is empty; give a SQLite file path"),
    "a folder": (lambda d: str(d), "'{d}' is a folder; give a database file in it"),
    "in a missing folder": (
        lambda d: str(d / "no" / "plant.db"),
        ": folder '{d}/no' does not exist; create it first",
    ),
    "under a file": (
        lambda d: str(d / "notes.txt" / "plant.db"),
        "folder '{d}/notes.txt' is a file, not a folder; create it first",
    ),
    "not SQLite": (
        lambda d: str(d / "notes.txt"),
        ": '{d}/notes.txt' is not a SQLite database; allowed: sqlite:///FILE",
    ),
    "not SQLite, as a URL": (
        lambda d: f"sqlite:///{d}/notes.txt",
        "is not a SQLite database",
    ),
    "unsupported": (
        lambda d: "mysql://root@127.0.0.1/plant",
        "unsupported database 'mysql'; allowed: sqlite:///FILE",
    ),
    "server not there": (
        lambda d: f"postgresql://postgres:secret@127.0.0.1:{_free_port()}/test",
        "@127.0.0.1:",
    ),
}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder of a command: a text file and an event file in it, nothing else."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GIGALINE_DB", raising=False)
    (tmp_path / "notes.txt").write_text("shift notes, not a database\n", encoding="utf-8")
    (tmp_path / "events.ndjson").write_text("", encoding="utf-8")
    return tmp_path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}  # fmt: skip


def _refused(argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``argv``; assert exit 2, no traceback and nothing written; the message, unwrapped."""
    before = _snapshot(folder)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, (argv, err)
    assert "Traceback" not in err and err.count("error:") == 1, err
    assert _snapshot(folder) == before, f"{argv} wrote to {folder}"
    return " ".join(err.split())


def _argv(command: str, db: str, folder: Path) -> list[str]:
    return [a.format(db=db, events=folder / "events.ndjson") for a in MES_COMMANDS[command]]


@pytest.mark.parametrize("case", sorted(BAD_DATABASES))
@pytest.mark.parametrize("command", sorted(MES_COMMANDS))
def test_a_bad_database_is_refused_by_every_mes_command(
    command: str, case: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, expected = BAD_DATABASES[case]
    err = _refused(_argv(command, make(folder), folder), folder, capsys)
    assert expected.format(d=folder) in err, err
    assert "secret" not in err  # a URL's password is never printed


@pytest.mark.parametrize("command", READERS)
def test_reading_never_creates_a_database(
    command: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(_argv(command, "plant.db", folder), folder, capsys)
    assert "--db / GIGALINE_DB 'plant.db': no such database file; `gigaline mes init" in err
    assert not (folder / "plant.db").exists()


@pytest.mark.parametrize("command", READERS)
def test_reading_the_default_database_never_creates_it(
    command: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(command, "x", folder)
    argv = argv[: argv.index("--db")] + argv[argv.index("--db") + 2 :]  # no --db, no GIGALINE_DB
    err = _refused(argv, folder, capsys)
    assert f"database: {folder / 'gigaline.db'} (the default" in err
    assert "'gigaline.db': no such database file" in err


@pytest.mark.parametrize("command", ["trace", "holds", "ingest"])
def test_a_postgresql_database_not_created_is_named_with_the_fix(
    command: str, folder: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = postgres_url.rsplit("/", 1)[0] + "/gigaline_no_such_database"
    err = _refused(_argv(command, url, folder), folder, capsys)
    assert 'database "gigaline_no_such_database" does not exist' in err
    assert "create the database first (createdb gigaline_no_such_database)" in err


def test_mes_init_creates_the_database_it_is_given(folder: Path) -> None:
    assert main(["mes", "init", MINI, "--db", "plant.db"]) == 0
    assert (folder / "plant.db").read_bytes()[:16] == b"SQLite format 3\x00"
    assert main(["holds", "--db", "plant.db"]) == 0  # and a reader then opens it


def test_an_empty_file_is_no_mes_database_and_stays_empty(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "empty.db").touch()
    err = _refused(["trace", "C1", "--db", "empty.db"], folder, capsys)
    assert "--db / GIGALINE_DB 'empty.db': an empty file, no MES database yet;" in err
    assert (folder / "empty.db").stat().st_size == 0


def test_a_sqlite_file_of_something_else_has_no_mes_schema(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    with sqlite3.connect(folder / "other.db") as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    assert main(["holds", "--db", "other.db"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "error: other.db: no MES schema; create it with `gigaline mes init" in err
    with sqlite3.connect(folder / "other.db") as conn:  # nothing added to it
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    conn.close()
    assert tables == [("notes",)]


# --- numbers and paths of every command ------------------------------------------------------

#: (command line, what the message must say). None of these may start any work.
BAD_VALUES: dict[str, tuple[list[str], str]] = {
    "examples copy nope": (
        ["examples", "copy", "nope"],
        "error: example 'nope': one of the shipped examples:",
    ),
    "run --speed -3": (
        ["run", TWO, "--speed", "-3", "--broker", "embedded"],
        "--speed -3: must be >= 0.001 times real time and <= 1,000,000 times real time",
    ),
    "run --days 1e9": (
        ["run", TWO, "--days", "1e9", "--broker", "embedded"],
        "--days 1e+09: must be >= 0 days and <= 36,525 days",
    ),
    "virtual-line --days 0": (
        ["virtual-line", TWO, "--broker", "mqtt://127.0.0.1:1", "--days", "0"],
        "--days 0: more than 0 days",
    ),
    "connect --broker tcp://x": (
        ["connect", "--broker", "tcp://x", "--db", "p.db"],
        "broker 'tcp://x': expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]",
    ),
    "ingest --batch-size 0": (
        ["ingest", "-", "--db", "p.db", "--batch-size", "0"],
        "--batch-size 0: must be >= 1 and <= 1,000,000",
    ),
    "ingest --batch-size 10^20": (
        ["ingest", "-", "--db", "p.db", "--batch-size", str(10**20)],
        f"--batch-size {10**20}: must be >= 1 and <= 1,000,000",
    ),
    "ingest --batch-size 1e20": (
        ["ingest", "-", "--db", "p.db", "--batch-size", "1e20"],
        "Invalid value for '--batch-size': Input should be a valid integer",
    ),
    "ingest a missing file": (
        ["ingest", "missing.ndjson", "--db", "p.db"],
        "FILE 'missing.ndjson': no such file",
    ),
    "release 2^64": (
        ["release", str(2**64), "--reason", "x", "--db", "p.db"],
        f"HOLD {2**64}: must be >= 1 and <= 9,223,372,036,854,775,807",
    ),
    "release 0": (["release", "0", "--reason", "x", "--db", "p.db"], "HOLD 0: must be >= 1"),
    "token revoke 2^63": (
        ["token", "revoke", str(2**63), "--db", "p.db"],
        f"TOKEN_ID {2**63}: must be >= 1 and <= 9,223,372,036,854,775,807",
    ),
    "serve --port 0": (["serve", "--db", "p.db", "--port", "0"], "Invalid value for '--port'"),
    "spc --subgroup 0": (
        ["spc", "m1", "p", "--db", "p.db", "--subgroup", "0"],
        "--subgroup 0: must be >= 2 and <= 10,000",
    ),
    "spc --subgroup 10^9": (
        ["spc", "m1", "p", "--db", "p.db", "--chart", "xbar_r", "--subgroup", str(10**9)],
        "--subgroup 1000000000: must be >= 2 and <= 10,000",
    ),
    "spc --baseline 1": (
        ["spc", "m1", "p", "--db", "p.db", "--baseline", "1"],
        "--baseline 1: must be >= 2",
    ),
    "spc --since before year 1": (
        ["spc", "m1", "p", "--db", "p.db", "--since", "0001-01-01T00:30+01:00"],
        "--since '0001-01-01T00:30+01:00': outside the years 1-9999 in UTC",
    ),
    "spc --since not a time": (
        ["spc", "m1", "p", "--db", "p.db", "--since", "yesterday"],
        "--since 'yesterday': not a time; give RFC 3339",
    ),
    "spc --plot into a missing folder": (
        ["spc", "m1", "p", "--db", "p.db", "--plot", "no/spc.html"],
        "--plot 'no/spc.html': folder 'no' does not exist; create it first",
    ),
    "oee --silence nan": (
        ["oee", "--db", "p.db", "--silence", "nan"],
        "--silence nan: must be a finite number > 0 s and <= 3,650 d",
    ),
    "oee --silence -1": (["oee", "--db", "p.db", "--silence", "-1"], "--silence -1: must be > 0"),
    "oee --until before year 1": (
        ["oee", "--db", "p.db", "--until", "0001-01-01T00:30+01:00"],
        "--until '0001-01-01T00:30+01:00': outside the years 1-9999 in UTC",
    ),
    "generate --seed -1": (
        ["generate", "--line", TWO, "--seed", "-1"],
        "--seed -1: must be >= 0",
    ),
    "generate --days 1e7": (
        ["generate", "--line", TWO, "--days", "1e7"],
        "--days 1e+07: must be >= 0 days and <= 36,525 days",
    ),
    "generate -o onto a folder": (
        ["generate", "--line", TWO, "-o", "."],
        "--output '.': is a folder; give a file name in it",
    ),
    "simulate --seed -1": (["simulate", TWO, "--seed", "-1"], "--seed -1: must be >= 0"),
    "simulate --warmup-days maybe": (
        ["simulate", TWO, "--warmup-days", "maybe"],
        "--warmup-days 'maybe': must be a number of days, or 'auto'",
    ),
    "plan --target-gwh 1e300": (
        ["plan", TWO, "--target-gwh", "1e300"],
        "--target-gwh 1e+300: must be > 0 GWh/yr and <= 1,000 GWh/yr",
    ),
    "plan --target-gwh nan": (["plan", TWO, "--target-gwh", "nan"], "--target-gwh nan: must be"),
    "demo --seed -1": (["demo", "--seed", "-1"], "--seed -1: must be >= 0"),
    "demo --mes-days 0": (["demo", "--mes-days", "0"], "--mes-days 0: must be >= 0.1 days"),
    "ramp --simulate 10^8": (
        ["ramp", REF, "--simulate", str(10**8)],
        "--simulate 100000000: must be >= 1 month and <= 1,200 months",
    ),
    "ramp --simulate 0": (["ramp", REF, "--simulate", "0"], "--simulate 0: must be >= 1 month"),
    "ramp --replications 10^8": (
        ["ramp", REF, "--simulate", "1", "--replications", str(10**8)],
        "--replications 100000000: must be >= 1 and <= 10,000",
    ),
    "ramp --seed -1": (["ramp", REF, "--seed", "-1"], "--seed -1: must be >= 0"),
    "ramp --report onto a folder": (
        ["ramp", REF, "--report", "."],
        "--report '.': is a folder; give a file name in it",
    ),
    "experiment --seed -1": (
        ["experiment", str(EXAMPLES / "buffer-study.yaml"), "--seed", "-1"],
        "--seed -1: must be >= 0",
    ),
    "experiment --days nan": (
        ["experiment", str(EXAMPLES / "buffer-study.yaml"), "--days", "nan"],
        "--days nan: must be a finite number > 0 days",
    ),
    "experiment --warmup-days -1": (
        ["experiment", str(EXAMPLES / "buffer-study.yaml"), "--warmup-days", "-1"],
        "--warmup-days -1: must be >= 0 days",
    ),
    "experiment --replications 0": (
        ["experiment", str(EXAMPLES / "buffer-study.yaml"), "--replications", "0"],
        "--replications 0: must be >= 1 and <= 10,000",
    ),
    "experiment --workers 10^8": (
        ["experiment", str(EXAMPLES / "buffer-study.yaml"), "--workers", str(10**8)],
        "--workers 100000000: must be >= 1 and <= 1,024",
    ),
    "experiment --report into a missing folder": (
        ["experiment", str(EXAMPLES / "buffer-study.yaml"), "--report", "no/r.html"],
        "--report 'no/r.html': folder 'no' does not exist",
    ),
    "experiment --write-lines onto a file": (
        ["experiment", str(EXAMPLES / "buffer-study.yaml"), "--write-lines", "notes.txt"],
        "--write-lines 'notes.txt': is a file, not a folder",
    ),
    "optimize --trials 10^11": (
        ["optimize", str(EXAMPLES / "two-machine-design.yaml"), "--trials", str(10**11)],
        "--trials 100000000000: must be >= 1 and <= 100,000",
    ),
    "optimize --workers 0": (
        ["optimize", str(EXAMPLES / "two-machine-design.yaml"), "--workers", "0"],
        "--workers 0: must be >= 1 and <= 1,024",
    ),
    "optimize --report onto a folder": (
        ["optimize", str(EXAMPLES / "two-machine-design.yaml"), "--report", "."],
        "--report '.': is a folder",
    ),
    "sensitivity --samples 10^11": (
        ["sensitivity", str(EXAMPLES / "two-machine-design.yaml"), "--samples", str(10**11)],
        "--samples 100000000000: must be >= 2 and <= 65,536",
    ),
    "sensitivity --samples 1": (
        ["sensitivity", str(EXAMPLES / "two-machine-design.yaml"), "--samples", "1"],
        "--samples 1: must be >= 2",
    ),
    "sensitivity --workers 2000": (
        ["sensitivity", str(EXAMPLES / "two-machine-design.yaml"), "--workers", "2000"],
        "--workers 2000: must be >= 1 and <= 1,024",
    ),
}


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a simulation or a study starts: the checks must come first."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(gigaline.sim, "simulate", refuse)
    monkeypatch.setattr(gigaline.sim, "run_experiment", refuse)
    monkeypatch.setattr(gigaline.sim.ramp, "simulate_ramp", refuse)
    monkeypatch.setattr(gigaline.studies, "optimize", refuse)
    monkeypatch.setattr(gigaline.studies, "sensitivity", refuse)
    monkeypatch.setattr("gigaline.cli._app.simulate_with_progress", refuse)
    monkeypatch.setattr("gigaline.cli.demo.simulate_with_progress", refuse)


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_a_bad_value_is_refused_before_any_work(
    case: str, folder: Path, no_work: None, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, expected = BAD_VALUES[case]
    before = _snapshot(folder)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert expected in " ".join(err.replace("│", " ").split()), err
    assert _snapshot(folder) == before


def test_every_command_is_in_a_table() -> None:
    """A new command joins the tables above (or this list says why it has no bad values)."""
    from typer.main import get_command

    from gigaline.cli import app

    group = get_command(app)
    names: set[str] = set()
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        names |= {f"{name} {s}" for s in subs} if subs else {name}
    covered = set(MES_COMMANDS) | {case.split()[0] for case in BAD_VALUES}
    covered |= {" ".join(case.split()[:2]) for case in BAD_VALUES}  # sub-commands
    no_values = {"validate"}  # one path argument: the line-file tests (tests/model) judge it
    assert names - covered - no_values == set()


def test_demo_refuses_to_replace_a_database_without_force(
    folder: Path, no_work: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = folder / "demo-out"
    out.mkdir()
    (out / "plant.db").write_bytes(b"SQLite format 3\x00 accepted events")
    err = _refused(["demo", "--out", str(out)], folder, capsys)
    assert f"--out '{out}': '{out / 'plant.db'}' exists (an earlier demo's MES database);" in err
    assert "give --force to replace it, or another --out" in err
