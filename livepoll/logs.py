"""Log setup: every record passes a filter that removes secrets from the URLs it carries (host keys in
`?key=`, tokens), so logs never hold one, and drops the WebSocket library's wire trace (headers and frames)
even at --log-level debug.

The filter decodes each query parameter's name as the app does (Starlette reads `?%6Bey=` as `key`), so an
encoded name cannot slip a secret past it; names are compared without regard to case.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from uvicorn.config import LOGGING_CONFIG

# Query parameters whose values are secrets: the host key, tokens, and the signed join token of join links.
SECRET_PARAMS = frozenset({"key", "token", "t"})
REDACTED = "[redacted]"
# One query parameter: a name after "?" or "&", "=", and its value up to the next "&" or whitespace.
_PARAM = re.compile(r"(?<=[?&])([^=&?\s]*)=([^&\s]*)")


def _redact_param(match: re.Match[str]) -> str:
    name, value = match[1], match[2]
    if unquote_plus(name).strip().lower() in SECRET_PARAMS:
        return f"{name}={REDACTED}"
    return f"{name}={redact(value)}"  # a value may hide another "?name=" (e.g. "?x=1?key=...")


def redact(text: str) -> str:
    """`text` with the value of every secret query parameter in it replaced by [redacted]."""
    return _PARAM.sub(_redact_param, text) if "=" in text else text


# python-websockets traces every header (cookies, host keys) and frame (ballots, free text) it sends ("> ")
# and receives ("< ") at DEBUG, which uvicorn turns on with --log-level debug: such records are dropped.
WIRE_TRACE = ("< ", "> ")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG and isinstance(record.msg, str) and record.msg.startswith(WIRE_TRACE):
            return False
        # Redact inside the arguments: uvicorn's access formatter unpacks exactly its five args.
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def log_config(level: str = "info") -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": "livepoll.logs.RedactSecrets"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["loggers"]["livepoll"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    # Other libraries' warnings go through the same handler (and filter), not Python's bare last resort.
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
