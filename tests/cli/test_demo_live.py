"""``gigaline demo`` ends live: the dashboard over the demo's database while the virtual line
feeds it, until SIGINT, then a clean exit.

The demo runs as a user runs it, in its own process (``python -m gigaline.cli demo``), on the
five-step line with short runs, an embedded broker (nothing shared with other tests) and a
free port. The test waits for the URL line, reads the pages and the API, sees the stored
records grow while it watches, reads a live update of the plant page over server-sent events,
then sends SIGINT and expects exit code 0 and no traceback. Every wait is bounded.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow

URL_LINE = re.compile(r"dashboard: (http://127\.0\.0\.1:\d+/)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _records(client: httpx.Client) -> int:
    answer = client.get("/api/v1/counts")
    assert answer.status_code == 200, answer.text
    n: int = answer.json()["process_records"]
    return n


def test_demo_serves_the_dashboard_with_the_line_live_until_sigint(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    port = _free_port()
    cmd = [
        sys.executable, "-m", "gigaline.cli", "demo", "--line", str(EXAMPLES / "five-step.yaml"),
        "--out", str(out), "--days", "1", "--warmup-days", "1", "--mes-days", "0.2",
        "--port", str(port), "--broker", "embedded", "--speed", "300",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    lines: list[str] = []
    found: dict[str, str] = {}

    def read() -> None:
        assert proc.stdout is not None
        for text in proc.stdout:
            lines.append(text)
            m = URL_LINE.search(text)
            if m:
                found["url"] = m.group(1)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 480
        while "url" not in found:
            assert proc.poll() is None, "".join(lines) + errors.read_text()
            assert time.monotonic() < deadline, "no URL line:\n" + "".join(lines[-30:])
            time.sleep(0.2)
        url = found["url"]
        assert url == f"http://127.0.0.1:{port}/"
        with httpx.Client(base_url=url, timeout=30) as client:
            plant = client.get("/plant")  # demo mode: no login
            assert plant.status_code == 200
            assert "five-step teaching line" in plant.text
            first = _records(client)
            assert first > 0  # the demo's stored day
            grown = first
            deadline = time.monotonic() + 120
            while grown <= first and time.monotonic() < deadline:
                time.sleep(1)
                grown = _records(client)
            assert grown > first, f"no live records in 120 s (stayed {first:,})"
            line = client.get("/lines/five-step teaching line")
            assert line.status_code == 200 and "weld-1" in line.text
            # a live update of the plant page over server-sent events
            with client.stream("GET", "/live/plant?every=1") as live:
                assert live.headers["content-type"].startswith("text/event-stream")
                events = []
                for text in live.iter_lines():
                    if text.startswith("event: "):
                        events.append(text.removeprefix("event: "))
                    if events.count("tiles") >= 2:
                        break
            assert events[:2] == ["tiles", "charts"]
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=90)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    text = "".join(lines)
    stderr = errors.read_text()
    assert code == 0, text[-3000:] + stderr[-3000:]
    assert "Traceback" not in stderr and "Traceback" not in text, stderr[-3000:]
    assert "stopped: the line played" in text
    assert re.search(r"the MES accepted [1-9][\d,]* ", text), text[-2000:]
