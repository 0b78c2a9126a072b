"""Compound tasks from one sentence (sequences, conditions on live state, loops, negation) and
follow-up turns, in English and Chinese; each checked against the plant's end state."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.graphs.ops_support import Session, session

COMPOUND = {
    "en": "If CNC-3 spindle temperature is above {t} °C, open a priority-2 work order and move its jobs to CNC-4",
    "zh": "如果3号数控机床主轴温度超过{t}度，就开二级工单并把它的任务转到4号机床",
}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _wos(s: Session, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = await s.get("/work-orders", **params)
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_condition_true_opens_the_order_and_moves_the_jobs(
    lang: str, redis_url: str, key_prefix: str
) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix) as s:
            temp = (await s.get("/tags/CNC-3.spindle_temp"))["value"]
            queued = [o for o in (await s.get("/schedule"))["machines"]["CNC-3"] if o["status"] != "running"]
            out = await s.ask(COMPOUND[lang].format(t=int(temp) - 5))
            assert out["status"] == "completed", out["text"]
            assert [st["intent"] for st in out["plan"]] == ["create_work_order", "move_jobs"]
            wos = await _wos(s)
            assert [(w["asset"], w["priority"]) for w in wos] == [("CNC-3", 2)]
            sched = (await s.get("/schedule"))["machines"]
            assert all(o["status"] == "running" for o in sched["CNC-3"])
            on4 = {(o["job"], o["op"]) for o in sched["CNC-4"]}
            assert queued and {(o["job"], o["op"]) for o in queued} <= on4
            tools = [a["tool"] for a in out["actions"]]
            assert tools == ["create_work_order", "publish_schedule"]
            chain = [t for c in out["chain"] for t in c["tools"]]  # every tool call, reads included
            assert chain == [
                "get_tag",  # the condition, read once for both steps
                "get_asset", "list_work_orders", "create_work_order",  # no duplicate order
                "get_asset", "list_work_orders",  # is CNC-4 free (maintenance's claim)?
                "get_schedule", "get_clock", "publish_schedule",
            ]  # fmt: skip

    run(go())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_condition_false_changes_nothing(lang: str, redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix) as s:
            before = await s.state()
            out = await s.ask(COMPOUND[lang].format(t=80))
            assert out["status"] == "completed"
            assert [st["status"] for st in out["steps"]] == ["skipped", "skipped"]
            assert "80" in out["text"] and out["actions"] == []
            assert await s.state() == before

    run(go())


@pytest.mark.parametrize(
    "text",
    ["Alarm flood on line 2: find the root cause and dispatch maintenance", "二线告警风暴，找出根因并派维修"],
)
def test_root_cause_then_work_order_on_it(text: str, redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix, seed=3, scenario="coolant_pump_failure", hours=8) as s:
            out = await s.ask(text)
            assert out["status"] == "completed", out["text"]
            wos = await _wos(s)
            assert [(w["asset"], w["type"]) for w in wos] == [("P-201", "CM")]
            assert wos[0]["priority"] == 1  # the incident's priority (high): no priority was said

    run(go())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_loop_with_a_condition_acts_only_where_it_holds(lang: str, redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix) as s:
            machines = ["CNC-1", "CNC-2", "CNC-3", "CNC-4", "GRD-1"]  # line 1's machines with a spindle
            vib = {m: (await s.get(f"/tags/{m}.spindle_vib"))["value"] for m in machines}
            limit = round(sorted(vib.values())[2], 3)  # between the 3rd and the 4th reading
            text = {
                "en": f"For every machine on line 1, if spindle vibration is at least {limit} mm/s, open a priority-2 work order",
                "zh": f"一线所有设备，如果主轴振动不低于{limit}，就开二级工单",
            }[lang]
            out = await s.ask(text)
            assert out["status"] == "completed", out["text"]
            expected = sorted(m for m, v in vib.items() if v >= limit)
            assert len(expected) == 3
            assert sorted(w["asset"] for w in await _wos(s)) == expected
            assert sum(1 for st in out["steps"] if st["status"] == "skipped") == 2

    run(go())


@pytest.mark.parametrize(
    "text",
    [
        "Acknowledge the alarms on CNV-2, then hold LOT-0002 and show me the schedule of CNC-5",
        "确认2号输送线的报警，然后扣留LOT-0002，再看看5号数控机床的排程",
    ],
)
def test_sequence_of_three(text: str, redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix, hours=6) as s:
            out = await s.ask(text)
            assert out["status"] == "completed", out["text"]
            assert [st["intent"] for st in out["plan"]] == [
                "acknowledge_alarms",
                "hold_lots",
                "show_schedule",
            ]
            assert [x["id"] for x in await s.get("/lots", on_hold="true")] == ["LOT-0002"]
            alarms = (await s.get("/alarms", asset="CNV-2", state="any"))["alarms"]
            assert not [a for a in alarms if a["state"] in ("UNACK", "RTNUN")]

    run(go())


@pytest.mark.parametrize(
    "text",
    ["Stop CNC-3 but don't stop the line", "不要停线，停掉3号数控机床", "Hold LOT-0003, don't stop the line"],
)
def test_negation_rules_out_the_action(text: str, redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix) as s:
            out = await s.ask(text)
            assert out["status"] == "completed", out["text"]
            assert out["pending_approvals"] == []
            assert [f["tool"] for f in out["forbidden"]] == ["set_machine_mode"]
            assert (await s.get("/assets/CNC-3"))["mode"] == "auto"
            if "LOT-0003" in text:
                assert [x["id"] for x in await s.get("/lots", on_hold="true")] == ["LOT-0003"]
            else:
                assert out["steps"][0]["status"] == "declined"

    run(go())


@pytest.mark.parametrize(
    ("follow", "line"), [("and line 2?", "L2"), ("那二线呢？", "L2"), ("what about L3?", "L3")]
)
def test_follow_up_continues_the_thread(follow: str, line: str, redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix, hours=6) as s:
            first = await s.ask("What's the status of line 1?")
            assert first["plan"][0]["args"] == {"line": "L1"}
            out = await s.ask(follow)
            assert out["turn"] == 2 and out["status"] == "completed", out["text"]
            assert out["plan"][0]["intent"] == "line_status" and out["plan"][0]["args"] == {"line": line}
            assets = await s.get("/assets", line=line)
            assert out["steps"][0]["data"]["assets"] == {a["id"]: a["status"] for a in assets}

    run(go())


def test_the_other_line_is_asked_back_then_answered(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix) as s:
            await s.ask("Which alarms are active on line 1?")
            out = await s.ask("and the other line?")
            assert out["status"] == "clarification"
            assert out["candidates"] == ["L2", "L3"]  # three lines: never a guess
            out = await s.ask("line 3")
            assert out["status"] == "completed", out["text"]
            assert out["plan"][0]["intent"] == "list_alarms" and out["plan"][0]["args"] == {"line": "L3"}

    run(go())


@pytest.mark.parametrize(
    "text",
    [
        "If PRS-1 is stopped, open a priority-1 work order on it, otherwise show me its schedule",
        "如果1号液压机已停止，就给它开一级工单，否则看看它的排程",
    ],
)
@pytest.mark.parametrize("stopped", [True, False])
def test_otherwise_branch_follows_the_live_state(
    text: str, stopped: bool, redis_url: str, key_prefix: str
) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix) as s:
            if stopped:
                await s.post("/machines/PRS-1/mode", {"mode": "stopped", "reason": "die change", "by": "op"})
            out = await s.ask(text)
            assert out["status"] == "completed", out["text"]
            ran = [st["intent"] for st in out["steps"] if st["status"] != "skipped"]
            wos = await _wos(s)
            if stopped:
                assert ran == ["create_work_order"] and [(w["asset"], w["priority"]) for w in wos] == [
                    ("PRS-1", 1)
                ]
            else:
                assert ran == ["show_schedule"] and wos == []

    run(go())


@pytest.mark.parametrize("text", ["Move CNC-3's jobs to CNC-4", "把3号数控机床的任务转到4号数控机床"])
def test_a_move_onto_a_machine_maintenance_holds_loses_to_safety(
    text: str, redis_url: str, key_prefix: str
) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix) as s:
            await s.post("/machines/CNC-4/mode", {"mode": "stopped", "reason": "spindle noise", "by": "op"})
            version = (await s.get("/schedule"))["version"]
            out = await s.ask(text)
            assert out["status"] == "completed" and out["actions"] == []
            conflict = out["steps"][0]["data"]["conflict"]
            assert conflict["winner"] == "maintenance" and conflict["losers"] == ["scheduling"]
            assert "safety outranks delivery" in conflict["rationale"]
            assert (await s.get("/schedule"))["version"] == version

    run(go())


def test_a_conditional_loop_repeated_on_another_line(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with session(redis_url, key_prefix) as s:
            await s.ask(
                "For every machine on line 1, if spindle vibration is above 50 mm/s, open a work order"
            )
            out = await s.ask("and line 3?")
            assert out["status"] == "completed", out["text"]
            plan = out["plan"]
            assert [st["args"]["asset"] for st in plan] == ["CNC-7", "CNC-8", "GRD-3"]  # those with a spindle
            assert [st["when"]["tag"] for st in plan] == [
                f"{a}.spindle_vib" for a in ("CNC-7", "CNC-8", "GRD-3")
            ]
            assert all(st["status"] == "skipped" for st in out["steps"]) and await _wos(s) == []

    run(go())
