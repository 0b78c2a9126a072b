"""Errors of the sandbox plant, one tree for the whole boundary.

    PlantError            every refusal the plant gives; carries an HTTP status and a code
    ├── NotFound          404: an unknown id (asset, tag, alarm, lot, job, work order, ...)
    ├── InvalidRequest    422: the request itself is malformed or out of range
    └── Refused           409: a well-formed action that a plant rule refuses (interlock,
                          lock-out, state transition, limit, stock). Nothing is changed.

Messages say what went wrong and what to do about it.
"""

from __future__ import annotations


class PlantError(Exception):
    """An action or query the plant refuses. Raised before any state is changed."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(PlantError):
    status = 404
    code = "not_found"


class InvalidRequest(PlantError):
    status = 422
    code = "invalid_request"


class Refused(PlantError):
    status = 409
    code = "refused"


class ConfigError(Exception):
    """A plant or scenario file that cannot be used; the message names the file and the field."""
