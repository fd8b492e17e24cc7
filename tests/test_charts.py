"""Charts: geometry that fits its view box, SVG the strict CSP allows, figures also as a table."""

from __future__ import annotations

import itertools
import math
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.charts import (
    COMPACT_WIDTH,
    HEIGHT,
    Chart,
    Progress,
    Series,
    bar_chart,
    line_chart,
    nice_ticks,
    row_chart,
    target_chart,
    trend_chart,
)
from hub.web.templating import make_templates
from tests.conftest import make_settings


@given(st.floats(min_value=0.001, max_value=1e12, allow_nan=False))
def test_ticks_are_round_and_cover_the_top(top: float) -> None:
    ticks = nice_ticks(top)
    assert ticks[0] == 0
    assert ticks[-1] >= top * (1 - 1e-9)
    assert 2 <= len(ticks) <= 6
    step = ticks[1]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5, 10))
    assert all(math.isclose(b - a, step) for a, b in itertools.pairwise(ticks))


def test_bars_stand_on_the_baseline_and_scale_to_their_values() -> None:
    chart = bar_chart(
        "Deals", ["Jan", "Feb", "Mar"], [Series("won", (3, 6, None)), Series("lost", (1, 0, 2))]
    )
    baseline = chart.baseline
    assert {round(b.y + b.height, 6) for b in chart.bars} == {baseline}
    tallest = max(chart.bars, key=lambda b: b.value)
    assert tallest.value == 6
    assert tallest.height == pytest.approx((HEIGHT - 16 - 44) * 6 / chart.ticks[-1].value, rel=1e-6)
    assert len(chart.bars) == 5  # no bar for a missing figure
    assert all(chart.left <= b.x and b.x + b.width <= chart.right for b in chart.bars)


def test_a_line_breaks_where_a_figure_is_missing() -> None:
    chart = line_chart("Rate", ["a", "b", "c", "d"], [Series("rate", (1, 2, None, 4))])
    assert [len(line.points) for line in chart.lines] == [2, 1]
    assert chart.lines[0].path.startswith("M")


def test_rows_are_as_long_as_their_share_of_the_longest() -> None:
    chart = row_chart("Funnel", ["recruited", "won"], [60, 15], notes=["", "25%"])
    first, second = chart.rows
    assert second.width == pytest.approx(first.width / 4)
    assert second.note == "25%"


def test_bad_series_are_refused() -> None:
    with pytest.raises(ValueError, match="values for"):
        bar_chart("x", ["a", "b"], [Series("s", (1,))])
    with pytest.raises(ValueError, match="start at zero"):
        bar_chart("x", ["a"], [Series("s", (-1,))])
    with pytest.raises(ValueError, match="1 to 4 series"):
        bar_chart("x", ["a"], [Series(str(i), (1,)) for i in range(5)])


def render(chart: object, locale: str, tmp_path: Path) -> str:
    env = make_templates(make_settings(tmp_path, "sqlite+aiosqlite://")).env
    page = env.from_string(
        '{% from "_charts.html" import chart as draw with context %}{{ draw(chart, "c1") }}'
    )
    return page.render(chart=chart, locale=locale)


def test_the_svg_needs_no_inline_style_or_script_and_tells_series_apart(tmp_path: Path) -> None:
    chart = line_chart(
        "Activation", ["Q1", "Q2"], [Series("Gold", (10.5, 20)), Series("Silver", (5, 7.25))]
    )
    html = render(chart, "en", tmp_path)
    assert "style=" not in html
    assert "<style" not in html
    assert "<script" not in html
    assert 'role="img"' in html
    assert "chart-line-0" in html  # solid
    assert "chart-line-1" in html  # dashed
    assert "<circle" in html  # one marker shape
    assert '<rect class="chart-mark' in html  # and another


def test_every_figure_is_in_the_table_in_the_readers_language(tmp_path: Path) -> None:
    chart = bar_chart("Umsatz", ["Q1", "Q2"], [Series("Gold", (1234.5, 20))])
    html = render(chart, "de", tmp_path)
    table = html[html.index("<table") :]
    assert "1.234,5" in table
    assert re.search(r"<td>20</td>", table)
    assert "Zahlen als Tabelle" in html


