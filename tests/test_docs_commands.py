"""Every command and snippet of the experiment and ramp documentation runs.

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
