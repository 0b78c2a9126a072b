"""Gantt charts of a shift plan for the shift handover, as SVG or PNG.

    chart = GanttChart(title="Shift A", start_s=6 * 3600, end_s=14 * 3600, epoch_s=1_714_953_600,
                       rows=(GanttRow(label="CNC-3", group="Machines", bars=(
                           GanttBar(start_s=21_600, end_s=25_200, label="JOB-0007/2", kind="production"),)),),
                       marks=((28_800, "now"),))
    write_chart(chart, Path("handover.svg"))  # or "handover.png"

Both formats draw one layout (`_layout`), so their geometry agrees. The SVG keeps every character
(Chinese names included); the PNG uses Pillow's built-in font, which draws ASCII only, so there other
characters become their closest ASCII letter or '?'. The same chart gives byte-identical output.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from html import escape
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from PIL import Image, ImageDraw, ImageFont


@dataclass(frozen=True, kw_only=True, slots=True)
class GanttBar:
    """One planned or recorded interval on a row."""

    start_s: float
    """Start, plant seconds (since the plant's epoch)."""
    end_s: float
    """End, plant seconds. A bar with `end_s <= start_s` is drawn as a thin 2 px mark at `start_s`
    (an instant, e.g. an inspection); bars with a non-finite time are skipped."""
    label: str
    """Short text drawn inside the bar when it fits, e.g. "JOB-0007/2"."""
    kind: str
    """"production", "running", "maintenance", "downtime" or "inspection"; another kind gets a spare colour."""
    detail: str = ""
    """Longer text, shown as the bar's SVG tooltip (after its label, kind and times)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class GanttRow:
    """One machine or technician."""

    label: str
    """Drawn at the left, e.g. "CNC-3" or "T-01 Li Wei"; cut with an ellipsis when too long."""
    bars: tuple[GanttBar, ...]
    """Its bars; they may overlap (drawn in order, the later on top)."""
    group: str = ""
    """Section heading, e.g. "Machines"; rows are drawn in the order given, with a heading where the group changes."""


@dataclass(frozen=True, kw_only=True, slots=True)
class GanttChart:
    """A window of plant time (e.g. the shift) and the rows drawn in it."""

    title: str
    """Drawn at the top."""
    start_s: float
    """Start of the window drawn, plant seconds; bars are clipped to the window."""
    end_s: float
    """End of the window drawn, plant seconds; must be after `start_s`."""
    epoch_s: float
    """Unix time of plant t=0, for the axis labels (HH:MM, UTC)."""
    rows: tuple[GanttRow, ...]
    """The rows, top to bottom; none gives a chart that says "nothing planned"."""
    marks: tuple[tuple[float, str], ...] = ()
    """Vertical dashed lines (plant seconds, label), e.g. `((t_now, "now"),)`; those outside the window are not drawn."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start_s) and math.isfinite(self.end_s) and self.end_s > self.start_s):
            raise ValueError(
                f"GanttChart window {self.start_s}..{self.end_s} is empty; end_s must be a finite time after start_s."
            )


KIND_COLOURS = MappingProxyType(
    {
        "production": "#0072B2",
        "running": "#009E73",
        "maintenance": "#E69F00",
        "downtime": "#D55E00",
        "inspection": "#CC79A7",
    }
)
"""Bar colour per kind, from the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies)."""
SPARE_COLOURS = ("#56B4E9", "#F0E442", "#999999")
"""For other kinds, in the order they first appear among the bars drawn."""

WIDTH = 1200
ROW_H = 22
PAD = 10
PLOT_X0, PLOT_X1, PLOT_Y0 = 190, WIDTH - 20, 70
BACKGROUND, INK, MUTED, GRID, RULE, BAND = "#FFFFFF", "#222222", "#666666", "#DDDDDD", "#EEEEEE", "#F2F2F2"
_TICK_HOURS = (1, 2, 3, 4, 6, 12)
_PUNCTUATION = str.maketrans({"–": "-", "—": "-", "−": "-", "‘": "'", "’": "'", "“": '"', "”": '"'})
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, kw_only=True, slots=True)
class _Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    """A colour, or "none" for an outline only."""
    stroke: str = ""
    cls: str = ""
    kind: str = ""
    tip: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class _Line:
    x0: float
    y0: float
    x1: float
    y1: float
    colour: str
    dashed: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class _Text:
    x: float
    y: float
    """The text's vertical centre."""
    text: str
    colour: str = INK
    size: int = 11
    anchor: Literal["start", "middle"] = "start"
    fit_w: float = math.inf
    """Widest it may be; measured by each backend with its own font."""
    truncate: bool = False
    """Too wide: cut it with an ellipsis (otherwise it is not drawn)."""
    bold: bool = False


