"""Generate the step-depth evaluation suite: `python evals/make_depth_suite.py` rewrites `evals/depth/*.jsonl`.

Deterministic: phrasings are picked by a seeded `random.Random`, and the facts a task needs (which
alarms stand, which lots a machine worked on, which operations are queued, whether a condition
holds) are read from the sandbox plant itself (`sandbox_plant.create_app`, seeded, in-process),
never from plantbrain's answers. The format is `plantbrain/_eval_tasks.py`.

Gold chains follow the handlers (agents/_ops_*.py): for each intent the calls that decide the
outcome, in order, with the arguments that matter. Reads that only inform (the clock, the asset
read that picks a work-order type, the tag histories of a diagnosis) are left out; the evaluator
matches the chain as an ordered subsequence of the real calls, so they do no harm.

    intent              gold chain
    asset_status        get_asset(asset_id)
    line_status         list_assets(line)
    read_sensor         get_tag(tag_id)
    sensor_trend        get_tag_history(tag_id)
    explain (lot/asset) get_lot(lot_id) / get_asset(asset_id)
    plant_status        list_assets, list_alarms, list_work_orders, list_lots
    handover_report     list_alarms, list_work_orders, list_lots, list_assets, list_jobs
    list_alarms         list_alarms
    acknowledge_alarms  list_alarms, acknowledge_alarm(alarm_id) per unacknowledged alarm (oldest first)
    shelve_alarms       list_alarms, shelve_alarm(alarm_id) per standing alarm
    find_root_cause     list_alarms
    respond_incident    list_alarms, acknowledge_alarm x n, create_work_order(root cause), publish_schedule, hold_lot x n
    create_work_order   list_work_orders(asset), create_work_order(asset, priority)
    list_work_orders    list_work_orders
    assign_work_order   list_work_orders(asset), list_technicians, assign_work_order(technicians)
    diagnose            get_asset(asset_id), get_asset_failure_modes(asset_id)
    stop/start_machine  set_machine_mode(asset_id, mode)
    list_technicians    list_technicians
    spare_parts         list_spare_parts
    show_schedule       get_schedule
    move_jobs           get_asset(target), list_work_orders(target), get_schedule, publish_schedule
    job_status          get_job(job_id)
    late_jobs           list_jobs
    material_stock      list_materials
    hold_lots (a lot)   list_lots, hold_lot(lot_id)
    hold_lots (machine) list_measurements(machine), list_lots, hold_lot(lot_id) per lot not yet held
    release_lot         get_lot(lot_id), release_lot(lot_id)
    list_held_lots      list_lots
    spc_check           list_measurements(machine)
    set_setpoint        set_setpoint(asset_id, name, value)
    a condition         get_tag(tag_id) / get_asset(asset_id) / list_alarms(asset), read once before its steps

A critical call the supervisor rejects never reaches the plant, so it is not in the chain of a
`"approvals": "reject"` task.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from sandbox_plant import create_app  # noqa: E402

OUT = ROOT / "evals" / "depth"
SHIFT_S = 8 * 3600.0
ACKABLE = ("UNACK", "RTNUN")

# -- the plant ---------------------------------------------------------------------------------------------


@dataclass
class Plant:
    """What the generator reads from one sandbox plant (after `hours` and the setup calls)."""

    seed: int
    scenario: str | None
    hours: float
    state: dict[str, Any]
    schedule: dict[str, Any]
    measurements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def asset(self, aid: str) -> dict[str, Any]:
        return next(a for a in self.state["assets"] if a["id"] == aid)

    def tag(self, tid: str) -> float | None:
        return self.state["tags"].get(tid)

    def now(self) -> float:
        return float(self.state["clock"]["t"])

    def standing(self, asset: str | None = None, line: str | None = None) -> list[dict[str, Any]]:
        out = []
        for x in self.state["alarms"]:
            if not (x["state"] != "NORM" or x["shelved"]):
                continue
            if asset and x["asset"] != asset:
                continue
            if line and (self.asset(x["asset"])["line"] or self.asset(x["asset"])["area"]) != line:
                continue
            out.append(x)
        return sorted(out, key=lambda x: (x["last_raised"] or "", x["id"]))

    def ackable(self, asset: str | None = None, line: str | None = None) -> list[dict[str, Any]]:
        return [x for x in self.standing(asset, line) if x["state"] in ACKABLE]

    def active_unshelved(self, asset: str) -> list[dict[str, Any]]:
        return [x for x in self.state["alarms"] if x["asset"] == asset and x["active"] and not x["shelved"]]

    def queue(self, machine: str) -> list[dict[str, Any]]:
        return list(self.schedule["machines"].get(machine, []))

    def movable(self, machine: str) -> list[dict[str, Any]]:
        return [o for o in self.queue(machine) if o["status"] in ("pending", "paused")]

    def lot(self, lid: str) -> dict[str, Any]:
        return next(x for x in self.state["lots"] if x["id"] == lid)

    def held(self) -> set[str]:
        return {x["id"] for x in self.state["lots"] if x["on_hold"]}

    def lots_made_on(self, machine: str, window_s: float | None) -> list[str]:
        since = max(0.0, self.now() - (window_s or SHIFT_S))
        found = {m["lot"] for m in self.measurements[machine] if m["t"] >= since}
        cur = self.asset(machine).get("current_job")
        if cur:
            found.add(next(j for j in self.state["jobs"] if j["id"] == cur["job"])["lot"])
        return sorted(found)

    def open_wos(self, asset: str) -> list[dict[str, Any]]:
        return [
            w
            for w in self.state["work_orders"]
            if w["asset"] == asset and w["status"] in ("WAPPR", "APPR", "INPRG")
        ]

    def machines(self, line: str) -> list[str]:
        return [a["id"] for a in self.state["assets"] if a["line"] == line and a["category"] == "machine"]


_PLANTS: dict[str, Plant] = {}


def setup_call(tool: str, **args: Any) -> dict[str, Any]:
    return {"tool": tool, "args": args}


def _key(seed: int, scenario: str | None, hours: float, setup: list[dict[str, Any]]) -> str:
    return json.dumps([seed, scenario, hours, setup], sort_keys=True)


async def _read_plant(seed: int, scenario: str | None, hours: float, setup: list[dict[str, Any]]) -> Plant:
    from tools import PlantClient, PlantClientConfig, find_tool

    app = create_app(seed=seed, scenario=scenario)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://plant") as http,
        PlantClient(PlantClientConfig(base_url="http://plant"), transport=transport) as client,
    ):
        left = hours * 3600
        while left > 0:
            step = min(left, 86400)
            await http.post("/clock/advance", json={"seconds": step})
            left -= step
        for s in setup:
            spec = find_tool(s["tool"])
            await spec.fn(client, spec.args_model.model_validate(s["args"]))
        state = (await http.get("/state")).json()
        schedule = (await http.get("/schedule")).json()
        ms: dict[str, list[dict[str, Any]]] = {}
        for a in state["assets"]:
            if a["category"] == "machine":
                r = await http.get("/measurements", params={"machine": a["id"], "limit": 20000})
                ms[a["id"]] = r.json()["measurements"]
    return Plant(seed, scenario, hours, state, schedule, ms)


def plant(
    seed: int = 0, scenario: str | None = None, hours: float = 2.0, setup: list[dict[str, Any]] | None = None
) -> Plant:
    setup = setup or []
    k = _key(seed, scenario, hours, setup)
    if k not in _PLANTS:
        _PLANTS[k] = asyncio.run(_read_plant(seed, scenario, hours, setup))
    return _PLANTS[k]


# -- names, in English and in Chinese -------------------------------------------------------------------

TYPE_EN = {"cnc": "CNC", "grinder": "grinder", "press": "press", "oven": "oven", "washer": "washer",
           "conveyor": "conveyor", "packer": "packer"}  # fmt: skip
TYPE_ZH = {
    "CNC": "数控机床",
    "GRD": "磨床",
    "PRS": "液压机",
    "OVN": "热处理炉",
    "WSH": "清洗机",
    "CNV": "输送线",
    "PKR": "包装机",
}
LINE_ZH = {
    "L1": ["一线", "1号线", "第一条产线"],
    "L2": ["二线", "2号线", "第二条产线"],
    "L3": ["三线", "3号线", "第三条产线"],
}
LINE_EN = {
    "L1": ["line 1", "L1", "Line 1"],
    "L2": ["line 2", "L2", "Line 2"],
    "L3": ["line 3", "L3", "Line 3"],
}
NEIGHBOUR = {"CNC-1": "CNC-2", "CNC-2": "CNC-3", "CNC-3": "CNC-4", "CNC-4": "CNC-3", "CNC-5": "CNC-6", "CNC-6": "CNC-5",
             "CNC-7": "CNC-8", "CNC-8": "CNC-7", "GRD-1": "GRD-2", "GRD-2": "GRD-1", "GRD-3": "GRD-2", "PRS-1": "PRS-2",
             "PRS-2": "PRS-1", "PRS-3": "PRS-2", "OVN-1": "OVN-2", "OVN-2": "OVN-1", "OVN-3": "OVN-2", "PKR-1": "PKR-2",
             "PKR-2": "PKR-1", "PKR-3": "PKR-2", "CNV-1": "CNV-2", "CNV-2": "CNV-1", "CNV-3": "CNV-2", "WSH-1": "WSH-2",
             "WSH-2": "WSH-1", "P-201": "P-101", "P-101": "P-201"}  # fmt: skip

# Sensors: tag name -> (English words, Chinese words)
SENSORS = {
    "spindle_temp": (["spindle temperature", "spindle temp"], ["主轴温度"]),
    "spindle_vib": (["spindle vibration"], ["主轴振动"]),
    "coolant_flow": (["coolant flow"], ["冷却液流量"]),
    "coolant_temp": (["coolant temperature"], ["冷却液温度"]),
    "hyd_oil_temp": (["hydraulic oil temperature", "hyd oil temp"], ["液压油温"]),
    "hyd_pressure": (["hydraulic pressure"], ["液压压力"]),
    "frame_vib": (["frame vibration"], ["机架振动"]),
    "zone_temp": (["zone temperature", "furnace temperature"], ["炉温"]),
    "seal_temp": (["seal temperature"], ["封口温度"]),
    "bearing_vib": (["bearing vibration"], ["轴承振动"]),
    "water_temp": (["water temperature"], ["水温"]),
    "motor_current": (["motor current"], ["电机电流"]),
}
SETPOINTS = {  # asset prefix -> (setpoint, English words, Chinese words, values to set)
    "CNC": ("spindle_speed", "spindle speed", "主轴转速", [6500, 7000, 7500, 9000]),
    "OVN": ("zone_temp", "zone temperature", "炉温", [820, 840, 860]),
    "PKR": ("seal_temp", "seal temperature", "封口温度", [170, 175, 185]),
    "PRS": ("stroke_rate", "stroke rate", "冲程频率", [25, 28, 32]),
    "WSH": ("water_temp", "water temperature", "水温", [55, 62, 65]),
}


def prefix(aid: str) -> str:
    return aid.split("-")[0]


def num(aid: str) -> int:
    return int(aid.split("-")[1])


def en_name(rng: random.Random, aid: str) -> str:
    p = prefix(aid)
    if p in ("GRD", "PRS", "OVN", "PKR") and rng.random() < 0.3:
        word = {"GRD": "grinder", "PRS": "press", "OVN": "oven", "PKR": "packer"}[p]
        return f"{word} {num(aid)}"
    if rng.random() < 0.12:
        return aid.lower().replace("-", " ")
    return aid


def zh_name(rng: random.Random, aid: str) -> str:
    p = prefix(aid)
    if p in TYPE_ZH and rng.random() < 0.6:
        return f"{num(aid)}号{TYPE_ZH[p]}"
    return aid


def en_line(rng: random.Random, line: str) -> str:
    return rng.choice(LINE_EN[line])


def zh_line(rng: random.Random, line: str) -> str:
    return rng.choice(LINE_ZH[line])


# -- fragments: one intent's words, chain and facts ---------------------------------------------------------


@dataclass
class Frag:
    en: str
    zh: str
    gold: list[dict[str, Any]]
    milestones: list[dict[str, Any]] = field(default_factory=list)
    mines: list[dict[str, Any]] = field(default_factory=list)
    answer_en: list[dict[str, Any]] = field(default_factory=list)
    answer_zh: list[dict[str, Any]] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    writes: bool = False
    touched: set[tuple[str, str]] = field(default_factory=set)
    """What this fragment writes: ("wo", asset), ("mode", asset), ("lot", lot), ("sched", machine)."""
    critical: bool = False


def call(tool: str, **args: Any) -> dict[str, Any]:
    return {"tool": tool, "args": args}


def pick(rng: random.Random, bank: list[str]) -> str:
    return rng.choice(bank)


# Phrase banks. Placeholders: {a} asset, {b} target asset, {l} line, {s} sensor words, {lot}, {job},
# {p} priority, {t} technician, {v} value, {h} hours. Each intent: >= 5 English and >= 5 Chinese.
B: dict[str, tuple[list[str], list[str]]] = {
    "asset_status": (
        [
            "What is {a} doing right now?",
            "How is {a} doing?",
            "status of {a}?",
            "Give me the status of {a}",
            "is {a} running?",
            "What's the state of {a} at the moment?",
            "what's {a} up to?",
        ],
        [
            "{a}现在在干什么？",
            "{a}的状态如何？",
            "看看{a}的状态",
            "{a}现在情况怎么样？",
            "{a}在做什么？",
            "查一下{a}的状态",
        ],
    ),
    "line_status": (
        [
            "What's the status of {l}?",
            "How is {l} doing?",
            "give me a status of {l}",
            "status {l}",
            "how's {l} looking right now?",
            "What state is {l} in?",
        ],
        ["{l}的状态如何？", "{l}现在情况怎么样？", "看一下{l}的状态", "{l}怎么样了？", "{l}整体状态"],
    ),
    "read_sensor": (
        [
            "What's the {s} on {a}?",
            "what is {a}'s {s} right now?",
            "read me the {s} of {a}",
            "current {s} on {a}?",
            "tell me the {s} of {a}",
            "{a} {s}?",
            "show me {a} {s}",
        ],
        [
            "{a}的{s}是多少？",
            "{a}{s}现在多少",
            "读一下{a}的{s}",
            "{a}的{s}读数",
            "看看{a}的{s}",
            "{a}的{s}现在多少？",
        ],
    ),
    "sensor_trend": (
        [
            "Show me the {s} of {a} over the last {h} hours",
            "trend of {a} {s} for the past {h} hours",
            "how has the {s} on {a} moved over the last {h} hours?",
            "{s} history on {a}, last {h} hours",
            "plot {a}'s {s} trend over the past {h} hours",
        ],
        [
            "过去{h}小时{a}{s}的趋势",
            "{a}的{s}最近{h}小时的曲线",
            "看一下{a}{s}过去{h}小时的历史",
            "{a}{s}最近{h}小时趋势怎么样",
            "查{a}的{s}过去{h}个小时的趋势",
        ],
    ),
    "explain_lot": (
        [
            "Why is {lot} on hold?",
            "why was {lot} held?",
            "explain the hold on {lot}",
            "what's the reason {lot} is blocked?",
            "Why's {lot} being held back?",
        ],
        ["为什么{lot}被扣留？", "{lot}为什么被扣了？", "解释一下{lot}为什么扣留", "为何{lot}扣着"],
    ),
    "explain_asset": (
        [
            "Why is {a} down?",
            "why is {a} stopped?",
            "explain why {a} is not running",
            "what's the reason {a} is out?",
            "why's {a} standing still?",
        ],
        [
            "为什么{a}停了？",
            "{a}为什么不转了？",
            "解释一下{a}为什么停机",
            "为何{a}停着",
            "{a}为什么没在运行？",
        ],
    ),
    "plant_status": (
        [
            "How is the plant doing?",
            "give me an overview of the plant",
            "what's the overall state of the factory?",
            "plant status please",
            "how's the site looking?",
            "quick overview of everything",
        ],
        ["全厂现在情况怎么样？", "工厂整体状态如何", "给我一个全厂总体情况", "全厂状态", "整体情况怎么样？"],
    ),
    "handover": (
        [
            "Write the shift handover report",
            "prepare the handover",
            "I need the end-of-shift report",
            "give me the shift report",
            "handover report please",
            "draft the handover for the next crew",
        ],
        ["写一份交接班报告", "出一份交接班报告", "交班报告给我", "准备一下交接报告", "生成交接班报告"],
    ),
    "list_alarms": (
        [
            "Which alarms are active on {l}?",
            "any alarms on {l}?",
            "list the alarms on {l}",
            "what alarms are standing on {l}?",
            "show me {l}'s alarms",
            "alarms on {l}?",
        ],
        ["{l}有哪些报警？", "{l}现在有报警吗？", "列出{l}的报警", "看看{l}的告警", "{l}的报警有哪些"],
    ),
    "list_alarms_asset": (
        [
            "Which alarms are active on {a}?",
            "any alarms on {a}?",
            "what alarms does {a} have?",
            "show me {a}'s alarms",
            "list {a} alarms",
        ],
        ["{a}有哪些报警？", "{a}有报警吗？", "看看{a}的告警", "列出{a}的报警", "{a}现在有什么报警"],
    ),
    "list_alarms_plant": (
        [
            "Which alarms are active?",
            "any alarms in the plant?",
            "list all standing alarms",
            "what alarms are up right now?",
            "show me the alarms",
        ],
        ["全厂有哪些报警？", "现在有哪些告警？", "列出所有报警", "看看现在的报警", "全厂报警情况"],
    ),
    "ack": (
        [
            "Acknowledge the alarms on {a}",
            "ack {a}'s alarms",
            "please acknowledge {a} alarms",
            "ack the alarms on {a}",
            "acknowledge everything standing on {a}",
        ],
        ["确认{a}的报警", "把{a}的报警确认一下", "{a}的告警确认掉", "确认一下{a}的报警", "{a}报警确认"],
    ),
    "ack_line": (
        [
            "Acknowledge the alarms on {l}",
            "ack all the alarms on {l}",
            "please acknowledge {l}'s alarms",
            "acknowledge {l} alarms",
            "ack {l}",
        ],
        ["确认{l}的报警", "把{l}的报警都确认了", "{l}的告警全部确认", "确认一下{l}的告警", "{l}报警确认"],
    ),
    "shelve": (
        [
            "Shelve the alarms on {a} for {h} hours",
            "shelve {a}'s alarms for {h} hours",
            "silence {a} for {h} hours",
            "suppress the {a} alarms for {h} hours, it's chattering",
            "mute {a}'s alarms for {h} hours",
        ],
        [
            "把{a}的报警搁置{h}小时",
            "{a}的报警屏蔽{h}小时",
            "搁置{a}报警{h}个小时",
            "{a}报警抑制{h}小时",
            "把{a}告警搁置{h}小时",
        ],
    ),
    "root_cause": (
        [
            "Find the root cause of the alarms on {l}",
            "what's causing the alarms on {l}?",
            "root cause for {l}?",
            "find me the root cause on {l}",
            "what is causing all the alarms on {l}?",
        ],
        [
            "找出{l}报警的根因",
            "{l}报警的根本原因是什么？",
            "{l}告警的根因",
            "查一下{l}报警的根因",
            "帮我找{l}报警的根因",
        ],
    ),
    "incident": (
        [
            "Handle the incident on {l}",
            "deal with the incident on {l}",
            "take care of the alarm flood on {l}",
            "respond to the incident on {l}",
            "sort out the incident on {l}",
        ],
        ["处理{l}的事故", "应对{l}的报警风暴", "处理一下{l}的事故", "处理{l}的异常"],
    ),
    "create_wo": (
        [
            "Open a priority-{p} work order on {a}",
            "raise a P{p} work order for {a}",
            "create a priority {p} work order on {a}",
            "log a priority {p} ticket against {a}",
            "put in a P{p} work order on {a}",
            "please open a work order for {a} with priority {p}",
            "write up a priority-{p} work order for {a}",
        ],
        [
            "给{a}开一个{p}级工单",
            "给{a}建一个优先级{p}的工单",
            "{a}开个{p}级工单",
            "为{a}创建{p}级工单",
            "帮我给{a}下一个{p}级工单",
            "给{a}提一张{p}级工单",
        ],
    ),
    "create_wo_plain": (
        [
            "Open a work order on {a}",
            "raise a work order for {a}",
            "create a work order on {a}",
            "log a ticket on {a}",
            "call maintenance for {a}",
            "send a technician to {a}",
        ],
        ["给{a}开工单", "给{a}开一个工单", "{a}报修", "为{a}创建工单", "派维修去{a}", "给{a}安排维修"],
    ),
    "create_wo_it": (
        [
            "open a priority-{p} work order on it",
            "raise a P{p} work order for it",
            "create a priority {p} work order on it",
            "log a P{p} ticket on it",
            "put in a priority-{p} work order for it",
        ],
        ["给它开{p}级工单", "开一个{p}级工单", "给它建{p}级工单", "为它开{p}级工单", "给它下一个{p}级工单"],
    ),
    "list_wos": (
        [
            "Which work orders are open?",
            "list the open work orders",
            "any open work orders?",
            "show me the work orders",
            "what work orders do we have open?",
        ],
        ["现在有哪些未完成的工单？", "列出未完成的工单", "有哪些工单？", "看看工单", "还有哪些工单没关"],
    ),
    "list_wos_asset": (
        [
            "Which work orders are open on {a}?",
            "any work orders on {a}?",
            "show me {a}'s work orders",
            "list the work orders for {a}",
            "what work orders does {a} have?",
        ],
        ["{a}有哪些工单？", "{a}的工单", "看看{a}有没有工单", "列出{a}的工单", "{a}还有哪些未完成的工单"],
    ),
    "assign": (
        ["assign it to {t}", "give it to {t}", "assign the work order to {t}", "assign that to {t}"],
        ["派给{t}", "分配给{t}", "交给{t}", "指派给{t}", "派给{t}处理"],
    ),
    "assign_asset": (
        [
            "Assign {a}'s work order to {t}",
            "assign the work order on {a} to {t}",
            "give the {a} work order to {t}",
            "please assign {a}'s open work order to {t}",
            "assign {a} to {t}",
        ],
        [
            "把{a}的工单派给{t}",
            "{a}的工单分配给{t}",
            "把{a}的工单交给{t}",
            "{a}工单指派给{t}",
            "将{a}的工单派给{t}",
        ],
    ),
    "diagnose": (
        [
            "Diagnose {a}",
            "what's wrong with {a}?",
            "run a diagnosis on {a}",
            "check {a}'s health",
            "diagnose {a} please",
            "give me the health of {a}",
        ],
        ["诊断一下{a}", "{a}出了什么问题？", "给{a}做个诊断", "看看{a}的健康状况", "{a}什么毛病", "诊断{a}"],
    ),
    "stop": (
        ["Stop {a}", "shut down {a}", "please stop {a}", "halt {a}", "switch off {a}", "stop {a} now"],
        ["停掉{a}", "把{a}停下", "{a}停机", "关停{a}", "停止{a}", "把{a}关掉"],
    ),
    "stop_it": (
        ["stop it", "halt it", "stop that machine", "switch it off"],
        ["停掉它", "把它停下", "它停机", "关停它", "把该设备停下"],
    ),
    "start": (
        [
            "Restart {a}",
            "start {a} again",
            "switch {a} back on",
            "please restart {a}",
            "turn on {a}",
            "resume {a}",
        ],
        ["重新启动{a}", "重启{a}", "把{a}启动", "{a}开机", "{a}恢复运行", "启动{a}"],
    ),
    "techs": (
        [
            "Which technicians are on shift?",
            "who's on shift?",
            "list the technicians on duty",
            "which fitters are on?",
            "who is on duty in maintenance?",
        ],
        ["本班有哪些技术员？", "谁当班？", "现在有哪些维修工在班", "列出当班技术员", "谁在班？"],
    ),
    "spares": (
        [
            "Which spare parts are low?",
            "check the spare parts",
            "any spares running short?",
            "spare parts stock?",
            "how are we on spares?",
        ],
        ["哪些备件库存不足？", "查一下备件", "备件库存怎么样", "配件够不够", "看看备件库存"],
    ),
    "show_schedule": (
        [
            "What's scheduled on {a}?",
            "show me {a}'s queue",
            "what's next on {a}?",
            "what's planned for {a}?",
            "what is in the schedule for {a}?",
        ],
        ["{a}排了哪些任务？", "{a}的排程", "看看{a}的排产", "{a}接下来排了什么", "{a}的任务计划"],
    ),
    "move": (
        [
            "Move {a}'s jobs to {b}",
            "transfer the jobs on {a} to {b}",
            "shift {a}'s queue over to {b}",
            "reroute {a}'s work to {b}",
            "move the queued operations from {a} to {b}",
            "move all of {a}'s jobs onto {b}",
        ],
        [
            "把{a}的任务转到{b}",
            "{a}的任务转移到{b}",
            "将{a}的任务挪到{b}",
            "把{a}的排队任务移到{b}",
            "{a}的活转给{b}",
        ],
    ),
    "move_it": (
        [
            "move its jobs to {b}",
            "transfer its queue to {b}",
            "move its work onto {b}",
            "reroute its jobs to {b}",
        ],
        [
            "把它的任务转到{b}",
            "把它的任务移到{b}",
            "将它的任务挪到{b}",
            "它的任务转给{b}",
            "把它的排队任务转到{b}",
        ],
    ),
    "job_status": (
        [
            "Where is {job}?",
            "where's {job} at",
            "track {job} for me",
            "what's the progress on {job}?",
            "is {job} on time?",
            "which machine is {job} on?",
        ],
        ["{job}进度如何？", "{job}到哪了？", "查一下{job}", "{job}现在在哪台设备上", "{job}的进度"],
    ),
    "late_jobs": (
        [
            "Which jobs are late?",
            "anything overdue?",
            "which orders are behind schedule?",
            "list the late jobs",
            "are we late on any jobs?",
        ],
        ["哪些订单延期了？", "有没有逾期的订单", "列出延误的订单", "哪些订单拖期", "有延期的订单吗？"],
    ),
    "material": (
        [
            "How much material do we have?",
            "raw material stock?",
            "check the material stock",
            "are we short on any materials?",
            "what's the raw stock situation?",
        ],
        ["原材料库存还有多少？", "查一下物料库存", "材料够不够", "原材料还剩多少", "看看物料情况"],
    ),
    "hold_lot": (
        [
            "Hold {lot}",
            "put {lot} on hold",
            "quarantine {lot}",
            "block {lot} please",
            "hold {lot}, suspect quality",
        ],
        ["扣留{lot}", "把{lot}扣留", "隔离批次{lot}", "冻结{lot}", "把{lot}暂扣"],
    ),
    "hold_machine": (
        [
            "Hold the lots {a} made in the last {h} hours",
            "quarantine everything {a} produced in the past {h} hours",
            "put on hold the lots from {a} from the last {h} hours",
            "block the lots {a} worked on over the last {h} hours",
            "hold all lots machined on {a} in the last {h} hours",
        ],
        [
            "扣留{a}过去{h}小时加工的批次",
            "把{a}最近{h}小时做的批次扣留",
            "隔离{a}过去{h}小时的批次",
            "{a}过去{h}小时加工的批次全部扣留",
            "冻结{a}最近{h}个小时加工的批次",
        ],
    ),
    "hold_machine_shift": (
        [
            "Hold the lots {a} made this shift",
            "quarantine what {a} produced this shift",
            "hold everything from {a} this shift",
            "block {a}'s lots from the current shift",
            "put this shift's lots from {a} on hold",
        ],
        [
            "扣留{a}本班加工的批次",
            "把{a}这个班做的批次扣留",
            "隔离{a}本班的批次",
            "{a}当班加工的批次全部扣留",
            "冻结{a}本班的批次",
        ],
    ),
    "release": (
        [
            "Release {lot}",
            "release {lot} please",
            "unhold {lot}",
            "release {lot}, quality signed it off",
            "go ahead and release {lot}",
        ],
        ["放行批次{lot}", "把{lot}放行", "{lot}解除扣留", "放行{lot}", "{lot}可以放行了"],
    ),
    "held_lots": (
        [
            "Which lots are on hold?",
            "list the held lots",
            "any lots on hold?",
            "show me what's held",
            "what lots are held right now?",
        ],
        [
            "哪些批次被扣留了？",
            "扣留中的批次有哪些",
            "列出被扣留的批次",
            "看看扣着的批次",
            "现在哪些批次被扣留",
        ],
    ),
    "spc": (
        [
            "Is {a} in control?",
            "run an SPC check on {a}",
            "is {a}'s process capable? check the Cpk",
            "SPC on {a}",
            "is {a} statistically in control?",
        ],
        [
            "{a}的过程受控吗？",
            "{a}的过程能力怎么样",
            "查一下{a}的过程能力",
            "{a}受控吗",
            "{a}的统计过程控制情况",
        ],
    ),
    "setpoint": (
        [
            "Set the {s} of {a} to {v}",
            "change {a}'s {s} to {v}",
            "set {a} {s} to {v}",
            "lower the {s} on {a} to {v}",
            "adjust {a}'s {s} to {v}",
            "set {s} on {a} to {v}",
        ],
        ["把{a}的{s}设为{v}", "{a}的{s}调为{v}", "将{a}{s}设定为{v}", "{a}{s}改为{v}", "把{a}的{s}设成{v}"],
    ),
}

CONNECT_EN = [
    ", then ",
    " and then ",
    ", after that ",
    " and ",
    ", and also ",
    ", then ",
    ", afterwards ",
    " then ",
]
CONNECT_EN_SENT = [". Then ", ". After that, ", "; then "]
CONNECT_ZH = ["，然后", "，接着", "，再", "，并", "，之后", "，随后", "然后", "，同时"]


def fill(_tpl: str, **kw: Any) -> str:
    return _tpl.format(**kw)


class Gen:
    """Builds fragments on one plant with one random stream."""

    def __init__(self, p: Plant, rng: random.Random) -> None:
        self.p, self.rng = p, rng

    def words(self, key: str, **kw: Any) -> tuple[str, str]:
        en_t, zh_t = B[key]
        en_kw = {k: (v[0] if isinstance(v, tuple) else v) for k, v in kw.items()}
        zh_kw = {k: (v[1] if isinstance(v, tuple) else v) for k, v in kw.items()}
        return fill(pick(self.rng, en_t), **en_kw), fill(pick(self.rng, zh_t), **zh_kw)

    def a(self, aid: str) -> tuple[str, str]:
        return en_name(self.rng, aid), zh_name(self.rng, aid)

    def ln(self, line: str) -> tuple[str, str]:
        return en_line(self.rng, line), zh_line(self.rng, line)

    # --- supervisor ---
    def asset_status(self, aid: str) -> Frag:
        en, zh = self.words("asset_status", a=self.a(aid))
        x = self.p.asset(aid)
        return Frag(
            en,
            zh,
            [call("get_asset", asset_id=aid)],
            answer_en=[{"mentions": x["status"]}],
            answer_zh=[{"mentions": x["status"]}],
            tags={"supervisor", "read_only"},
        )

    def line_status(self, line: str) -> Frag:
        en, zh = self.words("line_status", l=self.ln(line))
        ids = {"ids_of": {"in": "assets", "where": {"line": line}, "count_min": 1}}
        return Frag(
            en,
            zh,
            [call("list_assets", line=line)],
            answer_en=[ids],
            answer_zh=[ids],
            tags={"supervisor", "read_only"},
        )

    def read_sensor(self, aid: str, tag: str) -> Frag:
        ws = SENSORS[tag]
        en, zh = self.words("read_sensor", a=self.a(aid), s=(pick(self.rng, ws[0]), pick(self.rng, ws[1])))
        ans = [{"mentions": f"{aid}.{tag}"}]
        return Frag(
            en,
            zh,
            [call("get_tag", tag_id=f"{aid}.{tag}")],
            answer_en=ans,
            answer_zh=ans,
            tags={"supervisor", "read_only"},
        )

    def sensor_trend(self, aid: str, tag: str, h: int) -> Frag:
        ws = SENSORS[tag]
        h_zh = {1: "1", 2: "两", 3: "3", 4: "4", 6: "6"}.get(h, str(h))
        en_t, zh_t = B["sensor_trend"]
        en = fill(pick(self.rng, en_t), a=en_name(self.rng, aid), s=pick(self.rng, ws[0]), h=h)
        zh = fill(
            pick(self.rng, zh_t),
            a=zh_name(self.rng, aid),
            s=pick(self.rng, ws[1]),
            h=h_zh if self.rng.random() < 0.5 else h,
        )
        ans = [{"mentions": f"{aid}.{tag}"}]
        return Frag(
            en,
            zh,
            [call("get_tag_history", tag_id=f"{aid}.{tag}")],
            answer_en=ans,
            answer_zh=ans,
            tags={"supervisor", "read_only"},
        )

    def explain_lot(self, lot: str) -> Frag:
        en, zh = self.words("explain_lot", lot=lot)
        return Frag(
            en,
            zh,
            [call("get_lot", lot_id=lot)],
            answer_en=[{"mentions": lot}],
            answer_zh=[{"mentions": lot}],
            tags={"supervisor", "read_only"},
        )

    def explain_asset(self, aid: str) -> Frag:
        en, zh = self.words("explain_asset", a=self.a(aid))
        return Frag(
            en,
            zh,
            [call("get_asset", asset_id=aid)],
            answer_en=[{"mentions": aid}],
            answer_zh=[{"mentions": aid}],
            tags={"supervisor", "read_only"},
        )

    def plant_status(self) -> Frag:
        en, zh = self.words("plant_status")
        return Frag(
            en,
            zh,
            [call("list_assets"), call("list_alarms"), call("list_work_orders"), call("list_lots")],
            answer_en=[{"mentions": "running"}],
            answer_zh=[{"mentions": "台运行"}],
            tags={"supervisor", "read_only"},
        )

    def handover(self) -> Frag:
        en, zh = self.words("handover")
        return Frag(
            en,
            zh,
            [
                call("list_alarms"),
                call("list_work_orders"),
                call("list_lots"),
                call("list_assets"),
                call("list_jobs"),
            ],
            answer_en=[{"mentions": "handover"}],
            answer_zh=[{"mentions": "交接班"}],
            tags={"supervisor", "read_only"},
        )

    # --- alarms ---
    def list_alarms(self, line: str | None = None, aid: str | None = None) -> Frag:
        if aid:
            en, zh = self.words("list_alarms_asset", a=self.a(aid))
            g = [call("list_alarms", asset=aid)]
            st = self.p.standing(asset=aid)
        elif line:
            en, zh = self.words("list_alarms", l=self.ln(line))
            g = [call("list_alarms")]
            st = self.p.standing(line=line)
        else:
            en, zh = self.words("list_alarms_plant")
            g = [call("list_alarms")]
            st = self.p.standing()
        ans = [{"mentions": f"{len(st)}"}] + [{"mentions": x["id"]} for x in st[:3]]
        return Frag(en, zh, g, answer_en=ans, answer_zh=ans, tags={"alarm_triage", "read_only"})

    def ack(self, aid: str | None = None, line: str | None = None) -> Frag:
        if aid:
            en, zh = self.words("ack", a=self.a(aid))
            xs = self.p.ackable(asset=aid)
            g = [call("list_alarms", asset=aid)]
            mines = [
                {
                    "in": "alarms",
                    "where": {"asset": NEIGHBOUR.get(aid, aid), "state": "ACKED", "acked_by": "alarm_triage"},
                    "count_min": 1,
                }
            ]
        else:
            assert line
            en, zh = self.words("ack_line", l=self.ln(line))
            xs = self.p.ackable(line=line)
            g = [call("list_alarms")]
            other = {"L1": "CNC-5", "L2": "CNC-1", "L3": "CNC-1"}[line]
            mines = [{"in": "alarms", "where": {"asset": other, "acked_by": "alarm_triage"}, "count_min": 1}]
        g += [call("acknowledge_alarm", alarm_id=x["id"]) for x in xs]
        ms = [
            {"in": "alarms", "where": {"id": x["id"]}, "field": "state", "one_of": ["ACKED", "NORM"]}
            for x in xs
        ]
        if aid:
            ms.append({"in": "alarms", "where": {"asset": aid, "state": "UNACK"}, "count": 0})
        return Frag(
            en,
            zh,
            g,
            ms,
            mines,
            tags={"alarm_triage"},
            writes=True,
            touched={("alarm", x["asset"]) for x in xs},
        )

    def shelve(self, aid: str, h: int) -> Frag:
        h_zh = {1: "1", 2: "两", 3: "3", 4: "4"}.get(h, str(h))
        en_t, zh_t = B["shelve"]
        en = fill(pick(self.rng, en_t), a=en_name(self.rng, aid), h=h)
        zh = fill(pick(self.rng, zh_t), a=zh_name(self.rng, aid), h=h_zh)
        xs = [x for x in self.p.standing(asset=aid) if not x["shelved"]]
        g = [call("list_alarms", asset=aid)] + [
            call("shelve_alarm", alarm_id=x["id"], duration_s=float(h * 3600)) for x in xs
        ]
        ms = [{"in": "alarms", "where": {"id": x["id"]}, "field": "shelved", "eq": True} for x in xs]
        mines = [
            {"in": "alarms", "where": {"asset": NEIGHBOUR.get(aid, aid), "shelved": True}, "count_min": 1}
        ]
        return Frag(en, zh, g, ms, mines, tags={"alarm_triage"}, writes=True, touched={("alarm", aid)})

    def root_cause(self, line: str, root: str) -> Frag:
        en, zh = self.words("root_cause", l=self.ln(line))
        ans = [{"mentions": root}]
        return Frag(
            en, zh, [call("list_alarms")], answer_en=ans, answer_zh=ans, tags={"alarm_triage", "read_only"}
        )

    # --- maintenance ---
    def create_wo(self, aid: str, prio: int | None, it: bool = False) -> Frag:
        if it:
            en, zh = self.words("create_wo_it", p=prio)
        elif prio is None:
            en, zh = self.words("create_wo_plain", a=self.a(aid))
        else:
            en, zh = self.words("create_wo", a=self.a(aid), p=prio)
        where: dict[str, Any] = {"asset": aid}
        args: dict[str, Any] = {"asset": aid}
        if prio is not None:
            where["priority"] = prio
            args["priority"] = prio
        nb = NEIGHBOUR.get(aid, aid)
        return Frag(
            en,
            zh,
            [call("list_work_orders", asset=aid), call("create_work_order", **args)],
            [{"in": "work_orders", "where": where, "count": 1}],
            [
                {"in": "work_orders", "where": {"asset": nb}, "count_min": 1, "_touch": ("wo", nb)},
                {"in": "work_orders", "where": {"asset": aid}, "count_min": 2},
            ],
            tags={"maintenance"},
            writes=True,
            touched={("wo", aid)},
        )

    def assign(self, aid: str, tech: str, it: bool = True) -> Frag:
        if it:
            en, zh = self.words("assign", t=tech)
        else:
            en, zh = self.words("assign_asset", a=self.a(aid), t=tech)
        others = [t for t in ("T-01", "T-02", "T-03") if t != tech]
        return Frag(
            en,
            zh,
            [
                call("list_work_orders", asset=aid),
                call("list_technicians"),
                call("assign_work_order", technicians=[tech]),
            ],
            [{"in": "work_orders", "where": {"asset": aid}, "field": "assigned", "contains": tech}],
            [{"in": "work_orders", "where": {"asset": aid}, "field": "assigned", "contains": others[0]}]
            if False
            else [{"in": "work_orders", "where": {"asset": aid}, "count_min": 2}],
            tags={"maintenance"},
            writes=True,
            touched={("assign", aid)},
        )

    def diagnose(self, aid: str) -> Frag:
        en, zh = self.words("diagnose", a=self.a(aid))
        ans = [{"mentions": aid}]
        return Frag(
            en,
            zh,
            [call("get_asset", asset_id=aid), call("get_asset_failure_modes", asset_id=aid)],
            answer_en=ans + [{"mentions": "health index"}],
            answer_zh=ans + [{"mentions": "健康指数"}],
            tags={"maintenance", "read_only"},
        )

    def stop(self, aid: str, it: bool = False) -> Frag:
        en, zh = self.words("stop_it") if it else self.words("stop", a=self.a(aid))
        nb = NEIGHBOUR.get(aid, aid)
        return Frag(
            en,
            zh,
            [call("set_machine_mode", asset_id=aid, mode="stopped")],
            [{"in": "assets", "where": {"id": aid}, "field": "mode", "eq": "stopped"}],
            [
                {
                    "in": "assets",
                    "where": {"id": nb, "mode": "stopped"},
                    "count_min": 1,
                    "_touch": ("mode", nb),
                }
            ],
            tags={"maintenance"},
            writes=True,
            touched={("mode", aid)},
            critical=True,
        )

    def start(self, aid: str) -> Frag:
        en, zh = self.words("start", a=self.a(aid))
        nb = NEIGHBOUR.get(aid, aid)
        return Frag(
            en,
            zh,
            [call("set_machine_mode", asset_id=aid, mode="auto")],
            [{"in": "assets", "where": {"id": aid}, "field": "mode", "eq": "auto"}],
            [
                {
                    "in": "assets",
                    "where": {"id": nb, "mode": "stopped"},
                    "count_min": 1,
                    "_touch": ("mode", nb),
                }
            ],
            tags={"maintenance"},
            writes=True,
            touched={("mode", aid)},
            critical=True,
        )

    def techs(self) -> Frag:
        en, zh = self.words("techs")
        on = [t["id"] for t in self.p.state["technicians"] if t["on_shift"]]
        ans = [{"mentions": t} for t in on]
        return Frag(
            en,
            zh,
            [call("list_technicians")],
            answer_en=ans,
            answer_zh=ans,
            tags={"maintenance", "read_only"},
        )

    def spares(self) -> Frag:
        en, zh = self.words("spares")
        low = [x["id"] for x in self.p.state["spare_parts"] if x["below_min"] or x["stock"] <= x["min_stock"]]
        ans = [{"mentions": x} for x in low[:3]] or [{"mentions": "0"}]
        return Frag(
            en,
            zh,
            [call("list_spare_parts")],
            answer_en=ans,
            answer_zh=ans,
            tags={"maintenance", "read_only"},
        )

    def list_wos(self, aid: str | None = None) -> Frag:
        if aid:
            en, zh = self.words("list_wos_asset", a=self.a(aid))
            g = [call("list_work_orders", asset=aid)]
        else:
            en, zh = self.words("list_wos")
            g = [call("list_work_orders")]
        ans = [{"ids_of": {"in": "work_orders", "where": ({"asset": aid} if aid else {}), "count_min": 0}}]
        return Frag(en, zh, g, answer_en=ans, answer_zh=ans, tags={"maintenance", "read_only"})

    # --- scheduling ---
    def show_schedule(self, aid: str) -> Frag:
        en, zh = self.words("show_schedule", a=self.a(aid))
        q = self.p.queue(aid)
        ans = [{"mentions": aid}] + [{"mentions": q[0]["job"]}] if q else [{"mentions": aid}]
        return Frag(
            en, zh, [call("get_schedule")], answer_en=ans, answer_zh=ans, tags={"scheduling", "read_only"}
        )

    def move(self, src: str, dst: str, it: bool = False) -> Frag:
        if it:
            en_t, zh_t = B["move_it"]
            en = fill(pick(self.rng, en_t), b=en_name(self.rng, dst))
            zh = fill(pick(self.rng, zh_t), b=zh_name(self.rng, dst))
        else:
            en, zh = self.words("move", a=self.a(src), b=self.a(dst))
        ops = self.p.movable(src)
        ms = [
            {"in": "job_ops", "where": {"job": o["job"], "index": o["op"]}, "field": "machine", "eq": dst}
            for o in ops
        ]
        ms.append({"in": "job_ops", "where": {"machine": src, "status": "pending"}, "count": 0})
        same = [
            a["id"]
            for a in self.p.state["assets"]
            if a["type"] == self.p.asset(src)["type"] and a["id"] not in (src, dst)
        ]
        mines = [
            {
                "in": "job_ops",
                "where": {"job": o["job"], "index": o["op"], "machine": same[0]},
                "count_min": 1,
            }
            for o in ops[:1]
            if same
        ]
        mines.append({"in": "work_orders", "where": {"asset": dst}, "count_min": 1, "_touch": ("wo", dst)})
        return Frag(
            en,
            zh,
            [
                call("get_asset", asset_id=dst),
                call("list_work_orders", asset=dst),
                call("get_schedule"),
                call("publish_schedule"),
            ],
            ms,
            mines,
            tags={"scheduling"},
            writes=True,
            touched={("sched", src), ("sched", dst)},
        )

    def job_status(self, job: str) -> Frag:
        en, zh = self.words("job_status", job=job)
        return Frag(
            en,
            zh,
            [call("get_job", job_id=job)],
            answer_en=[{"mentions": job}],
            answer_zh=[{"mentions": job}],
            tags={"scheduling", "read_only"},
        )

    def late_jobs(self) -> Frag:
        en, zh = self.words("late_jobs")
        ans = [{"ids_of": {"in": "jobs", "where": {"late": True}, "count_min": 0}}]
        return Frag(
            en, zh, [call("list_jobs")], answer_en=ans, answer_zh=ans, tags={"scheduling", "read_only"}
        )

    def material(self) -> Frag:
        en, zh = self.words("material")
        ans = [{"ids_of": {"in": "materials", "count_min": 1}}]
        return Frag(
            en, zh, [call("list_materials")], answer_en=ans, answer_zh=ans, tags={"scheduling", "read_only"}
        )

    # --- quality ---
    def hold_lot(self, lot: str) -> Frag:
        en, zh = self.words("hold_lot", lot=lot)
        nb = f"LOT-{int(lot[4:]) + 1:04d}"
        return Frag(
            en,
            zh,
            [call("list_lots"), call("hold_lot", lot_id=lot)],
            [{"in": "lots", "where": {"id": lot}, "field": "on_hold", "eq": True}],
            [{"in": "lots", "where": {"id": nb, "on_hold": True}, "count_min": 1, "_touch": ("lot", nb)}],
            tags={"quality"},
            writes=True,
            touched={("lot", lot)},
        )

    def hold_machine(self, aid: str, h: int | None) -> Frag:
        if h is None:
            en, zh = self.words("hold_machine_shift", a=self.a(aid))
        else:
            h_zh = {1: "1", 2: "两", 3: "3", 4: "4", 6: "6"}.get(h, str(h))
            en_t, zh_t = B["hold_machine"]
            en = fill(pick(self.rng, en_t), a=en_name(self.rng, aid), h=h)
            zh = fill(pick(self.rng, zh_t), a=zh_name(self.rng, aid), h=h_zh)
        lots = self.p.lots_made_on(aid, None if h is None else h * 3600.0)
        new = [x for x in lots if x not in self.p.held()]
        g = (
            [call("list_measurements", machine=aid)]
            + ([call("list_lots")] if lots else [])
            + [call("hold_lot", lot_id=x) for x in new]
        )
        ms = [{"in": "lots", "where": {"id": x}, "field": "on_hold", "eq": True} for x in lots]
        if not ms:
            ms = [{"in": "lots", "where": {"on_hold": True}, "count": len(self.p.held())}]
        others = [x["id"] for x in self.p.state["lots"] if x["id"] not in lots and not x["on_hold"]]
        mines = [
            {"in": "lots", "where": {"id": o, "on_hold": True}, "count_min": 1, "_touch": ("lot", o)}
            for o in others[:2]
        ]
        return Frag(en, zh, g, ms, mines, tags={"quality"}, writes=True, touched={("lot", x) for x in lots})

    def release(self, lot: str) -> Frag:
        en, zh = self.words("release", lot=lot)
        return Frag(
            en,
            zh,
            [call("get_lot", lot_id=lot), call("release_lot", lot_id=lot)],
            [{"in": "lots", "where": {"id": lot}, "field": "on_hold", "eq": False}],
            [
                {
                    "in": "lots",
                    "where": {"id": f"LOT-{int(lot[4:]) + 1:04d}", "on_hold": False},
                    "count_min": 1,
                }
            ],
            tags={"quality"},
            writes=True,
            touched={("lot", lot)},
            critical=True,
        )

    def held_lots(self) -> Frag:
        en, zh = self.words("held_lots")
        ans = [{"ids_of": {"in": "lots", "where": {"on_hold": True}, "count_min": 0}}]
        return Frag(en, zh, [call("list_lots")], answer_en=ans, answer_zh=ans, tags={"quality", "read_only"})

    def spc(self, aid: str) -> Frag:
        en, zh = self.words("spc", a=self.a(aid))
        return Frag(
            en,
            zh,
            [call("list_measurements", machine=aid)],
            answer_en=[{"mentions": aid}],
            answer_zh=[{"mentions": aid}],
            tags={"quality", "read_only"},
        )

    def setpoint(self, aid: str, value: float | None = None) -> Frag:
        name, s_en, s_zh, values = SETPOINTS[prefix(aid)]
        v = value if value is not None else self.rng.choice(values)
        en_t, zh_t = B["setpoint"]
        en = fill(pick(self.rng, en_t), a=en_name(self.rng, aid), s=s_en, v=v)
        zh = fill(
            pick(self.rng, zh_t), a=aid if prefix(aid) == "PRS" else zh_name(self.rng, aid), s=s_zh, v=v
        )
        nb = NEIGHBOUR.get(aid, aid)
        default = next(s["value"] for s in self.p.state["setpoints"] if s["id"] == f"{nb}.{name}")
        return Frag(
            en,
            zh,
            [call("set_setpoint", asset_id=aid, name=name, value=float(v))],
            [{"in": "setpoints", "where": {"id": f"{aid}.{name}"}, "field": "value", "eq": float(v)}],
            [
                {
                    "in": "setpoints",
                    "where": {"id": f"{nb}.{name}"},
                    "field": "value",
                    "ne": default,
                    "_touch": ("sp", nb),
                }
            ],
            tags={"quality"},
            writes=True,
            touched={("sp", aid)},
            critical=True,
        )


# -- tasks ---------------------------------------------------------------------------------------------------

TASKS: dict[str, list[dict[str, Any]]] = {}
_IDS: Counter[str] = Counter()


def _clean_mine(m: dict[str, Any], touched: set[tuple[str, str]]) -> dict[str, Any] | None:
    m = dict(m)
    t = m.pop("_touch", None)
    if t is not None and tuple(t) in touched:
        return None
    if m.get("where", {}).get("id") == "__other__":
        return None
    return m


def emit(
    file: str,
    name: str,
    lang: str,
    p: Plant,
    utterance: str,
    frags: list[Frag],
    *,
    setup: list[dict[str, Any]] | None = None,
    gold: list[dict[str, Any]] | None = None,
    milestones: list[dict[str, Any]] | None = None,
    mines: list[dict[str, Any]] | None = None,
    answer: list[dict[str, Any]] | None = None,
    tags: set[str] | None = None,
    approvals: str = "approve",
    ordered: bool = False,
) -> None:
    touched = set().union(*[f.touched for f in frags]) if frags else set()
    g = gold if gold is not None else [c for f in frags for c in f.gold]
    ms = milestones if milestones is not None else [m for f in frags for m in f.milestones]
    raw_mines = mines if mines is not None else [m for f in frags for m in f.mines]
    mn, seen = [], set()
    for m in raw_mines:
        c = _clean_mine(m, touched)
        if c is not None and json.dumps(c, sort_keys=True) not in seen:
            seen.add(json.dumps(c, sort_keys=True))
            mn.append(c)
    ans = (
        answer
        if answer is not None
        else [x for f in frags for x in (f.answer_zh if lang == "zh" else f.answer_en)]
    )
    tg = set(tags or set()) | set().union(*[f.tags for f in frags]) if frags else set(tags or set())
    if any(f.writes for f in frags) or ms:
        tg.discard("read_only")
    if (
        len({t for t in tg if t in ("alarm_triage", "maintenance", "scheduling", "quality", "supervisor")})
        > 1
    ):
        tg.add("cross")
    _IDS[name] += 1
    tid = f"{name}-{lang}-{_IDS[name]}"
    task: dict[str, Any] = {
        "id": tid, "utterance": utterance, "lang": lang, "scenario": p.scenario, "seed": p.seed, "hours": p.hours,
        "setup": setup or [], "depth": len(g), "gold_chain": g, "milestones": ms, "ordered": ordered,
        "minefields": mn, "expected_answer": ans, "approvals": approvals, "tags": sorted(tg),
    }  # fmt: skip
    if not ms and not ans:
        raise ValueError(f"{tid}: neither milestones nor an answer")
    TASKS.setdefault(file, []).append(task)


def chain_text(rng: random.Random, parts: list[str], lang: str, sentences: bool = True) -> str:
    """Parts joined the way an operator chains them; `sentences=False` inside a condition's body
    (a new sentence there would leave the condition behind)."""
    if lang == "en":
        question = parts[-1].endswith("?")
        parts = [x.rstrip("?") for x in parts]
        out = parts[0]
        for x in parts[1:]:
            c = rng.choice(CONNECT_EN + (CONNECT_EN_SENT if sentences else []))
            keep = x[:2] in (
                "CN",
                "GR",
                "PR",
                "OV",
                "PK",
                "WS",
                "LO",
                "JO",
                "L1",
                "L2",
                "L3",
                "P-",
                "Li",
                "Zh",
                "An",
            )
            out += c + (x if keep else x[0].lower() + x[1:])
        return out + ("?" if question and len(parts) > 1 else "")
    out = parts[0].rstrip("？")
    for x in parts[1:]:
        x = x.rstrip("？")
        conns = [c for c in CONNECT_ZH if not c.endswith(("并", "再")) or x[:1] in "把将开派扣确停转给"]
        out += rng.choice(conns) + x
    return out


def emit_chain(
    file: str,
    name: str,
    p: Plant,
    rng: random.Random,
    make: Any,
    *,
    langs: tuple[str, ...] = ("en", "zh"),
    **kw: Any,
) -> None:
    """`make(gen)` -> list of fragments; one task per language, each with its own phrasing."""
    for lang in langs:
        gen = Gen(p, rng)
        frags = make(gen)
        text = chain_text(rng, [f.zh if lang == "zh" else f.en for f in frags], lang)
        emit(file, name, lang, p, text, frags, **kw)


def stop_setup(aid: str) -> dict[str, Any]:
    return setup_call(
        "set_machine_mode", asset_id=aid, mode="stopped", reason="stopped for a tool change", by="op.zhang"
    )


def hold_setup(lot: str, reason: str = "burr on the bore, 3 of 5 parts") -> dict[str, Any]:
    return setup_call("hold_lot", lot_id=lot, reason=reason, by="qa.lead")


def wo_setup(aid: str, prio: int = 3, wtype: str = "INSP") -> dict[str, Any]:
    return setup_call(
        "create_work_order",
        asset=aid,
        type=wtype,
        priority=prio,
        description="found a leak on the last round",
        by="op.li",
    )


# -- families ----------------------------------------------------------------------------------------------

CNCS = ["CNC-1", "CNC-2", "CNC-3", "CNC-4", "CNC-5", "CNC-6", "CNC-7", "CNC-8"]
SENSOR_ASSETS = [("CNC-3", "spindle_temp"), ("CNC-5", "spindle_vib"), ("CNC-1", "coolant_flow"), ("PRS-1", "hyd_oil_temp"),
                 ("PRS-2", "hyd_pressure"), ("OVN-1", "zone_temp"), ("PKR-2", "seal_temp"), ("P-201", "bearing_vib"),
                 ("GRD-2", "spindle_temp"), ("CNC-7", "coolant_temp"), ("PRS-3", "frame_vib"), ("WSH-1", "water_temp")]  # fmt: skip
MOVES = [("CNC-3", "CNC-4"), ("CNC-1", "CNC-2"), ("CNC-5", "CNC-6"), ("PRS-1", "PRS-2"), ("OVN-1", "OVN-2"),
         ("CNC-2", "CNC-4"), ("GRD-2", "GRD-1"), ("PRS-2", "PRS-3"), ("CNC-6", "CNC-8"), ("OVN-2", "OVN-3")]  # fmt: skip
TECHS = ["T-01", "T-02", "T-03", "Li Wei", "Zhang Min", "Anna Schmidt"]
TECH_ID = {"Li Wei": "T-01", "Zhang Min": "T-03", "Anna Schmidt": "T-02"}
SEEDS = list(range(10))


def _rng(name: str) -> random.Random:
    return random.Random(f"depth-suite:{name}")


def fam_read() -> None:
    rng = _rng("read")
    f = "read"
    for i in range(8):
        p = plant(SEEDS[i % 10], None, rng.choice([1, 2, 3, 5]))
        aid = rng.choice(CNCS + ["PRS-1", "OVN-2", "GRD-1", "PKR-2", "WSH-1"])
        emit_chain(
            f, "asset-status", p, rng, lambda g, a=aid: [g.asset_status(a)], langs=(("en", "zh")[i % 2],)
        )
    for i, line in enumerate(["L1", "L2", "L3", "L2", "L1", "L3"]):
        p = plant(SEEDS[(i + 3) % 10], None, 2 + i)
        emit_chain(
            f, "line-status", p, rng, lambda g, lt=line: [g.line_status(lt)], langs=(("en", "zh")[i % 2],)
        )
    for i, (aid, tag) in enumerate(SENSOR_ASSETS):
        p = plant(SEEDS[i % 10], None, rng.choice([2, 3, 4]))
        emit_chain(
            f,
            "read-sensor",
            p,
            rng,
            lambda g, a=aid, t=tag: [g.read_sensor(a, t)],
            langs=(("en", "zh")[i % 2],),
        )
    for i, (aid, tag) in enumerate(SENSOR_ASSETS[:8]):
        p = plant(SEEDS[(i + 5) % 10], None, 6)
        h = rng.choice([2, 3, 4, 6])
        emit_chain(
            f,
            "trend",
            p,
            rng,
            lambda g, a=aid, t=tag, h=h: [g.sensor_trend(a, t, h)],
            langs=(("zh", "en")[i % 2],),
        )
    for i in range(6):
        p = plant(SEEDS[i], None, 2)
        emit_chain(f, "plant-status", p, rng, lambda g: [g.plant_status()], langs=(("en", "zh")[i % 2],))
    for i in range(6):
        p = plant(SEEDS[(i + 2) % 10], None, 3 + i)
        emit_chain(f, "handover", p, rng, lambda g: [g.handover()], langs=(("zh", "en")[i % 2],))
    for i in range(4):
        p = plant(SEEDS[i + 4], None, 2)
        emit_chain(f, "technicians", p, rng, lambda g: [g.techs()], langs=(("en", "zh")[i % 2],))
        emit_chain(f, "spares", p, rng, lambda g: [g.spares()], langs=(("zh", "en")[i % 2],))
        emit_chain(f, "late-jobs", p, rng, lambda g: [g.late_jobs()], langs=(("en", "zh")[i % 2],))
        emit_chain(f, "material", p, rng, lambda g: [g.material()], langs=(("zh", "en")[i % 2],))
        emit_chain(f, "work-orders", p, rng, lambda g: [g.list_wos()], langs=(("en", "zh")[i % 2],))
    # explain: a held lot (setup), a stopped machine (setup), a machine broken down (scenario)
    for i, lot in enumerate(["LOT-0001", "LOT-0005", "LOT-0011", "LOT-0003"]):
        setup = [
            hold_setup(lot, ["burr on the bore, 3 of 5 parts", "diameter drift on the last sample"][i % 2])
        ]
        p = plant(SEEDS[i], None, 2, setup)
        emit_chain(
            f,
            "explain-lot",
            p,
            rng,
            lambda g, lt=lot: [g.explain_lot(lt)],
            langs=(("en", "zh")[i % 2],),
            setup=setup,
        )
    for i, aid in enumerate(["CNC-2", "PRS-3", "GRD-1"]):
        setup = [stop_setup(aid)]
        p = plant(SEEDS[i + 1], None, 2, setup)
        emit_chain(
            f,
            "explain-asset",
            p,
            rng,
            lambda g, a=aid: [g.explain_asset(a)],
            langs=(("zh", "en")[i % 2],),
            setup=setup,
        )
    p = plant(0, "machine_breakdown", 6)
    emit_chain(f, "explain-breakdown", p, rng, lambda g: [g.explain_asset("CNC-8")])
    # two and three questions in one sentence
    combos = [
        lambda g: [g.asset_status("CNC-3"), g.read_sensor("CNC-3", "spindle_temp")],
        lambda g: [g.line_status("L2"), g.list_alarms(line="L2")],
        lambda g: [g.late_jobs(), g.material()],
        lambda g: [g.techs(), g.spares()],
        lambda g: [g.held_lots(), g.list_wos()],
        lambda g: [g.asset_status("PRS-1"), g.show_schedule("PRS-1"), g.spc("PRS-1")],
        lambda g: [
            g.read_sensor("OVN-1", "zone_temp"),
            g.sensor_trend("OVN-1", "zone_temp", 2),
            g.asset_status("OVN-1"),
        ],
        lambda g: [g.list_alarms(), g.list_wos(), g.techs()],
    ]
    for i, mk in enumerate(combos):
        p = plant(SEEDS[(i + 1) % 10], None, 2 + i % 3)
        emit_chain(f, "questions", p, rng, mk)


def fam_maintenance() -> None:
    rng = _rng("maintenance")
    f = "maintenance"
    assets = [
        "CNC-3",
        "GRD-2",
        "PRS-1",
        "OVN-2",
        "CNC-7",
        "PKR-1",
        "CNV-3",
        "WSH-2",
        "CNC-5",
        "P-201",
        "GRD-3",
        "PRS-2",
    ]
    for i, aid in enumerate(assets):
        p = plant(SEEDS[i % 10], None, rng.choice([1, 2, 4]))
        prio = rng.choice([1, 2, 3, None]) if i % 3 else rng.choice([1, 2])
        emit_chain(
            f, "wo", p, rng, lambda g, a=aid, pr=prio: [g.create_wo(a, pr)], langs=(("en", "zh")[i % 2],)
        )
        emit_chain(
            f, "wo", p, rng, lambda g, a=aid, pr=prio: [g.create_wo(a, pr)], langs=(("zh", "en")[i % 2],)
        )
    # no duplicate: an open order already there
    for i, aid in enumerate(["CNC-4", "PRS-3", "GRD-1", "OVN-1"]):
        setup = [wo_setup(aid)]
        p = plant(SEEDS[i + 2], None, 2, setup)
        for lang in ("en", "zh"):
            g = Gen(p, rng)
            fr = g.create_wo(aid, None)
            text = fr.zh if lang == "zh" else fr.en
            emit(
                f,
                "wo-duplicate",
                lang,
                p,
                text,
                [fr],
                setup=setup,
                gold=[call("list_work_orders", asset=aid)],
                milestones=[{"in": "work_orders", "where": {"asset": aid}, "count": 1}],
                mines=[{"in": "work_orders", "where": {"asset": aid}, "count_min": 2}],
            )
    # open and assign
    for i, aid in enumerate(["GRD-2", "CNC-3", "PRS-1", "OVN-1", "CNC-6", "PKR-3", "CNC-1", "PRS-2"]):
        p = plant(SEEDS[i % 10], None, 2)
        tech = TECHS[i % len(TECHS)]
        prio = [2, 1, 3, 2, None, 1, 2, 3][i]
        emit_chain(
            f,
            "wo-assign",
            p,
            rng,
            lambda g, a=aid, t=tech, pr=prio: [g.create_wo(a, pr), _assign(g, a, t)],
            langs=(("en", "zh")[i % 2],),
        )
    for i, aid in enumerate(["CNC-2", "GRD-1", "OVN-3", "PRS-3", "CNC-8", "WSH-1"]):
        setup = [wo_setup(aid, 2)]
        p = plant(SEEDS[(i + 4) % 10], None, 2, setup)
        tech = TECHS[(i + 2) % len(TECHS)]
        emit_chain(
            f,
            "assign",
            p,
            rng,
            lambda g, a=aid, t=tech: [_assign(g, a, t, it=False)],
            langs=(("zh", "en")[i % 2],),
            setup=setup,
        )
    for i, aid in enumerate(["CNC-3", "PRS-1", "P-201", "OVN-2", "GRD-2", "CNC-8"]):
        p = plant(SEEDS[i], None, 4)
        emit_chain(f, "diagnose", p, rng, lambda g, a=aid: [g.diagnose(a)], langs=(("en", "zh")[i % 2],))
    p = plant(0, "bearing_wear", 8)
    emit_chain(f, "diagnose-bearing", p, rng, lambda g: [g.diagnose("PRS-1")])
    for i, aid in enumerate(["CNC-3", "PRS-2", "OVN-1", "CNC-6", "PKR-1", "GRD-3"]):
        p = plant(SEEDS[(i + 1) % 10], None, 2)
        emit_chain(f, "stop", p, rng, lambda g, a=aid: [g.stop(a)], langs=(("zh", "en")[i % 2],))
    for i, aid in enumerate(["CNC-4", "PRS-1", "OVN-3", "CNC-7", "GRD-2", "PKR-2"]):
        setup = [stop_setup(aid)]
        p = plant(SEEDS[(i + 3) % 10], None, 2, setup)
        emit_chain(
            f, "start", p, rng, lambda g, a=aid: [g.start(a)], langs=(("en", "zh")[i % 2],), setup=setup
        )
    # rejected by the supervisor: nothing changes
    for i, aid in enumerate(["CNC-2", "PRS-2", "OVN-2", "CNC-5"]):
        p = plant(SEEDS[i + 5], None, 2)
        for lang in ("en", "zh"):
            g = Gen(p, rng)
            st, sp = g.asset_status(aid), g.stop(aid, it=True)
            text = chain_text(rng, [st.zh, sp.zh] if lang == "zh" else [st.en, sp.en], lang)
            emit(
                f,
                "stop-rejected",
                lang,
                p,
                text,
                [st, sp],
                gold=st.gold,
                approvals="reject",
                milestones=[{"in": "assets", "where": {"id": aid}, "field": "mode", "eq": "auto"}],
                mines=[{"in": "assets", "where": {"mode": "stopped"}, "count_min": 1}],
                answer=[],
            )
    # diagnose it, then open a work order / stop it
    for i, aid in enumerate(["CNC-3", "PRS-1", "GRD-2", "OVN-1", "CNC-7", "PRS-3"]):
        p = plant(SEEDS[(i + 6) % 10], None, 3)
        prio = [1, 2, 2, 3, 1, 2][i]
        emit_chain(
            f,
            "diagnose-wo",
            p,
            rng,
            lambda g, a=aid, pr=prio: [g.diagnose(a), g.create_wo(a, pr, it=True)],
            langs=(("en", "zh")[i % 2],),
        )
    for i, aid in enumerate(["CNC-1", "PRS-2", "CNC-6", "OVN-2"]):
        p = plant(SEEDS[i], None, 2)
        emit_chain(
            f,
            "stop-wo",
            p,
            rng,
            lambda g, a=aid: [g.stop(a), g.create_wo(a, 2)],
            langs=(("zh", "en")[i % 2],),
        )
    for i, aid in enumerate(["CNC-4", "PRS-3", "GRD-1", "CNC-8"]):
        p = plant(SEEDS[i + 3], None, 2)
        tech = TECHS[i]
        emit_chain(
            f,
            "stop-wo-assign",
            p,
            rng,
            lambda g, a=aid, t=tech: [g.stop(a), g.create_wo(a, 1), _assign(g, a, t)],
            langs=(("en", "zh")[i % 2],),
        )


def _assign(g: Gen, aid: str, tech: str, it: bool = True) -> Frag:
    tid = TECH_ID.get(tech, tech)
    fr = g.assign(aid, tech, it=it)
    fr.gold[-1] = call("assign_work_order", technicians=[tid])
    fr.milestones = [{"in": "work_orders", "where": {"asset": aid}, "field": "assigned", "contains": tid}]
    return fr


def fam_alarms() -> None:
    rng = _rng("alarms")
    f = "alarms"
    for i in range(10):
        p = plant(SEEDS[i], None, [2, 3, 6][i % 3])
        emit_chain(f, "ack", p, rng, lambda g: [g.ack(aid="CNV-2")], langs=(("en", "zh")[i % 2],))
    p = plant(0, "sensor_drift", 8)
    emit_chain(f, "ack-drift", p, rng, lambda g: [g.ack(aid="CNC-3")])
    p = plant(0, "tool_wear", 6)
    emit_chain(f, "ack-wear", p, rng, lambda g: [g.ack(aid="CNC-3")])
    for i, (seed, h) in enumerate([(0, 6), (3, 8)]):
        p = plant(seed, "coolant_pump_failure", h)
        emit_chain(f, "ack-line", p, rng, lambda g: [g.ack(line="L2")], langs=(("en", "zh")[i % 2],))
    p = plant(0, "coolant_pump_failure", 6)
    emit_chain(f, "ack-pump", p, rng, lambda g: [g.ack(aid="P-201")])
    emit_chain(f, "ack-grinder", p, rng, lambda g: [g.ack(aid="GRD-2")])
    for i in range(6):
        p = plant(SEEDS[i + 2], None, 2 + i % 3)
        h = [2, 3, 4, 2][i % 4]
        emit_chain(f, "shelve", p, rng, lambda g, h=h: [g.shelve("CNV-2", h)], langs=(("zh", "en")[i % 2],))
    p = plant(0, "sensor_drift", 8)
    emit_chain(f, "shelve-drift", p, rng, lambda g: [g.shelve("CNC-3", 2)])
    for i, line in enumerate(["L2", "L1", "L3", "L2"]):
        p = plant(SEEDS[i], None, 2)
        emit_chain(
            f,
            "list-alarms",
            p,
            rng,
            lambda g, lt=line: [g.list_alarms(line=lt)],
            langs=(("en", "zh")[i % 2],),
        )
    p = plant(0, "coolant_pump_failure", 6)
    emit_chain(f, "list-alarms-flood", p, rng, lambda g: [g.list_alarms(aid="P-201")])
    emit_chain(f, "list-alarms-plant", plant(4, None, 3), rng, lambda g: [g.list_alarms()])
    for i, (seed, h) in enumerate([(0, 6), (3, 8), (0, 8), (3, 7)]):
        p = plant(seed, "coolant_pump_failure", h)
        emit_chain(
            f, "root-cause", p, rng, lambda g: [g.root_cause("L2", "P-201")], langs=(("en", "zh")[i % 2],)
        )
    # list, then acknowledge; acknowledge, then shelve
    for i in range(4):
        p = plant(SEEDS[i + 6], None, 2)
        emit_chain(
            f,
            "list-ack",
            p,
            rng,
            lambda g: [g.list_alarms(aid="CNV-2"), g.ack(aid="CNV-2")],
            langs=(("en", "zh")[i % 2],),
        )
    p = plant(0, "sensor_drift", 8)
    emit_chain(f, "ack-shelve", p, rng, lambda g: [g.ack(aid="CNC-3"), g.shelve("CNC-3", 2)])


def fam_scheduling() -> None:
    rng = _rng("scheduling")
    f = "scheduling"
    for i, (src, dst) in enumerate(MOVES):
        p = plant(SEEDS[i % 10], None, [1, 2, 3][i % 3])
        if not p.movable(src):
            continue
        emit_chain(f, "move", p, rng, lambda g, s=src, d=dst: [g.move(s, d)])
    for i, aid in enumerate(["CNC-4", "PRS-1", "GRD-2", "OVN-1", "PKR-2", "CNC-7"]):
        p = plant(SEEDS[(i + 2) % 10], None, 2)
        emit_chain(f, "schedule", p, rng, lambda g, a=aid: [g.show_schedule(a)], langs=(("en", "zh")[i % 2],))
    for i, job in enumerate(["JOB-0003", "JOB-0012", "JOB-0020", "JOB-0007", "JOB-0031", "JOB-0014"]):
        p = plant(SEEDS[i], None, 3)
        emit_chain(f, "job", p, rng, lambda g, j=job: [g.job_status(j)], langs=(("zh", "en")[i % 2],))
    for i, (src, dst) in enumerate(MOVES[:6]):
        p = plant(SEEDS[(i + 3) % 10], None, 2)
        if not p.movable(src):
            continue
        emit_chain(
            f,
            "schedule-move",
            p,
            rng,
            lambda g, s=src, d=dst: [g.show_schedule(s), g.move(s, d)],
            langs=(("en", "zh")[i % 2],),
        )
        emit_chain(
            f,
            "move-schedule",
            p,
            rng,
            lambda g, s=src, d=dst: [g.move(s, d), g.show_schedule(d)],
            langs=(("zh", "en")[i % 2],),
        )
    # the target is down: maintenance's safety claim wins, nothing is published
    p = plant(0, "machine_breakdown", 6)
    for lang in ("en", "zh"):
        g = Gen(p, rng)
        fr = g.move("CNC-7", "CNC-8")
        emit(
            f,
            "move-to-down",
            lang,
            p,
            fr.zh if lang == "zh" else fr.en,
            [fr],
            gold=[call("get_asset", asset_id="CNC-8"), call("list_work_orders", asset="CNC-8")],
            milestones=[
                {
                    "in": "job_ops",
                    "where": {"machine": "CNC-8", "status": "pending", "job": o["job"]},
                    "count": 0,
                }
                for o in p.movable("CNC-7")
            ][:1]
            or [{"in": "schedule", "where": {}, "field": "version", "eq": p.schedule["version"]}],
            mines=[{"in": "schedule", "where": {}, "field": "version", "gt": p.schedule["version"]}],
        )
    for i in range(3):
        p = plant(SEEDS[i + 7], None, 4)
        emit_chain(
            f, "late-material", p, rng, lambda g: [g.late_jobs(), g.material(), g.show_schedule("CNC-1")]
        )


def fam_quality() -> None:
    rng = _rng("quality")
    f = "quality"
    for i, lot in enumerate(
        ["LOT-0003", "LOT-0007", "LOT-0010", "LOT-0012", "LOT-0014", "LOT-0020", "LOT-0009", "LOT-0016"]
    ):
        p = plant(SEEDS[i], None, 2)
        emit_chain(f, "hold", p, rng, lambda g, lt=lot: [g.hold_lot(lt)], langs=(("en", "zh")[i % 2],))
    for i, (aid, h) in enumerate(
        [
            ("CNC-1", 2),
            ("CNC-3", 3),
            ("PRS-1", 2),
            ("CNC-5", 4),
            ("GRD-1", 6),
            ("OVN-1", 3),
            ("CNC-2", None),
            ("PRS-2", None),
            ("CNC-4", 2),
            ("CNC-7", 2),
        ]
    ):
        p = plant(SEEDS[i], None, [3, 4, 6][i % 3])
        emit_chain(
            f,
            "hold-machine",
            p,
            rng,
            lambda g, a=aid, h=h: [g.hold_machine(a, h)],
            langs=(("zh", "en")[i % 2],),
        )
    p = plant(0, "tool_wear", 6)
    emit_chain(f, "hold-wear", p, rng, lambda g: [g.hold_machine("CNC-3", 4)])
    for i, lot in enumerate(["LOT-0001", "LOT-0004", "LOT-0008", "LOT-0011", "LOT-0013", "LOT-0006"]):
        setup = [
            hold_setup(lot),
            hold_setup(f"LOT-{int(lot[4:]) + 1:04d}", "diameter drift on the last sample"),
        ]
        p = plant(SEEDS[i + 1], None, 2, setup)
        emit_chain(
            f, "release", p, rng, lambda g, lt=lot: [g.release(lt)], langs=(("en", "zh")[i % 2],), setup=setup
        )
    for i, lot in enumerate(["LOT-0002", "LOT-0005", "LOT-0012", "LOT-0015"]):
        setup = [hold_setup(lot)]
        p = plant(SEEDS[i + 4], None, 2, setup)
        for lang in ("en", "zh"):
            g = Gen(p, rng)
            fr = g.release(lot)
            emit(
                f,
                "release-rejected",
                lang,
                p,
                fr.zh if lang == "zh" else fr.en,
                [fr],
                setup=setup,
                approvals="reject",
                gold=[call("get_lot", lot_id=lot)],
                milestones=[{"in": "lots", "where": {"id": lot}, "field": "on_hold", "eq": True}],
                mines=[{"in": "lots", "where": {"id": lot, "on_hold": False}, "count_min": 1}],
            )
    for i, aid in enumerate(["CNC-3", "OVN-2", "PKR-1", "PRS-1", "WSH-2", "CNC-6", "OVN-1", "PKR-3"]):
        p = plant(SEEDS[i], None, 2)
        emit_chain(f, "setpoint", p, rng, lambda g, a=aid: [g.setpoint(a)], langs=(("zh", "en")[i % 2],))
    for i, aid in enumerate(["CNC-1", "CNC-3", "PRS-2", "GRD-1", "CNC-5", "OVN-1"]):
        p = plant(SEEDS[i], None, 6)
        emit_chain(f, "spc", p, rng, lambda g, a=aid: [g.spc(a)], langs=(("en", "zh")[i % 2],))
    for i in range(4):
        setup = [hold_setup(["LOT-0004", "LOT-0008"][i % 2])]
        p = plant(SEEDS[i], None, 2, setup)
        emit_chain(
            f, "held-lots", p, rng, lambda g: [g.held_lots()], langs=(("zh", "en")[i % 2],), setup=setup
        )
    # check, then contain
    for i, (aid, h) in enumerate([("CNC-3", 2), ("CNC-1", 3), ("PRS-2", 2), ("CNC-6", 4)]):
        p = plant(SEEDS[i + 2], None, 4)
        emit_chain(
            f,
            "spc-hold",
            p,
            rng,
            lambda g, a=aid, h=h: [g.spc(a), g.hold_machine(a, h)],
            langs=(("en", "zh")[i % 2],),
        )
    for i, lot in enumerate(["LOT-0003", "LOT-0010"]):
        p = plant(SEEDS[i + 1], None, 2)
        emit_chain(f, "hold-list", p, rng, lambda g, lt=lot: [g.hold_lot(lt), g.held_lots()])


def _unchanged(p: Plant, fr: Frag) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What a fragment would have changed, said as 'it did not change' (milestones, minefields)."""
    ms: list[dict[str, Any]] = []
    mines: list[dict[str, Any]] = []
    for kind, what in sorted(fr.touched):
        if kind == "wo":
            n = len([w for w in p.state["work_orders"] if w["asset"] == what])
            ms.append({"in": "work_orders", "where": {"asset": what}, "count": n})
            mines.append({"in": "work_orders", "where": {"asset": what}, "count_min": n + 1})
        elif kind == "mode":
            mode = p.asset(what)["mode"]
            ms.append({"in": "assets", "where": {"id": what}, "field": "mode", "eq": mode})
            mines.append({"in": "assets", "where": {"id": what}, "field": "mode", "ne": mode})
        elif kind == "lot":
            on = p.lot(what)["on_hold"]
            ms.append({"in": "lots", "where": {"id": what}, "field": "on_hold", "eq": on})
            mines.append({"in": "lots", "where": {"id": what}, "field": "on_hold", "eq": not on})
        elif kind == "sched" and p.movable(what):
            o = p.movable(what)[0]
            ms.append(
                {
                    "in": "job_ops",
                    "where": {"job": o["job"], "index": o["op"]},
                    "field": "machine",
                    "eq": what,
                }
            )
        elif kind == "alarm":
            n = len([x for x in p.state["alarms"] if x["asset"] == what and x["state"] == "UNACK"])
            ms.append({"in": "alarms", "where": {"asset": what, "state": "UNACK"}, "count": n})
        elif kind == "sp":
            sp = next(s for s in p.state["setpoints"] if s["asset"] == what)
            ms.append({"in": "setpoints", "where": {"id": sp["id"]}, "field": "value", "eq": sp["value"]})
    return ms, mines


