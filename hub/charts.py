"""Charts as server-rendered SVG: the geometry here, the drawing in ``templates/_charts.html``.

Pages run under a strict CSP (no inline script or style), must work without JavaScript
and must read without colour: so a chart is plain SVG with presentation attributes, each
series told apart by a fill pattern or a dash and marker shape as well as by colour,
values written on the marks, and the same figures as a table beside it. This module
only computes positions in a fixed view box; the template formats every number in the
reader's locale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

WIDTH = 640.0
HEIGHT = 260.0
LEFT, RIGHT, TOP, BOTTOM = 56.0, 16.0, 16.0, 44.0
# How many series one chart tells apart (patterns, dashes and marker shapes in the template).
STYLES = 4
# A homepage widget's card is a third of the page or a phone's width: a compact chart has a
# narrower view box, so its text is drawn near its real size instead of shrunk by half.
COMPACT_WIDTH = 320.0


@dataclass(frozen=True)
class Series:
    """One named row of values, one per label (``None``: no figure for that label)."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Tick:
    value: float
    y: float


@dataclass(frozen=True)
class Label:
    text: str
    x: float


@dataclass(frozen=True)
class Bar:
    series: int
    label: int
    x: float
    y: float
    width: float
    height: float
    value: float


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float


@dataclass(frozen=True)
class Line:
    series: int
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        return " ".join(
            f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points)
        )


@dataclass(frozen=True)
class Row:
    """One bar of a horizontal bar chart (a funnel, a ranking): label, length, value."""

    label: str
    y: float
    width: float
    value: float
    note: str = ""


@dataclass(frozen=True)
class Target:
    """One bar of a progress chart: how far ``value`` has come towards ``target``.

    ``share`` is ``value / target`` (0 without a target) and may pass 1; ``elapsed`` the
    share of the period gone, when the chart marks pace. ``currency`` is the unit's code
    when the figures are money, else empty (counts, points)."""

    label: str
    y: float
    width: float
    target_x: float
    pace_x: float | None
    value: Decimal
    target: Decimal
    share: Decimal
    elapsed: Decimal | None
    currency: str = ""


@dataclass(frozen=True)
class TrendPoint:
    """One point of a trend: the figure reached by the end of ``day``, and where the straight
    pace line from nothing at the period's start to the target at its end stands that day."""

    day: date
    x: float
    y: float
    value: Decimal
    pace: Decimal
    share: Decimal  # value / target, past 1 when over-achieved (0 without a target)


@dataclass(frozen=True)
class DayMark:
    """A date written under a trend's axis."""

    day: date
    x: float


@dataclass(frozen=True)
class Trend:
    """What a trend chart draws beyond the generic axes: its points, the pace line and the
    target line, the marked dates, and the money's currency ("" for counts and points)."""

    points: tuple[TrendPoint, ...]
    pace_path: str
    target_y: float
    target: Decimal
    days: tuple[DayMark, ...]
    start: date
    end: date
    currency: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart's geometry in a ``width`` × ``height`` view box, and what it shows."""

    kind: str  # "bar", "line" or "rows"
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    ticks: tuple[Tick, ...] = ()
    x_labels: tuple[Label, ...] = ()
    bars: tuple[Bar, ...] = ()
    lines: tuple[Line, ...] = ()
    rows: tuple[Row, ...] = ()
    targets: tuple[Target, ...] = ()
    width: float = WIDTH
    height: float = HEIGHT
    unit: str = ""
    currency: str = ""  # every value is money in this currency (the template formats it so)
    label_width: float = 170.0  # rows: room for the label left of each bar
    label_chars: int = 26  # rows and targets: a label is cut after this many characters
    stacked: bool = False  # rows: each label above its bar, so the bar has the full width
    trend: Trend | None = None  # kind "trend" only

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM

    @property
    def left(self) -> float:
        return LEFT

    @property
    def right(self) -> float:
        return self.width - RIGHT

    @property
    def empty(self) -> bool:
        return all(value is None for s in self.series for value in s.values)


