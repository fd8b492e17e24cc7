"""Charts: geometry that fits its view box, SVG the strict CSP allows, figures also as a table."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.charts import HEIGHT, Series, bar_chart, line_chart, nice_ticks, row_chart
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
