"""Secrets never reach the logs: a Redactor wraps the logging record factory, so every
record is cleaned when it is created, whatever logger or handler it goes to (httpx logs
request URLs, and Bot API URLs hold the token)."""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import quote

REDACTED = "[REDACTED]"


class Redactor:
    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern | None = None
        self._lock = threading.Lock()
        self._installed = False

    def add(self, *secrets: str | None) -> None:
        """Redact these too: as written, URL-encoded, in any letter case; for a bot token
        ('123:ABC...') also its secret half alone."""
        forms = set(self._secrets)
        for s in secrets:
            if not s:
                continue
            forms |= {s, quote(s, safe=""), quote(s)}
            _, _, half = s.partition(":")
            if len(half) >= 8:
                forms.add(half)
        with self._lock:
            self._secrets = forms
            self._pattern = re.compile("|".join(map(re.escape, sorted(forms, key=len,
                                                                       reverse=True))),
                                       re.IGNORECASE) if forms else None

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by [REDACTED]."""
        pattern = self._pattern
        return pattern.sub(REDACTED, text) if pattern is not None else text

    def install(self) -> None:
        """Clean every log record created from now on: message, arguments, traceback."""
        with self._lock:
            if self._installed:
                return
            self._installed = True
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if self._pattern is None:
                return record
            message = record.getMessage()
            clean = self.redact(message)
            if clean != message:
                record.msg, record.args = clean, ()
            if record.exc_info:
                record.exc_text = self.redact(logging.Formatter().formatException(
                    record.exc_info))
            if record.stack_info:
                record.stack_info = self.redact(record.stack_info)
            return record

        logging.setLogRecordFactory(factory)


redactor = Redactor()  # the process's one Redactor (the record factory is process-wide)
