"""Command-line values and output paths are checked before the work starts: a clear message
naming the flag, the value and what is allowed, exit status 2, and nothing run or written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import gigaline.sim
from gigaline.cli import main
from gigaline.sim import budget
from tests.conftest import EXAMPLES

TWO = str(EXAMPLES / "two-machine.yaml")
FIVE = str(EXAMPLES / "five-step.yaml")


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a simulation starts: the checks must come first."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the simulation started before the arguments were checked")

    monkeypatch.setattr(gigaline.sim, "simulate", refuse)
    monkeypatch.setattr("gigaline.cli._app.simulate_with_progress", refuse)
    monkeypatch.setattr("gigaline.cli.demo.simulate_with_progress", refuse)


def _refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return " ".join(err.split())  # rich wraps long lines


SIMULATE = {
    "--days nan": ("--days nan: must be a finite number > 0 days and <= 36,525 days"),
    "--days inf": ("--days inf: must be a finite number > 0 days and <= 36,525 days"),
    "--days 1e7": ("--days 1e+07: must be > 0 days and <= 36,525 days"),
    "--days 0": ("--days 0: must be > 0 days"),
    "--warmup-days -1": ("--warmup-days -1: must be >= 0 days and <= 36,525 days"),
    "--warmup-days nan": ("--warmup-days nan: must be a finite number >= 0 days"),
    "--warmup-days inf": ("--warmup-days inf: must be a finite number >= 0 days"),
    "--days 30000 --warmup-days 30000": (
        "--warmup-days + --days 60000: the simulated horizon must be > 0 days and <= 36,525 days"
    ),
    "--seed -1": "--seed -1: must be >= 0 and <= 9,223,372,036,854,775,807",
    "--seed 99999999999999999999": "--seed 99999999999999999999: must be >= 0",
    "--replications 0": "--replications 0: must be >= 1 and <= 10,000",
    "--replications 1000000": "--replications 1000000: must be >= 1 and <= 10,000",
}


@pytest.mark.parametrize("flags", sorted(SIMULATE))
def test_simulate_refuses_bad_values_before_running(
    flags: str, no_simulation: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert SIMULATE[flags] in _refused(["simulate", TWO, *flags.split()], capsys)


def test_simulate_report_into_a_missing_folder_fails_first(
    tmp_path: Path, no_simulation: None, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "r.html"
    err = _refused(["simulate", TWO, "--days", "1", "--report", str(target)], capsys)
    assert f"--report '{target}': folder '{target.parent}' does not exist; create it first" in err
    assert not target.parent.exists()


def test_simulate_report_onto_a_folder_fails_first(
    tmp_path: Path, no_simulation: None, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(["simulate", TWO, "--report", str(tmp_path)], capsys)
    assert f"--report '{tmp_path}': is a folder; give a file name in it" in err


def test_simulate_too_large_for_memory_says_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(budget, "memory_allowed", lambda: (2**20, "a test limit"))
    err = _refused(["simulate", TWO, "--days", "365"], capsys)
    assert "would need about" in err and "of state" in err
    assert "over 8,760 h" in err
    assert "allowed: 1.0 MiB (a test limit)" in err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e300", "--target-gwh 1e+300: must be > 0 GWh/yr and <= 1,000 GWh/yr"),
        ("nan", "--target-gwh nan: must be a finite number > 0 GWh/yr"),
        ("0", "--target-gwh 0: must be > 0 GWh/yr"),
        ("-5", "--target-gwh -5: must be > 0 GWh/yr"),
    ],
)
def test_plan_refuses_an_absurd_target(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert message in _refused(["plan", TWO, "--target-gwh", value], capsys)


def test_plan_at_the_largest_target_works(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", TWO, "--target-gwh", "1000", "--json"]) == 0
    assert '"gwh_per_year":1000' in capsys.readouterr().out.replace(" ", "")


DEMO = {
    "--days nan": "--days nan: must be a finite number >= 1 days and <= 36,525 days",
    "--days 0.5": "--days 0.5: must be >= 1 days",
    "--warmup-days inf": "--warmup-days inf: must be a finite number >= 0 days",
    "--mes-days 0": "--mes-days 0: must be >= 0.1 days",
    "--mes-days nan": "--mes-days nan: must be a finite number >= 0.1 days",
    "--seed -2": "--seed -2: must be >= 0",
}


@pytest.mark.parametrize("flags", sorted(DEMO))
def test_demo_refuses_bad_values_before_running(
    flags: str, tmp_path: Path, no_simulation: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    err = _refused(["demo", "--line", FIVE, "--out", str(out), *flags.split()], capsys)
    assert DEMO[flags] in err
    assert not out.exists()


def test_demo_out_onto_a_file_or_with_a_folder_in_the_way(
    tmp_path: Path, no_simulation: None, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "f"
    a_file.write_text("x")
    assert "is a file, not a folder" in _refused(
        ["demo", "--line", FIVE, "--out", str(a_file)], capsys
    )
    inside = tmp_path / "f" / "sub"
    err = _refused(["demo", "--line", FIVE, "--out", str(inside)], capsys)
    assert f"cannot create it: '{a_file}' is a file" in err
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)
    err = _refused(["demo", "--line", FIVE, "--out", str(out)], capsys)
    assert "'report.html' in it is a folder, not a file" in err


GENERATE = {
    "--days nan": "--days nan: must be a finite number >= 0 days and <= 36,525 days",
    "--days 1e9": "--days 1e+09: must be >= 0 days and <= 36,525 days",
    "--days -1": "--days -1: must be >= 0 days",
    "--seed -1": "--seed -1: must be >= 0",
}


@pytest.mark.parametrize("flags", sorted(GENERATE))
def test_generate_refuses_bad_values(
    flags: str, no_simulation: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert GENERATE[flags] in _refused(["generate", "--line", FIVE, *flags.split()], capsys)


def test_generate_output_must_be_writable_before_generating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no" / "day.ndjson"
    err = _refused(["generate", "--line", FIVE, "-o", str(missing)], capsys)
    assert f"--output '{missing}': folder '{missing.parent}' does not exist" in err
    err = _refused(["generate", "--line", FIVE, "-o", str(tmp_path)], capsys)
    assert f"--output '{tmp_path}': is a folder; give a file name in it" in err


def test_spc_plot_into_a_missing_folder_fails_before_opening_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "plant.db"
    plot = tmp_path / "no" / "spc.html"
    err = _refused(["spc", "filling", "fill_mass_g", "--db", str(db), "--plot", str(plot)], capsys)
    assert f"--plot '{plot}': folder '{plot.parent}' does not exist" in err
    assert not db.exists()


def test_no_traceback_from_the_console_script(tmp_path: Path) -> None:
    laughs = tmp_path / "laughs.yaml"
    rows = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    laughs.write_text("\n".join(rows) + "\n")
    for args in (["validate", str(laughs)], ["simulate", TWO, "--days", "nan"]):
        proc = subprocess.run(
            [sys.executable, "-m", "gigaline.cli", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert "error:" in proc.stderr
