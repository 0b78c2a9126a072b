"""The rules brain's grammar: sentences, conditions, clauses, negations and intent words, EN and ZH.

    "if CNC-3 spindle temperature is above 80 °C, open a priority-2 work order and move its jobs to CNC-4"
      sentence -> condition "CNC-3 spindle temperature is above 80 °C"
               -> clauses "open a priority-2 work order" | "move its jobs to CNC-4"
    "如果3号数控机床主轴温度超过80度，就开二级工单并把它的任务转到4号机床"  (the same, in Chinese)

Intent words are tried in `INTENT_WORDS` order, most specific first; a clause whose words name no
intent is a continuation of the one before ("diagnose CNC-3 and CNC-4") or a follow-up of the
last turn ("and line 3?", "那二线呢？").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agents._nl_text import is_chinese, normalize
from agents._plan import Forbid, Op, Refusal

MAX_TASK_CHARS = 2000
"""Longer text is not an operator task (a paste of a log or a document): refused, nothing done."""

INTENT_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("incident_replay", r"\breplay\b|walk me through .*incident|回放|复盘|重放"),
        ("handover_report", r"hand-?over|shift report|end[- ]of[- ]shift|交接班|交班报告|交接报告"),
        ("plan_shift", r"^(please |can you |could you |now |let's )*(re-?)?plan\b|\bre-?plan\b"
         r"|\b(make|draw up|build|prepare|create|draft|generate|produce|work out)\b[^.;?]*\b(shift plan|plan (for|of) (the )?(next |this |current |coming )?shift)"
         r"|排([1一]下)?(下[1一]?个?|本|这个?|当前|[abc]|早|中|夜)\s*班|重排|重新排产"
         r"|(制定|做|安排|出|排)([1一]下)?.{0,6}班.{0,4}计划|班.{0,5}计划.{0,3}(排|做|制定)"),
        ("respond_incident", r"\b(handle|deal with|respond to|take care of|sort out)\b.*\b(incident|alarm flood|alarm storm|outage|upset)"
         r"|(事故|告警风暴|报警风暴).{0,6}(处理|应对)"
         r"|(处理|应对).*(事故|告警风暴|报警风暴|异常)"),
        ("find_root_cause", r"root[- ]?cause|what('s| is) causing|根因|根本原因|^(?!.*lot-?\d).*(找.*原因|原因是什么)"),
        ("explain", r"^\s*why\b|\bexplain\b|\breason\b|为什么|为何|解释|什么原因|原因是什么|的原因"),
        ("list_held_lots", r"^(?!.*(?:原因|为什么|为何|\bwhy\b))(?:.*?)(?:\b(which|what|list|show|any)\b.*\b(on hold|held)\b|被扣留|扣留中|扣着的|哪些批次.*扣)"),
        ("release_lot", r"\breleas(e|ed|ing)\b|\bunhold\b|放行|解除扣留"),
        ("hold_lots", r"\b(hold|quarantine|block)\b|扣留|隔离|冻结|暂扣"),
        ("shelve_alarms", r"\b(shelve|silence|suppress|mute)\b|搁置|屏蔽|抑制"),
        ("acknowledge_alarms", r"\back(nowledge)?\b|确认.*(报警|告警)|(报警|告警).*确认|消音"),
        ("assign_work_order", r"\bassign\b|\bgive (it|the work order) to\b|派给|分配给|指派给|交给"),
        ("create_work_order", r"\b(open|create|raise|write|log|issue|make|put in)\b.*\b(work ?order|wo|ticket)\b"
         r"|dispatch maintenance|send (a )?(technician|fitter|maintenance)|call maintenance"
         r"|(开|建|创建|下|提)(一|1)?(个|张)?.*工单|派维修|派人维修|安排维修|报修"),
        ("list_work_orders", r"work ?orders?|工单"),
        ("list_alarms", r"\balarms?\b|\balerts?\b|报警|告警"),
        ("set_setpoint", r"\bset\b.*\bto\s*\d|\bsetpoint\b|\b(change|raise|lower|adjust)\b.*\bto\s*\d"
         r"|(设为|设定为|设置为|调为|改为|设成|调到)\s*\d+(\.\d+)?\s*(?!\d|号|\s*号)"),
        ("move_jobs", r"\b(move|transfer|shift|reroute|re-route|switch)\b.*\b(jobs?|work|orders?|operations?|queue)\b"
         r"|(转到|转移到|挪到|移到|改到|调到|转给)"),
        ("diagnose", r"\bdiagnos|\bhealth(y)?\b|what('s| is) wrong with|诊断|健康|什么毛病|出了什么问题"),
        ("stop_machine", r"\b(stop|shut ?down|halt|switch off|turn off)\b|\bshut\b[^,.;]{1,30}?\bdown\b|停掉|停止|停机|关停|关掉|停下"),
        ("start_machine", r"\b(restart|start|switch on|turn on|resume)\b|重新启动|重启|启动|开机|恢复运行"),
        ("list_technicians", r"technicians?|\bwho('s| is) on (shift|duty)\b|\bfitters?\b|\bmechanics?\b|技术员|维修工|谁当班|谁在班"),
        ("spare_parts", r"\bspares?\b|spare parts?|parts? (stock|inventory)|备件|配件"),
        ("late_jobs", r"\blate\b|overdue|behind schedule|miss(ing)? .*due|延期|延误|逾期|拖期"),
        ("material_stock", r"\bmaterials?\b|raw stock|原材料|物料|材料"),
        ("spc_check", r"in control|statistical|(?<![a-z])spc(?![a-z])|\bcpk\b|capab|受控|统计过程|过程能力|cpk"),
        ("show_schedule", r"schedul|\bqueue\b|\bplanned\b|what('s| is) next|排了|排程|排产|计划|任务"),
        ("sensor_trend", r"\btrend\b|\bhistory\b|over the (last|past)|趋势|曲线|历史"),
        ("read_sensor", r"__sensor__"),  # a sensor named with a question: decided by the brain
        ("job_status", r"__job__"),
        ("asset_status", r"\bstatus\b|\bdoing\b|\bstate\b|\bup\b|\brunning\b|how('s| is)|状态|在干什么|怎么样|情况|在做什么"),
        ("plant_status", r"\b(plant|factory|site|overview)\b|全厂|工厂|整体|总体"),
    )
)  # fmt: skip

REPLAN = re.compile(r"\bre-?plan|重排|重新排|重新安排|重新制定|重做")
"""A shift plan asked again mid-shift: least disruption to what has started."""
DRAFT = re.compile(r"\b(draft|dry[- ]run|for review)\b|草稿|预排|试排")
"""A shift plan for review only: nothing published."""

_SENTENCE = re.compile(r"(?:[.;!?](?:\s|$)|[。；！？\n]+)")
_CLAUSE_EN = re.compile(r",?\s+(?:and then|then|after that|afterwards|and also|also|plus|and)\s+|,\s+")
_CLAUSE_ZH = re.compile(
    r"然后|接着|之后|随后|并且|同时|还要|[,，、]|并(?=把|将|开|派|扣|确|停|通|转)|再(?=把|将|开|派|扣|确|停|转)"
)
_IF_EN = re.compile(r"\b(?:if|when|in case)\b\s+(.+?)(?:,\s*then\s+|\s+then\s+|,\s*)(.+)$")
_IF_ZH = re.compile(
    r"(?:如果|假如|要是|若是|若|一旦)(.+?)(?:的话)?\s*[,，]?\s*(?:就|(?<!否)则|那么|那就|便)(.+)$"
)
_IF_ZH_COMMA = re.compile(r"(?:如果|假如|要是|若是|若|一旦)(.+?)(?:的话)?\s*[,，]\s*(.+)$")
_ELSE = re.compile(r"[,，]?\s*(?:\botherwise\b|\belse\b|否则|不然)[,，]?\s*")
_UNSUPPORTED = re.compile(
    r"\b(override|bypass|defeat|disable)\b.*\b(interlock|safety|trip)|(旁路|屏蔽|短接|解除).*(联锁|连锁|安全)"
)

_NEGATIONS: tuple[tuple[re.Pattern[str], Forbid], ...] = tuple(
    (re.compile(rx), Forbid(tool=tool, match=match, text=label))
    for rx, tool, match, label in (
        (r"\b(?:don'?t|do not|never|without|must not|mustn'?t|no need to)\s+(?:stop|stopping|shut(?:ting)? down|halt(?:ing)?)\b[^,.;]*",
         "set_machine_mode", {"mode": "stopped"}, "don't stop"),
        (r"(?:不要|别|不准|禁止|不许|不用|无需|不能)\s*(?:停线|停机|停掉|停止|停)[^,，。；]*",
         "set_machine_mode", {"mode": "stopped"}, "不要停线"),
        (r"\b(?:don'?t|do not|never|without|must not)\s+(?:release|releasing)\b[^,.;]*", "release_lot", {}, "don't release"),
        (r"(?:不要|别|不准|禁止|不许)\s*放行[^,，。；]*", "release_lot", {}, "不要放行"),
        (r"\b(?:don'?t|do not|never|without|must not)\s+(?:hold|holding)\b[^,.;]*", "hold_lot", {}, "don't hold"),
        (r"(?:不要|别|不准|禁止|不许)\s*扣留[^,，。；]*", "hold_lot", {}, "不要扣留"),
        (r"\b(?:don'?t|do not|never|without)\s+(?:change|changing|touch|touching)\s+the schedule\b[^,.;]*",
         "publish_schedule", {}, "don't change the schedule"),
        (r"(?:不要|别|不准)\s*(?:改|动|调整)\s*(?:排程|计划|排产)[^,，。；]*", "publish_schedule", {}, "不要改排程"),
        (r"\b(?:don'?t|do not|never|without|no need to|must not)\s+(?:publish|publishing)\b[^,.;]*",
         "publish_schedule", {}, "don't publish"),
        (r"(?:先不要|先不|不要|别|暂不|不用|无需|不)\s*发布[^,，。；]*", "publish_schedule", {}, "不要发布"),
    )
)  # fmt: skip
"""Negated actions: the words are cut out of the task and the tool is forbidden for its run."""


def early_refusal(task: str, brain: str) -> Refusal | None:
    """What every brain refuses before reading a task: empty text, a paste too long to be a task,
    a request to bypass an interlock (no model is asked about those)."""
    zh = is_chinese(task)

    def refuse(reason: Literal["empty", "too_long", "unsupported"], en: str, zh_text: str) -> Refusal:
        return Refusal(task=task[:200], lang="zh" if zh else "en", brain=brain, reason=reason,
                       message=zh_text if zh else en)  # fmt: skip

    if not task.strip():
        return refuse("empty", "The task is empty: tell me what to do, e.g. 'What is CNC-3 doing?'.",
                      "任务为空：请告诉我要做什么，例如“3号数控机床现在在干什么？”")  # fmt: skip
    if len(task) > MAX_TASK_CHARS:
        return refuse(
            "too_long",
            f"The task is {len(task):,} characters long; an operator task is at most {MAX_TASK_CHARS:,}. "
            "Nothing was done: say in a sentence or two what you need.",
            f"任务长度为{len(task):,}个字符，超过上限{MAX_TASK_CHARS:,}。未执行任何操作：请用一两句话说明需求。",
        )
    if unsupported(normalize(task)):
        return refuse("unsupported", "plantbrain does not override interlocks or safety functions; "
                      "that is done on site under the plant's permit procedure.",
                      "plantbrain不会旁路联锁或安全功能；这必须在现场按许可程序进行。")  # fmt: skip
    return None


def negations(text: str) -> tuple[list[Forbid], str]:
    """The actions the operator ruled out, and the text without those words."""
    found: list[Forbid] = []
    for rx, rule in _NEGATIONS:
        if rx.search(text):
            found.append(rule)
            text = rx.sub(" ", text)
    return found, re.sub(r"\s+", " ", text).strip(" ,，")


def unsupported(text: str) -> bool:
    return _UNSUPPORTED.search(text) is not None


def sentences(text: str) -> list[str]:
    return [s.strip(" ,，") for s in _SENTENCE.split(text) if s.strip(" ,，")]


@dataclass(frozen=True, slots=True)
class Conditional:
    prefix: str
    """Words before the condition ("for every machine on line 2")."""
    condition: str
    then: str
    otherwise: str


def conditional(sentence: str) -> Conditional | None:
    for rx in (_IF_EN, _IF_ZH, _IF_ZH_COMMA):
        m = rx.search(sentence)
        if m:
            body = m.group(2)
            parts = _ELSE.split(body, maxsplit=1)
            prefix = sentence[: m.start()].strip(" ,，")
            return Conditional(
                prefix, m.group(1).strip(), parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""
            )
    return None


def clauses(body: str) -> list[str]:
    parts = _CLAUSE_ZH.split(body) if re.search(r"[\u4e00-\u9fff]", body) else _CLAUSE_EN.split(body)
    return [p.strip() for p in parts if p and p.strip()]


def intent_of(text: str) -> str | None:
    for name, rx in INTENT_WORDS:
        if rx.search(text):
            return name
    return None


_OPS: tuple[tuple[re.Pattern[str], Op], ...] = tuple(
    (re.compile(rx), op)  # type: ignore[misc]
    for rx, op in (
        (r"(?:>=|at least|not below|不低于|不少于|大于等于)\s*(-?\d+(?:\.\d+)?)", "ge"),
        (r"(?:<=|at most|not above|不高于|不超过|小于等于)\s*(-?\d+(?:\.\d+)?)", "le"),
        (r"(?:>|above|over|greater than|more than|higher than|exceeds?|exceeding|超过|高于|大于|超出|超)\s*(-?\d+(?:\.\d+)?)", "gt"),
        (r"(?:<|below|under|less than|lower than|低于|小于|不足|少于)\s*(-?\d+(?:\.\d+)?)", "lt"),
    )
)  # fmt: skip
_UNIT = re.compile(r"\s*(°c|degc|degrees?|度|mm/s|bar|rpm|l/min|a\b|v\b|spm)")


def threshold(text: str) -> tuple[Op, float, str | None] | None:
    """A comparison and its number ("above 80 °C" -> ("gt", 80.0, "degC"))."""
    for rx, op in _OPS:
        m = rx.search(text)
        if m:
            u = _UNIT.match(text, m.end())
            unit = None
            if u:
                unit = {"°c": "degC", "degc": "degC", "degree": "degC", "degrees": "degC", "度": "degC"}.get(
                    u.group(1), u.group(1)
                )
            return op, float(m.group(1)), unit
    return None


_STATUS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rx), status)
    for rx, status in (
        (r"\b(is|are|goes|went) (down|broken|tripped|faulted)\b|停机|宕机|故障|坏了|跳闸", "down"),
        (r"\b(is|are) stopped\b|已停止|停着", "stopped"),
        (r"\b(is|are) running\b|在运行|正在运行|运行中", "running"),
        (r"\b(is|are) idle\b|空闲|闲着", "idle"),
        (r"\b(is|are) (under|in) maintenance\b|在维修|检修中", "maintenance"),
    )
)
_HAS_ALARMS = re.compile(r"\b(has|have|there (is|are)|shows?)\b.*\balarms?\b|有(报警|告警)")


def status_word(text: str) -> str | None:
    for rx, status in _STATUS:
        if rx.search(text):
            return status
    return None


def has_alarms(text: str) -> bool:
    return _HAS_ALARMS.search(text) is not None


_PRIORITY = re.compile(r"priority[- ]?(\d)|\bp(\d)\b|(\d)\s*级|优先级\s*(\d)")
_WO_TYPE = (
    (re.compile(r"inspect|点检|检查"), "INSP"),
    (re.compile(r"preventive|\bpm\b|保养|预防"), "PM"),
    (re.compile(r"emergency|urgent|紧急"), "EM"),
    (re.compile(r"predictive|\bpdm\b|预测"), "PdM"),
    (re.compile(r"corrective|repair|fix|\bcm\b|维修|修理|抢修"), "CM"),
)


_ARGUMENT_ONLY = re.compile(
    r"^\s*(?:(?:with|at|as)\s+)?(?:a\s+)?(?:priority[- ]?\d|p\d)\s*$"
    r"|^\s*(?:(?:for|from|in|over)\s+)?(?:the\s+)?(?:last|past|previous)\s+\d+(?:\.\d+)?\s*(?:hours?|hrs?|h|minutes?|mins?)\s*$"
    r"|^\s*(?:优先级\s*\d|\d\s*级)\s*$|^\s*(?:最近|过去|前)\s*\d+\s*(?:个)?(?:小时|分钟)(?:的|内)?\s*$"
)


def argument_only(clause: str) -> bool:
    """A clause that only adds an argument to the one before ("…on GRD-2, priority 2")."""
    return _ARGUMENT_ONLY.search(clause) is not None


def priority(text: str) -> int | None:
    m = _PRIORITY.search(text)
    if not m:
        return None
    n = int(next(g for g in m.groups() if g))
    return n if 1 <= n <= 5 else None


def wo_type(text: str) -> str | None:
    for rx, t in _WO_TYPE:
        if rx.search(text):
            return t
    return None


_WINDOW_SHIFT = re.compile(r"this shift|current shift|本班|这个班|当班")
_WINDOW = re.compile(
    r"(?:last|past|previous|最近|过去|前)\s*(\d+(?:\.\d+)?)\s*(hours?|hrs?|h\b|minutes?|mins?|小时|个小时|分钟|天|days?)"
)


def window_s(text: str) -> float | None:
    """A look-back window in seconds ("last 2 hours", "过去2小时"); None for "this shift" or none said."""
    if _WINDOW_SHIFT.search(text):
        return None
    m = _WINDOW.search(text)
    if not m:
        return None
    unit = m.group(2)
    scale = 60.0 if unit.startswith(("min", "分")) else 86400.0 if unit.startswith(("day", "天")) else 3600.0
    return float(m.group(1)) * scale


_TARGET = re.compile(r"\b(?:to|onto|into)\b|转到|转移到|挪到|移到|改到|调到|转给|到")
_SET_VALUE = re.compile(r"(?:\bto\b|设为|设定为|设置为|调为|改为|设成|调到)\s*(-?\d+(?:\.\d+)?)")


def target_at(text: str) -> int | None:
    """Where the destination of a move starts ("... to CNC-4")."""
    ends = [m.end() for m in _TARGET.finditer(text)]
    return ends[-1] if ends else None


def set_value(text: str) -> float | None:
    m = _SET_VALUE.search(text)
    return float(m.group(1)) if m else None


def duration(text: str) -> float | None:
    m = re.search(r"(?:for\s*)?(\d+(?:\.\d+)?)\s*(hours?|hrs?|h\b|minutes?|mins?|小时|个小时|分钟)", text)
    if not m:
        return None
    return float(m.group(1)) * (60.0 if m.group(2).startswith(("min", "分")) else 3600.0)


QUESTION = re.compile(
    r"\?|\bwhat\b|\bhow\b|\bshow\b|\btell\b|\bread\b|\bcurrent\b|多少|几度|怎么样|如何|吗|呢|读数|查看|看看"
)
