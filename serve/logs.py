"""The server's logs: an access line per request and the error log, as text or one JSON object a line.

uvicorn applies this configuration (logging.config.dictConfig) in the parent and in each worker.
The access line is the server's own (serve/metrics.py writes it when a request ends, with its route,
status, duration and the worker's pid), so uvicorn's access log is off. The query string is left
out of the access line: it holds what readers search for.
"""

from __future__ import annotations

import logging
import os
import traceback
from datetime import datetime, timezone

import orjson

ACCESS = "akhbar.access"
FIELDS = ("method", "path", "route", "status", "ms", "client", "version")  # an access record's own fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, pid, message, an access record's fields, and a
    traceback as one string (its newlines escaped, so the record stays one line)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process or os.getpid(),
            "message": record.getMessage(),
        }
        out.update({f: getattr(record, f) for f in FIELDS if hasattr(record, f)})
        if record.exc_info:
            out["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return orjson.dumps(out, default=str).decode()


class TextFormatter(logging.Formatter):
    """`level: logger: message`, an access record as `pid client METHOD path status ms`."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == ACCESS:
            return (
                f"access: pid {record.process} {getattr(record, 'client', '-')} {getattr(record, 'method', '')} "
                f"{getattr(record, 'path', '')} {getattr(record, 'status', '')} {getattr(record, 'ms', '')} ms"
            )
        line = f"{record.levelname}: {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return line


def config(log_format: str) -> dict:
    """The dictConfig for uvicorn's log_config: every logger to stderr in the one format."""
    formatter = {"()": f"{__name__}.{'JsonFormatter' if log_format == 'json' else 'TextFormatter'}"}
    handler = {"class": "logging.StreamHandler", "formatter": "one", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"one": formatter},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "akhbar": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "py.warnings": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},  # see capture_warnings
        },
    }


def capture_warnings() -> None:
    """Python's warnings (a library's FutureWarning when the model loads) as log records in the same
    format, not bare lines on stderr between the JSON ones. Called in each process that serves."""
    logging.captureWarnings(True)
