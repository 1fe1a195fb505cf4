"""The MES commands end to end, with --json, on SQLite (and PostgreSQL for ingest/trace)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from gigaline.cli import main

from .conftest import LINES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if "--json" in argv and code == 0 else out


def test_init_generate_ingest_trace_where_used_hold(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = str(LINES / "mini.yaml")
    code, init = run(capsys, "mes", "init", line, "--db", db_url, "--json")
    assert code == 0 and init["stations"] == 18 and init["site"] == "testsite"
    events = tmp_path / "day.ndjson"
    assert main(["generate", "--line", line, "--days", "0.25", "--seed", "2", "-o", str(events),
                 "--no-curves", "--coil-m", "40"]) == 0  # fmt: skip
    capsys.readouterr()
    n = len(events.read_text().splitlines())
    code, first = run(capsys, "ingest", str(events), "--db", db_url, "--json")
    assert code == 0 and (first["accepted"], first["duplicate"], first["rejected"]) == (n, 0, 0)
    code, again = run(capsys, "ingest", str(events), "--db", db_url, "--json")
    assert (again["accepted"], again["duplicate"]) == (0, n)

    code, tr = run(capsys, "trace", "S2-C00000003", "--db", db_url, "--json")
    assert code == 0 and tr["unit"] == "S2-C00000003"
    assert set(tr) >= {"unit", "records", "lots", "ancestors"}
    assert set(tr["records"][0]) >= {"step", "station", "ts", "result", "params"}
    lot = tr["lots"][0]
    code, wu = run(capsys, "where-used", lot, "--db", db_url, "--json")
    assert code == 0 and wu["source"] == lot and "S2-C00000003" in wu["cells"]
    assert set(wu["cells"]) <= set(wu["units"])

    code, held = run(capsys, "hold", lot, "--reason", "recall", "--db", db_url, "--json")
    assert code == 0 and held["units"] == len(wu["units"])
    code, listed = run(capsys, "holds", "--db", db_url, "--json")
    assert [h["id"] for h in listed["holds"]] == [held["id"]]
    code, rel = run(capsys, "release", str(held["id"]), "--reason", "cleared", "--db", db_url,
                    "--json")  # fmt: skip
    assert code == 0 and rel["release_reason"] == "cleared"
    code, listed = run(capsys, "holds", "--db", db_url, "--json")
    assert listed["holds"] == []


def test_mistakes_exit_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("GIGALINE_DB", str(db))
    assert main(["mes", "init", str(LINES / "mini.yaml")]) == 0  # database from GIGALINE_DB
    assert db.exists()
    assert main(["trace", "NO-SUCH-CELL"]) == 2
    assert main(["ingest", str(tmp_path / "missing.ndjson")]) == 2
    assert main(["release", "99", "--reason", "x"]) == 2
    sqlite3.connect(tmp_path / "empty.db").execute("CREATE TABLE t (x)").connection.close()
    assert main(["trace", "X", "--db", str(tmp_path / "empty.db")]) == 2
    err = capsys.readouterr().err
    assert "NO-SUCH-CELL" in err and "no MES schema" in err and "Traceback" not in err


def test_ingest_reads_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    db = str(tmp_path / "stdin.db")
    assert main(["mes", "init", str(LINES / "mini.yaml"), "--db", db]) == 0
    capsys.readouterr()
    lot = {"id": "x1", "type": "lot", "ts": "2026-11-28T08:00:00Z", "lot": "L1",
           "material": "separator", "qty": 10, "uom": "m2"}  # fmt: skip
    data = (json.dumps(lot) + "\n\nnot json\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, result = run(capsys, "ingest", "-", "--db", db, "--json")
    assert code == 0 and (result["accepted"], result["rejected"]) == (1, 1)
    assert result["rejections"][0]["position"] == 3