_Shape = _Rect | _Line | _Text


def _kind_colours(kinds: list[str]) -> dict[str, str]:
    spare = [k for k in kinds if k not in KIND_COLOURS]
    return {k: KIND_COLOURS.get(k) or SPARE_COLOURS[spare.index(k) % len(SPARE_COLOURS)] for k in kinds}


def _on(fill: str) -> str:
    """Text colour readable on `fill`."""
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#FFFFFF"


def _ticks(chart: GanttChart) -> tuple[list[float], str]:
    """Plant times of the axis ticks, on whole UTC hours, spaced at least ~50 px apart; and their format."""
    span = chart.end_s - chart.start_s
    need_h = 50 * span / (PLOT_X1 - PLOT_X0) / 3600
    step_h = next((h for h in _TICK_HOURS if h >= need_h), 24 * math.ceil(need_h / 24))
    step = step_h * 3600
    k = math.ceil((chart.epoch_s + chart.start_s) / step)
    ticks = []
    while (t := k * step - chart.epoch_s) <= chart.end_s:
        ticks.append(t)
        k += 1
    return ticks, "%m-%d" if step_h >= 24 else "%H:%M"


def _clock(epoch_s: float, t: float, fmt: str = "%H:%M") -> str:
    return datetime.fromtimestamp(epoch_s + t, tz=UTC).strftime(fmt)


def _place(bar: GanttBar, lo: float, hi: float, x_of: Callable[[float], float]) -> tuple[float, float] | None:
    """The bar's left and right edge, px, clipped to the window; None if it is not drawn."""
    if not (math.isfinite(bar.start_s) and math.isfinite(bar.end_s)):
        return None
    if bar.end_s <= bar.start_s:  # an instant: a thin mark
        if not lo <= bar.start_s <= hi:
            return None
        x0 = min(max(x_of(bar.start_s) - 1, PLOT_X0), PLOT_X1 - 2)
        return x0, x0 + 2
    start, end = max(bar.start_s, lo), min(bar.end_s, hi)
    if end <= start:
        return None
    x0 = min(x_of(start), PLOT_X1 - 1)
    return x0, min(max(x_of(end), x0 + 1), PLOT_X1)  # at least 1 px wide, so it shows


