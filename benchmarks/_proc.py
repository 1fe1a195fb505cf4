"""Ending a benchmark's child process: a signal first (it stops cleanly), SIGKILL if it hangs."""

from __future__ import annotations

import signal
import subprocess


def stop_process(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout_s: float = 10.0
) -> None:
    """Send ``sig`` to ``proc``, wait up to ``timeout_s`` for it to end, else kill it."""
    proc.send_signal(sig)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
