"""The Python snippet of docs/sparkplug.md runs as written (against a broker of its own)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gigaline.mes.sql import open_store
from tests.conftest import EXAMPLES, ROOT
from tests.mes.connectors._live import stored_states


def test_the_snippet_runs(mosquitto: Any, tmp_path: Path) -> None:
    text = (ROOT / "docs" / "sparkplug.md").read_text(encoding="utf-8")
    (snippet,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    db = tmp_path / "plant.db"
    code = (
        snippet.replace('"mqtt://127.0.0.1:1883"', repr(mosquitto.url))
        .replace('"plant.db"', repr(str(db)))
        .replace('"examples/', f'"{EXAMPLES}/')
    )
    assert code != snippet
    exec(compile(code, "docs/sparkplug.md", "exec"), {})
    with open_store(str(db)) as store:
        states = stored_states(store)
    assert [(st, s, r) for st, _ts, s, r in states] == [
        ("stacking-1", "idle", None),  # its state when the edge node started
        ("stacking-1", "down", "separator jam"),
    ]