COND_TAG_EN = ["If {a} {s} is above {x} °C, {then}", "if the {s} on {a} goes over {x}, then {then}",
               "in case {a} {s} exceeds {x}, {then}", "When {a}'s {s} is higher than {x} then {then}",
               "if {a} {s} is over {x} degrees, {then}"]  # fmt: skip
COND_TAG_EN_LT = [
    "If {a} {s} is below {x}, {then}",
    "if the {s} on {a} drops under {x}, then {then}",
    "in case {a} {s} is less than {x}, {then}",
    "when {a}'s {s} is lower than {x} then {then}",
]
COND_TAG_ZH = ["如果{a}{s}超过{x}度，就{then}", "要是{a}的{s}高于{x}，就{then}", "一旦{a}{s}大于{x}度，则{then}",
               "若{a}的{s}超过{x}的话，那就{then}", "如果{a}{s}超出{x}，就{then}"]  # fmt: skip
COND_TAG_ZH_LT = [
    "如果{a}{s}低于{x}，就{then}",
    "要是{a}的{s}小于{x}，就{then}",
    "一旦{a}{s}不足{x}，则{then}",
    "若{a}{s}低于{x}的话，那就{then}",
]
COND_DOWN_EN = [
    "If {a} is down, {then}",
    "if {a} went down then {then}",
    "in case {a} is broken, {then}",
    "When {a} is down, {then}",
]
COND_DOWN_ZH = [
    "如果{a}停机了，就{then}",
    "要是{a}坏了，就{then}",
    "一旦{a}故障，则{then}",
    "如果{a}宕机的话，那就{then}",
]
COND_ALARM_EN = ["If {a} has alarms, {then}", "if there are alarms on {a}, then {then}", "in case {a} shows alarms, {then}",
                 "When {a} has any alarms then {then}"]  # fmt: skip
