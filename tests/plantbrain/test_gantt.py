"""The shift-handover Gantt chart: what is drawn where, in SVG and PNG, escaped, clipped, and the same
bytes every time."""

from __future__ import annotations

import io
import math
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image, ImageColor

from plantbrain._gantt import (
    BACKGROUND,
    KIND_COLOURS,
    WIDTH,
    GanttBar,
    GanttChart,
    GanttRow,
    _ascii,
    render_png,
    render_svg,
    write_chart,
)

H = 3600.0
EPOCH = 1_714_953_600.0  # 2024-05-06 00:00 UTC
SVG = "{http://www.w3.org/2000/svg}"


def bar(
    start_h: float, end_h: float, kind: str = "production", label: str = "", detail: str = ""
) -> GanttBar:
    return GanttBar(start_s=start_h * H, end_s=end_h * H, label=label, kind=kind, detail=detail)


def shift(*rows: GanttRow, title: str = "Shift A", marks: tuple[tuple[float, str], ...] = ()) -> GanttChart:
    """The 06:00-14:00 shift."""
    return GanttChart(title=title, start_s=6 * H, end_s=14 * H, epoch_s=EPOCH, rows=rows, marks=marks)


def handover() -> GanttChart:
    return shift(
        GanttRow(
            label="CNC-3", group="Machines", bars=(bar(7, 10, label="JOB-0007/2"), bar(11, 12, "maintenance"))
        ),
        GanttRow(label="Press-1", group="Machines", bars=(bar(5, 6.5, "downtime"), bar(13, 15, "running"))),
        GanttRow(label="T-01 Li Wei", group="Technicians", bars=(bar(11, 12, "maintenance", "CNC-3 PM"),)),
        GanttRow(label="T-02 王芳", group="Technicians", bars=(bar(9, 9, "inspection", "检查"),)),
        marks=((9.5 * H, "now"),),
    )


def svg_root(chart: GanttChart) -> ET.Element:
    return ET.fromstring(render_svg(chart))


def rects(root: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == cls]


def box(rect: ET.Element) -> tuple[float, float, float, float]:
    return tuple(float(rect.get(a, "nan")) for a in ("x", "y", "width", "height"))  # type: ignore[return-value]


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_svg_draws_one_bar_per_visible_bar() -> None:
    row = GanttRow(
        label="CNC-3",
        bars=(
            bar(7, 8),  # inside
            bar(4, 7),  # clipped at the start
            bar(13, 16),  # clipped at the end
            bar(5, 15, "running"),  # clipped both sides
            bar(2, 5),  # wholly before
            bar(15, 16),  # wholly after
            bar(4, 6),  # ends where the window starts
            bar(10, 10, "inspection"),  # an instant inside: a thin mark
            bar(10, 9, "inspection"),  # reversed: a thin mark at its start
            bar(15, 15, "inspection"),  # an instant outside
            GanttBar(start_s=math.nan, end_s=8 * H, label="", kind="downtime"),
        ),
    )
    drawn = rects(svg_root(shift(row)), "bar")
    assert [r.get("data-kind") for r in drawn] == ["production"] * 3 + ["running"] + ["inspection"] * 2
    assert [box(r)[2] for r in drawn[-2:]] == [2.0, 2.0]


def test_bars_are_placed_by_time_and_clipped_to_the_plot_area() -> None:
    root = svg_root(shift(GanttRow(label="CNC-3", bars=(bar(7, 8), bar(4, 7), bar(13, 16), bar(5, 15)))))
    (plot,) = rects(root, "plot")
    px, py, pw, ph = box(plot)
    inside, before, after, both = (box(r) for r in rects(root, "bar"))
    assert (inside[0], inside[2]) == pytest.approx((px + pw / 8, pw / 8))  # 07:00-08:00 of 06:00-14:00
    assert (before[0], before[0] + before[2]) == pytest.approx((px, px + pw / 8))
    assert (after[0], after[0] + after[2]) == pytest.approx((px + pw * 7 / 8, px + pw))
    assert (both[0], both[2]) == pytest.approx((px, pw))
    for x, y, w, h in (inside, before, after, both):
        assert px <= x < x + w <= px + pw + 1e-9 and py <= y < y + h <= py + ph


def test_text_is_escaped_and_chinese_is_kept() -> None:
    nasty = "A&B <M-3> \"q\" 's'"
    chart = shift(
        GanttRow(label=nasty, bars=(bar(7, 10, label="x<y&z", detail='tip "<&>"'),)),
        GanttRow(label="T-02 王芳", bars=(bar(9, 11, "maintenance", "换刀 CNC-3"),)),
        GanttRow(label="bell\x07 here", bars=()),
        title=f"Handover {nasty}",
    )
    svg = render_svg(chart)
    assert "<M-3>" not in svg and "A&B" not in svg
    root = ET.fromstring(svg.encode("utf-8"))
    shown = texts(root)
    assert f"Handover {nasty}" in shown and nasty in shown and "x<y&z" in shown
    assert "T-02 王芳" in shown and "换刀 CNC-3" in shown
    assert "bell? here" in shown
    (tip,) = (t.text for t in root.iter(f"{SVG}title") if 'tip "<&>"' in (t.text or ""))
    assert tip == 'x<y&z (production) 07:00–10:00\ntip "<&>"'


def test_axis_is_hourly_in_utc_from_the_epoch() -> None:
    assert [t for t in texts(svg_root(handover())) if ":" in t] == [f"{h:02d}:00" for h in range(6, 15)]
    half_past = GanttChart(title="t", start_s=6 * H, end_s=9 * H, epoch_s=EPOCH + 1800, rows=())
    assert [t for t in texts(svg_root(half_past)) if ":" in t] == ["07:00", "08:00", "09:00"]


