"""Every command of docs/web.md runs, in order, in a scratch folder: the MES commands and
tokens by the CLI, and each ``gigaline serve`` as a real process on a free port, asked for its
health, its dashboard and its login page, then ended by its pid."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gigaline.cli import main
from tests.conftest import ROOT

from .conftest import _free_port

DOC = ROOT / "docs" / "web.md"


def _commands() -> list[str]:
    out = []
    for block in re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S):
        for line in block.splitlines():
            if line.startswith("gigaline "):
                out.append(line.split("#")[0].strip())
    return out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=60) as r:
            return r.status, r.headers.get("location", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("location", "")


def _serve(command: str, cwd: Path) -> tuple[int, str, str]:
    """Start a documented ``gigaline serve`` on a free port; (status of /, where / sends,
    where /plant sends) once it answers; the process is ended by its pid."""
    args = shlex.split(command)[1:]
    if "--port" in args:
        args = args[: args.index("--port")] + args[args.index("--port") + 2 :]
    port = _free_port()
    exe = Path(sys.executable).with_name("gigaline")
    proc = subprocess.Popen([str(exe), *args, "--port", str(port)], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if _get(base + "/api/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"{command} did not start: {err[-2000:]}")
            time.sleep(0.2)
        home, plant = _get(base + "/"), _get(base + "/plant")
        return home[0], home[1], plant[1] if plant[0] == 303 else str(plant[0])
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_web_doc_commands_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    commands = _commands()
    assert sum(c.startswith("gigaline serve") for c in commands) == 2
    for command in commands:
        if command.startswith("gigaline serve"):
            status, home, plant = _serve(command, tmp_path)
            assert (status, home) == (303, "/plant"), command
            # with tokens, the dashboard asks for a login; in demo mode it opens
            assert plant == ("200" if "--demo" in command else "/login?next=%2Fplant"), command
            continue
        code = main(shlex.split(command)[1:])
        captured = capsys.readouterr()
        assert code == 0, (command, captured.err[-2000:])