COND_ALARM_ZH = [
    "如果{a}有报警，就{then}",
    "要是{a}有告警，就{then}",
    "一旦{a}有报警，则{then}",
    "若{a}有报警的话，那就{then}",
]
ELSE_EN = [", otherwise ", ", else ", "; otherwise "]
ELSE_ZH = ["，否则", "，不然"]


def cond_task(
    f: str,
    name: str,
    p: Plant,
    rng: random.Random,
    lang: str,
    kind: str,
    aid: str,
    then: Any,
    otherwise: Any = None,
    *,
    tag: str | None = None,
    op: str = "gt",
    x: float = 0.0,
    setup: list[dict[str, Any]] | None = None,
) -> None:
    g = Gen(p, rng)
    a_en, a_zh = en_name(rng, aid), zh_name(rng, aid)
    th = then(g)
    ot = otherwise(g) if otherwise else []
    then_txt = chain_text(rng, [fr.zh if lang == "zh" else fr.en for fr in th], lang, sentences=False)
    if lang == "en":
        then_txt = then_txt.rstrip("?")
    if ot:
        else_txt = chain_text(rng, [fr.zh if lang == "zh" else fr.en for fr in ot], lang, sentences=False)
        then_txt += (rng.choice(ELSE_ZH) if lang == "zh" else rng.choice(ELSE_EN)) + (
            else_txt if lang == "zh" else else_txt[0].lower() + else_txt[1:]
        )
    if kind == "tag":
        assert tag
        value = p.tag(f"{aid}.{tag}")
        holds = value is not None and (value > x if op == "gt" else value < x)
        s_en, s_zh = pick(rng, SENSORS[tag][0]), pick(rng, SENSORS[tag][1])
        bank = (
            (COND_TAG_ZH if op == "gt" else COND_TAG_ZH_LT)
            if lang == "zh"
            else (COND_TAG_EN if op == "gt" else COND_TAG_EN_LT)
        )
        xs = f"{x:g}"
        text = fill(
            pick(rng, bank),
            a=a_zh if lang == "zh" else a_en,
            s=s_zh if lang == "zh" else s_en,
            x=xs,
            then=then_txt,
        )
        probe = call("get_tag", tag_id=f"{aid}.{tag}")
    elif kind == "down":
        holds = p.asset(aid)["status"] == "down"
        text = fill(
            pick(rng, COND_DOWN_ZH if lang == "zh" else COND_DOWN_EN),
            a=a_zh if lang == "zh" else a_en,
            then=then_txt,
        )
        probe = call("get_asset", asset_id=aid)
    else:
        holds = bool(p.active_unshelved(aid))
        text = fill(
            pick(rng, COND_ALARM_ZH if lang == "zh" else COND_ALARM_EN),
            a=a_zh if lang == "zh" else a_en,
            then=then_txt,
        )
        probe = call("list_alarms", asset=aid)
    run, skip = (th, ot) if holds else (ot, th)
    gold = [probe] + [c for fr in run for c in fr.gold]
    ms = [m for fr in run for m in fr.milestones]
    mines = [m for fr in run for m in fr.mines]
    for fr in skip:
        u_ms, u_mines = _unchanged(p, fr)
        ms += u_ms
        mines += u_mines
    ans = [x for fr in run for x in (fr.answer_zh if lang == "zh" else fr.answer_en)]
    if not ms and not ans:
        ans = [{"mentions": aid}]
    emit(
        f,
        f"{name}-{'holds' if holds else 'not'}",
        lang,
        p,
        text,
        run + skip,
        setup=setup,
        gold=gold,
        milestones=ms,
        mines=mines,
        answer=ans,
        tags={"conditional"},
    )


