"""Every command and snippet in README.md and docs/*.md runs in a test, so the docs cannot
drift: a command or a ``python`` block that no test runs makes this module fail.

What counts (``_items``): every line of a ``sh``, ``bash``, ``console`` (``$ `` lines) or
unlabelled block that starts with ``gigaline``, ``make`` or ``python`` (after ``VAR=value``
prefixes; ``\\`` continuations joined, ``&&`` split), and every ``python`` block.

Who runs it:

- the docs tests that own a document or a command family (``_covered``: their own collectors
  are imported here, so what they run is what is counted);
- this module, for the rest: each document's commands in order in one scratch folder (with
  ``examples/`` of the repository; docs/quality.md after the database commands of
  docs/mes.md, whose database it reads), then its ``python`` blocks in one namespace. Commands
  that serve or wait (``serve``, ``connect``, ``virtual-line`` or ``run`` without ``--days``)
  are started as processes, probed and stopped with SIGTERM (exit status 0).

Small data, by one rule (``_small``): on the 20 GWh reference line, ``simulate`` runs
``--days`` at most 2, ``--warmup-days`` 0 when a number and ``--replications`` 1, and
``generate`` ``--days`` at most 0.1 (2.4 h of the line in steady state, with the histories
of the units then in process: cells reach grading, and every trace, hold and SPC baseline of
the docs has its data; a whole day is about 1 GB of events; one run serves every document
that generates the same); ``--port 8000``
becomes a free port. A synopsis (an upper-case placeholder such as ``LINE.yaml``, or
``[--option]``) is checked against the command's ``--help``: the command exists and has every
option it names. ``python benchmarks/...`` lines are checked to exist and compile (benchmarks
run on request, never in tests). ``make`` targets are the exceptions below.
"""

from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from gigaline.cli import main
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
SHELLS = ("sh", "bash", "console", "shell", "")
REFERENCE = "examples/abf-lfp-20gwh.yaml"

#: Commands no test runs, each with its reason (keep this list short).
EXCEPTIONS: dict[str, str] = {
    "make test": "the test suite itself: CI runs it (.ci/run)",
    "make demo": "`gigaline demo --force` on its defaults (minutes): tests/cli/test_demo.py "
    "runs the demo, tests/test_examples.py runs it from an installed wheel",
}


@dataclass(frozen=True)
class Item:
    doc: str
    kind: str  # "command" or "python"
    text: str


def _norm(command: str) -> str:
    """A command as words (comments dropped, quoting normalised), for comparison."""
    return shlex.join(shlex.split(command, comments=True))


def _command_lines(lang: str, body: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", body)
    out = []
    for raw in joined.splitlines():
        line = raw.strip()
        if lang == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:]
        if not re.match(r"^([A-Z_][A-Z0-9_]*=\S+\s+)*(gigaline|make|python3?)(\s|$)", line):
            continue
        out += [part.strip() for part in line.split(" && ")]
    return out


def _items() -> list[Item]:
    items: list[Item] = []
    for path in DOCS:
        doc = str(path.relative_to(ROOT))
        for lang, body in FENCE.findall(path.read_text(encoding="utf-8")):
            if lang == "python":
                items.append(Item(doc, "python", body))
            elif lang in SHELLS:
                items += [Item(doc, "command", _norm(c)) for c in _command_lines(lang, body)]
    return items


