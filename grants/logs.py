"""Structured logging: one JSON object per line, never a password or a token."""

from __future__ import annotations

import json
import logging
from typing import Any

FIELDS = ("event", "user_id", "client", "path", "method", "status", "reason", "error")


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line with the known structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({key: getattr(record, key) for key in FIELDS if hasattr(record, key)})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: int = logging.INFO) -> None:
    """Send the application's log lines to stderr as JSON."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("grants")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