def test_legend_lists_the_kinds_drawn_once_each_in_their_colours() -> None:
    chart = shift(
        GanttRow(label="A", bars=(bar(7, 8, "running"), bar(8, 9, "production"), bar(20, 21, "downtime"))),
        GanttRow(label="B", bars=(bar(7, 8, "calibration"), bar(9, 10, "running"))),
    )
    root = svg_root(chart)
    legend = [(r.get("data-kind"), r.get("fill")) for r in rects(root, "legend")]
    assert legend == [("production", "#0072B2"), ("running", "#009E73"), ("calibration", "#56B4E9")]
    assert {(r.get("data-kind"), r.get("fill")) for r in rects(root, "bar")} == set(legend)


def test_labels_drawn_in_the_bar_only_when_they_fit_and_long_row_labels_cut() -> None:
    long_name = "Press-1 with a name far too long for the label column"
    chart = shift(
        GanttRow(label=long_name, bars=(bar(7, 9, label="JOB-0007/2"), bar(10, 10.05, label="JOB-0008/1")))
    )
    shown = texts(svg_root(chart))
    assert "JOB-0007/2" in shown and "JOB-0008/1" not in shown
    (cut,) = (t for t in shown if t.startswith("Press-1"))
    assert cut.endswith("…") and long_name.startswith(cut[:-1]) and len(cut) < len(long_name)


def test_marks_inside_the_window_are_dashed_lines() -> None:
    root = svg_root(shift(GanttRow(label="A", bars=()), marks=((9.5 * H, "now"), (20 * H, "later"))))
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    (plot,) = rects(root, "plot")
    px, _, pw, _ = box(plot)
    assert [float(line.get("x1", "nan")) for line in dashed] == pytest.approx([px + pw * 3.5 / 8], abs=0.01)
    assert "now" in texts(root) and "later" not in texts(root)


def png_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def test_png_shows_the_bars_in_their_kind_colours_on_the_background() -> None:
    chart = handover()
    data = render_png(chart)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = png_image(data)
    svg = svg_root(chart)
    assert image.size == (WIDTH, int(svg.get("height", "0"))) and WIDTH == 1200
    production = next(r for r in rects(svg, "bar") if r.get("data-kind") == "production")
    x, y, w, h = box(production)
    assert image.getpixel((round(x + w / 2), round(y + h / 2))) == ImageColor.getrgb(
        KIND_COLOURS["production"]
    )
    for r in rects(svg, "bar"):  # the right end of each bar, clear of its label
        x, y, w, h = box(r)
        colour = ImageColor.getrgb(KIND_COLOURS[r.get("data-kind", "")])
        assert image.getpixel((math.ceil(x + w - 0.5) - 1, round(y + h / 2))) == colour
    # CNC-3's row at 10:30, between its bars and between grid lines
    assert image.getpixel((round(x_at(svg, 10.5)), round(y_of_row(svg, 0)))) == ImageColor.getrgb(BACKGROUND)


def x_at(svg: ET.Element, hour: float) -> float:
    px, _, pw, _ = box(rects(svg, "plot")[0])
    return px + pw * (hour - 6) / 8


def y_of_row(svg: ET.Element, n: int) -> float:
    _, y, _, h = box(rects(svg, "bar")[n])
    return y + h / 2


def test_png_draws_labels_the_builtin_font_cannot_as_ascii() -> None:
    chart = shift(
        GanttRow(label="T-02 王芳 é — 🙂", bars=(bar(7, 9, "maintenance", "检查 Ø\x00"),)),
        title="交接班 Schicht Müller",
    )
    assert png_image(render_png(chart)).size[0] == WIDTH
    assert _ascii("T-02 王芳 é — “ok”…\t") == 'T-02 ?? e - "ok"... '


def png_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def test_same_chart_gives_the_same_bytes() -> None:
    assert render_svg(handover()) == render_svg(handover())
    first, second = render_png(handover()), render_png(handover())
    assert first == second
    assert set(png_chunks(first)) == {b"IHDR", b"IDAT", b"IEND"}  # no time or text metadata


def test_write_chart_by_suffix(tmp_path: Path) -> None:
    assert write_chart(handover(), tmp_path / "handover.svg") == "svg"
    assert (tmp_path / "handover.svg").read_bytes() == render_svg(handover()).encode("utf-8")
    assert write_chart(handover(), tmp_path / "handover.PNG") == "png"
    assert (tmp_path / "handover.PNG").read_bytes() == render_png(handover())
    with pytest.raises(ValueError, match=r"use a \.svg or \.png file name"):
        write_chart(handover(), tmp_path / "handover.jpg")
    assert not (tmp_path / "handover.jpg").exists()


def test_empty_chart_says_nothing_planned() -> None:
    empty = GanttChart(title="Night shift", start_s=22 * H, end_s=30 * H, epoch_s=EPOCH, rows=())
    root = svg_root(empty)
    assert "Night shift" in texts(root) and "nothing planned" in texts(root)
    assert rects(root, "bar") == [] and rects(root, "legend") == []
    image = png_image(render_png(empty))
    assert image.size == (WIDTH, int(root.get("height", "0")))
    assert len(image.getcolors(maxcolors=1 << 16) or []) > 2  # something drawn, not a blank canvas


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="end_s must be a finite time after start_s"):
        GanttChart(title="t", start_s=8 * H, end_s=8 * H, epoch_s=EPOCH, rows=())
