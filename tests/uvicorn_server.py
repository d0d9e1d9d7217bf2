"""``uvicorn api.main:app`` in a child process on 127.0.0.1, for tests against a real server.

A separate process, as in production: clients in the test process (OWSLib, GDAL, many
threads) cannot block the server, and a test can kill it with SIGKILL.
:class:`UvicornServer` runs plain ``uvicorn``; :class:`ServeCommand` runs
``geoquartier serve`` (the server options a deployment gets).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from geoquartier.config import PROJECT_ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UvicornServer:
    """Start the app with ``env`` added to the environment; ready once ``ready_path`` answers 200.

    ``log_dir`` receives the server's output (``server-<port>.log``).
    """

    start_timeout_s = 60.0
    """How long the server may take to answer ``ready_path``."""

    def __init__(self, env: dict[str, str], log_dir: Path, ready_path: str = "/conformance"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environment = dict(os.environ)
        environment.update(env)
        self.log_path = Path(log_dir) / f"server-{self.port}.log"
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(),
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            try:
                if httpx.get(f"{self.base}{ready_path}", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                output = self.log_path.read_text(errors="replace")
                raise RuntimeError(f"uvicorn did not start on {self.base}:\n{output[-3000:]}")
            time.sleep(0.1)

    def command(self) -> list[str]:
        """The command line that starts the server."""
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server with ``sig`` (SIGKILL: no clean shutdown) and close its log."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class ServeCommand(UvicornServer):
    """``geoquartier serve --port <free port>`` on 127.0.0.1 (settings from ``env``)."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "geoquartier", "serve", "--port", str(self.port)]
