"""Start uvicorn on the application: one process, or N worker processes on one index and one port.

With --workers N, uvicorn's own supervisor runs the workers (as uvicorn.run(workers=N) does): the parent
binds the socket, each worker accepts from it, and a worker that dies (kill -9, a crash) is
replaced within about a second while the others go on answering. Chosen over gunicorn with
uvicorn workers because it does the same for this server (a prefork on one socket, restart of dead
workers, graceful stop on SIGTERM) with the package akhbar already depends on: gunicorn would add
two packages (gunicorn, uvicorn-worker) for a preload this server cannot use anyway (SQLite
connections, memory maps and FAISS must be opened in each process, not before a fork).

Every worker follows the index on its own (serve/live.py: one stat of CURRENT a request), so all
answer from a new version from their first request after its publish. They share a private run
folder (never in the index): the write lock that makes HTTP writes take turns across workers, and
prometheus-client's per-process metric files. It is removed when the server stops.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from akhbar.index.errors import AkhbarError
from akhbar.serve import logs
from akhbar.serve.context import DEFAULT_LIMITS
from akhbar.serve.settings import ENV, TOKEN_ENV, Settings

LOOPBACK = ("127.0.0.1", "::1", "localhost")
FACTORY = "akhbar.serve.app:from_env"


def run(
    root: Path, host: str, port: int, token: str | None, *, workers: int = 1, read_only: bool = False, log_format: str = "text"
) -> None:
    import uvicorn

    run_dir = Path(tempfile.mkdtemp(prefix="akhbar-serve-"))
    # SIGTERM ends the process through `finally` (the run folder removed): uvicorn, serving in this
    # process, stops gracefully on it and then raises it again with the handler it found, this one
    signal.signal(signal.SIGTERM, _stopped)
    try:
        (run_dir / "metrics").mkdir()
        # read by prometheus-client when it is first imported: in each worker, started after this line
        # (one worker, this process, imported it already and counts in its own memory)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(run_dir / "metrics")
        settings = Settings(root=root, run_dir=run_dir, read_only=read_only, log_format=log_format)
        os.environ[ENV] = settings.to_env()
        if token:
            os.environ[TOKEN_ENV] = token  # --token given as a flag: the workers read it where the variable would be
        from akhbar.serve.app import create_app

        app = create_app(settings, token)  # opens the index now: a missing index fails before listening
        if host not in LOOPBACK:
            writes = "off (read-only)" if read_only else ("need the token" if token else "off (no AKHBAR_TOKEN)")
            print(f"warning: listening on {host}: reachable from other machines; writes {writes}", file=sys.stderr)
        options: dict[str, Any] = {  # uvicorn.run's keywords, the same for one worker and many
            "host": host,
            "port": port,
            "log_config": logs.config(log_format),
            "access_log": False,  # serve/metrics.py writes the access line
            # requests in flight finish within their own limits (30 s a read, 300 s a write: a write cut
            # short by a shorter wait answered 500, under load, and was abandoned)
            "timeout_graceful_shutdown": int(max(DEFAULT_LIMITS.read_seconds, DEFAULT_LIMITS.write_seconds)),
        }
        try:
            if workers == 1:
                uvicorn.run(app, **options)
            else:
                del app  # each worker opens the index itself
                _run_workers(workers, options)
        except OSError as exc:  # the port is taken, the address is not ours
            raise AkhbarError(f"cannot listen on {host}:{port}: {exc}") from None
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _run_workers(workers: int, options: dict[str, Any]) -> None:
    """uvicorn.run(FACTORY, workers=N), with TCP_NODELAY on the socket the workers share.

    uvicorn's parent binds a plain socket (protocol 0), so asyncio in a worker does not set
    TCP_NODELAY on the connections it accepts, as it does for one worker's own socket: each
    response's body then waited for the client's delayed ACK of its headers (Nagle), 44 ms a request
    on a kept-alive connection here against 1 ms with one worker. Linux copies the option from the
    listening socket to each connection it accepts.
    """
    import socket

    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

    config = Config(FACTORY, factory=True, workers=workers, **options)
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run
        Multiprocess(config, sockets=[sock]).run()


def _stopped(*_) -> None:
    raise SystemExit(0)  # asked to stop, and stopped