def _layout(chart: GanttChart) -> tuple[int, int, list[_Shape]]:
    """The chart as (width, height, shapes), back to front."""
    lo, hi = chart.start_s, chart.end_s

    def x_of(t: float) -> float:
        return PLOT_X0 + (t - lo) / (hi - lo) * (PLOT_X1 - PLOT_X0)

    lines: list[str | GanttRow] = []  # a group heading, or a row
    for i, row in enumerate(chart.rows):
        if row.group and (i == 0 or row.group != chart.rows[i - 1].group):
            lines.append(row.group)
        lines.append(row)
    placed: list[tuple[float, float, float, GanttBar]] = []  # (row top, left, right, bar)
    for n, line in enumerate(lines):
        for bar in () if isinstance(line, str) else line.bars:
            if edges := _place(bar, lo, hi, x_of):
                placed.append((PLOT_Y0 + n * ROW_H, *edges, bar))
    kinds = list(dict.fromkeys(bar.kind for *_, bar in placed))
    colours = _kind_colours(kinds)
    plot_y1 = PLOT_Y0 + max(len(lines), 1) * ROW_H
    marks = [(t, text) for t, text in chart.marks if math.isfinite(t) and lo <= t <= hi]
    height = plot_y1 + PAD + (18 if marks else 0)

    shapes: list[_Shape] = [_Rect(x=0, y=0, w=WIDTH, h=height, fill=BACKGROUND, cls="background")]
    shapes.append(
        _Text(x=PAD, y=18, text=chart.title, size=15, bold=True, fit_w=WIDTH - 2 * PAD, truncate=True)
    )
    lx = float(PAD)
    for kind in [k for k in KIND_COLOURS if k in kinds] + [k for k in kinds if k not in KIND_COLOURS]:
        shapes.append(_Rect(x=lx, y=36, w=12, h=12, fill=colours[kind], cls="legend", kind=kind))
        shapes.append(_Text(x=lx + 17, y=42, text=kind))
        lx += 17 + _estimate(kind, 11) + 18
    ticks, fmt = _ticks(chart)
    for t in ticks:
        x = x_of(t)
        shapes.append(_Line(x0=x, y0=PLOT_Y0 - 4, x1=x, y1=plot_y1, colour=GRID))
        shapes.append(_Text(x=x, y=PLOT_Y0 - 12, text=_clock(chart.epoch_s, t, fmt), size=10,
                            colour=MUTED, anchor="middle"))  # fmt: skip
    for n, line in enumerate(lines):
        y = PLOT_Y0 + n * ROW_H
        if n:
            shapes.append(_Line(x0=PAD, y0=y, x1=PLOT_X1, y1=y, colour=RULE))
        if isinstance(line, str):
            shapes.append(_Rect(x=0, y=y, w=WIDTH, h=ROW_H, fill=BAND, cls="heading"))
            shapes.append(_Text(x=PAD, y=y + ROW_H / 2, text=line, bold=True, fit_w=WIDTH - 2 * PAD))
        else:
            shapes.append(
                _Text(x=PAD, y=y + ROW_H / 2, text=line.label, fit_w=PLOT_X0 - 2 * PAD, truncate=True)
            )
    shapes.append(_Rect(x=PLOT_X0, y=PLOT_Y0, w=PLOT_X1 - PLOT_X0, h=plot_y1 - PLOT_Y0, fill="none",
                        stroke=GRID, cls="plot"))  # fmt: skip
    for top, x0, x1, bar in placed:
        span = f"{_clock(chart.epoch_s, bar.start_s)}–{_clock(chart.epoch_s, bar.end_s)}"
        tip = f"{bar.label} ({bar.kind}) {span}" + (f"\n{bar.detail}" if bar.detail else "")
        fill = colours[bar.kind]
        shapes.append(
            _Rect(x=x0, y=top + 3, w=x1 - x0, h=ROW_H - 6, fill=fill, cls="bar", kind=bar.kind, tip=tip)
        )
        if bar.label:
            shapes.append(
                _Text(
                    x=x0 + 4, y=top + ROW_H / 2, text=bar.label, size=10, colour=_on(fill), fit_w=x1 - x0 - 8
                )
            )
    if not lines:
        mid = (PLOT_X0 + PLOT_X1) / 2
        shapes.append(_Rect(x=mid - 60, y=PLOT_Y0 + 1, w=120, h=ROW_H - 2, fill=BACKGROUND))
        shapes.append(_Text(x=mid, y=PLOT_Y0 + ROW_H / 2, text="nothing planned",
                            colour=MUTED, anchor="middle"))  # fmt: skip
    for t, text in marks:
        x = x_of(t)
        shapes.append(_Line(x0=x, y0=PLOT_Y0 - 4, x1=x, y1=plot_y1 + 4, colour=INK, dashed=True))
        shapes.append(_Text(x=x, y=plot_y1 + 14, text=text, size=10, anchor="middle"))
    return WIDTH, height, shapes


def _estimate(text: str, size: int) -> float:
    """Width of `text` in a sans-serif font, px: wide (CJK) characters one em, others 0.6 em."""
    return sum(size * (1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6) for c in text)


def _fit(text: _Text, measure: Callable[[str], float], ellipsis: str) -> str:
    s = text.text
    if measure(s) <= text.fit_w:
        return s
    if not text.truncate:
        return ""
    s = s[: int(text.fit_w)]  # no character is narrower than 1 px
    while s and measure(s + ellipsis) > text.fit_w:
        s = s[:-1]
    return s + ellipsis if s else ""


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _xml(s: str) -> str:
    return escape(_XML_INVALID.sub("?", s), quote=True)


