"""Terminal tables never cut a number: every command's text output, piped (not a terminal),
at 60, 80 and 120 columns and with no COLUMNS at all, shows every number its ``--json`` gives
whole (not folded onto the next line, not cut to ``…``); no ``-0.000``; a performance above 1
is marked and explained."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from gigaline.cli import main
from gigaline.cli._tables import num, number_table, print_table

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REF = str(EXAMPLES / "abf-lfp-20gwh.yaml")
TWO = str(EXAMPLES / "two-machine.yaml")
WIDTHS = ["60", "80", "120", None]  # None: piped with no COLUMNS (rich would assume 80)


def whole(text: str, token: str) -> bool:
    """``token`` appears in ``text`` with no digit (or decimal part) glued to either side."""
    pattern = r"(?<![\d.,])" + re.escape(token) + r"(?![\d]|[.,]\d)"
    return re.search(pattern, text) is not None


def assert_whole(text: str, tokens: Iterable[str]) -> None:
    missing = [t for t in tokens if not whole(text, t)]
    assert not missing, f"cut or missing numbers: {missing[:10]}\n{text}"
    assert "…" not in text
    assert not re.search(r"-0\.0+(?!\d*[1-9])\b", text), "a -0.000 in the output"


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    width: str | None,
) -> str:
    if width is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", width)
    assert main(args) == 0
    return capsys.readouterr().out


def json_of(capsys: pytest.CaptureFixture[str], args: list[str]) -> Any:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ---- the table helpers ------------------------------------------------------------------------


def test_num_never_prints_minus_zero() -> None:
    assert num(-0.0001) == "0.000" and num(-0.0, ",.1f") == "0.0"
    assert num(-0.0004, "+,.3f") == "0.000" and num(0.0, "+.1f") == "0.0"
    assert num(-0.0006) == "-0.001" and num(1234.5, "+,.1f") == "+1,234.5"
    assert num(float("nan")) == "-" and num(None, none="") == ""


@pytest.mark.parametrize("width", [20, 40, 60, 80])
def test_a_table_narrower_than_its_numbers_is_printed_wider_not_cut(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    numbers = ["472,103.8", "15,013.5", "1,306,351", "-12.25"]
    rows = [(f"a rather long step name number {i}", n, n, n) for i, n in enumerate(numbers)]
    out = io.StringIO()
    console = Console(file=out, width=width)
    print_table(number_table("t", ("name", "rate/h", "capacity/h", "x"), rows, text=1), console)
    text = out.getvalue()
    assert_whole(text, numbers)
    assert sum(text.count(n) for n in numbers) == 3 * len(numbers)


def test_piped_without_columns_a_table_keeps_its_natural_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    rows = [("a step name of many words that would wrap at eighty columns", "1.0")] * 2
    out = io.StringIO()
    console = Console(file=out)  # a file: rich assumes 80 columns
    print_table(number_table("t", ("name", "x"), rows, text=1), console)
    assert "a step name of many words that would wrap at eighty columns" in out.getvalue()


# ---- every command --------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_plan(width: str | None, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    d = json_of(capsys, ["plan", REF])
    text = run(capsys, monkeypatch, ["plan", REF], width)
    tokens = []
    for s in d["steps"]:
        tokens += [
            num(s["rate_per_h"], ",.1f"),
            num(s["capacity_per_machine_per_h"], ",.1f"),
            num(s["availability"], ".3f"),
        ]
        assert re.search(rf"{s['id']}\b", text.replace("\n", " ")) or len(s["id"]) > 20
    tokens += [f"{d[k]:,}" for k in ("formation_channels", "grading_channels", "aging_positions")]
    tokens += [num(d[k], ".2f") for k in ("cost_usd_per_kwh", "cost_usd_per_kwh_net")]
    tokens += [num(t, ",.0f") for t in d["materials_t_per_year"].values()]
    assert_whole(text, tokens)


def _sim_tokens(d: dict[str, Any]) -> list[str]:
    tokens = [num(d["throughput_per_h"], ",.1f"), num(d["gwh_per_year"], ",.3f")]
    for s in d["steps"]:
        tokens += [num(s[k]) for k in ("oee", "availability", "performance", "quality")]
        tokens += [num(v) for v in s["states"].values()]
        tokens += [num(s["good_cells_per_h"], ",.1f"), num(s["scrap_cells"], ",.0f")]
        tokens += [num(s["bottleneck_sole"]), num(s["bottleneck_shifting"])]
    return tokens


@pytest.mark.parametrize("width", WIDTHS)
def test_simulate(width: str | None, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["simulate", TWO, "--days", "0.5", "--replications", "2", "--seed", "3"]
    d = json_of(capsys, args)
    text = run(capsys, monkeypatch, args, width)
    assert_whole(text, _sim_tokens(d))
    flat = " ".join(text.split())
    assert "Steps: OEE per ISO 22400-2" in flat and "share of time in each state" in flat


def test_simulate_marks_and_explains_a_performance_above_1(
    capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # m1 of the two-machine line has exponential cycles of mean 1 s = its PRI: over a short
    # window the drawn cycles are as often faster than their mean as slower
    for seed in range(20):
        args = ["simulate", TWO, "--days", "0.05", "--seed", str(seed)]
        d = json_of(capsys, args)
        m1 = d["steps"][0]
        if m1["performance"] > 1.0005:
            break
    else:
        pytest.fail("no seed gave a performance above 1")
    text = run(capsys, monkeypatch, args, "80")
    assert whole(text, num(m1["performance"]) + "*")
    flat = " ".join(text.split())
    assert "* performance above 1" in flat and "Not capped" in flat and "ISO 22400-2" in flat


@pytest.mark.parametrize("width", WIDTHS)
def test_experiment(width: str | None, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["experiment", str(EXAMPLES / "buffer-study.yaml"), "--replications", "2",
            "--days", "0.1", "--workers", "1"]  # fmt: skip
    d = json_of(capsys, args)
    text = run(capsys, monkeypatch, args, width)
    tokens = []
    for s in d["scenarios"]:
        tokens += [num(s["throughput_per_h"], ",.1f"), num(s["gwh_per_year"], ",.3f")]
        tokens += [num(s["ci95"]["throughput_per_h"]["half_width"], ",.1f")]
    assert_whole(text, tokens)


@pytest.mark.parametrize("width", WIDTHS)
def test_ramp(width: str | None, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    d = json_of(capsys, ["ramp", REF])
    text = run(capsys, monkeypatch, ["ramp", REF, "--every", "12"], width)
    months = [m for m in d["months"] if m["month"] % 12 == 0 or m is d["months"][-1]]
    tokens = []
    for m in months:
        tokens += [num(m["gwh"], ",.3f"), num(m["capex_usd"] / 1e6, ",.1f")]
        tokens += [num(v, ",.3f") for v in m["gwh_by_phase"].values()]
    for p in d["phases"]:
        tokens += [num(p["capex_usd"] / 1e6, ",.1f"), num(p["steady_cost_usd_per_kwh"], ",.2f")]
    assert_whole(text, tokens)


@pytest.mark.parametrize("width", WIDTHS)
def test_sensitivity(width: str | None, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["sensitivity", str(EXAMPLES / "two-machine-design.yaml"), "--no-sobol",
            "--workers", "1"]  # fmt: skip
    d = json_of(capsys, args)
    text = run(capsys, monkeypatch, args, width)
    tokens = []
    for o in d["one_at_a_time"]:
        tokens += [num(o["swing"]["throughput_per_h"], "+,.1f")]
        tokens += [num(o["swing"]["cost_usd_per_kwh"], "+,.4f")]
    assert_whole(text, tokens)


@pytest.mark.parametrize("width", ["60", None])
def test_optimize(width: str | None, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["optimize", str(EXAMPLES / "two-machine-design.yaml"), "--trials", "3",
            "--workers", "1"]  # fmt: skip
    d = json_of(capsys, args)
    text = run(capsys, monkeypatch, args, width)
    tokens = []
    for c in d["pareto_front"]:
        tokens += [f"{c['capex_usd'] / 1e6:,.1f}", f"{c['throughput_per_h']:,.0f}"]
    assert_whole(text, tokens)


@pytest.mark.parametrize("width", WIDTHS)
def test_oee(
    width: str | None, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = str(tmp_path / "oee.db")
    assert main(["mes", "init", str(EXAMPLES / "oee-example.yaml"), "--db", db]) == 0
    assert main(["ingest", str(EXAMPLES / "oee-example.ndjson"), "--db", db]) == 0
    capsys.readouterr()
    args = ["oee", "--db", db, "--since", "2026-01-05T06:00Z", "--until", "2026-01-05T18:00Z"]
    d = json_of(capsys, args)
    text = run(capsys, monkeypatch, args, width)
    tokens = []
    for r in d["rows"]:
        for k in ("availability", "performance", "quality", "oee"):
            if r[k] is not None:
                tokens.append(num(r[k] * 100, ".2f") + " %")
        tokens += [num(r["planned_busy_s"] / 3600, ",.2f"), f"{r['produced']:,}"]
    for c in d["pareto"]:
        tokens.append(num(c["seconds"] / 3600, ",.2f"))
    assert_whole(text, tokens)


def test_piped_to_a_file_as_a_user_does(tmp_path: Path) -> None:
    """The whole process, stdout to a file, no COLUMNS: the plan's numbers come out whole."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    out = tmp_path / "plan.txt"
    with out.open("w") as fh:
        subprocess.run([sys.executable, "-m", "gigaline.cli", "plan", REF], stdout=fh,
                       env=env, check=True)  # fmt: skip
    text = out.read_text()
    assert_whole(text, ["15,013.5", "472,103.8", "1,306,351"])
    assert "c_calendering" in text  # names whole too, where the file has room


