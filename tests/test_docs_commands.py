"""Every command and snippet of the experiment, ramp and live-line documentation runs.

Runs each ``gigaline`` line of the ``sh`` blocks of docs/experiments.md and docs/ramp.md (and
the README's lines for the same commands) and each ``python`` block of those docs, in a
scratch folder where ``examples/`` is the repository's, so the docs cannot drift from the
code.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from gigaline.cli import main
from tests.conftest import ROOT

DOCS = ("docs/experiments.md", "docs/ramp.md")
COMMANDS = ("experiment", "optimize", "sensitivity", "ramp")


def _blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def _commands() -> list[str]:
    out: list[str] = []
    for doc in (*DOCS, "README.md"):
        for block in _blocks(ROOT / doc, "sh"):
            for line in block.splitlines():
                words = shlex.split(line, comments=True)
                if len(words) > 1 and words[0] == "gigaline" and words[1] in COMMANDS:
                    cmd = line.split("#")[0].strip()
                    if cmd not in out:
                        out.append(cmd)
    return out


def _snippets() -> list[str]:
    return [b for doc in DOCS for b in _blocks(ROOT / doc, "python")]


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_docs_have_commands() -> None:
    cmds = _commands()
    assert {c.split()[1] for c in cmds} == set(COMMANDS), cmds


@pytest.mark.parametrize("command", _commands())
def test_documented_command_runs(
    command: str, scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(shlex.split(command)[1:])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-2000:]
    assert captured.out.strip()


@pytest.mark.parametrize("snippet", _snippets())
def test_documented_snippet_runs(snippet: str, scratch: Path) -> None:
    exec(compile(snippet, "<docs>", "exec"), {})


# -- docs/live.md: the MES commands of the live line, run in order on one database ----------

LIVE_COMMANDS = ("mes", "ingest", "oee")


def _live_commands() -> list[str]:
    """The live doc's MES commands, then the README's ``gigaline oee`` lines (same database)."""
    out = []
    blocks = [(b, LIVE_COMMANDS) for b in _blocks(ROOT / "docs" / "live.md", "sh")]
    blocks += [(b, ("oee",)) for b in _blocks(ROOT / "README.md", "sh")]
    for block, commands in blocks:
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if len(words) > 1 and words[0] == "gigaline" and words[1] in commands:
                out.append(line.split("#")[0].strip())
    return out


def test_live_doc_commands_and_snippet_run(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cmds = _live_commands()
    assert {c.split()[1] for c in cmds} == set(LIVE_COMMANDS), cmds
    for command in cmds:
        code = main(shlex.split(command)[1:])
        captured = capsys.readouterr()
        assert code == 0, (command, captured.err[-2000:])
        assert captured.out.strip(), command
    assert "49.17 %" in main_output(["oee", "--db", "oee.db", "--step", "assemble", "--since",
                                     "2026-01-05T06:00Z", "--until", "2026-01-05T18:00Z",
                                     "--silence", "3600"], capsys)  # fmt: skip
    (snippet,) = _blocks(ROOT / "docs" / "live.md", "python")
    exec(compile(snippet, "<docs/live.md>", "exec"), {})
    oee, first = capsys.readouterr().out.split()
    assert (float(oee), first) == (pytest.approx(590 * 60 / 72000), "unqualified")


def main_output(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out
