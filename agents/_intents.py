"""The catalogue of what operators can ask: one `IntentSpec` per intent, in one explicit tuple.

Each intent is owned by one specialist (or the supervisor, for status, explanations, the
handover report and incident replay), takes typed arguments (`agents._intent_args`), and comes
with an English and a Chinese example that the test suite runs against the sandbox. The
`summary` is what an LLM brain reads when it picks intents as tools: write it for that reader.
`effect` is the most a step of the intent can do to the plant: `read` changes nothing, `write`
acts as an operator would, `critical` waits for a supervisor's approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agents import _intent_args as a
from agents._decision import AgentName


@dataclass(frozen=True, kw_only=True, slots=True)
class IntentSpec:
    """One thing an operator can ask for."""

    name: str
    """Unique name; also the tool name an LLM brain calls."""
    owner: AgentName
    """The specialist that carries it out (the supervisor for status and reports)."""
    args_model: type[a.IntentArgs]
    """What a step of this intent needs; its JSON schema is what an LLM fills in."""
    effect: Literal["read", "write", "critical"]
    """The most a step can do to the plant."""
    summary: str
    """What it does, for the catalogue and for an LLM reader."""
    en: str
    """An English example (run by the tests)."""
    zh: str
    """A Chinese example (run by the tests)."""


def _i(
    name: str,
    owner: AgentName,
    args_model: type[a.IntentArgs],
    effect: Literal["read", "write", "critical"],
    summary: str,
    en: str,
    zh: str,
) -> IntentSpec:
    return IntentSpec(
        name=name, owner=owner, args_model=args_model, effect=effect, summary=summary, en=en, zh=zh
    )


INTENTS: tuple[IntentSpec, ...] = (
    # -- status, explanations, reports (the supervisor) ------------------------------------------
    _i("plant_status", "supervisor", a.NoIntentArgs, "read",
       "Overview of the whole plant: machines running, down or stopped, standing alarms, open work orders, held lots.",
       "How is the plant doing?", "全厂现在情况怎么样？"),
    _i("line_status", "supervisor", a.LineArgs, "read",
       "Status of every asset on one line.",
       "What's the status of line 2?", "二线的状态如何？"),
    _i("asset_status", "supervisor", a.AssetArgs, "read",
       "Status of one asset: mode, current job, queue, OEE, open work orders.",
       "What is CNC-3 doing right now?", "3号数控机床现在在干什么？"),
    _i("read_sensor", "supervisor", a.SensorArgs, "read",
       "The current value of one sensor (tag) of an asset.",
       "What's the spindle temperature on CNC-3?", "3号数控机床的主轴温度是多少？"),
    _i("sensor_trend", "supervisor", a.SensorWindowArgs, "read",
       "Minimum, mean and maximum of a sensor over a time window (default: this shift).",
       "Show me the spindle vibration of CNC-5 over the last 2 hours", "过去两小时5号数控机床主轴振动的趋势"),
    _i("explain", "supervisor", a.ExplainArgs, "read",
       "Why something is the way it is: an asset down or locked out, a lot on hold, or the last decisions of this conversation.",
       "Why is LOT-0001 on hold?", "为什么LOT-0001被扣留？"),
    _i("handover_report", "supervisor", a.NoIntentArgs, "read",
       "The shift handover report: alarms, work orders, held lots, stopped machines and late jobs.",
       "Write the shift handover report", "写一份交接班报告"),
    _i("incident_replay", "supervisor", a.IncidentRef, "read",
       "Replay a recorded incident run step by step: trigger, each specialist's decision, its actions.",
       "Replay the last incident", "回放上一次事故"),
    # -- alarm triage ------------------------------------------------------------------------------
    _i("list_alarms", "alarm_triage", a.ScopeArgs, "read",
       "Standing alarms (not normal, or shelved) of an asset, a line or the plant.",
       "Which alarms are active on line 2?", "二线有哪些报警？"),
    _i("acknowledge_alarms", "alarm_triage", a.ScopeArgs, "write",
       "Acknowledge the unacknowledged alarms of an asset or a line.",
       "Acknowledge the alarms on CNV-2", "确认2号输送线的报警"),
    _i("shelve_alarms", "alarm_triage", a.ShelveArgs, "write",
       "Shelve an asset's standing alarms for a while (at most 8 h), e.g. a chattering nuisance alarm.",
       "Shelve the alarms on CNV-2 for 2 hours", "把CNV-2的报警搁置两小时"),
    _i("find_root_cause", "alarm_triage", a.ScopeArgs, "read",
       "Group the standing alarms by plant topology and name the root cause asset.",
       "Find the root cause of the alarms on line 2", "找出二线报警的根因"),
    _i("respond_incident", "alarm_triage", a.ScopeArgs, "write",
       "Handle an incident end to end: triage, then maintenance, scheduling and quality as the findings need.",
       "Handle the incident on line 2", "处理二线的事故"),
    # -- maintenance -------------------------------------------------------------------------------
    _i("create_work_order", "maintenance", a.WorkOrderArgs, "write",
       "Open a maintenance work order on an asset (unless one of the same type is already open).",
       "Open a priority-2 work order on CNC-3", "给3号数控机床开一个二级工单"),
    _i("list_work_orders", "maintenance", a.ScopeArgs, "read",
       "Open work orders of an asset, a line or the plant.",
       "Which work orders are open?", "现在有哪些未完成的工单？"),
    _i("assign_work_order", "maintenance", a.AssignArgs, "write",
       "Assign an asset's open work order to a technician (by id, or the best fit on shift).",
       "Open a work order on GRD-2 and assign it to T-01", "给2号磨床开工单，然后派给T-01"),
    _i("diagnose", "maintenance", a.AssetArgs, "read",
       "Diagnose an asset from its sensor trends: health index and the most likely failure mode.",
       "Diagnose CNC-3", "诊断一下3号数控机床"),
    _i("stop_machine", "maintenance", a.MachineModeArgs, "critical",
       "Stop a machine (needs a supervisor's approval).",
       "Stop CNC-3", "停掉3号数控机床"),
    _i("start_machine", "maintenance", a.MachineModeArgs, "critical",
       "Start a stopped machine again (needs a supervisor's approval).",
       "Restart PRS-1", "重新启动1号液压机"),
    _i("list_technicians", "maintenance", a.ShiftArgs, "read",
       "Technicians of a shift (default: on duty), their skills and what they are working on.",
       "Which technicians are on shift?", "本班有哪些技术员？"),
    _i("spare_parts", "maintenance", a.NoIntentArgs, "read",
       "Spare-part stock, flagging parts at or below their minimum.",
       "Which spare parts are low?", "哪些备件库存不足？"),
    # -- scheduling --------------------------------------------------------------------------------
    _i("plan_shift", "scheduling", a.PlanShiftArgs, "write",
       "Plan a shift (default: the next): every open order on the machines around maintenance windows, maintenance tasks on the shift's technicians by skill, inspection points on machines under watch; checked, published and stored. Replan: least disruption after a breakdown or a rush order.",
       "Plan the next shift", "排下一班"),
    _i("show_schedule", "scheduling", a.ScopeArgs, "read",
       "The published schedule of a machine or a line: queued operations in order.",
       "What's scheduled on CNC-4?", "4号数控机床排了哪些任务？"),
    _i("move_jobs", "scheduling", a.MoveJobsArgs, "write",
       "Move a machine's queued operations to another machine of the same type and publish the schedule.",
       "Move CNC-3's jobs to CNC-4", "把3号数控机床的任务转到4号数控机床"),
    _i("job_status", "scheduling", a.JobArgs, "read",
       "Where a job is: each operation's machine and status, due time, lateness.",
       "Where is JOB-0003?", "JOB-0003进度如何？"),
    _i("late_jobs", "scheduling", a.NoIntentArgs, "read",
       "Jobs that are late or will miss their due time.",
       "Which jobs are late?", "哪些订单延期了？"),
    _i("material_stock", "scheduling", a.NoIntentArgs, "read",
       "Raw material stock, open demand and the next delivery.",
       "How much material do we have?", "原材料库存还有多少？"),
    # -- quality -----------------------------------------------------------------------------------
    _i("hold_lots", "quality", a.HoldArgs, "write",
       "Put on hold one lot, or the lots an asset worked on in a window (default: this shift).",
       "Hold the lots CNC-1 made in the last 2 hours", "扣留1号数控机床过去两小时加工的批次"),
    _i("release_lot", "quality", a.LotArgs, "critical",
       "Release a held lot (needs a supervisor's approval).",
       "Release LOT-0001", "放行批次LOT-0001"),
    _i("list_held_lots", "quality", a.NoIntentArgs, "read",
       "Lots on quality hold and why.",
       "Which lots are on hold?", "哪些批次被扣留了？"),
    _i("spc_check", "quality", a.AssetArgs, "read",
       "Is an asset's process in statistical control: Western Electric / Nelson rules and Cpk on its measurements.",
       "Is CNC-1 in control?", "1号数控机床的过程受控吗？"),
    _i("set_setpoint", "quality", a.SetpointArgs, "critical",
       "Change a process setpoint within its limits (needs a supervisor's approval).",
       "Set the spindle speed of CNC-3 to 7000 rpm", "把3号数控机床的主轴转速设为7000"),
)  # fmt: skip

_BY_NAME = {i.name: i for i in INTENTS}


def find_intent(name: str) -> IntentSpec:
    """The intent of this name; `KeyError` with the known names otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown intent {name!r}; known: {', '.join(sorted(_BY_NAME))}") from None
