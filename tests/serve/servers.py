"""What the server tests of tests/serve/ share: `akhbar serve` with any options as a real process
group on 127.0.0.1, and requests each on a connection of its own (so they spread over workers)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import SERVE_TOKEN, free_port


class Serving:
    """`akhbar serve ARGS` in its own process group (the parent and its workers), stopped as a group."""

    def __init__(self, root: Path, log: Path, *args: str, token: str | None = SERVE_TOKEN) -> None:
        self.root, self.log, self.port = root, log, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "AKHBAR_TOKEN"} | ({"AKHBAR_TOKEN": token} if token else {})
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "akhbar.cli", "serve", "--index", str(root), "--port", str(self.port), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def wait(self, seconds: float = 120) -> Serving:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"akhbar serve exited: {self.log.read_text()}"
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"akhbar serve did not answer within {seconds} s: {self.log.read_text()}")

    def stop(self) -> int:
        """SIGTERM to the parent (it stops its workers gracefully); the whole group killed if it hangs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(40)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.wait()


def fresh(url: str, path: str, **kw) -> httpx.Response:
    """One request on its own connection: the kernel hands each new connection to one of the workers."""
    return httpx.get(url + path, timeout=30, headers={"Connection": "close"}, **kw)


def health_by_worker(url: str, want: int = 2, seconds: float = 30, tries: int = 3000) -> dict[int, dict]:
    """/healthz on new connections until `want` workers have answered (bounded in tries and time)."""
    seen: dict[int, dict] = {}
    deadline = time.monotonic() + seconds
    for _ in range(tries):
        try:
            h = fresh(url, "/healthz").json()
        except httpx.TransportError:  # a worker being replaced
            continue
        seen[h["pid"]] = h
        if len(seen) >= want or time.monotonic() > deadline:
            break
    return seen
