"""What the plant API's route modules share: error docs, the idempotency header, types."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import Response
from pydantic import BaseModel

from ._plant import Plant

J = dict[str, Any]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown id; the message says how to list valid ones."},
    409: {
        "description": "Refused by a plant rule (interlock, lock-out, transition, limit); nothing changed."
    },
    422: {"description": "Malformed request; the message names the field and the fix."},
}
IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Send the same key when retrying an action: applied once.",
    ),
]
MAX_HISTORY_POINTS = 5000


PlantRef = Callable[[], Plant]
"""Returns the current plant (a reset replaces it)."""
Act = Callable[[Request, str | None, BaseModel | None, Callable[[], Any]], Response]
"""Runs an action once per Idempotency-Key and returns its JSON response."""


def dump(data: Any) -> bytes:
    """Stable JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
