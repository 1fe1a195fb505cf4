"""The CLI reports a user's mistake with exit status 2 and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gigaline.cli import main
from tests.conftest import EXAMPLES


def test_validate_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES / "two-machine.yaml")]) == 0
    assert "2 steps" in capsys.readouterr().out


def test_bad_file_exit_2_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (EXAMPLES / "two-machine.yaml")
        .read_text()
        .replace("yield: 0.99", "yield: 1.5")
        .replace("mean: 1 s", "mean: 1 parsec")
    )
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "2 problems" in err
    lines = bad.read_text().splitlines()
    at_mean = 1 + next(i for i, x in enumerate(lines) if "1 parsec" in x)
    at_yield = 1 + next(i for i, x in enumerate(lines) if "yield: 1.5" in x)
    assert f"{bad}:{at_mean}: steps[0].cycle_time.mean" in err
    assert f"{bad}:{at_yield}: steps[1].yield: must be > 0 and <= 1 (got 1.5)" in err
    assert "Traceback" not in err


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    proc = subprocess.run(
        [sys.executable, "-m", "gigaline.cli", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "not valid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_error_is_exit_2() -> None:
    assert main(["validate"]) == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from gigaline import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"gigaline {__version__}"
