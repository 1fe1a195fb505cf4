"""``gigaline virtual-line`` and ``gigaline run``: the MES holds exactly what the line made.

The ground truth is the virtual line's, counted from the events it played (per station:
records OK and NG ending in the window, seconds in each state); the MES's totals are read back
from the store by :func:`gigaline.mes.services.totals.station_totals`. Each station's state
seconds add up to the window, on both sides.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gigaline.cli import main
from gigaline.events.equipment import ms_of
from gigaline.mes.generate import generate_events
from gigaline.model import load_line
from tests._spy import Spy

LINE = Path(__file__).resolve().parents[3] / "examples" / "two-machine.yaml"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(args)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith("{") else {}


def _window_s(days: float) -> float:
    return days * 86400.0


def test_run_through_the_embedded_broker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days = 0.01
    code, report = _run(
        ["run", str(LINE), "--broker", "embedded", "--days", str(days), "--speed", "0",
         "--out", str(tmp_path / "o"), "--wait", "60", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0, report.get("differences")
    assert report["agree"] and report["differences"] == []
    truth, mes = report["truth"]["stations"], {s["station"]: s for s in report["mes"]["stations"]}
    assert set(truth) == set(mes)
    assert sum(t["processed"] for t in truth.values()) > 500
    for station, t in truth.items():
        m = mes[station]
        assert (m["processed"], m["good"], m["ng"]) == (t["processed"], t["good"], t["ng"])
        assert sum(t["seconds"].values()) == pytest.approx(_window_s(days), abs=1e-3)
        assert sum(m["seconds"].values()) == pytest.approx(_window_s(days), abs=1e-3)
    assert (tmp_path / "o" / "plant.db").is_file()


def test_run_through_mosquitto_at_1000x(
    mosquitto: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days = 0.05  # 72 min of the line in 4.3 s
    code, report = _run(
        ["run", str(LINE), "--broker", mosquitto.url, "--days", str(days), "--speed", "1000",
         "--out", str(tmp_path / "o"), "--wait", "60", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0 and report["agree"], report.get("differences")
    assert report["truth"]["wall_s"] >= _window_s(days) / 1000.0
    assert report["truth"]["max_lag_s"] < 5.0


def test_virtual_line_plays_the_stream_and_says_goodbye(
    mosquitto: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days, seed, start = 0.02, 3, "2026-01-05T06:00:00Z"
    spy = Spy(mosquitto.port, "spBv1.0/#", "gigaline/v1/#")
    code, truth = _run(
        ["virtual-line", str(LINE), "--broker", mosquitto.url, "--days", str(days),
         "--seed", str(seed), "--speed", "0", "--start", start, "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0
    line = load_line(LINE)
    from datetime import datetime, timedelta

    t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
    a, b = ms_of(t0), ms_of(t0 + timedelta(days=days))
    expected: dict[str, list[int]] = {}
    json_events = 0  # what goes through the outbox: every event but the stations' states
    for e in generate_events(line, days, seed, start=t0, prefix="x"):
        json_events += e["type"] != "state"
        ts = ms_of(datetime.fromisoformat(e["ts"].replace("Z", "+00:00")))
        if e["type"] == "process" and a <= ts < b:
            n = expected.setdefault(e["station"], [0, 0])
            n[0] += 1
            n[1] += e["result"] == "NG"
    got = {s: [t["processed"], t["ng"]] for s, t in truth["stations"].items() if t["processed"]}
    assert got == expected
    # every JSON event went into the outbox, and the broker acknowledged all before the end
    assert json_events > 0 and (truth["json_events"], truth["unsent"]) == (json_events, 0)
    for t in truth["stations"].values():
        assert sum(t["seconds"].values()) == pytest.approx(_window_s(days), abs=1e-3)
    assert spy.wait(lambda: bool(spy.of("/NDEATH/")))  # the death certificate at the end
    assert spy.of("/DBIRTH/") and spy.of("gigaline/v1/")
    spy.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--speed", "-3"], "--speed -3"),
        (["--days", "0"], "--days 0"),
        (["--broker", "tcp://x"], "broker 'tcp://x'"),
    ],
)
def test_bad_arguments_are_refused_before_anything_starts(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(LINE), "--out", str(tmp_path / "o"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


ROOT = Path(__file__).resolve().parents[3]


def _documented() -> list[str]:
    """The ``virtual-line`` and ``run`` commands of README.md and docs/live.md."""
    out = []
    for doc in (ROOT / "README.md", ROOT / "docs" / "live.md"):
        for line in doc.read_text(encoding="utf-8").splitlines():
            words = line.split("#")[0].split()
            if len(words) > 1 and words[0] == "gigaline" and words[1] in ("run", "virtual-line"):
                out.append(" ".join(words))
    return out


def test_the_documented_commands_run(
    mosquitto: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    commands = _documented()
    assert {c.split()[1] for c in commands} == {"run", "virtual-line"}, commands
    monkeypatch.chdir(tmp_path)
    for command in commands:
        argv = command.replace("mqtt://127.0.0.1:1883", mosquitto.url).split()[1:]
        if "--broker" not in argv:  # not the shared broker: other tests play the same line
            argv += ["--broker", mosquitto.url]
        argv = [str(ROOT / a) if a.startswith("examples/") else a for a in argv]
        assert main(argv) == 0, (command, capsys.readouterr().err[-2000:])
        assert capsys.readouterr().out.strip(), command
