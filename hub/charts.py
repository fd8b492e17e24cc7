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

WIDTH = 640.0
HEIGHT = 260.0
LEFT, RIGHT, TOP, BOTTOM = 56.0, 16.0, 16.0, 44.0
# How many series one chart tells apart (patterns, dashes and marker shapes in the template).
STYLES = 4


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
    width: float = WIDTH
    height: float = HEIGHT
    unit: str = ""

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


def row_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    notes: Sequence[str] = (),
    name: str = "",
    unit: str = "",
) -> Chart:
    """Horizontal bars, longest at full width: a funnel's stages, a ranking, a distribution."""
    series = Series(name or title, tuple(values))
    _check(labels, [series])
    top = max(values, default=0.0) or 1.0
    span = WIDTH - ROW_LABEL - RIGHT - 64  # room for the value written after each bar
    rows = tuple(
        Row(
            label,
            TOP + k * ROW_HEIGHT,
            span * value / top,
            value,
            notes[k] if k < len(notes) else "",
        )
        for k, (label, value) in enumerate(zip(labels, values, strict=True))
    )
    height = TOP + len(rows) * ROW_HEIGHT + 8
    return Chart("rows", title, tuple(labels), (series,), rows=rows, height=height, unit=unit)


__all__ = ["Chart", "Series", "bar_chart", "line_chart", "nice_ticks", "row_chart"]