def nice_ticks(top: float, count: int = 4, whole: bool = False) -> list[float]:
    """Round tick values from 0 to at least ``top`` (1, 2, 2.5 or 5 times a power of ten);
    ``whole`` for counts: whole-number steps only, so no axis reads "0.5 partners"."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    candidates = [m * power for m in (1, 2, 2.5, 5, 10)]
    if whole:
        candidates = [c for c in candidates if c >= 1 and float(c).is_integer()]
    step = next(c for c in candidates if c >= raw)
    steps = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def _scale(series: Sequence[Series], height: float) -> tuple[list[float], float]:
    values = [v for s in series for v in s.values if v is not None]
    top = max(values, default=0.0)
    ticks = nice_ticks(top, whole=all(float(v).is_integer() for v in values))
    return ticks, (height - TOP - BOTTOM) / (ticks[-1] or 1.0)


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    if not series or len(series) > STYLES:
        raise ValueError(f"a chart shows 1 to {STYLES} series, not {len(series)}")
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)}")
        if any(v is not None and v < 0 for v in s.values):
            raise ValueError(f"series {s.name!r}: these charts start at zero")


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = ""
) -> Chart:
    """Grouped vertical bars: one group per label, one bar per series."""
    _check(labels, series)
    ticks, per_unit = _scale(series, HEIGHT)
    baseline = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar_width = slot * 0.8 / len(series)
    bars = [
        Bar(
            i,
            j,
            LEFT + j * slot + slot * 0.1 + i * bar_width,
            baseline - value * per_unit,
            bar_width,
            value * per_unit,
            value,
        )
        for i, s in enumerate(series)
        for j, value in enumerate(s.values)
        if value is not None
    ]
    return Chart(
        "bar",
        title,
        tuple(labels),
        tuple(series),
        ticks=tuple(Tick(t, baseline - t * per_unit) for t in ticks),
        x_labels=tuple(Label(text, LEFT + (j + 0.5) * slot) for j, text in enumerate(labels)),
        bars=tuple(bars),
        unit=unit,
    )


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = ""
) -> Chart:
    """Lines over ordered labels (months, quarters); a gap where a value is ``None``."""
    _check(labels, series)
    ticks, per_unit = _scale(series, HEIGHT)
    baseline = HEIGHT - BOTTOM
    span = WIDTH - LEFT - RIGHT
    step = span / max(len(labels) - 1, 1)
    lines = []
    for i, s in enumerate(series):
        run: list[Point] = []
        for j, value in enumerate(s.values):
            if value is None:
                if run:
                    lines.append(Line(i, tuple(run)))
                run = []
                continue
            run.append(Point(LEFT + j * step, baseline - value * per_unit, value))
        if run:
            lines.append(Line(i, tuple(run)))
    return Chart(
        "line",
        title,
        tuple(labels),
        tuple(series),
        ticks=tuple(Tick(t, baseline - t * per_unit) for t in ticks),
        x_labels=tuple(Label(text, LEFT + j * step) for j, text in enumerate(labels)),
        lines=tuple(lines),
        unit=unit,
    )


ROW_HEIGHT = 28.0
ROW_LABEL = 170.0
STACKED_ROW_HEIGHT = 36.0


def row_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    notes: Sequence[str] = (),
    name: str = "",
    unit: str = "",
    currency: str = "",
    compact: bool = False,
) -> Chart:
    """Horizontal bars, longest at full width: a funnel's stages, a ranking, a distribution.

    A ``None`` value draws no bar (``–`` in the table); all ``None`` is the empty chart.
    ``compact`` fits a homepage widget's card."""
    series = Series(name or title, tuple(values))
    _check(labels, [series])
    width = COMPACT_WIDTH if compact else WIDTH
    # A compact chart writes each label above its bar: a card has no room beside it.
    label_width = LEFT / 4 if compact else ROW_LABEL
    row_height = STACKED_ROW_HEIGHT if compact else ROW_HEIGHT
    top = max((v for v in values if v is not None), default=0.0) or 1.0
    # Room for the value written after each bar; money needs more than a count.
    span = width - label_width - RIGHT - (96 if currency else 64)
    rows = tuple(
        Row(
            label,
            TOP + k * row_height,
            span * value / top,
            value,
            notes[k] if k < len(notes) else "",
        )
        for k, (label, value) in enumerate(zip(labels, values, strict=True))
        if value is not None
    )
    height = TOP + len(labels) * row_height + (0 if compact else 8)
    return Chart(
        "rows",
        title,
        tuple(labels),
        (series,),
        rows=rows,
        width=width,
        height=height,
        unit=unit,
        currency=currency,
        label_width=label_width,
        label_chars=34 if compact else 26,
        stacked=compact,
    )


TARGET_HEIGHT = 44.0
# A bar past its target is drawn up to this multiple of it; its figure says the rest.
TARGET_CAP = 2.0


@dataclass(frozen=True)
class Progress:
    """What a progress chart is given per bar (see :class:`Target` for the fields).

    Figures stay ``Decimal`` as the caller computed them, ``share`` included, so the
    chart's table prints exactly what the text beside it prints."""

    label: str
    value: Decimal
    target: Decimal
    share: Decimal
    elapsed: Decimal | None = None
    currency: str = ""