def _covered() -> dict[tuple[str, str], str]:
    """(kind, normalised text) -> the test that runs it, from the other docs tests' collectors."""
    from tests.api import test_docs_api
    from tests.plan import test_docs_plan
    from tests.test_docs_commands import _commands, _live_commands, _snippets
    from tests.web import test_docs_web

    def blocks(doc: str, lang: str) -> list[str]:
        text = (ROOT / doc).read_text(encoding="utf-8")
        return [b for kind, b in FENCE.findall(text) if kind == lang]

    out: dict[tuple[str, str], str] = {}

    def add(kind: str, texts: list[str], by: str) -> None:
        for t in texts:
            out[(kind, _norm(t) if kind == "command" else t)] = by

    add("command", _commands() + _live_commands(), "tests/test_docs_commands.py")
    add("python", _snippets(), "tests/test_docs_commands.py")
    add("python", [b for b in blocks("docs/live.md", "python") if "clock" not in b],
        "tests/test_docs_commands.py")  # fmt: skip
    add("python", [b for b in blocks("docs/live.md", "python") if "Clock" in b],
        "tests/virtual/test_clock.py")  # fmt: skip
    add("command", [c for _, c in test_docs_plan.PLAN_COMMANDS], "tests/plan/test_docs_plan.py")
    add("python", blocks("docs/planning.md", "python"), "tests/plan/test_docs_plan.py")
    add("python", blocks("docs/events.md", "python") + blocks("docs/configuration.md", "python"),
        "tests/test_docs.py")  # fmt: skip
    add("python", [b for b in blocks("docs/mes.md", "python") if "open_store" in b],
        "tests/test_docs.py")  # fmt: skip
    api_lines = [ln for b in test_docs_api._blocks("sh") for ln in b.splitlines() if ln]
    add("command", api_lines, "tests/api/test_docs_api.py")
    add("python", test_docs_api._blocks("python"), "tests/api/test_docs_api.py")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    add("command", [part for ln in readme.splitlines()
                    if ln.startswith(("gigaline mes init examples/oee", "gigaline token",
                                      "gigaline serve"))
                    for part in ln.split("  #")[0].split("&&")],
        "tests/api/test_docs_api.py")  # fmt: skip
    add("command", test_docs_web._commands(), "tests/web/test_docs_web.py")
    add("python", blocks("docs/sparkplug.md", "python"), "tests/test_docs_sparkplug.py")
    add(
        "command",
        [
            ln.removeprefix("$ ")
            for b in blocks("docs/configuration.md", "console")
            for ln in b.splitlines()
            if ln.startswith("$ GIGALINE_SIM_JIT=maybe")
        ],
        "tests/test_docs_all.py::test_the_configuration_error_example_is_what_gigaline_says",
    )
    return out


ITEMS = _items()
COVERED = _covered()
#: commands that make the state later commands of the same document read: run again here
STATEFUL = ("gigaline mes init", "gigaline generate", "gigaline ingest", "gigaline token create")
#: a document that works on the database another one makes: that one's STATEFUL commands first
SETUP = {"docs/quality.md": "docs/mes.md"}


def _is_synopsis(command: str) -> bool:
    words = shlex.split(command)
    return any(re.fullmatch(r"[A-Z][A-Z_]*(\.[a-z]+)?", w) or w.startswith("[") for w in words)


def _waits(words: list[str]) -> bool:
    sub = words[1] if len(words) > 1 else ""
    return sub in ("serve", "connect") or (sub in ("virtual-line", "run") and "--days" not in words)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _small(words: list[str]) -> list[str]:
    """The documented command on small data (the rule of the module docstring)."""
    out = list(words)
    sub = out[1] if len(out) > 1 else ""
    on_reference = REFERENCE in out
    caps = {"simulate": 2.0, "generate": 0.1} if on_reference else {}
    for i, w in enumerate(out[:-1]):
        nxt = out[i + 1]
        if w == "--days" and sub in caps:
            out[i + 1] = f"{min(float(nxt), caps[sub]):g}"
        elif w == "--warmup-days" and sub == "simulate" and on_reference and nxt != "auto":
            out[i + 1] = "0"
        elif w == "--replications" and on_reference:
            out[i + 1] = "1"
        elif w == "--port" and nxt == "8000":
            out[i + 1] = str(_free_port())
    return out


def _broker_needed(words: list[str]) -> str | None:
    """The host:port of an external broker the command names, if any."""
    for i, w in enumerate(words[:-1]):
        if w == "--broker" and words[i + 1].startswith("mqtt://"):
            return words[i + 1].removeprefix("mqtt://")
    return None


