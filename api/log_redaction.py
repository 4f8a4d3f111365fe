"""Keep secrets and personal data out of the access log.

EventSource cannot send headers, so the notifications stream takes `?access_token=`; uvicorn's
access log would otherwise write the bearer token to disk."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"(access_token|hub\.verify_token)=[^&\s\"]+")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(_TOKEN.sub(r"\1=***", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _TOKEN.sub(r"\1=***", record.msg)
        return True


def install() -> None:
    """Attach the filter to uvicorn's access logger (idempotent)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
