"""The compiled kernel's cache (gigaline.sim._jit.kernel_cache): a cold cache and an unwritable
cache directory are found without compiling anything, and the command line says so.

Nothing here compiles the kernel: the subprocesses only load the kernel's modules (numba makes
a dispatcher per function and reads no machine code until a first call).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gigaline.cli import main
from gigaline.sim import KernelCache
from tests.conftest import EXAMPLES

PROBE = (
    "import json, warnings\n"
    "with warnings.catch_warnings(record=True) as caught:\n"
    "    warnings.simplefilter('always')\n"
    "    from gigaline.sim import kernel_cache\n"
    "    k = kernel_cache()\n"
    "print(json.dumps({'warm': k.warm, 'used': str(k.used), 'wanted': str(k.wanted),\n"
    "    'problem': k.problem, 'message': k.message,\n"
    "    'warnings': [str(w.message) for w in caught if 'kernel cache' in str(w.message)]}))\n"
)


def _probe(cache_dir: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["GIGALINE_CACHE_DIR"] = str(cache_dir)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def test_an_empty_cache_directory_is_cold_and_used(tmp_path: Path) -> None:
    k = _probe(tmp_path / "cache")
    assert k["warm"] is False
    assert str(k["used"]).startswith(str(tmp_path / "cache" / "numba"))
    assert k["problem"] is None and k["message"] is None and k["warnings"] == []


def test_an_unwritable_cache_directory_is_said_with_its_path_and_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    k = _probe(blocker / "cache")  # cannot be created, even by root
    wanted = str(k["wanted"])
    assert wanted.startswith(str(blocker / "cache" / "numba"))
    assert f"{wanted} (GIGALINE_CACHE_DIR) cannot be written: Not a directory" in str(k["problem"])
    assert not str(k["used"]).startswith(str(blocker))  # numba keeps it where it can
    message = str(k["message"])
    assert "kept in" in message and "Set GIGALINE_CACHE_DIR to a writable directory" in message
    (warning,) = k["warnings"]  # type: ignore[misc]  # the Python API is warned too, once
    assert "cannot be written" in warning and "compiled again on every run" in warning


def test_without_any_writable_cache_the_kernel_is_compiled_uncached_and_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from numba.core import caching

    from gigaline.sim import _jit

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])  # numba finds no place
    monkeypatch.setattr(_jit, "_UNCACHED", [])

    def twice(x: float) -> float:
        return 2.0 * x

    compiled = _jit._njit(twice)  # cache=True would raise "no locator available"
    assert compiled(2.5) == 5.0
    assert _jit._UNCACHED == [
        "test_without_any_writable_cache_the_kernel_is_compiled_uncached_and_said.<locals>.twice"
    ]
    state = KernelCache(True, Path("/x"), None, False, "the kernel cache directory /x cannot")
    assert "cached nowhere: every run compiles it again (about a minute)" in str(state.message)


def test_a_warm_cache_is_warm_in_this_process() -> None:
    from gigaline.sim import kernel_cache, warm_kernel

    warm_kernel()  # compiled or loaded here: nothing more to compile
    k = kernel_cache()
    assert k.warm and k.used is not None and k.message is None


@pytest.mark.parametrize(
    ("state", "said", "compiles"),
    [
        (KernelCache(True, Path("/c"), Path("/c/sim_1"), True, None), [], False),
        (
            KernelCache(True, Path("/c"), Path("/c/sim_1"), False, None),
            [
                "compiling the simulation kernel: once per version",
                "kept in /c/sim_1",
                "compiled in",
            ],
            True,
        ),
        (
            KernelCache(
                True,
                Path("/ro"),
                Path("/src/__pycache__"),
                True,
                "the kernel cache directory /ro (GIGALINE_CACHE_DIR) cannot be written: Read-only",
            ),
            ["warning: the kernel cache directory /ro", "kept in /src/__pycache__ instead"],
            False,
        ),
    ],
)
def test_the_command_says_what_the_cache_means_before_simulating(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    state: KernelCache,
    said: list[str],
    compiles: bool,
) -> None:
    import gigaline.sim

    calls: list[str] = []
    monkeypatch.setattr(gigaline.sim, "kernel_cache", lambda: state)
    monkeypatch.setattr(gigaline.sim, "warm_kernel", lambda: calls.append("warm"))
    line = str(EXAMPLES / "two-machine.yaml")
    assert main(["simulate", line, "--days", "0.01", "--warmup-days", "0.01", "--json"]) == 0
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())
    json.loads(captured.out)  # the JSON stays clean on stdout
    for text in said:
        assert text in err
    if not said:
        assert "kernel" not in err
    assert calls == (["warm"] if compiles else [])
