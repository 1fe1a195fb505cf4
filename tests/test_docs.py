"""The Python snippets of the docs run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gigaline.mes.generate import generate_events
from gigaline.model import load_line

from .conftest import ROOT

_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _snippets(doc: str) -> list[str]:
    return _BLOCK.findall((ROOT / "docs" / doc).read_text(encoding="utf-8"))


@pytest.mark.parametrize("doc", ["events.md", "configuration.md"])
def test_snippets_run(doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (snippet,) = _snippets(doc)
    exec(compile(snippet, doc, "exec"), {})


def test_the_mes_python_api_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    source = ROOT / "tests" / "mes" / "lines" / "mini.yaml"
    (tmp_path / "line.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    # ids S1-..., as in the snippet; 40 m coils keep the small line's electrodes moving
    events = generate_events(load_line(source), 1.0, 1, coil_m=40.0)
    (tmp_path / "day.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events))
    monkeypatch.chdir(tmp_path)
    (snippet,) = (s for s in _snippets("mes.md") if "open_store" in s)
    exec(compile(snippet, "mes.md", "exec"), {})
    assert (tmp_path / "plant.db").exists()