def test_a_chart_without_figures_says_so(tmp_path: Path) -> None:
    chart = bar_chart("Deals", ["Jan"], [Series("won", (None,))])
    html = render(chart, "en", tmp_path)
    assert "No figures for this chart yet." in html
    assert "<svg" not in html


def test_counts_get_whole_number_ticks() -> None:
    assert nice_ticks(3, whole=True) == [0.0, 1.0, 2.0, 3.0]
    assert nice_ticks(3) == [0.0, 1.0, 2.0, 3.0]
    assert nice_ticks(2, whole=True) == [0.0, 1.0, 2.0]
    assert 0.5 in nice_ticks(2)  # a measure may have half steps
    assert all(float(t).is_integer() for t in nice_ticks(9, whole=True))
    chart = bar_chart("Partners", ["a", "b"], [Series("n", (1, 2))])
    assert all(float(t.value).is_integer() for t in chart.ticks)


def test_compact_rows_fit_a_card_and_draw_no_bar_for_a_missing_figure(tmp_path: Path) -> None:
    chart = row_chart(
        "MDF", ["Allocated", "Requested", "Available"], [20_000, 5_000, None],
        currency="USD", compact=True,
    )  # fmt: skip
    assert chart.width == COMPACT_WIDTH
    assert [row.label for row in chart.rows] == ["Allocated", "Requested"]
    # The longest bar leaves room for its figure inside the view box.
    assert all(chart.label_width + row.width + 96 <= chart.width for row in chart.rows)
    html = render(chart, "de", tmp_path)
    assert "20.000\xa0$" in html
    assert "<td>–</td>" in html
    assert "style=" not in html


def test_compact_rows_with_every_figure_missing_are_the_empty_chart(tmp_path: Path) -> None:
    chart = row_chart("MDF", ["Spent", "In review"], [None, None], compact=True)
    assert chart.empty
    assert "No figures for this chart yet." in render(chart, "en", tmp_path)


def test_target_lines_line_up_and_pace_sits_at_the_time_gone() -> None:
    chart = target_chart(
        "Goals",
        [
            Progress("Revenue", Decimal(60), Decimal(100), Decimal("0.6"), Decimal("0.5"), "USD"),
            Progress("Logos", Decimal(18), Decimal(12), Decimal("1.5"), Decimal("0.5")),
            Progress("Nothing yet", Decimal(0), Decimal(5), Decimal(0)),
        ],
        value_name="Achieved",
        target_name="Target",
    )
    revenue, logos, nothing = chart.targets
    assert revenue.target_x == logos.target_x == nothing.target_x
    span = chart.right - chart.label_width
    assert revenue.target_x == pytest.approx(chart.label_width + span / 1.5)  # 150% is the top
    assert logos.width == pytest.approx(span)
    assert revenue.width == pytest.approx(span * 0.6 / 1.5)
    assert revenue.pace_x == pytest.approx(chart.label_width + span * 0.5 / 1.5)
    assert nothing.pace_x is None
    assert all(t.y + 35 <= chart.height for t in chart.targets)


def test_a_bar_far_past_its_target_is_drawn_to_the_cap_and_its_share_told() -> None:
    chart = target_chart(
        "Goals",
        [Progress("Over", Decimal(50), Decimal(10), Decimal(5))],
        value_name="Achieved",
        target_name="Target",
    )
    (over,) = chart.targets
    assert chart.label_width + over.width <= chart.right + 1e-9
    assert over.share == Decimal(5)