def target_chart(
    title: str,
    progress: Sequence[Progress],
    *,
    value_name: str,
    target_name: str,
    compact: bool = True,
) -> Chart:
    """Progress against target, one bar per goal, each with its target line and, where
    ``elapsed`` is given, a pace mark at the share of the period gone.

    Goals of different units share one chart, so the scale is the share of each target:
    every target line stands at the same place."""
    labels = [p.label for p in progress]
    series = [
        Series(value_name, tuple(float(p.value) for p in progress)),
        Series(target_name, tuple(float(p.target) for p in progress)),
    ]
    _check(labels, series)
    width = COMPACT_WIDTH if compact else WIDTH
    top = min(TARGET_CAP, max([1.0, *(float(p.share) for p in progress)]))
    x0 = LEFT / 4
    span = width - x0 - RIGHT
    targets = tuple(
        Target(
            p.label,
            TOP + k * TARGET_HEIGHT,
            span * min(max(float(p.share), 0.0), top) / top,
            x0 + span / top,
            x0 + span * min(float(p.elapsed), 1.0) / top if p.elapsed is not None else None,
            p.value,
            p.target,
            p.share,
            p.elapsed,
            p.currency,
        )
        for k, p in enumerate(progress)
    )
    return Chart(
        "target",
        title,
        tuple(labels),
        tuple(series),
        targets=targets,
        width=width,
        height=TOP + len(targets) * TARGET_HEIGHT + 4,
        label_width=x0,
        label_chars=34 if compact else 60,
    )


# Room under a compact trend's axis for its dates.
TREND_HEIGHT = 180.0


def trend_chart(
    title: str,
    start: date,
    end: date,
    progress: Sequence[tuple[date, Decimal]],
    target: Decimal,
    *,
    value_name: str,
    pace_name: str,
    target_name: str,
    currency: str = "",
    compact: bool = True,
) -> Chart:
    """A figure's way through its period against the straight line to its target.

    ``progress`` holds the figure reached by the end of each given day, in order, all within
    ``start``..``end``; the pace line runs from nothing at the start of ``start`` to
    ``target`` at the end of ``end``, so its value on a day is ``target`` times the share of
    the period gone by that day's end (what the goal bars call "period gone"). The scale
    reaches past the target when the figure does: over-achievement is drawn as such."""
    days = (end - start).days + 1
    if days < 1:
        raise ValueError("a trend's period ends before it starts")
    if not progress:
        raise ValueError("a trend needs at least one point")
    for (day, value), following in zip(progress, [*progress[1:], None], strict=True):
        if not start <= day <= end:
            raise ValueError(f"{day} is outside {start}..{end}")
        if following is not None and following[0] <= day:
            raise ValueError("a trend's points are in order of their days, one per day")
        if value < 0 or target < 0:
            raise ValueError("these charts start at zero")
    width = COMPACT_WIDTH if compact else WIDTH
    height = TREND_HEIGHT if compact else HEIGHT
    span = width - LEFT - RIGHT
    top_value = max(float(target), *(float(value) for _, value in progress))
    whole = all(v == v.to_integral_value() for v in (target, *(value for _, value in progress)))
    ticks = nice_ticks(top_value, whole=whole)
    baseline = height - BOTTOM
    per_unit = (height - TOP - BOTTOM) / (ticks[-1] or 1.0)

    # The pace is written to cents for money, to a tenth for counts and points.
    precision = Decimal("0.01") if currency else Decimal("0.1")

    def x_at(gone: int) -> float:  # ``gone`` days of the period over
        return LEFT + span * gone / days

    def share(value: Decimal) -> Decimal:
        return value / target if target > 0 else Decimal(0)

    points = tuple(
        TrendPoint(
            day,
            x_at((day - start).days + 1),
            baseline - float(value) * per_unit,
            value,
            (target * ((day - start).days + 1) / days).quantize(precision),
            share(value),
        )
        for day, value in progress
    )
    target_y = baseline - float(target) * per_unit
    line = Line(0, tuple(Point(p.x, p.y, float(p.value)) for p in points))
    # The period's first day and every month's first after it, and its last day.
    marks = [start]
    month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    while month <= end:
        marks.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    if (end - marks[-1]).days >= days / 6:
        marks.append(end)
    return Chart(
        "trend",
        title,
        tuple(str(p.day) for p in points),
        (
            Series(value_name, tuple(float(p.value) for p in points)),
            Series(pace_name, tuple(float(p.pace) for p in points)),
            Series(target_name, tuple(float(target) for _ in points)),
        ),
        ticks=tuple(Tick(t, baseline - t * per_unit) for t in ticks),
        lines=(line,),
        width=width,
        height=height,
        currency=currency,
        trend=Trend(
            points=points,
            pace_path=f"M{x_at(0):.1f},{baseline:.1f} L{x_at(days):.1f},{target_y:.1f}",
            target_y=target_y,
            target=target,
            days=tuple(
                DayMark(day, x_at(days if day == end else (day - start).days)) for day in marks
            ),
            start=start,
            end=end,
            currency=currency,
        ),
    )


__all__ = [
    "Chart",
    "Progress",
    "Series",
    "bar_chart",
    "line_chart",
    "nice_ticks",
    "row_chart",
    "target_chart",
    "trend_chart",
]