def fam_conditional() -> None:
    rng = _rng("conditional")
    f = "conditional"
    # sensor drift on CNC-3: the spindle temperature climbs; early on it is normal
    cases = [
        (0, "sensor_drift", 8),
        (0, None, 2),
        (3, None, 4),
        (0, "sensor_drift", 7),
        (5, None, 3),
        (1, "sensor_drift", 8),
    ]
    for i, (seed, sc, h) in enumerate(cases):
        p = plant(seed, sc, h)
        lang = ("en", "zh")[i % 2]
        cond_task(
            f,
            "temp-wo-move",
            p,
            rng,
            lang,
            "tag",
            "CNC-3",
            lambda g: [g.create_wo("CNC-3", 1, it=True), g.move("CNC-3", "CNC-4", it=True)],
            tag="spindle_temp",
            x=80,
        )
        cond_task(
            f,
            "temp-stop",
            p,
            rng,
            ("zh", "en")[i % 2],
            "tag",
            "CNC-3",
            lambda g: [g.stop("CNC-3", it=True), g.create_wo("CNC-3", 1, it=True)],
            tag="spindle_temp",
            x=90,
        )
        cond_task(
            f,
            "temp-hold",
            p,
            rng,
            lang,
            "tag",
            "CNC-3",
            lambda g: [g.hold_machine("CNC-3", 2)],
            tag="spindle_temp",
            x=70,
        )
    # thresholds around the live value, on several machines and seeds: some hold, some do not
    for i, (aid, tag) in enumerate(
        [
            ("PRS-1", "hyd_oil_temp"),
            ("CNC-5", "spindle_temp"),
            ("OVN-1", "zone_temp"),
            ("CNC-1", "spindle_temp"),
            ("PKR-2", "seal_temp"),
            ("GRD-2", "spindle_temp"),
            ("CNC-7", "coolant_temp"),
            ("PRS-2", "hyd_oil_temp"),
        ]
    ):
        for j, seed in enumerate([i % 10, (i + 5) % 10]):
            p = plant(seed, None, 2 + j * 3)
            v = p.tag(f"{aid}.{tag}") or 0.0
            x = round(v * (0.9 if j == 0 else 1.1))
            nb = NEIGHBOUR[aid]
            lang = ("en", "zh")[(i + j) % 2]
            if i % 2 == 0:
                cond_task(
                    f,
                    "tag-wo",
                    p,
                    rng,
                    lang,
                    "tag",
                    aid,
                    lambda g, a=aid: [g.create_wo(a, 2, it=True)],
                    tag=tag,
                    x=x,
                )
            else:
                cond_task(
                    f,
                    "tag-wo-else",
                    p,
                    rng,
                    lang,
                    "tag",
                    aid,
                    lambda g, a=aid: [g.create_wo(a, 1, it=True)],
                    lambda g, a=aid: [g.diagnose(a)],
                    tag=tag,
                    x=x,
                )
            if p.movable(aid) and prefix(nb) == prefix(aid):
                cond_task(
                    f,
                    "tag-move",
                    p,
                    rng,
                    ("zh", "en")[(i + j) % 2],
                    "tag",
                    aid,
                    lambda g, a=aid, b=nb: [
                        g.create_wo(a, 2, it=True),
                        g.move(a, b, it=True),
                        g.hold_machine(a, 2),
                    ],
                    tag=tag,
                    x=x,
                )
    # below a threshold
    for i, seed in enumerate([0, 4, 8, 2]):
        p = plant(seed, None, 3)
        v = p.tag("CNC-1.coolant_flow") or 0.0
        x = round(v * (1.1 if i % 2 == 0 else 0.9), 1)
        cond_task(
            f,
            "flow-low",
            p,
            rng,
            ("en", "zh")[i % 2],
            "tag",
            "CNC-1",
            lambda g: [g.create_wo("CNC-1", 2, it=True), g.stop("CNC-1", it=True)],
            tag="coolant_flow",
            op="lt",
            x=x,
        )
    # a machine down (breakdown scenario) or not
    for i, (seed, sc, h) in enumerate(
        [(0, "machine_breakdown", 6), (0, None, 6), (2, "machine_breakdown", 8), (4, None, 2)]
    ):
        p = plant(seed, sc, h)
        for lang in ("en", "zh"):
            cond_task(
                f,
                "down-wo",
                p,
                rng,
                lang,
                "down",
                "CNC-8",
                lambda g: [g.create_wo("CNC-8", 1, it=True), _assign(g, "CNC-8", "T-03")],
            )
        cond_task(
            f,
            "down-wo-move",
            p,
            rng,
            ("zh", "en")[i % 2],
            "down",
            "CNC-8",
            lambda g: (
                [g.create_wo("CNC-8", 1, it=True), g.move("CNC-8", "CNC-7", it=True)]
                if g.p.movable("CNC-8")
                else [g.create_wo("CNC-8", 1, it=True)]
            ),
        )
    # alarms on an asset, or none
    for _i, (seed, sc, h, aid) in enumerate(
        [
            (0, None, 2, "CNV-2"),
            (1, None, 2, "CNV-2"),
            (0, "sensor_drift", 8, "CNC-3"),
            (0, None, 2, "CNC-3"),
            (0, "coolant_pump_failure", 6, "P-201"),
            (2, None, 3, "P-201"),
        ]
    ):
        p = plant(seed, sc, h)
        for lang in ("en", "zh"):
            cond_task(
                f,
                "alarms-ack-wo",
                p,
                rng,
                lang,
                "alarms",
                aid,
                lambda g, a=aid: [_ack_it(g, a), g.create_wo(a, 2)],
            )
    # with a negation: "don't stop anything"
    for _i, (seed, sc, h) in enumerate([(0, "sensor_drift", 8), (0, None, 2)]):
        p = plant(seed, sc, h)
        for lang in ("en", "zh"):
            g = Gen(p, rng)
            v = p.tag("CNC-3.spindle_temp") or 0
            holds = v > 80
            text = (
                "If CNC-3 spindle temperature is above 80 °C, open a priority-1 work order on it, but don't stop the machine"
                if lang == "en"
                else "如果3号数控机床主轴温度超过80度，就给它开一个1级工单，不要停机"
            )
            fr = g.create_wo("CNC-3", 1)
            ms = fr.milestones if holds else _unchanged(p, fr)[0]
            emit(
                f,
                f"negation-{'holds' if holds else 'not'}",
                lang,
                p,
                text,
                [fr],
                gold=[call("get_tag", tag_id="CNC-3.spindle_temp")] + (fr.gold if holds else []),
                milestones=ms + [{"in": "assets", "where": {"id": "CNC-3"}, "field": "mode", "eq": "auto"}],
                mines=[{"in": "assets", "where": {"mode": "stopped"}, "count_min": 1}] + fr.mines,
                tags={"conditional"},
            )


