"""A private Mosquitto broker per test: free port, own config and persistence, ended by pid.

Tests that restart or kill a broker must not touch the machine's broker on 1883, so each
gets its own ``mosquitto -c CONF`` on a free port. The configuration is the one
``docs/sparkplug.md`` recommends for the MES: persistence on (queued QoS 1 messages of the
event subscriber's session survive a restart), ``max_queued_messages`` far above Mosquitto's
default of 1000 (which drops QoS 1 messages to a slow subscriber), no in-flight cap.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import services_required

CONFIG = """\
user {user}
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {dir}/
autosave_interval 1
autosave_on_changes true
max_queued_messages 1000000
max_inflight_messages 0
max_keepalive 120
log_dest file {dir}/mosquitto.log
log_type error
log_type warning
log_type notice
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mosquitto:
    """One broker process; ``restart()`` keeps the port and the persistence file."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.port = free_port()
        self.conf = workdir / "mosquitto.conf"
        # as root Mosquitto would drop to user mosquitto, who cannot write to the test's folder
        user = pwd.getpwuid(os.getuid()).pw_name
        self.conf.write_text(CONFIG.format(port=self.port, dir=workdir, user=user))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {self.log()}") from None
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port}: {self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """End the broker by its pid (SIGTERM saves its persistence file; SIGKILL does not)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(10)
        self.proc = None

    def restart(self, sig: int = signal.SIGTERM, down_s: float = 0.5) -> None:
        self.stop(sig)
        time.sleep(down_s)
        self.start()

    def log(self) -> str:
        path = self.dir / "mosquitto.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def start_mosquitto(workdir: Path) -> Mosquitto:
    """A running private broker, or skip (fail under GIGALINE_REQUIRE_SERVICES=1)."""
    if shutil.which("mosquitto") is None:
        msg = "mosquitto is not installed (Debian package mosquitto)"
        if services_required():
            pytest.fail(msg + " and GIGALINE_REQUIRE_SERVICES=1")
        pytest.skip(msg)
    broker = Mosquitto(workdir)
    broker.start()
    return broker