def _reachable(hostport: str) -> bool:
    host, _, port = hostport.partition(":")
    try:
        with socket.create_connection((host, int(port or 1883)), timeout=1):
            return True
    except OSError:
        return False


def _start_probe_stop(words: list[str], cwd: Path) -> None:
    """Start a command that serves or waits, probe it, stop it with SIGTERM: a clean stop."""
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "gigaline.cli", *words[1:]], cwd=cwd,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    err: list[str] = []
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: err.extend(proc.stderr or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        if words[1] == "serve":
            port = words[words.index("--port") + 1] if "--port" in words else "8000"
            url = f"http://127.0.0.1:{port}/api/v1/health"
            while True:
                assert proc.poll() is None, "".join(err)[-2000:]
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        assert r.status == 200
                        break
                except OSError:
                    assert time.monotonic() < deadline, "serve did not answer /health"
                    time.sleep(0.5)
        else:  # it says what it waits for, then runs until told to stop
            while not err:
                assert proc.poll() is None and time.monotonic() < deadline, "".join(err)
                time.sleep(0.2)
            time.sleep(2)
            assert proc.poll() is None, "".join(err)[-2000:]
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        reader.join(timeout=10)
        said = "".join(err)
        if words[1] == "serve":  # uvicorn shuts down, then re-raises the signal it caught
            assert "Application shutdown complete" in said, said[-2000:]
            assert proc.returncode in (0, -signal.SIGTERM), said[-2000:]
        else:
            assert proc.returncode == 0, (words, proc.returncode, said[-2000:])
            assert "stopping" in said, said[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _check_synopsis(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    words = shlex.split(command)
    path = [w for w in words[1:3] if re.fullmatch(r"[a-z][a-z-]*", w)]
    code = main([*path[:2], "--help"]) if len(path) > 1 and path[0] in ("mes", "token") else (
        main([path[0], "--help"]))  # fmt: skip
    help_text = capsys.readouterr().out
    assert code == 0, command
    for option in re.findall(r"--[a-z][a-z-]*", command):
        assert option in help_text, (command, option)


_CACHE = Path(tempfile.mkdtemp(prefix="gigaline-docs-"))
atexit.register(shutil.rmtree, _CACHE, True)
_GENERATED: dict[str, Path] = {}


def _run_command(command: str, cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    words = shlex.split(command)
    if words[0] == "make":
        assert command in EXCEPTIONS, f"{command!r}: a make target no test runs"
        return
    if words[0] in ("python", "python3"):
        script = ROOT / words[1]
        assert words[1].startswith("benchmarks/") and script.is_file(), command
        compile(script.read_text(encoding="utf-8"), str(script), "exec")
        return
    if _is_synopsis(command):
        _check_synopsis(command, capsys)
        return
    broker = _broker_needed(words)
    if broker is not None and not _reachable(broker):
        if os.environ.get("GIGALINE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"no MQTT broker at {broker} for {command!r}")
        pytest.skip(f"no MQTT broker at {broker}")
    small = _small(words)
    if small[1] in LIVE and (broker is not None or "--broker" not in small):
        # A live command gets a private Mosquitto: on the shared one, another test playing the
        # same example line at the same moment (same site and line ids) would mix with it.
        _run_on_private_broker(small, cwd, capsys)
        return
    if _waits(small):
        _start_probe_stop(small, cwd)
        return
    output = small[small.index("-o") + 1] if small[1] == "generate" and "-o" in small else None
    cached = _GENERATED.get(shlex.join(small))
    if output is not None and cached is not None:
        shutil.copyfile(cached, cwd / output)  # the same events: generated once per session
        return
    code = main(small[1:])
    captured = capsys.readouterr()
    if output is not None and code == 0:
        keep = _CACHE / f"{len(_GENERATED)}.ndjson"
        shutil.copyfile(cwd / output, keep)
        _GENERATED[shlex.join(small)] = keep
    assert code == 0, (command, captured.err[-2000:])


#: the commands that talk to an MQTT broker
LIVE = ("run", "virtual-line", "connect")


def _run_on_private_broker(words: list[str], cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``words`` with its broker (named or the default one) replaced by a private Mosquitto
    on a free port, started here and ended by its pid."""
    from tests._mosquitto import start_mosquitto

    if shutil.which("mosquitto") is None:
        if os.environ.get("GIGALINE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"no mosquitto executable for {shlex.join(words)!r}")
        pytest.skip("no mosquitto executable")
    workdir = Path(tempfile.mkdtemp(prefix="mosquitto-", dir=cwd))
    broker = start_mosquitto(workdir)
    try:
        if "--broker" in words:
            i = words.index("--broker")
            words = [*words[: i + 1], broker.url, *words[i + 2 :]]
        else:
            words = [*words, "--broker", broker.url]
        if _waits(words):
            _start_probe_stop(words, cwd)
            return
        code = main(words[1:])
        captured = capsys.readouterr()
        assert code == 0, (shlex.join(words), captured.err[-2000:])
    finally:
        broker.stop()


def _docs_with_work() -> list[str]:
    return sorted({i.doc for i in ITEMS if (i.kind, i.text) not in COVERED})


def test_every_command_and_snippet_is_run_by_a_test() -> None:
    """A command or block is run by another docs test, by this module, or listed with a
    reason; the collectors of the other tests find what they claim."""
    assert len(ITEMS) > 100
    assert {i.doc for i in ITEMS} >= {"README.md", "docs/mes.md", "docs/live.md"}
    claimed = set(COVERED)
    found = {(i.kind, i.text) for i in ITEMS}
    assert claimed <= found, sorted(claimed - found)[:5]
    for k in EXCEPTIONS:
        assert ("command", k) in found, f"exception {k!r} is not in the docs any more"


@pytest.mark.slow
@pytest.mark.parametrize("doc", _docs_with_work())
def test_the_docs_commands_and_snippets_run(
    doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GIGALINE_DB", raising=False)
    namespace: dict[str, object] = {}
    ran = 0
    for item in ITEMS:
        if item.doc == SETUP.get(doc) and item.text.startswith(STATEFUL):
            _run_command(item.text, tmp_path, capsys)
    for item in (i for i in ITEMS if i.doc == doc):
        if item.kind == "python":
            if ("python", item.text) in COVERED:
                continue
            exec(compile(item.text, doc, "exec"), namespace)
            capsys.readouterr()
            ran += 1
            continue
        covered = ("command", item.text) in COVERED
        if covered and not item.text.startswith(STATEFUL):
            continue
        _run_command(item.text, tmp_path, capsys)
        ran += 1
    assert ran


def test_the_benchmarks_the_docs_name_exist_and_compile() -> None:
    """``python benchmarks/...`` in a table or in running text: the script is there and
    compiles (benchmarks run on request, never in tests)."""
    named = set()
    for path in DOCS:
        named |= set(re.findall(r"python3? (benchmarks/[\w/.-]+\.py)", path.read_text("utf-8")))
    assert named
    for script in sorted(named):
        path = ROOT / script
        assert path.is_file(), script
        compile(path.read_text(encoding="utf-8"), script, "exec")


def test_the_configuration_error_example_is_what_gigaline_says(tmp_path: Path) -> None:
    """docs/configuration.md's ``GIGALINE_SIM_JIT=maybe gigaline simulate ...`` and its error."""
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    (block,) = [b for lang, b in FENCE.findall(text) if "GIGALINE_SIM_JIT=maybe" in b]
    command, expected = block.splitlines()[:2]
    words = shlex.split(command.removeprefix("$ "))
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "GIGALINE_SIM_JIT": "maybe", "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "gigaline.cli", *words[2:]], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip() == expected.strip()
