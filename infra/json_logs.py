"""Structured logs: one JSON object per line with the request id, the chat thread and a hashed principal.

The stdlib, not python-json-logger: the formatter is twenty lines, and the fields that matter (the
request id and the turn's subject from context variables, salted hashes, masking) are ours either way;
one dependency fewer in the image and its lock file.

Never a personal value: the principal and the thread are written as the same salted hashes as
`llm_routing_logs` (so a log line joins its routing row), and e-mail addresses and phone-like digit
runs in a message are masked in case some library logs them.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import UTC, datetime
from typing import Any

from router.log import hash_principal
from router.recording import current_log_subject, current_request_id

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])\+?\d[\d \-]{8,}\d(?![\w-])")
_TOKEN = re.compile(r"(access_token|hub\.verify_token|refresh_token|password)=[^&\s\"]+")
# LogRecord attributes that are not extra fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def scrub(text: str) -> str:
    return _PHONE.sub("[teléfono]", _EMAIL.sub("[correo]", _TOKEN.sub(r"\1=***", text)))


class JsonFormatter(logging.Formatter):
    def __init__(self, *, salt: str) -> None:
        super().__init__()
        self._salt = salt

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "request_id": current_request_id.get(),
            "thread": threading.current_thread().name,
        }
        subject = current_log_subject.get()
        if subject is not None:
            user_id, thread_key = subject
            line["principal_hash"] = hash_principal(user_id, self._salt)
            line["thread_id"] = hash_principal(thread_key, self._salt)[:32]  # as llm_routing_logs.thread_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(log_format: str, *, salt: str, level: int = logging.INFO) -> None:
    """`json`: every handler of the root and uvicorn loggers writes JSON lines (a root handler is added if
    there is none). `text`: logging is left as it is. Idempotent."""
    if log_format != "json":
        return
    formatter = JsonFormatter(salt=salt)
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
        root.setLevel(level)
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access"):
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(formatter)
