"""LangChain adapter: `StructuredTool`s derived from `ToolSpec`s, none written by hand.

Each tool's `args_schema` is the spec's pydantic model, its description the spec's docstring, and
its risk tier travels as `metadata["risk"]` and a `risk:<tier>` tag, so a graph can gate
`critical` tools before running them. A `ToolError`, or arguments that fail the schema, become an error observation (a
`ToolMessage` with status "error" whose text says what to do); any other error propagates and
aborts the run. The result is returned as JSON content plus the typed model as the artifact.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel

from ._client import PlantClient
from ._errors import ToolError, to_tool_error
from ._spec import ToolSpec


def as_langchain_tools(client: PlantClient, specs: Iterable[ToolSpec[Any, Any]]) -> list[StructuredTool]:
    """One async `StructuredTool` per spec, bound to `client`.

    Writes get a fresh idempotency key per call (safe to retry within the call); a graph that
    needs keys stable across a resumed step calls `ToolSpec.invoke(..., idempotency_key=...)`.
    """
    return [_adapt(client, s) for s in specs]


def _adapt(client: PlantClient, spec: ToolSpec[Any, Any]) -> StructuredTool:
    async def run(**kwargs: object) -> tuple[str, BaseModel]:
        try:
            result = await spec.invoke(client, kwargs)
        except ToolError as e:
            raise ToolException(e.observation()) from e
        return result.model_dump_json(), result

    return StructuredTool.from_function(
        coroutine=run,
        name=spec.name,
        description=spec.description,
        args_schema=spec.args_model,
        infer_schema=False,
        response_format="content_and_artifact",
        handle_tool_error=True,
        handle_validation_error=lambda e: to_tool_error(e, what=spec.name).observation(),
        metadata={"risk": spec.risk},
        tags=[f"risk:{spec.risk}"],
    )