def render_svg(chart: GanttChart) -> str:
    """The chart as an SVG document (UTF-8 XML). Bars are `<rect class="bar" data-kind="…">` with a
    `<title>` tooltip; the plot area is `<rect class="plot">`."""
    width, height, shapes = _layout(chart)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
    ]
    for s in shapes:
        if isinstance(s, _Rect):
            attrs = (
                f'x="{_num(s.x)}" y="{_num(s.y)}" width="{_num(s.w)}" height="{_num(s.h)}" fill="{s.fill}"'
            )
            attrs += f' stroke="{s.stroke}"' if s.stroke else ""
            attrs += f' class="{s.cls}"' if s.cls else ""
            attrs += f' data-kind="{_xml(s.kind)}"' if s.kind else ""
            out.append(f"<rect {attrs}><title>{_xml(s.tip)}</title></rect>" if s.tip else f"<rect {attrs}/>")
        elif isinstance(s, _Line):
            dash = ' stroke-dasharray="4 3"' if s.dashed else ""
            out.append(
                f'<line x1="{_num(s.x0)}" y1="{_num(s.y0)}" x2="{_num(s.x1)}" y2="{_num(s.y1)}" '
                f'stroke="{s.colour}"{dash}/>'
            )
        elif text := _fit(s, partial(_estimate, size=s.size), "…"):
            weight = ' font-weight="bold"' if s.bold else ""
            out.append(
                f'<text x="{_num(s.x)}" y="{_num(s.y + 0.35 * s.size)}" font-size="{s.size}" fill="{s.colour}" '
                f'text-anchor="{s.anchor}"{weight}>{_xml(text)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _ascii(s: str) -> str:
    """What the built-in PNG font can draw: accents dropped ("é" → "e"), dashes and quotes made ASCII,
    other characters '?'."""
    out = []
    for c in s.translate(_PUNCTUATION):
        if c.isspace():
            out.append(" ")
        else:
            plain = "".join(d for d in unicodedata.normalize("NFKD", c) if " " <= d <= "~")
            out.append(plain or "?")
    return "".join(out)


def render_png(chart: GanttChart) -> bytes:
    """The chart as a PNG image (RGB, no metadata), drawn with Pillow's built-in font; text is drawn as
    ASCII (see `_ascii`), so a Chinese name shows as '?' here — use the SVG to keep it."""
    width, height, shapes = _layout(chart)
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    base = ImageFont.load_default()
    fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}
    for s in shapes:
        if isinstance(s, _Rect):
            # the pixels whose centres lie in the rectangle, at least one
            x0, y0 = math.ceil(s.x - 0.5), math.ceil(s.y - 0.5)
            box = (x0, y0, max(x0, math.ceil(s.x + s.w - 0.5) - 1), max(y0, math.ceil(s.y + s.h - 0.5) - 1))
            fill = None if s.fill == "none" else s.fill
            draw.rectangle(box, fill=fill, outline=s.stroke or None)
        elif isinstance(s, _Line):
            x0, y0, x1, y1 = (round(v) for v in (s.x0, s.y0, s.x1, s.y1))
            n = max(abs(x1 - x0), abs(y1 - y0), 1)
            for a, b in [(a, min(a + 3, n)) for a in range(0, n + 1, 7)] if s.dashed else [(0, n)]:
                draw.line(
                    [(x0 + (x1 - x0) * a // n, y0 + (y1 - y0) * a // n),
                     (x0 + (x1 - x0) * b // n, y0 + (y1 - y0) * b // n)],
                    fill=s.colour,
                )  # fmt: skip
        else:
            if s.size not in fonts:
                fonts[s.size] = (
                    ImageFont.load_default(s.size) if isinstance(base, ImageFont.FreeTypeFont) else base
                )
            font = fonts[s.size]
            text = _fit(replace(s, text=_ascii(s.text)), font.getlength, "...")
            if not text:
                continue
            left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
            shift = (right - left) / 2 if s.anchor == "middle" else 0.0
            xy = (round(s.x - left - shift), round(s.y - (top + bottom) / 2))
            draw.text(xy, text, fill=s.colour, font=font)
            if s.bold:  # the built-in font has no bold face
                draw.text((xy[0] + 1, xy[1]), text, fill=s.colour, font=font)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def write_chart(chart: GanttChart, path: Path) -> str:
    """Write the chart to `path` as SVG or PNG, chosen by its suffix; return the format written ("svg" or "png")."""
    fmt = path.suffix.lower().removeprefix(".")
    if fmt == "svg":
        path.write_bytes(render_svg(chart).encode("utf-8"))
    elif fmt == "png":
        path.write_bytes(render_png(chart))
    else:
        raise ValueError(
            f"Cannot write a Gantt chart to {path.name!r}: unknown format; use a .svg or .png file name."
        )
    return fmt
