"""Start uvicorn on the application: one process, loopback unless told otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

from akhbar.index.errors import AkhbarError
from akhbar.serve.app import create_app

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def run(root: Path, host: str, port: int, token: str | None) -> None:
    import uvicorn

    app = create_app(root, token)  # opens the index now: a missing index fails before listening
    if host not in LOOPBACK:
        print(
            f"warning: listening on {host}: reachable from other machines"
            f"; writes {'need the token' if token else 'are off (no AKHBAR_TOKEN)'}",
            file=sys.stderr,
        )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    except OSError as exc:  # the port is taken, the address is not ours
        raise AkhbarError(f"cannot listen on {host}:{port}: {exc}") from None
