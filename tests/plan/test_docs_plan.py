"""Every plan command and snippet in README and docs/ runs, and docs/plan-json.md documents
exactly the keys `gigaline plan --json` prints (so the docs cannot drift again)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from gigaline.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    ROOT / "README.md",
    *(ROOT / "docs" / n for n in ("planning.md", "plan-json.md", "line-file.md")),
]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def _blocks(path: Path, lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(path.read_text(encoding="utf-8")) if kind == lang]


def _commands(prefix: str) -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        for body in _blocks(doc, "") + _blocks(doc, "sh"):
            for line in body.splitlines():
                if line.startswith(prefix):
                    out.append((doc.name, line.split("  #")[0].split(" # ")[0].strip()))
    return out


PLAN_COMMANDS = _commands("gigaline plan ") + _commands("gigaline validate ")


def test_the_docs_have_plan_commands() -> None:
    assert len(PLAN_COMMANDS) >= 8
    assert {doc for doc, _ in PLAN_COMMANDS} >= {"README.md", "planning.md", "plan-json.md"}


@pytest.mark.parametrize(("doc", "command"), PLAN_COMMANDS)
def test_documented_command_runs(
    doc: str, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)[1:]
    assert main(args) == 0, f"{doc}: {command}"
    out = capsys.readouterr().out
    if "--json" in args:
        json.loads(out)  # exactly one object
    else:
        assert out


@pytest.mark.parametrize("doc", ["planning.md"])
def test_documented_python_runs(doc: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    blocks = _blocks(ROOT / "docs" / doc, "python")
    assert blocks
    for code in blocks:
        namespace: dict[str, object] = {}
        exec(compile(code, doc, "exec"), namespace)
    first = namespace["first"]
    assert namespace["required"] == {s.id: s.machines_required for s in first.steps}  # type: ignore[attr-defined]


def _documented_keys(section: str) -> set[str]:
    text = (ROOT / "docs" / "plan-json.md").read_text(encoding="utf-8")
    part = text.split(section, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_0-9]+)` \|", part, re.M))


def _plan_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["plan", str(ROOT / "examples" / "abf-lfp-20gwh.yaml"), "--json"]) == 0
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


def test_plan_json_reference_matches_the_output(capsys: pytest.CaptureFixture[str]) -> None:
    d = _plan_json(capsys)
    assert _documented_keys("## Top level") == set(d)
    steps = d["steps"]
    assert isinstance(steps, list)
    assert _documented_keys("## `steps[]`") == set(steps[0])
    # The abridged example uses only real keys.
    example = json.loads(_blocks(ROOT / "docs" / "plan-json.md", "json")[0])
    assert set(example) - {"..."} <= set(d)
    assert set(example["steps"][0]) - {"..."} <= set(steps[0])


def test_line_file_error_example_is_what_the_loader_says(tmp_path: Path) -> None:
    from gigaline.errors import LineFileError
    from gigaline.model import load_line

    path = tmp_path / "line.yaml"
    path.write_text(
        "name: x\nsite: {country: USA}\n"
        "cell: {format: prismatic, chemistry: LFP, capacity_ah: 100, nominal_voltage_v: 3.2}\n"
        "calendar: {hours_per_year: 8000}\nsteps:\n  - {id: a, kind: discrete, cycle_time: 1 s}\n",
        encoding="utf-8",
    )
    with pytest.raises(LineFileError) as info:
        load_line(path)
    line = str(info.value).splitlines()[1].strip()
    doc = (ROOT / "docs" / "line-file.md").read_text(encoding="utf-8")
    assert line.replace(str(path), "line.yaml") in doc
