"""Bearer tokens in query strings never reach the access log."""

from __future__ import annotations

import logging

from api.log_redaction import RedactTokens


def test_tokens_in_access_log_arguments_are_masked() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/v1/notifications/stream?access_token=eyJabc.def&x=1",
                                "1.1", 200), None)
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert "eyJabc" not in line and "access_token=***&x=1" in line
