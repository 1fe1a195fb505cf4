"""``gigaline demo`` runs plan, simulation and the MES end to end on embedded defaults."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gigaline.cli import main
from tests.conftest import EXAMPLES


def test_demo_on_the_five_step_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    code = main(
        [
            "demo",
            "--line",
            str(EXAMPLES / "five-step.yaml"),
            "--out",
            str(out),
            "--days",
            "2",
            "--warmup-days",
            "1",
            "--mes-days",
            "0.5",
            "--no-serve",
        ]
    )
    text = capsys.readouterr().out
    assert code == 0, text
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in report
    assert '<script src="http' not in report  # self-contained: plotly.js is inline
    with sqlite3.connect(out / "plant.db") as db:
        records = db.execute("SELECT count(*) FROM process_records").fetchone()[0]
    assert records > 0
    assert "0 rejected" in text
    assert "trace S1-C" in text and "where-used S1-L" in text