def test_oee_marks_and_explains_a_performance_above_1(
    capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the worked example with a PRI of 120 s where the stations take 60 s: performance
    # 120 x 500 / 30,600 = 1.96 at assemble-1, kept as computed (ISO 22400-2), marked, explained
    text = (
        (EXAMPLES / "oee-example.yaml").read_text().replace("cycle_time: 60 s", "cycle_time: 120 s")
    )
    line = tmp_path / "slow-pri.yaml"
    line.write_text(text)
    db = str(tmp_path / "oee.db")
    assert main(["mes", "init", str(line), "--db", db]) == 0
    assert main(["ingest", str(EXAMPLES / "oee-example.ndjson"), "--db", db]) == 0
    capsys.readouterr()
    args = ["oee", "--db", db, "--step", "assemble", "--since", "2026-01-05T06:00Z",
            "--until", "2026-01-05T18:00Z"]  # fmt: skip
    d = json_of(capsys, args)
    station = next(r for r in d["rows"] if r["name"] == "assemble-1")
    assert station["performance"] == pytest.approx(120 * 500 / 30_600)  # not capped at 1
    out = run(capsys, monkeypatch, args, "80")
    assert "196.08 %*" in out
    flat = " ".join(out.split())
    assert "* performance above 1" in flat and "Not capped" in flat


@pytest.mark.parametrize("width", ["60", None])
def test_trace_and_holds(
    width: str | None, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    line = str(Path(__file__).resolve().parents[1] / "mes" / "lines" / "mini.yaml")
    db = str(tmp_path / "mini.db")
    events = tmp_path / "day.ndjson"
    assert main(["mes", "init", line, "--db", db]) == 0
    assert main(["generate", "--line", line, "--days", "0.25", "--seed", "2", "-o", str(events),
                 "--no-curves", "--coil-m", "40"]) == 0  # fmt: skip
    assert main(["ingest", str(events), "--db", db]) == 0
    capsys.readouterr()
    tr = json_of(capsys, ["trace", "S2-C00000003", "--db", db])
    text = run(capsys, monkeypatch, ["trace", "S2-C00000003", "--db", db], width)
    tokens = [r["ts"] for r in tr["records"]]  # timestamps whole, never folded
    tokens += [num(v, "g") for r in tr["records"] for v in r["params"].values()]
    assert_whole(text, tokens)
    lot = tr["lots"][0]
    assert main(["hold", lot, "--reason", "a supplier recall with a long reason", "--db", db]) == 0
    capsys.readouterr()
    held = json_of(capsys, ["holds", "--db", db])["holds"][0]
    text = run(capsys, monkeypatch, ["holds", "--db", db], width)
    assert_whole(text, [f"{held['units']:,}", held["created"]])
