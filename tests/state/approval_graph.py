"""A small approval graph run as a separate process by test_resume.py.

    python -m tests.state.approval_graph REDIS_URL PREFIX THREAD start|resume [ANSWER]

`start` runs until the approval interrupt and prints the interrupt as JSON; `resume`
continues the thread in this (new) process with `Command(resume=ANSWER)` and prints the
final state. Each node appends its name to `visits`, so a node run twice shows.
"""

from __future__ import annotations

import json
import operator
import sys
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from plantbrain.state import RedisSaver


class State(TypedDict, total=False):
    visits: Annotated[list[str], operator.add]
    work_order: str
    decision: str


def diagnose(state: State) -> State:
    return {"visits": ["diagnose"], "work_order": "WO-P-201-coolant"}


def approve(state: State) -> State:
    answer = interrupt({"question": f"Approve {state['work_order']}?", "risk": "critical"})
    return {"visits": ["approve"], "decision": str(answer)}


def execute(state: State) -> State:
    return {"visits": ["execute"]}


def build(saver: RedisSaver) -> Any:
    graph = StateGraph(State)
    graph.add_node("diagnose", diagnose)
    graph.add_node("approve", approve)
    graph.add_node("execute", execute)
    graph.add_edge(START, "diagnose")
    graph.add_edge("diagnose", "approve")
    graph.add_edge("approve", "execute")
    graph.add_edge("execute", END)
    return graph.compile(checkpointer=saver)


def main(argv: list[str]) -> None:
    url, prefix, thread, mode = argv[:4]
    config = {"configurable": {"thread_id": thread}}
    with RedisSaver.from_url(url, prefix=prefix) as saver:
        app = build(saver)
        if mode == "start":
            out = app.invoke({"visits": []}, config)
            print(json.dumps({"interrupts": [i.value for i in out.get("__interrupt__", [])]}))
        else:
            out = app.invoke(Command(resume=argv[4]), config)
            print(json.dumps({"state": out, "next": list(app.get_state(config).next)}))


if __name__ == "__main__":
    main(sys.argv[1:])