def _ack_it(g: Gen, aid: str) -> Frag:
    fr = g.ack(aid=aid)
    fr.en = g.rng.choice(["acknowledge its alarms", "ack its alarms", "acknowledge the alarms on it"])
    fr.zh = g.rng.choice(["确认它的报警", "把它的报警确认", "确认它的告警"])
    fr.gold = fr.gold[1:]  # the condition already listed them
    return fr


LOOP_EN = {
    "diagnose": [
        "Diagnose every machine on {l}",
        "run a diagnosis on all machines on {l}",
        "check the health of each machine on {l}",
    ],
    "spc": [
        "Is every machine on {l} in control?",
        "run SPC on all machines on {l}",
        "check each machine on {l} for statistical control",
    ],
    "sensor": [
        "What's the {s} of every machine on {l}?",
        "read the {s} on all machines of {l}",
        "show me the {s} for each machine on {l}",
    ],
    "stop": ["Stop every machine on {l}", "stop all machines on {l}", "shut down each machine on {l}"],
    "start": [
        "Restart every machine on {l}",
        "start all machines on {l} again",
        "switch each machine on {l} back on",
    ],
    "wo": [
        "Open a priority-{p} work order on every machine on {l}",
        "raise a P{p} work order for each machine on {l}",
        "create a priority {p} work order on all machines on {l}",
    ],
}
LOOP_ZH = {
    "diagnose": ["诊断{l}所有设备", "给{l}每台设备做诊断", "诊断一下{l}的全部设备"],
    "spc": ["{l}所有设备的过程受控吗？", "{l}每台设备的过程能力怎么样", "查一下{l}全部设备是否受控"],
    "sensor": ["{l}所有设备的{s}是多少？", "读一下{l}每台设备的{s}", "看看{l}全部设备的{s}"],
    "stop": ["停掉{l}所有设备", "把{l}每台设备都停下", "关停{l}全部设备"],
    "start": ["重新启动{l}所有设备", "把{l}每台设备都重启", "启动{l}全部设备"],
    "wo": ["给{l}所有设备开{p}级工单", "给{l}每台设备建一个{p}级工单", "为{l}全部设备创建{p}级工单"],
}


