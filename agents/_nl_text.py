"""Text normalisation for the rules brain: width, case, Chinese and English number words, durations.

normalize("如果3号数控机床主轴温度超过八十度")  -> "如果3号数控机床主轴温度超过80度"
normalize("Line Two, last two hours")           -> "line 2, last 2 hours"
duration_s("2小时") -> 7200.0; duration_s("half an hour") -> 1800.0
"""

from __future__ import annotations

import re
import unicodedata

_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_NUM = re.compile(r"[零〇一二两三四五六七八九十百千]+")
# Words where a Chinese numeral is not a number ("一下" = "a moment", "统一", "一起", "唯一").
_ZH_KEEP = ("一下", "一起", "统一", "唯一", "一直", "一旦", "一些", "一点", "万一", "一般", "进一步", "一切")
_EN_NUM = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "forty-five": 45, "sixty": 60, "ninety": 90,
}  # fmt: skip
_EN_NUM_RE = re.compile(r"\b(" + "|".join(sorted(_EN_NUM, key=len, reverse=True)) + r")\b")


def zh_number(s: str) -> int | None:
    """A Chinese numeral as an int ("二十五" -> 25, "十" -> 10, "两" -> 2); None if it is not one."""
    if not s or any(c not in _ZH_DIGITS and c not in _ZH_UNITS for c in s):
        return None
    total, digit = 0, None
    for c in s:
        if c in _ZH_DIGITS:
            # "三八" style digit strings are read digit by digit
            digit = _ZH_DIGITS[c] if digit is None else digit * 10 + _ZH_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _ZH_UNITS[c]
            digit = None
    return total + (digit or 0)


def _zh_numbers(text: str) -> str:
    protected: dict[str, str] = {}
    for i, word in enumerate(_ZH_KEEP):
        if word in text:
            token = f"\x00{i}\x00"
            protected[token] = word
            text = text.replace(word, token)

    def sub(m: re.Match[str]) -> str:
        n = zh_number(m.group(0))
        return m.group(0) if n is None else str(n)

    text = _ZH_NUM.sub(sub, text)
    for token, word in protected.items():
        text = text.replace(token, word)
    return text


def normalize(text: str) -> str:
    """NFKC (full-width to ASCII, '℃' to '°C'), lower case, number words as digits, one space."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = t.replace("半小时", "30分钟").replace("半个小时", "30分钟")
    t = re.sub(r"\bhalf an hour\b", "30 minutes", t)
    t = re.sub(r"\b(an|a) hour\b", "1 hour", t)
    t = _EN_NUM_RE.sub(lambda m: str(_EN_NUM[m.group(1)]), t)
    t = _zh_numbers(t)
    return re.sub(r"\s+", " ", t).strip()


_UNITS_S = (
    (r"(?:hours?|hrs?|h\b|小时|个小时|钟头)", 3600.0),
    (r"(?:minutes?|mins?|m\b|分钟|分)", 60.0),
    (r"(?:seconds?|secs?|s\b|秒钟|秒)", 1.0),
    (r"(?:days?|天)", 86400.0),
)
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(" + "|".join(u for u, _ in _UNITS_S) + ")")


def duration_s(text: str) -> float | None:
    """The first duration in normalised text, in seconds ("2 hours" -> 7200, "30分钟" -> 1800)."""
    m = DURATION.search(text)
    if m is None:
        return None
    for pattern, scale in _UNITS_S:
        if re.fullmatch(pattern, m.group(2)):
            return float(m.group(1)) * scale
    return None


def is_chinese(text: str) -> bool:
    """True when the text has CJK characters (the operator wrote Chinese)."""
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def meaningful(text: str) -> bool:
    """Whether the text has anything a task could be made of: a CJK character or a word of 2+ letters."""
    return is_chinese(text) or re.search(r"[a-z]{2,}", text.lower()) is not None
