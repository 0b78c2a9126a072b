"""`ToolSpec`: one tool's contract (function, argument and result models, risk tier, description).

A spec is data: the catalogue is an explicit tuple of specs, and adapters (LangChain, the graph's
approval gate, tracing) are derived from it, never written per tool.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._client import PlantClient
from ._errors import to_tool_error

Risk = Literal["read", "write", "critical"]
"""`read`: any role, no effect on the plant. `write`: an operator action (acknowledge, work
orders, holds, schedules). `critical`: needs a supervisor's approval before it runs."""

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


class Args(BaseModel):
    """Base of tool arguments: immutable, unknown fields refused (a typo is an error, not ignored)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class NoArgs(Args):
    """This tool takes no arguments."""


class WriteArgs(Args):
    """Base of arguments of tools that change the plant: who asks is recorded in its audit trail."""

    by: str = Field(
        default="plantbrain",
        min_length=1,
        max_length=100,
        description="Who asks: your agent name, or the person you act for.",
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolSpec(Generic[A, R]):
    """One tool: a plain async function of (client, args) plus what an agent needs to call it."""

    name: str
    """Unique tool name, the function's name."""
    fn: Callable[[PlantClient, A], Awaitable[R]]
    """The tool itself; takes its client as an argument (no globals)."""
    args_model: type[A]
    """Pydantic model of the arguments; its JSON schema is what an LLM fills in."""
    result_model: type[R]
    """Pydantic model of the result."""
    risk: Risk
    """Who may run it without asking: see `Risk`."""
    description: str
    """What the tool does and when to use it, written for an LLM reader (the docstring)."""

    async def invoke(
        self,
        client: PlantClient,
        args: A | Mapping[str, object],
        *,
        idempotency_key: str | None = None,
    ) -> R:
        """Validate `args` (a model or a plain mapping, e.g. from an LLM tool call) and run the tool.

        `idempotency_key`: for write and critical tools, a key stable across retries of the same
        logical step (e.g. run id + step id), so a resumed step is applied at most once. Bad
        arguments raise `ToolError(kind="invalid_args")`.
        """
        if not isinstance(args, self.args_model):
            try:
                args = self.args_model.model_validate(args)
            except ValidationError as e:
                raise to_tool_error(e, what=self.name) from e
        if idempotency_key is not None and self.risk != "read":
            client = client.with_idempotency_key(idempotency_key)
        return await self.fn(client, args)


def spec(
    fn: Callable[[PlantClient, A], Awaitable[R]], args_model: type[A], result_model: type[R], risk: Risk
) -> ToolSpec[A, R]:
    """Build a spec from a tool function: its name and docstring become name and description."""
    doc = inspect.getdoc(fn)
    if not doc:
        raise ValueError(f"tool {fn.__name__} needs a docstring: it is what the agent reads.")
    return ToolSpec(
        name=fn.__name__, fn=fn, args_model=args_model, result_model=result_model, risk=risk, description=doc
    )