def test_a_progress_chart_is_told_in_its_units_with_its_table(tmp_path: Path) -> None:
    chart = target_chart(
        "Ziele",
        [
            Progress("Umsatz", Decimal("1234.5"), Decimal(5000), Decimal("0.2469"), None, "EUR"),
            Progress("Kunden", Decimal(3), Decimal(12), Decimal("0.25")),
        ],
        value_name="Erreicht",
        target_name="Ziel",
    )
    html = render(chart, "de", tmp_path)
    cells = re.findall(r"<td>(.*?)</td>", html)
    assert cells == ["1.234,50\xa0€", "5.000\xa0€", "25\xa0%", "3", "12", "25\xa0%"]
    assert "Period gone" not in html  # no pace given
    assert "chart-pace" not in html
    assert "style=" not in html
    assert "<script" not in html


def test_an_empty_progress_chart_says_so(tmp_path: Path) -> None:
    chart = target_chart("Goals", [], value_name="Achieved", target_name="Target")
    assert chart.empty
    assert "No figures for this chart yet." in render(chart, "en", tmp_path)


Q4 = (date(2026, 10, 1), date(2026, 12, 31))  # 92 days


def q4_trend(points: list[tuple[date, Decimal]], target: Decimal, currency: str = "") -> Chart:
    return trend_chart(
        "Revenue", *Q4, points, target,
        value_name="Achieved", pace_name="Pace", target_name="Target", currency=currency,
    )  # fmt: skip


def test_a_trend_runs_through_its_period_against_the_straight_line_to_target() -> None:
    points = [(date(2026, 10, 7), Decimal(10_000)), (date(2026, 11, 15), Decimal(95_000))]
    chart = q4_trend(points, Decimal(200_000), "USD")
    assert chart.trend is not None
    first, last = chart.trend.points
    # The pace on a day is the target times the share of the period gone by its end.
    assert first.pace == Decimal("15217.39")  # 200,000 × 7 / 92
    assert last.pace == Decimal("100000.00")  # 200,000 × 46 / 92
    assert last.share == Decimal("0.475")
    # Days sit at their place in the period; the pace line ends on the target line.
    assert first.x < last.x < chart.right
    assert chart.trend.pace_path.endswith(f"L{chart.right:.1f},{chart.trend.target_y:.1f}")
    assert last.y > chart.trend.target_y  # below the target, as 95,000 is
    assert [mark.day for mark in chart.trend.days] == [
        date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1), date(2026, 12, 31),
    ]  # fmt: skip


def test_an_over_achieved_trend_is_scaled_to_rise_past_its_target() -> None:
    chart = q4_trend(
        [(date(2026, 10, 20), Decimal(6)), (date(2026, 11, 20), Decimal(15))], Decimal(12)
    )
    assert chart.trend is not None
    assert chart.ticks[-1].value >= 15
    assert chart.trend.points[-1].y < chart.trend.target_y  # above the target line
    assert chart.trend.points[-1].share == Decimal("1.25")
    assert chart.trend.points[0].pace == Decimal("2.6")  # 12 × 20 / 92, to a tenth


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        ([], "at least one point"),
        ([(date(2026, 9, 30), Decimal(1))], "outside"),
        ([(date(2026, 10, 9), Decimal(1)), (date(2026, 10, 8), Decimal(2))], "in order"),
        ([(date(2026, 10, 9), Decimal(-1))], "start at zero"),
    ],
)
def test_a_trend_that_does_not_fit_its_period_is_refused(
    points: list[tuple[date, Decimal]], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        q4_trend(points, Decimal(10))


def test_a_trend_is_drawn_and_tabled_in_the_readers_language(tmp_path: Path) -> None:
    points = [(date(2026, 10, 7), Decimal("1234.5")), (date(2026, 10, 14), Decimal(4000))]
    html = render(q4_trend(points, Decimal(9200), "EUR"), "de", tmp_path)
    assert "style=" not in html
    assert "<script" not in html
    assert "1. Okt." in html  # the axis, without the year
    cells = re.findall(r"<td>(.*?)</td>", html)
    assert cells == ["1.234,50\xa0€", "700\xa0€", "13\xa0%", "4.000\xa0€", "1.400\xa0€", "43\xa0%"]
    assert "07.10.2026" in html  # each row's day, in full
    assert 'class="chart-pace"' in html
    assert 'class="chart-target"' in html
