"""References in operator text, resolved against the plant's lexicon: assets, lines, loops, sensors.

Every finder works on normalised text (`agents._nl_text.normalize`) and returns spans, so the
grammar knows what came before "to" ("move CNC-3's jobs to CNC-4"). A reference that names
nothing in the plant, or more than one thing where one is needed, raises `Unclear` with the
candidates: the brain turns it into a question, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents._lexicon import KIND_TOKENS, SENSOR_WORDS, AssetEntry, PlantLexicon


class Unclear(Exception):
    """A reference the brain cannot resolve to exactly one thing."""

    def __init__(self, about: str, en: str, zh: str, candidates: list[str]) -> None:
        super().__init__(en)
        self.about, self.en, self.zh, self.candidates = about, en, zh, candidates


@dataclass(frozen=True, slots=True)
class Ref:
    kind: str
    """asset | line | pronoun | lot | job | technician"""
    value: str
    start: int
    end: int
    loop: bool = False
    """A line reference that means every machine on it ("all machines on line 2")."""


_GENERIC = {"machine", "centre", "center", "(transformer)", "line", "heat-treatment"}
_PRONOUN_EN = re.compile(r"\b(its|it|this machine|that machine|the same machine|this one|that one)\b")
_PRONOUN_ZH = re.compile(r"(它的|它|该设备|该机床|该机|这台设备|这台机床|这台|那台)")
_LOOP_EN = re.compile(r"\b(every|each|all)\b")
_LOOP_ZH = re.compile(r"(所有|全部|每台|每一台|各台|整条)")
_LINE_EN = re.compile(r"(?<![a-z0-9-])(?:line|l)\s?-?\s?(\d+)(?![\d.])")
_LINE_ZH = re.compile(r"(?:第\s*)?(\d+)\s*(?:号)?\s*(?:条)?\s*(?:产)?线|产线\s*(\d+)")
_OTHER_LINE = re.compile(r"\b(the )?other line\b|另一条线|另外一条线|另一条产线")
_LOT = re.compile(r"(?<![a-z0-9])lot\s?-?\s?(\d+)")
_JOB = re.compile(r"(?<![a-z0-9])job\s?-?\s?(\d+)")


def _aliases_en(a: AssetEntry) -> list[str]:
    words = {a.type.replace("_", " ")}
    name = re.sub(r"\(.*?\)", "", a.type_name.lower()).strip()
    words.add(name)
    last = name.split()[-1] if name else ""
    if last and last not in _GENERIC:
        words.add(last)
    return sorted(words, key=len, reverse=True)


def _aliases_zh(a: AssetEntry) -> list[str]:
    out = [a.type_name_zh]
    if a.type_name_zh.endswith("机床"):
        out.append("机床")
    return out


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        for i in range(s, e):
            chars[i] = " "
    return "".join(chars)


def find_refs(text: str, lex: PlantLexicon) -> list[Ref]:
    """Every asset, line, lot, job and technician reference in normalised text, in order.

    Raises `Unclear` for an asset or line the plant does not have, or an ambiguous one."""
    refs: list[Ref] = []
    spans: list[tuple[int, int]] = []

    def add(kind: str, value: str, s: int, e: int, loop: bool = False) -> None:
        if any(s < e2 and s2 < e for s2, e2 in spans):
            return
        refs.append(Ref(kind, value, s, e, loop))
        spans.append((s, e))

    # 1. ids: "CNC-3", "cnc 3", "p-201" (a one-letter prefix needs its hyphen or 3 digits: "p2" is a priority)
    for prefix in lex.prefixes():
        p = re.escape(prefix.lower())
        for m in re.finditer(rf"(?<![a-z0-9]){p}\s?[-_]?\s?(\d+)(?![\d])", text):
            if len(prefix) == 1 and "-" not in m.group(0) and len(m.group(1)) < 3:
                continue
            n = int(m.group(1))
            hit = next((a for a in lex.by_prefix(prefix) if a.number == n), None)
            if hit is None:
                same = [a.id for a in lex.by_prefix(prefix)]
                raise Unclear(
                    m.group(0),
                    f"There is no {prefix}-{n} in this plant. Did you mean one of: {', '.join(same)}?",
                    f"工厂里没有 {prefix}-{n}。您指的是哪一台：{'、'.join(same)}？",
                    same,
                )
            add("asset", hit.id, m.start(), m.end())
    # 2. type names with a number: "grinder 2", "3号数控机床", "数控机床3号", "4号机床"
    text_m = _mask(text, spans)
    for a in lex.assets:
        if a.number is None:
            continue
        for alias in _aliases_en(a):
            for m in re.finditer(rf"\b{re.escape(alias)}s?\s*(?:no\.?\s*|number\s*|#\s*)?(\d+)\b", text_m):
                if int(m.group(1)) == a.number:
                    add("asset", a.id, m.start(), m.end())
        for alias in _aliases_zh(a):
            for m in re.finditer(rf"(\d+)\s*号\s*{alias}|{alias}\s*(\d+)\s*号?", text_m):
                if int(m.group(1) or m.group(2)) == a.number:
                    add("asset", a.id, m.start(), m.end())
    text_m = _mask(text, spans)
    _unknown_numbered(text_m, lex)
    # 3. lines: "line 2", "L2", "2号线", "二线" (normalised to "2线"), "第2条产线"; loops over them
    for rx in (_LINE_EN, _LINE_ZH):
        for m in re.finditer(rx, text_m):
            n = int(next(g for g in m.groups() if g))
            line = next((ln for ln in lex.lines if ln.number == n), None)
            if line is None:
                ids = [ln.id for ln in lex.lines]
                raise Unclear(
                    m.group(0),
                    f"There is no line {n}. The lines are: {', '.join(f'{ln.id} ({ln.name})' for ln in lex.lines)}.",
                    f"没有{n}号线。现有产线：{'、'.join(f'{ln.id}（{ln.name_zh}）' for ln in lex.lines)}。",
                    ids,
                )
            add("line", line.id, m.start(), m.end(), loop=_is_loop(text_m))
    text_m = _mask(text, spans)
    # 4. a type on a line, or a type alone: "the grinder on line 2", "二线的磨床", "the cooling tower"
    _typed(text_m, lex, refs, add)
    # 5. pronouns, lots, jobs, technicians
    for rx in (_PRONOUN_EN, _PRONOUN_ZH):
        for m in re.finditer(rx, text_m):
            add("pronoun", m.group(0), m.start(), m.end())
    for m in _LOT.finditer(text_m):
        add("lot", f"LOT-{int(m.group(1)):04d}", m.start(), m.end())
    for m in _JOB.finditer(text_m):
        add("job", f"JOB-{int(m.group(1)):04d}", m.start(), m.end())
    for tid, name in lex.technicians:
        for m in re.finditer(
            rf"(?<![a-z0-9]){re.escape(tid.lower())}(?![\d])|{re.escape(name.lower())}", text_m
        ):
            add("technician", tid, m.start(), m.end())
    if _OTHER_LINE.search(text_m):
        m2 = _OTHER_LINE.search(text_m)
        assert m2 is not None
        add("other_line", "", m2.start(), m2.end())
    return sorted(refs, key=lambda r: r.start)


def _is_loop(text: str) -> bool:
    return bool(_LOOP_EN.search(text) or _LOOP_ZH.search(text))


def _unknown_numbered(text: str, lex: PlantLexicon) -> None:
    """A type name with a number the plant does not have ("CNC machining centre 12", "9号磨床")."""
    types: dict[str, list[AssetEntry]] = {}
    for a in lex.assets:
        types.setdefault(a.type, []).append(a)
    for members in types.values():
        a = members[0]
        ids = [x.id for x in members]
        pats = [rf"\b{re.escape(al)}s?\s*(?:no\.?\s*|number\s*|#\s*)?(\d+)\b" for al in _aliases_en(a)]
        pats += [rf"(\d+)\s*号\s*{al}" for al in _aliases_zh(a)]
        for pat in pats:
            m = re.search(pat, text)
            if m:
                raise Unclear(
                    m.group(0),
                    f"There is no {a.type_name} number {m.group(1)}. Did you mean one of: {', '.join(ids)}?",
                    f"没有{m.group(1)}号{a.type_name_zh}。您指的是哪一台：{'、'.join(ids)}？",
                    ids,
                )


def _typed(text: str, lex: PlantLexicon, refs: list[Ref], add: object) -> None:
    lines_named = [r.value for r in refs if r.kind == "line"]
    seen: set[str] = set()
    for a in lex.assets:
        if a.type in seen:
            continue
        members = [x for x in lex.assets if x.type == a.type]
        pats = [rf"\b(?:the|this|that)\s+{re.escape(al)}\b" for al in _aliases_en(a)]
        pats += [re.escape(al) for al in _aliases_zh(a) if al != "机床"]
        for pat in pats:
            m = re.search(pat, text)
            if m is None:
                continue
            seen.add(a.type)
            pool = members
            if lines_named:
                pool = [x for x in members if (x.line or x.area) in lines_named]
                if pool and not _is_loop(text):
                    refs[:] = [r for r in refs if r.kind != "line"]  # the line only said which one
            if len(pool) == 1:
                add("asset", pool[0].id, m.start(), m.end())  # type: ignore[operator]
            elif pool and not _is_loop(text):
                ids = [x.id for x in pool]
                raise Unclear(
                    m.group(0),
                    f"Which {a.type_name.lower()} do you mean: {', '.join(ids)}?",
                    f"您指的是哪一台{a.type_name_zh}：{'、'.join(ids)}？",
                    ids,
                )
            break


def sensor_tokens(text: str) -> tuple[frozenset[str], str]:
    """The tag-name tokens a sensor mention names ("主轴温度" -> {spindle, temp}), and the words."""
    tokens: set[str] = set()
    words: list[str] = []
    for word, token in sorted(SENSOR_WORDS.items(), key=lambda kv: -len(kv[0])):
        rx = re.escape(word) if not word.isascii() else rf"\b{re.escape(word)}\b"
        if re.search(rx, text):
            tokens.update(token.split())
            words.append(word)
            text = re.sub(rx, " ", text)
    return frozenset(tokens), " ".join(words)


def resolve_sensor(asset: AssetEntry, tokens: frozenset[str], words: str, lex: PlantLexicon) -> str:
    """The one tag of `asset` a mention names; `Unclear` listing the asset's tags otherwise."""
    kinds = tokens & KIND_TOKENS
    scored: list[tuple[int, str]] = []
    for name in asset.tags:
        have = lex.tag_tokens(name)
        if not kinds <= have:
            continue
        score = len(tokens & have)
        if score:
            scored.append((score, name))
    best = max((s for s, _ in scored), default=0)
    top = sorted(n for s, n in scored if s == best)
    if len(top) == 1 and best:
        return f"{asset.id}.{top[0]}"
    cands = [f"{asset.id}.{n}" for n in (top or asset.tags)]
    raise Unclear(
        words or "sensor",
        f"Which sensor of {asset.id} do you mean: {', '.join(cands)}?",
        f"您指的是{asset.id}的哪个传感器：{'、'.join(cands)}？",
        cands,
    )