def loop_task(
    f: str,
    name: str,
    p: Plant,
    rng: random.Random,
    lang: str,
    kind: str,
    line: str,
    frags: Any,
    *,
    s: tuple[str, str] = ("", ""),
    prio: int = 3,
    setup: list[dict[str, Any]] | None = None,
    prefix_text: str = "",
    suffix: list[Frag] | None = None,
) -> None:
    bank = LOOP_ZH if lang == "zh" else LOOP_EN
    ltxt = zh_line(rng, line) if lang == "zh" else en_line(rng, line)
    text = fill(pick(rng, bank[kind]), l=ltxt, s=s[1] if lang == "zh" else s[0], p=prio)
    g = Gen(p, rng)
    fr = frags(g)
    if suffix:
        text = chain_text(rng, [text] + [x.zh if lang == "zh" else x.en for x in suffix], lang)
        fr = fr + suffix
    emit(f, name, lang, p, text, fr, setup=setup, tags={"loop"})


def fam_loops() -> None:
    rng = _rng("loops")
    f = "loops"
    for i, (line, seed) in enumerate([("L1", 0), ("L2", 1), ("L3", 2), ("L1", 3), ("L3", 4), ("L2", 5)]):
        p = plant(seed, None, 3)
        loop_task(
            f,
            "diagnose-line",
            p,
            rng,
            ("en", "zh")[i % 2],
            "diagnose",
            line,
            lambda g, lt=line: [g.diagnose(m) for m in g.p.machines(lt)],
        )
        loop_task(
            f,
            "spc-line",
            p,
            rng,
            ("zh", "en")[i % 2],
            "spc",
            line,
            lambda g, lt=line: [g.spc(m) for m in g.p.machines(lt)],
        )
    for _i, (line, seed, tag) in enumerate(
        [
            ("L1", 0, "spindle_temp"),
            ("L2", 2, "spindle_temp"),
            ("L1", 6, "spindle_temp"),
            ("L2", 7, "spindle_temp"),
            ("L3", 8, "spindle_temp"),
            ("L3", 9, "spindle_temp"),
        ]
    ):
        p = plant(seed, None, 2)
        ms = [m for m in p.machines(line) if f"{m}.{tag}" in p.state["tags"]]
        for lang in ("en", "zh"):
            loop_task(
                f,
                "sensor-line",
                p,
                rng,
                lang,
                "sensor",
                line,
                lambda g, ms=ms, tag=tag: [g.read_sensor(m, tag) for m in ms],
                s=(pick(rng, SENSORS[tag][0]), SENSORS[tag][1][0]),
            )
    for i, (line, seed) in enumerate([("L3", 0), ("L1", 3), ("L2", 6), ("L3", 9)]):
        p = plant(seed, None, 2)
        loop_task(
            f,
            "stop-line",
            p,
            rng,
            ("en", "zh")[i % 2],
            "stop",
            line,
            lambda g, lt=line: [g.stop(m) for m in g.p.machines(lt)],
        )
    for i, (line, seed) in enumerate([("L3", 1), ("L1", 5)]):
        setup = [stop_setup(m) for m in plant(seed, None, 2).machines(line)]
        p = plant(seed, None, 2, setup)
        loop_task(
            f,
            "start-line",
            p,
            rng,
            ("zh", "en")[i % 2],
            "start",
            line,
            lambda g, lt=line: [g.start(m) for m in g.p.machines(lt)],
            setup=setup,
        )
    for i, (line, seed, prio) in enumerate([("L3", 2, 3), ("L1", 4, 2), ("L2", 7, 3), ("L3", 8, 1)]):
        p = plant(seed, None, 2)
        loop_task(
            f,
            "wo-line",
            p,
            rng,
            ("en", "zh")[i % 2],
            "wo",
            line,
            lambda g, lt=line, pr=prio: [g.create_wo(m, pr) for m in g.p.machines(lt)],
            prio=prio,
        )
    # a loop with a condition tested on each machine
    for _i, (line, seed, sc, h) in enumerate(
        [("L2", 0, None, 2), ("L1", 0, "sensor_drift", 8), ("L1", 3, None, 4), ("L2", 5, None, 6)]
    ):
        p = plant(seed, sc, h)
        ms = [m for m in p.machines(line) if f"{m}.spindle_temp" in p.state["tags"]]
        vals = sorted(p.tag(f"{m}.spindle_temp") or 0 for m in ms)
        x = (
            round((vals[len(vals) // 2 - 1] + vals[len(vals) // 2]) / 2, 1)
            if len(vals) > 1
            else round(vals[0] - 1, 1)
        )
        for lang in ("en", "zh"):
            g = Gen(p, rng)
            ltxt = en_line(rng, line) if lang == "en" else zh_line(rng, line)
            if lang == "en":
                text = rng.choice(
                    [
                        f"For every machine on {ltxt}, if the spindle temperature is above {x:g}, open a priority-2 work order on it",
                        f"for each machine on {ltxt}, if its spindle temp is over {x:g} then raise a P2 work order on it",
                    ]
                )
            else:
                text = rng.choice(
                    [
                        f"{ltxt}所有设备，如果主轴温度超过{x:g}度，就给它开2级工单",
                        f"{ltxt}每台设备如果主轴温度高于{x:g}，就给它开一个2级工单",
                    ]
                )
            gold, mst, mines, frs = [], [], [], []
            for m in ms:
                fr = g.create_wo(m, 2)
                frs.append(fr)
                gold.append(call("get_tag", tag_id=f"{m}.spindle_temp"))
                if (p.tag(f"{m}.spindle_temp") or 0) > x:
                    gold += fr.gold
                    mst += fr.milestones
                else:
                    mst += _unchanged(p, fr)[0]
                    mines += _unchanged(p, fr)[1]
            emit(
                f,
                "cond-loop",
                lang,
                p,
                text,
                frs,
                gold=gold,
                milestones=mst,
                mines=mines + [{"in": "work_orders", "where": {"asset": "PKR-1"}, "count_min": 1}],
                answer=[],
                tags={"loop", "conditional", "maintenance"},
            )


def fam_cross() -> None:
    rng = _rng("cross")
    f = "cross"
    recipes: list[tuple[int, str | None, float, Any]] = []
    for i, (a, b) in enumerate(MOVES[:8]):
        recipes.append(
            (i % 10, None, 2, lambda g, a=a, b=b, pr=(i % 3) + 1: [g.create_wo(a, pr), g.move(a, b)])
        )
        recipes.append(
            ((i + 3) % 10, None, 3, lambda g, a=a, b=b: [g.stop(a), g.create_wo(a, 1, it=True), g.move(a, b)])
        )
        recipes.append(
            (
                (i + 6) % 10,
                None,
                4,
                lambda g, a=a, b=b, h=(i % 3) + 2: [g.create_wo(a, 2), g.move(a, b), g.hold_machine(a, h)],
            )
        )
        recipes.append(
            (
                (i + 1) % 10,
                None,
                2,
                lambda g, a=a, b=b, t=TECHS[i % 6]: [
                    g.diagnose(a),
                    g.create_wo(a, 2, it=True),
                    _assign(g, a, t),
                    g.move(a, b),
                ],
            )
        )
    for i, aid in enumerate(["CNC-3", "PRS-1", "OVN-2", "CNC-6", "GRD-1", "PKR-2"]):
        recipes.append(
            (
                i,
                None,
                2,
                lambda g, a=aid, t=TECHS[(i + 1) % 6]: [
                    g.asset_status(a),
                    g.stop(a),
                    g.create_wo(a, 1, it=True),
                    _assign(g, a, t),
                ],
            )
        )
        recipes.append(
            ((i + 4) % 10, None, 5, lambda g, a=aid: [g.spc(a), g.hold_machine(a, 3), g.create_wo(a, 2)])
        )
        recipes.append(
            (
                (i + 2) % 10,
                None,
                2,
                lambda g, a=aid: [g.ack(aid="CNV-2"), g.create_wo("CNV-2", 3), g.asset_status(a)],
            )
        )
    for i, aid in enumerate(["CNC-3", "OVN-1", "PKR-1", "PRS-2"]):
        recipes.append((i + 5, None, 2, lambda g, a=aid: [g.setpoint(a), g.create_wo(a, 3), g.list_wos(a)]))
        recipes.append(
            (
                i,
                None,
                3,
                lambda g, a=aid: [
                    g.read_sensor(
                        a,
                        {
                            "CNC": "spindle_temp",
                            "OVN": "zone_temp",
                            "PKR": "seal_temp",
                            "PRS": "hyd_oil_temp",
                        }[prefix(a)],
                    ),
                    g.diagnose(a),
                    g.create_wo(a, 2, it=True),
                    g.hold_machine(a, 2),
                ],
            )
        )
    # alarms -> maintenance -> scheduling -> quality on the incidents of the scenarios
    for _i, (seed, h) in enumerate([(0, 6), (3, 8), (0, 8), (3, 7)]):
        recipes.append(
            (seed, "coolant_pump_failure", h, lambda g: [g.root_cause("L2", "P-201"), _wo_root(g, 1)])
        )
        recipes.append(
            (
                seed,
                "coolant_pump_failure",
                h,
                lambda g: [
                    g.root_cause("L2", "P-201"),
                    _wo_root(g, 1),
                    g.ack(aid="P-201"),
                    g.hold_machine("CNC-5", 2),
                ],
            )
        )
        recipes.append(
            (
                seed,
                "coolant_pump_failure",
                h,
                lambda g: [
                    g.root_cause("L2", "P-201"),
                    _wo_root(g, 1),
                    g.move("CNC-5", "CNC-3"),
                    g.hold_machine("CNC-6", 3),
                ],
            )
        )
    for _i, (seed, h) in enumerate([(0, 8), (1, 8), (2, 7)]):
        recipes.append(
            (
                seed,
                "sensor_drift",
                h,
                lambda g: [
                    g.ack(aid="CNC-3"),
                    g.diagnose("CNC-3"),
                    g.create_wo("CNC-3", 2, it=True),
                    g.move("CNC-3", "CNC-4"),
                ],
            )
        )
        recipes.append(
            (
                seed,
                "tool_wear",
                h - 2,
                lambda g: [
                    g.spc("CNC-3"),
                    g.hold_machine("CNC-3", 4),
                    g.create_wo("CNC-3", 2),
                    g.move("CNC-3", "CNC-2"),
                ],
            )
        )
    recipes.append(
        (
            0,
            "bearing_wear",
            8,
            lambda g: [
                g.diagnose("PRS-1"),
                g.create_wo("PRS-1", 1, it=True),
                _assign(g, "PRS-1", "T-01"),
                g.move("PRS-1", "PRS-2"),
                g.stop("PRS-1"),
            ],
        )
    )
    recipes.append(
        (
            0,
            "machine_breakdown",
            6,
            lambda g: [
                g.explain_asset("CNC-8"),
                g.create_wo("CNC-8", 1),
                _assign(g, "CNC-8", "T-03"),
                g.late_jobs(),
            ],
        )
    )
    for i, (seed, sc, h, mk) in enumerate(recipes):
        p = plant(seed, sc, h)
        frs = mk(Gen(p, random.Random(0)))
        if any(
            fr.gold
            and fr.gold[-1]["tool"] == "publish_schedule"
            and not any(m["in"] == "job_ops" and m.get("field") for m in fr.milestones)
            for fr in frs
        ):
            continue  # nothing to move there
        emit_chain(f, "chain", p, rng, mk, langs=(("en", "zh")[i % 2],))


def _wo_root(g: Gen, prio: int) -> Frag:
    fr = g.create_wo("P-201", prio, it=True)
    fr.en = g.rng.choice(
        [
            "open a priority-{p} work order on it",
            "raise a P{p} work order for it",
            "log a priority {p} work order on it",
        ]
    ).format(p=prio)
    fr.zh = g.rng.choice(["给它开{p}级工单", "给它开一个{p}级工单", "为它创建{p}级工单"]).format(p=prio)
    return fr


INCIDENT_AFFECTED = ["P-201", "CNC-5", "CNC-6", "GRD-2", "PRS-1", "PRS-2"]


def incident_task(f: str, name: str, p: Plant, lang: str, text: str) -> None:
    """ "Handle the incident on line 2" on the coolant pump failure: triage, work order on P-201,
    the schedule, held lots."""
    affected = INCIDENT_AFFECTED
    acks = [x for x in p.state["alarms"] if x["asset"] in affected[1:] and x["state"] in ACKABLE]
    gold = (
        [call("list_alarms")]
        + [call("acknowledge_alarm") for _ in acks]
        + [
            call("create_work_order", asset="P-201", priority=1),
            call("publish_schedule"),
            call("hold_lot"),
        ]
    )
    ms = [{"in": "alarms", "where": {"asset": a, "state": "UNACK"}, "count": 0} for a in affected[1:]]
    ms += [
        {"in": "work_orders", "where": {"asset": "P-201", "priority": 1}, "count": 1},
        {"in": "lots", "where": {"on_hold": True}, "count_min": 1},
    ]
    mines = [
        {"in": "work_orders", "where": {"asset": "P-101"}, "count_min": 1},
        {"in": "work_orders", "where": {"asset": "P-201"}, "count_min": 2},
        {"in": "assets", "where": {"mode": "stopped", "line": "L1"}, "count_min": 1},
    ]
    emit(
        f,
        name,
        lang,
        p,
        text,
        [],
        gold=gold,
        milestones=ms,
        mines=mines,
        answer=[{"mentions": "P-201"}],
        tags={"alarm_triage", "maintenance", "scheduling", "quality", "cross"},
    )


def fam_incidents() -> None:
    rng = _rng("incidents")
    for _i, (seed, h) in enumerate([(0, 6), (3, 8), (0, 8), (3, 7), (0, 7), (3, 6)]):
        p = plant(seed, "coolant_pump_failure", h)
        for lang in ("en", "zh"):
            g = Gen(p, rng)
            en, zh = g.words("incident", l=g.ln("L2"))
            incident_task("cross", "incident", p, lang, zh if lang == "zh" else en)


def fam_phrasings() -> None:
    """Phrasings the rules brain once got wrong, kept as regression tasks (fixed utterances)."""
    f = "phrasings"

    def one(name: str, lang: str, p: Plant, text: str, make: Any, **kw: Any) -> None:
        emit(f, name, lang, p, text, make(Gen(p, random.Random(0))), **kw)

    p = plant(0, None, 3)
    one("healthy", "en", p, "how healthy is PRS-1?", lambda g: [g.diagnose("PRS-1")])
    one("healthy", "en", p, "Is GRD-2 healthy?", lambda g: [g.diagnose("GRD-2")])
    one(
        "wo-comma-priority",
        "en",
        p,
        "create a work order on GRD-2, priority 2",
        lambda g: [g.create_wo("GRD-2", 2)],
    )
    one("wo-comma-priority", "zh", p, "给GRD-2开个工单，优先级2", lambda g: [g.create_wo("GRD-2", 2)])
    one("wo-comma-priority", "en", p, "Raise a work order for PRS-3, P1", lambda g: [g.create_wo("PRS-3", 1)])
    one(
        "hold-comma-window",
        "en",
        p,
        "put on hold the lots from CNC-5, last 2 hours",
        lambda g: [g.hold_machine("CNC-5", 2)],
    )
    one("hold-comma-window", "zh", p, "扣留CNC-1的批次，最近2小时", lambda g: [g.hold_machine("CNC-1", 2)])
    one("spc-zh", "zh", p, "3号数控机床做一下SPC检查", lambda g: [g.spc("CNC-3")])
    one("spc-zh", "zh", p, "给PRS-2做个SPC", lambda g: [g.spc("PRS-2")])
    one("spc-zh-loop", "zh", p, "1号线每台设备做SPC检查", lambda g: [g.spc(m) for m in g.p.machines("L1")])
    one("shut-down", "en", p, "CNC-6: shut it down", lambda g: [g.stop("CNC-6")])
    one("shut-down", "en", p, "shut CNC-7 down", lambda g: [g.stop("CNC-7")])
    one("job-status", "en", p, "how's JOB-0007 getting on", lambda g: [g.job_status("JOB-0007")])
    one("job-status", "zh", p, "JOB-0031状态怎么样", lambda g: [g.job_status("JOB-0031")])
    one("job-status", "en", p, "what's the status of JOB-0012?", lambda g: [g.job_status("JOB-0012")])
    for lot in ("LOT-0013", "LOT-0004"):
        setup = [
            hold_setup(lot),
            hold_setup(f"LOT-{int(lot[4:]) + 1:04d}", "diameter drift on the last sample"),
        ]
        ph = plant(0, None, 3, setup)
        text = f"{lot} can be released" if lot == "LOT-0013" else f"{lot}可以放行了"
        one(
            "released",
            "en" if lot == "LOT-0013" else "zh",
            ph,
            text,
            lambda g, lt=lot: [g.release(lt)],
            setup=setup,
        )
        text = f"{lot}被扣留的原因是什么" if lot == "LOT-0013" else f"What's the reason {lot} is on hold?"
        one(
            "explain-reason",
            "zh" if lot == "LOT-0013" else "en",
            ph,
            text,
            lambda g, lt=lot: [g.explain_lot(lt)],
            setup=setup,
        )
    # "否则" holds a 则 that is not the "then" of the condition; both branches, on live values
    v = p.tag("PRS-2.hyd_oil_temp")
    assert v is not None
    for x, holds in ((int(v) - 3, True), (int(v) + 3, False)):
        text = f"如果PRS-2液压油温超出{x}，给它建1级工单，否则诊断PRS-2"
        g = Gen(p, random.Random(0))
        read = [call("get_tag", tag_id="PRS-2.hyd_oil_temp")]
        if holds:
            fr = g.create_wo("PRS-2", 1, it=True)
            emit(f, "cond-otherwise", "zh", p, text, [fr], gold=read + fr.gold, tags={"conditional"})
        else:
            fr = g.diagnose("PRS-2")
            mines = [{"in": "work_orders", "where": {"asset": "PRS-2"}, "count_min": 1}]
            emit(
                f,
                "cond-otherwise",
                "zh",
                p,
                text,
                [fr],
                gold=read + fr.gold,
                mines=mines,
                tags={"conditional"},
            )
    pi = plant(0, "coolant_pump_failure", 6)
    incident_task(f, "incident-object-first", pi, "zh", "二线的事故处理一下")
    incident_task(
        f, "incident-object-first", plant(3, "coolant_pump_failure", 8), "zh", "第二条产线的事故处理一下"
    )


FILL_MOVES = [("CNC-3", "CNC-4"), ("CNC-1", "CNC-2"), ("CNC-5", "CNC-6"), ("PRS-1", "PRS-2"), ("OVN-1", "OVN-2"), ("CNC-2", "CNC-4"),
              ("GRD-2", "GRD-1"), ("CNC-6", "CNC-8"), ("PKR-1", "PKR-3"), ("WSH-1", "WSH-2"), ("GRD-1", "GRD-3"), ("CNC-7", "CNC-8")]  # fmt: skip


def fam_fill() -> None:
    """Cross-specialist chains of six to ten calls, over many machines, seeds and plant times."""
    rng = _rng("fill")
    f = "cross"
    shapes: list[tuple[str, Any]] = [
        ("wo-move", lambda g, a, b, t, lt, pr: [g.create_wo(a, pr), g.move(a, b)]),
        (
            "stop-wo-assign",
            lambda g, a, b, t, lt, pr: [g.stop(a), g.create_wo(a, pr, it=True), _assign(g, a, t)],
        ),
        (
            "ack-wo-hold",
            lambda g, a, b, t, lt, pr: [g.ack(aid="CNV-2"), g.create_wo("CNV-2", pr), g.hold_lot(lt)],
        ),
        ("stop-wo-move", lambda g, a, b, t, lt, pr: [g.stop(a), g.create_wo(a, pr, it=True), g.move(a, b)]),
        (
            "status-stop-wo-assign",
            lambda g, a, b, t, lt, pr: [
                g.asset_status(a),
                g.stop(a),
                g.create_wo(a, pr, it=True),
                _assign(g, a, t),
            ],
        ),
        ("setpoint-wo-move", lambda g, a, b, t, lt, pr: [g.setpoint(a), g.create_wo(a, pr), g.move(a, b)]),
        (
            "diagnose-wo-move",
            lambda g, a, b, t, lt, pr: [g.diagnose(a), g.create_wo(a, pr, it=True), g.move(a, b)],
        ),
        ("hold-wo-move", lambda g, a, b, t, lt, pr: [g.hold_lot(lt), g.create_wo(a, pr), g.move(a, b)]),
        (
            "wo-assign-reads",
            lambda g, a, b, t, lt, pr: [
                g.create_wo(a, pr),
                _assign(g, a, t),
                g.list_wos(a),
                g.material(),
                g.late_jobs(),
            ],
        ),
        (
            "stop-wo-assign-move",
            lambda g, a, b, t, lt, pr: [
                g.stop(a),
                g.create_wo(a, pr, it=True),
                _assign(g, a, t),
                g.move(a, b),
            ],
        ),
        (
            "ack-stop-wo-assign",
            lambda g, a, b, t, lt, pr: [
                g.ack(aid="CNV-2"),
                g.stop(a),
                g.create_wo(a, pr, it=True),
                _assign(g, a, t),
            ],
        ),
        (
            "ack-wo-move-job",
            lambda g, a, b, t, lt, pr: [
                g.ack(aid="CNV-2"),
                g.create_wo(a, pr),
                g.move(a, b),
                g.job_status(lt.replace("LOT", "JOB")),
            ],
        ),
    ]
    n = 0
    for k, (name, mk) in enumerate(shapes):
        for j in range(8 if "move" in name and name != "wo-move" else 6):
            a, b = FILL_MOVES[(k * 5 + j) % len(FILL_MOVES)]
            if name.startswith("setpoint") and prefix(a) not in SETPOINTS:
                a, b = ("CNC-3", "CNC-4") if j % 2 else ("OVN-1", "OVN-2")
            seed, hours = (k + j) % 10, [1, 2, 3, 4, 5, 6][(k + 2 * j) % 6]
            p = plant(seed, None, hours)
            if not p.movable(a) or p.asset(b)["status"] in ("down", "maintenance"):
                continue
            held = p.held()
            lot = next(x["id"] for x in p.state["lots"][(j * 7 + k) % 40 :] if x["id"] not in held)
            t = TECHS[(k + j) % len(TECHS)]
            pr = [1, 2, 3, 2, 1][(k + j) % 5]
            n += 1
            emit_chain(
                f,
                f"fill-{name}",
                p,
                rng,
                lambda g, mk=mk, a=a, b=b, t=t, lt=lot, pr=pr: mk(g, a, b, t, lt, pr),
                langs=(("en", "zh")[n % 2],),
            )


def main() -> None:
    for fam in (
        fam_read,
        fam_maintenance,
        fam_alarms,
        fam_scheduling,
        fam_quality,
        fam_conditional,
        fam_loops,
        fam_cross,
        fam_fill,
        fam_incidents,
        fam_phrasings,
    ):
        fam()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.jsonl"):
        if old.stem in TASKS:
            old.unlink()
    for name, tasks in TASKS.items():
        with (OUT / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for t in tasks:
                fh.write(json.dumps(t, ensure_ascii=False) + "\n")
    depth = Counter(t["depth"] for ts in TASKS.values() for t in ts)
    langs = Counter(t["lang"] for ts in TASKS.values() for t in ts)
    print(f"{sum(depth.values())} tasks; by depth: {dict(sorted(depth.items()))}; by language: {dict(langs)}")


if __name__ == "__main__":
    main()
