"""Errors of the tools boundary, one tree; `to_tool_error` is the only place that builds them.

    PlantClientError        anything a tool call can raise
    ├── ToolError           the plant refused, was unreachable, or the arguments were wrong.
    │                       Goes back to the agent as an observation; `kind` says which:
    │                         timeout            no answer within the time limit, after retries
    │                         plant_unavailable  connect/transport failure, or 5xx after retries
    │                         not_found          404: an unknown id
    │                         conflict           409: a plant rule refused (transition, limit, stock)
    │                         interlock          409 with code "interlock": a safety interlock refused
    │                         invalid_args       422/400 or arguments that fail the tool's schema
    │                         forbidden          401/403: the caller lacks the right
    └── PlantProtocolError  the plant answered 2xx with a body this client cannot read: a
                            version mismatch or a bug. Not an observation; it aborts the run.

Low-level errors (`httpx.HTTPError`, `TimeoutError`, `pydantic.ValidationError`) are converted by
`to_tool_error` and re-raised `from` the original, so tracebacks keep the cause.
"""

from __future__ import annotations

import json
from typing import Literal

import httpx
from pydantic import ValidationError

ToolErrorKind = Literal[
    "timeout", "plant_unavailable", "not_found", "conflict", "interlock", "invalid_args", "forbidden"
]


class PlantClientError(Exception):
    """Base of every error raised by the plant client and the tools."""


class ToolError(PlantClientError):
    """A failed tool call the agent should see and react to (not a crash).

    `kind` is the category an agent branches on, `message` says what happened and what to do,
    `status` and `code` are the plant's HTTP status and error code when it answered.
    """

    def __init__(
        self, kind: ToolErrorKind, message: str, *, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind: ToolErrorKind = kind
        self.message = message
        self.status = status
        self.code = code

    def observation(self) -> str:
        """The text an agent reads, e.g. `ToolError[interlock]: CNC-3 is locked out ...`."""
        return f"ToolError[{self.kind}]: {self.message}"

    def __repr__(self) -> str:
        return f"ToolError(kind={self.kind!r}, status={self.status!r}, code={self.code!r}, message={self.message!r})"


class PlantProtocolError(PlantClientError):
    """The plant answered successfully but not in the shape this client expects."""


_HINT: dict[ToolErrorKind, str] = {
    "not_found": "Check the id with the matching list tool before retrying.",
    "conflict": "Nothing was changed; read the current state and choose an allowed action.",
    "interlock": "Nothing was changed; a safety interlock holds. Clear its cause first; do not retry as is.",
    "invalid_args": "Fix the arguments as described and call the tool again.",
    "forbidden": "This caller may not do this; ask a person with the right role.",
}


def to_tool_error(
    failure: httpx.Response | httpx.HTTPError | TimeoutError | ValidationError,
    *,
    what: str,
    attempts: int = 1,
    retried: bool = True,
) -> ToolError:
    """Convert any failure of a plant call into a `ToolError`; the one place that does it.

    `what` names the call ("GET /assets/P-201" or a tool name), `attempts` how many were made,
    `retried` whether the call was allowed to be retried (False for a write without a key).
    """
    tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
    if isinstance(failure, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'arguments'}: {e['msg']}" for e in failure.errors()[:5]
        )
        return ToolError("invalid_args", f"Invalid arguments for {what}: {problems}. {_HINT['invalid_args']}")
    if isinstance(failure, TimeoutError | httpx.TimeoutException):
        return ToolError(
            "timeout",
            f"{what}: the plant did not answer in time ({tries}). "
            + (
                "Try again later; if it persists, report the plant gateway as slow."
                if retried
                else "It was a write without an Idempotency-Key, so it was not retried: "
                "read the plant state to see whether it was applied before trying again."
            ),
        )
    if isinstance(failure, httpx.HTTPError):
        return ToolError(
            "plant_unavailable",
            f"{what}: could not reach the plant ({type(failure).__name__}: {failure}; {tries}). "
            + (
                "Wait and try again later, or report the plant gateway as down."
                if retried
                else "It was a write without an Idempotency-Key, so it was not retried: "
                "read the plant state to see whether it was applied before trying again."
            ),
        )
    status = failure.status_code
    detail, code = _error_body(failure)
    if status >= 500:
        return ToolError(
            "plant_unavailable",
            f"{what}: the plant answered {status} ({tries}): {detail} "
            + (
                "Wait and try again later, or report the plant gateway as failing."
                if retried
                else "It was a write without an Idempotency-Key, so it was not retried: "
                "read the plant state to see whether it was applied before trying again."
            ),
            status=status,
            code=code,
        )
    kind: ToolErrorKind
    if status == 404:
        kind = "not_found"
    elif status == 409:
        kind = "interlock" if code == "interlock" else "conflict"
    elif status in (401, 403):
        kind = "forbidden"
    else:  # 400, 422 and any other 4xx: the request itself was wrong
        kind = "invalid_args"
    return ToolError(kind, f"{detail} {_HINT[kind]}", status=status, code=code)


def _error_body(r: httpx.Response) -> tuple[str, str | None]:
    """The plant's `{"detail", "code"}` error body, or a readable stand-in if it is not JSON."""
    try:
        body = json.loads(r.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        code = body.get("code")
        return body["detail"], code if isinstance(code, str) else None
    text = r.text.strip()[:200] or r.reason_phrase
    return f"{r.request.method} {r.request.url.path} -> {r.status_code}: {text}.", None
